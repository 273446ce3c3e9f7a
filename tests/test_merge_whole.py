"""Merging person records merges their claims: a group claim of twelve people, one of whom
wrote in twice, shows twelve claimants after the merge, never a doubled dismissal order or
deadline, and un-merging gives back exactly what the roster, the history, the events and the
deadlines showed before. Where the two claimants' statuses differ, the lawyer chooses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.cases import merging
from defensor.cases import services as cases
from defensor.cases.models import Case, CaseEvent, Claimant, ClaimantStatusChange, EventKind
from defensor.deadlines.models import Deadline
from defensor.deadlines.selectors import pending_for
from defensor.documents.catalogue import builtin_templates
from defensor.documents.context import document_snapshot
from defensor.people.models import Person
from defensor.people.services import person_create
from tests.conftest import keyring_of
from tests.test_cases import TWELVE, _element, _elements, _roster, _text

pytestmark = pytest.mark.django_db
MakeUser = Callable[..., User]
ClientFor = Callable[[User], Client]

DISMISSED_ON = date(2022, 3, 1)


def _url(name: str, *args: int) -> str:
    return reverse(f"staff:{name}", args=args)


def _person(lawyer: User, name: str) -> Person:
    return person_create(created_by=lawyer, keyring=keyring_of(lawyer), full_name=name, surname=name.split()[0])


def _claim_of_twelve_with_a_second_record(lawyer: User) -> tuple[Case, list[Claimant], Claimant]:
    """Twelve dismissed guardsmen in one claim, each with their dismissal order; Ivanov wrote in
    twice, and his second record became a thirteenth claimant, with the same order and a refusal
    his first record lacks."""
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Росгвардия", group=True, kind="military_admin")
    claimants = [cases.claimant_add(case=case, person=_person(lawyer, name), added_by=lawyer, keyring=keyring)
                 for name in TWELVE]
    second = cases.claimant_add(case=case, person=_person(lawyer, TWELVE[0]), added_by=lawyer, keyring=keyring)
    for claimant in [*claimants, second]:
        cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=DISMISSED_ON, claimant=claimant)
    cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.REFUSAL,
                         happened_on=date(2022, 2, 1), claimant=second, text="отказался ехать")
    return case, claimants, second


def _state(client: Client, case: Case) -> dict[str, Any]:
    """What the team sees of the claim and what lies beneath it, to compare before and after."""
    roster = client.get(_url("case-roster", case.pk)).content.decode()
    return {
        "roster": _roster(roster),
        "counts": _text(_element(roster, "roster-counts")),
        "claimants": sorted(Claimant.objects.filter(case=case).values_list(
            "pk", "person_id", "status", "status_on", "merged_into_id", "moved_from_person_id")),
        "history": sorted(ClaimantStatusChange.objects.filter(claimant__case=case).values_list(
            "pk", "claimant_id", "status", "previous", "effective_on", "reason")),
        "events": sorted(CaseEvent.objects.filter(case=case).values_list("pk", "claimant_id", "kind", "moved_from_id")),
        "deadlines": sorted(Deadline.objects.filter(case=case).values_list(
            "pk", "event_id", "claimant_id", "rule_id", "due_on", "met_on")),
    }


def test_merging_a_second_record_in_a_claim_of_twelve_leaves_twelve_and_unmerging_restores_exactly(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, claimants, second = _claim_of_twelve_with_a_second_record(lev)
    first = claimants[0]
    client = verified_client(lev)
    before = _state(client, case)
    assert len(before["roster"]) == 13
    assert before["counts"] == "active: 13"
    # Each claimant's periods from their own dismissal order (and from the refusal, the second record's).
    from_orders = pending_for(lev).filter(case=case, event__kind=EventKind.DISMISSAL_ORDER)
    assert from_orders.count() % 13 == 0
    per_claimant = from_orders.count() // 13
    assert per_claimant

    # From the second record's page: "same person: merge this record into that one".
    response = client.post(_url("person-merge", second.person_id), {"into": str(first.person_id)})
    assert response.status_code == 302
    assert response["Location"] == _url("person", first.person_id)

    after = client.get(_url("case-roster", case.pk)).content.decode()
    lines = _roster(after)
    assert [line.name for line in lines] == TWELVE  # twelve people, twelve claimants
    assert _text(_element(after, "roster-counts")) == "active: 12"
    case_page = client.get(_url("case", case.pk)).content.decode()
    assert "Administrative claimants: 12" in _text(case_page)
    # Ivanov has one dismissal order, and the refusal only his second record had.
    ivanov = client.get(_url("case-claimant", case.pk, first.pk)).content.decode()
    history = [_text(line) for line in _elements(ivanov, "history-event")]
    assert len([line for line in history if "Dismissal order" in line]) == 1
    assert len([line for line in history if "Refusal" in line]) == 1
    assert len([line for line in _elements(case_page, "timeline-event") if "Dismissal order" in line]) == 12
    refusal = CaseEvent.objects.get(case=case, kind=EventKind.REFUSAL)
    assert (refusal.claimant_id, refusal.moved_from_id) == (first.pk, second.pk)
    # The second membership is hidden everywhere: its page, the deadlines, the documents.
    assert client.get(_url("case-claimant", case.pk, second.pk)).status_code == 404
    assert from_orders.count() == 12 * per_claimant
    assert not pending_for(lev).filter(claimant=second).exists()
    assert set(pending_for(lev).filter(event=refusal).values_list("claimant_id", flat=True)) == {first.pk}
    snapshot, _people = document_snapshot(case=case, keyring=keyring_of(lev), representative=lev,
                                          include_withdrawn=True, inputs={}, template=builtin_templates()[0])
    assert snapshot["claimants_count"] == 12
    merged = AuditEvent.objects.get(action="case.claimants_merged")
    assert merged.details["claimant"] == second.pk
    assert merged.details["into_claimant"] == first.pk
    assert merged.details["events"] == [refusal.pk]
    assert merged.details["status"] == "kept"
    assert Person.objects.get(pk=second.person_id).merged_into_id == first.person_id

    # Separated again (from Ivanov's page): exactly as before.
    response = client.post(_url("person-unmerge", second.person_id))
    assert response.status_code == 302
    assert _state(client, case) == before
    unmerged = AuditEvent.objects.get(action="case.claimants_unmerged")
    assert unmerged.details["claimant"] == second.pk
    assert unmerged.details["events"] == [refusal.pk]


def test_where_the_statuses_differ_the_lawyer_chooses_and_unmerging_gives_the_old_status_back(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    keyring = keyring_of(lev)
    case, claimants, second = _claim_of_twelve_with_a_second_record(lev)
    first = claimants[0]
    other = cases.case_open(opened_by=lev, keyring=keyring, title="Второе", group=True, kind="military_admin")
    only_second = cases.claimant_add(case=other, person=second.person, added_by=lev, keyring=keyring)
    cases.claimants_status_set(case=case, claimant_ids=[second.pk], recorded_by=lev, keyring=keyring,
                               status="withdrawn", effective_on=date(2026, 1, 5), reason="family")
    client = verified_client(lev)
    before = _state(client, case)
    before_other = _state(client, other)

    # The merge asks first: both statuses named, with their dates.
    asked = client.post(_url("person-merge", second.person_id), {"into": str(first.person_id)})
    assert asked.status_code == 200
    (choice,) = _elements(asked.content.decode(), "status-choice")
    assert case.number in _text(choice)
    assert "active" in _text(choice)
    assert "withdrawn, since 05.01.2026" in _text(choice)
    assert Person.objects.get(pk=second.person_id).merged_into_id is None  # nothing merged yet
    # Sent without an answer: asked again.
    again = client.post(_url("person-merge", second.person_id), {"into": str(first.person_id), "keep_asked": "1"})
    assert again.status_code == 400
    # The service refuses too, naming the case.
    with pytest.raises(merging.StatusChoiceNeeded) as refused:
        merging.people_merge(source=second.person, into=first.person, merged_by=lev, keyring=keyring,
                             keep_status={})
    assert case.number in str(refused.value.user_message)

    response = client.post(_url("person-merge", second.person_id), {
        "into": str(first.person_id), "keep_asked": "1", f"keep_{case.pk}": "source"})
    assert response.status_code == 302
    (line,) = [line for line in _roster(client.get(_url("case-roster", case.pk)).content.decode())
               if line.name == TWELVE[0]]
    assert (line.status, line.since, line.why) == ("withdrawn", "05.01.2026", "Under pressure from family")
    # In the case where only the second record was a claimant, the kept person is the claimant now.
    (moved,) = _roster(client.get(_url("case-roster", other.pk)).content.decode())
    assert moved.name == TWELVE[0]
    assert Claimant.objects.get(pk=only_second.pk).moved_from_person_id == second.person_id
    assert Claimant.objects.get(pk=only_second.pk).person_id == first.person_id

    client.post(_url("person-unmerge", second.person_id))
    assert _state(client, case) == before
    assert _state(client, other) == before_other


def test_merging_needs_the_cases_and_the_role(
    make_user: MakeUser, verified_client: ClientFor, boris: User
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    vera = make_user("vera", Role.LAWYER, language="en")
    keyring = keyring_of(lev)
    case, claimants, second = _claim_of_twelve_with_a_second_record(lev)
    # Vera can read both person records, but not the case they are claimants of.
    for person_id in (claimants[0].person_id, second.person_id):
        from defensor.access.services import record_access_grant

        person = Person.objects.get(pk=person_id)
        record_access_grant(material=person.data_key, to_user=vera, keyring=keyring)
    response = verified_client(vera).post(_url("person-merge", second.person_id), {"into": str(claimants[0].person_id)},
                                          follow=True)
    page = _text(response.content.decode())
    assert "a colleague who holds it must merge them" in page
    assert case.number not in page
    assert Person.objects.get(pk=second.person_id).merged_into_id is None
    assert Claimant.objects.get(pk=second.pk).merged_into_id is None
    assert not AuditEvent.objects.filter(action__in=["person.merged", "case.claimants_merged"]).exists()
    # A volunteer may not merge at all.
    assert verified_client(boris).post(
        _url("person-merge", second.person_id), {"into": str(claimants[0].person_id)}).status_code == 403


def test_a_chain_of_merges_is_undone_in_reverse_order(make_user: MakeUser) -> None:
    """A into B, then B into C: C's merge is undone first, then A's, and each claim is as it was."""
    lev = make_user("lev", Role.LAWYER, language="en")
    keyring = keyring_of(lev)
    case = cases.case_open(opened_by=lev, keyring=keyring, title="Цепочка", group=True, kind="military_admin")
    a, b, c = (_person(lev, name) for name in TWELVE[:3])
    only_a = cases.claimant_add(case=case, person=a, added_by=lev, keyring=keyring)
    of_c = cases.claimant_add(case=case, person=c, added_by=lev, keyring=keyring)
    cases.case_event_add(case=case, recorded_by=lev, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                         happened_on=DISMISSED_ON, claimant=only_a)

    def state() -> list[tuple[Any, ...]]:
        return sorted(Claimant.objects.filter(case=case).values_list(
            "pk", "person_id", "merged_into_id", "moved_from_person_id")) + sorted(
            CaseEvent.objects.filter(case=case).values_list("pk", "claimant_id", "moved_from_id"))

    start = state()
    merging.people_merge(source=a, into=b, merged_by=lev, keyring=keyring, keep_status={})
    assert Claimant.objects.get(pk=only_a.pk).person_id == b.pk
    after_first = state()
    merging.people_merge(source=b, into=c, merged_by=lev, keyring=keyring, keep_status={})
    assert Claimant.objects.get(pk=only_a.pk).merged_into_id == of_c.pk
    assert CaseEvent.objects.get(case=case).claimant_id == of_c.pk
    with pytest.raises(merging.UnmergeOutOfOrder):
        merging.people_unmerge(person=a, unmerged_by=lev)
    merging.people_unmerge(person=b, unmerged_by=lev)
    assert state() == after_first
    merging.people_unmerge(person=a, unmerged_by=lev)
    assert state() == start
