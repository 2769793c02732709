"""The four real deals (Peterborough, Rikers Island, ADIE, the DWP rate card): they load, they are
consistent, they say what is an assumption, and their safeguard report is the one their public
terms deserve. Their settlements are golden cases (tests/golden/settlement/real-*.yaml)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from temoin.cli import app
from temoin.contract import check_contract, has_blocking, load_contract
from temoin.contract._consistency import consistency_problems
from temoin.contract.model import SavingsItem
from temoin.errors import NotFoundError
from temoin.examples import EXAMPLES, REAL_DEALS, real_deal_path
from temoin.i18n import Translator
from temoin.settlement import settle
from temoin.settlement.inputs import results_from_data
from temoin.settlement.risk import simulate

runner = CliRunner()

CURRENCY = {"peterborough": "GBP", "rikers": "USD", "adie": "EUR", "dwp-rate-card": "GBP"}

# What each deal lacks, from its public terms (every rule not listed passes):
FAILED = {
    # a matched comparison and a 13 % IRR cap, but no savings cap, no committees, no declarations,
    # an incomplete plan, no reference population, no protected budget lines, no observers, paid
    # on the point estimate
    "peterborough": {"S03", "S06", "S07", "S08", "S10", "S11", "S13", "S14"},
    # the same, with a historical comparison (weak) and no cap on Goldman Sachs' return
    "rikers": {"S02", "S03", "S04", "S06", "S07", "S08", "S10", "S11", "S13", "S14"},
    # an absolute target (cannot prove impact, no control cohort) paid without the evidence standard
    "adie": {"S01", "S03", "S04", "S06", "S07", "S08", "S09", "S10", "S11", "S12", "S13"},
    # outcomes verified one by one, no evaluator, no investors' cap; the savings cap is there (S03)
    "dwp-rate-card": {"S01", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S13"},
}


def test_real_deals_are_bundled_apart_from_the_demo_examples() -> None:
    assert set(REAL_DEALS) == set(CURRENCY)
    assert not set(REAL_DEALS) & set(EXAMPLES)
    assert all(real_deal_path(d).is_file() for d in REAL_DEALS)
    with pytest.raises(NotFoundError) as exc:
        real_deal_path("aemo-renforcee")
    assert "peterborough" in exc.value.render()


@pytest.mark.parametrize("deal", REAL_DEALS)
def test_each_real_deal_loads_and_is_consistent(deal: str) -> None:
    c = load_contract(real_deal_path(deal))
    assert c.id == deal and c.currency == CURRENCY[deal]
    assert consistency_problems(c) == []
    # not every payment term is public: the contract is marked synthetic and says why
    assert c.synthetic is True
    assert "ASSUMPTION" in c.summary.en and "HYPOTHÈSE" in c.summary.fr


@pytest.mark.parametrize("deal", REAL_DEALS)
def test_contract_check_exits_as_its_safeguards_say(deal: str) -> None:
    path = real_deal_path(deal)
    outcomes = check_contract(load_contract(path))
    assert {o.code for o in outcomes if not o.passed} == FAILED[deal]
    res = runner.invoke(app, ["--lang", "en", "contract", "check", str(path), "--json"])
    assert res.exit_code == (1 if has_blocking(outcomes) else 0) == 1, res.output
    assert {f["code"] for f in json.loads(res.stdout) if not f["passed"]} == FAILED[deal]


def test_adie_still_cannot_prove_impact() -> None:
    res = runner.invoke(app, ["--lang", "en", "contract", "check", str(real_deal_path("adie")), "--json"])
    s01 = next(f for f in json.loads(res.stdout) if f["code"] == "S01")
    assert s01["passed"] is False and s01["severity"] == "error" and "cannot prove impact" in s01["message"]
    text = runner.invoke(app, ["contract", "check", str(real_deal_path("adie"))])
    assert text.exit_code == 1 and "ne peut pas prouver un impact" in text.output


def test_savings_cap_on_a_rate_card_needs_a_unit_saving_per_outcome() -> None:
    c = load_contract(real_deal_path("dwp-rate-card"))
    assert next(o for o in check_contract(c) if o.code == "S03").passed
    card = [i.model_copy(update={"unit_saving": None}) if i.outcome == "job_26_weeks" else i for i in c.payments.rate_card]
    without = c.model_copy(update={"payments": c.payments.model_copy(update={"rate_card": card})})
    s03 = next(o for o in check_contract(without) if o.code == "S03")
    assert not s03.passed and "job_26_weeks" in Translator("en").render(s03.message)


def test_pooled_savings_count_at_the_last_period_only() -> None:
    """A pooled result covers every cohort: before the last period, the realised savings are the
    cohorts' own. Hand-worked with an illustrative £10 per unit on Peterborough: cohort 1, 8.4 ×
    1,000 × 10 = £84,000; at cohort 2, the pooled 9 × 2,000 × 10 = £180,000 replaces the cohorts'
    84,000 + 9.4 × 1,000 × 10 = £178,000."""
    c = load_contract(real_deal_path("peterborough"))
    c = c.model_copy(update={"savings": [SavingsItem(indicator="reconviction_events", unit_cost=Decimal("10.00"),
                                                     unit="percentage point × prisoner", source="test")]})
    rows = [{"indicator": "reconviction_events", "wave": w, "improvement": v, "n_treated_followed": n,
             "grade": "meets_with_reservations"} for w, v, n in (("cohort-1", 8.4, 1000), ("cohort-2", 9.4, 1000),
                                                                  ("pooled", 9.0, 2000))]
    s = settle(c, results_from_data(c, 1, rows), contract_version=1, break_even=False)
    assert [str(p.realised_savings.amount) for p in s.periods] == ["84000.00", "180000.00"]


def test_rate_card_simulation_never_pays_above_the_realised_savings() -> None:
    """With the savings cap, every scenario pays at most its savings, so each percentile of the
    payments is at most the same percentile of the savings (and the mean at most the mean)."""
    r = simulate(load_contract(real_deal_path("dwp-rate-card")), 4000, 7)
    pay, sav = r.outcome_payments, r.realised_savings
    assert pay.mean > 0
    for key in ("mean", "p5", "p50", "p95"):
        assert getattr(pay, key) <= getattr(sav, key) + 1e-6, key
