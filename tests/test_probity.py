"""Verdicts kept for every later session, the board pack's probity section (data and PDF),
the findings as people read them, and ``impact checks`` / ``impact changes``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.analysis import verdicts as vd
from impact.analysis.findings import run_checks
from impact.cli import main
from impact.core.settings import WORKSPACE_DIR
from impact.outputs import labels, probity
from impact.outputs.pdf import PdfDocument
from tests.test_changes import LADS, two_years
from tests.test_checks import rows


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path / "ws"))
    return tmp_path / "ws"


def _run():
    return run_checks(rows({"date": "2024-05-03", "amount": 4072.51},
                           {"date": "2024-05-07", "amount": 4072.51},
                           {"date": "2024-05-03", "amount": 812.40, "transaction_id": "INV-7",
                            "supplier_name": "Beta Ltd"},
                           {"date": "2024-07-30", "amount": 812.40, "transaction_id": "INV-7",
                            "supplier_name": "Beta Ltd"}))


def test_a_verdict_is_kept_with_who_and_when_and_the_latest_counts(workspace: Path) -> None:
    run = _run()
    first = run.findings.iloc[0]
    council = "Testshire Council"
    path = vd.save_verdict(council, vd.Verdict(first["finding_id"], vd.EXPLAINED, "A. Officer",
                                               "two vans bought", "duplicate", "Beta", 812.4))
    assert path.is_relative_to(workspace)
    vd.save_verdict(council, vd.Verdict(first["finding_id"], vd.CONFIRMED, "B. Auditor"))
    history = vd.read_history(council)  # as a later session reads it
    assert history["verdict"].tolist() == [vd.EXPLAINED, vd.CONFIRMED], "every change kept"
    shown = vd.with_verdicts(run.findings, history)
    row = shown.set_index("finding_id").loc[first["finding_id"]]
    assert (row["verdict"], row["verdict_by"]) == (vd.CONFIRMED, "B. Auditor")
    assert row["verdict_at"][:4].isdigit()
    others = shown[shown["finding_id"] != first["finding_id"]]
    assert set(others["verdict"]) == {vd.TO_REVIEW}
    with pytest.raises(vd.VerdictError, match="one of"):
        vd.save_verdict(council, vd.Verdict(first["finding_id"], "fine", "A. Officer"))
    with pytest.raises(vd.VerdictError, match="who"):
        vd.save_verdict(council, vd.Verdict(first["finding_id"], vd.CONFIRMED, "  "))
    assert len(vd.read_history(council)) == 2, "a refused verdict writes nothing"


def test_the_board_section_counts_by_check_and_verdict_and_says_what_changed(
        workspace: Path) -> None:
    run = _run()
    top = run.findings.iloc[0]
    vd.save_verdict("T", vd.Verdict(top["finding_id"], vd.CONFIRMED, "A. Officer"))
    ch = two_years()
    from impact.analysis.changes import what_changed

    section = probity.board_section(run, vd.read_history("T"),
                                    what_changed(ch, "2023/24", "2024/25", council_lads=LADS))
    by = section.by_check.set_index("check")
    assert by.loc["Possible duplicate payment", "findings"] == 2
    assert section.totals[vd.CONFIRMED] == 1
    assert section.totals[vd.TO_REVIEW] == len(run.findings) - 1
    assert section.totals[vd.CONFIRMED + " £"] == pytest.approx(top["amount"])
    assert len(section.changes) == 3 and section.period_to == "2024/25"
    doc = PdfDocument("Testshire", "probity", synthetic=True)
    story = probity.section_flowables(doc, section)
    assert len(story) >= 6


def test_findings_read_in_words_and_the_rows_behind_them() -> None:
    run = _run()
    table = labels.for_people(probity.findings_table(run.findings))
    assert "£ at stake" in table.columns and "Rows behind it (file and row, as published)" in (
        table.columns)
    assert not [c for c in table.columns if "_" in c]
    tx = rows({"date": "2024-05-03", "amount": 4072.51},
              {"date": "2024-05-07", "amount": 4072.51})
    rejected = pd.DataFrame({"source_file": ["copy.csv"], "source_row": [9],
                             "reason": ["duplicate of a transaction in an overlapping file"],
                             "detail": ["same transaction in spend-2024-05.csv"],
                             "raw": ["Acme Widgets Ltd | 4072.51 | 2024-05-03"]})
    f = run_checks(tx).findings.iloc[0]
    lines, aside = probity.rows_behind(f, tx, rejected)
    assert lines["source_row"].tolist() == [2, 3] and len(aside) == 1


def test_impact_checks_and_changes_on_the_demo(workspace: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "findings.csv"
    assert main(["checks", "demo", "--out", str(out), "--thresholds", "5000,25000"]) == 0
    said = capsys.readouterr().out
    assert "payments checked" in said and "Purchase split around a threshold:" in said
    assert "candidate pairs" in said
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"Confidence", "£ at stake", "Verdict"} <= set(table.columns)
    assert main(["checks", "demo", "--out", str(out), "--thresholds", "lots"]) == 2
    assert "--thresholds" in capsys.readouterr().err
    assert main(["changes", "demo", "--from", "2024 Q2", "--to", "2025 Q1"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("Published spend") and "Continuing suppliers" in said
    assert main(["changes", "demo", "--from", "2019/20", "--to", "2024/25"]) == 2
    assert "no dated payments in 2019/20" in capsys.readouterr().err
