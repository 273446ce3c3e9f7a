"""Writes the built-in court-document templates (DOCX with docxtpl tags) next to this file:

    .venv/bin/python -m defensor.documents.builtin.make_templates

The wording lives here, so a change to a template is read as text in a diff; the DOCX files are
never edited by hand (tests/test_builtin_templates.py fails when they differ from what this
writes). Court style: A4, margins 3 / 1.5 / 2 / 2 cm, Times New Roman 14, body justified with a
1.25 cm first-line indent and 1.5 line spacing; the addressee and parties in a block on the right
half of the page, single-spaced; title centred and bold; lists numbered by Word, so a list keeps
its order when the lawyer deletes or adds an item, and repeated or optional items never leave a
gap in the numbers.

docxtpl reads a tag only when it lies in one run, so every segment below is one run and no tag
crosses segments; a paragraph holding a ``{%p ... %}`` tag holds nothing else. The context the
templates read is described in templates.yaml and built by defensor.documents.context.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent

FONT = "Times New Roman"
TEXT_WIDTH = Cm(21 - 3 - 1.5)
BLOCK_INDENT = Cm(8)  # the addressee and parties: the right half of the page
FIRST_LINE = Cm(1.25)
# Fixed, so that building twice writes the same bytes (the files are committed).
BUILT = datetime(2026, 1, 1, tzinfo=UTC)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)

Segment = str | tuple[str, bool]  # text, or (text, bold)

# --- Jinja fragments used by several templates (each stays inside one run) -----------------------

FEMALE = "{% if claimant.female %}а{% endif %}"  # проходил{FEMALE}
GENITIVE_LIST = "{% for c in claimants %}{{ c.genitive }}{% if not loop.last %}, {% endif %}{% endfor %}"
ACCUSATIVE_LIST = "{% for c in claimants %}{{ c.accusative }}{% if not loop.last %}, {% endif %}{% endfor %}"
# The Code of Administrative Procedure: a group of 20 or more can file a collective claim
# (art. 42); fewer file together as co-claimants (art. 41).
COLLECTIVE = "{%p set collective = claimants_count >= 20 %}"
# A group dismissed by several orders (the dates in the table differ, or the lawyer typed «приказы …»):
# the claim speaks of the orders, each claimant's with its date, never of one order dated once.
ORDERS = ("{%p set orders = group and (inputs.order.startswith('приказы') or "
          "claimants|map(attribute='dismissal_date')|unique|list|length > 1) %}")
# «оспариваемый приказ», agreeing with ``orders``: (nominative, genitive)
CONTESTED = ("{% if orders %}оспариваемые приказы{% else %}оспариваемый приказ{% endif %}",
             "{% if orders %}оспариваемых приказов{% else %}оспариваемого приказа{% endif %}")
KAS_PLAINTIFF_GEN = "{% if group %}административных истцов{% else %}административного истца{% endif %}"
KAS_PLAINTIFF_DAT = "{% if group %}административным истцам{% else %}административному истцу{% endif %}"
KAS_REPRESENTATIVE = (
    "{% if collective %}Лицо, которому поручено ведение административного дела в интересах группы лиц"
    "{% elif group %}Представитель административных истцов{% else %}Представитель административного истца{% endif %}"
)
GPK_PLAINTIFF_GEN = "{% if group %}истцов{% else %}истца{% endif %}"
GPK_PLAINTIFF_DAT = "{% if group %}истцам{% else %}истцу{% endif %}"
# The representative's authority as the document names it: the power of attorney the document is
# signed under (``power_of_attorney``, "" where the warrant suffices or the claimants sign it
# themselves) is always named, even when the lawyer typed only the warrant in the field.
AUTHORITY = ("{% if power_of_attorney and power_of_attorney not in inputs.authority %}{{ power_of_attorney }}; "
             "{% endif %}{{ inputs.authority }}")


def we(one: str, many: str, *, collective: bool = False) -> str:
    """Who speaks in a document with powers: the one who signs it. The representative, or a single
    claimant, asks in the singular («ПРОШУ СУД:»); several claimants who sign it themselves ask
    together («ПРОСИМ СУД:»). A collective claim (КАС ст. 42; ``collective`` for a template that sets
    it) is signed by the person entrusted with the case, who asks in the singular."""
    many_sign = "signed_by_claimants and group" + (" and not collective" if collective else "")
    return "{% if " + many_sign + " %}" + many + "{% else %}" + one + "{% endif %}"


# Data printed as a number (a court's case number «2а-123/2026», a request number, an identifier
# «СНИЛС 112-233-445 95»): on one line, its spaces no-break and its hyphens non-breaking (U+2011,
# which Times New Roman and Liberation Serif draw as a hyphen; checked in a LibreOffice PDF). Typed
# texts that hold a number after «№» (an order, a warrant, a power of attorney): «№» kept with it.
# typeset() applies both wherever these are printed; their other hyphens and spaces (a name, an
# e-mail address) stay as typed.
NUMBERS = ("case.court_number", "inputs.request_number", "c.identifier", "claimant.identifier")
NUMBERED_TEXTS = ("inputs.order", "inputs.authority", "power_of_attorney", "inputs.warrant",
                  "representative.credentials")


def _keep_numbers(text: str) -> str:
    for expression in NUMBERS:
        text = text.replace("{{ " + expression + " }}",
                            "{{ " + expression + '|replace("-", "\u2011")|replace(" ", "\u00a0") }}')
    for expression in NUMBERED_TEXTS:
        text = text.replace("{{ " + expression + " }}", "{{ " + expression + '|replace("№ ", "№\u00a0") }}')
    return text


def typeset(text: str) -> str:
    """No line break after «№», «ст.», «ч.», «п.» before a number, between a number and «г.» or
    «руб.», inside «КАС РФ», nor before a dash; nor at a hyphen inside a number («№ 2202-1»,
    «№ 76-ФЗ»: U+2011, the non-breaking hyphen)."""
    text = re.sub(r"(№|\bст\.|\bч\.|\bп\.|\bподп\.|\bгл\.) (?=[\d{])", "\\1\u00a0", text)
    text = re.sub(r"(?<=\d)-(?=\w)|(?<=\w)-(?=\d)", "\u2011", text)
    text = re.sub(r"(?<=[\d}]) (?=г\.|руб\.)", "\u00a0", text)
    text = re.sub(r"\b(КАС|ГПК|КоАП|ТК|НК) (?=РФ)", "\\1\u00a0", text)
    return _keep_numbers(text.replace(" — ", "\u00a0— "))  # a dash never starts a line


class Template:
    """One court document being written, paragraph by paragraph."""

    def __init__(self, title: str) -> None:
        self.doc: DocxDocument = Document()
        self._abstract_num = self._add_abstract_numbering()
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(1.5)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)
        section.footer_distance = Cm(1)
        normal = self.doc.styles["Normal"]
        font = normal.font
        font.name, font.size = FONT, Pt(14)
        fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attribute), FONT)
        normal.element.get_or_add_rPr().append(parse_xml(f'<w:lang {nsdecls("w")} w:val="ru-RU"/>'))
        paragraph_format = normal.paragraph_format
        paragraph_format.space_before, paragraph_format.space_after = Pt(0), Pt(0)
        paragraph_format.line_spacing = 1.5
        paragraph_format.widow_control = True
        self._page_numbers(section.footer.paragraphs[0])
        properties = self.doc.core_properties
        properties.title, properties.author, properties.last_modified_by = title, "Defensor", "Defensor"
        properties.created = properties.modified = BUILT
        properties.revision = 1

    # --- numbering ---------------------------------------------------------------------------

    def _add_abstract_numbering(self) -> int:
        """A one-level decimal list «1. », the number at the first-line indent like a paragraph."""
        numbering = self.doc.part.numbering_part.element
        abstracts = numbering.findall(qn("w:abstractNum"))
        abstract_id = 1 + max((int(a.get(qn("w:abstractNumId"))) for a in abstracts), default=-1)
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
            '<w:multiLevelType w:val="singleLevel"/>'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:suff w:val="space"/>'
            '<w:lvlText w:val="%1."/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="0" w:firstLine="{FIRST_LINE.twips}"/></w:pPr></w:lvl>'
            "</w:abstractNum>"
        )
        if abstracts:
            abstracts[-1].addnext(abstract)
        else:
            numbering.insert(0, abstract)
        return abstract_id

    def new_list(self) -> int:
        """A list numbered from 1 (its own w:num, restarted)."""
        num = self.doc.part.numbering_part.element.add_num(self._abstract_num)
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        return int(num.numId)

    # --- paragraphs --------------------------------------------------------------------------

    def _paragraph(self, segments: Sequence[Segment]) -> Paragraph:
        paragraph = self.doc.add_paragraph()
        for segment in segments:
            text, bold = (segment, False) if isinstance(segment, str) else segment
            run = paragraph.add_run(typeset(text))
            if bold:
                run.bold = True
        return paragraph

    def tag(self, tag: str) -> None:
        """A paragraph-level docxtpl tag ({%p if … %}, {%p for … %}, {%p endif %}): alone in its
        paragraph, which docxtpl removes."""
        if not (tag.startswith("{%p ") and tag.endswith(" %}")):
            raise ValueError(tag)
        self.doc.add_paragraph().add_run(tag)

    def block(self, *segments: Segment, gap: bool = False, page_break: bool = False) -> None:
        """A line of the addressee-and-parties block; ``gap`` ends an entry, ``page_break`` starts a
        new page with it."""
        paragraph = self._paragraph(segments)
        paragraph_format = paragraph.paragraph_format
        if page_break:
            paragraph_format.page_break_before = True
        paragraph_format.left_indent = BLOCK_INDENT
        paragraph_format.line_spacing = 1.0
        paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        if gap:
            paragraph_format.space_after = Pt(8)

    def title(self, text: str, *, subtitle: str = "") -> None:
        paragraph = self._paragraph([(text, True)])
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(18)
        paragraph.paragraph_format.keep_with_next = True
        if subtitle:
            sub = self._paragraph([(subtitle, True)])
            sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
            sub.paragraph_format.line_spacing = 1.0
            sub.paragraph_format.keep_with_next = True
            sub.paragraph_format.space_after = Pt(12)
        else:
            paragraph.paragraph_format.space_after = Pt(12)

    def gap(self) -> None:
        """The space that ends an entry of the block, after a list of claimants."""
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.line_spacing = Pt(8)

    def heading(self, text: str, *, centred: bool = True) -> None:
        paragraph = self._paragraph([(text, True)])
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
        paragraph.paragraph_format.space_before = Pt(6)
        paragraph.paragraph_format.keep_with_next = True

    def text(self, *segments: Segment, after_table: bool = False, keep_with_next: bool = False) -> None:
        """A body paragraph: justified, first-line indent."""
        paragraph = self._paragraph(segments)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph_format = paragraph.paragraph_format
        paragraph_format.first_line_indent = FIRST_LINE
        if after_table:
            paragraph_format.space_before = Pt(8)
        if keep_with_next:
            paragraph_format.keep_with_next = True

    def item(self, list_id: int, *segments: Segment) -> None:
        """An item of a numbered list (demands, attachments, requested documents)."""
        paragraph = self._paragraph(segments)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = list_id

    def lines(self, source: str, *, numbered: int | None = None, ending: str = "") -> None:
        """One paragraph (or list item) per non-empty line of a multiline input. ``ending``: "."
        makes each line an item of the documents' one list style (issue 18, item 6): «1.», a capital
        letter, a full stop at the end of each; "" keeps the lawyer's own punctuation."""
        if ending not in ("", "."):
            raise ValueError(f"one list style: ending is '.' or '', not {ending!r}")
        self.tag("{%p for line in " + source + ".splitlines() if line.strip() %}")
        if ending == ".":
            line = "{% set item = line.strip().rstrip('.;,') %}{{ item[:1].upper() }}{{ item[1:] }}."
        else:
            line = "{{ line.strip() }}"
        if numbered is None:
            self.text(line)
        else:
            self.item(numbered, line)
        self.tag("{%p endfor %}")

    def table(self, headers: Sequence[str], cells: Sequence[str], widths: Sequence[float]) -> None:
        """A bordered table: a header row, then one row per claimant."""
        table = self.doc.add_table(rows=4, cols=len(headers))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        rows = table.rows
        for column, header in enumerate(headers):
            self._cell(table, 0, column, header, bold=True)
        self._cell(table, 1, 0, "{%tr for c in claimants %}")
        for column, cell in enumerate(cells):
            self._cell(table, 2, column, cell, centred=column == 0)
        self._cell(table, 3, 0, "{%tr endfor %}")
        for column, width in enumerate(widths):
            table.columns[column].width = Cm(width)  # the grid, which LibreOffice reads
            for row in rows:
                row.cells[column].width = Cm(width)  # each cell, which Word reads
        header_row = rows[0]._tr.get_or_add_trPr()
        header_row.append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))  # repeated on each page

    @staticmethod
    def _cell(table: Table, row: int, column: int, text: str, *, bold: bool = False, centred: bool = False) -> None:
        paragraph = table.cell(row, column).paragraphs[0]
        paragraph.paragraph_format.line_spacing = 1.0
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if bold or centred else WD_ALIGN_PARAGRAPH.LEFT
        run = paragraph.add_run(typeset(text))
        run.font.size = Pt(12)
        run.bold = bold or None

    def attachments(self) -> int:
        self.heading("Приложение:", centred=False)
        return self.new_list()

    def signature(
        self, role: str, *, date_first: bool = True, claimants_sign_as: str = "", collective: bool = False,
    ) -> None:
        """The date, then «role ____ /Фамилия И. О./» with the signature at the right margin.

        ``claimants_sign_as`` (a template whose signing takes a special power opts in with the
        claimant's procedural role, «Административный истец» or «Истец»): when the lawyer chose that
        the claimants sign it themselves (``signed_by_claimants``), the document ends instead with the
        date and one such line per claimant (КАС ст. 125 ч. 1, ГПК ст. 131 ч. 4). ``collective``: the
        template sets ``collective`` (КАС ст. 42); a collective claim is still signed by the person
        entrusted with the case, whom every member names in their joinder statement, not by each
        member. Verify with counsel: whether that person (here the representative) signs the claim
        on the strength of the joinder statements without a power of attorney."""
        if claimants_sign_as:
            self.tag("{%p if signed_by_claimants" + (" and not collective" if collective else "") + " %}")
            self._date_line()
            self.tag("{%p for c in claimants %}")
            self._signature_line(claimants_sign_as, "{{ c.initials }}")
            self.tag("{%p endfor %}")
            self.tag("{%p else %}")
        if date_first:
            self._date_line()
        self._signature_line(role, "{{ representative.initials }}")
        if claimants_sign_as:
            self.tag("{%p endif %}")

    def _date_line(self) -> None:
        date = self._paragraph(["{{ today }}"])
        date.paragraph_format.space_before = Pt(18)
        date.paragraph_format.keep_with_next = True  # never a date alone at the foot of a page

    def _signature_line(self, role: str, initials: str) -> None:
        paragraph = self._paragraph([role, "\t", "_______________ /" + initials + "/"])
        paragraph.paragraph_format.space_before = Pt(18)
        paragraph.paragraph_format.line_spacing = 1.0
        paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)

    def signature_of(self, initials: str) -> None:
        """A blank date line for the signatory to date by hand, then «Подпись ____ /Фамилия И. О./»
        with the signature at the right margin: for a statement a claimant signs themselves."""
        date = self._paragraph(["«____» _______________ 20____ г."])
        date.paragraph_format.space_before = Pt(18)
        self._signature_line("Подпись", initials)

    @staticmethod
    def _page_numbers(paragraph: Paragraph) -> None:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.line_spacing = 1.0
        paragraph._p.append(
            parse_xml(
                f'<w:fldSimple {nsdecls("w")} w:instr="PAGE">'
                '<w:r><w:rPr><w:sz w:val="24"/></w:rPr><w:t>1</w:t></w:r></w:fldSimple>'
            )
        )

    def docx_bytes(self) -> bytes:
        """The DOCX, with fixed zip timestamps so that the same wording gives the same file."""
        written = io.BytesIO()
        self.doc.save(written)
        out = io.BytesIO()
        with zipfile.ZipFile(written) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                entry = zipfile.ZipInfo(info.filename, ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(entry, source.read(info.filename))
        return out.getvalue()


# --- shared parts ----------------------------------------------------------------------------------


def court_address(doc: Template) -> None:
    doc.block(("В {{ case.court }}", True), gap=True)


def representative_block(doc: Template, role: str) -> None:
    doc.block((role + ": ", True), "{{ representative.name }},")
    doc.block("{{ representative.credentials }};")
    doc.block("документ о полномочиях: " + AUTHORITY + ";")
    doc.block("адрес для корреспонденции: {{ representative.contacts }}", gap=True)


def extra_attachments(doc: Template, list_id: int) -> None:
    doc.tag("{%p if inputs.attachments %}")
    doc.lines("inputs.attachments", numbered=list_id, ending=".")
    doc.tag("{%p endif %}")


# --- 1. Административное исковое заявление (гл. 22 КАС РФ) -------------------------------------


def kas22_claim() -> Template:
    doc = Template("Административное исковое заявление об оспаривании приказа об исключении из списков")
    doc.tag(COLLECTIVE)
    doc.tag(ORDERS)
    court_address(doc)

    doc.tag("{%p if group %}")
    doc.block(("Административные истцы:", True))
    doc.tag("{%p for c in claimants %}")
    doc.block("{{ loop.index }}. {{ c.name }}.")
    doc.tag("{%p endfor %}")
    doc.block("(сведения об административных истцах приведены в таблице в тексте заявления)", gap=True)
    doc.tag("{%p else %}")
    doc.block(("Административный истец: ", True), "{{ claimant.name }},")
    doc.block("дата рождения: {{ claimant.birth_date }}, место рождения: {{ claimant.birth_place }},")
    doc.block("место жительства: {{ claimant.residence_address }},")
    doc.block("{{ claimant.identifier }},")  # КАС ст. 125 ч. 2 п. 2: one identifier (verify with counsel)
    doc.block("место военной службы: {{ claimant.unit }}", gap=True)
    doc.tag("{%p endif %}")
    representative_block(doc, KAS_REPRESENTATIVE)
    doc.block(("Административный ответчик: ", True), "{{ inputs.respondent }},")
    doc.block("адрес: {{ inputs.respondent_address }}", gap=True)
    doc.tag("{%p if inputs.interested_party %}")
    doc.block(("Заинтересованное лицо: ", True), "{{ inputs.interested_party }}", gap=True)
    doc.tag("{%p endif %}")
    # The fee by claim kind (builtin/fees.yaml): paid, or exempt with its basis.
    doc.tag("{%p if state_fee.paid or state_fee.exempt %}")
    doc.block(
        ("Государственная пошлина: ", True),
        "{% if state_fee.paid %}{{ state_fee.figures }} руб.{% else %}{% if group %}административные истцы "
        "освобождены{% else %}административный истец освобождён{% endif %} от её уплаты{% endif %} "
        "({{ state_fee.basis }})",
        gap=True,
    )
    doc.tag("{%p endif %}")

    doc.title(
        "{% if collective %}КОЛЛЕКТИВНОЕ {% endif %}АДМИНИСТРАТИВНОЕ ИСКОВОЕ ЗАЯВЛЕНИЕ",
        subtitle="об оспаривании приказа об исключении из списков личного состава воинской части "
        "(увольнении с военной службы)",
    )

    doc.tag("{%p if collective %}")
    doc.text(
        "Настоящее коллективное административное исковое заявление подаётся в защиту прав и законных "
        "интересов группы лиц в порядке ст. 42 КАС РФ. К требованию присоединились лица, указанные "
        "в таблице ниже (всего — {{ claimants_count }}). У членов группы общий административный ответчик "
        "и общий предмет спора (однородные права), в основании их прав и обязанностей административного "
        "ответчика лежат схожие фактические обстоятельства, все члены группы избрали одинаковый способ "
        "защиты своих прав. Ведение административного дела в интересах группы лиц поручено "
        "{{ representative.dative }}."
    )
    doc.tag("{%p elif group %}")
    doc.text(
        "Административное исковое заявление подаётся совместно несколькими административными истцами "
        "(процессуальное соучастие, ст. 41 КАС РФ): предметом административного спора являются "
        "однородные права административных истцов, оспариваемые решения приняты одним административным "
        "ответчиком по схожим основаниям."
    )
    doc.tag("{%p endif %}")
    doc.tag("{%p if group %}")
    doc.text("Сведения об административных истцах:", keep_with_next=True)
    doc.table(
        ["№ п/п", "Фамилия, имя, отчество; идентификатор", "Дата рождения", "Место рождения, место жительства",
         "Воинская часть", "Дата приказа об увольнении"],
        ["{{ loop.index }}", "{{ c.name }}; {{ c.identifier }}", "{{ c.birth_date }}",
         "{{ c.birth_place }}; {{ c.residence_address }}", "{{ c.unit }}", "{{ c.dismissal_date }}"],
        [1.0, 4.3, 2.4, 3.6, 2.4, 2.8],
    )
    doc.text(
        "Административные истцы проходили военную службу в воинских частях, указанных в таблице. "
        "{% if orders %}В отношении каждого из административных истцов издан приказ об увольнении с военной "
        "службы и исключении из списков личного состава воинской части; даты приказов в отношении каждого из "
        "административных истцов указаны в таблице ({{ inputs.order }}; далее — оспариваемые приказы)."
        "{% else %}В отношении административных истцов издан {{ inputs.order }} (далее — оспариваемый приказ), "
        "которым они уволены с военной службы и исключены из списков личного состава "
        "воинской части; дата приказа в отношении каждого из них указана в таблице.{% endif %}",
        after_table=True,
    )
    doc.tag("{%p else %}")
    doc.text(
        "Административный истец {{ claimant.name }} проходил" + FEMALE + " военную службу "
        "(место военной службы — {{ claimant.unit }})."
    )
    doc.text(
        "В отношении административного истца издан {{ inputs.order }} (далее — оспариваемый приказ), "
        "которым {% if claimant.female %}она уволена с военной службы и исключена{% else %}он уволен с "
        "военной службы и исключён{% endif %} из списков личного состава воинской части."
    )
    doc.tag("{%p endif %}")
    doc.lines("inputs.facts")
    doc.text(
        "{% if orders %}Оспариваемые приказы являются незаконными, нарушают{% else %}Оспариваемый приказ "
        "является незаконным, нарушает{% endif %} права " + KAS_PLAINTIFF_GEN + " на прохождение "
        "военной службы и на обеспечение денежным и иными видами довольствия, гарантированные "
        "Федеральным законом от 27.05.1998 № 76-ФЗ «О статусе военнослужащих», и {% if orders %}изданы"
        "{% else %}издан{% endif %} с нарушением "
        "Федерального закона от 28.03.1998 № 53-ФЗ «О воинской обязанности и военной службе» и "
        "Положения о порядке прохождения военной службы, утверждённого Указом Президента Российской "
        "Федерации от 16.09.1999 № 1237."
    )
    doc.text(
        "В соответствии с ч. 1 ст. 218 КАС РФ гражданин может обратиться в суд с требованиями об "
        "оспаривании решений, действий (бездействия) органа государственной власти, иного органа, "
        "должностного лица, если полагает, что нарушены или оспорены его права, свободы и законные "
        "интересы, созданы препятствия к осуществлению его прав, свобод и реализации законных интересов "
        "или на него незаконно возложены какие-либо обязанности."
    )
    doc.text(
        "В силу ч. 9 и 11 ст. 226 КАС РФ обязанность доказывания соблюдения требований нормативных "
        "правовых актов, устанавливающих полномочия на принятие оспариваемого решения, порядок и "
        "основания его принятия, а также соответствия его содержания нормативным правовым актам, "
        "регулирующим спорные отношения, возлагается на административного ответчика."
    )
    doc.text(
        "Административное дело подсудно военному суду в силу ст. 7 Федерального конституционного закона "
        "от 23.06.1999 № 1-ФКЗ «О военных судах Российской Федерации»: заявлены требования о защите прав "
        "военнослужащих от действий воинского должностного лица."
    )
    filing_period_paragraphs(doc, civil=False)
    doc.text(
        "{% if inputs.superior_complaint %}Жалоба по тому же предмету в вышестоящий в порядке подчинённости "
        "орган (вышестоящему должностному лицу) подавалась: {{ inputs.superior_complaint.rstrip('.') }}."
        "{% else %}Жалоба по тому же предмету в вышестоящий в порядке подчинённости орган (вышестоящему "
        "должностному лицу) не подавалась.{% endif %}"
    )
    doc.text(
        "На основании изложенного, руководствуясь ст. {% if collective %}42, {% elif group %}41, {% endif %}"
        "218–220, 227 КАС РФ,"
    )
    doc.heading(we("ПРОШУ СУД:", "ПРОСИМ СУД:", collective=True))
    demands = doc.new_list()
    restore_filing_period(doc, demands, civil=False)
    doc.item(
        demands,
        "{% if orders %}Признать незаконными оспариваемые приказы ({{ inputs.order }}){% else %}Признать "
        "незаконным {{ inputs.order }}{% endif %} в части увольнения с военной службы и исключения из "
        "списков личного состава воинской части {% if group %}" + GENITIVE_LIST + "{% else %}"
        "{{ claimant.genitive }}{% endif %}.",
    )
    doc.item(
        demands,
        "Обязать административного ответчика отменить " + CONTESTED[0] + " в указанной части, восстановить "
        "{% if group %}административных истцов{% else %}{{ claimant.accusative }}{% endif %} на военной "
        "службе, в списках личного состава воинской части и в {% if group %}прежних воинских должностях"
        "{% else %}прежней воинской должности{% endif %} и обеспечить {% if group %}их{% elif claimant.female %}её"
        "{% else %}его{% endif %} всеми положенными видами довольствия за период со дня исключения из "
        "списков личного состава воинской части до дня восстановления в этих списках.",
    )
    doc.item(
        demands,
        "Обязать административного ответчика сообщить об исполнении решения суда в суд и "
        + KAS_PLAINTIFF_DAT + " в течение одного месяца со дня вступления решения суда в законную силу.",
    )
    doc.tag("{%p if state_fee.paid %}")
    doc.item(
        demands,
        "Взыскать с административного ответчика в пользу " + KAS_PLAINTIFF_GEN + " судебные расходы "
        "по уплате государственной пошлины (ст. 111 КАС РФ).",
    )
    doc.tag("{%p endif %}")
    doc.tag("{%p if inputs.evidence_request %}")
    doc.text(
        "В соответствии со ст. 63 КАС РФ " + we("прошу", "просим", collective=True) + " истребовать у "
        "административного ответчика следующие доказательства, которые {% if group %}административные истцы "
        "не могут{% else %}административный истец не может{% endif %} получить самостоятельно:"
    )
    doc.lines("inputs.evidence_request", numbered=doc.new_list(), ending=".")
    doc.tag("{%p endif %}")

    attached = doc.attachments()
    doc.item(attached, "{% if orders %}Копии оспариваемых приказов (выписки из приказов){% else %}Копия "
             "оспариваемого приказа (выписка из приказа){% endif %}.")
    extra_attachments(doc, attached)
    doc.tag("{%p if state_fee.paid %}")
    doc.item(attached, "Документ об уплате государственной пошлины в размере {{ state_fee.figures }} руб.")
    doc.tag("{%p endif %}")
    # КАС ст. 42: the members join by their own statements (one per member, below the claim); the
    # lawyer's power of attorney or warrant proves only the lawyer's authority. Verify with counsel:
    # whether the court wants the originals or copies, and the «— N шт.» count style.
    doc.tag("{%p if collective %}")
    doc.item(
        attached,
        "Заявления о присоединении к коллективному административному исковому заявлению — "
        "{{ claimants_count }} шт.",
    )
    doc.tag("{%p endif %}")
    doc.item(
        attached,
        "Документ, подтверждающий полномочия {% if collective %}лица, которому поручено ведение "
        "административного дела в интересах группы лиц{% else %}представителя{% endif %} "
        "(" + AUTHORITY + ").",
    )
    doc.item(
        attached,
        "Копия документа о высшем юридическом образовании {{ representative.genitive }} либо "
        "удостоверения адвоката.",
    )
    doc.item(
        attached,
        "Копии административного искового заявления и приложенных к нему документов для "
        "административного ответчика{% if inputs.interested_party %} и заинтересованного лица{% endif %}.",
    )
    doc.signature(KAS_REPRESENTATIVE, claimants_sign_as="Административный истец", collective=True)
    joinder_statements(doc)
    return doc


def joinder_statements(doc: Template) -> None:
    """КАС ст. 42 ч. 1 п. 4, ч. 2: in a collective claim each member of the group joins by a statement
    of their own, signed by them, naming the person entrusted with the case; one per member, each on
    a new page after the claim. Verify with counsel: the wording of the statement, and whether the
    representative should be named as the person entrusted or as that person's representative."""
    doc.tag("{%p if collective %}")
    doc.tag("{%p for c in claimants %}")
    doc.block(("В {{ case.court }}", True), gap=True, page_break=True)
    doc.block(("Член группы лиц: ", True), "{{ c.name }},")
    doc.block("дата рождения: {{ c.birth_date }}, место рождения: {{ c.birth_place }},")
    doc.block("место жительства: {{ c.residence_address }},")
    doc.block("{{ c.identifier }}", gap=True)
    doc.title("ЗАЯВЛЕНИЕ", subtitle="о присоединении к коллективному административному исковому заявлению")
    doc.text(
        "Я, {{ c.name }}, дата рождения: {{ c.birth_date }}, место рождения: {{ c.birth_place }}, место "
        "жительства: {{ c.residence_address }}, {{ c.identifier }}, в соответствии с ч. 1 и 2 ст. 42 КАС РФ "
        "присоединяюсь к "
        "требованию, изложенному в коллективном административном исковом заявлении к административному "
        "ответчику — {{ inputs.respondent }}, подаваемом в {{ case.court }} (" + CONTESTED[0] + " — "
        "{{ inputs.order }}; в отношении меня приказ издан {{ c.dismissal_date_words }}, место военной службы — "
        "{{ c.unit }})."
    )
    doc.text(
        "Ведение административного дела в интересах группы лиц поручаю {{ representative.dative }} — лицу, "
        "которому поручено ведение административного дела в интересах группы лиц (п. 4 ч. 1, ч. 2 ст. 42 "
        "КАС РФ), указанному в коллективном административном исковом заявлении."
    )
    doc.signature_of("{{ c.initials }}")
    doc.tag("{%p endfor %}")
    doc.tag("{%p endif %}")


# --- 2. Исковое заявление о восстановлении на службе (сотрудник со специальным званием) ---------


def reinstatement_claim() -> Template:
    doc = Template("Исковое заявление о восстановлении на службе")
    doc.tag(ORDERS)
    court_address(doc)
    doc.tag("{%p if group %}")
    doc.block(("Истцы:", True))
    doc.tag("{%p for c in claimants %}")
    doc.block(
        "{{ loop.index }}. {{ c.name }}, дата рождения: {{ c.birth_date }}, место рождения: {{ c.birth_place }}, "
        "место жительства: {{ c.residence_address }}, {{ c.identifier }}."  # ГПК ст. 131 ч. 2 п. 2
    )
    doc.tag("{%p endfor %}")
    doc.gap()
    doc.tag("{%p else %}")
    doc.block(("Истец: ", True), "{{ claimant.name }},")
    doc.block("дата рождения: {{ claimant.birth_date }}, место рождения: {{ claimant.birth_place }},")
    doc.block("место жительства: {{ claimant.residence_address }},")
    doc.block("{{ claimant.identifier }}")  # ГПК ст. 131 ч. 2 п. 2: one identifier (verify with counsel)
    doc.gap()
    doc.tag("{%p endif %}")
    representative_block(doc, "Представитель " + GPK_PLAINTIFF_GEN)
    doc.block(("Ответчик: ", True), "{{ inputs.respondent }},")
    doc.block(
        "адрес: {{ inputs.respondent_address }}{% if inputs.respondent_ids %}, {{ inputs.respondent_ids }}"
        "{% endif %}",
        gap=True,
    )
    # ГПК ст. 131 ч. 2 п. 6: the price, the total of the back pay asked for all claimants (documents.money),
    # and for a group each claimant's part of it.
    doc.tag("{%p if group %}")
    doc.block(("Цена иска: ", True), "{{ claim_price.figures }} руб.")
    # Each claimant's part is in the demands and the calculation: listed here, 115 claimants
    # filled a page and a half of the header.
    doc.block("(сумма требований всех истцов; по каждому истцу — в расчёте)", gap=True)
    doc.tag("{%p else %}")
    doc.block(("Цена иска: ", True), "{{ claim_price.figures }} руб.", gap=True)
    doc.tag("{%p endif %}")
    doc.tag("{%p if state_fee.exempt or state_fee.paid %}")  # builtin/fees.yaml
    doc.block(
        ("Государственная пошлина: ", True),
        "{% if state_fee.exempt %}{% if group %}истцы освобождены{% else %}истец освобождён{% endif %} от её "
        "уплаты ({{ state_fee.basis }}){% else %}{{ state_fee.figures }} руб. ({{ state_fee.basis }}){% endif %}",
        gap=True,
    )
    doc.tag("{%p endif %}")

    doc.title(
        "ИСКОВОЕ ЗАЯВЛЕНИЕ",
        subtitle="о признании увольнения незаконным и восстановлении на службе в войсках национальной "
        "гвардии Российской Федерации",
    )
    doc.tag("{%p if group %}")
    doc.text(
        "Истцы проходили службу в войсках национальной гвардии Российской Федерации и имели специальные "
        "звания полиции."
    )
    doc.text(
        "{% if orders %}В отношении каждого из истцов издан приказ о расторжении контракта и увольнении со "
        "службы ({{ inputs.order }}; далее — оспариваемые приказы); даты приказов в отношении истцов: "
        "{% else %}В отношении истцов издан {{ inputs.order }} (далее — оспариваемый приказ), которым "
        "контракты с ними расторгнуты и они уволены со службы; дата приказа в отношении истцов: {% endif %}"
        "{% for c in claimants %}{{ c.initials_genitive }} — {{ c.dismissal_date }}{% if not loop.last %}; "
        "{% endif %}{% endfor %}."
    )
    doc.tag("{%p else %}")
    doc.text(
        "Истец {{ claimant.name }} проходил" + FEMALE + " службу в войсках национальной гвардии Российской "
        "Федерации{% if claimant.unit %} (место службы — {{ claimant.unit }}){% endif %}"
        "{% if claimant.service_post %}, замещал" + FEMALE + " должность {{ claimant.service_post }}{% endif %}, "
        "имел" + FEMALE + " специальное звание полиции."
    )
    doc.text(
        "В отношении истца издан {{ inputs.order }} (далее — оспариваемый приказ), которым контракт с "
        "{% if claimant.female %}ней расторгнут и она уволена{% else %}ним расторгнут и он уволен{% endif %} "
        "со службы."
    )
    doc.tag("{%p endif %}")
    doc.lines("inputs.facts")
    doc.text(
        "Служба сотрудников войск национальной гвардии Российской Федерации, имеющих специальные звания "
        "полиции, регулируется Федеральным законом от 30.11.2011 № 342-ФЗ «О службе в органах внутренних "
        "дел Российской Федерации и внесении изменений в отдельные законодательные акты Российской "
        "Федерации» (далее — Федеральный закон № 342-ФЗ) с учётом особенностей, установленных "
        "Федеральным законом от 03.07.2016 № 226-ФЗ «О войсках национальной гвардии Российской "
        "Федерации». В силу ч. 2 ст. 3 Федерального закона № 342-ФЗ в случаях, не урегулированных "
        "специальными нормативными правовыми актами, к правоотношениям, связанным со службой, применяются "
        "нормы трудового законодательства Российской Федерации."
    )
    doc.text(
        "Увольнение " + GPK_PLAINTIFF_GEN + " является незаконным по изложенным выше основаниям. Согласно "
        "ч. 1 ст. 394 ТК РФ в случае признания увольнения незаконным работник должен быть восстановлен "
        "на прежней работе органом, рассматривающим индивидуальный трудовой спор; по ч. 2 той же статьи "
        "этот орган принимает решение о выплате среднего заработка за всё время вынужденного прогула. "
        "Восстановление на службе сотрудника, увольнение которого признано незаконным, и выплата ему "
        "денежного довольствия за время вынужденного прогула предусмотрены также ст. 74 Федерального "
        "закона № 342-ФЗ."
    )
    # The price is the money asked (ГПК ст. 91 ч. 1 п. 1); for co-claimants, their demands added up.
    # Verify with counsel: that the co-claimants' demands are added up for the price.
    doc.tag("{%p if group %}")
    doc.text(
        "Денежное довольствие за время вынужденного прогула со дня, следующего за датой приказа об увольнении, "
        "по день подачи искового заявления рассчитано для каждого из истцов исходя из его месячного денежного "
        "довольствия на день увольнения (прилагаемый расчёт) и составляет всего {{ claim_price.figures }} руб. "
        "({{ claim_price.words }}); сумма, причитающаяся каждому из истцов, указана в просительной части "
        "искового заявления и в расчёте. Цена иска определена исходя из взыскиваемых денежных сумм "
        "(п. 1 ч. 1 ст. 91 ГПК РФ)."
    )
    doc.tag("{%p else %}")
    doc.text(
        "Денежное довольствие {{ claimant.genitive }} на день увольнения составляло "
        "{{ claimant.monthly_pay.figures }} руб. в месяц. Денежное довольствие за время вынужденного прогула "
        "{{ claimant.back_pay.period }} (по день подачи искового заявления) составляет "
        "{{ claimant.back_pay.figures }} руб. ({{ claimant.back_pay.words }}) согласно прилагаемому расчёту. "
        "Цена иска определена исходя из взыскиваемой денежной суммы (п. 1 ч. 1 ст. 91 ГПК РФ)."
    )
    doc.tag("{%p endif %}")
    doc.tag("{%p if inputs.moral_damages %}")
    doc.text(
        "Незаконным увольнением {% if group %}истцам{% else %}истцу{% endif %} причинён моральный вред: "
        "нравственные страдания, вызванные лишением возможности проходить службу и средств к "
        "существованию. В силу ст. 237 и ч. 9 ст. 394 ТК РФ моральный вред, причинённый увольнением без "
        "законного основания или с нарушением установленного порядка увольнения, подлежит компенсации. "
        "Размер компенсации {% if group %}истцы оценивают в {{ inputs.moral_damages.figures }} руб. "
        "({{ inputs.moral_damages.words }}) в пользу каждого из них{% else %}истец оценивает в "
        "{{ inputs.moral_damages.figures }} руб. ({{ inputs.moral_damages.words }}){% endif %}."
    )
    doc.tag("{%p endif %}")
    filing_period_paragraphs(doc, civil=True)
    doc.text(
        "На основании изложенного, руководствуясь ст. 3, 72, 74 Федерального закона № 342-ФЗ, ст. 237, "
        "392, 394 ТК РФ, ст. 131, 132 ГПК РФ,"
    )
    doc.heading(we("ПРОШУ СУД:", "ПРОСИМ СУД:"))
    demands = doc.new_list()
    restore_filing_period(doc, demands, civil=True)
    doc.item(
        demands,
        "{% if orders %}Признать незаконными оспариваемые приказы ({{ inputs.order }}){% else %}Признать "
        "незаконным {{ inputs.order }}{% endif %} в части увольнения {% if group %}" + GENITIVE_LIST
        + "{% else %}{{ claimant.genitive }}{% endif %} со службы в войсках национальной гвардии Российской "
        "Федерации.",
    )
    doc.item(
        demands,
        # A group: each claimant in turn, with their post where the record gives it.
        "{% if group %}Восстановить на службе в войсках национальной гвардии Российской Федерации со дня, "
        "следующего за днём увольнения, в ранее замещаемых должностях: {% for c in claimants %}{{ c.accusative }}"
        "{% if c.service_post %} — в должности {{ c.service_post }}{% endif %}{% if not loop.last %}; "
        "{% endif %}{% endfor %}.{% else %}Восстановить {{ claimant.accusative }} на службе в войсках "
        "национальной гвардии Российской Федерации в ранее замещаемой должности{% if claimant.service_post %} "
        "{{ claimant.service_post }}{% endif %} со дня, следующего за днём увольнения.{% endif %}",
    )
    # Each claimant's own sum (ГПК ст. 131 ч. 2 п. 6), then the rest of the absence to the decision.
    doc.tag("{%p for c in claimants %}")
    doc.item(
        demands,
        "Взыскать с ответчика в пользу {{ c.genitive }} денежное довольствие за время вынужденного прогула "
        "{{ c.back_pay.period }} в размере {{ c.back_pay.figures }} руб. ({{ c.back_pay.words }}) согласно "
        "прилагаемому расчёту, а также за период со дня, следующего за днём подачи искового заявления, по день "
        "вынесения решения суда.",
    )
    doc.tag("{%p endfor %}")
    doc.tag("{%p if inputs.moral_damages %}")
    doc.item(
        demands,
        "Взыскать с ответчика в пользу {% if group %}каждого из истцов{% else %}{{ claimant.genitive }}"
        "{% endif %} компенсацию морального вреда в размере {{ inputs.moral_damages.figures }} руб. "
        "({{ inputs.moral_damages.words }}).",
    )
    doc.tag("{%p endif %}")
    doc.item(demands, "Обратить решение суда в части восстановления на службе к немедленному исполнению "
             "(ст. 211 ГПК РФ).")
    doc.tag("{%p if inputs.evidence_request %}")
    doc.text(
        "В соответствии со ст. 57 ГПК РФ " + we("прошу", "просим") + " истребовать у ответчика следующие "
        "доказательства, представление которых для {% if group %}истцов{% else %}истца{% endif %} затруднительно:"
    )
    doc.lines("inputs.evidence_request", numbered=doc.new_list(), ending=".")
    doc.tag("{%p endif %}")

    attached = doc.attachments()
    doc.item(attached, "{% if orders %}Копии оспариваемых приказов (выписки из приказов){% else %}Копия "
             "оспариваемого приказа (выписка из приказа){% endif %}.")
    doc.item(attached, "Расчёт взыскиваемых денежных сумм (денежного довольствия за время вынужденного "
             "прогула) — на отдельном листе после искового заявления.")
    extra_attachments(doc, attached)
    doc.item(
        attached,
        "Документ, подтверждающий направление ответчику копий искового заявления и приложенных к нему "
        "документов, которые у него отсутствуют.",
    )
    doc.item(
        attached,
        "Документ, подтверждающий полномочия представителя (" + AUTHORITY + "), и копия документа о "
        "высшем юридическом образовании {{ representative.genitive }} либо удостоверения адвоката.",
    )
    doc.signature("Представитель " + GPK_PLAINTIFF_GEN, claimants_sign_as="Истец")
    back_pay_calculation(doc)
    return doc


def back_pay_calculation(doc: Template) -> None:
    """ГПК ст. 132: the calculation of the sums claimed, signed by the claimant or the representative,
    on a page of its own after the claim: a row per claimant (monthly pay, period, each line of the
    calculation, sum) and the total. The method (calendar months; a part month pro rata to its
    calendar days) is documents.money's; verify with counsel."""
    doc.block("Приложение к исковому заявлению о восстановлении на службе", gap=True, page_break=True)
    doc.title("РАСЧЁТ", subtitle="взыскиваемых денежных сумм (денежного довольствия за время вынужденного прогула)")
    doc.text(
        # The day after the dismissal order's date, the date the record holds. Verify with counsel: whether
        # the day of dismissal named in the order (or the striking off the lists) differs from it.
        "Денежное довольствие за время вынужденного прогула рассчитано со дня, следующего за датой приказа об "
        "увольнении, по день подачи искового заявления включительно исходя из месячного денежного довольствия "
        "{% if group %}каждого из истцов{% else %}истца{% endif %} на день увольнения: за полный календарный "
        "месяц — в размере месячного денежного довольствия, за неполный месяц — пропорционально числу "
        "календарных дней вынужденного прогула в этом месяце (месячное денежное довольствие : число "
        "календарных дней месяца × число дней прогула); каждая сумма округлена до копеек.",
        keep_with_next=True,
    )
    headers = ["№ п/п", "Фамилия, имя, отчество", "Денежное довольствие в месяц, руб.",
               "Период вынужденного прогула и расчёт", "Сумма, руб."]
    # The period, then each line of the calculation on a line of its own in the cell (docxtpl turns
    # "\n" into a line break).
    cells = ["{{ loop.index }}", "{{ c.name }}", "{{ c.monthly_pay.figures }}",
             '{{ c.back_pay.period }}, в том числе:{% for l in c.back_pay.lines %}{{ "\\n" }}{{ l.period }}: '
             "{{ l.formula }} = {{ l.sum }} руб.{% if loop.last %}{% else %};{% endif %}{% endfor %}",
             "{{ c.back_pay.figures }}"]
    widths = [1.2, 3.1, 2.9, 6.3, 3.0]  # «№» up to 115 and the total up to «99 999 999,99» on one line
    table = doc.doc.add_table(rows=7, cols=len(headers))
    table.style = doc.doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, header in enumerate(headers):
        Template._cell(table, 0, column, header, bold=True)
    Template._cell(table, 1, 0, "{%tr for c in claimants %}")
    for column, cell in enumerate(cells):
        Template._cell(table, 2, column, cell, centred=column in (0, 2, 5))
    # A claimant's row is never split between pages.
    table.rows[2]._tr.get_or_add_trPr().append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
    Template._cell(table, 3, 0, "{%tr endfor %}")
    Template._cell(table, 4, 0, "{%tr if group %}")
    Template._cell(table, 5, 1, "Итого", bold=True)
    Template._cell(table, 5, 4, "{{ claim_price.figures }}", bold=True)
    Template._cell(table, 6, 0, "{%tr endif %}")
    for column, width in enumerate(widths):
        table.columns[column].width = Cm(width)  # the grid, which LibreOffice reads
        for row in table.rows:
            row.cells[column].width = Cm(width)  # each cell, which Word reads
    table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))
    doc.text(
        "Итого к взысканию{% if group %} в пользу истцов{% endif %}: {{ claim_price.figures }} руб. "
        "({{ claim_price.words }}).",
        after_table=True,
    )
    doc.signature("Представитель " + GPK_PLAINTIFF_GEN, claimants_sign_as="Истец")


