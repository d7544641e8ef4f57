"""Every page of the app, as a person sees it in Chromium: renders, no errors, maps drawn.

Pages are discovered from the sidebar navigation, so the tests follow the app as it changes;
the navigation itself must list exactly the pages of app.py's ``PAGES``.
Screenshots (1280×720) go to ``test-artifacts/screenshots/``; with
``IMPACT_DOCS_SCREENSHOTS=1`` the canonical ones are also written, optimised, to
``docs/screenshots/<page>.png`` for the README (opt-in so a test run does not rewrite
tracked files).
"""

from __future__ import annotations

import ast
import os
import re

import pytest

from tests.browser.conftest import (
    DECK,
    DOCS_SCREENSHOTS,
    FIRST_DEEP_LINK,
    METRIC_VALUE,
    NAV_LINK,
    PAGE_TIMEOUT_MS,
    ROOT,
    SCREENSHOTS,
    nav_links,
    new_context,
    page_problems,
    save_png,
    scroll_to_top,
    slug,
    wait_idle,
    wait_map_drawn,
)

pytestmark = pytest.mark.browser

UPDATE_DOCS = os.environ.get("IMPACT_DOCS_SCREENSHOTS") == "1"
#: Pages whose README screenshot another test takes with data loaded (Compare: with councils).
OWN_DOCS_SHOT = {"compare"}
MAP_PAGE = re.compile(r"spend\s*map|\bmap\b", re.I)
#: The ward panel (views/spend_map_page.py) shows the ward's name as a heading and these metrics.
WARD_PANEL_TEXT = re.compile(r"Spend received|Top suppliers based here", re.I)
POINTS_TOGGLE = re.compile(r"supplier points", re.I)
MIN_DRAWN = 0.02  # share of canvas pixels that must differ from the background colour
SLIDER_THUMB = '[data-testid="stSliderThumbValue"]'
TOOLTIP = ".deck-tooltip"


_page_problems = page_problems


def _sidebar_filter_state(page) -> list[str]:
    """What the sidebar filters show: the Months range (its two thumbs' labels), the
    "Showing: …" summary and the toggles, to see that they persist."""
    side = page.locator('[data-testid="stSidebar"]')
    values = side.locator(SLIDER_THUMB).all_inner_texts()
    values += side.get_by_text("Showing:").all_inner_texts()
    switches = side.get_by_role("switch")
    values += [str(switches.nth(i).is_checked()) for i in range(switches.count())]
    return values


@pytest.fixture(scope="module")
def pages(app_url, browser) -> list[tuple[str, str]]:
    """(label, URL) of every page; the app's first page when there is no navigation."""
    context, page, _ = new_context(browser)
    try:
        page.goto(app_url)
        wait_idle(page)
        links = nav_links(page)
    finally:
        context.close()
    return links or [("Overview", app_url + "/")]


