"""The explorer's tables: suppliers, wards, departments by month, local share by group.

The headline figures live in :mod:`impact.analysis.measures` (computed once, with their
coverage and the one gate); these tables break the same payments down for the pages, with
the same conventions: positive payments for spend, net for totals, national bodies known
and never local, and "not enough data" (:data:`~impact.analysis.measures.NOT_ENOUGH_DATA`)
where the gate (:func:`~impact.analysis.measures.enough`) says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.analysis.measures import (
    MIN_COVERAGE,
    NOT_ENOUGH_DATA,
    REGISTERED_OFFICE_CAVEAT,
    enough,
    national,
    placed_mask,
    positive_amounts,
    ward_basis,
)


def supplier_summary(tx: pd.DataFrame) -> pd.DataFrame:
    """One row per supplier in ``tx``: name, class, place, spend (positive), payments."""
    if tx.empty:
        return pd.DataFrame(
            columns=[
                "supplier_key",
                "supplier",
                "class",
                "where",
                "ward",
                "district",
                "imd_decile",
                "postcode",
                "spend",
                "payments",
                "share",
            ]
        )
    pos = positive_amounts(tx)
    t = tx.assign(_pos=pos)
    g = t.groupby("supplier_key", sort=False, observed=True)
    # The name published most often for each supplier (vectorised: no per-group lambda).
    names = (t.groupby(["supplier_key", "supplier_name"], observed=True).size()
             .sort_values(ascending=False, kind="stable").reset_index()
             .drop_duplicates("supplier_key").set_index("supplier_key")["supplier_name"])
    out = g.agg(
        **{"class": ("supplier_class", "first")},
        where=("location_band", "first"),
        ward=("ward_name", "first"),
        district=("lad_name", "first"),
        imd_decile=("imd_decile", "first"),
        postcode=("postcode", "first"),
        spend=("_pos", "sum"),
        payments=("amount", "size"),
    ).reset_index()
    out.insert(1, "supplier", out["supplier_key"].map(names).fillna("(no name)").astype("string"))
    total = float(pos.sum())
    out["share"] = out["spend"] / total if total > 0 else np.nan
    out["where"] = out["where"].astype("string")
    return out.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)


def supplier_spend(suppliers: pd.DataFrame, tx: pd.DataFrame) -> pd.DataFrame:
    """The supplier table with ``spend`` = positive payments in ``tx`` (the payments shown),
    so areas, worklists and templates rank suppliers on the same £ as every figure."""
    spend = positive_amounts(tx).groupby(tx["supplier_key"].astype("string")).sum()
    out = suppliers.copy()
    out["spend"] = out["supplier_key"].astype("string").map(spend).fillna(0.0).to_numpy()
    return out


def top_suppliers(tx: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` suppliers paid most (positive payments) in ``tx``."""
    return supplier_summary(tx).head(n)


#: ``status`` of a ward's £ in :func:`spend_by_ward`.
WARD_PLACED, WARD_NONE = "placed", "none placed"


