"""LM3 Monte Carlo speed: 1,000 draws × 10,000 suppliers (target ≤ 1 s), and a real council.

The fit includes the central figures, the breakdowns and the Monte Carlo; draws are per
prior row, so the cost is dominated by aggregating the supplier table, not by the draws.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import Row, print_table, shared_data, timed


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


if __name__ == "__main__":
    print_table(run())
    sys.exit(0)
