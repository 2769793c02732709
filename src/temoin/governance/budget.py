"""Budget watch: do the public funds committed to a CIS displace the payer's social-action spending?

The payer's budget lines by year come from a CSV file (one row per line and year)::

    payer,function,year,code,label_fr,label_en,mandatory,amount,price_index
    dept-nord,ASE,2021,ASE-PLACEMENT,Placements,Placements,true,389610000.00,100.0

``mandatory`` says whether the spending is a legal obligation (child-welfare placements, AEMO
ordered by a judge) or optional (prevention). ``price_index`` is a price index for the year (any
base, e.g. INSEE's consumer price index); amounts are turned into real terms at the prices of the
last year in the file: ``real = nominal × index(last year) / index(year)``. Lines starting with
``#`` are comments.

The watch raises a flag for each pair of consecutive years where a mandatory line (or all mandatory
lines together) falls in real terms while the CIS money rises, and gives the CIS share of the
function's budget each year. The CIS money is the recorded outcome payments when there are any,
otherwise the planned commitments (see :func:`contract_commitments`).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from temoin.contract.model import Contract, Role
from temoin.errors import InvalidInputError, NotFoundError, TemoinError
from temoin.messages import Amount, Msg, Share
from temoin.money import round_cents, to_decimal

COLUMNS: tuple[str, ...] = ("payer", "function", "year", "code", "label_fr", "label_en", "mandatory", "amount",
                            "price_index")
FIRST_YEAR, LAST_YEAR = 1990, 2100
_TRUE = {"true", "1", "yes", "oui", "o", "y", "obligatoire", "mandatory"}
_FALSE = {"false", "0", "no", "non", "n", "facultative", "facultatif", "optional"}
_FLAGS = _TRUE | _FALSE


class BudgetBasis(StrEnum):
    """What the CIS money in the watch is: the payments the payer approved, or, before any, the
    commitments the contract plans."""

    PAYMENTS = "payments"
    COMMITMENTS = "commitments"


@dataclass(frozen=True)
class BudgetRow:
    payer: str
    function: str
    year: int
    code: str
    label_fr: str
    label_en: str
    mandatory: bool
    amount: Decimal
    price_index: Decimal


class BudgetFileError(InvalidInputError):
    """A budget file that cannot be imported; carries every problem found, each with its line."""

    def __init__(self, source: str, problems: list[TemoinError]) -> None:
        n = len(problems)
        super().__init__(
            "budget.invalid_file",
            Msg("Budget file {source} is refused ({n} problem(s)); nothing was imported.", source=source, n=n),
            path=problems[0].path,
            line=problems[0].line,
        )
        self.problems = problems
        """Each problem (a :class:`Translator <temoin.i18n.Translator>` renders them with the head)."""


def _problem(code: str, line: int, column: str, message: Msg, hint: Msg | None = None) -> TemoinError:
    return InvalidInputError(code, message, path=column, line=line, hint=hint)


def parse_budget_csv(text: str, *, source: str = "<budget>") -> list[BudgetRow]:
    """Read and check a budget file; every problem is reported at once, with its line."""
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise BudgetFileError(source, [InvalidInputError("budget.empty", Msg("The file is empty."), path="-", line=1)])
    numbers = [n for n, _ in lines]
    reader = csv.DictReader(io.StringIO("\n".join(ln for _, ln in lines)))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BudgetFileError(source, [InvalidInputError("budget.columns", Msg("Missing columns: {columns}.", columns=", ".join(missing)), path="header", line=numbers[0], hint=Msg("Expected columns: {columns}.", columns=",".join(COLUMNS)))])
    problems: list[TemoinError] = []
    rows: list[BudgetRow] = []
    seen: dict[tuple[str, int, str], int] = {}
    index_of: dict[tuple[str, int], tuple[Decimal, int]] = {}
    line_meta: dict[tuple[str, str], tuple[str, bool, int]] = {}
    for k, raw in enumerate(reader):
        line = numbers[k + 1]
        r = {(key or "").strip(): (val or "").strip() for key, val in raw.items() if key is not None}
        bad = len(problems)
        for col in ("payer", "function", "code", "label_fr", "label_en"):
            if not r.get(col):
                problems.append(InvalidInputError("budget.empty_cell", Msg("Empty cell: {col}.", col=col), path=col, line=line))
        year_text = r.get("year", "")
        year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
        if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
            problems.append(InvalidInputError("budget.year", Msg("Unknown year: '{year_text}'.", year_text=year_text), path="year", line=line, hint=Msg("Write a four-digit year between {first} and {last}.", first=str(FIRST_YEAR), last=str(LAST_YEAR))))
        flag = r.get("mandatory", "").lower()
        if flag not in _FLAGS:
            problems.append(InvalidInputError("budget.mandatory", Msg("'{value}': mandatory or not?", value=r.get("mandatory", "")), path="mandatory", line=line, hint=Msg("Write true (mandatory) or false.")))
        amount = _number(r.get("amount", ""), line, "amount", problems)
        if amount is not None and amount < 0:
            problems.append(InvalidInputError("budget.negative", Msg("Negative amount: {amount}.", amount=r["amount"]), path="amount", line=line, hint=Msg("A budget appropriation is zero or more; correct the row.")))
        index = _number(r.get("price_index", ""), line, "price_index", problems)
        if index is not None and index <= 0:
            problems.append(InvalidInputError("budget.price_index", Msg("Invalid price index: {index}.", index=r["price_index"]), path="price_index", line=line, hint=Msg("The price index is strictly positive (e.g. 100 in the base year).")))
        if len(problems) > bad or year is None or amount is None or index is None:
            continue
        key = (r["payer"], year, r["code"])
        if key in seen:
            problems.append(InvalidInputError("budget.duplicate", Msg("Line {code} repeated for {year} (already on line {line}).", code=r["code"], year=str(year), line=str(seen[key])), path="code", line=line, hint=Msg("Keep one row per code and year.")))
            continue
        seen[key] = line
        prev_index = index_of.setdefault((r["payer"], year), (index, line))
        if prev_index[0] != index:
            problems.append(InvalidInputError("budget.price_index_mismatch", Msg("Price index {index} for {year} differs from line {line} ({other}).", index=index, year=str(year),
                                                 line=str(prev_index[1]), other=prev_index[0]), path="price_index", line=line, hint=Msg("A year has one price index.")))
        mandatory = flag in _TRUE
        meta = line_meta.setdefault((r["payer"], r["code"]), (r["function"], mandatory, line))
        if meta[:2] != (r["function"], mandatory):
            problems.append(InvalidInputError("budget.line_changes", Msg("Line {code} changes function or mandatory status (see line {line}).", code=r["code"], line=str(meta[2])), path="code", line=line, hint=Msg("A line keeps its function and status from year to year.")))
        rows.append(BudgetRow(r["payer"], r["function"], year, r["code"], r["label_fr"], r["label_en"], mandatory,
                              round_cents(amount), index))
    if problems:
        raise BudgetFileError(source, problems)
    return rows


def _number(text: str, line: int, column: str, problems: list[TemoinError]) -> Decimal | None:
    try:
        return to_decimal(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text, path=column)
    except TemoinError:
        problems.append(InvalidInputError("budget.not_a_number", Msg("'{text}' is not a number.", text=text), path=column, line=line, hint=Msg("Write for example 389610000.00.")))
        return None


# --- CIS money by year ----------------------------------------------------------------------------


def contract_commitments(contract: Contract) -> dict[int, Decimal]:
    """The payer's planned CIS money by year: its costs (structuring, evaluation, intermediation…) in
    the year they fall, plus the maximum outcome payments spread equally over the payment periods
    (by payment date). The maximum is the contract's cap on total outcome payments, or else the
    payer's maximum commitment."""
    payers = {p.id for p in contract.parties_with(Role.OUTCOME_PAYER)}
    out: dict[int, Decimal] = defaultdict(Decimal)
    for cost in contract.costs:
        if cost.paid_by in payers:
            out[cost.date.year] += cost.amount
    ceiling = contract.caps.total_outcome_payments
    if ceiling is None:
        commitments = [p.max_commitment for p in contract.parties_with(Role.OUTCOME_PAYER) if p.max_commitment]
        ceiling = sum(commitments, Decimal(0)) if commitments else None
    if ceiling:
        periods = contract.payments.periods
        for period in periods:
            out[period.payment_date.year] += ceiling / len(periods)
    return {y: round_cents(v) for y, v in sorted(out.items())}


