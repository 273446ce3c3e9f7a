"""A request's files reach the team: anna (a lawyer who triages) sees each file a visitor sent on the
request page — name, size, type from its content, SHA-256, active content flagged — and downloads
it byte for byte, only ever as an attachment; nobody else does."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.core.models import Organisation
from defensor.intake.models import Attachment, Submission
from tests.canary import Canaries, files_under, scan, scan_bytes, stored_bytes
from tests.conftest import OrganisationKit, attach_file
from tests.intake_visitor import DEFAULT_ANSWERS, PDF, IntakeVisitor, on_files_page
from tests.test_browser import SCREENSHOTS, browser  # noqa: F401 - the chromium fixture

pytestmark = pytest.mark.django_db

HTML_AS_TEXT = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>\n'


def _sent_by_visitor(files: list[tuple[str, bytes]]) -> Submission:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all(files=files)
    visitor.submit()
    return Submission.objects.get()


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="file">(.*?)</tr>', page, flags=re.S)


def _attachment_id(submission: Submission, row: str) -> str:
    match = re.search(rf"/staff/inbox/{submission.pk}/files/([0-9a-f-]+)/", row)
    assert match, row
    return match.group(1)


def test_a_visitors_file_is_listed_and_downloads_byte_for_byte(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client]
) -> None:
    submission = _sent_by_visitor([("приказ об увольнении.pdf", PDF)])
    later = b"%PDF-1.4\n% a later page\n%%EOF\n"
    attach_file(submission, "ещё страница.pdf", later, kind="pdf")
    client = verified_client(anna)
    page = html.unescape(client.get(f"/staff/inbox/{submission.pk}/").content.decode())
    rows = _rows(page)
    assert len(rows) == 2  # the questionnaire's file first, then the later message's
    first, second = rows
    assert "приказ об увольнении.pdf" in first
    assert "application/pdf" in first
    assert hashlib.sha256(PDF).hexdigest() in first
    assert "ещё страница.pdf" in second
    assert "прислан позже" in second
    assert hashlib.sha256(later).hexdigest() in second
    assert 'data-testid="file-active"' not in page

    response = client.get(f"/staff/inbox/{submission.pk}/files/{_attachment_id(submission, first)}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%BF%D1%80%D0%B8%D0%BA%D0%B0%D0%B7" in response["Content-Disposition"]
    assert response["Content-Length"] == str(len(PDF))
    second_id = _attachment_id(submission, second)
    downloaded = client.get(f"/staff/inbox/{submission.pk}/files/{second_id}/")
    assert b"".join(downloaded.streaming_content) == later  # type: ignore[attr-defined]


def test_the_hash_is_computed_once_and_kept_sealed(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client]
) -> None:
    submission = _sent_by_visitor([("приказ.pdf", PDF)])
    client = verified_client(anna)
    client.get(f"/staff/inbox/{submission.pk}/")
    attachment = Attachment.objects.get()
    sealed = bytes(attachment.meta or b"")
    client.get(f"/staff/inbox/{submission.pk}/")
    assert bytes(Attachment.objects.get().meta or b"") == sealed  # not recomputed on the second view
    assert hashlib.sha256(PDF).hexdigest().encode() not in sealed


def test_active_content_is_flagged_and_served_only_as_a_sandboxed_download(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client]
) -> None:
    submission = _sent_by_visitor([("объяснение.txt", HTML_AS_TEXT), ("схема.txt", SVG)])
    client = verified_client(anna)
    page = html.unescape(client.get(f"/staff/inbox/{submission.pk}/").content.decode())
    rows = _rows(page)
    assert len(rows) == 2
    by_name = {("html" if "объяснение" in row else "svg"): row for row in rows}
    assert 'data-testid="file-active"' in by_name["html"]
    assert "text/html" in by_name["html"]
    assert 'data-testid="file-active"' in by_name["svg"]
    assert "image/svg+xml" in by_name["svg"]
    assert "<script>alert" not in page  # listed, never shown
    for kind, content in (("html", HTML_AS_TEXT), ("svg", SVG)):
        response = client.get(f"/staff/inbox/{submission.pk}/files/{_attachment_id(submission, by_name[kind])}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content  # type: ignore[attr-defined]
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert "no-store" in response["Cache-Control"]


def test_an_archive_is_flagged_and_never_unpacked(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client], make_submission: Callable[
        ..., Submission]
) -> None:
    submission = make_submission()
    archive = b"PK\x03\x04" + b"\0" * 26 + b"evil.html" + b"PK\x05\x06" + b"\0" * 18
    attach_file(submission, "архив.docx", archive, kind="zip-office")
    page = verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert 'data-testid="file-archive"' in page


def test_a_wrong_request_or_file_is_not_found(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client],
    make_submission: Callable[..., Submission],
) -> None:
    ours = make_submission()
    file_id = attach_file(ours, "справка.txt", b"text")
    other_request = make_submission()
    client = verified_client(anna)
    assert client.get(f"/staff/inbox/{ours.pk}/files/{file_id}/").status_code == 200
    assert client.get(f"/staff/inbox/{other_request.pk}/files/{file_id}/").status_code == 404
    assert client.get(f"/staff/inbox/{ours.pk}/files/00000000-0000-0000-0000-000000000000/").status_code == 404
    other = Organisation.objects.create(name="Другая группа")
    Submission.objects.filter(pk=ours.pk).update(organisation=other)
    assert client.get(f"/staff/inbox/{ours.pk}/files/{file_id}/").status_code == 404
    assert not AuditEvent.objects.filter(action="submission.file_downloaded").exclude(
        details__attachment=file_id).exists()
    assert AuditEvent.objects.filter(action="submission.file_downloaded").count() == 1


def test_a_partner_is_refused(
    org_kit: OrganisationKit, petra: User, verified_client: Callable[[User], Client],
    make_submission: Callable[..., Submission],
) -> None:
    submission = make_submission()
    file_id = attach_file(submission, "справка.txt", b"text")
    assert verified_client(petra).get(f"/staff/inbox/{submission.pk}/files/{file_id}/").status_code == 403
    assert not AuditEvent.objects.filter(action="submission.file_downloaded").exists()


def test_a_triager_without_the_intake_key_gets_nothing(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client],
    make_submission: Callable[..., Submission],
) -> None:
    from defensor.keys.models import KeyGrant

    submission = make_submission()
    file_id = attach_file(submission, "справка.txt", b"text")
    KeyGrant.objects.filter(user=anna, material_id=submission.intake_key_id).delete()
    client = verified_client(anna)
    assert client.get(f"/staff/inbox/{submission.pk}/files/{file_id}/").status_code == 404
    assert 'data-testid="files"' not in client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert not AuditEvent.objects.filter(action="submission.file_downloaded").exists()


def test_the_download_is_audited_without_the_files_name(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client],
    make_submission: Callable[..., Submission],
) -> None:
    submission = make_submission()
    file_id = attach_file(submission, "Иванов — рапорт.txt", b"text")
    verified_client(anna).get(f"/staff/inbox/{submission.pk}/files/{file_id}/")
    event = AuditEvent.objects.get(action="submission.file_downloaded")
    assert event.actor_id == anna.pk
    assert event.details["attachment"] == file_id
    assert "Иванов" not in json.dumps(event.details, ensure_ascii=False)
    log = verified_client(anna).get("/staff/audit/")
    if log.status_code == 200:
        assert "Иванов" not in log.content.decode()


def test_canary_no_file_name_or_hash_in_plaintext(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client]
) -> None:
    canaries = Canaries()
    content = f"Рапорт: {canaries.new('в-файле')}\n".encode() * 20
    name = f"{canaries.new('имя-файла')}.txt"
    canaries.strings.append(hashlib.sha256(content).hexdigest())
    canaries.secrets.append(hashlib.sha256(content).digest())
    submission = _sent_by_visitor([(name, content)])
    client = verified_client(anna)
    page = html.unescape(client.get(f"/staff/inbox/{submission.pk}/").content.decode())
    assert name in page
    assert hashlib.sha256(content).hexdigest() in page
    file_id = Attachment.objects.get().pk
    downloaded = client.get(f"/staff/inbox/{submission.pk}/files/{file_id}/")
    assert b"".join(downloaded.streaming_content) == content  # type: ignore[attr-defined]
    hits = scan(files_under(Path(settings.DATA_DIR)), canaries)
    hits += scan_bytes("database", stored_bytes(*apps.get_models()), canaries)
    assert not hits, "\n".join(hits)


def test_a_damaged_file_is_marked_and_never_given_out_whole(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client],
    make_submission: Callable[..., Submission],
) -> None:
    from defensor.intake.uploads import attachment_path
    from defensor.keys import crypto

    submission = make_submission()
    content = b"%PDF-1.4\n" + b"x" * 1000 + b"\n%%EOF\n"
    file_id = attach_file(submission, "приказ.pdf", content, kind="pdf")
    path = attachment_path(file_id)
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 1
    path.write_bytes(bytes(blob))
    client = verified_client(anna)
    page = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert 'data-testid="file-damaged"' in page
    assert hashlib.sha256(content).hexdigest() not in page
    response = client.get(f"/staff/inbox/{submission.pk}/files/{file_id}/")
    received: list[bytes] = []
    with pytest.raises(crypto.Tampered):
        received.extend(response.streaming_content)  # type: ignore[attr-defined]
    assert len(b"".join(received)) < len(content)


def test_a_visitor_is_told_once_about_too_many_files_and_what_may_be_sent_in_words(
    anna: User, settings: object
) -> None:
    """A person who sends eight files where five are taken reads the limit once; a file of a kind not
    taken is answered with the kinds a person knows, in their language (not "MP3, text")."""
    settings.DEFENSOR_INTAKE_MAX_FILES_PER_REQUEST = 5  # type: ignore[attr-defined]
    visitor = on_files_page()
    many = [SimpleUploadedFile(f"страница {i}.pdf", PDF) for i in range(8)]
    visitor.post(DEFAULT_ANSWERS["after"], {"files": many})
    assert visitor.status == 400
    page = html.unescape(visitor.page)
    # Once in the error summary at the top and once beside the file field — never once per file.
    assert page.count("Файлов за один раз можно отправить не больше 5.") == 2
    summary = page.split('id="error-summary-title"', 1)[1].split("</div>", 1)[0]
    assert "Файлов за один раз можно отправить не больше 5." in summary

    visitor.post(DEFAULT_ANSWERS["after"], {"files": [SimpleUploadedFile("песня.wav", b"RIFF\x00\x00WAVE")]})
    page = html.unescape(visitor.page)
    assert "Файлы вроде «песня.wav» нельзя отправить. Можно: документы PDF, фотографии JPEG" in page
    assert "простой текст (TXT)." in page
    assert "MP3, text" not in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_the_file_list_reads_on_a_phone_warning_before_hash(
    browser: Any, live_server: Any, viewport: dict[str, int], anna: User,  # noqa: F811
    verified_client: Callable[[User], Client],
) -> None:
    """anna opens on her phone a request with a scanned order carrying JavaScript and a photo: each
    file is a block that fits the screen, its name, size, type and the active-content warning on
    screen before the SHA-256, which wraps instead of squeezing into a column."""
    scripted = PDF.replace(b"%%EOF", b"1 0 obj << /S /JavaScript /JS (app.alert\\(1\\)) >> endobj\n%%EOF")
    submission = _sent_by_visitor([("Постановление о возбуждении дела (скан от 12.03).pdf", scripted),
                                   ("фото приказа.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)])
    client = verified_client(anna)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
    context.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                         for name, morsel in client.cookies.items()])
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/inbox/{submission.pk}/#files")
    rows = page.locator('[data-testid="file"]')
    assert rows.count() == 2
    warning = page.locator('[data-testid="file-active"]')
    assert "JavaScript в PDF" in warning.inner_text()
    for i in range(2):
        row = rows.nth(i).bounding_box()
        assert row is not None
        assert row["x"] >= 0
        assert row["x"] + row["width"] <= viewport["width"]
    warned, hashed = warning.bounding_box(), rows.first.locator("code").bounding_box()
    link = rows.first.locator("a").first.bounding_box()
    assert warned is not None
    assert hashed is not None
    assert link is not None
    assert warned["x"] >= 0
    assert warned["x"] + warned["width"] <= viewport["width"]
    assert hashed["x"] + hashed["width"] <= viewport["width"]
    if viewport["width"] < 640:
        assert link["y"] < warned["y"] < hashed["y"]  # the name, then the warning, the hash last
        assert hashed["width"] > viewport["width"] / 2  # the hash has the block's width, not a 36 px column
    shots = SCREENSHOTS / str(viewport["width"])
    shots.mkdir(parents=True, exist_ok=True)
    page.locator("#files").screenshot(path=str(shots / "request-files.png"))
    context.close()
