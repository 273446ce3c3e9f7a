"""Accessibility a person and a lawyer can rely on (issue 19, item 7).

axe-core (through axe-playwright-python) audits in Debian's chromium, at phone and laptop size, every
state of the public intake (the landing page, each questionnaire page, a page refused with errors,
the review, the "try again" page, the receipt, the status page with a receipt, withdrawal) and the
main staff pages: no violation of impact "serious" or "critical". The pages use no JavaScript; it is
on here only so that axe can run. Then a person who cannot use a pointer sends a request with the
keyboard alone (Tab, Shift+Tab, Space, Enter and typing), JavaScript off, from the landing page to
the receipt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.intake.models import Submission
from defensor.intake.state import VISIT_COOKIE
from tests.conftest import keyring_of, require_tool
from tests.intake_visitor import DEFAULT_ANSWERS
from tests.test_browser import CHROMIUM_ARGS

VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1366, "height": 900}]
VIEWPORT_IDS = ["phone", "laptop"]
BLOCKING = {"serious", "critical"}
# What axe leaves "to review" because a script might still add the missing piece: on pages without
# JavaScript nothing will, so an aria-describedby naming no element on the page or two elements
# sharing an id that a label or ARIA names are defects.
DEFINITE_WITHOUT_SCRIPTS = {"aria-valid-attr-value", "duplicate-id-aria", "duplicate-id-active"}
ANSWERS: dict[str, Any] = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser for the whole module (each test opens its own context)."""
    path = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; our database calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        # The browser's own language fixes the order of a date field's parts (the pages' language is
        # each context's locale).
        browser = playwright.chromium.launch(executable_path=path, args=[*CHROMIUM_ARGS, "--lang=en-US"])
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Audit:
    """axe-core run on each page shown; what blocks someone, kept with the page it was found on."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.found: list[str] = []
        self.pages: list[str] = []

    def check(self, page: Any, name: str) -> None:
        self.pages.append(name)
        results = self.axe.run(page, options={"resultTypes": ["violations", "incomplete"]}).response
        definite = [rule for rule in results["incomplete"] if rule["id"] in DEFINITE_WITHOUT_SCRIPTS]
        for violation in [*results["violations"], *definite]:
            if violation["impact"] not in BLOCKING:
                continue
            for node in violation["nodes"]:
                self.found.append(
                    f"{name} ({page.url}): {violation['id']} [{violation['impact']}] at {node['target']}: "
                    f"{violation['help']} — {node.get('failureSummary', '').strip()} ({violation['helpUrl']})"
                )

    def assert_clean(self) -> None:
        assert not self.found, "\n".join([f"{len(self.found)} serious or critical violations:", *self.found])


def _fill(page: Any, answers: dict[str, Any]) -> None:
    """Answer what the page asks (by pointer: this audit is not the keyboard test)."""
    for name, value in answers.items():
        if page.locator(f"[name={name}_day]").count():  # a date typed in parts: "2022-02-20"
            year, month, day = value.split("-")
            page.fill(f"[name={name}_day]", str(int(day)))
            page.select_option(f"select[name={name}_month]", str(int(month)))
            page.fill(f"[name={name}_year]", year)
            continue
        fields = page.locator(f"[name={name}]")
        if fields.count() == 0:
            continue  # not asked on this page
        kind = fields.first.get_attribute("type")
        if kind == "radio":
            page.check(f"input[name={name}][value={value}]")
        elif kind == "checkbox" and isinstance(value, list):
            for item in value:
                page.check(f"input[name={name}][value={item}]")
        elif kind == "checkbox":
            page.check(f"input[name={name}]")
        elif page.locator(f"select[name={name}]").count():
            page.select_option(f"select[name={name}]", value)
        else:
            page.fill(f"[name={name}]", value)


def _press(page: Any, selector: str) -> None:
    """Press a button and wait for the page it opens."""
    with page.expect_navigation():
        page.click(selector)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_every_public_page_has_no_serious_accessibility_violation(
    chromium: Any, live_server: Any, anna: User, settings: Any, viewport: dict[str, int],
) -> None:
    audit = Audit()
    context = chromium.new_context(java_script_enabled=True, viewport=viewport, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    audit.check(page, "landing")
    assert page.goto(f"{live_server.url}/no-such-page/").status == 404
    audit.check(page, "not found")
    page.goto(f"{live_server.url}/request/")
    context.clear_cookies(name=VISIT_COOKIE)  # the browser forgot the form's key (closed, or a long pause)
    with page.expect_response(lambda response: response.url.endswith("/request/")) as answered:
        page.click("button[value=next]")
    assert answered.value.status == 400
    page.wait_for_load_state()
    audit.check(page, "the form expired")
    page.goto(f"{live_server.url}/request/")

    audit.check(page, "questionnaire page 1")
    _press(page, "button[value=next]")  # nothing answered: refused, with the errors shown
    assert page.locator(".error").count(), "the empty first page was not refused"
    audit.check(page, "questionnaire page 1 refused with errors")
    for number in range(2, 14):
        _fill(page, ANSWERS)
        _press(page, "button[value=next]")
        assert not page.locator(".error").all_inner_texts(), page.locator(".error").all_inner_texts()
        if page.locator("button[value=submit]").count():
            break
        audit.check(page, f"questionnaire page {number}")
    assert number == 4, "three pages of questions, then the review"
    audit.check(page, "review")

    floor = settings.DEFENSOR_DISK_FLOOR_BYTES
    settings.DEFENSOR_DISK_FLOOR_BYTES = 1 << 60  # more than any disk has free: "try again"
    with page.expect_response(lambda response: response.url.endswith("/request/")) as answered:
        page.click("button[value=submit]")
    assert answered.value.status == 503
    page.wait_for_load_state()
    audit.check(page, "try again later")
    settings.DEFENSOR_DISK_FLOOR_BYTES = floor

    _press(page, "button[value=submit]")
    receipt = page.locator("[data-testid=receipt]").inner_text().strip()
    audit.check(page, "receipt")
    _press(page, "form[action='/request/saved/'] button[type=submit]")  # not yet confirmed: asked again
    audit.check(page, "receipt, saving not confirmed")
    page.check("input[name=saved]")
    _press(page, "form[action='/request/saved/'] button[type=submit]")
    audit.check(page, "thanks")

    page.goto(f"{live_server.url}/receipt/")
    audit.check(page, "receipt form")
    page.fill("input[name=receipt]", "нет такой квитанции")
    _press(page, "form[action='/receipt/'] button[type=submit]")
    audit.check(page, "receipt form, not found")
    page.fill("input[name=receipt]", receipt)
    _press(page, "form[action='/receipt/'] button[type=submit]")
    audit.check(page, "status")
    _press(page, "form[action='/receipt/message/'] button[type=submit]")  # nothing written: refused
    assert page.locator(".error").count(), "status, an empty message refused"
    audit.check(page, "status, an empty message refused")
    page.fill("textarea[name=text]", "Можно звонить по вечерам.")
    _press(page, "form[action='/receipt/message/'] button[type=submit]")
    audit.check(page, "status, a message sent")
    _press(page, "form[action='/receipt/withdraw/'] button[type=submit]")  # not confirmed: refused
    assert page.locator(".error").count(), "status, withdrawal not confirmed"
    audit.check(page, "status, withdrawal not confirmed")
    page.check("input[name=confirm]")
    _press(page, "form[action='/receipt/withdraw/'] button[type=submit]")
    audit.check(page, "withdrawn")
    context.close()
    audit.assert_clean()


@pytest.fixture
def lawyer_with_a_case(anna: User, make_submission: Callable[..., Submission]) -> dict[str, Any]:
    """Anna with a request in her inbox and a group case of two claimants, each a person."""
    from defensor.cases import services as cases
    from defensor.cases.models import EventKind
    from defensor.people.services import person_create

    keyring = keyring_of(anna)
    submission = make_submission()
    case = cases.case_open(opened_by=anna, keyring=keyring, title="Отказ от командировки", group=True,
                           kind="military_admin", court="Курский гарнизонный военный суд")
    people, claimants = [], []
    for name in ["Гусев Андрей Ильич", "Титова Мария Петровна"]:
        person = person_create(created_by=anna, keyring=keyring, full_name=name, surname=name.split()[0],
                               birth_date="1990-05-25", unit="в/ч 12345")
        claimant = cases.claimant_add(case=case, person=person, added_by=anna, keyring=keyring)
        cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.DISMISSAL_ORDER,
                             happened_on=date(2024, 9, 30), claimant=claimant)
        people.append(person)
        claimants.append(claimant)
    return {"submission": submission, "case": case, "person": people[0], "claimant": claimants[0]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_the_main_staff_pages_have_no_serious_accessibility_violation(
    chromium: Any, live_server: Any, anna: User, olga: User, lawyer_with_a_case: dict[str, Any],
    verified_client: Callable[[User], Client], viewport: dict[str, int],
) -> None:
    audit = Audit()
    stranger = chromium.new_context(java_script_enabled=True, viewport=viewport, locale="ru-RU")
    page = stranger.new_page()
    page.goto(f"{live_server.url}/staff/login/")
    audit.check(page, "login")
    page.fill("#id_username", "anna")
    page.fill("#id_password", "not her password")
    _press(page, "button[type=submit]")
    audit.check(page, "login refused")
    stranger.close()

    case = lawyer_with_a_case["case"].pk
    lawyer_pages = [
        ("overview", "/staff/"),
        ("inbox", "/staff/inbox/"),
        ("a request", f"/staff/inbox/{lawyer_with_a_case['submission'].pk}/"),
        ("cases", "/staff/cases/"),
        ("a case", f"/staff/cases/{case}/"),
        ("the roster", f"/staff/cases/{case}/roster/"),
        ("a new document", f"/staff/cases/{case}/documents/new/"),
        ("a new document, its form", f"/staff/cases/{case}/documents/new/?template=builtin:kas22-claim"),
        ("a person", f"/staff/people/{lawyer_with_a_case['person'].pk}/"),
        ("a claimant", f"/staff/cases/{case}/claimants/{lawyer_with_a_case['claimant'].pk}/"),
        ("a phone request", "/staff/hotline/"),
        ("my account", "/staff/account/"),
        ("powers of attorney", "/staff/account/powers-of-attorney/"),
    ]
    # Forms sent empty: the same page with its errors (selector of the button pressed).
    lawyer_refusals = [
        ("a new case, refused", "/staff/cases/new/", "main form button[type=submit]"),
        ("a case, a note refused", f"/staff/cases/{case}/", "form[action$='/notes/'] button[type=submit]"),
        ("a phone request, refused", "/staff/hotline/", "main form[method=post] button[type=submit] >> nth=-1"),
    ]
    admin_refusals = [("the team, a new member refused", "/staff/users/", "form[action='/staff/users/'] button")]
    admin_pages = [
        ("the team", "/staff/users/"),
        ("the audit log", "/staff/audit/"),
        ("the working-day calendar", "/staff/calendar/"),
        ("document templates", "/staff/templates/"),
        ("the overview, with the backup warning", "/staff/"),
        ("retention", "/staff/retention/"),
    ]
    host = live_server.url.split("//", 1)[1].split(":")[0]
    for user, pages, refusals in [(anna, lawyer_pages, lawyer_refusals), (olga, admin_pages, admin_refusals)]:
        client = verified_client(user)
        context = chromium.new_context(java_script_enabled=True, viewport=viewport, locale="ru-RU")
        context.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                             for name, morsel in client.cookies.items()])
        page = context.new_page()
        for name, path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (name, response.status)
            audit.check(page, name)
        for name, path, button in refusals:
            page.goto(f"{live_server.url}{path}")
            with page.expect_response(lambda response: response.request.method == "POST") as answered:
                page.click(button)
            assert answered.value.status == 400, (name, answered.value.status)
            page.wait_for_load_state()
            audit.check(page, name)
        context.close()
    audit.assert_clean()


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const group = el.type === "radio" && el.form
    ? el.form.querySelectorAll(`input[name="${el.name}"]:checked`).length : 0;
  return {tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "", value: el.value || "",
          checked: !!el.checked, groupChecked: group > 0, href: el.getAttribute("href") || "",
          action: el.form ? el.form.getAttribute("action") : "", id: el.id || "",
          ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
          // A date field's last stop is the browser's own calendar button, which draws its own ring.
          browserPart: el.type === "date" && !el.matches(":focus")};
}"""
TEXT_TYPES = {"text", "textarea", "tel", "email", "number", "search", "url", "password"}


