from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensor.accounts import services
from defensor.accounts.models import Role
from defensor.core.models import Organisation


class Command(BaseCommand):
    help = "Create a staff account with a one-time password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--language", default="ru", choices=["ru", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.order_by("pk").first()
        if organisation is None:
            raise CommandError("Run `defensor init` first.")
        try:
            user, password = services.user_create(
                organisation=organisation,
                username=options["username"],
                role=Role(options["role"]),
                language=options["language"],
                created_by=None,
            )
        except services.UsernameTaken as error:
            raise CommandError(f"The login name {options['username']!r} is already taken.") from error
        self.stdout.write(f"Created {user.username} ({options['role']}). One-time password: {password}")
