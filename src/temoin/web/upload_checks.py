"""Checks on an uploaded file before the evaluation service parses it: size, type, formulas.

The service (``temoin.services.evaluations``) does the row-by-row checks and the all-or-nothing
save; this module only refuses what must never reach it: files too large, files that are neither
CSV nor XLSX, and spreadsheet formulas (a formula in a cell is refused, never evaluated).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

from temoin.errors import InvalidInputError
from temoin.evaluation.cohort_file import CohortFileError, RowError
from temoin.messages import Msg
from temoin.web.errors import TooLarge

FORMULA_START = ("=", "@", "+")
MAX_FORMULAS_LISTED = 50
CHUNK_ROWS = 20_000


def save_upload(stream: BinaryIO, filename: str, limit_mb: int) -> Path:
    """Copy the upload to a temporary file (chunk by chunk, stopping past the limit)."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx"):
        raise _not_table(filename)
    limit = limit_mb * 1024 * 1024
    tmp = tempfile.NamedTemporaryFile(prefix="temoin-upload-", suffix=suffix, delete=False)  # noqa: SIM115
    written = 0
    try:
        with tmp:
            while chunk := stream.read(1024 * 1024):
                written += len(chunk)
                if written > limit:
                    raise TooLarge(limit_mb)
                tmp.write(chunk)
        path = Path(tmp.name)
        _check_content(path, filename)
        return path
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise


def _not_table(filename: str) -> InvalidInputError:
    return InvalidInputError("upload.type", f"« {filename} » n'est ni un fichier CSV ni un classeur XLSX.",
                             f"'{filename}' is neither a CSV file nor an XLSX workbook.", path="file",
                             hint_fr="Téléchargez le modèle, remplissez-le et enregistrez-le en CSV ou en XLSX.",
                             hint_en="Download the template, fill it in and save it as CSV or XLSX.")


def _check_content(path: Path, filename: str) -> None:
    if path.suffix == ".xlsx":
        if not zipfile.is_zipfile(path):
            raise _not_table(filename)
        _xlsx_formulas(path)
        return
    with path.open("rb") as f:
        head = f.read(65536)
    if b"\x00" in head or head.startswith(b"PK\x03\x04") or head.startswith(b"%PDF"):
        raise _not_table(filename)
    _csv_formulas(path)


def _csv_formulas(path: Path) -> None:
    """Formulas in a CSV, read a chunk of rows at a time; listed column by column, as many as before."""
    from temoin.services._tables import iter_table

    hits: dict[str, list[tuple[int, str]]] = {}
    for start, frame in iter_table(path, CHUNK_ROWS):
        for col in frame.columns:
            found = hits.setdefault(str(col), [])
            if len(found) >= MAX_FORMULAS_LISTED:
                continue
            values = frame[col]
            mask = (values.str.startswith(FORMULA_START) & ~values.str.match(r"^\+?\d+([.,]\d+)?$")).to_numpy(dtype=bool)
            found += [(start + int(i) + 2, str(values.iat[i])) for i in mask.nonzero()[0][:MAX_FORMULAS_LISTED]]
    errors: list[RowError] = []
    for col, found in hits.items():
        for row, value in found:
            errors.append(_formula_error(row, col, value))
            if len(errors) >= MAX_FORMULAS_LISTED:
                break
    if errors:
        raise CohortFileError(errors, what=Msg("Formulas refused"))


def _xlsx_formulas(path: Path) -> None:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # a damaged workbook is not a table
        raise _not_table(path.name) from None
    errors: list[RowError] = []
    try:
        ws = wb.worksheets[0]
        header: list[str] = []
        for r, row in enumerate(ws.iter_rows(), start=1):
            if r == 1:
                header = [str(c.value or "").strip().lower() for c in row]
            for i, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                    col = header[i] if i < len(header) else str(i + 1)
                    errors.append(_formula_error(r, col, str(cell.value)))
            if len(errors) >= MAX_FORMULAS_LISTED:
                break
    finally:
        wb.close()
    if errors:
        raise CohortFileError(errors, what=Msg("Formulas refused"))


def _formula_error(row: int, column: str, value: str) -> RowError:
    return RowError(row, column, value[:80], Msg("formula refused: enter the value itself"))


def discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
