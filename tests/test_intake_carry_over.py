"""A person half-way through the form when the questionnaire changed from version 2 (seven steps) to
version 3 (three pages): the form goes on, on the page that took over the one they were on, with
nothing they typed lost. States are built with the visitor's own key, as their browser holds them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from defensor.accounts.models import User
from defensor.intake import services
from defensor.intake.models import Submission
from defensor.intake.uploads import attachments_dir
from tests.conftest import keyring_of
from tests.intake_visitor import DEFAULT_ANSWERS, PDF, IntakeVisitor

pytestmark = pytest.mark.django_db

SERVICE = {k: DEFAULT_ANSWERS["about"][k] for k in ("address_as", "service_category", "force", "unit",
                                                      "service_region")}
ORDER = {k: v for k, v in DEFAULT_ANSWERS["about"].items() if k not in SERVICE}
REFUSAL = {k: DEFAULT_ANSWERS["after"][k] for k in ("refusal_method", "refusal_date")}
FLAT = {k: v for page in DEFAULT_ANSWERS.values() for k, v in page.items()}


def _on_version_2(step: str, answers: dict[str, Any]) -> IntakeVisitor:
    """A visitor whose page was made under version 2, on its step ``step``."""
    visitor = IntakeVisitor()
    visitor.start()
    state = {**visitor.state_json(), "v": 2, "s": step, "a": answers}
    visitor.page = f'<input type="hidden" name="state" value="{visitor.forged(json.dumps(state))}">'
    return visitor


def _title(page: str) -> str:
    match = re.search(r"<h1>([^<]+)</h1>", page)
    assert match, page
    return match.group(1).strip()


def test_a_form_on_version_2s_order_step_goes_on_to_the_receipt_with_every_answer(anna: User) -> None:
    visitor = _on_version_2("order", SERVICE)
    visitor.post(ORDER)  # «Далее» on the old page «Приказ»
    # Answered with the page that took it over, whole: the service answers kept, the order just typed.
    assert visitor.status == 200
    assert _title(visitor.page) == "Ваша служба и приказ"
    assert 'value="в/ч 12345"' in visitor.page
    assert ORDER["order_description"] in visitor.page
    assert visitor.state_json()["v"] == 3
    assert visitor.state_json()["s"] == "about"
    visitor.post(DEFAULT_ANSWERS["about"])  # the page as shown, «Далее»: on to the next
    assert 'name="refusal_method"' in visitor.page
    visitor.fill_all()
    receipt = visitor.submit()
    submission = services.submission_by_receipt(receipt)
    assert submission is not None
    answers = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    assert answers["unit"] == "в/ч 12345"
    assert answers["order_description"] == ORDER["order_description"]
    assert answers["contact_methods"] == ["signal"]


def test_a_page_that_now_asks_more_is_refused_with_what_was_typed_and_the_file_kept(anna: User) -> None:
    """Version 2's «Отказ» (with the file) became part of «after», which also asks whether the person
    was dismissed: what they posted is kept, the new question is refused with the summary."""
    before = set(attachments_dir().glob("*.bin"))
    visitor = _on_version_2("refusal", {**SERVICE, **ORDER})
    visitor.post(REFUSAL, {"files": [SimpleUploadedFile("рапорт.pdf", PDF)]})
    assert visitor.status == 400
    assert _title(visitor.page) == "Ваш отказ и что было дальше"
    assert "error-summary" in visitor.page
    assert 'href="#id_dismissed_0"' in visitor.page
    assert re.search(r'value="in_writing"[^>]*checked', visitor.page)
    assert "рапорт.pdf" in visitor.page
    assert len(set(attachments_dir().glob("*.bin")) - before) == 1
    visitor.post(DEFAULT_ANSWERS["after"])
    assert 'name="contact_methods"' in visitor.page  # now an ordinary page: on to the next
    visitor.fill_all()
    assert "рапорт.pdf" in visitor.page
    receipt = visitor.submit()
    submission = services.submission_by_receipt(receipt)
    assert submission is not None
    assert submission.attachments.count() == 1
    answers = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    assert answers["refusal_method"] == "in_writing"
    assert answers["dismissed"] == "yes"


def test_a_form_on_version_2s_review_is_sent_as_it_is(anna: User) -> None:
    visitor = _on_version_2("review", FLAT)
    receipt = visitor.submit()
    submission = services.submission_by_receipt(receipt)
    assert submission is not None
    answers = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    assert answers["dismissal_order_number"] == FLAT["dismissal_order_number"]


def test_version_2s_change_buttons_open_the_page_that_took_over(anna: User) -> None:
    visitor = _on_version_2("review", FLAT)
    visitor.post({}, action="edit:consequences")
    assert _title(visitor.page) == "Ваш отказ и что было дальше"
    assert 'value="45 л/с"' in visitor.page


@pytest.mark.parametrize(("version", "step"), [(1, "order"), (2, "no_such_step"), (4, "about")])
def test_a_form_from_a_version_not_accepted_starts_again(anna: User, version: int, step: str) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    state = {**visitor.state_json(), "v": version, "s": step, "a": {**SERVICE, **ORDER}}
    visitor.post_forged(json.dumps(state), ORDER)
    assert visitor.status == 400
    assert "нельзя продолжить" in visitor.page
    assert Submission.objects.count() == 0
