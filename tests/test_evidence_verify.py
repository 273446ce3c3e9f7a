"""``defensor evidence verify`` catches every change made straight in the database: a status or a
flag changed on the item's row, a last custody event deleted with the item's count lowered to
match, a whole item deleted, an item without any custody event, a changed audit log. Each problem
is a line of ids and codes (no names, no hashes of originals) and the command exits 1; a locker
used the ordinary way (uploads, status changes, labels, downloads, a working copy, a bundle) exits 0."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.audit.services import log_action
from defensor.cases.models import Case
from defensor.cases.services import case_open
from defensor.evidence.bundle import bundle_open, bundle_request
from defensor.evidence.custody import GENESIS, event_hash
from defensor.evidence.derive import item_working_copy
from defensor.evidence.models import Bundle, CustodyEvent, CustodyKind, EvidenceItem, EvidenceLink, Source
from defensor.evidence.review import item_labels_set, item_status_set
from defensor.evidence.services import custody_append, item_ingest, item_open
from defensor.intake.models import Submission
from tests.conftest import keyring_of

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)


def _png() -> bytes:
    """A 1x1 PNG with a text chunk (a working copy strips it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Author\0Ivanov") + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
            + chunk(b"IEND", b""))


FILES = [
    ("приказ.pdf", b"%PDF-1.4\n" + b"order " * 200 + b"\n%%EOF\n"),
    ("фото.png", _png()),
    ("страница.html", b"<html><script>alert(1)</script></html>"),  # active content, flagged at capture
]


@dataclass
class Locker:
    case: Case
    items: list[EvidenceItem]
    bundle: Bundle


def _verify() -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("evidence", "verify", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


@pytest.fixture
def locker(anna: User, pavel: User) -> Locker:
    """A case's evidence used the ordinary way: three uploads (one flagged as active content), a
    status taken to verified and another disputed, flags set, downloads, a working copy, a bundle
    built and downloaded."""
    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, title="Иванов против в/ч 00000", number="2026-0201")
    items = [item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(content), name=name, added_by=anna,
                         keyring=keyring) for name, content in FILES]
    order, photo, page = items
    for status, note in (("in_review", ""), ("verified", ""), ("disputed", "подпись не та")):
        item_status_set(item=order, status=status, actor=anna, keyring=keyring, note=note)
    item_status_set(item=photo, status="in_review", actor=anna, keyring=keyring)
    item_labels_set(item=photo, actor=anna, keyring=keyring, identifies_client=True, graphic=False, tags=["order"],
                    description="")
    item_labels_set(item=photo, actor=anna, keyring=keyring, identifies_client=True, graphic=True, tags=["order"],
                    description="")
    for item in (order, page):
        _values, chunks = item_open(item=item, reader=anna, keyring=keyring, purpose="download")
        b"".join(chunks)
    copy = item_working_copy(item=photo, actor=anna, keyring=keyring)
    bundle = bundle_request(case=case, item_ids=[str(order.pk), str(copy.pk)], requested_by=anna, keyring=keyring)
    _size, chunks = bundle_open(bundle=Bundle.objects.get(pk=bundle.pk), reader=anna, keyring=keyring)
    b"".join(chunks)
    items = list(EvidenceItem.objects.filter(case=case).order_by("number"))
    assert [item.number for item in items] == [1, 2, 3, 4]
    assert items[2].active_content
    return Locker(case, items, bundle)


def test_a_locker_used_the_ordinary_way_verifies_clean(locker: Locker) -> None:
    assert _verify() == (0, [])
    kinds = set(CustodyEvent.objects.values_list("kind", flat=True))
    assert {"captured", "status_changed", "labelled", "downloaded", "derived", "exported"} <= kinds


@pytest.mark.parametrize(("change", "code"), [
    ({"status": "verified"}, "status-mismatch"),
    ({"identifies_client": True}, "identifies_client-mismatch"),
    ({"graphic": True}, "graphic-mismatch"),
])
def test_a_status_or_flag_changed_in_the_database_is_found(locker: Locker, change: dict[str, object],
                                                           code: str) -> None:
    """The page (item 3, never reviewed) made verified or labelled straight in its row."""
    page = locker.items[2]
    EvidenceItem.objects.filter(pk=page.pk).update(**change)
    assert _verify() == (1, [f"evidence {page.pk}: {code}"])


