"""A made-up reference folder for the public-body gazetteer, in the official layouts.

Two regions.  In the first, Lakeshire County Council holds Anytown and Bridgeford districts;
Lowtown and Millbridge form the Northshire Combined Authority.  In the second, Leafield City
Council, and Old Borough Council, which ended and was replaced by New Council.  "LCC" could
be Lakeshire County, Lowtown City or Leafield City Council.  Every name is invented.
"""

from __future__ import annotations

from pathlib import Path

from impact.places.reference import Reference

R1, R2 = "E12000091", "E12000092"
ANYTOWN, BRIDGEFORD, LOWTOWN, MILLBRIDGE = "E07000901", "E07000902", "E08000901", "E08000902"
LEAFIELD, NEWTOWN = "E06000901", "E06000902"

_LA_HEADER = (
    "local-authority-code,official-name,nice-name,gss-code,start-date,end-date,replaced-by,"
    "nation,region,local-authority-type,local-authority-type-name,county-la,"
    "combined-authority,alt-names\n"
)
_LAS = [
    ("LKS", "Lakeshire County Council", "Lakeshire", "E10000901", "", "", "CTY", "", ""),
    ("ANY", "Anytown Borough Council", "Anytown", ANYTOWN, "", "", "NMD", "LKS", ""),
    ("BRF", "Bridgeford District Council", "Bridgeford", BRIDGEFORD, "", "", "NMD", "LKS", ""),
    ("LOW", "Lowtown City Council", "Lowtown", LOWTOWN, "", "", "MD", "", "NCA"),
    ("MIL", "Millbridge Council", "Millbridge", MILLBRIDGE, "", "", "MD", "", "NCA"),
    ("NCA", "Northshire Combined Authority", "Northshire", "E47000901", "", "", "COMB", "", ""),
    ("LEF", "Leafield City Council", "Leafield", LEAFIELD, "", "", "UA", "", ""),
    ("OLD", "Old Borough Council", "Oldbury", "E07000903", "2020-03-31", "NEW", "NMD", "", ""),
    ("NEW", "New Council", "Newtown", NEWTOWN, "", "", "UA", "", ""),
]
_LADS = [
    (ANYTOWN, "Anytown", R1), (BRIDGEFORD, "Bridgeford", R1), (LOWTOWN, "Lowtown", R1),
    (MILLBRIDGE, "Millbridge", R1), (LEAFIELD, "Leafield", R2), (NEWTOWN, "Newtown", R2),
]


def write_public_world(root: Path) -> Reference:
    """Write the made-up reference folder under ``root`` and return it."""
    org, geo, sup = root / "organisations", root / "geography", root / "suppliers"
    for d in (org, geo, sup):
        d.mkdir(parents=True, exist_ok=True)
    rows = [
        f'{c},{o},{n},{g},,{end},{rep},England,,{t},,{county},{ca},"{n},{n.lower()}"'
        for c, o, n, g, end, rep, t, county, ca in _LAS
    ]
    (org / "uk_local_authorities_future.csv").write_text(
        _LA_HEADER + "\n".join(rows) + "\n", encoding="utf-8"
    )
    (org / "govuk_register_government-organisation.csv").write_text(
        "index-entry-number,entry-number,entry-timestamp,key,government-organisation,name,"
        "website,start-date,end-date\n"
        "1,1,2020-01-01T00:00:00Z,D25,D25,HM Revenue & Customs,,,\n"
        "2,2,2020-01-01T00:00:00Z,D10,D10,Department for Work and Pensions,,,\n"
        "3,3,2020-01-01T00:00:00Z,EA74,EA74,Driver and Vehicle Licensing Agency,,,\n"
        "4,4,2020-01-01T00:00:00Z,D99,D99,Department for Widget Regulation,,,2015-01-01\n",
        encoding="utf-8",
    )
    (org / "academy-trusts-company-number.csv").write_text(
        "Type,Entity,Company Number,OSCAR CPID\nAcademy Trust,Oakwood Learning Trust,01234567,X\n",
        encoding="utf-8",
    )
    (sup / "nhs_trusts_ods_etr.csv").write_text(
        "org_code,name,national_grouping,high_level_health_geography,address_line_1,"
        "address_line_2,address_line_3,address_line_4,address_line_5,postcode,open_date,"
        "close_date\nRZZ,ANYTOWN HOSPITALS NHS FOUNDATION TRUST,Y1,Q1,1 ROAD,,,ANYTOWN,,"
        "HX1 1AA,20000101,\n",
        encoding="utf-8",
    )
    lookup = "\n".join(
        f"{name} 001A,{code[:3]}01{i:05d},Ward {i},{code[:3]}05{i:05d},{name},{code}"
        for i, (code, name, _) in enumerate(_LADS)
    )
    (geo / "lookup_lsoa21_ward24_lad24.csv").write_text(
        "lsoa21_name,lsoa21_code,ward24_name,ward24_code,ltla24_name,ltla24_code\n"
        + lookup + "\n", encoding="utf-8"
    )
    regions = "\n".join(f"{name},{code},Region {reg[-1]},{reg}" for code, name, reg in _LADS)
    (geo / "lookup_lad24_region24.csv").write_text(
        "ltla24_name,ltla24_code,region24_name,region24_code\n" + regions + "\n",
        encoding="utf-8",
    )
    return Reference(root)
