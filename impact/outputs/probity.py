"""Probity for people: the payment-check findings as tables to read and download, the
false-positive filters' counts, and the board pack's probity section (plain data, and
reportlab flowables in the pack's house style, :class:`impact.outputs.pdf.PdfDocument`).

The board pack is assembled elsewhere (:mod:`impact.outputs.boardpack`); this module gives
its section: counts and £ by check, confirmed against still to review, and what changed this
year in three sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from impact.analysis import verdicts as vd
from impact.analysis.changes import Changes
from impact.analysis.checks import CONFIDENCES, parameters
from impact.analysis.findings import CheckRun
from impact.analysis.measures import money
from impact.outputs import labels

#: The findings columns a person reads, in order (screens, CSV and XLSX downloads).
SHOWN = ("confidence", "check_title", "at_stake", "supplier", "department", "period", "what",
         "evidence", "confidence_rule", "n_rows", "row_refs", "verdict", "verdict_by",
         "verdict_at", "verdict_note", "finding_id")


def findings_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings (with verdicts, :func:`impact.analysis.verdicts.with_verdicts`, where set)
    as a person reads them: £ at stake, no internal row positions."""
    out = findings.rename(columns={"amount": "at_stake"})
    for c in SHOWN:
        if c not in out:
            out[c] = ""
    return out[list(SHOWN)].reset_index(drop=True)


def rules_table(rules: list) -> pd.DataFrame:
    """Each check in words: its rule, its parameters and their values, its false-positive
    filters and what each confidence level needs (the page and the README say the same)."""
    return pd.DataFrame([{
        "check": r.title, "rule": r.rule,
        "parameters": "; ".join(f"{labels.column(k)}: {_value(v)}"
                                for k, v in parameters(r).items()),
        "false_positive_filters": "; ".join(r.filters.values()),
        "confidence": "; ".join(f"{k}: {v}" for k, v in r.confidence.items()),
    } for r in rules])


def _value(v: object) -> str:
    if isinstance(v, tuple):
        return ", ".join(_value(x) for x in v)
    if isinstance(v, float) and v >= 1000:
        return f"£{v:,.0f}"
    return str(v)


