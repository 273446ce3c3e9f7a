"""Trusted timestamps against a real time-stamping authority: ``openssl ts -reply`` behind a tiny
HTTP server on 127.0.0.1, with its own CA and a TSA certificate (extendedKeyUsage critical
timeStamping). The daily run stamps the new custody chain heads, ``defensor evidence verify`` checks
every token, and a changed custody row or a changed token is found."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from defensor.accounts.models import User
from defensor.audit.models import AuditEvent
from defensor.cases.models import Case
from defensor.cases.services import case_open
from defensor.core.periodic import periodic_schedule_all
from defensor.evidence.custody import event_hash
from defensor.evidence.models import CustodyEvent, EvidenceItem, Source, TimestampLeaf, TimestampToken
from defensor.evidence.services import item_ingest, item_open
from defensor.evidence.timestamps import (
    TIMESTAMP_TASK,
    merkle_path,
    merkle_root,
    merkle_root_from_path,
    stamp_proofs,
    timestamps_schedule,
    timestamps_stamp,
)
from tests.conftest import keyring_of, require_tool

pytestmark = pytest.mark.usefixtures("evidence_dir")  # each test its own evidence folder (tests/conftest.py)

TSA_CONFIG = """
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = Test TSA
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.pem
certs = {dir}/ca.pem
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _authority(directory: Path, name: str) -> Path:
    """A CA and a TSA certificate it issued, with the openssl ts configuration; the PEM chain file."""
    openssl = require_tool("openssl")
    directory.mkdir()
    config = directory / "tsa.cnf"
    config.write_text(TSA_CONFIG.format(dir=directory))
    (directory / "serial").write_text("01\n")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
        "-subj", f"/CN={name} CA", "-config", str(config), "-extensions", "ca_ext")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name} TSA",
        "-config", str(config))
    run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.pem",
        "-days", "30", "-extfile", str(config), "-extensions", "tsa_ext")
    chain = directory / "chain.pem"
    chain.write_bytes((directory / "tsa.pem").read_bytes() + (directory / "ca.pem").read_bytes())
    return chain


@dataclass
class LocalTsa:
    url: str
    chain: Path
    queries: list[bytes] = field(default_factory=list)
    answer: str = "reply"  # or "http-error", "garbage": a TSA having a bad day


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    directory = tmp_path_factory.mktemp("tsa") / "authority"
    chain = _authority(directory, "Local")
    openssl = require_tool("openssl")
    local = LocalTsa("", chain)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            local.queries.append(query)
            if local.answer == "http-error":
                self.send_error(500)
                return
            name = uuid.uuid4().hex
            (directory / f"{name}.tsq").write_bytes(query)
            subprocess.run([openssl, "ts", "-reply", "-config", str(directory / "tsa.cnf"),
                            "-queryfile", f"{name}.tsq", "-out", f"{name}.tsr"],
                           cwd=directory, check=True, capture_output=True)
            reply = (directory / f"{name}.tsr").read_bytes() if local.answer == "reply" else b"not a reply"
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        local.url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
        yield local
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stamping(settings: object, tsa: LocalTsa) -> LocalTsa:
    settings.DEFENSOR_TSA_URL = tsa.url  # type: ignore[attr-defined]
    settings.DEFENSOR_TSA_CERT = str(tsa.chain)  # type: ignore[attr-defined]
    settings.DEFENSOR_TSA_TIMEOUT = 10  # type: ignore[attr-defined]
    return tsa


@pytest.fixture
def case(anna: User) -> Case:
    return case_open(opened_by=anna, keyring=keyring_of(anna), title="Дело о командировке", number="2026-0107")


CONTENTS = [b"%PDF-1.4 order of dismissal " + bytes(range(256)) * 40, b"\xff\xd8\xff\xe0 photo " + b"\x07" * 9000]


@pytest.fixture
def items(anna: User, case: Case) -> list[EvidenceItem]:
    return [item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(content), name=f"приказ-{n}.pdf",
                        added_by=anna, keyring=keyring_of(anna)) for n, content in enumerate(CONTENTS)]


