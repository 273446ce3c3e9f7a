"""The primitives, all from libsodium through PyNaCl. The only module of Defensor that imports nacl.

Everything here takes and returns bytes; callers above it (keyring, records, services) never
see a nonce or a key size. Every failure to open a ciphertext is a typed ``Tampered`` error.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.pwhash
import nacl.utils
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from nacl import _sodium  # PyNaCl's cffi module (decrypt_each)
from nacl import bindings as _b
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import Aead

from defensor.core.errors import DefensorError

KEY_SIZE = Aead.KEY_SIZE  # 32
NONCE_SIZE = Aead.NONCE_SIZE  # 24
SALT_SIZE = nacl.pwhash.argon2id.SALTBYTES  # 16
FORMAT_VERSION = b"\x01"


class CryptoError(DefensorError):
    user_message = _("The encrypted data could not be opened. Nothing was changed.")


class Tampered(CryptoError):
    """A ciphertext or wrapped key was altered, truncated, or opened with the wrong key."""


class KeyDerivationBusy(CryptoError):
    user_message = _("Too many people are logging in right now. Please try again in a minute.")


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    private: bytes = field(repr=False)


def random_key() -> bytes:
    return nacl.utils.random(KEY_SIZE)


def random_bytes(size: int) -> bytes:
    return nacl.utils.random(size)


def generate_keypair() -> KeyPair:
    private = PrivateKey.generate()
    return KeyPair(public=bytes(private.public_key), private=bytes(private))


def public_from_private(private: bytes) -> bytes:
    return bytes(PrivateKey(private).public_key)


def seal(recipient_public: bytes, plaintext: bytes) -> bytes:
    """Anonymous public-key encryption (X25519 + XSalsa20-Poly1305 sealed box)."""
    return bytes(SealedBox(PublicKey(recipient_public)).encrypt(plaintext))


def unseal(recipient_private: bytes, ciphertext: bytes) -> bytes:
    try:
        return bytes(SealedBox(PrivateKey(recipient_private)).decrypt(ciphertext))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as error:
        raise Tampered() from error


def unseal_all(recipient_private: bytes, ciphertexts: Iterable[bytes]) -> list[bytes]:
    """``unseal`` of many ciphertexts to one recipient: the private key's public half (a scalar
    multiplication, a third of an unseal's cost) is worked out once, not once per ciphertext."""
    try:
        box = SealedBox(PrivateKey(recipient_private))
        return [bytes(box.decrypt(ciphertext)) for ciphertext in ciphertexts]
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as error:
        raise Tampered() from error


