"""Anna, a lawyer, ticks fourteen requests in the inbox (two men wrote twice) and accepts them into
one group claim in two pages: twelve claimants, each with their dismissal order and its deadline,
typed by nobody. All or nothing: a request withdrawn meanwhile stops the whole accept."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case, CaseEvent, CaseKind, Claimant
from defensor.cases.services import case_open
from defensor.deadlines.models import Deadline
from defensor.intake import services
from defensor.intake.models import Status, Submission
from defensor.people.models import Person
from tests.conftest import keyring_of

MakeSubmission = Callable[..., Submission]

SURNAMES = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов"]
FIRST_NAMES = ["Андрей", "Борис", "Виктор", "Григорий", "Дмитрий", "Евгений", "Жорж", "Захар", "Игорь", "Кирилл",
               "Леонид", "Максим"]


def _guardsman(make_submission: MakeSubmission, i: int) -> Submission:
    return make_submission(
        full_name=f"{SURNAMES[i]} {FIRST_NAMES[i]} Олегович", birth_date=f"1990-01-{i + 1:02d}",
        phone=f"+7916100{i:04d}", dismissal_order_number=f"{i + 1} л/с", dismissal_order_date="2022-03-01",
    )


def _checked(page: str, name: str) -> str | None:
    found = re.search(rf'<input type="radio" name="{name}" value="([^"]*)"[^>]*checked', page)
    return found.group(1) if found else None


def _choices(page: str, submissions: list[Submission]) -> dict[str, str]:
    """What the page preselected for each request (what a lawyer who agrees leaves as it is)."""
    return {f"person_{s.pk}": _checked(page, f"person_{s.pk}") or "" for s in submissions}


def _open_page(client: Client, submissions: list[Submission]) -> str:
    response = client.post("/staff/inbox/bulk/", {"action": "accept:group", "ids": [str(s.pk) for s in submissions],
                                                  "back": "/staff/inbox/"})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def fourteen(make_submission: MakeSubmission) -> list[Submission]:
    twelve = [_guardsman(make_submission, i) for i in range(12)]
    repeats = [_guardsman(make_submission, 2), _guardsman(make_submission, 7)]  # two men write again
    return twelve + repeats


def test_fourteen_requests_with_two_repeats_become_one_group_claim_of_twelve_with_their_deadlines(
    anna: User, fourteen: list[Submission], verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    page = _open_page(client, fourteen)
    assert page.count('data-testid="bulk-row"') == 14
    choices = _choices(page, fourteen)
    # The repeats are offered as the same person as the earlier request; the others are new.
    assert choices[f"person_{fourteen[12].pk}"] == f"same:{fourteen[2].pk}"
    assert choices[f"person_{fourteen[13].pk}"] == f"same:{fourteen[7].pk}"
    assert sum(1 for v in choices.values() if v == "new") == 12
    assert "тот же телефон, имя, дата рождения и часть" in page
    assert '<option value="special_rank" selected>' in page  # Rosgvardia officers: a service dispute
    done = client.post("/staff/inbox/accept/", {
        "ids": [str(s.pk) for s in fourteen], **choices, "accept": "1",
        "case": "new", "case_title": "Двенадцать росгвардейцев", "case_kind": CaseKind.SPECIAL_RANK,
    }, follow=True)
    assert done.status_code == 200
    case = Case.objects.get()
    assert case.group
    assert "Принято в дело" in done.content.decode()
    assert "14 обращений от 12 человек" in done.content.decode()
    assert all(s.status == Status.ACCEPTED and s.case_id == case.pk
               for s in Submission.objects.filter(pk__in=[s.pk for s in fourteen]))
    claimants = list(Claimant.objects.filter(case=case))
    assert len(claimants) == 12
    assert Person.objects.count() == 12
    for claimant in claimants:
        dismissal = CaseEvent.objects.get(claimant=claimant, kind="dismissal_order")  # once, repeats or not
        assert dismissal.happened_on == date(2022, 3, 1)
        # ТК РФ ст. 392: 1 March 2022 → 1 April 2022, without anyone typing a date.
        assert Deadline.objects.get(claimant=claimant, rule_id="tk-392").due_on == date(2022, 4, 1)
    bulk = AuditEvent.objects.get(action="submission.accepted_bulk")
    assert bulk.actor == anna
    assert bulk.details == {"submissions": [str(s.pk) for s in sorted(fourteen, key=lambda s: s.received_at)],
                            "claimants": 12, "new_case": True}
    assert AuditEvent.objects.filter(action="submission.accepted").count() == 14


def test_a_request_withdrawn_meanwhile_stops_the_whole_accept_and_the_choices_are_kept(
    anna: User, fourteen: list[Submission], verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)
    page = _open_page(client, fourteen)
    choices = _choices(page, fourteen)
    choices[f"person_{fourteen[13].pk}"] = "new"  # the lawyer decided otherwise for the last one
    services.submission_withdraw(submission=fourteen[9])  # meanwhile, the tenth man withdraws
    refused = client.post("/staff/inbox/accept/", {
        "ids": [str(s.pk) for s in fourteen], **choices, "accept": "1",
        "case": "new", "case_title": "Двенадцать росгвардейцев", "case_kind": CaseKind.SPECIAL_RANK,
    })
    assert refused.status_code == 409
    text = refused.content.decode()
    failure = re.search(r'data-testid="bulk-failure">(.*?)</section>', text, re.S)
    assert failure is not None
    assert "Ничего не принято." in failure.group(1)
    assert "Обращение 10" in failure.group(1)
    assert "человек тем временем отозвал его" in failure.group(1)
    assert _checked(text, f"person_{fourteen[13].pk}") == "new"  # what the lawyer chose is kept
    assert _checked(text, f"person_{fourteen[12].pk}") == f"same:{fourteen[2].pk}"
    assert 'value="Двенадцать росгвардейцев"' in text
    # Nothing at all was accepted: no case, no person, no claimant, every request still open.
    assert Case.objects.count() == 0
    assert Person.objects.count() == 0
    assert Claimant.objects.count() == 0
    assert not Submission.objects.filter(status=Status.ACCEPTED).exists()
    assert not AuditEvent.objects.filter(action__in=["submission.accepted", "submission.accepted_bulk"]).exists()


def test_a_request_a_colleague_accepted_meanwhile_stops_the_accept_into_an_existing_group_claim(
    anna: User, olga: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True)
    chosen = [_guardsman(make_submission, i) for i in range(3)]
    client = verified_client(anna)
    page = _open_page(client, chosen)
    assert f'<option value="{group.pk}">' in page  # an existing group claim she works on
    services.submission_accept(submission=chosen[1], accepted_by=olga, keyring=keyring_of(olga))
    refused = client.post("/staff/inbox/accept/", {
        "ids": [str(s.pk) for s in chosen], **_choices(page, chosen), "accept": "1", "case": str(group.pk),
    })
    assert refused.status_code == 409
    assert "Обращение 2" in refused.content.decode()
    assert "оно уже принято" in refused.content.decode()
    assert Claimant.objects.filter(case=group).count() == 0
    assert Submission.objects.get(pk=chosen[0].pk).status == Status.NEW


def test_known_people_are_preselected_and_the_same_record_chosen_twice_is_one_claimant(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True,
                      kind=CaseKind.SPECIAL_RANK)
    services.submission_accept(submission=_guardsman(make_submission, 0), accepted_by=anna,
                               keyring=keyring_of(anna), case=group)
    known = Person.objects.get()
    again = _guardsman(make_submission, 0)  # certain: the known record
    # The same phone and name, another date of birth: likely him, not certain.
    possible = make_submission(full_name="Иванов Андрей Олегович", birth_date="1991-07-07", phone="+79161000000")
    client = verified_client(anna)
    page = _open_page(client, [again, possible])
    assert _checked(page, f"person_{again.pk}") == str(known.pk)
    assert _checked(page, f"person_{possible.pk}") == "new"  # listed for a decision, not decided
    assert f'name="person_{possible.pk}" value="{known.pk}"' in page  # offered, for the lawyer to choose
    client.post("/staff/inbox/accept/", {
        "ids": [str(again.pk), str(possible.pk)], f"person_{again.pk}": str(known.pk),
        f"person_{possible.pk}": str(known.pk), "accept": "1", "case": str(group.pk),  # the lawyer: him too
    })
    assert Claimant.objects.filter(case=group).count() == 1
    claimant = Claimant.objects.get(case=group)
    assert CaseEvent.objects.filter(claimant=claimant, kind="dismissal_order").count() == 1
    assert set(Submission.objects.values_list("status", flat=True)) == {Status.ACCEPTED}


def test_only_those_who_accept_requests_reach_the_page_and_the_selection_never_enters_an_address(
    anna: User, boris: User, petra: User, fourteen: list[Submission], verified_client: Callable[[User], Client]
) -> None:
    for outsider in (boris, petra):
        response = verified_client(outsider).post("/staff/inbox/accept/", {"ids": [str(fourteen[0].pk)]})
        assert response.status_code == 403
    assert verified_client(anna).get("/staff/inbox/accept/").status_code == 405
    page = _open_page(verified_client(anna), fourteen[:2])
    # The selection travels in the form (a ticked box per request, to leave one out), never the address.
    assert f'<input type="checkbox" name="ids" value="{fourteen[0].pk}" checked' in page
    assert 'action="/staff/inbox/accept/"' in page
    reads = AuditEvent.objects.filter(action="submission.read", details__where="bulk_accept")
    assert reads.count() == 1
    inbox = verified_client(anna).get("/staff/inbox/").content.decode()
    assert '<option value="accept:group">Принять в групповой иск…</option>' in inbox


def test_a_forged_choice_of_a_record_or_claim_the_lawyer_does_not_hold_accepts_nothing(
    anna: User, olga: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from defensor.people.services import person_create

    hidden = person_create(created_by=olga, keyring=keyring_of(olga), full_name="Чужой Человек")
    others = case_open(opened_by=olga, keyring=keyring_of(olga), title="Чужой иск", group=True)
    chosen = [_guardsman(make_submission, i) for i in range(2)]
    client = verified_client(anna)
    ids = [str(s.pk) for s in chosen]
    for forged in ({f"person_{chosen[0].pk}": str(hidden.pk), f"person_{chosen[1].pk}": "new", "case": "new",
                    "case_title": "Группа"},
                   {f"person_{chosen[0].pk}": "new", f"person_{chosen[1].pk}": "new", "case": str(others.pk)},
                   {f"person_{chosen[0].pk}": f"same:{chosen[1].pk}", f"person_{chosen[1].pk}": "new",
                    "case": "new", "case_title": "Группа"}):  # only an earlier request can be "the same"
        refused = client.post("/staff/inbox/accept/", {"ids": ids, "accept": "1", **forged})
        assert refused.status_code == 400
    assert not Submission.objects.filter(status=Status.ACCEPTED).exists()
    assert Claimant.objects.count() == 0
