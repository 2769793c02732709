"""Checks on an uploaded file before the evaluation service parses it: size, type, shape, formulas.

The service (``temoin.services.evaluations``) does the row-by-row checks and the all-or-nothing
save; this module only refuses what must never reach it, cheaply and before any parsing that
grows with the file: files too large, files that are neither CSV nor XLSX, workbooks that unpack
to more than the limit or compress suspiciously well (a decompression bomb), more rows or columns
than the limits (counted on the raw bytes, never by building a table), and spreadsheet formulas (a
formula in a cell is refused, never evaluated). It runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from temoin.errors import InvalidInputError
from temoin.evaluation.cohort_file import CohortFileError, RowError
from temoin.messages import Msg
from temoin.settings import Settings
from temoin.web.errors import TooLarge, UploadTooBig

# A cell whose text starts with one of these becomes a formula in a spreadsheet (CSV injection):
# refused unless it is a plain number ("-3", "+33 6…" is not one) or a lone dash.
FORMULA_START = ("=", "@", "+", "-", "\t", "\r")
PLAIN = re.compile(r"^[+-]?\d+([.,]\d+)?$|^-$")
MAX_FORMULAS_LISTED = 50
CHUNK_ROWS = 20_000
BLOCK = 1 << 20
MAX_HEADER_BYTES = 1 << 20
"""The header line of a CSV must end within the first MiB."""
MAX_XLSX_RATIO = 100
"""A workbook part that unpacks to more than 100 times its packed size (and over a MiB) is a
decompression bomb: spreadsheets written by Excel, LibreOffice or openpyxl unpack 5 to 20 times."""
MAX_XLSX_PARTS = 1_000
_XLSX_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?(row|c)[\s/>]")


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may hold, from the settings."""

    max_mb: int
    max_unpacked_mb: int
    max_rows: int
    max_columns: int

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        return cls(settings.max_upload_mb, settings.max_upload_unpacked_mb, settings.max_upload_rows,
                   settings.max_upload_columns)


def save_upload(stream: BinaryIO, filename: str, limits: UploadLimits) -> Path:
    """Copy the upload to a temporary file (chunk by chunk, stopping past the limit), then check it."""
    return save_counted(stream, filename, limits)[0]