def spend_by_ward(tx: pd.DataFrame, wards: pd.DataFrame) -> pd.DataFrame:
    """Per council ward: £ received by suppliers based there, £ per resident, supplier count.

    Only suppliers placed inside the council's area count.  ``status`` says what a ward's £
    rests on: ``placed`` (some placed spend: ``spend`` is a floor, ``spend_upper`` adds
    every £ whose ward is unknown), ``none placed`` (none, with enough coverage to say so) or
    :data:`NOT_ENOUGH_DATA` (none, but under :data:`MIN_COVERAGE` of spend is known at ward
    level: £0 would be a data gap shown as a fact).  ``coverage`` is that share.
    """
    base = pd.DataFrame(
        {"code": wards["code"].astype("string"), "name": wards["name"].astype("string")}
    )
    base["population"] = wards["population"].to_numpy() if "population" in wards else np.nan
    pos = positive_amounts(tx)
    local = tx["location_band"].eq("council").to_numpy(bool)
    t = pd.DataFrame(
        {
            "code": tx["ward_code"].astype("string")[local],
            "spend": pos[local],
            "supplier_key": tx["supplier_key"][local],
        }
    )
    agg = (
        t.groupby("code")
        .agg(
            spend=("spend", "sum"),
            local_suppliers=("supplier_key", "nunique"),
            payments=("spend", "size"),
        )
        .reset_index()
    )
    out = base.merge(agg, on="code", how="left")
    out[["spend", "local_suppliers", "payments"]] = out[
        ["spend", "local_suppliers", "payments"]
    ].fillna(0)
    out["local_suppliers"] = out["local_suppliers"].astype(int)
    out["payments"] = out["payments"].astype(int)
    pop = pd.to_numeric(out["population"], errors="coerce")
    out["spend_per_resident"] = (out["spend"] / pop).where(pop > 0)
    basis = ward_basis(tx)
    out["spend_upper"] = out["spend"] + basis.unknown
    out["coverage"] = basis.share
    out["status"] = np.where(out["spend"] > 0, WARD_PLACED,
                             WARD_NONE if basis.enough else NOT_ENOUGH_DATA)
    return out


SPEND_BY_WARD_HOW = (
    "£ received: positive payments to suppliers whose postcode lies in the ward (suppliers "
    "outside the council's area are not shown on the ward map). £ per resident divides by "
    "Census 2021 usual residents. Local suppliers: distinct suppliers placed in the ward "
    "that were paid in the selected payments. A ward's £ is a floor: spend whose supplier "
    "is not placed, or is placed only at a whole district, could be in any ward. Where less "
    f"than {MIN_COVERAGE:.0%} of spend is placed at ward level, a ward with no placed spend "
    "shows 'not enough data', not £0. " + REGISTERED_OFFICE_CAVEAT
)


def ward_panel(tx: pd.DataFrame, wards: pd.DataFrame, code: str, n: int = 8) -> dict:
    """What the map shows for one clicked ward: IoD profile, spend received, top suppliers."""
    row = wards.loc[wards["code"] == code]
    if row.empty:
        raise KeyError(f"ward {code} is not one of the council's wards")
    r = row.iloc[0]
    in_ward = tx[
        (tx["ward_code"] == code).fillna(False).to_numpy(bool)
        & tx["location_band"].eq("council").to_numpy(bool)
    ]
    profile = {
        k: r[k]
        for k in (
            "population",
            "imd_score",
            "imd_rank",
            "worst_decile",
            "share_lsoa_decile1_2",
            "share_pop_decile1_2",
            "n_lsoa",
            "imd2019_rank",
        )
        if k in r.index
    }
    domains = {
        k.removesuffix("_rank"): r[k]
        for k in r.index
        if k.endswith("_rank") and k not in ("imd_rank", "imd2019_rank")
    }
    return {
        "code": code,
        "name": str(r["name"]),
        "profile": profile,
        "domain_ranks": domains,
        "spend": float(positive_amounts(in_ward).sum()),
        "payments": len(in_ward),
        "suppliers": supplier_summary(in_ward).head(n),
    }


def _month(tx: pd.DataFrame) -> pd.Series:
    m = tx["period"].astype("string").str.slice(0, 7)
    return m.where(m.str.match(r"^\d{4}-\d{2}$").fillna(False))


def department_months(tx: pd.DataFrame, by: str = "directorate") -> pd.DataFrame:
    """Net £ by ``by`` (rows, largest first) × month (columns)."""
    t = pd.DataFrame(
        {
            "group": tx[by].astype("string").fillna("(not given)"),
            "month": _month(tx),
            "amount": pd.to_numeric(tx["amount"], errors="coerce"),
        }
    )
    t = t.dropna(subset=["month"])
    if t.empty:
        return pd.DataFrame()
    p = t.pivot_table(
        index="group", columns="month", values="amount", aggfunc="sum", fill_value=0.0
    )
    return p.loc[p.sum(axis=1).sort_values(ascending=False).index]


