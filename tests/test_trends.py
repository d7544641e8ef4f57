"""Trends by quarter and the RAG rule: hand-worked cases, and the demo's quarters add up to
the whole and keep every point inside its range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.analysis import metrics, trends
from impact.core.settings import WORKSPACE_DIR
from impact.workspace import Workspace


@pytest.mark.parametrize(("lower", "upper", "target", "status"), [
    (0.40, 0.60, 0.35, trends.GREEN),   # met even if every unplaced £ went elsewhere
    (0.35, 0.60, 0.35, trends.GREEN),   # the target itself counts as met
    (0.10, 0.30, 0.35, trends.RED),     # missed even if every unplaced £ stayed local
    (0.10, 0.60, 0.35, trends.AMBER),   # the unplaced spend decides
    (0.10, 0.60, None, trends.NO_TARGET),
    (np.nan, 0.60, 0.35, trends.NO_TARGET),
])
def test_rag_reads_the_range_not_the_point(lower, upper, target, status) -> None:
    assert trends.rag(lower, upper, target) == status


@pytest.fixture(scope="module")
def demo_trend(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv(WORKSPACE_DIR, str(tmp_path_factory.getbasetemp() / "demo-ws"))
    ws = Workspace.load("demo")
    yield ws, trends.quarterly(ws.transactions, ws.council_lads, ws.region_codes)
    mp.undo()


def test_quarters_add_up_and_points_sit_inside_their_ranges(demo_trend) -> None:
    ws, t = demo_trend
    assert list(t["period"]) == sorted(t["period"]) and t["period"].str.match(
        r"^\d{4} Q[1-4]$").all()
    assert t["total_spend"].sum() == pytest.approx(metrics.total_spend(ws.transactions).value)
    known = t.dropna(subset=["local_share"])
    assert len(known) == len(t)  # the demo places ~99 % of spend
    assert (known["local_share_lower"] <= known["local_share"] + 1e-12).all()
    assert (known["local_share"] <= known["local_share_upper"] + 1e-12).all()
    q = t.iloc[0]
    months = [str(m) for m in pd.period_range(q["period_start"], q["period_end"], freq="M")]
    assert len(months) == 3
    tx = ws.transactions[ws.transactions["period"].astype(str).str.slice(0, 7).isin(months)]
    assert q["local_share"] == pytest.approx(metrics.local_share(tx, ws.council_lads).value)


def test_target_is_the_councils_else_the_first_quarter(demo_trend) -> None:
    _, t = demo_trend
    own = trends.target_for(t, 0.4)
    assert own.share == 0.4 and own.set_by_council
    base = trends.target_for(t, None)
    assert base.share == pytest.approx(t["local_share"].iloc[0]) and not base.set_by_council
    assert t["period"].iloc[0] in base.source
    status, text = trends.latest_status(t, own)
    last = t.iloc[-1]
    assert status == trends.rag(last["local_share_lower"], last["local_share_upper"], 0.4)
    assert status.upper() in text and "40%" in text and last["period"] in text


def test_below_the_coverage_gate_the_sentence_gives_the_range() -> None:
    t = pd.DataFrame([{"period": "2025 Q1", "local_share": np.nan, "local_share_lower": 0.05,
                       "local_share_upper": 0.80, "placed_share": 0.25}])
    status, text = trends.latest_status(t, trends.Target(0.3, "set by the council", True))
    assert status == trends.AMBER
    assert "between 5% and 80%" in text and "%)" not in text.split("between")[0]
