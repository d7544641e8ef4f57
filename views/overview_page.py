"""Overview: the headline figures, each with coverage and how it was calculated."""

from __future__ import annotations

import streamlit as st

from impact.analysis import metrics
from impact.outputs import maps
from views._common import (
    as_percent,
    blanks,
    figures,
    legend,
    md_escape,
    metric,
    money_col,
    page_payments,
    page_workspace,
    spend_by_ward,
    supplier_summary,
    text_cols,
)

st.title("Overview")
ws = page_workspace()
tx = page_payments(ws)
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
    top = supplier_summary(ws, tx).head(10)
    cols = ["supplier", "class", "where", "ward", "district", "spend", "share"]
    st.dataframe(
        blanks(as_percent(top[cols], ["share"])),
        hide_index=True, width="stretch",
        column_config={**text_cols(top, cols), "spend": money_col("spend"),
                       "share": st.column_config.NumberColumn("share of £", format="%.1f%%")},
    )
    st.caption("Spend is positive payments (credits excluded). 'where' is the supplier's "
               "place relative to the council: council, region, elsewhere or not located.")
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
