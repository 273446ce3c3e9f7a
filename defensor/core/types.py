from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

# What may go into structured audit details: codes, ids, counts and flags, never free text.
AuditScalar: TypeAlias = str | int | bool | None
AuditDetails: TypeAlias = dict[str, AuditScalar | Sequence[AuditScalar]]
