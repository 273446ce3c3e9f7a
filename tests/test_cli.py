"""The `defensor` command: init once, create users, and serve the app with `make run`'s server."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.serving import (
    ROOT,
    SHELL_UMASK,
    free_port,
    fresh_environment,
    http_status,
    open_to_others,
    processes_of,
)
from tests.serving import defensor as _defensor


@pytest.fixture
def fresh_env(clean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """An embedded set-up in an empty data directory (SQLite even when the suite runs on PostgreSQL)."""
    return fresh_environment(clean_env, tmp_path)


def test_init_runs_once_and_createuser_adds_members(fresh_env: dict[str, str]) -> None:
    assert _defensor(["migrate", "--noinput", "-v0"], fresh_env).returncode == 0
    first = _defensor(["init", "--organisation", "Группа защиты", "--admin", "lena"], fresh_env)
    assert first.returncode == 0, first.stderr
    # Not a terminal (as under a service manager): the password is not printed into a journal...
    assert "one-time password:" not in first.stdout
    note = Path(fresh_env["DEFENSOR_DATA_DIR"]) / "first-login-lena.txt"
    assert str(note) in first.stdout
    # ...but written where only this user can read it.
    assert note.stat().st_mode & 0o777 == 0o600
    text = note.read_text(encoding="utf-8")
    assert "login name:         lena" in text
    assert re.search(r"one-time password:\s+\S{19}", text)
    again = _defensor(["init"], fresh_env)
    assert again.returncode != 0
    assert "already initialised" in again.stderr
    created = _defensor(["createuser", "misha", "--role", "volunteer"], fresh_env)
    assert created.returncode == 0, created.stderr
    assert "misha (volunteer)" in created.stdout
    bad_role = _defensor(["createuser", "sasha", "--role", "boss"], fresh_env)
    assert bad_role.returncode != 0
    verify = _defensor(["audit", "verify"], fresh_env)
    assert verify.returncode == 0
    assert "Audit log intact" in verify.stdout


def _reminder_runs_waiting(data_dir: str) -> int:
    database = sqlite3.connect(Path(data_dir) / "defensor.sqlite3")
    try:
        return int(database.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY' AND task_path = ?",
            ("defensor.deadlines.tasks.deadline_reminders",),
        ).fetchone()[0])
    except sqlite3.OperationalError:  # not migrated yet
        return 0
    finally:
        database.close()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _workers_of(data_dir: str) -> list[int]:
    """Processes running `defensor worker` for this data directory."""
    return processes_of(data_dir, b"defensor.cli\x00worker")


def test_serve_prepares_a_fresh_data_directory_and_answers(fresh_env: dict[str, str]) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "defensor.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT, env=fresh_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, umask=SHELL_UMASK,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            try:
                status = http_status(f"http://127.0.0.1:{port}/staff/login/")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200
        # The background worker runs beside it (under a keeper that restarts it).
        working: list[int] = []
        stop = time.monotonic() + 30
        while len(working) != 1 and time.monotonic() < stop:
            time.sleep(0.3)
            workers = _workers_of(fresh_env["DEFENSOR_DATA_DIR"])
            working = [pid for pid in workers if b"--restart" not in _cmdline(pid)]
        assert len(working) == 1
        # Starting, it enqueues tomorrow's reminder run.
        stop = time.monotonic() + 30
        while not _reminder_runs_waiting(fresh_env["DEFENSOR_DATA_DIR"]) and time.monotonic() < stop:
            time.sleep(0.3)
        assert _reminder_runs_waiting(fresh_env["DEFENSOR_DATA_DIR"]) == 1
        # A worker that dies (killed, out of memory) is started again.
        os.kill(working[0], signal.SIGKILL)
        again: list[int] = []
        stop = time.monotonic() + 30
        while not again and time.monotonic() < stop:
            time.sleep(0.5)
            again = [pid for pid in _workers_of(fresh_env["DEFENSOR_DATA_DIR"]) if pid not in workers]
        assert again, "the background worker was not started again"
        assert http_status(f"http://127.0.0.1:{port}/") == 200
        assert http_status(f"http://127.0.0.1:{port}/static/defensor/app.css") == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/staff/", timeout=5) as response:
            assert response.url.endswith("/staff/login/?next=/staff/")
        # Started from a shell that lets others read new files, it keeps every one private.
        data_dir = Path(fresh_env["DEFENSOR_DATA_DIR"])
        made = {path.name for path in data_dir.iterdir()}
        assert {"defensor.sqlite3", "defensor.sqlite3-wal", "defensor.sqlite3-shm", "static"} <= made
        assert not open_to_others(data_dir)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert "first-login-admin.txt" in output
    assert "Background worker started" in output
    assert (Path(fresh_env["DEFENSOR_DATA_DIR"]) / "defensor.sqlite3").exists()
    # The worker went with the server (nothing left polling the data directory).
    stop = time.monotonic() + 10
    while _workers_of(fresh_env["DEFENSOR_DATA_DIR"]) and time.monotonic() < stop:
        time.sleep(0.2)
    assert not _workers_of(fresh_env["DEFENSOR_DATA_DIR"])
    database = sqlite3.connect(Path(fresh_env["DEFENSOR_DATA_DIR"]) / "defensor.sqlite3")
    try:
        assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        # Still one reminder run waiting (the restarted worker did not add a second).
        assert _reminder_runs_waiting(fresh_env["DEFENSOR_DATA_DIR"]) == 1
        # The query planner's statistics were gathered at start (ANALYZE makes this table).
        assert database.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()[0] == 1
    finally:
        database.close()


@pytest.mark.django_db
def test_init_on_a_terminal_prints_the_login_once_and_the_note_goes_with_the_password(settings: object) -> None:
    import io

    from django.core.management import call_command

    from defensor.accounts import first_login, services
    from defensor.accounts.models import User

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    call_command("init", admin="dina", stdout=screen)
    printed = screen.getvalue()
    password = re.search(r"one-time password:\s+(\S+)", printed)
    assert password is not None
    assert not first_login.note_path("dina").exists()

    call_command("init", admin="egor", force=True, stdout=io.StringIO())  # not a terminal: a note
    note = first_login.note_path("egor")
    written = re.search(r"one-time password:\s+(\S+)", note.read_text(encoding="utf-8"))
    assert written is not None
    from django.test import RequestFactory

    request = RequestFactory().post("/staff/account/password/")
    services.password_change(
        request=request, user=User.objects.get(username="egor"), current_password=written.group(1),
        new_password="a long new passphrase 11",
    )
    assert not note.exists()


def test_init_leaves_a_recovery_kit_that_restores_access(fresh_env: dict[str, str]) -> None:
    assert _defensor(["migrate", "--noinput", "-v0"], fresh_env).returncode == 0
    first = _defensor(["init", "--admin", "lena"], fresh_env)
    assert first.returncode == 0, first.stderr
    assert not list(Path(fresh_env["DEFENSOR_DATA_DIR"]).rglob("*kit*")), "never beside the data"
    kit = next(Path(fresh_env["DEFENSOR_RECOVERY_KIT_DIR"]).glob("defensor-recovery-kit-*.txt"))
    assert str(kit) in first.stdout
    assert kit.stat().st_mode & 0o777 == 0o600
    shares = re.findall(r"\(one line\): (.+)", kit.read_text(encoding="utf-8"))
    assert len(shares) == 3
    recovered = subprocess.run(
        [sys.executable, "-m", "defensor.cli", "recover", "--admin", "lena"],
        cwd=ROOT, env=fresh_env, input=f"{shares[2]}\n{shares[0]}\n", capture_output=True, text=True, check=False,
    )
    assert recovered.returncode == 0, recovered.stderr
    assert re.search(r"Restored 2 keys for lena", recovered.stdout)
    assert "One-time password:" in recovered.stdout
