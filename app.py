"""Impact Explorer — Streamlit frame and router.  Opens on the synthetic demo borough.

This script runs on every page: page config, the dataset in use, the shared filters
(canonical values in ``st.session_state["filters"]``, mirrored to ``st.query_params`` so a
link reopens the same view), then ``st.navigation(...).run()``.  Pages in ``views/`` are thin
views over :mod:`impact`; all numbers are computed by the library.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from impact.core.settings import settings
from views._session import IN_FRAME, OPENED, RUN_KEY

if TYPE_CHECKING:
    from impact.analysis import filters as flt

# The library and the views' helpers (pandas, geopandas…, ~1–3 s to import on a cold server)
# are imported inside the functions below, after the frame is drawn, never before it.

st.set_page_config(page_title="Impact Explorer", page_icon="🗺️", layout="wide")
# Less empty space above each page's title, so a map fits a 1280×720 screen.
st.html("<style>.block-container, [data-testid='stMainBlockContainer'] "
        "{padding-top: 2.2rem}</style>")

# The page scripts live in ``views/``, not ``pages/``: a ``pages/`` folder beside this
# script puts Streamlit in its legacy auto-pages mode until ``st.navigation`` first runs, so
# a deep link (``/map``) opened on a fresh server showed "Page not found" (Streamlit has no
# setting to turn that mode off).  Never add a ``pages/`` folder; tests/test_app.py checks.
PAGES = [
    st.Page("views/overview_page.py", title="Overview", icon="📊", url_path="",
            default=True),
    st.Page("views/spend_map_page.py", title="Spend map", icon="🗺️", url_path="map"),
    st.Page("views/departments_page.py", title="Departments and time", icon="📅",
            url_path="departments"),
    st.Page("views/suppliers_page.py", title="Suppliers", icon="🏢", url_path="suppliers"),
    st.Page("views/checks_page.py", title="Payment checks", icon="🔎", url_path="checks"),
    st.Page("views/compare_page.py", title="Compare", icon="⚖️", url_path="compare"),
    st.Page("views/data_page.py", title="Data", icon="📁", url_path="data"),
    st.Page("views/lm3_page.py", title="Re-spend model", icon="🔁", url_path="respend"),
    st.Page("views/scenarios_page.py", title="Scenarios", icon="🧪", url_path="scenarios"),
    st.Page("views/left_behind_page.py", title="Left behind", icon="🧭",
            url_path="left-behind"),
    st.Page("views/boardpack_page.py", title="Board pack", icon="📑", url_path="board-pack"),
    st.Page("views/consultation_page.py", title="Consultation", icon="🗣️",
            url_path="consultation"),
]


def _aliases(pages: list) -> list:
    """Hidden pages that send other spellings of a page's address to the page itself.

    The default page's address is "/", so without an alias "/overview" (the page's own name)
    showed "Page not found"; people also type a page's title ("/spend_map", "/spend-map") or
    its file name.  Each alias only switches to its page, so the navigation stays as it is.
    """
    taken = {p.url_path for p in pages}
    out = []
    for page in pages:
        stem = Path(str(page._page)).stem.removesuffix("_page")
        words = {re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)
                 for text in (page.title, stem, page.url_path or page.title) for sep in "_-"}
        for path in sorted(words - taken - {""}):
            taken.add(path)
            out.append(st.Page(lambda p=page: st.switch_page(p), title=page.title,
                               url_path=path, visibility="hidden"))
    return out


def _sync_filters() -> None:
    """Widget values → canonical Filters → query parameters (on every widget change)."""
    from impact.analysis import filters as flt
    from views._common import FILTERS, current_filters

    months = st.session_state.get("_months") or []
    old = current_filters()
    rng = st.session_state.get(st.session_state.get("_period_key", "w_period"))
    if isinstance(rng, (tuple, list)) and len(rng) == 2 and all(m in months for m in rng):
        p_from, p_to = sorted((str(rng[0]), str(rng[1])))
        if p_from == months[0] and p_to == months[-1]:
            p_from = p_to = None
    else:  # no slider (one month) or an unexpected value: never collapse the period
        p_from, p_to = old.period_from, old.period_to
    f = flt.Filters(
        period_from=p_from, period_to=p_to,
        departments=tuple(st.session_state.get("w_dept") or ()),
        expense_types=tuple(st.session_state.get("w_etype") or ()),
        supplier_classes=tuple(st.session_state.get("w_class") or ()),
        influenceable_only=bool(st.session_state.get("w_infl")),
    )
    st.session_state[FILTERS] = f
    _mirror(f)


def _mirror(f: flt.Filters) -> None:
    from impact.analysis import filters as flt

    for k in flt.FILTER_KEYS:
        if k in st.query_params:
            del st.query_params[k]
    st.query_params.update(f.to_query_params())


def _reset_filters() -> None:
    from impact.analysis import filters as flt
    from views._common import FILTERS

    for k in (st.session_state.get("_period_key", "w_period"), "w_dept", "w_etype", "w_class",
              "w_infl"):
        st.session_state.pop(k, None)
    st.session_state[FILTERS] = flt.Filters()
    _mirror(flt.Filters())


def sidebar_filters() -> None:
    from impact.analysis import filters as flt
    from views._common import FILTERS, current_filters, kept, workspace

    ws = workspace(show_error=False)  # the page shows a load error, once
    if ws is None:
        return
    # The same for every session on this dataset: found once (0.03 s a run on the demo).
    opts = kept(("filter options", ws.key), lambda: flt.options(ws.transactions))
    if FILTERS not in st.session_state:  # first run: a shared link sets the filters
        st.session_state[FILTERS] = flt.Filters.from_query_params(
            st.query_params.to_dict()).restricted_to({
                "departments": opts["departments"], "expense_types": opts["expense_types"],
                "supplier_classes": opts["supplier_classes"]})
    f = current_filters().restricted_to({
        "departments": opts["departments"], "expense_types": opts["expense_types"],
        "supplier_classes": opts["supplier_classes"]})
    st.session_state[FILTERS] = f
    months = opts["months"]
    st.session_state["_months"] = months
    sb = st.sidebar
    sb.markdown(f"**{ws.label}**")
    n_files = ws.quality.get("files_read")
    files = "files not counted" if n_files is None else (
        f"{n_files:,} file" + ("" if n_files == 1 else "s"))
    sb.caption(f"{len(ws.transactions):,} payments · {files}")
    sb.subheader("Filters")
    if len(months) > 1:
        lo = f.period_from if f.period_from in months else months[0]
        hi = f.period_to if f.period_to in months else months[-1]
        # One slider key per dataset: a stale browser value from another council's months
        # must never become this council's period.
        key = f"w_period_{ws.key[:10]}"
        st.session_state["_period_key"] = key
        cur = st.session_state.get(key)
        if cur is not None and not (isinstance(cur, (tuple, list)) and len(cur) == 2
                                    and all(m in months for m in cur)):
            del st.session_state[key]
        # ``value`` must be a pair so the slider is a range slider (and returns a pair).
        sb.select_slider("Months", options=months, value=(lo, hi), key=key,
                         on_change=_sync_filters)
    st.session_state.setdefault("w_dept", list(f.departments))
    sb.multiselect("Departments (directorate)", opts["departments"], key="w_dept",
                   on_change=_sync_filters, placeholder="All departments")
    st.session_state.setdefault("w_etype", list(f.expense_types))
    sb.multiselect("Expense types", opts["expense_types"], key="w_etype",
                   on_change=_sync_filters, placeholder="All expense types")
    st.session_state.setdefault("w_class", list(f.supplier_classes))
    sb.multiselect("Supplier types", opts["supplier_classes"], key="w_class",
                   on_change=_sync_filters, placeholder="All supplier types")
    st.session_state.setdefault("w_infl", f.influenceable_only)
    sb.toggle("Influenceable spend only (exclude public bodies)", key="w_infl",
              on_change=_sync_filters)
    sb.caption(f"Showing: {current_filters().describe()}")
    sb.button("Reset filters", on_click=_reset_filters)
    if not current_filters().is_default():
        _mirror(current_filters())


def opening(title: str):
    """The frame before the data: the page's title and what is being done, shown at once on
    a session's first run (the navigation is already drawn), so nobody looks at a blank page
    while a council's files are read; the page replaces it."""
    frame = st.empty()
    if not st.session_state.get(OPENED):
        with frame.container():
            st.title(title)
            what = settings().council or "the council's data"
            st.info(f"Opening {what}: reading the spend files and placing the suppliers. "
                    "The figures appear here in a moment.", icon="⏳")
    return frame


st.session_state[IN_FRAME] = True  # pages check it: they were reached through this frame
st.session_state.pop(RUN_KEY, None)  # the files are fingerprinted anew on every run
try:
    page = st.navigation(PAGES + _aliases(PAGES))
    frame = opening(page.title)
    from views._common import start_error

    sidebar_filters()
    start_error()
    st.session_state[OPENED] = True
    frame.empty()
    page.run()
    from views._common import prepare_in_background

    prepare_in_background()
finally:
    st.session_state[IN_FRAME] = False
    st.session_state.pop(RUN_KEY, None)
