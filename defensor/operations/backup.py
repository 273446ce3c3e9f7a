"""``defensor backup``: one age archive of everything a new server needs (archive.py's layout).

The database is copied while the server keeps serving: SQLite's online backup API into a file
beside the live one, or ``pg_dump`` of one snapshot (the row counts are taken in that same
snapshot). The sealed files follow; a file removed between the snapshot and its turn was being
erased and is left out. The archive is written as ``.partial`` (0600) and renamed only when
complete, so a half-made archive is never taken for a backup.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO, cast

import django
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.audit.models import AuditChainHead
from defensor.audit.services import log_action
from defensor.core.errors import DefensorError
from defensor.keys import age
from defensor.keys.models import RecoveryKey
from defensor.operations import archive
from defensor.operations.models import BackupRun, RunKind
from defensor.operations.restore import pg_environment

ARCHIVE_PREFIX = "defensor-backup-"
ARCHIVE_SUFFIX = ".age"
# Settings that are never written to config.json, whatever their value (their names say secret).
_SECRET_WORDS = ("SECRET", "KEY", "PASSWORD", "TOKEN", "PASS", "CREDENTIAL")


class BackupRefused(DefensorError):
    user_message = _("The backup could not be made.")


@dataclass(frozen=True)
class BackupMade:
    path: Path
    size: int
    sha256: str
    members: int
    tables: dict[str, int]


def backup_dir(to: str | Path | None = None) -> Path:
    """Where archives go: ``to``, else DEFENSOR_BACKUP_DIR. Never inside the data directory (a
    seized or broken disk would take the backups with the data)."""
    chosen = to or settings.DEFENSOR_BACKUP_DIR
    if not chosen:
        raise BackupRefused(_("No backup folder: give --to DIR or set DEFENSOR_BACKUP_DIR."))
    target = Path(chosen).expanduser().resolve()
    data = Path(settings.DATA_DIR).resolve()
    if target == data or data in target.parents:
        raise BackupRefused(_("Backups must be kept outside the data directory (%(dir)s).") % {"dir": data})
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    return target


def recipients(extra: list[str] | None = None) -> list[str]:
    """The organisation's recovery key as an age recipient, DEFENSOR_BACKUP_RECIPIENTS, and ``extra``."""
    found = [age.recipient(bytes(key)) for key in RecoveryKey.objects.values_list("public_key", flat=True)]
    if not found:
        raise BackupRefused(_("The organisation is not initialised yet (no recovery key): run defensor init."))
    return [*found, *settings.DEFENSOR_BACKUP_RECIPIENTS, *(extra or [])]


def _config() -> dict[str, Any]:
    """The settings a restored instance should match, without a secret among them."""
    chosen: dict[str, Any] = {}
    for name in dir(settings):
        if not name.startswith("DEFENSOR_") or any(word in name for word in _SECRET_WORDS):
            continue
        value = getattr(settings, name)
        if isinstance(value, Path):
            value = str(value)
        try:
            json.dumps(value)
        except TypeError:
            continue
        chosen[name] = value
    chosen.update(MODE=settings.MODE, TIME_ZONE=settings.TIME_ZONE, LANGUAGE_CODE=settings.LANGUAGE_CODE)
    return chosen


def _table_counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - the database's own table names
        counts[table] = int(cursor.fetchone()[0])
    return counts


@contextlib.contextmanager
def _sqlite_snapshot(work: Path) -> Iterator[tuple[Path, dict[str, int]]]:
    copy = work / "defensor.sqlite3"
    source = sqlite3.connect(f"file:{connection.settings_dict['NAME']}?mode=ro", uri=True)
    target = sqlite3.connect(copy)
    try:
        with target:
            source.backup(target, pages=4096)  # steps, so writers are not held off for the whole copy
        tables = [r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                               "AND name NOT LIKE 'sqlite_%'")]
        quote = connection.ops.quote_name
        counts = {t: int(target.execute(f"SELECT COUNT(*) FROM {quote(t)}").fetchone()[0])  # noqa: S608
                  for t in sorted(tables)}
    finally:
        source.close()
        target.close()
    yield copy, counts


