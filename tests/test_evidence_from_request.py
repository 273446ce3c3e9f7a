"""A request's files become evidence when anna accepts it: the case's evidence section lists them at
once, captured when intake received them and added by anna (whoever opens the case later), and each
downloads byte for byte. A file changed since it was received is refused and flagged, never taken in,
and the accept goes through all the same. Once the request is in a case, only those who hold the
case download its files from the request page. A file the person sent later with their receipt is
shown in the conversation, under the message it came with."""

from __future__ import annotations

import html
import io
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case, CaseFile
from defensor.cases.services import case_open, case_share
from defensor.evidence.custody import blob_path
from defensor.evidence.models import CustodyEvent, EvidenceItem, EvidenceLink, Source
from defensor.evidence.services import item_ingest
from defensor.intake.models import Attachment, Status, Submission
from defensor.intake.services import _aad, submission_data_key
from defensor.intake.uploads import attachment_path
from defensor.keys import crypto
from defensor.keys.streams import encrypt_file
from tests.conftest import attach_file, keyring_of
from tests.intake_visitor import PDF, IntakeVisitor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("evidence_dir")]

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400  # 100 KB that sniffs as a JPEG
ORDER = b"%PDF-1.4\n% the dismissal order, page 1\n" + b"0123456789" * 3000 + b"\n%%EOF\n"


@pytest.fixture(autouse=True)
def _after_commit(django_capture_on_commit_callbacks: Any) -> None:
    """The accept takes files in once it has committed (evidence.services.request_files_taken_in);
    a test's transaction never commits, so its accepts run what waits for the commit, as a
    committed one would."""
    global _committed
    _committed = django_capture_on_commit_callbacks


_committed: Any = None


