"""A hand-built table of payments joined to places, whose answers are worked out by hand in
the tests of the figures (test_measures.py) and of the tables (test_metrics.py)."""

from __future__ import annotations

import pandas as pd


def joined() -> pd.DataFrame:
    """Six payments: £500 positive (£400 placed, £150 of it in the council), a £20 credit."""
    # supplier, band, £ (positive), decile, sme, ward, class
    rows = [
        ("s1", "council", 100.0, 1, "Y", "W1", "company"),
        ("s2", "council", 50.0, 5, "N", "W2", "vcse"),
        ("s3", "region", 150.0, 2, None, None, "company"),
        ("s4", "elsewhere", 100.0, None, "Y", None, "public_body"),
        ("s5", "not located", 100.0, None, None, None, "unknown"),
        ("s1", "council", -20.0, 1, "Y", "W1", "company"),  # a credit
    ]
    t = pd.DataFrame(rows, columns=["supplier_key", "location_band", "amount", "imd_decile",
                                    "sme", "ward_code", "supplier_class"])
    t["is_located"] = t["location_band"] != "not located"
    t["supplier_name"] = t["supplier_key"].str.upper()
    t["period"] = ["2024-01", "2024-02", "2024-02", "2024-03", "2024-03", "2024-04"]
    t["directorate"] = ["A", "A", "B", "B", "B", "A"]
    t["vcse"] = None
    for c in ("ward_name", "lad_name", "postcode"):
        t[c] = None
    return t
