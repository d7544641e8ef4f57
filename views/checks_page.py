"""Payment checks: findings an auditor would act on, ranked by confidence and £, the rows
behind each as published, the officer's verdict (kept for every later session), and what
changed between two periods.

Thin view: the checks come from :mod:`impact.analysis.checks` (through
:meth:`impact.workspace.Workspace.payment_checks`), verdicts from
:mod:`impact.analysis.verdicts`, what changed from :mod:`impact.analysis.changes`.  Text from
files reaches the screen only through :func:`views._common.table` and escaped Markdown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from impact.analysis import verdicts as vd
from impact.analysis.changes import Changes, latest_pair, period_choices, signed
from impact.analysis.checks import CONFIDENCES
from impact.analysis.findings import ABOUT_A_SUPPLIER, CheckRun
from impact.analysis.measures import money
from impact.outputs import probity
from impact.workspace import Workspace
from views._common import (
    current_filters,
    download,
    filtered,
    md_escape,
    officer,
    officer_name,
    page_workspace,
    table,
)

#: £ and share columns of the checks' own tables (year end, digits, round sums, concentration).
MONEY = ("spend_that_month", "other_months_mean", "other_months_spread", "above_the_mean",
         "largest_supplier_spend", "service_spend_with_suppliers")
SHARES = ("round_share", "base_rate", "largest_supplier_share")
PICKED = "checks_finding"
SAVED = "_checks_saved"


@st.cache_resource(show_spinner="Checking every payment…", max_entries=4)
def _checks(ws_key: str, _ws: Workspace) -> CheckRun:
    return _ws.payment_checks()


@st.cache_resource(show_spinner="Working out what changed…", max_entries=16)
def _changes(ws_key: str, period_from: str, period_to: str, _ws: Workspace) -> Changes:
    return _ws.changes(period_from, period_to)


def _touching(findings: pd.DataFrame, ws: Workspace) -> pd.DataFrame:
    """The findings with a payment among those the sidebar filters select."""
    if current_filters().is_default():
        return findings
    chosen = np.zeros(len(ws.transactions), dtype=bool)
    chosen[ws.transactions.index.get_indexer(filtered(ws).index)] = True
    keep = [bool(chosen[r].any()) for r in findings["rows"]]
    return findings[keep]


def _headline(f: pd.DataFrame) -> None:
    """Counts by confidence and verdict; £ at stake of the payment checks (duplicates,
    splits, closed companies) — the patterns' £ is a scale, not a sum at stake."""
    cols = st.columns(4)
    by = f["confidence"].value_counts()
    cols[0].metric("Findings", f"{len(f):,}", help="Every check, every confidence")
    cols[0].caption(" · ".join(f"{by.get(c, 0):,} {c}" for c in CONFIDENCES))
    paid = f["check"].isin(ABOUT_A_SUPPLIER)
    cols[1].metric("£ at stake in payments", money(float(f.loc[paid, "amount"].sum())))
    cols[1].caption(f"{int(paid.sum()):,} findings on payments (duplicates, splits, closed "
                    f"companies); {int((~paid).sum()):,} on patterns")
    todo = f["verdict"] == vd.TO_REVIEW
    cols[2].metric("Still to review", f"{int(todo.sum()):,}")
    cols[2].caption(f"{money(float(f.loc[todo & paid, 'amount'].sum()))} at stake in "
                    "payments")
    done = f["verdict"] == vd.CONFIRMED
    cols[3].metric("Confirmed by officers", f"{int(done.sum()):,}")
    cols[3].caption(f"{int((f['verdict'] == vd.EXPLAINED).sum()):,} explained")


def _filtered(f: pd.DataFrame, run: CheckRun) -> pd.DataFrame:
    titles = {r.key: r.title for r in run.rules}
    c1, c2, c3 = st.columns([3, 2, 2])
    checks = c1.multiselect("Checks", list(titles), format_func=titles.get,
                            key="checks_which", placeholder="All checks")
    levels = c2.multiselect("Confidence", list(CONFIDENCES), default=["high", "medium"],
                            key="checks_confidence", placeholder="Any confidence")
    verdicts = c3.multiselect("Verdict", list(vd.VERDICTS), key="checks_verdict",
                              placeholder="Any verdict")
    search = st.text_input("Supplier or department contains", key="checks_search")
    keep = pd.Series(True, index=f.index)
    for col, chosen in (("check", checks), ("confidence", levels), ("verdict", verdicts)):
        if chosen:
            keep &= f[col].isin(chosen)
    if search.strip():
        text = f["supplier"].astype(str) + " " + f["department"].astype(str)
        keep &= text.str.contains(search.strip(), case=False, regex=False)
    return f[keep]


