"""What arrived at intake. Answers, attachments and messages are ciphertext; see docs/security.md
for the plaintext operational fields (times, status, channel, questionnaire version)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from defensor.core.models import Organisation
from defensor.keys.models import KeyMaterial


class Channel(models.TextChoices):
    WEB = "web", _("web form")
    PHONE = "phone", _("phone call")


class Status(models.TextChoices):
    NEW = "new", _("new")
    IN_REVIEW = "in_review", _("in review")
    NEEDS_INFO = "needs_info", _("needs information")
    ACCEPTED = "accepted", _("accepted")
    REFERRED = "referred", _("referred elsewhere")
    REJECTED = "rejected", _("rejected")
    SPAM = "spam", _("spam")


OPEN_STATUSES = (Status.NEW, Status.IN_REVIEW, Status.NEEDS_INFO)


class Urgency(models.IntegerChoices):
    NORMAL = 0, _("normal")
    SOON = 1, _("soon")
    URGENT = 2, _("urgent")
    CRITICAL = 3, _("critical")


class Submission(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="submissions")
    intake_key = models.ForeignKey(KeyMaterial, on_delete=models.PROTECT, related_name="+")
    # The submission's data key sealed to the intake public key, and what it encrypts.
    sealed_key = models.BinaryField(null=True)
    answers = models.BinaryField(null=True)
    # The key that encrypts replies for the receipt holder, under the data key (so staff can write).
    reply_key = models.BinaryField(null=True)
    receipt_digest = models.CharField(max_length=64, unique=True, null=True)  # noqa: DJ001 - NULL once withdrawn
    questionnaire = models.CharField(max_length=64)
    questionnaire_version = models.PositiveIntegerField()
    language = models.CharField(max_length=8)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    held_for_review = models.BooleanField(default=False)
    received_at = models.DateTimeField(db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Triage (plaintext operational metadata, docs/security.md). Urgency and respond-by date are
    # assessed from the answers on arrival, so the inbox sorts without unsealing every request.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.NORMAL)
    respond_by = models.DateField(null=True, blank=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)  # first reply from the team
    # Accepted: the person and the case the request became (their content is in those records).
    person = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The index key its search digests (SubmissionIndex) were made with; NULL: not indexed yet. A
    # request is sealed on arrival and the server holds no key then, so a staff member's key ring
    # indexes it later (intake.search); after the index key is rotated every request is pending again.
    search_key = models.ForeignKey(KeyMaterial, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What reports count of the answers (region, service, force, pressure named: keys.facts), sealed
    # with the same index key when the request is indexed.
    report_facts = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            # Status and withdrawal in the index: the inbox filters on them without reading the
            # (large, encrypted) rows it skips, and counts its pages from the index alone.
            models.Index(
                fields=["organisation", "-urgency", "received_at", "id", "status", "withdrawn_at"],
                name="submission_inbox_order",
            ),
            models.Index(
                fields=["organisation", "received_at", "id", "status", "withdrawn_at"], name="submission_inbox_age"
            ),
            models.Index(fields=["organisation", "status", "withdrawn_at"], name="submission_inbox_count"),
            models.Index(fields=["organisation", "answered_at", "received_at"], name="submission_unanswered"),
            models.Index(fields=["organisation", "search_key"], name="submission_search_pending"),
        ]

    def __str__(self) -> str:
        return f"submission {self.pk}"


class SubmissionIndex(models.Model):
    """A search digest of a request: the blind index (keyed with the organisation's index key) of
    one normalised answer (phone or other contact, surname, date of birth, unit). Nothing here can
    be read back or tested against a guess without the index key; see intake.search."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="search_digests")
    purpose = models.CharField(max_length=24)  # which answer: the people app's index names (value_index, ...)
    digest = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["organisation", "purpose", "digest"], name="submission_search")]
        constraints = [
            models.UniqueConstraint(fields=["submission", "purpose", "digest"], name="submission_digest_once"),
        ]

    def __str__(self) -> str:
        return f"search digest of submission {self.submission_id}"


class Attachment(models.Model):
    """A file, encrypted as it streamed in, stored under the data directory by a random name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, null=True, on_delete=models.CASCADE, related_name="attachments")
    # Until the submission is sent the file key lives only in the visitor's encrypted form state.
    # Sent with the questionnaire: AEAD under the submission's data key. Added later with the
    # receipt (the server no longer holds the data key): sealed to the intake public key.
    file_key = models.BinaryField(null=True)
    meta = models.BinaryField(null=True)  # {name, type, size}, encrypted the same way
    sealed_to_intake = models.BooleanField(default=False)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"attachment {self.pk}"


class Message(models.Model):
    """A reply from the team or a later message from the submitter."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="messages")
    from_team = models.BooleanField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    automatic = models.BooleanField(default=False)
    for_team = models.BinaryField()  # AEAD(data key) for replies; sealed to the intake key for submitters
    for_submitter = models.BinaryField(null=True)  # AEAD(reply key): team replies only
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"message {self.pk}"


class UnsentUpload(models.Model):
    """A file attached to a web form that is not sent yet, and the form it belongs to.

    So that a forged form state cannot remove or send someone else's file, and files of forms
    never sent are capped per form and in all (and swept, intake.tasks). No personal data: the
    file's id, the form's visit id (which becomes the submission's id if it is sent), the kind the
    first bytes showed, the bytes it takes on disk rounded up to 64 KiB, when it arrived.
    """

    id = models.UUIDField(primary_key=True, editable=False)  # the file's name under attachments/
    visit = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=16)
    stored_bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"unsent upload {self.pk}"