# --- the watch ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearRow:
    year: int
    function_total: Decimal
    mandatory_total: Decimal
    mandatory_total_real: Decimal
    cis_commitments: Decimal
    cis_payments: Decimal | None
    cis_share: Decimal | None
    """CIS money (payments if recorded, else commitments) over the function's budget that year."""


@dataclass(frozen=True)
class Flag:
    year: int
    code: str
    label_fr: str
    label_en: str
    real_change: Decimal
    cis_before: Decimal
    cis_after: Decimal
    basis: BudgetBasis

    def message(self, lang: str = "fr") -> Msg:
        """The alert as a message (the line's own label in ``lang``, a datum of the budget file)."""
        what = Msg("(CIS amounts) paid") if self.basis is BudgetBasis.PAYMENTS else Msg("(CIS amounts) committed")
        label: Msg | str = Msg("All mandatory spending") if self.code == "*" else (
            self.label_fr if lang == "fr" else self.label_en)
        return Msg("{year}: '{line}' (mandatory) falls {change} in real terms while the CIS amounts {what} rise "
                   "({before} → {after}).", year=str(self.year), line=label, change=Share(float(abs(self.real_change))),
                   what=what, before=Amount(self.cis_before.quantize(Decimal(1))),
                   after=Amount(self.cis_after.quantize(Decimal(1))))


