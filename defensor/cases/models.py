"""A matter the team works on, and its notes. Titles, summaries and notes are encrypted under
the case's data key; the case number and dates are operational metadata (docs/security.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from defensor.core.models import Organisation
from defensor.keys.records import EncryptedField, EncryptedRecord


class CaseKind(models.TextChoices):
    """What the case is; it decides the court, the procedure, the deadlines and the templates
    (cases.procedures)."""

    MILITARY_ADMIN = "military_admin", _("Serviceman's claim against a military official's decision")
    SPECIAL_RANK = "special_rank", _("Service dispute of an employee with a special rank")
    CRIMINAL = "criminal", _("Criminal defence")
    OBJECTION = "objection", _("Conscientious objection (alternative civilian service)")
    OTHER = "other", _("Other")


class CaseStage(models.TextChoices):
    PREPARATION = "preparation", _("Preparing")
    PRE_TRIAL = "pre_trial", _("Before court (complaint, inquiry)")
    FIRST_INSTANCE = "first_instance", _("First instance")
    APPEAL = "appeal", _("Appeal")
    CASSATION = "cassation", _("Cassation")
    ENFORCEMENT = "enforcement", _("Enforcement")
    CLOSED = "closed", _("Closed")


class CaseOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Claim granted")
    PARTLY_GRANTED = "partly_granted", _("Claim partly granted")
    REFUSED = "refused", _("Claim refused")
    SETTLED = "settled", _("Settled")
    WITHDRAWN = "withdrawn", _("Claim withdrawn")
    NOT_CONSIDERED = "not_considered", _("Left without consideration")
    TERMINATED = "terminated", _("Proceedings terminated")


class Case(EncryptedRecord):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(max_length=32)
    title = EncryptedField()
    summary = EncryptedField()
    # The court and its case number find the people in public court records: sealed.
    court = EncryptedField()
    court_number = EncryptedField()
    kind = models.CharField(max_length=24, choices=CaseKind.choices, default=CaseKind.OTHER)
    stage = models.CharField(max_length=24, choices=CaseStage.choices, default=CaseStage.PREPARATION)
    outcome = models.CharField(max_length=24, choices=CaseOutcome.choices, default=CaseOutcome.PENDING)
    # A group claim: many claimants, each with their own dates and fate (requests are accepted into it).
    group = models.BooleanField(default=False)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Who answers for the case's due dates: deadline reminders go to them (to everyone who works on
    # the case when no one is named or they no longer hold it).
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("responsible lawyer"))
    created_at = models.DateTimeField(auto_now_add=True)
    # Raised by every edit of the case's own fields: an edit made on an older version is refused
    # (two people editing one case never silently overwrite each other).
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # When the stage last became "closed" (None while open): retention counts its years from here.
    closed_at = models.DateTimeField(null=True, blank=True)
    # Kept whatever the retention policy says, until a lawyer or an administrator releases it.
    legal_hold = models.BooleanField(default=False)
    legal_hold_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "number"], name="case_number_unique")]
        indexes = [models.Index(fields=["organisation", "-updated_at", "-id"], name="case_list_recent")]

    def __str__(self) -> str:
        return f"case {self.number}"


class CaseNote(EncryptedRecord):
    """A note on a case, sealed under the case's own data key."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = EncryptedField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"

    def aad_context(self) -> str:
        return f"case:{self.case_id}"


class ClaimantStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    WITHDRAWN = "withdrawn", _("withdrawn")
    REINSTATED = "reinstated", _("reinstated")
    DISMISSED = "dismissed", _("dismissed")
    # Taken off the claim because they were added by mistake: not a withdrawal, never counted as one.
    REMOVED = "removed", _("removed (added by mistake)")


# A membership is open while the claimant is in the claim; withdrawing or being dismissed closes
# it (the person stays, with every other case of theirs).
OPEN_STATUSES = (ClaimantStatus.ACTIVE, ClaimantStatus.PAUSED, ClaimantStatus.REINSTATED)


class WithdrawalReason(models.TextChoices):
    VOLUNTARY = "voluntary", _("Of their own will")
    FAMILY = "family", _("Under pressure from family")
    CRIMINAL_THREAT = "criminal_threat", _("Under threat of a criminal case")
    COMMAND = "command", _("Under pressure from the command")
    OTHER_PRESSURE = "other_pressure", _("Under other pressure")


PRESSURE_REASONS = (
    WithdrawalReason.FAMILY,
    WithdrawalReason.CRIMINAL_THREAT,
    WithdrawalReason.COMMAND,
    WithdrawalReason.OTHER_PRESSURE,
)


