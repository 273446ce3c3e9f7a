"""Report facts: the few coarse values a report counts, sealed again apart from their record.

A report counts every person and request of the organisation by region, service and the pressure
they named. Opening each record under its own key would take a public-key operation per record
(0.1 ms here: 10 s for 100,000 requests) and would count only what the reader was shared. So the
services that write those values also seal a copy of just them (never a name or a contact) under a
key derived from the organisation's index key, whose holders (triage and case-opening roles) hold
the intake key that opens the requests the values come from. A report opens one key and decrypts
small rows. The copy is bound to its record (model and row id) and to the index key it was made with;
a copy made with a retired key counts as missing and is made again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from defensor.keys import crypto
from defensor.keys.models import KeyMaterial

_PURPOSE = "defensor.facts"


def facts_key(index_key: bytes) -> bytes:
    """The key report facts are sealed with, derived from the index key."""
    return crypto.derive_key_for(index_key, _PURPOSE)


def _aad(material_id: UUID, subject: str) -> bytes:
    return f"defensor.facts.{material_id}.{subject}".encode()


# A record's facts are option codes (never text anyone typed), joined by a separator no code
# contains: opening 100,000 of them must not cost a JSON parse each.
SEPARATOR = "\x1f"


def seal_values(index_key: bytes, *, material_id: UUID, subject: str, values: Sequence[str | None]) -> bytes:
    """A record's report facts (``values`` in the order its model lists them; None: not given),
    sealed for ``subject`` ("people.person:<uid>")."""
    payload = SEPARATOR.join((value or "").replace(SEPARATOR, "") for value in values).encode()
    return crypto.encrypt(facts_key(index_key), payload, aad=_aad(material_id, subject))


def open_values(
    index_key: bytes, *, material_id: UUID, sealed: Iterable[tuple[str, bytes | memoryview]]
) -> list[list[str] | None]:
    """The facts of each (subject, sealed) pair ("" where none was given); None for one that does
    not open."""
    key = facts_key(index_key)
    opened = crypto.decrypt_each(key, ((bytes(blob), _aad(material_id, subject)) for subject, blob in sealed))
    return [None if payload is None else payload.decode().split(SEPARATOR) for payload in opened]


def seal_json(index_key: bytes, *, material_id: UUID, subject: str, payload: Mapping[str, Any]) -> bytes:
    """A larger JSON document sealed the same way (a report's release)."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return crypto.encrypt(facts_key(index_key), text, aad=_aad(material_id, subject))


def open_json(
    index_key: bytes, *, material_id: UUID, subject: str, sealed: bytes | memoryview
) -> dict[str, Any] | None:
    """What ``seal_json`` sealed; None when it does not open."""
    opened = crypto.decrypt_each(facts_key(index_key), [(bytes(sealed), _aad(material_id, subject))])[0]
    return None if opened is None else dict(json.loads(opened))


# What else is sealed with the index key and must follow it to a new one when it is rotated (the
# reports app's releases): called with (organisation id, old material, old key, new material,
# new key) inside the rotation's transaction. Apps register in their AppConfig.ready.
Resealer = Callable[[int, KeyMaterial, bytes, KeyMaterial, bytes], None]
RESEALERS: list[Resealer] = []
