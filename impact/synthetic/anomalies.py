"""Synthetic payments with anomalies planted at known rows, to measure the payment checks'
recall and precision (``bench/bench_checks.py``).

The base is the synthetic national dataset (:func:`impact.synthetic.national.council_payments`,
labelled synthetic in every council name and source file).  Planted at known rows:

* **duplicates** — a payment paid again: half in a later payment run (1–10 days later) under
  the same reference (an invoice paid twice), half 0–10 days later under a new reference (an
  invoice entered twice).  (The same reference paid twice on one date reads as two lines of
  one payment in published files: no check can tell them apart, so none is planted.);
* **splits** — two to four payments each just under a threshold (82–99 % of £5,000 or
  £25,000) to one supplier for one department and a purchase (works, equipment, services)
  within ten days;
* **payments to closed companies** — suppliers given a Companies House status "Dissolved"
  with a date inside their paying period: their payments from that date are the truth.

And the look-alikes the checks must not flag: the same lines published in a second file,
credits and re-payments, weekly and monthly instalments, two suppliers with one name (two
vendor numbers), batches at one rate, weekly invoices under a threshold, one invoice in
lines, companies dissolved after their last payment, and active companies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from impact.synthetic.national import company_names, council_payments, national_councils

#: How many of each are planted, per million payments.
PLANTED = {"duplicates": 600, "splits": 400, "closed_suppliers": 150}
DECOYS = {"published_twice": 300, "credit_repaid": 300, "weekly_instalments": 100,
          "monthly_instalments": 200, "two_payees": 300, "batches": 150,
          "weekly_invoices": 100, "invoice_lines": 200, "closed_after": 150, "active": 3000}


#: What planted splits buy (purchases a procurement threshold applies to).
PURCHASES = ("Building repairs", "Consultancy", "Equipment", "IT software", "Printing",
             "Security", "Transport", "Agency staff", "Legal")


@dataclass
class Planted:
    """The payments (``source_file`` and ``source_row`` unique per row), the statuses a
    register would give, and the truth: planted duplicate pairs and split row sets (row
    positions in ``payments``), and the rows paid after a company closed."""

    payments: pd.DataFrame
    statuses: pd.DataFrame
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    splits: list[list[int]] = field(default_factory=list)
    closed_rows: list[int] = field(default_factory=list)


def planted_payments(rows: int = 1_000_000, councils: int = 10, seed: int = 2025) -> Planted:
    """About ``rows`` synthetic payments with anomalies and look-alikes planted (see the
    module docstring); deterministic in ``seed``."""
    rng = np.random.default_rng([seed, 22])
    scale = rows / 1_000_000
    base = _base(rows - int(12_000 * scale), councils, seed)
    parts: list[pd.DataFrame] = [base]
    truth = Planted(base, pd.DataFrame())
    n = len(base)
    for plant in (_duplicates, _splits, _decoys):
        extra = plant(base, rng, scale, n, truth)
        parts.append(extra)
        n += len(extra)
    payments = pd.concat(parts, ignore_index=True)
    payments["source_row"] = np.arange(2, len(payments) + 2)
    truth.payments = payments
    truth.statuses = _statuses(payments, rng, scale, truth)
    return truth


def _base(rows: int, councils: int, seed: int) -> pd.DataFrame:
    table = national_councils(councils, seed)
    names = company_names(max(rows // 20, 1000), seed)
    per = rows // councils
    frames = [council_payments(c, per, names, seed) for _, c in table.iterrows()]
    out = pd.concat(frames, ignore_index=True)
    out["transaction_id"] = [f"SYN{i:08d}" for i in range(len(out))]
    out["source_file"] = "synthetic-" + out["period"].astype(str) + ".csv"
    out["supplier_id"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["description"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out


def _pick(base: pd.DataFrame, rng: np.random.Generator, k: int, where: np.ndarray
          ) -> pd.DataFrame:
    idx = rng.choice(np.flatnonzero(where), size=k, replace=False)
    return base.iloc[idx].copy()


def _duplicates(base: pd.DataFrame, rng: np.random.Generator, scale: float, n: int,
                truth: Planted) -> pd.DataFrame:
    """A payment paid again 0–10 days later (half under the same reference)."""
    k = int(PLANTED["duplicates"] * scale)
    ok = (base["amount"] > 0).to_numpy() & (base["supplier_class"] != "public_body").to_numpy()
    orig = _pick(base, rng, k, ok)
    copy = orig.copy()
    new_ref = rng.random(k) < 0.5
    days = np.where(new_ref, rng.integers(0, 11, k), rng.integers(1, 11, k))
    copy["date"] = copy["date"] + pd.to_timedelta(days, unit="D")
    copy["period"] = copy["date"].dt.strftime("%Y-%m")
    copy.loc[new_ref, "transaction_id"] = [f"DUP{i:07d}" for i in range(int(new_ref.sum()))]
    copy["source_file"] = "synthetic-" + copy["period"] + ".csv"
    truth.duplicates = list(zip(orig.index.tolist(), range(n, n + k), strict=True))
    return copy.reset_index(drop=True)


def _splits(base: pd.DataFrame, rng: np.random.Generator, scale: float, n: int,
            truth: Planted) -> pd.DataFrame:
    """Two to four payments just under £5,000 or £25,000 within ten days, one supplier,
    one department and expense type; each at a supplier chosen among all suppliers."""
    k = int(PLANTED["splits"] * scale)
    companies = base[base["supplier_class"] == "company"].drop_duplicates("supplier_key")
    who = companies.iloc[rng.choice(len(companies), size=k, replace=False)]
    out = []
    for i, (_, r) in enumerate(who.iterrows()):
        parts = int(rng.integers(2, 5))
        limit = 5000.0 if rng.random() < 0.7 else 25000.0
        start = pd.Timestamp("2022-06-01") + pd.Timedelta(days=int(rng.integers(0, 900)))
        what = PURCHASES[int(rng.integers(0, len(PURCHASES)))]
        for j in range(parts):
            row = r.copy()
            row["expense_type"] = what
            row["amount"] = round(float(limit * rng.uniform(0.82, 0.99)), 2)
            row["date"] = start + pd.Timedelta(days=int(rng.integers(0, 10)))
            row["transaction_id"] = f"SPL{i:05d}-{j}"
            out.append(row)
        truth.splits.append(list(range(n + len(out) - parts, n + len(out))))
    frame = pd.DataFrame(out)
    frame["period"] = frame["date"].dt.strftime("%Y-%m")
    frame["source_file"] = "synthetic-" + frame["period"] + ".csv"
    return frame.reset_index(drop=True)


def _decoys(base: pd.DataFrame, rng: np.random.Generator, scale: float, n: int,
            truth: Planted) -> pd.DataFrame:
    """The look-alikes (see the module docstring), none of which is an anomaly."""
    k = {name: max(int(v * scale), 1) for name, v in DECOYS.items()}
    ok = (base["amount"] > 0).to_numpy() & (base["supplier_class"] != "public_body").to_numpy()
    frames = [
        _published_twice(_pick(base, rng, k["published_twice"], ok)),
        _credit_repaid(_pick(base, rng, k["credit_repaid"], ok), rng),
        _series(_pick(base, rng, k["weekly_instalments"], ok), 10, 7, "WKI"),
        _series(_pick(base, rng, k["monthly_instalments"], ok), 12, 30, "MTH"),
        _two_payees(_pick(base, rng, k["two_payees"], ok)),
        _batches(_pick(base, rng, k["batches"], ok)),
        _weekly_invoices(_pick(base, rng, k["weekly_invoices"], ok), rng),
        _invoice_lines(_pick(base, rng, k["invoice_lines"], ok), rng),
    ]
    out = pd.concat(frames, ignore_index=True)
    out["period"] = out["date"].dt.strftime("%Y-%m")
    out["source_file"] = out["source_file"].where(
        out["source_file"].str.contains("copy"), "synthetic-" + out["period"] + ".csv")
    return out


def _published_twice(r: pd.DataFrame) -> pd.DataFrame:
    """The same lines in a second file: same date, supplier, amount and reference."""
    return r.assign(source_file="synthetic-republished-copy.csv")


def _credit_repaid(r: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A credit reversing the payment, then the payment again (within 20 days)."""
    credit = r.assign(amount=-r["amount"], date=r["date"] + pd.Timedelta(days=3),
                      transaction_id="CR" + r["transaction_id"])
    again = r.assign(date=r["date"] + pd.to_timedelta(rng.integers(4, 20, len(r)), unit="D"),
                     transaction_id="RP" + r["transaction_id"])
    return pd.concat([credit, again])


