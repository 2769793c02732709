"""Reading cohort files (participants, wave outcomes): CSV or XLSX, checked row by row.

CSV files may be UTF-8 (with or without BOM), Windows-1252/Latin-1, comma-, semicolon- or
tab-separated (Excel in French writes semicolons). Decimal commas are accepted ("12,5"). Nothing
is half-read: every problem is collected (row, column, value, message) and raised together as a
:class:`CohortFileError`; the caller writes nothing.

Participant files carry ``participant_id`` (the operator's own case identifier, turned into a
keyed pseudonym and never stored), ``consent`` and ``enrolled`` (yes/no), optional
``referral_date``, ``referral_source``, ``enrolment_date`` and ``synthetic``, and one column per
attribute of the contract's population. Any other column is refused: Témoin stores no name and
no direct identifier.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from temoin.contract.model import Attribute, Contract
from temoin.errors import InvalidInputError
from temoin.messages import Categories, Msg

__all__ = ["CohortFileError", "Normalised", "ParticipantRecord", "RowError", "allowed", "category_matches", "check_outcomes",
           "check_participants", "normalise", "parse_outcomes", "parse_participants", "read_table", "rename_headers"]

_TRUE = {"1", "true", "vrai", "oui", "yes", "o", "y", "x"}
_FALSE = {"0", "false", "faux", "non", "no", "n", ""}
OPTIONAL = ("referral_date", "referral_source", "enrolment_date", "synthetic", "consent_date", "consent_research",
            "consent_guardian")
MAX_ROWS_SHOWN = 50


@dataclass(frozen=True)
class RowError:
    row: int
    """Line number in the file (the header is line 1)."""
    column: str
    value: str
    message: Msg

    def to_dict(self) -> dict[str, object]:
        """The problem as data (its message as a message's dict)."""
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message.to_dict()}

    def as_error(self) -> InvalidInputError:
        """The problem as an error of its own (the column as its path, the row as its line, the value
        in its message), as :meth:`temoin.i18n.Translator.error` lists the problems of an error."""
        message = Msg("{value}: {problem}", value=repr(self.value), problem=self.message) if self.value else self.message
        return InvalidInputError("cohort.row", message, path=self.column, line=self.row)


class CohortFileError(InvalidInputError):
    """A cohort file refused as a whole, with every row-level problem found (``problems``: the
    first ``MAX_ROWS_SHOWN`` of them, each as an error, for the renderers)."""

    def __init__(self, errors: list[RowError], *, what: Msg | None = None) -> None:
        n = len(errors)
        first = errors[0]
        super().__init__(
            "cohort.file_refused",
            Msg("{what}: {n} problem(s); nothing was saved.", what=what or Msg("File refused"), n=n),
            path=first.column,
            line=first.row,
            hint=Msg("Fix the rows listed, then import the whole file again."),
        )
        self.errors = errors
        self.count = n
        """How many problems were found (``errors`` may hold only the first ones, as kept with a job)."""

    @property
    def problems(self) -> list[InvalidInputError]:
        shown = [e.as_error() for e in self.errors[:MAX_ROWS_SHOWN]]
        if len(self.errors) > MAX_ROWS_SHOWN:
            shown.append(InvalidInputError("cohort.more_rows", Msg("… and {n} more problem(s).",
                                                                   n=len(self.errors) - MAX_ROWS_SHOWN)))
        return shown


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # pragma: no cover (latin-1 decodes every byte)


def normalise(text: str) -> str:
    """A header or a value as compared: without case, accents, or the difference between spaces,
    hyphens and underscores (``"Date d'inscription"`` and ``date_d'inscription`` match; ``Lille`` is
    ``lille``)."""
    spelled = str(text).replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE").replace("’", "'")
    plain = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.casefold().replace("_", " ").replace("-", " ").split())


def rename_headers(frame: pd.DataFrame, aliases: Mapping[str, str]) -> pd.DataFrame:
    """The frame with each column known by one of its labels (``aliases``: normalised label or
    stored name -> stored name) renamed to its stored name; other columns keep their own name."""
    renamed = {c: aliases.get(normalise(c), c) for c in frame.columns}
    return frame.rename(columns=renamed) if any(k != v for k, v in renamed.items()) else frame


@dataclass(frozen=True)
class Normalised:
    """A value of a file read as one of the allowed values (``Lille`` as ``lille``, ``Oui`` as 1)."""

    column: str
    written: str
    read_as: str
    rows: int

    def to_dict(self) -> dict[str, object]:
        return {"column": self.column, "written": self.written, "read_as": self.read_as, "rows": self.rows}


