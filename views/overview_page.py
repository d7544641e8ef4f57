"""Overview: the headline figures, each with coverage and how it was calculated; where the
local share rests (by place basis); and the quarterly trend against the council's target."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from impact.analysis import metrics, trends
from impact.outputs import labels, maps
from views._common import (
    figures,
    legend,
    md_escape,
    metric,
    page_payments,
    page_workspace,
    quarterly,
    spend_by_ward,
    supplier_summary,
    table,
)

#: The council's local-share target (percent), kept in the session and the link.
TARGET, TARGET_PARAM = "local_target", "target"

st.title("Overview")
status = st.empty()
status.caption("Working out the figures…")
ws = page_workspace()
tx = page_payments(ws)
figs = figures(ws, tx)
status.caption(f"{md_escape(ws.label)} · {metrics.period_text(tx)}")

c1, c2, c3 = st.columns(3)
metric(c1, figs["total"], show_coverage=False)
metric(c2, figs["local"])
metric(c3, figs["regional"])
c4, c5, c6 = st.columns(3)
metric(c4, figs["deprived"])
metric(c5, figs["sme"])
metric(c6, figs["vcse"])

st.info(md_escape(metrics.pound_sentence(figs["local"], figs["regional"], figs["deprived"],
                                         ws.name)), icon="💷")


def _target() -> float:
    """The target (percent) from the session, else the link, else 30 %; mirrored to the link."""
    if TARGET not in st.session_state:
        try:
            st.session_state[TARGET] = min(100.0, max(0.0, float(
                st.query_params.get(TARGET_PARAM, 30))))
        except ValueError:
            st.session_state[TARGET] = 30.0
    value = st.number_input("Local share target (%)", 0.0, 100.0, step=1.0, key=TARGET,
                            help="The share of spend the council aims to place with "
                                 "suppliers in its own area; kept in the page's link.")
    st.query_params[TARGET_PARAM] = f"{value:g}"
    return value / 100


def _quarters(tx, ws, target: float) -> tuple:
    """The quarterly trend (:func:`impact.analysis.trends.quarterly`, the board pack's) in
    the page's words: "Apr–Jun 2024", the local share's range, each quarter's status."""
    t = quarterly(ws, tx)
    goal = trends.Target(target, "set on this page", set_by_council=True)
    start = pd.to_datetime(t["period_start"], format="%Y-%m", errors="coerce")
    end = pd.to_datetime(t["period_end"], format="%Y-%m", errors="coerce")
    t = t.assign(quarter=start.dt.strftime("%b") + "–" + end.dt.strftime("%b %Y"),
                 lower=t["local_share_lower"], upper=t["local_share_upper"],
                 spend=t["total_spend"])
    t["rag"] = [trends.rag(lo, up, goal.share) for lo, up in zip(t["lower"], t["upper"],
                                                                  strict=True)]
    return t, goal


@st.cache_data(show_spinner=False, max_entries=32)
def _trend_spec(quarters: pd.DataFrame, target: float) -> dict:
    """The trend chart as a Vega-Lite spec, cached: building and validating it with Altair
    took 0.25 s of every new visitor's first paint."""
    return _trend_chart(quarters, target).to_dict()


def _trend_chart(quarters: pd.DataFrame, target: float) -> alt.Chart:
    """Local share (line and range), placed share and deprived-area share by quarter, and
    the target as a rule (Okabe–Ito colours, safe for colour-blind readers)."""
    long = quarters.melt(id_vars=["quarter"], value_vars=["local_share", "placed_share",
                                                            "deprived_share"])
    long["measure"] = long["variable"].map(labels.column)
    order = list(quarters["quarter"])
    x = alt.X("quarter:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    names = [labels.column(c) for c in ("local_share", "placed_share", "deprived_share")]
    band = alt.Chart(quarters).mark_area(opacity=0.2, color="#0072B2").encode(
        x=x, y=alt.Y("lower:Q"), y2="upper:Q")
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title="share of £", axis=alt.Axis(format="%"),
                     scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=None, sort=names, scale=alt.Scale(
            domain=names, range=["#0072B2", "#999999", "#D55E00"]),
            legend=alt.Legend(orient="bottom")),
        strokeDash=alt.condition(alt.datum.measure == names[1], alt.value([5, 4]),
                                 alt.value([1, 0])),
        tooltip=["quarter:N", "measure:N", alt.Tooltip("value:Q", format=".0%")])
    rule = alt.Chart(quarters.head(1)).mark_rule(color="#000000", strokeDash=[2, 2]).encode(
        y=alt.datum(target))
    return (band + lines + rule).properties(height=300)


RAG_ICON = {trends.GREEN: "🟢", trends.AMBER: "🟠", trends.RED: "🔴", trends.NO_TARGET: "⚪"}

trend_col, basis_col = st.columns([5, 4], gap="large")
with trend_col:
    st.subheader("Quarter by quarter, against the target")
    quarters, goal = _quarters(tx, ws, _target())
    if quarters.empty:
        st.caption("No dated payments: no quarterly trend.")
    else:
        status_now, sentence = trends.latest_status(
            quarters.assign(period=quarters["quarter"]), goal)
        st.markdown(f"**{RAG_ICON[status_now]} {md_escape(sentence)}**")
        st.vega_lite_chart(_trend_spec(quarters, goal.share or 0.0), width="stretch")
        with st.expander("The figures by quarter, and how they were worked out"):
            st.caption(trends.TRENDS_HOW + " " + trends.RAG_RULE)
            shown = quarters.assign(rag=quarters["rag"].map(
                lambda s: f"{s.capitalize()}: {trends.RAG_WORDS[s]}"))
            table(shown[["quarter", "local_share", "lower", "upper", "placed_share",
                         "deprived_share", "spend", "rag"]].rename(columns={"rag": "Status"}),
                  money=("spend",),
                  percent=("local_share", "lower", "upper", "placed_share", "deprived_share"))
with basis_col:
    st.subheader("What the local share rests on")
    basis = metrics.local_by_basis(tx).rename(columns={"basis": "place_basis"})
    table(basis[["place_basis", "share", "local_share"]], percent=("share", "local_share"),
          config={"place_basis": st.column_config.TextColumn("Placed at", width="medium"),
                  "share": st.column_config.NumberColumn("Of all £", format="%.1f%%",
                                                         width="small"),
                  "local_share": st.column_config.NumberColumn("Local", format="%.1f%%",
                                                               width="small")})
    st.caption(metrics.LOCAL_BY_BASIS_HOW)

left, right = st.columns([3, 2])
with left:
    st.subheader("Top suppliers")
    top = supplier_summary(ws, tx).head(10)
    table(top[["supplier", "class", "where", "ward", "spend", "share"]],
          money=("spend",), percent=("share",))
    st.caption("Spend is positive payments (credits excluded). 'Where' is the supplier's "
               "place relative to the council: in its area, elsewhere in the region, outside "
               "the region, a national body, or not placed.")
with right:
    st.subheader("Where local spend lands")
    if len(ws.wards):
        # A static SVG, not a deck.gl map: the Overview's first paint does not wait for the
        # 3 MB WebGL bundle.  The interactive map is the Spend map page.
        svg, lg = maps.ward_svg(ws.wards, "spend", spend_by_ward(ws, tx), 440, 330)
        st.image(svg, width="stretch")
        legend(lg)
        st.caption("Darker = more. Open the Spend map for each ward's figures, supplier "
                   "points and details.")
    else:
        st.caption("No ward map: " + "; ".join(ws.warnings[:2]))

for w in ws.warnings:
    st.caption(f"⚠️ {md_escape(w)}")
