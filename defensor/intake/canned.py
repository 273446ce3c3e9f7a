"""Prepared replies for triage (data/canned_replies.yaml), in Russian and English."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from defensor.core.errors import DefensorError

CANNED_REPLIES = Path(__file__).resolve().parent / "data" / "canned_replies.yaml"


class UnknownReply(DefensorError):
    user_message = _("There is no such prepared reply.")


@dataclass(frozen=True)
class CannedReply:
    id: str
    titles: dict[str, str]
    texts: dict[str, str]

    @property
    def title(self) -> str:
        return self.titles.get((get_language() or "ru")[:2], self.titles["ru"])

    def text_in(self, language: str) -> str:
        return self.texts.get(language[:2], self.texts["ru"]).strip()


@cache
def canned_replies() -> tuple[CannedReply, ...]:
    entries = yaml.safe_load(CANNED_REPLIES.read_text(encoding="utf-8"))
    return tuple(
        CannedReply(id=str(e["id"]), titles=dict(e["title"]), texts={k: str(v) for k, v in e["text"].items()})
        for e in entries
    )


def canned_reply(reply_id: str) -> CannedReply:
    for reply in canned_replies():
        if reply.id == reply_id:
            return reply
    raise UnknownReply()
