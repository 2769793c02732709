"""A settlement's notices as the reader reads them, whatever form they were recorded in."""

from __future__ import annotations

from temoin.i18n import Translator
from temoin.settlement.compute import Notice

__all__ = ["notice_text"]


def notice_text(t: Translator, n: Notice) -> str:
    """The notice in the reader's language: its message, or, for a settlement recorded before
    notices were messages, the recorded French or English text."""
    if n.message is not None:
        return t.render(n.message)
    fr, en = n.texts or ("", "")
    return t.pick(fr, en)
