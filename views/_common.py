"""Shared view helpers for the app's pages: the current workspace, filters and figure display.

Pages stay thin: they call these helpers and :mod:`impact`; nothing here computes a figure.
Every page may be run without the frame having set state (tests), so each getter
uses ``st.session_state.setdefault``.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import astuple
from typing import TypeVar
from urllib.parse import unquote

import pandas as pd
import streamlit as st
from packaging.version import Version

from impact.analysis import filters as flt
from impact.analysis import metrics, trends
from impact.analysis.measures import NOT_ENOUGH_DATA, Figure, Measures
from impact.core.cache import Memo
from impact.core.settings import SOURCE_DIR
from impact.outputs import labels, maps
from impact.outputs.exports import FORMATS, download_bytes
from impact.sources import Source, WorkspaceError, demo_source, source_key, start_source
from impact.workspace import Workspace
from views._session import IN_FRAME, RUN_KEY

SOURCE = "source"
FILTERS = "filters"
LOAD_ERROR = "_load_error"
T = TypeVar("T")
SHOWN = "_shown_workspace"  # the workspace this session's last page was drawn from

log = logging.getLogger(__name__)
#: Streamlit html-escapes values interpolated into pydeck ``tooltip["html"]`` from 1.67
#: (streamlit#15820, checked in 1.67's frontend bundle); before, :mod:`impact.outputs.maps` must.
STREAMLIT_ESCAPES_TOOLTIPS = Version(st.__version__) >= Version("1.67")


def require_frame() -> None:
    """Nothing to do since the views left ``pages/`` (kept: pages call it).

    A page run alone (``AppTest.from_file("views/x.py")``) has no frame; each getter
    below tolerates missing state with ``st.session_state.setdefault``.
    """


def current_source() -> Source:
    return st.session_state.setdefault(SOURCE, _start_source())


def _start_source() -> Source:
    """The dataset a new session opens on (:func:`impact.sources.start_source`); when the
    council folder set cannot be used, the demo, with the reason shown once."""
    try:
        return start_source()
    except WorkspaceError as exc:
        st.session_state[LOAD_ERROR] = f"{SOURCE_DIR}: {exc}; showing the demo instead"
        return demo_source()


@st.cache_resource(show_spinner="Reading the spend files and placing suppliers…", max_entries=4)
def _load(_source: Source, key: str, _ready: Workspace | None = None) -> Workspace:
    """One workspace per dataset; ``key`` (paths + mtimes) decides when it is stale.

    ``_ready`` is a workspace already brought up to date under ``key`` (see
    :func:`keep_workspace`): it is kept as it is, not loaded again.
    """
    return _ready if _ready is not None else Workspace.load(_source)


def keep_workspace(old: Workspace, new: Workspace) -> None:
    """After a resolution: keep ``new`` (patched in place of a reload) under its key and
    drop ``old``.  Figures are cached on the workspace key, so those of the new key are
    computed when a page asks and nothing else is invalidated; other councils' workspaces
    and figures stay cached."""
    st.session_state.pop(RUN_KEY, None)  # the files changed: fingerprinted anew
    _load(new.source, new.key, new)
    if old.key != new.key:
        _load.clear(old.source, old.key)


def clear_caches() -> None:
    """After a new column mapping (the spend files are read anew): drop cached workspaces
    and figures."""
    st.session_state.pop(RUN_KEY, None)
    _load.clear()
    _supplier_summary.clear()
    _spend_by_ward.clear()


def workspace(show_error: bool = True) -> Workspace | None:
    """The current dataset, or None (a one-line error is shown once per run).

    The frame calls it first with ``show_error=False`` (sidebar); the page's call then shows
    the error in the page, so a load error is never printed twice.
    """
    require_frame()
    source = current_source()
    error = None
    try:
        ws = _load(source, _run_key(source))
        st.session_state[SHOWN] = ws
        return ws
    except WorkspaceError as exc:
        error = f"Could not load {source.council}: {exc}"
    except Exception as exc:  # never a raw traceback for users
        error = (f"Could not load {source.council}: {type(exc).__name__}: "
                 f"{str(exc).splitlines()[0] if str(exc) else ''}")
    if show_error:
        st.error(error)
    return None


def _run_key(source: Source) -> str:
    """:func:`impact.sources.source_key` once per script run: the frame's sidebar and the
    page both ask for the workspace, and each fingerprint walks every spend and register
    file.  A run that writes a file reruns, and the next run fingerprints it anew."""
    held = st.session_state.get(RUN_KEY)
    if held is not None and held[0] is source:
        return held[1]
    k = source_key(source)
    if st.session_state.get(IN_FRAME):
        st.session_state[RUN_KEY] = (source, k)
    return k


def prepare_in_background() -> None:
    """Once a page is drawn, compute the heavy results the other pages read (the re-spend
    model, the areas, the payment checks: :func:`impact.reports.prepare_results`) in a
    background thread, once per dataset and process, so the next page a visitor opens finds
    them ready; they are kept on disk, so other servers read them too."""
    ws = st.session_state.get(SHOWN)
    if ws is not None:
        _preparing(ws.key, ws)


@st.cache_resource(show_spinner=False, max_entries=4)
def _preparing(ws_key: str, _ws: Workspace) -> threading.Thread:
    from impact.reports import prepare_results

    def run() -> None:
        try:
            prepare_results(_ws)
        except Exception:  # a page computes what is missing itself, and says why
            log.exception("preparing %s's results in the background failed", _ws.name)

    thread = threading.Thread(target=run, name=f"prepare-{ws_key}", daemon=True)
    thread.start()
    return thread


def start_error() -> None:
    """Show (once) why the start-up dataset could not be used."""
    msg = st.session_state.pop(LOAD_ERROR, None)
    if msg:
        st.warning(msg)


def current_filters() -> flt.Filters:
    return st.session_state.setdefault(FILTERS, flt.Filters())


def filtered(ws: Workspace) -> pd.DataFrame:
    return flt.apply(ws.transactions, current_filters())


def measures(ws: Workspace, lm3: bool = False) -> Measures:
    """The council's figures under the sidebar's filters (:meth:`Workspace.measures`: the
    same objects the board pack and the command line read, computed once per dataset and
    filters for every session); with the local multiplier when ``lm3``."""
    return ws.measures(current_filters(), lm3=lm3)


def reconciliations(ws: Workspace) -> list:
    """Published figures of the council beside ours under the same definition, under the
    sidebar's filters (:meth:`Workspace.reconciliations`)."""
    return ws.reconciliations(current_filters())


