from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from defensor.accounts.permissions import Perm, has_permission


def staff(request: HttpRequest) -> dict[str, Any]:
    """Navigation entries the current user may use (the gate itself is in staff_view)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_verified", lambda: False)():
        return {"nav": []}
    entries = [
        ("staff:home", "home", Perm.WORKSPACE),
        ("staff:inbox", "inbox", Perm.INTAKE_TRIAGE),
        ("staff:hotline", "hotline", Perm.INTAKE_HOTLINE),
        ("staff:cases", "cases", Perm.CASES_WORK),
        ("staff:users", "users", Perm.USERS_MANAGE),
        ("staff:audit", "audit", Perm.AUDIT_VIEW),
        ("staff:calendar", "calendar", Perm.CALENDAR_MANAGE),
        ("staff:templates", "templates", Perm.TEMPLATES_MANAGE),
        ("staff:retention", "retention", Perm.USERS_MANAGE),
        ("staff:reports", "reports", Perm.REPORTS_VIEW),
        ("staff:account", "account", Perm.WORKSPACE),
    ]
    return {"nav": [(url, key) for url, key, perm in entries if has_permission(user, perm)]}
