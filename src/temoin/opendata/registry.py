"""The public registry: one summary per contract, from Témoin contracts and imported INDIGO projects.

A :class:`RegistryEntry` holds public fields only: terms of the contract, never participants.
From a Témoin contract, parties marked ``public: false`` are not named. From an INDIGO project,
values marked PRIVATE were already dropped at import.

"Published results" means the registry holds outcomes achieved: an INDIGO project with at least
one result (outcomes achieved, people engaged or with a positive outcome); a Témoin contract with
a stored evaluation. "Capped at realised savings" is recorded by Témoin's contracts; the INDIGO
standard has no such field, so an INDIGO project's cap is unknown (``None``), never "no".

"Real counterfactual" means a concurrent comparison group: a randomised trial or a
quasi-experimental design (INDIGO's "Randomised Control Trial" and "Quasi-experimental study";
Témoin's designs with a control cohort). A benchmark or historical comparison, a pre-post
analysis or an ex-post check of an absolute target cannot separate the programme's effect from
what would have happened anyway.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from temoin.contract.model import Contract, Role
from temoin.opendata._cleaning import read_percentage
from temoin.opendata.indigo_export import (
    INDIGO_POLICY_SECTOR,
    INDIGO_VALIDATION_METHOD,
    _max_outcome_payment,
    _months,
    _stage,
)

__all__ = ["PARTY_LISTS", "VALIDATION_LADDER", "RegistryEntry", "entry_from_contract", "entry_from_indigo", "has_results",
           "normalise_method", "project_country"]

# INDIGO's validation methods, strongest first, and whether each has a real counterfactual.
VALIDATION_LADDER: dict[str, bool] = {
    "Randomised Control Trial": True,
    "Quasi-experimental study": True,
    "Historical comparison": False,
    "Pre-Post analysis": False,
    "Simple ex-post verification": False,
}


@dataclass(frozen=True)
class RegistryEntry:
    id: str
    source: Literal["temoin", "indigo"]
    name: str
    country: str | None = None
    sector: str | None = None
    stage: str | None = None
    currency: str | None = None
    start: str | None = None
    end: str | None = None
    duration_months: float | None = None
    targeted_beneficiaries: int | None = None
    max_outcome_payment: Decimal | None = None
    investment: Decimal | None = None
    prices_per_outcome: tuple[Decimal, ...] = ()
    max_return_pct: float | None = None
    capped_at_savings: bool | None = None
    validation_method: str | None = None
    synthetic: bool = False
    parties: tuple[str, ...] = field(default_factory=tuple)
    has_published_results: bool | None = None

    @property
    def has_real_counterfactual(self) -> bool | None:
        if self.validation_method is None:
            return None
        return VALIDATION_LADDER.get(self.validation_method)

    @property
    def max_payment_per_beneficiary(self) -> Decimal | None:
        if self.max_outcome_payment is None or not self.targeted_beneficiaries:
            return None
        return (self.max_outcome_payment / self.targeted_beneficiaries).quantize(Decimal("0.01"))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("max_outcome_payment", "investment"):
            d[k] = None if d[k] is None else format(d[k], "f")
        d["prices_per_outcome"] = [format(p, "f") for p in self.prices_per_outcome]
        d["parties"] = list(self.parties)
        pb = self.max_payment_per_beneficiary
        d["max_payment_per_beneficiary"] = None if pb is None else format(pb, "f")
        d["has_real_counterfactual"] = self.has_real_counterfactual
        return d


def entry_from_contract(contract: Contract, *, as_of: dt.date | None = None,
                        has_published_results: bool | None = None) -> RegistryEntry:
    """A Témoin contract's public terms; ``has_published_results``: whether it has a stored evaluation."""
    as_of = as_of or dt.date.today()
    cap = contract.caps.investor_return
    max_return = None
    if cap is not None:
        max_return = cap.value * 100 if cap.kind == "irr" else (cap.value - 1) * 100
    prices = tuple(p.price_per_unit for p in contract.payments.indicators) + tuple(r.price for r in contract.payments.rate_card)
    return RegistryEntry(
        id=contract.id,
        source="temoin",
        name=contract.title.fr,
        country=contract.jurisdiction.split("-", 1)[0].upper(),
        sector=INDIGO_POLICY_SECTOR.get(contract.policy_sector),
        stage=_stage(contract, as_of),
        currency=contract.currency,
        start=contract.start_date.isoformat(),
        end=contract.end_date.isoformat(),
        duration_months=float(_months(contract.start_date, contract.end_date)),
        targeted_beneficiaries=contract.population.expected_size,
        max_outcome_payment=_max_outcome_payment(contract),
        investment=contract.invested.amount if contract.investments else None,
        prices_per_outcome=prices,
        max_return_pct=None if max_return is None else round(max_return, 6),
        capped_at_savings=contract.caps.payments_within_realised_savings,
        validation_method=INDIGO_VALIDATION_METHOD[contract.evaluation.design],
        synthetic=contract.synthetic,
        parties=tuple(f"{p.name} ({', '.join(r.value for r in p.roles)})" for p in contract.parties if p.public
                      and not (set(p.roles) <= {Role.BENEFICIARY_REP})),
        has_published_results=has_published_results,
    )


def _get(data: dict[str, Any], *path: str) -> Any:
    node: Any = data
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return None


def _months_between(start: str | None, end: str | None) -> float | None:
    if not start or not end or not re.match(r"^\d{4}-\d{2}", start) or not re.match(r"^\d{4}-\d{2}", end):
        return None
    sy, sm = int(start[:4]), int(start[5:7])
    ey, em = int(end[:4]), int(end[5:7])
    months = (ey - sy) * 12 + (em - sm)
    return float(months) if months > 0 else None


