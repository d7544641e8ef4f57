"""Display words: every column header and code in words, money with a real minus sign."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from impact.analysis.measures import money
from impact.outputs import labels

SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")


@pytest.mark.parametrize("name, words", [
    ("delta_lm3_p10", "Change in LM3 (P10)"),
    ("share_pop_decile1_2", "Residents in the most deprived 20%"),
    ("need_points", "Need (points)"),
    ("robust_z", "Outlier score"),
    ("pct_vs_previous", "% change on previous period"),
    ("register_id", "Council register (vendor number)"),
])
def test_listed_columns_read_as_words(name, words):
    assert labels.column(name) == words


def test_unlisted_columns_are_spelled_out_by_rule():
    assert labels.column("share_of_r1_gbp") == "Share of R1 £"
    assert labels.column("n_lsoa_p90") == "Number of LSOA P90"
    assert labels.column("Already Words") == "Already Words"


def test_no_listed_header_is_snake_case():
    for name in labels.COLUMNS:
        assert not SNAKE.search(labels.column(name)), name


def test_codes_in_words_and_blanks_kept():
    df = pd.DataFrame({"class": ["public_body", None, "company"],
                       "place_basis": ["registered_office", "name_hint", None],
                       "spend": [1.0, 2.0, 3.0]})
    out = labels.in_words(df)
    assert out["class"].tolist()[0] == "public body"
    assert out["place_basis"].tolist()[0] == "registered office"
    assert pd.isna(out["class"].iloc[1])
    assert out["spend"].tolist() == [1.0, 2.0, 3.0]
    for col in ("class", "place_basis"):
        assert not any(SNAKE.search(str(v)) for v in out[col].dropna())


@pytest.mark.parametrize("x, text", [
    (-540, "\u2212£540"), (540, "£540"), (-1_234_567, "\u2212£1.2m"), (0, "£0"),
    (-0.4, "£0"), (-20_000, "\u2212£20,000"), (None, "—"), (np.nan, "—"),
])
def test_money_minus_before_the_pound(x, text):
    assert money(x) == text
    assert "£-" not in money(x)


def test_months_read_as_words():
    assert labels.month("2024-04") == "Apr 2024" and labels.month("2025-12") == "Dec 2025"
    assert labels.month("2024-13") == "2024-13" and labels.month("undated") == "undated"
    assert labels.column("2024-04") == "Apr 2024"  # a pivot's month columns
    shown = labels.in_words(pd.DataFrame({"month": ["2024-04", None], "amount": [1.0, 2.0]}))
    assert shown["month"].tolist()[0] == "Apr 2024" and pd.isna(shown["month"].tolist()[1])


def test_a_table_for_people_has_words_flags_and_blanks():
    """Every workbook's sheet (and the pages' CSV): headers in words, a code left out
    beside its name, flags as Yes/No, missing values blank, numbers untouched."""
    df = pd.DataFrame({
        "council_id": ["demo"], "council": ["Demo"], "local_share_lower": [0.4],
        "headline": [True], "note": pd.Series(["None"], dtype="object"),
        "judged": pd.Series([False], dtype="boolean"), "class": ["public_body"],
        "placed_share": [0.9], "coverage": [0.8],
    })
    out = labels.for_people(df)
    assert list(out.columns) == [
        "Council", "Local share, lower end of the range", "The headline figure", "Note",
        "Enough data to judge the period", "Supplier type", "Placed share", "Coverage"]
    row = out.iloc[0].tolist()
    assert row[1] == 0.4 and row[2] == "Yes" and pd.isna(row[3]) and row[4] == "No"
    assert row[5] == "public body"
    assert labels.for_people(out).columns.tolist() == out.columns.tolist()  # words stay
    assert labels.headers(["spend", "spend"]) == ["Spend", "Spend (2)"]


@pytest.mark.parametrize("name, fmt", [
    ("local_share_lower", labels.PERCENT), ("Share of £ meeting it", labels.PERCENT),
    ("lm3_coverage", labels.PERCENT), ("spend", labels.POUNDS), ("at_stake", labels.POUNDS),
    ("Net £", labels.POUNDS), ("spend_p", None), ("lm3_p50_lower", None), ("payments", None),
])
def test_number_formats_follow_what_a_column_holds(name, fmt):
    assert labels.number_format(name) == fmt
