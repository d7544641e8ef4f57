""""Local" counted several ways (the measures layer), and reconciled with published figures.

Small payments built here with the answer worked by hand: supplier A is based in the area,
B is registered elsewhere with a depot in the area, C is registered in the region, D is
unplaced and E a national body.
"""

from __future__ import annotations

import pandas as pd
import pytest

from impact.analysis.measures import CouncilArea, measure
from impact.analysis.reconcile import Published, published_for, reconcile
from impact.analysis.sentences import ways_rows
from impact.outputs import labels
from tests._shared import require

HOME, NEXT, FAR = "E08000001", "E08000002", "E09000001"
AREA = CouncilArea("Hometown Council", (HOME,), ("Hometown",), ("E12000002",),
                   ("North West",), None, "the council", "Greater Home", (HOME, NEXT))


def _payments() -> pd.DataFrame:
    rows = [  # key, £, band, lad, region, basis
        ("A", 400.0, "council", HOME, "E12000002", "registered_office"),
        ("B", 300.0, "elsewhere", FAR, "E12000007", "registered_office"),
        ("C", 100.0, "region", NEXT, "E12000002", "council_register"),
        ("D", 150.0, "not located", None, None, None),
        ("E", 50.0, "national", None, None, "national"),
    ]
    tx = pd.DataFrame(rows, columns=["supplier_key", "amount", "location_band", "lad_code",
                                     "region_code", "place_basis"])
    tx["is_located"] = tx["location_band"].isin(["council", "elsewhere", "region"])
    tx["period"] = "2024-04"
    tx["is_redacted"] = False
    tx["supplier_class"] = "company"
    tx["area_lad_codes"] = pd.NA
    tx["ward_code"] = pd.NA
    return tx


def _places() -> pd.DataFrame:
    """Main places, and B's depot in the area."""
    tx = _payments()
    main = tx.loc[tx["is_located"], ["supplier_key", "lad_code", "area_lad_codes"]]
    depot = pd.DataFrame({"supplier_key": ["B"], "lad_code": [HOME], "area_lad_codes": [pd.NA]})
    return pd.concat([main, depot], ignore_index=True)


def test_each_way_counts_what_it_says() -> None:
    m = measure(_payments(), AREA, places=_places())
    ways = {f.key: f for f in m.ways}
    assert list(ways) == ["local_branched", "local", "local_office", "local_wider",
                          "local_region", "local_top300"]
    # placed or national: A B C E = 850 of 1000
    assert ways["local"].value == pytest.approx(400 / 850)
    assert ways["local_branched"].value == pytest.approx(700 / 850)  # B's depot counts
    assert ways["local_branched"].lower == pytest.approx(0.7)
    assert ways["local_branched"].upper == pytest.approx(0.85)
    # registered office known for A, B and the national body: C's council record is not one
    office = ways["local_office"]
    assert office.coverage.known == pytest.approx(750)
    assert office.value == pytest.approx(400 / 750)
    assert ways["local_wider"].value == pytest.approx(800 / 850)
    assert ways["local_region"].value == pytest.approx(500 / 850)
    assert len(ways_rows(m)) == 6


def test_the_top_suppliers_restriction() -> None:
    from impact.analysis.measures import top_figure

    tx = _payments()
    top2 = top_figure(tx, AREA, _places(), n=2)  # A and B
    assert top2.value == pytest.approx(1.0)
    assert top2.coverage.total == pytest.approx(700)


def test_without_a_wider_area_the_way_is_missing_not_zero() -> None:
    from dataclasses import replace

    m = measure(_payments(), replace(AREA, wider_name="", wider_lads=()), places=_places())
    wider = next(f for f in m.ways if f.key == "local_wider")
    assert wider.value is None and wider.text == "not available"


def test_the_steps_add_up_to_the_published_figure() -> None:
    tx = _payments()
    m = measure(tx, AREA, places=_places())
    pub = Published("CLES", "Hometown", "2019-20", "share of spend with top 300 suppliers "
                    "based in Hometown", 0.9, "https://example.org", top=300)
    r = reconcile(m, pub)
    head = r.headline.value
    assert head + sum(c.points for c in r.causes) == pytest.approx(0.9)
    names = [c.name for c in r.causes]
    assert names[0].startswith("Definition") and names[-1] == "Unexplained"
    assert r.causes[0].gbp == pytest.approx(300)  # B's £: local only as based or branched
    unplaced = next(c for c in r.causes if c.name == "Unplaced spend")
    assert unplaced.gbp == pytest.approx(150)
    steps = r.steps()
    assert steps[0][0].startswith("Our headline") and steps[-1][0] == "Published"


def test_public_bodies_and_the_published_drift_are_named_steps() -> None:
    """The remainder broken down: leaving public bodies out (an "if"), the years at the
    published series' own rate, and an honest "Unexplained" — adding up to the figure."""
    tx = _payments()
    tx.loc[tx["supplier_key"] == "C", "supplier_class"] = "public_body"
    tx["period"] = "2021-06"  # financial year 2021/22
    m = measure(tx, AREA, places=_places())
    metric = "share of spend with top 300 suppliers based in Hometown"
    old = [Published("CLES", "Hometown", y, metric, v, "u", top=300)
           for y, v in (("2008-09", 0.5), ("2016-17", 0.717), ("2017-18", 0.713),
                        ("2018-19", 0.699))]
    pub = Published("CLES", "Hometown", "2019-20", metric, 0.692, "u", top=300)
    r = reconcile(m, pub, (*old, pub))
    by = {c.name: c for c in r.causes}
    assert r.headline.value + sum(c.points for c in r.causes) == pytest.approx(0.692)
    years = by["Years between the study and our payments"]
    # 2016/17 → 2019/20 (the unbroken run; 2008/09 is not in it): −0.833 pts a year, over
    # the 2 years to 2021/22, so the study's own trend explains +1.67 pts of ours → theirs
    assert years.points == pytest.approx(2 * 0.025 / 3)
    assert "71.7% (2016-17)" in years.words and "69.2% (2019-20)" in years.words
    public = by["Public bodies, if the study left them out"]
    top = next(f for f in m.ways if f.key == "local_top300")
    assert public.gbp == pytest.approx(100)  # C, the public body, is in the region
    without = top.inputs["spend_inside"] / (top.inputs["spend_known"] - 100)
    assert public.points == pytest.approx(without - top.value)
    assert list(by)[-1] == "Unexplained"
    # no series, no drift step: the years stay in the unexplained rest
    alone = reconcile(m, pub)
    assert "Years between the study and our payments" not in {c.name for c in alone.causes}


