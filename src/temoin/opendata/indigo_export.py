"""Export a contract as an INDIGO project (data standard 4.1), public fields only.

The result is ``{"id": "TEMOIN-POJ-<contract id>", "data": {...}}``: the ``data`` part validates
against the INDIGO project schema (checked by the tests). Parties marked ``public: false`` are
never named: their organisation references are left out, their amounts stay in the totals.
Nothing about participants is exported: INDIGO describes contracts, not people.

Every exported value carries the status ``PUBLIC`` where the standard has a status, and points at
one source, the contract as registered in Témoin.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from temoin.contract.model import Contract, Design, Party, Role

__all__ = ["INDIGO_POLICY_SECTOR", "INDIGO_VALIDATION_METHOD", "export_project", "project_id"]

SOURCE_ID = "source1"

INDIGO_POLICY_SECTOR: dict[str, str] = {
    "child_protection": "Child and family welfare",
    "housing": "Homelessness",
    "employment": "Employment and training",
    "health": "Health",
    "education": "Education",
    "justice": "Criminal justice",
}

# INDIGO's outcome-validation ladder (data dictionary, outcome_metrics/outcome_validation_method).
INDIGO_VALIDATION_METHOD: dict[Design, str] = {
    Design.INDIVIDUAL_RCT: "Randomised Control Trial",
    Design.STRATIFIED_RCT: "Randomised Control Trial",
    Design.CLUSTER_RCT: "Randomised Control Trial",
    Design.MATCHED_COMPARISON: "Quasi-experimental study",
    Design.DIFF_IN_DIFF: "Quasi-experimental study",
    Design.BENCHMARK: "Historical comparison",
    Design.HISTORICAL: "Historical comparison",
    Design.PRE_POST: "Pre-Post analysis",
    Design.ABSOLUTE_TARGET: "Simple ex-post verification",
}

_PROVIDER_CATEGORY = {
    "association": "Nonprofit/NGO",
    "foundation": "Foundation/Philanthropist",
    "public_body": "Government/Public Sector/Public Bank",
    "company": "For-profit",
    "bank": "For-profit",
}
_PAYER_CATEGORY = {
    "association": "Nonprofit/NGO",
    "foundation": "Foundation/Philanthropist",
    "public_body": "Government/Public Sector/Public Bank",
    "network": "Nonprofit/NGO",
}
_INVESTOR_CATEGORY = {
    "association": "Nonprofit/NGO",
    "foundation": "Foundation/Philanthropist",
    "public_body": "Government/Public Sector/Public Bank",
    "company": "Commercial",
    "bank": "Commercial",
}
_INVESTMENT_TYPE = {"debt": "Debt", "equity": "Equity"}
_COST_CLASSIFICATION = {
    # Témoin cost kind -> (INDIGO outcome-payer cost classification, phase)
    "structuring": ("Financial advice on contract design", "Contract set up and negotiation"),
    "legal": ("Legal advice on contract design", "Contract set up and negotiation"),
    "evaluation": ("Evaluation, learning and dissemination", "Operational and management"),
    "intermediation": ("Validation and administration of outcome achievement and related payments costs", "Operational and management"),
    "other": ("Other costs", "Operational and management"),
}


def project_id(contract: Contract) -> str:
    return f"TEMOIN-POJ-{contract.id}"


def _v(value: Any, *, status: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value}
    if status:
        out["status"] = "PUBLIC"
    return out


def _num(amount: Decimal) -> int | float:
    """A JSON number for an amount (INDIGO amounts are numbers, in the original currency)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _org(party: Party | None) -> dict[str, Any] | None:
    return _v(f"TEMOIN-ORG-{party.id}") if party is not None and party.public else None


def _country(jurisdiction: str) -> str:
    return jurisdiction.split("-", 1)[0].upper()


