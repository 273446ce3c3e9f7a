"""The form that adds a saved public source to a case (staff/cases/<case>/evidence/public/): the file
as saved, its address, platform, time of capture, tool and who captured it.

The file streams in through the staff upload handler (evidence.uploads: sealed as it arrives, never
in memory or on disk in the clear), installed before the body is read and only for someone who holds
the case; CSRF is checked after, by our middleware. A refused form is shown again with what was
typed, its errors at the top; the file is not kept (its sealed blob is removed) and must be chosen
again, which the page says. A case the user does not hold is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from defensor.accounts.models import User
from defensor.accounts.permissions import acting_user
from defensor.cases.models import Case
from defensor.cases.selectors import case_for
from defensor.core.errors import DefensorError
from defensor.core.middleware import csrf_protect
from defensor.evidence.access import evidence_view
from defensor.evidence.custody_log import display_name
from defensor.evidence.public_source import (
    PLATFORMS,
    PublicSource,
    capture_zones,
    case_team,
    public_source_add,
    server_zone,
)
from defensor.evidence.uploads import EvidenceUploadHandler, SealedUpload
from defensor.keys.keyring import keyring_for

CAPTURE_FORMAT = "%Y-%m-%dT%H:%M"


class WallClockField(forms.DateTimeField):
    """A date and time as typed, without a zone (naive): the form's ``captured_zone`` gives it one."""

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(dt.UTC):  # parsed as it is, not moved into the server's zone
            parsed = super().to_python(value)
        return parsed.replace(tzinfo=None) if parsed is not None else None


class PublicSourceForm(forms.Form):
    """The fields beside the file (the file itself is the upload handler's)."""

    url = forms.CharField(
        label=gettext_lazy("Address (URL)"), max_length=2000,
        validators=[URLValidator(schemes=["http", "https"],
                                 message=gettext_lazy("Enter the full address, starting with http:// or https:// "
                                                      "(an .onion address too)."))],
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url", "autocomplete": "off"}))
    platform = forms.CharField(label=gettext_lazy("Platform"), max_length=100,
                               widget=forms.TextInput(attrs={"list": "platforms", "autocomplete": "off"}))
    captured_at = WallClockField(
        label=gettext_lazy("Captured at (local time in the zone below)"),
        input_formats=[CAPTURE_FORMAT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=CAPTURE_FORMAT))
    # Not required: a form sent without it (an older page) means the server's zone, as the select's default.
    captured_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone of that time"), required=False,
        help_text=gettext_lazy("Where the clock you read the time from was: the time is kept as a moment in UTC "
                               "and shown with this zone."))
    captured_with = forms.CharField(
        label=gettext_lazy("Captured with"), max_length=200,
        help_text=gettext_lazy("The tool and its version: “Hunchly 2.x”, “browser screenshot”, “yt-dlp”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    captured_by = forms.TypedChoiceField(label=gettext_lazy("Captured by"), coerce=int)
    description = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, team: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = {user.pk: user for user in team}
        self.fields["captured_by"].choices = [(user.pk, display_name(user)) for user in team]  # type: ignore[attr-defined]
        zones = capture_zones()
        self.fields["captured_zone"].choices = [(zone, zone) for zone in zones]  # type: ignore[attr-defined]
        self.fields["captured_zone"].initial = server_zone()
        # The browser's bound: now in the zone furthest ahead (the server checks the exact moment).
        latest = max(timezone.localtime(timezone=ZoneInfo(zone)).replace(tzinfo=None) for zone in zones)
        self.fields["captured_at"].widget.attrs["max"] = latest.strftime(CAPTURE_FORMAT)

    def clean_url(self) -> str:
        return str(self.cleaned_data["url"]).strip()

    def clean_captured_zone(self) -> str:
        return str(self.cleaned_data.get("captured_zone") or server_zone())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        wall_clock, zone = data.get("captured_at"), data.get("captured_zone")
        if isinstance(wall_clock, dt.datetime) and zone:
            captured = wall_clock.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
            if captured > timezone.now():
                self.add_error("captured_at", _("The time of capture cannot be in the future."))
            else:
                data["captured_at"] = captured
        return data

    def source(self) -> PublicSource:
        data = self.cleaned_data
        return PublicSource(url=data["url"], platform=data["platform"].strip(), captured_at=data["captured_at"],
                            captured_with=data["captured_with"].strip(), captured_by=self.team[data["captured_by"]],
                            description=data["description"], captured_zone=data["captured_zone"])


def _form_page(request: HttpRequest, case: Case, form: PublicSourceForm, file_errors: list[str],
               status: int = 200) -> HttpResponse:
    return render(request, "evidence/public_source.html", {
        "case": case, "form": form, "file_errors": file_errors, "platforms": [str(p) for p in PLATFORMS],
        "refused": status != 200,
    }, status=status)


@csrf_protect
def _submit(request: HttpRequest, case: Case, handler: EvidenceUploadHandler, kept: set[str]) -> HttpResponse:
    actor = acting_user(request)
    keyring = keyring_for(request)
    form = PublicSourceForm(request.POST, team=case_team(case=case))
    upload = request.FILES.get("file")
    file_errors = list(handler.errors)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(reverse("staff:case", args=[case.pk]) + "#evidence")
    if not isinstance(upload, SealedUpload) and not file_errors:
        file_errors.append(_("Please choose the saved file."))
    if file_errors or not form.is_valid() or not isinstance(upload, SealedUpload):
        return _form_page(request, case, form, file_errors, status=400)
    try:
        item = public_source_add(case=case, sealed=upload.sealed, name=upload.name or "file", source=form.source(),
                                 added_by=actor, keyring=keyring)
    except DefensorError as error:
        form.add_error(None, str(error.user_message))
        return _form_page(request, case, form, file_errors, status=400)
    kept.add(item.blob)
    messages.success(request, _("The saved public source was added to the evidence as No. %(number)d.")
                     % {"number": item.number})
    return redirect(reverse("staff:evidence-item", args=[case.pk, item.pk]))


@csrf_exempt
@evidence_view
@require_http_methods(["GET", "POST"])
def evidence_public_source_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = acting_user(request)
    case = case_for(actor=actor, case_id=case_id)
    if request.method != "POST":
        form = PublicSourceForm(team=case_team(case=case), initial={"captured_by": actor.pk})
        return _form_page(request, case, form, [])
    handler = EvidenceUploadHandler(request)
    request.upload_handlers = [handler]
    kept: set[str] = set()
    try:
        return _submit(request, case, handler, kept)
    finally:
        handler.remove_unkept(kept)
