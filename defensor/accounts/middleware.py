"""The gate in front of every staff page: login, verified 2FA, idle timeout, user's language."""

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
STAFF_PREFIX = "/staff/"
LAST_SEEN_KEY = "defensor_last_seen"
LAST_SEEN_RESOLUTION = 30  # seconds: do not write the session on every request


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY, now)
            if now - last_seen > settings.IDLE_TIMEOUT_SECONDS:
                language = user.language
                logout(request)
                translation.activate(language)
                request.LANGUAGE_CODE = language
                messages.warning(request, _("Your session ended after a period of inactivity. Please log in again."))
            elif now - last_seen >= LAST_SEEN_RESOLUTION or LAST_SEEN_KEY not in request.session:
                request.session[LAST_SEEN_KEY] = now
            if request.user.is_authenticated:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not request.path.startswith(STAFF_PREFIX):
            return None
        match = request.resolver_match
        name = match.url_name if match is not None and match.namespace == "staff" else None
        if name in PRE_VERIFICATION_URLS:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_two_factor_verified(user):
            return redirect("staff:2fa-verify")
        if getattr(user, "must_change_password", False) and name not in PASSWORD_CHANGE_URLS:
            return redirect("staff:password")
        return None
