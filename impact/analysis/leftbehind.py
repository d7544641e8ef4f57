"""Left-behind areas: one table per area, then clusters, hot spots, a rule and a ranking.

Councils first need to see what is missing and where it matters most.  This module builds
the per-area table (IoD domains, population and the council's located spend) for wards or
LSOAs 2021 of a council, a set of councils or all of England, and runs the analyses of
:mod:`impact.clustering`, :mod:`impact.hotspots` and :mod:`impact.opportunity` on it.
:func:`analyse_areas` is the one entry point for the app page; :func:`areas_for_folder` runs
it on a located folder for the ``impact areas`` command (:mod:`impact.cli`).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.analysis.clustering import (
    DEFAULT_FEATURES,
    AreaGraph,
    KMeansResult,
    area_graph,
    cluster_profiles,
    feature_catalogue,
    kmeans_clusters,
    lsoa_contiguity,
    order_clusters,
    profile_chart,
    spatial_clusters,
    standardise,
)
from impact.analysis.hotspots import HotSpots, local_moran
from impact.analysis.hotspots import describe as describe_hotspots
from impact.analysis.opportunity import (
    HOW_OPPORTUNITY,
    N_LSOA,
    LeftBehindRule,
    OpportunityWeights,
    ScenarioTarget,
    opportunity,
    target,
)
from impact.places.boundaries import cache_path, read_lsoa_lookup
from impact.places.deprivation import (
    DOMAINS,
    aggregate,
    bridge_lsoa11_to_lsoa21,
    load_imd2019,
    load_imd2025,
)
from impact.places.reference import Reference

log = logging.getLogger(__name__)

ENGLAND = "england"
SPEND_FEATURES = ("spend_per_resident", "suppliers_per_1000", "spend_share")


@dataclass
class AreaInputs:
    """What to compare.

    ``council_lads``: the LADs whose spend this is (the ranking and rule cover their areas);
    ``scope``: the LADs whose areas are compared (None → the council's own; ``("england",)``
    → every LAD with IoD data); ``suppliers``: a located ``suppliers.parquet`` table, or None
    for deprivation only.
    """

    reference: Reference
    council_lads: tuple[str, ...]
    scope: tuple[str, ...] | None = None
    unit: str = "ward"
    suppliers: pd.DataFrame | None = None
    imd: str = "2025"


@dataclass
class AreaSettings:
    """The user's choices; every default is what the CLI uses."""

    features: tuple[str, ...] = DEFAULT_FEATURES
    weights: dict[str, float] = field(default_factory=dict)
    k: int | None = None
    k_values: tuple[int, ...] = tuple(range(2, 9))
    n_regions: int | None = None
    hotspots: bool = True
    permutations: int = 999
    alpha: float = 0.05
    fdr: bool = False
    seed: int = 0
    rule: LeftBehindRule = field(default_factory=LeftBehindRule)
    opportunity: OpportunityWeights = field(default_factory=OpportunityWeights)
    include_public_bodies: bool = False
    top: int = 10


@dataclass
class AreasResult:
    """Everything the Left-behind page shows.

    Attributes
    ----------
    table : one row per area compared: code, name, lad_code, in_council, population, IoD,
        spend layer, ``cluster``/``cluster_profile`` (k-means), ``region``/``region_profile``
        (contiguous), ``deprivation_spot``/``spend_spot`` (hot spots), ``left_behind`` and,
        for the council's areas, the opportunity parts, ``opportunity_score`` and ``reason``.
    features : the features used with label, column, scale and weight (show the weights).
    silhouettes : k → silhouette of k-means; ``kmeans.k`` is the one chosen.
    cluster_profiles, region_profiles : one row per cluster with size, profile text, centre.
    cluster_chart, region_chart : long tables (cluster, feature, cluster_mean, average, z).
    hotspots : "deprivation" and "spend" → :class:`impact.hotspots.HotSpots`.
    ranking : the council's areas by opportunity score, best first, with reasons.
    target : the top areas as a :class:`impact.opportunity.ScenarioTarget`.
    how_calculated : section → plain-English method text.
    """

    table: pd.DataFrame
    unit: str
    features: pd.DataFrame
    kmeans: KMeansResult
    silhouettes: pd.DataFrame
    cluster_profiles: pd.DataFrame
    region_profiles: pd.DataFrame
    cluster_chart: pd.DataFrame
    region_chart: pd.DataFrame
    hotspots: dict[str, HotSpots]
    rule: LeftBehindRule
    ranking: pd.DataFrame
    target: ScenarioTarget
    graph: AreaGraph
    how_calculated: dict[str, str]
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the table


