"""Court documents drafted from a case: what is missing is said before anything is generated; the
document names the claimants still in the claim, in the grammatical case the template asks for;
the background worker writes it from a sealed envelope; it is kept sealed under the case's key."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from defensor.access.services import rotate_record_key
from defensor.accounts.models import Role, User
from defensor.audit.models import AuditEvent
from defensor.cases import services as cases
from defensor.cases.models import Case, Claimant, EventKind
from defensor.core.grammar import court_date
from defensor.documents.catalogue import NEEDABLE, builtin_templates, uploaded_info
from defensor.documents.models import DocumentStatus, DocumentTemplate, GeneratedDocument
from defensor.documents.render import (
    MEMORY_DIR,
    PDF_TIMEOUT_SECONDS,
    WORK_PREFIX,
    document_text,
    memory_leftovers_remove,
    pdf_converter,
)
from defensor.keys.crypto import Tampered
from defensor.keys.models import WorkerKey
from defensor.keys.worker import (
    ALIVE_SECONDS,
    EnvelopeUnreadable,
    WorkerIdentity,
    worker_identity,
    worker_identity_start,
    worker_identity_stop,
)
from defensor.people.services import person_create, person_update
from tests.canary import Canaries, scan_bytes
from tests.conftest import OrganisationKit, keyring_of
from tests.docx_files import docx_of

NAMES = ["Гусев Андрей Ильич", "Титова Мария Петровна", "ЧЕРНЫХ ОЛЕГ СЕРГЕЕВИЧ", "Зуев Роман Олегович"]


def _tracked_change(content: bytes) -> bytes:
    """The same DOCX with one insertion recorded as a tracked change (as Word writes it)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"</w:p>", b'<w:ins w:id="1" w:author="x" w:date="2026-01-01T00:00:00Z">'
                                               b"<w:r><w:t>added</w:t></w:r></w:ins></w:p>", 1)
            target.writestr(item, data)
    return out.getvalue()


GROUP_TEMPLATE = docx_of(
    "В {{ case.court }}",
    "от {{ claimants_count }} административных истцов:",
    "{%p for c in claimants %}",
    "{{ c.genitive }}, уволенного приказом от {{ c.dismissal_date }}",
    "{%p endfor %}",
    "Представитель: {{ representative.initials }}",
    "{{ today }}",
)


@pytest.fixture
def lawyer(anna: User) -> User:
    anna.document_name = "Смирнова Анна Викторовна"
    anna.document_credentials = "адвокат, рег. № 46/123"
    anna.document_contacts = "г. Курск, ул. Ленина, д. 1"
    anna.save()
    return anna


def _case(lawyer: User, *, court: str = "Курский гарнизонный военный суд", dismissed: bool = True,
          names: list[str] = NAMES) -> tuple[Case, list[Claimant]]:
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Отказ", group=True, kind="military_admin",
                           court=court)
    claimants = []
    for name in names:
        person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0],
                               birth_date="1990-05-25", unit="в/ч 12345")
        # What a claim asks of each claimant besides (КАС ст. 125 ч. 2 п. 2), from the person record.
        person_update(person=person, updated_by=lawyer, keyring=keyring, birth_place="г. Курск",
                      residence_address="305000, г. Курск, ул. Садовая, д. 1", snils="112-233-445 95")
        claimant = cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring)
        if dismissed:
            cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                                 happened_on=date(2024, 9, 30), claimant=claimant)
        claimants.append(claimant)
    return case, claimants


def _upload(admin: User, content: bytes = GROUP_TEMPLATE, slug: str = "group") -> DocumentTemplate:
    from defensor.documents.services import template_upload

    return template_upload(uploaded_by=admin, slug=slug, title="Групповой иск (наш)", content=content)


def _text(client: Client, case: Case, document: GeneratedDocument) -> str:
    response = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/docx/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return document_text(response.content)


@pytest.fixture
def no_worker() -> None:
    worker_identity_stop()
    return