@dataclass
class BudgetWatch:
    contract_id: str
    payer: str
    functions: list[str]
    base_year: int
    basis: BudgetBasis
    years: list[YearRow] = field(default_factory=list)
    lines: dict[str, dict[int, tuple[Decimal, Decimal]]] = field(default_factory=dict)
    """code -> year -> (nominal, real)."""
    labels: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    notes: list[Msg] = field(default_factory=list)

    def to_dict(self, lang: str = "fr") -> dict[str, object]:
        def s(d: Decimal | None) -> str | None:
            return None if d is None else format(d, "f")

        return {
            "contract": self.contract_id,
            "payer": self.payer,
            "functions": self.functions,
            "base_year": self.base_year,
            "cis_basis": self.basis,
            "years": [{"year": y.year, "function_total": s(y.function_total), "mandatory_total": s(y.mandatory_total),
                       "mandatory_total_real": s(y.mandatory_total_real), "cis_commitments": s(y.cis_commitments),
                       "cis_payments": s(y.cis_payments), "cis_share": s(y.cis_share)} for y in self.years],
            "lines": [{"code": code, "label": self.labels[code][0 if lang == "fr" else 1],
                       "mandatory": self.labels[code][2],
                       "by_year": {str(y): {"nominal": s(n), "real": s(r)} for y, (n, r) in sorted(by.items())}}
                      for code, by in self.lines.items()],
            "flags": [{"year": f.year, "code": f.code, "real_change": s(f.real_change.quantize(Decimal("0.0001"))),
                       "cis_before": s(f.cis_before), "cis_after": s(f.cis_after), "basis": f.basis,
                       "message": f.message(lang).to_dict()} for f in self.flags],
            "notes": [n.to_dict() for n in self.notes],
        }


DEFAULT_TOLERANCE = Decimal("0.001")
"""A real-terms fall smaller than this share (0.1 %) is rounding, not a fall."""


