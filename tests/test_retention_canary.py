"""P1 after erasure: once the retention run has erased a spam request, nothing of it is left in the
data directory (database, write-ahead log, attachments) or, on PostgreSQL, in a dump: not its
answers or file in the clear, and not even its ciphertexts or its sealed key, which the recovery
key or an intake key holder could otherwise still open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from defensor.accounts.models import User
from defensor.intake import services as intake
from defensor.intake.models import Attachment, Message, Status, Submission
from defensor.intake.uploads import attachment_path
from defensor.retention.services import retention_run
from tests.canary import Canaries, files_under, pg_dump, scan, scan_bytes
from tests.conftest import require_tool
from tests.intake_visitor import DEFAULT_ANSWERS, IntakeVisitor


def _everything(canaries: Canaries) -> list[str]:
    hits = scan(files_under(Path(settings.DATA_DIR)), canaries)
    if connection.vendor == "postgresql":
        dump = pg_dump(str(connection.settings_dict["NAME"]), connection.settings_dict, require_tool("pg_dump"))
        hits += scan_bytes("pg_dump", dump, canaries)
    return hits


@pytest.mark.django_db(transaction=True)  # committed for real: SQLite's log is folded back after the commit
def test_nothing_of_an_erased_spam_request_remains_in_the_data_directory_or_a_dump(
    make_user: Callable[..., User],
) -> None:
    from defensor.accounts.models import Role

    anna = make_user("anna", Role.LAWYER)
    canaries = Canaries()
    answers = {step: dict(values) for step, values in DEFAULT_ANSWERS.items()}
    answers["about"]["order_description"] = canaries.new("приказ")
    answers["contact"]["phone"] = canaries.phone()
    file_canary = canaries.new("в-файле")
    visitor = IntakeVisitor(language="ru")
    visitor.start()
    visitor.fill_all(answers, files=[("рапорт.pdf", f"%PDF-1.4\n{file_canary}\n%%EOF\n".encode())])
    canaries.strings.append(visitor.submit())
    submission = Submission.objects.get()
    attachment = Attachment.objects.get(submission=submission)
    file_path = attachment_path(str(attachment.pk))

    intake.submission_status_set(submission=submission, status=Status.SPAM, changed_by=anna)
    Submission.objects.filter(pk=submission.pk).update(status_changed_at=timezone.now() - timedelta(days=31))
    # What would still open it: the sealed data key and every ciphertext, each hunted in every encoding.
    sealed = Canaries(secrets=[bytes(submission.sealed_key or b""), bytes(submission.answers or b"")[:64],
                               bytes(attachment.file_key or b""), file_path.read_bytes()[:64],
                               *(bytes(m.for_team)[:64] for m in Message.objects.filter(submission=submission))])
    assert all(len(secret) >= 32 for secret in sealed.secrets)
    # The scanner sees them before (so it would see them after, if they were left).
    assert _everything(sealed), "the ciphertexts should be found before the erasure"
    assert not _everything(canaries), "no plaintext even before: sealed on arrival"

    report = retention_run(organisation=submission.organisation)
    assert [item.id for item in report.erased] == [str(submission.pk)]
    assert not file_path.exists()
    hits = _everything(sealed) + _everything(canaries)
    assert not hits, "\n".join(hits)
