"""After makemessages: forget gettext's fuzzy guesses.

msgmerge fills a new string with the translation of a similar old one and marks it fuzzy
("No. %(number)d" got «Дело %(number)s»). Compiled catalogues skip fuzzy entries, but a guess left in
the .po reads as done and hides that a translation is missing; the translation tests then see a
wrong string instead of an empty one. Every fuzzy entry is emptied here, to be translated anew.
"""

from __future__ import annotations

import sys

import polib


def drop_fuzzy(path: str) -> int:
    catalogue = polib.pofile(path, wrapwidth=79)
    dropped = 0
    for entry in catalogue:
        if "fuzzy" not in entry.flags:
            continue
        entry.flags.remove("fuzzy")
        entry.msgstr = ""
        entry.msgstr_plural = {index: "" for index in entry.msgstr_plural}
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        dropped += 1
    catalogue.save()
    return dropped


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(f"{path}: {drop_fuzzy(path)} fuzzy guesses emptied")
