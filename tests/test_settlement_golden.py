"""Golden scenarios: YAML input and hand-worked expected output (see tests/golden/settlement/README.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from temoin.contract import load_contract, parse_contract
from temoin.examples import REAL_DEALS, real_deal_path
from temoin.settlement import settle
from temoin.settlement.inputs import claims_from_data, results_from_data

GOLDEN = Path(__file__).parent / "golden" / "settlement"
EXAMPLES = Path(__file__).parents[1] / "src" / "temoin" / "examples" / "contracts"
CASES = sorted(p for p in GOLDEN.glob("*.yaml"))


def _contract(spec: dict[str, Any]):
    if "contract" in spec:
        return load_contract(EXAMPLES / f"{spec['contract']}.yaml")
    if "real_deal" in spec:
        return load_contract(real_deal_path(spec["real_deal"]))
    if "contract_from" in spec:
        return _contract(yaml.safe_load((GOLDEN / spec["contract_from"]).read_text(encoding="utf-8"))["input"])
    return parse_contract(spec["contract_yaml"])


def test_there_are_golden_cases() -> None:
    names = {p.stem for p in CASES}
    assert {"aemo-renforcee", "relais-familial", "cravate-solidaire", "adie", "peterborough", "rikers"} <= names
    for deal in REAL_DEALS:  # every real deal has its hand-worked cases, and they settle that deal
        cases = [p for p in CASES if p.stem.startswith(f"real-{deal}-")]
        assert cases, deal
        assert all(yaml.safe_load(p.read_text(encoding="utf-8"))["input"]["real_deal"] == deal for p in cases)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec, want = case["input"], case["output"]
    contract = _contract(spec)
    version = spec.get("contract_version", 1)
    as_of = spec.get("as_of")
    s = settle(contract, results_from_data(contract, version, spec.get("results", [])), contract_version=version,
               as_of=dt.date.fromisoformat(str(as_of)) if as_of else None, claims=claims_from_data(spec.get("claims", [])))
    assert s.final == want["final"]
    assert str(s.total_paid.amount) == want["total_paid"], "total paid"
    if "paid_without_evidence_standard" in want:
        assert s.paid_without_evidence_standard == want["paid_without_evidence_standard"]
    got_periods = {p.period: p for p in s.periods}
    for wp in want["periods"]:
        p = got_periods[wp["period"]]
        for key in ("cumulative_entitlement", "realised_savings", "gross", "amount_due", "cumulative_paid"):
            if key in wp:
                assert str(getattr(p, key).amount) == wp[key], f"{wp['period']}.{key}"
        if "limits" in wp:
            assert {c.name: str(c.limit.amount) for c in p.caps} == wp["limits"], f"{wp['period']} cap limits"
        if "reductions" in wp:
            assert {c.name: str(c.reduction.amount) for c in p.caps} == wp["reductions"], f"{wp['period']} reductions"
        if "investor_shares" in wp:
            assert {i: str(m.amount) for i, m in p.investor_shares} == wp["investor_shares"]
        if "payer_shares" in wp:
            assert {i: str(m.amount) for i, m in p.payer_shares} == wp["payer_shares"], f"{wp['period']} payer shares"
        if "rate_card_entitlement" in wp:
            assert str(p.rate_card_entitlement.amount) == wp["rate_card_entitlement"], f"{wp['period']} rate card"
        if "entitlement_status" in wp:
            assert {e.indicator: e.status for e in p.entitlements} == wp["entitlement_status"]
        if "entitlements" in wp:  # by indicator and wave (a cohort's line and the pooled line)
            got = {f"{e.indicator}@{e.wave}": {"status": e.status, "amount": str(e.amount.amount),
                                                "priced_units": Decimal(e.priced_units)} for e in p.entitlements}
            # the units priced are checked where the case states them (an absolute target prices the
            # count achieved, not the count times the people followed)
            lines = {k: {f: Decimal(x) if f == "priced_units" else x for f, x in v.items()}
                     for k, v in wp["entitlements"].items()}
            assert {k: {f: got[k][f] for f in v} for k, v in lines.items() if k in got} == lines, \
                f"{wp['period']} entitlements"
            assert set(got) == set(wp["entitlements"]), f"{wp['period']} entitlement lines"
    positions = {i.investor: i for i in s.investors}
    for inv, exp in want.get("investors", {}).items():
        pos = positions[inv]
        for key in ("received", "guarantee", "loss"):
            if key in exp:
                got = getattr(pos, key)
                assert (None if got is None else str(got.amount)) == exp[key], f"{inv}.{key}"
        if "multiple" in exp:
            assert pos.multiple == pytest.approx(exp["multiple"], abs=1e-12)
        if "irr" in exp and exp["irr"] is None:  # before the settlement is final: no IRR stated
            assert pos.irr is None, f"{inv} IRR"
        elif "irr" in exp:
            assert pos.irr == pytest.approx(exp["irr"], abs=1e-9), f"{inv} IRR"
    if "pool_irr" in want:
        assert s.pool_irr == pytest.approx(want["pool_irr"], abs=want.get("pool_irr_tolerance", 1e-9))
    for key, value in want.get("public_cost", {}).items():
        got = getattr(s.public_cost, key)
        assert str(got.amount) == value, f"public_cost.{key}"
    assert sorted({n.code for n in s.notices if n.code != "pending_result"}) == sorted(want["notices"])
