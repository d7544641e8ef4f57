"""Group areas with similar needs: k-means and spatially constrained Ward clustering.

Why two methods: k-means finds *kinds* of place wherever they are (a deprived estate in the
north and one in the south land in one cluster); Ward clustering constrained to neighbours
(spopt's regionalisation: ``AgglomerativeClustering(linkage="ward", connectivity=W)``)
finds contiguous *patches* a council can target on the ground.  Both work on standardised
features; each cluster is described in plain English from its centre.

Contiguity is queen contiguity of LSOA 2021 polygons (libpysal), computed once for the whole
reference file (~10 s for 35k LSOAs) and cached as a sparse ``.npz`` beside the boundary
caches; wards are adjacent when any of their LSOAs are, so ward adjacency needs no dissolve.
Islands and disconnected parts are joined to their nearest area so every area can cluster.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from impact.places.boundaries import BNG, WGS84, cache_path, load_boundaries
from impact.places.reference import Reference

log = logging.getLogger(__name__)

#: Bumped when the stored contiguity changes meaning.
CONTIGUITY_VERSION = "1"


# --------------------------------------------------------------------------- features


@dataclass(frozen=True)
class FeatureSpec:
    """One clustering feature: where it is, how it is scaled and how it is described.

    ``kind`` is ``deprivation`` (higher = more deprived), ``spend``, ``suppliers`` or
    ``population``; ``log`` features are clustered as ``log(1 + x)`` because spend and
    supplier counts are heavily skewed (one town-centre ward would otherwise be a cluster).
    """

    key: str
    column: str
    label: str
    kind: str
    high: str
    low: str
    log: bool = False


_DOMAIN_LABELS = {
    "income": "income",
    "employment": "employment",
    "education": "education",
    "health": "health",
    "crime": "crime",
    "housing": "housing & services",
    "environment": "living environment",
}


def feature_catalogue(imd: str = "2025") -> dict[str, FeatureSpec]:
    """Every feature the user can choose, keyed by short name.

    IoD 2025 domains are *scores*; IoD 2019 only has ranks, so its domains become the
    national deprivation percentile ``1 - rank / 32,844`` (higher = more deprived).
    """
    if imd not in ("2025", "2019"):
        raise ValueError(f"imd must be '2025' or '2019', not {imd!r}")
    out: dict[str, FeatureSpec] = {}
    for key, label in _DOMAIN_LABELS.items():
        col = f"{key}_score" if imd == "2025" else f"{key}_pct2019"
        out[key] = FeatureSpec(key, col, label, "deprivation", f"high {label}", f"low {label}")
    out["spend_per_resident"] = FeatureSpec(
        "spend_per_resident", "spend_per_resident", "spend per resident", "spend",
        "high spend reach", "low spend reach", log=True,
    )
    out["suppliers_per_1000"] = FeatureSpec(
        "suppliers_per_1000", "suppliers_per_1000", "local suppliers per 1,000 residents",
        "suppliers", "many local suppliers", "few local suppliers", log=True,
    )
    out["spend_share"] = FeatureSpec(
        "spend_share", "spend_share", "share of the council's local spend", "spend",
        "large share of local spend", "small share of local spend", log=True,
    )
    out["population"] = FeatureSpec(
        "population", "population", "population", "population",
        "large population", "small population",
    )
    return out


DEFAULT_FEATURES: tuple[str, ...] = (*_DOMAIN_LABELS, "spend_per_resident", "suppliers_per_1000")


@dataclass
class Standardised:
    """Features ready to cluster.

    Attributes
    ----------
    z : unweighted z-scores (mean 0, sd 1 over the areas compared), one column per feature;
        used for profiles, so a weight never changes how a cluster is described.
    x : ``z`` times each feature's weight: what the clustering sees (a weight of 2 makes a
        feature count four times as much in squared distances).
    weights : feature → weight actually used.
    notes : missing values filled with the average, constant features, etc.
    """

    z: pd.DataFrame
    x: np.ndarray
    weights: dict[str, float]
    notes: list[str] = field(default_factory=list)


def standardise(
    table: pd.DataFrame,
    specs: Sequence[FeatureSpec],
    weights: Mapping[str, float] | None = None,
) -> Standardised:
    """z-score each feature (``log1p`` first where the spec says so); missing → average."""
    if not specs:
        raise ValueError("choose at least one feature to cluster on")
    missing = [s.column for s in specs if s.column not in table]
    if missing:
        raise ValueError(f"the area table has no column(s) {', '.join(missing)}")
    weights = dict(weights or {})
    unknown = sorted(set(weights) - {s.key for s in specs})
    if unknown:
        raise ValueError(f"weights given for features not chosen: {', '.join(unknown)}")
    notes: list[str] = []
    z = pd.DataFrame(index=table.index)
    for s in specs:
        v = pd.to_numeric(table[s.column], errors="coerce").astype(float)
        if s.log:
            v = np.log1p(v.clip(lower=0))
        n_missing = int(v.isna().sum())
        if n_missing:
            notes.append(f"{s.label}: {n_missing} area(s) without a value set to the average")
        sd = v.std(ddof=0)
        if not np.isfinite(sd) or sd == 0:
            notes.append(f"{s.label} is the same in every area: it cannot separate them")
            z[s.key] = 0.0
        else:
            z[s.key] = ((v - v.mean()) / sd).fillna(0.0)
    used = {s.key: float(weights.get(s.key, 1.0)) for s in specs}
    if any(w < 0 for w in used.values()):
        raise ValueError("feature weights must be zero or positive")
    x = z.to_numpy() * np.array([used[s.key] for s in specs])
    return Standardised(z=z, x=x, weights=used, notes=notes)


# --------------------------------------------------------------------------- methods


@dataclass
class KMeansResult:
    """k-means with k chosen by silhouette.

    Attributes
    ----------
    labels : cluster per area, 0-based (renumber with :func:`order_clusters`).
    k : the chosen number of clusters (highest silhouette; ties → fewer clusters).
    silhouettes : k → mean silhouette (−1…1; above ~0.25 the clusters are distinct, near 0
        they are arbitrary cuts of a continuum: say so rather than over-read them).
    sampled : silhouettes were computed on a fixed random sample (large inputs).
    """

    labels: np.ndarray
    k: int
    silhouettes: dict[int, float]
    sampled: bool = False


def kmeans_clusters(
    x: np.ndarray,
    k_values: Iterable[int] = range(2, 9),
    k: int | None = None,
    random_state: int = 0,
    sample_size: int = 2000,
) -> KMeansResult:
    """k-means for each k (fixed ``random_state``), keeping the k with the best silhouette.

    ``k`` fixes the number of clusters (silhouettes are still reported).  Silhouettes of more
    than ``sample_size`` areas use a fixed sample, since the full score is quadratic.
    """
    n = len(x)
    distinct = len(np.unique(np.round(x, 9), axis=0)) if n else 0
    ks = sorted({int(v) for v in ([k] if k is not None else [])} | set(k_values))
    ks = [v for v in ks if 2 <= v < min(n, distinct + 1)]
    if k is not None and k not in ks:
        ks = [v for v in ks if v <= k]
    if not ks:
        return KMeansResult(np.zeros(n, dtype=int), 1, {})
    sampled = n > sample_size
    sils: dict[int, float] = {}
    fits: dict[int, np.ndarray] = {}
    # scikit-learn is imported here, not with the module: importing it (scipy.stats) cost
    # every page that reads a stored result seconds on its first visit.
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    # One BLAS/OpenMP thread: on 2-core machines sklearn's thread pools oversubscribe and
    # k-means runs ~30x slower; one thread also gives the same result on every machine.
    with threadpool_limits(limits=1):
        for kk in ks:
            model = KMeans(n_clusters=kk, n_init=4, random_state=random_state)
            labels = model.fit_predict(x)
            fits[kk] = labels
            if len(np.unique(labels)) < 2:
                continue
            sils[kk] = float(
                silhouette_score(
                    x, labels, sample_size=sample_size if sampled else None,
                    random_state=random_state,
                )
            )
    if k is not None and k in fits:
        best = k
    elif sils:
        best = max(sils, key=lambda kk: (round(sils[kk], 6), -kk))
    else:
        best = ks[0]
    return KMeansResult(fits[best], best, sils, sampled)


def spatial_clusters(x: np.ndarray, adjacency: sparse.spmatrix, n_clusters: int) -> np.ndarray:
    """Contiguous clusters: Ward linkage where only neighbours may merge.

    ``adjacency`` must be connected (see :func:`connect_components`), otherwise sklearn
    completes it itself with a warning.
    """
    n = len(x)
    if n_clusters >= n:
        return np.arange(n)
    if n_clusters <= 1:
        return np.zeros(n, dtype=int)
    from sklearn.cluster import AgglomerativeClustering  # imported when used (see kmeans)
    from threadpoolctl import threadpool_limits

    model = AgglomerativeClustering(n_clusters=n_clusters, linkage="ward", connectivity=adjacency)
    with threadpool_limits(limits=1):
        return model.fit_predict(x)


def order_clusters(labels: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Renumber clusters 1, 2, … from the highest mean ``score`` (e.g. deprivation) down,
    so "cluster 1" always means the most deprived kind of area, whatever the run."""
    frame = pd.DataFrame({"label": labels, "score": score})
    mean = frame.groupby("label")["score"].mean()
    order = mean.reset_index().sort_values(["score", "label"], ascending=[False, True])["label"]
    mapping = pd.Series(np.arange(1, len(order) + 1), index=order.to_numpy())
    return mapping.loc[labels].to_numpy()


