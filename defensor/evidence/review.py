"""Reviewing evidence: its status (new → in review → verified / disputed / rejected), who decided
and why (a sealed note), its sensitivity flags and tags, and its links to the case's claimants and
timeline events; and the reads the case page and the item page show of them.

Who decides (docs/roles.md, "Verifying evidence"): anyone who works on the case (``cases.work`` and
the case's key) takes an item into review, marks it disputed, labels and links it; marking it
verified or rejected (what the team will, or will not, put before a court) needs ``evidence.verify``
(a lawyer, an administrator or a partner lawyer; not a paralegal).

Each status change is a ``status_changed`` custody event whose details are the two status codes
(``{"from": "in_review", "to": "verified"}``; older chains have ``verified`` events with
``{"status", "from"}``); a change of flags, tags or description is a ``labelled`` custody event whose
details are the two flags as they now are and the NAMES of the fields changed
(``{"identifies_client": false, "graphic": true, "fields": ["graphic", "tags"]}``). The check of the
chain (evidence.verify) reads the last status and flags from these keys.

The tag codes themselves are not in the event, although they are our own fixed vocabulary and not
a person's data: the chain is plaintext and kept (and exported in a court bundle's custody log), and
"deployment_abroad" or "pressure" on an item says what the case is about, which is why the tags are
sealed on the item in the first place. The flags are plaintext columns already. Links are audited
by ids only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from defensor.access.services import record_sealer
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case, CaseEvent, Claimant
from defensor.core.errors import DefensorError
from defensor.evidence.models import CustodyEvent, CustodyKind, EvidenceItem, EvidenceLink, ItemStatus
from defensor.evidence.services import _require, custody_append
from defensor.keys.keyring import KeyRing


class EvidenceTag:
    """The fixed list of tags (stored sealed, as these codes)."""

    DEPLOYMENT_ABROAD = "deployment_abroad"
    ORDER = "order"
    DISMISSAL = "dismissal"
    PRESSURE = "pressure"
    OTHER = "other"

    choices: tuple[tuple[str, Any], ...] = (
        (DEPLOYMENT_ABROAD, _("Deployment abroad")),
        (ORDER, _("Orders")),
        (DISMISSAL, _("Dismissal papers")),
        (PRESSURE, _("Pressure on the client")),
        (OTHER, _("Other")),
    )
    codes = frozenset(code for code, _label in choices)

    @classmethod
    def label(cls, code: str) -> str:
        return str(dict(cls.choices).get(code, code))


# Which status may follow which. Verified is where a review ends; disputed and rejected can be
# looked at again (new facts, a better copy).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    ItemStatus.NEW: frozenset({ItemStatus.IN_REVIEW}),
    ItemStatus.IN_REVIEW: frozenset({ItemStatus.VERIFIED, ItemStatus.DISPUTED, ItemStatus.REJECTED}),
    # Doubt can come later (a forgery found, a source withdrawn): a verified item can be disputed,
    # with the reason; it goes back to review from there.
    ItemStatus.VERIFIED: frozenset({ItemStatus.DISPUTED}),
    ItemStatus.DISPUTED: frozenset({ItemStatus.IN_REVIEW}),
    ItemStatus.REJECTED: frozenset({ItemStatus.IN_REVIEW}),
}
# What only ``evidence.verify`` may decide.
DECISIONS = frozenset({ItemStatus.VERIFIED, ItemStatus.REJECTED})
# A dispute or a rejection without its reason helps no one later.
NOTE_REQUIRED = frozenset({ItemStatus.DISPUTED, ItemStatus.REJECTED})
# The order of the case page's groups.
STATUS_ORDER = [ItemStatus.NEW, ItemStatus.IN_REVIEW, ItemStatus.VERIFIED, ItemStatus.DISPUTED, ItemStatus.REJECTED]


class StatusNotAllowed(DefensorError):
    user_message = _("This status cannot follow the item's current one. Nothing was changed.")


class StatusChangedMeanwhile(DefensorError):
    user_message = _("A colleague changed this item's status meanwhile: see it below. Nothing was changed.")


class LabelsChangedMeanwhile(DefensorError):
    user_message = _("A colleague saved this item's description, flags or tags meanwhile, so yours were not saved: "
                     "both are below. Save yours again if they should replace your colleague's.")


class VerifyNotAllowed(DefensorError):
    user_message = _("Only a lawyer can mark evidence verified or rejected. Nothing was changed.")


class NoteRequired(DefensorError):
    user_message = _("Say why in the note: a dispute or a rejection needs its reason. Nothing was changed.")


class UnknownTag(DefensorError):
    user_message = _("Choose tags from the list. Nothing was changed.")


class LinkNotInCase(DefensorError):
    user_message = _("Only a person or an event of this case can be linked. Nothing was changed.")


def can_decide(user: User) -> bool:
    """May mark evidence verified or rejected (docs/roles.md)."""
    return has_permission(user, Perm.EVIDENCE_VERIFY)


def statuses_next(*, item: EvidenceItem, actor: User) -> list[str]:
    """The statuses ``actor`` may move the item to, in the workflow's order."""
    allowed = STATUS_TRANSITIONS[item.status]
    return [s for s in STATUS_ORDER if s in allowed and (s not in DECISIONS or can_decide(actor))]


