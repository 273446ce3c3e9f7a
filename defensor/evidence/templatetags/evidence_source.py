"""A saved public source's fields on the item page: the time of capture in local time and the
name of the team member who captured it (both sealed on the item, given here decrypted)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from defensor.accounts.models import User
from defensor.evidence.custody_log import display_name

register = template.Library()


@register.filter
def capture_time(value: str | None) -> datetime | str:
    """The sealed ISO 8601 time as a datetime (shown in the reader's time zone); as stored if unreadable."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed


@register.simple_tag
def team_member(value: str | None) -> str:
    """The display name of the team member whose id the item keeps sealed ("" if none)."""
    if not value or not value.isdigit():
        return ""
    user = User.objects.filter(pk=int(value)).first()
    return display_name(user) if user is not None else ""
