"""Receiving, answering and withdrawing submissions.

A submission is sealed the moment it arrives: a fresh data key encrypts the answers, attachment
keys and the acknowledgement, and is itself sealed to the organisation's intake public key, so
only staff with the intake key (or the recovery key) can open it. The receipt is returned once
and only its keyed hash is kept.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defensor.access.services import require_record_access
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case, CaseKind, Claimant
from defensor.cases.services import case_open, claimant_add
from defensor.core import statements
from defensor.core.errors import DefensorError
from defensor.core.files import shred
from defensor.core.models import Organisation
from defensor.intake import receipts, urgency
from defensor.intake.carry import Carried, carry_facts
from defensor.intake.models import (
    OPEN_STATUSES,
    Attachment,
    Channel,
    Message,
    Status,
    Submission,
    UnsentUpload,
    Urgency,
)
from defensor.intake.questionnaire import Questionnaire
from defensor.intake.state import AttachedFile
from defensor.intake.uploads import attachment_path, attachments_dir, disk_has_room, unsent_bytes_total
from defensor.keys import crypto
from defensor.keys.blind import normalise_phone
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyKind, KeyMaterial
from defensor.people.matching import Identity, identity_of
from defensor.people.models import Person
from defensor.people.selectors import merge_root
from defensor.people.services import HandleInput, handle_add, person_create, person_update


class IntakeBusy(DefensorError):
    user_message = gettext_lazy("Very many people are writing right now. Please try again in a few minutes.")


class AlreadyReceived(DefensorError):
    user_message = gettext_lazy("This request was already sent.")


class Withdrawn(DefensorError):
    user_message = gettext_lazy("This request was withdrawn and erased.")


def rounded_size(size: int) -> int:
    """What is kept in the clear about a file's size: rounded up to 64 KiB (an exact size can
    identify a known document). The exact size is in the encrypted metadata."""
    step = 64 * 1024
    return -(-size // step) * step


class IntakeClosed(DefensorError):
    user_message = gettext_lazy("The request form is not open yet. Please try again later.")


class FilesGone(DefensorError):
    """Files the form names are no longer waiting for it (swept as abandoned, or never its own):
    nothing is received, so the person is told to attach them again rather than sent without them."""

    def __init__(self, file_ids: set[str]) -> None:
        super().__init__()
        self.file_ids = file_ids


class DiskLow(IntakeBusy):
    """Free disk is down to the floor kept for the team's work and the requests already received."""

    user_message = gettext_lazy(
        "The service is busy right now. Please try again later: what you wrote is kept on this page."
    )


def _received(attached: AttachedFile) -> dict[str, str]:
    """The SHA-256 of the file as it streamed in, for its sealed metadata (the request page and the
    evidence locker later compare the stored file with it)."""
    return {"received_sha256": attached.sha256} if attached.sha256 else {}


def _aad(submission_id: object, what: str) -> bytes:
    return f"defensor.submission.{submission_id}.{what}".encode()


@dataclass(frozen=True)
class Received:
    submission: Submission
    receipt: str

    def __repr__(self) -> str:
        return f"<Received {self.submission.pk}>"


def acknowledgement_text(language: str) -> str:
    with translation.override(language):
        configured = settings.DEFENSOR_INTAKE_ACKNOWLEDGEMENT.get(language[:2])
        return configured or _(
            "We have received your request. A member of the legal team will read it and reply here, "
            "usually within three working days. If you asked to be contacted another way, we will use "
            "only the way you chose. Keep your receipt phrase safe: it is the only way to read our reply."
        )


@functools.cache
def _intake_key_statement(vendor: str, of_organisation: bool) -> str:
    """The open intake key's (id, public key, organisation): of the given organisation, or of the
    instance's one (its first), found in the same statement."""
    keys, organisations = statements.table(KeyMaterial), statements.table(Organisation)
    key = functools.partial(statements.column, KeyMaterial)
    organisation_pk = statements.column(Organisation, "id")
    owner = "%s" if of_organisation else (
        f"(SELECT {organisation_pk} FROM {organisations} ORDER BY {organisation_pk} LIMIT 1)"  # noqa: S608
    )
    return (
        f"SELECT {key('id')}, {key('public_key')}, {key('organisation')} FROM {keys} "  # noqa: S608
        f"WHERE {key('organisation')} = {owner} AND {key('kind')} = %s "
        f"AND {key('retired_at')} IS NULL AND {key('destroyed_at')} IS NULL ORDER BY {key('id')} LIMIT 1"
    )


