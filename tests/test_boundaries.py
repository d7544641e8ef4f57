"""Boundary loading (formats, CRS, repair, cache), display geometry and areas of a council."""

from __future__ import annotations

import os

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from impact.places import boundaries
from impact.places.boundaries import (
    DRAWN_FROM_NEIGHBOURHOODS,
    areas_for_lads,
    display_geometry,
    load_boundaries,
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


def _squares(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"WD24CD": ["E05000001", "E05000002", "E05000003"],
         "WD24NM": ["West", "Middle", "East"]},
        geometry=[box(0, 50, 1, 51), box(1, 50, 2, 51), box(2, 50, 3, 51)],
        crs=crs,
    )


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_round_trip_formats(tmp_path, suffix):
    src = _squares()
    path = tmp_path / f"wards{suffix}"
    if suffix == ".parquet":
        src.to_parquet(path)
    else:
        src.to_file(path, engine="pyogrio")
    out = load_boundaries(path)
    assert list(out.columns) == ["code", "name", "geometry"]
    assert out["code"].tolist() == src["WD24CD"].tolist()
    assert out["name"].tolist() == src["WD24NM"].tolist()
    assert out.crs.to_epsg() == 4326
    for a, b in zip(out.geometry, src.geometry, strict=True):
        assert a.equals_exact(b, 1e-9) or a.normalize().equals_exact(b.normalize(), 1e-9)


def test_bng_input_is_normalised_to_wgs84(tmp_path):
    # the squares' corners in metres on the British National Grid (central Manchester area)
    bng = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["a", "b"]},
                           geometry=[box(383000, 397000, 384000, 398000),
                                     box(384000, 397000, 385000, 398000)], crs="EPSG:27700")
    declared = tmp_path / "declared.gpkg"
    bng.to_file(declared, engine="pyogrio")
    out = load_boundaries(declared)
    assert out.crs.to_epsg() == 4326
    minx, miny, maxx, maxy = out.total_bounds
    assert -2.3 < minx < maxx < -2.2 and 53.4 < miny < maxy < 53.5

    undeclared = tmp_path / "undeclared.parquet"
    bng.set_crs(None, allow_override=True).to_parquet(undeclared)
    out2 = load_boundaries(undeclared)
    assert any("British National Grid" in n for n in out2.attrs["notes"])
    assert out2.total_bounds == pytest.approx(out.total_bounds, abs=1e-6)


def test_invalid_polygon_repaired_and_empty_dropped_with_count(tmp_path):
    bowtie = Polygon([(0, 50), (1, 51), (1, 50), (0, 51), (0, 50)])
    assert not bowtie.is_valid
    gdf = gpd.GeoDataFrame({"lsoa21_code": ["E01000001", "E01000002", "E01000003"],
                            "lsoa21_name": ["bow", "ok", "empty"]},
                           geometry=[bowtie, box(2, 50, 3, 51), Polygon()], crs="EPSG:4326")
    path = tmp_path / "lsoa.parquet"
    gdf.to_parquet(path)
    out = load_boundaries(path)
    assert out["code"].tolist() == ["E01000001", "E01000002"]
    assert out.geometry.is_valid.all()
    assert set(out.geom_type) <= {"Polygon", "MultiPolygon"}
    assert out.geometry.iloc[0].area == pytest.approx(0.5)  # two triangles of 0.25
    notes = " ".join(out.attrs["notes"])
    assert "repaired 1 invalid" in notes and "dropped 1 area" in notes and "E01000003" in notes