def _series(r: pd.DataFrame, count: int, every: int, tag: str) -> pd.DataFrame:
    """Instalments: ``count`` equal payments ``every`` days apart, a new supplier each."""
    out = []
    for i, (_, row) in enumerate(r.iterrows()):
        name = f"{tag} SERIES {i} LTD"
        for j in range(count):
            out.append({**row, "supplier_name": name, "supplier_name_norm": name,
                        "supplier_key": f"{row['council']}|name:{name}",
                        "date": row["date"] + pd.Timedelta(days=every * j),
                        "transaction_id": f"{tag}{i:05d}-{j}"})
    return pd.DataFrame(out)


def _two_payees(r: pd.DataFrame) -> pd.DataFrame:
    """Two suppliers with one name (two vendor numbers), paid the same amount one day."""
    one = r.assign(supplier_id=[f"V{i}A" for i in range(len(r))],
                   transaction_id="TPA" + r["transaction_id"])
    two = r.assign(supplier_id=[f"V{i}B" for i in range(len(r))],
                   transaction_id="TPB" + r["transaction_id"])
    both = pd.concat([one, two])
    return both.assign(supplier_key=both["council"] + "|id:" + both["supplier_id"])


def _batches(r: pd.DataFrame) -> pd.DataFrame:
    """Four payments at one rate on one date (care placements at a standard fee)."""
    return pd.concat([r.assign(transaction_id=f"B{j}" + r["transaction_id"])
                      for j in range(4)])


