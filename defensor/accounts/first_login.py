"""How the first administrator learns their one-time password.

On a terminal it is printed once. When `serve` runs under a service manager, whatever it prints
ends up in a system journal that may be copied, so the password goes instead to a file only the
service's user can read, and the file is removed as soon as that password has been replaced.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from defensor.core.files import write_private


def note_path(username: str) -> Path:
    return Path(settings.DATA_DIR) / f"first-login-{username}.txt"


def write_note(username: str, text: str) -> Path:
    return write_private(note_path(username), text)


def remove_note(username: str) -> None:
    note_path(username).unlink(missing_ok=True)
