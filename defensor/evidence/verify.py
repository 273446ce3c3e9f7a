"""What ``defensor evidence verify`` checks, without any case's key: each problem by ids and a code.

A chain of custody is hash-chained but not keyed: whoever can write to the database can rewrite
one from the changed event on. So each item is checked against three records kept apart from it:

- its own chain and blob (``custody.chain_problems``): an item with no event at all, a changed,
  missing or reordered event, a changed or missing blob;
- its plaintext status and flags against the last custody event that recorded them
  (``status-mismatch``, ``verified_by-mismatch``, ``verified_at-mismatch``, ``<flag>-mismatch``):
  the status is the ``to`` of the last ``status_changed`` event (``status`` of an older
  ``verified`` one), ``new`` when there is none, and ``verified_by``/``verified_at`` are that
  event's actor and time; ``active_content`` is recorded in the ``captured`` event (older chains:
  in the ``evidence.added`` audit event), ``identifies_client`` and ``graphic`` in each ``labelled``
  event (false until one);
- the audit log (``defensor.audit``, hash-chained under the server's audit key and checked here
  first: ``audit <seq>: audit-chain-broken``), written in the same transaction as each custody
  event: for each kind, as many custody events as audit events that wrote one
  (``custody-audit-mismatch kind=<kind> custody=<n> audit=<m>``). A last event deleted with the
  item's count lowered to match, or an event added with its hashes recomputed, shows here;
  trusted timestamps (evidence.timestamps) catch a rewritten chain whose head was stamped.

And across items: each case's inventory numbers run 1..n (``case <id>: evidence-number-missing
number=<n>``), and an item named by the audit log, a custody event, a trusted timestamp's leaf or a
bundle that is not in the database is reported (``item-missing by=...``), as is a downloaded bundle
that is gone (``bundle <id>: bundle-missing``).

Older chains: audit ``evidence.labels_changed`` events from before the ``labelled`` kind existed
(before its migration was applied) wrote no custody event; they are not counted, and an item whose
flags changed only then, never since, is not checked for ``identifies_client`` and ``graphic``.
Their status changes were ``verified`` events, checked as ``status_changed`` ones are.

On PostgreSQL the whole run reads one snapshot (REPEATABLE READ), so an upload committed while the
check runs cannot look like a custody event missing from the audit log; on SQLite each item found
wrong is checked again on its own before it is reported.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Min, Q

from defensor.audit.models import AuditEvent
from defensor.audit.services import verify_chain
from defensor.evidence.custody import Problem, chain_problems
from defensor.evidence.models import (
    Bundle,
    CustodyEvent,
    CustodyKind,
    EvidenceItem,
    ItemStatus,
    TimestampLeaf,
)

ITEM_TARGET = EvidenceItem._meta.label_lower
# The audit actions that are written with one custody event of the item they target, by kind.
AUDITED_KIND: dict[str, str] = {
    "evidence.added": CustodyKind.CAPTURED.value,
    "evidence.viewed": CustodyKind.VIEWED.value,
    "evidence.downloaded": CustodyKind.DOWNLOADED.value,
    "evidence.status_changed": "status",  # a ``status_changed`` event, or an older ``verified`` one
    "evidence.labels_changed": CustodyKind.LABELLED.value,
    "evidence.transferred": CustodyKind.TRANSFERRED.value,
}
# Actions that write custody events of items they do not target (the parent of a working copy, the
# items of a downloaded bundle).
DERIVED, BUNDLE_DOWNLOADED = "evidence.derived", "evidence.bundle_downloaded"
STATUS_KINDS = frozenset({CustodyKind.VERIFIED, CustodyKind.STATUS_CHANGED})
LABEL_FLAGS = ("identifies_client", "graphic")
# A legacy ``verified`` event was written just after the row's own time (status_changed events
# give the row their exact time).
LEGACY_VERIFIED_SLACK = timedelta(seconds=60)
# The audit event and the custody event of one change share a transaction, not a clock reading.
SAME_CHANGE = timedelta(seconds=1)


def _group(kind: str) -> str:
    return "status" if kind in STATUS_KINDS else str(kind)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@dataclass
class _Audited:
    """What the audit log says happened to the items: custody events by kind, flags at capture,
    labels changed before the ``labelled`` kind, and every item id it names."""

    kinds: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    active_content: dict[str, bool] = field(default_factory=dict)
    legacy_flag_changes: Counter[str] = field(default_factory=Counter)
    named: set[str] = field(default_factory=set)
    bundles_missing: set[str] = field(default_factory=set)


def _audited(rows: Iterable[tuple[str, str, str, Any, datetime]], labelled_since: datetime | None,
             only: set[str] | None = None) -> _Audited:
    """Tally the audit events ``rows`` (action, target type, target id, details, time); ``only``:
    count exports for these items alone."""
    audited = _Audited()
    downloads: list[str] = []
    for action, target_type, target_id, details, created_at in rows:
        details = details if isinstance(details, dict) else {}
        if target_type == ITEM_TARGET and target_id:
            audited.named.add(target_id)
            kind = AUDITED_KIND.get(action)
            if action == "evidence.labels_changed" and (labelled_since is None or created_at < labelled_since):
                if set(details.get("fields") or ()) & set(LABEL_FLAGS):
                    audited.legacy_flag_changes[target_id] += 1
                kind = None
            if kind is not None:
                audited.kinds[target_id][kind] += 1
            if action == "evidence.added" and isinstance(details.get("active_content"), bool):
                audited.active_content[target_id] = details["active_content"]
        if action == DERIVED:  # one event on the working copy (the target), one on its original
            if target_type == ITEM_TARGET and target_id:
                audited.kinds[target_id][CustodyKind.DERIVED.value] += 1
            parent = details.get("parent")
            if isinstance(parent, str) and parent:
                audited.named.add(parent)
                audited.kinds[parent][CustodyKind.DERIVED.value] += 1
        if action == BUNDLE_DOWNLOADED and isinstance(details.get("bundle"), str):
            downloads.append(details["bundle"])
    if downloads:  # one ``exported`` event on each item of the bundle
        wanted = {pk for pk in map(_uuid, downloads) if pk is not None}
        bundles = {str(pk): ids for pk, ids in Bundle.objects.filter(pk__in=wanted).values_list("pk", "item_ids")}
        for bundle_id in downloads:
            if bundle_id not in bundles:
                audited.bundles_missing.add(bundle_id)
                continue
            for item_id in bundles[bundle_id] or ():
                if only is None or str(item_id) in only:
                    audited.kinds[str(item_id)][CustodyKind.EXPORTED.value] += 1
    return audited


LABELLED_MIGRATION = ("evidence", "0005_custody_kinds_handovers_capturer")


def _labelled_since() -> datetime | None:
    """From when each change of labels has its ``labelled`` custody event: when the migration that
    brought the kind (with the code that writes it) was applied; without that record, the time of
    the first ``labelled`` event anywhere, a second early. Audit events of labels changed before it
    are the older chains'."""
    app, name = LABELLED_MIGRATION
    applied: datetime | None = (MigrationRecorder.Migration.objects.filter(app=app, name=name)
                                .values_list("applied", flat=True).first())
    if applied is not None:
        return applied
    first = CustodyEvent.objects.filter(kind=CustodyKind.LABELLED).aggregate(first=Min("at"))["first"]
    return first - SAME_CHANGE if first is not None else None


