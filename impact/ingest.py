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

from impact.columns import (
    Mapping,
    find_header_row,
    load_mapping,
    map_columns,
    match_field,
    norm_header,
    save_mapping,
)
from impact.names import is_redacted_name, normalise_names
from impact.schema import conform, empty_transactions
from impact.tables import SUPPORTED_SUFFIXES, RawTable, UnreadableFile, read_table
from impact.values import (
    clean_company_numbers,
    parse_amounts,
    parse_cap_rev,
    parse_dates,
    parse_flags,
    parse_yyyymm,
    period_from_name,
)

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


def ingest(
    paths: Iterable[str | Path],
    council: str,
    mapping_file: Path | None = None,
    progress: ProgressFn | None = None,
) -> IngestResult:
    """Read every spend file under ``paths`` for one council."""
    files, reports = expand_paths(paths)
    saved = load_mapping(mapping_file) if mapping_file else {"layouts": [], "columns": {}}
    layouts: list[dict] = list(saved["layouts"])
    override: dict[str, str] = saved.get("columns") or {}
    frames: list[pd.DataFrame] = []
    rejects: list[pd.DataFrame] = []
    deferred: list[tuple[Path, RawTable, FileReport]] = []
    n = max(len(files), 1)
    for i, path in enumerate(files):
        if progress:
            progress(f"Reading {path.name}", i / n)
        report = FileReport(path=str(path))
        try:
            table = read_table(path)
        except UnreadableFile as exc:
            report.error = str(exc)
            reports.append(report)
            continue
        _describe_table(report, table)
        header = find_header_row(table.cells, override=override)
        if header is None:
            deferred.append((path, table, report))
            continue
        headers = [c.strip() for c in table.cells.iloc[header].tolist()]
        report.header_row = header + 1
        report.preamble_lines = header
        body = table.cells.iloc[header + 1 :]
        mapping = map_columns(headers, body, override)
        used, rejected = _process(path, council, body, headers, mapping, report)
        if report.error is None:
            layouts.append({"headers": headers, "fields": mapping.describe(), "source": path.name})
        frames.append(used)
        rejects.append(rejected)
        reports.append(report)
    for path, table, report in deferred:
        if progress:
            progress(f"Reading header-less {path.name}", 0.95)
        layout = _matching_layout(table.cells, layouts, override)
        if layout is None:
            report.error = _no_header_reason(table.cells)
            report.rows_in = len(table.cells)
            reports.append(report)
            rejects.append(
                _rejected_rows(
                    path,
                    table.cells,
                    pd.Series("no header row and no known layout", index=table.cells.index),
                )
            )
            report.rows_rejected = report.rows_in
            report.rejected_by_reason = {"no header row and no known layout": report.rows_in}
            continue
        headers, mapping, source = layout
        report.layout = f"reused layout from {source}"
        used, rejected = _process(path, council, table.cells, headers, mapping, report)
        frames.append(used)
        rejects.append(rejected)
        reports.append(report)
    transactions = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else empty_transactions()
    )
    rejected = (
        pd.concat(rejects, ignore_index=True)
        if rejects
        else _rejected_rows(Path("."), pd.DataFrame(), pd.Series(dtype=str))
    )
    transactions = _name_columns(transactions, reports)
    transactions, dups = _split_duplicates(transactions)
    if len(dups):
        rejected = pd.concat([rejected, dups], ignore_index=True)
        by_file = dups.groupby("source_file").size()
        for r in reports:
            k = int(by_file.get(Path(r.path).name, 0))
            if k:
                r.rows_used -= k
                r.rows_rejected += k
                r.rejected_by_reason[DUPLICATE] = k
                sel = transactions["source_file"] == Path(r.path).name
                r.total_amount = round(float(transactions.loc[sel, "amount"].sum()), 2)
    if progress:
        progress("Done", 1.0)
    order = {str(p): i for i, p in enumerate(files)}
    reports.sort(key=lambda r: order.get(r.path, -1))
    return IngestResult(
        council=council,
        transactions=transactions.reset_index(drop=True),
        rejected=rejected,
        files=reports,
        layouts=_unique_layouts(layouts),
    )