def test_below_the_gate_no_point_is_stated() -> None:
    tx = _payments()
    tx.loc[tx["supplier_key"] == "D", "amount"] = 5000.0  # mostly unplaced now
    m = measure(tx, AREA, places=_places())
    pub = Published("CLES", "Hometown", "2019-20", "based in Hometown", 0.5, "u")
    steps = reconcile(m, pub).steps()
    assert all(s[1] == "—" for s in steps[1:-2])
    assert "not enough data" in steps[0][1]


def test_the_published_figures_of_manchester_and_trafford() -> None:
    from impact.ingest.tables import read_csv

    path = require("lm3", "lm3_and_local_spend_published_figures.csv")
    table = read_csv(path, dtype=str)
    table["value"] = pd.to_numeric(table["value"])
    manchester = published_for(table, ("Manchester City Council", "Manchester"))
    assert len(manchester) == 6  # five CLES top-300 years and the GM benchmark
    assert {p.top for p in manchester} == {300}
    assert any(p.top_spend == pytest.approx(511e6) for p in manchester)
    trafford = published_for(table, ("Trafford",))
    assert [p.value for p in trafford] == [0.366] and trafford[0].top_assumed


def test_the_compare_workbook_carries_each_way_as_the_measures_count_it() -> None:
    """`impact compare --xlsx` and Compare's XLSX: one row per council, period and way,
    the same numbers and words as the council's own ways (nothing recomputed)."""
    from impact.analysis.compare import CouncilInfo, compare_table, ways_table

    info = CouncilInfo("home", AREA.name, AREA.lads, AREA.region_codes,
                       lad_names=AREA.lad_names, region_names=AREA.region_names,
                       wider_name=AREA.wider_name, wider_lads=AREA.wider_lads)
    tx = _payments().assign(council_id="home")
    m = measure(_payments(), info.area, places=_places())
    table = compare_table(tx, [info], "all", places={"home": _places()})
    ways = ways_table(table, [info])
    assert ways["way"].tolist() == [f.key for f in m.ways]
    assert ways["definition"].tolist() == [f.label for f in m.ways]
    for r, f in zip(ways.to_dict("records"), m.ways, strict=True):
        assert r["value"] == pytest.approx(f.shown, abs=5e-5)
        assert r["coverage"] == pytest.approx(f.coverage.share, abs=5e-5)
        assert (r["lower_bound"], r["upper_bound"]) == pytest.approx((f.lower, f.upper),
                                                                     abs=5e-5)
        assert not r["not_enough_data"]
    assert ways["headline"].tolist() == [False, True, False, False, False, False]
    # mostly unplaced: every way is withheld, flagged, its range still given
    thin = tx.copy()
    thin.loc[thin["supplier_key"] == "D", "amount"] = 5000.0
    ways = ways_table(compare_table(thin, [info], "all", places={"home": _places()}), [info])
    assert ways["value"].isna().all() and ways["not_enough_data"].all()
    assert ways["lower_bound"].notna().all()
    # no wider area: that way is not available, not "not enough data"
    alone = CouncilInfo("home", AREA.name, AREA.lads, AREA.region_codes)
    ways = ways_table(compare_table(tx, [alone], "all", places={"home": _places()}), [alone])
    wider = ways.set_index("way").loc["local_wider"]
    assert pd.isna(wider["value"]) and not wider["not_enough_data"]
    assert wider["definition"] == "Based or branched in the combined authority or county"


def test_impact_compare_writes_the_ways_workbook(tmp_path, monkeypatch) -> None:
    import io

    from click.testing import CliRunner

    from impact.cli import cli
    from impact.core.settings import WORKSPACE_DIR

    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path / "ws"))
    out, xlsx = tmp_path / "c.csv", tmp_path / "c.xlsx"
    res = CliRunner().invoke(cli, ["compare", "demo", "--out", str(out), "--xlsx", str(xlsx),
                                   "--store", str(tmp_path / "store")])
    assert res.exit_code == 0, res.output
    ways = pd.read_excel(io.BytesIO(xlsx.read_bytes()), sheet_name="Ways of counting local",
                         engine="openpyxl")
    assert "Way of counting local" in ways and "way" not in ways  # in words (labels)
    table = pd.read_csv(out, encoding="utf-8-sig")  # in words, as the page's CSV download
    assert len(ways) == 6 * len(table)
    row = table.iloc[-1]
    last = ways[ways["Period"] == row["Period"]].set_index("Way of counting local")
    shown = row[labels.column("branched_share")]
    assert last.index[0].endswith("(CLES)")  # the ways in order: based or branched first
    got = last.iloc[0]["Local share"]
    assert (pd.isna(got) and shown == "not enough data") or got == float(shown)