# What the checks read of an item (none of its sealed fields).
_ITEM_FIELDS = ("id", "case_id", "number", "status", "active_content", "identifies_client", "graphic", "blob",
                "blob_sha256", "verified_by_id", "verified_at", "custody_length")
_AUDIT_FIELDS = ("action", "target_type", "target_id", "details", "created_at")


def _state_problems(item: EvidenceItem, events: list[CustodyEvent], audited: _Audited) -> list[Problem]:
    """The item's plaintext status and flags against the last custody events that recorded them."""
    item_id = str(item.pk)
    problems: list[Problem] = []
    status, decided = str(ItemStatus.NEW), None
    flags: dict[str, bool | None] = {"active_content": audited.active_content.get(item_id),
                                     "identifies_client": False, "graphic": False}
    labelled = False
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        if event.kind in STATUS_KINDS:
            to = details.get("to", details.get("status"))
            if isinstance(to, str):
                status, decided = to, event
        if event.kind == CustodyKind.CAPTURED and isinstance(details.get("active_content"), bool):
            flags["active_content"] = details["active_content"]
        if event.kind == CustodyKind.LABELLED:
            labelled = True
            for flag in LABEL_FLAGS:
                if isinstance(details.get(flag), bool):
                    flags[flag] = details[flag]
    if not labelled and audited.legacy_flag_changes[item_id]:
        flags["identifies_client"] = flags["graphic"] = None  # changed before the chain recorded flags
    if item.status != status:
        problems.append(Problem(item_id, "status-mismatch"))
    if item.verified_by_id != (decided.actor_id if decided is not None else None):
        problems.append(Problem(item_id, "verified_by-mismatch"))
    if decided is None:
        at_matches = item.verified_at is None
    elif decided.kind == CustodyKind.VERIFIED:
        at_matches = item.verified_at is not None and (
            timedelta(0) <= decided.at - item.verified_at <= LEGACY_VERIFIED_SLACK)
    else:
        at_matches = item.verified_at == decided.at
    if not at_matches:
        problems.append(Problem(item_id, "verified_at-mismatch"))
    for flag, recorded in flags.items():
        if recorded is not None and getattr(item, flag) != recorded:
            problems.append(Problem(item_id, f"{flag}-mismatch"))
    return problems


