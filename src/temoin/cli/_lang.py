"""The command line's language, decided before anything is built, and its help words.

``temoin`` speaks the language given by ``--lang`` (before the command), else ``TEMOIN_LANGUAGE``,
else French. It must be known before the commands are declared, since their help is built from the
catalogue, and before Typer renders its own words ("Options", "Commands", "Error"…), which Typer
reads with the standard library's :mod:`gettext`.

So the command line's catalogue file, ``cli.po``, is compiled by Babel into a ``.mo`` file in a
cache folder the first time (and again whenever the ``.po`` file changes), then read with
:mod:`gettext` alone: the help needs neither Babel nor the other areas' catalogues, so ``temoin
--help`` stays fast. The same compiled file is the text domain Typer's own words are read from
(:func:`gettext.bindtextdomain`, :func:`gettext.textdomain`, the ``LANGUAGE`` variable that
:mod:`gettext` documents for choosing the language).

This module imports neither Typer nor Babel.
"""

from __future__ import annotations

import gettext
import hashlib
import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from temoin.cache import cache_folders, write_atomically

__all__ = ["DOMAIN", "LANGUAGES", "choose_language", "compiled_catalogue", "help_words", "use_language"]

LANGUAGES = ("fr", "en")
DOMAIN = "temoin_cli"
_LOCALES = Path(__file__).resolve().parents[1] / "i18n" / "locales"


def choose_language(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """``--lang X`` (or ``--lang=X``) before the command, else ``TEMOIN_LANGUAGE``, else French.

    An unknown value counts as French here; the root command then refuses it with a clear error.

    >>> choose_language(["--lang", "en", "contract", "check", "x.yaml"], {})
    'en'
    >>> choose_language(["contract", "--lang", "en"], {"TEMOIN_LANGUAGE": "fr"})
    'fr'
    >>> choose_language(["--help"], {"TEMOIN_LANGUAGE": "en"})
    'en'
    """
    chosen: str | None = None
    args = list(argv)
    for k, arg in enumerate(args):
        if arg == "--lang":
            chosen = args[k + 1] if k + 1 < len(args) else None
            break
        if arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
            break
        if not arg.startswith("-"):  # the command: what follows is its own
            break
    if chosen is None:
        chosen = environ.get("TEMOIN_LANGUAGE", "fr")
    chosen = chosen.strip().lower()
    return chosen if chosen in LANGUAGES else "fr"


def compiled_catalogue(lang: str) -> Path:
    """The folder holding ``<lang>/LC_MESSAGES/temoin_cli.mo``, compiled from ``cli.po`` by Babel
    if the cache has no copy of this exact ``.po`` file yet (a folder per content digest)."""
    po = _LOCALES / lang / "LC_MESSAGES" / "cli.po"
    data = po.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    folders = cache_folders()
    for root in folders:
        folder = root / f"locale-{digest}"
        mo = folder / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo.is_file():
            return folder
        try:
            _compile(data, lang, mo)
        except OSError:  # a cache folder we may not write: try the next one
            continue
        return folder
    raise OSError(f"no writable cache folder for the command line's catalogue ({folders[0]})")


def _compile(po_bytes: bytes, lang: str, mo: Path) -> None:
    """Compile with Babel (imported only here), written whole or not at all."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    buf = io.BytesIO()
    write_mo(buf, read_po(io.BytesIO(po_bytes), locale=lang))
    write_atomically(mo, buf.getvalue())


@cache
def help_words(lang: str) -> gettext.NullTranslations:
    """The command line's words in ``lang`` (help, options, Typer's own), read from the compiled file."""
    try:
        folder = compiled_catalogue(lang)
    except OSError:  # no cache folder can be written: the identifiers, which are the English words
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(folder), languages=[lang])


def use_language(lang: str) -> None:
    """Make Typer's own words (read with :func:`gettext.gettext`) speak ``lang`` in this process."""
    try:
        folder = compiled_catalogue(lang)
    except OSError:  # no cache folder can be written: Typer keeps its English words
        return
    os.environ["LANGUAGE"] = lang
    gettext.bindtextdomain(DOMAIN, str(folder))
    gettext.textdomain(DOMAIN)
