"""The court bundle page in chromium, on a phone (390x844) and a laptop (1366x900): anna ticks the
items, asks for the bundle and downloads it. On a phone every item and every bundle reads as a
block that fits the screen, nothing cut off and nothing to scroll sideways, and the download is a
button as wide as the screen. Screenshots: <DATA_DIR>/screenshots/<width>/bundle-*.png."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.cases.models import Case
from defensor.cases.services import case_open
from defensor.evidence.models import Bundle, BundleStatus, EvidenceItem, Source
from defensor.evidence.services import item_ingest
from tests.conftest import keyring_of
from tests.test_browser import SCREENSHOTS, browser  # noqa: F401 - the chromium fixture

pytestmark = pytest.mark.usefixtures("evidence_dir")

FILES = {
    "приказ_о_направлении_в_служебную_командировку_за_пределы_РФ_в_ч_12345.pdf": b"%PDF-1.4\n" + b"1" * 3000,
    "фото-приказа.jpg": b"\xff\xd8\xff\xe0" + b"2" * 40000,
    "рапорт.txt": "Рапорт об отказе от командировки.\n".encode() * 20,
}


def _fits(page: Any, selector: str, width: int) -> None:
    """Every element matched is on screen from left to right: nothing cut off at the side."""
    found = page.locator(selector)
    assert found.count() > 0, selector
    for n in range(found.count()):
        box = found.nth(n).bounding_box()
        assert box is not None, selector
        assert box["x"] >= 0, (selector, box)
        assert box["x"] + box["width"] <= width, (selector, box)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_anna_makes_and_downloads_a_court_bundle_on_a_phone_and_a_laptop(
    browser: Any, live_server: Any, viewport: dict[str, int], anna: User,  # noqa: F811
    verified_client: Callable[[User], Client],
) -> None:
    keys = keyring_of(anna)
    case: Case = case_open(opened_by=anna, keyring=keys, title="Дело о командировке", number="2026-0102",
                           group=True, kind="military_admin")
    for name, content in FILES.items():
        item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(content), name=name, added_by=anna,
                    keyring=keys)
    items = list(EvidenceItem.objects.filter(case=case).order_by("number"))
    client = verified_client(anna)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU", accept_downloads=True)
    context.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                         for name, morsel in client.cookies.items()])
    page = context.new_page()
    width = viewport["width"]
    shots = SCREENSHOTS / str(width)
    shots.mkdir(parents=True, exist_ok=True)

    # Page 1: the bundle page, reached from the case's evidence section.
    page.goto(f"{live_server.url}/staff/cases/{case.pk}/")
    page.click('[data-testid="evidence-bundle-link"]')
    assert page.locator('[data-testid="bundle-item"]').count() == 3
    page.screenshot(path=str(shots / "bundle-1-choose.png"), full_page=True)
    _fits(page, '[data-testid="bundle-item"] input[type=checkbox]', width)
    _fits(page, '[data-testid="bundle-item"] td', width)  # the status too, not cut off
    assert "Новое" in page.locator('[data-testid="bundle-item"]').first.inner_text()
    # She taps the first two names (their labels tick the boxes) and asks for the bundle.
    page.locator(f'label[for="item-{items[0].pk}"]').last.click()
    page.locator(f'label[for="item-{items[1].pk}"]').last.click()
    page.click('[data-testid="bundle-form"] button[type=submit]')

    # Page 2: the bundle is ready (no worker here: built at once); its download is right there.
    assert "Пакет готов к скачиванию" in page.content()
    bundle = Bundle.objects.get()
    assert bundle.status == BundleStatus.DONE
    assert sorted(bundle.item_ids) == sorted(str(i.pk) for i in items[:2])
    status = page.locator('[data-testid="bundle-status"]')
    assert status.inner_text().strip() == "готов"
    download = page.locator('[data-testid="bundle-download"]')
    download.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "bundle-2-ready.png"), full_page=True)
    page.locator('[data-testid="bundles"]').screenshot(path=str(shots / "bundle-3-bundles-card.png"))
    _fits(page, '[data-testid="bundle-download"]', width)
    _fits(page, '[data-testid="bundle"] td', width)
    _fits(page, '[data-testid="bundle-status"]', width)
    box = download.bounding_box()
    assert box is not None
    assert box["height"] >= 40  # a thumb can hit it
    if width < 640:
        # A phone: the download is as wide as the card, not a small link at the screen's edge.
        card = page.locator('[data-testid="bundles"]').bounding_box()
        assert card is not None
        assert box["width"] >= card["width"] * 0.8
    # Nothing on the page scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # She taps it: the ZIP arrives, with the two originals in it.
    with page.expect_download() as arrived:
        download.click()
    path = arrived.value.path()
    with zipfile.ZipFile(path) as archive:
        originals = [n for n in archive.namelist() if "/data/" in n]
    assert len(originals) == 2
    context.close()
