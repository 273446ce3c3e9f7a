"""The built-in court documents: each renders from a case's data with nothing left unfilled, every
name in the grammatical case its sentence needs, dates as courts write them, one claimant or a
group; the manifest (templates.yaml) agrees with the files. Declined names below are written out
by hand; the date and amount filters are the application's own (core.grammar)."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Pt
from docxtpl import DocxTemplate
from jinja2.sandbox import ImmutableSandboxedEnvironment

from defensor.cases.models import CaseKind
from defensor.core.grammar import court_date, date_in_words
from defensor.documents import money
from defensor.documents.builtin import make_templates
from defensor.documents.catalogue import CONTEXT_NAMES, INPUT_KINDS, NEEDABLE  # the application's context
from defensor.documents.context import amount_typed, date_typed
from defensor.documents.render import jinja_environment

BUILTIN = Path(make_templates.__file__).resolve().parent
MANIFEST: dict[str, Any] = yaml.safe_load((BUILTIN / "templates.yaml").read_text(encoding="utf-8"))
TEMPLATES: dict[str, dict[str, Any]] = {t["id"]: t for t in MANIFEST["templates"]}
IDS = ["kas22-claim", "reinstatement-claim", "lawyer-request", "prosecutor-complaint", "appeal", "appeal-civil"]

CASE_KINDS = frozenset(CaseKind.values)

TODAY = "«30» ноября 2026 г."


def person(
    forms: str, *, initials: str, birth_date: str, unit: str, dismissed: date, female: bool = False,
    monthly_pay: str = "50000.00", service_post: str = "",
) -> dict[str, Any]:
    """``forms``: the full name in the nominative, genitive, dative, accusative, instrumental and
    prepositional, separated by «|»; ``initials``: nominative, genitive, dative likewise."""
    cases = dict(zip(("name", "genitive", "dative", "accusative", "instrumental", "prepositional"),
                     forms.split("|"), strict=True))
    short = dict(zip(("initials", "initials_genitive", "initials_dative"), initials.split("|"), strict=True))
    return {
        **cases, **short, "birth_date": birth_date, "unit": unit,
        "dismissal_date": dismissed.strftime("%d.%m.%Y"), "dismissal_date_words": date_in_words(dismissed),
        "female": female, "residence_address": f"305000, г. Курск, ул. Садовая, д. {birth_date[:2]}",
        "birth_place": "г. Курск", "snils": "112-233-445 95", "inn": "", "passport": "",
        "identifier": "СНИЛС 112-233-445 95",  # as the application's context writes the one a claim gives
        # The post and the monthly pay from the record; the back pay to the sample's date as documents.money
        # calculates it (tests/test_document_money.py checks the calculation itself).
        "service_post": service_post,
        **money.claimant_money(monthly_pay=monthly_pay, dismissed_on=dismissed, until=date(2026, 11, 30)),
    }


GUSEV = person(
    "Гусев Андрей Ильич|Гусева Андрея Ильича|Гусеву Андрею Ильичу|Гусева Андрея Ильича|Гусевым Андреем Ильичом"
    "|Гусеве Андрее Ильиче",
    initials="Гусев А. И.|Гусева А. И.|Гусеву А. И.", birth_date="12.03.1990", unit="в/ч 12345",
    dismissed=date(2026, 10, 1), monthly_pay="54321.00",
    service_post="старшего инспектора отдела лицензионно-разрешительной работы",
)
SOKOLOVA = person(
    "Соколова Мария Петровна|Соколовой Марии Петровны|Соколовой Марии Петровне|Соколову Марию Петровну"
    "|Соколовой Марией Петровной|Соколовой Марии Петровне",
    initials="Соколова М. П.|Соколовой М. П.|Соколовой М. П.", birth_date="05.07.1994", unit="в/ч 54321",
    dismissed=date(2026, 10, 3), female=True, monthly_pay="48750.50",
)
MAMEDOV = person(
    "Мамедов Эльдар Рашид оглы|Мамедова Эльдара Рашид оглы|Мамедову Эльдару Рашид оглы|Мамедова Эльдара Рашид оглы"
    "|Мамедовым Эльдаром Рашид оглы|Мамедове Эльдаре Рашид оглы",
    initials="Мамедов Э. Р.|Мамедова Э. Р.|Мамедову Э. Р.", birth_date="21.11.1988", unit="в/ч 12345",
    dismissed=date(2026, 10, 1),
)
GROUP = [GUSEV, SOKOLOVA, MAMEDOV]
SURNAMES = ["Орлов", "Соколов", "Волков", "Зайцев", "Лебедев", "Козлов", "Новиков", "Морозов", "Павлов",
            "Семёнов", "Голубев", "Виноградов", "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев"]
# Twenty: enough for a collective administrative claim (art. 42 of the Code of Administrative Procedure).
COLLECTIVE = GROUP + [
    person(
        f"{s} Иван Петрович|{s}а Ивана Петровича|{s}у Ивану Петровичу|{s}а Ивана Петровича|{s}ым Иваном Петровичем"
        f"|{s}е Иване Петровиче",
        initials=f"{s} И. П.|{s}а И. П.|{s}у И. П.", birth_date="01.01.1995", unit="в/ч 12345",
        dismissed=date(2026, 10, 1),
    )
    for s in SURNAMES
]

REPRESENTATIVE = {
    "name": "Петрова Анна Сергеевна", "genitive": "Петровой Анны Сергеевны", "dative": "Петровой Анне Сергеевне",
    "instrumental": "Петровой Анной Сергеевной", "initials": "Петрова А. С.",
    "credentials": "адвокат Адвокатской палаты Курской области, рег. № 46/123",
    "contacts": "305000, г. Курск, ул. Ленина, д. 1, оф. 2; тел. +7 900 000-00-00; petrova@example.org",
}


def amount(figures: str) -> dict[str, str]:
    return amount_typed(Decimal(figures))  # as the application's context writes a typed sum


DOCUMENTS = ["Копию приказа командира войсковой части 12345 от 01.10.2026 № 123",
             "Копию аттестационного листа", "Выписку из послужного списка"]
SAMPLE_INPUTS: dict[str, str] = {
    "respondent": "Командир войсковой части 12345",
    "respondent_address": "305000, г. Курск, ул. Садовая, д. 5",
    "respondent_ids": "ИНН 4600000000, ОГРН 1164600000000",
    "order": "приказ командира войсковой части 12345 от 01.10.2026 № 123",
    "position": "старшего инспектора отдела лицензионно-разрешительной работы",
    "authority": "ордер № 15 от 01.11.2026",
    "facts": "Административный истец отказался от направления в командировку.\r\n\r\n"
             "Аттестация не проводилась, с заключением он не ознакомлен.\n"
             "Рапорт от 20.09.2026 (вх. № 5 & 6) <не рассмотрен>.",
    "interested_party": "ФКУ «Единый расчётный центр Министерства обороны Российской Федерации»",
    "superior_complaint": "командующему войсками округа 10.10.2026, ответ не получен",
    "evidence_request": "Личное дело административного истца\nМатериалы аттестации",
    "state_fee": "3000",
    "back_pay": "123456.78",
    "moral_damages": "50000",
    "attachments": "Копия контракта\nКопия рапорта от 20.09.2026",
    "addressee": "Командиру войсковой части 12345",
    "addressee_address": "305000, г. Курск, ул. Садовая, д. 5",
    "request_number": "12",
    "law_office": "Коллегия адвокатов «Защита» Курской области",
    "warrant": "№ 15 от 01.11.2026",
    "documents": "\n".join(DOCUMENTS) + "\n",
    "purpose": "для обжалования приказа об увольнении",
    "prosecutor": "Военному прокурору Курского гарнизона",
    "prosecutor_address": "305000, г. Курск, ул. Дзержинского, д. 10",
    "appeal_court": "2-й Западный окружной военный суд",
    "decision_summary": "в удовлетворении административного искового заявления отказано",
    "final_form_date": "2026-10-20",  # as the form sends a date; its period ended 20.11.2026
    "received_date": "2026-11-25",
    "restore_reasons": "Копия решения в окончательной форме получена 25.11.2026, по истечении срока обжалования.\n"
                       "При оглашении резолютивной части решения административный истец не присутствовал.",
    # A claim's period for going to court ended (the reinstatement claim's sample: filing_period_of).
    "period_reasons": "Копия приказа об увольнении выдана 25.11.2026.\n"
                      "До этого о приказе было известно лишь со слов командира.",
    "arguments": "Суд не учёл, что аттестация не проводилась.\nВыводы суда не соответствуют обстоятельствам дела.",
}
# Where a template's own sample differs (the civil appeal goes to a regional court, against the employer).
SAMPLE_INPUTS_OF: dict[str, dict[str, str]] = {
    # A special-rank employee sues the body that employed them, in a district court (ГПК).
    "reinstatement-claim": {
        "respondent": "Управление Федеральной службы войск национальной гвардии Российской Федерации по Курской "
                      "области",
        "respondent_address": "305000, г. Курск, ул. Луначарского, д. 4",
        "respondent_ids": "ИНН 4632220000, ОГРН 1164632050000",
        "order": "приказ начальника Управления Росгвардии по Курской области от 01.10.2026 № 123 л/с",
        "facts": "Истец уволен по п. 9 ч. 3 ст. 82 Федерального закона № 342-ФЗ.\n"
                 "Служебная проверка не проводилась, с её заключением истец не ознакомлен.",
    },
    "appeal-civil": {"appeal_court": "Курский областной суд",
                     "respondent": "Управление Росгвардии по Курской области",
                     "decision_summary": "в удовлетворении исковых требований отказано"},
}


def inputs_for(template_id: str, *, optional: bool) -> dict[str, Any]:
    """Every declared input: required ones filled, optional ones filled or empty."""
    inputs: dict[str, Any] = {}
    for field in TEMPLATES[template_id]["inputs"]:
        filled = field["required"] or optional
        value = {**SAMPLE_INPUTS, **SAMPLE_INPUTS_OF.get(template_id, {})}[field["name"]] if filled else ""
        inputs[field["name"]] = amount(value) if field["kind"] == "amount" and value else value
        if field["kind"] == "date" and value:
            inputs[field["name"]] = date_typed(date.fromisoformat(value))  # as the application's context
    return inputs


def appeal_period_of(template_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What documents.context.appeal_period finds on the sample's date (30.11.2026): the period from
    the decision made in final form on 20.10.2026 ended on 20.11.2026 (a Friday), so the appeal goes
    with a motion to restore it; without the date, too."""
    if not TEMPLATES[template_id].get("period"):
        return {"known": False, "missed": False, "motion": False, "ends": "", "ends_short": "", "unpublished": False}
    if not inputs.get("final_form_date"):
        return {"known": False, "missed": False, "motion": True, "ends": "", "ends_short": "", "unpublished": False}
    return {"known": True, "missed": True, "motion": True, "ends": "20 ноября 2026 г.", "ends_short": "20.11.2026",
            "unpublished": False}