def _lsoa_names(path: Path) -> pd.Series:
    raw = pd.read_csv(path, dtype="string")
    code = next((c for c in raw.columns if re.fullmatch(r"lsoa\d*_?c(o)?d(e)?", c, re.I)), None)
    name = next((c for c in raw.columns if re.fullmatch(r"lsoa\d*_?n(a)?m(e)?", c, re.I)), None)
    if code is None or name is None:
        return pd.Series(dtype="string")
    return raw.drop_duplicates(code).set_index(code)[name]


def _deprivation(reference: Reference, imd: str, warnings: list[str]) -> pd.DataFrame:
    """IoD per LSOA 2021; IoD 2025 is cached as parquet (parsing the CSV takes ~8 s)."""
    if imd == "2025":
        src = reference.require("imd2025_lsoa21")
        cached = cache_path(src, "imd2025")
        if cached.is_file():
            return pd.read_parquet(cached)
        table = load_imd2025(src)
        table.to_parquet(cached, index=False)
        return table
    f2 = reference.require("imd2019_lsoa11_file2")
    old = load_imd2019(f2, reference.find("imd2019_lsoa11_file1"))
    bridged, note = bridge_lsoa11_to_lsoa21(
        old, pd.read_csv(reference.require("lookup_lsoa11_lsoa21"), dtype="string")
    )
    warnings.append(note)
    return bridged


