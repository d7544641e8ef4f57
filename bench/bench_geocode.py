"""Benchmark: 100k supplier postcodes → LSOA 2021 / ward / LAD (target ≤ 1 s once caches are warm).

Reads the real public data in ``../shared/data`` in place (skips with a message if absent).
Runs three measurements, each geocoding the same 100k rows:

* cold: a fresh process with an empty cache folder (parses the 2.7M-row postcode CSV, the
  qlacref package and the LSOA GeoJSON, and writes the parquet caches);
* warm-disk: a fresh process with the caches written by the cold run;
* warm: the second call in the same process (boundaries, tree and tables in memory).

Prints figures and the ratio to target; never asserts.  ``--keep-cache`` reuses the
project's cache folder instead of a temporary one (no cold figure then).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_S = 1.0
N_ROWS = 100_000


def _sample(n_rows: int, n_unique: int, seed: int = 0):
    """Supplier-like postcodes: repeats, lower case, missing spaces, a few malformed/NA."""
    import numpy as np
    import pandas as pd

    from impact.reference import shared_data_dir

    table = pd.read_csv(shared_data_dir() / "geography" / "postcode_latlon_nspl_may2025_uk.csv.gz",
                        usecols=["postcode"], engine="pyarrow")["postcode"]
    rng = np.random.default_rng(seed)
    uniq = table.sample(n_unique, random_state=seed).to_numpy()
    rows = pd.Series(rng.choice(uniq, n_rows), dtype="string")
    lower = rng.random(n_rows) < 0.1
    rows[lower] = rows[lower].str.lower()
    nospace = rng.random(n_rows) < 0.1
    rows[nospace] = rows[nospace].str.replace(" ", "", regex=False)
    bad = rng.random(n_rows) < 0.01
    rows[bad] = "N/A"
    rows[rng.random(n_rows) < 0.01] = pd.NA
    return rows


def _once(n_unique: int) -> dict[str, float]:
    import pandas as pd

    from impact.geocode import geocode_postcodes
    from impact.reference import Reference, shared_data_dir

    sample_file = Path(os.environ["BENCH_SAMPLE"])
    rows = pd.read_parquet(sample_file)["postcode"].astype("string")
    ref = Reference(shared_data_dir())
    t0 = time.perf_counter()
    first = geocode_postcodes(rows, ref)
    t1 = time.perf_counter()
    second = geocode_postcodes(rows, ref)
    t2 = time.perf_counter()
    counts = first["status"].value_counts().to_dict()
    with_lsoa = float(first["lsoa21_code"].notna().mean())
    return {"first": t1 - t0, "second": t2 - t1, "with_lsoa": with_lsoa, "rows": len(second),
            "counts": {str(k): int(v) for k, v in counts.items()}}


def main() -> None:
    if "--once" in sys.argv:
        print(json.dumps(_once(int(sys.argv[-1]))))
        return
    from impact.reference import shared_data_dir

    if not (shared_data_dir() / "geography").is_dir():
        print(f"SKIP: shared data not found at {shared_data_dir()}")
        return
    keep = "--keep-cache" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        for n_unique in (20_000, 100_000):
            sample_file = Path(tmp) / f"sample_{n_unique}.parquet"
            _sample(N_ROWS, n_unique).to_frame("postcode").to_parquet(sample_file)
            cache = None if keep else str(Path(tmp) / f"cache_{n_unique}")
            env = {**os.environ, "BENCH_SAMPLE": str(sample_file)}
            if cache:
                env["IMPACT_CACHE_DIR"] = cache
            runs = []
            for _ in range(1 if keep else 2):
                out = subprocess.run([sys.executable, __file__, "--once", str(n_unique)],
                                     env=env, capture_output=True, text=True, check=False)
                if out.returncode:
                    print(out.stderr)
                    return
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"\n{N_ROWS:,} rows, {n_unique:,} distinct postcodes")
            if not keep:
                print(f"  cold (empty caches, new process): {runs[0]['first']:7.2f} s")
            disk = runs[-1]
            print(f"  warm-disk (new process):          {disk['first']:7.2f} s  "
                  f"ratio to {TARGET_S:.0f} s target: {disk['first'] / TARGET_S:.2f}")
            print(f"  warm (same process, 2nd call):    {disk['second']:7.2f} s  "
                  f"ratio to {TARGET_S:.0f} s target: {disk['second'] / TARGET_S:.2f}")
            print(f"  rows with an LSOA: {disk['with_lsoa']:.1%}; statuses: {disk['counts']}")


if __name__ == "__main__":
    main()
