"""Reading what a report counts, in the reader's session: plaintext links and dates, contact
digests, and report facts opened with the reader's index key (keys.facts). Nothing read here is
kept: the page computes, shows the protected numbers and forgets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.cases.models import CaseEvent, Claimant, ClaimantStatus, ClaimantStatusChange, EventKind
from defensor.core.errors import DefensorError
from defensor.intake.models import Status, Submission, SubmissionIndex
from defensor.intake.search import CONTACT, submission_facts_subject
from defensor.keys.facts import open_json, open_values
from defensor.keys.keyring import KeyRing, NoAccess
from defensor.keys.models import KeyKind, KeyMaterial
from defensor.people.models import Handle, Person
from defensor.reports.counting import ClaimRow, Counted, PersonRow, RequestRow, count_persons
from defensor.reports.disclosure import ProtectedSeries
from defensor.reports.models import Release
from defensor.reports.publication import earlier_from, protect_all, published_json
from defensor.reports.tables import Quarter, in_period, quarters, series_of


class ReportKeyMissing(DefensorError):
    user_message = _(
        "Reports are counted with the organisation's search key, which your account does not hold yet. "
        "It is passed on when a colleague who holds it next opens the workspace."
    )


def index_key(*, actor: User, keyring: KeyRing) -> tuple[KeyMaterial, bytes]:
    try:
        return keyring.current(actor.membership.organisation_id, KeyKind.INDEX)
    except NoAccess as error:
        raise ReportKeyMissing() from error


@dataclass(frozen=True)
class Gathered:
    counted: list[Counted]
    requests_waiting: int  # requests whose facts are not made with the current key yet
    records_waiting: int  # person records likewise (and not made by this reader: not shared with them)
    unreadable: int  # facts that did not open (damaged): counted without their values


def _raw_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A values_list query's rows as the database driver returns them, without Django's conversion
    of each value: at 100,000 requests turning ids into UUIDs and times into aware datetimes cost
    seconds. Ids are only compared with each other (``_uuid_text`` where their text is needed);
    times go through ``_LocalDays``."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _uuid_text(value: Any) -> str:
    """A UUID as text with hyphens, from what SQLite (32 hex digits) or PostgreSQL (a UUID) gives."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


