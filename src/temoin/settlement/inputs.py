"""Reading evaluation results and outcome claims written as plain data (YAML/JSON).

Used by ``temoin settle --results FILE`` (settle with results certified outside Témoin) and by
the golden scenario files. A result is written::

    {indicator: placement_days, wave: m24, improvement: 52, improvement_lower: 35,
     n_treated_followed: 368, grade: meets_without_reservations}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from temoin.contract.model import Contract
from temoin.errors import InvalidInputError
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.settlement.payments import OutcomeClaim

__all__ = ["claims_from_data", "results_from_data"]

_REQUIRED = ("indicator", "wave", "improvement", "n_treated_followed", "grade")


def results_from_data(contract: Contract, version: int, rows: Sequence[Mapping[str, Any]]) -> list[ImpactResult]:
    out = []
    for k, row in enumerate(rows):
        path = f"results[{k}]"
        if not isinstance(row, Mapping):
            raise InvalidInputError("settlement.result_format", "Un résultat est un dictionnaire.",
                                    "A result is a mapping.", path=path)
        missing = [f for f in _REQUIRED if f not in row]
        if missing:
            raise InvalidInputError("settlement.result_format", f"Champs manquants : {missing}.", f"Missing fields: {missing}.",
                                    path=path, hint_fr=f"Un résultat a {list(_REQUIRED)}.", hint_en=f"A result has {list(_REQUIRED)}.")
        try:
            grade = EvidenceGrade(row["grade"])
        except ValueError:
            raise InvalidInputError("settlement.result_grade", f"Niveau de preuve inconnu : « {row['grade']} ».",
                                    f"Unknown evidence grade: '{row['grade']}'.", path=f"{path}.grade",
                                    hint_fr=f"Choisissez parmi {[g.value for g in EvidenceGrade]}.",
                                    hint_en=f"Choose one of {[g.value for g in EvidenceGrade]}.") from None
        try:
            imp = float(row["improvement"])
            low = float(row.get("improvement_lower", imp))
            n = int(row["n_treated_followed"])
        except (TypeError, ValueError):
            raise InvalidInputError("settlement.result_number", "improvement, improvement_lower et n_treated_followed sont des nombres.",
                                    "improvement, improvement_lower and n_treated_followed are numbers.", path=path) from None
        if n < 0:
            raise InvalidInputError("settlement.result_number", f"Effectif négatif : {n}.", f"Negative count: {n}.",
                                    path=f"{path}.n_treated_followed")
        est = EffectEstimate(imp, float(row.get("std_error", 0.0)), low, float(row.get("ci_high", imp)),
                             float(row.get("p_value", 0.0)), float(row.get("df", max(n - 1, 1))), n,
                             int(row.get("n_control", n)), str(row.get("se_type", "reported")), "reported")
        out.append(ImpactResult(str(row.get("contract_id", contract.id)), int(row.get("contract_version", version)),
                                str(row["indicator"]), str(row["wave"]), est, imp, low, n, grade,
                                tuple(str(x) for x in row.get("grade_reasons", ()))))
    return out


def claims_from_data(rows: Sequence[Mapping[str, Any]]) -> list[OutcomeClaim]:
    out = []
    for k, row in enumerate(rows):
        try:
            out.append(OutcomeClaim(str(row["participant"]), str(row["outcome"]), str(row["period"])))
        except (KeyError, TypeError):
            raise InvalidInputError("settlement.claim_format", "Une réclamation a participant, outcome et period.",
                                    "A claim has participant, outcome and period.", path=f"claims[{k}]") from None
    return out
