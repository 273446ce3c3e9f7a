"""A Django form for one questionnaire step, built from the questionnaire's data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import phonenumbers
from django import forms
from django.utils import translation
from django.utils.dates import MONTHS
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from defensor.intake.dates import EARLIEST_DATE, DateMistake, DateParts, GivenDate, given_date, typed_date
from defensor.intake.questionnaire import Answers, Question, Questionnaire, Step, regions
from defensor.intake.widgets import FastCheckboxSelectMultiple, FastRadioSelect, FastSelect

__all__ = ["EARLIEST_DATE", "StepForm", "answer_rows", "display_answer", "initial_from", "render_fields"]

FOLLOW_UP_HINT = _("Only if it applies to you.")
YES_NO_LABELS = {"yes": _("Yes"), "no": _("No"), "unknown": _("I don't know / don't remember")}
DATE_PART_LABELS = {"day": _("Day"), "month": _("Month"), "year": _("Year")}
ROUGHLY_LABEL = _("Roughly — I don't remember exactly")
DATE_ERRORS = {
    "letters": _("Type the day and the year in figures, for example 15 and 2022."),
    "day_without_month": _("Choose the month of this day."),
    "no_year": _("Type the year, for example 2022."),
    "year": _("Please check the year of this date."),
    "whole_date": _("Enter the day, the month and the year."),
    "no_such_day": _("This month has no such day: please check the day."),
}


class DatePartsInput(forms.Widget):
    """Day, month and year typed apart (and the "roughly" box): ``<name>_day``, ``<name>_month``,
    ``<name>_year``, ``<name>_approximate``; markup by ``_date_parts``. One value posted as
    ``<name>`` ("20.02.2022", "2022-03") is read too: the tests' and a stale page's way."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> DateParts:
        if any(f"{name}_{part}" in data for part in ("day", "month", "year")):
            day, month, year = (str(data.get(f"{name}_{part}") or "").strip()[:20] for part in ("day", "month", "year"))
            return DateParts(day, month, year, approximate=bool(data.get(f"{name}_approximate")))
        return DateParts.from_answer(data.get(name), data.get(f"{name}_approximate"))

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class GivenDateField(forms.Field):
    """A date as a person remembers it (dates.py): with ``rough_allowed``, a month and a year or a
    year alone, and the "roughly" box; otherwise a whole date."""

    widget = DatePartsInput

    def __init__(self, *, rough_allowed: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rough_allowed = rough_allowed

    def clean(self, value: Any) -> GivenDate | None:
        parts = value if isinstance(value, DateParts) else DateParts.from_answer(value)
        if not self.rough_allowed:
            parts = DateParts(parts.day, parts.month, parts.year)
        try:
            given = typed_date(parts, rough_allowed=self.rough_allowed)
        except DateMistake as mistake:
            raise forms.ValidationError(DATE_ERRORS[mistake.code], code=mistake.code) from None
        if given is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return given


def follow_up_hint(question: Question, step: Step) -> str:
    """Words for a follow-up shown before its condition can be known: which answer above it is
    for («Только если выше вы ответили «Да»»), or, for a condition of several parts, "if it applies"."""
    condition = question.show_if
    asked = next((q for q in step.questions if condition is not None and q.id == condition.question), None)
    if condition is None or condition.kind not in {"equals", "in"} or asked is None:
        return str(FOLLOW_UP_HINT)
    labels = {o.value: str(o.label) for o in asked.options} if asked.options else {
        value: str(label) for value, label in YES_NO_LABELS.items()
    }
    # Most of the answers open it («pressure_details»: any pressure but «none»): name the rest, shorter.
    others = [value for value in labels if value not in condition.values]
    if len(condition.values) > 2 and len(others) == 1:
        left_out = ", ".join(f"«{labels[v]}»" for v in others)
        return _("Only if you chose anything above but %(answers)s.") % {"answers": left_out}
    quoted = [f"«{labels.get(v, v)}»" for v in condition.values]
    either = _("or")
    shown = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} {either} {quoted[-1]}"
    if asked.options:  # a choice is chosen, a yes/no question answered
        return _("Only if you chose %(answers)s above.") % {"answers": shown}
    return _("Only if you answered %(answers)s above.") % {"answers": shown}


def _region_choices() -> list[tuple[str, Any]]:
    return _region_choices_in((get_language() or "ru")[:2])


@cache
def _region_names_in(language: str) -> dict[str, str]:
    with translation.override(language):
        return {r.code: str(r.name) for r in regions()}


