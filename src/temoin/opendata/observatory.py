"""The observatory: how a contract's terms compare with its peers, and what the registry shows.

Peers are the other registry entries of the same policy sector and country. When there are none,
the comparison widens to the same sector in any country, then to the whole registry, and says so
(``Comparison.peer_group``). For each term (price per outcome, maximum outcome payment per targeted
beneficiary, investor return, duration) it gives the contract's value, the peers' median and
range, and the share of peers below it. Amounts are compared only with entries in the same
currency (no exchange rates are assumed); those in other currencies are counted as excluded.

Across the whole registry, :func:`safeguard_counts` counts the figures a civil-society reader
asks for first: how many entries have a real counterfactual (a randomised or quasi-experimental
comparison group), a cap on payments at the public savings actually realised, and published
results; each with how many are unknown, so that "not recorded" is never read as "no".

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
from enum import StrEnum
from typing import Any

from temoin.opendata.registry import VALIDATION_LADDER, RegistryEntry

__all__ = ["Comparison", "MetricComparison", "PeerGroup", "SafeguardCounts", "compare", "counts_by_source", "safeguard_counts"]


class PeerGroup(StrEnum):
    """Which entries a contract is compared with, nearest first."""

    SECTOR_COUNTRY = "sector_country"
    SECTOR = "sector"
    ALL = "all"


@dataclass(frozen=True)
class MetricComparison:
    key: str
    """Named by its label (``label:observatory_metric:<key>``)."""
    unit: str
    value: float | None
    n: int
    median: float | None
    minimum: float | None
    maximum: float | None
    share_below: float | None  # share of peer values strictly below the contract's value
    excluded: int  # peers with the value unknown or in another currency

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SafeguardCounts:
    """Counts over a set of registry entries (each figure with its number of unknowns)."""

    entries: int
    validation_known: int
    real_counterfactual: int
    cap_known: int
    capped_at_savings: int
    results_known: int
    published_results: int
    designs: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def safeguard_counts(entries: Sequence[RegistryEntry]) -> SafeguardCounts:
    """How many entries have a real counterfactual, a cap at realised savings, published results."""
    designs = Counter(e.validation_method for e in entries if e.validation_method is not None)
    return SafeguardCounts(
        entries=len(entries),
        validation_known=sum(1 for e in entries if e.validation_method is not None),
        real_counterfactual=sum(1 for e in entries if e.has_real_counterfactual),
        cap_known=sum(1 for e in entries if e.capped_at_savings is not None),
        capped_at_savings=sum(1 for e in entries if e.capped_at_savings),
        results_known=sum(1 for e in entries if e.has_published_results is not None),
        published_results=sum(1 for e in entries if e.has_published_results),
        designs={m: designs[m] for m in VALIDATION_LADDER if designs.get(m)},
    )


def counts_by_source(entries: Sequence[RegistryEntry]) -> dict[str, SafeguardCounts]:
    """:func:`safeguard_counts` for the whole registry (``all``), Témoin's contracts and INDIGO projects."""
    return {"all": safeguard_counts(entries), "temoin": safeguard_counts([e for e in entries if e.source == "temoin"]),
            "indigo": safeguard_counts([e for e in entries if e.source == "indigo"])}


