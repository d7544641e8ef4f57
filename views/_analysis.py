"""Shared helpers for the analysis pages (Re-spend model, Scenarios, Left behind).

Nothing here computes a figure: it keeps the user's choices in ``st.session_state`` as plain
values, caches the library's runs for the pages, names the council's scenario file, and
draws the charts and category maps the pages share.  Figures come from the workspace
(:meth:`impact.workspace.Workspace.model`, :meth:`~impact.workspace.Workspace.measures`)
and :mod:`impact.reports`.
"""

from __future__ import annotations

import math
from pathlib import Path

import altair as alt
import geopandas as gpd
import pandas as pd
import pydeck as pdk
import streamlit as st

from impact.analysis.leftbehind import AreaSettings, AreasResult
from impact.analysis.measures import NOT_ENOUGH_DATA, WardBasis
from impact.analysis.opportunity import ScenarioTarget
from impact.core.paths import council_file
from impact.outputs import maps
from impact.outputs.exports import download_bytes
from impact.places import boundaries
from impact.reports import areas
from impact.workspace import Workspace
from views._common import STREAMLIT_ESCAPES_TOOLTIPS, current_filters

#: Session keys shared by the pages.
TARGET = "scenario_target"  # ScenarioTarget sent by the Left behind page
TARGET_DECILES = "scenario_target_deciles"  # code → IMD decile of the target areas
SCENARIOS = "scenarios"  # {council key: [Scenario, ...]}

#: Okabe & Ito (2008) colour-blind-safe palette, in their order.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
             "#000000")
SPOT_COLOURS = {
    "hot spot (high next to high)": "#D55E00",
    "high next to low": "#E69F00",
    "low next to high": "#56B4E9",
    "cold spot (low next to low)": "#0072B2",
    "not significant": maps.NO_DATA,
}


def one_line(exc: BaseException) -> str:
    """An exception as one line for ``st.error`` (never a traceback)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def scenarios_path(ws: Workspace) -> Path:
    """The council's saved scenarios (under the workspace folder: never the committed demo
    nor a read-only data folder)."""
    return council_file(ws.source.council, "scenarios.json")


# ------------------------------------------------------------------ left-behind analysis


def compare_areas(ws_key: str, filters: tuple, unit: str, settings: tuple,
                  _ws: Workspace, _settings: AreaSettings) -> AreasResult:
    """:func:`impact.reports.areas` (the board pack's, on the same spend and hot-spot
    setting) for the current council and filters: kept per dataset and settings in memory
    and on disk there, so no page-level copy (``st.cache_data`` unpickled one per view)."""
    with st.spinner("Comparing areas, clustering and testing hot spots…"):
        return areas(_ws, current_filters(), unit, _settings)


@st.cache_resource(show_spinner=False, max_entries=8)
def area_geometry(ws_key: str, unit: str, _ws: Workspace) -> gpd.GeoDataFrame:
    """Display geometry of the council's wards (already on the workspace) or LSOAs."""
    return _ws.area_geometry(unit)


@st.cache_data(show_spinner=False, max_entries=8)
def neighbourhood_names(ws_key: str, _ws: Workspace) -> dict[str, str]:
    """The council's neighbourhoods (LSOA 2021 code) by name: "part of Central ward (2 of
    4)" ({} without a lookup)."""
    ref = _ws.reference()
    path = ref.find("lookup_lsoa21_ward_lad") if ref is not None else None
    if path is None:
        return {}
    lookup = boundaries.read_lsoa_lookup(path)
    mine = lookup[lookup["lad_code"].isin(_ws.council_lads)]
    return {str(k): str(v) for k, v in boundaries.neighbourhood_names(mine).items()}


def set_target(codes: list[str], unit: str, label: str, deciles: dict[str, float]) -> None:
    """Hand chosen areas to the Scenarios page."""
    st.session_state[TARGET] = ScenarioTarget(unit, tuple(codes), label)
    st.session_state[TARGET_DECILES] = {c: deciles.get(c, float("nan")) for c in codes}


# ------------------------------------------------------------------ maps and charts


