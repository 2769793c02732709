"""Tests that would notice a wrong cent (issue 13): each settles a small contract and compares it with
a figure worked by hand from the contract's terms, the arithmetic written beside it.

The cases are the ones mutation testing showed no test pinned down: a tranche on the day of a
payment under an IRR cap, an impact exactly at a threshold, a bonus tier or a grid step, amounts
of a euro or less, the odd cent of a pro-rata split, settlements in GBP and USD, period ids that do
not sort by date, every entitlement status, the payer's commitment, guarantees and the order of
repayment of grants, debt and equity.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import yaml

import temoin.errors
from temoin.contract import parse_contract
from temoin.contract.model import Contract
from temoin.errors import ContractValidationError, InvalidInputError
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.money import Money
from temoin.settlement import OutcomeClaim, settle
from temoin.settlement.compute import PeriodSettlement, Settlement
from temoin.settlement.payments import EntitlementStatus


def in_fr(item: object) -> str:
    """What a French reader sees of an error (or a cap line): through the catalogue."""
    return _words(item, "fr")


def in_en(item: object) -> str:
    return _words(item, "en")


def hint_in(error: InvalidInputError, lang: str) -> str | None:
    from temoin.i18n import Translator

    return Translator(lang).error_hint(error)


def _words(item: object, lang: str) -> str:
    from temoin.i18n import Translator
    from temoin.settlement.caps import CapLine

    if isinstance(item, CapLine):
        return Translator(lang).label("cap", item.name)
    assert isinstance(item, temoin.errors.TemoinError)
    return Translator(lang).error_message(item)

G = EvidenceGrade
S = EntitlementStatus
D = dt.date


def _text(s: str) -> dict[str, str]:
    return {"fr": s, "en": s}


def _indicator(iid: str) -> dict[str, Any]:
    return {"id": iid, "label": _text(iid), "definition": _text(iid), "unit": "points", "direction": "increase",
            "measured_at": "12 months", "method": "records", "data_source": "administrative"}


def _period(pid: str, wave: str | None, end: dt.date, pay: dt.date) -> dict[str, Any]:
    p: dict[str, Any] = {"id": pid, "label": _text(pid), "end_date": end, "payment_date": pay}
    if wave is not None:
        p["wave"] = wave
    return p


BASE: dict[str, Any] = {
    "id": "cents",
    "title": _text("Cents"),
    "summary": _text("A small contract for hand-worked figures."),
    "policy_sector": "other",
    "jurisdiction": "FR",
    "currency": "EUR",
    "start_date": D(2025, 1, 1),
    "end_date": D(2029, 12, 31),
    "parties": [
        {"id": "payer", "name": "Payer", "roles": ["outcome_payer"], "kind": "public_body"},
        {"id": "operator", "name": "Operator", "roles": ["operator"]},
        {"id": "inv-a", "name": "Investor A", "roles": ["investor"]},
        {"id": "inv-b", "name": "Investor B", "roles": ["investor"]},
        {"id": "inv-c", "name": "Investor C", "roles": ["investor"]},
        {"id": "inv-d", "name": "Investor D", "roles": ["investor"]},
        {"id": "guarantor", "name": "Guarantor", "roles": ["guarantor"]},
    ],
    "population": {"description": _text("People"), "expected_size": 100,
                   "attributes": [{"name": "age", "label": _text("Age"), "type": "numeric"}]},
    "indicators": [_indicator("outcome"), _indicator("gate")],
    "evaluation": {"design": "individual_rct",
                   "follow_up_waves": [{"id": "w1", "months_after_enrolment": 12},
                                       {"id": "w2", "months_after_enrolment": 24}]},
    "payments": {"basis": "point_estimate",
                 "indicators": [{"indicator": "outcome", "price_per_unit": "100.00"}],
                 "periods": [_period("p1", "w1", D(2025, 12, 31), D(2026, 1, 1)),
                             _period("p2", "w2", D(2026, 12, 31), D(2027, 1, 1))]},
}


def contract(**changes: Any) -> Contract:
    """The base contract with top-level keys replaced; ``payments__x`` replaces ``payments.x``."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if "__" in key:
            outer, inner = key.split("__")
            data[outer][inner] = value
        else:
            data[key] = value
    return parse_contract(yaml.safe_dump(data, sort_keys=False))


def res(c: Contract, wave: str, impact: float, n: int = 1, grade: EvidenceGrade = G.MEETS,
        indicator: str = "outcome") -> ImpactResult:
    """A result whose point estimate (the basis paid on) is ``impact``."""
    est = EffectEstimate(impact, 1.0, impact - 1, impact + 1, 0.01, 100, n, n, "HC2", "ols")
    return ImpactResult(c.id, 1, indicator, wave, est, impact, impact - 1, n, grade)


def run(c: Contract, results: list[ImpactResult], **kw: Any) -> Settlement:
    return settle(c, results, break_even=False, **kw)


def eur(x: str) -> Money:
    return Money(Decimal(x), "EUR")


def cap(p: PeriodSettlement, name: str) -> Any:
    return next(c for c in p.caps if c.name == name)


def investor(s: Settlement, name: str) -> Any:
    return next(i for i in s.investors if i.investor == name)


def debt(name: str, *tranches: tuple[dt.date, str], instrument: str = "debt", seniority: str = "senior",
         guarantee: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"investor": name, "instrument": instrument, "seniority": seniority,
                           "tranches": [{"date": d, "amount": a} for d, a in tranches]}
    if guarantee is not None:
        out["guarantee"] = guarantee
    return out


# --- the IRR return cap and a tranche paid on the day of an outcome payment ---------------------


def _irr_contract() -> Contract:
    # 100,000 on 2025-01-01, then 50,000 on 2026-01-01: the very day p1 is paid. IRR cap 10 %.
    return contract(
        payments__indicators=[{"indicator": "outcome", "price_per_unit": "1000.00"}],
        caps={"investor_return": {"kind": "irr", "value": 0.10}},
        investments=[debt("inv-a", (D(2025, 1, 1), "100000.00"), (D(2026, 1, 1), "50000.00"))])


def test_a_tranche_paid_on_the_payment_date_counts_in_the_irr_cap() -> None:
    c = _irr_contract()
    # p1 entitles to 500 × 1 × 1,000 = 500,000. The cap at 2026-01-01 (365 days after the first
    # tranche): 100,000 × 1.10^(365/365) + 50,000 × 1.10^0 = 110,000 + 50,000 = 160,000.
    s = run(c, [res(c, "w1", 500)], as_of=D(2026, 6, 30))
    p1 = s.periods[0]
    assert cap(p1, "investor_return").limit == eur("160000.00")
    assert cap(p1, "investor_return").reduction == eur("340000.00")  # 500,000 − 160,000
    assert p1.amount_due == eur("160000.00")
    # The same-day tranche is principal disbursed by then: 150,000 principal, 10,000 return.
    a = investor(s, "inv-a")
    assert a.repaid_principal == eur("150000.00") and a.returns == eur("10000.00")
    assert not s.final and a.loss is None and a.irr is None


def test_the_irr_cap_accrues_earlier_payments_too() -> None:
    c = _irr_contract()
    # p1: 60 × 1,000 = 60,000 (under the 160,000 cap). p2 on 2027-01-01 (730 days after the first
    # tranche, 365 after the second and after p1): 100,000 × 1.1² + 50,000 × 1.1 − 60,000 × 1.1
    # = 121,000 + 55,000 − 66,000 = 110,000 still payable; the limit on cumulative payments is
    # 60,000 + 110,000 = 170,000. Check: −100,000 + (60,000 − 50,000)/1.1 + 110,000/1.21 = 0, an IRR of 10 %.
    s = run(c, [res(c, "w1", 60), res(c, "w2", 500)])
    p1, p2 = s.periods
    assert p1.amount_due == eur("60000.00") and cap(p1, "investor_return").reduction == eur("0.00")
    assert cap(p2, "investor_return").limit == eur("170000.00")
    assert cap(p2, "investor_return").room == eur("110000.00")
    assert p2.gross == eur("440000.00") and p2.amount_due == eur("110000.00")  # 500,000 − 60,000 paid
    a = investor(s, "inv-a")
    assert a.repaid_principal == eur("150000.00") and a.returns == eur("20000.00")
    assert s.final and a.irr == pytest.approx(0.10, abs=1e-9)
    assert a.multiple == pytest.approx(170000 / 150000) and a.loss == eur("0.00")


def test_a_multiple_cap_counts_tranches_up_to_the_payment_date() -> None:
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "1000.00"}],
                 caps={"investor_return": {"kind": "multiple", "value": 1.2}},
                 investments=[debt("inv-a", (D(2025, 1, 1), "100000.00"), (D(2026, 1, 1), "50000.00"),
                                   (D(2026, 1, 2), "70000.00"))])
    s = run(c, [res(c, "w1", 500)], as_of=D(2026, 6, 30))
    # 1.2 × (100,000 + 50,000): the tranche of 2026-01-02, a day after the payment, is not disbursed yet.
    assert cap(s.periods[0], "investor_return").limit == eur("180000.00")
    assert s.periods[0].amount_due == eur("180000.00")


# --- exactly at a threshold, a bonus tier, a grid step --------------------------------------------


def test_threshold_is_paid_at_equality_and_not_below() -> None:
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "100.00", "threshold": 10}])
    at = run(c, [res(c, "w1", 10, n=3)], as_of=D(2026, 6, 30)).periods[0]
    assert at.entitlements[0].status is S.PAID and at.amount_due == eur("3000.00")  # 10 × 3 × 100
    below = run(c, [res(c, "w1", 9.99, n=3)], as_of=D(2026, 6, 30)).periods[0]
    assert below.entitlements[0].status is S.BELOW_THRESHOLD and below.amount_due == eur("0.00")


