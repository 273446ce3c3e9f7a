"""An item's chain of custody as the team reads it, and hand-overs of evidence to someone outside.

A hand-over (``item_handover_record``) is a ``transferred`` custody event. Its plaintext details are
codes only: to whom by kind (a court, an expert…), how (in person, by post, electronically), the day
and whether a note was written. The note names people, places and case numbers, so it is sealed on
the item (``EvidenceItem.handovers``: a JSON list of ``{"seq": the event's seq, "note": text}``),
never in the event.

Reading the chain (``custody_read``) is an audited read; it is not a custody event: the page shows
ids, codes, times and the sealed hand-over notes, never the file's content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defensor.access.services import record_sealer
from defensor.accounts.models import User
from defensor.audit.services import log_action
from defensor.core.errors import DefensorError
from defensor.evidence.custody import Problem, blob_problems
from defensor.evidence.models import CustodyEvent, CustodyKind, EvidenceItem, ItemStatus, Source
from defensor.evidence.services import _require, custody_append
from defensor.evidence.verify import verify_item
from defensor.keys.keyring import KeyRing

NOTE_MAX = 2000


class Recipient(models.TextChoices):
    COURT = "court", gettext_lazy("A court")
    EXPERT = "expert", gettext_lazy("An expert")
    LAW_ENFORCEMENT = "law_enforcement", gettext_lazy("Law enforcement (investigator, prosecutor, police)")
    CLIENT = "client", gettext_lazy("The client")
    ORGANISATION = "organisation", gettext_lazy("Another organisation")
    OTHER = "other", gettext_lazy("Someone else")


class HandoverMethod(models.TextChoices):
    IN_PERSON = "in_person", gettext_lazy("In person")
    POST = "post", gettext_lazy("By post")
    ELECTRONIC = "electronic", gettext_lazy("Electronically")


class HandoverInFuture(DefensorError):
    user_message = gettext_lazy("A hand-over cannot be recorded for a day that has not come yet. Nothing was saved.")


class HandoverInvalid(DefensorError):
    user_message = gettext_lazy("Choose to whom and how the item was handed over. Nothing was saved.")


@transaction.atomic
def item_handover_record(*, item: EvidenceItem, actor: User, keyring: KeyRing, recipient: str, method: str,
                         on: date, note: str = "") -> CustodyEvent:
    """Record that the item was handed over on ``on``: a ``transferred`` custody event (codes only)
    and the sealed note on the item, and an audit event, in one transaction."""
    _require(actor=actor, case=item.case)
    if recipient not in Recipient.values or method not in HandoverMethod.values:
        raise HandoverInvalid()
    if on > timezone.localdate():
        raise HandoverInFuture()
    note = note.strip()[:NOTE_MAX]
    locked = EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)
    event = custody_append(item=locked, kind=CustodyKind.TRANSFERRED, actor=actor, details={
        "recipient": recipient, "method": method, "on": on.isoformat(), "note": bool(note)})
    if note:
        notes = json.loads(locked.decrypt(keyring, only=("handovers",)).handovers or "[]")
        notes.append({"seq": event.seq, "note": note})
        locked.encrypt(record_sealer(material=locked.case.data_key, keyring=keyring),
                       handovers=json.dumps(notes, ensure_ascii=False))
        locked.save(update_fields=["handovers"])
    log_action(action="evidence.transferred", actor=actor, target=locked, details={
        "case": locked.case_id, "number": locked.number, "seq": event.seq, "recipient": recipient,
        "method": method, "note": bool(note)})
    item.custody_length = locked.custody_length
    return event


# --- reads ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CustodyRow:
    seq: int
    at: datetime
    kind: str
    kind_label: str
    who: str
    details: list[str]  # each a phrase, in words
    note: str  # a hand-over's unsealed note
    hash: str
    problems: list[str]  # what the check found wrong with this event


@dataclass(frozen=True, repr=False)
class CustodyPage:
    rows: list[CustodyRow]
    problems: list[str]  # everything the check found, in words
    intact: bool
    blob_checked: bool  # whether the stored file's SHA-256 was recomputed for this page
    blob_intact: bool | None  # its result (None: not checked)


PROBLEM_LABELS = {
    "custody-empty": gettext_lazy("the item has no event at all: its chain is empty"),
    "custody-length": gettext_lazy("the item counts a different number of events than its chain has"),
    "custody-seq": gettext_lazy("an event is missing or out of order"),
    "custody-first-not-captured": gettext_lazy("the chain does not begin with the capture"),
    "custody-prev-hash": gettext_lazy("an event does not follow from the one before it"),
    "custody-hash": gettext_lazy("an event was changed after it was written"),
    "custody-order": gettext_lazy("an event's time goes back before the previous one"),
    "blob-missing": gettext_lazy("the stored file is missing"),
    "blob-changed": gettext_lazy("the stored file was changed"),
    "status-mismatch": gettext_lazy("the item's status differs from the one its chain last recorded"),
    "verified_by-mismatch": gettext_lazy("who decided the status differs from the chain's record"),
    "verified_at-mismatch": gettext_lazy("when the status was decided differs from the chain's record"),
    "active_content-mismatch": gettext_lazy("the active-content flag differs from the one recorded at capture"),
    "identifies_client-mismatch": gettext_lazy("the flag “identifies a client” differs from the chain's record"),
    "graphic-mismatch": gettext_lazy("the flag “graphic” differs from the chain's record"),
    "custody-audit-mismatch": gettext_lazy("the chain and the audit log count the events of a kind differently"),
    # Found by ``defensor evidence verify`` across items, never on one item's page.
    "audit-chain-broken": gettext_lazy("the audit log's chain is broken"),
    "evidence-number-missing": gettext_lazy("a number is missing from the case's inventory"),
    "item-missing": gettext_lazy("an item the records name is not in the database"),
    "bundle-missing": gettext_lazy("a downloaded court bundle is gone"),
}

FIELD_LABELS = {
    "identifies_client": gettext_lazy("identifies a client"),
    "graphic": gettext_lazy("graphic"),
    "tags": gettext_lazy("tags"),
    "description": gettext_lazy("description"),
}


def display_name(user: User | None) -> str:
    """How a team member is named on evidence pages: their full name, else their login."""
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


def _audit_mismatch_words(detail: str) -> str | None:
    """``kind=<kind> custody=<n> audit=<m>`` in words, the kind by its label."""
    parts = dict(part.partition("=")[::2] for part in detail.split())
    kind, custody, audit = parts.get("kind", ""), parts.get("custody", ""), parts.get("audit", "")
    if not (kind and custody.isdigit() and audit.isdigit()):
        return None
    label = (_("status changes") if kind == "status"
             else str(CustodyKind(kind).label) if kind in CustodyKind.values else kind)
    return _("events “%(kind)s”: %(audit)s in the audit log, %(custody)s in the chain") % {
        "kind": label, "audit": audit, "custody": custody}


def _problem_words(problem: Problem) -> str:
    label = str(PROBLEM_LABELS.get(problem.code, problem.code))
    if problem.code == "custody-audit-mismatch":
        counts = _audit_mismatch_words(problem.detail)
        label = f"{label} ({counts})" if counts else label
    if problem.seq is not None:
        return _("event #%(seq)d: %(what)s") % {"seq": problem.seq, "what": label}
    return label


def _status(code: object) -> str:
    return str(ItemStatus(str(code)).label) if code in ItemStatus.values else str(code)


def _yes_no(value: object) -> str:
    return _("yes") if value else _("no")


def _number(numbers: dict[str, int], item_id: object) -> str:
    number = numbers.get(str(item_id))
    return _("No. %(number)d") % {"number": number} if number is not None else _("an item no longer in the case")


def _details(event: CustodyEvent, item: EvidenceItem, numbers: dict[str, int]) -> list[str]:
    """The event's details in words (its details are ids and codes)."""
    d: dict[str, Any] = event.details or {}
    kind = event.kind
    if kind == CustodyKind.CAPTURED:
        source = d.get("source", item.source)
        words = [_("source: %(source)s") % {"source": Source(source).label if source in Source.values else source}]
        if d.get("attachment"):
            words.append(_("carried from a request's file"))
        return words
    if kind == CustodyKind.VIEWED:
        return [_("the item's page was opened (not the file)")] if d.get("page") else [_("the file was opened")]
    if kind == CustodyKind.DOWNLOADED:
        return [_("the file was downloaded")]
    if kind == CustodyKind.DERIVED:
        if d.get("working_copy"):
            return [_("working copy made: %(number)s") % {"number": _number(numbers, d["working_copy"])}]
        words = [_("made as a working copy of %(number)s") % {"number": _number(numbers, d.get("parent"))}]
        if d.get("removed"):
            words.append(_("removed: %(what)s") % {"what": ", ".join(str(r) for r in d["removed"])})
        return words
    if kind in (CustodyKind.STATUS_CHANGED, CustodyKind.VERIFIED):
        # ``verified`` events of older chains carry {"status": new, "from": old}.
        to = d.get("to", d.get("status"))
        return [_("status: %(from)s → %(to)s") % {"from": _status(d.get("from")), "to": _status(to)}]
    if kind == CustodyKind.LABELLED:
        words = [_("identifies a client: %(yes)s") % {"yes": _yes_no(d.get("identifies_client"))},
                 _("graphic: %(yes)s") % {"yes": _yes_no(d.get("graphic"))}]
        if d.get("fields"):
            words.append(_("changed: %(what)s") % {
                "what": ", ".join(str(FIELD_LABELS.get(f, f)) for f in d["fields"])})
        return words
    if kind == CustodyKind.EXPORTED:
        return [_("exported in a court bundle")]
    if kind == CustodyKind.TRANSFERRED:
        recipient, method = d.get("recipient", ""), d.get("method", "")
        words = [_("handed over to: %(whom)s") % {
            "whom": Recipient(recipient).label if recipient in Recipient.values else recipient}]
        if method:
            words.append(str(HandoverMethod(method).label) if method in HandoverMethod.values else str(method))
        if d.get("on"):
            try:
                words.append(_("on %(day)s") % {"day": date.fromisoformat(d["on"]).strftime("%d.%m.%Y")})
            except ValueError:
                words.append(str(d["on"]))
        return [str(w) for w in words]
    return [f"{key}: {value}" for key, value in sorted(d.items())]


