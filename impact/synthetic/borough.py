"""Generate the synthetic demo borough: geography, deprivation, suppliers and spend files.

The demo is the app's offline default, so it must exercise the real paths: spend is
written as messy Local Government Transparency Code CSV files and the reference data in
the same layouts as the public files, under different names.  Everything is invented and
labelled "(synthetic)"; postcodes use the unused ``ZZ`` area and company numbers the
unused ``ZZ`` prefix, so nothing can be mistaken for, or collide with, real records.

Re-running with the same seed gives byte-identical files: seeded generators per part,
sorted output, no timestamps, geometry built without PROJ (see
:mod:`impact.synthetic.factories`).  Run ``impact demo [--out DIR] [--seed N]``.

:func:`generate_demo` builds the whole :class:`Borough` first (one seeded generator per
part, so the parts never disturb each other's draws), then writes the files from it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.special import ndtr, ndtri

from impact.synthetic import COUNCIL, GENERATOR
from impact.synthetic.factories import (
    N_LSOA_2019,
    N_LSOA_2025,
    WGS84,
    contiguous_clusters,
    domain_latents,
    km_to_lonlat,
    latent_to_rank,
    make_imd_table,
    make_region,
    rank_to_decile,
    rook_adjacency,
    smooth_field,
)

ORIGIN = (-1.75, 53.60)  # lon, lat of the borough centre: inland West/South Yorkshire
REGION = ("E12999999", "Demo Region (synthetic)")
#: (code, name, short name used in LSOA names); the borough first.
LADS: tuple[tuple[str, str, str], ...] = (
    ("E09999999", "Demo Borough (synthetic)", "Demo Borough"),
    ("E07999991", "Ashvale (synthetic)", "Ashvale"),
    ("E07999992", "Harrowmoor (synthetic)", "Harrowmoor"),
    ("E07999993", "Kestrel Vale (synthetic)", "Kestrel Vale"),
)
NEIGHBOUR_LSOAS = (13, 11, 14)
NEIGHBOUR_WARDS = (3, 4, 3)
WARD_NAMES = (
    "Amberfold",
    "Brackenhurst",
    "Castlegate",
    "Denholm Park",
    "Elmsworth",
    "Fernleigh",
    "Gorsebank",
    "Hollins Cross",
    "Ivystone",
    "Juniper Vale",
    "Kilnhouse",
    "Larkhollow",
    "Millbeck",
    "Netherford",
    "Oakthwaite",
    "Pennyhill",
    "Quarrymoor",
    "Ravensfold",
    "Stonecroft",
    "Thistledown",
    "Underbrook",
    "Weaverside",
    "Yarrowfield",
    "Zennor Row",
)
NEIGHBOUR_WARD_SUFFIXES = ("North", "South", "Rural", "Town", "Fells", "Riverside")
#: Far-away English cities for suppliers outside the demo region (lat, long).
ELSEWHERE = (
    ("London", 51.515, -0.110),
    ("Birmingham", 52.480, -1.895),
    ("Bristol", 51.455, -2.590),
    ("Norwich", 52.630, 1.297),
    ("Southampton", 50.905, -1.400),
    ("Nottingham", 52.952, -1.150),
    ("Newcastle", 54.975, -1.610),
    ("Reading", 51.455, -0.970),
    ("Exeter", 50.720, -3.530),
    ("Cambridge", 52.205, 0.120),
)
LAYOUT = (
    "Body Name",
    "Directorate",
    "Service Area",
    "Expense Type",
    "Payment Date",
    "Transaction Number",
    "Net Amount",
    "Supplier Name",
    "Supplier ID",
)
CARD_LAYOUT = (
    "Directorate",
    "Cost Centre",
    "Transaction Date",
    "Merchant Name",
    "Merchant Category",
    "Purpose",
    "Amount (inc VAT)",
)
REDACTED = "Redacted Personal Information"
#: The supplier with a non-ASCII name, paid in June (the Windows-1252 file).
CAFE = "Bean & Leaf Café Ltd"
#: The spend categories every payment gets from its payee's sector.
CATEGORIES = ("directorate", "service_area", "expense_type")
COST_CENTRES = {
    "Adults, Health and Wellbeing": "DB1100",
    "Children's Services": "DB1200",
    "Place and Environment": "DB1300",
    "Housing and Communities": "DB1400",
    "Corporate Resources": "DB1500",
}
MONTHS = pd.period_range("2024-04", "2025-03", freq="M")
SEASON = (0.85, 0.95, 1.0, 1.0, 0.82, 1.0, 1.05, 1.05, 0.85, 1.0, 1.05, 1.35)
ROWS_PER_MONTH = 1300
CARD_ROWS_PER_QUARTER = 125

#: sector (SIC section) → (directorate, service area, expense types, name stems, card category)
SECTORS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...], str]] = {
    "C": (
        "Corporate Resources",
        "Communications",
        ("Printing", "Signage"),
        ("Print", "Engineering", "Signs", "Fabrications"),
        "Printing Services",
    ),
    "D": (
        "Corporate Resources",
        "Facilities Management",
        ("Utilities - Electricity", "Utilities - Gas"),
        ("Energy", "Power"),
        "Utilities",
    ),
    "E": (
        "Place and Environment",
        "Waste Management",
        ("Waste Disposal", "Recycling Contracts"),
        ("Waste Solutions", "Recycling", "Environmental Services"),
        "Waste Services",
    ),
    "F": (
        "Place and Environment",
        "Highways and Capital Programme",
        ("Highway Maintenance", "Construction Works", "Building Repairs"),
        ("Construction", "Building Services", "Civil Engineering", "Roofing", "Groundworks"),
        "Building Supplies",
    ),
    "G": (
        "Corporate Resources",
        "Facilities Management",
        ("Stationery", "Equipment Purchase", "Vehicle Parts"),
        ("Supplies", "Office Supplies", "Trade Supplies", "Motors"),
        "Stationery Stores",
    ),
    "H": (
        "Children's Services",
        "Education and Skills",
        ("Home to School Transport", "Vehicle Hire"),
        ("Travel", "Coaches", "Logistics", "Taxis"),
        "Transport",
    ),
    "I": (
        "Housing and Communities",
        "Events and Culture",
        ("Catering", "Hospitality"),
        ("Catering", "Kitchen", "Hotel"),
        "Restaurants",
    ),
    "J": (
        "Corporate Resources",
        "ICT",
        ("Software Licences", "IT Hardware", "Telephony"),
        ("Digital", "Software", "IT Solutions", "Networks"),
        "Computer Software",
    ),
    "L": (
        "Housing and Communities",
        "Housing Options",
        ("Temporary Accommodation", "Rent"),
        ("Property Management", "Lettings", "Estates"),
        "Real Estate",
    ),
    "M": (
        "Corporate Resources",
        "Legal and Finance",
        ("Consultancy", "Legal Fees", "Professional Fees"),
        ("Consulting", "Associates", "Surveyors", "Architects"),
        "Professional Services",
    ),
    "N": (
        "Corporate Resources",
        "Facilities and HR",
        ("Cleaning", "Security", "Agency Staff"),
        ("Facilities Management", "Cleaning Services", "Recruitment", "Security"),
        "Business Services",
    ),
    "O": (
        "Corporate Resources",
        "Corporate Finance",
        ("Contributions to Other Bodies", "Precepts and Levies", "Recharges"),
        (),
        "",
    ),
    "P": (
        "Children's Services",
        "Schools",
        ("Schools Funding", "Training", "Tuition Fees"),
        ("Training", "Learning"),
        "Education",
    ),
    "Q": (
        "Adults, Health and Wellbeing",
        "Adult Social Care",
        ("Residential Care", "Home Care", "Supported Living"),
        ("Care Services", "Home Care", "Healthcare", "Care Homes"),
        "Health Services",
    ),
    "R": (
        "Housing and Communities",
        "Leisure and Culture",
        ("Events", "Leisure Services"),
        ("Leisure", "Events", "Arts"),
        "Recreation",
    ),
    "S": (
        "Housing and Communities",
        "Communities",
        ("Grants to Voluntary Organisations", "Commissioned Services"),
        ("Community Services",),
        "Membership Organisations",
    ),
}
COMPANY_WORDS = (
    "Keystone",
    "Meridian",
    "Oakleaf",
    "Bluebell",
    "Summit",
    "Northgate",
    "Ironbridge",
    "Brightwater",
    "Foxglove",
    "Greystone",
    "Harbour",
    "Kingfisher",
    "Larch",
    "Moorside",
    "Nimbus",
    "Orchard",
    "Pinnacle",
    "Quayside",
    "Redwood",
    "Silverline",
    "Thornbury",
    "Unity",
    "Vantage",
    "Willow",
    "Apex",
    "Beacon",
    "Cobalt",
    "Dalesway",
    "Evergreen",
    "Fieldfare",
    "Granite",
    "Heathcote",
    "Inkwell",
    "Jetstream",
    "Kestrel",
    "Lodestar",
)
LEGAL_FORMS = ("Ltd", "Limited", "PLC", "LLP", "CIC")
SURNAMES = (
    "Hartley",
    "Okafor",
    "Whitworth",
    "Malik",
    "Brennan",
    "Sutcliffe",
    "Nowak",
    "Haigh",
    "Chaudhry",
    "Lumb",
    "Ferreira",
    "Greenwood",
    "Ashworth",
    "Kowalski",
)
#: Sole traders' trades, and the three ways councils write a sole trader's name.
TRADES = (
    "Plumbing",
    "Decorating",
    "Electrical",
    "Gardening",
    "Catering",
    "Tutoring",
    "Joinery",
    "Photography",
)
TRADER_NAMES = ("{i} {s}", "{i} {s} {t}", "{i} {s} t/a {s} {t}")
CHARITY_STEMS = (
    "Community Trust",
    "Food Bank",
    "Carers Centre",
    "Youth Project",
    "Advice Centre",
    "Women's Refuge",
    "Men's Shed",
    "Credit Union",
    "Arts Collective",
    "Sports Foundation",
    "Hospice",
    "Mental Health Network",
)
PUBLIC_BODIES = (  # (name, band, sector, expense type)
    ("Ashvale District Council", "neighbour", "O", "Recharges"),
    ("Harrowmoor District Council", "neighbour", "O", "Contributions to Other Bodies"),
    ("Kestrel Vale District Council", "neighbour", "O", "Recharges"),
    ("Demo Region Combined Authority", "neighbour", "O", "Precepts and Levies"),
    ("Demo Region Fire and Rescue Authority", "neighbour", "O", "Precepts and Levies"),
    (
        "Demo Region Police and Crime Commissioner",
        "neighbour",
        "O",
        "Contributions to Other Bodies",
    ),
    ("Demo Region Integrated Care Board", "neighbour", "Q", "Health Services"),
    ("Demo Region Transport Executive", "neighbour", "O", "Contributions to Other Bodies"),
    ("Demo Region Drainage Board", "neighbour", "O", "Precepts and Levies"),
    ("Demo Valley NHS Foundation Trust", "borough", "Q", "Health Services"),
    ("Demo Borough Homes", "borough", "L", "Housing Management Fee"),
    ("Millbeck Academy Trust", "borough", "P", "Schools Funding"),
    ("St Aidan's Catholic Academy Trust", "borough", "P", "Schools Funding"),
    ("Oakthwaite Learning Partnership", "borough", "P", "Schools Funding"),
    ("Castlegate Primary Academy", "borough", "P", "Schools Funding"),
    ("Fernleigh College", "borough", "P", "Tuition Fees"),
    ("Demo Borough Leisure Trust", "borough", "R", "Leisure Services"),
    ("Demo Region Coroners Service", "neighbour", "O", "Recharges"),
)
PUBLIC_EXPENSE = {name: expense for name, _, _, expense in PUBLIC_BODIES}
#: Columns of the answer key (expected_suppliers.csv), ``name`` as ``supplier_name``.
ANSWER_KEY = (
    "supplier_id",
    "name",
    "entity_id",
    "variant_of",
    "kind",
    "legal_form",
    "sector",
    "sme",
    "vcse",
    "postcode",
    "company_number",
    "lsoa21_code",
    "ltla24_code",
    "band",
    "in_council_register",
)


# --------------------------------------------------------------------------- helpers


def _rng(seed: int, part: int) -> np.random.Generator:
    """One generator per part, so changing one part never reshuffles the others."""
    return np.random.default_rng([seed, part])


def _pounds(pence: pd.Series, style: str = "plain") -> pd.Series:
    """Format integer pence as published: ``plain`` -1234.50, ``thousands`` "1,234.50" and
    "(1,234.50)" for credits."""
    neg = pence < 0
    whole = pence.abs() // 100
    frac = (pence.abs() % 100).astype(str).str.zfill(2)
    if style == "thousands":
        text = whole.map("{:,}".format) + "." + frac
        return text.where(~neg, "(" + text + ")")
    text = whole.astype(str) + "." + frac
    return text.where(~neg, "-" + text)


def _to_csv(frame: pd.DataFrame, header: bool = True, **kw: object) -> str:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=header, lineterminator="\n", **kw)
    return buf.getvalue()


def _write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        fh.write(text)


# --------------------------------------------------------------------------- geography


def build_geography(seed: int) -> gpd.GeoDataFrame:
    """LSOAs of the borough and its neighbours with codes, names, ward and LAD (WGS84).

    Codes run in the order real ones do (district, then MSOA from north to south, then
    letter), so the areas are laid out first, then grouped and ordered, then labelled.
    """
    region = make_region(
        _rng(seed, 1),
        n_borough=100,
        n_neighbours=NEIGHBOUR_LSOAS,
        n_wards=20,
        neighbour_wards=NEIGHBOUR_WARDS,
    )
    lsoas = _label_lsoas(region, _lsoa_order(region))
    if not shapely.coverage_is_valid(lsoas.geometry.values):
        raise ValueError("demo LSOA coverage is not valid after rounding; try another seed")
    return lsoas.reset_index(drop=True)


def _msoa_numbers(region: gpd.GeoDataFrame) -> np.ndarray:
    """Per area, its MSOA-like group of ~5 contiguous areas, numbered 1.. north to south
    within each district: what gives LSOA names their real "Place 001A" shape."""
    xy = region[["x", "y"]].to_numpy()
    adjacency = rook_adjacency(region.geometry.values)
    msoa = np.empty(len(region), dtype=int)
    for k in range(len(LADS)):
        idx = np.flatnonzero(region["lad"].to_numpy() == k)
        labels = contiguous_clusters(xy[idx], adjacency[idx][:, idx], max(1, round(len(idx) / 5)))
        cent_y = pd.Series(xy[idx, 1]).groupby(labels).mean()
        rank = pd.Series(
            np.arange(1, len(cent_y) + 1),
            index=cent_y.sort_values(ascending=False, kind="stable").index,
        )
        msoa[idx] = rank.loc[labels].to_numpy()
    return msoa


def _lsoa_order(region: gpd.GeoDataFrame) -> pd.DataFrame:
    """District, MSOA, letter (1 = A, from the north-west within an MSOA) and ward per
    area, sorted into code order; the index is the area's row in ``region``."""
    xy = region[["x", "y"]].to_numpy()
    frame = pd.DataFrame(
        {
            "lad": region["lad"],
            "msoa": _msoa_numbers(region),
            "ward": region["ward"],
            "order": xy[:, 0] - xy[:, 1],
        }
    )
    frame["letter"] = frame.groupby(["lad", "msoa"])["order"].rank(method="first").astype(int)
    return frame.sort_values(["lad", "msoa", "letter"], kind="stable")


