"""Files of forms that are never sent cannot fill the disk: capped per form and in all, swept
every hour by the worker, and refused as "try again later" (answers kept) before the disk is
full — while requests without files, the team's work and what was already received go on."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections import namedtuple
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from defensor.accounts.models import User
from defensor.core.periodic import periodic_schedule_all
from defensor.intake import checks, services
from defensor.intake.models import Attachment, Submission, UnsentUpload
from defensor.intake.tasks import SWEEP_TASK
from defensor.intake.uploads import attachment_path, attachments_dir
from tests.conftest import keyring_of
from tests.intake_visitor import DEFAULT_ANSWERS, PDF, IntakeVisitor, on_files_page

KIB = 1024
STORED = 64 * KIB  # what a small file counts for, as stored (rounded up like sent files)


def _pdfs(*names: str, content: bytes = PDF) -> dict[str, list[SimpleUploadedFile]]:
    return {"files": [SimpleUploadedFile(name, content) for name in names]}


def _bin_files() -> set[Path]:
    return set(attachments_dir().glob("*.bin"))


@pytest.fixture(autouse=True)
def own_attachments_folder(settings: Any, tmp_path: Path) -> None:
    """Each test counts files in a folder of its own: other tests running at the same time (xdist)
    write attachments too, and a shared folder made the counts of new files wrong."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


class NewFiles:
    """Files written under attachments/ since it was made (the folder outlives each test)."""

    def __init__(self) -> None:
        self.before = _bin_files()

    def __call__(self) -> set[Path]:
        return _bin_files() - self.before


def _refusal_date_kept(page: str) -> bool:
    """The refusal's date typed before is still in its field (one value, or its day and year apart)."""
    return 'value="2022-02-24"' in page or (
        'name="refusal_date_day" value="24"' in page and 'name="refusal_date_year" value="2022"' in page
    )


@pytest.mark.django_db
def test_a_form_holds_only_so_much_in_files_and_says_so_keeping_the_answers(anna: User, settings: Any) -> None:
    settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT = 1024 * KIB
    scan = b"%PDF-1.4\n" + b"0" * (400 * KIB)
    new_files = NewFiles()
    visitor = on_files_page()
    visitor.post(DEFAULT_ANSWERS["after"], _pdfs("первый.pdf", "второй.pdf", "третий.pdf", content=scan))
    assert visitor.status == 400
    assert "Файл «третий.pdf» не добавлен: к этой форме можно прикрепить не больше 1 МБ файлов" in visitor.page
    assert "первый.pdf" in visitor.page
    assert "второй.pdf" in visitor.page
    assert _refusal_date_kept(visitor.page)
    assert UnsentUpload.objects.count() == 2
    assert len(new_files()) == 2  # the refused one was not left on disk

    # Removing one makes room for another; the form then goes on.
    first = UnsentUpload.objects.order_by("created_at", "id").first()
    assert first is not None
    visitor.post({**DEFAULT_ANSWERS["after"], "remove_file": str(first.pk)}, _pdfs("третий.pdf", content=scan))
    assert visitor.status == 200, visitor.page
    assert UnsentUpload.objects.count() == 2
    visitor.fill_all()
    visitor.submit()
    assert Attachment.objects.count() == 2
    assert not UnsentUpload.objects.exists()  # sent: no longer counted as waiting


@pytest.mark.django_db
def test_unsent_files_stop_at_a_total_and_a_person_can_still_send_without_them(anna: User, settings: Any) -> None:
    settings.DEFENSOR_INTAKE_UNSENT_BYTES_TOTAL = 2 * STORED
    new_files = NewFiles()
    first = on_files_page()
    first.post(DEFAULT_ANSWERS["after"], _pdfs("а.pdf", "б.pdf"))
    assert first.status == 200

    second = on_files_page(language="en")
    second.post(DEFAULT_ANSWERS["after"], _pdfs("scan.pdf"))
    assert second.status == 503
    assert "Files cannot be received right now" in second.page
    assert "add them later with your receipt" in second.page
    assert _refusal_date_kept(second.page)
    assert UnsentUpload.objects.count() == 2
    assert len(new_files()) == 2
    # Without the file the request goes through, and the file can follow with the receipt.
    second.post(DEFAULT_ANSWERS["after"])
    assert second.status == 200
    second.fill_all()
    receipt = second.submit()
    later = Client().post("/receipt/message/", {"receipt": receipt, "text": "The scan.",
                                                "files": [SimpleUploadedFile("scan.pdf", PDF)]})
    assert later.status_code == 200
    assert Attachment.objects.filter(sealed_to_intake=True).count() == 1

    # Once the first form is sent its files no longer wait, and others may attach again.
    first.fill_all()
    first.submit()
    third = on_files_page()
    third.post(DEFAULT_ANSWERS["after"], _pdfs("в.pdf"))
    assert third.status == 200


