"""How long an organisation keeps what it no longer works on (docs/security.md, "Retention and
erasure"). Plain operational settings: no personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from defensor.core.models import Organisation

# The defaults (docs/decisions.md, "Retention"): spam a month, a refusal a quarter, a closed case
# five years.
SPAM_DAYS = 30
REJECTED_DAYS = 90
CLOSED_CASE_YEARS = 5


class RetentionPolicy(models.Model):
    """One per organisation; an empty value means "never erase these". Until an administrator
    saves it, the defaults apply (``retention.selectors.policy_for``)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="retention_policy")
    spam_days = models.PositiveIntegerField(_("spam requests: days"), null=True, blank=True, default=SPAM_DAYS)
    rejected_days = models.PositiveIntegerField(_("rejected requests: days"), null=True, blank=True,
                                                default=REJECTED_DAYS)
    closed_case_years = models.PositiveIntegerField(_("closed cases: years"), null=True, blank=True,
                                                    default=CLOSED_CASE_YEARS)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    def __str__(self) -> str:
        return f"retention policy of organisation {self.organisation_id}"
