"""Helpers shared by the diagnostics: verdicts in plain words, and turning attributes into numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from temoin.errors import InvalidInputError
from temoin.evaluation.text import Text, text_from_stored, text_to_stored
from temoin.messages import Msg

VerdictLevel = Literal["ok", "warning", "fail"]
"""How a verdict reads: satisfactory, a reservation, a failure (``label:verdict_level:*``)."""
Level = VerdictLevel


@dataclass(frozen=True)
class Verdict:
    """A verdict a non-statistician can read: its level and its message."""

    level: VerdictLevel
    message: Text

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "message": text_to_stored(self.message)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        """A stored verdict: ``{"level", "message"}``, or the older ``{"level", "fr", "en"}``."""
        level = cast(VerdictLevel, str(data.get("level", "warning")))
        if "message" in data:
            return cls(level, text_from_stored(data["message"]))
        return cls(level, text_from_stored({"fr": data.get("fr", ""), "en": data.get("en", "")}))


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: Msg) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            "diagnostics.missing_column",
            Msg("{what}: missing column(s): {columns}.", what=what, columns=", ".join(missing)),
            path=missing[0],
            hint=Msg('Add these columns to the data or correct the contract.'),
        )


def as_bool(series: pd.Series) -> pd.Series:
    """True/False from booleans, 0/1 or the words true/false, oui/non, yes/no (missing stays NA)."""
    mapping = {"true": True, "false": False, "1": True, "0": False, "oui": True, "non": False,
               "yes": True, "no": False, "vrai": True, "faux": False, "1.0": True, "0.0": False}

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return pd.NA
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        return mapping.get(str(v).strip().lower(), pd.NA)

    return series.map(one).astype("boolean")
