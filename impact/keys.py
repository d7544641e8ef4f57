"""The supplier key: how transactions, suppliers.parquet and every join name a supplier."""

from __future__ import annotations

import pandas as pd


def supplier_key(council: pd.Series, supplier_id: pd.Series, name_norm: pd.Series) -> pd.Series:
    """The key of one supplier: council + vendor id where published, else + normalised name.

    One place for the rule, so suppliers.parquet and every transaction join agree.
    """
    council = council.astype("string").fillna("")
    sid = supplier_id.astype("string").str.strip().replace("", pd.NA)
    norm = name_norm.astype("string").str.strip().replace("", pd.NA)
    by_name = council + "|name:" + norm.fillna("(no name)")
    return by_name.where(sid.isna(), council + "|id:" + sid.fillna("")).astype("string")


def supplier_keys(tx: pd.DataFrame) -> pd.Series:
    """The supplier key of each canonical transaction (see :func:`supplier_key`)."""
    return supplier_key(tx["council"], tx["supplier_id"], tx["supplier_name_norm"])
