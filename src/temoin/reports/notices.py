"""Records as the reader reads them: a settlement's notices (whatever form they were recorded in),
the budget watch's alerts and notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.settlement.compute import Notice

__all__ = ["notice_text", "rendered_watch", "said_in"]


def notice_text(t: Translator, n: Notice) -> str:
    """The notice in the reader's language: its message, or, for a settlement recorded before
    notices were messages, the recorded French or English text."""
    if n.message is not None:
        return t.render(n.message)
    fr, en = n.texts or ("", "")
    return t.pick(fr, en)


def said_in(t: Translator, message: Any) -> str:
    """A message stored as data (``Msg.to_dict()``) in the reader's words; from an older record, its
    French or English text (``{"fr": …, "en": …}``)."""
    if isinstance(message, Mapping) and "id" in message:
        return t.render(Msg.from_dict(message))
    if isinstance(message, Mapping):
        return str(t.pick(str(message.get("fr", "")), str(message.get("en", ""))))
    return str(message)


def rendered_watch(t: Translator, watch: Mapping[str, Any]) -> dict[str, Any]:
    """A budget watch's ``to_dict(lang)`` with its alerts and notes in the reader's words."""
    return {**watch, "flags": [{**f, "message": said_in(t, f["message"])} for f in watch.get("flags") or []],
            "notes": [said_in(t, n) for n in watch.get("notes") or []]}
