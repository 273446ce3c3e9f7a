"""The documents page as a lawyer meets it (issue 18, review): a refused form says first, at the top,
why nothing was drafted, each reason a link to its field; with «Истцы подпишут документ сами» ticked
the power of attorney is no reason and not shown as one; the refusal's list of names reads right;
the "what is missing" link to a person's record comes back to the same form after saving; a button
that cannot be used looks it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.cases import services as cases
from defensor.cases.models import Case, EventKind
from defensor.deadlines.counting import add_months
from defensor.documents.context import appeal_period
from defensor.documents.models import GeneratedDocument
from defensor.people.models import Person
from defensor.people.services import person_create, person_update
from tests.conftest import keyring_of
from tests.test_browser import browser  # noqa: F401  (the chromium fixture)

SCREENSHOTS = Path(settings.DATA_DIR) / "screenshots" / "document-pages"
NO_POA = "Нет действующей доверенности"


@pytest.fixture
def lawyer(anna: User) -> User:
    """Anna, with her details for documents and no power of attorney recorded."""
    anna.document_name = "Смирнова Анна Викторовна"
    anna.document_credentials = "адвокат, рег. № 46/123"
    anna.document_contacts = "305000, г. Курск, ул. Ленина, д. 1"
    anna.save()
    return anna


@pytest.fixture
def no_worker() -> None:
    from defensor.keys.worker import worker_identity_stop

    worker_identity_stop()


def _person(lawyer: User, name: str, index: int = 1, **values: str) -> Person:
    keyring = keyring_of(lawyer)
    person = person_create(created_by=lawyer, keyring=keyring, full_name=name, surname=name.split()[0],
                           birth_date="1990-05-25", unit="в/ч 12345")
    person_update(person=person, updated_by=lawyer, keyring=keyring, birth_place="г. Курск",
                  residence_address=f"305000, г. Курск, ул. Садовая, д. {index}", snils="112-233-445 95", **values)
    return person


def _appeal_case(lawyer: User) -> Case:
    """Соколова's case, decided two months ago: the month to appeal is over."""
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Увольнение", kind="military_admin",
                           court="Курский гарнизонный военный суд", court_number="2а-77/2026")
    cases.claimant_add(case=case, person=_person(lawyer, "Соколова Мария Петровна"), added_by=lawyer,
                       keyring=keyring)
    cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DECISION,
                         happened_on=add_months(timezone.localdate(), -2) - timedelta(days=5))
    return case


def _appeal(**extra: str) -> dict[str, str]:
    """The appeal as typed on the phone in the review, the reasons for the late appeal not given."""
    return {"template": "builtin:appeal", "input_appeal_court": "2-й Западный окружной военный суд",
            "input_respondent": "Командир войсковой части 12345", "input_authority": "ордер № 15 от 01.11.2026",
            "input_arguments": "Суд не учёл, что аттестация не проводилась.",
            "input_final_form_date": add_months(timezone.localdate(), -2).isoformat(), **extra}


def _new(case: Case) -> str:
    return f"/staff/cases/{case.pk}/documents/new/"


