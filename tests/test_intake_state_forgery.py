"""A visitor forging their own form state (they hold the key, in their cookie): numbers no parser
expects give the "start again" page, never an error; another visitor's file can be neither
removed nor sent; the time the form started and the receipt are the server's to decide."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from defensor.accounts.models import User
from defensor.intake import receipts, services
from defensor.intake.models import Attachment, Submission, UnsentUpload
from defensor.intake.uploads import attachment_path
from tests.conftest import keyring_of
from tests.intake_visitor import DEFAULT_ANSWERS, PDF, IntakeVisitor, on_files_page

pytestmark = pytest.mark.django_db

START_AGAIN = "нельзя продолжить"


def _a_file(size: str = "100") -> str:
    key = base64.b64encode(bytes(32)).decode()
    return f'{{"id":"{uuid.uuid4()}","key":"{key}","name":"скан.pdf","type":"pdf","size":{size}}}'


# Each: what replaces a field of the visitor's real state, as JSON text.
FORGED_FIELDS = {
    "version 1e999": ("v", "1e999"),
    "start 10**400": ("t", str(10**400)),
    "start NaN": ("t", "NaN"),
    "start -Infinity": ("t", "-Infinity"),
    "start true": ("t", "true"),
    "start in text": ("t", '"1700000000"'),
    "version 2**64": ("v", str(2**64)),
    "visit not an id": ("w", '"../../etc"'),
    "seed too short": ("r", '"00"'),
    "a MAC in Cyrillic": ("m", '"подпись"'),
    "answers a list": ("a", "[1,2]"),
    "a file size of 1e999": ("f", '{"documents":[' + _a_file("1e999") + "]}"),
    "a negative file size": ("f", '{"documents":[' + _a_file("-1") + "]}"),
    "files not a list": ("f", '{"documents":{"x":1}}'),
    "a nested answer": ("a", '{"unit":{"deep":[[[[1]]]]}}'),
}


@pytest.mark.parametrize("forged", FORGED_FIELDS.values(), ids=FORGED_FIELDS.keys())
@pytest.mark.parametrize("action", ["next", "submit"])
def test_a_forged_number_or_shape_in_the_state_means_start_again_never_an_error(
    anna: User, forged: tuple[str, str], action: str
) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    name, value = forged
    real = visitor.state_json()
    text = json.dumps({k: v for k, v in real.items() if k != name}, ensure_ascii=False)
    text = text[:-1] + f', "{name}": {value}}}'
    visitor.post_forged(text, action=action)
    assert visitor.status == 400
    assert START_AGAIN in visitor.page
    assert Submission.objects.count() == 0


def test_a_deeply_nested_state_means_start_again(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.post_forged("[" * 50_000 + "]" * 50_000)
    assert visitor.status == 400
    assert START_AGAIN in visitor.page


def test_a_state_naming_another_visits_file_can_neither_remove_nor_send_it(anna: User) -> None:
    owner = on_files_page()
    owner.post(DEFAULT_ANSWERS["after"], {"files": [SimpleUploadedFile("скан.pdf", PDF)]})
    (owners_file,) = UnsentUpload.objects.values_list("id", flat=True)
    file_id = str(owners_file)

    # A stranger who learnt the id writes it into their own state, with a key of their choosing.
    stranger = on_files_page()
    state = stranger.state_json()
    state["f"] = {"documents": [{"id": file_id, "key": base64.b64encode(bytes(32)).decode(), "name": "чужой.pdf",
                                 "type": "pdf", "size": len(PDF)}]}
    stranger.post_forged(json.dumps(state), {**DEFAULT_ANSWERS["after"], "remove_file": file_id})
    assert stranger.status == 200
    assert attachment_path(file_id).exists()
    assert UnsentUpload.objects.filter(pk=file_id).exists()

    # Nor can they send it as theirs: the review asks for it again, and what is sent has no file.
    stranger.post({}, action="back")
    state = stranger.state_json()
    state["f"] = {"documents": [{"id": file_id, "key": base64.b64encode(bytes(32)).decode(), "name": "чужой.pdf",
                                 "type": "pdf", "size": len(PDF)}]}
    stranger.post_forged(json.dumps(state), DEFAULT_ANSWERS["after"])
    stranger.fill_all()
    stranger.post({}, action="submit")
    assert stranger.status == 400
    assert "прикрепите их ещё раз: чужой.pdf" in stranger.page
    stranger.submit()
    assert not Attachment.objects.exists()

    # The owner sends theirs, and the team opens it.
    owner.fill_all()
    owner.submit()
    attachment = Attachment.objects.get(pk=file_id)
    submission = Submission.objects.get(attachments=attachment)
    assert services.submission_attachment_content(
        submission=submission, attachment=attachment, keyring=keyring_of(anna)) == PDF


def test_a_forged_start_time_cannot_skip_the_hold(anna: User, settings: Any) -> None:
    settings.DEFENSOR_INTAKE_HOLD_FASTER_THAN = 3600
    robot = IntakeVisitor()
    robot.start()
    robot.fill_all()
    review = robot.page
    for forged in ({"t": int(time.time()) - 7200}, {"w": str(uuid.uuid4())}):
        robot.post_forged(json.dumps({**robot.state_json(), **forged}), action="submit")
        assert robot.status == 400
        assert START_AGAIN in robot.page
        robot.page = review
    assert Submission.objects.count() == 0
    robot.submit()
    assert Submission.objects.get().held_for_review  # as fast as it really was


def test_a_forged_receipt_seed_cannot_choose_the_receipt(anna: User) -> None:
    chosen = "00" * 16
    given = []
    for _ in range(2):
        visitor = IntakeVisitor()
        visitor.start()
        visitor.fill_all()
        visitor.post_forged(json.dumps({**visitor.state_json(), "r": chosen}), action="review")
        assert visitor.status == 200
        given.append(visitor.submit())
    assert given[0] != given[1]  # the same forged seed, two different receipts
    for seed in (bytes(16), bytes(receipts.SEED_BYTES)):
        assert receipts.from_seed(seed, language="ru") not in given
    for receipt in given:  # and each is a working receipt
        page = Client().post("/receipt/", {"receipt": receipt}).content.decode()
        assert "Мы получили ваше обращение" in page
    assert all(re.fullmatch(r"[а-я ]+", receipt) for receipt in given)


# The server marks each page it checked (state "c"), so sending does not check it again; a visitor
# who rewrites an answer in their state keeps the old mark or makes one up, and neither holds.
REWRITTEN_ANSWERS = {
    "a required answer removed": lambda a: {k: v for k, v in a.items() if k != "service_category"},
    "an option that does not exist": lambda a: {**a, "force": "navy_seals"},
    "a date in the future": lambda a: {**a, "order_date": "2999-01-01"},
    "a phone of letters": lambda a: {**a, "phone": "не телефон"},
}


@pytest.mark.parametrize("rewrite", REWRITTEN_ANSWERS.values(), ids=REWRITTEN_ANSWERS.keys())
@pytest.mark.parametrize("marks", ["kept", "made up"])
def test_answers_rewritten_after_the_server_checked_them_are_not_sent(
    anna: User, rewrite: Any, marks: str
) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    real = visitor.state_json()
    assert set(real["c"]) == {"about", "after", "contact"}  # every page was checked and marked
    forged = {**real, "a": rewrite(real["a"])}
    if marks == "made up":
        forged["c"] = {step: "0" * 32 for step in real["c"]}
    visitor.post_forged(json.dumps(forged, ensure_ascii=False), action="submit")
    assert visitor.status == 400
    assert "Ещё не на все обязательные вопросы есть ответ." in visitor.page
    assert Submission.objects.count() == 0


def test_a_state_from_before_pages_were_marked_is_checked_in_full_and_sent(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    unmarked = {k: v for k, v in visitor.state_json().items() if k != "c"}
    visitor.post_forged(json.dumps(unmarked, ensure_ascii=False), action="submit")
    assert visitor.status == 200
    assert 'data-testid="receipt"' in visitor.page
    assert Submission.objects.count() == 1
