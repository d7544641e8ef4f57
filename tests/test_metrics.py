"""The tables on a hand-built joined table whose answers are worked out by hand (the
headline figures are tested in test_measures.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from impact.analysis import metrics
from tests._joined import joined


def _tx() -> pd.DataFrame:
    return joined()


def test_top_suppliers() -> None:
    top = metrics.top_suppliers(_tx(), 2)
    assert top["supplier_key"].tolist() == ["s3", "s1"]
    assert top["payments"].tolist() == [1, 2]


def test_spend_by_ward() -> None:
    wards = gpd.GeoDataFrame({"code": ["W1", "W2", "W3"], "name": ["a", "b", "c"],
                              "population": [10.0, 0.0, 5.0]},
                             geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    out = metrics.spend_by_ward(_tx(), wards).set_index("code")
    assert out.loc["W1", "spend"] == 100.0 and out.loc["W1", "spend_per_resident"] == 10.0
    assert np.isnan(out.loc["W2", "spend_per_resident"])
    assert out.loc["W3", "spend"] == 0 and out.loc["W3", "local_suppliers"] == 0
    panel = metrics.ward_panel(_tx(), wards.assign(worst_decile=[1, 2, 3]), "W1")
    assert panel["spend"] == 100.0 and panel["suppliers"]["supplier_key"].tolist() == ["s1"]
    with pytest.raises(KeyError):
        metrics.ward_panel(_tx(), wards, "nope")


def test_robust_z_flags_a_spike() -> None:
    months = pd.period_range("2023-01", "2024-12", freq="M").strftime("%Y-%m")
    t = pd.DataFrame({"period": months, "amount": 100.0 + np.arange(24) % 3,
                      "directorate": "A"})
    t.loc[t["period"] == "2024-06", "amount"] = 5000.0
    v = metrics.monthly_variance(t)
    flagged = set(v.loc[v["outlier"], "month"])
    assert "2024-06" in flagged  # the jump up (and the fall back in July)
    assert flagged <= {"2024-06", "2024-07"}
    jun = v[v["month"] == "2024-06"].iloc[0]
    assert jun["change_last_year"] == pytest.approx(5000.0 - t.loc[5, "amount"])


def test_compare_periods() -> None:
    months = pd.period_range("2023-01", "2024-06", freq="M").strftime("%Y-%m")
    t = pd.DataFrame({"period": months, "amount": 10.0, "directorate": "A"})
    out = metrics.compare_periods(t, ["2024-05", "2024-06"]).iloc[0]
    assert out["current"] == 20.0 and out["previous"] == 20.0 and out["last_year"] == 20.0
    early = metrics.compare_periods(t, ["2023-01"]).iloc[0]
    assert np.isnan(early["previous"]) and np.isnan(early["last_year"])


def test_local_share_by() -> None:
    out = metrics.local_share_by(_tx()).set_index("directorate")
    assert out.loc["A", "local_share"] == pytest.approx(1.0)
    assert out.loc["B", "coverage"] == pytest.approx(250 / 350)


# --------------------------------------------- national bodies: known, and never local


def _tx_national() -> pd.DataFrame:
    """The table above plus £200 to a national body (HMRC): known, placed nowhere."""
    t = _tx()
    row = t.iloc[[4]].copy()
    row[["supplier_key", "location_band", "amount", "is_located", "directorate"]] = [
        "s6", "national", 200.0, False, "B"]
    return pd.concat([t, row], ignore_index=True)


def test_local_share_by_with_national_spend_and_the_gate() -> None:
    out = metrics.local_share_by(_tx_national()).set_index("directorate")
    assert out.loc["B", "coverage"] == pytest.approx(450 / 550)  # 150 + 100 placed + 200 national
    assert out.loc["B", "upper"] == pytest.approx(100 / 550)
    assert out["enough"].all()


def test_local_by_basis_splits_placed_spend_and_sums_to_one() -> None:
    t = _tx_national()
    t["place_basis"] = ["council_register", "registered_office", "registered_office",
                        "public_body", None, "council_register", None]
    out = metrics.local_by_basis(t).set_index("basis")
    # positive £700: register £100 (s1, credit excluded) all local; registered office £200
    # with £50 local; public body £100 none local; national £200; not placed £100
    assert list(out.index) == ["council_register", "public_body", "registered_office",
                               "national", "not placed"]
    assert out["share"].sum() == pytest.approx(1.0)
    assert out.loc["council_register", "local_share"] == pytest.approx(1.0)
    assert out.loc["registered_office", "local_share"] == pytest.approx(50 / 200)
    assert out.loc["national", "spend"] == 200.0 and pd.isna(out.loc["national", "local_share"])
    assert out.loc["not placed", "share"] == pytest.approx(100 / 700)
