"""Keys derived from the secret key, one per purpose (sessions, receipts, lockout, audit)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def derived_key(purpose: str) -> bytes:
    """A 32-byte key for ``purpose``: independent of every other purpose, useless without the secret."""
    return hmac.new(settings.SECRET_KEY.encode(), f"defensor.{purpose}".encode(), hashlib.sha256).digest()