def robust_z(x: pd.Series) -> pd.Series:
    """Robust z-score: 0.6745 (x − median) / MAD (Iglewicz & Hoaglin).

    When more than half the changes are equal the MAD is 0; then the mean absolute deviation
    is used, (x − median) / (1.2533 × meanAD), as IBM SPSS does; 0 when all are equal.
    """
    med = x.median()
    dev = (x - med).abs()
    mad = dev.median()
    if np.isfinite(mad) and mad > 0:
        return 0.6745 * (x - med) / mad
    mean_ad = dev.mean()
    if not np.isfinite(mean_ad) or mean_ad == 0:
        return pd.Series(0.0, index=x.index)
    return (x - med) / (1.253314 * mean_ad)


def monthly_variance(
    tx: pd.DataFrame, by: str = "directorate", threshold: float = 3.5
) -> pd.DataFrame:
    """Per group and month: £, change on previous month and on the same month a year before,
    the robust z-score of the month-on-month change within the group, and an outlier flag
    (|z| > ``threshold``)."""
    p = department_months(tx, by)
    if p.empty:
        return pd.DataFrame(
            columns=[
                "group",
                "month",
                "amount",
                "change_prev_month",
                "change_last_year",
                "robust_z",
                "outlier",
            ]
        )
    months = pd.period_range(p.columns.min(), p.columns.max(), freq="M").strftime("%Y-%m")
    p = p.reindex(columns=months, fill_value=0.0)
    long = p.stack().rename("amount").reset_index()
    long.columns = ["group", "month", "amount"]
    long = long.sort_values(["group", "month"]).reset_index(drop=True)
    long["change_prev_month"] = long.groupby("group")["amount"].diff()
    long["change_last_year"] = long.groupby("group")["amount"].diff(12)
    long["robust_z"] = long.groupby("group")["change_prev_month"].transform(
        lambda s: robust_z(s.dropna()).reindex(s.index)
    )
    long["outlier"] = long["robust_z"].abs() > threshold
    return long


VARIANCE_HOW = (
    "Month-on-month change is this month's net £ minus the previous month's for the same "
    "group; same-month-last-year compares with twelve months before (blank when the files "
    "do not go back that far). A change is flagged as an outlier when its robust z-score — "
    "0.6745 × (change − median change) / median absolute deviation, within the group — is "
    "above 3.5 in size. Large one-off payments (capital works, annual contracts) are often "
    "the reason; a flag is a prompt to look, not an error."
)


def compare_periods(tx: pd.DataFrame, months: list[str], by: str = "directorate") -> pd.DataFrame:
    """Per group: £ in ``months``, in the same number of months just before, and in the same
    months a year earlier, with the changes.  ``tx`` must not be period-filtered."""
    if not months:
        return pd.DataFrame()
    cur = pd.PeriodIndex(sorted(months), freq="M")
    n = (cur.max() - cur.min()).n + 1
    prev = pd.period_range(cur.min() - n, cur.min() - 1, freq="M").strftime("%Y-%m")
    last = (cur - 12).strftime("%Y-%m")
    t = pd.DataFrame(
        {
            "group": tx[by].astype("string").fillna("(not given)"),
            "month": _month(tx),
            "amount": pd.to_numeric(tx["amount"], errors="coerce"),
        }
    )
    have = set(t["month"].dropna())

    def total(ms) -> pd.Series:
        return t[t["month"].isin(list(ms))].groupby("group")["amount"].sum()

    out = pd.DataFrame(
        {"current": total(cur.strftime("%Y-%m")), "previous": total(prev), "last_year": total(last)}
    ).fillna(0.0)
    if not set(prev) <= have:
        out["previous"] = np.nan  # the files do not cover the previous period
    if not set(last) <= have:
        out["last_year"] = np.nan
    out["change_vs_previous"] = out["current"] - out["previous"]
    out["change_vs_last_year"] = out["current"] - out["last_year"]
    out["pct_vs_previous"] = (out["change_vs_previous"] / out["previous"].abs()).where(
        out["previous"].abs() > 0
    )
    out["pct_vs_last_year"] = (out["change_vs_last_year"] / out["last_year"].abs()).where(
        out["last_year"].abs() > 0
    )
    out = out.sort_values("current", ascending=False)
    out.index.name = by
    return out.reset_index()


