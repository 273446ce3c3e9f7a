"""A matter the team works on, and its notes. Titles, summaries and notes are encrypted under
the case's data key; the case number and dates are operational metadata (docs/security.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from defensor.core.models import Organisation
from defensor.keys.records import EncryptedField, EncryptedRecord


class Case(EncryptedRecord):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(max_length=32)
    title = EncryptedField()
    summary = EncryptedField()
    # A group claim: many claimants, each with their own dates and fate (requests are accepted into it).
    group = models.BooleanField(default=False)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "number"], name="case_number_unique")]

    def __str__(self) -> str:
        return f"case {self.number}"


class CaseNote(EncryptedRecord):
    """A note on a case, sealed under the case's own data key."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = EncryptedField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"

    def aad_context(self) -> str:
        return f"case:{self.case_id}"


class ClaimantStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    WITHDRAWN = "withdrawn", _("withdrawn")
    REINSTATED = "reinstated", _("reinstated")
    DISMISSED = "dismissed", _("dismissed")


class Claimant(models.Model):
    """A person's membership in a case. Withdrawing ends the membership, not the person."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claimants")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(max_length=16, choices=ClaimantStatus.choices, default=ClaimantStatus.ACTIVE)
    # The request the person was accepted from, if any (its answers stay sealed in the submission).
    submission = models.ForeignKey(
        "intake.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="claimant_once_per_case")]

    def __str__(self) -> str:
        return f"claimant {self.pk} in case {self.case_id}"