def _intake_key(organisation: Organisation | None) -> tuple[Organisation, KeyMaterial]:
    """The organisation that receives (the instance's one unless given) and its open intake key;
    IntakeClosed when there is none to seal to."""
    text = _intake_key_statement(connection.vendor, organisation is not None)
    params: list[Any] = [KeyKind.INTAKE.value] if organisation is None else [organisation.pk, KeyKind.INTAKE.value]
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        row = cursor.fetchone()
    if row is None or row[1] is None:
        raise IntakeClosed()
    material = statements.loaded(
        KeyMaterial,
        id=statements.value(KeyMaterial, "id", row[0]),
        public_key=statements.value(KeyMaterial, "public_key", row[1]),
        organisation_id=row[2],
    )
    return organisation or statements.loaded(Organisation, id=row[2]), material


def check_disk() -> None:
    """A request or a message from the public takes a few kilobytes: taken down to the floor of
    free disk (files stop earlier, at the reserve). What remains is for the team's work and the
    database, so no write of something already acknowledged fails for want of room."""
    if not disk_has_room(keep=settings.DEFENSOR_DISK_FLOOR_BYTES):
        raise DiskLow()


def check_capacity() -> None:
    """Answer a flood with 'try again' rather than accepting more than we can keep."""
    check_disk()
    limit = settings.DEFENSOR_INTAKE_MAX_PER_MINUTE
    since = timezone.now() - timedelta(minutes=1)
    if limit and Submission.objects.filter(received_at__gte=since).count() >= limit:
        raise IntakeBusy()


@transaction.atomic
def submission_receive(
    *,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    files: list[AttachedFile],
    language: str,
    receipt: str,
    channel: Channel = Channel.WEB,
    held_for_review: bool = False,
    organisation: Organisation | None = None,
    submission_id: uuid.UUID | None = None,
    taken_by: User | None = None,
) -> Received:
    """Seal and store a request. ``taken_by``: the team member who took it by phone.

    ``submission_id``: the web form's visit. ``files`` must all be that visit's own and still
    kept, or nothing is received (FilesGone): a forged form state cannot take another visitor's
    file, and a file swept while the form was being sent is not silently left out.
    """
    if taken_by is not None:
        require_permission(taken_by, Perm.INTAKE_HOTLINE)
        organisation = taken_by.membership.organisation
    organisation, intake_key = _intake_key(organisation)
    data_key = crypto.random_key()
    reply_key = receipts.reply_key(receipt)
    submission = Submission(
        id=submission_id or uuid.uuid4(),
        organisation=organisation,
        intake_key=intake_key,
        questionnaire=questionnaire.id,
        questionnaire_version=questionnaire.version,
        language=language[:2],
        channel=channel,
        held_for_review=held_for_review,
        received_at=timezone.now(),
        receipt_digest=receipts.digest(receipt),
    )
    assessment = urgency.assess(answers, today=timezone.localdate())
    submission.urgency, submission.respond_by = assessment.level, assessment.respond_by
    submission.sealed_key = crypto.seal(bytes(intake_key.public_key or b""), data_key)
    payload = json.dumps({"answers": answers}, ensure_ascii=False).encode()
    submission.answers = crypto.encrypt(data_key, payload, aad=_aad(submission.pk, "answers"))
    submission.reply_key = crypto.encrypt(data_key, reply_key, aad=_aad(submission.pk, "reply_key"))
    try:
        statements.insert(submission)
    except IntegrityError as error:  # the same form sent twice at the same moment
        # No savepoint of its own: nothing goes on after it, this function's atomic undoes it all.
        raise AlreadyReceived() from error
    # Under the lock the sweep also takes: a file is either still this form's or gone, never both.
    owned = _uploads_locked(submission.pk)
    gone = {f.id for f in files if f.id not in owned or not attachment_path(f.id).exists()}
    if gone:
        raise FilesGone(gone)  # the submission is not kept: the person attaches them again or sends without
    if owned:  # most forms have no files: then there is nothing to remove
        # The form's files it does not send (a page left with the browser's Back) go now, not in a day.
        unsent_uploads_remove(visit=str(submission.pk), file_ids=set(owned) - {f.id for f in files})
        UnsentUpload.objects.filter(visit=submission.pk).delete()
    for attached in {f.id: f for f in files}.values():  # once each, whatever a forged state repeats
        meta = json.dumps({"name": attached.name, "type": owned[attached.id], "size": attached.size,
                           **_received(attached)}).encode()
        Attachment.objects.create(
            id=attached.id,
            submission=submission,
            size=rounded_size(attached.size),
            file_key=crypto.encrypt(data_key, attached.key, aad=_aad(submission.pk, f"file.{attached.id}")),
            meta=crypto.encrypt(data_key, meta, aad=_aad(submission.pk, f"meta.{attached.id}")),
        )
    text = acknowledgement_text(language).encode()
    message = Message(submission=submission, from_team=True, automatic=True)
    message.for_team = crypto.encrypt(data_key, text, aad=_aad(submission.pk, "message"))
    message.for_submitter = crypto.encrypt(reply_key, text, aad=_aad(submission.pk, "reply"))
    statements.insert(message)
    log_action(
        action="submission.received",
        actor=taken_by,
        organisation=organisation,
        target=submission,
        details={"channel": channel.value, "attachments": len({f.id for f in files}), "held": held_for_review},
    )
    return Received(submission=submission, receipt=receipt)


