"""Read any spend file into a grid of strings, whatever its format or encoding.

Councils publish CSV in UTF-8, UTF-8 with BOM, Windows-1252 (sometimes with a DOS
code page ``£`` byte), UTF-16 from Excel, with commas, semicolons, tabs or pipes,
XLSX/XLS/ODS workbooks (sometimes one sheet per month) and zip archives of any of these.
This module only turns bytes into rectangular tables of strings (column positions, no
header yet) and says how it did so; deciding what the columns mean is
:mod:`impact.ingest.columns`' job.  Each table is a *part*: a plain file has one, a
workbook one per sheet holding a table, an archive one per spend file inside it.

Text files take a fast path when they parse cleanly (UTF-8, one field count throughout:
pyarrow's multi-threaded CSV reader) and the careful path otherwise (any encoding, ragged
lines, preambles, broken quoting), with the same result either way.  Smaller CSVs
(registers, surveys, reference tables) are read through the same decoder by
:func:`read_csv`.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from impact.ingest.limits import (
    KB,
    SNIFF_BYTES,
    Limits,
    UploadRefused,
    bound_text,
    check_columns,
    check_rows,
    check_size,
    is_workbook,
    looks_utf16le,
    sniff_kind,
    zip_entries,
)

if TYPE_CHECKING:
    import pyarrow as pa

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".psv"}
ARCHIVE_SUFFIXES = {".zip"}
SUPPORTED_SUFFIXES = SPREADSHEET_SUFFIXES | TEXT_SUFFIXES | ARCHIVE_SUFFIXES

# The python csv engine (used as the forgiving fallback) refuses fields over 128 KiB by
# default and drops their rows; file size limits bound memory instead.
csv.field_size_limit(2**31 - 1)

#: Default ceiling on one file (``IMPACT_MAX_FILE_MB`` overrides it; see
#: :mod:`impact.ingest.limits`).
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
    #: per row: a cell over the cell-size limit (cut short here; the row is set aside)
    too_long: np.ndarray | None = None


@dataclass
class TablePart:
    """One table of a file: the file itself, one sheet of a workbook, or one spend file
    inside an archive (``member`` names it; None for the file itself)."""

    member: str | None
    table: RawTable | None = None
    error: str | None = None  # one line, when this part could not be read


def read_parts(
    path: Path, max_bytes: int | None = None, limits: Limits | None = None
) -> list[TablePart]:
    """Every table in ``path``; raise :class:`UnreadableFile` with a reason when the file
    as a whole cannot be read.

    The upload limits (:mod:`impact.ingest.limits`: size, rows, zip bombs, files whose
    bytes are not what their name says) are checked here, the one door every spend file
    goes through.  ``max_bytes`` overrides the size limit only.
    """
    try:
        limits = limits or Limits.from_env()
        if max_bytes is not None:
            limits = Limits(**{**limits.__dict__, "max_file_bytes": max_bytes})
        return _read_checked(path, limits)
    except UploadRefused as exc:
        raise UnreadableFile(str(exc)) from None


def read_table(
    path: Path, max_bytes: int | None = None, limits: Limits | None = None
) -> RawTable:
    """The first table in ``path`` (see :func:`read_parts`); its error as an exception."""
    part = read_parts(path, max_bytes, limits)[0]
    if part.table is None:
        raise UnreadableFile(part.error or "nothing could be read")
    return part.table


def _read_checked(path: Path, limits: Limits) -> list[TablePart]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"cannot open file: {exc.strerror}") from exc
    if size == 0:
        raise UnreadableFile("empty file (0 bytes)")
    check_size(size, limits)
    return _parts_of(path.read_bytes(), path.suffix.lower(), limits, in_archive=False)


def _parts_of(data: bytes, suffix: str, limits: Limits, in_archive: bool) -> list[TablePart]:
    """The tables in one file's bytes, judged by their content, not their name."""
    kind = sniff_kind(data[:SNIFF_BYTES])
    if kind == "zip":
        what = "archive" if suffix in ARCHIVE_SUFFIXES else "workbook"
        infos = zip_entries(io.BytesIO(data), limits, what)
        if not is_workbook(infos):
            if suffix in SPREADSHEET_SUFFIXES or in_archive:
                raise UploadRefused(
                    "an archive inside an archive is not read; unzip it first" if in_archive
                    else "file is a zip archive but not an Excel or OpenDocument workbook "
                    "(no xl/workbook.xml or content.xml inside)"
                )
            return _read_archive(data, infos, limits)
    if kind in ("zip", "ole"):
        parts = _read_workbook(data, limits)
        if suffix not in SPREADSHEET_SUFFIXES and parts[0].table is not None:
            parts[0].table.notes.append(
                f"named {suffix or '(no extension)'} but is a workbook; read as one"
            )
        return parts
    if suffix in SPREADSHEET_SUFFIXES:
        raise UnreadableFile(f"named {suffix} but is not a spreadsheet (no workbook signature)")
    if suffix in ARCHIVE_SUFFIXES:
        raise UnreadableFile("named .zip but is not a zip archive")
    return [TablePart(None, _read_text(data, limits))]


