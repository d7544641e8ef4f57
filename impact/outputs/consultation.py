"""Consultation mode: the "where does our £1 go" story and participants' priorities.

A community session needs one simple story, not the explorer's full detail: of each £1
the council spends, how many pence reach suppliers based locally, how many of those are
re-spent locally again, and what that £1 is worth to the local economy.  Every number is a
measure every other page shows (:mod:`impact.analysis.measures`): the pence that stay are
the Overview's local share, and the pence re-spent make up the rest of the local
multiplier, so 100p + 30p + 15p is the £1.45 the Re-spend page shows.  Below the one gate
the story says only what is known.  What participants prioritise is saved as JSON (one
file per session, dated) under the council's workspace folder
(:func:`impact.core.paths.council_file`, ``IMPACT_WORKSPACE_DIR``) — never into the
committed demo folder — with an atomic write, so a crash never leaves half a file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from impact.analysis.measures import Figure, Measures, whole_percent
from impact.analysis.sentences import traced_pence
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


def _p(share: float | None) -> int:
    shown = whole_percent(share)
    return 0 if shown is None else int(shown)


@dataclass(frozen=True)
class PoundStory:
    """Pence of each £1: traced, staying here, re-spent here, in plain words.

    ``enough``: the local share may be stated (the one gate); then ``local_p`` is the pence
    that stay (the local share) and ``respent_p`` the pence re-spent (LM3 − 1 − local, when
    the multiplier's area and assumptions are the local share's; else None).  Below the
    gate ``local_p`` is the pence traced to here, of the ``traced_p`` traced.
    ``public_bodies_p``: pence of every £1 of all spend paid to other public bodies, when
    the story leaves them out (the influenceable switch).
    """

    traced_p: int
    local_p: int
    enough: bool
    respent_p: int | None = None
    lm3: Figure | None = None
    public_bodies_p: int | None = None
    place: str = "here"
    noun: str = "the council"

    @property
    def spent_with(self) -> str:
        """What "each £1" is: all spend, or only with firms and charities."""
        return ("with suppliers" if self.public_bodies_p is None
                else "with businesses and charities")

    @property
    def steps(self) -> tuple[tuple[str, str], ...]:
        """The big numbers, one per step: (pence, words)."""
        if not self.enough:
            return (("100p", f"spent by {self.noun}"), (f"{self.traced_p}p", "we can trace"),
                    (f"{self.local_p}p", "of it traced to here"))
        steps = [("100p", f"spent by {self.noun}"), (f"{self.local_p}p", "stays here")]
        if self.respent_p is not None:
            steps.append((f"{self.respent_p}p", "re-spent here"))
        return tuple(steps)

    @property
    def sentence(self) -> str:
        """The story in plain words: the full one, or what is known below the gate."""
        if not self.enough:
            return (f"We can trace where {self.traced_p}p of every £1 {self.noun} spends "
                    f"{self.spent_with} went. Of those {self.traced_p}p, {self.local_p}p went "
                    f"to businesses and organisations based {self.place}. We do not yet know "
                    f"where the other {100 - self.traced_p}p went, so we cannot yet say how "
                    "much of each £1 stays here.")
        text = (f"Of every £1 {self.noun} spends {self.spent_with}, about {self.local_p}p "
                f"goes to businesses and organisations based {self.place}, and "
                f"{100 - self.local_p}p to suppliers elsewhere.")
        if self.respent_p is not None and self.lm3 is not None:
            text += (f" They spend {self.respent_p}p of it {self.place} again — on local staff "
                     f"and local suppliers. So each £1 is worth about £{self.lm3.text} to the "
                     f"local economy (likely between £{self.lm3.fmt(self.lm3.band[0])} and "
                     f"£{self.lm3.fmt(self.lm3.band[1])}).")
        return text

    @property
    def coverage_words(self) -> str:
        """What the story rests on, in plain words."""
        rest = 100 - self.traced_p
        known = ("We know where every penny of each £1 went." if rest <= 0 else
                 f"We know where {self.traced_p}p of every £1 went. For the other {rest}p we "
                 "have not yet found where the supplier is"
                 + (", and assume it goes like the rest." if self.enough else "."))
        return known + self._public_bodies_words()

    def _public_bodies_words(self) -> str:
        if not self.public_bodies_p:
            return ""
        return (f" Payments to other public bodies ({self.public_bodies_p}p of every £1 "
                f"{self.noun} spends) are left out: {self.noun} cannot choose who they are.")


def pound_story(m: Measures, public_bodies_share: float | None = None) -> PoundStory | None:
    """The story from the council's measures (None when its area is unknown).

    ``public_bodies_share``: the share of *all* spend paid to public bodies, when ``m``
    leaves them out (the story says so)."""
    if m.local.missing:
        return None
    traced, local, _ = traced_pence(m)
    pb = _p(public_bodies_share) if public_bodies_share else None
    noun = m.area.noun
    if m.local.shown is None:
        return PoundStory(traced, local, False, public_bodies_p=pb, noun=noun)
    stays = _p(m.local.shown)
    return PoundStory(traced, stays, True, _respent(m, stays), m.lm3, pb, noun=noun)


def _respent(m: Measures, stays: int) -> int | None:
    """Pence re-spent here: the multiplier's pence beyond 100p and those that stay, when
    its round 2 is the local share (same area, no pay bill); else None (not decomposed)."""
    lm3 = m.lm3
    if lm3 is None or lm3.shown is None or not lm3.inputs.get("r1"):
        return None
    r2_share = float(lm3.inputs["r2"]) / float(lm3.inputs["r1"])
    if abs(r2_share - float(m.local.shown)) > 0.005:
        return None
    return max(_p(lm3.shown - 1.0) - stays, 0)


def flow_table(s: PoundStory) -> pd.DataFrame:
    """Where each 100p goes, step by step, for the pound-flow chart: one row per
    (step, part, pence); the parts of a step add up to what entered it."""
    if not s.enough:
        rows = [("Each £1 spent", "traced to here", s.local_p),
                ("Each £1 spent", "traced to elsewhere", s.traced_p - s.local_p),
                ("Each £1 spent", "not yet known", 100 - s.traced_p)]
    else:
        rows = [("Each £1 spent", "stays here", s.local_p),
                ("Each £1 spent", "leaves the area", 100 - s.local_p)]
        if s.respent_p is not None:
            rows += [("What stays is spent again", "re-spent here", s.respent_p),
                     ("What stays is spent again", "leaves the area",
                      s.local_p - s.respent_p)]
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
