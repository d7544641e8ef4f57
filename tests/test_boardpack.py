"""Board pack on the demo: PDF content (headline figures, images, labels, 2–6 pages), XLSX
cells never start a formula, the command line."""

from __future__ import annotations

import dataclasses
import io
import re

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from impact import reports
from impact.analysis import trends
from impact.analysis.filters import Filters
from impact.analysis.measures import NOT_ENOUGH_DATA, CouncilArea, Measures, measure
from impact.cli import main
from impact.core.settings import WORKSPACE_DIR
from impact.outputs import boardpack, labels
from impact.outputs.exports import FORMULA_STARTS
from impact.workspace import Workspace


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv(WORKSPACE_DIR, str(tmp_path_factory.getbasetemp() / "demo-ws"))
    ws = Workspace.load("demo")
    # A supplier name that would run as a formula in a spreadsheet and is markup in a PDF.
    sup = ws.suppliers.copy()
    top = sup.sort_values("spend", ascending=False)["supplier_key"].iloc[0]
    sup.loc[sup["supplier_key"] == top, "supplier_name"] = '=HYPERLINK("x") <b>Evil</b> & Co'
    # Other data, so another key: results are kept per key (impact.core.cache.DiskStore).
    yield dataclasses.replace(ws, suppliers=sup, key=ws.key + "-evil")
    mp.undo()


@pytest.fixture(scope="module")
def pack(demo_ws):
    data = reports.pack_data(demo_ws, Filters())
    return data, boardpack.pdf_bytes(data), boardpack.xlsx_bytes(data)


def _text(pdf: bytes) -> tuple[PdfReader, list[str]]:
    r = PdfReader(io.BytesIO(pdf))
    return r, [p.extract_text() for p in r.pages]


def test_pdf_has_headline_figures_images_and_labels(demo_ws, pack) -> None:
    data, pdf, _ = pack
    reader, pages = _text(pdf)
    assert 2 <= len(pages) <= 6
    head = demo_ws.measures(Filters()).figures()  # what every page shows
    text = "\n".join(pages)
    for key in ("total", "local", "regional", "deprived", "lm3"):
        assert head[key].text in text, (key, head[key].text)
        assert head[key].text == data.headline[key].text
    assert head["local"].rests_on.replace("Based on", "Rests on") in " ".join(text.split())
    assert all("SYNTHETIC DEMO" in p for p in pages)
    assert sum(len(p.images) for p in reader.pages) >= 2  # spend and left-behind maps
    assert "Open Government Licence v3.0" in text and "Crown copyright" in text
    assert "LM3" in text and f"£{data.measures.lm3.text} per £1" in " ".join(text.split())
    assert "Good jobs" in text and "Unknown" in text
    assert "Filters in force".lower() in text.lower() or "filters in force" in text


def test_xlsx_cells_never_start_a_formula(pack) -> None:
    data, _, xlsx = pack
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert {"Headline", "Charter roll-up", "Flags", "Caveats and sources"} <= set(
        wb.sheetnames)
    seen_evil = False
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, str):
                    assert not v.startswith(FORMULA_STARTS), (ws.title, v)
                    seen_evil |= "HYPERLINK" in v
    assert seen_evil, "the hostile supplier name should be present, neutralised"
    head = _read_back(xlsx, "Headline")
    total = head.loc[head["figure"] == "Total spend", "value"].iloc[0]
    assert total == pytest.approx(data.headline["total"].value)
    shown = dict(zip(head["figure"], head["shown"], strict=True))
    assert all(shown[f.label] == f.text for f in data.headline.values())
    assert (head["dataset"].str.contains("SYNTHETIC")).all()


def test_filters_change_the_pack(demo_ws) -> None:
    dept = sorted(demo_ws.transactions["directorate"].dropna().unique())[0]
    f = Filters(departments=(dept,))
    data = reports.pack_data(demo_ws, f)
    assert data.headline["total"].text == demo_ws.measures(f).total.text
    assert data.measures.filters == "1 department(s)"
    with pytest.raises(ValueError, match="no payments"):
        reports.pack_data(demo_ws, Filters(period_from="1999-01", period_to="1999-02"))


