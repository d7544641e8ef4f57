"""Which areas are left behind, and where spend could do most: a rule and a ranking to read.

Both are deliberately simple arithmetic on columns the user can see, so a councillor can
check any area by hand.  The rule flags deprived areas the council's spend barely reaches;
the ranking combines *need* (national deprivation), *gap* (spend reach below the area's
need-weighted fair share) and *capacity* (local suppliers in or next to the area).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

N_LSOA = {"2025": 33_755, "2019": 32_844}


@dataclass(frozen=True)
class LeftBehindRule:
    """An area is left behind when it is deprived nationally *and* little spend reaches it.

    ``max_decile``/``min_share``: at least ``min_share`` of its residents live in LSOAs in
    national IMD deciles 1…``max_decile`` (for an LSOA: the LSOA itself is in them).
    ``reach_quantile``: its spend per resident is in the lowest ``reach_quantile`` of the
    council's areas (ties at the cut count as low; areas with £0 are always low).
    """

    max_decile: int = 2
    min_share: float = 0.5
    reach_quantile: float = 1 / 3

    def __post_init__(self) -> None:
        if not 1 <= self.max_decile <= 10:
            raise ValueError("max_decile must be 1 to 10")
        if not 0 < self.min_share <= 1:
            raise ValueError("min_share must be above 0 and at most 1")
        if not 0 < self.reach_quantile <= 1:
            raise ValueError("reach_quantile must be above 0 and at most 1")

    def describe(self) -> str:
        deciles = "decile 1" if self.max_decile == 1 else f"deciles 1–{self.max_decile}"
        pct = 100 * self.max_decile / 10
        share = "all" if self.min_share >= 1 else f"at least {self.min_share:.0%}"
        return (
            f"An area is 'left behind' when {share} of its residents live in neighbourhoods in "
            f"national IMD {deciles} (the most deprived {pct:.0f} % in England) and its council "
            f"spend per resident is in the lowest {_fraction(self.reach_quantile)} of the "
            "council's areas."
        )

    def apply(self, table: pd.DataFrame, council: pd.Series | None = None) -> pd.Series:
        """Boolean flag per row; ``council`` marks the rows the spend comparison uses."""
        inside = council if council is not None else pd.Series(True, index=table.index)
        share = _share_deprived(table, self.max_decile)
        reach = pd.to_numeric(table["spend_per_resident"], errors="coerce").fillna(0.0)
        cut = reach[inside].quantile(self.reach_quantile) if inside.any() else 0.0
        return (share >= self.min_share) & (reach <= cut) & inside


def _fraction(q: float) -> str:
    names = {1 / 3: "third", 1 / 4: "quarter", 1 / 2: "half", 1 / 5: "fifth"}
    for v, name in names.items():
        if abs(q - v) < 1e-9:
            return name
    return f"{q:.0%}"


def _share_deprived(table: pd.DataFrame, max_decile: int) -> pd.Series:
    col = f"share_pop_decile1_{max_decile}"
    if max_decile == 2 and "share_pop_decile1_2" in table:
        return table["share_pop_decile1_2"].astype(float).fillna(0.0)
    if max_decile == 1 and "share_pop_decile1" in table:
        return table["share_pop_decile1"].astype(float).fillna(0.0)
    if col in table:
        return table[col].astype(float).fillna(0.0)
    if "imd_decile" in table:
        return (pd.to_numeric(table["imd_decile"], errors="coerce") <= max_decile).astype(float)
    raise ValueError(f"the area table has no {col} or imd_decile column for the rule")


@dataclass(frozen=True)
class OpportunityWeights:
    """How much need, gap and capacity count in the score (normalised to sum to 1)."""

    need: float = 0.4
    gap: float = 0.4
    capacity: float = 0.2

    def normalised(self) -> tuple[float, float, float]:
        total = self.need + self.gap + self.capacity
        if min(self.need, self.gap, self.capacity) < 0 or total <= 0:
            raise ValueError("opportunity weights must be non-negative and not all zero")
        return self.need / total, self.gap / total, self.capacity / total


@dataclass(frozen=True)
class ScenarioTarget:
    """Areas chosen for a scenario: what the Scenarios module takes as a target."""

    unit: str
    codes: tuple[str, ...]
    label: str = ""


def opportunity(
    table: pd.DataFrame,
    adjacency: sparse.spmatrix,
    weights: OpportunityWeights = OpportunityWeights(),
    imd: str = "2025",
    reach_known: bool = True,
) -> pd.DataFrame:
    """Opportunity score 0–100 per area of ``table`` (the council's areas), with its parts.

    * ``need`` = 1 − (population-weighted mean national IMD rank ÷ number of LSOAs):
      0.9 means residents' neighbourhoods rank on average in the most deprived 10 %.
    * ``fair_share`` = the area's share of the council's population × need; ``reach_ratio``
      = its actual share of the council's local spend ÷ that fair share; ``gap`` =
      max(0, 1 − reach_ratio): 1 when nothing reaches it, 0 at or above its fair share.
    * ``capacity`` = percentile (0–1, among these areas) of local suppliers in the area or
      touching it (``suppliers_near``); companies and VCSEs are counted by kind.

    Score = 100 × (w_need·need + w_gap·gap + w_capacity·capacity), weights summing to 1.
    Columns: the parts, each part's points (``need_points`` …), ``score``, ``rank`` and
    a ``reason`` naming the strongest parts first.

    ``reach_known`` False (too little spend placed at area level: the one gate): an area
    with no placed spend may be reached by spend not yet placed, so the gap is unknown —
    NaN, no gap points, and the score weighs need and capacity alone.
    """
    if not reach_known:
        weights = OpportunityWeights(weights.need, 0.0, weights.capacity)
    wn, wg, wc = weights.normalised()
    out = pd.DataFrame({"code": table["code"].astype(str).to_numpy()}, index=table.index)
    rank = pd.to_numeric(table["imd_rank"], errors="coerce")
    out["need"] = (1 - rank / N_LSOA[imd]).clip(0, 1).fillna(0.0)
    pop = pd.to_numeric(table["population"], errors="coerce").fillna(0.0)
    spend = pd.to_numeric(table["spend"], errors="coerce").fillna(0.0)
    weight = pop * out["need"]
    fair = weight / weight.sum() if weight.sum() > 0 else weight * 0.0
    actual = spend / spend.sum() if spend.sum() > 0 else spend * 0.0
    out["fair_share"] = fair
    out["actual_share"] = actual
    out["reach_ratio"] = (actual / fair).where(fair > 0)
    out["gap"] = (1 - out["reach_ratio"]).clip(0, 1).fillna(0.0) if reach_known else np.nan
    adj = sparse.csr_matrix(adjacency, dtype=float)
    counts = {}
    for kind in ("company", "vcse", "other"):
        col = f"suppliers_{kind}"
        own = pd.to_numeric(table.get(col, 0), errors="coerce")
        own = np.broadcast_to(np.nan_to_num(np.asarray(own, dtype=float)), (len(table),))
        counts[kind] = own + adj @ own
    near = counts["company"] + counts["vcse"] + counts["other"]
    out["suppliers_near"] = near.astype(int)
    out["companies_near"] = counts["company"].astype(int)
    out["vcse_near"] = counts["vcse"].astype(int)
    out["capacity"] = pd.Series(near, index=out.index).rank(pct=True, method="average")
    if len(out) and np.ptp(near) == 0:
        out["capacity"] = 0.5 if near[0] > 0 else 0.0
    out["need_points"] = 100 * wn * out["need"]
    out["gap_points"] = 100 * wg * out["gap"].fillna(0.0)
    out["capacity_points"] = 100 * wc * out["capacity"]
    out["score"] = out[["need_points", "gap_points", "capacity_points"]].sum(axis=1)
    out["spend_per_resident"] = pd.to_numeric(table["spend_per_resident"], errors="coerce")
    out["reason"] = _reasons(out)
    out["rank"] = out["score"].rank(ascending=False, method="first").astype(int)
    return out


def _reasons(o: pd.DataFrame) -> list[str]:
    texts = []
    for r in o.itertuples(index=False):  # one short sentence per area: hundreds of rows at most
        top = max(1, round(100 * (1 - r.need)))
        need = (
            f"its residents' neighbourhoods rank on average in the most deprived {top} % "
            "of England"
            if r.need >= 0.5
            else f"its neighbourhoods are less deprived than England's middle (average rank "
            f"{top} % of the way from most to least deprived)"
        )
        spr = (
            "" if pd.isna(r.spend_per_resident) else f", £{r.spend_per_resident:,.0f} per resident"
        )
        ratio = 0.0 if pd.isna(r.reach_ratio) else r.reach_ratio
        gap = (f"it receives {ratio:.0%} of its need-weighted fair share of placed local "
               f"spend{spr}" if ratio > 0 else "no placed local spend reaches it")
        if pd.isna(r.gap):
            gap = ("how much spend reaches it is not known yet (too little is placed at "
                   "this level)")
        cap = (
            f"{r.suppliers_near} local suppliers are in or next to it "
            f"({r.companies_near} companies, {r.vcse_near} VCSE)"
        )
        parts = sorted(
            [(r.need_points, need), (r.gap_points, gap), (r.capacity_points, cap)],
            key=lambda p: -p[0],
        )
        texts.append(f"Score {r.score:.0f}: " + "; ".join(p[1] for p in parts) + ".")
    return texts


def area_deciles(areas: pd.DataFrame, imd: str = "2025") -> pd.Series:
    """Area code → IMD decile of the area's population-weighted mean national rank."""
    if "imd_rank" not in areas or len(areas) == 0:
        return pd.Series(dtype="float64")
    rank = pd.to_numeric(areas["imd_rank"], errors="coerce")
    dec = np.ceil(rank / N_LSOA[imd] * 10).clip(1, 10)
    return pd.Series(dec.to_numpy(), index=areas["code"].astype(str).to_numpy())


def target(ranking: pd.DataFrame, unit: str, top: int = 10, label: str = "") -> ScenarioTarget:
    """The ``top`` highest-scoring areas as a scenario target."""
    best = ranking.sort_values(["score", "code"], ascending=[False, True]).head(top)
    codes = tuple(best["code"].astype(str))
    return ScenarioTarget(unit, codes, label or f"top {top} opportunities")


HOW_OPPORTUNITY = (
    "Opportunity score (0–100) = need points + gap points + capacity points. Need: "
    "1 − the population-weighted average national IMD rank of the area's neighbourhoods ÷ "
    "the number of neighbourhoods in England. Gap: how far the area's share of the council's "
    "located local spend falls short of its fair share (its share of population × need); 1 "
    "when no spend reaches it, 0 at or above its fair share. Capacity: percentile among the "
    "council's areas of local suppliers (companies, VCSEs; public bodies excluded) located "
    "in the area or an area touching it. Suppliers are placed by their registered or trading "
    "postcode, which may not be where the work is done."
)
