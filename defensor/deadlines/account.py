"""The calendar feed's card on the account page (registered in DeadlinesConfig.ready)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import HttpRequest

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission
from defensor.accounts.sections import AccountSection
from defensor.deadlines.models import CalendarFeed


def feed_card(request: HttpRequest, user: User, refused: forms.Form | None) -> Mapping[str, Any] | None:
    if not has_permission(user, Perm.CASES_WORK):
        return None
    return {"feed": CalendarFeed.objects.filter(user=user).first()}


FEED_SECTION = AccountSection(key="feed", template="deadlines/account_feed.html", context=feed_card, order=10)
