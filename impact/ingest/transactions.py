"""Ingest councils' "spending over £500" files into one canonical, fully accounted table.

Every record after a file's header is either *used* (a row of ``transactions``) or
*rejected* with a reason (a row of ``rejected``), so ``rows_in == rows_used +
rows_rejected`` per file and in total.  A file that cannot be read at all gets a
one-line error in its report; the rest of the batch carries on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.core.values import (
    apply_distinct,
    card_markers,
    clean_company_numbers,
    month_labels,
    parse_amounts,
    parse_amounts_column,
    parse_cap_rev,
    parse_card_flags,
    parse_dates,
    parse_yyyymm,
    period_from_name,
)
from impact.ingest.columns import (
    Mapping,
    find_header_row,
    load_mapping,
    map_columns,
    named_roles,
    norm_header,
    role_field,
    save_mapping,
)
from impact.ingest.limits import sample
from impact.ingest.names import normalise_and_flag
from impact.ingest.periods import reporting_months
from impact.ingest.schema import conform, empty_transactions
from impact.ingest.tables import (
    SUPPORTED_SUFFIXES,
    RawTable,
    TablePart,
    UnreadableFile,
    arrow_strings,
    read_parts,
)

# Rejection reasons: short, stable strings (they are keys in quality.json).
BLANK = "blank line"
REPEATED_HEADER = "repeated header line"
TOTAL = "total or subtotal line"
NO_AMOUNT = "amount missing"
BAD_AMOUNT = "amount is not a number"
DUPLICATE = "duplicate of a transaction in an overlapping file"
TOO_LONG = "a cell is over the cell-size limit"

_TOTAL_RE = r"(?i)^\s*(?:grand\s*|sub[\s-]*)?totals?\s*(?:$|:|for\b|spend\b|paid\b|amount\b|\d)"
_CARD_FILE_RE = re.compile(r"(?i)(p[-_ ]?card|purchase[-_ ]?card|\bgpc\b|[-_]card\b)")

ProgressFn = Callable[[str, float], None]


@dataclass
class FileReport:
    """What happened to one file: how it was read, mapped and accounted."""

    path: str  # the file; "<file> › <sheet or archive member>" for one part of it
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None  # 1-based record number of the header; None if header-less
    layout: str = "header"  # "header", "reused layout from <file>", or "saved mapping"
    column_mapping: dict[str, str] = field(default_factory=dict)
    #: every column decision with its evidence (see impact.ingest.columns.Decision)
    column_decisions: list[dict] = field(default_factory=list)
    #: which amount was used: "net", "unlabelled", "gross" or "saved mapping"
    amount_basis: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    preamble_lines: int = 0
    rows_in: int = 0
    rows_used: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    total_amount: float = 0.0
    date_min: str | None = None
    date_max: str | None = None
    period: str | None = None
    threshold: int | None = None
    card_file: bool = False
    summary_file: bool = False
    rows_without_date: int = 0
    redacted_rows: int = 0
    duplicate_rows: int = 0
    duplicate_amount: float = 0.0
    below_500_rows: int = 0
    below_500_amount: float = 0.0
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def name(self) -> str:
        """How rows of this file (or part) are labelled in ``source_file``."""
        return Path(self.path).name

    def reviews(self) -> list[dict]:
        """The column decisions marked "needs review"."""
        return [d for d in self.column_decisions if d.get("needs_review")]


@dataclass
class IngestResult:
    """Transactions used, rows rejected (with reasons) and per-file reports."""

    council: str
    transactions: pd.DataFrame
    rejected: pd.DataFrame
    files: list[FileReport]
    layouts: list[dict]

    def quality(self) -> dict:
        """The quality report written as ``quality.json``."""
        t = self.transactions
        reasons: dict[str, int] = {}
        for f in self.files:
            for r, n in f.rejected_by_reason.items():
                reasons[r] = reasons.get(r, 0) + n
        dates = t["date"].dropna()
        months = sorted(t["period"].dropna().str.slice(0, 7).unique())
        return {
            "council": self.council,
            "files_total": len(self.files),
            "files_read": sum(f.error is None for f in self.files),
            "files_failed": [{"path": f.path, "error": f.error} for f in self.files if f.error],
            "rows_in": int(sum(f.rows_in for f in self.files)),
            "rows_used": len(t),
            "rows_rejected": len(self.rejected),
            "rejected_by_reason": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
            "total_amount": round(float(t["amount"].sum()), 2),
            "credits_amount": round(float(t.loc[t["amount"] < 0, "amount"].sum()), 2),
            "date_min": dates.min().date().isoformat() if len(dates) else None,
            "date_max": dates.max().date().isoformat() if len(dates) else None,
            "months_covered": len(months),
            "month_gaps": _month_gaps(months),
            "redacted_rows": int(t["is_redacted"].sum()),
            "redacted_amount": round(
                float(t.loc[t["is_redacted"].fillna(False), "amount"].sum()), 2
            ),
            "card_rows": int(t["is_card"].fillna(False).sum()),
            "summary_rows": int(t["is_summary"].fillna(False).sum()),
            "rows_without_date": int(t["date"].isna().sum()),
            "rows_dated_outside_file": int(t["dated_outside_file"].fillna(False).sum()),
            "duplicates": {
                "rows": sum(f.duplicate_rows for f in self.files),
                "amount": round(sum(f.duplicate_amount for f in self.files), 2),
            },
            "below_500": {
                "rows": sum(f.below_500_rows for f in self.files),
                "amount": round(sum(f.below_500_amount for f in self.files), 2),
            },
            "amount_basis": _count_by(f.amount_basis for f in self.files if f.amount_basis),
            "needs_review": [
                {"file": f.name, **{k: d[k] for k in _REVIEW_KEYS}}
                for f in self.files for d in f.reviews()
            ],
            "suppliers": int(t["supplier_name_norm"].nunique()),
            "files": [asdict(f) for f in self.files],
        }


_REVIEW_KEYS = ("field", "column", "needs_review", "evidence", "rows_at_stake",
                "amount_at_stake")


def summarise_reviews(reviews: list[dict]) -> list[dict]:
    """The decisions to check (``quality["needs_review"]``), one per column and reason:
    field, column, why, the files it is in (count and first), and the rows and £ that rest
    on it across them."""
    grouped: dict[tuple[str, str, str], dict] = {}
    for r in reviews:
        key = (r["field"], r["column"], r["needs_review"])
        g = grouped.setdefault(key, {"field": key[0], "column": key[1], "why": key[2],
                                     "files": 0, "first_file": r["file"], "rows": 0,
                                     "amount": 0.0})
        g["files"] += 1
        g["rows"] += r.get("rows_at_stake") or 0
        g["amount"] += r.get("amount_at_stake") or 0.0
    return list(grouped.values())


def _count_by(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileReport]]:
    """Files to read (folders walked recursively, sorted); reports for paths not found."""
    files: list[Path] = []
    missing: list[FileReport] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not f.name.startswith(".")
            )
        elif p.is_file():
            files.append(p)
        else:
            missing.append(FileReport(path=str(p), error="no such file or folder"))
    return files, missing


@dataclass
class _Staged:
    """One readable file's mapped columns (raw strings), staged for the batch-wide pass."""

    path: Path
    report: FileReport
    body: pd.DataFrame  # every cell, for the raw text of rejected rows
    frame: pd.DataFrame  # canonical field → raw column, plus the _-prefixed per-row facts
    fields: frozenset[str]
    card_file: bool
    period_text: str | None


