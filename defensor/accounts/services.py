"""Writes to staff accounts. Each is atomic and records an AuditEvent in the same transaction."""

from __future__ import annotations

import secrets
import string
from datetime import timedelta
from typing import TypeAlias

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from defensor.access import services as keys
from defensor.access.services import RecoveryKit
from defensor.accounts import first_login, lockout
from defensor.accounts.models import Membership, Role, StaffSession, User
from defensor.accounts.permissions import Perm, has_permission
from defensor.audit.models import AuditEvent
from defensor.audit.services import log_action
from defensor.core.errors import AlreadyInitialised, InvalidOperation
from defensor.core.models import Organisation
from defensor.keys.keyring import KeyRing, keyring_store
from defensor.keys.models import KeyGrant, KeyKind

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery-codes"


class UsernameTaken(InvalidOperation):
    user_message = _("This login name is already taken.")


class LastAdministrator(InvalidOperation):
    user_message = _("The organisation must keep at least one active administrator.")


class WrongPassword(InvalidOperation):
    user_message = _("The current password is wrong.")


def generate_one_time_password() -> str:
    """A readable random password (about 95 bits), to be changed at first login."""
    alphabet = string.ascii_letters + string.digits
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


@transaction.atomic
def organisation_initialise(
    *, name: str, admin_username: str, force: bool = False
) -> tuple[Organisation, User, str, RecoveryKit]:
    """Create the organisation, its keys and its first administrator with a one-time password.

    Returns the recovery kit too: its key exists nowhere else once the caller has shown it.
    """
    if Organisation.objects.exists() and not force:
        raise AlreadyInitialised()
    organisation = Organisation.objects.create(name=name)
    log_action(action="organisation.initialised", organisation=organisation, target=organisation)
    admin, password = user_create(
        organisation=organisation, username=admin_username, role=Role.ADMIN, created_by=None
    )
    kit = keys.organisation_keys_create(organisation=organisation)
    return organisation, admin, password, kit


@transaction.atomic
def user_create(
    *,
    organisation: Organisation,
    username: str,
    role: Role,
    created_by: User | None,
    language: str = "ru",
    password: str | None = None,
    keyring: KeyRing | None = None,
) -> tuple[User, str]:
    """Create a staff user and their key pair, with a one-time password they must change after
    enrolling 2FA (or, for fixtures and imports, a given password they need not change).

    ``keyring``: the creating administrator's unlocked keys; the organisation keys the role
    needs are sealed from it at once (a key the administrator lacks stays pending)."""
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken()
    must_change = password is None
    password = password or generate_one_time_password()
    user = User(username=username, language=language, must_change_password=must_change)
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, organisation=organisation, role=role)
    log_action(
        action="user.created",
        actor=created_by,
        organisation=organisation,
        target=user,
        details={"role": role.value},
    )
    keys.user_keys_create(user=user, password=password)
    if keyring is not None:
        keys.keys_distribute(keyring=keyring)
    return user, password


def _end_all_sessions(user: User, *, keep_session_key: str | None = None) -> None:
    """Every session of the user ends: the stored rows (with their key rings) are deleted now, and
    the session generation is raised (in the database, not from a stale copy) for any other."""
    from django.contrib.sessions.models import Session

    from defensor.core.sessions import stored_key

    kept = stored_key(keep_session_key) if keep_session_key else None
    rows = StaffSession.objects.filter(user=user).exclude(stored_key=kept)
    Session.objects.filter(session_key__in=rows.values("stored_key")).delete()
    rows.delete()
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