# The reinstatement claim's month (342-ФЗ ст. 72 ч. 4) from the sample's orders, as the deadlines app
# counts it: 1 November 2026 is a Sunday, so an order of 1 October runs to Monday the 2nd.
MONTH_FROM_ORDER = {"01.10.2026": "2 ноября 2026 г.", "02.10.2026": "2 ноября 2026 г.",
                    "03.10.2026": "3 ноября 2026 г."}


def filing_period_of(template_id: str, claimants: list[dict[str, Any]]) -> dict[str, Any]:
    """What documents.context.filing_period finds on the sample's date (30.11.2026): the CAS claim's three
    months from the October orders hold; the reinstatement claim's month has ended for every claimant,
    so the claim asks first to restore it (tests/test_document_claim_periods.py drafts the others)."""
    if template_id != "reinstatement-claim":
        return {"rule": "", "missed": False, "all": False, "claimants": []}
    named = ("name", "genitive", "dative", "accusative", "initials", "initials_genitive", "initials_dative", "female")
    ended = [{**{k: c.get(k, "") for k in named}, "dismissal_date_words": c["dismissal_date_words"],
              "ends": MONTH_FROM_ORDER[c["dismissal_date"]], "approximate": False} for c in claimants]
    return {"rule": "fz342-72", "missed": True, "all": True, "claimants": ended}


def context(template_id: str, claimants: list[dict[str, Any]], *, optional: bool = True) -> dict[str, Any]:
    return {
        "today": court_date(date(2026, 11, 30)),
        "case": {
            "number": "2026-0017", "court": "Курский гарнизонный военный суд", "court_number": "2а-123/2026",
            "kind": "Кодекс административного судопроизводства, глава 22",
            "decision_date": date_in_words(date(2026, 10, 15)), "decision_date_short": "15.10.2026",
        },
        "claimants": claimants, "claimant": claimants[0], "group": len(claimants) > 1,
        "claimants_count": len(claimants),
        "representative": REPRESENTATIVE,
        "organisation": {"name": "Правозащитная организация «Защитник»"},
        "inputs": inputs_for(template_id, optional=optional),
        "signed_by_claimants": False, "power_of_attorney": "",
        "claim_price": money.claim_price(claimants),
        "state_fee": money.state_fee(f"builtin:{template_id}", claimants=len(claimants)),
        "appeal_period": appeal_period_of(template_id, inputs_for(template_id, optional=optional)),
        "filing_period": filing_period_of(template_id, claimants),
    }


def environment() -> ImmutableSandboxedEnvironment:
    """The application's own environment (sandboxed, every name required)."""
    return jinja_environment()


