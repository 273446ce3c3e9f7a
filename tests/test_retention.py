"""Retention: olga (the administrator) sees a week ahead what the policy erases and sets the policy;
the worker erases spam and rejected requests (their files shredded) and closed cases past their
years, never a case anna put on legal hold, an open case or an accepted request; every erasure is
audited with ids and counts only."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case, CaseNote, CaseStage
from defensor.cases.services import case_note_add, case_open, case_update, claimant_add
from defensor.intake import services as intake
from defensor.intake.models import Attachment, Status, Submission
from defensor.intake.uploads import attachment_path
from defensor.keys.models import KeyGrant, KeyMaterial
from defensor.people.models import Person
from defensor.people.services import person_create
from defensor.retention import services as retention_services
from defensor.retention.models import RetentionPolicy
from defensor.retention.selectors import Kind, retention_due
from defensor.retention.services import retention_run
from defensor.retention.tasks import RETENTION_TASK, retention_schedule
from tests.conftest import attach_file, keyring_of

TODAY = timezone.localdate


def _ago(days: int) -> Any:
    return timezone.now() - timedelta(days=days)


def _request(make_submission: Callable[..., Submission], anna: User, status: Status, days_ago: int,
             **answers: Any) -> Submission:
    """A request anna marked ``status`` ``days_ago`` days ago."""
    submission = make_submission(**answers)
    intake.submission_status_set(submission=submission, status=status, changed_by=anna)
    Submission.objects.filter(pk=submission.pk).update(status_changed_at=_ago(days_ago))
    return Submission.objects.get(pk=submission.pk)


def _case(anna: User, title: str, *, closed_days_ago: int | None, person: Person | None = None) -> Case:
    """A case anna opened (with one claimant), closed through the edit form's service."""
    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, title=title, kind="military_admin")
    person = person or person_create(created_by=anna, keyring=keyring, full_name=f"{title} Клиент")
    claimant_add(case=case, person=person, added_by=anna, keyring=keyring)
    case_note_add(case=case, author=anna, keyring=keyring, text=f"заметка {title}")
    if closed_days_ago is not None:
        case = Case.objects.get(pk=case.pk)
        case = case_update(case=case, edited_by=anna, keyring=keyring, version=case.version, title=title,
                           summary="", kind=case.kind, stage=CaseStage.CLOSED, outcome="granted", court="",
                           court_number="", group=False)
        assert case.closed_at is not None  # the day it was closed is recorded
        Case.objects.filter(pk=case.pk).update(closed_at=_ago(closed_days_ago))
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def records(make_submission: Callable[..., Submission], anna: User) -> dict[str, Any]:
    """Under the default policy (spam 30 days, rejected 90, closed cases 5 years)."""
    found: dict[str, Any] = {}
    found["old_spam"] = _request(make_submission, anna, Status.SPAM, 31, full_name="Спамов Спам")
    found["new_spam"] = _request(make_submission, anna, Status.SPAM, 10)
    found["old_rejected"] = _request(make_submission, anna, Status.REJECTED, 91, full_name="Отказов Иван")
    found["file"] = attach_file(found["old_rejected"], "рапорт.txt", "рапорт Отказова".encode())
    found["new_rejected"] = _request(make_submission, anna, Status.REJECTED, 60)
    found["old_open"] = make_submission()
    Submission.objects.filter(pk=found["old_open"].pk).update(received_at=_ago(4000))
    accepted = make_submission(full_name="Принятов Пётр Петрович")
    done = intake.submission_accept(submission=accepted, accepted_by=anna, keyring=keyring_of(anna),
                                    case_title="Дело Принятова")
    found["accepted"], found["accepted_case"] = accepted, done.case
    Submission.objects.filter(pk=accepted.pk).update(status_changed_at=_ago(4000), received_at=_ago(4000))
    found["old_case"] = _case(anna, "Старое дело", closed_days_ago=6 * 366)
    found["held_case"] = _case(anna, "Дело на хранении", closed_days_ago=6 * 366)
    Case.objects.filter(pk=found["held_case"].pk).update(legal_hold=True, legal_hold_at=_ago(1))
    found["recent_case"] = _case(anna, "Недавнее дело", closed_days_ago=4 * 365)
    found["open_case"] = _case(anna, "Открытое дело", closed_days_ago=None)
    Case.objects.filter(pk=found["open_case"].pk).update(updated_at=_ago(4000), created_at=_ago(4000))
    return found


def _due_ids(records: dict[str, Any]) -> dict[tuple[Kind, str], str]:
    return {(Kind.SPAM, str(records["old_spam"].pk)): "old_spam",
            (Kind.REJECTED, str(records["old_rejected"].pk)): "old_rejected",
            (Kind.CASE, str(records["old_case"].pk)): "old_case"}


