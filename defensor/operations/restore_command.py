"""``defensor restore ARCHIVE``, run by defensor.cli before Django's settings are loaded.

The data directory is DEFENSOR_DATA_DIR (as for every command) and must be empty; the database is
the SQLite file in it, or DATABASE_URL's PostgreSQL database, which must have no tables. The key:
two recovery shares typed on standard input (the default), ``--identity FILE`` (an age identity
file, e.g. an offline recipient's), or ``--identity-stdin`` (the drill hands its key this way).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_REFUSED = 2


def _identities(options: argparse.Namespace) -> tuple[list[str], bytes | None]:
    """The age identities to open the archive with, and the raw private key for the sample."""
    from defensor.keys import age, recovery

    if options.identity:
        found = age.identities_in(Path(options.identity).read_text(encoding="utf-8"))
    elif options.identity_stdin:
        found = age.identities_in(sys.stdin.read())
    else:
        found = [age.identity(recovery.combine_unchecked(recovery.read_shares(sys.stdin)))]
    if not found:
        raise SystemExit("No age identity (AGE-SECRET-KEY-1…) was given.")
    return found, age.identity_private_key(found[0])


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="defensor restore", description=__doc__.splitlines()[0])
    parser.add_argument("archive")
    parser.add_argument("--identity", help="an age identity file instead of the recovery shares")
    parser.add_argument("--identity-stdin", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the result as one line of JSON")
    parser.add_argument("--sample", type=int, default=20, help="records to open with the recovery key")
    options = parser.parse_args(args)

    from defensor.core.errors import DefensorError
    from defensor.keys.recovery import InvalidShares
    from defensor.operations import restore

    data_dir = Path(os.environ.get("DEFENSOR_DATA_DIR", "var")).resolve()
    database_url = os.environ.get("DATABASE_URL", "").strip()
    sqlite_path = Path(os.environ["DEFENSOR_SQLITE_PATH"]) if os.environ.get("DEFENSOR_SQLITE_PATH") else None

    def refuse(message: str, code: str) -> int:
        if options.json:
            print(json.dumps({"ok": False, "error": message, "code": code}, ensure_ascii=False))
        sys.stderr.write(f"Not restored: {message}\n")
        return EXIT_REFUSED

    plain = {  # before the settings there are no translations: the command line's English
        "ArchiveUnreadable": "the archive cannot be opened: it was changed or cut short, or the key given "
                             "is not one it was made for.",
        "ArchiveInvalid": "this is not a Defensor backup, or it is damaged.",
        "InvalidShares": "these recovery shares are wrong, incomplete, or from another organisation.",
    }
    try:
        identities, private_key = _identities(options)
        with Path(options.archive).open("rb") as source:
            restored = restore.restore_files(source=source, data_dir=data_dir, identities=identities,
                                             database_url=database_url, sqlite_path=sqlite_path)
    except (InvalidShares, DefensorError) as error:
        name = type(error).__name__
        codes = {"ArchiveUnreadable": "unreadable", "ArchiveInvalid": "invalid", "InvalidShares": "shares"}
        return refuse(plain.get(name) or str(error.user_message), codes.get(name, "refused"))
    except FileNotFoundError as error:
        return refuse(f"{error.filename}: no such file", "missing")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import transaction

    from defensor.operations.backup import audit_for_each_organisation
    from defensor.operations.drill import report_json, restore_check

    report = restore_check(manifest=restored.manifest, private_key=private_key, sample=options.sample)
    with transaction.atomic():
        audit_for_each_organisation("backup.restored", details={
            "archive": Path(options.archive).name, "ok": report.ok, "tables": report.tables_checked,
            "records_opened": report.records_opened,
        })
    if options.json:
        print(report_json(report))
    else:
        print(f"Restored {Path(options.archive).name} into {data_dir}.")
        print(f"  tables checked against the manifest: {report.tables_checked}"
              f" ({len(report.tables_differing)} differ)")
        print(f"  migrations: {'up to date' if report.migrations_ok else report.migrations_problem}")
        if report.recovery_key_given:
            print(f"  opened with the recovery key: {report.keys_opened} keys, {report.records_opened} requests")
        for problem in report.problems:
            print(f"  ! {problem}")
        if os.environ.get("DEFENSOR_MODE", "").strip().lower() == "production":
            print(f"Production: set DEFENSOR_SECRET_KEY_FILE={restored.secret_key_file} before starting.")
        print("Start it with: defensor serve. Staff log in with their own passwords.")
    return 0 if report.ok else 1
