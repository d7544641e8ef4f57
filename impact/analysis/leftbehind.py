"""Left-behind areas: one table per area, then clusters, hot spots, a rule and a ranking.

Councils first need to see what is missing and where it matters most.  This module builds
the per-area table (IoD domains, population and the council's located spend) for wards or
LSOAs 2021 of a council, a set of councils or all of England, and runs the analyses of
:mod:`impact.analysis.clustering`, :mod:`impact.analysis.hotspots` and
:mod:`impact.analysis.opportunity` on it.  :func:`analyse_areas` is the one entry point
(the page, the board pack and ``impact areas`` reach it through :mod:`impact.reports`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from impact.analysis.clustering import (
    DEFAULT_FEATURES,
    AreaGraph,
    FeatureSpec,
    KMeansResult,
    Standardised,
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
from impact.places.boundaries import cache_path, neighbourhood_names, read_lsoa_lookup
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
#: Columns of :func:`spend_layer` per area (zero where no located supplier).
SPEND_LAYER_COLUMNS = ("spend", "n_suppliers", "suppliers_company", "suppliers_vcse",
                       "suppliers_other")


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
    #: Whether enough spend is placed at area level to call an area with none "not
    #: reached" (the one gate, :attr:`impact.analysis.measures.WardBasis.enough`).
    reach_known: bool = True


@dataclass
class AreaSettings:
    """The user's choices; every default is what the CLI uses."""

    features: tuple[str, ...] = DEFAULT_FEATURES
    weights: dict[str, float] = field(default_factory=dict)
    k: int | None = None
    k_values: tuple[int, ...] = tuple(range(2, 9))
    n_regions: int | None = None
    hotspots: bool = True
    alpha: float = 0.05
    fdr: bool = False
    rule: LeftBehindRule = field(default_factory=LeftBehindRule)
    opportunity: OpportunityWeights = field(default_factory=OpportunityWeights)
    top: int = 10
    #: k-means starts from this seed; hot spots use the one setting of
    #: :mod:`impact.analysis.hotspots` (:data:`~impact.analysis.hotspots.PERMUTATIONS`).
    seed: int = 0


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
    hotspots : "deprivation" and "spend" → :class:`impact.analysis.hotspots.HotSpots`.
    ranking : the council's areas by opportunity score, best first, with reasons.
    target : the top areas as a :class:`impact.analysis.opportunity.ScenarioTarget`.
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


