"""Helpers shared by the diagnostics: verdicts in plain words, and turning attributes into numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from temoin.errors import InvalidInputError

Level = Literal["ok", "warning", "fail"]


@dataclass(frozen=True)
class Verdict:
    """A verdict a non-statistician can read, in French and English."""

    level: Level
    fr: str
    en: str

    def text(self, lang: str = "fr") -> str:
        return self.fr if lang == "fr" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"level": self.level, "fr": self.fr, "en": self.en}


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            "diagnostics.missing_column",
            f"{what} : colonne(s) absente(s) : {', '.join(missing)}.",
            f"{what}: missing column(s): {', '.join(missing)}.",
            path=missing[0],
            hint_fr="Ajoutez ces colonnes aux données ou corrigez le contrat.",
            hint_en="Add these columns to the data or correct the contract.",
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
