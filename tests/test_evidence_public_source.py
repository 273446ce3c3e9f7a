"""A saved public source: anna (a lawyer) adds a Telegram post pavel saved with Hunchly, with its
address, platform, time of capture and tool; the item page shows them, all of them sealed. A
refused form keeps what she typed (and says to choose the file again), saves nothing and leaves no
file behind; people without the case get 404; CSRF is checked."""

from __future__ import annotations

import re
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


def test_people_who_do_not_hold_the_case_get_404_a_volunteer_403_and_csrf_is_checked(
    anna: User, pavel: User, olga: User, boris: User, case: Case, verified_client: Callable[[User], Client],
    evidence_dir: Path,
) -> None:
    url = f"/staff/cases/{case.pk}/evidence/public/"
    outsider = verified_client(olga)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, _form(pavel)).status_code == 404
    volunteer = verified_client(boris)
    assert volunteer.get(url).status_code == 403
    assert volunteer.post(url, _form(pavel)).status_code == 403
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