@dataclass(frozen=True)
class _FileBody:
    """One file's records after its header, and what its columns were taken to mean."""

    path: Path
    body: pd.DataFrame
    headers: list[str]
    mapping: Mapping
    too_long: np.ndarray | None = None  # the table's rows with a cell over the size limit


@dataclass(frozen=True)
class _Pending:
    """A table whose header is found, waiting for its layout's column decisions."""

    source: Path
    report: FileReport
    headers: list[str]
    body: pd.DataFrame
    too_long: np.ndarray | None = None  # the table's rows with a cell over the size limit


@dataclass
class _Reading:
    """What reading the files one by one gathers for the batch-wide pass."""

    layouts: list[dict]  # the saved mapping's layouts, then each file's as it is read
    override: dict[str, str]  # columns the saved mapping fixes
    staged: list[_Staged] = field(default_factory=list)
    failed: list[pd.DataFrame] = field(default_factory=list)  # rows of files refused whole
    pending: list[_Pending] = field(default_factory=list)
    headerless: list[tuple[Path, RawTable, FileReport]] = field(default_factory=list)

    @classmethod
    def start(cls, mapping_file: Path | None) -> _Reading:
        saved = load_mapping(mapping_file) if mapping_file else {"layouts": [], "columns": {}}
        return cls(list(saved["layouts"]), saved.get("columns") or {})


def ingest(
    paths: Iterable[str | Path],
    council: str,
    mapping_file: Path | None = None,
    progress: ProgressFn | None = None,
) -> IngestResult:
    """Read every spend file under ``paths`` for one council.

    Files are read and their headers found one by one; the columns of each layout (files
    with the same header) are then judged once, from values sampled across all its files;
    the row-level work (parsing amounts and dates, classifying rejects, normalising
    names) then runs once over the whole batch, so many small monthly files cost little
    more than one big one.
    """
    files, reports = expand_paths(paths)
    reading = _Reading.start(mapping_file)
    for i, path in enumerate(files):
        if progress:
            progress(f"Reading {path.name}", 0.7 * i / max(len(files), 1))
        reports += _read_file(path, reading)
    if progress:
        progress("Recognising columns", 0.75)
    _map_layouts(reading)
    for path, table, report in reading.headerless:
        _stage_by_known_layout(path, table, report, reading)
    reading.headerless.clear()
    if progress:
        progress("Checking every row", 0.85)
    transactions, rejected = _batch(reading.staged, council)
    if reading.failed:
        rejected = pd.concat([*reading.failed, rejected], ignore_index=True)
    transactions, dups = _split_duplicates(transactions)
    if len(dups):
        rejected = pd.concat([rejected, _duplicate_rejects(dups)], ignore_index=True)
    _file_stats(reading.staged, transactions, rejected, dups)
    if progress:
        progress("Done", 1.0)
    order = {str(p): i for i, p in enumerate(files)}
    reports.sort(key=lambda r: order.get(r.path.split(" › ")[0], -1))
    return IngestResult(
        council=council,
        transactions=transactions.reset_index(drop=True),
        rejected=rejected.reset_index(drop=True),
        files=reports,
        layouts=_unique_layouts(reading.layouts),
    )


def _read_file(path: Path, reading: _Reading) -> list[FileReport]:
    """Read one file's tables — the file itself, each sheet of a workbook with one sheet
    per month, each spend file in a zip archive — each reported and accounted like a file."""
    try:
        parts = read_parts(path)
    except UnreadableFile as exc:
        return [FileReport(path=str(path), error=str(exc))]
    reports = []
    for part in parts:
        source = _part_path(path, part)
        reports.append(FileReport(path=str(source)))
        if part.table is None:
            reports[-1].error = part.error
        else:
            _read_part(source, part.table, reports[-1], reading)
    return reports


