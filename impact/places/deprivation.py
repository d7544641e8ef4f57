"""English Indices of Deprivation: load them in one shape and aggregate LSOAs to wards and LADs.

IoD 2025 is published per LSOA 2021; IoD 2019 per LSOA 2011.  Both are read into one
naming (``imd_score``, ``imd_rank``, ``imd_decile`` and ``<domain>_score/_rank/_decile`` for
the seven domains) whatever the publisher's headers, so the app never depends on a layout.
Ranks run from 1 = most deprived; deciles from 1 = most deprived 10 % nationally.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from impact.core.values import parse_numbers
from impact.ingest.tables import read_csv
from impact.places.boundaries import normalise_lsoa_lookup

if TYPE_CHECKING:
    from pandas.api.typing import SeriesGroupBy

DOMAINS: tuple[str, ...] = (
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "housing",
    "environment",
)
MEASURES: tuple[str, ...] = ("score", "rank", "decile")
INDICES: tuple[str, ...] = ("imd", *DOMAINS)

#: Official MHCLG publication names of the IMD and its domains (File 7 style) → our prefix.
_OFFICIAL_NAMES: dict[str, str] = {
    "Index of Multiple Deprivation (IMD)": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education, Skills and Training": "education",
    "Health Deprivation and Disability": "health",
    "Crime": "crime",
    "Barriers to Housing and Services": "housing",
    "Living Environment": "environment",
}
_OFFICIAL_MEASURES: dict[str, tuple[str, ...]] = {
    "score": (" Score", " Score (rate)"),
    "rank": (" Rank (where 1 is most deprived)", " Rank"),
    "decile": (" Decile (where 1 is most deprived 10% of LSOAs)", " Decile"),
}


def _official_synonyms(vintage: str) -> dict[str, str]:
    """Header → our column for the MHCLG File 1/2/7 layouts (IoD 2019 naming)."""
    out = {f"LSOA code ({vintage})": f"lsoa{vintage[2:]}_code"}
    for name, prefix in _OFFICIAL_NAMES.items():
        for measure, suffixes in _OFFICIAL_MEASURES.items():
            for suffix in suffixes:
                out[name + suffix] = f"{prefix}_{measure}"
    return out


#: The layout of the humaniverse/IMD CSVs (``IMD_score``, ``Housing_and_Services_rank`` ...).
_SHARED_PREFIXES: dict[str, str] = {
    "imd": "imd",
    "income": "income",
    "employment": "employment",
    "education": "education",
    "health": "health",
    "crime": "crime",
    "housing_and_services": "housing",
    "housing_and_access": "housing",
    "environment": "environment",
}

#: File 7 (2025, LSOA 2021), as MHCLG names it following the 2019 File 7 with 2011 → 2021.
FILE7_2021_SYNONYMS = _official_synonyms("2021")
FILE7_2011_SYNONYMS = _official_synonyms("2011")


def _shared_synonyms(columns: list[str]) -> dict[str, str]:
    out = {}
    for col in columns:
        m = re.fullmatch(r"(.+)_(score|rank|decile)", col.strip().lower())
        if m and m.group(1) in _SHARED_PREFIXES:
            out[col] = f"{_SHARED_PREFIXES[m.group(1)]}_{m.group(2)}"
    return out


def _read(path: str | os.PathLike[str]) -> pd.DataFrame:
    raw = read_csv(path, keep_default_na=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def _tidy(raw: pd.DataFrame, mapping: dict[str, str], code: str, source: str) -> pd.DataFrame:
    """Rename, coerce numbers, order columns and check one row per LSOA."""
    src = next(k for k, v in mapping.items() if v == code)
    out = pd.DataFrame({code: raw[src].str.strip()})
    for prefix in INDICES:
        for measure in MEASURES:
            col = f"{prefix}_{measure}"
            srcs = [k for k, v in mapping.items() if v == col and k in raw.columns]
            if srcs:
                num = parse_numbers(raw[srcs[0]])
                out[col] = num if measure == "score" else num.round().astype("Int64")
    dup = out[code].duplicated(keep=False)
    if dup.any():
        raise ValueError(
            f"{source}: {int(dup.sum())} rows share an LSOA code "
            f"(e.g. {out.loc[dup, code].iloc[0]}); expected one row per LSOA"
        )
    if out[code].isna().any():
        raise ValueError(f"{source}: {int(out[code].isna().sum())} rows without an LSOA code")
    return out.reset_index(drop=True)


def load_imd2025(path: str | os.PathLike[str]) -> pd.DataFrame:
    """IoD 2025 per LSOA 2021: ``lsoa21_code``, ``imd_*`` and ``<domain>_*`` score/rank/decile.

    Reads the humaniverse layout in ``shared/data`` (``IMD_score`` ...) and MHCLG's File 7
    (``LSOA code (2021)``, ``Index of Multiple Deprivation (IMD) Score``, ``Income Score
    (rate)`` ...).  An IoD 2019 file on LSOA 2011 codes is refused with a pointer to
    :func:`load_imd2019` and :func:`bridge_lsoa11_to_lsoa21`.
    """
    raw = _read(path)
    name = Path(path).name
    cols = list(raw.columns)
    if "LSOA code (2011)" in cols or "lsoa11_code" in [c.lower() for c in cols]:
        raise ValueError(
            f"{name} is on LSOA 2011 codes (IoD 2019); use load_imd2019 and bridge_lsoa11_to_lsoa21"
        )
    mapping = {k: v for k, v in FILE7_2021_SYNONYMS.items() if k in cols}
    mapping.update(_shared_synonyms(cols))
    code = next((c for c in cols if c.lower() in ("lsoa21_code", "lsoa21cd", "lsoa_code")), None)
    if code:
        mapping[code] = "lsoa21_code"
    if "lsoa21_code" not in mapping.values() or "imd_score" not in mapping.values():
        raise ValueError(
            f"{name}: not an IoD 2025 LSOA table (no LSOA 2021 code or IMD score "
            f"column among {', '.join(cols[:8])}...)"
        )
    return _tidy(raw, mapping, "lsoa21_code", name)


def load_imd2019(
    file2_path: str | os.PathLike[str], file1_path: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """IoD 2019 per LSOA 2011: ``lsoa11_code`` with ranks and deciles (no domain scores).

    File 2 carries IMD and domain ranks/deciles as plain integers; File 1 the IMD rank as a
    quoted string with thousands separators (``"29,199"``).  When File 1 is given its IMD rank
    and decile are used and must agree with File 2 where both exist.
    """
    raw = _read(file2_path)
    mapping = {k: v for k, v in FILE7_2011_SYNONYMS.items() if k in raw.columns}
    mapping.update(_shared_synonyms(list(raw.columns)))
    code = next((c for c in raw.columns if c.lower() in ("lsoa11_code", "lsoa11cd")), None)
    if code:
        mapping[code] = "lsoa11_code"
    if "lsoa11_code" not in mapping.values():
        raise ValueError(f"{Path(file2_path).name}: no LSOA 2011 code column")
    out = _tidy(raw, mapping, "lsoa11_code", Path(file2_path).name)
    if file1_path is not None:
        raw1 = _read(file1_path)
        m1 = {k: v for k, v in FILE7_2011_SYNONYMS.items() if k in raw1.columns}
        f1 = _tidy(raw1, m1, "lsoa11_code", Path(file1_path).name)
        f1 = f1[["lsoa11_code", "imd_rank", "imd_decile"]].rename(
            columns={"imd_rank": "imd_rank_f1", "imd_decile": "imd_decile_f1"}
        )
        merged = out.merge(f1, on="lsoa11_code", how="outer")
        for col in ("imd_rank", "imd_decile"):
            if col in out:
                both = merged[col].notna() & merged[f"{col}_f1"].notna()
                differ = both & (merged[col] != merged[f"{col}_f1"])
                if differ.any():
                    raise ValueError(
                        f"File 1 and File 2 disagree on {col} for {int(differ.sum())} LSOAs"
                    )
                merged[col] = merged[col].fillna(merged[f"{col}_f1"])
            else:
                merged[col] = merged[f"{col}_f1"]
        out = merged.drop(columns=["imd_rank_f1", "imd_decile_f1"])
    return out


def bridge_lsoa11_to_lsoa21(
    imd2019: pd.DataFrame, lookup: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """Carry IoD 2019 values from LSOA 2011 to LSOA 2021 through the ONS change lookup.

    Method, by change code of the lookup rows:

    * ``U`` unchanged: the value is copied.
    * ``S`` split (one 2011 LSOA → several 2021 LSOAs): every part inherits its parent's values.
    * ``M`` merged (several 2011 → one 2021) and ``X`` irregular (redrawn): the 2021 LSOA takes
      the *most deprived* of its 2011 parents for each measure (lowest rank and decile, highest
      score).  This "worst rank" rule needs no 2011 populations, never hides a deprived
      pocket inside a merged area and is exact for the U and S cases that are 98 % of LSOAs.

    Returns the bridged table (``lsoa21_code``, the measures, ``n_lsoa11`` parents and the
    ``change_code``) and a warning to show whenever it is displayed next to IoD 2025.
    """
    cols = {c.lower(): c for c in lookup.columns}
    l11 = next((cols[c] for c in ("lsoa11_code", "lsoa11cd") if c in cols), None)
    l21 = next((cols[c] for c in ("lsoa21_code", "lsoa21cd") if c in cols), None)
    chg = next((cols[c] for c in ("change_code", "chgind") if c in cols), None)
    if l11 is None or l21 is None:
        raise ValueError("LSOA 2011 → 2021 lookup needs lsoa11_code and lsoa21_code columns")
    pairs = pd.DataFrame(
        {
            "lsoa11_code": lookup[l11].astype("string"),
            "lsoa21_code": lookup[l21].astype("string"),
            "change_code": lookup[chg].astype("string") if chg else pd.NA,
        }
    ).drop_duplicates(["lsoa11_code", "lsoa21_code"])
    joined = pairs.merge(imd2019, on="lsoa11_code", how="inner")
    measures = [c for c in imd2019.columns if re.fullmatch(r"[a-z]+_(score|rank|decile)", c)]
    agg: dict[str, tuple[str, str]] = {
        c: (c, "max" if c.endswith("_score") else "min") for c in measures
    }
    agg["n_lsoa11"] = ("lsoa11_code", "nunique")
    agg["change_code"] = ("change_code", "max")  # one code per 2021 LSOA; X wins when mixed
    out = joined.groupby("lsoa21_code", sort=True).agg(**agg).reset_index()
    counts = pairs.drop_duplicates("lsoa21_code")["change_code"].value_counts()
    unmatched = int((~imd2019["lsoa11_code"].isin(pairs["lsoa11_code"])).sum())
    warning = (
        f"IoD 2019 values were moved from LSOA 2011 to LSOA 2021 ({int(counts.get('S', 0))} "
        f"split, {int(counts.get('M', 0))} merged, {int(counts.get('X', 0))} irregular areas; "
        "merged areas show their most deprived parent). IoD 2019 ranks are among 32,844 LSOAs "
        "2011 and are not directly comparable with IoD 2025 ranks among 33,755 LSOAs 2021."
    )
    if unmatched:
        warning += f" {unmatched} LSOA 2011 codes were not in the lookup and are left out."
    return out, warning


_POP_NAMES = ("population", "total_residents", "usual_residents", "pop", "total_population")


def population_by_lsoa(population: pd.DataFrame) -> pd.Series:
    """Residents per LSOA 2021 code from a population table (column names as published)."""
    cols = {c.lower(): c for c in population.columns}
    code = next((cols[c] for c in ("lsoa21_code", "lsoa21cd", "lsoa_code") if c in cols), None)
    value = next((cols[c] for c in _POP_NAMES if c in cols), None)
    if code is None or value is None:
        raise ValueError(
            "population table needs an LSOA 2021 code and a population column "
            f"({', '.join(_POP_NAMES)})"
        )
    return (
        parse_numbers(population[value])
        .set_axis(population[code].astype("string"))
        .groupby(level=0)
        .sum()
    )


def aggregate(
    imd: pd.DataFrame,
    lookup: pd.DataFrame,
    population: pd.DataFrame | None,
    level: str = "ward",
) -> pd.DataFrame:
    """IoD per ward or LAD from LSOA values, population-weighted where populations are known.

    Per area: ``n_lsoa``, ``population``, ``population_weighted`` (False → simple means because
    some LSOA lacked a population), population-weighted mean ``<index>_score`` and
    ``<index>_rank`` for the IMD and each domain present, ``share_lsoa_decile1`` and
    ``share_lsoa_decile1_2`` (shares of the area's LSOAs in the most deprived 10 % / 20 %
    nationally; MHCLG's "proportion of LSOAs in most deprived 10 %"), ``share_pop_decile1``
    and ``share_pop_decile1_2`` (the same as shares of residents), ``worst_decile``.
    LSOAs of ``imd`` absent from the lookup are counted in ``attrs["unmatched_lsoas"]``.
    """
    if level not in ("ward", "lad"):
        raise ValueError(f"level must be 'ward' or 'lad', not {level!r}")
    lsoas, unmatched = _lsoas_in_areas(imd, lookup, population, level)
    out = _area_counts(lsoas, level)
    _weighted_means(out, lsoas)
    if "imd_decile" in lsoas.frame:
        _most_deprived_shares(out, lsoas)
    out = out.reset_index().rename(columns={lsoas.key: "code", f"{level}_name": "name"})
    out.attrs["unmatched_lsoas"] = unmatched
    return out


@dataclass(frozen=True)
class _LsoasInAreas:
    """Every LSOA with its area (ward or LAD) and the weight it carries in that area."""

    frame: pd.DataFrame  # IoD columns, area code and name, population
    key: str  # the area code column: ward_code or lad_code
    weighted: pd.Series  # per LSOA: every LSOA of its area has a population
    weights: np.ndarray  # the population where the area is weighted, else 1.0

    def by_area(self, values: pd.Series) -> SeriesGroupBy:
        return values.groupby(self.frame[self.key])


def _lsoas_in_areas(
    imd: pd.DataFrame, lookup: pd.DataFrame, population: pd.DataFrame | None, level: str
) -> tuple[_LsoasInAreas, int]:
    """The IoD rows joined to their area, with populations; and how many LSOAs the lookup
    lacks.  An area is population-weighted only when all its LSOAs have a population:
    mixing weighted and unweighted LSOAs would skew its mean."""
    lk = normalise_lsoa_lookup(lookup)
    key, name = f"{level}_code", f"{level}_name"
    keep = ["lsoa21_code", key, name] + (["lad_code", "lad_name"] if level == "ward" else [])
    df = imd.merge(lk[keep], on="lsoa21_code", how="inner")
    unmatched = int((~imd["lsoa21_code"].isin(lk["lsoa21_code"])).sum())
    if population is not None:
        pop = population_by_lsoa(population)
        df["population"] = df["lsoa21_code"].map(pop).astype("float64")
    else:
        df["population"] = np.nan
    has_pop = df["population"].notna() & (df["population"] > 0)
    weighted = has_pop.groupby(df[key]).transform("all")
    w = df["population"].where(weighted, 1.0).to_numpy(float)
    return _LsoasInAreas(df, key, weighted, w), unmatched


def _area_counts(lsoas: _LsoasInAreas, level: str) -> pd.DataFrame:
    """Per area: its name (and LAD for a ward), LSOAs, population and whether weighted."""
    df, name = lsoas.frame, f"{level}_name"
    g = df.groupby(lsoas.key, sort=True)
    out = g.agg(**{name: (name, "first")}, n_lsoa=("lsoa21_code", "size"))
    if level == "ward":
        out["lad_code"] = g["lad_code"].first()
        out["lad_name"] = g["lad_name"].first()
    all_weighted = lsoas.by_area(lsoas.weighted).all()
    out["population"] = g["population"].sum(min_count=1).where(all_weighted)
    out["population_weighted"] = all_weighted
    return out


def _weighted_means(out: pd.DataFrame, lsoas: _LsoasInAreas) -> None:
    """Weighted mean score and rank of each index present, over the LSOAs with a value."""
    df, w = lsoas.frame, lsoas.weights
    for prefix in INDICES:
        for measure in ("score", "rank"):
            col = f"{prefix}_{measure}"
            if col not in df:
                continue
            x = df[col].astype("float64")
            ok = x.notna().to_numpy()
            wx = pd.Series(np.where(ok, w * x.fillna(0).to_numpy(), 0.0), index=df.index)
            ww = pd.Series(np.where(ok, w, 0.0), index=df.index)
            num, den = lsoas.by_area(wx).sum(), lsoas.by_area(ww).sum()
            out[col] = (num / den).where(den > 0)


def _most_deprived_shares(out: pd.DataFrame, lsoas: _LsoasInAreas) -> None:
    """Shares of LSOAs, and of residents, in the most deprived 10 % / 20 % nationally, and
    the area's worst decile."""
    df = lsoas.frame
    dec = df["imd_decile"].astype("float64")
    popw = pd.Series(lsoas.weights, index=df.index)
    for label, top in (("decile1", 1), ("decile1_2", 2)):
        inside = (dec <= top).astype(float).where(dec.notna())
        out[f"share_lsoa_{label}"] = lsoas.by_area(inside).mean()
        out[f"share_pop_{label}"] = lsoas.by_area(inside.fillna(0) * popw).sum() / (
            lsoas.by_area(popw.where(dec.notna(), 0.0)).sum()
        )
    out["worst_decile"] = df.groupby(lsoas.key)["imd_decile"].min()


_LAD_SUMMARY_SYNONYMS = {
    "ltla24_code": "lad_code",
    "ltla24_name": "lad_name",
    "local_authority_district_code_2024": "lad_code",
    "local_authority_district_name_2024": "lad_name",
    "local_authority_district_code_2019": "lad_code",
    "local_authority_district_name_2019": "lad_name",
    "imd_proportion_of_lso_as_in_most_deprived_10_percent_nationally": "imd_share_lsoa_decile1",
    "imd_proportion_of_lsoas_in_most_deprived_10_nationally": "imd_share_lsoa_decile1",
}


def _snake(text: str) -> str:
    text = text.replace("%", " percent ").replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def load_lad_summary(path: str | os.PathLike[str]) -> pd.DataFrame:
    """MHCLG local authority district summary: snake_case columns, ``lad_code``, ``lad_name``.

    Works for the shared layout (``ltla24_code``, ``imd_average_score`` ...) and the official
    workbook headers (``IMD - Average score`` → ``imd_average_score``).  The IMD share of
    LSOAs in the most deprived 10 % is also given as ``imd_share_lsoa_decile1``.
    """
    raw = read_csv(path, dtype=None, keep_default_na=True)
    raw.columns = [
        _snake(str(c)).replace("imd_2025_", "imd_").replace("imd_2019_", "imd_")
        for c in raw.columns
    ]
    out = raw.rename(
        columns={
            k: v
            for k, v in _LAD_SUMMARY_SYNONYMS.items()
            if k in raw.columns and v != "imd_share_lsoa_decile1"
        }
    )
    for k, v in _LAD_SUMMARY_SYNONYMS.items():
        if v == "imd_share_lsoa_decile1" and k in out.columns:
            out[v] = parse_numbers(out[k])
    if "lad_code" not in out:
        raise ValueError(f"{Path(path).name}: no local authority code column")
    for col in out.columns:
        if col not in ("lad_code", "lad_name") and out[col].dtype == object:
            parsed = parse_numbers(out[col])
            if parsed.notna().sum() >= out[col].notna().sum():
                out[col] = parsed
    out["lad_code"] = out["lad_code"].astype("string")
    return out
