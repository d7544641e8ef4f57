"""Ingest speed and memory: the real spend corpus beside naive pandas, and 1M synthetic rows
beside DuckDB.

Targets (issue 12), as ratios to a peer measured in the same run:

* the whole shared corpus (12 councils) ≤ 3× naive pandas' time, where naive pandas =
  ``pd.read_csv(path)`` with defaults on each file, counting the files it reads without an
  exception (it reads fewer files and does none of the cleaning, so its rows/s is shown too);
* the 1M-row file ≤ 3× DuckDB's ``read_csv_auto`` of the same file into a DataFrame, with
  peak RSS ≤ 1 GB; the same for a 1M-row file in a real council's layout (issue 23: Devon's
  published files stacked until a million rows, 180 MB, 13 columns, UTF-8 with curly
  quotes), made once into the temp folder from the shared data and never kept elsewhere.

Each figure is taken in a fresh process.  Every process imports its libraries before the
clock starts (pandas and DuckDB for the peers; for ours the modules ingest loads on first
use: scipy's assignment solver, rapidfuzz, the workbook reader), so the ratios compare the
work, not Python's import time.  DuckDB's sniffer is also run over the corpus's CSV files
for reference.  The 10M-row file (scaling, ~1 GB CSV) is generated once into the temp
folder and reused; ``quick`` skips it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from bench.common import Row, print_table, run_child, shared_data

#: What ingest imports on first use, imported before the clock starts (see the docstring).
WARM_IMPORTS = "import scipy.optimize, rapidfuzz.process, python_calamine, pyarrow.csv"

CORPUS_CODE = WARM_IMPORTS + """
import json, time
from impact.ingest.transactions import ingest
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
for f in sorted(Path({root!r}).glob('*/*')):  # pandas opens a one-file zip by itself
    try:
        rows += len(pd.read_csv(f)); files += 1
    except Exception:
        pass
print(json.dumps({{'s': time.perf_counter() - t0, 'rows': rows, 'files': files}}))
"""

DUCKDB_CODE = """
import json, time, duckdb
from pathlib import Path
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter(); rows = 0; files = 0
for f in sorted(Path({root!r}).glob('*/*')):
    if f.suffix.lower() not in ('.csv', '.txt', '.tsv'):
        continue
    try:
        rows += con.execute("select count(*) from read_csv_auto(?)", [str(f)]).fetchone()[0]
        files += 1
    except Exception:
        pass
