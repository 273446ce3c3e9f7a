"""Errors a person sees, and Enter moving forward (issue 19, items 2 and 3).

A refused page says first, at the top, what is wrong, each a link to its field; the title starts with
the word for "Error"; the field is marked invalid and its error and hint are tied to it by ids that
exist; required questions say so in words and in the markup; every group of choices is a fieldset
with a legend; the primary action is the form's first button, so Enter moves forward, and Back keeps
what was typed. In Russian and in English, through the Django client and in chromium with
JavaScript off at phone size.
"""

from __future__ import annotations

import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from defensor.accounts.models import User
from tests.intake_visitor import DEFAULT_ANSWERS, IntakeVisitor
from tests.test_browser import browser  # noqa: F401 - the chromium fixture

SHOTS = Path(tempfile.gettempdir()) / "shots-E"  # looked at by whoever changes these pages


class _Page(HTMLParser):
    """The page's elements in order: (tag, attributes), and the text of <title> and of each <legend>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self.legends: list[str] = []
        self._in: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag in {"title", "legend"}:
            self._in.append(tag)
            if tag == "legend":
                self.legends.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if "title" in self._in:
            self.title += data
        if "legend" in self._in:
            self.legends[-1] += data

    @property
    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.elements if "id" in a}

    def by_id(self, id_: str) -> tuple[str, dict[str, str]]:
        return next(e for e in self.elements if e[1].get("id") == id_)

    def index_of(self, predicate: Any) -> int:
        return next(i for i, e in enumerate(self.elements) if predicate(*e))

    def submit_buttons(self, form_index: int = 0) -> list[str]:
        """The values of the submit buttons owned by the page's main form (after the language switch)."""
        forms = [i for i, (tag, a) in enumerate(self.elements)
                 if tag == "form" and "set_language" not in a.get("action", "") and "i18n" not in a.get("action", "")]
        start = forms[form_index]
        end = forms[form_index + 1] if form_index + 1 < len(forms) else len(self.elements)
        return [a.get("value", "") for tag, a in self.elements[start:end]
                if tag == "button" and a.get("type", "submit") == "submit" and "form" not in a]


def _aria_references_exist(page: _Page) -> None:
    for tag, attrs in page.elements:
        for name in ("aria-describedby", "aria-labelledby"):
            for ref in attrs.get(name, "").split():
                assert ref in page.ids, f"<{tag} {name}={ref!r}> points at no element"
        if tag == "label" and attrs.get("for"):
            assert attrs["for"] in page.ids, f"<label for={attrs['for']!r}> names no element"
        if tag == "a" and attrs.get("href", "").startswith("#"):
            assert attrs["href"][1:] in page.ids, f"<a href={attrs['href']!r}> goes nowhere"


def _walk(language: str) -> list[tuple[str, _Page]]:
    """Every step of the questionnaire shown first empty, then the review: (step, page)."""
    visitor = IntakeVisitor(language=language)
    visitor.start()
    pages = []
    for step, answers in DEFAULT_ANSWERS.items():
        pages.append((step, _Page(visitor.page)))
        visitor.post(answers)
    pages.append(("review", _Page(visitor.page)))
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_aria_id_a_step_names_exists_and_every_group_has_a_legend(anna: User, language: str) -> None:
    required_word = {"ru": "обязательно", "en": "required"}[language]
    for step, page in _walk(language):
        _aria_references_exist(page)
        if step == "review":
            # «Send» is its form's first (default) button; «change» buttons post through another form.
            assert page.submit_buttons()[0] == "submit"
            continue
        # The primary action first: Enter in a one-line field moves forward; «Back» after it.
        buttons = page.submit_buttons()
        assert buttons[0] == "next", (step, buttons)
        assert step == "about" or buttons[1] == "back"
        # Every radio or checkbox group sits in a fieldset named by its legend.
        for tag, attrs in page.elements:
            if tag == "input" and attrs.get("type") in {"radio"} | ({"checkbox"} if attrs.get("name") not in
                                                                      {"consent", "remove_file"} else set()):
                fieldset = max(i for i, (t, _) in enumerate(page.elements[:page.elements.index((tag, attrs))])
                               if t == "fieldset")
                assert page.elements[fieldset + 1][0] == "legend", (step, attrs["name"])
        # A hint is found from its field.
        described = {ref for _, a in page.elements for ref in a.get("aria-describedby", "").split()}
        hints = {a["id"] for t, a in page.elements if "hint" in a.get("class", "").split() and "id" in a}
        assert hints, step
        assert hints <= described, (step, hints - described)
    # Required questions say so, in words and in the markup (a yes/no and a text on «about»); a
    # follow-up is not required until its answer above is given.
    order = dict(_walk(language))["about"]
    assert required_word in " ".join(order.legends)
    assert all("required" in a for t, a in order.elements if t == "input" and a.get("name") == "told_destination")
    assert all("required" not in a for t, a in order.elements if t == "input" and a.get("name") == "destination")
    assert "required" in order.by_id("id_order_description")[1]


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "error_word", "heading"), [
    ("ru", "Ошибка:", "Ошибка: проверьте ответы"), ("en", "Error:", "There is a problem"),
])
def test_a_refused_page_says_what_is_wrong_first_with_links_and_keeps_what_was_typed(
    anna: User, language: str, error_word: str, heading: str,
) -> None:
    visitor = IntakeVisitor(language=language)
    visitor.start()
    assert not _Page(visitor.page).title.startswith(error_word)
    # On «about»: the service answered but the unit too long, the description typed, a yes/no left
    # unanswered.
    service = {k: DEFAULT_ANSWERS["about"][k] for k in ("address_as", "service_category", "force")}
    visitor.post({**service, "unit": "в/ч " + "1" * 120, "order_description": "Приказали ехать.",
                  "briefed_on_tasks": "no", "consented": "no"})
    assert visitor.status == 400
    page = _Page(visitor.page)
    assert page.title.startswith(error_word), page.title
    assert heading in visitor.page
    _aria_references_exist(page)
    # The summary comes before the first field, and links to each field in error in page order.
    summary = page.index_of(lambda t, a: "error-summary" in a.get("class", ""))
    first_field = page.index_of(lambda t, a: t in {"input", "textarea", "select"} and a.get("type") != "hidden")
    assert summary < first_field
    links = [a["href"] for t, a in page.elements[summary:first_field] if t == "a"]
    assert links == ["#id_unit", "#id_told_destination_0"]
    # Each field in error: aria-invalid, its error tied to it; a field not in error is not marked.
    _, unit = page.by_id("id_unit")
    assert unit["aria-invalid"] == "true"
    assert "id_unit_error" in unit["aria-describedby"].split()
    assert "id_unit_hint" in unit["aria-describedby"].split()
    assert all(a.get("aria-invalid") == "true" for t, a in page.elements
               if t == "input" and a.get("name") == "told_destination")
    group = max(i for i, (t, _) in enumerate(page.elements[:page.index_of(lambda t, a: a.get("id") ==
                                                                            "id_told_destination_0")])
                if t == "fieldset")
    assert "id_told_destination_error" in page.elements[group][1]["aria-describedby"].split()
    assert "aria-invalid" not in page.by_id("id_order_description")[1]
    # Nothing typed is lost: the description and the answers given are there to correct.
    assert "Приказали ехать." in visitor.page
    assert page.by_id("id_unit")[1]["value"] == "в/ч " + "1" * 120
    assert page.by_id("id_force_1")[1].get("checked") is not None
    assert page.by_id("id_briefed_on_tasks_1")[1].get("checked") is not None
    # Corrected, the page moves on; the summary is gone.
    visitor.post({**DEFAULT_ANSWERS["about"], "order_description": "Приказали ехать."})
    assert visitor.status == 200
    assert 'name="refusal_method"' in visitor.page
    assert "error-summary" not in visitor.page
    assert not _Page(visitor.page).title.startswith(error_word)


