"""Duplicate matching at scale: does a request from someone already known find their record, and
how long does it take, with every record encrypted under its own key?

A synthetic population (Russian names, patronymics and surnames in male and female forms, dates
of birth, units "в/ч NNNNN", phones in every common written form, some Telegram accounts and
e-mail addresses, relatives sharing a surname and a family phone) is written to a real database:
Person and Handle rows with their own data keys, grants sealed to one staff member and to the
recovery key, and blind indexes, exactly as person_create writes them (in bulk, without the
audit log). Then a stream of new requests is matched with the real selector, match_candidates.

5% of the requests come again from a known person: written differently (phone in another form,
unit written another way, name in another order, sometimes without a phone, unit or date of
birth, sometimes from a new number) and with one or two slips (a letter changed, dropped or
swapped in the surname or first name, the surname in Latin letters, day and month of birth
swapped or one digit off). 2% are relatives of known people (same surname, often the same family
phone). The rest are new people, drawn from the same names, so common surnames recur.

Figures (bench/results/dedupe.json), for 10,000 and 100,000 people:
  recall_N                  known people found among the suggestions (score >= threshold) / all
  precision_N               suggestions that are the right person / all suggestions
  ms_per_submission_N       mean time of match_candidates for one request (fresh key ring)
  p95_ms_N                  95th percentile of the same
  index_only_recall_N       recall for a colleague holding the index key but none of the records
  index_only_precision_N    (candidates scored on what the blind indexes prove)
  naive_ms_per_submission_10k   without blind indexes: open every record's key, decrypt every
                            record and score every pair with the same score() (per request, as
                            no plaintext is kept between requests); measured on a few requests
  naive_score_only_ms_10k   the same, with every record already decrypted in memory
  naive_vs_indexed_ratio_10k    naive_ms_per_submission_10k / ms_per_submission_10k
  build_s_N                 time to write the population (bulk, with all the crypto)
Targets: recall and precision >= 0.95 and under 200 ms per request at 100,000 people.
Quick mode: 1,000 requests per size; BENCH_FULL=1: 4,000.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bench.common import FULL, cleanup, print_table, setup_django, write_results

if TYPE_CHECKING:
    from defensor.accounts.models import User
    from defensor.core.models import Organisation
    from defensor.people.matching import Identity

SEED = 20261125
SIZES = (10_000, 100_000)
SUBMISSIONS = 4000 if FULL else 1000
NAIVE_SAMPLE = 10 if FULL else 3
DUPLICATE_SHARE = 0.05
RELATIVE_SHARE = 0.02
PASSWORD = "correct horse battery staple 42"  # noqa: S105 - a benchmark input



def _words(text: str) -> list[str]:
    return text.split()


# (name, patronymic of his son, of his daughter)
MALE_NAMES = [
    ("Александр", "Александрович", "Александровна"), ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"), ("Артём", "Артёмович", "Артёмовна"), ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"), ("Валерий", "Валерьевич", "Валерьевна"),
    ("Василий", "Васильевич", "Васильевна"), ("Виктор", "Викторович", "Викторовна"),
    ("Виталий", "Витальевич", "Витальевна"), ("Владимир", "Владимирович", "Владимировна"),
    ("Владислав", "Владиславович", "Владиславовна"), ("Вячеслав", "Вячеславович", "Вячеславовна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"), ("Георгий", "Георгиевич", "Георгиевна"),
    ("Григорий", "Григорьевич", "Григорьевна"), ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"), ("Евгений", "Евгеньевич", "Евгеньевна"), ("Егор", "Егорович", "Егоровна"),
    ("Иван", "Иванович", "Ивановна"), ("Игорь", "Игоревич", "Игоревна"), ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"), ("Константин", "Константинович", "Константиновна"),
    ("Леонид", "Леонидович", "Леонидовна"), ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"), ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"), ("Олег", "Олегович", "Олеговна"), ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"), ("Роман", "Романович", "Романовна"), ("Руслан", "Русланович", "Руслановна"),
    ("Сергей", "Сергеевич", "Сергеевна"), ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"), ("Тимур", "Тимурович", "Тимуровна"), ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Юрий", "Юрьевич", "Юрьевна"), ("Ярослав", "Ярославович", "Ярославовна"),
]
FEMALE_NAMES = [
    "Анна", "Анастасия", "Алина", "Валентина", "Валерия", "Вера", "Виктория", "Галина", "Дарья", "Екатерина",
    "Елена", "Елизавета", "Ирина", "Кристина", "Ксения", "Лариса", "Любовь", "Людмила", "Марина", "Мария",
    "Надежда", "Наталья", "Нина", "Оксана", "Ольга", "Полина", "Светлана", "Софья", "Тамара", "Татьяна", "Юлия",
]
COMMON_SURNAMES = _words("""Смирнов Иванов Кузнецов Попов Соколов Лебедев Козлов Новиков Морозов Петров Волков Соловьёв
Васильев Зайцев Павлов Семёнов Голубев Виноградов Богданов Воробьёв Фёдоров Михайлов Беляев Тарасов Белов
Комаров Орлов Киселёв Макаров Андреев Ковалёв Ильин Гусев Титов Кузьмин Кудрявцев Баранов Куликов Алексеев
Степанов Яковлев Сорокин Сергеев Романов Захаров Борисов Королёв Герасимов Пономарёв Григорьев Лазарев
Медведев Ершов Никитин Соболев Рябов Поляков Цветков Данилов Жуков Фролов Журавлёв Николаев Крылов Максимов
Сидоров Осипов Белоусов Федотов Дорофеев Егоров Матвеев Бобров Дмитриев Калинин Анисимов Петухов Антонов
Тимофеев Никифоров Веселов Филиппов Марков Большаков Суханов Миронов Ширяев Александров Коновалов Шестаков
Казаков Ефимов Денисов Громов Фомин Давыдов Мельников Щербаков Блинов Колесников Карпов Афанасьев Власов
Маслов Исаков Тихонов Аксёнов Гаврилов Родионов Котов Горбунов Кудряшов Быков Зуев Третьяков Савельев
Панов Рыбаков Суворов Абрамов Воронов Мухин Архипов Трофимов Мартынов Емельянов Горшков Чернов Овчинников
Селезнёв Панфилов Копылов Михеев Галкин Назаров Лобанов Лукин Беляков Потапов Некрасов Хохлов Жданов Наумов
Шилов Воронцов Ермаков Дроздов Игнатьев Савин Логинов Сафонов Капустин Кириллов Моисеев Елисеев Кошелев
Костин Горбачёв Орехов Ефремов Исаев Евдокимов Калашников Кабанов Носков Юдин Кулагин Лапин Прохоров
Нестеров Харитонов Агафонов Муравьёв Ларионов Федосеев Зимин Пахомов Шубин Игнатов Филатов Крюков Рогов
Кулаков Терентьев Молчанов Владимиров Артемьев Гурьев Зиновьев Гришин Кононов Дементьев Ситников Симонов
Мишин Фадеев Комиссаров Мамонтов Носов Гуляев Шаров Устинов Вишняков Евсеев Лаврентьев Брагин Константинов
Корнилов Авдеев Зыков Бирюков Шарапов Никонов Щукин Дьячков Одинцов Сазонов Якушев Красильников Гордеев
Самойлов Князев Беспалов Уваров Шашков Бобылёв Доронин Белозёров Рожков Самсонов Мясников Лихачёв Буров
Сысоев Фомичёв Русаков Стрелков Гущин Тетерин Колобов Субботин Фокин Блохин Селиверстов Пестов Кондратьев
Силин Меркушев Лыткин Туров Шевченко Бондаренко Коваленко Кравченко Ткаченко Савченко Руденко Марченко
Литвиненко Кравчук Мельник Ковальчук Полищук Бойко Островский Жуковский Вишневский Садовский Высоцкий""")
# A long tail of rarer surnames, so that a population of 100,000 is not made of a few hundred names.
TAIL_ROOTS = _words("""Берез Рыбак Сапож Гребен Лопат Кожем Гончар Бочар Плотник Токар Кузьмич Огнев Ветр Морозн
Снегир Журавл Ястреб Сокольн Голуб Медвед Волчен Лисиц Барсук Зайчен Коршун Ворон Сорок Синиц Щеглов Чиж
Дубин Ольх Липов Клён Вязов Ясен Рябин Калин Малин Смородин Вишнев Грушев Яблон Орехов Каштан Камыш Осок
Полев Лугов Боров Лесн Озерн Речн Ключ Родник Болот Горн Холм Дол Степн Пескар Карас Окун Щучк Лещ Сом Налим
Сазан Ерш Судак Хариус Тарань Вобл Кефал Сиг Муксун Омул Нельм Таймен Ленк Бел Черн Рыж Сед Русак Кудр
Лыс Горб Хром Кос Рябч Пестр Красн Зелен Син Желт""")
TAIL_SUFFIXES = ["ов", "ев", "ин", "ский", "енко", "ук", "ович", "ых"]
# With these, the commonest surname is about 3% of the population (twice Смирнов's real share, so
# namesakes are more frequent than in life); the rest carry a tail surname.
COMMON_SHARE = 0.35

CYRILLIC_LOWER = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
# Latin spellings people actually use, several per letter (not the normaliser's own table).
LATIN = {
    "а": ["a"], "б": ["b"], "в": ["v"], "г": ["g"], "д": ["d"], "е": ["e"], "ё": ["e", "yo"], "ж": ["zh"],
    "з": ["z"], "и": ["i"], "й": ["y", "i", "j"], "к": ["k"], "л": ["l"], "м": ["m"], "н": ["n"], "о": ["o"],
    "п": ["p"], "р": ["r"], "с": ["s"], "т": ["t"], "у": ["u"], "ф": ["f"], "х": ["kh", "h"], "ц": ["ts", "c"],
    "ч": ["ch"], "ш": ["sh"], "щ": ["shch", "sch"], "ъ": [""], "ы": ["y"], "ь": ["", "'"], "э": ["e"],
    "ю": ["yu", "iu"], "я": ["ya", "ia"],
}
DIMINUTIVES = {"Александр": "Саша", "Дмитрий": "Дима", "Михаил": "Миша", "Алексей": "Лёша", "Сергей": "Серёжа",
               "Николай": "Коля", "Иван": "Ваня", "Пётр": "Петя", "Павел": "Паша", "Владимир": "Вова",
               "Татьяна": "Таня", "Наталья": "Наташа", "Елена": "Лена", "Ольга": "Оля", "Мария": "Маша"}


@dataclass
class Persona:
    """Who someone really is (the generator's truth)."""

    surname: str
    first: str
    patronymic: str
    born: date
    unit: str | None  # the number
    phone: str | None  # ten national digits
    telegram: str | None = None
    email: str | None = None


def _zipf_weights(count: int, exponent: float) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


class Population:
    """A deterministic source of people, requests written by them, and their relatives."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tail = [root + suffix for root in TAIL_ROOTS for suffix in TAIL_SUFFIXES]
        self.common_weights = _zipf_weights(len(COMMON_SURNAMES), 0.8)
        self.units = [f"{n}" for n in rng.sample(range(10000, 99999), 1500)]
        self.unit_weights = _zipf_weights(len(self.units), 0.6)
        self.phones_used: set[str] = set()
        self.handles_used: set[str] = set()

    def _surname_male(self) -> str:
        if self.rng.random() < COMMON_SHARE:
            return self.rng.choices(COMMON_SURNAMES, self.common_weights)[0]
        return self.rng.choice(self.tail)

    def _phone(self) -> str:
        while True:
            digits = "9" + "".join(self.rng.choices("0123456789", k=9))
            if digits not in self.phones_used:
                self.phones_used.add(digits)
                return digits

    def person(self) -> Persona:
        rng = self.rng
        female = rng.random() < 0.15
        father = rng.choice(MALE_NAMES)
        surname = _female_form(self._surname_male()) if female else self._surname_male()
        first = rng.choice(FEMALE_NAMES) if female else rng.choice(MALE_NAMES)[0]
        persona = Persona(
            surname=surname, first=first, patronymic=father[2] if female else father[1],
            born=date(1965, 1, 1) + timedelta(days=rng.randrange(41 * 365)),
            unit=rng.choices(self.units, self.unit_weights)[0] if rng.random() < 0.85 else None,
            phone=self._phone() if rng.random() < 0.9 else None,
        )
        if rng.random() < 0.3:
            persona.telegram = self._unique(lambda: f"@{_latin(first, rng)}_{_latin(surname, rng)}{rng.randrange(100)}")
        if rng.random() < 0.05:
            persona.email = self._unique(lambda: f"{_latin(surname, rng)}.{rng.randrange(10**4)}@mail.ru")
        return persona

    def _unique(self, make: Callable[[], str]) -> str:
        """An account name nobody else has (Telegram and mail providers see to that)."""
        while True:
            value = make().lower()
            if value not in self.handles_used:
                self.handles_used.add(value)
                return value

    def relative(self, of: Persona) -> Persona:
        """A parent, sibling or spouse: the family surname, often the family phone, nothing else."""
        rng = self.rng
        female = rng.random() < 0.6
        male_surname = _male_form(of.surname)
        persona = Persona(
            surname=_female_form(male_surname) if female else male_surname,
            first=rng.choice(FEMALE_NAMES) if female else rng.choice(MALE_NAMES)[0],
            patronymic=rng.choice(MALE_NAMES)[2 if female else 1],
            born=date(1945, 1, 1) + timedelta(days=rng.randrange(60 * 365)),
            unit=None,
            phone=of.phone if of.phone and rng.random() < 0.6 else self._phone(),
        )
        if persona.born == of.born:
            persona.born += timedelta(days=1)
        return persona


def _female_form(surname: str) -> str:
    for male, female in (("ский", "ская"), ("цкий", "цкая"), ("ой", "ая")):
        if surname.endswith(male):
            return surname[: -len(male)] + female
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname


def _male_form(surname: str) -> str:
    for male, female in (("ский", "ская"), ("цкий", "цкая")):
        if surname.endswith(female):
            return surname[: -len(female)] + male
    if surname.endswith(("ова", "ева", "ёва", "ина", "ына")):
        return surname[:-1]
    return surname


def _latin(text: str, rng: random.Random) -> str:
    out = []
    for ch in text:
        variants = LATIN.get(ch.lower())
        if variants is None:
            out.append(ch)
            continue
        latin = rng.choice(variants)
        out.append(latin.capitalize() if ch.isupper() else latin)
    return "".join(out)


def _phone_written(digits: str, rng: random.Random) -> str:
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return rng.choice([
        f"+7 {a} {b}-{c}-{d}", f"8({a}){b}{c}{d}", f"8{a}{b}{c}{d}", f"{a}{b}{c}{d}", f"+7-{a}-{b}-{c}-{d}",
        f"8 ({a}) {b}-{c}-{d}",
    ])


def _unit_written(number: str, rng: random.Random) -> str:
    return rng.choice([f"в/ч {number}", f"вч{number}", number, f"войсковая часть {number}", f"в/ч-{number}"])


def _typo(word: str, rng: random.Random) -> str:
    """One letter changed, dropped, or swapped with its neighbour (never the first letter)."""
    if len(word) < 4:
        return word
    position = rng.randrange(1, len(word) - 1)
    operation = rng.choice(["change", "drop", "swap"])
    if operation == "change":
        letter = rng.choice([ch for ch in CYRILLIC_LOWER if ch != word[position].lower()])
        return word[:position] + letter + word[position + 1:]
    if operation == "drop":
        return word[:position] + word[position + 1:]
    return word[:position] + word[position + 1] + word[position] + word[position + 2:]


def _digit_off(day: date, rng: random.Random) -> date:
    for _ in range(50):
        digits = list(f"{day.year:04d}{day.month:02d}{day.day:02d}")
        position = rng.randrange(8)
        digits[position] = rng.choice([d for d in "0123456789" if d != digits[position]])
        text = "".join(digits)
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
    return day


def stored_identity(persona: Persona, rng: random.Random) -> Identity:
    """What the team recorded when the person first wrote."""
    from defensor.people.matching import Identity

    return Identity(
        full_name=f"{persona.surname} {persona.first} {persona.patronymic}", surname=persona.surname,
        birth_date=persona.born.isoformat(), unit=f"в/ч {persona.unit}" if persona.unit else None,
        phones=(_phone_written(persona.phone, rng),) if persona.phone else (),
        handles=tuple(h for h in (persona.telegram, persona.email) if h),
    )


def written_again(persona: Persona, rng: random.Random, *, slips: bool) -> Identity:
    """A request as the person writes it now: another wording, perhaps missing things, and
    (``slips``) one or two mistakes."""
    from defensor.people.matching import Identity

    surname, first, born = persona.surname, persona.first, persona.born
    if slips:
        for slip in rng.sample(["surname", "first", "latin", "born"], rng.choice([1, 1, 1, 2, 2])):
            if slip == "surname":
                surname = _typo(surname, rng)
            elif slip == "first":
                first = _typo(first, rng)
            elif slip == "latin":
                surname = _latin(surname, rng)
            elif born.day <= 12 and born.day != born.month and rng.random() < 0.6:
                born = date(born.year, born.day, born.month)
            else:
                born = _digit_off(born, rng)
    if rng.random() < 0.05:
        first = DIMINUTIVES.get(first, first)
    roll = rng.random()
    full_name = (f"{first} {surname}" if roll < 0.3 else f"{surname} {first}" if roll < 0.4
                 else f"{surname} {first} {persona.patronymic}")
    phone = persona.phone
    roll = rng.random()
    if roll < 0.2:
        phone = None  # wrote through the web form without a phone
    elif roll < 0.3:
        phone = "9" + "".join(rng.choices("0123456789", k=9))  # a new number
    handles = tuple(h for h in (persona.telegram, persona.email) if h and rng.random() < 0.5)
    return Identity(
        full_name=full_name, surname=surname,
        birth_date=born.isoformat() if rng.random() > 0.1 else None,
        unit=_unit_written(persona.unit, rng) if persona.unit and rng.random() > 0.2 else None,
        phones=(_phone_written(phone, rng),) if phone else (),
        handles=handles,
    )


# --- writing the population the way person_create does, in bulk -------------------------------------


@dataclass
class Team:
    organisation: Organisation
    lawyer: User
    lawyer_private: bytes
    paralegal: User
    paralegal_private: bytes
    user_public: bytes
    recovery_public: bytes
    index_key: bytes
    recovery_private: bytes = b""  # bench/backup.py restores with it


def make_team() -> Team:
    from django.db import transaction

    from defensor.access import services as keys
    from defensor.accounts import services as accounts
    from defensor.accounts.models import Role
    from defensor.core.models import Organisation
    from defensor.keys.keyring import KeyRing, unwrap_private_key
    from defensor.keys.models import KeyKind, RecoveryKey, UserKeyPair

    with transaction.atomic():
        organisation = Organisation.objects.create(name="bench")
        kit = keys.organisation_keys_create(organisation=organisation)
        recovery_key = keys.recovery_private_key(organisation=organisation, shares=kit.shares[:2])
        made = []
        for username, role in (("lawyer", Role.LAWYER), ("paralegal", Role.PARALEGAL)):
            user, _ = accounts.user_create(
                organisation=organisation, username=username, role=role, created_by=None, password=PASSWORD
            )
            keys.grants_fill_from_recovery(organisation=organisation, recovery_key=recovery_key, user=user)
            made.append((user, unwrap_private_key(UserKeyPair.objects.get(user=user), PASSWORD)))
    (lawyer, lawyer_private), (paralegal, paralegal_private) = made
    _, index_key = KeyRing(lawyer.pk, lawyer_private).current(organisation.pk, KeyKind.INDEX)
    return Team(
        organisation=organisation, lawyer=lawyer, lawyer_private=lawyer_private, paralegal=paralegal,
        paralegal_private=paralegal_private, user_public=bytes(UserKeyPair.objects.get(user=lawyer).public_key),
        recovery_public=bytes(RecoveryKey.objects.get(organisation=organisation).public_key), index_key=index_key,
        recovery_private=recovery_key,
    )


def bulk_people(team: Team, identities: Sequence[Identity]) -> list[int]:
    """Person and Handle rows with a data key each, sealed to the lawyer and to the recovery key
    (as access.services.record_key_create does), fields encrypted and blind indexes set (as
    people.services.person_create does). Returns the new person ids, in order."""
    from django.db import transaction

    from defensor.keys import crypto
    from defensor.keys.models import KeyGrant, KeyKind, KeyMaterial
    from defensor.keys.records import RecordSealer
    from defensor.people.models import Handle, Person

    materials, grants, people, sealers = [], [], [], []
    for identity in identities:
        key = crypto.random_key()
        material = KeyMaterial(id=uuid.uuid4(), organisation=team.organisation, kind=KeyKind.RECORD)
        materials.append(material)
        grants.append(KeyGrant(material=material, user=team.lawyer, wrapped=crypto.seal(team.user_public, key)))
        grants.append(KeyGrant(material=material, for_recovery=True, wrapped=crypto.seal(team.recovery_public, key)))
        values = {"full_name": identity.full_name, "surname": identity.surname, "birth_date": identity.birth_date,
                  "unit": identity.unit, "notes": None}
        person = Person(organisation=team.organisation)
        sealer = RecordSealer(material=material, key=key)
        person.encrypt(sealer, **values)
        person.set_blind_indexes(team.index_key, values)
        people.append(person)
        sealers.append(sealer)
    with transaction.atomic():
        KeyMaterial.objects.bulk_create(materials, batch_size=2000)
        KeyGrant.objects.bulk_create(grants, batch_size=2000)
        Person.objects.bulk_create(people, batch_size=2000)
        handles = []
        for person, sealer, identity in zip(people, sealers, identities, strict=True):
            for kind, value in [("phone", p) for p in identity.phones] + [
                ("email" if "@" in h.lstrip("@") else "telegram", h) for h in identity.handles
            ]:
                handle = Handle(person=person, kind=kind)
                handle.set_blind_indexes(team.index_key, {"value": value})
                handle.encrypt(sealer, value=value, safe_times=None)
                handles.append(handle)
        Handle.objects.bulk_create(handles, batch_size=2000)
    return [p.pk for p in people]


# --- requests and measurement ---------------------------------------------------------------------------


@dataclass
class Request:
    identity: Identity
    truth: int | None  # the person id it really comes from, if known


def make_requests(population: Population, known: list[tuple[int, Persona]], count: int) -> Iterator[Request]:
    rng = population.rng
    for _ in range(count):
        roll = rng.random()
        if roll < DUPLICATE_SHARE:
            pk, persona = rng.choice(known)
            yield Request(written_again(persona, rng, slips=True), pk)
        elif roll < DUPLICATE_SHARE + RELATIVE_SHARE:
            _, persona = rng.choice(known)
            yield Request(written_again(population.relative(persona), rng, slips=False), None)
        else:
            yield Request(written_again(population.person(), rng, slips=False), None)


@dataclass
class Outcome:
    duplicates: int = 0
    found: int = 0
    suggestions: int = 0
    correct: int = 0
    times_ms: list[float] = field(default_factory=list)

    def recall(self) -> float:
        return round(self.found / self.duplicates, 3) if self.duplicates else 0.0

    def precision(self) -> float:
        return round(self.correct / self.suggestions, 3) if self.suggestions else 1.0


def run_requests(team: Team, user: User, private_key: bytes, requests: list[Request]) -> Outcome:
    from defensor.keys.keyring import KeyRing
    from defensor.people.selectors import match_candidates

    outcome = Outcome()
    for request in requests:
        keyring = KeyRing(user.pk, private_key)  # a fresh key ring per request, as in a view
        start = time.perf_counter()
        candidates = match_candidates(actor=user, keyring=keyring, identity=request.identity)
        outcome.times_ms.append((time.perf_counter() - start) * 1000)
        ids = [c.person_id for c in candidates]
        outcome.suggestions += len(ids)
        if request.truth is not None:
            outcome.duplicates += 1
            outcome.found += request.truth in ids
            outcome.correct += request.truth in ids
    return outcome


def naive(team: Team, requests: list[Request]) -> tuple[float, float]:
    """Without blind indexes: per request, open every record and score every pair.
    Returns (ms per request including decryption, ms per request with plaintext already in memory)."""
    from collections import defaultdict

    from defensor.keys import crypto
    from defensor.keys.models import KeyGrant
    from defensor.people.matching import SUGGEST_THRESHOLD, Identity, scorer
    from defensor.people.models import Handle, Person

    def decrypt_all() -> list[tuple[int, Identity]]:
        wrapped = {
            material_id: bytes(sealed or b"")
            for material_id, sealed in KeyGrant.objects.filter(user=team.lawyer, wrapped__isnull=False).values_list(
                "material_id", "wrapped"
            )
        }
        keys: dict[Any, bytes] = {}

        def key_of(material_id: Any) -> bytes:
            if material_id not in keys:
                keys[material_id] = crypto.unseal(team.lawyer_private, wrapped[material_id])
            return keys[material_id]

        handles: dict[int, list[Handle]] = defaultdict(list)
        for handle in Handle.objects.filter(person__organisation=team.organisation):
            handles[handle.person_id].append(handle)
        known = []
        for person in Person.objects.filter(organisation=team.organisation, erased_at__isnull=True):
            values = person.decrypt_with(key_of(person.data_key_id))
            contacts = [h.decrypt_with(key_of(h.data_key_id)).value or "" for h in handles[person.pk]]
            known.append((person.pk, Identity(full_name=values.full_name, surname=values.surname,
                                              birth_date=values.birth_date, unit=values.unit,
                                              phones=tuple(contacts))))
        return known

    def compare(identity: Identity, known: list[tuple[int, Identity]]) -> list[int]:
        against = scorer(identity)  # the new identity normalised once, as the selector does
        return [pk for pk, other in known if against(other).score >= SUGGEST_THRESHOLD]

    total, scoring = [], []
    for request in requests:
        start = time.perf_counter()
        known = decrypt_all()
        middle = time.perf_counter()
        compare(request.identity, known)
        end = time.perf_counter()
        total.append((end - start) * 1000)
        scoring.append((end - middle) * 1000)
    return statistics.mean(total), statistics.mean(scoring)


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    from defensor.people.matching import SUGGEST_THRESHOLD

    rng = random.Random(SEED)
    population = Population(rng)
    team = make_team()
    figures: dict[str, float | int] = {}
    known: list[tuple[int, Persona]] = []
    for size in SIZES:
        label = f"{size // 1000}k"
        start = time.perf_counter()
        while len(known) < size:
            batch: list[Persona] = []
            for _ in range(min(5000, size - len(known) - len(batch))):
                # One in twenty is the relative of someone already there (a shared surname, a family phone).
                if known and rng.random() < 0.05:
                    batch.append(population.relative(rng.choice(known)[1]))
                else:
                    batch.append(population.person())
            ids = bulk_people(team, [stored_identity(p, rng) for p in batch])
            known.extend(zip(ids, batch, strict=True))
        figures[f"build_s_{label}"] = round(time.perf_counter() - start, 1)
        requests = list(make_requests(population, known, SUBMISSIONS))
        outcome = run_requests(team, team.lawyer, team.lawyer_private, requests)
        figures[f"recall_{label}"] = outcome.recall()
        figures[f"precision_{label}"] = outcome.precision()
        figures[f"ms_per_submission_{label}"] = round(statistics.mean(outcome.times_ms), 1)
        figures[f"p95_ms_{label}"] = round(statistics.quantiles(outcome.times_ms, n=20)[-1], 1)
        figures[f"duplicates_{label}"] = outcome.duplicates
        figures[f"suggestions_{label}"] = outcome.suggestions
        blind = run_requests(team, team.paralegal, team.paralegal_private, requests)
        figures[f"index_only_recall_{label}"] = blind.recall()
        figures[f"index_only_precision_{label}"] = blind.precision()
        figures[f"index_only_ms_per_submission_{label}"] = round(statistics.mean(blind.times_ms), 1)
        if size == SIZES[0]:
            naive_ms, naive_scoring_ms = naive(team, requests[:NAIVE_SAMPLE])
            figures[f"naive_ms_per_submission_{label}"] = round(naive_ms, 1)
            figures[f"naive_score_only_ms_{label}"] = round(naive_scoring_ms, 1)
            figures[f"naive_vs_indexed_ratio_{label}"] = round(naive_ms / figures[f"ms_per_submission_{label}"], 1)
    figures["threshold"] = SUGGEST_THRESHOLD
    figures["submissions_per_size"] = SUBMISSIONS
    figures["seed"] = SEED  # the synthetic population is the same in every run with this seed
    write_results("dedupe", figures)
    print_table("duplicate matching (blind-index blocking, records decrypted in memory)",
                [(k, str(v)) for k, v in figures.items()])
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
