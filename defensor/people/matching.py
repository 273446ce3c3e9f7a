"""Is a new request from someone the team already knows? Pure functions over identities in the
clear: no database, no keys. ``selectors.match_candidates`` finds the candidates through the
blind indexes and decrypts those the acting user may read.

The score adds evidence that two records are the same person and subtracts evidence that they
are not (a different first name, patronymic or date of birth), in the spirit of Fellegi–Sunter
record linkage, with weights set by hand and checked on synthetic data by bench/dedupe.py. A
shared phone alone is enough to suggest; relatives who share a phone and a surname are held
back by their different first names and dates of birth.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import phonenumbers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rapidfuzz.distance import OSA

from defensor.keys.blind import (
    SURNAME_PREFIX_LENGTH,
    normalise_birth_date,
    normalise_handle,
    normalise_surname,
    normalise_unit,
    surname_spellings,
)

# At or above this, a candidate is suggested to the triager as a possible duplicate.
SUGGEST_THRESHOLD = 0.5

SAME_PHONE = "same_phone"
SAME_HANDLE = "same_handle"
SAME_SURNAME = "same_surname"
SAME_SURNAME_TRANSLITERATED = "same_surname_transliterated"
CLOSE_SURNAME = "close_surname"
SAME_FIRST_NAME = "same_first_name"
CLOSE_FIRST_NAME = "close_first_name"
SAME_PATRONYMIC = "same_patronymic"
SAME_BIRTH_DATE = "same_birth_date"
CLOSE_BIRTH_DATE = "close_birth_date"
SAME_UNIT = "same_unit"

REASON_LABELS: dict[str, Promise] = {
    SAME_PHONE: _("Same phone number"),
    SAME_HANDLE: _("Same messenger account or e-mail"),
    SAME_SURNAME: _("Same surname"),
    SAME_SURNAME_TRANSLITERATED: _("Same surname, written in another alphabet"),
    CLOSE_SURNAME: _("Similar surname (a typo?)"),
    SAME_FIRST_NAME: _("Same first name"),
    CLOSE_FIRST_NAME: _("Similar first name (a typo?)"),
    SAME_PATRONYMIC: _("Same patronymic"),
    SAME_BIRTH_DATE: _("Same date of birth"),
    CLOSE_BIRTH_DATE: _("Date of birth one digit off, or day and month swapped"),
    SAME_UNIT: _("Same military unit"),
}

KAZAKHSTAN = "kazakhstan"
INVALID = "invalid"

PHONE_FLAG_LABELS: dict[str, Promise] = {
    KAZAKHSTAN: _("Kazakhstan number"),
    INVALID: _("Not a possible phone number"),
}

# Reasons in one group are the same evidence seen more or less sharply: only the strongest counts.
_GROUPS: list[dict[str, float]] = [
    {SAME_PHONE: 0.55, SAME_HANDLE: 0.55},
    {SAME_SURNAME: 0.25, SAME_SURNAME_TRANSLITERATED: 0.25, CLOSE_SURNAME: 0.15},
    {SAME_FIRST_NAME: 0.15, CLOSE_FIRST_NAME: 0.1},
    # As telling as a first name among strangers, but brothers and sisters share it.
    {SAME_PATRONYMIC: 0.1},
    {SAME_BIRTH_DATE: 0.3, CLOSE_BIRTH_DATE: 0.15},
    {SAME_UNIT: 0.1},  # a whole unit may write in: weak on its own
]
REASON_ORDER = [reason for group in _GROUPS for reason in group]
_WEIGHTS = {reason: weight for group in _GROUPS for reason, weight in group.items()}

# One digit off is a weaker "close date of birth" than day and month swapped: some 45 dates are
# one digit away from any date, so among thousands of namesakes one of them often is.
_ONE_DIGIT_OFF = 0.08

# Disagreement, when both records hold the value. A different first name weighs most: a family
# shares a phone, a surname and (brothers and sisters) a patronymic, so those agreeing say "same
# family" more than "same person". A different unit weighs least: people are transferred.
# A surname in Latin letters that meets no Cyrillic one is not held against a candidate: people
# spell their names in Latin letters in more ways than any table lists.
_DIFFERENT_SURNAME = 0.15
_DIFFERENT_FIRST_NAME = 0.45
_DIFFERENT_PATRONYMIC = 0.3
_DIFFERENT_BIRTH_DATE = 0.25
_DIFFERENT_UNIT = 0.07

# What decrypting a candidate can add to what its blind indexes proved: the first name and the
# patronymic, and a close surname or date of birth that no index matched exactly.
MAX_UNPROVEN_GAIN = {
    "names": _WEIGHTS[SAME_FIRST_NAME] + _WEIGHTS[SAME_PATRONYMIC],
    "surname": _WEIGHTS[CLOSE_SURNAME],
    "birth_date": _WEIGHTS[CLOSE_BIRTH_DATE],
}


@dataclass(frozen=True)
class Identity:
    """Who someone says they are, as written. ``phones`` and ``handles`` are raw values."""

    full_name: str | None = None
    surname: str | None = None
    birth_date: str | None = None
    unit: str | None = None
    phones: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return "<Identity>"  # never personal data in a log line or a traceback


def identity_of(values: Mapping[str, str | None], contacts: Iterable[str]) -> Identity:
    """The identity of a record (or of a request) for matching: its fields and every way to reach
    it. Phones and accounts are told apart by their normalised form, not by the kind they were
    filed under, so they all go in ``handles``."""
    return Identity(
        full_name=values.get("full_name"), surname=values.get("surname"), birth_date=values.get("birth_date"),
        unit=values.get("unit"), handles=tuple(c for c in contacts if c),
    )


@dataclass(frozen=True)
class Match:
    score: float
    reasons: tuple[str, ...]


# --- normalised parts ---------------------------------------------------------------------------

_PATRONYMIC_ENDINGS = ("ovich", "evich", "ich", "ovna", "evna", "ichna", "inichna", "ogly", "kyzy")
_TOKEN_SPLIT = re.compile(r"[\s,;]+")

# Everyday forms of common first names, so "Саша" and "Александр" agree instead of disagreeing.
_DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "саша": ("александр", "александра"), "шура": ("александр", "александра"), "женя": ("евгений", "евгения"),
    "валя": ("валентин", "валентина"), "дима": ("дмитрий",), "миша": ("михаил",), "леша": ("алексей",),
    "алеша": ("алексей",), "сережа": ("сергей",), "коля": ("николай",), "ваня": ("иван",), "петя": ("петр",),
    "паша": ("павел",), "витя": ("виктор",), "вова": ("владимир",), "володя": ("владимир",),
    "костя": ("константин",), "толя": ("анатолий",), "юра": ("юрий",), "гоша": ("георгий",),
    "жора": ("георгий",), "андрюша": ("андрей",), "слава": ("вячеслав", "владислав", "ярослав"),
    "влад": ("владислав",), "макс": ("максим",), "рома": ("роман",), "стас": ("станислав",),
    "гриша": ("григорий",), "леня": ("леонид",), "боря": ("борис",), "федя": ("федор",),
    "таня": ("татьяна",), "наташа": ("наталья", "наталия"), "лена": ("елена",), "оля": ("ольга",),
    "катя": ("екатерина",), "маша": ("мария",), "света": ("светлана",), "аня": ("анна",),
    "настя": ("анастасия",), "даша": ("дарья",), "галя": ("галина",), "люда": ("людмила",),
    "ира": ("ирина",), "надя": ("надежда",), "люба": ("любовь",), "юля": ("юлия",), "вика": ("виктория",),
    "ксюша": ("ксения",), "нина": ("нина",), "тома": ("тамара",),
}


def _tokens(text: str | None) -> list[str]:
    if not text:
        return []
    return [t for t in _TOKEN_SPLIT.split(unicodedata.normalize("NFKC", text).strip()) if t]


def _is_patronymic(token: str) -> bool:
    skeleton = normalise_surname(token) or ""
    return len(skeleton) > 4 and skeleton.endswith(_PATRONYMIC_ENDINGS)


def _name_close(a: str, b: str) -> bool:
    """One typo (changed, dropped, added or swapped letter), two in a long name (a Latin spelling
    of щ or ж is longer than one letter); none in a name of three letters or fewer."""
    if max(len(a), len(b)) <= 3:
        return a == b
    allowed = 1 if min(len(a), len(b)) <= 8 else 2
    return OSA.distance(a, b, score_cutoff=allowed + 1) <= allowed


def _surname_candidates(identity: Identity) -> list[str]:
    """The surname as given, or, without one, every name in the full name that could be it."""
    if identity.surname and identity.surname.strip():
        return [identity.surname]
    return [t for t in _tokens(identity.full_name) if not _is_patronymic(t)]


def _patronymic(identity: Identity) -> str | None:
    surname = normalise_surname(identity.surname) if identity.surname else None
    for token in _tokens(identity.full_name):
        if _is_patronymic(token) and normalise_surname(token) != surname:
            return token
    return None


def _first_name(identity: Identity) -> str | None:
    """The given name: what is left of the full name without the surname and the patronymic.
    Unknown (None) when there is no surname to tell it apart from."""
    if not (identity.surname and identity.surname.strip()):
        tokens = _tokens(identity.full_name)
        # "Фамилия Имя Отчество", the order of Russian documents, is the one unambiguous case.
        if len(tokens) == 3 and _is_patronymic(tokens[2]):
            return tokens[1]
        return None
    surname = normalise_surname(identity.surname) or ""
    for token in _tokens(identity.full_name):
        skeleton = normalise_surname(token) or ""
        if not skeleton or _is_patronymic(token) or skeleton == surname or _name_close(skeleton, surname):
            continue
        return token
    return None


def _first_name_forms(name: str) -> set[str]:
    folded = name.casefold().replace("ё", "е")
    forms = {folded, *_DIMINUTIVES.get(folded, ())}
    return {s for s in (normalise_surname(f) for f in forms) if s}


def _parse_date(raw: str | None) -> date | None:
    if not raw:
        return None
    text = raw.strip()
    iso = normalise_birth_date(text)
    if iso is not None:
        return date.fromisoformat(iso)
    # As people write it by hand: 05.04.1990
    found = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})", text)
    if found is None:
        return None
    try:
        return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        return None


def _swapped(day: date) -> date | None:
    if day.day > 12 or day.day == day.month:
        return None
    return date(day.year, day.day, day.month)


def _digits(day: date) -> str:
    """YYYYMMDD, the year always four digits (strftime writes the year 994 as "994")."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _one_digit_off(day: date) -> set[date]:
    """Every real date one digit away from ``day`` as written YYYYMMDD (years 1900-2099)."""
    digits = _digits(day)
    found = set()
    for position, current in enumerate(digits):
        for digit in "0123456789":
            if digit == current:
                continue
            text = digits[:position] + digit + digits[position + 1:]
            try:
                other = date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                continue
            if 1900 <= other.year <= 2099:
                found.add(other)
    return found


