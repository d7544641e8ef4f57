"""National aggregates as SQL that DuckDB and Spark both run, unchanged.

One query text is the whole method: :func:`spend_by_ward_sql` reads the multi-council store's
``payments`` view (:mod:`impact.store`) and gives spend by council × the ward where the
supplier is based × a category.  DuckDB runs it on one machine over the partitioned Parquet;
Spark SQL runs the same text over the same files on a cluster (``--engine spark``), so going
national is a configuration change, not a second implementation.  Only SQL both dialects
share is used (``CASE``, ``COALESCE``, ``SUM``, ``COUNT(DISTINCT)``).
"""

from __future__ import annotations

#: Categories a national aggregate can be split by: column → what it means.
CATEGORIES: dict[str, str] = {
    "supplier_class": "type of supplier (company, voluntary sector, public body ...)",
    "expense_type": "expense type as the council publishes it",
    "directorate": "the council's directorate as published",
}
#: Columns of the aggregate, in order.
AGGREGATE_COLUMNS = ("council_id", "council", "ward_code", "ward_name", "lad_code",
                     "in_council_area", "category", "spend", "net", "payments", "suppliers")


def spend_by_ward_sql(category: str = "supplier_class") -> str:
    """Spend by council × supplier's ward × ``category`` over placed payments.

    ``spend`` sums positive payments (as every share does), ``net`` all payments;
    ``in_council_area`` marks wards inside the paying council's own districts.  Payments to
    suppliers without a ward (not placed) are left out: the store's coverage columns say
    how much that is.
    """
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, not {category!r}")
    return f"""
        SELECT council_id, council, ward_code, ward_name, lad_code,
               location_band = 'council' AS in_council_area,
               COALESCE({category}, 'not given') AS category,
               SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS spend,
               SUM(amount) AS net,
               COUNT(*) AS payments,
               COUNT(DISTINCT supplier_key) AS suppliers
        FROM payments
        WHERE ward_code IS NOT NULL
        GROUP BY council_id, council, ward_code, ward_name, lad_code,
                 location_band = 'council', COALESCE({category}, 'not given')
        ORDER BY council_id, ward_code, category
    """