# --- 3. Адвокатский запрос (ст. 6.1 Федерального закона № 63-ФЗ) --------------------------------


def lawyer_request() -> Template:
    doc = Template("Адвокатский запрос")
    doc.block(("{{ inputs.addressee }}", True))
    doc.block("{{ inputs.addressee_address }}", gap=True)
    doc.block("{{ representative.name }},")
    doc.block("{{ representative.credentials }},")
    doc.block("{{ inputs.law_office }};")
    doc.block("ордер {{ inputs.warrant }};")
    doc.block("адрес для ответа: {{ representative.contacts }}", gap=True)

    doc.title("АДВОКАТСКИЙ ЗАПРОС", subtitle="№ {{ inputs.request_number }} от {{ today }}")
    doc.tag("{%p if group %}")
    doc.text(
        "Я, {{ representative.name }}, {{ representative.credentials }}, оказываю юридическую помощь "
        "следующим доверителям (ордер {{ inputs.warrant }}):"
    )
    doc.tag("{%p for c in claimants %}")
    doc.text(
        "{{ c.dative }}{% if c.birth_date %}, {{ c.birth_date }} года рождения{% endif %}"
        "{% if c.unit %}, место службы — {{ c.unit }}{% endif %}{% if loop.last %}.{% else %};{% endif %}"
    )
    doc.tag("{%p endfor %}")
    doc.tag("{%p else %}")
    doc.text(
        "Я, {{ representative.name }}, {{ representative.credentials }}, оказываю юридическую помощь "
        "{{ claimant.dative }}{% if claimant.birth_date %}, {{ claimant.birth_date }} года рождения"
        "{% endif %}{% if claimant.unit %}, место службы — {{ claimant.unit }}{% endif %} "
        "(ордер {{ inputs.warrant }})."
    )
    doc.tag("{%p endif %}")
    doc.text(
        "Руководствуясь подп. 1 п. 3 ст. 6 и ст. 6.1 Федерального закона от 31.05.2002 № 63-ФЗ "
        "«Об адвокатской деятельности и адвокатуре в Российской Федерации» (далее — Федеральный закон "
        "№ 63-ФЗ), в целях оказания квалифицированной юридической помощи "
        "{% if group %}доверителям{% else %}доверителю{% endif %}"
        "{% if inputs.purpose %} ({{ inputs.purpose }}){% endif %} прошу предоставить следующие сведения "
        "и документы (их надлежащим образом заверенные копии):"
    )
    doc.lines("inputs.documents", numbered=doc.new_list(), ending=".")
    doc.text(
        "Согласно п. 2 ст. 6.1 Федерального закона № 63-ФЗ органы государственной власти, органы "
        "местного самоуправления, общественные объединения и иные организации, которым направлен "
        "адвокатский запрос, должны дать на него ответ в письменной форме в тридцатидневный срок со дня "
        "его получения."
    )
    doc.text(
        "Неправомерный отказ в предоставлении информации адвокату в связи с поступившим от него "
        "адвокатским запросом, несвоевременное её предоставление либо предоставление заведомо "
        "недостоверной информации влекут административную ответственность по ст. 5.39 КоАП РФ."
    )
    doc.text("Ответ прошу направить по адресу: {{ representative.contacts.rstrip('.') }}.")
    attached = doc.attachments()
    doc.item(attached, "Копия ордера {{ inputs.warrant }}.")
    extra_attachments(doc, attached)
    doc.signature("Адвокат", date_first=False)
    return doc


