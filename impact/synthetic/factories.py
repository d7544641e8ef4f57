"""Synthetic areas, deprivation tables and transactions, built in code.

Product code, not test helpers: these builders make the committed demo borough
(:mod:`impact.synthetic.borough`) and the synthetic inputs of the benchmarks
(``bench/``), so neither depends on downloaded data; the tests reuse them for the same
reason.  Geometry is built in a local kilometre grid (x east, y north) and converted to
WGS84 by a plain equirectangular scaling: no PROJ transformation, so the output is
identical on every machine whatever grid files PROJ has.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.special import ndtr
from shapely.geometry import Polygon
from sklearn.cluster import AgglomerativeClustering

from impact.ingest.schema import conform
from impact.synthetic import COUNCIL

WGS84 = "EPSG:4326"
KM_PER_DEG_LAT = 110.574

#: IoD 2025 domain column stems, in the published column order, with IMD weights.
IOD_DOMAINS: dict[str, float] = {
    "Income": 0.225,
    "Employment": 0.225,
    "Education": 0.135,
    "Health": 0.135,
    "Crime": 0.093,
    "Housing_and_Services": 0.093,
    "Environment": 0.093,
}
#: National LSOA counts the ranks are out of (IoD 2025 on LSOA 2021, IoD 2019 on LSOA 2011).
N_LSOA_2025 = 33_755
N_LSOA_2019 = 32_844

# score = median * exp(a z - b z^2) for rate-like domains, or a z for z-score domains,
# where z is the national standard-normal deprivation (higher = more deprived).
_SCORE_SHAPE: dict[str, tuple[str, float, float, float]] = {
    "IMD": ("log", 16.0, 0.80, 0.07),
    "Income": ("log", 0.18, 0.75, 0.06),
    "Employment": ("log", 0.11, 0.62, 0.05),
    "Education": ("log", 17.0, 0.80, 0.09),
    "Health": ("lin", 0.0, 0.90, 0.0),
    "Crime": ("lin", 0.0, 0.88, 0.0),
    "Housing_and_Services": ("log", 20.0, 0.45, 0.03),
    "Environment": ("log", 16.0, 0.80, 0.09),
}


# --------------------------------------------------------------------------- geometry


def star_polygon(
    center: tuple[float, float],
    radius: float,
    rng: np.random.Generator,
    n_vertices: int = 28,
    roughness: float = 0.12,
    aspect: float = 1.0,
) -> Polygon:
    """An irregular, star-shaped outline (so it is always a valid simple polygon)."""
    theta = np.linspace(0.0, 2 * np.pi, n_vertices, endpoint=False)
    phase = rng.uniform(0, 2 * np.pi, 3)
    r = radius * (
        1
        + roughness * np.sin(2 * theta + phase[0])
        + 0.6 * roughness * np.sin(3 * theta + phase[1])
        + 0.4 * roughness * np.sin(5 * theta + phase[2])
        + rng.uniform(-roughness / 2, roughness / 2, n_vertices)
    )
    xy = np.column_stack([center[0] + aspect * r * np.cos(theta), center[1] + r * np.sin(theta)])
    return Polygon(np.round(xy, 4))


def spaced_points(
    area: Polygon,
    n: int,
    min_dist: float,
    rng: np.random.Generator,
    avoid: Polygon | None = None,
    avoid_dist: float = 0.0,
) -> np.ndarray:
    """``n`` random points in ``area`` at least ``min_dist`` apart (greedy dart throwing).

    Spacing keeps Voronoi cells of similar size, like real census areas.
    """
    minx, miny, maxx, maxy = area.bounds
    cand = rng.uniform((minx, miny), (maxx, maxy), size=(max(50 * n, 2000), 2))
    cand = np.round(cand, 4)
    keep = shapely.contains_xy(area, cand[:, 0], cand[:, 1])
    if avoid is not None:
        keep &= shapely.distance(avoid, shapely.points(cand)) > avoid_dist
    cand = cand[keep]
    chosen = np.empty((0, 2))
    for p in cand:  # a few thousand candidates at most: a loop is clearest here
        if len(chosen) == 0 or np.min(np.hypot(*(chosen - p).T)) >= min_dist:
            chosen = np.vstack([chosen, p])
            if len(chosen) == n:
                return chosen
    raise ValueError(f"could only place {len(chosen)} of {n} points {min_dist} apart")


def voronoi_cells(points: np.ndarray, clip: Polygon) -> np.ndarray:
    """Voronoi cells of ``points`` (in input order) clipped to ``clip``: a gap-free coverage."""
    cells = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=clip.buffer(clip.length), ordered=True
    )
    return shapely.intersection(np.asarray(shapely.get_parts(cells)), clip)


def rook_adjacency(
    geoms: Sequence[shapely.Geometry] | np.ndarray, min_shared: float = 1e-6
) -> sparse.csr_matrix:
    """Symmetric 0/1 matrix of polygons sharing an edge longer than ``min_shared``."""
    geoms = np.asarray(geoms)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    off = i != j
    i, j = i[off], j[off]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j]))
    )
    edge = shared > min_shared
    n = len(geoms)
    return sparse.csr_matrix((np.ones(edge.sum()), (i[edge], j[edge])), shape=(n, n))


def contiguous_clusters(xy: np.ndarray, adjacency: sparse.spmatrix, n_clusters: int) -> np.ndarray:
    """Spatially contiguous groups of areas (Ward linkage constrained to neighbours)."""
    if n_clusters >= len(xy):
        return np.arange(len(xy))
    model = AgglomerativeClustering(n_clusters=n_clusters, linkage="ward", connectivity=adjacency)
    return model.fit_predict(xy)


def order_labels(labels: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Renumber cluster labels 0.. from north-west to south-east (stable, readable codes)."""
    frame = pd.DataFrame({"label": labels, "x": xy[:, 0], "y": xy[:, 1]})
    cent = frame.groupby("label")[["x", "y"]].mean()
    order = (cent["x"] - cent["y"]).sort_values(kind="stable").index
    return pd.Series(np.arange(len(order)), index=order).loc[labels].to_numpy()


