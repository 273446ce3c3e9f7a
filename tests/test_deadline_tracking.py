"""Due dates a team keeps: met by the filing (or by hand), the overview's overdue and next 14 days,
the calendar feed without names, reminders from the background worker to whoever answers for the case."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.cases import services as cases
from defensor.cases.models import Case, Claimant, EventKind
from defensor.deadlines.models import CalendarFeed, Deadline, Reminder
from defensor.deadlines.services import deadline_reminders_send
from defensor.deadlines.tasks import REMINDERS_TASK, reminders_schedule
from defensor.people.services import person_create
from tests.conftest import keyring_of

TODAY = timezone.localdate


def _group(lawyer: User, names: list[str], *, kind: str = "military_admin") -> tuple[Case, list[Claimant]]:
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Отказ от командировки", group=True, kind=kind)
    claimants = []
    for name in names:
        person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0])
        claimants.append(cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring))
    return case, claimants


def _event(lawyer: User, case: Case, kind: str, on: date, claimant: Claimant | None = None) -> None:
    cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring_of(lawyer), kind=kind, happened_on=on,
                         claimant=claimant)


def _section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


@pytest.mark.django_db
def test_the_claim_filed_for_the_group_meets_every_claimants_period_and_one_appeal_only_its_own(
    anna: User,
) -> None:
    case, (gusev, titov) = _group(anna, ["Гусев Андрей Ильич", "Титов Иван Петрович"])
    for claimant in (gusev, titov):
        _event(anna, case, EventKind.DISMISSAL_ORDER, date(2024, 9, 30), claimant)
    assert Deadline.objects.filter(rule_id="kas-219", met_on__isnull=True).count() == 2

    # A filing before the dismissal does not count; the group claim filed after it meets both.
    _event(anna, case, EventKind.FILING, date(2024, 9, 1))
    assert Deadline.objects.filter(rule_id="kas-219", met_on__isnull=True).count() == 2
    _event(anna, case, EventKind.FILING, date(2024, 12, 2))
    assert set(Deadline.objects.filter(rule_id="kas-219").values_list("met_on", flat=True)) == {date(2024, 12, 2)}

    # A decision for the case: its appeal period; one claimant's own appeal does not meet the case's.
    _event(anna, case, EventKind.DECISION, date(2025, 3, 3))
    _event(anna, case, EventKind.APPEAL, date(2025, 3, 20), gusev)
    appeal = Deadline.objects.get(rule_id="kas-298")
    assert appeal.claimant_id is None
    assert appeal.met_on is None
    _event(anna, case, EventKind.APPEAL, date(2025, 3, 25))
    appeal.refresh_from_db()
    assert appeal.met_on == date(2025, 3, 25)


@pytest.mark.django_db
def test_marking_a_due_date_met_by_hand_is_audited_survives_a_date_correction_and_can_be_taken_back(
    anna: User, verified_client: Callable[[User], Client],
) -> None:
    case, (gusev,) = _group(anna, ["Гусев Андрей Ильич"])
    _event(anna, case, EventKind.DISMISSAL_ORDER, date(2024, 9, 30), gusev)
    deadline = Deadline.objects.get(rule_id="kas-219")
    client = verified_client(anna)
    url = f"/staff/cases/{case.pk}/deadlines/{deadline.pk}/met/"

    future = (TODAY() + timedelta(days=3)).strftime("%d.%m.%Y")
    page = client.post(url, {"met_on": future}, follow=True).content.decode()
    assert "cannot be in the future" in page or "не может быть в будущем" in page
    deadline.refresh_from_db()
    assert deadline.met_on is None

    page = client.post(url, {"met_on": "05.12.2024"}, follow=True).content.decode()
    state = _section(page, "deadlines").split('data-testid="deadline-state">', 1)[1].split("</td>", 1)[0]
    assert "05.12.2024" in state
    assert "anna" in state
    assert AuditEvent.objects.get(action="deadline.met").details["met_on"] == "2024-12-05"

    # The dismissal date corrected: the due date moves, the mark made by hand stays.
    event = deadline.event
    cases.case_event_update(event=event, edited_by=anna, keyring=keyring_of(anna), happened_on=date(2024, 10, 14))
    moved = Deadline.objects.get(pk=deadline.pk)
    assert (moved.due_on, moved.met_on) == (date(2025, 1, 14), date(2024, 12, 5))

    client.post(f"/staff/cases/{case.pk}/deadlines/{deadline.pk}/reopen/")
    deadline.refresh_from_db()
    assert deadline.met_on is None
    assert AuditEvent.objects.filter(action="deadline.reopened").count() == 1


@pytest.mark.django_db
def test_the_overview_lists_what_is_missed_and_due_within_two_weeks_by_case_number_without_names(
    anna: User, make_user: Callable[..., User], verified_client: Callable[[User], Client],
) -> None:
    names = ["Гусев Андрей Ильич", "Титов Иван Петрович", "Зуев Олег Романович"]
    case, claimants = _group(anna, names)
    # A lawyer's request sent 29 days ago (reply due in 30 days), and one sent 60 days ago, unanswered.
    _event(anna, case, EventKind.LAWYER_REQUEST, TODAY() - timedelta(days=29))
    _event(anna, case, EventKind.LAWYER_REQUEST, TODAY() - timedelta(days=60))
    # Three claimants dismissed 40 days ago: a month for a dismissal dispute... in a CAP case it is
    # three months (kas-219): not due within two weeks, not listed.
    for claimant in claimants:
        _event(anna, case, EventKind.DISMISSAL_ORDER, TODAY() - timedelta(days=40), claimant)
    # Another lawyer's case, not shared with anna: never on her overview.
    ivan = make_user("ivan", Role.LAWYER)
    hidden, _ = _group(ivan, ["Скрытый Пётр Петрович"])
    _event(ivan, hidden, EventKind.LAWYER_REQUEST, TODAY() - timedelta(days=29))

    page = verified_client(anna).get("/staff/").content.decode()
    due = _section(page, "due-dates")
    upcoming, overdue = due.split('data-testid="overdue"', 1)
    assert upcoming.count('data-testid="due-date"') == 1
    assert f"Дело {case.number}" in upcoming
    assert overdue.count('data-testid="due-date"') == 1  # the missed one, in its own list
    assert 'class="overdue"' in overdue
    assert hidden.number not in due
    for name in names:
        assert name.split()[0] not in due

    # A reply arrives: it answers the older request, which leaves the overview; the other waits.
    _event(anna, case, EventKind.REPLY_RECEIVED, TODAY())
    due = _section(verified_client(anna).get("/staff/").content.decode(), "due-dates")
    assert due.count('data-testid="due-date"') == 1
    assert 'data-testid="overdue"' not in due


@pytest.mark.django_db
def test_a_claimant_who_left_the_claim_has_no_due_date_on_the_overview(
    anna: User, verified_client: Callable[[User], Client],
) -> None:
    case, (gusev, titov) = _group(anna, ["Гусев Андрей Ильич", "Титов Иван Петрович"], kind="special_rank")
    for claimant in (gusev, titov):
        _event(anna, case, EventKind.DISMISSAL_ORDER, TODAY() - timedelta(days=25), claimant)
    page = verified_client(anna).get("/staff/").content.decode()
    assert "2 claimants" in _section(page, "due-dates") or "2 истца" in _section(page, "due-dates")
    cases.claimants_status_set(case=case, claimant_ids=[titov.pk], recorded_by=anna, keyring=keyring_of(anna),
                               status="withdrawn", effective_on=TODAY(), reason="family")
    page = verified_client(anna).get("/staff/").content.decode()
    due = _section(page, "due-dates")
    assert "1 claimant" in due or "1 истец" in due
    assert "2 claimants" not in due
    assert "2 истца" not in due


@pytest.mark.django_db
def test_the_calendar_feed_shows_due_dates_by_case_number_only_and_stops_when_revoked(
    anna: User, make_user: Callable[..., User], verified_client: Callable[[User], Client],
) -> None:
    anna.language = "en"
    anna.save()
    case, (gusev,) = _group(anna, ["Гусев Андрей Ильич"])
    _event(anna, case, EventKind.DECISION, TODAY() - timedelta(days=3))
    _event(anna, case, EventKind.DISMISSAL_ORDER, TODAY() - timedelta(days=10), gusev)
    ivan = make_user("ivan", Role.LAWYER)
    hidden, _ = _group(ivan, ["Скрытый Пётр Петрович"])
    _event(ivan, hidden, EventKind.DECISION, TODAY())

    client = verified_client(anna)
    issued = client.post("/staff/account/feed/", {"action": "issue"})
    assert issued.status_code == 200
    found = re.search(r'value="(http://testserver(/feeds/deadlines/[^"]+\.ics))"', issued.content.decode())
    assert found is not None
    path = found.group(2)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in CalendarFeed.objects.get(user=anna).token_hash  # only a hash is kept

    feed = Client().get(path)  # a calendar app: no session
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    for word in ("Гусев", "Андрей", "Скрытый", "Отказ от командировки", hidden.number):
        assert word not in body
    events = [c for c in Calendar.from_ical(feed.content).walk("VEVENT")]
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == [f"Case {case.number}: Administrative claim against a decision of an official",
                         f"Case {case.number}: Appeal (administrative proceedings)"]
    appeal = next(e for e in events if "Appeal" in str(e["SUMMARY"]))
    assert appeal.decoded("DTSTART") == Deadline.objects.get(case=case, rule_id="kas-298").due_on
    assert appeal.walk("VALARM")  # the phone reminds too

    # The claim filed: the claimant's period leaves the feed.
    _event(anna, case, EventKind.FILING, TODAY())
    events = list(Calendar.from_ical(Client().get(path).content).walk("VEVENT"))
    assert len(events) == 1

    # A new address: the old one stops working. Revoked: no address works.
    client.post("/staff/account/feed/", {"action": "issue"})
    assert Client().get(path).status_code == 404
    client.post("/staff/account/feed/", {"action": "revoke"})
    assert not CalendarFeed.objects.filter(user=anna).exists()
    assert Client().get("/feeds/deadlines/not-a-token.ics").status_code == 404
    assert AuditEvent.objects.filter(action="feed.issued").count() == 2
    assert AuditEvent.objects.filter(action="feed.revoked").count() == 1


@pytest.mark.django_db
def test_a_user_who_left_the_team_has_no_feed(anna: User) -> None:
    from defensor.deadlines.services import calendar_feed_issue

    token = calendar_feed_issue(user=anna)
    assert Client().get(f"/feeds/deadlines/{token}.ics").status_code == 200
    anna.is_active = False
    anna.save()
    assert Client().get(f"/feeds/deadlines/{token}.ics").status_code == 404


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection, as it does in life
def test_the_worker_reminds_the_responsible_lawyer_once_per_step_without_personal_data(
    anna: User, pavel: User, petra: User, settings: object, verified_client: Callable[[User], Client],
) -> None:
    settings.DEFENSOR_REMIND_DAYS = [14, 7, 3, 1]  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "mail.example.org"  # type: ignore[attr-defined]
    anna.email = "anna@example.org"
    anna.save()
    case, (_gusev,) = _group(anna, ["Гусев Андрей Ильич"])
    cases.case_share(case=case, to_user=petra, shared_by=anna, keyring=keyring_of(anna))
    _event(anna, case, EventKind.LAWYER_REQUEST, TODAY() - timedelta(days=29))
    due = Deadline.objects.get(rule_id="advocate-request-reply").due_on
    days_left = (due - TODAY()).days
    assert 0 <= days_left <= 14

    # The daily run waits in the database queue with no arguments, then the real worker runs it.
    assert reminders_schedule()
    assert not reminders_schedule()  # one waiting is enough
    queued = DBTaskResult.objects.get(task_path=REMINDERS_TASK, status="READY")
    assert queued.args_kwargs == {"args": [], "kwargs": {}}
    DBTaskResult.objects.filter(pk=queued.pk).update(run_after=timezone.now() - timedelta(minutes=1))
    call_command("db_worker", batch=True, verbosity=0)
    assert DBTaskResult.objects.get(pk=queued.pk).status == "SUCCESSFUL"
    assert DBTaskResult.objects.filter(task_path=REMINDERS_TASK, status="READY").count() == 1  # tomorrow's

    expected_step = min(step for step in (14, 7, 3, 1) if days_left <= step)
    reminder = Reminder.objects.get()
    assert (reminder.user, reminder.case, reminder.days_before) == (anna, case, expected_step)
    assert deadline_reminders_send(today=TODAY()) == 0  # once per step
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.org"]
    for secret in (case.number, "Гусев", "Отказ", due.strftime("%d.%m.%Y")):
        assert secret not in f"{message.subject} {message.body}"

    page = verified_client(anna).get("/staff/").content.decode()
    shown = _section(page, "reminders")
    assert case.number in shown
    assert "Гусев" not in shown
    # Someone else's reminder cannot be dismissed by another user; one's own can.
    verified_client(pavel).post(f"/staff/reminders/{reminder.pk}/seen/")
    assert 'data-testid="reminders"' in verified_client(anna).get("/staff/").content.decode()
    verified_client(anna).post(f"/staff/reminders/{reminder.pk}/seen/")
    assert 'data-testid="reminders"' not in verified_client(anna).get("/staff/").content.decode()


@pytest.mark.django_db
def test_reminders_go_to_everyone_on_the_case_when_its_responsible_lawyer_no_longer_holds_it(
    anna: User, olga: User, pavel: User, verified_client: Callable[[User], Client],
) -> None:
    case, _claimants = _group(pavel, ["Гусев Андрей Ильич"])  # a paralegal's case: also anna's and olga's
    client = verified_client(anna)
    form = {"title": "Отказ", "kind": "military_admin", "group": "on", "stage": "preparation",
            "outcome": "pending", "version": case.version, "lead": anna.pk}
    assert client.post(f"/staff/cases/{case.pk}/edit/", form).status_code == 302
    case.refresh_from_db()
    assert case.lead == anna
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert page.split('data-testid="case-lead">', 1)[1].split("</dd>", 1)[0] == "anna"
    _event(pavel, case, EventKind.LAWYER_REQUEST, TODAY() - timedelta(days=29))
    deadline_reminders_send(today=TODAY())
    assert set(Reminder.objects.values_list("user__username", flat=True)) == {"anna"}

    Reminder.objects.all().delete()
    cases.case_unshare(case=case, user=anna, unshared_by=olga)
    deadline_reminders_send(today=TODAY())
    assert set(Reminder.objects.values_list("user__username", flat=True)) == {"olga", "pavel"}


@pytest.mark.django_db
def test_the_responsible_lawyer_must_work_on_the_case(
    anna: User, make_user: Callable[..., User], verified_client: Callable[[User], Client],
) -> None:
    ivan = make_user("ivan", Role.LAWYER)
    case, _claimants = _group(anna, ["Гусев Андрей Ильич"])
    form = {"title": "Отказ", "kind": "military_admin", "group": "on", "stage": "preparation",
            "outcome": "pending", "version": case.version, "lead": ivan.pk}
    response = verified_client(anna).post(f"/staff/cases/{case.pk}/edit/", form)
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.lead == anna


@pytest.mark.django_db
def test_old_missed_dates_never_push_the_coming_ones_off_the_overview(
    anna: User, verified_client: Callable[[User], Client],
) -> None:
    case, _claimants = _group(anna, ["Гусев Андрей Ильич"])
    for weeks in range(12):  # a dozen requests long unanswered, never marked
        _event(anna, case, EventKind.LAWYER_REQUEST, TODAY() - timedelta(days=100 + 7 * weeks))
    _event(anna, case, EventKind.LAWYER_REQUEST, TODAY() - timedelta(days=29))
    due = _section(verified_client(anna).get("/staff/").content.decode(), "due-dates")
    upcoming, overdue = due.split('data-testid="overdue"', 1)
    assert upcoming.count('data-testid="due-date"') == 1
    assert overdue.count('data-testid="due-date"') == 10
    assert "Показаны только последние" in overdue or "Only the most recent" in overdue


@pytest.mark.django_db
def test_one_reply_answers_one_request_the_earliest_still_waiting(anna: User) -> None:
    case, _claimants = _group(anna, ["Гусев Андрей Ильич"])
    _event(anna, case, EventKind.LAWYER_REQUEST, date(2026, 11, 2))
    _event(anna, case, EventKind.LAWYER_REQUEST, date(2026, 11, 5))
    _event(anna, case, EventKind.REPLY_RECEIVED, date(2026, 11, 20))
    requests = list(Deadline.objects.filter(rule_id="advocate-request-reply").order_by("event__happened_on"))
    assert [d.met_on for d in requests] == [date(2026, 11, 20), None]  # the second is still unanswered
    _event(anna, case, EventKind.REPLY_RECEIVED, date(2026, 11, 25))
    assert set(Deadline.objects.filter(rule_id="advocate-request-reply").values_list("met_on", flat=True)) == {
        date(2026, 11, 20), date(2026, 11, 25)}


@pytest.mark.django_db
def test_a_reminder_leaves_the_overview_once_its_due_date_is_met(
    anna: User, verified_client: Callable[[User], Client],
) -> None:
    case, _claimants = _group(anna, ["Гусев Андрей Ильич"])
    _event(anna, case, EventKind.LAWYER_REQUEST, TODAY() - timedelta(days=29))
    assert deadline_reminders_send(today=TODAY()) == 1
    assert 'data-testid="reminders"' in verified_client(anna).get("/staff/").content.decode()
    _event(anna, case, EventKind.REPLY_RECEIVED, TODAY())
    assert 'data-testid="reminders"' not in verified_client(anna).get("/staff/").content.decode()
