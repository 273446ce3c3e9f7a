"""DOCX files for tests: a template or a document of plain paragraphs."""

from __future__ import annotations

import io

from docx import Document


def docx_of(*paragraphs: str) -> bytes:
    """A DOCX with one paragraph per argument (Jinja tags in them make it a template)."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
