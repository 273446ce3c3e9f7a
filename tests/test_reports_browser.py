"""Reports (issue 21) in a real browser (Debian's chromium, scripts off): anna, a lawyer, opens the
reports from the menu with about sixty people counted in several districts and three quarters,
sees the district map and the bars by quarter, narrows the period with the two lists, makes
release 1 and downloads it as CSV; olga, an administrator, puts the release on the public page,
where anyone sees its numbers without logging in. Small numbers show as "< 10" everywhere. The
pages are photographed on a phone and a laptop and never scroll sideways."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from defensor.accounts.models import User
from defensor.intake.models import Submission
from defensor.reports.models import Release
from defensor.reports.tables import Quarter
from tests.test_browser import browser  # noqa: F401 (the chromium fixture)

Make = Callable[..., Submission]
PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}
# Where a person can look at the photographs after a run (the test's own directory is removed).
SHOTS_COPY = Path(os.environ.get("REPORT_SHOTS") or Path(tempfile.gettempdir()) / "report-shots")


def _earlier(quarter: Quarter, by: int) -> Quarter:
    for _ in range(by):
        quarter = Quarter(quarter.year - 1, 4) if quarter.number == 1 else Quarter(quarter.year, quarter.number - 1)
    return quarter


def _ru(quarter: Quarter) -> str:
    """The quarter as anna's Russian pages name it (whatever language this test process speaks)."""
    with translation.override("ru"):
        return quarter.label()


def _people_wrote(make_submission: Make, today: Quarter) -> None:
    """60 people: Central 10 in each of three quarters, Volga 5 + 10, Southern 12 and Siberian 3 in
    this quarter (too few to show)."""
    plan = [("RU-MOW", "mobilised", ["command"], {2: 10, 1: 10, 0: 10}),
            ("RU-TA", "contract", ["family"], {1: 5, 0: 10}),
            ("RU-KDA", "conscript", ["none"], {0: 12}),
            ("RU-TY", "contract", ["family"], {0: 3})]
    n = 0
    for region, category, pressure, by_quarter in plan:
        for back, how_many in by_quarter.items():
            quarter = _earlier(today, back)
            for _ in range(how_many):
                n += 1
                made = make_submission(service_region=region, service_category=category, pressure=pressure,
                                       phone=f"+7 916 {n:03d}-00-00")
                if back:  # the middle of an earlier quarter
                    day = datetime(quarter.year, 3 * quarter.number - 1, 15, 12, tzinfo=UTC)
                    Submission.objects.filter(pk=made.pk).update(received_at=day)
    assert n == 60


def _logged_in(chromium: Any, live_server: Any, client: Client | None) -> Any:
    context = chromium.new_context(java_script_enabled=False, viewport=LAPTOP, locale="ru-RU")
    if client is not None:
        host = live_server.url.split("//", 1)[1].split(":")[0]
        context.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                             for name, morsel in client.cookies.items()])
    return context


def _row(page: Any, table: str, label: str) -> str:
    """The shown text of one line of a table, as the reader sees it."""
    row = page.locator(f'[data-testid="report-{table}"] table tbody tr', has=page.locator("th", has_text=label))
    return str(row.locator("td").inner_text()).strip()


# The size in pixels at which each chart draws its labels (13 units of its drawing).
LABEL_PX = """() => [...document.querySelectorAll("figure.report-chart svg")].map(
  svg => 13 * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width)"""