@pytest.mark.django_db
def test_back_from_a_page_with_a_mistake_keeps_what_was_typed(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.post(DEFAULT_ANSWERS["about"])
    # A required answer missing on «after», the refusal and the pressure told: Back, then forward again.
    visitor.post({"refusal_method": "orally", "pressure": ["police"], "pressure_details": "Звонят матери."},
                 action="back")
    assert 'value="в/ч 12345"' in visitor.page
    visitor.post(DEFAULT_ANSWERS["about"])
    assert "Звонят матери." in visitor.page
    page = _Page(visitor.page)
    assert page.by_id("id_refusal_method_0")[1].get("checked") is not None
    assert page.by_id("id_pressure_2")[1].get("checked") is not None


def _phone(browser: Any, language: str) -> Any:  # noqa: F811
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844},
                                  locale={"ru": "ru-RU", "en": "en-GB"}[language])
    return context.new_page()


@pytest.mark.django_db(transaction=True)
def test_enter_moves_forward_and_an_error_page_shows_its_summary_first_in_chromium(
    browser: Any, live_server: Any, anna: User,  # noqa: F811
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _phone(browser, "ru")
    page.goto(f"{live_server.url}/request/")
    service = DEFAULT_ANSWERS["about"]
    page.fill("[name=address_as]", service["address_as"])
    page.check(f"input[name=service_category][value={service['service_category']}]")
    page.check(f"input[name=force][value={service['force']}]")
    page.fill("[name=unit]", service["unit"])
    page.screenshot(path=str(SHOTS / "1-about.png"), full_page=True)

    # Page 1: Enter in a one-line field with an answer missing: the same page, refused, summary first.
    page.fill("[name=order_description]", "Приказали ехать в командировку.")
    page.fill("[name=destination]", "в Белгород")
    page.check("input[name=told_destination][value=yes]")
    with page.expect_navigation():
        page.press("[name=destination]", "Enter")
    assert page.title().startswith("Ошибка:")
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    box = summary.bounding_box()
    assert box is not None
    assert box["y"] < 844  # on the first screen of a phone
    assert page.locator(".error-summary a").first.inner_text().startswith("Вам объяснили задачи")
    assert page.input_value("[name=order_description]") == "Приказали ехать в командировку."
    assert page.input_value("[name=unit]") == service["unit"]
    page.screenshot(path=str(SHOTS / "2-about-refused.png"), full_page=True)
    # The summary's link takes the person to the field.
    page.locator(".error-summary a").first.click()
    assert page.url.endswith("#id_briefed_on_tasks_0")
    # Answered, Enter moves on; Back from there shows what was typed.
    page.check("input[name=briefed_on_tasks][value=no]")
    page.check("input[name=consented][value=no]")
    with page.expect_navigation():
        page.press("[name=destination]", "Enter")
    assert page.locator("[name=refusal_method]").count() > 0  # the next page, not the same one
    page.screenshot(path=str(SHOTS / "3-after.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[value=back]")
    assert page.input_value("[name=destination]") == "в Белгород"
    assert page.input_value("[name=order_description]") == "Приказали ехать в командировку."
    assert page.is_checked("input[name=told_destination][value=yes]")
    # The focus ring is drawn (3 px of the accent) on the field the person is in.
    page.focus("[name=destination]")
    page.screenshot(path=str(SHOTS / "4-about-back-focus.png"), full_page=False)
    page.context.close()
