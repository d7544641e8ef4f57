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
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class PoundStory:
    """Pence of each £1: spent (100), received locally, re-spent locally, and leaks."""

    local_p: int
    respent_p: int
    leak_first_p: int
    leak_second_p: int
    lm3: float
    sentence: str


def pound_story(result: object) -> PoundStory:
    """The story from a fitted :class:`impact.multiplier.ModelResult` (rounds R1–R3)."""
    m = result.model
    local = round(100 * m.r2_ / m.r1_) if m.r1_ > 0 else 0
    respent = min(round(100 * m.r3_ / m.r1_), local) if m.r1_ > 0 else 0
    text = (
        f"Of every £1 the council spends with suppliers, {local}p goes to businesses and "
        f"organisations based here. They spend {respent}p of it here again — on local "
        f"staff and local suppliers. {100 - local}p leaves the area straight away, and "
        f"another {local - respent}p leaves after that. So each £1 is worth about "
        f"£{m.lm3_:.2f} to the local economy."
    )
    return PoundStory(local, respent, 100 - local, local - respent, float(m.lm3_), text)


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
