"""The request page's file list says what the case page says of a PDF: it was checked for visible
scripts only (docs/security.md), so a lawyer does not take "no warning" for more than it is."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from django.test import Client

from defensor.accounts.models import User
from defensor.intake.models import Submission
from tests.conftest import OrganisationKit, attach_file
from tests.intake_visitor import PDF, IntakeVisitor

pytestmark = pytest.mark.django_db


def test_a_requests_pdf_is_marked_checked_for_visible_scripts_only_and_other_files_are_not(
    org_kit: OrganisationKit, anna: User, verified_client: Callable[[User], Client]
) -> None:
    visitor = IntakeVisitor()
    visitor.start()
    visitor.fill_all(files=[("приказ.pdf", PDF)])
    visitor.submit()
    submission = Submission.objects.get()
    attach_file(submission, "пояснение.txt", "Меня перевели без приказа".encode())
    page = html.unescape(verified_client(anna).get(f"/staff/inbox/{submission.pk}/").content.decode())
    rows = re.findall(r'<tr data-testid="file">(.*?)</tr>', page, flags=re.S)
    assert len(rows) == 2
    pdf_row, text_row = rows
    assert "application/pdf" in pdf_row
    assert "проверен только на видимые скрипты" in pdf_row
    assert 'data-testid="pdf-visible-only"' not in text_row
    assert page.count('data-testid="pdf-visible-only"') == 1
