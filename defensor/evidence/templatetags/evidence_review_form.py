"""``{% labels_version item %}``: the version of an item's flags, tags and description that the
labels form of evidence/review_form.html is based on (evidence.review.labels_version)."""

from __future__ import annotations

from django import template

from defensor.evidence.models import EvidenceItem
from defensor.evidence.review import labels_version as version_of

register = template.Library()


@register.simple_tag
def labels_version(item: EvidenceItem) -> int:
    return version_of(item)
