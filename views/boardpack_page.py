"""Board pack: the supplier charter scorecard, and the board pack and market brief downloads.

Thin view: the scorecard and the pack's figures come from :mod:`impact.reports` (the
measures every page shows), the PDF/XLSX from :mod:`impact.outputs.boardpack`, the brief
from :mod:`impact.outputs.brief`.  File text (supplier names,
evidence) only reaches the screen through ``st.dataframe`` and escaped Markdown.
"""

from __future__ import annotations

import streamlit as st

from impact import reports
from impact.analysis import charter as ch
from impact.analysis import trends
from impact.analysis.measures import pct
from impact.outputs.exports import download_bytes
from views._common import (
    SHARE,
    as_percent,
    current_filters,
    md_escape,
    measures,
    money_cols,
    page_payments,
    page_workspace,
    table,
)

st.title("Board pack")
ws = page_workspace()
tx = page_payments(ws)
m = measures(ws)
st.caption(f"{md_escape(ws.label)} · {md_escape(m.period.text)} · "
           f"filters: {md_escape(m.filters)}")

upload = st.file_uploader("Supplier attributes CSV (optional)", type=["csv"],
                          help="One row per supplier; see the template below.")
try:
    card = reports.charter(ws, current_filters(), upload.getvalue() if upload else None)
except ch.AttributesError as exc:
    st.error(str(exc))
    st.stop()
st.download_button("Download the attributes template (CSV)",
                   download_bytes(ch.template(), "CSV"),
                   file_name="supplier_attributes_template.csv", mime="text/csv")
for n in card.notes:
    st.caption(n)

st.header("Supplier ethics charter")
cov = card.coverage
st.markdown(
    f"Evidence is held for **{cov['suppliers_with_attributes']:,}** of "
    f"**{cov['suppliers']:,}** suppliers, covering "
    f"**{pct(cov['share_spend_with_attributes'])}** of spend. "
    "*Unknown* means the council holds no evidence — it is not the same as *no*.")
for r in card.rollup.itertuples():
    st.markdown(f"- **{md_escape(r.charter_point)}**: {md_escape(r.sentence)}")
roll = as_percent(card.rollup, ["share_yes", "share_no", "share_unknown"])
with st.expander("Roll-up table"):
    st.dataframe(roll.drop(columns=["point", "sentence"]), hide_index=True, width="stretch",
                 column_config={"share_yes": SHARE, "share_no": SHARE, "share_unknown": SHARE,
                                **money_cols("spend_yes", "spend_no", "spend_unknown")})

tab1, tab2, tab3 = st.tabs(["Flags", "By department", "Suppliers"])
with tab1:
    if card.flags.empty:
        st.info("No flags.")
    else:
        st.dataframe(card.flags.drop(columns=["supplier_key"]), hide_index=True,
                     width="stretch", column_config=money_cols("spend"))
with tab2:
    point = st.selectbox("Charter point", list(ch.POINTS), format_func=ch.POINTS.get)
    d = card.by_department[card.by_department["point"] == point]
    st.dataframe(as_percent(d, ["share_yes", "share_no", "share_unknown"]).drop(
        columns=["point"]), hide_index=True, width="stretch",
        column_config={"share_yes": SHARE, "share_no": SHARE, "share_unknown": SHARE,
                       **money_cols("spend")})
with tab3:
    cols = ["supplier", "department", "spend", *[c for k in ch.POINTS
                                                 for c in (k, f"{k}_evidence")], "flags"]
    table(card.scores[cols], money=("spend",))
if len(card.rejected) or len(card.issues):
    with st.expander(f"Attribute rows not used ({len(card.rejected)}) and cells read as "
                     f"unknown ({len(card.issues)})"):
        table(card.rejected)
        table(card.issues)

st.header("Board pack and market brief")
st.caption("A4 PDF: page 1 an executive summary (the four headline figures with what they "
           "rest on, local share by quarter against the target, where the money goes, LM3, "
           "three findings and recommended actions), then maps, priority wards and the "
           "charter, and a technical appendix. An XLSX has the same figures.")
target = trends.load_target(ws.source.council)
st.caption(md_escape(f"Quarters are judged against {target.words}." if target.set else
                     "No local-share target is set: the pack says so and judges no quarter "
                     "against one. Set the council's target on the Overview."))
if st.button("Generate the board pack", type="primary"):
    from impact.outputs import boardpack, brief

    with st.spinner("Computing figures, drawing maps and writing the PDF…"):
        bar = st.progress(0.0, text="figures")
        data = reports.pack_data(ws, current_filters(),
                                 attributes=upload.getvalue() if upload else None)
        bar.progress(0.5, text="PDF")
        st.session_state["_bp_pdf"] = boardpack.pdf_bytes(data)
        bar.progress(0.75, text="XLSX")
        st.session_state["_bp_xlsx"] = boardpack.xlsx_bytes(data)
        b = reports.brief(ws, data)
        st.session_state["_bp_brief_md"] = b.markdown
        st.session_state["_bp_brief_pdf"] = brief.brief_pdf(b)
        st.session_state["_bp_names"] = {
            ext: boardpack.pack_filename(data.council, data.generated, kind, ext.split("-")[0])
            for ext, kind in (("pdf", "board-pack"), ("xlsx", "board-pack"),
                              ("pdf-brief", "market-brief"), ("md", "market-brief"))}
        bar.progress(1.0, text="done")
        st.session_state["_bp_for"] = (ws.key, current_filters(), target)
if "_bp_pdf" in st.session_state and st.session_state.get("_bp_for") == (
        ws.key, current_filters(), target):
    names = st.session_state["_bp_names"]
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("Board pack (PDF)", st.session_state["_bp_pdf"],
                       file_name=names["pdf"], mime="application/pdf")
    c2.download_button("Board pack (XLSX)", st.session_state["_bp_xlsx"],
                       file_name=names["xlsx"],
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    c3.download_button("Market brief (PDF)", st.session_state["_bp_brief_pdf"],
                       file_name=names["pdf-brief"], mime="application/pdf")
    c4.download_button("Market brief (Markdown)", st.session_state["_bp_brief_md"],
                       file_name=names["md"], mime="text/markdown")
    st.caption(f"Files: {md_escape(names['pdf'])} and the others named alike.")
