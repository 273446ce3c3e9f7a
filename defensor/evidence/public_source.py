"""A saved public source: a file a team member saved from the open web (a post, a video, a page),
with where it was (URL, platform), when and with what tool it was captured and who captured it.

Every one of these is sealed under the case's key like the file's name: an address or a platform
next to a case says what the case is about. The file itself comes in through the staff upload
handler (evidence.uploads), sealed as it arrives; the item's ``captured`` event records the source
kind ``public``, and the audit log's ``evidence.added`` its source kind (all in one transaction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
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


# The time zones offered beside the time of capture (where our lawyers and their sources are); the
# server's own zone is offered too, and is the default.
CAPTURE_ZONES = ["Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
                 "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok",
                 "Asia/Magadan", "Asia/Kamchatka", "Asia/Tbilisi", "Asia/Yerevan", "Asia/Almaty", "Europe/Berlin",
                 "Europe/Vilnius", "Europe/Riga", "Europe/Warsaw", "UTC"]


def server_zone() -> str:
    return str(settings.TIME_ZONE or "UTC")


def capture_zones() -> list[str]:
    zones = list(CAPTURE_ZONES)
    if server_zone() not in zones:
        zones.insert(0, server_zone())
    return zones


def _utc_offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def capture_shown(captured_at: str | None, zone: str | None) -> str:
    """The sealed time of capture (ISO 8601, UTC) as dd.mm.yyyy HH:MM in the zone it was given in,
    with that zone: "03.11.2025 10:00 (Asia/Tbilisi, UTC+04:00)". An item recorded before the zone
    was asked for is shown in the reader's zone, which is named. As stored if it is not a time."""
    if not captured_at:
        return ""
    try:
        moment = datetime.fromisoformat(captured_at)
    except ValueError:
        return captured_at
    name = zone or timezone.get_current_timezone_name()
    try:
        place = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        name, place = "UTC", ZoneInfo("UTC")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    local = moment.astimezone(place)
    said = "UTC" if name == "UTC" else f"{name}, {_utc_offset(local)}"
    return f"{local:%d.%m.%Y %H:%M} ({said})"


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
    captured_zone: str = ""  # the zone the time was given in (CAPTURE_ZONES), shown with it on the item page

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
                url=source.url, platform=source.platform, captured_at=source.captured_at.astimezone(UTC),
                captured_with=source.captured_with)
            # The instant is sealed in UTC; the zone it was given in goes with the item's metadata.
            metadata = json.loads(sealed_metadata(sealed))
            metadata["captured_zone"] = source.captured_zone or server_zone()
            item.encrypt(record_sealer(material=case.data_key, keyring=keyring), captured_by=str(capturer.pk),
                         description=source.description.strip() or None,
                         metadata=json.dumps(metadata, ensure_ascii=False))
            # Part of the add that ``evidence.added`` audits, in its transaction.
            item.save(update_fields=["captured_by", "description", "metadata"])
    except BaseException:
        sealed.stored.path.unlink(missing_ok=True)  # the rows rolled back; the sealed blob must go too
        raise
    return item
