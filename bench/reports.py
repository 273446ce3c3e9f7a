"""The reports page with 100,000 requests: server time of the page once every request is prepared,
against the inbox page on the same data, the queries it runs and what preparing costs.

A lawyer's session (password, TOTP and an unlocked key ring, production key-derivation cost, as in
bench.inbox) asks for GET /staff/reports/ through the whole middleware stack. The page counts every
person once (requests joined by their contact digests and by the person records they were accepted
into), opens each request's and each record's sealed report facts with the key derived from the
index key, builds every table (quarter, federal district, service, force, case kind, stage and
outcome, withdrawal reasons, kinds of pressure), runs disclosure control on each and draws the charts.

The data: requests sealed one by one as bench.inbox seals them, received over the last two years
(more of them lately), from every region of the region list (Zipf-weighted in a fixed shuffled
order: a few regions send most requests, many send a handful), with varied service categories,
forces and kinds of pressure. A tenth of the writers write twice from the same phone (written
another way), weeks later; one in twenty writes spam only. Three in a hundred writers were accepted
into person records (bench.dedupe.bulk_people, their service, force and region filled in as on
accept), put in cases (bench.cases.case_plan and bulk_cases: a tenth group claims, some claimants
withdrawn with their reasons) and for some claimants a pressure incident recorded (a "pressure"
CaseEvent with the claimant, its text sealed under the case's key).

Figures (bench/results/reports.json):
  report_ms_1k               median server time of the reports page at 1,000 requests (all prepared)
  report_ms_100k             the same at 100,000 requests
  inbox_page_ms_100k         the inbox's first page in the same run, on the same data
  report_vs_inbox_ratio      report_ms_100k / inbox_page_ms_100k
  report_queries_1k          database queries of one reports page at 1,000 requests
  report_queries_100k        the same at 100,000 (must be equal or nearly: no query per row)
  report_prepare_ms_per_1k   preparing per 1,000 new requests (what the first views do, through
                             reports.services.report_prepare: search digests and sealed report facts
                             of every request, report facts of the new person records), measured
                             while preparing the 99,000 requests added after the first 1,000
  persons_counted_1k, persons_counted_100k   persons the report counts (checked: every writer who
                             sent anything but spam, once)
  records_100k, cases_100k   person records and cases at 100,000 requests
No memory figure: bench.common has no RSS helper.
Quick mode: 7 timed requests a page; BENCH_FULL=1: 15.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench.cases import bulk_cases, case_plan
from bench.common import FULL, cleanup, page_ms, page_queries, print_table, setup_django, write_results
from bench.dedupe import Team, _phone_written, bulk_people
from bench.inbox import PASSWORD, _lawyer, _surname

if TYPE_CHECKING:
    from defensor.accounts.models import User
    from defensor.core.models import Organisation
    from defensor.keys.keyring import KeyRing
    from defensor.keys.models import KeyMaterial

SEED = 20261203
SIZES = (1_000, 100_000)
HISTORY_DAYS = 730  # requests received over the last two years (about eight quarters)
TWICE_SHARE = 0.1  # writers who write again from the same phone
SPAM_SHARE = 0.05  # writers who send spam only (not counted)
ACCEPTED_SHARE = 0.03  # writers accepted into a person record
CASES_PER_RECORD = 0.9  # cases opened per new person record (claimants drawn from all records)
PRESSURE_SHARE = 0.08  # claimants with a pressure incident recorded
REGION_EXPONENT = 1.2
BATCH = 2_000

SERVICE_CATEGORIES = {"contract": 45, "mobilised": 30, "conscript": 10, "special_rank": 10, "other": 5}
FORCES = {"army": 75, "rosgvardia": 18, "other": 7}
PRESSURE_KINDS = {"command": 50, "family": 25, "police": 12, "criminal_threats": 10, "other": 3}
STATUSES = ["new"] * 4 + ["in_review", "needs_info", "rejected", "referred"]
INCIDENTS = ["Командир угрожал уголовным делом за отказ.", "Родственникам звонили из военкомата.",
             "Вызывали в отдел полиции для «беседы».", "Требовали отозвать иск."]


@dataclass
class Writer:
    n: int  # serial: the surname and phone number
    phone: str  # ten national digits
    answers: dict[str, Any]  # what differs from the default answers
    received: list[datetime]  # one request per date
    spam: bool
    accepted: bool
    person_id: int | None = None


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _region_weights(rng: random.Random) -> tuple[list[str], list[float]]:
    """Every region code, in a fixed shuffled order, with Zipf weights."""
    from defensor.intake.questionnaire import regions

    codes = [region.code for region in regions()]
    rng.shuffle(codes)
    return codes, [1 / rank**REGION_EXPONENT for rank in range(1, len(codes) + 1)]


def plan_writers(count: int, start: int, rng: random.Random, now: datetime,
                 region_weights: tuple[list[str], list[float]]) -> list[Writer]:
    """Writers of exactly ``count`` requests (serials from ``start``)."""
    writers: list[Writer] = []
    made, n = 0, start
    while made < count:
        first = now - timedelta(days=rng.triangular(0, HISTORY_DAYS, 0), seconds=rng.randrange(86400))
        received = [first]
        if made + 1 < count and rng.random() < TWICE_SHARE:
            received.append(min(first + timedelta(days=rng.randrange(1, 120), seconds=rng.randrange(86400)),
                                now - timedelta(minutes=1)))
        pressure = ["none"] if rng.random() < 0.55 else sorted(
            {_weighted(rng, PRESSURE_KINDS) for _ in range(rng.choice([1, 1, 1, 2, 3]))}
        )
        answers = {
            "service_category": _weighted(rng, SERVICE_CATEGORIES),
            "force": _weighted(rng, FORCES),
            "service_region": rng.choices(*region_weights)[0] if rng.random() > 0.03 else "",
            "unit": f"в/ч {rng.randrange(10000, 99999)}",
            "pressure": pressure,
        }
        spam = rng.random() < SPAM_SHARE
        writers.append(Writer(n=n, phone=f"9{n:09d}", answers=answers, received=received, spam=spam,
                              accepted=not spam and rng.random() < ACCEPTED_SHARE))
        made += len(received)
        n += 1
    return writers


def _records(team: Team, keyring: KeyRing, writers: list[Writer], now: datetime) -> list[int]:
    """Person records of the accepted writers, as accepting their request makes them: the name and
    phone, then service, force and region carried from the answers (sealed under each record's key),
    created some days after the request. Their report facts are left for report_prepare."""
    from defensor.people.matching import Identity
    from defensor.people.models import Person

    accepted = [w for w in writers if w.accepted]
    if not accepted:
        return []
    ids = bulk_people(team, [
        Identity(full_name=f"{_surname(w.n)} Иван {w.n}", surname=_surname(w.n), unit=str(w.answers["unit"]),
                 phones=(f"+7 {w.phone}",))
        for w in accepted
    ])
    people = Person.objects.in_bulk(ids)
    keyring.prefetch(person.data_key_id for person in people.values())
    materials = _materials([person.data_key_id for person in people.values()])
    rng = random.Random(SEED + len(ids))
    for writer, pk in zip(accepted, ids, strict=True):
        writer.person_id = pk
        person = people[pk]
        sealer = _sealer(keyring, materials[person.data_key_id])
        person.encrypt(sealer, service_category=writer.answers["service_category"], force=writer.answers["force"],
                       region=writer.answers["service_region"] or None)
        person.created_at = min(writer.received[0] + timedelta(days=rng.randrange(1, 20)), now)
    Person.objects.bulk_update(list(people.values()), ["service_category", "force", "region", "created_at"],
                               batch_size=500)
    return ids


def _materials(ids: list[Any]) -> dict[Any, KeyMaterial]:
    from defensor.keys.models import KeyMaterial

    return KeyMaterial.objects.in_bulk(ids)


def _sealer(keyring: KeyRing, material: KeyMaterial) -> Any:
    from defensor.keys.records import RecordSealer

    return RecordSealer(material=material, key=keyring.material(material.pk))


def seal_requests(writers: list[Writer], organisation: Organisation, intake_key: KeyMaterial, assignee: User,
                  rng: random.Random) -> None:
    """Each writer's requests, sealed one by one as bench.inbox._seal_requests seals them (the
    default answers with the writer's own name, phone, service, force, region, unit and pressure)."""
    from defensor.intake.models import Status, Submission
    from defensor.intake.services import _aad
    from defensor.keys import crypto
    from tests.intake_visitor import DEFAULT_ANSWERS

    default = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}
    public_key = bytes(intake_key.public_key or b"")
    batch = []
    for writer in writers:
        for number, received in enumerate(writer.received):
            pk = uuid.uuid4()
            data_key = crypto.random_key()
            # The second request gives the same phone written another way (the digest is the same).
            phone = f"+7 {writer.phone}" if number == 0 else _phone_written(writer.phone, rng)
            answers = {**default, **writer.answers, "full_name": f"{_surname(writer.n)} Иван {writer.n}",
                       "phone": phone}
            payload = json.dumps({"answers": answers}, ensure_ascii=False)
            accepted = writer.person_id is not None and number == 0
            status = Status.SPAM if writer.spam else Status.ACCEPTED if accepted else rng.choice(STATUSES)
            batch.append(Submission(
                id=pk, organisation=organisation, intake_key=intake_key, questionnaire="refusal",
                questionnaire_version=2, language="ru", received_at=received,
                sealed_key=crypto.seal(public_key, data_key),
                answers=crypto.encrypt(data_key, payload.encode(), aad=_aad(pk, "answers")),
                reply_key=crypto.encrypt(data_key, crypto.random_key(), aad=_aad(pk, "reply_key")),
                status=status, urgency=rng.choice([0, 0, 0, 1, 1, 2, 3]),
                respond_by=(received + timedelta(days=rng.randrange(10, 90))).date() if rng.random() < 0.4 else None,
                assigned_to=assignee if rng.random() < 0.1 else None,
                person_id=writer.person_id if accepted else None,
            ))
            if len(batch) == BATCH:
                Submission.objects.bulk_create(batch)
                batch = []
    Submission.objects.bulk_create(batch)


