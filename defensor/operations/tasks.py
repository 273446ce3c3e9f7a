"""The worker's daily backup, the pruning to the newest DEFENSOR_BACKUP_KEEP, and the weekly drill.

Each archive the worker makes is also encrypted to an age identity that lives only in this worker
process's memory, so the worker can run the drill on it without the recovery key, which stays
offline. That drill checks the archive opens, matches its manifest and migrates; opening records
needs the recovery key (``defensor backup verify`` with two shares). When the worker restarts its
identity is gone, and the archives it made open only with the recovery key and the offline
recipients, as every archive does.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django_tasks import task

from defensor.core.errors import DefensorError
from defensor.core.periodic import periodic_queue_once
from defensor.keys import age
from defensor.keys.models import RecoveryKey
from defensor.operations.backup import backup_create, backups_prune
from defensor.operations.drill import backup_verify
from defensor.operations.models import BackupRun, RunKind

logger = logging.getLogger(__name__)

_identity: str | None = None
_identity_made = threading.Lock()


def _drill_identity() -> str:
    global _identity
    with _identity_made:
        if _identity is None:
            _identity = age.new_identity()
        return _identity


def backup_next_run(now: datetime) -> datetime:
    """The next DEFENSOR_BACKUP_HOUR o'clock (local time) after ``now``."""
    local = timezone.localtime(now)
    run = local.replace(hour=settings.DEFENSOR_BACKUP_HOUR, minute=0, second=0, microsecond=0)
    return run if run > local else run + timedelta(days=1)


def backup_schedule(*, now: datetime | None = None) -> bool:
    """Queue the next daily backup unless one waits (off without DEFENSOR_BACKUP_DIR)."""
    if not settings.DEFENSOR_BACKUP_DIR:
        return False
    return periodic_queue_once(backup_daily, run_after=backup_next_run(now or timezone.now()))


def backup_drill_due(*, now: datetime | None = None) -> bool:
    last = BackupRun.objects.filter(kind=RunKind.DRILL, ok=True).order_by("-finished_at").first()
    since = (now or timezone.now()) - timedelta(days=settings.DEFENSOR_BACKUP_DRILL_DAYS)
    return last is None or last.finished_at is None or last.finished_at <= since


def backup_run_daily() -> str:
    """Make today's archive, keep the newest N, run the drill on it when one is due. A word on the outcome."""
    if not settings.DEFENSOR_BACKUP_DIR or not RecoveryKey.objects.exists():
        return "off"
    identity = _drill_identity()
    made = backup_create(extra_recipients=[age.recipient_of_identity(identity)])
    backups_prune(directory=made.path.parent, keep=settings.DEFENSOR_BACKUP_KEEP)
    if backup_drill_due():
        drill = backup_verify(archive_path=made.path, identities=[identity])
        return "made, drill passed" if drill.ok else "made, drill FAILED"
    return "made"


@task()
def backup_daily() -> str:
    """Today's backup, then tomorrow's run. A failure is recorded (BackupRun) and warned about on
    the overview; it does not stop the next day's run."""
    try:
        # What the run records (a failure's words on the overview) is in the organisation's language,
        # whatever language the process last spoke.
        with translation.override(settings.LANGUAGE_CODE):
            return backup_run_daily()
    except (DefensorError, OSError) as error:
        logger.error("backup: the daily backup failed (%s)", type(error).__name__)
        return "failed"
    finally:
        backup_schedule()