# --- 4. Жалоба военному прокурору ---------------------------------------------------------------


def prosecutor_complaint() -> Template:
    doc = Template("Жалоба прокурору")
    doc.block(("{{ inputs.prosecutor }}", True))
    doc.tag("{%p if inputs.prosecutor_address %}")
    doc.block("{{ inputs.prosecutor_address }}")
    doc.tag("{%p endif %}")
    doc.gap()
    doc.block(("Заявитель: ", True), "{{ representative.name }} ({{ representative.credentials }}),")
    doc.tag("{%p if group %}")
    doc.block("представитель граждан, указанных в жалобе;")
    doc.tag("{%p else %}")
    doc.block("представитель {{ claimant.genitive }};")
    doc.tag("{%p endif %}")
    doc.block("документ о полномочиях: {{ inputs.authority }};")
    doc.block("адрес для ответа: {{ representative.contacts }}", gap=True)

    doc.title("ЖАЛОБА", subtitle="о нарушении прав и законных интересов и о проведении прокурорской проверки")
    doc.tag("{%p if group %}")
    doc.text("Я представляю интересы следующих лиц:")
    doc.tag("{%p for c in claimants %}")
    doc.text(
        "{{ c.genitive }}{% if c.birth_date %}, {{ c.birth_date }} года рождения{% endif %}"
        "{% if c.unit %}, место службы — {{ c.unit }}{% endif %}{% if loop.last %}.{% else %};{% endif %}"
    )
    doc.tag("{%p endfor %}")
    doc.tag("{%p else %}")
    doc.text(
        "Я представляю интересы {{ claimant.genitive }}{% if claimant.birth_date %}, {{ claimant.birth_date }} "
        "года рождения{% endif %}{% if claimant.unit %}, место службы — {{ claimant.unit }}{% endif %}."
    )
    doc.tag("{%p endif %}")
    doc.text("Сообщаю о следующих нарушениях {% if group %}их{% elif claimant.female %}её{% else %}его"
             "{% endif %} прав и законных интересов.")
    doc.lines("inputs.facts")
    doc.text(
        "В соответствии с п. 1 ст. 10 Федерального закона от 17.01.1992 № 2202-1 «О прокуратуре "
        "Российской Федерации» (далее — Закон о прокуратуре) в органах прокуратуры в соответствии с их "
        "полномочиями разрешаются заявления, жалобы и иные обращения, содержащие сведения о нарушении "
        "законов. Предметом прокурорского надзора является, в частности, соблюдение прав и свобод человека "
        "и гражданина органами военного управления и их должностными лицами (ст. 26 Закона о прокуратуре)."
    )
    doc.text(
        "Согласно п. 1 ст. 27 Закона о прокуратуре прокурор рассматривает и проверяет заявления, жалобы и "
        "иные сообщения о нарушении прав и свобод человека и гражданина, принимает меры по предупреждению "
        "и пресечению нарушений прав и свобод человека и гражданина, привлечению к ответственности лиц, "
        "нарушивших закон, и возмещению причинённого ущерба, использует полномочия, предусмотренные ст. 22 "
        "Закона о прокуратуре."
    )
    doc.text("На основании изложенного, руководствуясь ст. 10, 22, 26–28 Закона о прокуратуре,")
    doc.heading("ПРОШУ:")
    demands = doc.new_list()
    doc.item(
        demands,
        "Провести проверку изложенных в жалобе обстоятельств и законности действий (решений) указанных в "
        "ней должностных лиц.",
    )
    doc.item(
        demands,
        "При выявлении нарушений закона принять меры прокурорского реагирования: внести представление об "
        "устранении нарушений закона, принести протест на незаконные правовые акты, решить вопрос о "
        "возбуждении дела об административном правонарушении и о направлении материалов в органы "
        "предварительного расследования (ст. 22–25, 27, 28 Закона о прокуратуре).",
    )
    doc.item(
        demands,
        "При наличии оснований обратиться в суд в защиту прав и законных интересов "
        "{% if group %}лиц, указанных в жалобе{% else %}{{ claimant.genitive }}{% endif %} (ст. 35 Закона о "
        "прокуратуре).",
    )
    doc.item(
        demands,
        "Не направлять настоящую жалобу для рассмотрения в орган или должностному лицу, решения либо "
        "действия (бездействие) которых обжалуются (п. 5 ст. 10 Закона о прокуратуре, ч. 6 ст. 8 "
        "Федерального закона от 02.05.2006 № 59-ФЗ «О порядке рассмотрения обращений граждан Российской "
        "Федерации»).",
    )
    doc.item(
        demands,
        "О результатах рассмотрения жалобы и принятых мерах сообщить в письменной форме в установленный "
        "срок (ч. 1 ст. 12 Федерального закона от 02.05.2006 № 59-ФЗ) по адресу: "
        "{{ representative.contacts.rstrip('.') }}.",
    )
    attached = doc.attachments()
    doc.item(attached, "Копия документа, подтверждающего полномочия представителя ({{ inputs.authority }}).")
    extra_attachments(doc, attached)
    doc.signature("Представитель")
    return doc


