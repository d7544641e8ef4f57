"""Our local share beside a published one, and what the gap between them rests on.

A council that knows CLES found 69 % of its top suppliers' spend "Manchester-based" will not
trust a tool that says 16 % unless the difference is explained.  For each published figure
of a council (:func:`published_for`, from the hand-compiled table of published figures),
:func:`reconcile` puts our figure under the same definition beside it — based or branched
in the area, among the top 300 suppliers when the study counted those — and walks from our
headline to the published value in named steps, each with its percentage points and £:

1. **definition**: counting any premises in the area (based or branched), not only the main
   address;
2. **top-300 restriction**: only the suppliers paid most, as CLES counts;
3. **unplaced spend**: what the suppliers we could not place could make our figure (the
   published value clamped into our range);
4. **years and what the study knew**: what is left — other years, branches the study's
   own survey found that no premises list here holds.

The steps add up: headline + the four = the published value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from impact.analysis.measures import TOP_SUPPLIERS, Figure, Measures, money, pct
from impact.ingest.names import normalise_names

#: Column headers of the reconciliation's steps (Overview, command line).
STEP_COLUMNS = ("Step", "Points", "£", "Why")
_TOP = re.compile(r"top\s+(\d+)\s+suppliers", re.I)
_TOP_SPEND = re.compile(r"top(?:[- ]\d+)?[- ]suppliers?'? spend GBP\s?([\d.,]+)", re.I)


@dataclass(frozen=True)
class Published:
    """One published local-spend figure of a council (a row of the published table).

    ``top``: the number of top suppliers the study counted (None: all spend);
    ``top_assumed``: the study says "top suppliers" without a number (300 assumed, as in
    CLES's Manchester studies); ``top_spend``: the £ of those suppliers as published.
    """

    study: str
    place: str
    period: str
    metric: str
    value: float
    source_url: str
    top: int | None = None
    top_assumed: bool = False
    top_spend: float | None = None

    @property
    def words(self) -> str:
        return f"{self.study}, {self.period}: {self.metric} {pct(self.value, 1)}"


def published_for(table: pd.DataFrame, places: tuple[str, ...]) -> list[Published]:
    """The published "based in" / "based or branched" shares of the places named
    ``places`` (the council's name and its districts' names, matched normalised)."""
    if table is None or table.empty:
        return []
    wanted = set(normalise_names(pd.Series(list(places), dtype="string")).dropna())
    norm = normalise_names(table["place"].astype("string"))
    metric = table["metric"].astype("string").str.lower()
    pick = (norm.isin(wanted) & metric.str.contains("based", regex=False)
            & ~metric.str.contains("sme", regex=False)
            & table["unit"].astype("string").eq("proportion")).fillna(False)
    return [_published(r) for r in table[pick].itertuples()]


def _published(r: object) -> Published:
    metric, note = str(r.metric), str(getattr(r, "note", "") or "")
    n = _TOP.search(metric)
    assumed = n is None and "top suppliers" in metric.lower()
    spend = _TOP_SPEND.search(note)
    return Published(
        str(r.study), str(r.place), str(r.period), metric, float(r.value),
        str(r.source_url), int(n.group(1)) if n else (TOP_SUPPLIERS if assumed else None),
        assumed, float(spend.group(1).replace(",", "")) if spend else None)


def points(share: float | None) -> str:
    """A change in a share as signed percentage points ("+35.8 pts", "−0.4 pts")."""
    if share is None:
        return "—"
    return f"{'+' if share >= 0 else chr(0x2212)}{abs(100 * share):.1f} pts"


@dataclass(frozen=True)
class Cause:
    """One named step from our headline to the published value: its points and £."""

    name: str
    points: float | None
    gbp: float | None
    words: str


@dataclass(frozen=True)
class Reconciliation:
    """A published figure, ours under the same definition, and the steps between."""

    published: Published
    ours: Figure
    headline: Figure
    causes: tuple[Cause, ...]
    period: str

    @property
    def gap(self) -> float | None:
        if self.ours.value is None:
            return None
        return self.published.value - self.ours.value

    def steps(self) -> list[tuple[str, str, str, str]]:
        """(step, percentage points, £, why) from our headline to the published value,
        with both ends: what every surface shows of the reconciliation.  Below the gate
        (:data:`impact.analysis.measures.MIN_COVERAGE`) no point estimate is stated: the
        steps give their £ and the range only."""
        head = self.headline
        stated = head.shown is not None and self.ours.shown is not None
        rows = [("Our headline: main address, all spend",
                 head.text if stated else head.summary, "",
                 "the local share as every page shows it")]
        for c in self.causes:
            rows.append((c.name, points(c.points) if stated else "—", money(c.gbp), c.words))
        if not stated:
            rows.append(("Points withheld", "—", "", "Our figures rest on too little placed "
                         "spend to state: the £ and our range say where the gap lies."))
        p = self.published
        rows.append(("Published", pct(p.value, 1), "", f"{p.study}, {p.period}: {p.metric}"))
        return rows

    @property
    def summary(self) -> str:
        """One line: theirs, ours under their definition, the gap."""
        p = self.published
        return (f"{p.study}, {p.period}: {pct(p.value, 1)} · ours under the same "
                f"definition, {self.period}: {self.ours.summary}")


def reconcile(m: Measures, published: Published) -> Reconciliation | None:
    """Our figure under ``published``'s definition beside it, and the steps (see the
    module docstring); None when the measures have no ways of counting local."""
    ways = {f.key: f for f in m.ways}
    if "local_branched" not in ways:
        return None
    head, branched = m.local, ways["local_branched"]
    ours = ways["local_top300"] if published.top else branched
    if head.value is None or ours.value is None or branched.value is None:
        return Reconciliation(published, ours, head, (), m.period.text)
    causes = [_definition(head, branched)]
    if published.top:
        causes.append(_restriction(branched, ours, published))
    causes += _unexplained(ours, published, m.period.text)
    return Reconciliation(published, ours, head, tuple(causes), m.period.text)


def _gbp(fig: Figure, key: str) -> float:
    return float(fig.inputs.get(key, 0.0))


def _definition(head: Figure, branched: Figure) -> Cause:
    """Counting any premises in the area, not only the main address."""
    gbp = _gbp(branched, "spend_inside") - _gbp(head, "spend_inside")
    return Cause("Definition: based or branched, not only the main address",
                 branched.value - head.value, gbp,
                 f"{money(gbp)} is paid to suppliers with premises in the area whose main "
                 "address (often a registered office) is elsewhere.")


def _restriction(branched: Figure, top: Figure, published: Published) -> Cause:
    """Only the suppliers paid most, as the study counted."""
    left_out = _gbp(branched, "spend_total") - _gbp(top, "spend_total")
    n = published.top
    said = " (the study says “top suppliers”; 300 assumed)" if published.top_assumed else ""
    return Cause(f"Top {n} suppliers only", top.value - branched.value, left_out,
                 f"{money(left_out)} paid to suppliers outside the top {n} is left out{said}.")


def _unexplained(ours: Figure, published: Published, period: str) -> list[Cause]:
    """What our unplaced £ could explain, and what is left (years, the study's knowledge)."""
    lower = ours.lower if ours.lower is not None else ours.value
    upper = ours.upper if ours.upper is not None else ours.value
    reach = min(max(published.value, lower), upper)
    unknown = ours.coverage.unknown if ours.coverage else 0.0
    total = _gbp(ours, "spend_total")
    rest = published.value - reach
    theirs = (f"; the study counted {money(published.top_spend)} with its top suppliers, we "
              f"count {money(total)}") if published.top_spend else ""
    return [
        Cause("Unplaced spend", reach - ours.value, unknown,
              f"{money(unknown)} of the spend counted is with suppliers we could not place: "
              "our figure "
              f"could be anywhere from {pct(lower)} to {pct(upper)}."),
        Cause("Years, and what the study knew", rest, abs(rest) * total,
              f"The study is of {published.period}, ours of {period}{theirs}. What remains "
              "is other years' suppliers and branches the study found that no premises "
              "list here holds."),
    ]