def test_flags_changed_back_after_a_labelled_event_and_active_content_cleared_are_found(locker: Locker) -> None:
    photo, page = locker.items[1], locker.items[2]
    EvidenceItem.objects.filter(pk=photo.pk).update(graphic=False)  # labelled graphic=True last
    EvidenceItem.objects.filter(pk=page.pk).update(active_content=False)  # flagged at capture
    code, lines = _verify()
    assert code == 1
    assert lines == [f"evidence {photo.pk}: graphic-mismatch", f"evidence {page.pk}: active_content-mismatch"]


def test_who_decided_and_when_changed_in_the_database_are_found(locker: Locker, pavel: User) -> None:
    order = locker.items[0]
    EvidenceItem.objects.filter(pk=order.pk).update(verified_by=pavel)
    assert _verify() == (1, [f"evidence {order.pk}: verified_by-mismatch"])
    EvidenceItem.objects.filter(pk=order.pk).update(verified_by=order.verified_by,
                                                    verified_at=timezone.now())
    assert _verify() == (1, [f"evidence {order.pk}: verified_at-mismatch"])


def test_a_deleted_last_export_with_the_count_lowered_is_found(locker: Locker) -> None:
    """The bundle's download undone on the order: its last event gone and the count lowered to
    match. The chain alone still holds; the audit log does not agree."""
    order = locker.items[0]
    last = CustodyEvent.objects.filter(item=order).order_by("-seq").first()
    assert last is not None
    assert last.kind == "exported"
    CustodyEvent.objects.filter(pk=last.pk).delete()
    EvidenceItem.objects.filter(pk=order.pk).update(custody_length=last.seq)
    assert _verify() == (1, [f"evidence {order.pk}: custody-audit-mismatch kind=exported custody=0 audit=1"])


def test_a_deleted_last_download_with_the_count_lowered_is_found(locker: Locker) -> None:
    page = locker.items[2]
    last = CustodyEvent.objects.filter(item=page).order_by("-seq").first()
    assert last is not None
    assert last.kind == "downloaded"
    CustodyEvent.objects.filter(pk=last.pk).delete()
    EvidenceItem.objects.filter(pk=page.pk).update(custody_length=last.seq)
    assert _verify() == (1, [f"evidence {page.pk}: custody-audit-mismatch kind=downloaded custody=0 audit=1"])


def test_an_item_without_any_custody_event_is_found(locker: Locker) -> None:
    page = locker.items[2]
    CustodyEvent.objects.filter(item=page).delete()
    EvidenceItem.objects.filter(pk=page.pk).update(custody_length=0)
    code, lines = _verify()
    assert code == 1
    assert f"evidence {page.pk}: custody-empty" in lines
    assert f"evidence {page.pk}: custody-audit-mismatch kind=captured custody=0 audit=1" in lines


def _delete_item(item: EvidenceItem) -> None:
    """What someone with the database does to make an item disappear: its custody events, links
    and row (past the PROTECT of the ORM)."""
    CustodyEvent.objects.filter(item=item).delete()
    EvidenceLink.objects.filter(item=item).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {EvidenceItem._meta.db_table} WHERE id = %s",  # noqa: S608
                       [item.pk.hex if connection.vendor == "sqlite" else item.pk])
    assert not EvidenceItem.objects.filter(pk=item.pk).exists()


def test_a_deleted_item_in_the_middle_leaves_a_gap_in_the_numbers(locker: Locker) -> None:
    page = locker.items[2]
    _delete_item(page)
    code, lines = _verify()
    assert code == 1
    assert lines == [f"case {locker.case.pk}: evidence-number-missing number=3",
                     f"evidence {page.pk}: item-missing by=audit"]


def test_a_deleted_last_item_is_named_by_the_audit_log_and_its_bundle(locker: Locker) -> None:
    copy = locker.items[3]
    assert str(copy.pk) in locker.bundle.item_ids
    EvidenceItem.objects.filter(pk=copy.pk).update(parent=None)
    _delete_item(copy)
    code, lines = _verify()
    assert code == 1
    assert f"evidence {copy.pk}: item-missing by=audit,bundle:{locker.bundle.pk}" in lines
    assert not any(line.startswith("case ") for line in lines)  # 1..3 still without a gap