@dataclass(frozen=True)
class Comparison:
    contract_id: str
    registry_size: int
    metrics: tuple[MetricComparison, ...]  # against the peer group below
    designs: dict[str, int] = field(default_factory=dict)  # validation method -> count in the registry
    designs_unknown: int = 0
    with_real_counterfactual: int = 0
    contract_design: str | None = None
    contract_has_real_counterfactual: bool | None = None
    capped_at_savings: int = 0
    cap_at_savings_unknown: int = 0
    contract_capped_at_savings: bool | None = None
    peer_group: PeerGroup = PeerGroup.ALL
    peers: tuple[str, ...] = ()  # the peers' ids
    group_sizes: dict[str, int] = field(default_factory=dict)  # PeerGroup value -> entries in it
    sector: str | None = None
    country: str | None = None
    registry: SafeguardCounts | None = None  # the whole registry, this contract excluded
    published_results: int = 0
    registry_metrics: tuple[MetricComparison, ...] = ()  # against the whole registry

    def metric(self, key: str) -> MetricComparison:
        return next(m for m in self.metrics if m.key == key)

    def registry_metric(self, key: str) -> MetricComparison:
        return next(m for m in self.registry_metrics if m.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract_id": self.contract_id,
            "registry_size": self.registry_size,
            "sector": self.sector,
            "country": self.country,
            "peer_group": self.peer_group.value,
            "peers": list(self.peers),
            "group_sizes": dict(self.group_sizes),
            "metrics": [m.to_dict() for m in self.metrics],
            "registry_metrics": [m.to_dict() for m in self.registry_metrics],
            "designs": dict(self.designs),
            "designs_unknown": self.designs_unknown,
            "with_real_counterfactual": self.with_real_counterfactual,
            "contract_design": self.contract_design,
            "contract_has_real_counterfactual": self.contract_has_real_counterfactual,
            "capped_at_savings": self.capped_at_savings,
            "cap_at_savings_unknown": self.cap_at_savings_unknown,
            "contract_capped_at_savings": self.contract_capped_at_savings,
            "published_results": self.published_results,
            "registry": None if self.registry is None else self.registry.to_dict(),
        }


def _num(x: Decimal | float | int | None) -> float | None:
    return None if x is None else float(x)


def _metric(
    key: str, unit: str, me: RegistryEntry, others: Sequence[RegistryEntry],
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
        key, unit, value, len(values),
        statistics.median(values) if values else None,
        min(values) if values else None,
        max(values) if values else None,
        below, len(others) - len(values),
    )


def _metrics(contract: RegistryEntry, peers: Sequence[RegistryEntry]) -> tuple[MetricComparison, ...]:
    cur = contract.currency or "?"
    return (
        _metric("price_per_outcome", cur, contract, peers,
                lambda e: _num(max(e.prices_per_outcome)) if e.prices_per_outcome else None, same_currency=True),
        _metric("max_payment_per_beneficiary", cur, contract, peers,
                lambda e: _num(e.max_payment_per_beneficiary), same_currency=True),
        _metric("max_outcome_payment", cur, contract, peers,
                lambda e: _num(e.max_outcome_payment), same_currency=True),
        _metric("max_return_pct", "%", contract, peers,
                lambda e: e.max_return_pct, same_currency=False),
        _metric("duration_months", "months", contract, peers,
                lambda e: e.duration_months, same_currency=False),
    )


def _groups(contract: RegistryEntry, others: Sequence[RegistryEntry]) -> dict[PeerGroup, list[RegistryEntry]]:
    sector = [e for e in others if contract.sector is not None and e.sector == contract.sector]
    return {
        PeerGroup.SECTOR_COUNTRY: [e for e in sector if contract.country is not None and e.country == contract.country],
        PeerGroup.SECTOR: sector,
        PeerGroup.ALL: list(others),
    }


def compare(contract: RegistryEntry, registry: Sequence[RegistryEntry]) -> Comparison:
    """Compare one registry entry (usually a Témoin contract) with its peers and count the registry."""
    others = [e for e in registry if not (e.id == contract.id and e.source == contract.source)]
    groups = _groups(contract, others)
    group = next((g for g in PeerGroup if groups[g]), PeerGroup.ALL)
    peers = groups[group]
    counts = safeguard_counts(others)
    return Comparison(
        contract_id=contract.id,
        registry_size=len(others),
        metrics=_metrics(contract, peers),
        designs=counts.designs,
        designs_unknown=counts.entries - counts.validation_known,
        with_real_counterfactual=counts.real_counterfactual,
        contract_design=contract.validation_method,
        contract_has_real_counterfactual=contract.has_real_counterfactual,
        capped_at_savings=counts.capped_at_savings,
        cap_at_savings_unknown=counts.entries - counts.cap_known,
        contract_capped_at_savings=contract.capped_at_savings,
        peer_group=group,
        peers=tuple(e.id for e in peers),
        group_sizes={g.value: len(groups[g]) for g in PeerGroup},
        sector=contract.sector,
        country=contract.country,
        registry=counts,
        published_results=counts.published_results,
        registry_metrics=_metrics(contract, others),
    )
