"""Running the real `defensor` command in tests: one command to its end, or `defensor serve` until it
answers (each wait bounded)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a shell usually gives: without it the commands would inherit the test run's own umask (077,
# set by the settings), and a test of Defensor's file modes could not fail.
SHELL_UMASK = 0o022


def fresh_environment(clean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """An embedded set-up in an empty data directory (SQLite even when the suite runs on PostgreSQL)."""
    env = {k: v for k, v in clean_env.items() if k != "DATABASE_URL"}
    (tmp_path / "kit").mkdir(parents=True, exist_ok=True)
    return {**env, "DEFENSOR_DATA_DIR": str(tmp_path / "var"), "DEFENSOR_RECOVERY_KIT_DIR": str(tmp_path / "kit")}


def defensor(args: list[str], env: dict[str, str], *, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "defensor.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False, input=stdin, umask=SHELL_UMASK, timeout=120,
    )


def defensor_each(commands: list[list[str]], env: dict[str, str]) -> dict[str, list[object]]:
    """Each command through the `defensor` entry point (defensor.cli.main), all in one process:
    ``{command: [exit status, its stderr stripped]}``."""
    script = """
import contextlib, io, json, sys
from defensor.cli import main
answers = {}
for command in json.loads(sys.argv[1]):
    error = io.StringIO()
    with contextlib.redirect_stderr(error), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(command)
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
    answers[command[0]] = [code, error.getvalue().strip()]
print(json.dumps(answers))
"""
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands)], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False, stdin=subprocess.DEVNULL, umask=SHELL_UMASK, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers: dict[str, list[object]] = json.loads(result.stdout.strip().splitlines()[-1])
    return answers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def serve_start(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """`defensor serve` on ``port``, once its login page answers (or it ended: the caller reads why)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "defensor.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, umask=SHELL_UMASK,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            http_status(f"http://127.0.0.1:{port}/staff/login/")
            break
        except OSError:
            time.sleep(0.3)
    return server


def serve_stop(server: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
    """Stop a server started by serve_start; its output."""
    if server.poll() is None:
        server.send_signal(sig)
    try:
        output, _ = server.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        output, _ = server.communicate()
    return output


def open_to_others(root: Path) -> list[str]:
    """Files and folders under ``root`` (itself included) that group or others may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
            found.append(f"{path.relative_to(root)} {stat.S_IMODE(mode):o}")
    return found


def processes_of(data_dir: str, marker: bytes) -> list[int]:
    """Processes whose command line holds ``marker`` and whose DEFENSOR_DATA_DIR is ``data_dir``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if marker in (proc / "cmdline").read_bytes() and \
                    f"DEFENSOR_DATA_DIR={data_dir}".encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return [pid for pid in found if pid != os.getpid()]
