"""Type I cross-check: SIC → IOAT mapping, Flegg LQ on a hand-worked example, real table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from impact.analysis.io_crosscheck import (
    crosscheck,
    flegg_lambda,
    flq_matrix,
    load_type1,
    map_sic_to_io,
    regional_type1,
    why_lm3_differs,
)

TABLE = pd.DataFrame(
    {
        "io_code": [
            "Q86",
            "C101",
            "C20A",
            "C203",
            "F41, F42  & F43",
            "K65.1-2 & K65.3",
            "L68A",
            "L68BXL683",
            "L683",
        ],
        "industry": [
            "Health",
            "Meat",
            "Inorganics - 20.11/13/15",
            "Paints",
            "Construction",
            "Insurance",
            "Imputed rent",
            "Real estate",
            "Real estate fees",
        ],
        "multiplier": [1.5, 2.4, 1.7, 1.6, 2.1, 1.5, 1.3, 1.6, 1.65],
    }
)


def test_sic_mapping():
    sic = pd.Series(
        [
            "86101",
            "10110; 56101",
            "20130",
            "20301",
            "43210",
            "65300",
            "68100",
            "68320",
            "F",
            None,
            "1",
        ]
    )
    got = map_sic_to_io(sic, TABLE).tolist()
    assert got[:8] == [
        "Q86",
        "C101",
        "C20A",
        "C203",
        "F41, F42  & F43",
        "K65.1-2 & K65.3",
        "L68BXL683",
        "L683",
    ]
    assert len(got) == len(sic) > 8 and all(v is pd.NA for v in got[8:])


def test_spend_weighted_national():
    sup = pd.DataFrame({"spend": [100.0, 300.0, 600.0], "sic": ["86101", "43210", None]})
    r = crosscheck(sup, TABLE)
    assert r.multiplier == pytest.approx((100 * 1.5 + 300 * 2.1) / 400)
    assert r.spend_covered_gbp == 400 and not r.regionalised
    assert "UN-REGIONALISED" in r.how_calculated and "Type I" in why_lm3_differs()


def test_flegg_hand_worked():
    # Two industries; national employment 100, 300; regional 10, 10 (region = 5 % of 400).
    # λ = log2(1 + 20/400)^0.3 = log2(1.05)^0.3 = 0.070389^0.3 = exp(0.3 × ln 0.070389) = 0.45108
    lam = math.log2(1.05) ** 0.3
    assert flegg_lambda(20, 400) == pytest.approx(lam) and lam == pytest.approx(0.45108, abs=1e-5)
    # SLQ_1 = (10/20)/(100/400) = 2, SLQ_2 = (10/20)/(300/400) = 2/3
    # FLQ = [[SLQ1, SLQ1/SLQ2], [SLQ2/SLQ1, SLQ2]] × λ = [[2, 3], [1/3, 2/3]] × λ
    f = flq_matrix(np.array([10, 10]), np.array([100, 300]))
    np.testing.assert_allclose(f, np.array([[2, 3], [1 / 3, 2 / 3]]) * lam)
    # a = [[0.2, 0.1], [0.1, 0.3]]; min(FLQ, 1) = [[2λ, 1], [λ/3, 2λ/3]] (3λ = 1.35 capped)
    # r = [[0.2×2λ, 0.1], [0.1×λ/3, 0.3×2λ/3]]
    a = np.array([[0.2, 0.1], [0.1, 0.3]])
    r = np.array([[0.2 * 2 * lam, 0.1], [0.1 * lam / 3, 0.3 * 2 * lam / 3]])
    expected = np.linalg.inv(np.eye(2) - r).sum(axis=0)
    np.testing.assert_allclose(regional_type1(a, [10, 10], [100, 300]), expected)
    national = np.linalg.inv(np.eye(2) - a).sum(axis=0)
    assert (expected < national).all()
    with pytest.raises(ValueError):
        flegg_lambda(0, 10)


@pytest.mark.shared
def test_real_ons_table(shared_data):
    t = load_type1(shared_data / "economics" / "ons_ioat_2020_ixi_type1_multipliers.csv")
    assert len(t) == 105 and t.set_index("io_code").loc["A01", "multiplier"] == pytest.approx(
        1.9896, abs=1e-4
    )
    # every real IOAT code parses, and every 2-digit division with an industry maps somewhere
    divisions = pd.Series([f"{d:02d}000" for d in range(1, 100)])
    mapped = map_sic_to_io(divisions, t)
    for d in ("01", "10", "20", "23", "41", "43", "65", "68", "86", "87", "88"):
        assert mapped[int(d) - 1] is not pd.NA, d
