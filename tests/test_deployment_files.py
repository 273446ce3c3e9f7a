"""The production set-up's files (deploy/, docs/deployment.md), checked by the programs that will
read them: `systemd-analyze verify` for the units, `nginx -t` for the site, `tor --verify-config` for
the onion service; the units run `defensor` commands and options that exist, and the environment
file names only settings Defensor reads. Then nginx itself, on loopback with the site as shipped
(addresses rewritten), in front of a stand-in node: no client address reaches a node or a log, the
onion entrance offers the public intake only, and uploads pass up to the application's own caps.

nginx and tor: skipped on a developer machine without them, required in CI (.ci/run installs them)."""

from __future__ import annotations

import datetime
import http.client
import http.server
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

from tests.conftest import require_tool
from tests.serving import ROOT, free_port

DEPLOY = ROOT / "deploy"
UNITS = {"server": DEPLOY / "systemd" / "defensor-server.service",
         "worker": DEPLOY / "systemd" / "defensor-worker.service"}
ENV_EXAMPLE = DEPLOY / "defensor.env.example"
SITE = DEPLOY / "nginx" / "defensor.conf"
TORRC = DEPLOY / "tor" / "torrc"
HOST = "help.example.org"


# --- systemd ----------------------------------------------------------------------------------------


def _service(unit: Path) -> dict[str, list[str]]:
    """The [Service] section's settings (a key may be given more than once)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in unit.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def _unit_setting(unit: Path, key: str) -> str:
    values = [line.partition("=")[2] for line in unit.read_text(encoding="utf-8").splitlines()
              if line.startswith(f"{key}=")]
    assert len(values) == 1, f"{unit.name}: {key}= {values}"
    return values[0]


def _exec_start(unit: Path) -> tuple[dict[str, str], str, list[str]]:
    """ExecStart= as (variables set with /usr/bin/env, the program, its arguments)."""
    (command,) = _service(unit)["ExecStart"]
    words = command.split()
    variables: dict[str, str] = {}
    if words[0] == "/usr/bin/env":
        words = words[1:]
        while "=" in words[0]:
            name, _, value = words.pop(0).partition("=")
            variables[name] = value
    return variables, words[0], words[1:]


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The program the units run, here: this checkout's `defensor` instead of /opt/defensor's.
    defensor = Path(sys.executable).with_name("defensor")
    assert defensor.is_file(), defensor
    copies = []
    for unit in UNITS.values():
        _variables, program, _arguments = _exec_start(unit)
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text(encoding="utf-8").replace(program, str(defensor)), encoding="utf-8")
        copies.append(str(copy))
    result = subprocess.run([analyze, "verify", "--man=no", *copies], capture_output=True, text=True,
                            check=False, timeout=60)
    # An unknown or misspelt setting is only a warning to systemd ("ignoring"): any line about our
    # units fails the test.
    about_ours = [line for line in (result.stdout + result.stderr).splitlines()
                  if any(unit.name in line for unit in UNITS.values())]
    assert result.returncode == 0, result.stderr
    assert about_ours == []


def test_the_units_run_defensor_serve_without_worker_and_defensor_worker_hardened() -> None:
    from defensor.staff.management.commands.serve import Command as Serve
    from defensor.staff.management.commands.worker import Command as Worker

    commands = get_commands()
    data_dir = _env_example()["DEFENSOR_DATA_DIR"]
    for name, unit in UNITS.items():
        variables, program, arguments = _exec_start(unit)
        assert program.endswith("/bin/defensor"), program
        assert arguments[0] in commands, arguments
        # The options exist (argparse refuses unknown ones: CommandError).
        command = {"serve": Serve, "worker": Worker}[arguments[0]]()
        command.create_parser("defensor", arguments[0]).parse_args(arguments[1:])
        service = _service(unit)
        assert service["EnvironmentFile"] == ["/etc/defensor/defensor.env"]
        assert service["User"] == service["Group"] == ["defensor"]
        for setting, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                               "Restart": "on-failure", "UMask": "0077"}.items():
            assert service[setting] == [value], (name, setting)
        # It writes only its data directory and the shared mount the unit waits for.
        writable = service["ReadWritePaths"][0].split()
        assert data_dir in writable
        assert _unit_setting(unit, "RequiresMountsFor") in writable
        if name == "server":
            assert arguments[0] == "serve"
            assert variables == {"DEFENSOR_TASK_WORKER": "0"}  # the worker runs once, on its own node
        else:
            assert arguments[0] == "worker"
            assert "--restart" not in arguments  # systemd restarts it


# --- the environment file ---------------------------------------------------------------------------


def _env_example() -> dict[str, str]:
    """Every NAME=value of the example, commented-out ones too."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_the_environment_file_names_only_settings_defensor_reads() -> None:
    source = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    # env("NAME"), env_bool("NAME", …), env_int("NAME", …): each also read from NAME_FILE.
    settings_names = set(re.findall(r'\benv(?:_bool|_int)?\(\s*"([A-Z][A-Z0-9_]*)"', source))
    serve = (ROOT / "defensor" / "staff" / "management" / "commands" / "serve.py").read_text(encoding="utf-8")
    serve_names = set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"', serve))
    assert {"DEFENSOR_MODE", "DATABASE_URL", "DEFENSOR_SECRET_KEY"} <= settings_names
    assert {"DEFENSOR_HOST", "DEFENSOR_PORT"} <= serve_names
    example = _env_example()
    unknown = [name for name in example
               if name not in settings_names | serve_names and name.removesuffix("_FILE") not in settings_names]
    assert unknown == []
    assert example["DEFENSOR_MODE"] == "production"
    assert example["DATABASE_URL"].startswith("postgres://")
    assert "DEFENSOR_SECRET_KEY_FILE" in example
    assert "DEFENSOR_SECRET_KEY" not in example  # by file, never in the environment file
    assert "DEFENSOR_ALLOWED_HOSTS" in example
    assert "DEFENSOR_TASK_WORKER" not in example  # the server unit sets it; the file would win


