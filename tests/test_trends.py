"""Trends by quarter and the RAG rule: hand-worked cases, and the demo's quarters add up to
the whole and keep every point inside its range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.analysis import trends
from impact.analysis.measures import Period, local_figure, total_figure
from impact.core.settings import WORKSPACE_DIR
from impact.workspace import Workspace

SET = trends.target_of(0.35)


@pytest.mark.parametrize(("lower", "upper", "target", "judged", "status"), [
    (0.40, 0.60, SET, True, trends.GREEN),   # met even if every unplaced £ went elsewhere
    (0.35, 0.60, SET, True, trends.GREEN),   # the target itself counts as met
    (0.10, 0.30, SET, True, trends.RED),     # missed even if every unplaced £ stayed local
    (0.10, 0.60, SET, True, trends.AMBER),   # the unplaced spend decides
    (0.10, 0.60, trends.Target(None), True, trends.NO_TARGET),  # nobody set a target
    (np.nan, 0.60, SET, True, trends.NOT_JUDGED),
    (0.30, 1.00, SET, False, trends.NOT_JUDGED),  # 30 % placed: never green from nothing
])
def test_rag_needs_a_target_and_a_judged_quarter(lower, upper, target, judged, status) -> None:
    assert trends.rag(lower, upper, target, judged) == status


@pytest.fixture(scope="module")
def demo_trend(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv(WORKSPACE_DIR, str(tmp_path_factory.getbasetemp() / "demo-ws"))
    ws = Workspace.load("demo")
    yield ws, trends.quarterly(ws.transactions, ws.area)
    mp.undo()


def test_quarters_add_up_and_points_sit_inside_their_ranges(demo_trend) -> None:
    ws, t = demo_trend
    assert list(t["period"]) == sorted(t["period"]) and t["period"].str.match(
        r"^\d{4} Q[1-4]$").all()
    whole = total_figure(ws.transactions, Period.of(ws.transactions)).value
    assert t["total_spend"].sum() == pytest.approx(whole)
    known = t.dropna(subset=["local_share"])
    assert len(known) == len(t) and t["judged"].all()  # the demo places ~99 % of spend
    assert (known["local_share_lower"] <= known["local_share"] + 1e-12).all()
    assert (known["local_share"] <= known["local_share_upper"] + 1e-12).all()
    q = t.iloc[0]
    months = [str(m) for m in pd.period_range(q["period_start"], q["period_end"], freq="M")]
    assert len(months) == 3
    tx = ws.transactions[ws.transactions["period"].astype(str).str.slice(0, 7).isin(months)]
    assert q["local_share"] == pytest.approx(local_figure(tx, ws.area).value)


def test_no_target_is_said_as_such_and_a_set_one_is_kept(demo_trend, tmp_path,
                                                         monkeypatch) -> None:
    _, t = demo_trend
    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path))
    none = trends.load_target("Anytown")
    assert not none.set and none.words == "no target set"
    status, text = trends.latest_status(t, none)
    assert status == trends.NO_TARGET and text.endswith("no target is set.")
    assert "GREEN" not in text and "baseline" not in text
    own = trends.save_target("Anytown", 0.4, "A. Officer")
    assert own.set and own.share == 0.4 and "A. Officer" in own.source
    assert trends.load_target("Anytown") == own
    status, text = trends.latest_status(t, own)
    last = t.iloc[-1]
    assert status == trends.rag(last["local_share_lower"], last["local_share_upper"], own)
    assert status.upper() in text and "40%" in text
    assert trends.quarter_words(last["period_start"]) in text
    assert not trends.save_target("Anytown", None).set and not trends.load_target(
        "Anytown").set


def test_a_quarter_not_judged_says_so_with_its_range() -> None:
    t = pd.DataFrame([{"period": "2025 Q1", "period_start": "2025-01", "judged": False,
                       "local_share": np.nan, "local_share_lower": 0.05,
                       "local_share_upper": 0.80, "placed_share": 0.25}])
    status, text = trends.latest_status(t, SET)
    assert status == trends.NOT_JUDGED
    assert "between 5% and 80%" in text and "Jan–Mar 2025" in text
