"""Who reaches a case's evidence pages: ``evidence_view`` is ``staff_view(Perm.CASES_WORK)`` that
answers 404, not 403, to anyone who may not see the case — a role that works on no case (a
volunteer) as well as someone the case is not shared with — and does so before the method is
looked at, so no answer on an evidence URL tells an outsider whether the case exists (issue 17:
"404 for everyone else"). docs/roles.md says so; tests/test_roles.py checks it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.http import Http404, HttpRequest, HttpResponse

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission, is_two_factor_verified, staff_view
from defensor.cases.selectors import case_for

View = TypeVar("View", bound=Callable[..., HttpResponse])


def evidence_view(view: View) -> View:
    """A page under /staff/cases/<case>/evidence/: login, 2FA and a forced password change as for
    every staff page; then 404 unless the user's role works on cases and the case is theirs."""
    guarded = staff_view(Perm.CASES_WORK)(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and is_two_factor_verified(user) and not getattr(user, "must_change_password", False):
            if not has_permission(user, Perm.CASES_WORK):
                raise Http404
            case_for(actor=user, case_id=kwargs["case_id"])  # 404 for a case not held, whatever the method
        return guarded(request, *args, **kwargs)

    wrapper.required_permission = Perm.CASES_WORK  # type: ignore[attr-defined]
    return cast(View, wrapper)
