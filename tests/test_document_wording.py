"""Wording a court would notice (issue 18 review): who asks — «ПРОШУ» when one person signs,
«ПРОСИМ» when several claimants sign themselves; a group dismissed by several orders is spoken of as
the orders; and a number (a court's case number, an identifier, a law's number) never breaks at its
hyphen or after «№», in the DOCX and in the PDF LibreOffice makes of it."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docxtpl import DocxTemplate

from tests.conftest import require_tool
from tests.test_builtin_templates import (
    COLLECTIVE,
    GROUP,
    GUSEV,
    MANIFEST,
    SOKOLOVA,
    TEMPLATES,
    context,
    environment,
    render,
    template_path,
    text_of,
)

SIGNED_UNDER_POWERS = [t["id"] for t in MANIFEST["templates"] if t["powers"]]
WARRANT = {"authority": "ордер № 15 от 01.11.2026"}
POA = "доверенность от 01.10.2024 № 46 АБ 2345678"
SINGULAR = re.compile(r"\b(прошу|я)\b", re.IGNORECASE)  # the one who signs, speaking for themselves
ORDERS_TYPED = "приказы командира войсковой части 12345 от 01.10.2026 № 123 и от 03.10.2026 № 125"
ON_ONE_DAY = [GUSEV, {**SOKOLOVA, "dismissal_date": "01.10.2026", "dismissal_date_words": "1 октября 2026 г."}]


# --- who asks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("template_id", SIGNED_UNDER_POWERS)
def test_three_claimants_signing_themselves_ask_together(template_id: str) -> None:
    """Every part they sign (the claim or appeal, and the motion to restore the period that goes with
    the appeal in the sample) asks in the plural; with the evidence request filled in, that too."""
    text = text_of(render(template_id, GROUP, signed_by_claimants=True, typed=WARRANT))
    assert "ПРОСИМ СУД:" in text
    assert not SINGULAR.findall(text), SINGULAR.findall(text)
    if "evidence_request" in {field["name"] for field in TEMPLATES[template_id]["inputs"]}:
        assert "просим истребовать" in text


@pytest.mark.parametrize("template_id", SIGNED_UNDER_POWERS)
def test_the_representative_under_a_power_of_attorney_asks_in_the_singular(template_id: str) -> None:
    text = text_of(render(template_id, GROUP, power_of_attorney=POA, typed=WARRANT))
    assert "ПРОШУ СУД:" in text
    assert "ПРОСИМ" not in text
    assert "просим" not in text


@pytest.mark.parametrize("template_id", SIGNED_UNDER_POWERS)
def test_one_claimant_signing_asks_in_the_singular(template_id: str) -> None:
    text = text_of(render(template_id, [SOKOLOVA], signed_by_claimants=True, typed=WARRANT))
    assert "ПРОШУ СУД:" in text
    assert "ПРОСИМ" not in text


def test_a_collective_claim_asks_through_the_person_entrusted_in_the_singular() -> None:
    """КАС ст. 42: the person entrusted signs the claim, even when the members sign their statements."""
    text = text_of(render("kas22-claim", COLLECTIVE, signed_by_claimants=True))
    assert "ПРОШУ СУД:" in text
    assert "ПРОСИМ" not in text


# --- one order or several ------------------------------------------------------------------------


def test_a_group_dismissed_on_different_days_is_spoken_of_as_the_orders() -> None:
    text = text_of(render("kas22-claim", GROUP, typed={"order": ORDERS_TYPED}))
    assert ("В отношении каждого из административных истцов издан приказ об увольнении с военной службы и "
            "исключении из списков личного состава воинской части; даты приказов в отношении каждого из "
            f"административных истцов указаны в таблице ({ORDERS_TYPED}; далее — оспариваемые приказы).") in text
    assert "Оспариваемые приказы являются незаконными, нарушают права административных истцов" in text
    assert f"Признать незаконными оспариваемые приказы ({ORDERS_TYPED}) в части увольнения" in text
    assert "отменить оспариваемые приказы в указанной части" in text
    assert "Копии оспариваемых приказов (выписки из приказов)." in text
    assert "оспариваемый приказ" not in text.lower()
    assert "издан приказы" not in text


def test_a_group_dismissed_by_one_order_is_spoken_of_as_that_order() -> None:
    order = "приказ командира войсковой части 12345 от 01.10.2026 № 123"
    text = text_of(render("kas22-claim", ON_ONE_DAY, typed={"order": order}))
    assert f"В отношении административных истцов издан {order} (далее — оспариваемый приказ)" in text
    assert "Оспариваемый приказ является незаконным, нарушает права административных истцов" in text
    assert f"Признать незаконным {order} в части увольнения" in text
    assert "оспариваемые приказы" not in text.lower()


def test_the_group_reinstatement_claim_names_each_order_date_and_each_post() -> None:
    text = text_of(render("reinstatement-claim", GROUP, typed={"order": ORDERS_TYPED}))
    assert "даты приказов в отношении истцов: Гусева А. И. — 01.10.2026; Соколовой М. П. — 03.10.2026;" in text
    assert f"Признать незаконными оспариваемые приказы ({ORDERS_TYPED}) в части увольнения" in text
    assert ("в ранее замещаемых должностях: Гусева Андрея Ильича — в должности старшего инспектора отдела "
            "лицензионно-разрешительной работы; Соколову Марию Петровну; Мамедова Эльдара Рашид оглы.") in text
    assert "(в должности" not in text
    # The back pay runs from the day after the order's date, the date the record holds.
    assert "со дня, следующего за датой приказа об увольнении" in text.split("\nРАСЧЁТ\n", 1)[1]


def test_the_order_field_says_what_to_type_for_several_orders() -> None:
    for template_id in ("kas22-claim", "reinstatement-claim"):
        order = next(f for f in TEMPLATES[template_id]["inputs"] if f["name"] == "order")
        assert "приказы" in order["label"]["ru"]
        assert "several orders" in order["label"]["en"]


# --- numbers on one line -------------------------------------------------------------------------


def rendered_docx(template_id: str, claimants: list[dict[str, Any]], court_number: str = "2а-123/2026") -> bytes:
    filled = context(template_id, claimants)
    filled["case"] = {**filled["case"], "court_number": court_number}
    template = DocxTemplate(template_path(template_id))
    template.render(filled, jinja_env=environment())
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def body_xml(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def test_numbers_never_break_at_a_hyphen_or_after_the_sign() -> None:
    appeal = body_xml(rendered_docx("appeal", GROUP))
    assert "№\u00a02а\u2011123/2026" in appeal  # the court's number, from the case
    assert "2а-123" not in appeal
    claim = body_xml(rendered_docx("kas22-claim", GROUP))
    assert "СНИЛС\u00a0112\u2011233\u2011445\u00a095" in claim  # an identifier, from the record
    assert "№\u00a076\u2011ФЗ" in claim  # a law's number, in the template's own text
    assert "ордер №\u00a015" in claim  # a number typed by the lawyer keeps its sign


def test_in_the_pdf_a_court_number_prints_whole_with_a_hyphen_in_the_court_font(tmp_path: Path) -> None:
    soffice, pdftotext, pdffonts = require_tool("soffice"), require_tool("pdftotext"), require_tool("pdffonts")
    for court_number in ("2а-123/2026", "33а-12345/2026"):
        source = tmp_path / "appeal.docx"
        source.write_bytes(rendered_docx("appeal", GROUP, court_number))
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                        "pdf", "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
        pdf = tmp_path / "appeal.pdf"
        fonts = subprocess.run([pdffonts, str(pdf)], check=True, capture_output=True, text=True).stdout
        # Only the serif the document asks for (Liberation Serif standing in for Times New Roman): no
        # other font was needed for the non-breaking hyphen, which would show it as a box elsewhere.
        assert {line.split()[0].split("+")[-1].split("-")[0] for line in fonts.splitlines()[2:]} == {"LiberationSerif"}
        lines = subprocess.run([pdftotext, str(pdf), "-"], check=True, capture_output=True,
                               text=True).stdout.replace("\u2011", "-").splitlines()
        whole = [line for line in lines if court_number in line]
        assert len(whole) >= 8, court_number  # the header, title, text, demands and the motion's
        assert not [line for line in lines if re.search(r"(№|\d[а-я]?-)\s*$", line)], court_number


# --- the generation page's words -----------------------------------------------------------------


def test_the_page_names_the_claimant_as_the_procedure_does() -> None:
    """docs/glossary.md: «административный истец» under the Code of Administrative Procedure."""
    from django.utils import translation

    from defensor.documents.catalogue import builtin_templates
    from defensor.documents.context import needed_labels

    templates = {t.key: t for t in builtin_templates()}
    with translation.override("ru"):
        for key in ("builtin:appeal", "builtin:kas22-claim"):
            assert "ФИО административного истца" in needed_labels(templates[key]), key
        for key in ("builtin:appeal-civil", "builtin:reinstatement-claim"):
            assert "ФИО истца" in needed_labels(templates[key]), key
