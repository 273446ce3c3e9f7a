"""Evidence review on other apps' pages, without those apps importing this one (layers):

- ``{% review_of item as review %}``: what evidence/review_form.html shows on the item page;
- ``{% evidence_links case claimant=id %}`` / ``{% evidence_links case event=id %}``: "evidence: No. 3"
  on a claimant's page and beside a timeline event (the case's links are read once per page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django import template
from django.db import transaction
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from defensor.access.services import has_record_access
from defensor.accounts.permissions import Perm, has_permission
from defensor.cases.models import Case, CaseEvent
from defensor.cases.selectors import claimant_names
from defensor.evidence.models import EvidenceItem, EvidenceLink, ItemStatus
from defensor.evidence.review import EvidenceTag, can_decide, links_by_target, statuses_next
from defensor.evidence.review_views import item_page
from defensor.keys.keyring import keyring_for
from defensor.people.services import people_read

register = template.Library()

EVENTS_SHOWN = 500  # the newest events offered for a link


@dataclass(frozen=True, repr=False)
class Review:
    item: EvidenceItem
    status_label: str
    statuses: list[tuple[str, str]]  # (code, label) the reader may choose
    can_decide: bool
    decided_by: str
    decided_at: datetime | None
    note: str
    description: str
    tags: list[str]
    tag_choices: list[tuple[str, str]]
    links: list[tuple[int, str, str]]  # (link id, "claimant"/"event", what)
    claimants: list[tuple[int, str]]  # may be linked
    events: list[tuple[int, str]]


def _event_label(event: CaseEvent, names: dict[int, str]) -> str:
    label = f"{event.get_kind_display()}, {event.happened_on:%d.%m.%Y}"
    if event.claimant_id and event.claimant_id in names:
        label += f" — {names[event.claimant_id]}"
    return label


@register.simple_tag(takes_context=True)
def review_of(context: template.Context, item: EvidenceItem) -> Review | None:
    """The review of ``item`` for the reader (None: keys locked or not their case's)."""
    request = context["request"]
    actor = request.user
    keyring = keyring_for(request)
    case = item.case
    if keyring is None or not (has_permission(actor, Perm.CASES_WORK)
                               and has_record_access(user=actor, material=case.data_key)):
        return None
    values = item.decrypt(keyring, only=("verification_note", "description", "tags"))
    readable = [(claimant, name) for claimant, name in claimant_names(case=case, keyring=keyring) if name is not None]
    names = {claimant.pk: name for claimant, name in readable}
    # As the timeline shows them: not those of a membership folded into another by a merge.
    events = list(CaseEvent.objects.filter(case=case).exclude(claimant__merged_into__isnull=False)
                  .order_by("-happened_on", "-pk")[:EVENTS_SHOWN])
    links = []
    linked_claimants, linked_events = set(), set()
    for link in EvidenceLink.objects.filter(item=item).select_related("event").order_by("pk"):
        if link.claimant_id is not None:
            linked_claimants.add(link.claimant_id)
            links.append((link.pk, "claimant", names.get(link.claimant_id) or _("record not shared with you")))
        elif link.event is not None:
            linked_events.add(link.event_id)
            links.append((link.pk, "event", _event_label(link.event, names)))
    with transaction.atomic():  # the names shown are reads of the people's records
        people_read(reader=actor, people=[claimant.person_id for claimant, _name in readable], where="evidence")
    return Review(
        item=item, status_label=str(ItemStatus(item.status).label),
        statuses=[(s, str(ItemStatus(s).label)) for s in statuses_next(item=item, actor=actor)],
        can_decide=can_decide(actor), decided_by=item.verified_by.get_username() if item.verified_by else "",
        decided_at=item.verified_at, note=values.verification_note or "", description=values.description or "",
        tags=json.loads(values.tags or "[]"), tag_choices=[(code, str(label)) for code, label in EvidenceTag.choices],
        links=links,
        claimants=[(c.pk, name) for c, name in readable if c.pk not in linked_claimants],
        events=[(e.pk, _event_label(e, names)) for e in events if e.pk not in linked_events],
    )


@register.simple_tag(takes_context=True)
def evidence_links(context: template.Context, case: Case, claimant: int | None = None,
                   event: int | None = None) -> SafeString | str:
    """ "evidence: No. 3, No. 5", each a link to the item, for one claimant or one event of ``case``."""
    if claimant is None and event is None:
        return ""
    cache = context.render_context
    key = f"evidence_links:{case.pk}"
    if key not in cache:
        actor = context["request"].user
        allowed = has_permission(actor, Perm.CASES_WORK) and has_record_access(user=actor, material=case.data_key)
        cache[key] = links_by_target(case=case) if allowed else ({}, {})
    by_claimant, by_event = cache[key]
    found = by_claimant.get(claimant, []) if claimant is not None else by_event.get(event, [])
    if not found:
        return ""
    items = format_html_join(", ", '<a href="{}">{}</a>', (
        (item_page(EvidenceItem(pk=item_id, case_id=case.pk)), _("No. %(number)d") % {"number": number})
        for number, item_id in found))
    return format_html('<span class="kv" data-testid="evidence-links">{} {}</span>', _("evidence:"), items)