def close_birth_dates(day: date) -> set[date]:
    """The dates a slip of the pen turns ``day`` into: day and month swapped, or one digit off."""
    swapped = _swapped(day)
    return _one_digit_off(day) | ({swapped} if swapped else set())


def _contacts(identity: Identity) -> set[str]:
    return {n for n in (normalise_handle(raw) for raw in (*identity.phones, *identity.handles)) if n}


def is_phone(normalised_handle: str) -> bool:
    return normalised_handle.startswith("+") and normalised_handle[1:].isdigit()


def _script(text: str) -> str:
    letters = [ch for ch in text if ch.isalpha()]
    if any("CYRILLIC" in unicodedata.name(ch, "") for ch in letters):
        return "cyrillic"
    return "latin" if letters else ""


# --- search terms (what the blind indexes are asked) -----------------------------------------------


def search_terms(identity: Identity) -> dict[str, set[str]]:
    """Normalised values to look up, per blind-index field (the index field name is its purpose).

    The date of birth is also looked up with the usual slips (day and month swapped, one digit
    off): a hit on one of those proves a close date of birth.
    """
    surnames = {spelling for raw in _surname_candidates(identity) for spelling in surname_spellings(raw)}
    prefixes = {spelling[:SURNAME_PREFIX_LENGTH] for spelling in surnames}
    born = _parse_date(identity.birth_date)
    dates: set[str] = set()
    if born is not None:
        dates = {born.isoformat(), *(close.isoformat() for close in close_birth_dates(born))}
    unit = normalise_unit(identity.unit) if identity.unit else None
    return {
        "surname_index": surnames,
        "surname_prefix_index": prefixes,
        "birth_date_index": dates,
        "unit_index": {unit} if unit else set(),
        "value_index": _contacts(identity),
    }