def test_a_bonus_tier_is_not_paid_at_its_threshold_only_above() -> None:
    tiers = [{"above": 20, "bonus": "5000.00"}, {"above": 30, "bonus": "8000.00"}]
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "100.00", "threshold": 10,
                                        "bonus_tiers": tiers}])

    def line(impact: float) -> Any:
        return run(c, [res(c, "w1", impact, n=2)], as_of=D(2026, 6, 30)).periods[0].entitlements[0]

    at = line(20)  # exactly at the tier: 20 × 2 × 100 = 4,000, no bonus ("above" is strict)
    assert at.status is S.PAID and at.bonus == eur("0.00") and at.amount == eur("4000.00")
    over = line(20.5)  # 20.5 × 2 × 100 + 5,000 = 9,100
    assert over.bonus == eur("5000.00") and over.amount == eur("9100.00")
    second = line(30)  # at the second tier: only the first is passed, 6,000 + 5,000
    assert second.bonus == eur("5000.00") and second.amount == eur("11000.00")
    top = line(31)  # the highest tier passed wins, they do not add up: 6,200 + 8,000
    assert top.bonus == eur("8000.00") and top.amount == eur("14200.00")
    assert top.price_per_unit == eur("100.00") and top.priced_units == Decimal(62)


def test_a_bonus_is_not_paid_when_the_threshold_is_missed() -> None:
    # a bonus-only schedule (price 0): the bonus is the whole payment, above its tier only
    c = contract(payments__indicators=[{"indicator": "outcome", "threshold": 5,
                                        "bonus_tiers": [{"above": 5, "bonus": "2500.00"}]}])
    assert run(c, [res(c, "w1", 5.01)], as_of=D(2026, 6, 30)).total_paid == eur("2500.00")
    assert run(c, [res(c, "w1", 5)], as_of=D(2026, 6, 30)).total_paid == eur("0.00")
    low = run(c, [res(c, "w1", 4, grade=G.DOES_NOT_MEET)], as_of=D(2026, 6, 30)).periods[0].entitlements[0]
    assert low.status is S.EVIDENCE_INSUFFICIENT and low.bonus == eur("0.00")


GRID = [{"at_least": 8.5, "amount": "4800000.00"}, {"at_least": 10, "amount": "9600000.00"},
        {"at_least": 20, "amount": "11700000.00"}]


@pytest.mark.parametrize(("impact", "amount", "status"), [
    (8.49, "0.00", S.BELOW_THRESHOLD),  # below the first step: the grid's first step is a threshold
    (8.5, "4800000.00", S.PAID),  # exactly at a step: "at or above" pays it
    (9.99, "4800000.00", S.PAID),
    (10, "9600000.00", S.PAID),
    (19.99, "9600000.00", S.PAID),
    (20, "11700000.00", S.PAID),
    (35, "11700000.00", S.PAID),  # the highest step is the most it pays
])
def test_a_grid_pays_the_highest_step_reached_at_or_above(impact: float, amount: str, status: S) -> None:
    c = contract(currency="USD", payments__indicators=[{"indicator": "outcome", "grid": GRID}])
    p = run(c, [res(c, "w1", impact, n=2600)], as_of=D(2026, 6, 30)).periods[0]
    assert p.entitlements[0].status is status
    assert p.amount_due == Money(Decimal(amount), "USD") and p.entitlements[0].bonus == Money.zero("USD")


def test_a_grid_keeps_a_higher_threshold_than_its_first_step() -> None:
    c = contract(payments__indicators=[{"indicator": "outcome", "threshold": 9, "grid": GRID}])
    p = run(c, [res(c, "w1", 8.7)], as_of=D(2026, 6, 30)).periods[0]
    assert p.entitlements[0].status is S.BELOW_THRESHOLD and p.amount_due == eur("0.00")
    p = run(c, [res(c, "w1", 9)], as_of=D(2026, 6, 30)).periods[0]
    assert p.amount_due == eur("4800000.00")


# --- a euro or less --------------------------------------------------------------------------------


@pytest.mark.parametrize(("price", "impact", "due"), [
    ("0.01", 1, "0.01"),  # the smallest price: 1 × 1 × 0.01
    ("0.01", 0.5, "0.01"),  # 0.5 × 1 × 0.01 = 0.005: half a cent rounds up (half away from zero)
    ("0.01", 0.4, "0.00"),  # 0.004 rounds down to nothing
    ("0.03", 0.5, "0.02"),  # 0.015 → 0.02
    ("1.00", 1, "1.00"),
    ("0.99", 1, "0.99"),
])
def test_amounts_of_a_euro_or_less(price: str, impact: float, due: str) -> None:
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": price}])
    s = run(c, [res(c, "w1", impact)], as_of=D(2026, 6, 30))
    assert s.periods[0].amount_due == eur(due) and s.total_paid == eur(due)
    assert s.periods[0].payer_shares == (("payer", eur(due)),)


def test_a_cent_paid_to_the_investor_then_the_rest() -> None:
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "0.01"}],
                 investments=[debt("inv-a", (D(2025, 1, 1), "1.00"))])
    s = run(c, [res(c, "w1", 1), res(c, "w2", 101)])
    p1, p2 = s.periods
    assert p1.investor_shares == (("inv-a", eur("0.01")),)  # one cent of principal
    assert p2.amount_due == eur("1.00")  # 101 × 0.01 − 0.01 already paid
    a = investor(s, "inv-a")
    assert a.repaid_principal == eur("1.00") and a.returns == eur("0.01") and a.received == eur("1.01")
    assert a.multiple == pytest.approx(1.01) and a.loss == eur("0.00")
    assert a.flows == ((D(2025, 1, 1), eur("-1.00")), (D(2026, 1, 1), eur("0.01")), (D(2027, 1, 1), eur("1.00")))


# --- the odd cent of a pro-rata split: the largest remainder, not the largest share ---------------


def test_co_payers_split_the_odd_cent_by_largest_remainder() -> None:
    parties = copy.deepcopy(BASE["parties"])
    parties[0]["payment_share"] = 0.6
    parties.append({"id": "fund", "name": "Fund", "roles": ["outcome_payer"], "payment_share": 0.4})
    c = contract(parties=parties, payments__indicators=[{"indicator": "outcome", "price_per_unit": "1000.07"}])
    s = run(c, [res(c, "w1", 1)], as_of=D(2026, 6, 30))
    # 100,007 cents: 0.6 → 60,004.2 and 0.4 → 40,002.8; whole cents 60,004 + 40,002, one cent
    # left, to the larger remainder (0.8, the smaller payer): 600.04 and 400.03.
    assert s.periods[0].payer_shares == (("payer", eur("600.04")), ("fund", eur("400.03")))
    s = run(c, [res(c, "w1", 0.001)], as_of=D(2026, 6, 30))
    # 1,000.07 × 0.001 = 1.00007 → 1.00: 60 and 40 cents, nothing left over
    assert s.periods[0].payer_shares == (("payer", eur("0.60")), ("fund", eur("0.40")))


def test_investors_split_principal_and_returns_by_largest_remainder() -> None:
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "0.01"}],
                 investments=[debt("inv-a", (D(2025, 1, 1), "600000.00")), debt("inv-b", (D(2025, 1, 1), "400000.00"))])
    # p1: 70,007 × 0.01 = 700.07 of principal: 70,007 cents × 0.6 = 42,004.2 and × 0.4 = 28,002.8;
    # the odd cent to the remainder 0.8: 420.04 and 280.03.
    # p2: cumulative 100,000,014 × 0.01 = 1,000,000.14, less 700.07 paid = 999,300.07: the principal
    # still owed (599,579.96 and 399,719.97) and the 0.14 left as returns pro rata to capital:
    # 14 × 0.6 = 8.4 and 14 × 0.4 = 5.6 cents: 8 + 5 and the odd cent to the remainder 0.6: 0.08 and 0.06.
    s = run(c, [res(c, "w1", 70007), res(c, "w2", 100000014)])
    p1, p2 = s.periods
    assert p1.investor_shares == (("inv-a", eur("420.04")), ("inv-b", eur("280.03")))
    assert p2.amount_due == eur("999300.07")
    assert p2.investor_shares == (("inv-a", eur("599579.96") + eur("0.08")), ("inv-b", eur("399719.97") + eur("0.06")))
    a, b = investor(s, "inv-a"), investor(s, "inv-b")
    assert (a.repaid_principal, a.returns) == (eur("600000.00"), eur("0.08"))
    assert (b.repaid_principal, b.returns) == (eur("400000.00"), eur("0.06"))


def test_returns_split_the_odd_cents_to_the_largest_remainders() -> None:
    # three equal-seniority debts of 500, 300 and 200 (weights 0.5, 0.3, 0.2), fully repaid in p1;
    # p2 pays 0.07 of returns: 3.5, 2.1 and 1.4 cents, whole cents 3 + 2 + 1, one cent left to the
    # largest remainder (0.5, the largest share here too): 0.04, 0.02, 0.01. Then 0.09:
    # 4.5, 2.7, 1.8 → 4 + 2 + 1 and two cents left, to 0.8 (the smallest) and 0.7: 0.04, 0.03, 0.02.
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "0.01"}],
                 investments=[debt("inv-a", (D(2025, 1, 1), "500.00")), debt("inv-b", (D(2025, 1, 1), "300.00")),
                              debt("inv-c", (D(2025, 1, 1), "200.00"))])
    s = run(c, [res(c, "w1", 100000), res(c, "w2", 100007)])
    assert [m for _, m in s.periods[0].investor_shares] == [eur("500.00"), eur("300.00"), eur("200.00")]
    assert [m for _, m in s.periods[1].investor_shares] == [eur("0.04"), eur("0.02"), eur("0.01")]
    s = run(c, [res(c, "w1", 100000), res(c, "w2", 100009)])
    assert [m for _, m in s.periods[1].investor_shares] == [eur("0.04"), eur("0.03"), eur("0.02")]


# --- GBP and USD: every amount carries the contract's currency -------------------------------------