def labels_version(item: EvidenceItem) -> int:
    """How many times the item's flags, tags or description were saved (its ``labelled`` custody
    events): the labels form carries it, and a save based on an older one is refused. Not the
    chain's length, which every view of the item's page makes longer."""
    return CustodyEvent.objects.filter(item_id=item.pk, kind=CustodyKind.LABELLED).count()


def _locked(item: EvidenceItem) -> EvidenceItem:
    return EvidenceItem.objects.select_for_update().select_related("case").get(pk=item.pk)


@transaction.atomic
def item_status_set(*, item: EvidenceItem, status: str, actor: User, keyring: KeyRing, note: str = "",
                    expected: str | None = None) -> EvidenceItem:
    """Move the item to ``status`` (``expected``: the status the actor saw, refused if it changed
    since), recording who, when and the sealed note; a ``status_changed`` custody event and an audit event."""
    _require(actor=actor, case=item.case)
    locked = _locked(item)
    previous = locked.status
    if expected is not None and expected != previous:
        raise StatusChangedMeanwhile()
    if status not in STATUS_TRANSITIONS.get(previous, frozenset()):
        raise StatusNotAllowed()
    if status in DECISIONS and not can_decide(actor):
        raise VerifyNotAllowed()
    note = note.strip()
    if status in NOTE_REQUIRED and not note:
        raise NoteRequired()
    sealer = record_sealer(material=locked.case.data_key, keyring=keyring)
    event = custody_append(item=locked, kind=CustodyKind.STATUS_CHANGED, actor=actor,
                           details={"from": previous, "to": status})
    locked.encrypt(sealer, verification_note=note or None)
    # The decision's time is its custody event's, so that the chain's check can match the two.
    locked.status, locked.verified_by, locked.verified_at = status, actor, event.at
    locked.save(update_fields=["status", "verified_by", "verified_at", "verification_note"])
    log_action(action="evidence.status_changed", actor=actor, target=locked, details={
        "case": locked.case_id, "number": locked.number, "from": previous, "to": status, "note": bool(note)})
    item.status, item.verified_by, item.verified_at = locked.status, actor, locked.verified_at
    item.verification_note, item.custody_length = locked.verification_note, locked.custody_length
    return locked


