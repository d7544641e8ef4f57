"""National scale: the 30M-row aggregate on DuckDB (and the same SQL on Spark), cross-council
linkage throughput on DuckDB and Spark local[2], and what that says about national size.

Targets (issue 15): spend by council × ward × category over 30M payments in ≤ 60 s and
≤ 4 GB on this 2-core machine.  Data: the synthetic national dataset (``impact demo
--national``, 300 councils × 100,000 payments), generated once into the cache folder and
reused (half an hour on 2 cores; the generation time is a row when it happens).  Linkage:
synthetic payee names (:func:`impact.synthetic.national.payee_names`) at 100k and 1M names,
pairs scored per second of scoring and clustering on each engine (Spark's session start is
not counted).  Linkage against a national register (10⁶ payees × 5×10⁶ companies) is
measured by :mod:`bench.bench_national_linkage`.  Every measurement runs in a fresh process;
figures, never assertions.

``quick``: 30 councils (3M payments), linkage at 100k names on DuckDB only.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench.common import Row, run_child

COUNCILS, ROWS, SEED = 300, 100_000, 2024
AGG_TARGET_S, AGG_TARGET_MB = 60.0, 4096.0
NAMES = (100_000, 1_000_000)
#: National size the aggregate's extrapolation is for (issue 15): payments.
NATIONAL_PAYMENTS = 1e8

AGG_CODE = """
import json, resource, time
from pathlib import Path
from impact.store import Store, national_aggregate
store = Store(Path({root!r}))
t0 = time.perf_counter()
table = national_aggregate(store, {engine!r})
s = time.perf_counter() - t0
n = int(store.sql("SELECT COUNT(*) AS n FROM payments")["n"].iloc[0])
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"s": s, "groups": len(table), "payments": n, "rss_mb": rss}}))
"""

LINK_CODE = """
import json, time
from impact.ingest.names import normalise_names
from impact.places.crosslink import link_payees
from impact.synthetic.national import payee_names
p = payee_names({n}, seed={seed}).rename(columns={{"name": "payee_name"}})
p["name_norm"] = normalise_names(p["payee_name"].astype("string"))
t0 = time.perf_counter()
r = link_payees(p, {engine!r})
print(json.dumps({{"pairs": r.pairs_compared, "score_s": r.score_seconds,
                  "total_s": time.perf_counter() - t0, "names": int(p["name_norm"].nunique()),
                  "splink_rows": int((r.links["method"] == "splink").sum()),
                  "notes": r.notes}}))
"""


def last_json(stdout: str) -> dict:
    """The child's result: its last line (libraries may print progress before it)."""
    return json.loads(stdout.strip().splitlines()[-1])


def national_store(councils: int) -> tuple[Path, float | None]:
    """The synthetic national store for ``councils`` × :data:`ROWS`, and the seconds it took
    to generate (None when it was already there)."""
    from impact.core.settings import settings
    from impact.store import Store, write_national_demo

    root = settings().cache_dir / f"bench-national-{councils}x{ROWS}-seed{SEED}"
    store = Store(root)
    if len(store.entries()) == councils:
        return root, None
    t0 = time.perf_counter()
    write_national_demo(store, councils, ROWS, SEED)
    return root, time.perf_counter() - t0


def aggregate_rows(root: Path, councils: int, spark: bool) -> tuple[list[Row], float]:
    """The DuckDB aggregate (time, peak RSS), and Spark SQL's time as a peer row."""
    duck = last_json(run_child(AGG_CODE.format(root=str(root), engine="duckdb"))[2])
    label = f"national aggregate: {duck['payments'] / 1e6:.0f}M payments, {councils} councils"
    rows = [Row(f"{label}, DuckDB (time)", duck["s"], "s", target=AGG_TARGET_S,
                note=f"{duck['groups']:,} council × ward × category groups; "
                     f"{duck['payments'] / duck['s']:,.0f} rows/s"),
            Row(f"{label}, DuckDB (peak RSS)", duck["rss_mb"], "MB", target=AGG_TARGET_MB,
                note="whole child process, imports included")]
    if spark:
        sp = last_json(run_child(AGG_CODE.format(root=str(root), engine="spark"))[2])
        rows.append(Row(f"{label}, same SQL on Spark local[2] (time)", sp["s"], "s",
                        peer=duck["s"], peer_name="DuckDB",
                        note="Spark session start not counted; JVM memory not in any RSS"))
    return rows, duck["payments"] / duck["s"]


def linkage_rows(sizes: tuple[int, ...], engines: tuple[str, ...]) -> tuple[list[Row], dict]:
    """Pairs scored per second per engine and size; the raw results for the extrapolation."""
    rows, found = [], {}
    for n in sizes:
        for engine in engines:
            r = last_json(run_child(LINK_CODE.format(n=n, seed=SEED, engine=engine))[2])
            found[(engine, n)] = r
            peer = found.get(("duckdb", n)) if engine == "spark" else None
            rows.append(Row(
                f"cross-council linkage: {n:,} council × payee names, {engine}"
                f"{' local[2]' if engine == 'spark' else ''}",
                r["pairs"] / r["score_s"], "pairs/s",
                peer=peer["pairs"] / peer["score_s"] if peer else None, peer_name="DuckDB",
                note=f"{r['pairs']:,} pairs in {r['score_s']:.1f} s; {r['names']:,} distinct "
                     f"normalised names; {r['splink_rows']:,} rows linked by Splink"))
    return rows, found


def extrapolation_rows(rows_per_s: float) -> list[Row]:
    """The aggregate at national size from the measured rate (linear in rows).  National
    *linkage* is measured, not extrapolated: :mod:`bench.bench_national_linkage`."""
    return [Row("extrapolated: national aggregate, 10⁸ payments, DuckDB on this machine",
                NATIONAL_PAYMENTS / rows_per_s, "s",
                note="linear in rows (one scan and a hash aggregate; groups, not rows, set "
                     "memory)")]


def run(quick: bool = False) -> list[Row]:
    councils = COUNCILS // 10 if quick else COUNCILS
    root, made = national_store(councils)
    rows = [] if made is None else [Row(f"synthetic national dataset: {councils} councils × "
                                        f"{ROWS:,} payments, generated", made, "s")]
    agg, rows_per_s = aggregate_rows(root, councils, spark=not quick)
    sizes, engines = (NAMES[:1], ("duckdb",)) if quick else (NAMES, ("duckdb", "spark"))
    link, _ = linkage_rows(sizes, engines)
    return rows + agg + link + extrapolation_rows(rows_per_s)


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run(quick="--quick" in sys.argv))