def _all_money(s: Settlement) -> list[Money]:
    out = [s.total_paid, s.realised_savings, s.public_cost.cis_total]
    for p in s.periods:
        out += [p.rate_card_entitlement, p.cumulative_entitlement, p.realised_savings, p.paid_before, p.gross,
                p.amount_due, p.cumulative_paid]
        out += [m for _, m in p.investor_shares] + [m for _, m in p.payer_shares]
        out += [x for c in p.caps for x in (c.limit, c.room, c.reduction)]
        out += [x for e in p.entitlements for x in (e.price_per_unit, e.bonus, e.amount)]
        out += [x for v in p.savings for x in (v.unit_cost, v.amount)]
    for i in s.investors:
        out += [i.invested, i.repaid_principal, i.returns, i.guarantee, i.received, *(m for _, m in i.flows)]
        out += [i.loss] if i.loss is not None else []
    return out


@pytest.mark.parametrize("currency", ["GBP", "USD"])
def test_a_settlement_in_pounds_or_dollars_says_so_on_every_amount(currency: str) -> None:
    c = contract(currency=currency,
                 payments__indicators=[{"indicator": "outcome", "price_per_unit": "250.00", "threshold": 1,
                                        "bonus_tiers": [{"above": 2, "bonus": "100.00"}]}],
                 savings=[{"indicator": "outcome", "unit_cost": "300.00", "unit": "point", "source": "a tariff"}],
                 caps={"total_outcome_payments": "5000.00", "payments_within_realised_savings": True,
                       "per_participant": "1000.00", "investor_return": {"kind": "multiple", "value": 1.5}},
                 investments=[debt("inv-a", (D(2025, 1, 1), "2000.00"),
                                   guarantee={"guarantor": "guarantor", "share_of_principal": 0.5})])
    s = run(c, [res(c, "w1", 3, n=4), res(c, "w2", 3, n=4)])
    p1 = s.periods[0]
    # 3 × 4 × 250 + 100 = 3,100; savings 3 × 4 × 300 = 3,600; per participant 4 × 1,000 = 4,000;
    # the multiple 1.5 × 2,000 = 3,000 binds: 2,000 principal and 1,000 return.
    assert p1.cumulative_entitlement == Money(Decimal("3100.00"), currency)
    assert p1.realised_savings == Money(Decimal("3600.00"), currency)
    assert cap(p1, "per_participant").limit == Money(Decimal("4000.00"), currency)
    assert p1.amount_due == Money(Decimal("3000.00"), currency)
    assert cap(p1, "investor_return").reduction == Money(Decimal("100.00"), currency)
    amounts = _all_money(s)
    assert len(amounts) > 25 and {m.currency for m in amounts} == {currency}
    assert s.currency == currency and str(s.total_paid) == f"3\u202f000.00 {currency}"
    assert s.final and s.investors[0].loss == Money(Decimal("0.00"), currency)  # repaid: nothing lost, in {currency}


@pytest.mark.parametrize("code", ["eur", "EURO", "XYZ", "Eur", ""])
def test_a_contract_in_an_unknown_currency_is_refused(code: str) -> None:
    with pytest.raises(ContractValidationError) as e:
        contract(currency=code)
    assert any(p.path == "currency" for p in e.value.problems), [p.path for p in e.value.problems]


# --- period ids that do not sort by date -----------------------------------------------------------


def test_period_ids_that_do_not_sort_by_date_keep_the_contract_order() -> None:
    # "p10" sorts before "p9" as text; p9 is paid first.
    periods = [_period("p9", "w1", D(2025, 12, 31), D(2026, 1, 1)), _period("p10", "w2", D(2026, 12, 31), D(2027, 1, 1))]
    c = contract(payments__periods=periods)
    s = run(c, [res(c, "w1", 2), res(c, "w2", 5)])
    assert [p.period for p in s.periods] == ["p9", "p10"]
    assert [p.amount_due for p in s.periods] == [eur("200.00"), eur("300.00")]  # 2 × 100, then 5 × 100 − 200
    assert s.final
    s = run(c, [res(c, "w1", 2)], as_of=D(2026, 6, 30))
    assert [p.period for p in s.periods] == ["p9"] and not s.final


def test_a_rate_card_over_period_ids_that_do_not_sort_by_date() -> None:
    card = [{"outcome": "job", "label": _text("Job"), "price": "1500.00", "unit_saving": "2000.00"},
            {"outcome": "training", "label": _text("Training"), "price": "400.00"}]
    periods = [_period("p9", None, D(2025, 12, 31), D(2026, 1, 1)), _period("p10", None, D(2026, 12, 31), D(2027, 1, 1))]
    c = contract(payments__indicators=[], payments__rate_card=card, payments__periods=periods,
                 caps={"per_participant": "1800.00"})
    claims = [OutcomeClaim("ann", "job", "p9"), OutcomeClaim("bob", "training", "p9"),
              OutcomeClaim("ann", "training", "p10"), OutcomeClaim("bob", "job", "p10"),
              OutcomeClaim("ann", "job", "p10")]  # ann's job again: paid once, in p9
    s = run(c, [], claims=claims)
    p9, p10 = s.periods
    # p9: ann 1,500, bob 400 = 1,900 (both under the 1,800 cap per participant): all of it.
    assert p9.rate_card_entitlement == eur("1900.00") and p9.amount_due == eur("1900.00")
    assert p9.realised_savings == eur("2000.00")  # one job × 2,000
    # p10, cumulative: ann 1,500 + 400 = 1,900 → 1,800; bob 400 + 1,500 = 1,900 → 1,800; 3,800 → 3,600.
    assert p10.rate_card_entitlement == eur("3800.00")
    assert cap(p10, "per_participant").limit == eur("3600.00") and cap(p10, "per_participant").reduction == eur("200.00")
    assert p10.amount_due == eur("1700.00") and p10.realised_savings == eur("4000.00")
    assert s.total_paid == eur("3600.00")


# --- every entitlement status, "paid" included ------------------------------------------------------


def _status_contract(pay_anyway: bool = False) -> Contract:
    return contract(payments__pay_without_evidence_standard=pay_anyway,
                    payments__indicators=[{"indicator": "outcome", "price_per_unit": "100.00", "threshold": 2,
                                           "requires": [{"indicator": "gate", "at_least": 50}]}])


@pytest.mark.parametrize(("impact", "gate", "grade", "pay_anyway", "status", "amount"), [
    (3, 50, G.MEETS, False, S.PAID, "300.00"),  # 3 × 1 × 100, the gate reached exactly
    (3, 50, G.MEETS_WITH_RESERVATIONS, False, S.PAID, "300.00"),
    (3, 49.9, G.MEETS, False, S.REQUIREMENT_NOT_MET, "0.00"),
    (3, float("nan"), G.MEETS, False, S.REQUIREMENT_NOT_MET, "0.00"),  # the gate not estimable
    (1.9, 50, G.MEETS, False, S.BELOW_THRESHOLD, "0.00"),
    (0, 50, G.MEETS, False, S.NO_IMPROVEMENT, "0.00"),
    (-4, 50, G.MEETS, False, S.NO_IMPROVEMENT, "0.00"),
    (3, 50, G.DOES_NOT_MEET, False, S.EVIDENCE_INSUFFICIENT, "0.00"),
    (3, 50, G.DOES_NOT_MEET, True, S.PAID_WITHOUT_EVIDENCE_STANDARD, "300.00"),
    (float("nan"), 50, G.MEETS, False, S.NOT_ESTIMABLE, "0.00"),
    # which reason is shown when several hold: not estimable, evidence, requirement, no improvement, threshold
    (float("nan"), 10, G.DOES_NOT_MEET, True, S.NOT_ESTIMABLE, "0.00"),
    (-1, 10, G.DOES_NOT_MEET, False, S.EVIDENCE_INSUFFICIENT, "0.00"),
    (-1, 10, G.DOES_NOT_MEET, True, S.REQUIREMENT_NOT_MET, "0.00"),
    (-1, 50, G.DOES_NOT_MEET, True, S.NO_IMPROVEMENT, "0.00"),
    (1, 50, G.DOES_NOT_MEET, True, S.BELOW_THRESHOLD, "0.00"),
])
def test_each_entitlement_status(impact: float, gate: float, grade: EvidenceGrade, pay_anyway: bool, status: S,
                                 amount: str) -> None:
    c = _status_contract(pay_anyway)
    results = [res(c, "w1", impact, grade=grade), res(c, "w1", gate, indicator="gate")]
    s = run(c, results, as_of=D(2026, 6, 30))
    line = s.periods[0].entitlements[0]
    assert line.status is status and line.status == status.value
    assert line.amount == eur(amount) and s.total_paid == eur(amount)
    assert s.paid_without_evidence_standard is (status is S.PAID_WITHOUT_EVIDENCE_STANDARD)
    assert line.to_dict()["status"] == status.value


def test_a_required_indicator_without_a_result_blocks_the_payment() -> None:
    c = _status_contract()
    line = run(c, [res(c, "w1", 3)], as_of=D(2026, 6, 30)).periods[0].entitlements[0]
    assert line.status is S.REQUIREMENT_NOT_MET and line.amount == eur("0.00")


def test_every_required_indicator_must_be_reached() -> None:
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "100.00", "threshold": 2, "requires": [
        {"indicator": "gate", "at_least": 50}, {"indicator": "outcome", "at_least": 3}]}])

    def status(impact: float, gate: float) -> S:
        s = run(c, [res(c, "w1", impact), res(c, "w1", gate, indicator="gate")], as_of=D(2026, 6, 30))
        return s.periods[0].entitlements[0].status

    assert status(3, 50) is S.PAID
    assert status(3, 49) is S.REQUIREMENT_NOT_MET  # the first fails, the second holds
    assert status(2.5, 50) is S.REQUIREMENT_NOT_MET  # the first holds, the second fails