def _part_path(path: Path, part: TablePart) -> Path:
    """``book.xlsx › April`` or ``year.zip › april.csv``: a path naming the part."""
    if part.member is None:
        return path
    return path.with_name(f"{path.name} › {part.member.replace('/', '-')}")


def _read_part(source: Path, table: RawTable, report: FileReport, reading: _Reading) -> None:
    """Find one table's header and map its columns; a table without a header waits until
    every file's layout is known (a later file may show the layout it shares)."""
    _describe_table(report, table)
    header = find_header_row(table.cells, override=reading.override)
    if header is None:
        reading.headerless.append((source, table, report))
        return
    headers = [c.strip() for c in table.cells.iloc[header].tolist()]
    report.header_row = header + 1
    report.preamble_lines = header
    reading.pending.append(
        _Pending(source, report, headers, table.cells.iloc[header + 1 :], table.too_long)
    )


def _map_layouts(reading: _Reading) -> None:
    """Judge each layout's columns once, from a sample spread across all its files, and
    stage every file with its layout's mapping (in file order)."""
    groups: dict[tuple[str, ...], list[_Pending]] = {}
    for p in reading.pending:
        groups.setdefault(tuple(p.headers), []).append(p)
    mappings: dict[tuple[str, ...], Mapping] = {}
    for p in reading.pending:
        key = tuple(p.headers)
        if key not in mappings:
            mappings[key] = map_columns(p.headers, _layout_sample(groups[key]), reading.override)
        mapping = mappings[key]
        body = _FileBody(p.source, p.body, p.headers, mapping, p.too_long)
        stage = _stage(body, p.report, reading.failed)
        if stage is not None:
            reading.staged.append(stage)
            reading.layouts.append(
                {"headers": p.headers, "fields": mapping.describe(), "source": p.source.name}
            )
    reading.pending.clear()


