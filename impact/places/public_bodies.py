"""Public bodies from the reference folder: the gazetteer's data.

Each table is found by role (:mod:`impact.places.reference`) and read by header meaning, so
a newer download of the same public table works as it is; a missing or unreadable table
only makes the gazetteer smaller (logged), never stops a run.

* local authorities (mySociety, with name variants and GSS codes; the GOV.UK register's
  official names): councils and combined authorities at their areas — a district's own,
  a county's or combined authority's members', an ended authority's successors';
* GOV.UK government organisations: national;
* NHS trusts (ODS): at their headquarters postcode;
* academy trusts, universities, registered housing providers: a class and, where the
  table gives one, a company number for the registers to place them by;
* :data:`DECLARED`: bodies the register snapshots predate (machinery-of-government
  changes, national pension schemes);
* postal counties and towns ("Tyne and Wear", "Merseyside") read from a table of addresses
  with postcodes, for bodies named by an area no council is called.

:func:`load_gazetteer` builds the :class:`~impact.places.gazetteer.Gazetteer` once per
process and set of files.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd

from impact.core.atomic import atomic_write_text
from impact.core.cache import Memo, fingerprint
from impact.core.cache import key as cache_key
from impact.core.values import clean_company_numbers, normalise_postcodes
from impact.ingest.columns import norm_header
from impact.ingest.tables import read_csv
from impact.places.boundaries import cache_dir, read_lsoa_lookup
from impact.places.gazetteer import Body, Gazetteer, Geography, keys_of, meaningful
from impact.places.geocode import read_region_lookup
from impact.places.reference import Reference

log = logging.getLogger(__name__)

#: Bodies the reference snapshots predate or do not hold: (official name, class, place).
#: Machinery-of-government changes since the GOV.UK register backup, and national schemes
#: run for a department.  A council's own payees are never listed here.
DECLARED: tuple[tuple[str, str, str], ...] = (
    ("Department for Levelling Up, Housing and Communities", "government", "national"),
    ("Department for Communities and Local Government", "government", "national"),
    ("Department of Health", "government", "national"),
    ("Ministry of Housing, Communities and Local Government", "government", "national"),
    ("Department for Energy Security and Net Zero", "government", "national"),
    ("Department for Science, Innovation and Technology", "government", "national"),
    ("Department for Business and Trade", "government", "national"),
    ("Department for Culture, Media and Sport", "government", "national"),
    ("UK Health Security Agency", "government", "national"),
    ("Office for Health Improvement and Disparities", "government", "national"),
    ("National Highways", "government", "national"),
    ("HM Courts and Tribunals Service", "government", "national"),
    ("Education and Skills Funding Agency", "government", "national"),
    ("Teachers' Pensions", "pension_fund", "national"),
    ("Teachers' Pension Scheme", "pension_fund", "national"),
    ("NHS Pensions", "pension_fund", "national"),
    ("Civil Service Pensions", "pension_fund", "national"),
    ("NHS England", "nhs", "national"),
    ("NHS Supply Chain", "nhs", "national"),
    ("NHS Property Services", "nhs", "national"),
    ("NHS Digital", "nhs", "national"),
    ("NHS Business Services Authority", "nhs", "national"),
    ("NHS Blood and Transplant", "nhs", "national"),
    ("Local Government Association", "other_public", "national"),
    ("Local Government and Social Care Ombudsman", "other_public", "national"),
    ("Housing Ombudsman", "other_public", "national"),
    ("Care Quality Commission", "government", "national"),
    ("British Transport Police", "police", "national"),
)

_POLICE_FIRE = ("police", "fire")
#: Areas police forces and fire authorities serve (Police Act 1996, Schedule 1; the fire
#: authorities' combination orders) where the name is no council's, or the council of
#: that name covers less (a force area is a ceremonial county with its unitary councils):
#: (area name, the areas it is made of, the classes of body that serve it).  Each part is
#: a council's or combined authority's area, read from the local-authority table.
SERVICE_AREAS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Avon", ("Bristol", "Bath and North East Somerset", "North Somerset",
              "South Gloucestershire"), _POLICE_FIRE),
    ("Bedfordshire", ("Bedford", "Central Bedfordshire", "Luton"), _POLICE_FIRE),
    ("Berkshire", ("Bracknell Forest", "Reading", "Slough", "West Berkshire",
                   "Windsor and Maidenhead", "Wokingham"), _POLICE_FIRE),
    ("Royal Berkshire", ("Bracknell Forest", "Reading", "Slough", "West Berkshire",
                         "Windsor and Maidenhead", "Wokingham"), ("fire",)),
    ("Cambridgeshire", ("Cambridgeshire", "Peterborough"), _POLICE_FIRE),
    ("Cheshire", ("Cheshire East", "Cheshire West and Chester", "Halton", "Warrington"),
     _POLICE_FIRE),
    ("Cleveland", ("Hartlepool", "Middlesbrough", "Redcar and Cleveland", "Stockton-on-Tees"),
     _POLICE_FIRE),
    ("Cornwall", ("Cornwall", "Isles of Scilly"), _POLICE_FIRE),
    ("Cumbria", ("Cumberland", "Westmorland and Furness"), _POLICE_FIRE),
    ("Derbyshire", ("Derbyshire", "Derby"), _POLICE_FIRE),
    ("Devon", ("Devon", "Plymouth", "Torbay"), _POLICE_FIRE),
    ("Dorset", ("Dorset", "Bournemouth, Christchurch and Poole"), _POLICE_FIRE),
    ("Durham", ("County Durham", "Darlington"), _POLICE_FIRE),
    ("Essex", ("Essex", "Southend-on-Sea", "Thurrock"), _POLICE_FIRE),
    ("Hampshire", ("Hampshire", "Portsmouth", "Southampton"), _POLICE_FIRE),
    ("Hereford and Worcester", ("Herefordshire", "Worcestershire"), ("fire",)),
    ("Humberside", ("East Riding of Yorkshire", "Kingston upon Hull", "North East Lincolnshire",
                    "North Lincolnshire"), _POLICE_FIRE),
    ("Kent", ("Kent", "Medway"), _POLICE_FIRE),
    ("Lancashire", ("Lancashire", "Blackburn with Darwen", "Blackpool"), _POLICE_FIRE),
    ("Leicestershire", ("Leicestershire", "Leicester", "Rutland"), _POLICE_FIRE),
    ("London", ("Greater London",), _POLICE_FIRE),
    ("Metropolitan", ("Greater London",), ("police",)),
    ("Merseyside", ("Knowsley", "Liverpool", "Sefton", "St Helens", "Wirral"), _POLICE_FIRE),
    ("North Yorkshire", ("North Yorkshire", "York"), _POLICE_FIRE),
    ("Northamptonshire", ("North Northamptonshire", "West Northamptonshire"), _POLICE_FIRE),
    ("Northumbria", ("Northumberland", "Newcastle upon Tyne", "Gateshead", "North Tyneside",
                     "South Tyneside", "Sunderland"), ("police",)),
    ("Nottinghamshire", ("Nottinghamshire", "Nottingham"), _POLICE_FIRE),
    ("Shropshire", ("Shropshire", "Telford and Wrekin"), ("fire",)),
    ("Wrekin", ("Telford and Wrekin",), ("fire",)),
    ("Staffordshire", ("Staffordshire", "Stoke-on-Trent"), _POLICE_FIRE),
    ("East Sussex", ("East Sussex", "Brighton and Hove"), ("fire",)),
    ("Sussex", ("East Sussex", "West Sussex", "Brighton and Hove"), ("police",)),
    ("Thames Valley", ("Bracknell Forest", "Reading", "Slough", "West Berkshire",
                       "Windsor and Maidenhead", "Wokingham", "Buckinghamshire", "Milton Keynes",
                       "Oxfordshire"), ("police",)),
    ("Tyne and Wear", ("Newcastle upon Tyne", "Gateshead", "North Tyneside", "South Tyneside",
                       "Sunderland"), ("fire",)),
    ("West Mercia", ("Herefordshire", "Shropshire", "Telford and Wrekin", "Worcestershire"),
     ("police",)),
    ("Wiltshire", ("Wiltshire", "Swindon"), _POLICE_FIRE),
    ("Dyfed Powys", ("Carmarthenshire", "Ceredigion", "Pembrokeshire", "Powys"), ("police",)),
    ("Gwent", ("Blaenau Gwent", "Caerphilly", "Monmouthshire", "Newport", "Torfaen"),
     ("police",)),
    ("North Wales", ("Isle of Anglesey", "Conwy", "Denbighshire", "Flintshire", "Gwynedd",
                     "Wrexham"), _POLICE_FIRE),
    ("South Wales", ("Bridgend", "Cardiff", "Merthyr Tydfil", "Neath Port Talbot",
                     "Rhondda Cynon Taf", "Swansea", "Vale of Glamorgan"), ("police",)),
    ("Mid and West Wales", ("Carmarthenshire", "Ceredigion", "Pembrokeshire", "Powys",
                            "Neath Port Talbot", "Swansea"), ("fire",)),
)
#: Bodies no table lists that serve an area under a name of their own: (official name,
#: class, area (a council's, combined authority's or :data:`SERVICE_AREAS` name), other
#: names and short forms).
DECLARED_AT_AREA: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Mayor's Office for Policing and Crime", "police", "London", ("MOPAC",)),
    ("Metropolitan Police Service", "police", "Metropolitan",
     ("Metropolitan Police", "Met Police", "Commissioner of Police of the Metropolis")),
    ("City of London Police", "police", "City of London", ()),
    ("London Fire Commissioner", "fire", "London",
     ("London Fire Brigade", "LFB", "London Fire and Emergency Planning Authority", "LFEPA")),
    ("Transport for London", "combined_authority", "Greater London", ("TfL",)),
)


def read_geography(reference: Reference) -> Geography:
    """LAD names (LSOA lookup), regions (region lookup) and neighbours (LAD boundaries);
    each part empty when its file is missing."""
    lad_names: dict[str, str] = {}
    path = reference.find("lookup_lsoa21_ward_lad")
    if path is not None:
        lk = read_lsoa_lookup(path)[["lad_code", "lad_name"]].dropna().drop_duplicates("lad_code")
        lad_names = dict(zip(lk["lad_code"].astype(str), lk["lad_name"].astype(str), strict=True))
    lad_regions: dict[str, str] = {}
    region_names: dict[str, str] = {}
    path = reference.find("lookup_lad_region")
    if path is not None:
        reg = read_region_lookup(path).dropna(subset=["region_code"])
        lad_regions = reg["region_code"].astype(str).to_dict()
        names = reg.dropna(subset=["region_name"]).drop_duplicates("region_code")
        region_names = dict(zip(names["region_code"], names["region_name"], strict=True))
    return Geography(lad_names, lad_regions, region_names, _neighbours(reference))


def _neighbours(reference: Reference) -> dict[str, frozenset[str]]:
    """LAD → the LADs whose boundaries touch it ({} without a boundary file)."""
    path = reference.find("lad_boundaries")
    if path is None:
        return {}
    from impact.places.boundaries import load_boundaries

    try:
        gdf = load_boundaries(path)
    except (OSError, ValueError) as exc:
        log.warning("no district neighbours: %s", exc)
        return {}
    code = "code" if "code" in gdf else gdf.columns[0]
    geoms = gdf.to_crs(27700).geometry.buffer(50) if gdf.crs else gdf.geometry
    left, right = geoms.sindex.query(geoms, predicate="intersects")
    codes = gdf[code].astype(str).to_numpy()
    out: dict[str, set[str]] = defaultdict(set)
    for a, b in zip(codes[left], codes[right], strict=True):
        if a != b:
            out[a].add(b)
    return {k: frozenset(v) for k, v in out.items()}


# ----------------------------------------------------------------------------- reading tables


def _columns(
    raw: pd.DataFrame,
    wanted: dict[str, tuple[str, ...]],
    what: str,
    optional: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """The ``wanted`` fields of a reference table, found by header meaning (case, spaces
    and punctuation ignored); an ``optional`` field missing reads as empty, any other
    missing gives a one-line error naming the table."""
    by_norm = {norm_header(c): c for c in raw.columns}
    out = {}
    for fld, synonyms in wanted.items():
        hit = next((by_norm[s] for s in synonyms if s in by_norm), None)
        if hit is None and fld in optional:
            out[fld] = pd.Series("", index=raw.index, dtype="string")
            continue
        if hit is None:
            raise ValueError(
                f"{what} has no {fld} column (headers: {', '.join(map(str, raw.columns))})"
            )
        out[fld] = raw[hit].astype("string").str.strip().fillna("")
    return pd.DataFrame(out)


def _table(
    reference: Reference,
    role: str,
    wanted: dict,
    what: str,
    optional: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """A reference table's fields and ``source_file``; no rows (logged when unreadable)
    when it is absent, so a missing table only makes the gazetteer smaller."""
    path = reference.find(role)
    if path is not None:
        try:
            return _columns(read_csv(path), wanted, f"{path.name} ({what})", optional).assign(
                source_file=path.name
            )
        except (ValueError, OSError) as exc:
            log.warning("gazetteer: %s not used: %s", path.name, exc)
    return pd.DataFrame(columns=[*wanted, "source_file"], dtype="string")


_LA_FIELDS = {
    "code": ("localauthoritycode", "code", "key"),
    "official": ("officialname",),
    "nice": ("nicename", "name"),
    "gss": ("gsscode", "gss"),
    "end": ("enddate",),
    "replaced_by": ("replacedby",),
    "type": ("localauthoritytype", "type"),
    "county": ("countyla", "county"),
    "ca": ("combinedauthority",),
}
#: Fields a local-authority table may lack (a snapshot of current councils only).
_LA_OPTIONAL = frozenset({"end", "replaced_by", "county", "ca"})


def _local_authorities(reference: Reference, geo: Geography) -> list[Body]:
    """Every local authority, past and present, with its area: its own district, a
    county's districts, a combined authority's members, an ended one's successors'."""
    las = _table(reference, "local_authorities", _LA_FIELDS, "local authorities", _LA_OPTIONAL)
    if las.empty:
        return _districts_as_councils(geo)
    names = _alternative_names(reference, las)
    official = _register_official_names(reference)
    areas = _la_areas(las, geo)
    bodies = []
    for r in las.itertuples(index=False):
        ca = r.type in ("COMB", "SRA")
        bodies.append(
            Body(
                body_id=f"la:{r.code}",
                name=r.official or r.nice,
                body_class="combined_authority" if ca else "council",
                place="area" if areas.get(r.code) else "",
                lads=areas.get(r.code, ()),
                current=r.end == "",
                source=r.source_file,
                names=tuple(
                    dict.fromkeys([r.nice, *names.get(r.code, ()), *official.get(r.code, ())])
                ),
                initials_of=tuple(
                    dict.fromkeys(x for x in (r.official, *official.get(r.code, ())) if x)
                ),
            )
        )
    return bodies


def _districts_as_councils(geo: Geography) -> list[Body]:
    """Without a local-authority table, each district of the LSOA lookup is a council."""
    return [
        Body(f"lad:{code}", name, "council", "area", (code,), source="district lookup")
        for code, name in geo.lad_names.items()
    ]


def _alternative_names(reference: Reference, las: pd.DataFrame) -> dict[str, list[str]]:
    """Register code → name variants, from the name lookup (one name per row), else the
    table's own comma-separated ``alt-names`` (commas inside names then split them)."""
    table = _table(
        reference,
        "local_authority_names",
        {"name": ("laname", "name"), "code": ("localauthoritycode", "code")},
        "local-authority names",
    )
    out: dict[str, list[str]] = defaultdict(list)
    if not table.empty:
        for name, code in zip(table["name"], table["code"], strict=True):
            out[code].append(name)
        return out
    path = reference.find("local_authorities")
    raw = read_csv(path) if path is not None else pd.DataFrame()
    alt = _columns(raw, {"alt": ("altnames",)}, "local authorities") if len(raw) else None
    if alt is not None:
        for code, text in zip(las["code"], alt["alt"], strict=True):
            out[code].extend(x.strip() for x in text.split(",") if x.strip())
    return out


