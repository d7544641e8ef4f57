"""Every file the command line writes for a person, made on the demo and read back: the same
bytes as the page's download of the same table (:func:`views._common._export`, one builder:
:func:`impact.outputs.exports.download_bytes`), no header snake_case, no cell "None", "nan",
"True" or "False", no text cell able to start a formula; Parquet keeps the library's names
for programs."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from impact.analysis.filters import Filters
from impact.cli import main
from impact.outputs import labels
from impact.outputs.exports import FORMULA_STARTS, download_bytes
from impact.workspace import Workspace

#: A header that reads as a library name (``local_share_lower``, ``supplier``).
SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9_]+)?")
#: Text a missing value or a flag becomes when written as a string.
NOT_WORDS = {"None", "none", "nan", "NaN", "<NA>", "NaT", "True", "False"}
NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def _page(df: pd.DataFrame, fmt: str = "CSV", title: str = "Table") -> bytes:
    """A page's download button's bytes, as the page builds them."""
    from views._common import _export

    return _export(df, fmt, None, title)


def _run(*args: str) -> None:
    assert main(list(args)) == 0, args


def _checks(ws: Workspace, root: Path, ext: str) -> tuple[bytes, bytes]:
    """``impact checks --out`` and the Payment checks page's findings download."""
    from impact.analysis.verdicts import read_history, with_verdicts
    from impact.outputs.probity import findings_table

    out = root / f"checks.{ext}"
    _run("checks", "demo", "--out", str(out))
    view = findings_table(with_verdicts(ws.payment_checks().findings,
                                        read_history(ws.source.council)))
    return out.read_bytes(), view


def _changes(ws: Workspace, root: Path, ext: str) -> tuple[bytes, pd.DataFrame]:
    """``impact changes --out`` and the page's "what changed" download."""
    out = root / f"changes.{ext}"
    _run("changes", "demo", "--from", "2024 Q2", "--to", "2025 Q1", "--out", str(out))
    return out.read_bytes(), ws.changes("2024 Q2", "2025 Q1").table()


def _areas(ws: Workspace, root: Path, ext: str) -> tuple[bytes, pd.DataFrame]:
    """``impact areas --out`` and the Left behind page's per-area download."""
    from impact import reports
    from impact.analysis.leftbehind import output_table

    out = root / f"areas.{ext}"
    _run("areas", "demo", "--out", str(out))
    return out.read_bytes(), output_table(reports.areas(ws, Filters()))


def _compare(ws: Workspace, root: Path, ext: str) -> tuple[bytes, pd.DataFrame]:
    """``impact compare --out`` and the Compare page's table download (its first sheet)."""
    from impact.analysis.compare import workbook
    from impact.store import Store, compare_councils, council_info

    out, where = root / f"compare.{ext}", root / f"store-{ext}"
    _run("compare", "demo", "--out", str(out), "--store", str(where))
    store = Store(where)
    entries = store.entries()
    table = compare_councils(store, [e.council_id for e in entries], "year")
    return out.read_bytes(), workbook(table, [council_info(e) for e in entries])["Compare"]


EXPORTS: dict[str, Callable[[Workspace, Path, str], tuple[bytes, pd.DataFrame]]] = {
    "impact checks": _checks, "impact changes": _changes, "impact areas": _areas,
    "impact compare": _compare,
}


def csv_problems(data: bytes) -> list[str]:
    """Everything in a CSV a person should not read: library names as headers, missing
    values or flags as text, text that could start a formula (a negative number is a
    number, not a formula)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    head, found = rows[0], []
    found += [f"header {h!r}" for h in head if SNAKE.fullmatch(h) or "_" in h]
    for row in rows[1:]:
        for h, v in zip(head, row, strict=True):
            if v.strip() in NOT_WORDS:
                found.append(f"{h!r}: {v!r}")
            elif v.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(v):
                found.append(f"{h!r} could start a formula: {v!r}")
    return found


@pytest.mark.parametrize("name", list(EXPORTS))
def test_the_command_lines_csv_is_the_pages_download(demo_and_root, name: str) -> None:
    ws, root = demo_and_root
    written, table = EXPORTS[name](ws, root, "csv")
    assert written == _page(table), f"{name}: the CLI's CSV differs from the page's download"
    found = csv_problems(written)
    assert not found, f"{name}: {len(found)} problems:\n" + "\n".join(found[:20])


@pytest.mark.parametrize("name", ["impact checks", "impact areas"])
def test_the_command_lines_workbook_is_the_pages_download(demo_and_root, name: str) -> None:
    """A ``.xlsx`` --out is the page's Excel download (cell by cell: a workbook's bytes
    carry the time it was written)."""
    from tests.test_workbooks import problems

    ws, root = demo_and_root
    written, table = EXPORTS[name](ws, root, "xlsx")
    title = {"impact checks": "findings", "impact areas": "left_behind_wards"}[name]
    assert _cells(written) == _cells(_page(table, "Excel (XLSX)", title))
    assert not problems(written)


def _cells(data: bytes) -> list[list[object]]:
    """Each sheet's name, then every cell's value and number format."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [[sheet.title] for sheet in wb.worksheets] + [
        [(c.value, c.number_format) for c in row] for sheet in wb.worksheets
        for row in sheet.iter_rows()]


