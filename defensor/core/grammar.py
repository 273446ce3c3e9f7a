"""Russian as court documents write it: a person's name in any grammatical case, initials,
dates (1 мая 2022 г. in running text, «01» мая 2022 г. where a form's header wants it) and sums
of money in words.

Names are in the order court documents use, «Фамилия Имя Отчество». Each part is declined by
pytrovich (the petrovich rules), with the few corrections in ``_corrected`` where those rules
are wrong for names a court meets. No library is always right, so the lawyer's own text for a
case form (``overrides``) always wins. Nothing here logs a name or puts one in an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache

from pytrovich import Case, NamePart, PetrovichDeclinationMaker, PetrovichGenderDetector
from pytrovich import Gender as PetrovichGender


class GrammaticalCase(StrEnum):
    NOMINATIVE = "nominative"
    GENITIVE = "genitive"
    DATIVE = "dative"
    ACCUSATIVE = "accusative"
    INSTRUMENTAL = "instrumental"
    PREPOSITIONAL = "prepositional"


# The forms of a name documents print besides the nominative, in the order grammars list them
# (the person page lets the lawyer correct each of them).
NAME_FORM_CASES = (GrammaticalCase.GENITIVE, GrammaticalCase.DATIVE, GrammaticalCase.ACCUSATIVE,
                   GrammaticalCase.INSTRUMENTAL, GrammaticalCase.PREPOSITIONAL)


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


_PETROVICH_CASE = {
    GrammaticalCase.NOMINATIVE: Case.NOMINATIVE,
    GrammaticalCase.GENITIVE: Case.GENITIVE,
    GrammaticalCase.DATIVE: Case.DATIVE,
    GrammaticalCase.ACCUSATIVE: Case.ACCUSATIVE,
    GrammaticalCase.INSTRUMENTAL: Case.INSTRUMENTAL,
    GrammaticalCase.PREPOSITIONAL: Case.PREPOSITIONAL,
}

# Azerbaijani, Kazakh, Kyrgyz and Uzbek patronymics are two words, «Рашид оглы», «Лутфияр кызы»:
# the particle names the gender, and the patronymic is not declined.
_TURKIC_MALE = ("оглы", "улы", "уулу", "углы", "угли")
_TURKIC_FEMALE = ("кызы", "кизи", "гызы", "кзы")
_MALE_PATRONYMIC = ("ич", *_TURKIC_MALE)  # Иванович, Ильич, Кузьмич
_FEMALE_PATRONYMIC = ("вна", "чна", *_TURKIC_FEMALE)  # Ивановна, Ильинична, Саввична

# Hyphen look-alikes a lawyer may type inside a double name («Римский–Корсаков»).
_HYPHENS = re.compile(r"\s*[-‐‑‒–—]\s*")


@dataclass(frozen=True)
class FullName:
    surname: str
    first_name: str = ""
    patronymic: str = ""

    @property
    def turkic_patronymic(self) -> bool:
        return self.patronymic.lower().endswith(_TURKIC_MALE + _TURKIC_FEMALE)


def normalise(full_name: str) -> str:
    """Single spaces between words and bare hyphens in double names."""
    return " ".join(_HYPHENS.sub("-", full_name).split()).strip("-")


def split_full_name(full_name: str) -> FullName:
    """«Фамилия Имя Отчество»: one word is a surname, two are a surname and a first name, and
    everything after the first name is the patronymic («Рашид оглы»)."""
    words = normalise(full_name).split()
    if not words:
        raise ValueError("a name is needed")
    return FullName(
        surname=words[0],
        first_name=words[1] if len(words) > 1 else "",
        patronymic=" ".join(words[2:]),
    )


# --- gender ---------------------------------------------------------------------------------


@cache
def _detector() -> PetrovichGenderDetector:
    return PetrovichGenderDetector()


def _detected(part: str, word: str) -> Gender:
    # One part at a time: pytrovich logs a warning (with the name) when parts it is given disagree.
    found = _detector().detect(**{part: word.lower()})  # type: ignore[no-untyped-call]
    return {PetrovichGender.MALE: Gender.MALE, PetrovichGender.FEMALE: Gender.FEMALE}.get(found, Gender.UNKNOWN)


def name_gender(name: FullName) -> Gender:
    """From the patronymic, which always shows it; else from the first name (Анна, Виктор), then
    from the surname (Иванова Саша); else unknown."""
    patronymic = name.patronymic.lower()
    if patronymic.endswith(_MALE_PATRONYMIC):
        return Gender.MALE
    if patronymic.endswith(_FEMALE_PATRONYMIC):
        return Gender.FEMALE
    for part, word in (("firstname", name.first_name), ("lastname", name.surname)):
        if word and (gender := _detected(part, word)) is not Gender.UNKNOWN:
            return gender
    return Gender.UNKNOWN


def detect_gender(full_name: str) -> Gender:
    return name_gender(split_full_name(full_name))


def recorded_gender(code: str | None) -> Gender | None:
    """The gender a person record states ("m" / "f"), which wins over any guess from the name;
    None where the record leaves it to the name."""
    return {"m": Gender.MALE, "f": Gender.FEMALE}.get(code or "")


# --- declension -----------------------------------------------------------------------------


@cache
def _maker() -> PetrovichDeclinationMaker:
    return PetrovichDeclinationMaker()


@dataclass(frozen=True)
class _Endings:
    """A declension written out: ``cut`` letters off the end, then the case's ending."""

    cut: int
    genitive: str
    dative: str
    accusative: str
    instrumental: str
    prepositional: str

    def apply(self, word: str, case: GrammaticalCase) -> str:
        stem = word[: len(word) - self.cut]
        return stem + str(getattr(self, case.value))


