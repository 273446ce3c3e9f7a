"""Encrypted fields on models: declare them, and other apps never touch bytes or keys.

    class Person(EncryptedRecord):
        full_name = EncryptedField()
        birth_date = EncryptedField()

    person.encrypt(sealer, full_name="…")     # services, with a RecordSealer from access.services
    person.decrypt(keyring).full_name           # views, with the acting user's KeyRing

Each record has its own data key (``data_key``, a KeyMaterial). A field's ciphertext is bound to
its model, field name and key id, so it cannot be moved to another field or record. Reading a
field without the key ring raises ``FieldLocked`` — it is never silently blank.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from django.db import models
from django.utils.translation import gettext_lazy as _

from defensor.core.errors import DefensorError
from defensor.keys import crypto
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyMaterial


class FieldLocked(DefensorError):
    user_message = _("This information is encrypted and cannot be shown without your unlocked keys.")


class Ciphertext(bytes):
    """What an encrypted field holds: bytes that refuse to be shown as text."""

    def __str__(self) -> str:
        raise FieldLocked()

    def __repr__(self) -> str:
        return f"<Ciphertext {len(self)} bytes>"


class EncryptedField(models.BinaryField):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Ciphertext | None:
        return None if value is None else Ciphertext(bytes(value))


def _aad(record: EncryptedRecord, field: str, material_id: UUID) -> bytes:
    """Binds a ciphertext to its model, field, key, row and (for notes) owning record: it cannot be
    moved to another field, row or case and still open."""
    return f"{record._meta.label_lower}.{field}.{material_id}.{record.record_uid}.{record.aad_context()}".encode()


@dataclass(frozen=True)
class RecordSealer:
    """A record's data key in the clear, held only by a service while it writes."""

    material: KeyMaterial
    key: bytes

    def __repr__(self) -> str:
        return f"<RecordSealer {self.material.pk}>"


class Decrypted(Mapping[str, str | None]):
    def __init__(self, values: dict[str, str | None]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> str | None:
        try:
            return self._values[name]
        except KeyError as error:
            raise AttributeError(name) from error

    def __getitem__(self, name: str) -> str | None:
        return self._values[name]

    def __iter__(self) -> Any:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class EncryptedRecord(models.Model):
    data_key = models.ForeignKey(KeyMaterial, on_delete=models.PROTECT, related_name="+")
    record_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    # Blind indexes: index field -> (encrypted source field, normaliser in keys.blind.NORMALISERS).
    # The index field's name is also the digest's purpose, so equal values in different indexes
    # give different digests.
    BLIND_INDEXES: ClassVar[dict[str, tuple[str, str]]] = {}
    # Sealed fields a report counts (keys.facts): sealed again together in ``report_facts`` under
    # the index key ``report_key``; a model listing any declares those two fields.
    REPORT_FACTS: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    @classmethod
    def encrypted_field_names(cls) -> list[str]:
        return [f.name for f in cls._meta.get_fields() if isinstance(f, EncryptedField)]

    def encrypt(self, sealer: RecordSealer, **values: str | None) -> None:
        names = set(self.encrypted_field_names())
        unknown = set(values) - names
        if unknown:
            raise TypeError(f"not encrypted fields of {type(self).__name__}: {sorted(unknown)}")
        if self.data_key_id is not None and self.data_key_id != sealer.material.pk:
            raise ValueError("a record's fields are all sealed under its one data key")
        self.data_key = sealer.material
        for name, value in values.items():
            aad = _aad(self, name, sealer.material.pk)
            sealed = None if value is None else Ciphertext(crypto.encrypt(sealer.key, value.encode(), aad=aad))
            setattr(self, name, sealed)

    def aad_context(self) -> str:
        """What else a ciphertext is bound to (a note: its case). Override where rows share a key."""
        return ""

    def set_blind_indexes(self, index_key: bytes, values: Mapping[str, str | None]) -> None:
        from defensor.keys.blind import NORMALISERS, index_with_key

        for index_field, (source, normaliser) in self.BLIND_INDEXES.items():
            raw = values.get(source)
            normalised = NORMALISERS[normaliser](raw) if raw else None
            setattr(self, index_field, index_with_key(index_key, index_field, normalised) if normalised else None)

    def facts_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.record_uid}"

    def set_report_facts(self, index_material: KeyMaterial, index_key: bytes, values: Mapping[str, str | None]) -> None:
        """Seal the values a report counts (``REPORT_FACTS``) with the index key."""
        if not self.REPORT_FACTS:
            return
        from defensor.keys.facts import seal_values

        sealed = seal_values(index_key, material_id=index_material.pk, subject=self.facts_subject(),
                             values=[values.get(name) for name in self.REPORT_FACTS])
        # Fields of the models that list REPORT_FACTS, not of every record.
        setattr(self, "report_facts", sealed)  # noqa: B010
        setattr(self, "report_key", index_material)  # noqa: B010

    def decrypt(self, keyring: KeyRing | None, *, only: Collection[str] | None = None) -> Decrypted:
        """The record's fields in the clear (``only``: just these, for a page showing a few fields
        of many records; the others are absent, not blank)."""
        if keyring is None:
            raise FieldLocked()
        key = keyring.material(self.data_key_id)
        return self.decrypt_with(key, only=only)

    def decrypt_with(self, key: bytes, *, only: Collection[str] | None = None) -> Decrypted:
        names = self.encrypted_field_names()
        if only is not None:
            unknown = set(only) - set(names)
            if unknown:
                raise TypeError(f"not encrypted fields of {type(self).__name__}: {sorted(unknown)}")
            names = [name for name in names if name in only]
        values: dict[str, str | None] = {}
        for name in names:
            stored = getattr(self, name)
            values[name] = (
                None
                if stored is None
                else crypto.decrypt(key, bytes(stored), aad=_aad(self, name, self.data_key_id)).decode()
            )
        return Decrypted(values)


def encrypted_models() -> list[type[EncryptedRecord]]:
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, EncryptedRecord)]
