"""One server per port and per data directory: a second `defensor serve` is refused in one line, and a
server killed outright (SIGKILL) stands in nobody's way."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
from pathlib import Path

import pytest

from tests.serving import (
    ROOT,
    defensor,
    free_port,
    fresh_environment,
    http_status,
    processes_of,
    serve_start,
    serve_stop,
)


@pytest.fixture
def fresh_env(clean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return fresh_environment(clean_env, tmp_path)


def _refused_in_one_line(result_stderr: str) -> str:
    assert "Traceback" not in result_stderr
    lines = [line for line in result_stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result_stderr
    return lines[0]


def test_a_second_server_on_the_same_port_or_data_directory_is_refused(
    fresh_env: dict[str, str], clean_env: dict[str, str], tmp_path: Path,
) -> None:
    data_dir = fresh_env["DEFENSOR_DATA_DIR"]
    port = free_port()
    first = serve_start(fresh_env, port)
    replacement = None
    try:
        assert http_status(f"http://127.0.0.1:{port}/staff/login/") == 200

        # Another installation started on the same port (as a second `make run` would be).
        elsewhere = fresh_environment(clean_env, tmp_path / "elsewhere")
        same_port = defensor(["serve", "--port", str(port), "--workers", "1"], elsewhere)
        assert same_port.returncode != 0
        assert f"Port {port} on 127.0.0.1 is already in use" in _refused_in_one_line(same_port.stderr)

        # The same data directory served on another port.
        other_port = free_port()
        same_dir = defensor(["serve", "--port", str(other_port), "--workers", "1"], fresh_env)
        assert same_dir.returncode != 0
        line = _refused_in_one_line(same_dir.stderr)
        assert f"Another `defensor serve` is already running on the data directory {data_dir}" in line
        assert f"port {port}" in line
        with pytest.raises(urllib.error.URLError):  # nothing listens there
            http_status(f"http://127.0.0.1:{other_port}/staff/login/")

        # Killed outright: its workers go with it, so the port and the data directory are free again.
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        stop = time.monotonic() + 20
        while processes_of(data_dir, b"defensor.core.server") and time.monotonic() < stop:
            time.sleep(0.2)
        assert not processes_of(data_dir, b"defensor.core.server"), "the server's workers outlived it"
        replacement = serve_start(fresh_env, port)
        assert http_status(f"http://127.0.0.1:{port}/staff/login/") == 200
    finally:
        serve_stop(first, signal.SIGKILL)
        if replacement is not None:
            serve_stop(replacement)


def test_a_port_taken_by_any_program_is_refused_before_anything_starts(fresh_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        result = defensor(["serve", "--port", str(port), "--workers", "1"], fresh_env)
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in _refused_in_one_line(result.stderr)
    assert "Background worker started" not in result.stdout


def test_a_second_server_started_while_the_first_still_prepares_is_refused(fresh_env: dict[str, str]) -> None:
    """The first serve checks the port seconds before granian listens (it migrates in between): a second
    one started meanwhile on another data directory finds nothing listening, and is refused all the same."""
    from defensor.core.server import port_check

    port = free_port()
    preparing = port_check("127.0.0.1", port)  # what the first serve holds from its check until granian listens
    try:
        result = defensor(["serve", "--port", str(port), "--workers", "1"], fresh_env)
    finally:
        if preparing is not None:
            preparing.close()
    assert result.returncode != 0
    line = _refused_in_one_line(result.stderr)
    assert f"Port {port} on 127.0.0.1 is being taken by another `defensor serve` that is still starting" in line
    assert "Background worker started" not in result.stdout
    # Once it has gone, the port is free for the next check.
    again = port_check("127.0.0.1", port)
    assert again is not None
    again.close()


def _python(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=60)


def test_a_child_whose_parent_ended_before_it_asked_to_die_with_it_ends_at_once() -> None:
    """PR_SET_PDEATHSIG only watches a parent alive when it is set: a server killed between its fork
    and that request would leave the child (a worker on the port) running for ever."""
    result = _python("""
        import os, time
        from defensor.core.server import die_with_parent
        die_with_parent(os.getppid() + 100000)  # as if our parent had ended: we were handed to another
        time.sleep(10)
    """)
    assert result.returncode == -signal.SIGTERM, result.stderr


def test_a_process_a_server_worker_forks_from_a_thread_outlives_that_thread() -> None:
    """Only granian's own workers are bound to its main process: a process one of them forks from a
    request thread (which granian ends when idle) is not killed when that thread ends."""
    result = _python("""
        import os, sys, threading, time
        from defensor.core.server import _workers_die_with_main
        _workers_die_with_main()
        worker = os.fork()
        if worker == 0:
            forked = []
            def request():
                pid = os.fork()
                if pid == 0:
                    time.sleep(1)
                    os._exit(0)
                forked.append(pid)
            thread = threading.Thread(target=request)
            thread.start()
            thread.join()  # the request thread has ended
            _, status = os.waitpid(forked[0], 0)
            os._exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1)
        _, status = os.waitpid(worker, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    """)
    assert result.returncode == 0, result.stderr
