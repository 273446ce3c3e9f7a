"""Request-wide safety: forget who the client is, and set strict response headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware
from django.utils.module_loading import import_string

# Everything that identifies a client's network or device. Removed before any other code
# (axes, logging, error reports) can read it: what is never held cannot be stored or logged.
CLIENT_IDENTIFYING_META = (
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_USER_AGENT",
    "HTTP_VIA",
)


def no_client_address(request: HttpRequest) -> None:
    """Used by django-axes: we lock out by account name, never by address."""
    return None


class ForgetClientMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key in CLIENT_IDENTIFYING_META:
            request.META.pop(key, None)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """CSP, no caching of dynamic pages, and a cross-origin resource policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        staff = request.path_info.startswith("/staff/")
        policy = settings.CONTENT_SECURITY_POLICY if staff else settings.CONTENT_SECURITY_POLICY_PUBLIC
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith(settings.STATIC_URL):
            # Pages may show personal data: never store them in a browser or proxy cache.
            response.headers["Cache-Control"] = "no-store, max-age=0"
        if not request.path_info.startswith("/staff/"):
            response.headers["Referrer-Policy"] = "no-referrer"
        return response


# The public intake's pages: the landing page, the form and the receipt's pages (and a published
# report, when the server shows them). No one logs in
# there and nothing there reads a session, a user or a message.
PUBLIC_PAGES = ("/request/", "/receipt/", "/reports/")


def is_public_page(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PAGES)


class StaffOnlyMiddleware:
    """settings.STAFF_MIDDLEWARE, as if listed in MIDDLEWARE at this place, except on the public
    intake's pages, which skip them. Built as Django builds its chain (each one's errors turned
    into responses, MiddlewareNotUsed honoured); their process_view hooks run in their order."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        handler: Callable[[HttpRequest], Any] = get_response
        self.view_hooks: list[Callable[..., HttpResponse | None]] = []
        for path in reversed(settings.STAFF_MIDDLEWARE):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self.view_hooks.insert(0, instance.process_view)
            handler = convert_exception_to_response(instance)
        self.staff = handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_public_page(request.path_info):
            return self.get_response(request)
        return self.staff(request)  # type: ignore[no-any-return]

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if is_public_page(request.path_info):
            return None
        for hook in self.view_hooks:
            response = hook(request, view, args, kwargs)
            if response is not None:
                return response
        return None


class CsrfViewMiddleware(DjangoCsrfViewMiddleware):
    """Django's CSRF check, except that intake pages accept `Origin: null`.

    Intake pages send `Referrer-Policy: no-referrer` (a person's browser must not tell the next
    site where they were), and browsers then post forms with `Origin: null` and no Referer. The
    CSRF token and its SameSite=Strict cookie still have to match.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null" and not request.path_info.startswith("/staff/"):
            return True
        return bool(super()._origin_verified(request))  # type: ignore[misc]


class DefensorErrorMiddleware:
    """Turn typed errors into a translated page: the one place they become user messages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.utils.translation import gettext as _

        from defensor.core.errors import DefensorError, PermissionDenied
        from defensor.core.views import error_page

        if not isinstance(exception, DefensorError):
            return None
        if isinstance(exception, PermissionDenied):
            return error_page(request, status=403, title=_("Not allowed"), message=str(exception.user_message))
        return error_page(request, status=400, title=_("Not possible"), message=str(exception.user_message))


def csrf_protect(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like django's csrf_protect, with our middleware (for views that must be csrf_exempt first)."""
    from django.utils.decorators import decorator_from_middleware

    return decorator_from_middleware(CsrfViewMiddleware)(view)  # type: ignore[return-value]