def _ward_names(region: gpd.GeoDataFrame) -> dict[int, str]:
    """Invented names for the borough's wards; "<district> North" and so on for the
    neighbours', so a ward's district can be read from its name."""
    names = {}
    for w in np.unique(region["ward"].to_numpy()):
        k = int(region.loc[region["ward"] == w, "lad"].iloc[0])
        if k == 0:
            names[w] = WARD_NAMES[w]
        else:
            first = region.loc[region["lad"] == k, "ward"].min()
            names[w] = f"{LADS[k][2]} {NEIGHBOUR_WARD_SUFFIXES[w - first]}"
    return names


def _label_lsoas(region: gpd.GeoDataFrame, order: pd.DataFrame) -> gpd.GeoDataFrame:
    """The areas in code order with their LSOA, ward and LAD codes and names, projected
    from the local km grid to WGS84 (seed points too, for the postcodes)."""
    idx = order.index.to_numpy()
    lad = order["lad"].to_numpy()
    ward_ids = order["ward"].to_numpy()
    ward_names = _ward_names(region)
    xy = region[["x", "y"]].to_numpy()[idx]
    lsoa_names = [
        f"{LADS[k][2]} {m:03d}{chr(64 + le)}"
        for k, m, le in zip(lad, order["msoa"], order["letter"], strict=True)
    ]
    return gpd.GeoDataFrame(
        {
            "lsoa21_code": [f"E0199{i + 1:04d}" for i in range(len(idx))],
            "lsoa21_name": lsoa_names,
            "ward24_code": [f"E0599{w + 1:04d}" for w in ward_ids],
            "ward24_name": [ward_names[w] for w in ward_ids],
            "ltla24_code": [LADS[k][0] for k in lad],
            "ltla24_name": [LADS[k][1] for k in lad],
            "lad_index": lad,
            "x_km": xy[:, 0],
            "y_km": xy[:, 1],
            "seed_point": km_to_lonlat(shapely.points(xy), ORIGIN),
        },
        geometry=km_to_lonlat(region.geometry.values[idx], ORIGIN),
        crs=WGS84,
    )


