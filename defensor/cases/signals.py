"""Signals the cases app sends for the apps above it (which it may not import: layers).

``files_carried``: files a person attached to their request were carried into a case
(``services.case_files_add``, inside the accept's transaction; a receiver that does slow work
defers it with ``transaction.on_commit``). Sent with ``case``, ``files`` (the
new ``CaseFile`` rows), ``carried_by`` (the user) and ``keyring`` (theirs, unlocked: it holds the
request's key and the case's key at that moment). The evidence app turns each file into an item
once the accept commits; a receiver must never make the accept fail (a person's request must not be lost).
"""

from __future__ import annotations

from django.dispatch import Signal

files_carried = Signal()
