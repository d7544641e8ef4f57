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
        ("West Yorkshire Police", "public_body", "police_fire"),
        ("West Yorkshire Fire and Rescue Authority", "public_body", "police_fire"),
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
        ("J R Properties", "unknown", None),
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
    rows = classify._row_keys(normalise_names(s), s, None, None, None)
    verdict = classify._Verdict.empty(len(rows))
    rule(classify._Evidence.of(rows), verdict)
    return list(zip(verdict.supplier_class, verdict.reason, strict=True))


def test_rules_run_in_the_documented_order() -> None:
    from impact.places import classify

    assert [r.__name__ for r in classify.RULES] == [
        "_redaction_rule", "_public_body_rule", "_vcse_rule", "_company_rule", "_person_rule",
        "_no_name_rule",
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
