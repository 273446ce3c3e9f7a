"""The questionnaire in progress lives in the visitor's browser, not on the server.

Answers typed so far travel in a hidden form field, encrypted under a random key that lives
only in the visitor's cookie. The server keeps nothing between steps — no session row, cache
entry or temp file — so a person can pause between steps without losing anything and a seized
server holds no half-finished request.

The visitor holds the key, so a state can be forged by its own visitor: everything read from it
is checked here for shape, and the answers are validated again before anything is stored.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from defensor.keys import crypto

VISIT_COOKIE = "defensor_visit"
STATE_AAD = b"defensor.intake.state.v1"
MAX_STATE_BYTES = 256 * 1024
MAX_FILES_IN_STATE = 20


@dataclass
class AttachedFile:
    id: str
    key: bytes = field(repr=False)
    name: str
    type: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "key": base64.b64encode(self.key).decode(), "name": self.name,
                "type": self.type, "size": self.size}

    @classmethod
    def from_json(cls, raw: Any) -> AttachedFile:
        if not isinstance(raw, dict):
            raise ValueError("file")
        file_id = str(uuid.UUID(str(raw["id"])))  # canonical form, or ValueError
        key = base64.b64decode(str(raw["key"]), validate=True)
        size = int(raw["size"])
        if len(key) != crypto.KEY_SIZE or size < 0 or not isinstance(raw["name"], str):
            raise ValueError("file")
        return cls(id=file_id, key=key, name=raw["name"][:120], type=str(raw["type"])[:20], size=size)


def _answer_value(value: Any) -> str | list[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and len(value) <= 50:
        return list(value)
    raise ValueError("answer")


@dataclass
class IntakeState:
    questionnaire: str
    version: int
    answers: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[AttachedFile]] = field(default_factory=dict)
    step: str = ""
    # Becomes the submission's id: sending the same form twice cannot make two submissions.
    nonce: str = ""
    # Made when the form starts, so a second "Send" (a double tap on a slow connection) can show
    # the same receipt again instead of losing it.
    seed: bytes = field(default=b"", repr=False)
    started: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"q": self.questionnaire, "v": self.version, "a": self.answers, "s": self.step, "n": self.nonce,
                "r": self.seed.hex(), "t": self.started,
                "f": {k: [f.as_json() for f in v] for k, v in self.files.items()}}

    @classmethod
    def from_json(cls, raw: Any) -> IntakeState:
        if not isinstance(raw, dict) or not isinstance(raw.get("a"), dict) or not isinstance(raw.get("f"), dict):
            raise ValueError("state")
        files = {str(k): [AttachedFile.from_json(f) for f in v] for k, v in raw["f"].items() if isinstance(v, list)}
        if sum(len(v) for v in files.values()) > MAX_FILES_IN_STATE:
            raise ValueError("files")
        return cls(
            questionnaire=str(raw["q"]), version=int(raw["v"]), step=str(raw["s"]),
            answers={str(k): _answer_value(v) for k, v in raw["a"].items()},
            nonce=str(uuid.UUID(str(raw["n"]))), seed=bytes.fromhex(str(raw["r"])), started=float(raw["t"]),
            files=files,
        )

    @classmethod
    def new(cls, questionnaire: str, version: int, seed: bytes) -> IntakeState:
        return cls(questionnaire=questionnaire, version=version, nonce=str(uuid.uuid4()), seed=seed,
                   started=time.time())

    def all_files(self) -> list[AttachedFile]:
        return [f for files in self.files.values() for f in files]

    def file_ids(self) -> set[str]:
        return {f.id for f in self.all_files()}


class StateUnreadable(Exception):
    """The state was altered, is malformed, or the cookie that opens it is gone."""


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
        # Lax, not Strict: arriving from a link in a messenger must not orphan a form open in
        # another tab. A cross-site POST still carries no cookie; the CSRF token is still needed.
        response.set_cookie(
            VISIT_COOKIE, base64.urlsafe_b64encode(key).decode(), httponly=True, samesite="Lax",
            secure=settings.PRODUCTION, path="/", max_age=settings.DEFENSOR_INTAKE_FORM_HOURS * 3600,
        )
    return response


def forget_visit(response: HttpResponse) -> HttpResponse:
    """Once sent, nothing on the device opens the answers again (old pages included)."""
    response.delete_cookie(VISIT_COOKIE, path="/", samesite="Lax")
    return response


def seal_state(key: bytes, state: IntakeState) -> str:
    raw = json.dumps(state.as_json(), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(crypto.encrypt(key, raw, aad=STATE_AAD)).decode()


def open_state(key: bytes | None, token: str) -> IntakeState:
    if key is None or not token or len(token) > MAX_STATE_BYTES:
        raise StateUnreadable()
    try:
        raw = crypto.decrypt(key, base64.urlsafe_b64decode(token.encode()), aad=STATE_AAD)
        return IntakeState.from_json(json.loads(raw))
    except (crypto.Tampered, ValueError, KeyError, TypeError, RecursionError) as error:
        raise StateUnreadable() from error