def spend_layer(
    suppliers: pd.DataFrame,
    lookup: pd.DataFrame,
    unit: str,
    council_lads: tuple[str, ...],
    include_public_bodies: bool = False,
) -> tuple[pd.DataFrame, float, list[str]]:
    """Located spend per area: ``spend``, ``n_suppliers`` and counts by kind.

    Areas come from the supplier's LSOA 2021 through the lookup (so ward codes are of the
    lookup's vintage), falling back to the supplier's own ward code.  Returns the per-area
    frame, the council's local spend (placed in ``council_lads``) and notes accounting for
    every pound not placed in an area.
    """
    need = {"spend", "is_located", "lsoa21_code"}
    if not need <= set(suppliers.columns):
        raise ValueError(
            f"suppliers table lacks {', '.join(sorted(need - set(suppliers.columns)))}: "
            "run impact locate first"
        )
    sup = suppliers.copy()
    spend = pd.to_numeric(sup["spend"], errors="coerce").fillna(0.0).clip(lower=0)
    total = float(spend.sum())
    located = sup["is_located"].fillna(False).astype(bool) & (spend > 0)
    cls = sup.get("supplier_class", pd.Series("unknown", index=sup.index)).astype("string")
    public = cls.eq("public_body").fillna(False).to_numpy(bool)
    keep = located & (include_public_bodies | ~public)
    lsoa = sup["lsoa21_code"].astype("string")
    lk = lookup.set_index("lsoa21_code")
    lad = lsoa.map(lk["lad_code"]).fillna(sup.get("lad_code", pd.NA)).astype("string")
    if unit == "lsoa":
        area = lsoa
    else:
        area = lsoa.map(lk["ward_code"]).fillna(sup.get("ward_code", pd.NA)).astype("string")
    kind = np.where(cls.eq("company").fillna(False), "company",
                    np.where(cls.eq("vcse").fillna(False), "vcse", "other"))
    key = sup["supplier_key"] if "supplier_key" in sup else pd.Series(sup.index, index=sup.index)
    t = pd.DataFrame({"code": area, "spend": spend, "key": key, "kind": kind})[keep]
    t = t[t["code"].notna()]
    per = t.groupby("code").agg(spend=("spend", "sum"), n_suppliers=("key", "nunique"))
    kinds = t.groupby(["code", "kind"])["key"].nunique().unstack(fill_value=0)
    for k in ("company", "vcse", "other"):
        per[f"suppliers_{k}"] = kinds.get(k, 0)
    council_local = float(spend[keep & lad.isin(list(council_lads)).fillna(False)].sum())
    notes = [
        f"£{total:,.0f} paid to suppliers; £{float(spend[located].sum()):,.0f} "
        f"({_pct(spend[located].sum(), total)}) to suppliers with a known place",
    ]
    if not include_public_bodies and public.any():
        notes.append(
            f"£{float(spend[located & public].sum()):,.0f} to public bodies left out of spend "
            "reach (rarely a choice the council can change)"
        )
    notes.append(f"£{council_local:,.0f} placed inside the council's own area (local spend)")
    return per.reset_index(), council_local, notes


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def build_area_table(inputs: AreaInputs, include_public_bodies: bool = False) -> tuple[
    pd.DataFrame, pd.DataFrame, list[str]
]:
    """The per-area table for ``inputs``, the LSOA → area membership and warnings.

    Columns: ``code, name, lad_code, lad_name, in_council, population, n_lsoa``, IMD and
    domain scores/ranks (IoD 2019: ``<domain>_pct2019`` too), ``share_pop_decile1_2``,
    ``spend, n_suppliers, suppliers_company/vcse/other, spend_per_resident,
    suppliers_per_1000, spend_share``.
    """
    if inputs.unit not in ("ward", "lsoa"):
        raise ValueError(f"unit must be 'ward' or 'lsoa', not {inputs.unit!r}")
    ref = inputs.reference
    warnings: list[str] = []
    lookup_path = ref.require("lookup_lsoa21_ward_lad")
    lookup = read_lsoa_lookup(lookup_path)
    imd = _deprivation(ref, inputs.imd, warnings)
    pop_path = ref.find("population_lsoa21")
    pop = pd.read_csv(pop_path, dtype="string") if pop_path is not None else None
    if pop is None:
        warnings.append("no population file: spend per resident cannot be computed")
    council = tuple(str(c) for c in inputs.council_lads)
    scope = tuple(inputs.scope or council)
    if any(s.lower() == ENGLAND for s in scope):
        lads = set(lookup.loc[lookup["lsoa21_code"].isin(imd["lsoa21_code"]), "lad_code"])
    else:
        lads = set(scope) | set(council)
    unknown = sorted(set(scope) - set(lookup["lad_code"]) - {ENGLAND, ENGLAND.upper()})
    unknown = [u for u in unknown if u.lower() != ENGLAND]
    if unknown:
        raise ValueError(f"LAD code(s) not in the LSOA lookup: {', '.join(unknown)}")
    mine = lookup[lookup["lad_code"].isin(lads)].copy()
    if mine.empty:
        raise ValueError("no areas in the chosen scope")
    if inputs.unit == "lsoa":
        names = _lsoa_names(lookup_path)
        mine["ward_code"] = mine["lsoa21_code"]
        mine["ward_name"] = mine["lsoa21_code"].map(names).fillna(mine["lsoa21_code"])
    table = aggregate(imd, mine, pop, "ward")
    missing = sorted(set(mine["ward_code"]) - set(table["code"]))
    if missing:
        warnings.append(f"{len(missing)} area(s) have no IoD values and are left out")
    if inputs.imd == "2019":
        for d in ("imd", *DOMAINS):
            if f"{d}_rank" in table:
                table[f"{d}_pct2019"] = 1 - table[f"{d}_rank"] / N_LSOA["2019"]
    table["in_council"] = table["lad_code"].isin(council)
    membership = mine[["lsoa21_code", "ward_code"]].rename(columns={"ward_code": "code"})
    spend_cols = ["spend", "n_suppliers", "suppliers_company", "suppliers_vcse", "suppliers_other"]
    if inputs.suppliers is not None:
        per, council_local, notes = spend_layer(
            inputs.suppliers, lookup, inputs.unit, council, include_public_bodies
        )
        placed = per["code"].isin(table["code"])
        outside = float(per.loc[~placed, "spend"].sum())
        if outside:
            notes.append(f"£{outside:,.0f} located outside the areas compared")
        table = table.merge(per, on="code", how="left")
        table[spend_cols] = table[spend_cols].fillna(0)
        popn = pd.to_numeric(table["population"], errors="coerce")
        table["spend_per_resident"] = (table["spend"] / popn).where(popn > 0)
        table["suppliers_per_1000"] = (1000 * table["n_suppliers"] / popn).where(popn > 0)
        table["spend_share"] = table["spend"] / council_local if council_local else 0.0
        warnings.extend(notes)
    else:
        for c in [*spend_cols, "spend_per_resident", "suppliers_per_1000", "spend_share"]:
            table[c] = np.nan
    table = table.sort_values("code", kind="stable").reset_index(drop=True)
    return table, membership, warnings