def test_parquet_keeps_the_library_names_for_programs(demo_and_root) -> None:
    ws, root = demo_and_root
    out = root / "changes.parquet"
    _run("changes", "demo", "--from", "2024 Q2", "--to", "2025 Q1", "--out", str(out))
    back = pd.read_parquet(out)
    assert list(back.columns) == list(ws.changes("2024 Q2", "2025 Q1").table().columns)


def test_impact_national_csv_in_words(demo_and_root) -> None:
    """The national aggregate as CSV is for a person (codes in words); as Parquet, for
    programs."""
    _, root = demo_and_root
    store = root / "national-store"
    _run("compare", "demo", "--out", str(root / "n.csv"), "--store", str(store))
    out = root / "national.csv"
    _run("national", "--out", str(out), "--store", str(store))
    assert not csv_problems(out.read_bytes())
    table = pd.read_csv(out, encoding="utf-8-sig")
    kinds = set(table[labels.column("supplier_class")])
    assert kinds and kinds <= set(labels.CLASSES.values()), kinds
    _run("national", "--out", str(root / "national.parquet"), "--store", str(store))
    back = pd.read_parquet(root / "national.parquet")  # the library's names and codes
    assert "council_id" in back and "company" in set(back["category"])


def test_the_check_catches_each_kind_of_problem() -> None:
    """The CSV check fails on what it looks for, and the one builder passes it."""
    bad = b"local_share,Flag,Name,Why,Change\r\n0.4,True,None,=1+1,-5\r\n"
    found = " | ".join(csv_problems(bad))
    for what in ("header 'local_share'", "'True'", "'None'", "could start a formula: '=1+1'"):
        assert what in found, (what, found)
    assert "'-5'" not in found  # a negative number is a number
    raw = pd.DataFrame({"supplier_class": ["public_body"], "is_card": [True],
                        "payment_description": ["=HYPERLINK(\"x\")"], "amount": [-5.0],
                        "note": [None]})
    assert csv_problems(download_bytes(raw, "CSV")) == []


def test_the_board_packs_figures_each_have_their_units_format(demo_and_root) -> None:
    """The headline's one "Value" column holds £, shares, the multiplier and an index: each
    cell is shown in its own unit, beside the figure as shown and the unit in words."""
    from impact import reports
    from impact.outputs import boardpack

    ws, _ = demo_and_root
    data = reports.pack_data(ws, Filters())
    wb = openpyxl.load_workbook(io.BytesIO(boardpack.xlsx_bytes(data)))
    sheet = wb["Headline"]
    head = [c.value for c in sheet[1]]
    col = {h: i for i, h in enumerate(head)}
    want = {f.label: labels.UNIT_FORMATS[f.unit] for f in data.measures.figures().values()}
    seen = set()
    for row in sheet.iter_rows(min_row=2):
        label, value = row[col["Figure"]].value, row[col["Value"]]
        assert row[col["Unit"]].value == labels.UNITS[next(
            f.unit for f in data.measures.figures().values() if f.label == label)]
        if isinstance(value.value, int | float):
            assert value.number_format == want[label], label
            seen.add(want[label])
        lower = row[col[labels.column("lower_bound")]]
        if isinstance(lower.value, int | float):
            assert lower.number_format == want[label], label
    assert {labels.PERCENT, labels.POUNDS, "0.00"} <= seen
    lm3 = wb["LM3"]
    for row in lm3.iter_rows(min_row=2):
        cell = row[2]
        if isinstance(cell.value, int | float):
            assert cell.number_format == labels.POUNDS
    ways = wb["Ways of counting local"]
    head = [c.value for c in ways[1]]
    i = head.index(labels.column("local_share_lower"))
    fmts = {r[i].number_format for r in ways.iter_rows(min_row=2)
            if isinstance(r[i].value, float)}
    assert fmts == {labels.PERCENT}


# ------------------------------------------------- templates the app reads back (round trip)


def _filled(data: bytes, line: str) -> bytes:
    """A downloaded CSV template with one more line, as an officer fills it in."""
    return data + (line + "\r\n").encode("utf-8")