print(json.dumps({{'s': time.perf_counter() - t0, 'rows': rows, 'files': files}}))
"""

BIG_CODE = WARM_IMPORTS + """
import json, resource, time
from pathlib import Path
from impact.ingest.transactions import ingest, write_outputs
t0 = time.perf_counter()
r = ingest([{path!r}], council='Synthetic')
t1 = time.perf_counter()
write_outputs(r, Path({out!r}))
print(json.dumps({{'s': t1 - t0, 'write_s': time.perf_counter() - t1,
                  'rows': r.quality()['rows_used'],
                  'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'error': r.files[0].error}}))
"""

#: The peer for the 1M-row file: DuckDB's sniffing reader, straight into a DataFrame.
DUCKDB_FILE_CODE = """
import json, time, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
df = con.execute("select * from read_csv_auto(?)", [{path!r}]).df()
print(json.dumps({{'s': time.perf_counter() - t0, 'rows': len(df)}}))
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


def big_file(n: int) -> Path:
    """A synthetic ``n``-row file, generated once into the temp folder and reused after."""
    folder = Path(tempfile.gettempdir()) / "impact-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"spend-over-500-2024-25-{n // 1_000_000}M.csv"
    if not path.is_file():
        part = path.with_suffix(".part")
        if n <= 1_000_000:
            write_big_file(part, n)
        else:  # in 1M-row chunks, so generating does not need the memory it measures
            with part.open("w", encoding="utf-8") as out:
                for k in range(n // 1_000_000):
                    chunk = folder / "chunk.csv"
                    write_big_file(chunk, 1_000_000, seed=k + 1)
                    text = chunk.read_text(encoding="utf-8")
                    out.write(text if k == 0 else text.split("\n", 1)[1])
                    chunk.unlink()
        os.replace(part, path)
    return path


#: The 10M-row file is over the default upload limits; the bench raises them for its child.
BIG_ENV = {"IMPACT_MAX_ROWS": "20000000", "IMPACT_MAX_FILE_MB": "4000"}


def stacked_file(folder: Path, n: int = 1_000_000) -> Path:
    """One CSV of a real council's published files stacked (their headers but the first
    dropped) until ``n`` rows, made once into the temp folder and reused after."""
    path = Path(tempfile.gettempdir()) / "impact-bench" / f"{folder.name}-stacked-{n}.csv"
    if path.is_file():
        return path
    path.parent.mkdir(exist_ok=True)
    files, rows = sorted(folder.glob("*.csv")), 0
    with path.with_suffix(".part").open("wb") as out:
        while files and rows < n:  # rounds of the council's files
            for f in files:
                data = f.read_bytes().removeprefix(b"\xef\xbb\xbf")
                data = data if rows == 0 else data.split(b"\n", 1)[-1]
                out.write(data if data.endswith(b"\n") else data + b"\n")
                rows += data.count(b"\n")
                if rows >= n:
                    break
    os.replace(path.with_suffix(".part"), path)
    return path


def _scaling_row(n: int, target_mb: float | None, big: Path | None = None,
                 label: str = "") -> list[Row]:
    """Our ingest of an ``n``-row file (synthetic unless ``big`` is given) beside DuckDB
    reading it into a DataFrame (target: at most 3× DuckDB's time), and our peak memory."""
    import json

    big = big or big_file(n)
    duck = json.loads(run_child(DUCKDB_FILE_CODE.format(path=str(big)), BIG_ENV)[2])
    with tempfile.TemporaryDirectory() as tmp:
        out = run_child(BIG_CODE.format(path=str(big), out=str(Path(tmp) / "out")), BIG_ENV)[2]
    res = json.loads(out)
    rss = res["rss"]  # this child's own peak (run_child's is the max over all children)
    label = label or f"{n // 1_000_000}M-row file"
    return [
        Row(f"ingest: {label}", res["s"], "s", target=3 * duck["s"], peer=duck["s"],
            peer_name="DuckDB read_csv_auto → DataFrame",
            note=f"{res['rows']:,} rows used; {big.stat().st_size / 1e6:,.0f} MB CSV; "
            f"{res['rows'] / res['s']:,.0f} rows/s; writing the outputs took a further "
            f"{res['write_s']:.2f} s" + (f"; file error: {res['error']}" if res["error"] else "")),
        Row(f"ingest: {label} peak RSS", rss, "MB", target=target_mb,
            note="whole process, including imports"),
    ]


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    data = shared_data()
    if data is None:
        print("bench_ingest: ../shared/data not found; corpus figures skipped", file=sys.stderr)
    else:
        import json

        spend = data / "spend"
        naive = json.loads(run_child(NAIVE_CODE.format(root=str(spend)))[2])
        duck = json.loads(run_child(DUCKDB_CODE.format(root=str(spend)))[2])
        _, rss, out = run_child(CORPUS_CODE.format(root=str(spend)))
        ours = json.loads(out)
        rows.append(Row("ingest: whole shared corpus (time)", ours["s"], "s",
                        target=3 * naive["s"], peer=naive["s"], peer_name="naive pandas",
                        note=f"{ours['files']} files, {ours['rows']:,} rows; naive pandas "
                        f"read {naive['files']} files, {naive['rows']:,} rows"))
        rows.append(Row("ingest: whole shared corpus vs DuckDB read_csv_auto", ours["s"], "s",
                        peer=duck["s"], peer_name="DuckDB",
                        note=f"DuckDB's sniffer read {duck['files']} of the CSV files "
                        f"({duck['rows']:,} rows) in {duck['s']:.2f} s; ours read "
                        f"{ours['files']} files (CSV and workbooks)"))
        rows.append(Row("ingest: corpus throughput", ours["rows"] / ours["s"], "rows/s",
                        peer=naive["rows"] / naive["s"], peer_name="naive pandas",
                        note="higher is better"))
        rows.append(Row("ingest: corpus peak RSS", rss, "MB"))
        rows += _scaling_row(1_000_000, 1024.0, stacked_file(spend / "devon"),
                             "1M-row file in a real layout (Devon's, stacked)")
    rows += _scaling_row(1_000_000, 1024.0)
    if quick:
        print("bench_ingest: --quick, 10M-row scaling skipped", file=sys.stderr)
    else:
        rows += _scaling_row(10_000_000, 10_240.0)
    return rows


if __name__ == "__main__":
    print_table(run())
