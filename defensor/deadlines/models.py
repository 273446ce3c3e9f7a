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
    verify = models.BooleanField(default=False)  # the rule's text is not confirmed: "verify with counsel"
    unpublished = models.BooleanField(default=False)  # a year without a published calendar: check by hand
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "rule_id"], name="deadline_once_per_event_rule")]
        indexes = [models.Index(fields=["due_on", "id"], name="deadline_due_order")]

    def __str__(self) -> str:
        return f"{self.rule_id} due {self.due_on.isoformat()} (case {self.case_id})"
