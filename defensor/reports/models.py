"""Releases: reports frozen for publication.

A release keeps, sealed under the index key (keys.facts), the exact counts it was made from (the
next release is checked against them: no count may be worked out by subtracting one release from
another) and what it published. The period, the number, who made it and when are plain. A release
put on the public page also keeps its published numbers in the clear, in ``public_tables``: they
are the publication, made safe to show by disclosure control, and the page shows them to visitors
without anyone's key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from defensor.core.models import Organisation


class Release(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    first_quarter = models.CharField(max_length=8)  # "2025-Q1"
    last_quarter = models.CharField(max_length=8)
    threshold = models.PositiveSmallIntegerField()
    base = models.PositiveSmallIntegerField()
    # JSON: {"tables": {key: {"labels": [...], "counts": [...], "published": [[value, why], ...],
    # "total": [value, why]}}}, sealed with the index key ``sealed_key`` (keys.facts).
    sealed = models.BinaryField()
    sealed_key = models.ForeignKey("keys.KeyMaterial", on_delete=models.PROTECT, related_name="+")
    public_tables = models.JSONField(null=True, blank=True)  # published numbers only, once made public
    made_public_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "number"], name="release_number_unique")]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"release {self.number}"

    def facts_subject(self) -> str:
        return f"reports.release:{self.organisation_id}:{self.number}"
