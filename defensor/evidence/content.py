"""The content scanner lives in ``defensor.core.content`` (intake lists its attachments with it too,
and intake sits below evidence); its names stay importable from here."""

from __future__ import annotations

from defensor.core.content import ACTIVE_REASONS, ARCHIVES, HEAD_BYTES, ContentScan

__all__ = ["ACTIVE_REASONS", "ARCHIVES", "HEAD_BYTES", "ContentScan"]
