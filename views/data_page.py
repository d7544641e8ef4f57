"""Data: choose the dataset, watch it load, fix the column mapping, read the quality report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from impact.analysis.filters import Filters
from impact.analysis.measures import money
from impact.core.settings import demo_dir, settings
from impact.ingest.periods import RULE as REPORTING_RULE
from impact.ingest.schema import FIELD_LABELS, MAPPABLE_FIELDS
from impact.ingest.tables import SUPPORTED_SUFFIXES
from impact.ingest.transactions import summarise_reviews
from impact.outputs.labels import month
from impact.sources import (
    WorkspaceError,
    current_mapping,
    demo_source,
    folder_source,
    save_uploads,
    source_key,
    write_mapping,
)
from impact.workspace import Workspace
from views._common import (
    MISSING,
    SOURCE,
    blanks,
    clear_caches,
    current_source,
    demo_banner,
    download,
    filtered,
    keep_workspace,
    md_escape,
    money_col,
    table,
    workspace,
)

st.title("Data")

_BASIS_WORDS = {
    "net": "net of VAT",
    "unlabelled": "as published (not labelled net or gross)",
    "gross": "including VAT (no net column)",
    "saved mapping": "as the saved mapping says",
}


_BASIS_SHORT = {"net": "net of VAT", "unlabelled": "as published", "gross": "including VAT",
                "saved mapping": "as mapped"}


def _kept_for_the_council(ws: Workspace, key: str, label: str, button: str, add,
                          remember=None) -> None:
    """A form taking files the council keeps (premises lists, a vendor master): saved,
    read by ``add`` (the workspace's front door), and the page reloaded with them;
    ``remember`` keeps what was read (for the page to show once) under ``<key>_read``."""
    with st.form(f"{key}_form"):
        files = st.file_uploader(label, accept_multiple_files=True, key=f"{key}_files",
                                 type=sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES - {".zip"}))
        clicked = st.form_submit_button(button)
    if not (clicked and files):
        return
    folder = save_uploads([(f.name, f.getvalue()) for f in files], ws.source.council)
    try:
        new_ws, read = add([folder / Path(f.name).name for f in files])
    except WorkspaceError as exc:
        st.error(str(exc))
        return
    if remember is not None:
        st.session_state[f"{key}_read"] = remember(read)
    keep_workspace(ws, new_ws)
    st.rerun()


def _field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field).capitalize()


#: The per-file report's columns, in plain words.
_FILE_COLUMNS = {
    "file": "File", "rows_in": "Rows in", "rows_used": "Rows used",
    "rows_rejected": "Rows set aside", "total_amount": "£ used", "date_min": "First payment",
    "date_max": "Last payment", "threshold": "Threshold (£)", "amount_basis": "Amounts",
    "redacted_rows": "Redacted rows", "duplicate_rows": "Duplicates", "encoding": "Encoding",
    "layout": "Header", "error": "Could not be read because",
}


def _columns_to_check(quality: dict) -> list[dict]:
    """The column choices marked "needs review", one row per column and reason, in plain
    words, with how many files, rows and £ rest on each."""
    return [
        {"Field": _field_label(g["field"]), "Column used": g["column"],
         "Why it needs checking": g["why"], "Files": g["files"], "Rows": g["rows"],
         "£ that rests on it": g["amount"]}
        for g in summarise_reviews(quality.get("needs_review") or [])
    ]


def _evidence_by_field(quality: dict) -> dict[tuple[str, str], str]:
    """(field, column) → the evidence for that choice, from the first file that made it."""
    out: dict[tuple[str, str], str] = {}
    for f in quality.get("files") or []:
        for d in f.get("column_decisions") or []:
            out.setdefault((d["field"], d["column"]), d["evidence"])
    return out



def _outside_file(ws: Workspace) -> None:
    """The payments dated outside the months of the file they were published in: kept,
    counted in the file's month, and listed here so nobody has to take that on trust."""
    tx = ws.transactions
    out = tx[tx["dated_outside_file"].fillna(False).to_numpy(bool)]
    if out.empty:
        return
    by = out.groupby("source_file", observed=True).agg(
        payments=("amount", "size"), amount=("amount", "sum"), counted_in=("period", "first"),
        earliest=("date", "min"), latest=("date", "max")).reset_index()
    by["earliest"] = by["earliest"].dt.strftime("%d %b %Y")
    by["latest"] = by["latest"].dt.strftime("%d %b %Y")
    by["counted_in"] = by["counted_in"].map(month)
    with st.expander(f"{len(out):,} payments dated outside their file's months "
                     f"({money(float(out['amount'].sum()))}): counted in the file's month"):
        st.caption(md_escape(REPORTING_RULE))
        table(by.rename(columns={"source_file": "file", "counted_in": "counted in"}),
              money=("amount",))


def _default_reference() -> str:
    """The reference folder in force (``IMPACT_REFERENCE_DIR``), else the demo borough's."""
    return str(settings().reference_dir or demo_dir() / "reference")


def _load(source) -> bool:
    """Ingest and locate with visible progress; on success make it the current dataset."""
    with st.status(f"Loading {source.council}…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(msg: str, frac: float) -> None:
            bar.progress(min(max(frac, 0.0), 1.0), text=msg)

        try:
            Workspace.load(source, progress=progress)
        except WorkspaceError as exc:
            status.update(label=f"Could not load: {exc}", state="error")
            st.error(str(exc))
            return False
        except Exception as exc:  # one line, never a traceback
            status.update(label="Could not load", state="error")
            st.error(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            return False
        status.update(label=f"Loaded {source.council}", state="complete", expanded=False)
    st.session_state[SOURCE] = source
    st.session_state.pop("filters", None)
    for k in ("w_period", "w_dept", "w_etype", "w_class", "w_infl", "map_ward"):
        st.session_state.pop(k, None)
    return True


st.subheader("Choose the data")
SOURCES = ["Synthetic demo borough", "A folder on this computer", "Upload files"]
# The picker opens on the kind of source in use (the demo, a folder, or uploaded files).
_in_use = current_source()
st.session_state.setdefault("data_choice", SOURCES[
    0 if _in_use.is_demo else 2 if Path(_in_use.path).parent.name == "uploads" else 1])
choice = st.radio("Source", SOURCES, key="data_choice", horizontal=True)
if choice == "Synthetic demo borough":
    if st.button("Use the demo borough", key="use_demo") and _load(demo_source()):
        st.rerun()
elif choice == "A folder on this computer":
    with st.form("folder_form"):
        folder = st.text_input("Folder of spend files (or an ingested output folder)",
                               key="folder_path",
                               placeholder="e.g. ~/Downloads/spend-over-500")
        council = st.text_input("Council name (matched to a district in the lookup)",
                                key="folder_council",
                                placeholder="e.g. Anytown Borough Council")
        reference = st.text_input("Reference data folder", value=_default_reference(),
                                  key="folder_reference")
        register = st.text_input("Supplier register CSV (optional)", key="folder_register")
        lads = st.text_input("District (LAD) code(s), comma-separated (optional)",
                             key="folder_lads", placeholder="ONS codes, e.g. E0XXXXXXX")
        go = st.form_submit_button("Load this folder")
    if go:
        try:
            src = folder_source(
                folder.strip(), council=council.strip() or None,
                register=register.strip() or None, reference=reference.strip() or None,
                lad_codes=[c.strip() for c in lads.split(",") if c.strip()])
        except WorkspaceError as exc:
            st.error(str(exc))
        else:
            if _load(src):
                st.rerun()
else:
    with st.form("upload_form"):
        council = st.text_input("Council name", key="upload_council")
        spend = st.file_uploader("Spend files (CSV, XLSX, XLS, ODS, or a ZIP of them; many "
                                 "at once)", type=sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES),
                                 accept_multiple_files=True,
                                 key="upload_spend")
        reg = st.file_uploader("Supplier register (CSV, optional)", type=["csv"],
                               key="upload_register")
        reference = st.text_input("Reference data folder", value=_default_reference(),
                                  key="upload_reference")
        go = st.form_submit_button("Read these files")
    if go:
        if not spend or not council.strip():
            st.error("Give the council's name and at least one spend file.")
        else:
            folder = save_uploads([(f.name, f.getvalue()) for f in spend], council.strip(),
                                  (reg.name, reg.getvalue()) if reg else None)
            src = folder_source(folder, council=council.strip(),
                                register=folder / "supplier_register.csv" if reg else None,
                                reference=reference.strip() or None)
            if _load(src):
                st.rerun()

ws = workspace()
if ws is None:
    st.stop()
st.divider()
st.subheader(f"In use: {ws.label}")
demo_banner(ws)
q = ws.quality
whole = ws.measures(Filters(), lm3=False)  # the dataset as published, before any filter
a, b, c, d = st.columns(4)
a.metric("Rows in the files", f"{q.get('rows_in', 0):,}")
b.metric("Rows used", f"{q.get('rows_used', 0):,}")
c.metric("Rows set aside", f"{q.get('rows_rejected', 0):,}")
d.metric(whole.placed.label, whole.placed.text)
st.caption(md_escape(
    f"{q.get('files_read', 0)} of {q.get('files_total', 0)} files read · "
    f"{whole.period.text} · redacted rows: {q.get('redacted_rows', 0):,} "
    f"({money(q.get('redacted_amount', 0))}) · net total {money(q.get('total_amount', 0))}"))
if whole.period.missing:
    st.caption("Months with no payments published: " + ", ".join(
        month(m) for m in whole.period.missing) + ".")
_outside_file(ws)
with st.expander("How this was calculated"):
    st.markdown(
        "Every line after a file's header is either used or set aside with a reason, so "
        "rows in = rows used + rows set aside, per file and in total. "
        + md_escape(whole.placed.how) + " " + md_escape(REPORTING_RULE))
if q.get("rejected_by_reason"):
    st.markdown("**Rows set aside, by reason**")
    table(pd.DataFrame({"reason": list(q["rejected_by_reason"]),
                        "rows": list(q["rejected_by_reason"].values())}))
if q.get("files_failed"):
    st.markdown("**Files that could not be read**")
    table(pd.DataFrame(q["files_failed"]))
files = pd.DataFrame(q.get("files", []))
if len(files):
    files["file"] = files["path"].map(lambda p: Path(p).name)
    if "amount_basis" in files:
        files["amount_basis"] = files["amount_basis"].map(_BASIS_SHORT)
    if "threshold" in files:  # text, so a file without one shows a blank, not "None"
        files["threshold"] = files["threshold"].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    keep = [c for c in _FILE_COLUMNS if c in files]
    st.markdown("**Per file**")
    st.dataframe(blanks(files[keep]), hide_index=True, width="stretch", height=260,
                 placeholder=MISSING,
                 column_config={c: (st.column_config.NumberColumn(label, format="£%,.0f")
                                    if c.endswith("amount") else st.column_config.Column(label))
                                for c, label in _FILE_COLUMNS.items()})
for w in ws.warnings:
    st.warning(w)

st.subheader("Premises lists")
st.caption("Where suppliers trade: a business-rates (NNDR) ratepayer list, a CQC care "
           "directory, a Charity Commission extract — any layout. Each row is linked to the "
           "council's suppliers by company or charity number, then by name, then by the "
           "name-matching model where the evidence is strong, no other supplier comes "
           "close and the council's own record puts the supplier at the same postcode "
           "(“probable”: on names alone such links were wrong too often); individuals and "
           "placeholders (a blank ratepayer, “THE ACCOUNT HOLDER”) are never matched. A "
           "supplier with premises in the area counts as local when local means “based or "
           "branched” (the Overview's ways of counting local). Kept for the council.")
_kept_for_the_council(ws, "premises", "Premises lists (CSV, XLSX, XLS, ODS)",
                      "Link these lists", ws.add_premises)
if ws.premises_accounting:
    table(pd.DataFrame([
        {"List": a["source"], "Kind": a["kind"], "Rows in": a["rows"], "Linked": a["linked"],
         "Suppliers linked": a["suppliers"],
         "Of which by the name model (probable)": a.get("probable", 0),
         "Unlinked": a["unlinked"],
         "Set aside": sum(a["set_aside"].values()),
         "Why set aside": "; ".join(f"{n:,} {r}" for r, n in a["set_aside"].items())}
        for a in ws.premises_accounting]))
    st.caption("Rows in = linked + unlinked + set aside. "
               f"{ws.coverage.get('premises_placed_suppliers', 0):,} suppliers with no other "
               "place are placed at their premises (the one in the council's area with the "
               "largest rateable value, else the largest).")

st.subheader("Vendor master")
st.caption("The council's own supplier records, exported from its finance system (Oracle, "
           "SAP, Unit4/Agresso … any layout): supplier number, name, address, postcode, "
           "company or charity number, SME/VCSE flags. Suppliers are joined on the spend "
           "files' supplier number first (leading zeros ignored), then on the name, and placed "
           "at the address the council holds — before any registered office. A remittance "
           "(payment) address is used only when a supplier has no other. Kept for the council.")
_kept_for_the_council(ws, "vendors", "Vendor master (CSV, XLSX, XLS, ODS)",
                      "Place suppliers by it", ws.add_vendors,
                      lambda read: [m.accounting() for m in read])
for a in st.session_state.get("vendors_read", []):
    why = "; ".join(f"{n:,} {r}" for r, n in a["set_aside"].items())
    st.caption(f"{a['file']}: {a['rows']:,} rows in = {a['used']:,} used + "
               f"{sum(a['set_aside'].values()):,} set aside" + (f" ({why})" if why else ""))
_vendors = ws.vendor_masters()
if _vendors:
    table(pd.DataFrame([
        {"Vendor master": v["file"], "Rows kept": v["rows_kept"],
         "At the trading address": v["trading"], "At the remittance address": v["remittance"]}
        for v in _vendors]))
    st.caption(f"Suppliers placed by the council's own records: "
               f"{_vendors[0].get('placed_by_number', 0):,} on their supplier number, "
               f"{_vendors[0].get('placed_by_charity', 0):,} on their charity number, "
               f"{_vendors[0].get('placed_by_name', 0):,} on their name.")

st.subheader("Column mapping")
st.caption("Which column of the files feeds each field, and why it was chosen. Edit a column "
           "name and re-read the files to fix a wrong choice; the mapping is saved and reused.")
_reviews = _columns_to_check(q)
if _reviews:
    _n = len(_reviews)
    st.warning(f"{_n} column choice{'s need' if _n > 1 else ' needs'} a person to check: the "
               "files did not say clearly enough which column holds this. Please confirm or "
               "correct it in the table below.")
    st.dataframe(pd.DataFrame(_reviews), hide_index=True, placeholder=MISSING, width="stretch",
                 column_config={"£ that rests on it": money_col("£ that rests on it"),
                                "Rows": st.column_config.NumberColumn(format="%,.0f")})
_basis = q.get("amount_basis") or {}
if _basis:
    st.caption("Amounts used: " + "; ".join(
        f"{_BASIS_WORDS.get(k, k)} in {n} file{'s' if n > 1 else ''}" for k, n in _basis.items()))
mapping = current_mapping(q)
_why = _evidence_by_field(q)
edited = st.data_editor(
    pd.DataFrame({
        "Field": [_field_label(f) for f in mapping],
        "Column in the files": list(mapping.values()),
        "How it was recognised": [_why.get((f, h), "") for f, h in mapping.items()],
    }),
    key="mapping_editor", hide_index=True, width="stretch",
    disabled=["How it was recognised"], num_rows="dynamic",
    column_config={"Field": st.column_config.SelectboxColumn(
        options=[_field_label(f) for f in MAPPABLE_FIELDS], required=True)})
if st.button("Save mapping and re-read the files", key="remap",
             disabled=ws.source.kind == "ingested"):
    keys = {_field_label(f): f for f in MAPPABLE_FIELDS}
    cols = {keys.get(str(r["Field"]), str(r["Field"])): str(r["Column in the files"])
            for _, r in edited.iterrows()
            if pd.notna(r["Field"]) and pd.notna(r["Column in the files"])}
    try:
        src = write_mapping(current_source(), cols)
    except WorkspaceError as exc:
        st.error(str(exc))
    else:
        clear_caches()
        if _load(src):
            st.rerun()

st.subheader("Downloads")
tx = filtered(ws)
st.caption(f"The {len(tx):,} payments in the current filters, with each supplier's place. "
           "Cells that a spreadsheet would read as a formula are prefixed with '.")
export_cols = [c for c in tx.columns if c not in ("supplier_key",)]
download(tx[export_cols], f"payments-{source_key(ws.source)}", "dl-payments", "payments")
if len(ws.rejected):
    st.caption(f"{len(ws.rejected):,} rows set aside, with reasons:")
    download(ws.rejected, "rows-set-aside", "dl-rejected", "rows set aside")
