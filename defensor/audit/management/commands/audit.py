from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensor.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks that no event was changed, removed or reordered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit log is NOT intact: event #{report.problem_seq}: {report.problem} "
                f"({report.checked} events before it are intact)."
            )
        self.stdout.write(f"Audit log intact: {report.checked} events. Head hash: {report.head_hash}")
