"""Supplier registers, resolution paths and coverage arithmetic."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

import impact.places.registers as registers_mod
from impact.ingest.schema import conform
from impact.places.locate import locate, write_locate_outputs
from impact.places.reference import Reference
from impact.places.registers import (
    TEMPLATE_COLUMNS,
    RegisterError,
    read_register,
    register_from_frame,
    save_resolution,
)
from tests._shared import missing, shared_data_dir

GEO = {  # postcode → (lat, long, lad)
    "HX1 1AA": (53.72, -1.86, "Calderdale"),
    "M1 1AA": (53.48, -2.24, "Manchester"),
    "LS1 1AA": (53.80, -1.55, "Leeds"),
}


def fake_geocoder(postcodes: pd.Series, reference: object) -> pd.DataFrame:
    """Stands in for impact.places.geocode.geocode_postcodes: same columns, a fixed table."""
    pc = postcodes.astype("string")
    hit = pc.isin(list(GEO))
    get = lambda i: pc.map(lambda p: GEO[p][i] if p in GEO else None)  # noqa: E731
    return pd.DataFrame({
        "postcode": pc, "status": hit.map({True: "located", False: "not_found"}),
        "reason": "", "lat": get(0).astype(float), "long": get(1).astype(float),
        "lsoa21_code": pd.NA, "ward_code": pd.NA, "ward_name": pd.NA, "lad_code": pd.NA,
        "lad_name": get(2), "region_code": pd.NA, "region_name": pd.NA,
    }, index=postcodes.index)


def write_tx(d: Path, rows: list[dict]) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    from impact.ingest.names import normalise_names

    df = pd.DataFrame(rows)
    df["council"] = "testborough"
    df["supplier_name_norm"] = normalise_names(df["supplier_name"])
    df["date"] = pd.Timestamp("2021-05-01")
    df["source_row"] = range(2, len(df) + 2)
    out = conform(df)
    out.to_parquet(d / "transactions.parquet", index=False)
    return d


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def borough(tmp_path: Path) -> tuple[Path, Path, Reference]:
    tx = write_tx(tmp_path / "out", [
        {"supplier_name": "Vendor By Id Ltd", "supplier_id": "V001", "amount": 100.0},
        {"supplier_name": "Named In Register Ltd", "amount": 200.0},
        {"supplier_name": "Numbered Widgets", "company_number": "123456", "amount": 300.0},
        {"supplier_name": "ACME LIMITED", "amount": 400.0},
        {"supplier_name": "Acme Ltd", "amount": -50.0},  # credit: not in positive spend
        {"supplier_name": "Nowhere Traders", "amount": 500.0},
        {"supplier_name": "Leeds City Council", "amount": 1000.0},
        {"supplier_name": "Redacted Personal Data", "amount": 250.0, "is_redacted": True},
    ])
    council_reg = write_csv(tmp_path / "council_register.csv",
        "Supplier ID,Supplier Name,Post Code\n"
        "V001,Something Else Entirely,HX1 1AA\n"
        ",NAMED IN REGISTER LIMITED,M1 1AA\n")
    ref = tmp_path / "ref"
    (ref / "suppliers").mkdir(parents=True)
    write_csv(ref / "suppliers" / "reg.csv",
        "supplier_name,company_number,postcode\n"
        "Numbered Company Limited,00123456,LS1 1AA\n"
        "Acme plc,,HX1 1AA\n"
        "Named In Register Ltd,,LS1 1AA\n")  # the council's own register wins
    return tx, council_reg, Reference(ref)


def test_each_resolution_path_and_coverage(borough: tuple[Path, Path, Reference]) -> None:
    tx, council_reg, ref = borough
    res = locate(tx, [council_reg], ref, fuzzy=False, geocoder=fake_geocoder)
    s = res.suppliers.set_index("supplier_name_norm")
    assert s.loc["VENDOR BY ID", "resolution_method"] == "register_id"
    assert s.loc["VENDOR BY ID", "postcode"] == "HX1 1AA"
    assert s.loc["NAMED IN REGISTER", "resolution_method"] == "register_name"
    assert s.loc["NAMED IN REGISTER", "postcode"] == "M1 1AA"
    assert s.loc["NUMBERED WIDGETS", "resolution_method"] == "company_number"
    assert s.loc["NUMBERED WIDGETS", "postcode"] == "LS1 1AA"
    assert s.loc["ACME", "resolution_method"] == "reference_name"
    assert s.loc["ACME", "resolution_source"] == "reg.csv"
    assert s.loc["NOWHERE TRADERS", "resolution_method"] == "none"
    assert s.loc["NOWHERE TRADERS", "geocode_status"] == "unresolved"
    # one supplier row for the three Acme spellings; duplicate row excluded from sums
    acme = s.loc["ACME"]
    assert acme["n_transactions"] == 2 and acme["amount"] == 350.0 and acme["spend"] == 400.0
    assert "ACME LIMITED" in acme["name_variants"] and "Acme Ltd" in acme["name_variants"]

    cov = res.coverage
    # positive non-duplicate spend: 100+200+300+400+500+1000+250 = 2750
    assert cov["total_spend"] == 2750.0
    assert cov["located_spend"] == 1000.0  # 100+200+300+400
    assert cov["share_of_spend_located"] == pytest.approx(1000 / 2750, abs=1e-6)
    # Leeds City Council is classed a public body but this reference folder holds no
    # local-authority table to place it: none of the public-body spend is placed
    assert cov["public_body_spend"] == {
        "amount": 1000.0, "share": pytest.approx(1000 / 2750), "share_placed_or_national": 0.0}
    assert cov["redacted_spend"]["amount"] == 250.0
    assert cov["share_of_spend_located_excl_public"] == pytest.approx(1000 / 1750, abs=1e-6)
    assert cov["share_of_spend_located_excl_public_and_redacted"] == pytest.approx(
        1000 / 1500, abs=1e-6)
    assert cov["suppliers_total"] == 7 and cov["suppliers_located"] == 4
    assert cov["located_by_method"]["register_id"] == {
        "suppliers": 1, "amount": 100.0, "located_amount": 100.0}
    assert cov["located_by_method"]["none"]["suppliers"] == 3
    top = [u["supplier_name"] for u in cov["unresolved_top"]]
    assert top == ["Leeds City Council", "Nowhere Traders", "Redacted Personal Data"]

    paths = write_locate_outputs(tx, res)
    back = pd.read_parquet(paths["suppliers"])
    assert len(back) == 7
    assert json.loads(paths["coverage"].read_text())["total_spend"] == 2750.0


def test_without_reference_registers(borough: tuple[Path, Path, Reference]) -> None:
    tx, council_reg, ref = borough
    res = locate(tx, [council_reg], ref, reference_registers=False, fuzzy=False,
                 geocoder=fake_geocoder)
    assert res.coverage["located_spend"] == 300.0
    assert set(res.suppliers["resolution_method"]) == {"register_id", "register_name", "none"}


def test_missing_transactions_is_clear(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run ingest first"):
        locate(tmp_path, [], None, geocoder=fake_geocoder)


# ------------------------------------------------------------------- registers


def test_register_headers_bom_and_company_numbers(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_bytes("ï»¿Supplier Company Name,Supplier Postcode,Company Number,SME Supplier?\n"
                  "Acme Ltd,hx11aa,123456,Yes\nScot Co,EH1 1AA,sc012345,No\n"
                  "Nowhere,,,\nNo Postcode But Number,,OC300001,\n"
                  "Bad Postcode,NOT A PC,,\n".encode("cp1252"))
    r = read_register(p)
    assert r.columns_used["supplier_name"] == "Supplier Company Name"
    assert r.frame["company_number"].tolist()[:2] == ["00123456", "SC012345"]
    assert r.frame["postcode"].tolist()[:2] == ["HX1 1AA", "EH1 1AA"]
    assert r.no_postcode_kept == 1
    reasons = dict(zip(r.rejected["supplier_name"], r.rejected["reason"], strict=True))
    assert reasons == {"Nowhere": "no usable postcode or company number",
                       "Bad Postcode": "postcode not recognised"}
    assert len(r.frame) + len(r.rejected) == 5  # every row accounted for


def test_register_missing_columns_is_one_line(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "x.csv", "Vendor,Amount\nAcme,1\n")
    with pytest.raises(RegisterError) as exc:
        read_register(p)
    msg = str(exc.value)
    assert "\n" not in msg and "postcode" in msg and "Vendor, Amount" in msg
    p2 = write_csv(tmp_path / "y.csv", "name,Name,postcode\na,b,HX1 1AA\n")
    with pytest.raises(RegisterError, match="cannot tell which column"):
        read_register(p2)


def test_register_duplicate_names_reported() -> None:
    df = pd.DataFrame({
        "name": ["Acme Ltd", "ACME LIMITED", "Acme", "Beta"],
        "postcode": ["", "M1 1AA", "LS1 1AA", "HX1 1AA"],
    })
    r = register_from_frame(df)
    # the first row *with a postcode* wins; the conflict is counted and reported
    assert r.frame.set_index("supplier_name_norm").loc["ACME", "postcode"] == "M1 1AA"
    assert r.conflicts == 1
    assert (r.rejected["reason"].str.startswith("duplicate name")).sum() == 1
    assert len(r.frame) + len(r.rejected) == 4


def test_aliases_become_name_rows(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "tax.csv",
        "supplier_canonical,aliases,ch_company_number,reg_postcode\n"
        "Liberata UK Ltd,LIBERATA UK LTD | LIBERATA | LIBERATA SERVICES,01234567,BB5 1AA\n")
    r = read_register(p)
    assert set(r.frame["supplier_name_norm"]) == {"LIBERATA", "LIBERATA SERVICES"}
    assert r.rejected.empty


def test_companies_house_bulk_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = ("CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,"
              "RegAddress.AddressLine1, RegAddress.AddressLine2,RegAddress.PostTown,"
              "RegAddress.County,RegAddress.Country,RegAddress.PostCode,CompanyCategory,"
              "CompanyStatus,CountryOfOrigin,DissolutionDate,IncorporationDate,"
              "SICCode.SicText_1,SICCode.SicText_2")
    rows = ['"ACME WIDGETS LIMITED","01234567","","","1 HIGH ST","","HALIFAX","","ENGLAND",'
            '"HX1 1AA","Private Limited Company","Active","United Kingdom","","01/01/2000",'
            '"25990 - Manufacture of other fabricated metal products n.e.c.",""',
            '"SCOTCO LTD","SC123456","","","2 LOW ST","","EDINBURGH","","SCOTLAND","EH1 1AA",'
            '"Private Limited Company","Active","United Kingdom","","01/01/2001","",""']
    p = write_csv(tmp_path / "BasicCompanyDataAsOneFile-2025-01-01.csv",
                  header + "\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(registers_mod, "_BIG_FILE", 0)  # force the column-wise reader
    r = read_register(p)
    assert r.columns_used["company_number"] == " CompanyNumber"
    assert r.columns_used["postcode"] == "RegAddress.PostCode"
    assert r.frame["company_number"].tolist() == ["01234567", "SC123456"]
    assert r.frame["sic"].iloc[0].startswith("25990")
    assert r.frame["supplier_name_norm"].tolist() == ["ACME WIDGETS", "SCOTCO"]


def test_save_resolution_round_trip_and_atomic(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "council" / "register.csv"
    save_resolution(p, "Nowhere Traders", postcode="hx11aa", note="phoned them")
    assert p.read_text().splitlines()[0] == ",".join(TEMPLATE_COLUMNS)
    save_resolution(p, "NOWHERE TRADERS LTD", postcode="M1 1AA")  # same normalised name
    save_resolution(p, "Vendor", supplier_id="V9", company_number="123")
    r = read_register(p)
    assert len(r.frame) == 2
    f = r.frame.set_index("supplier_name_norm")
    assert f.loc["NOWHERE TRADERS", "postcode"] == "M1 1AA"
    assert f.loc["VENDOR", "company_number"] == "00000123"
    assert (f["source"] == "manual").all()
    with pytest.raises(RegisterError, match="not a UK postcode"):
        save_resolution(p, "X", postcode="nonsense")

    # A failure while writing leaves the old file intact and no temp file behind.
    before = p.read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_resolution(p, "Another", postcode="LS1 1AA")
    assert p.read_bytes() == before
    assert [x.name for x in p.parent.iterdir()] == ["register.csv"]


# ------------------------------------------------------------------- shared data


def _shared() -> Path:
    d = shared_data_dir()
    if not (d / "suppliers").is_dir():
        missing(f"shared data not found at {d}")
    return d


@pytest.mark.shared
def test_combined_table_loads_as_register() -> None:
    r = read_register(_shared() / "suppliers" / "supplier_locations_combined_geocoded.csv")
    assert len(r.frame) > 12_000
    assert r.frame["postcode"].notna().mean() > 0.99
    assert r.frame["company_number"].dropna().str.len().eq(8).all()


@pytest.mark.shared
@pytest.mark.parametrize("name", ["gender_pay_gap_employers_2019_2023.csv",
                                  "lancashire_supplier_taxonomy_companies_house.csv",
                                  "nhs_trusts_ods_etr_2021.csv",
                                  "salford_contracts_register_2022.csv"])
def test_each_shared_supplier_file_loads(name: str) -> None:
    r = read_register(_shared() / "suppliers" / name)
    assert len(r.frame) > 200
    assert "\u00ef" not in "".join(r.columns_used.values())  # mangled BOM repaired


@pytest.mark.shared
def test_calderdale_company_numbers_join(tmp_path: Path) -> None:
    d = _shared()
    spend = pd.read_csv(d / "spend" / "calderdale" / "calderdale_2021-04.csv",
                        encoding="utf-8-sig", dtype=str)
    spend = spend[spend["Supplier Registered Company Number"].notna()].head(400)
    from impact.core.values import clean_company_numbers

    tx = write_tx(tmp_path / "cald", [
        {"supplier_name": n, "company_number": c, "amount": float(a)}
        for n, c, a in zip(spend["Supplier(Beneficiary) Name"],
                           clean_company_numbers(spend["Supplier Registered Company Number"]),
                           pd.to_numeric(spend["Net Amount"], errors="coerce").fillna(0),
                           strict=True)
    ])
    res = locate(tx, [], Reference(d), fuzzy=False, geocoder=fake_geocoder)
    by = res.suppliers["resolution_method"].value_counts()
    assert by.get("company_number", 0) >= 3
    joined = res.suppliers[res.suppliers["resolution_method"] == "company_number"]
    assert joined["postcode"].notna().all()
    assert res.coverage["registers"][0]["path"].endswith("supplier_locations_combined_geocoded.csv")


@pytest.mark.parametrize("probability", [0.95, 0.6])
def test_fuzzy_links_place_only_above_the_acceptance_threshold(
    borough: tuple[Path, Path, Reference], monkeypatch: pytest.MonkeyPatch, probability: float
) -> None:
    """Probabilistic links: a link the model places places a supplier (marked fuzzy); the
    others are suggestions only."""
    import impact.places.linkage as linkage
    from impact.places.linkage import LinkDiagnostics

    def fake_links(left: pd.DataFrame, right: pd.DataFrame, k: int = 3, **_: object):
        right_key = dict(zip(right["name_norm"], right["key"], strict=True))["ACME"]
        left_key = dict(zip(left["name_norm"], left["key"], strict=True))["NOWHERE TRADERS"]
        links = pd.DataFrame([{"left_key": left_key, "right_key": right_key, "rank": 1,
                               "match_probability": probability, "evidence_bits": 20 * probability,
                               "placed": probability >= 0.9}])
        return links, LinkDiagnostics()

    monkeypatch.setattr(linkage, "place_links", fake_links)
    tx, _, ref = borough
    res = locate(tx, [], ref, fuzzy=True, geocoder=fake_geocoder)
    row = res.suppliers.set_index("supplier_name_norm").loc["NOWHERE TRADERS"]
    assert row["suggested_name"] == "Acme plc"
    assert row["suggested_probability"] == pytest.approx(probability)
    assert row["suggested_evidence_bits"] == pytest.approx(20 * probability)
    fuzzy = res.coverage["fuzzy"]
    assert fuzzy["accept_evidence_bits"] == linkage.PLACE_BITS
    if probability >= 0.9:
        assert row["resolution_method"] == "fuzzy" and row["postcode"] == "HX1 1AA"
        assert fuzzy["accepted_links"] == 1
        # the exact-key share never includes fuzzy links
        cov = res.coverage
        assert cov["share_of_spend_located_exact"] < cov["share_of_spend_located"]
    else:
        assert row["resolution_method"] == "none" and pd.isna(row["postcode"])
        assert fuzzy["suggestions_only"] == 1 and fuzzy["accepted_links"] == 0


def test_exact_keys_first_hit_wins_and_redacted_names_never_match(tmp_path: Path) -> None:
    """The exact-join step alone: id before name before company number, names only for
    suppliers whose name is usable."""
    from impact.places import locate as locate_mod

    tx = write_tx(tmp_path / "out", [
        {"supplier_name": "Alpha Ltd", "supplier_id": "V1", "company_number": "00000001",
         "amount": 1.0},
        {"supplier_name": "Beta Ltd", "company_number": "00000002", "amount": 1.0,
         "is_redacted": True},
        {"supplier_name": "Gamma Ltd", "amount": 1.0},
    ])
    sup = locate_mod._classified(locate_mod._read_suppliers(tx, None), None)

    def rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
        return register_from_frame(frame).frame.assign(resolution_source=source)

    council = rows(pd.DataFrame({
        "supplier_id": ["V1", "", ""], "supplier_name": ["Other", "Alpha", "Beta"],
        "postcode": ["HX1 1AA", "M1 1AA", "M1 1AA"]}), "council.csv")
    reference = rows(pd.DataFrame({
        "supplier_name": ["Alpha", "Beta", "Gamma Holdings"],
        "company_number": ["00000001", "00000002", "00000003"],
        "postcode": ["LS1 1AA", "LS1 1AA", "LS1 1AA"]}), "reference.csv")
    regs = locate_mod._Registers(council, reference, [], [])
    named = locate_mod.nameable(sup)
    public = locate_mod._PublicBodies.read(sup, named, None, None)
    locate_mod._match_exactly(sup, named, regs, public, None)
    got = sup.set_index("supplier_name_norm")[["resolution_method", "postcode"]]
    assert got.loc["ALPHA"].tolist() == ["register_id", "HX1 1AA"]
    assert got.loc["BETA"].tolist() == ["company_number", "LS1 1AA"]  # never by its name
    assert got.loc["GAMMA", "resolution_method"] == "none"


def test_register_row_rules_one_reason_each() -> None:
    """The register's row rules alone: unusable rows first, then duplicate names; an
    identical alias row goes without a reason, an identical real row does not."""
    from impact.places.registers import _canonical_rows, _reject_duplicate_names, _unusable

    raw = pd.DataFrame({
        "name": ["", "Gamma", "Delta", "Epsilon", "Acme", "Acme Ltd", "Acme", "Beta", "Beta",
                 "Zeta"],
        "pc": ["M1 1AA", "", "nonsense", "", "", "M1 1AA", "M1 1AA", "M1 1AA", "LS1 1AA",
               "HX1 1AA"],
        "co": ["", "", "", "123", "456", "", "", "", "", ""],
        "aka": ["", "", "", "", "", "", "", "", "", "Zeta"],
    }, dtype="string")
    used = {"supplier_name": "name", "postcode": "pc", "company_number": "co", "aliases": "aka"}
    rows = _canonical_rows(raw, used, "test")
    reason = _unusable(rows)
    silent, conflicts = _reject_duplicate_names(rows, reason)
    assert reason.fillna("used").tolist() == [
        "no supplier name or id",
        "no usable postcode or company number",
        "postcode not recognised",
        "used",  # no postcode, kept for its company number
        "duplicate name (kept the first with a postcode)",  # Acme without a postcode
        "used",  # the first Acme with a postcode wins
        "duplicate row",
        "used",
        "duplicate name (kept the first with a postcode)",  # Beta elsewhere: a conflict
        "used",
        "used",  # Zeta's alias row repeats Zeta exactly ...
    ]
    assert list(silent) == [10]  # ... so it is dropped without a word
    assert conflicts == 1


# ------------------------------------------------------------- public bodies and basis


def test_public_bodies_placed_with_their_basis_and_national_apart(tmp_path: Path) -> None:
    from tests._public_world import ANYTOWN, BRIDGEFORD, LOWTOWN, R1, write_public_world

    ref = write_public_world(tmp_path / "ref")
    out = write_tx(tmp_path / "out", [
        {"supplier_name": "HMRC - Anytown Office", "amount": 1000.0},
        {"supplier_name": "Lakeshire County Council", "amount": 500.0},
        {"supplier_name": "Anytown Hospitals NHS FT", "amount": 400.0},
        {"supplier_name": "Oak Primary School", "amount": 300.0},
        {"supplier_name": "Widgets (Lowtown) Ltd", "amount": 200.0},
        {"supplier_name": "Typed By Hand Ltd", "amount": 100.0},
        {"supplier_name": "LCC", "amount": 50.0},
        {"supplier_name": "Nowhere Traders", "amount": 25.0},
    ])
    tx = pd.read_parquet(out / "transactions.parquet")
    tx["council"] = "Anytown Borough Council"  # the paying council, for proximity
    tx.to_parquet(out / "transactions.parquet", index=False)
    register = write_csv(tmp_path / "register.csv",
                         "supplier_name,postcode,source\nTyped By Hand Ltd,M1 1AA,manual\n")
    res = locate(out, [register], ref, fuzzy=False, geocoder=fake_geocoder)
    s = res.suppliers.set_index("supplier_name")
    got = s[["resolution_method", "place_basis", "is_located"]].to_dict("index")
    assert got == {
        "HMRC - Anytown Office": {"resolution_method": "gazetteer", "place_basis": "national",
                                  "is_located": False},
        "Lakeshire County Council": {"resolution_method": "gazetteer",
                                     "place_basis": "public_body", "is_located": True},
        "Anytown Hospitals NHS FT": {"resolution_method": "gazetteer",
                                     "place_basis": "public_body", "is_located": True},
        "Oak Primary School": {"resolution_method": "proximity", "place_basis": "public_body",
                               "is_located": True},
        "Widgets (Lowtown) Ltd": {"resolution_method": "name_hint", "place_basis": "name_hint",
                                  "is_located": True},
        "Typed By Hand Ltd": {"resolution_method": "register_name", "place_basis": "manual",
                              "is_located": True},
        "LCC": {"resolution_method": "proximity", "place_basis": "public_body",
                "is_located": True},
        "Nowhere Traders": {"resolution_method": "none", "place_basis": None,
                            "is_located": False},
    }
    county = s.loc["Lakeshire County Council"]
    assert county["area_lad_codes"] == f"{ANYTOWN};{BRIDGEFORD}"
    assert pd.isna(county["lad_code"]) and county["region_code"] == R1  # two districts, one region
    assert pd.isna(county["lsoa21_code"]) and county["geocode_status"] == "area"
    assert s.loc["Oak Primary School", "lad_code"] == ANYTOWN
    assert s.loc["Widgets (Lowtown) Ltd", "lad_code"] == LOWTOWN
    assert s.loc["HMRC - Anytown Office", "geocode_status"] == "national"
    assert s.loc["LCC", "matched_name"] == "Lakeshire County Council"

    cov = res.coverage
    total = 2575.0
    assert cov["share_of_spend_national"] == pytest.approx(1000 / total, abs=1e-6)
    assert cov["located_by_basis"] == {
        "council_register": 0.0, "shared_register": 0.0, "registered_office": 0.0,
        "school_site": 0.0,
        "public_body": pytest.approx(1250 / total, abs=1e-6),
        "name_hint": pytest.approx(200 / total, abs=1e-6),
        "manual": pytest.approx(100 / total, abs=1e-6), "premises": 0.0,
    }
    assert cov["share_of_spend_located"] == pytest.approx(1550 / total, abs=1e-6)
    assert cov["public_body_spend"]["share_placed_or_national"] == 1.0
    assert [u["supplier_name"] for u in cov["unresolved_top"]] == ["Nowhere Traders"]


def test_reference_rows_basis_by_their_source() -> None:
    from impact.places.locate import _basis_of

    sources = pd.Series(["gender_pay_gap", "salford_contracts_register", "nhs_ods_trusts",
                         "manual", "finance system"])
    # another body's register shared in the reference data is never "the council's own"
    assert _basis_of(sources, False).tolist() == [
        "registered_office", "shared_register", "public_body", "registered_office",
        "registered_office"]
    assert _basis_of(sources, True).tolist() == [
        "council_register", "council_register", "council_register", "manual",
        "council_register"]