def test_a_deleted_bundle_that_was_downloaded_is_found(locker: Locker) -> None:
    Bundle.objects.filter(pk=locker.bundle.pk).delete()
    code, lines = _verify()
    assert code == 1
    assert f"bundle {locker.bundle.pk}: bundle-missing" in lines
    order = locker.items[0]  # its export no longer matches a bundle of the audit log
    assert f"evidence {order.pk}: custody-audit-mismatch kind=exported custody=1 audit=0" in lines


def test_a_changed_audit_event_is_found(locker: Locker) -> None:
    event = AuditEvent.objects.filter(action="evidence.downloaded").order_by("seq").first()
    assert event is not None
    AuditEvent.objects.filter(pk=event.pk).update(action="evidence.viewed")
    code, lines = _verify()
    assert code == 1
    assert f"audit {event.seq}: audit-chain-broken" in lines


def test_the_lines_carry_ids_and_codes_only(locker: Locker) -> None:
    page = locker.items[2]
    EvidenceItem.objects.filter(pk=page.pk).update(status="rejected", graphic=True)
    _code, lines = _verify()
    text = "\n".join(lines)
    values = page.decrypt(keyring_of(locker.bundle.requested_by))
    for secret in (values.name, values.sha256, "страница", "Иванов"):
        assert secret
        assert secret not in text


@pytest.mark.django_db(transaction=True)
def test_verify_outside_a_transaction_reads_one_snapshot_and_finds_a_change(locker: Locker) -> None:
    """As the command runs from a shell (on PostgreSQL: one REPEATABLE READ snapshot)."""
    assert not connection.in_atomic_block
    assert _verify() == (0, [])
    page = locker.items[2]
    EvidenceItem.objects.filter(pk=page.pk).update(status="verified")
    assert _verify() == (1, [f"evidence {page.pk}: status-mismatch"])


def test_an_older_chain_with_a_verified_event_and_labels_audited_by_name_only_verifies_clean(anna: User) -> None:
    """Before the ``status_changed`` and ``labelled`` kinds (migration 0005): a status change was a
    ``verified`` event written just after the row's time, and a change of flags only an audit event
    by name. Such an item verifies clean; its status is still checked; items labelled since are
    checked in full."""
    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, title="Иванов против в/ч 00000", number="2026-0202")
    old, new = (item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(content), name=name, added_by=anna,
                            keyring=keyring) for name, content in FILES[:2])
    with transaction.atomic():  # what item_status_set and item_labels_set did then
        EvidenceItem.objects.filter(pk=old.pk).update(status="in_review", verified_by=anna,
                                                     verified_at=timezone.now(), graphic=True)
        custody_append(item=old, kind=CustodyKind.VERIFIED, actor=anna, details={"status": "in_review",
                                                                                 "from": "new"})
        log_action(action="evidence.status_changed", actor=anna, target=old,
                   details={"case": case.pk, "number": old.number, "from": "new", "to": "in_review"})
        log_action(action="evidence.labels_changed", actor=anna, target=old,
                   details={"case": case.pk, "number": old.number, "fields": ["graphic"]})
    MigrationRecorder.Migration.objects.filter(app="evidence", name="0005_custody_kinds_handovers_capturer").update(
        applied=timezone.now())  # the upgrade
    item_labels_set(item=new, actor=anna, keyring=keyring, identifies_client=False, graphic=True, tags=[],
                    description="")
    assert _verify() == (0, [])
    EvidenceItem.objects.filter(pk=old.pk).update(status="verified")
    EvidenceItem.objects.filter(pk=new.pk).update(graphic=False)
    assert _verify() == (1, [f"evidence {old.pk}: status-mismatch", f"evidence {new.pk}: graphic-mismatch"])


