"""One supplier per payee (issue 24): a vendor ID written "014031" in one file and "14031"
in the next, and one name under two IDs, are one supplier, and it says why."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.ingest.names import normalise_names
from impact.ingest.payees import bare_ids, one_id_per_payee
from impact.ingest.schema import conform, supplier_keys


def test_bare_ids_drop_padding_zeros_and_a_spreadsheets_decimal() -> None:
    ids = pd.Series(["014031", "14031", "14031.0", " 00a12 ", "000", None, "V 12"])
    assert bare_ids(ids).tolist() == ["14031", "14031", "14031", "A12", "0", pd.NA, "V12"]


def _payees(rows: list[tuple[str | None, str]]) -> pd.DataFrame:
    ids = pd.Series([r[0] for r in rows], dtype="string")
    names = pd.Series([r[1] for r in rows], dtype="string")
    out = one_id_per_payee(pd.Series(["X"] * len(rows)), ids, names)
    return out.assign(published=ids, name=names)


def test_ids_of_one_payee_are_one_supplier_with_the_reason() -> None:
    out = _payees([
        ("014031", "ACME SUPPLIES"), ("14031", "ACME SUPPLIES UK"), ("14031", "ACME SUPPLIES UK"),
        ("V1", "PEABODY TRUST"), ("V2", "PEABODY TRUST"), ("V2", "PEABODY TRUST"),
        (None, "PEABODY TRUST"),
    ])
    assert out["supplier_id"].tolist() == ["14031"] * 3 + ["V2"] * 4  # the ID with most rows
    assert out["id_merge"].iloc[0] == (
        "IDs 14031, 014031: one ID written with and without leading zeros")
    assert out["id_merge"].iloc[3] == "the same name under IDs V2, V1"
    assert out["id_merge"].iloc[6] == "the same name, also paid without an ID"


def test_what_is_not_one_payee_is_never_merged() -> None:
    out = _payees([
        ("PCARD", "TESCO"), ("PCARD", "AMAZON"), ("PCARD", "SHELL"),  # one ID, many payees
        ("C1", "AMAZON"),
        ("0099", "BOB BUILDERS"), ("99", "ALICE CATERING"),  # padded alike, names differ
        ("R1", "REDACTED"), ("R2", "REDACTED"),  # withheld names are nobody's
        (None, "NEW ONE"),
    ])
    assert out["supplier_id"].fillna("").tolist() == ["PCARD"] * 3 + [
        "C1", "0099", "99", "R1", "R2", ""]
    assert out["id_merge"].isna().all()


def test_every_join_agrees_on_the_merged_key(tmp_path: Path) -> None:
    from impact.places.locate import locate

    tx = pd.DataFrame({
        "supplier_name": ["Acme Supplies Ltd", "ACME SUPPLIES LIMITED", "Peabody Trust",
                          "Peabody Trust", "Other Ltd"],
        "supplier_id": ["014031", "14031", "V1", "V2", "9"],
        "amount": [100.0, 200.0, 1_000.0, 2_000.0, 5.0],
        "council": "Testborough Council",
        "date": pd.Timestamp("2024-05-01"),
        "source_row": range(2, 7),
    })
    tx["supplier_name_norm"] = normalise_names(tx["supplier_name"])
    conform(tx).to_parquet(tmp_path / "transactions.parquet", index=False)
    sup = locate(tmp_path, [], None, reference_registers=False, fuzzy=False).suppliers
    assert len(sup) == 3
    peabody = sup.set_index("supplier_name").loc["Peabody Trust"]
    assert peabody["spend"] == pytest.approx(3_000.0) and peabody["n_transactions"] == 2
    assert "the same name under IDs" in peabody["id_merge"]
    keys = supplier_keys(pd.read_parquet(tmp_path / "transactions.parquet"))
    assert set(keys) == set(sup["supplier_key"])  # every payment finds its supplier
