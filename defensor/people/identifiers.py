"""The identifiers Russian court forms ask of a person, checked as their issuers define them.

Each ``*_normalised`` function takes what was typed (spaces, dashes allowed) and returns the
number in the one form it is stored and printed in, or raises an ``IdentifierInvalid`` whose
message says what is wrong without repeating the number (messages may reach a log).
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext_lazy as _

from defensor.core.errors import InvalidOperation

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—.]+")

# The Pension Fund checks the control number only of numbers above 001-001-998: the first ones
# were issued before the rule existed.
SNILS_CHECKED_ABOVE = 1_001_998
_INN_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
EARLIEST_BIRTH_YEAR = 1900


class IdentifierInvalid(InvalidOperation):
    user_message = _("This number is not valid.")


class PassportInvalid(IdentifierInvalid):
    user_message = _("A passport's series and number are 10 digits, e.g. 4509 123456.")


class SnilsWrongLength(IdentifierInvalid):
    user_message = _("A СНИЛС has 11 digits, e.g. 112-233-445 95.")


class SnilsWrongCheck(IdentifierInvalid):
    user_message = _("This СНИЛС has a typing error: its last two digits (the check number) do not match the "
                     "first nine. Compare it with the insurance certificate.")


class InnWrongLength(IdentifierInvalid):
    user_message = _("A person's ИНН has 12 digits.")


class InnWrongCheck(IdentifierInvalid):
    user_message = _("This ИНН has a typing error: its last two digits (the check digits) do not match the "
                     "first ten. Compare it with the tax certificate.")


class BirthDateInvalid(IdentifierInvalid):
    user_message = _("Enter the date of birth as dd.mm.yyyy, e.g. 05.03.1990.")


class BirthDateInFuture(BirthDateInvalid):
    user_message = _("The date of birth cannot be in the future.")


class BirthDateTooEarly(BirthDateInvalid):
    user_message = _("The date of birth cannot be before 1900.")


def _digits(typed: str) -> str:
    """The typed text without spaces and dashes; anything else left in makes it not a number."""
    return _SEPARATORS.sub("", typed)


# --- passport -------------------------------------------------------------------------------


def passport_normalised(typed: str) -> str:
    """«4509 123456»: the series (4 digits) and the number (6 digits)."""
    digits = _digits(typed).replace("№", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise PassportInvalid()
    return f"{digits[:4]} {digits[4:]}"


# --- СНИЛС ----------------------------------------------------------------------------------


def snils_check_number(first_nine: str) -> str:
    """The two-digit check number of a СНИЛС, by the Pension Fund's rule: each of the first
    nine digits times its position counted from the right (9 … 1), summed; a sum below 100 is
    the check number; 100 and 101 give 00; above 101, the remainder of division by 101, with
    100 again giving 00."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(9, 0, -1), strict=True))
    if total > 101:
        total %= 101
    return "00" if total in (100, 101) else f"{total:02d}"


def snils_normalised(typed: str) -> str:
    """«112-233-445 95», the way the certificate prints it."""
    digits = _digits(typed)
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        raise SnilsWrongLength()
    if int(digits[:9]) > SNILS_CHECKED_ABOVE and snils_check_number(digits[:9]) != digits[9:]:
        raise SnilsWrongCheck()
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"


# --- ИНН ------------------------------------------------------------------------------------


def _inn_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def inn_check_digits(first_ten: str) -> str:
    """The two check digits of a person's ИНН (the Federal Tax Service's algorithm): the 11th
    from the first ten digits, the 12th from the first eleven, each a weighted sum mod 11 mod 10."""
    eleventh = _inn_digit(first_ten, _INN_WEIGHTS_11)
    return eleventh + _inn_digit(first_ten + eleventh, _INN_WEIGHTS_12)


def inn_normalised(typed: str) -> str:
    """12 digits; an organisation's 10-digit ИНН is not a person's."""
    digits = _digits(typed)
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise InnWrongLength()
    if inn_check_digits(digits[:10]) != digits[10:]:
        raise InnWrongCheck()
    return digits


# --- date of birth --------------------------------------------------------------------------


def birth_date_parsed(typed: str, *, today: date) -> date:
    """dd.mm.yyyy (or yyyy-mm-dd, as records store it), from 1900 up to ``today``."""
    text = typed.strip()
    match = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            born = date(year, month, day)
        else:
            born = date.fromisoformat(text)
    except ValueError:
        raise BirthDateInvalid() from None
    if born > today:
        raise BirthDateInFuture()
    if born.year < EARLIEST_BIRTH_YEAR:
        raise BirthDateTooEarly()
    return born
