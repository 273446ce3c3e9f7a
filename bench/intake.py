"""The public intake under load: a real server on loopback, a separate load generator, the full
no-JS flow (GET the form, POST every step with its CSRF token and encrypted state, receive the
receipt) against a bare view doing only the essential work, in the same run.

Figures (bench/results/intake.json):
  full_requests_per_s_cN    requests/s served on the full intake flow, N = 16, 64, 256 concurrent visitors
  bare_requests_per_s_cN    requests/s of the bare view (parse, seal, insert, one line), same server
  full_vs_bare_ratio_cN     the first divided by the second (the figure that matters)
  submissions_per_s_cN      complete submissions per second (every step, fresh connections)
  p50_ms_cN, p99_ms_cN      latency per request on the full flow
  bare_p99_ms_cN            latency per request of the bare view
  requests_per_submission   how many requests one person's submission takes, counted request by
                            request in every flow that ended with a receipt (GET the form .. receipt)
  server_cpu_ms_per_submission   server CPU time (all workers) per complete submission at c64:
                            the server's CPU per request of the flow times requests_per_submission
                            (a flow refused or failed on the way costs CPU but brings no receipt), and
  server_only_submissions_per_s  the submissions/s that implies with every core given to the server
  bare_cpu_ms_per_request   server CPU time per request of the bare view at c64, the same run: the
                            baseline the next figure is counted in, so machines of different speed
                            give the same ratio
  submission_cpu_in_bare_requests  server CPU of one complete submission in bare requests (the
                            cost of the submission to a one-page tip line doing only the essential work)
  p99_vs_bare_p99_cN        the flow's p99 per request over the bare view's, same N
  acknowledged / stored / lost_acknowledged   receipts received by clients vs submissions stored
  errors, overload_pages    answers that were neither a page of the flow nor the "try again" page
                            (which must give the person's answers back), and "try again" pages
  sigkill_*                 the same flood with the server SIGKILLed and restarted several times
  overload_*                c256 with the organisation's per-minute limit set to 120: receipts,
                            "try again" pages, errors (must be 0) and lost receipts (must be 0)
Quick mode runs 10 s per measurement; BENCH_FULL=1 runs 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FULL = os.environ.get("BENCH_FULL") == "1"
DURATION = 30.0 if FULL else 10.0
CONCURRENCY_LEVELS = (16, 64, 256)
HOST = "127.0.0.1"


# --- a minimal HTTP/1.1 client: one fresh connection per request, as a new visitor has ---------


@dataclass
class Reply:
    status: int
    headers: dict[str, list[str]]
    body: str


async def http(port: int, method: str, path: str, cookies: dict[str, str], form: list[tuple[str, Any]] | None = None,
               origin: bool = True) -> Reply:
    body = urllib.parse.urlencode(form or [], doseq=True).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close",
             "Accept-Language: ru", "User-Agent: defensor-bench"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if method == "POST":
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        if origin:
            lines.append("Origin: null")
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "chunked" in ",".join(headers.get("transfer-encoding", [])):
        payload = _dechunk(payload)
    for cookie in headers.get("set-cookie", []):
        name, _, rest = cookie.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    return Reply(status, headers, payload.decode("utf-8", "replace"))


def _dechunk(data: bytes) -> bytes:
    out, position = b"", 0
    while position < len(data):
        end = data.index(b"\r\n", position)
        size = int(data[position:end].split(b";")[0], 16)
        if size == 0:
            break
        out += data[end + 2 : end + 2 + size]
        position = end + 2 + size + 2
    return out


# --- one person's whole flow ----------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    bare_latencies: list[float] = field(default_factory=list)
    requests: int = 0
    flow_requests: list[int] = field(default_factory=list)  # requests of each flow that got a receipt
    errors: int = 0
    overloaded: int = 0
    receipts: list[str] = field(default_factory=list)


def _answers() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.intake_visitor import DEFAULT_ANSWERS

    return {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}


ANSWERS = _answers()
FIELD = re.compile(r'name="([a-z0-9_]+)"')
TRY_AGAIN = "Сейчас пишет очень много людей"  # IntakeBusy.user_message in Russian (the visitor asks in ru)


def answers_for(shown: set[str]) -> list[tuple[str, str]]:
    """The answers to the fields a page shows, as a person types them: a date asked in parts
    (``<id>_day``, ``<id>_month`` 1-12, ``<id>_year``) gets its parts, not its one ISO value."""
    form: list[tuple[str, str]] = []
    for name, value in ANSWERS.items():
        if f"{name}_day" in shown and isinstance(value, str):
            year, month, day = [*value.split("-"), "", ""][:3]
            form += [(f"{name}_day", day.lstrip("0")), (f"{name}_month", month.lstrip("0")), (f"{name}_year", year)]
        elif name in shown:
            form += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return form


async def timed(tally: Tally, coro: Any, *, bare: bool = False) -> Reply:
    start = time.perf_counter()
    reply: Reply = await coro
    (tally.bare_latencies if bare else tally.latencies).append((time.perf_counter() - start) * 1000)
    tally.requests += 1
    return reply


async def visitor(port: int, tally: Tally) -> None:
    cookies: dict[str, str] = {}
    sent = 1
    page = await timed(tally, http(port, "GET", "/request/", cookies))
    for _ in range(20):
        if page.status == 503:
            # The "try again" page must give the person their answers back (the state field).
            if 'name="state"' in page.body and TRY_AGAIN in page.body:
                tally.overloaded += 1
            else:
                tally.errors += 1
            return
        if page.status != 200:
            tally.errors += 1
            return
        receipt = re.search(r'data-testid="receipt">([^<]+)<', page.body)
        if receipt:
            tally.receipts.append(html.unescape(receipt.group(1)).strip())
            tally.flow_requests.append(sent)
            return
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        state = re.search(r'name="state" value="([^"]+)"', page.body)
        if not token or not state:
            tally.errors += 1
            return
        form: list[tuple[str, Any]] = [("csrfmiddlewaretoken", token.group(1)), ("state", state.group(1))]
        if 'value="submit"' in page.body:
            form.append(("action", "submit"))
        else:
            form.append(("action", "next"))
            form += answers_for(set(FIELD.findall(page.body.split('name="state"', 1)[1])))
        sent += 1
        page = await timed(tally, http(port, "POST", "/request/", cookies, form))
    tally.errors += 1


BARE_FORM = [(f"field_{i}", "Приказали ехать в командировку за пределы России, не сказали куда.") for i in range(20)]


async def bare_client(port: int, tally: Tally) -> None:
    reply = await timed(tally, http(port, "POST", "/bare/", {}, BARE_FORM, origin=False), bare=True)
    if reply.status != 200:
        tally.errors += 1


async def load(port: int, work: Any, duration: float, concurrency: int) -> tuple[Tally, float]:
    tally = Tally()
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                await work(port, tally)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                tally.errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally, time.perf_counter() - start


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- the server -----------------------------------------------------------------------------


def server_cpu_seconds(pid: int) -> float:
    """CPU time used so far by the server process and its worker processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def crash(server: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server and every worker process at once, as a power cut would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def stop(server: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=20)
    crash(server)  # whatever did not stop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def prepare(data_dir: Path, env: dict[str, str]) -> list[str]:
    """Migrate and empty the database, make the bench table and the organisation's keys; return the
    recovery shares (to check afterwards that every stored submission opens)."""
    script = (
        "import django, os; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        # A PostgreSQL database outlives the run: empty it, or the next run finds two organisations.
        "call_command('flush', interactive=False, verbosity=0);"
        "from django.db import connection;"
        "c = connection.cursor();"
        "c.execute('CREATE TABLE IF NOT EXISTS bench_bare (id ' + "
        "('INTEGER PRIMARY KEY AUTOINCREMENT' if connection.vendor == 'sqlite' else 'BIGSERIAL PRIMARY KEY') + "
        "', body ' + ('BLOB' if connection.vendor == 'sqlite' else 'BYTEA') + ')');"
        "c.execute('DELETE FROM bench_bare');"
        "from defensor.core.models import Organisation;"
        "from defensor.access.services import organisation_keys_create;"
        "o = Organisation.objects.create(name='bench');"
        "from django.db import transaction\n"
        "with transaction.atomic(): kit = organisation_keys_create(organisation=o)\n"
        "import json; print(json.dumps(kit.shares))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The server `make run` starts (same command line, defensor.core.server), with the bare view added."""
    from defensor.core.server import granian_installed, server_argv

    if not granian_installed():
        raise RuntimeError("granian is not installed")
    command = server_argv(host=HOST, port=port, workers=2, app="bench.wsgi:application", log_level="error")
    # A session of its own, so a crash takes the server's worker processes down with it.
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              start_new_session=True)
    for _ in range(200):
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    crash(server)
    raise RuntimeError("the server did not start")


VERIFY = """
import django, json, sys
django.setup()
from defensor.core.models import Organisation
from defensor.intake.models import Message, Submission
from defensor.intake.receipts import digest
from defensor.keys import crypto
from defensor.keys.models import KeyGrant
from defensor.access.services import recovery_private_key
given = json.load(sys.stdin)
organisation = Organisation.objects.get()
recovery = recovery_private_key(organisation=organisation, shares=given["shares"][:2])
intake_keys = {g.material_id: crypto.unseal(recovery, bytes(g.wrapped))
               for g in KeyGrant.objects.filter(for_recovery=True, material__kind="intake")}
found = Submission.objects.filter(receipt_digest__in=[digest(r) for r in given["receipts"]])
opened = 0
for s in found:
    key = crypto.unseal(intake_keys[s.intake_key_id], bytes(s.sealed_key))
    crypto.decrypt(key, bytes(s.answers), aad=f"defensor.submission.{s.pk}.answers".encode())
    opened += 1
partial = sum(1 for s in Submission.objects.all()
              if s.sealed_key is None or s.answers is None or s.reply_key is None
              or not Message.objects.filter(submission=s, automatic=True).exists())
print(json.dumps({"found": found.count(), "opened": opened, "total": Submission.objects.count(), "partial": partial}))
"""


def verify_stored(receipts: list[str], shares: list[str], env: dict[str, str]) -> dict[str, int]:
    """Every acknowledged receipt: stored, and its answers open with the organisation's keys."""
    result = subprocess.run([sys.executable, "-c", VERIFY], cwd=ROOT, env=env,
                            input=json.dumps({"receipts": receipts, "shares": shares}),
                            capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def server_env(data_dir: Path, database_url: str | None = None, max_per_minute: int = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEFENSOR_")}
    env.pop("DATABASE_URL", None)
    env.update({"DEFENSOR_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "config.settings",
                "DEFENSOR_INTAKE_MAX_PER_MINUTE": str(max_per_minute), "DEFENSOR_INTAKE_HOLD_FASTER_THAN_SECONDS": "0",
                "DEFENSOR_RECOVERY_KIT_DIR": str(data_dir.parent)})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


async def flood_with_kills(port: int, env: dict[str, str], server: list[subprocess.Popen[bytes]],
                           duration: float, kills: int) -> Tally:
    """Visitors write for ``duration`` seconds while the server is SIGKILLed ``kills`` times and
    restarted; requests that fail while it is down simply fail (the visitor is not acknowledged)."""
    tally = Tally()
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                await visitor(port, tally)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                tally.errors += 1
                await asyncio.sleep(0.05)

    async def killer() -> None:
        for _ in range(kills):
            await asyncio.sleep(duration / (kills + 1))
            crash(server[0])
            server[0] = await asyncio.to_thread(start_server, port, env)

    await asyncio.gather(killer(), *(worker() for _ in range(16)))
    return tally


def run_with_kills(duration: float, kills: int, database_url: str | None = None) -> dict[str, int]:
    data_dir = Path(tempfile.mkdtemp(prefix="defensor-bench-kill-"))
    env = server_env(data_dir, database_url)
    shares = prepare(data_dir, env)
    port = free_port()
    server = [start_server(port, env)]
    try:
        tally = asyncio.run(flood_with_kills(port, env, server, duration, kills))
    finally:
        stop(server[0])
    stored = verify_stored(tally.receipts, shares, env)
    shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "sigkill_restarts": kills,
        "acknowledged": len(tally.receipts),
        "lost_acknowledged": len(tally.receipts) - stored["opened"],
        "partial_submissions": stored["partial"],
        "stored": stored["total"],
    }


def run(database_url: str | None = None) -> dict[str, float | int]:
    data_dir = Path(tempfile.mkdtemp(prefix="defensor-bench-intake-"))
    env = server_env(data_dir, database_url)
    shares = prepare(data_dir, env)
    port = free_port()
    server = start_server(port, env)
    figures: dict[str, float | int] = {}
    receipts: list[str] = []
    flow_requests: list[int] = []
    errors = overloaded = 0
    try:
        for concurrency in CONCURRENCY_LEVELS:
            cpu_before = server_cpu_seconds(server.pid)
            bare, bare_seconds = asyncio.run(load(port, bare_client, DURATION, concurrency))
            bare_cpu = server_cpu_seconds(server.pid) - cpu_before
            cpu_before = server_cpu_seconds(server.pid)
            full, full_seconds = asyncio.run(load(port, visitor, DURATION, concurrency))
            server_cpu = server_cpu_seconds(server.pid) - cpu_before
            full_rps = full.requests / full_seconds
            full_p99, bare_p99 = _percentile(full.latencies, 0.99), _percentile(bare.bare_latencies, 0.99)
            bare_rps = bare.requests / bare_seconds
            c = f"c{concurrency}"
            figures.update({
                f"full_requests_per_s_{c}": round(full_rps, 1),
                f"bare_requests_per_s_{c}": round(bare_rps, 1),
                f"full_vs_bare_ratio_{c}": round(full_rps / bare_rps, 3) if bare_rps else 0.0,
                f"submissions_per_s_{c}": round(len(full.receipts) / full_seconds, 1),
                f"p50_ms_{c}": round(statistics.median(full.latencies), 1) if full.latencies else 0.0,
                f"p99_ms_{c}": round(full_p99, 1),
                f"bare_p99_ms_{c}": round(bare_p99, 1),
                f"p99_vs_bare_p99_{c}": round(full_p99 / bare_p99, 2) if bare_p99 else 0.0,
            })
            if concurrency == 64 and full.flow_requests and full.requests and bare.requests:
                # What one submission costs the server itself, and so what the server could take
                # with both cores to itself (here the load generator shares them); and the same in
                # requests of the bare view, measured the same way a moment before.
                per_submission = server_cpu / full.requests * statistics.mean(full.flow_requests)
                per_bare_request = bare_cpu / bare.requests
                figures["server_cpu_ms_per_submission"] = round(per_submission * 1000, 1)
                figures["server_only_submissions_per_s"] = round((os.cpu_count() or 1) / per_submission, 1)
                figures["bare_cpu_ms_per_request"] = round(per_bare_request * 1000, 2)
                figures["submission_cpu_in_bare_requests"] = round(per_submission / per_bare_request, 1)
            receipts += full.receipts
            flow_requests += full.flow_requests
            errors += full.errors + bare.errors
            overloaded += full.overloaded
    finally:
        stop(server)
    stored = verify_stored(receipts, shares, env)
    shutil.rmtree(data_dir, ignore_errors=True)
    figures.update({
        "requests_per_submission": round(statistics.mean(flow_requests), 1) if flow_requests else 0.0,
        "errors": errors,
        "overload_pages": overloaded,
        "acknowledged": len(receipts),
        "stored": stored["total"],
        "lost_acknowledged": len(receipts) - stored["opened"],
        "partial_submissions": stored["partial"],
    })
    return figures


def run_overload(database_url: str | None = None, concurrency: int = 256) -> dict[str, float | int]:
    """A flood beyond what the organisation accepts per minute (DEFENSOR_INTAKE_MAX_PER_MINUTE set
    low): every answer must be a receipt or the "try again" page that keeps the person's answers,
    never an error, and every receipt must be stored."""
    data_dir = Path(tempfile.mkdtemp(prefix="defensor-bench-overload-"))
    env = server_env(data_dir, database_url, max_per_minute=OVERLOAD_MAX_PER_MINUTE)
    shares = prepare(data_dir, env)
    port = free_port()
    server = start_server(port, env)
    try:
        tally, _ = asyncio.run(load(port, visitor, DURATION, concurrency))
    finally:
        stop(server)
    stored = verify_stored(tally.receipts, shares, env)
    shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "overload_acknowledged": len(tally.receipts),
        "overload_try_again_pages": tally.overloaded,
        "overload_errors": tally.errors,
        "overload_lost_acknowledged": len(tally.receipts) - stored["opened"],
        "overload_p99_ms": round(_percentile(tally.latencies, 0.99), 1),
    }


OVERLOAD_MAX_PER_MINUTE = 120


def main() -> dict[str, float | int]:
    sys.path.insert(0, str(ROOT))
    from bench.common import print_table, setup_django, write_results

    figures = run()
    killed = run_with_kills(duration=DURATION * 2, kills=5 if FULL else 3)
    figures.update({
        "sigkill_restarts": killed["sigkill_restarts"],
        "sigkill_acknowledged": killed["acknowledged"],
        "sigkill_lost_acknowledged": killed["lost_acknowledged"],
        "sigkill_partial_submissions": killed["partial_submissions"],
    })
    figures.update(run_overload())
    pg_url = os.environ.get("BENCH_DATABASE_URL")
    if pg_url:
        for name, value in run(pg_url).items():
            figures[f"{name}_pg"] = value
    setup_django()  # for the versions recorded with the results
    write_results("intake", figures)
    print_table(f"intake flood ({'/'.join(map(str, CONCURRENCY_LEVELS))} concurrent visitors, {DURATION:.0f} s each)",
                [(k, str(v)) for k, v in figures.items()])
    return figures


if __name__ == "__main__":
    main()
