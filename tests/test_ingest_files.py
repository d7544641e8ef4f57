"""Ingest on small files written in the test: formats, encodings, quirks and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.cli import main
from impact.ingest.transactions import (
    BAD_AMOUNT,
    BLANK,
    DUPLICATE,
    REPEATED_HEADER,
    TOO_LONG,
    TOTAL,
    ingest,
)

HEADER = "Directorate,Payment Date,Transaction Number,Net Amount,Supplier Name\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def one(path: Path, council: str = "Test"):
    result = ingest([path], council=council)
    q = result.quality()
    assert q["rows_in"] == q["rows_used"] + q["rows_rejected"]
    return result, result.files[0]


def test_plain_csv_maps_every_column(tmp_path):
    f = write(
        tmp_path / "spend-2024-04.csv",
        HEADER + 'Adults,01/04/2024,T1,"1,234.50",ACME LTD\nPlaces,02/04/2024,T2,600,Bob\'s Café\n',
    )
    result, rep = one(f)
    t = result.transactions
    assert list(t.amount) == [1234.5, 600.0]
    assert t.date.tolist() == [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-04-02")]
    assert set(rep.column_mapping) == {
        "directorate",
        "date",
        "transaction_id",
        "amount",
        "supplier_name",
    }
    assert t.period.tolist() == ["2024-04", "2024-04"]
    assert t.council.eq("Test").all() and t.source_row.tolist() == [2, 3]  # record 1 is the header


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_any_delimiter(tmp_path, sep):
    text = (HEADER + "A,01/04/2024,T1,700,ACME LTD\n").replace(",", sep)
    result, rep = one(write(tmp_path / "x.csv", text))
    assert rep.delimiter == sep and len(result.transactions) == 1


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path, encoding):
    text = "Directorate,Payment Date,Net Amount (£),Supplier Name\nA,01/04/2024,700,Café Ltd\n"
    result, rep = one(write(tmp_path / "x.csv", text, encoding))
    assert result.transactions.supplier_name.iloc[0] == "Café Ltd"
    assert rep.column_mapping["amount"] == "Net Amount (£)"


def test_dos_pound_byte(tmp_path):
    data = b"Name,Payment date,Net Amount(\x9c)\r\nACME LTD,04/01/2017,325.00\r\n"
    f = tmp_path / "x.csv"
    f.write_bytes(data)
    _, rep = one(f)
    assert rep.column_mapping["amount"] == "Net Amount(£)" and "dos-pound" in rep.encoding


def test_preamble_blank_header_cells_and_spacer_columns(tmp_path):
    text = (
        "Spending over £500, April 2024\n\n"
        "Directorate,,Payment Date,,Net Amount,,Supplier Name\n"
        "A,,01/04/2024,,700,,ACME LTD\n"
    )
    result, rep = one(write(tmp_path / "x.csv", text))
    assert rep.header_row == 3 and rep.preamble_lines == 2
    assert result.transactions.supplier_name.tolist() == ["ACME LTD"]


def test_repeated_header_total_blank_and_bad_amount_lines_are_rejected(tmp_path):
    text = (
        HEADER
        + "A,01/04/2024,T1,700,ACME LTD\n"
        + HEADER
        + ",,,,\nA,02/04/2024,T2,n/a,ACME LTD\n,,,1400,\nTotal,,,1400,\n"
        "A,03/04/2024,T3,900,TOTAL GAS & POWER LTD\n"
    )
    result, rep = one(write(tmp_path / "x.csv", text))
    assert rep.rejected_by_reason == {REPEATED_HEADER: 1, BLANK: 1, BAD_AMOUNT: 1, TOTAL: 2}
    # a supplier whose name starts with "Total" is a supplier, not a total line
    assert result.transactions.supplier_name.tolist() == ["ACME LTD", "TOTAL GAS & POWER LTD"]
    rej = result.rejected
    assert set(rej.reason) == set(rep.rejected_by_reason)
    assert rej.raw.str.len().gt(0).all()


def test_money_formats_and_credit_notes(tmp_path):
    rows = ['"£1,000.00"', '"(250.00)"', "120.00-", "£5", '"1,000,000"', "75CR"]
    text = HEADER + "".join(f"A,01/04/2024,T{i},{a},S{i} LTD\n" for i, a in enumerate(rows))
    result, _ = one(write(tmp_path / "x.csv", text))
    t = result.transactions
    assert t.amount.tolist() == [1000.0, -250.0, -120.0, 5.0, 1_000_000.0, -75.0]
    assert t.is_credit.tolist() == [False, True, True, False, False, True]


def test_date_formats(tmp_path):
    dates = ["03/04/2024", "03/04/24", "2024-04-03", "03-Apr-24", "45385", "3 April 2024"]
    text = HEADER + "".join(f"A,{d},T{i},600,S LTD\n" for i, d in enumerate(dates))
    result, _ = one(write(tmp_path / "x.csv", text))
    assert result.transactions.date.eq(pd.Timestamp("2024-04-03")).all()


def test_redacted_suppliers_are_flagged(tmp_path):
    names = ["REDACTED", "Redacted Personal Information", "NAME WITHHELD", "ACME LTD"]
    text = HEADER + "".join(f"A,01/04/2024,T{i},600,{n}\n" for i, n in enumerate(names))
    result, rep = one(write(tmp_path / "x.csv", text))
    assert result.transactions.is_redacted.tolist() == [True, True, True, False]
    assert rep.redacted_rows == 3


def test_summary_file_without_dates_keeps_rows_with_the_file_period(tmp_path):
    text = "Supplier Name,Total Amount\nACME LTD,12000\nBETA LTD,800\n"
    result, rep = one(write(tmp_path / "supplier-summary-apr-jun-2023.csv", text))
    t = result.transactions
    assert t.is_summary.all() and rep.summary_file
    assert (t.period == "2023-04/2023-06").all()
    assert t.date.isna().all()


def test_card_file_flag_and_threshold(tmp_path):
    text = HEADER + "".join(f"A,01/04/2024,T{i},{10 + i},SHOP{i}\n" for i in range(5))
    result, rep = one(write(tmp_path / "purchase-card-2024-04.csv", text))
    assert result.transactions.is_card.all() and rep.card_file
    text = HEADER + "".join(f"A,01/04/2024,T{i},{260 + i * 50},S{i} LTD\n" for i in range(20))
    _, rep = one(write(tmp_path / "spend-over-250-2024-04.csv", text))
    assert rep.threshold == 250


def test_headerless_file_reuses_the_councils_layout(tmp_path):
    write(tmp_path / "a-2024-04.csv", HEADER + "A,01/04/2024,T1,700,ACME LTD\n")
    write(
        tmp_path / "b-2024-05.csv", "B,01/05/2024,T2,800,BETA LTD\nB,02/05/2024,T3,900,GAMMA LTD\n"
    )
    result = ingest([tmp_path], council="Test")
    b = next(f for f in result.files if f.path.endswith("b-2024-05.csv"))
    assert b.header_row is None and b.layout == "reused layout from a-2024-04.csv"
    assert b.rows_used == 2  # the first line is data, not a header


def test_duplicates_across_overlapping_files_are_reported_not_dropped(tmp_path):
    write(
        tmp_path / "a-2024-04.csv", HEADER + "A,30/04/2024,T1,700,ACME LTD\nA,29/04/2024,T0,100,X\n"
    )
    write(
        tmp_path / "b-2024-05.csv", HEADER + "A,30/04/2024,T1,700,ACME LTD\nB,01/05/2024,T2,800,B\n"
    )
    result = ingest([tmp_path], council="Test")
    q = result.quality()
    assert q["rejected_by_reason"] == {DUPLICATE: 1}
    assert q["rows_in"] == 4 and q["rows_used"] == 3
    dup = result.rejected.iloc[0]
    assert dup.source_file == "b-2024-05.csv" and "a-2024-04.csv" in dup.detail
    assert q["total_amount"] == pytest.approx(1600.0)


def test_lines_with_more_fields_than_header_cells_are_kept(tmp_path):
    text = HEADER + "A,01/04/2024,T1,700,ACME LTD,#N/A\nA,02/04/2024,T2,800,BETA LTD\n"
    result, rep = one(write(tmp_path / "x.csv", text))
    assert result.transactions.amount.tolist() == [700.0, 800.0]
    assert any("blank header" in c for c in rep.ignored_columns)


def test_identical_rows_within_one_file_are_kept(tmp_path):
    # Hyndburn publishes two identical lines for two identical invoices: both are spend.
    text = HEADER + "A,01/04/2024,T1,390,STANLEY BROS\nA,01/04/2024,T1,390,STANLEY BROS\n"
    result, _ = one(write(tmp_path / "x.csv", text))
    assert len(result.transactions) == 2


def test_xlsx_and_ods(tmp_path):
    df = pd.DataFrame(
        {
            "Payment Date": [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-04-02")],
            "Amount": [700.0, 800.5],
            "Supplier Name": ["ACME LTD", "BETA LTD"],
        }
    )
    xlsx = tmp_path / "spend.xlsx"
    with pd.ExcelWriter(xlsx) as w:
        pd.DataFrame([["Council spend over £500"]]).to_excel(w, index=False, header=False)
        df.to_excel(w, index=False, startrow=2)
    result, rep = one(xlsx)
    assert rep.header_row == 3
    assert result.transactions.amount.tolist() == [700.0, 800.5]
    assert result.transactions.date.tolist() == list(df["Payment Date"])
    pytest.importorskip("odf")
    ods = tmp_path / "spend.ods"
    df.to_excel(ods, index=False, engine="odf")
    result, _ = one(ods)
    assert result.transactions.amount.tolist() == [700.0, 800.5]


def test_formulas_and_markup_in_text_stay_data(tmp_path):
    text = HEADER + 'A,01/04/2024,=HYPERLINK("http://x"),700,<img src=x onerror=alert(1)>\n'
    result, _ = one(write(tmp_path / "x.csv", text))
    t = result.transactions
    assert t.supplier_name.iloc[0] == "<img src=x onerror=alert(1)>"
    assert t.transaction_id.iloc[0].startswith("=HYPERLINK")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02\x03" * 1000, "this file is not text"),
        (b"PK\x03\x04truncated-zip", "could not read spreadsheet"),
        (b"Name,Colour\nAlice,Blue\nBob,Green\n", "no recognisable amount"),
        (b"Amount,Colour\n1,Blue\n", "no recognisable supplier"),
    ],
)
def test_bad_files_get_one_line_errors_and_the_batch_goes_on(tmp_path, content, message):
    bad = tmp_path / ("bad.xlsx" if content.startswith(b"PK") else "bad.csv")
    bad.write_bytes(content)
    good = write(tmp_path / "good-2024-04.csv", HEADER + "A,01/04/2024,T1,700,ACME LTD\n")
    result = ingest([bad, good], council="Test")
    bad_report = result.files[0]
    assert bad_report.error and message in bad_report.error and "\n" not in bad_report.error
    assert len(result.transactions) == 1  # nothing else lost
    q = result.quality()
    assert q["rows_in"] == q["rows_used"] + q["rows_rejected"]


def test_a_file_named_xlsx_that_is_not_a_workbook(tmp_path):
    f = write(tmp_path / "fake.xlsx", "just text\n")
    _, rep = one(f)
    assert "not a spreadsheet" in rep.error


def test_file_size_limit(tmp_path):
    from impact.ingest.tables import UnreadableFile, read_table

    f = write(tmp_path / "big.csv", HEADER + "A,01/04/2024,T1,700,ACME LTD\n" * 100)
    with pytest.raises(UnreadableFile, match="over the"):
        read_table(f, max_bytes=100)


def test_saved_mapping_overrides_a_column(tmp_path):
    f = write(tmp_path / "x.csv", "Who,When,How much\nACME LTD,01/04/2024,700\n")
    _, rep = one(f)
    assert rep.error  # nothing recognisable without help
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  supplier_name: Who\n  date: When\n  amount: How much\n")
    result = ingest([f], council="Test", mapping_file=mapping)
    assert result.transactions.amount.tolist() == [700.0]
    assert result.files[0].column_mapping["supplier_name"] == "Who"


def test_cli_exit_status(tmp_path, capsys):
    bad = write(tmp_path / "bad.csv", "Name,Colour\nAlice,Blue\n")
    assert (
        main(["ingest", str(bad), "--council", "T", "--out", str(tmp_path / "o"), "--quiet"]) == 1
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing could be read" in err[0]
    good = write(tmp_path / "g-2024-04.csv", HEADER + "A,01/04/2024,T1,700,ACME LTD\n")
    assert (
        main(
            [
                "ingest",
                str(good),
                str(bad),
                "--council",
                "T",
                "--out",
                str(tmp_path / "o2"),
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "ingest",
                str(tmp_path / "missing"),
                "--council",
                "T",
                "--out",
                str(tmp_path / "o3"),
                "--quiet",
            ]
        )
        == 1
    )


def test_demo_borough_ingests_exactly_as_the_generator_expects():
    import json

    from impact.core.settings import demo_dir

    expected = json.loads((demo_dir() / "expected.json").read_text())
    result = ingest([demo_dir() / "spend"], council="Demo")
    q = result.quality()
    assert q["rows_rejected"] == sum(q["rejected_by_reason"].values())
    summary = expected["summary"]
    assert q["total_amount"] == pytest.approx(summary["unique_amount_total"], abs=0.01)
    assert q["rows_used"] == summary["unique_transactions"]
    assert q["redacted_rows"] == summary["redacted_rows"]
    assert q["card_rows"] == summary["card_rows"]
    assert q["files_failed"] == []
    assert REPEATED_HEADER in q["rejected_by_reason"] and TOTAL in q["rejected_by_reason"]
    assert DUPLICATE in q["rejected_by_reason"]


def test_a_date_column_that_changes_format_part_way_reads_fully():
    from impact.core.values import parse_dates

    values = pd.Series([f"{d:02d}/04/2024" for d in range(1, 29)] * 3 + ["03-Apr-24", "45385"])
    parsed = parse_dates(values)
    assert parsed.notna().all()
    assert parsed.iloc[-2] == pd.Timestamp("2024-04-03") == parsed.iloc[-1]


def test_unbalanced_quotes_are_refused_rather_than_rows_lost(tmp_path):
    # An unterminated quote would swallow the rest of the file: a one-line error instead.
    text = HEADER + 'A,01/04/2024,T1,700,ACME LTD\nA,02/04/2024,T2,800,"BETA LTD\n'
    text += "A,03/04/2024,T3,900,GAMMA LTD,extra,more\n"
    _, rep = one(write(tmp_path / "x.csv", text))
    assert rep.error and "quoting is broken" in rep.error


def test_records_spanning_lines_with_extra_fields_keep_every_row(tmp_path):
    text = HEADER + 'A,01/04/2024,T1,700,"Line\nbreak Ltd",extra\nA,02/04/2024,T2,800,BETA\n'
    text += "A,03/04/2024,T3,900," + "X" * 100_000 + "\n"  # long, within the cell limit
    text += "A,04/04/2024,T4,950," + "Y" * 200_000 + "\n"  # over it: set aside, not lost
    result, rep = one(write(tmp_path / "x.csv", text))
    assert result.transactions.amount.tolist() == [700.0, 800.0, 900.0]
    assert rep.rejected_by_reason == {TOO_LONG: 1}


# ------------------------------------------------------------- the batch steps, alone


def _staged(cells: list[list[str]], name: str = "spend-2024-05.csv"):
    from impact.ingest.columns import map_columns
    from impact.ingest.transactions import FileReport, _FileBody, _stage

    table = pd.DataFrame(cells)
    headers, body = table.iloc[0].tolist(), table.iloc[1:]
    report = FileReport(path=name)
    return _stage(_FileBody(Path(name), body, headers, map_columns(headers, body)), report, [])


def test_reject_reasons_first_that_applies():
    from impact.ingest.transactions import NO_AMOUNT, _reject_reasons, _StackedRows

    staged = _staged([
        ["Supplier", "Amount", "Date"],
        ["Acme Ltd", "10.00", "2024-05-01"],
        ["", "", ""],
        ["Supplier", "Amount", "Date"],
        ["Total", "10.00", ""],
        ["Beta Ltd", "", "2024-05-02"],
        ["Gamma Ltd", "ten", "2024-05-03"],
        ["", "20.00", ""],  # no supplier, no date, an amount: a total line
        ["", "Grand total", "5"],  # "total" in a cell of a line without supplier
        ["Delta Ltd", "5.00", ""],  # no date is no reason: the file's period applies
    ])
    reasons = _reject_reasons(_StackedRows.of([staged])).tolist()
    assert reasons == [pd.NA, BLANK, REPEATED_HEADER, TOTAL, NO_AMOUNT, BAD_AMOUNT, TOTAL,
                       TOTAL, pd.NA]


def test_a_file_without_amount_column_is_refused_row_by_row():
    from impact.ingest.columns import map_columns
    from impact.ingest.transactions import FileReport, _FileBody, _stage

    table = pd.DataFrame([["Supplier", "Date"], ["Acme Ltd", "2024-05-01"], ["Beta", ""]])
    headers, body = table.iloc[0].tolist(), table.iloc[1:]
    report, failed = FileReport(path="x.csv"), []
    assert _stage(_FileBody(Path("x.csv"), body, headers, map_columns(headers, body)),
                  report, failed) is None
    assert report.error == "no recognisable amount column (headers: Supplier, Date)"
    assert report.rows_in == report.rows_rejected == 2
    assert failed[0]["reason"].tolist() == ["file has no recognisable amount column"] * 2
    assert failed[0]["source_row"].tolist() == [2, 3]


@pytest.mark.parametrize(
    ("name", "period", "card"),
    [
        ("demo-spend-2024-09.csv", "2024-09", False),
        ("hyndburn_Aug-25.csv", "2025-08", False),
        ("council_p-card_2024-05.csv", "2024-05", True),
        ("misc.csv", None, False),
    ],
)
def test_period_and_card_flag_come_from_the_file_name(name, period, card):
    from impact.ingest.transactions import FileReport, _facts_from_file_name

    report = FileReport(path=name)
    assert _facts_from_file_name(Path(name), report) == (period, card)
    assert (report.period, report.card_file) == (period, card)


def test_amount_found_by_its_values_when_the_named_column_holds_none():
    from impact.ingest.columns import map_columns

    headers = ["Supplier", "Amount", "Ref", "Value"]
    body = pd.DataFrame([["Acme Ltd", "n/a", "A1", "10.50"], ["Beta", "-", "A2", "£1,200.00"],
                         ["Gamma", "tbc", "A3", "(3.25)"]])
    mapping = map_columns(headers, body)
    assert mapping.fields["amount"] == 3
    assert mapping.notes[0] == (
        "amount taken from 'Value' by its values (column 'Amount' does not hold amounts)")
    # no other column holds money either: the named one is kept, its rows rejected one by one
    mapping = map_columns(headers[:3], body.iloc[:, :3])
    assert mapping.fields["amount"] == 1
    assert "holds few readable amounts" in mapping.notes[0]


def test_a_supplier_id_column_holding_names_is_the_supplier_name():
    from impact.ingest.columns import map_columns

    body = pd.DataFrame([["Acme Widgets Ltd", "10.00"], ["Beta Services", "20.00"]])
    mapping = map_columns(["Supplier ID", "Amount"], body)
    assert mapping.fields == {"supplier_name": 0, "amount": 1}
    codes = map_columns(["Supplier ID", "Amount"], pd.DataFrame([["V0012", "1.00"]]))
    assert codes.fields == {"supplier_id": 0, "amount": 1}