# The tables below are cached as resources, shared by every session and never copied: a
# ``cache_data`` copy was unpickled for each visitor (read them, never change them).


@st.cache_resource(show_spinner=False, max_entries=32)
def _supplier_summary(ws_key: str, filter_values: tuple, _tx: pd.DataFrame) -> pd.DataFrame:
    return metrics.supplier_summary(_tx)


@st.cache_resource(show_spinner=False, max_entries=64)
def _kept(parts: tuple, _build: Callable[[], object]) -> object:
    return _build()


def kept(parts: tuple, build: Callable[[], T]) -> T:
    """``build()`` once per ``parts`` for every session (what names it: the page's element,
    the dataset key, the filters and settings it depends on), e.g. a map whose polygons,
    labels and JSON cost ≈ 0.1–0.5 s a view.  The value is shared: read, never changed."""
    return _kept(parts, build)  # type: ignore[return-value]


def supplier_summary(ws: Workspace, tx: pd.DataFrame) -> pd.DataFrame:
    """:func:`impact.analysis.metrics.supplier_summary` of the filtered payments, cached on
    the dataset key and the filter values (0.4 s on a real council, one row per supplier)."""
    return _supplier_summary(ws.key, astuple(current_filters()), tx)


@st.cache_resource(show_spinner=False, max_entries=32)
def _spend_by_ward(ws_key: str, filter_values: tuple, _tx: pd.DataFrame, _wards
                   ) -> pd.DataFrame:
    return metrics.spend_by_ward(_tx, _wards)


def spend_by_ward(ws: Workspace, tx: pd.DataFrame) -> pd.DataFrame:
    """:func:`impact.analysis.metrics.spend_by_ward`, cached like :func:`supplier_summary`."""
    return _spend_by_ward(ws.key, astuple(current_filters()), tx, ws.wards)


@st.cache_resource(show_spinner=False, max_entries=32)
def _quarterly(ws_key: str, filter_values: tuple, _tx: pd.DataFrame, _ws: Workspace
               ) -> pd.DataFrame:
    return trends.quarterly(_tx, _ws.area)


