"""The evidence item's page (staff/cases/<case>/evidence/<item>/): what the file is, what it says
about itself, a warning when that could identify our client, and the button that makes a working
copy without metadata. Opening the page is an audited read and a ``viewed`` custody event. A case
the user does not hold, or an item not in it, is 404.

Other parts of the locker add their own section to the page by naming its template in
``ITEM_SECTIONS`` (rendered in that order with ``item``, ``case`` and ``values`` in the context).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, acting_user, has_permission
from defensor.cases.selectors import case_for
from defensor.core.errors import DefensorError
from defensor.evidence.access import evidence_view
from defensor.evidence.derive import cleanable, item_page_open, item_working_copy, removed_labels
from defensor.evidence.metadata import IDENTIFYING_LABELS, not_fully_checked, shown_fields
from defensor.evidence.models import EvidenceItem, ItemStatus, Source
from defensor.evidence.public_source import capture_shown
from defensor.keys.keyring import keyring_for

ITEM_SECTIONS = [
    "evidence/review_form.html",  # evidence.review_views: status, flags, tags, links
]


def item_url(item: EvidenceItem) -> str:
    return reverse("staff:evidence-item", args=[item.case_id, item.pk])


def _item(actor: User, case_id: int, item_id: str) -> EvidenceItem:
    case = case_for(actor=actor, case_id=case_id)
    item = (EvidenceItem.objects.filter(case=case, pk=item_id)
            .select_related("case", "parent", "added_by", "attachment").first())
    if item is None:
        raise Http404
    return item


def _sections() -> list[str]:
    found = []
    for name in ITEM_SECTIONS:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            continue
        found.append(name)
    return found


@evidence_view
@require_GET
def evidence_item_view(request: HttpRequest, case_id: int, item_id: str) -> HttpResponse:
    actor = acting_user(request)
    item = _item(actor, case_id, item_id)
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(reverse("staff:case", args=[item.case_id]) + "#evidence")
    values = item_page_open(item=item, reader=actor, keyring=keyring)
    metadata = json.loads(values.metadata or "{}")
    groups: dict[str, list[dict[str, str]]] = {}
    for field in metadata.get("fields", []):
        groups.setdefault(field.get("group", ""), []).append(field)
    identifying = [str(IDENTIFYING_LABELS.get(code, code)) for code in metadata.get("identifying", [])]
    unchecked = not_fully_checked(values.metadata)
    copies = list(EvidenceItem.objects.filter(parent=item).order_by("number"))
    derived_from = metadata.get("derived_from")
    return render(request, "evidence/item.html", {
        "case": item.case, "item": item, "values": values, "metadata": metadata, "metadata_groups": groups,
        "shown_fields": shown_fields(metadata), "identifying": identifying, "not_fully_checked": unchecked,
        "derived_from": derived_from, "removed": removed_labels(list((derived_from or {}).get("removed", []))),
        "captured_at": capture_shown(values.captured_at, metadata.get("captured_zone")),
        "copies": copies, "request_id": _request_id(actor, item),
        "can_strip": cleanable(values.media_type or ""), "status": ItemStatus(item.status).label,
        "source": Source(item.source).label, "sections": _sections(),
    })


def _request_id(actor: User, item: EvidenceItem) -> str:
    """The request an item came from, for the link back to it: only for someone who may read
    requests (intake.triage); "" otherwise, or when the request is gone."""
    if item.source != Source.REQUEST or item.attachment is None or not has_permission(actor, Perm.INTAKE_TRIAGE):
        return ""
    return str(item.attachment.submission_id or "")


@evidence_view
@require_POST
def evidence_working_copy_view(request: HttpRequest, case_id: int, item_id: str) -> HttpResponse:
    actor = acting_user(request)
    item = _item(actor, case_id, item_id)
    keyring = keyring_for(request)
    if keyring is None:
        messages.error(request, _("Your keys are locked: log out and log in again."))
        return redirect(item_url(item))
    try:
        copy = item_working_copy(item=item, actor=actor, keyring=keyring)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return redirect(item_url(item))
    messages.success(request, _("A working copy without metadata was made as No. %(number)d. The original is "
                                "unchanged.") % {"number": copy.number})
    return redirect(item_url(copy))
