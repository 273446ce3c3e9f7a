"""The account page's cards that other apps contribute (the calendar feed, how documents name
the user): each app registers its own from its AppConfig.ready, so accounts imports none of them
(docs/architecture.md, "Layers")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest

from defensor.accounts.models import User

# What the card's template gets as ``section``, for the acting user; None leaves the card out.
# The form is the card's own, sent and refused, to show again with its errors (else None).
SectionContext = Callable[[HttpRequest, User, forms.Form | None], Mapping[str, Any] | None]


@dataclass(frozen=True)
class AccountSection:
    key: str  # names the card (and its refused form, see accounts.views.account_page)
    template: str
    context: SectionContext
    order: int = 100  # cards are shown by order, after the language and security ones


_sections: dict[str, AccountSection] = {}


def account_section_register(section: AccountSection) -> None:
    _sections[section.key] = section


def account_sections() -> list[AccountSection]:
    return sorted(_sections.values(), key=lambda section: (section.order, section.key))
