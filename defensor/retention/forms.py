"""The retention policy's form (administrators). An empty field keeps that kind for ever."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

MAX_DAYS = 3650  # ten years: longer than that is "keep", and the field can be left empty for it
MAX_YEARS = 75  # a lifetime of obligations; empty keeps them for ever


def _field(label: _StrPromise, help_text: _StrPromise, message: _StrPromise, top: int) -> forms.IntegerField:
    errors = {"invalid": message, "min_value": message, "max_value": message}
    return forms.IntegerField(label=label, help_text=help_text, required=False, min_value=1, max_value=top,
                              error_messages=errors, widget=forms.NumberInput(attrs={"min": 1, "max": top}))


class RetentionPolicyForm(forms.Form):
    spam_days = _field(
        _("Erase spam requests after (days)"),
        _("Counted from the day the request was marked as spam. Empty: never erase them."),
        _("Enter a whole number of days from 1 to 3650, or leave the field empty to keep spam requests."),
        MAX_DAYS,
    )
    rejected_days = _field(
        _("Erase rejected requests, with their files, after (days)"),
        _("Counted from the day the request was rejected. Empty: never erase them."),
        _("Enter a whole number of days from 1 to 3650, or leave the field empty to keep rejected requests."),
        MAX_DAYS,
    )
    closed_case_years = _field(
        _("Erase closed cases after (years)"),
        _("Counted from the day the case was closed; a case on legal hold is never erased. Empty: never erase them."),
        _("Enter a whole number of years from 1 to 75, or leave the field empty to keep closed cases."),
        MAX_YEARS,
    )
