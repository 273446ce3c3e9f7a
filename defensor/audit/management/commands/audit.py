from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensor.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks that no event was changed, removed or reordered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])
        parser.add_argument(
            "--anchor",
            metavar="SEQ:HASH",
            help="a sequence number and hash printed by an earlier check; fail if the chain differs there",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = None
        if options["anchor"]:
            seq, _, digest = options["anchor"].partition(":")
            if not seq.isdigit() or len(digest) != 64:
                raise CommandError("--anchor takes SEQ:HASH as printed by `defensor audit verify`.")
            anchor = (int(seq), digest)
        report = verify_chain(anchor=anchor)
        if not report.ok:
            raise CommandError(
                f"Audit log is NOT intact: event #{report.problem_seq}: {report.problem} "
                f"({report.checked} events before it are intact)."
            )
        self.stdout.write(
            f"Audit log intact: {report.checked} events.\n"
            f"Anchor (keep it outside this server, pass it to a later check with --anchor): "
            f"{report.checked}:{report.head_hash}"
        )