def _focus(page: Any) -> dict[str, Any]:
    """What the keyboard is on now (read, not changed), and that the person can see where it is."""
    focused: dict[str, Any] | None = page.evaluate(FOCUSED)
    assert focused is not None, f"Tab left the page's controls on {page.url}"
    assert focused["ring"] or focused["browserPart"], f"no visible focus ring on {focused} at {page.url}"
    return focused


def _tab_to(page: Any, wanted: Callable[[dict[str, Any]], bool], *, limit: int = 80) -> dict[str, Any]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focus(page)
        if wanted(focused):
            return focused
    raise AssertionError(f"{limit} presses of Tab did not reach the control wanted on {page.url}")


def _answer_by_keyboard(page: Any) -> None:
    """Tab through one questionnaire page answering it as a keyboard user would, then Enter on the
    button that moves forward (never a click)."""
    seen: set[tuple[str, str, str]] = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        el = _focus(page)
        key = (el["id"], el["name"], el["value"] if el["type"] in {"radio", "checkbox"} else "")
        if el["tag"] == "button" and el["value"] in {"next", "submit"}:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
        if key in seen:
            continue  # a date's next part (day, month, year) is the same control
        seen.add(key)
        wanted = ANSWERS.get(el["name"])
        # A date is typed in its parts: the day, the month from its list, the year.
        question, _sep, part = el["name"].rpartition("_")
        whole = ANSWERS.get(question)
        if part in {"day", "month", "year"} and isinstance(whole, str) and not el["value"]:
            year, month, day = whole.split("-")
            if part == "month":
                for _month in range(int(month)):
                    page.keyboard.press("ArrowDown")  # a closed list: each press picks the next month
            else:
                page.keyboard.type(str(int(day)) if part == "day" else year)
            assert page.input_value(f"[name={el['name']}]") == {"day": str(int(day)), "month": str(int(month)),
                                                                 "year": year}[part]
        elif el["type"] in TEXT_TYPES and not el["value"] and isinstance(wanted, str):
            page.keyboard.type(wanted)
        elif el["type"] == "radio" and not el["groupChecked"]:
            page.keyboard.press("Space")  # the group's first choice: Tab reaches it, Space picks it
        elif el["type"] == "checkbox" and not el["checked"] and (
            (isinstance(wanted, list) and el["value"] in wanted) or wanted == "on"
        ):
            page.keyboard.press("Space")
    raise AssertionError(f"no button to go on was reached on {page.url}")