def index_reason(identity: Identity, purpose: str, term: str) -> str | None:
    """What a blind-index hit on ``term`` (from ``search_terms(identity)``) proves on its own.

    A surname prefix proves nothing by itself (it only finds candidates worth decrypting).
    """
    if purpose == "value_index":
        return SAME_PHONE if is_phone(term) else SAME_HANDLE
    if purpose == "surname_index":
        return SAME_SURNAME
    if purpose == "birth_date_index":
        born = _parse_date(identity.birth_date)
        return SAME_BIRTH_DATE if born is not None and term == born.isoformat() else CLOSE_BIRTH_DATE
    if purpose == "unit_index":
        return SAME_UNIT
    return None


def score_reasons(reasons: Iterable[str]) -> float:
    """The evidence of these reasons: the strongest of each group, added up, at most 1."""
    found = set(reasons)
    total = sum(max((weight for reason, weight in group.items() if reason in found), default=0.0)
                for group in _GROUPS)
    return round(min(total, 1.0), 3)


def ordered(reasons: Iterable[str]) -> tuple[str, ...]:
    found = set(reasons)
    return tuple(reason for reason in REASON_ORDER if reason in found)


# --- scoring two identities ---------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class _Surname:
    skeleton: str
    spellings: frozenset[str]
    folded: str
    script: str