# --- 5. Апелляционная жалоба (ст. 295–299 КАС РФ) -----------------------------------------------


def appeal() -> Template:
    doc = Template("Апелляционная жалоба")
    doc.tag(COLLECTIVE)
    doc.block(("В {{ inputs.appeal_court }}", True))
    doc.block("через {{ case.court }}", gap=True)
    doc.block(("Административное дело № {{ case.court_number }}", True), gap=True)
    doc.tag("{%p if group %}")
    doc.block(("Административные истцы:", True))
    doc.tag("{%p for c in claimants %}")
    doc.block("{{ loop.index }}. {{ c.name }}, место жительства: {{ c.residence_address }}.")
    doc.tag("{%p endfor %}")
    doc.gap()
    doc.tag("{%p else %}")
    doc.block(("Административный истец: ", True), "{{ claimant.name }}", gap=False)
    doc.block("Место жительства: {{ claimant.residence_address }}", gap=True)
    doc.tag("{%p endif %}")
    representative_block(doc, KAS_REPRESENTATIVE)
    doc.block(("Административный ответчик: ", True), "{{ inputs.respondent }}", gap=True)
    doc.tag("{%p if inputs.state_fee %}")
    doc.block(("Государственная пошлина: ", True), "{{ inputs.state_fee.figures }} руб.", gap=True)
    doc.tag("{%p endif %}")

    doc.title(
        "АПЕЛЛЯЦИОННАЯ ЖАЛОБА",
        subtitle="на решение суда от {{ case.decision_date }} по административному делу № {{ case.court_number }}",
    )
    doc.text(
        "{{ case.decision_date }} {{ case.court }} вынес решение по административному делу "
        "№ {{ case.court_number }} по {% if collective %}коллективному {% endif %}административному "
        "исковому заявлению {% if group %}" + GENITIVE_LIST + "{% else %}{{ claimant.genitive }}{% endif %} "
        "(административный ответчик — {{ inputs.respondent }}). Указанным решением {% if inputs.decision_summary %}"
        "{{ inputs.decision_summary.rstrip('.') }}{% else %}в удовлетворении административного искового заявления "
        "отказано{% endif %}."
    )
    doc.text(
        "{% if group %}Административные истцы с решением суда не согласны, считают{% else %}"
        "Административный истец с решением суда не согласен, считает{% endif %} его незаконным и "
        "необоснованным, подлежащим отмене по следующим основаниям."
    )
    doc.heading("Доводы жалобы")
    doc.lines("inputs.arguments")
    doc.text(
        "Согласно ч. 1 ст. 310 КАС РФ основаниями для отмены или изменения решения суда в апелляционном "
        "порядке являются неправильное определение обстоятельств, имеющих значение для административного "
        "дела; недоказанность установленных судом первой инстанции обстоятельств, имеющих значение для "
        "административного дела; несоответствие выводов суда первой инстанции, изложенных в решении суда, "
        "обстоятельствам административного дела; нарушение или неправильное применение норм материального "
        "права или норм процессуального права."
    )
    appeal_period_paragraph(doc, "ч. 1 ст. 298 КАС РФ", "ст. 95 КАС РФ", KAS_PLAINTIFF_GEN)
    doc.text("На основании изложенного, руководствуясь ст. 295–299, 308–310 КАС РФ,")
    doc.heading(we("ПРОШУ СУД:", "ПРОСИМ СУД:", collective=True))
    demands = doc.new_list()
    doc.item(
        demands,
        "Отменить решение суда первой инстанции ({{ case.court }}) от {{ case.decision_date }} по "
        "административному делу № {{ case.court_number }}.",
    )
    doc.item(
        demands,
        "Принять по административному делу новое решение, которым административные исковые требования "
        "удовлетворить в полном объёме.",
    )
    attached = doc.attachments()
    doc.item(
        attached,
        "Документ об уплате государственной пошлины{% if inputs.state_fee %} в размере "
        "{{ inputs.state_fee.figures }} руб.{% else %}.{% endif %}",
    )
    doc.item(
        attached,
        "Копии апелляционной жалобы и приложенных к ней документов по числу лиц, участвующих в деле.",
    )
    doc.item(
        attached,
        "Документ, подтверждающий полномочия {% if collective %}лица, которому поручено ведение "
        "административного дела в интересах группы лиц{% else %}представителя{% endif %} "
        "(" + AUTHORITY + "), и копия документа о высшем юридическом образовании "
        "{{ representative.genitive }} либо удостоверения адвоката.",
    )
    motion_attached(doc, attached)
    extra_attachments(doc, attached)
    doc.signature(KAS_REPRESENTATIVE, claimants_sign_as="Административный истец", collective=True)
    restoration_motion(doc, civil=False)
    return doc


