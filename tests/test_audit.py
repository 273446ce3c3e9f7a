"""The audit log is append-only and any edit, removal or reordering is detected."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, transaction

from defensor.accounts import services
from defensor.accounts.models import Role, User
from defensor.audit.models import AuditChainHead, AuditEvent, AuditLogIsAppendOnly
from defensor.audit.services import AuditUsageError, log_action, verify_chain
from defensor.core.models import Organisation


@pytest.fixture
def history(organisation: Organisation, olga: User) -> list[AuditEvent]:
    for name in ["ivan", "maria", "pyotr"]:
        user, _ = services.user_create(organisation=organisation, username=name, role=Role.VOLUNTEER, created_by=olga)
        services.user_disable(user=user, disabled_by=olga)
    return list(AuditEvent.objects.order_by("seq"))


def _sql(statement: str, params: list[str | int]) -> None:
    """What an intruder with database access does: bypass the application entirely."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_intact_chain_verifies(history: list[AuditEvent]) -> None:
    report = verify_chain()
    assert report.ok
    assert report.checked == len(history) == AuditEvent.objects.count()
    assert len([e for e in history if e.action == "user.disabled"]) == 3


@pytest.mark.django_db
def test_edited_event_is_detected(history: list[AuditEvent]) -> None:
    victim = history[2]
    _sql("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["user.enabled", victim.pk])
    report = verify_chain()
    assert not report.ok
    assert report.problem_seq == victim.seq


@pytest.mark.django_db
def test_edited_details_are_detected(history: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=history[0].pk).update(details={"role": "admin"})
    assert verify_chain().problem_seq == history[0].seq


@pytest.mark.django_db
def test_edited_time_is_detected(history: list[AuditEvent]) -> None:
    from datetime import timedelta

    AuditEvent.objects.filter(pk=history[2].pk).update(created_at=history[2].created_at - timedelta(days=1))
    assert verify_chain().problem_seq == history[2].seq


@pytest.mark.django_db
def test_deleted_event_is_detected(history: list[AuditEvent]) -> None:
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [history[3].pk])
    report = verify_chain()
    assert not report.ok
    assert report.problem_seq == history[3].seq


@pytest.mark.django_db
def test_deleted_newest_event_is_detected(history: list[AuditEvent]) -> None:
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [history[-1].pk])
    report = verify_chain()
    assert not report.ok


@pytest.mark.django_db
def test_cut_off_tail_with_a_rewound_head_is_detected(history: list[AuditEvent]) -> None:
    """The intruder deletes the newest events and winds the head back to the last one kept."""
    kept = history[2]
    _sql("DELETE FROM audit_auditevent WHERE seq > %s", [kept.seq])
    _sql("UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE id = 1", [kept.seq, kept.hash])
    report = verify_chain()
    assert not report.ok
    assert report.problem == "the head of the chain was changed"


@pytest.mark.django_db
def test_emptied_log_is_detected(history: list[AuditEvent]) -> None:
    _sql("DELETE FROM audit_auditevent", [])
    _sql("UPDATE audit_auditchainhead SET seq = 0, hash = %s, mac = '' WHERE id = 1", ["0" * 64])
    assert not verify_chain().ok


@pytest.mark.django_db
def test_anchor_catches_a_consistently_rewritten_chain(history: list[AuditEvent]) -> None:
    anchor = (history[-1].seq, history[-1].hash)
    assert verify_chain(anchor=anchor).ok
    # Someone with the key rebuilt the chain from the third event on: still self-consistent...
    _sql("DELETE FROM audit_auditevent WHERE seq >= %s", [history[2].seq])
    _sql("UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE id = 1", [history[1].seq, history[1].hash])
    from defensor.audit.services import head_mac

    AuditChainHead.objects.filter(pk=1).update(mac=head_mac(history[1].seq, history[1].hash))
    with transaction.atomic():
        for _ in range(len(history)):
            log_action(action="user.logged_in", organisation=history[0].organisation)
    assert verify_chain().ok
    # ...but not what was recorded outside the server.
    report = verify_chain(anchor=anchor)
    assert not report.ok
    assert report.problem_seq == anchor[0]


@pytest.mark.django_db
def test_reordered_events_are_detected(history: list[AuditEvent]) -> None:
    a, b = history[1], history[4]
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [1_000_000, a.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    report = verify_chain()
    assert not report.ok
    assert report.problem_seq == a.seq


@pytest.mark.django_db
def test_a_keyless_reforge_does_not_fool_the_check(history: list[AuditEvent]) -> None:
    """An intruder who knows the scheme but not the key recomputes the newest link after an edit."""
    import hashlib
    import json

    from defensor.audit.services import _timestamp

    victim = history[-1]
    record = json.dumps(
        [victim.seq, victim.prev_hash, victim.organisation_id, victim.actor_id, "user.enabled",
         victim.target_type, victim.target_id, _timestamp(victim.created_at), victim.details],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    for forged in (hashlib.sha256(record.encode()).hexdigest(), hashlib.sha256(b"forged").hexdigest()):
        _sql("UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s", ["user.enabled", forged, victim.pk])
        AuditChainHead.objects.filter(pk=1).update(hash=forged)
        assert not verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain(organisation: Organisation) -> None:
    import threading

    from django.db import connections

    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(15):
                with transaction.atomic():
                    log_action(action="user.logged_in", organisation=organisation)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    before = AuditEvent.objects.count()
    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    report = verify_chain()
    assert report.ok
    assert report.checked == before + 60
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, before + 61))


