"""The hourly sweep of files attached to forms that were never sent, as a background task that
queues its own next run (the worker has no clock of its own; it calls `uploads_sweep_schedule`
when it starts, defensor.core.periodic). Its arguments hold nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from defensor.core.periodic import periodic_queue_once
from defensor.intake.services import abandoned_uploads_remove

SWEEP_TASK = "defensor.intake.tasks.uploads_sweep"
SWEEP_EVERY = timedelta(hours=1)


def uploads_sweep_schedule(*, now: datetime | None = None) -> bool:
    """Queue the next sweep unless one is already waiting. True if one was queued."""
    return periodic_queue_once(uploads_sweep, run_after=(now or timezone.now()) + SWEEP_EVERY)


@task()
def uploads_sweep() -> int:
    """Shred files of forms not sent within DEFENSOR_INTAKE_ABANDONED_HOURS, then queue the next run."""
    try:
        return abandoned_uploads_remove(older_than_hours=settings.DEFENSOR_INTAKE_ABANDONED_HOURS)
    finally:
        uploads_sweep_schedule()
