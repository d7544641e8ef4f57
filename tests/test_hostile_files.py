"""Hostile files (issue 23): refused, or their bad rows set aside, cheaply and before any
parser sees them; named for what they are; nothing of them echoed but a short, escaped
sample; every row still accounted for.  Times and memory are in ``bench/bench_hostile.py``.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.cli import main
from impact.core.settings import LIMITS, project_root
from impact.ingest.limits import KB, Limits, bound_text, sample
from impact.ingest.tables import UnreadableFile, read_table
from impact.ingest.transactions import TOO_LONG, ingest

HEADER = b"Supplier Name,Payment Date,Amount\n"
ROW = b"ACME LTD,01/04/2024,12.00\n"


def _accounted(path: Path):
    """Ingest one file; check every row is accounted for; its result and report."""
    result = ingest([path], council="T")
    q = result.quality()
    assert q["rows_in"] == q["rows_used"] + q["rows_rejected"]
    for f in result.files:
        assert f.rows_in == f.rows_used + f.rows_rejected
        assert sum(f.rejected_by_reason.values()) == f.rows_rejected
        assert f.error is None or "\n" not in f.error
    return result, result.files[0]


@pytest.fixture
def no_parser(monkeypatch):
    """Fail the test if any CSV parser runs: the refusal must come first."""
    import pyarrow.csv

    def never(*args, **kwargs):
        raise AssertionError("a parser ran on a file that should have been refused first")

    monkeypatch.setattr(pyarrow.csv, "read_csv", never)
    monkeypatch.setattr(pd, "read_csv", never)


# --------------------------------------------------------------- 100,000 columns


def test_a_csv_of_100000_columns_is_refused_before_parsing(tmp_path, no_parser):
    wide = ",".join(["Supplier Name", "Payment Date", "Amount"]
                    + [f"c{i}" for i in range(99_997)])
    f = tmp_path / "spend.csv"
    f.write_text(wide + "\n" + ",".join(["ACME", "01/04/2024", "1"] + ["x"] * 99_997) + "\n")
    result, rep = _accounted(f)
    assert rep.error == ("line 1 has 100,000 columns, over the 1,000-column limit "
                         "(IMPACT_MAX_COLUMNS)")
    assert rep.rows_in == 0 and result.rejected.empty


def test_a_wide_line_further_down_is_found_and_named(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_MAX_COLUMNS", "50")
    f = tmp_path / "spend.csv"
    f.write_bytes(HEADER + ROW * 3 + b",".join([b"x"] * 51) + b"\n" + ROW)
    with pytest.raises(UnreadableFile, match=r"^line 5 has 51 columns, over the 50-column"):
        read_table(f)


def test_spacer_commas_and_quoted_commas_are_not_columns(tmp_path, monkeypatch):
    """A spreadsheet's trailing spacer commas and a description full of commas (quoted)
    are under the limit: only fields up to the last filled one count, quotes respected."""
    monkeypatch.setenv("IMPACT_MAX_COLUMNS", "20")
    f = tmp_path / "spend.csv"
    f.write_bytes(HEADER.rstrip() + b"," * 400 + b"\n"
                  + b'"ACME, ' + b"a," * 300 + b'",01/04/2024,12.00' + b"," * 400 + b"\n")
    t = read_table(f)
    assert t.cells.shape == (2, 3)


def test_a_workbook_too_wide_is_refused_before_its_cells_are_built(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_MAX_COLUMNS", "5")
    f = tmp_path / "spend.xlsx"
    pd.DataFrame([[f"v{i}" for i in range(6)]], columns=[f"c{i}" for i in range(6)]
                 ).to_excel(f, index=False)
    with pytest.raises(UnreadableFile, match="has 6 columns, over the 5-column limit"):
        read_table(f)


# --------------------------------------------------------------- random bytes


def test_random_bytes_named_csv_are_named_as_not_text(tmp_path, no_parser):
    data = os.urandom(200_000)
    f = tmp_path / "spend.csv"
    f.write_bytes(data)
    result, rep = _accounted(f)
    assert rep.error.startswith("this file is not text: it looks like binary data")
    shown = re.search(r"first bytes: ([0-9a-f ]+)\)$", rep.error)
    assert shown and bytes.fromhex(shown[1]) == data[:12]  # a short sample, as hex
    assert len(rep.error) < 150
    q = result.quality()
    assert (q["rows_in"], q["rows_rejected"], q["rejected_by_reason"]) == (0, 0, {})


def test_known_binary_formats_are_named(tmp_path):
    f = tmp_path / "spend.csv"
    f.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(2000))
    with pytest.raises(UnreadableFile, match=r"^this file is not text: it looks like a gzip"):
        read_table(f)


def test_workbooks_and_archives_are_still_read(tmp_path):
    book = tmp_path / "spend.xlsx"
    pd.DataFrame({"Supplier Name": ["ACME LTD"], "Payment Date": ["01/04/2024"],
                  "Amount": [13.0]}).to_excel(book, index=False)
    archive = tmp_path / "year.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("spend-2024-04.csv", HEADER + ROW)
        zf.writestr("spend-2024-05.xlsx", book.read_bytes())
    for path, amounts in ((book, [13.0]), (archive, [12.0, 13.0])):
        result, _ = _accounted(path)
        assert [f.error for f in result.files] == [None] * len(amounts)
        assert result.transactions["amount"].tolist() == amounts


def test_a_zip_member_named_to_climb_out_is_read_in_memory_only(tmp_path):
    archive = tmp_path / "inner" / "year.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../evil-2024-04.csv", HEADER + ROW)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result, rep = _accounted(archive)
    assert rep.error is None and result.transactions["source_file"].tolist() == [
        "year.zip › evil-2024-04.csv"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


# --------------------------------------------------------------- one huge cell


def test_a_50_mb_cell_sets_its_row_aside_and_nothing_carries_it(tmp_path):
    f = tmp_path / "spend.csv"
    f.write_bytes(HEADER + b"A" * 50_000_000 + b",01/04/2024,700.00\n" + ROW)
    result, rep = _accounted(f)
    assert rep.error is None and rep.rejected_by_reason == {TOO_LONG: 1}
    assert result.transactions["supplier_name"].tolist() == ["ACME LTD"]
    raw = result.rejected["raw"].iloc[0]
    assert len(raw) < 200 and raw.startswith("AAAA") and "…" in raw
    assert any("cell-size limit, IMPACT_MAX_CELL_KB" in n for n in rep.notes)


def test_the_cut_happens_before_parsing_and_keeps_the_structure():
    limits = Limits(max_cell_bytes=100)
    data = HEADER + b"A" * 1000 + b",01/04/2024,700.00\n" + ROW
    bounded = bound_text(data, ",", limits)
    assert bounded == HEADER + b"A" * 101 + b",01/04/2024,700.00\n" + ROW
    assert bound_text(HEADER + ROW, ",", limits) == HEADER + ROW  # nothing to cut: unchanged


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.text("ab\"é", max_size=30), min_size=1, max_size=4), max_size=6),
       st.sampled_from([",", ";", "\t", "|"]), st.integers(1, 12))
def test_bounded_text_parses_to_the_same_records_with_long_cells_cut(rows, delimiter, limit):
    """Whatever the cells, the bounded bytes parse to the same records and fields; a cell
    over the limit keeps just over it (or all of itself when it holds a quote), and no
    other cell changes."""
    import csv
    import io

    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\n").writerows(rows)
    data = text.getvalue().encode("utf-8")
    bounded = bound_text(data, delimiter, Limits(max_cell_bytes=limit, max_columns=1000))
    before = list(csv.reader(io.StringIO(data.decode()), delimiter=delimiter))
    after = list(csv.reader(io.StringIO(bounded.decode()), delimiter=delimiter))
    assert [len(r) for r in after] == [len(r) for r in before]
    for old_row, new_row in zip(before, after, strict=True):
        for old, new in zip(old_row, new_row, strict=True):
            if len(old.encode()) <= limit:
                assert new == old
            else:
                assert old.startswith(new) and len(new.encode()) > limit


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_long_cells_in_any_encoding_are_set_aside_and_the_rest_read(tmp_path, monkeypatch,
                                                                      encoding):
    """A cut never splits a character (the rest still reads as UTF-8), a cell with quotes
    in it is set aside though it is not cut, and UTF-16 is checked once decoded."""
    monkeypatch.setenv("IMPACT_MAX_CELL_KB", "1")
    text = ("Supplier Name,Payment Date,Amount\n"
            + "é" * 3000 + ",01/04/2024,1.00\n"
            + '"Quoted ""' + "q" * 3000 + '"",",01/04/2024,2.00\n'
            + "Café £ Ltd,01/04/2024,12.00\n")
    f = tmp_path / "spend.csv"
    f.write_bytes(text.encode(encoding))
    result, rep = _accounted(f)
    assert rep.rejected_by_reason == {TOO_LONG: 2}
    assert result.transactions["supplier_name"].tolist() == ["Café £ Ltd"]
    assert rep.encoding.startswith(encoding)


def test_cell_and_column_limits_come_from_settings(monkeypatch):
    monkeypatch.setenv("IMPACT_MAX_CELL_KB", "64")
    monkeypatch.setenv("IMPACT_MAX_COLUMNS", "2,500")
    limits = Limits.from_env()
    assert (limits.max_cell_bytes, limits.max_columns) == (64 * KB, 2_500)


# --------------------------------------------------------------- what is echoed back


def test_the_first_line_of_an_unrecognised_file_is_a_short_escaped_sample(tmp_path):
    f = tmp_path / "spend.csv"
    f.write_bytes(b"\x07bell\x1b[31m" + b"x" * 500 + b",y\n1,2\n")
    _, rep = _accounted(f)
    shown = re.search(r"first line: (.*?)\) and no known layout", rep.error)[1]
    assert shown.startswith("\\x07bell\\x1b[31m") and shown.endswith("…")
    assert len(shown) <= 110 and "\x1b" not in rep.error


def test_sample_escapes_and_shortens():
    assert sample("ok") == "ok"
    assert sample("a\tb\x00c", 10) == "a\\tb\\x00c"
    assert sample("z" * 100, 5) == "zzzzz…"


# --------------------------------------------------------------- nothing read


def test_when_nothing_is_read_the_summary_says_so_plainly(tmp_path, capsys):
    junk = tmp_path / "spend.csv"
    junk.write_bytes(os.urandom(2000))
    code = main(["ingest", str(junk), "--council", "T", "--out", str(tmp_path / "o"),
                 "--quiet"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.strip() == "T: nothing was read: the file could not be read as a table"
    assert "this file is not text" in err
    assert "None" not in out + err and "£0.00" not in out


def test_a_summary_without_dates_says_so(tmp_path, capsys):
    f = tmp_path / "spend.csv"
    f.write_bytes(b"Supplier Name,Amount\nACME LTD,700\n")
    assert main(["ingest", str(f), "--council", "T", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == "T: 1/1 files, 1 rows in = 1 used + 0 rejected; £700.00; no payment dates"


# --------------------------------------------------------------- the README states them


def test_every_limit_is_stated_in_the_readme_with_its_default():
    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    defaults = Limits()
    for name in LIMITS:
        assert f"`{name}`" in readme, name
    for figure in (f"{defaults.max_columns:,}", f"{defaults.max_cell_bytes // KB:,}",
                   f"{defaults.max_rows:,}", f"{defaults.max_file_bytes // (KB * KB):,}"):
        assert figure in readme, figure
