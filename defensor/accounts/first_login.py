"""How the first administrator learns their one-time password.

On a terminal it is printed once. When `serve` runs under a service manager, whatever it prints
ends up in a system journal that may be copied, so the password goes instead to a file only the
service's user can read, and the file is removed as soon as that password has been replaced.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def note_path(username: str) -> Path:
    return Path(settings.DATA_DIR) / f"first-login-{username}.txt"


def write_note(username: str, text: str) -> Path:
    path = note_path(username)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def remove_note(username: str) -> None:
    note_path(username).unlink(missing_ok=True)
