"""The data directory: kept private, and set up before anything reads it.

Every process that loads the settings creates files with umask 077 (config/settings.py); an
older data directory, or one copied in with a backup tool, is tightened by ``data_dir_tighten``
when `defensor serve` starts.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

PRIVATE = 0o700  # what is left of a mode: the owner's bits only


def _sqlite_files() -> list[Path]:
    database = settings.DATABASES[DEFAULT_DB_ALIAS]
    if "sqlite" not in database["ENGINE"]:
        return []
    main = Path(database["NAME"])
    return [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-shm")]


def data_dir_tighten(root: Path) -> int:
    """Take every group and other permission away from the files and folders under ``root`` (and
    from the SQLite database kept elsewhere). Returns how many were changed. Links are not
    followed: what they point at is not ours to change."""
    paths: list[Path] = [root]
    for folder, folders, files in os.walk(root):
        paths.extend(Path(folder, name) for name in [*folders, *files])
    paths.extend(path for path in _sqlite_files() if not path.is_relative_to(root))
    changed = 0
    for path in paths:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:  # removed meanwhile, or a database not made yet
            continue
        if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & 0o077:
            continue
        path.chmod(stat.S_IMODE(mode) & PRIVATE)
        changed += 1
    return changed


def database_unready() -> str | None:
    """None when the database has every migration applied; otherwise one line saying what to run."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        applied = executor.loader.applied_migrations
    finally:
        connection.close()
    if not pending:
        return None
    where = connection.settings_dict["NAME"]
    if not applied:
        return f"The database {where} is not set up yet: run `defensor migrate` (or `make run`, which does it)."
    return (
        f"The database {where} needs {len(pending)} migration(s) this version brings: run `defensor migrate` "
        "(or `make run`, which does it)."
    )
