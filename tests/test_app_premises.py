"""The Overview's "Ways of counting local" table and "Against published figures" section,
through AppTest, on the demo borough's spend with a published figure written for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from impact.core.settings import (
    COUNCIL,
    LAD_CODES,
    REFERENCE_DIR,
    SOURCE_DIR,
    WORKSPACE_DIR,
    demo_dir,
    project_root,
)

APP = str(project_root() / "app.py")
DEMO_LAD = "E09999999"
PUBLISHED = (
    "study,place,organisation,period,metric,value,unit,source_url,note\n"
    "Test study,Demo Borough (synthetic),Demo council,2019-20,share of spend with top 300 "
    "suppliers going to Demo-based organisations,0.613,proportion,https://example.org,\n"
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("premises_app")
    ref = Path(shutil.copytree(demo_dir() / "reference", root / "reference"))
    (ref / "lm3").mkdir()
    (ref / "lm3" / "lm3_published_test.csv").write_text(PUBLISHED, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WORKSPACE_DIR, str(root / "ws"))
        mp.setenv(SOURCE_DIR, str(demo_dir() / "spend"))
        mp.setenv(COUNCIL, "Demo Borough")
        mp.setenv(LAD_CODES, DEMO_LAD)
        mp.setenv(REFERENCE_DIR, str(ref))
        _add_a_rates_list(root)
        yield root


def _add_a_rates_list(root: Path) -> None:
    """A rates list naming the three largest suppliers, kept for the council as the Data
    page's form keeps one."""
    from impact.sources import start_source
    from impact.workspace import Workspace

    ws = Workspace.load(start_source())
    top = ws.suppliers.nlargest(3, "spend")
    pc = str(ws.suppliers["postcode"].dropna().iloc[0])
    lines = ["Account Name,Property Address"] + [
        f'"{n}","1 Any Street, {pc}"' for n in top["supplier_name"]] + ['"THE OCCUPIER",x']
    (root / "rates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws.add_premises([root / "rates.csv"])


def _plain(markdown: str) -> str:
    """Markdown as read: the escapes the page adds to text from a file removed."""
    return markdown.replace("\\", "")


def test_the_overview_shows_each_way_and_the_published_figure(env) -> None:
    at = AppTest.from_file(APP, default_timeout=240).run()
    assert not at.exception, [e.value for e in at.exception]
    heads = [h.value for h in at.subheader]
    assert "Ways of counting local" in heads and "Against published figures" in heads
    ways = next(d.value for d in at.dataframe if "Way of counting local" in d.value.columns)
    labels = " ".join(ways["Way of counting local"])
    for words in ("Based or branched", "Main address", "Registered office",
                  "Tussell", "Top 300 suppliers"):
        assert words in labels
    assert ways["Share"].str.contains("%|not enough data|not available").all()
    exp = [e for e in at.expander if "61.3%" in _plain(e.label)]
    assert exp, [e.label for e in at.expander]
    assert "Test study, 2019-20: " in _plain(exp[0].label)
    steps = _plain(" ".join(m.value for m in exp[0].markdown))
    for step in ("Our headline", "Definition", "Top 300 suppliers only", "Unplaced spend",
                 "Unexplained", "Published"):
        assert step in steps


def test_the_data_page_accounts_for_every_premises_row(env) -> None:
    at = AppTest.from_file(APP, default_timeout=240).run()
    at.switch_page("views/data_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Premises lists" in [h.value for h in at.subheader]
    acc = next(d.value for d in at.dataframe if "Rows in" in d.value.columns)
    row = acc.iloc[0]
    assert row["List"] == "rates.csv" and row["Rows in"] == 4
    assert row["Linked"] + row["Unlinked"] + row["Set aside"] == row["Rows in"]
    assert row["Set aside"] >= 1 and "placeholder" in row["Why set aside"]
