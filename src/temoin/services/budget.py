"""The payer's budget lines uploaded for a contract (CSV or XLSX), and the file to start from.

A file is read whole, checked row by row with every problem reported at once (each with its row),
and saved all or nothing with its ledger entry. Through a contract, the payer brings only its own
lines: a row for another payer than the contract's is one of the problems.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy import Engine

from temoin.contract.model import Contract, Role
from temoin.errors import InvalidInputError, TemoinError
from temoin.governance.budget import COLUMNS, BudgetFileError, BudgetRow, parse_budget_csv
from temoin.governance.ledger import LedgerEvent
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository
from temoin.store.governance import BudgetRepository

__all__ = ["budget_template_csv", "budget_template_xlsx", "import_budget_file", "store_budget"]

XLSX_SUFFIXES = (".xlsx", ".xlsm")


def _text_of(path: Path, name: str) -> str:
    """The file as CSV text: a workbook's first sheet written out as CSV (one line per row, so that
    problems name the row a person sees), a CSV decoded as UTF-8, else Windows-1252."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise InvalidInputError("budget.unreadable", Msg("Unreadable workbook {name} ({reason}).", name=name,
                                                             reason=type(exc).__name__), path="file",
                                    hint=Msg("Save it again as XLSX, or as CSV (UTF-8).")) from None
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in book.worksheets[0].iter_rows(values_only=True):
            writer.writerow(["" if v is None else _cell(v) for v in row])
        book.close()
        return out.getvalue()
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInputError("budget.encoding", Msg("{path} is not UTF-8.", path=name), path="file",
                            hint=Msg("Save the file as UTF-8."))


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _payers(contract: Contract) -> list[str]:
    return [p.id for p in contract.parties_with(Role.OUTCOME_PAYER)]


def _foreign_payers(text: str, payers: list[str]) -> list[TemoinError]:
    """A problem for each row whose payer is not one of the contract's (line numbers as the file's)."""
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    reader = csv.DictReader(io.StringIO("\n".join(ln for _, ln in lines)))
    if "payer" not in [h.strip() for h in reader.fieldnames or []]:
        return []
    problems: list[TemoinError] = []
    for k, raw in enumerate(reader):
        payer = str(next((v for key, v in raw.items() if (key or "").strip() == "payer"), "") or "").strip()
        if payer and payer not in payers:
            problems.append(InvalidInputError(
                "budget.other_payer", Msg("Payer '{payer}' is not a payer of this contract.", payer=payer),
                path="payer", line=lines[k + 1][0], hint=Msg("Write one of {payers}.", payers=payers)))
    return problems


def import_budget_file(engine: Engine, contract_id: str, path: str | Path, *, name: str, actor: str) -> dict[str, Any]:
    """Import the budget lines of a contract's payer from a CSV or XLSX file: every row is checked
    (and every problem reported at once) before anything is written; a refused file writes nothing."""
    p = Path(path)
    with session_scope(engine) as s:
        contract = ContractRepository(s).latest(contract_id).contract
    payers = _payers(contract)
    text = _text_of(p, name)
    foreign = _foreign_payers(text, payers)
    try:
        rows = parse_budget_csv(text, source=name)
    except BudgetFileError as exc:
        if exc.code != "budget.invalid_file" or not foreign:
            raise
        raise BudgetFileError(name, sorted(exc.problems + foreign, key=lambda e: (e.line or 0))) from None
    if foreign:
        raise BudgetFileError(name, foreign)
    return store_budget(engine, rows, p.read_bytes(), name=name, actor=actor, contract_id=contract_id)


def store_budget(engine: Engine, rows: list[BudgetRow], raw: bytes, *, name: str, actor: str,
                 contract_id: str | None = None) -> dict[str, Any]:
    """Save checked budget rows (a year's line replaces the same line stored before) with the
    ledger entry, in one transaction."""
    digest = hashlib.sha256(raw).hexdigest()
    with session_scope(engine) as s:
        added, replaced = BudgetRepository(s).upsert(rows, source_sha256=digest)
        years = sorted({r.year for r in rows})
        summary = {"file": name, "sha256": digest, "rows": len(rows), "added": added, "replaced": replaced,
                   "payers": sorted({r.payer for r in rows}), "years": [years[0], years[-1]]}
        ledger.append(s, actor=actor, event=LedgerEvent.BUDGET_IMPORTED, contract_id=contract_id, payload=summary)
    return summary


def _example_rows(contract: Contract) -> list[list[str]]:
    payer = (_payers(contract) or ["payer"])[0]
    return [[payer, "ASE", "2024", "ASE-PLACEMENT", "Placements", "Placements", "true", "389610000.00", "100"],
            [payer, "ASE", "2024", "ASE-PREVENTION", "Prévention", "Prevention", "false", "12500000.00", "100"]]


def _notes(words: Translator) -> list[str]:
    return [words("One row per budget line and year. mandatory: true for spending the law imposes, false otherwise."),
            words("amount in euros of the year; price_index: the year's price index (100 in a base year)."),
            words("Lines starting with # are notes, not read.")]


def budget_template_csv(contract: Contract, words: Translator) -> bytes:
    """A CSV to fill in: notes (lines starting with #), the columns, and two example rows."""
    out = io.StringIO()
    for note in _notes(words):
        out.write(f"# {note}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_example_rows(contract))
    return out.getvalue().encode("utf-8")


def budget_template_xlsx(contract: Contract, words: Translator) -> bytes:
    """The same as a workbook: the columns and the examples on the first sheet, the notes on a second."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = words("Budget")
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _example_rows(contract):
        sheet.append(row)
    notes = book.create_sheet(words("Notice"))
    for note in _notes(words):
        notes.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
