"""Blind indexes: keyed digests of normalised values, for exact-match search and de-duplication.

The index key is a KeyMaterial like any other, so only an unlocked staff session can compute
an index: a copy of the database cannot be used to test whether a known phone number is there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

import phonenumbers

from defensor.keys import crypto
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyKind

# Russian passport-style (ICAO 9303 / GOST 52535.1) transliteration, so "Иванов" and "Ivanov" meet.
_CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "і": "i", "ї": "i", "є": "ie", "ґ": "g",
}
# Common alternative Latin spellings folded to one form after transliteration.
_LATIN_FOLDS = [("yu", "iu"), ("ya", "ia"), ("yo", "e"), ("ye", "e"), ("kh", "h"), ("ck", "k"),
                ("x", "ks"), ("w", "v"), ("j", "i"), ("y", "i")]


def normalise_phone(raw: str, default_region: str = "RU") -> str | None:
    """E.164 (+79161234567), or None if it is not a possible number."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_surname(raw: str) -> str | None:
    """Lower-case Latin skeleton of a surname, the same for Cyrillic and common Latin spellings."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    text = "".join(_CYRILLIC_TO_LATIN.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if ch.isascii() and ch.isalpha())
    for variant, canonical in _LATIN_FOLDS:
        text = text.replace(variant, canonical)
    text = re.sub(r"(.)\1+", r"\1", text)  # doubled letters: Vasilyev / Vassiliev
    return text or None


def normalise_birth_date(value: date | str) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


# "ц" is written "ts" in passports and "c" in many other spellings ("Sinicin", "Zaicev").
_TSE_AS_C = re.compile(r"c(?!h)")


def surname_spellings(raw: str) -> set[str]:
    """Every skeleton under which this surname may have been filed: its own, and the one with
    "ц" spelt the other way ("ts" or "c"). The stored index holds each record's own skeleton, so a
    search asks for all of them; the normaliser itself is unchanged, and stored indexes stay valid."""
    skeleton = normalise_surname(raw)
    if skeleton is None:
        return set()
    return {skeleton, _TSE_AS_C.sub("ts", skeleton), skeleton.replace("ts", "c")}


SURNAME_PREFIX_LENGTH = 3


def normalise_surname_prefix(raw: str) -> str | None:
    """The first letters of the surname skeleton: a block that still meets a typo later in the word."""
    skeleton = normalise_surname(raw)
    return skeleton[:SURNAME_PREFIX_LENGTH] if skeleton else None


def normalise_unit(raw: str) -> str | None:
    """The number of a military unit however it is written ("в/ч 12345", "вч12345", "12345").

    The longest run of digits, so a battalion or company number written alongside does not count.
    """
    runs = re.findall(r"\d+", unicodedata.normalize("NFKC", raw))
    return max(runs, key=len) if runs else None


_TELEGRAM_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/")


def normalise_handle(raw: str) -> str | None:
    """A phone number (also a Signal/WhatsApp/Telegram one) as E.164; any other handle case-folded,
    without spaces, a leading "@" or a t.me link, so "@Ivan_P" and "ivan_p" meet."""
    text = unicodedata.normalize("NFKC", raw).strip()
    # Letters mean it is not a phone number, even if it holds enough digits to parse as one
    # (an e-mail address such as ivan1234567890@mail.ru).
    if text and not any(ch.isalpha() for ch in text):
        phone = normalise_phone(text)
        if phone is not None:
            return phone
    folded = "".join(text.casefold().split())
    folded = _TELEGRAM_LINK.sub("", folded).lstrip("@")
    return folded or None


NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "phone": normalise_phone,
    "surname": normalise_surname,
    "surname_prefix": normalise_surname_prefix,
    "birth_date": normalise_birth_date,
    "unit": normalise_unit,
    "handle": normalise_handle,
}


def blind_index(keyring: KeyRing, organisation_id: int, purpose: str, normalised: str) -> str:
    _, key = keyring.current(organisation_id, KeyKind.INDEX)
    return crypto.keyed_digest(key, purpose, normalised)


def index_with_key(key: bytes, purpose: str, normalised: str) -> str:
    return crypto.keyed_digest(key, purpose, normalised)
