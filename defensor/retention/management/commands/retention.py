"""``defensor retention [--dry-run] [--on YYYY-MM-DD]``: erase what each organisation's retention
policy says is due (what the worker does every night), or with ``--dry-run`` only list it.

Each line names a record by kind and id with its dates, never its content. Exit 1 when a record
could not be erased (each is audited as ``retention.failed``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from defensor.core.models import Organisation
from defensor.retention.selectors import retention_due
from defensor.retention.services import retention_run


class Command(BaseCommand):
    help = "Erase what the retention policy says is due today (--dry-run: only list it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would be erased; change nothing")
        parser.add_argument("--on", help="as if today were this day (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = date.fromisoformat(options["on"]) if options["on"] else timezone.localdate()
        except ValueError:
            raise CommandError("--on takes a date as YYYY-MM-DD") from None
        failed = 0
        for organisation in Organisation.objects.order_by("pk"):
            if options["dry_run"]:
                due = retention_due(organisation=organisation, on=on)
                self.stdout.write(f"organisation {organisation.pk}: {len(due)} due on {on.isoformat()}")
                for item in due:
                    self.stdout.write(f"  {item.kind.value} {item.id} since {item.since.isoformat()} "
                                      f"due {item.due_on.isoformat()}")
                continue
            report = retention_run(organisation=organisation, on=on)
            self.stdout.write(
                f"organisation {organisation.pk}: {len(report.erased)} erased on {on.isoformat()} "
                f"(spam {report.count_of('spam')}, rejected {report.count_of('rejected')}, "
                f"cases {report.count_of('case')}, people {report.people}), {len(report.failed)} failed"
            )
            for item, error in report.failed:
                self.stdout.write(f"  not erased: {item.kind.value} {item.id} ({error})")
            failed += len(report.failed)
        if failed:
            raise CommandError(f"{failed} records could not be erased; see the lines above and the audit log")
