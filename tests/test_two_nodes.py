"""The set-up of docs/deployment.md on one machine: two `defensor serve` nodes on one PostgreSQL
database, the background worker as a third process, each with a data directory of its own and the
sealed files' folders (media/, evidence/) shared, as an NFS mount would share them.

A person whose every page goes to another node (no sticky sessions) sends a file; people flood both
nodes; one node is SIGKILLed mid-flood. Every receipt a person was given is stored, whole, and
opens with the organisation's keys; the file reads back on the other node; the audit chain is
intact. With both nodes up, the daily reminder run queued three times reminds once, and a document
asked for on one node is written once by the worker, even when its task is delivered again.

PostgreSQL only (a database of its own, made and dropped here): SQLite is one machine's database.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from bench.intake import FIELD, Tally, answers_for, crash, verify_stored, visitor
from tests.serving import ROOT, free_port, http_status
from tests.serving_staff import PASSWORD, Browser, Lawyer

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.skipif(not DATABASE_URL.startswith(("postgres://", "postgresql://")),
                       reason="several nodes share one PostgreSQL database (DATABASE_URL)"),
    pytest.mark.timeout(240),
]

SHARED = ("media", "evidence")  # MEDIA_ROOT (media/attachments) and DEFENSOR_EVIDENCE_DIR, under each data dir
RECEIPT = re.compile(r'data-testid="receipt">([^<]+)<')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATE = re.compile(r'name="state" value="([^"]+)"')
REMINDERS_TASK = "defensor.deadlines.tasks.deadline_reminders"
DOCUMENT_TASK = "defensor.documents.tasks.document_generate"
FLOOD_SECONDS = 10.0
KILL_AFTER_SECONDS = 4.0
VISITORS = 12
WAIT_SECONDS = 60.0

# What `defensor init` and an administrator would have done: an organisation and its keys, an
# administrator who uploads a document template, a lawyer with an authenticator who opened a case
# and recorded a lawyer's request 29 days ago (its reply is due within days: the reminder run has work).
PREPARE = """
import json, sys
from datetime import timedelta
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from defensor.access import services as keys
from defensor.accounts import services as accounts
from defensor.accounts.models import Role
from defensor.cases import services as cases
from defensor.cases.models import EventKind
from defensor.core.models import Organisation
from defensor.documents.services import template_upload
from defensor.keys.keyring import KeyRing, unwrap_private_key
from defensor.keys.models import UserKeyPair
from tests.docx_files import docx_of
password, totp_key = sys.argv[1:3]
organisation = Organisation.objects.create(name="Правозащитная группа")
with transaction.atomic():
    kit = keys.organisation_keys_create(organisation=organisation)
recovery = keys.recovery_private_key(organisation=organisation, shares=kit.shares[:2])
def member(username, role):
    user, _ = accounts.user_create(organisation=organisation, username=username, role=role, created_by=None,
                                   password=password)
    keys.grants_fill_from_recovery(organisation=organisation, recovery_key=recovery, user=user)
    return user
olga, anna = member("olga", Role.ADMIN), member("anna", Role.LAWYER)
TOTPDevice.objects.create(user=anna, name="authenticator", confirmed=True, key=totp_key)
keyring = KeyRing(anna.pk, unwrap_private_key(UserKeyPair.objects.get(user=anna), password))
case = cases.case_open(opened_by=anna, keyring=keyring, title="Отказ от командировки", kind="military_admin",
                       court="Курский гарнизонный военный суд")
cases.case_event_add(case=case, recorded_by=anna, keyring=keyring, kind=EventKind.LAWYER_REQUEST,
                     happened_on=timezone.localdate() - timedelta(days=29))
template = template_upload(uploaded_by=olga, slug="request", title="Запрос",
                           content=docx_of("В {{ case.court }}", "{{ today }}"))
