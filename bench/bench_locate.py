"""Locate speed and memory: a 1M-row ingested folder placed and totalled by ward, end to end.

Target (issue "Suppliers to places"): ``locate`` on a 1M-row ``transactions.parquet`` with
~20k suppliers, then joining the suppliers back to the transactions and totalling £ by
ward, in ≤ 10 s with peak RSS ≤ 1.5 GB (whole child process, imports included).

The folder is synthetic but realistic: ~13k suppliers are named after rows of the real
reference register ``suppliers/supplier_locations_combined_geocoded.csv`` (so they resolve
through it, by company number for a third of them and by name otherwise, and geocode
through the real NSPL postcode table), ~7k have made-up names no register holds; payments
follow a Zipf-like law over suppliers (a few take most rows), as in council spend files.
The main figure runs with ``fuzzy=False``: Splink linkage of thousands of unresolved names
is a separate, slower step (``bench_linkage``), reported here as a second row when asked
for with ``--fuzzy``.  Caches (postcode table, LSOAs) are warmed by a first run, which is
reported too.  Prints figures; never asserts.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bench.common import Row, print_table, run_child, shared_data, timed

N_ROWS = 1_000_000
N_UNRESOLVABLE = 7_000
TARGET_S = 10.0
TARGET_MB = 1536.0

CHILD_CODE = """
import json, time
t0 = time.perf_counter()
from pathlib import Path
import pandas as pd
from impact.places.locate import locate
from impact.places.reference import Reference
t_import = time.perf_counter() - t0
t1 = time.perf_counter()
res = locate(Path({dir!r}), registers=[], reference=Reference(Path({ref!r})), fuzzy={fuzzy})
t_locate = time.perf_counter() - t1
t2 = time.perf_counter()
sup = res.suppliers
tx = pd.read_parquet(Path({dir!r}) / "transactions.parquet",
                     columns=["council", "supplier_id", "supplier_name_norm", "amount"])
# join on the supplier key locate uses (council + supplier_id, else council + normalised
# name): sum per key first, so the string keys are built for 20k suppliers, not 1M rows
per = tx.groupby(["council", "supplier_id", "supplier_name_norm"], dropna=False,
                 sort=False, observed=True)["amount"].sum().reset_index()
council = per["council"].fillna("")
key = (council + "|name:" + per["supplier_name_norm"].fillna("(no name)")).where(
    per["supplier_id"].isna(), council + "|id:" + per["supplier_id"].fillna(""))
pos = pd.Index(sup["supplier_key"]).get_indexer(key)
assert (pos >= 0).all(), "a transaction's supplier is missing from the supplier table"
ward = sup["ward_code"].to_numpy()[pos]
by_ward = per["amount"].groupby(ward, dropna=False).sum()
assert abs(by_ward.sum() - tx["amount"].sum()) < 1e-6 * abs(tx["amount"].sum()) + 1
t_join = time.perf_counter() - t2
print(json.dumps({{
    "import": t_import, "locate": t_locate, "join": t_join, "total": t_locate + t_join,
    "suppliers": len(sup), "located": int(sup["is_located"].sum()),
    "wards": int(by_ward.index.notna().sum()),
    "share_located": res.coverage["share_of_spend_located"],
    "fuzzy": res.coverage["fuzzy"],
    "cpu": time.process_time(),
    "rss_mb": __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss / 1024,
}}))
"""


def build_folder(folder: Path, reference: Path, n: int = N_ROWS, seed: int = 7) -> dict:
    """Write ``folder/transactions.parquet`` (canonical schema) and return what is in it."""
    import numpy as np
    import pandas as pd

    from impact.ingest.names import normalise_names
    from impact.synthetic.factories import make_transactions

    rng = np.random.default_rng(seed)
    reg = pd.read_csv(
        reference / "suppliers" / "supplier_locations_combined_geocoded.csv", dtype="string"
    )
    reg = reg.drop_duplicates("supplier_name").reset_index(drop=True)
    fake = pd.Series([f"Nowhere Trading {i} Ltd" for i in range(N_UNRESOLVABLE)], dtype="string")
    names = pd.concat([reg["supplier_name"], fake], ignore_index=True)
    # mixed-case published spellings of the register names, as councils print them
    title = rng.random(len(names)) < 0.3
    names[title] = names[title].str.title()
    numbers = pd.concat(
        [reg["company_number"], pd.Series(pd.NA, index=range(len(fake)), dtype="string")],
        ignore_index=True,
    )
    numbers[rng.random(len(numbers)) < 0.67] = pd.NA  # councils rarely publish them
    tx = make_transactions(n, rng, suppliers=["placeholder"], council="Benchmark Council")
    pick = (rng.zipf(1.15, n) - 1) % len(names)
    pick = rng.permutation(len(names))[pick]  # popular suppliers spread over both kinds
    tx["supplier_name"] = names.to_numpy()[pick]
    tx["company_number"] = numbers.to_numpy()[pick]
    tx["supplier_name_norm"] = normalise_names(tx["supplier_name"])
    tx = tx.astype({"supplier_name": "string", "company_number": "string"})
    folder.mkdir(parents=True, exist_ok=True)
    tx.to_parquet(folder / "transactions.parquet", index=False)
    return {"rows": n, "suppliers": int(pd.Series(pick).nunique())}


def run(fuzzy: bool = False) -> list[Row]:
    rows: list[Row] = []
    data = shared_data()
    if data is None:
        print("bench_locate: ../shared/data not found; skipped", file=sys.stderr)
        return rows
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ingested"
        gen_s, info = timed(lambda: build_folder(folder, data))
        print(
            f"built {info['rows']:,} rows, {info['suppliers']:,} suppliers in {gen_s:.1f} s",
            file=sys.stderr,
        )
        code = CHILD_CODE.format(dir=str(folder), ref=str(data), fuzzy=False)
        first = json.loads(run_child(code)[2])
        rows.append(
            Row(
                "locate 1M rows + ward totals: first run (may build caches)",
                first["total"],
                "s",
                note=f"locate {first['locate']:.2f} s + join {first['join']:.2f} s",
            )
        )
        res = json.loads(run_child(code)[2])
        rss = res["rss_mb"]  # this child's own peak (run_child's is the max over all children)
        rows.append(
            Row(
                "locate 1M rows + ward totals (warm caches, fuzzy off)",
                res["total"],
                "s",
                target=TARGET_S,
                note=(
                    f"locate {res['locate']:.2f} s + join/total {res['join']:.2f} s; "
                    f"{res['located']:,}/{res['suppliers']:,} suppliers located, "
                    f"{res['share_located']:.1%} of spend; {res['wards']:,} wards; "
                    f"imports {res['import']:.1f} s not counted; process CPU {res['cpu']:.1f} s"
                ),
            )
        )
        rows.append(
            Row(
                "locate 1M rows: peak RSS",
                rss,
                "MB",
                target=TARGET_MB,
                note="whole child process, imports included",
            )
        )
        if fuzzy:
            fcode = CHILD_CODE.format(dir=str(folder), ref=str(data), fuzzy=True)
            try:
                f = json.loads(run_child(fcode)[2])
                frss = f["rss_mb"]
                rows.append(
                    Row(
                        "locate 1M rows + ward totals, fuzzy on",
                        f["total"],
                        "s",
                        note=f"{f['fuzzy']}; peak RSS {frss:,.0f} MB",
                    )
                )
            except RuntimeError as exc:
                rows.append(Row("locate 1M rows, fuzzy on", float("nan"), "s", note=str(exc)))
    return rows


if __name__ == "__main__":
    print_table(run(fuzzy="--fuzzy" in sys.argv))
