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

from impact.core.values import (
    clean_company_numbers,
    month_labels,
    parse_amounts,
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
    match_field,
    norm_header,
    save_mapping,
)
from impact.ingest.names import is_redacted_name, normalise_names
from impact.ingest.schema import conform, empty_transactions
from impact.ingest.tables import SUPPORTED_SUFFIXES, RawTable, UnreadableFile, read_table

# Rejection reasons: short, stable strings (they are keys in quality.json).
BLANK = "blank line"
REPEATED_HEADER = "repeated header line"
TOTAL = "total or subtotal line"
NO_AMOUNT = "amount missing"
BAD_AMOUNT = "amount is not a number"
DUPLICATE = "duplicate of a transaction in an overlapping file"

_TOTAL_RE = r"(?i)^\s*(?:grand\s*|sub[\s-]*)?totals?\s*(?:$|:|for\b|spend\b|paid\b|amount\b|\d)"
_CARD_FILE_RE = re.compile(r"(?i)(p[-_ ]?card|purchase[-_ ]?card|\bgpc\b|[-_]card\b)")

ProgressFn = Callable[[str, float], None]


@dataclass
class FileReport:
    """What happened to one file: how it was read, mapped and accounted."""

    path: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None  # 1-based record number of the header; None if header-less
    layout: str = "header"  # "header", "reused layout from <file>", or "saved mapping"
    column_mapping: dict[str, str] = field(default_factory=dict)
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
    notes: list[str] = field(default_factory=list)
    error: str | None = None


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
            "suppliers": int(t["supplier_name_norm"].nunique()),
            "files": [asdict(f) for f in self.files],
        }


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
    frame: pd.DataFrame  # canonical field → raw column, plus _row, _nonblank, _header, _texttotal
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


@dataclass
class _Reading:
    """What reading the files one by one gathers for the batch-wide pass."""

    layouts: list[dict]  # the saved mapping's layouts, then each file's as it is read
    override: dict[str, str]  # columns the saved mapping fixes
    staged: list[_Staged] = field(default_factory=list)
    failed: list[pd.DataFrame] = field(default_factory=list)  # rows of files refused whole
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

    Files are read and their columns mapped one by one; the row-level work (parsing
    amounts and dates, classifying rejects, normalising names) then runs once over the
    whole batch, so many small monthly files cost little more than one big one.
    """
    files, reports = expand_paths(paths)
    reading = _Reading.start(mapping_file)
    for i, path in enumerate(files):
        if progress:
            progress(f"Reading {path.name}", 0.8 * i / max(len(files), 1))
        reports.append(FileReport(path=str(path)))
        _read_file(path, reports[-1], reading)
    for path, table, report in reading.headerless:
        _stage_by_known_layout(path, table, report, reading)
    if progress:
        progress("Checking every row", 0.85)
    transactions, rejected = _batch(reading.staged, council)
    if reading.failed:
        rejected = pd.concat([*reading.failed, rejected], ignore_index=True)
    transactions, dups = _split_duplicates(transactions)
    if len(dups):
        rejected = pd.concat([rejected, dups], ignore_index=True)
    _file_stats(reading.staged, transactions, rejected)
    if progress:
        progress("Done", 1.0)
    order = {str(p): i for i, p in enumerate(files)}
    reports.sort(key=lambda r: order.get(r.path, -1))
    return IngestResult(
        council=council,
        transactions=transactions.reset_index(drop=True),
        rejected=rejected.reset_index(drop=True),
        files=reports,
        layouts=_unique_layouts(reading.layouts),
    )


def _read_file(path: Path, report: FileReport, reading: _Reading) -> None:
    """Read one file, find its header and map its columns; a file without a header waits
    until every file's layout is known (a later file may show the layout it shares)."""
    try:
        table = read_table(path)
    except UnreadableFile as exc:
        report.error = str(exc)
        return
    _describe_table(report, table)
    header = find_header_row(table.cells, override=reading.override)
    if header is None:
        reading.headerless.append((path, table, report))
        return
    headers = [c.strip() for c in table.cells.iloc[header].tolist()]
    report.header_row = header + 1
    report.preamble_lines = header
    body = table.cells.iloc[header + 1 :]
    mapping = map_columns(headers, body, reading.override)
    stage = _stage(_FileBody(path, body, headers, mapping), report, reading.failed)
    if stage is not None:
        reading.staged.append(stage)
        reading.layouts.append(
            {"headers": headers, "fields": mapping.describe(), "source": path.name}
        )


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
    stage = _stage(_FileBody(path, table.cells, headers, mapping), report, reading.failed)
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
    """One line saying why a file has no usable header, naming what its first line holds."""
    first = next((r for r in cells.itertuples(index=False) if any(str(c).strip() for c in r)), ())
    heads = [str(c).strip() for c in first if str(c).strip()][:12]
    fields = {m[0] for h in heads if (m := match_field(h)) is not None}
    missing = "amount" if "amount" not in fields else "supplier"
    return (
        f"no recognisable {missing} column (first line: {', '.join(heads)[:200] or 'empty'}) "
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
        f"{', '.join(h for h in file.headers if h) or 'none'})"
    )
    reason = f"file has no recognisable {missing} column"
    report.rows_rejected = report.rows_in
    report.rejected_by_reason = {reason: report.rows_in} if len(file.body) else {}
    return _rejected_rows(file.path, file.body, pd.Series(reason, index=file.body.index))


