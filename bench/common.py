"""Shared benchmark plumbing: Django set-up in a throwaway data directory and the results file."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
FULL = os.environ.get("BENCH_FULL") == "1"


def setup_django() -> Path:
    """Point Defensor at a fresh data directory (unless one is given) and migrate it."""
    data_dir = Path(os.environ.get("DEFENSOR_DATA_DIR") or tempfile.mkdtemp(prefix="defensor-bench-"))
    data_dir = data_dir / f"run-{os.getpid()}"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DEFENSOR_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return data_dir


def cleanup(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)


def rate(func: Callable[[], object], count: int) -> float:
    """Operations per second of ``count`` calls of ``func`` (median of three rounds)."""
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(count):
            func()
        rounds.append(count / (time.perf_counter() - start))
    return sorted(rounds)[1]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPU, {platform.system()} {platform.release()}"


CALIBRATION_RECORDS = 10_000
CALIBRATION_RECORD = bytes(range(256)) * 16  # 4 KB, the same bytes on every machine
CALIBRATION_LOOP = 4_000_000


def _calibration_workload() -> int:
    """The fixed CPU-bound work behind ``calibration_ms``: seal and open 10,000 4 KB records with
    Defensor's own sealing (defensor.keys, libsodium) and run a fixed pure-Python loop (what the
    interpreter itself costs: arithmetic, a list, a dict and a string per turn)."""
    from defensor.keys import crypto

    pair = crypto.generate_keypair()
    for _ in range(CALIBRATION_RECORDS):
        if crypto.unseal(pair.private, crypto.seal(pair.public, CALIBRATION_RECORD)) != CALIBRATION_RECORD:
            raise RuntimeError("a calibration record did not open")
    total = 0
    seen: dict[int, str] = {}
    for i in range(CALIBRATION_LOOP):
        total = (total * 31 + i) % 1_000_003
        if i % 8 == 0:
            seen[total % 4096] = str(total)
    return total + len(seen)


@functools.cache
def calibration_ms() -> float:
    """Milliseconds this machine takes for the fixed workload above, right now (median of three
    rounds, measured once per benchmark process). Figures from machines that differ in speed are
    compared by dividing by it: a figure in ms over calibration_ms is a machine-independent ratio."""
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        _calibration_workload()
        rounds.append((time.perf_counter() - start) * 1000)
    return round(sorted(rounds)[1], 1)


def versions() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
        else:
            cursor.execute("show server_version")
        row = cursor.fetchone()
    found = {"python": sys.version.split()[0], "database": f"{connection.vendor} {row[0]}"}
    for package in ["Django", "PyNaCl", "django-otp"]:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    return found


def write_results(name: str, figures: dict[str, float | int]) -> Path:
    """Every results file has the same shape: machine, its calibration, date, versions, figures."""
    RESULTS.mkdir(exist_ok=True)
    document = {
        "machine": machine(),
        "calibration_ms": calibration_ms(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "figures": figures,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 20))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def page_ms(client: Any, path: str, rounds: int) -> float:
    """Median server time of a page (ms), through the whole middleware stack of a test client."""
    client.get(path)  # warm: templates, caches, the day's urgency refresh
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return statistics.median(times)


def page_queries(client: Any, path: str) -> int:
    """Database queries for one page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured.captured_queries)
