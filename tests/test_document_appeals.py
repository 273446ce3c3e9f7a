"""Appeals and their period (issue 18, item 4), drafted through the generation page as a lawyer
would: the date of the decision in final form is a date; the appeal says the period is not missed
only when that date is given and the month (КАС ст. 298 ч. 1, ГПК ст. 321 ч. 2) has not run out on
the document's date, counted by the deadlines app on the working calendar; otherwise a motion to
restore the period (КАС ст. 95, ГПК ст. 112) goes with the appeal, on its own page, and the form
asks for its reasons first. A special-rank employee's case gets the civil-procedure appeal."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from docx import Document

from defensor.accounts.models import User
from defensor.cases import services as cases
from defensor.cases.models import Case, EventKind
from defensor.core.grammar import date_in_words
from defensor.deadlines.counting import add_months
from defensor.deadlines.services import calendar_day_set
from defensor.documents.authority import power_of_attorney_add
from defensor.documents.context import appeal_period
from defensor.documents.models import GeneratedDocument
from defensor.documents.render import document_text
from defensor.people.services import person_create, person_update
from tests.conftest import keyring_of

COURT = "Курский гарнизонный военный суд"
MOTION = "Ходатайство о восстановлении пропущенного процессуального срока подачи апелляционной жалобы."
SIGNATURE = re.compile(r"_{5,} /[^/]+/$")


@pytest.fixture
def lawyer(anna: User) -> User:
    anna.document_name = "Смирнова Анна Викторовна"
    anna.document_credentials = "адвокат, рег. № 46/123"
    anna.document_contacts = "г. Курск, ул. Ленина, д. 1"
    anna.save()
    # Appealing is a special power (КАС ст. 56, ГПК ст. 54): a general power of attorney that gives it.
    power_of_attorney_add(user=anna, keyring=keyring_of(anna), number="46 АА 1234567", issued_on=date(2026, 1, 15),
                          issuer="Гусев Андрей Ильич", valid_until=None, general=True, people=[],
                          powers=["sign_and_file", "appeal"])
    return anna


@pytest.fixture
def no_worker() -> None:
    from defensor.keys.worker import worker_identity_stop

    worker_identity_stop()


def _case(lawyer: User, *, kind: str = "military_admin", decided_on: date) -> Case:
    """Гусев's case, decided by the court on ``decided_on``."""
    keyring = keyring_of(lawyer)
    court = COURT if kind == "military_admin" else "Ленинский районный суд г. Курска"
    case = cases.case_open(opened_by=lawyer, keyring=keyring, title="Увольнение", kind=kind, court=court,
                           court_number="2а-77/2026" if kind == "military_admin" else "2-77/2026")
    person = person_create(created_by=lawyer, keyring=keyring, full_name="Гусев Андрей Ильич", surname="Гусев",
                           birth_date="1990-05-25", unit="в/ч 12345")
    person_update(person=person, updated_by=lawyer, keyring=keyring, birth_place="г. Курск",
                  residence_address="305000, г. Курск, ул. Садовая, д. 1")
    cases.claimant_add(case=case, person=person, added_by=lawyer, keyring=keyring)
    cases.case_event_add(case=case, recorded_by=lawyer, keyring=keyring, kind=EventKind.DECISION,
                         happened_on=decided_on)
    return case


def _typed(template: str = "builtin:appeal", **inputs: str) -> dict[str, str]:
    typed = {"template": template, "input_appeal_court": "2-й Западный окружной военный суд",
             "input_respondent": "Командир войсковой части 12345", "input_authority": "ордер № 15 от 01.11.2026",
             "input_arguments": "Суд не учёл, что аттестация не проводилась."}
    if template == "builtin:appeal-civil":
        typed.update({"input_appeal_court": "Курский областной суд",
                      "input_respondent": "Управление Росгвардии по Курской области",
                      "input_respondent_address": "305000, г. Курск, ул. Садовая, д. 5"})
    typed.update({f"input_{name}": value for name, value in inputs.items()})
    return typed


