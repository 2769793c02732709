"""The one catalogue: both languages hold the same messages, each with the same placeholders; the
reader's formats are Babel's for fr_FR and en_GB; times are shown in Europe/Paris."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from temoin.errors import InvalidInputError
from temoin.i18n import LANGUAGES, LOCALES, Translator, catalogue
from temoin.messages import Amount, Msg, Points, Share


def _entries(lang: str) -> dict[str, dict[str, str]]:
    """Per area file, its messages."""
    out = {}
    for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            out[path.stem] = {str(m.id): str(m.string) for m in read_po(fh, locale=lang) if m.id}
    return out


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_area_files_and_messages() -> None:
    fr, en = _entries("fr"), _entries("en")
    assert set(fr) == set(en)
    for area in fr:
        assert set(fr[area]) == set(en[area]), f"{area}.po: messages in one language only"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    for area, messages in _entries(lang).items():
        for msgid, msgstr in messages.items():
            assert msgstr, f"{lang}/{area}.po: no translation for {msgid!r}"
            if not msgid.startswith("label:"):
                assert _fields(msgstr) == _fields(msgid), f"{lang}/{area}.po: placeholders differ in {msgid!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_message_in_two_areas_says_the_same_thing(lang: str) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for area, messages in _entries(lang).items():
        for msgid, msgstr in messages.items():
            if msgid in seen:
                assert seen[msgid][1] == msgstr, f"{msgid!r} differs in {seen[msgid][0]}.po and {area}.po"
            seen[msgid] = (area, msgstr)


def test_formats_follow_each_locale() -> None:
    fr, en = Translator("fr"), Translator("en")
    assert fr.money(Decimal("1234567.89"), "EUR") == "1\u202f234\u202f567,89\u00a0€"
    assert en.money(Decimal("1234567.89"), "GBP") == "£1,234,567.89"
    assert fr.number(1234.5, 1) == "1\u202f234,5" and en.number(1234.5, 1) == "1,234.5"
    assert fr.share(0.048) == "4,8\u00a0%" and en.share(0.048) == "4.8%"
    assert fr.points(0.032) == "+3,2\u00a0points" and en.points(-0.032) == "\u22123.2 points"
    assert fr.date(dt.date(2026, 12, 3)) == "3 décembre 2026" and en.date(dt.date(2026, 12, 3)) == "3 December 2026"
    # stored in UTC, shown in Paris: 08:42 UTC is 09:42 in winter, 10:42 in summer
    assert fr.datetime(dt.datetime(2026, 12, 3, 8, 42, tzinfo=dt.UTC)) == "3 décembre 2026 à 09:42"
    assert en.datetime("2026-07-03T08:42:00+00:00") == "3 July 2026 at 10:42"
    assert fr.number(float("nan")) == "non estimable" and en.number(None) == "not estimable"


def test_a_message_renders_its_values_the_readers_way() -> None:
    m = Msg("Cumulative payments ({paid}) exceed realised savings ({saved}); {share} of the cap, {gap}.",
            paid=Amount(Decimal("1500000"), "EUR"), saved=Amount("1250000.5", "EUR"), share=Share(0.8), gap=Points(-0.05))
    assert Msg.from_dict(m.to_dict()) == m
    en = Translator("en").render(m)
    assert en == "Cumulative payments (€1,500,000.00) exceed realised savings (€1,250,000.50); 80.0% of the cap, \u22125.0 points."


def test_an_error_is_rendered_with_its_path_line_hint_and_code() -> None:
    exc = InvalidInputError("x.y", Msg("Unknown wave: '{wave}'.", wave="m36"), path="payments.periods[1].wave", line=12,
                            hint=Msg("Choose one of {waves}.", waves=["m12", "m24"]))
    t = Translator("fr")
    assert re.match(r"payments\.periods\[1\]\.wave \(ligne 12\): .*\[x\.y\]$", t.error(exc))
    assert Translator("en").error_dict(exc)["line"] == 12


def test_the_loaded_catalogue_merges_every_area() -> None:
    fr = catalogue("fr")
    assert fr["yes"] == "oui" and sum(len(m) for m in _entries("fr").values()) >= len(fr)
    assert Path(LOCALES / "fr" / "LC_MESSAGES" / "common.po").exists()


# --- what the code says is in the catalogue, and errors are messages --------------------------------

SOURCE = Path(__file__).resolve().parents[1] / "src" / "temoin"


def _calls(name_ends: str) -> list[tuple[str, int, ast.Call]]:
    out = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None) or ""
                if name.endswith(name_ends):
                    out.append((str(path.relative_to(SOURCE)), node.lineno, node))
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_written_in_the_code_is_in_the_catalogue(lang: str) -> None:
    known = catalogue(lang)
    written = [(where, line, call.args[0].value) for where, line, call in _calls("Msg")
               if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)]
    assert len(written) > 500  # the scan finds the messages (a broken scan would pass on nothing)
    missing = [(where, line, ident) for where, line, ident in written if ident not in known]
    assert missing == []


def test_no_error_is_made_of_french_and_english_texts() -> None:
    """Every error says its words through a message of the catalogue (no ``hint_fr=``/``hint_en=``,
    no French or English text given as an error's message)."""
    older, seen = [], 0
    for where, line, call in _calls("Error"):
        if getattr(call.func, "id", None) == "RowError":  # a row's problem (row, column, value, message)
            continue
        seen += 1
        keywords = {k.arg for k in call.keywords}
        text_given = len(call.args) >= 2 and isinstance(call.args[1], ast.Constant | ast.JoinedStr)
        if keywords & {"hint_fr", "hint_en"} or text_given:
            older.append((where, line))
    assert seen > 300 and older == []
