"""Ingest speed and memory: the real spend corpus beside naive pandas, and 1M synthetic rows.

Targets (issue "Foundation and ingest"): whole corpus ≤ 3× naive pandas' time; a 1M-row
file ingested in ≤ 5 s with peak RSS ≤ 1 GB.  Naive pandas = ``pd.read_csv(path)`` with
defaults on each file, counting the files it reads without an exception (it reads fewer
files and does none of the cleaning, so its rows/s is the fairer comparison).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.common import Row, print_table, run_child, shared_data, timed

CORPUS_CODE = """
import json, time
from impact.ingest import ingest
root = {root!r}
t0 = time.perf_counter(); rows = 0; files = 0
for council in sorted(p for p in __import__('pathlib').Path(root).iterdir() if p.is_dir()):
    r = ingest([council], council=council.name)
    q = r.quality(); rows += q['rows_in']; files += q['files_read']
print(json.dumps({{'s': time.perf_counter() - t0, 'rows': rows, 'files': files}}))
"""

NAIVE_CODE = """
import json, time, pandas as pd
from pathlib import Path
t0 = time.perf_counter(); rows = 0; files = 0
for f in sorted(Path({root!r}).glob('*/*')):
    try:
        rows += len(pd.read_csv(f)); files += 1
    except Exception:
        pass
print(json.dumps({{'s': time.perf_counter() - t0, 'rows': rows, 'files': files}}))
"""

BIG_CODE = """
import json, time
from pathlib import Path
from impact.ingest import ingest, write_outputs
t0 = time.perf_counter()
r = ingest([{path!r}], council='Synthetic')
write_outputs(r, Path({out!r}))
print(json.dumps({{'s': time.perf_counter() - t0, 'rows': r.quality()['rows_used']}}))
"""


def write_big_file(path: Path, n: int = 1_000_000, seed: int = 1) -> None:
    """A Transparency Code layout CSV with realistic values and some mess."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    suppliers = np.array([f"SUPPLIER {i} LTD" for i in range(20_000)], dtype=object)
    dirs = np.array(["Adults", "Children", "Place", "Resources", "Public Health"], dtype=object)
    days = pd.date_range("2024-04-01", "2025-03-31").strftime("%d/%m/%Y").to_numpy()
    amount = np.round(rng.lognormal(7.0, 1.2, n), 2)
    amount_text = pd.Series(amount).map("{:,.2f}".format).to_numpy()
    df = pd.DataFrame({
        "Body Name": "Synthetic Council",
        "Directorate": dirs[rng.integers(0, len(dirs), n)],
        "Payment Date": days[rng.integers(0, len(days), n)],
        "Transaction Number": np.arange(n),
        "Net Amount": amount_text,
        "Supplier Name": suppliers[rng.zipf(1.3, n) % len(suppliers)],
    })
    df.to_csv(path, index=False)


def run() -> list[Row]:
    rows: list[Row] = []
    data = shared_data()
    if data is None:
        print("bench_ingest: ../shared/data not found; corpus figures skipped", file=sys.stderr)
    else:
        import json

        spend = data / "spend"
        naive = json.loads(run_child(NAIVE_CODE.format(root=str(spend)))[2])
        _, rss, out = run_child(CORPUS_CODE.format(root=str(spend)))
        ours = json.loads(out)
        rows.append(Row("ingest: whole shared corpus (time)", ours["s"], "s",
                        target=3 * naive["s"], peer=naive["s"], peer_name="naive pandas",
                        note=f"{ours['files']} files, {ours['rows']:,} rows; naive pandas "
                        f"read {naive['files']} files, {naive['rows']:,} rows"))
        rows.append(Row("ingest: corpus throughput", ours["rows"] / ours["s"], "rows/s",
                        peer=naive["rows"] / naive["s"], peer_name="naive pandas",
                        note="higher is better"))
        rows.append(Row("ingest: corpus peak RSS", rss, "MB"))
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "spend-over-500-2024-25.csv"
        _gen_s, _ = timed(lambda: write_big_file(big))
        import json

        _wall, rss, out = run_child(BIG_CODE.format(path=str(big), out=str(Path(tmp) / "out")))
        res = json.loads(out)
        rows.append(Row("ingest: 1M-row file", res["s"], "s", target=5.0,
                        note=f"{res['rows']:,} rows used; {big.stat().st_size / 1e6:.0f} MB CSV"))
        rows.append(Row("ingest: 1M-row file peak RSS", rss, "MB", target=1024.0,
                        note="whole process, including imports"))
    return rows


if __name__ == "__main__":
    print_table(run())
