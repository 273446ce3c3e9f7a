"""Signals the cases app sends for the apps above it (which it may not import: layers).

``files_carried``: files a person attached to their request were carried into a case
(``services.case_files_add``, inside the accept's transaction; a receiver that does slow work
defers it with ``transaction.on_commit``). Sent with ``case``, ``files`` (the
new ``CaseFile`` rows), ``carried_by`` (the user) and ``keyring`` (theirs, unlocked: it holds the
request's key and the case's key at that moment). The evidence app turns each file into an item
once the accept commits; a receiver must never make the accept fail (a person's request must not be lost).

``evidence_for_files``: which of a request's files are evidence items of its case, asked by the
request page (intake) so that it links to the item and downloads through it (a custody event).
Sent with ``case``, ``attachment_ids`` (strings) and ``reader`` (the user); a receiver answers
``{attachment_id: (item_id, number)}`` for the case's items made of those files that the reader may
open (they hold the case), and nothing for the others. Ids only: no receiver decrypts anything.

``period_end_asked``: when a procedural period ends, asked by documents (an appeal says whether
its period holds; documents and deadlines are siblings that may not import each other). Sent with
``rule_id`` (a rule of deadlines/data/rules.yaml, e.g. ``kas-298``) and ``start`` (the date the
period runs from, e.g. the decision in final form); the deadlines app answers a ``PeriodEnd``
counted as the codes say, moved off non-working days by the working calendar, or None for a rule
it does not know. Dates only: nothing personal is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.dispatch import Signal

files_carried = Signal()
evidence_for_files = Signal()
period_end_asked = Signal()


@dataclass(frozen=True)
class PeriodEnd:
    """The answer to ``period_end_asked``."""

    ends_on: date  # the last day of the period, a working day
    nominal_on: date  # before it was moved off a non-working day
    unpublished: bool  # the working calendar of a year it spans is not published: check by hand
    verify: bool  # the rule's current text is not confirmed: "verify with counsel"
