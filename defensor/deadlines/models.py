"""The calendar's own data: what the holidays package cannot know (a day off declared by a one-off
decree, a working day moved by one) and which years' production calendars the government has
published. Edited by administrators (calendar.manage); every change audited."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """A date whose status the decree changed: a non-working day, or a working one (a Saturday
    made a working day). Overrides the holidays package."""

    day = models.DateField(unique=True)
    working = models.BooleanField(default=False)
    reason = models.CharField(_("reason"), max_length=200)  # the decree, not personal data
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {'working' if self.working else 'non-working'}"


class PublishedYear(models.Model):
    """A year whose production calendar (transfers of days off) an administrator confirmed as
    published, beyond those the holidays package already carries."""

    year = models.PositiveSmallIntegerField(unique=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.year)


class Deadline(models.Model):
    """A due date computed from one event by one rule: for the case, or for one claimant (from
    their own events). Recomputed whenever the event's date changes; never typed by hand."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="deadlines")
    claimant = models.ForeignKey("cases.Claimant", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="deadlines")
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.CASCADE, related_name="deadlines")
    rule_id = models.CharField(max_length=64)
    rules_version = models.PositiveIntegerField()
    due_on = models.DateField()
    nominal_on = models.DateField()  # before moving off a non-working day
    unpublished = models.BooleanField(default=False)  # a year without a published calendar: check by hand
    computed_at = models.DateTimeField(auto_now=True)
    # Met: by a later event its rule names (the claim filed, the appeal lodged: met_event), or marked
    # by hand (met_by). A met deadline leaves the overview, the feed and the reminders.
    met_on = models.DateField(null=True, blank=True)
    met_event = models.ForeignKey("cases.CaseEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    met_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "rule_id"], name="deadline_once_per_event_rule")]
        indexes = [
            models.Index(fields=["due_on", "id"], name="deadline_due_order"),
            # The pending ones by date (the overview, the feed, the reminders): "met_on IS NULL" is
            # an equality on the index, so the few hundred pending rows are read, not every row of
            # the years of met ones, and SQLite (without statistics) starts from it rather than
            # from every case of the organisation (bench.cases: home_page_ms, feed_ms_100k).
            models.Index(fields=["met_on", "due_on"], name="deadline_pending_due"),
            # A claimant's next due date on the roster: one probe per claimant.
            models.Index(fields=["claimant", "due_on"], name="deadline_claimant_due"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} due {self.due_on.isoformat()} (case {self.case_id})"


class Reminder(models.Model):
    """"A due date is N days away", for one team member: made by the daily background task, shown
    on their overview until they dismiss it. Names nothing but the case's number and the rule."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    rule_id = models.CharField(max_length=64)
    due_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "case", "rule_id", "due_on", "days_before"],
                                               name="reminder_once")]
        indexes = [models.Index(fields=["user", "seen_at"], name="reminder_unseen")]

    def __str__(self) -> str:
        return f"{self.rule_id} due {self.due_on.isoformat()} (case {self.case_id}), {self.days_before} days"


class CalendarFeed(models.Model):
    """A team member's iCalendar feed of due dates: the address carries a random token, of which only
    a hash is kept (a copy of the database does not open anyone's feed)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"feed of user {self.user_id}"
