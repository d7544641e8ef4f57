"""Overview: the headline figures, each with coverage and how it was calculated; where the
local share rests (by place basis); and the quarterly trend against the council's target."""

from __future__ import annotations

from dataclasses import astuple

import altair as alt
import pandas as pd
import streamlit as st

from impact.analysis import metrics, trends
from impact.analysis.sentences import WAYS_COLUMNS, headline_way, pound_sentence, ways_rows
from impact.outputs import labels, maps
from views._common import (
    current_filters,
    kept,
    legend,
    md_escape,
    measures,
    metric,
    page_payments,
    page_workspace,
    quarterly,
    reconciliations,
    spend_by_ward,
    supplier_summary,
    table,
)

#: The council's local-share target (percent), kept for the council (every page, the board
#: pack and the command line judge the quarters against it).
TARGET = "local_target"

st.title("Overview")
status = st.empty()
status.caption("Working out the figures…")
ws = page_workspace()
tx = page_payments(ws)
m = measures(ws)
status.caption(f"{md_escape(ws.label)} · {md_escape(m.period.text)} · "
               f"{md_escape(m.filters)}")

c1, c2, c3 = st.columns(3)
metric(c1, m.total, note="Every payment in the filters, placed or not; credits and refunds "
                         "netted off.")
metric(c2, m.local)
metric(c3, m.regional)
c4, c5, c6 = st.columns(3)
metric(c4, m.deprived)
metric(c5, m.sme)
metric(c6, m.vcse)

st.info(md_escape(pound_sentence(m)), icon="💷")
st.caption(md_escape(m.area.local_definition))
if m.period.thin:
    st.warning(md_escape(f"{m.period.text}: a month holding less than a fifth of the usual "
                         "month's spend is probably incomplete (a file not yet published). "
                         "It is left out of yearly rates, and quarters with it are not "
                         "judged."), icon="📅")


@st.cache_resource(show_spinner=False, max_entries=16)
def _local_by_basis(ws_key: str, filter_values: tuple, _tx: pd.DataFrame) -> pd.DataFrame:
    """:func:`impact.analysis.metrics.local_by_basis`, once per dataset and filters (0.3–0.8
    s of every new visitor's Overview on a 210,000-row council).  Read, never changed."""
    return metrics.local_by_basis(_tx)


@st.cache_resource(show_spinner=False, max_entries=16)
def _ward_svg(ws_key: str, filter_values: tuple, _ws, _tx) -> tuple[str, maps.Legend]:
    """The ward map as SVG, once per dataset and filters (each new visitor redrew it)."""
    return maps.ward_svg(_ws.wards, "spend", spend_by_ward(_ws, _tx), 440, 330)


def _target() -> trends.Target:
    """The council's saved target; the number box sets (or, emptied, removes) it."""
    saved = trends.load_target(ws.source.council)
    st.session_state.setdefault(TARGET, None if saved.share is None else 100 * saved.share)

    def save() -> None:
        value = st.session_state.get(TARGET)
        trends.save_target(ws.source.council, None if value is None else value / 100)

    st.number_input("The council's local-share target (%)", 0.0, 100.0, step=1.0, key=TARGET,
                    on_change=save, placeholder="No target set",
                    help="The share of placed spend the council aims to place with "
                         "suppliers in its own area. Saved for the council: the board pack "
                         "and every later session judge the quarters against it. Empty the "
                         "box to remove it.")
    return trends.load_target(ws.source.council)


def _quarters(tx, ws, target: trends.Target) -> pd.DataFrame:
    """The quarterly trend (:func:`impact.analysis.trends.quarterly`, the board pack's) in
    the page's words: "Apr–Jun 2024", the local share's range, each quarter's status; once
    per dataset, filters and target for every session (read, never changed)."""
    return kept(("overview quarters frame", ws.key, astuple(current_filters()), repr(target)),
                lambda: _quarters_in_words(quarterly(ws, tx), target))


def _quarters_in_words(t: pd.DataFrame, target: trends.Target) -> pd.DataFrame:
    return t.assign(quarter=[trends.quarter_words(str(p)) for p in t["period_start"]],
                    lower=t["local_share_lower"], upper=t["local_share_upper"],
                    spend=t["total_spend"], rag=trends.statuses(t, target))


@st.cache_resource(show_spinner=False, max_entries=32)
def _trend_spec(ws_key: str, filter_values: tuple, target: float | None,
                _quarters: pd.DataFrame) -> dict:
    """The trend chart as a Vega-Lite spec, once per dataset, filters and target (the
    quarters follow from them): building and validating it with Altair took 0.25 s of every
    new visitor's first paint, and hashing the quarters for a key 0.03 s.  Read, never
    changed."""
    return _trend_chart(_quarters, target).to_dict()


def _trend_chart(quarters: pd.DataFrame, target: float | None) -> alt.Chart:
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
    if target is None:
        return (band + lines).properties(height=300)
    rule = alt.Chart(quarters.head(1)).mark_rule(color="#000000", strokeDash=[2, 2]).encode(
        y=alt.datum(target))
    return (band + lines + rule).properties(height=300)


