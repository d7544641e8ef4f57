"""IoD loading in both layouts, the 2011→2021 bridge and LSOA → ward/LAD aggregation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.places.deprivation import (
    DOMAINS,
    aggregate,
    bridge_lsoa11_to_lsoa21,
    load_imd2019,
    load_imd2025,
    load_lad_summary,
)
from tests._shared import missing, shared_data_dir

SHARED = shared_data_dir()


def _need_shared() -> None:
    if not (SHARED / "imd").is_dir():
        missing(f"shared data not found at {SHARED}")


# --- layouts -------------------------------------------------------------------------------

def _file7_2021_header() -> list[str]:
    cols = ["LSOA code (2021)", "LSOA name (2021)", "Local Authority District code (2024)",
            "Local Authority District name (2024)"]
    names = ["Index of Multiple Deprivation (IMD)", "Income", "Employment",
             "Education, Skills and Training", "Health Deprivation and Disability", "Crime",
             "Barriers to Housing and Services", "Living Environment"]
    for name in names:
        score = f"{name} Score (rate)" if name in ("Income", "Employment") else f"{name} Score"
        cols += [score, f"{name} Rank (where 1 is most deprived)",
                 f"{name} Decile (where 1 is most deprived 10% of LSOAs)"]
    return [*cols, "Income Deprivation Affecting Children Index (IDACI) Score (rate)"]


def test_load_imd2025_official_file7_layout(tmp_path):
    header = _file7_2021_header()
    rows = [["E01000001", "City of London 001A", "E09000001", "City of London"]
            + ["8.742", "26,525", "8"] + ["0.013", "33730", "10"] * 7 + ["0.02"],
            ["E01000002", "City of London 001B", "E09000001", "City of London"]
            + ["4.722", "31203", "10"] + ["0.018", "33669", "10"] * 7 + ["0.03"]]
    path = tmp_path / "File_7_IoD2025.csv"
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    imd = load_imd2025(path)
    expected = ["lsoa21_code"] + [f"{p}_{m}" for p in ("imd", *DOMAINS)
                                  for m in ("score", "rank", "decile")]
    assert list(imd.columns) == expected
    assert imd["imd_rank"].tolist() == [26525, 31203]
    assert imd["imd_score"].tolist() == [8.742, 4.722]
    assert imd["housing_decile"].tolist() == [10, 10]


def test_load_imd2025_refuses_lsoa11_and_duplicates(tmp_path):
    p = tmp_path / "old.csv"
    pd.DataFrame({"LSOA code (2011)": ["E01000001"],
                  "Index of Multiple Deprivation (IMD) Score": [1.0]}).to_csv(p, index=False)
    with pytest.raises(ValueError, match="LSOA 2011"):
        load_imd2025(p)
    p2 = tmp_path / "dup.csv"
    pd.DataFrame({"lsoa21_code": ["E01000001", "E01000001"], "IMD_score": [1, 2]}).to_csv(
        p2, index=False)
    with pytest.raises(ValueError, match="share an LSOA code"):
        load_imd2025(p2)


def test_load_imd2019_file1_quoted_ranks(tmp_path):
    f1 = tmp_path / "File_1.csv"
    f1.write_text(
        "\ufeffLSOA code (2011),LSOA name (2011),Local Authority District code (2019),"
        "Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,"
        "Index of Multiple Deprivation (IMD) Decile\n"
        'E01000001,City of London 001A,E09000001,City of London,"29,199",9\n'
        'E01000002,City of London 001B,E09000001,City of London,"30,379",10\n',
        encoding="utf-8",
    )
    f2 = tmp_path / "File_2.csv"
    pd.DataFrame({
        "LSOA code (2011)": ["E01000001", "E01000002"],
        "Income Rank (where 1 is most deprived)": [32831, 29901],
        "Income Decile (where 1 is most deprived 10% of LSOAs)": [10, 10],
    }).to_csv(f2, index=False)
    out = load_imd2019(f2, f1)
    assert out["imd_rank"].tolist() == [29199, 30379]
    assert out["imd_decile"].tolist() == [9, 10]
    assert out["income_rank"].tolist() == [32831, 29901]


# --- bridge ---------------------------------------------------------------------------------

def test_bridge_unchanged_split_merged():
    imd19 = pd.DataFrame({
        "lsoa11_code": ["A11", "B11", "C11", "D11", "Z11"],
        "imd_rank": pd.array([100, 200, 300, 50, 7], dtype="Int64"),
        "imd_decile": pd.array([1, 2, 3, 1, 1], dtype="Int64"),
    })
    lookup = pd.DataFrame({
        "lsoa11_code": ["A11", "B11", "B11", "C11", "D11"],
        "change_code": ["U", "S", "S", "M", "M"],
        "lsoa21_code": ["A21", "B21a", "B21b", "CD21", "CD21"],
    })
    out, warning = bridge_lsoa11_to_lsoa21(imd19, lookup)
    out = out.set_index("lsoa21_code")
    assert out.loc["A21", "imd_rank"] == 100  # unchanged: copied
    assert out.loc["B21a", "imd_rank"] == out.loc["B21b", "imd_rank"] == 200  # split: inherit
    assert out.loc["CD21", "imd_rank"] == 50  # merged: most deprived parent
    assert out.loc["CD21", "imd_decile"] == 1 and out.loc["CD21", "n_lsoa11"] == 2
    assert out.loc["CD21", "change_code"] == "M"
    assert "Z11" not in out.index and len(out) == 4
    assert "not directly comparable" in warning and "1 LSOA 2011 codes" in warning


# --- aggregation ----------------------------------------------------------------------------

def _tiny():
    imd = pd.DataFrame({
        "lsoa21_code": ["L1", "L2", "L3", "L4"],
        "imd_score": [40.0, 20.0, 10.0, 30.0],
        "imd_rank": pd.array([100, 2000, 9000, 500], dtype="Int64"),
        "imd_decile": pd.array([1, 2, 5, 1], dtype="Int64"),
        "income_score": [0.3, 0.1, np.nan, 0.2],
    })
    lookup = pd.DataFrame({
        "lsoa21_code": ["L1", "L2", "L3", "L4"],
        "ward24_code": ["W1", "W1", "W2", "W2"], "ward24_name": ["One", "One", "Two", "Two"],
        "ltla24_code": ["D1"] * 4, "ltla24_name": ["District"] * 4,
    })
    population = pd.DataFrame({"lsoa21_code": ["L1", "L2", "L3", "L4"],
                               "total_residents": [1000, 3000, 1500, 500]})
    return imd, lookup, population


def test_aggregate_hand_worked_wards():
    imd, lookup, population = _tiny()
    out = aggregate(imd, lookup, population, "ward").set_index("code")
    # W1: (40*1000 + 20*3000) / 4000 = 25; ranks (100*1000 + 2000*3000)/4000 = 1525
    assert out.loc["W1", "imd_score"] == pytest.approx(25.0)
    assert out.loc["W1", "imd_rank"] == pytest.approx(1525.0)
    assert out.loc["W1", "share_lsoa_decile1"] == 0.5
    assert out.loc["W1", "share_pop_decile1"] == pytest.approx(0.25)
    assert out.loc["W1", "share_lsoa_decile1_2"] == 1.0
    assert out.loc["W1", "worst_decile"] == 1 and out.loc["W1", "population"] == 4000
    # W2: (10*1500 + 30*500)/2000 = 15; income only from L4 (L3 missing) = 0.2
    assert out.loc["W2", "imd_score"] == pytest.approx(15.0)
    assert out.loc["W2", "income_score"] == pytest.approx(0.2)
    assert out.loc["W2", "share_pop_decile1"] == pytest.approx(0.25)
    assert out.loc["W2", "lad_code"] == "D1" and out.loc["W2", "name"] == "Two"
    assert out["population_weighted"].all() and out["n_lsoa"].tolist() == [2, 2]


def test_aggregate_without_population_is_simple_mean_and_flagged():
    imd, lookup, _ = _tiny()
    out = aggregate(imd, lookup, None, "lad").set_index("code")
    assert out.loc["D1", "imd_score"] == pytest.approx(25.0)  # (40+20+10+30)/4
    assert not out.loc["D1", "population_weighted"]
    assert pd.isna(out.loc["D1", "population"])
    assert out.loc["D1", "share_lsoa_decile1"] == 0.5
    with pytest.raises(ValueError, match="level"):
        aggregate(imd, lookup, None, "region")


def test_aggregate_partial_population_falls_back_per_area():
    imd, lookup, population = _tiny()
    out = aggregate(imd, lookup, population[population["lsoa21_code"] != "L3"], "ward")
    out = out.set_index("code")
    assert out.loc["W1", "population_weighted"]
    assert not out.loc["W2", "population_weighted"]
    assert out.loc["W2", "imd_score"] == pytest.approx(20.0)  # simple mean of 10 and 30


# --- real data ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lad_check():
    _need_shared()
    imd = load_imd2025(SHARED / "imd" / "imd2025_lsoa21_scores_ranks_deciles.csv.gz")
    lookup = pd.read_csv(SHARED / "geography" / "lookup_lsoa21_ward24_lad24.csv.gz")
    population = pd.read_csv(SHARED / "geography" / "population_census2021_lsoa21.csv.gz")
    agg = aggregate(imd, lookup, population, "lad")
    summary = load_lad_summary(SHARED / "imd" / "imd2025_lad24_summary.csv")
    merged = agg.merge(summary, left_on="code", right_on="lad_code", how="outer", indicator=True)
    return imd, merged


@pytest.mark.shared
def test_share_in_most_deprived_decile_matches_mhclg_for_all_lads(lad_check):
    imd, m = lad_check
    assert len(imd) == 33755
    assert (m["_merge"] == "both").all() and len(m) == 296
    published = m["imd_proportion_of_lso_as_in_most_deprived_10_percent_nationally"]
    ours = m["share_lsoa_decile1"]
    exact = (ours.round(4) == published).sum()
    # 295 agree to all 4 decimals; West Northamptonshire (5 of 237 LSOAs = 0.02110) is
    # published as 0.021, i.e. to 3 decimals, so every LAD agrees within 1e-4.
    assert exact >= 295, f"{exact} of 296 match exactly"
    assert (ours - published).abs().max() < 1e-4


@pytest.mark.shared
def test_population_weighted_scores_close_to_mhclg(lad_check):
    _, m = lad_check
    diff = (m["imd_score"] - m["imd_average_score"]).abs()
    # MHCLG weights by mid-2022 estimates; Census 2021 residents stand in for them here.
    print(f"|score difference|: max {diff.max():.3f}, median {diff.median():.3f}, "
          f"95th pct {diff.quantile(0.95):.3f}")
    assert (diff <= 0.5).mean() >= 0.99
    assert diff.median() < 0.1
    assert m["population_weighted"].all()


@pytest.mark.shared
def test_real_imd2019_files_and_bridge():
    _need_shared()
    imd19 = load_imd2019(SHARED / "imd" / "imd2019_lsoa11_File_2_domains_ranks_deciles.csv.gz",
                         SHARED / "imd" / "imd2019_lsoa11_File_1_IMD.csv.gz")
    assert len(imd19) == 32844
    assert imd19.set_index("lsoa11_code").loc["E01000001", "imd_rank"] == 29199
    assert imd19["imd_rank"].min() == 1 and imd19["imd_rank"].max() == 32844
    lookup = pd.read_csv(SHARED / "geography" / "lookup_lsoa11_lsoa21_lad22.csv.gz")
    bridged, warning = bridge_lsoa11_to_lsoa21(imd19, lookup)
    assert len(bridged) == 33755 and bridged["imd_rank"].notna().all()
    assert "merged" in warning


def test_weights_are_populations_only_where_the_whole_area_has_them():
    from impact.places.deprivation import _lsoas_in_areas

    imd, lookup, population = _tiny()
    extra = pd.concat([imd, imd.head(1).assign(lsoa21_code="L9")], ignore_index=True)
    lsoas, unmatched = _lsoas_in_areas(
        extra, lookup, population[population["lsoa21_code"] != "L3"], "ward")
    weights = dict(zip(lsoas.frame["lsoa21_code"], lsoas.weights, strict=True))
    # W1 has every population; W2 lacks L3's, so both its LSOAs weigh the same
    assert weights == {"L1": 1000.0, "L2": 3000.0, "L3": 1.0, "L4": 1.0}
    assert unmatched == 1  # L9 is in no ward of the lookup


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8-sig"])
def test_iod_tables_in_any_encoding_read_alike(tmp_path, encoding):
    """IoD tables are read through the one decoder, like every spend file: an Excel
    re-save (UTF-16, Windows-1252) reads the same as the published UTF-8."""
    imd_path, summary_path = tmp_path / "imd.csv", tmp_path / "summary.csv"
    imd_path.write_bytes(
        ("lsoa21_code,IMD_score,IMD_rank,IMD_decile\n"
         "E01000001,8.742,26525,8\nE01000002,,31203,10\n").encode(encoding))
    summary_path.write_bytes(
        ("LTLA24_code,LTLA24_name,IMD - Average score\n"
         "E07000120,Hyndburn – Accrington,30.5\n").encode(encoding))
    imd = load_imd2025(imd_path)
    assert imd["lsoa21_code"].tolist() == ["E01000001", "E01000002"]
    assert imd["imd_rank"].tolist() == [26525, 31203]
    assert imd["imd_score"].isna().tolist() == [False, True]  # a blank stays missing
    summary = load_lad_summary(summary_path)
    assert summary.loc[0, "lad_name"] == "Hyndburn – Accrington"
    assert summary.loc[0, "imd_average_score"] == 30.5
