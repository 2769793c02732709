"""The payer's budget lines through a contract (issue 16, item 4), on SQLite and PostgreSQL: the
templates import as they are, a workbook reads as its CSV, every problem of a file comes at once
(rows of another payer among them), and a refused file writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from temoin.governance.budget import COLUMNS, BudgetFileError
from temoin.i18n import Translator
from temoin.services.budget import budget_template_csv, budget_template_xlsx, import_budget_file
from temoin.services.contracts import get_contract, import_contract

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"
C = "aemo-renforcee"


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


@pytest.fixture
def contract_engine(engine: Engine) -> Engine:
    import_contract(engine, EXAMPLE, actor="test")
    return engine


def test_both_templates_import_as_they_are(contract_engine: Engine, tmp_path: Path) -> None:
    contract = get_contract(contract_engine, C).contract
    words = Translator("fr")
    csv_file = tmp_path / "modele.csv"
    csv_file.write_bytes(budget_template_csv(contract, words))
    done = import_budget_file(contract_engine, C, csv_file, name="modele.csv", actor="web:payeur")
    assert (done["rows"], done["added"], done["replaced"], done["payers"]) == (2, 2, 0, ["dept-nord"])
    xlsx_file = tmp_path / "modele.xlsx"
    xlsx_file.write_bytes(budget_template_xlsx(contract, words))
    again = import_budget_file(contract_engine, C, xlsx_file, name="modele.xlsx", actor="web:payeur")
    assert (again["rows"], again["added"], again["replaced"]) == (2, 0, 2)  # the same lines, read the same way
    with contract_engine.connect() as conn:
        entries = conn.execute(text("SELECT contract_id, payload FROM audit_ledger WHERE event = 'budget.imported' "
                                    "ORDER BY seq")).all()
    assert [e[0] for e in entries] == [C, C] and json.loads(entries[1][1])["file"] == "modele.xlsx"


def test_every_problem_at_once_and_nothing_written(contract_engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "b.csv"
    bad.write_text(",".join(COLUMNS) + "\n"
                   "dept-nord,ASE,2024,A,a,a,true,-1,100\n"
                   "autre-payeur,ASE,2024,B,b,b,true,10,100\n"
                   "dept-nord,ASE,2024,C,c,c,oui,10,0\n", encoding="utf-8")
    before = (_count(contract_engine, "SELECT COUNT(*) FROM gov_budget_lines"),
              _count(contract_engine, "SELECT COUNT(*) FROM audit_ledger"))
    with pytest.raises(BudgetFileError) as e:
        import_budget_file(contract_engine, C, bad, name="b.csv", actor="t")
    assert [(p.line, p.path) for p in e.value.problems] == [(2, "amount"), (3, "payer"), (4, "price_index")]
    assert Translator("en").error_message(e.value.problems[1]) == "Payer 'autre-payeur' is not a payer of this contract."
    assert (_count(contract_engine, "SELECT COUNT(*) FROM gov_budget_lines"),
            _count(contract_engine, "SELECT COUNT(*) FROM audit_ledger")) == before
    only_foreign = tmp_path / "f.csv"
    only_foreign.write_text(",".join(COLUMNS) + "\nautre-payeur,ASE,2024,B,b,b,true,10,100\n", encoding="utf-8")
    with pytest.raises(BudgetFileError) as e:
        import_budget_file(contract_engine, C, only_foreign, name="f.csv", actor="t")
    assert [p.code for p in e.value.problems] == ["budget.other_payer"]
