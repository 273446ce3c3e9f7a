"""Templates the team uploads, and documents generated from a case: the file and a snapshot of
the data it was made from, sealed under the case's key, with the template's version."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from defensor.core.models import Organisation
from defensor.keys.records import EncryptedField, EncryptedRecord


class DocumentTemplate(models.Model):
    """A DOCX template an administrator uploaded (the built-in ones are files in builtin/). Each
    upload under the same slug is a new version; documents name the version they were made from.
    A template is a form with placeholders, not client data: it is stored as uploaded."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    slug = models.SlugField(max_length=64)
    version = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    content = models.BinaryField()
    uses = models.JSONField(default=list)  # the context names its placeholders use
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "slug", "version"],
                                               name="template_version_once")]

    def __str__(self) -> str:
        return f"{self.slug} v{self.version}"


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


class GeneratedDocument(EncryptedRecord):
    """One document generated from a case. ``envelope``: the work sealed to the running workers
    (the case's key and the data), cleared as soon as the document is written."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="documents")
    template_key = models.CharField(max_length=80)  # "builtin:kas22-claim" or "upload:<slug>"
    template_version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED)
    failure = models.CharField(max_length=40, blank=True)  # a code, never content
    include_withdrawn = models.BooleanField(default=False)
    claimants_count = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    envelope = models.TextField(blank=True)
    snapshot = EncryptedField()  # JSON of the data the document was made from
    docx = EncryptedField()  # base64 of the file
    pdf = EncryptedField()  # base64, when LibreOffice is installed

    def aad_context(self) -> str:
        return f"case:{self.case_id}"

    def __str__(self) -> str:
        return f"{self.template_key} v{self.template_version} (case {self.case_id})"


class Power(models.TextChoices):
    """The special powers a representative holds only by a power of attorney (КАС ст. 56 ч. 2;
    ГПК ст. 54): a warrant (ордер) does not give them."""

    SIGN_AND_FILE = "sign_and_file", _("to sign and file a claim")
    APPEAL = "appeal", _("to appeal a court's decision")
    WITHDRAW = "withdraw", _("to withdraw the claim")
    RECEIVE_SUMS = "receive_sums", _("to receive awarded sums")


class PowerOfAttorney(EncryptedRecord):
    """A power of attorney the representative holds: general (for any client of the organisation)
    or for named persons (their record ids). Its number and who issued it are sealed under a data
    key of its own, held by the representative (and recovery); the dates, scope and powers stay
    readable, so the check before generation needs no key to find the one that covers a claim."""

    representative = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)  # None: until revoked
    general = models.BooleanField(default=False)
    people = models.JSONField(default=list)  # person ids it covers when not general
    powers = models.JSONField(default=list)  # Power values
    added_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True)
    number = EncryptedField()
    issuer = EncryptedField()  # who issued it: a client's name or the organisation's

    def aad_context(self) -> str:
        return f"representative:{self.representative_id}"

    def __str__(self) -> str:
        return f"power of attorney {self.pk}"
