"""Payment checks on 1M synthetic payments with anomalies planted at known rows: recall and
precision per check, time and memory (issue 22).

Targets: recall ≥ 0.95 and precision ≥ 0.9 for duplicates and splits; every check over 1M
payments in ≤ 10 s and ≤ 1.5 GB.  Data: :func:`impact.synthetic.anomalies.planted_payments`
(the synthetic national dataset with duplicates, splits and payments to closed companies
planted, and their look-alikes: lines published in two files, credits and re-payments,
weekly and monthly instalments, two suppliers with one name, batches at one rate, weekly
invoices, one invoice in lines, companies closed after their last payment), generated once
into the cache folder.  A finding counts as right when its rows hold a planted anomaly;
precision is right findings over all findings of the check, recall planted anomalies found
over planted.  Reported at high and medium confidence (what the page shows first) and at
every confidence.

The peer: the duplicate test as the widest open-source analyser runs it (same supplier and
amount within the window, no filters), on the same rows in the same run — its time, and its
precision, which is what the false-positive filters buy.  Every timing runs in a fresh
process (imports not counted in the check time, counted in the RSS); figures, never
assertions.  ``quick``: 200,000 payments.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bench.common import Row, run_child

ROWS, QUICK_ROWS, SEED = 1_000_000, 200_000, 2025
TARGET_S, TARGET_MB = 10.0, 1536.0
TARGET_RECALL, TARGET_PRECISION = 0.95, 0.9
CACHE = Path(tempfile.gettempdir()) / "impact-bench" / "checks"

MAKE = """
import json, pickle
from pathlib import Path
from impact.synthetic.anomalies import planted_payments
pl = planted_payments({rows}, councils=max({rows} // 100_000, 2), seed={seed})
folder = Path({folder!r})
folder.mkdir(parents=True, exist_ok=True)
pl.payments.to_parquet(folder / "payments.parquet", index=False)
pl.statuses.to_parquet(folder / "statuses.parquet", index=False)
truth = {{"duplicates": pl.duplicates, "splits": pl.splits, "closed_rows": pl.closed_rows}}
(folder / "truth.json").write_text(json.dumps(truth))
print(json.dumps({{"rows": len(pl.payments)}}))
"""

RUN = """
import json, resource, time
import pandas as pd
from impact.analysis.findings import run_checks
folder = {folder!r}
tx = pd.read_parquet(folder + "/payments.parquet")
st = pd.read_parquet(folder + "/statuses.parquet")
run_checks(tx.head(2000), st)  # imports and first-call set-up, not counted
t0, c0 = time.perf_counter(), time.process_time()
run = run_checks(tx, st)
s, cpu = time.perf_counter() - t0, time.process_time() - c0
f = run.findings[["check", "confidence", "rows"]]
out = [{{"check": c, "confidence": k, "rows": r.tolist()}} for c, k, r in f.itertuples(index=False)]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"s": s, "cpu": cpu, "rss_mb": rss, "rows": len(tx), "findings": out,
                  "duplicate_filters": run.results["duplicate"].stats}}))
"""

PEER = """
import json, time
import pandas as pd
folder = {folder!r}
tx = pd.read_parquet(folder + "/payments.parquet", columns=["supplier_name_norm", "amount",
                                                             "date"])
