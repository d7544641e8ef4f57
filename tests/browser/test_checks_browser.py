"""The Payment checks page in Chromium, as an officer uses it: findings ranked by confidence
and £, the rows behind one as published, a verdict saved and still there in a new session,
and "What changed" — on the demo at 1366×768 and 1920×1080, and on Hyndburn's real files
(2023/24 to 2024/25, the jump from £18.8m to £94.1m explained).  Screenshots go to
``test-artifacts/screenshots/checks-*.png``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import (
    SCREENSHOTS,
    hermetic_env,
    new_context,
    page_problems,
    scroll_to_top,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

SUCCESS = '[data-testid="stAlertContentSuccess"]'
FIRST_LOAD_MS = 300_000  # Hyndburn's ingest and locate on a shared 2-core machine


def _shot(page, name: str, anchor=None) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    scroll_to_top(page)
    if anchor is not None:
        anchor.first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
    path = SCREENSHOTS / f"checks-{name}.png"
    page.screenshot(path=str(path))
    return path


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_timeout(300)
    wait_idle(page)


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_page_reads_well_and_a_verdict_sticks(browser, tmp_path: Path,
                                                  size: tuple[int, int]) -> None:
    env = hermetic_env(tmp_path)
    with streamlit_server(env=env, log_name=f"checks-{size[0]}.log") as base:
        context, page, log = new_context(browser, *size)
        try:
            page.goto(base + "/checks")
            wait_idle(page, timeout_ms=FIRST_LOAD_MS)
            assert page.locator("h1").first.inner_text() == "Payment checks"
            assert not page_problems(page), page_problems(page)
            assert page.get_by_text("£ at stake").first.is_visible()
            _shot(page, f"{size[0]}x{size[1]}")
            rows = page.get_by_text(re.compile(r"published lines behind it"))
            _shot(page, f"rows-{size[0]}x{size[1]}", rows)
            name = page.get_by_label("Your name (recorded with the verdict)")
            name.fill("Test Officer")
            name.press("Enter")
            page.wait_for_timeout(300)
            wait_idle(page)
            form = page.locator('[data-testid="stForm"]')
            form.get_by_text("confirmed", exact=True).click()
            form.get_by_label("Note (why: explained by, confirmed how)").fill(
                "Checked with finance")
            form.get_by_role("button", name="Save the verdict").click()
            page.wait_for_timeout(300)
            wait_idle(page)
            assert "Saved: confirmed" in " ".join(page.locator(SUCCESS).all_inner_texts())
            _shot(page, f"verdict-{size[0]}x{size[1]}", page.locator(SUCCESS))
            _tab(page, "What changed")
            page.get_by_text("quarters", exact=True).click()
            page.wait_for_timeout(300)
            wait_idle(page)
            assert page.get_by_text(re.compile("^Published spend")).first.is_visible()
            _shot(page, f"what-changed-{size[0]}x{size[1]}")
            assert not page_problems(page) and not log.page_errors, log.page_errors
        finally:
            context.close()
        context, page, _ = new_context(browser, *size)  # a new session: the verdict is kept
        try:
            page.goto(base + "/checks")
            wait_idle(page)
            metric = page.locator('[data-testid="stMetric"]').filter(
                has_text="Confirmed by officers")
            assert metric.locator('[data-testid="stMetricValue"]').inner_text() == "1"
        finally:
            context.close()


@pytest.mark.shared
def test_hyndburn_what_changed_in_the_browser(browser, tmp_path: Path,
                                              shared_data: Path) -> None:
    env = {**hermetic_env(tmp_path),
           "IMPACT_SOURCE_DIR": str(shared_data / "spend" / "hyndburn"),
           "IMPACT_COUNCIL": "Hyndburn", "IMPACT_REFERENCE_DIR": str(shared_data)}
    with streamlit_server(env=env, log_name="checks-hyndburn.log") as base:
        context, page, log = new_context(browser, 1920, 1080)
        try:
            page.goto(base + "/checks")
            wait_idle(page, timeout_ms=FIRST_LOAD_MS)
            assert not page_problems(page), page_problems(page)
            _shot(page, "hyndburn-findings-1920x1080")
            _tab(page, "What changed")
            said = page.locator('[data-testid="stMarkdown"]').all_inner_texts()
            text = " ".join(said)
            assert "£18.8m in 2023/24 to £94.1m in 2024/25" in text, text[:600]
            assert "payments to other public bodies newly in the files" in text
            _shot(page, "hyndburn-what-changed-1920x1080")
            page.set_viewport_size({"width": 1366, "height": 768})
            page.wait_for_timeout(500)
            _shot(page, "hyndburn-what-changed-1366x768")
            assert not log.page_errors, log.page_errors
        finally:
            context.close()