# --- nginx ------------------------------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


@dataclass
class Ports:
    http: int
    https: int
    onion: int
    upstream: int


def _nginx_config(tmp_path: Path, ports: Ports | None = None) -> Path:
    """nginx.conf in ``tmp_path`` including the site with its machine paths (certificate, logs)
    pointing into ``tmp_path``; with ``ports``, also listening on loopback ports of our own and with
    every node replaced by the stand-in at ``ports.upstream``."""
    cert, key = _self_signed(tmp_path)
    site = SITE.read_text(encoding="utf-8")
    site = re.sub(r"(?m)^(\s*ssl_certificate\s+)\S+;", rf"\g<1>{cert};", site)
    site = re.sub(r"(?m)^(\s*ssl_certificate_key\s+)\S+;", rf"\g<1>{key};", site)
    site = re.sub(r"(?m)^(\s*error_log\s+)\S+", rf"\g<1>{tmp_path}/site-error.log", site)
    if ports is not None:
        site = re.sub(r"(?m)^\s*listen \[::\]:\d+.*\n", "", site)
        site = re.sub(r"(?m)^(\s*listen )80;", rf"\g<1>127.0.0.1:{ports.http};", site)
        site = re.sub(r"(?m)^(\s*listen )443 ", rf"\g<1>127.0.0.1:{ports.https} ", site)
        site = re.sub(r"(?m)^(\s*listen )127\.0\.0\.1:8080;", rf"\g<1>127.0.0.1:{ports.onion};", site)
        site = re.sub(r"(?m)^(\s*server )\d+\.\d+\.\d+\.\d+:\d+", rf"\g<1>127.0.0.1:{ports.upstream}", site)
    # Nothing of this machine's own nginx set-up is read or written.
    assert not re.search(r"(?<![\w.])/(etc|var)/", _without_comments(site)), "a machine path was left in the site"
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"    {kind}_temp_path {tmp_path}/{kind}-temp;"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = tmp_path / "nginx.conf"
    config.write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
