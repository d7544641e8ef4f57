"""A regional body, end to end in Chromium as an officer works (issue 24): the Greater
London Authority's files (made in :mod:`tests._regional`; the shared data has no regional
body) ingested and located with the shared reference tables, then every page, the
officer's name, the template round trip, a scenario and the consultation.

It checks what tripped an officer up: the dense London map (684 wards) draws names that
fit, the template import counts blank rows apart and a second import changes nothing, the
officer's name is asked for and remembered by the browser, Enter in the scenario's name box
adds nothing, scenarios read in words, and the pound-flow chart is drawn at presentation
size.  Screenshots: ``test-artifacts/screenshots/regional-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from impact.ingest.transactions import ingest, write_outputs
from impact.places.locate import locate, write_locate_outputs
from impact.places.reference import resolve_reference
from tests._regional import COUNCIL, write_regional_body
from tests._shared import require, shared_data_dir
from tests.browser import conftest as bc
from tests.browser.conftest import new_context, page_problems, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.shared]

LOAD_MS = 300_000  # a real reference folder's first load on a shared 2-core machine
NAME_BOX = "Your name (recorded with every supplier you place)"
PAGES = ["", "map", "departments", "suppliers", "compare", "data", "respend", "scenarios",
         "left-behind", "board-pack", "consultation"]


@pytest.fixture(scope="module")
def regional(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    require("organisations")
    root = tmp_path_factory.mktemp("regional")
    reference = resolve_reference(shared_data_dir())
    out = root / "ingested"
    write_outputs(ingest([write_regional_body(root / "spend")], council=COUNCIL), out)
    write_locate_outputs(out, locate(out, [], reference, fuzzy=False))
    return {**bc.hermetic_env(root), "IMPACT_SOURCE_DIR": str(out), "IMPACT_COUNCIL": COUNCIL,
            "IMPACT_REFERENCE_DIR": str(shared_data_dir())}


def _open(page, base: str, path: str) -> None:
    page.goto(f"{base}/{path}")
    wait_idle(page, timeout_ms=LOAD_MS)
    assert not page_problems(page), (path, page_problems(page))


def _shot(page, name: str) -> None:
    bc.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(bc.SCREENSHOTS / f"regional-{name}.png"))


def _import(page, path: Path) -> str:
    """Upload a filled-in template on the Suppliers page (removing the one uploaded before,
    as an officer would), import it; the import's one-line account once it is new."""
    page.get_by_role("tab", name="Template for the finance team").click()
    report = page.get_by_text(re.compile(r"rows in ="))
    before = report.first.text_content() if report.count() else ""
    done = page.locator('[data-testid="stFileChipDeleteBtn"] button')
    if done.count():
        done.first.click()
        wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.locator('[data-testid="stFileChip"]').first.wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Import the filled-in template").click()
    page.wait_for_timeout(500)
    wait_idle(page)
    report.first.wait_for(state="attached")
    for _ in range(40):  # the rerun that shows the new account
        if report.first.text_content() != before:
            break
        page.wait_for_timeout(250)
    page.get_by_role("tab", name="Template for the finance team").click()
    return report.first.text_content()


def test_a_regional_body_end_to_end(browser, regional, tmp_path: Path) -> None:
    with bc.streamlit_server(env=regional, log_name="regional.log") as base:
        context, page, log = new_context(browser, 1920, 1080)
        try:
            for path in PAGES:
                _open(page, base, path)
            # The dense map draws (its names are thinned server-side: tests/test_maps.py).
            _open(page, base, "map")
            _, drawn, _ = bc.wait_map_drawn(page)
            assert drawn > 0.05
            _shot(page, "map-1920")
            # The officer's name is asked for, then remembered by this browser.
            _open(page, base, "suppliers")
            name_box = page.get_by_label(NAME_BOX)
            assert name_box.input_value() == ""
            name_box.fill("Ada Officer")
            page.keyboard.press("Tab")
            wait_idle(page)
            _open(page, base, "suppliers")
            assert page.get_by_label(NAME_BOX).input_value() == "Ada Officer"
            # The template round trip: blank rows apart, the same file again changes nothing.
            with page.expect_download() as dl:
                page.get_by_role("tab", name="Template for the finance team").click()
                page.get_by_role("button", name="Download the template (CSV)").click()
            tpl = pd.read_csv(dl.value.path(), dtype=str, keep_default_na=False)
            assert "HM Revenue & Customs" not in set(tpl["Supplier name"])  # national: apart
            tpl["Postcode"] = ""
            tpl.loc[0, "Postcode"] = "SE1 2AA"
            tpl = pd.concat([tpl, pd.DataFrame([{"Supplier name": "Nobody Of This Name",
                                                 "Postcode": "SE1 2AA"}]),
                             pd.DataFrame([{}] * 3)], ignore_index=True).fillna("")
            filled = tmp_path / "vendor master.csv"
            tpl.to_csv(filled, index=False)
            n, blank = len(tpl), int((tpl["Postcode"] == "").sum())
            assert _import(page, filled) == (
                f"Last import: {n} rows in = 1 applied + {blank} left blank + 1 rejected.")
            _shot(page, "import")
            assert _import(page, filled) == (
                f"Last import: {n} rows in = 0 applied + 1 unchanged (the register has them "
                f"already) + {blank} left blank + 1 rejected.")
            # Scenarios: Enter in the name box adds nothing; the scenario reads in words.
            _open(page, base, "scenarios")
            box = page.get_by_label("Name", exact=True)
            box.fill("Housing in Southwark")
            box.press("Enter")
            page.wait_for_timeout(500)
            wait_idle(page)
            assert not page.get_by_text(re.compile(r"Housing in Southwark:")).count()
            page.get_by_role("button", name="Add scenario").click()
            page.wait_for_timeout(500)
            wait_idle(page)
            said = page.get_by_text(re.compile(r"Housing in Southwark: ")).first.inner_text()
            assert "move 10% of all influenceable non-local spend" in said, said
            assert not re.search(r"E0\d{7}|supplier_class", said), said
            _shot(page, "scenarios")
            # The consultation's pound-flow chart at presentation size.
            _open(page, base, "consultation")
            chart = page.locator('[data-testid="stVegaLiteChart"]').first
            chart.scroll_into_view_if_needed()
            assert chart.bounding_box()["height"] >= 150
            _shot(page, "consultation-1920")
            assert not log.page_errors, log.page_errors
        finally:
            context.close()
