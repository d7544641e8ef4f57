"""The Payment checks page through AppTest, started from app.py on the demo: findings ranked
by confidence and £, filters, the rows behind a finding as published, a verdict that a new
session still shows, what changed between two quarters, and no code or snake_case on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from impact.core.settings import WORKSPACE_DIR, project_root
from tests._screen import headers, identifiers

APP = str(project_root() / "app.py")
PAGE = "views/checks_page.py"
TIMEOUT = 240


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path / "ws"))
    return tmp_path / "ws"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _ok(at)
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_findings_are_ranked_openable_and_a_verdict_survives_a_new_session(env: Path) -> None:
    at = _page()
    assert at.title[0].value == "Payment checks"
    assert int(_metric(at, "Findings").replace(",", "")) > 0
    assert headers(at)[:3] == ["Confidence", "Check", "£ at stake"]
    assert not identifiers(at), identifiers(at)
    table = at.dataframe[0].value
    assert set(table["confidence"]) <= {"high", "medium"}, "high and medium by default"
    levels = table["confidence"].map({"high": 0, "medium": 1}).tolist()
    assert levels == sorted(levels), "high confidence first"
    picked = at.selectbox(key="checks_finding")
    assert picked.value == picked.options[0] or picked.index == 0
    assert "Row in the file" in headers(at)
    lines = next(d.value for d in at.dataframe if "source_row" in d.value.columns)
    assert len(lines) >= 2 and lines["source_file"].str.endswith(".csv").all()
    finding = picked.value
    at.text_input(key="officer_name").input("Test Officer")
    at.radio(key=f"checks_verdict_choice_{finding}").set_value("confirmed")
    at.text_input(key=f"checks_note_{finding}").input("Checked with finance: paid twice")
    next(b for b in at.button if b.label == "Save the verdict").click().run()
    _ok(at)
    assert any("Saved: confirmed, by Test Officer" in s.value for s in at.success)
    assert at.radio(key=f"checks_verdict_choice_{finding}").value == "confirmed"
    assert at.text_input(key="officer_name").value == "Test Officer", "the name stays"
    again = _page()  # a new session, reading what was saved
    assert _metric(again, "Confirmed by officers") == "1"
    assert any("set by Test Officer" in c.value for c in again.caption)


def test_filters_the_rules_and_what_changed(env: Path) -> None:
    at = _page()
    at.multiselect(key="checks_confidence").set_value(["low"]).run()
    _ok(at)
    shown = at.dataframe[0].value
    assert set(shown["confidence"]) <= {"low"}
    assert any("Purchase split around a threshold" in str(d.value.values)
               for d in at.dataframe), "the rules table names every check"
    at.radio(key="changes_kind").set_value("quarters").run()
    _ok(at)
    assert at.selectbox(key="changes_to").value == "2025 Q1"
    said = " ".join(m.value for m in at.markdown)
    assert "Published spend" in said and "new suppliers added" in said
    parts = next(d.value for d in at.dataframe if "cause" in d.value.columns)
    assert "Change in published spend" in parts["cause"].tolist()
    assert not identifiers(at), identifiers(at)
    at.radio(key="changes_kind").set_value("financial years").run()
    _ok(at)
    assert any("fewer than two periods" in i.value for i in at.info)
