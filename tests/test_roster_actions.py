"""What a lawyer does from a group claim's roster: take off someone added by mistake (not a
withdrawal, never counted as one, and reversible), record one event for several claimants at
once (never a second dismissal order), and see which dates were given only roughly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.cases import services as cases
from defensor.cases.models import CaseEvent, ClaimantStatus, EventKind
from defensor.deadlines.models import Deadline
from defensor.deadlines.selectors import pending_for
from defensor.documents.catalogue import builtin_templates
from defensor.documents.context import document_snapshot
from tests.conftest import keyring_of
from tests.test_cases import TWELVE, _element, _elements, _group_case, _history, _roster, _text

pytestmark = pytest.mark.django_db
MakeUser = Callable[..., User]
ClientFor = Callable[[User], Client]

DISMISSED_ON = date(2022, 3, 1)


def _url(name: str, *args: int) -> str:
    return reverse(f"staff:{name}", args=args)


def test_someone_added_by_mistake_is_removed_without_counting_as_a_withdrawal_and_can_come_back(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    keyring = keyring_of(lev)
    case, claimants = _group_case(lev, "Росгвардия", TWELVE)
    mistaken = claimants[4]
    for claimant in claimants:
        cases.case_event_add(case=case, recorded_by=lev, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=DISMISSED_ON, claimant=claimant)
    client = verified_client(lev)

    # From the roster's bulk form: no reason asked, a note allowed.
    response = client.post(_url("case-roster-status", case.pk), {
        "claimants": [str(mistaken.pk)], "status": "removed", "effective_on": "2026-01-10", "reason": "",
        "note": "другой Смирнов"})
    assert response.status_code == 302
    roster = client.get(_url("case-roster", case.pk)).content.decode()
    assert [line.name for line in _roster(roster)] == [n for n in TWELVE if n != TWELVE[4]]
    counts = _text(_element(roster, "roster-counts"))
    assert counts.startswith("active: 11")
    assert "withdrawn" not in counts
    assert "1 removed as added by mistake" in counts
    removed = client.get(_url("case-roster", case.pk) + "?removed=1").content.decode()
    assert [line.name for line in _roster(removed)] == [TWELVE[4]]
    assert "Administrative claimants: 11" in _text(client.get(_url("case", case.pk)).content.decode())
    # The history says what happened; it is not a withdrawal (no reason, no incident).
    assert ("status", "10.01.2026 removed (added by mistake) другой Смирнов lev") in _history(client, mistaken)
    assert not CaseEvent.objects.filter(kind=EventKind.PRESSURE).exists()
    # No deadline, no reminder, no document for them.
    assert not pending_for(lev).filter(claimant=mistaken).exists()
    assert pending_for(lev).filter(claimant=claimants[0]).exists()
    snapshot, people = document_snapshot(case=case, keyring=keyring, representative=lev, include_withdrawn=True,
                                         inputs={}, template=builtin_templates()[0])
    assert snapshot["claimants_count"] == 11
    assert mistaken.person_id not in people

    # Removing them was the mistake: back into the claim, from their page, recorded in the history.
    back = client.post(_url("case-claimant-status", case.pk, mistaken.pk),
                       {"status": "active", "effective_on": "2026-01-12", "reason": ""})
    assert back.status_code == 302
    assert [line.name for line in _roster(client.get(_url("case-roster", case.pk)).content.decode())] == TWELVE
    assert ("status", "12.01.2026 active lev") in _history(client, mistaken)
    assert pending_for(lev).filter(claimant=mistaken).exists()
    statuses = AuditEvent.objects.filter(action="case.claimant_status").order_by("id")
    assert [(e.details["status"], e.details["reason"]) for e in statuses] == [("removed", None), ("active", None)]


def test_only_someone_in_the_claim_can_be_removed_as_added_by_mistake(anna: User) -> None:
    keyring = keyring_of(anna)
    case, (withdrawn,) = _group_case(anna, "Росгвардия", TWELVE[:1])
    cases.claimants_status_set(case=case, claimant_ids=[withdrawn.pk], recorded_by=anna, keyring=keyring,
                               status="withdrawn", effective_on=date(2026, 1, 5), reason="family")
    with pytest.raises(cases.StatusNotAllowed):
        cases.claimants_status_set(case=case, claimant_ids=[withdrawn.pk], recorded_by=anna, keyring=keyring,
                                   status="removed", effective_on=date(2026, 1, 6))
    withdrawn.refresh_from_db()
    assert withdrawn.status == ClaimantStatus.WITHDRAWN


def test_one_event_for_several_claimants_at_once_never_a_second_dismissal_order(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, claimants = _group_case(lev, "Росгвардия", TWELVE)
    client = verified_client(lev)
    action = _url("case-roster-events", case.pk)
    roster = client.get(_url("case-roster", case.pk)).content.decode()
    assert f'formaction="{action}"' in roster

    first_three = [str(c.pk) for c in claimants[:3]]
    response = client.post(action, {
        "claimants": first_three, "event-kind": "dismissal_order", "event-happened_on": "2022-03-01",
        "event-approximate": "on", "event-text": "приказ № 12 л/с"})
    assert response.status_code == 302
    events = list(CaseEvent.objects.filter(case=case, kind=EventKind.DISMISSAL_ORDER).order_by("claimant_id"))
    assert [e.claimant_id for e in events] == [c.pk for c in claimants[:3]]
    assert all(e.approximate and e.happened_on == DISMISSED_ON for e in events)
    assert all(e.decrypt(keyring_of(lev)).text == "приказ № 12 л/с" for e in events)
    assert set(Deadline.objects.filter(case=case).values_list("claimant_id", flat=True)) == {
        c.pk for c in claimants[:3]}
    (audit,) = AuditEvent.objects.filter(action="case.events_added")
    assert audit.details["claimants"] == [c.pk for c in claimants[:3]]
    assert audit.details["kind"] == "dismissal_order"
    assert audit.details["skipped"] == []
    assert "приказ" not in str(audit.details)

    # The roster's dismissal column says the date is approximate.
    lines = _elements(client.get(_url("case-roster", case.pk)).content.decode(), "roster-dismissal")
    assert [_text(cell) for cell in lines[:4]] == ["≈ 01.03.2022"] * 3 + ["—"]

    # Again for the first four: the three who have their order are named, not given a second one.
    again = client.post(action, {
        "claimants": [*first_three, str(claimants[3].pk)], "event-kind": "dismissal_order",
        "event-happened_on": "2022-03-02"}, follow=True)
    page = _text(again.content.decode())
    assert "Event recorded for 1 claimant." in page
    assert f"Already recorded, not added again: {', '.join(TWELVE[:3])}." in page
    assert CaseEvent.objects.filter(case=case, kind=EventKind.DISMISSAL_ORDER).count() == 4
    latest = AuditEvent.objects.filter(action="case.events_added").order_by("-id")[0]
    assert latest.details["skipped"] == [c.pk for c in claimants[:3]]

    # Nothing ticked: refused, nothing recorded.
    refused = client.post(action, {"event-kind": "contact", "event-happened_on": "2026-01-10"})
    assert refused.status_code == 400
    assert not CaseEvent.objects.filter(kind=EventKind.CONTACT).exists()


def test_events_for_several_need_the_case_and_the_role(
    make_user: MakeUser, verified_client: ClientFor, petra: User
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    vera = make_user("vera", Role.LAWYER, language="en")
    case, claimants = _group_case(lev, "Росгвардия", TWELVE[:2])
    cases.case_share(case=case, to_user=petra, shared_by=lev, keyring=keyring_of(lev))
    form = {"claimants": [str(c.pk) for c in claimants], "event-kind": "hearing", "event-happened_on": "2026-01-10"}
    assert verified_client(vera).post(_url("case-roster-events", case.pk), form).status_code == 404
    assert verified_client(petra).post(_url("case-roster-events", case.pk), form).status_code == 403
    assert not CaseEvent.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action="case.events_added").exists()


def test_an_approximate_date_is_marked_on_every_page_that_shows_it(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    case, (claimant,) = _group_case(lev, "Росгвардия", TWELVE[:1])
    client = verified_client(lev)
    # The claimant page's event form has the checkbox.
    response = client.post(_url("case-event", case.pk), {
        "kind": "dismissal_order", "happened_on": "2022-03-01", "approximate": "on", "claimant": str(claimant.pk),
        "back": _url("case-claimant", case.pk, claimant.pk), "claimant_page": "1"})
    assert response.status_code == 302
    assert CaseEvent.objects.get(case=case).approximate
    own = client.get(_url("case-claimant", case.pk, claimant.pk)).content.decode()
    assert 'name="approximate"' in own
    assert _text(_element(own, "claimant-dismissal")) == "≈ 01.03.2022 (approximately: the earliest day it can be)"
    case_page = client.get(_url("case", case.pk)).content.decode()
    assert 'name="approximate"' in case_page
    timeline = [_text(line) for line in _elements(case_page, "timeline-event")]
    assert any(line.startswith("≈ 01.03.2022 Dismissal order") for line in timeline)
    marks = _elements(case_page, "deadline-approximate")
    assert marks
    assert all(_text(m) == "the date is approximate: counted from the earliest day it can be" for m in marks)
    # Counted from the earliest possible day, the date given.
    assert Deadline.objects.filter(case=case, event__happened_on=DISMISSED_ON).exists()


def test_the_roster_reads_the_same_number_of_queries_for_3_and_12_claimants(
    make_user: MakeUser, verified_client: ClientFor
) -> None:
    lev = make_user("lev", Role.LAWYER, language="en")
    keyring = keyring_of(lev)
    client = verified_client(lev)
    counted = []
    for names in (TWELVE[:3], TWELVE):
        case, claimants = _group_case(lev, "Росгвардия", names)
        cases.case_events_add_for_claimants(case=case, claimant_ids=[c.pk for c in claimants], recorded_by=lev,
                                            keyring=keyring, kind="dismissal_order", happened_on=DISMISSED_ON,
                                            approximate=True)
        cases.claimants_status_set(case=case, claimant_ids=[claimants[0].pk], recorded_by=lev, keyring=keyring,
                                   status="removed", effective_on=date(2026, 1, 5))
        client.get(_url("case-roster", case.pk))  # the session and the keys warmed
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url("case-roster", case.pk)).status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]