def _read_archive(data: bytes, infos: list, limits: Limits) -> list[TablePart]:
    """Every spend file in a zip archive, each a part named by its file name; files of
    other kinds are noted, not read.  Each member is checked against the file limits
    before it is decompressed (its declared size bounds what decompressing yields)."""
    import zipfile

    parts: list[TablePart] = []
    skipped = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in sorted(infos, key=lambda i: i.filename):
            name = info.filename.rsplit("/", 1)[-1]
            suffix = Path(name).suffix.lower()
            if info.is_dir() or not name or name.startswith(".") or "__MACOSX" in info.filename:
                continue
            if suffix not in SUPPORTED_SUFFIXES:
                skipped.append(name)
                continue
            parts += _archive_member(zf, info, name, limits)
    if not parts:
        raise UnreadableFile(
            "archive holds no spend files"
            + (f" (only {', '.join(skipped[:5])})" if skipped else " (it is empty)")
        )
    if skipped and parts[0].table is not None:
        parts[0].table.notes.append(f"archive files not read (not spend files): "
                                    f"{', '.join(skipped[:10])}")
    return parts


def _archive_member(zf, info, name: str, limits: Limits) -> list[TablePart]:
    """One archive member's tables (a workbook member may hold several sheets)."""
    import zipfile

    try:
        check_size(info.file_size, limits)
        data = zf.read(info)
        if not data:
            raise UnreadableFile("empty file (0 bytes)")
        inner = _parts_of(data, Path(name).suffix.lower(), limits, in_archive=True)
    except (UploadRefused, UnreadableFile) as exc:
        return [TablePart(name, error=str(exc))]
    except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as exc:  # CRC, encryption
        return [TablePart(name, error=f"could not unzip: {str(exc).splitlines()[0][:100]}")]
    for part in inner:
        part.member = name if part.member is None else f"{name} › {part.member}"
    return inner


def _read_text(data: bytes, limits: Limits) -> RawTable:
    """A delimited text file: the fast path when it parses cleanly, else the careful one.

    First its lines are bounded (:func:`impact.ingest.limits.bound_text`: a line of too many
    fields refused, too long a cell cut short).  UTF-8 (plain ASCII included) then goes to
    the fast path as published, with no decoded copy of it in memory; anything else is
    decoded first (:func:`decode`: any encoding, NUL bytes, the DOS ``£``), then tried fast,
    then read carefully.  Rows holding a cell over the limit are marked to be set aside.
    """
    if _is_utf16(data):  # bounded once decoded: its separators are two bytes wide
        text, encoding, notes = decode(data)
        text = _bounded(text.encode("utf-8"), limits).decode("utf-8")
        table = _read_decoded(text, encoding, notes, fast=True)
    else:
        data = _bounded(data, limits)
        published = _is_utf8(data)
        table = _read_fast(data, _head(data), _utf8_label(data), []) if published else None
        if table is None:  # a clean UTF-8 file already had its fast try
            table = _read_decoded(*decode(data), fast=not published)
    _mark_too_long(table, limits)
    check_rows(len(table.cells), limits)
    return table