def _summary(page: str) -> list[str]:
    """The error summary's items, as (text with their link targets kept as «#id» markers)."""
    found = re.search(r'data-testid="error-summary">(.*?)</section>', page, re.S)
    assert found is not None, "no error summary"
    items = re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r'<a href="(#[^"]+)">', r"\1 ", re.sub(r"</a>", "", item))).split())
            for item in items]


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.django_db
def test_with_the_claimants_signing_the_refused_appeal_says_first_that_the_period_ended_and_nothing_of_a_poa(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case = _appeal_case(lawyer)
    client = verified_client(lawyer)
    ends = appeal_period("kas-298", add_months(timezone.localdate(), -2), timezone.localdate())["ends_short"]

    refused = client.post(_new(case), _appeal(signed_by_claimants="on"))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert re.search(r"<title>\s*Ошибка:", page)
    # The summary comes before the template chooser and the form: first on a phone's screen.
    assert page.index('data-testid="error-summary"') < page.index('data-testid="document-form"')
    assert "Ошибка: документ не составлен" in page
    first, *_rest = _summary(page)
    assert first.startswith("#id_input_restore_reasons Причины пропуска срока")
    assert f"истёк {ends}: к жалобе составляется ходатайство о его восстановлении" in first
    assert 'id="id_input_restore_reasons"' in page  # the link leads to the field
    assert NO_POA not in page  # not the reason: she ticked that the claimants sign it
    assert "Истцы подпишут документ сами: доверенность не нужна." in _text(page)
    assert re.search(r'<input type="checkbox" name="signed_by_claimants"[^>]*checked', page)  # kept ticked
    assert not GeneratedDocument.objects.exists()


@pytest.mark.django_db
def test_without_the_box_the_summary_lists_the_period_then_the_missing_power_of_attorney(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case = _appeal_case(lawyer)
    client = verified_client(lawyer)
    page = client.get(_new(case), {"template": "builtin:appeal"}).content.decode()
    assert 'data-testid="error-summary"' not in page  # nothing refused yet: the page only informs
    assert not re.search(r"<title>\s*Ошибка:", page)

    refused = client.post(_new(case), _appeal())
    assert refused.status_code == 400
    items = _summary(refused.content.decode())
    assert [item.split(" ", 1)[0] for item in items] == ["#id_input_restore_reasons", "#authority"]
    assert items[1] == ("#authority Нет действующей доверенности с полномочием на обжалование судебного акта. "
                        "Без такой доверенности: Соколова М. П.")
    assert 'id="authority"' in refused.content.decode()


@pytest.mark.django_db
def test_the_refusal_lists_the_claimants_no_power_of_attorney_covers_without_a_double_stop(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Отказ", group=True, kind="military_admin",
                           court="Курский гарнизонный военный суд")
    for index, name in enumerate(["Соколова Мария Петровна", "Мамедов Эльдар Рашид оглы"], start=1):
        claimant = cases.claimant_add(case=case, person=_person(lawyer, name, index), added_by=lawyer,
                                      keyring=keyring)
        cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=timezone.localdate() - timedelta(days=20), claimant=claimant)
    client = verified_client(lawyer)
    shown = _text(client.get(_new(case), {"template": "builtin:kas22-claim"}).content.decode())
    assert ("Нет действующей доверенности с полномочием на подписание и подачу иска. Без такой доверенности: "
            "Соколова М. П., Мамедов Э. Р.") in shown
    assert ".." not in shown


@pytest.mark.django_db
def test_a_lawyer_fills_in_the_missing_pay_on_the_record_and_is_back_on_the_same_document_form(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    """Anna: the documents page (1), the record's edit page from its link (2), saved: the form again (3)."""
    keyring = keyring_of(lawyer)
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Увольнение", kind="special_rank",
                           court="Ленинский районный суд г. Курска")
    sokolova = _person(lawyer, "Соколова Мария Петровна")  # her monthly pay is not recorded
    claimant = cases.claimant_add(case=case, person=sokolova, added_by=lawyer, keyring=keyring)
    cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                         happened_on=timezone.localdate() - timedelta(days=40), claimant=claimant)
    client = verified_client(lawyer)

    form_path = f"{_new(case)}?template=builtin%3Areinstatement-claim"
    page = client.get(form_path).content.decode()
    link = re.search(r'<a href="([^"]+)" data-testid="missing-link">([^<]+)</a>', page)
    assert link is not None
    href, words = html.unescape(link.group(1)), link.group(2)
    assert words == "в карточке человека"  # «…: Соколова М. П. — в карточке человека»
    assert href == f"/staff/people/{sokolova.pk}/edit/?next={quote(form_path, safe='')}"
    assert "Соколова" not in href  # nothing personal in the address
    assert re.search(r'<button type="submit" class="primary" disabled', page)
    assert "Кнопка заработает, когда будет заполнено всё, что перечислено под названием документа." in page

    edit = client.get(href)
    assert edit.status_code == 200
    edit_page = edit.content.decode()
    assert f'<input type="hidden" name="next" value="{html.escape(form_path)}">' in edit_page
    assert f'href="{html.escape(form_path)}" data-testid="back-to-next">Вернуться к документу</a>' in edit_page
    form = edit.context["form"]
    data = {name: str(form.initial.get(name) or "") for name in form.fields}
    saved = client.post(href, {**data, "monthly_pay": "48 750,50", "next": form_path})
    assert saved.status_code == 302
    assert saved["Location"] == form_path

    back = client.get(saved["Location"]).content.decode()
    assert 'value="builtin:reinstatement-claim" selected' in back  # the same document chosen
    assert "Сохранено." in back  # the record's message, on the form she came from
    assert 'data-testid="missing"' not in back
    assert not re.search(r"<button[^>]*disabled", back)


