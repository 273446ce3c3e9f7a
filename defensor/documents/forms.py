from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

DOCUMENT_PROFILE_FIELDS = ("name", "credentials", "contacts")


class DocumentProfileForm(forms.Form):
    """How the documents one generates name one as the representative."""

    name = forms.CharField(
        label=_("Full name"), max_length=200, required=False,
        help_text=_("Surname, first name and patronymic, as a court document writes them: «Смирнова Анна Викторовна»."),
    )
    credentials = forms.CharField(
        label=_("Status and credentials"), max_length=300, required=False,
        help_text=_("For example: «адвокат Адвокатской палаты Курской области, рег. № 46/123»."),
    )
    contacts = forms.CharField(
        label=_("Address for correspondence, phone, e-mail"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The page always sends every field: a request without any of them is not the form,
        # and must not blank the profile.
        if not any(name in self.data for name in DOCUMENT_PROFILE_FIELDS):
            raise forms.ValidationError(_("The form was not sent. Nothing was changed."))
        return data
