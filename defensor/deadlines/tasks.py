"""The daily reminder run, as a background task that schedules its own next run (the worker has
no clock of its own; it makes sure one is waiting when it starts, core.periodic). Its arguments
hold nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from defensor.core.periodic import periodic_queue_once
from defensor.deadlines.services import deadline_reminders_send

REMINDERS_TASK = "defensor.deadlines.tasks.deadline_reminders"


def next_run_after(now: datetime) -> datetime:
    """The next DEFENSOR_REMIND_HOUR o'clock, in the server's time zone."""
    local = timezone.localtime(now)
    at = timezone.make_aware(datetime.combine(local.date(), time(settings.DEFENSOR_REMIND_HOUR)))
    return at if at > now else at + timedelta(days=1)


def reminders_schedule(*, now: datetime | None = None) -> bool:
    """Queue the next daily run unless one is already waiting. True if one was queued."""
    return periodic_queue_once(deadline_reminders, run_after=next_run_after(now or timezone.now()))


@task()
def deadline_reminders() -> int:
    """Today's reminders, then tomorrow's run."""
    try:
        return deadline_reminders_send(today=timezone.localdate())
    finally:
        reminders_schedule()
