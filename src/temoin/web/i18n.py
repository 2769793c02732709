"""One message catalogue (``locales/{fr,en}/LC_MESSAGES/messages.po``), read with Babel at start-up.

Message identifiers are the English text; both catalogues must translate every message (a test
fails otherwise). The ``.po`` files are read directly, so a fresh clone needs no compile step.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("fr", "en")


@cache
def catalogue(lang: str) -> dict[str, str]:
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        cat = read_po(fh, locale=lang)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "fr"
        self._messages = catalogue(self.lang)

    def __call__(self, message: str, **values: object) -> str:
        text = self._messages.get(message, message)
        return text.format(**values) if values else text

    def pick(self, fr: str, en: str) -> str:
        return fr if self.lang == "fr" else en


_CALL = re.compile(r"""(?:\b_|\.t|\bt)\(\s*"((?:[^"\\]|\\.)+)"\s*[,)]""")


def used_messages() -> set[str]:
    """Every literal message the templates and the web code ask the catalogue for."""
    root = Path(__file__).parent
    found: set[str] = set()
    for path in [*root.glob("templates/*.html"), *root.glob("*.py"), *root.glob("routes/*.py")]:
        found.update(m.group(1) for m in _CALL.finditer(path.read_text(encoding="utf-8")))
    return found
