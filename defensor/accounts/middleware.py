"""The gate in front of every staff page: login, verified 2FA, session limits, user's language."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from defensor.accounts.models import User
from defensor.accounts.permissions import is_two_factor_verified

# Staff URLs a user may reach before finishing login (by URL name in the "staff" namespace).
PRE_VERIFICATION_URLS = frozenset({"login", "logout", "2fa-setup", "2fa-verify"})
PASSWORD_CHANGE_URLS = frozenset({"password", "logout"})
LAST_SEEN_KEY = "defensor_last_seen"
LOGIN_AT_KEY = "defensor_login_at"
LAST_SEEN_RESOLUTION = 30  # seconds: do not write the session on every request


def session_started(request: HttpRequest) -> None:
    """Mark the start of a login, from which the absolute session limit counts."""
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[LAST_SEEN_KEY] = now


def _session_ended_reason(request: HttpRequest) -> str | None:
    now = int(time.time())
    login_at = request.session.setdefault(LOGIN_AT_KEY, now)
    last_seen = request.session.get(LAST_SEEN_KEY, now)
    if now - login_at > settings.SESSION_COOKIE_AGE:
        return _("Your session reached its maximum length. Please log in again.")
    if now - last_seen > settings.IDLE_TIMEOUT_SECONDS:
        return _("Your session ended after a period of inactivity. Please log in again.")
    if now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN_KEY not in request.session:
        request.session[LAST_SEEN_KEY] = now
    return None


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            language = user.language
            reason = _session_ended_reason(request)
            if reason is not None:
                logout(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
            if reason is not None:
                messages.warning(request, reason)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace != "staff" or match.url_name in PRE_VERIFICATION_URLS:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_two_factor_verified(user):
            return redirect("staff:2fa-verify")
        if getattr(user, "must_change_password", False) and match.url_name not in PASSWORD_CHANGE_URLS:
            return redirect("staff:password")
        return None