_REGULAR_HARD = _Endings(0, "а", "у", "а", "ом", "е")

# Surnames whose -ец keeps its е (кузнец, кузнеца): pytrovich drops it for every -нец (Кузнца).
_SURNAMES_KEEPING_EC = frozenset({"кузнец", "жнец", "чернец"})


def _corrected(part: NamePart, word: str, gender: Gender, case: GrammaticalCase) -> str | None:
    """Where pytrovich's rules are wrong (``word`` is lower case and has no hyphen):

    - surnames Кузнец, Жнец, Чернец keep the е: Кузнеца, Кузнецом (not Кузнца);
    - men's first names in -ия decline as every noun in -ия does, dative and prepositional
      in -ии: пророку Захарии, Иеремии (pytrovich: Захарие);
    - men's first names in -ек keep the е: Ирек, Ирека; Марек, Мареком (pytrovich: Ирька, the
      rule for diminutives such as Санёк); names in -бек (Айбек, Айбека) were already right;
    - men's first names in -ц (Франц, Фриц) are stressed on the stem, so the instrumental is
      -цем, as after ц unstressed о is written е: Францем (pytrovich: Францом). Names in -ец are
      left to pytrovich (whether the е drops out depends on the name: verify with counsel);
    - women's first names in -жа, -ша, -ча, -ща have the unstressed -ей in the instrumental, as
      Маша, Машей does: Гульжой → Гульжей (a name stressed on the ending is rare: verify).
    """
    if gender is Gender.FEMALE:
        if part is NamePart.FIRSTNAME and case is GrammaticalCase.INSTRUMENTAL and len(word) > 2 \
                and word[-1] == "а" and word[-2] in "жшчщ":
            return word[:-1] + "ей"
        return None
    if part is NamePart.LASTNAME and word in _SURNAMES_KEEPING_EC:
        return _REGULAR_HARD.apply(word, case)
    if part is NamePart.FIRSTNAME and len(word) > 3 and word.endswith("ия"):
        return _Endings(1, "и", "и", "ю", "ей", "и").apply(word, case)
    if part is NamePart.FIRSTNAME and word.endswith("ек") and not word.endswith("бек"):
        return _REGULAR_HARD.apply(word, case)
    if part is NamePart.FIRSTNAME and len(word) > 2 and word.endswith("ц") \
            and not word.endswith("ец"):
        return _Endings(0, "а", "у", "а", "ем", "е").apply(word, case)
    return None


# Russian spelling: after г, к, х and the hushing ж, ш, ч, щ the ending is written и, not ы
# (Ходжи, not Ходжы); after ж, ш, ч, щ it is а and у, not я and ю.
_AFTER_VELAR_OR_HUSHING = {"ы": "и"}
_AFTER_HUSHING = {"ы": "и", "я": "а", "ю": "у"}


def _spelled(word: str, declined: str) -> str:
    """``declined`` (lower case) with the ending after ``word``'s stem written as spelling
    requires, whatever rule produced it."""
    stem = 0
    while stem < min(len(word), len(declined)) and word[stem] == declined[stem]:
        stem += 1
    if not 0 < stem < len(declined):
        return declined
    before, first = declined[stem - 1], declined[stem]
    rules = _AFTER_HUSHING if before in "жшчщ" else _AFTER_VELAR_OR_HUSHING if before in "гкх" else {}
    return declined[:stem] + rules.get(first, first) + declined[stem + 1:]


