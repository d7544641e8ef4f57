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
4. **public bodies**: what leaving other public bodies out of the top suppliers would
   change (a study of "organisations" may; we count them) — said as the "if" it is;
5. **years**: the published series' own change a year over its latest unbroken run of
   years (the only evidence of drift there is), carried over the years between the study
   and our payments;
6. **unexplained**: what is left — branches the study's own survey found that no
   premises list here holds, and whatever else it knew.

The steps add up: headline + the causes = the published value.
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


def reconcile(m: Measures, published: Published, series: tuple[Published, ...] = ()
              ) -> Reconciliation | None:
    """Our figure under ``published``'s definition beside it, and the steps (see the
    module docstring); None when the measures have no ways of counting local.
    ``series``: the council's other published figures (the same study's other years give
    the drift)."""
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
    causes += _unexplained(ours, published, m.period.text, _drift(published, series, m))
    return Reconciliation(published, ours, head, tuple(causes), m.period.text)


def _start_year(period: str) -> int | None:
    """The first year of a published period ("2019-20", "2019/20", "2019") or None."""
    found = re.match(r"\s*(\d{4})", period)
    return int(found.group(1)) if found else None


def _our_year(m: Measures) -> float | None:
    """The financial year our payments fall in, on average (2021.0: April 2021–March 2022)."""
    years = [int(x[:4]) - (int(x[5:7]) < 4) for x in m.period.months if len(x) >= 7]
    return sum(years) / len(years) if years else None


@dataclass(frozen=True)
class Drift:
    """The published series' change a year, from ``first`` to ``last``, and the years from
    the published figure to our payments."""

    per_year: float
    first: Published
    last: Published
    years: float


def _drift(published: Published, series: tuple[Published, ...], m: Measures) -> Drift | None:
    """The same study's change a year over its latest unbroken run of yearly figures up to
    ``published`` (None without two such years, or without dates on either side)."""
    start, ours = _start_year(published.period), _our_year(m)
    if start is None or ours is None:
        return None
    by_year = {_start_year(p.period): p for p in (*series, published)
               if p.study == published.study and p.top == published.top}
    first = start
    while first - 1 in by_year:
        first -= 1
    if first == start:
        return None
    a, b = by_year[first], by_year[start]
    return Drift((b.value - a.value) / (start - first), a, b, ours - start)


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


def _public_bodies(ours: Figure) -> Cause | None:
    """Leaving other public bodies out of the top suppliers, at the central estimate."""
    spend, known, inside = (_gbp(ours, k) for k in ("public_spend", "public_known",
                                                    "public_inside"))
    rest_known = _gbp(ours, "spend_known") - known
    if spend <= 0 or rest_known <= 0 or ours.value is None:
        return None
    without = (_gbp(ours, "spend_inside") - inside) / rest_known
    return Cause("Public bodies, if the study left them out", without - ours.value, spend,
                 f"{money(spend)} of the top suppliers' spend goes to other public bodies "
                 f"({money(inside)} of it to bodies in the area). We count them; a study of "
                 "suppliers as businesses may not. This step is what leaving them out would "
                 "change.")


def _years(drift: Drift | None, total: float) -> Cause | None:
    """The published series' own drift, over the years from the study to our payments."""
    if drift is None:
        return None
    move = -drift.per_year * drift.years  # ours → theirs: back over the years between
    a, b = drift.first, drift.last
    return Cause("Years between the study and our payments", move, abs(move) * total,
                 f"The study's own figures went from {pct(a.value, 1)} ({a.period}) to "
                 f"{pct(b.value, 1)} ({b.period}), {points(drift.per_year)} a year: the only "
                 f"evidence of drift. Over the {drift.years:.1f} years to our payments that "
                 "is this step; the real change is not known.")


def _unexplained(ours: Figure, published: Published, period: str,
                 drift: Drift | None = None) -> list[Cause]:
    """What our unplaced £ could explain, public bodies and the years could, and what is
    left unexplained (what the study knew that no list here holds)."""
    lower = ours.lower if ours.lower is not None else ours.value
    upper = ours.upper if ours.upper is not None else ours.value
    reach = min(max(published.value, lower), upper)
    unknown = ours.coverage.unknown if ours.coverage else 0.0
    total = _gbp(ours, "spend_total")
    rest = published.value - reach
    theirs = (f"; the study counted {money(published.top_spend)} with its top suppliers, we "
              f"count {money(total)}") if published.top_spend else ""
    named = [c for c in (_public_bodies(ours), _years(drift, total)) if c is not None]
    rest -= sum(c.points for c in named)
    return [
        Cause("Unplaced spend", reach - ours.value, unknown,
              f"{money(unknown)} of the spend counted is with suppliers we could not place: "
              "our figure "
              f"could be anywhere from {pct(lower)} to {pct(upper)}."),
        *named,
        Cause("Unexplained", rest, abs(rest) * total,
              f"The study is of {published.period}, ours of {period}{theirs}. What is left "
              "is not explained by the data here: branches the study's own survey found "
              "that no premises list here holds, suppliers it counted differently, and "
              "whatever else it knew."),
    ]