@pytest.mark.django_db
@pytest.mark.parametrize("elsewhere", ["https://evil.example/staff/", "//evil.example/staff/", "/\\evil.example",
                                       "javascript:alert(1)", "staff/cases/"])
def test_a_next_address_off_this_site_is_ignored_and_saving_shows_the_record(
    lawyer: User, verified_client: Callable[[User], Client], elsewhere: str,
) -> None:
    person = _person(lawyer, "Гусев Андрей Ильич")
    client = verified_client(lawyer)
    edit = client.get(f"/staff/people/{person.pk}/edit/", {"next": elsewhere})
    assert 'data-testid="back-to-next"' not in edit.content.decode()
    assert 'name="next"' not in edit.content.decode()
    form = edit.context["form"]
    data = {name: str(form.initial.get(name) or "") for name in form.fields}
    saved = client.post(f"/staff/people/{person.pk}/edit/", {**data, "monthly_pay": "50000", "next": elsewhere})
    assert saved.status_code == 302
    assert saved["Location"] == f"/staff/people/{person.pk}/"


# --- in chromium, on a phone and a laptop --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_the_refused_appeal_in_chromium_shows_its_reason_on_the_first_screen(
    browser: Any, live_server: Any, viewport: dict[str, int], lawyer: User,  # noqa: F811
    verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case = _appeal_case(lawyer)
    client = verified_client(lawyer)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(java_script_enabled=False, viewport=viewport, locale="ru-RU")
    context.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                         for name, morsel in client.cookies.items()])
    page = context.new_page()
    shots = SCREENSHOTS / str(viewport["width"])
    shots.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{live_server.url}{_new(case)}?template=builtin:appeal")
        for name, value in _appeal().items():
            if name.startswith("input_") and name != "input_final_form_date":
                page.fill(f'[name="{name}"]', value)
        page.fill('[name="input_final_form_date"]', _appeal()["input_final_form_date"])
        page.check('[name="signed_by_claimants"]')
        page.click("button.primary")
        page.screenshot(path=str(shots / "refused.png"), full_page=True)
        summary = page.locator('[data-testid="error-summary"]')
        box = summary.bounding_box()
        assert box is not None
        assert box["y"] < viewport["height"] / 2  # seen without scrolling
        assert summary.locator("h2").inner_text() == "Ошибка: документ не составлен"
        assert "истёк" in summary.locator("li").first.inner_text()
        assert page.locator(f'text="{NO_POA}"').count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        summary.locator("a").first.click()  # the link leads to the field to fill in
        assert page.url.endswith("#id_input_restore_reasons")

        # With something missing (her monthly pay, for a reinstatement claim), the button looks
        # disabled: grey, not the accent blue with white text of a button that works.
        page.goto(f"{live_server.url}{_new(case)}?template=builtin:reinstatement-claim")
        page.screenshot(path=str(shots / "missing.png"), full_page=True)
        background, colour, disabled = page.locator("button.primary").evaluate(
            "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color, b.disabled]")
        assert disabled
        # Her dismissal order is not recorded: asked once, though the claim prints its date twice over.
        assert page.locator('[data-testid="missing"] li').filter(has_text="дата приказа об увольнении").count() == 1

        # She follows «в карточке человека», fills in the pay, saves, and is back on this form.
        page.click('[data-testid="missing-link"]')
        page.screenshot(path=str(shots / "person-edit.png"), full_page=True)
        assert page.locator('[data-testid="back-to-next"]').inner_text() == "Вернуться к документу"
        page.fill("#id_monthly_pay", "48 750,50")
        page.locator('[data-testid="person-edit"] button.primary').click()
        page.screenshot(path=str(shots / "back.png"), full_page=True)
        assert page.url == f"{live_server.url}{_new(case)}?template=builtin%3Areinstatement-claim"
        assert page.locator("#template").input_value() == "builtin:reinstatement-claim"
        assert page.locator('[data-testid="missing"] li').filter(has_text="денежное довольствие").count() == 0
        assert (background, colour) == ("rgb(233, 236, 239)", "rgb(61, 69, 80)")  # 8:1, readable
    finally:
        context.close()
