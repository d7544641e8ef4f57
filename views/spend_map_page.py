"""Spend map: ward choropleth (switchable), supplier points, and a panel for a clicked ward.

Laid out for a 1280×720 screen: the map (fitted to the council's bounds) on the left with
its legend straight under it; the controls, the ward (or supplier) panel on the right.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from impact.analysis import metrics
from impact.outputs import maps
from views._common import (
    SHARE,
    STREAMLIT_ESCAPES_TOOLTIPS,
    as_percent,
    blanks,
    filtered,
    legend,
    md_escape,
    money_col,
    page_workspace,
    spend_by_ward,
    supplier_summary,
)

MAP_HEIGHT = 430
MAP_WIDTH = 500  # the map column at 1280 px wide: used to fit the zoom to the bounds


def _rows(pairs: list[tuple[str, str]]) -> None:
    """Label/value rows (fit a narrow column, unlike ``st.metric``'s large numbers)."""
    cells = "".join(
        f'<tr><td style="padding:2px 12px 2px 0;color:#555">{html.escape(k)}</td>'
        f'<td style="padding:2px 0;font-weight:600;text-align:right">{html.escape(v)}</td></tr>'
        for k, v in pairs)
    st.html(f'<table style="border:none;font-size:0.95rem;width:100%">{cells}</table>')


def _ward_panel(tx: pd.DataFrame, code: str) -> None:
    p = metrics.ward_panel(tx, ws.wards, code)
    prof = p["profile"]
    st.subheader(md_escape(p["name"]))
    pop = prof.get("population")
    worst = prof.get("worst_decile")
    _rows([
        ("Spend received", metrics.money(p["spend"])),
        ("Payments", f"{p['payments']:,}"),
        ("Residents", f"{pop:,.0f}" if pd.notna(pop) else "—"),
        ("Most deprived LSOA decile", f"{worst:.0f}" if pd.notna(worst) else "—"),
    ])
    st.caption(
        f"IoD 2025: {metrics.pct(prof.get('share_pop_decile1_2'))} of residents live in "
        f"the 20% most deprived LSOAs of England; population-weighted IMD rank "
        f"{prof.get('imd_rank', float('nan')):,.0f} of 33,755 (1 = most deprived)."
    )
    st.markdown("**Top suppliers based here**")
    if p["suppliers"].empty:
        st.caption("No supplier placed in this ward was paid in the selected payments.")
    else:
        st.dataframe(blanks(as_percent(p["suppliers"][["supplier", "spend", "share"]],
                                       ["share"])),
                     hide_index=True, width="stretch",
                     column_config={"spend": money_col("spend"), "share": SHARE})
    if p["domain_ranks"]:
        with st.expander("IoD 2025 domains"):
            st.dataframe(pd.DataFrame({"domain": list(p["domain_ranks"]),
                                       "mean rank (1 = most deprived)": [
                                           round(float(v)) if pd.notna(v) else None
                                           for v in p["domain_ranks"].values()]}),
                         hide_index=True, width="stretch")


def _supplier_panel(summary: pd.DataFrame, key: str) -> None:
    row = summary[summary["supplier_key"] == key]
    if row.empty:
        st.caption("That supplier was not paid in the selected payments.")
        return
    r = row.iloc[0]

    def txt(v: object) -> str:
        return str(v) if isinstance(v, str) and v else "—"

    st.subheader(md_escape(r["supplier"]))
    _rows([
        ("Paid", metrics.money(float(r["spend"]))),
        ("Payments", f"{int(r['payments']):,}"),
        ("Supplier type", txt(r["class"])),
        ("Where", txt(r["where"])),
        ("Ward", txt(r["ward"])),
        ("District", txt(r["district"])),
        ("Postcode", txt(r["postcode"])),
    ])


st.title("Spend map")
ws = page_workspace()
if len(ws.wards) == 0:
    st.error("No ward boundaries for this council: " + "; ".join(ws.warnings[:2]))
    st.stop()
tx = filtered(ws)
by_ward = spend_by_ward(ws, tx)
available = maps.available_metrics(ws.wards.merge(
    by_ward[["code", "spend", "spend_per_resident", "local_suppliers"]], on="code", how="left"))
keys = list(available)
# One fitted view per dataset, kept in the session: the same initial view on every rerun
# means deck.gl keeps the user's pan and zoom.
view = st.session_state.setdefault(f"_map_view_{ws.key}",
                                   maps.view_for(ws.wards, MAP_WIDTH, MAP_HEIGHT))

map_col, panel = st.columns([3, 2])
with panel:
    metric_key = st.selectbox("Colour wards by", keys,
                              format_func=lambda k: available[k].label, key="map_metric")
    t1, t2 = st.columns(2)
    show_points = t1.toggle("Supplier points", value=True, key="map_points")
    pick_points = t2.toggle("Click suppliers", value=False, key="map_pick_points",
                            disabled=not show_points,
                            help="On: a click on a point shows that supplier. Off: clicks "
                                 "pick wards, even under a point.")

summary = supplier_summary(ws, tx)
points = None
if show_points:
    points = summary.merge(ws.suppliers[["supplier_key", "lat", "long"]], on="supplier_key",
                           how="left")
deck, lg = maps.ward_deck(ws.wards, metric_key, by_ward, points, view=view, height=MAP_HEIGHT,
                          pick_suppliers=bool(show_points and pick_points),
                          escape=not STREAMLIT_ESCAPES_TOOLTIPS)
with map_col:
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object",
                            key="spend_map", width="stretch", height=MAP_HEIGHT)
    if show_points:
        st.caption("Points: suppliers placed by postcode, area ∝ £ paid — orange in the "
                   "council, blue elsewhere in the region, grey further away.")

clicked = maps.selected_ward(event)
supplier = maps.selected_supplier(event)
names = dict(zip(ws.wards["code"], ws.wards["name"], strict=False))
codes = list(names)
if clicked:
    st.session_state["map_ward"] = clicked
with panel:
    legend(lg)
    if supplier:
        _supplier_panel(summary, supplier)
        st.divider()
    if st.session_state.get("map_ward") not in codes:
        st.session_state["map_ward"] = None
    code = st.selectbox("Ward", codes, index=None,
                        format_func=lambda c: f"{names[c]} ({c})", key="map_ward",
                        placeholder="Click a ward on the map or pick one")
    if code:
        _ward_panel(tx, code)

with map_col, st.expander("How this was calculated"):
    st.markdown(metrics.SPEND_BY_WARD_HOW)
    st.caption("IoD 2025 ward figures are population-weighted from LSOAs; the ward's "
               "'most deprived LSOA decile' is the lowest decile among its LSOAs.")
    for n in ws.notes:
        st.caption(n)

st.subheader("Ward table")
st.dataframe(blanks(by_ward.drop(columns=["code"])), hide_index=True, width="stretch",
             column_config={"spend": money_col("spend"),
                            "spend_per_resident": st.column_config.NumberColumn(
                                "£ per resident", format="£%,.2f"),
                            "local_suppliers": st.column_config.NumberColumn(
                                "suppliers based here")})
