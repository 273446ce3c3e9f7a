from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensor.core.errors import DefensorError
from defensor.keys import age, recovery
from defensor.operations.backup import backup_create, backups_prune
from defensor.operations.drill import backup_verify


def read_identities(identity_file: str | None, stream: Any) -> list[str]:
    """An age identity file's identities, or the recovery key from THRESHOLD shares on ``stream``."""
    if identity_file:
        found = age.identities_in(Path(identity_file).read_text(encoding="utf-8"))
        if not found:
            raise CommandError(f"{identity_file} holds no age identity (AGE-SECRET-KEY-1…).")
        return found
    try:
        return [age.identity(recovery.combine_unchecked(recovery.read_shares(stream)))]
    except recovery.InvalidShares as error:
        raise CommandError(str(error.user_message)) from error


class Command(BaseCommand):
    help = (
        "Make an encrypted backup (age, to the recovery key and DEFENSOR_BACKUP_RECIPIENTS) outside the data "
        "directory; `backup verify ARCHIVE` restores it into a temporary place and checks it (the drill)."
    )

    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["verify"], help="verify: run the restore drill")
        parser.add_argument("archive", nargs="?", help="the archive to verify")
        parser.add_argument("--to", help="folder for the archive (default DEFENSOR_BACKUP_DIR)")
        parser.add_argument("--identity", help="verify with an age identity file instead of recovery shares")
        parser.add_argument("--keep", type=int, help="then keep only the newest N archives in that folder")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(options)
            return
        try:
            made = backup_create(to=options["to"], progress=sys.stderr)
        except DefensorError as error:
            raise CommandError(f"No backup made: {error.user_message}") from error
        self.stdout.write(
            f"Backup written: {made.path} ({made.size / 1e6:.1f} MB, {made.members} parts)\n"
            f"SHA-256: {made.sha256}\n"
            "It opens with two recovery shares (defensor restore) or an offline recipient's identity."
        )
        keep = options["keep"] if options["keep"] is not None else None
        if keep:
            removed = backups_prune(directory=made.path.parent, keep=keep)
            if removed:
                self.stdout.write(f"Removed {len(removed)} older archives (kept {keep}).")
        elif not options["to"] and settings.DEFENSOR_BACKUP_KEEP:
            self.stdout.write(f"The worker keeps the newest {settings.DEFENSOR_BACKUP_KEEP} archives there.")

    def _verify(self, options: dict[str, Any]) -> None:
        if not options["archive"]:
            raise CommandError("Give the archive to verify: defensor backup verify ARCHIVE")
        path = Path(options["archive"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        identities = read_identities(options["identity"], options.get("stdin") or sys.stdin)
        drill = backup_verify(archive_path=path, identities=identities)
        report = drill.report
        if not drill.ok:
            why = drill.problem or "; ".join(report.get("problems", []))
            raise CommandError(f"Restore drill FAILED for {path.name}: {why}")
        self.stdout.write(
            f"Restore drill passed for {path.name}: {report.get('tables_checked', 0)} tables match the manifest, "
            f"migrations up to date, {report.get('keys_opened', 0)} keys and {report.get('records_opened', 0)} "
            "requests opened with the recovery key."
        )
        for problem in report.get("problems", []):
            self.stdout.write(f"  ! {problem}")