def save_counted(stream: BinaryIO, filename: str, limits: UploadLimits) -> tuple[Path, int]:
    """:func:`save_upload`, and the file's data rows as counted by the checks (on the bytes: a line
    break inside a quoted cell counts as a row)."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx"):
        raise _not_table(filename)
    limit = limits.max_mb * 1024 * 1024
    tmp = tempfile.NamedTemporaryFile(prefix="temoin-upload-", suffix=suffix, delete=False)  # noqa: SIM115
    written = 0
    try:
        with tmp:
            while chunk := stream.read(BLOCK):
                written += len(chunk)
                if written > limit:
                    raise TooLarge(limits.max_mb)
                tmp.write(chunk)
        path = Path(tmp.name)
        return path, check_content(path, filename, limits)
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise


def _not_table(filename: str) -> InvalidInputError:
    return InvalidInputError("upload.type", Msg("'{filename}' is neither a CSV file nor an XLSX workbook.", filename=filename), path="file",
                             hint=Msg('Download the template, fill it in and save it as CSV or XLSX.'))


def check_content(path: Path, filename: str, limits: UploadLimits) -> int:
    """Type, shape (rows, columns, unpacked size) and formulas of a saved upload; its data rows."""
    if path.suffix == ".xlsx":
        if not zipfile.is_zipfile(path):
            raise _not_table(filename)
        rows = _xlsx_shape(path, filename, limits)
        _xlsx_formulas(path)
        return rows
    with path.open("rb") as f:
        head = f.read(65536)
    if b"\x00" in head or head.startswith(b"PK\x03\x04") or head.startswith(b"%PDF"):
        raise _not_table(filename)
    rows = _csv_shape(path, limits)
    _csv_formulas(path)
    return rows


# --- shape ----------------------------------------------------------------------------------------


def _rows_refused(rows: int, limit: int) -> UploadTooBig:
    return UploadTooBig("upload.too_many_rows", Msg("Too many rows: more than {limit} data rows.", limit=limit), path="file",
                        hint=Msg("Split the file into several uploads (a wave may come in several files)."))


def _columns_refused(columns: int, limit: int) -> UploadTooBig:
    return UploadTooBig("upload.too_many_columns", Msg("Too many columns: {columns} (at most {limit}).", columns=columns, limit=limit),
                        path="file", hint=Msg("Keep only the template's columns."))


def _csv_shape(path: Path, limits: UploadLimits) -> int:
    """Columns of the header and lines of the file, counted on the bytes (a line break inside a
    quoted cell counts as a line: the count can only be too high, never too low)."""
    lines = 0
    header = b""
    ended = True
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            ended = block.endswith(b"\n")
            if not header:
                header = block
            elif b"\n" not in header and len(header) <= MAX_HEADER_BYTES:
                header += block
            lines += block.count(b"\n")
            if lines > limits.max_rows + 1:
                raise _rows_refused(lines - 1, limits.max_rows)
    first = header.split(b"\n", 1)[0]
    if len(first) > MAX_HEADER_BYTES:
        raise _columns_refused(first.count(b",") + first.count(b";") + first.count(b"\t") + 1, limits.max_columns)
    text = first.decode("latin-1")
    try:
        sep = csv.Sniffer().sniff(text, delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    columns = max((len(row) for row in csv.reader([text], delimiter=sep)), default=0)
    if columns > limits.max_columns:
        raise _columns_refused(columns, limits.max_columns)
    return max(0, lines - 1 + (not ended))  # the header's line, and a last line without its line break


def _xlsx_shape(path: Path, filename: str, limits: UploadLimits) -> int:
    """Unpacked size and packing ratio of every part (from the zip directory, before unpacking
    anything), then rows and cells per row of each worksheet, counted on its XML as it unpacks."""
    budget = limits.max_unpacked_mb * 1024 * 1024
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
            if len(parts) > MAX_XLSX_PARTS:
                raise _not_table(filename)
            unpacked = sum(p.file_size for p in parts)
            if unpacked > budget:
                raise _unpacked_refused(limits.max_unpacked_mb)
            for p in parts:
                if p.file_size > BLOCK and p.file_size > MAX_XLSX_RATIO * max(p.compress_size, 1):
                    raise UploadTooBig(
                        "upload.xlsx_bomb", Msg("Workbook refused: part {part} unpacks {ratio} times over.", part=p.filename,
                                                ratio=p.file_size // max(p.compress_size, 1)),
                        path="file", hint=Msg("Save the workbook from a spreadsheet program, or send a CSV."))
            rows = 0
            for p in parts:
                if p.filename.startswith("xl/worksheets/") and p.filename.endswith(".xml"):
                    rows = max(rows, _sheet_shape(z, p, limits))
            return rows
    except zipfile.BadZipFile:
        raise _not_table(filename) from None


def _unpacked_refused(limit_mb: int) -> UploadTooBig:
    return UploadTooBig("upload.xlsx_unpacked", Msg("Workbook too large once unpacked (at most {limit} MiB).", limit=limit_mb),
                        path="file", hint=Msg("Split the file or send a CSV."))


def _sheet_shape(z: zipfile.ZipFile, part: zipfile.ZipInfo, limits: UploadLimits) -> int:
    """The sheet's data rows (rows after the header), each row's cells and the rows checked against the limits."""
    rows = cells = 0

    def count(tag: bytes) -> None:
        nonlocal rows, cells
        if tag == b"row":
            rows += 1
            cells = 0
            if rows > limits.max_rows + 1:
                raise _rows_refused(rows - 1, limits.max_rows)
        else:
            cells += 1
            if cells > limits.max_columns:
                raise _columns_refused(cells, limits.max_columns)

    tail = b""
    with z.open(part) as f:  # unpacks at most the size in the directory (checked above), or fails its CRC
        while block := f.read(BLOCK):
            data = tail + block
            cut = max(0, len(data) - 64)  # a tag that may go on in the next block is read with it
            for m in _XLSX_TAG.finditer(data):
                if m.start() >= cut:
                    break
                count(m.group(1))
            tail = data[cut:]
    for m in _XLSX_TAG.finditer(tail):
        count(m.group(1))
    return max(0, rows - 1)


# --- formulas -------------------------------------------------------------------------------------


def _is_formula(value: str) -> bool:
    return value.startswith(FORMULA_START) and not PLAIN.match(value)


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
            mask = (values.str.startswith(FORMULA_START) & ~values.str.match(PLAIN.pattern)).to_numpy(dtype=bool)
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
                if getattr(cell, "data_type", None) == "f" or (isinstance(cell.value, str) and _is_formula(cell.value)):
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
