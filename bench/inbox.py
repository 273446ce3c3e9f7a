"""The triage inbox with 100,000 requests: server time of a page, and queries per page.

A lawyer's session (password, TOTP and an unlocked key ring, production key-derivation cost) asks
for inbox pages through the whole middleware stack; each page decrypts its 25 requests for their
summaries and records the read in the audit log. Requests are really sealed, one by one.

Figures (bench/results/inbox.json):
  inbox_page_ms_100k         median server time of an inbox page (first page, most urgent first)
  inbox_page_ms_100k_deep    the same for page 1,000 (OFFSET pagination far down the list)
  inbox_page_ms_100k_mine    the requests assigned to me (a tenth of them), most urgent first
  inbox_page_ms_100k_oldest  every open request, oldest first
  home_page_ms               the staff overview page through the same stack (the baseline)
  inbox_vs_home_ratio        inbox_page_ms_100k / home_page_ms
  queries_per_page           database queries for one inbox page at 100,000 requests
  queries_per_page_1k        the same at 1,000 requests (must be equal: no query per row)
  index_ms_per_1k            making the search digests of 1,000 new requests (the first 1,000)
  index_ms_per_1k_at_100k    the same per 1,000 while indexing the other 99,000
  inbox_search_ms_100k_phone median server time of an inbox search by phone (POST, one request found)
  inbox_search_ms_100k_surname  the same by surname (Latin spelling of a Cyrillic one, ~80 found)
  search_phone_vs_home_ratio, search_surname_vs_home_ratio   each / home_page_ms
  queries_per_search         database queries for one search by surname at 100,000 requests

Every request has its own phone number; surnames come from 1,200 made-up ones (about 80 requests
each at 100,000), so a surname search pages through a realistic number of matches.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

from bench.common import FULL, cleanup, page_ms, page_queries, print_table, setup_django, write_results

PASSWORD = "correct horse battery staple 42"  # noqa: S105 - a benchmark input
SIZES = (1_000, 100_000)


_SYLLABLES = ["Ба", "Ве", "Го", "Да", "Же", "За", "Ки", "Ло", "Ма", "Но", "Па", "Ро", "Са", "Ту", "Фе", "Ха",
              "Це", "Чу", "Ша", "Юр"]
_ENDINGS = ["нов", "лин", "ский"]


def _surname(n: int) -> str:
    """One of 1,200 made-up surnames (20 x 20 x 3)."""
    first, second, ending = n % 20, (n // 20) % 20, (n // 400) % 3
    return _SYLLABLES[first] + _SYLLABLES[second].lower() + _ENDINGS[ending]


def _seal_requests(count: int, organisation: Any, intake_key: Any, assignee: Any, start: int = 0) -> None:
    from django.utils import timezone

    from defensor.intake.models import Status, Submission
    from defensor.intake.services import _aad
    from defensor.keys import crypto
    from tests.intake_visitor import DEFAULT_ANSWERS

    answers = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}
    public_key = bytes(intake_key.public_key)
    rng = random.Random(6)
    now = timezone.now()
    statuses = [Status.NEW] * 6 + [Status.IN_REVIEW, Status.NEEDS_INFO, Status.REJECTED, Status.SPAM]
    batch = []
    for n in range(start, start + count):
        pk = uuid.uuid4()
        data_key = crypto.random_key()
        person = {"full_name": f"{_surname(n)} Иван {n}", "phone": f"+7 9{n:09d}"}
        payload = json.dumps({"answers": {**answers, **person}}, ensure_ascii=False)
        received = now - timedelta(minutes=rng.randrange(60 * 24 * 30))
        batch.append(Submission(
            id=pk, organisation=organisation, intake_key=intake_key, questionnaire="refusal",
            questionnaire_version=2, language="ru", received_at=received,
            sealed_key=crypto.seal(public_key, data_key),
            answers=crypto.encrypt(data_key, payload.encode(), aad=_aad(pk, "answers")),
            reply_key=crypto.encrypt(data_key, crypto.random_key(), aad=_aad(pk, "reply_key")),
            status=rng.choice(statuses), urgency=rng.choice([0, 0, 0, 1, 1, 2, 3]),
            respond_by=(received + timedelta(days=rng.randrange(10, 90))).date() if rng.random() < 0.4 else None,
            assigned_to=assignee if rng.random() < 0.1 else None,
        ))
        if len(batch) == 2000:
            Submission.objects.bulk_create(batch)
            batch = []
    Submission.objects.bulk_create(batch)


def _lawyer(organisation: Any, shares: list[str]) -> tuple[Any, Any]:
    """A lawyer with keys and a TOTP device, and a client logged in as them (key ring unlocked)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from defensor.access import services as keys
    from defensor.accounts.models import Role
    from defensor.accounts.services import user_create
    from defensor.keys.keyring import KEYRING_COOKIE, SESSION_FIELD, cookie_value, session_halves, unwrap_private_key
    from defensor.keys.models import UserKeyPair

    user, _ = user_create(organisation=organisation, username="anna", role=Role.LAWYER, created_by=None,
                          password=PASSWORD)
    recovery = keys.recovery_private_key(organisation=organisation, shares=shares[:2])
    keys.grants_fill_from_recovery(organisation=organisation, recovery_key=recovery, user=user)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    stored, secret = session_halves(user.pk, unwrap_private_key(UserKeyPair.objects.get(user=user), PASSWORD))
    session[SESSION_FIELD] = stored
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.cookies[KEYRING_COOKIE] = cookie_value(secret)
    client.cookies[KEYRING_COOKIE]["path"] = "/staff/"
    return user, client


