"""The representative's powers of attorney: add, list, revoke (each audited in its own transaction),
and which of them covers a document — the special powers its template declares (templates.yaml
``powers``), for every claimant it names, on the day it is drafted. A template that declares none
is signed on the warrant (ордер) alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from defensor.access.services import record_key_create
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.core.errors import DefensorError
from defensor.documents.catalogue import TemplateInfo
from defensor.documents.models import Power, PowerOfAttorney
from defensor.keys.keyring import KeyRing
from defensor.people.models import Person
from defensor.people.selectors import MAX_MERGE_CHAIN, people_for

MAX_NUMBER = 100
MAX_ISSUER = 300


class PowerOfAttorneyRefused(DefensorError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


class NoAuthority(DefensorError):
    """No valid power of attorney covers the document, and the claimants are not to sign it."""

    user_message = gettext_lazy("No valid power of attorney covers this document.")

    def __init__(self, coverage: Coverage) -> None:
        super().__init__()  # no message: the reason names claimants, and stays in the request
        self.coverage = coverage


@dataclass
class Coverage:
    """What a document needs of the representative's authority and what covers it."""

    needed: tuple[str, ...]
    used: list[PowerOfAttorney] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)  # claimants (initials) no power of attorney covers
    nothing_held: bool = False  # the representative holds no valid power of attorney with these powers

    @property
    def required(self) -> bool:
        return bool(self.needed)

    @property
    def ok(self) -> bool:
        return not self.needed or (bool(self.used) and not self.uncovered)

    def powers_text(self) -> str:
        labels = dict(Power.choices)
        return ", ".join(str(labels[p]) for p in self.needed if p in labels)

    def reason(self) -> str:
        """«Нет действующей доверенности с полномочием на подписание и подачу иска. Без такой
        доверенности: Соколова М. П., Мамедов Э. Р.» — the names after a colon, as a list in the
        nominative (no preposition to decline them for), and one full stop at the end: initials
        already end with one."""
        text = _("No valid power of attorney with the power %(powers)s. Without one: %(names)s") % {
            "powers": self.powers_text(), "names": ", ".join(self.uncovered)}
        return text if text.endswith(".") else f"{text}."


def _valid_on(on_date: date) -> Q:
    return Q(revoked_at__isnull=True, issued_on__lte=on_date) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=on_date))


def same_person(person_ids: Iterable[int]) -> dict[int, int]:
    """Each person record id → the record it ended up in along merges (A into B, B into C: C;
    itself if not merged). Two ids with the same answer are one human being. Read at the time
    of asking, so merging writes nothing here and un-merging separates them again exactly."""
    ids = set(person_ids)
    parent: dict[int, int | None] = {}
    frontier = set(ids)
    for _step in range(MAX_MERGE_CHAIN):
        if not frontier:
            break
        parent.update(Person.objects.filter(pk__in=frontier).values_list("pk", "merged_into_id"))
        frontier = {up for up in parent.values() if up is not None and up not in parent}
    roots: dict[int, int] = {}
    for pid in ids:
        current = pid
        for _step in range(MAX_MERGE_CHAIN):
            up = parent.get(current)
            if up is None:
                break
            current = up
        roots[pid] = current
    return roots


def covering(*, user: User, template: TemplateInfo, claimants: Sequence[dict[str, Any]],
             on_date: date | None = None) -> Coverage:
    """The powers of attorney that cover ``template``'s powers for every claimant (the snapshot's
    claimants: ``person_id`` and ``initials``) on ``on_date`` (today): a general one if held, else
    one per claimant; the claimants none covers, by their initials.

    A power of attorney was signed by a human being, not by a record: one naming a record covers
    a claimant whose record is the same person after merges, in either direction (the duplicate
    it names merged into the claimant's record, or the claimant's into the one it names)."""
    coverage = Coverage(needed=template.powers)
    if not template.powers:
        return coverage
    on_date = on_date or timezone.localdate()
    held = [poa for poa in PowerOfAttorney.objects.filter(_valid_on(on_date), representative=user)
            .order_by("-issued_on", "-id") if set(template.powers) <= set(poa.powers)]
    coverage.nothing_held = not held
    general = next((poa for poa in held if poa.general), None)
    if general is not None:
        coverage.used = [general]
        return coverage
    roots = same_person({pid for poa in held for pid in poa.people}
                        | {int(c["person_id"]) for c in claimants if c.get("person_id")})
    covers = {poa.pk: {roots[pid] for pid in poa.people} for poa in held}
    for claimant in claimants:
        person_id = claimant.get("person_id")
        root = roots.get(int(person_id)) if person_id else None
        poa = next((p for p in held if root is not None and root in covers[p.pk]), None)
        if poa is None:
            coverage.uncovered.append(str(claimant.get("initials") or claimant.get("name") or ""))
        elif poa not in coverage.used:
            coverage.used.append(poa)
    return coverage


