"""One figure, one meaning: every surface shows the same figure, with the same coverage and
the same words, on councils of different shapes.

For each case the figures are collected from every surface — the Overview, Re-spend, Data,
Spend map and Consultation pages (AppTest), the board pack's PDF text and XLSX, the market
brief, ``impact compare``'s CSV and ``impact lm3 --json`` — and compared with the measures
(:meth:`impact.workspace.Workspace.measures`), the one place they are computed.  The cases:
the demo (nearly all placed), Calderdale (about a third placed: every local figure "not
enough data"), Hyndburn (nine years, payments mostly to other public bodies, incomplete
months), Leeds (one month, just over half placed), Calderdale with 150 payments dated years
away from the months of their files, and the demo with a quarter of eight payments.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from impact import reports
from impact.analysis import trends
from impact.analysis.measures import NOT_ENOUGH_DATA, Measures, pct
from impact.analysis.sentences import pound_sentence
from impact.cli import main
from impact.core.settings import WORKSPACE_DIR, demo_dir, project_root
from impact.outputs import boardpack, labels
from impact.outputs.consultation import pound_story
from impact.sources import Source, demo_source, folder_source
from impact.workspace import Workspace
from tests._shared import require

APP = str(project_root() / "app.py")
SHARED = ("calderdale", "hyndburn", "leeds", "dated_outside")
CASES = ("demo", *SHARED, "quarter_of_eight")
#: How many Calderdale payments get a date years away from their file's month.
OUTSIDE = 150


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory: pytest.TempPathFactory):
    """One workspace folder for the module (ingest and locate once per case)."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("one-figure")
    mp.setenv(WORKSPACE_DIR, str(root / "ws"))
    yield root
    mp.undo()


def _dated_outside(root: Path) -> Path:
    """Calderdale's files with 150 payments dated years before or after their file."""
    src, out = require("spend", "calderdale"), root / "calderdale-dated"
    if not out.exists():
        out.mkdir()
        for i, f in enumerate(sorted(src.glob("*.csv"))):
            t = pd.read_csv(f, dtype=str, keep_default_na=False)
            n = OUTSIDE // 12 + (i < OUTSIDE % 12)
            t.loc[t.index[:n], "Date"] = "2012-10-0" + str(1 + i % 9) if i % 2 else "2022-12-15"
            t.to_csv(out / f.name, index=False)
    return out


def _quarter_of_eight(root: Path) -> Path:
    """The demo's files, its supplier register, and three more months (Jul–Sep 2025)
    holding eight payments."""
    out = root / "demo-plus"
    if not out.exists():
        shutil.copytree(demo_dir() / "spend", out)
        shutil.copy(demo_dir() / "supplier_register.csv", out / "supplier_register.csv")
        head = pd.read_csv(out / "demo-spend-2024-04.csv", dtype=str).head(8)
        for month, rows in (("07", head.iloc[:3]), ("08", head.iloc[3:6]),
                            ("09", head.iloc[6:])):
            rows.assign(**{"Payment Date": f"15/{month}/2025"}).to_csv(
                out / f"demo-spend-2025-{month}.csv", index=False)
    return out


def _source(case: str, root: Path) -> Source:
    shared = require()
    if case == "demo":
        return demo_source()
    if case == "quarter_of_eight":
        d = demo_source()
        return folder_source(_quarter_of_eight(root), council=d.council,
                             reference=d.reference)
    folder = _dated_outside(root) if case == "dated_outside" else require("spend", case)
    council = "calderdale" if case == "dated_outside" else case
    return folder_source(folder, council=council.title(), reference=shared)


@pytest.fixture(scope="module")
def loaded(workspace_dir: Path) -> dict[str, Workspace]:
    return {case: Workspace.load(_source(case, workspace_dir)) for case in CASES}


# ------------------------------------------------------------------------------ surfaces


def _pdf(data: boardpack.PackData) -> tuple[str, str]:
    """Page 1 and the rest of the board pack, as words."""
    pages = [" ".join(p.extract_text().split())
             for p in PdfReader(io.BytesIO(boardpack.pdf_bytes(data))).pages]
    return pages[0], " ".join(pages[1:])


def _xlsx(data: boardpack.PackData) -> tuple[dict[str, str], dict[str, str]]:
    wb = openpyxl.load_workbook(io.BytesIO(boardpack.xlsx_bytes(data)))
    head = {r[0]: r[1] for r in wb["Headline"].iter_rows(min_row=2, values_only=True)}
    about = {r[0]: r[1] for r in wb["About"].iter_rows(min_row=2, values_only=True)}
    return head, about


def _cli(case: str, ws: Workspace, root: Path, capsys) -> tuple[dict, pd.Series]:
    """``impact lm3 --json`` and the ``impact compare --period all`` row of the case."""
    where = "demo" if case == "demo" else ws.source.path
    args = (["--reference", ws.source.reference] if ws.source.reference else []) + (
        [] if case == "demo" else ["--council", ws.source.council])
    capsys.readouterr()
    assert main(["lm3", where, "--json", *args]) == 0
    lm3 = json.loads(capsys.readouterr().out)
    out = root / f"{case}-compare.csv"
    assert main(["compare", where, "--out", str(out), "--period", "all", "--store",
                 str(root / f"{case}-store"), *args]) == 0
    row = pd.read_csv(out, dtype=str, encoding="utf-8-sig").iloc[0]  # in words
    return lm3, row.rename({labels.column(c): c for c in (
        "total_spend", "placed_share", "local_share", "deprived_share", "sme_share", "lm3_p50")})


def _csv_share(cell: str, value: float | None) -> None:
    """A share in the compare CSV: "not enough data" exactly when withheld, else the value."""
    if value is None:
        assert cell == NOT_ENOUGH_DATA
    else:
        assert float(cell) == pytest.approx(value, abs=5e-5)