def test_the_finance_teams_template_in_words_still_imports(demo_and_root) -> None:
    """The Suppliers page's CSV template is in words ("Supplier type" a type, not a code),
    and the importer reads it back — and the earlier template, codes and all, alike."""
    from impact.outputs.exports import to_csv_bytes
    from impact.places import worklist
    from tests.test_workbooks import _unplaced

    ws, _ = demo_and_root
    tpl = worklist.template(_unplaced(ws))
    now, before = download_bytes(tpl, "CSV"), to_csv_bytes(tpl)
    assert csv_problems(now) == []
    kinds = set(pd.read_csv(io.BytesIO(now), encoding="utf-8-sig")["Supplier type"])
    assert kinds <= set(labels.CLASSES.values()) and "company" in kinds
    assert "company" in set(pd.read_csv(io.BytesIO(before), encoding="utf-8-sig")[
        "Supplier type"])  # the earlier form held the codes
    for data in (now, before):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        head, first = rows[0], rows[1]
        first[head.index("Postcode")] = "M1 1AA"
        body = "\r\n".join(",".join(f'"{c}"' for c in r) for r in (head, first))
        got = worklist.read_template(body.encode("utf-8"), "suppliers-to-place.csv")
        assert len(got.rows) == 1 and got.rows[0].postcode == "M1 1AA"
        assert got.rows[0].supplier_name == tpl["Supplier name"].iloc[0]


def test_the_charter_attributes_template_in_words_still_imports() -> None:
    """The Board pack page's attributes template is headed in words; a filled-in copy reads
    back as the template's column names did (both forms accepted)."""
    from impact.analysis import charter

    now = download_bytes(charter.template(), "CSV")
    head = now.decode("utf-8-sig").splitlines()[0]
    assert "_" not in head and "Real living wage" in head, head
    before = (",".join(charter.TEMPLATE_COLUMNS) + "\n").encode()
    row = "V123,01234567,Acme Ltd,yes,no,yes,2040,28,2,yes,0.4,1000,800,no,,2025-01-31,survey"
    got = [charter.read_attributes(_filled(data, row), "attributes.csv")
           for data in (now, before)]
    for a in got:
        assert a.rows_in == 1 and a.rejected.empty and a.issues.empty, (a.rejected, a.issues)
    pd.testing.assert_frame_equal(got[0].table, got[1].table)
    t = got[0].table.iloc[0]
    assert (t["supplier_id"], t["company_number"], t["supplier_name"]) == (
        "V123", "01234567", "Acme Ltd")
    assert bool(t["real_living_wage"]) and not bool(t["modern_slavery_statement"])


def test_every_cli_and_page_file_goes_through_the_one_builder() -> None:
    """No command or page writes a CSV or a workbook another way (so none escapes the
    words or the formula guard): the builders below the one download builder are not
    called from the command line or the pages."""
    root = Path(__file__).resolve().parent.parent
    other = re.compile(r"\.to_csv\(|\bto_csv_bytes\(|\bto_xlsx_bytes\(|\bexport\(|\.to_excel\(")
    found = [f"{path.relative_to(root)}:{i}: {line.strip()}"
             for path in [root / "impact" / "cli.py", *sorted((root / "views").glob("*.py"))]
             for i, line in enumerate(path.read_text().splitlines(), start=1)
             if other.search(line)]
    assert not found, "\n".join(found)


def test_impact_compare_xlsx_is_the_compare_pages_workbook(demo_and_root) -> None:
    from impact.analysis.compare import workbook
    from impact.store import Store, compare_councils, council_info
    from views._common import _export

    _, root = demo_and_root
    out, where = root / "cmp.xlsx", root / "store-xlsx"
    _run("compare", "demo", "--out", str(root / "cmp.csv"), "--xlsx", str(out), "--store",
         str(where))
    store = Store(where)
    entries = store.entries()
    book = workbook(compare_councils(store, [e.council_id for e in entries], "year"),
                    [council_info(e) for e in entries])
    first, *rest = book
    page = _export(book[first], "Excel (XLSX)", {k: book[k] for k in rest}, "compare")
    assert _cells(out.read_bytes()) == _cells(page)


def test_impact_board_pack_xlsx_is_the_board_pack_pages_workbook(demo_and_root) -> None:
    """``impact board-pack --xlsx`` and the Board pack page's XLSX: one pack's data, one
    writer (the date it was generated is the day's on both)."""
    from impact import reports
    from impact.outputs import boardpack

    ws, root = demo_and_root
    out = root / "pack.xlsx"
    _run("board-pack", "demo", "--out", str(root / "pack.pdf"), "--xlsx", str(out))
    page = boardpack.xlsx_bytes(reports.pack_data(ws, Filters()))
    assert _cells(out.read_bytes()) == _cells(page)
