"""The chain of custody page: anna (a lawyer) reads who captured, opened, reviewed, copied, exported
and handed over an item, in words, with each event's hash and the result of checking the chain; she
records a hand-over to a court whose note stays sealed. Reading the page is audited but is not an
event of the chain; a changed event shows as a problem; people without the case get 404."""

from __future__ import annotations

import io
import json
import re
import struct
import zlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case
from defensor.cases.services import case_open, case_share
from defensor.evidence import custody_views
from defensor.evidence.bundle import bundle_request
from defensor.evidence.custody import blob_path
from defensor.evidence.models import CustodyEvent, EvidenceItem, Source
from defensor.evidence.services import custody_verify, item_ingest
from tests.conftest import keyring_of

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)


@pytest.fixture
def case(anna: User, pavel: User) -> Case:
    anna.first_name, anna.last_name = "Анна", "Соколова"
    anna.save(update_fields=["first_name", "last_name"])
    keys = keyring_of(anna)
    opened = case_open(opened_by=anna, keyring=keys, title="Дело о командировке", number="2026-0117",
                       group=True, kind="military_admin")
    case_share(case=opened, to_user=pavel, shared_by=anna, keyring=keys)
    return opened


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
       + _chunk(b"tEXt", b"Author\0Sidorov") + _chunk(b"IDAT", zlib.compress(b"\x00\x80")) + _chunk(b"IEND", b""))


def _item(case: Case, anna: User) -> EvidenceItem:
    return item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(PNG), name="фото-приказа.png",
                       added_by=anna, keyring=keyring_of(anna))


def _custody_page(client: Client, item: EvidenceItem) -> str:
    response = client.get(f"/staff/cases/{item.case_id}/evidence/{item.pk}/custody/")
    assert response.status_code == 200
    return response.content.decode()


