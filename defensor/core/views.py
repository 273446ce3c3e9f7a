"""Error pages: translated, calm, without technical detail, the same for every error."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def form_errors_to_messages(request: HttpRequest, form: Any) -> None:
    """A form sent from one page and answered on another: its mistakes as messages, each with
    its field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


# A page number further than any list could reach; larger ones would overflow the database's
# OFFSET (a 500 for ?page=99999999999999999999999).
LAST_PAGE = 1_000_000


def page_number(request: HttpRequest) -> int:
    """The ``page`` asked for in the query string: 1 if it is not a whole number, at most LAST_PAGE."""
    try:
        return min(max(1, int(request.GET.get("page", "1"))), LAST_PAGE)
    except ValueError:
        return 1


def error_page(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    staff = request.path_info.startswith("/staff/")
    context = {
        "title": title,
        "message": message,
        "status": status,
        "base_template": "base.html" if staff else "public_base.html",
        "home_url": "/staff/" if staff else "/",
    }
    return render(request, "error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return error_page(
            request,
            status=413,
            title=_("Too much data"),
            message=_("What you sent is larger than this form accepts. Nothing was saved. "
                      "Please shorten the text or send fewer files."),
        )
    return error_page(
        request,
        status=400,
        title=_("The request could not be understood"),
        message=_("Nothing was saved. Please go back and try again."),
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request,
        status=403,
        title=_("Not allowed"),
        message=_("You do not have permission to open this page. Nothing was changed."),
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request, status=404, title=_("Page not found"), message=_("There is no page at this address.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(
        request,
        status=500,
        title=_("Something went wrong"),
        message=_("We could not complete this. Nothing was changed. Please try again in a few minutes."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        status=403,
        title=_("The form has expired"),
        message=_("For your safety the form could not be accepted (it was too old or opened in another "
                  "window). Nothing was saved. Please go back, reload the page and send it again."),
    )
