"""The administrators' page of the working-day calendar (calendar.manage): the one-off days a decree
changed, which years' production calendars are published, and the days off the app counts with,
to compare against the official production calendar. Views parse and hand off to services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib import messages
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, acting_user, staff_view
from defensor.core.views import form_errors_to_messages
from defensor.deadlines.calendar import SATURDAY, WorkingCalendar
from defensor.deadlines.forms import (
    FIRST_YEAR,
    CalendarDayForm,
    CalendarDayRemoveForm,
    PublishedYearForm,
    last_year,
)
from defensor.deadlines.models import CalendarDay, Deadline, PublishedYear
from defensor.deadlines.services import (
    CalendarDayNotEntered,
    calendar_day_remove,
    calendar_day_set,
    published_year_confirm,
)

YEARS_SHOWN = 3  # this year and the next two
PREVIEW_YEARS = 2  # this year and the next


@dataclass(frozen=True)
class YearStatus:
    year: int
    from_package: bool  # the holidays package carries the year's transfers
    confirmed: PublishedYear | None  # an administrator confirmed it (by whom, when)
    flagged: int  # this organisation's due dates in the year that say "check by hand"

    @property
    def published(self) -> bool:
        return self.from_package or self.confirmed is not None


@dataclass(frozen=True)
class PreviewDay:
    """A day the calendar treats unlike an ordinary week: a weekday off, or a weekend day worked."""

    day: date
    working: bool
    one_off: CalendarDay | None  # entered on this page (else: the holidays package)


def _years(*, actor: User, today: date, confirmed: dict[int, PublishedYear]) -> list[YearStatus]:
    """This year and the next two, any later year an administrator confirmed, and any year in
    which a due date of the actor's organisation is flagged (to confirm it once its decree is out)."""
    package = WorkingCalendar()  # without the administrators' table: what the package alone knows
    flagged = dict(
        Deadline.objects.filter(unpublished=True, case__organisation=actor.membership.organisation)
        .annotate(year=ExtractYear("due_on")).values("year").annotate(n=Count("id")).values_list("year", "n")
    )
    shown = {today.year + n for n in range(YEARS_SHOWN)}
    shown |= {year for year in flagged if FIRST_YEAR <= year <= last_year()}
    shown |= {year for year in confirmed if today.year <= year <= last_year()}
    return [YearStatus(year=year, from_package=package.is_published(year), confirmed=confirmed.get(year),
                       flagged=flagged.get(year, 0)) for year in sorted(shown)]


def _preview(*, working: WorkingCalendar, days: dict[date, CalendarDay], year: int) -> list[PreviewDay]:
    """The year's weekdays off (holidays, transferred days off) and working weekend days."""
    found = []
    day = date(year, 1, 1)
    while day.year == year:
        is_working = working.is_working(day)
        if is_working != (day.weekday() < SATURDAY):
            found.append(PreviewDay(day=day, working=is_working, one_off=days.get(day)))
        day += timedelta(days=1)
    return found


def _calendar_page(request: HttpRequest, *, day_form: CalendarDayForm | None = None,
                   status: int = 200) -> HttpResponse:
    actor = acting_user(request)
    today = timezone.localdate()
    days = list(CalendarDay.objects.select_related("added_by").order_by("-day"))
    confirmed = {entry.year: entry for entry in PublishedYear.objects.select_related("added_by")}
    by_day = {entry.day: entry for entry in days}
    # The calendar the due dates are counted on, from the rows just read (as calendar_from_database
    # builds it, without reading both tables again).
    working = WorkingCalendar(overrides={entry.day: entry.working for entry in days}, published=frozenset(confirmed))
    return render(request, "deadlines/calendar.html", {
        "days": days, "day_form": day_form or CalendarDayForm(),
        "years": _years(actor=actor, today=today, confirmed=confirmed),
        "previews": [(year, working.is_published(year), _preview(working=working, days=by_day, year=year))
                    for year in range(today.year, today.year + PREVIEW_YEARS)],
    }, status=status)


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


@staff_view(Perm.CALENDAR_MANAGE)
@require_http_methods(["GET", "POST"])
def calendar_view(request: HttpRequest) -> HttpResponse:
    """The page; a POST adds a one-off day or changes one already entered."""
    if request.method != "POST":
        return _calendar_page(request)
    form = CalendarDayForm(request.POST)
    if not form.is_valid():
        return _calendar_page(request, day_form=form, status=400)
    data = form.cleaned_data
    calendar_day_set(day=data["day"], working=data["working"], reason=data["reason"], set_by=acting_user(request))
    if data["working"]:
        text = _("%(day)s is now a working day; the due dates counted across it were computed again.")
    else:
        text = _("%(day)s is now a non-working day; the due dates counted across it were computed again.")
    messages.success(request, text % {"day": _day(data["day"])})
    return redirect("staff:calendar")


@staff_view(Perm.CALENDAR_MANAGE)
@require_POST
def calendar_remove_view(request: HttpRequest) -> HttpResponse:
    """Take a one-off day back out: the holidays package decides that date again."""
    form = CalendarDayRemoveForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _calendar_page(request, status=400)
    day = form.cleaned_data["day"]
    try:
        calendar_day_remove(day=day, removed_by=acting_user(request))
    except CalendarDayNotEntered as error:
        messages.error(request, str(error.user_message))
        return _calendar_page(request, status=400)
    messages.success(request, _("%(day)s was taken out of the table: the standard calendar applies to it again; "
                                "the due dates counted across it were computed again.") % {"day": _day(day)})
    return redirect("staff:calendar")


@staff_view(Perm.CALENDAR_MANAGE)
@require_POST
def calendar_year_view(request: HttpRequest) -> HttpResponse:
    """Confirm that a year's production calendar is published: its due dates lose "check by hand"."""
    form = PublishedYearForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _calendar_page(request, status=400)
    year = form.cleaned_data["year"]
    _entry, created = published_year_confirm(year=year, confirmed_by=acting_user(request))
    if not created:
        messages.info(request, _("The calendar of %(year)d was already confirmed as published.") % {"year": year})
        return redirect("staff:calendar")
    messages.success(request, _("The calendar of %(year)d is confirmed as published: its due dates no longer say "
                                "“check by hand”.") % {"year": year})
    return redirect("staff:calendar")