def quarterly(ws: Workspace, tx: pd.DataFrame) -> pd.DataFrame:
    """:func:`impact.analysis.trends.quarterly`, cached like :func:`supplier_summary` (0.4 s
    on the demo: it was half of the Overview's time for each new visitor)."""
    return _quarterly(ws.key, astuple(current_filters()), tx, ws)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: object) -> str:
    """Text from a file made inert for ``st.markdown`` (no links, images or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def demo_banner(ws: Workspace) -> None:
    if ws.is_demo:
        st.warning("**Synthetic demo.** Everything shown is a synthetic borough generated by "
                   "this project; no real council, supplier or place is depicted.", icon="🧪")


def how(fig: Figure, expanded: bool = False) -> None:
    """The "How this was calculated" expander for one figure."""
    with st.expander("How this was calculated", expanded=expanded):
        st.markdown(md_escape(fig.how or fig.missing))
        if fig.coverage is not None:
            st.caption(md_escape(fig.rests_on) + ".")
        if fig.range_text:
            st.caption(f"Range: {fig.range_text}, from every unplaced £ going elsewhere to "
                       "every unplaced £ staying.")
        if fig.coverage is not None and not fig.enough:
            st.caption(f"Under half of the £ it rests on is known, so the figure is "
                       f"'{NOT_ENOUGH_DATA}'. {md_escape(fig.hint)}")
        for c in fig.caveats:
            st.caption(f"Caveat: {md_escape(c)}")
        if fig.inputs:
            st.dataframe(_inputs_table(fig), hide_index=True, width="stretch",
                         placeholder=MISSING)


#: Each figure's inputs as an Arrow table, held beside the figure itself (figures are
#: computed once per dataset and filters and shared by every session).
_INPUTS: Memo[int, tuple[Figure, object]] = Memo("figure inputs tables", max_entries=512)


def _inputs_table(fig: Figure) -> object:
    """A figure's inputs as a two-column table, converted once per figure: six of them
    under the Overview's tiles cost every new visitor ≈ 0.03–0.05 s."""
    from streamlit import dataframe_util

    def build() -> tuple[Figure, object]:
        return fig, dataframe_util.convert_pandas_df_to_arrow_table(pd.DataFrame({
            "Input": [friendly(k) for k in fig.inputs],
            "Value": [_input_text(v) for v in fig.inputs.values()]}))

    held = _INPUTS.once(id(fig), build)
    if held[0] is not fig:  # another figure at a freed figure's address
        held = _INPUTS[id(fig)] = build()
    return held[1]


def _input_text(value: object) -> str:
    """An input of a figure as people read it: amounts with separators, never "None"."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".replace("-", "\u2212")
    return str(value)


def metric(col, fig: Figure, note: str = "") -> None:
    """A figure as ``st.metric`` with what it rests on beside it and its expander below;
    ``note`` for a figure that rests on every payment (a total)."""
    with col:
        st.metric(fig.label, fig.text)
        st.caption(md_escape(coverage_caption(fig) or note or fig.missing))
        how(fig)


def coverage_caption(fig: Figure) -> str:
    """ "Based on the 99% of spend whose supplier we could place … · range 42%–43%", or
    below the gate "between 7% and 70% · based on the 38% of …"."""
    rests = fig.rests_on
    if not rests:
        return ""
    if fig.shown is None and fig.range_text:
        return f"{fig.detail[0].upper()}{fig.detail[1:]} · {rests[0].lower()}{rests[1:]}"
    if fig.shown is None and fig.detail:  # no range: what it rests on, then what would fill it
        return f"{rests}. {fig.detail}"
    return rests + (f" · {fig.detail}" if fig.detail else "")


def download(df: pd.DataFrame, name: str, key: str, what: str = "",
             sheets: dict[str, pd.DataFrame] | None = None) -> None:
    """CSV/XLSX/Parquet download buttons (text neutralised by :mod:`impact.outputs.exports`);
    ``what`` names the table on each button ("Download payments (CSV)"), so two tables'
    buttons on one page never read the same; ``sheets`` are further tables the XLSX
    workbook carries after the table's own sheet."""
    cols = st.columns(len(FORMATS))
    for c, (fmt, (_, mime, ext)) in zip(cols, FORMATS.items(), strict=True):
        with c:
            # Deferred: the bytes are built only when the button is clicked.
            label = f"Download {what} ({fmt})" if what else f"Download {fmt}"
            st.download_button(label, data=lambda f=fmt: _export(df, f, sheets, what or name),
                               file_name=f"{name}.{ext}", mime=mime, key=f"{key}-{ext}",
                               on_click="ignore")


