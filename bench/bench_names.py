"""Supplier-name normalisation: 1M spend rows with 5,000 distinct names in ≤ 10 s.

:func:`impact.ingest.names.normalise_names` normalises each distinct name once and maps
the result back, so its cost follows the distinct names more than the rows; a year of a
large council's spend is about a million rows.  Prints only; what the names become is
tested in ``tests/test_names.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.common import Row, print_table, timed

N_ROWS = 1_000_000
TARGET_S = 10.0


def spend_names(n_rows: int, n_distinct: int, seed: int = 0) -> pd.Series:
    """``n_rows`` supplier names drawn from ``n_distinct`` spellings ("SUPPLIER 7 LTD")."""
    rng = np.random.default_rng(seed)
    uniq = [f"SUPPLIER {i} {'LTD' if i % 2 else 'Limited'}" for i in range(n_distinct)]
    return pd.Series(rng.choice(uniq, n_rows))


def run(quick: bool = False) -> list[Row]:
    from impact.ingest.names import normalise_names

    normalise_names(spend_names(1_000, 100))  # imports and compiled patterns
    rows = []
    for n_distinct in (5_000,) if quick else (5_000, 100_000):
        names = spend_names(N_ROWS, n_distinct)
        t, out = timed(lambda names=names: normalise_names(names))
        rows.append(
            Row(
                f"normalise_names: {N_ROWS:,} rows, {n_distinct:,} distinct",
                t,
                "s",
                target=TARGET_S if n_distinct == 5_000 else None,
                note=f"{out.nunique():,} normalised names",
            )
        )
    return rows


if __name__ == "__main__":
    print_table(run())