@pytest.mark.django_db
def test_the_dry_run_lists_what_is_due_with_dates_and_changes_nothing(
    records: dict[str, Any], capsys: pytest.CaptureFixture[str],
) -> None:
    organisation = records["old_spam"].organisation
    due = retention_due(organisation=organisation, on=TODAY())
    assert {(item.kind, item.id) for item in due} == set(_due_ids(records))
    spam = next(item for item in due if item.kind == Kind.SPAM)
    assert spam.since == timezone.localdate(_ago(31))
    assert spam.due_on == spam.since + timedelta(days=30)
    # The new spam is listed on its own day, not before.
    on_its_day = retention_due(organisation=organisation, on=timezone.localdate(_ago(10)) + timedelta(days=30))
    assert str(records["new_spam"].pk) in {item.id for item in on_its_day}
    # No personal content in what is listed: ids, kinds, dates and a case number.
    assert "Спамов" not in repr(due)
    assert "Старое дело" not in repr(due)

    events, keys = AuditEvent.objects.count(), KeyMaterial.objects.filter(destroyed_at__isnull=True).count()
    call_command("retention", "--dry-run")
    out = capsys.readouterr().out
    for (kind, record_id) in _due_ids(records):
        assert f"{kind.value} {record_id} since" in out
    assert str(records["new_spam"].pk) not in out
    assert str(records["accepted"].pk) not in out
    # Nothing changed: every request and case is still there and readable, nothing audited.
    assert Submission.objects.filter(pk=records["old_spam"].pk).exists()
    assert Attachment.objects.filter(pk=records["file"]).exists()
    assert attachment_path(records["file"]).exists()
    assert not Case.objects.filter(erased_at__isnull=False).exists()
    assert AuditEvent.objects.count() == events
    assert KeyMaterial.objects.filter(destroyed_at__isnull=True).count() == keys


@pytest.mark.django_db(transaction=True)  # committed for real: the files are shredded after the commit
def test_the_run_erases_what_is_due_and_nothing_else_once(records: dict[str, Any], anna: User) -> None:
    organisation = records["old_spam"].organisation
    old_case: Case = records["old_case"]
    old_person = Person.objects.get(claims__case=old_case)
    accepted_case: Case = records["accepted_case"]
    # The accepted request's case is closed too, long ago: it goes, with the request and the person.
    Case.objects.filter(pk=accepted_case.pk).update(stage=CaseStage.CLOSED, closed_at=_ago(6 * 366))
    file_path = attachment_path(records["file"])
    assert file_path.exists()

    report = retention_run(organisation=organisation)

    assert {(item.kind, item.id) for item in report.erased} == {
        *_due_ids(records), (Kind.CASE, str(accepted_case.pk))}
    assert report.failed == []
    # Requests: the rows, their keys, messages and attachments gone; the file overwritten and removed.
    for name in ("old_spam", "old_rejected", "accepted"):
        assert not Submission.objects.filter(pk=records[name].pk).exists(), name
    assert not Attachment.objects.filter(pk=records["file"]).exists()
    assert not file_path.exists()
    # The closed case: its key destroyed with every wrapped copy (the recovery one too), its
    # ciphertexts blanked; its claimant's person record erased (in no other case).
    old_case = Case.objects.get(pk=old_case.pk)
    assert old_case.erased_at is not None
    assert old_case.title is None
    assert KeyMaterial.objects.get(pk=old_case.data_key_id).destroyed_at is not None
    assert not KeyGrant.objects.filter(material_id=old_case.data_key_id).exists()
    assert not CaseNote.objects.filter(case=old_case, text__isnull=False).exists()
    assert Person.objects.get(pk=old_person.pk).erased_at is not None
    assert report.people == 2  # the old case's client and the accepted request's
    # Kept: newer spam and refusals, an open request however old, the case on legal hold, a case
    # closed four years ago, an open case: all still readable by anna.
    for name in ("new_spam", "new_rejected", "old_open"):
        assert Submission.objects.filter(pk=records[name].pk).exists(), name
    keyring = keyring_of(anna)
    for name, title in (("held_case", "Дело на хранении"), ("recent_case", "Недавнее дело"),
                        ("open_case", "Открытое дело")):
        case = Case.objects.get(pk=records[name].pk)
        assert case.erased_at is None
        assert case.decrypt(keyring).title == title

    # Idempotent: a second run (the command, as an operator would) erases nothing and audits nothing.
    events = AuditEvent.objects.count()
    call_command("retention")
    assert AuditEvent.objects.count() == events
    assert retention_due(organisation=organisation, on=TODAY()) == []