# --- 6. Апелляционная жалоба по гражданскому делу (ст. 320–322 ГПК РФ) ----------------------------


def appeal_civil() -> Template:
    """The special-rank employee's service dispute is decided under the Code of Civil Procedure: the
    appeal of the истец against the ответчик, filed through the court that decided (ст. 321 ч. 1),
    with the requisites of ст. 322 ч. 1 and the attachments of ст. 322 ч. 3–4."""
    doc = Template("Апелляционная жалоба")
    doc.block(("В {{ inputs.appeal_court }}", True))
    doc.block("через {{ case.court }}", gap=True)
    doc.block(("Дело № {{ case.court_number }}", True), gap=True)
    doc.tag("{%p if group %}")
    doc.block(("Истцы:", True))
    doc.tag("{%p for c in claimants %}")
    doc.block("{{ loop.index }}. {{ c.name }}, место жительства: {{ c.residence_address }}.")
    doc.tag("{%p endfor %}")
    doc.gap()
    doc.tag("{%p else %}")
    doc.block(("Истец: ", True), "{{ claimant.name }}")
    doc.block("Место жительства: {{ claimant.residence_address }}", gap=True)
    doc.tag("{%p endif %}")
    representative_block(doc, "Представитель " + GPK_PLAINTIFF_GEN)
    doc.block(("Ответчик: ", True), "{{ inputs.respondent }},")
    doc.block("адрес: {{ inputs.respondent_address }}", gap=True)
    # A worker's claim arising from the service relationship is free of the state fee at every instance
    # (подп. 1 п. 1 ст. 333.36 НК РФ, ст. 393 ТК РФ); verify with counsel for the appeal of a
    # special-rank employee.
    doc.block(
        ("Государственная пошлина: ", True),
        "{% if group %}истцы освобождены{% else %}истец освобождён{% endif %} от её уплаты "
        "(подп. 1 п. 1 ст. 333.36 НК РФ, ст. 393 ТК РФ)",
        gap=True,
    )

    doc.title(
        "АПЕЛЛЯЦИОННАЯ ЖАЛОБА",
        subtitle="на решение суда от {{ case.decision_date }} по гражданскому делу № {{ case.court_number }}",
    )
    doc.text(
        "{{ case.decision_date }} {{ case.court }} вынес решение по гражданскому делу № {{ case.court_number }} "
        "по исковому заявлению {% if group %}" + GENITIVE_LIST + "{% else %}{{ claimant.genitive }}{% endif %} "
        "(ответчик — {{ inputs.respondent }}). Указанным решением {% if inputs.decision_summary %}"
        "{{ inputs.decision_summary.rstrip('.') }}{% else %}в удовлетворении исковых требований отказано{% endif %}."
    )
    doc.text(
        "{% if group %}Истцы с решением суда не согласны, считают{% else %}Истец с решением суда не согласен, "
        "считает{% endif %} его незаконным и необоснованным, подлежащим отмене по следующим основаниям."
    )
    doc.heading("Доводы жалобы")
    doc.lines("inputs.arguments")
    doc.text(
        "Согласно ч. 1 ст. 330 ГПК РФ основаниями для отмены или изменения решения суда в апелляционном "
        "порядке являются неправильное определение обстоятельств, имеющих значение для дела; недоказанность "
        "установленных судом первой инстанции обстоятельств, имеющих значение для дела; несоответствие "
        "выводов суда первой инстанции, изложенных в решении суда, обстоятельствам дела; нарушение или "
        "неправильное применение норм материального права или норм процессуального права."
    )
    appeal_period_paragraph(doc, "ч. 2 ст. 321 ГПК РФ", "ст. 112 ГПК РФ", GPK_PLAINTIFF_GEN)
    doc.text("На основании изложенного, руководствуясь ст. 320–322, 328, 330 ГПК РФ,")
    doc.heading(we("ПРОШУ СУД:", "ПРОСИМ СУД:"))
    demands = doc.new_list()
    doc.item(
        demands,
        "Отменить решение суда первой инстанции ({{ case.court }}) от {{ case.decision_date }} по "
        "гражданскому делу № {{ case.court_number }}.",
    )
    doc.item(
        demands,
        "Принять по делу новое решение, которым исковые требования " + GPK_PLAINTIFF_GEN + " удовлетворить в "
        "полном объёме.",
    )
    attached = doc.attachments()
    doc.item(
        attached,
        "Документ, подтверждающий направление или вручение другим лицам, участвующим в деле, копий "
        "апелляционной жалобы и приложенных к ней документов, которые у них отсутствуют.",
    )
    doc.item(
        attached,
        "Документ, подтверждающий полномочия представителя (" + AUTHORITY + "), и копия документа о высшем "
        "юридическом образовании {{ representative.genitive }} либо удостоверения адвоката.",
    )
    motion_attached(doc, attached)
    extra_attachments(doc, attached)
    doc.signature("Представитель " + GPK_PLAINTIFF_GEN, claimants_sign_as="Истец")
    restoration_motion(doc, civil=True)
    return doc


