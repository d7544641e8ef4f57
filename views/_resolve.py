"""The Suppliers page's work on unplaced suppliers: the coverage meter, one supplier at a
time, the finance team's template, suggested matches and who placed what.

Every save goes through :meth:`impact.workspace.Workspace.resolve`: checked, written to the
council's register with an audit line, and applied to the loaded workspace in place of a
reload (:func:`views._common.keep_workspace`), so the figures move at once.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from impact.analysis.measures import money, pct
from impact.outputs.exports import FORMATS, download_bytes
from impact.places import worklist
from impact.places.registers import RegisterError, RegisterRow
from impact.places.resolutions import APP_SOURCES, Author, read_audit
from impact.sources import resolutions_register
from impact.workspace import Workspace
from views._common import (
    METHOD_WORDS,
    MISSING,
    blanks,
    friendly,
    in_words,
    keep_workspace,
    md_escape,
    money_col,
    officer,
    officer_name,
    table,
    text_cols,
)

RESULT = "_resolve_result"
NO_NAME = "Type your name above first: it is recorded with every supplier you place."


def who() -> None:
    """The officer's name for the suppliers they place (:func:`views._common.officer_name`)."""
    officer_name("recorded with every supplier you place")


def save(ws: Workspace, rows: list[RegisterRow], how: str, where: str) -> bool:
    """Check, save and apply ``rows``; keep the updated workspace; stash the outcome for
    :func:`show_result` at ``where`` (shown after the rerun).  True when anything was saved."""
    if not officer():
        st.session_state[f"{RESULT}-{where}"] = {"saved": [], "refused": [NO_NAME]}
        return False
    try:
        done = ws.resolve(rows, Author(who=officer(), how=how))
    except (RegisterError, OSError) as exc:
        outcome = {"saved": [], "refused": [f"Not saved: {exc}"]}
    else:
        if done.checks.accepted:
            keep_workspace(ws, done.workspace)
        outcome = {
            "saved": [(c.row.supplier_name, c.place, c.flags)
                      for c in done.checks.accepted.values()],
            "refused": [f"{rows[i].supplier_name}: not saved: {r}"
                        for i, r in sorted(done.checks.refused.items())],
            "unchanged": [c.row.supplier_name for c in done.checks.unchanged.values()],
        }
    st.session_state[f"{RESULT}-{where}"] = outcome
    return bool(outcome["saved"])


def show_result(where: str) -> None:
    """What the last save at ``where`` did (once: after the rerun that shows the new
    figures, or at once when nothing was saved)."""
    outcome = st.session_state.pop(f"{RESULT}-{where}", None)
    if not outcome:
        return
    saved = outcome["saved"]
    if len(saved) == 1:
        name, place, flags = saved[0]
        st.success(f"Saved {md_escape(name)}: {md_escape(place)}. Figures updated.")
        for f in flags:
            st.info(md_escape(f))
    elif saved:
        st.success(f"Saved {len(saved):,} suppliers to the council's register. Figures updated.")
    for name in outcome.get("unchanged", [])[:20]:
        st.info(f"{md_escape(name)}: the register already holds this; nothing changed.")
    for line in outcome["refused"][:20]:
        st.error(md_escape(line))


def meter(ws: Workspace) -> worklist.Target:
    """How much influenceable spend is placed, and the fewest suppliers that reach 80 %."""
    t = worklist.coverage_target(ws.suppliers)
    if t.share_now is None:
        st.info("No influenceable spend to place.")
        return t
    st.progress(min(t.share_now / t.target, 1.0),
                text=f"{pct(t.share_now)} of influenceable spend is placed "
                     f"(target {pct(t.target)}; public bodies left out)")
    if t.met:
        st.caption(f"The {pct(t.target)} target is reached.")
    elif t.reachable:
        st.caption(f"Place these **{len(t.keys):,} suppliers** to reach "
                   f"{pct(t.target)} of influenceable spend (marked in the template).")
    else:
        st.caption(f"Placing every named supplier would reach "
                   f"{pct(t.share_if_all)}: the rest is redacted or unnamed, so "
                   f"{pct(t.target)} cannot be reached.")
    if t.keys:
        with st.expander(f"The {len(t.keys):,} suppliers, largest first"):
            sup = ws.suppliers.set_index("supplier_key").loc[list(t.keys)]
            needed = pd.DataFrame({"supplier": sup["supplier_name"].astype("string"),
                                   "spend": sup["spend"].astype(float)})
            st.dataframe(blanks(needed), hide_index=True, width="stretch", height=240,
                         placeholder=MISSING,
                         column_config={"spend": money_col("spend")})
    return t


def one_at_a_time(ws: Workspace, queue: pd.DataFrame) -> None:
    """The queue (largest £ first) and a form that places one supplier."""
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
        note = st.text_input("Note (optional)", key="resolve_note",
                             placeholder="e.g. depot address from the invoice")
        submitted = st.form_submit_button("Save to the supplier register")
    if submitted and key:
        sup = ws.suppliers.set_index("supplier_key").loc[key]
        row = RegisterRow(str(sup["supplier_name"]),
                          None if pd.isna(sup["supplier_id"]) else str(sup["supplier_id"]),
                          postcode or None, company or None, note or None)
        if save(ws, [row], APP_SOURCES["manual"], "one"):
            st.rerun()
    show_result("one")