@functools.cache
def _uploads_statement(vendor: str) -> str:
    column = functools.partial(statements.column, UnsentUpload)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT {column('id')}, {column('kind')} FROM {statements.table(UnsentUpload)} "  # noqa: S608
        f"WHERE {column('visit')} = %s{lock}"
    )


def _uploads_locked(visit: uuid.UUID) -> dict[str, str]:
    """The visit's files still kept unsent ({id: kind}), locked as the sweep locks them."""
    with connection.cursor() as cursor:
        cursor.execute(_uploads_statement(connection.vendor), [statements.param(UnsentUpload, "visit", visit)])
        rows = cursor.fetchall()
    return {str(statements.value(UnsentUpload, "id", file_id)): str(kind) for file_id, kind in rows}


@functools.cache
def _received_statement(vendor: str) -> str:
    return (
        f"SELECT 1 FROM {statements.table(Submission)} "  # noqa: S608
        f"WHERE {statements.column(Submission, 'id')} = %s"
    )


def visit_received(visit: uuid.UUID) -> bool:
    """Whether this form's visit has already been received (its request's id is the visit's)."""
    with connection.cursor() as cursor:
        cursor.execute(_received_statement(connection.vendor), [statements.param(Submission, "id", visit)])
        return cursor.fetchone() is not None


def submission_by_receipt(receipt: str) -> Submission | None:
    if not receipts.looks_complete(receipt):
        return None
    return Submission.objects.filter(receipt_digest=receipts.digest(receipt), withdrawn_at__isnull=True).first()


@dataclass(frozen=True)
class ReceiptMessage:
    from_team: bool
    created_at: Any
    text: str | None


def receipt_messages(*, submission: Submission, receipt: str) -> list[ReceiptMessage]:
    """What the receipt holder may read: the team's replies, and the dates of their own messages.

    Never the original answers, so a person forced to reveal the receipt reveals no more.
    """
    key = receipts.reply_key(receipt)
    shown = []
    for message in submission.messages.all():
        text = None
        if message.from_team and message.for_submitter is not None:
            text = crypto.decrypt(key, bytes(message.for_submitter), aad=_aad(submission.pk, "reply")).decode()
        shown.append(ReceiptMessage(from_team=message.from_team, created_at=message.created_at, text=text))
    return shown