@pytest.mark.django_db
def test_near_a_full_disk_files_wait_requests_still_arrive_and_the_team_keeps_working(
    anna: User, settings: Any
) -> None:
    settings.DEFENSOR_DISK_RESERVE_BYTES = 1 << 62  # more than any disk has free: the reserve is reached
    settings.DEFENSOR_DISK_FLOOR_BYTES = 0
    new_files = NewFiles()
    visitor = on_files_page()
    visitor.post(DEFAULT_ANSWERS["after"], _pdfs("скан.pdf"))
    assert visitor.status == 503
    assert visitor.client.cookies  # the form goes on in the same browser
    assert "Сервис сейчас перегружен и не может принять файлы" in visitor.page
    assert _refusal_date_kept(visitor.page)
    assert not new_files()
    assert not UnsentUpload.objects.exists()
    # A request without files is a few kilobytes: taken while the floor is not reached.
    visitor.post(DEFAULT_ANSWERS["after"])
    visitor.fill_all()
    receipt = visitor.submit()
    refused = Client().post("/receipt/message/", {"receipt": receipt, "text": "Вот приказ.",
                                                  "files": [SimpleUploadedFile("приказ.pdf", PDF)]})
    assert refused.status_code == 503
    assert "Вот приказ." in refused.content.decode()  # the message typed is still in the page
    assert "не может принять файлы" in refused.content.decode()
    assert not new_files()

    # At the floor, requests and messages wait too: "try again later", the answers in the page.
    settings.DEFENSOR_DISK_FLOOR_BYTES = 1 << 62
    other = IntakeVisitor()
    other.start()
    other.fill_all()
    other.post({}, action="submit")
    assert other.status == 503
    assert "Сервис сейчас перегружен. Пожалуйста, попробуйте позже" in other.page
    assert 'name="state"' in other.page
    assert "в/ч 12345" in other.page
    message = Client().post("/receipt/message/", {"receipt": receipt, "text": "Позвоните вечером."})
    assert message.status_code == 503
    assert "Позвоните вечером." in message.content.decode()
    assert "Сервис сейчас перегружен. Пожалуйста, попробуйте позже" in message.content.decode()
    # What was received stays readable, and the team's work is not refused.
    submission = Submission.objects.get()
    services.reply_send(submission=submission, author=anna, keyring=keyring_of(anna), text="Получили, позвоним.")
    assert "Получили, позвоним." in Client().post("/receipt/", {"receipt": receipt}).content.decode()

    settings.DEFENSOR_DISK_FLOOR_BYTES = 0
    other.post({}, action="submit")
    assert re.search(r'data-testid="receipt"', other.page)
    assert Submission.objects.count() == 2