def _post_committed(client: Client, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    assert _committed is not None
    with _committed(execute=True):
        return client.post(url, data, **kwargs)


def _sent_by_visitor(files: list[tuple[str, bytes]]) -> tuple[Submission, str]:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all(files=files)
    receipt = visitor.submit()
    return Submission.objects.get(), receipt


def _accept(client: Client, submission: Submission) -> str:
    response = _post_committed(client, f"/staff/inbox/{submission.pk}/accept/",
                               {"person": "new", "case": "new", "case_kind": "special_rank"}, follow=True)
    assert response.status_code == 200
    return str(response.content.decode())


def _evidence_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-testid="evidence-item">(.*?)</tr>', html.unescape(page), flags=re.S)


def _download(client: Client, case: Case, item: EvidenceItem) -> bytes:
    response = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_anna_accepts_a_request_and_its_file_is_evidence_at_once_captured_when_received(
    anna: User, olga: User, verified_client: Callable[[User], Client]
) -> None:
    submission, _receipt = _sent_by_visitor([("приказ об увольнении.jpg", PHOTO)])
    attachment = Attachment.objects.get()
    client = verified_client(anna)
    client.get(f"/staff/inbox/{submission.pk}/")  # anna reads the request, then accepts it
    _accept(client, submission)
    case = Case.objects.get()
    # Made in the accept itself: nobody has opened the case yet.
    item = EvidenceItem.objects.get(case=case)
    assert item.added_by_id == anna.pk
    assert item.source == "request"
    assert item.attachment_id == attachment.pk
    assert EvidenceLink.objects.filter(item=item, claimant=CaseFile.objects.get(case=case).claimant).exists()
    values = item.decrypt(keyring_of(anna))
    assert values.captured_at == attachment.created_at.isoformat()  # received, not accepted or opened
    captured = CustodyEvent.objects.get(item=item, kind="captured")
    assert captured.actor_id == anna.pk
    assert captured.details["source"] == "request"
    assert captured.details["attachment"] == str(attachment.pk)
    assert str(attachment.created_at.date()) not in str(captured.details)  # the receipt time is sealed only
    assert AuditEvent.objects.get(action="evidence.added", target_id=str(item.pk)).actor_id == anna.pk

    # olga, the administrator anna gives the case to, is the first to open it: the item stays anna's.
    case_share(case=case, to_user=olga, shared_by=anna, keyring=keyring_of(anna))
    olgas = verified_client(olga)
    rows = _evidence_rows(olgas.get(f"/staff/cases/{case.pk}/").content.decode())
    assert len(rows) == 1
    assert "приказ об увольнении.jpg" in rows[0]
    assert "image/jpeg" in rows[0]
    assert EvidenceItem.objects.count() == 1
    item.refresh_from_db()
    assert item.added_by_id == anna.pk
    page = html.unescape(olgas.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/").content.decode())
    received = timezone.localtime(attachment.created_at)
    # "Captured at": the time the request brought the file in (as the page writes it).
    assert received.strftime("%d.%m.%Y %H:%M") in page or received.isoformat() in page
    assert "anna" in page
    assert _download(olgas, case, item) == PHOTO
    assert _download(client, case, item) == PHOTO


def test_a_bulk_accept_makes_every_requests_file_evidence(
    anna: User, verified_client: Callable[[User], Client], make_submission: Callable[..., Submission]
) -> None:
    submissions = [make_submission(full_name=f"{surname} Иван Петрович", birth_date=f"1990-02-{i + 1:02d}",
                                   phone=f"+7916200{i:04d}")
                   for i, surname in enumerate(["Иванов", "Петров", "Сидоров"])]
    contents = {}
    for i, submission in enumerate(submissions):
        content = ORDER.replace(b"page 1", f"page {i + 1}".encode())
        contents[attach_file(submission, f"приказ {i + 1}.pdf", content, kind="pdf")] = content
    client = verified_client(anna)
    done = _post_committed(client, "/staff/inbox/accept/", {
        "ids": [str(s.pk) for s in submissions], **{f"person_{s.pk}": "new" for s in submissions}, "accept": "1",
        "case": "new", "case_title": "Три росгвардейца", "case_kind": "special_rank",
    }, follow=True)
    assert done.status_code == 200
    assert set(Submission.objects.values_list("status", flat=True)) == {Status.ACCEPTED}
    case = Case.objects.get()
    items = list(EvidenceItem.objects.filter(case=case).order_by("number"))
    assert [i.number for i in items] == [1, 2, 3]
    assert {str(i.attachment_id) for i in items} == set(contents)
    assert all(i.added_by_id == anna.pk for i in items)
    keyring = keyring_of(anna)
    for item in items:
        attachment = Attachment.objects.get(pk=str(item.attachment_id))
        assert item.decrypt(keyring).captured_at == attachment.created_at.isoformat()
        assert _download(client, case, item) == contents[str(attachment.pk)]
    assert len(_evidence_rows(client.get(f"/staff/cases/{case.pk}/").content.decode())) == 3


def _swap_file(submission: Submission, attachment: Attachment, content: bytes, keyring: object) -> None:
    """Someone holding the request's key puts another file in the place of the one received
    (encrypted under the same key, so it opens like the original)."""
    key = submission_data_key(submission=submission, keyring=keyring)  # type: ignore[arg-type]
    file_key = crypto.decrypt(key, bytes(attachment.file_key or b""), aad=_aad(submission.pk, f"file.{attachment.pk}"))
    path = attachment_path(str(attachment.pk))
    path.unlink()
    encrypt_file(io.BytesIO(content), path, file_key, limit=len(content) + 1)


def test_a_file_changed_since_it_was_received_is_refused_and_the_accept_goes_through(
    anna: User, verified_client: Callable[[User], Client], evidence_dir: Path
) -> None:
    submission, _receipt = _sent_by_visitor([("приказ.pdf", PDF)])
    attachment = Attachment.objects.get()
    client = verified_client(anna)
    client.get(f"/staff/inbox/{submission.pk}/")  # the first listing seals the file's SHA-256
    _swap_file(submission, attachment, PDF.replace(b"Catalog", b"Katalog"), keyring_of(anna))
    _accept(client, submission)
    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED  # the person's request is not lost over a file
    case = Case.objects.get()
    assert CaseFile.objects.filter(case=case).count() == 1
    assert not EvidenceItem.objects.exists()
    refused = AuditEvent.objects.get(action="evidence.request_file_refused")
    assert refused.actor_id == anna.pk
    assert refused.details == {"attachment": str(attachment.pk), "code": "changed_since_receipt"}
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert 'data-testid="evidence-changed"' in page
    assert "изменился с тех пор, как был получен" in html.unescape(page)
    assert not EvidenceItem.objects.exists()  # opening the case does not take it in either
    assert not [p for p in evidence_dir.glob("*.bin")]  # nothing of it kept


def test_a_file_changed_before_anyone_listed_it_is_caught_by_its_hash_at_receipt(
    anna: User, verified_client: Callable[[User], Client], evidence_dir: Path
) -> None:
    """The hash is taken as the file streams in, so a swap before the first listing shows too: on
    the request page (the stored file is marked) and at accept (no item is made of it)."""
    submission, _receipt = _sent_by_visitor([("приказ.pdf", PDF)])
    attachment = Attachment.objects.get()
    _swap_file(submission, attachment, PDF.replace(b"Catalog", b"Katalog"), keyring_of(anna))
    client = verified_client(anna)
    page = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert 'data-testid="file-changed"' in page
    assert "отличается от полученного" in html.unescape(page)
    _accept(client, submission)
    assert Submission.objects.get().status == Status.ACCEPTED
    assert not EvidenceItem.objects.exists()
    assert AuditEvent.objects.get(action="evidence.request_file_refused").details["code"] == "changed_since_receipt"


def test_an_unchanged_file_is_not_marked_changed(anna: User, verified_client: Callable[[User], Client]) -> None:
    submission, _receipt = _sent_by_visitor([("приказ.pdf", PDF)])
    page = verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert "приказ.pdf" in html.unescape(page)
    assert 'data-testid="file-changed"' not in page


def test_a_file_that_could_not_be_opened_at_accept_is_taken_in_later_as_added_by_anna(
    anna: User, olga: User, verified_client: Callable[[User], Client]
) -> None:
    submission, _receipt = _sent_by_visitor([("приказ.pdf", ORDER)])
    attachment = Attachment.objects.get()
    path = attachment_path(str(attachment.pk))
    away = path.with_suffix(".away")
    path.rename(away)  # the disk was not there for a moment
    _accept(verified_client(anna), submission)
    case = Case.objects.get()
    assert Submission.objects.get().status == Status.ACCEPTED
    assert not EvidenceItem.objects.exists()
    assert AuditEvent.objects.get(action="evidence.request_file_refused").details["code"] == "unreadable"
    away.rename(path)
    case_share(case=case, to_user=olga, shared_by=anna, keyring=keyring_of(anna))
    olgas = verified_client(olga)
    rows = _evidence_rows(olgas.get(f"/staff/cases/{case.pk}/").content.decode())
    assert len(rows) == 1
    item = EvidenceItem.objects.get()
    assert item.added_by_id == anna.pk  # who carried it into the case, not who opened the page
    assert CustodyEvent.objects.get(item=item, kind="captured").actor_id == anna.pk
    taken = AuditEvent.objects.get(action="evidence.request_file_taken_in")
    assert taken.actor_id == olga.pk
    assert taken.details["carried_by"] == anna.pk
    assert item.decrypt(keyring_of(olga)).captured_at == attachment.created_at.isoformat()
    assert _download(olgas, case, item) == ORDER


def test_once_in_a_case_only_its_holders_download_the_requests_files(
    anna: User, pavel: User, verified_client: Callable[[User], Client]
) -> None:
    submission, _receipt = _sent_by_visitor([("приказ.pdf", PDF)])
    attachment = Attachment.objects.get()
    url = f"/staff/inbox/{submission.pk}/files/{attachment.pk}/"
    pavels = verified_client(pavel)  # a paralegal: triages requests, holds the intake key
    before = pavels.get(url)
    assert b"".join(before.streaming_content) == PDF  # type: ignore[attr-defined]
    _accept(verified_client(anna), submission)
    # The case is anna's alone: pavel does not hold it.
    assert pavels.get(url).status_code == 404
    page = pavels.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert 'data-testid="files-case-only"' in page
    assert url not in page
    downloads = AuditEvent.objects.filter(action="submission.file_downloaded")
    assert downloads.filter(actor=pavel).count() == 1  # the one before the accept
    annas = verified_client(anna).get(url, follow=True)  # through the evidence item it now is
    assert annas.status_code == 200
    assert b"".join(annas.streaming_content) == PDF  # type: ignore[attr-defined]
    assert url in verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode()


def test_after_accept_the_request_page_names_the_item_and_its_download_enters_the_chain_of_custody(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    """anna accepts a request with a photo; back on the request page the photo says it is evidence
    No. 1 of the case, links to the item, and downloading it there is a download of the item: its
    chain of custody records it as anna's, as the case page's download would."""
    submission, _receipt = _sent_by_visitor([("приказ об увольнении.jpg", PHOTO)])
    attachment = Attachment.objects.get()
    client = verified_client(anna)
    _accept(client, submission)
    case = Case.objects.get()
    item = EvidenceItem.objects.get(case=case)
    assert list(CustodyEvent.objects.filter(item=item).values_list("kind", flat=True)) == ["captured"]

    page = html.unescape(client.get(f"/staff/inbox/{submission.pk}/").content.decode())
    row = re.findall(r'<tr data-testid="file">(.*?)</tr>', page, flags=re.S)[0]
    link = re.search(r'<a href="([^"]+)" data-testid="file-evidence">([^<]+)</a>', row)
    assert link is not None, row
    assert link.group(1) == f"/staff/cases/{case.pk}/evidence/{item.pk}/"
    assert link.group(2) == f"доказательство № 1 по делу {case.number}"
    assert client.get(link.group(1)).status_code == 200  # the item's page opens

    url = f"/staff/inbox/{submission.pk}/files/{attachment.pk}/"
    assert url in row
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/staff/cases/{case.pk}/evidence/{item.pk}/download/"
    assert _download(client, case, item) == PHOTO
    downloaded = CustodyEvent.objects.filter(item=item, kind="downloaded")
    assert [event.actor_id for event in downloaded] == [anna.pk]
    assert not AuditEvent.objects.filter(action="submission.file_downloaded").exists()  # not the intake copy


def test_a_file_refused_as_evidence_still_downloads_from_the_request(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    """A file changed since it was received is not an item: the request page names no item for it
    and gives the stored file as intake keeps it (an audited read of the request)."""
    submission, _receipt = _sent_by_visitor([("приказ.pdf", PDF)])
    attachment = Attachment.objects.get()
    swapped = PDF.replace(b"Catalog", b"Katalog")
    _swap_file(submission, attachment, swapped, keyring_of(anna))
    client = verified_client(anna)
    _accept(client, submission)
    assert not EvidenceItem.objects.exists()
    page = client.get(f"/staff/inbox/{submission.pk}/").content.decode()
    assert 'data-testid="file-evidence"' not in page
    response = client.get(f"/staff/inbox/{submission.pk}/files/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == swapped  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action="submission.file_downloaded", actor=anna).count() == 1


def test_a_file_sent_later_is_shown_in_the_conversation_under_its_message(
    anna: User, verified_client: Callable[[User], Client]
) -> None:
    submission, receipt = _sent_by_visitor([])
    person = Client()
    sent = person.post("/receipt/message/", {"receipt": receipt, "text": "Вот приказ об увольнении.",
                                             "files": [SimpleUploadedFile("приказ-позже.pdf", ORDER)]})
    assert sent.status_code == 200
    client = verified_client(anna)
    client.post(f"/staff/inbox/{submission.pk}/reply/", {"text": "Спасибо, получили."})
    person.post("/receipt/message/", {"receipt": receipt, "text": "И ещё одна страница.",
                                      "files": [SimpleUploadedFile("страница-2.pdf", PDF)]})
    page = html.unescape(client.get(f"/staff/inbox/{submission.pk}/").content.decode())
    messages = re.findall(r'<div class="message[^"]*" data-testid="thread-message">(.*?)</div>', page, flags=re.S)
    texts = [m for m in messages if "Вот приказ" in m or "Спасибо" in m or "ещё одна" in m]
    assert len(texts) == 3
    first, reply, second = texts
    assert "Вот приказ об увольнении." in first
    assert "приказ-позже.pdf" in first
    assert "Спасибо, получили." in reply
    assert ".pdf" not in reply
    assert "И ещё одна страница." in second
    assert "страница-2.pdf" in second
    assert "приказ-позже" not in second
    later = Attachment.objects.filter(submission=submission).order_by("created_at").first()
    assert later is not None
    assert f"/staff/inbox/{submission.pk}/files/{later.pk}/" in first
    assert 'data-testid="files"' in page  # still in the file list too


def test_a_bulk_accept_that_fails_leaves_no_evidence_and_leftover_sealed_copies_are_swept(
    anna: User, verified_client: Callable[[User], Client], make_submission: Callable[..., Submission],
    evidence_dir: Path,
) -> None:
    from django_tasks_db.models import DBTaskResult

    from defensor.core.periodic import periodic_schedule_all
    from defensor.evidence.sweep import orphan_blobs_remove
    from defensor.intake.services import submission_withdraw

    kept_case = case_open(opened_by=anna, keyring=keyring_of(anna), title="Другое дело")
    kept = item_ingest(case=kept_case, source=Source.UPLOAD, stream=io.BytesIO(PDF), name="справка.pdf",
                       added_by=anna, keyring=keyring_of(anna))
    submissions = [make_submission(full_name=f"{surname} Иван Петрович", birth_date=f"1991-03-{i + 1:02d}",
                                   phone=f"+7916300{i:04d}")
                   for i, surname in enumerate(["Орлов", "Зайцев", "Волков"])]
    for i, submission in enumerate(submissions):
        attach_file(submission, f"приказ {i + 1}.pdf", ORDER, kind="pdf")
    submission_withdraw(submission=submissions[2])  # the third man withdraws meanwhile
    done = verified_client(anna).post("/staff/inbox/accept/", {
        "ids": [str(s.pk) for s in submissions], **{f"person_{s.pk}": "new" for s in submissions}, "accept": "1",
        "case": "new", "case_title": "Трое", "case_kind": "special_rank",
    }, follow=True)
    assert "Ничего не принято" in html.unescape(done.content.decode())
    assert list(EvidenceItem.objects.all()) == [kept]
    # Files are taken in only once an accept has committed: the one rolled back sealed nothing.
    assert [p for p in evidence_dir.glob("*.bin") if p.stem != kept.blob] == []
    # What a crash between sealing and recording leaves (a blob no row names) is swept after a day.
    left = [evidence_dir / f"{os.urandom(16).hex()}.bin" for _ in range(2)]
    for path in left:
        path.write_bytes(os.urandom(1000))
    assert orphan_blobs_remove() == 0  # young: an accept or an upload may be under way
    day_ago = time.time() - 25 * 3600
    for path in [*left, blob_path(kept.blob)]:
        os.utime(path, (day_ago, day_ago))
    assert orphan_blobs_remove() == 2
    assert not any(p.exists() for p in left)
    assert blob_path(kept.blob).exists()  # an item's file is never swept, however old
    assert "evidence orphan sweep" in periodic_schedule_all()
    queued = DBTaskResult.objects.get(task_path="defensor.evidence.sweep.orphan_blobs_sweep", status="READY")
    assert queued.args_kwargs == {"args": [], "kwargs": {}}
