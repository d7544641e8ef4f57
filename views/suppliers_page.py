"""Suppliers: a searchable table, and the resolve queue that places unplaced suppliers."""

from __future__ import annotations

import streamlit as st

from impact.analysis import metrics
from impact.places.registers import RegisterError, save_resolution
from impact.sources import writable_register
from views._common import (
    SOURCE,
    as_percent,
    blanks,
    clear_caches,
    current_source,
    demo_banner,
    download,
    filtered,
    friendly,
    money_col,
    supplier_summary,
    text_cols,
    workspace,
)

st.title("Suppliers")
ws = workspace()
if ws is None:
    st.stop()
demo_banner(ws)
tx = filtered(ws)
summary = supplier_summary(ws, tx)
info = ws.suppliers[["supplier_key", "resolution_method", "geocode_status", "geocode_reason",
                     "supplier_id", "company_number"]]
table = summary.merge(info, on="supplier_key", how="left")

q = st.text_input("Search suppliers", key="sup_search", placeholder="name, postcode or ward")
shown = table
if q:
    hay = (table["supplier"].fillna("") + " " + table["postcode"].fillna("") + " "
           + table["ward"].fillna("") + " " + table["district"].fillna("")).str.lower()
    shown = table[hay.str.contains(q.strip().lower(), regex=False).to_numpy()]
st.caption(f"{len(shown):,} of {len(table):,} suppliers paid in the selected payments.")
cols = ["supplier", "class", "where", "postcode", "ward", "district", "imd_decile", "spend",
        "payments", "share", "resolution_method", "geocode_status"]
st.dataframe(blanks(as_percent(shown[cols], ["share"])), hide_index=True, width="stretch",
             height=380, column_config={
                 **text_cols(shown, cols), "spend": money_col("spend"),
                 "share": st.column_config.NumberColumn("share of £", format="%.1f%%"),
                 "imd_decile": st.column_config.NumberColumn(friendly("imd_decile"),
                                                             format="%d")})
download(shown[cols], "suppliers", "dl-suppliers")
with st.expander("How this was calculated"):
    st.markdown(
        "Suppliers are grouped by the council's vendor number (else by normalised name). "
        "Each is placed from the council's supplier register (vendor number, then name), "
        "then reference registers (company number, then name), then probable name matches "
        "(shown as 'fuzzy'). 'class' comes from transparent rules on the name and numbers "
        "(public body, VCSE, company, individual/redacted, unknown).")
    st.caption(metrics.REGISTERED_OFFICE_CAVEAT)

st.subheader("Resolve queue")
queue = table[(table["geocode_status"] != "located") & (table["class"] != "individual_redacted")]
queue = queue.sort_values("spend", ascending=False)
st.caption("Suppliers we could not place, largest spend first. Give a postcode (or a "
           "Companies House number) to place one: it is saved to the council's supplier "
           "register and every figure is recalculated.")
if queue.empty:
    st.success("Every named supplier in the selected payments is placed.")
else:
    qcols = ["supplier", "class", "spend", "payments", "geocode_reason"]
    st.dataframe(blanks(queue[qcols].head(50)), hide_index=True, width="stretch",
                 column_config={**text_cols(queue, qcols), "spend": money_col("spend")})
    keys = queue["supplier_key"].head(200).tolist()
    labels = dict(zip(queue["supplier_key"], queue["supplier"], strict=False))
    with st.form("resolve", clear_on_submit=True):
        key = st.selectbox("Supplier", keys, format_func=lambda k: str(labels.get(k, k)),
                           key="resolve_supplier")
        a, b = st.columns(2)
        postcode = a.text_input("Postcode", key="resolve_postcode", placeholder="e.g. AB1 2CD")
        company = b.text_input("or Companies House number", key="resolve_company")
        submitted = st.form_submit_button("Save to the supplier register")
    if submitted and key:
        row = queue[queue["supplier_key"] == key].iloc[0]
        source, register = writable_register(current_source())
        try:
            save_resolution(register, supplier_name=str(row["supplier"]),
                            postcode=postcode or None, company_number=company or None,
                            supplier_id=None if row.isna()["supplier_id"] else
                            str(row["supplier_id"]),
                            note="resolved in Impact Explorer")
        except (RegisterError, OSError) as exc:
            st.error(f"Not saved: {exc}")
        else:
            st.session_state[SOURCE] = source
            st.session_state["resolved_message"] = (
                f"Saved {row['supplier']} to {register.name}; figures recalculated.")
            clear_caches()
            st.rerun()
msg = st.session_state.pop("resolved_message", None)
if msg:
    st.success(msg)
