"""A matter the team works on, and its notes. Titles, summaries and notes are encrypted under
the case's data key; the case number and dates are operational metadata (docs/security.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from defensor.core.models import Organisation
from defensor.keys.records import EncryptedField, EncryptedRecord


class Case(EncryptedRecord):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(max_length=32)
    title = EncryptedField()
    summary = EncryptedField()
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
