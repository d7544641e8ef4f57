"""Market engagement brief: priority areas with what they lack, local gaps, the charter,
editable wording; Markdown and PDF."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from impact import reports
from impact.analysis.charter import POINTS
from impact.analysis.filters import Filters
from impact.core.settings import WORKSPACE_DIR
from impact.outputs import boardpack, brief
from impact.workspace import Workspace


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv(WORKSPACE_DIR, str(tmp_path_factory.getbasetemp() / "demo-ws"))
    ws = Workspace.load("demo")
    data = reports.pack_data(ws, Filters())
    yield ws, data
    mp.undo()


def test_brief_content_and_editable_wording(made) -> None:
    ws, data = made
    b = brief.market_brief(data, ws.transactions, social_value_weight=15,
                           text={"judging": "Social value is $weight % for $council."},
                           branding="Demo Borough — Procurement team")
    md = b.markdown
    top = data.opportunities["name"].iloc[0]
    assert f"**{top}**" in md
    assert len(b.priority_areas) == 5
    assert all(b.priority_areas["lacks"].str.len() > 5)
    assert any(w in md for w in brief.DOMAIN_WORDS.values())
    for title in POINTS.values():
        assert title in md
    assert f"Social value is 15 % for {data.council}." in md
    assert "Demo Borough — Procurement team" in md
    assert "SYNTHETIC DEMO" in md and "Open Government Licence" in md
    assert len(b.gaps) and "Recharges" not in b.gaps["category"].tolist()
    assert (b.gaps["local_share"].diff().dropna() >= 0).all()  # lowest local share first
    pdf = brief.brief_pdf(b)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert 1 <= len(pages) <= 3 and all("SYNTHETIC DEMO" in p for p in pages)
    assert top in "\n".join(pages)


def test_lacks_names_the_most_deprived_domains() -> None:
    import pandas as pd

    w = pd.Series({"income_rank": 500, "employment_rank": 30000, "health_rank": 100,
                   "crime_rank": None})
    assert brief.lacks(w) == ["poor health and disability", "low household incomes"]


def test_markdown_is_inert() -> None:
    assert brief._md("[click](http://x) <script>") == "\\[click\\](http://x) &lt;script>"


def test_brief_has_a_priority_map_and_a_dated_name(made) -> None:
    ws, data = made
    b = reports.brief(ws, data)
    assert b.map_png and b.map_png.startswith(b"\x89PNG")
    assert b.filename == boardpack.pack_filename(data.council, data.generated, "market-brief")
    reader = PdfReader(io.BytesIO(brief.brief_pdf(b)))
    assert len(reader.pages[0].images) == 1  # the map sits under its section on page 1
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "the borough" not in text and "went to suppliers based in the council's area" in text


def test_a_category_with_too_little_placed_says_not_enough_data() -> None:
    from types import SimpleNamespace

    thin = SimpleNamespace(category="Care", spend=2e6, coverage=0.2, local_share=0.0,
                           enough=False)
    assert "not enough data" in brief.gap_text(thin) and "20%" in brief.gap_text(thin)
    ok = SimpleNamespace(category="Roads", spend=2e6, coverage=0.9, local_share=0.25,
                         enough=True)
    assert "25% of the part we could place (90% of it)" in brief.gap_text(ok)
