"""Trends: local, placed and deprived-area share by quarter, against a target, with a RAG.

The quarters are :mod:`impact.analysis.compare`'s rows (the measures of each quarter's
payments), so a trend never re-derives a share.  A quarter is **judged** only under
:data:`impact.analysis.measures.JUDGED_RULE` (every month published and complete, enough
payments, enough placed); otherwise it is grey, "not enough data".  A judged quarter's
status against the council's local-share target is read from the *range*, not the point
estimate, because the unplaced spend could sit on either side of it:

* **green** — the lower bound (every unplaced £ elsewhere) meets the target: met whatever
  the unplaced spend turns out to be;
* **red** — the upper bound (every unplaced £ local) is below it: missed whatever;
* **amber** — the range straddles the target: the unplaced spend decides, so placing more
  suppliers is what would settle it.

A status needs a target **the council set**: without one every quarter says "no target
set", never a colour against a stand-in.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from impact.analysis.compare import CouncilInfo, council_rows
from impact.analysis.measures import JUDGED_RULE, CouncilArea, pct
from impact.core.atomic import atomic_write_text
from impact.core.paths import council_file

GREEN, AMBER, RED = "green", "amber", "red"
NO_TARGET, NOT_JUDGED = "no target", "not enough data"
#: The rule in one line, for methods notes and captions.
RAG_RULE = ("Status from the range the unplaced spend allows: green = met even if every "
            "unplaced £ went elsewhere; red = missed even if every unplaced £ stayed local; "
            "amber = the unplaced spend decides. " + JUDGED_RULE)
#: How a quarter's figures are worked out, for the pages' "how this was calculated".
TRENDS_HOW = (
    "Each quarter's local share, placed share and share to suppliers in the most deprived 20% "
    "of areas are worked out exactly as the headline figures, on that quarter's payments "
    "only (each payment in the month of the file it was published in). The band around the "
    "local share runs from 'no unplaced £ is local' to 'all unplaced £ is local'."
)
RAG_WORDS = {
    GREEN: "on target whatever the unplaced spend",
    AMBER: "the unplaced spend decides whether it meets the target",
    RED: "below target even if all unplaced spend were local",
    NO_TARGET: "no target set",
    NOT_JUDGED: "too few payments, months or placed spend to judge",
}
#: Okabe–Ito-adjacent RAG colours, each with a word beside it (never colour alone).
RAG_COLOURS = {GREEN: "#009E73", AMBER: "#E69F00", RED: "#C0392B", NO_TARGET: "#999999",
               NOT_JUDGED: "#BBBBBB"}
COLUMNS = ("period", "period_start", "period_end", "judged", "payments", "months_covered",
           "total_spend", "placed_share", "local_share", "local_share_lower",
           "local_share_upper", "local_share_coverage", "deprived_share",
           "deprived_share_lower", "deprived_share_upper", "deprived_share_coverage")


@dataclass(frozen=True)
class Target:
    """The council's local-share target (0–1) and who set it; ``share`` None: none set."""

    share: float | None
    source: str = "no target set"

    @property
    def set(self) -> bool:
        return self.share is not None

    @property
    def words(self) -> str:
        """ "the 30% target (set by the council)" / "no target set"."""
        return f"the {pct(self.share)} target ({self.source})" if self.set else self.source


def target_of(share: float | None, source: str = "set by the council") -> Target:
    """A target the council set (0–1), or none."""
    if share is None or not np.isfinite(share):
        return Target(None)
    return Target(float(min(max(share, 0.0), 1.0)), source)


def target_path(council: str) -> Path:
    return council_file(council, "target.json")


def load_target(council: str) -> Target:
    """The target the council saved (none when it has not, or the file cannot be read)."""
    try:
        raw = json.loads(target_path(council).read_text(encoding="utf-8"))
        share = float(raw["share"])
    except (OSError, ValueError, KeyError, TypeError):
        return Target(None)
    who = str(raw.get("set_by") or "").strip()
    when = str(raw.get("set_on") or "").strip()
    source = "set by the council" + (f", {who}" if who else "") + (f", {when}" if when else "")
    return target_of(share, source)


def save_target(council: str, share: float | None, set_by: str = "") -> Target:
    """Keep the council's target (0–1) for every later session, page and command; None
    removes it."""
    path = target_path(council)
    if share is None:
        path.unlink(missing_ok=True)
        return Target(None)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"share": float(share), "set_by": set_by,
                                        "set_on": dt.date.today().isoformat()}))
    return load_target(council)


def quarterly(tx: pd.DataFrame, area: CouncilArea) -> pd.DataFrame:
    """One row per calendar quarter with payments: its measures (point withheld below the
    gate, range always), coverage and whether it is judged."""
    if tx.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    info = CouncilInfo("", area.name, area.lads, area.region_codes, area.population,
                       lad_names=area.lad_names, region_names=area.region_names)
    t = pd.DataFrame(council_rows(tx, info, "quarter"))
    t = t[~t["period"].isin(["undated", "no payments"])]
    return t.reindex(columns=list(COLUMNS)).reset_index(drop=True)


def rag(lower: float, upper: float, target: Target, judged: bool = True) -> str:
    """The status of a quarter whose local share's range is ``lower``–``upper``."""
    if not judged or not (np.isfinite(lower) and np.isfinite(upper)):
        return NOT_JUDGED
    if not target.set:
        return NO_TARGET
    if lower >= target.share:
        return GREEN
    if upper < target.share:
        return RED
    return AMBER


def statuses(trend: pd.DataFrame, target: Target) -> pd.Series:
    """Each quarter's status (:func:`rag`)."""
    return pd.Series([rag(float(r.local_share_lower), float(r.local_share_upper), target,
                          bool(r.judged)) for r in trend.itertuples()], index=trend.index,
                     dtype="object")


def quarter_words(start: str) -> str:
    """ "Apr–Jun 2024" from the quarter's first month "2024-04"."""
    a = pd.Period(start, "M")
    return f"{a.strftime('%b')}–{(a + 2).strftime('%b %Y')}"


def latest_status(trend: pd.DataFrame, target: Target) -> tuple[str, str]:
    """``(status, sentence)`` for the latest judged quarter (else the latest) against the
    target."""
    if trend.empty:
        return NOT_JUDGED, "No dated payments: no trend."
    judged = trend[trend["judged"].astype(bool)]
    last = (judged if len(judged) else trend).iloc[-1]
    lo, up = float(last["local_share_lower"]), float(last["local_share_upper"])
    status = rag(lo, up, target, bool(last["judged"]))
    when = quarter_words(str(last["period_start"]))
    if status == NOT_JUDGED:
        return status, (f"No quarter can be judged yet ({RAG_WORDS[NOT_JUDGED]}); the latest, "
                        f"{when}, shows the local share between {pct(lo)} and {pct(up)}.")
    point = last["local_share"]
    text = f"In {when} the local share was {pct(point)} (range {pct(lo)}–{pct(up)})"
    if not target.set:
        return status, text + "; no target is set."
    return status, f"{text}: {status.upper()} against {target.words} — {RAG_WORDS[status]}."