def _load_iod(reference: Reference, imd: str, warnings: list[str]) -> pd.DataFrame:
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
) -> tuple[pd.DataFrame, float, list[str]]:
    """Located spend per area: ``spend``, ``n_suppliers`` and counts by kind.

    ``suppliers`` carry the ``spend`` of the payments shown (public bodies in or out as the
    filters say, like every figure).  Areas come from the supplier's LSOA 2021 through the
    lookup (so ward codes are of the lookup's vintage), falling back to the supplier's own
    ward code.  Returns the per-area frame, the £ placed in an area of ``council_lads``
    (each area's share is of it) and notes accounting for every pound not placed in an
    area.
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
    keep = located
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
    in_area = float(t["spend"].sum())
    notes = [
        f"£{total:,.0f} paid to suppliers; £{float(spend[located].sum()):,.0f} "
        f"({_pct(spend[located].sum(), total)}) to suppliers with a known place, "
        f"£{in_area:,.0f} of it placed at an area",
    ]
    return per.reset_index(), council_local, notes


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def build_area_table(inputs: AreaInputs) -> tuple[
    pd.DataFrame, pd.DataFrame, list[str]
]:
    """The per-area table for ``inputs``, the LSOA → area membership and warnings.

    Columns: ``code, name, lad_code, lad_name, in_council, population, n_lsoa``, IMD and
    domain scores/ranks (IoD 2019: ``<domain>_pct2019`` too), ``share_pop_decile1_2``,
    ``spend, n_suppliers, suppliers_company/vcse/other, spend_per_resident,
    suppliers_per_1000, spend_share``.

    Steps: the reference layers → the LSOAs of the areas in scope → IoD and population per
    area → the council's located spend per area.
    """
    if inputs.unit not in ("ward", "lsoa"):
        raise ValueError(f"unit must be 'ward' or 'lsoa', not {inputs.unit!r}")
    warnings: list[str] = []
    layers = _reference_layers(inputs, warnings)
    lsoas = _lsoas_in_scope(inputs, layers)
    table = _iod_per_area(inputs, layers, lsoas, warnings)
    if inputs.suppliers is not None:
        table = _with_spend(table, inputs, layers.lookup, warnings)
    else:
        for c in [*SPEND_LAYER_COLUMNS, *SPEND_FEATURES]:
            table[c] = np.nan
    table = table.sort_values("code", kind="stable").reset_index(drop=True)
    membership = lsoas[["lsoa21_code", "ward_code"]].rename(columns={"ward_code": "code"})
    return table, membership, warnings


@dataclass(frozen=True)
class _Layers:
    """The reference tables an area table is built from: the LSOA 2021 → ward → LAD lookup,
    IoD per LSOA 2021 and population (None if absent)."""

    lookup: pd.DataFrame
    imd: pd.DataFrame
    population: pd.DataFrame | None


def _reference_layers(inputs: AreaInputs, warnings: list[str]) -> _Layers:
    """Read the layers once; a missing population file is a warning (no spend per
    resident), not an error, because deprivation alone is still worth comparing."""
    ref = inputs.reference
    lookup = read_lsoa_lookup(ref.require("lookup_lsoa21_ward_lad"))
    imd = _load_iod(ref, inputs.imd, warnings)
    pop_path = ref.find("population_lsoa21")
    population = pd.read_csv(pop_path, dtype="string") if pop_path is not None else None
    if population is None:
        warnings.append("no population file: spend per resident cannot be computed")
    return _Layers(lookup, imd, population)


def _council(inputs: AreaInputs) -> tuple[str, ...]:
    """The council's own district codes, as text (the ranking and rule cover their areas)."""
    return tuple(str(c) for c in inputs.council_lads)


def _lsoas_in_scope(inputs: AreaInputs, layers: _Layers) -> pd.DataFrame:
    """The lookup rows of every area compared (``ward_code``/``ward_name`` name the area,
    whatever the unit).  Why strict: a mistyped district code would otherwise compare
    nothing and say nothing."""
    council = _council(inputs)
    scope = tuple(inputs.scope or council)
    lookup = layers.lookup
    if any(s.lower() == ENGLAND for s in scope):
        lads = set(lookup.loc[lookup["lsoa21_code"].isin(layers.imd["lsoa21_code"]), "lad_code"])
    else:
        lads = set(scope) | set(council)
    unknown = sorted(set(scope) - set(lookup["lad_code"]) - {ENGLAND, ENGLAND.upper()})
    unknown = [u for u in unknown if u.lower() != ENGLAND]
    if unknown:
        raise ValueError(f"LAD code(s) not in the LSOA lookup: {', '.join(unknown)}")
    lsoas = lookup[lookup["lad_code"].isin(lads)].copy()
    if lsoas.empty:
        raise ValueError("no areas in the chosen scope")
    if inputs.unit == "lsoa":
        names = neighbourhood_names(lsoas)  # by ward: "part of Central ward (2 of 4)"
        lsoas["ward_code"] = lsoas["lsoa21_code"]
        lsoas["ward_name"] = lsoas["lsoa21_code"].map(names).fillna(lsoas["lsoa21_code"])
    return lsoas


