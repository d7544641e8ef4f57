"""Spend map: ward choropleth (switchable), supplier points, and a panel for the chosen ward.

Laid out for 1366×768 and 1920×1080: the map (fitted to the council's bounds, neighbouring
councils in grey around it) takes most of the width; the legend, the ward search and the
ward (or supplier) panel sit on its right.  The chosen ward is kept in the URL (``?ward=``)
so a link opens on it.  Every £ shows what it rests on: the share of spend placed at ward
level, and "not enough data" where that is too little to call a ward's £0 a fact.
"""

from __future__ import annotations

import html
from dataclasses import astuple

import pandas as pd
import streamlit as st

from impact.analysis import metrics
from impact.analysis.measures import NOT_ENOUGH_DATA, WardBasis, money, pct
from impact.outputs import maps
from views._common import (
    STREAMLIT_ESCAPES_TOOLTIPS,
    as_percent,
    basemap_note,
    blanks,
    current_filters,
    filtered,
    legend,
    map_frame,
    md_escape,
    measures,
    money_col,
    page_workspace,
    spend_by_ward,
    supplier_summary,
    table,
)

#: The whole map on screen under the title and controls at 1280×720 (and 1366×768).
MAP_HEIGHT = 460
#: The map column at 1280 px wide (the narrowest screen): the zoom fits the bounds in it,
#: and a wider screen shows more of the neighbouring councils around them.
MAP_WIDTH = 560
WARD_PARAM = "ward"


def _rows(pairs: list[tuple[str, str]]) -> None:
    """Label/value rows (fit a narrow column, unlike ``st.metric``'s large numbers)."""
    cells = "".join(
        f'<tr><td style="padding:2px 12px 2px 0;color:#555">{html.escape(k)}</td>'
        f'<td style="padding:2px 0;font-weight:600;text-align:right">{html.escape(v)}</td></tr>'
        for k, v in pairs)
    st.html(f'<table style="border:none;font-size:0.95rem;width:100%">{cells}</table>')


def _ward_money(p: dict, row: pd.Series, basis: WardBasis) -> str:
    """The ward's £ as a fact, a floor with its range, or "not enough data"."""
    if row.get("status") == NOT_ENOUGH_DATA:
        return NOT_ENOUGH_DATA
    if row.get("status") == metrics.WARD_NONE:
        return "none placed here"
    up = float(row.get("spend_upper", p["spend"]))
    if up > p["spend"] + 0.5:
        return f"{money(p['spend'])} (up to {money(up)})"
    return money(p["spend"])


def _ward_panel(tx: pd.DataFrame, code: str, by_ward: pd.DataFrame,
                basis: WardBasis) -> None:
    p = metrics.ward_panel(tx, ws.wards, code)
    row = by_ward.set_index("code").loc[code] if code in set(by_ward["code"]) else pd.Series()
    prof = p["profile"]
    st.subheader(md_escape(p["name"]))
    pop = prof.get("population")
    worst = prof.get("worst_decile")
    _rows([
        ("Spend received", _ward_money(p, row, basis)),
        ("Spend placed at ward level", pct(basis.share)),
        ("Payments", f"{p['payments']:,}"),
        ("Residents", f"{pop:,.0f}" if pd.notna(pop) else "—"),
        ("Most deprived LSOA decile", f"{worst:.0f}" if pd.notna(worst) else "—"),
    ])
    st.caption(_basis_text(basis))
    st.caption(
        f"IoD 2025: {pct(prof.get('share_pop_decile1_2'))} of residents live in "
        f"the 20% most deprived LSOAs of England; population-weighted IMD rank "
        f"{prof.get('imd_rank', float('nan')):,.0f} of 33,755 (1 = most deprived)."
    )
    st.markdown("**Top suppliers based here**")
    if p["suppliers"].empty:
        st.caption("No supplier placed in this ward was paid in the selected payments"
                   + ("; too little spend is placed to say none was." if not basis.enough
                      else "."))
    else:
        st.dataframe(blanks(as_percent(p["suppliers"][["supplier", "spend", "share"]],
                                       ["share"])),
                     hide_index=True, width="stretch",
                     column_config={"supplier": "supplier", "spend": money_col("spend"),
                                    "share": st.column_config.NumberColumn(
                                        "share of the ward's £", format="%.1f%%")})
    if p["domain_ranks"]:
        with st.expander("IoD 2025 domains"):
            st.dataframe(pd.DataFrame({"domain": [d.capitalize() for d in p["domain_ranks"]],
                                       "mean rank (1 = most deprived)": [
                                           f"{float(v):,.0f}" if pd.notna(v) else ""
                                           for v in p["domain_ranks"].values()]}),
                         hide_index=True, width="stretch")


