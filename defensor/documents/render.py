"""Filling a DOCX template (docxtpl, Jinja2 with every name required: a misspelt placeholder is an
error, never an empty gap in a court document), and PDF through LibreOffice when it is installed.
The DOCX never touches the disk: the PDF conversion works in a private directory in memory
(/dev/shm), removed at once; without one, no PDF."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from docx import Document
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from defensor.core.errors import DefensorError
from defensor.core.grammar import amount_in_words, court_date

MEMORY_DIR = Path("/dev/shm")  # noqa: S108 - memory-backed on Linux: the DOCX must not reach a disk
PDF_TIMEOUT_SECONDS = 120
WORK_PREFIX = "defensor-"
_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}")


class RenderFailed(DefensorError):
    """The template could not be filled (``reason`` says why, in the template's terms, no data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FilterRefused(TemplateError):
    """A filter got a value it cannot use. Says which filter, never the value (client data)."""


def _words(value: Any) -> str:
    try:
        return amount_in_words(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        raise FilterRefused("the words filter needs a sum in roubles") from None


def _court_date(value: Any) -> str:
    try:
        return court_date(value if isinstance(value, date) else date.fromisoformat(str(value)))
    except ValueError:
        raise FilterRefused("the court_date filter needs a date written YYYY-MM-DD") from None


def jinja_environment() -> ImmutableSandboxedEnvironment:
    """Sandboxed: an uploaded template is written by a person, and a plain Jinja template can reach
    Python's internals (and run commands) through attribute access."""
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    environment.filters["words"] = _words
    environment.filters["court_date"] = _court_date
    return environment


def document_text(content: bytes) -> str:
    """Every paragraph of a DOCX, tables included (what a reader of the file sees: a non-breaking
    hyphen, U+2011, which the built-in templates print inside numbers, as a hyphen)."""
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts).replace("\u2011", "-")


def render_docx(content: bytes, snapshot: dict[str, Any]) -> bytes:
    document = DocxTemplate(io.BytesIO(content))
    try:
        # Multi-line inputs stay strings: templates print them a paragraph per line (splitlines).
        document.render(snapshot, jinja_env=jinja_environment())
    except TemplateError as error:  # says what in the template, not the data
        raise RenderFailed(f"{type(error).__name__}: {error.message or error}") from None
    except Exception as error:
        raise RenderFailed(type(error).__name__) from None
    # Who wrote the template, its title and comments are not the document's business.
    properties = document.docx.core_properties
    for name in ("author", "last_modified_by", "title", "subject", "comments", "keywords", "category"):
        setattr(properties, name, "")
    output = io.BytesIO()
    document.save(output)
    result = output.getvalue()
    if _LEFTOVER.search(document_text(result)):
        raise RenderFailed("a placeholder was left unfilled (a tag split across formatting?)")
    return result


def pdf_converter() -> str | None:
    """LibreOffice's binary, if installed and a memory directory exists for the conversion."""
    if not settings.DEFENSOR_DOCUMENTS_PDF or not MEMORY_DIR.is_dir() or not os.access(MEMORY_DIR, os.W_OK):
        return None
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_from_docx(content: bytes) -> bytes | None:
    converter = pdf_converter()
    if converter is None:
        return None
    memory_leftovers_remove()
    with tempfile.TemporaryDirectory(dir=MEMORY_DIR, prefix=WORK_PREFIX) as work:  # mkdtemp: mode 0700
        source = Path(work) / "document.docx"
        source.write_bytes(content)
        # LibreOffice writes its temporary files (the unpacked document, the PDF) to $TMPDIR and
        # its profile to $HOME: both inside the memory directory, gone with it.
        environment = {**os.environ, "HOME": work, "TMPDIR": work, "TMP": work, "TEMP": work}
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own file
            [converter, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", work, str(source)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment, start_new_session=True,
        )
        try:
            process.wait(timeout=PDF_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # and every process it started
            process.wait()
            return None
        result = Path(work) / "document.pdf"
        return result.read_bytes() if process.returncode == 0 and result.exists() else None


def memory_leftovers_remove() -> int:
    """Remove conversion directories a killed process left in the memory directory (they hold a
    document): any untouched for twice the time a conversion may take. Returns how many."""
    removed = 0
    cutoff = time.time() - 2 * PDF_TIMEOUT_SECONDS
    for path in MEMORY_DIR.glob(f"{WORK_PREFIX}*"):
        try:
            stale = path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed
