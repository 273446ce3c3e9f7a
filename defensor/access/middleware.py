"""Keys a colleague waits for are handed over by the next request of anyone who holds them."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from defensor.access.services import keys_distribute, keys_waiting
from defensor.accounts.permissions import is_two_factor_verified
from defensor.keys.keyring import keyring_for

logger = logging.getLogger(__name__)


class KeysHandOverMiddleware:
    """On a logged-in staff request: if someone waits for an organisation key this user holds
    (one query), seal it to them now from this user's unlocked key ring (audited).

    Without it a newcomer waited until a holder logged in again; now any holder's next click
    is enough. Placed after StaffSessionMiddleware, which ends expired and disabled sessions.

    A hand-over that fails on the database (a write lock held too long under load) never fails
    the page the holder asked for: it is rolled back, logged, and the holder's next click tries
    again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            request.path.startswith("/staff/")
            and user.is_authenticated
            and user.is_active
            and is_two_factor_verified(user)
            and keys_waiting(user_id=user.pk)
        ):
            keyring = keyring_for(request)
            if keyring is not None:
                try:
                    keys_distribute(keyring=keyring)
                except DatabaseError:
                    logger.warning("waiting keys not handed over on this request; the next one tries again")
        return self.get_response(request)
