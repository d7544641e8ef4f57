"""Consultation mode: a large-type view for a community session.

The "where does our £1 go" story (from the LM3 rounds), a map of the wards in the room,
and a simple tally of what participants prioritise, saved by
:func:`impact.consultation.save_priorities` under the council's workspace folder.  The
only HTML is our own fixed CSS; names from files go through Streamlit text elements.
"""

from __future__ import annotations

import streamlit as st

from impact.outputs import consultation as cons
from impact.outputs import maps
from views._common import legend, md_escape, page_payments, page_workspace

# Fixed CSS only (no file-derived text): large type for a projector at 1920×1080.
st.html("""<style>
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {font-size: 1.6rem;
 line-height: 1.45}
[data-testid="stMetricValue"] {font-size: 3.4rem}
[data-testid="stMetricLabel"] p {font-size: 1.3rem}
h1 {font-size: 3rem !important} h2 {font-size: 2.2rem !important}
</style>""")

st.title("Where does our £1 go?")
ws = page_workspace()
tx = page_payments(ws)


@st.cache_data(show_spinner="Following the money…", max_entries=16)
def _story(key: str, n: int, _ws, _tx) -> cons.PoundStory | None:
    from impact.analysis.multiplier import ModelSettings, run_model

    try:
        sub = _ws.suppliers[_ws.suppliers["supplier_key"].isin(_tx["supplier_key"])]
        res = run_model((_tx, sub, _ws.council_lads), ModelSettings(n_draws=100))
    except ValueError:
        return None
    return cons.pound_story(res)


story = _story(ws.key, len(tx), ws, tx)
if story is None:
    st.info("We cannot yet tell how much stays local: the council's area is not known.")
else:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Spent", "100p")
    c2.metric("Stays local", f"{story.local_p}p")
    c3.metric("Re-spent here", f"{story.respent_p}p")
    c4.metric("Leaks away", f"{story.leak_first_p + story.leak_second_p}p")
    st.markdown(md_escape(story.sentence))

st.header("The areas in the room")
names = sorted(ws.wards["name"].astype(str)) if len(ws.wards) else []
chosen = st.multiselect("Wards represented today", names, key="cons_wards",
                        placeholder="Choose the wards")
if len(ws.wards):
    w = ws.wards[ws.wards["name"].astype(str).isin(chosen)] if chosen else ws.wards
    if "imd_score" in w:
        deck, lg = maps.ward_deck(w, "imd_score")
        st.pydeck_chart(deck, key="cons_map", height=520)
        legend(lg)
        st.caption("Darker = more deprived (Indices of Deprivation 2025). Contains OS data "
                   "© Crown copyright and database right 2025; ONS, OGL v3.0.")

st.header("What matters most to you?")
st.caption("Count the hands (or sticky dots) for each priority, then save.")
votes = {}
cols = st.columns(2)
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
