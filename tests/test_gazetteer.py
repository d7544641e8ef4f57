"""The public-body gazetteer on a made-up reference folder: each matching rule, places,
proximity, and what it must leave alone."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from impact.ingest.names import normalise_name
from impact.places.gazetteer import (
    Body,
    Gazetteer,
    Geography,
    Match,
    Payer,
    assumed_local,
    initialisms,
    name_hint,
    name_key,
)
from impact.places.public_bodies import _areas_from_counts, _last_area_part, load_gazetteer
from tests._public_world import (
    ANYTOWN,
    BRIDGEFORD,
    LEAFIELD,
    LOWTOWN,
    MILLBRIDGE,
    NEWTOWN,
    write_public_world,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Gazetteer:
    return load_gazetteer(write_public_world(tmp_path_factory.mktemp("public")))


def _match(g: Gazetteer, raw: str, payer: Payer | None = None) -> Match:
    return g.match_one(normalise_name(raw), raw, payer)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("Anytown Borough Council", "exact"),
        ("Anytown BC", "core"),
        ("(DD ONLY) Anytown B.C.", "core"),  # payment note gone, letters joined
        ("ANYTOWN COUNCIL", "core"),
        ("Anytown Borough Council (Rates & C/Tax)", "prefix"),
    ],
)
def test_a_council_in_any_spelling_is_its_district(world: Gazetteer, raw: str, rule: str) -> None:
    m = _match(world, raw)
    assert (m.rule, m.body.body_class, m.body.place, m.body.lads) == (
        rule, "council", "area", (ANYTOWN,))


def test_areas_of_counties_combined_authorities_and_ended_councils(world: Gazetteer) -> None:
    assert _match(world, "Lakeshire County Council").body.lads == (ANYTOWN, BRIDGEFORD)
    ca = _match(world, "Northshire Combined Authority").body
    assert (ca.body_class, ca.lads) == ("combined_authority", (LOWTOWN, MILLBRIDGE))
    assert _match(world, "NCA").body is ca  # initials of the official name
    assert _match(world, "Old Borough Council").body.lads == (NEWTOWN,)  # its successor's


def test_government_is_national_in_every_form(world: Gazetteer) -> None:
    for raw, rule in [
        ("HM Revenue & Customs", "exact"),
        ("HMRC", "initialism"),
        ("HMRC - Anytown Office 475/AB", "prefix"),
        ("Department for Work & Pens...", "truncated"),  # cut short by the publisher
        ("Driver & Vehicle Lic Agency", "abbreviated"),
        ("Department for Widget Regulation", "exact"),  # ended, still national
        ("Department of Magic", "class"),  # any department, by what its name says
        ("Teachers' Pensions", "exact"),  # declared: a national scheme
    ]:
        m = _match(world, raw)
        assert (m.rule, m.body.place) == (rule, "national"), raw


def test_ambiguous_initials_are_decided_by_proximity_or_not_at_all(world: Gazetteer) -> None:
    anytown = world.payer("Anytown Borough Council")
    leafield = world.payer("Leafield City Council")
    near = _match(world, "LCC", anytown)  # Lakeshire holds Anytown
    assert (near.body.name, near.proximity) == ("Lakeshire County Council", True)
    assert _match(world, "LCC", leafield).body.name == "Leafield City Council"
    unsure = _match(world, "LCC")  # no paying council: never guessed
    assert unsure.body is None and unsure.body_class == "council"
    assert set(unsure.candidates) == {
        "Lakeshire County Council", "Lowtown City Council", "Leafield City Council"}


def test_neighbours_come_before_the_region() -> None:
    geo = Geography(
        lad_names={}, lad_regions={"A": "R", "B": "R", "C": "R"}, region_names={},
        neighbours={"A": frozenset({"B"})},
    )
    g = Gazetteer([
        Body(i, name, "council", "area", (lad,), initials_of=(name,))
        for i, name, lad in [("b", "Bee City Council", "B"), ("c", "Bay County Council", "C"),
                             ("a", "Anyplace Council", "A")]
    ], geo)
    m = g.match_one("BCC", "BCC", g.payer("Anyplace Council"))
    assert (m.body.body_id, m.proximity) == ("b", True)


def test_class_words_around_an_area(world: Gazetteer) -> None:
    police = _match(world, "P&CC Lakeshire").body
    assert (police.body_class, police.lads) == ("police", (ANYTOWN, BRIDGEFORD))
    fire = _match(world, "Lakeshire Fire and Rescue Authority").body
    assert (fire.body_class, fire.lads) == ("fire", (ANYTOWN, BRIDGEFORD))
    icb = _match(world, "NHS Lowtown and Millbridge ICB").body  # two areas named
    assert (icb.body_class, icb.lads) == ("nhs", (LOWTOWN, MILLBRIDGE))
    assert _match(world, "NHS Central Lowtown CCG").body.lads == (LOWTOWN,)  # compass word
    assert _match(world, "Lakeshire County Pension Fund").body.body_class == "pension_fund"
    superann = _match(world, "LAKESHIRE SUPERANN FUND").body  # finance systems abbreviate
    assert (superann.body_class, superann.lads) == ("pension_fund", (ANYTOWN, BRIDGEFORD))
    commissioner = _match(world, "Police and Crime Commissioner")  # no area: class alone
    assert commissioner.body is None and commissioner.body_class == "police"


def test_nhs_trusts_at_their_site(world: Gazetteer) -> None:
    for raw in ("Anytown Hospitals NHS FT", "ANYTOWNHOSPITALS TRUST",
                "Anytown Hospitals NHS Foundati"):
        body = _match(world, raw).body
        assert (body.place, body.postcode) == ("site", "HX1 1AA"), raw


def test_look_alikes_are_left_alone(world: Gazetteer) -> None:
    for raw in (
        "Anytown Town Council",  # a parish council, not the borough
        "NCA Group Ltd",  # a company's initials
        "Anytown Plumbing",  # a place name is no body
        "Sunny Transport Ltd",
        "St Mary's PCC",  # a parochial church council
        "Northshire Autism Society",  # starts with an area's name, not a body's
        "Lakeshire County Supplies",
        "Anytown Borough Council Services Ltd",  # a company, whatever it starts with
        "LCC Group",  # council initials start no name: only a national body's do
    ):
        m = _match(world, raw)
        assert m.body is None and not m.candidates, raw
    assert _match(world, "Sunny Transport").body_class == ""


def test_keys_and_initials() -> None:
    assert name_key("BLACKBURN WITH DARWEN B C") == "BLACKBURN WITH DARWEN BC"
    # plurals are made singular on both sides ("Hospitals" meets "Hospital"), names too
    assert name_key("LEEDS AND YORK PARTNERSHIP NHS FT") == (
        "LEED YORK PARTNERSHIP NHS FOUNDATION TRUST")
    assert name_key("P AND CC WEST YORKSHIRE") == "PCC WEST YORKSHIRE"
    assert initialisms("HM Revenue & Customs") == {"HMRC"}
    assert initialisms("Department for Education") == {"DFE"}  # DE is too short
    assert initialisms("City of Anytown Metropolitan District Council") == {"CAMDC", "COAMDC"}


def test_name_hints(world: Gazetteer) -> None:
    assert name_hint(world, "WIDGETS ANYTOWN", "Widgets (Anytown) Ltd")[0] == (ANYTOWN,)
    assert name_hint(world, "SOLUTIONS FOR LOWTOWN", "Solutions for Lowtown")[0] == (LOWTOWN,)
    assert name_hint(world, "LEAFIELD COLLEGE", "Leafield College")[0] == (LEAFIELD,)
    assert name_hint(world, "WIDGETS UK", "Widgets (UK) Ltd") is None
    assert name_hint(world, "ACME", "Acme") is None


def test_assumed_local_is_parishes_and_schools_only() -> None:
    names = pd.Series(["ANYTOWN TOWN COUNCIL", "OAK PRIMARY SCHOOL", "OAKWOOD LEARNING TRUST",
                       "LEAFIELD COLLEGE", "UNIVERSITY OF ANYTOWN", "ANYTOWN BOROUGH COUNCIL"])
    types = pd.Series(["council", "school_academy", "school_academy", "school_academy",
                       "university", "council"])
    assert assumed_local(names, types).tolist() == [True, True, True, False, False, False]


def test_postal_areas_from_addresses() -> None:
    assert _last_area_part("1 Road, Anytown, Tyne & Wear, United Kingdom, NE1 1AA") == (
        "Tyne & Wear")
    found = pd.DataFrame({
        "area": ["Tyne & Wear"] * 30 + ["Tyne and Wear"] * 10 + ["Rare County"] * 5,
        "lad": ["L1"] * 20 + ["L2"] * 19 + ["L3"] + ["L9"] * 5,
    })
    areas = _areas_from_counts(found)
    # both spellings are one key; L3 has one address only; Rare County has too few
    assert areas == {"TYNE WEAR": (("L1", "L2"), "Tyne & Wear")}


def test_no_reference_folder_still_knows_national_bodies(tmp_path: Path) -> None:
    g = load_gazetteer(None)
    assert g.match_one("HMRC", "HMRC").body is None  # the register is not there
    assert g.match_one("TEACHERS PENSIONS", "").body.place == "national"


def test_the_disk_cache_round_trip_matches_alike(world: Gazetteer) -> None:
    import json

    again = Gazetteer.from_state(json.loads(json.dumps(world.state())))
    anytown = world.payer("Anytown Borough Council")
    for raw in ("Anytown BC", "LCC", "HMRC - Anytown Office", "P&CC Lakeshire",
                "Driver & Vehicle Lic Agency", "Anytown Hospitals NHS Foundati"):
        a, b = _match(world, raw, anytown), _match(again, raw, again.payer("Anytown BC"))
        assert (a.rule, a.body, a.proximity) == (b.rule, b.body, b.proximity), raw


def test_finance_system_short_forms_and_service_areas() -> None:
    """Issue 24: LB / L B / RB / CNCL, possessives, a police force area wider than the
    council of its name, and a compass word that qualifies an area rather than naming one."""
    g = Gazetteer([
        Body("swk", "London Borough of Southwark", "council", "area", ("S",)),
        Body("rbk", "Royal Borough of Kingston upon Thames", "council", "area", ("K",)),
        Body("kent", "Kent County Council", "council", "area", ("KE",)),
        Body("med", "Medway Council", "council", "area", ("ME",)),
        Body("ne", "North East Combined Authority", "combined_authority", "area", ("NE",)),
        Body("gst", "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "nhs", "site",
             postcode="SE1 9RT"),
    ])
    g.add_areas({"LONDON": (("S", "K"), "London")})
    g.add_areas({"KENT": (("KE", "ME"), "Kent")}, "police")
    for raw in ("L B SOUTHWARK", "LB of Southwark", "L.B. Southwark", "Southwark Cncl",
                "LONDON BOROUGH OF SOUTHWARK"):
        assert _match(g, raw).body.body_id == "swk", raw
    assert _match(g, "RB Kingston upon Thames").body.body_id == "rbk"
    assert _match(g, "Guys & St Thomas NHS FT").body.body_id == "gst"
    assert _match(g, "Kent Police").body.lads == ("KE", "ME")  # the force area
    assert _match(g, "Kent Fire & Rescue Service").body.lads == ("KE",)  # no fire area given
    icb = _match(g, "NHS North East London ICB")  # part of London, not the North East
    assert icb.body is None or "NE" not in icb.body.lads
    again = Gazetteer.from_state(json.loads(json.dumps(g.state())))
    assert _match(again, "Kent Police").body.lads == ("KE", "ME")
    assert _match(g, "L B Electrical Services").body is None  # LB alone names no council