def test_a_not_estimable_result_prices_no_units() -> None:
    c = contract()
    line = run(c, [res(c, "w1", float("nan"), n=3)], as_of=D(2026, 6, 30)).periods[0].entitlements[0]
    assert line.status is S.NOT_ESTIMABLE and line.priced_units == 0 and line.verified_impact is None
    assert line.participants == 3 and line.amount == eur("0.00")


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_a_required_indicator_counts_only_where_its_result_exists(kind: str) -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT, FLOAT
    from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule

    a = EXACT if kind == "exact" else FLOAT
    c = _status_contract()
    yes = np.array([True, True, True])
    outcome = ResultArrays(np.array([3.0, 3.0, 3.0]), np.array([1.0, 1.0, 1.0]), yes)
    # the gate (at least 50): reached where present (scenario 1), not reached (0), missing (2)
    gate = ResultArrays(np.array([40.0, 60.0, 60.0]), np.array([1.0, 1.0, 1.0]), yes, present=np.array([True, True, False]))
    out = run_rule(c, RuleInputs(3, {("outcome", "w1"): outcome, ("gate", "w1"): gate}), a, as_of=D(2026, 6, 30))
    line = out.periods[0].lines[0]
    assert [line.statuses(k) for k in range(3)] == [S.REQUIREMENT_NOT_MET, S.PAID, S.REQUIREMENT_NOT_MET]
    assert [float(x) for x in out.periods[0].due] == [0.0, 300.0, 0.0]  # 3 × 1 × 100


def test_pending_keeps_the_last_entitlement_and_the_settlement_is_not_final() -> None:
    c = contract()
    s = run(c, [res(c, "w1", 4, n=2)])  # 4 × 2 × 100 = 800 at p1; no w2 result
    p1, p2 = s.periods
    assert p1.entitlements[0].status is S.PAID and p1.amount_due == eur("800.00")
    assert p2.entitlements[0].status is S.PENDING and p2.entitlements[0].amount == eur("800.00")
    assert p2.entitlements[0].verified_impact == 4 and p2.entitlements[0].participants == 2
    assert (p2.entitlements[0].indicator, p2.entitlements[0].wave) == ("outcome", "w2")
    assert p2.entitlements[0].result_hash == p1.entitlements[0].result_hash != None  # noqa: E711
    assert p2.amount_due == eur("0.00") and not s.final
    assert any(n.code == "pending_result" for n in s.notices)
    nothing = run(c, [])  # no result at all: pending everywhere, nothing known
    assert [e.status for p in nothing.periods for e in p.entitlements] == [S.PENDING, S.PENDING]
    assert nothing.periods[0].entitlements[0].verified_impact is None and nothing.total_paid == eur("0.00")
    assert [(e.indicator, e.wave) for p in nothing.periods for e in p.entitlements] == [("outcome", "w1"), ("outcome", "w2")]
    assert EntitlementStatus("paid") is S.PAID and len(S) == 8


# --- the payer's commitment ------------------------------------------------------------------------


def test_the_payers_commitment_caps_without_a_total_cap() -> None:
    parties = copy.deepcopy(BASE["parties"])
    parties[0]["max_commitment"] = "50000.00"
    c = contract(parties=parties)
    s = run(c, [res(c, "w1", 300, n=2), res(c, "w2", 500, n=2)])  # 60,000 then 100,000 entitled
    p1, p2 = s.periods
    assert [x.name for x in p1.caps] == ["payer_commitment"]
    assert cap(p1, "payer_commitment").limit == eur("50000.00")
    assert cap(p1, "payer_commitment").reduction == eur("10000.00") and p1.amount_due == eur("50000.00")
    assert cap(p2, "payer_commitment").room == eur("0.00") and p2.amount_due == eur("0.00")
    assert cap(p2, "payer_commitment").reduction == eur("50000.00")  # gross 100,000 − 50,000 paid
    assert s.total_paid == eur("50000.00")


def test_the_smaller_co_payers_commitment_binds() -> None:
    parties = copy.deepcopy(BASE["parties"])
    parties[0].update(payment_share=0.6, max_commitment="60000.00")  # 60,000 / 0.6 = 100,000 in all
    parties.append({"id": "fund", "name": "Fund", "roles": ["outcome_payer"], "payment_share": 0.4,
                    "max_commitment": "30000.00"})  # 30,000 / 0.4 = 75,000 in all: this one binds
    c = contract(parties=parties)
    s = run(c, [res(c, "w1", 900)], as_of=D(2026, 6, 30))  # 90,000 entitled
    p = s.periods[0]
    assert cap(p, "payer_commitment").limit == eur("75000.00") and p.amount_due == eur("75000.00")
    assert p.payer_shares == (("payer", eur("45000.00")), ("fund", eur("30000.00")))  # the fund at its maximum


def test_a_co_payer_without_a_commitment_does_not_cap() -> None:
    parties = copy.deepcopy(BASE["parties"])
    parties[0].update(payment_share=0.25)
    parties.append({"id": "fund", "name": "Fund", "roles": ["outcome_payer"], "payment_share": 0.75,
                    "max_commitment": "3000.00"})  # 3,000 / 0.75 = 4,000
    c = contract(parties=parties)
    p = run(c, [res(c, "w1", 50)], as_of=D(2026, 6, 30)).periods[0]  # 5,000 entitled
    assert cap(p, "payer_commitment").limit == eur("4000.00") and p.amount_due == eur("4000.00")
    assert p.payer_shares == (("payer", eur("1000.00")), ("fund", eur("3000.00")))


# --- guarantees, grants, debt and equity -----------------------------------------------------------


@pytest.mark.parametrize(("guarantee", "called", "loss"), [
    ({"guarantor": "guarantor", "amount": "30000.00"}, "30000.00", "50000.00"),  # fixed: 30,000 of the 80,000 shortfall
    ({"guarantor": "guarantor", "share_of_principal": 0.25}, "25000.00", "55000.00"),  # 0.25 × 100,000
    ({"guarantor": "guarantor", "amount": "95000.00"}, "80000.00", "0.00"),  # at most the shortfall
    ({"guarantor": "guarantor", "amount": "0.50"}, "0.50", "79999.50"),  # fifty cents, a flow like any other
])
def test_a_guarantee_of_a_fixed_amount_or_a_share(guarantee: dict[str, Any], called: str, loss: str) -> None:
    c = contract(investments=[debt("inv-a", (D(2025, 1, 1), "100000.00"), guarantee=guarantee)])
    s = run(c, [res(c, "w1", 200), res(c, "w2", 100)])  # 20,000 paid in p1, nothing more (no clawback)
    a = investor(s, "inv-a")
    assert s.final and a.repaid_principal == eur("20000.00")
    assert a.guarantee == eur(called) and a.loss == eur(loss) and a.guarantor == "guarantor"
    assert a.received == eur("20000.00") + eur(called)
    assert a.flows[-1] == (D(2027, 1, 1), eur(called))  # dated on the last payment date
    assert any(n.code == "guarantee_called" for n in s.notices)
    pending = run(c, [res(c, "w1", 200)])  # not final: no guarantee called, no loss stated
    p = investor(pending, "inv-a")
    assert p.guarantee == eur("0.00") and p.loss is None and p.irr is None and not p.final


def test_a_guarantee_is_not_called_when_principal_is_repaid() -> None:
    c = contract(investments=[debt("inv-a", (D(2025, 1, 1), "10000.00"),
                                   guarantee={"guarantor": "guarantor", "amount": "5000.00"})])
    s = run(c, [res(c, "w1", 100), res(c, "w2", 120)])  # 12,000 paid
    a = investor(s, "inv-a")
    assert a.guarantee == eur("0.00") and a.loss == eur("0.00") and a.returns == eur("2000.00")
    assert not any(n.code == "guarantee_called" for n in s.notices)
    assert a.multiple == pytest.approx(1.2)


def test_debt_then_equity_then_returns_and_grants_are_not_repaid() -> None:
    # listed grant, equity, junior debt, senior debt: repayment order is debt (senior, junior), then equity
    c = contract(investments=[
        debt("inv-c", (D(2025, 1, 1), "50000.00"), instrument="grant"),
        debt("inv-b", (D(2025, 1, 1), "100000.00"), instrument="equity"),
        debt("inv-a", (D(2025, 1, 1), "60000.00"), seniority="junior"),
        debt("inv-d", (D(2025, 1, 1), "40000.00"), seniority="senior"),
    ])
    # p1 pays 70,000: senior 40,000 in full, junior 30,000 of its 60,000, equity and grant nothing.
    # p2 pays 250,000 − 70,000 = 180,000: junior 30,000, equity 100,000, then 50,000 of returns pro rata
    # to repayable capital (junior 60,000, equity 100,000, senior 40,000: 0.3, 0.5, 0.2).
    s = run(c, [res(c, "w1", 700), res(c, "w2", 2500)])
    p1, p2 = s.periods
    assert p1.investor_shares == (("inv-c", eur("0.00")), ("inv-b", eur("0.00")), ("inv-a", eur("30000.00")),
                                  ("inv-d", eur("40000.00")))
    assert p2.investor_shares == (("inv-c", eur("0.00")), ("inv-b", eur("125000.00")), ("inv-a", eur("45000.00")),
                                  ("inv-d", eur("10000.00")))
    grant, equity, junior, senior = (investor(s, n) for n in ("inv-c", "inv-b", "inv-a", "inv-d"))
    assert (equity.repaid_principal, equity.returns) == (eur("100000.00"), eur("25000.00"))
    assert (junior.repaid_principal, junior.returns) == (eur("60000.00"), eur("15000.00"))
    assert (senior.repaid_principal, senior.returns) == (eur("40000.00"), eur("10000.00"))
    assert grant.instrument == "grant" and grant.received == eur("0.00") and grant.invested == eur("50000.00")
    assert grant.loss is None and grant.irr is None and grant.multiple is None
    assert equity.instrument == "equity" and equity.loss == eur("0.00") and equity.multiple == pytest.approx(1.25)