@contextlib.contextmanager
def _postgres_snapshot(work: Path) -> Iterator[tuple[Path, dict[str, int]]]:
    dump = work / "defensor.pgdump"
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupRefused(_("pg_dump is not installed: install the PostgreSQL client tools."))
    with transaction.atomic(), connection.cursor() as cursor:
        # One snapshot for the counts and the dump: exported, and held while pg_dump reads it.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        counts = _table_counts(cursor, connection.introspection.table_names(cursor))
        result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             f"--file={dump}"],
            env=pg_environment(connection.settings_dict), capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        raise BackupRefused(_("pg_dump failed: %(error)s") % {"error": result.stderr.strip()[:300]})
    yield dump, counts


def _files() -> Iterator[tuple[str, Path]]:
    """(member name, path) of every sealed file, in a stable order."""
    roots = {"attachments": Path(settings.MEDIA_ROOT) / "attachments", "evidence": Path(settings.DEFENSOR_EVIDENCE_DIR)}
    for area in archive.FILE_AREAS:
        root = roots[area]
        if not root.is_dir():
            continue
        for directory, folders, names in os.walk(root):
            folders.sort()
            for name in sorted(names):
                if name.startswith("."):  # a file still being written (temporary name)
                    continue
                path = Path(directory) / name
                if path.is_file() and not path.is_symlink():
                    yield f"{archive.FILES_PREFIX}{area}/{path.relative_to(root).as_posix()}", path


def _migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