def test_no_code_column_is_a_clear_error(tmp_path):
    gdf = gpd.GeoDataFrame({"colour": ["red"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    path = tmp_path / "x.parquet"
    gdf.to_parquet(path)
    with pytest.raises(ValueError, match="no area code column"):
        load_boundaries(path)


def test_cache_is_hit_the_second_time(tmp_path, monkeypatch):
    path = tmp_path / "wards.geojson"
    _squares().to_file(path, engine="pyogrio")
    first = load_boundaries(path)
    cached = list((tmp_path / "cache").glob("boundaries-wards-*.parquet"))
    assert len(cached) == 1

    def boom(_path):
        raise AssertionError("source re-read despite a warm cache")

    monkeypatch.setattr(boundaries, "_read_any", boom)
    second = load_boundaries(path)
    assert second["code"].tolist() == first["code"].tolist()
    # a changed source gets a new key, so the stale cache is not used
    monkeypatch.undo()
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(tmp_path / "cache"))
    _squares().iloc[:2].to_file(path, engine="pyogrio")
    assert len(load_boundaries(path)) == 2


def test_display_geometry_keeps_coverage_and_rounds():
    wiggly = Polygon([(0, 0)] + [(x / 100, 0.001 * (x % 2)) for x in range(1, 100)]
                     + [(1, 0), (1, 1), (0, 1)])
    below = Polygon([(0, 0), (1, 0)] + [(x / 100, 0.001 * (x % 2)) for x in range(99, 0, -1)]
                    ).union(box(0, -1, 1, 0))
    gdf = gpd.GeoDataFrame({"code": ["a", "b"], "name": ["A", "B"]},
                           geometry=[wiggly, below], crs="EPSG:4326")
    out = display_geometry(gdf, tolerance=0.01)
    assert len(out) == 2
    assert shapely.get_num_coordinates(out.geometry.to_numpy()).sum() < shapely.get_num_coordinates(
        gdf.geometry.to_numpy()).sum()
    assert shapely.coverage_is_valid(out.geometry.to_numpy())  # no gaps/overlaps introduced
    coords = shapely.get_coordinates(out.geometry.to_numpy())
    assert (abs(coords * 1e5 - (coords * 1e5).round()) < 1e-6).all()


def _mini_reference(root, ward_codes_in_file: list[str]) -> Reference:
    geo = root / "geography"
    geo.mkdir(parents=True)
    lsoas = gpd.GeoDataFrame(
        {"lsoa21_code": ["E01000001", "E01000002", "E01000003", "E01000004"],
         "lsoa21_name": ["a", "b", "c", "d"]},
        geometry=[box(0, 50, 1, 51), box(1, 50, 2, 51), box(2, 50, 3, 51), box(5, 50, 6, 51)],
        crs="EPSG:4326",
    )
    lsoas.to_parquet(geo / "lsoa_2021_mini.parquet")
    pd.DataFrame({
        "lsoa21_code": ["E01000001", "E01000002", "E01000003", "E01000004"],
        "ward24_code": ["E05000101", "E05000101", "E05000102", "E05000900"],
        "ward24_name": ["Westward", "Westward", "Eastward", "Elsewhere"],
        "ltla24_code": ["E07000001", "E07000001", "E07000001", "E07000002"],
        "ltla24_name": ["Mini", "Mini", "Mini", "Other"],
    }).to_csv(geo / "lookup_lsoa21_ward24_lad24.csv", index=False)
    wards = gpd.GeoDataFrame({"ward_code": ward_codes_in_file,
                              "ward_name": [f"w{i}" for i in range(len(ward_codes_in_file))]},
                             geometry=[box(0, 50, 2, 51), box(2, 50, 3, 51)][
                                 :len(ward_codes_in_file)], crs="EPSG:4326")
    wards.to_parquet(geo / "wards_2022_mini.parquet")
    return Reference(root)


def test_areas_for_lads_uses_matching_ward_file(tmp_path):
    ref = _mini_reference(tmp_path / "r", ["E05000101", "E05000102"])
    wards, warn = areas_for_lads(ref, ["E07000001"], unit="ward")
    assert warn == []
    assert sorted(wards["code"]) == ["E05000101", "E05000102"]
    assert set(wards["name"]) == {"Westward", "Eastward"}  # names from the lookup
    lsoas, warn = areas_for_lads(ref, ["E07000001"], unit="lsoa")
    assert sorted(lsoas["code"]) == ["E01000001", "E01000002", "E01000003"] and warn == []


def test_areas_for_lads_other_vintage_falls_back_to_dissolved_lsoas(tmp_path):
    ref = _mini_reference(tmp_path / "r", ["E05000001", "E05000002"])  # old codes
    wards, warn = areas_for_lads(ref, ["E07000001", "E09999999"], unit="ward")
    text = " ".join(warn)
    assert "drawn from the neighbourhoods" in text and "E09999999" in text
    # In words an officer reads (issue 24: "… hold 0 of the lookup's 20 ward codes"); with
    # ``notes`` the method goes there, not among the warnings.
    assert "lookup's" not in text and "vintage" not in text
    notes: list[str] = []
    _, warn = areas_for_lads(ref, ["E07000001"], unit="ward", notes=notes)
    assert warn == [] and notes == [DRAWN_FROM_NEIGHBOURHOODS]
    got = wards.set_index("code")
    assert got.loc["E05000101", "geometry"].area == pytest.approx(2.0)  # two unit squares
    assert got.loc["E05000102", "geometry"].area == pytest.approx(1.0)
    assert got.loc["E05000101", "lad_name"] == "Mini"


@pytest.mark.shared
def test_lancashire_ward_file_loads(monkeypatch):
    _use_user_cache(monkeypatch)
    path = shared_data_dir() / "geography" / "lancashire_wards" / "hyndburn_ward_boundaries.geojson"
    if not path.is_file():
        missing(f"shared data not found at {path}")
    out = load_boundaries(path)
    assert len(out) == 16
    assert out["code"].str.match(r"^E05\d{6}$").all()
    assert "Altham" in set(out["name"])
    assert out.crs.to_epsg() == 4326 and out.geometry.is_valid.all()
    lookup = pd.read_csv(shared_data_dir() / "geography" / "lookup_lsoa21_ward24_lad24.csv.gz")
    hyndburn = set(lookup.loc[lookup["ltla24_code"] == "E07000120", "ward24_code"])
    assert set(out["code"]) == hyndburn


@pytest.mark.shared
def test_real_lsoa_boundaries_come_back_the_same_from_the_cache(monkeypatch):
    # How long the cached load takes is measured by `python -m bench --only boundaries`.
    _use_user_cache(monkeypatch)
    ref = Reference(shared_data_dir())
    path = ref.find("lsoa21_boundaries")
    if path is None:
        missing("shared LSOA 2021 boundaries not found")
    fresh = load_boundaries(path, use_cache=False)
    load_boundaries(path)  # builds the cache when it is cold
    again = load_boundaries(path)
    assert len(again) == 35672
    assert again["code"].tolist() == fresh["code"].tolist()
    assert again["name"].tolist() == fresh["name"].tolist()
    assert again.crs == fresh.crs
    assert again.geometry.geom_equals_exact(fresh.geometry, tolerance=0).all()


def test_neighbourhoods_are_named_by_their_ward() -> None:
    """Issue 24: neighbourhoods shown as "<district> 023D"; named by the ward they are in."""
    from impact.places.boundaries import neighbourhood_names

    lookup = pd.DataFrame({
        "lsoa21_code": ["E01000003", "E01000001", "E01000002", "E01000009"],
        "ward_code": ["E05000001", "E05000001", "E05000002", None],
        "ward_name": ["Central", "Central", "Moor", None],
    })
    assert neighbourhood_names(lookup).to_dict() == {
        "E01000001": "part of Central ward (1 of 2)",
        "E01000002": "Moor ward",
        "E01000003": "part of Central ward (2 of 2)",
        "E01000009": "E01000009",  # no ward known: the code, never a blank
    }