worker_processes 1;
events {{ worker_connections 64; }}
http {{
{temp}
    # What would be logged of a request if the site did not turn its access log off.
    access_log {tmp_path}/access.log;
    include {tmp_path}/site.conf;
}}
""", encoding="utf-8")
    return config


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    nginx = require_tool("nginx")
    config = _nginx_config(tmp_path)
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config)],
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr, result.stderr
    assert "[emerg]" not in result.stderr, result.stderr


def _site_body_cap(location: str) -> int:
    """client_max_body_size (bytes) of the clearnet server's ``location`` block."""
    block = SITE.read_text(encoding="utf-8").split(f"location {location} {{", 1)[1].split("}", 1)[0]
    size = re.search(r"client_max_body_size (\d+)m;", block)
    assert size is not None, location
    return int(size.group(1)) * 1024 * 1024


def test_the_nginx_site_takes_the_uploads_the_application_takes() -> None:
    intake = (settings.DEFENSOR_INTAKE_MAX_FILE_BYTES * settings.DEFENSOR_INTAKE_MAX_FILES_PER_REQUEST
              + settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    assert _site_body_cap("/request/") >= intake
    assert _site_body_cap("/receipt/") >= intake
    assert _site_body_cap("/staff/") >= settings.DEFENSOR_EVIDENCE_MAX_BYTES
    site = SITE.read_text(encoding="utf-8")
    nodes = re.findall(r"(?m)^\s*server \d+\.\d+\.\d+\.\d+:\d+", site.split("upstream defensor_nodes", 1)[1])
    assert len(nodes) >= 2  # several application nodes
    for forbidden in ("$remote_addr", "$proxy_add_x_forwarded_for", "$binary_remote_addr", "$http_x_forwarded_for"):
        assert forbidden not in site


def test_the_onion_service_points_at_nginx_on_loopback(tmp_path: Path) -> None:
    torrc = TORRC.read_text(encoding="utf-8")
    target = re.search(r"(?m)^HiddenServicePort 80 (127\.0\.0\.1:\d+)$", torrc)
    assert target is not None
    assert f"listen {target.group(1)};" in SITE.read_text(encoding="utf-8")
    tor = require_tool("tor")
    hidden, data = tmp_path / "hidden", tmp_path / "data"
    data.mkdir(mode=0o700)
    rewritten = re.sub(r"(?m)^HiddenServiceDir \S+", f"HiddenServiceDir {hidden}/", torrc)
    assert "/var/" not in _without_comments(rewritten)
    (tmp_path / "torrc").write_text(rewritten, encoding="utf-8")
    result = subprocess.run([tor, "--verify-config", "-f", str(tmp_path / "torrc"), "--DataDirectory", str(data)],
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration was valid" in result.stdout


# --- nginx running: what reaches a node ------------------------------------------------------------


@dataclass
class Seen:
    """What the stand-in node received: each request's path, headers and body size."""

    requests: list[tuple[str, dict[str, str], int]] = field(default_factory=list)


def _stand_in_node(seen: Seen) -> http.server.ThreadingHTTPServer:
    class Node(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            left = size
            while left:
                left -= len(self.rfile.read(min(left, 1024 * 1024)))
            seen.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, size))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Node)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def running_nginx(tmp_path: Path) -> Iterator[tuple[Ports, Seen]]:
    nginx = require_tool("nginx")
    seen = Seen()
    node = _stand_in_node(seen)
    ports = Ports(http=free_port(), https=free_port(), onion=free_port(), upstream=node.server_address[1])
    config = _nginx_config(tmp_path, ports)
    process = subprocess.Popen([nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config),
                                "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", ports.onion), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        yield ports, seen
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        node.shutdown()
        node.server_close()


