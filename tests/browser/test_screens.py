"""Every page as people read it, at 1920×1080 and 1366×768, on the demo and a real council:
no internal identifier (snake_case, "None", "£-", an escaped path) in the visible text, no
"Page not found" (deep links on a fresh server), consultation mode without the sidebar, and
the frame (title, navigation) on screen before the figures on a cold start.

Tables are drawn on a canvas, so their cells are checked through AppTest
(``tests/test_app_screens.py``); this reads everything else a person sees.  Screenshots go to
``test-artifacts/screenshots/screens-<council>-<page>-<width>.png``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests._shared import require
from tests.browser.conftest import (
    APP,
    NAV_LINK,
    ROOT,
    SCREENSHOTS,
    hermetic_env,
    new_context,
    page_problems,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (1366, 768)]
#: URL path → the page's title (every page of app.py; "" is the Overview).
PAGES = {"": "Overview", "map": "Spend map", "departments": "Departments and time",
         "suppliers": "Suppliers", "compare": "Compare", "data": "Data",
         "respend": "Re-spend model", "scenarios": "Scenarios", "left-behind": "Left behind",
         "board-pack": "Board pack", "consultation": "Where does our £1 go?"}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
#: Visible text that is an internal identifier, not words.
BAD = [(SNAKE, "snake_case"), (re.compile(r"\bNone\b(?!-)"), '"None"'), (re.compile("£-"), "£-"),
       (re.compile(r"\w\\[-_.]\w"), "escaped text"), (re.compile(r"\bnef\b"), "nef"),
       (re.compile("Page not found", re.I), "Page not found")]
LOAD_MS = 240_000  # a real council's first load on a shared 2-core machine
#: Pages whose words another piece of work owns (maps, left behind, board pack): checked here
#: for errors, "Page not found" and their title, and for identifiers in their own tests.
OTHERS = {"map", "left-behind", "board-pack"}
#: Streamlit's icons are ligatures of the icon font ("keyboard_arrow_right" draws an arrow).
ICON = '[data-testid="stIconMaterial"]'


def visible_text(page) -> str:
    """The words on screen: the app's text without the icon font's ligature names."""
    icons = set(page.locator(ICON).all_inner_texts())
    text = page.locator(APP).inner_text()
    return " ".join(w for w in text.split() if w not in icons)


def identifiers(text: str) -> list[str]:
    """Each internal identifier in ``text`` with what it is ("snake_case: delta_lm3_p10")."""
    return [f"{what}: {m.group(0)}" for rx, what in BAD for m in rx.finditer(text)]


def _visit(page, base: str, path: str, council: str, size: tuple[int, int]) -> list[str]:
    """Open one page, screenshot it, and return its problems (errors and identifiers)."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{base}/{path}")
    wait_idle(page, timeout_ms=LOAD_MS)
    page.wait_for_timeout(500)
    title = page.locator("h1").first.inner_text().strip()
    problems = page_problems(page)
    if title != PAGES[path]:
        problems.append(f"title {title!r}")
    if path not in OTHERS:
        problems += identifiers(visible_text(page))
    name = f"screens-{council}-{path or 'overview'}-{size[0]}.png"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))
    if path == "consultation" and page.locator('[data-testid="stSidebar"]').is_visible():
        problems.append("consultation mode shows the sidebar")
    return problems


def _all_pages(browser, base: str, council: str) -> dict[str, list[str]]:
    context, page, log = new_context(browser)
    found = {}
    try:
        for size in SIZES:
            for path in PAGES:
                found[f"{path or 'overview'} {size[0]}"] = _visit(page, base, path, council, size)
    finally:
        context.close()
    assert not log.page_errors, log.page_errors
    return {k: v for k, v in found.items() if v}


def test_identifier_check_finds_what_it_should():
    text = "delta_lm3_p10 None £-540 demo\\-borough nef; fine: NEF, None-such, P10–P90, −£540"
    assert [p.split(":")[0] for p in identifiers(text)] == [
        "snake_case", '"None"', "£-", "escaped text", "nef"]


def test_deep_links_on_the_demo(app_server, browser):
    """The server's first request was a deep link; other spellings of pages open them too."""
    _, first = app_server
    assert not first["problems"], first
    context, page, _ = new_context(browser)
    try:
        for path, title in (("overview", "Overview"), ("spend_map", "Spend map"),
                            ("left_behind", "Left behind"), ("board_pack", "Board pack")):
            page.goto(f"{app_server[0]}/{path}")
            wait_idle(page)
            assert not page_problems(page), (path, page_problems(page))
            assert page.locator("h1").first.inner_text().strip() == title, path
    finally:
        context.close()


def test_every_page_reads_as_words_on_the_demo(app_url, browser):
    assert _all_pages(browser, app_url, "demo") == {}


@pytest.fixture(scope="module")
def real_council(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A real council's folder as an officer makes it (``impact ingest`` then ``impact
    locate``, which also prepares the app's first load), and the app's environment."""
    spend = require("spend", "hyndburn")
    data = spend.parents[1]
    tmp = tmp_path_factory.mktemp("hyndburn")
    env = {**hermetic_env(tmp), "IMPACT_REFERENCE_DIR": str(data),
           "IMPACT_SHARED_DATA": str(data)}
    out = tmp / "hyndburn"
    cli = [sys.executable, "-m", "impact.cli"]
    for args in (["ingest", str(spend), "--council", "Hyndburn", "--out", str(out)],
                 ["locate", str(out), "--reference", str(data)]):
        subprocess.run([*cli, *args], cwd=ROOT, env={**os.environ, **env}, check=True,
                       capture_output=True)
    return {**env, "IMPACT_SOURCE_DIR": str(out)}


@pytest.mark.shared
def test_a_real_council_cold_start_deep_link_and_every_page(real_council, browser):
    """A fresh server's first request is a deep link: the frame shows before the figures,
    the council by its official name; then every page at both sizes reads as words."""
    with streamlit_server(env=real_council, log_name="screens-hyndburn.log") as base:
        context, page, _ = new_context(browser)
        try:
            page.add_init_script(
                "window.__t = {}; new MutationObserver(() => { const t = window.__t;"
                f" if (!t.frame && document.querySelector('h1') && document.querySelector("
                f"'{NAV_LINK}')) t.frame = performance.now();"
                " if (!t.figures && document.querySelector('[data-testid=\"stMetricValue\"]'))"
                " t.figures = performance.now(); }).observe(document, {subtree: true,"
                " childList: true});")
            page.goto(base + "/overview")
            wait_idle(page, timeout_ms=LOAD_MS)
            assert not page_problems(page), page_problems(page)
            t = page.evaluate("window.__t")
            assert t.get("frame") and t.get("figures") and t["frame"] <= t["figures"], t
            assert "Hyndburn Borough Council" in visible_text(page)
        finally:
            context.close()
        assert _all_pages(browser, base, "hyndburn") == {}