def _audit_problems(item: EvidenceItem, events: list[CustodyEvent], audited: _Audited) -> list[Problem]:
    """For each kind the audit log counts, as many custody events as audit events."""
    item_id = str(item.pk)
    chained = Counter(_group(event.kind) for event in events)
    expected = audited.kinds.get(item_id, Counter())
    return [Problem(item_id, "custody-audit-mismatch", detail=f"kind={kind} custody={chained[kind]} "
                                                              f"audit={expected[kind]}")
            for kind in sorted(set(chained) | set(expected)) if chained[kind] != expected[kind]]


def _item_problems(item: EvidenceItem, events: list[CustodyEvent], audited: _Audited, *,
                   blob: bool = True) -> list[Problem]:
    return [*chain_problems(item, events, blob=blob), *_state_problems(item, events, audited),
            *_audit_problems(item, events, audited)]


def verify_items(items: Sequence[EvidenceItem], *, blobs: bool = True) -> dict[str, list[Problem]]:
    """These items (of any cases), each by its id: its chain, blob (unless ``blobs`` is false), status
    and flags, and its custody events against the audit log (a court bundle checks its items so, in a
    few queries)."""
    ids = {str(item.pk) for item in items}
    labelled_since = _labelled_since()
    rows = (AuditEvent.objects.filter(
        Q(target_type=ITEM_TARGET, target_id__in=ids) | Q(action=DERIVED, details__parent__in=sorted(ids))
        | Q(action=BUNDLE_DOWNLOADED, target_id__in={str(item.case_id) for item in items}))
        .order_by("seq").values_list(*_AUDIT_FIELDS))
    audited = _audited(rows.iterator(), labelled_since, only=ids)
    chains: dict[str, list[CustodyEvent]] = defaultdict(list)
    for event in CustodyEvent.objects.filter(item_id__in=[item.pk for item in items]).order_by("item_id", "seq", "pk"):
        chains[str(event.item_id)].append(event)
    return {str(item.pk): _item_problems(item, chains[str(item.pk)], audited, blob=blobs) for item in items}


