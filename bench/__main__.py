"""``python -m bench`` (what ``make bench`` runs): every benchmark, one table.

Imports each ``bench/bench_*.py`` module, calls its ``run()`` (which returns
``list[bench.common.Row]``; ``run(quick=True)`` where the module takes it) and prints one
Markdown table: metric, this run, target, ratio to target, ratio to the peer measured in
the same run.  A module that fails is reported as a row and the others still run.

Options: ``--quick`` skips the slow rows (10M-row ingest, 1M-name linkage, LSOA clustering,
the real council in the browser, the geocode cold build, Manchester end to end, 100k
distinct names); ``--only NAME`` (repeatable,
e.g. ``--only ingest``) runs only those modules; ``--readme`` also writes the table into
README.md between the bench markers (see :mod:`bench.report`).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
import traceback
from pathlib import Path

from bench.common import Row, print_table

HERE = Path(__file__).resolve().parent


def modules() -> list[str]:
    """Names of the benchmark modules (``ingest`` for ``bench/bench_ingest.py``), sorted."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def run_module(name: str, quick: bool) -> list[Row]:
    """One module's rows; a failure becomes one row saying so (the rest still run)."""
    t0 = time.perf_counter()
    try:
        mod = importlib.import_module(f"bench.bench_{name}")
        fn = getattr(mod, "run", None)
        if fn is None:
            return [Row(f"{name}: no run() in bench_{name}.py", float("nan"), "s")]
        kwargs = {}
        params = inspect.signature(fn).parameters
        if "quick" in params:
            kwargs["quick"] = quick
        if quick and "keep_cache" in params:  # geocode: reuse the caches, no cold build
            kwargs["keep_cache"] = True
        rows = list(fn(**kwargs) or [])
    except Exception as exc:  # a benchmark's failure is a result, not a crash of the table
        traceback.print_exc(file=sys.stderr)
        line = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        return [Row(f"{name}: failed", time.perf_counter() - t0, "s", note=line)]
    print(f"bench: {name} done in {time.perf_counter() - t0:.0f} s ({len(rows)} rows)",
          file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the slow rows")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only this module (one of: {', '.join(modules())})")
    parser.add_argument("--readme", action="store_true",
                        help="also write the table into README.md between the bench markers")
    args = parser.parse_args(argv)
    names = modules()
    if args.only:
        wanted = [n.removeprefix("bench_").removesuffix(".py") for n in args.only]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            parser.error(f"no benchmark named {', '.join(unknown)} (have {', '.join(names)})")
        names = [n for n in names if n in wanted]
    rows: list[Row] = []
    for name in names:
        print(f"bench: running {name}{' (quick)' if args.quick else ''} ...", file=sys.stderr,
              flush=True)
        rows += run_module(name, args.quick)
    print()
    table = print_table(rows)
    if args.quick:
        print("\n(--quick: slow rows skipped)")
    if args.readme:
        from bench.report import write_readme

        print(write_readme(table, quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
