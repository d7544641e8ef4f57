"""A council's own geography: its districts, region, wards with their deprivation.

Local shares need to know which districts (LADs) *are* the council, which region it sits
in, and its wards for the maps.  All of it comes from the reference folder; a council whose
name matches no district is told so (and can give its LAD codes) rather than shown £0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from impact.ingest.names import normalise_name
from impact.ingest.tables import read_csv
from impact.places.boundaries import (
    areas_for_lads,
    display_geometry,
    load_boundaries,
    read_lsoa_lookup,
)
from impact.places.deprivation import (
    aggregate,
    bridge_lsoa11_to_lsoa21,
    load_imd2019,
    load_imd2025,
)
from impact.places.geocode import read_region_lookup
from impact.places.public_bodies import load_gazetteer
from impact.places.reference import Reference, ReferenceError

_COUNCIL_WORDS = re.compile(
    r"(?i)\b(council|borough|city|metropolitan|district|county|royal|of|the|and|mbc|bc|cc|dc)\b"
)


def norm_council_name(name: str) -> str:
    """Council or district name without the words that differ between the two."""
    text = _COUNCIL_WORDS.sub(" ", str(name).replace("&", " and "))
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def find_council_lads(council: str, lookup: pd.DataFrame) -> list[str]:
    """LAD codes whose name matches the council's name ("Anytown Borough Council" →
    Anytown); exact normalised match first, then containment.  [] when none matches."""
    lads = lookup[["lad_code", "lad_name"]].dropna().drop_duplicates("lad_code")
    key = norm_council_name(council)
    if not key:
        return []
    names = lads["lad_name"].map(norm_council_name)
    hit = lads.loc[names == key, "lad_code"]
    if hit.empty:
        hit = lads.loc[names.map(lambda n: bool(n) and (n in key or key in n)), "lad_code"]
    return sorted(hit.astype(str).unique())


@dataclass
class CouncilGeography:
    """Where a council is, as the reference data knows it.

    Attributes
    ----------
    lads, lad_names : the council's district code(s) and their names.
    regions, region_lads : its region(s) and every district in them.
    wards : the council's wards (WGS84 display geometry) with IoD 2025 aggregates and
        IoD 2019 ranks where available.
    warnings : what could not be found (shown to the user); notes : caveats on method.
    """

    lads: list[str]
    lad_names: list[str]
    regions: list[str]
    region_lads: list[str]
    wards: gpd.GeoDataFrame
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    name: str = ""  # the council's official name (:func:`official_name`)
    region_names: list[str] = field(default_factory=list)
    noun: str = "the council"  # how a sentence names the body (:func:`body_noun`)

    def meta(self) -> dict:
        """Everything but the wards, as JSON-ready values (for the prepared-places cache)."""
        return {
            "lads": self.lads,
            "lad_names": self.lad_names,
            "regions": self.regions,
            "region_lads": self.region_lads,
            "warnings": self.warnings,
            "notes": self.notes,
            "name": self.name,
            "region_names": self.region_names,
            "noun": self.noun,
        }


def council_geography(
    reference: Reference, council: str, lad_codes: tuple[str, ...] = ()
) -> CouncilGeography:
    """The council's districts (given, else matched by name), region and wards."""
    warnings: list[str] = []
    notes: list[str] = []
    lookup = _lookup(reference, warnings)
    lads = list(lad_codes) or council_lads(reference, council)
    if not lads:
        warnings.append(
            f"no district in the reference lookup matches {council!r}; "
            "local shares cannot be computed (give the LAD code)"
        )
    lad_names = _lad_names(lookup, lads)
    regions, region_lads = council_regions(reference, lads, warnings)
    wards = council_wards(reference, lads, warnings, notes) if lads else empty_wards()
    return CouncilGeography(lads, lad_names, regions, region_lads, wards, warnings, notes,
                            official_name(reference, council),
                            region_names(reference, regions), body_noun(reference, council))


def council_lads(reference: Reference, council: str) -> list[str]:
    """The districts (LAD codes) a council serves, from its name; [] when nothing matches.

    The one rule, for every page and command: the council's name as the public-body
    gazetteer reads it (official names, alternative names, "… BC"/"… MBC" forms; a county
    council serves its districts, an ended council its successor's area), else the district
    lookup's names (:func:`find_council_lads`) when the reference folder has no
    local-authority tables.
    """
    payer = load_gazetteer(reference).payer(council)
    if payer.lads:
        return sorted(payer.lads)
    path = reference.find("lookup_lsoa21_ward_lad")
    return find_council_lads(council, read_lsoa_lookup(path)) if path is not None else []


