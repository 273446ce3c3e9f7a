"""The iCalendar feed of a team member's due dates (RFC 5545, written by the `icalendar` package).
Titles say "Case 2022-017: appeal ..." and nothing about the people in it: calendar apps sync
to phones and cloud accounts outside our protection."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from icalendar import Alarm, Calendar, Event

from defensor.accounts.models import User
from defensor.deadlines.selectors import DueGroup, due_groups

FEED_PAST_DAYS = 60  # overdue ones stay visible for two months, then only on the overview
FEED_AHEAD_DAYS = 400
FEED_ROWS = 2000


def feed_summary(group: DueGroup) -> str:
    summary = gettext("Case %(number)s: %(title)s") % {"number": group.case_number, "title": group.title}
    if group.verify:
        summary += " — " + gettext("verify with counsel")
    return summary


def feed_description(group: DueGroup) -> str:
    lines = [group.citation]
    if group.claimants:
        lines.append(ngettext("%(n)d claimant", "%(n)d claimants", group.claimants) % {"n": group.claimants})
    if group.unpublished:
        lines.append(gettext("The calendar of this year is not published: check the date by hand."))
    if group.restorable:
        lines.append(gettext("If missed, the court may restore it on a motion with a valid reason."))
    return "\n".join(line for line in lines if line)


def deadline_feed(*, user: User, case_url: str, now: datetime | None = None) -> bytes:
    """``case_url``: the case page's address with ``0`` for its id (built by the view)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with translation.override(user.language):
        groups = due_groups(actor=user, since=today - timedelta(days=FEED_PAST_DAYS),
                            through=today + timedelta(days=FEED_AHEAD_DAYS), language=user.language,
                            limit=FEED_ROWS)
        calendar = Calendar()
        calendar.add("prodid", "-//Defensor//deadlines//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", gettext("Defensor: due dates"))
        for group in groups:
            calendar.add_component(_event(group, case_url=case_url, stamp=now, today=today))
        return bytes(calendar.to_ical())


def _event(group: DueGroup, *, case_url: str, stamp: datetime, today: date) -> Event:
    event = Event()
    # Stable while the due date stands: a moved date is a new event, the old one disappears.
    key = f"{group.case_id}/{group.rule_id}/{group.due_on.isoformat()}"
    event.add("uid", hashlib.sha256(key.encode()).hexdigest()[:32] + "@defensor")
    event.add("dtstamp", stamp)
    event.add("dtstart", group.due_on)
    event.add("dtend", group.due_on + timedelta(days=1))
    event.add("summary", feed_summary(group))
    event.add("description", feed_description(group))
    event.add("url", case_url.replace("/0/", f"/{group.case_id}/"))
    event.add("transp", "TRANSPARENT")
    if group.due_on >= today and settings.DEFENSOR_REMIND_DAYS:
        # One alarm, at the earliest reminder step: the overview and the daily reminders do the
        # rest (every alarm repeats the title, and a feed of hundreds of dates must stay quick).
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", feed_summary(group))
        alarm.add("trigger", timedelta(days=-max(settings.DEFENSOR_REMIND_DAYS), hours=settings.DEFENSOR_REMIND_HOUR))
        event.add_component(alarm)
    return event
