"""Each role can do exactly what docs/roles.md says, on every staff URL."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.test import Client

from defensor.access.services import record_access_grant
from defensor.accounts.models import Role, User
from defensor.accounts.permissions import ROLE_PERMISSIONS, Perm
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case
from defensor.cases.services import case_event_add, case_open, case_share, case_task_add, claimant_add
from defensor.deadlines.models import Reminder
from defensor.documents.catalogue import uploaded_info
from defensor.documents.models import DocumentTemplate
from defensor.documents.services import document_request, template_upload
from defensor.evidence.bundle import bundle_request
from defensor.evidence.models import Source
from defensor.evidence.services import item_ingest
from defensor.intake.models import Submission
from defensor.people.models import Person
from defensor.people.services import HandleInput, person_create
from defensor.reports.services import release_make, report_prepare
from defensor.reports.tables import Quarter
from tests.conftest import attach_file, keyring_of
from tests.docx_files import docx_of
from tests.staff_urls import StaffUrl, staff_urls_behind_login

ROLES_DOC = Path(__file__).resolve().parent.parent / "docs" / "roles.md"
ROLE_COLUMNS = [Role.ADMIN, Role.LAWYER, Role.PARALEGAL, Role.VOLUNTEER, Role.PARTNER]


def _table_rows(section: str) -> list[list[str]]:
    text = ROLES_DOC.read_text(encoding="utf-8").split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]
    return [row for row in rows[1:] if not re.fullmatch(r"-+", row[0])]


def documented_role_permissions() -> dict[str, set[Role]]:
    table = {}
    for row in _table_rows("Permissions by role"):
        allowed = {role for role, cell in zip(ROLE_COLUMNS, row[2:], strict=True) if cell == "yes"}
        assert all(cell in {"yes", "no"} for cell in row[2:]), row
        table[row[0]] = allowed
    return table


def documented_url_permissions() -> dict[str, str]:
    return {row[0]: row[1] for row in _table_rows("Staff pages and the permission each needs")}


def test_document_and_code_grant_the_same_permissions() -> None:
    documented = documented_role_permissions()
    in_code = {perm.value: set(roles) for perm, roles in ROLE_PERMISSIONS.items()}
    assert documented == in_code


def test_every_staff_url_declares_the_documented_permission() -> None:
    documented = documented_url_permissions()
    urls = staff_urls_behind_login()
    assert {u.route for u in urls} == set(documented), "docs/roles.md must list every staff URL"
    for url in urls:
        declared = getattr(url.view, "required_permission", None)
        assert declared is not None, f"{url.route} has no @staff_view permission"
        assert Perm(declared).value == documented[url.route], url.route


def _request(client: Client, url: StaffUrl, target: User, submission: Submission, person: Person,
             case: Case, reminder: Reminder) -> int:
    path = url.path(id=target.pk, submission=submission.pk, person=person.pk, handle=person.handles.get().pk,
                    case=case.pk, claimant=case.claimants.get().pk, task=case.tasks.get().pk,
                    event=case.events.get().pk, deadline=case.deadlines.get().pk, reminder=reminder.pk,
                    document=case.documents.get().pk, template=DocumentTemplate.objects.get().pk,
                    item=case.evidence.get().pk, bundle=case.evidence_bundles.get().pk,
                    attachment=submission.attachments.get().pk, release=1)
    response = client.get(path)
    if response.status_code == 405:  # a POST-only action: try it for real
        response = client.post(path)
    return response.status_code


def _refused(route: str) -> int:
    """A missing permission is 403, except on a case's evidence pages: 404, as for a case one does
    not hold (issue 17: "404 for everyone else"; defensor.evidence.access)."""
    return 404 if route.startswith("/staff/cases/<case>/evidence/") else 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLE_COLUMNS, ids=lambda r: r.value)
def test_each_role_reaches_exactly_the_documented_pages(
    role: Role, team: dict[Role, User], verified_client: Callable[[User], Client],
    make_submission: Callable[..., Submission],
) -> None:
    submission = make_submission()
    attach_file(submission, "справка.txt", b"text")  # for the request's file download
    # A person record every role that may open cases can read (records are per-key; see test_keys).
    person = person_create(created_by=team[Role.LAWYER], keyring=keyring_of(team[Role.LAWYER]), full_name="Тест",
                           handles=[HandleInput(kind="phone", value="+79161234567")])
    for user in (team[Role.ADMIN], team[Role.PARALEGAL]):
        record_access_grant(material=person.data_key, to_user=user, keyring=keyring_of(team[Role.LAWYER]))
    # A case shared with everyone whose role works on cases (access to a case is per case: test_cases).
    lawyer_keys = keyring_of(team[Role.LAWYER])
    case = case_open(opened_by=team[Role.LAWYER], keyring=lawyer_keys, title="Тест", group=True,
                     kind="military_admin")
    claimant_add(case=case, person=person, added_by=team[Role.LAWYER], keyring=lawyer_keys)
    case_task_add(case=case, created_by=team[Role.LAWYER], keyring=lawyer_keys, title="Позвонить")
    # A lawyer's request: its reply is due in 30 days (a deadline for the deadline pages).
    case_event_add(case=case, recorded_by=team[Role.LAWYER], keyring=lawyer_keys, kind="lawyer_request",
                   happened_on=date(2026, 11, 2))
    for user in (team[Role.ADMIN], team[Role.PARALEGAL], team[Role.PARTNER]):
        case_share(case=case, to_user=user, shared_by=team[Role.LAWYER], keyring=lawyer_keys)
    # A template the administrators uploaded, and a document drafted from it (no worker: at once).
    template = template_upload(uploaded_by=team[Role.ADMIN], slug="test", title="Тест",
                               content=docx_of("{{ case.number }}"))
    document_request(case=case, requested_by=team[Role.LAWYER], keyring=lawyer_keys, template=uploaded_info(template),
                     inputs={})
    item = item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(b"%PDF-1.4\n"), name="a.pdf",
                       added_by=team[Role.LAWYER], keyring=lawyer_keys)
    bundle_request(case=case, item_ids=[str(item.pk)], requested_by=team[Role.LAWYER], keyring=lawyer_keys)
    # A report release (its pages and exports).
    report_prepare(actor=team[Role.LAWYER], keyring=lawyer_keys)
    this_quarter = Quarter.of(date.today())  # noqa: DTZ011 - a quarter, as the report's default period
    release_make(actor=team[Role.LAWYER], keyring=lawyer_keys, first=this_quarter, last=this_quarter)
    documented_urls = documented_url_permissions()
    documented_roles = documented_role_permissions()
    target = team[Role.VOLUNTEER] if role != Role.VOLUNTEER else team[Role.LAWYER]
    # Destructive actions (logout everywhere) last, so they do not end the session early.
    urls = sorted(staff_urls_behind_login(), key=lambda u: u.name == "logout-everywhere")
    reminder = Reminder.objects.create(user=team[role], case=case, rule_id="advocate-request-reply",
                                       due_on=date(2026, 12, 2), days_before=7)
    outcomes = {}
    for url in urls:
        client = verified_client(team[role])
        status = _request(client, url, target, submission, person, case, reminder)
        allowed = role in documented_roles[documented_urls[url.route]]
        outcomes[url.route] = (allowed, status)
    wrong = {
        route: status
        for route, (allowed, status) in outcomes.items()
        if (allowed and status in {403, 404, 500}) or (not allowed and status != _refused(route))
    }
    assert not wrong, f"{role.value}: unexpected answers {wrong}"


@pytest.mark.django_db
def test_forbidden_page_is_translated_and_changes_nothing(
    boris: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(anna)  # a lawyer, Russian interface
    response = client.post(f"/staff/users/{boris.pk}/", {"action": "disable"})
    assert response.status_code == 403
    assert "Нет доступа" in response.content.decode()
    boris.refresh_from_db()
    assert boris.is_active


@pytest.mark.django_db
def test_a_role_change_keeps_case_access_unless_the_role_works_on_no_case(
    olga: User, anna: User, verified_client: Callable[[User], Client]
) -> None:
    """The team page says before and after a change to volunteer that anna's cases go, and they
    do not come back with the old role."""
    from defensor.cases.services import case_open

    anna_keys = keyring_of(anna)
    cases = [case_open(opened_by=anna, keyring=anna_keys, title=f"Дело {n}") for n in range(2)]
    admin = verified_client(olga)
    page = admin.get(f"/staff/users/{anna.pk}/").content.decode()
    assert "Дел, к которым у этого аккаунта есть доступ: 2." in page
    assert "Волонтёр" in page.split('data-testid="role-change-cases"', 1)[1].split("</p>", 1)[0]

    changed = admin.post(f"/staff/users/{anna.pk}/", {"action": "role", "role": "paralegal"}, follow=True)
    assert "Роль изменена." in changed.content.decode()
    assert verified_client(anna).get(f"/staff/cases/{cases[0].pk}/").status_code == 200

    to_volunteer = admin.post(f"/staff/users/{anna.pk}/", {"action": "role", "role": "volunteer"}, follow=True)
    message = to_volunteer.content.decode()
    assert "доступ к делам, открытым этому аккаунту (2)" in message
    assert 'data-testid="role-change-cases"' not in message  # nothing left to lose

    admin.post(f"/staff/users/{anna.pk}/", {"action": "role", "role": "lawyer"})
    assert verified_client(anna).get(f"/staff/cases/{cases[0].pk}/").status_code == 404
    assert AuditEvent.objects.filter(
        action="user.role_changed", target_id=str(anna.pk), details__to="volunteer", details__record_keys_removed=2
    ).exists()
