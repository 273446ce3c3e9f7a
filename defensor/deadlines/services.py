"""Writes of the deadlines app: the working-day calendar's own table (administrators,
calendar.manage), due dates computed from events and marked met, reminders, calendar feeds.
Every write a person makes is audited in its transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext

from defensor.access.services import require_record_access
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import Case, CaseEvent
from defensor.core.errors import DefensorError
from defensor.core.models import Organisation
from defensor.deadlines.calendar import WorkingCalendar, calendar_from_database
from defensor.deadlines.counting import due_date
from defensor.deadlines.models import CalendarDay, CalendarFeed, Deadline, PublishedYear, Reminder
from defensor.deadlines.rules import Rule, rules, rules_for
from defensor.deadlines.selectors import pending_deadlines
from defensor.keys.models import KeyGrant


class CalendarDayNotEntered(DefensorError):
    """No one-off day was entered for the date: there is nothing to take out."""

    def __init__(self, day: date) -> None:
        super().__init__(lazy(_not_entered, str)(day))


def _not_entered(day: date) -> str:
    return gettext("No one-off day was entered for %(day)s.") % {"day": day.strftime("%d.%m.%Y")}


@transaction.atomic
def calendar_day_set(*, day: date, working: bool, reason: str, set_by: User) -> CalendarDay:
    """Declare a date a non-working day (or a working one), as a decree the package does not know
    did. Every due date whose counting crosses the day is computed again, in the same transaction."""
    require_permission(set_by, Perm.CALENDAR_MANAGE)
    entry, _ = CalendarDay.objects.update_or_create(
        day=day, defaults={"working": working, "reason": reason.strip(), "added_by": set_by}
    )
    moved = deadlines_recompute_spanning(day=day)
    log_action(action="calendar.day_set", actor=set_by, target=entry,
               details={"day": day.isoformat(), "working": working, "recomputed": moved})
    return entry


@transaction.atomic
def calendar_day_remove(*, day: date, removed_by: User) -> None:
    """Take a one-off day back out (entered by mistake): the package's calendar applies again."""
    require_permission(removed_by, Perm.CALENDAR_MANAGE)
    deleted, _ = CalendarDay.objects.filter(day=day).delete()
    if not deleted:
        raise CalendarDayNotEntered(day)
    moved = deadlines_recompute_spanning(day=day)
    log_action(action="calendar.day_removed", actor=removed_by,
               details={"day": day.isoformat(), "recomputed": moved})


@transaction.atomic
def published_year_confirm(*, year: int, confirmed_by: User) -> tuple[PublishedYear, bool]:
    """An administrator checked that the year's production calendar is published (and entered any
    transfer the package lacks as calendar days): its due dates lose "check by hand". Returns the
    entry and whether it is new (a year confirmed before changes nothing and is not logged again)."""
    require_permission(confirmed_by, Perm.CALENDAR_MANAGE)
    entry, created = PublishedYear.objects.get_or_create(year=year, defaults={"added_by": confirmed_by})
    if not created:
        return entry, False
    # A calendar change moves due dates only, never which event meets which (that follows the
    # events' dates and kinds): nothing to settle.
    _events_recompute(CaseEvent.objects.filter(deadlines__unpublished=True).distinct(), settle=False)
    log_action(action="calendar.year_published", actor=confirmed_by, target=entry, details={"year": year})
    return entry, True


def rules_started(*, rule_set: str, event: CaseEvent) -> list[Rule]:
    """The rules of the rule set that the event starts and that were in force on its day."""
    if not rule_set:
        return []
    return [found for found in rules_for(rule_set, event.kind) if found.in_force_on(event.happened_on)]


def deadline_values(rule: Rule, event: CaseEvent, working: WorkingCalendar) -> dict[str, object]:
    """The fields of the Deadline row ``rule`` makes of ``event``, counted on ``working`` (pure:
    bench.cases writes the same rows in bulk)."""
    due = due_date(rule, event.happened_on, working)
    return {"case_id": event.case_id, "claimant_id": event.claimant_id, "rules_version": rule.version,
            "due_on": due.due_on, "nominal_on": due.nominal_on, "unpublished": bool(due.unpublished_years)}


@cache
def _meeting_kinds() -> frozenset[str]:
    """The event kinds that meet some rule's period."""
    return frozenset(kind for found in rules().values() for kind in found.met_by)


def event_deadlines_recompute(
    *, event: CaseEvent, working: WorkingCalendar | None = None, settle: bool = True,
) -> list[Deadline]:
    """The due dates an event starts, under the rule set of its case's kind, computed again (the
    caller's transaction; its audit event records the change of the event). Rows are updated in
    place, so a deadline marked met by hand stays met."""
    from defensor.cases.procedures import procedure_for

    started = rules_started(rule_set=procedure_for(event.case.kind).deadline_rules, event=event)
    made = []
    if started:
        working = working or calendar_from_database()
        for found in started:
            deadline, _created = Deadline.objects.update_or_create(
                event=event, rule_id=found.id, defaults=deadline_values(found, event, working))
            made.append(deadline)
    removed, _ = Deadline.objects.filter(event=event).exclude(pk__in=[d.pk for d in made]).delete()
    # An event that starts no period, had none, and meets none (a conversation, a note) leaves
    # every due date of its case as it was.
    if settle and (made or removed or event.kind in _meeting_kinds()):
        case_deadlines_settle(case_id=event.case_id)
    return made


