"""The observatory: how a contract's terms compare with the registry.

For each term (price per outcome, maximum outcome payment per targeted beneficiary, investor
return, duration) it gives the contract's value, the registry's median and range, and the share
of registry contracts below it. Amounts are compared only with contracts in the same currency
(no exchange rates are assumed); those in other currencies are counted as excluded. It also
counts caps (at realised savings, on investor returns) and evaluation designs: how many have a
real counterfactual (a randomised or quasi-experimental comparison group).

>>> from decimal import Decimal
>>> a = RegistryEntry("a", "indigo", "A", currency="EUR", duration_months=24.0)
>>> b = RegistryEntry("b", "indigo", "B", currency="EUR", duration_months=48.0)
>>> me = RegistryEntry("me", "temoin", "Me", currency="EUR", duration_months=60.0)
>>> m = compare(me, [a, b]).metric("duration_months")
>>> (m.n, m.median, m.share_below)
(2, 36.0, 1.0)
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from temoin.opendata.registry import VALIDATION_LADDER, RegistryEntry

__all__ = ["Comparison", "MetricComparison", "compare"]


@dataclass(frozen=True)
class MetricComparison:
    key: str
    label_fr: str
    label_en: str
    unit: str
    value: float | None
    n: int
    median: float | None
    minimum: float | None
    maximum: float | None
    share_below: float | None  # share of registry values strictly below the contract's value
    excluded: int  # registry entries with the value unknown or in another currency

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Comparison:
    contract_id: str
    registry_size: int
    metrics: tuple[MetricComparison, ...]
    designs: dict[str, int] = field(default_factory=dict)  # validation method -> count in the registry
    designs_unknown: int = 0
    with_real_counterfactual: int = 0
    contract_design: str | None = None
    contract_has_real_counterfactual: bool | None = None
    capped_at_savings: int = 0
    cap_at_savings_unknown: int = 0
    contract_capped_at_savings: bool | None = None

    def metric(self, key: str) -> MetricComparison:
        return next(m for m in self.metrics if m.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract_id": self.contract_id,
            "registry_size": self.registry_size,
            "metrics": [m.to_dict() for m in self.metrics],
            "designs": dict(self.designs),
            "designs_unknown": self.designs_unknown,
            "with_real_counterfactual": self.with_real_counterfactual,
            "contract_design": self.contract_design,
            "contract_has_real_counterfactual": self.contract_has_real_counterfactual,
            "capped_at_savings": self.capped_at_savings,
            "cap_at_savings_unknown": self.cap_at_savings_unknown,
            "contract_capped_at_savings": self.contract_capped_at_savings,
        }


def _num(x: Decimal | float | int | None) -> float | None:
    return None if x is None else float(x)


def _metric(
    key: str, fr: str, en: str, unit: str, me: RegistryEntry, others: Sequence[RegistryEntry],
    get: Callable[[RegistryEntry], float | None], *, same_currency: bool,
) -> MetricComparison:
    value = get(me)
    values = []
    for e in others:
        if same_currency and (e.currency is None or e.currency != me.currency):
            continue
        v = get(e)
        if v is not None:
            values.append(v)
    below = None if value is None or not values else sum(1 for v in values if v < value) / len(values)
    return MetricComparison(
        key, fr, en, unit, value, len(values),
        statistics.median(values) if values else None,
        min(values) if values else None,
        max(values) if values else None,
        below, len(others) - len(values),
    )


def compare(contract: RegistryEntry, registry: Sequence[RegistryEntry]) -> Comparison:
    """Compare one registry entry (usually a Témoin contract) with the others."""
    others = [e for e in registry if not (e.id == contract.id and e.source == contract.source)]
    cur = contract.currency or "?"
    metrics = (
        _metric("price_per_outcome", "Prix le plus élevé par résultat", "Highest price per outcome", cur, contract, others,
                lambda e: _num(max(e.prices_per_outcome)) if e.prices_per_outcome else None, same_currency=True),
        _metric("max_payment_per_beneficiary", "Paiement maximal par bénéficiaire visé",
                "Maximum outcome payment per targeted beneficiary", cur, contract, others,
                lambda e: _num(e.max_payment_per_beneficiary), same_currency=True),
        _metric("max_outcome_payment", "Paiement aux résultats maximal", "Maximum outcome payment", cur, contract, others,
                lambda e: _num(e.max_outcome_payment), same_currency=True),
        _metric("max_return_pct", "Rendement maximal des investisseurs", "Maximum investor return", "%", contract, others,
                lambda e: e.max_return_pct, same_currency=False),
        _metric("duration_months", "Durée de l'accompagnement", "Service duration", "months", contract, others,
                lambda e: e.duration_months, same_currency=False),
    )
    designs = Counter(e.validation_method for e in others if e.validation_method is not None)
    ordered = {m: designs[m] for m in VALIDATION_LADDER if designs.get(m)}
    return Comparison(
        contract_id=contract.id,
        registry_size=len(others),
        metrics=metrics,
        designs=ordered,
        designs_unknown=sum(1 for e in others if e.validation_method is None),
        with_real_counterfactual=sum(1 for e in others if e.has_real_counterfactual),
        contract_design=contract.validation_method,
        contract_has_real_counterfactual=contract.has_real_counterfactual,
        capped_at_savings=sum(1 for e in others if e.capped_at_savings),
        cap_at_savings_unknown=sum(1 for e in others if e.capped_at_savings is None),
        contract_capped_at_savings=contract.capped_at_savings,
    )