# --------------------------------------------------------------------------- analysis


def analyse_areas(inputs: AreaInputs, settings: AreaSettings | None = None) -> AreasResult:
    """Table, clusters, hot spots, left-behind rule and opportunity ranking in one call."""
    s = settings or AreaSettings()
    table, membership, warnings = build_area_table(inputs, s.include_public_bodies)
    catalogue = feature_catalogue(inputs.imd)
    unknown = [f for f in s.features if f not in catalogue]
    if unknown:
        raise ValueError(
            f"unknown feature(s) {', '.join(unknown)}; choose from {', '.join(catalogue)}"
        )
    chosen = list(s.features)
    if inputs.suppliers is None:
        dropped = [f for f in chosen if f in SPEND_FEATURES]
        if dropped:
            warnings.append(f"no located spend: {', '.join(dropped)} left out of the clustering")
        chosen = [f for f in chosen if f not in SPEND_FEATURES]
    specs = [catalogue[f] for f in chosen]
    std = standardise(table, specs, {k: v for k, v in s.weights.items() if k in chosen})
    warnings.extend(std.notes)

    contiguity = lsoa_contiguity(inputs.reference)
    graph = area_graph(
        contiguity, table["code"].tolist(), membership if inputs.unit == "ward" else None
    )
    if graph.added:
        shown = ", ".join(f"{a}–{b}" for a, b in graph.added[:5])
        warnings.append(
            f"{graph.components} separate part(s) (islands or gaps) joined to their nearest "
            f"area to allow contiguous clusters: {shown}{' …' if len(graph.added) > 5 else ''}"
        )

    dep_col = "imd_score" if inputs.imd == "2025" else "imd_pct2019"
    dep = pd.to_numeric(table[dep_col], errors="coerce").fillna(0).to_numpy()
    km = kmeans_clusters(std.x, s.k_values, s.k, random_state=s.seed)
    table["cluster"] = order_clusters(km.labels, dep)
    n_regions = s.n_regions or km.k
    regions = spatial_clusters(std.x, graph.adjacency, min(n_regions, len(table)))
    table["region"] = order_clusters(regions, dep)
    cprof = cluster_profiles(std.z, table["cluster"].to_numpy(), specs, table["population"])
    rprof = cluster_profiles(std.z, table["region"].to_numpy(), specs, table["population"])
    table["cluster_profile"] = table["cluster"].map(cprof.set_index("cluster")["profile"])
    table["region_profile"] = table["region"].map(rprof.set_index("cluster")["profile"])

    spots: dict[str, HotSpots] = {}
    if s.hotspots:
        spots["deprivation"] = local_moran(
            dep, graph.adjacency, s.permutations, s.seed, s.alpha, s.fdr
        )
        table["deprivation_spot"] = spots["deprivation"].table["spot"].to_numpy()
        table["deprivation_p"] = spots["deprivation"].table["p"].to_numpy()
        if inputs.suppliers is not None:
            reach = np.log1p(pd.to_numeric(table["spend_per_resident"], errors="coerce"))
            spots["spend"] = local_moran(
                reach.to_numpy(), graph.adjacency, s.permutations, s.seed, s.alpha, s.fdr
            )
            table["spend_spot"] = spots["spend"].table["spot"].to_numpy()
            table["spend_p"] = spots["spend"].table["p"].to_numpy()

    council = table["in_council"]
    if inputs.suppliers is not None:
        table["left_behind"] = s.rule.apply(table, council)
    else:
        table["left_behind"] = False
        warnings.append("no located spend: the left-behind rule needs spend reach")
    idx = np.flatnonzero(council.to_numpy())
    sub_adj = graph.adjacency[idx][:, idx]
    ranking = opportunity(table.iloc[idx], sub_adj, s.opportunity, inputs.imd)
    ranking = ranking.sort_values(["rank"]).reset_index(drop=True)
    ranking.insert(1, "name", ranking["code"].map(table.set_index("code")["name"]))
    parts = ranking.set_index("code")
    for col, src in (
        ("opportunity_score", "score"),
        ("opportunity_rank", "rank"),
        ("need", "need"),
        ("gap", "gap"),
        ("capacity", "capacity"),
        ("suppliers_near", "suppliers_near"),
        ("reason", "reason"),
    ):
        table[col] = table["code"].map(parts[src])
    features = pd.DataFrame(
        [
            {"feature": sp.key, "label": sp.label, "column": sp.column,
             "scale": "log(1 + x), z-score" if sp.log else "z-score",
             "weight": std.weights[sp.key]}
            for sp in specs
        ]
    )
    sil = pd.DataFrame(
        {"k": list(km.silhouettes), "silhouette": list(km.silhouettes.values())}
    )
    how = _how(inputs, s, km, n_regions, spots, features)
    return AreasResult(
        table=table,
        unit=inputs.unit,
        features=features,
        kmeans=km,
        silhouettes=sil,
        cluster_profiles=cprof,
        region_profiles=rprof,
        cluster_chart=profile_chart(table, table["cluster"].to_numpy(), specs, std.z),
        region_chart=profile_chart(table, table["region"].to_numpy(), specs, std.z),
        hotspots=spots,
        rule=s.rule,
        ranking=ranking,
        target=target(ranking, inputs.unit, s.top),
        graph=graph,
        how_calculated=how,
        warnings=warnings,
    )


