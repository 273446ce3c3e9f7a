"""The ``defensor`` command: Django's management commands with Defensor's settings.

``defensor init``, ``defensor serve``, ``defensor createuser``, ``defensor audit verify`` and
every standard command (``defensor migrate``) run through here.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["defensor", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
