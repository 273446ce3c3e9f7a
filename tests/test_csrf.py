"""The public pages' CSRF tokens (defensor/core/csrf.py) are Django's: the whole intake goes
through with the check enforced, and a wrong token is still refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.middleware import csrf as django_csrf
from django.test import Client, RequestFactory

from defensor.core.csrf import get_token
from defensor.intake.models import Submission
from tests.intake_visitor import IntakeVisitor

pytestmark = pytest.mark.django_db

unmask: Callable[[str], str] = django_csrf._unmask_cipher_token  # type: ignore[attr-defined]  # Django's check


def test_a_person_sends_a_request_with_the_csrf_check_enforced(anna: object) -> None:
    visitor = IntakeVisitor(client=Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="ru"))
    visitor.start()
    visitor.fill_all()
    receipt = visitor.submit()
    assert receipt
    assert Submission.objects.count() == 1


def test_a_page_sent_with_a_wrong_token_is_refused(anna: object) -> None:
    visitor = IntakeVisitor(client=Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="ru"))
    visitor.start()
    token = visitor.page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    visitor.post({"csrfmiddlewaretoken": token[:32] + token[:32], "address_as": "Андрей"})
    assert visitor.status == 403


def test_a_token_unmasks_to_the_secret_and_each_page_gets_another() -> None:
    request = RequestFactory().get("/")
    first = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert len(secret) == django_csrf.CSRF_SECRET_LENGTH
    assert len(first) == django_csrf.CSRF_TOKEN_LENGTH
    assert set(first) <= set(django_csrf.CSRF_ALLOWED_CHARS)
    second = get_token(request)
    assert second != first  # a new mask each time (BREACH)
    assert unmask(first) == secret
    assert unmask(second) == secret
    assert request.META["CSRF_COOKIE"] == secret  # the visitor's secret stays


def test_an_existing_secret_is_kept() -> None:
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "a" * django_csrf.CSRF_SECRET_LENGTH
    assert unmask(get_token(request)) == "a" * 32