def _verify() -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("evidence", "verify", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def _worker_runs_the_daily_stamp() -> None:
    """The daily run waits in the database queue with no arguments; the real worker runs it."""
    queued = DBTaskResult.objects.get(task_path=TIMESTAMP_TASK, status="READY")
    assert queued.args_kwargs == {"args": [], "kwargs": {}}
    DBTaskResult.objects.filter(pk=queued.pk).update(run_after=timezone.now() - timedelta(minutes=1))
    call_command("db_worker", batch=True, verbosity=0)
    assert DBTaskResult.objects.get(pk=queued.pk).status == "SUCCESSFUL"
    assert DBTaskResult.objects.filter(task_path=TIMESTAMP_TASK, status="READY").count() == 1  # tomorrow's


def _download(item: EvidenceItem, user: User) -> None:
    _values, chunks = item_open(item=item, reader=user, keyring=keyring_of(user), purpose="download")
    b"".join(chunks)


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection, as it does in life
def test_the_daily_run_stamps_new_chain_heads_and_verify_checks_the_tokens(
    stamping: LocalTsa, anna: User, items: list[EvidenceItem]
) -> None:
    assert "evidence timestamps" in periodic_schedule_all()
    queries_before = len(stamping.queries)
    _worker_runs_the_daily_stamp()

    token = TimestampToken.objects.get()
    leaves = list(TimestampLeaf.objects.filter(token=token).order_by("position"))
    assert [(leaf.item_id, leaf.seq) for leaf in leaves] == [(item.pk, 0) for item in items]
    assert token.root == merkle_root([leaf.hash for leaf in leaves]).hex()
    assert abs(token.stamped_at - timezone.now()) < timedelta(minutes=5)
    audit = AuditEvent.objects.get(action="evidence.timestamped")
    assert audit.target_id == str(token.pk)
    assert audit.details["leaves"] == 2
    assert _verify() == (0, [])

    # The TSA saw one query, holding neither an original's SHA-256 nor anything of the files.
    query = stamping.queries[queries_before]
    for content in CONTENTS:
        digest = hashlib.sha256(content).digest()
        assert digest not in query
        assert digest.hex().encode() not in query
        assert content[:16] not in query

    # Nothing grew: nothing to stamp. A download grows one chain: only that head is stamped next.
    assert timestamps_stamp() == 0
    _download(items[1], anna)
    assert timestamps_stamp() == 1
    latest = TimestampToken.objects.order_by("-created_at").first()
    assert latest is not None
    assert list(latest.leaves.values_list("item_id", "seq")) == [(items[1].pk, 1)]
    assert _verify() == (0, [])


def test_a_chain_rewritten_consistently_is_caught_only_by_its_timestamp(
    stamping: LocalTsa, anna: User, pavel: User, items: list[EvidenceItem]
) -> None:
    """Someone who writes to the database changes who captured an item and re-hashes its whole chain:
    the chain alone looks intact; the stamped head no longer matches."""
    _download(items[0], anna)
    assert timestamps_stamp() == 1
    token = TimestampToken.objects.get()
    item = EvidenceItem.objects.get(pk=items[0].pk)
    prev = "0" * 64
    for event in CustodyEvent.objects.filter(item=item).order_by("seq"):
        actor_id = pavel.pk if event.seq == 0 else event.actor_id
        captured = item.blob_sha256 if event.kind == "captured" else None
        digest = event_hash(item_id=item.pk, seq=event.seq, kind=event.kind, actor_id=actor_id, at=event.at,
                            details=event.details, prev_hash=prev, captured=captured)
        CustodyEvent.objects.filter(pk=event.pk).update(actor_id=actor_id, prev_hash=prev, hash=digest)
        prev = digest

    code, lines = _verify()
    assert code == 1
    assert lines == [f"timestamp {token.pk}: timestamp-leaf-changed evidence {item.pk} seq=1",
                     f"timestamp {token.pk}: timestamp-root"]


def test_a_changed_custody_row_is_reported_by_the_chain_and_the_timestamp(
    stamping: LocalTsa, items: list[EvidenceItem], pavel: User
) -> None:
    assert timestamps_stamp() == 1
    token = TimestampToken.objects.get()
    CustodyEvent.objects.filter(item=items[1], seq=0).update(hash="f" * 64)
    code, lines = _verify()
    assert code == 1
    assert f"evidence {items[1].pk}: custody-hash seq=0" in lines
    assert f"timestamp {token.pk}: timestamp-leaf-changed evidence {items[1].pk} seq=0" in lines
    assert f"timestamp {token.pk}: timestamp-root" in lines


def _flip_in_signed_time(response: bytes) -> bytes:
    """One digit of the TSA's time (GeneralizedTime …Z inside the signed TSTInfo) changed."""
    year = str(timezone.now().year).encode()
    at = response.index(b"\x18\x0f" + year) + 2 + 12  # tag, length, then YYYYMMDDhhmm: a second's digit
    changed = bytearray(response)
    changed[at] = ord("0") if changed[at] != ord("0") else ord("1")
    return bytes(changed)


def test_a_changed_or_swapped_token_is_found(stamping: LocalTsa, anna: User, items: list[EvidenceItem]) -> None:
    assert timestamps_stamp() == 1
    token = TimestampToken.objects.get()
    original = bytes(token.response)

    TimestampToken.objects.filter(pk=token.pk).update(response=_flip_in_signed_time(original))
    code, lines = _verify()
    assert (code, lines) == (1, [f"timestamp {token.pk}: timestamp-token"])

    # A genuine token of the same TSA, but over another root (the next day's), put in its place.
    _download(items[0], anna)
    assert timestamps_stamp() == 1
    other = TimestampToken.objects.exclude(pk=token.pk).get()
    TimestampToken.objects.filter(pk=token.pk).update(response=bytes(other.response))
    code, lines = _verify()
    assert (code, lines) == (1, [f"timestamp {token.pk}: timestamp-root"])

    TimestampToken.objects.filter(pk=token.pk).update(response=original)
    assert _verify() == (0, [])


def test_a_token_from_another_authority_does_not_verify(
    stamping: LocalTsa, settings: object, tmp_path: Path, anna: User, case: Case, items: list[EvidenceItem]
) -> None:
    assert timestamps_stamp() == 1
    token = TimestampToken.objects.get()
    settings.DEFENSOR_TSA_CERT = str(_authority(tmp_path / "other", "Other"))  # type: ignore[attr-defined]
    assert _verify() == (1, [f"timestamp {token.pk}: timestamp-token"])

    # Stamping against a TSA whose certificate is not the one configured stores nothing.
    item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(b"third file"), name="3.txt", added_by=anna,
                keyring=keyring_of(anna))
    assert timestamps_stamp() == 0
    assert TimestampToken.objects.count() == 1
    failed = AuditEvent.objects.get(action="evidence.timestamp_failed")
    assert failed.details == {"reason": "tsa-reply-invalid", "leaves": 1}