@pytest.mark.django_db
def test_events_appended_during_a_check_are_not_taken_for_tampering(history: list[AuditEvent]) -> None:
    from unittest import mock

    real_filter = AuditEvent.objects.filter

    def filter_then_append(*args: object, **kwargs: object) -> object:
        result = real_filter(*args, **kwargs)
        with transaction.atomic():
            log_action(action="user.logged_in", organisation=history[0].organisation)
        return result

    with mock.patch.object(AuditEvent.objects, "filter", side_effect=filter_then_append):
        report = verify_chain()
    assert report.ok
    assert report.checked == len(history)
    assert verify_chain().checked == len(history) + 1


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted_through_the_application(history: list[AuditEvent]) -> None:
    event = history[0]
    event.action = "something.else"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_log_action_refuses_to_run_outside_a_transaction(olga: User) -> None:
    with pytest.raises(AuditUsageError):
        log_action(action="user.logged_in", actor=olga)


@pytest.mark.django_db
def test_details_hold_codes_not_free_text(olga: User) -> None:
    with transaction.atomic(), pytest.raises(AuditUsageError):
        log_action(action="note.added", actor=olga, details={"text": "Иванов Иван рассказал, что " * 10})
    with transaction.atomic(), pytest.raises(AuditUsageError):
        log_action(action="note.added", actor=olga, details={"nested": {"a": 1}})  # type: ignore[dict-item]


@pytest.mark.django_db
def test_admin_can_filter_the_log(
    history: list[AuditEvent], olga: User, verified_client: Callable[[User], object]
) -> None:
    client = verified_client(olga)
    page = client.get("/staff/audit/", {"action": "user.disabled"})  # type: ignore[attr-defined]
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("<code>user.disabled</code>") == 3
    assert "<code>user.created</code>" not in text
    by_actor = client.get("/staff/audit/", {"actor": olga.pk}).content.decode()  # type: ignore[attr-defined]
    assert by_actor.count("<code>user.created</code>") == 3
    bad = client.get("/staff/audit/", {"since": "2026-12-01", "until": "2026-01-01"})  # type: ignore[attr-defined]
    assert bad.status_code == 400
    odd_inputs = [  # each answered with the form's message or the nearest page, never a 500
        ({"since": "0001-01-01"}, 400), ({"until": "9999-12-31"}, 400), ({"actor": "x"}, 400),
        ({"page": "last"}, 200), ({"page": "-3"}, 200),
    ]
    for odd, expected in odd_inputs:
        response = client.get("/staff/audit/", odd)  # type: ignore[attr-defined]
        assert response.status_code == expected, odd


@pytest.mark.django_db
def test_another_organisations_log_and_people_stay_hidden(
    history: list[AuditEvent], olga: User, verified_client: Callable[[User], object]
) -> None:
    other = Organisation.objects.create(name="Другая организация")
    stranger, _ = services.user_create(organisation=other, username="stranger", role=Role.ADMIN, created_by=None)
    client = verified_client(olga)
    assert client.get(f"/staff/users/{stranger.pk}/").status_code == 404  # type: ignore[attr-defined]
    assert "stranger" not in client.get("/staff/users/").content.decode()  # type: ignore[attr-defined]
    log = client.get("/staff/audit/").content.decode()  # type: ignore[attr-defined]
    assert f"accounts.user {stranger.pk}<" not in log
    assert client.get("/staff/audit/", {"actor": stranger.pk}).status_code == 400  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_details_named_like_a_method_are_shown_on_the_log_page(
    olga: User, verified_client: Callable[[User], object]
) -> None:
    # A court bundle's audit details count its "items": a template looked that key up before the
    # dict's own items() method, and the whole log page failed.
    log_action(action="evidence.bundle_built", actor=olga, details={"items": 3, "keys": ["a"], "values": 2})
    page = verified_client(olga).get("/staff/audit/")  # type: ignore[attr-defined]
    assert page.status_code == 200
    text = page.content.decode()
    assert "items=3" in text
    assert "values=2" in text


@pytest.mark.django_db(transaction=True)
def test_cli_audit_verify_reports_tampering(olga: User, clean_env: dict[str, str]) -> None:
    with transaction.atomic():
        log_action(action="user.logged_in", actor=olga)
        log_action(action="user.logged_out", actor=olga)
    # The subprocess must open this test's database with this test's keys (the data directory).
    env = {**clean_env, "DEFENSOR_DATA_DIR": str(settings.DATA_DIR)}
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        env["DEFENSOR_SQLITE_PATH"] = name
    else:
        env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(path=f"/{name}").geturl()
    command = [sys.executable, "-m", "defensor.cli", "audit", "verify"]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert f"intact: {AuditEvent.objects.count()} events" in ok.stdout
    anchor = ok.stdout.strip().rsplit(" ", 1)[-1]
    anchored = subprocess.run([*command, "--anchor", anchor], env=env, capture_output=True, text=True, check=False)
    assert anchored.returncode == 0, anchored.stderr
    _sql("UPDATE audit_auditevent SET action = %s WHERE seq = 1", ["user.enabled"])
    broken = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert broken.returncode != 0
    assert "NOT intact: event #1" in broken.stderr


def test_every_action_code_in_the_source_has_a_readable_name() -> None:
    import re
    from pathlib import Path

    from defensor.audit.actions import ACTION_LABELS

    package = Path(__file__).resolve().parent.parent / "defensor"
    source = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
    codes = set(re.findall(r'action="([a-z0-9_]+\.[a-z0-9_]+)"', source))
    codes |= set(re.findall(r'"(user\.(?:locked_out|login_failed))"', source))
    assert "user.created" in codes
    assert codes <= set(ACTION_LABELS), codes - set(ACTION_LABELS)
