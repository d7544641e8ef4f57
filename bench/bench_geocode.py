"""Geocode speed: 100k supplier postcodes → LSOA 2021 / ward / LAD / region.

Target (issue "Suppliers to places"): ≤ 1 s once caches are warm, both in a fresh process
with the caches on disk and warm in the same process.  The one-off cache build (parse the
2.7M-row NSPL CSV, place every postcode in its LSOA by point-in-polygon, precompute the
package's answers for NSPL postcodes without a point) is reported too.

Reads the real public data in ``../shared/data`` in place (skips with a message if absent).
Each sample has 100k rows drawn from the NSPL with repeats, lower case, missing spaces and
~2% malformed/NA, with 20k or 100k distinct postcodes.  Caches go to a temporary folder so
the cold figure is real; ``--keep-cache`` uses the project's cache folder instead (no cold
figure then).  Prints figures; never asserts.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from bench.common import Row, print_table, run_child

TARGET_S = 1.0
N_ROWS = 100_000

CHILD_CODE = """
import json, time
import pandas as pd
from impact.places.geocode import geocode_postcodes
from bench.common import shared_data_dir
from impact.places.reference import Reference
rows = pd.read_parquet({sample!r})["postcode"].astype("string")
ref = Reference(shared_data_dir())
t0 = time.perf_counter(); c0 = time.process_time()
first = geocode_postcodes(rows, ref)
t1 = time.perf_counter(); c1 = time.process_time()
second = geocode_postcodes(rows, ref)
t2 = time.perf_counter(); c2 = time.process_time()
print(json.dumps({{
    "first": t1 - t0, "second": t2 - t1, "cpu_first": c1 - c0, "cpu_second": c2 - c1,
    "with_lsoa": float(first["lsoa21_code"].notna().mean()), "rows": len(second),
    "counts": {{str(k): int(v) for k, v in first["status"].value_counts().items()}},
}}))
"""


def sample(n_rows: int, n_unique: int, seed: int = 0):
    """Supplier-like postcodes: repeats, lower case, missing spaces, a few malformed/NA."""
    import numpy as np
    import pandas as pd

    from bench.common import shared_data_dir

    table = pd.read_csv(
        shared_data_dir() / "geography" / "postcode_latlon_nspl_may2025_uk.csv.gz",
        usecols=["postcode"],
        engine="pyarrow",
    )["postcode"]
    rng = np.random.default_rng(seed)
    uniq = table.sample(n_unique, random_state=seed).to_numpy()
    rows = pd.Series(rng.choice(uniq, n_rows), dtype="string")
    lower = rng.random(n_rows) < 0.1
    rows[lower] = rows[lower].str.lower()
    nospace = rng.random(n_rows) < 0.1
    rows[nospace] = rows[nospace].str.replace(" ", "", regex=False)
    rows[rng.random(n_rows) < 0.01] = "N/A"
    rows[rng.random(n_rows) < 0.01] = pd.NA
    return rows


def run(keep_cache: bool = False) -> list[Row]:
    from bench.common import shared_data_dir

    rows: list[Row] = []
    if not (shared_data_dir() / "geography").is_dir():
        print(f"bench_geocode: shared data not found at {shared_data_dir()}", file=sys.stderr)
        return rows
    with tempfile.TemporaryDirectory() as tmp:
        cache = None if keep_cache else str(Path(tmp) / "cache")
        env = {"IMPACT_CACHE_DIR": cache} if cache else {}
        for n_unique in (20_000, 100_000):
            sample_file = Path(tmp) / f"sample_{n_unique}.parquet"
            sample(N_ROWS, n_unique).to_frame("postcode").to_parquet(sample_file)
            code = CHILD_CODE.format(sample=str(sample_file))
            label = f"{N_ROWS // 1000}k rows, {n_unique // 1000}k distinct"
            if cache and n_unique == 20_000:  # the first run in an empty cache folder
                _wall, _rss, out = run_child(code, env)
                cold = json.loads(out)
                rows.append(
                    Row(
                        "geocode: one-off cache build (empty cache, new process)",
                        cold["first"],
                        "s",
                        note=f"{label}; NSPL parse + LSOA point-in-polygon of every "
                        "postcode + package gap table, then the lookup itself",
                    )
                )
            _wall, _rss, out = run_child(code, env)
            res = json.loads(out)
            rows.append(
                Row(
                    f"geocode {label}: warm disk (new process)",
                    res["first"],
                    "s",
                    target=TARGET_S,
                    note=f"process CPU {res['cpu_first']:.2f} s; "
                    f"{res['with_lsoa']:.1%} rows with an LSOA",
                )
            )
            rows.append(
                Row(
                    f"geocode {label}: warm (same process, 2nd call)",
                    res["second"],
                    "s",
                    target=TARGET_S,
                    note=f"process CPU {res['cpu_second']:.2f} s; statuses {res['counts']}",
                )
            )
    return rows


if __name__ == "__main__":
    if os.environ.get("IMPACT_CACHE_DIR") and "--keep-cache" not in sys.argv:
        print("note: IMPACT_CACHE_DIR is overridden by a temporary folder", file=sys.stderr)
    print_table(run(keep_cache="--keep-cache" in sys.argv))
