"""Canary scanning, reusable by later issues: plant unique strings, then look for them in every
byte the application wrote (database files, WAL, media, logs, temp files, a pg_dump)."""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import Model


@dataclass
class Canaries:
    """Unique strings (with Cyrillic, as real data has) and byte secrets to hunt for."""

    strings: list[str] = field(default_factory=list)
    secrets: list[bytes] = field(default_factory=list)

    def new(self, label: str) -> str:
        value = f"КАНАРЕЙКА-{label}-{uuid.uuid4().hex[:12]}"
        self.strings.append(value)
        return value

    def phone(self) -> str:
        digits = f"9{uuid.uuid4().int % 10**9:09d}"
        value = f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
        self.strings.append(digits)  # the bare digits must not appear either
        return value

    def needles(self) -> dict[bytes, str]:
        """Every encoding in which a plaintext could reach a file."""
        found: dict[bytes, str] = {}
        for text in self.strings:
            raw = text.encode()
            found[raw] = text
            found[json.dumps(text).strip('"').encode()] = f"{text} (JSON-escaped)"
            found[text.encode("utf-16-le")] = f"{text} (UTF-16)"
        for secret in self.secrets:
            label = f"secret {secret[:4].hex()}…"
            found[secret] = label
            found[secret.hex().encode()] = f"{label} (hex)"
            for encoder in (base64.b64encode, base64.urlsafe_b64encode):
                found[encoder(secret).rstrip(b"=")] = f"{label} (base64)"
        return found


MAX_SCANNED_FILE = 64 * 1024 * 1024


def files_under(*roots: Path, since: float | None = None) -> list[Path]:
    """Regular files below the roots. Other processes (a browser test's profile, say) may delete
    directories while we walk: os.walk with errors ignored, and each file checked as we go."""
    import os

    found = []
    for root in roots:
        candidates = [root] if root.is_file() else (
            Path(folder) / name for folder, _, names in os.walk(root, onerror=lambda error: None) for name in names
        )
        for path in candidates:
            try:
                if not path.is_file() or path.is_symlink():
                    continue
                stat = path.stat()
            except OSError:
                continue
            if stat.st_size <= MAX_SCANNED_FILE and (since is None or stat.st_mtime >= since):
                found.append(path)
    return found


def scan(paths: Iterable[Path], canaries: Canaries) -> list[str]:
    """'path: what' for every canary found in the given files."""
    needles = canaries.needles()
    hits: list[str] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        hits.extend(f"{path}: {what}" for needle, what in needles.items() if needle in data)
    return hits


def scan_bytes(label: str, data: bytes, canaries: Canaries) -> list[str]:
    return [f"{label}: {what}" for needle, what in canaries.needles().items() if needle in data]


def pg_dump(database_name: str, settings_dict: dict[str, object], pg_dump_path: str) -> bytes:
    env = {"PGPASSWORD": str(settings_dict.get("PASSWORD") or "")}
    command = [
        pg_dump_path,
        "--host", str(settings_dict.get("HOST") or "127.0.0.1"),
        "--port", str(settings_dict.get("PORT") or 5432),
        "--username", str(settings_dict.get("USER") or "postgres"),
        "--no-password",
        database_name,
    ]
    return subprocess.run(command, env=env, capture_output=True, check=True).stdout


def temp_files_since(started: float) -> list[Path]:
    return files_under(Path(tempfile.gettempdir()), since=started - 1)


def now() -> float:
    return time.time()


def stored_bytes(*models: type[Model]) -> bytes:
    """Every value of every row of the models' tables, as the database holds them."""
    from django.db import connection

    found = bytearray()
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        found += bytes(value)
                    elif value is not None:
                        found += str(value).encode()
                    found += b"\x00"
    return bytes(found)
