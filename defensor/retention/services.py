"""Erasure on schedule: the policy an administrator sets, and the daily run that carries it out.

A request is erased by crypto-shredding and deletion: its sealed data key, answers, reply key,
receipt digest, messages, search digests and attachments' keys go with its row (SQLite overwrites
deleted rows, ``secure_delete``, and its write-ahead log is folded back and truncated after the
commit); its attachment files are overwritten and removed once the deletion is committed. A closed
case is erased with ``cases.services.case_erase_on_schedule`` (every copy of its data key destroyed,
its ciphertexts blanked) and, with it, the sealed fields of its evidence, bundles and documents,
the requests accepted into it (as above) and the person records of its claimants who are in no
case still kept. Each record is erased in its own transaction with its own audit event (ids and
counts, never content): one that fails is reported and the others go on. Running twice erases
nothing twice. See docs/security.md, "Retention and erasure".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from defensor.access.services import forget_deleted_pages
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case, Claimant
from defensor.cases.services import case_erase_on_schedule
from defensor.core.errors import DefensorError, PermissionDenied
from defensor.core.files import shred
from defensor.core.models import Organisation
from defensor.documents.models import GeneratedDocument
from defensor.evidence.models import Bundle, EvidenceItem
from defensor.intake.models import Submission
from defensor.intake.uploads import attachment_path
from defensor.people.models import Person
from defensor.people.services import person_erase_on_schedule
from defensor.retention.models import RetentionPolicy
from defensor.retention.selectors import DueItem, Kind, case_due_on, policy_for, request_due_on, retention_due

logger = logging.getLogger(__name__)


class NoLongerDue(DefensorError):
    """Between the listing and the erasure the record changed (a new status, a legal hold)."""


# --- the policy -------------------------------------------------------------------------------


@transaction.atomic
def retention_policy_set(
    *, organisation: Organisation, set_by: User, spam_days: int | None, rejected_days: int | None,
    closed_case_years: int | None,
) -> RetentionPolicy:
    """Save the organisation's policy (None: never erase that kind). Audited with the values."""
    require_permission(set_by, Perm.USERS_MANAGE)
    if set_by.membership.organisation_id != organisation.pk:
        raise PermissionDenied()
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()  # two saves at once: one waits
    policy = policy_for(organisation)
    values = {"spam_days": spam_days, "rejected_days": rejected_days, "closed_case_years": closed_case_years}
    changed = sorted(name for name, value in values.items() if getattr(policy, name) != value)
    if not changed and policy.pk is not None:
        return policy
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_at, policy.updated_by = timezone.now(), set_by
    policy.save()
    log_action(action="retention.policy_changed", actor=set_by, target=policy,
               details={"changed": changed, **values})
    return policy


# --- the run ----------------------------------------------------------------------------------


@dataclass
class RunReport:
    """What one run erased and what it could not (each with the error's type, never a message)."""

    on: date
    erased: list[DueItem] = field(default_factory=list)
    failed: list[tuple[DueItem, str]] = field(default_factory=list)
    people: int = 0  # person records erased with the cases

    def count(self, kind: Kind) -> int:
        return sum(1 for item in self.erased if item.kind == kind)

    def count_of(self, kind: str) -> int:
        return self.count(Kind(kind))


def _request_shred(submission: Submission, *, reason: str) -> list[str]:
    """Crypto-shred and delete one request (in the caller's transaction, the row locked). Returns
    its attachments' ids, whose files the caller shreds after the commit."""
    attachments = [str(pk) for pk in submission.attachments.values_list("id", flat=True)]
    messages = submission.messages.count()
    log_action(action="retention.request_erased", organisation=submission.organisation, target=submission,
               details={"by": "retention", "reason": reason, "status": submission.status,
                        "attachments": len(attachments), "messages": messages,
                        "withdrawn": submission.withdrawn_at is not None})
    # The keys and ciphertexts first, as a withdrawal does; then the row with its messages,
    # attachments' keys and search digests (they cascade).
    Submission.objects.filter(pk=submission.pk).update(sealed_key=None, answers=None, reply_key=None,
                                                       receipt_digest=None, report_facts=None)
    Submission.objects.filter(pk=submission.pk).delete()
    forget_deleted_pages()
    return attachments


def _shred_after_commit(attachments: list[str]) -> None:
    if attachments:
        transaction.on_commit(lambda: [shred(attachment_path(file_id)) for file_id in attachments])


