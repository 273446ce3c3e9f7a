"""Every URL of the team workspace, enumerated from the URL configuration itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern

from defensor.accounts.middleware import PRE_VERIFICATION_URLS
from defensor.staff import urls as staff_urls


@dataclass(frozen=True)
class StaffUrl:
    name: str
    route: str  # as written in docs/roles.md, e.g. /staff/users/<id>/
    view: Any

    def path(self, **ids: object) -> str:
        result = self.route
        for key, value in ids.items():
            result = result.replace(f"<{key}>", str(value))
        return result


def staff_urls_behind_login() -> list[StaffUrl]:
    found = []
    for pattern in staff_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in PRE_VERIFICATION_URLS:
            continue
        route = "/staff/" + str(pattern.pattern).replace("<int:user_id>", "<id>").replace(
            "<uuid:submission_id>", "<submission>"
        )
        found.append(StaffUrl(name=str(pattern.name), route=route, view=pattern.callback))
    return found
