"""Departments and time: spend by group and month, variance and outliers, local share."""

from __future__ import annotations

from dataclasses import astuple

import altair as alt
import pandas as pd
import streamlit as st

from impact import reports
from impact.analysis import metrics
from impact.analysis.filters import Filters
from impact.analysis.measures import NOT_ENOUGH_DATA, RANGE_WORDS
from impact.outputs import labels
from impact.workspace import Workspace
from views._common import current_filters, filtered, kept, page_workspace, table

#: Okabe–Ito's eight colours (colour-blind safe) and a grey for "(all others)".
GROUP_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                 "#F0E442", "#000000", "#BBBBBB"]


def month_bars(chart: pd.DataFrame, group: str) -> alt.Chart:
    """Stacked £m by month ("Apr 2021", one bar a month), the groups in Okabe–Ito colours
    with their full names in a legend below (hover shows the £)."""
    months = [str(m) for m in chart.index]
    long = (chart.rename_axis("m").reset_index().melt("m", var_name="g", value_name="gbp")
            .assign(month=lambda d: d["m"].astype(str).map(labels.month),
                    gbpm=lambda d: d["gbp"] / 1e6))
    order = [labels.month(m) for m in months]
    angle = 0 if len(order) <= 12 else -45
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("month:O", sort=order, title=None, axis=alt.Axis(labelAngle=angle)),
        y=alt.Y("sum(gbpm):Q", title="£m (net)", axis=alt.Axis(format=",.1f")),
        color=alt.Color("g:N", title=group, sort=list(chart.columns),
                        scale=alt.Scale(range=GROUP_COLOURS),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=420)),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("g:N", title=group),
                 alt.Tooltip("gbp:Q", title="£", format=",.0f")],
    ).properties(height=340)


@st.cache_resource(show_spinner=False, max_entries=16)
def _tables(ws_key: str, filter_values: tuple, by: str, sel: tuple[str, ...],
            _ws: Workspace, _f: Filters) -> tuple[pd.DataFrame, ...]:
    """The page's four tables (:func:`impact.reports.department_tables`: kept on disk,
    prepared in the background for the first view), once per dataset, filters and grouping
    in this process.  Read, never changed."""
    return reports.department_tables(_ws, _f, by, list(sel))


@st.cache_resource(show_spinner=False, max_entries=8)
def _months(ws_key: str, _ws: Workspace) -> list[str]:
    """Every month the council's payments fall in ("2024-04"), once per dataset."""
    return reports.payment_months(_ws)


st.title("Departments and time")
ws = page_workspace()
tx = filtered(ws)
groups = reports.department_groups(tx)
by = st.radio("Group by", list(groups), format_func=groups.get, horizontal=True,
              key="dept_by")
if tx.empty:
    st.info("No payments match the filters.")
    st.stop()

months = _months(ws.key, ws)
f = current_filters()
sel = [m for m in months if (not f.period_from or m >= f.period_from)
       and (not f.period_to or m <= f.period_to)]
if not (f.period_from or f.period_to):
    sel = months[-3:]
pivot, var, cmp, ls = _tables(ws.key, astuple(f), by, tuple(sel), ws, f)
same = (ws.key, astuple(f), by, tuple(sel))  # what every table below follows from

st.subheader(f"Spend by {groups[by].lower()} and month")
if pivot.empty:
    st.info("These payments carry no month (per-supplier summary files).")
else:
    top = pivot.head(8)
    rest = pivot.iloc[8:].sum()
    chart = top.T
    if len(pivot) > 8:
        chart["(all others)"] = rest
    st.vega_lite_chart(dict(kept(("departments chart", *same),
                                 lambda: month_bars(chart, groups[by]).to_dict())),
                       width="stretch")
    grid = pivot.assign(total=pivot.sum(axis=1)).rename_axis(by).reset_index()
    table(grid, money=tuple(c for c in grid.columns if c != by),
          config={by: st.column_config.Column(groups[by])},
          kept_as=("departments grid", *same))

st.subheader("Changes and outliers")
out = var[var["outlier"]].sort_values("robust_z", key=lambda s: -s.abs())
st.caption(f"{len(out)} month-on-month changes flagged as outliers (|robust z| > 3.5).")
table(var.assign(outlier=var["outlier"].map({True: "⚠ outlier", False: ""})),
      money=("amount", "change_prev_month", "change_last_year"), decimals={"robust_z": 1},
      height=300, config={"group": st.column_config.Column(groups[by])},
      kept_as=("departments variance", *same))
with st.expander("How this was calculated"):
    st.markdown(metrics.VARIANCE_HOW)

st.subheader("This period against the previous one and the same period last year")
if sel:
    st.caption(f"Current period: {labels.month(sel[0])} to {labels.month(sel[-1])} "
               f"({'from the month filter' if f.period_from or f.period_to else 'last 3 months'})"
               ". Blank where the files do not cover the comparison period.")
table(cmp, money=("current", "previous", "last_year", "change_vs_previous",
                 "change_vs_last_year"), percent=("pct_vs_previous", "pct_vs_last_year"),
      kept_as=("departments periods", *same))

st.subheader(f"Local share by {groups[by].lower()}")
# Below the one gate a group's share is not shown as a number (not enough data).
ls = ls.assign(local_share=ls["local_share"].where(ls["enough"]),
               note=ls["enough"].map({False: NOT_ENOUGH_DATA, True: ""})).drop(
    columns="enough")
table(ls, money=("spend", "located", "local"),
      percent=("coverage", "local_share", "lower", "upper"),
      config={"note": st.column_config.Column("Note")},
      kept_as=("departments local share", *same))
with st.expander("How this was calculated"):
    st.markdown("Local share = £ to suppliers placed inside the council's area ÷ £ to "
                "suppliers we could place, per group. Coverage = £ placed ÷ all £ (positive "
                "payments). Where under half of a group's £ is placed its share says 'not "
                "enough data'. " + RANGE_WORDS)
    st.caption(metrics.REGISTERED_OFFICE_CAVEAT)
