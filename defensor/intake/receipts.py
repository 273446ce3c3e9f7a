"""Receipt phrases: at least 80 random bits, as words in the person's language or as digits.

Shown once, never put in a URL, stored only as a keyed hash. A receipt of 80+ random bits needs
no slow hash: guessing one is out of reach, and a slow hash would cost every submission a
second of CPU under a flood (docs/security.md).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import cache
from pathlib import Path

from shamir_mnemonic.wordlist import WORDLIST as ENGLISH_WORDS

from defensor.core.secrets import derived_key
from defensor.keys import crypto

WORDS_RU_FILE = Path(__file__).resolve().parent / "data" / "words_ru.txt"
WORD_COUNT = 8  # 8 words from 1024 = 80 bits
DIGIT_GROUPS = 5  # 5 groups of 5 digits = 83 bits
DIGITS_PER_GROUP = 5


@cache
def russian_words() -> tuple[str, ...]:
    words = tuple(w.strip() for w in WORDS_RU_FILE.read_text(encoding="utf-8").splitlines() if w.strip())
    if len(words) != 1024 or len(set(words)) != 1024:
        raise RuntimeError(f"{WORDS_RU_FILE} must hold 1024 distinct words")
    return words


def english_words() -> tuple[str, ...]:
    return tuple(ENGLISH_WORDS)


SEED_BYTES = 11  # 88 random bits: 8 words use 80 of them, 25 digits about 83


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def seed_for_visit(visit: str, visitor_part: bytes) -> bytes:
    """The seed of a web form's receipt: a server key's hash of the visit and the random part the
    form state holds. The visitor can forge the state but not choose the receipt (it needs the
    key); a copy of the server cannot compute it (the random part lived only in the page); the same
    form sent twice gives the same receipt."""
    return hashlib.blake2b(
        visit.encode() + b"|" + visitor_part, key=derived_key("intake.receipt-seed.v1"), digest_size=SEED_BYTES,
        person=b"defensor-receipt",
    ).digest()


def from_seed(seed: bytes, *, language: str, digits: bool = False) -> str:
    """The receipt a seed stands for, as words of the person's language or as digits."""
    number = int.from_bytes(seed, "big")
    if digits:
        text = f"{number % 10 ** (DIGIT_GROUPS * DIGITS_PER_GROUP):0{DIGIT_GROUPS * DIGITS_PER_GROUP}d}"
        return " ".join(text[i : i + DIGITS_PER_GROUP] for i in range(0, len(text), DIGITS_PER_GROUP))
    words = russian_words() if language.startswith("ru") else english_words()
    return " ".join(words[(number >> (10 * i)) & 0x3FF] for i in range(WORD_COUNT))


def normalise(receipt: str) -> str:
    """The canonical form typed receipts are compared in: case, ё/й, spacing and dashes ignored."""
    text = receipt.strip().lower().replace("ё", "е").replace("й", "и")
    if not re.search(r"[a-zа-я]", text):
        return re.sub(r"\D", "", text)
    return " ".join(re.findall(r"[a-zа-я]+", text))


def digest(receipt: str) -> str:
    """What the database keeps to find the submission: a keyed hash, useless without the key."""
    return crypto.keyed_digest(derived_key("intake.receipt.v1"), "receipt-lookup", normalise(receipt))


def reply_key(receipt: str) -> bytes:
    """The key that encrypts the team's replies for the receipt holder (derived, never stored)."""
    return hashlib.blake2b(normalise(receipt).encode(), digest_size=32, person=b"defensor-replies").digest()


def looks_complete(receipt: str) -> bool:
    normalised = normalise(receipt)
    if normalised.isdigit():
        return len(normalised) == DIGIT_GROUPS * DIGITS_PER_GROUP
    return len(normalised.split()) == WORD_COUNT
