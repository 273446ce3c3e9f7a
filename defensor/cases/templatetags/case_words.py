"""What a case calls its claimants, by its procedure: ``{{ case.kind|claimant_word }}`` and
``{{ case.kind|claimant_word:"many" }}`` (cases.procedures.claimant_word)."""

from __future__ import annotations

from django import template

from defensor.cases.procedures import claimant_word as _word

register = template.Library()


@register.filter
def claimant_word(kind: str, number: str = "one") -> str:
    return str(_word(kind, plural=number == "many"))
