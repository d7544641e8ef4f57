"""Left behind: which areas are deprived and little reached by the council's spend, and where
spend could do most.  A thin view over :func:`impact.analysis.leftbehind.analyse_areas`.

Spend reach rests on placed spend: the placed share is said beside it, and where too little
is placed (the one gate, :mod:`impact.analysis.measures`) an area with no placed spend shows
"not enough data", never "£0 per resident"."""

from __future__ import annotations

from dataclasses import astuple

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from impact.analysis.clustering import DEFAULT_FEATURES, feature_catalogue
from impact.analysis.leftbehind import AreaSettings, output_table
from impact.analysis.measures import pct
from impact.analysis.opportunity import LeftBehindRule, area_deciles
from views._analysis import (
    SPOT_COLOURS,
    area_geometry,
    category_deck,
    cluster_colours,
    compare_areas,
    how_text,
    one_line,
    reach_text,
    set_target,
)
from views._common import (
    as_percent,
    basemap_note,
    blanks,
    current_filters,
    download,
    kept,
    legend,
    map_frame,
    md_escape,
    measures,
    page_workspace,
)

MAP_HEIGHT, MAP_WIDTH = 520, 640


st.title("Left behind")
ws = page_workspace()
st.caption("Which of the council's areas are deprived and barely reached by its spend, which "
           "kinds of place it has, and where spend could do most.  Uses the payments selected "
           "in the sidebar filters.")
if not ws.council_lads:
    st.error("The council's district is not known, so its areas cannot be compared.")
    st.stop()

# ------------------------------------------------------------------ settings
catalogue = feature_catalogue("2025")
with st.container(border=True):
    c1, c2, c3 = st.columns([2, 3, 2])
    with c1:
        unit = st.radio("Areas", ["ward", "lsoa"], horizontal=True, key="lb_unit",
                        format_func={"ward": "Wards", "lsoa": "Neighbourhoods (LSOA)"}.get)
        k_choice = st.selectbox("Number of clusters (k)", ["best", *range(2, 9)],
                                key="lb_k",
                                format_func=lambda k: "Best silhouette" if k == "best" else str(k))
        fdr = st.toggle("Stricter hot-spot test", key="lb_fdr",
                        help="Controls the false discovery rate across all the areas tested.")
    with c2:
        st.markdown("**Features and weights** (a weight multiplies the feature's z-score)")
        st.session_state.setdefault("lb_feat_base", pd.DataFrame({
            "use": [k in DEFAULT_FEATURES for k in catalogue],
            "feature": [s.label for s in catalogue.values()],
            "weight": [1.0] * len(catalogue)}, index=list(catalogue)))
        feats = st.data_editor(
            st.session_state["lb_feat_base"], key="lb_features", hide_index=True,
            width="stretch", height=250, disabled=["feature"],
            column_config={"use": st.column_config.CheckboxColumn("Use"),
                           "feature": st.column_config.TextColumn("Feature"),
                           "weight": st.column_config.NumberColumn("Weight", min_value=0.0,
                                                                   max_value=5.0, step=0.25)})
    with c3:
        st.markdown("**Left-behind rule**")
        max_dec = st.slider("Deprived: IMD deciles 1 to", 1, 5, 2, key="lb_decile")
        min_share = st.slider("…for at least this share of residents", 0.1, 1.0, 0.5, 0.05,
                              key="lb_share", format="percent")
        reach_q = st.slider("Low reach: lowest share of areas by spend per resident",
                            0.1, 0.9, 1 / 3, 0.05, key="lb_reach", format="percent")
        top = st.slider("Opportunities to target", 3, 20, 10, key="lb_top")

used = feats[feats["use"].fillna(False).astype(bool)]
features = tuple(used.index)
# A weight of 1 is the default: left out, the page's first settings are the library's
# defaults, whose result was prepared in the background (impact.reports.prepare_results).
weights = tuple((k, float(w)) for k, w in used["weight"].fillna(1.0).items() if float(w) != 1.0)
if len(features) < 2:
    st.warning("Choose at least two features to compare areas.")
    st.stop()
if max_dec > 2 and unit == "ward":
    st.caption("Ward tables carry residents' shares for deciles 1 and 1–2 only; a wider rule "
               "uses the ward's most deprived LSOA decile instead.")
settings = AreaSettings(features=features, weights=dict(weights),
                        k=None if k_choice == "best" else int(k_choice), fdr=bool(fdr),
                        rule=LeftBehindRule(int(max_dec), float(min_share), float(reach_q)),
                        top=int(top))
try:
    res = compare_areas(ws.key, astuple(current_filters()), unit, repr(settings), ws,
                        settings)
except (ValueError, KeyError, FileNotFoundError) as exc:
    st.error(f"The areas could not be compared: {one_line(exc)}")
    st.stop()
except Exception as exc:  # one line, never a traceback
    st.error(f"The areas could not be compared: {type(exc).__name__}: {one_line(exc)}")
    st.stop()
