"""The calendar feed (outside /staff/: a calendar app has no session, the token is the key). The
working-day calendar's page is in calendar_views."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from defensor.accounts.permissions import Perm, has_permission
from defensor.deadlines.feed import deadline_feed
from defensor.deadlines.models import CalendarFeed
from defensor.deadlines.services import feed_token_hash


@require_GET
def deadline_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    feed = CalendarFeed.objects.select_related("user__membership").filter(token_hash=feed_token_hash(token)).first()
    if feed is None or not feed.user.is_active or not has_permission(feed.user, Perm.CASES_WORK):
        raise Http404
    case_url = request.build_absolute_uri(reverse("staff:case", args=[0]))
    response = HttpResponse(deadline_feed(user=feed.user, case_url=case_url),
                            content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
