"""A saved public source: a file a team member saved from the open web (a post, a video, a page),
with where it was (URL, platform), when and with what tool it was captured and who captured it.

Every one of these is sealed under the case's key like the file's name: an address or a platform
next to a case says what the case is about. The file itself comes in through the staff upload
handler (evidence.uploads), sealed as it arrives; the item's ``captured`` event records the source
kind ``public``, and the audit log's ``evidence.added`` its source kind (all in one transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.access.services import has_record_access, record_holders, record_sealer
from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission
from defensor.cases.models import Case
from defensor.core.errors import DefensorError
from defensor.evidence.models import EvidenceItem, Source
from defensor.evidence.services import SealedBlob, item_ingest_sealed, sealed_metadata
from defensor.keys.keyring import KeyRing

# Offered as a datalist: the platform field takes any text.
PLATFORMS = ["Telegram", "VK", "YouTube", "X", "Instagram", "Odnoklassniki", "TikTok", _("website")]


class CaptureInFuture(DefensorError):
    user_message = _("The time of capture cannot be in the future. Nothing was saved.")


class CapturerNotInTeam(DefensorError):
    user_message = _("The person who captured it must be on the case's team. Nothing was saved.")


@dataclass(frozen=True)
class PublicSource:
    """What the form says about the saved file (all of it sealed on the item)."""

    url: str
    platform: str
    captured_at: datetime
    captured_with: str
    captured_by: User
    description: str = ""

    def __repr__(self) -> str:
        return "<PublicSource>"


def case_team(*, case: Case) -> list[User]:
    """Who may be named as the capturer: active members who hold the case and work on cases."""
    return [user for user in record_holders(material=case.data_key) if has_permission(user, Perm.CASES_WORK)]


def public_source_add(*, case: Case, sealed: SealedBlob, name: str, source: PublicSource, added_by: User,
                      keyring: KeyRing) -> EvidenceItem:
    """Record a sealed file as a saved public source of ``case``; the blob is removed if refused."""
    try:
        if source.captured_at > timezone.now():
            raise CaptureInFuture()
        capturer = source.captured_by
        if not (capturer.is_active and has_permission(capturer, Perm.CASES_WORK)
                and has_record_access(user=capturer, material=case.data_key)):
            raise CapturerNotInTeam()
        sealed_metadata(sealed)  # the parser's time outside the transaction
        with transaction.atomic():
            item = item_ingest_sealed(
                case=case, source=Source.PUBLIC, sealed=sealed, name=name, added_by=added_by, keyring=keyring,
                url=source.url, platform=source.platform, captured_at=source.captured_at,
                captured_with=source.captured_with)
            item.encrypt(record_sealer(material=case.data_key, keyring=keyring), captured_by=str(capturer.pk),
                         description=source.description.strip() or None)
            # Part of the add that ``evidence.added`` audits, in its transaction.
            item.save(update_fields=["captured_by", "description"])
    except BaseException:
        sealed.stored.path.unlink(missing_ok=True)  # the rows rolled back; the sealed blob must go too
        raise
    return item
