"""Each kind of body, end to end in Chromium as an officer works (issue 24): a district
(Hyndburn), a metropolitan council (Calderdale), a county (Warwickshire) from the shared
files, and a regional body with a dense London map (the Greater London Authority's files,
made in :mod:`tests._regional`; the shared data has no regional body), each ingested and
located with the shared reference tables, then every page, the officer's name, the template
round trip, a scenario, the board pack and the consultation.

It checks what tripped an officer up: the map draws names that fit, the template import
counts blank rows apart and a second import changes nothing, national bodies are not in the
template, the officer's name is asked for and remembered by the browser, Enter in the
scenario's name box adds nothing, scenarios read in words, the board pack names the paying
body as it is, and the pound-flow chart is drawn at presentation size.  Screenshots:
``test-artifacts/screenshots/<body>-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

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


#: (id, council as named in the files, shared spend folder or None for the made-up
#: regional body, what the board pack calls its money)
BODIES = [
    ("district", "Hyndburn", "hyndburn", "the council's money"),
    ("metropolitan", "Calderdale", "calderdale", "the council's money"),
    ("county", "Warwickshire", "warwickshire", "the council's money"),
    ("regional", COUNCIL, None, "the authority's money"),
]


@pytest.fixture(scope="module", params=BODIES, ids=[b[0] for b in BODIES])
def body(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str], str]:
    """(id, the app's environment, the pack's words) for one body, ingested and located."""
    kind, council, folder, money = request.param
    require("organisations")
    spend = require("spend", folder) if folder else None
    root = tmp_path_factory.mktemp(kind)
    reference = resolve_reference(shared_data_dir())
    out = root / "ingested"
    files = [spend] if spend else [write_regional_body(root / "spend")]
    write_outputs(ingest(files, council=council), out)
    write_locate_outputs(out, locate(out, [], reference, fuzzy=False))
    env = {**bc.hermetic_env(root), "IMPACT_SOURCE_DIR": str(out), "IMPACT_COUNCIL": council,
           "IMPACT_REFERENCE_DIR": str(shared_data_dir())}
    return kind, env, money


def _open(page, base: str, path: str) -> None:
    page.goto(f"{base}/{path}")
    wait_idle(page, timeout_ms=LOAD_MS)
    assert not page_problems(page), (path, page_problems(page))


def _shot(page, kind: str, name: str) -> None:
    bc.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(bc.SCREENSHOTS / f"{kind}-{name}.png"))


def _import(page, path: Path) -> str:
    """Upload a filled-in template on the Suppliers page (removing the one uploaded before,
    as an officer would), import it; the import's one-line account once it is new.

    Every wait allows a real council's rerun on a loaded machine (placing a supplier
    recomputes the council's figures), and waits for the rerun to start before it waits
    for it to end."""
    page.get_by_role("tab", name="Template for the finance team").click()
    report = page.get_by_text(re.compile(r"rows in ="))
    before = report.first.text_content() if report.count() else ""
    chip = page.locator('[data-testid="stFileChip"]')
    done = page.locator('[data-testid="stFileChipDeleteBtn"] button')
    if done.count():
        done.first.click()
        chip.first.wait_for(state="detached", timeout=LOAD_MS)
        page.wait_for_timeout(1000)
        wait_idle(page, timeout_ms=LOAD_MS)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    chip.first.wait_for(timeout=LOAD_MS)
    page.wait_for_timeout(1000)
    wait_idle(page, timeout_ms=LOAD_MS)
    page.get_by_role("button", name="Import the filled-in template").click()
    page.wait_for_timeout(1000)
    wait_idle(page, timeout_ms=LOAD_MS)
    report.first.wait_for(state="attached", timeout=LOAD_MS)
    for _ in range(LOAD_MS // 500):  # the rerun that shows the new account
        if report.first.text_content() != before:
            break
        page.wait_for_timeout(500)
    wait_idle(page, timeout_ms=LOAD_MS)
    page.get_by_role("tab", name="Template for the finance team").click()
    return report.first.text_content()


def test_each_kind_of_body_end_to_end(browser, body, tmp_path: Path) -> None:
    kind, env, money = body
    with bc.streamlit_server(env=env, log_name=f"end-to-end-{kind}.log") as base:
        context, page, log = new_context(browser, 1920, 1080)
        try:
            for path in PAGES:
                _open(page, base, path)
            # The board pack, generated and downloaded, names the paying body as it is.
            _open(page, base, "board-pack")
            page.get_by_role("button", name="Generate the board pack").click()
            page.wait_for_timeout(500)
            wait_idle(page, timeout_ms=LOAD_MS)
            with page.expect_download() as dl:
                page.get_by_role("button", name="Board pack (PDF)").click()
            first = PdfReader(dl.value.path()).pages[0].extract_text()
            assert f"where {money} goes" in " ".join(first.split()), first[:300]
            # The map draws (its names are thinned server-side: tests/test_maps.py).
            _open(page, base, "map")
            _, drawn, _ = bc.wait_map_drawn(page)
            assert drawn > 0.05
            _shot(page, kind, "map-1920")
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
            filled = tmp_path / "supplier template, filled in.csv"
            tpl.to_csv(filled, index=False)
            n, blank = len(tpl), int((tpl["Postcode"] == "").sum())
            assert _import(page, filled) == (
                f"Last import: {n:,} rows in = 1 applied + {blank:,} left blank + 1 rejected.")
            _shot(page, kind, "import")
            # The same rows again, saved under another name as an officer re-exporting would
            # (a browser does not signal the same file chosen twice in one input).
            again = tmp_path / "supplier template, filled in (2).csv"
            tpl.to_csv(again, index=False)
            assert _import(page, again) == (
                f"Last import: {n:,} rows in = 0 applied + 1 unchanged (the register has them "
                f"already) + {blank:,} left blank + 1 rejected.")
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
            _shot(page, kind, "scenarios")
            # The consultation's pound-flow chart at presentation size.
            _open(page, base, "consultation")
            chart = page.locator('[data-testid="stVegaLiteChart"]').first
            chart.scroll_into_view_if_needed()
            assert chart.bounding_box()["height"] >= 150
            _shot(page, kind, "consultation-1920")
            assert not log.page_errors, log.page_errors
        finally:
            context.close()