def _finding_label(r: pd.Series) -> str:
    return (f"{money(r['amount'])} · {r['confidence']} · {r['check_title']} · "
            f"{r['supplier']} · {r['period']}")


def _open(f: pd.DataFrame, ws: Workspace) -> None:
    """One finding: what it rests on, the rows behind it as published, and the verdict."""
    st.subheader("Open a finding")
    ids = f["finding_id"].head(500).tolist()
    by_id = f.set_index("finding_id")
    pick = st.selectbox("Finding (largest confidence and £ first)", ids, key=PICKED,
                        format_func=lambda i: _finding_label(by_id.loc[i]))
    r = by_id.loc[pick]
    st.markdown(f"**{md_escape(r['check_title'])}** — {md_escape(r['what'])}")
    st.markdown(f"*What it rests on:* {md_escape(r['evidence'])}")
    st.caption(f"Confidence {r['confidence']}: {r['confidence_rule']}. Verdict: "
               f"{r['verdict']}" + (f", set by {r['verdict_by']} on {r['verdict_at']}"
                                    if r["verdict_by"] else ""))
    lines, aside = probity.rows_behind(r, ws.transactions, ws.rejected)
    st.markdown(f"**The {len(lines):,} published lines behind it**, as they were read:")
    table(lines, money=("amount",), height=min(38 + 35 * len(lines), 400), key="checks_rows")
    if len(aside):
        st.markdown("**Lines of this supplier set aside at ingest** (one payment published in "
                    "two files), with their text as published:")
        table(aside, key="checks_aside")
    _verdict_form(r, pick, ws)


def _verdict_form(r: pd.Series, finding: str, ws: Workspace) -> None:
    """The verdict on one finding: saved with who and when, then the page shows it."""
    said = st.session_state.get(SAVED) or {}
    if said.get("finding") == finding:  # shown while this finding stays open
        st.success(said["text"])
    officer_name("recorded with the verdict")
    with st.form(f"checks_verdict_{finding}"):
        current = list(vd.VERDICTS).index(r["verdict"]) if r["verdict"] in vd.VERDICTS else 0
        verdict = st.radio("Verdict", list(vd.VERDICTS), index=current, horizontal=True,
                           key=f"checks_verdict_choice_{finding}")
        note = st.text_input("Note (why: explained by, confirmed how)", max_chars=500,
                             key=f"checks_note_{finding}")
        if st.form_submit_button("Save the verdict"):
            _save(ws, r, finding, verdict, note)


def _save(ws: Workspace, r: pd.Series, finding: str, verdict: str, note: str) -> None:
    who = officer()
    if not who:
        st.error("Type your name first: it is recorded with the verdict.")
        return
    try:
        vd.save_verdict(ws.source.council, vd.Verdict(
            finding, verdict, who, note, str(r["check"]), str(r["supplier"]),
            float(r["amount"])))
    except (vd.VerdictError, OSError) as exc:
        st.error(f"Not saved: {exc}")
        return
    st.session_state[SAVED] = {"finding": finding, "text": f"Saved: {verdict}, by "
                               f"{md_escape(who)}. It is kept for every later session."}
    st.rerun()


def _findings(ws: Workspace, run: CheckRun) -> None:
    f = _touching(vd.with_verdicts(run.findings, vd.read_history(ws.source.council)), ws)
    _headline(f)
    shown = _filtered(f, run)
    st.caption(f"{len(shown):,} of {len(f):,} findings, high confidence first, then the most "
               "£ at stake. Checks run over every payment in the council's files; the list "
               "keeps the findings touching the payments the sidebar selects.")
    if shown.empty:
        st.info("No findings match these choices.")
        return
    view = probity.findings_table(shown)
    table(view.drop(columns=["finding_id", "row_refs", "confidence_rule", "verdict_at"]),
          money=("at_stake",), height=420, key="checks_table")
    download(view, f"{ws.source.council}-payment-checks", "checks-dl",
             "findings")
    _open(shown, ws)


