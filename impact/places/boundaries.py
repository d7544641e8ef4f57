"""Area boundaries: load any vector format into one shape, cache it, prepare it for maps.

Every boundary file (ONS GeoJSON, a council's GeoPackage, a GeoParquet of the demo borough,
the Lancashire ward files with their extra ``meta`` object) comes out as a WGS84 GeoDataFrame
with ``code``, ``name`` and ``geometry``.  Reading GeoJSON is 15-25x slower than GeoParquet,
so the normalised result is cached as GeoParquet under ``data/boundaries/`` (gitignored),
keyed by the source path, size and modification time.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from impact.core import cache
from impact.core.settings import settings
from impact.ingest.tables import read_csv
from impact.places.reference import Reference

log = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"

_CODE_PATTERNS = (r"^code$", r"^ons_code$", r"_code$", r"cd$", r"^gss_?code$", r"^id$")
_NAME_PATTERNS = (r"^name$", r"_name$", r"nm$", r"^label$")
_AREA_COLUMNS = ["code", "name", "lad_code", "lad_name", "geometry"]


def cache_dir() -> Path:
    """Folder for caches derived from reference data (``IMPACT_CACHE_DIR``, else
    ``data/boundaries/``, which git ignores)."""
    folder = settings().cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cache_path(source: str | os.PathLike[str], kind: str, *extra: object) -> Path:
    """Cache file for ``source``: keyed by its resolved path, size and mtime (and ``extra``).

    The one place that decides when a derived cache is stale: a changed source file gets a
    new key, so an old cache is never read for it.
    """
    src = Path(source).resolve()
    digest = cache.key(*cache.fingerprint([src]), *extra)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", src.name.split(".")[0])[:40]
    return cache_dir() / f"{kind}-{stem}-{digest}.parquet"


def _detect(columns: Iterable[str], patterns: tuple[str, ...], exclude: set[str]) -> str | None:
    cols = [c for c in columns if c != "geometry" and c not in exclude]
    for pattern in patterns:
        hits = [c for c in cols if re.search(pattern, c, flags=re.IGNORECASE)]
        if hits:
            return hits[0]
    return None


def _set_crs(gdf: gpd.GeoDataFrame, notes: list[str], name: str = "") -> gpd.GeoDataFrame:
    """Normalise to WGS84; when no CRS is declared, tell BNG metres from degrees by magnitude.

    A file that declares degrees (a geographic CRS) but holds BNG-sized metres is common
    after a careless export; it is read as BNG with a note.  Coordinates that fit neither
    are refused, rather than drawn somewhere off the map.
    """
    bounds = gdf.total_bounds if len(gdf) else np.zeros(4)
    bounds = np.nan_to_num(bounds)  # all-empty geometries have NaN bounds
    xmin, ymin, xmax, ymax = bounds
    degrees = max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90
    bng_like = xmin >= -1e5 and xmax <= 8e5 and ymin >= -1e5 and ymax <= 1.4e6
    if gdf.crs is None:
        if degrees:
            notes.append("no CRS declared; coordinates are degrees, read as WGS84")
            gdf = gdf.set_crs(WGS84)
        elif bng_like:
            notes.append("no CRS declared; coordinates are metres, read as British National Grid")
            gdf = gdf.set_crs(BNG)
    elif gdf.crs.is_geographic and not degrees and bng_like:
        notes.append(
            f"declared {gdf.crs.to_string()} (degrees) but coordinates are metres; "
            "read as British National Grid"
        )
        gdf = gdf.set_crs(BNG, allow_override=True)
    if gdf.crs is None or (gdf.crs.is_geographic and not degrees):  # other projections: trusted
        raise ValueError(
            f"{name}: coordinates ({xmin:,.0f}, {ymin:,.0f})–({xmax:,.0f}, {ymax:,.0f}) "
            "do not fit WGS84 degrees or British National Grid metres; check the file's CRS"
        )
    if not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    return gdf


def _polygonal_only(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (make_valid can add lines and points)."""
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    mixed = np.flatnonzero(types == 7)  # GeometryCollection
    if len(mixed):
        parts, idx = shapely.get_parts(geoms[mixed], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), (3, 6))
        for j, i in enumerate(mixed):
            mine = parts[keep & (idx == j)]
            out[i] = shapely.union_all(mine) if len(mine) else shapely.Polygon()
    not_poly = ~np.isin(shapely.get_type_id(out), (3, 6, 7))
    out[not_poly] = shapely.Polygon()
    return out