def test_a_file_carried_in_from_an_accepted_request_verifies_clean(
    anna: User, verified_client: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tests.intake_visitor import IntakeVisitor

    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all(files=[("приказ.pdf", FILES[0][1])])
    visitor.submit()
    submission = Submission.objects.get()
    client = verified_client(anna)
    with django_capture_on_commit_callbacks(execute=True):  # files are taken in once the accept commits
        client.post(f"/staff/inbox/{submission.pk}/accept/",
                    {"person": "new", "case": "new", "case_kind": "special_rank"})
    item = EvidenceItem.objects.get()
    assert item.source == "request"
    assert client.get(f"/staff/cases/{item.case_id}/evidence/{item.pk}/download/").status_code == 200
    assert _verify() == (0, [])
    EvidenceItem.objects.filter(pk=item.pk).update(identifies_client=True)
    assert _verify() == (1, [f"evidence {item.pk}: identifies_client-mismatch"])


def test_an_older_captured_event_without_the_flag_falls_back_to_the_audit_log(anna: User) -> None:
    """Chains captured before the flag was recorded in the event: the ``evidence.added`` audit
    event has it."""
    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, title="Иванов против в/ч 00000", number="2026-0203")
    page = item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(FILES[2][1]), name=FILES[2][0],
                       added_by=anna, keyring=keyring)
    captured = CustodyEvent.objects.get(item=page, seq=0)
    details = {"source": "upload"}  # as _item_record wrote it then; the chain hashed without the flag
    CustodyEvent.objects.filter(pk=captured.pk).update(details=details, hash=event_hash(
        item_id=page.pk, seq=0, kind="captured", actor_id=anna.pk, at=captured.at, details=details,
        prev_hash=GENESIS, captured=page.blob_sha256))
    assert _verify() == (0, [])
    EvidenceItem.objects.filter(pk=page.pk).update(active_content=False)
    assert _verify() == (1, [f"evidence {page.pk}: active_content-mismatch"])


@pytest.mark.django_db(transaction=True)  # the command reads, from its own process, what this test committed
def test_the_installed_command_names_a_tampered_custody_row_by_item_and_code_and_exits_1(
    anna: User, pavel: User, settings: Any, tmp_path: Path, clean_env: dict[str, str]
) -> None:
    """What an administrator runs from a shell: the ``defensor`` program pip installed, on the
    data directory (its evidence folder and secret key) and database the server uses. Someone with
    the database says pavel, not anna, downloaded the order: exit 1, one line of the item's id and
    the code, nothing of the file."""
    program = Path(sys.executable).with_name("defensor")  # the console script of the installed package
    assert program.is_file(), "the package is not installed (make install)"
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o700)
    settings.DEFENSOR_EVIDENCE_DIR = data_dir / "evidence"  # where the command looks: <data dir>/evidence
    secret = data_dir / "secret_key"  # the audit chain's key is derived from it: this run's own
    secret.write_text(settings.SECRET_KEY, encoding="utf-8")
    secret.chmod(0o600)
    env = {**clean_env, "DEFENSOR_DATA_DIR": str(data_dir)}
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        env["DEFENSOR_SQLITE_PATH"] = name
    else:
        env["DATABASE_URL"] = urlsplit(env["DATABASE_URL"])._replace(path=f"/{name}").geturl()

    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, title="Иванов против в/ч 00000", number="2026-0204")
    order, photo = (item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(content), name=file_name,
                                added_by=anna, keyring=keyring) for file_name, content in FILES[:2])
    for item in (order, photo):
        _values, chunks = item_open(item=item, reader=anna, keyring=keyring, purpose="download")
        b"".join(chunks)

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(program), "evidence", "verify"], env=env, capture_output=True, text=True,
                              check=False, timeout=120)

    clean = verify()
    assert (clean.returncode, clean.stdout) == (0, ""), clean.stderr
    CustodyEvent.objects.filter(item=order, seq=1).update(actor=pavel)
    broken = verify()
    assert broken.returncode == 1, broken.stderr
    assert broken.stdout.splitlines() == [f"evidence {order.pk}: custody-hash seq=1"]
    values = order.decrypt(keyring)
    for secret_text in (values.name, values.sha256, "приказ", "Иванов"):
        assert secret_text
        assert secret_text not in broken.stdout + broken.stderr