@pytest.mark.django_db
def test_the_group_document_names_those_still_in_the_claim_in_the_genitive_and_leaves_out_who_withdrew(
    lawyer: User, olga: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    template = _upload(olga)
    case, claimants = _case(lawyer)
    cases.claimants_status_set(case=case, claimant_ids=[claimants[3].pk], recorded_by=lawyer,
                               keyring=keyring_of(lawyer), status="withdrawn", effective_on=date(2024, 11, 1),
                               reason="family")
    client = verified_client(lawyer)
    response = client.post(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
    assert response.status_code == 302
    document = GeneratedDocument.objects.get()
    assert document.status == DocumentStatus.DONE  # no worker running: written in the request
    text = _text(client, case, document)
    assert "Гусева Андрея Ильича, уволенного приказом от 30.09.2024" in text
    assert "Титовой Марии Петровны" in text
    assert "ЧЕРНЫХ ОЛЕГА СЕРГЕЕВИЧА" in text  # indeclinable surname, capitals kept
    assert "Зуев" not in text
    assert "Зуева" not in text
    assert "от 3 административных истцов" in text
    assert "Представитель: Смирнова А. В." in text
    assert court_date(timezone.localdate()) in text
    assert not re.search(r"\{\{|\{%|%\}|\}\}", text)

    # The lawyer may choose to name everyone, as the case was when the claim was filed.
    client.post(f"/staff/cases/{case.pk}/documents/new/",
                {"template": f"upload:{template.slug}", "include_withdrawn": "on"})
    everyone = GeneratedDocument.objects.order_by("-id").first()
    assert everyone is not None
    assert "Зуева Романа Олеговича" in _text(client, case, everyone)
    assert AuditEvent.objects.filter(action="document.downloaded").count() == 2
    assert AuditEvent.objects.get(action="document.requested", details__include_withdrawn=False)


@pytest.mark.django_db
def test_what_is_missing_is_listed_before_anything_is_generated(
    lawyer: User, olga: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    template = _upload(olga)
    case, _claimants = _case(lawyer, court="", dismissed=False, names=NAMES[:2])
    client = verified_client(lawyer)
    page = client.get(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
    missing = page.content.decode().split('data-testid="missing"', 1)[1].split("</div>", 1)[0]
    assert "the court" in missing or "суд" in missing
    for expected in ("Гусев А. И.", "Титова М. П."):
        assert expected in missing
    response = client.post(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
    assert response.status_code == 400
    assert not GeneratedDocument.objects.exists()


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens connections, as in life
def test_the_worker_writes_the_document_from_an_envelope_only_it_can_open(
    lawyer: User, olga: User, verified_client: Callable[[User], Client],
) -> None:
    template = _upload(olga)
    case, _claimants = _case(lawyer, names=NAMES[:2])
    worker_identity_start()  # as `defensor worker` does at start, in this process
    try:
        client = verified_client(lawyer)
        response = client.post(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
        document = GeneratedDocument.objects.get()
        assert response.status_code == 302
        assert document.status == DocumentStatus.QUEUED  # the request returned at once
        assert document.envelope
        # A copy of the database opens nothing: not another worker's key, not one posing as this one.
        stranger = WorkerIdentity()
        with pytest.raises(EnvelopeUnreadable):
            stranger.open_record(document.envelope, document.data_key)
        stranger.key_id = worker_identity().key_id  # type: ignore[union-attr]
        with pytest.raises(Tampered):
            stranger.open_record(document.envelope, document.data_key)
        names = Canaries(strings=[*NAMES[:2], *(name.split()[0] for name in NAMES[:2])])
        assert scan_bytes("envelope", document.envelope.encode(), names) == []
        page = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/").content.decode()
        assert 'http-equiv="refresh"' in page  # the page follows the progress by itself

        call_command("db_worker", batch=True, verbosity=0)
        document.refresh_from_db()
        assert document.status == DocumentStatus.DONE
        assert document.envelope == ""  # the work and the case's key are gone with it
        with connection.cursor() as cursor:  # the file as stored: sealed, not a DOCX (a zip) in base64
            cursor.execute("SELECT docx, snapshot FROM documents_generateddocument WHERE id = %s", [document.pk])
            stored_docx, stored_snapshot = (bytes(value) for value in cursor.fetchone())
        assert b"UEsDB" not in stored_docx
        assert b"PK\x03\x04" not in stored_docx
        assert "Гусев".encode() not in stored_snapshot
        assert "Гусева Андрея Ильича" in _text(client, case, document)
        page = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/").content.decode()
        assert 'http-equiv="refresh"' not in page
        assert 'data-testid="download-docx"' in page
        if pdf_converter() is not None:
            pdf = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/pdf/")
            assert pdf.status_code == 200
            assert pdf.content.startswith(b"%PDF")
        else:
            if os.environ.get("CI"):
                pytest.fail("LibreOffice is not installed (.ci/run installs it): the PDF path went untested")
            # Without LibreOffice the lawyer is told why there is no PDF, in the page's language.
            with translation.override("ru"):
                assert translation.gettext("No PDF: LibreOffice is not installed on the server.") in page
            assert 'data-testid="download-pdf"' not in page
    finally:
        worker_identity_stop()


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_restarted_cannot_open_older_work_and_says_to_draft_it_again(
    lawyer: User, olga: User, verified_client: Callable[[User], Client],
) -> None:
    template = _upload(olga)
    case, _claimants = _case(lawyer, names=NAMES[:1])
    before = worker_identity_start()
    client = verified_client(lawyer)
    client.post(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
    worker_identity_stop()  # the worker stops; its private key is gone with its memory
    assert isinstance(before, WorkerIdentity)
    call_command("worker", batch=True, verbosity=0)  # a new worker, a new key
    document = GeneratedDocument.objects.get()
    assert (document.status, document.failure, document.envelope) == (DocumentStatus.FAILED, "worker_restarted", "")
    page = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/").content.decode()
    assert "draft it again" in page or "сформируйте его заново" in page


@pytest.mark.django_db
def test_an_uploaded_template_is_checked_with_sample_data_and_refused_with_the_reason(
    olga: User, anna: User, verified_client: Callable[[User], Client],
) -> None:
    client = verified_client(olga)

    def upload(content: bytes, title: str = "Запрос") -> str:
        response = client.post("/staff/templates/", {
            "title": title, "slug": "zapros", "file": SimpleUploadedFile("zapros.docx", content)}, follow=True)
        return response.content.decode()

    assert "DOCX" in upload(b"not a word file")
    assert "cas" in upload(docx_of("В {{ cas.court }}"))  # a misspelt name, said by name
    assert "TemplateSyntaxError" in upload(docx_of("В {{ case.court "))  # a broken tag, said so
    # A template is a person's writing: it cannot reach Python's internals (and run commands).
    assert "SecurityError" in upload(docx_of('{% for c in "".__class__.__mro__[1].__subclasses__() %}{{ c }}'
                                           '{% endfor %}'))
    # Comments and tracked changes would travel into every document made from it.
    assert "tracked changes" in upload(_tracked_change(docx_of("{{ case.court }}"))) or \
        "исправления" in upload(_tracked_change(docx_of("{{ case.court }}")))
    assert not DocumentTemplate.objects.exists()
    assert "claimant" in upload(docx_of("{{ claimant.no_such_thing }}"))
    assert not DocumentTemplate.objects.exists()

    upload(docx_of("Военному прокурору", "{{ representative.name }}, {{ case.court }}"))
    upload(docx_of("Военному прокурору гарнизона", "{{ representative.name }}"))
    assert list(DocumentTemplate.objects.values_list("version", flat=True).order_by("version")) == [1, 2]
    assert AuditEvent.objects.filter(action="template.uploaded").count() == 2
    # Only administrators manage templates.
    lawyer = verified_client(anna)
    forbidden = lawyer.post("/staff/templates/", {"title": "x", "file": SimpleUploadedFile("x.docx", GROUP_TEMPLATE)})
    assert forbidden.status_code == 403


@pytest.mark.django_db
def test_documents_of_a_case_one_does_not_hold_do_not_exist(
    lawyer: User, olga: User, make_user: Callable[..., User], verified_client: Callable[[User], Client],
    no_worker: None,
) -> None:
    template = _upload(olga)
    case, _claimants = _case(lawyer, names=NAMES[:1])
    verified_client(lawyer).post(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
    document = GeneratedDocument.objects.get()
    ivan = verified_client(make_user("ivan", Role.LAWYER))
    for path in (f"/staff/cases/{case.pk}/documents/new/", f"/staff/cases/{case.pk}/documents/{document.pk}/",
                 f"/staff/cases/{case.pk}/documents/{document.pk}/docx/"):
        assert ivan.get(path).status_code == 404
    assert not AuditEvent.objects.filter(action="document.downloaded").exists()


@pytest.mark.django_db
def test_a_rotation_of_the_cases_key_while_the_document_is_written_fails_it_and_keeps_the_new_key(
    lawyer: User, olga: User, org_kit: OrganisationKit, monkeypatch: pytest.MonkeyPatch, no_worker: None,
) -> None:
    from defensor.documents import services as documents
    from defensor.documents.render import render_docx as render

    template = _upload(olga)
    case, _claimants = _case(lawyer, names=NAMES[:1])
    old_key = case.data_key_id

    def rotated_while_rendering(content: bytes, snapshot: dict[str, object]) -> bytes:
        rotate_record_key(material=Case.objects.get(pk=case.pk).data_key, recovery_key=org_kit.recovery_key)
        return render(content, snapshot)

    monkeypatch.setattr("defensor.documents.writing.render_docx", rotated_while_rendering)
    document = documents.document_request(case=case, requested_by=lawyer, keyring=keyring_of(lawyer),
                                          template=uploaded_info(template), inputs={})
    stored = GeneratedDocument.objects.get(pk=document.pk)
    case.refresh_from_db()
    assert (stored.status, stored.failure, stored.docx) == (DocumentStatus.FAILED, "key_rotated", None)
    assert stored.data_key_id == case.data_key_id != old_key  # not written back under the old key
    assert "Гусев Андрей Ильич" in (stored.decrypt(keyring_of(lawyer)).snapshot or "")  # opens under the new one


@pytest.mark.django_db
def test_a_starting_worker_removes_the_keys_of_workers_long_gone() -> None:
    gone = WorkerKey.objects.create(public_key=b"k" * 32, seen_at=timezone.now() - timedelta(seconds=ALIVE_SECONDS + 1))
    alive = WorkerKey.objects.create(public_key=b"l" * 32, seen_at=timezone.now())
    identity = worker_identity_start()
    try:
        assert set(WorkerKey.objects.values_list("pk", flat=True)) == {alive.pk, identity.key_id}
        assert not WorkerKey.objects.filter(pk=gone.pk).exists()
    finally:
        worker_identity_stop()


@pytest.mark.skipif(not MEMORY_DIR.is_dir(), reason="no memory directory")
def test_a_conversion_directory_left_by_a_killed_process_is_removed_and_a_live_one_kept() -> None:
    left = Path(tempfile.mkdtemp(dir=MEMORY_DIR, prefix=WORK_PREFIX))
    (left / "document.docx").write_bytes(b"PK")
    live = Path(tempfile.mkdtemp(dir=MEMORY_DIR, prefix=WORK_PREFIX))
    try:
        long_ago = time.time() - 2 * PDF_TIMEOUT_SECONDS - 1
        os.utime(left, (long_ago, long_ago))
        memory_leftovers_remove()
        assert not left.exists()
        assert live.is_dir()
    finally:
        shutil.rmtree(left, ignore_errors=True)
        shutil.rmtree(live, ignore_errors=True)


def test_every_builtin_template_is_listed_with_what_it_needs() -> None:
    ids = {t.key for t in builtin_templates()}
    assert ids == {"builtin:kas22-claim", "builtin:reinstatement-claim", "builtin:lawyer-request",
                   "builtin:prosecutor-complaint", "builtin:appeal", "builtin:appeal-civil"}
    for template in builtin_templates():
        assert template.content().startswith(b"PK")  # a DOCX
        assert template.title_ru
        assert template.title_en
        assert template.needs, template.key  # what is missing is listed before it is drafted
        assert set(template.needs) <= NEEDABLE, (template.key, set(template.needs) - NEEDABLE)


@pytest.mark.django_db
def test_the_builtin_group_claim_drafted_from_the_case_page(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, claimants = _case(lawyer)
    cases.claimants_status_set(case=case, claimant_ids=[claimants[3].pk], recorded_by=lawyer,
                               keyring=keyring_of(lawyer), status="withdrawn", effective_on=date(2024, 11, 1),
                               reason="criminal_threat")
    client = verified_client(lawyer)
    form = client.get(f"/staff/cases/{case.pk}/documents/new/", {"template": "builtin:kas22-claim"})
    assert 'data-testid="missing"' not in form.content.decode()
    typed = {"template": "builtin:kas22-claim", "input_respondent": "Командир войсковой части 12345",
             "input_respondent_address": "г. Курск, ул. Военная, д. 1",
             "input_order": "приказ командира войсковой части 12345 от 30.09.2024 № 77",
             "input_authority": "ордер № 15 от 01.11.2024",
             "input_facts": "Административные истцы отказались от командировки.\nПриказ издан без проверки.",
             "input_period_reasons": "Копия приказа вручена по истечении срока.",  # orders of 2024: out of time
             "signed_by_claimants": "on"}  # no power of attorney recorded: the claimants sign it (issue 18)
    assert client.post(f"/staff/cases/{case.pk}/documents/new/", typed).status_code == 302
    text = _text(client, case, GeneratedDocument.objects.get())
    assert "В Курский гарнизонный военный суд" in text
    assert "1. Гусев Андрей Ильич." in text  # one list style (issue 18)
    assert "Титова Мария Петровна" in text
    assert "Гусева Андрея Ильича, Титовой Марии Петровны, ЧЕРНЫХ ОЛЕГА СЕРГЕЕВИЧА" in text  # genitive
    assert "Зуев" not in text  # left the claim under threat: not named
    assert "Административные истцы отказались от командировки." in text
    assert "Государственная пошлина: 3\u00a0000,00\u00a0руб." in text  # by the claim's kind (builtin/fees.yaml)
    assert court_date(timezone.localdate()) in text
    assert "30.09.2024" in text
    assert not re.search(r"\{\{|\{%|%\}|\}\}", text)
    listed = client.get(f"/staff/cases/{case.pk}/").content.decode().split('data-testid="documents"', 1)[1]
    assert "Административное исковое заявление об оспаривании приказа" in listed.split("</section>", 1)[0]


@pytest.mark.django_db(transaction=True)
def test_a_template_that_fails_on_real_data_fails_cleanly_without_writing_the_data_anywhere(
    lawyer: User, olga: User, verified_client: Callable[[User], Client],
) -> None:
    from django_tasks_db.models import DBTaskResult

    # Passes the sample check (a group), breaks on a single claimant: the birth date is not ISO.
    template = _upload(olga, docx_of("{{ case.number }}{% if not group %} {{ claimant.birth_date|court_date }}"
                                   "{% endif %}"), slug="fragile")
    case, _claimants = _case(lawyer, names=NAMES[:1])
    worker_identity_start()
    try:
        client = verified_client(lawyer)
        client.post(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
        call_command("db_worker", batch=True, verbosity=0)
    finally:
        worker_identity_stop()
    document = GeneratedDocument.objects.get()
    assert (document.status, document.failure, document.envelope) == (DocumentStatus.FAILED, "template_error", "")
    for task in DBTaskResult.objects.all():
        assert "25.05.1990" not in (task.traceback or "")
        assert "Гусев" not in str(task.return_value)
    page = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in page  # not waiting forever


@pytest.mark.django_db
def test_odd_sums_are_refused_with_a_message_not_an_error_page(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case, _claimants = _case(lawyer, names=NAMES[:1])
    client = verified_client(lawyer)
    typed = {"template": "builtin:reinstatement-claim", "input_respondent": "Управление",
             "input_respondent_address": "г", "input_order": "приказ", "input_authority": "ордер",
             "input_facts": "факты"}
    for odd in ("NaN", "Infinity", "1e30", "1000000000000000", "12,345"):
        response = client.post(f"/staff/cases/{case.pk}/documents/new/", {**typed, "input_moral_damages": odd})
        assert response.status_code == 400, odd
        assert "123456.78" in response.content.decode()
    assert not GeneratedDocument.objects.exists()


@pytest.mark.django_db
def test_an_uploaded_template_that_names_the_representative_asks_for_the_profile_first(
    anna: User, olga: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    template = _upload(olga, docx_of("{{ case.number }}, {{ representative.initials }}"), slug="initials")
    case, _claimants = _case(anna, names=NAMES[:1])  # anna has no document profile
    client = verified_client(anna)
    page = client.get(f"/staff/cases/{case.pk}/documents/new/", {"template": f"upload:{template.slug}"})
    missing = page.content.decode().split('data-testid="missing"', 1)[1].split("</div>", 1)[0]
    assert "ФИО для документов" in missing or "full name for documents" in missing
    assert client.post(f"/staff/cases/{case.pk}/documents/new/",
                       {"template": f"upload:{template.slug}"}).status_code == 400
    assert not GeneratedDocument.objects.exists()


@pytest.mark.django_db
def test_a_template_upload_without_the_form_token_is_refused(
    olga: User, verified_client: Callable[[User], Client],
) -> None:
    client = verified_client(olga)
    client.handler.enforce_csrf_checks = True  # the upload installs its own file handler, then checks
    response = client.post("/staff/templates/", {"title": "Запрос", "slug": "zapros",
                                                 "file": SimpleUploadedFile("zapros.docx", GROUP_TEMPLATE)})
    assert response.status_code == 403
    assert not DocumentTemplate.objects.exists()
