"""Downloads: CSV, XLSX and Parquet bytes, safe to open in a spreadsheet.

Supplier names and descriptions come from published files, so a cell such as
``=HYPERLINK(...)`` or ``@SUM(...)`` would run as a formula when an officer opens the
download (CSV/formula injection, OWASP).  :func:`neutralise` prefixes every text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return with ``'``; every export
goes through it.

A workbook is always for a person (Parquet and CSV may be for programs): every sheet of
every XLSX is written through :func:`impact.outputs.labels.for_people` (headers and codes in
words, flags as Yes/No, missing values blank) and named in words.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from impact.outputs import labels

#: First characters a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_text(s: pd.Series) -> bool:
    return (
        pd.api.types.is_object_dtype(s)
        or pd.api.types.is_string_dtype(s)
        or isinstance(s.dtype, pd.CategoricalDtype)
    )


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot start a formula (column names included)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not _is_text(s):
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("object")
        # a plain bool mask: an empty text column maps to text, not to booleans
        is_str = pd.Series([isinstance(v, str) for v in s], index=s.index, dtype=bool)
        text = s.where(is_str, "").astype(str)
        bad = is_str & text.str.startswith(FORMULA_STARTS)
        if bad.any():
            s = s.astype("object").copy()
            s[bad] = "'" + text[bad]
        out[col] = s
    out.columns = [
        ("'" + c) if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c for c in out.columns
    ]
    return out


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Drop geometry and the index so every format gets the same flat table."""
    out = df.drop(columns=[c for c in ("geometry",) if c in df.columns])
    return pd.DataFrame(out).reset_index(drop=True)


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads £ correctly).

    Every cell holding a line break or carriage return is quoted (``QUOTE_MINIMAL`` with a
    ``\r\n`` terminator makes the writer treat a bare ``\r`` as special), so no reader splits
    a row inside a cell.
    """
    text = neutralise(_plain(df)).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "Table") -> bytes:
    """An .xlsx workbook with one sheet; timezone-aware dates are written as local."""
    return sheets_to_xlsx_bytes({sheet: df}, widths=False)


def sheet_name(name: str) -> str:
    """A sheet's name in words, as Excel allows it (31 characters, none of ``[]:*?/\\``)."""
    return re.sub(r"[\[\]:*?/\\]", " ", labels.column(name)).strip()[:31] or "Table"


def sheets_to_xlsx_bytes(sheets: dict[str, pd.DataFrame], widths: bool = True) -> bytes:
    """An .xlsx workbook, one sheet per frame in order, for a person: headers, codes and
    sheet names in words, flags Yes/No, missing values blank
    (:func:`impact.outputs.labels.for_people`), every cell neutralised (no cell may start a
    formula), timezone-aware dates written as local; ``widths`` sizes each column to its
    header (10–60 characters)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, df in sheets.items():
            plain = _plain(pd.DataFrame(df).reset_index(drop=True))
            out = neutralise(labels.for_people(plain))
            for col in out.columns:
                if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                    out[col] = out[col].dt.tz_localize(None)
            title = sheet_name(name)
            out.to_excel(xl, sheet_name=title, index=False)
            units = plain["unit"].tolist() if "unit" in plain else None
            _number_formats(xl.sheets[title], labels.kept_columns(plain), units)
            if not widths:
                continue
            ws = xl.sheets[title]
            for i, col in enumerate(out.columns, start=1):
                width = min(60, max(10, len(str(col)) + 2))
                ws.column_dimensions[ws.cell(1, i).column_letter].width = width
    return buf.getvalue()


def _number_formats(ws: object, names: list[object], units: list[object] | None) -> None:
    """Shares shown as percentages and £ as pounds (:func:`labels.number_format` of each
    column's library name); in a table of figures of several units (a ``unit`` column),
    each row's other numbers by its own unit (:data:`labels.UNIT_FORMATS`).  The cells keep
    their numbers."""
    for i, name in enumerate(names, start=1):
        fmt = labels.number_format(name)
        if fmt is None and units is None:
            continue
        for r, (cell,) in enumerate(ws.iter_rows(min_row=2, min_col=i, max_col=i)):
            row_fmt = fmt or labels.UNIT_FORMATS.get(str(units[r]))
            if row_fmt and isinstance(cell.value, int | float) and not isinstance(
                    cell.value, bool):
                cell.number_format = row_fmt


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    """Parquet (text neutralised too, so every download says the same thing)."""
    out = neutralise(_plain(df))
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype("string")
    buf = io.BytesIO()
    out.to_parquet(buf, index=False)
    return buf.getvalue()


FORMATS = {
    "CSV": (to_csv_bytes, "text/csv", "csv"),
    "Excel (XLSX)": (
        to_xlsx_bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "Parquet": (to_parquet_bytes, "application/vnd.apache.parquet", "parquet"),
}


def for_format(df: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """A table as a file of ``fmt`` carries it: CSV and XLSX are for a person — headers and
    codes in words, flags Yes/No, missing values blank (:func:`labels.for_people`), £ to
    the penny —; Parquet is for other programs and keeps the library's names."""
    if fmt.lower() == "parquet":
        return df
    plain = _plain(df)
    for c in plain.columns:
        if pd.api.types.is_float_dtype(plain[c]):
            plain[c] = _for_reading(plain[c], pounds=labels.number_format(c) == labels.POUNDS)
    return labels.for_people(plain)


def _for_reading(s: pd.Series, pounds: bool) -> pd.Series:
    """£ to the penny (never 1038097.0300000008), counts held as floats as whole numbers
    (8575, not 8575.0), anything else to six decimal places (26.954962, not
    26.954962033483433)."""
    if pounds:
        return s.round(2)
    whole = s.dropna()
    if len(whole) and np.isfinite(whole).all() and (whole == np.floor(whole)).all():
        return s.astype("Int64")
    return s.round(6)


def download_bytes(df: pd.DataFrame, fmt: str, title: str = "Table",
                   sheets: dict[str, pd.DataFrame] | None = None) -> bytes:
    """One download's bytes, as every surface writes it — a page's download button and the
    command line's file of the same table are the same bytes: ``df`` (and, in a workbook,
    the further ``sheets`` after it, its first sheet named ``title``) in ``fmt``, for a
    person unless Parquet (:func:`for_format`), formula-safe."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    write, _, ext = FORMATS[fmt]
    if ext == "xlsx":  # the workbook writer puts every sheet in words itself
        return sheets_to_xlsx_bytes({title: df, **(sheets or {})})
    return write(for_format(df, fmt))


def export(df: pd.DataFrame, fmt: str, title: str = "Table") -> tuple[bytes, str, str]:
    """``(bytes, mime type, file extension)`` for one of :data:`FORMATS`; ``title`` names a
    workbook's sheet."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    fn, mime, ext = FORMATS[fmt]
    return (to_xlsx_bytes(df, title) if ext == "xlsx" else fn(df)), mime, ext
