"""Russian is complete: every string in the code and templates has a Russian translation."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "defensor" / "locale" / "ru" / "LC_MESSAGES"


def test_every_string_in_the_source_has_a_russian_translation(tmp_path: Path, clean_env: dict[str, str]) -> None:
    """Extract strings afresh (as `make messages` does) from a copy of the tree, then look for gaps."""
    require_tool("xgettext")
    require_tool("msgmerge")
    copy = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "defensor", copy / "defensor", ignore=ignore)
    shutil.copytree(ROOT / "config", copy / "config", ignore=ignore)
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "--settings=config.settings", "--pythonpath=..",
         "-l", "ru", "--no-obsolete", "--no-location", "--ignore", "tests/*"],
        cwd=copy / "defensor",
        env={**clean_env, "DEFENSOR_DATA_DIR": str(tmp_path / "var")},
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    extracted = polib.pofile(str(copy / "defensor" / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in extracted if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert not missing, f"untranslated Russian strings (run `make messages` and translate): {missing}"


def test_compiled_catalogue_matches_the_source_catalogue() -> None:
    po = polib.pofile(str(CATALOGUE / "django.po"))
    with (CATALOGUE / "django.mo").open("rb") as handle:
        mo = gettext.GNUTranslations(handle)
    stale = [e.msgid for e in po if e.translated() and not e.msgid_plural and mo.gettext(e.msgid) != e.msgstr]
    assert not stale, f"django.mo is out of date (run `make messages`): {stale[:5]}"


def test_placeholders_survive_translation() -> None:
    import re

    po = polib.pofile(str(CATALOGUE / "django.po"))
    pattern = re.compile(r"%\(\w+\)[sd]|\{\{\s*\w+\s*\}\}|%s|%d")
    broken = [e.msgid for e in po if e.msgstr and sorted(pattern.findall(e.msgid)) != sorted(pattern.findall(e.msgstr))]
    assert not broken


@pytest.mark.django_db
def test_public_page_speaks_russian_by_default_and_english_on_request() -> None:
    from django.test import Client

    russian = Client().get("/").content.decode()
    assert 'lang="ru"' in russian
    assert "Юридическая помощь" in russian
    client = Client()
    response = client.post("/language/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    english = client.get("/").content.decode()
    assert 'lang="en"' in english
    assert "Legal help" in english


def test_every_marked_string_is_one_gettext_can_extract() -> None:
    """gettext's extractor sees only the names Django gives it (``_``, ``gettext``,
    ``gettext_lazy``, ``ngettext``…) and nothing inside an f-string: a string marked any other way
    is never extracted, so `make messages` drops its translation and the page speaks English
    (an inventory's «(when the copy was made)», the file kinds on the intake form)."""
    import re

    alias = re.compile(r"import (?:gettext|gettext_lazy|ngettext|ngettext_lazy|pgettext|pgettext_lazy) as (?!_\b)\w+")
    in_fstring = re.compile(r"""\bf(["']).*?\{_l?\(""")
    found = []
    for path in sorted((ROOT / "defensor").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if alias.search(line) or in_fstring.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert not found, f"strings gettext cannot extract: {found}"
