"""A person the team helps or talks to, and the ways to reach them. Everything personal is
encrypted under the person's own data key; handles share it."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from defensor.core.models import Organisation
from defensor.keys.records import EncryptedField, EncryptedRecord


class Person(EncryptedRecord):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="people")
    full_name = EncryptedField()
    surname = EncryptedField()
    birth_date = EncryptedField()  # ISO date as written down
    unit = EncryptedField()  # military unit as written ("в/ч 12345")
    notes = EncryptedField()
    name_forms = EncryptedField()  # JSON: the lawyer's own text of the name per grammatical case
    # The name in parts, as court forms and declension want it (full_name stays the name as the
    # person gave it; the parts, once someone fills them in, are what documents use).
    given_name = EncryptedField()
    patronymic = EncryptedField()
    gender = EncryptedField()  # "m" / "f" when the team says so; otherwise guessed from the patronymic
    # What court forms ask of a claimant (КАС ст. 125 ч. 2 п. 2; ГПК ст. 131 ч. 2 п. 2).
    birth_place = EncryptedField()
    residence_address = EncryptedField()
    postal_address = EncryptedField()
    passport = EncryptedField()  # series and number as digits ("4509 123456")
    snils = EncryptedField()  # 11 digits, check number validated
    inn = EncryptedField()  # 12 digits for a person, check digits validated
    # What a claim for reinstatement asks money from (ГПК ст. 131 ч. 2 п. 6, ст. 132): the post held,
    # in the genitive as after «в должности», and the monthly pay on the day of dismissal in roubles
    # ("54321.00", validated as a sum).
    service_post = EncryptedField()
    monthly_pay = EncryptedField()
    # Their service, as the request or the team records it (intake's option values).
    service_category = EncryptedField()
    force = EncryptedField()
    region = EncryptedField()  # region code of intake's region list
    # What reports count of this record (keys.facts): service, force and region sealed again under
    # the index key ``report_key`` (NULL: not made yet, or made with a key since rotated).
    report_facts = models.BinaryField(null=True, blank=True, editable=False)
    report_key = models.ForeignKey(
        "keys.KeyMaterial", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Blind indexes (keyed digests, see keys.blind) for exact-match search and de-duplication.
    # NULL means "no value": an empty string would make every missing value match another.
    surname_index = models.CharField(max_length=32, null=True, blank=True, db_index=True)  # noqa: DJ001
    # These three are searched through the composite indexes in Meta.
    surname_prefix_index = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    birth_date_index = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    unit_index = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # A duplicate folded into another record. Nothing is moved or deleted, so un-merging restores
    # the record exactly. A merged person is hidden from lists; in duplicate matching, what it
    # matches counts for the record it was merged into.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_people"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    BLIND_INDEXES: ClassVar[dict[str, tuple[str, str]]] = {
        "surname_index": ("surname", "surname"),
        "surname_prefix_index": ("surname", "surname_prefix"),
        "birth_date_index": ("birth_date", "birth_date"),
        "unit_index": ("unit", "unit"),
    }
    REPORT_FACTS = ("service_category", "force", "region")

    class Meta:
        # Duplicate matching asks for two index values at once (selectors._blocks): a surname
        # prefix or a unit alone would make the database read thousands of rows.
        indexes = [
            models.Index(fields=["birth_date_index", "surname_prefix_index"], name="person_born_prefix"),
            models.Index(fields=["birth_date_index", "unit_index"], name="person_born_unit"),
            models.Index(fields=["unit_index", "surname_prefix_index"], name="person_unit_prefix"),
        ]

    def __str__(self) -> str:
        return f"person {self.pk}"


class Handle(EncryptedRecord):
    """A way to reach a person (phone, messenger id, e-mail), sealed under the person's data key."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("phone")
        SIGNAL = "signal", _("Signal")
        TELEGRAM = "telegram", _("Telegram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        EMAIL = "email", _("e-mail")
        OTHER = "other", _("other")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="handles")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = EncryptedField()
    safe_times = EncryptedField()  # when a call or message does not endanger them ("после 19:00")
    # Off until someone on the team confirms it: a call at the wrong moment can expose a client.
    safe_to_contact = models.BooleanField(default=False)
    value_index = models.CharField(max_length=32, null=True, blank=True, db_index=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)

    BLIND_INDEXES: ClassVar[dict[str, tuple[str, str]]] = {
        "value_index": ("value", "handle"),
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "value_index"], condition=Q(value_index__isnull=False), name="handle_once_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} handle {self.pk} of person {self.person_id}"

    def aad_context(self) -> str:
        return f"person:{self.person_id}"


class PersonRevision(EncryptedRecord):
    """What a change to a person record replaced: the previous values of the fields it changed,
    sealed under the person's data key (so erasing the person erases its history too)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="revisions")
    previous = EncryptedField()  # JSON: field name → the value before the change (null: it was empty)
    fields = models.JSONField(default=list)  # the names of the fields changed, never their values
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"revision {self.pk} of person {self.person_id}"

    def aad_context(self) -> str:
        return f"person:{self.person_id}"