def dissolve(lsoas: gpd.GeoDataFrame, code: str, name: str) -> gpd.GeoDataFrame:
    """Wards or LADs as unions of their LSOAs (so the coverages nest exactly)."""
    groups = lsoas.groupby(code, sort=True)
    geoms = [shapely.union_all(g.geometry.values) for _, g in groups]
    names = groups[name].first()
    return gpd.GeoDataFrame(
        {code: names.index, name: names.to_numpy()}, geometry=geoms, crs=lsoas.crs
    )


# --------------------------------------------------------------------------- deprivation


def build_deprivation(lsoas: gpd.GeoDataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """IoD 2025 table (with a deprived core and affluent edge) and matching IoD 2019 latents."""
    rng = _rng(seed, 2)
    xy = lsoas[["x_km", "y_km"]].to_numpy()
    core_centre = np.array([0.8, -0.6])
    dist = np.hypot(*(xy - core_centre).T)
    field = 2.2 * np.exp(-((dist / 4.5) ** 2)) + 0.8 * smooth_field(xy, rng, n_bumps=10, scale=2.5)
    in_borough = lsoas["lad_index"].to_numpy() == 0
    b_mean, b_sd = field[in_borough].mean(), field[in_borough].std()
    core = np.clip(0.05 + 1.15 * (field - b_mean) / b_sd, -3.2, 3.2)
    latent25 = domain_latents(core, rng, xy)
    imd25 = make_imd_table(lsoas["lsoa21_code"], rng, latent25)
    latent19 = latent25 + rng.normal(scale=0.25, size=latent25.shape)
    return imd25, latent19


def imd2019_files(lsoas: pd.DataFrame, latent19: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """IoD 2019 File 1 and File 2 in the published layouts, on LSOA 2011 (= 2021) codes."""
    ranks = {n: latent_to_rank(latent19[n].to_numpy(), N_LSOA_2019) for n in latent19.columns}
    base = {
        "LSOA code (2011)": lsoas["lsoa21_code"].to_numpy(),
        "LSOA name (2011)": lsoas["lsoa21_name"].to_numpy(),
        "Local Authority District code (2019)": lsoas["ltla24_code"].to_numpy(),
        "Local Authority District name (2019)": lsoas["ltla24_name"].to_numpy(),
    }
    long_names = {
        "IMD": "Index of Multiple Deprivation (IMD)",
        "Income": "Income",
        "Employment": "Employment",
        "Education": "Education, Skills and Training",
        "Health": "Health Deprivation and Disability",
        "Crime": "Crime",
        "Housing_and_Services": "Barriers to Housing and Services",
        "Environment": "Living Environment",
    }
    file2 = dict(base)
    for n, label in long_names.items():
        file2[f"{label} Rank (where 1 is most deprived)"] = ranks[n]
        file2[f"{label} Decile (where 1 is most deprived 10% of LSOAs)"] = rank_to_decile(
            ranks[n], N_LSOA_2019
        )
    file1 = dict(base)
    file1["Index of Multiple Deprivation (IMD) Rank"] = pd.Series(ranks["IMD"]).map("{:,}".format)
    file1["Index of Multiple Deprivation (IMD) Decile"] = rank_to_decile(ranks["IMD"], N_LSOA_2019)
    return pd.DataFrame(file1), pd.DataFrame(file2)


def lad_summary(imd: pd.DataFrame, lsoas: pd.DataFrame, population: pd.Series) -> pd.DataFrame:
    """MHCLG-style LAD summaries computed from the demo LSOAs (population-weighted averages,
    share of LSOAs in the national most deprived 10 %, extent, local concentration)."""
    frame = imd.assign(
        ltla24_code=lsoas["ltla24_code"].to_numpy(),
        ltla24_name=lsoas["ltla24_name"].to_numpy(),
        pop=population.to_numpy(),
    )
    prefixes = {
        "IMD": "imd",
        "Income": "income",
        "Employment": "employment",
        "Education": "education_skills_and_training",
        "Health": "health_deprivation_and_disability",
        "Crime": "crime",
        "Housing_and_Services": "barriers_to_housing_and_services",
        "Environment": "living_environment",
    }
    rows = []
    for (code, name), g in frame.groupby(["ltla24_code", "ltla24_name"], sort=True):
        w = g["pop"] / g["pop"].sum()
        row: dict[str, object] = {"ltla24_code": code, "ltla24_name": name}
        for stem, prefix in prefixes.items():
            row[f"{prefix}_average_rank"] = round(float((g[f"{stem}_rank"] * w).sum()), 2)
            row[f"{prefix}_average_score"] = round(float((g[f"{stem}_score"] * w).sum()), 3)
            row[f"{prefix}_proportion_of_lso_as_in_most_deprived_10_percent_nationally"] = round(
                float((g[f"{stem}_decile"] == 1).mean()), 4
            )
            if stem == "IMD":
                pct = g["IMD_rank"] / N_LSOA_2025
                weight = np.where(
                    pct <= 0.1, 1.0, np.where(pct <= 0.3, 0.95 - 4.5 * (pct - 0.1), 0.0)
                )
                row["imd25_extent"] = round(float((weight * w).sum()), 4)
                srt = g.sort_values("IMD_rank")
                cum = srt["pop"].cumsum() / srt["pop"].sum()
                top = srt[cum.shift(fill_value=0) < 0.1]
                row["imd25_local_concentration"] = round(
                    float(np.average(top["IMD_rank"], weights=top["pop"])), 2
                )
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- postcodes


def build_postcodes(lsoas: gpd.GeoDataFrame, seed: int) -> pd.DataFrame:
    """Synthetic ``ZZn nAA`` postcodes: 6 per borough LSOA, 3 per neighbouring LSOA, and
    clusters around far-away cities.  Columns: postcode, lat, long, lsoa21_code, band."""
    rng = _rng(seed, 3)
    per = np.where(lsoas["lad_index"].to_numpy() == 0, 6, 3)
    owner = np.repeat(np.arange(len(lsoas)), per)
    pts = shapely.get_coordinates(
        lsoas.geometry.sample_points(per, rng=rng).explode(index_parts=False).values
    )
    # sample_points returns points sorted within each polygon: fine, all are deterministic
    lad = lsoas["lad_index"].to_numpy()[owner]
    ang = np.arctan2(lsoas["y_km"].to_numpy()[owner], lsoas["x_km"].to_numpy()[owner])
    district = np.where(lad == 0, 1 + ((ang + np.pi) / (2 * np.pi) * 5).astype(int) % 5, 5 + lad)
    local = pd.DataFrame(
        {
            "district": district,
            "lat": np.round(pts[:, 1], 5),
            "long": np.round(pts[:, 0], 5),
            "lsoa21_code": lsoas["lsoa21_code"].to_numpy()[owner],
            "band": np.where(lad == 0, "borough", "neighbour"),
        }
    )
    n_far = 12
    far = pd.DataFrame(
        {
            "district": 9,
            "lat": np.round(
                np.repeat([c[1] for c in ELSEWHERE], n_far)
                + rng.uniform(-0.03, 0.03, n_far * len(ELSEWHERE)),
                5,
            ),
            "long": np.round(
                np.repeat([c[2] for c in ELSEWHERE], n_far)
                + rng.uniform(-0.04, 0.04, n_far * len(ELSEWHERE)),
                5,
            ),
            "lsoa21_code": "",
            "band": "elsewhere",
        }
    )
    table = pd.concat([local, far], ignore_index=True)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))  # letters real inward codes use
    inward_space = np.array([f"{d}{a}{b}" for d in range(10) for a in letters for b in letters])
    inward = np.empty(len(table), dtype=object)
    for idx in table.groupby("district").indices.values():
        inward[idx] = rng.choice(inward_space, size=len(idx), replace=False)
    table.insert(0, "postcode", "ZZ" + table["district"].astype(str) + " " + inward)
    return table.drop(columns="district")


# --------------------------------------------------------------------------- suppliers


