"""A public sheet for one imported INDIGO project: what a reader looks for, section by section.

Parties (with their role, named from the imported organisations), outcome metrics with their
validation method (and whether it has a real counterfactual), prices, payments (commitments and
outcome payments made or planned), results, sources and documents. Built from the cleaned INDIGO
data only: values marked PRIVATE were already dropped at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from temoin.opendata.registry import (
    PARTY_LISTS,
    VALIDATION_LADDER,
    RegistryEntry,
    entry_from_indigo,
    normalise_method,
)

__all__ = ["ProjectSheet", "project_sheet"]


def _v(node: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    if isinstance(node, dict) and "value" in node:
        return node["value"]
    return node


def _amount(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(Decimal(str(value)), "f")
    return None


@dataclass(frozen=True)
class Party:
    organisation_id: str
    name: str
    role: str  # the INDIGO list that names it (outcome_payment_commitments…): read by its label, label:indigo_party_role:<role>
    category: str | None
    amount: str | None  # a commitment or an investment, in ``currency``
    currency: str | None


@dataclass(frozen=True)
class Metric:
    id: str
    definition: str | None
    target_population: str | None
    targeted_number: Any
    target: str | None
    validation_method: str | None  # as published
    validation_ladder: str | None  # its step on INDIGO's ladder
    real_counterfactual: bool | None
    data_source: str | None


@dataclass(frozen=True)
class Price:
    metric_id: str | None
    currency: str | None
    price_per_unit: str | None
    maximum_if_all_targets: str | None
    description: str | None


@dataclass(frozen=True)
class Payment:
    metric_id: str | None
    kind: str | None  # Planned / Actual
    start: str | None
    end: str | None
    currency: str | None
    amount: str | None


@dataclass(frozen=True)
class Result:
    metric_id: str | None
    level: str | None
    kind: str | None  # Interim / Final
    start: str | None
    end: str | None
    achieved: Any
    engaged: Any
    positive: Any


@dataclass(frozen=True)
class Source:
    id: str | None
    name: str | None
    type: str | None
    url: str | None


@dataclass(frozen=True)
class ProjectSheet:
    entry: RegistryEntry
    alternative_names: str | None
    stage: str | None
    social_challenge: str | None
    intervention: str | None
    target_population: str | None
    signed: str | None
    max_return_text: str | None
    notes: str | None
    parties: tuple[Party, ...]
    metrics: tuple[Metric, ...]
    prices: tuple[Price, ...]
    commitments_total: dict[str, str]  # currency -> maximum outcome payments committed
    payments: tuple[Payment, ...]
    payments_total: dict[str, dict[str, str]]  # Actual/Planned -> currency -> total
    results: tuple[Result, ...]
    sources: tuple[Source, ...]
    documents: tuple[Source, ...]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["entry"] = self.entry.to_dict()
        return d


def _parties(data: dict[str, Any], organisations: Mapping[str, str]) -> tuple[Party, ...]:
    out = []
    for key, _, _ in PARTY_LISTS:
        for item in data.get(key, []):
            if key == "outcome_payment_commitments":
                amount, currency = (_v(item, "maximum_potential_outcome_payment", "amount"),
                                    _v(item, "maximum_potential_outcome_payment", "currency"))
            elif key == "investments":
                amount, currency = (_v(item, "investment_commitment", "amount", "exact"), _v(item, "investment_commitment", "currency"))
            else:
                amount, currency = None, None
            for org in str(_v(item, "organisation_id") or "").split(","):
                org = org.strip()
                if org:
                    out.append(Party(org, organisations.get(org, org), key, _v(item, "organisation_role_category"),
                                     _amount(amount), currency))
    return tuple(out)


def _metric(m: dict[str, Any]) -> Metric:
    raw = _v(m, "outcome_validation_method")
    ladder = normalise_method(str(raw)) if raw else None
    return Metric(str(m.get("id") or ""), _v(m, "definition"), _v(m, "target_population"),
                  _v(m, "targeted_number_of_service_users_or_beneficiaries_total"), _v(m, "outcome_metric_target"),
                  raw, ladder, VALIDATION_LADDER.get(ladder) if ladder else None, _v(m, "data_source_for_outcome_validation"))


def _totals(payments: tuple[Payment, ...]) -> dict[str, dict[str, str]]:
    sums: dict[str, dict[str, Decimal]] = {}
    for p in payments:
        if p.amount is not None and p.currency:
            by = sums.setdefault(p.kind or "?", {})
            by[p.currency] = by.get(p.currency, Decimal(0)) + Decimal(p.amount)
    return {k: {c: format(v, "f") for c, v in by.items()} for k, by in sums.items()}


def project_sheet(project_id: str, data: dict[str, Any], organisations: Mapping[str, str] | None = None) -> ProjectSheet:
    """The public sheet of a cleaned INDIGO project; ``organisations`` maps ids to names."""
    orgs = organisations or {}
    payments = tuple(
        Payment(_v(p, "outcome_metric_id"), _v(p, "type"), _v(p, "period", "start_date"), _v(p, "period", "end_date"),
                _v(p, "money", "currency"), _amount(_v(p, "money", "amount")))
        for p in data.get("outcome_payments", []))
    commitments: dict[str, Decimal] = {}
    for c in data.get("outcome_payment_commitments", []):
        amount, currency = _amount(_v(c, "maximum_potential_outcome_payment", "amount")), _v(c, "maximum_potential_outcome_payment", "currency")
        if amount is not None and currency:
            commitments[currency] = commitments.get(currency, Decimal(0)) + Decimal(amount)
    return ProjectSheet(
        entry=entry_from_indigo(project_id, data, orgs),
        alternative_names=_v(data, "alternative_names"),
        stage=_v(data, "stage_development"),
        social_challenge=_v(data, "purpose_and_classifications", "social_challenge"),
        intervention=_v(data, "purpose_and_classifications", "intervention"),
        target_population=_v(data, "service_and_beneficiaries", "target_population"),
        signed=_v(data, "dates", "outcomes_contract_signed"),
        max_return_text=_v(data, "overall_project_finance", "maximum_potential_return"),
        notes=_v(data, "notes"),
        parties=_parties(data, orgs),
        metrics=tuple(_metric(m) for m in data.get("outcome_metrics", [])),
        prices=tuple(Price(_v(p, "outcome_metric_id"), _v(p, "currency"), _amount(_v(p, "price_per_unit", "amount")),
                           _amount(_v(p, "maximum_price_if_all_targets_achieved", "amount")), _v(p, "price_description"))
                     for p in data.get("outcome_pricings", [])),
        commitments_total={c: format(v, "f") for c, v in commitments.items()},
        payments=payments,
        payments_total=_totals(payments),
        results=tuple(Result(_v(r, "outcome_metric_id"), _v(r, "result_level"), _v(r, "result_type"),
                             _v(r, "period", "start_date"), _v(r, "period", "end_date"), _v(r, "outcomes_achieved"),
                             _v(r, "number_engaged_in_impact_bond"), _v(r, "number_with_positive_social_outcomes"))
                      for r in data.get("results", [])),
        sources=tuple(Source(s.get("id"), _v(s, "name"), _v(s, "type"), _v(s, "url")) for s in data.get("sources", [])),
        documents=tuple(Source(None, _v(d, "title"), None, _v(d, "url")) for d in data.get("documents", [])),
    )
