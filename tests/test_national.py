"""National aggregates: the same SQL on DuckDB and Spark over the partitioned store gives the
same table, and the table matches sums worked by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.analysis.national import spend_by_ward_sql
from impact.places.authorities import CouncilProfile
from impact.store import CouncilEntry, Store, national_aggregate, write_national_demo

KEYS = ["council_id", "ward_code", "lad_code", "in_council_area", "category"]


def _entry(council_id: str, council: str) -> CouncilEntry:
    profile = CouncilProfile(council=council, gss_code=None, type=None, type_name=None,
                             region=None, lads=["E1"], lad_names=[council],
                             region_codes=["R1"], population=None)
    return CouncilEntry(council_id=council_id, council=council, profile=profile, rows=0,
                        years=[], located_share=None, fingerprint="test")


def _payments(council: str) -> pd.DataFrame:
    return pd.DataFrame({
        "council": council, "period": ["2024-04", "2024-05", "2025-01", "2024-04", "2024-04"],
        "amount": [100.0, 50.0, -20.0, 70.0, 999.0],
        "supplier_key": ["a", "b", "a", "c", "d"],
        "supplier_class": ["company", "company", "company", None, "vcse"],
        "ward_code": ["W1", "W1", "W1", "W2", None],
        "ward_name": ["One", "One", "One", "Two", None],
        "lad_code": ["E1", "E1", "E1", "E2", None],
        "location_band": ["council", "council", "council", "region", "not located"],
    })


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "store")
    s.put(_entry("x", "Council X"), _payments("Council X"))
    s.put(_entry("y", "Council Y"), _payments("Council Y").head(1))
    return s


def test_the_aggregate_matches_sums_worked_by_hand(store: Store) -> None:
    t = national_aggregate(store).set_index(["council_id", "ward_code", "category"])
    w1 = t.loc[("x", "W1", "company")]
    assert (w1["spend"], w1["net"], w1["payments"], w1["suppliers"]) == (150.0, 130.0, 3, 2)
    assert bool(w1["in_council_area"])
    w2 = t.loc[("x", "W2", "not given")]
    assert not w2["in_council_area"] and w2["spend"] == 70.0
    assert t.loc[("y", "W1", "company"), "payments"] == 1
    assert len(t) == 3  # the unplaced £999 has no ward


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError):
        spend_by_ward_sql("postcode; DROP TABLE payments")


@pytest.mark.spark
def test_duckdb_and_spark_give_the_same_table(tmp_path: Path, store: Store) -> None:
    write_national_demo(Store(tmp_path / "national"), councils=3, rows=2000, seed=3)
    for s in (store, Store(tmp_path / "national")):
        duck = national_aggregate(s, "duckdb").sort_values(KEYS).reset_index(drop=True)
        spark = national_aggregate(s, "spark").sort_values(KEYS).reset_index(drop=True)
        pd.testing.assert_frame_equal(duck, spark, check_exact=False, rtol=1e-9)
