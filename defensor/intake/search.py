"""Searching requests by phone, surname, unit or date of birth, through blind indexes.

A request is sealed to the intake public key on arrival and the server holds no key then (a seized
server exposes nobody), so its search digests cannot be made on arrival. A staff member's unlocked
key ring makes them later: a batch of pending requests whenever the inbox is opened, one request
when it is opened or taken by phone, and every pending request before a search runs (so a search
right after a flood finds the flood). The digests are the people app's blind indexes of the same
normalised values, made with the organisation's index key and stored as ``SubmissionIndex`` rows:
without the index key nobody can read them back or test a guessed phone number against them.

Making digests decrypts requests the reader does not see: each batch is audited (counts only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, require_permission
from defensor.audit.services import log_action
from defensor.intake import services
from defensor.intake.models import Submission, SubmissionIndex
from defensor.intake.selectors import InboxFilter, inbox_for
from defensor.keys import crypto
from defensor.keys.blind import (
    index_with_key,
    normalise_birth_date,
    normalise_handle,
    normalise_phone,
    normalise_surname,
    normalise_unit,
    surname_spellings,
)
from defensor.keys.facts import seal_values
from defensor.keys.keyring import KeyRing, NoAccess
from defensor.keys.models import KeyKind, KeyMaterial

# The people app's index names, so a request's digest equals the digest of the same value on a
# person record (one index key, one normaliser per purpose).
CONTACT = "value_index"
SURNAME = "surname_index"
BIRTH_DATE = "birth_date_index"
UNIT = "unit_index"

# Requests indexed per inbox page at most (bench.inbox: cost per 1,000), and before a search.
INBOX_BATCH = 500
SEARCH_LIMIT = 5_000
# A search lists at most this many requests (a term that matches more is not a search).
MAX_FOUND = 1_000


class SearchKeyMissing(NoAccess):
    """The reader holds no index key (or no intake key for the pending requests)."""


def _index_key(keyring: KeyRing, organisation_id: int) -> tuple[KeyMaterial, bytes] | None:
    try:
        return keyring.current(organisation_id, KeyKind.INDEX)
    except NoAccess:
        return None


def _first_word(value: Any) -> str:
    words = str(value or "").split()
    return words[0] if words else ""


def normalised_answers(answers: dict[str, Any]) -> set[tuple[str, str]]:
    """(purpose, normalised value) for each searchable answer.

    The surname is the first word of the full name (as on the person record made on accept). The
    name the person asked to be addressed by is not indexed: it is often a pseudonym or a first
    name, chosen by someone who did not want to give their name.
    """
    found: set[tuple[str, str]] = set()
    for raw in (answers.get("phone"), answers.get("other_contact")):
        contact = normalise_handle(str(raw)) if raw else None
        if contact:
            found.add((CONTACT, contact))
    surname = normalise_surname(_first_word(answers.get("full_name")))
    if surname:
        found.add((SURNAME, surname))
    born = answers.get("birth_date")
    born_normalised = normalise_birth_date(str(born)) if born else None
    if born_normalised:
        found.add((BIRTH_DATE, born_normalised))
    unit = normalise_unit(str(answers.get("unit") or ""))
    if unit:
        found.add((UNIT, unit))
    return found


def _pending(organisation_id: int) -> QuerySet[Submission]:
    """Requests of the organisation without digests under the current index key: never indexed,
    or indexed with a key rotated since (equality lookups, so the search_pending index answers)."""
    old_keys = [
        pk for pk, retired, destroyed in KeyMaterial.objects.filter(
            organisation_id=organisation_id, kind=KeyKind.INDEX
        ).values_list("pk", "retired_at", "destroyed_at")
        if retired is not None or destroyed is not None
    ]
    stale = Q(search_key__isnull=True) | Q(search_key__in=old_keys) if old_keys else Q(search_key__isnull=True)
    return Submission.objects.filter(
        stale, organisation_id=organisation_id, withdrawn_at__isnull=True, sealed_key__isnull=False,
    )


def pending_count(*, actor: User) -> int:
    """Requests not searchable yet (counted without any key)."""
    require_permission(actor, Perm.INTAKE_TRIAGE)
    return _pending(actor.membership.organisation_id).count()


# What reports count of a request's answers (keys.facts), in this order: option values only.
REPORT_FACTS = ("region", "service_category", "force", "pressure")


def report_facts(answers: dict[str, Any]) -> list[str | None]:
    """The answers' values of REPORT_FACTS (the kinds of pressure named, comma-separated)."""
    pressure = answers.get("pressure") or []
    named = sorted({str(p) for p in pressure if p != "none"}) if isinstance(pressure, list) else []
    return [
        _code(answers.get("service_region")), _code(answers.get("service_category")), _code(answers.get("force")),
        ",".join(code for code in named if _code(code)) or None,
    ]


def _code(value: Any) -> str | None:
    """An option code as the questionnaire defines them, or None (anything else is not counted)."""
    text = str(value or "")
    return text if text and len(text) <= 32 and all(ch.isalnum() or ch in "-_" for ch in text) else None


