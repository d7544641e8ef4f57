"""The official bulk registers: built from files in their published layouts (generated here,
fictional rows), then used by ``locate`` by number, exact name and Splink."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from impact.places import bulk, bulk_lookup
from impact.places.locate import locate
from impact.places.reference import Reference
from impact.places.registers import RegisterRow
from impact.synthetic import registers as synth
from tests.test_locate import fake_geocoder, write_tx


def _companies() -> pd.DataFrame:
    return pd.DataFrame({
        "CompanyName": ["PENNINE ROOFING LIMITED", "ORCHARD CARE LTD", "GREENWAY CLEANING LIMITED",
                        "TWIN NAME LIMITED", "TWIN NAME LTD", "", "NO NUMBER LTD"],
        "CompanyNumber": ["01234567", "SC123456", "07654321", "00000011", "00000012", "00000013",
                          ""],
        "RegAddress.PostCode": ["hx11aa", "LS1 1AA", "M1 1AA", "HX1 1AA", "LS1 1AA", "M1 1AA",
                                "M1 1AA"],
        "CompanyStatus": ["Active", "In Administration", "Active", "Active", "Active", "Active",
                          "Active"],
        "IncorporationDate": ["01/02/2003", "", "31/12/2019", "", "", "", ""],
        "SICCode.SicText_1": ["43910 - Roofing activities", "87300 - Residential care", "", "",
                              "", "", ""],
        "SICCode.SicText_2": ["41201 - Construction of commercial buildings", "", "", "", "",
                              "", ""],
        "PreviousName_1.CompanyName": ["", "", "BRIGHT CLEANERS LIMITED", "", "", "", ""],
    })


def _charities() -> pd.DataFrame:
    return pd.DataFrame({
        "registered_charity_number": ["1100001", "1100001", "202918", "abc"],
        "linked_charity_number": ["0", "1", "0", "0"],
        "charity_name": ["Kestrel Outdoor Adventures", "Kestrel Trading", "Moorside Youth Trust",
                         "Broken Row"],
        "charity_registration_status": ["Registered", "Registered", "Removed", "Registered"],
        "date_of_registration": ["2001-02-03 00:00:00", "", "1990-01-01 00:00:00", ""],
        "date_of_removal": ["", "", "2020-05-05 00:00:00", ""],
        "charity_contact_postcode": ["LS1 1AA", "", "WF1 2AB", "M1 1AA"],
    })


def _schools() -> pd.DataFrame:
    return pd.DataFrame({
        "URN": ["100001", "100002", "100003"],
        "EstablishmentName": ["St Mary's CE Primary School", "St Mary's CE Primary School",
                              "Café Élan Academy"],
        "EstablishmentStatus (name)": ["Open", "Open", "Open"],
        "Postcode": ["HX1 1AA", "LS1 1AA", "M1 1AA"],
        "OpenDate": ["01-09-2001", "", ""],
        "DistrictAdministrative (code)": ["E08000033", "E08000035", "E08000036"],
    })


@pytest.fixture
def reference(tmp_path: Path) -> Reference:
    ref = tmp_path / "ref"
    ch = synth.write_companies_house(_companies(),
                                     tmp_path / "BasicCompanyDataAsOneFile-2026-11-01.zip")
    cc = synth.write_charity_extract(_charities(), tmp_path / "publicextract.charity.zip")
    gias = synth.write_gias(_schools(), tmp_path / "edubasealldata20261115.csv")
    bulk.build_table("companies_house", [ch], ref)
    bulk.build_table("charities", [cc], ref)
    bulk.build_table("schools", [gias], ref)
    return Reference(ref)


def test_companies_house_table_rows_in_equal_used_plus_set_aside(reference: Reference) -> None:
    path = reference.require("companies_house")
    report = bulk.read_report(path)
    assert report["rows_in"] == 7
    assert report["rows_used"] == 5
    assert report["set_aside"] == {"no company number that reads": 1, "no name": 1}
    assert report["previous_names"] == 1
    t = pq.read_table(path).to_pandas().set_index(["id", "name_kind"])
    roof = t.loc[("01234567", "current")]
    assert roof["name_norm"] == "PENNINE ROOFING"
    assert roof["postcode"] == "HX1 1AA"
    assert roof["sic_codes"] == "43910;41201"
    assert str(roof["opened"]) == "2003-02-01"
    assert t.loc[("07654321", "previous"), "name_norm"] == "BRIGHT CLEANERS"
    assert t.loc[("SC123456", "current"), "status"] == "In Administration"
    blocks = pq.read_table(path, columns=["block"]).column("block").to_pylist()
    assert blocks == sorted(blocks)  # sorted: a name lookup reads few row groups


def test_charity_and_school_tables(reference: Reference, tmp_path: Path) -> None:
    cc = pq.read_table(reference.require("charity_register")).to_pandas().set_index("id")
    assert sorted(cc.index) == ["1100001", "202918"]  # linked row and unreadable number aside
    assert cc.loc["202918", "status"] == "Removed"
    assert str(cc.loc["202918", "closed"]) == "2020-05-05"
    report = bulk.read_report(reference.require("charity_register"))
    assert report["set_aside"]["a linked charity (its main charity is kept)"] == 1
    json_zip = synth.write_charity_extract(_charities(), tmp_path / "j" / "extract.zip",
                                           form="json")
    as_json = bulk.build_table("charities", [json_zip], tmp_path / "j" / "ref")
    assert pq.read_table(as_json.path).num_rows == 2
    sc = pq.read_table(reference.require("schools")).to_pandas().set_index("id")
    assert sc.loc["100003", "name"] == "Café Élan Academy"  # Windows-1252 read right
    assert sc.loc["100001", "lad_code"] == "E08000033"
    assert str(sc.loc["100001", "opened"]) == "2001-09-01"


def test_a_file_of_another_layout_is_refused_in_one_line(tmp_path: Path) -> None:
    gias = synth.write_gias(_schools(), tmp_path / "edubasealldata20261115.csv")
    with pytest.raises(bulk.BulkError) as err:
        bulk.build_table("companies_house", [gias], tmp_path / "ref")
    assert "not the Companies House layout" in str(err.value)
    assert "\n" not in str(err.value)
    assert not list((tmp_path / "ref" / "registers").glob("*.parquet"))


def _placed(tmp_path: Path, reference: Reference, rows: list[dict]) -> pd.DataFrame:
    tx = write_tx(tmp_path / "out", rows)
    res = locate(tx, [], reference, fuzzy=False, geocoder=fake_geocoder)
    return res.suppliers.set_index("supplier_name"), res.coverage


def test_locate_by_number_then_exact_name_with_place_basis(tmp_path: Path,
                                                           reference: Reference) -> None:
    sup, cov = _placed(tmp_path, reference, [
        {"supplier_name": "P Roofing", "company_number": "1234567", "amount": 100.0},
        {"supplier_name": "Orchard Care Limited", "amount": 200.0},
        {"supplier_name": "Bright Cleaners Ltd", "amount": 300.0},  # a previous name
        {"supplier_name": "Food Bank", "charity_number": "1100001", "amount": 300.0},
        {"supplier_name": "Kestrel Outdoor Adventures Ltd", "amount": 100.0},
        {"supplier_name": "CAFÉ ÉLAN ACADEMY", "amount": 500.0},
        {"supplier_name": "Twin Name Ltd", "amount": 600.0},  # two companies: ambiguous
    ])
    roof = sup.loc["P Roofing"]
    assert (roof["resolution_method"], roof["postcode"]) == ("company_number", "HX1 1AA")
    assert roof["place_basis"] == "registered_office"
    assert roof["resolution_source"] == "Companies House (2026-11-01)"
    assert roof["register_status"] == "Active" and roof["sic"] == "43910;41201"
    care = sup.loc["Orchard Care Limited"]
    assert (care["resolution_method"], care["postcode"]) == ("reference_name", "LS1 1AA")
    assert care["register_status"] == "In Administration"
    assert care["company_number"] == "SC123456"
    assert sup.loc["Bright Cleaners Ltd", "postcode"] == "M1 1AA"
    bank = sup.loc["Food Bank"]
    assert (bank["resolution_method"], bank["place_basis"]) == ("charity_number",
                                                                "registered_office")
    assert bank["supplier_class"] == "vcse"
    named = sup.loc["Kestrel Outdoor Adventures Ltd"]  # a company by name, a charity by register
    assert (named["resolution_method"], named["supplier_class"]) == ("reference_name", "vcse")
    assert named["class_reason"] == "in the Charity Commission register"
    school = sup.loc["CAFÉ ÉLAN ACADEMY"]
    assert (school["place_basis"], school["postcode"]) == ("school_site", "M1 1AA")
    assert sup.loc["Twin Name Ltd", "resolution_method"] == "none"
    assert cov["bulk_registers"]["ambiguous_names"] == 1
    assert cov["located_by_basis"]["registered_office"] == pytest.approx(1000 / 2100)
    assert cov["located_by_basis"]["school_site"] == pytest.approx(500 / 2100)


def test_school_names_decided_by_the_paying_councils_districts(tmp_path: Path,
                                                               reference: Reference) -> None:
    rows = pd.DataFrame({"name_norm": ["ST MARY S CE PRIMARY SCHOOL"] * 2,
                         "name_kind": ["current"] * 2, "postcode": ["HX1 1AA", "LS1 1AA"],
                         "closed": [None, None], "lad_code": ["E08000033", "E08000035"],
                         "name": ["a", "b"]})
    one, ambiguous = bulk_lookup._one_per_name(rows, bulk.SCHOOLS, frozenset({"E08000035"}))
    assert ambiguous == 0 and one.loc["ST MARY S CE PRIMARY SCHOOL", "postcode"] == "LS1 1AA"
    none, ambiguous = bulk_lookup._one_per_name(rows, bulk.SCHOOLS, frozenset())
    assert ambiguous == 1 and none.empty


def test_fuzzy_candidates_are_bounded(reference: Reference) -> None:
    table = bulk_lookup.bulk_tables(reference)[0]
    names = pd.Series(["TWIN NAMES", "PENNINE ROOFING SERVICES"])
    rows, note = bulk_lookup.fuzzy_candidates(table, names)
    assert sorted(rows["name_norm"]) == ["PENNINE ROOFING", "TWIN NAME", "TWIN NAME"]
    assert note == ""
    rows, note = bulk_lookup.fuzzy_candidates(table, names, limit=2)
    assert sorted(rows["name_norm"]) == ["PENNINE ROOFING"]  # first two words: TWIN NAMES
    assert note.startswith("blocking tightened to the first two words")


def test_fuzzy_links_place_above_the_threshold_only(tmp_path: Path, reference: Reference,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import impact.places.linkage as linkage
    from impact.places.linkage import LinkDiagnostics

    def fake_links(left: pd.DataFrame, right: pd.DataFrame, k: int = 3, **_: object):
        r = dict(zip(right["name_norm"], right["key"], strict=False))
        lk = dict(zip(left["name_norm"], left["key"], strict=True))
        links = pd.DataFrame([  # placed: enough evidence and clear of the next company
            {"left_key": lk["PENNINE ROOFERS"], "right_key": r["PENNINE ROOFING"], "rank": 1,
             "match_probability": 0.97, "evidence_bits": 13.0, "placed": True},
            {"left_key": lk["GREENWAY CLEANERS"], "right_key": r["GREENWAY CLEANING"],
             "rank": 1, "match_probability": 0.6, "evidence_bits": 9.0, "placed": False},
            {"left_key": lk["TWIN NAMES"], "right_key": r["TWIN NAME"], "rank": 1,
             "match_probability": 0.96, "evidence_bits": 12.0,
             "placed": False}])  # not clear of the runner-up
        return links, LinkDiagnostics()

    monkeypatch.setattr(linkage, "place_links", fake_links)
    tx = write_tx(tmp_path / "out", [{"supplier_name": "Pennine Roofers", "amount": 10.0},
                                     {"supplier_name": "Greenway Cleaners", "amount": 20.0},
                                     {"supplier_name": "Twin Names", "amount": 30.0}])
    sup = locate(tx, [], reference, fuzzy=True, geocoder=fake_geocoder).suppliers
    sup = sup.set_index("supplier_name")
    roof = sup.loc["Pennine Roofers"]
    assert (roof["resolution_method"], roof["postcode"]) == ("fuzzy", "HX1 1AA")
    assert roof["resolution_probability"] == pytest.approx(0.97)
    assert roof["place_basis"] == "registered_office"
    clean = sup.loc["Greenway Cleaners"]
    assert clean["resolution_method"] == "none" and not clean["is_located"]
    assert clean["suggested_name"] == "GREENWAY CLEANING LIMITED"
    twin = sup.loc["Twin Names"]  # as likely another company of that name: no place
    assert twin["resolution_method"] == "none" and twin["suggested_probability"] == 0.96
    assert twin["suggested_evidence_bits"] == 12.0


def test_a_local_branch_overrides_the_registered_office(tmp_path: Path,
                                                        reference: Reference) -> None:
    """The officer gives a supplier placed at its registered office a local branch: the
    branch places it, as ``manual``, when saved in the app and on a fresh ``locate``."""
    from impact.places.registers import save_resolution
    from impact.places.resolutions import ApplyContext, apply_register, rows_frame

    tx = write_tx(tmp_path / "out", [{"supplier_name": "Orchard Care Ltd", "amount": 10.0},
                                     {"supplier_name": "Pennine Roofing", "amount": 20.0}])
    sup = locate(tx, [], reference, fuzzy=False, geocoder=fake_geocoder).suppliers
    care = sup.index[sup["supplier_name"] == "Orchard Care Ltd"]
    assert sup.loc[care, "place_basis"].tolist() == ["registered_office"]
    branch = RegisterRow("Orchard Care Ltd", postcode="M1 1AA")
    ctx = ApplyContext(reference, "register.csv", geocoder=fake_geocoder)
    after, changed = apply_register(sup, rows_frame([branch]), ctx)
    assert changed.sum() == 1
    got = after.loc[care].iloc[0]
    assert (got["postcode"], got["place_basis"], got["resolution_method"]) == (
        "M1 1AA", "manual", "manual")
    assert got["lad_name"] == "Manchester" and got["register_status"] == "In Administration"
    roof = after.set_index("supplier_name").loc["Pennine Roofing"]
    assert roof["place_basis"] == "registered_office"  # untouched
    number = RegisterRow("Pennine Roofing", company_number="07654321")  # found in the table
    after, _ = apply_register(after, rows_frame([branch, number]), ctx)
    roof = after.set_index("supplier_name").loc["Pennine Roofing"]
    assert (roof["postcode"], roof["place_basis"]) == ("M1 1AA", "registered_office")
    register = save_resolution(tmp_path / "register.csv", "Orchard Care Ltd", postcode="M1 1AA")
    fresh = locate(tx, [register], reference, fuzzy=False, geocoder=fake_geocoder).suppliers
    got = fresh.set_index("supplier_name").loc["Orchard Care Ltd"]
    assert (got["postcode"], got["place_basis"]) == ("M1 1AA", "manual")


def test_fetch_from_a_downloaded_file_builds_the_table(tmp_path: Path, capsys) -> None:
    """``impact fetch charities --from FILE`` (offline) builds the table ``locate`` finds;
    a file of another register is refused in one line and nothing is written."""
    from impact.cli import main

    extract = synth.write_charity_extract(_charities(), tmp_path / "publicextract.charity.zip")
    dest = tmp_path / "ref"
    assert main(["fetch", "charities", "--from", str(extract), "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "4 rows in = 2 used + 2 set aside" in out
    assert "set aside: 1 a linked charity" in out
    assert Reference(dest).find("charity_register") is not None
    other = tmp_path / "other"
    assert main(["fetch", "schools", "--from", str(extract), "--dest", str(other)]) == 2
    err = capsys.readouterr().err
    assert "not the Get Information About Schools layout" in err and err.count("\n") == 1
    assert not list(other.rglob("*.parquet*"))


def test_fetch_without_a_network_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys) -> None:
    import urllib.request

    from impact.cli import main

    def offline(*_: object, **__: object) -> None:
        raise OSError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert main(["fetch", "charities", "--dest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no network" in err and "--from FILE" in err
    assert not list(tmp_path.rglob("*.part"))


def test_the_charter_reads_the_status_locate_found(tmp_path: Path, reference: Reference) -> None:
    """Exact Companies House matches carry their status to the charter scorecard; a
    charity's status and probable links do not (no Companies House evidence)."""
    from impact.analysis.charter import CLOSED_STATUSES, companies_house_status

    sup, _ = _placed(tmp_path, reference, [
        {"supplier_name": "Orchard Care Limited", "amount": 200.0},
        {"supplier_name": "Pennine Roofing Ltd", "amount": 100.0},
        {"supplier_name": "Food Bank", "charity_number": "1100001", "amount": 400.0}])
    got = companies_house_status(None, sup.reset_index()).set_index("supplier_key")
    keys = sup["supplier_key"]
    assert got.loc[keys["Orchard Care Limited"], "ch_status"] == "In Administration"
    assert got.loc[keys["Pennine Roofing Ltd"], "ch_sic_codes"] == "43910;41201"
    assert keys["Food Bank"] not in got.index
    assert any(w in "in administration" for w in CLOSED_STATUSES)