def authority_text(used: Sequence[PowerOfAttorney], keyring: KeyRing) -> str:
    """How the document names them: «доверенность от 01.11.2026 № 46 АА 1234567» (court text, in
    Russian whatever the page's language)."""
    keyring.prefetch(poa.data_key_id for poa in used)
    parts = []
    for poa in used:
        number = poa.decrypt(keyring, only=["number"]).number or ""
        parts.append(f"доверенность от {poa.issued_on:%d.%m.%Y} № {number}".strip())
    return "; ".join(parts)


def authority_values(coverage: Coverage, keyring: KeyRing, *, signed_by_claimants: bool) -> dict[str, Any]:
    """What the document's context carries of the authority (sealed with the snapshot): the
    claimants sign it themselves when the lawyer chose so, else the power of attorney it is
    signed under ("" where the warrant suffices)."""
    return {
        "signed_by_claimants": signed_by_claimants,
        "power_of_attorney": (authority_text(coverage.used, keyring)
                              if coverage.required and coverage.ok and not signed_by_claimants else ""),
    }


# --- the account page ---------------------------------------------------------------------------


@transaction.atomic
def power_of_attorney_add(
    *, user: User, keyring: KeyRing, number: str, issued_on: date, issuer: str, valid_until: date | None,
    general: bool, people: Sequence[int], powers: Sequence[str],
) -> PowerOfAttorney:
    """Record a power of attorney the user holds. Its number and issuer are sealed; the audit log
    records its id, scope and powers, never the text."""
    require_permission(user, Perm.DOCUMENTS_GENERATE)
    number, issuer = " ".join(number.split()), " ".join(issuer.split())
    known = set(Power.values)
    chosen = sorted(set(powers) & known, key=list(Power.values).index)
    if not number or not issuer or len(number) > MAX_NUMBER or len(issuer) > MAX_ISSUER:
        raise PowerOfAttorneyRefused(_("Give the number (at most 100 characters) and who issued it (at most 300)."))
    if valid_until is not None and valid_until < issued_on:
        raise PowerOfAttorneyRefused(_("A power of attorney cannot end before it was issued."))
    if not chosen or set(powers) - known:
        raise PowerOfAttorneyRefused(_("Choose the special powers it gives."))
    readable = set(people_for(actor=user).filter(pk__in=list(people)).values_list("pk", flat=True))
    if not general and (not people or set(people) - readable):
        raise PowerOfAttorneyRefused(_("Choose whom it was issued for, or mark it general."))
    organisation = user.membership.organisation
    sealer = record_key_create(organisation=organisation, keyring=keyring)
    poa = PowerOfAttorney(representative=user, organisation=organisation, issued_on=issued_on,
                          valid_until=valid_until, general=general, people=[] if general else sorted(readable),
                          powers=chosen)
    poa.encrypt(sealer, number=number, issuer=issuer)
    poa.save()
    log_action(action="account.power_of_attorney_added", actor=user, target=user, details={
        "power_of_attorney": poa.pk, "general": general, "people": poa.people, "powers": chosen,
    })
    return poa


@transaction.atomic
def power_of_attorney_revoke(*, poa: PowerOfAttorney, revoked_by: User) -> bool:
    """No longer used for any document (documents made with it keep naming it). False if it was
    revoked already."""
    require_permission(revoked_by, Perm.DOCUMENTS_GENERATE)
    locked = PowerOfAttorney.objects.select_for_update().get(pk=poa.pk, representative=revoked_by)
    if locked.revoked_at is not None:
        return False
    locked.revoked_at, locked.revoked_by = timezone.now(), revoked_by
    locked.save(update_fields=["revoked_at", "revoked_by"])
    poa.revoked_at, poa.revoked_by = locked.revoked_at, revoked_by
    log_action(action="account.power_of_attorney_revoked", actor=revoked_by, target=revoked_by,
               details={"power_of_attorney": poa.pk})
    return True


@dataclass(frozen=True)
class PowerOfAttorneyShown:
    poa: PowerOfAttorney
    number: str
    issuer: str
    powers: list[str]
    people: list[str]
    valid: bool


def powers_of_attorney_list(*, user: User, keyring: KeyRing | None,
                            names: dict[int, str]) -> list[PowerOfAttorneyShown]:
    """The user's powers of attorney, newest first, opened for the account page (``names``: the
    people it may name, by id — a merged record by the name of the one it was merged into; the
    caller audits reading them), by name; a person named twice (two records, merged since) once."""
    today = timezone.localdate()
    held = list(PowerOfAttorney.objects.filter(representative=user).order_by("revoked_at", "-issued_on", "-id"))
    labels = dict(Power.choices)
    shown = []
    if keyring is not None:
        keyring.prefetch(poa.data_key_id for poa in held)
    for poa in held:
        values = poa.decrypt(keyring) if keyring is not None else None
        shown.append(PowerOfAttorneyShown(
            poa=poa, number=(values.number or "") if values else "…", issuer=(values.issuer or "") if values else "…",
            powers=[str(labels[p]) for p in poa.powers if p in labels],
            people=sorted({names.get(pid, f"#{pid}") for pid in poa.people}),
            valid=poa.revoked_at is None and poa.issued_on <= today
            and (poa.valid_until is None or poa.valid_until >= today),
        ))
    return shown