class _Seen:
    """Counts the values read as another (normalisation), per column and written value."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], int] = {}

    def add(self, column: str, written: str, read_as: object) -> None:
        shown = str(read_as)
        if written != shown:
            key = (column, written, shown)
            self.counts[key] = self.counts.get(key, 0) + 1

    def report(self) -> list[Normalised]:
        return [Normalised(c, w, r, n) for (c, w, r), n in sorted(self.counts.items())]


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or XLSX file as strings, with normalised (stripped, lower-case) column names."""
    p = Path(path)
    if not p.exists():
        raise InvalidInputError("cohort.file_not_found", Msg("File not found: {path}.", path=str(p)), path=str(p))
    try:
        if p.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(p, dtype=str, engine="openpyxl").fillna("")
        else:
            text = _decode(p.read_bytes())
            first = text.splitlines()[0] if text.strip() else ""
            try:
                sep = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
            except csv.Error:
                sep = ","
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InvalidInputError("cohort.unreadable", Msg("Unreadable file ({reason}).", reason=str(exc)), path=str(p),
                                hint=Msg("Provide a CSV (UTF-8 or Latin-1) or an XLSX workbook.")) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame.map(lambda v: str(v).strip())


def _bool(v: str) -> bool | None:
    s = normalise(v)
    if s in _TRUE:
        return True
    if s in _FALSE and s != "":
        return False
    return None


