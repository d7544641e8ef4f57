"""The per-area table, the one-call analysis and the ``impact areas`` command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.analysis.leftbehind import (
    AreaInputs,
    AreaSettings,
    analyse_areas,
    build_area_table,
)
from impact.cli import main
from impact.core.settings import demo_dir
from impact.outputs import labels
from impact.places.boundaries import read_lsoa_lookup
from impact.places.reference import Reference

DEMO_LAD = "E09999999"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(tmp_path / "cache"))


def _ref() -> Reference:
    return Reference(demo_dir() / "reference")


def _suppliers(ref: Reference, seed: int = 0, n: int = 120) -> pd.DataFrame:
    """Located suppliers spread over the demo LSOAs (some public, some unplaced)."""
    rng = np.random.default_rng(seed)
    lk = read_lsoa_lookup(ref.require("lookup_lsoa21_ward_lad"))
    lsoa = lk["lsoa21_code"].to_numpy()[rng.integers(0, len(lk), n)]
    cls = rng.choice(["company", "vcse", "public_body", "unknown"], n, p=[0.6, 0.2, 0.1, 0.1])
    located = rng.random(n) > 0.1
    return pd.DataFrame(
        {
            "supplier_key": [f"S{k}" for k in range(n)],
            "council": "Demo Borough Council",
            "spend": np.round(rng.lognormal(9, 1.2, n), 2),
            "is_located": located,
            "lsoa21_code": np.where(located, lsoa, None),
            "supplier_class": cls,
        }
    )


def test_table_accounts_for_spend_and_people():
    ref = _ref()
    sup = _suppliers(ref)
    table, member, notes = build_area_table(AreaInputs(ref, (DEMO_LAD,), suppliers=sup))
    assert len(table) == 20 and table["in_council"].all()
    assert set(member["code"]) == set(table["code"])
    lk = read_lsoa_lookup(ref.require("lookup_lsoa21_ward_lad"))
    inside = sup["lsoa21_code"].map(lk.set_index("lsoa21_code")["lad_code"]).eq(DEMO_LAD)
    # public bodies count like every supplier: the spend is of the payments shown, and the
    # influenceable switch (a filter) is what leaves them out, for every figure alike
    kept = sup["is_located"] & inside
    assert table["spend"].sum() == pytest.approx(sup.loc[kept, "spend"].sum())
    assert table["spend_share"].sum() == pytest.approx(1.0)
    assert np.allclose(table["spend_per_resident"], table["spend"] / table["population"])
    assert any("placed at an area" in n for n in notes)
    assert any("outside the areas compared" in n for n in notes)


def test_without_enough_placed_no_area_is_left_behind_and_reach_is_not_scored():
    ref = _ref()
    inputs = AreaInputs(ref, (DEMO_LAD,), suppliers=_suppliers(ref), reach_known=False)
    res = analyse_areas(inputs, AreaSettings())
    assert not res.table["left_behind"].any()
    assert any("no area is called left behind" in w for w in res.warnings)
    assert res.ranking["gap"].isna().all() and (res.ranking["gap_points"] == 0).all()
    assert res.ranking["score"].max() <= 100 and "not known yet" in res.ranking["reason"][0]


def test_analysis_runs_and_repeats_exactly():
    ref = _ref()
    inputs = AreaInputs(ref, (DEMO_LAD,), suppliers=_suppliers(ref))
    settings = AreaSettings()
    a = analyse_areas(inputs, settings)
    b = analyse_areas(inputs, settings)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert t["cluster"].between(1, a.kmeans.k).all()
    assert t["cluster_profile"].str.len().gt(0).all()
    assert set(a.silhouettes["k"]) == set(range(2, 9))
    assert {"deprivation", "spend"} <= set(a.hotspots)
    assert a.ranking["rank"].tolist() == list(range(1, 21))
    assert a.ranking["score"].is_monotonic_decreasing
    assert a.target.unit == "ward" and len(a.target.codes) == 10
    assert set(a.features["feature"]) == set(settings.features)
    assert {"clusters", "regions", "left_behind", "opportunity"} <= set(a.how_calculated)
    # cluster 1 is the most deprived kind of area
    means = t.groupby("cluster")["imd_score"].mean()
    assert means.idxmax() == 1
    assert set(a.cluster_chart["cluster"]) == set(t["cluster"])


def test_lsoa_unit_wider_scope_and_no_spend():
    ref = _ref()
    lads = tuple(read_lsoa_lookup(ref.require("lookup_lsoa21_ward_lad"))["lad_code"].unique())
    res = analyse_areas(
        AreaInputs(ref, (DEMO_LAD,), scope=lads, unit="lsoa"),
        AreaSettings(n_regions=5),
    )
    assert len(res.table) == 138 and res.table["in_council"].sum() == 100
    assert res.table["region"].nunique() == 5
    assert len(res.ranking) == 100  # only the council's own areas are ranked
    assert not res.table["left_behind"].any()
    assert any("left out of the clustering" in w for w in res.warnings)


def test_england_scope_without_spend_compares_every_area_with_iod():
    ref = _ref()
    table, member, notes = build_area_table(AreaInputs(ref, (DEMO_LAD,), scope=("england",)))
    lk = read_lsoa_lookup(ref.require("lookup_lsoa21_ward_lad"))
    assert set(table["lad_code"]) == set(lk["lad_code"]) and len(table) == 30
    assert table["in_council"].sum() == 20
    assert set(member["code"]) == set(table["code"])
    for col in ("spend", "n_suppliers", "spend_per_resident", "suppliers_per_1000"):
        assert table[col].isna().all()  # no spend layer: blank, never zero
    assert not any("£" in n for n in notes)


def test_hotspots_can_be_left_out():
    ref = _ref()
    res = analyse_areas(AreaInputs(ref, (DEMO_LAD,), suppliers=_suppliers(ref)),
                        AreaSettings(hotspots=False, k=3))
    assert res.hotspots == {} and "deprivation_spot" not in res.table
    assert res.kmeans.k == 3 and res.table["region"].nunique() == 3
    assert not any(k.startswith("hotspots_") for k in res.how_calculated)


def test_bad_inputs_give_clear_errors(tmp_path):
    ref = _ref()
    with pytest.raises(ValueError, match="not in the LSOA lookup"):
        build_area_table(AreaInputs(ref, ("E09000000",)))
    with pytest.raises(ValueError, match="unknown feature"):
        analyse_areas(AreaInputs(ref, (DEMO_LAD,)), AreaSettings(features=("wealth",)))
    assert main(["areas", str(tmp_path), "--reference", str(ref.root), "--out", "x.csv"]) == 2


def test_command_writes_one_row_per_area(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IMPACT_WORKSPACE_DIR", str(tmp_path / "ws"))
    out = tmp_path / "areas.csv"
    assert main(["areas", "demo", "--out", str(out)]) == 0
    csv = pd.read_csv(out, encoding="utf-8-sig")  # in words, as the page's download
    assert len(csv) == 20 and csv[labels.column("code")].is_unique
    for col in ("cluster", "cluster_profile", "deprivation_spot", "left_behind",
                "opportunity_score", "need", "gap", "capacity", "reason"):
        assert labels.column(col) in csv
    assert set(csv[labels.column("left_behind")]) <= {"Yes", "No"}
    said = capsys.readouterr().out
    assert "left behind" in said
    top = said.split("top opportunities: ")[1].splitlines()[0].split(", ")
    assert top and set(top) <= set(csv[labels.column("name")])  # names, not codes


@pytest.mark.shared
def test_real_council_wards(shared_data, monkeypatch):
    monkeypatch.delenv("IMPACT_CACHE_DIR")  # share the project's cache of national files
    ref = Reference(shared_data)
    lk = read_lsoa_lookup(ref.require("lookup_lsoa21_ward_lad"))
    hyndburn = "E07000120"
    lsoas = lk.loc[lk["lad_code"] == hyndburn, "lsoa21_code"].to_numpy()
    sup = pd.DataFrame(
        {"supplier_key": ["a", "b", "c"], "spend": [1e5, 2e5, 3e4], "is_located": True,
         "lsoa21_code": lsoas[:3], "supplier_class": "company"}
    )
    res = analyse_areas(AreaInputs(ref, (hyndburn,), suppliers=sup), AreaSettings())
    assert len(res.table) == 16 and res.table["name"].notna().all()
    assert res.graph.components == 1