def test_a_tsa_that_cannot_be_reached_is_audited_and_the_heads_wait_for_the_next_day(
    stamping: LocalTsa, settings: object, items: list[EvidenceItem]
) -> None:
    settings.DEFENSOR_TSA_URL = "http://127.0.0.1:9/tsr"  # type: ignore[attr-defined]  # discard: nobody listens
    assert timestamps_stamp() == 0
    assert not TimestampToken.objects.exists()
    failed = AuditEvent.objects.get(action="evidence.timestamp_failed")
    assert failed.details == {"reason": "tsa-unreachable", "leaves": 2}
    assert failed.organisation_id == items[0].case.organisation_id

    settings.DEFENSOR_TSA_URL = stamping.url  # type: ignore[attr-defined]
    assert timestamps_stamp() == 1
    assert TimestampLeaf.objects.count() == 2
    assert _verify() == (0, [])


@pytest.mark.parametrize(("answer", "reason"), [("http-error", "tsa-http-error"), ("garbage", "tsa-reply-unreadable")])
def test_a_tsa_that_answers_wrongly_is_audited_and_nothing_is_stored(
    stamping: LocalTsa, items: list[EvidenceItem], answer: str, reason: str
) -> None:
    stamping.answer = answer
    try:
        assert timestamps_stamp() == 0
    finally:
        stamping.answer = "reply"
    assert not TimestampToken.objects.exists()
    assert AuditEvent.objects.get(action="evidence.timestamp_failed").details == {"reason": reason, "leaves": 2}
    assert _verify() == (0, [])


def test_timestamps_are_off_without_a_tsa_and_verify_says_when_it_cannot_check_tokens(
    stamping: LocalTsa, settings: object, items: list[EvidenceItem]
) -> None:
    settings.DEFENSOR_TSA_URL = ""  # type: ignore[attr-defined]
    assert not timestamps_schedule()
    assert timestamps_stamp() == 0
    assert not DBTaskResult.objects.filter(task_path=TIMESTAMP_TASK).exists()

    settings.DEFENSOR_TSA_URL = stamping.url  # type: ignore[attr-defined]
    assert timestamps_stamp() == 1
    settings.DEFENSOR_TSA_CERT = ""  # type: ignore[attr-defined]
    code, lines = _verify()
    assert code == 1
    assert lines == ["timestamps: tsa-cert-missing (DEFENSOR_TSA_CERT): the tokens' signatures are not checked"]
    ids = [message.id for message in run_checks()]
    assert "defensor.E026" in ids  # on, and no certificate to check the tokens against
    assert "defensor.E025" not in ids


def test_a_court_can_check_one_item_against_its_token_from_the_audit_path(
    stamping: LocalTsa, anna: User, case: Case, items: list[EvidenceItem]
) -> None:
    for n in range(3):
        item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(b"more %d" % n), name="x", added_by=anna,
                    keyring=keyring_of(anna))
    assert timestamps_stamp() == 1
    proofs = stamp_proofs(items=[items[1]])
    assert len(proofs) == 1
    proof = proofs[0]
    assert (proof.item_id, proof.seq, proof.leaves) == (str(items[1].pk), 0, 5)
    assert merkle_root_from_path(proof.head, proof.path).hex() == proof.root
    assert json.dumps(proof.path)  # plain strings, ready for the bundle's JSON


@pytest.mark.parametrize("count", range(1, 12))
def test_every_leaf_of_every_tree_shape_proves_the_root(count: int) -> None:
    heads = [hashlib.sha256(b"%d" % n).hexdigest() for n in range(count)]
    root = merkle_root(heads)
    for index, head in enumerate(heads):
        assert merkle_root_from_path(head, merkle_path(heads, index)) == root
    assert merkle_root(list(reversed(heads))) != root or count == 1