def test_equity_bears_the_loss_before_debt() -> None:
    c = contract(investments=[debt("inv-b", (D(2025, 1, 1), "100000.00"), instrument="equity"),
                              debt("inv-a", (D(2025, 1, 1), "100000.00"), seniority="first_loss")])
    s = run(c, [res(c, "w1", 1500), res(c, "w2", 1500)])  # 150,000 in all
    equity, first_loss = investor(s, "inv-b"), investor(s, "inv-a")
    # even first-loss debt is repaid before equity: 100,000 then 50,000
    assert first_loss.repaid_principal == eur("100000.00") and equity.repaid_principal == eur("50000.00")
    assert equity.loss == eur("50000.00") and first_loss.loss == eur("0.00")
    assert equity.irr is not None and equity.irr < 0 and first_loss.irr == pytest.approx(0.0, abs=1e-9)


# --- what settle refuses ---------------------------------------------------------------------------


def test_a_result_for_an_unknown_indicator_or_wave_is_refused_with_the_valid_ones() -> None:
    c = contract()
    with pytest.raises(InvalidInputError) as e:
        run(c, [res(c, "w1", 1, indicator="nope")])
    assert e.value.code == "settlement.unknown_indicator" and e.value.path == "results[0].indicator"
    assert "'nope'" in in_en(e.value) and "« nope »" in in_fr(e.value)
    assert "outcome, gate" in hint_in(e.value, "en") and "outcome, gate" in hint_in(e.value, "fr")
    with pytest.raises(InvalidInputError) as e:
        run(c, [res(c, "w1", 1), res(c, "w3", 1)])
    assert e.value.code == "settlement.unknown_wave" and e.value.path == "results[1].wave"
    assert "'w3'" in in_en(e.value) and "« w3 »" in in_fr(e.value)
    assert "w1, w2" in hint_in(e.value, "en") and "w1, w2" in hint_in(e.value, "fr")


# --- what is stored and reported: the records' plain data ----------------------------------------


def test_a_settlement_as_stored_hand_worked() -> None:
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "100.00", "threshold": 1,
                                        "bonus_tiers": [{"above": 2, "bonus": "50.00"}]}],
                 savings=[{"indicator": "outcome", "unit_cost": "120.00", "unit": "point", "source": "a tariff"}],
                 caps={"total_outcome_payments": "600.00"},
                 investments=[debt("inv-a", (D(2025, 1, 1), "1000.00"), instrument="equity", seniority="junior",
                                   guarantee={"guarantor": "guarantor", "amount": "30.00"})])
    s = run(c, [res(c, "w1", 2.5, n=2), res(c, "w2", 3, n=2)])
    p1, p2 = (p.to_dict() for p in s.periods)
    # p1: 2.5 × 2 × 100 + 50 = 550 (under the 600 cap); savings 2.5 × 2 × 120 = 600
    assert p1["entitlements"] == [{
        "indicator": "outcome", "wave": "w1", "status": "paid", "basis": "point_estimate", "verified_impact": 2.5,
        "participants": 2, "priced_units": "5.0", "price_per_unit": "100.00", "bonus": "50.00", "amount": "550.00",
        "grade": "meets_without_reservations", "result_hash": s.periods[0].entitlements[0].result_hash}]
    assert p1["savings"] == [{"indicator": "outcome", "wave": "w1", "avoided_units": "5.0", "unit": "point",
                              "unit_cost": "120.00", "amount": "600.00", "counted": True, "source": "a tariff"}]
    assert p1["caps"] == [{"name": "total_outcome_payments", "limit": "600.00", "room": "600.00", "reduction": "0.00"}]
    # p2: 3 × 2 × 100 + 50 = 650, gross 650 − 550 = 100, the cap's room 600 − 550 = 50
    assert p2["caps"][0] == {"name": "total_outcome_payments", "limit": "600.00", "room": "50.00", "reduction": "50.00"}
    assert (p2["gross"], p2["amount_due"], p2["cumulative_paid"]) == ("100.00", "50.00", "600.00")
    # the equity investor: 600 of its 1,000 back, the guarantee pays 30 of the 400 missing, dated after
    # the last payment on the same day
    assert s.investors[0].to_dict() == {
        "investor": "inv-a", "instrument": "equity", "seniority": "junior", "invested": "1000.00",
        "repaid_principal": "600.00", "returns": "0.00", "guarantee": "30.00", "guarantor": "guarantor",
        "received": "630.00", "loss": "370.00", "multiple": 0.63, "irr": s.investors[0].irr, "final": True,
        "flows": [{"date": "2025-01-01", "amount": "-1000.00"}, {"date": "2026-01-01", "amount": "550.00"},
                  {"date": "2027-01-01", "amount": "50.00"}, {"date": "2027-01-01", "amount": "30.00"}]}
    # IRR: −1,000 + 550 / (1 + r) + 80 / (1 + r)² = 0 over whole years: 1 + r = (550 + √(550² + 320,000)) / 2,000
    r = s.investors[0].irr
    assert r == pytest.approx((550 + (550**2 + 4 * 1000 * 80) ** 0.5) / 2000 - 1, abs=1e-9)
    cap_line = s.periods[1].caps[0]
    assert (in_fr(cap_line), in_en(cap_line)) == ("plafond total des paiements aux résultats", "total outcome-payment cap")


def test_every_cap_has_its_label_in_both_languages() -> None:
    from temoin.settlement.caps import CAP_ORDER, CapLine

    for name in CAP_ORDER:  # a label of its own in both languages, never the code
        line = CapLine(name, eur("1"), eur("2"), eur("3"))
        assert in_fr(line) != name and in_en(line) != name and in_fr(line) != in_en(line)
    line = CapLine("payer_commitment", eur("1"), eur("2"), eur("3"))
    assert (in_fr(line), in_en(line)) == ("engagement maximal du payeur", "payer's maximum commitment")
    assert line.to_dict() == {"name": "payer_commitment", "limit": "1.00", "room": "2.00", "reduction": "3.00"}


def test_before_the_end_an_investor_position_states_no_loss() -> None:
    c = contract(investments=[debt("inv-a", (D(2025, 1, 1), "1000.00"))])
    s = run(c, [res(c, "w1", 3)], as_of=D(2026, 6, 30))  # 300 paid, p2 not settled
    d = s.investors[0].to_dict()
    assert d["loss"] is None and d["irr"] is None and d["final"] is False and d["guarantor"] is None
    assert (d["received"], d["multiple"]) == ("300.00", 0.3)
    assert any(n.code == "figures_to_date" for n in s.notices)


# --- what settle accepts: results and claims written as data -------------------------------------


def test_results_written_as_data_with_their_defaults() -> None:
    from temoin.settlement.inputs import results_from_data

    c = contract()
    (r,) = results_from_data(c, 3, [{"indicator": "outcome", "wave": "w1", "improvement": "2.5",
                                     "n_treated_followed": "7", "grade": "meets_with_reservations"}])
    assert (r.contract_id, r.contract_version, r.indicator, r.wave) == ("cents", 3, "outcome", "w1")
    assert (r.improvement, r.improvement_lower, r.n_treated_followed) == (2.5, 2.5, 7)
    assert r.grade is G.MEETS_WITH_RESERVATIONS and r.grade_reasons == ()
    e = r.effect
    assert (e.estimate, e.std_error, e.ci_low, e.ci_high, e.p_value, e.df) == (2.5, 0.0, 2.5, 2.5, 0.0, 6.0)
    assert (e.n_treated, e.n_control, e.se_type, e.method) == (7, 7, "reported", "reported")
    (r,) = results_from_data(c, 1, [{"indicator": "outcome", "wave": "w2", "improvement": 4, "improvement_lower": 1,
                                     "n_treated_followed": 1, "grade": "does_not_meet", "std_error": 1.5,
                                     "ci_high": 7, "p_value": 0.2, "df": 30, "n_control": 9, "se_type": "HC2",
                                     "contract_id": "other", "contract_version": 2, "grade_reasons": ["attrition"]}])
    assert (r.contract_id, r.contract_version, r.improvement_lower) == ("other", 2, 1.0)
    assert [reason.stored for reason in r.grade_reasons] == ["attrition"]
    assert (r.effect.std_error, r.effect.ci_high, r.effect.p_value, r.effect.df, r.effect.n_control, r.effect.se_type) == (
        1.5, 7.0, 0.2, 30.0, 9, "HC2")
    (r,) = results_from_data(c, 1, [{"indicator": "outcome", "wave": "w1", "improvement": 1, "n_treated_followed": 0,
                                     "grade": "meets_without_reservations"}])
    assert r.effect.df == 1.0  # at least one degree of freedom


@pytest.mark.parametrize(("row", "code", "path", "en"), [
    ("not a mapping", "settlement.result_format", "results[0]", "A result is a mapping."),
    ({"indicator": "outcome", "wave": "w1", "improvement": 1}, "settlement.result_format", "results[0]",
     "Missing fields: n_treated_followed, grade."),
    ({"indicator": "outcome", "wave": "w1", "improvement": 1, "n_treated_followed": 1, "grade": "excellent"},
     "settlement.result_grade", "results[0].grade", "Unknown evidence grade: 'excellent'."),
    ({"indicator": "outcome", "wave": "w1", "improvement": "much", "n_treated_followed": 1, "grade": "does_not_meet"},
     "settlement.result_number", "results[0]", "improvement, improvement_lower and n_treated_followed are numbers."),
    ({"indicator": "outcome", "wave": "w1", "improvement": 1, "improvement_lower": None, "n_treated_followed": 1,
      "grade": "does_not_meet"}, "settlement.result_number", "results[0]",
     "improvement, improvement_lower and n_treated_followed are numbers."),
    ({"indicator": "outcome", "wave": "w1", "improvement": 1, "n_treated_followed": "x", "grade": "does_not_meet"},
     "settlement.result_number", "results[0]", "improvement, improvement_lower and n_treated_followed are numbers."),
    ({"indicator": "outcome", "wave": "w1", "improvement": 1, "n_treated_followed": -1, "grade": "does_not_meet"},
     "settlement.result_number", "results[0].n_treated_followed", "Negative count: −1."),
])
def test_results_that_cannot_be_read_are_refused(row: Any, code: str, path: str, en: str) -> None:
    from temoin.settlement.inputs import results_from_data

    ok = {"indicator": "outcome", "wave": "w1", "improvement": 1, "n_treated_followed": 0, "grade": "does_not_meet"}
    with pytest.raises(InvalidInputError) as e:
        results_from_data(contract(), 1, [ok, row][1:])
    assert (e.value.code, e.value.path, in_en(e.value)) == (code, path, en)
    with pytest.raises(InvalidInputError) as e:
        results_from_data(contract(), 1, [ok, row])
    assert e.value.path == path.replace("results[0]", "results[1]")
    assert in_fr(e.value) and in_fr(e.value) != in_en(e.value)