def _iod_per_area(
    inputs: AreaInputs, layers: _Layers, lsoas: pd.DataFrame, warnings: list[str]
) -> pd.DataFrame:
    """Population-weighted IoD per area and whether it is the council's.  IoD 2019 ranks
    also become national percentiles, so both vintages read "higher = more deprived"."""
    table = aggregate(layers.imd, lsoas, layers.population, "ward")
    missing = sorted(set(lsoas["ward_code"]) - set(table["code"]))
    if missing:
        warnings.append(f"{len(missing)} area(s) have no IoD values and are left out")
    if inputs.imd == "2019":
        for d in ("imd", *DOMAINS):
            if f"{d}_rank" in table:
                table[f"{d}_pct2019"] = 1 - table[f"{d}_rank"] / N_LSOA["2019"]
    table["in_council"] = table["lad_code"].isin(_council(inputs))
    return table


def _with_spend(
    table: pd.DataFrame,
    inputs: AreaInputs,
    lookup: pd.DataFrame,
    warnings: list[str],
) -> pd.DataFrame:
    """``table`` with the council's located spend per area, per resident and as a share of
    its local spend; £ placed outside the areas compared is said, not lost."""
    per, council_local, notes = spend_layer(
        inputs.suppliers, lookup, inputs.unit, _council(inputs))
    outside = float(per.loc[~per["code"].isin(table["code"]), "spend"].sum())
    if outside:
        notes.append(f"£{outside:,.0f} located outside the areas compared")
    table = table.merge(per, on="code", how="left")
    table[list(SPEND_LAYER_COLUMNS)] = table[list(SPEND_LAYER_COLUMNS)].fillna(0)
    popn = pd.to_numeric(table["population"], errors="coerce")
    table["spend_per_resident"] = (table["spend"] / popn).where(popn > 0)
    table["suppliers_per_1000"] = (1000 * table["n_suppliers"] / popn).where(popn > 0)
    table["spend_share"] = table["spend"] / council_local if council_local else 0.0
    warnings.extend(notes)
    return table


# --------------------------------------------------------------------------- analysis


def analyse_areas(inputs: AreaInputs, settings: AreaSettings | None = None) -> AreasResult:
    """Table, clusters, hot spots, left-behind rule and opportunity ranking in one call.

    Steps: the per-area table → the features, standardised → which areas touch → k-means
    clusters and contiguous regions → hot spots → the left-behind rule → the ranking.
    """
    settings = settings or AreaSettings()
    table, membership, warnings = build_area_table(inputs)
    features = _features(inputs, settings, table, warnings)
    graph = _contiguity_graph(inputs, table, membership, warnings)
    deprivation = _deprivation_scores(table, inputs.imd)
    clusters = _add_clusters(table, features, graph, settings, deprivation)
    spots = _add_hotspots(table, deprivation, graph, settings, inputs.suppliers is not None)
    _add_left_behind(table, inputs, settings, warnings)
    ranking = _add_opportunity(table, graph, settings, inputs.imd, inputs.reach_known)
    feature_table = _feature_table(features)
    specs, z = features.specs, features.std.z
    return AreasResult(
        table=table,
        unit=inputs.unit,
        features=feature_table,
        kmeans=clusters.kmeans,
        silhouettes=clusters.silhouettes,
        cluster_profiles=clusters.cluster_profiles,
        region_profiles=clusters.region_profiles,
        cluster_chart=profile_chart(table, table["cluster"].to_numpy(), specs, z),
        region_chart=profile_chart(table, table["region"].to_numpy(), specs, z),
        hotspots=spots,
        rule=settings.rule,
        ranking=ranking,
        target=target(ranking, inputs.unit, settings.top),
        graph=graph,
        how_calculated=_how_calculated(inputs, settings, clusters, spots, feature_table),
        warnings=warnings,
    )


@dataclass(frozen=True)
class _Features:
    """The features compared (``specs``) and their standardised values (``std``)."""

    specs: list[FeatureSpec]
    std: Standardised


