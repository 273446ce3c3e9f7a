"""Database sessions whose keys are stored only as keyed digests.

The cookie carries the session key; the database row is found by a BLAKE2b digest of it keyed
with a secret derived from the secret key. A copy of the database therefore holds no usable
session key: nobody can take over a logged-in, 2FA-verified session from a dump or a backup.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from defensor.core.secrets import derived_key


def stored_key(session_key: str) -> str:
    """The 40-character value kept in django_session.session_key for a cookie's session key."""
    return hashlib.blake2b(session_key.encode(), key=derived_key("sessions.v1"), digest_size=20).hexdigest()


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        if self.session_key is None:
            return None
        try:
            return Session.objects.get(session_key=stored_key(self.session_key), expire_date__gt=timezone.now())
        except (Session.DoesNotExist, SuspiciousOperation):
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return bool(Session.objects.filter(session_key=stored_key(session_key)).exists())

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        return Session(
            session_key=stored_key(self._get_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        Session.objects.filter(session_key=stored_key(session_key)).delete()