def app_pages() -> list[dict]:
    """Script, title and URL path of every ``st.Page`` in app.py's ``PAGES``, in order, read
    from the source (importing app.py would run the app)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        targets = [getattr(t, "id", "") for t in getattr(node, "targets", [])]
        if isinstance(node, ast.Assign) and targets == ["PAGES"]:
            return [
                {
                    "script": ast.literal_eval(call.args[0]),
                    **{kw.arg: ast.literal_eval(kw.value) for kw in call.keywords},
                }
                for call in node.value.elts
            ]
    raise AssertionError("app.py has no PAGES list")


def test_navigation_lists_every_page(pages):
    """The sidebar shows exactly app.py's pages, by title and in order, each at its own URL;
    and every page script in views/ is one of them."""
    expected = app_pages()
    scripts = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "views").glob("*.py")
        if not p.name.startswith("_")
    )
    assert sorted(p["script"] for p in expected) == scripts
    assert [label for label, _ in pages] == [p["title"] for p in expected]
    for (label, url), p in zip(pages, expected, strict=True):
        path = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        assert path == p["url_path"] or p.get("default"), (label, url)
    urls = [u for _, u in pages]
    assert len(set(urls)) == len(urls), f"duplicate page links: {pages}"


def _covered_elsewhere() -> set[str]:
    """URL paths of pages with their own browser-test module (checked there, not twice)."""
    try:
        from tests.browser.test_analysis_pages import PAGES as ANALYSIS
    except ImportError:
        return set()
    return set(ANALYSIS)


def test_every_page_renders_without_errors(pages, page_and_log):
    """Open each page by its URL (a new session); no exception, error box or dialog; every
    deck.gl map draws something."""
    page, log = page_and_log
    problems: list[str] = []
    skip = _covered_elsewhere()
    for label, url in pages:
        if url.rstrip("/").rsplit("/", 1)[-1] in skip:
            continue
        page.goto(url)
        try:
            wait_idle(page)
        except Exception as exc:  # keep going: report every page, not just the first
            problems.append(f"{label}: never became idle ({type(exc).__name__})")
            continue
        problems += [f"{label}: {p}" for p in _page_problems(page)]
        maps = page.locator(DECK).count()
        for i in range(maps):
            png, share, colours = wait_map_drawn(page, i, MIN_DRAWN)
            save_png(png, SCREENSHOTS / f"{slug(label)}-map{i}.png")
            if share < MIN_DRAWN:
                problems.append(f"{label}: map {i} canvas is blank ({share:.1%} drawn, "
                                f"{colours} colours)")
        scroll_to_top(page)
        shot = page.screenshot()
        save_png(shot, SCREENSHOTS / f"{slug(label)}.png")
        if UPDATE_DOCS and slug(label) not in OWN_DOCS_SHOT:
            save_png(shot, DOCS_SCREENSHOTS / f"{slug(label)}.png", optimise=True)
    if log.page_errors:
        problems += [f"JS error: {e[:200]}" for e in log.page_errors]
    assert not problems, "\n".join(problems)


def test_spend_map_ward_click_opens_ward_panel(app_url, pages, page_and_log):
    """Open the map as a user does (sidebar link), click the borough's centre: ward panel."""
    page, _ = page_and_log
    label = next((lab for lab, _ in pages if MAP_PAGE.search(lab)), None)
    assert label, f"no map page in the sidebar navigation: {[lab for lab, _ in pages]}"
    page.goto(app_url)
    wait_idle(page)
    page.locator(NAV_LINK).filter(has_text=label).first.click()
    page.wait_for_timeout(300)
    wait_idle(page)
    assert not _page_problems(page), _page_problems(page)
    page.locator(DECK).first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
    filters_before = _sidebar_filter_state(page)
    assert len(filters_before) >= 3 and re.match(r"\d{4}-\d{2}$", filters_before[0]), (
        f"no Months range in the sidebar: {filters_before}")
    points = page.get_by_role("switch", name=POINTS_TOGGLE)
    assert points.count() and points.first.is_checked(), "supplier points should start on"
    # Toggle the points off and on again (the map's own widget), then click with the points
    # drawn: they are not pickable unless "Click suppliers" is on, so the ward gets it.
    for _ in range(2):
        points.first.click(force=True)
        page.wait_for_timeout(300)
        wait_idle(page)
    _, share, _ = wait_map_drawn(page, 0, MIN_DRAWN)
    assert share >= MIN_DRAWN, f"the Spend map canvas is blank ({share:.1%} drawn)"
    before = page.get_by_role("heading").all_inner_texts()
    box = page.locator(DECK).first.bounding_box()
    assert box, "map has no box"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)  # hover first, as a person does: deck.gl has picked the ward
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # Selection triggers a rerun (later with ward names drawn): wait for its panel.
    page.get_by_text(WARD_PANEL_TEXT).first.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
    wait_idle(page)
    new = [h for h in page.get_by_role("heading").all_inner_texts() if h not in before]
    wait_map_drawn(page, 0, MIN_DRAWN)
    # The tooltip renders its markup (a bold ward name), never literal tags.
    page.mouse.move(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2 + 3)
    page.locator(TOOLTIP).first.wait_for(state="visible", timeout=5_000)
    tip_html = page.locator(TOOLTIP).first.inner_html()
    tip_text = page.locator(TOOLTIP).first.inner_text()
    assert "<b>" in tip_html and "<b>" not in tip_text and "&lt;" not in tip_html, tip_html
    # At 1280×720 the whole map is on screen, its legend beside it.
    vh = page.viewport_size["height"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= vh, f"map not on screen: {box}"
    lg = page.locator('[data-testid="stHtml"] b').filter(
        has_text=re.compile(r"£ received by suppliers based in the ward")).first
    lg_box = lg.bounding_box()
    assert lg_box and lg_box["y"] + lg_box["height"] <= vh, f"legend below the fold: {lg_box}"
    # The ward panel's figures are not cut off ("11,…", "Most deprive…").
    for text in ("Spend received", "Residents", "Most deprived LSOA decile"):
        cell = page.get_by_text(text, exact=True).first
        assert cell.is_visible(), f"ward panel lacks {text!r}"
        assert cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"{text!r} is clipped"
    scroll_to_top(page)
    shot = page.screenshot()
    save_png(shot, SCREENSHOTS / "spend-map-ward-selected.png")
    if UPDATE_DOCS:
        save_png(shot, DOCS_SCREENSHOTS / "spend-map-ward-selected.png", optimise=True)
    assert new, "clicking the map centre showed no new heading (the ward's name)"
    assert page.get_by_text(WARD_PANEL_TEXT).first.is_visible(), (
        f"clicking the map centre showed no ward panel; new headings: {new}")
    assert not _page_problems(page), _page_problems(page)
    assert _sidebar_filter_state(page) == filters_before, (
        "using the map's own widgets changed the sidebar filters: "
        f"{filters_before} → {_sidebar_filter_state(page)}")


def test_deep_links_on_a_fresh_server(app_server):
    """The server's very first request was a deep link: no "Page not found" dialog, the
    linked page shown.  (Every other page's URL is opened in a new session, checked for
    dialogs, by ``test_every_page_renders_without_errors``.)"""
    first = app_server[1]
    assert not first["problems"], f"{FIRST_DEEP_LINK} on a fresh server: {first['problems']}"
    assert first["title"] == "Spend map", first
    assert first["url"].endswith(FIRST_DEEP_LINK) and not first["js_errors"], first


def test_overview_at_1920x1080(app_url, browser, pages):
    context, page, log = new_context(browser, 1920, 1080)
    try:
        page.goto(pages[0][1])
        wait_idle(page)
        problems = _page_problems(page)
        assert not problems, "\n".join(problems)
        page.locator(METRIC_VALUE).first.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
        for i in range(page.locator(DECK).count()):
            _, share, _ = wait_map_drawn(page, i, MIN_DRAWN)
            if share < MIN_DRAWN:
                problems.append(f"map {i} blank at 1920×1080")
        # The Overview's ward map is a static SVG (no WebGL bundle before first paint).
        svg = page.locator('[data-testid="stImage"] img[src^="data:image/svg+xml"]')
        if not svg.count() or not svg.first.evaluate("e => e.naturalWidth > 0"):
            problems.append("the Overview shows no ward map")
        else:
            svg.first.scroll_into_view_if_needed()
            save_png(svg.first.screenshot(), SCREENSHOTS / "overview-map-svg.png")
        scroll_to_top(page)
        save_png(page.screenshot(), SCREENSHOTS / "overview-1920x1080.png")
        problems += [f"JS error: {e[:200]}" for e in log.page_errors]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
