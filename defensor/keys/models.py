"""Key storage. Nothing in these tables is usable without a staff passphrase or the recovery key.

- UserKeyPair: a staff member's X25519 key pair; the private half wrapped (XChaCha20-Poly1305)
  under a key derived from their password with Argon2id.
- KeyMaterial: a secret the organisation shares among entitled people: the intake private key,
  the blind-index key, and one data key per person or case record.
- KeyGrant: one KeyMaterial sealed to one staff member's public key, or to the recovery key.
  A grant without ``wrapped`` is *pending*: its recipient is entitled but nobody holding the
  secret has been online since (see services.keys_distribute).
- RecoveryKey: the public half of the offline recovery key (the private half exists only as the
  printed shares of the recovery kit).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from defensor.core.models import Organisation


class UserKeyPair(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="keypair")
    public_key = models.BinaryField()
    wrapped_private_key = models.BinaryField()
    kdf_salt = models.BinaryField()
    kdf_opslimit = models.PositiveIntegerField()
    kdf_memlimit = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"keypair of user {self.user_id}"


class RecoveryKey(models.Model):
    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="recovery_key")
    public_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"recovery key of organisation {self.organisation_id}"


class KeyKind(models.TextChoices):
    INTAKE = "intake", "intake private key"
    INDEX = "index", "blind-index key"
    RECORD = "record", "record data key"


class KeyMaterial(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="key_materials")
    kind = models.CharField(max_length=8, choices=KeyKind.choices)
    public_key = models.BinaryField(null=True, blank=True)  # intake keys: what submitters seal to
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)  # replaced by a rotation
    destroyed_at = models.DateTimeField(null=True, blank=True)  # crypto-shredded: no grant remains

    class Meta:
        indexes = [models.Index(fields=["organisation", "kind", "retired_at"])]

    def __str__(self) -> str:
        return f"{self.kind} key {self.id}"


class KeyGrant(models.Model):
    material = models.ForeignKey(KeyMaterial, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="key_grants"
    )
    for_recovery = models.BooleanField(default=False)
    wrapped = models.BinaryField(null=True, blank=True)  # None: pending
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["material", "user"], name="one_grant_per_user"),
            models.UniqueConstraint(
                fields=["material"], condition=Q(for_recovery=True), name="one_recovery_grant"
            ),
            models.CheckConstraint(
                condition=Q(for_recovery=True, user__isnull=True) | Q(for_recovery=False, user__isnull=False),
                name="grant_has_one_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"grant of {self.material_id} to {'recovery' if self.for_recovery else self.user_id}"


class WorkerKey(models.Model):
    """The public half of a running background worker's key pair. The private half exists only in
    that worker's memory: work a request hands over (a case's data key and what to render) is
    sealed to it, so a copy of the database cannot open it. Gone when the worker stops."""

    public_key = models.BinaryField()
    started_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker key {self.pk}"