# --- a claim's period for going to court (both claims) -------------------------------------------
#
# The context's ``filing_period`` (documents.context.filing_period) names the claimants for whom the
# period, counted by the deadlines app from their own dismissal order, has ended on the document's
# date. «Не пропущен» is said only of the others; for those named the claim says the period was
# missed for good reasons, gives the reasons typed (the form and the service refuse without them),
# cites the rule that lets the court restore it, and asks for that first. A claim needs no separate
# «ходатайство» page as an appeal does: the request to restore the period is made in the claim itself
# (the period is not a procedural act's, and the claim is what is filed late). Verify with counsel:
# for the CAS claim ч. 7 ст. 219 and ст. 95 КАС РФ; for the special-rank dispute which period governs
# (ч. 4 ст. 72 Федерального закона № 342-ФЗ or ч. 1 ст. 392 ТК РФ: both one month) and the restoration
# rule cited (ч. 5 ст. 392 ТК РФ, ст. 112 ГПК РФ).

KAS_FILING_RULE = (
    "Срок обращения в суд, установленный ч. 1 ст. 219 КАС РФ (три месяца со дня, когда гражданину "
    "стало известно о нарушении его прав, свобод и законных интересов)"
)
GPK_FILING_RULE = (
    "Срок обращения в суд по спору об увольнении (один месяц со дня ознакомления с приказом об "
    "увольнении, ч. 4 ст. 72 Федерального закона № 342-ФЗ, ч. 1 ст. 392 ТК РФ)"
)
# Those whose period ended, in the genitive: «Гусева Андрея Ильича (приказ от 1 октября 2026 г.) —
# 2 ноября 2026 г.; …». A sentence that ends with a date ends with its «г.».
ENDED_LIST = (
    "{% for m in filing_period.claimants %}{{ m.genitive }} (приказ от {{ m.dismissal_date_words }}) — "
    "{{ m.ends }}{% if not loop.last %}; {% endif %}{% endfor %}"
)
ENDED_DATIVE = "{% for m in filing_period.claimants %}{{ m.dative }}{% if not loop.last %}, {% endif %}{% endfor %}"


