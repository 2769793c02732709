"""What ``settle`` accepts: evaluation results and outcome claims, checked against the contract,
and read from plain data (YAML/JSON).

``results_from_data`` is used by ``temoin settle --results FILE`` (settle with results certified
outside Témoin) and by the golden scenario files. A result is written::

    {indicator: placement_days, wave: m24, improvement: 52, improvement_lower: 35,
     n_treated_followed: 368, grade: meets_without_reservations}

``check_inputs`` refuses, with the valid values listed, a contract that cannot be settled, a date
before it starts, a result of another contract or version, of an unknown indicator or wave, or
given twice, and a claim of an unknown outcome or period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from temoin.contract._consistency import consistency_problems
from temoin.contract.model import Contract
from temoin.errors import ContractValidationError, InvalidInputError
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.evaluation.text import texts_from_stored
from temoin.settlement.payments import OutcomeClaim

__all__ = ["check_inputs", "claims_from_data", "results_from_data"]

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
                                texts_from_stored(row.get("grade_reasons") or ())))
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


def check_inputs(contract: Contract, results: Sequence[ImpactResult], contract_version: int | None,
                  as_of: dt.date | None, claims: Sequence[OutcomeClaim]) -> dict[tuple[str, str], ImpactResult]:
    problems = consistency_problems(contract)
    if problems:
        raise ContractValidationError(problems)
    if as_of is not None and as_of < contract.start_date:
        raise InvalidInputError(
            "settlement.as_of_before_start", f"La date de règlement ({as_of}) précède le début du contrat ({contract.start_date}).",
            f"The settlement date ({as_of}) is before the contract starts ({contract.start_date}).", path="as_of",
            hint_fr="Choisissez une date après start_date.", hint_en="Choose a date after start_date.")
    by_key: dict[tuple[str, str], ImpactResult] = {}
    for k, r in enumerate(results):
        path = f"results[{k}]"
        if r.contract_id != contract.id:
            raise InvalidInputError(
                "settlement.result_other_contract",
                f"Le résultat {r.indicator}/{r.wave} vient du contrat « {r.contract_id} », pas de « {contract.id} ».",
                f"Result {r.indicator}/{r.wave} comes from contract '{r.contract_id}', not '{contract.id}'.", path=path,
                hint_fr="Réglez avec les résultats de ce contrat.", hint_en="Settle with this contract's results.")
        if contract_version is not None and r.contract_version != contract_version:
            raise InvalidInputError(
                "settlement.result_other_version",
                f"Le résultat {r.indicator}/{r.wave} a été évalué sur la version {r.contract_version} du contrat, "
                f"pas sur la version {contract_version}.",
                f"Result {r.indicator}/{r.wave} was evaluated on contract version {r.contract_version}, "
                f"not version {contract_version}.", path=f"{path}.contract_version",
                hint_fr="Relancez l'évaluation sur la version en vigueur, ou réglez la version évaluée.",
                hint_en="Re-run the evaluation on the current version, or settle the version evaluated.")
        indicators = [i.id for i in contract.indicators]
        if r.indicator not in indicators:
            raise InvalidInputError(
                "settlement.unknown_indicator", f"Indicateur inconnu dans les résultats : « {r.indicator} ».",
                f"Unknown indicator in the results: '{r.indicator}'.", path=f"{path}.indicator",
                hint_fr=f"Indicateurs du contrat : {indicators}.", hint_en=f"The contract's indicators: {indicators}.")
        waves = [w.id for w in contract.evaluation.follow_up_waves]
        if r.wave not in waves:
            raise InvalidInputError(
                "settlement.unknown_wave", f"Vague inconnue dans les résultats : « {r.wave} ».",
                f"Unknown wave in the results: '{r.wave}'.", path=f"{path}.wave",
                hint_fr=f"Vagues du contrat : {waves}.", hint_en=f"The contract's waves: {waves}.")
        key = (r.indicator, r.wave)
        if key in by_key:
            raise InvalidInputError(
                "settlement.duplicate_result", f"Deux résultats pour {r.indicator} à la vague {r.wave}.",
                f"Two results for {r.indicator} at wave {r.wave}.", path=path,
                hint_fr="Ne gardez que le résultat certifié.", hint_en="Keep only the certified result.")
        by_key[key] = r
    outcomes = {i.outcome for i in contract.payments.rate_card}
    period_ids = {p.id for p in contract.payments.periods}
    for k, c in enumerate(claims):
        if c.outcome not in outcomes:
            raise InvalidInputError("settlement.unknown_outcome", f"Résultat individuel inconnu : « {c.outcome} ».",
                                    f"Unknown individual outcome: '{c.outcome}'.", path=f"claims[{k}].outcome",
                                    hint_fr=f"Choisissez parmi {sorted(outcomes)}.", hint_en=f"Choose one of {sorted(outcomes)}.")
        if c.period not in period_ids:
            raise InvalidInputError("settlement.unknown_period", f"Période inconnue : « {c.period} ».",
                                    f"Unknown period: '{c.period}'.", path=f"claims[{k}].period",
                                    hint_fr=f"Choisissez parmi {sorted(period_ids)}.", hint_en=f"Choose one of {sorted(period_ids)}.")
    return by_key
