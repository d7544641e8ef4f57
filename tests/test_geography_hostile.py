"""Hostile geography: broken polygons, mixed or wrong CRS, empty geometries, wards without
LSOAs, and postcodes that are terminated, malformed, hostile or outside England and Wales.

Each case has one clear outcome: repaired with a note, dropped with a note naming the area,
converted, or refused with a one-line error; postcodes always get a status and a reason.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

from impact.core import cache
from impact.places import geocode
from impact.places.boundaries import BNG, WGS84, areas_for_lads, load_boundaries
from impact.places.geocode import STATUSES, geocode_postcodes
from impact.places.reference import Reference

# A 1 km square in Burnley (BNG metres) and the same square in WGS84.
BNG_BOX = box(384000, 432000, 385000, 433000)
WGS_BOX = gpd.GeoSeries([BNG_BOX], crs=BNG).to_crs(WGS84).iloc[0]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(tmp_path / "cache"))
    cache.clear_all()
    monkeypatch.setattr(geocode, "package_available", lambda: False)


def _write(tmp_path: Path, name: str, geoms: list, crs: str | None = WGS84,
           codes: list[str] | None = None) -> Path:
    codes = codes or [f"E0100000{i}" for i in range(len(geoms))]
    gdf = gpd.GeoDataFrame({"lsoa21_code": codes, "lsoa21_name": [f"Area {c}" for c in codes]},
                           geometry=geoms, crs=crs)
    path = tmp_path / name
    if name.endswith(".parquet"):
        gdf.to_parquet(path)
    else:
        gdf.to_file(path)
    return path


def test_self_intersecting_polygon_is_repaired_with_a_note(tmp_path: Path) -> None:
    bowtie = Polygon([(0, 50), (1, 51), (1, 50), (0, 51), (0, 50)])
    assert not bowtie.is_valid
    path = _write(tmp_path, "bowtie.parquet", [bowtie, box(2, 50, 3, 51)])
    for use_cache in (True, True, False):  # cold cache, warm cache, no cache: same answer
        out = load_boundaries(path, use_cache=use_cache)
        assert len(out) == 2
        assert shapely.is_valid(out.geometry.to_numpy()).all()
        assert out.geometry.iloc[0].area == pytest.approx(0.5)  # two triangles
        assert any("repaired 1 invalid polygon" in n for n in out.attrs["notes"])


def test_empty_null_and_non_polygonal_geometries_are_dropped_by_name(tmp_path: Path) -> None:
    geoms = [
        box(0, 50, 1, 51),
        Polygon(),
        None,
        LineString([(0, 50), (1, 51)]),
        Point(0.5, 50.5),
        GeometryCollection([box(2, 50, 3, 51), LineString([(2, 50), (3, 51)])]),
    ]
    codes = ["KEEP1", "EMPTY", "NULL", "LINE", "POINT", "MIXED"]
    out = load_boundaries(_write(tmp_path, "mixed.parquet", geoms, codes=codes))
    assert out["code"].tolist() == ["KEEP1", "MIXED"]
    assert out.geometry.iloc[1].geom_type in ("Polygon", "MultiPolygon")
    note = next(n for n in out.attrs["notes"] if n.startswith("dropped"))
    assert "dropped 4 area(s)" in note
    for code in ("EMPTY", "NULL", "LINE", "POINT"):
        assert code in note


def test_all_geometries_empty_gives_an_empty_frame_not_a_crash(tmp_path: Path) -> None:
    out = load_boundaries(_write(tmp_path, "nothing.parquet", [Polygon(), None],
                                 codes=["A", "B"]))
    assert len(out) == 0 and out.crs.equals(WGS84)
    assert any("dropped 2 area(s)" in n for n in out.attrs["notes"])


@pytest.mark.parametrize(
    ("name", "geom", "crs", "note"),
    [
        ("bng.gpkg", BNG_BOX, BNG, None),  # declared BNG: converted
        ("wgs.gpkg", WGS_BOX, WGS84, None),
        ("bng_no_crs.parquet", BNG_BOX, None, "read as British National Grid"),
        ("wgs_no_crs.parquet", WGS_BOX, None, "read as WGS84"),
        ("bng_says_wgs84.parquet", BNG_BOX, WGS84, "declared EPSG:4326"),
    ],
)
def test_mixed_crs_sources_line_up(tmp_path: Path, name: str, geom, crs, note) -> None:
    out = load_boundaries(_write(tmp_path, name, [geom], crs=crs))
    assert out.crs.equals(WGS84)
    got = out.geometry.iloc[0]
    assert got.symmetric_difference(WGS_BOX).area < 1e-3 * WGS_BOX.area
    assert -2.3 < got.centroid.x < -2.2 and 53.7 < got.centroid.y < 53.9  # Burnley
    if note:
        assert any(note in n for n in out.attrs["notes"]), out.attrs["notes"]


def test_coordinates_that_fit_no_crs_are_refused(tmp_path: Path) -> None:
    far = box(5e7, 5e7, 5e7 + 10, 5e7 + 10)
    with pytest.raises(ValueError, match=r"coordinates .* do not fit"):
        load_boundaries(_write(tmp_path, "far.parquet", [far], crs=WGS84))


def test_not_a_boundary_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "wards_bad.geojson"
    bad.write_text("<html><script>alert(1)</script></html>")
    with pytest.raises(ValueError, match=r"wards_bad.geojson: cannot read boundaries") as exc:
        load_boundaries(bad)
    assert "\n" not in str(exc.value)
    nocode = _write(tmp_path, "nocode.parquet", [box(0, 50, 1, 51)])
    gdf = gpd.read_parquet(nocode).rename(columns={"lsoa21_code": "colour"})
    gdf.to_parquet(nocode)
    with pytest.raises(ValueError, match="no area code column"):
        load_boundaries(nocode, use_cache=False)


# --- wards without LSOAs, postcodes ------------------------------------------------------

SQUARES = {"E01000001": (0, 50, 1, 51), "E01000002": (1, 50, 2, 51)}


def _reference(root: Path) -> Reference:
    geo = root / "geography"
    geo.mkdir(parents=True)
    gpd.GeoDataFrame({"lsoa21_code": list(SQUARES)},
                     geometry=[box(*b) for b in SQUARES.values()],
                     crs=WGS84).to_parquet(geo / "lsoa_2021_test.parquet")
    pd.DataFrame({
        # E01000009's ward has no LSOA polygon at all
        "lsoa21_code": ["E01000001", "E01000002", "E01000009"],
        "ward24_code": ["E05000001", "E05000001", "E05000099"],
        "ward24_name": ["West", "West", "Ghost ward"],
        "ltla24_code": "E07000999",
        "ltla24_name": "Testshire",
    }).to_csv(geo / "lookup_lsoa21_ward24_lad24.csv", index=False)
    pd.DataFrame({"ltla24_code": ["E07000999"], "ltla24_name": ["Testshire"],
                  "region24_code": ["E12000002"], "region24_name": ["North West"]}).to_csv(
        geo / "lookup_lad24_region24.csv", index=False)
    pd.DataFrame({
        "postcode": ["AA1 1AA", "AA1 1AB", "TD15 1AA"],
        "lat": [50.5, 50.5, 50.5],
        "long": [0.5, 1.5, 1.2],
        "doterm": ["", "201904", ""],
    }).to_csv(geo / "postcodes_test.csv", index=False)
    return Reference(root)


def test_ward_without_lsoas_is_reported_not_invented(tmp_path: Path) -> None:
    ref = _reference(tmp_path / "ref")
    wards, warn = areas_for_lads(ref, ["E07000999", "E09999999"])
    assert wards["code"].tolist() == ["E05000001"]
    assert any("1 ward(s) have no neighbourhood boundaries" in w for w in warn)
    assert any("E09999999" in w and "not in the LSOA lookup" in w for w in warn)
    lsoas, warn = areas_for_lads(ref, ["E07000999"], unit="lsoa")
    assert sorted(lsoas["code"]) == list(SQUARES)
    assert any("1 neighbourhood(s) (LSOA 2021) have no boundary" in w for w in warn)


def test_hostile_postcodes_each_get_a_status_and_reason(tmp_path: Path) -> None:
    ref = _reference(tmp_path / "ref")
    cases = {
        "AA1 1AA": "located",
        " aa11aa ": "located",
        "AA1 1AB": "located_terminated",
        "TD15 1AA": "located",  # Berwick: a TD postcode inside England
        "EH1 1YZ": "outside_england_wales",
        "ZE1 0AA": "outside_england_wales",
        "BT1 1AA": "outside_england_wales",
        "JE2 3QA": "outside_england_wales",
        "GY1 1AA": "outside_england_wales",
        "IM1 1AA": "outside_england_wales",
        "ZZ9 9ZZ": "not_found",
        "<script>alert(1)</script>": "malformed",
        "=HYPERLINK(\"http://x\")": "malformed",
        "SW1A 2AA; DROP TABLE": "malformed",
        "SW1A\x002AA": "malformed",
        "ＳＷ１Ａ ２ＡＡ": "malformed",  # full-width characters are not a postcode
        "X" * 10_000: "malformed",
        "": "malformed",
    }
    inputs = pd.Series(list(cases), index=[f"r{i}" for i in range(len(cases))], dtype="string")
    out = geocode_postcodes(inputs, ref)
    assert out.index.equals(inputs.index)
    assert set(out["status"]) <= set(STATUSES)
    assert dict(zip(cases, out["status"], strict=True)) == cases
    assert out["reason"].notna().all() and (out["reason"].str.strip() != "").all()
    assert not out["reason"].str.contains("\n").any()
    outside = out["status"] == "outside_england_wales"
    assert out.loc[outside, "lsoa21_code"].isna().all()
    located = out["status"].str.startswith("located")
    assert out.loc[located, "lsoa21_code"].notna().all()
    assert np.isfinite(out.loc[located, ["lat", "long"]].to_numpy(dtype=float)).all()


def test_malformed_postcode_reason_is_short(tmp_path: Path) -> None:
    out = geocode_postcodes(pd.Series(["X" * 10_000], dtype="string"),
                            _reference(tmp_path / "ref"))
    assert out["status"].iloc[0] == "malformed"
    assert len(out["reason"].iloc[0]) < 400


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8-sig"])
def test_lookups_saved_by_excel_read_alike(tmp_path: Path, encoding: str) -> None:
    """A lookup a user re-saved (UTF-16 from Excel, Windows-1252) reads like the published
    UTF-8 one: every small reference CSV goes through the one decoder."""
    from impact.places.boundaries import read_lsoa_lookup
    from impact.places.fetch import _codes_from_lookup
    from impact.places.geocode import read_region_lookup

    lookup = tmp_path / "lookup.csv"
    lookup.write_bytes(
        ("LSOA21CD,LSOA21NM,WD24CD,WD24NM,LAD24CD,LAD24NM\n"
         "E01000001,Test 001A,E05000001,Church – West,E07000999,Testshire\n"
         "E01000002,Test 001B,E05000002,,E07000999,Testshire\n").encode(encoding))
    lk = read_lsoa_lookup(lookup)
    assert lk["ward_name"].tolist()[0] == "Church – West"
    assert pd.isna(lk["ward_name"].iloc[1])  # a blank cell is missing, as before
    assert _codes_from_lookup(lookup) == (["E01000001", "E01000002"], ["E05000001", "E05000002"])
    region = tmp_path / "region.csv"
    region.write_bytes(
        "LAD24CD,RGN24CD,RGN24NM\nE07000999,E12000002,North West – test\n".encode(encoding))
    assert read_region_lookup(region).loc["E07000999", "region_name"] == "North West – test"
