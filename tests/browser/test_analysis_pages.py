"""The analysis pages in Chromium: Re-spend model, Scenarios, Left behind.

Each opens without an exception or error box, draws its Vega-Lite charts and (where it has
one) a non-blank deck.gl map; screenshots go to ``test-artifacts/screenshots/<page>.png``
(and, with ``IMPACT_DOCS_SCREENSHOTS=1``, optimised to ``docs/screenshots/<page>.png``).
The Left behind → Scenarios button is clicked as a user would.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import (
    DECK,
    DIALOG,
    DOCS_SCREENSHOTS,
    ERROR_ALERT,
    EXCEPTION,
    PAGE_TIMEOUT_MS,
    SCREENSHOTS,
    save_png,
    scroll_to_top,
    wait_idle,
    wait_map_drawn,
)

pytestmark = pytest.mark.browser

UPDATE_DOCS = os.environ.get("IMPACT_DOCS_SCREENSHOTS") == "1"
VEGA = '[data-testid="stVegaLiteChart"]'
MIN_DRAWN = 0.02
#: url_path → (file stem of the screenshot, minimum Vega charts, minimum maps)
PAGES = {
    "respend": ("re-spend-model", 2, 1),
    "scenarios": ("scenarios", 0, 0),  # reached from Left behind's button
    "left-behind": ("left-behind", 2, 2),
}


def _problems(page) -> list[str]:
    out = []
    for sel, kind in ((EXCEPTION, "exception"), (ERROR_ALERT, "error alert"),
                      (DIALOG, "dialog")):
        boxes = page.locator(sel)
        for i in range(boxes.count()):
            if boxes.nth(i).is_visible():
                out.append(f"{kind}: {' '.join(boxes.nth(i).inner_text().split())[:300]}")
    return out


def _open(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def _check_page(page, log, path: str) -> list[str]:
    """Problems on the open page; saves its screenshot, its maps' and its charts'."""
    name, n_vega, n_maps = PAGES[path]
    problems = _problems(page)
    vega = page.locator(VEGA)
    if n_vega:
        vega.first.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
        if vega.count() < n_vega:
            problems.append(f"{vega.count()} Vega-Lite chart(s), expected ≥ {n_vega}")
        # A drawn Vega chart has marks in its canvas or SVG, not just an empty container.
        drawn = page.locator(f"{VEGA} canvas, {VEGA} svg").count()
        if drawn < n_vega:
            problems.append(f"only {drawn} Vega-Lite chart(s) drawn")
        for i in range(vega.count()):
            save_png(vega.nth(i).screenshot(), SCREENSHOTS / f"{name}-chart{i}.png")
    maps = page.locator(DECK).count()
    if maps < n_maps:
        problems.append(f"{maps} map(s), expected ≥ {n_maps}")
    for i in range(maps):
        png, share, colours = wait_map_drawn(page, i, MIN_DRAWN)
        save_png(png, SCREENSHOTS / f"{name}-map{i}.png")
        if share < MIN_DRAWN:
            problems.append(f"map {i} canvas is blank ({share:.1%} drawn, {colours} colours)")
    scroll_to_top(page)
    shot = page.screenshot()
    save_png(shot, SCREENSHOTS / f"{name}.png")
    if UPDATE_DOCS:
        save_png(shot, DOCS_SCREENSHOTS / f"{name}.png", optimise=True)
    problems += [f"JS error: {e[:200]}" for e in log.page_errors]
    log.page_errors.clear()
    return problems


def test_respend_page_renders(app_url, page_and_log):
    page, log = page_and_log
    _open(page, f"{app_url}/respend")
    problems = _check_page(page, log, "respend")
    assert not problems, "\n".join(problems)


def test_left_behind_renders_and_sends_areas_to_scenarios(app_url, page_and_log):
    """Left behind draws its maps and charts; its button opens Scenarios with the target."""
    page, log = page_and_log
    _open(page, f"{app_url}/left-behind")
    problems = _check_page(page, log, "left-behind")
    assert not problems, "\n".join(problems)
    button = page.get_by_role("button", name="Use these areas in a scenario")
    button.scroll_into_view_if_needed()
    button.click()
    page.wait_for_timeout(300)
    wait_idle(page)
    assert page.url.rstrip("/").endswith("/scenarios"), page.url
    assert page.get_by_role("heading", name="Scenarios").first.is_visible()
    assert page.get_by_text("Areas from the Left behind page").first.is_visible()
    problems = _check_page(page, log, "scenarios")
    assert not problems, "\n".join(problems)
