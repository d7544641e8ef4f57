"""Splink name linkage: how right (the labelled spellings' held-back half, precision, recall,
top-3 suggestions) and how fast (2,000 spend names against the combined register and 1M names).

Run: ``.venv/bin/python bench/bench_linkage.py`` (prints details) or ``python -m bench
--only linkage`` (rows of the one table).  Prints only (no asserts).  Needs the shared public
data for the real register; the 1M register is synthetic and deterministic.
"""

from __future__ import annotations

import glob
import time

import numpy as np
import pandas as pd
import psutil

from bench.common import Row, shared_data_dir
from impact.ingest.names import normalise_names
from impact.places import linkage_eval
from impact.places.linkage import link_names_with_diagnostics

_WORDS = (
    "ACME NORTH SOUTH WEST EAST PENNINE LANCASHIRE BRIGHT OAK ORCHARD MOOR VALLEY RIVER "
    "STONE IRON GREEN BLUE RED HILL FIELD BRIDGE CASTLE ABBEY MILL PARK ROYAL CROWN STAR "
    "ALPHA DELTA OMEGA APEX SUMMIT PIONEER UNITED PREMIER CITY COUNTY HERITAGE EVERGREEN"
)
_TRADES = (
    "BUILDING PLUMBING ELECTRICAL CARE HOMES CLEANING SECURITY CATERING TRANSPORT "
    "LOGISTICS CONSULTING SURVEYORS ROOFING JOINERY LANDSCAPES RECRUITMENT SOLUTIONS "
    "SYSTEMS SUPPLIES ENGINEERING DENTAL PRINTING MEDIA DESIGN TRAINING"
)
WORDS = _WORDS.split()
TRADES = _TRADES.split()
SUFFIXES = ["SERVICES", "GROUP", "HOLDINGS", "UK", "CONTRACTORS", "PARTNERS", "", "", ""]


def synthetic_register(n: int, seed: int = 7) -> pd.DataFrame:
    """Deterministic company-like names: word + optional word/number + trade + suffix."""
    rng = np.random.default_rng(seed)
    w1 = np.array(WORDS)[rng.integers(0, len(WORDS), n)]
    w2 = np.where(rng.random(n) < 0.5, np.array(WORDS)[rng.integers(0, len(WORDS), n)],
                  rng.integers(1, 999, n).astype(str))
    trade = np.array(TRADES)[rng.integers(0, len(TRADES), n)]
    suffix = np.array(SUFFIXES)[rng.integers(0, len(SUFFIXES), n)]
    names = pd.Series(w1) + " " + w2 + " " + trade + " " + suffix
    return pd.DataFrame({"key": [f"S{i}" for i in range(n)],
                         "name_norm": names.str.strip().to_numpy()})


def spend_names(n: int) -> pd.DataFrame:
    files = sorted(glob.glob(str(shared_data_dir() / "spend/hyndburn/*.csv")))
    names = []
    for f in files:
        df = pd.read_csv(f, encoding="cp1252", dtype=str, on_bad_lines="skip",
                         encoding_errors="replace")
        col = next((c for c in df.columns if c.strip().startswith("Name")), None)
        if col:
            names.append(df[col])
    norm = normalise_names(pd.concat(names)).dropna().drop_duplicates()
    norm = norm[norm != "REDACTED"].sort_values().head(n)
    return pd.DataFrame({"key": [f"L{i}" for i in range(len(norm))], "name_norm": norm.to_numpy()})


