"""A lawyer working through the real `defensor serve`: a data directory prepared with her, her
authenticator and a case she holds; her browser (cookies, CSRF tokens, password then code, a
multipart upload streamed from a generator, a download read in chunks); and the server watched
while she works (resident memory of its whole process tree, the temp folders it could write to).

Used by tests/test_evidence_serve.py and bench/evidence.py (so the benchmark measures the server
the test checks). Every wait is bounded.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

from tests.serving import ROOT, SHELL_UMASK, http_status

PASSWORD = "correct horse battery staple 42"

# Run in the server's environment before it starts: what `defensor init` and an administrator
# would have done (an organisation, a lawyer with an authenticator, a case she opened).
_PREPARE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from django_otp.plugins.otp_totp.models import TOTPDevice
from defensor.access import services as keys
from defensor.accounts import services as accounts
from defensor.accounts.models import Role
from defensor.cases import services as cases
from defensor.core.models import Organisation
from defensor.keys.keyring import KeyRing, unwrap_private_key
from defensor.keys.models import UserKeyPair
username, password, totp_key = sys.argv[1:4]
organisation = Organisation.objects.create(name="Правозащитная группа")
kit = keys.organisation_keys_create(organisation=organisation)
recovery = keys.recovery_private_key(organisation=organisation, shares=kit.shares[:2])
user, _ = accounts.user_create(organisation=organisation, username=username, role=Role.LAWYER, created_by=None,
                               password=password)
keys.grants_fill_from_recovery(organisation=organisation, recovery_key=recovery, user=user)
TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True, key=totp_key)
keyring = KeyRing(user.pk, unwrap_private_key(UserKeyPair.objects.get(user=user), password))
case = cases.case_open(opened_by=user, keyring=keyring, title="Отказ от командировки", number="S-1")
print(json.dumps({"case": case.pk}))
"""


@dataclass(frozen=True)
class Lawyer:
    username: str
    password: str
    totp_key: str  # hex, as django-otp stores it
    case_id: int


def prepare_lawyer(env: dict[str, str], username: str = "anna") -> Lawyer:
    """Migrate the (fresh) data directory of ``env`` and put in it an organisation, a lawyer with
    a confirmed authenticator, and a case she opened (so she holds its key)."""
    totp_key = secrets.token_hex(20)
    result = subprocess.run(
        [sys.executable, "-c", _PREPARE, username, PASSWORD, totp_key], cwd=ROOT, env=env, capture_output=True,
        text=True, check=False, umask=SHELL_UMASK, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    case_id = int(json.loads(result.stdout.strip().splitlines()[-1])["case"])
    return Lawyer(username=username, password=PASSWORD, totp_key=totp_key, case_id=case_id)


def totp_now(key_hex: str) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(key_hex)).token():06d}"


