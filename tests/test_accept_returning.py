"""A person who left a group claim writes again and the lawyer accepts the new request into the
same claim: their status stays as it is (coming back is the lawyer's decision, on the roster), and
the page says so instead of silently reusing the old membership."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from defensor.accounts.models import User
from defensor.cases.models import Claimant, ClaimantStatus
from defensor.cases.services import claimants_status_set
from defensor.intake import services as intake
from defensor.intake.models import Submission
from tests.conftest import keyring_of

pytestmark = pytest.mark.django_db
MakeSubmission = Callable[..., Submission]


def test_accepting_a_returning_person_into_the_claim_they_left_says_so_and_changes_nothing(
    anna: User, make_submission: MakeSubmission, verified_client: Callable[[User], Client]
) -> None:
    keyring = keyring_of(anna)
    first = intake.submission_accept(submission=make_submission(full_name="Лебедев Антон Маратович"),
                                     accepted_by=anna, keyring=keyring, group=True, case_kind="special_rank")
    claimants_status_set(case=first.case, claimant_ids=[first.claimant.pk], recorded_by=anna, keyring=keyring,
                         status=ClaimantStatus.WITHDRAWN, effective_on=timezone.localdate(), reason="family")
    again = make_submission(full_name="Лебедев Антон Маратович")

    client = verified_client(anna)
    page = client.post(f"/staff/inbox/{again.pk}/accept/",
                       {"person": str(first.person.pk), "case": str(first.case.pk)}, follow=True)
    assert page.status_code == 200
    text = page.content.decode()
    assert "уже не участвует в иске (вышел из иска с" in text or "had left the claim" in text, text[-3000:]
    claimant = Claimant.objects.get(pk=first.claimant.pk)
    assert claimant.status == ClaimantStatus.WITHDRAWN
    assert Claimant.objects.filter(case=first.case).count() == 1