def measure(label: str, left: pd.DataFrame, right: pd.DataFrame) -> Row:
    """Link ``left`` to ``right`` once; print the details, return the timing row."""
    proc = psutil.Process()
    t0 = time.perf_counter()
    links, diag = link_names_with_diagnostics(left, right)
    dt = time.perf_counter() - t0
    print(f"{label}: {len(left):,} x {len(right):,} in {dt:.1f}s; pairs compared "
          f"{diag.pairs_compared:,}; links >= 0.9: {len(links):,}; RSS now "
          f"{proc.memory_info().rss / 2**20:,.0f} MiB; u={diag.u_source} m={diag.m_source}")
    for r in diag.blocking_rules:
        print(f"   rule {r['rule']}: {r['pairs_before_dedupe']:,} pairs")
    for r in diag.skipped_rules:
        print(f"   skipped {r['rule']}: {r['reason']}")
    return Row(f"linkage: {len(left):,} names × {label} ({len(right):,})", dt, "s",
               note=f"{diag.pairs_compared:,} pairs compared; {len(links):,} links ≥ 0.9")


def quality(half: str = "report") -> list[Row]:
    """Precision, recall and top-3 suggestion recall of the spelling variants on one half of
    the labelled spellings (:mod:`impact.places.linkage_eval`), for the calibrated method
    and the old placing rule (probability 0.9, 0.1 clear of the runner-up) beside it."""
    data = shared_data_dir()
    evalset = linkage_eval.evaluation_set(
        linkage_eval.read_labelled(data / "organisations/nwod_gm2019_supplier_matches.csv"),
        linkage_eval.read_distractors(data / "suppliers/gender_pay_gap_employers_2019_2023.csv"))
    t0 = time.perf_counter()
    scores = {"calibrated": linkage_eval.evaluate(linkage_eval.exact_then_model(), evalset, half)}
    dt = time.perf_counter() - t0
    scores["p 0.9 rule"] = linkage_eval.evaluate(linkage_eval.exact_then_splink(), evalset, half)
    print(linkage_eval.score_table(scores).to_string(index=False))
    v, old = scores["calibrated"]["variants"], scores["p 0.9 rule"]["variants"]
    n = f"{v.in_register} variants in the {half} half"
    return [
        Row("linkage: placing precision, spelling variants", v.precision, "share",
            note=f"target ≥ 0.98; {n}; old rule {old.precision:.3f}"),
        Row("linkage: placing recall, spelling variants", v.recall, "share",
            note=f"target ≥ 0.5; old rule {old.recall:.3f}"),
        Row("linkage: right company in top-3 suggestions", v.top3_recall, "share",
            note=f"target ≥ 0.8; old rule {old.top3_recall:.3f}"),
        Row("linkage: evaluation run (half of 4.4k names × 13.8k)", dt, "s"),
    ]


def run(quick: bool = False) -> list[Row]:
    """The table's rows: the labelled spellings' scores, the real combined register, then
    (unless quick) 1M synthetic names."""
    if not (shared_data_dir() / "spend" / "hyndburn").is_dir():
        print("bench_linkage: shared data not found; skipped")
        return []
    rows = quality()
    left = spend_names(2000)
    reg = pd.read_csv(shared_data_dir() / "suppliers/supplier_locations_combined_geocoded.csv",
                      dtype=str)
    right = pd.DataFrame({"key": reg.index.astype(str),
                          "name_norm": normalise_names(reg["supplier_name"]).to_numpy()})
    rows.append(measure("combined register", left, right))
    if quick:
        print("bench_linkage: --quick, 1M synthetic register skipped")
    else:
        rows.append(measure("synthetic 1M register", left, synthetic_register(1_000_000)))
    return rows


def main() -> None:
    for row in quality():
        print(f"{row.metric}: {row.value:.3f} {row.unit} ({row.note})")
    left = spend_names(2000)
    reg = pd.read_csv(shared_data_dir() / "suppliers/supplier_locations_combined_geocoded.csv",
                      dtype=str)
    right = pd.DataFrame({"key": reg.index.astype(str),
                          "name_norm": normalise_names(reg["supplier_name"]).to_numpy()})
    measure("combined register", left, right)
    big = synthetic_register(1_000_000)
    measure("synthetic 1M register", left, big)
    peak = getattr(psutil.Process().memory_info(), "peak_wset", None)
    try:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:  # pragma: no cover - non-POSIX
        pass
    print(f"peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
