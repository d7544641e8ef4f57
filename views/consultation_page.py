"""Consultation mode: a presentation for a community session, run from a projector.

No sidebar and no filters on screen (a presenter strip leads back to the explorer); one big
number per step of the "where does our £1 go" story, a pound-flow chart, plain words about
how much of the £1 we can trace, the wards in the room on a big map, and vote counters large
enough to use from the front of a room.  Votes are saved by
:func:`impact.outputs.consultation.save_priorities` under the council's workspace folder.  The only
HTML is our own fixed CSS and our own whole numbers; names from files go through Streamlit
text elements.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from impact.analysis.filters import Filters
from impact.outputs import consultation as cons
from impact.outputs import maps
from impact.outputs.pdf import BOUNDARY_ATTRIBUTION
from views._common import (
    current_filters,
    legend,
    map_frame,
    md_escape,
    measures,
    page_payments,
    page_workspace,
)

#: The map as a projector shows it (the main column is up to 1800 px wide).
MAP_WIDTH, MAP_HEIGHT, LABEL_PX = 1600, 680, 18

# Fixed CSS only (no file-derived text): a presentation at 1920×1080, no sidebar.
st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
 [data-testid="stExpandSidebarButton"], [data-testid="stHeader"] {display: none !important}
[data-testid="stMainBlockContainer"] {padding-top: 1.5rem !important}
[data-testid="stMainBlockContainer"] {max-width: 1800px}
[data-testid="stMarkdownContainer"] p {font-size: 1.6rem; line-height: 1.45}
[data-testid="stPageLink"] p {font-size: 1.15rem !important; white-space: nowrap}
h1 {font-size: 3.2rem !important} h2 {font-size: 2.3rem !important}
.cons-steps {display: flex; align-items: center; gap: 1.2rem; flex-wrap: wrap;
 margin: 0.6rem 0 1rem}
.cons-step {text-align: center; min-width: 14rem}
.cons-step b {display: block; font-size: 6.5rem; line-height: 1; color: #08519c}
.cons-step span {font-size: 1.7rem; color: #333}
.cons-arrow {font-size: 4rem; color: #888}
[data-testid="map-legend"] {font-size: 1.4rem !important}
[data-testid="map-legend"] span span {width: 24px !important; height: 24px !important}
[data-testid="stNumberInput"] label p {font-size: 1.5rem !important; font-weight: 600}
[data-testid="stNumberInputContainer"] {height: 4.6rem !important}
[data-testid="stNumberInput"] input {font-size: 2.8rem !important; text-align: center}
[data-testid="stNumberInputStepDown"], [data-testid="stNumberInputStepUp"]
 {width: 4.6rem !important; height: 100% !important}
[data-testid="stNumberInputStepDown"] svg, [data-testid="stNumberInputStepUp"] svg
 {width: 2.4rem !important; height: 2.4rem !important}
</style>""")

ws = page_workspace()
tx = page_payments(ws)

strip, leave = st.columns([3, 1], vertical_alignment="center")
with strip:
    st.caption(f"Presenter: {md_escape(ws.label)} · {md_escape(current_filters().describe())}")
with leave:
    st.page_link("views/overview_page.py", label="Leave the presentation", icon="↩️")

st.title("Where does our £1 go?")


@st.cache_resource(show_spinner=False, max_entries=16)
def _deck(ws_key: str, chosen: tuple[str, ...], _ws) -> tuple[maps.Deck, maps.Legend]:
    """The room's map once per dataset and wards chosen, for every session (its polygons,
    labels and JSON cost ≈ 0.2–0.5 s a view).  Read, never changed."""
    w = _ws.wards[_ws.wards["name"].astype(str).isin(chosen)] if chosen else _ws.wards
    return maps.ward_deck(w, "imd_score", frame=map_frame(
        _ws, MAP_WIDTH, MAP_HEIGHT, label_px=LABEL_PX))


def _story() -> cons.PoundStory | None:
    """The story from the council's measures (the Overview's local share, the Re-spend
    page's multiplier); public bodies' share of all spend when the filters leave them out."""
    m = measures(ws, lm3=True)
    left_out = None
    if current_filters().influenceable_only:
        left_out = ws.measures(Filters(), lm3=False).public_bodies.inputs["share_of_spend"]
    return cons.pound_story(m, left_out)


