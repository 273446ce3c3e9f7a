"""``defensor deadlines compute RULE_ID EVENT_DATE``: the due date, as the pages compute it.

The last line is the date alone (ISO), for scripts; the lines before say which rule, from when,
and anything to check by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensor.deadlines.calendar import calendar_from_database
from defensor.deadlines.counting import due_date
from defensor.deadlines.rules import RuleError, rule


class Command(BaseCommand):
    help = "Procedural deadlines: compute RULE_ID EVENT_DATE prints the due date on its last line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        compute = sub.add_parser("compute", help="the due date of a rule from an event's date (YYYY-MM-DD)")
        compute.add_argument("rule_id")
        compute.add_argument("event_date")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            chosen = rule(options["rule_id"])
            event_on = date.fromisoformat(options["event_date"])
        except (RuleError, ValueError) as error:
            raise CommandError(str(error)) from None
        due = due_date(chosen, event_on, calendar_from_database())
        self.stdout.write(f"{chosen.id}: {chosen.citation}; {chosen.length} {chosen.unit} ({chosen.counting}) "
                          f"from {event_on.isoformat()}")
        if due.moved:
            self.stdout.write(f"{due.nominal_on.isoformat()} is not a working day: moved to the next working day")
        if chosen.verify:
            self.stdout.write("verify with counsel: the current text of this rule is not confirmed")
        if not chosen.in_force_on(event_on):
            self.stdout.write("the rule was not in force on the event's date")
        for year in due.unpublished_years:
            self.stdout.write(f"the working-day calendar of {year} is not published yet: check the date by hand")
        self.stdout.write(due.due_on.isoformat())
