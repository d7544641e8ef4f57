"""Metrics on a hand-built joined table whose answers are worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from impact.analysis import metrics


def _tx() -> pd.DataFrame:
    # Supplier: band, £ (positive), decile, sme
    rows = [
        ("s1", "council", 100.0, 1, "Y", "W1", "company"),
        ("s2", "council", 50.0, 5, "N", "W2", "vcse"),
        ("s3", "region", 150.0, 2, None, None, "company"),
        ("s4", "elsewhere", 100.0, None, "Y", None, "public_body"),
        ("s5", "not located", 100.0, None, None, None, "unknown"),
        ("s1", "council", -20.0, 1, "Y", "W1", "company"),  # a credit
    ]
    t = pd.DataFrame(rows, columns=["supplier_key", "location_band", "amount", "imd_decile",
                                    "sme", "ward_code", "supplier_class"])
    t["is_located"] = t["location_band"] != "not located"
    t["supplier_name"] = t["supplier_key"].str.upper()
    t["period"] = ["2024-01", "2024-02", "2024-02", "2024-03", "2024-03", "2024-04"]
    t["directorate"] = ["A", "A", "B", "B", "B", "A"]
    t["vcse"] = None
    for c in ("ward_name", "lad_name", "postcode"):
        t[c] = None
    return t


def test_total_is_net_with_period() -> None:
    f = metrics.total_spend(_tx())
    assert f.value == pytest.approx(480.0)
    assert "Jan 2024 to Apr 2024 (4 months)" in f.how
    assert f.inputs["credits"] == -20.0


def test_local_share_with_coverage_and_bounds() -> None:
    f = metrics.local_share(_tx(), ["E1"], ["Town"])
    # positive spend 500; located 400; local 150
    assert f.value == pytest.approx(150 / 400)
    assert f.coverage == pytest.approx(400 / 500)
    assert f.lower == pytest.approx(150 / 500)
    assert f.upper == pytest.approx(250 / 500)
    assert "Town" in f.how and f.caveats


def test_local_share_unknown_district() -> None:
    f = metrics.local_share(_tx(), [])
    assert f.value is None and f.text == "—"


def test_regional_share_includes_council() -> None:
    f = metrics.regional_share(_tx(), ["R"])
    assert f.value == pytest.approx(300 / 400)


def test_deprived_share() -> None:
    f = metrics.deprived_share(_tx())
    # deciles known for s1 (100), s2 (50), s3 (150) = 300; deciles 1-2: 250
    assert f.value == pytest.approx(250 / 300)
    assert f.coverage == pytest.approx(300 / 500)
    assert f.lower == pytest.approx(250 / 500)


def test_sme_share_where_known() -> None:
    f = metrics.sme_share(_tx())
    assert f.value == pytest.approx(200 / 250)
    assert f.coverage == pytest.approx(250 / 500)


def test_vcse_share() -> None:
    f = metrics.vcse_share(_tx())
    assert f.value == pytest.approx(50 / 400)  # s5 is unknown class: left out


def test_pound_sentence() -> None:
    t = _tx()
    s = metrics.pound_sentence(metrics.local_share(t, ["E1"]), metrics.regional_share(t, ["R"]),
                               metrics.deprived_share(t), "Town Council")
    assert "Of every £1 Town Council" in s and "38p" in s and "80%" in s


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


def test_local_share_counts_national_spend_as_known_and_not_local() -> None:
    f = metrics.local_share(_tx_national(), ["E1"], ["Town"])
    # positive 700; placed 400; national 200 (known: 600); local 150; unplaced 100
    assert f.value == pytest.approx(150 / 600)
    assert f.coverage == pytest.approx(600 / 700)
    assert f.lower == pytest.approx(150 / 700)
    assert f.upper == pytest.approx((150 + 100) / 700)  # only the unplaced £100 may be local
    assert f.lower <= f.value <= f.upper
    assert f.inputs["spend_national"] == 200.0 and "national bodies" in f.how


def test_regional_and_deprived_shares_with_national_spend() -> None:
    t = _tx_national()
    r = metrics.regional_share(t, ["R"])
    assert (r.value, r.lower, r.upper) == pytest.approx((300 / 600, 300 / 700, 400 / 700))
    d = metrics.deprived_share(t)
    # deciles known for £300 (deprived £250) + national £200 known not deprived
    assert (d.value, d.coverage) == pytest.approx((250 / 500, 500 / 700))
    assert d.upper == pytest.approx((250 + 200) / 700)


def test_local_share_by_and_the_sentence_with_national_spend() -> None:
    out = metrics.local_share_by(_tx_national()).set_index("directorate")
    assert out.loc["B", "coverage"] == pytest.approx(450 / 550)  # 150 + 100 placed + 200 national
    assert out.loc["B", "upper"] == pytest.approx(100 / 550)
    t = _tx_national()
    text = metrics.pound_sentence(metrics.local_share(t, ["E1"]), metrics.regional_share(t, ["R"]),
                                  metrics.deprived_share(t), "Anytown")
    assert text.startswith("Of every £1 Anytown paid to suppliers we could place or know to be "
                           "national bodies, 25p went")
    assert "or know them to be national bodies, for 86% of the spend" in text


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
