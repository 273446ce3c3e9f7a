"""Reads of person records: only those the acting user holds a key for (and, for duplicate
matching, what the blind indexes alone prove about the others)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

from django.db.models import F, Model, Q, QuerySet
from django.http import Http404

from defensor.accounts.models import User
from defensor.keys.blind import index_with_key, normalise_handle, normalise_surname
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyGrant, KeyKind
from defensor.people.matching import (
    CLOSE_BIRTH_DATE,
    MAX_UNPROVEN_GAIN,
    SAME_BIRTH_DATE,
    SAME_SURNAME,
    SUGGEST_THRESHOLD,
    Identity,
    Match,
    identity_of,
    index_reason,
    ordered,
    score_reasons,
    scorer,
    search_terms,
)
from defensor.people.models import Handle, Person

_Row = TypeVar("_Row", bound=Model)

# Merge chains are a few links long; a longer one means something is wrong, not a reason to loop.
MAX_MERGE_CHAIN = 16
# Candidates decrypted and scored for one new identity, whatever the index hits: the work per
# request stays bounded when a common surname matches thousands.
MAX_SCORED = 40
PERSON_INDEXES = ["surname_index", "surname_prefix_index", "birth_date_index", "unit_index"]


def _held_keys(actor: User) -> QuerySet[KeyGrant]:
    return KeyGrant.objects.filter(user=actor, wrapped__isnull=False)


def _readable(actor: User) -> QuerySet[Person]:
    return Person.objects.filter(
        organisation=actor.membership.organisation,
        data_key_id__in=_held_keys(actor).values("material_id"),
        erased_at__isnull=True,
    )


def people_for(*, actor: User) -> QuerySet[Person]:
    """The people the actor can read, without those merged into another record."""
    return _readable(actor).filter(merged_into__isnull=True)


def person_for(*, actor: User, person_id: int, include_merged: bool = False) -> Person:
    """One person the actor can read; a merged one only on request (to show or undo the merge)."""
    people = _readable(actor) if include_merged else people_for(actor=actor)
    person = people.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


def people_merged_into(*, actor: User, person: Person) -> QuerySet[Person]:
    """The records merged directly into ``person`` that the actor can read (to undo a merge)."""
    return _readable(actor).filter(merged_into=person)


def merge_root(*, person: Person) -> Person:
    """The record a merged person ended up in, following the chain (A into B, B into C: C)."""
    current = person
    for _ in range(MAX_MERGE_CHAIN):
        if current.merged_into_id is None:
            return current
        current = Person.objects.get(pk=current.merged_into_id)
    raise Http404  # a chain this long was not made by person_merge


def person_handles(*, actor: User, person: Person) -> QuerySet[Handle]:
    """The handles of a person the actor can read, oldest first."""
    return Handle.objects.filter(person__in=_readable(actor).filter(pk=person.pk)).order_by("created_at", "pk")


def handle_for(*, actor: User, handle_id: int) -> Handle:
    """One handle of a person the actor can read."""
    handle = Handle.objects.filter(pk=handle_id, person__in=_readable(actor)).select_related("person").first()
    if handle is None:
        raise Http404
    return handle


def people_with_phone(*, actor: User, keyring: KeyRing, phone: str) -> QuerySet[Person]:
    normalised = normalise_handle(phone)
    if normalised is None:
        return Person.objects.none()
    _, key = keyring.current(actor.membership.organisation_id, KeyKind.INDEX)
    digest = index_with_key(key, "value_index", normalised)
    return people_for(actor=actor).filter(pk__in=Handle.objects.filter(value_index=digest).values("person_id"))


def people_with_surname(*, actor: User, keyring: KeyRing, surname: str) -> QuerySet[Person]:
    normalised = normalise_surname(surname)
    if normalised is None:
        return Person.objects.none()
    _, key = keyring.current(actor.membership.organisation_id, KeyKind.INDEX)
    digest = index_with_key(key, "surname_index", normalised)
    return people_for(actor=actor).filter(surname_index=digest)


# --- duplicate matching --------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A known person who may be the one a new identity describes.

    ``accessible=False``: the actor holds no key for the record; ``reasons`` are only what the
    blind indexes prove and ``display`` is None. Ask a colleague who holds the record.
    """

    person_id: int
    score: float
    reasons: tuple[str, ...]
    accessible: bool
    display: str | None = field(default=None, repr=False)


