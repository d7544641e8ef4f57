"""Register linkage at national size: 10⁶ payee names against a 5 × 10⁶-company register
(:mod:`impact.synthetic.linkage_national`), on DuckDB and on Spark local[2], with the
exact-normalised-name join beside it as the peer.

What is measured, each in a fresh process (time, peak RSS of the Python process and, on
Spark, of its JVM, sampled every half second):

* the data's generation (once, into the cache folder; never committed);
* blocking: on a 10⁵-payee sample against the whole register, the share of true pairs the
  budgeted rules keep (:func:`impact.places.linkage.blocking_report`) beside every rule at
  its loosest, with the pairs each generates;
* the linkage's recall with the budget and without (loose blocking) on a proportionate
  sample small enough for the loose run to finish;
* the placing threshold chosen again at national size (:func:`threshold`: 10⁵ payees in two
  halves, chosen on one, precision and recall on the other);
* the national run: the calibrated method (:func:`impact.places.linkage_eval.exact_then_model`)
  within :data:`impact.places.linkage.PAIRS_PER_NAME` pairs a name — precision, recall,
  placed share, pairs compared — and the exact join on the same names.

Run: ``nice -n 15 .venv/bin/python bench/bench_national_linkage.py [--quick] [--spark N]``.
Figures only, never assertions.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import Row, run_child

#: Blocking samples (payees, register rows): proportionate (what finished on 2 shared cores,
#: 2026-12-07), then against the whole register (the issue's 10⁵ × 5×10⁶ unless quick).
BLOCKING = ((10_000, 500_000), (100_000, 5_000_000))
#: The proportionate sample for the unbudgeted linkage run: payees and register rows.
SMALL = (10_000, 500_000)
#: Spark local[2] sizes (payees, register), largest last: the full size when it finishes.
SPARK_SIZES = ((5_000, 500_000), (100_000, 5_000_000))
#: Pair budgets per payee whose blocking recall is measured (the chosen one among them).
PER_NAME = (10, 30, 100, 300, 1000)

CHILD = """
import json
from bench.bench_national_linkage import {fn}
print(json.dumps({fn}(**{kwargs!r})))
"""


def _folder() -> Path:
    from impact.core.settings import settings
    from impact.synthetic.linkage_national import national_folder

    return national_folder(settings().cache_dir)


def _peak_sampler() -> Any:
    """Start sampling this process's and its children's (Spark's JVM) RSS; returns a
    function that stops sampling and gives the peaks in MB."""
    import threading

    import psutil

    me, peaks, stop = psutil.Process(), {"rss_mb": 0.0, "jvm_mb": 0.0}, threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                kids = sum(c.memory_info().rss for c in me.children(recursive=True))
                peaks["rss_mb"] = max(peaks["rss_mb"], me.memory_info().rss / 2**20)
                peaks["jvm_mb"] = max(peaks["jvm_mb"], kids / 2**20)
            except psutil.Error:
                pass
            stop.wait(0.5)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()

    def done() -> dict[str, float]:
        stop.set()
        thread.join()
        return peaks

    return done


def _load(n_payees: int, n_register: int) -> tuple[Any, Any]:
    """The first ``n_register`` register rows and ``n_payees`` payees whose company is among
    them or in no register (a proportionate sample), as :mod:`.linkage_eval` frames."""
    import pandas as pd
    import pyarrow.parquet as pq

    folder = _folder()
    reg = pq.read_table(folder / "register.parquet", columns=["company_number", "name"])
    reg = reg.slice(0, n_register).to_pandas()
    pay = pq.read_table(folder / "payees.parquet",
                        columns=["payee_key", "name", "truth", "variant"]).to_pandas()
    if n_register < 5_000_000:
        pay = pay[pay["truth"].isna() | (pay["truth"] < f"{n_register:08d}")]
    pay = pay.head(n_payees)
    left = pd.DataFrame({"key": pay["payee_key"], "name": pay["name"], "truth": pay["truth"],
                         "weight": 1.0, "variant": pay["variant"],
                         "kind": pay["truth"].isna().map({True: "withheld", False: "register"})})
    right = pd.DataFrame({"key": reg["company_number"], "name": reg["name"],
                          "company_number": reg["company_number"]})
    return left.reset_index(drop=True), right


def link(n_payees: int, n_register: int, engine: str = "duckdb",
         pairs_per_name: float | None = None) -> dict[str, Any]:
    """One run of the calibrated method (child process): time, memory, pairs, scores."""
    from impact.places.linkage import PAIRS_PER_NAME
    from impact.places.linkage_eval import exact_then_model, score

    left, right = _load(n_payees, n_register)
    budget = (pairs_per_name or PAIRS_PER_NAME) * len(left)
    diags: list = []
    done = _peak_sampler()
    t0 = time.perf_counter()
    cands = exact_then_model(max_pairs=budget, engine=engine, diagnostics=diags)(
        left[["key", "name"]], right)
    took = time.perf_counter() - t0
    peaks = done()
    s = score(left, right, cands)
    d = diags[0]
    return {"s": took, **peaks, "payees": len(left), "register": len(right),
            "pairs": d.pairs_compared, "budget": budget, "precision": s.precision,
            "recall": s.recall, "placed_share": s.placed / s.names,
            "top3_recall": s.top3_recall, "unregistered_placed": s.withheld_placed,
            "stages": d.stage_seconds, "rules": [r["sql"] for r in d.blocking_rules],
            "skipped": [r["rule"] for r in d.skipped_rules]}


def threshold(n_payees: int, n_register: int, save: str | None = None) -> dict[str, Any]:
    """The placing threshold chosen again at this register size (child process): the
    payees split in halves by a fixed hash (of the company number; of the payee for those
    with no register entry), :func:`impact.places.linkage_eval.choose_threshold` on the
    tuning half, precision and recall on the other half at that threshold and at
    :data:`impact.places.linkage.PLACE_BITS`, and each half's curve over :data:`CURVE_BITS`.
    ``save``: a parquet path for the scored candidates (for reading the wrong placements)."""
    from impact.places.linkage import PAIRS_PER_NAME, PLACE_BITS
    from impact.places.linkage_eval import choose_threshold, exact_then_model, halves, score

    left, right = _load(n_payees, n_register)
    left["half"] = halves(left["truth"].fillna("payee:" + left["key"]))
    diags: list = []
    t0 = time.perf_counter()
    cands = exact_then_model(threshold=float("inf"), max_pairs=PAIRS_PER_NAME * len(left),
                             diagnostics=diags)(left[["key", "name"]], right)
    took = time.perf_counter() - t0
    if save:
        cands.to_parquet(save)
    tune, report = (left[left["half"] == h] for h in ("tune", "report"))
    chosen = choose_threshold(tune, right, cands)

    def at(bits: float, names: Any) -> dict[str, float]:
        model = cands["source"] == "model"
        placed = cands["placed"].astype(bool) | (
            model & (cands["rank"] == 1) & cands["clear"].astype(bool)
            & cands["may_place"].fillna(False).astype(bool) & (cands["evidence_bits"] >= bits))
        s = score(names, right, cands.assign(placed=placed))
        return {"bits": bits, "precision": s.precision, "recall": s.recall,
                "placed_share": s.placed / s.names, "unregistered_placed": s.withheld_placed}

    return {"s": took, "payees": len(left), "register": len(right), "chosen_bits": chosen,
            "pairs": diags[0].pairs_compared, "stages": diags[0].stage_seconds,
            "report_at_chosen": at(chosen, report), "report_at_place_bits": at(PLACE_BITS, report),
            "curve": {h: [at(b, names) for b in CURVE_BITS]
                      for h, names in (("tune", tune), ("report", report))}}


#: Thresholds (bits of evidence) at which :func:`threshold` reports each half's precision.
CURVE_BITS = (11.4, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 22.0, float("inf"))


def exact(n_payees: int, n_register: int) -> dict[str, Any]:
    """The peer: the exact normalised name joined in DuckDB, placing a name that names one
    company (child process)."""
    import duckdb

    from impact.ingest.names import normalise_names
    from impact.places.linkage_eval import score

    left, right = _load(n_payees, n_register)
    done = _peak_sampler()
    t0 = time.perf_counter()
    ln = left.assign(name_norm=normalise_names(left["name"]))[["key", "name_norm"]]
    rn = right.assign(name_norm=normalise_names(right["name"]))[["key", "name_norm"]]
    con = duckdb.connect()
    con.register("ln", ln)
    con.register("rn", rn)
    cands = con.sql("""
        WITH r AS (SELECT name_norm, MIN(key) AS right_key, COUNT(*) AS n FROM rn
                   WHERE name_norm IS NOT NULL GROUP BY name_norm)
        SELECT ln.key AS left_key, r.right_key, 1 AS rank, r.n = 1 AS placed
        FROM ln JOIN r USING (name_norm)""").df()
    took = time.perf_counter() - t0
    peaks = done()
    s = score(left, right, cands)
    return {"s": took, **peaks, "payees": len(left), "precision": s.precision,
            "recall": s.recall, "placed_share": s.placed / s.names}


def blocking(n_payees: int, n_register: int) -> dict[str, Any]:
    """Budgeted (at each of :data:`PER_NAME` pairs a payee) against loose blocking, on the
    names exact matching leaves (child process)."""
    from impact.ingest.names import normalise_names
    from impact.places.linkage import PAIRS_PER_NAME, blocking_report

    left, right = _load(n_payees, n_register)
    ln = left.assign(name_norm=normalise_names(left["name"])).dropna(subset=["name_norm"])
    rn = right.assign(name_norm=normalise_names(right["name"])).dropna(subset=["name_norm"])
    rest = ln[~ln["name_norm"].isin(set(rn["name_norm"]))]
    pairs = rest[rest["truth"].notna()].rename(columns={"key": "left_key",
                                                        "truth": "right_key"})
    t0 = time.perf_counter()
    report = blocking_report(rest[["key", "name_norm"]], rn[["key", "name_norm"]], pairs,
                             budgets=[p * len(left) for p in PER_NAME])
    return {"s": time.perf_counter() - t0, "names": len(rest), "chosen":
            f"{PAIRS_PER_NAME * len(left):g}", **report}


def child(fn: str, **kwargs: Any) -> dict[str, Any]:
    """``fn(**kwargs)`` of this module in a fresh process, at low priority."""
    import json as _json

    out = run_child(CHILD.format(fn=fn, kwargs=kwargs))[2]
    return _json.loads(out.strip().splitlines()[-1])


def generate() -> list[Row]:
    """The synthetic register and payees, generated once (a row only when it happens)."""
    from impact.synthetic.linkage_national import PAYEES, REGISTER_SIZE, write_national

    took = write_national(_folder())
    return [Row(f"synthetic national register ({REGISTER_SIZE:,}) and payees ({PAYEES:,}), "
                "generated", sum(took.values()), "s", note=json.dumps(took))] if took else []


def run(quick: bool = False) -> list[Row]:
    """The table's rows (see the module's description)."""
    rows = generate()
    for n_payees, n_register in BLOCKING[:1] if quick else BLOCKING:
        b = child("blocking", n_payees=n_payees, n_register=n_register)
        bb, lo = b[b["chosen"]], b["loose"]
        rows.append(Row(f"national blocking: true pairs kept, budgeted rules ({n_payees:,} "
                        f"payees × {n_register:,})", bb["recall"], "share", peer=lo["recall"],
                        peer_name="loose rules",
                        note=f"{bb['pairs']:,} pairs against {lo['pairs']:,} loose; gap "
                             f"{100 * (lo['recall'] - bb['recall']):.2f} points; "
                             f"{b['names']:,} names exact matching leaves"))
    small = [child("link", n_payees=SMALL[0], n_register=SMALL[1], pairs_per_name=p)
             for p in (None, 1e9)]
    rows.append(Row("national linkage recall, budgeted vs unbudgeted (10⁴ × 5×10⁵ sample)",
                    small[0]["recall"], "share", peer=small[1]["recall"],
                    peer_name="unbudgeted", note=f"{small[0]['pairs']:,} against "
                    f"{small[1]['pairs']:,} pairs; gap "
                    f"{100 * (small[1]['recall'] - small[0]['recall']):.2f} points"))
    if not quick:
        rows += national_rows()
    return rows


def national_rows(spark_sizes: tuple[tuple[int, int], ...] = SPARK_SIZES) -> list[Row]:
    """10⁶ × 5×10⁶ on DuckDB with the exact join as peer; Spark local[2] at the sizes given."""
    peer = child("exact", n_payees=1_000_000, n_register=5_000_000)
    duck = child("link", n_payees=1_000_000, n_register=5_000_000)
    rows = [_link_row(duck, "DuckDB", peer), _threshold_row(
        child("threshold", n_payees=100_000, n_register=5_000_000))]
    for n_payees, n_register in spark_sizes:
        rows.append(_link_row(child("link", n_payees=n_payees, n_register=n_register,
                                    engine="spark"), "Spark local[2]", None))
    return rows


def _threshold_row(r: dict[str, Any]) -> Row:
    at, base = r["report_at_chosen"], r["report_at_place_bits"]
    return Row(f"national placing threshold chosen again ({r['payees']:,} payees × "
               f"{r['register']:,}, tuning half)", r["chosen_bits"], "bits",
               note=f"other half at it: precision {at['precision']:.4f}, recall "
                    f"{at['recall']:.3f}, {at['unregistered_placed']:,} unregistered placed; "
                    f"at PLACE_BITS: {base['precision']:.4f}, {base['recall']:.3f}, "
                    f"{base['unregistered_placed']:,}; {r['pairs']:,} pairs in {r['s']:.0f} s")


def _link_row(r: dict[str, Any], engine: str, peer: dict[str, Any] | None) -> Row:
    jvm = f", JVM {r['jvm_mb']:,.0f} MB" if r["jvm_mb"] else ""
    return Row(f"national linkage: {r['payees']:,} payees × {r['register']:,} register, "
               f"{engine} (time)", r["s"], "s", peer=peer["s"] if peer else None,
               peer_name="exact join",
               note=f"peak RSS {r['rss_mb']:,.0f} MB{jvm}; {r['pairs']:,} pairs; precision "
                    f"{r['precision']:.3f}, recall {r['recall']:.3f}, placed "
                    f"{r['placed_share']:.3f}" + (f"; exact join: precision "
                    f"{peer['precision']:.3f}, recall {peer['recall']:.3f}" if peer else ""))


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run(quick="--quick" in sys.argv))
