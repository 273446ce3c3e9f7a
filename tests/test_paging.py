"""Every list that pages answers any ?page= with a page, never an error: a number too large for
the database, negative, a float or words (issue 15: ?page=99999999999999999999999 gave 500)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.cases import services as cases
from defensor.core.views import LAST_PAGE
from tests.conftest import keyring_of

ODD_PAGES = ["99999999999999999999999", str(LAST_PAGE + 1), "-5", "0", "1e999", "NaN", "два", "", "3"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/staff/cases/", "/staff/inbox/", "/staff/audit/"])
def test_every_paged_list_answers_any_page_number(
    path: str, olga: User, anna: User, verified_client: Callable[[User], Client],
) -> None:
    client = verified_client(olga if path == "/staff/audit/" else anna)
    for page in ODD_PAGES:
        response = client.get(path, {"page": page})
        assert response.status_code == 200, (path, page)


@pytest.mark.django_db
def test_a_page_past_the_end_of_the_case_list_is_empty_and_the_first_still_lists(
    anna: User, verified_client: Callable[[User], Client],
) -> None:
    case = cases.case_open(opened_by=anna, keyring=keyring_of(anna), title="Отказ от командировки")
    client = verified_client(anna)
    assert case.number in client.get("/staff/cases/", {"page": "1"}).content.decode()
    far = client.get("/staff/cases/", {"page": "99999999999999999999999"}).content.decode()
    assert case.number not in far
    assert f"page={LAST_PAGE - 1}" in far  # the way back is offered
