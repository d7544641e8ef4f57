"""Supplier classes on names as published in the shared spend files."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.ingest.names import normalise_names
from impact.places.classify import classify_suppliers


def _one(raw: str, **ids: str) -> pd.Series:
    s = pd.Series([raw])
    kw = {k: pd.Series([v]) for k, v in ids.items()}
    return classify_suppliers(normalise_names(s), s, **kw).iloc[0]


@pytest.mark.parametrize(
    ("raw", "cls", "ptype"),
    [
        ("Leeds City Council", "public_body", "council"),
        ("Calderdale MBC", "public_body", "council"),
        ("(DD ONLY) Ribble Valley Borough Council", "public_body", "council"),
        ("Calderdale & Huddersfield NHS Foundation Trust", "public_body", "nhs"),
        ("NHS Calderdale CCG", "public_body", "nhs"),
        ("Ash Green Primary School", "public_body", "school_academy"),
        ("Castle Hill Primary", "public_body", "school_academy"),
        ("Calder Learning Trust", "public_body", "school_academy"),
        # police and fire are separate classes since the gazetteer places them apart
        ("West Yorkshire Police", "public_body", "police"),
        ("West Yorkshire Fire and Rescue Authority", "public_body", "fire"),
        ("HM Revenue & Customs", "public_body", "government"),
        ("Department for Work and Pensions", "public_body", "government"),
        ("GMCA", "public_body", "combined_authority"),
        ("Transport for Greater Manchester", "public_body", "combined_authority"),
        ("Locala Community Partnerships CIC", "vcse", None),
        ("Halifax Opportunities Trust", "vcse", None),
        ("Community Foundation for Calderdale", "vcse", None),
        ("Age Concern Todmorden Charity", "vcse", None),
        ("PILKINGTON BROS (CHURCH) LTD", "company", None),
        ("Mott MacDonald Ltd", "company", None),
        ("British Telecommunications Plc", "company", None),
        ("Yorkshire Building Society", "company", None),
        ("Redacted Personal Information", "individual_redacted", None),
        ("Dr David Lucey", "individual_redacted", None),
        ("Mr J Smith", "individual_redacted", None),
        ("Alison Copeland", "individual_redacted", None),
        ("J D Ingram", "individual_redacted", None),
        ("John Lewis", "unknown", None),  # a brand, not a person
        # "Properties" is a trading word: a business, no longer left unknown
        ("J R Properties", "company", None),
        ("Humankind", "unknown", None),
    ],
)
def test_classes(raw: str, cls: str, ptype: str | None) -> None:
    row = _one(raw)
    assert row["supplier_class"] == cls, row["class_reason"]
    if ptype is None:
        assert pd.isna(row["public_body_type"])
    else:
        assert row["public_body_type"] == ptype


def test_identifiers_take_precedence_over_missing_words() -> None:
    assert _one("Humankind", charity_number="1001234")["supplier_class"] == "vcse"
    row = _one("AECOM", company_number="01846493")
    assert (row["supplier_class"], row["class_reason"]) == ("company", "company number")
    # a public body keeps its class even with a company number
    assert _one("Leeds City Council", company_number="00000000")["supplier_class"] == "public_body"
    assert _one("Manchester City Council", sic="1")["public_body_type"] == "council"
    assert _one("Some Employer", sic="1")["public_body_type"] == "other_public"


def test_index_preserved_and_reason_given() -> None:
    raw = pd.Series(["Acme Ltd", "Leeds City Council", None], index=[7, 8, 9])
    out = classify_suppliers(normalise_names(raw), raw)
    assert list(out.index) == [7, 8, 9]
    assert out["class_reason"].notna().all()
    assert out.loc[9, "supplier_class"] == "unknown"


# ------------------------------------------------------------- each rule on its own


def _after(rule, *raw: str) -> list[tuple[str, str]]:
    """(class, reason) per name after ``rule`` alone ran: what that rule claims, no more."""
    from impact.places import classify

    s = pd.Series(raw)
    rows = classify._row_keys(normalise_names(s), s, classify.Identifiers())
    verdict = classify._Verdict.empty(len(rows))
    rule(classify._Evidence.of(rows), verdict)
    return list(zip(verdict.supplier_class, verdict.reason, strict=True))


def test_rules_run_in_the_documented_order() -> None:
    from impact.places import classify

    # care pools, payments to people and trading names joined the rules for issue 13
    assert [r.__name__ for r in classify.RULES] == [
        "_redaction_rule", "_care_pool_rule", "_public_body_rule", "_vcse_rule",
        "_company_rule", "_person_rule", "_to_people_rule", "_no_name_rule",
        "_trading_name_rule",
    ]


def test_public_body_rule_leaves_look_alikes_alone() -> None:
    from impact.places.classify import _public_body_rule

    got = _after(_public_body_rule, "Anytown Council", "Youth Council", "Sports Council Ltd",
                 "Oak Academy", "Dance Academy Ltd", "Star Academy Trust Ltd")
    assert [c for c, _ in got] == [
        "public_body", "unknown", "unknown", "public_body", "unknown", "public_body"]
    assert got[0][1] == "public body word: ANYTOWN COUNCIL"


def test_person_rule_is_conservative() -> None:
    from impact.places.classify import _person_rule

    got = _after(_person_rule, "Mr J Smith", "Mr J Smith T/A Smith Plumbing", "J D Ingram",
                 "B and Q", "Karen Jones", "John Lewis", "David Smith Builders", "Acme")
    assert got == [
        ("individual_redacted", "personal title in name"),
        ("unknown", "no rule matched"),  # trades as a business
        ("individual_redacted", "initial and surname"),
        ("unknown", "no rule matched"),
        ("individual_redacted", "given name and surname"),
        ("unknown", "no rule matched"),  # a brand named after a person
        ("unknown", "no rule matched"),  # business word
        ("unknown", "no rule matched"),
    ]


def test_vcse_rule_place_words_and_mutuals_are_not_vcse() -> None:
    from impact.places.classify import _vcse_rule

    got = _after(_vcse_rule, "St Mary's Church", "Church Farm Ltd", "Leeds Building Society",
                 "Halifax Opportunities Trust", "Trust Homes PLC", "Locala CIC")
    assert [c for c, _ in got] == ["vcse", "unknown", "unknown", "vcse", "unknown", "vcse"]
    assert got[0][1] == "VCSE word: CHURCH" and got[5][1] == "CIC/CIO legal form"


# ------------------------------------------------- rules added for issue 13 (made-up names)


def test_care_pool_rule_by_name_or_supplier_id() -> None:
    from impact.places.classify import Identifiers, _care_pool_rule

    assert _after(_care_pool_rule, "2021:02D  Dementia", "2022:13LD Learning Disabilities",
                  "Direct Payments", "Dementia Care Homes Ltd", "Acme") == [
        ("individual_redacted", "care payments to people (personal budgets)")] * 3 + [
        ("unknown", "no rule matched")] * 2
    s = pd.Series(["Anytown Adults 0042"])
    out = classify_suppliers(normalise_names(s), s,
                             ids=Identifiers(supplier_id=pd.Series(["Personal Budgets"])))
    assert out.iloc[0]["supplier_class"] == "individual_redacted"


def test_aggregate_lines_name_no_payee() -> None:
    from impact.places.classify import _redaction_rule

    got = _after(_redaction_rule, "Miscellaneous Payments BACS", "General Expenses",
                 "Various - Total Expenses", "General Widgets Ltd")
    assert [c for c, _ in got] == ["individual_redacted"] * 3 + ["unknown"]
    assert got[0][1] == "no payee named (aggregate line)"


def test_payments_to_people_unless_a_firm() -> None:
    from impact.places.classify import _to_people_rule

    got = _after(_to_people_rule, "Foster Care - Bacs", "Rent Refunds", "Anyvoice Payroll",
                 "Midshire HR & Payroll Solutions", "Capstone Foster Care Agency")
    assert [c for c, _ in got] == ["individual_redacted"] * 3 + ["unknown"] * 2


def test_trading_name_rule() -> None:
    from impact.places.classify import Identifiers, _trading_name_rule

    got = _after(_trading_name_rule, "Northvale Energy", "Brookside Care Home",
                 "WWW.WIDGETSHOP.CO.UK", "Ashgrove Court", "Kenton Hall N H",
                 "Jo Bloggs T/A Bloggs Cabs", "Humanity")
    assert [c for c, _ in got] == ["company"] * 6 + ["unknown"]
    assert got[0][1] == "trading name: ENERGY"
    assert got[3][1] == "a building's name (a care home or hotel)"
    s = pd.Series(["Sonic Megastar 42"])
    card = classify_suppliers(normalise_names(s), s,
                              ids=Identifiers(card_only=pd.Series([True]))).iloc[0]
    assert (card["supplier_class"], card["class_reason"]) == (
        "company", "paid only by purchase card (a merchant)")


def test_colleges_pre_schools_and_barristers() -> None:
    assert _one("Oakridge College")["supplier_class"] == "vcse"  # no FE word: a charity
    assert _one("Oakridge Community College")["public_body_type"] == "school_academy"
    assert _one("Little Acorns Pre-School")["supplier_class"] == "vcse"
    assert _one("Sunnyside Day Nursery")["supplier_class"] == "company"
    assert _one("Jane Doe KC")["supplier_class"] == "individual_redacted"
    assert _one("Anyshire Pension Fund")["public_body_type"] == "pension_fund"
    assert _one("ANYSHIRE SUPERANN FUND")["public_body_type"] == "pension_fund"
    assert _one("University of Anytown")["public_body_type"] == "university"


def test_project_names() -> None:
    assert _one("Anytown Young Peoples Project")["supplier_class"] == "vcse"
    # normalising drops "Company"; the published name still says what it is
    row = _one("Bridgeworks (Anytown) Project Company")
    assert (row["supplier_class"], row["class_reason"]) == (
        "company", "trading name: PROJECT COMPANY")


def test_a_large_sum_is_no_person_on_the_shape_of_its_name_alone() -> None:
    """Issue 24: "L B SOUTHWARK" (£73.6m) read as an initial and a surname.  A name of a
    person's shape paid a large sum is unknown unless a redaction word or a title says
    person; a small sum to the same shape is still a person."""
    from impact.places.classify import LARGE_SUM, Identifiers

    raw = pd.Series(["L B SOUTHWARK", "J Smith", "Karen Jones", "Mr J Smith", "REDACTED",
                     "J Smith"])
    spend = pd.Series([73_600_000.0, LARGE_SUM, 250_000.0, 500_000.0, 900_000.0, 2_000.0])
    out = classify_suppliers(normalise_names(raw), raw, ids=Identifiers(spend=spend))
    assert out["supplier_class"].tolist() == [
        "unknown", "unknown", "unknown", "individual_redacted", "individual_redacted",
        "individual_redacted"]
    assert "redaction word" in out["class_reason"].iloc[0]
    assert out["class_reason"].iloc[5] == "initial and surname"
