"""A saved public source: anna (a lawyer) adds a Telegram post pavel saved with Hunchly, with its
address, platform, time of capture and tool; the item page shows them, all of them sealed. A
refused form keeps what she typed (and says to choose the file again), saves nothing and leaves no
file behind; people without the case get 404; CSRF is checked.
The time of capture is given in the zone of the clock it was read from, sealed in UTC and shown
with that zone."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case
from defensor.cases.services import case_open, case_share
from defensor.evidence.models import CustodyEvent, EvidenceItem
from defensor.evidence.services import custody_verify
from tests.conftest import keyring_of

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)

POST = "<html><body>Пост: в/ч 12345 отправлена</body></html>".encode()
URL = "https://t.me/some_channel/4521"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
       + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80")) + _png_chunk(b"IEND", b""))


@pytest.fixture
def case(anna: User, pavel: User) -> Case:
    pavel.first_name, pavel.last_name = "Павел", "Орлов"
    pavel.save(update_fields=["first_name", "last_name"])
    keys = keyring_of(anna)
    opened = case_open(opened_by=anna, keyring=keys, title="Дело о командировке", number="2026-0117",
                       group=True, kind="military_admin")
    case_share(case=opened, to_user=pavel, shared_by=anna, keyring=keys)
    return opened


def _captured(minutes_ago: int) -> str:
    return (timezone.localtime() - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M")


def _form(pavel: User, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file": SimpleUploadedFile("telegram-post.html", POST, content_type="text/html"),
        "url": URL, "platform": "Telegram", "captured_at": _captured(90), "captured_with": "Hunchly 2.x",
        "captured_by": str(pavel.pk), "description": "Пост об отправке в/ч 12345 за границу",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _blobs(evidence_dir: Path) -> list[Path]:
    return list(evidence_dir.glob("*.bin")) if evidence_dir.exists() else []


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_anna_adds_a_post_pavel_saved_and_the_item_page_shows_where_when_and_how(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client], evidence_dir: Path
) -> None:
    client = verified_client(anna)
    case_page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    form_url = f"/staff/cases/{case.pk}/evidence/public/"
    assert f'href="{form_url}"' in case_page  # beside the upload
    form_page = client.get(form_url).content.decode()
    assert "Добавить сохранённый открытый источник" in form_page
    assert re.search(rf'<option value="{anna.pk}" selected>anna</option>', form_page)  # herself by default
    assert f'<option value="{pavel.pk}">Павел Орлов</option>' in form_page  # or a colleague on the case
    assert '<option value="Telegram">' in form_page
    assert '<option value="сайт">' in form_page
    assert 'type="datetime-local"' in form_page

    when = timezone.localtime() - timedelta(minutes=90)
    captured = when.strftime("%Y-%m-%dT%H:%M")
    response = client.post(form_url, _form(pavel, captured_at=captured))
    item = EvidenceItem.objects.get(case=case)
    assert response.status_code == 302
    assert response["Location"] == f"/staff/cases/{case.pk}/evidence/{item.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Сохранённый открытый источник добавлен в доказательства под № 1." in page
    shown = _text(page)
    assert "Сохранённый открытый источник" in shown
    assert URL in shown
    assert "Платформа Telegram" in shown
    assert f"Время сохранения {when:%d.%m.%Y %H:%M}" in shown
    assert "Чем сохранено Hunchly 2.x" in shown
    assert "Кто сохранил Павел Орлов" in shown
    assert "Пост об отправке в/ч 12345 за границу" in page  # the description, in the review form

    # Sealed: nothing of it in the item's row or the chain; the file streamed in and comes out whole.
    assert item.source == "public"
    values = item.decrypt(keyring_of(anna))
    assert (values.url, values.platform, values.captured_with, values.captured_by) == (
        URL, "Telegram", "Hunchly 2.x", str(pavel.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM evidence_evidenceitem")
        row = repr(cursor.fetchall())
    for plain in ("t.me", "Telegram", "Hunchly", "12345"):
        assert plain not in row
    download = client.get(f"/staff/cases/{case.pk}/evidence/{item.pk}/download/")
    assert b"".join(download.streaming_content) == POST  # type: ignore[attr-defined]
    captured_event = CustodyEvent.objects.get(item=item, seq=0)
    assert (captured_event.kind, captured_event.details.get("source"), captured_event.actor_id) == (
        "captured", "public", anna.pk)
    added = AuditEvent.objects.get(action="evidence.added", target_id=str(item.pk))
    assert added.details["source"] == "public"
    item.refresh_from_db()
    assert custody_verify(item=item) == []
    assert len(_blobs(evidence_dir)) == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"captured_at": "2099-01-01T10:00"}, "Время сохранения не может быть в будущем."),
    ({"url": "ftp://example.org/file"}, "Введите полный адрес, начиная с http:// или https://"),
    ({"url": "t.me/some_channel"}, "Введите полный адрес, начиная с http:// или https://"),
    ({"captured_at": ""}, "Обязательное поле."),
    ({"captured_with": ""}, "Обязательное поле."),
    ({"file": None}, "Выберите сохранённый файл."),
    ({"file": SimpleUploadedFile("empty.html", b"")}, "Файл пустой."),
])
def test_a_refused_form_keeps_what_was_typed_saves_nothing_and_leaves_no_file(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client], evidence_dir: Path,
    changes: dict[str, Any], message: str,
) -> None:
    client = verified_client(anna)
    audit = AuditEvent.objects.count()
    response = client.post(f"/staff/cases/{case.pk}/evidence/public/", _form(pavel, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    errors = re.search(r'data-testid="form-errors"(.*?)</section>', page, re.S)
    assert errors is not None  # at the top, before the form
    assert page.index('data-testid="form-errors"') < page.index('data-testid="public-source"')
    assert message in errors.group(1)
    assert "Введённое сохранено ниже, а файл — нет: выберите его ещё раз." in errors.group(1)
    assert "Пост об отправке в/ч 12345 за границу</textarea>" in page  # what was typed is kept
    assert f'value="{pavel.pk}" selected' in page
    if changes.get("url", URL) == URL:
        assert f'value="{URL}"' in page
    assert not EvidenceItem.objects.exists()
    assert _blobs(evidence_dir) == []
    assert AuditEvent.objects.count() == audit


def test_an_onion_address_and_any_platform_are_taken_and_a_capturer_not_on_the_team_is_refused(
    anna: User, pavel: User, olga: User, case: Case, verified_client: Callable[[User], Client], evidence_dir: Path
) -> None:
    client = verified_client(anna)
    onion = "http://duskgytldkxiuqc6.onion/thread/77"
    onion_v3 = "http://" + "a" * 56 + ".onion/"
    for number, (url, platform) in enumerate(((onion, "форум"), (onion_v3, "Odnoklassniki")), start=1):
        response = client.post(f"/staff/cases/{case.pk}/evidence/public/",
                               _form(pavel, url=url, platform=platform, captured_by=str(anna.pk)))
        assert response.status_code == 302
        item = EvidenceItem.objects.get(case=case, number=number)
        assert item.decrypt(keyring_of(anna)).url == url
    # olga is an administrator the case is not shared with: not on its team.
    response = client.post(f"/staff/cases/{case.pk}/evidence/public/", _form(pavel, captured_by=str(olga.pk)))
    assert response.status_code == 400
    assert "Выберите корректный вариант" in response.content.decode()
    assert EvidenceItem.objects.count() == 2
    assert len(_blobs(evidence_dir)) == 2


def test_people_who_do_not_hold_the_case_and_a_volunteer_get_404_and_csrf_is_checked(
    anna: User, pavel: User, olga: User, boris: User, case: Case, verified_client: Callable[[User], Client],
    evidence_dir: Path,
) -> None:
    url = f"/staff/cases/{case.pk}/evidence/public/"
    outsider = verified_client(olga)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, _form(pavel)).status_code == 404
    volunteer = verified_client(boris)
    assert volunteer.get(url).status_code == 404  # works on no case: 404 like everyone else (evidence.access)
    assert volunteer.post(url, _form(pavel)).status_code == 404
    lawyer = verified_client(anna)
    lawyer.handler.enforce_csrf_checks = True
    assert lawyer.post(url, _form(pavel)).status_code == 403
    assert not EvidenceItem.objects.exists()
    assert _blobs(evidence_dir) == []  # the file sealed on the way in is removed
    # With the token from the form, it is taken.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', lawyer.get(url).content.decode())
    assert token is not None
    assert lawyer.post(url, {**_form(pavel), "csrfmiddlewaretoken": token.group(1)}).status_code == 302
    assert EvidenceItem.objects.filter(case=case, source="public").count() == 1


def test_anna_in_tbilisi_gives_the_time_in_her_zone_it_is_sealed_in_utc_and_shown_with_that_zone(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client], settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Moscow"  # the server's zone
    client = verified_client(anna)
    form_url = f"/staff/cases/{case.pk}/evidence/public/"
    form_page = client.get(form_url).content.decode()
    assert "Часовой пояс этого времени" in form_page
    assert '<option value="Europe/Moscow" selected>' in form_page  # the server's zone by default
    assert '<option value="Asia/Tbilisi">' in form_page
    assert '<option value="Europe/Berlin">' in form_page

    screenshot = SimpleUploadedFile("post.png", PNG, content_type="image/png")  # a working copy can be made
    response = client.post(form_url, _form(pavel, file=screenshot, captured_at="2025-11-03T10:00",
                                           captured_zone="Asia/Tbilisi"))
    assert response.status_code == 302
    item = EvidenceItem.objects.get(case=case)
    sealed = item.decrypt(keyring_of(anna)).captured_at
    assert sealed == "2025-11-03T06:00:00+00:00"  # 10:00 in Tbilisi (UTC+4) is 06:00Z
    shown = _text(client.get(response["Location"]).content.decode())
    assert "Время сохранения 03.11.2025 10:00 (Asia/Tbilisi, UTC+04:00)" in shown

    # Its working copy keeps the zone; a time typed without a zone is the server's zone.
    client.post(f"/staff/cases/{case.pk}/evidence/{item.pk}/working-copy/")
    copy = EvidenceItem.objects.get(parent=item)
    copy_page = _text(client.get(f"/staff/cases/{case.pk}/evidence/{copy.pk}/").content.decode())
    assert "Время сохранения 03.11.2025 10:00 (Asia/Tbilisi, UTC+04:00)" in copy_page
    client.post(form_url, _form(pavel, captured_at="2025-11-03T10:00"))
    moscow = EvidenceItem.objects.get(case=case, number=3)
    assert moscow.decrypt(keyring_of(anna)).captured_at == "2025-11-03T07:00:00+00:00"  # Europe/Moscow, UTC+3
    moscow_page = _text(client.get(f"/staff/cases/{case.pk}/evidence/{moscow.pk}/").content.decode())
    assert "Время сохранения 03.11.2025 10:00 (Europe/Moscow, UTC+03:00)" in moscow_page


def test_a_time_that_is_still_ahead_in_the_zone_given_is_refused(
    anna: User, pavel: User, case: Case, verified_client: Callable[[User], Client], settings: Any
) -> None:
    """An hour from now on Moscow's clock has passed in Kamchatka; in Kaliningrad it has not come yet."""
    settings.TIME_ZONE = "Europe/Moscow"
    in_an_hour = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client = verified_client(anna)
    url = f"/staff/cases/{case.pk}/evidence/public/"
    refused = client.post(url, _form(pavel, captured_at=in_an_hour, captured_zone="Europe/Kaliningrad"))
    assert refused.status_code == 400
    assert "Время сохранения не может быть в будущем." in refused.content.decode()
    assert client.post(url, _form(pavel, captured_at=in_an_hour, captured_zone="Asia/Kamchatka")).status_code == 302
