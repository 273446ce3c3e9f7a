"""The public intake, as a person at risk uses it: no JavaScript, nothing kept between steps,
sealed on arrival, a receipt to come back with, replies, and withdrawal that erases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.intake import services
from defensor.intake.models import Attachment, Message, Submission
from defensor.intake.questionnaire import QuestionnaireError, default_questionnaire, parse
from defensor.intake.receipts import normalise
from defensor.intake.uploads import attachment_path, attachments_dir
from tests.conftest import keyring_of
from tests.intake_visitor import DEFAULT_ANSWERS, PDF, IntakeVisitor, on_files_page

pytestmark = pytest.mark.django_db




def test_default_questionnaire_is_valid_and_bilingual() -> None:
    questionnaire = default_questionnaire()
    assert len(questionnaire.steps) == 3  # three pages and the review: each page is a round trip over Tor
    for step in questionnaire.steps:  # a follow-up is on the page of the answer it depends on
        for question in step.questions:
            assert question.show_if is None or question.follows_up_on(step), question.id
    types = {q.type for q in questionnaire.questions()}
    assert {"single_choice", "multiple_choice", "yes_no", "date", "phone", "region", "attachment", "consent",
            "short_text", "long_text"} <= types


def test_a_person_writes_gets_a_receipt_reads_the_reply_writes_again_and_withdraws(
    anna: User, django_capture_on_commit_callbacks: Any
) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    assert visitor.status == 200
    assert 'lang="ru"' in visitor.page
    visitor.fill_all(files=[("рапорт.pdf", PDF)])
    assert "рапорт.pdf" in visitor.page  # the review shows what will be sent
    receipt = visitor.submit()
    assert len(receipt.split()) == 8
    assert re.fullmatch(r"[а-я ]+", receipt)

    submission = Submission.objects.get()
    assert submission.language == "ru"
    # Sealed on arrival: the team opens it with the intake key, and it is what the person wrote.
    answers = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    assert answers["dismissal_order_number"] == "45 л/с"
    assert answers["phone"] == "+79161234567"
    attachment = Attachment.objects.get(submission=submission)
    assert services.submission_attachment_content(submission=submission, attachment=attachment,
                                                  keyring=keyring_of(anna)) == PDF
    assert PDF not in attachment_path(str(attachment.pk)).read_bytes()
    assert AuditEvent.objects.filter(action="submission.received", target_id=str(submission.pk)).exists()

    # Coming back with the receipt (typed in capitals, with extra spaces): the acknowledgement.
    person = Client()
    status = person.post("/receipt/", {"receipt": "  " + receipt.upper().replace(" ", "   ")})
    assert status.status_code == 200
    page = status.content.decode()
    assert "Мы получили ваше обращение" in page
    assert "45 л/с" not in page  # the receipt never shows the original answers

    services.reply_send(submission=submission, author=anna, keyring=keyring_of(anna), text="Позвоним в четверг.")
    page = person.post("/receipt/", {"receipt": receipt}).content.decode()
    assert "Позвоним в четверг." in page

    sent = person.post("/receipt/message/", {"receipt": receipt, "text": "Лучше в пятницу."})
    assert sent.status_code == 200
    assert "Лучше в пятницу." not in sent.content.decode()  # not shown back, for their safety
    thread = services.submission_thread(submission=submission, keyring=keyring_of(anna))
    assert "Лучше в пятницу." in [message.text for message in thread]

    refused = person.post("/receipt/withdraw/", {"receipt": receipt})
    assert refused.status_code == 400  # needs the confirmation box
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = person.post("/receipt/withdraw/", {"receipt": receipt, "confirm": "on"})
    assert withdrawn.status_code == 200
    assert "стёрто" in withdrawn.content.decode()
    submission.refresh_from_db()
    assert submission.answers is None
    assert submission.sealed_key is None
    assert not Message.objects.filter(submission=submission).exists()
    assert not attachment_path(str(attachment.pk)).exists()
    again = person.post("/receipt/", {"receipt": receipt})
    assert again.status_code == 400
    assert "не нашли" in again.content.decode()
    # A second click on "erase" gives the same answer, not an error.
    assert person.post("/receipt/withdraw/", {"receipt": receipt, "confirm": "on"}).status_code == 200
    assert person.post("/receipt/message/", {"receipt": receipt, "text": "ещё"}).status_code == 400


def _as_stored(answers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The answers as the team reads them: phones in E.164, consent as "yes"."""
    flat = {k: v for page in answers.values() for k, v in page.items()}
    return {**flat, "phone": "+79161234567", "consent": "yes"}


