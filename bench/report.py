"""Write the benchmark table into README.md between ``<!-- bench:start -->`` and
``<!-- bench:end -->``.

``python -m bench --readme`` runs the benchmarks and calls :func:`write_readme` with the
table (this module imports nothing from the runner, so the two never import each other).
When the markers are absent the README is left alone and a message says so.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"


def render(table: str, quick: bool = False) -> str:
    """The block written between the markers: the table and how it was measured."""
    when = dt.date.today().isoformat()
    how = (f"Measured {when} on {os.cpu_count()} cores, Python {platform.python_version()}"
           f"{', --quick (slow rows skipped)' if quick else ''}; `make bench` to rerun.")
    return f"{START}\n{table.strip()}\n\n{how}\n{END}"


def replace_between_markers(text: str, block: str) -> str | None:
    """``text`` with the marked section replaced by ``block``; None when markers are missing."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < 0 or end < start:
        return None
    return text[:start] + block + text[end + len(END):]


def write_readme(table: str, quick: bool = False, readme: Path = README) -> str:
    """Write ``table`` into ``readme`` between the markers; return what was done."""
    if not readme.is_file():
        return f"bench.report: {readme} not found; table not written"
    text = readme.read_text(encoding="utf-8")
    new = replace_between_markers(text, render(table, quick))
    if new is None:
        return (f"bench.report: {readme.name} has no {START} … {END} markers; "
                "table not written (add the two markers where it should go)")
    if new != text:
        from impact.core.atomic import atomic_write_text

        atomic_write_text(readme, new)
    return f"bench.report: table written into {readme.name}"