def _export(df: pd.DataFrame, fmt: str, sheets: dict[str, pd.DataFrame] | None,
            title: str = "Table") -> bytes:
    """One download's bytes: the workbook (its first sheet named ``title``) with its further
    sheets, or the table alone — as the command line writes the same table
    (:func:`impact.outputs.exports.download_bytes`)."""
    return download_bytes(df, fmt, title, sheets)


def _swatch(colour: str, hatched: bool) -> str:
    fill = (f"repeating-linear-gradient(45deg,{maps.HATCH} 0 1.2px,{colour} 1.2px 4px)"
            if hatched else colour)
    return (f'<span style="display:inline-block;width:14px;height:14px;background:{fill};'
            f'border:1px solid #777;vertical-align:-2px;margin-right:5px"></span>')


def legend(lg: maps.Legend) -> None:
    """The map's legend: a swatch and a name for every class (hatched where the map is),
    then the note.  Labels are our own formatted numbers; the title may quote a file, so all
    is escaped."""
    items = "".join(
        f'<span style="display:inline-block;margin:0 12px 3px 0;white-space:nowrap">'
        f"{_swatch(c, label in lg.hatched)}{html.escape(label)}</span>" for c, label in lg.items)
    note = (f'<div style="color:#555;margin-top:2px">{html.escape(lg.note)}</div>'
            if lg.note else "")
    st.html(f'<div style="font-size:0.875rem;line-height:1.45" data-testid="map-legend">'
            f"<b>{html.escape(lg.title)}</b><br/>{items}{note}</div>")


def map_frame(ws: Workspace, width: int, height: int, selected: str | None = None,
              labels: bool = True, label_px: int = 13) -> maps.MapFrame:
    """The frame of every council map: neighbouring districts (kept per dataset,
    :meth:`impact.workspace.Workspace.neighbours`), area names, the selected area, and a
    view fitted to ``width`` × ``height`` pixels."""
    return maps.MapFrame(neighbours=ws.neighbours(), labels=labels, selected=selected,
                         width=width, height=height, label_px=label_px)


def basemap_note() -> None:
    """Under every interactive map: what shows when the street basemap cannot load."""
    st.caption(maps.BASEMAP_NOTE)


MONEY = st.column_config.NumberColumn(format="£%,.0f")


def money_col(name: str, signed: bool = False) -> st.column_config.NumberColumn:
    """A £ column: whole pounds with thousands separators.  ``signed`` (a column that can be
    negative: changes, net totals): the £ goes in the header, so a fall reads "-540" under
    "… (£)", never "£-540"."""
    if signed:
        return st.column_config.NumberColumn(f"{friendly(name)} (£)", format="%,.0f")
    return st.column_config.NumberColumn(friendly(name), format="£%,.0f")


#: Column headers and code words: one home, :mod:`impact.outputs.labels` (kept under these
#: names for the pages that import them from here).
HEADERS = labels.COLUMNS
METHOD_WORDS = labels.METHODS
CLASS_WORDS = labels.CLASSES
STATUS_WORDS = labels.STATUSES
in_words = labels.in_words
friendly = labels.column


def text_cols(df: pd.DataFrame, cols: list[str]) -> dict[str, st.column_config.Column]:
    """Friendly headers for ``cols`` (text columns), for ``column_config``."""
    return {c: st.column_config.Column(friendly(c)) for c in cols if c in df}


def _display(df: pd.DataFrame, money: tuple[str, ...], percent: tuple[str, ...]
             ) -> tuple[object, list[str], set[str]]:
    """A table's display frame (codes in words, % scaled, blanks), its columns and its
    money columns holding a negative value."""
    shown = blanks(as_percent(labels.in_words(df), list(percent)))
    signed = {c for c in money
              if c in shown and bool((pd.to_numeric(shown[c], errors="coerce") < 0).any())}
    return shown, list(shown.columns), signed


def _display_arrow(df: pd.DataFrame, money: tuple[str, ...], percent: tuple[str, ...]
                   ) -> tuple[object, list[str], set[str]]:
    """:func:`_display` as the Arrow table ``st.dataframe`` would make of it (the same
    conversion), so a table kept for every session is converted once."""
    from streamlit import dataframe_util

    shown, cols, signed = _display(df, money, percent)
    return dataframe_util.convert_pandas_df_to_arrow_table(shown), cols, signed


