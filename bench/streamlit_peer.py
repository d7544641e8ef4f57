"""The first-frame peer for ``bench_browser``: a bare Streamlit app drawing what the
app's frame draws (page config, a navigation of eleven pages, a title and a progress
message) and nothing else.  Its time to first frame is Streamlit's own floor on the same
machine, in the same run."""

import streamlit as st

st.set_page_config(page_title="Peer", page_icon="🗺️", layout="wide")
ICONS = ["📊", "🗺️", "📅", "🏢", "⚖️", "📁", "🔁", "🧪", "🧭", "📑", "🗣️"]
page = st.navigation([
    st.Page(lambda: None, title=f"Page {i + 1}", icon=icon, url_path=f"p{i}" if i else "",
            default=i == 0)
    for i, icon in enumerate(ICONS)])
st.title(page.title)
st.info("Opening: reading the spend files and placing the suppliers.", icon="⏳")
