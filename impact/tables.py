"""Read any spend file into a grid of strings, whatever its format or encoding.

Councils publish CSV in UTF-8, UTF-8 with BOM, Windows-1252 (sometimes with a DOS
code page ``£`` byte), UTF-16 from Excel, with commas, semicolons, tabs or pipes, and
XLSX/XLS/ODS workbooks.  This module only turns bytes into a rectangular table of
strings (column positions, no header yet) and says how it did so; deciding what the
columns mean is :mod:`impact.columns`' job.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".psv"}
SUPPORTED_SUFFIXES = SPREADSHEET_SUFFIXES | TEXT_SUFFIXES

#: Default ceiling on one file; bigger files are refused with a message (configurable).
MAX_FILE_BYTES = 2 * 1024**3


class UnreadableFile(ValueError):
    """A file that cannot be read as a table; the message is one line for the user."""


@dataclass
class RawTable:
    """Cells of one file as strings (columns 0..n-1), and how they were read."""

    cells: pd.DataFrame
    encoding: str
    delimiter: str | None
    kind: str  # "csv" or "spreadsheet"
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


def read_table(path: Path, max_bytes: int = MAX_FILE_BYTES) -> RawTable:
    """Read ``path`` into a :class:`RawTable`; raise :class:`UnreadableFile` with a reason."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"cannot open file: {exc.strerror}") from exc
    if size == 0:
        raise UnreadableFile("empty file (0 bytes)")
    if size > max_bytes:
        raise UnreadableFile(
            f"file is {size / 1e6:,.0f} MB, over the {max_bytes / 1e6:,.0f} MB limit"
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_spreadsheet(path)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        raise UnreadableFile(
            f"named {path.suffix} but is not a spreadsheet (no workbook signature)"
        )
    data = path.read_bytes()
    text, encoding, notes = decode(data)
    return _read_delimited(text, encoding, notes)


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Bytes → text, the encoding used, and notes on any repair made."""
    notes: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", notes
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig", notes
    sample = data[:65536]
    if sample.count(b"\x00") > len(sample) // 10:
        if _looks_utf16le(sample):
            return data.decode("utf-16-le", errors="replace"), "utf-16-le", notes
        raise UnreadableFile("binary file, not a CSV or spreadsheet")
    try:
        return data.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        encoding = "cp1252"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:1_000_000]).best()
        encoding = best.encoding if best is not None else "latin-1"
        text = data.decode(encoding, errors="replace")
        notes.append(f"encoding guessed as {encoding}")
    if "œ" in text and _DOS_POUND.search(text):
        # 0x9C is '£' in DOS code pages 437/850 but 'œ' in Windows-1252.
        text = _DOS_POUND.sub(lambda m: m.group(0).replace("œ", "£"), text)
        encoding += "+dos-pound"
        notes.append("byte 0x9C read as £ (DOS code page), not œ")
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("NUL bytes removed")
    return text, encoding, notes


_DOS_POUND = re.compile(r"\(œ\)|œ(?=\s?\d)|(?i:amount)\s*œ")


def _looks_utf16le(sample: bytes) -> bool:
    odd_zeros = sample[1::2].count(b"\x00")
    return odd_zeros > len(sample) // 4


_DELIMS = (",", ";", "\t", "|")


def sniff_delimiter(text: str) -> str:
    """The delimiter whose per-line count is most consistent and largest in the first lines."""
    lines = [ln for ln in text[:50_000].splitlines()[:60] if ln.strip()]
    if not lines:
        raise UnreadableFile("file has no text lines")
    best, best_score = ",", -1.0
    for d in _DELIMS:
        counts = [_count_outside_quotes(ln, d) for ln in lines]
        nonzero = [c for c in counts if c > 0]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=nonzero.count)
        score = nonzero.count(mode) * (1 + min(mode, 20) / 20)
        if score > best_score:
            best, best_score = d, score
    if best_score < 0:
        return ","  # a one-column file: let the header check explain what is missing
    return best


_QUOTED = re.compile(r'"[^"]*"')


def _count_outside_quotes(line: str, delim: str) -> int:
    return _QUOTED.sub("", line).count(delim)


def _read_delimited(text: str, encoding: str, notes: list[str]) -> RawTable:
    delim = sniff_delimiter(text)
    # An upper bound on fields per record: delimiters counted per physical line,
    # quotes ignored.  Extra all-empty columns are dropped below, and no row is
    # ever rejected by the parser for having "too many fields".
    width = _max_fields(text, delim)
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            header=None,
            names=list(range(width)),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        # Unbalanced quotes etc.: the python engine is slower but more forgiving.
        notes.append(f"fallback parser used ({str(exc).splitlines()[0][:80]})")
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            header=None,
            names=list(range(width)),
            dtype=str,
            keep_default_na=False,
            engine="python",
            skip_blank_lines=False,
            on_bad_lines="warn",
            index_col=False,
        )
    cells = _tidy(cells)
    return RawTable(cells=cells, encoding=encoding, delimiter=delim, kind="csv", notes=notes)


def _max_fields(text: str, delim: str) -> int:
    """Delimiters per physical line + 1, maximised (vectorised over the whole text)."""
    import numpy as np

    raw = np.frombuffer(text.encode("utf-8", errors="replace"), dtype=np.uint8)
    if raw.size == 0:
        return 1
    newlines = np.flatnonzero((raw == 10) | (raw == 13))  # \n, \r\n and old-Mac \r
    delims = np.flatnonzero(raw == ord(delim))
    if delims.size == 0:
        return 1
    counts = np.bincount(np.searchsorted(newlines, delims))
    return int(counts.max()) + 1


def _tidy(cells: pd.DataFrame) -> pd.DataFrame:
    """Strings everywhere, trailing empty columns dropped, columns renumbered 0..n-1."""
    if cells.isna().to_numpy().any():
        cells = cells.fillna("")
    last = cells.shape[1] - 1
    while last > 0 and not (cells.iloc[:, last] != "").any():
        last -= 1  # trailing all-empty columns (spacer commas) go
    cells = cells.iloc[:, : last + 1]
    cells.columns = range(cells.shape[1])
    if any(cells[c].dtype != "str" for c in cells.columns):
        cells = cells.astype(str)
    return cells


def _read_spreadsheet(path: Path) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format
        raise UnreadableFile(
            f"could not read spreadsheet: {str(exc).splitlines()[0][:120]}"
        ) from exc
    notes: list[str] = []
    for name in wb.sheet_names:
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            notes.append(f"sheet {name!r} unreadable: {str(exc)[:80]}")
            continue
        if not rows or not any(any(str(c).strip() for c in r) for r in rows):
            notes.append(f"sheet {name!r} is empty")
            continue
        width = max(len(r) for r in rows)
        cells = pd.DataFrame([[_cell_text(c) for c in r] + [""] * (width - len(r)) for r in rows])
        others = [s for s in wb.sheet_names if s != name]
        if others:
            notes.append(f"read sheet {name!r}; other sheets not read: {', '.join(others)}")
        return RawTable(
            _tidy(cells),
            encoding="xlsx",
            delimiter=None,
            kind="spreadsheet",
            sheet=name,
            notes=notes,
        )
    raise UnreadableFile("spreadsheet has no non-empty sheet")


def _cell_text(value: object) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
