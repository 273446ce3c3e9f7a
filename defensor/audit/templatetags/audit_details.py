"""The audit log page's details column: ``{% for k, v in event.details|pairs %}``. Not
``details.items``: a template looks up a key before a method, so details with an "items" key (a
bundle's item count) made the page fail."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pairs(details: Any) -> list[tuple[str, Any]]:
    return list(details.items()) if isinstance(details, dict) else []