def test_refused_results_say_what_to_write_in_both_languages() -> None:
    from temoin.settlement.inputs import results_from_data

    with pytest.raises(InvalidInputError) as e:
        results_from_data(contract(), 1, [{"wave": "w1"}])
    assert in_fr(e.value) == "Champs manquants : indicator, improvement, n_treated_followed, grade."
    fields = "indicator, wave, improvement, n_treated_followed, grade"
    assert hint_in(e.value, "en") == f"A result has {fields}." and hint_in(e.value, "fr") == f"Un résultat a {fields}."
    with pytest.raises(InvalidInputError) as e:
        results_from_data(contract(), 1, [{"indicator": "outcome", "wave": "w1", "improvement": 1,
                                           "n_treated_followed": 1, "grade": "A+"}])
    grades = "meets_without_reservations, meets_with_reservations, does_not_meet"
    assert in_fr(e.value) == "Niveau de preuve inconnu : « A+ »."
    assert hint_in(e.value, "en") == f"Choose one of {grades}." and hint_in(e.value, "fr") == f"Choisissez parmi {grades}."
    with pytest.raises(InvalidInputError) as e:
        results_from_data(contract(), 1, [3])
    assert in_fr(e.value) == "Un résultat est un dictionnaire."
    with pytest.raises(InvalidInputError) as e:
        results_from_data(contract(), 1, [{"indicator": "outcome", "wave": "w1", "improvement": [], "n_treated_followed": 1,
                                           "grade": "does_not_meet"}])
    assert in_fr(e.value) == "improvement, improvement_lower et n_treated_followed sont des nombres."
    with pytest.raises(InvalidInputError) as e:
        results_from_data(contract(), 1, [{"indicator": "outcome", "wave": "w1", "improvement": 1, "n_treated_followed": -3,
                                           "grade": "does_not_meet"}])
    assert in_fr(e.value) == "Effectif négatif : −3."


def test_claims_written_as_data() -> None:
    from temoin.settlement.inputs import claims_from_data

    assert claims_from_data([{"participant": 17, "outcome": "job", "period": "p9"}]) == [OutcomeClaim("17", "job", "p9")]
    for k, bad in [(0, {"participant": "a", "outcome": "job"}), (1, None)]:
        rows: list[Any] = [bad] if k == 0 else [{"participant": "a", "outcome": "job", "period": "p9"}, bad]
        with pytest.raises(InvalidInputError) as e:
            claims_from_data(rows)
        assert (e.value.code, e.value.path) == ("settlement.claim_format", f"claims[{k}]")
        assert in_en(e.value) == "A claim has participant, outcome and period."
        assert in_fr(e.value) == "Une réclamation a participant, outcome et period."


def _card_contract() -> Contract:
    card = [{"outcome": "job", "label": _text("Job"), "price": "1500.00"},
            {"outcome": "training", "label": _text("Training"), "price": "400.00"}]
    return contract(payments__indicators=[], payments__rate_card=card)


def test_claims_of_an_unknown_outcome_or_period_are_refused_with_the_valid_ones() -> None:
    c = _card_contract()
    with pytest.raises(InvalidInputError) as e:
        run(c, [], claims=[OutcomeClaim("a", "job", "p1"), OutcomeClaim("a", "degree", "p1")])
    assert (e.value.code, e.value.path) == ("settlement.unknown_outcome", "claims[1].outcome")
    assert (in_en(e.value), in_fr(e.value)) == ("Unknown individual outcome: 'degree'.", "Résultat individuel inconnu : « degree ».")
    assert (hint_in(e.value, "en"), hint_in(e.value, "fr")) == ("Choose one of job, training.", "Choisissez parmi job, training.")
    with pytest.raises(InvalidInputError) as e:
        run(c, [], claims=[OutcomeClaim("a", "job", "p3")])
    assert (e.value.code, e.value.path) == ("settlement.unknown_period", "claims[0].period")
    assert (in_en(e.value), in_fr(e.value)) == ("Unknown period: 'p3'.", "Période inconnue : « p3 ».")
    assert (hint_in(e.value, "en"), hint_in(e.value, "fr")) == ("Choose one of p1, p2.", "Choisissez parmi p1, p2.")


def test_results_of_another_contract_or_version_and_dates_before_the_start() -> None:
    c = contract()
    other = ImpactResult("autre", 1, "outcome", "w1", res(c, "w1", 1).effect, 1, 1, 1, G.MEETS)
    with pytest.raises(InvalidInputError) as e:
        run(c, [res(c, "w1", 1), other])
    assert (e.value.code, e.value.path) == ("settlement.result_other_contract", "results[1]")
    assert in_en(e.value) == "Result outcome/w1 comes from contract 'autre', not 'cents'."
    assert in_fr(e.value) == "Le résultat outcome/w1 vient du contrat « autre », pas de « cents »."
    assert (hint_in(e.value, "en"), hint_in(e.value, "fr")) == ("Settle with this contract's results.", "Réglez avec les résultats de ce contrat.")
    v2 = ImpactResult("cents", 2, "outcome", "w1", res(c, "w1", 1).effect, 1, 1, 1, G.MEETS)
    with pytest.raises(InvalidInputError) as e:
        run(c, [v2], contract_version=1)
    assert (e.value.code, e.value.path) == ("settlement.result_other_version", "results[0].contract_version")
    assert in_en(e.value) == "Result outcome/w1 was evaluated on contract version 2, not version 1."
    assert in_fr(e.value) == "Le résultat outcome/w1 a été évalué sur la version 2 du contrat, pas sur la version 1."
    assert hint_in(e.value, "en") == "Re-run the evaluation on the current version, or settle the version evaluated."
    assert hint_in(e.value, "fr") == "Relancez l'évaluation sur la version en vigueur, ou réglez la version évaluée."
    assert run(c, [v2]).total_paid == eur("100.00")  # without a version to check, any version is settled
    with pytest.raises(InvalidInputError) as e:
        run(c, [res(c, "w1", 1), res(c, "w1", 2)])
    assert (e.value.code, e.value.path) == ("settlement.duplicate_result", "results[1]")
    assert (in_en(e.value), in_fr(e.value)) == ("Two results for outcome at wave w1.", "Deux résultats pour outcome à la vague w1.")
    assert (hint_in(e.value, "en"), hint_in(e.value, "fr")) == ("Keep only the certified result.", "Ne gardez que le résultat certifié.")
    with pytest.raises(InvalidInputError) as e:
        run(c, [], as_of=D(2024, 12, 31))
    assert (e.value.code, e.value.path) == ("settlement.as_of_before_start", "as_of")
    assert in_en(e.value) == "The settlement date (31 December 2024) is before the contract starts (1 January 2025)."
    assert in_fr(e.value) == "La date de règlement (31 décembre 2024) précède le début du contrat (1 janvier 2025)."
    assert (hint_in(e.value, "en"), hint_in(e.value, "fr")) == ("Choose a date after start_date.", "Choisissez une date après start_date.")
    on_start = run(c, [], as_of=D(2025, 1, 1))  # the first day is allowed: nothing is due yet
    assert on_start.periods == () and on_start.total_paid == eur("0.00") and not on_start.final


def test_a_contract_that_cannot_be_settled_is_refused_before_anything_is_paid() -> None:
    data = copy.deepcopy(BASE)
    data["payments"]["indicators"] = [{"indicator": "outcome", "price_per_unit": "1.00", "threshold": 5,
                                       "bonus_tiers": [{"above": 4, "bonus": "1.00"}]}]
    c = Contract.model_validate(data)  # the model alone: `contract check` would refuse it, settle must too
    with pytest.raises(ContractValidationError) as e:
        run(c, [res(c, "w1", 10)])
    assert [p.code for p in e.value.problems] == ["contract.tier_below_threshold"]


# --- the rule on many scenarios: a result in some scenarios only, exact and in floats ---------------


