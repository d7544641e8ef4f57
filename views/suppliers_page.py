"""Suppliers: a searchable table, and the resolve queue that places unplaced suppliers."""

from __future__ import annotations

from dataclasses import astuple

import pandas as pd
import streamlit as st

from impact.analysis import metrics
from impact.places.worklist import placeable
from views._common import (
    CLASS_WORDS,
    METHOD_WORDS,
    STATUS_WORDS,
    current_filters,
    demo_banner,
    download,
    filtered,
    in_words,
    kept,
    supplier_summary,
    table,
    workspace,
)
from views._resolve import audit, bulk, meter, one_at_a_time, suggested, who

st.title("Suppliers")
ws = workspace()
if ws is None:
    st.stop()
demo_banner(ws)
tx = filtered(ws)
same = (ws.key, astuple(current_filters()))  # what the listing follows from


def _listing() -> pd.DataFrame:
    """Every supplier paid in the filters with its place and how it was placed, in words."""
    info = ws.suppliers[[c for c in ("supplier_key", "resolution_method", "geocode_status",
                                      "geocode_reason", "supplier_id", "company_number",
                                      "id_merge") if c in ws.suppliers]]
    return in_words(supplier_summary(ws, tx).merge(info, on="supplier_key", how="left"),
                    {"resolution_method": METHOD_WORDS, "geocode_status": STATUS_WORDS,
                     "class": CLASS_WORDS})


# Once per dataset (a placed supplier is a new dataset key) and filters, for every session.
listing = kept(("suppliers listing", *same), _listing)

q = st.text_input("Search suppliers", key="sup_search", placeholder="name, postcode or ward")
shown = listing
if q:
    hay = (listing["supplier"].fillna("") + " " + listing["postcode"].fillna("") + " "
           + listing["ward"].fillna("") + " " + listing["district"].fillna("")).str.lower()
    shown = listing[hay.str.contains(q.strip().lower(), regex=False).to_numpy()]
st.caption(f"{len(shown):,} of {len(listing):,} suppliers paid in the selected payments.")
cols = ["supplier", "class", "where", "postcode", "ward", "district", "imd_decile", "spend",
        "payments", "share", "resolution_method", "geocode_status"]
if "id_merge" in shown and shown["id_merge"].notna().any():  # the council printed IDs twice
    cols.append("id_merge")
table(shown[cols], money=("spend",), percent=("share",), decimals={"imd_decile": 0},
      height=380, kept_as=None if q else ("suppliers table", *same, tuple(cols)))
download(shown[cols], "suppliers", "dl-suppliers", "suppliers")
with st.expander("How this was calculated"):
    st.markdown(
        "Suppliers are grouped by the council's vendor number (else by normalised name); "
        "the vendor numbers of one payee are one supplier — the same number with and "
        "without leading zeros, or one name under several numbers — and the table says "
        "which were joined. "
        "Each is placed from the council's supplier register (vendor number, then name), "
        "then reference registers (company number, then name), then probable name matches. "
        "A place given by an officer (typed, imported from the template or a suggested "
        "match accepted) comes before all of them. The supplier type comes from transparent "
        "rules on the name and numbers (public body, VCSE, company, individual or redacted, "
        "not known).")
    st.caption(metrics.REGISTERED_OFFICE_CAVEAT)

st.subheader("Place the unplaced suppliers")
st.caption("Every local figure rests on which supplier is where. Give a postcode (or a "
           "Companies House number) for the suppliers we could not place: it is checked "
           "against the postcode directory, saved to the council's supplier register with "
           "your name, kept for every later session, and the figures update at once.")
target = meter(ws)
who()
queue = listing[listing["supplier_key"].isin(ws.suppliers.loc[placeable(ws.suppliers),
                                                          "supplier_key"])]
queue = queue.sort_values("spend", ascending=False)
one, many, sug, trail = st.tabs(["One at a time", "Template for the finance team",
                                 "Suggested matches", "Who placed what"])
with one:
    if queue.empty:
        st.success("Every named supplier in the selected payments is placed.")
    else:
        one_at_a_time(ws, queue)
with many:
    bulk(ws, target)
with sug:
    suggested(ws)
with trail:
    audit(ws)
