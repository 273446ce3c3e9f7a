"""The CSRF token of a public page, made as Django's ``get_token`` makes it, for less CPU.

Django draws the secret and each page's mask one character at a time through ``secrets.choice``
(64 calls for a new visitor, 32 for every page after): about a fifth of what the intake's first
page costs the server under a flood. Here the characters come from one ``os.urandom`` read
(bytes above the largest multiple of the alphabet's size are dropped, so every character is
equally likely, as with ``secrets.choice``) and the masking uses a table instead of
``str.index``. The token, the cookie and the check are Django's own: the token is the secret's
characters shifted by a random mask, in Django's alphabet and layout, checked by
``CsrfViewMiddleware`` (tests/test_csrf.py sends every public form with the check enforced).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.http import HttpRequest
from django.middleware import csrf

_CHARS = csrf.CSRF_ALLOWED_CHARS
_LENGTH = csrf.CSRF_SECRET_LENGTH
_INDEX = {c: i for i, c in enumerate(_CHARS)}
_FAIR = 256 - 256 % len(_CHARS)  # bytes at or above this would favour the first characters


def _random_chars(count: int) -> str:
    chosen: list[str] = []
    while len(chosen) < count:
        chosen.extend(_CHARS[b % len(_CHARS)] for b in os.urandom(count + 8) if b < _FAIR)
    return "".join(chosen[:count])


def get_token(request: HttpRequest) -> str:
    """What ``django.middleware.csrf.get_token`` returns, with the same effect on the request
    (the cookie is set, or renewed, by the middleware on the way out)."""
    if settings.CSRF_USE_SESSIONS:  # the secret lives in the session: Django's own way
        return str(csrf.get_token(request))
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != _LENGTH or any(c not in _INDEX for c in secret):
        if secret is not None:
            return str(csrf.get_token(request))  # anything odd: exactly as Django would
        secret = _random_chars(_LENGTH)
        request.META["CSRF_COOKIE"] = secret
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_chars(_LENGTH)
    size = len(_CHARS)
    return mask + "".join(_CHARS[(_INDEX[s] + _INDEX[m]) % size] for s, m in zip(secret, mask, strict=True))
