"""English local authorities as the reference data knows them: type, region, districts, IMD.

Comparing councils needs more than one council's geography: which kind of authority each is
(county, metropolitan district, unitary ...), its region, the districts a county covers, and
an IMD average score to find *statistical neighbours* (:func:`impact.analysis.compare.
statistical_neighbours`).  All of it comes from two reference files found by role —
mySociety's local-authority table (``local_authorities``) and MHCLG's IoD 2025 district
summary (``imd2025_lad_summary``) — never from a list of council names in the code.

A council is matched to its authority by exact normalised name (official name, short name or
any of mySociety's name variants), not by containment: "Warwickshire County Council" must
not become North Warwickshire.  A county council's area is its districts (mySociety's
``county-la``), so its local share counts every district of the county, not one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from impact.ingest.tables import read_csv
from impact.places.boundaries import read_lsoa_lookup
from impact.places.councils import council_lads, council_regions, district_names, norm_council_name
from impact.places.deprivation import population_by_lsoa
from impact.places.reference import Reference

#: Columns of :func:`load_authorities`.
AUTHORITY_COLUMNS = (
    "gss_code",
    "name",
    "official_name",
    "type",
    "type_name",
    "region",
    "county_gss",
    "population",
    "imd_score",
    "names",  # normalised name variants, for :func:`match_authority`
)
#: mySociety types that are combined or strategic bodies, not councils with spend files of
#: their own kind to compare (they hold no districts' services).
NOT_COUNCILS = {"COMB", "SRA", "CC"}


def load_authorities(reference: Reference) -> pd.DataFrame:
    """Current English councils with type, region, county, population and IMD average score.

    Empty (with :data:`AUTHORITY_COLUMNS`) when the reference folder has no authority table.
    ``imd_score`` is MHCLG's population-weighted IMD 2025 average score for a district; for a
    county, the mean of its districts' scores weighted by their population (mySociety's
    ``pop-2020``), since MHCLG publishes no county figure.  NA where neither is known.
    """
    path = reference.find("local_authorities")
    if path is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in AUTHORITY_COLUMNS})
    raw = read_csv(path)
    table = _english_councils(raw)
    scores = _district_scores(reference)
    table["imd_score"] = table["gss_code"].map(scores).astype("Float64")
    table = _county_scores(table)
    return table.reset_index(drop=True)


def _english_councils(raw: pd.DataFrame) -> pd.DataFrame:
    """mySociety's rows for current English councils, in our column names."""
    current = raw["current-authority"].str.lower().eq("true") & raw["end-date"].eq("")
    rows = raw[current & raw["nation"].eq("England") & ~raw["local-authority-type"].isin(
        NOT_COUNCILS)]
    county_codes = dict(zip(raw["local-authority-code"], raw["gss-code"], strict=True))
    return pd.DataFrame(
        {
            "gss_code": rows["gss-code"],
            "name": rows["nice-name"],
            "official_name": rows["official-name"],
            "type": rows["local-authority-type"],
            "type_name": rows["local-authority-type-name"],
            "region": rows["region"],
            "county_gss": rows["county-la"].map(county_codes).astype("string"),
            "population": pd.to_numeric(rows["pop-2020"], errors="coerce"),
            "names": _name_variants(rows),
        }
    ).astype({"gss_code": "string", "name": "string", "region": "string", "type": "string"})


def _district_scores(reference: Reference) -> dict[str, float]:
    """District GSS code → IMD 2025 average score (MHCLG summary); {} without the file."""
    path = reference.find("imd2025_lad_summary")
    if path is None:
        return {}
    s = read_csv(path)
    code = next(c for c in s.columns if c.endswith("_code"))
    score = pd.to_numeric(s["imd_average_score"], errors="coerce")
    return dict(zip(s[code], score, strict=True))