def _how(
    inputs: AreaInputs, s: AreaSettings, km: KMeansResult, n_regions: int,
    spots: dict[str, HotSpots], features: pd.DataFrame,
) -> dict[str, str]:
    unit = "ward (2024 codes; LSOAs 2021 grouped by the ONS best-fit lookup)" if (
        inputs.unit == "ward") else "LSOA 2021"
    weights = ", ".join(f"{r.label} ×{r.weight:g}" for r in features.itertuples())
    sil = ", ".join(f"k={k}: {v:.2f}" for k, v in km.silhouettes.items())
    out = {
        "areas": (
            f"One row per {unit}. IoD {inputs.imd} values are population-weighted averages of "
            "the area's neighbourhoods (Census 2021 residents). Spend: positive payments to "
            "suppliers whose postcode lies in the area; public bodies left out unless chosen."
        ),
        "features": (
            f"Features (weight): {weights}. Each is turned into a z-score over the areas "
            "compared (spend and supplier counts on a log scale first); a weight multiplies "
            "the z-score."
        ),
        "clusters": (
            f"k-means (random state {s.seed}, 4 starts) for k = "
            f"{', '.join(map(str, s.k_values))}; k = {km.k} "
            f"{'was fixed' if s.k else 'has the highest silhouette'} ({sil or 'n/a'}"
            f"{'; silhouettes on a fixed sample' if km.sampled else ''}). Clusters are numbered "
            "from the most deprived on average. Profiles name features at least 0.5 standard "
            "deviations from the average."
        ),
        "regions": (
            f"{n_regions} contiguous regions: Ward clustering where only touching areas "
            "(queen contiguity of LSOA 2021 boundaries) may merge; islands are joined to "
            "their nearest area."
        ),
        "left_behind": s.rule.describe(),
        "opportunity": HOW_OPPORTUNITY,
    }
    for name, h in spots.items():
        what = "deprivation (IMD)" if name == "deprivation" else "spend per resident"
        out[f"hotspots_{name}"] = describe_hotspots(h, what)
    return out