def _new(case: Case) -> str:
    return f"/staff/cases/{case.pk}/documents/new/"


def _docx(client: Client, case: Case) -> bytes:
    document = GeneratedDocument.objects.filter(case=case).latest("pk")
    response = client.get(f"/staff/cases/{case.pk}/documents/{document.pk}/docx/")
    assert response.status_code == 200
    return response.content


def _pages(content: bytes) -> list[str]:
    """The document's text, cut where a paragraph starts a new page (the motion does)."""
    pages: list[list[str]] = [[]]
    for paragraph in Document(io.BytesIO(content)).paragraphs:
        if paragraph.paragraph_format.page_break_before:
            pages.append([])
        pages[-1].append(paragraph.text.replace("\u00a0", " ").replace("\u2011", "-"))  # as a reader sees it
    return ["\n".join(page) for page in pages]


def _no_blank_but_signatures(text: str) -> None:
    blanks = [line for line in text.splitlines() if "____" in line]
    assert all(SIGNATURE.search(line) for line in blanks), blanks


def _period_ends(final_form: date) -> str:
    """When the month from ``final_form`` ends, as the deadlines app counts it (the appeal's words)."""
    period = appeal_period("kas-298", final_form, timezone.localdate())
    assert period["known"]
    return str(period["ends"])