def _in_case_of(template: str, declined: str) -> str:
    """``declined`` (lower case) written as ``template`` was: ИВАНОВ → ИВАНОВА, Пётр → Петра."""
    if template.isupper():
        return declined.upper()
    return "".join(
        letter.upper() if index < len(template) and template[index].isupper() else letter
        for index, letter in enumerate(declined)
    )


def _decline_piece(part: NamePart, piece: str, gender: Gender, case: GrammaticalCase, *, last: bool) -> str:
    word = piece.lower()
    if not word or case is GrammaticalCase.NOMINATIVE:
        return piece
    declined = _corrected(part, word, gender, case)
    if declined is None:
        # As petrovich does, the gender is "known" only for the last part of a double name: the
        # first part then falls through to the rules for either gender (Бонч in Бонч-Бруевич).
        # An unknown gender is pytrovich's androgynous pass (rules for men and for either).
        petrovich_gender = {Gender.MALE: PetrovichGender.MALE, Gender.FEMALE: PetrovichGender.FEMALE}.get(
            gender, PetrovichGender.ANDROGYNOUS
        )
        known = last and gender is not Gender.UNKNOWN
        declined = _maker().make(part, petrovich_gender, _PETROVICH_CASE[case], word, known_gender=known)
    return _in_case_of(piece, _spelled(word, declined))


def _declines_whole(part: NamePart, piece: str, gender: Gender, *, last: bool) -> bool:
    """Whether a part of a double name declines. Surnames and patronymics: every part, each by
    its own rule (Римского-Корсакова). First names: the last part; a part before it only where it
    is a woman's name in -а, -я (Анны-Марии). A man's compound name declines in its last part
    only: Абдул-Азиза, Жан-Поля, and Мухаммад-Али not at all, its last part not declining (verify
    with counsel; the lawyer's own forms on the person page win)."""
    if last or part is not NamePart.FIRSTNAME:
        return True
    return gender is not Gender.MALE and piece.lower().endswith(("а", "я"))


def _decline_word(part: NamePart, word: str, gender: Gender, case: GrammaticalCase) -> str:
    """A double name (Римский-Корсаков, Анна-Мария, Абдул-Азиз) declines in the parts that do."""
    pieces = word.split("-")
    declined = []
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        if _declines_whole(part, piece, gender, last=last):
            declined.append(_decline_piece(part, piece, gender, case, last=last))
        else:
            declined.append(piece)
    return "-".join(declined)


def decline_name(name: FullName, case: GrammaticalCase, *, gender: Gender | None = None) -> FullName:
    gender = name_gender(name) if gender is None else gender
    if name.turkic_patronymic:
        patronymic = name.patronymic
    else:
        patronymic = " ".join(
            _decline_word(NamePart.MIDDLENAME, word, gender, case) for word in name.patronymic.split()
        )
    return FullName(
        surname=_decline_word(NamePart.LASTNAME, name.surname, gender, case),
        first_name=_decline_word(NamePart.FIRSTNAME, name.first_name, gender, case),
        patronymic=patronymic,
    )


def decline_full_name(
    full_name: str,
    case: GrammaticalCase,
    *,
    gender: Gender | None = None,
    overrides: Mapping[str, str] | None = None,
) -> str:
    """«Иванова Мария Петровна» in ``case``: «Ивановой Марии Петровны» (genitive).

    ``gender``: when known from the person's record; otherwise read from the name.
    ``overrides``: the lawyer's own text for a case form, by case ("dative" → «Ивановой Марии
    Петровне»); the text for ``case``, when there is one, is returned as it was typed.
    """
    override = (overrides or {}).get(case.value, "")
    if override.strip():
        return override
    declined = decline_name(split_full_name(full_name), case, gender=gender)
    return " ".join(part for part in (declined.surname, declined.first_name, declined.patronymic) if part)


# --- initials -------------------------------------------------------------------------------


def _initial(word: str) -> str:
    # A double first name keeps its hyphen: Жан-Поль → Ж.-П.
    return "-".join(f"{piece[0].upper()}." for piece in word.split("-") if piece)


def initials(full_name: str) -> str:
    """«Иванов Иван Иванович» → «Иванов И. И.», as in a signature line; «Мамедов Эльдар Рашид
    оглы» → «Мамедов Э. Р.»."""
    name = split_full_name(full_name)
    letters = [_initial(word) for word in (name.first_name, name.patronymic) if word]
    return " ".join([name.surname, *letters])


def initials_declined(
    full_name: str,
    case: GrammaticalCase,
    *,
    gender: Gender | None = None,
    overrides: Mapping[str, str] | None = None,
) -> str:
    """The surname in ``case`` and initials: «Иванова И. И.» (genitive)."""
    return initials(decline_full_name(full_name, case, gender=gender, overrides=overrides))