class _Bar:
    """A progress bar on a terminal; silent otherwise (the worker, a pipe)."""

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total, self.done, self.shown = max(total, 1), 0, -1
        self.stream = stream if stream is not None and stream.isatty() else None

    def __call__(self, count: int) -> None:
        self.done += count
        percent = min(100, self.done * 100 // self.total)
        if self.stream is not None and percent != self.shown:
            self.shown = percent
            filled = percent // 4
            self.stream.write(f"\r[{'#' * filled}{'.' * (25 - filled)}] {percent:3d}%  {self.done >> 20} MB")
            self.stream.flush()

    def end(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")


def backup_create(*, to: str | Path | None = None, extra_recipients: list[str] | None = None,
                  progress: TextIO | None = None, actor: Any = None) -> BackupMade:
    """Make one archive; record and audit it. ``progress``: a terminal to draw a bar on."""
    started = timezone.now()
    stamp = timezone.localtime(started).strftime("%Y%m%d-%H%M%S")
    name = f"{ARCHIVE_PREFIX}{stamp}{ARCHIVE_SUFFIX}"
    try:
        target_dir = backup_dir(to)
        chosen = recipients(extra_recipients)
    except DefensorError as error:
        _record_failure(RunKind.BACKUP, started, name, error)
        raise
    final = target_dir / name
    partial = target_dir / f".{name}.partial"
    vendor = connection.vendor
    work_root = Path(settings.DATA_DIR) / "tmp"  # the live database's own protection, not the backup folder's
    work_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        with tempfile.TemporaryDirectory(dir=work_root, prefix="backup-") as work:
            snapshot = _sqlite_snapshot if vendor == "sqlite" else _postgres_snapshot
            with snapshot(Path(work)) as (database, tables):
                files = list(_files())
                total = database.stat().st_size + sum(p.stat().st_size for _n, p in files if p.exists())
                bar = _Bar(total, progress)
                descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as out:
                    sink = _Digesting(out)
                    with archive.writing(cast(BinaryIO, sink), chosen, bar) as writer:
                        manifest = _members(writer, database, files, tables, vendor=vendor, started=started,
                                            recipients=len(chosen))
                    out.flush()
                    os.fsync(out.fileno())
                bar.end()
        os.replace(partial, final)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        if isinstance(error, (DefensorError, OSError, subprocess.SubprocessError)):
            _record_failure(RunKind.BACKUP, started, final.name, error)
        raise
    digest = sink.sha256.hexdigest()
    made = BackupMade(path=final, size=final.stat().st_size, sha256=digest,
                      members=len(manifest.members), tables=manifest.tables)
    with transaction.atomic():
        BackupRun.objects.create(kind=RunKind.BACKUP, started_at=started, finished_at=timezone.now(), ok=True,
                                 archive=final.name, size=made.size, sha256=digest)
        audit_for_each_organisation("backup.made", actor=actor, details={
            "archive": final.name, "size": made.size, "files": len(manifest.members),
            "rows": sum(tables.values()), "recipients": len(chosen),
        })
    return made


def audit_for_each_organisation(action: str, details: dict[str, Any], actor: Any = None) -> None:
    """An archive holds every organisation of the instance: each sees the event in its audit log."""
    from defensor.core.models import Organisation

    organisations: list[Organisation | None] = [*Organisation.objects.all()] or [None]
    for organisation in organisations:
        log_action(action=action, actor=actor, organisation=organisation, details=details)


def _members(writer: archive.ArchiveWriter, database: Path, files: list[tuple[str, Path]], tables: dict[str, int],
             *, vendor: str, started: datetime, recipients: int) -> archive.Manifest:
    """Every member in archive.py's order, the manifest last."""
    writer.add_bytes(archive.FORMAT_MEMBER, json.dumps({
        "format": archive.FORMAT, "vendor": vendor, "made_at": started.isoformat(),
        "django": django.get_version(), "python": sys.version.split()[0],
    }).encode())
    writer.add_bytes(archive.SECRET_MEMBER, settings.SECRET_KEY.encode())
    if settings.DEFENSOR_AUDIT_KEY:
        writer.add_bytes(archive.AUDIT_KEY_MEMBER, settings.DEFENSOR_AUDIT_KEY.encode())
    writer.add_bytes(archive.CONFIG_MEMBER, json.dumps(_config(), sort_keys=True, indent=1).encode())
    writer.add_file(archive.DATABASE_PREFIX + database.name, database)
    for name, path in files:
        try:
            writer.add_file(name, path)
        except FileNotFoundError:
            continue  # erased since the snapshot: it stays erased
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return writer.finish(tables, {
        "vendor": vendor, "made_at": started.isoformat(), "migrations": _migrations(),
        "audit_head": list(head) if head else None, "recipients": recipients,
    })


class _Digesting(io.RawIOBase):
    """The archive file, hashed as it is written (its SHA-256 without reading it again)."""

    def __init__(self, target: BinaryIO) -> None:
        self.target, self.sha256 = target, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.sha256.update(data)
        return self.target.write(data)

    def flush(self) -> None:
        self.target.flush()


def _record_failure(kind: str, started: datetime, name: str, error: BaseException) -> None:
    problem = str(getattr(error, "user_message", "") or type(error).__name__)[:300]
    with contextlib.suppress(Exception), transaction.atomic():  # the failure must not hide the error
        BackupRun.objects.create(kind=kind, started_at=started, finished_at=timezone.now(), ok=False,
                                 archive=name, problem=problem)
        audit_for_each_organisation("backup.failed", details={"archive": name, "kind": str(kind)})


def archives_in(directory: Path) -> list[Path]:
    """The complete archives in ``directory``, oldest first (their names sort by time)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir()
                  if p.name.startswith(ARCHIVE_PREFIX) and p.name.endswith(ARCHIVE_SUFFIX) and p.is_file())


def backups_prune(*, directory: Path, keep: int) -> list[str]:
    """Remove all but the newest ``keep`` archives, and archives left half-made (``.partial``, a
    backup killed while writing) more than a day ago; audited. Returns the names removed."""
    old = archives_in(directory)[:-keep] if keep > 0 else []
    day_ago = time.time() - 24 * 3600
    old += [p for p in directory.glob(f".{ARCHIVE_PREFIX}*.partial") if p.is_file() and p.stat().st_mtime < day_ago]
    removed = []
    for path in old:
        path.unlink(missing_ok=True)
        removed.append(path.name)
    if removed:
        with transaction.atomic():
            audit_for_each_organisation("backup.pruned", details={"removed": removed, "kept": keep})
    return removed
