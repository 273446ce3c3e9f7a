"""A person the team helps or talks to. Everything personal is encrypted under the record's key."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from defensor.core.models import Organisation
from defensor.keys.records import EncryptedField, EncryptedRecord


class Person(EncryptedRecord):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="people")
    full_name = EncryptedField()
    surname = EncryptedField()
    birth_date = EncryptedField()
    phone = EncryptedField()
    notes = EncryptedField()
    # Blind indexes (keyed digests, see keys.blind) for exact-match search and de-duplication.
    # NULL means "no value": an empty string would make every missing value match another.
    surname_index = models.CharField(max_length=32, null=True, blank=True, db_index=True)  # noqa: DJ001
    birth_date_index = models.CharField(max_length=32, null=True, blank=True, db_index=True)  # noqa: DJ001
    phone_index = models.CharField(max_length=32, null=True, blank=True, db_index=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    BLIND_INDEXES: ClassVar[dict[str, tuple[str, str]]] = {
        "surname_index": ("surname", "surname"),
        "birth_date_index": ("birth_date", "birth_date"),
        "phone_index": ("phone", "phone"),
    }

    def __str__(self) -> str:
        return f"person {self.pk}"