def _request_erase(item: DueItem, organisation: Organisation, policy: RetentionPolicy, on: date) -> bool:
    with transaction.atomic():
        submission = (Submission.objects.select_for_update().select_related("organisation")
                      .filter(pk=item.id, organisation=organisation).first())
        if submission is None:
            return False  # erased already (another run, a colleague)
        due_on = request_due_on(submission, policy)
        if submission.status != item.kind.value or due_on is None or due_on > on:
            raise NoLongerDue()
        attachments = _request_shred(submission, reason=item.kind.value)
        _shred_after_commit(attachments)
    return True


def _case_erase(item: DueItem, organisation: Organisation, policy: RetentionPolicy, on: date) -> int | None:
    """Erase one closed case and what goes with it. Returns how many person records went with it
    (None: the case was erased already)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=item.id, organisation=organisation).first()
        if case is None or case.erased_at is not None:
            return None
        due_on = case_due_on(case, policy)
        if due_on is None or due_on > on:
            raise NoLongerDue()
        attachments: list[str] = []
        requests = list(Submission.objects.select_for_update().select_related("organisation").filter(case=case))
        for submission in requests:
            attachments += _request_shred(submission, reason="case")
        case_erase_on_schedule(case=case)
        # Sealed under the case's key, now destroyed: blanked too. The evidence files stay in the
        # folder as ciphertext without a key, since their chains of custody name them (below).
        evidence = EvidenceItem.objects.filter(case=case).update(**dict.fromkeys(EvidenceItem.encrypted_field_names()))
        Bundle.objects.filter(case=case).update(**dict.fromkeys(Bundle.encrypted_field_names()), envelope="")
        documents = GeneratedDocument.objects.filter(case=case).update(
            **dict.fromkeys(GeneratedDocument.encrypted_field_names()))
        people = 0
        for person in Person.objects.filter(claims__case=case, erased_at__isnull=True).distinct().order_by("pk"):
            if _person_kept(person):
                continue
            person_erase_on_schedule(person=person)
            people += 1
        log_action(action="retention.case_erased", organisation=organisation, target=case,
                   details={"by": "retention", "requests": len(requests), "attachments": len(attachments),
                            "evidence": evidence, "documents": documents, "people": people})
        _shred_after_commit(attachments)
    return people


def _person_kept(person: Person) -> bool:
    """A person is kept while any case of theirs is (a claim in a case not erased), and when they
    are part of a merge (their record and another's are kept together; erased by hand)."""
    return (Claimant.objects.filter(person=person, case__erased_at__isnull=True).exists()
            or person.merged_into_id is not None
            or Person.objects.filter(merged_into=person).exists())


def _failed(item: DueItem, organisation: Organisation, error: Exception) -> None:
    with transaction.atomic():
        log_action(action="retention.failed", organisation=organisation,
                   details={"kind": item.kind.value, "id": item.id, "error": type(error).__name__})


def retention_run(*, organisation: Organisation, on: date | None = None) -> RunReport:
    """Erase everything the organisation's policy says is due on ``on`` (default today)."""
    on = on or timezone.localdate()
    policy = policy_for(organisation)
    report = RunReport(on=on)
    for item in retention_due(organisation=organisation, on=on, policy=policy):
        try:
            if item.kind == Kind.CASE:
                people = _case_erase(item, organisation, policy, on)
                done = people is not None
                report.people += people or 0
            else:
                done = _request_erase(item, organisation, policy, on)
        except Exception as error:  # one record's failure must not stop the others
            logger.warning("retention: %s %s not erased (%s)", item.kind.value, item.id, type(error).__name__)
            report.failed.append((item, type(error).__name__))
            _failed(item, organisation, error)
        else:
            if done:
                report.erased.append(item)
    if report.erased or report.failed:
        with transaction.atomic():
            log_action(action="retention.run", organisation=organisation, details={
                "on": on.isoformat(), "spam": report.count(Kind.SPAM), "rejected": report.count(Kind.REJECTED),
                "cases": report.count(Kind.CASE), "people": report.people, "failed": len(report.failed),
            })
        _vacuum()
    return report


def _vacuum() -> None:
    """On PostgreSQL, deleted rows stay in the table's pages until VACUUM marks the space free for
    reuse (it is then overwritten by later rows); ask for it now rather than at autovacuum's
    leisure. Not possible inside a transaction (tests): then autovacuum does it."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = [model._meta.db_table for model in (Submission, Case, Person, EvidenceItem, GeneratedDocument)]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM " + ", ".join(connection.ops.quote_name(table) for table in tables))


def retention_run_all(*, on: date | None = None) -> list[tuple[Organisation, RunReport]]:
    """The worker's daily run: every organisation's policy."""
    return [(organisation, retention_run(organisation=organisation, on=on))
            for organisation in Organisation.objects.order_by("pk")]


__all__ = ["RunReport", "retention_policy_set", "retention_run", "retention_run_all"]
