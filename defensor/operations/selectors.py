"""What the overview tells administrators about backups: nothing while all is well."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from defensor.operations.models import BackupRun, RunKind


@dataclass(frozen=True)
class BackupHealth:
    """One warning, or none. ``last_good``: when the newest good archive was finished."""

    off: bool = False  # no backup folder configured: the worker makes none
    never: bool = False  # none made yet
    stale_hours: int = 0  # the newest good one is this many hours old (over the limit)
    drill_failed_at: datetime | None = None
    drill_problem: str = ""
    last_good: datetime | None = None

    @property
    def warning(self) -> bool:
        return self.off or self.never or bool(self.stale_hours) or self.drill_failed_at is not None


def backup_health(*, now: datetime | None = None) -> BackupHealth:
    now = now or timezone.now()
    last_good = (BackupRun.objects.filter(kind=RunKind.BACKUP, ok=True).order_by("-finished_at")
                 .values_list("finished_at", flat=True).first())
    last_drill = BackupRun.objects.filter(kind=RunKind.DRILL).order_by("-finished_at").first()
    failed = last_drill if last_drill is not None and not last_drill.ok else None
    failed_at, problem = (failed.finished_at, failed.problem) if failed is not None else (None, "")
    if last_good is None:
        return BackupHealth(off=not settings.DEFENSOR_BACKUP_DIR, never=bool(settings.DEFENSOR_BACKUP_DIR),
                            drill_failed_at=failed_at, drill_problem=problem)
    age = now - last_good
    stale = age > timedelta(hours=settings.DEFENSOR_BACKUP_STALE_HOURS)
    return BackupHealth(stale_hours=int(age.total_seconds() // 3600) if stale else 0, last_good=last_good,
                        drill_failed_at=failed_at, drill_problem=problem)
