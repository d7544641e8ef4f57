"""Every workbook the project writes, made on the demo and read back cell by cell: an officer
opens these in Excel and forwards them to the board, so no header or sheet name is
snake_case or a lower-case code, no cell says "None", "nan" or True/False, no cell holds a
code where words exist, and no text cell can start a formula."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from impact.analysis.filters import Filters
from impact.outputs.exports import FORMULA_STARTS, download_bytes
from impact.workspace import Workspace

XLSX = "Excel (XLSX)"
#: A header, sheet name or cell that reads as a library name: ``local_share_lower``,
#: ``supplier``, ``public_body``.
CODE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")
HEADER_CODE = re.compile(r"[a-z][a-z0-9_]*")
#: Text a missing value or a flag becomes when it is written as a string.
NOT_WORDS = {"None", "none", "nan", "NaN", "<NA>", "NaT", "True", "False"}


def _board_pack(ws: Workspace, root: Path) -> bytes:
    from impact import reports
    from impact.outputs import boardpack

    return boardpack.xlsx_bytes(reports.pack_data(ws, Filters()))


def _compare_cli(ws: Workspace, root: Path) -> bytes:
    from impact.cli import main

    out = root / "compare.xlsx"
    assert main(["compare", "demo", "--out", str(root / "compare.csv"), "--xlsx", str(out),
                 "--store", str(root / "store")]) == 0
    return out.read_bytes()


def _compare_page(ws: Workspace, root: Path) -> bytes:
    """The Compare page's XLSX download, as the page builds it."""
    from impact.analysis.compare import workbook
    from impact.store import Store, add_workspace, compare_councils, council_info

    store = Store(root / "page-store")
    entry, _ = add_workspace(store, ws)
    book = workbook(compare_councils(store, [entry.council_id], "year"), [council_info(entry)])
    return _page(book["Compare"], {"Ways of counting local": book["Ways of counting local"]},
                 "compare")


def _unplaced(ws: Workspace) -> pd.DataFrame:
    """The demo's suppliers with its twenty largest companies unplaced (the demo places
    every supplier, and a template of no rows shows nothing)."""
    sup = ws.suppliers.copy()
    top = sup[sup["supplier_class"] == "company"].nlargest(20, "spend").index
    sup.loc[top, "is_located"] = False
    return sup


def _template(ws: Workspace, root: Path) -> bytes:
    """The Suppliers page's template for the finance team (Excel)."""
    from impact.places import worklist

    return download_bytes(worklist.template(_unplaced(ws)), XLSX, "Suppliers to place")


def _page(df: pd.DataFrame, sheets: dict[str, pd.DataFrame] | None = None,
          title: str = "Table") -> bytes:
    """A page's XLSX download button's bytes (:func:`views._common.download`: its first
    sheet named for the table, ``what`` or the file's name)."""
    from views._common import _export

    return _export(df, XLSX, sheets, title)


def _payments(ws: Workspace, root: Path) -> bytes:
    """The Data page's payments download."""
    tx = ws.transactions
    return _page(tx[[c for c in tx.columns if c != "supplier_key"]], title="payments")


def _suppliers(ws: Workspace, root: Path) -> bytes:
    """The Suppliers page's download: its listing's columns, codes in words."""
    from impact.analysis.metrics import supplier_summary

    info = ws.suppliers[["supplier_key", "resolution_method", "geocode_status"]]
    listing = supplier_summary(ws.transactions).merge(info, on="supplier_key", how="left")
    cols = ["supplier", "class", "where", "postcode", "ward", "district", "imd_decile",
            "spend", "payments", "share", "resolution_method", "geocode_status"]
    return _page(listing[[c for c in cols if c in listing]], title="suppliers")


def _findings(ws: Workspace, root: Path) -> bytes:
    """The Payment checks page's findings download."""
    from impact.outputs import probity

    view = probity.findings_table(ws.payment_checks().findings)
    return _page(view, title="findings")


def _what_changed(ws: Workspace, root: Path) -> bytes:
    """The Payment checks page's "what changed" download, first year against the last."""
    return _page(ws.changes("2024 Q2", "2025 Q1").table(), title="what changed")


def _left_behind(ws: Workspace, root: Path) -> bytes:
    """The Left behind page's two downloads, as one workbook of two sheets each."""
    from impact import reports
    from impact.analysis.leftbehind import output_table

    res = reports.areas(ws, Filters())
    return _page(output_table(res), {"Opportunity ranking": res.ranking}, "left_behind_wards")


