"""The case evidence list's warning that a file could identify our client (from its sealed
metadata, evidence.metadata), or that its metadata was not fully checked (so that no warning is
not read as "no location"), and which item a working copy was made from."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from defensor.evidence.metadata import IDENTIFYING_LABELS, identifying, not_fully_checked
from defensor.evidence.models import EvidenceItem
from defensor.keys.keyring import keyring_for

register = template.Library()


@register.simple_tag(takes_context=True)
def identifying_warning(context: template.Context, item: EvidenceItem) -> SafeString:
    keyring = keyring_for(context["request"])
    if keyring is None:
        return SafeString("")
    metadata = item.decrypt(keyring, only=("metadata",)).metadata
    codes = identifying(metadata)
    warning = SafeString("")
    if codes:
        warning = format_html(
            '<span class="warning" data-testid="identifying-warning">{} {}.</span>',
            _("This file could identify our client; share only a working copy. It carries:"),
            ", ".join(str(IDENTIFYING_LABELS.get(code, code)) for code in codes),
        )
    if not_fully_checked(metadata):
        warning += format_html(' <span class="warning" data-testid="metadata-not-checked">{}</span>',
                               _("Metadata not fully checked."))
    return warning
