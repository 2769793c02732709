"""Settlement rules a payer, an investor or an observer would notice, and refused inputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from temoin.contract import load_contract, parse_contract
from temoin.contract.model import (
    Caps,
    Contract,
    Guarantee,
    Investment,
    RateCardItem,
    ReturnCap,
    Text,
    Tranche,
)
from temoin.errors import ContractValidationError, InvalidInputError
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.i18n import Translator
from temoin.money import Money
from temoin.settlement import CapLine, OutcomeClaim, break_even_effect, payer_cost_at, settle

EXAMPLES = Path(__file__).parents[1] / "src" / "temoin" / "examples" / "contracts"
G = EvidenceGrade


@pytest.fixture(scope="module")
def aemo() -> Contract:
    return load_contract(EXAMPLES / "aemo-renforcee.yaml")


def res(contract: Contract, wave: str, point: float, lower: float, n: int = 368, grade: EvidenceGrade = G.MEETS,
        indicator: str = "placement_days", version: int = 1) -> ImpactResult:
    est = EffectEstimate(point, 10.0, lower, point + 20, 0.01, 300, n, n, "HC2", "ols")
    return ImpactResult(contract.id, version, indicator, wave, est, point, lower, n, grade)


def eur(x: str) -> Money:
    return Money.of(x)


def test_lower_bound_is_paid_not_point_estimate(aemo: Contract) -> None:
    s = settle(aemo, [res(aemo, "m12", 30, 18)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert s.periods[0].amount_due == eur("993600.00")  # 18 × 368 × 150
    point = aemo.model_copy(update={"payments": aemo.payments.model_copy(update={"basis": "point_estimate"})})
    s2 = settle(point, [res(aemo, "m12", 30, 18)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert s2.periods[0].cumulative_entitlement == eur("1656000.00")  # 30 × 368 × 150


def test_no_payment_when_evidence_does_not_meet_standards(aemo: Contract) -> None:
    s = settle(aemo, [res(aemo, "m12", 30, 18, grade=G.DOES_NOT_MEET)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert s.total_paid == eur("0")
    assert s.periods[0].entitlements[0].status == "evidence_insufficient"
    assert s.periods[0].realised_savings == eur("0")
    assert any(n.code == "evidence_insufficient" and n.level == "alert" for n in s.notices)


def test_paying_without_evidence_standard_is_said_loudly(aemo: Contract) -> None:
    c = aemo.model_copy(update={"payments": aemo.payments.model_copy(update={"pay_without_evidence_standard": True})})
    s = settle(c, [res(c, "m12", 30, 18, grade=G.DOES_NOT_MEET)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert s.total_paid == eur("993600.00")
    assert s.paid_without_evidence_standard
    alert = next(n for n in s.notices if n.code == "paid_without_evidence_standard")
    assert alert.level == "alert" and alert.message is not None
    assert "NE SATISFAIT PAS" in Translator("fr").render(alert.message)
    assert "DOES NOT MEET" in Translator("en").render(alert.message)


def test_threshold_and_highest_bonus_tier(aemo: Contract) -> None:
    below = settle(aemo, [res(aemo, "m12", 15, 9.99)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert below.total_paid == eur("0") and below.periods[0].entitlements[0].status == "below_threshold"
    at = settle(aemo, [res(aemo, "m12", 15, 10)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert at.periods[0].cumulative_entitlement == eur("552000.00")  # 10 × 368 × 150, threshold included
    bonus = settle(aemo, [res(aemo, "m12", 80, 61, n=100)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert bonus.periods[0].cumulative_entitlement == eur("965000.00")  # 61 × 100 × 150 + 50,000


def cap(p: object, name: str) -> CapLine:
    return next(c for c in p.caps if c.name == name)  # type: ignore[attr-defined]


def test_later_period_pays_the_difference_and_never_claws_back(aemo: Contract) -> None:
    s = settle(aemo, [res(aemo, "m12", 30, 20, n=100), res(aemo, "m24", 30, 15, n=100)], break_even=False)
    p1, p2 = s.periods
    assert p1.amount_due == eur("300000.00")  # 20 × 100 × 150
    assert p2.cumulative_entitlement == eur("225000.00") and p2.gross == eur("0") and p2.amount_due == eur("0")
    assert p2.cumulative_paid == eur("300000.00")


def test_as_of_settles_only_periods_due_and_guarantees_wait(aemo: Contract) -> None:
    s = settle(aemo, [res(aemo, "m12", 5, 1)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert [p.period for p in s.periods] == ["p1"]
    assert not s.final
    assert all(i.guarantee == eur("0") for i in s.investors)
    pending = settle(aemo, [res(aemo, "m12", 5, 1)], break_even=False)  # m24 result not in yet
    assert not pending.final and pending.periods[1].entitlements[0].status == "pending"


def test_realised_savings_cap_holds_back_then_catches_up(aemo: Contract) -> None:
    # Price above unit cost: payments would outrun savings; the held-back part is paid when savings grow.
    c = aemo.model_copy(update={
        "payments": aemo.payments.model_copy(update={"indicators": [aemo.payments.indicators[0].model_copy(
            update={"price_per_unit": Decimal("200.00"), "bonus_tiers": []})]}),
        "caps": Caps(payments_within_realised_savings=True)})
    s = settle(c, [res(c, "m12", 20, 20, n=100), res(c, "m24", 40, 40, n=100)], break_even=False)
    p1, p2 = s.periods
    assert p1.gross == eur("400000.00") and p1.amount_due == eur("340000.00")  # savings 20 × 100 × 170
    assert cap(p1, "realised_savings").reduction == eur("60000.00")
    assert p2.gross == eur("460000.00") and p2.amount_due == eur("340000.00")  # 680,000 saved − 340,000 paid
    assert p2.cumulative_paid == p2.realised_savings


def test_multiple_cap_and_cap_order(aemo: Contract) -> None:
    c = aemo.model_copy(update={"caps": Caps(total_outcome_payments=Decimal("1300000.00"),
                                             investor_return=ReturnCap(kind="multiple", value=1.05))})
    s = settle(c, [res(c, "m12", 60, 50)], as_of=dt.date(2027, 12, 31), break_even=False)
    p = s.periods[0]
    # the payer's commitment (2,200,000) sits between the total cap and the return cap
    assert [x.name for x in p.caps] == ["total_outcome_payments", "payer_commitment", "investor_return"]
    assert p.gross == eur("2760000.00")
    assert cap(p, "total_outcome_payments").reduction == eur("1460000.00")
    assert cap(p, "payer_commitment").limit == eur("2200000.00") and cap(p, "payer_commitment").reduction == eur("0")
    assert cap(p, "investor_return").limit == eur("1260000.00")
    assert cap(p, "investor_return").reduction == eur("40000.00") and p.amount_due == eur("1260000.00")


def test_seniority_first_loss_and_guarantee(aemo: Contract) -> None:
    c = aemo.model_copy(update={"caps": Caps(), "investments": [
        Investment(investor="fonds-enfance", seniority="first_loss", tranches=[Tranche(date=dt.date(2025, 1, 15), amount=Decimal(200000))]),
        Investment(investor="banque-solidaire", seniority="senior", tranches=[Tranche(date=dt.date(2025, 1, 15), amount=Decimal(800000))],
                   guarantee=Guarantee(guarantor="fondation-garante", share_of_principal=0.1))]})
    s = settle(c, [res(c, "m12", 10, 10, n=300), res(c, "m24", 12, 12, n=300)], break_even=False)
    first_loss, senior = s.investors
    assert s.total_paid == eur("540000.00")  # 12 × 300 × 150
    assert senior.repaid_principal == eur("540000.00") and first_loss.received == eur("0")
    assert senior.guarantee == eur("80000.00") and senior.loss == eur("180000.00")
    assert first_loss.loss == eur("200000.00") and first_loss.irr == -1.0


def test_rate_card_per_participant_cap() -> None:
    c = load_contract(EXAMPLES / "cravate-solidaire.yaml")
    card = [RateCardItem(outcome="job_entry", label=Text(fr="Emploi", en="Job"), price=Decimal("3500")),
            RateCardItem(outcome="job_26w", label=Text(fr="Emploi 26 sem.", en="26-week job"), price=Decimal("2000")),
            RateCardItem(outcome="nqf2", label=Text(fr="Qualification", en="Qualification"), price=Decimal("3300"))]
    c = c.model_copy(update={"payments": c.payments.model_copy(update={"indicators": [], "rate_card": card}),
                             "caps": Caps(per_participant=Decimal("8200"))})
    claims = [OutcomeClaim("a", "job_entry", "y3"), OutcomeClaim("a", "job_26w", "y3"), OutcomeClaim("a", "nqf2", "y3"),
              OutcomeClaim("a", "job_entry", "y3"), OutcomeClaim("b", "job_entry", "y3")]
    s = settle(c, [], claims=claims, break_even=False)
    p = s.periods[0]
    assert p.rate_card_entitlement == eur("12300.00")  # a: 3500 + 2000 + 3300 (job_entry once), b: 3500
    assert cap(p, "per_participant").reduction == eur("600.00")  # a capped at 8200
    assert p.amount_due == eur("11700.00")
    assert any(n.code == "rate_card_outcomes" for n in s.notices)


def test_public_cost_and_break_even_hand_worked(aemo: Contract) -> None:
    # Planned participants followed: 800 × 0.5 × (1 − 0.08) = 368. Payer cost(e) = e × 368 × 150 + 240,000
    # (structuring 60k, evaluation 150k, intermediation 30k); it reaches the 1.2 M€ direct cost at
    # e = 960,000 / 55,200 = 17.3913… days (no cap binds there).
    assert break_even_effect(aemo, payer_cost_at(aemo)) == pytest.approx(960000 / 55200, rel=1e-6)
    s = settle(aemo, [res(aemo, "m12", 30, 18), res(aemo, "m24", 52, 35)])
    pc = s.public_cost
    assert pc.cis_total == eur("1619672.38") and pc.extra_cost == eur("419672.38")
    assert pc.verified_units == Decimal("12880.0")  # 35 days × 368 children
    assert pc.cost_per_verified_outcome == eur("125.75")  # 1,619,672.38 / 12,880


# --- refused inputs: a clear error, nothing settled ------------------------------------------------


def test_result_from_another_contract_version_is_refused(aemo: Contract) -> None:
    with pytest.raises(InvalidInputError) as e:
        settle(aemo, [res(aemo, "m12", 30, 18, version=2)], contract_version=1)
    assert e.value.code == "settlement.result_other_version" and "version 2" in e.value.message() and "version 2" in Translator("fr").error_message(e.value)


def test_result_from_another_contract_is_refused(aemo: Contract) -> None:
    other = ImpactResult("autre", 1, "placement_days", "m12", res(aemo, "m12", 1, 1).effect, 1, 1, 10, G.MEETS)
    with pytest.raises(InvalidInputError, match=r"another|autre") as e:
        settle(aemo, [other])
    assert e.value.code == "settlement.result_other_contract"


def test_duplicate_results_and_as_of_before_start_are_refused(aemo: Contract) -> None:
    with pytest.raises(InvalidInputError) as e:
        settle(aemo, [res(aemo, "m12", 30, 18), res(aemo, "m12", 31, 19)])
    assert e.value.code == "settlement.duplicate_result"
    with pytest.raises(InvalidInputError) as e:
        settle(aemo, [], as_of=dt.date(2024, 1, 1))
    assert e.value.code == "settlement.as_of_before_start"


def _yaml_with(replace: str, by: str) -> str:
    text = (EXAMPLES / "aemo-renforcee.yaml").read_text(encoding="utf-8")
    assert replace in text
    return text.replace(replace, by, 1)


@pytest.mark.parametrize(("replace", "by", "code"), [
    ("      payment_date: 2027-09-30", "      payment_date: 2024-06-30", "contract.dates_order"),  # paid before start
    ('  total_outcome_payments: "2000000.00"', '  total_outcome_payments: "-5.00"', "contract.greater_than_equal"),
    ('  price_per_unit: "150.00"', '  price_per_unit: "150.00 GBP"', "contract.value_error"),  # mixed currencies
])
def test_bad_contract_terms_are_refused_before_settling(replace: str, by: str, code: str) -> None:
    with pytest.raises(ContractValidationError) as e:
        parse_contract(_yaml_with(replace, by))
    assert code in {p.code for p in e.value.problems}


def test_return_cap_without_investments_is_refused(aemo: Contract) -> None:
    bad = aemo.model_copy(update={"investments": []})
    with pytest.raises(ContractValidationError) as e:
        settle(bad, [])
    assert "contract.return_cap_without_investment" in {p.code for p in e.value.problems}
