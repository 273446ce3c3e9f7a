"""Writes to the key store. Each runs in the caller's transaction (or its own) and is audited.

Who holds what:
- every staff member: their own key pair;
- users with `intake.triage`: the intake private key;
- users with `intake.triage` or `cases.open`: the blind-index key;
- a record's data key: whoever was granted access to that record (per-record access list);
- the recovery key: everything above except staff key pairs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from defensor.accounts.models import Membership, User
from defensor.accounts.permissions import Perm, has_permission
from defensor.audit.services import log_action
from defensor.core.files import shred, write_private
from defensor.core.models import Organisation
from defensor.keys import crypto, recovery
from defensor.keys.facts import RESEALERS as facts_resealers
from defensor.keys.keyring import KeyRing, NoAccess, unwrap_private_key, wrap_private_key
from defensor.keys.models import KeyGrant, KeyKind, KeyMaterial, RecoveryKey, UserKeyPair
from defensor.keys.records import RecordSealer, encrypted_models


@dataclass(frozen=True)
class RecoveryKit:
    shares: list[str]
    text: str

    def __repr__(self) -> str:
        return "<RecoveryKit>"


# --- staff key pairs ------------------------------------------------------------------------


def _store_keypair(user: User, private_key: bytes, public_key: bytes, password: str) -> UserKeyPair:
    wrapped, salt, params = wrap_private_key(user.pk, private_key, password)
    keypair, _ = UserKeyPair.objects.update_or_create(
        user=user,
        defaults={
            "public_key": public_key,
            "wrapped_private_key": wrapped,
            "kdf_salt": salt,
            "kdf_opslimit": params.opslimit,
            "kdf_memlimit": params.memlimit,
        },
    )
    return keypair


@transaction.atomic
def user_keys_create(*, user: User, password: str) -> bytes:
    """A new key pair for a new staff member; returns the private key (for an immediate session)."""
    pair = crypto.generate_keypair()
    _store_keypair(user, pair.private, pair.public, password)
    entitlements_sync(user=user)
    log_action(action="keys.user_keypair_created", target=user, organisation=user.membership.organisation)
    return pair.private


@transaction.atomic
def user_keys_renew(*, user: User, current_password: str, new_password: str) -> bytes:
    """Password change: a NEW key pair under the new password, every grant re-sealed to it.

    Not merely re-wrapping the old key: a one-time password was known to whoever handed it over,
    and a copy of the database taken earlier would otherwise open today's key with it.
    Returns the new private key (for the current session's key ring).
    """
    keypair = UserKeyPair.objects.select_for_update().filter(user=user).first()
    old_private = unwrap_private_key(keypair, current_password) if keypair is not None else None
    pair = crypto.generate_keypair()
    resealed = 0
    for grant in KeyGrant.objects.select_for_update().filter(user=user, wrapped__isnull=False):
        if old_private is None or grant.wrapped is None:
            continue
        grant.wrapped = crypto.seal(pair.public, crypto.unseal(old_private, bytes(grant.wrapped)))
        grant.save(update_fields=["wrapped"])
        resealed += 1
    _store_keypair(user, pair.private, pair.public, new_password)
    log_action(action="keys.user_keypair_renewed", actor=user, target=user, details={"grants": resealed})
    return pair.private


@transaction.atomic
def user_keys_replace(*, user: User, password: str, replaced_by: User | None) -> None:
    """After an administrator set a new password, the old private key is out of reach.

    A new key pair is made; every grant the user held becomes pending, to be re-sealed by the
    next colleague online who holds the same key (keys_distribute) or by recovery.
    """
    pair = crypto.generate_keypair()
    _store_keypair(user, pair.private, pair.public, password)
    # Organisation keys return automatically (the role entitles the user to them); access to
    # records does not: a colleague holding a case must share it again. Otherwise whoever can
    # reset a password could read every case of the person whose password they reset.
    dropped, _ = KeyGrant.objects.filter(user=user, material__kind=KeyKind.RECORD).delete()
    KeyGrant.objects.filter(user=user).update(wrapped=None)
    entitlements_sync(user=user)
    log_action(
        action="keys.user_keypair_replaced", actor=replaced_by, target=user,
        organisation=user.membership.organisation, details={"record_grants_dropped": dropped},
    )


@transaction.atomic
def user_keys_unlock_at_login(*, user: User, password: str) -> bytes:
    """The user's private key at login, repaired if it cannot be used.

    No key pair yet (an account from before encryption): one is made now. A key pair that the
    right password does not open, or whose private half does not match its public half (changed
    outside Defensor, or tampered with): it is replaced, audited, and record access must be
    shared again.
    """
    keypair = UserKeyPair.objects.select_for_update().filter(user=user).first()
    if keypair is None:
        return user_keys_create(user=user, password=password)
    try:
        private_key = unwrap_private_key(keypair, password)
    except crypto.Tampered:
        private_key = b""
    if private_key and crypto.public_from_private(private_key) == bytes(keypair.public_key):
        return private_key
    user_keys_replace(user=user, password=password, replaced_by=None)
    return unwrap_private_key(UserKeyPair.objects.get(user=user), password)


def has_record_access(*, user: User, material: KeyMaterial) -> bool:
    return KeyGrant.objects.filter(material=material, user=user, wrapped__isnull=False).exists()


def require_record_access(*, user: User, material: KeyMaterial) -> None:
    if not has_record_access(user=user, material=material):
        raise NoAccess()


def record_holders(*, material: KeyMaterial) -> list[User]:
    """Active team members who hold a record's key (its access list), with their membership
    loaded (callers check each one's role)."""
    return list(
        User.objects.filter(
            is_active=True, key_grants__material=material, key_grants__wrapped__isnull=False
        ).select_related("membership").distinct().order_by("pk")
    )


def _entitled_kinds(user: User) -> set[KeyKind]:
    kinds: set[KeyKind] = set()
    if has_permission(user, Perm.INTAKE_TRIAGE):
        kinds.add(KeyKind.INTAKE)
    if has_permission(user, Perm.INTAKE_TRIAGE) or has_permission(user, Perm.CASES_OPEN):
        kinds.add(KeyKind.INDEX)
    return kinds


def entitlements_sync(*, user: User) -> None:
    """Make the user's organisation-key grants match their role: add pending, drop unentitled.

    Called inside the service that changed the role, state or key pair (which audits it).
    """
    organisation = user.membership.organisation
    entitled = _entitled_kinds(user)
    shared = KeyMaterial.objects.filter(organisation=organisation, kind__in=[KeyKind.INTAKE, KeyKind.INDEX])
    KeyGrant.objects.filter(user=user, material__in=shared).exclude(material__kind__in=entitled).delete()
    if not has_permission(user, Perm.CASES_WORK):
        # A role that works on no case (a volunteer) keeps no record's key.
        KeyGrant.objects.filter(user=user, material__kind=KeyKind.RECORD).delete()
    if not user.is_active:
        return
    for material in shared.filter(kind__in=entitled, destroyed_at__isnull=True):
        KeyGrant.objects.get_or_create(material=material, user=user)


@transaction.atomic
def user_access_removed(*, user: User) -> None:
    """A disabled account loses every key it held (re-enabling makes organisation keys pending)."""
    KeyGrant.objects.filter(user=user).delete()


def _seal_grant(material: KeyMaterial, plaintext: bytes, user: User) -> None:
    """Seal a key to the user; a user without a key pair yet gets a pending grant instead."""
    keypair = UserKeyPair.objects.filter(user=user).first()
    wrapped = crypto.seal(bytes(keypair.public_key), plaintext) if keypair is not None else None
    KeyGrant.objects.update_or_create(material=material, user=user, defaults={"wrapped": wrapped})


def _seal_recovery_grant(material: KeyMaterial, plaintext: bytes) -> None:
    public = bytes(RecoveryKey.objects.get(organisation_id=material.organisation_id).public_key)
    KeyGrant.objects.update_or_create(
        material=material, for_recovery=True, user=None, defaults={"wrapped": crypto.seal(public, plaintext)}
    )


def _held_organisation_keys(user_id: int) -> list[uuid.UUID]:
    """The organisation keys (intake, blind index) this user holds. Found from the organisation's
    few keys, each looked up by (key, user): starting from the user's grants would walk every
    case and person key they hold (at 100,000 cases, 0.4 s on every staff request)."""
    organisation_keys = list(KeyMaterial.objects.filter(
        organisation_id__in=Membership.objects.filter(user_id=user_id).values("organisation_id"),
        kind__in=[KeyKind.INTAKE, KeyKind.INDEX], destroyed_at__isnull=True,
    ).values_list("id", flat=True))
    if not organisation_keys:
        return []
    return list(KeyGrant.objects.filter(
        material_id__in=organisation_keys, user_id=user_id, wrapped__isnull=False,
    ).values_list("material_id", flat=True))


def keys_waiting(*, user_id: int) -> bool:
    """Whether a colleague waits for an organisation key this user holds (one query, run on
    every staff request so that any holder's next request hands it over)."""
    held = _held_organisation_keys(user_id)
    return bool(held) and KeyGrant.objects.filter(
        material_id__in=held, wrapped__isnull=True, user__isnull=False, user__is_active=True,
    ).exists()


@transaction.atomic
def keys_distribute(*, keyring: KeyRing) -> int:
    """Seal every pending grant whose key this user holds, for its recipient. Returns the count.

    Runs in the request that created a user or changed a role (from the administrator's keys),
    at login, and in any staff request of a holder while someone waits (KeysHandOverMiddleware),
    so a newcomer (or someone whose password was reset) receives their keys as soon as any
    colleague holding them is online. Each recipient's keys are audited as one event.
    """
    pending = (
        KeyGrant.objects.select_for_update(of=("self",))
        .filter(
            material_id__in=_held_organisation_keys(keyring.user_id), wrapped__isnull=True,
            user__isnull=False, user__is_active=True,
        )
        .select_related("material", "user", "user__membership")
        .order_by("user_id", "material__kind")
    )
    given: dict[int, tuple[User, list[str]]] = {}
    for grant in pending:
        assert grant.user is not None  # noqa: S101 - guaranteed by the filter
        membership = getattr(grant.user, "membership", None)
        if membership is None or membership.organisation_id != grant.material.organisation_id:
            continue
        if KeyKind(grant.material.kind) not in _entitled_kinds(grant.user):
            continue  # a grant the role does not justify (planted, or left over) is never filled
        keypair = UserKeyPair.objects.filter(user=grant.user).first()
        if keypair is None:
            continue
        grant.wrapped = crypto.seal(bytes(keypair.public_key), keyring.material(grant.material_id))
        grant.save(update_fields=["wrapped"])
        given.setdefault(grant.user.pk, (grant.user, []))[1].append(str(grant.material.kind))
    if given:
        actor = User.objects.get(pk=keyring.user_id)
        for recipient, kinds in given.values():
            log_action(action="keys.distributed", actor=actor, target=recipient, details={"keys": kinds})
    return sum(len(kinds) for _, kinds in given.values())


def keys_pending(*, users: list[User]) -> dict[int, list[KeyKind]]:
    """The organisation keys each of ``users`` is entitled to and does not hold yet."""
    pending: dict[int, list[KeyKind]] = {}
    # From the organisations' few current keys, each looked up by (key, user): starting from the
    # users' grants would walk every case and person key they hold (_held_organisation_keys).
    current = list(KeyMaterial.objects.filter(
        organisation_id__in=Membership.objects.filter(user__in=users).values("organisation_id"),
        kind__in=[KeyKind.INTAKE, KeyKind.INDEX], destroyed_at__isnull=True, retired_at__isnull=True,
    ).values_list("id", flat=True))
    rows = KeyGrant.objects.filter(
        material_id__in=current, user__in=users, wrapped__isnull=True,
    ).order_by("material__kind").values_list("user_id", "material__kind")
    for user_id, kind in rows:
        pending.setdefault(user_id, []).append(KeyKind(kind))
    return pending


def key_holders(*, organisation: Organisation, kinds: list[KeyKind]) -> list[User]:
    """Active colleagues who hold every one of ``kinds`` (current keys) and so can hand them over."""
    holders = User.objects.filter(is_active=True, membership__organisation=organisation)
    for kind in kinds:
        holders = holders.filter(
            pk__in=KeyGrant.objects.filter(
                wrapped__isnull=False, material__organisation=organisation, material__kind=kind,
                material__destroyed_at__isnull=True, material__retired_at__isnull=True,
            ).values("user_id")
        )
    return list(holders.select_related("membership").order_by("username"))


# --- organisation keys and the recovery kit -------------------------------------------------


@transaction.atomic
def organisation_keys_create(*, organisation: Organisation) -> RecoveryKit:
    """The recovery key, the intake key pair and the blind-index key of a new organisation.

    Returns the recovery kit: the recovery private key exists nowhere else afterwards.
    """
    recovery_pair = crypto.generate_keypair()
    RecoveryKey.objects.create(organisation=organisation, public_key=recovery_pair.public)
    intake_pair = crypto.generate_keypair()
    intake = KeyMaterial.objects.create(organisation=organisation, kind=KeyKind.INTAKE, public_key=intake_pair.public)
    _seal_recovery_grant(intake, intake_pair.private)
    index = KeyMaterial.objects.create(organisation=organisation, kind=KeyKind.INDEX)
    index_key = crypto.random_key()
    _seal_recovery_grant(index, index_key)
    for member in User.objects.filter(membership__organisation=organisation, is_active=True):
        entitled = _entitled_kinds(member)
        if KeyKind.INTAKE in entitled:
            _seal_grant(intake, intake_pair.private, member)
        if KeyKind.INDEX in entitled:
            _seal_grant(index, index_key, member)
    shares = recovery.split(recovery_pair.private)
    log_action(action="keys.organisation_keys_created", organisation=organisation, target=organisation)
    return RecoveryKit(
        shares=shares, text=recovery.kit_text(organisation.name, shares, timezone.now().date().isoformat())
    )


def recovery_private_key(*, organisation: Organisation, shares: list[str]) -> bytes:
    return recovery.combine(shares, bytes(RecoveryKey.objects.get(organisation=organisation).public_key))


@transaction.atomic
def grants_fill_from_recovery(*, organisation: Organisation, recovery_key: bytes, user: User) -> int:
    """Seal every key the recovery key holds and ``user`` is entitled to (pending grants)."""
    count = 0
    pending = KeyGrant.objects.filter(user=user, wrapped__isnull=True, material__organisation=organisation)
    for grant in pending.select_related("material"):
        source = KeyGrant.objects.filter(material=grant.material, for_recovery=True, wrapped__isnull=False).first()
        if source is None or source.wrapped is None:
            continue
        _seal_grant(grant.material, crypto.unseal(recovery_key, bytes(source.wrapped)), user)
        count += 1
    return count


@transaction.atomic
def recover_access(*, organisation: Organisation, shares: list[str], admin: User, password: str) -> int:
    """Everyone forgot their password: give ``admin`` a new key pair and every key recovery holds.

    ``password`` is the new one-time password the operator hands to the administrator.
    Returns the number of keys restored.
    """
    recovery_key = recovery_private_key(organisation=organisation, shares=shares)
    if not admin.is_active or admin.membership.organisation_id != organisation.pk:
        raise NoAccess()
    admin.set_password(password)
    admin.must_change_password = True
    admin.save(update_fields=["password", "must_change_password"])
    User.objects.filter(pk=admin.pk).update(session_generation=F("session_generation") + 1)
    pair = crypto.generate_keypair()
    _store_keypair(admin, pair.private, pair.public, password)
    restored = 0
    grants = KeyGrant.objects.filter(
        for_recovery=True,
        wrapped__isnull=False,
        material__organisation=organisation,
        material__destroyed_at__isnull=True,
    ).select_related("material")
    for grant in grants:
        assert grant.wrapped is not None  # noqa: S101 - guaranteed by the filter
        KeyGrant.objects.update_or_create(
            material=grant.material,
            user=admin,
            defaults={"wrapped": crypto.seal(pair.public, crypto.unseal(recovery_key, bytes(grant.wrapped)))},
        )
        restored += 1
    log_action(action="keys.recovered", organisation=organisation, target=admin, details={"keys": restored})
    return restored


def recovery_kit_path(organisation: Organisation) -> Path:
    """Where a kit written without a terminal waits to be printed (never in the data directory)."""
    return Path(settings.DEFENSOR_RECOVERY_KIT_DIR) / f"defensor-recovery-kit-{organisation.pk}.txt"


def recovery_kit_write(*, organisation: Organisation, kit: RecoveryKit) -> Path:
    return write_private(recovery_kit_path(organisation), kit.text)


@transaction.atomic
def recovery_kit_delete(*, organisation: Organisation, deleted_by: User) -> bool:
    """Overwrite and remove the kit file once it has been printed. Returns whether there was one."""
    if not shred(recovery_kit_path(organisation)):
        return False
    log_action(action="keys.recovery_kit_deleted", actor=deleted_by, organisation=organisation)
    return True


# --- record data keys -----------------------------------------------------------------------


@transaction.atomic
def record_key_create(*, organisation: Organisation, keyring: KeyRing) -> RecordSealer:
    """A fresh data key for a new person or case record, granted to its creator and to recovery."""
    key = crypto.random_key()
    material = KeyMaterial.objects.create(organisation=organisation, kind=KeyKind.RECORD)
    _seal_grant(material, key, User.objects.get(pk=keyring.user_id))
    _seal_recovery_grant(material, key)
    return RecordSealer(material=material, key=key)


def record_sealer(*, material: KeyMaterial, keyring: KeyRing) -> RecordSealer:
    """The data key of an existing record, to write its fields (needs access).

    Locks the key row, so a rotation cannot run between reading the key and writing with it.
    """
    locked = KeyMaterial.objects.select_for_update().get(pk=material.pk)
    if locked.destroyed_at is not None or locked.retired_at is not None:
        raise NoAccess()
    return RecordSealer(material=locked, key=keyring.material(locked.pk))


@transaction.atomic
def record_access_grant(*, material: KeyMaterial, to_user: User, keyring: KeyRing) -> None:
    """Share a record with a colleague: seal its data key to their public key."""
    if (
        material.kind != KeyKind.RECORD
        or material.destroyed_at is not None
        or to_user.membership.organisation_id != material.organisation_id
        or not to_user.is_active
    ):
        raise NoAccess()
    _seal_grant(material, keyring.material(material.pk), to_user)
    log_action(
        action="keys.access_granted", actor=User.objects.get(pk=keyring.user_id), target=to_user,
        details={"key": str(material.pk)},
    )


@transaction.atomic
def record_access_revoke(*, material: KeyMaterial, user: User, revoked_by: User) -> bool:
    """Take a record away from a colleague: delete their wrapped key (effective at once)."""
    deleted, _ = KeyGrant.objects.filter(material=material, user=user).delete()
    log_action(action="keys.access_revoked", actor=revoked_by, target=user, details={"key": str(material.pk)})
    return deleted > 0


@transaction.atomic
def record_access_grant_all(*, materials: Sequence[KeyMaterial], to_user: User, keyring: KeyRing) -> list[str]:
    """Share many records with a colleague at once (a case and its claimants): every data key
    they do not hold yet sealed to their public key, in a fixed number of queries however many
    records, and one audit event naming every key given. Returns the ids of the keys given."""
    if not to_user.is_active or any(
        material.kind != KeyKind.RECORD or material.destroyed_at is not None
        or to_user.membership.organisation_id != material.organisation_id
        for material in materials
    ):
        raise NoAccess()
    materials = list({material.pk: material for material in materials}.values())  # each key once
    existing = {grant.material_id: grant for grant in KeyGrant.objects.filter(
        user=to_user, material_id__in=[material.pk for material in materials])}
    wanted = [material for material in materials
              if material.pk not in existing or existing[material.pk].wrapped is None]
    keyring.prefetch(material.pk for material in wanted)  # one query opens them all
    keypair = UserKeyPair.objects.filter(user=to_user).first()
    added, filled = [], []
    for material in wanted:
        # Without a key pair yet, the grant waits (pending), as with one record.
        plaintext = keyring.material(material.pk)  # NoAccess: the sharer does not hold this one
        wrapped = crypto.seal(bytes(keypair.public_key), plaintext) if keypair is not None else None
        grant = existing.get(material.pk)
        if grant is None:
            added.append(KeyGrant(material=material, user=to_user, wrapped=wrapped))
        else:
            grant.wrapped = wrapped
            filled.append(grant)
    KeyGrant.objects.bulk_create(added)
    KeyGrant.objects.bulk_update(filled, ["wrapped"])
    given = [str(material.pk) for material in wanted]
    if given:
        log_action(
            action="keys.access_granted", actor=User.objects.get(pk=keyring.user_id), target=to_user,
            details={"keys": given},
        )
    return given


@transaction.atomic
def record_access_revoke_all(*, materials: Sequence[KeyMaterial], user: User, revoked_by: User) -> list[str]:
    """Take many records away from a colleague at once (effective at once): one delete, and one
    audit event naming every key taken. Returns the ids of the keys they held."""
    grants = KeyGrant.objects.filter(user=user, material_id__in=[material.pk for material in materials])
    taken = sorted(str(material_id) for material_id in grants.values_list("material_id", flat=True))
    grants.delete()
    if taken:
        log_action(action="keys.access_revoked", actor=revoked_by, target=user, details={"keys": taken})
    return taken


@transaction.atomic
def record_erase(*, material: KeyMaterial, erased_by: User | None) -> None:
    """Crypto-shredding: destroy every wrapped copy of the data key, the recovery one included.

    The ciphertexts may stay on disk and in backups; without the key they are noise.
    """
    KeyGrant.objects.filter(material=material).delete()
    KeyMaterial.objects.filter(pk=material.pk, destroyed_at__isnull=True).update(destroyed_at=timezone.now())
    forget_deleted_pages()
    log_action(
        action="keys.record_erased", actor=erased_by, organisation=material.organisation,
        details={"key": str(material.pk)},
    )


def forget_deleted_pages() -> None:
    """After an erase on SQLite, fold the write-ahead log back and truncate it, so the deleted
    key copies do not linger in the -wal file (secure_delete overwrites them in the database).
    Backups taken before the erase still hold them: see docs/security.md."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return

    def checkpoint() -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    transaction.on_commit(checkpoint)


# --- rotation -------------------------------------------------------------------------------


def _copy_recipients(old: KeyMaterial, new: KeyMaterial, plaintext: bytes) -> None:
    for grant in KeyGrant.objects.filter(material=old).select_related("user"):
        if grant.for_recovery:
            _seal_recovery_grant(new, plaintext)
        elif grant.user is not None:
            if grant.wrapped is None:
                KeyGrant.objects.get_or_create(material=new, user=grant.user)
            else:
                _seal_grant(new, plaintext, grant.user)


@transaction.atomic
def rotate_record_key(*, material: KeyMaterial, recovery_key: bytes) -> KeyMaterial:
    """Re-encrypt every field of the record(s) under ``material`` with a new data key.

    The same people keep access; the old key's wrapped copies are destroyed.
    """
    material = KeyMaterial.objects.select_for_update().get(pk=material.pk)
    if material.kind != KeyKind.RECORD or material.destroyed_at is not None or material.retired_at is not None:
        raise NoAccess()
    source = KeyGrant.objects.filter(material=material, for_recovery=True, wrapped__isnull=False).first()
    if source is None or source.wrapped is None:
        raise NoAccess()
    old_key = crypto.unseal(recovery_key, bytes(source.wrapped))
    new_key = crypto.random_key()
    new = KeyMaterial.objects.create(organisation=material.organisation, kind=KeyKind.RECORD)
    sealer = RecordSealer(material=new, key=new_key)
    for model in encrypted_models():
        for record in model._default_manager.filter(data_key=material):
            values = dict(record.decrypt_with(old_key))
            record.data_key = new
            record.encrypt(sealer, **values)
            record.save()
    _copy_recipients(material, new, new_key)
    KeyGrant.objects.filter(material=material).delete()
    KeyMaterial.objects.filter(pk=material.pk).update(retired_at=timezone.now(), destroyed_at=timezone.now())
    log_action(
        action="keys.record_key_rotated", organisation=material.organisation,
        details={"old": str(material.pk), "new": str(new.pk)},
    )
    return new


@transaction.atomic
def rotate_intake_key(*, organisation: Organisation, recovery_key: bytes) -> KeyMaterial:
    """A new intake key pair for new submissions. The old private key is kept (retired) so that
    submissions sealed to it stay readable; every ciphertext names the key that sealed it."""
    old = KeyMaterial.objects.get(organisation=organisation, kind=KeyKind.INTAKE, retired_at__isnull=True)
    pair = crypto.generate_keypair()
    new = KeyMaterial.objects.create(organisation=organisation, kind=KeyKind.INTAKE, public_key=pair.public)
    _copy_recipients(old, new, pair.private)
    KeyMaterial.objects.filter(pk=old.pk).update(retired_at=timezone.now())
    log_action(
        action="keys.intake_key_rotated", organisation=organisation, details={"old": str(old.pk), "new": str(new.pk)}
    )
    return new


@transaction.atomic
def rotate_index_key(*, organisation: Organisation, recovery_key: bytes) -> KeyMaterial:
    """A new blind-index key; every index is recomputed from the decrypted values."""
    old = KeyMaterial.objects.get(organisation=organisation, kind=KeyKind.INDEX, retired_at__isnull=True)
    new_key = crypto.random_key()
    new = KeyMaterial.objects.create(organisation=organisation, kind=KeyKind.INDEX)
    for model in encrypted_models():
        if not model.BLIND_INDEXES:
            continue
        for record in model._default_manager.filter(data_key__organisation=organisation):
            grant = KeyGrant.objects.filter(material_id=record.data_key_id, for_recovery=True).first()
            if grant is None or grant.wrapped is None:
                continue  # erased: nothing to index
            values = record.decrypt_with(crypto.unseal(recovery_key, bytes(grant.wrapped)))
            record.set_blind_indexes(new_key, values)
            record.set_report_facts(new, new_key, values)
            facts = ["report_facts", "report_key"] if model.REPORT_FACTS else []
            record.save(update_fields=[*model.BLIND_INDEXES, *facts])
    old_grant = KeyGrant.objects.filter(material=old, for_recovery=True).first()
    if old_grant is not None and old_grant.wrapped is not None:
        old_key = crypto.unseal(recovery_key, bytes(old_grant.wrapped))
        for reseal in facts_resealers:
            reseal(organisation.pk, old, old_key, new, new_key)
    _copy_recipients(old, new, new_key)
    KeyGrant.objects.filter(material=old).delete()
    KeyMaterial.objects.filter(pk=old.pk).update(retired_at=timezone.now(), destroyed_at=timezone.now())
    log_action(
        action="keys.index_key_rotated", organisation=organisation, details={"old": str(old.pk), "new": str(new.pk)}
    )
    return new
