"""A person filling the public questionnaire, driven through the Django test client."""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any

from django.test import Client

# Answers to the default questionnaire, page by page (what a typical person writes).
DEFAULT_ANSWERS: dict[str, dict[str, Any]] = {
    "about": {"address_as": "Андрей", "service_category": "special_rank", "force": "rosgvardia",
              "unit": "в/ч 12345", "service_region": "RU-KDA",
              "order_description": "Приказали ехать в командировку за пределы России, не сказали куда.",
              "order_date": "2022-02-20", "told_destination": "no", "briefed_on_tasks": "no", "consented": "no"},
    "after": {"refusal_method": "in_writing", "refusal_date": "2022-02-24",
              "dismissed": "yes", "dismissal_order_number": "45 л/с", "dismissal_order_date": "2022-03-15",
              "disciplinary_action": "no", "criminal_case": "threatened", "pressure": ["command", "family"]},
    "contact": {"contact_methods": ["signal"], "phone": "8 916 123-45-67", "safe_time": "после 19:00",
                "wanted_outcomes": ["reinstatement", "group_claim"], "consent": "on"},
}

# Every follow-up applying: told where to, dismissed, pressure, contact by phone and Signal.
JOURNEY_ANSWERS: dict[str, dict[str, Any]] = {
    "about": {**DEFAULT_ANSWERS["about"], "told_destination": "yes", "destination": "Белгородская область",
              "briefed_on_tasks": "no", "consented": "no"},
    "after": {**DEFAULT_ANSWERS["after"], "pressure": ["command", "police"],
              "pressure_details": "Командир звонит матери, вызывали к следователю."},
    "contact": {**DEFAULT_ANSWERS["contact"], "contact_methods": ["call", "signal"], "other_contact": "@andrey_s",
                "safe_to_leave_messages": "no", "anything_else": "Срочно: повестка на пятницу."},
}

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class IntakeVisitor:
    def __init__(self, client: Client | None = None, language: str = "ru") -> None:
        self.client = client or Client(HTTP_ACCEPT_LANGUAGE=language)
        self.page = ""
        self.status = 0

    def _take(self, response: Any) -> str:
        self.status = response.status_code
        self.page = response.content.decode()
        return self.page

    @property
    def state(self) -> str:
        match = re.search(r'name="state" value="([^"]+)"', self.page)
        assert match, "no form state on the page"
        return match.group(1)

    @property
    def key(self) -> bytes:
        """The key in the visitor's own cookie: what the visitor needs to read or forge their state."""
        from defensor.intake.state import VISIT_COOKIE

        return base64.urlsafe_b64decode(self.client.cookies[VISIT_COOKIE].value)

    def state_json(self) -> dict[str, Any]:
        """The state in the page, as the visitor can read it with their own cookie."""
        from defensor.intake.state import STATE_AAD
        from defensor.keys import crypto

        raw = crypto.decrypt(self.key, base64.urlsafe_b64decode(self.state.encode()), aad=STATE_AAD)
        return dict(json.loads(raw))

    def forged(self, text: str) -> str:
        """A state token the visitor made themselves from JSON text (which may hold 1e999 or NaN)."""
        from defensor.intake.state import STATE_AAD
        from defensor.keys import crypto

        return base64.urlsafe_b64encode(crypto.encrypt(self.key, text.encode(), aad=STATE_AAD)).decode()

    def post_forged(self, text: str, data: dict[str, Any] | None = None, action: str = "next") -> str:
        return self._take(self.client.post("/request/", {"state": self.forged(text), "action": action, **(data or {})}))

    def start(self) -> str:
        return self._take(self.client.get("/request/"))

    def post(self, data: dict[str, Any], files: dict[str, Any] | None = None, action: str = "next") -> str:
        payload: dict[str, Any] = {"state": self.state, "action": action, **data}
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page)
        if token:  # as a browser sends it (checked when the client enforces CSRF, tests/test_csrf.py)
            payload.setdefault("csrfmiddlewaretoken", token.group(1))
        if files:
            payload.update(files)
        return self._take(self.client.post("/request/", payload))

    def fill_all(
        self, answers: dict[str, dict[str, Any]] | None = None, files: list[tuple[str, bytes]] | None = None
    ) -> str:
        """Answer every step (looking at which questions the page shows) up to the review page."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        answers = answers or DEFAULT_ANSWERS
        flat = {k: v for step in answers.values() for k, v in step.items()}
        for _ in range(20):
            if "Проверьте и отправьте" in self.page or "Check and send" in self.page:
                return self.page
            shown = set(re.findall(r'name="([a-z0-9_]+)"', self.page)) - {"state", "action", "csrfmiddlewaretoken"}
            # A date may be asked in parts (<id>_day, _month, _year): its one value is still accepted.
            data = {name: value for name, value in flat.items() if name in shown or f"{name}_day" in shown}
            upload = None
            if "files" in shown and files:
                upload = {"files": [SimpleUploadedFile(name, content) for name, content in files]}
                files = None
            self.post(data, upload)
            assert self.status == 200, self.page
        raise AssertionError("the questionnaire did not reach the review page")

    def submit(self, *, digits: bool = False) -> str:
        data = {"digits": "1"} if digits else {}
        self.post(data, action="submit")
        match = re.search(r'data-testid="receipt">([^<]+)<', self.page)
        assert match, self.page
        return html.unescape(match.group(1)).strip()


def on_files_page(language: str = "ru") -> IntakeVisitor:
    """A person who has answered the first page and is on the one that takes files («after»)."""
    visitor = IntakeVisitor(language=language)
    visitor.start()
    visitor.post(DEFAULT_ANSWERS["about"])
    return visitor