class _LocalDays:
    """The day, in the server's time zone, of a stored time as the driver gives it: SQLite's
    naive UTC (or its text), PostgreSQL's aware datetime. For naive times the day's offset is
    worked out once per UTC day: converting 100,000 times one by one was a second of the report."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._days: dict[date, tuple[int, date, date, date] | None] = {}

    def __call__(self, value: Any) -> date:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else cast(datetime, value)
        if moment.tzinfo is not None:
            return moment.astimezone(self.zone).date()
        day = moment.date()
        if day not in self._days:
            self._days[day] = self._offsets(day)
        known = self._days[day]
        if known is None:  # the clocks change that day: each time on its own
            return moment.replace(tzinfo=UTC).astimezone(self.zone).date()
        offset, before, same, after = known
        minute = moment.hour * 60 + moment.minute + offset
        return before if minute < 0 else after if minute >= 1440 else same

    def _offsets(self, day: date) -> tuple[int, date, date, date] | None:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        first, last = (start.astimezone(self.zone).utcoffset(),
                       (start + timedelta(hours=23, minutes=59)).astimezone(self.zone).utcoffset())
        if first is None or first != last or first % timedelta(minutes=1):
            return None
        return (int(first.total_seconds()) // 60, day - timedelta(days=1), day, day + timedelta(days=1))


def _blank(value: str) -> str | None:
    return value or None


def persons_counted(*, actor: User, keyring: KeyRing) -> Gathered:
    """Every person of the actor's organisation, once (reports.counting)."""
    require_permission(actor, Perm.REPORTS_VIEW)
    organisation_id = actor.membership.organisation_id
    material, key = index_key(actor=actor, keyring=keyring)
    local_day = _LocalDays(timezone.get_current_timezone())

    person_rows = list(
        Person.objects.filter(organisation_id=organisation_id)
        .values_list("id", "record_uid", "created_at", "merged_into_id", "erased_at", "report_key_id", "report_facts")
    )
    made_people = [(f"people.person:{uid}", facts) for _pid, uid, _c, _m, _e, used, facts in person_rows
                   if used == material.pk and facts is not None]
    opened_people = iter(open_values(key, material_id=material.pk, sealed=made_people))
    people: list[PersonRow] = []
    records_waiting = unreadable = 0
    for pid, _uid, created, merged, erased, used, facts in person_rows:
        made = used == material.pk and facts is not None
        values = next(opened_people) if made else None
        if made and values is None:
            unreadable += 1
        if not made and erased is None and merged is None:
            records_waiting += 1
        record_facts = None if values is None else dict(zip(Person.REPORT_FACTS, map(_blank, values), strict=False))
        people.append(PersonRow(pid, timezone.localdate(created), merged, erased is not None, record_facts))

    request_rows = _raw_rows(
        Submission.objects.filter(organisation_id=organisation_id, withdrawn_at__isnull=True)
        .exclude(status=Status.SPAM)
        .values_list("id", "received_at", "person_id", "search_key_id", "report_facts")
    )
    current = {_uuid_text(material.pk), material.pk.hex}
    made_requests = [(submission_facts_subject(_uuid_text(sid)), facts) for sid, _r, _p, used, facts in request_rows
                     if facts is not None and (used in current or _uuid_text(used) in current)]
    opened_requests = iter(open_values(key, material_id=material.pk, sealed=made_requests))
    requests: list[RequestRow] = []
    requests_waiting = 0
    for sid, received, person, used, facts in request_rows:
        fresh = used is not None and (used in current or _uuid_text(used) in current)
        values = next(opened_requests) if fresh and facts is not None else None
        if fresh and facts is not None and values is None:
            unreadable += 1
        if not fresh:
            requests_waiting += 1
        opened: dict[str, Any] | None = None
        if values is not None and len(values) == 4:
            region, category, force, pressure = values
            opened = {"region": region or None, "service_category": category or None, "force": force or None,
                      "pressure": pressure.split(",") if pressure else []}
        requests.append(RequestRow(sid, local_day(received), person, opened))

    request_contacts = _raw_rows(
        SubmissionIndex.objects.filter(organisation_id=organisation_id, purpose=CONTACT).values_list(
            "submission_id", "digest"
        )
    )
    person_contacts = Handle.objects.filter(
        person__organisation_id=organisation_id, value_index__isnull=False
    ).values_list("person_id", "value_index")

    counted = count_persons(
        people=people,
        requests=requests,
        request_contacts=request_contacts,
        person_contacts=[(pid, digest) for pid, digest in person_contacts if digest],
        claims=_claims(organisation_id),
        incidents=CaseEvent.objects.filter(
            case__organisation_id=organisation_id, case__erased_at__isnull=True,
            kind=EventKind.PRESSURE, claimant__isnull=False,
        ).values_list("claimant__person_id", flat=True).distinct(),
    )
    return Gathered(counted, requests_waiting, records_waiting, unreadable)


def _claims(organisation_id: int) -> Iterable[ClaimRow]:
    rows = list(
        Claimant.objects.filter(case__organisation_id=organisation_id, case__erased_at__isnull=True)
        .filter(Q(folded__isnull=True))
        .exclude(status=ClaimantStatus.REMOVED)
        .values_list("id", "person_id", "status", "case_id", "case__created_at", "case__kind", "case__stage",
                     "case__outcome")
    )
    withdrawn = [cid for cid, _p, status, *_rest in rows if status == ClaimantStatus.WITHDRAWN]
    reasons: dict[int, str] = {}
    for claimant_id, reason in (
        ClaimantStatusChange.objects.filter(claimant_id__in=withdrawn, status=ClaimantStatus.WITHDRAWN)
        .order_by("claimant_id", "effective_on", "id").values_list("claimant_id", "reason")
    ):
        reasons[claimant_id] = reason  # the latest withdrawal of each claim
    for cid, person, status, case_id, created, kind, stage, outcome in rows:
        yield ClaimRow(
            person=person, case_created=created, case_id=case_id, kind=kind, stage=stage, outcome=outcome,
            open=status in (ClaimantStatus.ACTIVE, ClaimantStatus.PAUSED, ClaimantStatus.REINSTATED),
            withdrawal=reasons.get(cid, "") if status == ClaimantStatus.WITHDRAWN else None,
        )


