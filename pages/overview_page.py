"""Overview: the headline figures, each with coverage and how it was calculated."""

from __future__ import annotations

import streamlit as st

from impact import maps, metrics
from pages._common import (
    SHARE,
    as_percent,
    demo_banner,
    figures,
    filtered,
    md_escape,
    metric,
    money_col,
    workspace,
)

st.title("Overview")
ws = workspace()
if ws is None:
    st.stop()
demo_banner(ws)
tx = filtered(ws)
if tx.empty:
    st.info("No payments match the filters. Widen them in the sidebar.")
    st.stop()
figs = figures(ws, tx)
st.caption(f"{md_escape(ws.label)} · {metrics.period_text(tx)}")

c1, c2, c3 = st.columns(3)
metric(c1, figs["total"], show_coverage=False)
metric(c2, figs["local"])
metric(c3, figs["regional"])
c4, c5, c6 = st.columns(3)
metric(c4, figs["deprived"])
metric(c5, figs["sme"])
metric(c6, figs["vcse"])

st.info(md_escape(metrics.pound_sentence(figs["local"], figs["regional"], figs["deprived"],
                                         ws.source.council)), icon="💷")

left, right = st.columns([3, 2])
with left:
    st.subheader("Top suppliers")
    top = metrics.top_suppliers(tx, 10)
    st.dataframe(
        as_percent(top[["supplier", "class", "where", "ward", "district", "spend", "share"]],
                   ["share"]),
        hide_index=True, width="stretch",
        column_config={"spend": money_col("spend"), "share": SHARE},
    )
    st.caption("Spend is positive payments (credits excluded). 'where' is the supplier's "
               "place relative to the council: council, region, elsewhere or not located.")
with right:
    st.subheader("Where local spend lands")
    if len(ws.wards):
        deck, lg = maps.ward_deck(ws.wards, "spend", metrics.spend_by_ward(tx, ws.wards),
                                  height=330)
        st.pydeck_chart(deck, key="overview_map", width="stretch")
        st.caption(f"{lg.title}; darker = more. Open the Spend map for the legend, points "
                   "and ward details.")
    else:
        st.caption("No ward map: " + "; ".join(ws.warnings[:2]))

for w in ws.warnings:
    st.caption(f"⚠️ {md_escape(w)}")
