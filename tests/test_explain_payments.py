"""Every payment decision in words: the numbers in each sentence are the settlement's own (the same
bound, threshold, amounts and caps the payment rule used), in French and in English."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from temoin.contract import load_contract
from temoin.contract.model import Caps, Contract
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.i18n import Translator
from temoin.reports.explain import bound_name, explain_settlement
from temoin.reports.flow_steps import flow_steps
from temoin.settlement import settle

EXAMPLES = Path(__file__).parents[1] / "src" / "temoin" / "examples" / "contracts"


@pytest.fixture(scope="module")
def aemo() -> Contract:
    return load_contract(EXAMPLES / "aemo-renforcee.yaml")


def res(contract: Contract, wave: str, point: float, lower: float, n: int = 368,
        grade: EvidenceGrade = EvidenceGrade.MEETS) -> ImpactResult:
    est = EffectEstimate(point, 10.0, lower, point + 20, 0.01, 300, n, n, "HC2", "ols")
    return ImpactResult(contract.id, 1, "placement_days", wave, est, point, lower, n, grade)


def test_the_demo_case_below_the_threshold_reads_as_the_issue_asks(aemo: Contract) -> None:
    """The one-sided 95 % bound (5.789… days) below the 10-day threshold: nothing due, in both languages."""
    s = settle(aemo, [res(aemo, "m12", 14.5, 5.789066251338067)], as_of=dt.date(2027, 12, 31), break_even=False)
    data = s.to_dict()
    line = data["periods"][0]["entitlements"][0]  # type: ignore[index]
    assert line["status"] == "below_threshold" and line["verified_impact"] == 5.789066251338067
    fr = explain_settlement(aemo, data, Translator("fr"))[0]
    assert fr["lines"][0] == ("La borne basse unilatérale à 95\u00a0% (5,8\u00a0jours) est sous le seuil de 10\u00a0jours : "
                              "rien n'est dû pour « Journées de placement » au titre de la période « Première période "
                              "(12 mois) ».").replace("\u00a0jours", " jours")
    assert fr["conclusion"] == "Rien n'est dû pour la période « Première période (12 mois) »."
    en = explain_settlement(aemo, data, Translator("en"))[0]
    assert en["lines"][0] == ("The one-sided lower bound at 95% (5.8 days) is below the threshold of 10 days: nothing is "
                              "due for Placement days in the period “First period (12 months)”.")
    assert en["due"] == data["periods"][0]["amount_due"] == "0.00"  # type: ignore[index]


def _amounts(text: str) -> list[Decimal]:
    """The amounts of money in an English sentence (€1,234.56)."""
    return [Decimal(m.replace(",", "")) for m in re.findall(r"€([\d,]+\.\d\d)", text)]


def test_a_paid_period_quotes_the_rules_amounts_and_the_cap_that_bit(aemo: Contract) -> None:
    """Price above the unit saving: the realised-savings cap holds part back; each amount quoted is
    the settlement's (entitlement, units, gross, the cap's limit, room and reduction, the amount due)."""
    c = aemo.model_copy(update={
        "payments": aemo.payments.model_copy(update={"indicators": [aemo.payments.indicators[0].model_copy(
            update={"price_per_unit": Decimal("200.00"), "bonus_tiers": []})]}),
        "caps": Caps(payments_within_realised_savings=True)})
    s = settle(c, [res(c, "m12", 20, 20, n=100), res(c, "m24", 40, 40, n=100)], break_even=False)
    data = s.to_dict()
    p1 = s.periods[0]
    en = explain_settlement(c, data, Translator("en"))[0]
    paid, gross, capped = en["lines"]
    assert paid.startswith("The one-sided lower bound at 95% (20.0 days) reaches the threshold of 10 days")
    assert _amounts(paid) == [p1.entitlements[0].amount.amount, Decimal("200.00")]
    assert "2,000.0 units" in paid  # 20 days × 100 children followed, as the rule priced them
    assert _amounts(gross) == [p1.cumulative_entitlement.amount, p1.paid_before.amount, p1.gross.amount]
    savings = next(x for x in p1.caps if x.name == "realised_savings")
    assert savings.reduction.amount == Decimal("60000.00")
    assert _amounts(capped) == [savings.limit.amount, savings.room.amount, savings.reduction.amount]
    assert "realised public savings" in capped
    assert _amounts(en["conclusion"]) == [p1.amount_due.amount] == [Decimal("340000.00")]
    fr = explain_settlement(c, data, Translator("fr"))[0]
    assert fr["conclusion"] == "340\u202f000,00\u00a0€ sont dus pour la période « Première période (12 mois) »."
    assert "retient 60\u202f000,00\u00a0€" in fr["lines"][2]


def test_every_status_is_said(aemo: Contract) -> None:
    insufficient = settle(aemo, [res(aemo, "m12", 30, 18, grade=EvidenceGrade.DOES_NOT_MEET)],
                          as_of=dt.date(2027, 12, 31), break_even=False)
    words = explain_settlement(aemo, insufficient.to_dict(), Translator("en"))[0]["lines"][0]
    assert "does not meet the evidence standards" in words and "18.0 days" in words
    none = settle(aemo, [res(aemo, "m12", 3, -2)], as_of=dt.date(2027, 12, 31), break_even=False)
    assert "is not above zero" in explain_settlement(aemo, none.to_dict(), Translator("en"))[0]["lines"][0]
    pending = settle(aemo, [res(aemo, "m12", 5, 1)], break_even=False)
    assert "no result yet" in explain_settlement(aemo, pending.to_dict(), Translator("en"))[1]["lines"][0]


def test_the_bound_is_named_by_the_plan(aemo: Contract) -> None:
    assert bound_name(aemo, Translator("fr")) == "la borne basse unilatérale à 95\u00a0%"
    plan = aemo.evaluation.analysis_plan.model_copy(update={"sidedness": "two_sided", "alpha": 0.1})
    two = aemo.model_copy(update={"evaluation": aemo.evaluation.model_copy(update={"analysis_plan": plan})})
    assert bound_name(two, Translator("en")) == "the lower bound of the two-sided 90% confidence interval"
    point = aemo.model_copy(update={"payments": aemo.payments.model_copy(update={"basis": "point_estimate"})})
    assert bound_name(point, Translator("fr")) == "l'estimation ponctuelle"


def test_the_flow_says_who_leaves_each_step() -> None:
    flow = {"referred": 1150, "eligible": 908, "consented": 826, "randomised": {"treated": 391, "control": 393},
            "waves": [{"wave": "m12", "treated": 383, "control": 370}, {"wave": "m24", "treated": 360, "control": 356}]}
    steps = flow_steps(flow, Translator("en"))
    assert [s["kept"] for s in steps] == [1150, 908, 826, 784, 753, 716]
    # each wave counts its losses from the randomised cohort (someone missed at m12 may answer at m24)
    assert [s["left"] for s in steps] == [None, 242, 82, 42, 31, 68]
    assert all(s["why"] for s in steps[1:]) and steps[0]["why"] is None
    hidden = flow_steps({**flow, "waves": [{"wave": "m12", "treated": None, "control": 370}]}, Translator("fr"))
    assert hidden[-1]["kept"] is None and hidden[-1]["left"] is None
