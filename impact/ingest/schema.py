"""The canonical transaction schema every spend file is mapped to.

One place defines the columns so ingest, locate, the app and the exports agree on
names and types.  Columns a council does not publish stay empty (NA), never invented.
"""

from __future__ import annotations

import pandas as pd

from impact.ingest.payees import one_id_per_payee

#: Bumped when ingest gives a column a new meaning, so files ingested before are read anew.
SCHEMA_VERSION = "2"
#: Canonical columns, in output order, with their pandas dtypes.
TRANSACTION_COLUMNS: dict[str, str] = {
    "council": "string",
    "source_file": "string",
    "source_row": "int64",  # 1-based line number in the source file (header = its own line)
    "date": "datetime64[ns]",  # payment date; NaT for per-supplier summary files
    "period": "string",  # "YYYY-MM" of the payment, or the file's period for summaries
    "amount": "float64",  # £, net of VAT where published so; credits are negative
    "irrecoverable_vat": "float64",  # £ of VAT the council cannot recover, where published
    "supplier_name": "string",  # as published
    "supplier_name_norm": "string",  # upper-case, legal form and punctuation stripped
    "supplier_id": "string",  # the council's vendor number
    "company_number": "string",  # Companies House, zero-padded to 8 characters
    "charity_number": "string",
    "vat_number": "string",
    "directorate": "string",
    "service_area": "string",
    "expense_type": "string",
    "description": "string",
    "transaction_id": "string",
    "is_card": "boolean",  # purchase-card (P-card) payment
    "cap_rev": "string",  # "capital" / "revenue" / NA
    "is_redacted": "boolean",  # supplier withheld (personal data, commercial confidentiality)
    "is_summary": "boolean",  # from a per-supplier summary file without payment dates
    "is_credit": "boolean",  # amount < 0 (credit note, refund, reversal)
    # dated outside the months of the file it was published in: ``period`` is then the
    # file's nearest month, ``date`` the row's own (:mod:`impact.ingest.periods`)
    "dated_outside_file": "boolean",
}

#: Columns a mapping can point at a source column (the rest are derived).
MAPPABLE_FIELDS: tuple[str, ...] = (
    "date",
    "period",
    "amount",
    "supplier_name",
    "supplier_id",
    "company_number",
    "charity_number",
    "vat_number",
    "directorate",
    "service_area",
    "expense_type",
    "description",
    "transaction_id",
    "is_card",
    "cap_rev",
    "irrecoverable_vat",
)

#: Each mappable field in plain words, for reports and screens.
FIELD_LABELS: dict[str, str] = {
    "date": "payment date",
    "period": "period",
    "amount": "amount",
    "supplier_name": "supplier name",
    "supplier_id": "supplier reference",
    "company_number": "company number",
    "charity_number": "charity number",
    "vat_number": "VAT registration number",
    "directorate": "directorate",
    "service_area": "service area",
    "expense_type": "expense type",
    "description": "description",
    "transaction_id": "transaction reference",
    "is_card": "purchase-card flag",
    "cap_rev": "capital or revenue",
    "irrecoverable_vat": "irrecoverable VAT",
}


def empty_transactions() -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TRANSACTION_COLUMNS.items()})


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the canonical columns, in order, with canonical dtypes."""
    out = {}
    for col, dtype in TRANSACTION_COLUMNS.items():
        if col not in df.columns:
            missing = {"datetime64[ns]": pd.NaT, "float64": float("nan")}.get(dtype, pd.NA)
            out[col] = pd.Series(missing, index=df.index, dtype=dtype)
        elif str(df[col].dtype) == dtype:
            out[col] = df[col]
        elif dtype.startswith("datetime"):
            out[col] = pd.to_datetime(df[col], errors="coerce").astype(dtype)
        else:
            out[col] = df[col].astype(dtype)
    return pd.DataFrame(out, index=df.index)

def supplier_key(council: pd.Series, supplier_id: pd.Series, name_norm: pd.Series) -> pd.Series:
    """The key of one supplier: council + vendor id where published, else + normalised name;
    the IDs of one payee made one first (:func:`impact.ingest.payees.one_id_per_payee`:
    "014031" and "14031", one name under two IDs), over every row given.

    One place for the rule, so suppliers.parquet and every transaction join agree: it is
    given a council's whole set of transactions each time.
    """
    ids = one_id_per_payee(council, supplier_id, name_norm)["supplier_id"]
    return key_of(council, ids, name_norm)


def key_of(council: pd.Series, supplier_id: pd.Series, name_norm: pd.Series) -> pd.Series:
    """council + ``supplier_id`` where given, else + normalised name (IDs taken as given)."""
    council = council.astype("string").fillna("")
    sid = supplier_id.astype("string").str.strip().replace("", pd.NA)
    norm = name_norm.astype("string").str.strip().replace("", pd.NA)
    by_name = council + "|name:" + norm.fillna("(no name)")
    return by_name.where(sid.isna(), council + "|id:" + sid.fillna("")).astype("string")


def supplier_keys(tx: pd.DataFrame) -> pd.Series:
    """The supplier key of each canonical transaction (see :func:`supplier_key`)."""
    return supplier_key(tx["council"], tx["supplier_id"], tx["supplier_name_norm"])
