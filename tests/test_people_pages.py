"""A person's record in the workspace: contacts with their safety notes, cases, duplicates
merged (and separated again) by the team."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.intake import services
from defensor.intake.models import Submission
from defensor.people.models import Person
from tests.conftest import keyring_of

pytestmark = pytest.mark.django_db


def test_a_person_record_shows_how_to_reach_them_safely_and_their_case(
    anna: User, make_submission: Callable[..., Submission], verified_client: Callable[[User], Client]
) -> None:
    accepted = services.submission_accept(
        submission=make_submission(full_name="Сидоров Алексей Иванович", contact_methods=["signal"],
                                   safe_time="после 19:00"),
        accepted_by=anna, keyring=keyring_of(anna),
    )
    page = verified_client(anna).get(f"/staff/people/{accepted.person.pk}/").content.decode()
    assert '<h1 data-testid="person-name">Сидоров Алексей Иванович</h1>' in page
    assert "+79161234567" in page
    assert "после 19:00" in page
    assert accepted.case.number in page
    assert AuditEvent.objects.filter(action="person.read", details__where="person").exists()


def test_a_duplicate_is_merged_into_the_persons_record_and_separated_again(
    anna: User, make_submission: Callable[..., Submission], verified_client: Callable[[User], Client]
) -> None:
    first = services.submission_accept(submission=make_submission(full_name="Сидоров Алексей Иванович"),
                                       accepted_by=anna, keyring=keyring_of(anna))
    # A second request was accepted as a new person by mistake (Latin spelling, same phone).
    second = services.submission_accept(
        submission=make_submission(full_name="Sidorov Aleksei", phone="8 (916) 123-45-67"),
        accepted_by=anna, keyring=keyring_of(anna),
    )
    client = verified_client(anna)
    page = client.get(f"/staff/people/{second.person.pk}/").content.decode()
    duplicates = re.search(r'<table data-testid="duplicates">(.*?)</table>', page, re.S)
    assert duplicates is not None
    assert "Сидоров Алексей Иванович" in duplicates.group(1)
    assert "Тот же номер телефона" in duplicates.group(1)

    merged = client.post(f"/staff/people/{second.person.pk}/merge/", {"into": first.person.pk}, follow=True)
    text = merged.content.decode()
    assert '<h1 data-testid="person-name">Сидоров Алексей Иванович</h1>' in text
    assert re.search(r'<li data-testid="merged">Sidorov Aleksei', text)
    assert Person.objects.get(pk=second.person.pk).merged_into_id == first.person.pk
    # The duplicate no longer comes up as a separate person when a new request is matched.
    third = make_submission(full_name="Сидоров Алексей", phone="+79161234567")
    request_page = client.get(f"/staff/inbox/{third.pk}/").content.decode()
    candidates = re.search(r'<table data-testid="candidates">(.*?)</table>', request_page, re.S)
    assert candidates is not None
    assert "Sidorov Aleksei" not in candidates.group(1)

    client.post(f"/staff/people/{second.person.pk}/unmerge/")
    assert Person.objects.get(pk=second.person.pk).merged_into_id is None
    assert [e.action for e in AuditEvent.objects.filter(action__in=["person.merged", "person.unmerged"])
            .order_by("seq")] == ["person.merged", "person.unmerged"]
    assert "Sidorov Aleksei" in client.get(f"/staff/people/{second.person.pk}/").content.decode()


def test_a_record_cannot_be_merged_into_itself_and_says_why(
    anna: User, make_submission: Callable[..., Submission], verified_client: Callable[[User], Client]
) -> None:
    accepted = services.submission_accept(submission=make_submission(), accepted_by=anna, keyring=keyring_of(anna))
    page = verified_client(anna).post(f"/staff/people/{accepted.person.pk}/merge/", {"into": accepted.person.pk},
                                      follow=True).content.decode()
    assert "Карточку нельзя объединить саму с собой." in page
    assert Person.objects.get(pk=accepted.person.pk).merged_into_id is None


def test_someone_without_the_key_gets_nothing_about_the_person(
    anna: User, pavel: User, make_submission: Callable[..., Submission], verified_client: Callable[[User], Client]
) -> None:
    accepted = services.submission_accept(submission=make_submission(), accepted_by=anna, keyring=keyring_of(anna))
    assert verified_client(pavel).get(f"/staff/people/{accepted.person.pk}/").status_code == 404


def test_a_contact_is_safe_only_when_the_person_or_the_team_said_so(
    anna: User, pavel: User, make_submission: Callable[..., Submission], verified_client: Callable[[User], Client]
) -> None:
    from defensor.cases.services import case_open, case_share

    said_no = services.submission_accept(
        submission=make_submission(contact_methods=["call"], safe_to_leave_messages="no"),
        accepted_by=anna, keyring=keyring_of(anna),
    )
    handle = said_no.person.handles.get()
    assert handle.safe_to_contact is False
    said_yes = services.submission_accept(
        submission=make_submission(full_name="Другой Человек", phone="+79990001122", contact_methods=["call"],
                                   safe_to_leave_messages="yes"),
        accepted_by=anna, keyring=keyring_of(anna),
    )
    assert said_yes.person.handles.get().safe_to_contact is True
    client = verified_client(anna)
    page = client.get(f"/staff/people/{said_no.person.pk}/").content.decode()
    assert 'data-testid="handle-leave-messages"><strong>нет</strong>' in page  # what they said, not "do not contact"
    client.post(f"/staff/people/handles/{handle.pk}/safety/", {"safe_to_contact": "1", "safe_times": "по будням"})
    handle.refresh_from_db()
    assert handle.safe_to_contact is True
    assert handle.decrypt(keyring_of(anna)).safe_times == "по будням"
    assert AuditEvent.objects.filter(action="person.handle_safety_changed").count() == 1
    # Someone who cannot read the person cannot change their contacts.
    assert verified_client(pavel).post(f"/staff/people/handles/{handle.pk}/safety/", {}).status_code == 404
    # A colleague who shares one case with the person sees only that case's number.
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True)
    case_share(case=group, to_user=pavel, shared_by=anna, keyring=keyring_of(anna))
    services.submission_accept(submission=make_submission(), accepted_by=anna, keyring=keyring_of(anna),
                               person=said_no.person, case=group)
    page = verified_client(pavel).get(f"/staff/people/{said_no.person.pk}/").content.decode()
    assert group.number in page
    assert said_no.case.number not in page