def _repair(gdf: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        geoms[invalid] = _polygonal_only(fixed)
        notes.append(f"repaired {int(invalid.sum())} invalid polygon(s) with make_valid")
    present = ~missing
    geoms[present] = _polygonal_only(geoms[present])
    empty = missing | shapely.is_empty(geoms)
    if empty.any():
        codes = ", ".join(gdf.loc[empty, "code"].astype(str).head(5))
        notes.append(
            f"dropped {int(empty.sum())} area(s) with empty or non-polygonal geometry "
            f"({codes}{', ...' if empty.sum() > 5 else ''})"
        )
    out = gdf.copy()
    out["geometry"] = geoms
    return out.loc[~empty].reset_index(drop=True)


def _read_any(path: Path) -> gpd.GeoDataFrame:
    """Any vector file; a one-line ``ValueError`` when it is not one (or is damaged)."""
    suffix = "".join(path.suffixes[-1:]).lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            return gpd.read_parquet(path)
        return gpd.read_file(path, engine="pyogrio")
    except (OSError, ValueError, RuntimeError, TypeError) as exc:  # pyogrio, pyarrow errors
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"{path.name}: cannot read boundaries ({first[:160]})") from None


def load_boundaries(
    path: str | os.PathLike[str],
    code_col: str | None = None,
    name_col: str | None = None,
    *,
    use_cache: bool = True,
) -> gpd.GeoDataFrame:
    """Read a boundary file as a WGS84 GeoDataFrame with ``code``, ``name``, ``geometry``.

    Code and name columns are detected by pattern (``*_code``/``*cd``/``ons_code``,
    ``*_name``/``*nm``/``name``) unless given.  Invalid polygons are repaired, empty ones
    dropped; what was done is listed in ``gdf.attrs["notes"]`` (and logged) so nothing is
    dropped silently.  Raises ``ValueError`` naming the columns when no code column is found.
    """
    src = Path(path)
    if not src.is_file():
        raise FileNotFoundError(f"boundary file {src} does not exist")
    cached = cache_path(src, "boundaries", code_col, name_col) if use_cache else None
    if cached is not None and cached.is_file():
        gdf = gpd.read_parquet(cached)
        notes_file = cached.with_suffix(".json")
        gdf.attrs["notes"] = json.loads(notes_file.read_text()) if notes_file.is_file() else []
        return gdf

    raw = _read_any(src)
    notes: list[str] = []
    code = code_col or _detect(raw.columns, _CODE_PATTERNS, set())
    if code is None or code not in raw.columns:
        raise ValueError(
            f"{src.name}: no area code column (looked for *_code, *cd, ons_code; "
            f"columns are {', '.join(map(str, raw.columns))})"
        )
    name = name_col or _detect(raw.columns, _NAME_PATTERNS, {code})
    if name is not None and name not in raw.columns:
        raise ValueError(f"{src.name}: name column {name!r} not found")
    if name is None:
        notes.append("no name column found; names left empty")
    gdf = gpd.GeoDataFrame(
        {
            "code": raw[code].astype("string").str.strip(),
            "name": raw[name].astype("string").str.strip() if name else pd.NA,
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    gdf["name"] = gdf["name"].astype("string")
    gdf = _set_crs(gdf, notes, src.name)
    gdf = _repair(gdf, notes)
    for note in notes:
        log.info("%s: %s", src.name, note)
    if cached is not None:
        gdf.to_parquet(cached, index=False)
        cached.with_suffix(".json").write_text(json.dumps(notes))
    gdf.attrs["notes"] = notes
    return gdf


def display_geometry(gdf: gpd.GeoDataFrame, tolerance: float = 0.0003) -> gpd.GeoDataFrame:
    """Simplified copy for maps: neighbours stay gap-free, coordinates rounded to 5 decimals.

    ``tolerance`` is in degrees (0.0003 is roughly 20-30 m).  ``coverage_simplify`` keeps
    shared edges shared; it needs a valid coverage, otherwise each polygon is simplified alone.
    Meant for the handful-to-hundreds of areas of one council, not the whole country.
    """
    out = gdf.to_crs(WGS84) if gdf.crs is not None and not gdf.crs.equals(WGS84) else gdf.copy()
    geoms = out.geometry.to_numpy()
    if len(geoms) == 0:
        return out
    if shapely.coverage_is_valid(geoms):
        simple = shapely.coverage_simplify(geoms, tolerance)  # a.k.a. "simplify_coverage"
    else:
        simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    simple = shapely.set_precision(simple, 1e-5)
    simple = _polygonal_only(simple)
    keep = ~shapely.is_empty(simple)
    out["geometry"] = simple
    return out.loc[keep]


def _lookup_columns(lookup: pd.DataFrame) -> dict[str, str]:
    """Map the vintage-specific lookup column names to lsoa/ward/lad code and name."""
    found: dict[str, str] = {}
    for key, pattern in (
        ("lsoa_code", r"^lsoa\d*_?c(o)?d(e)?$"),
        ("ward_code", r"^(ward|wd)\d*_?c(o)?d(e)?$"),
        ("ward_name", r"^(ward|wd)\d*_?n(a)?m(e)?$"),
        ("lad_code", r"^(ltla|lad|la)\d*_?c(o)?d(e)?$"),
        ("lad_name", r"^(ltla|lad|la)\d*_?n(a)?m(e)?$"),
    ):
        hits = [c for c in lookup.columns if re.search(pattern, c, flags=re.IGNORECASE)]
        if hits:
            found[key] = hits[0]
    return found


def normalise_lsoa_lookup(raw: pd.DataFrame) -> pd.DataFrame:
    """An LSOA 2021 → ward → LAD lookup of any vintage, with columns renamed to
    ``lsoa21_code, ward_code, ward_name, lad_code, lad_name`` (one row per LSOA)."""
    cols = _lookup_columns(raw)
    need = {"lsoa_code", "ward_code", "lad_code"} - set(cols)
    if need:
        raise ValueError(
            f"LSOA lookup lacks {', '.join(sorted(need))} columns "
            f"(has {', '.join(map(str, raw.columns))})"
        )
    out = pd.DataFrame({k: raw[v].astype("string") for k, v in cols.items()})
    out = out.rename(columns={"lsoa_code": "lsoa21_code"})
    for col in ("ward_name", "lad_name"):
        if col not in out:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out.drop_duplicates("lsoa21_code")[
        ["lsoa21_code", "ward_code", "ward_name", "lad_code", "lad_name"]
    ].reset_index(drop=True)


def read_lsoa_lookup(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and normalise the LSOA 2021 → ward → LAD lookup (see :func:`normalise_lsoa_lookup`)."""
    try:
        return normalise_lsoa_lookup(read_csv(path, keep_default_na=True))
    except ValueError as exc:
        raise ValueError(f"{Path(path).name}: {exc}") from None


def neighbourhood_names(lookup: pd.DataFrame) -> pd.Series:
    """LSOA 2021 code → a name an officer reads, by its ward (``lsoa21_code``, ``ward_code``,
    ``ward_name`` of :func:`read_lsoa_lookup`): "Central ward" for a ward's only
    neighbourhood, else "part of Central ward (2 of 4)".  Why: the official names
    ("Hyndburn 023D") are codes in words, and no set of local names is in the reference
    data; the code where the ward is unknown."""
    rows = lookup.drop_duplicates("lsoa21_code").sort_values("lsoa21_code", kind="stable")
    ward = rows["ward_name"].astype("string").str.strip()
    group = rows["ward_code"].astype("string").fillna(rows["lsoa21_code"].astype("string"))
    n = group.map(group.value_counts())
    i = rows.groupby(group.to_numpy(), sort=False).cumcount() + 1
    sole = ward + " ward"
    part = "part of " + ward + " ward (" + i.astype(str) + " of " + n.astype(str) + ")"
    named = sole.where(n == 1, part).fillna(rows["lsoa21_code"].astype("string"))
    return pd.Series(named.to_numpy(), index=rows["lsoa21_code"].to_numpy(), dtype="string")


def areas_for_lads(
    reference: Reference,
    lad_codes: Iterable[str],
    unit: str = "ward",
    notes: list[str] | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The wards or LSOAs of the given LADs, and warnings (in plain words, for officers)
    about what is missing.

    Areas are selected through the LSOA 2021 → ward → LAD lookup, never by a code prefix.
    Ward codes change almost yearly, so the ward boundary files on hand may all be of other
    years: the wards are then built by dissolving LSOA 2021 polygons by the lookup's ward
    code, which always matches the lookup, and a note says so (in ``notes`` when given —
    a note on method, not a problem — else among the warnings).
    The result carries ``code``, ``name``, ``lad_code``, ``lad_name``, ``geometry``.
    """
    if unit not in ("ward", "lsoa"):
        raise ValueError(f"unit must be 'ward' or 'lsoa', not {unit!r}")
    warn: list[str] = []
    mine = _lookup_rows_of(reference, {str(c).strip() for c in lad_codes}, warn)
    lsoas = load_boundaries(reference.require("lsoa21_boundaries"))
    if unit == "lsoa":
        return _lsoas_of(lsoas, mine, warn), warn
    wards = mine.drop_duplicates("ward_code")[["ward_code", "ward_name", "lad_code", "lad_name"]]
    found = _wards_from_boundary_files(reference, wards)
    if found is None:
        (warn if notes is None else notes).append(DRAWN_FROM_NEIGHBOURHOODS)
        found = _wards_dissolved_from_lsoas(lsoas, mine, wards, warn)
    return found, warn


#: Said when no ward boundary file holds the council's current wards (another year's).
DRAWN_FROM_NEIGHBOURHOODS = (
    "Ward shapes are drawn from the neighbourhoods (LSOA 2021) each ward is made of: the "
    "ward boundary files on hand are from other years, and a ward's code changes whenever "
    "its boundary does."
)


def _lookup_rows_of(reference: Reference, lads: set[str], warn: list[str]) -> pd.DataFrame:
    """The lookup's LSOA rows of ``lads``; a LAD code the lookup lacks is warned about."""
    lookup = read_lsoa_lookup(reference.require("lookup_lsoa21_ward_lad"))
    mine = lookup[lookup["lad_code"].isin(lads)]
    unknown = sorted(lads - set(mine["lad_code"]))
    if unknown:
        warn.append("no neighbourhoods or wards are known for district code(s) "
                    f"{', '.join(unknown)} (not in the LSOA lookup)")
    return mine


def _lsoas_of(lsoas: gpd.GeoDataFrame, mine: pd.DataFrame, warn: list[str]) -> gpd.GeoDataFrame:
    """The LSOA polygons of the lookup rows, with their LAD; missing polygons are counted."""
    sel = lsoas.merge(
        mine[["lsoa21_code", "lad_code", "lad_name"]],
        left_on="code",
        right_on="lsoa21_code",
        how="inner",
    )
    sel["name"] = sel["code"].map(neighbourhood_names(mine)).fillna(sel["name"])
    missing = len(mine) - len(sel)
    if missing:
        warn.append(f"{missing} neighbourhood(s) (LSOA 2021) have no boundary to draw")
    return sel[_AREA_COLUMNS].reset_index(drop=True)


def _wards_from_boundary_files(
    reference: Reference, wards: pd.DataFrame
) -> gpd.GeoDataFrame | None:
    """The wards from the first ward boundary file holding every one of the lookup's ward
    codes (names from the lookup); None when no file does (each is logged)."""
    wanted = set(wards["ward_code"])
    for ward_file in reference.find_all("ward_boundaries"):
        bounds = load_boundaries(ward_file)
        have = wanted & set(bounds["code"])
        if have == wanted:
            sel = (
                bounds[bounds["code"].isin(wanted)]
                .drop(columns="name")
                .merge(wards, left_on="code", right_on="ward_code")
            )
            sel = sel.rename(columns={"ward_name": "name"})
            return sel[_AREA_COLUMNS].reset_index(drop=True)
        log.info("ward boundaries %s hold %d of the lookup's %d ward codes (another year's)",
                 ward_file.name, len(have), len(wanted))
    return None


def _wards_dissolved_from_lsoas(
    lsoas: gpd.GeoDataFrame, mine: pd.DataFrame, wards: pd.DataFrame, warn: list[str]
) -> gpd.GeoDataFrame:
    """Each ward as the union of its LSOAs: matches the lookup whatever the ward vintage."""
    parts = lsoas.merge(
        mine[["lsoa21_code", "ward_code"]], left_on="code", right_on="lsoa21_code", how="inner"
    )
    dissolved = parts[["ward_code", "geometry"]].dissolve(by="ward_code").reset_index()
    sel = dissolved.merge(wards, on="ward_code").rename(
        columns={"ward_code": "code", "ward_name": "name"}
    )
    wanted = set(wards["ward_code"])
    if len(sel) < len(wanted):
        warn.append(f"{len(wanted) - len(sel)} ward(s) have no neighbourhood boundaries to "
                    "draw them from")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = gpd.GeoDataFrame(sel, geometry="geometry", crs=lsoas.crs)
    return sel[_AREA_COLUMNS].reset_index(drop=True)