def _strongest(methods: list[str]) -> str | None:
    ladder = list(VALIDATION_LADDER)
    known = [m for m in methods if m in ladder]
    return min(known, key=ladder.index) if known else None


def normalise_method(text: str) -> str | None:
    """An outcome validation method as written ("Pre-post analysis", "clustered RCT") on INDIGO's ladder."""
    t = text.lower()
    if "random" in t or "rct" in t:
        return "Randomised Control Trial"
    if "quasi" in t or "matched" in t or "propensity" in t or "difference-in-difference" in t:
        return "Quasi-experimental study"
    if "historic" in t or "benchmark" in t:
        return "Historical comparison"
    if "pre-post" in t or "pre post" in t or "before and after" in t:
        return "Pre-Post analysis"
    if "ex-post" in t or "ex post" in t or "verification" in t:
        return "Simple ex-post verification"
    return None


# INDIGO lists that name a party, and the role each gives it
PARTY_LISTS: tuple[tuple[str, str, str], ...] = (
    ("outcome_payment_commitments", "payeur aux résultats", "outcome payer"),
    ("service_provisions", "opérateur", "service provider"),
    ("investments", "investisseur", "investor"),
    ("intermediary_services", "intermédiaire", "intermediary"),
)


def project_country(data: dict[str, Any]) -> str | None:
    """The project's jurisdiction, else the one country of all its delivery locations (else None)."""
    country = _get(data, "jurisdiction", "jurisdiction", "value")
    if country:
        return str(country)
    places = {c for loc in data.get("delivery_locations", []) if (c := _get(loc, "location_country", "value"))}
    return str(next(iter(places))) if len(places) == 1 else None


def has_results(data: dict[str, Any]) -> bool:
    """Whether an INDIGO project publishes at least one result (achieved, engaged or positive)."""
    keys = ("outcomes_achieved", "number_engaged_in_impact_bond", "number_with_positive_social_outcomes")
    return any(_get(r, k, "value") not in (None, "") for r in data.get("results", []) for k in keys)


def _parties(data: dict[str, Any], organisations: Mapping[str, str]) -> tuple[str, ...]:
    roles: dict[str, list[str]] = {}
    for key, _, en in PARTY_LISTS:
        for item in data.get(key, []):
            for org in str(_get(item, "organisation_id", "value") or "").split(","):
                if org.strip() and en not in roles.setdefault(org.strip(), []):
                    roles[org.strip()].append(en)
    return tuple(f"{organisations.get(org, org)} ({', '.join(r)})" for org, r in roles.items())


def entry_from_indigo(project_id: str, data: dict[str, Any], organisations: Mapping[str, str] | None = None) -> RegistryEntry:
    """Summarise a (cleaned) INDIGO project for the registry; unknown values stay ``None``.

    ``organisations`` maps INDIGO organisation ids to names, for the parties (ids stay when unknown).
    """
    dates = data.get("dates", {})
    start = _get(dates, "start_date_of_service_provision", "value")
    end = _get(dates, "actual_end_date_of_service_provision", "value") or _get(dates, "anticipated_end_date_of_service_provision", "value")
    duration = _decimal(_get(dates, "actual_duration_of_service_provision", "value")) or _decimal(
        _get(dates, "anticipated_duration_of_service_provision", "value"))
    finance = data.get("overall_project_finance", {})
    currency = _get(finance, "maximum_potential_outcome_payment_v2", "currency", "value") or _get(
        finance, "total_investment_commitment", "currency", "value")
    max_return: float | None = None
    raw_return = _get(finance, "maximum_potential_return", "value")
    if raw_return is not None:
        max_return = read_percentage(raw_return).value  # type: ignore[assignment]
    if max_return is None:
        returns = [r for inv in data.get("investments", []) if (r := _get(inv, "maximum_potential_return", "value")) is not None]
        max_return = max(returns) if returns else None
    methods = [normalise_method(str(_get(m, "outcome_validation_method", "value") or "")) for m in data.get("outcome_metrics", [])]
    pricings = data.get("outcome_pricings", [])
    prices = tuple(p for pr in pricings if (p := _decimal(_get(pr, "price_per_unit", "amount", "value"))) is not None)
    pricing_currency = next((_get(pr, "currency", "value") for pr in pricings if _get(pr, "currency", "value")), None)
    targeted = _decimal(_get(data, "service_and_beneficiaries", "targeted_number_service_users_or_beneficiaries_total", "value"))
    return RegistryEntry(
        id=project_id,
        source="indigo",
        name=str(_get(data, "name", "value") or project_id),
        country=project_country(data),
        sector=_get(data, "purpose_and_classifications", "policy_sector", "value"),
        stage=_get(data, "stage_development", "value"),
        currency=currency or pricing_currency,
        start=start,
        end=end,
        duration_months=float(duration) if duration is not None else _months_between(start, end),
        targeted_beneficiaries=int(targeted) if targeted is not None and targeted > 0 else None,
        max_outcome_payment=_decimal(_get(finance, "maximum_potential_outcome_payment_v2", "amount", "value")),
        investment=_decimal(_get(finance, "total_investment_commitment", "amount", "exact", "value")),
        prices_per_outcome=prices if (pricing_currency is None or currency is None or pricing_currency == currency) else (),
        max_return_pct=None if max_return is None else float(max_return),
        capped_at_savings=None,  # INDIGO does not record a cap at realised savings
        validation_method=_strongest([m for m in methods if m]),
        parties=_parties(data, organisations or {}),
        has_published_results=has_results(data),
    )
