"""Shared benchmark plumbing: Django set-up in a throwaway data directory and the results file."""

from __future__ import annotations

import contextlib
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
    """Every results file has the same shape: machine, date, versions, figures."""
    RESULTS.mkdir(exist_ok=True)
    document = {
        "machine": machine(),
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