def persons_waiting(*, actor: User, keyring: KeyRing, limit: int) -> list[int]:
    """Person records whose report facts are not made with the current index key (up to ``limit``)."""
    require_permission(actor, Perm.REPORTS_VIEW)
    material, _key = index_key(actor=actor, keyring=keyring)
    return list(
        Person.objects.filter(organisation_id=actor.membership.organisation_id, erased_at__isnull=True,
                              merged_into__isnull=True)
        .filter(Q(report_key__isnull=True) | ~Q(report_key=material))
        .values_list("id", flat=True)[:limit]
    )


def releases_of(*, actor: User) -> list[Release]:
    require_permission(actor, Perm.REPORTS_VIEW)
    return list(Release.objects.filter(organisation_id=actor.membership.organisation_id).select_related("created_by"))


def release_for(*, actor: User, number: int) -> Release:
    require_permission(actor, Perm.REPORTS_VIEW)
    return Release.objects.select_related("created_by").get(
        organisation_id=actor.membership.organisation_id, number=number
    )


@dataclass(frozen=True)
class Report:
    """A report as the page shows it and a release would publish it (no exact count is shown:
    ``protected`` keeps them only for making a release)."""

    first: Quarter
    last: Quarter
    choices: list[Quarter]  # the quarters a period can start or end at
    payload: dict[str, Any]  # publication.published_json
    protected: dict[str, ProtectedSeries]
    refused: list[str]  # tables that cannot be published for this period (every number hidden)
    requests_waiting: int
    records_waiting: int
    unreadable: int
    threshold: int
    base: int


def _today_quarter() -> Quarter:
    return Quarter.of(timezone.localdate())


def releases_opened(*, actor: User, keyring: KeyRing) -> list[dict[str, Any]]:
    """Every earlier release's sealed payload (publication and exact counts), oldest first."""
    opened = []
    for release in reversed(releases_of(actor=actor)):
        opened.append(release_payload(release=release, keyring=keyring))
    return opened


def release_payload(*, release: Release, keyring: KeyRing) -> dict[str, Any]:
    try:
        key = keyring.material(release.sealed_key_id)
    except NoAccess as error:
        raise ReportKeyMissing() from error
    payload = open_json(key, material_id=release.sealed_key_id, subject=release.facts_subject(), sealed=release.sealed)
    if payload is None:
        raise ReleaseUnreadable()
    return payload


class ReleaseUnreadable(DefensorError):
    user_message = _("This release's stored figures do not open: they were changed or damaged. Nothing is shown.")


def report_for(
    *, actor: User, keyring: KeyRing, first: Quarter | None = None, last: Quarter | None = None
) -> Report:
    """All tables for the persons whose first contact falls in ``first``…``last`` (default: from
    the first quarter with anyone to the present one), protected against every earlier release."""
    gathered = persons_counted(actor=actor, keyring=keyring)
    today = _today_quarter()
    earliest = min((Quarter.of(p.first_contact) for p in gathered.counted), default=today)
    earliest = min(earliest, today)
    choices = quarters(earliest, today)
    first = first if first is not None and earliest <= first <= today else earliest
    last = last if last is not None and first <= last <= today else today
    period = quarters(first, last)
    threshold, base = settings.DEFENSOR_REPORT_THRESHOLD, settings.DEFENSOR_REPORT_ROUNDING
    earlier = [earlier_from(payload) for payload in releases_opened(actor=actor, keyring=keyring)]
    protected, refused = protect_all(
        series_of(in_period(gathered.counted, first, last), period), earlier, threshold=threshold, base=base
    )
    return Report(
        first=first, last=last, choices=choices,
        payload=published_json(protected, threshold=threshold, base=base), protected=protected, refused=refused,
        requests_waiting=gathered.requests_waiting, records_waiting=gathered.records_waiting,
        unreadable=gathered.unreadable, threshold=threshold, base=base,
    )