# --------------------------------------------------------------------------- profiles


def describe_centre(centre: Mapping[str, float], specs: Sequence[FeatureSpec],
                    threshold: float = 0.5, limit: int = 4) -> str:
    """Plain-English profile of a cluster centre in z units.

    Deprivation domains above (below) the average by ``threshold`` sd or more are grouped
    ("High income and employment deprivation"); spend and supplier features get their own
    words ("low spend reach", "few local suppliers").  Strongest first, at most ``limit``.
    """
    phrases: list[tuple[float, str]] = []
    by_key = {s.key: s for s in specs}
    dep = [(k, v) for k, v in centre.items() if k in by_key and by_key[k].kind == "deprivation"]
    for sign, word in ((1, "high"), (-1, "low")):
        hit = sorted(
            [(abs(v), by_key[k].label) for k, v in dep if sign * v >= threshold], reverse=True
        )
        if hit:
            labels = [h[1] for h in hit]
            if len(labels) >= 5:
                phrases.append((hit[0][0], f"{word} deprivation in most domains"))
                continue
            text = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
            phrases.append((hit[0][0], f"{word} {text} deprivation"))
    for k, v in centre.items():
        s = by_key.get(k)
        if s is None or s.kind == "deprivation" or abs(v) < threshold:
            continue
        phrases.append((abs(v), s.high if v > 0 else s.low))
    if not phrases:
        return "Close to the average of the areas compared"
    phrases.sort(key=lambda p: -p[0])
    text = " · ".join(p[1] for p in phrases[:limit])
    return text[0].upper() + text[1:]