def _read_decoded(text: str, encoding: str, notes: list[str], fast: bool) -> RawTable:
    table = _read_fast(text.encode("utf-8"), text[:65536], encoding, notes) if fast else None
    return table if table is not None else _read_delimited(text, encoding, notes)


def _bounded(data: bytes, limits: Limits) -> bytes:
    """``data`` within the column and cell-size limits, by the delimiter its head shows."""
    try:
        delimiter = sniff_delimiter(_head(data))
    except UnreadableFile:
        delimiter = ","
    return bound_text(data, delimiter, limits)


def _head(data: bytes) -> str:
    """The first 64 kB as text, for sniffing (a character cut at the end dropped)."""
    return data[:65536].decode("utf-8", errors="ignore").removeprefix("\ufeff")


def _utf8_label(data: bytes) -> str:
    return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def _is_utf16(data: bytes) -> bool:
    sample = data[:65536]
    return sample.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        sample.count(b"\x00") > len(sample) // 10 and looks_utf16le(sample)
    )


def _is_utf8(data: bytes) -> bool:
    """Whether pyarrow can take the bytes as published: valid UTF-8 (a BOM is fine) and no
    NUL (:func:`decode` removes those).  Checked by Arrow without decoding them."""
    import pyarrow as pa

    if b"\x00" in data:
        return False
    if data.isascii():
        return True
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]
                              ).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _mark_too_long(table: RawTable, limits: Limits) -> None:
    """Mark the rows holding a cell over the cell-size limit and cut those cells to a short
    sample, so nothing after this carries them (the rows are set aside with the reason).
    One length per cell, read from Arrow's offsets: nothing is copied for a file without."""
    import pyarrow.compute as pc

    cells, limit = table.cells, limits.max_cell_bytes
    over = np.zeros(len(cells), dtype=bool)
    for c in cells.columns:
        lengths = pc.binary_length(arrow_strings(cells[c]))
        if (pc.max(lengths).as_py() or 0) <= limit:
            continue
        long = pc.greater(lengths, limit).to_numpy(zero_copy_only=False)
        over |= long
        cells[c] = cells[c].where(~long, cells[c][long].str.slice(0, 60) + "…")
    if over.any():
        table.too_long = over
        table.notes.append(f"{int(over.sum()):,} row(s) with a cell over {limit / KB:,.0f} kB "
                           "(the cell-size limit, IMPACT_MAX_CELL_KB) set aside")


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
        if looks_utf16le(sample):
            return data.decode("utf-16-le", errors="replace"), "utf-16-le", notes
        raise UnreadableFile("this file is not text: it looks like binary data")
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


_DELIMS = (",", ";", "\t", "|")


