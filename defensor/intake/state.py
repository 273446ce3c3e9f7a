"""The questionnaire in progress lives in the visitor's browser, not on the server.

Answers typed so far travel in a hidden form field, encrypted under a random key that lives
only in the visitor's cookie. The server keeps no record of a form without files — no session
row, cache entry or temp file — so a person can pause between steps without losing anything, a
seized server holds no half-finished request, and a flood of visitors opening the form writes
nothing. Files attached to a form are recorded (id, form, size: `UnsentUpload`) until it is sent.

The visitor holds the key, so a state can be forged by its own visitor: everything read from it
is checked here for type and range (a bad state is "start again", never an error), and the
answers are validated again before anything is stored. What the visitor must not choose is the
server's: the visit (which also becomes the submission's id) and the time it started are
issued by the server and carry its keyed MAC; files belong to a visit by a row on the server; the
receipt is derived with a server key from the visit and the state's random part (receipts.py).
"""

from __future__ import annotations

import base64
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NoReturn

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from defensor.core.secrets import derived_key
from defensor.keys import crypto

VISIT_COOKIE = "defensor_visit"
STATE_AAD = b"defensor.intake.state.v2"  # v2: the visit and its start are the server's (v1 states are refused)
MAX_STATE_BYTES = 256 * 1024
MAX_FILES_IN_STATE = 20
MAX_ID_CHARS = 64  # questionnaire, step and question ids
MAX_CHECKED_STEPS = 50
SEED_BYTES = 16
MAX_FILE_SIZE = 1 << 40  # far above any upload limit; a forged size beyond it is a bad state
MAX_VERSION = 1 << 31


def _refuse(*_: Any) -> NoReturn:
    raise ValueError("state")


def _text(value: Any, max_chars: int) -> str:
    if not isinstance(value, str) or len(value) > max_chars:
        raise ValueError("state")
    return value


def _integer(value: Any, low: int, high: int) -> int:
    # JSON numbers a visitor can forge: 1e999 (a float, inf), 10**400, true. Only a plain int in range.
    if type(value) is not int or not low <= value <= high:
        raise ValueError("state")
    return value


def _sha256(value: Any) -> str:
    """A hex SHA-256 or "" (a state from before hashes were kept, or anything else)."""
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value
    return ""


def _uuid(value: Any) -> str:
    return str(uuid.UUID(_text(value, 36)))  # canonical form, or ValueError


@dataclass
class AttachedFile:
    id: str
    key: bytes = field(repr=False)
    name: str
    type: str
    size: int
    sha256: str = ""  # of the original as it arrived (hex), "" if not known

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "key": base64.b64encode(self.key).decode(), "name": self.name,
                "type": self.type, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_json(cls, raw: Any) -> AttachedFile:
        if not isinstance(raw, dict):
            raise ValueError("file")
        key = base64.b64decode(_text(raw.get("key"), 64), validate=True)
        if len(key) != crypto.KEY_SIZE:
            raise ValueError("file")
        return cls(id=_uuid(raw.get("id")), key=key, name=_text(raw.get("name"), 1000)[:120],
                   type=_text(raw.get("type"), 20), size=_integer(raw.get("size"), 0, MAX_FILE_SIZE),
                   sha256=_sha256(raw.get("sha256")))


