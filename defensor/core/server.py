"""The production server's command line, shared by `defensor serve` and the intake benchmark
(so the benchmark measures exactly the server a user runs)."""

from __future__ import annotations

import os
import shutil
import sys


def granian_path() -> str | None:
    found = shutil.which("granian") or os.path.join(os.path.dirname(sys.executable), "granian")
    return found if os.path.exists(found) else None


def server_argv(
    granian: str, *, host: str, port: int, workers: int, app: str = "config.wsgi:application",
    log_level: str = "warning",
) -> list[str]:
    return [
        granian,
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        # One thread per process: SQLite writes and the GIL punish threads (docs/decisions.md).
        "--blocking-threads", "1",
        "--no-ws",
        "--no-access-log",
        "--respawn-failed-workers",
        "--log-level", log_level,
        app,
    ]


def die_with_parent() -> None:
    """For a child process: end when the parent does, however it ends (Linux: PR_SET_PDEATHSIG;
    elsewhere the service manager's process group does it)."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
