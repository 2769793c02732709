"""Contracts stored under the previous format keep loading and settling unchanged.

``tests/data/previous-release/`` holds the bundled contracts of the release before the one payment
rule, and what that release's ``settle`` paid for them (computed by that release's code, see the
README there). Three differences are the fixes of this release, and are checked as such:

- a new line in the waterfall, the payer's maximum commitment, now a cap of its own (it must not
  bind for these contracts);
- before the last period is settled, an investor's loss is no longer stated (nothing is lost yet);
- the break-even effect of a design that can never meet the evidence standard (an absolute target
  paid only with the standard) is None: no verified effect makes it pay, where the previous release
  assumed the standard met.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from temoin.contract import load_contract
from temoin.settlement import settle
from temoin.settlement.inputs import results_from_data

FOLDER = Path(__file__).parent / "data" / "previous-release"
EXPECTED = json.loads((FOLDER / "settlements.json").read_text(encoding="utf-8"))
CASES = [(name, k) for name, cases in EXPECTED.items() for k in range(len(cases))]


def test_every_previously_bundled_contract_is_covered() -> None:
    assert sorted(p.stem for p in FOLDER.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize(("name", "k"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_a_previous_release_contract_settles_to_the_same_amounts(name: str, k: int) -> None:
    want = EXPECTED[name][k]
    contract = load_contract(FOLDER / f"{name}.yaml")
    s = settle(contract, results_from_data(contract, 1, want["results"]), contract_version=1).to_dict()
    assert s["total_paid"] == want["total_paid"] and s["final"] == want["final"]
    for got, exp in zip(s["periods"], want["periods"], strict=True):  # type: ignore[call-overload]
        for key in ("period", "amount_due", "cumulative_entitlement", "realised_savings"):
            assert got[key] == exp[key], (got["period"], key)
        caps = {c["name"]: [c["limit"], c["reduction"]] for c in got["caps"]}
        for cap, value in exp["caps"].items():
            assert caps.pop(cap) == value, (got["period"], cap)
        assert set(caps) <= {"payer_commitment"} and all(v[1] == "0.00" for v in caps.values())
        assert {x["investor"]: x["amount"] for x in got["investor_shares"]} == exp["investor_shares"]
        assert [e["status"] for e in got["entitlements"]] == exp["statuses"]
    for inv in s["investors"]:  # type: ignore[attr-defined]
        exp = want["investors"][inv["investor"]]
        assert [inv["received"], inv["guarantee"]] == [exp["received"], exp["guarantee"]]
        if want["final"]:
            assert inv["loss"] == exp["loss"] and inv["irr"] == pytest.approx(exp["irr"], abs=1e-12)
        else:
            assert inv["loss"] is None and inv["irr"] is None
    never_meets = not contract.evaluation.design.has_counterfactual and not contract.payments.pay_without_evidence_standard
    for key, value in want["public_cost"].items():
        got_value = s["public_cost"][key]  # type: ignore[index]
        if key == "break_even_effect" and never_meets:
            assert got_value is None
            continue
        assert got_value == pytest.approx(value, rel=1e-9) if isinstance(value, float) else got_value == value, key
