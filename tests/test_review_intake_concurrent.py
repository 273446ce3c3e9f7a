"""Two lawyers working on the same requests at the same moment (PostgreSQL: SQLite runs one
writer at a time, so the two could not meet there)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from defensor.accounts.models import User
from defensor.cases.models import Claimant
from defensor.cases.services import case_open
from defensor.intake import carry, services
from defensor.intake.models import Status, Submission
from tests.conftest import keyring_of

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from pg_locks where not granted")
        return bool(cursor.fetchone()[0])


@pytest.mark.parametrize("olga_does", ["accept into the same claim", "accept into a new case", "set its status"])
def test_a_colleague_acting_on_a_request_of_a_bulk_accept_meanwhile_waits_and_is_refused(
    anna: User, olga: User, make_submission: Callable[..., Submission], monkeypatch: pytest.MonkeyPatch,
    olga_does: str,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two writers meet only on PostgreSQL")
    group = case_open(opened_by=anna, keyring=keyring_of(anna), title="Группа", group=True)
    first = make_submission(full_name="Иванов Андрей Олегович", phone="+79161000001")
    second = make_submission(full_name="Петров Борис Олегович", phone="+79161000002")
    from defensor.access.services import record_access_grant

    record_access_grant(material=group.data_key, to_user=olga, keyring=keyring_of(anna))
    anna_ring, olga_ring = keyring_of(anna), keyring_of(olga)

    # Anna's bulk accept pauses after her first request (holding the claim and that request).
    paused, resume = threading.Event(), threading.Event()
    real_carry = carry.carry_facts

    def carry_then_pause(**kwargs: Any) -> Any:
        done = real_carry(**kwargs)
        if kwargs["submission"].pk == first.pk and threading.current_thread().name == "anna":
            paused.set()
            resume.wait(30)
        return done

    monkeypatch.setattr(services, "carry_facts", carry_then_pause)
    outcome: dict[str, Any] = {}

    def anna_bulk() -> None:
        try:
            outcome["anna"] = services.submissions_accept_bulk(
                choices=[services.BulkChoice(submission=first), services.BulkChoice(submission=second)],
                accepted_by=anna, keyring=anna_ring, case=group)
        except Exception as error:  # the test reports what it was
            outcome["anna"] = error
        finally:
            connections.close_all()

    def olga_single() -> None:
        try:
            if olga_does == "set its status":
                outcome["olga"] = services.submission_status_set(submission=second, status=Status.IN_REVIEW,
                                                                 changed_by=olga)
            else:
                outcome["olga"] = services.submission_accept(
                    submission=second, accepted_by=olga, keyring=olga_ring,
                    case=group if olga_does == "accept into the same claim" else None)
        except Exception as error:
            outcome["olga"] = error
        finally:
            connections.close_all()

    anna_thread = threading.Thread(target=anna_bulk, name="anna")
    anna_thread.start()
    assert paused.wait(30)
    olga_thread = threading.Thread(target=olga_single, name="olga")
    olga_thread.start()
    for _ in range(300):  # until Olga waits for a lock Anna holds
        if _waiting_for_a_lock():
            break
        threading.Event().wait(0.05)
    resume.set()
    anna_thread.join(60)
    olga_thread.join(60)
    # Anna's accept went through whole; Olga was told it was already accepted (no deadlock, no 500).
    assert isinstance(outcome["anna"], services.BulkAccepted), repr(outcome["anna"])
    refused = services.TransitionRefused if olga_does == "set its status" else services.AcceptRefused
    assert isinstance(outcome["olga"], refused), repr(outcome["olga"])
    assert Claimant.objects.filter(case=group).count() == 2
    assert set(Submission.objects.values_list("status", flat=True)) == {Status.ACCEPTED}
