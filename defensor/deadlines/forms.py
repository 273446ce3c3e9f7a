"""Forms of the working-day calendar's page (administrators). Views parse with these and hand the
cleaned values to services."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.core.forms import date_field

FIRST_YEAR = 2000
YEARS_AHEAD = 5  # a production calendar is decreed the autumn before; five years is already a guess


def last_year() -> int:
    return timezone.localdate().year + YEARS_AHEAD


def _in_range(day: date) -> date:
    if not FIRST_YEAR <= day.year <= last_year():
        raise ValidationError(_("Enter a date from 01.01.%(first)d to 31.12.%(last)d."), code="range",
                              params={"first": FIRST_YEAR, "last": last_year()})
    return day


class CalendarDayForm(forms.Form):
    """A day a decree changed: made a non-working day (or a working one), and which decree."""

    day = date_field(_("Date"))
    working = forms.TypedChoiceField(
        label=_("The day becomes"), coerce=lambda value: value == "working", initial="off",
        choices=[("off", _("a non-working day")), ("working", _("a working day"))],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=200,
        help_text=_("The decree, e.g. «Указ Президента РФ от 23.04.2020 № 294»."),
        error_messages={"required": _("Give the reason: the decree that changed the day, with its date and number.")},
    )

    def clean_day(self) -> date:
        return _in_range(self.cleaned_data["day"])


class CalendarDayRemoveForm(forms.Form):
    day = date_field(None, widget=forms.HiddenInput())


class PublishedYearForm(forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput,
                              error_messages={"invalid": _("Enter a year, e.g. 2027."),
                                              "required": _("Enter a year, e.g. 2027.")})

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if not FIRST_YEAR <= year <= last_year():
            raise ValidationError(_("Enter a year from %(first)d to %(last)d."), code="range",
                                  params={"first": FIRST_YEAR, "last": last_year()})
        return year