@transaction.atomic
def item_labels_set(*, item: EvidenceItem, actor: User, keyring: KeyRing, identifies_client: bool, graphic: bool,
                    tags: Iterable[str], description: str, expected_version: int | None = None) -> list[str]:
    """Set the flags, tags and description; returns the names of the fields that changed (a
    ``labelled`` custody event and an audit event; nothing when nothing changed). ``expected_version``:
    the ``labels_version`` the actor's form was based on, refused if a colleague saved since."""
    _require(actor=actor, case=item.case)
    chosen = list(dict.fromkeys(tags))
    if any(tag not in EvidenceTag.codes for tag in chosen):
        raise UnknownTag()
    locked = _locked(item)
    if expected_version is not None and labels_version(locked) != expected_version:
        raise LabelsChangedMeanwhile()
    before = locked.decrypt(keyring, only=("tags", "description"))
    description = description.strip()
    changed = [name for name, old, new in (
        ("identifies_client", locked.identifies_client, identifies_client),
        ("graphic", locked.graphic, graphic),
        ("tags", sorted(json.loads(before.tags or "[]")), sorted(chosen)),
        ("description", before.description or "", description),
    ) if old != new]
    if not changed:
        return []
    sealer = record_sealer(material=locked.case.data_key, keyring=keyring)
    locked.encrypt(sealer, tags=json.dumps(chosen), description=description or None)
    locked.identifies_client, locked.graphic = identifies_client, graphic
    locked.save(update_fields=["identifies_client", "graphic", "tags", "description"])
    custody_append(item=locked, kind=CustodyKind.LABELLED, actor=actor, details={
        "identifies_client": identifies_client, "graphic": graphic, "fields": changed})
    log_action(action="evidence.labels_changed", actor=actor, target=locked, details={
        "case": locked.case_id, "number": locked.number, "fields": changed})
    item.identifies_client, item.graphic = identifies_client, graphic
    item.tags, item.description, item.custody_length = locked.tags, locked.description, locked.custody_length
    return changed


@transaction.atomic
def item_link_add(*, item: EvidenceItem, actor: User, claimant: Claimant | None = None,
                  event: CaseEvent | None = None) -> EvidenceLink:
    """Link the item to one claimant or one timeline event of its own case (once)."""
    _require(actor=actor, case=item.case)
    if (claimant is None) == (event is None):
        raise LinkNotInCase()
    if claimant is not None and (claimant.case_id != item.case_id or claimant.merged_into_id is not None):
        raise LinkNotInCase()
    if event is not None and event.case_id != item.case_id:
        raise LinkNotInCase()
    locked = _locked(item)
    link, created = EvidenceLink.objects.get_or_create(item=locked, claimant=claimant, event=event)
    if created:
        log_action(action="evidence.linked", actor=actor, target=locked, details={
            "case": locked.case_id, "number": locked.number,
            **({"claimant": claimant.pk} if claimant is not None else {"event": event.pk if event else None})})
    return link


@transaction.atomic
def item_link_remove(*, item: EvidenceItem, actor: User, link_id: int) -> bool:
    """Remove one of the item's links (False: it was not there, e.g. a colleague removed it)."""
    _require(actor=actor, case=item.case)
    link = EvidenceLink.objects.filter(item=item, pk=link_id).first()
    if link is None:
        return False
    details: dict[str, Any] = {"case": item.case_id, "number": item.number,
                               **({"claimant": link.claimant_id} if link.claimant_id else {"event": link.event_id})}
    link.delete()
    log_action(action="evidence.unlinked", actor=actor, target=item, details=details)
    return True


# --- reads ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class StatusGroup:
    status: str
    label: str
    rows: list[Any] = field(default_factory=list)


def grouped_by_status(rows: Iterable[Any], *, tag: str = "") -> list[StatusGroup]:
    """Rows (anything with ``.item`` and ``.tags``) in groups by status in the workflow's order,
    newest first inside a group; ``tag``: only those with it. Empty groups are left out."""
    groups = {status: StatusGroup(str(status), str(ItemStatus(status).label)) for status in STATUS_ORDER}
    for row in sorted(rows, key=lambda r: (r.item.added_at, r.item.number), reverse=True):
        if tag and tag not in row.tags:
            continue
        groups[row.item.status].rows.append(row)
    return [group for group in groups.values() if group.rows]


def links_by_target(*, case: Case) -> tuple[dict[int, list[tuple[int, Any]]], dict[int, list[tuple[int, Any]]]]:
    """The case's evidence links as {claimant id: [(№, item id)]} and {event id: [(№, item id)]},
    in one query."""
    by_claimant: dict[int, list[tuple[int, Any]]] = {}
    by_event: dict[int, list[tuple[int, Any]]] = {}
    rows = (EvidenceLink.objects.filter(item__case=case).order_by("item__number")
            .values_list("claimant_id", "event_id", "item__number", "item_id"))
    for claimant_id, event_id, number, item_id in rows:
        if claimant_id is not None:
            by_claimant.setdefault(claimant_id, []).append((number, item_id))
        if event_id is not None:
            by_event.setdefault(event_id, []).append((number, item_id))
    return by_claimant, by_event