def _mapped_frame(file: _FileBody) -> pd.DataFrame:
    """The mapped columns by canonical name, with what the batch pass needs per row:
    file line (``_row``), any text (``_nonblank``), a repeated header (``_header``) and a
    total line without a supplier (``_texttotal``)."""
    body, fields = file.body, file.mapping.fields
    frame = pd.DataFrame({name: body[pos] for name, pos in fields.items()}, index=body.index)
    frame["_row"] = (body.index.to_numpy() + 1).astype("int64")
    frame["_nonblank"] = body.ne("").any(axis=1)
    frame["_header"] = _repeated_headers(body, file.headers)
    supplier = frame["supplier_name"] if "supplier_name" in fields else frame["supplier_id"]
    frame["_texttotal"] = _total_lines_without_supplier(body, supplier, frame["_nonblank"])
    return frame.reset_index(drop=True)


def _repeated_headers(body: pd.DataFrame, headers: list[str]) -> pd.Series:
    """Rows repeating the header (files pasted together): checked fully only where the
    first header cell repeats, so a big file costs one string comparison per row."""
    same_header = pd.Series(False, index=body.index)
    first = next((i for i, h in enumerate(headers) if h), None)
    if first is None:
        return same_header
    cand = body.index[body[first].str.strip() == headers[first]]
    if len(cand):
        header_norm = [norm_header(h) for h in headers]
        same = body.loc[cand].apply(lambda r: [norm_header(c) for c in r] == header_norm, axis=1)
        same_header.loc[same[same].index] = True
    return same_header


def _total_lines_without_supplier(
    body: pd.DataFrame, supplier: pd.Series, nonblank: pd.Series
) -> pd.Series:
    """Rows without a supplier whose text says "total" in any cell (a subtotal line)."""
    texttotal = pd.Series(False, index=body.index)
    no_supplier = body.index[((supplier.str.strip() == "") & nonblank).to_numpy()]
    if len(no_supplier):
        texttotal.loc[no_supplier] = (
            body.loc[no_supplier]
            .apply(lambda c: c.str.contains(_TOTAL_RE, regex=True, na=False))
            .any(axis=1)
        )
    return texttotal


def _facts_from_file_name(path: Path, report: FileReport) -> tuple[str | None, bool]:
    """The period (``2024-05`` or ``2024-04/2024-06``) and whether it is a P-card file, as
    the file's name says: summaries and undated rows take their period from it."""
    file_period = period_from_name(path.stem)
    period_text = None
    if file_period:
        a, b = file_period
        period_text = a if a == b else f"{a}/{b}"
        report.period = period_text
    card_file = bool(_CARD_FILE_RE.search(path.stem))
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
    """Classify and convert every staged row at once: (used rows, rejected rows)."""
    if not staged:
        return empty_transactions(), _no_rejected_rows()
    rows = _StackedRows.of(staged)
    reason = _reject_reasons(rows)
    ok = reason.isna().to_numpy()
    return conform(_used_rows(rows, ok, council)), _rejected_in_batch(rows, reason, ok)


