"""The questionnaire in progress lives in the visitor's browser, not on the server.

Answers typed so far travel in a hidden form field, encrypted under a random key that lives
only in the visitor's cookie. The server keeps nothing between steps — no session row, cache
entry or temp file — so a person can pause between steps without losing anything and a seized
server holds no half-finished request.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from defensor.keys import crypto

VISIT_COOKIE = "defensor_visit"
STATE_AAD = b"defensor.intake.state.v1"


@dataclass
class AttachedFile:
    id: str
    key: bytes
    name: str
    type: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "key": base64.b64encode(self.key).decode(), "name": self.name,
                "type": self.type, "size": self.size}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> AttachedFile:
        return cls(id=str(raw["id"]), key=base64.b64decode(raw["key"]), name=str(raw["name"]),
                   type=str(raw["type"]), size=int(raw["size"]))


@dataclass
class IntakeState:
    questionnaire: str
    version: int
    answers: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[AttachedFile]] = field(default_factory=dict)
    step: str = ""
    # Becomes the submission's id: sending the same form twice cannot make two submissions.
    nonce: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"q": self.questionnaire, "v": self.version, "a": self.answers, "s": self.step, "n": self.nonce,
                "f": {k: [f.as_json() for f in v] for k, v in self.files.items()}}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> IntakeState:
        return cls(
            questionnaire=str(raw["q"]), version=int(raw["v"]), answers=dict(raw["a"]), step=str(raw["s"]),
            nonce=str(raw["n"]),
            files={k: [AttachedFile.from_json(f) for f in v] for k, v in dict(raw["f"]).items()},
        )

    def all_files(self) -> list[AttachedFile]:
        return [f for files in self.files.values() for f in files]


class StateUnreadable(Exception):
    """The state was altered, or the cookie that opens it is gone."""


def visit_key(request: HttpRequest) -> bytes | None:
    cookie = request.COOKIES.get(VISIT_COOKIE, "")
    try:
        key = base64.urlsafe_b64decode(cookie.encode())
    except ValueError:
        return None
    return key if len(key) == crypto.KEY_SIZE else None


def ensure_visit_key(request: HttpRequest) -> bytes:
    key = visit_key(request) or getattr(request, "_defensor_new_visit_key", None)
    if key is None:
        key = crypto.random_key()
        request._defensor_new_visit_key = key  # type: ignore[attr-defined]
    return key


def set_visit_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    key = getattr(request, "_defensor_new_visit_key", None)
    if key is not None:
        response.set_cookie(
            VISIT_COOKIE, base64.urlsafe_b64encode(key).decode(), httponly=True, samesite="Strict",
            secure=settings.PRODUCTION, path="/",
        )
    return response


def seal_state(key: bytes, state: IntakeState) -> str:
    raw = json.dumps(state.as_json(), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(crypto.encrypt(key, raw, aad=STATE_AAD)).decode()


def open_state(key: bytes | None, token: str) -> IntakeState:
    if key is None or not token:
        raise StateUnreadable()
    try:
        raw = crypto.decrypt(key, base64.urlsafe_b64decode(token.encode()), aad=STATE_AAD)
        return IntakeState.from_json(json.loads(raw))
    except (crypto.Tampered, ValueError, KeyError, TypeError) as error:
        raise StateUnreadable() from error