def _rule_contract() -> Contract:
    return contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "100.00",
                                           "bonus_tiers": [{"above": 1, "bonus": "10.00"}]}],
                    savings=[{"indicator": "outcome", "unit_cost": "150.00", "unit": "point", "source": "a tariff"}])


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_a_result_present_in_some_scenarios_only(kind: str) -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT, FLOAT
    from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule

    a = EXACT if kind == "exact" else FLOAT
    yes = np.array([True, True])
    # scenario 0 has the w1 result only, scenario 1 the w2 result only
    w1 = ResultArrays(np.array([2.0, 3.0]), np.array([2.0, 4.0]), yes, present=np.array([True, False]))
    w2 = ResultArrays(np.array([5.0, 7.0]), np.array([3.0, 5.0]), yes, present=np.array([False, True]), result_hash="h2")
    out = run_rule(_rule_contract(), RuleInputs(2, {("outcome", "w1"): w1, ("outcome", "w2"): w2}), a)
    p1, p2 = out.periods

    def money(x: Any) -> list[Decimal]:
        return [Decimal(str(v)).quantize(Decimal("0.01")) for v in np.asarray(x).tolist()]

    # scenario 0: p1 2 × 2 × 100 + 10 = 410, p2 pending (keeps 410); savings 2 × 2 × 150 = 600 kept
    # scenario 1: p1 pending with nothing before (0), p2 7 × 5 × 100 + 10 = 3,510; savings 7 × 5 × 150 = 5,250
    l1, l2 = p1.lines[0], p2.lines[0]
    assert [l1.statuses(k) for k in (0, 1)] == [S.PAID, S.PENDING]
    assert [l2.statuses(k) for k in (0, 1)] == [S.PENDING, S.PAID]
    assert (l2.indicator, l2.wave, l2.result_hash) == ("outcome", "w2", "h2") and (l1.indicator, l1.wave) == ("outcome", "w1")
    assert money(l1.amount) == [Decimal("410.00"), Decimal("0.00")] and money(l2.amount) == [Decimal("410.00"), Decimal("3510.00")]
    assert money(l2.bonus) == [Decimal("10.00"), Decimal("10.00")] and money(l1.bonus) == [Decimal("10.00"), Decimal("0.00")]
    assert money(l2.units) == [Decimal(4), Decimal(35)] and np.asarray(l2.participants).tolist() == [2.0, 5.0]
    assert np.asarray(l2.verified).tolist() == [2.0, 7.0] and np.isnan(np.asarray(l1.verified)[1])
    assert money(p1.due) == [Decimal("410.00"), Decimal("0.00")] and money(p2.due) == [Decimal("0.00"), Decimal("3510.00")]
    sv1, sv2 = p1.savings[0], p2.savings[0]
    assert money(sv1.amount) == [Decimal("600.00"), Decimal("0.00")] and np.asarray(sv1.counted).tolist() == [True, False]
    assert money(sv2.amount) == [Decimal("600.00"), Decimal("5250.00")] and np.asarray(sv2.counted).tolist() == [True, True]
    assert money(sv2.avoided_units) == [Decimal(4), Decimal(35)]
    assert money(out.savings_total) == [Decimal("600.00"), Decimal("5250.00")]
    assert np.asarray(out.final).tolist() == [False, True] and money(out.paid) == [Decimal("410.00"), Decimal("3510.00")]


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_a_savings_result_missing_in_a_later_scenario_keeps_the_earlier_saving(kind: str) -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT, FLOAT
    from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule

    a = EXACT if kind == "exact" else FLOAT
    yes = np.array([True, True])
    w1 = ResultArrays(np.array([2.0, 3.0]), np.array([1.0, 1.0]), np.array([True, False]))
    w2 = ResultArrays(np.array([5.0, 7.0]), np.array([1.0, 1.0]), yes, present=np.array([False, True]))
    out = run_rule(_rule_contract(), RuleInputs(2, {("outcome", "w1"): w1, ("outcome", "w2"): w2}), a,
                   savings_cap=False, investors=False)
    p1, p2 = out.periods
    # scenario 1's w1 grade does not allow payment: no saving counted, nothing paid
    assert np.asarray(p1.savings[0].counted).tolist() == [True, False]
    assert [float(x) for x in p1.savings[0].amount] == [300.0, 0.0]  # 2 × 1 × 150
    assert [float(x) for x in p2.savings[0].amount] == [300.0, 1050.0]  # kept; 7 × 1 × 150
    assert np.asarray(p2.savings[0].counted).tolist() == [True, True]
    assert [float(x) for x in p2.savings_total] == [300.0, 1050.0]
    assert p1.investor_shares == [] and out.investors == []


def test_without_the_savings_cap_the_rule_says_what_would_have_been_paid() -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT
    from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule

    c = contract(savings=[{"indicator": "outcome", "unit_cost": "50.00", "unit": "point", "source": "a tariff"}],
                 caps={"payments_within_realised_savings": True})
    w1 = ResultArrays(np.array([2.0]), np.array([1.0]), np.array([True]))
    capped = run_rule(c, RuleInputs(1, {("outcome", "w1"): w1}), EXACT).periods[0]
    assert capped.due[0] == Decimal("100.00") and [x.name for x in capped.caps] == ["realised_savings"]  # 2 × 50 saved
    free = run_rule(c, RuleInputs(1, {("outcome", "w1"): w1}), EXACT, savings_cap=False).periods[0]
    assert free.due[0] == Decimal("200.00") and free.caps == []  # 2 × 100, the savings cap left out
    assert free.above_savings is None  # the contract caps payments at savings: no "above savings" flag


def test_payments_above_savings_are_flagged_when_the_contract_does_not_cap_them() -> None:
    c = contract(savings=[{"indicator": "outcome", "unit_cost": "50.00", "unit": "point", "source": "a tariff"}])
    s = run(c, [res(c, "w1", 2), res(c, "w2", 1)])
    # p1 pays 200 for 100 saved: flagged. p2: the saving falls to 50, nothing more is paid, still above.
    assert [p.realised_savings for p in s.periods] == [eur("100.00"), eur("50.00")]
    assert [n.code for n in s.notices].count("payments_above_savings") == 2
    s = run(c, [res(c, "w1", 0.5), res(c, "w2", 0.5)])  # 50 paid for 25 saved, then the same
    assert [n.code for n in s.notices].count("payments_above_savings") == 2
    c = contract(savings=[{"indicator": "outcome", "unit_cost": "100.00", "unit": "point", "source": "a tariff"}])
    s = run(c, [res(c, "w1", 2), res(c, "w2", 3)])  # paid exactly what is saved: not above
    assert "payments_above_savings" not in [n.code for n in s.notices]


def test_a_saving_is_counted_without_the_evidence_standard_only_when_the_contract_pays_so() -> None:
    c = contract(savings=[{"indicator": "outcome", "unit_cost": "50.00", "unit": "point", "source": "a tariff"}],
                 payments__pay_without_evidence_standard=True)
    s = run(c, [res(c, "w1", 2, n=3, grade=G.DOES_NOT_MEET)], as_of=D(2026, 6, 30))
    line = s.periods[0].savings[0]
    assert line.counted and line.amount == eur("300.00") and line.avoided_units == Decimal(6)  # 2 × 3 × 50
    c = contract(savings=[{"indicator": "outcome", "unit_cost": "50.00", "unit": "point", "source": "a tariff"}])
    line = run(c, [res(c, "w1", 2, n=3, grade=G.DOES_NOT_MEET)], as_of=D(2026, 6, 30)).periods[0].savings[0]
    assert not line.counted and line.amount == eur("0.00") and line.avoided_units == Decimal(0)
    line = run(c, [res(c, "w1", -2, n=3)], as_of=D(2026, 6, 30)).periods[0].savings[0]
    assert line.counted and line.amount == eur("0.00")  # a worse outcome saves nothing, never a negative saving


def test_an_absolute_target_prices_the_count_itself() -> None:
    c = contract(evaluation={"design": "absolute_target", "target": {"successes": 320, "out_of": 500},
                             "follow_up_waves": [{"id": "w1", "months_after_enrolment": 12},
                                                 {"id": "w2", "months_after_enrolment": 24}]},
                 payments__pay_without_evidence_standard=True,
                 payments__indicators=[{"indicator": "outcome", "price_per_unit": "10.00", "threshold": 320}],
                 savings=[{"indicator": "outcome", "unit_cost": "4.00", "unit": "person", "source": "a tariff"}])
    s = run(c, [res(c, "w1", 330, n=500, grade=G.MEETS)], as_of=D(2026, 6, 30))
    p = s.periods[0]
    # 330 people × 10 (not × the 500 followed); the grade can be no better than "does not meet" here
    assert p.entitlements[0].status is S.PAID_WITHOUT_EVIDENCE_STANDARD and p.amount_due == eur("3300.00")
    assert p.realised_savings == eur("1320.00") and p.savings[0].avoided_units == Decimal(330)  # 330 × 4


def test_the_per_participant_cap_counts_the_most_participants_followed() -> None:
    c = contract(caps={"per_participant": "150.00"})
    s = run(c, [res(c, "w1", 5, n=4), res(c, "w2", 6, n=3)])
    p1, p2 = s.periods
    # p1: 5 × 4 × 100 = 2,000 against 4 × 150 = 600; p2: 6 × 3 × 100 = 1,800, the cap still 4 × 150
    assert cap(p1, "per_participant").limit == eur("600.00") and p1.amount_due == eur("600.00")
    assert cap(p2, "per_participant").limit == eur("600.00") and p2.amount_due == eur("0.00")


# --- the two kinds of numbers the rule runs on --------------------------------------------------------


def test_float_cents_round_half_away_from_zero_like_decimal() -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT, FLOAT

    written = ["0.005", "-0.005", "0.015", "1.005", "2.675", "-2.675", "0.004", "0.3", "1234567.125", "0"]
    want = [0.01, -0.01, 0.02, 1.01, 2.68, -2.68, 0.0, 0.3, 1234567.13, 0.0]
    assert FLOAT.cents(np.array([float(x) for x in written])).tolist() == want
    assert EXACT.cents(EXACT.array(written)).tolist() == [Decimal(str(w)).quantize(Decimal("0.01")) for w in want]
    assert FLOAT.cents(np.array([0.1 * 3])).tolist() == [0.3]  # 0.30000000000000004 → 0.3
    assert FLOAT.cents(np.array([0.0049999])).tolist() == [0.0]