@cache
def _region_choices_in(language: str) -> list[tuple[str, Any]]:
    names = _region_names_in(language)
    russia = [(r.code, names[r.code]) for r in regions() if not r.annexed and r.code != "OTHER"]
    annexed = [(r.code, names[r.code]) for r in regions() if r.annexed]
    other = [(r.code, names[r.code]) for r in regions() if r.code == "OTHER"]
    with translation.override(language):
        return [
            ("", "—"),
            (str(_("Regions of Russia")), russia),
            (str(_("Ukrainian territories annexed by Russia")), annexed),
            *other,
        ]


# (step id, language, questions shown, follow-ups) -> (the step they were made from, its fields)
_step_fields: dict[tuple[str, str, tuple[str, ...], frozenset[str]], tuple[Step, dict[str, forms.Field]]] = {}
MAX_STEP_FIELDS = 1000  # a few dozen in use; a forged state's odd combinations cannot grow it for ever


class StepForm(forms.Form):
    """Visible questions of one step; hidden ones are neither shown nor validated."""

    def __init__(self, *args: Any, step: Step, answers: Answers, show_all: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        self.known_answers = answers
        # A follow-up on an answer given on this same page cannot be decided before the page is
        # sent (no JavaScript): it is shown at once, marked "only if it applies", and kept only
        # if its condition holds once the page is sent. ``show_all`` (the hotline's one-page form)
        # shows every question that way, files excepted (none arrive by phone).
        if show_all:
            shown = [q for q in step.questions if q.type != "attachment"]
        else:
            shown = [q for q in step.questions if q.visible(answers) or q.follows_up_on(step)]
        self.follow_ups = {q.id for q in shown if not q.visible(answers)}
        self.questions = [q for q in shown if q.type != "attachment"]
        self.attachment_questions = [q for q in shown if q.type == "attachment"]
        # A page that joins several topics has a heading above the first question of each.
        self.sections = {q.id: str(q.section) for q in self.questions if q.section is not None}
        # The fields depend only on the step, the language and which questions are shown (and
        # how): made once and shared by every form like it, since building them is most of a
        # page's cost under a flood. Nothing changes a field once made (values live in the form).
        key = (step.id, get_language() or "", tuple(q.id for q in self.questions), frozenset(self.follow_ups))
        made = _step_fields.get(key)
        if made is None or made[0] is not step:
            if len(_step_fields) > MAX_STEP_FIELDS:
                _step_fields.clear()
            fields = {q.id: self._field(q, follow_up=q.id in self.follow_ups) for q in self.questions}
            made = _step_fields[key] = (step, fields)
        self.fields.update(made[1])

    def _field(self, question: Question, *, follow_up: bool = False) -> forms.Field:
        field = self._make_field(question, follow_up=follow_up)
        # Plain words, not «Обязательное поле.»; the summary at the top repeats the question itself.
        field.error_messages["required"] = CONSENT_NEEDED if question.type == "consent" else ANSWER_NEEDED
        return field

    def _make_field(self, question: Question, *, follow_up: bool = False) -> forms.Field:
        help_text = str(question.help) if question.help else ""
        if follow_up:
            help_text = f"{follow_up_hint(question, self.step)} {help_text}".strip()
        common: dict[str, Any] = {
            "label": str(question.label),
            "required": question.required and not follow_up,
            "help_text": help_text,
        }
        kind = question.type
        if kind == "short_text":
            return forms.CharField(max_length=question.max_length, **common)
        if kind == "long_text":
            return forms.CharField(
                max_length=question.max_length, widget=forms.Textarea(attrs={"rows": 5}), **common
            )
        if kind == "single_choice":
            return forms.ChoiceField(
                choices=[(o.value, str(o.label)) for o in question.options], widget=FastRadioSelect, **common
            )
        if kind == "multiple_choice":
            return forms.MultipleChoiceField(
                choices=[(o.value, str(o.label)) for o in question.options],
                widget=FastCheckboxSelectMultiple, **common,
            )
        if kind == "yes_no":
            answers = ("yes", "no", "unknown") if question.unsure else ("yes", "no")
            return forms.ChoiceField(
                choices=[(a, YES_NO_LABELS[a]) for a in answers], widget=FastRadioSelect, **common
            )
        if kind == "date":
            return GivenDateField(rough_allowed=question.approximate, **common)
        if kind == "phone":
            return forms.CharField(
                max_length=40, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}), **common
            )
        if kind == "region":
            return forms.ChoiceField(choices=_region_choices(), widget=FastSelect, **common)
        if kind == "consent":
            return forms.BooleanField(**common)
        raise ValueError(kind)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        page = {k: v for k, v in data.items() if v not in (None, "", [], False)}
        for question in self.questions:
            if (
                question.id in self.follow_ups
                and question.required
                and question.id not in page
                and question.visible({**self.known_answers, **{k: str(v) if not isinstance(v, list) else v
                                                               for k, v in page.items()}})
            ):
                self.add_error(question.id, str(ANSWER_NEEDED))
            value = data.get(question.id)
            if question.type == "phone" and value:
                try:
                    number = phonenumbers.parse(value, "RU")
                    valid = phonenumbers.is_possible_number(number)
                except phonenumbers.NumberParseException:
                    valid = False
                if not valid:
                    self.add_error(question.id, _("This does not look like a phone number. Example: +7 916 123-45-67."))
        return data

    def answers(self) -> dict[str, Any]:
        """The cleaned answers as plain JSON values (dates as "YYYY-MM-DD", "YYYY-MM" or "YYYY",
        phones as E.164, empty dropped). A date that may be rough also gives ``<id>_approximate``:
        "yes" when the box is ticked, else None, so that a box ticked earlier and now cleared
        replaces the old flag (``Questionnaire.visible_answers`` drops the None)."""
        result: dict[str, Any] = {}
        for question in self.questions:
            value: Any = self.cleaned_data.get(question.id)
            if value in (None, "", [], False):
                continue
            if question.type == "date":
                if question.approximate:
                    ticked = isinstance(self[question.id].data, DateParts) and self[question.id].data.approximate
                    result[f"{question.id}_approximate"] = "yes" if ticked else None
                value = value.stored
            elif question.type == "phone":
                number = phonenumbers.parse(str(value), "RU")
                value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            elif question.type == "consent":
                value = "yes"
            result[question.id] = value
        return result