def cases_with_incidents(team: Team, keyring: KeyRing, records: list[int], count: int, serial: int,
                         rng: random.Random) -> list[int]:
    """``count`` cases of claimants drawn from ``records`` (bench.cases), and a pressure incident
    for some claimants (its text sealed under the case's key, as case_event_add seals it)."""
    from django.utils import timezone

    from defensor.cases.models import CaseEvent, Claimant, EventKind

    if count == 0:
        return []
    today = timezone.localdate()
    case_ids = bulk_cases(team, [case_plan(serial + n, rng, today, records) for n in range(count)])
    claimants = list(Claimant.objects.filter(case_id__in=case_ids).values_list("id", "case_id", "case__data_key_id"))
    chosen = [row for row in claimants if rng.random() < PRESSURE_SHARE]
    keyring.prefetch(key_id for _c, _case, key_id in chosen)
    materials = _materials([key_id for _c, _case, key_id in chosen])
    events = []
    for claimant_id, case_id, key_id in chosen:
        event = CaseEvent(case_id=case_id, claimant_id=claimant_id, kind=EventKind.PRESSURE,
                          happened_on=today - timedelta(days=rng.randrange(1, 600)), recorded_by=team.lawyer)
        event.encrypt(_sealer(keyring, materials[key_id]), text=rng.choice(INCIDENTS))
        events.append(event)
    CaseEvent.objects.bulk_create(events, batch_size=BATCH)
    return case_ids


