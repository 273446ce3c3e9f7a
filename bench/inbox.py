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
"""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import timedelta
from typing import Any

from bench.common import FULL, cleanup, page_ms, page_queries, print_table, setup_django, write_results

PASSWORD = "correct horse battery staple 42"  # noqa: S105 - a benchmark input
SIZES = (1_000, 100_000)


def _seal_requests(count: int, organisation: Any, intake_key: Any, assignee: Any) -> None:
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
    for n in range(count):
        pk = uuid.uuid4()
        data_key = crypto.random_key()
        payload = json.dumps({"answers": {**answers, "full_name": f"Иванов Иван {n}"}}, ensure_ascii=False)
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


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.db import transaction

    from defensor.access.services import organisation_keys_create
    from defensor.core.models import Organisation
    from defensor.keys.models import KeyKind, KeyMaterial

    rounds = 15 if FULL else 7
    organisation = Organisation.objects.create(name="bench")
    with transaction.atomic():
        kit = organisation_keys_create(organisation=organisation)
    intake_key = KeyMaterial.objects.get(organisation=organisation, kind=KeyKind.INTAKE)
    user, client = _lawyer(organisation, kit.shares)
    figures: dict[str, float | int] = {}
    sealed = 0
    for size in SIZES:
        start = time.perf_counter()
        _seal_requests(size - sealed, organisation, intake_key, user)
        sealed = size
        print(f"sealed {size} requests in {time.perf_counter() - start:.0f} s", flush=True)
        suffix = "1k" if size == 1_000 else "100k"
        client.get("/staff/inbox/")  # the first page of the day also raises urgencies: not counted
        figures[f"queries_per_page_{suffix}"] = page_queries(client, "/staff/inbox/")
        if size == 100_000:
            figures["inbox_page_ms_100k"] = round(page_ms(client, "/staff/inbox/", rounds), 1)
            figures["inbox_page_ms_100k_deep"] = round(page_ms(client, "/staff/inbox/?page=1000", rounds), 1)
            figures["inbox_page_ms_100k_mine"] = round(page_ms(client, "/staff/inbox/?assigned=me", rounds), 1)
            figures["inbox_page_ms_100k_oldest"] = round(page_ms(client, "/staff/inbox/?order=oldest", rounds), 1)
            figures["home_page_ms"] = round(page_ms(client, "/staff/", rounds), 1)
    figures["queries_per_page"] = figures.pop("queries_per_page_100k")
    figures["inbox_vs_home_ratio"] = round(figures["inbox_page_ms_100k"] / figures["home_page_ms"], 1)
    write_results("inbox", figures)
    print_table("triage inbox (100,000 sealed requests, 25 per page)", [(k, str(v)) for k, v in figures.items()])
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
