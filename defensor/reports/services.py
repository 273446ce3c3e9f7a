"""Writes of the reports app: preparing records for counting, releases, the public page."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission, require_permission
from defensor.audit.services import log_action
from defensor.core.errors import InvalidOperation
from defensor.core.models import Organisation
from defensor.intake.search import submissions_index_all
from defensor.keys import facts
from defensor.keys.keyring import KeyRing
from defensor.keys.models import KeyMaterial
from defensor.people.services import persons_report_facts_make
from defensor.reports.models import Release
from defensor.reports.publication import sealed_json
from defensor.reports.selectors import index_key, persons_waiting, release_payload, report_for
from defensor.reports.tables import Quarter

# Records prepared per page view at most (the rest on the next one: the page says how many wait).
PREPARE_LIMIT = 5_000


@dataclass(frozen=True)
class Prepared:
    requests: int
    records: int


def report_prepare(*, actor: User, keyring: KeyRing) -> Prepared:
    """Make the report facts the reader's keys can make: requests not indexed yet (as a search
    does) and person records written before reports counted them or since the index key changed."""
    require_permission(actor, Perm.REPORTS_VIEW)
    index_key(actor=actor, keyring=keyring)
    requests = 0
    if has_permission(actor, Perm.INTAKE_TRIAGE):
        requests = submissions_index_all(actor=actor, keyring=keyring, limit=PREPARE_LIMIT)
    waiting = persons_waiting(actor=actor, keyring=keyring, limit=PREPARE_LIMIT)
    records = persons_report_facts_make(actor=actor, keyring=keyring, person_ids=waiting) if waiting else 0
    return Prepared(requests, records)


@transaction.atomic
def report_viewed(*, actor: User, first: Quarter, last: Quarter) -> None:
    log_action(action="report.viewed", actor=actor, details={"first": first.key, "last": last.key})


class ReleaseNotReady(InvalidOperation):
    user_message = _(
        "Not released: some requests or person records are not prepared for counting yet. "
        "Open the report again to prepare them, or ask a colleague who holds their keys."
    )


class ReleaseWouldReveal(InvalidOperation):
    user_message = _(
        "Not released: for this period some tables would reveal a small change against an earlier release. "
        "Choose another period."
    )


class PublicPageOff(InvalidOperation):
    user_message = _("The public reports page is switched off on this server (DEFENSOR_PUBLIC_REPORTS).")


@transaction.atomic
def release_make(*, actor: User, keyring: KeyRing, first: Quarter, last: Quarter) -> Release:
    """Freeze the report for ``first``…``last`` as the next numbered release."""
    require_permission(actor, Perm.REPORTS_VIEW)
    organisation = Organisation.objects.select_for_update().get(pk=actor.membership.organisation_id)
    report = report_for(actor=actor, keyring=keyring, first=first, last=last)
    if report.requests_waiting or report.records_waiting or report.unreadable:
        raise ReleaseNotReady()
    if report.refused:
        raise ReleaseWouldReveal()
    material, key = index_key(actor=actor, keyring=keyring)
    number = (Release.objects.filter(organisation=organisation).aggregate(n=Max("number"))["n"] or 0) + 1
    release = Release(
        organisation=organisation, number=number, first_quarter=report.first.key, last_quarter=report.last.key,
        threshold=report.threshold, base=report.base, sealed_key=material, created_by=actor,
    )
    release.sealed = facts.seal_json(
        key, material_id=material.pk, subject=release.facts_subject(),
        payload=sealed_json(report.protected, threshold=report.threshold, base=report.base),
    )
    release.save()
    log_action(
        action="report.released", actor=actor, target=release,
        details={"number": number, "first": report.first.key, "last": report.last.key},
    )
    return release


@transaction.atomic
def release_set_public(*, actor: User, keyring: KeyRing, release: Release, public: bool) -> Release:
    """Put a release on the public page (its published numbers only, in the clear) or take it off."""
    require_permission(actor, Perm.REPORTS_PUBLISH)
    if release.organisation_id != actor.membership.organisation_id:
        raise InvalidOperation()
    if public and not settings.DEFENSOR_PUBLIC_REPORTS:
        raise PublicPageOff()
    if public:
        payload = release_payload(release=release, keyring=keyring)
        for table in payload["tables"].values():
            table.pop("counts", None)
        release.public_tables = payload
        release.made_public_at = timezone.now()
    else:
        release.public_tables = None
        release.made_public_at = None
    release.save(update_fields=["public_tables", "made_public_at"])
    log_action(
        action="report.made_public" if public else "report.made_private", actor=actor, target=release,
        details={"number": release.number},
    )
    return release


@transaction.atomic
def release_exported(*, actor: User, release: Release, file_format: str) -> None:
    require_permission(actor, Perm.REPORTS_VIEW)
    log_action(action="report.exported", actor=actor, target=release,
               details={"number": release.number, "format": file_format})


def releases_reseal(
    organisation_id: int, old: KeyMaterial, old_key: bytes, new: KeyMaterial, new_key: bytes
) -> None:
    """Rotation of the index key (access.services.rotate_index_key): every release sealed with
    the old key is sealed again with the new one, in the rotation's transaction."""
    for release in Release.objects.filter(organisation_id=organisation_id, sealed_key=old):
        payload = facts.open_json(old_key, material_id=old.pk, subject=release.facts_subject(), sealed=release.sealed)
        if payload is None:
            continue  # damaged: left as it is (and reported unreadable when opened)
        release.sealed = facts.seal_json(new_key, material_id=new.pk, subject=release.facts_subject(),
                                         payload=payload)
        release.sealed_key = new
        release.save(update_fields=["sealed", "sealed_key"])