def _months(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` inclusive (2019-01-01 to 2022-12-31 is 48)."""
    after = end + dt.timedelta(days=1)
    return (after.year - start.year) * 12 + (after.month - start.month) - (1 if after.day < start.day else 0)


def _stage(contract: Contract, as_of: dt.date) -> str | None:
    if contract.signed_date is None or as_of < contract.signed_date:
        return None
    if as_of < contract.start_date:
        return "Contracted"
    if as_of <= contract.end_date:
        return "Implementation"
    last_payment = max(p.payment_date for p in contract.payments.periods)
    return "Complete" if as_of > last_payment else "Service delivery complete"


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _target_text(contract: Contract, indicator_id: str) -> str | None:
    ev = contract.evaluation
    price = next((p for p in contract.payments.indicators if p.indicator == indicator_id), None)
    parts = []
    if ev.target is not None and ev.analysis_plan.primary_outcome == indicator_id:
        parts.append(f"{ev.target.successes} successes out of {ev.target.out_of}")
    if ev.benchmark is not None and ev.analysis_plan.primary_outcome == indicator_id:
        parts.append(f"compared with a reference rate of {ev.benchmark.reference_rate:g} ({ev.benchmark.source})")
    if price is not None:
        parts.append(f"payment above a verified impact of {price.threshold:g}")
        parts.extend(f"bonus {_num(t.bonus)} {contract.currency} above {t.above:g}" for t in price.bonus_tiers)
    return "; ".join(parts) or None


def _max_outcome_payment(contract: Contract) -> Decimal | None:
    if contract.caps.total_outcome_payments is not None:
        return contract.caps.total_outcome_payments
    commitments = [p.max_commitment for p in contract.parties_with(Role.OUTCOME_PAYER) if p.max_commitment is not None]
    return sum(commitments, Decimal(0)) if commitments else None


def export_project(contract: Contract, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """The contract as an INDIGO project: ``{"id": ..., "data": ...}`` (public fields only)."""
    as_of = as_of or dt.date.today()
    cur = contract.currency
    src = SOURCE_ID
    data: dict[str, Any] = {
        "status": "PUBLIC",
        "name": _v(contract.title.en),
        "alternative_names": _v(contract.title.fr),
        "jurisdiction": {"jurisdiction": _v(_country(contract.jurisdiction), status=True), "source_ids": src},
        "dates": _drop_none({
            "outcomes_contract_signed": _v(contract.signed_date.isoformat(), status=True) if contract.signed_date else None,
            "start_date_of_service_provision": _v(contract.start_date.isoformat(), status=True),
            "anticipated_end_date_of_service_provision": _v(contract.end_date.isoformat(), status=True),
            "anticipated_completion_date": _v(max(p.payment_date for p in contract.payments.periods).isoformat(), status=True),
            "anticipated_duration_of_service_provision": _v(_months(contract.start_date, contract.end_date), status=True),
            "source_ids": src,
        }),
        "purpose_and_classifications": _drop_none({
            "social_challenge": _v(contract.population.description.en, status=True),
            "intervention": _v(contract.summary.en, status=True),
            "policy_sector": _v(INDIGO_POLICY_SECTOR[contract.policy_sector]) if contract.policy_sector in INDIGO_POLICY_SECTOR else None,
            "source_ids": src,
        }),
        "service_and_beneficiaries": {
            "target_population": _v(contract.population.description.en, status=True),
            "targeted_number_service_users_or_beneficiaries_total": _v(contract.population.expected_size, status=True),
            "unit_type_targeted_service_users_or_beneficiaries": {"value": "Individual", "status": "PUBLIC"},
            "source_ids": src,
        },
        "sources": [{
            "id": src,
            "name": _v("Témoin contract register"),
            "type": _v("Contract"),
            "notes": f"Contract '{contract.id}' as registered in Témoin"
            + (" (a synthetic, illustrative contract)" if contract.synthetic else "") + ".",
            "status": "PUBLIC",
        }],
    }
    stage = _stage(contract, as_of)
    if stage:
        data["stage_development"] = {"value": stage, "source_ids": src, "status": "PUBLIC"}
    if contract.synthetic:
        data["notes"] = {"value": "Synthetic contract: illustrative terms, not a signed contract.", "status": "PUBLIC"}

    finance: dict[str, Any] = {"source_ids": src}
    if contract.investments:
        finance["total_investment_commitment"] = {
            "currency": _v(cur, status=True), "amount": {"exact": _v(_num(contract.invested.amount), status=True)}}
    max_payment = _max_outcome_payment(contract)
    if max_payment is not None:
        finance["maximum_potential_outcome_payment_v2"] = {"currency": _v(cur, status=True), "amount": _v(_num(max_payment), status=True)}
    cap = contract.caps.investor_return
    if cap is not None:
        if cap.kind == "irr":
            finance["maximum_potential_return_type"] = _v("IRR", status=True)
            finance["maximum_potential_return"] = _v(f"{cap.value * 100:g}%", status=True)
        else:
            finance["maximum_potential_return"] = _v(f"{(cap.value - 1) * 100:g}% (capped at {cap.value:g} times the principal)", status=True)
    notes = []
    if contract.caps.payments_within_realised_savings:
        notes.append("Outcome payments are capped at the public savings actually realised.")
    if contract.caps.per_participant is not None:
        notes.append(f"Outcome payments are capped at {_num(contract.caps.per_participant)} {cur} per participant.")
    if notes:
        finance["notes"] = " ".join(notes)
    data["overall_project_finance"] = finance

    data["service_provisions"] = [
        _drop_none({
            "id": f"service-provision-{i}",
            "organisation_id": _org(p),
            "organisation_role_category": _v(_PROVIDER_CATEGORY.get(p.kind, "Other")),
            "intervention": _v(contract.summary.en),
            "planned_service": {"start_date": _v(contract.start_date.isoformat()), "end_date": _v(contract.end_date.isoformat())},
            "source_ids": src,
            "status": "PUBLIC",
        })
        for i, p in enumerate(contract.parties_with(Role.OPERATOR), start=1)
    ]
    data["outcome_payment_commitments"] = [
        _drop_none({
            "organisation_id": _org(p),
            "organisation_role_category": _v(_PAYER_CATEGORY.get(p.kind, "Other")),
            "maximum_potential_outcome_payment": (
                {"currency": _v(cur, status=True), "amount": _v(_num(p.max_commitment))} if p.max_commitment is not None else None),
            "result_type": _v("Overall"),
            "source_ids": src,
            "status": "PUBLIC",
        })
        for p in contract.parties_with(Role.OUTCOME_PAYER)
    ]
    data["investments"] = [_investment(contract, i, inv) for i, inv in enumerate(contract.investments, start=1)]
    data["intermediary_services"] = [
        _drop_none({"organisation_id": _org(p), "organisation_role_category": _v("Impact bond design"),
                    "source_ids": src, "status": "PUBLIC"})
        for p in contract.parties_with(Role.STRUCTURER)
    ]
    design = contract.evaluation.design
    data["outcome_metrics"] = [
        _drop_none({
            "id": ind.id,
            "definition": _v(ind.definition.en),
            "target_population": _v(contract.population.description.en),
            "targeted_number_of_service_users_or_beneficiaries_total": _v(contract.population.expected_size),
            "unit_type_of_targeted_service_users_or_beneficiaries": _v("Individual"),
            "outcome_metric_target": _v(t) if (t := _target_text(contract, ind.id)) else None,
            "outcome_validation_method": _v(INDIGO_VALIDATION_METHOD[design]),
            "data_source_for_outcome_validation": _v(f"{ind.method} ({ind.data_source.replace('_', ' ')})"),
            "policy_sector": _v(INDIGO_POLICY_SECTOR[contract.policy_sector]) if contract.policy_sector in INDIGO_POLICY_SECTOR else None,
            "notes": f"Témoin design: {design.value}; measured {ind.measured_at}; unit: {ind.unit}; improvement = {ind.direction}.",
            "source_ids": src,
            "status": "PUBLIC",
        })
        for ind in contract.indicators
    ]
    data["outcome_pricings"] = [
        _drop_none({
            "outcome_metric_id": _v(price.indicator),
            "currency": _v(cur),
            "price_per_unit": {"amount": _v(_num(price.price_per_unit))},
            "maximum_price_if_all_targets_achieved": {"amount": _v(f"{_num(max_payment)}")} if max_payment is not None else None,
            "price_description": _v(
                f"{_num(price.price_per_unit)} {cur} per unit of verified impact per treated participant, "
                f"paid on the {contract.payments.basis.replace('_', ' ')}"),
            "source_ids": src,
            "status": "PUBLIC",
        })
        for price in contract.payments.indicators
    ] + [
        {
            "outcome_metric_id": _v(item.outcome),
            "currency": _v(cur),
            "price_per_unit": {"amount": _v(_num(item.price))},
            "price_description": _v(f"Rate card: {item.label.en}"),
            "source_ids": src,
            "status": "PUBLIC",
        }
        for item in contract.payments.rate_card
    ]
    starts = [contract.start_date] + [p.end_date for p in contract.payments.periods[:-1]]
    data["outcome_payment_plans"] = [
        {"id": _v(p.id), "period": {"start_date": _v(start.isoformat()), "end_date": _v(p.end_date.isoformat())},
         "notes": f"{p.label.en}; payment due {p.payment_date.isoformat()}.", "source_ids": src, "status": "PUBLIC"}
        for start, p in zip(starts, contract.payments.periods, strict=True)
    ]
    payers = {p.id for p in contract.parties_with(Role.OUTCOME_PAYER)}
    data["outcome_payer_cost"] = [
        _drop_none({
            "date": _v(c.date.isoformat()),
            "phase": _v(_COST_CLASSIFICATION[c.kind][1]),
            "classification": _v(_COST_CLASSIFICATION[c.kind][0]),
            "payment": {"currency": _v(cur), "planned": _v(_num(c.amount))},
            "incurred_by": _org(contract.party(c.paid_by)),
            "type": _v("Purchased or spent"),
            "source_ids": src,
            "status": "PUBLIC",
        })
        for c in contract.costs if c.paid_by in payers
    ]
    return {"id": project_id(contract), "data": {k: v for k, v in data.items() if v != []}}


def _investment(contract: Contract, i: int, inv: Any) -> dict[str, Any]:
    party = contract.party(inv.investor)
    amount = sum((t.amount for t in inv.tranches), Decimal(0))
    out: dict[str, Any] = {
        "id": f"investment-{i}",
        "investment_commitment": {"currency": _v(contract.currency), "amount": {"exact": _v(_num(amount))}},
        "source_ids": SOURCE_ID,
        "status": "PUBLIC",
    }
    org = _org(party)
    if org is not None:
        out["organisation_id"] = org
    if party is not None and party.kind in _INVESTOR_CATEGORY:
        out["organisation_role_category"] = _v(_INVESTOR_CATEGORY[party.kind])
    if inv.instrument in _INVESTMENT_TYPE:
        out["investment_type"] = _v(_INVESTMENT_TYPE[inv.instrument])
    cap = contract.caps.investor_return
    if cap is not None and cap.kind == "irr":
        out["maximum_potential_return_type"] = _v("IRR")
        out["maximum_potential_return"] = _v(round(cap.value * 100, 6))
    notes = [f"{inv.seniority.replace('_', ' ')} {inv.instrument}"]
    if inv.guarantee is not None:
        guarantor = contract.party(inv.guarantee.guarantor)
        who = guarantor.name if guarantor is not None and guarantor.public else "a guarantor"
        notes.append(f"{inv.guarantee.share_of_principal:.0%} of the principal guaranteed by {who}")
        out["maximum_potential_loss"] = _v(f"{(1 - inv.guarantee.share_of_principal) * 100:g}%")
    out["notes"] = "; ".join(notes) + "."
    return out