def submission_facts_subject(submission_id: Any) -> str:
    return f"intake.submission:{submission_id}"


def _store(
    organisation_id: int, material: KeyMaterial, key: bytes, decrypted: dict[Any, dict[str, Any] | None]
) -> int:
    """Replace the digests of these requests (decrypted answers, or None: unreadable, nothing to
    index) and mark them indexed with this key, with their report facts sealed under it.
    Withdrawn meanwhile: left alone."""
    live = set(
        Submission.objects.filter(pk__in=list(decrypted), withdrawn_at__isnull=True).values_list("pk", flat=True)
    )
    SubmissionIndex.objects.filter(submission_id__in=live).delete()
    SubmissionIndex.objects.bulk_create(
        [
            SubmissionIndex(organisation_id=organisation_id, submission_id=pk, purpose=purpose,
                            digest=index_with_key(key, purpose, value))
            for pk, answers in decrypted.items() if pk in live and answers is not None
            for purpose, value in sorted(normalised_answers(answers))
        ],
        ignore_conflicts=True,
    )
    facts = {
        pk: seal_values(key, material_id=material.pk, subject=submission_facts_subject(pk),
                        values=report_facts(answers))
        for pk, answers in decrypted.items() if pk in live and answers is not None
    }
    Submission.objects.filter(pk__in=live).exclude(pk__in=list(facts)).update(search_key=material, report_facts=None)
    Submission.objects.bulk_update(
        [Submission(pk=pk, search_key=material, report_facts=sealed) for pk, sealed in facts.items()],
        ["search_key", "report_facts"], batch_size=250,
    )
    return len(live)


def _decrypt(submissions: Iterable[Submission], keyring: KeyRing) -> dict[Any, dict[str, Any] | None]:
    decrypted: dict[Any, dict[str, Any] | None] = {}
    for submission in submissions:
        try:
            decrypted[submission.pk] = services.submission_answers(submission=submission, keyring=keyring)
        except NoAccess:
            continue  # sealed to an intake key this reader does not hold: left for a colleague
        except (crypto.Tampered, KeyError, ValueError):
            decrypted[submission.pk] = None  # unreadable: nothing to index, not retried each time
    return decrypted


def submissions_index(*, actor: User, keyring: KeyRing, limit: int = INBOX_BATCH, where: str = "inbox") -> int:
    """Make the search digests of up to ``limit`` pending requests; how many were indexed.

    Nothing pending (the usual case): two small reads, no transaction, no key opened.
    """
    require_permission(actor, Perm.INTAKE_TRIAGE)
    if not _pending(actor.membership.organisation_id).exists():
        return 0
    return _index_batch(actor=actor, keyring=keyring, limit=limit, where=where)


@transaction.atomic
def _index_batch(*, actor: User, keyring: KeyRing, limit: int, where: str) -> int:
    """Locked rows are skipped (a colleague is indexing them), so two inboxes opened at once share
    the work instead of waiting for each other."""
    organisation_id = actor.membership.organisation_id
    current = _index_key(keyring, organisation_id)
    if current is None:
        return 0
    material, key = current
    batch = list(
        _pending(organisation_id)
        .select_for_update(skip_locked=True)
        .only("id", "organisation_id", "intake_key_id", "sealed_key", "answers")
        .order_by()[:limit]  # no order: found through the search_pending index, not by reading every row
    )
    if not batch:
        return 0
    done = _store(organisation_id, material, key, _decrypt(batch, keyring))
    if done:
        log_action(action="submission.indexed", actor=actor, details={"count": done, "where": where})
    return done


def submissions_index_all(*, actor: User, keyring: KeyRing, limit: int | None = None) -> int:
    """Index pending requests in batches until none is left (or ``limit``, SEARCH_LIMIT by default,
    were done)."""
    limit = SEARCH_LIMIT if limit is None else limit
    done = 0
    while done < limit:
        batch = submissions_index(actor=actor, keyring=keyring, limit=min(INBOX_BATCH, limit - done),
                                  where="search")
        if not batch:
            break
        done += batch
    return done


@transaction.atomic
def submission_index(
    *, submission: Submission, actor: User, keyring: KeyRing | None, answers: dict[str, Any] | None = None
) -> bool:
    """Index one request now (it was opened, or taken by phone with ``answers`` in hand) if it is
    pending and the actor holds the index key; whether it was indexed."""
    if keyring is None or submission.withdrawn_at is not None:
        return False
    current = _index_key(keyring, submission.organisation_id)
    if current is None:
        return False
    material, key = current
    if submission.search_key_id == material.pk:
        return False
    decrypted = _decrypt([submission], keyring) if answers is None else {submission.pk: answers}
    if not decrypted or not _store(submission.organisation_id, material, key, decrypted):
        return False
    log_action(action="submission.indexed", actor=actor, target=submission, details={"count": 1})
    return True


# --- what a search term is ----------------------------------------------------------------------

