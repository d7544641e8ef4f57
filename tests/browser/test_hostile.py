"""Hostile text end to end: a supplier named ``<img src=x onerror=alert(1)>`` and a formula
description pass through ingest, the pages, map tooltips and every download as inert data.

The app is pointed at a folder of spend files with ``IMPACT_SOURCE_DIR`` (the register
inside the folder places the hostile supplier in the demo borough, so it is on the map).
Any ``alert`` fails the test; the CSV/XLSX downloads must hold no cell a spreadsheet would
run as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.browser.conftest import (
    DECK,
    NAV_LINK,
    ROOT,
    deck_canvas,
    hermetic_env,
    new_context,
    page_problems,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://x","y")'
FORMULA_STARTS = ("=", "+", "-", "@")


def _spend_folder(tmp: Path) -> Path:
    """The demo's first month with hostile rows added, and the demo register + the hostile
    supplier at a demo postcode."""
    folder = tmp / "hostile"
    folder.mkdir()
    demo = ROOT / "data" / "demo"
    month = (demo / "spend" / "demo-spend-2024-04.csv").read_text(encoding="utf-8")
    header = month.splitlines()[0].split(",")
    assert header[-2:] == ["Supplier Name", "Supplier ID"], header
    extra = io.StringIO()
    w = csv.writer(extra, lineterminator="\n")
    for i, (amount, desc) in enumerate([(250_000.0, FORMULA), (125_000.0, "@SUM(A1:A9)"),
                                        (60_000.0, "+44 <script>alert(2)</script>")]):
        row = dict.fromkeys(header, "")
        row.update({"Body Name": "Demo Borough Council (synthetic)",
                    "Directorate": "-cmd|' /C calc'!A0", "Service Area": "<b>Bold</b>",
                    "Expense Type": desc, "Payment Date": "15/04/2024",
                    "Transaction Number": f"99900{i}", "Net Amount": f"{amount:.2f}",
                    "Supplier Name": XSS, "Supplier ID": "999999"})
        w.writerow([row[h] for h in header])
    (folder / "demo-spend-2024-04.csv").write_text(month.rstrip("\n") + "\n" + extra.getvalue(),
                                                  encoding="utf-8")
    reg = (demo / "supplier_register.csv").read_text(encoding="utf-8").rstrip("\n").splitlines()
    postcode = next(line.split(",")[2] for line in reg[1:] if line.split(",")[2])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["999999", XSS, postcode, "", "N", "N"])
    (folder / "supplier_register.csv").write_text("\n".join(reg) + "\n" + out.getvalue(),
                                                 encoding="utf-8")
    return folder


def _nav(page, label: str) -> None:
    link = page.locator(NAV_LINK).filter(has_text=re.compile(label, re.I))
    assert link.count(), f"no {label!r} page in the navigation"
    link.first.click()
    page.wait_for_timeout(300)
    wait_idle(page)


def _check_csv(data: bytes, name: str) -> int:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    hits = 0
    for r in rows:
        for cell in r:
            if cell.startswith(FORMULA_STARTS):
                # a negative number is data, not a formula
                assert re.fullmatch(r"-\d[\d.eE+-]*", cell), f"{name}: formula cell {cell!r}"
            hits += XSS in cell
    return hits


def _check_xlsx(data: bytes, name: str) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    hits = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{name}: formula in {c.coordinate}: {c.value!r}"
                if isinstance(c.value, str):
                    assert not c.value.startswith(FORMULA_STARTS), f"{name}: {c.value!r}"
                    hits += XSS in c.value
    return hits


def test_hostile_names_stay_data_everywhere(browser, tmp_path: Path) -> None:
    folder = _spend_folder(tmp_path)
    env = {**hermetic_env(tmp_path), "IMPACT_SOURCE_DIR": str(folder),
           "IMPACT_COUNCIL": "Hostile <b>Borough</b>", "IMPACT_LAD_CODES": "E09999999"}
    alerts: list[str] = []
    with streamlit_server(env=env, log_name="hostile.log") as base:
        context, page, log = new_context(browser)
        page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
        try:
            page.goto(base + "/")
            wait_idle(page)
            injected = "document.querySelectorAll('img[src=\"x\"], script:not([src])').length"
            baseline_scripts = page.evaluate(injected)
            for label in ("Suppliers", "Spend map", "Data"):
                _nav(page, label)
                assert not [p for p in page_problems(page) if "exception" in p], label
                if label == "Spend map":
                    assert page.locator(DECK).count(), "the spend map shows no map"
                    canvas = deck_canvas(page)
                    box = canvas.bounding_box()
                    assert box is not None
                    for fx in (0.3, 0.4, 0.5, 0.6, 0.7):  # hover so tooltips render
                        for fy in (0.3, 0.5, 0.7):
                            page.mouse.move(box["x"] + box["width"] * fx,
                                            box["y"] + box["height"] * fy)
                            page.wait_for_timeout(60)
                assert page.evaluate(injected) <= baseline_scripts, f"markup injected on {label}"
                assert not alerts, f"alert fired on {label}: {alerts}"
            # Data page: every CSV/XLSX download
            buttons = page.locator('[data-testid="stDownloadButton"] button').filter(
                has_text=re.compile(r"\b(CSV|XLSX|Excel)\b", re.I))
            assert buttons.count() >= 2, "no CSV/XLSX download buttons on the Data page"
            found = 0
            for i in range(buttons.count()):
                with page.expect_download() as dl:
                    buttons.nth(i).click()
                d = dl.value
                data = Path(d.path()).read_bytes()
                name = d.suggested_filename
                if name.endswith(".csv"):
                    found += _check_csv(data, name)
                elif name.endswith(".xlsx"):
                    found += _check_xlsx(data, name)
            assert found >= 2, "the hostile supplier is missing from the downloads"
            assert not alerts, alerts
            assert not log.page_errors, log.page_errors
        finally:
            context.close()