def custody_read(*, item: EvidenceItem, reader: User, keyring: KeyRing, check_blob: bool,
                 asked: bool = False) -> CustodyPage:
    """The item's chain of custody in words, with the result of its check (``verify.verify_item``:
    the chain, the item's status and flags against it, and it against the audit log), an audited
    read. ``check_blob``: also recompute the stored blob's SHA-256 (without opening it; seconds for a
    large video), ``asked``: because the reader asked for it (recorded in the audit event)."""
    _require(actor=reader, case=item.case)
    events = list(CustodyEvent.objects.filter(item=item).select_related("actor").order_by("seq", "pk"))
    problems = verify_item(item, blob=False)
    blob_found = blob_problems(item) if check_blob else []
    problems += blob_found
    notes = {int(entry["seq"]): str(entry.get("note") or "")
             for entry in json.loads(item.decrypt(keyring, only=("handovers",)).handovers or "[]")}
    numbers = {str(pk): number for pk, number in EvidenceItem.objects.filter(case=item.case_id)
               .values_list("pk", "number")}
    by_seq: dict[int, list[str]] = {}
    for problem in problems:
        if problem.seq is not None:
            by_seq.setdefault(problem.seq, []).append(str(PROBLEM_LABELS.get(problem.code, problem.code)))
    rows = [CustodyRow(
        seq=event.seq, at=event.at, kind=event.kind,
        kind_label=str(CustodyKind(event.kind).label) if event.kind in CustodyKind.values else event.kind,
        who=display_name(event.actor), details=[str(w) for w in _details(event, item, numbers)],
        note=notes.get(event.seq, "") if event.kind == CustodyKind.TRANSFERRED else "",
        hash=event.hash, problems=by_seq.get(event.seq, []),
    ) for event in events]
    blob = ("asked" if asked else "checked") if check_blob else "not_checked"
    with transaction.atomic():
        log_action(action="evidence.custody_read", actor=reader, target=item, details={
            "case": item.case_id, "number": item.number, "events": len(events), "problems": len(problems),
            "blob": blob, **({"blob_intact": not blob_found} if check_blob else {})})
    return CustodyPage(rows=rows, problems=[_problem_words(p) for p in problems], intact=not problems,
                       blob_checked=check_blob, blob_intact=not blob_found if check_blob else None)
