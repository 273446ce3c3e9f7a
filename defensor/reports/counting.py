"""Who is counted, and once: persons put together from person records and the requests that have
no record yet, computed from plaintext links, blind-index digests and sealed report facts.

A person is one person record (merged duplicates folded into the record they were merged into,
erased records left out) with every request accepted into it, plus every request that shares a
contact digest (the same phone number or messenger name) with it. Requests with no record are one
person per group of requests that share a contact. Spam and requests withdrawn by their writer are
not counted.

What each person is counted under:
- first contact: the earliest of their requests and their record (the period filter and the quarter
  table use it);
- service category, force and federal district: the person record's values where the team gave
  them, otherwise the latest request's answers;
- kinds of pressure: every kind named in any of their requests, and "incident recorded" when the
  team recorded a pressure incident for them in a case;
- case kind, stage and outcome: of their most recently opened case (each person once);
- withdrawal: the reason given when they left a claim, if they withdrew from their latest withdrawn
  claim and are in no claim any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Counted:
    """One person as a report counts them (values are option keys, never text anyone typed)."""

    first_contact: date
    service_category: str | None = None
    force: str | None = None
    region: str | None = None
    pressure: set[str] = field(default_factory=set)
    case: tuple[str, str, str] | None = None  # kind, stage, outcome of the latest case
    withdrawal: str | None = None  # the reason ("" when none was given), if they withdrew


class _Groups:
    """Union-find over hashable keys."""

    def __init__(self) -> None:
        self._parent: dict[Any, Any] = {}

    def find(self, key: Any) -> Any:
        parent = self._parent.setdefault(key, key)
        if parent == key:
            return key
        root = self.find(parent)
        self._parent[key] = root
        return root

    def join(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # A person record is the group's representative where there is one.
            if isinstance(rb, int) and not isinstance(ra, int):
                ra, rb = rb, ra
            self._parent[rb] = ra


@dataclass(frozen=True)
class PersonRow:
    id: int
    created_on: date
    merged_into: int | None
    erased: bool
    facts: dict[str, Any] | None  # opened report facts, None: not made or not opened


@dataclass(frozen=True)
class RequestRow:
    id: Any
    received_on: date
    person: int | None
    facts: dict[str, Any] | None


@dataclass(frozen=True)
class ClaimRow:
    person: int
    case_created: Any  # comparable (datetime)
    case_id: int
    kind: str
    stage: str
    outcome: str
    open: bool
    withdrawal: str | None  # reason of their withdrawal from this claim, if withdrawn


def count_persons(
    *,
    people: Iterable[PersonRow],
    requests: Iterable[RequestRow],
    request_contacts: Iterable[tuple[Any, str]],
    person_contacts: Iterable[tuple[int, str]],
    claims: Iterable[ClaimRow],
    incidents: Iterable[int],
) -> list[Counted]:
    """Each person once (see the module's docstring)."""
    records = {row.id: row for row in people}

    def record_of(person_id: int | None) -> int | None:
        seen = 0
        while person_id is not None and person_id in records and records[person_id].merged_into is not None:
            person_id = records[person_id].merged_into
            seen += 1
            if seen > 100:  # a merge cycle cannot happen; never loop on one
                return None
        if person_id is None or person_id not in records or records[person_id].erased:
            return None
        return person_id

    groups = _Groups()
    live = [pid for pid, row in records.items() if record_of(pid) == pid]
    for pid in live:
        groups.find(pid)
    by_contact: dict[str, Any] = {}
    for pid, digest in person_contacts:
        owner = record_of(pid)
        if owner is None or not digest:
            continue
        if digest in by_contact:
            groups.join(by_contact[digest], owner)
        else:
            by_contact[digest] = owner
    request_rows: dict[Any, RequestRow] = {}
    for row in requests:
        request_rows[row.id] = row
        owner = record_of(row.person) if row.person is not None else None
        if row.person is not None and owner is None:
            continue  # accepted into a record since erased: erased with it
        key = owner if owner is not None else ("request", row.id)
        groups.find(key)
    for request_id, digest in request_contacts:
        contact_row = request_rows.get(request_id)
        if contact_row is None or not digest:
            continue
        owner = record_of(contact_row.person) if contact_row.person is not None else None
        key = owner if owner is not None else ("request", request_id)
        if digest in by_contact:
            groups.join(by_contact[digest], key)
        else:
            by_contact[digest] = key

    counted: dict[Any, Counted] = {}
    latest_request: dict[Any, tuple[date, str, dict[str, Any]]] = {}
    for pid in live:
        root = groups.find(pid)
        record = records[pid]
        entry = counted.get(root)
        if entry is None:
            counted[root] = entry = Counted(first_contact=record.created_on)
        entry.first_contact = min(entry.first_contact, record.created_on)
        if record.facts:
            for name in ("service_category", "force", "region"):
                if getattr(entry, name) is None and record.facts.get(name):
                    setattr(entry, name, record.facts[name])
    for row in request_rows.values():
        owner = record_of(row.person) if row.person is not None else None
        if row.person is not None and owner is None:
            continue
        root = groups.find(owner if owner is not None else ("request", row.id))
        entry = counted.get(root)
        if entry is None:
            counted[root] = entry = Counted(first_contact=row.received_on)
        entry.first_contact = min(entry.first_contact, row.received_on)
        if row.facts:
            entry.pressure.update(str(kind) for kind in row.facts.get("pressure") or [])
            previous = latest_request.get(root)
            if previous is None or (row.received_on, str(row.id)) > previous[:2]:
                latest_request[root] = (row.received_on, str(row.id), row.facts)
    for root, (_on, _id, facts) in latest_request.items():
        entry = counted[root]
        for name in ("service_category", "force", "region"):
            if getattr(entry, name) is None and facts.get(name):
                setattr(entry, name, facts[name])

    latest_claim: dict[Any, ClaimRow] = {}
    in_open_claim: set[Any] = set()
    last_withdrawal: dict[Any, tuple[Any, str]] = {}
    for claim in claims:
        owner = record_of(claim.person)
        if owner is None:
            continue
        root = groups.find(owner)
        current = latest_claim.get(root)
        if current is None or (claim.case_created, claim.case_id) > (current.case_created, current.case_id):
            latest_claim[root] = claim
        if claim.open:
            in_open_claim.add(root)
        if claim.withdrawal is not None:
            seen = last_withdrawal.get(root)
            if seen is None or claim.case_created > seen[0]:
                last_withdrawal[root] = (claim.case_created, claim.withdrawal)
    for root, claim in latest_claim.items():
        counted[root].case = (claim.kind, claim.stage, claim.outcome)
    for root, (_created, reason) in last_withdrawal.items():
        if root not in in_open_claim:
            counted[root].withdrawal = reason
    for person_id in incidents:
        owner = record_of(person_id)
        if owner is not None:
            counted[groups.find(owner)].pressure.add(INCIDENT)
    return list(counted.values())


INCIDENT = "incident"  # a pressure incident the team recorded in a case