def km_to_lonlat(geoms: np.ndarray, origin: tuple[float, float], decimals: int = 5) -> np.ndarray:
    """Local km coordinates around ``origin`` (lon, lat) → WGS84, rounded to ``decimals``."""
    lon0, lat0 = origin
    km_per_deg_lon = 111.320 * np.cos(np.radians(lat0))

    def convert(xy: np.ndarray) -> np.ndarray:
        out = np.column_stack([lon0 + xy[:, 0] / km_per_deg_lon, lat0 + xy[:, 1] / KM_PER_DEG_LAT])
        return np.round(out, decimals)

    return shapely.transform(geoms, convert)


def make_grid_areas(
    nx: int,
    ny: int,
    size: float = 1.0,
    origin: tuple[float, float] = (0.0, 0.0),
    code_prefix: str = "E0199",
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """``nx`` × ``ny`` square areas coded ``{prefix}0001``… row by row from the south-west.

    The smallest possible "borough" for tests: neighbours, edges and centroids are obvious.
    """
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    x0 = origin[0] + ix.ravel() * size
    y0 = origin[1] + iy.ravel() * size
    geoms = shapely.box(x0, y0, x0 + size, y0 + size)
    width = 9 - len(code_prefix)
    codes = [f"{code_prefix}{k + 1:0{width}d}" for k in range(nx * ny)]
    return gpd.GeoDataFrame(
        {"code": codes, "row": iy.ravel(), "col": ix.ravel()}, geometry=geoms, crs=crs
    )


def smooth_field(
    xy: np.ndarray, rng: np.random.Generator, n_bumps: int = 12, scale: float = 3.0
) -> np.ndarray:
    """A spatially smooth random field (sum of Gaussian bumps), standardised to mean 0, sd 1."""
    lo, hi = xy.min(axis=0) - scale, xy.max(axis=0) + scale
    centres = rng.uniform(lo, hi, size=(n_bumps, 2))
    weights = rng.normal(size=n_bumps)
    d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    field = (weights * np.exp(-d2 / (2 * scale**2))).sum(axis=1)
    sd = field.std()
    return (field - field.mean()) / (sd if sd > 0 else 1.0)


def make_region(
    rng: np.random.Generator,
    n_borough: int = 100,
    n_neighbours: Sequence[int] = (12, 12, 12),
    borough_radius: float = 5.0,
    region_radius: float = 13.0,
    n_wards: int = 20,
    neighbour_wards: Sequence[int] = (3, 3, 3),
) -> gpd.GeoDataFrame:
    """A borough of small areas ringed by coarser neighbouring districts (local km grid).

    Every area is a Voronoi cell of a spaced seed point, clipped to one irregular region
    outline, so the coverage is gap-free by construction.  Seeds inside an irregular
    borough outline make the borough (``lad`` 0); the ring around it is cut into angular
    sectors, one per neighbour (``lad`` 1…).  Wards are contiguous Ward-linkage groups of
    areas within each district, numbered from north-west to south-east.
    Columns: ``lad``, ``ward`` (unique across the region), ``x``, ``y`` (seed), geometry.
    """
    borough = star_polygon((0.0, 0.0), borough_radius, rng, aspect=1.2, roughness=0.14)
    region = star_polygon((0.0, 0.0), region_radius, rng, aspect=1.1, roughness=0.08)
    if not region.contains(borough):
        raise ValueError("region outline must contain the borough outline")
    cell = np.sqrt(borough.area / n_borough)
    inner = spaced_points(borough, n_borough, 0.75 * cell, rng)
    ring_area = region.area - borough.area
    n_ring = int(sum(n_neighbours))
    ring_cell = np.sqrt(ring_area / n_ring)
    outer = spaced_points(
        region, n_ring, 0.7 * ring_cell, rng, avoid=borough, avoid_dist=0.45 * ring_cell
    )
    xy = np.vstack([inner, outer])
    cells = voronoi_cells(xy, region)
    # neighbours: angular sectors with cut points proportional to the requested sizes
    angle = np.mod(np.arctan2(outer[:, 1], outer[:, 0]) - rng.uniform(0, 2 * np.pi), 2 * np.pi)
    order = np.argsort(angle, kind="stable")
    sector = np.empty(n_ring, dtype=int)
    sector[order] = np.repeat(np.arange(1, len(n_neighbours) + 1), list(n_neighbours))
    lad = np.concatenate([np.zeros(n_borough, dtype=int), sector])
    adjacency = rook_adjacency(cells)
    ward = np.empty(len(xy), dtype=int)
    next_label = 0
    for k in range(len(n_neighbours) + 1):
        idx = np.flatnonzero(lad == k)
        sub = adjacency[idx][:, idx]
        n_components = connected_components(sub, directed=False)[0]
        if n_components != 1:
            raise ValueError(f"district {k} is not contiguous ({n_components} parts)")
        labels = contiguous_clusters(xy[idx], sub, n_wards if k == 0 else neighbour_wards[k - 1])
        labels = order_labels(labels, xy[idx])
        ward[idx] = labels + next_label
        next_label += labels.max() + 1
    return gpd.GeoDataFrame(
        {"lad": lad, "ward": ward, "x": xy[:, 0], "y": xy[:, 1]}, geometry=cells
    )


# --------------------------------------------------------------------------- deprivation


def _standardise(v: np.ndarray) -> np.ndarray:
    sd = v.std()
    return (v - v.mean()) / (sd if sd > 0 else 1.0)


def domain_latents(
    core: np.ndarray,
    rng: np.random.Generator,
    xy: np.ndarray | None = None,
) -> pd.DataFrame:
    """National-scale deprivation z (higher = more deprived) for IMD and the 7 domains.

    Each domain mixes the shared ``core`` pattern with its own (smooth, when ``xy`` is
    given) noise, so domains correlate like the real ones (Income/Employment strongly,
    Housing and Environment weakly); the IMD is their weighted sum with the IoD weights.
    """
    loading = {
        "Income": 0.95,
        "Employment": 0.93,
        "Education": 0.85,
        "Health": 0.85,
        "Crime": 0.75,
        "Housing_and_Services": 0.2,
        "Environment": 0.35,
    }
    out = {}
    for name, w in loading.items():
        noise = smooth_field(xy, rng, scale=2.0) if xy is not None else rng.normal(size=len(core))
        noise = 0.6 * noise + 0.4 * rng.normal(size=len(core))
        out[name] = w * core + np.sqrt(1 - w**2) * _standardise(noise)
    frame = pd.DataFrame(out)
    imd = sum(frame[d] * IOD_DOMAINS[d] for d in IOD_DOMAINS)
    frame.insert(0, "IMD", _standardise(imd.to_numpy()) * core.std() + core.mean())
    return frame.clip(-3.5, 3.5)


def latent_to_score(name: str, z: np.ndarray) -> np.ndarray:
    """A plausible IoD-style score for national deprivation z (monotone increasing)."""
    kind, med, a, b = _SCORE_SHAPE[name]
    z = np.clip(z, -3.5, 3.5)
    if kind == "lin":
        return np.round(a * z, 3)
    return np.round(med * np.exp(a * z - b * z**2), 3)


def latent_to_rank(z: np.ndarray, n_national: int) -> np.ndarray:
    """National rank (1 = most deprived) of deprivation z among ``n_national`` areas."""
    return np.clip(np.ceil((1 - ndtr(z)) * n_national), 1, n_national).astype(int)


def rank_to_decile(rank: np.ndarray, n_national: int) -> np.ndarray:
    """Decile 1–10 (1 = most deprived 10 %) of a national rank."""
    return np.clip(np.ceil(rank / n_national * 10), 1, 10).astype(int)


def make_imd_table(
    codes: Sequence[str],
    rng: np.random.Generator,
    latent: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """An IoD 2025 LSOA table in the published column layout (deciles, ranks, scores).

    ``latent`` (from :func:`domain_latents`) carries a spatial pattern; without it the
    areas get independent standard-normal deprivation.
    """
    if latent is None:
        latent = domain_latents(rng.normal(size=len(codes)), rng)
    names = list(latent.columns)
    ranks = {n: latent_to_rank(latent[n].to_numpy(), N_LSOA_2025) for n in names}
    cols: dict[str, object] = {"lsoa21_code": list(codes)}
    for n in names:
        cols[f"{n}_decile"] = rank_to_decile(ranks[n], N_LSOA_2025).astype(float)
    for n in names:
        cols[f"{n}_rank"] = ranks[n].astype(float)
    for n in names:
        cols[f"{n}_score"] = latent_to_score(n, latent[n].to_numpy())
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------- transactions


def make_transactions(
    n: int,
    rng: np.random.Generator,
    suppliers: Sequence[str] = ("ACME SERVICES LTD", "Bramble Care Limited", "Kestrel Vale CIC"),
    council: str = COUNCIL,
    start: str = "2024-04-01",
    days: int = 365,
) -> pd.DataFrame:
    """``n`` canonical transactions (see :mod:`impact.ingest.schema`) with log-normal
    amounts of £500 or more (the publication threshold)."""
    dates = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days, n), unit="D")
    amount = np.round(500 * np.exp(rng.exponential(1.0, n)), 2)
    names = np.asarray(suppliers, dtype=object)[rng.integers(0, len(suppliers), n)]
    frame = pd.DataFrame(
        {
            "council": council,
            "source_file": "synthetic.csv",
            "source_row": np.arange(2, n + 2),
            "date": dates,
            "period": dates.strftime("%Y-%m"),
            "amount": amount,
            "supplier_name": names,
            "transaction_id": [f"T{k:07d}" for k in range(n)],
            "is_card": False,
            "is_redacted": False,
            "is_summary": False,
            "is_credit": amount < 0,
        }
    )
    return conform(frame)


# --------------------------------------------------------------------------- clustering


def make_planted_clusters(
    rng: np.random.Generator,
    nx: int = 12,
    ny: int = 12,
    n_features: int = 4,
    separation: float = 4.0,
    noise: float = 0.5,
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """A grid of square areas in three planted, contiguous vertical bands with distinct
    feature centres (``separation`` × √2 apart) plus Gaussian ``noise``.

    Returns the areas (``make_grid_areas``), the true band (0, 1, 2) per area and the
    feature matrix, so clustering tests can check the bands are recovered.
    """
    areas = make_grid_areas(nx, ny)
    truth = np.minimum(3 * areas["col"].to_numpy() // nx, 2)
    if n_features < 3:
        raise ValueError("need at least 3 features to plant 3 distinct centres")
    centres = separation * np.eye(3, n_features)  # every pair of centres equally far apart
    x = centres[truth] + noise * rng.normal(size=(len(areas), n_features))
    return areas, truth, x
