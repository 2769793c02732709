"""The pre-registered analysis plan: its canonical form, its hash, its checks and its amendments.

The plan is the contract's ``evaluation.analysis_plan`` plus the design facts that bind an
analysis (design, allocation, strata, cluster, follow-up waves, attrition boundary, benchmark,
target) and the definition and direction of every indicator it names. Its canonical JSON (sorted
keys, no spaces) is hashed with SHA-256; locking stores that hash, the time and the plan itself
before any outcome exists. A later change is an amendment: the old and new hashes, the fields
that changed and the stated reason, shown wherever a result is shown.

The degrees of freedom of CR2 (``analysis_plan.df_method``) are in the document, hence in the hash,
when they are Bell–McCaffrey's; the default, Imbens–Kolesár, is left out, so that a plan locked
before the choice existed (which used that default) keeps its hash and still matches its contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from temoin.contract.model import AnalysisPlan, Contract
from temoin.errors import InvalidInputError, TemoinError
from temoin.messages import Msg

__all__ = ["Amendment", "PlanRecordKind", "PlanStatus", "canonical_json", "check_plan", "diff_plans", "plan_document", "plan_hash", "plan_problems"]


_DEFAULT_DF_METHOD = AnalysisPlan.model_fields["df_method"].default


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plan_document(contract: Contract) -> dict[str, Any]:
    ev = contract.evaluation
    plan = ev.analysis_plan
    named = [plan.primary_outcome, *plan.secondary_outcomes]
    analysis = plan.model_dump(mode="json")
    if analysis["df_method"] == _DEFAULT_DF_METHOD:
        del analysis["df_method"]
    if analysis.get("enrolment") is None:  # a plan without rolling enrolment keeps the hash it always had
        analysis.pop("enrolment", None)
    if not analysis.get("purposes"):  # likewise a plan without purposes for sensitive attributes
        analysis.pop("purposes", None)
    indicators = {}
    for ind_id in named:
        ind = contract.indicator(ind_id) if ind_id else None
        if ind is not None:
            indicators[ind.id] = {"direction": ind.direction, "definition": ind.definition.model_dump(mode="json"),
                                  "unit": ind.unit, "data_source": ind.data_source}
    return {
        "contract_id": contract.id,
        "design": ev.design.value,
        "allocation_ratio": ev.allocation_ratio,
        "strata": list(ev.strata),
        "cluster": ev.cluster,
        "follow_up_waves": [w.model_dump(mode="json") for w in ev.follow_up_waves],
        "attrition_boundary": ev.attrition_boundary,
        "benchmark": ev.benchmark.model_dump(mode="json") if ev.benchmark else None,
        "target": ev.target.model_dump(mode="json") if ev.target else None,
        "analysis_plan": analysis,
        "indicators": indicators,
    }


def plan_hash(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def plan_problems(contract: Contract) -> list[TemoinError]:
    """Everything that stops the plan from being run: unknown variables, missing choices."""
    plan = contract.evaluation.analysis_plan
    problems: list[TemoinError] = []
    attrs = {a.name for a in contract.population.attributes}
    inds = {i.id for i in contract.indicators}

    def add(path: str, message: Msg, hint: Msg) -> None:
        problems.append(InvalidInputError("plan.invalid", message, path=path, hint=hint))

    if plan.primary_outcome is None:
        add("evaluation.analysis_plan.primary_outcome", Msg("The plan names no primary outcome."),
            Msg("Choose one of the contract's indicators."))
    for i, name in enumerate([plan.primary_outcome, *plan.secondary_outcomes]):
        if name is not None and name not in inds:
            path = "evaluation.analysis_plan." + ("primary_outcome" if i == 0 else f"secondary_outcomes[{i - 1}]")
            add(path, Msg("The plan names an unknown indicator: '{name}'.", name=name),
                Msg("Contract indicators: {indicators}.", indicators=", ".join(sorted(inds))))
    for i, cov in enumerate(plan.covariates):
        if cov not in attrs:
            add(f"evaluation.analysis_plan.covariates[{i}]", Msg("The plan names an unknown variable: '{name}'.", name=cov),
                Msg("Population attributes: {attributes}.", attributes=", ".join(sorted(attrs))))
    for i, s in enumerate(contract.evaluation.strata):
        if s not in attrs:
            add(f"evaluation.strata[{i}]", Msg("Unknown stratum variable: '{name}'.", name=s),
                Msg("Strata must be population attributes."))
    cl = contract.evaluation.cluster
    if cl and cl not in attrs:
        add("evaluation.cluster", Msg("Unknown cluster variable: '{name}'.", name=cl),
            Msg("The cluster must be a population attribute."))
    if plan.estimator is None:
        add("evaluation.analysis_plan.estimator", Msg("The plan chooses no estimator."),
            Msg("For example: {examples}.", examples="ols, diff_in_means"))
    if not contract.evaluation.follow_up_waves:
        add("evaluation.follow_up_waves", Msg("No follow-up wave is planned."), Msg("Add at least one wave."))
    return problems


def check_plan(contract: Contract) -> None:
    """Raise the first problem (the message counts them all) when the plan cannot be run."""
    problems = plan_problems(contract)
    if problems:
        first = problems[0]
        head = first.msg
        message = head if len(problems) == 1 else Msg("{problem} (and {n} more problem(s))", problem=head, n=len(problems) - 1)
        raise InvalidInputError(first.code, message, path=first.path, hint=first.hint_msg)


def diff_plans(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Field-level differences between two plan documents: ``[{field, before, after}]``."""
    out: list[dict[str, Any]] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(diff_plans(a, b, path))
        elif a != b:
            out.append({"field": path, "before": a, "after": b})
    return out


@dataclass(frozen=True)
class Amendment:
    at: str
    reason: str
    from_hash: str
    to_hash: str
    changes: tuple[str, ...]

    def label(self) -> Msg:
        """One line, as carried by ``ImpactResult.amendments``: the day, the two plans' fingerprints,
        the stated reason and the fields changed."""
        return Msg("{day} {from_hash}→{to_hash}: {reason} [{changes}]", day=dt.date.fromisoformat(self.at[:10]),
                   from_hash=self.from_hash[:12], to_hash=self.to_hash[:12], reason=self.reason,
                   changes=", ".join(self.changes))


class PlanRecordKind(StrEnum):
    """A stored plan record: the lock, or an amendment after it."""

    LOCK = "lock"
    AMENDMENT = "amendment"


@dataclass(frozen=True)
class PlanStatus:
    """Where a contract's plan stands: locked or not, the hash in force and the amendments since."""

    locked: bool
    plan_hash: str | None
    locked_at: str | None
    amendments: tuple[Amendment, ...]
    current_hash: str
    in_force: dict[str, Any] | None

    @property
    def matches_contract(self) -> bool:
        return self.plan_hash == self.current_hash

    def to_dict(self) -> dict[str, object]:
        return {"locked": self.locked, "plan_hash": self.plan_hash, "locked_at": self.locked_at,
                "current_hash": self.current_hash, "matches_contract": self.matches_contract,
                "amendments": [a.__dict__ | {"changes": list(a.changes)} for a in self.amendments]}