@pytest.mark.shared
@pytest.mark.parametrize("case", CASES)
def test_every_surface_shows_the_measures(case: str, loaded, workspace_dir: Path,
                                          capsys) -> None:
    ws = loaded[case]
    m = ws.measures()
    data = reports.pack_data(ws)
    one, rest = _pdf(data)
    head, about = _xlsx(data)
    brief = reports.brief(ws, data).markdown
    lm3, row = _cli(case, ws, workspace_dir, capsys)

    # the period: one text everywhere
    assert m.period.text in one and about["Payments"] == m.period.text
    assert m.period.text in brief and lm3["period"] == m.period.text
    # every headline figure: the XLSX says what the screens say
    for f in m.figures().values():
        assert head[f.label] == f.text, f.label
    # page 1's tiles: total, local share (or not enough data, with its range), LM3
    assert m.total.text in one
    assert f"{m.local.text} {m.local.detail}" in one
    if m.lm3.shown is not None:
        assert f"£{m.lm3.text} per £1" in one
    assert m.local.rests_on.replace("Based on", "Rests on") in one
    # the local share in words: the same sentence in the pack as on the Overview
    assert pound_sentence(m) in " ".join(rest.split()) or pound_sentence(m) in one
    # the command line: the same LM3, range and coverage; the same shares in compare
    assert lm3["text"] == m.lm3.text and lm3["lower"] == pytest.approx(m.lm3.lower)
    assert lm3["coverage"] == pytest.approx(m.lm3.coverage.share)
    assert float(row["total_spend"]) == pytest.approx(m.total.value, abs=0.01)
    assert float(row["placed_share"]) == pytest.approx(m.placed.value, abs=5e-5)
    for col, f in (("local_share", m.local), ("deprived_share", m.deprived),
                   ("sme_share", m.sme), ("lm3_p50", m.lm3)):
        _csv_share(row[col], f.shown)
    # the status: one sentence, with no target set: never a colour against a stand-in
    status, sentence = data.status
    assert status in (trends.NO_TARGET, trends.NOT_JUDGED) and sentence in one
    assert "GREEN" not in one and "baseline" not in one


@pytest.mark.shared
def test_payments_dated_outside_their_files_never_stretch_the_period(loaded) -> None:
    ws = loaded["dated_outside"]
    m = ws.measures()
    assert m.period.text == "Apr 2021 to Mar 2022 (12 months)"
    assert m.period.outside_file == OUTSIDE
    assert m.total.value == pytest.approx(loaded["calderdale"].measures().total.value)
    t = trends.quarterly(ws.transactions, ws.area)
    assert list(t["period"]) == ["2021 Q2", "2021 Q3", "2021 Q4", "2022 Q1"]


@pytest.mark.shared
def test_a_quarter_of_eight_payments_is_never_judged(loaded) -> None:
    ws = loaded["quarter_of_eight"]
    t = trends.quarterly(ws.transactions, ws.area)
    last = t.iloc[-1]
    assert last["period"] == "2025 Q3" and last["payments"] == 8 and not last["judged"]
    target = trends.target_of(0.30)
    assert trends.statuses(t, target).iloc[-1] == trends.NOT_JUDGED
    _, text = trends.latest_status(t, target)
    assert "Jan–Mar 2025" in text  # the latest judged quarter, never the eight payments
    assert "2025 Q3" not in text


@pytest.mark.shared
def test_below_the_gate_no_surface_states_a_local_figure(loaded) -> None:
    m = loaded["calderdale"].measures()
    assert not m.placed.value >= 0.5 and m.local.text == NOT_ENOUGH_DATA
    story = pound_story(m)
    assert not story.enough and f"{story.traced_p}%" == m.placed.text
    assert f"We can trace where {story.traced_p}p of every £1" in pound_sentence(m)


# ----------------------------------------------------------------------------- the pages


def _page(ws: Workspace, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["source"] = ws.source
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _said(at: AppTest) -> str:
    """Everything the page says in words, Markdown escapes removed."""
    parts = [*(c.value for c in at.caption), *(m.value for m in at.markdown),
             *(i.value for i in at.info), *(w.value for w in at.warning)]
    return re.sub(r"\\(.)", r"\1", " ".join(parts))


def _pages_agree(ws: Workspace, m: Measures) -> None:
    over = _page(ws, "views/overview_page.py")
    shown = _metrics(over)
    for f in (m.total, m.local, m.regional, m.deprived, m.sme, m.vcse):
        assert shown[f.label] == f.text, f.label
    said = _said(over)
    assert m.period.text in said and pound_sentence(m) in said
    assert m.local.rests_on in said
    status = trends.latest_status(trends.quarterly(ws.transactions, ws.area),
                                  trends.load_target(ws.source.council))[1]
    assert status in said
    assert _metrics(_page(ws, "views/lm3_page.py"))["Local multiplier (LM3)"] == m.lm3.text
    data = _page(ws, "views/data_page.py")
    assert _metrics(data)[m.placed.label] == m.placed.text and m.period.text in _said(data)
    cons = _page(ws, "views/consultation_page.py")
    html = " ".join(h.proto.body for h in cons.get("html"))
    story = pound_story(m)
    assert all(f">{big}<" in html for big, _ in story.steps)
    spend_map = _said(_page(ws, "views/spend_map_page.py"))
    assert f"{pct(m.ward.share)} of spend is placed at ward level" in spend_map


@pytest.mark.shared
@pytest.mark.parametrize("case", ["demo", "calderdale", "quarter_of_eight"])
def test_the_pages_say_what_the_pack_says(case: str, loaded) -> None:
    ws = loaded[case]
    _pages_agree(ws, ws.measures())
