"""Trends: local, placed and deprived-area share by quarter, against a target, with a RAG.

The quarters are :mod:`impact.analysis.compare`'s (the same measures, coverage gate and
ranges for every council and period), so a trend never re-derives a share.  The status of
a quarter against the council's local-share target is read from the *range*, not the point
estimate, because the unplaced spend could sit on either side of it:

* **green** — the lower bound (every unplaced £ elsewhere) meets the target: met whatever
  the unplaced spend turns out to be;
* **red** — the upper bound (every unplaced £ local) is below it: missed whatever;
* **amber** — the range straddles the target: the unplaced spend decides, so placing more
  suppliers is what would settle it.

Without a target set by the council the first quarter with enough coverage is the baseline
(:func:`baseline_target`), and the status says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.analysis import metrics
from impact.analysis.compare import CouncilInfo, council_rows

GREEN, AMBER, RED, NO_TARGET = "green", "amber", "red", "no target"
#: The rule in one line, for methods notes and captions.
RAG_RULE = ("Status from the range the unplaced spend allows: green = met even if every "
            "unplaced £ went elsewhere; red = missed even if every unplaced £ stayed local; "
            "amber = the unplaced spend decides.")
#: How a quarter's figures are worked out, for the pages' "how this was calculated".
TRENDS_HOW = (
    "Each quarter's local share, placed share and share to suppliers in the most deprived 20% "
    "of areas are worked out exactly as the headline figures, on that quarter's payments "
    "only. The band around the local share runs from 'no unplaced £ is local' to 'all "
    "unplaced £ is local'."
)
RAG_WORDS = {
    GREEN: "on target whatever the unplaced spend",
    AMBER: "the unplaced spend decides whether it meets the target",
    RED: "below target even if all unplaced spend were local",
    NO_TARGET: "no target set",
}
#: Okabe–Ito-adjacent RAG colours, each with a word beside it (never colour alone).
RAG_COLOURS = {GREEN: "#009E73", AMBER: "#E69F00", RED: "#C0392B", NO_TARGET: "#999999"}
COLUMNS = ("period", "period_start", "period_end", "months_covered", "total_spend",
           "placed_share", "local_share", "local_share_lower", "local_share_upper",
           "local_share_coverage", "deprived_share", "deprived_share_lower",
           "deprived_share_upper", "deprived_share_coverage")


@dataclass(frozen=True)
class Target:
    """The local-share target and where it came from (``source`` in words);
    ``set_by_council`` False for the baseline stand-in."""

    share: float | None
    source: str
    set_by_council: bool = False


def quarterly(tx: pd.DataFrame, lads: list[str], regions: list[str]) -> pd.DataFrame:
    """One row per calendar quarter with payments: local, placed and deprived-area share
    (point withheld below :data:`metrics.MIN_COVERAGE`, range always) and coverage."""
    if tx.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    rows = council_rows(tx, CouncilInfo("", "", tuple(lads), tuple(regions)), "quarter",
                        lm3_draws=0)
    t = pd.DataFrame(rows)
    t = t[~t["period"].isin(["undated", "no payments"])]
    return t.reindex(columns=list(COLUMNS)).reset_index(drop=True)


def baseline_target(trend: pd.DataFrame) -> Target:
    """The first quarter's local share with enough coverage, as a stand-in target."""
    known = trend.dropna(subset=["local_share"])
    if known.empty:
        return Target(None, "no target set, and no quarter has enough spend placed for a "
                            "baseline")
    first = known.iloc[0]
    return Target(float(first["local_share"]), f"{first['period']}'s level, as no target is set")


def target_for(trend: pd.DataFrame, share: float | None) -> Target:
    """The council's own target when set, else the baseline."""
    if share is not None and np.isfinite(share):
        return Target(float(share), "set by the council", set_by_council=True)
    return baseline_target(trend)


def rag(lower: float, upper: float, target: float | None) -> str:
    """The status of a share whose range is ``lower``–``upper`` against ``target``."""
    if target is None or not (np.isfinite(lower) and np.isfinite(upper)):
        return NO_TARGET
    if lower >= target:
        return GREEN
    if upper < target:
        return RED
    return AMBER


def latest_status(trend: pd.DataFrame, target: Target) -> tuple[str, str]:
    """``(status, sentence)`` for the latest quarter against the target."""
    if trend.empty:
        return NO_TARGET, "No dated payments: no trend."
    last = trend.iloc[-1]
    lo, up = float(last["local_share_lower"]), float(last["local_share_upper"])
    status = rag(lo, up, target.share)
    point = last["local_share"]
    value = (f"{metrics.pct(point)} (range {metrics.pct(lo)}–{metrics.pct(up)})"
             if pd.notna(point) else f"between {metrics.pct(lo)} and {metrics.pct(up)}")
    text = f"In {last['period']} the local share was {value}"
    if target.share is None:
        return status, text + "; no target is set."
    return status, (f"{text}: {status.upper()} against the {metrics.pct(target.share)} "
                    f"target ({target.source}) — {RAG_WORDS[status]}.")