def test_command_line(tmp_path, tmp_path_factory, monkeypatch, capsys) -> None:
    # the demo's ingest cache is shared with the other board pack tests (same session)
    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path_factory.getbasetemp() / "demo-ws"))
    out = tmp_path / "pack.pdf"
    assert main(["board-pack", "demo", "--out", str(out), "--xlsx", str(tmp_path / "pack.xlsx"),
                 "--from", "2024-04", "--to", "2024-09"]) == 0
    assert out.read_bytes().startswith(b"%PDF") and (tmp_path / "pack.xlsx").is_file()
    folder = tmp_path / "packs"
    folder.mkdir()
    assert main(["board-pack", "demo", "--out", str(folder), "--target", "30"]) == 0
    made = [p.name for p in folder.iterdir()]
    assert len(made) == 1 and re.fullmatch(
        r"demo-borough-synthetic-board-pack-\d{4}-\d{2}-\d{2}\.pdf", made[0]), made
    one = " ".join(PdfReader(folder / made[0]).pages[0].extract_text().split())
    assert "against the 30% target (given for this pack)" in one
    assert main(["board-pack", str(tmp_path / "nope"), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_page_one_is_an_executive_summary_and_methods_are_in_the_appendix(pack) -> None:
    data, pdf, _ = pack
    reader, pages = _text(pdf)
    one = " ".join(pages[0].split())  # words, whatever the line breaks
    for heading in ("What the board should know", "Recommended actions", "Total spend",
                    "Local share", "most deprived 20%", "Local multiplier (LM3)",
                    "Executive summary"):
        assert heading in one, heading
    assert one.count("Rests on the") >= 3  # coverage beside each place-dependent figure
    assert data.headline["local"].text in one and data.headline["total"].text in one
    assert f"£{data.measures.lm3.text} per £1" in one
    assert data.status[0] == trends.NO_TARGET and "no target is set" in one  # said, in words
    assert len(reader.pages[0].images) == 3  # trend, where the money goes, LM3
    for method in ("R1", "seed", "impact.", "demo_attributes", "P10/P50/P90"):
        assert method not in one, method
    rest = " ".join("\n".join(pages[1:]).split())
    assert "Technical appendix" in rest and "R1" in rest and "demo_attributes" not in rest
    assert "Local means a supplier placed inside" in rest
    assert "Local share by quarter" in rest and trends.RAG_RULE[:40] in rest
    assert len(pages) <= 6


def test_findings_and_actions_are_three_plain_sentences(pack) -> None:
    data, _, _ = pack
    found, todo = boardpack.findings(data), boardpack.actions(data)
    assert len(found) == 3 and len(todo) == 3
    assert all("_" not in s and "None" not in s and "nan" not in s for s in found + todo)
    assert data.opportunities["name"].iloc[0] in found[1]
    assert "Agree a local-share target" in todo[0]  # no target set, and none pretended


def test_a_target_set_by_the_council_drives_the_status(demo_ws, tmp_path_factory) -> None:
    trends.save_target(demo_ws.source.council, 0.05)
    try:
        data = reports.pack_data(demo_ws, Filters())
    finally:
        trends.save_target(demo_ws.source.council, None)
    assert data.target.set and data.status[0] == trends.GREEN
    assert "Keep the 5% local-share target under review." in boardpack.actions(data)
    trend = boardpack._pdf_trend(boardpack.PdfDocument("t", "t", False), data)
    assert trend  # every quarter judged against the council's 5%


def _low(placed: int = 27, local: int = 2) -> Measures:
    """100 payments of £1: ``local`` placed in the area, the rest of ``placed`` elsewhere."""
    t = pd.DataFrame({"supplier_key": [f"s{i}" for i in range(100)], "amount": 1.0,
                      "period": "2024-01", "supplier_class": "company"})
    t["location_band"] = (["council"] * local + ["elsewhere"] * (placed - local)
                          + ["not located"] * (100 - placed))
    t["is_located"] = t["location_band"] != "not located"
    return measure(t, CouncilArea("Anytown Council", ("E1",), ("Anytown",)))


def test_low_coverage_gives_a_range_not_a_figure() -> None:
    m = _low()
    _, value, detail, rests = boardpack._tile(m.local, "Local share")
    assert value == NOT_ENOUGH_DATA and detail == "between 2% and 75%"
    assert rests.startswith("Rests on the 27% of spend whose supplier we could place")
    data = dataclasses.replace(_PACK_STUB, measures=m)
    text = boardpack.findings(data)[0]
    # 27p traced = 2p here + 25p elsewhere; the other 73p unknown (never "of that, 7p")
    assert text.startswith("We can trace where 27p of every £1 went: 2p of it to suppliers "
                           "based in Anytown and 25p elsewhere. We do not yet know where the "
                           "other 73p went")


_PACK_STUB = boardpack.PackData(
    council="Anytown Council", is_demo=False, filters=Filters(), measures=_low(),
    lm3_how="", wards=None, opportunities=pd.DataFrame(), charter=None, coverage={})


@pytest.mark.parametrize(("council", "kind", "name"), [
    ("Manchester City Council", "board-pack", "manchester-city-council-board-pack"),
    ("Demo Borough (synthetic)", "market-brief", "demo-borough-synthetic-market-brief"),
    ("St. Helens Borough Council", "board-pack", "st-helens-borough-council-board-pack"),
    ("../", "board-pack", "council-board-pack"),
])
def test_file_names_are_council_slug_kind_date(council, kind, name) -> None:
    assert boardpack.pack_filename(council, "2026-11-28", kind) == f"{name}-2026-11-28.pdf"


@pytest.mark.shared
def test_the_council_is_named_as_the_register_names_it(shared_data) -> None:
    from impact.places.councils import official_name
    from impact.places.reference import resolve_reference

    ref = resolve_reference(shared_data)
    assert official_name(ref, "manchester") == "Manchester City Council"
    assert official_name(ref, "Hyndburn") == "Hyndburn Borough Council"
    assert official_name(ref, "Demo Borough (synthetic)") == "Demo Borough (synthetic)"
    assert official_name(None, "Anytown") == "Anytown"


def test_trend_chart_labels_never_crowd() -> None:
    """Nine years of quarters (Hyndburn) are labelled by year; a year's quarters each."""
    from impact.outputs.charts import _MAX_TICKS, _quarter_ticks, _short_quarter

    long = [f"{y} Q{q}" for y in range(2017, 2026) for q in (1, 2, 3, 4)][1:]
    ticks = _quarter_ticks(long)
    assert len(ticks) <= _MAX_TICKS and all(long[i].endswith("Q1") for i in ticks)
    assert _short_quarter(long[ticks[0]], len(ticks), len(long)) == "2018"
    year = ["2024 Q2", "2024 Q3", "2024 Q4", "2025 Q1"]
    assert [_short_quarter(p, 4, 4) for p in year] == ["24 Q2", "24 Q3", "24 Q4", "25 Q1"]


def _read_back(xlsx: bytes, sheet: str) -> pd.DataFrame:
    """A sheet read back under the library's names (the workbook says them in words: the
    headers of :mod:`impact.outputs.labels`, flags as Yes/No)."""
    back = pd.read_excel(io.BytesIO(xlsx), sheet_name=sheet, engine="openpyxl")
    names = {labels.column(c): c for c in (
        "way", "definition", "shown", "value", "coverage", "rests_on", "lower_bound",
        "upper_bound", "range", "not_enough_data", "headline", "how_calculated", "dataset",
        "figure", "rests_on_share")}
    back = back.rename(columns=names)
    for flag in ("not_enough_data", "headline"):
        if flag in back:
            back[flag] = back[flag].map({"Yes": True, "No": False})
    return back


def _ways_read_back(xlsx: bytes) -> pd.DataFrame:
    """The ways sheet, each way's value (headed "Local share") as ``value``."""
    back = _read_back(xlsx, "Ways of counting local")
    return back.rename(columns={labels.column("local_share"): "value",
                                labels.column("local_share_lower"): "lower_bound",
                                labels.column("local_share_upper"): "upper_bound"})


def _same_as_the_overview(ways: pd.DataFrame, m: Measures) -> None:
    """The workbook's ways say what the Overview's table and the pack's appendix say (the
    same rows of :func:`ways_rows`), with the figures behind them."""
    from impact.analysis.sentences import ways_rows

    assert len(ways) == len(m.ways) == 6
    for r, f, (label, shown, rng, rests) in zip(ways.to_dict("records"), m.ways, ways_rows(m),
                                                strict=True):
        assert (r["definition"], r["shown"], r["rests_on"]) == (label, shown, rests)
        assert "way" not in r  # the way's key: its definition says it in words
        assert r["range"] == rng
        if f.shown is None:
            assert pd.isna(r["value"])
            assert bool(r["not_enough_data"]) == (not f.missing)
        else:
            assert r["value"] == pytest.approx(f.shown) and not r["not_enough_data"]
        for col, x in (("coverage", f.coverage.share if f.coverage else None),
                       ("lower_bound", f.lower), ("upper_bound", f.upper)):
            assert pd.isna(r[col]) if x is None else r[col] == pytest.approx(x), col
        assert bool(r["headline"]) == (f.key == "local")
        assert r["how_calculated"].startswith((f.how or f.missing)[:40])


def test_the_workbook_counts_local_the_ways_the_overview_does(pack) -> None:
    data, pdf, xlsx = pack
    ways = _ways_read_back(xlsx)
    _same_as_the_overview(ways, data.measures)
    assert ways["headline"].sum() == 1
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                    .split())
    for label, shown in zip(ways["definition"], ways["shown"], strict=True):
        assert label in text and shown in text  # the appendix's table, the same words


@pytest.mark.shared
def test_the_workbook_counts_local_as_the_overview_on_a_real_council(tmp_path) -> None:
    from impact.sources import folder_source
    from tests._shared import require

    spend = require("spend", "trafford")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WORKSPACE_DIR, str(tmp_path / "ws"))
        ws = Workspace.load(folder_source(spend, council="Trafford",
                                          reference=spend.parent.parent))
        data = reports.pack_data(ws, Filters())
        xlsx = boardpack.xlsx_bytes(data)
        overview = ws.measures(Filters())
    _same_as_the_overview(_ways_read_back(xlsx), data.measures)
    assert [f.text for f in overview.ways] == [f.text for f in data.measures.ways]
    assert [f.label for f in overview.ways] == [f.label for f in data.measures.ways]
