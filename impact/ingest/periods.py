"""Each payment's reporting month: the month of the file it was published in.

Councils publish spend month by month ("payments over £500, May 2024").  A row's own date
is often an invoice or transaction date, and a few rows in every council's files carry a
date weeks, months or years away from the file's month (late invoices, typed years, a
system's default date).  Taken at face value those rows stretch the council's period
("Oct 2012 to Dec 2022, 123 months" for files covering one financial year) and form
quarters of a handful of payments.  So each file gets a **span** of months, and a row
dated outside its file's span is reported in the span (its own date is kept and the row
is flagged ``dated_outside_file``), never in a month of its own.

A file's span, first rule that applies:

1. the month or months its name gives ("May-2024", "2024-Q1"), when at least half of its
   dated rows fall in them (a name that disagrees with the data gives way to the data);
2. one month, when at least :data:`SINGLE_MONTH_SHARE` of its dated rows fall in it (a
   monthly file with a few late invoices);
3. otherwise the first to the last of its *core* months: months holding at least
   :data:`CORE_MONTH_SHARE` of its dated rows and at least :data:`CORE_MONTH_ROWS` rows (a
   yearly file, or one export for several months).

A row outside its file's span is reported in the span's nearest month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A file with this share of its dated rows in one month is that month's file.
SINGLE_MONTH_SHARE = 0.8
#: A month is part of a multi-month file's span with this share of its dated rows …
CORE_MONTH_SHARE = 0.01
#: … and at least this many rows (so one stray row in a small file is not a month).
CORE_MONTH_ROWS = 3
#: How the rule reads on screen and in the quality report.
RULE = (
    "A payment is reported in the month of the file it was published in. A file's months "
    "come from its name when at least half its dated rows agree, else from its rows (one "
    f"month when {SINGLE_MONTH_SHARE:.0%} of them fall in it; else every month holding at "
    f"least {CORE_MONTH_SHARE:.0%} of them). A payment dated outside its file's months is "
    "kept, counted and reported in the file's nearest month, so a mistyped or very late "
    "date never stretches the period or makes a quarter of its own."
)


@dataclass(frozen=True)
class Span:
    """A file's months, as month numbers (year × 12 + month − 1), inclusive."""

    first: int
    last: int

    def clamp(self, months: np.ndarray) -> np.ndarray:
        return np.clip(months, self.first, self.last)


def month_number(labels: pd.Series) -> np.ndarray:
    """ "YYYY-MM" → year × 12 + month − 1 (−1 where missing or malformed)."""
    s = labels.astype("string")
    ok = s.str.fullmatch(r"\d{4}-\d{2}").fillna(False).to_numpy(bool)
    out = np.full(len(s), -1, dtype=np.int64)
    if ok.any():
        good = s[ok]
        out[ok] = good.str.slice(0, 4).astype(int).to_numpy() * 12 + (
            good.str.slice(5, 7).astype(int).to_numpy() - 1)
    return out


def month_label(number: int) -> str:
    """Inverse of :func:`month_number` for one month."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def file_span(months: np.ndarray, named: tuple[str, str] | None) -> Span | None:
    """The span of one file from its rows' months (−1 = undated) and its name's period."""
    dated = months[months >= 0]
    if not len(dated):
        return _named_span(named)
    span = _named_span(named)
    if span is not None and np.mean((dated >= span.first) & (dated <= span.last)) >= 0.5:
        return span
    values, counts = np.unique(dated, return_counts=True)
    if counts.max() >= SINGLE_MONTH_SHARE * len(dated):
        top = int(values[counts.argmax()])
        return Span(top, top)
    core = values[(counts >= CORE_MONTH_SHARE * len(dated)) & (counts >= CORE_MONTH_ROWS)]
    core = core if len(core) else values
    return Span(int(core.min()), int(core.max()))


def _named_span(named: tuple[str, str] | None) -> Span | None:
    if not named:
        return None
    first, last = month_number(pd.Series(list(named)))
    return Span(int(first), int(last)) if first >= 0 and last >= first else None


def reporting_months(period: pd.Series, file_no: np.ndarray,
                     named: list[tuple[str, str] | None]) -> tuple[pd.Series, np.ndarray]:
    """``(period, dated_outside_file)``: each row's month moved into its file's span where
    it falls outside it, and which rows were moved.

    ``period`` is each row's own "YYYY-MM" (NA when undated); ``file_no`` which file each
    row is from (an index into ``named``, each file's period from its name or None).
    """
    months = month_number(period)
    out = months.copy()
    for k in np.unique(file_no):
        rows = np.flatnonzero(file_no == k)
        span = file_span(months[rows], named[k])
        if span is None:
            continue
        mine = months[rows]
        out[rows] = np.where(mine >= 0, span.clamp(mine), mine)
    moved = (months >= 0) & (out != months)
    labels = period.astype("string").copy()
    labels[moved] = [month_label(int(m)) for m in out[moved]]
    return labels, moved
