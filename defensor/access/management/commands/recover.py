from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensor.access.services import recover_access
from defensor.accounts.models import Role, User
from defensor.accounts.services import generate_one_time_password
from defensor.keys.recovery import THRESHOLD, InvalidShares, read_shares


class Command(BaseCommand):
    help = (
        f"Restore access with {THRESHOLD} shares of the recovery kit (read from standard input, one per "
        "line): the named administrator gets a new one-time password and every key the recovery key holds."
    )

    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admin", required=True, help="login name of the administrator to restore")

    def handle(self, *args: Any, **options: Any) -> None:
        admin = User.objects.filter(username=options["admin"], membership__role=Role.ADMIN).first()
        if admin is None:
            raise CommandError(f"No administrator called {options['admin']!r}.")
        stream = options.get("stdin") or sys.stdin
        shares = read_shares(stream)
        if len(shares) < THRESHOLD:
            raise CommandError(f"{THRESHOLD} shares are needed.")
        password = generate_one_time_password()
        try:
            restored = recover_access(
                organisation=admin.membership.organisation, shares=shares, admin=admin, password=password
            )
        except InvalidShares as error:
            raise CommandError("These shares do not restore this organisation's recovery key.") from error
        self.stdout.write(
            f"Restored {restored} keys for {admin.username}.\n"
            f"One-time password: {password}\n"
            "Log in with it; you will be asked to choose a new password."
        )