def _field(raw: pd.DataFrame, name: str) -> pd.Series:
    """A canonical field's text, stripped, blank → NA (all NA when no file maps it)."""
    if name not in raw.columns:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    col = raw[name].astype("string").str.strip()
    return col.mask(col == "")


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
            amount=parse_amounts(amount_text),
            date_text=_field(raw, "date"),
        )

    def field(self, name: str) -> pd.Series:
        return _field(self.raw, name)

    def per_file(self, values: list) -> np.ndarray:
        """One value per staged file, spread to that file's rows."""
        return np.asarray(values, dtype=object)[self.file_no]

    def file_maps(self, name: str) -> np.ndarray:
        """Per row: whether its file has a column for ``name``."""
        return self.per_file([name in st.fields for st in self.staged]).astype(bool)


def _reject_reasons(rows: _StackedRows) -> pd.Series:
    """Why each row is set aside (NA: used), the first reason that applies: blank line,
    repeated header, total line, no amount, amount not a number."""
    raw = rows.raw
    supplier = rows.field("supplier_name").where(
        rows.file_maps("supplier_name"), rows.field("supplier_id")
    )
    reason = pd.Series(pd.NA, index=raw.index, dtype="string")
    reason[~raw["_nonblank"].to_numpy(dtype=bool)] = BLANK
    reason[reason.isna() & raw["_header"].to_numpy(dtype=bool)] = REPEATED_HEADER
    is_total = (
        supplier.str.contains(_TOTAL_RE, regex=True, na=False)
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


def _used_rows(rows: _StackedRows, ok: np.ndarray, council: str) -> pd.DataFrame:
    """The used rows in canonical columns: where each came from, its £, its text fields."""
    use = rows.raw.index[ok]
    fno = rows.file_no[ok]
    out = pd.DataFrame(index=use)
    out["council"] = pd.Series(council, index=use, dtype="string")
    out["source_file"] = pd.Series(
        np.asarray([st.path.name for st in rows.staged], dtype=object)[fno],
        index=use,
        dtype="string",
    )
    out["source_row"] = rows.raw.loc[use, "_row"].astype("int64")
    out["amount"] = rows.amount[ok]
    out["supplier_name"] = rows.field("supplier_name")[ok]
    for name in _TEXT_FIELDS:
        out[name] = rows.field(name)[ok]
    out["company_number"] = clean_company_numbers(rows.field("company_number")[ok])
    out["cap_rev"] = parse_cap_rev(rows.field("cap_rev")[ok])
    card_default = pd.Series(np.asarray([st.card_file for st in rows.staged])[fno], index=use)
    out["is_card"] = (
        parse_card_flags(rows.field("is_card")[ok]).fillna(card_default).astype("boolean")
    )
    _with_dates_and_periods(out, rows, ok)
    out["is_credit"] = out["amount"] < 0
    names = out["supplier_name"]
    out["is_redacted"] = (is_redacted_name(names.fillna("")) | names.isna()).astype("boolean")
    out["supplier_name_norm"] = normalise_names(names.fillna("REDACTED")).astype("string")
    return out


def _with_dates_and_periods(out: pd.DataFrame, rows: _StackedRows, ok: np.ndarray) -> None:
    """Payment date, and the month it falls in: from the date, else a period column, else
    the file's name.  A file with neither date nor period column is a summary."""
    dates = parse_dates(rows.date_text[ok])
    out["date"] = dates
    period = month_labels(dates)
    file_period = pd.Series(
        rows.per_file([st.period_text for st in rows.staged])[ok], index=out.index, dtype="string"
    )
    if "period" in rows.raw.columns and period.isna().any():
        missing = period.isna()
        period[missing] = parse_yyyymm(rows.field("period")[ok][missing])
    out["period"] = period.fillna(file_period)
    out["is_summary"] = ~(rows.file_maps("date")[ok] | rows.file_maps("period")[ok])


def _file_stats(staged: list[_Staged], t: pd.DataFrame, rejected: pd.DataFrame) -> None:
    """Per-file counts, totals and dates for the reports, from the batch results."""
    if not staged:
        return
    names = pd.Series([st.path.name for st in staged])
    used = t.groupby("source_file", observed=True)
    counts = used.size()
    total = used["amount"].sum()
    dmin, dmax = used["date"].min(), used["date"].max()
    nodate = t["date"].isna().groupby(t["source_file"]).sum()
    red = t["is_redacted"].fillna(False).groupby(t["source_file"]).sum()
    rej = rejected.groupby(["source_file", "reason"], observed=True).size()
    pos = t[t["amount"] > 0]
    below = {
        limit: (pos["amount"] < limit).groupby(pos["source_file"]).mean() for limit in (250, 500)
    }
    for name, st in zip(names, staged, strict=True):
        r = st.report
        r.rows_used = int(counts.get(name, 0))
        r.rows_rejected = r.rows_in - r.rows_used
        r.rejected_by_reason = (
            {k: int(v) for k, v in rej.loc[name].items()}
            if name in rej.index.get_level_values(0)
            else {}
        )
        r.total_amount = round(float(total.get(name, 0.0)), 2)
        lo, hi = dmin.get(name, pd.NaT), dmax.get(name, pd.NaT)
        r.date_min = None if pd.isna(lo) else lo.date().isoformat()
        r.date_max = None if pd.isna(hi) else hi.date().isoformat()
        r.rows_without_date = int(nodate.get(name, 0))
        r.redacted_rows = int(red.get(name, 0))
        if r.rows_without_date and not r.summary_file:
            r.notes.append(
                f"{r.rows_without_date} rows have no readable date; period taken from the file name"
                if st.period_text
                else f"{r.rows_without_date} rows have no readable date"
            )
        r.threshold = _threshold(
            st.path.stem, below[500].get(name), below[250].get(name), st.card_file
        )


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
    if len(rows) and rows.shape[1] > 1:
        text = (
            rows.iloc[:, 0]
            .astype(str)
            .str.cat([rows.iloc[:, i].astype(str) for i in range(1, rows.shape[1])], sep=" | ")
            .str.slice(0, 500)
        )
    elif len(rows):
        text = rows.iloc[:, 0].astype(str).str.slice(0, 500)
    else:
        text = pd.Series(dtype="string")
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
    """Rows repeating a transaction already read from a *different* file (overlapping files)."""
    if t.empty:
        return t, _no_rejected_rows()
    if t["source_file"].nunique() < 2:
        return t, _no_rejected_rows()
    # Factorised codes make a cheap composite key (no string hashing of every row).
    parts = [
        pd.factorize(t[c], use_na_sentinel=True)[0].astype("int64")
        for c in ("transaction_id", "supplier_name_norm", "description")
    ]
    parts.append(t["date"].to_numpy().view("int64"))
    parts.append(pd.factorize(t["amount"])[0].astype("int64"))
    key = pd.MultiIndex.from_arrays(parts)
    codes = pd.factorize(key)[0]
    files = pd.factorize(t["source_file"])[0]
    first_file_code = pd.Series(files).groupby(codes).transform("first").to_numpy()
    dup = pd.Series(codes).duplicated().to_numpy() & (first_file_code != files)
    first_file = pd.Series(pd.factorize(t["source_file"])[1].take(first_file_code), index=t.index)
    if not dup.any():
        return t, _no_rejected_rows()
    d = t[dup]
    rejected = pd.DataFrame(
        {
            "source_file": d["source_file"].astype("string"),
            "source_row": d["source_row"].astype("int64"),
            "reason": pd.Series(DUPLICATE, index=d.index, dtype="string"),
            "detail": ("same transaction in " + first_file[dup].astype(str)).astype("string"),
            "raw": (
                d["supplier_name"].fillna("")
                + " | "
                + d["amount"].astype(str)
                + " | "
                + d["date"].astype(str)
            ).astype("string"),
        }
    ).reset_index(drop=True)
    return t[~dup], rejected


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
