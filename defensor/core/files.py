"""Files only the service's user may read, and removal that overwrites first."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (never world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def shred(path: Path) -> bool:
    """Overwrite with random bytes, flush, then remove. Returns whether there was a file.

    Best effort on SSDs and copy-on-write file systems (docs/security.md).
    """
    if not path.exists():
        return False
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.write(secrets.token_bytes(size))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    return True
