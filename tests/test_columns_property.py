"""Property tests: column recognition holds on generated header variants.

Each generated file names its columns the way councils vary them — case, separators
(spaces, underscores, none, camelCase), decorations (``* ``, ``(£)``, ``(T)``, ``:``),
spelling variants and abbreviations (Nett, Amt, Trans, No, Pymt, Ref, Desc, Dept) and
any column order — starting from the generic names in the Transparency Code guidance.
Whatever the variant, every column must be found for the field it holds.
"""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impact.ingest.columns import map_columns

#: Generic names for each field (guidance and common finance usage, no council's own).
NAMES = {
    "supplier_name": ["Supplier Name", "Supplier", "Beneficiary Name", "Beneficiary",
                      "Payee Name", "Payee", "Vendor Name", "Creditor Name", "Merchant Name"],
    "amount": ["Net Amount", "Amount", "Net Value", "Value", "Total", "Amount Paid",
               "Payment Amount", "Net"],
    "date": ["Payment Date", "Date", "Transaction Date", "Paid Date", "Date Paid", "Pay Date",
             "Posting Date", "Invoice Date"],
    "transaction_id": ["Transaction Number", "Transaction ID", "Trans No", "Reference Number",
                       "Invoice Number", "Document Number", "Payment Reference"],
    "description": ["Description", "Purpose", "Narrative", "Details", "Purpose of Spend"],
    "directorate": ["Directorate", "Department", "Service Directorate", "Portfolio"],
}
#: Spelling variants and abbreviations councils use (word → alternatives).
VARIANTS = {
    "Net": ["Nett"],
    "Amount": ["Amt"],
    "Transaction": ["Trans", "Txn"],
    "Number": ["No", "No.", "Num"],
    "Payment": ["Pymt", "Pmt"],
    "Reference": ["Ref"],
    "Description": ["Desc"],
    "Department": ["Dept"],
}
DECORATIONS = ["{}", "* {}", "{}:", "{} (T)", " {} ", "{} (£)"]


@st.composite
def header_for(draw: st.DrawFn, field: str) -> str:
    words = draw(st.sampled_from(NAMES[field])).split()
    words = [draw(st.sampled_from([w, *VARIANTS.get(w, [])])) for w in words]
    case = draw(st.sampled_from(["as is", "upper", "lower", "title"]))
    words = {"upper": [w.upper() for w in words], "lower": [w.lower() for w in words],
             "title": [w.title() for w in words]}.get(case, words)
    joiner = draw(st.sampled_from([" ", "_", "", "camel"]))
    if joiner == "camel":
        text = "".join(w[:1].upper() + w[1:] for w in words)
    else:
        text = joiner.join(words)
    decoration = draw(st.sampled_from(DECORATIONS if field == "amount" else DECORATIONS[:-1]))
    return decoration.format(text)


def values_for(field: str, n: int) -> list[str]:
    """Plausible values of each field (what the value checks see)."""
    forms = ["LTD", "LIMITED", "PLC", "", "TRUST", "LLP"]
    return {
        "supplier_name": [f"SUPPLIER {chr(65 + i % 26)}{i} {forms[i % 6]}".strip()
                          for i in range(n)],
        "amount": [f"{(i * 137.31) % 9000 + 500:,.2f}" for i in range(n)],
        "date": [f"{1 + i % 28:02d}/{1 + i % 12:02d}/2024" for i in range(n)],
        "transaction_id": [f"INV{100000 + i * 7}" for i in range(n)],
        "description": [["Agency staff", "Repairs to roof", "School transport",
                         "Care package"][i % 4] for i in range(n)],
        "directorate": [["Adults", "Children's Services", "Place", "Resources"][i % 4]
                        for i in range(n)],
    }[field]


@st.composite
def spend_layout(draw: st.DrawFn) -> tuple[list[str], list[str], pd.DataFrame]:
    extra = draw(st.lists(st.sampled_from(["transaction_id", "description", "directorate"]),
                          unique=True))
    fields = draw(st.permutations(["supplier_name", "amount", "date", *extra]))
    headers = [draw(header_for(f)) for f in fields]
    body = pd.DataFrame({i: values_for(f, 40) for i, f in enumerate(fields)})
    return list(fields), headers, body


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(spend_layout())
def test_every_field_is_found_whatever_the_header_variant(layout) -> None:
    fields, headers, body = layout
    mapping = map_columns(headers, body)
    found = {f: headers[p] for f, p in mapping.fields.items()}
    assert found == dict(zip(fields, headers, strict=True)), (headers, mapping.decisions)
    assert mapping.amount_basis in {"net", "unlabelled"}
    amount = re.sub(r"[^a-z]", "", headers[fields.index("amount")].lower())
    if amount.startswith(("net", "nett")):
        assert mapping.amount_basis == "net"


@settings(max_examples=100, deadline=None, derandomize=True)
@given(spend_layout(), st.sampled_from(["Body Name", "Organisation", "Line", "Seq No"]))
def test_columns_of_other_things_are_not_taken_for_a_field(layout, distractor) -> None:
    fields, headers, body = layout
    body = body.copy()
    body[len(headers)] = "Anytown Council" if distractor in ("Body Name", "Organisation") \
        else [str(1 + i % 3) for i in range(len(body))]
    mapping = map_columns([*headers, distractor], body)
    assert len(headers) not in mapping.fields.values(), mapping.describe()
    assert set(mapping.fields) == set(fields)