def rows_behind(finding: pd.Series, transactions: pd.DataFrame, rejected: pd.DataFrame
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published lines behind a finding, as they were read (file, row, date, supplier,
    £, reference, coding, description), and the lines of the same supplier set aside at
    ingest as copies published in another file (their raw text)."""
    rows = finding["rows"]
    cols = [c for c in ("source_file", "source_row", "date", "supplier_name", "amount",
                        "transaction_id", "directorate", "service_area", "expense_type",
                        "description", "supplier_id", "company_number", "is_card")
            if c in transactions]
    lines = transactions.iloc[rows][cols].reset_index(drop=True)
    lines["date"] = pd.to_datetime(lines["date"], errors="coerce").dt.strftime("%-d %b %Y")
    lines = lines.rename(columns={"description": "payment_description"})
    if rejected is None or rejected.empty or "raw" not in rejected:
        return lines, rejected.iloc[0:0] if rejected is not None else pd.DataFrame()
    names = transactions.iloc[rows]["supplier_name"].dropna().astype(str).unique()
    mine = rejected["reason"].astype("string").str.startswith("duplicate").fillna(False)
    raw = rejected["raw"].astype("string").fillna("")
    hit = mine & raw.map(lambda text: any(text.startswith(n) for n in names)).astype(bool)
    return lines, rejected[hit.to_numpy()][["source_file", "source_row", "reason", "detail",
                                            "raw"]].reset_index(drop=True)


def filter_counts(run: CheckRun, quality: dict | None = None) -> pd.DataFrame:
    """For the duplicate and split checks: candidates, what each false-positive filter
    removed (in the order applied) and what was kept; for duplicates first the rows ingest set
    aside as one payment published in two files."""
    rows = []
    dup = run.results.get("duplicate")
    if dup is not None:
        q = (quality or {}).get("duplicates") or {}
        rows.append(("Possible duplicate payment", "set aside at ingest: one payment "
                     "published in two overlapping files (rows)", int(q.get("rows", 0))))
        rows.append(("Possible duplicate payment", "candidate pairs",
                     dup.stats.get("candidate_pairs", 0)))
        rule = next(r for r in run.rules if r.key == "duplicate")
        for key, n in dup.stats.get("removed_by_filter", {}).items():
            rows.append(("Possible duplicate payment", f"removed: {rule.filters[key]}", n))
        rows.append(("Possible duplicate payment", "pairs kept", dup.stats.get("pairs_kept", 0)))
    split = run.results.get("split")
    if split is not None:
        rows += _split_counts(split.stats)
    return pd.DataFrame(rows, columns=["check", "step", "count"])


def _split_counts(stats: dict) -> list[tuple[str, str, int]]:
    title = "Purchase split around a threshold"
    rows = [(title, "lines added up into one invoice's payment",
             stats.get("lines_merged_into_payments", 0)),
            (title, "lines left out: not orders (public bodies, people, transfers, metered "
             "bills)", stats.get("lines_not_purchases", 0))]
    said = {"published_twice": "lines left out: published twice (the first file's kept)",
            "reversed": "lines left out: reversed by a credit of the same amount",
            "instalments": "lines left out: instalments of a stated schedule"}
    rows += [(title, said.get(k, k), n) for k, n in stats.get("lines_removed", {}).items()]
    for limit, c in stats.get("by_threshold", {}).items():
        rows += [(title, f"£{limit}: payments under it", c.get("payments_under", 0)),
                 (title, f"£{limit}: removed as small parts", c.get("small_parts", 0)),
                 (title, f"£{limit}: windows over it", c.get("windows_over", 0)),
                 (title, f"£{limit}: removed as the supplier's usual rhythm",
                  c.get("usual_rhythm", 0)),
                 (title, f"£{limit}: removed as different purchases",
                  c.get("different_purchases", 0)),
                 (title, f"£{limit}: removed as the same amount paid again (a duplicate)",
                  c.get("same_amount", 0)),
                 (title, f"£{limit}: removed as showing no sign of splitting",
                  c.get("no_sign", 0)),
                 (title, f"£{limit}: findings", c.get("findings", 0))]
    return rows


# ----------------------------------------------------------------------------- board pack


@dataclass
class ProbitySection:
    """The board pack's probity section as plain data.

    ``by_check``: one row per check — findings, £ at stake, by confidence, and by verdict
    (confirmed, explained, to review) with their £; ``changes``: what changed this year in
    three sentences (empty without two years to compare); ``notes``: what a reader must know.
    """

    by_check: pd.DataFrame
    totals: dict
    changes: list[str] = field(default_factory=list)
    period_from: str = ""
    period_to: str = ""
    notes: list[str] = field(default_factory=list)


def board_section(run: CheckRun, history: pd.DataFrame, changes: Changes | None = None
                  ) -> ProbitySection:
    """The probity section from a run of the checks, the verdicts saved for the council and
    (when there are two years) what changed this year."""
    f = vd.with_verdicts(run.findings, history)
    rows = []
    for rule in run.rules:
        mine = f[f["check"] == rule.key]
        row = {"check": rule.title, "findings": len(mine), "at_stake": float(mine["amount"].sum())}
        row.update({c: int((mine["confidence"] == c).sum()) for c in CONFIDENCES})
        for v in vd.VERDICTS:
            hit = mine["verdict"] == v
            row[v] = int(hit.sum())
            row[f"{v} £"] = float(mine.loc[hit, "amount"].sum())
        rows.append(row)
    by_check = pd.DataFrame(rows)
    totals = {"findings": int(by_check["findings"].sum()) if len(by_check) else 0,
              "at_stake": float(by_check["at_stake"].sum()) if len(by_check) else 0.0,
              **{v: int(by_check[v].sum()) if len(by_check) else 0 for v in vd.VERDICTS},
              **{f"{v} £": float(by_check[f"{v} £"].sum()) if len(by_check) else 0.0
                 for v in vd.VERDICTS}}
    return ProbitySection(
        by_check=by_check, totals=totals,
        changes=changes.sentences() if changes is not None else [],
        period_from=changes.period_from if changes is not None else "",
        period_to=changes.period_to if changes is not None else "",
        notes=[*run.notes(), "A finding is a payment to look at, with what it rests on; "
               "a verdict is the officer's, recorded with who set it and when."],
    )


def section_flowables(doc: object, section: ProbitySection) -> list:
    """The section as reportlab flowables in the pack's style (``doc``: a
    :class:`impact.outputs.pdf.PdfDocument`)."""
    from reportlab.lib.units import cm

    t = section.totals
    story: list = [doc.p("Probity: payment checks", "h2"), doc.p(
        f"{t['findings']:,} findings, {money(t['at_stake'])} at stake: "
        f"{t[vd.CONFIRMED]:,} confirmed ({money(t[vd.CONFIRMED + ' £'])}), "
        f"{t[vd.EXPLAINED]:,} explained, {t[vd.TO_REVIEW]:,} still to review "
        f"({money(t[vd.TO_REVIEW + ' £'])}).")]
    rows = [["Check", "Findings", "£ at stake", "High", "Medium", "Low", "Confirmed",
             "To review"]]
    rows += [_row(d) for d in section.by_check.to_dict("records")]
    story.append(doc.table(rows, [5.2 * cm, 1.5 * cm, 2.0 * cm, 1.3 * cm, 1.5 * cm, 1.2 * cm,
                                  1.9 * cm, 1.9 * cm]))
    if section.changes:
        story.append(doc.p(f"What changed: {section.period_from} to {section.period_to}",
                           "h2"))
        story += [doc.p(s) for s in section.changes]
    story += [doc.p(n, "small") for n in section.notes]
    return story


def _row(d: dict) -> list[str]:
    return [str(d["check"]), f"{d['findings']:,}", money(d["at_stake"]), str(d[CONFIDENCES[0]]),
            str(d[CONFIDENCES[1]]), str(d[CONFIDENCES[2]]), str(d[vd.CONFIRMED]),
            str(d[vd.TO_REVIEW])]
