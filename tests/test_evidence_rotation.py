"""Rotating a case's data key (`defensor keys rotate --records`) re-seals its evidence: every item
downloads byte for byte afterwards, and `defensor evidence verify` still finds every chain intact
(the blob's key was an AEAD blob beside the sealed fields and stayed under the destroyed key)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.test import Client

from defensor.access.services import rotate_record_key
from defensor.accounts.models import User
from defensor.cases.models import Case
from defensor.cases.services import case_open
from defensor.evidence.models import Source
from defensor.evidence.services import custody_verify, item_ingest
from tests.conftest import OrganisationKit, keyring_of

pytestmark = pytest.mark.django_db
CONTENT = b"%PDF-1.4\n" + bytes(range(256)) * 4000


def test_a_rotated_case_key_leaves_its_evidence_readable_and_its_chains_intact(
    anna: User, org_kit: OrganisationKit, verified_client: Callable[[User], Client]
) -> None:
    keyring = keyring_of(anna)
    case = case_open(opened_by=anna, keyring=keyring, title="Дело", kind="military_admin")
    item = item_ingest(case=case, source=Source.UPLOAD, stream=io.BytesIO(CONTENT), name="приказ.pdf",
                       added_by=anna, keyring=keyring)
    old_key = case.data_key_id

    rotate_record_key(material=case.data_key, recovery_key=org_kit.recovery_key)
    case = Case.objects.get(pk=case.pk)
    assert case.data_key_id != old_key

    response = verified_client(anna).get(f"/staff/cases/{case.pk}/evidence/{item.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT  # type: ignore[attr-defined]
    assert custody_verify() == []