def serve_logged(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`defensor serve` on ``port`` (one worker process), its stdout and stderr into ``log``, once
    its login page answers (or it ended: the caller reads the log)."""
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "defensor.cli", "serve", "--port", str(port), "--workers", "1"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, umask=SHELL_UMASK,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            http_status(f"http://127.0.0.1:{port}/staff/login/")
            break
        except OSError:
            time.sleep(0.3)
    return server


def serve_end(server: subprocess.Popen[bytes]) -> None:
    import signal

    if server.poll() is None:
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=20)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Browser:
    """Just enough of a browser: cookies by name (one host), no redirects followed."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "ru"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {**headers, **(extra or {})}

    def _keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for line in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def open(self, method: str, path: str, *, body: bytes | Iterable[bytes] | None = None,
             headers: dict[str, str] | None = None, timeout: float = 300) -> tuple[http.client.HTTPConnection,
                                                                                   http.client.HTTPResponse]:
        """The response before its body is read (the caller reads it and closes the connection)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in self._headers(headers).items():
            connection.putheader(name, value)
        connection.endheaders()
        if isinstance(body, bytes):
            connection.send(body)
        elif body is not None:
            for piece in body:
                connection.send(piece)
        response = connection.getresponse()
        self._keep_cookies(response)
        return connection, response

    def request(self, method: str, path: str, *, body: bytes | Iterable[bytes] | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        connection, response = self.open(method, path, body=body, headers=headers)
        try:
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Reply:
        from urllib.parse import urlencode

        body = urlencode(fields).encode()
        return self.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(len(body)),
            "Origin": self.origin,
        })

    def csrf_from(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, (path, page.status)
        found = CSRF_FIELD.search(page.text)
        assert found is not None, f"no form on {path}"
        return found.group(1)

    def sign_in(self, lawyer: Lawyer) -> None:
        """The login page, her password, then her authenticator's code: the workspace opens."""
        token = self.csrf_from("/staff/login/")
        password = self.post_form("/staff/login/", {"csrfmiddlewaretoken": token, "username": lawyer.username,
                                                    "password": lawyer.password})
        assert password.status == 302, password.text
        assert urlsplit(password.location).path == "/staff/2fa/verify/"
        token = self.csrf_from("/staff/2fa/verify/")
        verified = self.post_form("/staff/2fa/verify/", {"csrfmiddlewaretoken": token,
                                                          "token": totp_now(lawyer.totp_key)})
        assert verified.status == 302, verified.text
        assert self.get("/staff/").status == 200

    @staticmethod
    def _multipart(csrf: str, name: str) -> tuple[str, bytes, bytes]:
        boundary = f"----DefensorBoundary{uuid.uuid4().hex}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        return boundary, head, f"\r\n--{boundary}--\r\n".encode()

    def upload(self, path: str, *, csrf: str, name: str, chunks: Iterable[bytes], size: int) -> Reply:
        """The case page's upload form as a browser sends it: multipart, with Content-Length, the
        file's bytes sent as ``chunks`` yields them (``size`` in all)."""
        boundary, head, tail = self._multipart(csrf, name)

        def body() -> Iterator[bytes]:
            yield head
            yield from chunks
            yield tail

        return self.request("POST", path, body=body(), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)), "Origin": self.origin,
        })

    def upload_cut_off(self, path: str, *, csrf: str, name: str, chunks: Iterable[bytes], size: int,
                       before_close: Callable[[], None]) -> None:
        """The same upload announced with ``size`` bytes, but the connection closes once ``chunks``
        are sent (fewer) and ``before_close`` has run: a lost connection, or a closed browser tab."""
        boundary, head, tail = self._multipart(csrf, name)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
            for header, value in self._headers({
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + size + len(tail)), "Origin": self.origin,
            }).items():
                connection.putheader(header, value)
            connection.endheaders()
            connection.send(head)
            for piece in chunks:
                connection.send(piece)
            before_close()
        finally:
            connection.close()

    def download(self, path: str) -> tuple[int, str, int, http.client.HTTPMessage]:
        """A file read in 1 MiB pieces: (status, SHA-256 of what came, bytes that came, headers)."""
        connection, response = self.open("GET", path)
        digest, received = hashlib.sha256(), 0
        try:
            while piece := response.read(1024 * 1024):
                digest.update(piece)
                received += len(piece)
        finally:
            connection.close()
        return response.status, digest.hexdigest(), received, response.headers


def canary_file(size: int, marker: bytes, *, block: int = 1024 * 1024) -> tuple[Iterator[bytes], hashlib._Hash]:
    """A file of ``size`` bytes made as it is sent: each ``block`` starts with ``marker``, the rest
    random. Returns the pieces and the SHA-256 that is complete once they all went out."""
    digest = hashlib.sha256()

    def pieces() -> Iterator[bytes]:
        left = size
        while left:
            piece = (marker + os.urandom(block))[:min(block, left)]
            digest.update(piece)
            left -= len(piece)
            yield piece

    return pieces(), digest


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        tree.extend(children)
        frontier = children
    return tree


