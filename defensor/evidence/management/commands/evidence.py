"""``defensor evidence verify``: every item's chain of custody and blob, checked without keys.

Each item's status and flags against its chain, its custody events against the audit log (whose
own chain is checked too), each case's inventory numbers for a gap and the items the audit log,
timestamps and bundles name for one deleted (evidence.verify); every stored trusted timestamp
(evidence.timestamps) and every court bundle's sealed file (evidence.bundle). Prints one line per
problem (ids and codes only: never a name or a hash of an original) and exits 1; prints nothing
and exits 0 when all is intact.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from defensor.evidence.bundle import bundles_verify
from defensor.evidence.services import custody_verify
from defensor.evidence.timestamps import timestamps_verify


class Command(BaseCommand):
    help = "Evidence locker: verify the chains of custody and the stored files."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every item's custody chain, blob, status and flags against the chain "
                                 "and the audit log, every case's numbering, every trusted timestamp and "
                                 "bundle; exit 1 on any problem")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "verify":
            raise CommandError("unknown action")
        problems = custody_verify()
        for problem in problems:
            self.stdout.write(str(problem))
        stamps = timestamps_verify()  # every stored trusted timestamp against the chains as they are now
        for line in stamps:
            self.stdout.write(line)
        bundles = bundles_verify()  # court bundles' sealed files
        for line in bundles:
            self.stdout.write(line)
        if problems or stamps or bundles:
            raise SystemExit(1)