def test_a_person_sends_everything_in_five_requests_from_the_form_to_the_receipt(anna: User) -> None:
    """Every follow-up applies (told where to, dismissed, pressure, phone and Signal), a file is
    attached on the second page: opening the form, three pages, Send — five requests, none of them
    the same page again, and the lawyer reads every answer."""
    from tests.intake_visitor import JOURNEY_ANSWERS

    visitor = IntakeVisitor()
    pages = [visitor.start()]
    file = {"files": [SimpleUploadedFile("рапорт.pdf", PDF)]}
    for answers, files in [(JOURNEY_ANSWERS["about"], None), (JOURNEY_ANSWERS["after"], file),
                           (JOURNEY_ANSWERS["contact"], None)]:
        pages.append(visitor.post(answers, files))
        assert visitor.status == 200, visitor.page
    assert "Проверьте и отправьте" in pages[-1]
    assert "рапорт.pdf" in pages[-1]
    # The review reads like the pages: each under its title, a long page in its sections.
    assert re.findall(r'<h3 class="section">([^<]+)</h3>', pages[-1]) == [
        "Приказ", "Что было дальше", "Чем мы можем помочь", "Согласие"]
    titles = [re.search(r"<h1>([^<]+)</h1>", page).group(1) for page in pages]  # type: ignore[union-attr]
    assert titles == ["Ваша служба и приказ", "Ваш отказ и что было дальше", "Связь с вами",
                      "Проверьте и отправьте"]
    # Each follow-up was on the page of its answer, saying which answer it is for.
    for number, follow_up in [(0, "destination"), (1, "dismissal_order_number"), (1, "pressure_details"),
                              (2, "phone"), (2, "other_contact"), (2, "safe_time")]:
        assert f'name="{follow_up}"' in pages[number], follow_up
    assert pages[0].count("Только если выше вы ответили «Да».") == 1
    # A follow-up most answers open names the answers that do not, not the five that do.
    assert "Только если выше выбрано что-то, кроме «Давления нет»." in pages[1]
    receipt = visitor.submit()
    assert len(pages) + 1 == 5  # the form, three pages, Send

    submission = services.submission_by_receipt(receipt)
    assert submission is not None
    stored = services.submission_answers(submission=submission, keyring=keyring_of(anna))
    for question, answer in _as_stored(JOURNEY_ANSWERS).items():
        assert stored.get(question) == answer, question
    assert submission.attachments.count() == 1