def _features(
    inputs: AreaInputs, settings: AreaSettings, table: pd.DataFrame, warnings: list[str]
) -> _Features:
    """The chosen features, standardised.  Without located spend the spend features are
    left out (and said), rather than clustering on a column of blanks."""
    catalogue = feature_catalogue(inputs.imd)
    unknown = [f for f in settings.features if f not in catalogue]
    if unknown:
        raise ValueError(
            f"unknown feature(s) {', '.join(unknown)}; choose from {', '.join(catalogue)}"
        )
    chosen = list(settings.features)
    if inputs.suppliers is None:
        dropped = [f for f in chosen if f in SPEND_FEATURES]
        if dropped:
            warnings.append(f"no located spend: {', '.join(dropped)} left out of the clustering")
        chosen = [f for f in chosen if f not in SPEND_FEATURES]
    specs = [catalogue[f] for f in chosen]
    std = standardise(table, specs, {k: v for k, v in settings.weights.items() if k in chosen})
    warnings.extend(std.notes)
    return _Features(specs, std)


def _contiguity_graph(
    inputs: AreaInputs, table: pd.DataFrame, membership: pd.DataFrame, warnings: list[str]
) -> AreaGraph:
    """Which areas touch (queen contiguity of their LSOAs).  Islands and gaps are joined to
    their nearest area so contiguous regions and hot spots cover every area; said."""
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
    return graph


def _deprivation_scores(table: pd.DataFrame, imd: str) -> np.ndarray:
    """Overall deprivation per area (higher = more deprived): orders clusters and is the
    hot-spot variable."""
    column = "imd_score" if imd == "2025" else "imd_pct2019"
    return pd.to_numeric(table[column], errors="coerce").fillna(0).to_numpy()


@dataclass(frozen=True)
class _Clusters:
    """k-means and the contiguous regions, with a plain-words profile of each."""

    kmeans: KMeansResult
    n_regions: int
    cluster_profiles: pd.DataFrame
    region_profiles: pd.DataFrame

    @property
    def silhouettes(self) -> pd.DataFrame:
        """k → silhouette of each k-means tried (the page charts how k was chosen)."""
        tried = self.kmeans.silhouettes
        return pd.DataFrame({"k": list(tried), "silhouette": list(tried.values())})


def _add_clusters(
    table: pd.DataFrame,
    features: _Features,
    graph: AreaGraph,
    settings: AreaSettings,
    deprivation: np.ndarray,
) -> _Clusters:
    """Add ``cluster``/``region`` and their profiles to ``table``.  Both are numbered from
    the most deprived, so "cluster 1" means the same thing on every run."""
    x, z, specs = features.std.x, features.std.z, features.specs
    km = kmeans_clusters(x, settings.k_values, settings.k, random_state=settings.seed)
    table["cluster"] = order_clusters(km.labels, deprivation)
    n_regions = settings.n_regions or km.k
    regions = spatial_clusters(x, graph.adjacency, min(n_regions, len(table)))
    table["region"] = order_clusters(regions, deprivation)
    cprof = cluster_profiles(z, table["cluster"].to_numpy(), specs, table["population"])
    rprof = cluster_profiles(z, table["region"].to_numpy(), specs, table["population"])
    table["cluster_profile"] = table["cluster"].map(cprof.set_index("cluster")["profile"])
    table["region_profile"] = table["region"].map(rprof.set_index("cluster")["profile"])
    return _Clusters(km, n_regions, cprof, rprof)


def _add_hotspots(
    table: pd.DataFrame,
    deprivation: np.ndarray,
    graph: AreaGraph,
    settings: AreaSettings,
    has_spend: bool,
) -> dict[str, HotSpots]:
    """Local Moran's I of deprivation and, with located spend, of spend reach (log spend
    per resident): ``<name>_spot`` and ``<name>_p`` columns, and the tests by name."""
    spots: dict[str, HotSpots] = {}

    def test(name: str, values: np.ndarray) -> None:
        spots[name] = local_moran(values, graph.adjacency, alpha=settings.alpha,
                                  fdr=settings.fdr)
        table[f"{name}_spot"] = spots[name].table["spot"].to_numpy()
        table[f"{name}_p"] = spots[name].table["p"].to_numpy()

    if settings.hotspots:
        test("deprivation", deprivation)
        if has_spend:
            reach = np.log1p(pd.to_numeric(table["spend_per_resident"], errors="coerce"))
            test("spend", reach.to_numpy())
    return spots


