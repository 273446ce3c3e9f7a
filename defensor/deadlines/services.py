"""Writes of the deadlines app: the working-day calendar's own table (administrators,
calendar.manage), due dates computed from events and marked met, reminders, calendar feeds.
Every write a person makes is audited in its transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission, require_permission
from defensor.audit.services import log_action
from defensor.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseStage
from defensor.core.models import Organisation
from defensor.deadlines.calendar import WorkingCalendar, calendar_from_database
from defensor.deadlines.counting import due_date
from defensor.deadlines.models import CalendarDay, CalendarFeed, Deadline, PublishedYear, Reminder
from defensor.deadlines.rules import rules, rules_for
from defensor.keys.models import KeyGrant
from defensor.keys.services import require_record_access


@transaction.atomic
def calendar_day_set(*, day: date, working: bool, reason: str, set_by: User) -> CalendarDay:
    """Declare a date a non-working day (or a working one), as a decree the package does not know
    did. Every due date whose counting crosses the day is computed again, in the same transaction."""
    require_permission(set_by, Perm.CALENDAR_MANAGE)
    entry, _ = CalendarDay.objects.update_or_create(
        day=day, defaults={"working": working, "reason": reason.strip(), "added_by": set_by}
    )
    moved = deadlines_recompute_spanning(days=[day])
    log_action(action="calendar.day_set", actor=set_by, target=entry,
               details={"day": day.isoformat(), "working": working, "recomputed": moved})
    return entry


@transaction.atomic
def calendar_day_remove(*, day: date, removed_by: User) -> None:
    """Take a one-off day back out (entered by mistake): the package's calendar applies again."""
    require_permission(removed_by, Perm.CALENDAR_MANAGE)
    deleted, _ = CalendarDay.objects.filter(day=day).delete()
    if not deleted:
        return
    moved = deadlines_recompute_spanning(days=[day])
    log_action(action="calendar.day_removed", actor=removed_by,
               details={"day": day.isoformat(), "recomputed": moved})


@transaction.atomic
def published_year_confirm(*, year: int, confirmed_by: User) -> PublishedYear:
    """An administrator checked that the year's production calendar is published (and entered any
    transfer the package lacks as calendar days): its due dates lose "check by hand"."""
    require_permission(confirmed_by, Perm.CALENDAR_MANAGE)
    entry, _ = PublishedYear.objects.get_or_create(year=year, defaults={"added_by": confirmed_by})
    working = calendar_from_database()
    flagged = CaseEvent.objects.filter(deadlines__unpublished=True).distinct().select_related("case")
    for event in flagged:
        event_deadlines_recompute(event=event, working=working, settle=False)
    log_action(action="calendar.year_published", actor=confirmed_by, target=entry, details={"year": year})
    return entry


def event_deadlines_recompute(
    *, event: CaseEvent, working: WorkingCalendar | None = None, settle: bool = True,
) -> list[Deadline]:
    """The due dates an event starts, under the rule set of its case's kind, computed again (the
    caller's transaction; its audit event records the change of the event). Rows are updated in
    place, so a deadline marked met by hand stays met."""
    from defensor.cases.procedures import procedure_for

    rule_set = procedure_for(event.case.kind).deadline_rules
    working = working or calendar_from_database()
    made = []
    for found in rules_for(rule_set, event.kind) if rule_set else []:
        if not found.in_force_on(event.happened_on):
            continue
        due = due_date(found, event.happened_on, working)
        deadline, _created = Deadline.objects.update_or_create(event=event, rule_id=found.id, defaults={
            "case_id": event.case_id, "claimant_id": event.claimant_id, "rules_version": found.version,
            "due_on": due.due_on, "nominal_on": due.nominal_on, "verify": found.verify,
            "unpublished": bool(due.unpublished_years),
        })
        made.append(deadline)
    Deadline.objects.filter(event=event).exclude(pk__in=[d.pk for d in made]).delete()
    if settle:
        case_deadlines_settle(case_id=event.case_id)
    return made


def case_deadlines_recompute(*, case: Case) -> int:
    """Every due date of a case again (its kind, hence its rule set, changed)."""
    working = calendar_from_database()
    count = sum(len(event_deadlines_recompute(event=event, working=working, settle=False))
                for event in CaseEvent.objects.filter(case=case).select_related("case"))
    Deadline.objects.filter(case=case).exclude(event__case=case).delete()
    case_deadlines_settle(case_id=case.pk)
    return count


def case_deadlines_settle(*, case_id: int) -> None:
    """Which of a case's due dates a later event has met: the claim filed meets the period for
    filing, the appeal lodged the period for appeal. A claimant's period is met by their own event
    or by one of the whole case (a group claim filed for everyone); the case's own periods only by
    events of the whole case. A reply answers one request only (the earliest still waiting). Marks
    made by hand are left as they are."""
    known = rules()
    deadlines = sorted(Deadline.objects.filter(case_id=case_id, met_by__isnull=True).select_related("event"),
                       key=lambda d: (d.event.happened_on, d.pk))
    kinds = {kind for d in deadlines if d.rule_id in known for kind in known[d.rule_id].met_by}
    meeting = list(CaseEvent.objects.filter(case_id=case_id, kind__in=kinds).order_by("happened_on", "id"))
    used: dict[str, set[int]] = {}  # per "met once" rule: the events already answering a due date
    for deadline in deadlines:
        rule = known.get(deadline.rule_id)
        met_by = rule.met_by if rule else ()
        taken = used.setdefault(deadline.rule_id, set())
        first = next((e for e in meeting if e.kind in met_by and e.happened_on >= deadline.event.happened_on
                      and e.claimant_id in {None, deadline.claimant_id} and e.pk not in taken), None)
        if first is not None and rule is not None and rule.met_once:
            taken.add(first.pk)
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


def deadlines_recompute_spanning(*, days: Iterable[date]) -> int:
    """Due dates whose counting crossed one of these days (the day's status changed): every
    deadline from an event before the day and due on it or after. Others cannot move."""
    days = sorted(set(days))
    if not days:
        return 0
    working = calendar_from_database()
    spanning = Q()
    for day in days:
        spanning |= Q(happened_on__lt=day, deadlines__due_on__gte=day)
    events = CaseEvent.objects.filter(spanning).distinct().select_related("case")
    cases = set()
    count = 0
    for event in events:
        count += len(event_deadlines_recompute(event=event, working=working, settle=False))
        cases.add(event.case_id)
    for case_id in cases:
        case_deadlines_settle(case_id=case_id)
    return count


# --- reminders -------------------------------------------------------------------------------------------


def _pending_deadlines(*, today: date, through: date) -> QuerySet[Deadline]:
    """Due dates not met, of cases still going, whose claimant (if any) is still in the claim."""
    return Deadline.objects.filter(
        Q(claimant__isnull=True) | Q(claimant__status__in=OPEN_STATUSES),
        met_on__isnull=True, due_on__gte=today, due_on__lte=through,
        case__erased_at__isnull=True,
    ).exclude(case__stage=CaseStage.CLOSED)


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
    due = (_pending_deadlines(today=today, through=today + timedelta(days=max(levels)))
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