class Claimant(models.Model):
    """A person's membership in a case. Withdrawing ends the membership, not the person."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claimants")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(max_length=16, choices=ClaimantStatus.choices, default=ClaimantStatus.ACTIVE)
    status_on = models.DateField(null=True, blank=True)  # since when (the date the change took effect)
    # The last time the team spoke with them (a "contact" event, or the day they were added to the
    # claim); follow-ups are due when it is old.
    last_contact_on = models.DateField(null=True, blank=True)
    # The request the person was accepted from, if any (its answers stay sealed in the submission).
    submission = models.ForeignKey(
        "intake.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    # Merging person records merges their memberships: the duplicate's membership in a case where
    # the kept person is a claimant too is folded into that one (hidden, nothing deleted); one
    # where only the duplicate was a claimant is moved to the kept person and remembers whose it
    # was. Un-merging restores both exactly.
    # Indexed only where set (Meta): an index over every NULL made SQLite, which has no statistics,
    # read it for "merged_into IS NULL" instead of the index a query needed (the overview's
    # follow-ups at 100,000 cases: 0.7 s).
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_claimants", db_index=False
    )
    moved_from_person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="claimant_once_per_case")]
        indexes = [
            models.Index(fields=["merged_into"], condition=Q(merged_into__isnull=False), name="claimant_merged"),
            models.Index(fields=["case", "id"], name="claimant_roster"),
            models.Index(fields=["last_contact_on", "id"], name="claimant_follow_up"),
        ]

    def __str__(self) -> str:
        return f"claimant {self.pk} in case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ClaimantStatusChange(EncryptedRecord):
    """One line of a claimant's history: the status, since when, why, and who recorded it. The
    note is sealed under the case's key."""

    claimant = models.ForeignKey(Claimant, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=16, choices=ClaimantStatus.choices)
    previous = models.CharField(max_length=16, choices=ClaimantStatus.choices, blank=True)
    effective_on = models.DateField()
    reason = models.CharField(max_length=24, choices=WithdrawalReason.choices, blank=True)
    note = EncryptedField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["claimant", "effective_on", "id"], name="claimant_history_order")]

    def __str__(self) -> str:
        return f"status {self.status} of claimant {self.claimant_id}"

    def aad_context(self) -> str:
        return f"claimant:{self.claimant_id}"


class EventKind(models.TextChoices):
    ORDER_RECEIVED = "order_received", _("Order received")
    REFUSAL = "refusal", _("Refusal")
    INTERNAL_INQUIRY = "internal_inquiry", _("Internal inquiry")
    DISMISSAL_ORDER = "dismissal_order", _("Dismissal order")
    FILING = "filing", _("Filed with the court")
    HEARING = "hearing", _("Hearing")
    DECISION = "decision", _("Decision")
    APPEAL = "appeal", _("Appeal")
    IN_FORCE = "in_force", _("Decision entered into force")
    LAWYER_REQUEST = "lawyer_request", _("Lawyer's request sent")
    REPLY_RECEIVED = "reply_received", _("Reply to a request received")
    CONTACT = "contact", _("Spoke with the client")
    PRESSURE = "pressure", _("Pressure (incident)")
    OTHER = "other", _("Other")


class CaseEvent(EncryptedRecord):
    """Something that happened in the case, or to one claimant of it (their own dismissal order
    drives their own deadlines). The date is plain (deadlines and the timeline are computed from
    it); what happened is sealed under the case's key."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    claimant = models.ForeignKey(Claimant, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    happened_on = models.DateField()
    # The person gave the date roughly ("March 2022"): happened_on is the earliest day it can be,
    # and everything counted from it says so.
    approximate = models.BooleanField(default=False)
    text = EncryptedField()
    # The request the fact was carried from on accept (None: typed by the team).
    submission = models.ForeignKey(
        "intake.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Moved here from a duplicate's membership when person records were merged (un-merge moves it back).
    moved_from = models.ForeignKey(
        "Claimant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A pressure incident recorded with a withdrawal, for later advocacy.
    status_change = models.ForeignKey(
        ClaimantStatusChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["case", "happened_on", "id"], name="case_event_timeline"),
            models.Index(fields=["claimant", "happened_on", "id"], name="claimant_event_timeline"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"

    def aad_context(self) -> str:
        return f"case:{self.case_id}"


class Task(EncryptedRecord):
    """Something to do on a case, by someone, by a date. The title is sealed under the case's key."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = EncryptedField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_tasks"
    )
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["assignee", "done_at", "due_on"], name="task_due_for")]

    def __str__(self) -> str:
        return f"task {self.pk} on case {self.case_id}"

    def aad_context(self) -> str:
        return f"case:{self.case_id}"


class CaseFile(models.Model):
    """A file a person attached to their request, carried into the case on accept. The file stays
    where intake stored it, sealed under the request's key; this row says which case (and which
    claimant) it belongs to. The evidence locker builds its items on these."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="files")
    claimant = models.ForeignKey(Claimant, null=True, blank=True, on_delete=models.SET_NULL, related_name="files")
    attachment = models.ForeignKey("intake.Attachment", on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "attachment"], name="case_file_once")]

    def __str__(self) -> str:
        return f"file {self.attachment_id} in case {self.case_id}"


class ClaimantMerge(models.Model):
    """One membership folded into another when person records were merged (the duplicate's
    membership ``claimant`` into the kept person's ``into`` in the same case): what un-merging
    undoes. Moved events say so themselves (``CaseEvent.moved_from``)."""

    claimant = models.OneToOneField(Claimant, on_delete=models.CASCADE, related_name="folded")
    into = models.ForeignKey(Claimant, on_delete=models.CASCADE, related_name="+")
    # The lawyer kept the duplicate's status: the history line the merge added to ``into``, and
    # the status it had before (un-merging takes the line out and gives that status back).
    status_change = models.ForeignKey(
        ClaimantStatusChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_before = models.CharField(max_length=16, choices=ClaimantStatus.choices, blank=True)
    status_on_before = models.DateField(null=True, blank=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"claimant {self.claimant_id} folded into {self.into_id}"