def _county_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Counties' score: their districts' scores weighted by district population."""
    d = table[table["county_gss"].notna() & table["imd_score"].notna()]
    d = d[d["population"] > 0]
    weighted = (d["imd_score"] * d["population"]).groupby(d["county_gss"]).sum()
    pop = d["population"].groupby(d["county_gss"]).sum()
    county = (weighted / pop).round(3)
    missing = table["imd_score"].isna()
    table.loc[missing, "imd_score"] = table.loc[missing, "gss_code"].map(county)
    return table


def _name_variants(raw: pd.DataFrame) -> pd.Series:
    """Per row, the normalised forms of its official name, short name and alt-names."""
    joined = raw["official-name"] + "," + raw["nice-name"] + "," + raw["alt-names"]
    return joined.str.split(",").map(
        lambda names: tuple(sorted({k for n in names if (k := norm_council_name(n))}))
    )


def match_authority(council: str, table: pd.DataFrame) -> str | None:
    """The GSS code of the council named ``council``; None when no name, or more than one
    council, matches exactly (normalised)."""
    key = norm_council_name(council)
    hits = table.loc[table["names"].map(lambda names: key in names), "gss_code"]
    return str(hits.iloc[0]) if key and len(hits) == 1 else None


def authority_lads(gss_code: str, table: pd.DataFrame) -> list[str]:
    """The district (LAD) codes a council covers: a county's districts, else itself."""
    districts = table.loc[table["county_gss"] == gss_code, "gss_code"]
    if len(districts):
        return sorted(districts.astype(str))
    return [gss_code] if gss_code in set(table["gss_code"]) else []


@dataclass
class CouncilProfile:
    """What comparing needs to know about one council, from the reference data.

    ``gss_code``, ``type``, ``type_name`` and ``region`` are None when the council's name
    matches no authority (then ``lads`` may still come from the district lookup);
    ``population`` is Census 2021 usual residents of its districts (None when unknown);
    ``imd_score`` the authority's IMD 2025 average score (see :func:`load_authorities`).
    """

    council: str
    gss_code: str | None
    type: str | None
    type_name: str | None
    region: str | None
    lads: list[str]
    lad_names: list[str]
    region_codes: list[str]
    population: float | None
    imd_score: float | None = None
    warnings: list[str] = field(default_factory=list)


def council_profile(
    reference: Reference, council: str, lad_codes: tuple[str, ...] = ()
) -> CouncilProfile:
    """The council's authority (type, region), districts, region codes and residents.

    Districts: ``lad_codes`` when given, else the one rule for a council's districts
    (:func:`impact.places.councils.council_lads`: a county's districts, not a namesake's).
    """
    warnings: list[str] = []
    table = load_authorities(reference)
    gss = match_authority(council, table)
    row = table.loc[table["gss_code"] == gss].iloc[0] if gss else None
    if gss is None:
        warnings.append(f"{council!r} matches no authority in the reference table")
    lads = list(lad_codes) or council_lads(reference, council)
    regions, _ = council_regions(reference, lads, warnings)
    names = district_names(reference)
    return CouncilProfile(
        council=council,
        gss_code=gss,
        type=None if row is None else str(row["type"]),
        type_name=None if row is None else str(row["type_name"]),
        region=None if row is None else str(row["region"]),
        lads=lads,
        lad_names=sorted(names.get(c, c) for c in lads),
        region_codes=regions,
        population=_residents(reference, lads),
        imd_score=None if row is None or pd.isna(row["imd_score"]) else float(row["imd_score"]),
        warnings=warnings,
    )


def _residents(reference: Reference, lads: list[str]) -> float | None:
    """Census 2021 usual residents of ``lads`` (their LSOAs' residents summed)."""
    pop_path = reference.find("population_lsoa21")
    lookup_path = reference.find("lookup_lsoa21_ward_lad")
    if not lads or pop_path is None or lookup_path is None:
        return None
    lookup = read_lsoa_lookup(lookup_path).drop_duplicates("lsoa21_code")
    mine = lookup.loc[lookup["lad_code"].isin(lads), "lsoa21_code"]
    pop = population_by_lsoa(pd.read_csv(pop_path, dtype="string"))
    total = float(pop.reindex(mine.astype("string")).sum())
    return total if total > 0 else None
