"""Consultation mode: the "where does our £1 go" story and participants' priorities.

A community session needs one simple story, not the explorer's full detail: of each £1
the council spends, how many pence reach suppliers based locally, how many of those are
re-spent locally again, and where the rest leaks.  The numbers are the LM3 rounds of
:func:`impact.multiplier.run_model`.  What participants prioritise is saved as JSON
(one file per session, dated) under the council's workspace folder
(:func:`impact.core.paths.council_file`, ``IMPACT_WORKSPACE_DIR``) — never into the
committed demo folder — with an atomic write, so a crash never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from impact.analysis.compare import MIN_COVERAGE
from impact.core.atomic import atomic_write_text, locked
from impact.core.paths import council_file

#: What participants may choose between (the charter points and the left-behind themes).
PRIORITY_OPTIONS: tuple[str, ...] = (
    "Good local jobs paying the Real Living Wage",
    "Training and apprenticeships for local people",
    "Buying from local small businesses and charities",
    "Help for the most deprived neighbourhoods",
    "Cutting carbon and pollution",
    "Paying small suppliers quickly",
    "Better health and care services locally",
)


#: Below this share of each £1 traced to a place (or a national body), the story says what
#: is known in plain words instead of a single "stays local" figure (the Compare page
#: withholds figures below the same share).
MIN_TRACED = MIN_COVERAGE


@dataclass(frozen=True)
class PoundStory:
    """Pence of each £1: spent (100), received locally, re-spent locally, and leaks.

    ``traced_p``: pence of each £1 whose supplier's place we know (placed, or a national
    body).  The pence are the round-by-round figures with every untraced £ counted as
    leaving, so they are "at least" figures; ``lm3`` is the Monte Carlo P50 with its
    P10–P90 band.  Below :data:`MIN_TRACED` only what is known is told.
    """

    local_p: int
    respent_p: int
    leak_first_p: int
    leak_second_p: int
    lm3: float
    sentence: str
    traced_p: int = 100
    lm3_p10: float | None = None
    lm3_p90: float | None = None
    #: Pence of each £1 of *all* spend paid to other public bodies and left out of the
    #: story (the council cannot choose them); None when they are counted in.
    public_bodies_p: int | None = None

    @property
    def spent_with(self) -> str:
        """What "each £1" is: all spend with suppliers, or only with firms and charities
        (so the 55p "we know" never reads against the Overview's "79% placed")."""
        return ("with suppliers" if self.public_bodies_p is None
                else "with businesses and charities")

    @property
    def enough(self) -> bool:
        """Is enough of each £1 traced to say how much stays local?"""
        return self.traced_p >= round(100 * MIN_TRACED)

    @property
    def steps(self) -> tuple[tuple[str, str], ...]:
        """The big numbers, one per step: (pence, words)."""
        if not self.enough:
            return (("100p", "spent by the council"), (f"{self.traced_p}p", "we can trace"),
                    (f"{self.local_p}p", "of it traced to here"))
        return (("100p", "spent by the council"), (f"{self.local_p}p", "stays here"),
                (f"{self.respent_p}p", "re-spent here"))

    @property
    def coverage_words(self) -> str:
        """What the story rests on, in plain words."""
        rest = 100 - self.traced_p
        known = ("We know where every penny of each £1 went." if rest <= 0 else
                 f"We know where {self.traced_p}p of every £1 went. The other {rest}p went to "
                 "suppliers we have not yet placed, and we count none of it as staying here.")
        return known + self._public_bodies_words()

    def _public_bodies_words(self) -> str:
        """The sentence saying which payments the story leaves out (empty when none)."""
        if not self.public_bodies_p:
            return ""
        return (f" Payments to other public bodies ({self.public_bodies_p}p of every £1 the "
                "council spends) are left out: the council cannot choose who they are.")


def pound_story(result: object) -> PoundStory:
    """The story from a fitted :class:`impact.multiplier.ModelResult` (rounds R1–R3)."""
    m = result.model
    h = m.headline_
    local = round(100 * m.r2_ / m.r1_) if m.r1_ > 0 else 0
    respent = min(round(100 * m.r3_ / m.r1_), local) if m.r1_ > 0 else 0
    traced = min(100, round(100 * h.placed_share)) if h.placed_share is not None else 0
    story = PoundStory(local, respent, 100 - local, local - respent, float(h.lm3), "",
                       traced, float(h.lm3_p10), float(h.lm3_p90), _public_bodies_p(result))
    return replace(story, sentence=_sentence(story))


def _public_bodies_p(result: object) -> int | None:
    """Pence of each £1 of all positive spend paid to public bodies the model left out."""
    accounting = getattr(getattr(result, "inputs", None), "accounting", None) or {}
    total = accounting.get("positive_spend_gbp") or 0.0
    if not accounting.get("public_bodies_excluded") or total <= 0:
        return None
    return round(100 * accounting.get("public_body_spend_gbp", 0.0) / total)


def _sentence(s: PoundStory) -> str:
    """The story in plain words: the full one, or what is known below the threshold."""
    if not s.enough:
        return (
            f"We can trace where {s.traced_p}p of every £1 the council spends {s.spent_with} "
            f"went. Of those {s.traced_p}p, {s.local_p}p went to businesses and "
            f"organisations based here. The other {100 - s.traced_p}p went to suppliers we "
            "have not yet placed, so we cannot yet say how much of each £1 stays local."
        )
    return (
        f"Of every £1 the council spends {s.spent_with}, at least {s.local_p}p goes to "
        f"businesses and organisations based here. They spend {s.respent_p}p of it here "
        f"again — on local staff and local suppliers. {s.traced_p - s.local_p}p goes to "
        f"suppliers elsewhere{_unknown(s)}. So each £1 is worth about £{s.lm3:.2f} to the "
        f"local economy (likely between £{s.lm3_p10:.2f} and £{s.lm3_p90:.2f})."
    )


def _unknown(s: PoundStory) -> str:
    """", and we do not yet know where the other 45p went" (nothing when all is traced)."""
    rest = 100 - s.traced_p
    return f", and we do not yet know where the other {rest}p went" if rest > 0 else ""


def flow_table(s: PoundStory) -> pd.DataFrame:
    """Where each 100p goes, step by step, for the pound-flow chart: one row per
    (step, part, pence); the parts of a step add up to what entered it."""
    if not s.enough:
        rows = [("Each £1 spent", "traced to here", s.local_p),
                ("Each £1 spent", "traced to elsewhere", s.traced_p - s.local_p),
                ("Each £1 spent", "not yet known", 100 - s.traced_p)]
    else:
        rows = [("Each £1 spent", "stays here", s.local_p),
                ("Each £1 spent", "leaves the area", s.traced_p - s.local_p),
                ("Each £1 spent", "not yet known", 100 - s.traced_p),
                ("What stays is spent again", "re-spent here", s.respent_p),
                ("What stays is spent again", "leaves the area", s.local_p - s.respent_p)]
    return pd.DataFrame(rows, columns=["step", "part", "pence"])


def session_dir(council: str) -> Path:
    """The council's consultation folder under the workspace folder (created)."""
    d = council_file(council, "consultation")
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_priorities(council: str, votes: dict[str, int], wards: list[str], notes: str = "",
                    when: dt.date | None = None, label: str = "") -> Path:
    """Write one session's priorities (option → count) as JSON; returns the path.

    Votes for options not in :data:`PRIORITY_OPTIONS` are rejected with a clear error;
    counts must be whole numbers ≥ 0.  A second save on the same day gets its own file.
    """
    unknown = sorted(set(votes) - set(PRIORITY_OPTIONS))
    if unknown:
        raise ValueError(f"unknown priority option(s): {', '.join(unknown)}")
    bad = [k for k, v in votes.items() if not isinstance(v, int) or v < 0]
    if bad:
        raise ValueError(f"counts must be whole numbers ≥ 0: {', '.join(bad)}")
    day = (when or dt.date.today()).isoformat()
    record = {"council": council, "session_date": day, "label": label, "wards": list(wards),
              "votes": {k: int(votes.get(k, 0)) for k in PRIORITY_OPTIONS},
              "notes": notes, "saved_at": dt.datetime.now().isoformat(timespec="seconds")}
    d = session_dir(council)
    with locked(d / "sessions"):  # two saves at once never take the same number
        n = 1
        while (d / f"session-{day}-{n}.json").exists():
            n += 1
        path = d / f"session-{day}-{n}.json"
        atomic_write_text(path, json.dumps(record, ensure_ascii=False, indent=2))
    return path


def load_sessions(council: str) -> list[dict]:
    """Saved sessions for a council, oldest first (unreadable files are skipped, noted)."""
    out = []
    for p in sorted(session_dir(council).glob("session-*.json")):
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            rec = {"file": p.name, "error": "unreadable"}
        rec["file"] = p.name
        out.append(rec)
    return out