table = res.table[res.table["in_council"]].copy()
geo = area_geometry(ws.key, unit, ws)
word = "ward" if unit == "ward" else "neighbourhood"
basis = measures(ws).ward
table["reach"] = reach_text(table, basis)
frame = map_frame(ws, MAP_WIDTH, MAP_HEIGHT, labels=unit == "ward")

# ------------------------------------------------------------------ headline
n_lb = int(table["left_behind"].sum())
a, b, c, d = st.columns(4)
a.metric(f"{word.capitalize()}s compared", f"{len(table)}")
b.metric("Left behind", f"{n_lb}")
sil = res.kmeans.silhouettes.get(res.kmeans.k)
c.metric("Clusters (k)", f"{res.kmeans.k}", help="k-means; numbered from the most deprived")
c.caption(f"silhouette {sil:.2f}" + (" — distinct" if sil >= 0.25 else " — weak: clusters are "
          "cuts of a continuum") if sil is not None else "silhouette n/a")
d.metric("Top opportunity", str(res.ranking["name"].iloc[0]) if len(res.ranking) else "—")
st.info(md_escape(res.rule.describe()), icon="📐")
placed = f"Spend reach rests on the {pct(basis.share)} of spend placed at ward level."
if basis.enough:
    st.caption(placed)
else:
    st.warning(placed + " That is too little to say an area received nothing: areas with no "
               "placed spend show 'not enough data', no area is called left behind, and the "
               "opportunity ranking weighs need and nearby suppliers only.")

# ------------------------------------------------------------------ clusters
# Sections, not tabs: a deck.gl map in a hidden tab is not drawn until the tab is opened.
tab_cl, tab_hs, tab_rank = st.container(), st.container(), st.container()
with tab_cl:
    st.subheader("Kinds of place: clusters")
    labels = [f"cluster {i}" for i in sorted(table["cluster"].unique())]
    colours = cluster_colours(labels)
    prof = res.cluster_profiles.set_index("cluster")["profile"]
    cat = pd.Series(("cluster " + table["cluster"].astype(str)).to_numpy(),
                    index=table["code"].astype(str).to_numpy())
    extra = pd.Series(table["cluster"].map(prof).astype(str).to_numpy(), index=cat.index)
    left, right = st.columns([3, 2])
    with left:
        deck, lg = kept(("lb clusters", ws.key, astuple(current_filters()), unit,
                         repr(settings)), lambda: category_deck(
            geo, cat, colours, f"k-means clusters of {word}s", extra, frame=frame))
        st.pydeck_chart(deck, key="lb_cluster_map", width="stretch", height=MAP_HEIGHT)
        legend(lg)
        basemap_note()
    with right:
        st.markdown("**Cluster profiles**")
        cp = res.cluster_profiles[["cluster", "n_areas", "population", "profile"]]
        st.dataframe(cp, hide_index=True, width="stretch",
                     column_config={"cluster": "Cluster", "n_areas": f"{word.capitalize()}s",
                                    "profile": st.column_config.TextColumn("Profile",
                                                                           width="large"),
                                    "population": st.column_config.NumberColumn(
                                        "Residents", format="localized")})
        s = res.silhouettes.assign(chosen=lambda x: np.where(x["k"] == res.kmeans.k,
                                                             "chosen", "other"))
        st.altair_chart(alt.Chart(s).mark_bar().encode(
            x=alt.X("k:O", title="k"), y=alt.Y("silhouette:Q", title="silhouette"),
            color=alt.Color("chosen:N", legend=None, scale=alt.Scale(
                domain=["chosen", "other"], range=["#0072B2", "#BBBBBB"])),
            tooltip=["k", alt.Tooltip("silhouette:Q", format=".2f")]).properties(height=150),
            width="stretch")
    st.markdown("**Domain profile of each cluster against the borough average** "
                "(standard deviations; 0 = average of the areas compared)")
    ch = res.cluster_chart.assign(cluster=lambda x: "cluster " + x["cluster"].astype(str))
    st.altair_chart(alt.Chart(ch).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=list(dict.fromkeys(ch["label"])),
                axis=alt.Axis(labelLimit=260)),
        x=alt.X("z:Q", title="difference from the average (sd)"),
        color=alt.Color("cluster:N", scale=alt.Scale(domain=list(colours),
                                                     range=list(colours.values())),
                        legend=alt.Legend(orient="bottom", title=None)),
        yOffset="cluster:N",
        tooltip=["cluster", "label", alt.Tooltip("cluster_mean:Q", format=",.3f"),
                 alt.Tooltip("average:Q", format=",.3f"), alt.Tooltip("z:Q", format="+.2f")],
    ).properties(height=120 + 16 * ch["label"].nunique() * max(2, len(colours))),
        width="stretch")
    st.markdown("**Features used**")
    st.dataframe(res.features[["label", "scale", "weight"]], hide_index=True,
                 width="stretch", column_config={"label": "Feature", "scale": "Scale",
                                                 "weight": "Weight"})
    how_text("\n".join([res.how_calculated["areas"], res.how_calculated["features"],
                        res.how_calculated["clusters"], res.how_calculated["regions"]]))

