"""Supplier-name normalisation on spellings seen in the shared council spend files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.ingest.names import (
    REDACTED,
    group_near_duplicates,
    is_redacted_name,
    normalise_name,
    normalise_names,
    split_trading_as,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # legal forms, case, punctuation (variants as published by Calderdale/Hyndburn/Leeds)
        ("Redactive Publishing Ltd", "REDACTIVE PUBLISHING"),
        ("REDACTIVE PUBLISHING LIMITED                      ", "REDACTIVE PUBLISHING"),
        ("The Acme (UK) Ltd - 12345", "ACME"),
        ("ACME LIMITED (123456)", "ACME"),
        ("Acme Services Ltd (****6726)", "ACME SERVICES"),  # masked account digits
        ("Acme Limited Liability Partnership", "ACME"),
        ("ACME LLP", "ACME"),
        ("Acme plc", "ACME"),
        ("ＡＣＭＥ\u3000Ltd", "ACME"),  # full-width, NFKC
        ("Acme\u00a0Ltd.", "ACME"),
        ("M & S PLC", "M AND S"),
        ("Voluntary Action Calderdale CIC", "VOLUNTARY ACTION CALDERDALE"),
        ("Voluntary Action Calderdale Community Interest Company", "VOLUNTARY ACTION CALDERDALE"),
        ("Bunzl Uk Ltd T/A Greenham", "BUNZL"),
        ("BUNZL UK LTD T/A GREENHAM", "BUNZL"),
        # T/A: legal part kept when it is a registered company ...
        ("SAINT-GOBAIN BUILDING DISTRIBUTION LTD T/A JEWSON", "SAINT GOBAIN BUILDING DISTRIBUTION"),
        ("PARKSIDE NORTHERN LTD (T/A THE CHESTERS)", "PARKSIDE NORTHERN"),
        ("S. J.  MCBRIDE  LTD.  T/A  WAREFENCE", "S J MCBRIDE"),
        ("KEMP & KEMP LLP T/AS KEMP & KEMP PROPERTY CONSULTANCY", "KEMP AND KEMP"),
        # ... otherwise the trading name
        ("Community Resourcing T/as Eden Brown", "EDEN BROWN"),
        ("ADDISON COURT T/A DAV HOMES LTD", "DAV HOMES"),
        ("John Smith trading as Smith Plumbing", "SMITH PLUMBING"),
        # apostrophes, accents, initials, a branch after the registered name, a cut form
        ("SALFORD WOMEN'S AID", "SALFORD WOMENS AID"),
        ("Salford Women\u2019s Aid", "SALFORD WOMENS AID"),
        ("Café Rouge Ltd", "CAFE ROUGE"),
        ("P.G. Bell Electrical Contractors Limited", "P G BELL ELECTRICAL CONTRACTORS"),
        ("JENNOR (U.K.) LTD.", "JENNOR"),
        ("KIDZRUS NURSERY LTD MONTON", "KIDZRUS NURSERY"),
        ("SMITHS EQUIPMENT HIRE LTD 2", "SMITHS EQUIPMENT HIRE"),
        ("MAX POTENTIAL UK LIMITED-GLEN AVENUE", "MAX POTENTIAL"),
        ("MAKING SPACE#4", "MAKING SPACE"),
        ("GROSVENOR GUEST HOUSE#REDACTED - PERSONAL DATA", "GROSVENOR GUEST HOUSE"),
        ("ETB TECHNOLOGIES LIMIT", "ETB TECHNOLOGIES"),
        ("LIMITED EDITION PRINTS", "LIMITED EDITION PRINTS"),  # no name before the form
        # names that merely contain the letters of a marker are left alone
        ("TATA STEEL", "TATA STEEL"),
        ("LIMITED", "LIMITED"),  # never normalised to nothing
    ],
)
def test_normalise_name_variants(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Redacted Personal Data",
        "REDACTED - Personal Information",
        "Redacted personal details",
        " personal data",
        "REDACTED COMMERCIAL CONFIDENTIALITY",
        "DETAILS REDACTED",
        "Redacted",
        "NAME WITHHELD",
        "Withheld",
        "Not Disclosed",
        "Personal Data",
    ],
)
def test_redaction_markers(raw: str) -> None:
    assert normalise_name(raw) == REDACTED
    assert bool(is_redacted_name(pd.Series([raw])).iloc[0])


def test_redactive_is_not_redacted() -> None:
    s = pd.Series(["REDACTIVE MEDIA SALES LIMITED", "Redactive Publishing Ltd", None])
    assert is_redacted_name(s).tolist() == [False, False, False]


def test_series_keeps_index_and_na() -> None:
    s = pd.Series(["Acme Ltd", None, "", "ACME LIMITED"], index=[10, 11, 12, 13])
    out = normalise_names(s)
    assert list(out.index) == [10, 11, 12, 13]
    assert str(out.dtype) == "string"
    assert out.iloc[0] == out.iloc[3] == "ACME"
    assert out.isna().tolist() == [False, True, True, False]


def test_split_trading_as() -> None:
    s = pd.Series(["SAINT-GOBAIN BUILDING DISTRIBUTION LTD T/A JEWSON", "Acme Ltd"])
    parts = split_trading_as(s)
    assert parts.loc[0, "legal_name"] == "SAINT GOBAIN BUILDING DISTRIBUTION"
    assert parts.loc[0, "trading_name"] == "JEWSON"
    assert parts.loc[1].isna().all()
    branch = split_trading_as(pd.Series(["KIDZRUS NURSERY LTD MONTON", "ACME LLP"]))
    assert branch.loc[0].fillna("-").tolist() == ["KIDZRUS NURSERY", "-", "MONTON"]
    assert branch.loc[1].isna().all()


def test_group_near_duplicates() -> None:
    names = pd.Series(
        ["ACME SERVICES", "ACME SERVICE", "ACME SERVICES", "ACME TRAVEL", None, "ZED SERVICES"]
    )
    g = group_near_duplicates(names)
    assert g.iloc[0] == g.iloc[1] == g.iloc[2] == 0
    assert g.iloc[3] != g.iloc[0]
    assert pd.isna(g.iloc[4])
    assert g.iloc[5] not in (g.iloc[0], g.iloc[3])


def test_group_near_duplicates_reblocks_large_blocks() -> None:
    # Every name shares the first word, so the block is split on the second word:
    # "ACME NORTH 1" and "ACME NORTH 2" still group, across second words they cannot.
    names = pd.Series(["ACME NORTH CARE", "ACME NORTH CARES", "ACME SOUTH CARE"])
    g = group_near_duplicates(names, threshold=90, max_block=2)
    assert g.iloc[0] == g.iloc[1]
    assert g.iloc[2] != g.iloc[0]


def test_a_million_rows_each_get_their_names_normalisation() -> None:
    # How long this takes is measured by `python -m bench --only names`, never asserted.
    rng = np.random.default_rng(0)
    uniq = [f"SUPPLIER {i} {'LTD' if i % 2 else 'Limited'}" for i in range(5000)]
    s = pd.Series(rng.choice(uniq, 1_000_000), index=rng.permutation(1_000_000))
    out = normalise_names(s)
    assert out.index.equals(s.index) and out.dtype == "string"
    assert out.nunique() == 5000
    assert (out == s.str.replace(r" (LTD|Limited)$", "", regex=True)).all()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Hyndburn's direct-debit payees and EDF's consolidated invoices (real spend names)
        ("Lancashire County Council (Direct Debit Payments)", "LANCASHIRE COUNTY COUNCIL"),
        (
            "(DD) Department of Levelling Up, Housing & Comm",
            "DEPARTMENT OF LEVELLING UP HOUSING AND COMM",
        ),
        ("(DD ONLY) Ribble Valley Borough Council", "RIBBLE VALLEY BOROUGH COUNCIL"),
        ("HM Revenue & Customs (Direct Debit)", "HM REVENUE AND CUSTOMS"),
        ("EDF Energy - 9044031649 Consolidated Invoice", "EDF ENERGY"),
        ("DD Plumbing Ltd", "DD PLUMBING"),
    ],
)
def test_payment_method_notes_are_not_part_of_the_name(raw, expected):
    assert normalise_names(pd.Series([raw])).iloc[0] == expected


def test_column_keys_equal_one_name_keys() -> None:
    """``normalise_names`` keys plain names in Arrow and the rest one by one: both must give
    what :func:`normalise_name` gives, for stacked legal forms (also past the last six
    words), "The", case, spacing, redaction and payment-note words, punctuation and blanks."""
    from impact.ingest.names import _legal_terms

    rng = np.random.default_rng(13)
    words = ["ACME", "North", "uk", "CO", "LTD", "Limited", "THE", "the", "AND", "COMPANY",
             "A", "S", "PLC", "LLP", "SERVICES", "123", "", "REDACTED", "TRADING", "AS",
             "T/A", "(DD)", "CONSOLIDATED", "INVOICE", "&", "Ltd.", "-", "4567", "Ｌtd",
             "WOMEN'S", "Café", "P.G.", "#2", "LIMIT", "B"]
    vocab = np.array(words + _legal_terms(), dtype=object)
    names = [" ".join(rng.choice(vocab, rng.integers(1, 12))) for _ in range(20_000)]
    names += ["", "   ", "THE", "THE LIMITED", "LIMITED", "A S A S A S A S LIMITED"]
    col = pd.Series([*names, None], dtype=object)
    one = pd.Series([*(normalise_name(n) for n in names), ""], dtype="string")
    expected = one.mask(one == "")
    pd.testing.assert_series_equal(normalise_names(col), expected, check_names=False)