def _photograph(page: Any, shots: Path, name: str) -> None:
    """The page on a phone and on a laptop, whole. On the phone nothing makes the page scroll sideways
    (a chart scrolls inside its own frame); on both, the charts' labels are readable and no larger
    than the page's text."""
    for size, viewport in (("390", PHONE), ("1366", LAPTOP)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= viewport["width"], f"{name} is {wide} px wide on a {viewport['width']} px screen"
        labels = page.evaluate(LABEL_PX)
        assert len(labels) == 2, name  # the bars by quarter and the map
        assert all(11 <= px <= 16 for px in labels), (name, size, labels)
    page.set_viewport_size(LAPTOP)


@pytest.mark.django_db(transaction=True)
def test_anna_publishes_a_release_and_anyone_reads_it_on_the_public_page(
    browser: Any, live_server: Any, anna: User, olga: User,  # noqa: F811
    verified_client: Callable[[User], Client], make_submission: Make, settings: Any, tmp_path: Path,
) -> None:
    today = Quarter.of(timezone.localdate())
    _people_wrote(make_submission, today)
    shots = tmp_path / "shots"
    shots.mkdir()
    pages: list[str] = []

    # Anna: the overview, then «Отчёты» in the menu.
    context = _logged_in(browser, live_server, verified_client(anna))
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/")
    pages.append(page.url)
    page.get_by_role("navigation").get_by_role("link", name="Отчёты").click()
    pages.append(page.url)
    assert page.url.endswith("/staff/reports/")
    assert page.locator("h1").inner_text() == "Отчёты"
    district_map = page.locator('[data-testid="report-district"] svg.chart-map')
    assert district_map.is_visible()
    # On the map too, the district of three people shows only its marker.
    assert district_map.locator("text.district-label", has_text="Сибирский").text_content() == "Сибирский< 10"
    bars = page.locator('[data-testid="report-quarter"] svg.chart-bars')
    assert bars.is_visible()
    assert bars.locator("rect.bar").count() == 3  # three quarters with people, each shown
    assert _row(page, "district", "Центральный") == "30"
    assert _row(page, "district", "Сибирский") == "< 10"
    assert _row(page, "quarter", _ru(_earlier(today, 2))) == "10"
    _photograph(page, shots, "report")

    # The period narrowed to the last two quarters with the two lists and «Показать».
    period = page.locator('[data-testid="report-period"]')
    period.locator("select[name=from]").select_option(_earlier(today, 1).key)
    period.locator("select[name=to]").select_option(today.key)
    period.get_by_role("button", name="Показать").click()
    pages.append(page.url)
    assert f"from={_earlier(today, 1).key}" in page.url
    assert _row(page, "district", "Центральный") == "20"
    assert _row(page, "district", "Сибирский") == "< 10"
    assert page.locator('[data-testid="report-quarter"] svg.chart-bars rect.bar').count() == 2
    make = page.locator('[data-testid="report-release"] button[type=submit]')
    assert make.inner_text() == f"Создать выпуск за {_ru(_earlier(today, 1))} – {_ru(today)}"

    # Release 1, frozen; its CSV downloaded.
    make.click()
    pages.append(page.url)
    assert page.url.endswith("/staff/reports/releases/1/")
    assert page.locator("h1").inner_text() == "Выпуск 1"
    assert "Выпуск 1 создан. Его числа больше не изменятся." in page.locator(".messages").inner_text()
    assert _row(page, "district", "Центральный") == "20"
    assert _row(page, "district", "Сибирский") == "< 10"
    assert page.locator('[data-testid="report-district"] svg.chart-map').is_visible()
    _photograph(page, shots, "release")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Скачать CSV").click()
    download = downloading.value
    assert download.suggested_filename == "defensor-release-1.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) > 20
    assert ["Центральный", "20", ""] in [row[4:7] for row in rows]
    assert ["Сибирский", "", "< 10"] in [row[4:7] for row in rows]

    # Back to the reports: release 1 is listed.
    page.get_by_role("link", name="Отчёты").first.click()
    pages.append(page.url)
    assert page.locator('[data-testid="release-list"]').inner_text().startswith("Выпуск 1")
    assert len(pages) == 5, pages
    context.close()
    assert Release.objects.get().created_by == anna

    # Olga, an administrator, on a server whose public reports page is switched on (the live
    # server runs in this process, so the setting reaches it).
    settings.DEFENSOR_PUBLIC_REPORTS = True
    context = _logged_in(browser, live_server, verified_client(olga))
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/reports/releases/1/")
    pages = [page.url]
    page.get_by_role("button", name="Опубликовать на открытой странице").click()
    pages.append(page.url)
    assert page.url.endswith("/staff/reports/releases/1/")
    assert "Выпуск опубликован на открытой странице." in page.locator(".messages").inner_text()
    assert page.locator('[data-testid="release-about"] a[href="/reports/1/"]').is_visible()
    _photograph(page, shots, "release-public")
    assert len(pages) == 2, pages
    context.close()

    # Anyone, not logged in: the public page with the same numbers.
    context = _logged_in(browser, live_server, None)
    page = context.new_page()
    response = page.goto(f"{live_server.url}/reports/1/")
    assert response is not None
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Цифры, выпуск 1"
    assert _row(page, "district", "Центральный") == "20"
    assert _row(page, "district", "Сибирский") == "< 10"
    assert page.locator('[data-testid="report-district"] svg.chart-map').is_visible()
    assert page.locator('[data-testid="report-quarter"] svg.chart-bars').is_visible()
    assert page.get_by_role("link", name="Отчёты").count() == 0  # no staff menu
    _photograph(page, shots, "public")  # one page, read without logging in
    context.close()

    assert sorted(p.name for p in shots.iterdir()) == sorted(
        f"{name}-{size}.png" for name in ("report", "release", "release-public", "public") for size in ("390", "1366"))
    shutil.copytree(shots, SHOTS_COPY, dirs_exist_ok=True)