def budget_watch(contract: Contract, rows: list[BudgetRow], payments: dict[int, Decimal] | None = None,
                 *, tolerance: Decimal = DEFAULT_TOLERANCE) -> BudgetWatch:
    """Compare the payer's budget lines with the CIS money, year by year.

    ``rows`` are the payer's budget lines (any functions); the functions watched are those of the
    contract's protected budget lines found in them (all of the payer's functions if none is found).
    ``payments`` are the CIS outcome payments actually made by year, when any are recorded.
    """
    payer_ids = [p.id for p in contract.parties_with(Role.OUTCOME_PAYER)]
    mine = [r for r in rows if r.payer in payer_ids]
    if not mine:
        raise NotFoundError(
            "budget.no_budget",
            Msg("No budget imported for the payer of contract {id} ({payers}).", id=contract.id, payers=", ".join(payer_ids)),
            hint=Msg("The payer imports its budget lines (CSV or XLSX file) on the contract's budget page."),
        )
    payer = mine[0].payer
    notes: list[Msg] = []
    protected = {b.code: b for b in contract.governance.protected_budget_lines}
    found = {r.code for r in mine}
    for code in sorted(set(protected) - found):
        notes.append(Msg("Protected line missing from the imported budget: {code}.", code=code))
    for r in mine:
        if r.code in protected and protected[r.code].mandatory != r.mandatory:
            notes.append(Msg("Line {code} is mandatory in the budget but not in the contract; the budget prevails.", code=r.code)
                         if r.mandatory else
                         Msg("Line {code} is optional in the budget but not in the contract; the budget prevails.", code=r.code))
            protected.pop(r.code)
    functions = sorted({r.function for r in mine if r.code in protected}) or sorted({r.function for r in mine})
    watched = [r for r in mine if r.function in functions]
    years = sorted({r.year for r in watched})
    index = {r.year: r.price_index for r in watched}
    base_year = years[-1]

    def real(amount: Decimal, year: int) -> Decimal:
        return round_cents(amount * index[base_year] / index[year])

    commitments = contract_commitments(contract)
    paid = {y: v for y, v in (payments or {}).items() if v}
    basis = BudgetBasis.PAYMENTS if paid else BudgetBasis.COMMITMENTS
    cis = paid if paid else commitments
    out = BudgetWatch(contract.id, payer, functions, base_year, basis, notes=notes)
    for r in watched:
        out.lines.setdefault(r.code, {})[r.year] = (r.amount, real(r.amount, r.year))
        out.labels[r.code] = (r.label_fr, r.label_en, r.mandatory)
    for y in years:
        in_year = [r for r in watched if r.year == y]
        total = sum((r.amount for r in in_year), Decimal(0))
        mand = sum((r.amount for r in in_year if r.mandatory), Decimal(0))
        money = cis.get(y, Decimal(0))
        share = (money / total).quantize(Decimal("0.000001")) if total else None
        out.years.append(YearRow(y, total, mand, real(mand, y), commitments.get(y, Decimal(0)),
                                 paid.get(y) if paid else None, share))
    outside = sorted(y for y in cis if y not in index)
    if outside:
        notes.append(Msg("CIS amounts outside the imported budget's years: {years}.", years=", ".join(map(str, outside))))
    series: dict[str, tuple[str, str]] = {code: (lab[0], lab[1]) for code, lab in out.labels.items() if lab[2]}
    real_by: dict[str, dict[int, Decimal]] = {code: {y: v[1] for y, v in out.lines[code].items()} for code in series}
    series["*"] = ("", "")  # the whole of the mandatory lines: named by a message (see Flag.message)
    real_by["*"] = {y.year: y.mandatory_total_real for y in out.years}
    for before, after in itertools.pairwise(years):
        if after != before + 1:
            continue
        c0, c1 = cis.get(before, Decimal(0)), cis.get(after, Decimal(0))
        if c1 <= c0:
            continue
        for code, (fr, en) in series.items():
            r0, r1 = real_by[code].get(before), real_by[code].get(after)
            if r0 and r1 is not None and (r1 - r0) / r0 < -tolerance:
                out.flags.append(Flag(after, code, fr, en, (r1 - r0) / r0, c0, c1, basis))
    return out
