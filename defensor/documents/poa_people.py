"""Whom a power of attorney is for: the add page's list of persons, for a lawyer with a thousand
clients. The persons are grouped by the cases the user works on (number, title, claimants); the
list can be narrowed to one case (the case's documents page links here with it, its claimants
ticked) or to a name. The name is looked up through the people app's blind indexes (surname, or
its first letters) and checked against the decrypted names of those found; it is posted with
the form, never put into an address (docs/decisions.md, "The term never enters an address").

Each person's box appears once on the page, under the first case listed that names them (in the
others: the name and where the box is), so unticking it cannot leave a second ticked copy. What
is ticked and not in the narrowed list stays on the page, ticked, in a group of its own after it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from defensor.accounts.models import User
from defensor.cases.models import Case, Claimant, ClaimantStatus
from defensor.cases.selectors import cases_for
from defensor.cases.services import cases_listed
from defensor.keys.blind import SURNAME_PREFIX_LENGTH, index_with_key, surname_spellings
from defensor.keys.keyring import KeyRing, NoAccess
from defensor.keys.models import KeyKind
from defensor.people.selectors import people_for
from defensor.people.services import people_read

MAX_CASES = 500  # cases offered in the filter, most recently changed first
MAX_SCANNED = 500  # persons a name search decrypts at most (a term that finds more is not a search)
MAX_TERM = 100
FEW = 10  # ticked persons outside the list shown, listed unfolded up to this many


@dataclass(frozen=True)
class PersonChoice:
    pk: int
    name: str
    ticked: bool
    listed_under: str = ""  # the case number under which this person's box is, when not here


@dataclass
class CaseGroup:
    case: Case | None  # None: the ticked ones not listed, or persons in none of the user's cases
    title: str
    people: list[PersonChoice] = field(default_factory=list)
    ticked_only: bool = False  # the group of ticked persons the filter does not show
    open: bool = False  # unfolded on the page

    @property
    def boxes(self) -> int:
        return sum(1 for p in self.people if not p.listed_under)

    @property
    def ticked(self) -> int:
        return sum(1 for p in self.people if p.ticked and not p.listed_under)

    def shown_open(self, *, filtered: bool, alone: bool) -> bool:
        """Unfolded on the page: what the lawyer narrowed the list to, a case with someone ticked,
        the only group; the ticked ones the list does not show only when they are few."""
        if self.ticked_only:
            return self.boxes <= FEW
        return filtered or alone or self.ticked > 0


@dataclass
class Chooser:
    cases: list[tuple[int, str, str]]  # (id, number, title) for the filter
    case: Case | None  # the case the list is narrowed to
    term: str
    groups: list[CaseGroup]
    searched: bool = False
    search_refused: str = ""  # why the term could not be looked up
    found: int = 0  # persons the term found
    filtered: bool = False

    @property
    def ticked(self) -> int:
        return sum(group.ticked for group in self.groups)


class _TermRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "short": not three letters of a name; "keys": no index key to look it up


def _words(text: str) -> list[set[str]]:
    """Each word of a name as the skeletons it may be filed under (Cyrillic or Latin, ц as ts or c)."""
    return [spellings for word in re.split(r"[\s,.;]+", text) if (spellings := surname_spellings(word))]


def _name_matches(term: list[set[str]], name: str) -> bool:
    """Every word typed begins a word of the name (in any spelling): «гусев андр» finds Гусев Андрей Ильич."""
    name_spellings = tuple(spelling for spellings in _words(name) for spelling in spellings)
    return all(any(spelling.startswith(tuple(typed)) for spelling in name_spellings) for typed in term)


def _search(*, user: User, keyring: KeyRing, term: str) -> tuple[set[int], dict[int, str]]:
    """The readable persons whose name the term names (ids), and the names decrypted to check it."""
    typed = _words(term)
    if not typed:
        raise _TermRefused("short")
    try:
        _, key = keyring.current(user.membership.organisation_id, KeyKind.INDEX)
    except NoAccess as error:
        raise _TermRefused("keys") from error
    surnames = {spelling for spellings in typed for spelling in spellings}
    prefixes = {s[:SURNAME_PREFIX_LENGTH] for s in surnames if len(s) >= SURNAME_PREFIX_LENGTH}
    if not prefixes:
        raise _TermRefused("short")
    lookup = Q(surname_index__in=[index_with_key(key, "surname_index", s) for s in surnames]) | Q(
        surname_prefix_index__in=[index_with_key(key, "surname_prefix_index", p) for p in prefixes])
    candidates = list(people_for(actor=user).filter(lookup).order_by("id")[:MAX_SCANNED])
    keyring.prefetch(p.data_key_id for p in candidates)
    names = {p.pk: p.decrypt(keyring, only=["full_name"]).full_name or f"#{p.pk}" for p in candidates}
    return {pk for pk, name in names.items() if _name_matches(typed, name)}, names


def people_chooser(*, user: User, keyring: KeyRing, ticked: set[int], case_id: int | None, term: str) -> Chooser:
    """The persons to choose from, grouped by case, as the page shows them (only persons the user
    can read; ``ticked`` of them ticked); the names and case titles shown recorded as read."""
    readable = people_for(actor=user)
    cases = list(cases_for(actor=user).order_by("-updated_at", "-id")[:MAX_CASES])
    selected = next((c for c in cases if c.pk == case_id), None)
    if selected is None and case_id is not None:
        selected = cases_for(actor=user).filter(pk=case_id).first()
        if selected is not None:
            cases.insert(0, selected)
    keyring.prefetch(c.data_key_id for c in cases)
    titles = {c.pk: c.decrypt(keyring, only=["title"]).title or "" for c in cases}
    shown_cases = [selected] if selected is not None else cases
    memberships = list(
        Claimant.objects.filter(case__in=[c.pk for c in shown_cases], merged_into__isnull=True,
                                person__in=readable.values("pk"))
        .exclude(status=ClaimantStatus.REMOVED).order_by("id").values_list("case_id", "person_id"))
    term = " ".join(term.split())[:MAX_TERM]
    chooser = Chooser(cases=[(c.pk, c.number, titles[c.pk]) for c in cases], case=selected, term=term, groups=[],
                      filtered=bool(selected is not None or term))
    names: dict[int, str] = {}
    found: set[int] | None = None
    if term:
        chooser.searched = True
        try:
            found, names = _search(user=user, keyring=keyring, term=term)
        except _TermRefused as refused:
            found = set()
            chooser.search_refused = refused.reason
        chooser.found = len(found)
    in_cases = {pid for _case, pid in memberships}
    if selected is not None:
        shown = in_cases if found is None else in_cases & found
    elif found is not None:
        shown = found
    else:  # everyone: read as a query, not as a list of a thousand ids
        shown = set()
    ticked = set(readable.filter(pk__in=ticked).values_list("pk", flat=True)) if ticked else set()
    if selected is None and found is None:
        people = list(readable)
        shown = {p.pk for p in people}
    else:
        wanted = (shown | ticked) - set(names)
        people = list(readable.filter(pk__in=wanted)) if wanted else []
    keyring.prefetch(p.data_key_id for p in people)
    names.update({p.pk: p.decrypt(keyring, only=["full_name"]).full_name or f"#{p.pk}" for p in people})

    def choice(pid: int, listed_under: str = "") -> PersonChoice:
        return PersonChoice(pk=pid, name=names.get(pid, f"#{pid}"), ticked=pid in ticked, listed_under=listed_under)

    placed: dict[int, str] = {}
    by_case: dict[int, list[int]] = {}
    for case_pk, pid in memberships:
        if pid in shown and pid not in by_case.setdefault(case_pk, []):
            by_case[case_pk].append(pid)
    groups = []
    for case in shown_cases:
        group = CaseGroup(case=case, title=titles.get(case.pk, ""))
        for pid in sorted(by_case.get(case.pk, []), key=lambda pid: names.get(pid, "")):
            group.people.append(choice(pid, placed.get(pid, "")))
            placed.setdefault(pid, case.number)
        if group.people:
            groups.append(group)
    if selected is None:
        rest = sorted(shown - set(placed), key=lambda pid: names.get(pid, ""))
        if rest:
            groups.append(CaseGroup(case=None, title="", people=[choice(pid) for pid in rest]))
            placed.update(dict.fromkeys(rest, ""))
    hidden = sorted(ticked - set(placed), key=lambda pid: names.get(pid, ""))
    if hidden:  # after what was asked for: the lawyer looks at the list shown first
        groups.append(CaseGroup(case=None, title="", people=[choice(pid) for pid in hidden], ticked_only=True))
    for group in groups:
        group.open = group.shown_open(filtered=chooser.filtered, alone=len(groups) == 1)
    chooser.groups = groups
    with transaction.atomic():  # names and case titles on the page, and those a search decrypted
        people_read(reader=user, people=sorted(names), where="power_of_attorney")
        cases_listed(reader=user, cases=[c.pk for c in cases], where="power_of_attorney")
    return chooser


def case_claimants(*, user: User, case_id: int) -> set[int]:
    """The readable persons who are claimants of one of the user's cases (to tick them all)."""
    case = cases_for(actor=user).filter(pk=case_id).first()
    if case is None:
        return set()
    return set(Claimant.objects.filter(case=case, merged_into__isnull=True,
                                       person__in=people_for(actor=user).values("pk"))
               .exclude(status=ClaimantStatus.REMOVED).values_list("person_id", flat=True))