def _request(port: int, method: str, path: str, *, tls: bool = False, body: bytes = b"",
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # our own self-signed certificate, on loopback
        connection: http.client.HTTPConnection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30,
                                                                             context=context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


IDENTIFYING = {"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.7", "Forwarded": "for=203.0.113.7",
               "X-Forwarded-Proto": "http"}


def test_nginx_hands_the_nodes_no_client_address_and_logs_none(
    running_nginx: tuple[Ports, Seen], tmp_path: Path,
) -> None:
    ports, seen = running_nginx
    assert _request(ports.https, "GET", "/staff/login/", tls=True, headers=IDENTIFYING)[0] == 200
    assert _request(ports.https, "GET", "/request/", tls=True, headers=IDENTIFYING)[0] == 200
    assert _request(ports.onion, "GET", "/request/", headers=IDENTIFYING)[0] == 200
    assert [path for path, _headers, _size in seen.requests] == ["/staff/login/", "/request/", "/request/"]
    for _path, headers, _size in seen.requests:
        assert not {"x-forwarded-for", "x-real-ip", "forwarded"} & set(headers), headers
        assert "203.0.113.7" not in str(headers)
        assert headers["x-forwarded-proto"] == "https"  # set by nginx, whatever the client said
        assert headers["host"] == HOST
    # Plain HTTP only leads to HTTPS.
    status, headers = _request(ports.http, "GET", "/request/")
    assert (status, headers["location"]) == (301, f"https://{HOST}/request/")
    assert len(seen.requests) == 3
    # No access log anywhere: the http block's default log stays empty.
    access = tmp_path / "access.log"
    assert not access.exists() or access.read_text() == ""


def test_the_onion_entrance_offers_the_public_intake_only(running_nginx: tuple[Ports, Seen]) -> None:
    ports, seen = running_nginx
    for path in ("/", "/request/", "/receipt/", "/static/defensor/app.css", "/language/"):
        assert _request(ports.onion, "GET", path)[0] == 200, path
    for path in ("/staff/", "/staff/login/", "/feeds/deadlines/token.ics", "/admin/"):
        assert _request(ports.onion, "GET", path)[0] == 404, path
    assert [path for path, _headers, _size in seen.requests] == [
        "/", "/request/", "/receipt/", "/static/defensor/app.css", "/language/"]


def test_uploads_pass_up_to_the_caps_and_no_further_never_touching_nginx_disk(
    running_nginx: tuple[Ports, Seen], tmp_path: Path,
) -> None:
    ports, seen = running_nginx
    # Every server that hands requests to the nodes streams bodies both ways (nothing spills to a
    # temp file: an upload is plaintext until a node seals it, a download after a node opened it).
    for server in SITE.read_text(encoding="utf-8").split("server {")[1:]:
        if "proxy_pass" in server:
            assert "proxy_request_buffering off;" in server
            assert "proxy_max_temp_file_size 0;" in server
    mb = b"x" * (1024 * 1024)
    form = {"Content-Type": "application/octet-stream"}
    assert _request(ports.https, "POST", "/request/", tls=True, body=mb * 30, headers=form)[0] == 200
    assert _request(ports.onion, "POST", "/request/", body=mb * 30, headers=form)[0] == 200
    assert _request(ports.https, "POST", "/staff/cases/1/evidence/", tls=True, body=mb * 30, headers=form)[0] == 200
    assert [size for _path, _headers, size in seen.requests] == [30 * len(mb)] * 3
    # Elsewhere, small requests only; and the intake's cap holds.
    assert _request(ports.https, "POST", "/language/", tls=True, body=mb * 2, headers=form)[0] == 413
    assert _request(ports.onion, "POST", "/request/", body=mb * 106, headers=form)[0] == 413
    assert len(seen.requests) == 3
    assert [path for path in tmp_path.glob("*-temp/**/*") if path.is_file()] == []