@pytest.mark.django_db(transaction=True)
def test_a_person_sends_a_request_with_the_keyboard_alone(chromium: Any, live_server: Any, anna: User) -> None:
    """Scripts off, a phone-sized window, no pointer: Tab, Shift+Tab, Space, Enter and typing."""
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    _tab_to(page, lambda el: el["href"].endswith("/request/") or el["action"].endswith("/request/"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/request/")

    for _ in range(14):
        if page.locator("button[value=submit]").count():
            break
        _answer_by_keyboard(page)
        assert not page.locator(".error").all_inner_texts(), page.locator(".error").all_inner_texts()
    else:
        raise AssertionError("the keyboard did not reach the review page")

    # The review: past «Send» by one Tab too many, back with Shift+Tab, and Enter.
    _tab_to(page, lambda el: el["value"] == "submit")
    page.keyboard.press("Shift+Tab")
    assert _focus(page)["value"] != "submit"
    page.keyboard.press("Tab")
    assert _focus(page)["value"] == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    receipt = page.locator("[data-testid=receipt]").inner_text().strip()
    assert len(receipt.split()) == 8

    _tab_to(page, lambda el: el["name"] == "saved")
    page.keyboard.press("Space")
    assert page.is_checked("input[name=saved]")
    _tab_to(page, lambda el: el["tag"] == "button" and el["action"].endswith("/request/saved/"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Спасибо"

    submission = Submission.objects.get()
    from defensor.intake import services

    answers = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    assert answers["address_as"] == ANSWERS["address_as"]
    assert answers["order_description"] == ANSWERS["order_description"]
    assert answers["order_date"] == ANSWERS["order_date"]  # typed in its three parts
    context.close()


@pytest.fixture
def a_public_release(anna: User, olga: User, make_submission: Callable[..., Submission], settings: Any) -> None:
    """Forty people in three districts this quarter (three of them in one: "< 10"), frozen by anna as
    release 1 and put on the public page by olga, on a server whose public reports page is on."""
    from defensor.reports.services import release_make, release_set_public, report_prepare
    from defensor.reports.tables import Quarter

    for n, region in enumerate(["RU-MOW"] * 25 + ["RU-KDA"] * 12 + ["RU-TY"] * 3):
        make_submission(service_region=region, phone=f"+7 916 {n:03d}-11-22", pressure=["command"])
    keyring = keyring_of(anna)
    report_prepare(actor=anna, keyring=keyring)
    today = Quarter.of(timezone.localdate())  # the report's default period ends in this quarter
    release = release_make(actor=anna, keyring=keyring, first=today, last=today)
    settings.DEFENSOR_PUBLIC_REPORTS = True  # the live server runs in this process: it sees the setting
    release_set_public(actor=olga, keyring=keyring_of(olga), release=release, public=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_the_report_pages_have_no_serious_accessibility_violation(
    chromium: Any, live_server: Any, anna: User, olga: User, a_public_release: None,
    verified_client: Callable[[User], Client], viewport: dict[str, int],
) -> None:
    """The reports page with its charts, a release (as a lawyer sees it and as an administrator
    who may take it off the public page sees it) and the public page of the release."""
    audit = Audit()
    host = live_server.url.split("//", 1)[1].split(":")[0]
    visits = [(anna, [("reports", "/staff/reports/"), ("release 1", "/staff/reports/releases/1/")]),
              (olga, [("release 1, its public page switch", "/staff/reports/releases/1/")]),
              (None, [("release 1 on the public page", "/reports/1/")])]
    for user, pages in visits:
        context = chromium.new_context(java_script_enabled=True, viewport=viewport, locale="ru-RU")
        if user is not None:
            client = verified_client(user)
            context.add_cookies([{"name": name, "value": morsel.value, "domain": host, "path": morsel["path"] or "/"}
                                 for name, morsel in client.cookies.items()])
        page = context.new_page()
        for name, path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (name, response.status)
            assert page.locator("figure.report-chart svg").count() == 2, name  # the bars and the map
            assert page.locator('[data-testid="report-district"] td[data-hidden]').count(), name  # "< 10"
            audit.check(page, name)
        context.close()
    assert len(audit.pages) == 4
    audit.assert_clean()