def _how(run: CheckRun, ws: Workspace) -> None:
    st.markdown("Each check is a small rule with its parameters stated and its false-positive "
                "filters built in; every finding says what it rests on.")
    table(probity.rules_table(run.rules), key="checks_rules",
          kept_as=("checks rules", ws.key))
    st.markdown("**Duplicates and splits: what each false-positive filter removed**")
    table(probity.filter_counts(run, ws.quality), key="checks_filters",
          kept_as=("checks filters", ws.key))
    for key, title in (("year_end", "Year-end spikes by department"),
                       ("digits", "First-two-digit test by department"),
                       ("round_sums", "Round sums by service, against the base rate"),
                       ("concentration", "Largest supplier's share by service")):
        res = run.results.get(key)
        if res is not None and res.table is not None and len(res.table):
            with st.expander(title):
                table(res.table, money=MONEY, percent=SHARES, key=f"checks_{key}",
                      kept_as=("checks", key, ws.key))
    for note in run.notes():
        st.info(note)


def _what_changed(ws: Workspace) -> None:
    st.markdown("Why published spend moved between two periods: first what changed in the "
                "files (not spending), then new suppliers, suppliers no longer paid and "
                "continuing suppliers. The parts add up to the change.")
    kind = st.radio("Compare", ["financial years", "quarters"], horizontal=True,
                    key="changes_kind")
    options = period_choices(ws.transactions, quarters=kind == "quarters")
    if len(options) < 2:
        st.info("Not enough data: the files cover fewer than two periods to compare.")
        return
    first, last = _default_pair(ws, options, kind == "quarters")
    c1, c2 = st.columns(2)
    a = c1.selectbox("From", options, index=options.index(first), key="changes_from")
    b = c2.selectbox("To", options, index=options.index(last), key="changes_to")
    if a == b:
        st.info("Choose two different periods.")
        return
    if kind == "quarters" and a.split(" ")[1] != b.split(" ")[1]:
        st.info(f"{a} and {b} are different quarters of the year: seasons differ, so a "
                "quarter is best compared with the same quarter a year before.")
    ch = _changes(ws.key, a, b, ws)
    for s in ch.sentences():
        st.markdown(md_escape(s))
    for c in ch.causes:  # each publication change with what it rests on, in full
        st.markdown(f"- **{md_escape(c.title)}** ({md_escape(signed(c.amount))}): "
                    f"{md_escape(c.detail)}")
    table(ch.table(), money=("change",), key="changes_parts")
    download(ch.table(), f"{ws.source.council}-what-changed", "changes-dl",
             "what changed")
    for note in ch.notes:
        st.caption(md_escape(note))
    _change_details(ch)


def _default_pair(ws: Workspace, options: list[str], quarters: bool) -> tuple[str, str]:
    """The last two financial years; or the latest quarter and the same quarter a year
    before (the earliest when the files do not reach back a year)."""
    if not quarters:
        pair = latest_pair(ws.transactions)
        return pair if pair else (options[0], options[-1])
    last = options[-1]
    year, q = last.split(" ")
    same = f"{int(year) - 1} {q}"
    return (same if same in options else options[0]), last


def _change_details(ch: Changes) -> None:
    money_cols = ("before", "after", "change", "publication", "new_suppliers",
                  "suppliers_no_longer_paid", "continuing_suppliers")
    rename = {"before": ch.period_from, "after": ch.period_to}
    with st.expander("By department"):
        table(ch.by_department.rename(columns={"group": "department"}).head(40),
              money=money_cols, key="changes_dept",
              config={k: st.column_config.NumberColumn(v, format="£%,.0f")
                      for k, v in rename.items()})
    with st.expander("By category (expense type)"):
        table(ch.by_category.rename(columns={"group": "category"}).head(40),
              money=money_cols, key="changes_cat")
    with st.expander("Suppliers whose £ moved most"):
        table(ch.movers.head(30), money=("before", "after", "change"), key="changes_movers")
    if ch.local is not None:
        with st.expander("Local share, step by step"):
            table(ch.local, percent=("local_share", "coverage", "lower", "upper", "effect"),
                  key="changes_local")
            st.caption("Each step is the local share of the payments it names; the steps' "
                       "differences add up to the change. Below half of spend placed a "
                       "step says 'not enough data'.")


st.title("Payment checks")
ws = page_workspace()
run = _checks(ws.key, ws)
tab_findings, tab_changes, tab_how = st.tabs(["Findings", "What changed", "How the checks work"])
with tab_findings:
    _findings(ws, run)
with tab_changes:
    _what_changed(ws)
with tab_how:
    _how(run, ws)