def _register_official_names(reference: Reference) -> dict[str, list[str]]:
    """Register code → official names in the GOV.UK local-authority register."""
    table = _table(
        reference,
        "local_authority_register",
        {"code": ("key", "localauthorityeng"), "official": ("officialname",), "name": ("name",)},
        "local-authority register",
    )
    out: dict[str, list[str]] = defaultdict(list)
    for r in table.itertuples(index=False):
        out[r.code].extend(x for x in (r.official, r.name) if x)
    return out


#: Local-authority types whose area is their members' (counties, combined authorities).
_GROUPS = frozenset({"CTY", "COMB", "SRA"})


def _la_areas(las: pd.DataFrame, geo: Geography) -> dict[str, tuple[str, ...]]:
    """Register code → the districts it serves (sorted LAD codes; () when unknown)."""
    known = set(geo.lad_names)
    own = {
        r.code: (r.gss,)
        for r in las.itertuples()
        if r.gss and (r.gss in known or not known or (r.end == "" and r.type not in _GROUPS))
    }
    members: dict[str, set[str]] = defaultdict(set)
    for r in las.itertuples():
        if r.code in own and r.end == "":
            for parent in (r.county, r.ca):
                if parent:
                    members[parent].add(r.code)
    succ = {
        r.code: [x.strip() for x in r.replaced_by.split(",") if x.strip()] for r in las.itertuples()
    }

    def area(code: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if code in seen:
            return set()
        seen = seen | {code}
        if code in own:
            return set(own[code])
        if members.get(code):
            return set().union(*(area(m, seen) for m in members[code]))
        return set().union(*(area(s, seen) for s in succ.get(code, ())))

    return {code: tuple(sorted(area(code))) for code in las["code"]}


def _government(reference: Reference) -> list[Body]:
    """GOV.UK government organisations: national, whatever their end date."""
    table = _table(
        reference,
        "government_organisations",
        {"key": ("key", "governmentorganisation"), "name": ("name",), "end": ("enddate",)},
        "government organisations",
    )
    return [
        Body(
            f"gov:{r.key}",
            r.name,
            "government",
            "national",
            current=r.end == "",
            source=r.source_file,
            initials_of=(r.name,),
        )
        for r in table.itertuples(index=False)
        if r.name
    ]


def _nhs_trusts(reference: Reference) -> list[Body]:
    """NHS trusts at their headquarters postcode (ODS)."""
    table = _table(
        reference,
        "nhs_trusts",
        {
            "code": ("orgcode", "organisationcode", "code"),
            "name": ("name", "organisationname"),
            "postcode": ("postcode",),
            "close": ("closedate", "enddate"),
        },
        "NHS trusts",
    )
    pcs = normalise_postcodes(table["postcode"])
    return [
        Body(
            f"ods:{r.code}",
            r.name,
            "nhs",
            "site" if pd.notna(pc) else "",
            postcode=None if pd.isna(pc) else str(pc),
            current=r.close == "",
            source=r.source_file,
        )
        for r, pc in zip(table.itertuples(index=False), pcs, strict=True)
        if r.name
    ]


def _academy_trusts(reference: Reference) -> list[Body]:
    """Academy trusts: a class and a company number (registers may then place them)."""
    table = _table(
        reference,
        "academy_trusts",
        {"name": ("entity", "name", "academytrust"), "company": ("companynumber",)},
        "academy trusts",
    )
    numbers = clean_company_numbers(table["company"])
    return [
        Body(
            f"at:{co if pd.notna(co) else name}",
            name,
            "school_academy",
            "",
            source=src,
            company_number=None if pd.isna(co) else str(co),
        )
        for name, co, src in zip(table["name"], numbers, table["source_file"], strict=True)
        if name
    ]


def _universities(reference: Reference) -> list[Body]:
    table = _table(reference, "universities", {"name": ("name",)}, "universities")
    return [
        Body(f"uni:{n}", n, "university", "", source=s)
        for n, s in zip(table["name"], table["source_file"], strict=True)
        if n
    ]


def _housing_providers(reference: Reference) -> list[Body]:
    """Registered providers, named through the charity and mutual-society tables (the
    provider list holds only codes and company or charity numbers)."""
    table = _table(
        reference,
        "housing_providers",
        {"code": ("rpcode", "code"), "company": ("companynumber",), "org": ("orgid",)},
        "housing providers",
    )
    names = _organisation_names(reference)
    bodies = []
    for r in table.itertuples(index=False):
        co = r.company.upper()
        name = names.get(r.org) or names.get(f"GB-COH-{co}")
        if name:
            bodies.append(
                Body(
                    f"rp:{r.code}",
                    name,
                    "housing_association",
                    "",
                    source=r.source_file,
                    company_number=co or None,
                )
            )
    return bodies


def _organisation_names(reference: Reference) -> dict[str, str]:
    """Organisation id (GB-CHC-…, GB-COH-…, GB-MPR-…) → name, from every id table."""
    out: dict[str, str] = {}
    for role in ("charity_companies", "mutual_societies"):
        table = _table(
            reference,
            role,
            {"a": ("orgida", "mutualid"), "b": ("orgidb", "companyid"), "name": ("name",)},
            role.replace("_", " "),
        )
        for a, b, name in zip(table["a"], table["b"], table["name"], strict=True):
            out.setdefault(a, name)
            out.setdefault(b, name)
    return out


def _declared() -> list[Body]:
    return [
        Body(f"declared:{name}", name, cls, place, source="declared", initials_of=(name,))
        for name, cls, place in DECLARED
    ]


def _service_areas(councils: Gazetteer) -> dict[str, dict[str, tuple[tuple[str, ...], str]]]:
    """Class → area key → (districts, name) of :data:`SERVICE_AREAS`, each part read from
    the councils' areas; an area whose parts are not all known is left out (logged)."""
    out: dict[str, dict[str, tuple[tuple[str, ...], str]]] = defaultdict(dict)
    for name, parts, classes in SERVICE_AREAS:
        found = [councils.area(key.split(), 1) for key in keys_of(list(parts))]
        if not all(found):
            missing = [p for p, f in zip(parts, found, strict=True) if not f]
            log.info("service area %s not used: no area for %s", name, ", ".join(missing))
            continue
        lads = tuple(sorted({lad for f in found if f for lad in f[0]}))
        for cls in classes:
            out[cls][keys_of([name])[0]] = (lads, name)
    return out


def _declared_at_area(councils: Gazetteer, service: dict[str, dict]) -> list[Body]:
    """:data:`DECLARED_AT_AREA` bodies at their areas (none whose area is unknown)."""
    bodies = []
    for name, cls, area, names in DECLARED_AT_AREA:
        key = keys_of([area])[0]
        found = service.get(cls, {}).get(key) or councils.area(key.split(), 1)
        if found is None:
            log.info("%s not placed: no area for %s", name, area)
            continue
        bodies.append(Body(f"declared:{name}", name, cls, "area", found[0], source="declared",
                           names=names, initials_of=(name,)))
    return bodies


# ----------------------------------------------------------------------------- loading

#: Roles the gazetteer reads (their fingerprints key its cache and the located suppliers').
ROLES = (
    "local_authorities",
    "local_authority_names",
    "local_authority_register",
    "government_organisations",
    "nhs_trusts",
    "academy_trusts",
    "universities",
    "housing_providers",
    "charity_companies",
    "mutual_societies",
    "lookup_lsoa21_ward_lad",
    "lookup_lad_region",
    "lad_boundaries",
    "employer_addresses",
    "postcodes",
)
_GAZETTEERS: Memo[tuple, Gazetteer] = Memo("gazetteers")
#: The code that builds a gazetteer: a change to it makes the disk cache stale.
_CODE = (Path(__file__), Path(__file__).with_name("gazetteer.py"))


def reference_files(reference: Reference) -> list[Path]:
    """Every reference file the gazetteer reads."""
    return [p for role in ROLES for p in reference.find_all(role)]


def load_gazetteer(reference: Reference | None) -> Gazetteer:
    """The gazetteer of a reference folder, built once per process and set of files;
    declared bodies only when there is no folder."""
    if reference is None:
        return _GAZETTEERS.once(("declared",), lambda: Gazetteer(_declared()))
    key = tuple(fingerprint([*reference_files(reference), *_CODE]))
    return _GAZETTEERS.once(key, lambda: _cached(reference, key))


def _cached(reference: Reference, key: tuple) -> Gazetteer:
    """The gazetteer from its disk cache (keyed on the reference files and this code), else
    built and cached; a damaged cache is rebuilt, an unwritable one only costs time."""
    path = cache_dir() / f"gazetteer-{cache_key(*key)}.json"
    if path.is_file():
        try:
            return Gazetteer.from_state(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("gazetteer cache %s unreadable (%s): rebuilding", path.name, exc)
    gaz = _build(reference)
    try:
        atomic_write_text(path, json.dumps(gaz.state()))
    except OSError as exc:
        log.warning("could not cache the gazetteer in %s: %s", path, exc)
    return gaz


def _build(reference: Reference) -> Gazetteer:
    geo = read_geography(reference)
    councils = _local_authorities(reference, geo)
    areas = Gazetteer(councils, geo)  # the councils' areas, to read declared areas by
    service = _service_areas(areas)
    bodies = [
        *councils,
        *_declared_at_area(areas, service),
        *_declared(),
        *_government(reference),
        *_nhs_trusts(reference),
        *_academy_trusts(reference),
        *_universities(reference),
        *_housing_providers(reference),
    ]
    gaz = Gazetteer(bodies, geo, _charity_company_numbers(reference))
    gaz.add_areas(postal_areas(reference))
    for cls, class_areas in service.items():
        gaz.add_areas(class_areas, cls)
    return gaz


def _charity_company_numbers(reference: Reference) -> frozenset[str]:
    """Company numbers of charities that are also companies (GB-COH-… beside GB-CHC-…)."""
    table = _table(
        reference,
        "charity_companies",
        {"a": ("orgida",), "b": ("orgidb",)},
        "charity companies",
    )
    ids = pd.concat([table["a"], table["b"]])
    numbers = ids[ids.str.startswith("GB-COH-")].str.removeprefix("GB-COH-")
    return frozenset(clean_company_numbers(numbers).dropna().astype(str))


# ----------------------------------------------------------------------------- postal areas

#: Address parts that name no area.
_NOT_AN_AREA = frozenset({"UNITED KINGDOM", "ENGLAND", "UK", "GREAT BRITAIN", "GB", "WALES"})
#: A postal county or town counts once this many addresses name it, and a district is in
#: it once this many of those addresses lie there and this share of them.
_AREA_MIN_ADDRESSES, _AREA_MIN_IN_DISTRICT, _AREA_MIN_SHARE = 20, 3, 0.03


def postal_areas(reference: Reference) -> dict[str, tuple[tuple[str, ...], str]]:
    """Area names that are no council's — postal counties ("Tyne and Wear", "Merseyside")
    and towns — as the districts their addresses' postcodes lie in, read from a table of
    addresses with postcodes (employers'); {} without one."""
    table = _table(
        reference,
        "employer_addresses",
        {"address": ("address", "registeredaddress"), "postcode": ("postcode", "postcodes")},
        "employer addresses",
    )
    if table.empty:
        return {}
    from impact.places.geocode import geocode_postcodes

    lads = geocode_postcodes(table["postcode"], reference)["lad_code"].astype("string")
    last = table["address"].map(_last_area_part)
    found = pd.DataFrame({"area": last, "lad": lads}).dropna()
    return _areas_from_counts(found)


def _last_area_part(address: str) -> str | None:
    """The last part of an address that is neither a postcode nor a country."""
    for part in reversed([p.strip() for p in str(address).split(",")]):
        upper = part.upper()
        if not part or upper in _NOT_AN_AREA or re.search(r"\d", part):
            continue
        return part if re.fullmatch(r"[A-Za-z&' .-]{3,40}", part) else None
    return None


def _areas_from_counts(found: pd.DataFrame) -> dict[str, tuple[tuple[str, ...], str]]:
    """Area key → (districts, name) where enough addresses say so."""
    found = found.assign(key=keys_of(found["area"].astype(str).tolist()))
    totals = found["key"].value_counts()
    found = found[found["key"].map(totals) >= _AREA_MIN_ADDRESSES]
    pairs = found.groupby(["key", "lad"]).size().rename("n").reset_index()
    pairs = pairs[
        (pairs["n"] >= _AREA_MIN_IN_DISTRICT)
        & (pairs["n"] / pairs["key"].map(totals) >= _AREA_MIN_SHARE)
    ]
    names = found.groupby("key")["area"].agg(lambda x: x.mode().iloc[0].title())
    return {
        str(key): (tuple(sorted(rows["lad"].astype(str))), str(names[key]))
        for key, rows in pairs.groupby("key")
        if meaningful(str(key))
    }