def category_deck(areas: gpd.GeoDataFrame, category: pd.Series, colours: dict[str, str],
                  title: str, extra: pd.Series | None = None, height: int = 460,
                  frame: maps.MapFrame | None = None) -> tuple[pdk.Deck, maps.Legend]:
    """A map of areas coloured by a category (clusters, hot spots), with its legend.

    ``category`` and ``extra`` (a plain-text tooltip line) are indexed by area code.  Built
    from :mod:`impact.outputs.maps` (tooltip template, neighbours, names, outline, view) so
    it looks and escapes like the other maps; ``frame`` from :func:`views._common.map_frame`.
    """
    escape = not STREAMLIT_ESCAPES_TOOLTIPS
    recs = []
    for row in areas.itertuples(index=False):
        code = str(row.code)
        cat = category.get(code)
        cat_text = "no data" if cat is None or (isinstance(cat, float) and math.isnan(cat)) \
            else str(cat)
        colour = colours.get(cat_text, maps.NO_DATA)
        lines = [cat_text]
        if extra is not None and code in extra.index and str(extra[code]):
            lines.append(str(extra[code]))
        tip = maps.tooltip_fields(row.name or code, lines, escape=escape)
        recs += [{"code": code, "polygon": rings, "fill": maps._hex_rgb(colour), **tip}
                 for rings in maps._rings(row.geometry)]
    deck = maps.area_deck(areas, recs, frame or maps.MapFrame(height=height))
    present = set(category.astype(str))
    items = [(c, label) for label, c in colours.items() if label in present]
    return deck, maps.Legend(title=title, items=items)


def cluster_colours(labels) -> dict[str, str]:
    """Cluster label → Okabe–Ito colour (cluster 1, the most deprived, first)."""
    return {str(lab): OKABE_ITO[i % len(OKABE_ITO)] for i, lab in enumerate(labels)}


def waterfall_chart(wf: pd.DataFrame) -> alt.Chart:
    """R1 → R2 → R3 as a waterfall (Okabe–Ito: totals blue, leaks vermillion, gains green)."""
    start, end, run = [], [], 0.0
    for g, kind in zip(wf["gbp"], wf["kind"], strict=True):
        if kind == "total":
            s, e = 0.0, float(g)
        else:
            s, e = run, run + float(g)
        start.append(s)
        end.append(e)
        run = e
    short = {"R1 spend traced": "R1 spent", "leaves the area in round 1": "leaves (R1 − R2)",
             "R2 received locally": "R2 local", "R3 re-spent locally": "R3 re-spent",
             "R1 + R2 + R3": "R1 + R2 + R3"}
    d = wf.assign(start=start, end=end, order=range(len(wf)))
    d["step"] = d["step"].map(lambda x: short.get(x, x))
    d["£m"] = (d["gbp"] / 1e6).round(2)
    d["label"] = d["gbp"].map(lambda x: f"{'−' if x < 0 else ''}£{abs(x) / 1e6:,.1f}m")
    d["what"] = d["kind"].map({"total": "total", "decrease": "leaves the area",
                               "increase": "re-spent locally"})
    colour = alt.Color("what:N", title=None, scale=alt.Scale(
        domain=["total", "leaves the area", "re-spent locally"],
        range=["#0072B2", "#D55E00", "#009E73"]), legend=alt.Legend(orient="bottom"))
    x = alt.X("step:N", sort=list(d["step"]), title=None, axis=alt.Axis(labelAngle=0,
                                                                      labelLimit=160))
    bars = alt.Chart(d).mark_bar().encode(
        x=x, y=alt.Y("start:Q", title=None, axis=alt.Axis(
            labelExpr="'£' + format(datum.value / 1e6, ',.0f') + 'm'")), y2="end:Q",
        color=colour,
        tooltip=["step", alt.Tooltip("£m:Q", title="£ million"), "what"])
    text = alt.Chart(d).mark_text(dy=-6, fontSize=12).encode(
        x=x, y=alt.Y("max_end:Q"), text="label:N").transform_calculate(
        max_end="max(datum.start, datum.end)")
    return (bars + text).properties(height=360)


