"""The production server, shared by `defensor serve` and the intake benchmark (so the benchmark
measures exactly the server a user runs), and the guards `serve` passes before starting it.

``python -m defensor.core.server GRANIAN-OPTIONS`` is granian's own command line with one
addition: its worker processes end when the main process does. Without it, a server killed with
SIGKILL (out of memory, ``kill -9``) leaves its workers answering on the port, from the old data
directory, for ever.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import importlib.util
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import CommandError

LOCK_NAME = "serve.lock"


def granian_installed() -> bool:
    return importlib.util.find_spec("granian") is not None


def server_argv(
    *, host: str, port: int, workers: int, app: str = "config.wsgi:application", log_level: str = "warning",
) -> list[str]:
    return [
        sys.executable, "-m", "defensor.core.server",
        "--interface", "wsgi",
        "--host", host,
        "--port", str(port),
        "--workers", str(workers),
        # One thread per process: SQLite writes and the GIL punish threads (docs/decisions.md).
        "--blocking-threads", "1",
        "--no-ws",
        "--no-access-log",
        "--respawn-failed-workers",
        # Ctrl-C in a terminal signals granian's workers as well as its main process; a worker
        # signalled twice can hang in its shutdown, and the server would not end for a minute or
        # more. Workers still there 10 s after the stop are killed (requests are atomic: a
        # request cut short is not acknowledged, and the person sends it again).
        "--workers-kill-timeout", "10",
        "--log-level", log_level,
        app,
    ]


def die_with_parent(parent: int | None = None) -> None:
    """For a child process: end when the parent does, however it ends (Linux: PR_SET_PDEATHSIG;
    elsewhere the service manager's process group does it). ``parent``: the pid that forked us; if
    it ended before the request took effect, no signal will ever come, so the child ends now."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def children_die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` for subprocess: the child ends with this process (see die_with_parent)."""
    return functools.partial(die_with_parent, os.getpid())


def _workers_die_with_main() -> None:
    """Bind the processes this one forks (granian's workers) to its life. Only its own children:
    the hook is inherited by the workers, and a process a worker forked (from a request thread,
    which granian ends when idle) would otherwise get a death signal tied to that thread."""
    main = os.getpid()
    forking = [main]

    def before() -> None:
        forking[0] = os.getpid()

    def after_in_child() -> None:
        if forking[0] == main:
            die_with_parent(main)

    os.register_at_fork(before=before, after_in_child=after_in_child)


def data_dir_lock(data_dir: Path, *, port: int) -> int:
    """Hold the data directory for this server, or refuse (CommandError) if another one holds it.

    The lock is an flock on ``serve.lock``; its descriptor stays open across the exec into granian
    (and in granian's workers), so the kernel lets go of it when the last of them ends, SIGKILL
    included: a lock file left behind by a dead server never stands in the way."""
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "starting"
        os.close(fd)
        raise CommandError(
            f"Another `defensor serve` is already running on the data directory {data_dir} ({holder}): "
            "stop it first, or give this one a DEFENSOR_DATA_DIR of its own."
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()}, port {port}\n".encode())
    os.set_inheritable(fd, True)
    return fd


def port_check(host: str, port: int) -> socket.socket | None:
    """Refuse (CommandError) if something already listens on ``host:port``, or another `defensor
    serve` is about to; otherwise claim the address until granian listens on it.

    granian listens with SO_REUSEPORT, so a second server on a taken port would start and the
    kernel would split requests between the two. A socket of our own without SO_REUSEPORT
    cannot bind next to a listening one.

    The check comes seconds before granian listens (serve migrates and collects static files in
    between), so a second serve started meanwhile would pass it too. The returned claim closes
    that window: the caller keeps it open (it is inherited across the exec and by granian's
    workers, and the kernel drops it when the last of them ends)."""
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections closing are no server
        try:
            probe.bind((address, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"Port {port} on {host} is already in use by another server: stop it, or choose "
                    "another port with --port (or DEFENSOR_PORT)."
                ) from None
            raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None
    return _port_claim(host, port)


def _port_claim(host: str, port: int) -> socket.socket | None:
    """An abstract Unix socket named after the address (Linux): only one process can bind a name,
    and nothing is left on disk for a killed server to leave behind. None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0defensor-serve {host.strip('[]')} {port}")
    except OSError as error:
        claim.close()
        if error.errno == errno.EADDRINUSE:
            raise CommandError(
                f"Port {port} on {host} is being taken by another `defensor serve` that is still starting: "
                "stop it, or choose another port with --port (or DEFENSOR_PORT)."
            ) from None
        raise
    claim.set_inheritable(True)
    return claim


def _granian_main() -> None:
    """granian's command line, its workers bound to the main process's life (they are forked from
    the main thread, which lives as long as the process: startup and respawns alike)."""
    _workers_die_with_main()
    from granian.cli import entrypoint

    sys.argv[0] = "granian"
    entrypoint()  # type: ignore[no-untyped-call]  # granian ships no annotation for it


if __name__ == "__main__":
    _granian_main()