def verify_item(item: EvidenceItem, *, blob: bool = True) -> list[Problem]:
    """One item, as ``verify_items`` checks it (its chain of custody page leaves a large blob to a
    check asked for)."""
    return verify_items([item], blobs=blob)[str(item.pk)]


def _events_by_item() -> Iterator[tuple[Any, list[CustodyEvent]]]:
    events = CustodyEvent.objects.order_by("item_id", "seq", "pk").iterator(chunk_size=5000)
    for item_id, group in groupby(events, key=lambda event: event.item_id):
        yield item_id, list(group)


def _verify_all() -> list[Problem]:
    problems: list[Problem] = []
    report = verify_chain()
    if not report.ok:
        problems.append(Problem(str(report.problem_seq), "audit-chain-broken", subject="audit"))
    labelled_since = _labelled_since()
    rows = (AuditEvent.objects.filter(Q(target_type=ITEM_TARGET) | Q(action__in=(DERIVED, BUNDLE_DOWNLOADED)))
            .order_by("seq").values_list(*_AUDIT_FIELDS))
    audited = _audited(rows.iterator(chunk_size=5000), labelled_since)
    # The items' plain columns in memory; their events streamed, one chain at a time.
    items = {str(item.pk): item for item in EvidenceItem.objects.order_by("case_id", "number").only(*_ITEM_FIELDS)}
    found: dict[str, list[Problem]] = {}
    orphans: set[str] = set()
    for item_id, events in _events_by_item():
        if str(item_id) in items:
            found[str(item_id)] = _item_problems(items[str(item_id)], events, audited)
        else:
            orphans.add(str(item_id))
    numbers: dict[Any, list[int]] = defaultdict(list)
    for item_id, item in items.items():  # in the cases' inventory order
        numbers[item.case_id].append(item.number)
        problems.extend(found[item_id] if item_id in found else _item_problems(item, [], audited))
    for case_id, present in sorted(numbers.items(), key=lambda pair: str(pair[0])):
        for missing in sorted(set(range(1, max(present) + 1)) - set(present)):
            problems.append(Problem(str(case_id), "evidence-number-missing", subject="case",
                                    detail=f"number={missing}"))
    named: dict[str, set[str]] = defaultdict(set)
    for item_id in audited.named:
        named[item_id].add("audit")
    for item_id in orphans:
        named[item_id].add("custody")
    for item_id in TimestampLeaf.objects.values_list("item_id", flat=True).distinct():
        named[str(item_id)].add("timestamp")
    for bundle_id, item_ids in Bundle.objects.values_list("pk", "item_ids"):
        for item_id in item_ids or ():
            named[str(item_id)].add(f"bundle:{bundle_id}")
    for item_id in sorted(set(named) - set(items)):
        problems.append(Problem(item_id, "item-missing", detail="by=" + ",".join(sorted(named[item_id]))))
    problems.extend(Problem(bundle_id, "bundle-missing", subject="bundle") for bundle_id in
                    sorted(audited.bundles_missing))
    return problems


def _settled(problems: list[Problem]) -> list[Problem]:
    """Without one snapshot (SQLite: a read transaction there would take the write lock), an item
    written to while the check ran can look wrong (its row read before its newest event): each item
    found wrong is checked again on its own, and what it shows then is what counts."""
    ids = {p.item_id for p in problems if p.subject == "evidence" and p.code != "item-missing"}
    if not ids:
        return problems
    again = verify_items(list(EvidenceItem.objects.filter(pk__in=ids).only(*_ITEM_FIELDS)))
    settled: list[Problem] = []
    for problem in problems:
        if problem.subject == "evidence" and problem.item_id in again:
            settled.extend(again.pop(problem.item_id))
        elif problem.subject != "evidence" or problem.item_id not in ids:
            settled.append(problem)
    return settled


def verify_all() -> list[Problem]:
    """Every item, every case's numbering, the audit log, and the items the records name."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return _settled(_verify_all())
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _verify_all()
