"""The ``defensor`` command: Django's management commands with Defensor's settings.

``defensor init``, ``defensor serve``, ``defensor createuser``, ``defensor audit verify``,
``defensor backup`` / ``defensor restore`` and
every standard command (``defensor migrate``) run through here.
"""

from __future__ import annotations

import os
import sys

# Commands that work on a database without Defensor's tables (or make them, or migrate first
# themselves, as serve does); every other one is refused until `defensor migrate` has run.
WITHOUT_TABLES = frozenset({
    "help", "version", "check", "migrate", "makemigrations", "showmigrations", "sqlmigrate",
    "squashmigrations", "optimizemigration", "shell", "dbshell", "diffsettings", "collectstatic",
    "findstatic", "compilemessages", "makemessages", "startapp", "startproject", "test", "testserver",
    "runserver", "inspectdb", "sqlflush", "sqlsequencereset", "createcachetable", "sendtestemail", "serve",
})


def _refuse_unready_database(args: list[str]) -> None:
    """A command that reads Defensor's tables on a database never migrated would end in a
    traceback (no such table): say in one line what to run instead, and exit 2. It does not
    migrate by itself: a mistyped DEFENSOR_DATA_DIR would then quietly get a new, empty database
    and the command would act on that."""
    if not args or args[0] in WITHOUT_TABLES or args[0].startswith("-") or {"-h", "--help"} & set(args):
        return
    import django
    from django.core.management import get_commands
    from django.db import DatabaseError

    django.setup()
    if args[0] not in get_commands():
        return  # Django says it is unknown
    from defensor.core.datadir import database_unready

    try:
        unready = database_unready()
    except DatabaseError as error:
        unready = f"The database cannot be opened: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    if unready:
        sys.stderr.write(unready + "\n")
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["restore"]:  # before the settings: they would make a new secret in the new data directory
        from defensor.operations.restore_command import main as restore_main

        sys.exit(restore_main(args[1:]))
    _refuse_unready_database(args)
    execute_from_command_line(["defensor", *args])


if __name__ == "__main__":
    main()