def build_suppliers(postcodes: pd.DataFrame, seed: int) -> pd.DataFrame:
    """About 300 vendor records: companies, VCSE, public bodies, sole traders, name
    variants of the same company under a second vendor number, and the redacted payee.

    Every step draws from the one generator of this part, in this order: reordering the
    steps would change every supplier after the first moved draw.
    """
    rng = _rng(seed, 4)
    rows = _companies(rng) + _charities(rng) + _public_bodies() + _sole_traders(rng)
    sup = pd.DataFrame(rows)
    sup["entity_id"] = [f"S{k + 1:04d}" for k in range(len(sup))]
    sup["variant_of"] = ""
    sup["postcode"] = _postcodes_by_band(sup["band"], postcodes, rng)
    sup["company_number"] = _company_numbers(sup["kind"], rng)
    sup = pd.concat([sup, _name_variants(sup, rng), _redacted_payee()], ignore_index=True)
    sup["supplier_id"] = _vendor_numbers(sup["kind"], rng)
    sup["in_council_register"] = _in_council_register(sup, rng)
    return sup.sort_values("supplier_id", kind="stable").reset_index(drop=True)


def _vendor(
    name: str,
    kind: str,
    sector: str,
    band: str,
    legal_form: str = "",
    vcse: bool = False,
    sme: bool = False,
) -> dict[str, object]:
    """One vendor record as first drawn, in the supplier table's column order (numbers,
    postcode and identifiers come in later steps)."""
    return {
        "name": name,
        "kind": kind,
        "sector": sector,
        "legal_form": legal_form,
        "vcse": vcse,
        "sme": sme,
        "band": band,
    }


def _companies(rng: np.random.Generator) -> list[dict[str, object]]:
    """200 companies named "<word> <trade> <form>" from their sector's trades: PLCs are
    mostly based elsewhere, small firms mostly local, CICs count as VCSE.  The first is
    the Café, whose "é" the Windows-1252 file needs."""
    sectors = [s for s in SECTORS if s != "O"]
    n_comp = 200
    pairs = [(w, s, stem) for w in COMPANY_WORDS for s in sectors for stem in SECTORS[s][3]]
    pick = rng.choice(len(pairs), size=n_comp, replace=False)
    forms = rng.choice(LEGAL_FORMS, size=n_comp, p=[0.5, 0.3, 0.05, 0.08, 0.07])
    rows = []
    for p, form in zip(pick, forms, strict=True):
        word, sector, stem = pairs[p]
        if sector == "M" and form == "PLC":
            form = "LLP"
        sme = form != "PLC" and rng.random() < 0.8  # drawn before the band
        band = rng.choice(
            ["borough", "neighbour", "elsewhere"],
            p=[0.1, 0.1, 0.8] if form == "PLC" else [0.44, 0.2, 0.36],
        )
        rows.append(
            _vendor(f"{word} {stem} {form}", "company", sector, band, form, form == "CIC", sme)
        )
    rows[0] = _vendor(CAFE, "company", "I", "borough", "Ltd", sme=True)
    return rows


def _charities(rng: np.random.Generator) -> list[dict[str, object]]:
    """48 local voluntary organisations ("<ward> <cause>"), mostly in the borough."""
    places = list(WARD_NAMES[:20])
    stems = rng.permutation(np.array([(p, c) for p in places for c in CHARITY_STEMS]))[:48]
    rows = []
    for place, stem in stems:
        sector = rng.choice(["Q", "S", "R", "P"], p=[0.35, 0.4, 0.15, 0.1])
        band = rng.choice(["borough", "neighbour", "elsewhere"], p=[0.75, 0.15, 0.1])
        rows.append(_vendor(f"{place} {stem}", "charity", sector, band, vcse=True, sme=True))
    return rows


def _public_bodies() -> list[dict[str, object]]:
    """The neighbouring councils, authorities, trusts and schools a council pays."""
    return [_vendor(name, "public", sector, band) for name, band, sector, _ in PUBLIC_BODIES]


def _sole_traders(rng: np.random.Generator) -> list[dict[str, object]]:
    """Local individuals trading under their own name, in the three ways councils write
    them ("A Smith", "A Smith Plumbing", "A Smith t/a Smith Plumbing")."""
    initials = rng.choice(list("ABCDEGHJKLMPRSTW"), size=len(SURNAMES))
    rows = []
    for k, (ini, surname) in enumerate(zip(initials, SURNAMES, strict=True)):
        trade = TRADES[k % len(TRADES)]
        name = TRADER_NAMES[k % len(TRADER_NAMES)].format(i=ini, s=surname, t=trade)
        sector = {"Catering": "I", "Tutoring": "P"}.get(trade, "F")
        band = rng.choice(["borough", "neighbour"], p=[0.8, 0.2])
        rows.append(_vendor(name, "sole_trader", sector, band, sme=True))
    return rows


def _postcodes_by_band(
    band: pd.Series, postcodes: pd.DataFrame, rng: np.random.Generator
) -> pd.Series:
    """A postcode per vendor from its band's pool (borough, neighbour, elsewhere), so the
    answer key knows where every supplier really is."""
    out = pd.Series("", index=band.index)
    for name, idx in band.groupby(band).indices.items():
        pool = postcodes.loc[postcodes["band"] == name, "postcode"].to_numpy()
        out.iloc[idx] = rng.choice(pool, size=len(idx), replace=len(idx) > len(pool))
    return out