def _ensure_other_admin_remains(user: User) -> None:
    """Refuse to remove the organisation's last active administrator.

    The administrators' rows are locked first, so two administrators removing each other at
    the same moment are serialised and the second one is refused.
    """
    membership = user.membership
    admins = list(
        Membership.objects.select_for_update()
        .filter(organisation=membership.organisation, role=Role.ADMIN, user__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if membership.role == Role.ADMIN and user.is_active and len(admins) <= 1:
        raise LastAdministrator()


@transaction.atomic
def user_disable(*, user: User, disabled_by: User) -> None:
    """Disable at once: every session of the user stops working at its next request."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return
    _ensure_other_admin_remains(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_all_sessions(user)
    keys.user_access_removed(user=user)
    log_action(action="user.disabled", actor=disabled_by, target=user)


@transaction.atomic
def user_enable(*, user: User, enabled_by: User, keyring: KeyRing | None = None) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    keys.entitlements_sync(user=user)
    log_action(action="user.enabled", actor=enabled_by, target=user)
    if keyring is not None:
        keys.keys_distribute(keyring=keyring)


@transaction.atomic
def user_unlock(*, user: User, unlocked_by: User) -> int:
    """Forget the failed logins that locked one account (someone guessed, or the owner mistyped
    and cannot wait). Returns how many were forgotten; 0 changes nothing and records nothing."""
    failures = lockout.attempts_forget(username=user.username)
    if failures:
        log_action(action="user.unlocked", actor=unlocked_by, target=user, details={"failures": failures})
    return failures


@transaction.atomic
def user_set_role(*, user: User, role: Role, changed_by: User, keyring: KeyRing | None = None) -> int:
    """Change the user's role. Access to cases stays with any role that works on cases; a role
    that does not (a volunteer) loses every case and client record key, and changing the role back
    does not return them (a colleague shares each case again). Returns how many record keys were
    removed (the audit log records the number too). Organisation keys the new role needs are
    sealed at once from ``keyring`` (the administrator's), or wait for a colleague who holds them."""
    membership = Membership.objects.select_for_update().get(user=user)
    if membership.role == role:
        return 0
    if membership.role == Role.ADMIN:
        _ensure_other_admin_remains(membership.user)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    user.membership = membership
    removed = 0
    if not has_permission(user, Perm.CASES_WORK):
        removed = KeyGrant.objects.filter(user=user, material__kind=KeyKind.RECORD).count()
    keys.entitlements_sync(user=user)
    log_action(
        action="user.role_changed", actor=changed_by, target=user,
        details={"from": old, "to": role.value, "record_keys_removed": removed},
    )
    if keyring is not None:
        keys.keys_distribute(keyring=keyring)
    return removed


@transaction.atomic
def user_reset_password(*, user: User, reset_by: User) -> str:
    """Give the user a new one-time password and end their sessions."""
    password = _issue_one_time_password(user)
    keys.user_keys_replace(user=user, password=password, replaced_by=reset_by)
    log_action(action="user.password_reset", actor=reset_by, target=user)
    return password


def _issue_one_time_password(user: User) -> str:
    password = generate_one_time_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    _end_all_sessions(user)
    return password


@transaction.atomic
def user_reset_two_factor(*, user: User, reset_by: User) -> str:
    """Remove the user's authenticator and recovery codes and issue a new one-time password.

    A lost phone is the usual reason. The new password is handed over in person, so that the
    old password alone (perhaps known to whoever has the phone) cannot enrol a new device.
    """
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    password = _issue_one_time_password(user)
    keys.user_keys_replace(user=user, password=password, replaced_by=reset_by)
    log_action(action="user.2fa_reset", actor=reset_by, target=user)
    return password


def password_change(*, request: HttpRequest, user: User, current_password: str, new_password: str) -> None:
    # (returns nothing; the session's key ring is replaced by the renewed key pair)
    """Change one's own password. The current one is checked like a login, outside the change's
    transaction, so wrong guesses count towards the lockout (a session left open cannot be used
    to guess it) and are not rolled back with the refused change."""
    if authenticate(request, username=user.username, password=current_password) is None:
        raise WrongPassword()
    validate_password(new_password, user=user)
    with transaction.atomic():
        private_key = keys.user_keys_renew(user=user, current_password=current_password, new_password=new_password)
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        log_action(action="user.password_changed", actor=user, target=user)
        # Other sessions end now; this one continues with the renewed key.
        session = getattr(request, "session", None)
        _end_all_sessions(user, keep_session_key=session.session_key if session is not None else None)
    if hasattr(request, "session"):
        keyring_store(request, user.pk, private_key)
    first_login.remove_note(user.username)


@transaction.atomic
def language_set(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])
    log_action(action="user.language_changed", actor=user, target=user, details={"language": language})


@transaction.atomic
def logout_everywhere(*, user: User) -> None:
    """End every session of this user, on every device, including the current one."""
    _end_all_sessions(user)
    log_action(action="user.logged_out_everywhere", actor=user, target=user)


@transaction.atomic
def password_accepted(*, user: User, session_key: str) -> None:
    """The password was right; the second factor is still to come (not yet a login)."""
    from defensor.core.sessions import stored_key

    StaffSession.objects.get_or_create(user=user, stored_key=stored_key(session_key))
    log_action(action="user.password_accepted", actor=user, target=user)


def _login_completed(
    user: User, factor: str, keyring: KeyRing | None, *, session: SessionBase | None = None,
    while_locked: bool = False,
) -> None:
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    log_action(
        action="user.logged_in", actor=user, target=user,
        details={"factor": factor, "while_locked": True} if while_locked else {"factor": factor},
    )
    if session is not None:
        _session_key_renewed(user, session)
    if keyring is not None:
        # Colleagues waiting for keys this user holds (newcomers, reset passwords) get them now.
        keys.keys_distribute(keyring=keyring)


def _session_key_renewed(user: User, session: SessionBase) -> None:
    """A new session key once the second factor is passed: a key seen before (at the password
    step) is worth nothing afterwards. The session's data moves with it, the key-ring ciphertext
    too (bound to the user, not to the key), and the row that lets "log out everywhere" delete
    the session follows."""
    from defensor.core.sessions import stored_key

    old_key = session.session_key
    session.cycle_key()
    new_key = session.session_key
    if old_key and new_key:
        StaffSession.objects.filter(user=user, stored_key=stored_key(old_key)).update(stored_key=stored_key(new_key))


@transaction.atomic
def logout_recorded(*, user: User) -> None:
    log_action(action="user.logged_out", actor=user, target=user)


@transaction.atomic
def login_failed_recorded(*, user: User, locked_out: bool = False) -> None:
    """Record a failed login of a known account (the typed name itself is never stored: a
    password is often typed into it by mistake). While an account is locked, only the first
    refused attempt of each cool-off period is recorded, so nobody can flood the log."""
    organisation = user.membership.organisation if hasattr(user, "membership") else None
    if locked_out:
        since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
        already = AuditEvent.objects.filter(
            action="user.locked_out", target_id=str(user.pk), created_at__gte=since
        ).exists()
        if already:
            return
    log_action(
        action="user.locked_out" if locked_out else "user.login_failed", organisation=organisation, target=user
    )


class AlreadyEnrolled(InvalidOperation):
    user_message = _("Two-factor authentication is already set up for this account.")


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """A new unconfirmed authenticator, shown only to the session that asked for it.

    Any earlier unconfirmed one is removed, so a secret seen by someone else cannot be
    confirmed later.
    """
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AlreadyEnrolled()
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    log_action(action="user.2fa_enrolment_started", actor=user, target=user)
    return device


@transaction.atomic
def totp_enrolment_confirm(
    *, user: User, device_id: int, token: str, keyring: KeyRing | None = None, session: SessionBase | None = None
) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm this session's pending authenticator with a code from it.

    Returns the device and fresh recovery codes, or None if the code is wrong or the pending
    device is gone (another session started its own enrolment).
    """
    if TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
        raise AlreadyEnrolled()
    device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id, confirmed=False).first()
    if device is None or not device.verify_token(token.strip().replace(" ", "")):
        log_action(action="user.2fa_failed", actor=user, target=user, details={"stage": "enrolment"})
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_replace(user)
    log_action(action="user.2fa_enrolled", actor=user, target=user)
    _login_completed(user, "totp", keyring, session=session)
    return device, codes


def _recovery_codes_replace(user: User) -> list[str]:
    """New codes on the user's recovery device (kept, so a session verified by it stays so)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    codes = _recovery_codes_replace(user)
    log_action(action="user.recovery_codes_regenerated", actor=user, target=user)
    return codes


SecondFactor: TypeAlias = "TOTPDevice | StaticDevice"


def _second_factor(user: User, token: str) -> tuple[SecondFactor, str] | None:
    """The device a code from the authenticator, or a one-time recovery code, belongs to, and
    which of the two it was. Throttled per device (django-otp's back-off)."""
    token = token.strip().replace(" ", "").lower()
    for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_is_allowed()[0] and device.verify_token(token):
            return device, "totp"
    for static in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if static.verify_is_allowed()[0] and static.verify_token(token):
            remaining = static.token_set.count()
            log_action(
                action="user.recovery_code_used", actor=user, target=user, details={"remaining": remaining}
            )
            return static, "recovery_code"
    return None


@transaction.atomic
def two_factor_check(
    *, user: User, token: str, keyring: KeyRing | None = None, session: SessionBase | None = None
) -> SecondFactor | None:
    """Check a code from the authenticator, or a one-time recovery code. Throttled per device.
    When it is right the login is complete, and ``session`` (this browser's) gets a new key."""
    found = _second_factor(user, token)
    if found is None:
        log_action(action="user.2fa_failed", actor=user, target=user, details={"stage": "login"})
        return None
    device, factor = found
    _login_completed(user, factor, keyring, session=session)
    return device


@transaction.atomic
def locked_login_check(
    *, username: str, password: str, token: str, password_holder: User | None
) -> tuple[User, SecondFactor, bytes] | None:
    """A login to a locked account: the user, the device the code belongs to and the private key,
    when ``password_holder`` (whoever the caller found the password right for) typed a right code.

    The code is checked for the named account whether the password was right or not, and what
    checking it did (the device's back-off, a recovery code spent, the audit) is undone when the
    password was wrong: both answers do the same work, so a guesser timing them cannot tell which
    half was wrong, and a stranger cannot slow the owner's authenticator down. The key pair is
    opened in the same transaction, so no code (a recovery code above all) is spent on a login
    that fails there (KeyDerivationBusy goes up to the caller, with nothing kept).
    """
    try:
        named = User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        return None
    password_right = password_holder is not None and password_holder.pk == named.pk
    checked = transaction.savepoint()
    found = _second_factor(named, token)
    if found is None:
        log_action(action="user.2fa_failed", actor=named, target=named, details={"stage": "locked"})
    if not password_right:
        transaction.savepoint_rollback(checked)
        return None
    transaction.savepoint_commit(checked)
    if found is None:
        return None
    return named, found[0], keys.user_keys_unlock_at_login(user=named, password=password)


@transaction.atomic
def locked_login_completed(*, user: User, device: SecondFactor, keyring: KeyRing, session_key: str) -> None:
    """The owner of a locked account logged in with password and second factor at once (the
    session is new: its key was made by this login). Audited as a login while locked."""
    from defensor.core.sessions import stored_key

    StaffSession.objects.get_or_create(user=user, stored_key=stored_key(session_key))
    factor = "recovery_code" if isinstance(device, StaticDevice) else "totp"
    _login_completed(user, factor, keyring, while_locked=True)


def has_confirmed_totp(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())
