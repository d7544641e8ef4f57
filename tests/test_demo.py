"""The synthetic demo borough: reproducible, geographically sound, in the real layouts."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from impact.core.settings import demo_dir
from impact.ingest.schema import TRANSACTION_COLUMNS
from impact.places.reference import ROLES, Reference
from impact.synthetic.borough import generate_demo
from impact.synthetic.factories import (
    make_grid_areas,
    make_imd_table,
    make_transactions,
    rook_adjacency,
)
from tests._shared import missing, shared_data_dir

DEMO = demo_dir()
REF = DEMO / "reference"
SHARED = shared_data_dir()
#: Roles the demo does not ship: national economic tables and published LM3 figures.
NOT_IN_DEMO = {
    "io_multipliers",
    "lm3_published",
    # the public-body gazetteer's tables: without them the demo's councils come from its
    # district lookup and the declared national bodies (impact.places.gazetteer)
    "local_authorities",
    "local_authority_names",
    "local_authority_register",
    "government_organisations",
    "academy_trusts",
    "universities",
    "housing_providers",
    "charity_companies",
    "mutual_societies",
    "nhs_trusts",
    "employer_addresses",
    # the national registers are built by `impact fetch` (network or --from FILE), never
    # shipped: the demo locates from its own council register
    "companies_house",
    "charity_register",
    "schools",
}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate_demo(out)


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((DEMO / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lsoas() -> gpd.GeoDataFrame:
    geo = gpd.read_parquet(REF / "geography" / "lsoa_2021_demo.parquet")
    lookup = pd.read_csv(REF / "geography" / "lookup_lsoa21_ward24_lad24_demo.csv")
    return geo.merge(lookup.drop(columns="lsoa21_name"), on="lsoa21_code", how="left")


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _shared_header(rel: str) -> list[str]:
    path = SHARED / rel
    if not path.is_file():
        missing(f"real data not present at {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def _same_content(a: Path, b: Path) -> bool:
    """Byte-equal, except GeoParquet: its footer names the writing libraries' versions
    (pyarrow's ``created_by``, pandas' and geopandas' metadata), which a fresh install
    changes while the data stays the same — so compare the columns and the geometry
    metadata without the ``creator``."""
    if a.suffix != ".parquet":
        return a.read_bytes() == b.read_bytes()
    ta, tb = pq.read_table(a), pq.read_table(b)
    return (ta.replace_schema_metadata(None).equals(tb.replace_schema_metadata(None))
            and _geo_metadata(ta) == _geo_metadata(tb))


def _geo_metadata(table) -> dict:
    geo = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
    geo.pop("creator", None)
    return geo


def _demo_header(rel: str) -> list[str]:
    with (REF / rel).open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


# --------------------------------------------------------------------------- reproducibility


def test_committed_demo_is_exactly_the_generators_output(regenerated: tuple[Path, dict]) -> None:
    out, _ = regenerated
    made = _files(out)
    committed = {f for f in _files(DEMO) if f.split("/")[0] in {"spend", "reference"}
                 or "/" not in f}
    assert made == committed, f"stale or missing demo files: {sorted(made ^ committed)}"
    differ = [f for f in sorted(made) if not _same_content(out / f, DEMO / f)]
    assert not differ, f"regenerate with `impact demo`: {differ}"


def test_seed_changes_the_data(tmp_path: Path, regenerated: tuple[Path, dict]) -> None:
    out, summary = regenerated
    other = generate_demo(tmp_path, seed=7)
    assert other["amount_total"] != summary["amount_total"]
    assert (tmp_path / "spend/demo-spend-2024-04.csv").read_bytes() != (
        out / "spend/demo-spend-2024-04.csv").read_bytes()


def test_rerun_removes_files_from_its_own_manifest_only(
    tmp_path: Path, regenerated: tuple[Path, dict]
) -> None:
    shutil.copytree(regenerated[0], tmp_path, dirs_exist_ok=True)
    stale = tmp_path / "spend" / "demo-spend-2024-04.csv"
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    manifest = json.loads((tmp_path / "expected.json").read_text())["manifest"]
    assert "spend/demo-spend-2024-04.csv" in manifest
    stale.write_text("tampered")
    generate_demo(tmp_path)
    assert mine.read_text() == "keep me"
    assert stale.read_text() != "tampered"


def test_size_is_small() -> None:
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total <= 5 * 1024 * 1024, f"demo is {total / 1e6:.1f} MB"


def test_readme_says_synthetic() -> None:
    text = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in text.lower() and "impact demo" in text
    assert "No real council" in text


# --------------------------------------------------------------------------- geography


def test_every_reference_role_is_found() -> None:
    found = Reference(REF).available()
    missing = [r for r, p in found.items() if p is None and r not in NOT_IN_DEMO]
    assert not missing
    assert set(ROLES) - set(found) == set()
    real_names = {p.name for p in SHARED.rglob("*")} if SHARED.is_dir() else set()
    assert not {p.name for p in found.values() if p is not None} & real_names


def test_coverage_is_valid_and_gap_free(lsoas: gpd.GeoDataFrame) -> None:
    geoms = lsoas.geometry.values
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(shapely.area(geoms).sum(), rel=1e-9)
    coords = shapely.get_coordinates(geoms)
    assert np.array_equal(coords, np.round(coords, 5))
    assert lsoas.crs.to_epsg() == 4326


def test_counts_and_nesting(lsoas: gpd.GeoDataFrame) -> None:
    borough = lsoas[lsoas["ltla24_code"] == "E09999999"]
    assert len(borough) == 100 and borough["ward24_code"].nunique() == 20
    assert lsoas["ward24_code"].notna().all() and lsoas["lsoa21_code"].is_unique
    per_lad = lsoas.groupby("ltla24_code").agg(n=("lsoa21_code", "size"),
                                               wards=("ward24_code", "nunique"))
    neighbours = per_lad.drop("E09999999")
    assert len(neighbours) == 3
    assert neighbours["n"].between(10, 15).all() and neighbours["wards"].between(3, 4).all()
    # each ward belongs to one LAD, and the ward/LAD polygons contain exactly their LSOAs
    assert (lsoas.groupby("ward24_code")["ltla24_code"].nunique() == 1).all()
    for layer, code in (("wards_2024_demo", "ward24_code"), ("lad_2024_demo", "ltla24_code")):
        polys = gpd.read_parquet(REF / "geography" / f"{layer}.parquet")
        assert shapely.coverage_is_valid(polys.geometry.values)
        inside = gpd.sjoin(gpd.GeoDataFrame(lsoas[["lsoa21_code", code]],
                                            geometry=lsoas.representative_point()),
                           polys, predicate="within")
        assert inside["lsoa21_code"].is_unique and len(inside) == len(lsoas)
        assert (inside[f"{code}_left"] == inside[f"{code}_right"]).all()


def test_neighbours_share_edges_with_the_borough() -> None:
    lads = gpd.read_parquet(REF / "geography" / "lad_2024_demo.parquet")
    adj = rook_adjacency(lads.geometry.values).toarray()
    borough = int(np.flatnonzero(lads["ltla24_code"] == "E09999999")[0])
    assert adj[borough].sum() == 3


def test_borough_is_inland_england_and_a_few_km_across(lsoas: gpd.GeoDataFrame) -> None:
    minx, miny, maxx, maxy = lsoas[lsoas["ltla24_code"] == "E09999999"].total_bounds
    assert 52.0 < miny < maxy < 54.5 and -2.5 < minx < maxx < -1.0
    km_x = (maxx - minx) * 111.32 * np.cos(np.radians(miny))
    assert 5 < km_x < 25 and 5 < (maxy - miny) * 110.57 < 25


# --------------------------------------------------------------------------- deprivation


@pytest.mark.shared
def test_iod_layouts_match_the_real_files() -> None:
    assert _demo_header("imd/imd2025_lsoa21_scores_demo.csv") == _shared_header(
        "imd/imd2025_lsoa21_scores_ranks_deciles.csv.gz")
    assert _demo_header("imd/imd2019_lsoa11_File_2_demo.csv") == _shared_header(
        "imd/imd2019_lsoa11_File_2_domains_ranks_deciles.csv.gz")
    assert _demo_header("imd/imd2019_lsoa11_File_1_demo.csv") == _shared_header(
        "imd/imd2019_lsoa11_File_1_IMD.csv.gz")
    summary = _demo_header("imd/imd2025_lad_summary_demo.csv")
    real = _shared_header("imd/imd2025_lad24_summary.csv")
    assert set(summary) <= set(real)
    assert [c for c in real if c in summary] == summary  # same relative order


@pytest.mark.shared
@pytest.mark.parametrize(("demo", "real"), [
    ("geography/lookup_lsoa21_ward24_lad24_demo.csv",
     "geography/lookup_lsoa21_ward24_lad24.csv.gz"),
    ("geography/lookup_lsoa11_lsoa21_demo.csv", "geography/lookup_lsoa11_lsoa21_lad22.csv.gz"),
    ("geography/lookup_lad24_region24_demo.csv", "geography/lookup_lad24_region24.csv"),
    ("geography/population_lsoa21_demo.csv", "geography/population_census2021_lsoa21.csv.gz"),
    ("geography/postcodes_demo.csv", "geography/postcode_latlon_nspl_may2025_uk.csv.gz"),
])
def test_lookup_layouts_match_the_real_files(demo: str, real: str) -> None:
    assert _demo_header(demo) == _shared_header(real)


def test_iod_deciles_spread_and_spatial_pattern(lsoas: gpd.GeoDataFrame) -> None:
    imd = pd.read_csv(REF / "imd" / "imd2025_lsoa21_scores_demo.csv").set_index("lsoa21_code")
    imd = imd.loc[lsoas["lsoa21_code"]]
    borough = imd[(lsoas["ltla24_code"] == "E09999999").to_numpy()]
    assert set(borough["IMD_decile"]) == set(range(1, 11))
    assert 3 <= (borough["IMD_decile"] == 1).sum() <= 25
    # decile and rank agree with the national count
    assert ((np.ceil(imd["IMD_rank"] / 33_755 * 10)) == imd["IMD_decile"]).all()
    # a neighbour's score predicts one's own (deprived core, affluent edge)
    adj = rook_adjacency(lsoas.geometry.values)
    score = imd["IMD_score"].to_numpy()
    lag = adj @ score / np.asarray(adj.sum(axis=1)).ravel()
    assert np.corrcoef(score, lag)[0, 1] > 0.6
    # domains correlated but not identical
    corr = imd.filter(like="_score").corr()["IMD_score"]
    assert 0.8 < corr["Income_score"] < 0.999
    assert corr["Environment_score"] < corr["Income_score"]
    assert (imd["Income_rank"] != imd["IMD_rank"]).any()


def test_iod2019_links_through_the_lsoa11_lookup(lsoas: gpd.GeoDataFrame) -> None:
    file2 = pd.read_csv(REF / "imd" / "imd2019_lsoa11_File_2_demo.csv", encoding="utf-8-sig")
    lookup = pd.read_csv(REF / "geography" / "lookup_lsoa11_lsoa21_demo.csv")
    assert set(file2["LSOA code (2011)"]) == set(lookup["lsoa11_code"])
    assert set(lookup["lsoa21_code"]) == set(lsoas["lsoa21_code"])
    imd25 = pd.read_csv(REF / "imd" / "imd2025_lsoa21_scores_demo.csv")
    both = file2.merge(imd25, left_on="LSOA code (2011)", right_on="lsoa21_code")
    rho = both["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"].corr(
        both["IMD_rank"], method="spearman")
    assert 0.8 < rho < 1.0


# --------------------------------------------------------------------------- suppliers


def _norm(name: pd.Series) -> pd.Series:
    out = name.str.upper().str.replace(r"[^A-Z0-9& ]", " ", regex=True)
    out = out.str.replace(r"\b(LTD|LIMITED|PLC|LLP|CIC)\b", " ", regex=True)
    return out.str.split().str.join(" ")


def test_every_supplier_can_be_located() -> None:
    truth = pd.read_csv(DEMO / "expected_suppliers.csv", dtype=str, keep_default_na=False)
    register = pd.read_csv(DEMO / "supplier_register.csv", dtype=str, keep_default_na=False)
    companies = pd.read_csv(REF / "suppliers" / "demo_companies_register.csv", dtype=str,
                            keep_default_na=False)
    postcodes = pd.read_csv(REF / "geography" / "postcodes_demo.csv", dtype=str)
    assert postcodes["postcode"].str.fullmatch(r"ZZ[1-9] \d[A-Z]{2}").all()
    assert postcodes["postcode"].is_unique
    payees = truth[truth["kind"] != "redacted"]
    assert 250 <= len(payees) <= 350
    assert 0.7 <= payees["supplier_id"].isin(register["supplier_id"]).mean() <= 0.9
    by_id = payees["supplier_id"].isin(register.loc[register["postcode"] != "", "supplier_id"])
    by_name = _norm(payees["supplier_name"]).isin(set(_norm(companies["supplier_name"])))
    assert (by_id | by_name).all(), payees.loc[~(by_id | by_name), "supplier_name"].tolist()
    assert payees["postcode"].isin(postcodes["postcode"]).all()
    assert companies["postcode"].isin(postcodes["postcode"]).all()
    assert set(payees["kind"]) == {"company", "charity", "public", "sole_trader"}
    assert (payees["variant_of"] != "").sum() >= 5
    assert {"Ltd", "Limited", "PLC", "LLP", "CIC"} <= set(payees["legal_form"])


def test_supplier_locations_match_the_polygons(lsoas: gpd.GeoDataFrame) -> None:
    truth = pd.read_csv(DEMO / "expected_suppliers.csv", dtype=str, keep_default_na=False)
    postcodes = pd.read_csv(REF / "geography" / "postcodes_demo.csv")
    pts = truth[truth["kind"] != "redacted"].merge(postcodes, on="postcode")
    pts = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["long"], pts["lat"]),
                           crs=lsoas.crs)
    hit = gpd.sjoin(pts, lsoas[["lsoa21_code", "geometry"]], how="left", predicate="within")
    elsewhere = hit["band"] == "elsewhere"
    assert hit.loc[elsewhere, "index_right"].isna().all()
    assert (hit.loc[~elsewhere, "lsoa21_code_right"] == hit.loc[~elsewhere, "lsoa21_code_left"]
            ).all()


# --------------------------------------------------------------------------- spend files


def _parse_amount(text: pd.Series) -> pd.Series:
    neg = text.str.startswith("(")
    value = text.str.strip("()").str.replace(",", "", regex=False).astype(float)
    return value.where(~neg, -value)


def test_spend_files_hold_exactly_the_expected_rows(expected: dict) -> None:
    assert len(expected["files"]) == 16
    for rel, facts in expected["files"].items():
        raw = (DEMO / rel).read_bytes()
        text = raw.decode(facts["encoding"])
        assert ("\r\n" in text) == (facts["newline"] == "\r\n"), rel
        lines = text.splitlines()
        assert len(lines) == facts["lines"], rel
        skip = {d["line"] for d in facts["non_data_lines"]}
        header = next(csv.reader([lines[facts["header_line"] - 1]]))
        body = [ln for i, ln in enumerate(lines, start=1) if i not in skip]
        frame = pd.read_csv(io.StringIO("\n".join(body)), header=None, dtype=str,
                            keep_default_na=False)
        frame.columns = range(frame.shape[1])
        assert len(frame) == facts["data_rows"], rel
        amount_col = next(i for i, h in enumerate(header) if re.match(r"(Net )?Amount", h))
        total = _parse_amount(frame[amount_col]).sum()
        assert total == pytest.approx(facts["amount_total"], abs=0.005), rel
        assert (_parse_amount(frame[amount_col]) < 0).sum() == facts["credit_rows"], rel


def test_spend_messes_are_present(expected: dict) -> None:
    files = expected["files"]
    june = (DEMO / "spend/demo-spend-2024-06.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        june.decode("utf-8")
    assert "Net Amount (£)" in june.decode("cp1252")
    assert [d["kind"] for d in files["spend/demo-spend-2024-07.csv"]["non_data_lines"]] == [
        "preamble", "preamble", "header"]
    assert {d["kind"] for d in files["spend/demo-spend-2024-08.csv"]["non_data_lines"]} == {
        "header", "repeated_header", "total"}
    assert re.search(r",\d\d/\d\d/\d\d,", (DEMO / "spend/demo-spend-2024-09.csv").read_text())
    october = (DEMO / "spend/demo-spend-2024-10.csv").read_text()
    assert re.search(r'"\d{1,3}(,\d{3})+\.\d\d"', october) and '"(' in october
    assert ",," in (DEMO / "spend/demo-spend-2024-11.csv").read_text().splitlines()[0]
    dup = expected["duplicates"][0]
    for rel in dup["files"]:
        assert f",{dup['transaction_id']}," in (DEMO / rel).read_text(
            encoding=files[rel]["encoding"])


def test_spend_summary_is_plausible(expected: dict) -> None:
    s = expected["summary"]
    assert 15_000 <= s["data_rows"] <= 25_000
    assert s["data_rows"] == s["unique_transactions"] + 1
    assert sum(f["data_rows"] for f in expected["files"].values()) == s["data_rows"]
    assert 0.35 <= s["value_share_by_band"]["borough"] <= 0.45
    assert s["credit_rows"] > 0 and s["redacted_rows"] > 0 and s["card_rows"] > 0


# --------------------------------------------------------------------------- factories


def test_grid_areas_are_a_valid_coverage_with_rook_neighbours() -> None:
    grid = make_grid_areas(3, 2)
    assert len(grid) == 6 and grid["code"].tolist()[0] == "E01990001"
    assert shapely.coverage_is_valid(grid.geometry.values)
    degree = np.asarray(rook_adjacency(grid.geometry.values).sum(axis=1)).ravel()
    assert degree.tolist() == [2, 3, 2, 2, 3, 2]  # corners touch 2, middles 3 (no diagonals)


def test_imd_table_and_transactions_factories() -> None:
    rng = np.random.default_rng(0)
    codes = [f"E0199{i:04d}" for i in range(1, 51)]
    table = make_imd_table(codes, rng)
    assert table.columns[0] == "lsoa21_code" and len(table.columns) == 25
    assert table["IMD_decile"].between(1, 10).all()
    # rank 1 = most deprived: higher scores have lower ranks
    assert table["IMD_score"].corr(table["IMD_rank"], method="spearman") < -0.99
    tx = make_transactions(20, rng)
    assert list(tx.columns) == list(TRANSACTION_COLUMNS) and (tx["amount"] >= 500).all()


def test_neighbours_fill_a_wide_frame_round_a_tall_council(lsoas: gpd.GeoDataFrame) -> None:
    # A tall council on the projector's 1600 × 680 map: the grey neighbours are clipped to a
    # window as wide as the frame shows, not to a strip as wide as the council.
    from impact.places.councils import WIDEST_FRAME, frame_window, neighbouring_districts

    kx = np.cos(np.radians(53.6))
    tall = frame_window((-2.40, 53.5, -2.40 + 0.1 / kx, 53.7), margin=0.6).bounds
    assert (tall[2] - tall[0]) * kx == pytest.approx(0.2 * WIDEST_FRAME * 2.2, rel=0.01)
    wide = frame_window((-2.40, 53.5, -2.40 + 0.4 / kx, 53.6), margin=0.6).bounds
    assert wide[3] - wide[1] == pytest.approx(0.4 * 2.2, rel=0.01)  # square at least

    wards = gpd.read_parquet(REF / "geography" / "wards_2024_demo.parquet")
    ours = lsoas.loc[lsoas["ltla24_code"] == "E09999999", "ward24_code"]
    wards = wards[wards["ward24_code"].isin(ours)]
    x0, y0 = wards.total_bounds[:2]
    thin = wards.set_geometry(wards.geometry.scale(xfact=0.3, yfact=1.0, origin=(x0, y0)))
    near = neighbouring_districts(Reference(REF), ["E09999999"], thin)
    assert len(near) == 3 and not near["code"].eq("E09999999").any()