def filing_period_paragraphs(doc: Template, *, civil: bool) -> None:
    """The claim's sentences on its period for going to court: held for everyone (as the claim has
    always said it), or ended for some, named, with the reasons and the rule to restore it."""
    doc.tag("{%p if not filing_period.missed %}")
    if civil:
        doc.text(
            "Срок обращения в суд по спору об увольнении — один месяц со дня ознакомления с приказом об "
            "увольнении (ч. 4 ст. 72 Федерального закона № 342-ФЗ, ч. 1 ст. 392 ТК РФ) — не пропущен: "
            "{% if group %}с приказами об увольнении истцы ознакомлены не ранее дат их издания, указанных выше"
            "{% else %}оспариваемый приказ издан {{ claimant.dismissal_date_words }}, с ним истец ознакомлен "
            "не ранее этой даты{% endif %}."
        )
    else:
        doc.text(
            KAS_FILING_RULE + ", {% if group %}административными истцами не пропущен: о нарушении своих прав "
            "каждый из них узнал не ранее даты издания приказа в отношении него, указанной в таблице."
            "{% else %}административным истцом не пропущен: оспариваемый приказ издан "
            "{{ claimant.dismissal_date_words }}, о нём административному истцу стало известно не ранее этой "
            "даты.{% endif %}"
        )
    doc.tag("{%p else %}")
    plaintiffs = "истцами" if civil else "административными истцами"
    plaintiff_gen = ("{% if filing_period.claimants|length > 1 %}истцов{% else %}истца{% endif %}" if civil else
                     "{% if filing_period.claimants|length > 1 %}административных истцов{% else %}"
                     "административного истца{% endif %}")
    learned = ("с приказами об увольнении они ознакомлены не ранее дат их издания, указанных выше" if civil else
               "о нарушении своих прав каждый из них узнал не ранее даты издания приказа в отношении него, "
               "указанной в таблице")
    rule = GPK_FILING_RULE if civil else KAS_FILING_RULE
    doc.tag("{%p if group and not filing_period.all %}")
    doc.text(rule + ", " + plaintiffs + ", кроме названных в следующем абзаце, не пропущен: " + learned + ".")
    doc.tag("{%p endif %}")
    doc.text(
        "{% if group %}{% if filing_period.all %}" + rule + "{% else %}Срок обращения в суд{% endif %}, "
        "исчисляемый со дня издания приказа об увольнении, истёк для " + plaintiff_gen + " " + ENDED_LIST
        + "{% else %}" + rule + ", исчисляемый со дня издания оспариваемого приказа "
        "({{ claimant.dismissal_date_words }}), истёк {{ filing_period.claimants[0].ends }}{% endif %}"
    )
    doc.tag("{%p if inputs.period_reasons %}")
    doc.text("Срок пропущен по уважительным причинам:", keep_with_next=True)
    doc.lines("inputs.period_reasons")
    doc.tag("{%p endif %}")
    if civil:
        doc.text(
            "Пропущенный по уважительным причинам срок обращения в суд, установленный ч. 4 ст. 72 "
            "Федерального закона № 342-ФЗ и ч. 1 ст. 392 ТК РФ, может быть восстановлен судом (ч. 5 ст. 392 "
            "ТК РФ, ст. 112 ГПК РФ); просьба о его восстановлении изложена в просительной части искового "
            "заявления."
        )
    else:
        doc.text(
            "Пропущенный по уважительной причине срок подачи административного искового заявления может быть "
            "восстановлен судом (ч. 7 ст. 219, ст. 95 КАС РФ); просьба о его восстановлении изложена в "
            "просительной части административного искового заявления."
        )
    doc.tag("{%p endif %}")


