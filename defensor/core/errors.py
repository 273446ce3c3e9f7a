"""Typed errors. Each carries a user-facing message (translated lazily) and no personal data."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DefensorError(Exception):
    """Base of every error the application raises on purpose."""

    user_message: str | Promise = _("Something went wrong. Nothing was changed.")

    def __init__(self, user_message: str | Promise | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(str(type(self).__name__))


class PermissionDenied(DefensorError):
    user_message = _("You do not have permission to do this.")


class InvalidOperation(DefensorError):
    user_message = _("This action is not possible in the current state.")


class AlreadyInitialised(DefensorError):
    user_message = _("The organisation is already initialised.")
