"""Exports: every download neutralises spreadsheet formulas the same way."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from impact.outputs.exports import (
    FORMATS,
    export,
    neutralise,
    to_csv_bytes,
    to_parquet_bytes,
    to_xlsx_bytes,
)

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


def test_csv_is_neutralised() -> None:
    back = pd.read_csv(io.BytesIO(to_csv_bytes(_frame())), encoding="utf-8-sig",
                       keep_default_na=False)
    assert back["supplier_name"].iloc[0].startswith("'=")
    assert not any(str(v).startswith(("=", "+", "@")) for v in back["note"])


def test_xlsx_is_neutralised() -> None:
    back = pd.read_excel(io.BytesIO(to_xlsx_bytes(_frame())), engine="openpyxl")
    assert back["supplier_name"].iloc[0] == "'=HYPERLINK(\"http://x\")"
    assert back["note"].iloc[3] == "'@SUM(A1)"


def test_parquet_is_neutralised() -> None:
    back = pd.read_parquet(io.BytesIO(to_parquet_bytes(_frame())))
    assert back["note"].iloc[1] == "'+1+1"
    assert back["amount"].iloc[0] == -5.0


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_every_format(fmt: str) -> None:
    data, mime, ext = export(_frame(), fmt)
    assert data and mime and ext


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export(_frame(), "PDF")