def render_fields(form: StepForm) -> SafeString:
    """The form's fields as HTML, without a template per field and widget.

    Same markup as templates/form_fields.html (label, widget, errors, hint); on the intake this
    is the page's main cost under a flood, so it is written out here (escaped by format_html).
    A step shown for the first time (nothing typed, nothing to correct) is the same page for
    every visitor, so that markup is made once per step, language and set of follow-ups.
    """
    if form.is_bound or any(v not in (None, "", []) for v in form.initial.values()):
        return _render_fields(form)
    # Which questions are shown is part of the key: a question whose condition looks at an earlier
    # page is shown to some visitors and not to others, with the same follow-ups.
    key = (form.step.id, form.prefix or "", (get_language() or "ru")[:2], tuple(sorted(form.follow_ups)),
           tuple(form.fields))
    cached = _pristine_pages.get(key)
    if cached is None or cached[0] is not form.step:
        cached = _pristine_pages[key] = (form.step, _render_fields(form))
    return cached[1]


# step id, form prefix, language, follow-ups, questions shown
#   -> (the step object it was made from, its empty fields' markup)
_pristine_pages: dict[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], tuple[Step, SafeString]] = {}


def _render_fields(form: forms.Form) -> SafeString:
    """Each field with its label (a legend for a group of choices), «required» in words and in the
    markup, then its hint and its error, both tied to the field by ``aria-describedby`` (ids that
    exist on the page), and the field itself, ``aria-invalid`` when refused."""
    parts: list[str] = []
    if form.non_field_errors():
        parts.append(_errors(form.non_field_errors(), ""))
    sections: dict[str, str] = getattr(form, "sections", {})
    for bound in form.visible_fields():
        if bound.name in sections:
            parts.append(format_html('<h2 class="section">{}</h2>', sections[bound.name]))
        field_id = bound.auto_id or f"id_{bound.html_name}"
        hint_id = f"{field_id}_hint" if bound.help_text else ""
        error_id = f"{field_id}_error" if bound.errors else ""
        described = " ".join(i for i in (hint_id, error_id) if i)
        label = format_html(
            "{}{}", bound.label,
            format_html(' <span class="required">({})</span>', REQUIRED_MARK) if bound.field.required else "",
        )
        hint = format_html('<div class="hint" id="{}">{}</div>', hint_id, bound.help_text) if hint_id else ""
        error = _errors(bound.errors, error_id) if error_id else ""
        if isinstance(bound.field, GivenDateField):
            parts.append(_date_parts(bound, bound.field, label=label, hint=hint, error=error, described=described))
            continue
        widget = _widget(bound, described)
        if isinstance(bound.field.widget, FastRadioSelect | FastCheckboxSelectMultiple):
            described_attr = format_html(' aria-describedby="{}"', described) if described else ""
            parts.append(format_html(
                '<div class="field{}"><fieldset class="choices"{}><legend class="label">{}</legend>\n{}{}{}'
                "</fieldset></div>",
                " has-error" if bound.errors else "", described_attr, label, hint, error, widget,
            ))
        else:
            parts.append(format_html(
                '<div class="field{}"><label for="{}">{}</label>\n{}{}{}</div>',
                " has-error" if bound.errors else "", bound.id_for_label, label, hint, error, widget,
            ))
    parts.extend(str(bound) for bound in form.hidden_fields())
    return mark_safe("\n".join(parts))  # noqa: S308 - every part above is escaped


