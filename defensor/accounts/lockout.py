"""What django-axes keeps about failed logins: a keyed digest of the typed name, nothing else."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest

from defensor.core.secrets import derived_key


def lockout_name(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str:
    """The account name as axes stores it: a keyed digest of the lower-cased name.

    People sometimes type a password into the name field; the digest keeps that off the disk,
    and lower-casing makes "Anna" and "anna" one account for the lockout.
    """
    name = ""
    if credentials:
        name = str(credentials.get("username") or "")
    elif request is not None:
        name = str(request.POST.get("username", ""))
    key = derived_key("lockout.v1")
    return hashlib.blake2b(name.strip().lower().encode(), key=key, digest_size=16).hexdigest()