print(json.dumps({"shares": kit.shares, "case": case.pk, "template": "upload:" + template.slug}))
"""

# Queue tasks as another process would. "reminders": the run the worker queued for the day's
# reminder hour is due now, and two more wait beside it (as two nodes, each starting its own
# worker at once, could queue them); all three in one transaction. A number: that document's
# writing, delivered again.
ENQUEUE = """
import sys
from datetime import timedelta
import django
django.setup()
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
what = sys.argv[1]
if what == "reminders":
    from defensor.deadlines.tasks import REMINDERS_TASK, deadline_reminders
    due = timezone.now() - timedelta(minutes=1)
    with transaction.atomic():
        assert DBTaskResult.objects.filter(task_path=REMINDERS_TASK, status="READY").update(run_after=due) == 1
        for _ in range(2):
            deadline_reminders.using(run_after=due).enqueue()
else:
    from defensor.documents.tasks import document_generate
    document_generate.enqueue(int(what))
"""


@dataclass
class Cluster:
    """The processes of the set-up and what they share."""

    url: str
    shared: Path
    env_of: Callable[[str], dict[str, str]]
    processes: dict[str, subprocess.Popen[bytes]]
    ports: dict[str, int]

    def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            cursor = connection.execute(query, params)
            return list(cursor.fetchall()) if cursor.description else []

    def run(self, script: str, *args: str) -> str:
        result = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=self.env_of("tools"),
                                capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def defensor(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "defensor.cli", *args], cwd=ROOT, env=self.env_of("tools"),
                              capture_output=True, text=True, check=False, timeout=120)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.2)


@pytest.fixture
def cluster_database() -> Iterator[str]:
    import psycopg

    name = f"defensor_two_nodes_{os.getpid()}"
    admin = urlsplit(DATABASE_URL)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(DATABASE_URL)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _node_start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`defensor serve` as the unit runs it (the worker off), in a process group of its own so that a
    SIGKILL takes its granian workers with it, as a machine that dies would."""
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "defensor.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _answering(port: int) -> bool:
    try:
        return http_status(f"http://127.0.0.1:{port}/staff/login/") == 200
    except OSError:
        return False


@pytest.fixture
def cluster(cluster_database: str, clean_env: dict[str, str], tmp_path: Path) -> Iterator[Cluster]:
    shared = tmp_path / "shared"
    for folder in SHARED:
        (shared / folder).mkdir(parents=True, mode=0o700)
    (tmp_path / "kit").mkdir()
    common = {
        **clean_env,
        "DATABASE_URL": cluster_database,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # One secret for every node and the worker: the receipts' lookup key, sessions, the audit chain.
        "DEFENSOR_SECRET_KEY": secrets.token_urlsafe(50),
        # Production settings, as the units run (static files by their hashed names, collected by
        # each node at start), but plain HTTP on loopback: nginx is not in front here.
        "DEFENSOR_MODE": "production",
        "DEFENSOR_SSL_REDIRECT": "0",
        "DEFENSOR_TASK_WORKER": "0",
        "DEFENSOR_RECOVERY_KIT_DIR": str(tmp_path / "kit"),
        "DEFENSOR_INTAKE_MAX_PER_MINUTE": "0",
        "DEFENSOR_INTAKE_HOLD_FASTER_THAN_SECONDS": "0",
        "DEFENSOR_REMIND_DAYS": "14,7,3,1",
        "DEFENSOR_DOCUMENTS_PDF": "0",
        "DEFENSOR_KDF_OPSLIMIT": "1",
        "DEFENSOR_KDF_MEMLIMIT": str(8 * 1024 * 1024),
    }

    def env_of(name: str) -> dict[str, str]:
        """The environment of one node: its own data directory, the sealed files' folders shared."""
        data_dir = tmp_path / name
        if not data_dir.exists():
            data_dir.mkdir(mode=0o700)
            for folder in SHARED:
                (data_dir / folder).symlink_to(shared / folder, target_is_directory=True)
        return {**common, "DEFENSOR_DATA_DIR": str(data_dir)}

    made = Cluster(url=cluster_database, shared=shared, env_of=env_of, processes={}, ports={})
    try:
        yield made
    finally:
        # As systemd stops a unit: SIGTERM to every process of it.
        for process in made.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in made.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                crash(process)


