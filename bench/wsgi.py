"""The server under test for bench/intake.py: the whole project, plus a bare view at /bare/.

The bare view does only the essential work of an intake POST — parse a form, seal it to the
intake public key, insert one row, answer one line — with no Django request handling, no
middleware and no templates. It runs in the same server processes as the project, so the ratio
of the two is a fair measure of what the project adds.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.wsgi import get_wsgi_application

project = get_wsgi_application()

from django.db import connection, transaction  # noqa: E402
from django.http import QueryDict  # noqa: E402

from defensor.keys import crypto  # noqa: E402
from defensor.keys.models import KeyKind, KeyMaterial  # noqa: E402

_public_key: bytes | None = None


def _intake_public_key() -> bytes:
    global _public_key
    if _public_key is None:
        material = KeyMaterial.objects.get(kind=KeyKind.INTAKE, retired_at__isnull=True)
        _public_key = bytes(material.public_key or b"")
    return _public_key


def bare(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    form = QueryDict(body, encoding="utf-8")
    payload = "\n".join(f"{k}={v}" for k, v in form.lists()).encode()
    sealed = crypto.seal(_intake_public_key(), payload)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare (body) VALUES (%s)", [sealed])
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "3")])
    return [b"ok\n"]


def application(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO", "").startswith("/bare/"):
        return bare(environ, start_response)
    return project(environ, start_response)
