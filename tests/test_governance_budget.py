"""Budget watch, pure rules: reading the budget file, real terms, displacement flags, CIS share."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from temoin.contract import load_contract
from temoin.governance.budget import (
    BudgetFileError,
    budget_watch,
    contract_commitments,
    parse_budget_csv,
)
from temoin.i18n import Translator

D = Decimal
HEADER = "payer,function,year,code,label_fr,label_en,mandatory,amount,price_index\n"
NORD = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "budgets" / "nord.csv"


def _csv(*rows: str) -> str:
    return HEADER + "\n".join(rows) + "\n"


def test_bad_rows_are_all_reported_with_their_lines_and_nothing_is_returned() -> None:
    text = _csv(
        "dept-nord,ASE,2021,ASE-AEMO,AEMO,AEMO,true,1000.00,100",
        "dept-nord,ASE,2018-13,ASE-AEMO,AEMO,AEMO,true,1000.00,100",   # line 3: unknown year
        "dept-nord,ASE,2022,ASE-AEMO,AEMO,AEMO,true,-5.00,101",        # line 4: negative amount
        "dept-nord,ASE,2023,ASE-AEMO,AEMO,AEMO,peut-être,10.00,102",   # line 5: mandatory?
        "dept-nord,ASE,2024,ASE-AEMO,AEMO,AEMO,true,beaucoup,103",     # line 6: not a number
        "dept-nord,ASE,1850,ASE-AEMO,AEMO,AEMO,true,10.00,103",        # line 7: unknown year
    )
    with pytest.raises(BudgetFileError) as info:
        parse_budget_csv(text, source="b.csv")
    found = [(p.code, p.line) for p in info.value.problems]
    assert found == [("budget.year", 3), ("budget.negative", 4), ("budget.mandatory", 5),
                     ("budget.not_a_number", 6), ("budget.year", 7)]
    en, fr = Translator("en").error(info.value), Translator("fr").error(info.value)
    assert "nothing was imported" in en and "rien n'a été importé" in fr
    assert "2018-13" in en and "2018-13" in fr and "(ligne 3)" in fr


def test_duplicates_inconsistent_index_and_missing_columns_are_refused() -> None:
    with pytest.raises(BudgetFileError) as info:
        parse_budget_csv(_csv("p,ASE,2021,A,a,a,true,1,100", "p,ASE,2021,A,a,a,true,2,100",
                              "p,ASE,2021,B,b,b,false,1,101"))
    assert [p.code for p in info.value.problems] == ["budget.duplicate", "budget.price_index_mismatch"]
    with pytest.raises(BudgetFileError) as info2:
        parse_budget_csv("payer,year,code,amount\np,2021,A,1\n")
    assert info2.value.problems[0].code == "budget.columns" and "mandatory" in info2.value.problems[0].message()


def test_comments_and_french_decimal_commas_are_accepted() -> None:
    rows = parse_budget_csv("# synthetic\n" + _csv('p,ASE,2021,A,a,a,oui,"1234,5",100'))
    assert rows[0].amount == D("1234.50") and rows[0].mandatory


def test_commitments_of_the_child_protection_example(example_path) -> None:  # type: ignore[no-untyped-def]
    c = load_contract(example_path("aemo-renforcee"))
    # Structuring 60 k€ (Dec 2024), intermediation 30 k€ (2025), the 2 M€ outcome cap spread over the
    # two payment periods (Sept 2027, Sept 2028), evaluation 150 k€ (2028): all paid by the Département.
    assert contract_commitments(c) == {2024: D("60000.00"), 2025: D("30000.00"), 2027: D("1000000.00"),
                                       2028: D("1150000.00")}


def _rows(aemo_2027: str) -> list:  # type: ignore[type-arg]
    return parse_budget_csv(_csv(
        "dept-nord,ASE,2026,ASE-AEMO,AEMO,AEMO,true,1000000.00,100",
        "dept-nord,ASE,2026,PREVENTION,Prév,Prev,false,500000.00,100",
        f"dept-nord,ASE,2027,ASE-AEMO,AEMO,AEMO,true,{aemo_2027},102",
        "dept-nord,ASE,2027,PREVENTION,Prév,Prev,false,400000.00,102",
        "other-payer,ASE,2027,ASE-AEMO,AEMO,AEMO,true,1.00,102",
    ))


def test_a_mandatory_line_falling_in_real_terms_while_cis_money_rises_is_flagged(example_path) -> None:  # type: ignore[no-untyped-def]
    c = load_contract(example_path("aemo-renforcee"))
    # Nominal +1 % with prices +2 %: a real fall of 1 - 1.01/1.02 ≈ 0.98 %, while 1 M€ of CIS money arrives.
    w = budget_watch(c, _rows("1010000.00"))
    assert w.base_year == 2027 and w.basis == "commitments"
    assert w.lines["ASE-AEMO"][2026] == (D("1000000.00"), D("1020000.00"))  # 2026 € at 2027 prices
    flagged = {(f.year, f.code) for f in w.flags}
    assert flagged == {(2027, "ASE-AEMO"), (2027, "*")}  # the optional prevention cut is not a mandatory flag
    f = next(f for f in w.flags if f.code == "ASE-AEMO")
    assert f.real_change == (D("1010000.00") - D("1020000.00")) / D("1020000.00")
    fr = Translator("fr").render(f.message("fr")).replace("\u00a0", " ")
    assert "0,98 %" not in fr and "1,0 %" in fr
    y2027 = next(y for y in w.years if y.year == 2027)
    assert y2027.function_total == D("1410000.00")  # the other payer's line is not counted
    assert y2027.cis_share == (D("1000000") / D("1410000")).quantize(D("0.000001"))
    # Keeping pace with prices: no flag.
    assert budget_watch(c, _rows("1020000.00")).flags == []


def test_recorded_payments_take_over_from_commitments(example_path) -> None:  # type: ignore[no-untyped-def]
    c = load_contract(example_path("aemo-renforcee"))
    w = budget_watch(c, _rows("1010000.00"), payments={2026: D("200000"), 2027: D("100000")})
    assert w.basis == "payments" and w.flags == []  # payments fell: no displacement flag
    assert next(y for y in w.years if y.year == 2027).cis_payments == D("100000")


def test_the_bundled_nord_budget_matches_the_public_figures(example_path) -> None:  # type: ignore[no-untyped-def]
    text = NORD.read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    rows = parse_budget_csv(text)
    y2021 = [r for r in rows if r.year == 2021]
    assert sum(r.amount for r in y2021) == D("481000000.00")  # Nord child welfare 2021: 481 M€
    placement = next(r for r in y2021 if r.code == "ASE-PLACEMENT").amount
    assert placement / D("481000000") == D("0.81")  # 81 % on placements (DREES, national)
    w = budget_watch(load_contract(example_path("aemo-renforcee")), rows)
    assert {(f.year, f.code) for f in w.flags} == {(2027, "ASE-AEMO")}