def _hopping_visitor(ports: list[int], file_name: str, content: bytes) -> str:
    """A person whose every request reaches the next node (a balancer without sticky sessions):
    the form state, the CSRF token and the file sent on one node are taken by the other. Returns
    the receipt."""
    cookies: dict[str, str] = {}
    browsers = [Browser(port, cookies) for port in ports]
    page = browsers[0].get("/request/")
    for step in range(1, 12):
        assert page.status == 200, page.text[-2000:]
        receipt = RECEIPT.search(page.text)
        if receipt:
            return html.unescape(receipt.group(1)).strip()
        token, state = CSRF.search(page.text), STATE.search(page.text)
        assert token is not None, page.text[-2000:]
        assert state is not None, page.text[-2000:]
        fields: list[tuple[str, str]] = [("csrfmiddlewaretoken", token.group(1)), ("state", state.group(1))]
        if 'value="submit"' in page.text:
            fields.append(("action", "submit"))
        else:
            fields.append(("action", "next"))
            fields += answers_for(set(FIELD.findall(page.text.split('name="state"', 1)[1])))
        browser = browsers[step % len(browsers)]
        if 'name="files"' in page.text and file_name:
            boundary = f"----DefensorBoundary{uuid.uuid4().hex}"
            body = b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                for name, value in fields
            ) + (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{file_name}"\r\n'
                 "Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
            file_name = ""
            page = browser.request("POST", "/request/", body=body, headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body)),
                "Origin": "null"})
        else:
            body = urlencode(fields).encode()
            page = browser.request("POST", "/request/", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(len(body)),
                "Origin": "null"})
    pytest.fail("the form did not end with a receipt")


async def _flood(cluster: Cluster, tallies: dict[str, Tally]) -> None:
    """VISITORS people fill the whole form again and again, each on one node, half on each, for
    FLOOD_SECONDS; node a is SIGKILLed after KILL_AFTER_SECONDS and its people go to node b (as
    the balancer would send them), their forms in progress lost and never acknowledged."""
    alive = ["a", "b"]
    deadline = time.perf_counter() + FLOOD_SECONDS

    async def person(number: int) -> None:
        while time.perf_counter() < deadline:
            node = alive[number % len(alive)]
            try:
                await visitor(cluster.ports[node], tallies[node])
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                tallies[node].errors += 1
                await asyncio.sleep(0.05)

    async def killer() -> None:
        await asyncio.sleep(KILL_AFTER_SECONDS)
        crash(cluster.processes["a"])
        alive.remove("a")

    await asyncio.gather(killer(), *(person(number) for number in range(VISITORS)))


