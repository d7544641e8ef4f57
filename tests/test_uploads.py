"""Upload limits (impact.ingest.limits), enforced in impact.ingest.tables.read_table for the
command line and the app alike."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from impact.ingest.limits import Limits, UploadRefused, check_zip, sniff_kind
from impact.ingest.tables import UnreadableFile, read_table
from impact.ingest.transactions import ingest

CSV = "Supplier Name,Payment Date,Amount\nACME LTD,01/04/2024,700.00\n"


def _xlsx(path: Path, rows: int = 3) -> Path:
    pd.DataFrame(
        {"Supplier Name": [f"S{i} LTD" for i in range(rows)],
         "Payment Date": ["01/04/2024"] * rows, "Amount": [700.0] * rows}
    ).to_excel(path, index=False)
    return path


def _bomb(path: Path, mb: int = 64) -> Path:
    """A workbook-shaped zip whose one sheet is ``mb`` MB of zeros (≈1000× compression)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            block = b"0" * (1024 * 1024)
            for _ in range(mb):
                fh.write(block)
    return path


def test_zip_bomb_refused_before_calamine(tmp_path: Path, monkeypatch) -> None:
    bomb = _bomb(tmp_path / "spend.xlsx")
    assert bomb.stat().st_size < 1024 * 1024  # small on disk
    import python_calamine

    def never(*a, **k):  # the check must come before the workbook is opened
        raise AssertionError("calamine opened a zip bomb")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", never)
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", never)
    with pytest.raises(UnreadableFile, match=r"expands [\d,]+×.*zip bomb"):
        read_table(bomb)


def test_zip_total_size_limit(tmp_path: Path, monkeypatch) -> None:
    bomb = _bomb(tmp_path / "spend.xlsx", mb=12)
    monkeypatch.setenv("IMPACT_MAX_UNZIPPED_MB", "5")
    with pytest.raises(UnreadableFile, match="expand to 12 MB, over the 5 MB limit"):
        read_table(bomb)


def test_real_workbook_passes_and_small_ratio_is_fine(tmp_path: Path) -> None:
    f = _xlsx(tmp_path / "ok.xlsx", rows=50)
    check_zip(f, Limits())
    t = read_table(f)
    assert t.kind == "spreadsheet" and len(t.cells) == 51


def test_renamed_zip_is_not_a_workbook(tmp_path: Path) -> None:
    f = tmp_path / "spend.xlsx"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("holiday.jpg", b"\xff\xd8\xff" + b"x" * 100)
    with pytest.raises(UnreadableFile, match="zip archive but not an Excel or OpenDocument"):
        read_table(f)


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "a GIF image"),
        (b"\x1f\x8b\x08\x00", "a gzip archive"),
        (b"MZ\x90\x00", "a Windows program"),
        (b"PAR1\x15\x04", "a Parquet file"),
        (b"SQLite format 3\x00", "an SQLite database"),
    ],
)
def test_foreign_formats_named_csv_are_refused(tmp_path: Path, head: bytes, what: str) -> None:
    f = tmp_path / "spend.csv"
    f.write_bytes(head + b"Supplier,Amount\nACME,1\n" * 5)
    with pytest.raises(UnreadableFile, match=f"^this file is not text: it looks like {what}$"):
        read_table(f)


@pytest.mark.parametrize("first", [b"BMW Finance", b"MZ Plumbing", b"ID3 Media", b"GIF8 Ltd"])
def test_text_that_starts_like_a_signature_is_read_as_text(tmp_path: Path, first: bytes) -> None:
    """A header-less file whose first supplier's name begins like a format's signature
    ("BM" a bitmap, "MZ" a program, "ID3" a sound file) is text, not that format."""
    f = tmp_path / "spend.csv"
    f.write_bytes(first + b",01/04/2024,700.00\nACME LTD,01/04/2024,12.00\n")
    t = read_table(f)
    assert t.cells.iloc[0, 0] == first.decode() and len(t.cells) == 2


def test_office_documents_that_are_zips_are_named_not_read_as_archives(tmp_path: Path) -> None:
    f = tmp_path / "spend.csv"  # a Word document (a zip whose parts are under word/)
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<document/>")
    with pytest.raises(UnreadableFile, match=r"^this file is not text: it looks like a Word doc"):
        read_table(f)


def test_text_named_xlsx_refused_and_workbook_named_csv_read(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text(CSV)
    with pytest.raises(UnreadableFile, match="not a spreadsheet"):
        read_table(fake)
    real = _xlsx(tmp_path / "real.xlsx")
    renamed = tmp_path / "renamed.csv"
    renamed.write_bytes(real.read_bytes())
    t = read_table(renamed)
    assert t.kind == "spreadsheet"
    assert any("is a workbook" in n for n in t.notes)
    as_xls = tmp_path / "renamed.xls"  # an .xlsx saved with the old extension
    as_xls.write_bytes(real.read_bytes())
    assert read_table(as_xls).kind == "spreadsheet"


def test_size_limit_from_env(tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "big.csv"
    f.write_text(CSV + "ACME LTD,01/04/2024,700.00\n" * 60_000)  # ~1.6 MB
    monkeypatch.setenv("IMPACT_MAX_FILE_MB", "1")
    with pytest.raises(UnreadableFile, match=r"file is 2 MB, over the 1 MB limit"):
        read_table(f)
    monkeypatch.setenv("IMPACT_MAX_FILE_MB", "lots")
    with pytest.raises(UnreadableFile, match="IMPACT_MAX_FILE_MB='lots' is not a number"):
        read_table(f)
    monkeypatch.delenv("IMPACT_MAX_FILE_MB")
    assert len(read_table(f).cells) == 60_002


def test_row_limit_csv_and_xlsx(tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "rows.csv"
    f.write_text(CSV + "ACME LTD,01/04/2024,700.00\n" * 30)
    monkeypatch.setenv("IMPACT_MAX_ROWS", "20")
    with pytest.raises(UnreadableFile, match="file has 32 rows, over the 20-row limit"):
        read_table(f)
    x = _xlsx(tmp_path / "rows.xlsx", rows=25)
    with pytest.raises(UnreadableFile, match="file has 26 rows, over the 20-row limit"):
        read_table(x)


def test_refusals_are_one_line_file_errors_and_the_batch_goes_on(tmp_path: Path,
                                                                  monkeypatch) -> None:
    good = tmp_path / "good.csv"
    good.write_text(CSV)
    _bomb(tmp_path / "bomb.xlsx")
    (tmp_path / "doc.csv").write_bytes(b"%PDF-1.4\n" + b"x" * 100)
    r = ingest([tmp_path], council="T")
    errors = {Path(f.path).name: f.error for f in r.files}
    assert errors["good.csv"] is None
    assert "zip bomb" in errors["bomb.xlsx"] and "\n" not in errors["bomb.xlsx"]
    assert errors["doc.csv"] == "this file is not text: it looks like a PDF document"
    assert len(r.transactions) == 1


def test_sniff_kind() -> None:
    assert sniff_kind(b"PK\x03\x04rest") == "zip"
    assert sniff_kind(b"\xd0\xcf\x11\xe0\xa1\xb1") == "ole"
    assert sniff_kind(b"Supplier,Amount") == "text"
    with pytest.raises(UploadRefused, match="a Linux program"):
        sniff_kind(b"\x7fELF\x02\x01\x01\x00" + bytes(56))