@dataclass
class _Hits:
    """What the blind indexes found for one stored person."""

    merged_into_id: int | None
    data_key_id: UUID
    reasons: set[str] = field(default_factory=set)
    prefix: bool = False

    def match(self) -> Match:
        return Match(score_reasons(self.reasons), ordered(self.reasons))

    def ceiling(self) -> float:
        """The most decrypting could make of this candidate (see matching.MAX_UNPROVEN_GAIN)."""
        gain = MAX_UNPROVEN_GAIN["names"]
        if SAME_SURNAME not in self.reasons:
            gain += MAX_UNPROVEN_GAIN["surname"]
        if not self.reasons & {SAME_BIRTH_DATE, CLOSE_BIRTH_DATE}:
            gain += MAX_UNPROVEN_GAIN["birth_date"]
        return score_reasons(self.reasons) + gain


def _blocks(digests: dict[str, list[str]]) -> Q | None:
    """Which stored people are worth a look: the same date of birth (a few people per date even
    among 100,000), or two of: the surname prefix, the unit, a close date of birth. A surname,
    a prefix or a unit alone would bring thousands of rows for a common name or a large unit,
    and seldom reaches a suggestion. Phones and handles are looked up on their own."""

    def among(index: str, key: str) -> Q | None:
        return Q(**{f"{index}__in": digests[key]}) if digests[key] else None

    born = among("birth_date_index", "born")
    pairs = [
        (among("surname_prefix_index", "prefix"), among("unit_index", "unit")),
        (among("birth_date_index", "born_close"), among("surname_prefix_index", "prefix")),
        (among("birth_date_index", "born_close"), among("unit_index", "unit")),
    ]
    blocks = [born] + [left & right for left, right in pairs if left is not None and right is not None]
    condition: Q | None = None
    for block in blocks:
        if block is not None:
            condition = block if condition is None else condition | block
    return condition


def _scoped(people: QuerySet[_Row], field: str, organisation_id: int) -> QuerySet[_Row]:
    """``field = organisation_id``, written so that SQLite cannot use the organisation's index.

    Without ANALYZE statistics SQLite prefers that index to the blind indexes and walks every
    person of the organisation (100 ms and more at 100,000 people, against about 1 ms). The
    filter itself is unchanged; PostgreSQL plans it from its statistics either way.
    """
    scoped: QuerySet[_Row] = people.alias(scope=F(field) + 0).filter(scope=organisation_id)
    return scoped


def _index_hits(*, organisation_id: int, key: bytes, identity: Identity) -> dict[int, _Hits]:
    """Two queries: people whose own indexes match, and people with a matching handle."""
    wanted: dict[str, tuple[str, str | None]] = {}  # digest -> (index field, what a hit proves)
    digests: dict[str, list[str]] = defaultdict(list)  # what it is looked up for -> digests
    for purpose, terms in search_terms(identity).items():
        for term in terms:
            digest = index_with_key(key, purpose, term)
            reason = index_reason(identity, purpose, term)
            wanted[digest] = (purpose, reason)
            use = {"surname_prefix_index": "prefix", "unit_index": "unit", "value_index": "contact"}.get(purpose)
            if purpose == "birth_date_index":
                use = "born" if reason == SAME_BIRTH_DATE else "born_close"
            if use is not None:
                digests[use].append(digest)
    hits: dict[int, _Hits] = {}

    def record(person_id: int, merged_into_id: int | None, data_key_id: UUID, digest: str | None) -> None:
        if digest is None or digest not in wanted:
            return
        purpose, reason = wanted[digest]
        entry = hits.setdefault(person_id, _Hits(merged_into_id, data_key_id))
        if reason is not None:
            entry.reasons.add(reason)
        elif purpose == "surname_prefix_index":
            entry.prefix = True

    condition = _blocks(digests)
    if condition is not None:
        people = _scoped(Person.objects.filter(condition, erased_at__isnull=True), "organisation_id", organisation_id)
        rows = people.values_list("pk", "merged_into_id", "data_key_id", *PERSON_INDEXES)
        for pk, merged_into_id, data_key_id, *found in rows:
            for digest in found:
                record(pk, merged_into_id, data_key_id, digest)
    if digests["contact"]:
        handles = Handle.objects.filter(value_index__in=digests["contact"], person__erased_at__isnull=True)
        handle_rows = _scoped(handles, "person__organisation_id", organisation_id).values_list(
            "person_id", "person__merged_into_id", "person__data_key_id", "value_index"
        )
        for person_id, parent_id, key_id, value_digest in handle_rows:
            record(person_id, parent_id, key_id, value_digest)
    return hits