def restore_filing_period(doc: Template, demands: int, *, civil: bool) -> None:
    """The claim's first demand when the period ended for anyone: to restore it for those named."""
    doc.tag("{%p if filing_period.missed %}")
    if civil:
        doc.item(
            demands,
            "Восстановить {% if filing_period.claimants|length > 1 %}истцам{% else %}истцу{% endif %} "
            + ENDED_DATIVE + " пропущенный срок обращения в суд по спору об увольнении.",
        )
    else:
        doc.item(
            demands,
            "Восстановить {% if filing_period.claimants|length > 1 %}административным истцам{% else %}"
            "административному истцу{% endif %} " + ENDED_DATIVE + " пропущенный срок обращения в суд с "
            "административным исковым заявлением.",
        )
    doc.tag("{%p endif %}")


# --- the period of an appeal, and the motion to restore it (shared by both appeals) ---------------
#
# The context's ``appeal_period`` (documents.context.appeal_period) says whether the period holds on
# the document's date, counted by the deadlines app: «не пропущен» only when the date of the decision
# in final form is given and the period has not ended; otherwise (ended, or the date not given) a
# motion to restore the period goes with the appeal, on its own pages after it, addressed to the
# court that made the decision (КАС ст. 95 ч. 2, ГПК ст. 112 ч. 2: the court where the act was to be
# done; the appeal is filed through it). Verify with counsel: the parts of ст. 95 КАС and ст. 112 ГПК
# cited, and whether ст. 302 КАС should be cited besides.

MOTION = "ходатайство о восстановлении пропущенного процессуального срока подачи апелляционной жалобы"


def appeal_period_paragraph(doc: Template, period_article: str, restore_article: str, plaintiff_gen: str) -> None:
    """The appeal's sentence on its period: kept, or over (and when), or the date not given; in
    the last two the motion to restore it is attached."""
    doc.tag("{%p if appeal_period.motion %}")
    doc.text(
        "Срок апелляционного обжалования, установленный " + period_article + " (один месяц со дня принятия "
        "решения суда в окончательной форме), {% if appeal_period.known %}истёк {{ appeal_period.ends }} "
        "(решение в окончательной форме изготовлено {{ inputs.final_form_date.words }}{% if inputs.received_date %}, "
        "копия решения получена {{ inputs.received_date.words }}{% endif %}); срок пропущен по уважительным "
        "причинам, в связи с чем к жалобе прилагается " + MOTION + " (" + restore_article + ")."
        "{% else %}исчисляется со дня изготовления решения в окончательной форме, сведений о дате которого у "
        + plaintiff_gen + " нет{% if inputs.received_date %} (копия решения получена "
        "{{ inputs.received_date.words }}){% endif %}. На случай, если срок будет признан пропущенным, к жалобе "
        "прилагается " + MOTION + " (" + restore_article + ").{% endif %}"
    )
    doc.tag("{%p else %}")
    doc.text(
        "Срок апелляционного обжалования, установленный " + period_article + " (один месяц со дня принятия "
        "решения суда в окончательной форме), не пропущен: он истекает {{ appeal_period.ends }} (решение в "
        "окончательной форме изготовлено {{ inputs.final_form_date.words }})."
    )
    doc.tag("{%p endif %}")


def motion_attached(doc: Template, list_id: int) -> None:
    """The appeal's attachments name the motion when it goes with it."""
    doc.tag("{%p if appeal_period.motion %}")
    doc.item(list_id, MOTION[:1].upper() + MOTION[1:] + ".")
    doc.tag("{%p endif %}")


def restoration_motion(doc: Template, *, civil: bool) -> None:
    """The motion to restore the missed period (КАС ст. 95; ГПК ст. 112), on a new page after the
    appeal: to the court that made the decision, naming the case, the decision, when it was made in
    final form (or that the date is not known) and when its copy was received, the reasons, and a
    request to restore the period and accept the appeal; signed as the appeal is."""
    if civil:
        case_kind, plaintiff_gen, plaintiff_dat = "гражданскому", GPK_PLAINTIFF_GEN, GPK_PLAINTIFF_DAT
        plaintiff_ins = "{% if group %}истцами{% else %}истцом{% endif %}"
        claim, respondent = "исковому заявлению", "ответчик"
        period_article, restore_law = "ч. 2 ст. 321 ГПК РФ", "ГПК РФ"
        restore_rule = (
            "В силу ч. 1 ст. 112 ГПК РФ лицам, пропустившим установленный федеральным законом процессуальный "
            "срок по причинам, признанным судом уважительными, пропущенный срок может быть восстановлен. "
            "Одновременно с настоящим ходатайством подаётся апелляционная жалоба (ч. 3 ст. 112 ГПК РФ)."
        )
        role, signs_as = "Представитель " + GPK_PLAINTIFF_GEN, "Истец"
    else:
        case_kind, plaintiff_gen, plaintiff_dat = "административному", KAS_PLAINTIFF_GEN, KAS_PLAINTIFF_DAT
        plaintiff_ins = "{% if group %}административными истцами{% else %}административным истцом{% endif %}"
        claim, respondent = "административному исковому заявлению", "административный ответчик"
        period_article, restore_law = "ч. 1 ст. 298 КАС РФ", "КАС РФ"
        restore_rule = (
            "В силу ч. 1 ст. 95 КАС РФ лицам, пропустившим установленный настоящим Кодексом процессуальный "
            "срок по причинам, признанным судом уважительными, процессуальный срок может быть восстановлен. "
            "Одновременно с настоящим ходатайством подаётся апелляционная жалоба (ч. 2 ст. 95 КАС РФ)."
        )
        role, signs_as = KAS_REPRESENTATIVE, "Административный истец"
    article = "ст. 112" if civil else "ст. 95"
    doc.tag("{%p if appeal_period.motion %}")
    doc.block(("В {{ case.court }}", True), gap=True, page_break=True)
    doc.block((("Дело" if civil else "Административное дело") + " № {{ case.court_number }}", True), gap=True)
    doc.tag("{%p if group %}")
    doc.block(("Истцы:" if civil else "Административные истцы:", True))
    doc.tag("{%p for c in claimants %}")
    doc.block("{{ loop.index }}. {{ c.name }}, место жительства: {{ c.residence_address }}.")
    doc.tag("{%p endfor %}")
    doc.gap()
    doc.tag("{%p else %}")
    doc.block(("Истец: " if civil else "Административный истец: ", True), "{{ claimant.name }}")
    doc.block("Место жительства: {{ claimant.residence_address }}", gap=True)
    doc.tag("{%p endif %}")
    representative_block(doc, role)
    doc.title("ХОДАТАЙСТВО", subtitle="о восстановлении пропущенного процессуального срока подачи апелляционной "
              "жалобы")
    doc.text(
        "{{ case.decision_date }} {{ case.court }} вынес решение по " + case_kind + " делу № {{ case.court_number }} "
        "по " + claim + " {% if group %}" + GENITIVE_LIST + "{% else %}{{ claimant.genitive }}{% endif %} ("
        + respondent + " — {{ inputs.respondent }})."
    )
    # A sentence that ends with a date ends with its «г.»: no second full stop.
    doc.text(
        "{% if appeal_period.known %}Решение в окончательной форме изготовлено {{ inputs.final_form_date.words }}, "
        "срок апелляционного обжалования, установленный " + period_article + ", истёк {{ appeal_period.ends }}"
        "{% else %}Сведений о дате изготовления решения в окончательной форме у " + plaintiff_gen + " нет; срок "
        "апелляционного обжалования, установленный " + period_article + ", исчисляется с этой даты и может быть "
        "признан пропущенным{% endif %}{% if inputs.received_date %}; копия решения суда получена " + plaintiff_ins
        + " {{ inputs.received_date.words }}{% elif not appeal_period.known %}.{% endif %}"
    )
    doc.tag("{%p if inputs.restore_reasons %}")
    doc.text("Срок {% if appeal_period.known %}пропущен{% else %}мог быть пропущен{% endif %} по уважительным "
             "причинам:", keep_with_next=True)
    doc.lines("inputs.restore_reasons")
    doc.tag("{%p endif %}")
    doc.text(restore_rule)
    doc.text("На основании изложенного, руководствуясь " + article + " " + restore_law + ",")
    doc.heading(we("ПРОШУ СУД:", "ПРОСИМ СУД:", collective=not civil))
    demands = doc.new_list()
    doc.item(
        demands,
        "Восстановить " + plaintiff_dat + " пропущенный процессуальный срок подачи апелляционной жалобы на "
        "решение суда первой инстанции ({{ case.court }}) от {{ case.decision_date }} по " + case_kind + " делу "
        "№ {{ case.court_number }}.",
    )
    doc.item(
        demands,
        "Принять апелляционную жалобу и направить " + ("гражданское" if civil else "административное")
        + " дело с апелляционной жалобой в суд апелляционной инстанции ({{ inputs.appeal_court }}).",
    )
    attached = doc.attachments()
    doc.item(attached, "Апелляционная жалоба на решение суда от {{ case.decision_date }} по " + case_kind + " делу "
             "№ {{ case.court_number }}.")
    doc.signature(role, claimants_sign_as=signs_as, collective=not civil)
    doc.tag("{%p endif %}")


TEMPLATES = {
    "kas22_claim.docx": kas22_claim,
    "reinstatement_claim.docx": reinstatement_claim,
    "lawyer_request.docx": lawyer_request,
    "prosecutor_complaint.docx": prosecutor_complaint,
    "appeal.docx": appeal,
    "appeal_civil.docx": appeal_civil,
}


def build(directory: Path = HERE) -> list[Path]:
    written = []
    for name, write in TEMPLATES.items():
        path = directory / name
        path.write_bytes(write().docx_bytes())
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path.name)
