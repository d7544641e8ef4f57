"""Re-spend model: how much of our £ stays and re-circulates here, and how sure are we?

A thin view over :mod:`impact.multiplier` (nef's LM3 with bands), :mod:`impact.priors`,
:mod:`impact.survey` and :mod:`impact.io_crosscheck`.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from impact.analysis import metrics
from impact.analysis.io_crosscheck import crosscheck, load_type1, why_lm3_differs
from impact.analysis.priors import default_priors, save_priors, validate_priors
from impact.analysis.survey import parse_survey, survey_template
from impact.outputs import maps
from impact.outputs.labels import CLASSES, RECIPIENTS
from views._analysis import (
    LM3_SETTINGS,
    LM3_SURVEY,
    band_chart,
    baseline,
    council_centre,
    council_dir,
    csv_button,
    current_priors,
    how_text,
    io_table_path,
    one_line,
    priors_path,
    settings_values,
    waterfall_chart,
)
from views._common import (
    STREAMLIT_ESCAPES_TOOLTIPS,
    current_filters,
    download,
    friendly,
    legend,
    md_escape,
    page_payments,
    page_workspace,
    table,
)

st.title("Re-spend model")
ws = page_workspace()
st.caption("How much of our £ stays and re-circulates here, and how sure are we? NEF's Local "
           "Multiplier 3 (LM3) follows the council's spend for three rounds: what it pays "
           "(R1), what local suppliers and staff receive (R2) and what they re-spend locally "
           "(R3).  It uses the payments selected in the sidebar filters.")
tx = page_payments(ws)

# ------------------------------------------------------------------ settings
v = settings_values()
LOCAL_LABELS = {"council": "The council's own district(s)", "districts": "A set of districts",
                "radius": "Within a radius of the council centre"}


@st.cache_data(show_spinner=False)
def _lad_options(ws_key: str, _ws) -> dict[str, str]:
    return _ws.district_names()


def _sync() -> None:
    """Widget values → the canonical settings the Scenarios page also uses."""
    s = st.session_state
    st.session_state[LM3_SETTINGS] = {
        "local": s.get("lm3_w_local", v["local"]),
        "lads": tuple(s.get("lm3_w_lads", v["lads"]) or ()),
        "radius_km": float(s.get("lm3_w_radius", v["radius_km"])),
        "payroll_gbp": float(s.get("lm3_w_payroll", v["payroll_gbp"])),
        "staff_local_pct": float(s.get("lm3_w_staff", v["staff_local_pct"])),
        "unlocated": s.get("lm3_w_unlocated", v["unlocated"]),
    }


lads = _lad_options(ws.key, ws)
for key, val in (("lm3_w_local", v["local"]), ("lm3_w_lads", list(v["lads"])),
                 ("lm3_w_radius", v["radius_km"]),
                 ("lm3_w_payroll", v["payroll_gbp"]), ("lm3_w_staff", v["staff_local_pct"]),
                 ("lm3_w_unlocated", v["unlocated"])):
    st.session_state.setdefault(key, val)
if any(c not in lads for c in st.session_state["lm3_w_lads"]):
    st.session_state["lm3_w_lads"] = [c for c in st.session_state["lm3_w_lads"] if c in lads]

with st.container(border=True):
    c1, c2, c3 = st.columns([2, 2, 2])
    with c1:
        st.radio("What counts as local", list(LOCAL_LABELS), format_func=LOCAL_LABELS.get,
                 key="lm3_w_local", on_change=_sync)
        mode = st.session_state["lm3_w_local"]
        if mode == "districts":
            st.multiselect("Districts (LAD)", sorted(lads), key="lm3_w_lads", on_change=_sync,
                           format_func=lambda c: f"{lads.get(c, c)} ({c})",
                           placeholder="Choose districts (county, combined authority …)")
        elif mode == "radius":
            st.number_input("Radius (km)", min_value=0.5, max_value=200.0, step=0.5,
                            key="lm3_w_radius", on_change=_sync)
            centre = council_centre(ws)
            st.caption(f"Centre: {centre[0]:.4f}, {centre[1]:.4f} (a point inside the council)"
                       if centre else "No council boundary: the radius cannot be used.")
    with c2:
        st.number_input("Council pay bill (£ a year)", min_value=0.0, step=1e6, format="%.0f",
                        key="lm3_w_payroll", on_change=_sync,
                        help="Wages are round-1 spend too; the share paid to staff living "
                             "locally is round 2.")
        st.slider("Staff living locally (% of the pay bill)", 0.0, 100.0, step=1.0,
                  key="lm3_w_staff", on_change=_sync)
    with c3:
        st.caption("Influenceable spend only (public bodies left out): "
                   f"**{'on' if current_filters().influenceable_only else 'off'}**, set "
                   "with the sidebar's switch like every page.")
        st.radio("Unplaced spend in the round-by-round figures", ["non_local", "proportional"],
                 key="lm3_w_unlocated", on_change=_sync,
                 format_func={"non_local": "Counted as leaving the area (lower bound)",
                              "proportional": "Local like placed spend (upper bound)"}.get)
_sync()
if st.session_state["lm3_w_local"] == "districts" and not st.session_state["lm3_w_lads"]:
    st.info("No districts chosen: the council's own district(s) are used until you pick some.")

res = baseline(ws, tx)
if res is None:
    st.stop()
m = res.model

# ------------------------------------------------------------------ headline
st.subheader("Headline")
h = m.headline_
c1, c2, c3, c4 = st.columns(4)
c1.metric("LM3 (P50)", f"{h.lm3:.2f}")
c1.caption(f"Likely range (P10–P90) {h.lm3_p10:.2f}–{h.lm3_p90:.2f}")
c2.metric("£ retained locally (R2 + R3, P50)", metrics.money(h.retained))
c2.caption(f"Likely range (P10–P90) {metrics.money(h.retained_p10)}–"
           f"{metrics.money(h.retained_p90)}")
c3.metric("LM3 if unplaced £ leaves … or is local", f"{h.lm3_lower:.2f} – {h.lm3_upper:.2f}")
c3.caption(f"{metrics.money(m.unlocated_gbp_)} not placed "
           f"({m.unlocated_gbp_ / m.r1_:.1%} of round 1)" if m.r1_ else "")
c4.metric("£1 spent here is worth", f"£{h.lm3:.2f}")
c4.caption("to the local economy over three rounds (LM3, P50)")
if h.placed_share is not None and h.placed_share < metrics.MIN_COVERAGE:
    st.warning(f"Only {metrics.pct(h.placed_share)} of round-1 spend is placed: the LM3 here "
               "rests mostly on assumptions about the rest (not enough data to rely on). "
               "Place more suppliers on the Suppliers page.")
st.info(f"Local means {md_escape(res.inputs.area.describe())}. The likely range is "
        f"driven mainly by {md_escape(m.band_drivers_['main_driver'])}. The round-by-round "
        f"table shows {md_escape(m.shown_)}, so it can be checked by hand.", icon="📏")

left, right = st.columns([3, 2])
with left:
    st.markdown("**Where the money goes: R1 → R2 → R3**")
    st.altair_chart(waterfall_chart(m.waterfall_), width="stretch")
with right:
    st.markdown("**How sure are we? LM3 bands**")
    st.altair_chart(band_chart(m), width="stretch")
    st.caption("Bar: Monte Carlo P10–P90 · ● P50 · ■ lower bound (unlocated spend non-local) "
               "· ▲ upper bound (unlocated spend local pro rata).")
    rounds = m.rounds_[["round", "label", "gbp_lower", "gbp_upper", "gbp_shown", "gbp_staff"]]
    table(rounds, money=("gbp_lower", "gbp_upper", "gbp_shown", "gbp_staff"))


def _acc(val: object) -> str:
    return f"{val:,}" if isinstance(val, (int, float)) and not isinstance(val, bool) else str(val)


how_text(res.how_calculated, "Rows accounted for: " + "; ".join(
    f"{friendly(k).lower()}: {_acc(val)}" for k, val in res.inputs.accounting.items()))

st.subheader("Where round-2 money lands")
st.caption("Wards of the local suppliers paid (R2) and what they re-spend locally (R3, "
           "central priors).")
by_ward = m.by_ward_
wl, wr = st.columns([3, 2])
with wr:
    table(by_ward, money=("r2", "r3"), config={"imd_decile": st.column_config.NumberColumn(
        "IMD decile (median)", format="%.0f")})
with wl:
    if len(ws.wards):
        figs = by_ward.rename(columns={"ward_code": "code", "r2": "spend"})[["code", "spend"]]
        deck, lg = maps.ward_deck(ws.wards, "spend", figs, height=380,
                                  escape=not STREAMLIT_ESCAPES_TOOLTIPS)
        st.pydeck_chart(deck, key="lm3_ward_map", width="stretch")
        legend(maps.Legend("R2: £ received by local suppliers based in the ward",
                           lg.items, lg.note))
        if res.inputs.area.lad_codes != tuple(sorted(ws.council_lads)):
            st.caption("The map shows the council's own wards; the table lists every ward of "
                       "the local area that receives round-2 money.")
    else:
        st.caption("No ward map for this council: " + "; ".join(ws.warnings[:1]))

# ------------------------------------------------------------------ tabs
t_assume, t_survey, t_break, t_io = st.tabs(
    ["Assumptions", "Supplier survey", "Breakdowns", "Input–output cross-check"])

with t_assume:
    st.markdown("Re-spend shares used for round 3 when no survey answer is given. Edit a row "
                "(low ≤ central ≤ high, all 0–1) and save: the table is kept for this council "
                f"in the folder “{md_escape(council_dir(ws).name)}” under the workspace folder.")
    ver = st.session_state.setdefault("lm3_priors_ver", 0)
    try:
        saved = current_priors(ws)
    except (ValueError, OSError) as exc:
        st.error(f"The saved table could not be read ({one_line(exc)}); showing the defaults.")
        saved = default_priors()
    edited = st.data_editor(
        saved, key=f"lm3_priors_{ver}", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "low": st.column_config.NumberColumn(friendly("low"), min_value=0.0,
                                                 max_value=1.0, step=0.01),
            "central": st.column_config.NumberColumn(friendly("central"), min_value=0.0,
                                                 max_value=1.0, step=0.01),
            "high": st.column_config.NumberColumn(friendly("high"), min_value=0.0,
                                                 max_value=1.0, step=0.01),
            "supplier_class": st.column_config.SelectboxColumn(
                friendly("supplier_class"), options=["*", *CLASSES],
                format_func=lambda c: "any" if c == "*" else CLASSES.get(c, c)),
            "sic_section": st.column_config.TextColumn(friendly("sic_section"),
                                                       help="A–U, or * for any"),
            "recipient": st.column_config.SelectboxColumn(
                friendly("recipient"), options=list(RECIPIENTS), format_func=RECIPIENTS.get),
            "source": st.column_config.TextColumn(friendly("source"), width="large"),
            "published": st.column_config.CheckboxColumn(friendly("published")),
        })
    b1, b2, _ = st.columns([1, 1, 3])
    if b1.button("Save assumptions", type="primary", key="lm3_save_priors"):
        try:
            validate_priors(edited)
            path = save_priors(priors_path(ws), edited)
        except (ValueError, OSError) as exc:
            st.error(f"Not saved: {one_line(exc)}")
        else:
            st.session_state["lm3_priors_ver"] = ver + 1
            st.session_state["lm3_priors_msg"] = f"Saved to {path.name}; the model now uses it."
            st.rerun()
    if b2.button("Reset to the shipped defaults", key="lm3_reset_priors"):
        priors_path(ws).unlink(missing_ok=True)
        st.session_state["lm3_priors_ver"] = ver + 1
        st.session_state["lm3_priors_msg"] = "Reset: the shipped defaults are used."
        st.rerun()
    if msg := st.session_state.pop("lm3_priors_msg", None):
        st.success(msg)
    st.caption("'Published figure' is unticked where the figure is a judgement; the source "
               "says why. "
               "Lookup: exact class and SIC section, then class, then section, then the "
               "generic row.")

with t_survey:
    st.markdown("A round-3 survey replaces the priors for the suppliers who answer. Download "
                "the template (your largest local suppliers first), fill in the percentages "
                "and upload it.")
    sup = res.inputs.suppliers.merge(
        m.by_supplier_[["supplier_key", "r1"]].rename(columns={"r1": "spend"}),
        on="supplier_key", how="left", suffixes=("_all", ""))
    csv_button(survey_template(sup), "Download the survey template (CSV)",
               "supplier_survey_template.csv", "lm3_survey_template")
    up = st.file_uploader("Upload a filled-in survey (CSV)", type=["csv"], key="lm3_survey_up")
    if up is not None:
        data = up.getvalue()
        h = hashlib.sha1(data).hexdigest()[:16]
        cur = st.session_state.get(LM3_SURVEY)
        if not cur or cur.get("hash") != h or cur.get("ws_key") != ws.key:
            try:
                sv = parse_survey(data, ws.suppliers)
            except ValueError as exc:
                st.error(f"Survey not used: {one_line(exc)}")
            else:
                st.session_state[LM3_SURVEY] = {
                    "ws_key": ws.key, "hash": h, "name": up.name, "shares": sv.shares,
                    "rejected": sv.rejected, "rows_in": sv.rows_in, "notes": sv.notes}
                st.rerun()
    cur = st.session_state.get(LM3_SURVEY)
    if cur and cur.get("ws_key") == ws.key:
        st.success(f"{md_escape(cur['name'])}: {len(cur['shares'])} of {cur['rows_in']} rows "
                   f"used; {len(cur['rejected'])} rejected. Surveyed local spend: "
                   f"{metrics.money(m.surveyed_gbp_)}.")
        for n in cur["notes"]:
            st.caption(n)
        if len(cur["rejected"]):
            st.markdown("**Rows not used, and why**")
            table(cur["rejected"])
        if st.button("Stop using the survey", key="lm3_survey_clear"):
            st.session_state.pop(LM3_SURVEY, None)
            st.rerun()
    with st.expander("How this was calculated"):
        st.markdown("Local re-spend share = wage share × local staff share + purchase share "
                    "× local purchase share (all as shares of the supplier's turnover; NEF, "
                    "*The Money Trail*, 2002). Blank purchase share = 100 % − wage share (an "
                    "upper bound). Suppliers are matched by key, then supplier id, then "
                    "normalised name; every row is used or rejected with a reason.")

with t_break:
    st.markdown("**By department**")
    by_dir = m.by_directorate_
    gbp = [c for c in by_dir.columns if c.startswith(("r1", "r2", "r3", "retained", "unlocated"))]
    lm3_cols = {"lm3_lower": 2, "lm3_upper": 2}
    table(by_dir, money=tuple(gbp), decimals=lm3_cols)
    st.markdown("**By supplier type**")
    table(m.by_class_, money=tuple(gbp), decimals=lm3_cols)
    st.caption("Breakdowns use the central priors; lower = unlocated spend counted non-local, "
               "upper = local pro rata.")
    out = pd.DataFrame([res.summary()]).drop(columns=["accounting", "settings", "band_drivers"])
    st.markdown("**Downloads**")
    d1, d2, d3 = st.tabs(["Headline", "By department", "By ward"])
    with d1:
        download(out, "lm3-headline", "lm3_dl_head", "the headline")
    with d2:
        download(by_dir, "lm3-by-department", "lm3_dl_dir", "by department")
    with d3:
        download(m.by_ward_, "lm3-by-ward", "lm3_dl_ward", "by ward")

with t_io:
    path, where = io_table_path(ws)
    if path is None:
        st.info("No ONS input-output multipliers file in the reference data: the Type I "
                "cross-check is not available.")
    elif "sic" not in ws.suppliers or not ws.suppliers["sic"].notna().any():
        st.info("No supplier in this dataset has a SIC code (from Companies House), so the "
                "ONS Type I cross-check cannot be computed.")
        st.markdown(f"**Why LM3 and Type I differ.** {md_escape(why_lm3_differs())}")
    else:
        try:
            type1 = load_type1(path)
            spend = m.by_supplier_[["supplier_key", "r1"]].rename(columns={"r1": "spend"})
            io_in = spend.merge(ws.suppliers[["supplier_key", "sic"]].drop_duplicates(
                "supplier_key"), on="supplier_key", how="left")
            io = crosscheck(io_in, type1)
        except (ValueError, KeyError, OSError) as exc:
            st.error(f"Cross-check not available: {one_line(exc)}")
        else:
            a, b, c = st.columns(3)
            a.metric("ONS Type I output multiplier", "—" if pd.isna(io.multiplier)
                     else f"{io.multiplier:.2f}")
            a.caption("regionalised" if io.regionalised else "national (UN-regionalised)")
            b.metric("LM3 (P50)", f"{m.headline_.lm3:.2f}")
            c.metric("Spend with a SIC code", metrics.pct(
                io.spend_covered_gbp / io.spend_total_gbp if io.spend_total_gbp else None))
            st.markdown(f"**Why LM3 and Type I differ.** {md_escape(why_lm3_differs())}")
            table(io.by_industry.head(20), money=("spend",), decimals={"multiplier": 3})
            how_text(io.how_calculated, f"Multipliers read from {where}: {path.name}.")
