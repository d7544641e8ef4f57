"""The one home of value parsing: each vocabulary, and the bugs found by merging copies."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.core.values import (
    apply_distinct,
    clean_company_numbers,
    map_distinct,
    normalise_postcodes,
    parse_card_flags,
    parse_numbers,
    parse_shares,
    parse_yes_no,
)


def _s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype="object")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Y", True), ("yes", True), (" TRUE ", True), ("t", True), ("1", True),
        ("Accredited", True), ("published", True), ("In place", True),
        ("Yes - micro business", True),
        ("N", False), ("No", False), ("false", False), ("0", False), ("none", False),
        ("Not accredited", False), ("Not an SME", False),
    ],
)
def test_yes_no_vocabulary(text: str, expected: bool) -> None:
    value = parse_yes_no(_s(text)).iloc[0]
    assert not pd.isna(value) and bool(value) == expected


@pytest.mark.parametrize("text", ["", None, "unknown", "c", "card", "maybe", "N/A"])
def test_yes_no_unknown_stays_na(text: object) -> None:
    # "c" is a card flag, not a yes: the old shared parser read it as true.
    assert parse_yes_no(_s(text)).isna().iloc[0]


def test_card_flags_are_their_own_vocabulary() -> None:
    out = parse_card_flags(_s("GPC", "P-Card", "C", "Y", "", None, "BACS", "n"))
    assert out.tolist()[:4] == [True, True, True, True]
    assert out.iloc[4:6].isna().all()
    assert out.iloc[6:].tolist() == [False, False]


def test_numbers_as_typed() -> None:
    out = parse_numbers(_s("29,199", " 1,296 ", "7", "£1,500.50", "", None, "n/a", "1e999"))
    assert out.iloc[:4].tolist() == [29199.0, 1296.0, 7.0, 1500.5]
    assert out.iloc[4:].isna().all()


def test_percentages_only_when_asked() -> None:
    assert parse_numbers(_s("40%")).isna().all()
    assert parse_numbers(_s("40%"), percent=True).iloc[0] == pytest.approx(0.4)
    assert parse_shares(_s("40%", "40", "0.4", "100")).tolist() == pytest.approx(
        [0.4, 0.4, 0.4, 1.0]
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234567", "01234567"),
        ("1234567.0", "01234567"),  # a spreadsheet's float: was "12345670"
        ("01234567", "01234567"),
        (" 0123 4567 ", "01234567"),
        ("SC1234", "SC001234"),  # the attributes reader made this "00SC1234"
        ("sc001234", "SC001234"),
        ("OC300001", "OC300001"),
        ("NI-012345", "NI012345"),
    ],
)
def test_company_numbers(raw: str, expected: str) -> None:
    assert clean_company_numbers(_s(raw)).iloc[0] == expected


@pytest.mark.parametrize("raw", ["", None, "123456789", "ABC123", "n/a", "S1234"])
def test_not_company_numbers(raw: object) -> None:
    assert clean_company_numbers(_s(raw)).isna().iloc[0]


def test_postcodes_respaced_and_validated() -> None:
    out = normalise_postcodes(pd.Series(["bb5 1ab", "BB51AB", " M1  1AE", "M99", None, "SW1A 1AA"]))
    assert out.tolist()[:3] == ["BB5 1AB", "BB5 1AB", "M1 1AE"]
    assert out.iloc[3:5].isna().all()
    assert out.iloc[5] == "SW1A 1AA"


def test_distinct_helpers_keep_index_and_na() -> None:
    s = pd.Series(["a", None, "b", "a"], index=[10, 11, 12, 13])
    calls: list[int] = []

    def upper(u: pd.Series) -> pd.Series:
        calls.append(len(u))
        return u.str.upper()

    out = apply_distinct(s, upper)
    assert calls == [2]
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out.tolist()[0] == "A" and pd.isna(out.iloc[1])
    lengths = map_distinct(s, len, "Int64")
    assert lengths.tolist()[0] == 1 and pd.isna(lengths.iloc[1])
