"""Choice widgets rendered straight to HTML.

Django renders a radio group through one template per option; on the intake, under a flood,
that was most of the CPU a page cost (bench/intake.py). These produce the same markup shape
(labels wrapping inputs, ids `id_<name>_<n>`), escaped with format_html. ``required`` (on radios
only: a box of a group is never required by itself) and ``aria-invalid`` given in ``attrs`` go on
each input; on a select, those and ``aria-describedby`` go on the select.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _state_attrs(attrs: dict[str, Any] | None, *, names: tuple[str, ...]) -> SafeString:
    """The accessibility attributes asked for, as markup: ``required``, ``aria-invalid="true"``..."""
    given = attrs or {}
    return format_html_join(
        "", " {}", ((name if given[name] is True else format_html('{}="{}"', name, given[name]),)
                    for name in names if given.get(name) not in (None, False))
    )


def _selected(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return {str(value)}


class _FastChoiceInputs(forms.Widget):
    input_type = "radio"
    choices: Iterable[tuple[Any, Any]] = ()

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Iterable[tuple[Any, Any]] = ()) -> None:
        super().__init__(attrs)
        self.choices = list(choices)

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        selected = _selected(value)
        base_id = (attrs or {}).get("id") or f"id_{name}"
        checked = mark_safe(" checked")
        names = ("required", "aria-invalid") if self.input_type == "radio" else ("aria-invalid",)
        state = _state_attrs(attrs, names=names)
        rows = []
        for index, (option_value, label) in enumerate(self.choices):
            option_id = f"{base_id}_{index}"
            mark = checked if str(option_value) in selected else ""
            rows.append((option_id, self.input_type, name, option_value, option_id, mark, state, label))
        inner = format_html_join(
            "\n", '<div><label for="{}"><input type="{}" name="{}" value="{}" id="{}"{}{}> {}</label></div>', rows
        )
        return format_html('<div id="{}">{}</div>', base_id, inner)

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else id_


class FastRadioSelect(_FastChoiceInputs):
    input_type = "radio"


class FastCheckboxSelectMultiple(_FastChoiceInputs):
    input_type = "checkbox"
    allow_multiple_selected = True

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        getter = getattr(data, "getlist", None)
        return getter(name) if getter is not None else data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # an unticked group sends nothing, and that is an answer


class FastSelect(forms.Widget):
    """A <select> with option groups: choices are (value, label) or (group, [(value, label), ...])."""

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Iterable[Any] = ()) -> None:
        super().__init__(attrs)
        self.choices = list(choices)

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        selected = _selected(value)

        def options(pairs: Iterable[tuple[Any, Any]]) -> SafeString:
            return format_html_join(
                "", '<option value="{}"{}>{}</option>',
                ((v, mark_safe(" selected") if str(v) in selected else "", label) for v, label in pairs),
            )

        parts = []
        for item_value, item_label in self.choices:
            if isinstance(item_label, list | tuple):
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', item_value, options(item_label)))
            else:
                parts.append(options([(item_value, item_label)]))
        base_id = (attrs or {}).get("id") or f"id_{name}"
        state = _state_attrs(attrs, names=("required", "aria-invalid", "aria-describedby"))
        return format_html('<select name="{}" id="{}"{}>{}</select>', name, base_id, state, mark_safe("".join(parts)))  # noqa: S308
