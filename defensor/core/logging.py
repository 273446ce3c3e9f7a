"""Logging that cannot leak personal data.

Exception messages can carry the values that caused them (an IntegrityError quotes the row,
a ValueError the input), so they are replaced by the exception's type. Records that carry
the request object lose it, and arguments are rendered only for our own loggers.
"""

from __future__ import annotations

import logging
import traceback


def _redacted_traceback(exc_info: tuple[type[BaseException], BaseException, object]) -> str:
    exc_type, exc, _tb = exc_info
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
    return "Traceback (most recent call last):\n" + "\n".join(lines) + f"\n{exc_type.__name__}: <redacted>"


# Loggers whose arguments are request paths and status codes only (never bodies or query strings).
ARGUMENTS_ALLOWED = ("defensor", "django.request", "django.security")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = _redacted_traceback(record.exc_info)
            record.exc_info = None
        if record.args and not record.name.startswith(ARGUMENTS_ALLOWED):
            # Third-party messages are formatted with arguments we do not control.
            record.msg = f"{record.msg} <arguments redacted>"
            record.args = None
        return True
