"""The restore drill: an archive proved by restoring it, not by trusting that it was written.

``restore_check`` runs inside a restored instance (``defensor restore`` ends with it): the row
counts against the manifest, the migrations, and — when the recovery key was given — a sample of
records opened with it. ``backup_verify`` runs it from the live instance: ``defensor restore``
in a child process into a temporary data directory (and, on PostgreSQL, a temporary database),
then records and audits the verdict here.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext as _

from defensor.intake.models import Submission
from defensor.intake.services import submission_answers
from defensor.keys import crypto
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyGrant, RecoveryKey
from defensor.operations import archive
from defensor.operations.backup import audit_for_each_organisation
from defensor.operations.models import BackupRun, RunKind


class RecoveryRing(KeyRing):
    """A key ring that opens keys through their recovery grants (the recovery private key)."""

    def __init__(self, private_key: bytes) -> None:
        super().__init__(user_id=0, private_key=private_key)
        self._recovery_private = private_key

    def prefetch(self, material_ids: Iterable[UUID]) -> None:
        wanted = {m for m in material_ids if not self.opened(m)}
        grants = KeyGrant.objects.filter(material_id__in=wanted, for_recovery=True, wrapped__isnull=False)
        for material_id, wrapped in grants.values_list("material_id", "wrapped"):
            self._materials[material_id] = crypto.unseal(self._recovery_private,
                                                         bytes(cast("bytes | memoryview", wrapped)))


@dataclass
class CheckReport:
    ok: bool = True
    tables_checked: int = 0
    tables_differing: list[str] = field(default_factory=list)
    migrations_ok: bool = True
    migrations_problem: str = ""
    keys_opened: int = 0
    records_opened: int = 0
    records_failed: int = 0
    recovery_key_given: bool = False
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


def restore_check(*, manifest: archive.Manifest, private_key: bytes | None, sample: int = 20) -> CheckReport:
    """Check a just-restored instance (see the module's text). Migrates it forward if it is older."""
    report = CheckReport()
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        quote = connection.ops.quote_name
        for table, expected in sorted(manifest.tables.items()):
            found = -1
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - its own table names
                found = int(cursor.fetchone()[0])
            report.tables_checked += 1
            if found != expected:
                report.tables_differing.append(table)
    if report.tables_differing:
        report.fail(_("Row counts differ from the manifest in: %(tables)s.")
                    % {"tables": ", ".join(report.tables_differing[:10])})
    _check_migrations(manifest, report)
    if private_key is not None:
        _open_sample(private_key, sample, report)
    return report


def _check_migrations(manifest: archive.Manifest, report: CheckReport) -> None:
    executor = MigrationExecutor(connection)
    known = executor.loader.disk_migrations
    newer = [f"{app}.{name}" for app, name in dict(manifest.extra.get("migrations", {})).items()
             if (app, name) not in known and app in {a for a, _n in known}]
    if newer:
        report.migrations_ok = False
        report.migrations_problem = _("The archive was made by a newer version of Defensor (%(migrations)s): "
                                      "restore it with that version.") % {"migrations": ", ".join(newer[:5])}
        report.fail(report.migrations_problem)
        return
    call_command("migrate", interactive=False, verbosity=0)
    plan = MigrationExecutor(connection).migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        report.migrations_ok = False
        report.migrations_problem = _("Migrations are left unapplied.")
        report.fail(report.migrations_problem)


def _open_sample(private_key: bytes, sample: int, report: CheckReport) -> None:
    public = crypto.public_from_private(private_key)
    if not RecoveryKey.objects.filter(public_key=public).exists():
        report.problems.append(_("The key given is not this organisation's recovery key: no records were opened."))
        return
    report.recovery_key_given = True
    ring = RecoveryRing(private_key)
    grants = list(KeyGrant.objects.filter(for_recovery=True, wrapped__isnull=False)
                  .order_by("?").values_list("wrapped", flat=True)[:sample])
    for wrapped in grants:
        try:
            crypto.unseal(private_key, bytes(cast("bytes | memoryview", wrapped)))
            report.keys_opened += 1
        except crypto.Tampered:
            report.records_failed += 1
    chosen = Submission.objects.filter(withdrawn_at__isnull=True, sealed_key__isnull=False).order_by("?")[:sample]
    for submission in chosen:
        try:
            submission_answers(submission=submission, keyring=ring)
            report.records_opened += 1
        except (crypto.Tampered, ValueError, KeyError):
            report.records_failed += 1
    if report.records_failed:
        report.fail(_("%(count)s sampled records could not be opened with the recovery key.")
                    % {"count": report.records_failed})


# --- the drill, from the live instance ------------------------------------------------------------


@dataclass
class DrillResult:
    ok: bool
    archive: str
    report: dict[str, Any]
    problem: str = ""


def _drill_database() -> tuple[str, str] | None:
    """(DATABASE_URL, name) of a new, empty PostgreSQL database for the drill; None on SQLite."""
    if connection.vendor != "postgresql":
        return None
    name = f"defensor_drill_{secrets.token_hex(6)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    db = connection.settings_dict
    from urllib.parse import quote

    url = (f"postgres://{quote(str(db['USER']), safe='')}:{quote(str(db['PASSWORD'] or ''), safe='')}"
           f"@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}")
    return url, name


def _drop_database(name: str, *, tries: int = 60) -> None:
    """Drop the drill's database. FORCE ends the drill's own sessions, but not an autovacuum worker
    that has just started on the freshly restored tables (a superuser's process: our role may not
    signal it, and the drop is refused): then wait for it to finish, up to half a minute."""
    for attempt in range(tries):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")
            return
        except DatabaseError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


def backup_verify(*, archive_path: Path, identities: list[str], actor: Any = None, sample: int = 20) -> DrillResult:
    """Restore ``archive_path`` into a temporary place, check it, throw it away; record and audit."""
    started = timezone.now()
    work_root = Path(settings.DATA_DIR) / "tmp"
    work_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    work = Path(tempfile.mkdtemp(dir=work_root, prefix="drill-"))
    database = None
    try:
        database = _drill_database()
        own = ("DEFENSOR_SECRET_KEY", "DEFENSOR_AUDIT_KEY", "DEFENSOR_SQLITE_PATH", "DATABASE_URL")
        env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
        env.update(DEFENSOR_DATA_DIR=str(work / "data"), DEFENSOR_MODE="local", DEFENSOR_TASK_WORKER="0",
                   DEFENSOR_BACKUP_DIR="")
        if database is not None:
            env["DATABASE_URL"] = database[0]
        result = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "defensor.cli", "restore", str(archive_path), "--identity-stdin", "--json",
             f"--sample={sample}"],
            input="\n".join(identities) + "\n", env=env, capture_output=True, text=True, check=False, timeout=6 * 3600,
        )
        try:
            report = json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else {}
        except ValueError:
            report = {}
        ok = result.returncode == 0 and bool(report.get("ok"))
        problem = "" if ok else (report.get("error") or "; ".join(report.get("problems", []))
                                 or result.stderr.strip()[-300:])
        code = "" if ok else str(report.get("code") or ("check" if report else "crashed"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if database is not None:
            _drop_database(database[1])
    drill = DrillResult(ok=ok, archive=archive_path.name, report=report, problem=str(problem)[:300])
    with transaction.atomic():
        BackupRun.objects.create(kind=RunKind.DRILL, started_at=started, finished_at=timezone.now(), ok=ok,
                                 archive=archive_path.name,
                                 size=archive_path.stat().st_size if archive_path.exists() else 0,
                                 records_opened=int(report.get("records_opened", 0)), problem=drill.problem)
        audit_for_each_organisation("backup.drill", actor=actor, details={
            "archive": archive_path.name, "ok": ok, "tables": report.get("tables_checked", 0),
            "records_opened": report.get("records_opened", 0), "keys_opened": report.get("keys_opened", 0),
            "problem": code,
        })
    return drill


def report_json(report: CheckReport) -> str:
    return json.dumps(asdict(report), ensure_ascii=False)
