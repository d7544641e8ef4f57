"""The Overview through AppTest: words not codes, the basis split and the target's RAG."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from impact.core.settings import WORKSPACE_DIR, project_root
from tests._screen import headers, identifiers

APP = str(project_root() / "app.py")
TIMEOUT = 180


@pytest.fixture()
def env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path_factory.getbasetemp() / "demo-ws"
    monkeypatch.setenv(WORKSPACE_DIR, str(root))
    return root


def test_overview_in_words_with_basis_split_and_target(env) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader][:2] == ["Quarter by quarter, against the target",
                                                  "What the local share rests on"]
    assert headers(at) and not identifiers(at), identifiers(at)
    cells = [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    assert "council register (a trading address)" in cells
    md = " ".join(m.value for m in at.markdown)
    assert re.search(r"(on target|within the range|below target|not enough data)", md)
    at.number_input(key="local_target").set_value(95.0).run()
    assert at.query_params.get("target") in ("95", ["95"])
    assert "below target" in " ".join(m.value for m in at.markdown)
