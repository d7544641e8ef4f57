"""Re-spend model: how much of our £ stays and re-circulates here, and how sure are we?

A thin view over the council's re-spend model (:meth:`impact.workspace.Workspace.model`:
nef's LM3 with bands, :mod:`impact.analysis.multiplier`), its saved choices
(:mod:`impact.analysis.model_inputs`), :mod:`impact.analysis.survey` and
:mod:`impact.analysis.io_crosscheck`.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple

import pandas as pd
import streamlit as st

from impact.analysis import model_inputs as mi
from impact.analysis.io_crosscheck import why_lm3_differs
from impact.analysis.measures import money, pct
from impact.analysis.priors import default_priors, validate_priors
from impact.analysis.survey import parse_survey, survey_template
from impact.outputs import maps
from impact.outputs.labels import CLASSES, RECIPIENTS
from views._analysis import (
    band_spec,
    csv_button,
    how_text,
    one_line,
    waterfall_spec,
)
from views._common import (
    STREAMLIT_ESCAPES_TOOLTIPS,
    current_filters,
    download,
    friendly,
    legend,
    md_escape,
    measures,
    metric,
    page_payments,
    page_workspace,
    table,
)


@st.cache_resource(show_spinner=False, max_entries=16)
def _r2_map(ws_key: str, filter_values: tuple, choices: str, _ws, _by_ward: pd.DataFrame):
    """The round-2 ward map, once per dataset, filters and saved choices (its polygons,
    outline and labels cost each view ≈ 0.3–1 s on a real council).  Read, never changed."""
    figs = _by_ward.rename(columns={"ward_code": "code", "r2": "spend"})[["code", "spend"]]
    return maps.ward_deck(_ws.wards, "spend", figs, height=380,
                          escape=not STREAMLIT_ESCAPES_TOOLTIPS)


st.title("Re-spend model")
ws = page_workspace()
council = ws.source.council

st.caption("How much of our £ stays and re-circulates here, and how sure are we? NEF's Local "
           "Multiplier 3 (LM3) follows the council's spend for three rounds: what it pays "
           "(R1), what local suppliers and staff receive (R2) and what they re-spend locally "
           "(R3).  It uses the payments selected in the sidebar filters.")
tx = page_payments(ws)

# ------------------------------------------------------------------ settings
LOCAL_LABELS = {"council": "The council's own area", "districts": "A set of districts",
                "radius": "Within a radius of the council centre"}
saved = mi.load_choices(council)
lads = ws.district_names()


def _save() -> None:
    """Widget values → the council's saved choices (every page, the pack and the command
    line then use them)."""
    s = st.session_state
    mi.save_choices(council, mi.Choices(
        local=s["lm3_w_local"], lads=tuple(s.get("lm3_w_lads") or ()),
        radius_km=float(s["lm3_w_radius"]), payroll_gbp=float(s["lm3_w_payroll"]),
        staff_local_pct=float(s["lm3_w_staff"])))


for key, val in (("lm3_w_local", saved.local), ("lm3_w_lads", [c for c in saved.lads
                                                                 if c in lads]),
                 ("lm3_w_radius", saved.radius_km), ("lm3_w_payroll", saved.payroll_gbp),
                 ("lm3_w_staff", saved.staff_local_pct)):
    st.session_state.setdefault(key, val)

with st.container(border=True):
    c1, c2, c3 = st.columns([2, 2, 2])
    with c1:
        st.radio("What counts as local", list(LOCAL_LABELS), format_func=LOCAL_LABELS.get,
                 key="lm3_w_local", on_change=_save)
        mode = st.session_state["lm3_w_local"]
        if mode == "districts":
            st.multiselect("Districts", sorted(lads, key=lambda c: lads[c]), key="lm3_w_lads",
                           on_change=_save, format_func=lambda c: lads.get(c, c),
                           placeholder="Choose districts (county, combined authority …)")
        elif mode == "radius":
            st.number_input("Radius (km)", min_value=0.5, max_value=200.0, step=0.5,
                            key="lm3_w_radius", on_change=_save)
            centre = ws.centre()
            st.caption(f"Centre: {centre[0]:.4f}, {centre[1]:.4f} (a point inside the council)"
                       if centre else "No council boundary: the radius cannot be used.")
    with c2:
        st.number_input("Council pay bill (£ a year)", min_value=0.0, step=1e6, format="%.0f",
                        key="lm3_w_payroll", on_change=_save,
                        help="Wages are round-1 spend too; the share paid to staff living "
                             "locally is round 2.")
        st.slider("Staff living locally (% of the pay bill)", 0.0, 100.0, step=1.0,
                  key="lm3_w_staff", on_change=_save)
    with c3:
        st.caption("Influenceable spend only (public bodies left out): "
                   f"**{'on' if current_filters().influenceable_only else 'off'}**, set "
                   "with the sidebar's switch like every page.")
        st.caption("These choices are saved for the council: the board pack, the "
                   "consultation and the command line use them too.")
if st.session_state["lm3_w_local"] == "districts" and not st.session_state["lm3_w_lads"]:
    st.info("No districts chosen: the council's own area is used until you pick some.")

res = ws.model(current_filters())
m_all = measures(ws, lm3=True)
if res is None or m_all.lm3 is None:
    st.error("The re-spend model could not run: the council's area is not known, or there is "
             "no positive spend to trace.")
    st.stop()
m, lm3 = res.model, m_all.lm3

# ------------------------------------------------------------------ headline
st.subheader("Headline")
c1, c2, c3 = st.columns(3)
metric(c1, lm3)
c2.metric("£ retained locally (R2 + R3, P50)",
          money(m.headline_.retained) if lm3.shown is not None else lm3.text)
c2.caption(f"Likely range (P10–P90) {money(m.headline_.retained_p10)}–"
           f"{money(m.headline_.retained_p90)}" if lm3.shown is not None else
           f"between {money(m.retained_lower_)} and {money(m.retained_upper_)}")
c3.metric("Likely range (P10–P90)", lm3.band_text if lm3.shown is not None else "—")
c3.caption("from the re-spend assumptions: a supplier survey narrows it" if
           lm3.shown is not None else "withheld with the figure: the unplaced spend decides "
           "more than the assumptions do")
if lm3.shown is None:
    st.warning(f"Under half of round-1 spend is placed ({pct(lm3.coverage.share)}), so the "
               "multiplier is not enough data: the rounds below rest mostly on what is "
               "assumed of the unplaced spend. Place more suppliers on the Suppliers page.")
st.info(f"Local means {md_escape(res.inputs.area.describe())}. What would narrow the "
        f"figure most: {md_escape(m.band_drivers_['main_driver'])}. The round-by-round table "
        "uses the central assumptions, so it can be checked by hand.", icon="📏")

left, right = st.columns([3, 2])
with left:
    st.markdown("**Where the money goes: R1 → R2 → R3**")
    st.vega_lite_chart(waterfall_spec(m.waterfall_), width="stretch")
with right:
    st.markdown("**How sure are we? LM3 bands**")
    st.vega_lite_chart(band_spec(m), width="stretch")
    st.caption("Bar: Monte Carlo P10–P90 · ● P50 · ■ every unplaced £ leaves · ▲ every "
               "unplaced £ stays (the P50 of the same draws).")
    rounds = m.rounds_[["round", "label", "gbp_lower", "gbp_central", "gbp_upper",
                        "gbp_staff"]]
    table(rounds, money=("gbp_lower", "gbp_central", "gbp_upper", "gbp_staff"))


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
    table(by_ward.drop(columns=["ward_code"]), money=("r2", "r3"),
          config={"imd_decile": st.column_config.NumberColumn("IMD decile (median)",
                                                              format="%.0f")})
with wl:
    if len(ws.wards):
        deck, lg = _r2_map(ws.key, astuple(current_filters()), mi.fingerprint(council), ws,
                           by_ward)
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
                f"in the folder “{md_escape(mi.folder(council).name)}” under the workspace "
                "folder, and every page, the board pack and the command line use it.")
    ver = st.session_state.setdefault("lm3_priors_ver", 0)
    try:
        saved = mi.council_priors(council)
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
            path = mi.save_council_priors(council, validate_priors(edited))
        except (ValueError, OSError) as exc:
            st.error(f"Not saved: {one_line(exc)}")
        else:
            st.session_state["lm3_priors_ver"] = ver + 1
            st.session_state["lm3_priors_msg"] = f"Saved to {path.name}; the model now uses it."
            st.rerun()
    if b2.button("Reset to the defaults", key="lm3_reset_priors"):
        mi.priors_path(council).unlink(missing_ok=True)
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
    if up is not None and st.session_state.get("_lm3_survey_read") != (
            ws.key, hashlib.sha1(up.getvalue()).hexdigest()):
        st.session_state["_lm3_survey_read"] = (ws.key, hashlib.sha1(up.getvalue()).hexdigest())
        try:
            sv = parse_survey(up.getvalue(), ws.suppliers)
        except ValueError as exc:
            st.error(f"Survey not used: {one_line(exc)}")
        else:
            mi.save_survey(council, sv.shares, up.name)
            st.session_state["_lm3_survey_report"] = (up.name, len(sv.shares), sv.rows_in,
                                                      sv.rejected, sv.notes)
            st.rerun()
    name = mi.survey_name(council)
    if name:
        st.success(f"Survey in use for this council: {md_escape(name)}. Surveyed local spend: "
                   f"{money(m.surveyed_gbp_)}.")
        report = st.session_state.get("_lm3_survey_report")
        if report and report[0] == name:
            st.caption(f"{report[1]} of {report[2]} rows used; {len(report[3])} rejected.")
            for n in report[4]:
                st.caption(md_escape(n))
            if len(report[3]):
                st.markdown("**Rows not used, and why**")
                table(report[3])
        if st.button("Stop using the survey", key="lm3_survey_clear"):
            mi.clear_survey(council)
            st.session_state.pop("_lm3_survey_report", None)
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
    lm3_cols = {"lm3_lower": 2, "lm3_central": 2, "lm3_upper": 2}
    table(by_dir, money=tuple(gbp), decimals=lm3_cols)
    st.markdown("**By supplier type**")
    table(m.by_class_, money=tuple(gbp), decimals=lm3_cols)
    st.caption("Breakdowns use the central assumptions, with the unplaced £ leaving, local "
               "like placed £ (the headline's assumption) and staying.")
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
    io = ws.crosscheck(current_filters())
    if ws.reference_file("io_multipliers") is None:
        st.info("No ONS input-output multipliers file in the reference data: the Type I "
                "cross-check is not available.")
    elif io is None:
        st.info("No supplier in this dataset has a SIC code (from Companies House), so the "
                "ONS Type I cross-check cannot be computed.")
        st.markdown(f"**Why LM3 and Type I differ.** {md_escape(why_lm3_differs())}")
    else:
        a, b, c = st.columns(3)
        a.metric("ONS Type I output multiplier", "—" if pd.isna(io.multiplier)
                 else f"{io.multiplier:.2f}")
        a.caption("regionalised" if io.regionalised else "national (UN-regionalised)")
        b.metric(lm3.label, lm3.text)
        c.metric("Round-1 spend with a SIC code", pct(
            io.spend_covered_gbp / io.spend_total_gbp if io.spend_total_gbp else None))
        st.markdown(f"**Why LM3 and Type I differ.** {md_escape(why_lm3_differs())}")
        table(io.by_industry.head(20), money=("spend",), decimals={"multiplier": 3})
        how_text(io.how_calculated, "Weighted by each supplier's round-1 £ in the re-spend "
                 "model, as the command line's cross-check is.")