def sniff_delimiter(text: str) -> str:
    """The delimiter whose per-line count is most consistent and largest in the first lines."""
    lines = [ln for ln in text[:50_000].splitlines()[:60] if ln.strip()]
    if len(text) > 100_000:  # a long preamble: lines from the middle are surely data
        middle = text[len(text) // 2 : len(text) // 2 + 20_000].splitlines()[1:41]
        lines += [ln for ln in middle if ln.strip()]
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


def _read_fast(data: bytes, head: str, encoding: str, notes: list[str]) -> RawTable | None:
    """pyarrow's CSV reader on the file as UTF-8, when it parses cleanly: every record
    with the first line's number of fields and every quote closed.  None otherwise (the
    careful path then reads it), so the fast path changes how fast a file is read, never
    what it yields."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if data.count(b'"') % 2:  # an unterminated quote: the careful path says what it costs
        return None
    try:
        delim = sniff_delimiter(head)
        first = next(csv.reader([head.split("\n", 1)[0].rstrip("\r")], delimiter=delim))
    except (UnreadableFile, csv.Error, StopIteration):
        return None
    names = [str(i) for i in range(max(len(first), 1))]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=len(data) > 8 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, newlines_in_values=b'"' in data, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(  # large: pandas takes them as they are
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    # Trailing all-empty columns (spacer commas) go before the conversion, as _tidy would.
    while table.num_columns > 1 and not pc.max(pc.utf8_length(table.column(-1))).as_py():
        table = table.remove_column(table.num_columns - 1)
    cells = table.to_pandas()  # no nulls (strings_can_be_null=False), Arrow strings
    cells.columns = range(cells.shape[1])
    return RawTable(cells, encoding=encoding, delimiter=delim, kind="csv", notes=notes)


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


def _read_workbook(data: bytes, limits: Limits) -> list[TablePart]:
    """Every sheet holding a table, each a part (named by the sheet when there are
    several: a workbook with one sheet per month).  Empty sheets, sheets of prose (a
    cover note) and unreadable sheets are noted; when no sheet holds a table the first
    non-empty one is returned, so its rows are accounted for and refused with a reason."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))  # by content, not extension
    except Exception as exc:  # calamine raises its own error types per format
        raise UnreadableFile(
            f"could not read spreadsheet: {str(exc).splitlines()[0][:120]}"
        ) from exc
    notes: list[str] = []
    sheets = [t for name in wb.sheet_names if (t := _read_sheet(wb, name, limits, notes))]
    if not sheets:
        raise UnreadableFile("spreadsheet has no non-empty sheet")
    tables = [t for t in sheets if _holds_table(t.cells)] or sheets[:1]
    kept = {id(t) for t in tables}
    notes += [f"sheet {t.sheet!r} holds no table (text only); not read"
              for t in sheets if id(t) not in kept]
    tables[0].notes = notes + tables[0].notes
    if len(tables) == 1:
        return [TablePart(None, tables[0])]
    return [TablePart(t.sheet, t) for t in tables]


def _read_sheet(wb, name: str, limits: Limits, notes: list[str]) -> RawTable | None:
    try:
        sheet = wb.get_sheet_by_name(name)
        rows_in_sheet = sheet.end[0] + 1 if sheet.end else 0  # end: last (row, col), 0-based
        check_rows(rows_in_sheet, limits)  # before the cells are built
        check_columns(sheet.width, limits, f"sheet {name!r}")
        rows = sheet.to_python(skip_empty_area=False)
    except UploadRefused:
        raise
    except Exception as exc:
        notes.append(f"sheet {name!r} unreadable: {str(exc)[:80]}")
        return None
    if not rows or not any(any(str(c).strip() for c in r) for r in rows):
        notes.append(f"sheet {name!r} is empty")
        return None
    width = max(len(r) for r in rows)
    cells = pd.DataFrame([[_cell_text(c) for c in r] + [""] * (width - len(r)) for r in rows])
    table = RawTable(_tidy(cells), encoding="xlsx", delimiter=None, kind="spreadsheet",
                     sheet=name, notes=[])
    _mark_too_long(table, limits)
    return table


def _holds_table(cells: pd.DataFrame) -> bool:
    """At least two rows with two or more filled cells (not a sheet of notes)."""
    filled = (cells != "").sum(axis=1)
    return int((filled >= 2).sum()) >= 2


def arrow_strings(column: pd.Series) -> pa.ChunkedArray:
    """A column of the grid as Arrow strings (no copy: every table read here is
    Arrow-backed), for vectorised string work without a Python object per cell."""
    import pyarrow as pa

    values = column.array
    if hasattr(values, "__arrow_array__"):
        arr = values.__arrow_array__()
    else:
        arr = pa.chunked_array([pa.array(column.astype(str).tolist())])
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr.fill_null("") if arr.null_count else arr


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