def template_path(template_id: str) -> Path:
    return BUILTIN / str(TEMPLATES[template_id]["file"])


def render(
    template_id: str, claimants: list[dict[str, Any]], *, optional: bool = True,
    typed: dict[str, str] | None = None, **authority: Any,
) -> DocxDocument:
    """``typed``: other text for the template's own text inputs; ``authority``:
    signed_by_claimants=True or power_of_attorney="доверенность …" as generation sets them."""
    filled = {**context(template_id, claimants, optional=optional), **authority}
    filled["inputs"] = {**filled["inputs"], **{k: v for k, v in (typed or {}).items() if k in filled["inputs"]}}
    template = DocxTemplate(template_path(template_id))
    template.render(filled, jinja_env=environment())
    out = io.BytesIO()
    template.save(out)
    return Document(io.BytesIO(out.getvalue()))


def paragraphs(document: DocxDocument) -> list[str]:
    """Every paragraph's text, body and table cells, with no-break spaces as spaces and no-break
    hyphens (U+2011, inside numbers: test_numbers_never_break_at_a_hyphen_or_after_the_sign) as
    hyphens, which is what a reader sees."""
    found = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            found.extend(p.text for cell in row.cells for p in cell.paragraphs)
    return [text.replace("\u00a0", " ").replace("\u2011", "-") for text in found]


def text_of(document: DocxDocument) -> str:
    return "\n".join(paragraphs(document))