tx = tx[tx["amount"] > 0].reset_index(names="row")
t0 = time.perf_counter()
m = tx.merge(tx, on=["supplier_name_norm", "amount"], suffixes=("_a", "_b"))
m = m[(m["row_a"] < m["row_b"]) & ((m["date_b"] - m["date_a"]).abs().dt.days <= 14)]
s = time.perf_counter() - t0
print(json.dumps({{"s": s, "pairs": m[["row_a", "row_b"]].to_numpy().tolist()}}))
"""


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def _data(rows: int) -> tuple[Path, float | None]:
    """The cached planted dataset (made when missing): its folder and the time it took."""
    folder = CACHE / f"rows-{rows}-seed-{SEED}"
    if (folder / "truth.json").is_file():
        return folder, None
    wall, _, _ = run_child(MAKE.format(rows=rows, seed=SEED, folder=str(folder)))
    return folder, wall


def _scores(findings: list[dict], truth: dict, check: str, levels: set[str],
            planted: list[list[int]]) -> tuple[float, float, int]:
    """(recall, precision, findings) of ``check`` at ``levels``: a planted set is found when
    one finding holds all its rows; a finding is right when it holds a planted row."""
    mine = [set(f["rows"]) for f in findings if f["check"] == check and f["confidence"]
            in levels]
    owner: dict[int, set[int]] = {}
    for i, rows in enumerate(mine):
        for r in rows:
            owner.setdefault(r, set()).add(i)
    found = sum(bool(set.intersection(*(owner.get(r, set()) for r in p))) for p in planted)
    rows = {r for p in planted for r in p}
    right = sum(bool(f & rows) for f in mine)
    return found / max(len(planted), 1), right / max(len(mine), 1), len(mine)


def _closed(findings: list[dict], truth: dict) -> tuple[float, float]:
    """(recall, precision) over payment rows paid after a company closed."""
    flagged = {r for f in findings if f["check"] == "dissolved" for r in f["rows"]}
    planted = set(truth["closed_rows"])
    return (len(flagged & planted) / max(len(planted), 1),
            len(flagged & planted) / max(len(flagged), 1))


def _peer_precision(pairs: list[list[int]], truth: dict) -> float:
    planted = {tuple(sorted(p)) for p in truth["duplicates"]}
    return sum(tuple(sorted(p)) in planted for p in pairs) / max(len(pairs), 1)


def _quality_rows(res: dict, truth: dict, peer: dict) -> list[Row]:
    out = []
    for check, planted, title in (("duplicate", [list(p) for p in truth["duplicates"]],
                                   "duplicates"), ("split", truth["splits"], "splits")):
        for levels, said in (({"high", "medium"}, "high+medium"),
                             ({"high", "medium", "low"}, "any confidence")):
            recall, precision, n = _scores(res["findings"], truth, check, levels, planted)
            note = f"{len(planted):,} planted, {n:,} findings"
            if check == "split" and said == "high+medium":
                note += "; " + _split_parts(res["findings"], truth)
            out += [Row(f"checks: {title} recall ({said})", recall, "share",
                        note=note + f"; target ≥ {TARGET_RECALL}"),
                    Row(f"checks: {title} precision ({said})", precision, "share",
                        peer=_peer_precision(peer["pairs"], truth) if check == "duplicate"
                        else None, peer_name="naive same-supplier-and-amount test",
                        note=f"target ≥ {TARGET_PRECISION}")]
    recall, precision = _closed(res["findings"], truth)
    out += [Row("checks: paid after closing recall", recall, "share",
                note=f"{len(truth['closed_rows']):,} planted payment rows"),
            Row("checks: paid after closing precision", precision, "share")]
    return out


def _split_parts(findings: list[dict], truth: dict) -> str:
    """Recall of planted splits by how many parts they have."""
    said = []
    for k in (2, 3, 4):
        planted = [p for p in truth["splits"] if len(p) == k]
        recall, _, _ = _scores(findings, truth, "split", {"high", "medium"}, planted)
        said.append(f"{k} parts {recall:.2f}")
    return "recall by parts: " + ", ".join(said)


def run(quick: bool = False) -> list[Row]:
    rows = QUICK_ROWS if quick else ROWS
    folder, made = _data(rows)
    truth = json.loads((folder / "truth.json").read_text())
    _, _, out = run_child(RUN.format(folder=str(folder)))
    res = last_json(out)
    _, _, peer_out = run_child(PEER.format(folder=str(folder)))
    peer = last_json(peer_out)
    f = res["duplicate_filters"]
    removed = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in f["removed_by_filter"].items()
                        if v)
    result = [
        Row(f"checks: every check over {res['rows']:,} payments", res["s"], "s",
            target=TARGET_S, peer=peer["s"], peer_name="naive duplicate self-merge",
            note=f"process CPU {res['cpu']:.2f} s; {len(res['findings']):,} findings; "
            "imports and set-up not counted"),
        Row(f"checks: every check over {res['rows']:,} payments, peak RSS", res["rss_mb"],
            "MB", target=TARGET_MB, note="whole child process: imports and reading the "
            "Parquet included"),
        Row("checks: duplicate candidate pairs removed by each filter",
            float(f["candidate_pairs"]), "pairs", note=removed),
    ]
    if made is not None:
        result.append(Row("checks: planting the synthetic dataset (once, cached)", made, "s"))
    return result + _quality_rows(res, truth, peer)


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run(quick="--quick" in sys.argv))