def official_name(reference: Reference | None, council: str) -> str:
    """The council's official name from the local-authority register as the gazetteer
    reads it ("Manchester City Council" for "manchester", "Hyndburn Borough Council" for
    "Hyndburn BC"); the name as given when it matches no council (a synthetic borough, a
    reference folder without the register).  Why: people read the name the council uses
    itself, and a folder name or an abbreviation is not it."""
    given = str(council).strip()
    if reference is None or not given:
        return given
    m = load_gazetteer(reference).match_one(normalise_name(given), given)
    if m.body is not None and m.body.body_class in ("council", "combined_authority"):
        return m.body.name
    return given


#: How a sentence names a paying body that is not a council, by the gazetteer's class: (a
#: word in its name, the noun) first that fits, else the class's own noun.
BODY_NOUNS: dict[str, tuple[tuple[str, str], ...]] = {
    "council": (("CORPORATION", "the corporation"),),
    "combined_authority": (("COMBINED", "the combined authority"),),
    "police": (("COMMISSIONER", "the commissioner"), ("MAYOR", "the Mayor's office"),
               ("POLIC", "the force"), ("CONSTAB", "the force")),
    "fire": (),
}
_CLASS_NOUNS = {"council": "the council", "combined_authority": "the authority",
                "police": "the police body", "fire": "the fire authority"}


def body_noun(reference: Reference | None, council: str) -> str:
    """The paying body in plain words, for sentences ("… of the council's money", "the
    authority's money"): "the council" for a council (and whatever the reference data does
    not know), "the combined authority", "the authority" (the Greater London Authority),
    "the commissioner" (a police and crime commissioner), "the fire authority"."""
    given = str(council).strip()
    if reference is None or not given:
        return "the council"
    m = load_gazetteer(reference).match_one(normalise_name(given), given)
    cls = m.body.body_class if m.body is not None else m.body_class
    if cls not in _CLASS_NOUNS:
        return "the council"
    # the name as given first: a body found by its area's name has a made-up name
    names = [given.upper()] + ([m.body.name.upper()] if m.body is not None else [])
    return next((noun for name in names for word, noun in BODY_NOUNS[cls] if word in name),
                _CLASS_NOUNS[cls])


def district_names(reference: Reference) -> dict[str, str]:
    """Every district in the reference lookup: LAD code → name ({} without a lookup)."""
    path = reference.find("lookup_lsoa21_ward_lad")
    if path is None:
        return {}
    lk = read_lsoa_lookup(path)[["lad_code", "lad_name"]].dropna().drop_duplicates("lad_code")
    return dict(zip(lk["lad_code"].astype(str), lk["lad_name"].astype(str), strict=True))


def supplier_deprivation(reference: Reference, warnings: list[str]) -> pd.DataFrame | None:
    """``lsoa21_code → imd_decile`` (IoD 2025), or None with a warning when absent."""
    path = reference.find("imd2025_lsoa21")
    if path is None:
        warnings.append("no IoD 2025 table in the reference folder: deprivation figures omitted")
        return None
    imd = load_imd2025(path)
    return imd[["lsoa21_code", "imd_decile"]].astype({"lsoa21_code": "string"})


def _lookup(reference: Reference, warnings: list[str]) -> pd.DataFrame | None:
    path = reference.find("lookup_lsoa21_ward_lad")
    if path is None:
        warnings.append("no LSOA → ward → district lookup in the reference folder")
        return None
    return read_lsoa_lookup(path)


def _lad_names(lookup: pd.DataFrame | None, lads: list[str]) -> list[str]:
    if lookup is None:
        return []
    names = lookup.loc[lookup["lad_code"].isin(lads), "lad_name"]
    return sorted(names.dropna().astype(str).unique())


def council_regions(
    reference: Reference, lads: list[str], warnings: list[str]
) -> tuple[list[str], list[str]]:
    """The region codes of ``lads`` and every district in those regions."""
    path = reference.find("lookup_lad_region")
    if path is None or not lads:
        if lads:
            warnings.append("no district → region lookup: regional share omitted")
        return [], []
    reg = read_region_lookup(path).reset_index()
    mine = reg.loc[reg["lad_code"].isin(lads), "region_code"]
    regions = sorted(mine.dropna().astype(str).unique())
    region_lads = sorted(reg.loc[reg["region_code"].isin(regions), "lad_code"].astype(str).unique())
    return regions, region_lads


def region_names(reference: Reference, regions: list[str]) -> list[str]:
    """The names of region codes ("North East"), as the region lookup gives them."""
    path = reference.find("lookup_lad_region")
    if path is None or not regions:
        return []
    reg = read_region_lookup(path)
    names = reg.loc[reg["region_code"].isin(regions)].drop_duplicates("region_code")
    return [str(n) for n in names["region_name"].dropna()]


def council_centre(wards: gpd.GeoDataFrame) -> tuple[float, float] | None:
    """A point inside the council (its wards' union, WGS84): the centre of a radius."""
    if len(wards) == 0:
        return None
    pt = gpd.GeoSeries([wards.union_all()], crs=wards.crs).representative_point().iloc[0]
    return round(float(pt.y), 5), round(float(pt.x), 5)