@st.cache_data(show_spinner=False, max_entries=32)
def waterfall_spec(wf: pd.DataFrame) -> dict:
    """:func:`waterfall_chart` as a Vega-Lite spec, cached: building and validating it with
    Altair cost each view of the Re-spend page ≈ 0.7 s."""
    return waterfall_chart(wf).to_dict()


def band_spec(m) -> dict:
    """:func:`band_chart` as a Vega-Lite spec, cached on its five figures."""
    return _band_spec(float(m.lm3_p10_), float(m.lm3_p50_), float(m.lm3_p90_),
                      float(m.lm3_lower_), float(m.lm3_upper_))


@st.cache_data(show_spinner=False, max_entries=32)
def _band_spec(p10: float, p50: float, p90: float, lower: float, upper: float) -> dict:
    from types import SimpleNamespace

    return band_chart(SimpleNamespace(lm3_p10_=p10, lm3_p50_=p50, lm3_p90_=p90,
                                      lm3_lower_=lower, lm3_upper_=upper)).to_dict()


def band_chart(m) -> alt.Chart:
    """LM3: the P10–P90 band (bar), P50 (tick) and the unlocated lower/upper (points)."""
    band = pd.DataFrame([{"what": "Monte Carlo P10–P90", "lo": m.lm3_p10_, "hi": m.lm3_p90_}])
    pts = pd.DataFrame([
        {"what": "P50", "lm3": m.lm3_p50_},
        {"what": "lower (unlocated non-local)", "lm3": m.lm3_lower_},
        {"what": "upper (unlocated local pro rata)", "lm3": m.lm3_upper_},
    ])
    lo = min(m.lm3_p10_, m.lm3_lower_) - 0.05
    hi = max(m.lm3_p90_, m.lm3_upper_) + 0.05
    x = alt.Scale(domain=[max(1.0, lo), min(3.0, hi)], zero=False)
    bar = alt.Chart(band).mark_bar(size=22, color="#56B4E9", opacity=0.7).encode(
        x=alt.X("lo:Q", scale=x, title="LM3"), x2="hi:Q",
        tooltip=[alt.Tooltip("lo:Q", format=".3f", title="P10"),
                 alt.Tooltip("hi:Q", format=".3f", title="P90")])
    dots = alt.Chart(pts).mark_point(size=140, filled=True).encode(
        x=alt.X("lm3:Q", scale=x),
        shape=alt.Shape("what:N", legend=None, scale=alt.Scale(
            domain=list(pts["what"]), range=["circle", "square", "triangle-up"])),
        color=alt.Color("what:N", legend=None, scale=alt.Scale(
            domain=list(pts["what"]), range=["#000000", "#D55E00", "#009E73"])),
        tooltip=["what", alt.Tooltip("lm3:Q", format=".3f")])
    return (bar + dots).properties(height=110)


def csv_button(df: pd.DataFrame, label: str, name: str, key: str) -> None:
    """One CSV download for a person, as every download is written (in words, formula-safe:
    :func:`impact.outputs.exports.download_bytes`), its bytes made only when clicked (0.1 s
    of every Re-spend visit on a 210,000-row council)."""
    st.download_button(label, data=lambda: download_bytes(df, "CSV"), file_name=name,
                       mime="text/csv", key=key, on_click="ignore")


def how_text(text: str, caption: str | None = None) -> None:
    """A "How this was calculated" expander with library-written text (escaped)."""
    from views._common import md_escape

    with st.expander("How this was calculated"):
        for line in str(text).splitlines():
            if line.strip():
                st.markdown(md_escape(line))
        if caption:
            st.caption(caption)


def reach_text(table: pd.DataFrame, basis: WardBasis) -> pd.Series:
    """£ per resident as read: "not enough data" where no placed spend reaches an area and
    too little spend is placed to call that £0."""
    spr = pd.to_numeric(table["spend_per_resident"], errors="coerce")
    text = spr.map(lambda v: "" if pd.isna(v) else f"£{v:,.2f}")
    if not basis.enough:
        text = text.mask(pd.to_numeric(table["spend"], errors="coerce").fillna(0) <= 0,
                         NOT_ENOUGH_DATA)
    return text
