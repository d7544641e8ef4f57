"""One result row format and one table printer for every benchmark.

Benchmarks print figures and ratios; they never assert (timings are not tests).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass
class Row:
    """One measured figure, its target and (optionally) a peer measured in the same run."""

    metric: str
    value: float
    unit: str
    target: float | None = None  # upper bound, same unit
    peer: float | None = None  # e.g. naive pandas' figure in the same run, same unit
    peer_name: str = ""
    note: str = ""

    @property
    def vs_target(self) -> str:
        return "" if self.target is None else f"{self.value / self.target:.2f}"

    @property
    def vs_peer(self) -> str:
        if self.peer in (None, 0):
            return ""
        return f"{self.value / self.peer:.2f}× {self.peer_name}".strip()


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Wall time of one call, and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run_child(code: str, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run Python ``code`` in a fresh process: (wall s, peak RSS MB of that process, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024, proc.stdout


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit in ("rows/s", "pairs/s", "pairs", "rows"):
        return f"{value:,.0f} {unit}"
    if unit == "share":
        return f"{value:.3f}"
    return f"{value:,.3g} {unit}"


def print_table(rows: list[Row], file=None) -> str:
    """Print (and return) a Markdown table of ``rows``."""
    lines = [
        "| metric | this run | target | ratio to target | ratio to peer | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = "" if r.target is None else f"≤ {fmt(r.target, r.unit)}"
        lines.append(
            f"| {r.metric} | {fmt(r.value, r.unit)} | {target} | {r.vs_target} | {r.vs_peer} "
            f"| {r.note} |"
        )
    text = "\n".join(lines)
    print(text, file=file or sys.stdout, flush=True)
    return text


def shared_data_dir() -> Path:
    """Where the real public data is: the tests' rule (``IMPACT_SHARED_DATA``, else
    ``../shared/data``), from its one home in :mod:`impact.core.settings`."""
    from impact.core.settings import shared_data_dir as rule

    return rule()


def shared_data() -> Path | None:
    """The real public data folder, or None (benchmarks that need it then say so)."""
    path = shared_data_dir()
    return path if (path / "spend").is_dir() else None