def _command(pid: int) -> str:
    """A process's program and first arguments (as ps shows them), for reports."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return str(pid)
    return " ".join(word.decode(errors="replace") for word in words[1:4]) or str(pid)


def rss_bytes(pid: int) -> int:
    """The process's proportional share of resident memory (Pss: a page shared by n processes counts
    1/n in each). Not VmRSS: a server worker that forks to start the metadata parser shows, for the
    instant between fork and exec, a child whose VmRSS is the whole worker (its pages shared, copy
    on write) — summed over the tree that read as 146 MB of growth that was never there."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def folder_bytes(*folders: Path) -> int:
    total = 0
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                try:
                    total += (Path(root) / name).stat().st_size
                except OSError:
                    continue
    return total


class ServerWatch:
    """Samples, in a thread, the resident memory of the server's whole process tree (the main
    process, its workers, the background worker) and the bytes in the folders it could spill
    a request body into; ``peak_rss`` and ``peak_spilled`` over the watched span.

    The baseline is taken once the tree's memory has settled (a process still starting, such as
    the background worker, would otherwise be counted as growth): two samples half a second apart
    within 1 MB of each other, waited for at most 30 seconds."""

    def __init__(self, pid: int, folders: Iterable[Path] = (), interval: float = 0.01) -> None:
        self.pid = pid
        self.folders = list(folders)
        self.interval = interval
        self.baseline = self._settled()
        self.peak_rss = self.baseline
        self.peak_by_process: dict[int, int] = {}
        self.commands: dict[int, str] = {}
        self.start_by_process = self._by_process()
        self.peak_spilled = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _by_process(self) -> dict[int, int]:
        return {pid: rss_bytes(pid) for pid in process_tree(self.pid)}

    def tree_rss(self) -> int:
        return sum(self._by_process().values())

    def _settled(self) -> int:
        deadline = time.monotonic() + 30
        last = self.tree_rss()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.tree_rss()
            if abs(now - last) < 1024 * 1024:
                return now
            last = now
        return last

    def _sample(self) -> None:
        by_process = self._by_process()
        for pid, rss in by_process.items():
            self.peak_by_process[pid] = max(self.peak_by_process.get(pid, 0), rss)
            if pid not in self.commands:
                self.commands[pid] = _command(pid)
        self.peak_rss = max(self.peak_rss, sum(by_process.values()))
        self.peak_spilled = max(self.peak_spilled, folder_bytes(*self.folders))
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> ServerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def growth(self) -> int:
        return self.peak_rss - self.baseline

    def report(self) -> str:
        """Each process's resident memory at the start and at its peak, in MB."""
        mb = 1024 * 1024
        return ", ".join(f"{self.commands.get(pid, pid)}: {self.start_by_process.get(pid, 0) // mb} -> {peak // mb}"
                         for pid, peak in sorted(self.peak_by_process.items()))


def scan_everything(roots: Iterable[Path], needles: dict[bytes, str], *, piece: int = 16 * 1024 * 1024) -> list[str]:
    """'path: what' for every needle found in any regular file under ``roots``, whatever its size
    (read in pieces that overlap by the longest needle)."""
    overlap = max((len(needle) for needle in needles), default=1) - 1
    hits: list[str] = []
    for root in roots:
        paths = [root] if root.is_file() else [Path(folder) / name for folder, _, names in os.walk(root)
                                                for name in names]
        for path in paths:
            if path.is_symlink() or not path.is_file():
                continue
            found: set[str] = set()
            tail = b""
            with path.open("rb") as handle:
                while data := handle.read(piece):
                    window = tail + data
                    found.update(what for needle, what in needles.items() if needle in window)
                    tail = window[-overlap:] if overlap else b""
            hits.extend(f"{path}: {what}" for what in sorted(found))
    return hits
