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
    """Union-find over ints (person record ids, and requests as negative numbers). A key never
    joined to another is its own group and is not stored."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}

    def find(self, key: int) -> int:
        parent = self._parent
        root = key
        while (up := parent.get(root, root)) != root:
            root = up
        while key != root:
            parent[key], key = root, parent[key]
        return root

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # A person record is the group's representative where there is one.
            if rb > 0 > ra:
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
    live_record: dict[int, int | None] = {}

    def record_of(person_id: int) -> int | None:
        """The live record a record id stands for now (merges followed), None if erased."""
        if person_id in live_record:
            return live_record[person_id]
        found: int | None = person_id
        for _ in range(100):  # a merge cycle cannot happen; never loop on one
            row = records.get(found) if found is not None else None
            if row is None or row.merged_into is None:
                break
            found = row.merged_into
        row = records.get(found) if found is not None else None
        live_record[person_id] = found = None if row is None or row.erased or row.merged_into is not None else found
        return found

    groups = _Groups()
    live = [pid for pid in records if record_of(pid) == pid]
    by_contact: dict[str, int] = {}

    def meet(digest: str, key: int) -> None:
        if digest in by_contact:
            groups.join(by_contact[digest], key)
        else:
            by_contact[digest] = key

    for pid, digest in person_contacts:
        owner = record_of(pid)
        if owner is not None and digest:
            meet(digest, owner)
    request_list = list(requests)
    key_of: dict[Any, int] = {}  # request id → its key (its record, or minus its position)
    for position, row in enumerate(request_list, start=1):
        if row.person is None:
            key_of[row.id] = -position
        elif (owner := record_of(row.person)) is not None:
            key_of[row.id] = owner
        # else: accepted into a record since erased: erased with it, not counted
    for request_id, digest in request_contacts:
        key = key_of.get(request_id)
        if key is not None and digest:
            meet(digest, key)

    counted: dict[int, Counted] = {}
    for pid in live:
        record = records[pid]
        root = groups.find(pid)
        entry = counted.get(root)
        if entry is None:
            counted[root] = entry = Counted(first_contact=record.created_on)
        elif record.created_on < entry.first_contact:
            entry.first_contact = record.created_on
        if record.facts:
            _fill(entry, record.facts)
    latest_request: dict[int, tuple[date, str, dict[str, Any]]] = {}
    for row in request_list:
        key = key_of.get(row.id)
        if key is None:
            continue
        root = groups.find(key)
        entry = counted.get(root)
        if entry is None:
            counted[root] = entry = Counted(first_contact=row.received_on)
        elif row.received_on < entry.first_contact:
            entry.first_contact = row.received_on
        if row.facts:
            if row.facts.get("pressure"):
                entry.pressure.update(row.facts["pressure"])
            previous = latest_request.get(root)
            if previous is None or (row.received_on, str(row.id)) > previous[:2]:
                latest_request[root] = (row.received_on, str(row.id), row.facts)
    for root, (_on, _id, facts) in latest_request.items():
        _fill(counted[root], facts)  # the team's values first (above), the latest request's for the rest

    latest_claim: dict[int, ClaimRow] = {}
    in_open_claim: set[int] = set()
    last_withdrawal: dict[int, tuple[Any, str]] = {}
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


def _fill(entry: Counted, facts: dict[str, Any]) -> None:
    """The values ``entry`` does not have yet, from ``facts``."""
    if entry.service_category is None:
        entry.service_category = facts.get("service_category") or None
    if entry.force is None:
        entry.force = facts.get("force") or None
    if entry.region is None:
        entry.region = facts.get("region") or None


INCIDENT = "incident"  # a pressure incident the team recorded in a case
