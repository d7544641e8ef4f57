"""The officer's work sticks: a supplier placed in the browser is still placed after the
server restarts (a new process and a new session), and so is the figure that rests on it.

The app is started on a council's folder of spend files (``IMPACT_SOURCE_DIR``; no register
in it, so there is work to do) — the case where resolutions used to be lost on reload.  A
postcode that is not in the postcode directory is refused first.  Screenshots go to
``test-artifacts/screenshots/resolve-*.png``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import (
    ERROR_ALERT,
    ROOT,
    SCREENSHOTS,
    hermetic_env,
    new_context,
    page_problems,
    scroll_to_top,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

FIRST_LOAD_MS = 180_000  # ingest + locate of the folder on a cold, shared machine
SUCCESS = '[data-testid="stAlertContentSuccess"]'
PLACED = re.compile(r"Spend placed")


def _council_folder(tmp: Path) -> Path:
    folder = tmp / "anytown-spend"
    shutil.copytree(ROOT / "data" / "demo" / "spend", folder)
    return folder


def _coverage(page, base: str) -> str:
    """The Data page's "Spend placed (coverage)" figure (one decimal)."""
    page.goto(base + "/data")
    wait_idle(page, timeout_ms=FIRST_LOAD_MS)
    card = page.locator('[data-testid="stMetric"]').filter(has_text=PLACED).first
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _first_in_queue(page) -> str:
    """The supplier the resolve form offers first (the largest unplaced one)."""
    return page.get_by_role("combobox", name="Supplier", exact=True).input_value().strip()


def _save(page, postcode: str) -> None:
    field = page.get_by_label("Postcode", exact=True)
    field.fill(postcode)
    page.get_by_role("button", name="Save to the supplier register").click()
    page.wait_for_timeout(300)
    wait_idle(page)


def _shot(page, name: str, anchor) -> None:
    """A screenshot of the view with ``anchor`` (a locator) in the middle of it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    scroll_to_top(page)
    anchor.first.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)
    page.screenshot(path=str(SCREENSHOTS / f"resolve-{name}.png"))


def test_a_resolution_survives_a_server_restart(browser, tmp_path: Path) -> None:
    env = {**hermetic_env(tmp_path), "IMPACT_SOURCE_DIR": str(_council_folder(tmp_path)),
           "IMPACT_COUNCIL": "Anytown Test Council", "IMPACT_LAD_CODES": "E09999999"}
    with streamlit_server(env=env, log_name="resolve-1.log") as base:
        context, page, log = new_context(browser, 1366, 768)
        try:
            before = _coverage(page, base)
            page.goto(base + "/suppliers")
            wait_idle(page)
            page.get_by_label("Your name (recorded with every supplier you place)").fill(
                "Ada Officer")
            page.keyboard.press("Tab")
            wait_idle(page)
            name = _first_in_queue(page)
            _save(page, "M99 9ZZ")
            errors = page.locator(ERROR_ALERT).all_inner_texts()
            assert any("M99 9ZZ" in e and "not in the postcode directory" in e
                       for e in errors), errors
            _shot(page, "refused", page.locator(ERROR_ALERT))
            _save(page, "ZZ1 0AB")
            saved = page.locator(SUCCESS).all_inner_texts()
            assert any(name in s and "Figures updated" in s for s in saved), (name, saved)
            assert not page_problems(page), page_problems(page)
            assert _first_in_queue(page) != name  # it left the queue at once
            _shot(page, "saved", page.locator(SUCCESS))
            after = _coverage(page, base)
            assert after != before, (before, after)
            assert not log.page_errors, log.page_errors
        finally:
            context.close()
    # A new server process on the same workspace folder: nothing typed is lost.
    with streamlit_server(env=env, log_name="resolve-2.log") as base:
        context, page, log = new_context(browser, 1366, 768)
        try:
            assert _coverage(page, base) == after
            page.goto(base + "/suppliers")
            wait_idle(page)
            assert _first_in_queue(page) != name
            page.get_by_role("tab", name="Who placed what").click()
            page.wait_for_timeout(300)
            wait_idle(page)
            assert not page_problems(page), page_problems(page)
            _shot(page, "after-restart", page.get_by_text("Place the unplaced suppliers"))
            page.get_by_role("tab", name="Template for the finance team").click()
            page.wait_for_timeout(300)
            _shot(page, "template", page.get_by_text("Filled-in template (CSV or Excel)"))
            assert not log.page_errors, log.page_errors
        finally:
            context.close()
