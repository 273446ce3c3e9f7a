"""Backups are age files (pyrage): streamed, authenticated in 64 KiB chunks, one file key sealed to
each recipient. The organisation's recovery key is an X25519 key pair, the same curve as age's own
recipients, so an archive is made for it without a new key to keep: its public key written as an
age recipient (``age1…``, bech32), and the private key put back from two recovery shares written as
the matching identity (``AGE-SECRET-KEY-1…``).
"""

from __future__ import annotations

import io
from typing import BinaryIO, cast

import bech32
import pyrage
from django.utils.translation import gettext_lazy as _

from defensor.core.errors import DefensorError
from defensor.keys import crypto

RECIPIENT_PREFIX = "age"
IDENTITY_PREFIX = "age-secret-key-"


class ArchiveUnreadable(DefensorError):
    """No identity given opens the archive, or it was changed, cut short or is not an age file."""

    user_message = _(
        "The archive cannot be opened: it was changed or cut short, or the key given is not one it was made for."
    )


class BadRecipient(DefensorError):
    user_message = _("A backup recipient is not an age public key (age1…).")


def _encode(prefix: str, key: bytes) -> str:
    words = bech32.convertbits(key, 8, 5)
    if words is None or len(key) != crypto.KEY_SIZE:
        raise ValueError("not a 32-byte key")
    return bech32.bech32_encode(prefix, words)


def recipient(public_key: bytes) -> str:
    """The age recipient (``age1…``) of an X25519 public key."""
    return _encode(RECIPIENT_PREFIX, public_key)


def identity(private_key: bytes) -> str:
    """The age identity (``AGE-SECRET-KEY-1…``) of an X25519 private key. A secret: never logged."""
    return _encode(IDENTITY_PREFIX, private_key).upper()


def identity_public_key(age_identity: str) -> bytes | None:
    """The X25519 public key of an age identity, or None if it is not one."""
    prefix, words = bech32.bech32_decode(age_identity.strip().lower())
    data = bech32.convertbits(words, 5, 8, False) if words is not None else None
    if prefix != IDENTITY_PREFIX or data is None or len(data) != crypto.KEY_SIZE:
        return None
    return crypto.public_from_private(bytes(data))


def identity_private_key(age_identity: str) -> bytes | None:
    """The raw X25519 private key of an age identity (to open records sealed to it), or None."""
    prefix, words = bech32.bech32_decode(age_identity.strip().lower())
    data = bech32.convertbits(words, 5, 8, False) if words is not None else None
    if prefix != IDENTITY_PREFIX or data is None or len(data) != crypto.KEY_SIZE:
        return None
    return bytes(data)


def recipient_of_identity(age_identity: str) -> str:
    """The recipient (``age1…``) that an identity opens."""
    return str(pyrage.x25519.Identity.from_str(age_identity.strip()).to_public())


def new_identity() -> str:
    """A fresh identity, e.g. the worker's own for the drill of the archives it makes (memory only)."""
    return str(pyrage.x25519.Identity.generate())


def identities_in(text: str) -> list[str]:
    """The identities of an age identity file (comments and blank lines skipped)."""
    return [line.strip() for line in text.splitlines() if line.strip().upper().startswith("AGE-SECRET-KEY-1")]


def encrypt_stream(source: BinaryIO, target: BinaryIO, recipients: list[str]) -> None:
    """Read ``source`` to its end and write it to ``target`` encrypted to every recipient."""
    try:
        parsed = [pyrage.x25519.Recipient.from_str(r.strip()) for r in recipients]
    except pyrage.RecipientError as error:
        raise BadRecipient() from error
    pyrage.encrypt_io(cast(io.BufferedIOBase, source), cast(io.BufferedIOBase, target), parsed)


def decrypt_stream(source: BinaryIO, target: BinaryIO, identities: list[str]) -> None:
    """Write the plaintext of ``source`` to ``target`` as it is opened, chunk by chunk.

    Raises ArchiveUnreadable for a wrong key, a change or a cut: then some plaintext may already have
    been written, and the caller throws it away (a cut is found only at the end).
    """
    try:
        parsed = [pyrage.x25519.Identity.from_str(i.strip()) for i in identities]
    except pyrage.IdentityError as error:
        raise ArchiveUnreadable() from error
    try:
        pyrage.decrypt_io(cast(io.BufferedIOBase, source), cast(io.BufferedIOBase, target), parsed)
    except (pyrage.DecryptError, OSError) as error:
        raise ArchiveUnreadable() from error