def cluster_profiles(
    z: pd.DataFrame, labels: np.ndarray, specs: Sequence[FeatureSpec],
    population: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per cluster: size, population, profile text and centre (``z_<feature>``)."""
    centre = z.groupby(labels).mean()
    out = pd.DataFrame({"cluster": centre.index.astype(int)})
    out["n_areas"] = pd.Series(labels).value_counts().reindex(centre.index).to_numpy()
    if population is not None:
        pop = pd.to_numeric(pd.Series(population.to_numpy()), errors="coerce")
        out["population"] = pop.groupby(labels).sum().reindex(centre.index).to_numpy()
    out["profile"] = [describe_centre(centre.loc[c].to_dict(), specs) for c in centre.index]
    for col in centre.columns:
        out[f"z_{col}"] = centre[col].to_numpy()
    return out


def profile_chart(
    table: pd.DataFrame, labels: np.ndarray, specs: Sequence[FeatureSpec], z: pd.DataFrame
) -> pd.DataFrame:
    """Long table for a chart of each cluster's features against the average of all areas:
    ``cluster, feature, label, cluster_mean, average, z`` (raw means, and the gap in sd)."""
    rows = []
    zc = z.groupby(labels).mean()
    for s in specs:
        v = pd.to_numeric(table[s.column], errors="coerce").astype(float).to_numpy()
        means = pd.Series(v).groupby(labels).mean()
        avg = float(np.nanmean(v)) if np.isfinite(v).any() else np.nan
        for c in means.index:
            rows.append((int(c), s.key, s.label, float(means.loc[c]), avg, float(zc.loc[c, s.key])))
    columns = ["cluster", "feature", "label", "cluster_mean", "average", "z"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- contiguity


@dataclass
class Contiguity:
    """Queen contiguity of every LSOA 2021 in the reference file, with centroids.

    Attributes
    ----------
    codes : LSOA codes in matrix order.
    adjacency : symmetric 0/1 CSR matrix (no self-loops).
    x, y : centroid in British National Grid metres.
    area : polygon area in square degrees (a weight for ward centroids, not a measure).
    """

    codes: np.ndarray
    adjacency: sparse.csr_matrix
    x: np.ndarray
    y: np.ndarray
    area: np.ndarray


def _compute_contiguity(lsoas) -> Contiguity:
    from libpysal.graph import Graph
    from pyproj import Transformer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = Graph.build_contiguity(lsoas.reset_index(drop=True), rook=False, strict=False)
        adj = sparse.csr_matrix(graph.sparse, dtype=np.int8)
    adj.setdiag(0)
    adj.eliminate_zeros()
    adj = ((adj + adj.T) > 0).astype(np.int8).tocsr()
    geoms = lsoas.geometry.to_numpy()
    cent = shapely.centroid(geoms)
    lon, lat = shapely.get_x(cent), shapely.get_y(cent)
    x, y = Transformer.from_crs(WGS84, BNG, always_xy=True).transform(lon, lat)
    return Contiguity(
        lsoas["code"].astype(str).to_numpy(), adj, np.asarray(x), np.asarray(y),
        shapely.area(geoms),
    )


def lsoa_contiguity(reference: Reference, use_cache: bool = True) -> Contiguity:
    """Contiguity of all LSOAs of the reference boundary file, from the cache when fresh.

    Stored as ``contiguity-<file>-<key>.npz`` in :func:`impact.places.boundaries.cache_dir`, keyed
    like the boundary caches (path, size, mtime), so a new boundary file is recomputed.
    """
    src = reference.require("lsoa21_boundaries")
    path = cache_path(src, "contiguity", CONTIGUITY_VERSION).with_suffix(".npz")
    if use_cache and path.is_file():
        with np.load(path, allow_pickle=False) as f:
            n = len(f["codes"])
            adj = sparse.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=(n, n))
            return Contiguity(f["codes"].astype(str), adj, f["x"], f["y"], f["area"])
    result = _compute_contiguity(load_boundaries(src))
    if use_cache:
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp, codes=result.codes.astype("U"), data=result.adjacency.data,
            indices=result.adjacency.indices, indptr=result.adjacency.indptr,
            x=result.x, y=result.y, area=result.area,
        )
        tmp.replace(path)
    return result


@dataclass
class AreaGraph:
    """Adjacency and centroids of the areas being compared, in their order.

    Attributes
    ----------
    adjacency : symmetric CSR, connected (islands joined to their nearest area).
    x, y : centroids in BNG metres.
    added : (code, code) pairs joined because they were not touching anything reachable.
    components : number of separate parts before joining (1 = all contiguous).
    """

    adjacency: sparse.csr_matrix
    x: np.ndarray
    y: np.ndarray
    added: list[tuple[str, str]]
    components: int


def connect_components(
    adjacency: sparse.spmatrix, xy: np.ndarray
) -> tuple[sparse.csr_matrix, list[tuple[int, int]], int]:
    """Join every disconnected part (islands included) to its nearest area elsewhere.

    Repeatedly takes the smallest part and links its closest pair of centroids to the
    rest, so the result is one connected graph; returns it, the links added and the
    number of parts found at the start.
    """
    adj = sparse.csr_matrix(adjacency, dtype=np.int8)
    n_start, comp = connected_components(adj, directed=False)
    added: list[tuple[int, int]] = []
    n = adj.shape[0]
    n_comp = n_start
    while n_comp > 1:
        sizes = np.bincount(comp)
        small = int(np.argmin(sizes))
        inside = np.flatnonzero(comp == small)
        outside = np.flatnonzero(comp != small)
        dist, idx = cKDTree(xy[outside]).query(xy[inside], k=1)
        j = int(np.argmin(dist))
        a, b = int(inside[j]), int(outside[idx[j]])
        added.append((a, b))
        extra = sparse.csr_matrix(([1, 1], ([a, b], [b, a])), shape=(n, n), dtype=np.int8)
        adj = adj + extra
        n_comp, comp = connected_components(adj, directed=False)
    return (adj > 0).astype(np.int8).tocsr(), added, n_start


def area_graph(
    contiguity: Contiguity, codes: Sequence[str], membership: pd.DataFrame | None = None
) -> AreaGraph:
    """Adjacency of the given LSOAs, or of wards when ``membership`` (``lsoa21_code``,
    ``code``) maps LSOAs to them: two wards touch when any of their LSOAs do."""
    codes = pd.Index(pd.Series(codes, dtype=str))
    pos = pd.Series(np.arange(len(contiguity.codes)), index=contiguity.codes)
    if membership is None:
        known = codes.isin(pos.index)
        if not known.all():
            raise ValueError(
                f"{int((~known).sum())} area(s) have no boundary for contiguity "
                f"(e.g. {codes[~known][0]})"
            )
        idx = pos.loc[codes].to_numpy()
        adj = contiguity.adjacency[idx][:, idx]
        x, y = contiguity.x[idx], contiguity.y[idx]
    else:
        mem = membership[membership["lsoa21_code"].isin(pos.index) & membership["code"].isin(codes)]
        lsoa_idx = pos.loc[mem["lsoa21_code"].astype(str)].to_numpy()
        area_idx = codes.get_indexer(mem["code"].astype(str))
        empty = np.setdiff1d(np.arange(len(codes)), area_idx)
        if len(empty):
            raise ValueError(
                f"{len(empty)} area(s) have no LSOA boundary for contiguity "
                f"(e.g. {codes[empty[0]]})"
            )
        p = sparse.csr_matrix(
            (np.ones(len(mem)), (lsoa_idx, area_idx)),
            shape=(len(contiguity.codes), len(codes)),
        )
        sub = contiguity.adjacency[lsoa_idx][:, lsoa_idx].astype(float)
        pl = p[lsoa_idx]
        adj = (pl.T @ sub @ pl).tocsr()
        adj.setdiag(0)
        adj.eliminate_zeros()
        w = contiguity.area[lsoa_idx]
        wsum = np.bincount(area_idx, weights=w, minlength=len(codes))
        x = np.bincount(area_idx, weights=w * contiguity.x[lsoa_idx], minlength=len(codes)) / wsum
        y = np.bincount(area_idx, weights=w * contiguity.y[lsoa_idx], minlength=len(codes)) / wsum
    adj = (adj > 0).astype(np.int8).tocsr()
    xy = np.column_stack([x, y])
    joined, added, n_parts = connect_components(adj, xy) if len(codes) else (adj, [], 0)
    pairs = [(str(codes[a]), str(codes[b])) for a, b in added]
    return AreaGraph(joined, np.asarray(x), np.asarray(y), pairs, n_parts)
