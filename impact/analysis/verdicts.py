"""The officer's verdict on each payment-check finding, kept for every later session.

A verdict is one of :data:`VERDICTS` — "to review" (the default of every finding), "explained"
(looked at: there is a reason, e.g. two vans bought on one day) or "confirmed" (a real problem
to act on) — with who set it, when, and a note.  Verdicts are appended, one line each, to the
council's file under the workspace folder (:func:`verdicts_path`, beside the supplier places
officers save), under a lock (:func:`impact.core.atomic.locked`), so the file is its own audit
trail: every change stays, the latest line for a finding is its verdict.  A finding is known by
its stable id (:func:`impact.analysis.checks.finding_id`: the check and the files and row
numbers behind it), so a verdict finds its finding again after a restart or a re-read of the
same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from impact.core.atomic import append_csv_lines, locked
from impact.core.paths import council_file

TO_REVIEW, EXPLAINED, CONFIRMED = "to review", "explained", "confirmed"
VERDICTS = (TO_REVIEW, EXPLAINED, CONFIRMED)
#: The verdict file's columns, one line per change.
COLUMNS = ("when", "who", "finding_id", "check", "supplier", "amount", "verdict", "note")
#: Columns :func:`with_verdicts` adds to a findings table.
ADDED = ("verdict", "verdict_by", "verdict_at", "verdict_note")


class VerdictError(ValueError):
    """A verdict that cannot be saved (one line for the officer)."""


@dataclass(frozen=True)
class Verdict:
    """One officer's verdict on one finding."""

    finding_id: str
    verdict: str
    who: str
    note: str = ""
    check: str = ""
    supplier: str = ""
    amount: float = 0.0


def verdicts_path(council: str) -> Path:
    """``<workspace>/<council slug>-payment-checks.csv``: the council's verdicts."""
    return council_file(council, "payment-checks.csv")


def save_verdict(council: str, v: Verdict) -> Path:
    """Append ``v`` to the council's verdict file (checked first; nothing is written when it
    is refused)."""
    if v.verdict not in VERDICTS:
        raise VerdictError(f"a verdict is one of {', '.join(VERDICTS)}, not {v.verdict!r}")
    if not v.finding_id.strip():
        raise VerdictError("no finding given")
    if not v.who.strip():
        raise VerdictError("say who sets the verdict")
    line = {"when": datetime.now().astimezone().isoformat(timespec="seconds"),
            "who": v.who.strip()[:80], "finding_id": v.finding_id, "check": v.check,
            "supplier": v.supplier, "amount": f"{v.amount:.2f}", "verdict": v.verdict,
            "note": v.note.strip()[:500]}
    path = verdicts_path(council)
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        append_csv_lines(path, COLUMNS, [line])
    return path


def read_history(council: str) -> pd.DataFrame:
    """Every verdict line saved for the council, oldest first (empty when none)."""
    path = verdicts_path(council)
    if not path.is_file():
        return pd.DataFrame(columns=list(COLUMNS))
    with locked(path):
        return pd.read_csv(path, dtype=str, keep_default_na=False)


def current(history: pd.DataFrame) -> pd.DataFrame:
    """The latest verdict of each finding (one row per ``finding_id``)."""
    if history.empty:
        return history
    return history.drop_duplicates("finding_id", keep="last").set_index("finding_id")


def with_verdicts(findings: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """``findings`` with each one's verdict, who set it, when and the note ("to review" and
    blanks where none was set)."""
    now = current(history)
    out = findings.copy()
    ids = out["finding_id"]

    def get(col: str) -> pd.Series:
        return ids.map(now[col]) if len(now) else pd.Series(pd.NA, index=ids.index)

    out["verdict"] = get("verdict").fillna(TO_REVIEW)
    out["verdict_by"] = get("who").fillna("")
    out["verdict_at"] = get("when").fillna("")
    out["verdict_note"] = get("note").fillna("")
    return out
