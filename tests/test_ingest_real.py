"""Ingest on the real councils' files, read in place: one test per documented quirk."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from impact.cli import main
from impact.ingest.transactions import BLANK, REPEATED_HEADER, IngestResult, ingest

pytestmark = pytest.mark.shared

COUNCILS = [
    "hyndburn",
    "oxford",
    "calderdale",
    "manchester",
    "newcastle",
    "gateshead",
    "wakefield",
    "leeds",
]


@pytest.fixture(scope="module")
def results(spend_dir: Path) -> dict[str, IngestResult]:
    return {c: ingest([spend_dir / c], council=c) for c in COUNCILS}


def _file(result: IngestResult, name: str):
    return next(f for f in result.files if Path(f.path).name == name)


def test_every_file_of_every_council_is_read_and_accounted(results, spend_dir):
    n_files = 0
    for council, result in results.items():
        q = result.quality()
        assert q["files_failed"] == [], council
        assert q["rows_in"] == q["rows_used"] + q["rows_rejected"], council
        for f in q["files"]:
            assert f["rows_in"] == f["rows_used"] + f["rows_rejected"], f["path"]
            assert sum(f["rejected_by_reason"].values()) == f["rows_rejected"], f["path"]
        n_files += q["files_total"]
    assert n_files == len(list(spend_dir.glob("*/*")))  # 175 files in the corpus


@pytest.mark.parametrize(
    ("council", "rows"),
    [
        ("oxford", 61529),
        ("calderdale", 24372),
        ("manchester", 39188),
        ("newcastle", 71994),
        ("gateshead", 149185),
        ("wakefield", 16672),
        ("leeds", 16176),
    ],
)
def test_row_counts_match_the_published_line_counts(results, council, rows):
    q = results[council].quality()
    # The data README counts non-blank lines after the header; blank lines are rejected here.
    assert q["rows_in"] - q["rejected_by_reason"].get(BLANK, 0) == rows


def test_hyndburn_every_payment_line_is_used(results):
    # README: 35,961 non-blank data lines across 107 files; 3 are repeated header lines,
    # and the 3 header-less files contribute their first line as data.
    q = results["hyndburn"].quality()
    assert q["rows_used"] + q["rejected_by_reason"].get(REPEATED_HEADER, 0) == 35961 + 3


def test_hyndburn_headerless_files_reuse_the_councils_last_known_layout(results):
    for name in (
        "hyndburn_April-25-CSV.csv",
        "hyndburn_March-25-CSV.csv",
        "hyndburn_Sept-25-CVS.csv",
    ):
        f = _file(results["hyndburn"], name)
        assert f.header_row is None
        assert f.layout.startswith("reused layout from")
        assert f.column_mapping["amount"] == "Amount Paid"
    t = results["hyndburn"].transactions
    first = t[(t.source_file == "hyndburn_Sept-25-CVS.csv") & (t.source_row == 1)].iloc[0]
    assert first.supplier_name == "Oyster Partnership"
    assert first.amount == pytest.approx(1450.18)
    assert first.date == pd.Timestamp("2025-09-02")


def test_hyndburn_dos_pound_byte_is_read_as_pound(results):
    f = _file(results["hyndburn"], "hyndburn_1703.csv")
    assert "dos-pound" in f.encoding
    assert f.column_mapping["amount"] == "Net Amount(£)"


def test_hyndburn_windows_1252_and_spacer_columns(results):
    f = _file(results["hyndburn"], "hyndburn_January-25-CSV.csv")
    assert f.encoding == "cp1252" or f.encoding.startswith("utf-8")
    assert f.column_mapping["supplier_name"].startswith("Name:")
    assert f.column_mapping["date"] == "Payment Date"
    t = results["hyndburn"].transactions
    rows = t[t.source_file == "hyndburn_January-25-CSV.csv"]
    # quoted thousands ("75,092.00") and two-digit years (07/01/25)
    assert rows.amount.max() >= 75092.0
    assert rows.date.min() >= pd.Timestamp("2025-01-01")


def test_hyndburn_dd_mmm_yy_dates(results):
    t = results["hyndburn"].transactions
    rows = t[t.source_file == "hyndburn_HBC-Spend-OVER-250.00-Mar-22.csv"]
    assert rows.date.notna().all()
    assert rows.period.eq("2022-03").mean() > 0.9


def test_hyndburn_trailing_blank_lines_are_rejected_as_blank(results):
    f = _file(results["hyndburn"], "hyndburn_HBC-Spend-OVER-250.00-Mar-22.csv")
    assert f.rejected_by_reason.get(BLANK, 0) > 0
    assert set(f.rejected_by_reason) == {BLANK}


def test_hyndburn_repeated_header_lines_are_rejected(results):
    f = _file(results["hyndburn"], "hyndburn_Sept-25-CVS.csv")
    assert f.rejected_by_reason == {REPEATED_HEADER: 1}


def test_hyndburn_250_threshold_detected(results):
    f = _file(results["hyndburn"], "hyndburn_Spend-over-250-Dec-25.csv")
    assert f.threshold == 250


def test_oxford_header_variants_map_to_the_same_fields(results):
    mappings = {tuple(sorted(f.column_mapping)) for f in results["oxford"].files}
    for m in mappings:
        assert {"amount", "supplier_name", "supplier_id", "transaction_id"} <= set(m)
    f = _file(results["oxford"], "oxford_expenditure-over-500-apr-jun-2015.csv")
    assert f.column_mapping["supplier_name"].strip() == "Supplier Name"


def test_oxford_lost_dates_take_the_period_from_the_file_name(results):
    f = _file(results["oxford"], "oxford_expenditure-over-500-apr-jun-2014.csv")
    assert f.rows_without_date == f.rows_used
    t = results["oxford"].transactions
    rows = t[t.source_file == f.path.split("/")[-1]]
    assert (rows.period == "2014-04/2014-06").all()


def test_calderdale_company_and_charity_numbers(results):
    t = results["calderdale"].transactions
    cn = t.company_number.dropna()
    assert len(cn) > 0.1 * len(t)
    assert cn.str.len().eq(8).all()
    # the charity-number column is mapped even though Calderdale leaves it empty
    assert "charity_number" in results["calderdale"].files[0].column_mapping
    assert (t.amount < 0).any() and t.is_credit.sum() == (t.amount < 0).sum()


def test_manchester_redacted_personal_information(results):
    t = results["manchester"].transactions
    share = t.is_redacted.mean()
    assert 0.03 < share < 0.10  # README: about 6 % of rows
    assert t.loc[t.is_redacted, "supplier_name"].str.contains("Redacted", case=False).all()


def test_newcastle_quoted_commas_and_ragged_lines_lose_no_rows(results):
    # A third of Newcastle's lines have more commas than header cells (quoted commas in
    # names and trailing separators): every payment line is still used.
    q = results["newcastle"].quality()
    assert q["rows_used"] == 71994
    assert set(q["rejected_by_reason"]) <= {BLANK}


def test_gateshead_cryptic_headers_and_names_in_supplier_id(results):
    t = results["gateshead"].transactions
    assert t.supplier_name.notna().mean() > 0.95
    assert (t.supplier_name == "LOCKWISE LTD").any()
    assert t.date.dt.month.iloc[0] == 4  # the 'Updated' date, not the yyyymm fiscal 'Period'
    f = results["gateshead"].files[0]
    assert f.column_mapping["directorate"] == "Nstrg(T)"


def test_wakefield_card_file_is_flagged(results):
    t = results["wakefield"].transactions
    card = t[t.source_file == "wakefield_2021-Q3-card.csv"]
    assert card.is_card.all()
    assert _file(results["wakefield"], "wakefield_2021-Q3-card.csv").card_file


def test_leeds_windows_1252_and_procurement_card_flag(results):
    t = results["leeds"].transactions
    assert results["leeds"].files[0].encoding == "cp1252"
    assert t.is_card.any() and not t.is_card.all()
    assert set(t.cap_rev.dropna().unique()) <= {"capital", "revenue"}


def test_cli_writes_the_contract_files(tmp_path, spend_dir):
    out = tmp_path / "wakefield"
    assert (
        main(
            [
                "ingest",
                str(spend_dir / "wakefield"),
                "--council",
                "Wakefield",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    q = json.loads((out / "quality.json").read_text())
    for key in (
        "rows_in",
        "rows_used",
        "rows_rejected",
        "rejected_by_reason",
        "files",
        "total_amount",
        "date_min",
        "date_max",
    ):
        assert key in q
    for f in q["files"]:
        assert {
            "path",
            "encoding",
            "header_row",
            "rows_in",
            "rows_used",
            "rows_rejected",
            "column_mapping",
        } <= set(f)
    t = pd.read_parquet(out / "transactions.parquet")
    assert len(t) == q["rows_used"]
    assert t.amount.sum() == pytest.approx(q["total_amount"], abs=0.01)
