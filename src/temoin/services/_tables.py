"""A participant or wave file read a chunk of rows at a time, with the same values as ``read_table``.

``temoin.evaluation.cohort_file.read_table`` reads a whole file into one frame; large follow-up
waves are instead read in chunks, so that memory does not grow with the file: the encoding is
found by decoding the file as a stream (UTF-8, then Windows-1252, else Latin-1, as ``read_table``
does), the separator is sniffed from the first line, and pandas parses the CSV chunk by chunk.
XLSX workbooks are read whole (as ``read_table`` does) and handed out in chunks.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from temoin.errors import InvalidInputError
from temoin.messages import Msg

__all__ = ["iter_table"]

_BLOCK = 1 << 20


def _encoding(path: Path) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(enc)()
        try:
            with path.open("rb") as f:
                while block := f.read(_BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return enc
    return "latin-1"


def _first_line(path: Path, encoding: str) -> str:
    """The file's first line as ``text.splitlines()[0]`` gives it (empty for a blank file)."""
    text = ""
    with path.open(encoding=encoding, newline="") as f:
        while block := f.read(65536):
            text += block
            lines = text.splitlines(keepends=True)
            if len(lines) > 1 or lines[0].splitlines()[0] != lines[0]:
                break
    return text.splitlines()[0] if text.strip() else ""


def _unreadable(path: Path, exc: Exception) -> InvalidInputError:
    return InvalidInputError("cohort.unreadable", Msg("Unreadable file ({reason}).", reason=str(exc)), path=str(path),
                             hint=Msg("Provide a CSV (UTF-8 or Latin-1) or an XLSX workbook."))


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame.map(lambda v: str(v).strip())


def iter_table(path: str | Path, rows: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """(index of the chunk's first data row, chunk of at most ``rows`` rows as strings); at least one chunk
    (an empty frame with the header's columns for a file without rows). Column names are normalised."""
    p = Path(path)
    if not p.exists():
        raise InvalidInputError("cohort.file_not_found", Msg("File not found: {path}.", path=str(p)), path=str(p))
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        from temoin.evaluation.cohort_file import read_table

        whole = read_table(p)
        for start in range(0, max(len(whole), 1), rows):
            yield start, whole.iloc[start:start + rows]
        return
    try:
        encoding = _encoding(p)
        first = _first_line(p, encoding)
        try:
            sep = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
        except csv.Error:
            sep = ","
        reader = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, encoding=encoding, chunksize=rows)
        start, chunks = 0, 0
        with reader:
            for chunk in reader:  # a file with a header only gives one empty chunk
                if chunks and chunk.empty:
                    continue
                yield start, _clean(chunk)
                start, chunks = start + len(chunk), chunks + 1
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise _unreadable(p, exc) from None
