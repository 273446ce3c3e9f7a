"""The evidence locker: a case's files kept as originals, each with its chain of custody.

What is in the clear and why (docs/security.md, "Evidence locker"): ids, the case, the number in
the case's inventory, the source kind, the status, the flags (active content, identifies a client,
graphic), who added or verified it and when, the blob's random file name and the SHA-256 of its
CIPHERTEXT (so ``defensor evidence verify`` checks blobs and chains without any key), and the custody
events (kinds, actors, times, ids). Everything that describes the file itself — its name, type,
size, the SHA-256 of the original, its metadata, where it was captured — is sealed under the case's
data key: a plaintext hash would let whoever seizes the server confirm that they hold the same file.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from defensor.cases.models import Case, CaseEvent, Claimant
from defensor.keys.records import EncryptedField, EncryptedRecord


class Source(models.TextChoices):
    REQUEST = "request", _("Attached to a request")
    UPLOAD = "upload", _("Uploaded by a team member")
    PUBLIC = "public", _("Saved public source")


class ItemStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_REVIEW = "in_review", _("In review")
    VERIFIED = "verified", _("Verified")
    DISPUTED = "disputed", _("Disputed")
    REJECTED = "rejected", _("Rejected")


class EvidenceItem(EncryptedRecord):
    """One file of a case, kept as it came (the original never changes)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    number = models.PositiveIntegerField()  # № in the case's inventory of evidence: 1, 2, 3…
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.NEW)
    active_content = models.BooleanField(default=False)
    identifies_client = models.BooleanField(default=False)
    graphic = models.BooleanField(default=False)
    # The sealed file under the data directory's evidence/ folder, by a random name.
    blob = models.CharField(max_length=64, unique=True)
    blob_sha256 = models.CharField(max_length=64)  # of the ciphertext on disk
    # The blob's random key (base64), sealed under the case's data key like every other field, so a
    # rotation of the case's key re-seals it with them (as AEAD beside the fields it was left
    # under the destroyed key, and the file unreadable).
    file_key = EncryptedField()
    name = EncryptedField()
    media_type = EncryptedField()  # as sniffed from the content, not as named
    active_reasons = EncryptedField()  # JSON list of codes: why the file is flagged
    sha256 = EncryptedField()  # of the original
    size = EncryptedField()
    metadata = EncryptedField()  # JSON
    url = EncryptedField()
    platform = EncryptedField()
    captured_at = EncryptedField()  # ISO 8601
    captured_with = EncryptedField()
    captured_by = EncryptedField()  # a saved public source: the id of the team member who captured it
    description = EncryptedField()
    tags = EncryptedField()  # JSON list
    verification_note = EncryptedField()
    # JSON list of {"seq": the ``transferred`` custody event's seq, "note": free text}: a hand-over's
    # note names people and places, so it is sealed here, never in the event's plaintext details.
    handovers = EncryptedField()
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived")
    attachment = models.ForeignKey("intake.Attachment", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    # How many custody events the item has: a deleted last event shows as a count that does not match.
    custody_length = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="evidence_number_once"),
            models.UniqueConstraint(fields=["case", "attachment"], name="evidence_attachment_once"),
        ]
        ordering = ["case", "number"]

    def __str__(self) -> str:
        return f"evidence {self.pk}"

    def aad_context(self) -> str:
        return f"case:{self.case_id}"


class EvidenceLink(models.Model):
    item = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="links")
    claimant = models.ForeignKey(Claimant, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"evidence link {self.pk}"


class CustodyKind(models.TextChoices):
    CAPTURED = "captured", _("Captured")
    VIEWED = "viewed", _("Viewed")
    DOWNLOADED = "downloaded", _("Downloaded")
    DERIVED = "derived", _("Working copy made")
    # Older chains only: a status change was a ``verified`` event; new ones are ``status_changed``.
    VERIFIED = "verified", _("Verified")
    STATUS_CHANGED = "status_changed", _("Status changed")
    LABELLED = "labelled", _("Flags or tags changed")
    EXPORTED = "exported", _("Exported")
    TRANSFERRED = "transferred", _("Transferred")


class CustodyEvent(models.Model):
    """One link of an item's chain of custody. Append-only (evidence.services.custody_append);
    ``hash`` covers the event and the previous hash (evidence.custody.event_hash)."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=CustodyKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    details = models.JSONField(default=dict)  # ids and codes only
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "seq"], name="custody_seq_once")]
        ordering = ["item", "seq"]

    def __str__(self) -> str:
        return f"custody {self.item_id}#{self.seq}"


class BundleStatus(models.TextChoices):
    QUEUED = "queued", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Bundle(EncryptedRecord):
    """A court bundle: chosen items of a case as one BagIt ZIP (evidence.bundle), built by the
    background worker and kept sealed under its own random key (``file_key``, sealed under the
    case's key) in the evidence folder's ``bundles/``. ``envelope``: the work sealed to the running
    workers, cleared as soon as the bundle is written. In the clear: ids, status, a failure code,
    who asked and when, the blob's random name and the SHA-256 of its ciphertext."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence_bundles")
    item_ids = models.JSONField(default=list)  # the chosen items' ids, in inventory order
    status = models.CharField(max_length=12, choices=BundleStatus.choices, default=BundleStatus.QUEUED)
    failure = models.CharField(max_length=40, blank=True)  # a code, never content
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    envelope = models.TextField(blank=True)
    blob = models.CharField(max_length=64, blank=True)
    blob_sha256 = models.CharField(max_length=64, blank=True)  # of the ciphertext on disk
    file_key = EncryptedField()  # base64 of the blob's key
    sha256 = EncryptedField()  # of the ZIP
    size = EncryptedField()

    class Meta:
        ordering = ["case", "-requested_at"]

    def __str__(self) -> str:
        return f"evidence bundle {self.pk}"

    def aad_context(self) -> str:
        return f"case:{self.case_id}"


class TimestampToken(models.Model):
    """An RFC 3161 time-stamp token over the Merkle root of custody chain heads (evidence.timestamps).

    In the clear, as the chains are: the root, the TSA's reply (which holds only the root's hash and
    the TSA's time and signature) and, in ``leaves``, which event of which item each leaf is."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()  # when stored (orders tokens: the TSA's time may be whole seconds)
    stamped_at = models.DateTimeField()  # the TSA's time (genTime)
    root = models.CharField(max_length=64)  # hex
    response = models.BinaryField()  # the TSA's TimeStampResp, DER, as received

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"timestamp {self.pk}"


class TimestampLeaf(models.Model):
    """One leaf of a token's tree, in order: the item's custody event ``seq`` whose ``hash`` it was."""

    token = models.ForeignKey(TimestampToken, on_delete=models.PROTECT, related_name="leaves")
    position = models.PositiveIntegerField()
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="timestamp_leaves")
    seq = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "position"], name="timestamp_leaf_once")]
        ordering = ["token", "position"]

    def __str__(self) -> str:
        return f"timestamp leaf {self.token_id}#{self.position}"
