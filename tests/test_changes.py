"""What changed between two periods: publication changes named with their £, then new,
gone and continuing suppliers, adding up to the change exactly; and Hyndburn's jump from
£18.8m (2023/24) to £94.1m (2024/25) explained by named causes on the real files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.analysis.changes import (
    PUBLICATION,
    latest_pair,
    period_choices,
    period_label,
    published_from,
    what_changed,
)
from impact.ingest.schema import conform

LADS = ["E07999999"]


def payment(day: str, amount: float, supplier: str, **extra) -> dict:
    return {"date": pd.Timestamp(day), "period": day[:7], "amount": amount,
            "supplier_name": supplier, "supplier_name_norm": supplier.upper(),
            "council": "Testshire Council", "source_file": extra.pop("file", f"f-{day[:7]}.csv"),
            "source_row": 2, "directorate": extra.pop("dept", "Place"),
            "expense_type": extra.pop("etype", "Works"), "is_card": extra.pop("card", False),
            "supplier_class": extra.pop("cls", "company"),
            "location_band": extra.pop("band", "council"), "is_located": True, **extra}


def two_years() -> pd.DataFrame:
    """2023/24 and 2024/25: card payments only in the first; a county's precepts only in the
    second; September 2023 missing; a new, a gone and a continuing supplier."""
    rows = []
    for y, m in [(2023, m) for m in range(4, 13)] + [(2024, m) for m in range(1, 4)]:
        if (y, m) == (2023, 9):
            continue
        day = f"{y}-{m:02d}-10"
        rows += [payment(day, 1000.0, "Steady Ltd"), payment(day, 500.0, "Old Co Ltd"),
                 payment(day, 40.0, "Card Shop", card=True)]
    for y, m in [(2024, m) for m in range(4, 13)] + [(2025, m) for m in range(1, 4)]:
        day = f"{y}-{m:02d}-10"
        rows += [payment(day, 1500.0, "Steady Ltd"), payment(day, 700.0, "New Co Ltd",
                                                             band="elsewhere"),
                 payment(day, 90000.0, "Shire County Council", cls="public_body",
                         description="County council tax precept", band="region")]
    tx = pd.DataFrame(rows)
    return conform(tx).join(tx[["supplier_class", "location_band", "is_located"]])


def test_periods_are_read_in_the_forms_people_write_them() -> None:
    assert period_label("2023/24") == period_label("2023-24") == period_label("FY2023/2024")
    assert period_label("2024 Q1") == period_label("Q1 2024") == period_label("2024-q1")
    with pytest.raises(ValueError, match="not one financial year"):
        period_label("2023/25")
    with pytest.raises(ValueError, match="not a period"):
        period_label("last year")


def test_the_change_is_explained_by_named_causes_that_add_up() -> None:
    tx = two_years()
    assert latest_pair(tx) == ("2023/24", "2024/25")
    ch = what_changed(tx, "2023/24", "2024/25", council_lads=LADS)
    causes = {c.key: c for c in ch.causes}
    assert causes["card_payments"].amount == pytest.approx(-11 * 40.0)
    assert causes["card_payments"].title == "Card payments no longer published"
    assert causes["public_bodies"].amount == pytest.approx(12 * 90000.0)
    assert "council tax precepts" in causes["public_bodies"].detail
    assert "Shire County Council" in causes["public_bodies"].detail
    assert causes["months"].amount == pytest.approx(1500 + 700 - 0), "September: none in 2023"
    assert ch.new_suppliers == pytest.approx(11 * 700.0)
    assert ch.suppliers_gone == pytest.approx(-11 * 500.0)
    assert ch.continuing == pytest.approx(11 * 500.0)
    table = ch.table()
    parts = table[table["kind"] != "total"]["change"].sum()
    assert parts == pytest.approx(ch.change) and ch.change == pytest.approx(
        ch.total_to - ch.total_from)
    assert (table["kind"] == PUBLICATION).sum() == 3
    first, second, third = ch.sentences()
    assert "rose from £16,940 in 2023/24 to £1.1m in 2024/25" in first
    assert "payments to other public bodies newly in the files" in second
    assert "new suppliers added £7,700" in third


def test_the_local_share_steps_add_up_and_the_groups_too() -> None:
    ch = what_changed(two_years(), "2023/24", "2024/25", council_lads=LADS)
    local = ch.local
    assert local["effect"].iloc[1:].sum() == pytest.approx(
        local["local_share"].iloc[-1] - local["local_share"].iloc[0])
    assert set(local["because_of"].iloc[1:]) == {"publication changes", "new suppliers",
                                                  "suppliers no longer paid",
                                                  "continuing suppliers"}
    dept = ch.by_department.set_index("group").loc["Place"]
    assert dept["change"] == pytest.approx(dept[["publication", "new_suppliers",
                                                 "suppliers_no_longer_paid",
                                                 "continuing_suppliers"]].sum())


def test_quarters_compare_with_the_same_quarter_and_thresholds_are_read() -> None:
    tx = two_years()
    assert "2024 Q2" in period_choices(tx, quarters=True)
    ch = what_changed(tx, "2023 Q2", "2024 Q2")
    assert ch.period_from == "2023 Q2" and ch.local is None, "no districts given"
    with pytest.raises(ValueError, match="a year with a year"):
        what_changed(tx, "2023/24", "2024 Q2")
    with pytest.raises(ValueError, match="no dated payments in 2019/20"):
        what_changed(tx, "2019/20", "2024/25")
    over_500 = conform(pd.DataFrame([payment("2024-05-01", 600.0 + i, "A") for i in range(60)]))
    assert published_from(over_500) == 500
    assert published_from(pd.concat([over_500, conform(pd.DataFrame(
        [payment("2024-05-02", 300.0, "B")] * 10))])) == 250


@pytest.mark.shared
def test_hyndburn_2023_24_to_2024_25_is_explained_by_named_causes(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from impact.sources import folder_source
    from impact.workspace import Workspace

    monkeypatch.setenv("IMPACT_WORKSPACE_DIR", str(tmp_path))
    folder = shared_data / "spend" / "hyndburn"
    files = [f for f in sorted(folder.glob("*.csv")) if any(
        k in f.name for k in ("23", "24", "25", "Mar-24", "Feb24", "1700664724"))]
    ws = Workspace.load(folder_source(folder, council="Hyndburn", reference=shared_data,
                                      files=files))
    ch = ws.changes("2023/24", "2024/25")
    assert round(ch.total_from / 1e6, 1) == 18.8 and round(ch.total_to / 1e6, 1) == 94.1
    causes = {c.key: c for c in ch.causes}
    bodies = causes["public_bodies"]
    assert bodies.amount > 60e6, bodies
    for name in ("Lancashire County Council", "Levelling Up", "Ribble Valley", "HM Revenue"):
        assert name in bodies.detail
    assert "council tax precepts" in bodies.detail
    assert causes["card_payments"].amount < 0
    assert ch.movers["supplier"].iloc[0].startswith("Morgan Sindall")
    assert any("amount column changed" in n for n in ch.notes)
    table = ch.table()
    assert table[table["kind"] != "total"]["change"].sum() == pytest.approx(ch.change)


def test_periods_offered_are_those_of_every_payment_read_once_per_distinct_month() -> None:
    """The choices and the latest pair come from each distinct period (fast on 200,000 rows):
    the same as labelling every payment, undated ones left out."""
    from impact.analysis.compare import period_labels

    tx = two_years()
    tx.loc[tx.index[:5], "period"] = pd.NA  # undated payments
    for quarters in (False, True):
        every = period_labels(tx["period"], "quarter" if quarters else "year")
        assert period_choices(tx, quarters=quarters) == sorted(set(every) - {"undated"})
    assert latest_pair(tx) == ("2023/24", "2024/25")
    gap = tx[~tx["period"].astype("string").str.startswith("2025-0").fillna(False)]
    assert latest_pair(gap) == ("2023/24", "2024/25"), "no full year: the last two with any"
