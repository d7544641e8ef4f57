"""Exports: every download reads back as the table it was made from, with the formula-looking
text neutralised the same way in every format (the README's "formula-safe" downloads)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from impact.outputs import labels
from impact.outputs.exports import FORMATS, export, neutralise

DANGEROUS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "supplier_name": pd.Series([*DANGEROUS, "Acme Ltd", None], dtype="string"),
        "note": [*DANGEROUS, "plain", "x"],
        "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    })


def test_neutralise_prefixes_formula_starts_only() -> None:
    out = neutralise(_frame())
    for col in ("supplier_name", "note"):
        assert list(out[col][:6]) == ["'" + v for v in DANGEROUS]
    assert out["supplier_name"].iloc[6] == "Acme Ltd"
    assert pd.isna(out["supplier_name"].iloc[7])
    assert out["amount"].iloc[0] == -5.0  # numbers are not text: a negative stays a number


def test_neutralise_header_and_categorical() -> None:
    df = pd.DataFrame({"=cmd": pd.Categorical(["=1", "ok"])})
    out = neutralise(df)
    assert list(out.columns) == ["'=cmd"]
    assert list(out["'=cmd"]) == ["'=1", "ok"]


#: How each download format is read back, by its file extension.
READ_BACK = {
    "csv": lambda data: pd.read_csv(
        io.BytesIO(data), encoding="utf-8-sig", parse_dates=["date"], date_format="%Y-%m-%d"
    ),
    "xlsx": lambda data: pd.read_excel(io.BytesIO(data), engine="openpyxl"),
    "parquet": lambda data: pd.read_parquet(io.BytesIO(data)),
}
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def _download_frame(text: list[str]) -> pd.DataFrame:
    """A download's worth of table: formula-looking and ordinary text (£ and é included),
    a missing name, a credit, dates and a formula-looking column name."""
    n = len(text) + 2
    return pd.DataFrame({
        "supplier_name": pd.Series([*text, "Bean & Leaf Café Ltd", None], dtype="string"),
        "note": [*text, "£ plain", "x"],
        "amount": [-5.0, *range(1, n - 1), 1234.5],
        "date": pd.date_range("2024-04-01", periods=n, freq="D"),
        "=sum": range(n),
    })


def _as_read_back(text: list[str]) -> dict[str, list]:
    """What every format must give back for :func:`_download_frame`: each column's values,
    the formula-looking text (and column name) behind a ``'``, everything else as it was."""
    frame = _download_frame(text)
    safe = ["'" + v for v in text]
    return {
        "supplier_name": [*safe, "Bean & Leaf Café Ltd", None],
        "note": [*safe, "£ plain", "x"],
        "amount": frame["amount"].tolist(),
        "date": frame["date"].tolist(),
        "'=sum": frame["=sum"].tolist(),
    }


def _values(column: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in column]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_reads_back_as_the_table_with_formulas_neutralised(fmt: str) -> None:
    text = [v for v in DANGEROUS if "\r" not in v]  # a carriage return: see the test below
    data, mime, ext = export(_download_frame(text), fmt)
    assert mime == MIME[ext]
    back = READ_BACK[ext](data)
    expected = _as_read_back(text)
    if ext == "xlsx":  # a workbook is for a person: its headers in words (labels)
        expected = {labels.column(k) if k != "'=sum" else k: v for k, v in expected.items()}
    assert list(back.columns) == list(expected)
    for col, values in expected.items():
        assert _values(back[col]) == values, (fmt, col)


@pytest.mark.parametrize(
    ("fmt", "cell"),
    [
        ("CSV", "'\rCR"),
        # XML keeps no bare carriage return: it reads back as a line feed, still neutralised
        ("Excel (XLSX)", "'\nCR"),
        ("Parquet", "'\rCR"),
    ],
)
def test_a_carriage_return_cell_reads_back_in_its_row(fmt: str, cell: str) -> None:
    data, _, ext = export(_download_frame(["\rCR", "+1"]), fmt)
    back = READ_BACK[ext](data)
    assert len(back) == 4
    note = "Note" if ext == "xlsx" else "note"
    assert _values(back[note]) == [cell, "'+1", "£ plain", "x"]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_an_empty_table_exports(fmt: str) -> None:
    """A table of no rows (a template with nothing left to place) is still a download."""
    empty = pd.DataFrame({"Supplier name": pd.Series([], dtype="str"), "Spend (£)": []})
    ext = FORMATS[fmt][2]
    data = export(empty, fmt)[0]
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig") if ext == "csv" else READ_BACK[
        ext](data)
    assert len(back) == 0 and list(back.columns) == list(empty.columns)


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export(_frame(), "PDF")


def test_a_workbook_shows_shares_as_percent_and_money_as_pounds() -> None:
    """The cells keep their numbers; the spreadsheet shows 43.0% and £1,234.50 (the headers
    say which: words from :mod:`impact.outputs.labels`)."""
    import openpyxl

    from impact.outputs.exports import sheets_to_xlsx_bytes

    df = pd.DataFrame({"supplier_name": ["Acme"], "local_share": [0.43], "spend": [1234.5],
                       "payments": [3], "note": ["not enough data"]})
    ws = openpyxl.load_workbook(io.BytesIO(sheets_to_xlsx_bytes({"suppliers": df}))).active
    assert ws.title == "Suppliers"
    head = [c.value for c in ws[1]]
    assert head == ["Supplier", "Local share", "Spend", "Payments", "Note"]
    row = ws[2]
    assert (row[1].value, row[1].number_format) == (0.43, labels.PERCENT)
    assert (row[2].value, row[2].number_format) == (1234.5, labels.POUNDS)
    assert row[3].number_format == "General"


def test_a_csvs_numbers_read_as_a_person_writes_them() -> None:
    """£ to the penny, counts held as floats (after a join) as whole numbers, other figures
    to six decimals — never 8575.0 or 26.954962033483433 in a council's CSV."""
    from impact.outputs.exports import download_bytes

    df = pd.DataFrame({"spend": [1038097.0300000008, None], "residents": [8575.0, None],
                       "opportunity_score": [26.954962033483433, 0.000123456789]})
    text = download_bytes(df, "CSV").decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert back.iloc[0].tolist()[:2] == ["1038097.03", "8575"]
    assert back.iloc[0].tolist()[2] == "26.954962" and back.iloc[1].tolist()[2] == "0.000123"
    assert back.iloc[1].tolist()[:2] == ["", ""]
