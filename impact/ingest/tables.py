"""Read any spend file into a grid of strings, whatever its format or encoding.

Councils publish CSV in UTF-8, UTF-8 with BOM, Windows-1252 (sometimes with a DOS
code page ``£`` byte), UTF-16 from Excel, with commas, semicolons, tabs or pipes, and
XLSX/XLS/ODS workbooks.  This module only turns bytes into a rectangular table of
strings (column positions, no header yet) and says how it did so; deciding what the
columns mean is :mod:`impact.ingest.columns`' job.  Smaller CSVs (registers, surveys,
reference tables) are read through the same decoder by :func:`read_csv`.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.ingest.limits import (
    Limits,
    UploadRefused,
    check_rows,
    check_size,
    check_zip,
    sniff_kind,
)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".psv"}
SUPPORTED_SUFFIXES = SPREADSHEET_SUFFIXES | TEXT_SUFFIXES

# The python csv engine (used as the forgiving fallback) refuses fields over 128 KiB by
# default and drops their rows; file size limits bound memory instead.
csv.field_size_limit(2**31 - 1)

#: Default ceiling on one file (``IMPACT_MAX_FILE_MB`` overrides it; see :mod:`impact.limits`).
MAX_FILE_BYTES = Limits().max_file_bytes


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


def read_table(
    path: Path, max_bytes: int | None = None, limits: Limits | None = None
) -> RawTable:
    """Read ``path`` into a :class:`RawTable`; raise :class:`UnreadableFile` with a reason.

    The upload limits (:mod:`impact.limits`: size, rows, zip bombs, files whose bytes are
    not what their name says) are checked here, the one door every spend file goes through.
    ``max_bytes`` overrides the size limit only.
    """
    try:
        limits = limits or Limits.from_env()
        if max_bytes is not None:
            limits = Limits(**{**limits.__dict__, "max_file_bytes": max_bytes})
        return _read_checked(path, limits)
    except UploadRefused as exc:
        raise UnreadableFile(str(exc)) from None


def _read_checked(path: Path, limits: Limits) -> RawTable:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"cannot open file: {exc.strerror}") from exc
    if size == 0:
        raise UnreadableFile("empty file (0 bytes)")
    check_size(size, limits)
    with path.open("rb") as fh:
        head = fh.read(16)
    kind = sniff_kind(head)
    suffix = path.suffix.lower()
    if kind == "zip":
        check_zip(path, limits)
    if kind in ("zip", "ole"):
        table = _read_spreadsheet(path, limits)
        if suffix not in SPREADSHEET_SUFFIXES:
            table.notes.append(f"named {suffix or '(no extension)'} but is a workbook; read as one")
        return table
    if suffix in SPREADSHEET_SUFFIXES:
        raise UnreadableFile(
            f"named {path.suffix} but is not a spreadsheet (no workbook signature)"
        )
    data = path.read_bytes()
    text, encoding, notes = decode(data)
    table = _read_delimited(text, encoding, notes)
    check_rows(len(table.cells), limits)
    return table


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Bytes → text, the encoding used, and notes on any repair made.

    Stray NUL characters (a truncated download, a UTF-16 fragment pasted into a UTF-8 file)
    are removed whatever the encoding: left in, they glue onto the next cell and make
    ``"\x00100.25"`` an unreadable amount.
    """
    text, encoding, notes = _decode(data)
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append("NUL bytes removed")
    return text, encoding, notes


def read_csv(source: str | Path | bytes, **options: object) -> pd.DataFrame:
    """A small CSV (a register, an attributes or survey file, a reference table) as a frame,
    decoded by :func:`decode` like every spend file: any encoding, BOM, NUL bytes, gzip.

    ``options`` go to :func:`pandas.read_csv` (strings by default: ``dtype="string"``).
    Raises :class:`UnreadableFile` with a one-line reason for bytes that are not text.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text, _, _ = decode(data)
    options = {"dtype": "string", "keep_default_na": False, **options}
    return pd.read_csv(io.StringIO(text), **options)


def _decode(data: bytes) -> tuple[str, str, list[str]]:
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
        # Ties (a preamble with commas above as many ';' data lines): data is at the bottom.
        score += 0.5 * (counts[-1] == mode)
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
        cells = pd.read_csv(io.StringIO(text), **_csv_options(delim, width), engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        reason = str(exc).splitlines()[0][:80]
        cells = _read_fallback(text, delim, width)
        if _kept_share(cells, text, delim) < 0.98:
            # An unterminated quote makes a quote-aware parser swallow or drop the rest of
            # the file: refuse it with a reason rather than lose rows silently.
            raise UnreadableFile(
                f"the file's quoting is broken and rows would be lost ({reason})"
            ) from exc
        notes.append(f"slower parser used ({reason})")
    cells = _tidy(cells)
    return RawTable(cells=cells, encoding=encoding, delimiter=delim, kind="csv", notes=notes)


def _read_fallback(text: str, delim: str, width: int) -> pd.DataFrame:
    """The forgiving python-engine read; surplus fields fold into the last column."""
    cells = pd.read_csv(
        io.StringIO(text),
        **_csv_options(delim, width),
        engine="python",
        on_bad_lines=lambda fields: [*fields[: width - 1], delim.join(fields[width - 1 :])],
    )
    return cells.fillna("")


def _csv_options(delim: str, width: int) -> dict:
    """Every cell as text, positions as column names, nothing skipped or converted."""
    return {
        "sep": delim,
        "header": None,
        "names": list(range(width)),
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skip_blank_lines": False,
        "quoting": csv.QUOTE_MINIMAL,
        "index_col": False,
    }


def _kept_share(cells: pd.DataFrame, text: str, delim: str) -> float:
    """Share of the text's non-structural characters that reached a cell (loss detector)."""
    strip = str.maketrans("", "", f'"{delim}\r\n')
    total = len(text.translate(strip))
    if total == 0:
        return 1.0
    kept = sum(int(cells[c].str.len().sum()) for c in cells.columns)
    kept -= sum(int(cells[c].str.count(r'["\r\n]').sum()) for c in cells.columns)
    return kept / total


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


def _read_spreadsheet(path: Path, limits: Limits | None = None) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        with path.open("rb") as fh:  # by content, not extension (an .xlsx saved as .xls)
            wb = CalamineWorkbook.from_filelike(fh)
    except Exception as exc:  # calamine raises its own error types per format
        raise UnreadableFile(
            f"could not read spreadsheet: {str(exc).splitlines()[0][:120]}"
        ) from exc
    notes: list[str] = []
    for name in wb.sheet_names:
        try:
            sheet = wb.get_sheet_by_name(name)
            rows_in_sheet = sheet.end[0] + 1 if sheet.end else 0  # end: last (row, col), 0-based
            check_rows(rows_in_sheet, limits or Limits())  # before the cells are built
            rows = sheet.to_python(skip_empty_area=False)
        except UploadRefused:
            raise
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