def test_a_required_follow_up_left_empty_when_its_answer_holds_is_refused_with_the_summary(
    anna: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A follow-up the questionnaire makes required (here: the destination, once told): not required
    while its answer above is not given, refused with the summary when it is and it was left empty."""
    import dataclasses

    questionnaire = default_questionnaire()
    about = questionnaire.steps[0]
    made_required = dataclasses.replace(about, questions=tuple(
        dataclasses.replace(q, required=True) if q.id == "destination" else q for q in about.questions
    ))
    changed = dataclasses.replace(questionnaire, steps=(made_required, *questionnaire.steps[1:]))
    monkeypatch.setattr("defensor.intake.views.default_questionnaire", lambda: changed)
    monkeypatch.setattr("defensor.intake.forms._pristine_pages", {})
    visitor = IntakeVisitor()
    visitor.start()
    assert 'name="destination"' in visitor.page
    visitor.post({**DEFAULT_ANSWERS["about"], "told_destination": "yes"})
    assert visitor.status == 400
    assert "error-summary" in visitor.page
    assert 'href="#id_destination"' in visitor.page
    assert "Приказали ехать" in visitor.page  # nothing typed is lost
    visitor.post({**DEFAULT_ANSWERS["about"], "told_destination": "yes", "destination": "Белгород"})
    assert 'name="refusal_method"' in visitor.page
    visitor.post({}, action="back")
    visitor.post({**DEFAULT_ANSWERS["about"], "told_destination": "no"})  # does not apply: not asked for
    assert 'name="refusal_method"' in visitor.page


def test_a_receipt_of_digits_on_request(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    receipt = visitor.submit(digits=True)
    assert re.fullmatch(r"(\d{5} ){4}\d{5}", receipt)
    assert Client().post("/receipt/", {"receipt": receipt.replace(" ", "-")}).status_code == 200


def test_english_visitors_get_english_words_and_pages(anna: User) -> None:
    visitor = IntakeVisitor(language="en")
    visitor.start()
    assert 'lang="en"' in visitor.page
    visitor.fill_all()
    receipt = visitor.submit()
    assert re.fullmatch(r"[a-z ]+", receipt)
    assert len(receipt.split()) == 8


def test_nothing_is_stored_on_the_server_until_the_person_sends(anna: User) -> None:
    from django.contrib.sessions.models import Session

    visitor = IntakeVisitor()
    visitor.start()
    visitor.post(DEFAULT_ANSWERS["about"])
    visitor.post(DEFAULT_ANSWERS["after"])
    assert 'name="contact_methods"' in visitor.page
    assert Submission.objects.count() == 0
    assert Session.objects.count() == 0
    assert "в/ч 12345" not in visitor.page.split('name="state"', 1)[1][:2000]  # the state is ciphertext
    # Back to the first page: what was typed is still there.
    visitor.post({}, action="back")
    visitor.post({}, action="back")
    assert 'value="в/ч 12345"' in visitor.page


def test_a_follow_up_on_the_same_page_is_shown_at_once_and_kept_only_if_it_applies(anna: User) -> None:
    import base64

    from defensor.intake.state import VISIT_COOKIE, open_state

    visitor = IntakeVisitor()
    visitor.start()
    # No JavaScript: asked at once, beside the answer it is for, and not required until it applies.
    assert 'name="destination"' in visitor.page
    destination = visitor.page.split('for="id_destination"', 1)[1].split("</div>", 1)[0]
    assert "Только если выше вы ответили «Да»." in destination
    visitor.post({**DEFAULT_ANSWERS["about"], "told_destination": "no", "destination": "Украина"})
    assert 'name="refusal_method"' in visitor.page  # the next page, not the same one again
    key = base64.urlsafe_b64decode(visitor.client.cookies[VISIT_COOKIE].value)
    assert "destination" not in open_state(key, visitor.state).answers  # it did not apply: dropped
    visitor.post({}, action="back")
    visitor.post({**DEFAULT_ANSWERS["about"], "told_destination": "yes", "destination": "Украина"})
    assert 'name="refusal_method"' in visitor.page
    assert open_state(key, visitor.state).answers["destination"] == "Украина"


def test_bad_input_gets_clear_russian_messages_and_keeps_what_was_typed(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.post({**DEFAULT_ANSWERS["about"], "service_category": "general", "unit": "x" * 5000})
    assert visitor.status == 400
    assert "Выберите корректный вариант" in visitor.page
    assert "не более 100 символов" in visitor.page
    visitor.post({**DEFAULT_ANSWERS["about"], "order_date": "31.02.2022"})
    assert visitor.status == 400
    assert 'id="id_order_date_error"' in visitor.page  # no such day
    assert "Приказали ехать" in visitor.page  # nothing typed is lost
    visitor.post({**DEFAULT_ANSWERS["about"], "order_date": "1812-06-24"})
    assert "Проверьте год" in visitor.page
    visitor.post({k: v for k, v in DEFAULT_ANSWERS["about"].items() if k != "told_destination"})
    assert visitor.status == 400
    assert "Ответьте на этот вопрос." in visitor.page
    assert Submission.objects.count() == 0


def test_a_file_whose_content_does_not_match_its_name_is_refused_and_not_kept(anna: User) -> None:
    before = set(attachments_dir().iterdir())
    visitor = on_files_page()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    visitor.post(DEFAULT_ANSWERS["after"], {"files": [SimpleUploadedFile("приказ.pdf", png)]})
    assert visitor.status == 400
    assert "не похож на файл PDF" in visitor.page
    visitor.post(DEFAULT_ANSWERS["after"], {"files": [SimpleUploadedFile("вирус.exe", b"MZ\x90\x00")]})
    assert "нельзя отправить" in visitor.page
    assert set(attachments_dir().iterdir()) == before


def test_a_file_over_the_size_limit_is_refused(anna: User, settings: object) -> None:
    settings.DEFENSOR_INTAKE_MAX_FILE_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    visitor = on_files_page()
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    visitor.post(DEFAULT_ANSWERS["after"], {"files": [SimpleUploadedFile("скан.pdf", big)]})
    assert visitor.status == 400
    assert "больше 1 МБ" in visitor.page


def test_a_double_tap_on_send_makes_one_submission_and_shows_the_same_receipt(anna: User) -> None:
    from defensor.intake.state import VISIT_COOKIE

    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    review_state = visitor.state
    cookie = visitor.client.cookies[VISIT_COOKIE].value
    receipt = visitor.submit()
    assert visitor.client.cookies[VISIT_COOKIE].value == ""  # the device can no longer open the answers
    visitor.client.cookies[VISIT_COOKIE] = cookie  # the second tap left before the first answer came
    second = visitor.client.post("/request/", {"state": review_state, "action": "submit"})
    assert second.status_code == 200
    assert receipt in second.content.decode()
    assert Submission.objects.count() == 1
    later = Client().post("/request/", {"state": review_state, "action": "submit"})
    assert later.status_code == 400  # without the (now deleted) cookie: nothing opens


def test_a_second_tap_on_send_while_the_service_is_busy_still_shows_the_receipt(
    anna: User, settings: object
) -> None:
    """Sending is not preceded by «already received?»: a repeat that the service would now refuse
    (busy, closed, a database error) looks before it says «try again»."""
    from defensor.intake.state import VISIT_COOKIE

    settings.DEFENSOR_INTAKE_MAX_PER_MINUTE = 1  # type: ignore[attr-defined]
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    review_state = visitor.state
    cookie = visitor.client.cookies[VISIT_COOKIE].value
    receipt = visitor.submit()  # the one request this minute allows
    visitor.client.cookies[VISIT_COOKIE] = cookie
    second = visitor.client.post("/request/", {"state": review_state, "action": "submit"})
    assert second.status_code == 200
    assert receipt in second.content.decode()
    assert "повторите через несколько минут" not in second.content.decode()
    assert Submission.objects.count() == 1


def test_a_form_from_another_browser_or_tampered_state_is_refused(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.post(DEFAULT_ANSWERS["about"])
    stranger = Client()
    response = stranger.post("/request/", {"state": visitor.state, "action": "next"})
    assert response.status_code == 400
    assert "нельзя продолжить" in response.content.decode()
    tampered = visitor.state[:-6] + ("AAAAAA" if not visitor.state.endswith("AAAAAA") else "BBBBBB")
    response = visitor.client.post("/request/", {"state": tampered})
    assert response.status_code == 400
    assert "нельзя продолжить" in response.content.decode()


def test_skipping_steps_to_send_is_refused_until_required_answers_are_given(anna: User) -> None:
    """Even a state forged (with the visitor's own key) to jump to the end cannot send a request
    with required answers missing: the person is taken to the first unanswered step."""
    import base64

    from defensor.intake.state import VISIT_COOKIE, open_state, seal_state

    visitor = IntakeVisitor()
    visitor.start()
    visitor.post({k: v for k, v in DEFAULT_ANSWERS["about"].items() if k != "order_description"})
    assert visitor.status == 400  # refused: the order is not described yet
    key = base64.urlsafe_b64decode(visitor.client.cookies[VISIT_COOKIE].value)
    state = open_state(key, visitor.state)
    state.step = "review"
    response = visitor.client.post("/request/", {"state": seal_state(key, state), "action": "submit"})
    assert response.status_code == 400
    assert 'name="order_description"' in response.content.decode()
    assert "обязательные вопросы" in response.content.decode()
    assert Submission.objects.count() == 0


def test_when_very_many_write_at_once_the_person_is_asked_to_retry_and_loses_nothing(
    anna: User, settings: object
) -> None:
    settings.DEFENSOR_INTAKE_MAX_PER_MINUTE = 1  # type: ignore[attr-defined]
    first = IntakeVisitor()
    first.start()
    first.fill_all()
    first.submit()
    second = IntakeVisitor()
    second.start()
    second.fill_all()
    second.post({}, action="submit")
    assert second.status == 503
    assert "повторите через несколько минут" in second.page
    assert 'name="state"' in second.page  # the answers are still in the page: "Send" again later
    settings.DEFENSOR_INTAKE_MAX_PER_MINUTE = 0  # type: ignore[attr-defined]
    second.post({}, action="submit")
    assert re.search(r'data-testid="receipt"', second.page)


def test_intake_pages_are_safe_for_a_person_at_risk() -> None:
    for path in ["/", "/request/", "/receipt/"]:
        response = Client().get(path)
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["Cache-Control"] == "no-store, max-age=0"
        assert "default-src 'none'" in response["Content-Security-Policy"]
        page = response.content.decode()
        assert "<script" not in page
        external = re.findall(r'(?:src|href|action)="(https?://[^"]+)"', page)
        assert external == [settings.DEFENSOR_QUICK_EXIT_URL]  # only the quick-exit link leaves the site
        assert "<title>Информация</title>" in page  # neutral title in the browser's history


def test_intake_forms_work_when_the_browser_sends_origin_null(anna: User) -> None:
    """no-referrer makes browsers post with `Origin: null`: the intake must still accept its forms."""
    client = Client(enforce_csrf_checks=True, HTTP_ORIGIN="null")
    page = client.get("/receipt/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/receipt/", {"csrfmiddlewaretoken": token.group(1), "receipt": "a b c d e f g h"})
    assert response.status_code == 400  # not found — but the form was accepted
    assert "не нашли" in response.content.decode()
    staff = Client(enforce_csrf_checks=True, HTTP_ORIGIN="null")
    login_page = staff.get("/staff/login/").content.decode()
    staff_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert staff_token is not None
    refused = staff.post("/staff/login/", {"csrfmiddlewaretoken": staff_token.group(1), "username": "anna",
                                           "password": "x"})
    assert refused.status_code == 403  # even with a valid token: staff pages require a real origin


def test_receipts_normalise_case_letters_and_spacing() -> None:
    assert normalise("  Ёлка   ЙОД\tдом ") == "елка иод дом"
    assert normalise("12345-67890 12345") == "123456789012345"


def test_a_malformed_questionnaire_is_rejected_with_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: test\nversion: 1\ntitle: {ru: Т, en: T}\nsteps:\n  - id: one\n    title: {ru: О, en: O}\n"
        "    questions:\n      - id: q\n        type: colour\n        label: {ru: В, en: Q}\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError) as caught:
        parse(broken)
    assert "broken.yaml:8" in str(caught.value)
    assert "unknown type 'colour'" in str(caught.value)
    missing_english = tmp_path / "missing.yaml"
    missing_english.write_text(
        "id: test\nversion: 1\ntitle: {ru: Т, en: T}\nsteps:\n  - id: one\n    title: {ru: О, en: O}\n"
        "    questions:\n      - id: q\n        type: yes_no\n        label: {ru: Вопрос}\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError, match=r"missing\.yaml:10: q\.label: missing en"):
        parse(missing_english)
    bad_condition = tmp_path / "cond.yaml"
    bad_condition.write_text(
        "id: t\nversion: 1\ntitle: {ru: Т, en: T}\nsteps:\n  - id: one\n    title: {ru: О, en: O}\n"
        "    questions:\n      - id: a\n        type: yes_no\n        label: {ru: В, en: Q}\n"
        "        show_if: {question: later, equals: 'yes'}\n",
        encoding="utf-8",
    )
    with pytest.raises(QuestionnaireError, match="not an earlier question"):
        parse(bad_condition)


def test_the_start_up_check_names_the_broken_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from defensor.intake import checks, questionnaire

    (tmp_path / "bad.yaml").write_text("id: [\n", encoding="utf-8")
    monkeypatch.setattr(questionnaire, "QUESTIONNAIRE_DIR", tmp_path)
    errors = checks.check_questionnaires(None)
    assert errors
    assert errors[0].id == "defensor.E010"
    assert "bad.yaml" in errors[0].msg



def test_a_request_sent_faster_than_a_person_could_is_kept_but_held_for_review(
    anna: User, settings: object
) -> None:
    settings.DEFENSOR_INTAKE_HOLD_FASTER_THAN = 3600  # type: ignore[attr-defined]
    robot = IntakeVisitor(language="en")
    robot.start()
    robot.fill_all()
    robot.submit()
    settings.DEFENSOR_INTAKE_HOLD_FASTER_THAN = 0  # type: ignore[attr-defined]
    person = IntakeVisitor(language="en")
    person.start()
    person.fill_all()
    person.submit()
    held = list(Submission.objects.order_by("received_at").values_list("held_for_review", flat=True))
    assert held == [True, False]  # nobody is refused; the suspect one waits for a person to look


def test_a_file_added_later_with_the_receipt_reaches_only_the_team(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    receipt = visitor.submit()
    submission = Submission.objects.get()
    person = Client()
    response = person.post(
        "/receipt/message/",
        {"receipt": receipt, "text": "Вот приказ об увольнении.", "files": [SimpleUploadedFile("приказ.pdf", PDF)]},
    )
    assert response.status_code == 200
    added = Attachment.objects.get(submission=submission)
    assert added.sealed_to_intake
    assert services.submission_attachment_content(submission=submission, attachment=added,
                                                  keyring=keyring_of(anna)) == PDF
    bad = person.post(
        "/receipt/message/",
        {"receipt": receipt, "text": "ещё", "files": [SimpleUploadedFile("фото.jpg", PDF)]},
    )
    assert bad.status_code == 400
    assert "не похож на файл JPEG" in bad.content.decode()
    assert Attachment.objects.filter(submission=submission).count() == 1


def test_an_oversized_intake_post_gets_a_clear_page_and_stores_nothing(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    before = set(attachments_dir().glob("*.bin"))
    response = visitor.client.post("/request/", {"state": visitor.state, "unit": "я" * (600 * 1024)})
    assert response.status_code == 413
    assert "Слишком много данных" in response.content.decode()
    assert Submission.objects.count() == 0
    assert set(attachments_dir().glob("*.bin")) == before


# --- what the review of the intake found -------------------------------------------------------


def test_nobody_can_remove_someone_elses_file(anna: User) -> None:
    before = set(attachments_dir().glob("*.bin"))
    owner = on_files_page()
    owner.post(DEFAULT_ANSWERS["after"], {"files": [SimpleUploadedFile("скан.pdf", PDF)]})
    (owners_file,) = set(attachments_dir().glob("*.bin")) - before
    stranger = on_files_page()
    stranger.post({**DEFAULT_ANSWERS["after"], "remove_file": [owners_file.stem.upper(), owners_file.stem]})
    assert owners_file.exists()


def test_uploads_of_refused_requests_are_not_left_on_disk(anna: User) -> None:
    before = set(attachments_dir().glob("*.bin"))
    visitor = on_files_page()
    files = {"files": [SimpleUploadedFile(f"скан{i}.pdf", PDF) for i in range(3)]}
    csrf = Client(enforce_csrf_checks=True)
    csrf.get("/request/")
    assert csrf.post("/request/", {"state": "x", **files}).status_code == 403
    assert visitor.client.post("/request/", {"state": "garbage", **files}).status_code == 400
    visitor.client.post("/request/", {"state": visitor.state, "other": [SimpleUploadedFile("a.pdf", PDF)]})
    assert set(attachments_dir().glob("*.bin")) == before


def test_a_forged_state_cannot_send_answers_the_form_would_refuse(anna: User) -> None:
    import base64

    from defensor.intake.state import VISIT_COOKIE, open_state, seal_state

    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    key = base64.urlsafe_b64decode(visitor.client.cookies[VISIT_COOKIE].value)
    state = open_state(key, visitor.state)
    state.answers["service_category"] = "hacker"
    state.answers["order_date"] = "0000-00-00"
    response = visitor.client.post("/request/", {"state": seal_state(key, state), "action": "submit"})
    assert response.status_code == 400
    assert 'name="service_category"' in response.content.decode()
    assert Submission.objects.count() == 0
    state.answers["pressure"] = {"nested": "dict"}
    token = seal_state(key, state)
    assert visitor.client.post("/request/", {"state": token, "action": "submit"}).status_code == 400


def test_every_step_works_on_the_29th_of_february(anna: User) -> None:
    from datetime import date
    from unittest import mock

    with mock.patch("django.utils.timezone.localdate", return_value=date(2028, 2, 29)):
        visitor = IntakeVisitor()
        visitor.start()
        visitor.post({**DEFAULT_ANSWERS["about"], "order_date": "2029-02-28"})
        assert visitor.status == 200
        assert 'name="refusal_method"' in visitor.page
        visitor.post(DEFAULT_ANSWERS["after"])
        assert visitor.status == 200
        visitor.post(DEFAULT_ANSWERS["contact"])
        assert "Проверьте и отправьте" in visitor.page


def test_a_hidden_step_cannot_be_opened(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    visitor.post({}, action="edit:no_such_step")
    assert "Проверьте и отправьте" in visitor.page


def test_a_receipt_holder_cannot_fill_the_disk(anna: User, settings: object) -> None:
    settings.DEFENSOR_INTAKE_MAX_LATER_FILES = 2  # type: ignore[attr-defined]
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    receipt = visitor.submit()
    before = set(attachments_dir().glob("*.bin"))
    person = Client()
    files = [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(3)]
    response = person.post("/receipt/message/", {"receipt": receipt, "text": "файлы", "files": files})
    assert response.status_code == 400
    assert Attachment.objects.count() == 0
    assert set(attachments_dir().glob("*.bin")) == before


def test_files_sent_anywhere_else_are_never_written(anna: User) -> None:
    before = set(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir())
    big = SimpleUploadedFile("secret.pdf", b"%PDF-1.4 " + b"x" * (400 * 1024))
    Client().post("/receipt/", {"receipt": "a b c d e f g h", "file": big})
    assert set(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == before


def test_the_state_in_the_page_is_ciphertext(anna: User) -> None:
    import base64

    visitor = IntakeVisitor()
    visitor.start()
    visitor.post(DEFAULT_ANSWERS["about"])
    raw = base64.urlsafe_b64decode(visitor.state.encode())
    assert "в/ч 12345".encode() not in raw
    assert b"special_rank" not in raw


def test_what_a_person_types_is_always_escaped(anna: User) -> None:
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    visitor = IntakeVisitor(language="en")
    visitor.start()
    visitor.post({**DEFAULT_ANSWERS["about"], "unit": hostile[:100]})
    visitor.post({}, action="back")
    assert "<script>alert(1)" not in visitor.page
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;' in visitor.page
    visitor.fill_all()
    assert "<script>alert(1)" not in visitor.page
    assert "onerror=alert" not in visitor.page.replace("&lt;img src=x onerror=alert(2)&gt;", "")


def test_english_visitors_see_english_regions_and_russians_russian(anna: User) -> None:
    english = IntakeVisitor(language="en")
    english.start()
    assert "Moscow" in english.page
    russian = IntakeVisitor(language="ru")
    russian.start()
    assert "Москва" in russian.page
    assert "Moscow" not in russian.page


def test_one_visitors_answers_never_appear_on_the_next_visitors_page(anna: User) -> None:
    """Empty step pages are made once and reused (for speed under a flood); what a person typed,
    or the errors they were shown, must never reach anyone else's page."""
    first = IntakeVisitor()
    first.start()
    first.post({**DEFAULT_ANSWERS["about"], "unit": "в/ч 77777-Ж", "order_date": "31.02.2022"})
    assert 'id="id_order_date_error"' in first.page  # an error on the first page, what was typed shown back
    assert "в/ч 77777-Ж" in first.page
    first.post({**DEFAULT_ANSWERS["about"], "unit": "в/ч 77777-Ж"})
    first.post({**DEFAULT_ANSWERS["after"], "pressure_details": "Командир 88888 звонит матери"})
    first.post({}, action="back")
    assert "88888" in first.page  # the person's own answer is shown back to them

    second = IntakeVisitor()
    second.start()
    assert "77777" not in second.page
    assert "_error" not in second.page
    assert 'name="order_description"' in second.page
    assert "Приказали ехать" not in second.page
    second.post(DEFAULT_ANSWERS["about"])
    assert 'name="pressure_details"' in second.page
    assert "88888" not in second.page
    english = IntakeVisitor(language="en")
    english.start()
    english.post(DEFAULT_ANSWERS["about"])
    assert "Only if you answered «Yes» above." in english.page
    assert "Только если" not in english.page


def test_a_page_changed_from_the_review_returns_to_the_review_in_one_step(anna: User) -> None:
    """«изменить» on the review opens the page; its answer changed, the person is back on the review
    at once (one round trip over Tor, not every later page again), with the new answer."""
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all()
    visitor.post({}, action="edit:about")
    assert "Сохранить и вернуться к проверке" in visitor.page
    assert 'name="returning" value="1"' in visitor.page
    back = {"returning": "1"}  # the page's hidden field, as a browser sends it
    visitor.post({**DEFAULT_ANSWERS["about"], **back, "unit": "в/ч 54321"})
    assert visitor.status == 200
    assert "Проверьте и отправьте" in visitor.page
    assert "в/ч 54321" in visitor.page
    # A mistake on the page keeps the way back to the review.
    visitor.post({}, action="edit:about")
    visitor.post({**DEFAULT_ANSWERS["about"], **back, "order_description": ""})
    assert visitor.status == 400
    assert 'name="returning" value="1"' in visitor.page
    visitor.post({**DEFAULT_ANSWERS["about"], **back})
    assert "Проверьте и отправьте" in visitor.page
    assert visitor.submit()


def test_the_last_question_page_says_the_answers_are_checked_next(anna: User) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    assert "Далее: проверить ответы" not in visitor.page
    visitor.post(DEFAULT_ANSWERS["about"])
    visitor.post(DEFAULT_ANSWERS["after"])
    assert "Далее: проверить ответы" in visitor.page
    assert "<h1>Связь с вами</h1>" in visitor.page