def _rows(page: str) -> list[str]:
    """Each event's row as text, tags removed."""
    rows = re.findall(r'<tr data-testid="custody-event".*?</tr>', page, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def _check(page: str) -> str:
    found = re.search(r'data-testid="custody-check".*?</section>', page, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def test_anna_reads_the_chain_of_an_item_she_reviewed_copied_and_downloaded_in_words(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    lawyer, paralegal = verified_client(anna), verified_client(pavel)
    base = f"/staff/cases/{case.pk}/evidence/{item.pk}"
    item_page = lawyer.get(f"{base}/").content.decode()  # viewed (its page)
    assert f'href="{base}/custody/"' in item_page  # the item page links to its chain
    paralegal.post(f"{base}/status/", {"status": "in_review", "current": "new"})
    lawyer.post(f"{base}/status/", {"status": "verified", "current": "in_review", "note": "сверено"})
    lawyer.post(f"{base}/labels/", {"graphic": "on", "tags": ["order"], "description": "Приказ"})
    copy = lawyer.post(f"{base}/working-copy/")
    assert copy.status_code == 302
    copy_item = EvidenceItem.objects.get(parent=item)
    assert b"".join(lawyer.get(f"{base}/download/").streaming_content) == PNG  # type: ignore[attr-defined]
    bundle = bundle_request(case=case, item_ids=[str(item.pk)], requested_by=anna, keyring=keyring_of(anna))
    download = lawyer.get(f"/staff/cases/{case.pk}/evidence/bundle/{bundle.pk}/download/")
    assert download.status_code == 200
    b"".join(download.streaming_content)  # type: ignore[attr-defined]
    events_before = CustodyEvent.objects.filter(item=item).count()

    page = _custody_page(lawyer, item)
    rows = _rows(page)
    assert len(rows) == events_before  # every event, and reading the page added none
    assert CustodyEvent.objects.filter(item=item).count() == events_before
    assert rows[0].startswith("#0")
    assert "Получено" in rows[0]
    assert "загружен сотрудником" in rows[0].lower()
    assert "Анна Соколова" in rows[0]
    assert "открыта страница доказательства" in rows[1]
    assert "статус: Новое → На проверке" in rows[2]
    assert "pavel" in rows[2]
    assert "статус: На проверке → Проверено" in rows[3]
    assert "Анна Соколова" in rows[3]
    assert "сцены насилия: да" in rows[4]
    assert "изменено: " in rows[4]
    assert "Приказ" not in rows[4]  # the description is sealed: never in the chain
    assert f"рабочая копия сделана: № {copy_item.number}" in page
    assert "файл скачан" in page
    assert "выгружено в пакет доказательств для суда" in page
    # The hash: its beginning shown, the whole in the title; times in local time with the zone named.
    last = CustodyEvent.objects.filter(item=item).latest("seq")
    assert f'<code title="{last.hash}">{last.hash[:12]}…</code>' in page
    assert timezone.localtime(last.at).strftime("%d.%m.%Y %H:%M:%S") in page
    assert "Europe/Moscow" in page
    assert "Цепочка проверена: цела." in _check(page)
    # The page is an audited read, by ids and counts.
    read = AuditEvent.objects.filter(action="evidence.custody_read", target_id=str(item.pk), actor=anna).get()
    assert read.details == {"case": case.pk, "number": item.number, "events": events_before, "problems": 0,
                            "blob": "checked", "blob_intact": True}

    # The copy's chain says whose copy it is.
    assert f"сделано как рабочая копия № {item.number}" in _custody_page(lawyer, copy_item)


def test_a_hand_over_to_a_court_is_recorded_in_the_chain_with_its_note_sealed(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    client = verified_client(anna)
    url = f"/staff/cases/{case.pk}/evidence/{item.pk}/custody/handover/"
    form_page = _custody_page(client, item)
    assert "Записать передачу" in form_page
    day = timezone.localdate() - timedelta(days=1)
    note = "Передано секретарю Хабаровского гарнизонного военного суда Петровой, опись № 3"
    response = client.post(url, {"recipient": "court", "method": "in_person", "on": day.isoformat(), "note": note},
                           follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Передача записана в цепочку хранения" in page
    row = _rows(page)[-1]
    assert "Передано" in row
    assert f"передано: Суд; Лично; {day:%d.%m.%Y}" in row
    assert note in row
    event = CustodyEvent.objects.filter(item=item, kind="transferred").get()
    # The chain itself: codes and the day only; the note is sealed on the item.
    assert event.details == {"recipient": "court", "method": "in_person", "on": day.isoformat(), "note": True}
    item.refresh_from_db()
    assert "Петровой".encode() not in bytes(item.handovers)
    assert json.loads(item.decrypt(keyring_of(anna)).handovers or "") == [{"seq": event.seq, "note": note}]
    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM evidence_custodyevent")
        assert "Петров" not in json.dumps([row for row, in cursor.fetchall()], ensure_ascii=False)
    audited = AuditEvent.objects.get(action="evidence.transferred", target_id=str(item.pk))
    assert audited.details == {"case": case.pk, "number": item.number, "seq": event.seq, "recipient": "court",
                               "method": "in_person", "note": True}
    assert custody_verify(item=item) == []

    # A second hand-over, without a note, by post to an expert.
    client.post(url, {"recipient": "expert", "method": "post", "on": timezone.localdate().isoformat()})
    rows = _rows(_custody_page(client, item))
    assert "передано: Эксперт; Почтой" in rows[-1]
    assert note in rows[-2]  # each note stays with its own hand-over
    assert note not in rows[-1]


def test_a_refused_hand_over_keeps_what_was_typed_and_records_nothing(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    client = verified_client(anna)
    url = f"/staff/cases/{case.pk}/evidence/{item.pk}/custody/handover/"
    tomorrow = timezone.localdate() + timedelta(days=1)
    events = CustodyEvent.objects.count()
    response = client.post(url, {"recipient": "court", "method": "post", "on": tomorrow.isoformat(),
                                 "note": "почтой с описью"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Дата не может быть в будущем" in page
    assert "почтой с описью" in page  # what was typed is kept
    assert re.search(r'value="court"[^>]*checked', page)
    response = client.post(url, {"recipient": "neighbour", "method": "post", "on": timezone.localdate().isoformat()})
    assert response.status_code == 400
    assert "Выберите корректный вариант" in response.content.decode()
    assert CustodyEvent.objects.count() == events
    assert not AuditEvent.objects.filter(action="evidence.transferred").exists()


def test_a_changed_event_shows_on_the_page_as_a_problem_of_the_chain(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    client = verified_client(anna)
    client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/status/", {"status": "in_review", "current": "new"})
    changed = CustodyEvent.objects.get(item=item, kind="status_changed")
    CustodyEvent.objects.filter(pk=changed.pk).update(details={"from": "new", "to": "verified"})
    page = _custody_page(client, item)
    check = _check(page)
    assert "Цепочка проверена: 2 проблемы." in check
    assert f"событие #{changed.seq}: событие изменено после записи" in check
    # The row says "in review"; the changed event says "verified".
    assert "статус доказательства отличается от последнего записанного в цепочке" in check
    assert re.search(r'class="custody-problem"', page)
    read = AuditEvent.objects.filter(action="evidence.custody_read", target_id=str(item.pk)).latest("pk")
    assert read.details["problems"] == 2


def test_people_who_do_not_hold_the_case_and_a_volunteer_get_404(
    anna: User, olga: User, boris: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    other = case_open(opened_by=anna, keyring=keyring_of(anna), title="Другое", number="2026-0303")
    base = f"/staff/cases/{case.pk}/evidence/{item.pk}/custody/"
    data = {"recipient": "court", "method": "post", "on": timezone.localdate().isoformat(), "note": "x"}
    audit = AuditEvent.objects.count()
    outsider, volunteer = verified_client(olga), verified_client(boris)
    assert outsider.get(base).status_code == 404
    assert outsider.post(base + "handover/", data).status_code == 404
    assert volunteer.get(base).status_code == 404  # works on no case: 404 like everyone else (evidence.access)
    assert volunteer.post(base + "handover/", data).status_code == 404
    lawyer = verified_client(anna)
    assert lawyer.get(f"/staff/cases/{other.pk}/evidence/{item.pk}/custody/").status_code == 404
    assert not CustodyEvent.objects.filter(item=item, kind="transferred").exists()
    assert AuditEvent.objects.count() == audit
    # CSRF is on: a hand-over posted without the token is refused.
    lawyer.handler.enforce_csrf_checks = True
    assert lawyer.post(base + "handover/", data).status_code == 403
    assert not CustodyEvent.objects.filter(item=item, kind="transferred").exists()


def _flip_a_byte(item: EvidenceItem) -> None:
    path = blob_path(item.blob)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _blob(page: str) -> str:
    found = re.search(r'data-testid="blob-check".*?</div>', page, re.S)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def test_a_small_stored_file_is_checked_on_every_view_and_a_changed_one_is_shown(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    item = _item(case, anna)
    client = verified_client(anna)
    page = _custody_page(client, item)
    assert 'data-checked="auto"' in page
    assert "Проверено при этом открытии (хранимый файл до 64 МБ проверяется при каждом открытии страницы): " \
           "хранимый файл цел" in _blob(page)
    _flip_a_byte(item)
    page = _custody_page(client, item)
    assert "Цепочка проверена: 1 проблема." in _check(page)
    assert "хранимый файл изменён" in _check(page)
    assert "хранимый файл изменён или отсутствует" in _blob(page)
    read = AuditEvent.objects.filter(action="evidence.custody_read", target_id=str(item.pk)).latest("pk")
    assert read.details["blob"] == "checked"
    assert read.details["blob_intact"] is False


def test_a_large_stored_file_is_checked_only_when_anna_presses_the_button(
    anna: User, olga: User, case: Case, verified_client: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored file over the limit (64 MB; lowered here to 10 bytes) is not hashed on a view: a
    changed one still reads "intact" there, and the page says it was not checked; the button checks
    it, says so, and the audit log records that she asked."""
    monkeypatch.setattr(custody_views, "AUTO_CHECK_BYTES", 10)
    item = _item(case, anna)
    client = verified_client(anna)
    url = f"/staff/cases/{case.pk}/evidence/{item.pk}/custody/"
    page = _custody_page(client, item)
    assert 'data-checked="no"' in page
    assert "не проверяется при каждом открытии" in _blob(page)
    assert "Проверить хранимый файл сейчас" in page
    response = client.post(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-checked="asked"' in page
    assert "Проверено сейчас по вашему запросу: хранимый файл цел" in _blob(page)
    asked = AuditEvent.objects.filter(action="evidence.custody_read", target_id=str(item.pk)).latest("pk")
    assert asked.details["blob"] == "asked"
    assert asked.details["blob_intact"] is True

    _flip_a_byte(item)
    page = _custody_page(client, item)
    assert "Цепочка проверена: цела." in _check(page)  # not hashed on a view: so it says
    assert 'data-checked="no"' in page
    page = client.post(url).content.decode()
    assert "Проверено сейчас по вашему запросу: хранимый файл изменён или отсутствует" in _blob(page)
    assert "хранимый файл изменён" in _check(page)
    blob_path(item.blob).unlink()
    page = client.post(url).content.decode()
    assert "хранимый файл отсутствует" in _check(page)
    assert "хранимый файл изменён или отсутствует" in _blob(page)
    assert CustodyEvent.objects.filter(item=item).count() == 1  # checking is not a custody event

    # Without the CSRF token, or without the case, nothing is checked or recorded.
    reads = AuditEvent.objects.filter(action="evidence.custody_read").count()
    assert verified_client(olga).post(url).status_code == 404
    client.handler.enforce_csrf_checks = True
    assert client.post(url).status_code == 403
    assert AuditEvent.objects.filter(action="evidence.custody_read").count() == reads


def test_the_page_checks_the_items_status_and_flags_and_the_audit_log_in_words(
    anna: User, case: Case, verified_client: Callable[[User], Client]
) -> None:
    """What ``defensor evidence verify`` finds on one item shows on its page, each in words: a status
    or a flag set straight in the database, a last event deleted with the count lowered to match, and
    a chain with no event at all."""
    item = _item(case, anna)
    client = verified_client(anna)
    client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/")  # a ``viewed`` event and its audit event
    EvidenceItem.objects.filter(pk=item.pk).update(status="verified", graphic=True)
    check = _check(_custody_page(client, item))
    assert "Цепочка проверена: 2 проблемы." in check
    assert "статус доказательства отличается от последнего записанного в цепочке" in check
    assert "отметка «сцены насилия» не совпадает с записью в цепочке" in check
    EvidenceItem.objects.filter(pk=item.pk).update(status="new", graphic=False)

    last = CustodyEvent.objects.filter(item=item).latest("seq")
    assert last.kind == "viewed"
    last.delete()
    EvidenceItem.objects.filter(pk=item.pk).update(custody_length=1)
    check = _check(_custody_page(client, item))
    assert "Цепочка проверена: 1 проблема." in check
    assert ("в цепочке и в журнале аудита разное число событий одного вида "
            "(события «Просмотрено»: в журнале аудита 1, в цепочке 0)") in check

    CustodyEvent.objects.filter(item=item).delete()
    check = _check(_custody_page(client, item))
    assert "у доказательства нет ни одного события: цепочка пуста" in check
    assert not re.search(r"custody-(empty|length|audit)|-mismatch", check)  # every code in words