def _answer_value(value: Any) -> str | list[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and len(value) <= 50:
        return list(value)
    raise ValueError("answer")


def visit_mac(visit: str, started: int) -> str:
    """The server's word that it opened this visit at this time (the visitor cannot make one)."""
    return crypto.keyed_digest(derived_key("intake.visit.v1"), "intake-visit", f"{visit}|{started}")


def checked_mac(visit: str, questionnaire: str, version: int, step: str, answers: dict[str, Any]) -> str:
    """The server's word that this visit's page ``step`` of this questionnaire version was checked
    with these ``answers`` (its own and every earlier page's): the visitor, who can open and
    rewrite the state with their key, cannot make one for answers the server has not checked."""
    record = json.dumps([visit, questionnaire, version, step, answers], sort_keys=True, ensure_ascii=False)
    return crypto.keyed_digest(derived_key("intake.checked.v1"), "intake-checked", record)


@dataclass
class IntakeState:
    questionnaire: str
    version: int
    # Issued by the server when the form is opened (with `mac`): the form's identity, the id the
    # submission gets (sending the same form twice cannot make two submissions) and the owner of
    # its files; `started` decides whether a request was sent too fast to be a person's.
    visit: str
    started: int
    mac: str
    # The random part of the receipt the visitor holds (the server's part is a key): sending
    # the form twice shows the same receipt again, and a copy of the server cannot compute it.
    seed: bytes = field(repr=False)
    answers: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[AttachedFile]] = field(default_factory=dict)
    step: str = ""
    # {step id: checked_mac}: pages the server checked, with the answers they were checked with;
    # sending does not check them again unless those answers changed (views._first_incomplete_step).
    checked: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"q": self.questionnaire, "v": self.version, "a": self.answers, "s": self.step,
                "w": self.visit, "t": self.started, "m": self.mac, "r": self.seed.hex(),
                "f": {k: [f.as_json() for f in v] for k, v in self.files.items()}, "c": self.checked}

    @classmethod
    def from_json(cls, raw: Any) -> IntakeState:
        """Every field checked for type and range: a forged or damaged state is a ValueError."""
        if not isinstance(raw, dict) or not isinstance(raw.get("a"), dict) or not isinstance(raw.get("f"), dict):
            raise ValueError("state")
        files: dict[str, list[AttachedFile]] = {}
        for question_id, entries in raw["f"].items():
            if not isinstance(entries, list):
                raise ValueError("files")
            files[_text(question_id, MAX_ID_CHARS)] = [AttachedFile.from_json(f) for f in entries]
        if sum(len(v) for v in files.values()) > MAX_FILES_IN_STATE:
            raise ValueError("files")
        checked = raw.get("c", {})  # a state from before pages were marked has none
        if not isinstance(checked, dict) or len(checked) > MAX_CHECKED_STEPS:
            raise ValueError("checked")
        seed = bytes.fromhex(_text(raw.get("r"), 2 * SEED_BYTES))
        if len(seed) != SEED_BYTES:
            raise ValueError("seed")
        return cls(
            questionnaire=_text(raw.get("q"), MAX_ID_CHARS), version=_integer(raw.get("v"), 0, MAX_VERSION),
            step=_text(raw.get("s"), MAX_ID_CHARS),
            answers={_text(k, MAX_ID_CHARS): _answer_value(v) for k, v in raw["a"].items()},
            visit=_uuid(raw.get("w")), started=_integer(raw.get("t"), 0, 1 << 40), mac=_text(raw.get("m"), 64),
            seed=seed, files=files,
            checked={_text(k, MAX_ID_CHARS): _text(v, 32) for k, v in checked.items()},
        )

    @classmethod
    def new(cls, questionnaire: str, version: int) -> IntakeState:
        visit, started = str(uuid.uuid4()), int(time.time())
        return cls(questionnaire=questionnaire, version=version, visit=visit, started=started,
                   mac=visit_mac(visit, started), seed=crypto.random_bytes(SEED_BYTES))

    def issued_by_server(self) -> bool:
        return hmac.compare_digest(self.mac.encode(), visit_mac(self.visit, self.started).encode())

    def all_files(self) -> list[AttachedFile]:
        return [f for files in self.files.values() for f in files]

    def file_ids(self) -> set[str]:
        return {f.id for f in self.all_files()}


class StateUnreadable(Exception):
    """The state was altered, forged, is malformed or too old, or the cookie that opens it is gone."""


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
    """The state in the page, or StateUnreadable: never another error, whatever the visitor sent."""
    if key is None or not token or len(token) > MAX_STATE_BYTES:
        raise StateUnreadable()
    try:
        raw = crypto.decrypt(key, base64.urlsafe_b64decode(token.encode()), aad=STATE_AAD)
        state = IntakeState.from_json(json.loads(raw, parse_constant=_refuse))
    except (crypto.Tampered, ValueError, KeyError, TypeError, OverflowError, RecursionError) as error:
        raise StateUnreadable() from error
    if not state.issued_by_server() or time.time() - state.started > settings.DEFENSOR_INTAKE_FORM_HOURS * 3600:
        raise StateUnreadable()
    return state
