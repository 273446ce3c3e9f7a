"""A staff member's unlocked keys for the length of one request.

At login the private key is unwrapped with the password and re-encrypted under a random secret
that lives only in the user's browser (an HttpOnly, SameSite=Strict cookie). The server-side
session holds that ciphertext; neither half alone opens anything. Logout or session expiry
deletes the ciphertext, and the cookie is then worthless.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import cast
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from defensor.core.errors import DefensorError
from defensor.keys import crypto
from defensor.keys.models import KeyGrant, KeyKind, KeyMaterial, UserKeyPair

KEYRING_COOKIE = "defensor_keyring"
SESSION_FIELD = "defensor_keyring"
NEW_SECRET_ATTR = "_defensor_keyring_secret"  # noqa: S105 - an attribute name, not a secret


class KeyRingLocked(DefensorError):
    user_message = _(
        "Your keys are not unlocked in this browser session, so encrypted information cannot be shown. "
        "Please log out and log in again."
    )


class NoAccess(DefensorError):
    user_message = _("You have no key for this record. Ask a colleague with access to share it with you.")


def _private_aad(user_id: int) -> bytes:
    return f"defensor.user-private-key.{user_id}".encode()


def _session_aad(user_id: int) -> bytes:
    return f"defensor.session-keyring.{user_id}".encode()


def unwrap_private_key(keypair: UserKeyPair, password: str) -> bytes:
    """Open the user's private key with their password (raises Tampered if the password is wrong)."""
    if not (1 <= keypair.kdf_opslimit <= 20 and 8 * 1024 * 1024 <= keypair.kdf_memlimit <= 2 * 1024**3):
        raise crypto.Tampered()  # parameters nobody chose: refuse rather than hang or crash
    kek = crypto.derive_key(
        password, bytes(keypair.kdf_salt), crypto.KdfParams(keypair.kdf_opslimit, keypair.kdf_memlimit)
    )
    return crypto.decrypt(kek, bytes(keypair.wrapped_private_key), aad=_private_aad(keypair.user_id))


def wrap_private_key(user_id: int, private_key: bytes, password: str) -> tuple[bytes, bytes, crypto.KdfParams]:
    salt = crypto.random_bytes(crypto.SALT_SIZE)
    params = crypto.kdf_params()
    kek = crypto.derive_key(password, salt, params)
    return crypto.encrypt(kek, private_key, aad=_private_aad(user_id)), salt, params


class KeyRing:
    """The acting user's private key and whatever it opens, cached for one request."""

    def __init__(self, user_id: int, private_key: bytes) -> None:
        self.user_id = user_id
        self._private_key = private_key
        self._materials: dict[UUID, bytes] = {}

    def __repr__(self) -> str:
        return f"<KeyRing of user {self.user_id}>"

    def material(self, material_id: UUID) -> bytes:
        """The plaintext of a KeyMaterial this user holds a grant for."""
        self.prefetch((material_id,))
        if material_id not in self._materials:
            raise NoAccess()
        return self._materials[material_id]

    def prefetch(self, material_ids: Iterable[UUID]) -> None:
        """Open, with one query, every key of ``material_ids`` this user holds and has not opened
        yet (a page that decrypts many records). Keys the user does not hold are left out:
        ``material`` still raises NoAccess for them."""
        # Not "set(ids) - self._materials.keys()": that hashes every key already open, on every
        # call, and a page calling ``material`` once per record then costs records² hashes.
        wanted = {material_id for material_id in material_ids if material_id not in self._materials}
        if not wanted:
            return
        grants = KeyGrant.objects.filter(material_id__in=wanted, user_id=self.user_id, wrapped__isnull=False)
        # Never None (wrapped__isnull=False): the cast only tells mypy so.
        found = [(material_id, bytes(cast("bytes | memoryview", wrapped)))
                 for material_id, wrapped in grants.values_list("material_id", "wrapped")]
        opened = crypto.unseal_all(self._private_key, [wrapped for _, wrapped in found])
        self._materials.update(zip([material_id for material_id, _ in found], opened, strict=True))

    def opened(self, material_id: UUID) -> bool:
        """Whether this key is already open in the ring (after ``prefetch``: whether the user holds it)."""
        return material_id in self._materials

    def current(self, organisation_id: int, kind: KeyKind) -> tuple[KeyMaterial, bytes]:
        """The organisation's current (not retired) intake or index key."""
        material = KeyMaterial.objects.filter(
            organisation_id=organisation_id, kind=kind, retired_at__isnull=True, destroyed_at__isnull=True
        ).first()
        if material is None:
            raise NoAccess()
        return material, self.material(material.id)


def session_halves(user_id: int, private_key: bytes) -> tuple[str, bytes]:
    """(what the session stores, what the cookie carries) for a private key."""
    secret = crypto.random_key()
    ciphertext = crypto.encrypt(secret, private_key, aad=_session_aad(user_id))
    return base64.b64encode(ciphertext).decode(), secret


def cookie_value(secret: bytes) -> str:
    return base64.urlsafe_b64encode(secret).decode()


def keyring_store(request: HttpRequest, user_id: int, private_key: bytes) -> KeyRing:
    """Keep the private key for this session: ciphertext in the session, the key in the cookie."""
    stored, secret = session_halves(user_id, private_key)
    request.session[SESSION_FIELD] = stored
    setattr(request, NEW_SECRET_ATTR, secret)
    return KeyRing(user_id, private_key)


def keyring_for(request: HttpRequest) -> KeyRing | None:
    """The unlocked key ring of this request's user, or None."""
    cached = getattr(request, "_defensor_keyring", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    user = request.user
    if not user.is_authenticated:
        return None
    stored = request.session.get(SESSION_FIELD)
    secret: bytes | None = getattr(request, NEW_SECRET_ATTR, None)
    if secret is None:
        cookie = request.COOKIES.get(KEYRING_COOKIE, "")
        try:
            secret = base64.urlsafe_b64decode(cookie.encode())
        except ValueError:
            return None
    if not stored or not secret or len(secret) != crypto.KEY_SIZE:
        return None
    try:
        private_key = crypto.decrypt(secret, base64.b64decode(stored), aad=_session_aad(user.pk))
    except crypto.Tampered:
        return None
    keyring = KeyRing(user.pk, private_key)
    request._defensor_keyring = keyring  # type: ignore[attr-defined]
    return keyring
