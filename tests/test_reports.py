"""Reports (issue 21): anna, a lawyer, counts the people who wrote, by quarter, district, service
and pressure, through the real pages; small numbers are hidden, releases are frozen and checked
against each other, nothing counted is stored in the clear."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import ClaimantStatus
from defensor.cases.services import case_open, claimant_add, claimants_status_set
from defensor.intake.models import Status, Submission
from defensor.people.models import Person
from defensor.people.services import HandleInput, person_create, person_update
from defensor.reports.counting import ClaimRow, PersonRow, RequestRow, count_persons
from defensor.reports.models import Release
from defensor.reports.selectors import persons_counted
from tests.canary import Canaries, stored_bytes
from tests.conftest import keyring_of

Make = Callable[..., Submission]


def _numbers(page: str, key: str) -> dict[str, str]:
    """label → shown text of one table on a report page."""
    section = page.split(f'data-testid="report-{key}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td class="num"[^>]*>([^<]*)</td></tr>', section)
    return {label.strip(): text.strip().replace("&lt;", "<") for label, text in rows}


def _flood(make_submission: Make, *, central: int, tuva: int, phone_prefix: str = "916") -> list[Submission]:
    made = []
    for n in range(central):
        made.append(make_submission(service_region="RU-MOW", service_category="mobilised",
                                    phone=f"+7 {phone_prefix} 100-{n:02d}-00", pressure=["command"]))
    for n in range(tuva):
        made.append(make_submission(service_region="RU-TY", service_category="contract",
                                    phone=f"+7 {phone_prefix} 200-{n:02d}-00", pressure=["family"]))
    return made


@pytest.mark.django_db
def test_anna_sees_persons_counted_once_with_small_numbers_hidden(
    anna: User, verified_client: Callable[[User], Client], make_submission: Make,
) -> None:
    _flood(make_submission, central=22, tuva=3)
    for n in range(20):
        make_submission(service_region="RU-KDA", service_category="contract", phone=f"+7 918 300-{n:02d}-00",
                        pressure=["none"])
    # One of the Moscow writers writes twice, with the same phone: still one person (22, shown
    # rounded as 20; 23 would show as 25).
    make_submission(service_region="RU-MOW", service_category="mobilised", phone="+7 916 100-00-00")
    # A request its writer withdrew, and spam, are not counted.
    withdrawn = make_submission(service_region="RU-MOW", phone="+7 916 999-99-99")
    Submission.objects.filter(pk=withdrawn.pk).update(withdrawn_at=withdrawn.received_at)
    Submission.objects.filter(pk=make_submission(service_region="RU-SPE").pk).update(status=Status.SPAM)

    page = verified_client(anna).get("/staff/reports/").content.decode()

    district = _numbers(page, "district")
    assert district["Центральный"] == "20"
    assert district["Сибирский"] == "< 10"
    # Hidden too, or the 3 in Siberia would be the total less the others: the smallest other count.
    assert district["Южный"] == "—"
    assert district["Северо-Западный"] == "0"  # the spam request is not counted
    assert _numbers(page, "service_category")["Мобилизованный"] == "20"
    pressure = _numbers(page, "pressure")
    assert pressure["Со стороны командования"] == "20"
    assert pressure["Со стороны родственников"] == "< 10"
    # The exact small count appears nowhere on the page.
    assert "3" not in district.values()
    assert ">3<" not in page
    assert AuditEvent.objects.filter(action="report.viewed", actor=anna).exists()


@pytest.mark.django_db
def test_unique_persons_from_records_and_requests(anna: User, make_submission: Make) -> None:
    keys = keyring_of(anna)
    first = make_submission(service_region="RU-MOW", phone="+7 916 555-00-01")
    make_submission(service_region="RU-MOW", phone="8 916 555-00-01")  # the same person writes again
    make_submission(service_region="RU-TY", phone="+7 916 555-00-02")
    # A person record of the team with the same phone as the first writer: one person, and the
    # team's values count (the region was corrected on the record).
    person = person_create(created_by=anna, keyring=keys, full_name="Иванов Иван",
                           handles=[HandleInput(kind="phone", value="+79165550001")])
    person_update(person=person, updated_by=anna, keyring=keys, region="RU-SPE", service_category="conscript")
    # A duplicate record merged into it is not another person.
    from defensor.people.services import person_merge
    twin = person_create(created_by=anna, keyring=keys, full_name="Иванов И.")
    person_merge(source=twin, into=person, merged_by=anna, keyring=keys)

    from defensor.intake.search import submissions_index_all
    submissions_index_all(actor=anna, keyring=keys)
    counted = persons_counted(actor=anna, keyring=keys).counted

    assert len(counted) == 2
    regions = sorted(p.region or "" for p in counted)
    assert regions == ["RU-SPE", "RU-TY"]
    assert min(p.first_contact for p in counted) <= first.received_at.date()


def test_counting_rules_without_a_database() -> None:
    """Accepted requests belong to their record; withdrawal counts only when no claim is open."""
    day = date(2026, 3, 1)
    people = [PersonRow(1, day, None, False, {"region": "RU-MOW"}), PersonRow(2, day, 1, False, None),
              PersonRow(3, day, None, True, {"region": "RU-TY"})]
    requests = [RequestRow("a", date(2025, 12, 30), 2, {"region": "RU-KDA", "pressure": ["family"]}),
                RequestRow("b", day, 3, None), RequestRow("c", day, None, {"region": None, "pressure": []})]
    claims = [ClaimRow(1, 1, 10, "military_admin", "appeal", "pending", False, "family"),
              ClaimRow(1, 2, 11, "criminal", "first_instance", "pending", False, "command")]
    counted = count_persons(people=people, requests=requests, request_contacts=[("c", "d1")],
                            person_contacts=[(1, "d2")], claims=claims, incidents=[2])
    assert len(counted) == 2  # record 1 (with 2 merged into it and request a), and request c; 3 erased
    record = next(p for p in counted if p.region == "RU-MOW")
    assert record.first_contact == date(2025, 12, 30)
    assert record.pressure == {"family", "incident"}
    assert record.case == ("criminal", "first_instance", "pending")  # the latest case
    assert record.withdrawal == "command"


@pytest.mark.django_db
def test_withdrawal_reasons_and_case_tables(
    anna: User, verified_client: Callable[[User], Client], make_submission: Make,
) -> None:
    keys = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keys, title="Группа", group=True, kind="special_rank")
    claimants = []
    for n in range(12):
        person = person_create(created_by=anna, keyring=keys, full_name=f"Истец {n}")
        claimants.append(claimant_add(case=case, person=person, added_by=anna, keyring=keys))
    claimants_status_set(case=case, claimant_ids=[c.pk for c in claimants[:11]], recorded_by=anna, keyring=keys,
                         status=ClaimantStatus.WITHDRAWN, effective_on=date(2026, 11, 1), reason="family")
    page = verified_client(anna).get("/staff/reports/").content.decode()
    assert _numbers(page, "case_kind")["Служебный спор сотрудника со специальным званием"] == "10"
    withdrawal = _numbers(page, "withdrawal")
    assert withdrawal["Под давлением семьи"] == "10"  # 11, rounded to 5
    assert withdrawal["По своей воле"] == "0"


@pytest.mark.django_db
def test_a_release_is_frozen_exported_and_checked_against_earlier_ones(
    anna: User, olga: User, verified_client: Callable[[User], Client], make_submission: Make, settings: Any,
) -> None:
    _flood(make_submission, central=30, tuva=0)
    client = verified_client(anna)
    page = client.get("/staff/reports/").content.decode()
    period = re.search(r'name="from" value="([^"]+)"><input type="hidden" name="to" value="([^"]+)"', page)
    assert period is not None
    made = client.post("/staff/reports/releases/", {"from": period[1], "to": period[2]}, follow=True)
    assert "Выпуск 1" in made.content.decode()
    release = Release.objects.get()
    assert release.number == 1
    assert release.created_by == anna
    assert AuditEvent.objects.filter(action="report.released", actor=anna, details__number=1).exists()
    # Exact counts are kept only sealed.
    assert b'"counts"' not in stored_bytes(Release)

    exported = client.get("/staff/reports/releases/1/csv/")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert any("30" in row for row in rows)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/staff/reports/releases/1/xlsx/").content))
    assert len(book.sheetnames) >= 9
    assert AuditEvent.objects.filter(action="report.exported", details__format="xlsx").exists()

    # Three more people write in the same quarter: 30 → 33 would both show as 30/35 rounded, but
    # subtracting the releases' exact published numbers would reveal three: the district is hidden
    # further (or the release refused), never shown as a small difference.
    _flood(make_submission, central=3, tuva=0, phone_prefix="917")
    page = client.get(f"/staff/reports/?from={period[1]}&to={period[2]}").content.decode()
    district = _numbers(page, "district")
    assert district["Центральный"] in {"—", "< 10"} or 'data-testid="refused-district"' in page

    # The public page is off by default; an administrator can put a release there when it is on.
    assert Client().get("/reports/1/").status_code == 404
    settings.DEFENSOR_PUBLIC_REPORTS = True
    assert Client().get("/reports/1/").status_code == 404  # not made public yet
    refused = verified_client(anna).post("/staff/reports/releases/1/public/", {"public": "1"})
    assert refused.status_code == 403
    verified_client(olga).post("/staff/reports/releases/1/public/", {"public": "1"})
    public = Client().get("/reports/1/")
    assert public.status_code == 200
    assert _numbers(public.content.decode(), "district")["Центральный"] == "30"
    release.refresh_from_db()
    assert release.public_tables is not None
    assert "counts" not in str(release.public_tables)


@pytest.mark.django_db
def test_no_counted_value_is_stored_in_the_clear(anna: User, make_submission: Make) -> None:
    canaries = Canaries()
    region = canaries.new("регион")
    keys = keyring_of(anna)
    person = person_create(created_by=anna, keyring=keys, full_name=canaries.new("имя"))
    person_update(person=person, updated_by=anna, keyring=keys, region=region, service_category="mobilised")
    make_submission(service_region=region, phone=canaries.phone())
    from defensor.reports.services import report_prepare
    report_prepare(actor=anna, keyring=keys)
    assert persons_counted(actor=anna, keyring=keys).counted
    stored = stored_bytes(Person, Submission, Release, AuditEvent)
    assert not [needle for needle in canaries.needles() if needle in stored]
    assert b"mobilised" not in stored_bytes(Person)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("olga", 200), ("anna", 200), ("pavel", 403), ("boris", 403), ("petra", 403)]
)
def test_who_may_see_reports(who: str, status: int, team: dict[Any, User],
                             verified_client: Callable[[User], Client]) -> None:
    user = next(u for u in team.values() if u.username == who)
    assert verified_client(user).get("/staff/reports/").status_code == status


@pytest.mark.django_db
def test_releases_and_counted_values_follow_a_rotated_index_key(
    anna: User, org_kit: Any, verified_client: Callable[[User], Client], make_submission: Make,
) -> None:
    from defensor.access.services import rotate_index_key

    keys = keyring_of(anna)
    person = person_create(created_by=anna, keyring=keys, full_name="Петров Пётр")
    person_update(person=person, updated_by=anna, keyring=keys, region="RU-TY")
    _flood(make_submission, central=15, tuva=0)
    for n in range(20):
        make_submission(service_region="RU-KDA", phone=f"+7 918 400-{n:02d}-00")
    client = verified_client(anna)
    client.get("/staff/reports/")
    from defensor.reports.services import release_make
    from defensor.reports.tables import Quarter
    today = Quarter.of(date.today())  # noqa: DTZ011 - the report's default period ends in this quarter
    release_make(actor=anna, keyring=keys, first=today, last=today)

    rotate_index_key(organisation=org_kit.organisation, recovery_key=org_kit.recovery_key)

    client = verified_client(anna)  # a new session: the new key is in anna's ring
    shown = client.get("/staff/reports/releases/1/")
    assert shown.status_code == 200
    assert _numbers(shown.content.decode(), "district")["Южный"] == "20"
    page = client.get("/staff/reports/").content.decode()
    assert 'data-testid="report-waiting"' not in page  # requests re-prepared with the new key on the way
    assert _numbers(page, "district")["Южный"] == "20"
    assert _numbers(page, "district")["Сибирский"] == "< 10"  # the person record's value, resealed
    person.refresh_from_db()
    assert person.report_key_id == Release.objects.get().sealed_key_id


@pytest.mark.django_db
def test_erasing_a_person_or_withdrawing_a_request_takes_its_counted_values_too(
    anna: User, make_submission: Make,
) -> None:
    from defensor.intake.search import submissions_index_all
    from defensor.intake.services import submission_withdraw
    from defensor.people.services import person_erase

    keys = keyring_of(anna)
    person = person_create(created_by=anna, keyring=keys, full_name="Сидоров")
    person_update(person=person, updated_by=anna, keyring=keys, region="RU-TY")
    request = make_submission(service_region="RU-TY")
    submissions_index_all(actor=anna, keyring=keys)
    assert Submission.objects.get(pk=request.pk).report_facts is not None
    assert len(persons_counted(actor=anna, keyring=keys).counted) == 2

    person_erase(person=Person.objects.get(pk=person.pk), erased_by=anna)
    submission_withdraw(submission=Submission.objects.get(pk=request.pk))

    assert Person.objects.get(pk=person.pk).report_facts is None
    assert Submission.objects.get(pk=request.pk).report_facts is None
    assert persons_counted(actor=anna, keyring=keys).counted == []


def test_a_longer_period_is_checked_against_a_shorter_release_of_the_quarters() -> None:
    """Release 1 published the third quarter: 30. Three people then counted in the second quarter
    (a longer period) must not be readable as 33 − 30 from the two releases' totals."""
    from defensor.reports.disclosure import CountSeries, protect_series
    from defensor.reports.publication import protect_all

    first = protect_series(CountSeries(labels=("2026-Q3",), counts=(30,)))
    longer = CountSeries(labels=("2026-Q2", "2026-Q3"), counts=(3, 30))
    protected, refused = protect_all({"quarter": longer}, [{"quarter": first}], threshold=10, base=5)

    if "quarter" in refused:
        return  # refused outright: nothing is shown, which is safe
    shown = protected["quarter"]
    assert shown.cells[0].value is None  # the three are hidden
    # and neither the new total nor the repeated quarter is shown exactly beside release 1's 30
    assert shown.total.value is None or shown.cells[1].value is None
    alone = protect_series(longer)  # without release 1, the total and the 30 are shown
    assert alone.total.value is not None


