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
        """The route with its ids filled in (ids not given: ones that exist nowhere)."""
        result = self.route
        nowhere = {"id": 999999, "person": 999999, "handle": 999999, "case": 999999, "claimant": 999999,
                   "task": 999999, "event": 999999, "deadline": 999999, "reminder": 999999, "document": 999999,
                   "template": 999999, "release": 999999, "item": "00000000-0000-0000-0000-000000000000",
                   "submission": "00000000-0000-0000-0000-000000000000",
                   "attachment": "00000000-0000-0000-0000-000000000000",
                   "bundle": "00000000-0000-0000-0000-000000000000"}
        for key, value in {**nowhere, **ids}.items():
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
        ).replace("<int:person_id>", "<person>").replace(
            "<int:handle_id>", "<handle>"
        ).replace("<int:case_id>", "<case>").replace("<int:claimant_id>", "<claimant>").replace(
            "<int:task_id>", "<task>"
        ).replace("<int:event_id>", "<event>").replace("<int:deadline_id>", "<deadline>").replace(
            "<int:reminder_id>", "<reminder>"
        ).replace("<int:document_id>", "<document>").replace("<int:template_id>", "<template>").replace(
            "<uuid:item_id>", "<item>").replace("<uuid:bundle_id>", "<bundle>").replace(
            "<uuid:attachment_id>", "<attachment>").replace("<int:release_number>", "<release>")
        found.append(StaffUrl(name=str(pattern.name), route=route, view=pattern.callback))
    return found
