"""Form pieces every app's forms share: dates as the team types them, choices set per request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATE_ERRORS = {"invalid": _("Enter a date like 25.05.2022.")}


def date_field(label: Any, *, required: bool = True, widget: forms.Widget | None = None) -> forms.DateField:
    """A date typed 25.05.2022 (or picked: the browser sends 2022-05-25)."""
    return forms.DateField(label=label, required=required, input_formats=DATE_FORMATS, error_messages=DATE_ERRORS,
                           widget=widget or forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    """Choices known only per request (the team, a case's claimants)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(name)
    field.choices = choices
