"""Hot and cold spots: where high (or low) values sit next to each other.

Local Moran's I (esda ``Moran_Local``) compares each area's value with the average of its
neighbours (row-standardised contiguity).  Significance comes from conditional permutations
with a fixed seed, so a rerun gives the same map.  With many areas some "significant" spots
appear by chance: the false-discovery-rate option (``esda.fdr``) raises the bar accordingly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

#: esda quadrant → class shown to users.
CLASSES: dict[int, str] = {
    1: "hot spot (high next to high)",
    2: "low next to high",
    3: "cold spot (low next to low)",
    4: "high next to low",
}
NOT_SIGNIFICANT = "not significant"


@dataclass
class HotSpots:
    """Local Moran's I per area.

    Attributes
    ----------
    table : ``I`` (local statistic), ``p`` (pseudo p-value from permutations),
        ``quadrant`` (1 high-high, 2 low-high, 3 low-low, 4 high-low) and ``spot`` (the class
        text, ``not significant`` unless ``p`` ≤ the threshold).  Prefer ``spot`` for maps.
    threshold : p-value cut-off used (``alpha``, or the FDR threshold when asked).
    global_i : global Moran's I of the same values (is there clustering at all?).
    """

    table: pd.DataFrame
    threshold: float
    global_i: float
    alpha: float
    fdr: bool
    permutations: int


#: The one hot-spot setting for the page, the board pack and the command line: the same
#: council always shows the same hot spots.
PERMUTATIONS = 999
SEED = 0


def local_moran(
    values: np.ndarray,
    adjacency: sparse.spmatrix,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
    alpha: float = 0.05,
    fdr: bool = False,
) -> HotSpots:
    """Local Moran's I of ``values`` on ``adjacency`` (areas with no neighbour are never spots).

    Missing values are replaced by the mean (they then add nothing to a neighbour's lag).
    """
    import esda
    from libpysal.graph import Graph

    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 3 or np.nanstd(y) == 0 or sparse.csr_matrix(adjacency).nnz == 0:
        table = pd.DataFrame(
            {"I": np.nan, "p": np.nan, "quadrant": 0, "spot": NOT_SIGNIFICANT}, index=range(n)
        )
        return HotSpots(table, alpha, float("nan"), alpha, fdr, permutations)
    y = np.where(np.isfinite(y), y, np.nanmean(y))
    adj = sparse.csr_matrix(adjacency, dtype=float)
    isolated = np.asarray(adj.sum(axis=1)).ravel() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = Graph.from_sparse(adj).transform("r")
        lm = esda.Moran_Local(
            y, graph, permutations=permutations, seed=seed, n_jobs=1, keep_simulations=False
        )
        gm = esda.Moran(y, graph, permutations=0)
    p = np.asarray(lm.p_sim, dtype=float)
    threshold = float(esda.fdr(p, alpha)) if fdr else alpha
    quad = np.asarray(lm.q, dtype=int)
    sig = (p <= threshold) & ~isolated
    spot = np.where(sig, pd.Series(quad).map(CLASSES).fillna(NOT_SIGNIFICANT), NOT_SIGNIFICANT)
    table = pd.DataFrame({"I": lm.Is, "p": p, "quadrant": quad, "spot": spot})
    return HotSpots(table, threshold, float(gm.I), alpha, fdr, permutations)


def describe(h: HotSpots, what: str) -> str:
    """How the hot spots of ``what`` were found, in one paragraph."""
    rule = (
        f"false-discovery-rate threshold p ≤ {h.threshold:.4f} (α = {h.alpha})"
        if h.fdr
        else f"p ≤ {h.alpha}"
    )
    counts = h.table["spot"].value_counts()
    found = ", ".join(f"{int(v)} {k}" for k, v in counts.items() if k != NOT_SIGNIFICANT)
    return (
        f"Hot spots of {what}: local Moran's I compares each area with the average of the areas "
        f"touching it; significance from {h.permutations} conditional permutations (fixed seed) "
        f"at {rule}. Global Moran's I = {h.global_i:.2f}. Found: {found or 'none'}."
    )
