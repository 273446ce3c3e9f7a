"""The daily retention run, as a background task that queues its own next run (the worker has no
clock of its own; it makes sure one is waiting when it starts, core.periodic). No arguments."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.utils import timezone
from django_tasks import task

from defensor.core.periodic import periodic_queue_once
from defensor.retention.services import retention_run_all

logger = logging.getLogger(__name__)

RETENTION_TASK = "defensor.retention.tasks.retention_daily"
RUN_HOUR = 2  # at night, server time: before the team starts, after the evening's work


def next_run_after(now: datetime) -> datetime:
    local = timezone.localtime(now)
    at = timezone.make_aware(datetime.combine(local.date(), time(RUN_HOUR)))
    return at if at > now else at + timedelta(days=1)


def retention_schedule(*, now: datetime | None = None) -> bool:
    """Queue the next daily run unless one is already waiting. True if one was queued."""
    return periodic_queue_once(retention_daily, run_after=next_run_after(now or timezone.now()))


@task()
def retention_daily() -> int:
    """Today's erasures for every organisation, then tomorrow's run. Returns how many records
    were erased (failures are audited and logged by kind and id)."""
    try:
        erased = failed = 0
        for _organisation, report in retention_run_all():
            erased += len(report.erased)
            failed += len(report.failed)
        if erased or failed:
            logger.info("retention: %d records erased, %d failed", erased, failed)
        return erased
    finally:
        retention_schedule()