@dataclass(frozen=True, repr=False)
class _Features:
    """An identity's parts, normalised once (a new identity is compared with many candidates)."""

    surnames: tuple[_Surname, ...]
    surname_given: bool
    first_names: frozenset[str]  # skeletons of the given name and its full forms; empty: unknown
    first_folded: str  # as written, case-folded (a Cyrillic typo is one letter here, maybe more in Latin)
    patronymic: str | None  # case-folded
    born: date | None
    unit: str | None
    contacts: frozenset[str]


def _features(identity: Identity) -> _Features:
    surnames = []
    for raw in _surname_candidates(identity):
        skeleton = normalise_surname(raw)
        if skeleton:
            folded = raw.casefold().replace("ё", "е")
            surnames.append(_Surname(skeleton, frozenset(surname_spellings(raw)), folded, _script(raw)))
    first = _first_name(identity)
    return _Features(
        surnames=tuple(surnames),
        surname_given=bool(identity.surname and identity.surname.strip()),
        first_names=frozenset(_first_name_forms(first)) if first else frozenset(),
        first_folded=first.casefold().replace("ё", "е") if first else "",
        patronymic=(_patronymic(identity) or "").casefold().replace("ё", "е") or None,
        born=_parse_date(identity.birth_date),
        unit=normalise_unit(identity.unit) if identity.unit else None,
        contacts=frozenset(_contacts(identity)),
    )


def _surname_verdict(new: _Features, candidate: _Features) -> str | None:
    """A surname reason, "different", or None when one side has no surname to compare."""
    best: str | None = None
    across_scripts = False
    for a in new.surnames:
        for b in candidate.surnames:
            if a.spellings & b.spellings:
                scripts = {a.script, b.script}
                return SAME_SURNAME_TRANSLITERATED if scripts == {"cyrillic", "latin"} else SAME_SURNAME
            same_script = a.script == b.script
            if _name_close(a.skeleton, b.skeleton) or (same_script and _name_close(a.folded, b.folded)):
                best = CLOSE_SURNAME
            elif best is None:
                best = "different"
                across_scripts = not same_script
    # Without a surname field, a full name's other words are not evidence of a different surname;
    # nor is a Latin spelling we cannot tell from a typo.
    if best == "different" and (across_scripts or not (new.surname_given and candidate.surname_given)):
        return None
    return best