# --- dates ----------------------------------------------------------------------------------

def name_forms(full_name: str, overrides: dict[str, str], *, gender: Gender | None = None) -> dict[str, str | bool]:
    """A full name in every case a template asks for, the lawyer's own text first."""
    name = " ".join(full_name.split())
    try:
        gender = gender or detect_gender(full_name)
        forms: dict[str, str | bool] = {"name": name}
        for case in NAME_FORM_CASES:
            forms[case.value] = decline_full_name(full_name, case, gender=gender, overrides=overrides)
        forms["initials"] = initials(full_name)
        for case in (GrammaticalCase.GENITIVE, GrammaticalCase.DATIVE):
            forms[f"initials_{case.value}"] = initials_declined(full_name, case, gender=gender, overrides=overrides)
    except ValueError:  # no letters to decline (a name not written down): printed as it is
        return {"name": name, **{case.value: name for case in NAME_FORM_CASES}, "initials": name,
                "initials_genitive": name, "initials_dative": name, "female": False}
    forms["female"] = gender == Gender.FEMALE
    return forms


_MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def court_date(day: date) -> str:
    """«05» мая 2022 г.: the day in guillemets and with two digits, the month in the genitive, as
    a form's header or the date line under a signature writes it. In a sentence: ``date_in_words``."""
    return f"«{day.day:02d}» {_MONTHS_GENITIVE[day.month - 1]} {day.year} г."


def date_in_words(day: date) -> str:
    """1 марта 2022 г.: a date in running text, the day with no leading zero and no quotes."""
    return f"{day.day} {_MONTHS_GENITIVE[day.month - 1]} {day.year} г."


# --- sums of money --------------------------------------------------------------------------

_UNITS = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_UNITS_FEMININE = ("", "одна", "две", *_UNITS[3:])
_TEENS = (
    "десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать",
    "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать",
)  # fmt: skip
_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто")
_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот")

# (size, forms for 1 / 2-4 / 5-20, feminine?) largest first; тысяча is feminine: две тысячи.
_SCALES = (
    (10**12, ("триллион", "триллиона", "триллионов"), False),
    (10**9, ("миллиард", "миллиарда", "миллиардов"), False),
    (10**6, ("миллион", "миллиона", "миллионов"), False),
    (10**3, ("тысяча", "тысячи", "тысяч"), True),
)
_ROUBLES = ("рубль", "рубля", "рублей")
_KOPECKS = ("копейка", "копейки", "копеек")
_KOPECK = Decimal("0.01")


def plural(number: int, forms: tuple[str, str, str]) -> str:
    """The noun form a number takes: 1 рубль, 2 рубля, 5 рублей, 11 рублей, 21 рубль."""
    if 11 <= number % 100 <= 14:
        return forms[2]
    if number % 10 == 1:
        return forms[0]
    if 2 <= number % 10 <= 4:
        return forms[1]
    return forms[2]


def _below_thousand(number: int, *, feminine: bool) -> list[str]:
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words = [_HUNDREDS[hundreds]]
    if tens == 1:
        words.append(_TEENS[units])
    else:
        words += [_TENS[tens], (_UNITS_FEMININE if feminine else _UNITS)[units]]
    return [word for word in words if word]


def number_in_words(number: int, *, feminine: bool = False) -> str:
    """A whole number below a quadrillion in words: 1234 → «одна тысяча двести тридцать четыре»."""
    if not 0 <= number < 10**15:
        raise ValueError("a number from zero to below a quadrillion is needed")
    if number == 0:
        return "ноль"
    words: list[str] = []
    for size, forms, scale_feminine in _SCALES:
        count = number // size % 1000
        if count:
            words += [*_below_thousand(count, feminine=scale_feminine), plural(count, forms)]
    words += _below_thousand(number % 1000, feminine=feminine)
    return " ".join(words)


def amount_in_words(amount: Decimal) -> str:
    """Roubles in words and kopecks in figures, as courts write a sum: Decimal("1234.50") →
    «одна тысяча двести тридцать четыре рубля 50 копеек»."""
    if not amount.is_finite() or not 0 <= amount < 10**15:
        raise ValueError("a sum of money is from zero to below a quadrillion roubles")
    if amount != amount.quantize(_KOPECK):
        raise ValueError("a sum of money is in whole kopecks")
    roubles, kopecks = divmod(int(amount * 100), 100)
    return f"{number_in_words(roubles)} {plural(roubles, _ROUBLES)} {kopecks:02d} {plural(kopecks, _KOPECKS)}"