RAG_ICON = {trends.GREEN: "🟢", trends.AMBER: "🟠", trends.RED: "🔴", trends.NO_TARGET: "⚪",
            trends.NOT_JUDGED: "⚪"}

trend_col, basis_col = st.columns([5, 4], gap="large")
with trend_col:
    st.subheader("Quarter by quarter, against the target")
    goal = _target()
    quarters = _quarters(tx, ws, goal)
    if quarters.empty:
        st.caption("No dated payments: no quarterly trend.")
    else:
        status_now, sentence = trends.latest_status(quarters, goal)
        st.markdown(f"**{RAG_ICON[status_now]} {md_escape(sentence)}**")
        st.vega_lite_chart(dict(_trend_spec(ws.key, astuple(current_filters()), goal.share,
                                             quarters)), width="stretch")
        with st.expander("The figures by quarter, and how they were worked out"):
            st.caption(trends.TRENDS_HOW + " " + trends.RAG_RULE)
            shown = quarters.assign(rag=quarters["rag"].map(
                lambda s: f"{s.capitalize()}: {trends.RAG_WORDS[s]}"))
            table(shown[["quarter", "payments", "local_share", "lower", "upper",
                         "placed_share", "deprived_share", "spend", "rag"]].rename(
                columns={"rag": "Status"}), money=("spend",),
                  percent=("local_share", "lower", "upper", "placed_share", "deprived_share"),
                  kept_as=("overview quarters", ws.key, astuple(current_filters()),
                           repr(goal)))
with basis_col:
    st.subheader("What the local share rests on")
    basis = _local_by_basis(ws.key, astuple(current_filters()), tx).rename(
        columns={"basis": "place_basis"})
    table(basis[["place_basis", "share", "local_share"]], percent=("share", "local_share"),
          kept_as=("overview basis", ws.key, astuple(current_filters())),
          config={"place_basis": st.column_config.TextColumn("Placed at", width="medium"),
                  "share": st.column_config.NumberColumn("Of all £", format="%.1f%%",
                                                         width="small"),
                  "local_share": st.column_config.NumberColumn("Local", format="%.1f%%",
                                                               width="small")})
    st.caption(metrics.LOCAL_BY_BASIS_HOW)

st.subheader("Ways of counting local")
if m.ways:
    st.caption(md_escape(headline_way(m)))
    table(pd.DataFrame(ways_rows(m), columns=list(WAYS_COLUMNS)),
          kept_as=("overview ways", ws.key, astuple(current_filters())), config={
        WAYS_COLUMNS[0]: st.column_config.TextColumn(width="large"),
        WAYS_COLUMNS[1]: st.column_config.TextColumn(width="medium"),
        WAYS_COLUMNS[2]: st.column_config.TextColumn(width="small"),
        WAYS_COLUMNS[3]: st.column_config.TextColumn(width="medium")})
    with st.expander("How each way was calculated"):
        st.markdown("\n".join(f"- **{md_escape(f.label)}**: {md_escape(f.how or f.missing)} "
                               + " ".join(md_escape(c) for c in f.caveats) for f in m.ways))
else:
    st.caption(md_escape(m.local.missing or "No local area: no ways of counting local."))

recs = reconciliations(ws)
if recs:
    st.subheader("Against published figures")
    st.caption("Each published figure of this council beside ours under the same definition, "
               "and the steps from our headline to it, each with its points and £.")
    for i, r in enumerate(recs):
        with st.expander(md_escape(r.summary), expanded=i == len(recs) - 1):
            st.markdown("\n".join(
                f"- **{md_escape(step)}**"
                + (f" ({md_escape(value)})" if value not in ("", "—") else "")
                + f": {md_escape(why)}" for step, value, _, why in r.steps()))
            st.caption(f"Source: {md_escape(r.published.source_url)}")

left, right = st.columns([3, 2])
with left:
    st.subheader("Top suppliers")
    top = supplier_summary(ws, tx).head(10)
    table(top[["supplier", "class", "where", "ward", "spend", "share"]],
          money=("spend",), percent=("share",),
          kept_as=("overview top", ws.key, astuple(current_filters())))
    st.caption("Spend is positive payments (credits excluded). 'Where' is the supplier's "
               "place relative to the council: in its area, elsewhere in the region, outside "
               "the region, a national body, or not placed.")
with right:
    st.subheader("Where local spend lands")
    if len(ws.wards):
        # A static SVG, not a deck.gl map: the Overview's first paint does not wait for the
        # 3 MB WebGL bundle.  The interactive map is the Spend map page.
        svg, lg = _ward_svg(ws.key, astuple(current_filters()), ws, tx)
        st.image(svg, width="stretch")
        legend(lg)
        st.caption("Darker = more. Open the Spend map for each ward's figures, supplier "
                   "points and details.")
    else:
        st.caption("No ward map: " + "; ".join(ws.warnings[:2]))

for w in ws.warnings:
    st.caption(f"⚠️ {md_escape(w)}")