def encrypt(key: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
    """XChaCha20-Poly1305 with a random nonce: version || nonce || ciphertext+tag."""
    nonce = nacl.utils.random(NONCE_SIZE)
    return FORMAT_VERSION + bytes(Aead(key).encrypt(plaintext, aad, nonce))


def decrypt(key: bytes, ciphertext: bytes, *, aad: bytes) -> bytes:
    if not ciphertext or ciphertext[:1] != FORMAT_VERSION:
        raise Tampered()
    try:
        return bytes(Aead(key).decrypt(ciphertext[1:], aad))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as error:
        raise Tampered() from error


# --- password-derived keys ------------------------------------------------------------------

# Each Argon2id derivation holds its memory (128 MiB by default) for its duration; the
# semaphore caps how many run at once in one process, so a burst of logins cannot exhaust it.
# Made at the first derivation: importing this module must not load the settings (``defensor
# restore`` opens an archive before the new data directory has a secret for them).
_derivations: threading.BoundedSemaphore | None = None
_derivations_made = threading.Lock()
DERIVATION_WAIT_SECONDS = 30.0


def _derivation_slots() -> threading.BoundedSemaphore:
    global _derivations
    with _derivations_made:
        if _derivations is None:
            _derivations = threading.BoundedSemaphore(max(1, int(getattr(settings, "DEFENSOR_KDF_CONCURRENCY", 2))))
        return _derivations


@dataclass(frozen=True)
class KdfParams:
    opslimit: int
    memlimit: int


def kdf_params() -> KdfParams:
    return KdfParams(opslimit=settings.DEFENSOR_KDF["opslimit"], memlimit=settings.DEFENSOR_KDF["memlimit"])


def derive_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id(password, salt) -> 32-byte key-encryption key."""
    slots = _derivation_slots()
    if not slots.acquire(timeout=DERIVATION_WAIT_SECONDS):
        raise KeyDerivationBusy()
    try:
        return bytes(
            nacl.pwhash.argon2id.kdf(
                KEY_SIZE, password.encode(), salt, opslimit=params.opslimit, memlimit=params.memlimit
            )
        )
    finally:
        slots.release()


# --- blind indexes --------------------------------------------------------------------------


def keyed_digest(key: bytes, purpose: str, value: str) -> str:
    """BLAKE2b keyed with the index key, personalised by purpose; 128 bits, hex."""
    return hashlib.blake2b(
        value.encode(), key=key, digest_size=16, person=purpose.encode()[:16].ljust(16, b"\0")
    ).hexdigest()


def derive_key_for(key: bytes, purpose: str) -> bytes:
    """A key of its own for ``purpose`` from ``key`` (BLAKE2b keyed, personalised): one key serves
    two uses (blind indexes, report facts) without one use's outputs telling anything of the other's."""
    return hashlib.blake2b(b"", key=key, digest_size=KEY_SIZE, person=purpose.encode()[:16].ljust(16, b"\0")).digest()


_AEAD_TAG = _b.crypto_aead_xchacha20poly1305_ietf_ABYTES


def decrypt_each(key: bytes, items: Iterable[tuple[bytes, bytes]]) -> list[bytes | None]:
    """``decrypt`` of many (ciphertext, aad) pairs under one key; None where one does not open
    (a report counts what opens and says how many did not, rather than failing as a whole).

    Calls libsodium through PyNaCl's own cffi module with one output buffer for all: PyNaCl's
    wrapper checks and allocates on every call, ten times the decryption itself for small rows
    (a report opens 100,000). The arguments are checked here instead."""
    if len(key) != KEY_SIZE:
        raise ValueError("a key is 32 bytes")
    ffi, lib = _sodium.ffi, _sodium.lib
    opened: list[bytes | None] = []
    length = ffi.new("unsigned long long *")
    size = 0
    buffer = ffi.NULL
    for ciphertext, aad in items:
        sealed = len(ciphertext) - 1 - NONCE_SIZE
        if ciphertext[:1] != FORMAT_VERSION or sealed < _AEAD_TAG:
            opened.append(None)
            continue
        if sealed > size:
            size = max(sealed, 256)
            buffer = ffi.new("unsigned char[]", size)
        failed = lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
            buffer, length, ffi.NULL, ciphertext[1 + NONCE_SIZE:], sealed, aad, len(aad),
            ciphertext[1:1 + NONCE_SIZE], key,
        )
        opened.append(None if failed else ffi.buffer(buffer, length[0])[:])
    return opened


# --- streams (attachments): encrypted chunk by chunk as they arrive ----------------------------

STREAM_HEADER_SIZE = _b.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_STREAM_ABYTES = _b.crypto_secretstream_xchacha20poly1305_ABYTES
_LENGTH_PREFIX = 4


class StreamEncryptor:
    """XChaCha20-Poly1305 secretstream: header, then length-prefixed encrypted chunks; the last
    chunk carries the FINAL tag, so truncation and reordering are detected."""

    def __init__(self, key: bytes) -> None:
        self._state = _b.crypto_secretstream_xchacha20poly1305_state()
        self.header = bytes(_b.crypto_secretstream_xchacha20poly1305_init_push(self._state, key))

    def push(self, chunk: bytes, *, final: bool = False) -> bytes:
        tag = (
            _b.crypto_secretstream_xchacha20poly1305_TAG_FINAL
            if final
            else _b.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
        )
        sealed = bytes(_b.crypto_secretstream_xchacha20poly1305_push(self._state, chunk, None, tag))
        return len(sealed).to_bytes(_LENGTH_PREFIX, "big") + sealed


def stream_decrypt(key: bytes, data: bytes) -> bytes:
    """Open a whole stream written by StreamEncryptor (header + chunks)."""
    if len(data) < STREAM_HEADER_SIZE:
        raise Tampered()
    state = _b.crypto_secretstream_xchacha20poly1305_state()
    try:
        _b.crypto_secretstream_xchacha20poly1305_init_pull(state, data[:STREAM_HEADER_SIZE], key)
        position, parts, final = STREAM_HEADER_SIZE, [], False
        while position < len(data):
            if final:
                raise Tampered()  # bytes after the final chunk
            length = int.from_bytes(data[position : position + _LENGTH_PREFIX], "big")
            position += _LENGTH_PREFIX
            chunk = data[position : position + length]
            if length < _STREAM_ABYTES or len(chunk) != length:
                raise Tampered()
            position += length
            message, tag = _b.crypto_secretstream_xchacha20poly1305_pull(state, chunk, None)
            parts.append(bytes(message))
            final = tag == _b.crypto_secretstream_xchacha20poly1305_TAG_FINAL
    except (nacl.exceptions.CryptoError, ValueError, TypeError, RuntimeError) as error:
        raise Tampered() from error
    if not final:
        raise Tampered()  # truncated
    return b"".join(parts)


class StreamDecryptor:
    """The pulling half of StreamEncryptor, one sealed chunk at a time (constant memory).

    ``pull`` takes a chunk as written by ``push`` without its length prefix and returns the
    plaintext and whether it was the FINAL chunk; any change, reordering or wrong key is ``Tampered``.
    """

    def __init__(self, key: bytes, header: bytes) -> None:
        if len(header) != STREAM_HEADER_SIZE:
            raise Tampered()
        self._state = _b.crypto_secretstream_xchacha20poly1305_state()
        try:
            _b.crypto_secretstream_xchacha20poly1305_init_pull(self._state, header, key)
        except (nacl.exceptions.CryptoError, ValueError, TypeError, RuntimeError) as error:
            raise Tampered() from error

    def pull(self, sealed: bytes) -> tuple[bytes, bool]:
        if len(sealed) < _STREAM_ABYTES:
            raise Tampered()
        try:
            message, tag = _b.crypto_secretstream_xchacha20poly1305_pull(self._state, sealed, None)
        except (nacl.exceptions.CryptoError, ValueError, TypeError, RuntimeError) as error:
            raise Tampered() from error
        return bytes(message), tag == _b.crypto_secretstream_xchacha20poly1305_TAG_FINAL


STREAM_LENGTH_PREFIX = _LENGTH_PREFIX
STREAM_ABYTES = _STREAM_ABYTES