# ------------------------------------------------------------------ hot spots
with tab_hs:
    st.subheader("Hot spots")
    kinds = [k for k in ("deprivation", "spend") if k in res.hotspots]
    if not kinds:
        st.info("No hot spots: there is no spend reach or too few areas.")
    else:
        what = st.radio("Hot spots of", kinds, horizontal=True, key="lb_spot_kind",
                        format_func={"deprivation": "Deprivation (IMD score)",
                                     "spend": "Spend reach (£ per resident)"}.get)
        col = f"{what}_spot"
        cat = pd.Series(table[col].astype(str).to_numpy(), index=table["code"].astype(str))
        pcol = f"{what}_p"
        extra = pd.Series([f"p = {p:.3f}" if pd.notna(p) else "" for p in table[pcol]],
                          index=cat.index)
        left, right = st.columns([3, 2])
        with left:
            deck, lg = kept(("lb spots", what, ws.key, astuple(current_filters()), unit,
                             repr(settings)), lambda: category_deck(
                geo, cat, SPOT_COLOURS, f"Hot spots of {what}", extra, frame=frame))
            st.pydeck_chart(deck, key="lb_spot_map", width="stretch", height=MAP_HEIGHT)
            legend(lg)
            basemap_note()
        with right:
            counts = table[col].value_counts().rename_axis("class").reset_index(name="areas")
            st.dataframe(counts, hide_index=True, width="stretch",
                         column_config={"class": "Class", "areas": f"{word.capitalize()}s"})
            sig = table[table[col] != "not significant"][["name", col, pcol]]
            st.dataframe(sig, hide_index=True, width="stretch",
                         column_config={"name": word.capitalize(), col: "Class",
                                        pcol: st.column_config.NumberColumn(
                                            "p-value", format="%.3f")})
        how_text(res.how_calculated[f"hotspots_{what}"])

# ------------------------------------------------------------------ rule and ranking
with tab_rank:
    st.subheader("Left behind and opportunities")
    st.markdown(f"**Left behind** — {md_escape(res.rule.describe())}")
    cols = ["name", "population", "share_pop_decile1_2", "worst_decile", "reach",
            "cluster_profile"]
    lb = table[table["left_behind"]][[c for c in cols if c in table]]
    if lb.empty:
        st.caption("No area meets the rule; loosen the sliders above to see near misses.")
    else:
        st.dataframe(blanks(as_percent(lb, ["share_pop_decile1_2"])), hide_index=True,
                     width="stretch", column_config={
                         "name": word.capitalize(),
                         "population": st.column_config.NumberColumn("Residents",
                                                                     format="localized"),
                         "share_pop_decile1_2": st.column_config.NumberColumn(
                             "Residents in the most deprived 20%", format="%.0f%%"),
                         "worst_decile": st.column_config.NumberColumn(
                             "Most deprived LSOA decile"),
                         "reach": "£ per resident (placed spend)",
                         "cluster_profile": "Kind of place"})
    how_text(res.how_calculated["left_behind"])
    st.markdown("**Where spend could do most: opportunity ranking**")
    rk = res.ranking.merge(table[["code", "reach"]], on="code", how="left")
    rk = rk[["rank", "name", "score", "need_points", "gap_points", "capacity_points",
             "suppliers_near", "reach", "reason"]]
    st.dataframe(blanks(rk), hide_index=True, width="stretch", column_config={
        "rank": "Rank", "name": word.capitalize(),
        "score": st.column_config.NumberColumn("Score (0–100)", format="%.1f"),
        "need_points": st.column_config.NumberColumn("Need points", format="%.1f"),
        "gap_points": st.column_config.NumberColumn("Reach-gap points", format="%.1f"),
        "capacity_points": st.column_config.NumberColumn("Capacity points", format="%.1f"),
        "suppliers_near": st.column_config.NumberColumn("Local suppliers in or next to it"),
        "reach": "£ per resident (placed spend)",
        "reason": st.column_config.TextColumn("Why", width="large")})
    how_text(res.how_calculated["opportunity"])

    st.markdown("**Send areas to Scenarios**")
    names = dict(zip(table["code"].astype(str), table["name"].astype(str), strict=False))
    lb_codes = table.loc[table["left_behind"], "code"].astype(str).tolist()
    default = list(dict.fromkeys([*lb_codes, *res.target.codes]))[: max(top, len(lb_codes))]
    chosen = st.multiselect("Areas to target", list(names), default=default,
                            format_func=lambda c: names.get(c, c), key="lb_chosen")
    deciles = area_deciles(table).to_dict()
    if st.button("Use these areas in a scenario", type="primary", key="lb_send",
                 disabled=not chosen):
        set_target(chosen, unit, f"{len(chosen)} areas chosen on the Left behind page",
                   deciles)
        st.switch_page("views/scenarios_page.py")

    st.markdown("**Downloads**")
    t1, t2 = st.tabs(["Per-area table", "Opportunity ranking"])
    with t1:
        download(output_table(res), f"left_behind_{unit}s", "lb_dl_table")
    with t2:
        download(res.ranking, "opportunity_ranking", "lb_dl_rank")

for w in res.warnings:
    st.caption(f"ℹ️ {md_escape(w)}")