PHONE = "phone"
CONTACT_HANDLE = "contact"
SURNAME_TERM = "surname"
UNIT_TERM = "unit"
BIRTH_DATE_TERM = "birth_date"

_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PHONE = re.compile(r"^\+?[\d\s().-]+$")
# "в/ч", "в.ч.", "ВЧ", "войсковая часть" in any case ("войсковой части 12345"), "military unit".
_UNIT_WORDS = re.compile(
    r"^(?:в\s*[./\\]?\s*ч|(?:войсков|воинск)\w*\s+част\w*|част\w*|military\s+unit|unit)\.?\s*№?\s*",
    re.IGNORECASE,
)
# The unit's number, with a letter after it as some write it ("12345-А"): the number is what is indexed.
_UNIT_NUMBER = re.compile(r"^(\d{3,6})(?:\s*-?\s*[^\W\d_])?$")
_NAME = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*$")


@dataclass(frozen=True)
class SearchTerm:
    """What was asked, told by its shape: the normalised values never leave the search."""

    kind: str
    purpose: str
    values: frozenset[str] = field(repr=False)


def _born(text: str) -> str | None:
    found = _DATE.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    return normalise_birth_date(text) if _ISO_DATE.match(text) else None


def parse_term(raw: str) -> SearchTerm | None:
    """A date of birth (dd.mm.yyyy), a phone number (any writing), a unit ("в/ч 12345", "12345"),
    a messenger name or e-mail ("@name"), or a surname (any alphabet); None if it is none of these."""
    text = " ".join(raw.split())
    if not text:
        return None
    if _DATE.match(text) or _ISO_DATE.match(text):
        born = _born(text)
        return SearchTerm(BIRTH_DATE_TERM, BIRTH_DATE, frozenset({born})) if born else None
    digits = sum(ch.isdigit() for ch in text)
    if _PHONE.match(text) and digits >= 10:  # a phone number has ten digits or more
        phone = normalise_phone(text)
        return SearchTerm(PHONE, CONTACT, frozenset({phone})) if phone else None
    unit_text = _UNIT_WORDS.sub("", text)
    unit_number = _UNIT_NUMBER.match(unit_text)
    if unit_number:
        return SearchTerm(UNIT_TERM, UNIT, frozenset({unit_number[1]}))
    if "@" in text or "t.me/" in text.lower():
        handle = normalise_handle(text)
        return SearchTerm(CONTACT_HANDLE, CONTACT, frozenset({handle})) if handle else None
    surname = _first_word(text)
    if _NAME.match(surname):
        spellings = surname_spellings(surname)
        return SearchTerm(SURNAME_TERM, SURNAME, frozenset(spellings)) if spellings else None
    return None


def requests_found(*, actor: User, keyring: KeyRing, term: SearchTerm, filters: InboxFilter) -> list[Any]:
    """Ids of the actor's organisation's requests whose digests match the term, within the inbox's
    filters and in its order (at most MAX_FOUND). Raises SearchKeyMissing without the index key.

    The matches are found from the search index and ordered here: asked to order them, the
    database would walk the whole inbox in order, testing every request against the digests.
    """
    organisation_id = actor.membership.organisation_id
    current = _index_key(keyring, organisation_id)
    if current is None:
        raise SearchKeyMissing()
    _material, key = current
    digests = [index_with_key(key, term.purpose, value) for value in sorted(term.values)]
    found = list(
        inbox_for(actor=actor, filters=filters)
        .filter(search_digests__organisation_id=organisation_id, search_digests__purpose=term.purpose,
                search_digests__digest__in=digests)
        .order_by()
        .values_list("pk", "urgency", "received_at")[:MAX_FOUND]
    )  # a request matches once: it has one digest per answer, and a term's digests are of one answer
    if filters.order == "oldest":
        found.sort(key=lambda row: (row[2], str(row[0])))
    elif filters.order == "newest":
        found.sort(key=lambda row: (-row[2].timestamp(), str(row[0])))
    else:
        found.sort(key=lambda row: (-row[1], row[2], str(row[0])))
    return [pk for pk, _urgency, _received in found]


def requests_listed(*, actor: User, ids: list[Any]) -> list[Submission]:
    """The requests of a page of search results, in the results' order."""
    require_permission(actor, Perm.INTAKE_TRIAGE)
    # By id alone (with the organisation in the query the database reads the whole inbox for it):
    # the organisation is checked on each row instead.
    rows = Submission.objects.in_bulk(ids)
    organisation_id = actor.membership.organisation_id
    return [rows[pk] for pk in ids if pk in rows and rows[pk].organisation_id == organisation_id]


@transaction.atomic
def search_logged(*, actor: User, term: SearchTerm, found: int, shown: list[Submission]) -> None:
    """A search is audited by what kind of term it was and how many it found (never the term), and
    the requests listed on the page as read."""
    log_action(action="submission.searched", actor=actor, details={"by": term.kind, "found": found})
    services.submissions_read(reader=actor, submissions=shown, where="search")
