"""The reports pages: the report for a period (counted in the reader's session, shown only after
disclosure control), numbered releases with their exports, and the optional public page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from defensor.accounts.permissions import Perm, acting_user, has_permission, staff_view
from defensor.core.errors import DefensorError
from defensor.core.models import Organisation
from defensor.keys.keyring import KeyRing, KeyRingLocked, keyring_for
from defensor.reports import charts, exports
from defensor.reports.models import Release
from defensor.reports.publication import shown_tables
from defensor.reports.selectors import release_for, release_payload, releases_of, report_for
from defensor.reports.services import (
    release_exported,
    release_make,
    release_set_public,
    report_prepare,
    report_viewed,
)
from defensor.reports.shown import ShownTable
from defensor.reports.tables import Quarter


def _period(data: dict[str, str]) -> tuple[Quarter | None, Quarter | None]:
    return Quarter.parse(data.get("from", "")), Quarter.parse(data.get("to", ""))


def _charts(tables: list[ShownTable]) -> dict[str, str]:
    """The chart drawn above a table: bars over time for the quarters, the map for districts."""
    drawn: dict[str, str] = {}
    for table in tables:
        if table.key == "quarter":
            drawn[table.key] = charts.bar_chart(table)
        elif table.key == "district":
            drawn[table.key] = charts.district_map(table)
    return drawn


def _keyring(request: HttpRequest) -> KeyRing:
    keyring = keyring_for(request)
    if keyring is None:
        raise KeyRingLocked()
    return keyring


@staff_view(Perm.REPORTS_VIEW)
@require_GET
def report_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    keyring = _keyring(request)
    first, last = _period(request.GET.dict())
    report_prepare(actor=actor, keyring=keyring)
    report = report_for(actor=actor, keyring=keyring, first=first, last=last)
    report_viewed(actor=actor, first=report.first, last=report.last)
    tables, pressure = shown_tables(report.payload)
    return render(request, "reports/report.html", {
        "report": report, "tables": tables, "pressure": pressure, "charts": _charts(tables),
        "refused": set(report.refused), "releases": releases_of(actor=actor),
        "ready": not (report.requests_waiting or report.records_waiting or report.unreadable),
    })


@staff_view(Perm.REPORTS_VIEW)
@require_POST
def release_make_view(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    first, last = _period(request.POST.dict())
    if first is None or last is None:
        messages.error(request, _("Choose the period of the release."))
        return redirect("staff:reports")
    try:
        release = release_make(actor=actor, keyring=_keyring(request), first=first, last=last)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
        return redirect(reverse("staff:reports") + "?" + urlencode({"from": first.key, "to": last.key}))
    messages.success(request, _("Release %(number)s is made. Its numbers will not change.") % {
        "number": release.number})
    return redirect("staff:release", release_number=release.number)


def _release(request: HttpRequest, release_number: int) -> Release:
    try:
        return release_for(actor=acting_user(request), number=release_number)
    except Release.DoesNotExist as error:
        raise Http404() from error


def _period_text(release: Release) -> str:
    first, last = Quarter.parse(release.first_quarter), Quarter.parse(release.last_quarter)
    if first is None or last is None:
        return f"{release.first_quarter} – {release.last_quarter}"
    return first.label() if first == last else f"{first.label()} – {last.label()}"


@staff_view(Perm.REPORTS_VIEW)
@require_GET
def release_view(request: HttpRequest, release_number: int) -> HttpResponse:
    actor = acting_user(request)
    release = _release(request, release_number)
    tables, pressure = shown_tables(release_payload(release=release, keyring=_keyring(request)))
    return render(request, "reports/release.html", {
        "release": release, "period": _period_text(release), "tables": tables, "pressure": pressure,
        "charts": _charts(tables), "public_allowed": settings.DEFENSOR_PUBLIC_REPORTS,
        "may_publish": has_permission(actor, Perm.REPORTS_PUBLISH),
    })


def _heading(release: Release) -> exports.ReleaseHeading:
    return exports.ReleaseHeading(
        organisation=release.organisation.name, number=release.number, period=_period_text(release),
        published_at=release.created_at, threshold=release.threshold, base=release.base,
    )


@staff_view(Perm.REPORTS_VIEW)
@require_GET
def release_export_view(request: HttpRequest, release_number: int, file_format: str) -> HttpResponse:
    actor = acting_user(request)
    release = _release(request, release_number)
    tables, pressure = shown_tables(release_payload(release=release, keyring=_keyring(request)))
    release_exported(actor=actor, release=release, file_format=file_format)
    if file_format == "csv":
        body, content_type = exports.release_csv(_heading(release), [*tables, pressure]), "text/csv; charset=utf-8"
    else:
        body = exports.release_xlsx(_heading(release), [*tables, pressure])
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="defensor-release-{release.number}.{file_format}"'
    return response


@staff_view(Perm.REPORTS_PUBLISH)
@require_POST
def release_public_view(request: HttpRequest, release_number: int) -> HttpResponse:
    actor = acting_user(request)
    release = _release(request, release_number)
    public = request.POST.get("public") == "1"
    try:
        release_set_public(actor=actor, keyring=_keyring(request), release=release, public=public)
    except DefensorError as error:
        messages.error(request, str(error.user_message))
    else:
        messages.success(request, _("The release is on the public page.") if public
                         else _("The release is no longer on the public page."))
    return redirect("staff:release", release_number=release.number)


def public_release_view(request: HttpRequest, release_number: int) -> HttpResponse:
    """A published release for anyone (off unless DEFENSOR_PUBLIC_REPORTS): only the published
    numbers, which the release keeps in the clear once it is made public."""
    if not settings.DEFENSOR_PUBLIC_REPORTS:
        raise Http404()
    organisation = Organisation.objects.order_by("pk").first()
    release = Release.objects.filter(
        organisation=organisation, number=release_number, public_tables__isnull=False
    ).first()
    if release is None or not release.public_tables:
        raise Http404()
    tables, pressure = shown_tables(release.public_tables)
    return render(request, "reports/public_release.html", {
        "release": release, "period": _period_text(release), "tables": tables, "pressure": pressure,
        "charts": _charts(tables), "organisation": organisation, "today": timezone.localdate(),
        "show_language_switch": True,
    })