def _events_recompute(events: QuerySet[CaseEvent], *, settle: bool) -> int:
    """The due dates of these events computed again on one reading of the calendar, then (if
    ``settle``) which of them are met, once per case. How many rows were computed."""
    found = list(events.select_related("case"))
    if not found:
        return 0
    working = calendar_from_database()
    count = sum(len(event_deadlines_recompute(event=event, working=working, settle=False)) for event in found)
    if settle:
        for case_id in sorted({event.case_id for event in found}):
            case_deadlines_settle(case_id=case_id)
    return count


def case_deadlines_recompute(*, case: Case) -> int:
    """Every due date of a case again (its kind, hence its rule set, changed)."""
    return _events_recompute(CaseEvent.objects.filter(case=case), settle=True)


def meeting_events(deadlines: Iterable[Deadline], events: Iterable[CaseEvent]) -> dict[tuple[int, str], CaseEvent]:
    """Which event meets each due date, by (event id, rule id) of the due date (pure: bench.cases
    marks its rows with it). ``deadlines``: those not marked by hand, each with its event; ``events``:
    the case's events. A claimant's period is met by their own event or by one of the whole case;
    the case's periods only by events of the whole case; the first such event on or after the day
    that started the period, and, under a "met once" rule, one not already answering an earlier
    due date (a reply answers the earliest request still waiting)."""
    known = rules()
    # Earliest start first, then the oldest row (rows not saved yet, pk None, keep the order given).
    ordered = sorted(deadlines, key=lambda d: (d.event.happened_on, d.pk or 0))
    kinds = {kind for d in ordered if d.rule_id in known for kind in known[d.rule_id].met_by}
    meeting = sorted((e for e in events if e.kind in kinds), key=lambda e: (e.happened_on, e.pk))
    used: dict[str, set[int]] = {}  # per "met once" rule: the events already answering a due date
    found: dict[tuple[int, str], CaseEvent] = {}
    for deadline in ordered:
        rule = known.get(deadline.rule_id)
        if rule is None:
            continue
        taken = used.setdefault(rule.id, set())
        first = next((e for e in meeting if e.kind in rule.met_by and e.happened_on >= deadline.event.happened_on
                      and e.claimant_id in {None, deadline.claimant_id} and e.pk not in taken), None)
        if first is not None:
            found[deadline.event_id, deadline.rule_id] = first
            if rule.met_once:
                taken.add(first.pk)
    return found


def case_deadlines_settle(*, case_id: int) -> None:
    """Which of a case's due dates a later event has met: the claim filed meets the period for
    filing, the appeal lodged the period for appeal (see meeting_events). Marks made by hand are
    left as they are."""
    known = rules()
    deadlines = list(Deadline.objects.filter(case_id=case_id, met_by__isnull=True).select_related("event"))
    kinds = {kind for d in deadlines if d.rule_id in known for kind in known[d.rule_id].met_by}
    met = meeting_events(deadlines, CaseEvent.objects.filter(case_id=case_id, kind__in=kinds))
    for deadline in deadlines:
        first = met.get((deadline.event_id, deadline.rule_id))
        met_on, met_event_id = (first.happened_on, first.pk) if first is not None else (None, None)
        if (deadline.met_on, deadline.met_event_id) != (met_on, met_event_id):
            Deadline.objects.filter(pk=deadline.pk).update(met_on=met_on, met_event_id=met_event_id)


@transaction.atomic
def deadline_mark_met(*, deadline: Deadline, marked_by: User, met_on: date) -> Deadline:
    """Mark a due date met by hand (filed by post, lodged through another lawyer: no event here says
    so). It leaves the overview, the feed and the reminders."""
    require_permission(marked_by, Perm.CASES_WORK)
    require_record_access(user=marked_by, material=deadline.case.data_key)
    locked = Deadline.objects.select_for_update().get(pk=deadline.pk)
    locked.met_on, locked.met_by, locked.met_event = met_on, marked_by, None
    locked.save(update_fields=["met_on", "met_by", "met_event"])
    log_action(action="deadline.met", actor=marked_by, target=locked.case,
               details={"deadline": locked.pk, "rule": locked.rule_id, "met_on": met_on.isoformat()})
    return locked


@transaction.atomic
def deadline_reopen(*, deadline: Deadline, reopened_by: User) -> Deadline:
    """Take back a mark made by hand: the due date is pending again (unless an event meets it)."""
    require_permission(reopened_by, Perm.CASES_WORK)
    require_record_access(user=reopened_by, material=deadline.case.data_key)
    locked = Deadline.objects.select_for_update().get(pk=deadline.pk)
    locked.met_on, locked.met_by, locked.met_event = None, None, None
    locked.save(update_fields=["met_on", "met_by", "met_event"])
    case_deadlines_settle(case_id=locked.case_id)
    log_action(action="deadline.reopened", actor=reopened_by, target=locked.case,
               details={"deadline": locked.pk, "rule": locked.rule_id})
    return locked


