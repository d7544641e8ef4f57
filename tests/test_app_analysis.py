"""The analysis pages through AppTest, started from app.py: Re-spend model, Scenarios, Left
behind.  They render on the demo, settings change figures, assumptions and scenarios are
saved under a temporary workspace folder, and Left behind hands its areas to Scenarios."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from impact.analysis.priors import default_priors, load_priors, save_priors
from impact.core.settings import WORKSPACE_DIR, project_root

APP = str(project_root() / "app.py")
LM3, SCN, LB = "views/lm3_page.py", "views/scenarios_page.py", "views/left_behind_page.py"
TIMEOUT = 120


@pytest.fixture(scope="module")
def tmp_ws(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("analysis_ws")
    old = os.environ.get(WORKSPACE_DIR)
    os.environ[WORKSPACE_DIR] = str(root)
    yield root
    if old is None:
        os.environ.pop(WORKSPACE_DIR, None)
    else:
        os.environ[WORKSPACE_DIR] = old


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _app(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _ok(at)
    at.switch_page(page).run()
    _ok(at)
    return at


def test_pages_render_with_charts_and_maps(tmp_ws: Path) -> None:
    at = _app(LM3)
    assert at.title[0].value == "Re-spend model"
    assert any("Synthetic demo" in w.value for w in at.warning)
    assert len(at.get("vega_lite_chart")) >= 2, "waterfall and band charts missing"
    assert at.get("deck_gl_json_chart"), "ward map of round-2 money missing"
    assert any(e.label == "How this was calculated" for e in at.expander)
    assert any("can be checked by hand" in i.value for i in at.info)
    at.switch_page(SCN).run()
    _ok(at)
    assert at.title[0].value == "Scenarios"
    assert any("a 0 % scenario changes LM3 by +0.000" in c.value for c in at.caption)
    at.switch_page(LB).run()
    _ok(at)
    assert at.title[0].value == "Left behind"
    assert len(at.get("deck_gl_json_chart")) >= 2, "cluster and hot-spot maps missing"
    assert at.get("vega_lite_chart")
    assert int(_metric(at, "Wards compared")) == 20


def test_settings_change_the_figures_and_are_the_councils(tmp_ws: Path) -> None:
    at = _app(LM3)
    lm3 = _metric(at, "Local multiplier (LM3)")
    retained = _metric(at, "£ retained locally (R2 + R3, P50)")
    at.number_input(key="lm3_w_payroll").set_value(20_000_000.0).run()
    at.slider(key="lm3_w_staff").set_value(60.0).run()
    _ok(at)
    changed = _metric(at, "Local multiplier (LM3)")
    assert changed != lm3
    assert _metric(at, "£ retained locally (R2 + R3, P50)") != retained
    # The Scenarios baseline and a new session use the same, saved, choices.
    at.switch_page(SCN).run()
    _ok(at)
    assert _metric_from(at) == changed
    assert _metric(_app(LM3), "Local multiplier (LM3)") == changed

    at = _app(LB)
    n = int(_metric(at, "Left behind"))
    at.slider(key="lb_reach").set_value(0.9).run()
    at.slider(key="lb_share").set_value(0.1).run()
    _ok(at)
    assert int(_metric(at, "Left behind")) > n


def _metric_from(at: AppTest) -> str:
    cap = next(c.value for c in at.caption if "baseline LM3" in c.value)
    return cap.split("baseline LM3 ")[1].split(",")[0]


def test_saved_priors_go_to_the_workspace_and_are_used(tmp_ws: Path) -> None:
    at = _app(LM3)
    before = _metric(at, "Local multiplier (LM3)")
    at.button(key="lm3_save_priors").click().run()
    _ok(at)
    saved = list(tmp_ws.glob("*-lm3/priors.csv"))
    assert len(saved) == 1, list(tmp_ws.rglob("*.csv"))
    assert any("Saved to priors.csv" in s.value for s in at.success)
    assert len(load_priors(saved[0])) == len(default_priors())
    assert not (project_root() / "data" / "demo" / "priors.csv").exists()
    # A council's edited table (every local re-spend share 0) drives the model.
    p = default_priors()
    p.loc[p["recipient"] == "local", ["low", "central", "high"]] = 0.0
    save_priors(saved[0], p)
    at.run()
    _ok(at)
    assert _metric(at, "Local multiplier (LM3)") != before
    at.button(key="lm3_reset_priors").click().run()
    _ok(at)
    assert not saved[0].exists()
    assert _metric(at, "Local multiplier (LM3)") == before


def test_scenarios_compare_and_save(tmp_ws: Path) -> None:
    at = _app(SCN)
    at.text_input(key="scn_name").set_value("Half to local")
    at.slider(key="scn_pct").set_value(50)
    at.button(key="FormSubmitter:scn_form-Add scenario").click().run()
    _ok(at)
    at.text_input(key="scn_name").set_value("Nothing moves")
    at.slider(key="scn_pct").set_value(0)
    at.button(key="FormSubmitter:scn_form-Add scenario").click().run()
    _ok(at)
    table = at.dataframe[0].value
    assert list(table["scenario"]) == ["baseline", "Half to local", "Nothing moves"]
    half = table.set_index("scenario").loc["Half to local"]
    zero = table.set_index("scenario").loc["Nothing moves"]
    assert half["delta_local_spend_gbp"] > 0 and half["delta_lm3_p50"] > 0
    assert zero["moved_gbp"] == 0 and zero["delta_lm3_p50"] == 0
    assert zero["lm3_range"] == "+0.000 to +0.000"
    at.button(key="scn_save").click().run()
    _ok(at)
    files = list(tmp_ws.glob("*-scenarios.json"))
    assert len(files) == 1
    names = [s["name"] for s in json.loads(files[0].read_text())["scenarios"]]
    assert names == ["Half to local", "Nothing moves"]
    # A new session reads them back.
    at2 = _app(SCN)
    assert list(at2.dataframe[0].value["scenario"]) == ["baseline", *names]


def test_left_behind_sends_its_areas_to_scenarios(tmp_ws: Path) -> None:
    at = _app(LB)
    chosen = list(at.multiselect(key="lb_chosen").value)
    assert chosen, "no areas proposed as a target"
    at.multiselect(key="lb_chosen").set_value(chosen[:3]).run()
    at.button(key="lb_send").click().run()
    _ok(at)
    target = at.session_state["scenario_target"]
    assert target.codes == tuple(chosen[:3]) and target.unit == "ward"
    assert at.title[0].value == "Scenarios"
    assert at.radio(key="scn_target").value == "left_behind"
    # AppTest reruns the page it last switched to itself (a browser follows st.switch_page's
    # new URL), so switch explicitly; the target stays in the session.
    at.switch_page(SCN).run()
    assert at.radio(key="scn_target").value == "left_behind"
    at.slider(key="scn_pct").set_value(30)
    at.button(key="FormSubmitter:scn_form-Add scenario").click().run()
    _ok(at)
    row = at.dataframe[0].value.iloc[-1]
    assert row["delta_local_spend_gbp"] > 0
    described = " ".join(c.value for c in at.caption)  # what moves, one caption a scenario
    from impact.workspace import Workspace

    wards = Workspace.load("demo").wards.set_index("code")["name"]
    assert all(str(wards[c]) in described for c in chosen[:3])  # the wards by name …
    assert not any(c in described for c in chosen[:3])  # … never by code
