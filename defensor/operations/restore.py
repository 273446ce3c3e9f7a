"""``defensor restore ARCHIVE``: a working instance from an archive, in an empty data directory.

Two steps. ``restore_files`` runs before Django's settings are loaded (they would make a new
secret in the new data directory): it opens the archive as it streams into a folder beside the
place each piece goes, and only when the whole archive has been read and checked (age's
authentication, the manifest's sizes and hashes) are the pieces moved into place and, on
PostgreSQL, the dump loaded in one transaction. Anything wrong leaves the data directory as it
was found (empty) and the database untouched. ``restore_check`` then runs with the restored
settings: the row counts against the manifest, the migrations, and a sample of records opened
with the recovery key when it was given.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from defensor.core.errors import DefensorError
from defensor.operations import archive

STAGING = ".restoring"


class RestoreRefused(DefensorError):
    """Said on the command line, in English like the other commands' own words: it runs before the
    settings (and so the translations) can be loaded."""

    user_message = "Nothing was restored."


@dataclass
class Restored:
    vendor: str
    manifest: archive.Manifest
    config: dict[str, Any] = field(default_factory=dict)
    secret_key_file: Path | None = None


def pg_environment(database: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for ``database`` (Django's form of it): the password never on a command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                      ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if database.get(key):
            env[name] = str(database[key])
    return env


def _postgres(database_url: str) -> dict[str, Any]:
    import dj_database_url

    return dict(dj_database_url.parse(database_url))


def _postgres_is_empty(database_url: str) -> bool:
    import psycopg

    with psycopg.connect(database_url, connect_timeout=10) as db:
        row = db.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()
    return row is not None and int(row[0]) == 0


def _secret_in_environment() -> str | None:
    name = "DEFENSOR_SECRET_KEY"
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name) or None


def _write(path: Path, stream: IO[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        shutil.copyfileobj(stream, out, archive.CHUNK)


def data_dir_is_empty(data_dir: Path) -> bool:
    return not data_dir.exists() or (data_dir.is_dir() and not any(data_dir.iterdir()))


def restore_files(*, source: BinaryIO, data_dir: Path, identities: list[str], database_url: str = "",
                  sqlite_path: Path | None = None, progress: archive.Progress | None = None) -> Restored:
    """Lay the archive's contents into ``data_dir`` (and the database). See the module's text."""
    data_dir = data_dir.resolve()
    if not data_dir_is_empty(data_dir):
        raise RestoreRefused(f"The data directory {data_dir} is not empty: restore only into an empty one.")
    if database_url and not _postgres_is_empty(database_url):
        raise RestoreRefused("The database named by DATABASE_URL already has tables: restore only into an "
                               "empty database.")
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = data_dir / STAGING
    staging.mkdir(mode=0o700)
    state: dict[str, Any] = {}

    def take(member: archive.Member) -> None:
        name = member.name
        if name == archive.FORMAT_MEMBER:
            fmt = json.loads(member.stream.read(1 << 16))
            if fmt.get("format") != archive.FORMAT:
                raise RestoreRefused("This archive was made by another version of Defensor's backup format.")
            vendor = fmt.get("vendor")
            if vendor == "postgresql" and not database_url:
                raise RestoreRefused("This archive holds a PostgreSQL database: set DATABASE_URL to an empty "
                                       "PostgreSQL database and run restore again.")
            if vendor == "sqlite" and database_url:
                raise RestoreRefused("This archive holds an SQLite database: run restore without DATABASE_URL.")
            state["vendor"] = vendor
        elif "vendor" not in state:
            raise archive.ArchiveInvalid()
        elif name == archive.CONFIG_MEMBER:
            state["config"] = json.loads(member.stream.read(1 << 20))
        elif name in (archive.SECRET_MEMBER, archive.AUDIT_KEY_MEMBER):
            state[name] = member.stream.read(1 << 12).decode()
        elif name.startswith(archive.DATABASE_PREFIX) or name.startswith(archive.FILES_PREFIX):
            _write(staging / name.removeprefix(f"{archive.ROOT}/"), member.stream)
        else:
            raise archive.ArchiveInvalid()

    try:
        manifest = archive.reading(source, identities, take, progress)
        secret = state.get(archive.SECRET_MEMBER)
        if not secret:
            raise archive.ArchiveInvalid()
        in_environment = _secret_in_environment()
        if in_environment and in_environment != secret:
            raise RestoreRefused((
                "DEFENSOR_SECRET_KEY is set to another secret than the archive's: receipts would stop "
                "working. Unset it, or point DEFENSOR_SECRET_KEY_FILE at {file} after the restore."
            ).format(file=data_dir / "secret_key"))
        restored = Restored(vendor=str(state["vendor"]), manifest=manifest, config=state.get("config", {}))
        restored.secret_key_file = _put_in_place(staging, data_dir, state, database_url, sqlite_path)
    except BaseException:
        _undo(data_dir, created)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return restored


def _put_in_place(staging: Path, data_dir: Path, state: dict[str, Any], database_url: str,
                  sqlite_path: Path | None) -> Path:
    database = staging / "database"
    if database_url:
        _pg_restore(database / "defensor.pgdump", database_url)
    else:
        target = sqlite_path or data_dir / "defensor.sqlite3"
        if target.exists():
            raise RestoreRefused(f"A database file is already at {target}.")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(database / "defensor.sqlite3", target)
    files = staging / "files"
    for area, place in (("attachments", data_dir / "media" / "attachments"), ("evidence", data_dir / "evidence")):
        if (files / area).is_dir():
            place.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(files / area, place)
    secret_file = data_dir / "secret_key"
    _write_text(secret_file, state[archive.SECRET_MEMBER])
    if state.get(archive.AUDIT_KEY_MEMBER):
        _write_text(data_dir / "audit_key", state[archive.AUDIT_KEY_MEMBER])
    return secret_file


def _write_text(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)


def _pg_restore(dump: Path, database_url: str) -> None:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise RestoreRefused("pg_restore is not installed: install the PostgreSQL client tools.")
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
         f"--dbname={_postgres(database_url)['NAME']}", str(dump)],
        env=pg_environment(_postgres(database_url)), capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RestoreRefused(f"pg_restore failed (nothing was loaded): {result.stderr.strip()[:300]}")


def _undo(data_dir: Path, created: bool) -> None:
    """Leave the data directory as it was found: empty (or not there at all)."""
    if created:
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    for child in data_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
