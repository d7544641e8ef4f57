"""Filters: apply, and the round trip through URL query parameters."""

from __future__ import annotations

import pandas as pd

from impact.analysis.filters import Filters, apply, options


def _tx() -> pd.DataFrame:
    return pd.DataFrame({
        "period": pd.Series(["2024-04", "2024-05", "2024-06", None], dtype="string"),
        "amount": [10.0, 20.0, 30.0, 40.0],
        "directorate": ["A", "B", "A", "B"],
        "expense_type": ["x", "y", "x", "y"],
        "supplier_class": ["company", "public_body", "vcse", "company"],
    })


def test_default_keeps_everything() -> None:
    assert len(apply(_tx(), Filters())) == 4


def test_period_is_inclusive_and_drops_undated() -> None:
    out = apply(_tx(), Filters(period_from="2024-05", period_to="2024-06"))
    assert out["amount"].tolist() == [20.0, 30.0]


def test_departments_types_classes() -> None:
    assert apply(_tx(), Filters(departments=("A",)))["amount"].tolist() == [10.0, 30.0]
    assert apply(_tx(), Filters(expense_types=("y",)))["amount"].tolist() == [20.0, 40.0]
    assert apply(_tx(), Filters(supplier_classes=("vcse",)))["amount"].tolist() == [30.0]


def test_influenceable_only_drops_public_bodies() -> None:
    out = apply(_tx(), Filters(influenceable_only=True))
    assert "public_body" not in set(out["supplier_class"])
    assert len(out) == 3


def test_query_params_round_trip() -> None:
    f = Filters(period_from="2024-05", period_to="2025-01", departments=("A", "B & C"),
                expense_types=("x",), supplier_classes=("vcse",), influenceable_only=True)
    params = f.to_query_params()
    assert params and all(isinstance(v, str) for v in params.values())
    assert Filters.from_query_params(params) == f
    assert Filters().to_query_params() == {}


def test_bad_query_params_are_ignored() -> None:
    f = Filters.from_query_params({"from": "April", "to": ["2024-13x"], "influenceable": "no"})
    assert f == Filters()


def test_restricted_to_drops_unknown_values() -> None:
    f = Filters(departments=("A", "Z"))
    assert f.restricted_to({"departments": ["A", "B"]}).departments == ("A",)


def test_options() -> None:
    o = options(_tx())
    assert o["months"] == ["2024-04", "2024-05", "2024-06"]
    assert o["departments"] == ["A", "B"]