def _basis_text(basis: WardBasis) -> str:
    """What every ward's £ rests on, in words, with the suppliers placed at no ward."""
    text = (f"A ward's £ counts suppliers placed in it: {pct(basis.share)} of the "
            f"{money(basis.total)} paid (credits left out) is placed at ward level (or known to be "
            f"elsewhere), so each ward's £ is a floor; the other "
            f"{money(basis.unknown)} could be anywhere.")
    if basis.district_only:
        text += (f" {money(basis.district_only)} went to "
                 f"{basis.district_only_suppliers:,} supplier"
                 f"{'s' * (basis.district_only_suppliers != 1)} placed at the whole district "
                 "(public bodies' areas), not at a ward: in no ward's figure.")
    return text


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
        ("Paid", money(float(r["spend"]))),
        ("Payments", f"{int(r['payments']):,}"),
        ("Supplier type", txt(r["class"])),
        ("Where", txt(r["where"])),
        ("Ward", txt(r["ward"])),
        ("District", txt(r["district"])),
        ("Postcode", txt(r["postcode"])),
    ])


def _chosen_ward(codes: list[str]) -> None:
    """The ward in ``st.session_state["map_ward"]``: from a new click on the map, else the
    URL's ``?ward=`` on a fresh session; kept only when it is one of ``codes``."""
    clicked = maps.selected_ward(st.session_state.get("spend_map"))
    if clicked and clicked != st.session_state.get("_map_last_click"):
        st.session_state["map_ward"] = clicked
    st.session_state["_map_last_click"] = clicked
    if "map_ward" not in st.session_state:
        st.session_state["map_ward"] = st.query_params.get(WARD_PARAM)
    if st.session_state.get("map_ward") not in codes:
        st.session_state["map_ward"] = None


def _keep_in_url(code: str | None) -> None:
    if code:
        st.query_params[WARD_PARAM] = code
    elif WARD_PARAM in st.query_params:
        del st.query_params[WARD_PARAM]


@st.cache_resource(show_spinner=False, max_entries=32)
def _deck(ws_key: str, filter_values: tuple, metric: str, points: bool, pick: bool,
          code: str | None, _ws, _by_ward: pd.DataFrame, _summary: pd.DataFrame,
          _view) -> tuple[maps.Deck, maps.Legend]:
    """The map once per dataset, filters, metric, points and chosen ward, for every session:
    its polygons, labels and JSON cost ≈ 0.3–0.6 s a view.  Read, never changed."""
    pts = None
    if points:
        pts = _summary.merge(_ws.suppliers[["supplier_key", "lat", "long"]],
                             on="supplier_key", how="left")
    return maps.ward_deck(_ws.wards, metric, _by_ward, pts, view=_view, pick_suppliers=pick,
                          escape=not STREAMLIT_ESCAPES_TOOLTIPS,
                          frame=map_frame(_ws, MAP_WIDTH, MAP_HEIGHT, selected=code))


def _ward_table(by_ward: pd.DataFrame) -> pd.DataFrame:
    """The ward table as people read it: "not enough data" in words, never £0."""
    thin = by_ward["status"].eq(NOT_ENOUGH_DATA)
    words = by_ward["status"].map({metrics.WARD_PLACED: "placed spend",
                                   metrics.WARD_NONE: "no spend placed here",
                                   NOT_ENOUGH_DATA: NOT_ENOUGH_DATA})
    return pd.DataFrame({
        "ward": by_ward["name"], "population": by_ward["population"],
        "spend": by_ward["spend"].mask(thin),
        "spend_per_resident": by_ward["spend_per_resident"].mask(thin),
        "local_suppliers": by_ward["local_suppliers"].mask(thin),
        "payments": by_ward["payments"], "rests_on": words,
    })


