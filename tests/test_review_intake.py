"""Found in review of issue 16's intake pieces (facts carried on accept, certain matches, bulk
accept, inbox search): each test is what a lawyer or the person would have noticed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case, CaseEvent, CaseKind, Claimant, EventKind
from defensor.cases.services import case_open
from defensor.intake import services
from defensor.intake.models import Status, Submission
from defensor.people.models import Person
from tests.conftest import keyring_of

MakeSubmission = Callable[..., Submission]


def _checked(page: str, name: str) -> str | None:
    found = re.search(rf'<input type="radio" name="{name}" value="([^"]*)"[^>]*checked', page)
    return found.group(1) if found else None


# --- a certain match is certain ---------------------------------------------------------------------


def test_the_same_phone_name_birth_date_and_unit_with_another_patronymic_is_not_preselected(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True)
    first = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17")
    services.submission_accept(submission=first, accepted_by=anna, keyring=keyring_of(anna), case=group)
    known = Person.objects.get()
    # A relative on the family phone, or a namesake: another patronymic still scores 100 %.
    other = make_submission(full_name="Сидоров Алексей Петрович", birth_date="1990-05-17")
    client = verified_client(anna)
    page = client.get(f"/staff/inbox/{other.pk}/").content.decode()
    assert 'data-testid="certain"' not in page
    assert _checked(page, "person") == "new"
    assert f'name="person" value="{known.pk}"' in page  # still offered, for the lawyer to choose
    bulk = client.post("/staff/inbox/bulk/", {"action": "accept:group", "ids": [str(other.pk)]}).content.decode()
    assert _checked(bulk, f"person_{other.pk}") == "new"
    # The same man writing again, patronymic and all, is still certain.
    again = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17")
    assert _checked(client.get(f"/staff/inbox/{again.pk}/").content.decode(), "person") == str(known.pk)


# --- dates the person gave ----------------------------------------------------------------------------


def test_a_month_given_roughly_becomes_the_first_of_the_month_marked_approximate_on_every_page(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(dismissal_order_date="2022-03", dismissal_order_number=None)
    client = verified_client(anna)
    done = client.post(f"/staff/inbox/{submission.pk}/accept/",
                       {"person": "new", "case": "new", "case_kind": CaseKind.SPECIAL_RANK}, follow=True)
    assert done.status_code == 200
    event = CaseEvent.objects.get(kind=EventKind.DISMISSAL_ORDER)
    assert (event.happened_on, event.approximate) == (date(2022, 3, 1), True)
    assert "≈ 01.03.2022" in done.content.decode()  # what was carried, on the request's page
    case_page = client.get(f"/staff/cases/{event.case_id}/").content.decode()
    assert "01.03.2022" in case_page
    assert "от самого раннего возможного дня" in case_page  # the deadline says it counts from the earliest day


def test_dates_that_cannot_be_are_not_carried_and_accepting_still_works(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(dismissal_order_date="2022-02-30", refusal_date="вчера", order_date="2022-13",
                                 birth_date="1990-02-30")
    done = verified_client(anna).post(f"/staff/inbox/{submission.pk}/accept/", {"person": "new", "case": "new"},
                                      follow=True)
    assert done.status_code == 200
    assert Submission.objects.get(pk=submission.pk).status == Status.ACCEPTED
    assert not CaseEvent.objects.filter(kind__in=[EventKind.DISMISSAL_ORDER, EventKind.REFUSAL,
                                                  EventKind.ORDER_RECEIVED]).exists()
    assert "2022-02-30" not in str(list(AuditEvent.objects.values_list("details", flat=True)))


@pytest.mark.parametrize("day", ["9999-12-31", "9999-12", "0001", "1900-01-01"])
def test_a_date_no_form_would_take_is_not_carried(day: str) -> None:
    from defensor.intake.carry import given_date

    assert given_date({"d": day}, "d") is None
    assert given_date({"d": "2022-03"}, "d") is not None


# --- bulk accept: bad input ---------------------------------------------------------------------------


def test_ids_of_another_organisation_or_made_up_open_no_empty_group_claim(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    import uuid

    client = verified_client(anna)
    forged = [str(uuid.uuid4()), str(uuid.uuid4())]
    for url, data in (("/staff/inbox/bulk/", {"action": "accept:group", "ids": forged}),
                      ("/staff/inbox/accept/", {"ids": forged, "accept": "1", "case": "new", "case_title": "Иск"})):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "Ни одно из выбранных обращений не найдено" in response.content.decode()
    assert Case.objects.count() == 0
    assert not AuditEvent.objects.filter(action="case.opened").exists()


def test_a_failed_request_can_be_left_out_and_the_others_accepted_on_the_same_page(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    chosen = [make_submission(full_name=f"{surname} Иван Олегович", phone=f"+7916200000{i}")
              for i, surname in enumerate(["Иванов", "Петров", "Сидоров"])]
    client = verified_client(anna)
    page = client.post("/staff/inbox/bulk/", {"action": "accept:group",
                                              "ids": [str(s.pk) for s in chosen]}).content.decode()
    # Every request can be left out, and each "who is it" group of choices is named.
    assert page.count('data-testid="bulk-include"') == 3
    assert page.count("<fieldset") == 3
    assert "Кто написал обращение 2" in page
    services.submission_withdraw(submission=chosen[1])
    choices = {f"person_{s.pk}": "new" for s in chosen}
    form = {**choices, "accept": "1", "case": "new", "case_title": "Группа"}
    refused = client.post("/staff/inbox/accept/", {"ids": [str(s.pk) for s in chosen], **form})
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "отметка с этого обращения снята (флажок у его номера)" in text
    # The one that failed is unticked, the others stay ticked: the same button accepts them.
    assert f'name="ids" value="{chosen[1].pk}" data-testid="bulk-include"' in text
    assert f'name="ids" value="{chosen[0].pk}" checked' in text
    assert Claimant.objects.count() == 0
    done = client.post("/staff/inbox/accept/", {"ids": [str(chosen[0].pk), str(chosen[2].pk)], **form})
    assert done.status_code == 302
    assert Claimant.objects.count() == 2
    assert Submission.objects.filter(status=Status.ACCEPTED).count() == 2


# --- the case page: correcting whether a date is approximate ------------------------------------------


def test_a_lawyer_can_mark_a_date_exact_or_approximate_on_the_case_page_and_it_is_audited(
    anna: User, petra: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(dismissal_order_date="2022-03")
    accepted = services.submission_accept(submission=submission, accepted_by=anna, keyring=keyring_of(anna),
                                          case_kind=CaseKind.SPECIAL_RANK)
    event = CaseEvent.objects.get(kind=EventKind.DISMISSAL_ORDER)
    assert event.approximate
    client = verified_client(anna)
    assert "от самого раннего возможного дня" in client.get(f"/staff/cases/{accepted.case.pk}/").content.decode()
    url = f"/staff/cases/{accepted.case.pk}/events/{event.pk}/date/"
    page = client.get(f"/staff/cases/{accepted.case.pk}/").content.decode()
    assert re.search(rf'action="{url}".*?name="approximate" checked', page, re.S)
    # The lawyer found the order: 4 March, exactly.
    assert client.post(url, {"happened_on": "2022-03-04", "approximate_shown": "1"}).status_code == 302
    event.refresh_from_db()
    assert (event.happened_on, event.approximate) == (date(2022, 3, 4), False)
    audit = AuditEvent.objects.filter(action="case.event_changed").latest("pk")
    assert audit.details["approximate"] is False
    page = client.get(f"/staff/cases/{accepted.case.pk}/").content.decode()
    assert "от самого раннего возможного дня" not in page
    # And back: only roughly known after all.
    client.post(url, {"happened_on": "2022-03-04", "approximate_shown": "1", "approximate": "on"})
    event.refresh_from_db()
    assert event.approximate
    # A form without the box (an older page) leaves the flag alone.
    client.post(url, {"happened_on": "2022-03-05"})
    event.refresh_from_db()
    assert (event.happened_on, event.approximate) == (date(2022, 3, 5), True)
    # Someone who does not hold the case cannot touch it.
    assert verified_client(petra).post(url, {"happened_on": "2022-03-01", "approximate_shown": "1"}).status_code == 404
    event.refresh_from_db()
    assert event.approximate


# --- inbox search -------------------------------------------------------------------------------------


def _search(client: Client, term: str) -> str:
    response = client.post("/staff/inbox/", {"term": term})
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def _found_rows(page: str) -> int:
    return len(re.findall(r'<tr data-testid="inbox-row">', page))


def test_a_unit_written_as_people_write_it_finds_its_request(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    make_submission(full_name="Иванов Пётр", unit="войсковая часть 12345-А")
    make_submission(full_name="Петров Иван", unit="в/ч 54321")
    client = verified_client(anna)
    for written in ("в.ч. 12345", "войсковой части 12345", "Войсковая часть № 12345", "12345-А", "В/Ч12345"):
        page = _search(client, written)
        assert "Обращений из этой воинской части: 1" in page, written
        assert _found_rows(page) == 1, written
        assert "Иванов Пётр" in page, written
    # A surname that starts like "вч" or "часть" is still a surname.
    assert "с этой фамилией" in _search(client, "Частухин")


def test_a_search_after_a_flood_larger_than_one_search_indexes_says_how_many_it_could_not_search(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from defensor.intake import search

    monkeypatch.setattr(search, "INBOX_BATCH", 2)
    monkeypatch.setattr(search, "SEARCH_LIMIT", 4)
    for n in range(7):
        make_submission(full_name=f"Иванов Поздний {n}", phone=f"+7916300000{n}")
    page = _search(verified_client(anna), "Ivanov")
    assert "Обращений с этой фамилией (в любом написании): 4" in page
    note = re.search(r'data-testid="search-unsearched">(.*?)</p>', page, re.S)
    assert note is not None
    assert "3 обращения пока не охвачены поиском" in note.group(1)
    page = _search(verified_client(anna), "Ivanov")  # a minute later: the rest is searchable
    assert "Обращений с этой фамилией (в любом написании): 7" in page
    assert 'data-testid="search-unsearched"' not in page


# --- pages a person uses at length --------------------------------------------------------------------


def test_the_bulk_page_offers_the_same_person_only_for_requests_that_look_alike(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    first = make_submission(full_name="Иванов Андрей Олегович", birth_date="1990-01-01", phone="+79161000001")
    other = make_submission(full_name="Петров Борис Олегович", birth_date="1991-02-02", phone="+79161000002")
    again = make_submission(full_name="Иванов Андрей Олегович", birth_date="1990-01-01", phone="89161000001")
    page = verified_client(anna).post("/staff/inbox/bulk/", {
        "action": "accept:group", "ids": [str(s.pk) for s in (first, other, again)],
    }).content.decode()
    # Nobody alike before Петров: only "a new person record" (fourteen requests made 105 radio buttons).
    assert re.findall(rf'name="person_{other.pk}" value="([^"]*)"', page) == ["new"]
    assert re.findall(rf'name="person_{again.pk}" value="([^"]*)"', page) == ["new", f"same:{first.pk}"]
    assert _checked(page, f"person_{again.pk}") == f"same:{first.pk}"
    assert "Дата рождения: 01.01.1990" in page  # as people write it, not 1990-01-01


def test_after_accepting_the_page_opens_at_the_decision_and_what_was_carried(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission()
    client = verified_client(anna)
    page = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    # The accept form's "who is it" choice is a named group of radio buttons.
    assert re.search(r'<fieldset class="choices"><legend class="label">Человек</legend>', page)
    done = client.post(f"/staff/inbox/{submission.pk}/accept/", {"person": "new", "case": "new"})
    assert done["Location"] == f"/staff/inbox/{submission.pk}/#decision"
    page = client.get(done["Location"]).content.decode()
    assert re.search(r'id="decision".*?data-testid="carried"', page, re.S)


def test_the_inbox_folds_its_filters_until_one_is_used_and_names_each_cell_for_a_phone(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    make_submission()
    client = verified_client(anna)
    page = client.get("/staff/inbox/").content.decode()
    assert '<details class="card" data-testid="inbox-filters">' in page
    assert 'data-label="Статус"' in page
    filtered = client.get("/staff/inbox/?status=new").content.decode()
    assert '<details class="card" data-testid="inbox-filters" open>' in filtered


# --- access -------------------------------------------------------------------------------------------


def test_a_lawyer_without_the_intake_key_is_told_so_when_accepting_one_or_many(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from defensor.keys.models import KeyGrant

    submission = make_submission()
    KeyGrant.objects.filter(user=anna, material_id=submission.intake_key_id).delete()
    client = verified_client(anna)
    single = client.post(f"/staff/inbox/{submission.pk}/accept/", {"person": "new", "case": "new"}, follow=True)
    assert single.status_code == 200
    assert "У вас пока нет ключа, которым запечатано это обращение" in single.content.decode()
    page = client.post("/staff/inbox/bulk/", {"action": "accept:group", "ids": [str(submission.pk)]})
    assert page.status_code == 200
    assert "У вас нет ключа, которым запечатано это обращение" in page.content.decode()
    refused = client.post("/staff/inbox/accept/", {"ids": [str(submission.pk)], f"person_{submission.pk}": "new",
                                                   "accept": "1", "case": "new", "case_title": "Группа"})
    assert refused.status_code == 409
    assert "У вас нет ключа к этой записи" in refused.content.decode()
    assert Case.objects.count() == 0
    assert Submission.objects.get(pk=submission.pk).status == Status.NEW


def test_accepting_and_searching_need_the_pages_own_csrf_token(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission()
    client = verified_client(anna)
    client.handler.enforce_csrf_checks = True
    for url, data in ((f"/staff/inbox/{submission.pk}/accept/", {"person": "new", "case": "new"}),
                      ("/staff/inbox/bulk/", {"action": "accept:group", "ids": [str(submission.pk)]}),
                      ("/staff/inbox/accept/", {"ids": [str(submission.pk)], f"person_{submission.pk}": "new",
                                                "accept": "1", "case": "new", "case_title": "Группа"}),
                      ("/staff/inbox/", {"term": "Ivanov"})):
        assert client.post(url, data).status_code == 403, url
    assert Submission.objects.get(pk=submission.pk).status == Status.NEW
    assert not AuditEvent.objects.filter(action="submission.searched").exists()


def test_a_partner_sees_no_request_no_search_and_no_waiting_count(
    petra: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(full_name="Иванов Пётр")
    client = verified_client(petra)
    assert client.post("/staff/inbox/", {"term": "Ivanov"}).status_code == 403
    assert client.get(f"/staff/inbox/{submission.pk}/").status_code == 403
    assert client.post("/staff/inbox/bulk/", {"action": "accept:group", "ids": [str(submission.pk)]}).status_code == 403
    overview = client.get("/staff/").content.decode()
    assert 'data-testid="waiting-requests"' not in overview
    assert "Иванов" not in overview
    assert not AuditEvent.objects.filter(actor=petra, action__startswith="submission.").exists()


def test_the_request_page_links_straight_to_accepting_while_the_request_is_open(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission()
    client = verified_client(anna)
    page = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert '<a href="#accept" data-testid="to-accept">К принятию: человек и дело ↓</a>' in page
    assert 'id="accept"' in page
    assert '<dl class="answers wide-answers">' in page  # question beside answer on a wide screen
    client.post(f"/staff/inbox/{submission.pk}/accept/", {"person": "new", "case": "new"})
    assert 'data-testid="to-accept"' not in client.get(f"/staff/inbox/{submission.pk}/").content.decode()


def test_an_empty_or_too_large_selection_is_explained_in_the_inbox(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    import uuid

    client = verified_client(anna)
    for data, said in (({"action": "accept:group"}, "Выберите хотя бы одно обращение."),
                       ({"action": "accept:group", "ids": [str(uuid.uuid4()) for _ in range(101)]},
                        "Выберите не больше 100 обращений, чтобы принять их сразу."),
                       ({"action": "accept:group", "ids": ["not-an-id", "1 OR 1=1"]},
                        "Выберите хотя бы одно обращение.")):
        response = client.post("/staff/inbox/bulk/", data, follow=True)
        assert response.status_code == 200
        assert said in response.content.decode()
    assert Case.objects.count() == 0