# ------------------------------------------------------------------- a located folder


OUTPUT_COLUMNS = [
    "code", "name", "lad_code", "in_council", "population", "cluster", "cluster_profile",
    "region", "region_profile", "deprivation_spot", "spend_spot", "left_behind",
    "opportunity_rank", "opportunity_score", "need", "gap", "capacity", "suppliers_near",
    "reason", "imd_score", "imd_rank", "share_pop_decile1_2", "spend", "spend_per_resident",
    "n_suppliers", "suppliers_per_1000", "spend_share",
]


def areas_for_folder(
    folder: str | os.PathLike[str],
    reference: str | os.PathLike[str] | None = None,
    *,
    council_lads: tuple[str, ...] = (),
    scope: tuple[str, ...] | None = None,
    unit: str = "ward",
    imd: str = "2025",
    settings: AreaSettings | None = None,
) -> AreasResult:
    """:func:`analyse_areas` on a located folder's ``suppliers.parquet``.

    ``council_lads`` default to the districts matching the council name(s) in the data.
    Raises ReferenceError, ValueError, FileNotFoundError or KeyError on bad input.
    """
    from impact.places.councils import find_council_lads
    from impact.places.reference import resolve_reference

    ref = resolve_reference(reference)
    sup_path = Path(folder) / "suppliers.parquet"
    if not sup_path.is_file():
        raise FileNotFoundError(f"{sup_path} not found: run impact locate first")
    suppliers = pd.read_parquet(sup_path)
    if not council_lads:
        lookup = read_lsoa_lookup(ref.require("lookup_lsoa21_ward_lad"))
        names = suppliers["council"].dropna().astype(str).unique() if (
            "council" in suppliers) else []
        council_lads = tuple(sorted({c for n in names for c in find_council_lads(n, lookup)}))
        if not council_lads:
            raise ValueError(
                f"cannot tell the council's LAD from the name(s) {', '.join(names) or '?'}: "
                "give --council-lad"
            )
    inputs = AreaInputs(ref, tuple(council_lads), scope, unit, suppliers, imd)
    return analyse_areas(inputs, settings)


def output_table(result: AreasResult) -> pd.DataFrame:
    """The table ``impact areas`` writes: one row per area, :data:`OUTPUT_COLUMNS` present."""
    return result.table[[c for c in OUTPUT_COLUMNS if c in result.table]]


def report_lines(result: AreasResult, written_to: str | os.PathLike[str]) -> list[str]:
    """Notes, the left-behind rule, and a count of areas, clusters and top opportunities."""
    n_lb = int(result.table["left_behind"].sum())
    return [
        *(f"note: {w}" for w in result.warnings),
        result.rule.describe(),
        f"{len(output_table(result))} {result.unit}s → {written_to}; k = {result.kmeans.k}; "
        f"{n_lb} left behind; top opportunities: {', '.join(result.target.codes[:5])}",
    ]
