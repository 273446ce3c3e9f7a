"""``log_action``: the only way to write to the audit log."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from defensor.audit.models import AuditChainHead, AuditEvent
from defensor.core.models import Organisation
from defensor.core.secrets import derived_key
from defensor.core.types import AuditDetails, AuditScalar

GENESIS_HASH = "0" * 64
MAX_DETAIL_TEXT = 100


class AuditUsageError(Exception):
    pass


def _audit_key() -> bytes:
    configured: str = settings.DEFENSOR_AUDIT_KEY
    if configured:
        return configured.encode()
    # Derived, so a copy of the database alone cannot re-forge the chain after an edit.
    return derived_key("audit.chain.v1")


def _check_scalar(key: str, value: Any) -> AuditScalar:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str) and len(value) <= MAX_DETAIL_TEXT:
        return value
    raise AuditUsageError(f"audit detail {key!r} must be a code, id, count or flag")


def _clean_details(details: AuditDetails | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if isinstance(value, list | tuple):
            clean[key] = [_check_scalar(key, item) for item in value]
        else:
            clean[key] = _check_scalar(key, value)
    return clean


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def compute_hash(
    *,
    seq: int,
    prev_hash: str,
    organisation_id: int | None,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    created_at: datetime,
    details: dict[str, Any],
) -> str:
    record = json.dumps(
        [seq, prev_hash, organisation_id, actor_id, action, target_type, target_id, _timestamp(created_at), details],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(_audit_key(), record.encode(), hashlib.sha256).hexdigest()


def log_action(
    *,
    action: str,
    actor: Any | None = None,
    organisation: Organisation | None = None,
    target: models.Model | None = None,
    details: AuditDetails | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise AuditUsageError("log_action must be called inside the transaction of the change it records")
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    if organisation is None and actor_id is not None:
        membership = getattr(actor, "membership", None)
        organisation = membership.organisation if membership is not None else None
    head_seq, head_hash = _locked_head()
    clean = _clean_details(details)
    created_at = timezone.now()
    seq = head_seq + 1
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(target.pk) if target is not None else ""
    digest = compute_hash(
        seq=seq,
        prev_hash=head_hash,
        organisation_id=organisation.pk if organisation else None,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        created_at=created_at,
        details=clean,
    )
    event = AuditEvent(
        seq=seq,
        organisation=organisation,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        created_at=created_at,
        details=clean,
        prev_hash=head_hash,
        hash=digest,
    )
    _append(event, mac=head_mac(seq, digest))
    return event


# Every event pays for these statements, so they are written once as SQL with the ORM's own table
# and column names and its conversion of each value, not built by the query compiler each time
# (that was most of an event's cost). The same rows and values as the ORM writes.
_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


@functools.cache
def _statements(vendor: str) -> tuple[str, str, str]:  # per database vendor, made once
    """(read the head, append the event, move the head). On PostgreSQL the append moves the head
    too, in the same statement (a data-modifying WITH): one round trip less per event."""
    quote = connection.ops.quote_name
    head = quote(AuditChainHead._meta.db_table)
    events = quote(AuditEvent._meta.db_table)
    pk = quote(AuditChainHead._meta.pk.column)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    # Only the models' own names go into the text (S608); every value is a parameter.
    read = f"SELECT {quote('seq')}, {quote('hash')} FROM {head} WHERE {pk} = 1{lock}"  # noqa: S608
    columns = ", ".join(quote(f.column) for f in _EVENT_FIELDS)
    placeholders = ", ".join(["%s"] * len(_EVENT_FIELDS))
    insert = f"INSERT INTO {events} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if connection.features.can_return_columns_from_insert:
        insert += f" RETURNING {quote(AuditEvent._meta.pk.column)}"
    move = f"UPDATE {head} SET {quote('seq')} = %s, {quote('hash')} = %s, {quote('mac')} = %s WHERE {pk} = 1"  # noqa: S608
    if vendor == "postgresql":
        return read, f"WITH moved AS ({move}) {insert}", ""
    return read, insert, move


def _locked_head() -> tuple[int, str]:
    """The head's (seq, hash), locked until the transaction ends (the first event makes it)."""
    read, _, _ = _statements(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(read)
        row = cursor.fetchone()
    if row is None:
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        return head.seq, head.hash
    return int(row[0]), str(row[1])


def _append(event: AuditEvent, *, mac: str) -> None:
    _, insert, move = _statements(connection.vendor)
    values = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _EVENT_FIELDS]
    head: list[Any] = [event.seq, event.hash, mac]
    with connection.cursor() as cursor:
        cursor.execute(insert, values if move else head + values)
        if connection.features.can_return_columns_from_insert:
            event.pk = cursor.fetchone()[0]
        else:
            event.pk = connection.ops.last_insert_id(cursor, AuditEvent._meta.db_table, AuditEvent._meta.pk.column)
        if move:
            cursor.execute(move, head)
    event._state.adding = False
    event._state.db = connection.alias


def head_mac(seq: int, digest: str) -> str:
    return hmac.new(_audit_key(), f"head|{seq}|{digest}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    problem_seq: int | None = None
    problem: str = ""
    head_hash: str = GENESIS_HASH


def verify_chain(*, anchor: tuple[int, str] | None = None, batch_size: int = 2000) -> ChainReport:
    """Walk the chain up to its head; report the first event that breaks it.

    The head is read first and only events up to it are checked, so events appended while the
    check runs do not look like tampering. ``anchor`` is a (seq, hash) pair printed by an earlier
    check and kept outside the database: it catches a chain rewritten by someone with the key.
    """
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash, mac = (head.seq, head.hash, head.mac) if head else (0, GENESIS_HASH, "")
    if head_seq == 0:
        from defensor.core.models import Organisation

        if AuditEvent.objects.exists() or Organisation.objects.exists():
            # An organisation is created with an audit event: an empty log was emptied.
            return ChainReport(0, False, 1, "the log was emptied or its head reset")
    elif not hmac.compare_digest(mac, head_mac(head_seq, head_hash)):
        return ChainReport(0, False, head_seq, "the head of the chain was changed")
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    events = (
        AuditEvent.objects.filter(seq__lte=head_seq)
        .order_by("seq")
        .values_list(
            "seq", "prev_hash", "hash", "organisation_id", "actor_id", "action", "target_type", "target_id",
            "created_at", "details",
        )
    )
    for seq, prev_hash, digest, org_id, actor_id, action, t_type, t_id, created_at, details in events.iterator(
        chunk_size=batch_size
    ):
        if seq != expected_seq:
            return ChainReport(checked, False, expected_seq, "missing or reordered event")
        if prev_hash != expected_prev:
            return ChainReport(checked, False, seq, "link to the previous event is broken")
        recomputed = compute_hash(
            seq=seq, prev_hash=prev_hash, organisation_id=org_id, actor_id=actor_id, action=action,
            target_type=t_type, target_id=t_id, created_at=created_at, details=details,
        )
        if not hmac.compare_digest(recomputed, digest):
            return ChainReport(checked, False, seq, "event content was changed")
        if anchor is not None and seq == anchor[0] and digest != anchor[1]:
            return ChainReport(checked, False, seq, "the chain differs from the recorded anchor")
        expected_prev = digest
        expected_seq += 1
        checked += 1
    if checked != head_seq or expected_prev != head_hash:
        return ChainReport(checked, False, checked + 1, "events after the last one were removed")
    if anchor is not None and anchor[0] > head_seq:
        return ChainReport(checked, False, head_seq + 1, "events recorded in the anchor are missing")
    return ChainReport(checked, True, head_hash=expected_prev)
