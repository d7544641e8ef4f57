"""Scenarios: zero shift equals the baseline; moves change the figures as worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.analysis.multiplier import ModelResult, ModelSettings, SpendInputs, fit_settings
from impact.analysis.priors import default_priors
from impact.analysis.scenarios import (
    Scenario,
    apply_scenario,
    compare,
    load_scenarios,
    save_scenarios,
)
from impact.places.localarea import LocalArea


def _flat(share: float) -> pd.DataFrame:
    p = default_priors()
    p = p[(p["supplier_class"] == "*") & (p["sic_section"] == "*")].copy()
    p.loc[p["recipient"] == "local", ["low", "central", "high"]] = share
    return p


def _baseline(amounts=(60.0, 40.0, 20.0), share=0.5) -> ModelResult:
    spend = pd.DataFrame(
        {
            "supplier_key": ["a", "b", "c"],
            "directorate": ["Adults", "Adults", "Place"],
            "amount": list(amounts),
            "local_status": ["local", "non_local", "non_local"],
            "supplier_class": ["company"] * 3,
            "sic_section": [pd.NA] * 3,
            "ward_code": ["W1", pd.NA, pd.NA],
            "ward_name": ["One", pd.NA, pd.NA],
            "lad_code": ["E1", "E2", "E3"],
            "imd_decile": [5, 1, 8],
            "influenceable": [True] * 3,
        }
    )
    s = ModelSettings(lad_codes=("E09000001",), n_draws=300)
    pri = _flat(share)
    area = LocalArea.districts(["E09000001"])
    return ModelResult(fit_settings(spend, s, pri), SpendInputs(spend, spend, area, {}), s, pri)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.01, 1e6), min_size=3, max_size=3), st.floats(0, 1))
def test_zero_shift_equals_baseline(amounts, share):
    b = _baseline(tuple(amounts), share)
    row = compare(b, [Scenario("none", share=0.0), Scenario("none£", amount_gbp=0.0)])
    assert (
        (row[["moved_gbp", "delta_lm3_lower", "delta_lm3_p50", "delta_retained_gbp"]] == 0)
        .all()
        .all()
    )
    oc = apply_scenario(b.inputs.spend, Scenario("none", share=0.0))
    assert oc.spend.equals(b.inputs.spend)


def test_move_half_of_adults_to_a_deprived_ward():
    b = _baseline()
    # Adults non-local = £40 (supplier b, IMD decile 1 elsewhere); 50 % → £20 to ward W9.
    sc = Scenario(
        "adults",
        share=0.5,
        category_column="directorate",
        category_values=("Adults",),
        target_kind="wards",
        target_codes=("W9",),
    )
    r = compare(b, [sc], imd_deciles=pd.Series({"W9": 2})).iloc[1]
    assert r["moved_gbp"] == pytest.approx(20) and r["delta_local_spend_gbp"] == pytest.approx(20)
    # R1 = 120: LM3 goes from (120+60+30)/120 to (120+80+40)/120 → Δ = 30/120 = 0.25
    assert r["delta_lm3_lower"] == pytest.approx(0.25)
    assert r["delta_retained_gbp"] == pytest.approx(30)
    # £20 lands in a decile-2 ward; £20 came from a decile-1 supplier: net 0
    assert r["delta_deprived_gbp"] == pytest.approx(0)
    assert r["delta_lm3_p10"] <= r["delta_lm3_p50"] <= r["delta_lm3_p90"]


def test_amount_and_lad_target_outside_area():
    b = _baseline()
    moved = compare(
        b, [Scenario("far", amount_gbp=30, target_kind="areas", target_codes=("E08000099",))]
    ).iloc[1]
    assert moved["moved_gbp"] == pytest.approx(30) and moved["delta_local_spend_gbp"] == 0
    assert moved["delta_lm3_lower"] == pytest.approx(0)
    capped = compare(b, [Scenario("all", amount_gbp=1e9)]).iloc[1]
    assert capped["moved_gbp"] == pytest.approx(60)


def test_save_load_and_bad_scenarios(tmp_path):
    sc = [
        Scenario("a", share=0.1),
        Scenario("b", amount_gbp=5.0, target_kind="wards", target_codes=("W1", "W2")),
    ]
    path = save_scenarios(tmp_path / "s.json", sc)
    assert load_scenarios(path) == sc
    assert load_scenarios(tmp_path / "none.json") == []
    for bad in (
        Scenario("x"),
        Scenario("x", share=2.0),
        Scenario("x", share=0.1, target_kind="wards"),
    ):
        with pytest.raises(ValueError, match="scenario 'x'"):
            bad.validate()
    with pytest.raises(ValueError, match="unique"):
        save_scenarios(tmp_path / "d.json", [sc[0], sc[0]])
    (tmp_path / "junk.json").write_text("{}")
    with pytest.raises(ValueError, match="not a saved scenarios"):
        load_scenarios(tmp_path / "junk.json")
    assert np.isfinite(compare(_baseline(), sc)["lm3_p50"]).all()


def test_moved_spend_split_over_targets_and_placed_by_kind_of_code():
    spend = _baseline().inputs.spend.assign(influenceable=[True, True, False])  # c stays
    codes = ("E01000001", "E09000001", "E08000099", "W7")  # LSOA, local/far district, ward
    sc = Scenario("split", share=0.5, target_kind="areas", target_codes=codes)
    oc = apply_scenario(spend, sc, ("E09000001",), pd.Series({"E01000001": 1, "W7": 9}))
    kept, new = oc.spend.iloc[:3], oc.spend.iloc[3:]
    assert kept["amount"].tolist() == [60.0, 20.0, 20.0]  # half of b's £40 moved
    assert new["amount"].tolist() == [5.0] * 4 and oc.moved_gbp == 20
    assert (new["supplier_key"] == "scenario:split:b").all()
    assert new["local_status"].tolist() == ["local", "local", "non_local", "local"]
    assert new["lsoa21_code"].tolist()[0] == "E01000001"
    assert new["lad_code"].tolist()[1:3] == ["E09000001", "E08000099"]
    assert new["ward_code"].tolist()[3] == "W7" and new["ward_code"].isna().sum() == 3
    assert oc.moved_to_local_gbp == 15 and oc.to_deprived_gbp == 5
    assert oc.from_deprived_gbp == 20  # b's supplier is in a decile-1 area


def test_a_scenario_is_described_in_words_not_codes():
    """Issue 24: "supplier_class in company to suppliers in E05…" on the screen."""
    from impact.analysis.scenarios import Words

    s = Scenario("x", share=0.1, category_column="supplier_class",
                 category_values=("company", "vcse"), target_kind="wards",
                 target_codes=("E05000001", "E05000002"))
    words = Words(places={"E05000001": "Central", "E05000002": "Moor"},
                  values={"supplier_class": {"vcse": "voluntary or community (VCSE)"}})
    assert s.describe(words) == (
        "move 10% of the non-local spend of the supplier type 'company' or 'voluntary or "
        "community (VCSE)' to suppliers in Central and Moor wards")
    assert "E05" not in s.describe() and "2 chosen wards" in s.describe()
    assert "supplier_class" not in s.describe()
    lsoas = Scenario("y", amount_gbp=5e5, target_kind="areas", target_codes=("E01000001",))
    assert lsoas.describe(Words(places={"E01000001": "part of Central ward (1 of 3)"})) == (
        "move £500,000 of all influenceable non-local spend to suppliers in part of Central "
        "ward (1 of 3)")
