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
``county-la``), so its local share counts every district of the county, not one; a combined
authority's or the Greater London Authority's is its members' (``combined-authority``).
Bodies that are not district councils (a regional or combined authority) are in the table
with their own type and region, compared with their own kind (:data:`PEER_TYPES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from impact.ingest.names import normalise_name
from impact.ingest.tables import read_csv
from impact.places.boundaries import read_lsoa_lookup
from impact.places.councils import council_lads, council_regions, district_names, norm_council_name
from impact.places.deprivation import population_by_lsoa
from impact.places.gazetteer import BODY_CLASSES, PAYERS
from impact.places.public_bodies import load_gazetteer
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
    "ca_gss",  # the combined authority (or the GLA) a district belongs to
    "peer_type",  # the kind of body it is compared with (:data:`PEER_TYPES`)
    "population",
    "imd_score",
    "names",  # normalised name variants, for :func:`match_authority`
)
#: Types compared with another kind because they are one of a kind: the Greater London
#: Authority (a strategic regional authority) with the combined authorities, the City of
#: London Corporation with the London boroughs.
PEER_TYPES = {"SRA": "COMB", "CC": "LBO"}
#: Types whose area is their members' districts (mySociety's ``combined-authority``).
GROUP_TYPES = frozenset({"COMB", "SRA"})


def load_authorities(reference: Reference) -> pd.DataFrame:
    """Current English authorities — councils, combined authorities and the Greater London
    Authority — with type, region, county, population and IMD average score.

    Empty (with :data:`AUTHORITY_COLUMNS`) when the reference folder has no authority table.
    ``imd_score`` is MHCLG's population-weighted IMD 2025 average score for a district; for a
    county or a combined authority, the mean of its districts' scores weighted by their
    population (mySociety's ``pop-2020``), since MHCLG publishes no such figure.  NA where
    neither is known.
    """
    path = reference.find("local_authorities")
    if path is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in AUTHORITY_COLUMNS})
    raw = read_csv(path)
    table = _english_councils(raw)
    scores = _district_scores(reference)
    table["imd_score"] = table["gss_code"].map(scores).astype("Float64")
    table = _group_scores(table, "county_gss")
    table["ca_gss"] = _district_groups(table)
    table = _group_scores(table, "ca_gss")
    return table.reset_index(drop=True)


def _english_councils(raw: pd.DataFrame) -> pd.DataFrame:
    """mySociety's rows for current English authorities, in our column names."""
    current = raw["current-authority"].str.lower().eq("true") & raw["end-date"].eq("")
    rows = raw[current & raw["nation"].eq("England")]
    county_codes = dict(zip(raw["local-authority-code"], raw["gss-code"], strict=True))
    ca = rows["combined-authority"] if "combined-authority" in rows else pd.Series("", rows.index)
    kind = rows["local-authority-type"]
    return pd.DataFrame(
        {
            "gss_code": rows["gss-code"],
            "name": rows["nice-name"],
            "official_name": rows["official-name"],
            "type": rows["local-authority-type"],
            "type_name": rows["local-authority-type-name"],
            "region": rows["region"],
            "county_gss": rows["county-la"].map(county_codes).astype("string"),
            "ca_gss": ca.map(county_codes).astype("string"),
            "peer_type": kind.map(lambda t: PEER_TYPES.get(t, t)),
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


def _district_groups(table: pd.DataFrame) -> pd.Series:
    """Each district's combined authority, a county's passed on to its districts (a
    combined county authority's members are often counties)."""
    of_county = table.set_index("gss_code")["ca_gss"].dropna().astype(str)
    inherited = table["county_gss"].map(of_county).astype("string")
    return table["ca_gss"].astype("string").fillna(inherited)


def _group_scores(table: pd.DataFrame, parent: str) -> pd.DataFrame:
    """Counties' (``parent="county_gss"``) or combined authorities' (``"ca_gss"``) score:
    their districts' scores weighted by district population."""
    d = table[table[parent].notna() & table["imd_score"].notna()]
    d = d[(d["population"] > 0) & ~d["type"].isin(["CTY", *GROUP_TYPES])]
    weighted = (d["imd_score"] * d["population"]).groupby(d[parent]).sum()
    pop = d["population"].groupby(d[parent]).sum()
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
    """The district (LAD) codes a council covers: a county's districts, a combined
    authority's members, else itself."""
    for parent in ("county_gss", "ca_gss"):
        members = table[(table[parent] == gss_code) & (table["type"] != "CTY")]
        if len(members):  # districts (a combined authority's counties as their districts)
            return sorted(members["gss_code"].astype(str))
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
    lads = list(lad_codes) or council_lads(reference, council)
    regions, _ = council_regions(reference, lads, warnings)
    names = district_names(reference)
    kind, type_name, region = _kind(reference, council, regions) if row is None else (
        str(row["type"]), str(row["type_name"]), str(row["region"]))
    if gss is None and kind is None:
        warnings.append(f"{council!r} matches no authority in the reference table")
    return CouncilProfile(
        council=council,
        gss_code=gss,
        type=kind,
        type_name=type_name,
        region=region,
        lads=lads,
        lad_names=sorted(names.get(c, c) for c in lads),
        region_codes=regions,
        population=_residents(reference, lads),
        imd_score=None if row is None or pd.isna(row["imd_score"]) else float(row["imd_score"]),
        warnings=warnings,
    )


def _kind(
    reference: Reference, council: str, regions: list[str]
) -> tuple[str | None, str | None, str | None]:
    """(type, type in words, region name) of a paying body no authority table lists — a
    police or fire body — from the gazetteer, its region when its area lies in one."""
    gaz = load_gazetteer(reference)
    m = gaz.match_one(normalise_name(council), council)
    cls = m.body.body_class if m.body is not None else None
    if cls is None or cls not in PAYERS:
        return None, None, None
    region = gaz.geography.region_names.get(regions[0]) if len(regions) == 1 else None
    return cls, BODY_CLASSES[cls], region


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


def wider_area(table: pd.DataFrame, lads: list[str]) -> tuple[str, list[str]] | None:
    """The combined authority (else the county) all of ``lads`` belong to: its name and
    districts, the "county or combined authority" way of counting local; None when they
    belong to none, or to different ones."""
    rows = table[table["gss_code"].isin(lads)]
    if rows.empty:
        return None
    for parent in ("ca_gss", "county_gss"):
        codes = rows[parent].dropna().astype(str).unique()
        if len(codes) == 1 and rows[parent].notna().all():
            name = table.loc[table["gss_code"] == codes[0], "name"]
            members = authority_lads(codes[0], table)
            if len(name) and set(members) > set(lads):
                return str(name.iloc[0]), members
    return None