@pytest.mark.django_db
def test_an_appeal_within_its_period_says_it_is_not_missed_and_has_no_motion(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    final_form = timezone.localdate() - timedelta(days=20)
    case = _case(lawyer, decided_on=final_form - timedelta(days=5))
    client = verified_client(lawyer)
    page = client.get(_new(case), {"template": "builtin:appeal"}).content.decode()
    assert re.search(r'<input type="date" name="input_final_form_date"', page)  # a date field
    # Typed as a clerk writes a date (ДД.ММ.ГГГГ) is taken too.
    response = client.post(_new(case), _typed(final_form_date=final_form.strftime("%d.%m.%Y")))
    assert response.status_code == 302
    text = document_text(_docx(client, case))
    assert ("Срок апелляционного обжалования, установленный ч. 1 ст. 298 КАС РФ (один месяц со дня принятия "
            f"решения суда в окончательной форме), не пропущен: он истекает {_period_ends(final_form)} (решение "
            f"в окончательной форме изготовлено {date_in_words(final_form)}).") in text.replace("\u00a0", " ")
    assert "ХОДАТАЙСТВО" not in text
    assert "восстановлении" not in text
    assert len(_pages(_docx(client, case))) == 1


@pytest.mark.django_db
def test_a_missed_period_asks_for_the_reasons_then_drafts_the_motion_after_the_appeal(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    today = timezone.localdate()
    final_form = add_months(today, -2)
    received = final_form + timedelta(days=40)
    case = _case(lawyer, decided_on=final_form - timedelta(days=5))
    client = verified_client(lawyer)
    ends = appeal_period("kas-298", final_form, today)
    assert ends["missed"]

    refused = client.post(_new(case), _typed(final_form_date=final_form.isoformat(),
                                             received_date=received.isoformat()))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert f"Срок апелляционного обжалования (месяц со дня изготовления решения в окончательной форме) истёк " \
           f"{ends['ends_short']}: к жалобе составляется ходатайство о его восстановлении." in page
    assert "Суд не учёл, что аттестация не проводилась." in page  # nothing typed is lost
    assert not GeneratedDocument.objects.exists()

    reasons = ("Копия решения в окончательной форме направлена судом по почте и получена по истечении срока "
               "обжалования.\nВ судебном заседании при оглашении резолютивной части решения административный "
               "истец не присутствовал.")
    response = client.post(_new(case), _typed(final_form_date=final_form.isoformat(),
                                              received_date=received.isoformat(), restore_reasons=reasons))
    assert response.status_code == 302
    content = _docx(client, case)
    appeal, motion = _pages(content)
    assert appeal.startswith("В 2-й Западный окружной военный суд\nчерез Курский гарнизонный военный суд\n")
    assert (f"истёк {ends['ends']} (решение в окончательной форме изготовлено {date_in_words(final_form)}, копия "
            f"решения получена {date_in_words(received)}); срок пропущен по уважительным причинам, в связи с чем "
            "к жалобе прилагается ходатайство о восстановлении пропущенного процессуального срока подачи "
            "апелляционной жалобы (ст. 95 КАС РФ).") in appeal
    assert "не пропущен" not in appeal
    attachments = appeal.split("\nПриложение:\n", 1)[1]
    assert MOTION in attachments.splitlines()
    # The motion: to the court that decided, naming the case, the decision, the dates, the reasons.
    assert motion.startswith(f"В {COURT}\nАдминистративное дело № 2а-77/2026\n"
                             "Административный истец: Гусев Андрей Ильич\n")
    assert ("\nХОДАТАЙСТВО\nо восстановлении пропущенного процессуального срока подачи апелляционной жалобы\n"
            in motion)
    assert (f"{date_in_words(final_form - timedelta(days=5))} {COURT} вынес решение по административному делу "
            "№ 2а-77/2026 по административному исковому заявлению Гусева Андрея Ильича") in motion
    assert (f"Решение в окончательной форме изготовлено {date_in_words(final_form)}, срок апелляционного "
            f"обжалования, установленный ч. 1 ст. 298 КАС РФ, истёк {ends['ends']}; копия решения суда получена "
            f"административным истцом {date_in_words(received)}\n") in motion
    assert ("Срок пропущен по уважительным причинам:\nКопия решения в окончательной форме направлена судом по "
            "почте") in motion
    assert "В силу ч. 1 ст. 95 КАС РФ" in motion
    assert ("Восстановить административному истцу пропущенный процессуальный срок подачи апелляционной жалобы "
            f"на решение суда первой инстанции ({COURT})") in motion
    assert "Принять апелляционную жалобу и направить административное дело с апелляционной жалобой" in motion
    assert motion.endswith("Представитель административного истца\t_______________ /Смирнова А. В./")
    _no_blank_but_signatures(appeal + "\n" + motion)
    assert "г.." not in appeal + motion  # a sentence ending in a date ends with its «г.»


@pytest.mark.django_db
def test_without_the_final_form_date_the_appeal_does_not_claim_the_period_and_the_motion_goes_with_it(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case = _case(lawyer, decided_on=timezone.localdate() - timedelta(days=10))
    client = verified_client(lawyer)
    refused = client.post(_new(case), _typed())
    assert refused.status_code == 400
    assert "Дата изготовления решения в окончательной форме не указана" in refused.content.decode()
    response = client.post(_new(case), _typed(restore_reasons="Копия решения не получена до сих пор."))
    assert response.status_code == 302
    appeal, motion = _pages(_docx(client, case))
    assert "не пропущен" not in appeal
    assert "сведений о дате которого у административного истца нет" in appeal
    assert MOTION in appeal.split("\nПриложение:\n", 1)[1].splitlines()
    assert ("Сведений о дате изготовления решения в окончательной форме у административного истца нет; срок "
            "апелляционного обжалования, установленный ч. 1 ст. 298 КАС РФ, исчисляется с этой даты и может быть "
            "признан пропущенным.") in motion
    assert "Срок мог быть пропущен по уважительным причинам:\nКопия решения не получена до сих пор." in motion
    _no_blank_but_signatures(appeal + "\n" + motion)


@pytest.mark.django_db
def test_a_period_that_ends_on_a_day_off_runs_to_the_next_working_day(lawyer: User, olga: User) -> None:
    """9 January 2026 is a day off moved by the government's decree (from 3 January; the `holidays`
    package knows it): a month from 9 December 2025 ends on Monday 12 January. 4 November 2026 is
    Unity Day: a month from 4 October ends on Thursday 5 November."""
    period = appeal_period("kas-298", date(2025, 12, 9), date(2026, 1, 12))
    assert (period["known"], period["missed"], period["motion"], period["ends"]) == (
        True, False, False, "12 января 2026 г.")
    assert appeal_period("kas-298", date(2025, 12, 9), date(2026, 1, 13))["missed"]
    unity = appeal_period("gpk-321", date(2026, 10, 4), date(2026, 11, 5))
    assert (unity["missed"], unity["ends_short"]) == (False, "05.11.2026")
    # The administrators' own table counts too: a one-off day off on 12 January moves it on again.
    calendar_day_set(day=date(2026, 1, 12), working=False, reason="Указ губернатора", set_by=olga)
    assert appeal_period("kas-298", date(2025, 12, 9), date(2026, 1, 13))["ends"] == "13 января 2026 г."


@pytest.mark.django_db
def test_a_day_off_at_the_end_of_the_period_is_in_the_drafted_appeal(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case = _case(lawyer, decided_on=date(2025, 12, 3))
    client = verified_client(lawyer)
    response = client.post(_new(case), _typed(final_form_date="09.12.2025",
                                              restore_reasons="Копия решения получена по истечении срока."))
    assert response.status_code == 302
    appeal, _motion = _pages(_docx(client, case))
    assert "истёк 12 января 2026 г. (решение в окончательной форме изготовлено 9 декабря 2025 г.)" in appeal


@pytest.mark.django_db
def test_a_special_rank_case_gets_the_civil_procedure_appeal_and_not_the_administrative_one(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    final_form = timezone.localdate() - timedelta(days=20)
    case = _case(lawyer, kind="special_rank", decided_on=final_form - timedelta(days=5))
    client = verified_client(lawyer)
    page = client.get(_new(case)).content.decode()
    offered = page.split("<optgroup", 1)[0]  # the templates suited to the case, before the others
    assert 'value="builtin:appeal-civil"' in offered
    assert 'value="builtin:appeal"' not in offered
    response = client.post(_new(case), _typed("builtin:appeal-civil", final_form_date=final_form.isoformat()))
    assert response.status_code == 302
    content = _docx(client, case)
    (text,) = _pages(content)
    assert text.startswith("В Курский областной суд\nчерез Ленинский районный суд г. Курска\nДело № 2-77/2026\n"
                           "Истец: Гусев Андрей Ильич\nМесто жительства: 305000, г. Курск, ул. Садовая, д. 1\n"
                           "Представитель истца: Смирнова Анна Викторовна,")
    assert "Ответчик: Управление Росгвардии по Курской области,\nадрес: 305000, г. Курск, ул. Садовая, д. 5" in text
    assert "Государственная пошлина: истец освобождён от её уплаты (подп. 1 п. 1 ст. 333.36 НК РФ, ст. 393 ТК РФ)" \
        in text
    assert "\nАПЕЛЛЯЦИОННАЯ ЖАЛОБА\nна решение суда от " in text
    assert "по гражданскому делу № 2-77/2026 по исковому заявлению Гусева Андрея Ильича (ответчик — Управление" in text
    assert "Истец с решением суда не согласен" in text
    assert "Согласно ч. 1 ст. 330 ГПК РФ основаниями для отмены или изменения решения суда" in text
    assert "установленный ч. 2 ст. 321 ГПК РФ (один месяц со дня принятия решения суда в окончательной форме), " \
           "не пропущен" in text
    assert "руководствуясь ст. 320–322, 328, 330 ГПК РФ" in text
    assert "Принять по делу новое решение, которым исковые требования истца удовлетворить в полном объёме." in text
    assert ("Документ, подтверждающий направление или вручение другим лицам, участвующим в деле, копий "
            "апелляционной жалобы и приложенных к ней документов, которые у них отсутствуют.") in text
    assert "доверенность" in text  # signed under the power of attorney that gives the power to appeal
    assert "административн" not in text.lower()
    assert "КАС" not in text
    _no_blank_but_signatures(text)


@pytest.mark.django_db
def test_a_civil_appeal_out_of_time_goes_with_a_motion_under_article_112(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    final_form = add_months(timezone.localdate(), -3)
    case = _case(lawyer, kind="special_rank", decided_on=final_form)
    client = verified_client(lawyer)
    typed = _typed("builtin:appeal-civil", final_form_date=final_form.isoformat())
    assert client.post(_new(case), typed).status_code == 400
    typed["input_restore_reasons"] = "Истец находился на стационарном лечении."
    assert client.post(_new(case), typed).status_code == 302
    appeal, motion = _pages(_docx(client, case))
    assert "(ст. 112 ГПК РФ)" in appeal
    assert MOTION in appeal.split("\nПриложение:\n", 1)[1].splitlines()
    assert motion.startswith("В Ленинский районный суд г. Курска\nДело № 2-77/2026\nИстец: Гусев Андрей Ильич\n")
    assert "В силу ч. 1 ст. 112 ГПК РФ" in motion
    assert "Восстановить истцу пропущенный процессуальный срок подачи апелляционной жалобы" in motion
    assert "направить гражданское дело с апелляционной жалобой в суд апелляционной инстанции (Курский областной " \
           "суд)" in motion
    assert "административн" not in (appeal + motion).lower()
    _no_blank_but_signatures(appeal + "\n" + motion)


@pytest.mark.django_db
def test_a_date_that_is_no_date_is_refused_with_a_message_and_nothing_typed_is_lost(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    case = _case(lawyer, decided_on=timezone.localdate() - timedelta(days=10))
    client = verified_client(lawyer)
    for odd in ("31.02.2026", "20 октября", "2026-13-01"):
        refused = client.post(_new(case), _typed(final_form_date=odd, restore_reasons="Поздно получена копия."))
        assert refused.status_code == 400, odd
        page = refused.content.decode()
        assert "Введите дату в виде ДД.ММ.ГГГГ, например 20.10.2026." in page
        assert f'value="{odd}"' in page  # the date as typed, to correct
        assert "Суд не учёл, что аттестация не проводилась." in page
        assert "Поздно получена копия." in page
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused = client.post(_new(case), _typed(final_form_date=tomorrow.isoformat()))
    assert refused.status_code == 400
    assert "Эта дата ещё не наступила." in refused.content.decode()
    assert not GeneratedDocument.objects.exists()


@pytest.mark.django_db
def test_the_form_speaks_english_too(
    lawyer: User, verified_client: Callable[[User], Client], no_worker: None,
) -> None:
    lawyer.language = "en"
    lawyer.save()
    case = _case(lawyer, decided_on=timezone.localdate() - timedelta(days=10))
    refused = verified_client(lawyer).post(_new(case), _typed(final_form_date="31.02.2026"))
    assert "Enter a date as DD.MM.YYYY, e.g. 20.10.2026." in refused.content.decode()


@pytest.mark.django_db
def test_the_service_refuses_an_appeal_needing_a_motion_without_its_reasons_whatever_sent_it(
    lawyer: User, no_worker: None,
) -> None:
    """The form asks first; a request made around it is refused too, never drafted with a motion
    that gives no reason."""
    from defensor.documents.catalogue import builtin_templates
    from defensor.documents.services import MissingData, document_request

    case = _case(lawyer, decided_on=timezone.localdate() - timedelta(days=90))
    appeal = next(t for t in builtin_templates() if t.key == "builtin:appeal")
    inputs = {key.removeprefix("input_"): value for key, value in _typed().items() if key.startswith("input_")}
    with pytest.raises(MissingData) as refused:
        document_request(case=case, requested_by=lawyer, keyring=keyring_of(lawyer), template=appeal, inputs=inputs)
    assert [m.what for m in refused.value.missing] == ["the reasons the appeal period was missed"]
    assert not GeneratedDocument.objects.filter(case=case).exists()
    inputs["restore_reasons"] = "Копия решения получена по почте через пять недель."
    document = document_request(case=case, requested_by=lawyer, keyring=keyring_of(lawyer), template=appeal,
                                inputs=inputs)
    assert MOTION in document_text(_docx_of(document, lawyer))


def _docx_of(document: GeneratedDocument, reader: User) -> bytes:
    from defensor.documents.services import document_read

    document.refresh_from_db()
    return document_read(document=document, reader=reader, keyring=keyring_of(reader), kind="docx")