def test_two_nodes_and_a_worker_on_one_database_lose_nothing_when_a_node_is_killed(
    cluster: Cluster, tmp_path: Path,
) -> None:
    totp_key = secrets.token_hex(20)
    prepared = json.loads(cluster.run(PREPARE, PASSWORD, totp_key).strip().splitlines()[-1])
    lawyer = Lawyer(username="anna", password=PASSWORD, totp_key=totp_key, case_id=int(prepared["case"]))

    # The worker on a node of its own, then the two application nodes (the database is migrated:
    # their own `migrate` at start finds nothing to do).
    with (tmp_path / "worker.log").open("wb") as output:
        cluster.processes["worker"] = subprocess.Popen(
            [sys.executable, "-m", "defensor.cli", "worker", "--interval", "1"], cwd=ROOT,
            env=cluster.env_of("worker"), stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    for node in ("a", "b"):
        cluster.ports[node] = free_port()
        cluster.processes[node] = _node_start(cluster.env_of(node), cluster.ports[node], tmp_path / f"{node}.log")
    for node in ("a", "b"):
        server, port = cluster.processes[node], cluster.ports[node]
        wait_for(lambda: _answering(port) or server.poll() is not None, f"node {node}", seconds=90)  # noqa: B023
        assert server.poll() is None, (tmp_path / f"{node}.log").read_text()[-3000:]
    wait_for(lambda: cluster.sql("SELECT count(*) FROM keys_workerkey")[0][0] == 1, "the worker's key")
    assert cluster.processes["worker"].poll() is None, (tmp_path / "worker.log").read_text()[-3000:]

    # 1. A person sends a file through both nodes (the form from a, the file to a, the other pages to
    # b), then a lawyer reads it on b.
    content = "Рапорт об отказе от командировки, копия.\n".encode() * 50
    hopped = _hopping_visitor([cluster.ports["a"], cluster.ports["b"]], "raport.txt", content)
    ((submission_id, attachment_id),) = cluster.sql("SELECT submission_id, id FROM intake_attachment")
    assert (cluster.shared / "media" / "attachments" / f"{attachment_id}.bin").is_file()
    assert not any((tmp_path / node / "media").is_dir() and not (tmp_path / node / "media").is_symlink()
                   for node in ("a", "b", "worker"))

    # 2. The flood, node a killed in the middle of it.
    tallies = {"a": Tally(), "b": Tally()}
    asyncio.run(_flood(cluster, tallies))
    assert cluster.processes["a"].poll() is not None
    assert tallies["a"].receipts, "node a acknowledged nothing before it was killed"
    assert tallies["b"].receipts, "node b acknowledged nothing"
    receipts = [hopped, *tallies["a"].receipts, *tallies["b"].receipts]
    stored = verify_stored(receipts, prepared["shares"], cluster.env_of("tools"))
    assert stored["found"] == stored["opened"] == len(receipts), stored
    assert stored["partial"] == 0, stored
    assert cluster.defensor("audit", "verify").returncode == 0

    # The file sent through both nodes reads back on the one left, for the lawyer.
    browser = Browser(cluster.ports["b"])
    browser.sign_in(lawyer)
    assert browser.get(f"/staff/inbox/{submission_id}/").status == 200
    download = browser.get(f"/staff/inbox/{submission_id}/files/{attachment_id}/")
    assert (download.status, download.body) == (200, content)

    # 3. The day's reminder run, queued three times (the worker's and two more, as two nodes starting
    # at once could), reminds the lawyer once; one run stays queued for tomorrow.
    cluster.run(ENQUEUE, "reminders")
    wait_for(lambda: not cluster.sql(
        "SELECT 1 FROM django_tasks_database_dbtaskresult WHERE task_path = %s "
        "AND (status = 'RUNNING' OR (status = 'READY' AND run_after <= now()))", REMINDERS_TASK),
        "the reminder runs")
    assert cluster.sql("SELECT count(*) FROM django_tasks_database_dbtaskresult "
                       "WHERE task_path = %s AND status = 'SUCCESSFUL'", REMINDERS_TASK)[0][0] >= 1
    assert cluster.sql("SELECT count(*) FROM django_tasks_database_dbtaskresult "
                       "WHERE task_path = %s AND status = 'READY'", REMINDERS_TASK)[0][0] == 1
    assert cluster.sql("SELECT u.username FROM deadlines_reminder r JOIN accounts_user u ON u.id = r.user_id") \
        == [("anna",)]
    assert cluster.sql("SELECT count(*) FROM audit_auditevent WHERE action = 'deadline.reminders_sent'")[0][0] == 1

    # 4. A document asked for on node b is written by the worker, once, though its task comes twice.
    case_path = f"/staff/cases/{lawyer.case_id}/documents/new/?template={prepared['template']}"
    token = browser.csrf_from(case_path)
    asked = browser.post_form(f"/staff/cases/{lawyer.case_id}/documents/new/",
                              {"csrfmiddlewaretoken": token, "template": prepared["template"]})
    assert asked.status == 302, asked.text[-2000:]
    ((document_id,),) = cluster.sql("SELECT id FROM documents_generateddocument")
    assert cluster.sql("SELECT details->>'background' FROM audit_auditevent WHERE action = 'document.requested'") \
        == [("true",)], "the document was written in the request, not by the worker"
    wait_for(lambda: cluster.sql("SELECT status FROM documents_generateddocument")[0][0] != "queued",
             "the document")
    cluster.run(ENQUEUE, str(document_id))
    wait_for(lambda: cluster.sql(
        "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path = %s AND status = 'SUCCESSFUL'",
        DOCUMENT_TASK)[0][0] == 2, "the document's task delivered again")
    assert cluster.sql("SELECT status FROM documents_generateddocument") == [("done",)]
    assert cluster.sql("SELECT count(*) FROM audit_auditevent WHERE action = 'document.generated'")[0][0] == 1
    docx = browser.get(f"/staff/cases/{lawyer.case_id}/documents/{document_id}/docx/")
    assert docx.status == 200
    assert docx.body.startswith(b"PK\x03\x04")
    assert cluster.processes["worker"].poll() is None
    assert cluster.processes["b"].poll() is None
