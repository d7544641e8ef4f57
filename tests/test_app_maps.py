"""The Spend map and Left behind pages through AppTest: the ward found by name is kept in
the URL and a link opens on it; the placed share is said beside the figures; below
the one gate (:data:`impact.analysis.measures.MIN_COVERAGE`) a ward with no placed spend
reads "not enough data", never £0."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact.analysis.measures import NOT_ENOUGH_DATA, WARD, Coverage, WardBasis
from impact.core.settings import WORKSPACE_DIR, project_root
from impact.outputs import maps
from impact.sources import folder_source
from tests._shared import missing
from views._analysis import reach_text

APP = str(project_root() / "app.py")
MAP, LB = "views/spend_map_page.py", "views/left_behind_page.py"
TIMEOUT = 240


@pytest.fixture()
def env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path_factory.getbasetemp() / "demo-ws"))


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _html(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def test_the_ward_found_by_name_is_kept_in_the_url_and_a_link_opens_on_it(env) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(MAP).run()
    _ok(at)
    ward = at.selectbox(key="map_ward")
    assert all("E0" not in n for n in ward.options)  # names, not codes
    ward.select_index(3).run()
    _ok(at)
    code = at.selectbox(key="map_ward").value
    assert code.startswith("E05") and at.query_params["ward"] in (code, [code])
    assert "Spend received" in _html(at) and "Spend placed at ward level" in _html(at)
    assert "data-testid=\"map-legend\"" in _html(at)
    assert any(c.value == maps.BASEMAP_NOTE for c in at.caption), "no offline-basemap note"

    link = AppTest.from_file(APP, default_timeout=TIMEOUT)
    link.query_params["ward"] = code
    link.run()
    link.switch_page(MAP).run()
    _ok(link)
    # a fresh session opened on the link shows that ward
    assert link.selectbox(key="map_ward").value == code


def test_placed_share_is_said_on_both_pages(env) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(MAP).run()
    _ok(at)
    said = [c.value for c in at.caption] + [w.value for w in at.warning]
    assert any("Placed share:" in s and "placed at ward level" in s for s in said), said
    at.switch_page(LB).run()
    _ok(at)
    said = [c.value for c in at.caption] + [w.value for w in at.warning]
    assert any("Spend reach rests on the" in s for s in said), said


def test_reach_reads_not_enough_data_below_the_coverage_gate() -> None:
    table = pd.DataFrame({"spend": [0.0, 1200.0, 0.0], "spend_per_resident": [0.0, 0.4, None]})
    thin = WardBasis(Coverage(WARD, 30.0, 100.0), 0.0, 0)
    enough = WardBasis(Coverage(WARD, 80.0, 100.0), 0.0, 0)
    assert list(reach_text(table, thin)) == [NOT_ENOUGH_DATA, "£0.40", NOT_ENOUGH_DATA]
    assert list(reach_text(table, enough)) == ["£0.00", "£0.40", ""]


@pytest.mark.shared
def test_a_low_coverage_council_shows_not_enough_data(env, shared_data: Path) -> None:
    folder = shared_data / "spend" / "manchester"
    files = sorted(folder.glob("manchester_2021-1[12].csv"))
    if not files:
        missing(f"no Manchester 2021 files in {folder}")
    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["source"] = folder_source(folder, council="Manchester",
                                               reference=shared_data, files=files)
    at.run()
    at.switch_page(MAP).run()
    _ok(at)
    warned = " ".join(w.value for w in at.warning)
    assert "too little to say a ward with no placed supplier received nothing" in warned
    table = at.dataframe[-1].value
    assert (table["rests_on"] == NOT_ENOUGH_DATA).any()
    thin = table["rests_on"] == NOT_ENOUGH_DATA
    assert table.loc[thin, "spend_per_resident"].isna().all()  # blank, never £0
    at.switch_page(LB).run()
    _ok(at)
    assert any("too little to say an area received nothing" in w.value for w in at.warning)