def bulk(ws: Workspace, target: worklist.Target) -> None:
    """The template for the finance team, and a filled-in copy read back row by row."""
    tpl = worklist.template(ws.suppliers, target)
    apart = worklist.set_apart(ws.suppliers)
    left = [f"{n:,} {what} ({money(gbp)})" for what, (n, gbp) in (
        ("national bodies such as HMRC", apart["national"]),
        ("redacted payees", apart["redacted"])) if n]
    st.caption(f"{len(tpl):,} unplaced suppliers, largest £ first, with our suggested match "
               "where we have one. Fill in Postcode (or Company number) from the vendor "
               "master and import the file here; every row is checked. Evidence for the "
               "match: see Suggested matches, How this was calculated."
               + (f" Left out, since no local postcode can be given for them: "
                  f"{' and '.join(left)}." if left else ""))
    a, b = st.columns(2)
    for col, fmt, label in ((a, "CSV", "CSV"), (b, "Excel (XLSX)", "Excel")):
        _, mime, ext = FORMATS[fmt]
        # Deferred: the bytes are built only when the button is clicked (formula-safe).
        col.download_button(f"Download the template ({label})", mime=mime,
                            data=lambda f=fmt: download_bytes(tpl, f, "Suppliers to place"),
                            on_click="ignore",
                            file_name=f"suppliers-to-place.{ext}", key=f"tpl-{ext}")
    up = st.file_uploader("Filled-in template (CSV or Excel)", key="import_file",
                          type=["csv", "xlsx", "xls", "ods"])
    if up is not None and st.button("Import the filled-in template", key="import_go"):
        _import(ws, up.name, up.getvalue())
    report = st.session_state.get("_import_report")
    if report is not None:
        _show_report(report)


def _import(ws: Workspace, name: str, data: bytes) -> None:
    if not officer():
        st.error(NO_NAME)
        return
    try:
        tpl = worklist.read_template(data, name)
    except RegisterError as exc:
        st.error(f"Not imported: {exc}")
        return
    done = ws.resolve(tpl.rows, Author(who=officer(), how=f"imported from {name}"))
    if done.checks.accepted:
        keep_workspace(ws, done.workspace)
    st.session_state["_import_report"] = worklist.import_report(tpl, done.checks)
    st.rerun()


def _show_report(report: worklist.ImportReport) -> None:
    st.markdown(f"**Last import:** {report.sentence()}.")
    if len(report.applied):
        table(report.applied, height=200, config={"line": st.column_config.NumberColumn(
            "Line in the file", format="%d")})
    if len(report.rejected):
        st.markdown("**Rejected rows, with the reason**")
        table(report.rejected, height=200, config={"line": st.column_config.NumberColumn(
            "Line in the file", format="%d")})


def suggested(ws: Workspace) -> None:
    """Suggested matches (probable name links below the acceptance threshold), accepted in
    bulk: each becomes a register row with the match's postcode, checked like any other."""
    sug = worklist.suggestions(ws.suppliers)
    if sug.empty:
        st.info("No suggested matches for the unplaced suppliers.")
        return
    view = pd.DataFrame({
        "accept": False,
        "supplier": sug["supplier_name"].astype("string"),
        "spend": sug["spend"].astype(float),
        "suggested match": sug["suggested_name"].astype("string"),
        "suggested postcode": sug["suggested_postcode"].astype("string"),
        "evidence": worklist.evidence_of(sug),
    }, index=sug["supplier_key"].to_numpy())
    st.caption(f"{len(sug):,} unplaced suppliers have a probable match in a register. Tick "
               "the ones you recognise and accept them: each is saved like a typed postcode.")
    edited = st.data_editor(
        blanks(view), key="suggestions_editor", hide_index=True, width="stretch", height=300,
        disabled=[c for c in view.columns if c != "accept"],
        column_config={"accept": st.column_config.CheckboxColumn("accept"),
                       "spend": money_col("spend"),
                       "evidence": st.column_config.TextColumn("evidence for the match")})
    with st.expander("How this was calculated"):
        st.markdown(md_escape(worklist.EVIDENCE_HOW))
    ticked = edited.index[edited["accept"].fillna(False).astype(bool)]
    if st.button(f"Accept the {len(ticked):,} ticked suggestions", key="accept_suggestions",
                 disabled=len(ticked) == 0):
        rows = worklist.accepted_suggestions(sug.set_index("supplier_key").loc[ticked]
                                             .reset_index())
        if save(ws, rows, APP_SOURCES["suggestion"], "suggestions"):
            st.rerun()
    show_result("suggestions")


def audit(ws: Workspace) -> None:
    """Who placed which supplier, when, and what it replaced (newest first)."""
    register = resolutions_register(ws.source)
    trail = read_audit(register)
    if trail.empty:
        st.info("No supplier has been placed in the app for this council yet.")
        return
    shown = in_words(trail, {"previously_placed_by": METHOD_WORDS})
    when = pd.to_datetime(shown["when"], errors="coerce", utc=True)
    shown["when"] = when.dt.tz_convert(None).dt.strftime("%d %b %Y %H:%M").fillna(shown["when"])
    cols = ["when", "who", "how", "supplier_name", "postcode", "company_number", "placed_at",
            "previous_postcode", "previously_placed_by", "flags", "note"]
    st.dataframe(blanks(shown[cols]), hide_index=True, width="stretch", height=300,
                 placeholder=MISSING,
                 column_config={c: st.column_config.Column(friendly(c)) for c in cols})
    st.caption(f"Kept beside the council's register: {register.name} and "
               f"{register.stem}.audit.csv in the workspace folder.")