REQUIRED_MARK = _("required")
ANSWER_NEEDED = _("Please answer this question.")
CONSENT_NEEDED = _("Tick this box to send your request.")
ERROR_WORD = _("Error:")


def _errors(errors: Any, error_id: str) -> SafeString:
    """A field's error, its id named by the field's ``aria-describedby``; "Error:" is read out before it."""
    paragraphs = format_html_join(
        "", '<p><span class="visually-hidden">{} </span>{}</p>', ((ERROR_WORD, e) for e in errors)
    )
    if not error_id:
        return format_html('<div class="error">{}</div>', paragraphs)
    return format_html('<div class="error" id="{}">{}</div>', error_id, paragraphs)


def _date_parts(bound: forms.BoundField, field: GivenDateField, *, label: str, hint: str, error: str,
                described: str) -> SafeString:
    """A date question as a group: its legend, hint and error, then «День» (its id is the field's,
    where the error summary's link goes), «Месяц», «Год», and for a date that may be rough the
    «Примерно» box. Plain text inputs and a select: no script, no browser date picker."""
    value = bound.value()
    parts = value if isinstance(value, DateParts) else DateParts.from_answer(value)
    field_id, name = bound.auto_id, bound.html_name
    whole = field.required and not field.rough_allowed
    state = mark_safe(' aria-invalid="true"') if bound.errors else ""
    required = mark_safe(" required")
    months = format_html_join("", '<option value="{}"{}>{}</option>', (
        (number, mark_safe(" selected") if parts.month == str(number) else "", name_)
        for number, name_ in [("", "—"), *MONTHS.items()]
    ))
    day = format_html(
        '<label for="{}" class="date-part"><span>{}</span> <input type="text" inputmode="numeric"'
        ' name="{}_day" value="{}" id="{}" class="date-day" maxlength="2" autocomplete="off"{}{}{}></label>',
        field_id, DATE_PART_LABELS["day"], name, parts.day, field_id, required if whole else "", state,
        format_html(' aria-describedby="{}"', described) if described else "",
    )
    month = format_html(
        '<label for="{}_month" class="date-part date-month-part"><span>{}</span>'
        ' <select name="{}_month" id="{}_month" class="date-month"{}{}>{}</select></label>',
        field_id, DATE_PART_LABELS["month"], name, field_id, required if whole else "", state, months,
    )
    year = format_html(
        '<label for="{}_year" class="date-part"><span>{}</span> <input type="text" inputmode="numeric"'
        ' name="{}_year" value="{}" id="{}_year" class="date-year" maxlength="4" autocomplete="off"{}{}></label>',
        field_id, DATE_PART_LABELS["year"], name, parts.year, field_id, required if field.required else "", state,
    )
    roughly = format_html(
        '<div class="date-roughly"><label for="{}_approximate"><input type="checkbox" name="{}_approximate"'
        ' value="yes" id="{}_approximate"{}> {}</label></div>',
        field_id, name, field_id, mark_safe(" checked") if parts.approximate else "", ROUGHLY_LABEL,
    ) if field.rough_allowed else ""
    return format_html(
        '<div class="field{}"><fieldset class="date"{}><legend class="label">{}</legend>\n{}{}'
        '<div class="date-parts">{}{}{}</div>{}</fieldset></div>',
        " has-error" if bound.errors else "",
        format_html(' aria-describedby="{}"', described) if described else "",
        label, hint, error, day, month, year, roughly,
    )


def error_links(form: forms.Form) -> list[tuple[str, str, str]]:
    """The refused fields in page order, for the summary at the top: (the id its link goes to — the
    field itself, or a group's first choice —, the field's label, the first error)."""
    return [
        (bound.id_for_label, str(bound.label), str(bound.errors[0]))
        for bound in form.visible_fields() if bound.errors
    ]