@pytest.mark.django_db
def test_each_erasure_is_audited_by_ids_and_counts_without_an_actor_or_content(
    records: dict[str, Any],
) -> None:
    organisation = records["old_spam"].organisation
    before = AuditEvent.objects.order_by("-seq").first()
    assert before is not None
    retention_run(organisation=organisation)
    events = list(AuditEvent.objects.filter(seq__gt=before.seq).order_by("seq"))
    assert all(event.actor_id is None for event in events)
    by_action: dict[str, list[AuditEvent]] = {}
    for event in events:
        by_action.setdefault(event.action, []).append(event)
    rejected = next(e for e in by_action["retention.request_erased"] if e.target_id == str(records["old_rejected"].pk))
    assert rejected.details == {"by": "retention", "reason": "rejected", "status": "rejected", "attachments": 1,
                                "messages": 2, "withdrawn": False}  # the acknowledgement and the file's
    assert {e.target_id for e in by_action["retention.request_erased"]} == {
        str(records["old_spam"].pk), str(records["old_rejected"].pk)}
    erased = by_action["case.erased"]
    assert [(e.target_id, e.details) for e in erased] == [(str(records["old_case"].pk), {"by": "retention"})]
    assert by_action["retention.case_erased"][0].details["people"] == 1
    assert by_action["keys.record_erased"]  # the case's key and the person's
    assert by_action["retention.run"][0].details == {
        "on": TODAY().isoformat(), "spam": 1, "rejected": 1, "cases": 1, "people": 1, "failed": 0}
    written = repr([(e.details, e.target_type, e.target_id) for e in events])
    for secret in ("Спамов", "Отказов", "рапорт", "Старое дело", "заметка"):
        assert secret not in written


@pytest.mark.django_db
def test_one_record_that_cannot_be_erased_is_reported_and_the_others_still_go(records: dict[str, Any]) -> None:
    organisation = records["old_spam"].organisation
    with mock.patch.object(retention_services, "case_erase_on_schedule", side_effect=RuntimeError("disk")):
        report = retention_run(organisation=organisation)
    assert [(item.kind, item.id, error) for item, error in report.failed] == [
        (Kind.CASE, str(records["old_case"].pk), "RuntimeError")]
    assert {item.kind for item in report.erased} == {Kind.SPAM, Kind.REJECTED}
    assert Case.objects.get(pk=records["old_case"].pk).erased_at is None  # nothing of it half done
    failed = AuditEvent.objects.get(action="retention.failed")
    assert failed.details == {"kind": "case", "id": str(records["old_case"].pk), "error": "RuntimeError"}
    assert AuditEvent.objects.get(action="retention.run").details["failed"] == 1
    with pytest.raises(CommandError), \
            mock.patch.object(retention_services, "case_erase_on_schedule", side_effect=RuntimeError("disk")):
        call_command("retention")  # the command says so with its exit status


@pytest.mark.django_db
def test_a_request_whose_status_changed_since_the_listing_is_not_erased(
    records: dict[str, Any], anna: User,
) -> None:
    organisation = records["old_spam"].organisation
    due = retention_due(organisation=organisation, on=TODAY())
    intake.submission_status_set(submission=records["old_rejected"], status=Status.IN_REVIEW, changed_by=anna)
    with mock.patch.object(retention_services, "retention_due", return_value=due):
        report = retention_run(organisation=organisation)
    assert str(records["old_rejected"].pk) in {item.id for item, _error in report.failed}
    assert Submission.objects.filter(pk=records["old_rejected"].pk, status=Status.IN_REVIEW).exists()