def _team(organisation: Organisation, user: User, private_key: bytes, shares: list[str]) -> Team:
    """bench.dedupe's Team for the inbox's lawyer (bulk_people and bulk_cases write with it)."""
    from defensor.access import services as keys
    from defensor.keys.keyring import KeyRing
    from defensor.keys.models import KeyKind, RecoveryKey, UserKeyPair

    _, index_key = KeyRing(user.pk, private_key).current(organisation.pk, KeyKind.INDEX)
    return Team(
        organisation=organisation, lawyer=user, lawyer_private=private_key, paralegal=user,
        paralegal_private=private_key, user_public=bytes(UserKeyPair.objects.get(user=user).public_key),
        recovery_public=bytes(RecoveryKey.objects.get(organisation=organisation).public_key), index_key=index_key,
        recovery_private=keys.recovery_private_key(organisation=organisation, shares=shares[:2]),
    )


def prepare_all(user: User, keyring: KeyRing) -> int:
    """Prepare everything, as repeated views of the page would (report_prepare, 5,000 a view)."""
    from defensor.reports.services import report_prepare

    requests = 0
    while True:
        prepared = report_prepare(actor=user, keyring=keyring)
        requests += prepared.requests
        if not prepared.requests and not prepared.records:
            return requests


def _check_page(client: Any, expected: int, user: User, keyring: KeyRing) -> int:
    """The page counts everything (nothing waiting or unreadable), each writer once."""
    from defensor.intake.models import Submission
    from defensor.reports.selectors import persons_counted

    if Submission.objects.filter(search_key__isnull=True).exists():
        raise RuntimeError("requests left unprepared")
    text = client.get("/staff/reports/").content.decode()
    if 'data-testid="report-waiting"' in text or 'data-testid="report-unreadable"' in text:
        raise RuntimeError("the reports page says some requests or records are not counted")
    gathered = persons_counted(actor=user, keyring=keyring)
    if (gathered.requests_waiting, gathered.records_waiting, gathered.unreadable) != (0, 0, 0):
        raise RuntimeError(f"waiting or unreadable: {gathered}")
    if len(gathered.counted) != expected:
        raise RuntimeError(f"{len(gathered.counted)} persons counted, {expected} writers")
    return expected


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.db import transaction
    from django.utils import timezone

    from defensor.access.services import organisation_keys_create
    from defensor.core.models import Organisation
    from defensor.keys.keyring import KeyRing, unwrap_private_key
    from defensor.keys.models import KeyKind, KeyMaterial, UserKeyPair

    rounds = 15 if FULL else 7
    rng = random.Random(SEED)
    organisation = Organisation.objects.create(name="bench")
    with transaction.atomic():
        kit = organisation_keys_create(organisation=organisation)
    intake_key = KeyMaterial.objects.get(organisation=organisation, kind=KeyKind.INTAKE)
    user, client = _lawyer(organisation, kit.shares)
    private_key = unwrap_private_key(UserKeyPair.objects.get(user=user), PASSWORD)
    keyring = KeyRing(user.pk, private_key)
    team = _team(organisation, user, private_key, kit.shares)
    region_weights = _region_weights(random.Random(SEED - 1))
    now = timezone.now()
    figures: dict[str, float | int] = {}
    sealed = serial = persons = 0
    records: list[int] = []
    writers: list[Writer] = []
    for size in SIZES:
        label = "1k" if size == 1_000 else "100k"
        start = time.perf_counter()
        new = plan_writers(size - sealed, writers[-1].n + 1 if writers else 0, rng, now, region_weights)
        writers += new
        added = _records(team, keyring, new, now)
        records += added
        seal_requests(new, organisation, intake_key, user, rng)
        count = round(len(added) * CASES_PER_RECORD)
        cases_with_incidents(team, keyring, records, count, serial, rng)
        serial += count
        print(f"{size} requests, {len(records)} records, {serial} cases written in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        start = time.perf_counter()
        prepared = prepare_all(user, keyring)
        elapsed = time.perf_counter() - start
        assert prepared == size - sealed, prepared
        print(f"prepared {prepared} requests in {elapsed:.0f} s", flush=True)
        if size == SIZES[-1]:
            figures["report_prepare_ms_per_1k"] = round(elapsed * 1000 / prepared * 1000, 1)
        sealed = size
        persons = sum(1 for w in writers if not w.spam)
        figures[f"persons_counted_{label}"] = _check_page(client, persons, user, keyring)
        figures[f"report_queries_{label}"] = page_queries(client, "/staff/reports/")
        figures[f"report_ms_{label}"] = round(page_ms(client, "/staff/reports/", rounds), 1)
        print(f"report page at {size}: {figures[f'report_ms_{label}']} ms", flush=True)
    figures["records_100k"] = len(records)
    figures["cases_100k"] = serial
    client.get("/staff/inbox/")  # the first page of the day also raises urgencies: not counted
    figures["inbox_page_ms_100k"] = round(page_ms(client, "/staff/inbox/", rounds), 1)
    figures["report_vs_inbox_ratio"] = round(figures["report_ms_100k"] / figures["inbox_page_ms_100k"], 1)
    write_results("reports", figures)
    print_table("reports page (100,000 sealed requests, every one prepared; persons counted once)",
                [(k, str(v)) for k, v in figures.items()])
    if abs(figures["report_queries_100k"] - figures["report_queries_1k"]) > 2:
        print("queries per page grow with the rows: a query runs once per row", file=sys.stderr)
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