def _date(v: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    return None


def _number(v: str) -> float | None:
    """A number as people write it (« 1 234,5 »); None for anything else, « nan » and « inf » included
    (Python reads them as floats; no count, score or duration is one)."""
    try:
        x = float(v.replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _in_range(x: float, low: float | None, high: float | None) -> Msg | None:
    if low is not None and x < low:
        return Msg("value below the minimum ({bound})", bound=_shown(low))
    if high is not None and x > high:
        return Msg("value above the maximum ({bound})", bound=_shown(high))
    return None


def _shown(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def category_matches(attr: Attribute, labels: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """What a file may write for each category of ``attr`` -> the category: its code or one of its
    ``labels`` (the words people read, in any language: ``"très élevé"``, ``"Very high"``), compared
    by :func:`normalise`. A label two categories share is left out (it would say neither)."""
    out = {normalise(c): c for c in attr.categories}
    owners: dict[str, set[str]] = {}
    for c in attr.categories:
        for text in (labels or {}).get(c, ()):
            owners.setdefault(normalise(text), set()).add(c)
    for key, cats in owners.items():
        if len(cats) == 1 and key not in out:
            out[key] = next(iter(cats))
    return out


def allowed(attr: Attribute) -> Categories:
    """The categories of ``attr`` as a message value: its codes and the contract's labels for them,
    which the reader sees in their language."""
    return Categories(attr.name, attr.categories,
                      {code: {"fr": text.fr, "en": text.en} for code, text in attr.category_labels.items()})


def _attribute(attr: Attribute, v: str, seen: _Seen | None = None,
               matches: Mapping[str, str] | None = None) -> tuple[Any, Msg | None]:
    """Parsed value, or what is wrong with it. Categories (by their code or a label, see
    :func:`category_matches`) and yes/no are matched without regard to case and accents; numbers
    must lie within the attribute's range."""
    if v == "":
        return None, Msg("missing value")
    if attr.type == "numeric":
        x = _number(v)
        if x is None:
            return None, Msg("a number was expected")
        problem = _in_range(x, attr.minimum, attr.maximum)
        if problem is not None:
            return None, problem
        return (int(x) if x.is_integer() else x), None
    if attr.type == "boolean":
        b = _bool(v)
        if b is None:
            return None, Msg("yes/no expected")
        return b, None
    if attr.categories:
        if v in attr.categories:
            return v, None
        match = (matches if matches is not None else category_matches(attr)).get(normalise(v))
        if match is None:
            return None, Msg("value not in the list ({values})", values=allowed(attr))
        if seen is not None:
            seen.add(attr.name, v, match)
        return match, None
    return v, None


@dataclass(frozen=True)
class ParticipantRecord:
    row: int
    identifier: str
    attributes: dict[str, Any]
    eligible: bool
    consent: bool
    enrolled: bool
    referral_date: dt.date | None = None
    enrolment_date: dt.date | None = None
    referral_source: str | None = None
    synthetic: bool = False
    notes: tuple[Msg, ...] = field(default_factory=tuple)
    consent_date: dt.date | None = None
    consent_research: bool | None = None
    """Consent to the reuse of the data for research (None: the file does not say)."""
    consent_guardian: bool | None = None
    """For a minor: the holder of parental authority consented (None: the file does not say)."""


def _missing_columns(frame: pd.DataFrame, required: list[str]) -> list[RowError]:
    return [RowError(1, c, "", Msg("required column missing")) for c in required if c not in frame.columns]


def _header_errors(frame: pd.DataFrame, required: list[str], known: set[str], unexpected: Msg) -> list[RowError]:
    errors = _missing_columns(frame, required)
    errors += [RowError(1, str(c), "", unexpected) for c in frame.columns if c not in known]
    return errors


def check_participants(frame: pd.DataFrame, contract: Contract,
                       labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
                       ) -> tuple[list[ParticipantRecord], list[RowError], list[Normalised]]:
    """Every problem of a participant file in one pass: the header's (a missing or unexpected
    column) and every row's (the columns present are checked); the rows without a problem, and
    the values read as an allowed one (``Lille`` as ``lille``; ``très élevé`` as ``very_high``
    when ``labels`` — per attribute, per category, the words people read — say so)."""
    attrs = {a.name: a for a in contract.population.attributes}
    matches = {name: category_matches(a, (labels or {}).get(name)) for name, a in attrs.items()}
    required = ["participant_id", "consent", "enrolled", *attrs]
    errors = _header_errors(frame, required, {*required, *OPTIONAL},
                            Msg("unexpected column (Témoin stores no name and no direct identifier)"))
    seen = _Seen()
    if frame.empty:
        errors.append(RowError(2, "participant_id", "", Msg("file without rows")))
        return [], errors, []
    present = set(frame.columns)
    out: list[ParticipantRecord] = []
    ids: dict[str, int] = {}
    for i, raw in enumerate(frame.to_dict("records")):
        line = i + 2
        rec: dict[str, str] = {str(k): str(v) for k, v in raw.items()}
        row_errors: list[RowError] = []

        def bad(col: str, message: Msg, rec: dict[str, str] = rec, line: int = line, errs: list[RowError] = row_errors) -> None:
            errs.append(RowError(line, col, rec.get(col, ""), message))

        ident = rec.get("participant_id", "")
        if "participant_id" in present:
            if not ident:
                bad("participant_id", Msg("missing identifier"))
            elif ident in ids:
                bad("participant_id", Msg("duplicate identifier (already row {row})", row=ids[ident]))
            else:
                ids[ident] = line
        values: dict[str, Any] = {}
        for name, attr in attrs.items():
            if name not in present:
                values[name] = None
                continue
            val, problem = _attribute(attr, rec[name], seen, matches[name])
            if problem is not None:
                bad(name, problem)
            values[name] = val
        flags: dict[str, bool | None] = {}
        for col in ("consent", "enrolled"):
            flags[col] = _bool(rec[col]) if col in present else None
            if col in present and flags[col] is None:
                bad(col, Msg("yes/no expected"))
        consent, enrolled = flags["consent"], flags["enrolled"]
        scope: dict[str, bool | None] = {}
        for col in ("consent_research", "consent_guardian"):  # optional: empty means not recorded
            v = rec.get(col, "")
            scope[col] = _bool(v) if v else None
            if v and scope[col] is None:
                bad(col, Msg("yes/no expected"))
            elif scope[col] and consent is False:
                bad(col, Msg("a consent's scope given although the consent is not"))
        dates: dict[str, dt.date | None] = {}
        for col in ("referral_date", "enrolment_date", "consent_date"):
            v = rec.get(col, "")
            dates[col] = _date(v) if v else None
            if v and dates[col] is None:
                bad(col, Msg("date expected (YYYY-MM-DD or DD/MM/YYYY)"))
        eligible = not any(values[r.attribute] is None for r in contract.population.eligibility) and \
            contract.population.is_eligible(values)
        if enrolled and consent is False:
            bad("enrolled", Msg("enrolled without consent"))
        if enrolled and not eligible and not row_errors:
            bad("enrolled", Msg("enrolled although not eligible under the contract's rules"))
        if (d0 := dates.get("referral_date")) and (d1 := dates.get("enrolment_date")) and d1 < d0:
            bad("enrolment_date", Msg("enrolment before referral"))
        errors += row_errors
        if not row_errors:
            synthetic = _bool(rec.get("synthetic", "")) is True
            out.append(ParticipantRecord(line, ident, values, eligible, bool(consent), bool(enrolled),
                                         dates["referral_date"], dates["enrolment_date"],
                                         rec.get("referral_source") or None, synthetic,
                                         consent_date=dates["consent_date"], consent_research=scope["consent_research"],
                                         consent_guardian=scope["consent_guardian"]))
    return out, errors, seen.report()


def parse_participants(frame: pd.DataFrame, contract: Contract) -> list[ParticipantRecord]:
    """Check every row of a participant file against the contract; all rows or an error listing
    every problem (see :func:`check_participants`)."""
    records, errors, _ = check_participants(frame, contract)
    if errors:
        raise CohortFileError(errors)
    return records


def _outcome(v: str, low: float | None, high: float | None) -> float | None:
    """A wave value: a number, or yes/no for an indicator measured 0/1 (``Oui`` is 1)."""
    x = _number(v)
    if x is None and low == 0 and high == 1:
        b = _bool(v)
        return None if b is None else float(b)
    return x


def check_outcomes(frame: pd.DataFrame, contract: Contract, wave: str, *, header: bool = True
                   ) -> tuple[list[tuple[int, str, dict[str, float | None]]], dict[str, int], list[RowError], list[Normalised]]:
    """Every problem of (a chunk of) a wave file in one pass: the header's (unless ``header`` is
    False: a later chunk of the same file) and every row's, values outside an indicator's range
    included; the rows (line, identifier, {indicator: value or None}), the blanks per indicator,
    and the values read as an allowed one (``Oui`` as 1 for a 0/1 indicator)."""
    waves = [w.id for w in contract.evaluation.follow_up_waves]
    if wave not in waves:
        raise InvalidInputError("cohort.unknown_wave", Msg("Unknown wave: '{wave}'.", wave=wave), path="wave",
                                hint=Msg("Contract waves: {waves}.", waves=", ".join(waves)) if waves
                                else Msg("The contract plans no follow-up wave."))
    bounds = {i.id: (i.minimum, i.maximum) for i in contract.indicators}
    indicators = list(bounds)
    present = [c for c in frame.columns if c in indicators]
    errors: list[RowError] = []
    if header:
        errors += _header_errors(frame, ["participant_id"], {"participant_id", *indicators},
                                 Msg("unknown column (indicators: {indicators})", indicators=", ".join(indicators)))
        if not present:
            errors.append(RowError(1, "?", "", Msg("no indicator column")))
    seen = _Seen()
    out: list[tuple[int, str, dict[str, float | None]]] = []
    blanks = dict.fromkeys(present, 0)
    ids: set[str] = set()
    if "participant_id" not in frame.columns:
        return out, blanks, errors, []
    for i, raw in enumerate(frame.to_dict("records")):
        line = i + 2
        rec = {str(k): str(v) for k, v in raw.items()}
        ident = rec["participant_id"]
        if not ident:
            errors.append(RowError(line, "participant_id", "", Msg("missing identifier")))
            continue
        if ident in ids:
            errors.append(RowError(line, "participant_id", ident, Msg("duplicate identifier")))
        ids.add(ident)
        vals: dict[str, float | None] = {}
        fine = True
        for ind in present:
            v = rec[ind]
            if v == "":
                vals[ind] = None
                blanks[ind] += 1
                continue
            low, high = bounds[ind]
            x = _outcome(v, low, high)
            if x is None:
                errors.append(RowError(line, ind, v, Msg("a number was expected")))
                fine = False
            elif (problem := _in_range(x, low, high)) is not None:
                errors.append(RowError(line, ind, v, problem))
                fine = False
            elif _number(v) is None:
                seen.add(ind, v, _shown(x))
            vals[ind] = x
        if fine:
            out.append((line, ident, vals))
    return out, blanks, errors, seen.report()


def parse_outcomes(frame: pd.DataFrame, contract: Contract, wave: str) -> tuple[list[tuple[int, str, dict[str, float | None]]], dict[str, int]]:
    """Rows of a wave file: (line, identifier, {indicator: value or None}) and blanks per indicator;
    an error listing every problem (see :func:`check_outcomes`)."""
    out, blanks, errors, _ = check_outcomes(frame, contract, wave)
    if errors:
        raise CohortFileError(errors)
    return out, blanks
