"""Forms of the triage inbox (staff side of the intake)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from defensor.accounts.models import User
from defensor.cases.models import CaseKind
from defensor.core.forms import set_choices
from defensor.intake.canned import canned_replies
from defensor.intake.models import Channel, Status, Urgency
from defensor.people.selectors import Candidate

ORDER_CHOICES = [("urgency", _("most urgent first")), ("oldest", _("oldest first")), ("newest", _("newest first"))]


class InboxFilterForm(forms.Form):
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    assigned = forms.ChoiceField(label=_("Assigned to"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("any")), *Channel.choices], required=False)
    min_urgency = forms.TypedChoiceField(
        label=_("Urgency at least"), choices=Urgency.choices, coerce=int, required=False, empty_value=None
    )
    held = forms.BooleanField(label=_("Only requests held for review"), required=False)
    order = forms.ChoiceField(label=_("Order"), choices=ORDER_CHOICES, required=False)

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "assigned", [
            ("", _("anyone")), ("me", _("me")), ("nobody", _("nobody")),
            *[(str(u.pk), u.username) for u in users],
        ])


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[c for c in Status.choices if c[0] != Status.ACCEPTED]
    )


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "assignee", [("", _("nobody")), *[(str(u.pk), u.username) for u in users]])


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The person reads it with their receipt phrase. Write nothing that would harm them if "
                    "someone else read it over their shoulder."),
    )
    needs_info = forms.BooleanField(label=_("and mark as “needs information”"), required=False)


def canned_choices() -> list[tuple[str, str]]:
    return [(r.id, r.title) for r in canned_replies()]


class BulkForm(forms.Form):
    """An action for the requests ticked on the inbox page (their ids are read by the view)."""

    action = forms.ChoiceField(label=_("With the selected requests"))

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "action", [("", "—"), *bulk_actions(users)])


def bulk_actions(users: list[User]) -> list[tuple[str, Any]]:
    return [
        (str(_("Set status")), [(f"status:{v}", label) for v, label in Status.choices if v != Status.ACCEPTED]),
        (str(_("Assign to")), [("assign:", _("nobody")), *[(f"assign:{u.pk}", u.username) for u in users]]),
        (str(_("Send a prepared reply")), [(f"reply:{i}", title) for i, title in canned_choices()]),
        (str(_("Accept")), [(ACCEPT_INTO_GROUP, _("Accept into a group case…"))]),
    ]


ACCEPT_INTO_GROUP = "accept:group"  # hands the selection over to the bulk accept page (intake.accept_views)


class HotlineForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the receipt phrase and of our replies"),
        choices=[("ru", "Русский"), ("en", "English")], initial="ru",
    )


class AcceptForm(forms.Form):
    """Accept a request: who the person is (new or a known record) and where the work goes."""

    person = forms.ChoiceField(label=_("The person"), widget=forms.RadioSelect)
    case = forms.ChoiceField(label=_("The case"))
    case_title = forms.CharField(
        label=_("Title of the new case"), max_length=200, required=False,
        help_text=_("Leave empty to name it after the person."),
    )
    group = forms.BooleanField(label=_("The new case is a group claim"), required=False)
    case_kind = forms.ChoiceField(label=_("Kind of the new case"), choices=CaseKind.choices, required=False)

    def __init__(
        self, *args: Any, people: list[tuple[str, str]], cases: list[tuple[str, str]],
        candidates: list[tuple[Candidate, list[str]]], **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = candidates  # every match found (with reasons), readable or not
        self.certain: Candidate | None = None  # the known person preselected (intake.matches), if any
        self.certain_case: Any = None  # and the case their work is in, if any
        set_choices(self, "person", [("new", _("a new person record")), *people])
        set_choices(self, "case", [("new", _("open a new case")), *cases])


class InboxSearchForm(forms.Form):
    """One search box: what the term is (phone, surname, unit, date of birth) is told by its shape.
    Sent by POST only: a search term is personal data and never goes into an address."""

    term = forms.CharField(
        label=_("Search requests"), max_length=100, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),  # not kept in the browser's form history
        help_text=_("A phone number, a surname (in any alphabet), a unit number or a date of birth (dd.mm.yyyy)."),
    )


class BulkAcceptForm(forms.Form):
    """Accept the selected requests into one group claim: for each request who the person is
    (field ``person_<request id>``), and the group claim (an existing one, or a new one)."""

    case = forms.ChoiceField(label=_("Into the group claim"))
    case_title = forms.CharField(
        label=_("Title of the new group claim"), max_length=200, required=False,
    )
    case_kind = forms.ChoiceField(label=_("Kind of the new group claim"), choices=CaseKind.choices, required=False)

    def __init__(
        self, *args: Any, people: dict[str, list[tuple[str, str]]], cases: list[tuple[str, str]], **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "case", [("new", _("a new group claim")), *cases])
        for submission_id, choices in people.items():
            self.fields[f"person_{submission_id}"] = forms.ChoiceField(
                label=_("The person"), choices=choices, widget=forms.RadioSelect,
            )

    def person_field(self, submission_id: str) -> forms.BoundField:
        return self[f"person_{submission_id}"]

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("case") == "new" and not (data.get("case_title") or "").strip():
            self.add_error("case_title", _("Give the new group claim a title."))
        return data