def source_runs(template_id: str) -> list[list[str]]:
    """The template's paragraphs (body, tables, footers) as the texts of their runs."""
    document = Document(str(template_path(template_id)))
    found = [[run.text for run in p.runs] for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            found.extend([run.text for run in p.runs] for cell in row.cells for p in cell.paragraphs)
    for section in document.sections:
        found.extend([run.text for run in p.runs] for p in section.footer.paragraphs)
    return found


def source_text(template_id: str) -> str:
    return "\n".join("".join(runs) for runs in source_runs(template_id))


# --- the manifest ----------------------------------------------------------------------------


def test_manifest_lists_the_five_templates_with_known_kinds_needs_and_inputs() -> None:
    assert MANIFEST["version"] == 1
    assert [t["id"] for t in MANIFEST["templates"]] == IDS
    for template in MANIFEST["templates"]:
        # Raised with the wording: the claims print the claimants' particulars, the appeal its grounds,
        # address and period as issue 18 asks.
        # kas22-claim 3: a collective claim carries one joinder statement per member; 4: identifiers,
        # the claimants' own signatures, one list style; 5 (reinstatement-claim 4): the period for going to
        # court said to hold only for those it holds for, the others' asked to be restored.
        assert template["version"] == {"appeal": 3, "kas22-claim": 5, "reinstatement-claim": 4}.get(template["id"], 1)
        assert template_path(template["id"]).is_file()
        assert template["title"]["ru"]
        assert template["title"]["en"]
        assert template["kinds"]
        assert set(template["kinds"]) <= CASE_KINDS
        assert set(template["needs"]) <= NEEDABLE, template["id"]
        names = [field["name"] for field in template["inputs"]]
        assert len(names) == len(set(names)), template["id"]
        for field in template["inputs"]:
            assert field["kind"] in INPUT_KINDS
            assert isinstance(field["required"], bool)
            assert field["label"]["ru"]
            assert field["label"]["en"]


@pytest.mark.parametrize("template_id", IDS)
def test_a_template_uses_exactly_the_inputs_it_declares_and_everything_it_needs(template_id: str) -> None:
    source = source_text(template_id)
    declared = {field["name"] for field in TEMPLATES[template_id]["inputs"]}
    assert set(re.findall(r"\binputs\.(\w+)", source)) == declared
    for need in TEMPLATES[template_id]["needs"]:
        owner, name = need.split(".")
        if need == "claimant.name":  # any form of the name: they are all made from it
            name = "(name|genitive|dative|accusative|instrumental|prepositional|initials\\w*)"
        pattern = rf"\b(claimant|c)\.{name}\b" if owner == "claimant" else rf"\b{owner}\.{name}\b"
        assert re.search(pattern, source), need


@pytest.mark.parametrize("template_id", IDS)
def test_every_tag_lies_in_one_run_and_paragraph_tags_stand_alone(template_id: str) -> None:
    for runs in source_runs(template_id):
        for run in runs:
            assert run.count("{{") == run.count("}}"), run
            assert run.count("{%") == run.count("%}"), run
        text = "".join(runs)
        if "{%p " in text or "{%tr " in text:
            assert len(runs) == 1, text
            assert re.fullmatch(r"\{%(p|tr) [^%]*%\}", text), text


@pytest.mark.parametrize("template_id", IDS)
def test_a_template_reads_only_the_context_the_application_builds(template_id: str) -> None:
    template = DocxTemplate(template_path(template_id))
    assert template.get_undeclared_template_variables(jinja_env=environment()) <= CONTEXT_NAMES


def test_the_catalogue_lists_the_templates_in_order() -> None:
    from defensor.documents import catalogue

    assert [t.key for t in catalogue.builtin_templates()] == [f"builtin:{i}" for i in IDS]


def test_the_files_are_what_the_script_writes(tmp_path: Path) -> None:
    for path in make_templates.build(tmp_path):
        assert path.read_bytes() == (BUILTIN / path.name).read_bytes(), f"run make_templates: {path.name}"


def test_court_page_and_font() -> None:
    for template_id in IDS:
        document = Document(str(template_path(template_id)))
        section = document.sections[0]
        sizes = [section.page_width, section.page_height, section.left_margin, section.right_margin,
                 section.top_margin, section.bottom_margin]
        assert [round(size.cm, 1) for size in sizes if size is not None] == [21, 29.7, 3, 1.5, 2, 2]
        normal = document.styles["Normal"]
        assert (normal.font.name, normal.font.size) == ("Times New Roman", Pt(14))


# --- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize("optional", [True, False], ids=["all-inputs", "required-only"])
@pytest.mark.parametrize("claimants", [[GUSEV], GROUP, COLLECTIVE], ids=["one", "three", "twenty"])
@pytest.mark.parametrize("template_id", IDS)
def test_renders_with_nothing_left_unfilled(
    template_id: str, claimants: list[dict[str, Any]], optional: bool,
) -> None:
    text = text_of(render(template_id, claimants, optional=optional))
    for leftover in ("{{", "}}", "{%", "%}", "{#", "None", "Undefined", "&amp;", "&lt;", "\r"):
        assert leftover not in text, leftover
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # no ISO dates
    assert re.search(r"«\d\d» [а-я]+ \d{4} г\.", text)
    assert TODAY in text
    assert "/Петрова А. С./" in text
    assert "  " not in text  # no gap left by an empty value
    for claimant in claimants:
        assert claimant["name"] in text or claimant["genitive"] in text or claimant["dative"] in text


def test_kas22_claim_for_one_serviceman() -> None:
    text = text_of(render("kas22-claim", [GUSEV]))
    assert "В Курский гарнизонный военный суд" in text
    assert "Административный истец: Гусев Андрей Ильич," in text
    assert "дата рождения: 12.03.1990" in text
    assert "место военной службы: в/ч 12345" in text
    assert "Представитель административного истца: Петрова Анна Сергеевна," in text
    assert "документ о полномочиях: ордер № 15 от 01.11.2026;" in text
    assert "Административный ответчик: Командир войсковой части 12345," in text
    assert "Государственная пошлина: 3 000,00 руб." in text
    assert "\nАДМИНИСТРАТИВНОЕ ИСКОВОЕ ЗАЯВЛЕНИЕ\n" in text
    assert "Административный истец Гусев Андрей Ильич проходил военную службу" in text
    assert "которым он уволен с военной службы и исключён из списков" in text
    assert "Административный истец отказался от направления в командировку." in text  # the lawyer's facts
    assert "Рапорт от 20.09.2026 (вх. № 5 & 6) <не рассмотрен>." in text  # as typed, escaped only in the XML
    assert "ч. 1 ст. 219 КАС РФ" in text
    assert "оспариваемый приказ издан 1 октября 2026 г." in text
    assert "подавалась: командующему войсками округа 10.10.2026, ответ не получен." in text
    assert "руководствуясь ст. 218–220, 227 КАС РФ" in text
    assert ("Признать незаконным приказ командира войсковой части 12345 от 01.10.2026 № 123 в части увольнения с "
            "военной службы и исключения из списков личного состава воинской части Гусева Андрея Ильича.") in text
    assert "восстановить Гусева Андрея Ильича на военной службе" in text
    assert "обеспечить его всеми положенными видами довольствия" in text
    assert "в суд и административному истцу в течение одного месяца" in text
    assert "Копия документа о высшем юридическом образовании Петровой Анны Сергеевны" in text
    assert "Копия контракта.\nКопия рапорта от 20.09.2026.\n" in text  # the lawyer's own attachments
    assert "Представитель административного истца\t_______________ /Петрова А. С./" in text
    assert "ст. 41" not in text
    assert "КОЛЛЕКТИВНОЕ" not in text


def test_kas22_claim_agrees_with_a_woman() -> None:
    text = text_of(render("kas22-claim", [SOKOLOVA]))
    assert "Административный истец Соколова Мария Петровна проходила военную службу" in text
    assert "которым она уволена с военной службы и исключена из списков" in text
    assert "восстановить Соколову Марию Петровну на военной службе" in text
    assert "обеспечить её всеми положенными видами довольствия" in text


def test_kas22_claim_for_co_claimants_lists_each_in_a_table() -> None:
    document = render("kas22-claim", GROUP)
    text = text_of(document)
    assert ("Административные истцы:\n1. Гусев Андрей Ильич.\n2. Соколова Мария Петровна.\n"
            "3. Мамедов Эльдар Рашид оглы.\n") in text
    assert "Представитель административных истцов: Петрова Анна Сергеевна," in text
    assert "(процессуальное соучастие, ст. 41 КАС РФ)" in text
    assert "руководствуясь ст. 41, 218–220, 227 КАС РФ" in text
    rows = [[cell.text.replace("\u2011", "-").replace("\u00a0", " ") for cell in row.cells]
            for row in document.tables[0].rows]
    assert rows[0][1] == "Фамилия, имя, отчество; идентификатор"
    assert rows[1:] == [
        ["1", "Гусев Андрей Ильич; СНИЛС 112-233-445 95", "12.03.1990",
         "г. Курск; 305000, г. Курск, ул. Садовая, д. 12", "в/ч 12345", "01.10.2026"],
        ["2", "Соколова Мария Петровна; СНИЛС 112-233-445 95", "05.07.1994",
         "г. Курск; 305000, г. Курск, ул. Садовая, д. 05", "в/ч 54321", "03.10.2026"],
        ["3", "Мамедов Эльдар Рашид оглы; СНИЛС 112-233-445 95", "21.11.1988",
         "г. Курск; 305000, г. Курск, ул. Садовая, д. 21", "в/ч 12345", "01.10.2026"],
    ]
    assert ("исключения из списков личного состава воинской части Гусева Андрея Ильича, Соколовой Марии "
            "Петровны, Мамедова Эльдара Рашид оглы.") in text
    assert "восстановить административных истцов на военной службе" in text
    assert "обеспечить их всеми положенными видами довольствия" in text
    assert "Представитель административных истцов\t" in text
    assert "КОЛЛЕКТИВНОЕ" not in text
    assert "ст. 42" not in text


def test_kas22_claim_for_twenty_is_a_collective_claim() -> None:
    document = render("kas22-claim", COLLECTIVE)
    text = text_of(document)
    assert "\nКОЛЛЕКТИВНОЕ АДМИНИСТРАТИВНОЕ ИСКОВОЕ ЗАЯВЛЕНИЕ\n" in text
    assert "в порядке ст. 42 КАС РФ" in text
    assert "(всего — 20)" in text
    assert "Ведение административного дела в интересах группы лиц поручено Петровой Анне Сергеевне." in text
    assert ("Лицо, которому поручено ведение административного дела в интересах группы лиц: "
            "Петрова Анна Сергеевна,") in text
    assert "руководствуясь ст. 42, 218–220, 227 КАС РФ" in text
    assert "Заявления о присоединении к коллективному административному исковому заявлению — 20 шт." in text
    assert "Документы, подтверждающие присоединение членов группы" not in text  # not the lawyer's warrant
    assert len(document.tables[0].rows) == 1 + 20
    assert "20. Беляев Иван Петрович" in text
    assert "ст. 41" not in text


def test_kas22_claim_without_optional_inputs() -> None:
    text = text_of(render("kas22-claim", [GUSEV], optional=False))
    # The state fee is the claim kind's (builtin/fees.yaml), not a typed input: 3 000 roubles.
    assert "Государственная пошлина: 3 000,00 руб. (подп. 7 п. 1 ст. 333.19 НК РФ)" in text
    assert "судебные расходы по уплате государственной пошлины (ст. 111 КАС РФ)" in text
    assert "Заинтересованное лицо" not in text
    assert "заинтересованного лица" not in text
    assert "ст. 63 КАС РФ" not in text
    assert "в порядке подчинённости орган (вышестоящему должностному лицу) не подавалась." in text
    assert "Документ об уплате государственной пошлины в размере 3 000,00 руб.\n" in text


def test_reinstatement_claim_asks_for_pay_and_damages_in_figures_and_words() -> None:
    text = text_of(render("reinstatement-claim", [GUSEV]))
    assert "Истец: Гусев Андрей Ильич," in text
    assert ("Ответчик: Управление Федеральной службы войск национальной гвардии Российской Федерации по Курской "
            "области,") in text
    # 54 321,00 a month, dismissed on 01.10.2026, filed on 30.11.2026: 54 321,00 : 31 × 30 = 52 568,71 for
    # October from the 2nd, 54 321,00 for November.
    assert "Цена иска: 106 889,71 руб." in text
    assert "истец освобождён от её уплаты (подп. 1 п. 1 ст. 333.36 НК РФ, ст. 393 ТК РФ)" in text
    assert ("Истец Гусев Андрей Ильич проходил службу в войсках национальной гвардии Российской Федерации "
            "(место службы — в/ч 12345), замещал должность старшего инспектора") in text
    assert "контракт с ним расторгнут и он уволен со службы" in text
    assert "Федеральным законом от 30.11.2011 № 342-ФЗ" in text
    assert "ч. 2 ст. 3" in text
    assert "ч. 4 ст. 72 Федерального закона № 342-ФЗ, ч. 1 ст. 392 ТК РФ" in text
    # The sample's month from the order of 1 October ended on 2 November 2026, before the claim's date.
    assert "исчисляемый со дня издания оспариваемого приказа (1 октября 2026 г.), истёк 2 ноября 2026 г." in text
    assert "в части увольнения Гусева Андрея Ильича со службы" in text
    assert "Денежное довольствие Гусева Андрея Ильича на день увольнения составляло 54 321,00 руб. в месяц." in text
    assert ("Восстановить Гусева Андрея Ильича на службе в войсках национальной гвардии Российской Федерации в "
            "ранее замещаемой должности старшего инспектора") in text
    assert ("Взыскать с ответчика в пользу Гусева Андрея Ильича денежное довольствие за время вынужденного "
            "прогула с 02.10.2026 по 30.11.2026 в размере 106 889,71 руб. (сто шесть тысяч восемьсот восемьдесят "
            "девять рублей 71 копейка) согласно прилагаемому расчёту, а также за период со дня, следующего за "
            "днём подачи искового заявления, по день вынесения решения суда.") in text
    assert ("компенсацию морального вреда в размере 50 000,00 руб. (пятьдесят тысяч рублей 00 копеек).") in text
    assert "ст. 237 и ч. 9 ст. 394 ТК РФ" in text
    assert "ст. 211 ГПК РФ" in text
    assert "Расчёт взыскиваемых денежных сумм (денежного довольствия за время вынужденного прогула)" in text
    assert "Представитель истца\t_______________ /Петрова А. С./" in text
    # The calculation, on its own page after the claim, signed (ГПК ст. 132).
    calculation = text.split("\nРАСЧЁТ\n", 1)[1]
    assert ("с 02.10.2026 по 31.10.2026: 54 321,00 руб. : 31 дн. × 30 дн. = 52 568,71 руб.;\n"
            "с 01.11.2026 по 30.11.2026: 54 321,00 руб. × 1 мес. = 54 321,00 руб.") in calculation
    assert "Итого к взысканию: 106 889,71 руб. (сто шесть тысяч" in calculation
    assert "Итого\n" not in calculation  # a total row only for several claimants
    assert "Представитель истца\t_______________ /Петрова А. С./" in calculation


def test_reinstatement_claim_without_optional_inputs_still_asks_the_pay_calculated() -> None:
    text = text_of(render("reinstatement-claim", [SOKOLOVA], optional=False))
    assert "морального вреда" not in text
    # 48 750,50 a month, dismissed on 03.10.2026: 48 750,50 : 31 × 28 = 44 032,71, and November whole.
    assert "Цена иска: 92 783,21 руб." in text
    assert ("Взыскать с ответчика в пользу Соколовой Марии Петровны денежное довольствие за время вынужденного "
            "прогула с 04.10.2026 по 30.11.2026 в размере 92 783,21 руб. (девяносто две тысячи семьсот "
            "восемьдесят три рубля 21 копейка) согласно прилагаемому расчёту") in text
    assert "Истец Соколова Мария Петровна проходила службу" in text
    assert "замещала должность" not in text  # no post on her record
    assert "контракт с ней расторгнут и она уволена со службы" in text
    assert "Восстановить Соколову Марию Петровну на службе" in text
    assert "в ранее замещаемой должности со дня" in text
    assert "\nРАСЧЁТ\n" in text


def test_reinstatement_claim_for_several_employees() -> None:
    text = text_of(render("reinstatement-claim", GROUP))
    assert "Истцы:\n1. Гусев Андрей Ильич, дата рождения: 12.03.1990," in text
    assert "3. Мамедов Эльдар Рашид оглы, дата рождения: 21.11.1988," in text
    assert "Представитель истцов: Петрова Анна Сергеевна," in text
    # Dismissed on different days: each by an order of their own, dated.
    assert ("В отношении каждого из истцов издан приказ о расторжении контракта и увольнении со службы "
            "(приказ начальника Управления Росгвардии по Курской области от 01.10.2026 № 123 л/с; далее — "
            "оспариваемые приказы); даты приказов в отношении истцов: Гусева А. И. — 01.10.2026; Соколовой М. П. "
            "— 03.10.2026; Мамедова Э. Р. — 01.10.2026.") in text
    # The price is the three demands added up; each claimant's part is in the demands and the
    # calculation (listed in the header, 115 claimants filled a page and a half of it).
    assert "Цена иска: 298 060,02 руб.\n(сумма требований всех истцов; по каждому истцу — в расчёте)" in text
    assert ("Восстановить на службе в войсках национальной гвардии Российской Федерации со дня, следующего за "
            "днём увольнения, в ранее замещаемых должностях: Гусева Андрея Ильича — в должности старшего инспектора "
            "отдела лицензионно-разрешительной работы; Соколову Марию Петровну; Мамедова Эльдара Рашид оглы.") in text
    for genitive, period, figures in (("Гусева Андрея Ильича", "с 02.10.2026", "106 889,71"),
                                      ("Соколовой Марии Петровны", "с 04.10.2026", "92 783,21"),
                                      ("Мамедова Эльдара Рашид оглы", "с 02.10.2026", "98 387,10")):
        assert (f"Взыскать с ответчика в пользу {genitive} денежное довольствие за время вынужденного прогула "
                f"{period} по 30.11.2026 в размере {figures} руб. (") in text
    assert "в общей сумме" not in text
    assert "истцы освобождены от её уплаты" in text
    calculation = text.split("\nРАСЧЁТ\n", 1)[1]
    assert "Итого к взысканию в пользу истцов: 298 060,02 руб." in calculation
    assert "Итого\n" in calculation
    assert "Представитель истцов\t" in calculation


def test_lawyer_request_names_the_client_and_lists_each_document() -> None:
    document = render("lawyer-request", [GUSEV])
    text = text_of(document)
    assert text.startswith("Командиру войсковой части 12345\n")
    assert "\nАДВОКАТСКИЙ ЗАПРОС\n№ 12 от «30» ноября 2026 г.\n" in text
    assert "Коллегия адвокатов «Защита» Курской области;" in text
    assert ("Я, Петрова Анна Сергеевна, адвокат Адвокатской палаты Курской области, рег. № 46/123, оказываю "
            "юридическую помощь Гусеву Андрею Ильичу, 12.03.1990 года рождения, место службы — в/ч 12345 "
            "(ордер № 15 от 01.11.2026).") in text
    assert "подп. 1 п. 3 ст. 6 и ст. 6.1 Федерального закона от 31.05.2002 № 63-ФЗ" in text
    assert "доверителю (для обжалования приказа об увольнении) прошу предоставить" in text
    found = paragraphs(document)
    start = found.index(f"{DOCUMENTS[0]}.")
    assert found[start:start + 3] == [  # one numbered paragraph each, in the one list style
        f"{DOCUMENTS[0]}.", f"{DOCUMENTS[1]}.", f"{DOCUMENTS[2]}.",
    ]
    assert "п. 2 ст. 6.1" in text
    assert "в тридцатидневный срок со дня его получения" in text
    assert "ст. 5.39 КоАП РФ" in text
    assert f"Ответ прошу направить по адресу: {REPRESENTATIVE['contacts']}." in text
    assert "Копия ордера № 15 от 01.11.2026." in text
    assert "Адвокат\t_______________ /Петрова А. С./" in text


def test_lawyer_request_for_a_group_names_every_client() -> None:
    found = paragraphs(render("lawyer-request", GROUP))
    start = next(i for i, p in enumerate(found) if p.endswith("следующим доверителям (ордер № 15 от 01.11.2026):"))
    assert found[start + 1:start + 4] == [
        "Гусеву Андрею Ильичу, 12.03.1990 года рождения, место службы — в/ч 12345;",
        "Соколовой Марии Петровне, 05.07.1994 года рождения, место службы — в/ч 54321;",
        "Мамедову Эльдару Рашид оглы, 21.11.1988 года рождения, место службы — в/ч 12345.",
    ]
    assert "доверителям" in found[start + 4]


def test_prosecutor_complaint() -> None:
    document = render("prosecutor-complaint", [SOKOLOVA])
    text = text_of(document)
    assert text.startswith("Военному прокурору Курского гарнизона\n305000, г. Курск, ул. Дзержинского, д. 10\n")
    assert ("Заявитель: Петрова Анна Сергеевна (адвокат Адвокатской палаты Курской области, рег. № 46/123),\n"
            "представитель Соколовой Марии Петровны;") in text
    assert "\nЖАЛОБА\n" in text
    assert "Я представляю интересы Соколовой Марии Петровны, 05.07.1994 года рождения" in text
    assert "Сообщаю о следующих нарушениях её прав и законных интересов." in text
    found = paragraphs(document)
    assert "Административный истец отказался от направления в командировку." in found
    assert "Аттестация не проводилась, с заключением он не ознакомлен." in found
    assert "" not in found[found.index("Административный истец отказался от направления в командировку."):][:2]
    assert "п. 1 ст. 10 Федерального закона от 17.01.1992 № 2202-1" in text
    assert "п. 1 ст. 27 Закона о прокуратуре" in text
    assert "Провести проверку" in text
    assert "меры прокурорского реагирования" in text
    assert "в защиту прав и законных интересов Соколовой Марии Петровны" in text
    assert "Представитель\t_______________ /Петрова А. С./" in text


def test_prosecutor_complaint_for_a_group() -> None:
    found = paragraphs(render("prosecutor-complaint", GROUP))
    start = found.index("Я представляю интересы следующих лиц:")
    assert found[start + 1].startswith("Гусева Андрея Ильича, 12.03.1990 года рождения")
    assert found[start + 3].startswith("Мамедова Эльдара Рашид оглы")
    assert "Сообщаю о следующих нарушениях их прав и законных интересов." in found


def test_appeal_against_the_first_instance_decision() -> None:
    text = text_of(render("appeal", [GUSEV]))
    assert text.startswith("В 2-й Западный окружной военный суд\nчерез Курский гарнизонный военный суд\n")
    assert "Административное дело № 2а-123/2026" in text
    assert ("\nАПЕЛЛЯЦИОННАЯ ЖАЛОБА\nна решение суда от 15 октября 2026 г. по административному делу "
            "№ 2а-123/2026\n") in text
    assert ("15 октября 2026 г. Курский гарнизонный военный суд вынес решение по административному делу "
            "№ 2а-123/2026 по административному исковому заявлению Гусева Андрея Ильича (административный "
            "ответчик — Командир войсковой части 12345). Указанным решением в удовлетворении административного "
            "искового заявления отказано.") in text
    assert "Административный истец с решением суда не согласен" in text
    assert "\nДоводы жалобы\nСуд не учёл, что аттестация не проводилась.\n" in text
    assert "Согласно ч. 1 ст. 310 КАС РФ основаниями" in text  # the grounds are in part 1, not part 2
    assert "ч. 2 ст. 310" not in text
    assert "Административный истец: Гусев Андрей Ильич\nМесто жительства: 305000, г. Курск, ул. Садовая, д. 12" in text
    # The sample's period ended on 20.11.2026, before the document's date: the motion goes with it.
    assert ("Срок апелляционного обжалования, установленный ч. 1 ст. 298 КАС РФ (один месяц со дня принятия "
            "решения суда в окончательной форме), истёк 20 ноября 2026 г. (решение в окончательной форме "
            "изготовлено 20 октября 2026 г., копия решения получена 25 ноября 2026 г.)") in text
    assert "не пропущен" not in text
    assert "руководствуясь ст. 295–299, 308–310 КАС РФ" in text
    assert ("Отменить решение суда первой инстанции (Курский гарнизонный военный суд) от 15 октября 2026 г. по "
            "административному делу № 2а-123/2026.") in text
    assert "Принять по административному делу новое решение" in text
    assert "Представитель административного истца\t_______________ /Петрова А. С./" in text


def test_appeal_for_co_claimants_and_without_optional_inputs() -> None:
    text = text_of(render("appeal", GROUP, optional=False))
    assert ("Административные истцы:\n1. Гусев Андрей Ильич, место жительства: 305000, г. Курск, ул. Садовая, "
            "д. 12.") in text
    assert ("по административному исковому заявлению Гусева Андрея Ильича, Соколовой Марии Петровны, "
            "Мамедова Эльдара Рашид оглы") in text
    assert "Административные истцы с решением суда не согласны" in text
    # Without the date of the decision in final form the appeal cannot say the period holds: a motion
    # to restore it goes with the appeal (tests/test_document_appeals.py reads it).
    assert "не пропущен" not in text
    assert "сведений о дате которого у административных истцов нет" in text
    assert "ХОДАТАЙСТВО" in text
    assert "Государственная пошлина:" not in text


@pytest.mark.parametrize("template_id", ["kas22-claim", "reinstatement-claim"])
@pytest.mark.parametrize("claimants", [[GUSEV], GROUP], ids=["one", "three"])
def test_a_claim_prints_each_claimants_particulars_from_the_record_not_blank_lines(
    template_id: str, claimants: list[dict[str, Any]]
) -> None:
    """КАС ст. 125 ч. 2 п. 2, ГПК ст. 131 ч. 2 п. 2: place of birth and residence (and for the civil
    claim one identifier) come from the person record; the only line left to fill by hand is the
    signature."""
    document = render(template_id, claimants)
    text = text_of(document)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    blanks = [line for line in (text + "\n" + cells).splitlines() if "____" in line]
    assert all(line.endswith("/Петрова А. С./") for line in blanks), blanks
    assert "305000, г. Курск, ул. Садовая, д. 12" in text + cells
    assert "г. Курск" in text + cells
    if template_id == "reinstatement-claim":
        assert "СНИЛС 112-233-445 95" in text


# --- collective claims: one joinder statement per member (КАС ст. 42) ---------------------------

TOWNS = ["г. Орёл", "г. Белгород", "г. Брянск", "г. Липецк", "г. Тула", "г. Воронеж", "г. Тамбов", "г. Рязань",
         "г. Калуга", "г. Смоленск", "г. Псков", "г. Тверь", "г. Ярославль", "г. Кострома", "г. Иваново",
         "г. Владимир", "г. Пенза", "г. Саратов", "г. Самара", "г. Казань", "г. Уфа", "г. Пермь", "г. Киров",
         "г. Вологда", "г. Мурманск"]
EXTRA = ["Титов", "Крылов", "Макаров", "Никитин", "Захаров"]
# Twenty-five members, each born somewhere else and living at an address of their own.
COLLECTIVE_25 = [
    {**member, "birth_place": TOWNS[i], "residence_address": f"305000, г. Курск, ул. Мира, д. {i + 1}"}
    for i, member in enumerate(COLLECTIVE + [
        person(
            f"{s} Олег Николаевич|{s}а Олега Николаевича|{s}у Олегу Николаевичу|{s}а Олега Николаевича"
            f"|{s}ым Олегом Николаевичем|{s}е Олеге Николаевиче",
            initials=f"{s} О. Н.|{s}а О. Н.|{s}у О. Н.", birth_date="02.02.1992", unit="в/ч 12345",
            dismissed=date(2026, 10, 2),
        )
        for s in EXTRA
    ])
]
JOINDER = "о присоединении к коллективному административному исковому заявлению"
# What the lawyer types when the claimants were dismissed by several orders (the order field's label asks so).
ORDERS_TYPED = "приказы командира войсковой части 12345 от 01.10.2026 № 123 и от 03.10.2026 № 125"


def joinder_statements(document: DocxDocument) -> list[list[str]]:
    """The joinder statements after the claim: each from its page break to the next, as paragraphs."""
    statements: list[list[str]] = []
    for paragraph in document.paragraphs:
        if paragraph.paragraph_format.page_break_before:
            statements.append([])
        if statements:
            statements[-1].append(paragraph.text.replace("\u00a0", " ").replace("\u2011", "-"))
    return statements


def test_a_collective_claim_of_25_has_a_joinder_statement_signed_by_each_member() -> None:
    document = render("kas22-claim", COLLECTIVE_25, typed={"order": ORDERS_TYPED})
    statements = joinder_statements(document)
    assert len(statements) == 25
    for member, statement in zip(COLLECTIVE_25, statements, strict=True):
        text = "\n".join(statement)
        assert f"\nЗАЯВЛЕНИЕ\n{JOINDER}\n" in text
        assert f"Член группы лиц: {member['name']}," in text
        assert f"место рождения: {member['birth_place']}," in text
        assert f"место жительства: {member['residence_address']}" in text
        assert f"Я, {member['name']}, дата рождения: {member['birth_date']}" in text
        assert "присоединяюсь к требованию, изложенному в коллективном административном исковом заявлении" in text
        assert "к административному ответчику — Командир войсковой части 12345" in text
        assert f"оспариваемые приказы — {ORDERS_TYPED}; в отношении меня приказ издан" in text
        assert ("Ведение административного дела в интересах группы лиц поручаю Петровой Анне Сергеевне — лицу, "
                "которому поручено ведение административного дела в интересах группы лиц (п. 4 ч. 1, ч. 2 "
                "ст. 42 КАС РФ)") in text
        # The member dates and signs it themselves, not the lawyer.
        assert "«____» _______________ 20____ г." in text
        assert text.endswith(f"Подпись\t_______________ /{member['initials']}/")
        assert "/Петрова А. С./" not in text
    assert len({"\n".join(s) for s in statements}) == 25  # each names its own member
    claim = text_of(document)
    assert "Заявления о присоединении к коллективному административному исковому заявлению — 25 шт." in claim
    assert "(всего — 25)" in claim
    assert ("Документ, подтверждающий полномочия лица, которому поручено ведение административного дела в "
            "интересах группы лиц (ордер № 15 от 01.11.2026).") in claim


@pytest.mark.parametrize("claimants", [[GUSEV], GROUP], ids=["one", "three"])
def test_a_claim_of_fewer_than_twenty_has_no_joinder_statements(claimants: list[dict[str, Any]]) -> None:
    document = render("kas22-claim", claimants)
    text = text_of(document)
    assert joinder_statements(document) == []
    assert JOINDER not in text
    assert "Заявления о присоединении" not in text
    assert "Документ, подтверждающий полномочия представителя (ордер № 15 от 01.11.2026)." in text


# --- one list style (issue 18, item 6): «1.», a capital letter, a full stop ---------------------

# How a lawyer types a list: lower case, «;» or nothing at the end of a line.
LOWER_CASE_LISTS = {
    "evidence_request": "личное дело административного истца;\nматериалы аттестации",
    "documents": "копию приказа командира войсковой части 12345;\nвыписку из послужного списка,\n",
    "attachments": "копия контракта;\nкопия рапорта от 20.09.2026",
}


def numbered_lines(document: DocxDocument) -> list[str]:
    """Every item of a numbered list: a paragraph numbered by Word (w:numPr), or one written «N. …»
    (the claimants in the parties block); table rows are not list items."""
    found = []
    for paragraph in document.paragraphs:
        properties = paragraph._p.pPr
        text = paragraph.text.replace("\u00a0", " ")
        if (properties is not None and properties.numPr is not None) or re.match(r"\d+\. ", text):
            found.append(re.sub(r"^\d+\. ", "", text))
    return found


@pytest.mark.parametrize("claimants", [[GUSEV], GROUP], ids=["one", "three"])
@pytest.mark.parametrize("template_id", IDS)
def test_every_numbered_list_item_starts_with_a_capital_and_ends_with_a_full_stop(
    template_id: str, claimants: list[dict[str, Any]],
) -> None:
    document = render(template_id, claimants, typed=LOWER_CASE_LISTS)
    items = numbered_lines(document)
    assert items, template_id
    wrong = [item for item in items if not item or item[0].islower() or not item.endswith(".") or item.endswith("..")]
    assert not wrong, wrong
    typed_here = {name for name in LOWER_CASE_LISTS if name in {f["name"] for f in TEMPLATES[template_id]["inputs"]}}
    for name in typed_here:  # each line the lawyer typed, capitalised, «;» or «,» replaced by «.»
        for line in LOWER_CASE_LISTS[name].splitlines():
            if line.strip():
                item = line.strip().rstrip(";,")
                assert item[0].upper() + item[1:] + "." in items, (name, item)


# --- who signs: the representative under a power of attorney, or the claimants themselves ---------

POA = "доверенность от 01.10.2024 № 46 АБ 2345678"
WARRANT = {"authority": "ордер № 15 от 01.11.2026"}  # what the lawyer typed in the authority field


def signature_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "_______________ /" in line]


