from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensor.access.services import recovery_kit_write
from defensor.accounts import first_login, services
from defensor.core.errors import AlreadyInitialised
from defensor.core.models import Organisation


class Command(BaseCommand):
    help = "Create the organisation and its first administrator (once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", default="Defensor", help="organisation name")
        parser.add_argument("--admin", default="admin", help="login name of the first administrator")
        parser.add_argument("--url", default="http://127.0.0.1:8000/staff/", help="workspace address to print")
        parser.add_argument("--force", action="store_true", help="initialise again although already done")
        parser.add_argument(
            "--if-needed", action="store_true", help="do nothing (and succeed) if already initialised"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_needed"] and Organisation.objects.exists():
            return
        try:
            organisation, admin, password, kit = services.organisation_initialise(
                name=options["organisation"], admin_username=options["admin"], force=options["force"]
            )
        except AlreadyInitialised as error:
            raise CommandError(
                "The organisation is already initialised. Use --force to create another one."
            ) from error
        except services.UsernameTaken as error:
            raise CommandError(f"The login name {options['admin']!r} is already taken.") from error
        if self.stdout.isatty():
            # On a terminal the kit is shown, never written: nothing of it is left on a disk.
            kit_notice = (
                "\nThe RECOVERY KIT follows. Print this screen or copy it onto paper now: it is not kept\n"
                "anywhere. Give its three shares to three trusted people; any two restore everything\n"
                "if every password is lost.\n\n" + kit.text + "\n"
            )
        else:
            kit_path = recovery_kit_write(organisation=organisation, kit=kit)
            kit_notice = (
                f"\nThe RECOVERY KIT is in {kit_path} (outside the data directory).\n"
                "Print it, give its three shares to three trusted people, then delete it in the\n"
                "workspace (Overview). Any two shares restore everything if every password is lost.\n"
            )
        instructions = "\n".join(
            [
                f"Organisation {organisation.name!r} is ready.",
                "",
                "Log in to the team workspace:",
                f"  {options['url']}",
                f"  login name:         {admin.username}",
                f"  one-time password:  {password}",
                "",
                "This password is shown only once. At first login you will set up",
                "two-factor authentication (an authenticator app on your phone) and",
                "choose your own password. Add your team under 'Team' afterwards.",
            ]
        )
        rule = "=" * 72
        if self.stdout.isatty():
            self.stdout.write(f"\n{rule}\n{instructions}\n{kit_notice}{rule}\n")
            return
        note = first_login.write_note(admin.username, instructions + "\n")
        self.stdout.write(
            f"\n{rule}\nOrganisation {organisation.name!r} is ready. How to log in for the first time is in\n"
            f"  {note}\n(readable only by this user; removed when the one-time password is changed)\n"
            f"{kit_notice}{rule}\n"
        )