def _search(client: Any, term: str) -> Any:
    response = client.post("/staff/inbox/", {"term": term})
    if response.status_code != 200:
        raise RuntimeError(f"search: {response.status_code}")
    return response


def _found(client: Any, term: str) -> int:
    """How many requests a search says it found (the results header)."""
    import re

    page = _search(client, term).content.decode()
    match = re.search(r'data-testid="search-found">\s*<p><strong>[^<]*?(\d+)</strong>', page)
    if match is None:
        raise RuntimeError("no search result header")
    return int(match.group(1))


def _search_ms(client: Any, term: str, rounds: int) -> float:
    """Median server time of a search (ms), POSTed through the whole middleware stack."""
    _search(client, term)  # warm
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        _search(client, term)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _search_queries(client: Any, term: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _search(client, term)
    return len(captured.captured_queries)


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.db import transaction

    from defensor.access.services import organisation_keys_create
    from defensor.core.models import Organisation
    from defensor.intake import search
    from defensor.keys.keyring import KeyRing, unwrap_private_key
    from defensor.keys.models import KeyKind, KeyMaterial, UserKeyPair

    rounds = 15 if FULL else 7
    organisation = Organisation.objects.create(name="bench")
    with transaction.atomic():
        kit = organisation_keys_create(organisation=organisation)
    intake_key = KeyMaterial.objects.get(organisation=organisation, kind=KeyKind.INTAKE)
    user, client = _lawyer(organisation, kit.shares)
    keyring = KeyRing(user.pk, unwrap_private_key(UserKeyPair.objects.get(user=user), PASSWORD))
    figures: dict[str, float | int] = {}
    sealed = 0
    for size in SIZES:
        start = time.perf_counter()
        _seal_requests(size - sealed, organisation, intake_key, user, start=sealed)
        print(f"sealed {size} requests in {time.perf_counter() - start:.0f} s", flush=True)
        suffix = "1k" if size == 1_000 else "100k"
        start = time.perf_counter()
        indexed = search.submissions_index_all(actor=user, keyring=keyring, limit=size)
        per_1k = (time.perf_counter() - start) * 1000 / (size - sealed) * 1000
        assert indexed == size - sealed, indexed
        figures["index_ms_per_1k" if size == 1_000 else "index_ms_per_1k_at_100k"] = round(per_1k, 1)
        sealed = size
        client.get("/staff/inbox/")  # the first page of the day also raises urgencies: not counted
        figures[f"queries_per_page_{suffix}"] = page_queries(client, "/staff/inbox/")
        if size == 100_000:
            figures["inbox_page_ms_100k"] = round(page_ms(client, "/staff/inbox/", rounds), 1)
            figures["inbox_page_ms_100k_deep"] = round(page_ms(client, "/staff/inbox/?page=1000", rounds), 1)
            figures["inbox_page_ms_100k_mine"] = round(page_ms(client, "/staff/inbox/?assigned=me", rounds), 1)
            figures["inbox_page_ms_100k_oldest"] = round(page_ms(client, "/staff/inbox/?order=oldest", rounds), 1)
            figures["home_page_ms"] = round(page_ms(client, "/staff/", rounds), 1)
            phone, surname = "8 (900) 001-23-45", "Zachunov"  # request 12,345; Зачунов (Latin spelling)
            assert _found(client, phone) == 1
            assert 50 < _found(client, surname) < 150  # about 83 of 100,000
            figures["inbox_search_ms_100k_phone"] = round(_search_ms(client, phone, rounds), 1)
            figures["inbox_search_ms_100k_surname"] = round(_search_ms(client, surname, rounds), 1)
            figures["queries_per_search"] = _search_queries(client, surname)
    figures["queries_per_page"] = figures.pop("queries_per_page_100k")
    figures["inbox_vs_home_ratio"] = round(figures["inbox_page_ms_100k"] / figures["home_page_ms"], 1)
    for kind in ("phone", "surname"):
        figures[f"search_{kind}_vs_home_ratio"] = round(
            figures[f"inbox_search_ms_100k_{kind}"] / figures["home_page_ms"], 1
        )
    write_results("inbox", figures)
    print_table("triage inbox (100,000 sealed requests, 25 per page)", [(k, str(v)) for k, v in figures.items()])
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
