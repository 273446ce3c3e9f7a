from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensor.access.services import recovery_private_key, rotate_index_key, rotate_intake_key, rotate_record_key
from defensor.core.models import Organisation
from defensor.keys.models import KeyKind, KeyMaterial
from defensor.keys.recovery import THRESHOLD, InvalidShares, read_shares


class Command(BaseCommand):
    help = (
        "Key maintenance. `keys rotate --records|--intake|--index` re-encrypts under new keys; it needs "
        f"{THRESHOLD} recovery shares on standard input, one per line."
    )

    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["rotate"])
        parser.add_argument("--records", action="store_true", help="every person and case record key")
        parser.add_argument("--record", metavar="KEY_ID", help="one record key")
        parser.add_argument("--intake", action="store_true", help="the intake key pair (new submissions)")
        parser.add_argument("--index", action="store_true", help="the blind-index key (indexes recomputed)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not any(options[k] for k in ("records", "record", "intake", "index")):
            raise CommandError("Say what to rotate: --records, --record KEY_ID, --intake or --index.")
        organisation = Organisation.objects.order_by("pk").first()
        if organisation is None:
            raise CommandError("Run `defensor init` first.")
        stream = options.get("stdin") or sys.stdin
        try:
            recovery_key = recovery_private_key(
                organisation=organisation, shares=read_shares(stream)
            )
        except InvalidShares as error:
            raise CommandError("These shares do not restore this organisation's recovery key.") from error
        rotated = 0
        records = KeyMaterial.objects.filter(
            organisation=organisation, kind=KeyKind.RECORD, destroyed_at__isnull=True, retired_at__isnull=True
        )
        if options["record"]:
            records = records.filter(pk=options["record"])
            if not records.exists():
                raise CommandError("No such record key.")
        if options["records"] or options["record"]:
            for material in list(records):
                rotate_record_key(material=material, recovery_key=recovery_key)
                rotated += 1
        if options["intake"]:
            rotate_intake_key(organisation=organisation, recovery_key=recovery_key)
            rotated += 1
        if options["index"]:
            rotate_index_key(organisation=organisation, recovery_key=recovery_key)
            rotated += 1
        self.stdout.write(f"Rotated {rotated} keys.")
