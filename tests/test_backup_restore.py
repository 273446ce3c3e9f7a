"""The restore drill as an operator does it, on the database the suite runs on (SQLite, or
PostgreSQL under DATABASE_URL): a team's data → `defensor backup` → `defensor restore` into a new
data directory with two recovery shares → `defensor serve` → the lawyer reads a request made
before the backup and its person reads the reply with the receipt; a request made after the
backup is not there. A changed, cut or foreign archive is refused with a clear message and leaves
nothing behind; no plaintext is in the archive, even opened.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.canary import Canaries, scan_bytes
from tests.serving import ROOT, SHELL_UMASK, defensor, free_port
from tests.serving_staff import _PREPARE, Browser, Lawyer, serve_end, serve_logged

# The lawyer's organisation as tests/serving_staff.py makes it, and the two shares of its kit.
_PREPARE_WITH_SHARES = _PREPARE.replace(
    'print(json.dumps({"case": case.pk}))', 'print(json.dumps({"case": case.pk, "shares": kit.shares[:2]}))'
)
assert _PREPARE_WITH_SHARES != _PREPARE

# A person writes (their name a canary), the lawyer replies; prints the request's id and receipt.
_WRITE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from defensor.accounts.models import User
from defensor.intake import services
from defensor.intake.questionnaire import default_questionnaire
from defensor.keys.keyring import KeyRing, unwrap_private_key
from defensor.keys.models import UserKeyPair
from tests.intake_visitor import DEFAULT_ANSWERS
username, password, full_name, reply, receipt = sys.argv[1:6]
answers = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}
answers["full_name"] = full_name
received = services.submission_receive(questionnaire=default_questionnaire(), answers=answers, files=[],
                                       language="ru", receipt=receipt)
if reply:
    lawyer = User.objects.get(username=username)
    keyring = KeyRing(lawyer.pk, unwrap_private_key(UserKeyPair.objects.get(user=lawyer), password))
    services.reply_send(submission=received.submission, author=lawyer, keyring=keyring, text=reply)
print(json.dumps({"submission": str(received.submission.pk)}))
"""


def _run(script: str, args: list[str], env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=False, umask=SHELL_UMASK, timeout=180)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.fixture
def databases() -> Iterator[list[str]]:
    """Two empty PostgreSQL databases (the team's and the restored one) when the suite runs on
    PostgreSQL; two empty values (SQLite in each data directory) otherwise."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield ["", ""]
        return
    import psycopg

    names = [f"defensor_backup_{secrets.token_hex(4)}" for _ in range(2)]
    with psycopg.connect(url, autocommit=True) as db:
        for name in names:
            db.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    yield [urlunsplit(parts._replace(path=f"/{name}")) for name in names]
    with psycopg.connect(url, autocommit=True) as db:
        for name in names:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _environment(clean_env: dict[str, str], data: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in clean_env.items() if k != "DATABASE_URL"}
    env.update(DEFENSOR_DATA_DIR=str(data), DEFENSOR_KDF_OPSLIMIT="1", DEFENSOR_KDF_MEMLIMIT=str(8 * 1024 * 1024),
               DEFENSOR_TASK_WORKER="0", DEFENSOR_BACKUP_DIR="")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _opened(archive: Path, identity: str) -> dict[str, bytes]:
    """The archive's members, opened with ``identity`` (small archives only)."""
    import pyrage

    plain = pyrage.decrypt(archive.read_bytes(), [pyrage.x25519.Identity.from_str(identity)])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_backup_restore_serve_read_and_reply(tmp_path: Path, clean_env: dict[str, str], databases: list[str]) -> None:
    source = _environment(clean_env, tmp_path / "team", databases[0])
    prepared = _run(_PREPARE_WITH_SHARES, ["anna", "correct horse battery staple 42", secrets.token_hex(20)], source)
    shares = [str(s) for s in cast("list[str]", prepared["shares"])]
    from tests.serving_staff import PASSWORD

    canaries = Canaries()
    before_name, reply, after_name = canaries.new("before"), canaries.new("reply"), canaries.new("after")
    receipt = f"{secrets.randbelow(10**25):025d}"
    before = _run(_WRITE, ["anna", PASSWORD, before_name, reply, receipt], source)

    backups = tmp_path / "backups"
    made = defensor(["backup", "--to", str(backups)], source)
    assert made.returncode == 0, made.stderr
    archive = next(backups.glob("defensor-backup-*.age"))
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert "Backup written" in made.stdout
    assert not list(backups.glob(".*partial"))
    after = _run(_WRITE, ["anna", PASSWORD, after_name, "", f"{secrets.randbelow(10**25):025d}"], source)

    # No plaintext in the archive, and none in what it holds once opened with the recovery key.
    from defensor.keys import age, recovery

    identity = age.identity(recovery.combine_unchecked(shares))
    members = _opened(archive, identity)
    assert not scan_bytes("archive", archive.read_bytes(), canaries)
    for name, content in members.items():
        assert not scan_bytes(name, content, canaries), name
    manifest = json.loads(members["defensor-backup/manifest.json"])
    assert manifest["tables"]["intake_submission"] == 1
    config = members["defensor-backup/config.json"].decode()
    assert "SECRET" not in config
    assert PASSWORD not in config

    # Restored with two shares, into a new data directory.
    restored_env = _environment(clean_env, tmp_path / "restored", databases[1])
    restored = defensor(["restore", str(archive)], restored_env, stdin="\n".join(shares) + "\n")
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "0 differ" in restored.stdout
    assert "opened with the recovery key" in restored.stdout

    port = free_port()
    server = serve_logged(restored_env, port, tmp_path / "serve.log")
    try:
        lawyer = Lawyer(username="anna", password=PASSWORD, totp_key="", case_id=int(str(prepared["case"])))
        browser = Browser(port)
        totp_key = _run(
            "import os, sys, json\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
            "import django\ndjango.setup()\nfrom django_otp.plugins.otp_totp.models import TOTPDevice\n"
            "print(json.dumps({'key': TOTPDevice.objects.get(user__username='anna').key}))", [], restored_env)["key"]
        browser.sign_in(Lawyer(lawyer.username, PASSWORD, str(totp_key), lawyer.case_id))
        page = browser.get(f"/staff/inbox/{before['submission']}/")
        assert page.status == 200
        assert before_name in page.text  # the lawyer reads the request, with her own password
        assert browser.get(f"/staff/inbox/{after['submission']}/").status == 404  # made after the backup
        assert after_name not in browser.get("/staff/inbox/").text

        person = Browser(port)
        token = person.csrf_from("/receipt/")
        status = person.post_form("/receipt/", {"csrfmiddlewaretoken": token, "receipt": receipt, "action": "open"})
        assert status.status == 200, status.text[:500]
        assert reply in status.text  # the person reads the lawyer's reply with their receipt
    finally:
        serve_end(server)