def empty_wards() -> gpd.GeoDataFrame:
    """A ward table with no rows (the maps then say there is nothing to show)."""
    return gpd.GeoDataFrame(
        {"code": pd.Series(dtype="string"), "name": pd.Series(dtype="string")},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        crs="EPSG:4326",
    )


def council_wards(
    reference: Reference, lads: list[str], warnings: list[str], notes: list[str] | None = None
) -> gpd.GeoDataFrame:
    """The council's wards for maps: display geometry, IoD 2025 (and 2019) aggregates."""
    try:
        areas, warn = areas_for_lads(reference, lads, "ward",
                                     notes if notes is not None else warnings)
    except (ReferenceError, ValueError, FileNotFoundError) as exc:
        warnings.append(f"no ward map: {exc}")
        return empty_wards()
    warnings.extend(warn)
    wards = display_geometry(areas)
    lookup_path = reference.find("lookup_lsoa21_ward_lad")
    imd_path = reference.find("imd2025_lsoa21")
    if lookup_path is None or imd_path is None:
        return wards.reset_index(drop=True)
    lookup = read_csv(lookup_path, keep_default_na=True)
    pop_path = reference.find("population_lsoa21")
    pop = read_csv(pop_path, keep_default_na=True) if pop_path is not None else None
    agg = aggregate(load_imd2025(imd_path), lookup, pop, "ward").drop(
        columns=["name", "lad_code", "lad_name"], errors="ignore"
    )
    wards = wards.merge(agg, on="code", how="left")
    old = _imd2019_wards(reference, lookup, pop, warnings, notes if notes is not None else warnings)
    return wards.merge(old, on="code", how="left").reset_index(drop=True)


def _imd2019_wards(
    reference: Reference,
    lookup: pd.DataFrame,
    pop: pd.DataFrame | None,
    warnings: list[str],
    notes: list[str],
) -> pd.DataFrame:
    """IoD 2019 rank per ward (bridged from LSOA 2011), or an empty frame."""
    f2 = reference.find("imd2019_lsoa11_file2")
    bridge = reference.find("lookup_lsoa11_lsoa21")
    empty = pd.DataFrame({"code": pd.Series(dtype="string")})
    if f2 is None or bridge is None:
        return empty
    try:
        imd19 = load_imd2019(f2, reference.find("imd2019_lsoa11_file1"))
        bridged, note = bridge_lsoa11_to_lsoa21(imd19, read_csv(bridge, keep_default_na=True))
        agg = aggregate(bridged, lookup, pop, "ward")
    except (ValueError, KeyError) as exc:
        warnings.append(f"IoD 2019 not shown: {exc}")
        return empty
    notes.append(note)
    keep = {
        "imd_rank": "imd2019_rank",
        "share_lsoa_decile1_2": "imd2019_share_lsoa_decile1_2",
        "worst_decile": "imd2019_worst_decile",
    }
    return agg[["code", *[c for c in keep if c in agg]]].rename(columns=keep)


#: The widest map frame (width / height) the neighbours must fill: a projector's map is
#: 1600 × 680 px.
WIDEST_FRAME = 2.4


def frame_window(bounds, margin: float) -> shapely.Polygon:
    """A box round ``bounds`` (lon/lat) covering a frame of up to :data:`WIDEST_FRAME`
    fitted to them, either way round: a tall council on a wide map (Hyndburn on the
    projector) shows neighbours to the map's edges, not a grey strip."""
    x0, y0, x1, y1 = (float(v) for v in bounds)
    kx = max(np.cos(np.radians((y0 + y1) / 2)), 0.1)  # degrees of longitude → of latitude
    w, h = (x1 - x0) * kx, y1 - y0
    half_w = max(w, h * WIDEST_FRAME) * (0.5 + margin) / kx
    half_h = max(h, w) * (0.5 + margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return shapely.box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def neighbouring_districts(
    reference: Reference, lads: list[str], wards: gpd.GeoDataFrame, margin: float = 0.6
) -> gpd.GeoDataFrame:
    """The districts around the council (``code``, ``name``, display ``geometry``), clipped to
    a window round its wards wide enough for any frame up to :data:`WIDEST_FRAME` (plus
    ``margin`` of the council's size on every side): drawn in grey under the wards so a map
    still reads where the street basemap cannot load.  Empty without a district file."""
    path = reference.find("lad_boundaries")
    if path is None or len(wards) == 0:
        return empty_wards()
    try:
        lad = load_boundaries(path)
    except (OSError, ValueError):
        return empty_wards()
    window = frame_window(wards.total_bounds, margin)
    near = lad.iloc[lad.sindex.query(window, predicate="intersects")]
    near = near[~near["code"].isin(lads)].copy()
    near["geometry"] = shapely.intersection(near.geometry.to_numpy(), window)
    near = display_geometry(near, tolerance=0.0008)
    return near[["code", "name", "geometry"]].reset_index(drop=True)
