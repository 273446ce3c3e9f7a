"""The intake's hot path writes and reads rows with SQL made once (defensor/core/statements.py):
the rows must be the ones the ORM writes, and the key a request is sealed to the open one."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from defensor.access.services import rotate_intake_key
from defensor.core import statements
from defensor.core.models import Organisation
from defensor.intake import services
from defensor.intake.models import Message, Submission
from defensor.intake.questionnaire import default_questionnaire
from defensor.keys.models import KeyKind, KeyMaterial
from tests.conftest import OrganisationKit
from tests.intake_visitor import DEFAULT_ANSWERS

pytestmark = pytest.mark.django_db(transaction=True)

ANSWERS = {k: v for step in DEFAULT_ANSWERS.values() for k, v in step.items()}


def _receive(organisation: Organisation | None = None, receipt: str = "1" * 25) -> Submission:
    with transaction.atomic():
        return services.submission_receive(
            questionnaire=default_questionnaire(), answers=ANSWERS, files=[], language="ru", receipt=receipt,
            organisation=organisation,
        ).submission


def test_an_inserted_row_reads_back_as_the_orm_would_have_written_it(org_kit: OrganisationKit) -> None:
    submission = _receive()
    stored = Submission.objects.get(pk=submission.pk)
    for field in Submission._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(submission, field.attname), field.name
    assert stored.organisation_id == org_kit.organisation.pk

    with transaction.atomic():
        fast = statements.insert(Message(submission=stored, from_team=True, for_team=b"\x00sealed"))
        slow = Message.objects.create(submission=stored, from_team=True, for_team=b"\x00sealed")
    assert fast.pk is not None
    assert fast.pk != slow.pk
    assert fast.created_at is not None  # auto_now_add, set on the instance as save() sets it
    columns = ["submission_id", "from_team", "author_id", "automatic", "for_team", "for_submitter"]
    assert Message.objects.filter(pk=fast.pk).values(*columns).get() == Message.objects.filter(
        pk=slow.pk).values(*columns).get()
    assert Message.objects.get(pk=fast.pk).created_at == fast.created_at


def test_a_request_is_sealed_to_the_open_intake_key_not_a_retired_one(org_kit: OrganisationKit) -> None:
    with transaction.atomic():
        new = rotate_intake_key(organisation=org_kit.organisation, recovery_key=org_kit.recovery_key)
    submission = _receive()
    assert submission.intake_key_id == new.pk
    assert submission.organisation.name == org_kit.organisation.name  # the deferred organisation loads


def test_with_no_open_intake_key_nothing_is_received(org_kit: OrganisationKit) -> None:
    KeyMaterial.objects.filter(kind=KeyKind.INTAKE).update(retired_at=timezone.now())
    with pytest.raises(services.IntakeClosed):
        _receive()
    with pytest.raises(services.IntakeClosed):
        _receive(organisation=org_kit.organisation)
    assert not Submission.objects.exists()


def test_a_visit_is_known_once_received(org_kit: OrganisationKit) -> None:
    visit = uuid.uuid4()
    assert not services.visit_received(visit)
    with transaction.atomic():
        services.submission_receive(
            questionnaire=default_questionnaire(), answers=ANSWERS, files=[], language="ru", receipt="2" * 25,
            submission_id=visit,
        )
    assert services.visit_received(visit)
    assert not services.visit_received(uuid.uuid4())


def test_a_loaded_instance_reads_its_other_fields_when_used(org_kit: OrganisationKit) -> None:
    material = KeyMaterial.objects.get(kind=KeyKind.INTAKE)
    loaded = statements.loaded(KeyMaterial, public_key=bytes(material.public_key or b""), id=material.pk)
    assert loaded.public_key == bytes(material.public_key or b"")
    assert loaded.kind == KeyKind.INTAKE
    assert loaded.organisation_id == org_kit.organisation.pk
    with pytest.raises(TypeError):
        statements.loaded(KeyMaterial, no_such_field=1)