def _add_left_behind(
    table: pd.DataFrame, inputs: AreaInputs, settings: AreaSettings, warnings: list[str]
) -> None:
    """``left_behind`` by the rule; the rule needs spend reach, so without located spend,
    or with too little placed at area level to say where it does not reach, no area is
    marked (and that is said)."""
    if inputs.suppliers is None:
        table["left_behind"] = False
        warnings.append("no located spend: the left-behind rule needs spend reach")
    elif not inputs.reach_known:
        table["left_behind"] = False
        warnings.append("too little spend is placed at area level to say which areas it "
                        "misses, so no area is called left behind yet: place more suppliers")
    else:
        table["left_behind"] = settings.rule.apply(table, table["in_council"])


def _add_opportunity(
    table: pd.DataFrame, graph: AreaGraph, settings: AreaSettings, imd: str,
    reach_known: bool = True,
) -> pd.DataFrame:
    """Rank the council's own areas (need, gap, capacity nearby), best first, and copy the
    score, its parts and the reason onto ``table``."""
    council = np.flatnonzero(table["in_council"].to_numpy())
    within = graph.adjacency[council][:, council]
    ranking = opportunity(table.iloc[council], within, settings.opportunity, imd, reach_known)
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
    return ranking


def _feature_table(features: _Features) -> pd.DataFrame:
    """The features used, with scale and weight: shown beside the clusters so a reader
    sees what they rest on."""
    return pd.DataFrame(
        [
            {"feature": sp.key, "label": sp.label, "column": sp.column,
             "scale": "log(1 + x), z-score" if sp.log else "z-score",
             "weight": features.std.weights[sp.key]}
            for sp in features.specs
        ]
    )


def _how_calculated(
    inputs: AreaInputs, s: AreaSettings, clusters: _Clusters,
    spots: dict[str, HotSpots], features: pd.DataFrame,
) -> dict[str, str]:
    km, n_regions = clusters.kmeans, clusters.n_regions
    unit = "ward (2024 codes; LSOAs 2021 grouped by the ONS best-fit lookup)" if (
        inputs.unit == "ward") else "LSOA 2021"
    weights = ", ".join(f"{r.label} ×{r.weight:g}" for r in features.itertuples())
    sil = ", ".join(f"k={k}: {v:.2f}" for k, v in km.silhouettes.items())
    out = {
        "areas": (
            f"One row per {unit}. IoD {inputs.imd} values are population-weighted averages of "
            "the area's neighbourhoods (Census 2021 residents). Spend: positive payments to "
            "suppliers placed in the area, in the payments shown (public bodies left out only "
            "when the influenceable-spend switch is on, as for every figure)."
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


def output_table(result: AreasResult) -> pd.DataFrame:
    """The per-area table ``impact areas`` writes and the Left behind page downloads (one
    table, so the two files are the same): one row per area, :data:`OUTPUT_COLUMNS` first,
    then the rest of the analysis's columns (the domains' scores and ranks, the p-values)."""
    first = [c for c in OUTPUT_COLUMNS if c in result.table]
    return result.table[first + [c for c in result.table if c not in first]]


def report_lines(result: AreasResult, written_to: str | os.PathLike[str]) -> list[str]:
    """Notes, the left-behind rule, and a count of areas, clusters and top opportunities."""
    n_lb = int(result.table["left_behind"].sum())
    named = (result.table.set_index("code")["name"].dropna() if "name" in result.table
             else pd.Series(dtype="string"))
    top = [str(named.get(c, c)) for c in result.target.codes[:5]]  # names, not codes
    return [
        *(f"note: {w}" for w in result.warnings),
        result.rule.describe(),
        f"{len(output_table(result))} {result.unit}s → {written_to}; k = {result.kmeans.k}; "
        f"{n_lb} left behind; top opportunities: {', '.join(top)}",
    ]