def _roots(*, organisation_id: int, hits: dict[int, _Hits]) -> dict[int, tuple[int, UUID]]:
    """person id -> (id, data key) of the record it is merged into at the end of the chain.

    A hit on a merged record counts for the record it was merged into; one query per link.
    """
    parent: dict[int, int | None] = {pk: h.merged_into_id for pk, h in hits.items()}
    key_of: dict[int, UUID] = {pk: h.data_key_id for pk, h in hits.items()}
    for _ in range(MAX_MERGE_CHAIN):
        unknown = {p for p in parent.values() if p is not None and p not in parent}
        if not unknown:
            break
        rows = Person.objects.filter(pk__in=unknown, organisation_id=organisation_id, erased_at__isnull=True)
        for pk, merged_into_id, data_key_id in rows.values_list("pk", "merged_into_id", "data_key_id"):
            parent[pk], key_of[pk] = merged_into_id, data_key_id
        for missing in unknown - set(parent):
            parent[missing] = None
            key_of.pop(missing, None)  # erased or elsewhere: the chain ends in nothing
    roots: dict[int, tuple[int, UUID]] = {}
    for pk in hits:
        current: int | None = pk
        for _ in range(MAX_MERGE_CHAIN):
            following = parent.get(current) if current is not None else None
            if following is None:
                break
            current = following
        if current is not None and parent.get(current) is None and current in key_of:
            roots[pk] = (current, key_of[current])
    return roots


def _identity(person: Person, handles: list[Handle], keyring: KeyRing) -> Identity:
    return identity_of(person.decrypt(keyring), (h.decrypt(keyring).value or "" for h in handles))


def match_candidates(
    *, actor: User, keyring: KeyRing, identity: Identity, limit: int = 10, min_score: float = SUGGEST_THRESHOLD,
    decrypted: list[int] | None = None,
) -> list[Candidate]:
    """Known people who may be the person ``identity`` describes, best first.

    Found through the blind indexes within the actor's organisation (erased records never,
    merged records as the record they were merged into). Candidates the actor holds a key for
    are decrypted in memory and scored in full; the others are scored on what the indexes
    prove. A fixed number of queries per call, however many records are opened (at most
    MAX_SCORED, their keys fetched at once). ``decrypted``, if given, receives the ids of every
    record opened (to audit the read).
    """
    organisation_id = actor.membership.organisation_id
    _, key = keyring.current(organisation_id, KeyKind.INDEX)
    hits = _index_hits(organisation_id=organisation_id, key=key, identity=identity)
    if not hits:
        return []
    roots = _roots(organisation_id=organisation_id, hits=hits)
    members: dict[int, list[int]] = defaultdict(list)
    root_keys: dict[int, UUID] = {}
    for pk, (root, data_key_id) in roots.items():
        members[root].append(pk)
        root_keys[root] = data_key_id
    keys = set(root_keys.values()) | {hits[pk].data_key_id for pk in roots}
    held = set(_held_keys(actor).filter(material_id__in=keys).values_list("material_id", flat=True))

    def proven(root: int) -> Match:
        return max((hits[pk].match() for pk in members[root]), key=lambda m: m.score)

    def ceiling(root: int) -> float:
        return max(hits[pk].ceiling() for pk in members[root])

    readable = sorted(
        (root for root in members if root_keys[root] in held and ceiling(root) >= min_score),
        key=lambda root: (-proven(root).score, not any(hits[pk].prefix for pk in members[root]), root),
    )[:MAX_SCORED]
    results: list[Candidate] = []
    for root in members:
        if root_keys[root] not in held:
            match = proven(root)
            if match.score >= min_score:
                results.append(Candidate(root, match.score, match.reasons, accessible=False))

    decrypt_ids = set(readable) | {pk for root in readable for pk in members[root] if hits[pk].data_key_id in held}
    people = Person.objects.filter(erased_at__isnull=True).in_bulk(decrypt_ids)
    handles: dict[int, list[Handle]] = defaultdict(list)
    for handle in Handle.objects.filter(person_id__in=decrypt_ids, value__isnull=False).order_by("pk"):
        handles[handle.person_id].append(handle)
    keyring.prefetch({person.data_key_id for person in people.values()} |
                     {h.data_key_id for found in handles.values() for h in found})  # one query, not one per key
    known = {pk: _identity(person, handles[pk], keyring) for pk, person in people.items()}
    if decrypted is not None:
        decrypted.extend(sorted(known))
    against = scorer(identity)
    for root in readable:
        if root not in known:
            continue  # erased since the index query
        matches = [against(known[pk]) for pk in {root, *members[root]} if pk in known]
        # A merged record the actor cannot read still brings what its indexes prove.
        matches += [hits[pk].match() for pk in members[root] if pk not in known]
        best = max(matches, key=lambda m: m.score)
        if best.score >= min_score:
            results.append(Candidate(root, best.score, best.reasons, accessible=True, display=known[root].full_name))
    results.sort(key=lambda c: (-c.score, c.person_id))
    return results[:limit]
