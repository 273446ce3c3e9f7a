"""Logging that cannot leak personal data.

Exception messages can carry the values that caused them (an IntegrityError quotes the row,
a ValueError the input), so they are replaced by the exception's type. Records that carry
the request object lose it, and arguments are rendered only for our own loggers.
"""

from __future__ import annotations

import logging
import re
import traceback


def _redacted_traceback(exc_info: tuple[type[BaseException], BaseException, object]) -> str:
    exc_type, exc, _tb = exc_info
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
    return "Traceback (most recent call last):\n" + "\n".join(lines) + f"\n{exc_type.__name__}: <redacted>"


# Loggers whose arguments are request paths, status codes, or the background worker's task ids,
# task paths, states and worker ids (tasks take ids only: docs/architecture.md), never bodies,
# query strings or headers.
ARGUMENTS_ALLOWED = ("defensor", "django.request", "django_tasks", "django_tasks_db")

# printf-style placeholders: %s, %r, %d, %(name)s, %5.2f ...; "%%" is a literal percent sign.
_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def _without_arguments(message: str) -> str:
    """A third-party message whose arguments we do not control: each placeholder says what it hid."""
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else "<redacted>", message)


def _security_message(record: logging.LogRecord) -> tuple[str, tuple[object, ...] | None]:
    """django.security messages quote what the client sent (the Host header, the Origin or Referer
    in a CSRF failure, a file name): keep what kind of check failed, never the values."""
    if record.name == "django.security.csrf" and isinstance(record.args, tuple) and len(record.args) == 2:
        reason, path = record.args
        # Django's reasons read "Origin checking failed - <the client's Origin> does not match ...".
        return "Forbidden (%s): %s", (str(reason).split(" - ", 1)[0], path)
    kind = record.name.rsplit(".", 1)[-1]
    return f"{kind}: details withheld (they quote what the client sent)", None


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = _redacted_traceback(record.exc_info)
            record.exc_info = None
        if record.name.startswith("django.security"):
            record.msg, record.args = _security_message(record)
        elif record.args and not record.name.startswith(ARGUMENTS_ALLOWED):
            record.msg = _without_arguments(str(record.msg))
            record.args = None
        return True
