"""The daily reminder run, as a background task that schedules its own next run (the worker has
no clock of its own). `defensor serve` makes sure one is waiting; its arguments hold nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from defensor.deadlines.services import deadline_reminders_send

REMINDERS_TASK = "defensor.deadlines.tasks.deadline_reminders"


def next_run_after(now: datetime) -> datetime:
    """The next DEFENSOR_REMIND_HOUR o'clock, in the server's time zone."""
    local = timezone.localtime(now)
    at = timezone.make_aware(datetime.combine(local.date(), time(settings.DEFENSOR_REMIND_HOUR)))
    return at if at > now else at + timedelta(days=1)


def reminders_schedule(*, now: datetime | None = None) -> bool:
    """Enqueue the next daily run unless one is already waiting. True if one was enqueued. Two
    processes starting at once may both enqueue: the later runs are then removed, one chain stays."""
    waiting = DBTaskResult.objects.filter(task_path=REMINDERS_TASK, status="READY").order_by("run_after", "pk")
    first = waiting.first()
    if first is not None:
        waiting.exclude(pk=first.pk).delete()
        return False
    deadline_reminders.using(run_after=next_run_after(now or timezone.now())).enqueue()
    return True


@task()
def deadline_reminders() -> int:
    """Today's reminders, then tomorrow's run."""
    try:
        return deadline_reminders_send(today=timezone.localdate())
    finally:
        reminders_schedule()
