"""The Board pack and Consultation pages through AppTest, starting from app.py."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from impact.core.settings import WORKSPACE_DIR, demo_dir, project_root

APP = str(project_root() / "app.py")
TIMEOUT = 180


@pytest.fixture()
def env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path_factory.getbasetemp() / "demo-ws"
    monkeypatch.setenv(WORKSPACE_DIR, str(root))
    return root


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_board_pack_page(env) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/boardpack_page.py").run()
    _ok(at)
    assert at.title[0].value == "Board pack"
    md = " ".join(m.value for m in at.markdown)
    assert "Carbon commitments" in md and "unknown" in md
    assert any("Synthetic demo attributes" in c.value for c in at.caption)
    said = " ".join(c.value for c in at.caption)
    assert "target is set: the pack says so" in said  # never a stand-in presented as one
    gen = next(b for b in at.button if b.label == "Generate the board pack")
    gen.click().run()
    _ok(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Board pack (PDF)" in labels and "Market brief (PDF)" in labels
    names = at.session_state["_bp_names"]
    assert re.fullmatch(r"demo-borough-synthetic-board-pack-\d{4}-\d{2}-\d{2}\.pdf",
                        names["pdf"]), names
    assert names["pdf-brief"].startswith("demo-borough-synthetic-market-brief-")
    assert not at.session_state["_bp_for"][2].set  # the pack was made with no target


def test_consultation_page_saves_outside_the_demo_folder(env) -> None:
    before = sorted(p.name for p in demo_dir().rglob("*"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/consultation_page.py").run()
    _ok(at)
    assert at.title[0].value == "Where does our £1 go?"
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "100p" in html and "stays here" in html and 'stSidebar"' in html
    md = " ".join(m.value for m in at.markdown)
    assert "of every £1" in md.lower() and "None" not in md
    assert "We know where" in md
    assert not at.metric  # one big number per step, not body-size metric cards
    at.multiselect(key="cons_wards").select(at.multiselect(key="cons_wards").options[0]).run()
    at.number_input(key="cons_v0").set_value(7).run()
    next(b for b in at.button if b.label == "Save this session").click().run()
    _ok(at)
    saved = sorted(env.glob("*-consultation/session-*.json"))
    assert saved, "no session file written under the workspace folder"
    rec = json.loads(saved[-1].read_text(encoding="utf-8"))
    assert rec["votes"]["Good local jobs paying the Real Living Wage"] == 7
    assert len(rec["wards"]) == 1
    assert sorted(p.name for p in demo_dir().rglob("*")) == before
