"""LM3 Monte Carlo speed: 1,000 draws × 10,000 suppliers (target ≤ 1 s), and a real council.

The fit includes the central figures, the breakdowns and the Monte Carlo; draws are per
prior row, so the cost is dominated by aggregating the supplier table, not by the draws.
Without ``--quick``, Manchester's spend also goes from files to LM3 as a user runs it
(``impact ingest``, ``impact locate``, then 300 draws) in ≤ 120 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import ROOT, Row, print_table, shared_data, timed

MANCHESTER_TARGET_S = 120.0


def synthetic_spend(n: int = 10_000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "supplier_key": [f"s{i}" for i in range(n)],
            "directorate": rng.choice(["Adults", "Children", "Place", "Corporate"], n),
            "amount": rng.lognormal(9, 2, n),
            "local_status": rng.choice(["local", "non_local", "unknown"], n, p=[0.3, 0.4, 0.3]),
            "supplier_class": rng.choice(["company", "vcse", "unknown"], n, p=[0.7, 0.1, 0.2]),
            "sic_section": rng.choice(["F", "Q", "G", "N", "M", None], n),
            "ward_code": rng.choice([f"W{i}" for i in range(30)], n),
            "ward_name": "ward",
        }
    )


def run(quick: bool = False) -> list[Row]:
    from impact.analysis.multiplier import LM3Model, ModelSettings, run_model

    rows = []
    spend = synthetic_spend()
    LM3Model(n_draws=10).fit(spend)  # warm imports
    best = min(timed(lambda: LM3Model(n_draws=1000).fit(spend))[0] for _ in range(3))
    rows.append(
        Row(
            "LM3 fit, 1,000 draws × 10,000 suppliers",
            best,
            "s",
            target=1.0,
            note="best of 3; includes breakdowns",
        )
    )
    for n in () if quick else (100_000,):
        big = synthetic_spend(n)
        t, _ = timed(lambda big=big: LM3Model(n_draws=1000).fit(big))
        rows.append(Row(f"LM3 fit, 1,000 draws × {n:,} supplier rows", t, "s"))
    data = shared_data()
    if data is not None and not quick:
        rows.append(manchester_end_to_end(data))
    tmp = Path("/tmp/lm3man")
    if data is not None and (tmp / "suppliers.parquet").is_file():
        s = ModelSettings(lad_codes=("E08000003",))
        t, res = timed(lambda: run_model(tmp, s))
        rows.append(
            Row(
                "run_model on Manchester (ingested+located in /tmp/lm3man)",
                t,
                "s",
                note=f"LM3 P50 {res.model.lm3_p50_:.3f}",
            )
        )
    return rows


def _cli(*args: str) -> None:
    """Run ``impact ARGS`` in a fresh process, as a user would; fail with its last line."""
    proc = subprocess.run(
        [sys.executable, "-m", "impact.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError((proc.stderr.strip().splitlines() or ["failed"])[-1])


def manchester_end_to_end(data: Path) -> Row:
    """Manchester's spend files to an LM3 band: ingest and locate through the command line
    (fresh processes, imports included), then the model with 300 draws."""
    from impact.analysis.multiplier import ModelSettings, run_model

    spend = str(data / "spend" / "manchester")
    settings = ModelSettings(lad_codes=("E08000003",), n_draws=300)
    with tempfile.TemporaryDirectory() as out:
        t_ingest, _ = timed(lambda: _cli("ingest", spend, "--council", "Manchester", "--out", out))
        t_locate, _ = timed(lambda: _cli("locate", out, "--reference", str(data)))
        t_model, res = timed(lambda: run_model(Path(out), settings))
    return Row(
        "Manchester end to end: ingest + locate (command line) + LM3 300 draws",
        t_ingest + t_locate + t_model,
        "s",
        target=MANCHESTER_TARGET_S,
        note=(
            f"ingest {t_ingest:.1f} s + locate {t_locate:.1f} s + model {t_model:.1f} s; "
            f"LM3 P50 {res.model.lm3_p50_:.3f}"
        ),
    )


if __name__ == "__main__":
    print_table(run())
    sys.exit(0)
