"""The Compare page in Chromium, on a store of synthetic councils (one with a sparse supplier
register): the ranked dot plots and the trend draw, a withheld figure reads "not enough
data", nothing on screen is a code, and screenshots at 1920×1080 and 1366×768 are kept in
``test-artifacts/screenshots/`` (``docs/screenshots/compare.png`` with
``IMPACT_DOCS_SCREENSHOTS=1``)."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from tests.browser.conftest import (
    DOCS_SCREENSHOTS,
    SCREENSHOTS,
    hermetic_env,
    new_context,
    page_problems,
    save_png,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

CHART = ".vega-embed"
SIZES = ((1920, 1080), (1366, 768))


def sparse_council(store) -> None:
    """Nine synthetic councils; the last with most of its suppliers not placed."""
    from impact.store import write_national_demo

    last = write_national_demo(store, councils=9, rows=3000, seed=7)[-1]
    tx = store.payments([last.council_id]).drop(columns="council_id")
    sparse = np.random.default_rng(1).random(len(tx)) < 0.8
    tx.loc[sparse, "is_located"] = False
    tx.loc[sparse, "location_band"] = "not located"
    tx.loc[sparse, ["ward_code", "lad_code", "imd_decile"]] = None
    store.put(last, tx)


@pytest.fixture(scope="module")
def compare_url(chromium_path, tmp_path_factory) -> str:
    from impact.store import Store

    tmp = tmp_path_factory.mktemp("compare")
    sparse_council(Store(tmp / "store"))
    env = {**hermetic_env(tmp), "IMPACT_STORE_DIR": str(tmp / "store")}
    with streamlit_server(env=env, log_name="streamlit-compare.log") as base:
        yield base + "/compare"


def _charts_drawn(page, n: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('{CHART} svg.marks, {CHART} canvas').length >= {n}")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_compare_ranks_councils_and_says_not_enough_data(browser, compare_url, size) -> None:
    context, page, log = new_context(browser, *size)
    try:
        page.goto(compare_url)
        wait_idle(page)
        _charts_drawn(page, 6)
        assert not page_problems(page) and not log.page_errors
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "not enough data" in text
        assert not re.search(r"\bE\d{8}\b|[a-z]+_[a-z]+", text), "a code or snake_case shown"
        shot = page.screenshot()
        save_png(shot, SCREENSHOTS / f"compare-{size[0]}x{size[1]}.png")
        if os.environ.get("IMPACT_DOCS_SCREENSHOTS") == "1" and size == (1920, 1080):
            save_png(shot, DOCS_SCREENSHOTS / "compare.png", optimise=True)
    finally:
        context.close()


def test_compare_trend_draws(browser, compare_url) -> None:
    context, page, log = new_context(browser, 1366, 768)
    try:
        page.goto(compare_url)
        wait_idle(page)
        page.get_by_role("tab", name="Trend").click()
        wait_idle(page)
        _charts_drawn(page, 2)
        assert not page_problems(page) and not log.page_errors
        save_png(page.screenshot(), SCREENSHOTS / "compare-trend-1366x768.png")
    finally:
        context.close()
