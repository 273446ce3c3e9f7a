"""The case pages with 100,000 cases: server time of the case list, of a 500-claimant roster, of the
overview with its due dates and of the calendar feed, the daily reminder run, and queries per page.

A lawyer's session (password, TOTP and an unlocked key ring, production key-derivation cost) asks
for the pages through the whole middleware stack. The case list decrypts its 25 titles (each case
under its own data key) and counts the claimants of those 25; the roster decrypts every claimant's
name from their own person record, reads each claimant's latest status change and dismissal
order, and records the read in the audit log.

Cases are written in bulk the way case_open and claimant_add write them (bench.dedupe.bulk_people
does the same for people): each case has its own data key (a RECORD KeyMaterial) sealed to the
lawyer and to the recovery key, its title, summary and court sealed under it; each claimant has a
status history (an ACTIVE line, then any withdrawal, pause, reinstatement or dismissal, sealed
notes under the case's key). A tenth of the cases are group claims of 2-8 claimants, most others
have one; claimants are drawn from a pool of people. The two roster cases (500 and 12 claimants)
have their own people, a mix of statuses, reasons and dismissal orders.

Each event has the Deadline rows event_deadlines_recompute would write (the rules of its case's
kind, counted on the same working-day calendar), met as case_deadlines_settle would mark them. Some
cases also have a lawyer's request (an eighth) or a court decision (a twelfth) of the last 900 days;
a group claim with dismissal orders is filed some weeks after the last one. Most periods are met in
time: the reply received, the appeal lodged (or, for half the decisions, marked met by hand: no
appeal), the claim filed; one in two hundred is never met. So at 100,000 cases about 600 due dates
are pending, half of them overdue or due within the overview's 14 days (it lists up to 30 coming
and the 10 most recent missed).

Figures (bench/results/cases.json):
  case_list_ms_1k             median server time of the first page of the case list at 1,000 cases
  case_list_ms_100k           the same at 100,000 cases (most recently changed first, 25 a page)
  case_list_ms_100k_deep      page 2,000 at 100,000 cases (OFFSET pagination far down the list)
  roster_ms_12                the roster of a 12-claimant group claim (at 100,000 cases)
  roster_ms_500               the roster of a 500-claimant group claim (at 100,000 cases)
  home_page_ms                the staff overview page through the same stack (the baseline of the
                              other benchmarks; it now shows the lawyer's dashboard, which reads
                              their cases too, so it grows with them, their due dates overdue and
                              within 14 days, and their unseen reminders after the day's run)
  queries_per_page_home       database queries for the overview at 100,000 cases
  feed_ms_100k                the lawyer's iCalendar feed (/feeds/deadlines/<token>.ics, every
                              pending due date from 60 days back to 400 ahead) at 100,000 cases
  reminders_run_ms_100k       the day's reminder run (deadline_reminders_send), its first run on the
                              day: every reminder made anew
  due_pending_100k            due dates (case, rule, date) pending for the lawyer at 100,000 cases
  due_overview_100k           of those, overdue or due within 14 days (the overview shows 30 + 10)
  feed_events_100k            VEVENTs in the feed (checked against the plan)
  reminders_made_100k         reminders made by the run (checked against the plan)
  case_list_vs_home_ratio     case_list_ms_100k / home_page_ms
  roster_vs_home_ratio        roster_ms_500 / home_page_ms
  account_page_ms             the account page through the same stack (reads no case: a baseline
                              that does not grow with the cases)
  case_list_vs_account_ratio  case_list_ms_100k / account_page_ms
  roster_vs_account_ratio     roster_ms_500 / account_page_ms
  home_vs_account_ratio       home_page_ms / account_page_ms
  feed_vs_account_ratio       feed_ms_100k / account_page_ms
  reminders_vs_account_ratio  reminders_run_ms_100k / account_page_ms
  queries_per_page            database queries for one case list page at 100,000 cases
  queries_per_page_1k         the same at 1,000 cases (must be equal: no query per row)
  queries_per_page_roster_500 queries for the 500-claimant roster
  queries_per_page_roster_12  the same for 12 claimants (must be equal: no query per claimant)
  build_s_100k                time to write the 100,000 cases (bulk, with all the crypto, events and
                              due dates)
Quick mode: 7 timed requests a page; BENCH_FULL=1: 15.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bench.common import FULL, cleanup, page_ms, page_queries, print_table, setup_django, write_results
from bench.dedupe import Population, Team, bulk_people, make_team, stored_identity

if TYPE_CHECKING:
    from django.db.models import Model
    from django.test import Client

SEED = 20261130
SIZES = (1_000, 100_000)
ROSTERS = (12, 500)
POOL = 5_000  # people the ordinary cases' claimants are drawn from
GROUP_SHARE = 0.1
BATCH = 5_000
REQUEST_SHARE = 0.125  # cases with a lawyer's request
DECISION_SHARE = 0.08  # cases with a court decision
HISTORY_DAYS = 900  # how far back those events go
NEVER_MET = 0.005  # a period no one recorded as met: overdue for good
EVENT_TEXTS = {"lawyer_request": "Адвокатский запрос командиру части о выдаче копий приказов",
               "reply_received": "Получен ответ на адвокатский запрос", "decision": "Решение суда первой инстанции",
               "appeal": "Подана апелляционная жалоба", "filing": "Административный иск подан в суд"}

COURTS = ["235-й гарнизонный военный суд", "Московский гарнизонный военный суд", "2-й Западный окружной военный суд",
          "Ленинградский окружной военный суд", "Южный окружной военный суд", "Центральный окружной военный суд"]
TITLES = ["Обжалование отказа в увольнении с военной службы", "Оспаривание приказа о продлении контракта",
          "Обжалование отказа в замене военной службы альтернативной гражданской",
          "Защита по делу об оставлении части", "Оспаривание решения аттестационной комиссии",
          "Взыскание невыплаченного денежного довольствия", "Обжалование отказа в предоставлении отпуска"]
NOTES = ["Сообщил, что командир угрожал уголовным делом.", "Родственники настаивают на отзыве иска.",
         "Отказался без объяснения причин.", "Переведён в другую часть, связь через сестру."]


@dataclass
class ClaimantPlan:
    person_id: int
    # (status, since, withdrawal reason, sealed note), oldest first; the first line is ACTIVE.
    history: list[tuple[str, date, str, str | None]]
    last_contact_on: date
    dismissal_on: date | None


@dataclass
class EventPlan:
    """An event of the whole case (a lawyer's request, a decision, and what meets their periods)."""

    kind: str
    happened_on: date
    marked_on: date | None = None  # its due dates marked met by hand on this day


@dataclass
class CasePlan:
    number: str
    kind: str
    stage: str
    group: bool
    title: str
    summary: str
    court: str | None
    court_number: str | None
    updated_at: datetime
    claimants: list[ClaimantPlan] = field(default_factory=list)
    events: list[EventPlan] = field(default_factory=list)


def claimant_plan(person_id: int, rng: random.Random, today: date, *, group: bool) -> ClaimantPlan:
    """A claimant's story: in a group claim a quarter leave, pause, come back or are dismissed."""
    from defensor.cases.models import PRESSURE_REASONS, ClaimantStatus, WithdrawalReason

    joined = today - timedelta(days=rng.randrange(30, 900))
    history: list[tuple[str, date, str, str | None]] = [(ClaimantStatus.ACTIVE, joined, "", None)]
    roll = rng.random() if group else 1.0
    since = joined + timedelta(days=rng.randrange(1, 29))
    if roll < 0.12:
        reason = rng.choice([WithdrawalReason.VOLUNTARY, *PRESSURE_REASONS])
        note = rng.choice(NOTES) if rng.random() < 0.5 else None
        history.append((ClaimantStatus.WITHDRAWN, since, reason, note))
    elif roll < 0.16:
        history.append((ClaimantStatus.WITHDRAWN, since, WithdrawalReason.COMMAND, rng.choice(NOTES)))
        history.append((ClaimantStatus.REINSTATED, since + timedelta(days=rng.randrange(1, 60)), "", None))
    elif roll < 0.21:
        history.append((ClaimantStatus.PAUSED, since, "", None))
    elif roll < 0.27:
        history.append((ClaimantStatus.DISMISSED, since, "", None))
    dismissal = joined - timedelta(days=rng.randrange(1, 90)) if group and rng.random() < 0.4 else None
    # Spoken with since, or never since they were added (which counts as their last contact).
    contact = today - timedelta(days=rng.randrange(0, 120)) if rng.random() < 0.8 else joined
    return ClaimantPlan(person_id, history, max(contact, joined), dismissal)


def case_plan(serial: int, rng: random.Random, today: date, people: list[int], claimants: int | None = None
              ) -> CasePlan:
    """An ordinary case (``claimants`` None: a tenth are group claims of 2-8, most others one
    claimant, some none yet) or a group claim of exactly ``claimants`` of ``people``."""
    from django.utils import timezone

    from defensor.cases.models import CaseKind, CaseStage

    if claimants is None:
        group = rng.random() < GROUP_SHARE
        count = rng.randint(2, 8) if group else (1 if rng.random() < 0.9 else 0)
        chosen = rng.sample(people, count)
    else:
        group, chosen = True, people[:claimants]
    year = 2019 + serial % 8
    court = rng.choice(COURTS) if rng.random() < 0.7 else None
    return CasePlan(
        number=f"{year}-{serial // 8 + 1:04d}",
        kind=rng.choice([CaseKind.MILITARY_ADMIN] * 5 + [CaseKind.SPECIAL_RANK, CaseKind.CRIMINAL, CaseKind.OBJECTION,
                                                         CaseKind.OTHER]),
        stage=rng.choice(list(CaseStage)),
        group=group,
        title=f"{rng.choice(TITLES)}{' (групповой иск)' if group else ''}, в/ч {rng.randrange(10000, 99999)}",
        summary=" ".join(rng.choice(NOTES) for _ in range(3)),
        court=court,
        court_number=f"2а-{rng.randrange(1, 3000)}/{year}" if court else None,
        updated_at=timezone.now() - timedelta(seconds=rng.randrange(3 * 365 * 86400)),
        claimants=[claimant_plan(pk, rng, today, group=group) for pk in chosen],
    )


def case_events(plan: CasePlan, rng: random.Random, today: date) -> list[EventPlan]:
    """The case's own events: a lawyer's request and its reply, a decision and the appeal lodged
    (or no appeal: its period marked met by hand), the group claim filed after its dismissal
    orders. A reply or filing still to come, or never recorded (NEVER_MET), leaves a period pending.
    Drawn from their own ``rng``, so the cases, claimants and dismissal orders stay as they were."""
    from defensor.cases.models import EventKind

    def kept(start: date, low: int, high: int) -> date | None:
        """The day the period was met, ``low``-``high`` days after ``start``, if that has come."""
        met = start + timedelta(days=rng.randrange(low, high))
        return met if met <= today and rng.random() >= NEVER_MET else None

    events = []
    if rng.random() < REQUEST_SHARE:
        sent = today - timedelta(days=rng.randrange(HISTORY_DAYS))
        events.append(EventPlan(EventKind.LAWYER_REQUEST, sent))
        if (replied := kept(sent, 5, 40)) is not None:  # now and then after the 30 days
            events.append(EventPlan(EventKind.REPLY_RECEIVED, replied))
    if rng.random() < DECISION_SHARE:
        decision = EventPlan(EventKind.DECISION, today - timedelta(days=rng.randrange(HISTORY_DAYS)))
        events.append(decision)
        if (settled := kept(decision.happened_on, 3, 30)) is not None:
            if rng.random() < 0.5:
                events.append(EventPlan(EventKind.APPEAL, settled))
            else:
                decision.marked_on = settled
    dismissed = [story.dismissal_on for story in plan.claimants if story.dismissal_on is not None]
    if dismissed and (filed := kept(max(dismissed), 5, 80)) is not None:
        events.append(EventPlan(EventKind.FILING, filed))
    return events


@contextmanager
def _history_kept(model: type[Model], name: str) -> Iterator[None]:
    """Insert the value given to an auto_now field (a case last changed months ago), not "now":
    bulk_create would stamp every case with the moment of the insert, and a bulk_update after it
    costs a quarter of the build."""
    from django.db.models import DateTimeField

    stamp = model._meta.get_field(name)
    assert isinstance(stamp, DateTimeField)
    stamp.auto_now = False
    try:
        yield
    finally:
        stamp.auto_now = True


Pending = set[tuple[int, str, date]]  # (case, rule, due date): a row of the overview and of the feed


def bulk_cases(team: Team, plans: list[CasePlan], pending: Pending | None = None) -> list[int]:
    """Case, Claimant, ClaimantStatusChange, CaseEvent and Deadline rows, each case under its own
    data key sealed to the lawyer and to recovery (as case_open, claimant_add, claimants_status_set
    and case_event_add write them, without the audit log). Each event's due dates are those
    event_deadlines_recompute computes (rules_started, deadline_values), met as case_deadlines_settle
    marks them (meeting_events) or by hand, as deadline_mark_met. Returns the case ids, in order;
    adds the lawyer's pending due dates to ``pending``, worked out from the plan (what the overview
    and the feed must show)."""
    from django.db import transaction

    from defensor.cases.models import (
        OPEN_STATUSES,
        Case,
        CaseEvent,
        CaseStage,
        Claimant,
        ClaimantStatusChange,
        EventKind,
    )
    from defensor.cases.procedures import procedure_for
    from defensor.deadlines.calendar import calendar_from_database
    from defensor.deadlines.models import Deadline
    from defensor.deadlines.services import deadline_values, meeting_events, rules_started
    from defensor.keys import crypto
    from defensor.keys.models import KeyGrant, KeyKind, KeyMaterial
    from defensor.keys.records import RecordSealer

    materials, grants, cases, sealers = [], [], [], []
    for plan in plans:
        key = crypto.random_key()
        material = KeyMaterial(id=uuid.uuid4(), organisation=team.organisation, kind=KeyKind.RECORD)
        materials.append(material)
        grants.append(KeyGrant(material=material, user=team.lawyer, wrapped=crypto.seal(team.user_public, key)))
        grants.append(KeyGrant(material=material, for_recovery=True, wrapped=crypto.seal(team.recovery_public, key)))
        case = Case(organisation=team.organisation, number=plan.number, opened_by=team.lawyer, group=plan.group,
                    kind=plan.kind, stage=plan.stage)
        sealer = RecordSealer(material=material, key=key)
        case.encrypt(sealer, title=plan.title, summary=plan.summary, court=plan.court, court_number=plan.court_number)
        case.updated_at = plan.updated_at
        cases.append(case)
        sealers.append(sealer)
    with transaction.atomic():
        working = calendar_from_database()
        KeyMaterial.objects.bulk_create(materials, batch_size=2000)
        KeyGrant.objects.bulk_create(grants, batch_size=2000)
        with _history_kept(Case, "updated_at"):
            Case.objects.bulk_create(cases, batch_size=2000)
        claimants, stories = [], []
        for case, plan in zip(cases, plans, strict=True):
            for story in plan.claimants:
                status, since, _, _ = story.history[-1]
                claimants.append(Claimant(case=case, person_id=story.person_id, status=status, status_on=since,
                                          last_contact_on=story.last_contact_on, added_by=team.lawyer))
                stories.append(story)
        Claimant.objects.bulk_create(claimants, batch_size=2000)
        changes = []
        # Each case's events, with the day their due dates were marked met by hand (if they were).
        events: dict[int, list[tuple[CaseEvent, date | None]]] = {case.pk: [] for case in cases}
        sealer_of = {case.pk: sealer for case, sealer in zip(cases, sealers, strict=True)}
        for claimant, story in zip(claimants, stories, strict=True):
            sealer = sealer_of[claimant.case_id]
            previous = ""
            for status, since, reason, note in story.history:
                change = ClaimantStatusChange(claimant=claimant, status=status, previous=previous, effective_on=since,
                                              reason=reason, recorded_by=team.lawyer)
                change.encrypt(sealer, note=note)
                changes.append(change)
                previous = status
            if story.dismissal_on is not None:
                event = CaseEvent(case_id=claimant.case_id, claimant=claimant, kind=EventKind.DISMISSAL_ORDER,
                                  happened_on=story.dismissal_on, recorded_by=team.lawyer)
                event.encrypt(sealer, text="Приказ об исключении из списков части")
                events[claimant.case_id].append((event, None))
        for case, plan, sealer in zip(cases, plans, sealers, strict=True):
            for planned in plan.events:
                event = CaseEvent(case=case, kind=planned.kind, happened_on=planned.happened_on,
                                  recorded_by=team.lawyer)
                event.encrypt(sealer, text=EVENT_TEXTS[planned.kind])
                events[case.pk].append((event, planned.marked_on))
        ClaimantStatusChange.objects.bulk_create(changes, batch_size=2000)
        CaseEvent.objects.bulk_create([event for found in events.values() for event, _ in found], batch_size=2000)
        open_claimants = {claimant.pk for claimant in claimants if claimant.status in OPEN_STATUSES}
        deadlines = []
        for case in cases:
            rule_set = procedure_for(case.kind).deadline_rules
            made: list[tuple[Deadline, date | None]] = []
            for event, marked_on in events[case.pk]:
                made += [(Deadline(event=event, rule_id=rule.id, **deadline_values(rule, event, working)), marked_on)
                         for rule in rules_started(rule_set=rule_set, event=event)]
            if not made:
                continue
            # Rows in the order bulk_create numbers them, as meeting_events breaks ties.
            met = meeting_events([deadline for deadline, marked_on in made if marked_on is None],
                                 [event for event, _ in events[case.pk]])
            for deadline, marked_on in made:
                meeting = met.get((deadline.event_id, deadline.rule_id))
                if marked_on is not None:
                    deadline.met_on, deadline.met_by = marked_on, team.lawyer
                elif meeting is not None:
                    deadline.met_on, deadline.met_event = meeting.happened_on, meeting
                deadlines.append(deadline)
                if (pending is not None and deadline.met_on is None and case.stage != CaseStage.CLOSED
                        and (deadline.claimant_id is None or deadline.claimant_id in open_claimants)):
                    pending.add((case.pk, deadline.rule_id, deadline.due_on))
        Deadline.objects.bulk_create(deadlines, batch_size=2000)
    return [case.pk for case in cases]


def new_people(team: Team, population: Population, count: int) -> list[int]:
    ids: list[int] = []
    while len(ids) < count:
        batch = min(BATCH, count - len(ids))
        ids += bulk_people(team, [stored_identity(population.person(), population.rng) for _ in range(batch)])
    return ids


def signed_in(team: Team) -> Client:
    """A client logged in as the lawyer with a TOTP device and the key ring unlocked (the
    private key opened with the password, as at login), like bench.inbox."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from defensor.keys.keyring import KEYRING_COOKIE, SESSION_FIELD, cookie_value, session_halves

    device = TOTPDevice.objects.create(user=team.lawyer, name="bench", confirmed=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(team.lawyer, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    stored, secret = session_halves(team.lawyer.pk, team.lawyer_private)
    session[SESSION_FIELD] = stored
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.cookies[KEYRING_COOKIE] = cookie_value(secret)
    client.cookies[KEYRING_COOKIE]["path"] = "/staff/"
    return client


def _all_shown(client: Client, path: str, rows: int, team: Team) -> None:
    """The page really shows what is measured: every row, decrypted (no placeholder where a title
    or a name should be)."""
    from django.utils import translation

    text = client.get(path).content.decode()
    shown = text.count('data-testid="roster-row"') + text.count('data-testid="case-row"')
    with translation.override(team.lawyer.language):
        placeholders = [translation.gettext("record not shared with you"),
                        f'<span class="kv">{translation.gettext("encrypted")}</span>']
    if shown != rows or any(p in text for p in placeholders):
        raise RuntimeError(f"{path}: {shown} rows shown of {rows}, or some not decrypted")


def _due_shown(client: Client, path: str, rows: int) -> None:
    """The overview really lists the due dates it should (up to its 30 rows)."""
    text = client.get(path).content.decode()
    shown = text.count('data-testid="due-date"')
    if shown != rows:
        raise RuntimeError(f"{path}: {shown} due dates shown of {rows}")


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone

    from defensor.deadlines.feed import FEED_AHEAD_DAYS, FEED_PAST_DAYS, FEED_ROWS
    from defensor.deadlines.selectors import OVERDUE_ROWS, OVERVIEW_DAYS, OVERVIEW_ROWS
    from defensor.deadlines.services import calendar_feed_issue, deadline_reminders_send

    rounds = 15 if FULL else 7
    rng = random.Random(SEED)
    events_rng = random.Random(SEED + 1)
    population = Population(rng)
    today = timezone.localdate()
    started = time.perf_counter()
    team = make_team()
    client = signed_in(team)
    pool = new_people(team, population, POOL)
    pending: Pending = set()

    def planned(serial: int, people: list[int], claimants: int | None = None) -> CasePlan:
        plan = case_plan(serial, rng, today, people, claimants)
        plan.events = case_events(plan, events_rng, today)
        return plan

    serial = 0
    rosters: dict[int, int] = {}
    for size in ROSTERS:
        people = new_people(team, population, size)
        (rosters[size],) = bulk_cases(team, [planned(serial, people, claimants=size)], pending)
        serial += 1
    print(f"people and roster cases written in {time.perf_counter() - started:.0f} s", flush=True)
    figures: dict[str, float | int] = {}
    for size in SIZES:
        start = time.perf_counter()
        while serial < size:
            count = min(BATCH, size - serial)
            bulk_cases(team, [planned(serial + n, pool) for n in range(count)], pending)
            serial += count
        label = "1k" if size == 1_000 else "100k"
        if size == 100_000:
            figures["build_s_100k"] = round(time.perf_counter() - start, 1)
        print(f"{size} cases written in {time.perf_counter() - start:.0f} s", flush=True)
        _all_shown(client, "/staff/cases/", 25, team)
        figures[f"queries_per_page_{label}"] = page_queries(client, "/staff/cases/")
        figures[f"case_list_ms_{label}"] = round(page_ms(client, "/staff/cases/", rounds), 1)
    figures["case_list_ms_100k_deep"] = round(page_ms(client, "/staff/cases/?page=2000", rounds), 1)
    for size, case_id in rosters.items():
        path = f"/staff/cases/{case_id}/roster/"
        _all_shown(client, path, size, team)
        figures[f"queries_per_page_roster_{size}"] = page_queries(client, path)
        figures[f"roster_ms_{size}"] = round(page_ms(client, path, rounds), 1)
    figures["queries_per_page"] = figures.pop("queries_per_page_100k")

    # Due dates. The day's reminder run first (nothing reminded yet: every reminder is new), so the
    # overview is measured as the team sees it after the run, with its reminders.
    def within(first: date, last: date) -> Pending:
        return {row for row in pending if first <= row[2] <= last}

    figures["due_pending_100k"] = len(pending)
    figures["due_overview_100k"] = len(within(date.min, today + timedelta(days=OVERVIEW_DAYS)))
    upcoming = len(within(today, today + timedelta(days=OVERVIEW_DAYS)))
    overdue = len(within(date.min, today - timedelta(days=1)))
    start = time.perf_counter()
    made = deadline_reminders_send(today=today)
    figures["reminders_run_ms_100k"] = round((time.perf_counter() - start) * 1000, 1)
    reminded = len(within(today, today + timedelta(days=max(settings.DEFENSOR_REMIND_DAYS, default=0))))
    if made != reminded:
        raise RuntimeError(f"reminder run: {made} reminders made, {reminded} due dates to remind of")
    figures["reminders_made_100k"] = made
    # The coming ones (up to 30), then the most recent missed ones (up to 10), in two lists.
    _due_shown(client, "/staff/", min(upcoming, OVERVIEW_ROWS) + min(overdue, OVERDUE_ROWS))
    figures["queries_per_page_home"] = page_queries(client, "/staff/")
    feed = reverse("feeds:deadlines", args=[calendar_feed_issue(user=team.lawyer)])
    events = client.get(feed).content.count(b"BEGIN:VEVENT")
    expected = min(len(within(today - timedelta(days=FEED_PAST_DAYS), today + timedelta(days=FEED_AHEAD_DAYS))),
                   FEED_ROWS)
    if events != expected:
        raise RuntimeError(f"{feed}: {events} VEVENTs, {expected} due dates expected")
    figures["feed_events_100k"] = events
    figures["feed_ms_100k"] = round(page_ms(client, feed, rounds), 1)

    for baseline, path in (("home", "/staff/"), ("account", "/staff/account/")):
        baseline_ms = figures[f"{baseline}_page_ms"] = round(page_ms(client, path, rounds), 1)
        figures[f"case_list_vs_{baseline}_ratio"] = round(figures["case_list_ms_100k"] / baseline_ms, 1)
        figures[f"roster_vs_{baseline}_ratio"] = round(figures["roster_ms_500"] / baseline_ms, 1)
    account_ms = figures["account_page_ms"]
    for name, measured in (("home", "home_page_ms"), ("feed", "feed_ms_100k"), ("reminders", "reminders_run_ms_100k")):
        figures[f"{name}_vs_account_ratio"] = round(figures[measured] / account_ms, 1)
    write_results("cases", figures)
    print_table("case pages (100,000 cases, 25 a page; rosters of 12 and 500 claimants; due dates)",
                [(k, str(v)) for k, v in figures.items()])
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    if (figures["queries_per_page"], figures["queries_per_page_roster_500"]) != (
        figures["queries_per_page_1k"], figures["queries_per_page_roster_12"]
    ):
        print("queries per page grow with the rows: a query runs once per row", file=sys.stderr)
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