def deadlines_recompute_spanning(*, day: date) -> int:
    """Due dates whose counting crossed the day (its status changed): every deadline from an event
    before the day and due on it or after. Others cannot move, and which event meets which due
    date does not change (see published_year_confirm): nothing to settle."""
    spanning = CaseEvent.objects.filter(happened_on__lt=day, deadlines__due_on__gte=day).distinct()
    return _events_recompute(spanning, settle=False)


# --- reminders -------------------------------------------------------------------------------------------


def _reminder_level(days_left: int, levels: Sequence[int]) -> int:
    """The nearest "N days before" a due date ``days_left`` away has reached."""
    return min(level for level in levels if days_left <= level)


def _case_workers(cases: Iterable[Case]) -> dict[int, list[User]]:
    """Whom each case's reminders go to: its responsible lawyer while they hold the case, else
    everyone who holds it and works on cases (a due date must never be reminded to no one)."""
    by_key: dict[object, list[Case]] = {}
    for case in cases:
        by_key.setdefault(case.data_key_id, []).append(case)
    holders: dict[object, list[User]] = {}
    grants = KeyGrant.objects.filter(material_id__in=list(by_key), wrapped__isnull=False, for_recovery=False,
                                     user__is_active=True).select_related("user__membership")
    for grant in grants:
        user = grant.user
        if user is not None and has_permission(user, Perm.CASES_WORK):
            holders.setdefault(grant.material_id, []).append(user)
    found: dict[int, list[User]] = {}
    for key, keyed in by_key.items():
        for case in keyed:
            everyone = sorted(holders.get(key, []), key=lambda user: user.pk)
            lead = [user for user in everyone if user.pk == case.lead_id]
            found[case.pk] = lead or everyone
    return found


@transaction.atomic
def deadline_reminders_send(*, today: date) -> int:
    """Remind whoever answers for each pending due date that it is DEFENSOR_REMIND_DAYS away (each
    "N days before" once; a day the server was down is caught up at the nearest one). A reminder
    names the case's number and the rule, never a person; the e-mail, if any, not even that."""
    levels = settings.DEFENSOR_REMIND_DAYS
    if not levels:
        return 0
    due = (pending_deadlines().filter(due_on__gte=today, due_on__lte=today + timedelta(days=max(levels)))
           .values_list("case_id", "rule_id", "due_on").distinct())
    wanted = {(case_id, rule_id, due_on, _reminder_level((due_on - today).days, levels))
              for case_id, rule_id, due_on in due}
    if not wanted:
        return 0
    cases = Case.objects.in_bulk({case_id for case_id, *_rest in wanted})
    workers = _case_workers(cases.values())
    made: list[Reminder] = []
    for case_id, rule_id, due_on, level in sorted(wanted, key=lambda w: (w[2], w[0], w[1])):
        for user in workers.get(case_id, []):
            reminder, created = Reminder.objects.get_or_create(
                user=user, case_id=case_id, rule_id=rule_id, due_on=due_on, days_before=level)
            if created:
                made.append(reminder)
    per_organisation: dict[int, int] = {}
    for reminder in made:
        organisation_id = cases[reminder.case_id].organisation_id
        per_organisation[organisation_id] = per_organisation.get(organisation_id, 0) + 1
    for organisation in Organisation.objects.filter(pk__in=per_organisation):
        log_action(action="deadline.reminders_sent", organisation=organisation,
                   details={"reminders": per_organisation[organisation.pk]})
    users = {reminder.user_id for reminder in made}
    if users and settings.EMAIL_HOST:
        transaction.on_commit(lambda: _reminder_mail(sorted(users)))
    return len(made)


def _reminder_mail(user_ids: list[int]) -> None:
    """One short message per person: a due date is near, sign in. Nothing else (mail servers and
    mailboxes are outside our protection)."""
    for user in User.objects.filter(pk__in=user_ids, is_active=True).exclude(email=""):
        with translation.override(user.language):
            send_mail(subject=gettext("Defensor: a due date is near"),
                      message=gettext("A due date in one of your cases is near. Sign in to Defensor to see it."),
                      from_email=None, recipient_list=[user.email], fail_silently=True)


@transaction.atomic
def reminder_dismiss(*, reminder_id: int, user: User) -> bool:
    """The reminder was seen: it leaves the overview (the due date itself stays until met)."""
    return bool(Reminder.objects.filter(pk=reminder_id, user=user, seen_at__isnull=True)
                .update(seen_at=timezone.now()))


# --- the calendar feed -----------------------------------------------------------------------------------


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_issue(*, user: User) -> str:
    """A new feed address for the user (the old one stops working). The token is returned once,
    to be shown once; only its hash is kept."""
    require_permission(user, Perm.CASES_WORK)
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=user, defaults={"token_hash": feed_token_hash(token)})
    log_action(action="feed.issued", actor=user, target=user)
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> None:
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    if deleted:
        log_action(action="feed.revoked", actor=user, target=user)
