"""Triage: the team turns a flood of requests into decisions — the most urgent first, nobody
left unanswered, each request assigned, answered and decided, one at a time or many at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.intake import services
from defensor.intake.models import Status, Submission, Urgency
from defensor.intake.urgency import add_months, assess
from tests.conftest import keyring_of

pytestmark = pytest.mark.django_db
MakeSubmission = Callable[..., Submission]
TODAY = date(2026, 11, 25)


# --- urgency from what the person wrote ----------------------------------------------------


def test_a_special_rank_employee_dismissed_three_weeks_ago_is_critical() -> None:
    # One month to go to court (342-FZ art. 72): three weeks gone, a week left.
    found = assess({"dismissed": "yes", "service_category": "special_rank",
                    "dismissal_order_date": (TODAY - timedelta(days=21)).isoformat()}, today=TODAY)
    assert found.level == Urgency.CRITICAL
    assert found.reasons == ("limitation_ends_soon",)
    assert found.respond_by == TODAY + timedelta(days=9)


def test_a_serviceman_dismissed_three_weeks_ago_has_time_but_is_not_ignored() -> None:
    found = assess({"dismissed": "yes", "service_category": "contract",
                    "dismissal_order_date": (TODAY - timedelta(days=21)).isoformat()}, today=TODAY)
    assert found.level == Urgency.SOON
    assert found.respond_by == date(2027, 2, 4)


def test_a_limit_that_may_have_passed_is_critical_not_dropped() -> None:
    found = assess({"dismissed": "yes", "service_category": "special_rank", "dismissal_order_date": "2026-01-10"},
                   today=TODAY)
    assert found.level == Urgency.CRITICAL
    assert found.reasons == ("limitation_passed",)


def test_criminal_cases_deployment_and_pressure_raise_urgency() -> None:
    assert assess({"criminal_case": "opened"}, today=TODAY).level == Urgency.CRITICAL
    assert assess({"criminal_case": "threatened"}, today=TODAY).level == Urgency.URGENT
    assert assess({"order_date": (TODAY + timedelta(days=3)).isoformat()}, today=TODAY).level == Urgency.URGENT
    assert assess({"order_date": "2022-02-20"}, today=TODAY).level == Urgency.NORMAL
    assert assess({"pressure": ["family"]}, today=TODAY).level == Urgency.SOON
    assert assess({"pressure": ["none"]}, today=TODAY).level == Urgency.NORMAL
    assert assess({}, today=TODAY).level == Urgency.NORMAL


def test_months_end_on_the_last_day_when_the_day_does_not_exist() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


def test_urgency_is_assessed_on_arrival_and_raised_as_the_limit_comes_closer(
    anna: User, make_submission: MakeSubmission
) -> None:
    today = timezone.localdate()
    dismissed = make_submission(dismissal_order_date=(today - timedelta(days=10)).isoformat(),
                                service_category="contract", criminal_case="none", pressure=["none"])
    assert dismissed.urgency == Urgency.SOON
    assert dismissed.respond_by == add_months(today - timedelta(days=10), 3)
    assert services.urgency_refresh(organisation=dismissed.organisation, today=today) == 0
    later = dismissed.respond_by - timedelta(days=10)
    assert services.urgency_refresh(organisation=dismissed.organisation, today=later) == 1
    dismissed.refresh_from_db()
    assert dismissed.urgency == Urgency.CRITICAL
    assert AuditEvent.objects.filter(action="intake.urgency_raised").count() == 1


# --- the inbox -------------------------------------------------------------------------------


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="inbox-row">(.*?)</tr>', page, re.S)


def test_the_inbox_puts_the_most_urgent_first_and_says_how_long_the_oldest_waited(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    calm = make_submission(full_name="Спокойный Пётр", criminal_case="none", dismissed="no", pressure=["none"],
                           dismissal_order_date=None, dismissal_order_number=None)
    Submission.objects.filter(pk=calm.pk).update(received_at=timezone.now() - timedelta(days=3))
    make_submission(full_name="Срочный Иван", criminal_case="opened")
    client = verified_client(anna)
    page = client.get("/staff/inbox/").content.decode()
    rows = _rows(page)
    assert len(rows) == 2
    assert "Срочный Иван" in rows[0]
    assert "Возбуждено уголовное дело" in rows[0]
    assert "Спокойный Пётр" in rows[1]
    assert re.search(r"Самое давнее обращение без ответа ждёт 3\xa0дня", page)
    oldest = client.get("/staff/inbox/?order=oldest").content.decode()
    assert "Спокойный Пётр" in _rows(oldest)[0]
    # Answering the oldest: now the newer one is the oldest unanswered.
    client.post(f"/staff/inbox/{calm.pk}/reply/", {"text": "Здравствуйте, мы получили ваше письмо."})
    page = client.get("/staff/inbox/").content.decode()
    assert "ждёт 0\xa0минут" in page
    reads = AuditEvent.objects.filter(action="submission.read", actor=anna)
    assert reads.filter(details__where="inbox").exists()


def test_the_inbox_filters_by_status_assignee_channel_and_urgency(
    anna: User, pavel: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    mine = make_submission(full_name="Мой Клиент", criminal_case="opened")
    services.submission_assign(submission=mine, assignee=anna, assigned_by=anna)
    spam = make_submission(full_name="Реклама Казино")
    services.submission_status_set(submission=spam, status=Status.SPAM, changed_by=anna)
    from defensor.intake.models import Channel

    make_submission(full_name="По Телефону", channel=Channel.PHONE, criminal_case="none", pressure=["none"],
                    dismissed="no", dismissal_order_date=None, dismissal_order_number=None)
    client = verified_client(anna)

    def names(query: str) -> set[str]:
        page = client.get("/staff/inbox/?" + query).content.decode()
        return {n for n in ("Мой Клиент", "Реклама Казино", "По Телефону") if n in page}

    assert names("") == {"Мой Клиент", "По Телефону"}  # spam is not in the open inbox
    assert names("status=spam") == {"Реклама Казино"}
    assert names("assigned=me") == {"Мой Клиент"}
    assert names("assigned=nobody") == {"По Телефону"}
    assert names("channel=phone") == {"По Телефону"}
    assert names("min_urgency=3") == {"Мой Клиент"}
    assert client.get("/staff/inbox/?min_urgency=9").status_code == 400  # a clear error, not a crash


def test_the_inbox_pages_through_many_requests(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    for _ in range(27):
        make_submission()
    client = verified_client(anna)
    first = client.get("/staff/inbox/").content.decode()
    second = client.get("/staff/inbox/?page=2").content.decode()
    assert len(_rows(first)) == 25
    assert len(_rows(second)) == 2
    assert "Страница 2 из 2" in second


# --- statuses, assignment, replies ---------------------------------------------------------

ALLOWED = [
    (Status.NEW, Status.IN_REVIEW), (Status.NEW, Status.NEEDS_INFO), (Status.NEW, Status.REFERRED),
    (Status.NEW, Status.REJECTED), (Status.NEW, Status.SPAM), (Status.IN_REVIEW, Status.NEW),
    (Status.IN_REVIEW, Status.NEEDS_INFO), (Status.IN_REVIEW, Status.REFERRED), (Status.IN_REVIEW, Status.REJECTED),
    (Status.IN_REVIEW, Status.SPAM), (Status.NEEDS_INFO, Status.IN_REVIEW), (Status.NEEDS_INFO, Status.REFERRED),
    (Status.NEEDS_INFO, Status.REJECTED), (Status.NEEDS_INFO, Status.SPAM), (Status.REFERRED, Status.IN_REVIEW),
    (Status.REJECTED, Status.IN_REVIEW), (Status.SPAM, Status.NEW),
]
REFUSED = [
    (Status.NEW, Status.ACCEPTED), (Status.IN_REVIEW, Status.ACCEPTED), (Status.SPAM, Status.REJECTED),
    (Status.REJECTED, Status.SPAM), (Status.REFERRED, Status.NEW), (Status.NEEDS_INFO, Status.NEW),
    (Status.ACCEPTED, Status.NEW), (Status.ACCEPTED, Status.REJECTED), (Status.SPAM, Status.IN_REVIEW),
]


@pytest.mark.parametrize(("start", "to"), ALLOWED, ids=lambda s: str(s))
def test_allowed_status_changes_are_made_and_audited(
    start: Status, to: Status, anna: User, make_submission: MakeSubmission
) -> None:
    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(status=start)
    changed = services.submission_status_set(submission=submission, status=to, changed_by=anna)
    assert Submission.objects.get(pk=submission.pk).status == to == changed.status
    event = AuditEvent.objects.get(action="submission.status_changed", target_id=str(submission.pk))
    assert event.details == {"from": start.value, "to": to.value}
    assert event.actor == anna


@pytest.mark.parametrize(("start", "to"), REFUSED, ids=lambda s: str(s))
def test_impossible_status_changes_are_refused_and_change_nothing(
    start: Status, to: Status, anna: User, make_submission: MakeSubmission
) -> None:
    submission = make_submission()
    Submission.objects.filter(pk=submission.pk).update(status=start)
    with pytest.raises(services.TransitionRefused):
        services.submission_status_set(submission=submission, status=to, changed_by=anna)
    assert Submission.objects.get(pk=submission.pk).status == start
    assert not AuditEvent.objects.filter(action="submission.status_changed").exists()


def test_a_withdrawn_request_cannot_be_triaged(anna: User, make_submission: MakeSubmission) -> None:
    submission = make_submission()
    services.submission_withdraw(submission=submission)
    with pytest.raises(services.TransitionRefused):
        services.submission_status_set(submission=submission, status=Status.IN_REVIEW, changed_by=anna)


def test_the_status_form_changes_the_status_and_explains_a_refusal(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission()
    client = verified_client(anna)
    page = client.post(f"/staff/inbox/{submission.pk}/status/", {"status": "in_review"}, follow=True)
    assert '<strong data-testid="status">на рассмотрении</strong>' in page.content.decode()
    page = client.post(f"/staff/inbox/{submission.pk}/status/", {"status": "accepted"}, follow=True)
    assert "Выберите статус." in page.content.decode()
    assert Submission.objects.get(pk=submission.pk).status == Status.IN_REVIEW


def test_requests_are_assigned_only_to_those_who_can_read_them(
    anna: User, pavel: User, boris: User, make_submission: MakeSubmission,
    verified_client: Callable[[User], Client],
) -> None:
    submission = make_submission()
    services.submission_assign(submission=submission, assignee=pavel, assigned_by=anna)
    assert Submission.objects.get(pk=submission.pk).assigned_to == pavel
    with pytest.raises(services.AssigneeRefused):
        services.submission_assign(submission=submission, assignee=boris, assigned_by=anna)  # a volunteer
    assert Submission.objects.get(pk=submission.pk).assigned_to == pavel
    client = verified_client(anna)
    client.post(f"/staff/inbox/{submission.pk}/assign/", {"assignee": ""})
    assert Submission.objects.get(pk=submission.pk).assigned_to is None
    assert [e.details["to"] for e in AuditEvent.objects.filter(action="submission.assigned").order_by("seq")] == [
        pavel.pk, None,
    ]


def test_a_reply_reaches_the_receipt_holder_and_a_question_marks_the_request(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    receipt = "1234512345123451234512345"
    submission = make_submission(receipt=receipt)
    client = verified_client(anna)
    empty = client.post(f"/staff/inbox/{submission.pk}/reply/", {"text": "", "needs_info": "on"})
    assert empty.status_code == 400
    assert "Обязательное поле" in empty.content.decode()
    assert Submission.objects.get(pk=submission.pk).status == Status.NEW
    client.post(f"/staff/inbox/{submission.pk}/reply/", {"text": "Пришлите, пожалуйста, копию приказа.",
                                                         "needs_info": "on"})
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.status == Status.NEEDS_INFO
    assert stored.answered_at is not None
    texts = [m.text for m in services.receipt_messages(submission=stored, receipt=receipt)]
    assert texts[-1] == "Пришлите, пожалуйста, копию приказа."
    page = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert "Пришлите, пожалуйста, копию приказа." in page
    assert "Приказали ехать" in page
    assert AuditEvent.objects.filter(action="submission.read", target_id=str(submission.pk)).exists()


def test_a_prepared_reply_is_offered_in_the_language_the_person_wrote_in(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    english = make_submission(language="en")
    client = verified_client(anna)
    page = client.get(f"/staff/inbox/{english.pk}/?canned=needs_info").content.decode()
    assert "To help you we need a little more information" in page
    assert client.get(f"/staff/inbox/{english.pk}/?canned=nonsense").status_code == 200


# --- bulk actions ----------------------------------------------------------------------------


def test_bulk_actions_mark_assign_and_answer_many_requests_at_once(
    anna: User, pavel: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    russian = make_submission(receipt="1111122222333334444455555")
    english = make_submission(language="en", receipt="5555544444333332222211111")
    third = make_submission()
    client = verified_client(anna)
    ids = [str(russian.pk), str(english.pk), str(third.pk)]
    client.post("/staff/inbox/bulk/", {"ids": ids, "action": f"assign:{pavel.pk}", "back": "/staff/inbox/"})
    assert set(Submission.objects.values_list("assigned_to", flat=True)) == {pavel.pk}
    client.post("/staff/inbox/bulk/", {"ids": ids[:2], "action": "reply:received", "back": "/staff/inbox/"})
    russian_texts = [m.text for m in services.receipt_messages(submission=russian, receipt="1111122222333334444455555")]
    english_texts = [m.text for m in services.receipt_messages(submission=english, receipt="5555544444333332222211111")]
    assert str(russian_texts[-1]).startswith("Здравствуйте! Мы прочитали ваше обращение.")
    assert str(english_texts[-1]).startswith("Hello. We have read your request.")
    page = client.post("/staff/inbox/bulk/", {"ids": ids, "action": "status:spam", "back": "/staff/inbox/"},
                       follow=True).content.decode()
    assert "Сделано для 3 обращений" in page
    assert set(Submission.objects.values_list("status", flat=True)) == {Status.SPAM}


def test_a_bulk_change_that_cannot_apply_to_one_request_changes_none(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    first, second = make_submission(), make_submission()
    Submission.objects.filter(pk=second.pk).update(status=Status.ACCEPTED)
    client = verified_client(anna)
    page = client.post("/staff/inbox/bulk/", {"ids": [str(first.pk), str(second.pk)], "action": "status:rejected",
                                              "back": "/staff/inbox/"}, follow=True).content.decode()
    assert "Ничего не изменено" in page
    assert Submission.objects.get(pk=first.pk).status == Status.NEW
    assert not AuditEvent.objects.filter(action="submission.status_changed").exists()
    nothing = client.post("/staff/inbox/bulk/", {"action": "status:spam", "back": "/staff/inbox/"}, follow=True)
    assert "Выберите хотя бы одно обращение" in nothing.content.decode()


def test_bulk_actions_never_reach_another_organisations_requests(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from defensor.core.models import Organisation

    other = Organisation.objects.create(name="Другая группа")
    ours = make_submission()
    Submission.objects.filter(pk=ours.pk).update(organisation=other)
    client = verified_client(anna)
    client.post("/staff/inbox/bulk/", {"ids": [str(ours.pk)], "action": "status:spam", "back": "/staff/inbox/"})
    assert Submission.objects.get(pk=ours.pk).status == Status.NEW
    assert client.get(f"/staff/inbox/{ours.pk}/").status_code == 404


def test_the_team_reads_a_request_in_full_with_its_reasons(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(criminal_case="threatened")
    page = verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert "Угрожали уголовным делом" in page
    assert "15.03.2022" in page  # dates as Russian readers write them
    assert "в/ч 12345" in page
    assert "Краснодарский край" in page


# --- hotline ----------------------------------------------------------------------------------


def _hotline_data(**changes: object) -> dict[str, object]:
    from tests.intake_visitor import DEFAULT_ANSWERS

    data: dict[str, object] = {
        f"{step}-{k}": v for step, answers in DEFAULT_ANSWERS.items() for k, v in answers.items()
    }
    data["about-full_name"] = "Петров Пётр Петрович"
    data["language"] = "ru"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_volunteer_takes_a_request_by_phone_and_it_reaches_the_inbox_sealed(
    anna: User, boris: User, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(boris)
    form = client.get("/staff/hotline/").content.decode()
    assert "Your service and the order" in form  # every step on one page, in the volunteer's language
    assert "Your refusal and what happened next" in form
    assert 'name="after-dismissal_order_date_day"' in form  # follow-ups too, "only if it applies"
    assert "Only if you answered «Yes» above." in form
    page = client.post("/staff/hotline/", _hotline_data())
    assert page.status_code == 200
    receipt = re.search(r'data-testid="receipt">([^<]+)<', page.content.decode())
    assert receipt is not None
    assert "no-store" in page["Cache-Control"]
    submission = Submission.objects.get()
    assert submission.channel == "phone"
    assert submission.held_for_review is False
    event = AuditEvent.objects.get(action="submission.received")
    assert event.actor == boris
    assert event.details["channel"] == "phone"
    assert client.get(f"/staff/inbox/{submission.pk}/").status_code == 403  # a volunteer cannot read it back
    answers = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    assert answers["full_name"] == "Петров Пётр Петрович"
    assert answers["phone"] == "+79161234567"
    assert "destination" not in answers  # a follow-up that did not apply is not kept
    # The caller reads replies with the phrase the volunteer read out.
    assert services.submission_by_receipt(receipt.group(1).strip()) == submission
    inbox = verified_client(anna).get("/staff/inbox/?channel=phone").content.decode()
    assert "Петров Пётр Петрович" in inbox


def test_a_phone_request_with_missing_answers_is_not_sent_and_nothing_typed_is_lost(
    boris: User, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(boris)
    page = client.post("/staff/hotline/", _hotline_data(**{"about-service_category": None,
                                                            "about-unit": "в/ч 55555"}))
    assert page.status_code == 400
    text = page.content.decode()
    assert "Please answer this question." in text
    assert 'value="в/ч 55555"' in text
    assert "Приказали ехать в командировку" in text
    assert not Submission.objects.exists()
    page = client.post("/staff/hotline/", _hotline_data(**{"contact-consent": None}))
    assert page.status_code == 400
    assert not Submission.objects.exists()


# --- accepting: a person and a case in one step ----------------------------------------------


def test_accepting_a_request_creates_the_person_with_contacts_and_opens_a_case(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from defensor.cases.models import Claimant
    from defensor.people.models import Person

    submission = make_submission(full_name="Сидоров Алексей Иванович", birth_date="1990-05-17",
                                 contact_methods=["call", "telegram"], other_contact="@sidorov_a")
    client = verified_client(anna)
    page = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert "Ни один известный человек не похож" in page
    # A Rosgvardia officer with a special rank: the new case is offered as a service dispute.
    assert '<option value="special_rank" selected>' in page
    done = client.post(f"/staff/inbox/{submission.pk}/accept/",
                       {"person": "new", "case": "new", "case_kind": "special_rank"}, follow=True)
    assert "Принято в дело" in done.content.decode()
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.case is not None
    assert stored.case.kind == "special_rank"
    assert client.get(f"/staff/cases/{stored.case.pk}/").status_code == 200  # the page links to it
    assert stored.status == Status.ACCEPTED
    person = Person.objects.get()
    assert stored.person == person
    values = person.decrypt(keyring_of(anna))
    assert values.full_name == "Сидоров Алексей Иванович"
    assert values.surname == "Сидоров"
    assert values.birth_date == "1990-05-17"
    assert values.unit == "в/ч 12345"
    handles = {(h.kind, h.decrypt(keyring_of(anna)).value) for h in person.handles.all()}
    assert handles == {("phone", "+79161234567"), ("telegram", "@sidorov_a")}
    claimant = Claimant.objects.get()
    assert claimant.case == stored.case
    assert claimant.person == person
    assert claimant.submission == stored
    assert stored.case is not None
    assert re.fullmatch(r"\d{4}-0001", stored.case.number)
    assert stored.case.decrypt(keyring_of(anna)).title == "Обращение: Сидоров Алексей Иванович"
    event = AuditEvent.objects.get(action="submission.accepted")
    # What the request said became case data; the audit names kinds and fields, never their values.
    assert event.details == {"person": person.pk, "case": stored.case.pk, "new_person": True, "new_case": True,
                             "carried_events": event.details["carried_events"],
                             "carried_kinds": ["order_received", "refusal", "dismissal_order"],
                             "carried_fields": ["force", "region", "service_category", "unit"],
                             "differences": [], "carried_files": 0}
    assert len(event.details["carried_events"]) == 3


def test_a_second_request_from_the_same_person_joins_their_record_and_an_existing_group_claim(
    anna: User, pavel: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from defensor.cases.models import Claimant
    from defensor.cases.services import case_open, case_share
    from defensor.people.models import Person

    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Двенадцать росгвардейцев", group=True)
    case_share(case=group, to_user=pavel, shared_by=anna, keyring=keyring_of(anna))
    first = make_submission(full_name="Сидоров Алексей Иванович", phone="+7 916 123-45-67")
    services.submission_accept(submission=first, accepted_by=anna, keyring=keyring_of(anna), case=group)
    # The same man writes again, from a form where he spelled his name in Latin letters.
    second = make_submission(full_name="Sidorov Aleksei", phone="8 (916) 123 45 67", birth_date="1990-05-17")
    client = verified_client(anna)
    page = client.get(f"/staff/inbox/{second.pk}/").content.decode()
    candidates = re.search(r'<table data-testid="candidates">(.*?)</table>', page, re.S)
    assert candidates is not None
    assert "Сидоров Алексей Иванович" in candidates.group(1)
    assert "Тот же номер телефона" in candidates.group(1)
    read = AuditEvent.objects.filter(action="case.read", actor=anna, target_id=str(second.pk)).get()
    assert read.details["cases"] == [group.pk]  # the group claims offered were decrypted: audited
    person = Person.objects.get()
    opened = AuditEvent.objects.filter(action="person.read", actor=anna, target_id=str(second.pk)).get()
    assert opened.details["people"] == [person.pk]  # every record decrypted for the match is on record
    client.post(f"/staff/inbox/{second.pk}/accept/", {"person": str(person.pk), "case": str(group.pk)})
    assert Person.objects.count() == 1  # one person, one record
    assert Claimant.objects.filter(case=group).count() == 1  # already a claimant: not added twice
    person.refresh_from_db()
    values = person.decrypt(keyring_of(anna))
    assert values.birth_date == "1990-05-17"  # what the second request adds is kept
    assert values.full_name == "Сидоров Алексей Иванович"  # what was known is not overwritten
    assert Submission.objects.get(pk=second.pk).case == group
    # Pavel works on the group claim: he can read its claimants' records.
    assert person.decrypt(keyring_of(pavel)).full_name == "Сидоров Алексей Иванович"


def test_a_new_claimant_joins_a_group_claim_and_its_whole_team_can_read_them(
    anna: User, pavel: User, make_submission: MakeSubmission
) -> None:
    from defensor.cases.services import case_open, case_share

    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True)
    case_share(case=group, to_user=pavel, shared_by=anna, keyring=keyring_of(anna))
    for name in ("Первый Иван", "Второй Пётр"):
        submission = make_submission(full_name=name, phone=None, contact_methods=["site_only"])
        services.submission_accept(submission=submission, accepted_by=anna, keyring=keyring_of(anna), case=group)
    assert sorted(c.person.decrypt(keyring_of(pavel)).full_name or "" for c in group.claimants.all()) == [
        "Второй Пётр", "Первый Иван",
    ]


def test_a_decided_request_cannot_be_accepted_and_a_single_case_takes_no_second_claimant(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from defensor.cases.services import NotAGroupCase

    spam = make_submission()
    services.submission_status_set(submission=spam, status=Status.SPAM, changed_by=anna)
    with pytest.raises(services.AcceptRefused):
        services.submission_accept(submission=spam, accepted_by=anna, keyring=keyring_of(anna))
    first = services.submission_accept(submission=make_submission(full_name="Один Человек"), accepted_by=anna,
                                       keyring=keyring_of(anna))
    other = make_submission(full_name="Другой Человек", phone="+79990001122")
    with pytest.raises(NotAGroupCase):
        services.submission_accept(submission=other, accepted_by=anna, keyring=keyring_of(anna), case=first.case)
    assert Submission.objects.get(pk=other.pk).status == Status.NEW  # nothing half-done
    client = verified_client(anna)
    refused = client.post(f"/staff/inbox/{other.pk}/accept/", {"person": "new", "case": "999999"})
    assert refused.status_code == 400
    assert "Выберите корректный вариант" in refused.content.decode()


def test_a_number_that_resolves_to_kazakhstan_is_flagged_before_anyone_calls(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    kazakh = make_submission(phone="+7 701 123 45 67")
    russian = make_submission(phone="+7 916 123 45 67")
    client = verified_client(anna)
    assert "Номер Казахстана" in client.get(f"/staff/inbox/{kazakh.pk}/").content.decode()
    assert 'data-testid="checks"' not in client.get(f"/staff/inbox/{russian.pk}/").content.decode()


def test_a_request_the_reader_holds_no_key_for_is_listed_as_encrypted_not_an_error(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    from defensor.keys.models import KeyGrant

    submission = make_submission(full_name="Закрытый Человек")
    KeyGrant.objects.filter(user=anna, material_id=submission.intake_key_id).delete()
    client = verified_client(anna)
    page = client.get("/staff/inbox/")
    assert page.status_code == 200
    assert "зашифровано" in page.content.decode()
    assert "Закрытый Человек" not in page.content.decode()
    detail = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert "У вас нет ключа, которым запечатано это обращение" in detail


def test_cases_are_numbered_after_the_highest_number_of_the_year(anna: User) -> None:
    from defensor.cases.services import case_open

    year = timezone.localdate().year
    keyring = keyring_of(anna)
    case_open(opened_by=anna, keyring=keyring, title="Вручную", number=f"{year}-0009")
    case_open(opened_by=anna, keyring=keyring, title="Другая серия", number=f"{year}-А-17")
    assert case_open(opened_by=anna, keyring=keyring, title="Следующее").number == f"{year}-0010"
    case_open(opened_by=anna, keyring=keyring, title="Очень много", number=f"{year}-9999")
    assert case_open(opened_by=anna, keyring=keyring, title="Дальше").number == f"{year}-10000"
    assert case_open(opened_by=anna, keyring=keyring, title="И ещё").number == f"{year}-10001"
