"""Forms of the case pages. Views parse with these and hand the cleaned values to services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.accounts.models import User
from defensor.cases.models import CaseKind, CaseOutcome, CaseStage, ClaimantStatus, EventKind, WithdrawalReason
from defensor.cases.services import ReasonRequired
from defensor.core.forms import date_field, set_choices


class CaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind of case"), choices=CaseKind.choices)
    group = forms.BooleanField(label=_("Group claim (several claimants)"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=CaseStage.choices, initial=CaseStage.PREPARATION)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CaseOutcome.choices, initial=CaseOutcome.PENDING)
    court = forms.CharField(label=_("Court"), max_length=300, required=False)
    court_number = forms.CharField(label=_("Court case number"), max_length=100, required=False)
    summary = forms.CharField(label=_("Summary"), max_length=20000, required=False,
                              widget=forms.Textarea(attrs={"rows": 5}))
    lead = forms.TypedChoiceField(label=_("Responsible lawyer (deadline reminders go to them)"), coerce=int,
                                  required=False, empty_value=None)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, users: list[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = users or []
        if "lead" in self.fields:
            set_choices(self, "lead", [(u.pk, u.get_username()) for u in users or []])


class CaseOpenForm(CaseForm):
    lead = None  # type: ignore[assignment]  # whoever opens the case, until they name someone else
    number = forms.CharField(
        label=_("Our case number"), max_length=32, required=False,
        help_text=_("Leave empty for the next number of the year."),
    )
    field_order = ["title", "number", "kind", "group", "stage", "outcome", "court", "court_number", "summary"]


class CaseFilterForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=32, required=False)
    kind = forms.ChoiceField(label=_("Kind of case"), choices=[("", _("any")), *CaseKind.choices], required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=[("", _("any")), *CaseStage.choices], required=False)


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=EventKind.choices)
    happened_on = date_field(_("Date"))
    approximate = forms.BooleanField(label=_("The date is approximate (the earliest day it can be)"),
                                     required=False)
    claimant = forms.TypedChoiceField(label=_("Claimant"), coerce=int, required=False, empty_value=None)
    text = forms.CharField(label=_("Details"), max_length=20000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, claimants: list[tuple[int, str]], **kwargs: Any) -> None:
        # The case page holds the case's own form too: ids of their own (its "kind" is not this one's).
        kwargs.setdefault("auto_id", "event_%s")
        super().__init__(*args, **kwargs)
        self.name_claimants(dict(claimants))
        self.fields["happened_on"].initial = timezone.localdate()

    def name_claimants(self, names: dict[int, str]) -> None:
        set_choices(self, "claimant", [("", _("the whole case")), *names.items()])


class ClaimantsEventForm(forms.Form):
    """One event for each claimant ticked on the roster (prefixed: it shares the roster's form
    with the status change)."""

    kind = forms.ChoiceField(label=_("What happened"), choices=EventKind.choices)
    happened_on = date_field(_("Date"))
    approximate = forms.BooleanField(label=_("The date is approximate (the earliest day it can be)"),
                                     required=False)
    text = forms.CharField(label=_("Details"), max_length=20000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "event")
        super().__init__(*args, **kwargs)
        self.fields["happened_on"].initial = timezone.localdate()


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note_%s")  # a label names one field only on the case page
        super().__init__(*args, **kwargs)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=500)
    assignee = forms.TypedChoiceField(label=_("Who"), coerce=int, required=False, empty_value=None)
    due_on = date_field(_("Due"), required=False)

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "task_%s")  # not the case's own title field
        super().__init__(*args, **kwargs)
        set_choices(self, "assignee", [("", _("nobody yet")), *[(u.pk, u.get_username()) for u in users]])


class ClaimantStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ClaimantStatus.choices)
    effective_on = date_field(_("Since"))
    reason = forms.ChoiceField(label=_("Why they withdraw"), choices=[("", "—"), *WithdrawalReason.choices],
                               required=False)
    incident = forms.BooleanField(label=_("Record the pressure as an incident"), required=False)
    note = forms.CharField(label=_("Note"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == ClaimantStatus.WITHDRAWN and not data.get("reason"):
            self.add_error("reason", ReasonRequired.user_message)
        return data


class ShareForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Team member or partner"), coerce=int)

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "user", [(u.pk, u.get_username()) for u in users])


class EventDateForm(forms.Form):
    happened_on = date_field(_("Correct date"))


class DeadlineMetForm(forms.Form):
    met_on = date_field(_("Met on"))

    def clean_met_on(self) -> Any:
        met_on = self.cleaned_data["met_on"]
        if met_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return met_on