WORKBOOKS: dict[str, Callable[[Workspace, Path], bytes]] = {
    "board pack (impact board-pack --xlsx, Board pack page)": _board_pack,
    "impact compare --xlsx": _compare_cli,
    "Compare page download": _compare_page,
    "finance team's template (Suppliers page)": _template,
    "payments (Data page)": _payments,
    "suppliers (Suppliers page)": _suppliers,
    "findings (Payment checks page)": _findings,
    "what changed (Payment checks page)": _what_changed,
    "areas and ranking (Left behind page)": _left_behind,
}


def problems(data: bytes) -> list[str]:
    """Everything in a workbook a person should not read: library names as headers or sheet
    names, missing values or flags written as text, raw booleans, codes, formulas."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    found: list[str] = []
    for sheet in wb.worksheets:
        if HEADER_CODE.fullmatch(sheet.title):
            found.append(f"sheet name {sheet.title!r}")
        rows = sheet.iter_rows()
        head = [c.value for c in next(rows, [])]
        found += [f"{sheet.title}: header {h!r}" for h in head
                  if h is None or HEADER_CODE.fullmatch(str(h)) or "_" in str(h)]
        for row in rows:
            for h, cell in zip(head, row, strict=False):
                why = _cell_problem(cell)
                if why:
                    found.append(f"{sheet.title}: {h!r} {why} {cell.value!r}")
    return found


def _cell_problem(cell: openpyxl.cell.Cell) -> str:
    v = cell.value
    if cell.data_type == "f":
        return "is a formula"
    if isinstance(v, bool):
        return "is a raw boolean"
    if not isinstance(v, str):
        return ""
    if v.strip() in NOT_WORDS:
        return "is a missing value or flag as text"
    if v.startswith(FORMULA_STARTS):
        return "could start a formula"
    return "is a code" if CODE.fullmatch(v) else ""


@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_every_workbook_reads_as_words(demo_and_root, name: str) -> None:
    ws, root = demo_and_root
    data = WORKBOOKS[name](ws, root)
    found = problems(data)
    assert not found, f"{name}: {len(found)} problems:\n" + "\n".join(
        list(dict.fromkeys(found))[:25])


def test_the_check_catches_each_kind_of_problem() -> None:
    """The check itself fails on each thing it looks for (and passes words)."""
    from impact.outputs.exports import sheets_to_xlsx_bytes

    ok = pd.DataFrame({"Supplier": ["Acme Ltd"], "Spend (£)": [1.5], "Local": ["Yes"]})
    assert problems(sheets_to_xlsx_bytes({"Suppliers": ok})) == []
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["local_share_lower", "Flag", "Name", "Why", "Sum", "Class"])
    ws.append([0.4, True, "None", "=1+1", "=SUM(A1)", "public_body"])
    buf = io.BytesIO()
    wb.save(buf)
    found = " | ".join(problems(buf.getvalue()))
    for what in ("sheet name 'data'", "header 'local_share_lower'", "raw boolean",
                 "missing value", "is a formula", "is a code"):
        assert what in found, (what, found)


def test_the_filled_in_template_workbook_still_imports(demo_and_root) -> None:
    """The template in words is still the importer's template: its headers are recognised
    by their tokens, a filled-in row comes back as a row to check."""
    from impact.places import worklist

    ws, _ = demo_and_root
    tpl = worklist.template(_unplaced(ws))
    assert len(tpl) == 20
    wb = openpyxl.load_workbook(io.BytesIO(download_bytes(tpl, XLSX)))
    sheet = wb.worksheets[0]
    head = [c.value for c in sheet[1]]
    sheet.cell(2, head.index("Postcode") + 1, "M1 1AA")
    buf = io.BytesIO()
    wb.save(buf)
    got = worklist.read_template(buf.getvalue(), "suppliers-to-place.xlsx")
    assert got.rows_in == len(tpl) and len(got.rows) == 1
    assert got.rows[0].postcode == "M1 1AA"
    assert got.rows[0].supplier_name == tpl["Supplier name"].iloc[0]


def test_charter_statuses_in_words() -> None:
    """A charter point's status reads Yes / No / Unknown in every export, never the
    library's lower-case codes."""
    import pandas as pd

    from impact.analysis.charter import POINTS
    from impact.outputs import labels

    point = next(iter(POINTS))
    out = labels.for_people(pd.DataFrame({point: ["yes", "no", "unknown"]}))
    assert out.iloc[:, 0].tolist() == ["Yes", "No", "Unknown"]
