"""The review forms of an evidence item (evidence/review_form.html on the item page): its status,
its flags, tags and description, and its links. Each posts here, calls one service and goes back
to the item page with a message. A status or labels form that is refused — most often because a
colleague saved first — is shown again at once with what was typed (never kept anywhere: a note
names people), beside what the colleague saved. A case the user does not hold, or an item not in
it, is 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from defensor.accounts.models import User
from defensor.accounts.permissions import acting_user
from defensor.cases.models import CaseEvent, Claimant
from defensor.cases.selectors import case_for
from defensor.core.errors import DefensorError
from defensor.evidence.access import evidence_view
from defensor.evidence.models import EvidenceItem, ItemStatus
from defensor.evidence.review import (
    LabelsChangedMeanwhile,
    LinkNotInCase,
    StatusChangedMeanwhile,
    item_labels_set,
    item_link_add,
    item_link_remove,
    item_status_set,
)
from defensor.keys.keyring import keyring_for


def item_page(item: EvidenceItem) -> str:
    """The item's page, where the review form is."""
    return reverse("staff:evidence-item", args=[item.case_id, item.pk])


def _item(actor: User, case_id: int, item_id: str) -> EvidenceItem:
    case = case_for(actor=actor, case_id=case_id)
    item = EvidenceItem.objects.filter(case=case, pk=item_id).select_related("case").first()
    if item is None:
        raise Http404
    return item


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _again(request: HttpRequest, case_id: int, item: EvidenceItem, *, conflict: bool,
           **kept: object) -> HttpResponse:
    """The review form once more, on a page of its own, with what was typed (``kept_note`` and
    ``kept_status``, or ``kept_labels``) and the item as it now is: 409 when a colleague saved
    first, 400 for any other refusal. Not the item's page: no second ``viewed`` event."""
    fresh = _item(acting_user(request), case_id, str(item.pk))
    return render(request, "evidence/review_again.html", {"item": fresh, "case": fresh.case, "conflict": conflict,
                                                          **kept}, status=409 if conflict else 400)


@evidence_view
@require_POST
def evidence_status_view(request: HttpRequest, case_id: int, item_id: str) -> HttpResponse:
    actor = acting_user(request)
    item = _item(actor, case_id, item_id)
    keyring = keyring_for(request)
    status = request.POST.get("status", "")
    note = request.POST.get("note", "")[:4000]
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
    elif status not in ItemStatus.values:
        messages.error(request, _("Please choose a status."))
        if note.strip():
            return _again(request, case_id, item, conflict=False, kept_note=note, kept_status="")
    else:
        try:
            item_status_set(item=item, status=status, actor=actor, keyring=keyring,
                            note=note, expected=request.POST.get("current") or None)
        except DefensorError as error:
            messages.error(request, str(error.user_message))
            return _again(request, case_id, item, conflict=isinstance(error, StatusChangedMeanwhile),
                          kept_note=note, kept_status=status)
        messages.success(request, _("No. %(number)d is now: %(status)s.") % {
            "number": item.number, "status": ItemStatus(status).label})
    return redirect(item_page(item))


def _version(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@evidence_view
@require_POST
def evidence_labels_view(request: HttpRequest, case_id: int, item_id: str) -> HttpResponse:
    actor = acting_user(request)
    item = _item(actor, case_id, item_id)
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(item_page(item))
    identifies_client, graphic = bool(request.POST.get("identifies_client")), bool(request.POST.get("graphic"))
    tags, description = request.POST.getlist("tags"), request.POST.get("description", "")[:2000]
    try:
        changed = item_labels_set(
            item=item, actor=actor, keyring=keyring, identifies_client=identifies_client, graphic=graphic,
            tags=tags, description=description, expected_version=_version(request.POST.get("labels_version")),
        )
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return _again(request, case_id, item, conflict=isinstance(error, LabelsChangedMeanwhile),
                      kept_labels={"identifies_client": identifies_client, "graphic": graphic, "tags": tags,
                                   "description": description})
    messages.success(request, _("Saved.") if changed else _("Nothing to change."))
    return redirect(item_page(item))


@evidence_view
@require_POST
def evidence_links_view(request: HttpRequest, case_id: int, item_id: str) -> HttpResponse:
    """Add a link (``claimant`` or ``event``: an id) or remove one (``remove``: the link's id)."""
    actor = acting_user(request)
    item = _item(actor, case_id, item_id)
    removed = _id(request.POST.get("remove"))
    claimant_id, event_id = _id(request.POST.get("claimant")), _id(request.POST.get("event"))
    try:
        if removed is not None:
            item_link_remove(item=item, actor=actor, link_id=removed)
            messages.success(request, _("The link was removed."))
        elif claimant_id is not None or event_id is not None:
            # Looked up anywhere, so that another case's id is refused by the service, not ignored.
            claimant = Claimant.objects.filter(pk=claimant_id).first() if claimant_id is not None else None
            event = CaseEvent.objects.filter(pk=event_id).first() if event_id is not None else None
            if (claimant_id is not None and claimant is None) or (event_id is not None and event is None):
                raise LinkNotInCase()
            item_link_add(item=item, actor=actor, claimant=claimant, event=event)
            messages.success(request, _("Linked."))
        else:
            messages.error(request, _("Choose a person or an event to link."))
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    return redirect(item_page(item))
