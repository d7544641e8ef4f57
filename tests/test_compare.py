"""Comparing councils: every measure checked against numbers worked by hand, the coverage
rule that withholds a figure, periods, statistical neighbours and the CSV's wording."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.analysis import model_inputs
from impact.analysis.compare import (
    CouncilInfo,
    compare_table,
    for_csv,
    latest_periods,
    period_labels,
    period_span,
    ranked,
    statistical_neighbours,
)
from impact.analysis.measures import MIN_COVERAGE, NOT_ENOUGH_DATA, concentration_figures

INFO = CouncilInfo("anytown", "Anytown Council", lads=("E0001",), region_codes=("R1",),
                   population=1000.0, gss_code="E0001", type_name="Unitary", region="North")


def payments(unplaced: float = 1000.0, months: list[str] | None = None) -> pd.DataFrame:
    """Four suppliers: £600 in the council, £300 in the region, £100 elsewhere, and
    ``unplaced`` £ not placed; plus a £50 credit to the first."""
    rows = [
        ("A", 600.0, True, "council", "E0001", 1, "company"),
        ("B", 300.0, True, "region", "E0002", 5, "company"),
        ("C", 100.0, True, "elsewhere", "E0003", 9, "vcse"),
        ("D", unplaced, False, "not located", None, None, "unknown"),
        ("A", -50.0, True, "council", "E0001", 1, "company"),
    ]
    df = pd.DataFrame(rows, columns=["supplier_key", "amount", "is_located", "location_band",
                                     "lad_code", "imd_decile", "supplier_class"])
    months = months or ["2024-05"] * len(df)
    return df.assign(council="Anytown Council", council_id="anytown",
                     period=(months * len(df))[: len(df)], is_redacted=False,
                     sme=pd.NA, vcse=pd.NA, sic=pd.NA, directorate="Place",
                     supplier_name=df["supplier_key"], public_body_type=pd.NA)


def one_row(tx: pd.DataFrame, **info) -> pd.Series:
    return compare_table(tx, [CouncilInfo(**{**INFO.__dict__, **info})], "all").iloc[0]


def test_shares_match_the_hand_worked_numbers() -> None:
    row = one_row(payments())
    # positive £: 600 + 300 + 100 + 1000 = 2000, of which 1000 placed
    assert row["placed_share"] == pytest.approx(0.5)
    assert row["total_spend"] == pytest.approx(1950.0)  # net of the £50 credit
    assert row["local_share"] == pytest.approx(600 / 1000)
    assert row["local_share_lower"] == pytest.approx(600 / 2000)
    assert row["local_share_upper"] == pytest.approx((600 + 1000) / 2000)
    assert row["regional_share"] == pytest.approx(900 / 1000)
    assert row["national_share"] == pytest.approx(100 / 1000)
    assert row["national_share_upper"] == pytest.approx((100 + 1000) / 2000)
    assert row["deprived_share"] == pytest.approx(600 / 1000)  # decile 1 only
    assert row["deprived_share_coverage"] == pytest.approx(0.5)


def test_concentration_is_the_top_ten_share_and_the_hhi() -> None:
    top, hhi = concentration_figures(payments())
    # shares of £2000: A 30 %, B 15 %, C 5 %, D 50 %
    assert top.value == pytest.approx(1.0)
    assert hhi.value == pytest.approx(30**2 + 15**2 + 5**2 + 50**2)
    redacted = payments().assign(is_redacted=[False, False, False, True, False])
    top, hhi = concentration_figures(redacted)
    assert top.coverage.share == pytest.approx(0.5)  # the redacted £1000 is not one supplier
    assert hhi.value == pytest.approx(60**2 + 30**2 + 10**2)


def test_a_share_below_the_gate_is_withheld_but_keeps_its_range() -> None:
    # 1000 of 2001 placed reads "50%": the gate takes the share as shown (test_measures)
    assert one_row(payments(unplaced=1001.0))["local_share"] == pytest.approx(0.6)
    row = one_row(payments(unplaced=1100.0))
    assert row["placed_share"] < MIN_COVERAGE
    assert np.isnan(row["local_share"]) and np.isnan(row["regional_share"])
    assert row["local_share_lower"] == pytest.approx(600 / 2100)
    assert row["local_share_upper"] == pytest.approx(1700 / 2100)
    assert row["local_share_coverage"] == pytest.approx(1000 / 2100)
    csv = for_csv(compare_table(payments(1100.0), [INFO], "all")).iloc[0]
    assert csv["local_share"] == NOT_ENOUGH_DATA
    assert csv["local_share_lower"] == pytest.approx(600 / 2100, abs=1e-4)  # a bound: a number
    assert csv["sme_share"] == NOT_ENOUGH_DATA  # no register says who is an SME
    assert csv["sme_share_coverage"] == 0.0  # coverage 0 is a fact, not missing


def test_a_council_without_district_codes_gets_no_local_share() -> None:
    row = one_row(payments(), lads=(), region_codes=())
    assert np.isnan(row["local_share"]) and np.isnan(row["regional_share"])


def test_a_council_with_no_payments_is_one_row_of_not_enough_data() -> None:
    table = compare_table(payments().iloc[0:0], [INFO], "year")
    assert len(table) == 1 and table.iloc[0]["period"] == "no payments"
    csv = for_csv(table).iloc[0]
    assert csv["payments"] == 0
    assert csv["total_spend"] == NOT_ENOUGH_DATA  # not £0
    assert csv["local_share"] == NOT_ENOUGH_DATA


def test_undated_payments_are_their_own_period() -> None:
    tx = payments().assign(period=pd.NA)
    table = compare_table(tx, [INFO], "year")
    assert table["period"].tolist() == ["undated"]
    assert np.isnan(table.iloc[0]["spend_per_resident"])  # months unknown


def test_periods_are_financial_years_and_calendar_quarters() -> None:
    p = pd.Series(["2024-03", "2024-04", "2025-03", None, "bad"])
    assert period_labels(p, "year").tolist() == ["2023/24", "2024/25", "2024/25", "undated",
                                                 "undated"]
    assert period_labels(p, "quarter").tolist()[:3] == ["2024 Q1", "2024 Q2", "2025 Q1"]
    assert period_span("2023/24", p) == ("2023-04", "2024-03", 12)
    assert period_span("2024 Q3", p) == ("2024-07", "2024-09", 3)
    assert period_span("all", pd.Series(["2024-03", "2024-05"])) == ("2024-03", "2024-05", 3)
    with pytest.raises(ValueError):
        period_labels(p, "week")


def test_spend_per_resident_is_a_yearly_rate_from_the_complete_months() -> None:
    year = [f"2024-{m:02d}" for m in range(4, 13)] + ["2025-01", "2025-02", "2025-03"]
    tx = pd.concat([payments(months=[m]) for m in year], ignore_index=True)
    row = compare_table(tx, [INFO], "year").iloc[0]
    assert row["months_covered"] == 1.0 and bool(row["judged"])  # every month, 50 % placed
    assert row["spend_per_resident"] == pytest.approx(12 * 1950 / 1000)
    short = tx[~tx["period"].isin(["2025-02", "2025-03"])]  # 10 of 12 months: still a rate
    row = compare_table(short, [INFO], "year").iloc[0]
    assert row["months_covered"] == pytest.approx(10 / 12)
    assert row["spend_per_resident"] == pytest.approx(12 * 1950 / 1000)
    thin = tx.copy()
    thin.loc[thin["period"] == "2025-01", "amount"] *= 0.01  # a month probably incomplete
    row = compare_table(thin, [INFO], "year").iloc[0]
    assert row["months_complete"] == 11
    assert row["spend_per_resident"] == pytest.approx(12 * 1950 / 1000)  # left out, said


def _lm3(tx: pd.DataFrame):
    return model_inputs.lm3_of(model_inputs.fit(tx, tx.drop_duplicates("supplier_key"),
                                                list(INFO.lads), "anytown-test"))


def test_lm3_is_withheld_below_the_gate() -> None:
    well = compare_table(payments(unplaced=10.0), [INFO], "all", {"anytown": _lm3}).iloc[0]
    assert 1.0 <= well["lm3_p10"] <= well["lm3_p50"] <= well["lm3_p90"] <= 3.0
    assert well["lm3_p50_lower"] <= well["lm3_p50"] <= well["lm3_p50_upper"]
    assert well["lm3_coverage"] == pytest.approx(1000 / 1010)
    poor = compare_table(payments(unplaced=5000.0), [INFO], "all", {"anytown": _lm3}).iloc[0]
    assert poor["lm3_coverage"] < MIN_COVERAGE and np.isnan(poor["lm3_p50"])
    assert np.isnan(poor["lm3_p10"]) and poor["lm3_p50_lower"] < poor["lm3_p50_upper"]


def test_ranked_puts_withheld_councils_last() -> None:
    table = pd.DataFrame({
        "council": ["A", "B", "C"], "council_id": ["a", "b", "c"], "period": ["all"] * 3,
        "local_share": [0.2, np.nan, 0.4], "local_share_lower": [0.1, 0.0, 0.3],
        "local_share_upper": [0.5, 0.9, 0.6], "local_share_coverage": [0.6, 0.1, 0.8]})
    r = ranked(table, "local_share")
    assert r["council"].tolist() == ["C", "A", "B"]
    assert r["enough"].tolist() == [True, True, False]


def test_latest_periods_picks_each_councils_last_complete_period() -> None:
    table = pd.DataFrame({"council": ["A", "A", "A", "B", "C", "C"],
                          "council_id": ["a", "a", "a", "b", "c", "c"],
                          "period": ["2022/23", "2023/24", "2024/25", "no payments",
                                     "2018/19", "2019/20"],
                          "period_start": ["2022-04", "2023-04", "2024-04", None, "2018-04",
                                           "2019-04"],
                          "months_complete": [12, 12, 3, np.nan, 3, 9],
                          "months_in_period": [12, 12, 12, np.nan, 12, 12]})
    assert latest_periods(table)["period"].tolist() == ["2023/24", "no payments", "2019/20"]


AUTHORITIES = pd.DataFrame({
    "gss_code": ["E1", "E2", "E3", "E4", "E5", "E6"],
    "name": ["Mine", "Near", "Far", "Other type", "Other region", "Tied"],
    "type": ["MD", "MD", "MD", "NMD", "MD", "MD"],
    "region": ["North", "North", "North", "North", "South", "North"],
    "imd_score": [30.0, 31.0, 40.0, 30.0, 30.0, 29.0],
})


def test_statistical_neighbours_are_same_type_same_region_nearest_imd() -> None:
    n = statistical_neighbours(AUTHORITIES, "E1", k=2)
    assert n["name"].tolist() == ["Near", "Tied"]  # both 1.0 away: by name
    assert n["distance"].tolist() == [1.0, 1.0]
    assert statistical_neighbours(AUTHORITIES, "E1", k=9)["name"].tolist() == [
        "Near", "Tied", "Far"]
    assert statistical_neighbours(AUTHORITIES, "nope").empty