def _company_numbers(kind: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Unique ``ZZnnnnnn`` numbers for every company and about half the charities (the
    charitable companies); blank for everyone else."""
    charitable_company = (kind == "charity") & (rng.random(len(kind)) < 0.5)
    has_number = (kind == "company") | charitable_company
    numbers = rng.choice(1_000_000, size=int(has_number.sum()), replace=False)
    out = pd.Series("", index=kind.index)
    out[has_number] = [f"ZZ{n:06d}" for n in numbers]
    return out


def _respelt(name: str, shout: bool) -> str:
    """A company's name as a second vendor record spells it: the legal form written the
    other way ("Ltd" and "Limited"), and either in capitals or with a full stop."""
    if name.endswith(" Ltd"):
        other = name.replace(" Ltd", " Limited")
    else:
        other = name.replace(" Limited", " LTD" if shout else " Ltd.")
    return other.upper() if shout else other


def _name_variants(sup: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Eight companies again under a second vendor record with the name spelt
    differently, as real ledgers have: one supplier, two vendor numbers."""
    limited = (sup["kind"] == "company") & sup["legal_form"].isin(["Ltd", "Limited"])
    base = sup[limited].sample(8, random_state=rng)
    variants = base.copy()
    variants["variant_of"] = base["entity_id"]
    variants["name"] = [_respelt(n, i % 2 == 0) for i, n in enumerate(base["name"])]
    return variants


def _redacted_payee() -> pd.DataFrame:
    """The one payee that stands for every redacted individual: no ids, no place."""
    empty = dict.fromkeys(["entity_id", "variant_of", "postcode", "company_number"], "")
    return pd.DataFrame([{**_vendor(REDACTED, "redacted", "", "redacted"), **empty}])


def _vendor_numbers(kind: pd.Series, rng: np.random.Generator) -> list[str]:
    """Six-digit vendor numbers, unique, blank for the redacted payee."""
    numbers = rng.choice(np.arange(100_000, 999_999), size=len(kind), replace=False)
    return ["" if k == "redacted" else f"{n:06d}" for k, n in zip(kind, numbers, strict=True)]


def _in_council_register(sup: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Which vendor records the council's own register holds: about 80 %, always the
    public bodies and sole traders, never a name variant or the redacted payee, so
    locating the rest needs the companies register."""
    register = rng.random(len(sup)) < 0.8
    register |= sup["kind"].isin(["public", "sole_trader"])
    register &= (sup["variant_of"] == "") & (sup["kind"] != "redacted")
    return register


# --------------------------------------------------------------------------- transactions


def _trunc_lognormal(
    rng: np.random.Generator, mu: np.ndarray, sigma: float, floor: float
) -> np.ndarray:
    """Log-normal draws conditioned on being ≥ ``floor`` (the publication threshold)."""
    lo = ndtr((np.log(floor) - mu) / sigma)
    u = rng.uniform(lo, 1.0)
    return np.exp(mu + sigma * ndtri(np.minimum(u, 1 - 1e-12)))


def _weekdays(rng: np.random.Generator, month: pd.Period, n: int) -> pd.DatetimeIndex:
    days = pd.bdate_range(month.start_time, month.end_time.normalize())
    return days[rng.integers(0, len(days), n)]


@dataclass(frozen=True)
class Payees:
    """Who the council pays (``table``), how often (``weight``, summing to 1) and how
    much (``mu``: the centre of each payee's log-pound payments)."""

    table: pd.DataFrame
    weight: np.ndarray
    mu: np.ndarray


def build_transactions(sup: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A financial year of payments (plus purchase-card rows) in integer pence.

    Every step draws from this part's one generator in this order, so the order is part
    of the demo: moving a step changes every payment drawn after it.
    """
    rng = _rng(seed, 5)
    payees = _payees(sup, rng)
    frames = _monthly_payments(payees, rng)
    frames.append(_contract_payments(payees.table, rng))
    frames.append(_card_payments(payees.table, rng))
    tx = pd.concat(frames, ignore_index=True)
    tx["supplier_id"] = _with_the_cafe_in_june(tx, sup)
    tx["period"] = tx["date"].dt.strftime("%Y-%m")
    tx["pence"] = _with_credit_notes(tx, rng)
    tx["supplier_name"] = _payee_names(tx["supplier_id"], sup)
    _categorise(tx, sup, rng)
    return _in_payment_order(tx, rng)


def _pence(pounds: np.ndarray) -> np.ndarray:
    """Whole pence, as the generator keeps money (so totals add up exactly)."""
    return np.round(pounds * 100).astype(np.int64)


def _payments(
    supplier_id: np.ndarray, pence: np.ndarray, date: pd.DatetimeIndex, is_card: bool = False
) -> pd.DataFrame:
    """The columns every drawn payment starts with."""
    return pd.DataFrame(
        {"supplier_id": supplier_id, "pence": pence, "date": date, "is_card": is_card}
    )


def _payee_names(supplier_id: pd.Series, sup: pd.DataFrame) -> np.ndarray:
    """The vendor name of each payment; the redacted payee's where there is no id."""
    names = sup.set_index("supplier_id")["name"].reindex(supplier_id)
    return names.fillna(REDACTED).to_numpy()


def _payees(sup: pd.DataFrame, rng: np.random.Generator) -> Payees:
    """Everyone but the redacted payee, weighted so companies and local suppliers are
    paid most often, with payment sizes that vary by payee and kind (public bodies
    large, sole traders small)."""
    payees = sup[sup["kind"] != "redacted"].reset_index(drop=True)
    kind_w = (
        payees["kind"]
        .map({"company": 1.0, "charity": 0.55, "public": 0.6, "sole_trader": 0.35})
        .to_numpy()
    )
    band_w = payees["band"].map({"borough": 1.35, "neighbour": 0.6, "elsewhere": 1.0}).to_numpy()
    weight = kind_w * band_w * rng.lognormal(0, 0.9, len(payees))
    mu = (
        np.log(1300)
        + 0.5 * rng.normal(size=len(payees))
        + payees["kind"]
        .map({"company": 0.0, "charity": 0.1, "public": 0.6, "sole_trader": -0.5})
        .to_numpy()
    )
    return Payees(payees, weight / weight.sum(), mu)


def _monthly_payments(payees: Payees, rng: np.random.Generator) -> list[pd.DataFrame]:
    """Each month's payments of £500 or more (the publication threshold), following the
    year's seasonal rhythm; 4 % go to redacted individuals."""
    frames = []
    for m, month in enumerate(MONTHS):
        n = round(ROWS_PER_MONTH * SEASON[m])
        n_red = round(0.04 * n)
        who = rng.choice(len(payees.table), size=n - n_red, p=payees.weight)
        amount = _trunc_lognormal(rng, payees.mu[who], 1.0, 500)
        red_amount = _trunc_lognormal(rng, np.full(n_red, np.log(700)), 0.6, 500)
        ids = np.concatenate([payees.table["supplier_id"].to_numpy()[who], np.full(n_red, "")])
        pence = _pence(np.concatenate([amount, red_amount]))
        frames.append(_payments(ids, pence, _weekdays(rng, month, n)))
    return frames


def _contract_payments(payees: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Twenty large contract payments (£100k to £1.5m) to six big construction, waste
    and care companies: the few rows that dominate a real year's value."""
    big = payees[(payees["kind"] == "company") & payees["sector"].isin(["F", "E", "Q"])]
    big_ids = big.sample(6, random_state=rng)["supplier_id"].to_numpy()
    n_big = 20
    ids = rng.choice(big_ids, n_big)
    pence = _pence(np.exp(rng.uniform(np.log(100_000), np.log(1_500_000), n_big)))
    months = rng.integers(0, 12, n_big)
    return _payments(
        ids, pence, pd.DatetimeIndex([_weekdays(rng, MONTHS[k], 1)[0] for k in months])
    )


def _card_payments(payees: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Purchase-card spend: small payments to small trading suppliers, gross of VAT and
    with no £500 floor, spread evenly over the year."""
    pool = payees[
        payees["sector"].isin(["G", "I", "H", "C", "R"])
        & payees["sme"]
        & (payees["variant_of"] == "")
    ]
    n_card = 4 * CARD_ROWS_PER_QUARTER
    dates = pd.DatetimeIndex(
        np.sort(np.concatenate([_weekdays(rng, mo, n_card // 12).to_numpy() for mo in MONTHS]))
    )
    ids = rng.choice(pool["supplier_id"].to_numpy(), len(dates))
    pence = _pence(np.exp(rng.normal(np.log(60), 0.9, len(dates)))) + 100
    return _payments(ids, pence, dates, is_card=True)


def _with_the_cafe_in_june(tx: pd.DataFrame, sup: pd.DataFrame) -> pd.Series:
    """Supplier ids with two June payments moved to the Café, whose "é" the
    Windows-1252 June file must carry."""
    cafe = sup.loc[sup["name"] == CAFE, "supplier_id"].iloc[0]
    june = np.flatnonzero((tx["date"].dt.month == 6) & ~tx["is_card"] & (tx["supplier_id"] != ""))
    ids = tx["supplier_id"].copy()
    ids.iloc[june[:2]] = cafe
    return ids


def _with_credit_notes(tx: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """Pence with three ordinary payments a month turned into credit notes (negative),
    as refunds and corrections appear in real files."""
    eligible = tx[~tx["is_card"] & (tx["supplier_id"] != "") & (tx["pence"] < 5_000_000)]
    credits = eligible.groupby("period", sort=True).sample(3, random_state=rng).index
    pence = tx["pence"].copy()
    pence.loc[credits] = -pence.loc[credits]
    return pence


def _social_care(n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Categories of payments to redacted individuals: adults' direct payments and
    personal budgets (about 60 %) or foster care."""
    directorate = np.where(
        rng.random(n) < 0.6, "Adults, Health and Wellbeing", "Children's Services"
    )
    children = directorate == "Children's Services"
    service = np.where(children, "Children's Social Care", "Adult Social Care")
    adults = rng.choice(["Direct Payments", "Personal Budgets"], n)
    return directorate, service, np.where(children, "Foster Care Payments", adults)


def _categorise(tx: pd.DataFrame, sup: pd.DataFrame, rng: np.random.Generator) -> None:
    """Directorate, service area and expense type (added in place) from the payee's
    sector, so the spend's categories agree with who is paid; public bodies are paid
    under their own expense type."""
    sector = sup.set_index("supplier_id")["sector"].reindex(tx["supplier_id"]).fillna("")
    for column in CATEGORIES:
        tx[column] = ""
    for s, idx in pd.Series(range(len(tx))).groupby(sector.to_numpy()).indices.items():
        if s == "":
            values = _social_care(len(idx), rng)
        else:
            directorate, service, expenses, _, _ = SECTORS[s]
            values = (directorate, service, rng.choice(list(expenses), len(idx)))
        for column, value in zip(CATEGORIES, values, strict=True):
            tx.loc[idx, column] = value
    public = tx["supplier_name"].map(PUBLIC_EXPENSE)
    tx.loc[public.notna(), "expense_type"] = public.dropna().to_numpy()


def _in_payment_order(tx: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Payments by date (same-day ones in random order) with the card rows last,
    numbered like a ledger; card rows carry no transaction number."""
    tx = tx.assign(shuffle=rng.permutation(len(tx)))
    tx = tx.sort_values(["is_card", "date", "shuffle"], kind="stable").drop(columns="shuffle")
    tx["transaction_id"] = [f"{4_100_001 + k}" for k in range(len(tx))]
    tx.loc[tx["is_card"], "transaction_id"] = ""
    return tx.reset_index(drop=True)


# --------------------------------------------------------------------------- spend files


@dataclass(frozen=True)
class Mess:
    """How one monthly file departs from a clean LGTC CSV (``notes`` is how
    expected.json words it): each is a mess real councils' files have."""

    notes: tuple[str, ...] = ()
    encoding: str = "utf-8"
    newline: str = "\n"
    amount_header: str = "Net Amount"
    date_format: str = "%d/%m/%Y"
    amount_style: str = "plain"
    spacer_columns: bool = False
    preamble: tuple[str, ...] = ()
    repeated_header_and_total: bool = False
    starts_with_last_april_row: bool = False


#: The deliberate mess of each monthly file; months not listed are clean.
MESSES: dict[str, Mess] = {
    "2024-05": Mess(
        notes=("first data row duplicates the last April transaction (overlapping files)",),
        starts_with_last_april_row=True,
    ),
    "2024-06": Mess(
        notes=(
            "Windows-1252 encoding (£ in header, é in a supplier name)",
            "header 'Net Amount (£)'",
            "CRLF line endings",
        ),
        encoding="cp1252",
        newline="\r\n",
        amount_header="Net Amount (£)",
    ),
    "2024-07": Mess(
        notes=("two-line preamble before the header",),
        preamble=(f"{COUNCIL} - Expenditure over £500\n", "Period: July 2024\n"),
    ),
    "2024-08": Mess(
        notes=("header line repeated mid-file", "trailing 'Total' line"),
        repeated_header_and_total=True,
    ),
    "2024-09": Mess(notes=("two-digit-year dates dd/mm/yy",), date_format="%d/%m/%y"),
    "2024-10": Mess(
        notes=(
            'amounts with thousands separators in quotes ("1,234.50") and '
            'bracket negatives ("(1,234.50)")',
        ),
        amount_style="thousands",
    ),
    "2024-11": Mess(
        notes=("blank spacer columns (empty header cells) at positions 2, 6 and 9",),
        spacer_columns=True,
    ),
}
#: Where the spacer columns go (inserted in this order) in the November file.
SPACERS = {1: "spacer_a", 5: "spacer_b", 8: "spacer_c"}
CARD_NOTE = (
    "purchase-card layout (Merchant Name, Transaction Date, Amount (inc VAT)); "
    "no supplier IDs or transaction numbers; amounts below £500"
)


@dataclass(frozen=True)
class SpendFile:
    """One spend file as written and the rows it holds: its facts for expected.json come
    from those rows and lines, never from reading the file back."""

    name: str
    rows: pd.DataFrame
    lines: list[str]
    non_data: list[tuple[int, str]]  # (1-based line number, kind) of every non-data line
    notes: tuple[str, ...]
    encoding: str = "utf-8"
    newline: str = "\n"

    @property
    def text(self) -> str:
        """The file's text with its own line endings."""
        return "".join(self.lines).replace("\n", self.newline)

    def facts(self) -> dict:
        """The file's entry in expected.json."""
        rows = self.rows
        return {
            "encoding": self.encoding,
            "newline": self.newline,
            "lines": len(self.lines),
            "header_line": next(line for line, kind in self.non_data if kind == "header"),
            "data_rows": len(rows),
            "non_data_lines": [{"line": line, "kind": kind} for line, kind in self.non_data],
            "amount_total": round(int(rows["pence"].sum()) / 100, 2),
            "credit_rows": int((rows["pence"] < 0).sum()),
            "redacted_rows": int((rows["supplier_name"] == REDACTED).sum()),
            "card_rows": int(rows["is_card"].sum()),
            "first_date": rows["date"].min().strftime("%Y-%m-%d"),
            "last_date": rows["date"].max().strftime("%Y-%m-%d"),
            "messes": list(self.notes),
        }


def mess_of(month: pd.Period) -> Mess:
    """The deliberate mess of ``month``'s file (none for a clean month)."""
    return MESSES.get(month.strftime("%Y-%m"), Mess())


def spend_file(rows: pd.DataFrame, month: pd.Period) -> SpendFile:
    """One monthly LGTC file with its month's deliberate mess (see :data:`MESSES`)."""
    mess = mess_of(month)
    data = _spend_columns(rows, mess)
    if mess.spacer_columns:  # pandas cannot write empty header cells
        head = ",".join("" if c.startswith("spacer_") else c for c in data.columns) + "\n"
    else:
        head = _to_csv(data.iloc[:0])
    body = _to_csv(data, header=False).splitlines(keepends=True)
    lines, non_data = _file_lines(head, body, _total_line(rows), mess)
    return SpendFile(
        name=f"spend/demo-spend-{month.strftime('%Y-%m')}.csv",
        rows=rows,
        lines=lines,
        non_data=non_data,
        notes=mess.notes,
        encoding=mess.encoding,
        newline=mess.newline,
    )


def _spend_columns(rows: pd.DataFrame, mess: Mess) -> pd.DataFrame:
    """The rows in the LGTC layout, with the month's date, amount and header quirks."""
    data = pd.DataFrame(
        {
            "Body Name": COUNCIL,
            "Directorate": rows["directorate"].to_numpy(),
            "Service Area": rows["service_area"].to_numpy(),
            "Expense Type": rows["expense_type"].to_numpy(),
            "Payment Date": rows["date"].dt.strftime(mess.date_format).to_numpy(),
            "Transaction Number": rows["transaction_id"].to_numpy(),
            "Net Amount": _pounds(rows["pence"], mess.amount_style).to_numpy(),
            "Supplier Name": rows["supplier_name"].to_numpy(),
            "Supplier ID": rows["supplier_id"].to_numpy(),
        }
    )
    data.columns = [mess.amount_header if c == "Net Amount" else c for c in LAYOUT]
    if mess.spacer_columns:
        for pos, col in sorted(SPACERS.items()):
            data.insert(pos, col, "")
    return data


def _total_line(rows: pd.DataFrame) -> str:
    """A "Total" line as councils append it: the label, then the sum under the amount."""
    cells = [""] * len(LAYOUT)
    cells[0], cells[6] = "Total", _pounds(pd.Series([int(rows["pence"].sum())]))[0]
    return ",".join(cells) + "\n"


def _file_lines(
    head: str, body: list[str], total: str, mess: Mess
) -> tuple[list[str], list[tuple[int, str]]]:
    """The file's lines in order (preamble, header, data; or the data split by a repeated
    header and followed by a total line), and where each non-data line is."""
    lines = list(mess.preamble)
    non_data = [(k + 1, "preamble") for k in range(len(lines))]
    lines.append(head)
    non_data.append((len(lines), "header"))
    if not mess.repeated_header_and_total:
        return lines + body, non_data
    half = len(body) // 2
    lines += [*body[:half], head]
    non_data.append((len(lines), "repeated_header"))
    lines += [*body[half:], total]
    non_data.append((len(lines), "total"))
    return lines, non_data


def card_file(rows: pd.DataFrame, quarter: int, sup: pd.DataFrame) -> SpendFile:
    """A quarterly purchase-card file in its own layout (no supplier IDs, gross amounts)."""
    category = (
        sup.set_index("supplier_id")["sector"]
        .reindex(rows["supplier_id"])
        .map(lambda s: SECTORS[s][4])
        .to_numpy()
    )
    data = pd.DataFrame(
        {
            "Directorate": rows["directorate"].to_numpy(),
            "Cost Centre": rows["directorate"].map(COST_CENTRES).to_numpy(),
            "Transaction Date": rows["date"].dt.strftime("%d/%m/%Y").to_numpy(),
            "Merchant Name": rows["supplier_name"].to_numpy(),
            "Merchant Category": category,
            "Purpose": rows["expense_type"].to_numpy(),
            "Amount (inc VAT)": _pounds(rows["pence"]).to_numpy(),
        }
    )
    return SpendFile(
        name=f"spend/demo-pcard-2024-25-q{quarter}.csv",
        rows=rows,
        lines=_to_csv(data).splitlines(keepends=True),
        non_data=[(1, "header")],
        notes=(CARD_NOTE,),
    )


# --------------------------------------------------------------------------- the borough


def build_population(imd25: pd.DataFrame, seed: int) -> pd.Series:
    """Residents per LSOA: more people in the denser, more deprived core."""
    rng = _rng(seed, 6)
    score = imd25["IMD_score"].rank(pct=True)
    residents = np.round(1650 + 180 * score + rng.normal(0, 280, len(imd25)))
    return pd.Series(np.clip(residents, 1200, 3000).astype(int))


def build_council_register(sup: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The council's own supplier register in its published layout, with the mess real
    registers have: some postcodes lower-case without the space, some company numbers
    blank."""
    reg = sup[sup["in_council_register"]].copy()
    rng = _rng(seed, 7)
    messy = rng.random(len(reg)) < 0.06
    postcode = reg["postcode"].where(
        ~messy, reg["postcode"].str.replace(" ", "", regex=False).str.lower()
    )
    reg.loc[rng.random(len(reg)) < 0.1, "company_number"] = ""
    yn = {True: "Y", False: "N"}
    return pd.DataFrame(
        {
            "supplier_id": reg["supplier_id"],
            "supplier_name": reg["name"],
            "postcode": postcode,
            "company_number": reg["company_number"],
            "sme": reg["sme"].map(yn),
            "vcse": reg["vcse"].map(yn),
        }
    )


def build_companies_register(sup: pd.DataFrame, postcodes: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The reference companies register: every vendor the council register misses and
    every numbered company, plus decoys that never appear in the spend (so a match must
    be earned, not guessed)."""
    base = sup[(sup["variant_of"] == "") & (sup["kind"] != "redacted")]
    in_ref = (base["company_number"] != "") | ~base["in_council_register"]
    companies = base.loc[in_ref, ["name", "company_number", "postcode"]]
    decoys = _decoy_companies(postcodes, _rng(seed, 8))
    decoys = decoys[~decoys["name"].isin(sup["name"])].drop_duplicates("name")
    companies = pd.concat([companies, decoys]).sort_values(["name", "company_number"])
    return companies.rename(columns={"name": "supplier_name"})[
        ["supplier_name", "company_number", "postcode"]
    ]


def _decoy_companies(postcodes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Forty companies with names like the suppliers' ("Keystone Holdings Ltd")."""
    names = [
        f"{w} {s} {f}"
        for w, s, f in zip(
            rng.choice(COMPANY_WORDS, 40),
            rng.choice(["Holdings", "Trading", "Group", "Services"], 40),
            rng.choice(["Ltd", "Limited"], 40),
            strict=True,
        )
    ]
    numbers = rng.choice(np.arange(900_000, 999_999), 40, replace=False)
    return pd.DataFrame(
        {
            "name": names,
            "company_number": [f"ZZ{n:06d}" for n in numbers],
            "postcode": rng.choice(postcodes["postcode"].to_numpy(), 40),
        }
    )


@dataclass(frozen=True)
class Borough:
    """Every table the demo's files are cut from, built once from the seed.

    Each part draws from its own generator (:func:`_rng`), so building everything first
    and writing afterwards changes nothing, and every writer is a plain function of
    these tables.
    """

    seed: int
    lsoas: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    lads: gpd.GeoDataFrame
    imd25: pd.DataFrame
    latent19: pd.DataFrame
    population: pd.Series
    postcodes: pd.DataFrame
    suppliers: pd.DataFrame
    council_register: pd.DataFrame
    companies_register: pd.DataFrame
    transactions: pd.DataFrame


def build_borough(seed: int) -> Borough:
    """The whole synthetic borough: places, deprivation, people, suppliers and spend."""
    lsoas = build_geography(seed)
    imd25, latent19 = build_deprivation(lsoas, seed)
    postcodes = build_postcodes(lsoas, seed)
    sup = build_suppliers(postcodes, seed)
    return Borough(
        seed=seed,
        lsoas=lsoas,
        wards=dissolve(lsoas, "ward24_code", "ward24_name"),
        lads=dissolve(lsoas, "ltla24_code", "ltla24_name"),
        imd25=imd25,
        latent19=latent19,
        population=build_population(imd25, seed),
        postcodes=postcodes,
        suppliers=sup,
        council_register=build_council_register(sup, seed),
        companies_register=build_companies_register(sup, postcodes, seed),
        transactions=build_transactions(sup, seed),
    )


# --------------------------------------------------------------------------- writer


def _readme(summary: dict) -> str:
    """The demo folder's README: what is synthetic and how, what is where, the numbers."""
    shares = ", ".join(f"{k} {v:.1%}" for k, v in summary["value_share_by_band"].items())
    n_lsoa_nb = summary["lsoas_total"] - summary["lsoas_borough"]
    n_ward_nb = summary["wards_total"] - summary["wards_borough"]
    return f"""# Demo Borough (synthetic): SYNTHETIC DEMO DATA

**Everything in this folder is synthetic.** It is generated by `impact demo`
from a fixed seed ({summary["seed"]}); regenerating gives
byte-identical files, and a test checks that these files are exactly the generator's.

No real council, place, person, company or charity is depicted. Names are invented and
any resemblance to real ones is coincidental. Postcodes use the unused `ZZ` postcode area
(`ZZ1` to `ZZ9`), company numbers the unused `ZZ` prefix, and area codes unused ranges:
`E09999999` (the borough), `E0799999x` (its neighbours), `E0599xxxx` (wards), `E0199xxxx`
(LSOAs), `E12999999` (region). The areas sit over real land (around {ORIGIN[1]}N,
{-ORIGIN[0]}W) only so the map has a plausible scale; no boundary follows a real one.

## What is here

- `spend/`: {summary["spend_files"]} Local Government Transparency Code CSV files for
  April 2024 to March 2025 from "{COUNCIL}" (12 monthly files, 4 quarterly
  purchase-card files): {summary["data_rows"]:,} data rows, £{summary["amount_total"]:,.2f}.
  Several files carry deliberate, realistic mess: Windows-1252, a preamble, a repeated
  header and a total line, dd/mm/yy dates, thousands separators and bracket negatives,
  blank spacer columns, a row duplicated across two overlapping files.
- `expected.json`: per spend file, the lines, data rows, non-data lines, £ total and the
  mess, computed by the generator from its own data (not read back from the files).
- `supplier_register.csv`: the council's own supplier register, about 80 % of vendor
  records (`supplier_id,supplier_name,postcode,company_number,sme,vcse`).
- `expected_suppliers.csv`: the answer key: every vendor record with its true postcode,
  LSOA, district and band (borough / neighbour / elsewhere / redacted).
- `reference/`: reference data in the public files' layouts, under different names,
  found by `impact.places.reference.Reference`: LSOA 2021, ward and LAD boundaries (GeoParquet,
  WGS84), lookups, population, postcodes, IoD 2025 scores, IoD 2019 File 1 and File 2, a
  LAD summary, and `suppliers/demo_companies_register.csv` (name, company number,
  postcode), which locates the vendors missing from the council register.

## Numbers

- Borough: {summary["lsoas_borough"]} LSOAs in {summary["wards_borough"]} wards.
  Three neighbouring districts: {n_lsoa_nb} LSOAs in {n_ward_nb} wards.
- {summary["vendor_records"]} vendor records: {summary["entities"]} distinct suppliers,
  plus name variants under second vendor numbers and the redacted payee.
- Share of spend value by supplier location: {shares}.
"""


def _manifest(out_dir: Path) -> list[str]:
    """Files a previous run of this generator wrote to ``out_dir`` (none if another
    tool's, or no, ``expected.json`` is there): the only files a new run may remove."""
    expected = out_dir / "expected.json"
    if not expected.is_file():
        return []
    try:
        data = json.loads(expected.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return []
    ours = data.get("generator") == GENERATOR
    return list(data.get("manifest", [])) if ours else []


@dataclass
class DemoFolder:
    """The output folder and every file written to it, which becomes the manifest that
    lets the next run remove outputs this one no longer writes."""

    root: Path
    written: list[str] = field(default_factory=list)

    @classmethod
    def cleared(cls, root: Path) -> DemoFolder:
        """``root`` with the files of the previous run's manifest removed (nothing else)."""
        root = Path(root)
        for rel in _manifest(root):
            (root / rel).unlink(missing_ok=True)
        return cls(root)

    def text(self, rel: str, text: str, encoding: str = "utf-8") -> None:
        _write_text(self.root / rel, text, encoding)
        self.written.append(rel)

    def table(self, rel: str, frame: pd.DataFrame, **kw: object) -> None:
        self.text(rel, _to_csv(frame, **kw))

    def parquet(self, rel: str, frame: gpd.GeoDataFrame) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(path, index=False, compression="zstd", write_covering_bbox=False)
        self.written.append(rel)

    def seal(self, expected: dict) -> None:
        """Write ``expected.json`` last, with the manifest of everything written."""
        self.written.append("expected.json")
        expected = {**expected, "manifest": sorted(self.written)}
        text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
        _write_text(self.root / "expected.json", text)


def write_geography(folder: DemoFolder, borough: Borough) -> None:
    """Boundaries, lookups, population and postcodes in the layouts of the ONS files
    they stand in for, so the demo loads through the same readers as real data."""
    geo = "reference/geography/"
    lsoas = borough.lsoas
    folder.parquet(
        geo + "lsoa_2021_demo.parquet", lsoas[["lsoa21_code", "lsoa21_name", "geometry"]]
    )
    folder.parquet(geo + "wards_2024_demo.parquet", borough.wards)
    folder.parquet(geo + "lad_2024_demo.parquet", borough.lads)
    lookup = lsoas[
        ["lsoa21_name", "lsoa21_code", "ward24_name", "ward24_code", "ltla24_name", "ltla24_code"]
    ]
    folder.table(geo + "lookup_lsoa21_ward24_lad24_demo.csv", pd.DataFrame(lookup))
    folder.table(geo + "lookup_lsoa11_lsoa21_demo.csv", _lsoa11_lookup(lsoas))
    folder.table(geo + "lookup_lad24_region24_demo.csv", _region_lookup())
    folder.table(
        geo + "population_lsoa21_demo.csv",
        pd.DataFrame({"lsoa21_code": lsoas["lsoa21_code"], "total_residents": borough.population}),
        quoting=csv.QUOTE_NONNUMERIC,
    )
    postcodes = borough.postcodes[["postcode", "lat", "long"]].sort_values("postcode")
    folder.table(geo + "postcodes_demo.csv", postcodes)


def _lsoa11_lookup(lsoas: gpd.GeoDataFrame) -> pd.DataFrame:
    """LSOA 2011 → 2021 best-fit lookup: the demo's areas did not change ("U")."""
    return pd.DataFrame(
        {
            "lsoa11_name": lsoas["lsoa21_name"],
            "lsoa11_code": lsoas["lsoa21_code"],
            "change_code": "U",
            "lsoa21_name": lsoas["lsoa21_name"],
            "lsoa21_code": lsoas["lsoa21_code"],
            "ltla22_name": lsoas["ltla24_name"],
            "ltla22_code": lsoas["ltla24_code"],
        }
    )


def _region_lookup() -> pd.DataFrame:
    """LAD → region lookup: the four demo districts all sit in the demo region."""
    return pd.DataFrame(
        {
            "ltla24_name": [n for _, n, _ in LADS],
            "ltla24_code": [c for c, _, _ in LADS],
            "region24_name": REGION[1],
            "region24_code": REGION[0],
        }
    )


def write_deprivation(folder: DemoFolder, borough: Borough) -> None:
    """IoD 2025 scores, IoD 2019 Files 1 and 2 (with the byte-order mark the published
    files carry) and the LAD summary, in the published layouts."""
    imd = "reference/imd/"
    file1, file2 = imd2019_files(borough.lsoas, borough.latent19)
    folder.table(imd + "imd2025_lsoa21_scores_demo.csv", borough.imd25)
    folder.text(imd + "imd2019_lsoa11_File_1_demo.csv", "\ufeff" + _to_csv(file1))
    folder.text(imd + "imd2019_lsoa11_File_2_demo.csv", "\ufeff" + _to_csv(file2))
    summary = lad_summary(borough.imd25, borough.lsoas, borough.population)
    folder.table(imd + "imd2025_lad_summary_demo.csv", summary)


def write_suppliers(folder: DemoFolder, borough: Borough) -> None:
    """The answer key, the council's own (incomplete, messy) register and the companies
    register that fills its gaps: together they let supplier location be scored."""
    folder.table("expected_suppliers.csv", expected_suppliers(borough))
    folder.table("supplier_register.csv", borough.council_register)
    folder.table("reference/suppliers/demo_companies_register.csv", borough.companies_register)


def expected_suppliers(borough: Borough) -> pd.DataFrame:
    """The answer key: every vendor record with its true postcode, LSOA, district and band."""
    sup = borough.suppliers
    lsoa_of = borough.postcodes.set_index("postcode")["lsoa21_code"]
    lad_of = borough.lsoas.set_index("lsoa21_code")["ltla24_code"]
    truth = sup.assign(lsoa21_code=lsoa_of.reindex(sup["postcode"]).fillna("").to_numpy())
    truth["ltla24_code"] = lad_of.reindex(truth["lsoa21_code"]).fillna("").to_numpy()
    return truth[list(ANSWER_KEY)].rename(columns={"name": "supplier_name"})


@dataclass(frozen=True)
class Spend:
    """The spend files written, and the April row the May file repeats."""

    files: list[SpendFile]
    duplicate: pd.DataFrame


def write_spend(folder: DemoFolder, borough: Borough) -> Spend:
    """Twelve monthly LGTC files, each with its month's mess, and four quarterly
    purchase-card files."""
    tx = borough.transactions
    duplicate = _last_april_row(tx)
    files = [*_monthly_files(tx, duplicate), *_card_files(tx, borough.suppliers)]
    for f in files:
        folder.text(f.name, f.text, f.encoding)
    return Spend(files, duplicate)


def _last_april_row(tx: pd.DataFrame) -> pd.DataFrame:
    """The last named April payment, which the May file repeats, as overlapping
    publications do."""
    april = tx[~tx["is_card"] & (tx["period"] == "2024-04")]
    return tx.loc[[april[(april["supplier_id"] != "") & (april["pence"] > 0)].index[-1]]]


def _monthly_files(tx: pd.DataFrame, duplicate: pd.DataFrame) -> list[SpendFile]:
    """One file per month of ordinary payments, as councils publish them."""
    monthly = tx[~tx["is_card"]]
    files = []
    for month in MONTHS:
        rows = monthly[monthly["period"] == month.strftime("%Y-%m")]
        if mess_of(month).starts_with_last_april_row:
            rows = pd.concat([duplicate, rows])
        files.append(spend_file(rows, month))
    return files


def _card_files(tx: pd.DataFrame, sup: pd.DataFrame) -> list[SpendFile]:
    """One purchase-card file per quarter: card spend is published quarterly."""
    card = tx[tx["is_card"]]
    files = []
    for q in range(4):
        quarter = [m.strftime("%Y-%m") for m in MONTHS[3 * q : 3 * q + 3]]
        files.append(card_file(card[card["period"].isin(quarter)], q + 1, sup))
    return files


def summarise(borough: Borough, spend: Spend) -> dict:
    """Counts and totals for the README, expected.json and the command line, from the
    generator's own tables (never read back from the files)."""
    lsoas, sup, tx = borough.lsoas, borough.suppliers, borough.transactions
    in_borough = lsoas["lad_index"] == 0
    total_pence = int(tx["pence"].sum()) + int(spend.duplicate["pence"].sum())
    return {
        "seed": borough.seed,
        "lsoas_total": len(lsoas),
        "lsoas_borough": int(in_borough.sum()),
        "wards_total": len(borough.wards),
        "wards_borough": int(lsoas.loc[in_borough, "ward24_code"].nunique()),
        "lads": len(borough.lads),
        "postcodes": len(borough.postcodes),
        "vendor_records": len(sup),
        "entities": int(sup.loc[sup["kind"] != "redacted", "entity_id"].nunique()),
        "council_register_rows": len(borough.council_register),
        "spend_files": len(spend.files),
        "data_rows": sum(len(f.rows) for f in spend.files),
        "unique_transactions": len(tx),
        "amount_total": round(total_pence / 100, 2),
        "unique_amount_total": round(int(tx["pence"].sum()) / 100, 2),
        "card_rows": int(tx["is_card"].sum()),
        "credit_rows": int((tx["pence"] < 0).sum()),
        "redacted_rows": int((tx["supplier_name"] == REDACTED).sum()),
        "value_share_by_band": _value_share_by_band(sup, tx),
    }


def _value_share_by_band(sup: pd.DataFrame, tx: pd.DataFrame) -> dict[str, float]:
    """Share of the year's spend value by where the supplier is (the demo's headline)."""
    band_of = sup.set_index("supplier_id")["band"]
    band = band_of.reindex(tx["supplier_id"]).fillna("redacted").to_numpy()
    value = tx.groupby(band)["pence"].sum()
    return {
        b: round(float(value.get(b, 0) / value.sum()), 4)
        for b in ("borough", "neighbour", "elsewhere", "redacted")
    }


def expected_json(borough: Borough, spend: Spend, summary: dict) -> dict:
    """What the tests check the demo against: the council, the summary, the duplicate
    row and every file's facts, as the generator knows them."""
    duplicate = spend.duplicate.iloc[0]
    return {
        "generator": GENERATOR,
        "note": "SYNTHETIC demo data; counts computed by the generator, not read back",
        "council": {
            "name": COUNCIL,
            "ltla24_code": LADS[0][0],
            "ltla24_name": LADS[0][1],
            "region24_code": REGION[0],
        },
        "summary": summary,
        "duplicates": [
            {
                "transaction_id": str(duplicate["transaction_id"]),
                "amount": round(int(duplicate["pence"]) / 100, 2),
                "supplier_name": str(duplicate["supplier_name"]),
                "files": ["spend/demo-spend-2024-04.csv", "spend/demo-spend-2024-05.csv"],
            }
        ],
        "files": dict(sorted((f.name, f.facts()) for f in spend.files)),
        "supplier_register": {
            "rows": len(borough.council_register),
            "messes": [
                "postcodes lower-case without the space in some rows",
                "company_number blank for some companies",
                "about 20 % of vendor records (incl. all name variants) absent; they "
                "resolve through reference/suppliers/demo_companies_register.csv",
            ],
        },
    }


def generate_demo(out_dir: Path, seed: int = 2024) -> dict:
    """Write the whole demo folder to ``out_dir`` and return a summary (counts, totals).

    Files listed in a previous run's manifest are removed first, so renamed outputs never
    linger; nothing else in ``out_dir`` is touched.
    """
    folder = DemoFolder.cleared(out_dir)
    borough = build_borough(seed)
    write_geography(folder, borough)
    write_deprivation(folder, borough)
    write_suppliers(folder, borough)
    spend = write_spend(folder, borough)
    summary = summarise(borough, spend)
    folder.text("README.md", _readme(summary))
    folder.seal(expected_json(borough, spend, summary))
    return summary
