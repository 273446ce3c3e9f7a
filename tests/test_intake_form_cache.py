"""The intake's forms share what every visitor sees alike (fields, a first page's markup) and
nothing else: a question shown to one visitor and not another, and what each typed, stay apart."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from defensor.intake.forms import StepForm, render_fields
from defensor.intake.questionnaire import Condition, Question, Step, Text
from tests.intake_visitor import DEFAULT_ANSWERS

# A page whose second question depends on an answer given on an earlier page (not a follow-up
# on this page): some visitors see it, others do not.
DISMISSED = Question(id="dismissed", type="yes_no", label=Text("Уволили?", "Dismissed?"))
ORDER_NUMBER = Question(id="order_number", type="short_text", label=Text("Номер приказа", "Order number"),
                        max_length=50, show_if=Condition(kind="equals", question="dismissed", values=("yes",)))
UNIT = Question(id="unit_name", type="short_text", label=Text("Воинская часть", "Unit"), max_length=50)
LATER_PAGE = Step(id="later", title=Text("Потом", "Later"), questions=(UNIT, ORDER_NUMBER))


def test_a_question_shown_to_one_visitor_is_not_shown_to_the_next_who_did_not_earn_it() -> None:
    with translation.override("ru"):
        dismissed = render_fields(StepForm(step=LATER_PAGE, answers={"dismissed": "yes"}))
        kept_on = render_fields(StepForm(step=LATER_PAGE, answers={"dismissed": "no"}))
        dismissed_again = render_fields(StepForm(step=LATER_PAGE, answers={"dismissed": "yes"}))
    assert 'name="order_number"' in dismissed
    assert 'name="order_number"' not in kept_on
    assert 'name="unit_name"' in kept_on
    assert dismissed_again == dismissed


def test_two_visitors_on_the_same_page_keep_their_own_answers_and_errors() -> None:
    with translation.override("ru"):
        anna = StepForm({"unit_name": "в/ч 12345", "order_number": "45 л/с"}, step=LATER_PAGE,
                        answers={"dismissed": "yes"})
        boris = StepForm({"unit_name": "x" * 51, "order_number": "12"}, step=LATER_PAGE, answers={"dismissed": "yes"})
        assert anna.is_valid()
        assert not boris.is_valid()
        assert anna.answers() == {"unit_name": "в/ч 12345", "order_number": "45 л/с"}
        assert "unit_name" in boris.errors
        assert not anna.errors
        assert 'value="в/ч 12345"' in render_fields(anna)
        assert "в/ч 12345" not in render_fields(boris)


def test_the_same_page_in_another_language_has_its_own_labels() -> None:
    with translation.override("ru"):
        russian = render_fields(StepForm(step=LATER_PAGE, answers={}))
    with translation.override("en"):
        english = render_fields(StepForm(step=LATER_PAGE, answers={}))
        english_form = StepForm(step=LATER_PAGE, answers={})
    assert "Воинская часть" in russian
    assert "Unit" not in russian
    assert "Unit" in english
    assert "Воинская часть" not in english
    assert english_form.fields["unit_name"].label == "Unit"


def _first_page(client: Client) -> tuple[str, str, str]:
    page = client.get("/request/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    state = re.search(r'name="state" value="([^"]+)"', page)
    assert token
    assert state
    return page, token.group(1), state.group(1)


@pytest.mark.django_db
def test_two_new_visitors_get_the_same_first_page_each_with_their_own_token_and_state_and_both_go_on() -> None:
    anna, boris = (Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="ru") for _ in range(2))
    anna_page, anna_token, anna_state = _first_page(anna)
    boris_page, boris_token, boris_state = _first_page(boris)
    assert anna_token != boris_token
    assert anna_state != boris_state
    assert anna_page.replace(anna_token, "T").replace(anna_state, "S") == \
        boris_page.replace(boris_token, "T").replace(boris_state, "S")
    first = next(iter(DEFAULT_ANSWERS.values()))
    for client, token, state in ((anna, anna_token, anna_state), (boris, boris_token, boris_state)):
        answered = client.post("/request/", {"csrfmiddlewaretoken": token, "state": state, "action": "next", **first})
        assert answered.status_code == 200
        assert "Шаг 2 из" in answered.content.decode()
    # Another visitor's token does not open this visitor's form: the token is still each one's own.
    refused = anna.post("/request/", {"csrfmiddlewaretoken": "x" * 64, "state": anna_state, "action": "next", **first})
    assert refused.status_code == 403
