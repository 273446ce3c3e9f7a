"""Accepting requests: one at a time, and a hundred at once into one group claim.

Requests are really sealed (intake.services.submission_receive, the default questionnaire's answers
with their own name, phone, date of birth and dismissal order). Accepting one decrypts it, makes
the person record (its own data key, blind indexes, contacts), adds the claimant, carries the
dates into three events with their deadlines (intake.carry) and audits every step. A lawyer's key
ring is unlocked once (production key-derivation cost), as in a logged-in session.

Figures (bench/results/triage.json):
  accept_one_ms               median time to accept one request into an existing group claim
                              (intake.services.submission_accept; the baseline)
  accept_bulk_ms_100          median time to accept 100 requests into a new group claim in one
                              transaction (intake.services.submissions_accept_bulk)
  accept_bulk_per_request_ms  accept_bulk_ms_100 / 100
  bulk_per_request_vs_one_ratio  accept_bulk_per_request_ms / accept_one_ms (about 1: the bulk
                              accept does the same work per request, in one transaction)
  accept_bulk_page_ms_100     the bulk accept page for 100 selected requests (POST from the inbox:
                              each decrypted and matched against the people already known)
  accept_bulk_submit_ms_100   the same page's "accept all" (POST): the page's work plus the accept
  queries_per_accept          database queries to accept one request
  people_known                person records already in the organisation during the last figure
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.common import FULL, cleanup, print_table, setup_django, write_results

ROUNDS_ONE = 21 if FULL else 11
ROUNDS_BULK = 5 if FULL else 3
BULK = 100

_SURNAMES = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов", "Михайлов",
             "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов"]
_NAMES = ["Андрей", "Борис", "Виктор", "Григорий", "Дмитрий", "Евгений", "Захар", "Игорь", "Кирилл", "Леонид",
          "Максим", "Никита", "Олег", "Павел", "Роман", "Сергей", "Тимур", "Фёдор"]


def _answers(n: int) -> dict[str, Any]:
    from tests.intake_visitor import DEFAULT_ANSWERS

    answers = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}
    answers.update({
        "full_name": f"{_SURNAMES[n % 18]} {_NAMES[n // 18 % 18]} Олегович{'' if n < 324 else f' {n}'}",
        "birth_date": f"{1970 + n % 30}-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "phone": f"+7900{n:07d}",
        "dismissal_order_number": f"{n} л/с",
        "dismissal_order_date": "2022-03-01",
    })
    return answers


def _requests(organisation: Any, first: int, count: int) -> list[Any]:
    from defensor.intake import services
    from defensor.intake.questionnaire import default_questionnaire

    questionnaire = default_questionnaire()
    return [
        services.submission_receive(
            questionnaire=questionnaire, answers=_answers(n), files=[], language="ru",
            receipt=f"{n:025d}", organisation=organisation,
        ).submission
        for n in range(first, first + count)
    ]


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench.inbox import PASSWORD, _lawyer
    from defensor.access.services import organisation_keys_create
    from defensor.cases.models import CaseKind
    from defensor.cases.services import case_open
    from defensor.core.models import Organisation
    from defensor.intake import services
    from defensor.keys.keyring import KeyRing, unwrap_private_key
    from defensor.keys.models import UserKeyPair
    from defensor.people.models import Person

    organisation = Organisation.objects.create(name="bench")
    with transaction.atomic():
        kit = organisation_keys_create(organisation=organisation)
    user, client = _lawyer(organisation, kit.shares)
    keyring = KeyRing(user.pk, unwrap_private_key(UserKeyPair.objects.get(user=user), PASSWORD))
    group = case_open(opened_by=user, keyring=keyring, title="Группа", group=True, kind=CaseKind.SPECIAL_RANK)
    serial = 0
    figures: dict[str, float | int] = {}

    one = []
    for submission in _requests(organisation, serial, ROUNDS_ONE + 1):
        start = time.perf_counter()
        services.submission_accept(submission=submission, accepted_by=user, keyring=keyring, case=group)
        one.append((time.perf_counter() - start) * 1000)
    serial += ROUNDS_ONE + 1
    figures["accept_one_ms"] = round(statistics.median(one[1:]), 1)  # the first warms caches
    last = _requests(organisation, serial, 1)[0]
    serial += 1
    with CaptureQueriesContext(connection) as captured:
        services.submission_accept(submission=last, accepted_by=user, keyring=keyring, case=group)
    figures["queries_per_accept"] = len(captured.captured_queries)

    bulk = []
    for _ in range(ROUNDS_BULK):
        chosen = _requests(organisation, serial, BULK)
        serial += BULK
        start = time.perf_counter()
        done = services.submissions_accept_bulk(
            choices=[services.BulkChoice(submission=s) for s in chosen], accepted_by=user, keyring=keyring,
            case_title="Сто человек", case_kind=CaseKind.SPECIAL_RANK,
        )
        bulk.append((time.perf_counter() - start) * 1000)
        assert done.claimants == BULK, done.claimants
    figures["accept_bulk_ms_100"] = round(statistics.median(bulk), 1)
    figures["accept_bulk_per_request_ms"] = round(figures["accept_bulk_ms_100"] / BULK, 1)
    per_request = figures["accept_bulk_per_request_ms"]
    figures["bulk_per_request_vs_one_ratio"] = round(per_request / figures["accept_one_ms"], 2)

    chosen = _requests(organisation, serial, BULK)
    serial += BULK
    ids = [str(s.pk) for s in chosen]
    start = time.perf_counter()
    page = client.post("/staff/inbox/bulk/", {"action": "accept:group", "ids": ids, "back": "/staff/inbox/"})
    figures["accept_bulk_page_ms_100"] = round((time.perf_counter() - start) * 1000, 1)
    assert page.status_code == 200, page.status_code
    choices = {f"person_{pk}": "new" for pk in ids}
    start = time.perf_counter()
    accepted = client.post("/staff/inbox/accept/", {
        "ids": ids, **choices, "accept": "1", "case": "new", "case_title": "Ещё сто", "case_kind": "special_rank",
    })
    figures["accept_bulk_submit_ms_100"] = round((time.perf_counter() - start) * 1000, 1)
    assert accepted.status_code == 302, accepted.status_code
    figures["people_known"] = Person.objects.count()

    write_results("triage", figures)
    print_table("accepting requests (sealed, default questionnaire, lawyer's keys unlocked)",
                [(k, str(v)) for k, v in figures.items()])
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
