"""Browser-test fixtures: one Streamlit server and one headless Debian Chromium per session.

Why this shape: starting Streamlit and Chromium costs seconds, so both are session-scoped;
each test gets a fresh browser context (own cookies, own Streamlit session).  The plain
helpers (``streamlit_server``, ``new_context``, ``wait_idle`` …) live in :mod:`bench.browser`,
which the benchmarks use too; they are re-exported here for the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.browser import (  # noqa: F401  (re-exported for the browser tests)
    APP,
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DECK,
    DIALOG,
    DOCS_SCREENSHOTS,
    ERROR_ALERT,
    EXCEPTION,
    LOCAL_HOSTS,
    METRIC_VALUE,
    NAV_LINK,
    PAGE_TIMEOUT_MS,
    ROOT,
    SCREENSHOTS,
    SERVER_START_TIMEOUT_S,
    SKELETON,
    PageLog,
    deck_canvas,
    free_port,
    hermetic_env,
    image_spread,
    launch_chromium,
    nav_links,
    new_context,
    page_problems,
    save_png,
    scroll_to_top,
    slug,
    streamlit_process,
    streamlit_server,
    wait_idle,
    wait_map_drawn,
)


def render_pdf_page(pdf: Path, index: int, png: Path, scale: float = 80 / 72) -> Path:
    """One page of a PDF as a PNG, drawn by PDFium (a pip wheel, so CI needs no poppler)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        doc[index].render(scale=scale).to_pil().save(png)
    finally:
        doc.close()
    return png


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (`make chromium`)")
    return CHROMIUM


FIRST_DEEP_LINK = "/map"


@pytest.fixture(scope="session")
def app_server(chromium_path: Path, browser, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[str, dict]]:
    """(base URL, first visit) of a Streamlit server running app.py on the demo borough.

    The server's very first request is the deep link :data:`FIRST_DEEP_LINK` (Streamlit's
    legacy pages mode showed "Page not found" only then); ``first visit`` records what it
    showed (url, problems, title, JS errors).
    """
    with streamlit_server(env=hermetic_env(tmp_path_factory.mktemp("app"))) as base:
        context, page, log = new_context(browser)
        try:
            page.goto(base + FIRST_DEEP_LINK)
            wait_idle(page)
            first = {"url": page.url, "problems": page_problems(page),
                     "title": page.locator("h1").first.inner_text(),
                     "js_errors": list(log.page_errors)}
        finally:
            context.close()
        yield base, first


@pytest.fixture(scope="session")
def app_url(app_server: tuple[str, dict]) -> str:
    """Base URL of the session's Streamlit server (see ``app_server``)."""
    return app_server[0]


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page_and_log(browser):
    """A 1280×720 page, and the log of what the browser complained about.

    Shared by a module's tests so the app's JS stays in the HTTP cache; every ``goto`` still
    opens a new Streamlit session (fresh session state).
    """
    context, page, log = new_context(browser)
    try:
        yield page, log
    finally:
        context.close()
