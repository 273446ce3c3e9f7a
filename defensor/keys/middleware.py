from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from defensor.keys.keyring import KEYRING_COOKIE, NEW_SECRET_ATTR, SESSION_FIELD, cookie_value

COOKIE_PATH = "/staff/"


class KeyRingCookieMiddleware:
    """Hand the key-ring secret to the browser at login; take it back once the session is gone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        secret: bytes | None = getattr(request, NEW_SECRET_ATTR, None)
        has_ciphertext = SESSION_FIELD in request.session
        if secret is not None and has_ciphertext:
            response.set_cookie(
                KEYRING_COOKIE,
                cookie_value(secret),
                httponly=True,
                secure=settings.PRODUCTION,
                samesite="Strict",
                path=COOKIE_PATH,
            )
        elif KEYRING_COOKIE in request.COOKIES and not has_ciphertext:
            response.delete_cookie(KEYRING_COOKIE, path=COOKIE_PATH, samesite="Strict")
        return response