@pytest.mark.django_db
def test_an_empty_report_and_a_period_typed_wrong(anna: User, verified_client: Callable[[User], Client]) -> None:
    client = verified_client(anna)
    page = client.get("/staff/reports/?from=2030-Q9&to=abc").content.decode()
    assert _numbers(page, "district")["Всего"] == "0"
    assert "Создать выпуск" in page  # nothing waits to be prepared: a release of nothing is possible
    refused = client.post("/staff/reports/releases/", {"from": "x"}, follow=True).content.decode()
    assert "Выберите период выпуска." in refused
    assert not Release.objects.exists()


@pytest.mark.parametrize("zone", ["Europe/Moscow", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"])
def test_the_day_of_a_request_in_the_servers_time_zone(zone: str) -> None:
    """The report works out each request's local day itself (selectors._LocalDays), from SQLite's
    naive UTC times as from PostgreSQL's aware ones, clock changes included."""
    import random
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from defensor.reports.selectors import _LocalDays

    local_day = _LocalDays(ZoneInfo(zone))
    rng = random.Random(zone)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(3 * 365 * 86400)) for _ in range(3000)]
    moments += [datetime(2024, 3, 31, tzinfo=UTC) + timedelta(minutes=m) for m in range(0, 3 * 1440, 13)]
    moments += [datetime(2024, 10, 27, tzinfo=UTC) + timedelta(minutes=m) for m in range(0, 1440, 11)]
    for moment in moments:
        expected = moment.astimezone(ZoneInfo(zone)).date()
        assert local_day(moment.strftime("%Y-%m-%d %H:%M:%S.%f")) == expected
        assert local_day(moment.replace(tzinfo=None)) == expected  # SQLite: naive UTC
        assert local_day(moment) == expected
