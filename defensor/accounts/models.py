"""Staff users and their membership (role) in the organisation."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from defensor.core.models import Organisation


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    LAWYER = "lawyer", _("Lawyer")
    PARALEGAL = "paralegal", _("Paralegal")
    VOLUNTEER = "volunteer", _("Volunteer")
    # A lawyer of a partner organisation: works only on the cases shared with them.
    PARTNER = "partner", _("Partner lawyer")


class User(AbstractUser):
    """A staff member. Clients are never users: they are Persons (see the people app)."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Raising the generation ends every session of the user at their next request
    # ("log out everywhere"): it is part of the session auth hash Django checks.
    session_generation = models.PositiveIntegerField(default=0)
    must_change_password = models.BooleanField(default=False)
    # How documents the user generates name them as representative (staff, not client data).
    document_name = models.CharField(_("full name for documents"), max_length=200, blank=True)
    document_credentials = models.CharField(_("status and credentials"), max_length=300, blank=True)
    document_contacts = models.TextField(_("address for correspondence, phone, e-mail"), blank=True)

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "defensor.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()


class Membership(models.Model):
    """One user, one organisation, one role."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


class StaffSession(models.Model):
    """Which stored session rows belong to whom, so that ending a user's sessions deletes them
    (and the key-ring ciphertext in them) at once instead of at their next request."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_sessions")
    stored_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"
