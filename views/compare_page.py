"""Compare: a council against chosen others and its statistical neighbours, and over time.

A thin view over :mod:`impact.store` (the councils loaded for comparison) and
:mod:`impact.analysis.compare` (the measures, the coverage rule, the neighbours).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from impact.analysis.compare import (
    MEASURE_BY_KEY,
    MEASURES,
    NEIGHBOURS,
    latest_periods,
    ranked,
    screen_table,
    statistical_neighbours,
    workbook,
)
from impact.analysis.measures import MIN_COVERAGE
from impact.core.paths import slug
from impact.store import (
    Store,
    add_workspace,
    authority_table,
    compare_councils,
    council_info,
)
from views._common import MISSING, download, md_escape, workspace
from views._compare import CHOSEN, NEIGHBOUR, THIS, dot_frame, dot_plot, trend_charts, trend_frame

DEFAULT_MEASURES = ["local_share", "regional_share", "deprived_share", "top10_share",
                    "lm3_p50", "spend_per_resident"]
LATEST = "Each council's latest complete financial year"

st.title("Compare")
st.caption("How does a council's spend compare with its statistical neighbours, with other "
           "councils and with its own past? Every figure shows its coverage; a figure based "
           f"on less than {MIN_COVERAGE:.0%} of the spend is shown as its range only, marked "
           "“not enough data”.")
store = Store.default()
ws = workspace(show_error=False)


def offer_current() -> None:
    """A button adding the council open in the app to the comparison."""
    if ws is None or store.entry(slug(ws.source.council)) is not None:
        return
    if st.button(f"Add {ws.label} to the comparison", key="cmp_add"):
        with st.spinner("Storing its payments for comparison…"):
            add_workspace(store, ws)
        st.rerun()


offer_current()
entries = {e.council_id: e for e in store.entries()}
if not entries:
    st.info("No councils to compare yet. Add the council open in the app with the button "
            "above, or load several at once with `impact compare DIR... --out table.csv` "
            f"(the app reads the store in `{store.root}`).")
    st.stop()


@st.cache_data(show_spinner=False, max_entries=4)
def authorities(root: str, store_key: tuple, _ref) -> pd.DataFrame:
    return authority_table(store, _ref)


ids = sorted(entries, key=lambda c: entries[c].council)
mine = slug(ws.source.council) if ws is not None else None
left, period_box = st.columns(2)
me = left.selectbox("Council", ids, index=ids.index(mine) if mine in ids else 0,
                    format_func=lambda c: entries[c].council, key="cmp_council")
table = authorities(str(ws.reference().root) if ws and ws.reference() else "",
                    tuple(sorted((e.council_id, e.fingerprint) for e in entries.values())),
                    ws.reference() if ws else None)
near = statistical_neighbours(table, entries[me].profile.gss_code, NEIGHBOURS)
near_ids = [c for c in near["council_id"].dropna() if c in entries]
others = st.multiselect("Compare with", [c for c in ids if c != me],
                        default=near_ids or [c for c in ids if c != me][:11],
                        format_func=lambda c: entries[c].council, key="cmp_others")


def neighbour_note() -> None:
    """Who the statistical neighbours are, and which have data loaded."""
    p = entries[me].profile
    known = p.gss_code in set(table["gss_code"]) and p.type and p.region
    if near.empty and known:
        st.caption(f"No statistical neighbours: no other {md_escape(p.type_name or p.type)} "
                   f"in {md_escape(p.region)} has an IMD score to compare with.")
        return
    if near.empty:
        st.caption("No statistical neighbours: the council's type, region or IMD score is "
                   "not in the reference data.")
        return
    loaded = {True: "loaded", False: "no data loaded"}
    names = [f"{md_escape(r.name)} ({loaded[isinstance(r.council_id, str)]})"
             for r in near.itertuples()]
    st.caption(f"Statistical neighbours — other {md_escape(p.type_name or 'councils')} in "
               f"{md_escape(p.region or 'the region')} with the nearest IMD 2025 average score: "
               + "; ".join(names) + ".")


neighbour_note()
groups = {me: THIS, **{c: NEIGHBOUR for c in near_ids}}
chosen = [me, *others]
ranked_tab, trend_tab, table_tab = st.tabs(["Ranked measures", "Trend", "Table"])


def ranked_view() -> None:
    t = compare_councils(store, chosen, "year")
    years = sorted({p for p in t["period"] if "/" in p}, reverse=True)
    when = period_box.selectbox("Period (ranked measures)", [LATEST, *years], key="cmp_year")
    rows = latest_periods(t) if when == LATEST else t[t["period"] == when]
    keys = st.multiselect("Measures", [m.key for m in MEASURES], default=DEFAULT_MEASURES,
                          format_func=lambda k: MEASURE_BY_KEY[k].label, key="cmp_measures")
    missing = sorted(set(entries[c].council for c in chosen) - set(rows["council"]))
    if missing:
        st.caption("No payments in this period: " + "; ".join(md_escape(c) for c in missing))
    for key in keys:
        m = MEASURE_BY_KEY[key]
        st.markdown(f"**{m.label}**" + (f" — higher means {m.higher}" if m.higher else ""))
        st.altair_chart(dot_plot(dot_frame(ranked(rows, key), key, groups), key),
                        width="stretch")
    st.caption("Bars are ranges: the lower end counts every unplaced £ as going elsewhere, the "
               "upper end as staying. Dots are the central estimate (unplaced spend assumed "
               "to be like placed spend). " + f"Colours: {THIS}, {NEIGHBOUR}, {CHOSEN}.")


def trend_view() -> None:
    left, right = st.columns([1, 2])
    freq = left.radio("By", ["year", "quarter"], horizontal=True, key="cmp_freq",
                      format_func={"year": "Financial year", "quarter": "Quarter"}.get)
    rows = compare_councils(store, [me], freq)
    if (rows["period_start"].notna()).sum() < 2:
        st.info(f"{entries[me].council} has payments for one period only: no trend to show.")
        return
    key = right.selectbox("Measure", [m.key for m in MEASURES], index=2, key="cmp_trend",
                          format_func=lambda k: MEASURE_BY_KEY[k].label)
    for chart in trend_charts(trend_frame(rows, key), key):
        st.altair_chart(chart, width="stretch")
    st.caption(f"A period whose coverage is below the dashed line ({MIN_COVERAGE:.0%}) has "
               "no central estimate (a gap in the line): only its range is shown.")


def table_view() -> None:
    t = compare_councils(store, chosen, "year")
    st.dataframe(screen_table(t), hide_index=True, placeholder=MISSING, width="stretch")
    st.caption("Download the table: CSV and Excel in words, with each council's ways of "
               "counting local on a second sheet in Excel; Parquet keeps the short column "
               "names `impact compare` writes.")
    book = workbook(t, [council_info(entries[c]) for c in chosen])
    first, *rest = book
    download(book[first], "compare", "cmp-dl", sheets={k: book[k] for k in rest})


with ranked_tab:
    ranked_view()
with trend_tab:
    trend_view()
with table_tab:
    table_view()
if any(e.synthetic for e in entries.values() if e.council_id in chosen):
    st.warning("Some councils shown are synthetic (generated by this project).", icon="🧪")