def table(df: pd.DataFrame, *, money: tuple[str, ...] = (), percent: tuple[str, ...] = (),
          decimals: dict[str, int] | None = None, height: int | str = "auto",
          config: dict | None = None, key: str | None = None,
          kept_as: tuple | None = None) -> None:
    """A frame as people read it: codes in words, every header in words, blanks for missing
    text, £ and % formatted (``percent`` columns hold shares 0–1), the index hidden.

    The one way a page shows a table, so no snake_case header, code or "None" reaches the
    screen.  ``config`` overrides the column settings made here.  ``kept_as`` names a table
    that is the same for every session (the page, the dataset key, the filters…: see
    :func:`kept`): its display frame is then made and converted once.
    """
    if kept_as is None:
        shown, columns, signed = _display(df, money, percent)
    else:
        shown, columns, signed = kept(("table", *kept_as),
                                      lambda: _display_arrow(df, money, percent))
    cfg: dict[str, object] = {c: st.column_config.Column(friendly(c)) for c in columns}
    for c in money:
        if c in columns:
            cfg[c] = money_col(c, signed=c in signed)
    for c in percent:
        if c in columns:
            cfg[c] = st.column_config.NumberColumn(friendly(c), format="%.1f%%")
    for c, n in (decimals or {}).items():
        if c in columns:
            cfg[c] = st.column_config.NumberColumn(friendly(c), format=f"%.{n}f")
    cfg.update(config or {})
    st.dataframe(shown, hide_index=True, width="stretch", height=height, column_config=cfg,
                 key=key, placeholder=MISSING)


#: What a table shows for a missing number (the grid's default is "None").
MISSING = "—"


def blanks(df: pd.DataFrame) -> pd.DataFrame:
    """Missing text as empty cells (the grid prints "None" for a missing string)."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or isinstance(out[c].dtype, (pd.StringDtype,
                                                               pd.CategoricalDtype)):
            out[c] = out[c].astype("string").fillna("")
    return out


def money_cols(*names: str) -> dict[str, st.column_config.NumberColumn]:
    return {n: money_col(n) for n in names}


SHARE = st.column_config.NumberColumn(format="%.1f%%")


def as_percent(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        if c in out:
            out[c] = 100 * pd.to_numeric(out[c], errors="coerce")
    return out


#: The session key and browser cookie of the officer's name (this browser only, a year).
WHO = "officer_name"
WHO_COOKIE = "impact_officer"


def officer_name(what: str) -> str:
    """The officer's name, asked for (``what``: what it is recorded with) and remembered by
    this browser (a cookie), never taken from the machine — the app may run under one
    account for everyone.  The same name serves every page that records who did what."""
    if WHO not in st.session_state:
        st.session_state[WHO] = _remembered()
    st.text_input(f"Your name ({what})", key=WHO, max_chars=80,
                  placeholder="e.g. Ada Lovelace, Economic Development")
    name = officer()
    if not name:
        st.caption("Type your name first: it is recorded with what you save.")
    elif name != _remembered():
        _remember(name)
    return name


def officer() -> str:
    """The name typed ("" until one is)."""
    return str(st.session_state.get(WHO) or "").strip()


def _remembered() -> str:
    """The name this browser remembered (the cookie sent when the page was opened)."""
    try:
        value = st.context.cookies.get(WHO_COOKIE)
    except (AttributeError, RuntimeError):  # no browser (a script run)
        return ""
    return unquote(value).strip()[:80] if isinstance(value, str) else ""


def _remember(name: str) -> None:
    """Ask the browser to remember ``name`` for the next visit (the value is JSON-encoded,
    "<" escaped, so no name can close the script)."""
    value = json.dumps(name).replace("<", "\\u003c")
    st.html(f"<script>document.cookie = '{WHO_COOKIE}=' + encodeURIComponent({value}) + "
            "'; path=/; max-age=31536000; SameSite=Strict';</script>",
            unsafe_allow_javascript=True)


def page_workspace() -> Workspace:
    """The dataset in use, with the demo banner; stops the page (error shown) when none loads."""
    ws = workspace()
    if ws is None:
        st.stop()
    demo_banner(ws)
    return ws


def page_payments(ws: Workspace) -> pd.DataFrame:
    """The payments selected by the sidebar filters; stops the page with a hint when none."""
    tx = filtered(ws)
    if tx.empty:
        st.info("No payments match the filters. Widen them in the sidebar.")
        st.stop()
    return tx