def _widget(bound: forms.BoundField, described: str = "") -> SafeString:
    widget = bound.field.widget
    value = bound.value()
    state: dict[str, Any] = {}
    if bound.field.required:
        state["required"] = True
    if bound.errors:
        state["aria-invalid"] = "true"
    if isinstance(widget, FastRadioSelect | FastCheckboxSelectMultiple):
        return widget.render(bound.html_name, value, {"id": bound.auto_id, **state})
    if described:
        state["aria-describedby"] = described
    if isinstance(widget, FastSelect):
        return widget.render(bound.html_name, value, {"id": bound.auto_id, **state})
    attrs = {
        k: v for k, v in bound.build_widget_attrs(widget.attrs).items()
        if k not in {"type", "required", "aria-invalid", "aria-describedby"}
    }
    attrs.update(state)
    extra = format_html_join(
        "", " {}", ((k if v is True else format_html('{}="{}"', k, v),) for k, v in attrs.items()
                    if v not in (None, False))
    )
    if isinstance(widget, forms.Textarea):
        return format_html('<textarea name="{}" id="{}"{}>\n{}</textarea>', bound.html_name, bound.auto_id, extra,
                           value or "")
    if isinstance(widget, forms.CheckboxInput):
        checked = mark_safe(" checked") if value else ""
        return format_html(
            '<input type="checkbox" name="{}" id="{}"{}{}>', bound.html_name, bound.auto_id, checked, extra
        )
    kind = attrs.get("type") or widget.attrs.get("type") or getattr(widget, "input_type", "text")
    return format_html('<input type="{}" name="{}" value="{}" id="{}"{}>', kind, bound.html_name, value or "",
                       bound.auto_id, extra)


def initial_from(answers: Answers, step: Step) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for question in step.questions:
        if question.id in answers:
            value = answers[question.id]
            if question.type == "date":
                value = DateParts.from_answer(value, answers.get(f"{question.id}_approximate"))
            initial[question.id] = value == "yes" if question.type == "consent" else value
    return initial


def answer_rows(
    questionnaire: Questionnaire, answers: Answers, *, files: Mapping[str, Sequence[Any]] | None = None
) -> list[tuple[Step, list[tuple[str, str | None]]]]:
    """The visible answers, step by step, as (question, answer) text in the current language: the
    person's review page and the team's reading of a request show the same thing."""
    answered = []
    for step in questionnaire.visible_steps(answers):
        rows: list[tuple[str, str | None]] = []
        for question in step.questions:
            if not question.visible(answers):
                continue
            if question.type == "attachment":
                names = ", ".join(f.name for f in (files or {}).get(question.id, []))
                rows.append((str(question.label), names or None))
            else:
                rows.append((str(question.label), display_answer(question, answers.get(question.id), answers=answers)))
        answered.append((step, rows))
    return answered


def _option_labels(question: Question) -> dict[str, Any]:
    """{option's value: its label (a Text)}, made once per question (questions never change)."""
    made = _OPTION_LABELS.get(id(question))
    if made is None or made[0] is not question:
        if len(_OPTION_LABELS) > 10_000:  # a few hundred questions in all versions
            _OPTION_LABELS.clear()
        made = _OPTION_LABELS[id(question)] = (question, {o.value: o.label for o in question.options})
    return made[1]


_OPTION_LABELS: dict[int, tuple[Question, dict[str, Any]]] = {}


def display_answer(question: Question, value: Any, *, answers: Answers | None = None) -> str | None:
    """An answer as words in the current language. A date needs all ``answers`` to see its
    "roughly" flag: «15.03.2022», «≈ 03.2022 (примерно)»."""
    if value in (None, "", []):
        return None
    labels: Mapping[str, Any] = _option_labels(question)  # the chosen ones are put in words below
    if question.type == "yes_no":
        labels = YES_NO_LABELS
    if question.type == "consent":
        return str(_("Yes"))
    if question.type == "date" and isinstance(value, str):
        given = given_date({**(answers or {}), question.id: value}, question.id)
        if given is None:
            return value
        if given.approximate:
            return str(_("≈ %(date)s (roughly)") % {"date": given.shown})
        return given.shown  # as Russian readers write dates
    if question.type == "region":
        labels = _region_names_in((get_language() or "ru")[:2])
    if isinstance(value, list):
        return ", ".join(str(labels.get(v, v)) for v in value)
    return str(labels.get(value, value))