def _weekly_invoices(r: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A supplier invoicing £3,600–£4,600 every week for a year (under the £5,000
    threshold, over it in any fortnight): its rhythm, not a split."""
    out = []
    for i, (_, row) in enumerate(r.iterrows()):
        name = f"WEEKLY AGENCY {i} LTD"
        for j in range(52):
            out.append({**row, "supplier_name": name, "supplier_name_norm": name,
                        "supplier_key": f"{row['council']}|name:{name}",
                        "amount": round(float(rng.uniform(3600, 4600)), 2),
                        "date": pd.Timestamp("2022-04-04") + pd.Timedelta(days=7 * j),
                        "transaction_id": f"WKA{i:04d}-{j}"})
    return pd.DataFrame(out)


def _invoice_lines(r: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One invoice over £5,000 in three lines under it (one reference, one date)."""
    lines = [r.assign(amount=np.round(rng.uniform(1800, 4900, len(r)), 2),
                      transaction_id="INV" + r["transaction_id"]) for _ in range(3)]
    return pd.concat(lines)


def _statuses(p: pd.DataFrame, rng: np.random.Generator, scale: float, truth: Planted
              ) -> pd.DataFrame:
    """Companies House statuses: planted closures inside the paying period (the truth: the
    rows from the date), closures after the last payment, and active companies."""
    spans = p[p["supplier_class"] == "company"].groupby("supplier_key")["date"].agg(
        ["min", "max", "size"])
    spans = spans[spans["size"] >= 4]
    pick = rng.permutation(len(spans))
    n_closed = int(PLANTED["closed_suppliers"] * scale)
    n_after = int(DECOYS["closed_after"] * scale)
    closed = spans.iloc[pick[:n_closed]]
    after = spans.iloc[pick[n_closed:n_closed + n_after]]
    active = spans.iloc[pick[n_closed + n_after:n_closed + n_after + int(DECOYS["active"]
                                                                         * scale)]]
    when = closed["min"] + (closed["max"] - closed["min"]) * rng.uniform(0.3, 0.8, len(closed))
    when = when.dt.normalize()
    keys = p["supplier_key"].map(when)
    truth.closed_rows = np.flatnonzero((keys.notna() & (p["date"] >= keys)).to_numpy()).tolist()
    frames = [
        pd.DataFrame({"supplier_key": closed.index, "status": "Dissolved", "status_date": when}),
        pd.DataFrame({"supplier_key": after.index, "status": "Liquidation",
                      "status_date": after["max"] + pd.Timedelta(days=30)}),
        pd.DataFrame({"supplier_key": active.index, "status": "Active", "status_date": pd.NaT}),
    ]
    out = pd.concat(frames, ignore_index=True)
    out["matched_by"] = "company number"
    out["source"] = "synthetic register (labelled synthetic)"
    return out.astype({"supplier_key": "string"})
