"""Forms of the person page. Views parse with these and hand the cleaned values to services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from defensor.core.grammar import NAME_FORM_CASES
from defensor.people.services import NAME_FORM_MAX_LENGTH

NAME_FORM_LABELS = {
    "genitive": _("Genitive (of whom?)"),
    "dative": _("Dative (to whom?)"),
    "accusative": _("Accusative (whom?)"),
    "instrumental": _("Instrumental (by whom?)"),
    "prepositional": _("Prepositional (about whom?)"),
}


class NameFormsForm(forms.Form):
    """The lawyer's own text of the name in each case; empty: the library's form is used."""

    def __init__(self, *args: Any, computed: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for case in NAME_FORM_CASES:
            self.fields[case.value] = forms.CharField(
                label=NAME_FORM_LABELS[case.value],
                required=False,
                max_length=NAME_FORM_MAX_LENGTH,
                error_messages={"max_length": _(
                    "A form of the name can be at most %(limit_value)d characters long (this one has %(show_value)d)."
                )},
                widget=forms.TextInput(attrs={"placeholder": (computed or {}).get(case.value, "")}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The page always sends every field (empty or not): a request without any of them is
        # not the form, and must not clear the corrections.
        if not any(case.value in self.data for case in NAME_FORM_CASES):
            raise forms.ValidationError(_("The form was not sent. Nothing was changed."))
        return data

    def typed_forms(self) -> dict[str, str]:
        """The forms sent, by case name (a field left out of the request is left as it is)."""
        return {case.value: self.cleaned_data[case.value] for case in NAME_FORM_CASES if case.value in self.data}
