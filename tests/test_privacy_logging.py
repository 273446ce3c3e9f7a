"""Nothing about a client's network or device, and no exception message, reaches a log."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client

from defensor.core.logging import RedactingFilter
from defensor.core.middleware import ForgetClientMiddleware

LOGGING: dict[str, Any] = settings.LOGGING
CANARY = "CANARY-Иванов-+79161234567"


@pytest.fixture
def captured_log() -> Iterator[io.StringIO]:
    """The production handler configuration (stderr handler with the redacting filter), into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter(LOGGING["formatters"]["plain"]["format"]))
    root = logging.getLogger()
    django_logger = logging.getLogger("django")
    root.addHandler(handler)
    django_logger.addHandler(handler)
    yield stream
    root.removeHandler(handler)
    django_logger.removeHandler(handler)


def test_exception_messages_are_not_logged(captured_log: io.StringIO) -> None:
    try:
        raise ValueError(f"bad value {CANARY}")
    except ValueError:
        logging.getLogger("somelib").exception("failed on %s", CANARY)
    output = captured_log.getvalue()
    assert CANARY not in output
    assert "ValueError: <redacted>" in output
    assert "test_privacy_logging.py" in output  # where it happened is still useful


def test_client_address_and_browser_are_removed_before_any_code_sees_them() -> None:
    seen: dict[str, object] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen.update(request.META)
        return HttpResponse("ok")

    request = HttpRequest()
    request.META = {"REMOTE_ADDR": "198.51.100.9", "HTTP_USER_AGENT": "TorBrowser", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}
    ForgetClientMiddleware(view)(request)
    assert "REMOTE_ADDR" not in seen
    assert "HTTP_USER_AGENT" not in seen
    assert "HTTP_X_FORWARDED_FOR" not in seen


@pytest.mark.django_db
def test_a_crashing_request_logs_no_query_address_or_exception_text(captured_log: io.StringIO) -> None:
    from unittest import mock

    client = Client(REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="CanaryAgent", raise_request_exception=False)
    with mock.patch("defensor.intake.views.render", side_effect=ValueError(f"could not render {CANARY}")):
        response = client.get(f"/?q={CANARY}")
    assert response.status_code == 500
    assert CANARY not in response.content.decode()
    output = captured_log.getvalue()
    assert "Internal Server Error: /" in output  # the event itself is logged...
    assert "ValueError: <redacted>" in output
    assert "198.51.100.9" not in output  # ...without who, what was typed, or what the error said
    assert "CanaryAgent" not in output
    assert CANARY not in output


def test_the_configured_handlers_redact() -> None:
    handler_filters = LOGGING["handlers"]["stderr"]["filters"]
    assert handler_filters == ["redact"]
    assert LOGGING["loggers"]["django.server"]["handlers"] == []


@pytest.mark.django_db
def test_a_forged_host_header_is_logged_without_its_value(captured_log: io.StringIO) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/", HTTP_HOST="canary-host-ivanov.example")
    assert response.status_code == 400
    output = captured_log.getvalue()
    assert "DisallowedHost: details withheld" in output  # the operator still sees what happened...
    assert "canary-host-ivanov" not in output  # ...not what the client sent


@pytest.mark.django_db
def test_a_foreign_origin_is_logged_without_its_value(captured_log: io.StringIO) -> None:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/request/")  # the intake's CSRF cookie
    response = client.post("/request/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
                           HTTP_ORIGIN="https://canary-origin-ivanov.example")
    assert response.status_code == 403
    output = captured_log.getvalue()
    assert "Forbidden (Origin checking failed): /request/" in output
    assert "canary-origin-ivanov" not in output


def test_third_party_messages_keep_their_words_and_lose_their_values(captured_log: io.StringIO) -> None:
    logging.getLogger("somelib.worker").warning("Starting worker worker_id=%s queues=%s (%d%%)", CANARY, CANARY, 5)
    logging.getLogger("somelib.named").warning("got %(value)r", {"value": CANARY})
    output = captured_log.getvalue()
    assert CANARY not in output
    assert "Starting worker worker_id=<redacted> queues=<redacted> (<redacted>%)" in output
    assert "got <redacted>" in output
    assert "%s" not in output
    # The background worker's own lines carry task ids, paths and states only: kept readable.
    # (Through the filter itself: the worker's command reconfigures its loggers when it runs.)
    record = logging.LogRecord("django_tasks", logging.INFO, __file__, 1, "Task id=%s path=%s state=%s",
                               ("42", "defensor.x.task", "SUCCESSFUL"), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "Task id=42 path=defensor.x.task state=SUCCESSFUL"
