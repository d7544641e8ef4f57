"""The Compare page through AppTest, started from app.py: on an empty store it offers to add
the open council; on a store of synthetic councils it ranks them per measure with coverage,
names the statistical neighbours, draws a trend, and puts no code or snake_case on screen."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact.core.settings import STORE_DIR, WORKSPACE_DIR, project_root
from impact.store import Store, write_national_demo

APP = str(project_root() / "app.py")
PAGE = "views/compare_page.py"
TIMEOUT = 180


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path / "ws"))
    monkeypatch.setenv(STORE_DIR, str(tmp_path / "store"))
    return Store(tmp_path / "store")


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _page(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _ok(at)
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def test_an_empty_store_offers_the_open_council(env: Store) -> None:
    at = _page()
    assert at.title[0].value == "Compare"
    assert any("No councils to compare yet" in i.value for i in at.info)
    button = next(b for b in at.button if b.label.startswith("Add Demo Borough"))
    button.click().run()
    _ok(at)
    assert [e.council for e in env.entries()] == ["Demo Borough Council (synthetic)"]
    assert at.selectbox(key="cmp_council").value == "demo-borough-council-synthetic"


def test_synthetic_councils_are_ranked_with_neighbours_and_a_trend(env: Store) -> None:
    write_national_demo(env, councils=12, rows=3000, seed=5)
    at = _page()
    council = at.selectbox(key="cmp_council")
    assert all("(synthetic)" in o for o in council.options)  # names shown, not ids
    assert at.multiselect(key="cmp_others").value, "neighbours or others chosen by default"
    assert any("Statistical neighbours" in c.value for c in at.caption)
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 6, "one ranked dot plot per default measure, and the trend"
    assert any("synthetic" in w.value for w in at.warning)
    at.radio(key="cmp_freq").set_value("quarter").run()
    _ok(at)
    assert len(at.get("vega_lite_chart")) >= 7
    shown = at.dataframe[0].value
    assert not [c for c in shown.columns if re.search(r"_|^E\d{8}$", str(c))], shown.columns
    assert not shown.astype(str).apply(lambda s: s.str.fullmatch(r"E\d{8}")).any().any()


def test_a_council_with_no_payments_says_so(env: Store) -> None:
    entries = write_national_demo(env, councils=3, rows=2000, seed=5)
    empty = entries[0]
    env.put(empty, pd.DataFrame())  # as a council whose files could not be read
    at = _page()
    at.selectbox(key="cmp_council").set_value(empty.council_id).run()
    _ok(at)
    assert any("one period only" in i.value or "no trend" in i.value for i in at.info)
    table = at.dataframe[0].value
    row = table[table["Council"] == empty.council].iloc[0]
    assert row["Period"] == "no payments" and row["Local share"] == "not enough data"
