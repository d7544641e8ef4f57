"""Public bodies as finance systems spell them (issue 24), located with the shared reference
tables: each is the body it names, placed at its area or site, and never a person.

A regional body's files abbreviate the bodies it pays everywhere ("L B SOUTHWARK",
"LB HOUNSLOW", "Surrey PCC", "Guys & St Thomas NHS FT"): read as "an initial and a
surname" they fell out of the officer's work queue.  Each spelling here is run through
:func:`impact.places.locate.locate` as a payee of a London-wide body, with a large sum
(no redaction word), and must come out a public body of its class whose place holds the
district named.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.ingest.names import normalise_names
from impact.ingest.schema import conform
from impact.places.locate import locate
from impact.places.reference import Reference, resolve_reference
from tests._shared import require, shared_data_dir

pytestmark = pytest.mark.shared

SOUTHWARK, HOUNSLOW, NEWHAM, CAMDEN, ENFIELD = (
    "E09000028", "E09000018", "E09000025", "E09000007", "E09000010")
LAMBETH, HACKNEY, BARKING, KINGSTON, KENSINGTON = (
    "E09000022", "E09000012", "E09000002", "E09000021", "E09000020")
GREENWICH, TOWER_HAMLETS, WESTMINSTER, CITY, LEWISHAM = (
    "E09000011", "E09000030", "E09000033", "E09000001", "E09000023")
WIGAN, BOLTON, KIRKLEES, BRADFORD, CALDERDALE, LEEDS, MANCHESTER, BIRMINGHAM = (
    "E08000010", "E08000001", "E08000034", "E08000032", "E08000033", "E08000035",
    "E08000003", "E08000025")
NEWCASTLE, SUNDERLAND = "E08000021", "E08000024"
HYNDBURN, BURNLEY, RIBBLE_VALLEY, PRESTON, BLACKPOOL = (
    "E07000120", "E07000117", "E07000124", "E07000123", "E06000009")
WEALDEN, TANDRIDGE, GUILDFORD, MAIDSTONE, CHELMSFORD = (
    "E07000065", "E07000215", "E07000209", "E07000110", "E07000070")
READING, MEDWAY, HEREFORDSHIRE, WINDSOR = "E06000038", "E06000035", "E06000019", "E06000040"

#: (payee as published, class, a district its place must hold)
SPELLINGS: list[tuple[str, str, str]] = [
    # London boroughs as finance systems write them
    ("L B SOUTHWARK", "council", SOUTHWARK),
    ("LB HOUNSLOW", "council", HOUNSLOW),
    ("LB NEWHAM", "council", NEWHAM),
    ("LB CAMDEN", "council", CAMDEN),
    ("LONDON BOROUGH OF ENFIELD", "council", ENFIELD),
    ("L.B. Lambeth", "council", LAMBETH),
    ("LB of Hackney", "council", HACKNEY),
    ("London Borough of Barking & Dagenham", "council", BARKING),
    ("RB KINGSTON", "council", KINGSTON),
    ("RB Kensington & Chelsea", "council", KENSINGTON),
    ("R B GREENWICH", "council", GREENWICH),
    ("RBKC", "council", KENSINGTON),
    ("Tower Hamlets LBC", "council", TOWER_HAMLETS),
    ("SOUTHWARK CNCL", "council", SOUTHWARK),
    ("LEWISHAM CNCL", "council", LEWISHAM),
    ("CAMDEN COUNCIL", "council", CAMDEN),
    ("WESTMINSTER CC", "council", WESTMINSTER),
    ("City of London Corporation", "council", CITY),
    ("ROYAL BOROUGH OF WINDSOR & MAIDENHEAD", "council", WINDSOR),
    # metropolitan, borough, district, county and city councils
    ("Wigan MBC", "council", WIGAN),
    ("Bolton M.B.C.", "council", BOLTON),
    ("Kirklees MDC", "council", KIRKLEES),
    ("Bradford MDC", "council", BRADFORD),
    ("Calderdale MBC", "council", CALDERDALE),
    ("Hyndburn BC", "council", HYNDBURN),
    ("Burnley B.C.", "council", BURNLEY),
    ("Ribble Valley BC", "council", RIBBLE_VALLEY),
    ("Wealden DC", "council", WEALDEN),
    ("Tandridge D.C.", "council", TANDRIDGE),
    ("Kent CC", "council", MAIDSTONE),
    ("Essex C.C.", "council", CHELMSFORD),
    ("Lancashire CC", "council", PRESTON),
    ("Leeds CC", "council", LEEDS),
    ("Surrey County Cncl", "council", GUILDFORD),
    ("BIRMINGHAM CITY CNCL", "council", BIRMINGHAM),
    ("MANCHESTER CITY COUNCIL", "council", MANCHESTER),
    # police: commissioners, forces, the Mayor's office
    ("Surrey PCC", "police", GUILDFORD),
    ("PCC for Surrey", "police", GUILDFORD),
    ("Office of the PCC for Thames Valley", "police", READING),
    ("OPCC THAMES VALLEY", "police", READING),
    ("Metropolitan Police", "police", SOUTHWARK),
    ("MOPAC", "police", HACKNEY),
    ("Mayors Office for Policing and Crime", "police", CAMDEN),
    ("Lancashire Constabulary", "police", BLACKPOOL),  # the force area, not the county's
    ("P&CC West Yorkshire", "police", LEEDS),
    ("Northumbria Police", "police", NEWCASTLE),
    ("West Mercia Police", "police", HEREFORDSHIRE),
    # fire
    ("London Fire Brigade", "fire", CAMDEN),
    ("LFEPA", "fire", NEWHAM),
    ("Kent Fire & Rescue Service", "fire", MEDWAY),
    ("Tyne & Wear Fire and Rescue Service", "fire", SUNDERLAND),
    ("Hereford & Worcester Fire & Rescue Service", "fire", HEREFORDSHIRE),
    # combined and regional authorities
    ("Greater London Authority", "combined_authority", HACKNEY),
    ("GLA", "combined_authority", SOUTHWARK),
    ("TfL", "combined_authority", CAMDEN),
    ("West Yorkshire Combined Authority", "combined_authority", LEEDS),
    ("WYCA", "combined_authority", CALDERDALE),
    ("GMCA", "combined_authority", MANCHESTER),
    # NHS trusts at their headquarters
    ("Guys & St Thomas NHS FT", "nhs", SOUTHWARK),
    ("Kings College Hospital NHS FT", "nhs", LAMBETH),  # Denmark Hill: SE5 9RS
    ("South London & Maudsley NHS FT", "nhs", ""),
    ("Barts Health NHS Trust", "nhs", ""),
    ("Leeds Teaching Hospitals NHS Trust", "nhs", LEEDS),
]


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    require("organisations")
    reference: Reference = resolve_reference(shared_data_dir())
    folder = tmp_path_factory.mktemp("regional")
    names = [raw for raw, _, _ in SPELLINGS]
    tx = pd.DataFrame({
        "supplier_name": names,
        "amount": [1_500_000.0 + i for i in range(len(names))],  # large sums, no redaction
        "council": "Greater London Authority",
        "date": pd.Timestamp("2024-05-01"),
        "source_row": range(2, len(names) + 2),
    })
    tx["supplier_name_norm"] = normalise_names(tx["supplier_name"])
    conform(tx).to_parquet(folder / "transactions.parquet", index=False)
    res = locate(Path(folder), [], reference, fuzzy=False)
    return res.suppliers.set_index("supplier_name")


def test_at_least_forty_spellings_are_covered() -> None:
    assert len(SPELLINGS) >= 40
    assert len({raw for raw, _, _ in SPELLINGS}) == len(SPELLINGS)


@pytest.mark.parametrize(("raw", "body_class", "district"), SPELLINGS)
def test_each_spelling_is_its_body_placed_at_its_area(
    located: pd.DataFrame, raw: str, body_class: str, district: str
) -> None:
    row = located.loc[raw]
    assert row["supplier_class"] == "public_body", (raw, row["class_reason"])
    assert row["public_body_type"] == body_class, (raw, row["class_reason"])
    assert row["place_basis"] == "public_body" and bool(row["is_located"]), raw
    if district:
        lads = str(row["area_lad_codes"]) if pd.notna(row["area_lad_codes"]) else ""
        assert district in lads.split(";") or row["lad_code"] == district, (
            raw, row["matched_name"], lads[:80], row["lad_code"])


def test_no_spelling_is_taken_for_a_person(located: pd.DataFrame) -> None:
    people = located[located["supplier_class"] == "individual_redacted"]
    assert people.empty, people["class_reason"].to_dict()
