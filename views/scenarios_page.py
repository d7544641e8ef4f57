"""Scenarios: what if part of a category's non-local spend went to suppliers in an area?

A thin view over :mod:`impact.analysis.scenarios`; the baseline is the council's re-spend model
with its saved choices, assumptions and survey (:meth:`impact.workspace.Workspace.model`).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from impact.analysis.measures import money
from impact.analysis.opportunity import area_deciles
from impact.analysis.scenarios import (
    CATEGORY_WORDS,
    Scenario,
    Words,
    compare,
    load_scenarios,
    run_scenario,
    save_scenarios,
)
from impact.outputs import labels
from views._analysis import (
    SCENARIOS,
    TARGET,
    TARGET_DECILES,
    how_text,
    neighbourhood_names,
    one_line,
    scenarios_path,
)
from views._common import (
    current_filters,
    download,
    md_escape,
    measures,
    page_payments,
    page_workspace,
)
from views._common import table as table_view

st.title("Scenarios")
ws = page_workspace()
st.caption("Move X % (or £Y) of a category's non-local spend to suppliers in an area — the "
           "council, chosen wards, or the areas sent from the Left behind page — and see what "
           "changes: located local spend, LM3 with its bands, and £ reaching the most deprived "
           "areas.  The baseline is the Re-spend model with its current settings.")
tx = page_payments(ws)
base = ws.model(current_filters())
if base is None:
    st.error("The re-spend model could not run: the council's area is not known, or there is "
             "no positive spend to trace.")
    st.stop()
spend = base.inputs.spend

# ------------------------------------------------------------------ the saved list
store = st.session_state.setdefault(SCENARIOS, {})
if ws.key not in store:
    try:
        store[ws.key] = load_scenarios(scenarios_path(ws))
    except (ValueError, TypeError) as exc:
        st.error(f"Saved scenarios could not be read: {one_line(exc)}")
        store[ws.key] = []
scenarios: list[Scenario] = store[ws.key]

target = st.session_state.get(TARGET)
deciles = area_deciles(ws.wards)
if target is not None:
    extra = pd.Series(st.session_state.get(TARGET_DECILES) or {}, dtype="float64")
    deciles = pd.concat([deciles, extra[~extra.index.isin(deciles.index)]])

# ------------------------------------------------------------------ new scenario
VALUE_WORDS = {"supplier_class": labels.CLASSES}


def _option_words(option: str) -> str:
    """ "supplier_class=vcse" → "Supplier type: voluntary or community (VCSE)"."""
    col, _, value = option.partition("=")
    return (f"{CATEGORY_WORDS.get(col, col).capitalize()}: "
            f"{VALUE_WORDS.get(col, {}).get(value, value)}")


CATEGORY = {"": "All influenceable non-local spend", "directorate": "Department",
            "supplier_class": "Supplier type", "sic_section": "SIC section"}
ward_names = dict(zip(ws.wards["code"].astype(str), ws.wards["name"].astype(str), strict=False))
TARGETS = {"council": "Anywhere in the local area", "wards": "Chosen wards"}
if target is not None:
    TARGETS["left_behind"] = f"Areas from the Left behind page ({len(target.codes)})"

# Enter in a box must not add the scenario with whatever the other widgets hold.
with st.form("scn_form", border=True, enter_to_submit=False):
    st.markdown("**New scenario**")
    c1, c2, c3 = st.columns(3)
    with c1:
        name = st.text_input("Name", value=f"Scenario {len(scenarios) + 1}", key="scn_name")
        how_much = st.radio("Move", ["share", "amount"], horizontal=True, key="scn_mode",
                            format_func={"share": "a % of it", "amount": "£ of it"}.get)
        pct = st.slider("%", 0, 100, 10, key="scn_pct")
        gbp = st.number_input("£", min_value=0.0, value=100_000.0, step=50_000.0,
                              format="%.0f", key="scn_gbp")
    with c2:
        cat_col = st.selectbox("Of the non-local spend of", list(CATEGORY),
                               format_func=CATEGORY.get, key="scn_cat")
        opts: list[str] = []
        for col in ("directorate", "supplier_class", "sic_section"):
            if col in spend:
                opts += [f"{col}={v}" for v in sorted(spend[col].dropna().astype(str).unique())]
        cat_vals = st.multiselect("Which (for the category chosen)", opts, key="scn_vals",
                                  format_func=_option_words,
                                  placeholder="e.g. Department: Place and Environment")
    with c3:
        kind = st.radio("To suppliers in", list(TARGETS), format_func=TARGETS.get,
                        index=list(TARGETS).index("left_behind") if target is not None else 0,
                        key="scn_target")
        wards_chosen = st.multiselect("Wards (for 'Chosen wards')", list(ward_names),
                                      format_func=ward_names.get, key="scn_wards")
        if target is not None:
            st.caption(f"Left behind areas ({md_escape(target.label)}, {target.unit}): "
                       + ", ".join(md_escape(ward_names.get(c, c)) for c in target.codes[:12])
                       + (" …" if len(target.codes) > 12 else ""))
    added = st.form_submit_button("Add scenario", type="primary")

if added:
    col = cat_col or None
    values = tuple(v.split("=", 1)[1] for v in cat_vals if v.split("=", 1)[0] == col)
    if kind == "wards":
        tkind, codes = "wards", tuple(wards_chosen)
    elif kind == "left_behind" and target is not None:
        tkind, codes = ("wards" if target.unit == "ward" else "areas"), tuple(target.codes)
    else:
        tkind, codes = "council", ()
    s = Scenario(name=name.strip() or f"Scenario {len(scenarios) + 1}",
                 share=pct / 100 if how_much == "share" else None,
                 amount_gbp=float(gbp) if how_much == "amount" else None,
                 category_column=col, category_values=values, target_kind=tkind,
                 target_codes=codes)
    try:
        s.validate()
        if col and not values:
            raise ValueError(f"choose at least one {CATEGORY[col].lower()} value")
        if s.name in [x.name for x in scenarios]:
            raise ValueError(f"a scenario is already named {s.name!r}")
    except ValueError as exc:
        st.error(f"Not added: {one_line(exc)}")
    else:
        scenarios.append(s)

# ------------------------------------------------------------------ compare
st.subheader("Compared with the baseline")
check = run_scenario(base, Scenario("0 % check", share=0.0), deciles)
lm3 = measures(ws, lm3=True).lm3
st.caption(f"Check: a 0 % scenario changes LM3 by {check['delta_lm3_p50']:+.3f} and £ retained by "
           f"{money(check['delta_retained_gbp'])} — the baseline exactly "
           f"(baseline LM3 {lm3.text}, the P50 the Re-spend page shows).")
if lm3.coverage is not None:
    st.caption(md_escape(f"These changes {lm3.rests_on[0].lower()}{lm3.rests_on[1:]}"
                         + ("; under half is known, so there is not enough data to rely on "
                            "them." if not lm3.enough else ".")))
try:
    hoods = (neighbourhood_names(ws.key, ws)
             if any(s.target_kind == "areas" for s in scenarios) else {})
    table = compare(base, scenarios, deciles,
                    Words(places={**ward_names, **hoods}, values=VALUE_WORDS))
except ValueError as exc:
    st.error(f"The scenarios could not be run: {one_line(exc)}")
    st.stop()
# The screen keeps the columns a reader compares (it fits 1366 px); the download has them all.
shown = table.assign(lm3_range=[
    f"{lo:+.3f} to {hi:+.3f}" for lo, hi in zip(table["delta_lm3_p10"], table["delta_lm3_p90"],
                                                  strict=True)])
shown = shown[["scenario", "moved_gbp", "delta_local_spend_gbp", "delta_retained_gbp",
               "delta_deprived_gbp", "delta_lm3_p50", "lm3_range"]]
table_view(shown, money=("moved_gbp", "delta_local_spend_gbp", "delta_retained_gbp",
                         "delta_deprived_gbp"),
           config={"delta_local_spend_gbp": st.column_config.NumberColumn(
                       "Local spend change (£)", format="%+,.0f"),
                   "delta_retained_gbp": st.column_config.NumberColumn(
                       "Retained change (£)", format="%+,.0f"),
                   "delta_deprived_gbp": st.column_config.NumberColumn(
                       "To most deprived change (£)", format="%+,.0f"),
                   "delta_lm3_p50": st.column_config.NumberColumn("LM3 change (P50)",
                                                                  format="%+.3f"),
                   "lm3_range": st.column_config.TextColumn("LM3 change (P10–P90)")})
for name, what in zip(table["scenario"].iloc[1:], table["description"].iloc[1:], strict=True):
    st.caption(f"**{md_escape(name)}**: {md_escape(what)}")
if len(table) > 1:
    chart = table.iloc[1:][["scenario", "delta_lm3_p10", "delta_lm3_p50", "delta_lm3_p90",
                            "delta_lm3_lower", "delta_lm3_upper"]]
    y = alt.Y("scenario:N", title=None, sort=list(chart["scenario"]))
    band = alt.Chart(chart).mark_rule(strokeWidth=6, color="#56B4E9").encode(
        x=alt.X("delta_lm3_p10:Q", title="Change in LM3 (P10–P90 band, P50 dot)"),
        x2="delta_lm3_p90:Q", y=y)
    dot = alt.Chart(chart).mark_point(filled=True, size=90, color="#000000").encode(
        x="delta_lm3_p50:Q", y=y,
        tooltip=[alt.Tooltip("scenario", title="Scenario"),
                 *(alt.Tooltip(f"{c}:Q", format="+.3f", title=labels.column(c))
                   for c in ("delta_lm3_p50", "delta_lm3_lower", "delta_lm3_upper"))])
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#999999").encode(x="x:Q")
    st.altair_chart((zero + band + dot).properties(height=40 + 36 * len(chart)),
                    width="stretch")
how_text("\n".join(table["how_calculated"].iloc[1:]) or
         "Add a scenario to see how it was calculated.",
         "£ to IMD decile 1–2: a target ward's decile is that of its population-weighted mean "
         "national IMD rank; an LSOA's is its own. 'Anywhere in the local area' has no known "
         "decile, so it adds nothing there.")

c1, c2, c3 = st.columns([2, 2, 3])
with c1:
    if st.button("Save scenarios", type="primary", key="scn_save",
                 help="Kept for this council under the workspace folder"):
        try:
            p = save_scenarios(scenarios_path(ws), scenarios)
        except (ValueError, OSError) as exc:
            st.error(f"Not saved: {one_line(exc)}")
        else:
            st.success(f"Saved {len(scenarios)} scenario(s) to {p.name}.")
with c2:
    drop = st.selectbox("Remove a scenario", [s.name for s in scenarios], index=None,
                        key="scn_drop", placeholder="Choose one")
    if st.button("Remove", key="scn_remove", disabled=drop is None):
        store[ws.key] = [s for s in scenarios if s.name != drop]
        st.rerun()
with c3:
    st.markdown("**Download the comparison**")
    download(table, "scenarios", "scn_dl")
