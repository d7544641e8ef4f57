"""What "local" means for the re-spend (LM3) model.

LM3 only makes sense against a stated boundary, so the boundary is an explicit object:
the council's own district(s), a set of districts (county, combined authority, region),
or a radius in km around a point.  Every supplier is then *local*, *non_local* or
*unknown* (not located): unlocated spend is never silently counted as non-local — the
model carries it as a band (see :mod:`impact.analysis.multiplier`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

LOCAL, NON_LOCAL, UNKNOWN = "local", "non_local", "unknown"
STATUSES = (LOCAL, NON_LOCAL, UNKNOWN)
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


def haversine_km(lat1: object, lon1: object, lat2: object, lon2: object) -> np.ndarray:
    """Great-circle distance in km (vectorised; NaN where any coordinate is missing)."""
    la1, lo1, la2, lo2 = (
        np.radians(np.asarray(v, dtype="float64")) for v in (lat1, lon1, lat2, lon2)
    )
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class LocalArea:
    """A local boundary: district codes, or a radius (km) around ``centre`` (lat, long).

    Exactly one of ``lad_codes`` or ``radius_km`` is used; ``label`` names it for people.
    """

    lad_codes: tuple[str, ...] = ()
    radius_km: float | None = None
    centre: tuple[float, float] | None = None
    label: str = ""

    @classmethod
    def districts(cls, codes: Iterable[str], label: str = "") -> LocalArea:
        codes = tuple(sorted({str(c).strip() for c in codes if str(c).strip()}))
        if not codes:
            raise ValueError("a local area needs at least one district (LAD) code")
        return cls(lad_codes=codes, label=label or ", ".join(codes))

    @classmethod
    def radius(cls, km: float, centre: tuple[float, float], label: str = "") -> LocalArea:
        if not km > 0:
            raise ValueError(f"radius must be a positive number of km, not {km!r}")
        lat, lon = float(centre[0]), float(centre[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"centre {centre!r} is not a latitude, longitude pair")
        return cls(radius_km=float(km), centre=(lat, lon), label=label or f"within {km:g} km")

    def describe(self) -> str:
        """One line for people: what counts as local (names, never codes, when known)."""
        if self.radius_km is not None and self.centre is not None:
            return (f"suppliers placed within {self.radius_km:g} km of a point inside the "
                    f"council ({self.centre[0]:.4f}, {self.centre[1]:.4f})")
        named = self.label and self.label != ", ".join(self.lad_codes)
        where = self.label if named else "the council's district"
        return f"suppliers placed in {where}"

    def status(self, suppliers: pd.DataFrame) -> pd.Series:
        """``local`` / ``non_local`` / ``unknown`` (not located) for each supplier row; a
        national body is ``non_local``.

        Needs ``is_located`` and either ``lad_code`` or ``lat``/``long``.  A located supplier
        outside every reference district (``lad_code`` missing) is non-local for a district
        area, because its coordinates place it outside them.
        """
        located = _located(suppliers)
        if self.radius_km is not None and self.centre is not None:
            d = haversine_km(
                pd.to_numeric(suppliers["lat"], errors="coerce"),
                pd.to_numeric(suppliers["long"], errors="coerce"),
                self.centre[0],
                self.centre[1],
            )
            inside = np.nan_to_num(d, nan=np.inf) <= self.radius_km
        elif self.lad_codes:
            inside = suppliers["lad_code"].astype("string").isin(self.lad_codes).fillna(False)
            inside = inside.to_numpy(dtype=bool) | area_within(suppliers, self.lad_codes)
        else:
            raise ValueError("the local area has neither district codes nor a radius")
        out = np.where(~located, UNKNOWN, np.where(inside, LOCAL, NON_LOCAL))
        out = np.where(_national(suppliers), NON_LOCAL, out)
        return pd.Series(pd.Categorical(out, categories=list(STATUSES)), index=suppliers.index)


def area_within(suppliers: pd.DataFrame, lads: Iterable[str]) -> np.ndarray:
    """True for suppliers placed at an area (``area_lad_codes``: a public body's district or
    districts) wholly inside ``lads``: the one rule the location band and the local
    multiplier share, so both count the same suppliers as local."""
    if "area_lad_codes" not in suppliers:
        return np.zeros(len(suppliers), dtype=bool)
    area = suppliers["area_lad_codes"].astype("string")
    mine = set(lads)
    inside = {a: bool(mine) and set(a.split(";")) <= mine for a in area.dropna().unique()}
    return area.map(inside).fillna(False).to_numpy(bool)


def _national(suppliers: pd.DataFrame) -> np.ndarray:
    """National bodies (``place_basis == "national"``): known, and no place's local spend,
    so non-local — never unplaced, which would let them widen the unplaced band."""
    if "place_basis" not in suppliers:
        return np.zeros(len(suppliers), dtype=bool)
    return suppliers["place_basis"].astype("string").eq("national").fillna(False).to_numpy(bool)


def _located(suppliers: pd.DataFrame) -> np.ndarray:
    if "is_located" in suppliers:
        return suppliers["is_located"].fillna(False).astype(bool).to_numpy()
    return (suppliers["lat"].notna() & suppliers["long"].notna()).to_numpy()


def influenceable(suppliers: pd.DataFrame, exclude_public_bodies: bool = True) -> pd.Series:
    """True where spend counts as influenceable: by default everything but public bodies.

    Payments to other public bodies (precepts, NHS, other councils) are rarely open to
    local procurement choice, so NEF-style studies usually leave them out of R1.
    """
    keep = pd.Series(True, index=suppliers.index)
    if exclude_public_bodies and "supplier_class" in suppliers:
        keep &= ~(suppliers["supplier_class"].astype("string") == "public_body").fillna(False)
    return keep


def lad_centre(lad_codes: Iterable[str], boundaries_path: str) -> tuple[float, float]:
    """A point inside the union of the districts (for a radius around the council)."""
    import geopandas as gpd

    from impact.places.boundaries import load_boundaries

    codes = set(lad_codes)
    gdf = load_boundaries(boundaries_path)
    code_col = "code" if "code" in gdf else gdf.columns[0]
    sel = gdf[gdf[code_col].astype(str).isin(codes)]
    if sel.empty:
        raise ValueError(f"none of {sorted(codes)} is in {boundaries_path}")
    pt = gpd.GeoSeries([sel.to_crs(4326).union_all()], crs=4326).representative_point().iloc[0]
    return float(pt.y), float(pt.x)
