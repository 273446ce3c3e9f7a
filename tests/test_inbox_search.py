"""Inbox search and the overview's waiting requests: anna, a lawyer with 1,000 requests, finds the
one from a caller by phone number however it is written, by surname in either alphabet, by unit
or date of birth — without the term ever reaching an address, a log or the audit log — and sees
on the overview how many requests wait and for how long."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.core.models import Organisation
from defensor.intake import search, services
from defensor.intake.models import Status, Submission, SubmissionIndex
from defensor.keys.models import KeyGrant, KeyKind, KeyMaterial
from tests.conftest import OrganisationKit

pytestmark = pytest.mark.django_db
MakeSubmission = Callable[..., Submission]


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="inbox-row">(.*?)</tr>', page, re.S)


def _found(page: str) -> str:
    match = re.search(r'data-testid="search-found">(.*?)</section>', page, re.S)
    assert match, "the page does not say what was searched for"
    return match.group(1)


def _search(client: Client, term: str, query: str = "", **extra: str) -> str:
    response = client.post("/staff/inbox/" + (f"?{query}" if query else ""), {"term": term, **extra})
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


@pytest.fixture
def anna_client(anna: User, verified_client: Callable[[User], Client]) -> Client:
    return verified_client(anna)


# --- what a term is ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("term", "kind"), [
    ("+7 916 123-45-67", search.PHONE), ("8 (916) 123 45 67", search.PHONE), ("89161234567", search.PHONE),
    ("Иванов", search.SURNAME_TERM), ("Ivanov", search.SURNAME_TERM), ("Римский-Корсаков", search.SURNAME_TERM),
    ("в/ч 12345", search.UNIT_TERM), ("12345", search.UNIT_TERM), ("вч12345", search.UNIT_TERM),
    ("17.05.1990", search.BIRTH_DATE_TERM), ("1990-05-17", search.BIRTH_DATE_TERM),
    ("@ivan_p", search.CONTACT_HANDLE),
])
def test_what_a_term_is_told_by_its_shape(term: str, kind: str) -> None:
    parsed = search.parse_term(term)
    assert parsed is not None
    assert parsed.kind == kind
    assert term not in repr(parsed)  # the values never show in a traceback


@pytest.mark.parametrize("term", ["", "   ", "31.02.1990", "!!!", "12", "+7 123"])
def test_a_term_of_no_known_shape_is_refused(term: str) -> None:
    assert search.parse_term(term) is None


# --- finding requests -------------------------------------------------------------------------------


def test_a_phone_number_written_differently_finds_the_request(
    anna_client: Client, make_submission: MakeSubmission
) -> None:
    make_submission(full_name="Иванов Пётр", phone="8 916 123-45-67")
    make_submission(full_name="Сидоров Олег", phone="+7 903 000-11-22")
    for written in ("+7 (916) 123 45 67", "89161234567", "+79161234567"):
        page = _search(anna_client, written)
        rows = _rows(page)
        assert len(rows) == 1
        assert "Иванов Пётр" in rows[0]
        assert "1" in _found(page)
    # Given as the Signal number in the other contact field, it is found by phone too.
    make_submission(full_name="Кузнецов Илья", phone=None, other_contact="+7 916 555 44 33")
    assert "Кузнецов Илья" in _rows(_search(anna_client, "8-916-555-44-33"))[0]


def test_a_latin_surname_finds_a_cyrillic_one_and_back(
    anna_client: Client, make_submission: MakeSubmission
) -> None:
    make_submission(full_name="Иванов Пётр Сергеевич")
    make_submission(full_name="Vasilyev Ivan")
    make_submission(full_name="Петров Иван")
    assert [("Иванов Пётр" in r) for r in _rows(_search(anna_client, "Ivanov"))] == [True]
    assert [("Иванов Пётр" in r) for r in _rows(_search(anna_client, "иванов"))] == [True]
    assert [("Vasilyev Ivan" in r) for r in _rows(_search(anna_client, "Васильев"))] == [True]
    assert _rows(_search(anna_client, "Сидоров")) == []


def test_a_unit_and_a_date_of_birth_find_their_requests(anna_client: Client, make_submission: MakeSubmission) -> None:
    make_submission(full_name="Иванов Пётр", unit="в/ч 12345", birth_date="1990-05-17")
    make_submission(full_name="Петров Иван", unit="войсковая часть 54321", birth_date="1985-01-02")
    for term in ("в/ч 12345", "12345", "вч 12345"):
        rows = _rows(_search(anna_client, term))
        assert len(rows) == 1
        assert "Иванов Пётр" in rows[0]
    rows = _rows(_search(anna_client, "02.01.1985"))
    assert len(rows) == 1
    assert "Петров Иван" in rows[0]
    assert _rows(_search(anna_client, "03.01.1985")) == []


def test_a_search_finds_decided_requests_unless_the_lawyer_chose_statuses(
    anna: User, anna_client: Client, make_submission: MakeSubmission
) -> None:
    waiting = make_submission(full_name="Иванов Первый")
    rejected = make_submission(full_name="Иванов Второй")
    services.submission_status_set(submission=rejected, status=Status.REJECTED, changed_by=anna)
    page = _search(anna_client, "Ivanov")
    assert len(_rows(page)) == 2
    assert "2" in _found(page)
    only_new = _search(anna_client, "Ivanov", query="status=new")
    assert len(_rows(only_new)) == 1
    assert "Иванов Первый" in _rows(only_new)[0]
    assert waiting.pk


def test_search_results_page_by_post_with_the_term_kept(
    anna_client: Client, make_submission: MakeSubmission
) -> None:
    for _ in range(27):
        make_submission(full_name="Иванов Пётр")
    first = _search(anna_client, "Иванов")
    assert len(_rows(first)) == 25
    assert "27" in _found(first)
    assert 'form="inbox-search" name="page" value="2"' in first
    second = _search(anna_client, "Иванов", page="2")
    assert len(_rows(second)) == 2


def test_results_come_most_urgent_first_and_a_term_matching_too_many_says_so(
    anna_client: Client, make_submission: MakeSubmission, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_submission(full_name="Иванов Спокойный", criminal_case="none", pressure=["none"], dismissed="no",
                    dismissal_order_date=None, dismissal_order_number=None)
    make_submission(full_name="Иванов Срочный", criminal_case="opened")
    rows = _rows(_search(anna_client, "Ivanov"))
    assert "Иванов Срочный" in rows[0]
    assert "Иванов Спокойный" in rows[1]
    oldest_first = _rows(_search(anna_client, "Ivanov", query="order=oldest"))
    assert "Иванов Спокойный" in oldest_first[0]
    assert "Показаны не все" not in _search(anna_client, "Ivanov")
    monkeypatch.setattr(search, "MAX_FOUND", 1)
    assert "Показаны не все" in _found(_search(anna_client, "Ivanov"))


def test_a_request_of_another_organisation_is_never_found(
    anna_client: Client, make_submission: MakeSubmission
) -> None:
    theirs = make_submission(full_name="Иванов Чужой", phone="8 916 123-45-67")
    assert len(_rows(_search(anna_client, "89161234567"))) == 1  # indexed while it was ours
    other = Organisation.objects.create(name="Другая группа")
    Submission.objects.filter(pk=theirs.pk).update(organisation=other)
    assert _rows(_search(anna_client, "89161234567")) == []
    SubmissionIndex.objects.filter(submission=theirs).update(organisation=other)
    assert _rows(_search(anna_client, "89161234567")) == []
    assert "Иванов Чужой" not in _search(anna_client, "Иванов")


def test_a_withdrawn_request_loses_its_digests_and_is_not_found(
    anna_client: Client, make_submission: MakeSubmission
) -> None:
    gone = make_submission(full_name="Иванов Пётр", phone="8 916 123-45-67")
    assert len(_rows(_search(anna_client, "89161234567"))) == 1
    assert SubmissionIndex.objects.filter(submission=gone).exists()
    services.submission_withdraw(submission=gone)
    assert not SubmissionIndex.objects.filter(submission=gone).exists()
    assert _rows(_search(anna_client, "89161234567")) == []
    assert _rows(_search(anna_client, "Ivanov")) == []


def test_requests_arriving_after_the_last_index_are_found(
    anna: User, anna_client: Client, make_submission: MakeSubmission, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "INBOX_BATCH", 10)
    make_submission(full_name="Иванов Ранний")
    anna_client.get("/staff/inbox/")  # opening the inbox indexes a batch of pending requests
    assert search.pending_count(actor=anna) == 0
    for n in range(24):  # a flood after the last index: more than one batch
        make_submission(full_name=f"Иванов Поздний {n}")
    assert search.pending_count(actor=anna) == 24
    page = _search(anna_client, "Ivanov")
    assert "25" in _found(page)
    assert search.pending_count(actor=anna) == 0
    assert sum(e.details["count"] for e in AuditEvent.objects.filter(action="submission.indexed", actor=anna)) == 25


def test_opening_a_request_makes_it_searchable(
    anna: User, anna_client: Client, make_submission: MakeSubmission
) -> None:
    submission = make_submission(full_name="Иванов Пётр")
    assert anna_client.get(f"/staff/inbox/{submission.pk}/").status_code == 200
    submission.refresh_from_db()
    assert submission.search_key_id is not None
    assert SubmissionIndex.objects.filter(submission=submission, purpose=search.SURNAME).count() == 1
    assert AuditEvent.objects.filter(action="submission.indexed", actor=anna, target_id=str(submission.pk)).exists()


def test_a_request_taken_by_phone_is_searchable_at_once_if_the_taker_holds_the_search_key(
    anna: User, boris: User, verified_client: Callable[[User], Client]
) -> None:
    from tests.test_triage import _hotline_data

    assert verified_client(anna).post("/staff/hotline/", _hotline_data()).status_code == 200
    taken = Submission.objects.get()
    assert taken.search_key_id is not None
    assert SubmissionIndex.objects.filter(submission=taken).count() >= 2  # phone and surname at least
    # A volunteer holds no search key: the request waits for the next inbox or search.
    assert verified_client(boris).post("/staff/hotline/", _hotline_data()).status_code == 200
    later = Submission.objects.exclude(pk=taken.pk).get()
    assert later.search_key_id is None
    assert len(_rows(_search(verified_client(anna), "8 916 123 45 67"))) == 2


def test_a_new_index_key_makes_every_request_pending_again(
    anna: User, anna_client: Client, make_submission: MakeSubmission, org_kit: OrganisationKit
) -> None:
    from defensor.access.services import rotate_index_key

    make_submission(full_name="Иванов Пётр")
    assert len(_rows(_search(anna_client, "Ivanov"))) == 1
    old = KeyMaterial.objects.get(organisation=org_kit.organisation, kind=KeyKind.INDEX)
    rotate_index_key(organisation=org_kit.organisation, recovery_key=org_kit.recovery_key)
    assert search.pending_count(actor=anna) == 1
    assert len(_rows(_search(anna_client, "Ivanov"))) == 1  # indexed again with the new key first
    assert not SubmissionIndex.objects.filter(submission__search_key=old).exists()


# --- who may search; what is kept ----------------------------------------------------------------------


def test_only_those_who_triage_and_hold_the_keys_can_search(
    anna: User, boris: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    make_submission(full_name="Иванов Пётр", phone="8 916 123-45-67")
    assert verified_client(boris).post("/staff/inbox/", {"term": "89161234567"}).status_code == 403
    # Without the search key: told so, nothing listed.
    index_key = KeyMaterial.objects.get(organisation=anna.membership.organisation, kind=KeyKind.INDEX)
    KeyGrant.objects.filter(user=anna, material=index_key).delete()
    response = verified_client(anna).post("/staff/inbox/", {"term": "89161234567"})
    assert response.status_code == 400
    assert _rows(response.content.decode()) == []
    assert not SubmissionIndex.objects.exists()


def test_without_the_intake_key_requests_stay_unsearchable_not_an_error(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    submission = make_submission(full_name="Иванов Пётр")
    KeyGrant.objects.filter(user=anna, material_id=submission.intake_key_id).delete()
    page = _search(verified_client(anna), "Ivanov")
    assert _rows(page) == []
    submission.refresh_from_db()
    assert submission.search_key_id is None  # left for a colleague who holds the key


def test_the_term_is_in_no_address_log_or_audit_record(
    anna: User, anna_client: Client, make_submission: MakeSubmission, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(27):
        make_submission(full_name="Иванов Пётр", phone="8 916 123-45-67", unit="в/ч 12345")
    caplog.set_level(logging.DEBUG)
    terms = ["+7 916 123-45-67", "Ivanov", "в/ч 12345", "17.05.1990", "+7 000"]
    pages = [_search(anna_client, term) for term in terms[:4]]
    pages.append(anna_client.post("/staff/inbox/", {"term": terms[4]}).content.decode())
    pages.append(_search(anna_client, "Ivanov", page="2"))
    secrets = ["9161234567", "ivanov", "иванов", "12345", "1990", "+7 000"]
    # Ids are random hex: a UUID may happen to hold "1990" or "12345" (it did, once in a while).
    random_ids = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b")
    logged = random_ids.sub("<id>", caplog.text.lower())
    audited = random_ids.sub("<id>", json.dumps([e.details for e in AuditEvent.objects.all()],
                                                 ensure_ascii=False).lower())
    for secret in secrets:
        assert secret not in logged
        assert secret not in audited
    for page in pages:
        for address in re.findall(r'(?:href|action)="([^"]*)"', page):
            assert not any(secret in address.lower() for secret in secrets), address
    searched = AuditEvent.objects.filter(action="submission.searched", actor=anna).order_by("pk")
    assert [e.details for e in searched][:4] == [
        {"by": "phone", "found": 27}, {"by": "surname", "found": 27}, {"by": "unit", "found": 27},
        {"by": "birth_date", "found": 0},
    ]
    assert AuditEvent.objects.filter(action="submission.read", actor=anna, details__where="search").count() == 4


def test_a_term_of_no_known_shape_is_explained_on_the_page(anna_client: Client) -> None:
    response = anna_client.post("/staff/inbox/", {"term": "!!!"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


# --- the overview ------------------------------------------------------------------------------------


def test_the_overview_counts_waiting_requests_by_urgency_and_the_oldest_wait(
    anna: User, boris: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calm = {"criminal_case": "none", "pressure": ["none"], "dismissed": "no", "dismissal_order_date": None,
            "dismissal_order_number": None}
    oldest = make_submission(**calm)
    Submission.objects.filter(pk=oldest.pk).update(received_at=timezone.now() - timedelta(days=3))
    make_submission(**calm)
    make_submission(**{**calm, "criminal_case": "opened"})
    make_submission(**{**calm, "criminal_case": "threatened"})
    make_submission(**{**calm, "criminal_case": "threatened"})
    decided = make_submission(**{**calm, "criminal_case": "opened"})
    services.submission_status_set(submission=decided, status=Status.REJECTED, changed_by=anna)
    gone = make_submission(**{**calm, "criminal_case": "opened"})
    services.submission_withdraw(submission=gone)
    page = verified_client(anna).get("/staff/").content.decode()
    section = re.search(r'data-testid="waiting-requests">(.*?)</section>', page, re.S)
    assert section, "no waiting requests on the overview"
    shown = section.group(1)
    counts = dict(re.findall(r'data-testid="waiting-(\d)">[^<]*?: (\d+)<', shown))
    assert counts == {"3": "1", "2": "2", "1": "0", "0": "2"}
    assert 'href="/staff/inbox/?min_urgency=3"' in shown
    assert 'href="/staff/inbox/?order=oldest"' in shown
    assert re.search(r"3\xa0дня", shown)
    # Counting stops at a cap, so the overview costs the same with 100,000 requests.
    from defensor.intake import selectors

    monkeypatch.setattr(selectors, "WAITING_COUNT_CAP", 1)
    capped = verified_client(anna).get("/staff/").content.decode()
    assert re.search(r'data-testid="waiting-2">[^<]*: более 1<', capped)
    # A volunteer (no triage) sees no count at all.
    assert 'data-testid="waiting-requests"' not in verified_client(boris).get("/staff/").content.decode()
