"""Duplicate matching on identities in the clear: what a triager would call the same person,
and what they would not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from defensor.people.matching import (
    REASON_LABELS,
    REASON_ORDER,
    SUGGEST_THRESHOLD,
    Identity,
    phone_flags,
    score,
    search_terms,
)

PETROV = Identity(
    full_name="Петров Иван Сергеевич", surname="Петров", birth_date="1990-04-05", unit="в/ч 12345",
    phones=("8 (916) 123-45-67",),
)


@pytest.mark.parametrize("written", ["8 (916) 123-45-67", "+7 916 1234567", "9161234567", "+7-916-123-45-67"])
def test_the_same_phone_in_any_written_form_is_enough_to_suggest(written: str) -> None:
    match = score(Identity(phones=(written,)), Identity(phones=("8(916)1234567",)))
    assert match.reasons == ("same_phone",)
    assert match.score >= SUGGEST_THRESHOLD
    assert search_terms(Identity(phones=(written,)))["value_index"] == {"+79161234567"}


def test_a_different_phone_is_no_evidence() -> None:
    assert score(Identity(phones=("+7 916 123-45-67",)), Identity(phones=("+7 916 123-45-68",))).reasons == ()


def test_messenger_handles_meet_however_they_are_written() -> None:
    match = score(Identity(handles=("@Ivan_Petrov",)), Identity(handles=("https://t.me/ivan_petrov",)))
    assert match.reasons == ("same_handle",)
    # An address with many digits is still an address, not a phone number.
    terms = search_terms(Identity(handles=("Ivan1234567890@Mail.ru",)))["value_index"]
    assert terms == {"ivan1234567890@mail.ru"}


def test_a_surname_in_latin_letters_is_the_same_surname_transliterated() -> None:
    latin = score(Identity(surname="Petrov"), Identity(surname="Петров"))
    assert latin.reasons == ("same_surname_transliterated",)
    same = score(Identity(surname="Петров"), Identity(surname="ПЕТРОВ"))
    assert same.reasons == ("same_surname",)
    assert search_terms(Identity(surname="Petrov"))["surname_index"] == search_terms(PETROV)["surname_index"]


def test_a_surname_with_a_typo_is_close_and_an_unrelated_one_is_not() -> None:
    assert score(Identity(surname="Ивонов"), Identity(surname="Иванов")).reasons == ("close_surname",)
    assert score(Identity(surname="Ианов"), Identity(surname="Иванов")).reasons == ("close_surname",)  # dropped
    assert score(Identity(surname="Иавнов"), Identity(surname="Иванов")).reasons == ("close_surname",)  # swapped
    assert score(Identity(surname="Смирнов"), Identity(surname="Иванов")).reasons == ()
    assert score(Identity(surname="Смирнов"), Identity(surname="Симонов")).reasons == ()  # two slips apart
    assert score(Identity(surname="Щербаков"), Identity(surname="Shcherbakov")).reasons == (
        "same_surname_transliterated",
    )
    assert score(Identity(surname="Sherbakov"), Identity(surname="Щербаков")).reasons == ("close_surname",)
    # A typo after the third letter keeps the prefix the blind index blocks on.
    assert search_terms(Identity(surname="Ивонов"))["surname_prefix_index"] == {"ivo"}
    assert search_terms(Identity(surname="Иваноа"))["surname_prefix_index"] == {"iva"}


def test_a_birth_date_with_day_and_month_swapped_or_one_digit_off_is_close() -> None:
    swapped = score(Identity(birth_date="1990-05-04"), Identity(birth_date="1990-04-05"))
    assert swapped.reasons == ("close_birth_date",)
    digit = score(Identity(birth_date="1991-04-05"), Identity(birth_date="1990-04-05"))
    assert digit.reasons == ("close_birth_date",)
    handwritten = score(Identity(birth_date="05.04.1990"), Identity(birth_date="1990-04-05"))
    assert handwritten.reasons == ("same_birth_date",)
    assert score(Identity(birth_date="1975-11-23"), Identity(birth_date="1990-04-05")).reasons == ()
    # The usual slips are looked up too, so the blind index finds them.
    dates = search_terms(Identity(birth_date="1990-05-04"))["birth_date_index"]
    assert {"1990-05-04", "1990-04-05", "1991-05-04", "1990-05-14", "1990-03-04"} <= dates
    assert "1990-05-32" not in dates
    assert "1990-06-05" not in dates


@pytest.mark.parametrize("written", ["в/ч 12345", "12345", "вч12345", "войсковая часть 12345, 2 рота"])
def test_a_unit_is_its_number_however_it_is_written(written: str) -> None:
    assert score(Identity(unit=written), Identity(unit="в/ч 12345")).reasons == ("same_unit",)
    assert search_terms(Identity(unit=written))["unit_index"] == {"12345"}


def test_another_unit_is_not_the_same_unit() -> None:
    assert score(Identity(unit="в/ч 54321"), Identity(unit="в/ч 12345")).reasons == ()
    assert search_terms(Identity(unit="без части"))["unit_index"] == set()


def test_a_duplicate_with_typos_and_no_phone_is_still_suggested() -> None:
    again = Identity(full_name="Ивонов Иван Петрович", surname="Ивонов", birth_date="1988-03-07", unit="12345")
    known = Identity(full_name="Иванов Иван Петрович", surname="Иванов", birth_date="1988-07-03", unit="в/ч 12345")
    match = score(again, known)
    assert match.reasons == ("close_surname", "same_first_name", "same_patronymic", "close_birth_date", "same_unit")
    assert match.score >= SUGGEST_THRESHOLD
    # A slip in the first name too still counts for something, unlike another name.
    slipped = score(Identity(full_name="Ивонов Иавн", surname="Ивонов", birth_date="1988-03-07", unit="12345"), known)
    assert slipped.reasons == ("close_surname", "close_first_name", "close_birth_date", "same_unit")
    other = score(Identity(full_name="Ивонов Олег", surname="Ивонов", birth_date="1988-03-07", unit="12345"), known)
    assert other.score < slipped.score


def test_day_and_month_swapped_weighs_more_than_a_digit_off() -> None:
    """Some 45 dates are one digit away from any date: among many namesakes one often is."""
    known = Identity(full_name="Смирнов Дмитрий", surname="Смирнов", birth_date="2004-04-02")
    swapped = score(Identity(full_name="Смирнов Дмитрий", surname="Смирнов", birth_date="2004-02-04"), known)
    digit = score(Identity(full_name="Смирнов Дмитрий", surname="Смирнов", birth_date="2004-04-03"), known)
    assert swapped.reasons == digit.reasons == ("same_surname", "same_first_name", "close_birth_date")
    assert swapped.score >= SUGGEST_THRESHOLD > digit.score


def test_an_everyday_first_name_agrees_with_the_full_one() -> None:
    match = score(Identity(full_name="Саша Петров", surname="Петров"), Identity(full_name="Петров Александр",
                                                                               surname="Петров"))
    assert "same_first_name" in match.reasons


def test_unrelated_people_namesakes_and_relatives_are_not_suggested() -> None:
    stranger = Identity(full_name="Смирнова Анна Павловна", surname="Смирнова", birth_date="1979-12-30",
                        unit="в/ч 99999", phones=("+7 903 555-44-33",))
    assert score(stranger, PETROV).score < SUGGEST_THRESHOLD
    assert score(stranger, PETROV).reasons == ()
    # Another Иван Петров, born the same day, but his father is another man.
    other_father = Identity(full_name="Петров Иван Юрьевич", surname="Петров", birth_date="1990-04-05")
    assert score(other_father, PETROV).score < SUGGEST_THRESHOLD
    assert score(replace(other_father, full_name="Петров Иван Сергеевич"), PETROV).score >= SUGGEST_THRESHOLD
    # Another Иван Петров born one digit off, in another unit.
    assert score(replace(PETROV, birth_date="1990-04-06", unit="в/ч 54321", phones=()), PETROV).reasons == (
        "same_surname", "same_first_name", "same_patronymic", "close_birth_date"
    )
    assert score(replace(PETROV, birth_date="1990-04-06", unit="в/ч 54321", phones=()), PETROV).score < 0.6
    # Another Пётр Петров, born on another day, in the same unit.
    namesake = Identity(full_name="Петров Пётр Иванович", surname="Петров", birth_date="1985-02-17",
                        unit="в/ч 12345")
    assert score(namesake, PETROV).score < SUGGEST_THRESHOLD
    # His brother calls from the same family phone.
    brother = Identity(full_name="Петров Алексей Сергеевич", surname="Петров", birth_date="1994-09-21",
                       phones=("+7 916 123 45 67",))
    match = score(brother, PETROV)
    assert "same_phone" in match.reasons
    assert match.score < SUGGEST_THRESHOLD
    # Even when neither gave a date of birth: the family phone, surname and patronymic agree, the
    # first name does not.
    undated = score(replace(brother, birth_date=None), replace(PETROV, birth_date=None))
    assert undated.reasons == ("same_phone", "same_surname", "same_patronymic")
    assert undated.score < SUGGEST_THRESHOLD


def test_the_same_person_scores_higher_than_a_near_miss() -> None:
    same = score(PETROV, PETROV)
    assert same.score == 1.0
    assert same.reasons == (
        "same_phone", "same_surname", "same_first_name", "same_patronymic", "same_birth_date", "same_unit"
    )


@pytest.mark.parametrize(
    ("raw", "flags"),
    [
        ("+7 701 123 4567", {"kazakhstan"}),
        ("8 (701) 123-45-67", {"kazakhstan"}),
        ("+7 600 123 4567", {"kazakhstan"}),
        ("+7 916 123-45-67", set()),
        ("8 495 123 45 67", set()),
        ("123", {"invalid"}),
        ("позвоните мне", {"invalid"}),
    ],
)
def test_phone_flags(raw: str, flags: set[str]) -> None:
    assert phone_flags(raw) == flags


def test_every_reason_has_a_label_and_nothing_personal_shows_in_a_repr() -> None:
    assert set(REASON_ORDER) == set(REASON_LABELS)
    assert "Петров" not in repr(PETROV)
    assert "916" not in repr(PETROV)


def test_an_empty_identity_asks_for_nothing() -> None:
    assert all(not terms for terms in search_terms(Identity()).values())
    assert score(Identity(), PETROV).reasons == ()


def test_a_date_of_birth_with_a_three_digit_year_is_compared_not_a_crash() -> None:
    """0994 for 1994 (strftime writes that year with three digits, and comparing digit by digit
    once raised an error instead of a score)."""
    known = Identity(full_name="Полевенко Полина", surname="Полевенко", birth_date="1994-02-18")
    slipped = score(Identity(full_name="Полевенко Полина", surname="Полевенко", birth_date="0994-02-18"), known)
    assert "close_birth_date" in slipped.reasons
    assert "close_birth_date" in score(known, Identity(surname="Полевенко", birth_date="0994-02-18")).reasons


def test_tse_written_c_or_ts_is_the_same_surname() -> None:
    """"Синицин" is "Sinitsin" in a passport and "Sinicin" in many other spellings."""
    for latin in ("Sinicin", "Sinitsin"):
        match = score(Identity(surname=latin), Identity(surname="Синицин"))
        assert match.reasons == ("same_surname_transliterated",)
    assert score(Identity(surname="Cvetkov"), Identity(surname="Цветков")).reasons == ("same_surname_transliterated",)
    assert search_terms(Identity(surname="Sinicin"))["surname_index"] >= search_terms(Identity(surname="Синицин"))[
        "surname_index"
    ]


def test_a_surname_misspelt_in_latin_letters_is_not_held_against_the_rest() -> None:
    """"Kiupustin" for "Капустин": no table of spellings meets it, but the first name, the patronymic
    and the date of birth all agree; a Cyrillic surname that differs still counts against."""
    known = Identity(full_name="Капустин Игорь Русланович", surname="Капустин", birth_date="1976-02-13")
    latin = score(Identity(full_name="Kiupustin Игорь Русланович", surname="Kiupustin", birth_date="1976-02-13"), known)
    assert latin.reasons == ("same_first_name", "same_patronymic", "same_birth_date")
    assert latin.score >= SUGGEST_THRESHOLD
    cyrillic = score(Identity(full_name="Лапин Игорь Русланович", surname="Лапин", birth_date="1976-02-13"), known)
    assert cyrillic.score < latin.score


def test_a_typo_in_the_surname_with_the_rest_agreeing_is_suggested() -> None:
    """A repeat request without a phone or a date of birth: the first name, patronymic and unit
    agree, the surname is one letter off."""
    known = Identity(full_name="Александров Роман Григорьевич", surname="Александров", birth_date="1999-03-22",
                     unit="в/ч 75725", phones=("+7 922 047 60 95",))
    again = Identity(full_name="Алексадров Роман Григорьевич", surname="Алексадров", unit="в/ч-75725")
    match = score(again, known)
    assert match.reasons == ("close_surname", "same_first_name", "same_patronymic", "same_unit")
    assert match.score >= SUGGEST_THRESHOLD
