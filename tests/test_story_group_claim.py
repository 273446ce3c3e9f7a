"""The founding story, walked through the staff pages as the team would (issue 16).

Twelve National Guard employees dismissed on 1 March 2022 for refusing to deploy write in, two of
them twice. An administrator adds a lawyer, who reads the requests at once and accepts all
fourteen into one group claim: twelve claimants, each with their dismissal order carried from
what they wrote, and the one-month period for a dismissal dispute (ТК РФ ст. 392) ending on
1 April 2022 — nobody types a date. A fifteenth request, from one of them on a new phone, makes a
second record that is merged back; a sixteenth, accepted into the claim by mistake, is taken off
it; nine withdraw under pressure. The roster and the documents page stay right throughout.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.cases.models import Case, CaseEvent, Claimant, ClaimantStatus, EventKind
from defensor.deadlines.models import Deadline
from defensor.intake.models import Status, Submission
from defensor.people.models import Person
from tests.test_key_handover import _create_through_team_page, _first_login

pytestmark = pytest.mark.django_db


def _today() -> str:
    return timezone.localdate().strftime("%d.%m.%Y")
MakeSubmission = Callable[..., Submission]

GUARDSMEN = [
    ("Абрамов Сергей Викторович", "8 916 100-00-01", "1990-01-11"),
    ("Белов Игорь Петрович", "8 916 100-00-02", "1991-02-12"),
    ("Васильев Олег Андреевич", "8 916 100-00-03", "1989-03-13"),
    ("Григорьев Денис Юрьевич", "8 916 100-00-04", "1992-04-14"),
    ("Дмитриев Артём Олегович", "8 916 100-00-05", "1993-05-15"),
    ("Егоров Павел Сергеевич", "8 916 100-00-06", "1988-06-16"),
    ("Жуков Максим Ильич", "8 916 100-00-07", "1994-07-17"),
    ("Зайцев Роман Николаевич", "8 916 100-00-08", "1990-08-18"),
    ("Ильин Кирилл Борисович", "8 916 100-00-09", "1991-09-19"),
    ("Карпов Виктор Алексеевич", "8 916 100-00-10", "1987-10-20"),
    ("Лебедев Антон Маратович", "8 916 100-00-11", "1995-11-21"),
    ("Морозов Глеб Степанович", "8 916 100-00-12", "1990-12-22"),
]
UNIT = "в/ч 6712"


def _request(make_submission: MakeSubmission, name: str, phone: str, born: str) -> Submission:
    return make_submission(
        full_name=name, address_as=name.split()[1], phone=phone, birth_date=born, unit=UNIT,
        service_category="special_rank", force="rosgvardia", contact_methods=["call"],
        dismissed="yes", dismissal_order_number="12 л/с", dismissal_order_date="2022-03-01",
    )


def _checked(page: str, name: str) -> str:
    """The value of the radio button the page preselected for ``name``."""
    for tag in re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page):
        if " checked" in tag:
            value = re.search(r'value="([^"]*)"', tag)
            assert value is not None
            return value.group(1)
    raise AssertionError(f"nothing preselected for {name}")


def _roster(client: Client, case: Case) -> tuple[list[str], str]:
    page = client.get(f"/staff/cases/{case.pk}/roster/")
    assert page.status_code == 200
    html = page.content.decode()
    statuses = re.findall(r'data-testid="roster-status">([^<]*)<', html)
    return statuses, html


def test_twelve_guardsmen_from_their_requests_to_the_court_papers(
    olga: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    # Fourteen requests: twelve people, two of them (Васильев and Жуков) writing a second time,
    # the repeat from the same phone written another way.
    requests = [_request(make_submission, *person) for person in GUARDSMEN]
    for index in (2, 6):
        name, phone, born = GUARDSMEN[index]
        requests.append(_request(make_submission, name, "+7" + phone[1:], born))

    # The administrator adds a lawyer; at her first login she reads every request.
    lena_client = _first_login("lena", _create_through_team_page(verified_client(olga), "lena", "lawyer"))
    for submission in requests:
        assert UNIT in lena_client.get(f"/staff/inbox/{submission.pk}/").content.decode()

    # She ticks all fourteen in the inbox and accepts them into a new group claim, taking the
    # page's own decisions: twelve people, the two repeats recognised.
    ids = [str(s.pk) for s in requests]
    page = lena_client.post("/staff/inbox/bulk/", {"action": "accept:group", "ids": ids})
    assert page.status_code == 200
    html = page.content.decode()
    choices = {f"person_{i}": _checked(html, f"person_{i}") for i in ids}
    assert sum(1 for v in choices.values() if v == "new") == 12
    assert sum(1 for v in choices.values() if v.startswith("same:")) == 2
    accepted = lena_client.post("/staff/inbox/accept/", {
        "ids": ids, **choices, "case": "new", "case_title": "Уволенные сотрудники в/ч 6712",
        "case_kind": "special_rank", "accept": "1",
    })
    assert accepted.status_code == 302
    case = Case.objects.get()
    assert accepted["Location"] == f"/staff/cases/{case.pk}/"
    assert case.group
    assert Submission.objects.filter(status=Status.ACCEPTED, case=case).count() == 14

    claimants = list(Claimant.objects.filter(case=case))
    assert len(claimants) == 12
    assert Person.objects.count() == 12
    # Every claimant's dismissal, once each, from what they wrote; and their period ends on
    # 1 April 2022 (ТК РФ ст. 392: one month).
    dismissals = CaseEvent.objects.filter(case=case, kind=EventKind.DISMISSAL_ORDER)
    assert sorted(e.claimant_id or 0 for e in dismissals) == sorted(c.pk for c in claimants)
    assert {e.happened_on for e in dismissals} == {date(2022, 3, 1)}
    assert all(e.submission_id is not None and not e.approximate for e in dismissals)
    for claimant in claimants:
        due = Deadline.objects.get(claimant=claimant, rule_id="tk-392")
        assert due.due_on == date(2022, 4, 1)
    statuses, html = _roster(lena_client, case)
    assert len(statuses) == 12
    assert f"<h1>Истцы по делу {case.number}" in html  # a service dispute: civil procedure, «истец»
    assert html.count('data-testid="roster-dismissal">01.03.2022<') == 12
    assert html.count("01.04.2022") >= 12
    case_page = lena_client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "01.04.2022" in case_page

    # A fifteenth request: Дмитриев again, from a new phone and without his date of birth. Not
    # certain, so the lawyer accepts him as a new record into the claim: 13 rows for 12 people.
    name, _phone, _born = GUARDSMEN[4]
    again = make_submission(full_name=name, phone="8 903 555-55-55", unit=UNIT, birth_date=None,
                            service_category="special_rank", force="rosgvardia", contact_methods=["call"],
                            dismissed="yes", dismissal_order_number="12 л/с", dismissal_order_date="2022-03-01")
    request_page = lena_client.get(f"/staff/inbox/{again.pk}/").content.decode()
    assert _checked(request_page, "person") == "new"
    assert lena_client.post(f"/staff/inbox/{again.pk}/accept/", {
        "person": "new", "case": str(case.pk), "case_kind": "special_rank",
    }).status_code == 302
    assert len(_roster(lena_client, case)[0]) == 13
    again.refresh_from_db()
    assert again.person is not None
    duplicate = again.person
    kept = Claimant.objects.get(case=case, submission=requests[4]).person
    # The merge: one claimant again, with one dismissal event, and his new phone kept.
    merged = lena_client.post(f"/staff/people/{duplicate.pk}/merge/", {"into": str(kept.pk)})
    assert merged.status_code == 302
    statuses, _html = _roster(lena_client, case)
    assert len(statuses) == 12
    assert CaseEvent.objects.filter(case=case, kind=EventKind.DISMISSAL_ORDER,
                                    claimant__merged_into__isnull=True).count() == 12
    assert Deadline.objects.filter(case=case, rule_id="tk-392", claimant__merged_into__isnull=True).count() == 12

    # A sixteenth request, from a conscript of another unit, is accepted into the claim by mistake
    # and taken off it again: not a withdrawal.
    stranger = make_submission(full_name="Новиков Пётр Ильич", phone="8 999 000-11-22", unit="в/ч 1111",
                               birth_date="2003-01-01", service_category="conscript", force="army")
    assert lena_client.post(f"/staff/inbox/{stranger.pk}/accept/", {
        "person": "new", "case": str(case.pk), "case_kind": "special_rank",
    }).status_code == 302
    mistaken = Claimant.objects.get(case=case, submission=stranger)
    removed = lena_client.post(f"/staff/cases/{case.pk}/roster/status/", {
        "claimants": [str(mistaken.pk)], "status": ClaimantStatus.REMOVED, "effective_on": _today(),
    })
    assert removed.status_code == 302
    statuses, html = _roster(lena_client, case)
    assert len(statuses) == 12
    assert 'data-testid="roster-removed-link"' in html

    # Nine withdraw under pressure from family or the threat of a criminal case.
    open_ones = list(Claimant.objects.filter(case=case, status=ClaimantStatus.ACTIVE, merged_into__isnull=True)
                     .exclude(pk=mistaken.pk).order_by("pk"))
    assert len(open_ones) == 12
    withdrawn = lena_client.post(f"/staff/cases/{case.pk}/roster/status/", {
        "claimants": [str(c.pk) for c in open_ones[:9]], "status": ClaimantStatus.WITHDRAWN,
        "effective_on": _today(), "reason": "family", "incident": "on",
    })
    assert withdrawn.status_code == 302
    statuses, html = _roster(lena_client, case)
    assert len(statuses) == 12
    counts = re.search(r'data-testid="roster-counts">(.*?)</p>', html, re.S)
    assert counts is not None
    shown = re.sub(r"<[^>]+>", "", counts.group(1))
    assert "вышел из иска: 9" in shown, shown
    assert re.search(r"участвует\w*: 3\b", shown) or re.search(r": 3\b", shown), shown
    assert Claimant.objects.filter(case=case, status=ClaimantStatus.WITHDRAWN).count() == 9
    assert CaseEvent.objects.filter(case=case, kind=EventKind.PRESSURE).count() == 9

    # The documents page for the reinstatement claim asks for nothing the requests contained:
    # names, dates of birth, units and dismissal orders are all there. What no request asks (place of
    # birth, residence: КАС ст. 125, ГПК ст. 131) is asked claimant by claimant, with where to fill it in.
    documents = lena_client.get(f"/staff/cases/{case.pk}/documents/new/?template=builtin:reinstatement-claim")
    assert documents.status_code == 200
    missing = re.search(r'data-testid="missing">(.*?)</div>', documents.content.decode(), re.S)
    listed = re.sub(r"<[^>]+>", " ", missing.group(1)) if missing else ""
    assert "суд" in listed  # the list is there: what no request could say (the court, the lawyer's own details)
    for contained in ("дата рождения", "приказ", "воинская часть"):
        assert contained not in listed.lower(), listed
    assert "место рождения" in listed
    assert "место жительства" in listed
    assert "идентификатор" in listed  # КАС ст. 125 / ГПК ст. 131: one of СНИЛС, ИНН, passport
    assert "денежное довольствие в месяц на день увольнения" in listed  # each claimant's sum is calculated from it
    assert "в карточке человека" in listed  # where to fill it in
