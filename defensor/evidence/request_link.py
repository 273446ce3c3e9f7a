"""The request page asks which of its files are evidence items (``cases.signals.evidence_for_files``):
intake sits below this app and cannot read its items, and a file that is evidence must be downloaded
through its item, so that its chain of custody records who took a copy."""

from __future__ import annotations

from collections.abc import Iterable

from defensor.accounts.models import User
from defensor.accounts.permissions import Perm, has_permission
from defensor.cases.models import Case
from defensor.cases.selectors import cases_for
from defensor.evidence.models import EvidenceItem


def items_of_request_files(sender: object, *, case: Case, attachment_ids: Iterable[str], reader: User,
                       **_: object) -> dict[str, tuple[str, int]]:
    """``{attachment_id: (item_id, number)}`` for ``case``'s items made of these files, if ``reader``
    may open the case's evidence (works on cases and holds this one); otherwise nothing."""
    ids = [str(i) for i in attachment_ids]
    if not ids or not has_permission(reader, Perm.CASES_WORK):
        return {}
    if not cases_for(actor=reader).filter(pk=case.pk).exists():
        return {}
    items = EvidenceItem.objects.filter(case=case, attachment_id__in=ids).values_list("attachment_id", "pk", "number")
    return {str(attachment_id): (str(item_id), int(number)) for attachment_id, item_id, number in items}
