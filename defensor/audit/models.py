"""The append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from defensor.core.models import Organisation


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    """One thing that happened. ``details`` holds codes, ids and counts, never personal data."""

    seq = models.PositiveBigIntegerField(unique=True)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("audit events cannot be deleted")

    @property
    def action_label(self) -> str:
        from defensor.audit.actions import action_label

        return action_label(self.action)


class AuditChainHead(models.Model):
    """The newest link of the chain (a single row): serialises appends, exposes truncation.

    ``mac`` authenticates (seq, hash) with the audit key, so the head cannot be wound back to an
    earlier event without the key.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    mac = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"head #{self.seq}"