def test_a_changed_cut_or_foreign_archive_is_refused_and_leaves_nothing(
    tmp_path: Path, clean_env: dict[str, str], databases: list[str]
) -> None:
    source = _environment(clean_env, tmp_path / "team", databases[0])
    prepared = _run(_PREPARE_WITH_SHARES, ["anna", "correct horse battery staple 42", secrets.token_hex(20)], source)
    shares = [str(s) for s in cast("list[str]", prepared["shares"])]
    made = defensor(["backup", "--to", str(tmp_path / "backups")], source)
    assert made.returncode == 0, made.stderr
    archive = next((tmp_path / "backups").glob("defensor-backup-*.age"))
    data = archive.read_bytes()
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x01
    cases = {
        "changed": bytes(changed),
        "cut": data[: len(data) * 2 // 3],
        "cut at the very end": data[:-17],
        "not an archive": b"these are not the droids\n" * 100,
    }
    target = tmp_path / "restored"
    env = _environment(clean_env, target, databases[1])
    for label, content in cases.items():
        bad = tmp_path / f"{label}.age"
        bad.write_bytes(content)
        refused = defensor(["restore", str(bad)], env, stdin="\n".join(shares) + "\n")
        assert refused.returncode == 2, (label, refused.stderr)
        assert "Not restored:" in refused.stderr, label
        assert "Traceback" not in refused.stderr, label
        assert not target.exists() or not any(target.iterdir()), label  # nothing was left behind

    # Shares of another organisation's kit: the archive was not made for that key.
    from defensor.keys import crypto, recovery

    foreign = recovery.split(crypto.generate_keypair().private)[:2]
    refused = defensor(["restore", str(archive)], env, stdin="\n".join(foreign) + "\n")
    assert refused.returncode == 2
    assert "not one it was made for" in refused.stderr

    # Only into an empty data directory.
    target.mkdir(exist_ok=True)
    (target / "something").write_text("kept")
    refused = defensor(["restore", str(archive)], env, stdin="\n".join(shares) + "\n")
    assert refused.returncode == 2
    assert "not empty" in refused.stderr
    assert (target / "something").read_text() == "kept"

    # The drill, from the team's instance: passes on the good archive, fails (audited) on a cut one.
    passed = defensor(["backup", "verify", str(archive)], source, stdin="\n".join(shares) + "\n")
    assert passed.returncode == 0, passed.stderr
    assert "Restore drill passed" in passed.stdout
    failed = defensor(["backup", "verify", str(tmp_path / "cut.age")], source, stdin="\n".join(shares) + "\n")
    assert failed.returncode != 0
    assert "FAILED" in failed.stderr
    runs = _run(
        "import os, json\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\nimport django\n"
        "django.setup()\nfrom defensor.operations.models import BackupRun\n"
        "from defensor.audit.models import AuditEvent\n"
        "print(json.dumps({'runs': list(BackupRun.objects.order_by('pk').values_list('kind', 'ok')),"
        " 'audit': list(AuditEvent.objects.filter(action__startswith='backup.').order_by('seq')"
        ".values_list('action', flat=True))}))", [], source)
    assert runs["runs"] == [["backup", True], ["drill", True], ["drill", False]]
    assert runs["audit"] == ["backup.made", "backup.drill", "backup.drill"]