def _steps(story: cons.PoundStory) -> None:
    """The big numbers, one per step, joined by arrows (our own whole numbers only)."""
    cells = [f'<div class="cons-step"><b>{big}</b><span>{words}</span></div>'
             for big, words in story.steps]
    st.html('<div class="cons-steps">' + '<div class="cons-arrow">→</div>'.join(cells)
            + "</div>")


def _flow(story: cons.PoundStory) -> None:
    """Where each 100p goes, step by step (blue stays, lighter blue is re-spent, orange
    leaves, grey not yet known)."""
    df = cons.flow_table(story)
    df = df[df["pence"] > 0].assign(end=lambda d: d.groupby("step", sort=False)["pence"].cumsum())
    df = df.assign(start=df["end"] - df["pence"], mid=df["end"] - df["pence"] / 2)
    parts = {"stays here": "#2166ac", "re-spent here": "#4393c3", "traced to here": "#2166ac",
             "leaves the area": "#e08214", "traced to elsewhere": "#e08214",
             "not yet known": "#bdbdbd"}
    shown = [p for p in parts if p in set(df["part"])]
    y = alt.Y("step:N", title=None, sort=None, scale=alt.Scale(paddingInner=0.3),
              axis=alt.Axis(labelFontSize=22, labelLimit=420))
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("start:Q", title="pence of each £1", scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(values=list(range(0, 101, 10)), grid=False)),
        x2="end:Q", y=y, tooltip=["step:N", "part:N", "pence:Q"],
        color=alt.Color("part:N", title=None, sort=shown,
                        scale=alt.Scale(domain=shown, range=[parts[p] for p in shown]),
                        legend=alt.Legend(orient="bottom", labelFontSize=22, symbolSize=400,
                                          labelLimit=400)))
    text = alt.Chart(df[df["pence"] >= 5]).mark_text(
        color="white", fontSize=28, fontWeight="bold").encode(
        x="mid:Q", y=y, text=alt.Text("pence:Q", format=".0f"))
    # A height per bar, not for the whole chart: Streamlit takes a fixed height for the
    # chart with its axis and legend, so one bar (too little placed for a second step, as
    # on real councils) was left a pixel once the 22 px legend was drawn.
    st.altair_chart((bars + text).properties(height=alt.Step(110))
                    .configure_axis(labelFontSize=18, titleFontSize=18), width="stretch")


story = _story()
if story is None:
    st.info("We cannot yet tell how much stays local: the council's area is not known.")
else:
    _steps(story)
    st.markdown(md_escape(story.sentence))
    st.markdown(f"*{md_escape(story.coverage_words)}*")
    _flow(story)

st.header("The areas in the room")
names = sorted(ws.wards["name"].astype(str)) if len(ws.wards) else []
with st.expander("Presenter: choose the wards in the room"):
    chosen = st.multiselect("Wards represented today", names, key="cons_wards",
                            placeholder="Choose the wards")
if len(ws.wards) and "imd_score" in ws.wards:
    deck, lg = _deck(ws.key, tuple(chosen), ws)
    st.pydeck_chart(deck, key="cons_map", width="stretch", height=MAP_HEIGHT)
    legend(lg)
    st.caption("Darker = more deprived (synthetic scores: the demo borough is not a real "
               "place)." if ws.is_demo else "Darker = more deprived (Indices of Deprivation "
               "2025, MHCLG, OGL v3.0). " + BOUNDARY_ATTRIBUTION)

st.header("What matters most to you?")
st.markdown("Count the hands (or sticky dots) for each priority.")
votes = {}
cols = st.columns(2, gap="large")
for i, opt in enumerate(cons.PRIORITY_OPTIONS):
    votes[opt] = int(cols[i % 2].number_input(opt, min_value=0, step=1, key=f"cons_v{i}"))
notes = st.text_area("Anything else we heard", key="cons_notes")
if st.button("Save this session", type="primary"):
    try:
        path = cons.save_priorities(ws.source.council, votes, chosen, notes)
    except (ValueError, OSError) as exc:
        st.error(f"Not saved: {exc}")
    else:
        st.success(f"Saved as {path.name} in the council's workspace folder.")
sessions = cons.load_sessions(ws.source.council)
if sessions:
    st.caption(f"{len(sessions)} session(s) saved for this council.")
