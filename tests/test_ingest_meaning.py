"""Columns recognised by meaning, on small files built here: one test per failure class
seen on councils' files (issue 12), so each holds for councils nobody tuned it for."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from impact.cli import main
from impact.ingest.transactions import DUPLICATE, ingest

ROWS = [
    ("ACME SUPPLIES LTD", "1,250.00", "03/04/2024", "T1001"),
    ("BETA CARE LIMITED", "612.40", "05/04/2024", "T1002"),
    ("GAMMA TRUST", "2,000.00", "11/04/2024", "T1003"),
    ("DELTA BUILDERS PLC", "980.15", "19/04/2024", "T1004"),
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    pd.DataFrame(rows, columns=header).to_csv(buf, index=False)
    return buf.getvalue()


def one(path: Path, **kw):
    result = ingest([path], council="Test", **kw)
    q = result.quality()
    assert q["rows_in"] == q["rows_used"] + q["rows_rejected"]
    return result, result.files[0]


def decision(report, field: str) -> dict:
    return next(d for d in report.column_decisions if d["field"] == field)


# ----------------------------------------------------------------- dates by their values


@pytest.mark.parametrize("header", ["Pay Date", "Trans Date", "Clearing Date", "Updated"])
def test_a_date_column_is_recognised_whatever_its_header_calls_it(tmp_path, header):
    rows = [[n, a, d, t] for n, a, d, t in ROWS]
    f = write(tmp_path / "payments.csv", csv_text(["Supplier", "Amount", header, "Ref"], rows))
    result, rep = one(f)
    assert rep.column_mapping["date"] == header
    assert not rep.summary_file and result.transactions.date.notna().all()
    assert result.transactions.period.eq("2024-04").all()
    if header == "Updated":  # nothing in the header says "date": found, but flagged
        assert decision(rep, "date")["needs_review"]
    else:
        assert decision(rep, "date")["needs_review"] is None


# ------------------------------------------------------------------- VAT: net, then gross


@pytest.mark.parametrize(
    "headers",
    [
        ["Supplier Name", "Payment Date", "Gross", "VAT", "Net"],
        ["Supplier Name", "Payment Date", "Gross £", "VAT (£)", "Net £"],
        ["Supplier Name", "Payment Date", "Amount Inc VAT", "VAT Amount", "Amount Exc VAT"],
        ["Supplier Name", "Payment Date", "Net", "VAT", "Gross"],
    ],
)
def test_net_wins_over_gross_in_every_month_and_is_said(tmp_path, headers):
    for month in range(1, 13):
        rows = [[n, f"{month:02d}/{month:02d}/2024", f"{120 * (i + month):.2f}",
                 f"{20 * (i + month):.2f}", f"{100 * (i + month):.2f}"]
                for i, (n, *_) in enumerate(ROWS)]
        if headers[2] == "Net":  # the net column first this time
            rows = [[r[0], r[1], r[4], r[3], r[2]] for r in rows]
        write(tmp_path / f"spend-2024-{month:02d}.csv", csv_text(headers, rows))
    result = ingest([tmp_path], council="Test")
    q = result.quality()
    assert q["files_failed"] == [] and q["rows_rejected"] == 0
    assert q["amount_basis"] == {"net": 12}
    net = next(h for h in headers if "Net" in h or "Exc" in h)
    for rep in result.files:
        assert rep.column_mapping["amount"] == net
        said = decision(rep, "amount")["evidence"]
        assert "net of VAT" in said and "not used" in said
    expected = sum(100 * (i + m) for m in range(1, 13) for i in range(len(ROWS)))
    assert q["total_amount"] == pytest.approx(expected)


def test_gross_is_used_only_without_net_and_the_report_says_it_includes_vat(tmp_path):
    rows = [[n, d, a] for n, a, d, _ in ROWS]
    _, rep = one(write(tmp_path / "x.csv", csv_text(["Payee", "Date", "Gross Amount"], rows)))
    assert rep.amount_basis == "gross"
    assert "include VAT" in decision(rep, "amount")["evidence"]
    rows = [[n, d, a, a] for n, a, d, _ in ROWS]
    _, rep = one(write(tmp_path / "y.csv", csv_text(["Payee", "Date", "Gross", "Amount"], rows)))
    assert rep.amount_basis == "unlabelled" and rep.column_mapping["amount"] == "Amount"


def test_irrecoverable_vat_is_kept_as_its_own_field(tmp_path):
    rows = [[n, d, a, "12.50" if i % 2 else "0.00"] for i, (n, a, d, _) in enumerate(ROWS)]
    headers = ["Beneficiary Name", "Payment Date", "Net Amount", "Irrecoverable VAT"]
    result, rep = one(write(tmp_path / "x.csv", csv_text(headers, rows)))
    assert rep.column_mapping["irrecoverable_vat"] == "Irrecoverable VAT"
    assert result.transactions.irrecoverable_vat.tolist() == [0.0, 12.5, 0.0, 12.5]
    assert result.transactions.amount.sum() == pytest.approx(4842.55)


# ----------------------------------------------------------------- spellings and decorations


def test_invoice_nett_amount_is_an_amount(tmp_path):
    rows = [[d, n, a] for n, a, d, _ in ROWS]
    _, rep = one(write(tmp_path / "x.csv",
                       csv_text(["Trans Date", "Vendor", "Invoice Nett Amount"], rows)))
    assert rep.column_mapping == {"date": "Trans Date", "supplier_name": "Vendor",
                                  "amount": "Invoice Nett Amount"}
    assert rep.amount_basis == "net"


def test_decorated_headers_in_a_workbook_are_recognised(tmp_path):
    book = tmp_path / "spend.xlsx"
    df = pd.DataFrame({
        "* SUPPLIER FINAL": [n for n, *_ in ROWS],
        "* Date": pd.to_datetime([d for *_, d, _ in ROWS], dayfirst=True),
        "TOTAL": [float(a.replace(",", "")) for _, a, *_ in ROWS],
        "Notes": ["", "urgent", "", ""],
    })
    df.to_excel(book, index=False)
    result, rep = one(book)
    assert rep.error is None
    assert rep.column_mapping == {"supplier_name": "* SUPPLIER FINAL", "date": "* Date",
                                  "amount": "TOTAL"}
    assert len(result.transactions) == 4 and result.transactions.date.notna().all()


# ---------------------------------------------------------------------- report preambles


def _preamble(lines: int) -> str:
    """A report export's top: title, run date, parameters, date range, threshold, blank
    lines and decorative filler, repeated to ``lines`` lines."""
    pattern = [
        "Creditor Payments Report",
        "Report Date: 02/05/2024 09:14",
        "Parameters:",
        "  Date range: 01/04/2024 to 30/04/2024",
        "  Threshold: payments over £500",
        "",
        "══════════════════════════",
        "Page 1 of 1,Printed by: FINANCE\\USER",
        "• • • • • • • • •",
        "",
    ]
    return "\n".join((pattern * (lines // len(pattern) + 1))[:lines]) + "\n"


@pytest.mark.parametrize("lines", [4, 23, 85])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_report_preamble_of_any_length_before_the_header(tmp_path, lines, encoding):
    rows = [[n, d, t, a] for n, a, d, t in ROWS]
    text = _preamble(lines) + csv_text(["Supplier Name", "Payment Date", "Ref", "Amount"], rows)
    text = text.replace("═", "=") if encoding == "cp1252" else text
    result, rep = one(write(tmp_path / "report.csv", text, encoding))
    assert rep.error is None and rep.header_row == lines + 1 and rep.preamble_lines == lines
    assert rep.rows_in == 4 and rep.rows_used == 4
    assert result.transactions.supplier_name.tolist() == [n for n, *_ in ROWS]


# ------------------------------------------------------------------ periods and duplicates


def test_monthly_summaries_are_never_duplicates_of_each_other(tmp_path):
    for month in ("2024-04", "2024-05", "2024-06"):
        write(tmp_path / f"supplier-totals-{month}.csv",
              "Supplier Name,Total Amount\nACME SUPPLIES LTD,12000.00\nBETA CARE LIMITED,800.00\n")
    result = ingest([tmp_path], council="Test")
    q = result.quality()
    assert q["rows_used"] == 6 and q["duplicates"] == {"rows": 0, "amount": 0.0}
    assert set(result.transactions.period) == {"2024-04", "2024-05", "2024-06"}
    assert result.transactions.is_summary.all()


def test_summaries_of_the_same_period_are_compared_and_unknown_periods_never(tmp_path):
    text = "Supplier Name,Total Amount\nACME SUPPLIES LTD,12000.00\n"
    write(tmp_path / "totals-2024-04.csv", text)
    write(tmp_path / "totals-april-2024-reissued.csv", text)
    write(tmp_path / "totals-a.csv", text)
    write(tmp_path / "totals-b.csv", text)  # no period in either name: cannot be compared
    q = ingest([tmp_path], council="Test").quality()
    assert q["duplicates"] == {"rows": 1, "amount": 12000.0}
    assert q["rows_used"] == 3


def test_a_duplicate_needs_the_same_date_supplier_amount_and_reference(tmp_path):
    header = "Payment Date,Supplier Name,Amount,Transaction Number\n"
    write(tmp_path / "a-2024-04.csv", header + "30/04/2024,ACME LTD,700.00,T1\n"
          "30/04/2024,ACME LTD,700.00,T2\n29/04/2024,BETA LTD,100.00,T3\n")
    write(tmp_path / "b-2024-05.csv", header + "30/04/2024,ACME LTD,700.00,T1\n"  # repeat
          "30/04/2024,ACME LTD,700.00,T9\n"  # another reference: a second payment
          "01/05/2024,BETA LTD,100.00,T3\n")  # another day
    result = ingest([tmp_path], council="Test")
    q = result.quality()
    assert q["rejected_by_reason"] == {DUPLICATE: 1}
    assert q["duplicates"] == {"rows": 1, "amount": 700.0}
    dup = next(f for f in result.files if f.name == "b-2024-05.csv")
    assert dup.duplicate_rows == 1 and dup.duplicate_amount == 700.0
    assert any("repeat payments already read" in n for n in dup.notes)


# --------------------------------------------------------------------------- containers


def _spend_csv(month: int) -> bytes:
    rows = [[n, f"0{d[1]}/{month:02d}/2024", a, t] for n, a, d, t in ROWS]
    return csv_text(["Supplier Name", "Payment Date", "Amount", "Ref"], rows).encode()


def test_every_spend_file_in_a_zip_archive_is_read_and_accounted(tmp_path):
    book = io.BytesIO()
    pd.DataFrame({"Supplier Name": ["EPSILON LTD"], "Payment Date": ["02/06/2024"],
                  "Amount": [555.5]}).to_excel(book, index=False)
    archive = tmp_path / "spend-2024-25.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2024/april.csv", _spend_csv(4))
        zf.writestr("2024/may.csv", _spend_csv(5))
        zf.writestr("2024/june.xlsx", book.getvalue())
        zf.writestr("README.pdf", b"%PDF-1.4 not a spend file")
        zf.writestr("__MACOSX/._april.csv", b"junk")
    result = ingest([tmp_path], council="Test")
    q = result.quality()
    names = [f.name for f in result.files]
    assert names == ["spend-2024-25.zip › april.csv", "spend-2024-25.zip › june.xlsx",
                     "spend-2024-25.zip › may.csv"]
    assert q["files_failed"] == [] and q["rows_used"] == 9 and q["rows_rejected"] == 0
    assert set(result.transactions.source_file) == set(names)
    assert any("README.pdf" in n for n in result.files[0].notes)


def test_archive_limits_refuse_bombs_and_nested_archives(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("huge.csv", b"0" * (40 * 1024 * 1024))
    nested = tmp_path / "nested.zip"
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("april.csv", _spend_csv(4))
    with zipfile.ZipFile(nested, "w") as zf:
        zf.writestr("inner.zip", inner.getvalue())
        zf.writestr("may.csv", _spend_csv(5))
    monkeypatch.setenv("IMPACT_MAX_FILE_MB", "1")  # one member over the per-file limit too
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.csv", _spend_csv(4) * 20_000)
        zf.writestr("ok.csv", _spend_csv(6))
    result = ingest([tmp_path], council="Test")
    errors = {f.name: f.error for f in result.files}
    assert "archive expands" in errors["bomb.zip"] and "zip bomb" in errors["bomb.zip"]
    assert "archive inside an archive" in errors["nested.zip › inner.zip"]
    assert errors["nested.zip › may.csv"] is None
    assert "over the 1 MB limit" in errors["big.zip › big.csv"]
    assert errors["big.zip › ok.csv"] is None
    assert len(result.transactions) == 8


def test_a_workbook_with_one_sheet_per_month_accounts_for_each_sheet(tmp_path):
    book = tmp_path / "payments-2024.xlsx"
    with pd.ExcelWriter(book) as w:
        pd.DataFrame([["Notes: amounts exclude VAT"], ["Published monthly"]]).to_excel(
            w, sheet_name="Read me", index=False, header=False)
        for sheet in ("April 2024", "May 2024"):
            rows = [[n, a] for n, a, *_ in ROWS]
            pd.DataFrame(rows, columns=["Supplier", "Net Amount"]).to_excel(
                w, sheet_name=sheet, index=False)
    result = ingest([book], council="Test")
    q = result.quality()
    assert [f.name for f in result.files] == ["payments-2024.xlsx › April 2024",
                                              "payments-2024.xlsx › May 2024"]
    assert all(f.rows_in == f.rows_used == 4 for f in result.files)
    assert any("'Read me' holds no table" in n for n in result.files[0].notes)
    # per-supplier summaries: each sheet's period comes from the sheet's name
    assert sorted(set(result.transactions.period)) == ["2024-04", "2024-05"]
    assert q["duplicates"]["rows"] == 0


# ------------------------------------------------------------------- review, and the CLI


def test_an_ambiguous_mapping_is_flagged_with_the_rows_and_pounds_at_stake(tmp_path, capsys):
    rows = [[n, a, d, f"0{i + 1}/05/2024"] for i, (n, a, d, _) in enumerate(ROWS)]
    headers = ["Supplier", "Value", "Payment Date", "Transaction Date"]
    f = write(tmp_path / "x.csv", csv_text(headers, rows))
    out = tmp_path / "out"
    assert main(["ingest", str(f), "--council", "Test", "--out", str(out)]) == 0
    q = json.loads((out / "quality.json").read_text())
    (review,) = q["needs_review"]
    assert review["field"] == "date" and review["needs_review"].startswith("ambiguous")
    assert review["rows_at_stake"] == 4
    assert review["amount_at_stake"] == pytest.approx(4842.55)
    printed = capsys.readouterr().out
    assert "needs review" in printed and "£4,842.55" in printed
    assert "reads as" in printed  # the evidence behind each decision


def test_card_payments_are_flagged_from_their_reference(tmp_path):
    text = ("Supplier Name,Amount,Pay Date,Transno\nSHOP LTD,12.00,01/04/2024,PCARD 9514\n"
            "ACME LTD,900.00,02/04/2024,51773859\n")
    result, _ = one(write(tmp_path / "all-april-2024.csv", text))
    assert result.transactions.is_card.tolist() == [True, False]
    assert result.quality()["below_500"] == {"rows": 1, "amount": 12.0}


def test_one_file_of_a_layout_whose_values_do_not_read_is_flagged_on_its_own(tmp_path):
    header = ["Supplier Name", "Paid Date", "Amount"]
    good = [[n, d, a] for n, a, d, _ in ROWS]
    write(tmp_path / "spend-2024-04.csv", csv_text(header, good))
    no_dates = [[n, "00:00:00", a] for n, a, *_ in ROWS]
    no_amounts = [[n, d, "tbc"] for n, _, d, _ in ROWS]
    write(tmp_path / "spend-2024-05.csv", csv_text(header, no_dates))
    write(tmp_path / "spend-2024-06.csv", csv_text(header, no_amounts))
    result = ingest([tmp_path], council="Test")
    reviews = {(r["file"], r["field"]): r for r in result.quality()["needs_review"]}
    assert set(reviews) == {("spend-2024-05.csv", "date"), ("spend-2024-06.csv", "amount")}
    assert "4 of 4 rows have no readable date" in reviews[("spend-2024-05.csv", "date")][
        "needs_review"]
    assert reviews[("spend-2024-05.csv", "date")]["amount_at_stake"] == pytest.approx(4842.55)
    assert reviews[("spend-2024-06.csv", "amount")]["rows_at_stake"] == 4
    may = next(f for f in result.files if f.name == "spend-2024-05.csv")
    assert may.rows_used == 4 and may.rows_without_date == 4  # kept, with May from its name
    assert set(result.transactions.loc[result.transactions.source_file == may.name, "period"]) \
        == {"2024-05"}


def test_a_saved_mapping_wins_and_is_never_marked_for_review(tmp_path):
    rows = [[n, d, a, a] for n, a, d, _ in ROWS]
    f = write(tmp_path / "x.csv", csv_text(["Who", "When", "Gross", "Net"], rows))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  supplier_name: Who\n  date: When\n  amount: Gross\n")
    _, rep = one(f, mapping_file=mapping)
    assert rep.column_mapping == {"supplier_name": "Who", "date": "When", "amount": "Gross"}
    assert rep.amount_basis == "saved mapping" and rep.reviews() == []
    assert all(d["evidence"].startswith("saved mapping") for d in rep.column_decisions)


# ------------------------------------------------- the Transparency Code's own column names

_UNITS = ["Adult Social Care", "Children's Services", "Place", "Resources", "Corporate"]
_SERVICES = ["Highways", "Libraries", "Waste Collection", "Housing Options", "Parks"]
_SERCOP = ["HWY100", "LIB200", "WST300", "HOU400", "PRK500"]
_CATEGORIES = ["Supplies and Services", "Premises", "Transport", "Third Party Payments"]


def _code_file(path: Path, header: list[str], kinds: list[str]) -> Path:
    """A spend file in one of the Code's layouts: each column's values by its kind."""
    rows = []
    for i in range(40):
        values = {"date": f"{i % 28 + 1:02d}/05/2024", "supplier": ROWS[i % 4][0],
                  "amount": f"{600 + 37 * i}.{i:02d}", "ref": f"T{2000 + i}",
                  "unit": _UNITS[i % 5], "service": _SERVICES[(i * 3) % 5],
                  "sercop": _SERCOP[(i * 3) % 5], "category": _CATEGORIES[i % 4],
                  "vat": "0.00", "body": "Test Council"}
        rows.append([values[k] for k in kinds])
    return write(path, csv_text(header, rows))


@pytest.mark.parametrize(
    ("header", "kinds", "expected"),
    [
        (["Body name", "Transaction date", "Supplier (beneficiary)", "Transaction number",
          "Net amount", "Irrecoverable VAT", "Department/service where expenditure occured",
          "Procurement category", "CIPFA expenditure code"],
         ["body", "date", "supplier", "ref", "amount", "vat", "unit", "category", "sercop"],
         {"directorate": "Department/service where expenditure occured",
          "expense_type": "Procurement category"}),
        (["Date", "Directorate / Service Where Expenditure Incurred", "Expenditure Category",
          "Supplier Name", "Amount"],
         ["date", "unit", "category", "supplier", "amount"],
         {"directorate": "Directorate / Service Where Expenditure Incurred",
          "expense_type": "Expenditure Category"}),
        (["Organisation Label", "Effective Date", "Service Category Label", "Responsible Unit",
          "Expenditure Category", "Supplier Name", "Transaction Number", "Amount"],
         ["body", "date", "service", "unit", "category", "supplier", "ref", "amount"],
         {"service_area": "Service Category Label", "directorate": "Responsible Unit",
          "expense_type": "Expenditure Category"}),
        (["Payment Date", "Service Division Label", "Expense Type", "Supplier Name", "Amount"],
         ["date", "service", "category", "supplier", "amount"],
         {"service_area": "Service Division Label", "expense_type": "Expense Type"}),
        (["Payment Date", "SeRCOP Service Code", "Expense Type", "Supplier Name", "Amount"],
         ["date", "sercop", "category", "supplier", "amount"],
         {"service_area": "SeRCOP Service Code", "expense_type": "Expense Type"}),
    ],
)
def test_the_codes_own_column_names_and_their_variants_are_recognised(
    tmp_path, header, kinds, expected
):
    """Issue 24: 'Directorate / Service Where Expenditure Incurred' was left unused (read
    half as a date 'incurred'), so the department filter was empty for a whole council.
    The qualifier 'where expenditure incurred' names the unit, and a mixed-case acronym
    (SeRCOP) is read whole."""
    result, rep = one(_code_file(tmp_path / "spend.csv", header, kinds))
    for field, column in expected.items():
        assert rep.column_mapping.get(field) == column, (field, rep.column_mapping)
        assert decision(rep, field)["needs_review"] is None
        assert result.transactions[field].notna().all()
    assert rep.column_mapping["date"] in header and result.transactions.date.notna().all()