def test_the_arithmetic_of_each_kind() -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT, FLOAT

    assert EXACT.exact and not FLOAT.exact
    assert EXACT.const(0.1) == Decimal("0.1") and EXACT.const(3) == Decimal(3) and isinstance(EXACT.const(3), Decimal)
    assert EXACT.const(Decimal("1.50")) == Decimal("1.50") and FLOAT.const(Decimal("1.50")) == 1.5
    assert EXACT.zeros(2).tolist() == [Decimal(0), Decimal(0)] and FLOAT.zeros(2).tolist() == [0.0, 0.0]
    assert EXACT.array([1, "0.1"]).tolist() == [Decimal(1), Decimal("0.1")] and EXACT.array([1]).dtype == object
    assert FLOAT.array(["0.1", Decimal("2")]).tolist() == [0.1, 2.0]
    assert EXACT.of_floats(np.array([0.1, 2.5])).tolist() == [Decimal("0.1"), Decimal("2.5")]
    assert EXACT.of_floats(np.float64(2.5)).tolist() == Decimal("2.5")
    assert EXACT.of_floats(np.array([1, 2])).tolist() == [Decimal("1.0"), Decimal("2.0")]
    obj = EXACT.array(["1.25"])
    assert EXACT.of_floats(obj) is obj
    assert FLOAT.of_floats([1, 2]).dtype == np.float64 and FLOAT.of_counts([3]).tolist() == [3.0]
    assert EXACT.of_counts(np.array([3.0, 4.0])).tolist() == [Decimal(3), Decimal(4)]
    assert EXACT.of_counts(np.float64(5.0)).tolist() == Decimal(5) and EXACT.of_counts(np.float64(5.0)).dtype == object
    assert EXACT.to_float(EXACT.array(["0.25"])).tolist() == [0.25] and EXACT.to_float(EXACT.array(["1"])).dtype == np.float64
    assert FLOAT.array([1, 2]).dtype == np.float64 and FLOAT.of_counts([3]).dtype == np.float64
    # pro rata: exact, to the cent and adding up per scenario; floats, the plain proportion
    shares = EXACT.pro_rata(EXACT.array(["0.07", "1.00"]), [Decimal("0.6"), Decimal("0.4")])
    assert [x.tolist() for x in shares] == [[Decimal("0.04"), Decimal("0.60")], [Decimal("0.03"), Decimal("0.40")]]
    assert [x.tolist() for x in FLOAT.pro_rata(np.array([10.0, 1.0]), [3, 1])] == [[7.5, 0.75], [2.5, 0.25]]
    assert [x.tolist() for x in FLOAT.pro_rata(np.array([10.0]), [0, 0])] == [[0.0], [0.0]]
    assert FLOAT.pro_rata(np.array([10.0]), []) == []


def _three_periods(**changes: Any) -> Contract:
    return contract(evaluation={"design": "individual_rct",
                                "follow_up_waves": [{"id": f"w{k}", "months_after_enrolment": 12 * k} for k in (1, 2, 3)]},
                    payments__periods=[_period(f"p{k}", f"w{k}", D(2024 + k, 12, 31), D(2025 + k, 1, 1)) for k in (1, 2, 3)],
                    **changes)


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_the_rule_shares_each_payment_between_payers_and_investors(kind: str) -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT, FLOAT
    from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule

    a = EXACT if kind == "exact" else FLOAT
    parties = copy.deepcopy(BASE["parties"])
    parties[0]["payment_share"] = 0.6
    parties.append({"id": "fund", "name": "Fund", "roles": ["outcome_payer"], "payment_share": 0.4})
    c = _three_periods(parties=parties, investments=[debt("inv-a", (D(2025, 1, 1), "600000.00")),
                                                     debt("inv-b", (D(2025, 1, 1), "400000.00"))])
    one = np.array([True])

    def r(v: float) -> ResultArrays:
        return ResultArrays(np.array([v]), np.array([1.0]), one)

    out = run_rule(c, RuleInputs(1, {("outcome", "w1"): r(5000), ("outcome", "w2"): r(12000),
                                     ("outcome", "w3"): r(13000)}), a)
    # p1 500,000: principal by what is outstanding (600,000 / 400,000). p2 700,000: the 300,000 and
    # 200,000 left, then 200,000 of returns by capital. p3 100,000: no principal left, all returns.
    want = [(500000, 300000, 200000), (700000, 420000, 280000), (100000, 60000, 40000)]
    for p, (due, ia, ib) in zip(out.periods, want, strict=True):
        assert float(p.due[0]) == due
        assert [float(x[0]) for _, x in p.payer_shares] == [0.6 * due, 0.4 * due]
        assert [pid for pid, _ in p.payer_shares] == ["payer", "fund"]
        assert [float(x[0]) for x in p.investor_shares] == [ia, ib]
    inv_a, inv_b = out.investors
    assert [float(inv_a.repaid_principal[0]), float(inv_a.returns[0])] == [600000, 180000]
    assert [float(inv_b.repaid_principal[0]), float(inv_b.returns[0])] == [400000, 120000]


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_the_rule_repays_principal_of_a_euro_in_both_arithmetics(kind: str) -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT, FLOAT
    from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule

    a = EXACT if kind == "exact" else FLOAT
    c = contract(payments__indicators=[{"indicator": "outcome", "price_per_unit": "0.01"}],
                 investments=[debt("inv-a", (D(2025, 1, 1), "0.60")), debt("inv-b", (D(2025, 1, 1), "0.40"))])
    # 50 × 1 × 0.01 = 0.50 against 1.00 of principal: 0.30 and 0.20
    w1 = ResultArrays(np.array([50.0]), np.array([1.0]), np.array([True]))
    out = run_rule(c, RuleInputs(1, {("outcome", "w1"): w1}), a, as_of=D(2026, 6, 30))
    assert [round(float(x[0]), 2) for x in out.periods[0].investor_shares] == [0.30, 0.20]


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_a_grid_in_scenarios_below_and_above_its_first_step(kind: str) -> None:
    import numpy as np

    from temoin.settlement.arith import EXACT, FLOAT
    from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule

    a = EXACT if kind == "exact" else FLOAT
    c = contract(payments__indicators=[{"indicator": "outcome", "grid": GRID}])
    w1 = ResultArrays(np.array([8.0, 10.0, 8.5]), np.array([1.0, 1.0, 1.0]), np.array([True, True, True]))
    out = run_rule(c, RuleInputs(3, {("outcome", "w1"): w1}), a, as_of=D(2026, 6, 30))
    line = out.periods[0].lines[0]
    assert [float(x) for x in line.amount] == [0.0, 9600000.0, 4800000.0]
    assert [line.statuses(k) for k in range(3)] == [S.BELOW_THRESHOLD, S.PAID, S.PAID]
    assert [float(x) for x in out.periods[0].due] == [0.0, 9600000.0, 4800000.0]


def test_rate_card_entitlements_are_cumulative_in_the_contracts_currency() -> None:
    from temoin.settlement.payments import rate_card_entitlements

    card = [{"outcome": "job", "label": _text("Job"), "price": "1500.00"},
            {"outcome": "training", "label": _text("Training"), "price": "400.00"}]
    c = contract(currency="GBP", payments__indicators=[], payments__rate_card=card)
    got = rate_card_entitlements(c, [OutcomeClaim("bob", "job", "p2"), OutcomeClaim("ann", "training", "p1"),
                                     OutcomeClaim("ann", "training", "p2")], ["p1", "p2"])
    gbp = Decimal
    assert got == {"p1": {"ann": Money(gbp("400.00"), "GBP")},
                   "p2": {"ann": Money(gbp("400.00"), "GBP"), "bob": Money(gbp("1500.00"), "GBP")}}


def test_an_investment_of_nothing_receives_nothing_and_has_no_multiple() -> None:
    c = contract(investments=[debt("inv-a", (D(2025, 1, 1), "0.00")), debt("inv-b", (D(2025, 1, 1), "100.00"))])
    s = run(c, [res(c, "w1", 2), res(c, "w2", 2)])  # 200: 100 of principal to B, then 100 of returns, all to B
    a, b = investor(s, "inv-a"), investor(s, "inv-b")
    assert a.received == eur("0.00") and a.multiple is None and a.irr is None and a.loss == eur("0.00")
    assert (b.repaid_principal, b.returns, b.multiple) == (eur("100.00"), eur("100.00"), 2.0)
    assert b.irr == pytest.approx(1.0)  # −100 then +200 a year later


def test_once_the_irr_cap_is_reached_a_later_period_pays_nothing_more() -> None:
    c = _irr_contract()
    # p1: 500,000 entitled, capped at 160,000 (as above). p2 on 2027-01-01: the account is
    # 100,000 × 1.1² + 50,000 × 1.1 − 160,000 × 1.1 = 121,000 + 55,000 − 176,000 = 0: nothing is left to
    # pay, so the limit stays 160,000 and p2 pays 0 although 500,000 − 160,000 are still entitled.
    s = run(c, [res(c, "w1", 500), res(c, "w2", 500)])
    p1, p2 = s.periods
    assert p1.amount_due == eur("160000.00")
    assert cap(p2, "investor_return").limit == eur("160000.00") and cap(p2, "investor_return").room == eur("0.00")
    assert p2.gross == eur("340000.00") and p2.amount_due == eur("0.00")


def test_cohorts_add_up_over_three_periods_and_the_pooled_result_is_judged_at_the_last() -> None:
    waves = [{"id": w, "months_after_enrolment": 12 * (k + 1)} for k, w in enumerate(("w1", "w2", "w3", "pool"))]
    c = contract(evaluation={"design": "individual_rct", "follow_up_waves": waves},
                 payments={"basis": "point_estimate", "accumulation": "by_cohort",
                           "indicators": [{"indicator": "outcome", "price_per_unit": "100.00", "threshold": 10,
                                           "pooled": {"wave": "pool", "threshold": 7.5}}],
                           "periods": [_period("p1", "w1", D(2025, 12, 31), D(2026, 1, 1)),
                                       _period("p2", "w2", D(2026, 12, 31), D(2027, 1, 1)),
                                       _period("p3", "w3", D(2027, 12, 31), D(2028, 1, 1))]})
    # Each cohort pays its own: 20 × 1 × 100 = 2,000, 30 × 100 = 3,000, 40 × 100 = 4,000; the cumulative
    # entitlement adds them (2,000, 5,000, 9,000). The pooled 8 × 3 × 100 = 2,400 is judged at p3 only,
    # and is worth less than the cohorts' 9,000, so it changes nothing.
    s = run(c, [res(c, "w1", 20), res(c, "w2", 30), res(c, "w3", 40), res(c, "pool", 8, n=3)])
    p1, p2, p3 = s.periods
    assert [p.cumulative_entitlement for p in (p1, p2, p3)] == [eur("2000.00"), eur("5000.00"), eur("9000.00")]
    assert [p.amount_due for p in (p1, p2, p3)] == [eur("2000.00"), eur("3000.00"), eur("4000.00")]
    assert [e.wave for e in p2.entitlements] == ["w2"]
    assert [(e.wave, e.amount) for e in p3.entitlements] == [("w3", eur("4000.00")), ("pool", eur("2400.00"))]