# Every template whose signing takes a special power (templates.yaml `powers`), and how its claimants sign.
SIGNED_UNDER_POWERS = [t["id"] for t in MANIFEST["templates"] if t["powers"]]
CIVIL = {"reinstatement-claim", "appeal-civil"}


@pytest.mark.parametrize("claimants", [[GUSEV], GROUP, [SOKOLOVA]], ids=["one", "three", "a-woman"])
@pytest.mark.parametrize("template_id", SIGNED_UNDER_POWERS)
def test_signed_by_the_claimants_each_has_a_signature_line_and_the_representative_none(
    template_id: str, claimants: list[dict[str, Any]],
) -> None:
    """Each part that is signed (the claim, a calculation, a motion) ends with every claimant's line."""
    role = "Истец" if template_id in CIVIL else "Административный истец"
    text = text_of(render(template_id, claimants, signed_by_claimants=True, typed=WARRANT))
    lines = signature_lines(text)
    expected = [f"{role}\t_______________ /{c['initials']}/" for c in claimants]
    assert lines
    assert lines == expected * (len(lines) // len(expected))
    assert f"{TODAY}\n{role}\t" in text  # dated, as the representative's signature is
    assert "/Петрова А. С./" not in text
    assert "доверенност" not in text


def test_a_woman_signs_as_the_administrative_claimant_and_the_claim_agrees_with_her() -> None:
    text = text_of(render("kas22-claim", [SOKOLOVA], signed_by_claimants=True))
    assert text.endswith("Административный истец\t_______________ /Соколова М. П./")
    assert "Административный истец Соколова Мария Петровна проходила военную службу" in text
    assert "которым она уволена с военной службы и исключена из списков" in text


def test_a_collective_claim_is_signed_by_the_person_entrusted_even_when_the_claimants_sign() -> None:
    """КАС ст. 42: the members sign their joinder statements; the claim is signed by the person they
    entrusted with the case (verify with counsel), not by twenty members under it."""
    document = render("kas22-claim", COLLECTIVE, signed_by_claimants=True)
    claim = "\n".join(p.text for p in document.paragraphs).split(f"\n{JOINDER}\n")[0]
    assert ("Лицо, которому поручено ведение административного дела в интересах группы лиц\t"
            "_______________ /Петрова А. С./") in claim
    assert "Административный истец\t" not in text_of(document)


@pytest.mark.parametrize("template_id", SIGNED_UNDER_POWERS)
def test_under_a_power_of_attorney_the_representative_signs_and_the_document_names_it(template_id: str) -> None:
    text = text_of(render(template_id, GROUP, power_of_attorney=POA, typed=WARRANT))
    lines = signature_lines(text)
    assert lines
    assert all(line.startswith("Представитель") and line.endswith("/Петрова А. С./") for line in lines), lines
    # The lawyer typed only her warrant: the power of attorney is named before it.
    assert f"документ о полномочиях: {POA}; ордер № 15 от 01.11.2026;" in text
    assert f"полномочия представителя ({POA}; ордер № 15 от 01.11.2026)" in text
    # Typed as the page fills it in, it is named once.
    once = text_of(render(template_id, GROUP, power_of_attorney=POA, typed={"authority": POA}))
    assert f"документ о полномочиях: {POA};" in once
    assert f"({POA}; {POA})" not in once


@pytest.mark.parametrize("template_id", ["lawyer-request", "prosecutor-complaint"])
def test_where_the_warrant_suffices_the_claimants_are_never_asked_to_sign(template_id: str) -> None:
    text = text_of(render(template_id, GROUP, signed_by_claimants=True))
    assert len(signature_lines(text)) == 1
    assert signature_lines(text)[0].endswith("/Петрова А. С./")


# --- each claimant's identifier (КАС ст. 125 ч. 2 п. 2, ГПК ст. 131 ч. 2 п. 2) ----------------


def test_each_claim_requires_and_prints_one_identifier_per_claimant() -> None:
    for template_id in ("kas22-claim", "reinstatement-claim"):
        assert "claimant.identifier" in TEMPLATES[template_id]["needs"]
    with_inn = {**SOKOLOVA, "snils": "", "inn": "500100732259", "identifier": "ИНН 500100732259"}
    single = text_of(render("kas22-claim", [with_inn]))
    assert "место жительства: 305000, г. Курск, ул. Садовая, д. 05,\nИНН 500100732259,\nместо военной службы" in single
    group = render("kas22-claim", [GUSEV, with_inn, MAMEDOV])
    assert [row.cells[1].text.replace("\u2011", "-").replace("\u00a0", " ") for row in group.tables[0].rows][1:3] == [
        "Гусев Андрей Ильич; СНИЛС 112-233-445 95", "Соколова Мария Петровна; ИНН 500100732259"]
    civil = text_of(render("reinstatement-claim", [GUSEV, with_inn]))
    assert "2. Соколова Мария Петровна, дата рождения: 05.07.1994, место рождения: г. Курск, место жительства: " \
           "305000, г. Курск, ул. Садовая, д. 05, ИНН 500100732259." in civil
    one = text_of(render("reinstatement-claim", [GUSEV]))
    assert "место жительства: 305000, г. Курск, ул. Садовая, д. 12,\nСНИЛС 112-233-445 95\n" in one


def test_each_joinder_statement_gives_the_members_identifier() -> None:
    members = [{**m, "identifier": f"паспорт 3801 1234{i:02d}"} for i, m in enumerate(COLLECTIVE)]
    statements = joinder_statements(render("kas22-claim", members))
    assert len(statements) == 20
    for member, statement in zip(members, statements, strict=True):
        text = "\n".join(statement)
        assert f"место жительства: {member['residence_address']},\n{member['identifier']}\n" in text
        assert f"место жительства: {member['residence_address']}, {member['identifier']}, в соответствии" in text
