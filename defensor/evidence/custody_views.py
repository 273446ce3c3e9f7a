"""The chain of custody page of an evidence item (staff/cases/<case>/evidence/<item>/custody/): every
event in words with its hash, the result of checking the chain (``verify.verify_item``: the chain,
the item's status and flags against it, it against the audit log), and the form that records a
hand-over. Reading the page is an audited read, not a custody event (the file is not opened). A case
the user does not hold, or an item not in it, is 404.

The stored file's SHA-256 is recomputed on every view only up to ``AUTO_CHECK_BYTES`` (hashing a
2 GB video takes seconds); a larger one when the user presses "Check the stored file now" (a POST
to the page, recorded in the audit event of the read)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from defensor.accounts.models import User
from defensor.accounts.permissions import acting_user
from defensor.cases.selectors import case_for
from defensor.core.errors import DefensorError
from defensor.evidence.access import evidence_view
from defensor.evidence.custody import blob_path
from defensor.evidence.custody_log import NOTE_MAX, HandoverMethod, Recipient, custody_read, item_handover_record
from defensor.evidence.models import EvidenceItem
from defensor.keys.keyring import keyring_for

# A stored file up to this size is hashed on every view of its chain (well under a second).
AUTO_CHECK_BYTES = 64 * 1024 * 1024


def custody_url(item: EvidenceItem) -> str:
    return reverse("staff:evidence-custody", args=[item.case_id, item.pk])


class HandoverForm(forms.Form):
    recipient = forms.ChoiceField(label=gettext_lazy("To whom"), choices=Recipient.choices,
                                  widget=forms.RadioSelect)
    method = forms.ChoiceField(label=gettext_lazy("How"), choices=HandoverMethod.choices, widget=forms.RadioSelect)
    on = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                         input_formats=["%Y-%m-%d"])
    note = forms.CharField(
        label=gettext_lazy("Note: who received it, the court's or the expert's reference, the receipt"),
        required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["on"].widget.attrs["max"] = today.isoformat()
        if not self.is_bound:
            self.initial.setdefault("on", today)

    def clean_on(self) -> Any:
        day = self.cleaned_data["on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


def _item(actor: User, case_id: int, item_id: str) -> EvidenceItem:
    case = case_for(actor=actor, case_id=case_id)
    item = EvidenceItem.objects.filter(case=case, pk=item_id).select_related("case").first()
    if item is None:
        raise Http404
    return item


def _small(item: EvidenceItem) -> bool:
    """Whether the stored file is small enough to hash on every view (a missing one is: that is
    found without reading)."""
    try:
        return blob_path(item.blob).stat().st_size <= AUTO_CHECK_BYTES
    except (OSError, ValueError):
        return True


def _page(request: HttpRequest, item: EvidenceItem, form: HandoverForm, status: int = 200, *,
          asked: bool = False) -> HttpResponse:
    actor = acting_user(request)
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(reverse("staff:case", args=[item.case_id]) + "#evidence")
    chain = custody_read(item=item, reader=actor, keyring=keyring, check_blob=asked or _small(item), asked=asked)
    return render(request, "evidence/custody.html", {
        "case": item.case, "item": item, "chain": chain, "form": form, "asked": asked,
        "auto_check_mb": AUTO_CHECK_BYTES // (1024 * 1024)}, status=status)


@evidence_view
@require_http_methods(["GET", "POST"])
def evidence_custody_view(request: HttpRequest, case_id: int, item_id: str) -> HttpResponse:
    """The page; a POST (the button "Check the stored file now") shows it with the stored file's
    SHA-256 recomputed, whatever its size."""
    item = _item(acting_user(request), case_id, item_id)
    return _page(request, item, HandoverForm(), asked=request.method == "POST")


@evidence_view
@require_POST
def evidence_handover_view(request: HttpRequest, case_id: int, item_id: str) -> HttpResponse:
    """Record a hand-over; a refused form is shown again with what was typed."""
    actor = acting_user(request)
    item = _item(actor, case_id, item_id)
    keyring = keyring_for(request)
    form = HandoverForm(request.POST)
    if keyring is None or not form.is_valid():
        return _page(request, item, form, status=400)
    try:
        event = item_handover_record(item=item, actor=actor, keyring=keyring, **form.cleaned_data)
    except DefensorError as error:
        form.add_error(None, str(error.user_message))
        return _page(request, item, form, status=400)
    messages.success(request, _("The hand-over was recorded in the chain of custody as event #%(seq)d.")
                     % {"seq": event.seq})
    return redirect(custody_url(item) + "#custody")
