"""Told once: what a person wrote on the form becomes case data when the request is accepted (their
dismissal date starts their deadlines at once), is shown to the lawyer with a way to correct it,
and is never doubled when a second request of the same person is accepted. A certain match
preselects the known person and their case."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case, CaseEvent, CaseFile, CaseKind, Claimant
from defensor.cases.services import case_open
from defensor.deadlines.models import Deadline
from defensor.intake import services
from defensor.intake.carry import GivenDate, given_date
from defensor.intake.models import Attachment, Status, Submission
from defensor.people.models import Person
from tests.conftest import keyring_of

MakeSubmission = Callable[..., Submission]


def _checked(page: str, name: str) -> str | None:
    found = re.search(rf'<input type="radio" name="{name}" value="([^"]*)"[^>]*checked', page)
    return found.group(1) if found else None


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    found = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return found.group(1) if found else None


@pytest.mark.parametrize(("answers", "expected"), [
    ({"d": "2022-03-15"}, GivenDate(date(2022, 3, 15), approximate=False)),
    ({"d": "2022-03-15", "d_approximate": True}, GivenDate(date(2022, 3, 15), approximate=True)),
    ({"d": "2022-03"}, GivenDate(date(2022, 3, 1), approximate=True, precision="month")),
    ({"d": "2022"}, GivenDate(date(2022, 1, 1), approximate=True, precision="year")),
    ({"d": "2022-03", "d_approximate": True}, GivenDate(date(2022, 3, 1), approximate=True, precision="month")),
    ({"d": "2022-13"}, None),
    ({"d": "2022-02-30"}, None),
    ({"d": "15.03.2022"}, None),
    ({}, None),
])
def test_a_date_answer_may_be_a_day_a_month_or_a_year_and_rough_is_the_earliest_day(
    answers: dict[str, object], expected: GivenDate | None
) -> None:
    assert given_date(answers, "d") == expected


def test_accepting_carries_the_dates_service_and_files_and_the_dismissal_starts_the_deadline_at_once(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(full_name="Сидоров Алексей Иванович", dismissal_order_number="12",
                                 dismissal_order_date="2022-03-01")
    Attachment.objects.create(submission=submission, size=65536, file_key=b"k", meta=b"m")
    client = verified_client(anna)
    done = client.post(f"/staff/inbox/{submission.pk}/accept/",
                       {"person": "new", "case": "new", "case_kind": "special_rank"}, follow=True)
    page = done.content.decode()
    # The flash message counts (it is kept in the session: no dates in it), the page lists.
    assert "Перенесено из обращения: 3 события, 4 поля карточки человека, 1 файл." in page
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.case is not None
    claimant = Claimant.objects.get(case=stored.case)
    events = {e.kind: e for e in CaseEvent.objects.filter(claimant=claimant)}
    assert {kind: e.happened_on for kind, e in events.items()} == {
        "order_received": date(2022, 2, 20), "refusal": date(2022, 2, 24), "dismissal_order": date(2022, 3, 1),
    }
    assert all(e.submission_id == submission.pk and not e.approximate for e in events.values())
    assert events["dismissal_order"].decrypt(keyring_of(anna)).text == "Приказ № 12 от 01.03.2022"
    # ТК РФ ст. 392: a month from the order, without anyone typing a date.
    deadline = Deadline.objects.get(claimant=claimant, rule_id="tk-392")
    assert deadline.due_on == date(2022, 4, 1)
    person = Person.objects.get()
    values = person.decrypt(keyring_of(anna))
    assert (values.unit, values.force, values.service_category, values.region) == (
        "в/ч 12345", "rosgvardia", "special_rank", "RU-KDA")
    assert CaseFile.objects.filter(case=stored.case, claimant=claimant).count() == 1
    carried = re.search(r'data-testid="carried">(.*?)</div>', page, re.S)
    assert carried is not None
    text = carried.group(1)
    assert "Приказ об увольнении" in text
    assert "01.03.2022" in text
    assert "20.02.2022" in text
    assert f'href="/staff/cases/{stored.case.pk}/#timeline"' in text  # where the date is corrected
    assert "Росгвардия" in text or "Воинская часть" in text
    assert "1 файл" in text
    # Audited with kinds and field names only: nothing the person wrote.
    accepted = AuditEvent.objects.get(action="submission.accepted")
    assert accepted.details["carried_kinds"] == ["order_received", "refusal", "dismissal_order"]
    assert accepted.details["carried_files"] == 1
    added = AuditEvent.objects.filter(action="case.event_added")
    assert {e.details["submission"] for e in added} == {str(submission.pk)}
    # Field names only, never what the person wrote (the unit, the order number).
    assert accepted.details["differences"] == []
    assert accepted.details["carried_fields"] == ["force", "region", "service_category", "unit"]


def test_a_second_request_of_the_same_person_adds_no_event_twice_and_differences_are_shown_not_applied(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True,
                      kind=CaseKind.SPECIAL_RANK)
    first = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17",
                            dismissal_order_date="2022-03-01")
    services.submission_accept(submission=first, accepted_by=anna, keyring=keyring_of(anna), case=group)
    person = Person.objects.get()
    second = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17",
                             dismissal_order_date="2022-03-03", unit="в/ч 54321", force="army")
    client = verified_client(anna)
    done = client.post(f"/staff/inbox/{second.pk}/accept/", {"person": str(person.pk), "case": str(group.pk)},
                       follow=True).content.decode()
    assert "Перенесено из обращения:" not in done  # the flash message: nothing new was written
    assert "3 расхождения между обращением и карточками не применены" in done
    claimant = Claimant.objects.get(case=group)
    assert CaseEvent.objects.filter(claimant=claimant).count() == 3  # order, refusal, dismissal: once each
    dismissal = CaseEvent.objects.get(claimant=claimant, kind="dismissal_order")
    assert dismissal.happened_on == date(2022, 3, 1)
    values = Person.objects.get().decrypt(keyring_of(anna))
    assert (values.unit, values.force) == ("в/ч 12345", "rosgvardia")  # not overwritten
    page = client.get(f"/staff/inbox/{second.pk}/").content.decode()
    differences = re.search(r'data-testid="carried-differences">(.*?)</ul>', page, re.S)
    assert differences is not None
    assert "в обращении указано 03.03.2022; в деле — 01.03.2022" in differences.group(1)
    assert "в/ч 54321" in differences.group(1)
    assert "в/ч 12345" in differences.group(1)
    assert f'href="/staff/people/{person.pk}/"' in differences.group(1)
    # The order and refusal dates the second request repeats are listed as already in the case.
    events = re.search(r'data-testid="carried-events">(.*?)</ul>', page, re.S)
    assert events is not None
    assert events.group(1).count("уже есть в деле с этой датой") == 2
    assert "20.02.2022" in events.group(1)
    accepted = AuditEvent.objects.filter(action="submission.accepted").order_by("pk").last()
    assert accepted is not None
    assert accepted.details["carried_kinds"] == []
    assert accepted.details["differences"] == ["dismissal_order", "force", "unit"]


def test_a_rough_date_is_carried_as_the_earliest_day_and_marked_approximate(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(dismissal_order_date="2022-03", refusal_date="2022-02-24",
                                 refusal_date_approximate=True, order_date="2022")
    client = verified_client(anna)
    client.post(f"/staff/inbox/{submission.pk}/accept/", {"person": "new", "case": "new"})
    events = {e.kind: e for e in CaseEvent.objects.all()}
    assert (events["dismissal_order"].happened_on, events["dismissal_order"].approximate) == (date(2022, 3, 1), True)
    assert (events["refusal"].happened_on, events["refusal"].approximate) == (date(2022, 2, 24), True)
    assert (events["order_received"].happened_on, events["order_received"].approximate) == (date(2022, 1, 1), True)
    assert events["dismissal_order"].decrypt(keyring_of(anna)).text == "Приказ № 45 л/с от 03.2022"
    page = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert "≈ 01.03.2022" in page


def test_what_was_carried_is_shown_only_to_those_who_hold_the_case(
    anna: User, pavel: User, boris: User, make_submission: MakeSubmission,
    verified_client: Callable[[User], Client],
) -> None:
    submission = make_submission()
    services.submission_accept(submission=submission, accepted_by=anna, keyring=keyring_of(anna))
    assert 'data-testid="carried"' in verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode()
    # Pavel triages requests but was not given the case: the request page shows no case data.
    page = verified_client(pavel).get(f"/staff/inbox/{submission.pk}/")
    assert page.status_code == 200
    assert 'data-testid="carried"' not in page.content.decode()
    # A volunteer cannot accept at all, so nothing is carried.
    other = make_submission(phone="+79990001122")
    refused = verified_client(boris).post(f"/staff/inbox/{other.pk}/accept/", {"person": "new", "case": "new"})
    assert refused.status_code == 403
    assert Submission.objects.get(pk=other.pk).status == Status.NEW
    assert Case.objects.count() == 1


# --- a certain match preselects the known person and their case ------------------------------------


def test_a_certain_match_preselects_the_known_person_and_their_open_case(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True)
    first = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17")
    services.submission_accept(submission=first, accepted_by=anna, keyring=keyring_of(anna), case=group)
    person = Person.objects.get()
    again = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17")
    page = verified_client(anna).get(f"/staff/inbox/{again.pk}/").content.decode()
    assert _checked(page, "person") == str(person.pk)
    assert _selected(page, "case") == str(group.pk)
    certain = re.search(r'data-testid="certain">(.*?)</p>', page, re.S)
    assert certain is not None
    assert "тот же телефон, имя, дата рождения и часть" in certain.group(1)
    assert group.number in certain.group(1)


def test_a_person_in_their_own_single_case_is_preselected_with_it(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    first = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17")
    own = services.submission_accept(submission=first, accepted_by=anna, keyring=keyring_of(anna)).case
    again = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17")
    page = verified_client(anna).get(f"/staff/inbox/{again.pk}/").content.decode()
    assert _selected(page, "case") == str(own.pk)
    verified_client(anna).post(f"/staff/inbox/{again.pk}/accept/",
                               {"person": _checked(page, "person"), "case": str(own.pk)})
    assert Claimant.objects.filter(case=own).count() == 1
    assert Submission.objects.get(pk=again.pk).case == own


def test_a_merely_possible_match_preselects_nothing(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True)
    first = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17")
    services.submission_accept(submission=first, accepted_by=anna, keyring=keyring_of(anna), case=group)
    # Same phone, name and date of birth, another unit: likely, not certain.
    moved = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17", unit="в/ч 99999")
    page = verified_client(anna).get(f"/staff/inbox/{moved.pk}/").content.decode()
    assert 'data-testid="candidates"' in page
    assert _checked(page, "person") == "new"
    assert _selected(page, "case") == "new"
    assert 'data-testid="certain"' not in page


def test_nothing_the_person_wrote_reaches_a_table_in_plaintext_when_it_is_carried(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from django.contrib.sessions.models import Session

    from defensor.audit.models import AuditEvent as Audit
    from defensor.cases.models import CaseFile as File
    from defensor.deadlines.models import Deadline as Due
    from defensor.people.models import Handle
    from tests.canary import Canaries, scan_bytes, stored_bytes

    canaries = Canaries()
    number, unit = canaries.new("номер-приказа")[:60], canaries.new("часть")[:100]
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True)
    first = make_submission(full_name=canaries.new("имя"), dismissal_order_number=number, unit=unit)
    second = make_submission(full_name=canaries.new("другое-имя"), phone="+79990001122",
                             dismissal_order_number=canaries.new("второй-номер")[:60], unit=canaries.new("в/ч")[:100])
    client = verified_client(anna)
    client.post(f"/staff/inbox/{first.pk}/accept/", {"person": "new", "case": str(group.pk)}, follow=True)
    page = client.post("/staff/inbox/bulk/", {"action": "accept:group", "ids": [str(second.pk)]}).content.decode()
    assert _checked(page, f"person_{second.pk}") == "new"
    client.post("/staff/inbox/accept/", {"ids": [str(second.pk)], f"person_{second.pk}": "new", "accept": "1",
                                         "case": str(group.pk)}, follow=True)
    assert Claimant.objects.filter(case=group).count() == 2
    stored = stored_bytes(CaseEvent, File, Due, Claimant, Case, Person, Handle, Submission, Audit, Session)
    hits = scan_bytes("tables", stored, canaries)
    assert not hits, "\n".join(hits)
    # And the lawyer reads them.
    text = CaseEvent.objects.get(claimant__submission=first, kind="dismissal_order").decrypt(keyring_of(anna)).text
    assert text == f"Приказ № {number} от 15.03.2022"