def local_share_by(tx: pd.DataFrame, by: str = "directorate") -> pd.DataFrame:
    """Per group: spend, coverage, local share of placed spend and its bounds (national
    bodies' spend counts as known and not local, as in :func:`local_share`)."""
    pos = positive_amounts(tx)
    t = pd.DataFrame(
        {
            "group": tx[by].astype("string").fillna("(not given)"),
            "spend": pos,
            "located": pos.where(placed_mask(tx), 0.0),
            "local": pos.where(tx["location_band"].eq("council").to_numpy(bool), 0.0),
        }
    )
    g = t.groupby("group").sum()
    g["coverage"] = (g["located"] / g["spend"]).where(g["spend"] > 0)
    g["enough"] = g["coverage"].map(enough)
    g["local_share"] = (g["local"] / g["located"]).where(g["located"] > 0)
    g["lower"] = (g["local"] / g["spend"]).where(g["spend"] > 0)
    g["upper"] = ((g["local"] + g["spend"] - g["located"]) / g["spend"]).where(g["spend"] > 0)
    g = g.sort_values("spend", ascending=False)
    g.index.name = by
    return g.reset_index()


#: The order of the place bases in :func:`local_by_basis` (strongest evidence first).
BASIS_ORDER = ("council_register", "manual", "shared_register", "public_body",
               "registered_office", "name_hint")


def local_by_basis(tx: pd.DataFrame) -> pd.DataFrame:
    """Where the £ went, by what each supplier's place stands for (``place_basis``).

    One row per basis of placed spend (council register, officer, public body's area,
    registered office, name hint) with its £, share of all £, £ inside the council's area
    and local share; then national bodies and unplaced spend as their own rows (known to be
    no place's local spend, and unknown).  Shares of all positive £, so the ``share``
    column sums to 1.  Why: a local share resting on registered offices (often a head
    office far from the work) reads differently from one resting on the council's own
    trading addresses.
    """
    pos = positive_amounts(tx)
    total = float(pos.sum())
    nat = national(tx)
    placed = tx["is_located"].to_numpy(bool) & ~nat
    recorded = (tx["place_basis"].astype("string").fillna("not recorded").to_numpy(object)
                if "place_basis" in tx else np.full(len(tx), "not recorded", dtype=object))
    basis = np.where(nat, "national", np.where(placed, recorded, "not placed"))
    local = pos.where(tx["location_band"].eq("council").to_numpy(bool), 0.0)
    g = pd.DataFrame({"basis": basis, "spend": pos.to_numpy(), "local": local.to_numpy()}
                     ).groupby("basis").sum()
    order = [b for b in (*BASIS_ORDER, *sorted(set(g.index) - {*BASIS_ORDER, "national",
                                                                 "not placed"}),
                         "national", "not placed") if b in g.index]
    g = g.loc[order]
    g["share"] = g["spend"] / total if total > 0 else np.nan
    g["local_share"] = (g["local"] / g["spend"]).where(g["spend"] > 0)
    g.loc[g.index.isin(["national", "not placed"]), "local_share"] = np.nan
    return g.reset_index()


LOCAL_BY_BASIS_HOW = (
    "Each supplier we could place carries what its place stands for: a trading address in the "
    "council's own supplier register, a place an officer gave, a trading address in another "
    "body's supplier register shared in the reference data, a public body's area or site, a "
    "registered office from a national register (often a head office, not where the work is "
    "done), premises from a list the council added (business rates, care locations, "
    "charities' addresses: for a supplier with no other place, its premises in the council's "
    "area with the largest rateable value, else its largest), or a place named in the payee's "
    "name (low confidence). For each, the £ paid and the "
    "share of it going to suppliers inside the council's area. National bodies (government "
    "departments and agencies) are known and no place's local spend; unplaced spend is shown "
    "as its own band, not guessed."
)
