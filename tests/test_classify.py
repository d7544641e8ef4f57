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
