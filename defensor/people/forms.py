"""Forms of the person page. Views parse with these and hand the cleaned values to services."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.core.grammar import NAME_FORM_CASES, amount_in_words
from defensor.people import options
from defensor.people.identifiers import (
    IdentifierInvalid,
    birth_date_parsed,
    inn_normalised,
    passport_normalised,
    snils_normalised,
)
from defensor.people.models import Handle
from defensor.people.services import NAME_FORM_MAX_LENGTH, PERSON_FIELDS

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


# --- the person record --------------------------------------------------------------------------

FIELD_LABELS: dict[str, Any] = {
    "full_name": _("Full name"),
    "surname": _("Surname"),
    "given_name": _("Given name"),
    "patronymic": _("Patronymic"),
    "gender": _("Gender (for grammar)"),
    "birth_date": _("Date of birth"),
    "birth_place": _("Place of birth"),
    "residence_address": _("Residence address"),
    "postal_address": _("Postal address"),
    "passport": _("Passport (series and number)"),
    "snils": _("СНИЛС"),
    "inn": _("ИНН"),
    "unit": _("Military unit"),
    "service_category": _("Status in the service"),
    "force": _("Where they serve"),
    "region": _("Region of service"),
    "service_post": _("Post held (genitive, as after «в должности»)"),
    "monthly_pay": _("Monthly pay on the day of dismissal, roubles"),
    "notes": _("Notes"),
    "name_forms": _("Forms of the name in documents"),
}
GENDER_CHOICES = [("", _("as the patronymic shows")), ("m", _("male")), ("f", _("female"))]
_SHOWN_SALT = "defensor.people.edit.shown"


def birth_date_shown(stored: str | None) -> str:
    """A stored ISO date as the form shows it (dd.mm.yyyy); anything else as it was written."""
    if not stored:
        return ""
    try:
        return date.fromisoformat(stored).strftime("%d.%m.%Y")
    except ValueError:
        return stored


def _choices_with(choices: list[tuple[str, str]], stored: str | None) -> list[tuple[str, Any]]:
    """The list with an empty choice first, and a stored value no longer listed kept as it is."""
    listed: list[tuple[str, Any]] = [("", "—"), *choices]
    if stored and stored not in dict(choices):
        listed.append((stored, stored))
    return listed


class PersonForm(forms.Form):
    """The whole record in one form. It carries the digests of the values it showed (``shown``),
    so that only the fields the lawyer changed are written."""

    full_name = forms.CharField(label=FIELD_LABELS["full_name"], required=False, max_length=300, help_text=_(
        "Made from the parts below when you change them; type a different full name only if the name does "
        "not fit the parts (it is then kept as you typed it)."))
    surname = forms.CharField(label=FIELD_LABELS["surname"], required=False, max_length=100)
    given_name = forms.CharField(label=FIELD_LABELS["given_name"], required=False, max_length=100)
    patronymic = forms.CharField(label=FIELD_LABELS["patronymic"], required=False, max_length=100)
    gender = forms.ChoiceField(label=FIELD_LABELS["gender"], required=False, choices=GENDER_CHOICES, help_text=_(
        "How documents decline the name and agree words with it. Set it where the patronymic is missing or "
        "does not show it."))
    birth_date = forms.CharField(label=FIELD_LABELS["birth_date"], required=False, max_length=20,
                                 widget=forms.TextInput(attrs={"placeholder": _("dd.mm.yyyy")}))
    birth_place = forms.CharField(label=FIELD_LABELS["birth_place"], required=False, max_length=300)
    residence_address = forms.CharField(label=FIELD_LABELS["residence_address"], required=False, max_length=500)
    postal_same = forms.BooleanField(label=_("The postal address is the residence address"), required=False)
    postal_address = forms.CharField(label=FIELD_LABELS["postal_address"], required=False, max_length=500)
    passport = forms.CharField(label=FIELD_LABELS["passport"], required=False, max_length=40,
                               widget=forms.TextInput(attrs={"placeholder": "4509 123456"}))
    snils = forms.CharField(label=FIELD_LABELS["snils"], required=False, max_length=40,
                            widget=forms.TextInput(attrs={"placeholder": "112-233-445 95"}))
    inn = forms.CharField(label=FIELD_LABELS["inn"], required=False, max_length=40)
    unit = forms.CharField(label=FIELD_LABELS["unit"], required=False, max_length=100)
    service_category = forms.ChoiceField(label=FIELD_LABELS["service_category"], required=False)
    force = forms.ChoiceField(label=FIELD_LABELS["force"], required=False)
    region = forms.ChoiceField(label=FIELD_LABELS["region"], required=False)
    service_post = forms.CharField(label=FIELD_LABELS["service_post"], required=False, max_length=300,
                                   widget=forms.TextInput(attrs={"placeholder": "старшего инспектора отдела"}))
    monthly_pay = forms.CharField(
        label=FIELD_LABELS["monthly_pay"], required=False, max_length=40,
        help_text=_("The pay (денежное довольствие) for a month as it was on the day of dismissal: a claim for "
                    "reinstatement calculates the pay for the enforced absence from it."),
        widget=forms.TextInput(attrs={"placeholder": "54 321,00"}),
    )
    notes = forms.CharField(label=FIELD_LABELS["notes"], required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 4}))
    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, stored: Mapping[str, str | None], shown: Mapping[str, str], **kwargs: Any) -> None:
        """``stored``: the record's values now; ``shown``: their digests (services.field_digest)."""
        if not args and "data" not in kwargs:
            kwargs.setdefault("initial", {
                **{name: stored.get(name) or "" for name in PERSON_FIELDS},
                "birth_date": birth_date_shown(stored.get("birth_date")),
                "postal_same": bool(stored.get("postal_address"))
                and stored.get("postal_address") == stored.get("residence_address"),
                "shown": signing.dumps(dict(shown), salt=_SHOWN_SALT),
            })
        super().__init__(*args, **kwargs)
        for name, choices in (("service_category", options.service_category_choices()),
                              ("force", options.force_choices()), ("region", options.region_choices())):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared so above)
            field.choices = _choices_with(choices, stored.get(name))

    def _identifier(self, name: str, normalised: Callable[[str], str]) -> str:
        typed = self.cleaned_data.get(name, "").strip()
        if not typed:
            return ""
        try:
            return normalised(typed)
        except IdentifierInvalid as error:
            raise forms.ValidationError(str(error.user_message)) from None

    def clean_birth_date(self) -> str:
        return self._identifier(
            "birth_date", lambda typed: birth_date_parsed(typed, today=timezone.localdate()).isoformat()
        )

    def clean_passport(self) -> str:
        return self._identifier("passport", passport_normalised)

    def clean_snils(self) -> str:
        return self._identifier("snils", snils_normalised)

    def clean_inn(self) -> str:
        return self._identifier("inn", inn_normalised)

    def clean_monthly_pay(self) -> str:
        """A sum in roubles as typed («54 321,00», «54321.5 руб.»), stored as «54321.50»."""
        typed = self.cleaned_data.get("monthly_pay", "").strip()
        if not typed:
            return ""
        try:
            return str(monthly_pay_parsed(typed))
        except ValueError:
            raise forms.ValidationError(_(
                "Enter the monthly pay as a sum in roubles with at most two digits of kopecks, e.g. 54 321,00."
            )) from None

    def clean_shown(self) -> dict[str, str]:
        try:
            loaded = signing.loads(self.cleaned_data.get("shown", ""), salt=_SHOWN_SALT)
        except signing.BadSignature:
            loaded = None
        if not isinstance(loaded, dict):
            raise forms.ValidationError(_("The form was not sent as the page made it. Nothing was changed."))
        return {str(k): str(v) for k, v in loaded.items()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("full_name", "surname", "given_name", "patronymic"):
            if name in data:
                data[name] = " ".join(data[name].split())
        if not any(data.get(name) for name in ("full_name", "surname", "given_name", "patronymic")):
            self.add_error("full_name", _("A person record needs a name: enter at least the full name or the surname."))
        if data.get("postal_same"):
            data["postal_address"] = data.get("residence_address", "")
        return data

    def typed_values(self) -> dict[str, str]:
        """Every field of the record as typed and normalised ("" for empty)."""
        return {name: self.cleaned_data.get(name) or "" for name in PERSON_FIELDS}


def monthly_pay_parsed(typed: str) -> Decimal:
    """A monthly pay as typed: roubles and kopecks, more than zero (the rules of
    documents.context.parse_amount, which prints it in words). ValueError if it is not one."""
    cleaned = typed.replace("\u00a0", "").replace(" ", "").replace(",", ".").removesuffix("руб.").strip()
    try:
        amount = Decimal(cleaned)
        amount_in_words(amount)  # a sum of money: finite, not negative, whole kopecks
    except ArithmeticError:
        raise ValueError("not a sum") from None
    if amount <= 0:
        raise ValueError("not a pay")
    return amount.quantize(Decimal("0.01"))


class HandleForm(forms.Form):
    """A new way to reach the person."""

    kind = forms.ChoiceField(label=_("Way"), choices=Handle.Kind.choices)
    value = forms.CharField(label=_("Number, account or address"), max_length=200)
    safe_times = forms.CharField(label=_("Safe times"), required=False, max_length=200)
    safe_to_contact = forms.BooleanField(label=_("may leave messages and say who we are"), required=False)