def _first_name_verdict(new: _Features, candidate: _Features) -> str | None:
    if not new.first_names or not candidate.first_names:
        return None
    if new.first_names & candidate.first_names:
        return SAME_FIRST_NAME
    if _name_close(new.first_folded, candidate.first_folded) or any(
        _name_close(a, b) for a in new.first_names for b in candidate.first_names
    ):
        return CLOSE_FIRST_NAME
    return "different"


def _birth_date_verdict(new: _Features, candidate: _Features) -> str | None:
    """SAME_BIRTH_DATE, "swapped", "digit" (one digit off), "different", or None (unknown)."""
    a, b = new.born, candidate.born
    if a is None or b is None:
        return None
    if a == b:
        return SAME_BIRTH_DATE
    if _swapped(a) == b:
        return "swapped"
    digits_a, digits_b = _digits(a), _digits(b)
    if sum(x != y for x, y in zip(digits_a, digits_b, strict=True)) == 1:
        return "digit"
    return "different"


def _score(new: _Features, candidate: _Features) -> Match:
    reasons: list[str] = []
    total = 0.0

    def agree(reason: str, weight: float | None = None) -> None:
        nonlocal total
        reasons.append(reason)
        total += weight if weight is not None else _WEIGHTS[reason]

    common = new.contacts & candidate.contacts
    phone, other = any(is_phone(v) for v in common), any(not is_phone(v) for v in common)
    if phone or other:
        agree(SAME_PHONE if phone else SAME_HANDLE)  # one piece of evidence, however many accounts
        if phone and other:
            reasons.append(SAME_HANDLE)

    surname = _surname_verdict(new, candidate)
    if surname == "different":
        total -= _DIFFERENT_SURNAME
    elif surname is not None:
        agree(surname)

    first_name = _first_name_verdict(new, candidate)
    if first_name == "different":
        total -= _DIFFERENT_FIRST_NAME
    elif first_name is not None:
        agree(first_name)

    if new.patronymic and candidate.patronymic:
        if _name_close(new.patronymic, candidate.patronymic):
            agree(SAME_PATRONYMIC)
        else:
            total -= _DIFFERENT_PATRONYMIC  # a namesake

    birth_date = _birth_date_verdict(new, candidate)
    if birth_date == "different":
        total -= _DIFFERENT_BIRTH_DATE
    elif birth_date == "digit":
        agree(CLOSE_BIRTH_DATE, _ONE_DIGIT_OFF)
    elif birth_date == "swapped":
        agree(CLOSE_BIRTH_DATE)
    elif birth_date is not None:
        agree(birth_date)

    if new.unit is not None and candidate.unit is not None:
        if new.unit == candidate.unit:
            agree(SAME_UNIT)
        else:
            total -= _DIFFERENT_UNIT

    return Match(score=round(min(max(total, 0.0), 1.0), 3), reasons=ordered(reasons))


def score(new: Identity, candidate: Identity) -> Match:
    """How likely ``candidate`` is the person ``new`` describes (0..1), and why."""
    return _score(_features(new), _features(candidate))


def scorer(new: Identity) -> Callable[[Identity], Match]:
    """``score`` for one new identity against many candidates, the new one read only once."""
    mine = _features(new)
    return lambda candidate: _score(mine, _features(candidate))


# --- phone numbers worth a second look ----------------------------------------------------------------


def phone_flags(raw: str) -> set[str]:
    """{"kazakhstan"} for a +7 number of Kazakhstan's plan (6xx/7xx), {"invalid"} for a number
    that cannot exist; empty for an ordinary one."""
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        return {INVALID}
    if not phonenumbers.is_possible_number(number):
        return {INVALID}
    if phonenumbers.region_code_for_number(number) == "KZ":
        return {KAZAKHSTAN}
    # Kazakhstan shares +7; ranges phonenumbers does not yet list as allocated are still not Russian.
    if number.country_code == 7 and str(number.national_number)[:1] in {"6", "7"}:
        return {KAZAKHSTAN}
    return set()
