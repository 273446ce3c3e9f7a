"""Who may do what: the one place where roles become permissions.

docs/roles.md shows this table; tests/test_roles.py checks that the document, this mapping
and the behaviour of every staff URL agree.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from defensor.accounts.models import Role, User
from defensor.core.errors import PermissionDenied


class Perm(StrEnum):
    WORKSPACE = "workspace.use"  # dashboard, own account, language, logout
    USERS_MANAGE = "users.manage"  # create, disable, change role, reset 2FA
    AUDIT_VIEW = "audit.view"  # browse the audit log
    INTAKE_TRIAGE = "intake.triage"  # read and triage submissions
    INTAKE_HOTLINE = "intake.hotline"  # enter a phone request
    CASES_WORK = "cases.work"  # read the cases shared with one; add notes, events and tasks
    CASES_OPEN = "cases.open"  # open and edit cases, add claimants, change their status
    CASES_SHARE = "cases.share"  # grant and revoke access to a case
    DOCUMENTS_GENERATE = "documents.generate"
    TEMPLATES_MANAGE = "templates.manage"
    CALENDAR_MANAGE = "calendar.manage"  # one-off non-working days
    REPORTS_VIEW = "reports.view"  # counted reports, releases, their exports
    REPORTS_PUBLISH = "reports.publish"  # put a release on the public page (when the server allows it)
    EVIDENCE_VERIFY = "evidence.verify"  # mark a case's evidence verified or rejected


_TEAM = {Role.ADMIN, Role.LAWYER, Role.PARALEGAL, Role.VOLUNTEER}

ROLE_PERMISSIONS: dict[Perm, frozenset[Role]] = {
    Perm.WORKSPACE: frozenset(_TEAM | {Role.PARTNER}),
    Perm.USERS_MANAGE: frozenset({Role.ADMIN}),
    Perm.AUDIT_VIEW: frozenset({Role.ADMIN}),
    Perm.INTAKE_TRIAGE: frozenset({Role.ADMIN, Role.LAWYER, Role.PARALEGAL}),
    Perm.INTAKE_HOTLINE: frozenset(_TEAM),
    Perm.CASES_WORK: frozenset({Role.ADMIN, Role.LAWYER, Role.PARALEGAL, Role.PARTNER}),
    Perm.CASES_OPEN: frozenset({Role.ADMIN, Role.LAWYER, Role.PARALEGAL}),
    Perm.CASES_SHARE: frozenset({Role.ADMIN, Role.LAWYER}),
    Perm.DOCUMENTS_GENERATE: frozenset({Role.ADMIN, Role.LAWYER, Role.PARALEGAL}),
    Perm.TEMPLATES_MANAGE: frozenset({Role.ADMIN}),
    Perm.CALENDAR_MANAGE: frozenset({Role.ADMIN}),
    Perm.REPORTS_VIEW: frozenset({Role.ADMIN, Role.LAWYER}),
    Perm.REPORTS_PUBLISH: frozenset({Role.ADMIN}),
    Perm.EVIDENCE_VERIFY: frozenset({Role.ADMIN, Role.LAWYER, Role.PARTNER}),
}


def is_two_factor_verified(user: User | AnonymousUser) -> bool:
    """True once this session passed a second factor (django_otp's OTPMiddleware sets is_verified)."""
    check = getattr(user, "is_verified", None)
    return bool(user.is_authenticated and check is not None and check())


def role_of(user: User | AnonymousUser) -> Role | None:
    if not user.is_authenticated or not user.is_active:
        return None
    membership = getattr(user, "membership", None)
    return Role(membership.role) if membership is not None else None


def has_permission(user: User | AnonymousUser, perm: Perm) -> bool:
    role = role_of(user)
    return role is not None and role in ROLE_PERMISSIONS[perm]


def require_permission(user: User | AnonymousUser, perm: Perm) -> None:
    if not has_permission(user, perm):
        raise PermissionDenied()


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def staff_view(perm: Perm) -> Callable[[ViewFunc], ViewFunc]:
    """Mark a view as a staff page needing ``perm``.

    The user must be logged in with verified two-factor authentication (checked by
    StaffSessionMiddleware for every /staff/ URL, and again here) and hold ``perm``.
    A missing permission answers 403 with the translated page.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request)
            if not is_two_factor_verified(user):
                return redirect("staff:2fa-verify")
            if getattr(user, "must_change_password", False) and perm is not Perm.WORKSPACE:
                return redirect("staff:password")
            require_permission(user, perm)
            return view(request, *args, **kwargs)

        wrapper.required_permission = perm  # type: ignore[attr-defined]
        return cast(ViewFunc, wrapper)

    return decorator


def redirect_to_login(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth.views import redirect_to_login as django_redirect

    return django_redirect(request.get_full_path())


def permissions_for(role: Role) -> list[Perm]:
    return [perm for perm, roles in ROLE_PERMISSIONS.items() if role in roles]


__all__ = ["ROLE_PERMISSIONS", "Perm", "has_permission", "permissions_for", "require_permission", "staff_view"]


def acting_user(request: HttpRequest) -> User:
    """The logged-in staff user of a request (views behind staff_view always have one)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied()
    return user