@pytest.mark.django_db
def test_a_file_that_would_eat_into_the_reserve_while_it_arrives_is_dropped(
    anna: User, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The free space is looked at again as a large file streams in, not only when it starts."""
    settings.DEFENSOR_DISK_RESERVE_BYTES = 512 * 1024 * 1024
    usage = namedtuple("usage", "total used free")
    looks: list[int] = []

    def disk_usage(path: Any) -> Any:
        looks.append(1)
        free = 10 * 1024**3 if len(looks) <= 2 else 100 * 1024 * 1024  # then someone filled the disk
        return usage(20 * 1024**3, 20 * 1024**3 - free, free)

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)
    new_files = NewFiles()
    visitor = on_files_page()
    big = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)
    visitor.post(DEFAULT_ANSWERS["after"], {"files": [SimpleUploadedFile("большой.pdf", big)]})
    assert visitor.status == 503
    assert "не может принять файлы" in visitor.page
    assert not new_files()


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection, as it does in life
def test_the_worker_sweeps_files_of_forms_never_sent_every_hour(anna: User, settings: Any) -> None:
    new_files = NewFiles()
    visitor = on_files_page()
    visitor.post(DEFAULT_ANSWERS["after"], _pdfs("скан.pdf"))
    (waiting,) = new_files()
    sent = IntakeVisitor()
    sent.start()
    sent.fill_all(files=[("рапорт.pdf", PDF)])
    sent.submit()
    (attachment,) = Attachment.objects.values_list("id", flat=True)
    orphan = attachments_dir() / "0b4c1a56-0f4e-4c1a-9d8e-3a2b1c0d9e8f.bin"  # left by a crash: no record
    orphan.write_bytes(b"ciphertext")
    long_ago = time.time() - 25 * 3600
    for path in (orphan, attachment_path(str(attachment))):
        os.utime(path, (long_ago, long_ago))

    # The worker queues the sweep when it starts; the sweep has no arguments and queues the next.
    assert "unsent uploads sweep" in periodic_schedule_all()
    periodic_schedule_all()
    queued = DBTaskResult.objects.get(task_path=SWEEP_TASK, status="READY")
    assert queued.args_kwargs == {"args": [], "kwargs": {}}
    assert queued.run_after is not None
    assert queued.run_after > timezone.now() + timedelta(minutes=50)

    def run_due_sweep() -> None:
        DBTaskResult.objects.filter(task_path=SWEEP_TASK, status="READY").update(
            run_after=timezone.now() - timedelta(minutes=1))
        call_command("db_worker", batch=True, verbosity=0)

    run_due_sweep()
    assert DBTaskResult.objects.get(pk=queued.pk).status == "SUCCESSFUL"
    assert DBTaskResult.objects.filter(task_path=SWEEP_TASK, status="READY").count() == 1  # the next hour's
    assert waiting.exists()  # fresh: the person may still send it
    assert not orphan.exists()
    assert attachment_path(str(attachment)).exists()  # sent files are never swept

    UnsentUpload.objects.update(created_at=timezone.now() - timedelta(hours=25))
    run_due_sweep()
    assert not waiting.exists()
    assert not UnsentUpload.objects.exists()
    # The person who comes back a day later is told to attach it again.
    visitor.fill_all()
    visitor.post({}, action="submit")
    assert visitor.status == 400
    assert "прикрепите их ещё раз: скан.pdf" in visitor.page


def test_a_cap_per_form_too_small_for_the_questionnaire_is_named_at_start_up(settings: Any) -> None:
    assert not [m for m in checks.check_upload_limits(None) if m.id == "defensor.W012"]
    settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT = 50 * 1024 * 1024
    (warning,) = [m for m in checks.check_upload_limits(None) if m.id == "defensor.W012"]
    assert "DEFENSOR_INTAKE_UNSENT_MB_PER_VISIT is 50" in warning.msg
    settings.DEFENSOR_DISK_FLOOR_BYTES = settings.DEFENSOR_DISK_RESERVE_BYTES + 1
    assert "defensor.E012" in [m.id for m in checks.check_upload_limits(None)]


@pytest.mark.django_db
def test_a_file_swept_while_the_form_is_being_sent_is_asked_for_again_not_left_out(
    anna: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = on_files_page()
    visitor.post(DEFAULT_ANSWERS["after"], _pdfs("скан.pdf"))
    visitor.fill_all()
    capacity = services.check_capacity

    def the_sweep_runs_meanwhile() -> None:  # the worker's hourly sweep, just as "Send" is pressed
        capacity()
        UnsentUpload.objects.update(created_at=timezone.now() - timedelta(hours=25))
        services.abandoned_uploads_remove(older_than_hours=24)

    monkeypatch.setattr(services, "check_capacity", the_sweep_runs_meanwhile)
    visitor.post({}, action="submit")
    assert visitor.status == 400
    assert "прикрепите их ещё раз: скан.pdf" in visitor.page
    assert not Submission.objects.exists()  # no receipt for a request sent without its file
    monkeypatch.setattr(services, "check_capacity", capacity)
    visitor.post({}, action="submit")  # the person sends it without the file (or attaches it again)
    assert re.search(r'data-testid="receipt"', visitor.page)
    assert Submission.objects.get().attachments.count() == 0


@pytest.mark.django_db
def test_files_the_form_did_not_send_are_removed_when_it_is_sent(
    anna: User, django_capture_on_commit_callbacks: Any
) -> None:
    new_files = NewFiles()
    visitor = on_files_page()
    before_upload = visitor.page
    visitor.post(DEFAULT_ANSWERS["after"], _pdfs("черновик.pdf"))
    assert len(new_files()) == 1
    visitor.page = before_upload  # the browser's Back: the page from before the file was attached
    visitor.post(DEFAULT_ANSWERS["after"], _pdfs("рапорт.pdf"))
    visitor.fill_all()
    with django_capture_on_commit_callbacks(execute=True):
        visitor.submit()
    (sent,) = Attachment.objects.values_list("id", flat=True)
    assert new_files() == {attachment_path(str(sent))}  # the draft is gone now, not a day later
    assert not UnsentUpload.objects.exists()  # nor does it count against other people's files


@pytest.mark.django_db(transaction=True)
def test_uploads_sent_at_once_into_one_form_cannot_each_take_the_same_room(settings: Any) -> None:
    """Two requests of one form record their files at the same moment: the second waits for the
    first and finds the form full (on PostgreSQL as on SQLite), rather than both seeing room."""
    import threading
    import uuid

    from django.db import connection, transaction

    from defensor.intake.state import AttachedFile

    settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT = STORED  # room for one small file
    visit = str(uuid.uuid4())
    files = []
    for name in ("первый.pdf", "второй.pdf"):
        file_id = str(uuid.uuid4())
        attachment_path(file_id).write_bytes(PDF)
        files.append(AttachedFile(id=file_id, key=b"k" * 32, name=name, type="pdf", size=len(PDF)))
    first_counted, second_started = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = services.unsent_uploads_keep(visit=visit, files=[files[0]])
                first_counted.set()
                second_started.wait(10)
                time.sleep(0.5)  # the second request is now trying to count
        finally:
            connection.close()

    def second() -> None:
        try:
            first_counted.wait(10)
            second_started.set()
            results["second"] = services.unsent_uploads_keep(visit=visit, files=[files[1]])
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert [f.name for f in results["first"].kept] == ["первый.pdf"]
        assert results["second"].kept == []
        assert results["second"].over_form == ["второй.pdf"]
        assert UnsentUpload.objects.filter(visit=visit).count() == 1
    finally:
        for attached in files:
            attachment_path(attached.id).unlink(missing_ok=True)