def _name_columns(t: pd.DataFrame, reports: list[FileReport]) -> pd.DataFrame:
    """Normalised names and redaction flags, computed once over the batch's distinct names."""
    names = t["supplier_name"].fillna("")
    redacted = is_redacted_name(names) | t["supplier_name"].isna()
    t["is_redacted"] = redacted.astype("boolean")
    t["supplier_name_norm"] = normalise_names(t["supplier_name"].fillna("REDACTED")).astype(
        "string"
    )
    counts = redacted.groupby(t["source_file"]).sum()
    for r in reports:
        r.redacted_rows = int(counts.get(Path(r.path).name, 0))
    return t


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


def _process(
    path: Path,
    council: str,
    body: pd.DataFrame,
    headers: list[str],
    mapping: Mapping,
    report: FileReport,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Account for every record of ``body``: the used rows in canonical form, and the rejects."""
    report.column_mapping = mapping.describe()
    report.ignored_columns = mapping.ignored
    report.notes += mapping.notes
    report.rows_in = len(body)
    f = mapping.fields
    if "amount" not in f or not ({"supplier_name", "supplier_id"} & f.keys()):
        missing = "amount" if "amount" not in f else "supplier"
        report.error = (
            f"no recognisable {missing} column (headers: "
            f"{', '.join(h for h in headers if h) or 'none'})"
        )
        reason = pd.Series(f"file has no recognisable {missing} column", index=body.index)
        report.rows_rejected = report.rows_in
        report.rejected_by_reason = {reason.iloc[0]: report.rows_in} if len(body) else {}
        return empty_transactions(), _rejected_rows(path, body, reason)

    def col(name: str) -> pd.Series:
        return (
            body[f[name]].str.strip()
            if name in f
            else pd.Series(pd.NA, index=body.index, dtype="string")
        )

    reason = pd.Series(pd.NA, index=body.index, dtype="string")
    filled = body.apply(lambda c: c.str.strip().str.len() > 0)
    reason[~filled.any(axis=1)] = BLANK
    first = next((i for i, h in enumerate(headers) if h), None)
    if first is not None:
        # Repeated header lines: check fully only the rows whose first header cell repeats.
        cand = body.index[(body[first].str.strip() == headers[first]) & reason.isna()]
        if len(cand):
            header_norm = [norm_header(h) for h in headers]
            same = body.loc[cand].apply(
                lambda r: [norm_header(c) for c in r] == header_norm, axis=1
            )
            reason[same[same].index] = REPEATED_HEADER
    raw_amount = col("amount")
    amount = parse_amounts(raw_amount)
    supplier = col("supplier_name") if "supplier_name" in f else col("supplier_id")
    has_supplier = supplier.notna() & (supplier != "")
    raw_date = col("date")
    no_supplier = body.index[~has_supplier.to_numpy()]
    text_total = pd.Series(False, index=body.index)
    if len(no_supplier):
        text_total[no_supplier] = (
            body.loc[no_supplier]
            .apply(lambda c: c.str.contains(_TOTAL_RE, regex=True, na=False))
            .any(axis=1)
        )
    is_total = (
        supplier.str.contains(_TOTAL_RE, regex=True, na=False)
        | text_total
        | (~has_supplier & (raw_date.fillna("") == "") & amount.notna() & ("date" in f))
    )
    reason[reason.isna() & is_total] = TOTAL
    reason[reason.isna() & (raw_amount.fillna("") == "")] = NO_AMOUNT
    reason[reason.isna() & amount.isna()] = BAD_AMOUNT
    ok = reason.isna()
    rejected = _rejected_rows(path, body[~ok], reason[~ok])
    report.rows_used = int(ok.sum())
    report.rows_rejected = int((~ok).sum())
    report.rejected_by_reason = {k: int(v) for k, v in reason[~ok].value_counts().items()}

    rows = body[ok]
    idx = rows.index
    out = pd.DataFrame(index=idx)
    out["council"] = council
    out["source_file"] = path.name
    out["source_row"] = (idx.to_numpy() + 1).astype("int64")
    out["amount"] = amount[ok]
    names = (
        col("supplier_name")[ok]
        if "supplier_name" in f
        else pd.Series(pd.NA, index=idx, dtype="string")
    )
    out["supplier_name"] = names.where(names != "")
    out["supplier_id"] = col("supplier_id")[ok].replace("", pd.NA) if "supplier_id" in f else pd.NA
    for name in (
        "charity_number",
        "vat_number",
        "directorate",
        "service_area",
        "expense_type",
        "description",
        "transaction_id",
    ):
        out[name] = col(name)[ok].replace("", pd.NA) if name in f else pd.NA
    out["company_number"] = (
        clean_company_numbers(col("company_number")[ok]) if ("company_number" in f) else pd.NA
    )
    out["cap_rev"] = parse_cap_rev(col("cap_rev")[ok]) if "cap_rev" in f else pd.NA
    card_file = bool(_CARD_FILE_RE.search(path.stem))
    report.card_file = card_file
    out["is_card"] = (
        parse_flags(col("is_card")[ok]).fillna(card_file) if "is_card" in f else card_file
    )
    file_period = period_from_name(path.stem)
    _dates(out, rows, f, col, ok, file_period, report)
    out["is_credit"] = out["amount"] < 0
    report.total_amount = round(float(out["amount"].sum()), 2)
    report.threshold = _threshold(path.stem, out["amount"], card_file)
    used = conform(out)
    if len(used):
        dmin, dmax = used["date"].min(), used["date"].max()
        report.date_min = None if pd.isna(dmin) else dmin.date().isoformat()
        report.date_max = None if pd.isna(dmax) else dmax.date().isoformat()
    return used, rejected


def _dates(
    out: pd.DataFrame,
    rows: pd.DataFrame,
    f: dict[str, int],
    col,
    ok: pd.Series,
    file_period: tuple[str, str] | None,
    report: FileReport,
) -> None:
    """Fill date/period/is_summary; the file's own period stands in where dates are missing."""
    period_text = None
    if file_period:
        a, b = file_period
        period_text = a if a == b else f"{a}/{b}"
        report.period = period_text
    if "date" in f:
        dates = parse_dates(col("date")[ok])
        out["date"] = dates
        out["period"] = dates.dt.strftime("%Y-%m").astype("string")
        missing = dates.isna()
        report.rows_without_date = int(missing.sum())
        if missing.any():
            out.loc[missing, "period"] = period_text
            report.notes.append(
                f"{int(missing.sum())} rows have no readable date; period taken from the file name"
                if period_text
                else f"{int(missing.sum())} rows have no readable date"
            )
        out["is_summary"] = False
        return
    out["date"] = pd.NaT
    if "period" in f:
        out["period"] = parse_yyyymm(col("period")[ok])
        out["is_summary"] = False
        return
    # No dates at all: a per-supplier summary for the period the file covers.
    out["period"] = period_text
    out["is_summary"] = True
    report.summary_file = True
    report.rows_without_date = int(ok.sum())
    report.notes.append(
        "no date column: treated as a per-supplier summary for "
        + (period_text or "an unknown period")
    )


def _threshold(stem: str, amounts: pd.Series, card: bool) -> int | None:
    """The publication threshold (£): from the file name, else from the smallest amounts."""
    m = re.search(r"(?i)(?:over|above)[-_ ]?£?(\d{3})", stem)
    if m:
        return int(m.group(1))
    if card or amounts.empty:
        return None
    pos = amounts[amounts > 0]
    if pos.empty:
        return None
    below = float((pos < 500).mean())
    if below < 0.02:
        return 500
    if float((pos < 250).mean()) < 0.02:
        return 250
    return None


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
        return t, _rejected_rows(Path("."), pd.DataFrame(), pd.Series(dtype=str))
    key_cols = ["transaction_id", "date", "amount", "supplier_name_norm", "description"]
    key = pd.util.hash_pandas_object(t[key_cols].astype("string").fillna(""), index=False)
    first_file = t["source_file"].groupby(key.to_numpy()).transform("first")
    dup = key.duplicated().to_numpy() & (first_file.to_numpy() != t["source_file"].to_numpy())
    if not dup.any():
        return t, _rejected_rows(Path("."), pd.DataFrame(), pd.Series(dtype=str))
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