@pytest.mark.django_db
def test_anna_puts_a_closed_case_on_legal_hold_on_its_page_and_the_run_keeps_it(
    records: dict[str, Any], anna: User, pavel: User, verified_client: Callable[[User], Client],
) -> None:
    case: Case = records["old_case"]
    organisation = case.organisation
    page = verified_client(anna).get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Поставить на юридическое удержание" in page
    # A paralegal may not (the button is not there for her, and a post is refused).
    assert "Поставить на юридическое удержание" not in verified_client(pavel).get(f"/staff/cases/{case.pk}/")\
        .content.decode()
    assert verified_client(pavel).post(f"/staff/cases/{case.pk}/hold/", {"hold": "on"}).status_code == 403
    assert not Case.objects.get(pk=case.pk).legal_hold

    client = verified_client(anna)
    response = client.post(f"/staff/cases/{case.pk}/hold/", {"hold": "on"}, follow=True)
    page = response.content.decode()
    assert "не будет удалено" in page
    assert "Снять юридическое удержание" in page
    held = Case.objects.get(pk=case.pk)
    assert held.legal_hold
    event = AuditEvent.objects.get(action="case.legal_hold_set")
    assert (event.actor_id, event.target_id) == (anna.pk, str(case.pk))

    assert str(case.pk) not in {item.id for item in retention_due(organisation=organisation, on=TODAY())}
    retention_run(organisation=organisation)
    assert Case.objects.get(pk=case.pk).erased_at is None
    # Even asked directly, the erasure refuses a case on hold.
    from defensor.cases.services import NotErasableOnSchedule, case_erase_on_schedule
    with pytest.raises(NotErasableOnSchedule):
        case_erase_on_schedule(case=held)

    # Released: it is due again.
    client.post(f"/staff/cases/{case.pk}/hold/", {"hold": "off"})
    assert AuditEvent.objects.filter(action="case.legal_hold_released", actor=anna).exists()
    assert str(case.pk) in {item.id for item in retention_due(organisation=organisation, on=TODAY())}


@pytest.mark.django_db
def test_a_reopened_case_is_not_erased_and_its_years_start_again_when_it_is_closed_again(
    records: dict[str, Any], anna: User,
) -> None:
    keyring = keyring_of(anna)
    case = records["old_case"]

    def edit(stage: str) -> Case:
        current = Case.objects.get(pk=case.pk)
        return case_update(case=current, edited_by=anna, keyring=keyring, version=current.version,
                           title="Старое дело", summary="", kind=current.kind, stage=stage, outcome="granted",
                           court="", court_number="", group=False)

    assert edit(CaseStage.APPEAL).closed_at is None
    ids = {item.id for item in retention_due(organisation=case.organisation, on=TODAY())}
    assert str(case.pk) not in ids
    closed = edit(CaseStage.CLOSED)
    assert closed.closed_at is not None
    assert timezone.localdate(closed.closed_at) == TODAY()
    assert str(case.pk) not in {item.id for item in retention_due(organisation=case.organisation, on=TODAY())}
    in_five_years = TODAY().replace(year=TODAY().year + 5) if (TODAY().month, TODAY().day) != (2, 29) else None
    if in_five_years is not None:
        assert str(case.pk) in {item.id for item in retention_due(organisation=case.organisation, on=in_five_years)}


def _section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


@pytest.mark.django_db
def test_olga_sees_a_week_ahead_what_will_be_erased_and_others_do_not(
    records: dict[str, Any], make_submission: Callable[..., Submission], olga: User, anna: User, boris: User,
    verified_client: Callable[[User], Client],
) -> None:
    # Due in three days: spam marked 27 days ago.
    soon = _request(make_submission, anna, Status.SPAM, 27)
    client = verified_client(olga)
    overview = client.get("/staff/").content.decode()
    notice = _section(overview, "retention-notice")
    assert "4 записи" in notice  # three due now, one in three days
    assert 'href="/staff/retention/"' in notice

    page = client.get("/staff/retention/").content.decode()
    due = _section(page, "retention-due")
    assert f'href="/staff/inbox/{records["old_spam"].pk}/"' in due
    assert f'href="/staff/inbox/{records["old_rejected"].pk}/"' in due
    assert f'href="/staff/cases/{records["old_case"].pk}/"' in due
    assert f'href="/staff/inbox/{soon.pk}/"' in due
    assert f'/staff/cases/{records["held_case"].pk}/' not in due
    assert str(records["new_spam"].pk) not in due
    in_three_days = (TODAY() + timedelta(days=3)).strftime("%d.%m.%Y")
    rows = due.split('data-testid="retention-item"')
    assert any(in_three_days in row and str(soon.pk) in row for row in rows)
    assert "Спамов" not in page
    assert "Старое дело" not in page
    per_day = due.split('data-testid="retention-per-day"', 1)[1].split("</table>", 1)[0]
    today_row = next(row for row in per_day.split("<tr>") if TODAY().strftime("%d.%m.%Y") in row)
    assert today_row.count("<td>1</td>") == 3
    assert "<td>3</td>" in today_row

    # Anna (a lawyer) and boris (a volunteer): no notice, no page.
    assert 'data-testid="retention-notice"' not in verified_client(anna).get("/staff/").content.decode()
    assert verified_client(anna).get("/staff/retention/").status_code == 403
    assert verified_client(boris).get("/staff/retention/").status_code == 403
    assert verified_client(anna).post("/staff/retention/", {"spam_days": "1"}).status_code == 403
    assert not RetentionPolicy.objects.exists()


