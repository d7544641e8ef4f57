"""The words every surface uses for the headline figures, generated from the measures.

The Overview, the board pack, the brief, the consultation and the command line say the
same figure in the same words, so each sentence is written once, here, from the
:class:`impact.analysis.measures.Measures` objects — never from a number a page worked out
itself.  Pence are whole percent of £1 (:func:`impact.analysis.measures.whole_percent`),
and every sentence's parts add up as printed (tests work them by hand): of "43p traced",
"13p local" and "30p elsewhere" are 43p.
"""

from __future__ import annotations

import pandas as pd

from impact.analysis.measures import (
    HEADLINE_WAY,
    NOT_ENOUGH_DATA,
    Figure,
    Measures,
    pct,
    whole_percent,
)


def _p(share: float | None) -> int:
    """Whole pence of £1 (0 when unknown)."""
    shown = whole_percent(share)
    return 0 if shown is None else int(shown)


def traced_pence(m: Measures) -> tuple[int, int, int]:
    """``(traced, local, elsewhere)`` pence of every £1: traced = placed or national (as
    shown), local = the £ placed inside the area (the local share's lower bound), and
    elsewhere = traced − local, so the three add up as printed."""
    traced = _p(m.placed.value)
    local = min(_p(m.local.lower), traced)
    return traced, local, traced - local


def pound_sentence(m: Measures) -> str:
    """ "Of every £1 …": where the money goes, with what it rests on; below the gate only
    what is known ("we can trace where 43p of every £1 went …")."""
    local, area = m.local, m.area
    if local.missing:
        return local.missing
    if local.shown is None:
        return known_sentence(m)
    lp = _p(local.shown)
    text = (f"Of every £1 {area.name} paid to suppliers we could place or know to be "
            f"national bodies, {lp}p went to suppliers based in {area.area_words}")
    if m.regional.shown is not None:
        rp = max(_p(m.regional.shown) - lp, 0)
        text += (f", {rp}p to suppliers elsewhere in {area.region_words} and "
                 f"{max(100 - lp - rp, 0)}p further afield")
    text += "." + _deprived_words(m) + f" We could place {pct(m.placed.value)} of spend."
    return text


def _deprived_words(m: Measures) -> str:
    """The deprived-area share with its own coverage when it differs from the placed share
    (suppliers placed at a district have no neighbourhood)."""
    d = m.deprived
    if d.shown is None:
        return (f" Whether it reached the most deprived neighbourhoods is {NOT_ENOUGH_DATA}: "
                f"we know the neighbourhood of suppliers for {pct(d.coverage.share)} of spend."
                if d.coverage is not None else "")
    own = ("" if pct(d.coverage.share) == pct(m.placed.value) else
           f" (of the {pct(d.coverage.share)} of spend whose supplier's neighbourhood we know)")
    return (f" {_p(d.shown)}p went to suppliers in the most deprived 20% of neighbourhoods "
            f"in England{own}.")


def known_sentence(m: Measures) -> str:
    """What is known when too little is placed for a local share: the traced pence, the
    local pence among them, and the range of the whole."""
    traced, local, elsewhere = traced_pence(m)
    where = m.area.area_words
    return (f"We can trace where {traced}p of every £1 went: {local}p of it to suppliers "
            f"based in {where} and {elsewhere}p elsewhere. We do not yet know where the other "
            f"{100 - traced}p went, so between {pct(m.local.lower)} and "
            f"{pct(m.local.upper)} of all spend stayed local: {NOT_ENOUGH_DATA} for one "
            "figure.")


def local_sentence(m: Measures) -> str:
    """The local share in one or two sentences, for findings and briefs."""
    local = m.local
    if local.missing:
        return local.missing
    if local.shown is None:
        return known_sentence(m)
    return (f"We could place {pct(m.placed.value)} of spend. Of every £1 placed, "
            f"{_p(local.shown)}p went to suppliers based in {m.area.area_words} "
            f"(whatever the unplaced spend turns out to be, between {pct(local.lower)} and "
            f"{pct(local.upper)} of all spend).")


def figure_line(fig: Figure) -> str:
    """ "Local share: 30% (range 25%–35%) — based on the 92% of spend …" for lists."""
    rests = f" — {fig.rests_on[0].lower()}{fig.rests_on[1:]}" if fig.rests_on else ""
    return f"{fig.label}: {fig.summary}{rests}"


#: Column headers of the "ways of counting local" table (Overview, board pack, CLI).
WAYS_COLUMNS = ("Way of counting local", "Share", "Range", "Rests on")
#: What each way's coverage is, short enough for its column (the kind's full words are in
#: :func:`headline_way`).
_RESTS_ON = {"placed": "of spend placed", "office": "of spend, office known"}


def ways_rows(m: Measures) -> list[tuple[str, str, str, str]]:
    """Each way of counting local as (label, as shown, range, what it rests on): the same
    words on the Overview, in the board pack's appendix and on the command line."""
    rows = []
    for f in m.ways:
        cov = (f"{pct(f.coverage.share)} {_RESTS_ON.get(f.coverage.kind.key, 'of spend')}"
               if f.coverage else f.missing)
        rows.append((f.label, f.text, f.range_text or "—", cov))
    return rows


#: Columns of :func:`ways_table`, in download order.
WAYS_TABLE_COLUMNS = ("way", "definition", "shown", "value", "coverage", "rests_on",
                      "lower_bound", "upper_bound", "range", "not_enough_data", "headline",
                      "how_calculated")


def ways_table(m: Measures) -> pd.DataFrame:
    """Each way of counting local as one row of a download: the numbers and words of
    :func:`ways_rows` (the Overview's table, the pack's appendix) with the figures behind
    them — value (only where it may be stated), coverage, range — and whether it is "not
    enough data" (a way that cannot be counted at all is "not available", not flagged),
    so a spreadsheet says what the screens say."""
    rows = [{
        "way": f.key, "definition": f.label, "shown": shown, "value": f.shown,
        "coverage": f.coverage.share if f.coverage else None, "rests_on": rests,
        "lower_bound": f.lower, "upper_bound": f.upper, "range": rng,
        "not_enough_data": f.shown is None and not f.missing, "headline": f.key == HEADLINE_WAY,
        "how_calculated": " ".join(x for x in (f.how or f.missing, *f.caveats) if x),
    } for f, (_, shown, rng, rests) in zip(m.ways, ways_rows(m), strict=True)]
    return pd.DataFrame(rows, columns=list(WAYS_TABLE_COLUMNS))


def headline_way(m: Measures) -> str:
    """Which way the headline local share counts, and where the others are."""
    return (f"The headline local share counts a supplier's main address (“{m.local.label}”). "
            "CLES counts a supplier based or branched in the area (any of its premises), "
            "Tussell one registered in the buyer's region: each way is given beside it, "
            "with what it rests on — the spend whose supplier we could place (or know to be "
            "a national body), or, for the registered office, whose registered office we "
            "know.")
