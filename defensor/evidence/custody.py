"""The chain of custody's hashes and their check. No keys are needed to check a chain or a blob.

Each event's ``hash`` is SHA-256 over a canonical JSON encoding (sorted keys, no spaces, ASCII) of
the item id, seq, kind, actor id, time (UTC, microseconds), details and the previous event's hash
(``GENESIS`` for the first). The ``captured`` event also covers the SHA-256 of the blob's
ciphertext: replacing the blob breaks the chain even if the item row is changed to match. Sealed
fields (the original's hash among them) are not covered: a rotation of the case's key re-seals
them, and their AEAD binds each to its record.

``chain_problems`` finds: an item without any event, a hash that does not match, a previous hash
that does not match, a gap or swap in the numbering (a deleted or reordered row), a time that goes
backwards, a first event that is not ``captured``, fewer or more events than the item counts (a
deleted last event), and a blob whose ciphertext SHA-256 differs from the record's (a changed byte)
or that is missing. What one chain cannot show by itself (a last event deleted with the count
lowered to match, a status changed in the database, a whole item deleted) is checked against the
audit log, the timestamps and the bundles in ``evidence.verify``.

The encoding is written out for a court's expert, who recomputes it without Defensor from a
bundle's ``custody.json`` (``CUSTODY_LOG_FORMAT``, put into the bag's README.txt).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from defensor.keys.streams import file_sha256

GENESIS = "0" * 64

# The chain's encoding in one line, for a court bundle's bag-info.txt (and its README.txt).
CUSTODY_LOG_FORMAT = (
    "custody.json: for each event, hash = hex SHA-256 of the JSON object "
    '{"item": item id, "seq", "kind", "actor": actor id or null, "at", "details", "prev": previous hash} '
    '(plus "blob_sha256" in the captured event), keys sorted, separators "," and ":" without spaces, '
    "ASCII only (\\uXXXX escapes); at = UTC ISO 8601 with microseconds and +00:00; "
    "prev of the first event = GENESIS = 64 zeros"
)


def evidence_dir() -> Path:
    path = Path(settings.DEFENSOR_EVIDENCE_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def blob_path(blob: str) -> Path:
    """The blob's file; a name that is not the random hex we gave it cannot leave the folder."""
    if len(blob) != 32 or any(c not in "0123456789abcdef" for c in blob):
        raise ValueError("not a blob name")
    return evidence_dir() / f"{blob}.bin"


def event_hash(*, item_id: object, seq: int, kind: str, actor_id: int | None, at: datetime,
               details: dict[str, Any], prev_hash: str, captured: str | None = None) -> str:
    """The event's hash; ``captured``: for the first event, the SHA-256 of the blob's ciphertext
    (what was stored is bound into the chain; not the sealed fields' ciphertext, which a rotation
    of the case's key legitimately re-seals)."""
    payload: dict[str, Any] = {
        "item": str(item_id), "seq": seq, "kind": kind, "actor": actor_id,
        "at": event_time(at), "details": details, "prev": prev_hash,
    }
    if captured is not None:
        payload["blob_sha256"] = captured
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()


def event_time(at: datetime) -> str:
    """An event's time as it enters the hash: UTC, ISO 8601 with microseconds and ``+00:00``."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Problem:
    """One thing wrong, named by ids and a code only: ``subject`` is what ``item_id`` names
    (an evidence item, a case, an audit event, a bundle), ``detail`` a code or a number."""

    item_id: str
    code: str
    seq: int | None = None
    subject: str = "evidence"
    detail: str = ""

    def __str__(self) -> str:
        where = f" seq={self.seq}" if self.seq is not None else ""
        detail = f" {self.detail}" if self.detail else ""
        return f"{self.subject} {self.item_id}: {self.code}{where}{detail}"


def chain_problems(item: Any, events: list[Any], *, blob: bool = True) -> list[Problem]:
    """What is wrong with one item's chain and (unless ``blob`` is false: hashing a large file takes
    seconds) its blob (``events`` in ``seq`` order)."""
    item_id = str(item.pk)
    problems: list[Problem] = []
    if not events:
        problems.append(Problem(item_id, "custody-empty"))
    if len(events) != item.custody_length:
        problems.append(Problem(item_id, "custody-length"))
    prev, previous_at = GENESIS, None
    for index, event in enumerate(events):
        if event.seq != index:
            problems.append(Problem(item_id, "custody-seq", event.seq))
        if index == 0 and event.kind != "captured":
            problems.append(Problem(item_id, "custody-first-not-captured", event.seq))
        if event.prev_hash != prev:
            problems.append(Problem(item_id, "custody-prev-hash", event.seq))
        captured = item.blob_sha256 if event.kind == "captured" else None
        expected = event_hash(item_id=item.pk, seq=event.seq, kind=event.kind, actor_id=event.actor_id, at=event.at,
                              details=event.details, prev_hash=event.prev_hash, captured=captured)
        if event.hash != expected:
            problems.append(Problem(item_id, "custody-hash", event.seq))
        if previous_at is not None and event.at < previous_at:
            problems.append(Problem(item_id, "custody-order", event.seq))
        prev, previous_at = event.hash, event.at
    return problems + blob_problems(item) if blob else problems


def blob_problems(item: Any) -> list[Problem]:
    """Whether the item's blob is there and its ciphertext's SHA-256 is the recorded one (reads the
    whole file, without any key)."""
    path = blob_path(item.blob)
    if not path.is_file():
        return [Problem(str(item.pk), "blob-missing")]
    if file_sha256(path) != item.blob_sha256:
        return [Problem(str(item.pk), "blob-changed")]
    return []