st.title("Spend map")
ws = page_workspace()
if len(ws.wards) == 0:
    st.error("No ward boundaries for this council: " + "; ".join(ws.warnings[:2]))
    st.stop()
tx = filtered(ws)
by_ward = spend_by_ward(ws, tx)
basis = measures(ws).ward
available = maps.available_metrics(ws.wards.merge(
    by_ward[["code", "spend", "spend_per_resident", "local_suppliers"]], on="code", how="left"))
keys = list(available)
names = dict(zip(ws.wards["code"], ws.wards["name"], strict=False))
codes = sorted(names, key=lambda c: str(names[c]))
_chosen_ward(codes)

# The two toggles share a column, one above the other: beside two wide pickers they keep
# their words whole at 1280–1366 px.
c1, c2, c3 = st.columns([3.4, 3, 2], vertical_alignment="bottom")
metric_key = c1.selectbox("Colour wards by", keys,
                          format_func=lambda k: available[k].label, key="map_metric")
code = c2.selectbox("Find a ward", codes, index=None, format_func=lambda c: names[c],
                    key="map_ward", placeholder="Type a ward name, or click the map")
show_points = c3.toggle("Supplier points", value=True, key="map_points")
pick_points = c3.toggle("Click suppliers", value=False, key="map_pick_points",
                        disabled=not show_points,
                        help="On: a click on a point shows that supplier. Off: clicks pick "
                             "wards, even under a point.")
_keep_in_url(code)

# One fitted view per dataset, kept in the session: the same initial view on every rerun
# means deck.gl keeps the user's pan and zoom.
view = st.session_state.setdefault(f"_map_view_{ws.key}",
                                   maps.view_for(ws.wards, MAP_WIDTH, MAP_HEIGHT))
summary = supplier_summary(ws, tx)
deck, lg = _deck(ws.key, astuple(current_filters()), metric_key, bool(show_points),
                 bool(show_points and pick_points), code, ws, by_ward, summary, view)
map_col, panel = st.columns([7, 3])
with map_col:
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object",
                            key="spend_map", width="stretch", height=MAP_HEIGHT)
    basemap_note()

supplier = maps.selected_supplier(event)
with panel:
    if available[metric_key].placed:  # beside the figures it qualifies
        (st.warning if not basis.enough else st.caption)(
            f"Placed share: {pct(basis.share)} of spend is placed at ward level. "
            + ("That is too little to say a ward with no placed supplier received nothing: "
               "those wards show 'not enough data' (hatched)." if not basis.enough else
               "Wards with no placed supplier show 'no spend placed here'."))
    legend(lg)
    if show_points:
        st.caption("Points: suppliers placed by postcode, area ∝ £ paid — orange in the "
                   "council, blue elsewhere in the region, grey further away.")
    if supplier:
        _supplier_panel(summary, supplier)
        st.divider()
    if code:
        _ward_panel(tx, code, by_ward, basis)
    else:
        st.caption("Click a ward on the map, or type its name above, to see what it "
                   "received, from whom, and how deprived it is.")
        st.caption(_basis_text(basis))

with st.expander("How this was calculated"):
    st.markdown(metrics.SPEND_BY_WARD_HOW)
    st.caption("IoD 2025 ward figures are population-weighted from LSOAs; the ward's "
               "'most deprived LSOA decile' is the lowest decile among its LSOAs. Classes: "
               "natural breaks (Fisher–Jenks) of the wards' values, in the viridis scheme.")
    for n in ws.notes:
        st.caption(n)

st.subheader("Ward table")
table(_ward_table(by_ward), money=("spend",), decimals={"spend_per_resident": 2},
      config={"ward": st.column_config.TextColumn("Ward"),
              "population": st.column_config.NumberColumn("Residents", format="localized"),
              "spend": money_col("£ received (at least)"),
              "spend_per_resident": st.column_config.NumberColumn("£ per resident",
                                                                  format="£%,.2f"),
              "local_suppliers": st.column_config.NumberColumn("Suppliers based here"),
              "rests_on": st.column_config.TextColumn("What it rests on")})