@pytest.mark.django_db
def test_olga_changes_the_policy_and_a_mistake_is_explained_in_russian(
    records: dict[str, Any], olga: User, verified_client: Callable[[User], Client],
) -> None:
    client = verified_client(olga)
    for bad in ("abc", "0", "-3", "100000", "2.5"):
        response = client.post("/staff/retention/", {"spam_days": bad, "rejected_days": "90",
                                                     "closed_case_years": "5"})
        assert response.status_code == 400, bad
        assert "Введите целое число дней от 1 до 3650" in html.unescape(response.content.decode()), bad
    assert not RetentionPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action="retention.policy_changed").exists()

    # Closed cases kept for ever (empty), spam after 60 days.
    response = client.post("/staff/retention/", {"spam_days": "60", "rejected_days": "90", "closed_case_years": ""},
                           follow=True)
    assert "Сроки хранения сохранены" in response.content.decode()
    policy = RetentionPolicy.objects.get()
    assert (policy.spam_days, policy.rejected_days, policy.closed_case_years) == (60, 90, None)
    event = AuditEvent.objects.get(action="retention.policy_changed")
    assert event.actor_id == olga.pk
    assert event.details == {"changed": ["closed_case_years", "spam_days"], "spam_days": 60, "rejected_days": 90,
                             "closed_case_years": None}
    due = {item.id for item in retention_due(organisation=policy.organisation, on=TODAY())}
    assert due == {str(records["old_rejected"].pk)}  # spam of 31 days and the old case are kept now
    page = client.get("/staff/retention/").content.decode()
    assert 'name="spam_days" value="60"' in page


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection, as it does in life
def test_the_worker_runs_retention_daily_with_no_arguments(
    make_submission: Callable[..., Submission], anna: User,
) -> None:
    spam = _request(make_submission, anna, Status.SPAM, 40)
    kept = _request(make_submission, anna, Status.SPAM, 5)
    DBTaskResult.objects.filter(task_path=RETENTION_TASK).delete()
    assert retention_schedule()
    assert not retention_schedule()  # one waiting is enough
    queued = DBTaskResult.objects.get(task_path=RETENTION_TASK, status="READY")
    assert queued.args_kwargs == {"args": [], "kwargs": {}}
    assert queued.run_after > timezone.now()
    DBTaskResult.objects.filter(pk=queued.pk).update(run_after=timezone.now() - timedelta(minutes=1))
    call_command("db_worker", batch=True, verbosity=0)
    assert DBTaskResult.objects.get(pk=queued.pk).status == "SUCCESSFUL"
    assert DBTaskResult.objects.filter(task_path=RETENTION_TASK, status="READY").count() == 1  # tomorrow's
    assert not Submission.objects.filter(pk=spam.pk).exists()
    assert Submission.objects.filter(pk=kept.pk).exists()
    assert AuditEvent.objects.filter(action="retention.request_erased", target_id=str(spam.pk)).exists()


def test_the_worker_knows_the_daily_run() -> None:
    from defensor.core.periodic import _schedulers

    assert _schedulers["retention"] is retention_schedule


@pytest.mark.django_db(transaction=True)  # migrates the cases app back and forth
def test_cases_closed_before_the_closing_day_was_kept_get_the_day_of_the_edit_that_closed_them(anna: User) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    closed_by_edit = _case(anna, "Закрыто правкой", closed_days_ago=None)
    closed_by_edit = case_update(case=closed_by_edit, edited_by=anna, keyring=keyring_of(anna),
                                 version=closed_by_edit.version, title="Закрыто правкой", summary="",
                                 kind=closed_by_edit.kind, stage=CaseStage.CLOSED, outcome="granted", court="",
                                 court_number="", group=False)
    edited_at = AuditEvent.objects.filter(action="case.edited", target_id=str(closed_by_edit.pk)).latest("seq")
    closed_unaudited = _case(anna, "Закрыто без правки", closed_days_ago=None)
    Case.objects.filter(pk=closed_unaudited.pk).update(stage=CaseStage.CLOSED, updated_at=_ago(900))
    still_open = _case(anna, "Открыто", closed_days_ago=None)
    # A note after closing moves updated_at, not the day of closing.
    case_note_add(case=closed_by_edit, author=anna, keyring=keyring_of(anna), text="позже")

    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0009_claimant_merged_partial_index")])
    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0010_closed_at_and_legal_hold")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Case.objects.get(pk=closed_by_edit.pk).closed_at == edited_at.created_at
    assert Case.objects.get(pk=closed_unaudited.pk).closed_at == Case.objects.get(pk=closed_unaudited.pk).updated_at
    assert Case.objects.get(pk=still_open.pk).closed_at is None
