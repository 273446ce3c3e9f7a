"""The templates a case can use: the built-in ones (builtin/templates.yaml and its DOCX files) and
the ones administrators uploaded (DocumentTemplate, newest version of each slug). Each says what
data it needs, so what is missing is listed before generation, not found in the output."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from docxtpl import DocxTemplate

from defensor.core.models import Organisation
from defensor.documents.models import DocumentTemplate, GeneratedDocument, Power

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
INPUT_KINDS = ("text", "multiline", "amount", "date")
CONTEXT_NAMES = frozenset({"today", "case", "claimants", "claimant", "group", "claimants_count", "representative",
                           "organisation", "inputs", "signed_by_claimants", "power_of_attorney",
                           "appeal_period", "claim_price", "state_fee", "filing_period"})
# Data a template may need that can be missing (typed inputs are checked by the form).
NEEDABLE = frozenset({
    "case.number", "case.court", "case.court_number", "case.decision_date", "case.decision_date_short",
    "representative.name", "representative.credentials", "representative.contacts", "organisation.name",
    "claimant.name", "claimant.birth_date", "claimant.unit", "claimant.dismissal_date",
    "claimant.dismissal_date_words", "claimant.birth_place", "claimant.residence_address", "claimant.identifier",
    "claimant.monthly_pay",
})
# What a template's use of makes the claimant's value required. ``identifier`` is the one a claim
# must give (КАС ст. 125 ч. 2 п. 2, ГПК ст. 131 ч. 2 п. 2: СНИЛС, else ИНН, else the passport); the
# separate passport, СНИЛС, ИНН and the postal address stay optional: a template prints them where known.
CLAIMANT_ATTRIBUTES = ("birth_date", "unit", "dismissal_date", "dismissal_date_words", "birth_place",
                       "residence_address", "identifier", "monthly_pay")


@dataclass(frozen=True)
class TemplateInput:
    name: str
    label_ru: str
    label_en: str
    required: bool
    kind: str

    def label(self, language: str) -> str:
        return self.label_ru if language.startswith("ru") else self.label_en


@dataclass(frozen=True)
class TemplateInfo:
    key: str  # "builtin:<id>" or "upload:<slug>"
    version: int
    title_ru: str
    title_en: str
    kinds: tuple[str, ...]  # case kinds it suits (empty: any)
    needs: tuple[str, ...]
    inputs: tuple[TemplateInput, ...]
    upload_id: int | None = None
    # The special powers signing it takes (models.Power): none for what the warrant suffices for.
    powers: tuple[str, ...] = ()
    # The rule (deadlines/data/rules.yaml) of the period that runs from the input
    # ``final_form_date`` (an appeal's): the context says whether it holds (``appeal_period``).
    period_rule: str = ""
    # A claim's period for going to court (deadlines/data/rules.yaml), counted for each claimant from
    # their own dismissal order: the context says for whom it ended (``filing_period``).
    filing_rule: str = ""

    def title(self, language: str) -> str:
        return self.title_ru if language.startswith("ru") else self.title_en

    def content(self) -> bytes:
        if self.key.startswith("builtin:"):
            return _builtin_bytes(self.key.removeprefix("builtin:"))
        return bytes(DocumentTemplate.objects.values_list("content", flat=True).get(pk=self.upload_id or 0))


@cache
def _manifest() -> dict[str, tuple[TemplateInfo, str]]:
    data = yaml.safe_load((BUILTIN_DIR / "templates.yaml").read_text(encoding="utf-8"))
    found: dict[str, tuple[TemplateInfo, str]] = {}
    for raw in data["templates"]:
        inputs = tuple(
            TemplateInput(name=str(i["name"]), label_ru=str(i["label"]["ru"]), label_en=str(i["label"]["en"]),
                          required=bool(i.get("required", False)), kind=str(i.get("kind", "text")))
            for i in raw.get("inputs") or []
        )
        info = TemplateInfo(
            key=f"builtin:{raw['id']}", version=int(raw["version"]), title_ru=str(raw["title"]["ru"]),
            title_en=str(raw["title"]["en"]), kinds=tuple(raw.get("kinds") or ()),
            needs=tuple(raw.get("needs") or ()), inputs=inputs, powers=tuple(raw.get("powers") or ()),
            period_rule=str(raw.get("period") or ""), filing_rule=str(raw.get("filing_period") or ""),
        )
        if set(info.powers) - set(Power.values):
            raise ValueError(f"{raw['id']}: unknown powers {sorted(set(info.powers) - set(Power.values))}")
        found[str(raw["id"])] = (info, str(raw["file"]))
    return found


@cache
def _builtin_bytes(template_id: str) -> bytes:
    return (BUILTIN_DIR / _manifest()[template_id][1]).read_bytes()


def builtin_templates() -> list[TemplateInfo]:
    return [info for info, _file in _manifest().values()]


def uploaded_info(template: DocumentTemplate) -> TemplateInfo:
    return TemplateInfo(
        key=f"upload:{template.slug}", version=template.version, title_ru=template.title, title_en=template.title,
        kinds=(), needs=tuple(template.uses), inputs=(),
        upload_id=template.pk,
    )


def templates_for(organisation: Organisation) -> list[TemplateInfo]:
    """Built-in templates, then the organisation's uploads (the newest version of each)."""
    newest: dict[str, DocumentTemplate] = {}
    uploads = DocumentTemplate.objects.filter(organisation=organisation, retired_at__isnull=True).defer("content")
    for template in uploads.order_by("slug", "version"):  # the files (up to 5 MB each) are read when filled
        newest[template.slug] = template
    return builtin_templates() + [uploaded_info(t) for t in newest.values()]


def template_source(content: bytes) -> str:
    """The text of a DOCX template's body with its tags (for finding what it uses)."""
    document = DocxTemplate(io.BytesIO(content))
    document.init_docx()
    return str(document.patch_xml(document.get_xml()))  # tags as docxtpl reads them


_USE = re.compile(r"\b(case|representative|organisation)\.([a-z_]+)")


def needs_of_source(source: str) -> list[str]:
    """What an uploaded template uses that the case's data may lack."""
    plain = re.sub(r"<[^>]+>", "", source)
    needs = {f"{owner}.{name}" for owner, name in _USE.findall(plain) if f"{owner}.{name}" in NEEDABLE}
    needs |= {f"claimant.{name}" for name in CLAIMANT_ATTRIBUTES if re.search(rf"\.{name}\b", plain)}
    if "representative." in plain:  # any of its forms comes from the name
        needs.add("representative.name")
    if re.search(r"\bclaimants?\b", plain):  # names a claimant: the case must have one in the claim
        needs.add("claimant.name")
    return sorted(needs)


def document_titles(documents: list[GeneratedDocument], *, language: str) -> dict[int, str]:
    """The title of the template each document was made from (one query for the uploads)."""
    builtin = {t.key: t.title(language) for t in builtin_templates()}
    wanted = {(d.case.organisation_id, d.template_key.removeprefix("upload:"), d.template_version)
              for d in documents if d.template_key not in builtin}
    uploaded: dict[tuple[int, str, int], str] = {}
    if wanted:
        rows = DocumentTemplate.objects.filter(slug__in={slug for _o, slug, _v in wanted}).values_list(
            "organisation_id", "slug", "version", "title")
        uploaded = {(o, slug, v): title for o, slug, v, title in rows}
    return {d.pk: builtin.get(d.template_key) or uploaded.get(
        (d.case.organisation_id, d.template_key.removeprefix("upload:"), d.template_version),
        d.template_key.removeprefix("upload:")) for d in documents}
