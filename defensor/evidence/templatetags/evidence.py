"""The case page's evidence section, contributed by this app: the case view does not import it
(layers); case.html loads this library and calls ``{% evidence_section case %}``.

Files carried from a request become items on accept (services.request_files_taken_in); opening the
section takes in, as a fallback, those that could not be then (services.case_files_collect).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from defensor.access.services import has_record_access
from defensor.accounts.permissions import Perm, has_permission
from defensor.cases.models import Case
from defensor.evidence.content import ARCHIVES
from defensor.evidence.models import EvidenceItem, ItemStatus
from defensor.evidence.review import EvidenceTag, grouped_by_status
from defensor.evidence.services import case_files_collect, items_of
from defensor.keys.keyring import keyring_for

register = template.Library()

REASON_LABELS = {
    "html": _("a web page"),
    "svg": _("an SVG picture (may run scripts)"),
    "script": _("scripts"),
    "macros": _("Office macros"),
    "pdf_javascript": _("JavaScript in a PDF"),
    "pdf_action": _("automatic actions in a PDF"),
    "rtf_object": _("embedded objects in an RTF document"),
    "polyglot": _("two file formats in one"),
}


@dataclass(frozen=True)
class Row:
    item: EvidenceItem
    name: str
    media_type: str
    size: int
    status: str
    reasons: list[str]
    archive: bool
    description: str = ""
    tags: tuple[str, ...] = ()  # codes (evidence.review.EvidenceTag)

    @property
    def tag_labels(self) -> list[str]:
        return [EvidenceTag.label(t) for t in self.tags]

    def __repr__(self) -> str:
        return f"<Row {self.item.pk}>"


@register.inclusion_tag("evidence/case_section.html", takes_context=True)
def evidence_section(context: template.Context, case: Case) -> dict[str, Any]:
    request = context["request"]
    actor = request.user
    keyring = keyring_for(request)
    allowed = has_permission(actor, Perm.CASES_WORK) and has_record_access(user=actor, material=case.data_key)
    collected = None
    rows: list[Row] = []
    if allowed and keyring is not None:
        collected = case_files_collect(case=case, actor=actor, keyring=keyring)
        for item in items_of(case=case, actor=actor):
            values = item.decrypt(keyring, only=("name", "media_type", "size", "active_reasons", "description",
                                                 "tags"))
            media_type = values.media_type or ""
            rows.append(Row(
                item=item, name=values.name or "", media_type=media_type, size=int(values.size or 0),
                status=str(ItemStatus(item.status).label),
                reasons=[str(REASON_LABELS.get(r, r)) for r in json.loads(values.active_reasons or "[]")],
                archive=media_type in ARCHIVES, description=values.description or "",
                tags=tuple(json.loads(values.tags or "[]")),
            ))
    tag = request.GET.get("evidence_tag", "")
    tag = tag if tag in EvidenceTag.codes else ""
    return {"request": request, "case": case, "rows": rows, "groups": grouped_by_status(rows, tag=tag), "tag": tag,
            "tag_choices": EvidenceTag.choices, "allowed": allowed and keyring is not None,
            "failed": collected.failed - collected.changed if collected else 0,
            "changed": collected.changed if collected else 0,
            "csrf_token": context.get("csrf_token")}
