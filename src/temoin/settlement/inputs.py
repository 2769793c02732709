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
from temoin.messages import Msg
from temoin.settlement.payments import OutcomeClaim

__all__ = ["check_inputs", "claims_from_data", "results_from_data"]

_REQUIRED = ("indicator", "wave", "improvement", "n_treated_followed", "grade")


def results_from_data(contract: Contract, version: int, rows: Sequence[Mapping[str, Any]]) -> list[ImpactResult]:
    out = []
    for k, row in enumerate(rows):
        path = f"results[{k}]"
        if not isinstance(row, Mapping):
            raise InvalidInputError("settlement.result_format", Msg("A result is a mapping."), path=path,
                                    hint=Msg("Write each result with its keys: {fields}.", fields=list(_REQUIRED)))
        missing = [f for f in _REQUIRED if f not in row]
        if missing:
            raise InvalidInputError("settlement.result_format", Msg('Missing fields: {missing}.', missing=missing),
                                    path=path, hint=Msg("A result has {fields}.", fields=list(_REQUIRED)))
        try:
            grade = EvidenceGrade(row["grade"])
        except ValueError:
            raise InvalidInputError("settlement.result_grade", Msg("Unknown evidence grade: '{grade}'.", grade=str(row["grade"])),
                                    path=f"{path}.grade",
                                    hint=Msg("Choose one of {choices}.", choices=[g.value for g in EvidenceGrade])) from None
        try:
            imp = float(row["improvement"])
            low = float(row.get("improvement_lower", imp))
            n = int(row["n_treated_followed"])
        except (TypeError, ValueError):
            raise InvalidInputError("settlement.result_number", Msg("improvement, improvement_lower and n_treated_followed are numbers."), path=path,
                                    hint=Msg("Write each as a number, for example 52.5.")) from None
        if n < 0:
            raise InvalidInputError("settlement.result_number", Msg("Negative count: {n}.", n=n), hint=Msg("Write the number of participants followed."),
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
            raise InvalidInputError("settlement.claim_format", Msg("A claim has participant, outcome and period."),
                                    path=f"claims[{k}]", hint=Msg("Write each claim with these three keys.")) from None
    return out


def check_inputs(contract: Contract, results: Sequence[ImpactResult], contract_version: int | None,
                  as_of: dt.date | None, claims: Sequence[OutcomeClaim]) -> dict[tuple[str, str], ImpactResult]:
    problems = consistency_problems(contract)
    if problems:
        raise ContractValidationError(problems)
    if as_of is not None and as_of < contract.start_date:
        raise InvalidInputError(
            "settlement.as_of_before_start", Msg("The settlement date ({as_of}) is before the contract starts ({start_date}).", as_of=as_of,
                start_date=contract.start_date), path="as_of",
            hint=Msg('Choose a date after start_date.'))
    by_key: dict[tuple[str, str], ImpactResult] = {}
    for k, r in enumerate(results):
        path = f"results[{k}]"
        if r.contract_id != contract.id:
            raise InvalidInputError(
                "settlement.result_other_contract",
                Msg("Result {indicator}/{wave} comes from contract '{other}', not '{contract}'.", indicator=r.indicator, wave=r.wave,
                    other=r.contract_id, contract=contract.id), path=path,
                hint=Msg("Settle with this contract's results."))
        if contract_version is not None and r.contract_version != contract_version:
            raise InvalidInputError(
                "settlement.result_other_version",
                Msg("Result {indicator}/{wave} was evaluated on contract version {evaluated}, not version {version}.",
                    indicator=r.indicator, wave=r.wave, evaluated=r.contract_version, version=contract_version),
                path=f"{path}.contract_version",
                hint=Msg('Re-run the evaluation on the current version, or settle the version evaluated.'))
        indicators = [i.id for i in contract.indicators]
        if r.indicator not in indicators:
            raise InvalidInputError(
                "settlement.unknown_indicator", Msg("Unknown indicator in the results: '{indicator}'.", indicator=r.indicator),
                path=f"{path}.indicator",
                hint=Msg("The contract's indicators: {indicators}.", indicators=indicators))
        waves = [w.id for w in contract.evaluation.follow_up_waves]
        if r.wave not in waves:
            raise InvalidInputError(
                "settlement.unknown_wave", Msg("Unknown wave in the results: '{wave}'.", wave=r.wave), path=f"{path}.wave",
                hint=Msg("The contract's waves: {waves}.", waves=waves))
        key = (r.indicator, r.wave)
        if key in by_key:
            raise InvalidInputError(
                "settlement.duplicate_result", Msg("Two results for {indicator} at wave {wave}.", indicator=r.indicator, wave=r.wave), path=path,
                hint=Msg('Keep only the certified result.'))
        by_key[key] = r
    outcomes = {i.outcome for i in contract.payments.rate_card}
    period_ids = {p.id for p in contract.payments.periods}
    for k, c in enumerate(claims):
        if c.outcome not in outcomes:
            raise InvalidInputError("settlement.unknown_outcome", Msg("Unknown individual outcome: '{outcome}'.", outcome=c.outcome),
                                    path=f"claims[{k}].outcome", hint=Msg("Choose one of {choices}.", choices=sorted(outcomes)))
        if c.period not in period_ids:
            raise InvalidInputError("settlement.unknown_period", Msg("Unknown period: '{period}'.", period=c.period),
                                    path=f"claims[{k}].period", hint=Msg("Choose one of {choices}.", choices=sorted(period_ids)))
    return by_key