@transaction.atomic
def submitter_message_add(*, submission: Submission, text: str, files: list[AttachedFile] | None = None) -> Message:
    """A later message (and files) from the receipt holder, sealed to the intake key: only the
    team reads them."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.withdrawn_at is not None:
        raise Withdrawn()  # a message racing the erasure is not kept
    public_key = bytes(KeyMaterial.objects.get(pk=submission.intake_key_id).public_key or b"")
    message = Message(submission=submission, from_team=False)
    message.for_team = crypto.seal(public_key, text.encode())
    message.save()
    for attached in files or []:
        meta = json.dumps({"name": attached.name, "type": attached.type, "size": attached.size,
                           **_received(attached)}).encode()
        Attachment.objects.create(
            id=attached.id, submission=submission, size=rounded_size(attached.size), sealed_to_intake=True,
            file_key=crypto.seal(public_key, attached.key), meta=crypto.seal(public_key, meta),
        )
    log_action(
        action="submission.message_received", organisation=submission.organisation, target=submission,
        details={"attachments": len(files or [])},
    )
    return message


@transaction.atomic
def submission_withdraw(*, submission: Submission) -> None:
    """The person withdraws: every key and ciphertext of the submission is destroyed.

    What remains is the row's operational metadata (time, language, questionnaire version) and the
    audit events, which hold counts and ids only (docs/security.md).
    """
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.withdrawn_at is not None:
        return
    attachments = list(submission.attachments.values_list("id", flat=True))
    submission.messages.all().delete()
    submission.attachments.all().delete()
    submission.search_digests.all().delete()  # intake.search: nothing left to find it by
    Submission.objects.filter(pk=submission.pk).update(
        sealed_key=None, answers=None, reply_key=None, receipt_digest=None, report_facts=None,
        withdrawn_at=timezone.now(),
    )
    log_action(
        action="submission.withdrawn", organisation=submission.organisation, target=submission,
        details={"attachments": len(attachments)},
    )
    # After commit: the keys are gone with the transaction; the files follow. (A crash in between
    # leaves ciphertext whose key no longer exists: the abandoned-upload sweep removes it.)
    def shred_files() -> None:
        for attachment_id in attachments:
            shred(attachment_path(str(attachment_id)))

    transaction.on_commit(shred_files)


# --- the team's side (triage builds on these) -----------------------------------------------


def submission_data_key(*, submission: Submission, keyring: KeyRing) -> bytes:
    if submission.sealed_key is None:
        raise crypto.Tampered()
    return crypto.unseal(keyring.material(submission.intake_key_id), bytes(submission.sealed_key))


def submission_answers(*, submission: Submission, keyring: KeyRing) -> dict[str, Any]:
    key = submission_data_key(submission=submission, keyring=keyring)
    payload = crypto.decrypt(key, bytes(submission.answers or b""), aad=_aad(submission.pk, "answers"))
    return dict(json.loads(payload)["answers"])


@dataclass(frozen=True)
class ThreadMessage:
    from_team: bool
    automatic: bool
    author: str
    created_at: Any
    text: str = field(repr=False)  # what the person or the team wrote: never in a traceback


def submission_thread(*, submission: Submission, keyring: KeyRing) -> list[ThreadMessage]:
    """The conversation with the person, oldest first, for the team."""
    key = submission_data_key(submission=submission, keyring=keyring)
    intake_private = keyring.material(submission.intake_key_id)
    thread = []
    for message in submission.messages.select_related("author"):
        if message.from_team:
            text = crypto.decrypt(key, bytes(message.for_team), aad=_aad(submission.pk, "message")).decode()
        else:
            text = crypto.unseal(intake_private, bytes(message.for_team)).decode()
        thread.append(ThreadMessage(
            from_team=message.from_team, automatic=message.automatic,
            author=message.author.username if message.author else "", created_at=message.created_at, text=text,
        ))
    return thread


@transaction.atomic
def submissions_read(*, reader: User, submissions: list[Submission], where: str) -> None:
    """Record that a team member read these requests (every read of personal data is audited)."""
    if not submissions:
        return
    if len(submissions) == 1:
        log_action(action="submission.read", actor=reader, target=submissions[0], details={"where": where})
    else:
        log_action(action="submission.read", actor=reader,
                   details={"where": where, "submissions": [str(s.pk) for s in submissions]})


@transaction.atomic
def people_matched(*, reader: User, submission: Submission, people: list[int], cases: list[int]) -> None:
    """Record that these person records (to suggest who wrote a request) and case titles (to
    choose where it goes) were decrypted for the reader."""
    if people:
        log_action(action="person.read", actor=reader, target=submission,
                   details={"where": "identity_match", "people": people})
    if cases:
        log_action(action="case.read", actor=reader, target=submission,
                   details={"where": "accept_form", "cases": cases})


def submission_attachment_content(*, submission: Submission, attachment: Attachment, keyring: KeyRing) -> bytes:
    from defensor.intake.uploads import read_attachment

    if attachment.sealed_to_intake:
        file_key = crypto.unseal(keyring.material(submission.intake_key_id), bytes(attachment.file_key or b""))
    else:
        key = submission_data_key(submission=submission, keyring=keyring)
        file_key = crypto.decrypt(
            key, bytes(attachment.file_key or b""), aad=_aad(submission.pk, f"file.{attachment.pk}")
        )
    return read_attachment(str(attachment.pk), file_key)


@transaction.atomic
def reply_send(*, submission: Submission, author: User, keyring: KeyRing, text: str) -> Message:
    """A reply from the team, readable by the team and by the receipt holder only."""
    require_permission(author, Perm.INTAKE_TRIAGE)
    key = submission_data_key(submission=submission, keyring=keyring)
    reply_key = crypto.decrypt(key, bytes(submission.reply_key or b""), aad=_aad(submission.pk, "reply_key"))
    message = Message(submission=submission, from_team=True, author=author)
    message.for_team = crypto.encrypt(key, text.encode(), aad=_aad(submission.pk, "message"))
    message.for_submitter = crypto.encrypt(reply_key, text.encode(), aad=_aad(submission.pk, "reply"))
    message.save()
    if submission.answered_at is None:
        Submission.objects.filter(pk=submission.pk).update(answered_at=message.created_at)
        submission.answered_at = message.created_at
    log_action(action="submission.replied", actor=author, target=submission)
    return message


# --- triage ---------------------------------------------------------------------------------


class TransitionRefused(DefensorError):
    user_message = gettext_lazy("This change of status is not possible for this request.")


class AssigneeRefused(DefensorError):
    user_message = gettext_lazy("This person cannot be assigned requests: they cannot read them.")


# Which status may follow which. "Accepted" is reached only by accepting the request into a
# person and a case (submission_accept); from there the work continues in the case.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.IN_REVIEW, Status.NEEDS_INFO, Status.REFERRED, Status.REJECTED, Status.SPAM}),
    Status.IN_REVIEW: frozenset({Status.NEW, Status.NEEDS_INFO, Status.REFERRED, Status.REJECTED, Status.SPAM}),
    Status.NEEDS_INFO: frozenset({Status.IN_REVIEW, Status.REFERRED, Status.REJECTED, Status.SPAM}),
    Status.REFERRED: frozenset({Status.IN_REVIEW}),
    Status.REJECTED: frozenset({Status.IN_REVIEW}),
    Status.SPAM: frozenset({Status.NEW}),
    Status.ACCEPTED: frozenset(),
}


def _locked_for_triage(submission: Submission, user: User) -> Submission:
    require_permission(user, Perm.INTAKE_TRIAGE)
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.organisation_id != user.membership.organisation_id or locked.withdrawn_at is not None:
        raise TransitionRefused()
    return locked


@transaction.atomic
def submission_status_set(*, submission: Submission, status: Status, changed_by: User) -> Submission:
    locked = _locked_for_triage(submission, changed_by)
    current = Status(locked.status)
    if status == current:
        return locked
    if status not in TRANSITIONS[current]:
        raise TransitionRefused()
    locked.status, locked.status_changed_at = status, timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    log_action(
        action="submission.status_changed", actor=changed_by, target=locked,
        details={"from": current.value, "to": status.value},
    )
    return locked


@transaction.atomic
def submission_assign(*, submission: Submission, assignee: User | None, assigned_by: User) -> Submission:
    """Give a request to a team member who can read requests (or to nobody)."""
    locked = _locked_for_triage(submission, assigned_by)
    if assignee is not None and (
        assignee.membership.organisation_id != locked.organisation_id
        or not has_permission(assignee, Perm.INTAKE_TRIAGE)
    ):
        raise AssigneeRefused()
    if locked.assigned_to_id == (assignee.pk if assignee else None):
        return locked
    locked.assigned_to = assignee
    locked.save(update_fields=["assigned_to"])
    log_action(
        action="submission.assigned", actor=assigned_by, target=locked,
        details={"to": assignee.pk if assignee else None},
    )
    return locked


@transaction.atomic
def submission_reply(
    *, submission: Submission, author: User, keyring: KeyRing, text: str, needs_info: bool = False
) -> Message:
    """A reply, and (if the team asked a question) the request marked as waiting for the answer."""
    locked = _locked_for_triage(submission, author)
    message = reply_send(submission=locked, author=author, keyring=keyring, text=text)
    if needs_info:
        submission_status_set(submission=locked, status=Status.NEEDS_INFO, changed_by=author)
    return message


@transaction.atomic
def submissions_bulk_status(*, submissions: list[Submission], status: Status, changed_by: User) -> int:
    """All or nothing: one request that cannot take the status stops the whole change."""
    for submission in submissions:
        submission_status_set(submission=submission, status=status, changed_by=changed_by)
    return len(submissions)


@transaction.atomic
def submissions_bulk_assign(*, submissions: list[Submission], assignee: User | None, assigned_by: User) -> int:
    for submission in submissions:
        submission_assign(submission=submission, assignee=assignee, assigned_by=assigned_by)
    return len(submissions)


@transaction.atomic
def submissions_bulk_reply(
    *, submissions: list[Submission], canned_id: str, author: User, keyring: KeyRing
) -> int:
    """The same prepared reply to many requests, each in the language its writer used."""
    from defensor.intake.canned import canned_reply

    reply = canned_reply(canned_id)
    for submission in submissions:
        submission_reply(submission=submission, author=author, keyring=keyring, text=reply.text_in(submission.language))
    return len(submissions)


# --- files of forms not sent yet ---------------------------------------------------------------
# Anonymous housekeeping of ciphertext whose key lives only in the visitor's page: no audit event
# (nothing of the team's is read or changed, and an event per upload would itself fill the disk).


@dataclass(frozen=True)
class UnsentKept:
    kept: list[AttachedFile]
    over_form: list[str] = field(default_factory=list)  # names refused: the form holds enough already
    over_total: list[str] = field(default_factory=list)  # names refused: unsent files hold enough in all


# PostgreSQL advisory lock id of the unsent-uploads count (any constant no other code uses).
UNSENT_UPLOADS_LOCK = 0x0DEF_0001


@transaction.atomic
def unsent_uploads_keep(*, visit: str, files: list[AttachedFile]) -> UnsentKept:
    """Record files just received into the form ``visit`` as its own, within the caps on unsent
    files per form and in all. Sizes as stored on disk, rounded up as for sent files. One form's
    files are counted at a time, so uploads sent at once cannot each see room the others took
    (SQLite's IMMEDIATE transactions already take turns; PostgreSQL takes a transaction lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [UNSENT_UPLOADS_LOCK])
    per_form = settings.DEFENSOR_INTAKE_UNSENT_BYTES_PER_VISIT
    in_form = int(UnsentUpload.objects.filter(visit=visit).aggregate(total=Sum("stored_bytes"))["total"] or 0)
    in_all = unsent_bytes_total()
    result = UnsentKept(kept=[])
    now = timezone.now()
    for attached in files:
        stored = rounded_size(attachment_path(attached.id).stat().st_size)
        if in_form + stored > per_form:
            result.over_form.append(attached.name)
        elif in_all + stored > settings.DEFENSOR_INTAKE_UNSENT_BYTES_TOTAL:
            result.over_total.append(attached.name)
        else:
            UnsentUpload.objects.create(id=attached.id, visit=visit, kind=attached.type[:16], stored_bytes=stored,
                                        created_at=now)
            in_form, in_all = in_form + stored, in_all + stored
            result.kept.append(attached)
    return result


@transaction.atomic
def unsent_uploads_remove(*, visit: str, file_ids: set[str]) -> int:
    """The visitor removes files from their form: only that form's own files are deleted."""
    owned = [str(pk) for pk in UnsentUpload.objects.select_for_update()
             .filter(visit=visit, id__in=file_ids).values_list("id", flat=True)]
    UnsentUpload.objects.filter(pk__in=owned).delete()

    def unlink() -> None:
        for file_id in owned:
            attachment_path(file_id).unlink(missing_ok=True)

    transaction.on_commit(unlink)
    return len(owned)


def abandoned_uploads_remove(*, older_than_hours: int) -> int:
    """Files uploaded into forms that were never sent: shred them (the sweep, intake.tasks).

    They are ciphertext whose key lived only in the abandoned page, so this is tidiness, not
    secrecy; a request that is sent later than this finds its file gone and says so. Also files
    no record names (a crash while receiving, a withdrawal interrupted before its shredding).
    """
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    with transaction.atomic():
        old = [str(pk) for pk in UnsentUpload.objects.select_for_update()
               .filter(created_at__lt=cutoff).values_list("id", flat=True)]
        UnsentUpload.objects.filter(pk__in=old).delete()
    removed = sum(shred(attachment_path(file_id)) for file_id in old)
    # Unsent first: a file sent meanwhile moves from there to the attachments, never out of both.
    kept = {str(pk) for pk in UnsentUpload.objects.values_list("id", flat=True)}
    kept |= {str(pk) for pk in Attachment.objects.values_list("id", flat=True)}
    oldest_kept_mtime = time.time() - older_than_hours * 3600
    for path in attachments_dir().glob("*.bin"):
        try:
            if path.stem not in kept and path.stat().st_mtime < oldest_kept_mtime:
                removed += shred(path)
        except FileNotFoundError:  # removed meanwhile (a person removing a file, a withdrawal)
            continue
    return removed


@transaction.atomic
def urgency_refresh(*, organisation: Organisation, today: date) -> int:
    """Raise the urgency of open requests whose time limit has come closer since they arrived
    (the level was assessed on arrival; the respond-by date says when the limit ends)."""
    raised = 0
    for level, within in ((Urgency.CRITICAL, urgency.CRITICAL_WITHIN), (Urgency.URGENT, urgency.URGENT_WITHIN)):
        raised += Submission.objects.filter(
            organisation=organisation, withdrawn_at__isnull=True, status__in=OPEN_STATUSES,
            respond_by__lte=today + within, urgency__lt=level,
        ).update(urgency=level)
    if raised:
        log_action(action="intake.urgency_raised", organisation=organisation, details={"submissions": raised})
    return raised


# --- accepting a request: a person and a case ------------------------------------------------


class AcceptRefused(DefensorError):
    user_message = gettext_lazy("This request cannot be accepted: it is already decided or was withdrawn.")


@dataclass(frozen=True)
class PersonDetails:
    """What a request says about who wrote it, as a person record wants it."""

    full_name: str
    surname: str | None
    birth_date: str | None
    unit: str | None
    notes: str | None
    handles: tuple[HandleInput, ...]

    def __repr__(self) -> str:
        return "<PersonDetails>"  # never personal data in a traceback or log

    def fields(self) -> dict[str, str | None]:
        return {"full_name": self.full_name, "surname": self.surname, "birth_date": self.birth_date,
                "unit": self.unit, "notes": self.notes}

    def identity(self) -> Identity:
        return identity_of(self.fields(), (h.value for h in self.handles))


MESSENGERS = ("signal", "telegram", "whatsapp")


def person_details(answers: dict[str, Any]) -> PersonDetails:
    methods = [str(m) for m in answers.get("contact_methods") or []]
    safe_times = str(answers.get("safe_time") or "")
    # Safe only if the person said so ("is it safe to leave you messages and say who we are?");
    # otherwise the team confirms before anyone calls.
    safe = answers.get("safe_to_leave_messages") == "yes"
    handles = []
    phone = answers.get("phone")
    if phone:
        kind = "phone" if "call" in methods or not methods else next((m for m in methods if m in MESSENGERS), "phone")
        number = normalise_phone(str(phone)) or str(phone)
        handles.append(HandleInput(kind=kind, value=number, safe_times=safe_times, safe_to_contact=safe))
    other = str(answers.get("other_contact") or "").strip()
    if other:
        if "@" in other.strip("@") and "email" in methods:
            kind = "email"
        else:
            kind = next((m for m in methods if m in MESSENGERS), "other")
        handles.append(HandleInput(kind=kind, value=other, safe_times=safe_times, safe_to_contact=safe))
    real_name = str(answers.get("full_name") or "").strip()
    address_as = str(answers.get("address_as") or "").strip()
    notes = None
    if not real_name and address_as:
        notes = _("Gave no full name; asked to be addressed as “%(name)s”.") % {"name": address_as}
    return PersonDetails(
        full_name=real_name or address_as or _("(no name given)"),
        surname=real_name.split()[0] if real_name else None,
        birth_date=answers.get("birth_date"),
        unit=answers.get("unit"),
        notes=notes,
        handles=tuple(handles),
    )


@dataclass(frozen=True)
class Accepted:
    person: Person
    case: Case
    claimant: Claimant
    new_person: bool
    new_case: bool
    carried: Carried = field(default_factory=Carried)


@transaction.atomic
def submission_accept(
    *,
    submission: Submission,
    accepted_by: User,
    keyring: KeyRing,
    person: Person | None = None,
    case: Case | None = None,
    case_title: str = "",
    group: bool = False,
    case_kind: str = "",
) -> Accepted:
    """In one step: the request's writer becomes a person record (a new one, or the existing
    ``person`` completed with what the request adds), and a claimant in ``case`` (a group claim)
    or in a newly opened case."""
    require_permission(accepted_by, Perm.CASES_OPEN)
    if case is not None:  # the case before the request: the order a bulk accept locks them in
        _lock(Case, [case.pk])
    locked = _locked_for_triage(submission, accepted_by)
    if locked.status not in OPEN_STATUSES:
        raise AcceptRefused()
    answers = submission_answers(submission=locked, keyring=keyring)
    details = person_details(answers)
    new_person = person is None
    if person is None:
        person = person_create(
            created_by=accepted_by, keyring=keyring, full_name=details.full_name, surname=details.surname,
            birth_date=details.birth_date, unit=details.unit, notes=details.notes, handles=details.handles,
        )
    else:
        # Into the record a merged person ended up in, locked, and only if it is the reader's to write.
        root = merge_root(person=person)
        person = Person.objects.select_for_update().get(pk=root.pk, organisation=locked.organisation)
        require_record_access(user=accepted_by, material=person.data_key)
        current = person.decrypt(keyring)
        # The unit is carried with the rest of the service (carry.carry_facts), differences reported.
        missing = {k: v for k, v in details.fields().items() if v and not current.get(k) and k not in ("notes", "unit")}
        if missing:
            person = person_update(person=person, updated_by=accepted_by, keyring=keyring, **missing)
        for handle in details.handles:
            handle_add(person=person, added_by=accepted_by, keyring=keyring, handle=handle)
    new_case = case is None
    if case is None:
        title = case_title.strip() or _("Request of %(name)s") % {"name": details.full_name}
        case = case_open(opened_by=accepted_by, keyring=keyring, title=title, group=group,
                         kind=case_kind or CaseKind.OTHER)
    claimant = claimant_add(case=case, person=person, added_by=accepted_by, keyring=keyring, submission=locked)
    carried = carry_facts(submission=locked, answers=answers, person=person, case=case, claimant=claimant,
                          accepted_by=accepted_by, keyring=keyring, new_person=new_person)
    locked.status, locked.status_changed_at = Status.ACCEPTED, timezone.now()
    locked.person, locked.case = person, case
    locked.save(update_fields=["status", "status_changed_at", "person", "case"])
    log_action(
        action="submission.accepted", actor=accepted_by, target=locked,
        details={"person": person.pk, "case": case.pk, "new_person": new_person, "new_case": new_case,
                 **carried.audit()},
    )
    return Accepted(person=person, case=case, claimant=claimant, new_person=new_person, new_case=new_case,
                    carried=carried)


# --- accepting many requests into one group claim ------------------------------------------------


class BulkAcceptFailed(DefensorError):
    """One request of a bulk accept could not be accepted: nothing was (the whole accept is one
    transaction). ``position`` is the request's place in the list the lawyer saw (from 1)."""

    user_message = gettext_lazy("Nothing was accepted: one of the requests cannot be accepted.")

    def __init__(self, *, position: int, submission_id: uuid.UUID, reason: str) -> None:
        super().__init__()
        self.position, self.submission_id, self.reason = position, submission_id, reason


@dataclass(frozen=True)
class BulkChoice:
    """Who one request of a bulk accept is: a known record (``person``), the same person as an
    earlier request of the same accept (``same_as``), or (neither) a new person record."""

    submission: Submission
    person: Person | None = None
    same_as: uuid.UUID | None = None


@dataclass(frozen=True)
class BulkAccepted:
    case: Case
    accepted: list[Accepted]
    new_case: bool

    @property
    def claimants(self) -> int:
        return len({a.claimant.pk for a in self.accepted})


def _lock(model: type[Case] | type[Submission] | type[Person], ids: list[Any]) -> None:
    list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _bulk_refusal(submission: Submission) -> str | None:
    """Why a request of the selection cannot be accepted now, as a colleague or the person left it."""
    current = Submission.objects.filter(pk=submission.pk).values("status", "withdrawn_at").first()
    if current is None or current["withdrawn_at"] is not None:
        return _("the person withdrew it meanwhile")
    if current["status"] == Status.ACCEPTED:
        return _("it has already been accepted (by a colleague, perhaps a moment ago)")
    if current["status"] not in OPEN_STATUSES:
        return _("it has been decided meanwhile (%(status)s)") % {"status": Status(current["status"]).label}
    return None


@transaction.atomic
def submissions_accept_bulk(
    *,
    choices: list[BulkChoice],
    accepted_by: User,
    keyring: KeyRing,
    case: Case | None = None,
    case_title: str = "",
    case_kind: str = "",
) -> BulkAccepted:
    """Accept every chosen request into one group claim (``case``, or a new one), all or nothing:
    if one fails, BulkAcceptFailed names it and nothing is accepted. Requests of the same person
    (the same record chosen, or ``same_as``) become one claimant, their facts carried once."""
    require_permission(accepted_by, Perm.CASES_OPEN)
    from defensor.cases.services import NotAGroupCase

    if case is not None:
        require_record_access(user=accepted_by, material=case.data_key)
        if not case.group:
            raise NotAGroupCase()
    # Every row this accept changes is locked before its first audited write: an audited write holds
    # the audit chain until commit, so a colleague holding one of these rows (changing a request's
    # status, accepting one of them) and waiting for the chain would deadlock with it. Locked in one
    # order (the case, the requests, the people), as submission_accept takes them.
    if case is not None:
        _lock(Case, [case.pk])
    _lock(Submission, [choice.submission.pk for choice in choices])
    _lock(Person, [merge_root(person=choice.person).pk for choice in choices if choice.person is not None])
    new_case = case is None
    if case is None:
        case = case_open(opened_by=accepted_by, keyring=keyring, title=case_title.strip() or _("Group claim"),
                         group=True, kind=case_kind or CaseKind.OTHER)
    people: dict[uuid.UUID, Person] = {}
    accepted: list[Accepted] = []
    for position, choice in enumerate(choices, start=1):
        submission = choice.submission
        reason = _bulk_refusal(submission)
        person = choice.person
        if reason is None and choice.same_as is not None:
            person = people.get(choice.same_as)
            if person is None:
                reason = _("the request it was said to share a person with is not accepted before it")
        if reason is not None:
            raise BulkAcceptFailed(position=position, submission_id=submission.pk, reason=reason)
        try:
            done = submission_accept(submission=submission, accepted_by=accepted_by, keyring=keyring,
                                     person=person, case=case)
        except DefensorError as error:  # no key for it or for the chosen record, a tampered request, …
            raise BulkAcceptFailed(position=position, submission_id=submission.pk,
                                   reason=str(error.user_message)) from error
        people[submission.pk] = done.person
        accepted.append(done)
    result = BulkAccepted(case=case, accepted=accepted, new_case=new_case)
    log_action(
        action="submission.accepted_bulk", actor=accepted_by, target=case,
        details={"submissions": [str(c.submission.pk) for c in choices], "claimants": result.claimants,
                 "new_case": new_case},
    )
    return result
