"""Sealed copies that no item names, removed once a day.

A request's file is sealed into the evidence folder inside the accept's transaction
(services.request_files_taken_in). If that transaction rolls back (one request of a bulk accept
cannot be accepted, and nothing is), the rows go and the file stays: ciphertext whose key went
with the rows. A crash between sealing an upload and recording it leaves the same. The sweep
removes files of the folder (not its ``bundles/``) that no item names and that were last written
more than a day ago (an upload or an accept in progress is younger), so it is tidiness, not
secrecy. The task has no arguments and queues its own next run (core.periodic).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from defensor.core.periodic import periodic_queue_once
from defensor.evidence.custody import evidence_dir
from defensor.evidence.models import Bundle, EvidenceItem

logger = logging.getLogger(__name__)

ORPHAN_AFTER_HOURS = 24
SWEEP_EVERY = timedelta(days=1)
_BLOB = re.compile(r"^[0-9a-f]{32}\.bin$")


def orphan_blobs_remove(*, older_than_hours: int = ORPHAN_AFTER_HOURS) -> int:
    """Remove the folder's blobs that no item (or bundle) names, last written more than
    ``older_than_hours`` ago. Returns how many."""
    oldest_kept = time.time() - older_than_hours * 3600
    # Listed before the names are read: a blob recorded meanwhile is in the names.
    candidates = [path for path in evidence_dir().iterdir() if _BLOB.match(path.name) and path.is_file()]
    named = set(EvidenceItem.objects.values_list("blob", flat=True))
    named |= set(Bundle.objects.exclude(blob="").values_list("blob", flat=True))
    removed = 0
    for path in candidates:
        try:
            if path.stem not in named and path.stat().st_mtime < oldest_kept:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    if removed:
        logger.info("evidence: %d sealed copies that no item names were removed", removed)
    return removed


def orphan_blobs_schedule(*, now: datetime | None = None) -> bool:
    """Queue the next sweep unless one is already waiting. True if one was queued."""
    return periodic_queue_once(orphan_blobs_sweep, run_after=(now or timezone.now()) + SWEEP_EVERY)


@task()
def orphan_blobs_sweep() -> int:
    """Today's sweep, then tomorrow's run."""
    try:
        return orphan_blobs_remove()
    finally:
        orphan_blobs_schedule()