def _layout_sample(files: list[_Pending], rows: int = 240) -> pd.DataFrame:
    """Rows spread evenly through every file of one layout (a month whose column is empty
    does not decide for the year, nor does the first file alone)."""
    each = max(rows // len(files), 10)
    parts = [p.body.take(np.linspace(0, len(p.body) - 1, min(each, len(p.body))).astype(int))
             for p in files if len(p.body)]
    return pd.concat(parts, ignore_index=True) if parts else files[0].body


def _stage_by_known_layout(
    path: Path, table: RawTable, report: FileReport, reading: _Reading
) -> None:
    """A header-less file is read with the newest known layout of as many columns whose
    amounts read; without one, every record is rejected with the reason."""
    layout = _matching_layout(table.cells, reading.layouts, reading.override)
    if layout is None:
        report.error = _no_header_reason(table.cells)
        reason = "no header row and no known layout"
        report.rows_in = report.rows_rejected = len(table.cells)
        report.rejected_by_reason = {reason: report.rows_in} if report.rows_in else {}
        reading.failed.append(
            _rejected_rows(path, table.cells, pd.Series(reason, index=table.cells.index))
        )
        return
    headers, mapping, source = layout
    report.layout = f"reused layout from {source}"
    body = _FileBody(path, table.cells, headers, mapping, table.too_long)
    stage = _stage(body, report, reading.failed)
    if stage is not None:
        reading.staged.append(stage)


def _describe_table(report: FileReport, table: RawTable) -> None:
    report.encoding = table.encoding
    report.delimiter = table.delimiter
    report.sheet = table.sheet
    report.notes += table.notes


def _matching_layout(
    cells: pd.DataFrame,
    layouts: list[dict],
    override: dict[str, str],
) -> tuple[list[str], Mapping, str] | None:
    """The newest known layout with as many columns as ``cells`` whose amount column reads."""
    width = cells.shape[1]
    for layout in reversed(layouts):
        headers = list(layout["headers"])
        while headers and not headers[-1]:
            headers.pop()
        if len(headers) != width:
            continue
        mapping = map_columns(headers, cells, override)
        if "amount" in mapping.fields and (
            "supplier_name" in mapping.fields or "supplier_id" in mapping.fields
        ):
            amounts = parse_amounts(cells[mapping.fields["amount"]])
            if amounts.notna().mean() > 0.8:
                return headers, mapping, layout.get("source", "saved mapping")
    return None


def _no_header_reason(cells: pd.DataFrame) -> str:
    """One line saying why a file has no usable header, naming what its first line holds
    (a short sample, escaped: the file may be anything)."""
    first = next((r for r in cells.itertuples(index=False) if any(str(c).strip() for c in r)), ())
    heads = [str(c).strip() for c in first if str(c).strip()][:12]
    fields = {role_field(r) for r in named_roles(heads)}
    missing = "amount" if "amount" not in fields else "supplier"
    first_line = sample(", ".join(heads), 100) or "empty"
    return (
        f"no recognisable {missing} column (first line: {first_line}) "
        f"and no known layout of this council has {cells.shape[1]} columns; "
        "save a mapping with --mapping"
    )


def _unique_layouts(layouts: list[dict]) -> list[dict]:
    seen: set[tuple[str, ...]] = set()
    out = []
    for lay in layouts:
        key = tuple(lay["headers"])
        if key not in seen:
            seen.add(key)
            out.append(lay)
    return out


def _stage(file: _FileBody, report: FileReport, failed: list[pd.DataFrame]) -> _Staged | None:
    """Per-file checks that need the file's own layout; the rest waits for :func:`_batch`.

    A file without an amount or supplier column is refused whole (its rows go to
    ``failed``, each with the reason), so no record of it is lost silently.
    """
    fields = file.mapping.fields
    report.column_mapping = file.mapping.describe()
    report.column_decisions = [d.as_dict() for d in file.mapping.decisions]
    report.amount_basis = file.mapping.amount_basis
    report.ignored_columns = file.mapping.ignored
    report.notes += file.mapping.notes
    report.rows_in = len(file.body)
    if "amount" not in fields or not ({"supplier_name", "supplier_id"} & fields.keys()):
        failed.append(_refuse_file(file, report))
        return None
    frame = _mapped_frame(file)
    period_text, card_file = _facts_from_file_name(file.path, report)
    if "date" not in fields and "period" not in fields:
        report.summary_file = True
        report.notes.append(
            "no date column: treated as a per-supplier summary for "
            + (period_text or "an unknown period")
        )
    return _Staged(
        file.path, report, file.body, frame, frozenset(fields), card_file, period_text
    )


def _refuse_file(file: _FileBody, report: FileReport) -> pd.DataFrame:
    """Report why a file has no usable amount or supplier column; all its rows, rejected."""
    missing = "amount" if "amount" not in file.mapping.fields else "supplier"
    report.error = (
        f"no recognisable {missing} column (headers: "
        f"{sample(', '.join(h for h in file.headers if h), 200) or 'none'})"
    )
    reason = f"file has no recognisable {missing} column"
    report.rows_rejected = report.rows_in
    report.rejected_by_reason = {reason: report.rows_in} if len(file.body) else {}
    return _rejected_rows(file.path, file.body, pd.Series(reason, index=file.body.index))


def _mapped_frame(file: _FileBody) -> pd.DataFrame:
    """The mapped columns by canonical name, with what the batch pass needs per row:
    file line (``_row``), any text (``_nonblank``), a repeated header (``_header``), a
    total line without a supplier (``_texttotal``) and a cell over the size limit
    (``_too_long``)."""
    body, fields = file.body, file.mapping.fields
    nonblank = _any_text(body)
    supplier = body[fields["supplier_name"] if "supplier_name" in fields
                    else fields["supplier_id"]]
    frame = pd.DataFrame(
        {
            **{name: body[pos] for name, pos in fields.items()},
            "_row": (body.index.to_numpy() + 1).astype("int64"),
            "_nonblank": nonblank,
            "_header": _repeated_headers(body, file.headers),
            "_texttotal": _total_lines_without_supplier(body, supplier, nonblank),
            "_too_long": (np.zeros(len(body), dtype=bool) if file.too_long is None
                          else file.too_long[body.index.to_numpy()]),
        },
        index=body.index,
    )
    return frame.reset_index(drop=True)


def _blank(column: pd.Series, strip: bool = False) -> np.ndarray:
    """Per cell: whether it is empty (after trimming spaces, with ``strip``)."""
    text = arrow_strings(column)
    if strip:
        text = pc.utf8_trim_whitespace(text)
    return pc.equal(text, "").to_numpy(zero_copy_only=False)


def _any_text(body: pd.DataFrame) -> np.ndarray:
    """Per row: whether any cell holds text (a blank line has none)."""
    out = np.zeros(len(body), dtype=bool)
    for c in body.columns:
        out |= ~_blank(body[c])
    return out


def _repeated_headers(body: pd.DataFrame, headers: list[str]) -> np.ndarray:
    """Rows repeating the header (files pasted together): checked fully only where the
    first header cell repeats, so a big file costs one string comparison per row."""
    same_header = np.zeros(len(body), dtype=bool)
    first = next((i for i, h in enumerate(headers) if h), None)
    if first is None:
        return same_header
    text = pc.utf8_trim_whitespace(arrow_strings(body[first]))
    cand = np.flatnonzero(pc.equal(text, headers[first]).to_numpy(zero_copy_only=False))
    if len(cand):
        header_norm = [norm_header(h) for h in headers]
        rows = body.iloc[cand].itertuples(index=False)
        same_header[cand] = [[norm_header(c) for c in r] == header_norm for r in rows]
    return same_header


def _total_lines_without_supplier(
    body: pd.DataFrame, supplier: pd.Series, nonblank: np.ndarray
) -> np.ndarray:
    """Rows without a supplier whose text says "total" in any cell (a subtotal line)."""
    texttotal = np.zeros(len(body), dtype=bool)
    no_supplier = np.flatnonzero(_blank(supplier, strip=True) & nonblank)
    if len(no_supplier):
        rows = body.iloc[no_supplier]
        cells = pd.concat([rows[c] for c in rows.columns], ignore_index=True)  # column-major
        said = _says_total(cells).to_numpy().reshape(rows.shape[1], len(rows))
        texttotal[no_supplier] = said.any(axis=0)
    return texttotal


def _says_total(values: pd.Series) -> pd.Series:
    """Whether each text reads as a total line's label ("Total", "Grand total:", "Sub-total
    for April"), judged once per distinct text."""
    said = apply_distinct(
        values.astype("string"), lambda u: u.str.contains(_TOTAL_RE, regex=True, na=False)
    )
    return said.fillna(False).astype(bool)


def _facts_from_file_name(path: Path, report: FileReport) -> tuple[str | None, bool]:
    """The period (``2024-05`` or ``2024-04/2024-06``) and whether it is a P-card file, as
    the name says — a sheet's or archive member's own name first, then its file's:
    summaries and undated rows take their period from it."""
    names = [Path(part).stem for part in reversed(path.name.split(" › "))]
    file_period = next((p for n in names if (p := period_from_name(n))), None)
    period_text = None
    if file_period:
        a, b = file_period
        period_text = a if a == b else f"{a}/{b}"
        report.period = period_text
    card_file = any(_CARD_FILE_RE.search(n) for n in names)
    report.card_file = card_file
    return period_text, card_file


_TEXT_FIELDS = (
    "supplier_id",
    "charity_number",
    "vat_number",
    "directorate",
    "service_area",
    "expense_type",
    "description",
    "transaction_id",
)


def _batch(staged: list[_Staged], council: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Classify and convert every staged row at once: (used rows, rejected rows).

    The rejected rows' text is taken first, then each file's grid of cells is let go
    (only the rejected rows needed it), so the used rows are built without the columns
    nothing maps still in memory.
    """
    if not staged:
        return empty_transactions(), _no_rejected_rows()
    rows = _StackedRows.of(staged)
    reason = _reject_reasons(rows)
    ok = reason.isna().to_numpy()
    rejected = _rejected_in_batch(rows, reason, ok)
    for st in staged:
        st.body = st.body.iloc[:0]
    return conform(_used_rows(rows.subset(ok), council)), rejected


def _field(raw: pd.DataFrame, name: str) -> pd.Series:
    """A canonical field's text, stripped, blank → NA (all NA when no file maps it)."""
    if name not in raw.columns:
        nulls = pa.nulls(len(raw), pa.large_string())
        return pd.Series(pd.arrays.ArrowStringArray(nulls), index=raw.index)
    text = arrow_strings(raw[name])
    trimmed = pc.utf8_trim_whitespace(text)
    if pc.all(pc.equal(pc.binary_length(trimmed), pc.binary_length(text))).as_py() is not False:
        trimmed = text  # nothing to trim: keep the file's own buffers, not a copy
    return pd.Series(pd.arrays.ArrowStringArray(_blank_as_null(trimmed)), index=raw.index)


def _blank_as_null(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Empty strings as nulls.  Only a validity bitmap is made where a chunk has none and
    starts at its buffers' start (every chunk the CSV reader makes): the strings
    themselves are not copied, so a field costs an eighth of a byte per row."""
    chunks = []
    for chunk in text.chunks:
        empty = pc.equal(chunk, "")
        if not empty.true_count:
            chunks.append(chunk)
        elif chunk.offset or chunk.null_count:
            chunks.append(pc.if_else(empty, pa.scalar(None, chunk.type), chunk))
        else:
            valid = pc.invert(empty).buffers()[1]
            chunks.append(pa.Array.from_buffers(chunk.type, len(chunk),
                                                [valid, *chunk.buffers()[1:]]))
    return pa.chunked_array(chunks, type=text.type)


@dataclass(frozen=True)
class _StackedRows:
    """Every staged file's rows in one frame, with the values several steps read."""

    staged: list[_Staged]
    raw: pd.DataFrame  # the staged frames stacked, plus ``_file``
    file_no: np.ndarray  # which staged file each row comes from
    amount_text: pd.Series
    amount: pd.Series  # parsed (NA where unreadable)
    date_text: pd.Series

    @classmethod
    def of(cls, staged: list[_Staged]) -> _StackedRows:
        frames = []
        for k, st in enumerate(staged):
            fr = st.frame
            fr["_file"] = np.int32(k)
            frames.append(fr)
        raw = pd.concat(frames, ignore_index=True)
        amount_text = _field(raw, "amount")
        return cls(
            staged=staged,
            raw=raw,
            file_no=raw["_file"].to_numpy(),
            amount_text=amount_text,
            amount=parse_amounts_column(amount_text),
            date_text=_field(raw, "date"),
        )

    def field(self, name: str) -> pd.Series:
        return _field(self.raw, name)

    def subset(self, keep: np.ndarray) -> _StackedRows:
        """The same rows, only those ``keep`` marks (no copy when it marks them all)."""
        if keep.all():
            return self
        return _StackedRows(
            staged=self.staged,
            raw=self.raw[keep],
            file_no=self.file_no[keep],
            amount_text=self.amount_text[keep],
            amount=self.amount[keep],
            date_text=self.date_text[keep],
        )

    def per_file_text(self, values: list[str | None]) -> pd.Series:
        """One text per staged file (or None), spread to that file's rows."""
        return _repeated_text(values, self.file_no, self.raw.index)

    def file_maps(self, name: str) -> np.ndarray:
        """Per row: whether its file has a column for ``name``."""
        return np.asarray([name in st.fields for st in self.staged], dtype=bool)[self.file_no]


def _reject_reasons(rows: _StackedRows) -> pd.Series:
    """Why each row is set aside (NA: used), the first reason that applies: a cell over the
    size limit, blank line, repeated header, total line, no amount, amount not a number."""
    raw = rows.raw
    supplier = rows.field("supplier_name").where(
        rows.file_maps("supplier_name"), rows.field("supplier_id")
    )
    reason = pd.Series(pd.NA, index=raw.index, dtype="string")
    reason[raw["_too_long"].to_numpy(dtype=bool)] = TOO_LONG
    reason[reason.isna() & ~raw["_nonblank"].to_numpy(dtype=bool)] = BLANK
    reason[reason.isna() & raw["_header"].to_numpy(dtype=bool)] = REPEATED_HEADER
    is_total = (
        _says_total(supplier)
        | (supplier.isna() & raw["_texttotal"].to_numpy(dtype=bool))
        | (supplier.isna() & rows.date_text.isna() & rows.amount.notna() & rows.file_maps("date"))
    )
    reason[reason.isna() & is_total] = TOTAL
    reason[reason.isna() & rows.amount_text.isna()] = NO_AMOUNT
    reason[reason.isna() & rows.amount.isna()] = BAD_AMOUNT
    return reason


def _rejected_in_batch(rows: _StackedRows, reason: pd.Series, ok: np.ndarray) -> pd.DataFrame:
    """The set-aside rows with their reason and the raw text of every cell, file by file."""
    bad = np.flatnonzero(~ok)
    parts = []
    for k in np.unique(rows.file_no[bad]):
        mine = bad[rows.file_no[bad] == k]
        st = rows.staged[k]
        first = st.body.index[0] if len(st.body) else 0
        body_rows = st.body.iloc[rows.raw.loc[mine, "_row"].to_numpy() - 1 - first]
        why = pd.Series(reason.iloc[mine].to_numpy(), index=body_rows.index)
        parts.append(_rejected_rows(st.path, body_rows, why))
    return pd.concat(parts, ignore_index=True) if parts else _no_rejected_rows()


def _used_rows(rows: _StackedRows, council: str) -> pd.DataFrame:
    """The used rows in canonical columns: where each came from, its £, its text fields."""
    use = rows.raw.index
    out = pd.DataFrame(index=use)
    out["council"] = _repeated_text([council], np.zeros(len(use), dtype=np.int64), use)
    out["source_file"] = rows.per_file_text([st.path.name for st in rows.staged])
    out["source_row"] = rows.raw["_row"].astype("int64")
    out["amount"] = rows.amount
    out["supplier_name"] = rows.field("supplier_name")
    for name in _TEXT_FIELDS:
        out[name] = rows.field(name)
    out["company_number"] = clean_company_numbers(rows.field("company_number"))
    out["cap_rev"] = apply_distinct(rows.field("cap_rev"), parse_cap_rev)
    out["irrecoverable_vat"] = parse_amounts_column(rows.field("irrecoverable_vat"))
    out["is_card"] = _card_flags(rows)
    _with_dates_and_periods(out, rows)
    out["is_credit"] = out["amount"] < 0
    norm, redacted = normalise_and_flag(out["supplier_name"])
    out["is_redacted"] = redacted.astype("boolean")
    out["supplier_name_norm"] = norm.astype("string")
    return out


def _repeated_text(values: list[str | None], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values[codes]`` as a string column, built in Arrow (no Python object per row)."""
    arr = pa.array(values, type=pa.large_string()).take(pa.array(codes))
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index)


def _card_flags(rows: _StackedRows) -> pd.Series:
    """A purchase-card payment: as the file's card column says; else a card-scheme word in
    its transaction reference ("PCARD 9514"); else as the file's name says (a card file)."""
    card_file = pd.Series(
        np.asarray([st.card_file for st in rows.staged])[rows.file_no], index=rows.raw.index
    )
    marked = card_markers(rows.field("transaction_id"))
    return (
        apply_distinct(rows.field("is_card"), parse_card_flags)
        .fillna(marked.where(marked.fillna(False)))
        .fillna(card_file)
        .astype("boolean")
    )


def _with_dates_and_periods(out: pd.DataFrame, rows: _StackedRows) -> None:
    """Payment date, and the month it falls in: from the date, else a period column, else
    the file's name.  A file with neither date nor period column is a summary."""
    dates = parse_dates(rows.date_text)
    out["date"] = dates
    period = month_labels(dates)
    if period.isna().any() and "period" in rows.raw.columns:
        missing = period.isna()
        period[missing] = parse_yyyymm(rows.field("period")[missing])
    named = [tuple(st.period_text.split("/") * 2)[:2] if st.period_text else None
             for st in rows.staged]
    period, moved = reporting_months(period, rows.file_no, named)
    if period.isna().any():
        period = period.fillna(rows.per_file_text([st.period_text for st in rows.staged]))
    out["period"] = period
    out["dated_outside_file"] = pd.array(moved, dtype="boolean")
    out["is_summary"] = ~(rows.file_maps("date") | rows.file_maps("period"))


def _file_stats(
    staged: list[_Staged], t: pd.DataFrame, rejected: pd.DataFrame, dups: pd.DataFrame
) -> None:
    """Per-file counts, totals and dates for the reports, from the batch results."""
    if not staged:
        return
    stats = _per_file(t, dups)
    rej = rejected.groupby(["source_file", "reason"], observed=True).size()
    for st in staged:
        r, name = st.report, st.path.name
        row = stats.loc[name] if name in stats.index else pd.Series(dtype=object)
        r.rows_used = int(row.get("rows", 0))
        r.rows_rejected = r.rows_in - r.rows_used
        r.rejected_by_reason = (
            {k: int(v) for k, v in rej.loc[name].items()}
            if name in rej.index.get_level_values(0)
            else {}
        )
        r.total_amount = round(float(row.get("amount", 0.0)), 2)
        lo, hi = row.get("date_min", pd.NaT), row.get("date_max", pd.NaT)
        r.date_min = None if pd.isna(lo) else lo.date().isoformat()
        r.date_max = None if pd.isna(hi) else hi.date().isoformat()
        r.rows_without_date = int(row.get("no_date", 0))
        r.redacted_rows = int(row.get("redacted", 0))
        r.duplicate_rows = int(row.get("dup_rows", 0))
        r.duplicate_amount = round(float(row.get("dup_amount", 0.0)), 2)
        r.below_500_rows = int(row.get("below_500", 0))
        r.below_500_amount = round(float(row.get("below_500_amount", 0.0)), 2)
        _file_notes(r, st)
        r.threshold = _threshold(
            st.path.stem, row.get("share_below_500"), row.get("share_below_250"), st.card_file
        )
        _review_by_this_files_values(r)


def _review_by_this_files_values(r: FileReport) -> None:
    """A layout's decision, checked against this file's own rows: a date column without a
    readable date in most of them, or an amount column without a readable amount, is
    marked for review here even when the layout's other files bear it out.  Then each
    decision to review gets the rows and £ of this file that rest on it (for an amount
    that does not read: the rows it left unread)."""
    unread = sum(n for why, n in r.rejected_by_reason.items() if why in (NO_AMOUNT, BAD_AMOUNT))
    for d in r.column_decisions:
        if not d.get("needs_review"):
            d["needs_review"] = _this_files_doubt(r, d, unread)
        if d["needs_review"]:
            d["rows_at_stake"], d["amount_at_stake"] = r.rows_used, r.total_amount
            if d["field"] == "amount" and unread > r.rows_in / 2:
                d["rows_at_stake"] = unread


def _this_files_doubt(r: FileReport, d: dict, unread_amounts: int) -> str | None:
    if d["field"] == "date" and r.rows_used and r.rows_without_date > r.rows_used / 2:
        return (f"in this file {r.rows_without_date:,} of {r.rows_used:,} rows have no "
                f"readable date in {d['column']!r}")
    if d["field"] == "amount" and r.rows_in and unread_amounts > r.rows_in / 2:
        return (f"in this file {unread_amounts:,} of {r.rows_in:,} rows have no readable "
                f"amount in {d['column']!r}")
    return None


def _per_file(t: pd.DataFrame, dups: pd.DataFrame) -> pd.DataFrame:
    """One row per source file: rows, £, dates, undated, redacted, duplicates, under £500."""
    codes, files = pd.factorize(t["source_file"])
    n = len(files)
    amount = t["amount"].to_numpy(dtype=float)
    pos, small = amount > 0, (amount > 0) & (amount < 500)

    def total(values: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        keep = slice(None) if where is None else where
        return np.bincount(codes[keep], weights=values[keep].astype(float), minlength=n)

    rows, positive = total(np.ones(len(t))), total(np.ones(len(t)), pos)
    dates = t["date"].groupby(codes)
    stats = pd.DataFrame({
        "rows": rows,
        "amount": total(amount),
        "date_min": dates.min().reindex(range(n)).to_numpy(),
        "date_max": dates.max().reindex(range(n)).to_numpy(),
        "no_date": total(t["date"].isna().to_numpy()),
        "redacted": total(t["is_redacted"].fillna(False).to_numpy(dtype=bool)),
        "below_500": total(small),
        "below_500_amount": total(amount, small),
        "share_below_500": total(small, pos) / np.where(positive > 0, positive, np.nan),
        "share_below_250": total(amount < 250, pos) / np.where(positive > 0, positive, np.nan),
    }, index=pd.Index(files, name="source_file"))
    if len(dups):
        dg = dups.groupby("source_file", observed=True)
        stats = stats.join(pd.DataFrame({"dup_rows": dg.size(), "dup_amount": dg["amount"].sum()}),
                           how="outer")
    counts = [c for c in stats.columns if not c.startswith(("date_", "share_"))]
    stats[counts] = stats[counts].fillna(0)
    return stats


def _file_notes(r: FileReport, st: _Staged) -> None:
    """Notes a reader needs: rows without dates, duplicates set aside, lines under £500."""
    if r.rows_without_date and not r.summary_file:
        r.notes.append(
            f"{r.rows_without_date} rows have no readable date; period taken from the file name"
            if st.period_text
            else f"{r.rows_without_date} rows have no readable date"
        )
    if r.duplicate_rows:
        r.notes.append(f"{r.duplicate_rows} rows (£{r.duplicate_amount:,.2f}) repeat payments "
                       "already read from another file; set aside as duplicates")


def _threshold(
    stem: str, below_500: float | None, below_250: float | None, card: bool
) -> int | None:
    """The publication threshold (£): from the file name, else from the smallest amounts.

    ``below_500``/``below_250`` are the shares of positive payments under £500/£250.
    """
    m = re.search(r"(?i)(?:over|above)[-_ ]?£?(\d{3})", stem)
    if m:
        return int(m.group(1))
    if card or below_500 is None or pd.isna(below_500):
        return None
    if below_500 < 0.02:
        return 500
    if below_250 is not None and below_250 < 0.02:
        return 250
    return None


#: The columns of ``rejected.parquet``: every set-aside row, with why, and its text.
REJECTED_COLUMNS = ("source_file", "source_row", "reason", "detail", "raw")


def _no_rejected_rows() -> pd.DataFrame:
    """An empty rejected table, with the columns and types of a full one."""
    return _rejected_rows(Path("."), pd.DataFrame(), pd.Series(dtype=str))


def _rejected_rows(path: Path, rows: pd.DataFrame, reason: pd.Series) -> pd.DataFrame:
    """Rejected rows with their reason and their cells' text joined (first 500 characters)."""
    if len(rows) and rows.shape[1]:
        cells = [arrow_strings(rows.iloc[:, i]) for i in range(rows.shape[1])]
        sep = pa.scalar(" | ", pa.large_string())
        joined = pc.binary_join_element_wise(*cells, sep) if len(cells) > 1 else cells[0]
        text = pd.Series(pd.arrays.ArrowStringArray(pc.utf8_slice_codeunits(joined, 0, 500)),
                         index=rows.index)
    else:
        text = pd.Series(pd.NA, index=rows.index, dtype="string")
    return pd.DataFrame(
        {
            "source_file": pd.Series(path.name, index=rows.index, dtype="string"),
            "source_row": pd.Series(rows.index.to_numpy() + 1, index=rows.index, dtype="int64"),
            "reason": reason.astype("string"),
            "detail": pd.Series(pd.NA, index=rows.index, dtype="string"),
            "raw": text.astype("string"),
        }
    ).reset_index(drop=True)


def _split_duplicates(t: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows repeating a transaction already read from a *different* file (overlapping
    files): (rows kept, the duplicate rows with ``_first_file``, the file read first).

    A duplicate has the same payment date — or, for rows without one, the same known
    period — the same supplier, the same amount and, where published, the same
    transaction reference.  A per-supplier summary (no dates) is only compared within its
    own period: the same supplier paid the same total in two months is two payments, and
    summaries of an unknown period are never set aside.
    """
    none = t.iloc[:0].assign(_first_file=pd.Series(dtype="string"))
    if t.empty or t["source_file"].nunique() < 2:
        return t, none
    codes = transaction_codes(t)
    files = pd.factorize(t["source_file"])[0]
    first_file_code = pd.Series(files).groupby(codes).transform("first").to_numpy()
    dup = pd.Series(codes).duplicated().to_numpy() & (first_file_code != files) & (codes >= 0)
    if not dup.any():
        return t, none
    first_file = pd.factorize(t["source_file"])[1].take(first_file_code[dup])
    return t[~dup], t[dup].assign(_first_file=np.asarray(first_file, dtype=object))


def transaction_codes(t: pd.DataFrame) -> np.ndarray:
    """One code per transaction as :func:`_split_duplicates` compares them (reference,
    supplier, payment date or known period, amount); -1 for a row with neither a date nor
    a known period, which is never a duplicate.  Rows of two files with one code are one
    payment published twice (the payment checks apply the same rule)."""
    when = _when(t)
    parts = [pd.factorize(t[c], use_na_sentinel=True)[0]
             for c in ("transaction_id", "supplier_name_norm")]
    codes = combined_codes([*parts, when, pd.factorize(t["amount"])[0]])
    return np.where(when >= 0, codes, -1)


def _when(t: pd.DataFrame) -> np.ndarray:
    """A code per row for *when* it was paid: its date, else its known period; -1 for a
    row with neither (never a duplicate)."""
    dates = t["date"].to_numpy().view("int64")
    period = pd.factorize(t["period"], use_na_sentinel=True)[0]
    dated = ~t["date"].isna().to_numpy()
    key = np.where(dated, dates, np.iinfo(np.int64).min + 1 + period)
    codes = pd.factorize(key)[0]
    return np.where(dated | (period >= 0), codes, -1)


def combined_codes(parts: list[np.ndarray]) -> np.ndarray:
    """One code per distinct combination of several integer codes, numbered in order of
    first appearance: the parts packed into one integer, re-numbered only when the next
    part would overflow it (one hash pass for most combinations, not one per part)."""
    codes, size = np.zeros(len(parts[0]), dtype=np.int64), 1
    for part in parts:
        x = np.asarray(part, dtype=np.int64)
        low = int(x.min(initial=0))
        width = int(x.max(initial=0)) - low + 1
        if size * width >= 1 << 62:
            codes = pd.factorize(codes)[0].astype(np.int64)
            size = int(codes.max(initial=0)) + 1
        codes = codes * width + (x - low)
        size *= width
    return pd.factorize(codes)[0].astype(np.int64)


def _duplicate_rejects(d: pd.DataFrame) -> pd.DataFrame:
    """The duplicate rows as rejected rows: why, where first read, and their text."""
    return pd.DataFrame(
        {
            "source_file": d["source_file"].astype("string"),
            "source_row": d["source_row"].astype("int64"),
            "reason": pd.Series(DUPLICATE, index=d.index, dtype="string"),
            "detail": ("same transaction in " + d["_first_file"].astype(str)).astype("string"),
            "raw": (
                d["supplier_name"].fillna("")
                + " | "
                + d["amount"].astype(str)
                + " | "
                + d["date"].astype(str)
            ).astype("string"),
        }
    ).reset_index(drop=True)


def _month_gaps(months: list[str]) -> list[str]:
    """Calendar months missing between the first and last month with payments."""
    if len(months) < 2:
        return []
    full = pd.period_range(months[0], months[-1], freq="M").strftime("%Y-%m")
    return sorted(set(full) - set(months))


def write_outputs(result: IngestResult, out_dir: Path) -> dict:
    """Write transactions, rejected rows, quality.json and mapping.yaml to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result.transactions.to_parquet(out_dir / "transactions.parquet", index=False)
    result.rejected.to_parquet(out_dir / "rejected.parquet", index=False)
    quality = result.quality()
    (out_dir / "quality.json").write_text(
        json.dumps(quality, indent=2, default=_json_default), encoding="utf-8"
    )
    save_mapping(out_dir / "mapping.yaml", result.council, result.layouts)
    return quality


def _json_default(o: object) -> object:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    return str(o)
