"""Spend map: ward choropleth (switchable), supplier points, and a panel for a clicked ward."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from impact import maps, metrics
from pages._common import (
    SHARE,
    as_percent,
    demo_banner,
    filtered,
    legend,
    money_col,
    workspace,
)

st.title("Spend map")
ws = workspace()
if ws is None:
    st.stop()
demo_banner(ws)
if len(ws.wards) == 0:
    st.error("No ward boundaries for this council: " + "; ".join(ws.warnings[:2]))
    st.stop()
tx = filtered(ws)
by_ward = metrics.spend_by_ward(tx, ws.wards)
available = maps.available_metrics(ws.wards.merge(
    by_ward[["code", "spend", "spend_per_resident", "local_suppliers"]], on="code", how="left"))
keys = list(available)
c1, c2 = st.columns([3, 1])
metric_key = c1.selectbox("Colour wards by", keys, format_func=lambda k: available[k].label,
                          key="map_metric")
show_points = c2.toggle("Supplier points", value=True, key="map_points")

points = None
if show_points:
    summary = metrics.supplier_summary(tx)
    points = summary.merge(ws.suppliers[["supplier_key", "lat", "long"]], on="supplier_key",
                           how="left")
deck, lg = maps.ward_deck(ws.wards, metric_key, by_ward, points, height=560)
map_col, panel = st.columns([3, 2])
with map_col:
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object",
                            key="spend_map", width="stretch")
    legend(lg)
    if show_points:
        st.caption("Points: suppliers placed by postcode, sized by £ paid — orange in the "
                   "council, blue elsewhere in the region, grey further away.")
    with st.expander("How this was calculated"):
        st.markdown(metrics.SPEND_BY_WARD_HOW)
        st.caption("IoD 2025 ward figures are population-weighted from LSOAs; the ward's "
                   "'most deprived LSOA decile' is the lowest decile among its LSOAs.")
        for n in ws.notes:
            st.caption(n)

clicked = maps.selected_ward(event)
names = dict(zip(ws.wards["code"], ws.wards["name"], strict=False))
if clicked:
    st.session_state["map_ward"] = clicked
codes = list(names)
with panel:
    if st.session_state.get("map_ward") not in codes:
        st.session_state["map_ward"] = None
    code = st.selectbox("Ward", codes, index=None,
                        format_func=lambda c: f"{names[c]} ({c})", key="map_ward",
                        placeholder="Click a ward on the map or pick one")
    if code:
        p = metrics.ward_panel(tx, ws.wards, code)
        st.subheader(p["name"])
        prof = p["profile"]
        a, b, c = st.columns(3)
        a.metric("Spend received", metrics.money(p["spend"]))
        b.metric("Residents", f"{prof.get('population', float('nan')):,.0f}"
                 if pd.notna(prof.get("population")) else "—")
        c.metric("Most deprived LSOA decile", f"{prof['worst_decile']}"
                 if pd.notna(prof.get("worst_decile")) else "—")
        st.caption(
            f"IoD 2025: {metrics.pct(prof.get('share_pop_decile1_2'))} of residents live in "
            f"the 20% most deprived LSOAs of England; population-weighted IMD rank "
            f"{prof.get('imd_rank', float('nan')):,.0f} of 33,755 (1 = most deprived)."
        )
        if p["domain_ranks"]:
            st.dataframe(pd.DataFrame({"domain": list(p["domain_ranks"]),
                                       "mean rank (1 = most deprived)": [
                                           round(float(v)) if pd.notna(v) else None
                                           for v in p["domain_ranks"].values()]}),
                         hide_index=True, width="stretch")
        st.markdown("**Top suppliers based here**")
        if p["suppliers"].empty:
            st.caption("No supplier placed in this ward was paid in the selected payments.")
        else:
            st.dataframe(as_percent(p["suppliers"][["supplier", "class", "spend", "payments",
                                                    "share"]], ["share"]),
                         hide_index=True, width="stretch",
                         column_config={"spend": money_col("spend"), "share": SHARE})

st.subheader("Ward table")
st.dataframe(by_ward.drop(columns=["code"]), hide_index=True, width="stretch",
             column_config={"spend": money_col("spend"),
                            "spend_per_resident": st.column_config.NumberColumn(
                                "£ per resident", format="%.2f")})
