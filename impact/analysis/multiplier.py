"""The re-spend model: nef's Local Multiplier 3 (LM3) with honest bands.

LM3 = (R1 + R2 + R3) / R1 (nef, *The Money Trail*, 2002):

- **R1** — the spend traced: positive payments in the spend files (by default only
  *influenceable* spend: public bodies excluded), plus the council's payroll when given.
- **R2** — the part of R1 received locally: spend with suppliers located in the local area
  (:mod:`impact.localarea`) plus payroll × share of staff living locally.
- **R3** — what those round-2 recipients re-spend locally: Σ R2_i × re-spend share_i, the
  share from a supplier survey (:mod:`impact.survey`) where answered, else a prior by
  supplier class and SIC section (:mod:`impact.priors`).  Local staff re-spend their pay
  by the ``staff`` prior.  Non-local suppliers' local re-spend is *not* in R3 (nef counts
  round 3 only from round-2 recipients); it is reported separately (``r3_non_local_``).

Since R3 ≤ R2 ≤ R1, 1 ≤ LM3 ≤ 3.  **£ retained locally** is defined as R2 + R3 (the money
that reaches local hands in rounds 2 and 3), so LM3 = 1 + retained / R1.

Unlocated spend is never silently non-local: the *lower* figure counts it all non-local,
the *upper* counts it local in the same proportion as located spend, and every result
says which is shown.  The Monte Carlo draws the band position uniformly and each prior
from a triangular(low, central, high) — one draw per prior row and run, because a wrong
judgement is wrong for every supplier it covers — giving P10/P50/P90.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact.analysis.priors import default_priors, lookup, validate_priors
from impact.ingest.schema import supplier_keys
from impact.places import councils
from impact.places.localarea import LOCAL, NON_LOCAL, UNKNOWN, LocalArea, influenceable

SHOWN = {"non_local": "lower", "proportional": "upper"}
BAND_TEXT = {
    "non_local": "lower bound: all unlocated spend counted as non-local",
    "proportional": (
        "upper bound: unlocated spend counted as local in the same proportion as located spend"
    ),
}


# --- nef's worked figures -------------------------------------------------------------


def lm3_from_rounds(r1: float, r2: float, r3: float) -> float:
    """LM3 = (R1 + R2 + R3) / R1; needs R1 > 0 and 0 ≤ R3 ≤ R2 ≤ R1 (nef, The Money Trail)."""
    if not r1 > 0:
        raise ValueError(f"R1 must be positive, not {r1!r}")
    if not (0 <= r3 <= r2 <= r1):
        raise ValueError(f"need 0 ≤ R3 ≤ R2 ≤ R1 (got R1={r1}, R2={r2}, R3={r3})")
    return float((Decimal(str(r1)) + Decimal(str(r2)) + Decimal(str(r3))) / Decimal(str(r1)))


def value_per_pound(is_local: bool, local_respend_share: float) -> float:
    """Value to the local economy of £1 spent with a supplier (nef Northumberland 2005).

    A local supplier's £1 stays (round 2) and its local re-spend is added: 1 + share.  A
    non-local supplier's £1 leaves; only its local re-spend comes back: 0 + share.
    """
    if not 0 <= local_respend_share <= 1:
        raise ValueError(f"re-spend share must be within 0–1, not {local_respend_share!r}")
    v = (Decimal(1) if is_local else Decimal(0)) + Decimal(str(local_respend_share))
    return float(v)


def nef_northumberland_comparison(priors: pd.DataFrame | None = None) -> dict[str, float]:
    """£1 with a local vs a non-local supplier, from the generic priors (defaults: nef 2005).

    With the shipped priors this gives ``{"local": 1.76, "non_local": 0.36}``.
    """
    p = validate_priors(priors) if priors is not None else default_priors()
    gen = p[(p["supplier_class"] == "*") & (p["sic_section"] == "*")].set_index("recipient")
    return {
        "local": value_per_pound(True, float(gen.loc["local", "central"])),
        "non_local": value_per_pound(False, float(gen.loc["non_local", "central"])),
    }


# --- inputs ---------------------------------------------------------------------------


def sic_section(sic: pd.Series) -> pd.Series:
    """SIC 2007 section letter of the first code in a ``;``/``,``-separated SIC text."""
    from impact.analysis.io_crosscheck import section_for_division

    first = sic.astype("string").str.extract(r"(\d{4,5}|[A-Ua-u](?![a-z]))", expand=False)
    div = first.str.extract(r"^(\d{2})", expand=False)
    letter = first.where(first.str.fullmatch(r"[A-Ua-u]").fillna(False)).str.upper()
    return div.map(section_for_division).astype("string").fillna(letter)


SPEND_COLUMNS = (
    "supplier_key",
    "directorate",
    "amount",
    "local_status",
    "supplier_class",
    "sic_section",
    "ward_code",
    "ward_name",
    "lad_code",
    "lsoa21_code",
    "imd_decile",
    "supplier_name",
)


@dataclass
class SpendInputs:
    """The model's input table and how every transaction row was accounted for.

    Attributes
    ----------
    spend : one row per (supplier, directorate) with positive spend (:data:`SPEND_COLUMNS`)
        and ``influenceable``.
    suppliers : the supplier table with ``local_status`` added.
    area : the local boundary used.
    accounting : transaction rows and £ in, used, and left out with the reason.
    """

    spend: pd.DataFrame
    suppliers: pd.DataFrame
    area: LocalArea
    accounting: dict[str, Any]


def prepare_spend(
    transactions: pd.DataFrame,
    suppliers: pd.DataFrame,
    area: LocalArea,
    exclude_public_bodies: bool = True,
) -> SpendInputs:
    """Join transactions to suppliers by ``supplier_key`` and aggregate positive spend.

    The key is :func:`impact.ingest.schema.supplier_keys` (council + supplier_id, else
    normalised name), as :func:`impact.locate.supplier_table` derives it.
    """
    if "supplier_key" not in transactions:
        transactions = transactions.assign(supplier_key=supplier_keys(transactions))
    amount = pd.to_numeric(transactions["amount"], errors="coerce")
    placed = _placed_suppliers(suppliers, area, exclude_public_bodies)
    payments = _positive_payments(transactions, amount)
    spend, unmatched = _spend_per_supplier(payments, placed)
    accounting = _accounting(amount, payments, spend, unmatched, exclude_public_bodies)
    return SpendInputs(spend=spend, suppliers=placed, area=area, accounting=accounting)


def _placed_suppliers(
    suppliers: pd.DataFrame, area: LocalArea, exclude_public_bodies: bool
) -> pd.DataFrame:
    """One row per supplier with what the model asks of it: local or not, influenceable by
    the council, SIC section (for the prior) and deprivation decile (for the scenarios)."""
    placed = suppliers.drop_duplicates("supplier_key").copy()
    placed["local_status"] = area.status(placed)
    placed["influenceable"] = influenceable(placed, exclude_public_bodies)
    placed["sic_section"] = sic_section(placed["sic"]) if "sic" in placed else pd.NA
    if "imd_decile" not in placed:
        placed["imd_decile"] = pd.NA
    return placed


def _positive_payments(transactions: pd.DataFrame, amount: pd.Series) -> pd.DataFrame:
    """Supplier, directorate and £ of each positive payment: R1 is money spent, so credits
    and refunds are left out (and counted in the accounting)."""
    positive = amount > 0
    payments = pd.DataFrame(
        {
            "supplier_key": transactions["supplier_key"].astype("string"),
            "directorate": (
                transactions["directorate"].astype("string").fillna("(not given)")
                if "directorate" in transactions
                else "(not given)"
            ),
            "amount": amount.where(positive, 0.0),
        }
    )
    return payments[positive.to_numpy()]


def _spend_per_supplier(
    payments: pd.DataFrame, placed: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per (supplier, directorate) with the supplier's columns; and which rows had
    no supplier row (they stay in, as unlocated, rather than silently dropped)."""
    columns = [c for c in SPEND_COLUMNS if c not in ("directorate", "amount") and c in placed]
    totals = payments.groupby(["supplier_key", "directorate"], sort=False, observed=True)
    spend = (
        totals["amount"]
        .sum()
        .reset_index()
        .merge(placed[[*columns, "influenceable"]], on="supplier_key", how="left", indicator=True)
    )
    unmatched = (spend["_merge"] == "left_only").to_numpy()
    spend = spend.drop(columns="_merge")
    spend["local_status"] = spend["local_status"].astype("string").fillna(UNKNOWN)
    spend["supplier_class"] = spend["supplier_class"].astype("string").fillna("unknown")
    spend["influenceable"] = spend["influenceable"].fillna(True).astype(bool)
    return spend, unmatched


def _accounting(
    amount: pd.Series,
    payments: pd.DataFrame,
    spend: pd.DataFrame,
    unmatched: np.ndarray,
    exclude_public_bodies: bool,
) -> dict[str, Any]:
    """Every transaction row and £ accounted for: used, or left out with the reason."""
    return {
        "transaction_rows": len(amount),
        "rows_used_positive": int((amount > 0).sum()),
        "rows_left_out_credit_or_zero": int((amount <= 0).sum()),
        "rows_left_out_amount_missing": int(amount.isna().sum()),
        "positive_spend_gbp": round(float(payments["amount"].sum()), 2),
        "public_body_spend_gbp": round(
            float(spend.loc[~spend["influenceable"], "amount"].sum()), 2
        ),
        "public_bodies_excluded": bool(exclude_public_bodies),
        "spend_with_supplier_not_in_suppliers_table_gbp": round(
            float(spend.loc[unmatched, "amount"].sum()), 2
        ),
    }


# --- the model ------------------------------------------------------------------------


def _tri_ppf(u: np.ndarray, lo: np.ndarray, mode: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Inverse CDF of triangular(lo, mode, hi), vectorised; degenerate ranges give ``mode``."""
    width = hi - lo
    safe = np.where(width > 0, width, 1.0)
    fc = np.where(width > 0, (mode - lo) / safe, 0.5)
    left = lo + np.sqrt(u * safe * (mode - lo))
    right = hi - np.sqrt((1 - u) * safe * (hi - mode))
    return np.where(width > 0, np.where(u < fc, left, right), mode)


class LM3Model:
    """nef Local Multiplier 3 for one council's spend (see the module docstring).

    Parameters
    ----------
    priors : re-spend priors table (:func:`impact.priors.default_priors` when None).
    survey_shares : frame with ``supplier_key`` and ``respend_share`` (0–1) from
        :func:`impact.survey.parse_survey`; these replace the priors for those suppliers.
    exclude_public_bodies : leave payments to public bodies out of R1 (influenceable spend).
    payroll_gbp, staff_local_share : the council's pay bill and the share of it paid to
        staff living locally; both go into R1 and R2 as nef's LM3 counts local employees.
    unlocated : which end of the unlocated band the headline figures show: ``"non_local"``
        (lower bound, default) or ``"proportional"`` (upper bound).
    n_draws, random_state : Monte Carlo draws and seed (numpy ``default_rng``).

    Attributes
    ----------
    r1_, r2_, r3_ : £ for the headline assumption (``shown_``), priors at central values.
    lm3_ : the headline LM3 = (R1 + R2 + R3) / R1.  Prefer ``lm3_p50_`` with the P10–P90
        band when reporting; ``lm3_`` is the figure that reproduces by hand.
    lm3_lower_, lm3_upper_ : LM3 with unlocated spend all non-local / local pro rata.
    lm3_p10_, lm3_p50_, lm3_p90_ : Monte Carlo percentiles over priors and the band.
    retained_ : £ retained locally = R2 + R3 (headline); ``retained_p10_`` … ``_p90_``.
    rounds_ : R1/R2/R3 table (lower, upper, shown, components) for the waterfall chart.
    by_directorate_, by_class_, by_ward_, by_supplier_ : breakdowns (central priors).
    draws_ : one row per draw: ``theta`` (0 = lower, 1 = upper), ``lm3``, ``retained``.
    band_drivers_ : P10–P90 width of LM3 from the priors alone and the unlocated band alone.
    r3_non_local_ : local re-spend by non-local suppliers (not in LM3; the "£0.36").
    local_share_located_ : local £ / located £ (the proportion used for the upper bound).
    how_calculated_ : plain-English inputs, method and caveats.
    """

    def __init__(
        self,
        priors: pd.DataFrame | None = None,
        survey_shares: pd.DataFrame | None = None,
        exclude_public_bodies: bool = True,
        payroll_gbp: float = 0.0,
        staff_local_share: float = 0.0,
        unlocated: str = "non_local",
        n_draws: int = 1000,
        random_state: int = 20050307,
    ) -> None:
        self.priors = priors
        self.survey_shares = survey_shares
        self.exclude_public_bodies = exclude_public_bodies
        self.payroll_gbp = payroll_gbp
        self.staff_local_share = staff_local_share
        self.unlocated = unlocated
        self.n_draws = n_draws
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in (
                "priors",
                "survey_shares",
                "exclude_public_bodies",
                "payroll_gbp",
                "staff_local_share",
                "unlocated",
                "n_draws",
                "random_state",
            )
        }

    # ------------------------------------------------------------------
    def _validate(self, spend: pd.DataFrame) -> pd.DataFrame:
        need = ("supplier_key", "amount", "local_status", "supplier_class")
        missing = [c for c in need if c not in spend]
        if missing:
            raise ValueError(f"spend table lacks column(s) {', '.join(missing)}")
        if self.unlocated not in SHOWN:
            raise ValueError(f"unlocated must be one of {', '.join(SHOWN)}, not {self.unlocated!r}")
        if not (self.payroll_gbp >= 0 and 0 <= self.staff_local_share <= 1):
            raise ValueError("payroll must be ≥ 0 and staff local share within 0–1")
        if int(self.n_draws) < 1:
            raise ValueError("n_draws must be at least 1")
        s = spend.copy()
        s["amount"] = pd.to_numeric(s["amount"], errors="coerce").fillna(0.0).clip(lower=0.0)
        if "influenceable" not in s:
            s["influenceable"] = True
        if self.exclude_public_bodies:
            s = s[
                s["influenceable"].fillna(True).astype(bool)
                & (s["supplier_class"].astype("string") != "public_body").fillna(True)
            ]
        bad = ~s["local_status"].isin([LOCAL, NON_LOCAL, UNKNOWN])
        if bad.any():
            raise ValueError(
                "local_status must be local/non_local/unknown, not "
                f"{s['local_status'][bad].iloc[0]!r}"
            )
        for c in ("sic_section", "directorate", "ward_code", "ward_name", "imd_decile"):
            if c not in s:
                s[c] = pd.NA
        return s

    def fit(self, spend: pd.DataFrame) -> LM3Model:
        """Fit on a spend table (:func:`prepare_spend`); sets the trailing-underscore results."""
        pri = validate_priors(self.priors) if self.priors is not None else default_priors()
        s = self._validate(spend)
        amt = s["amount"].to_numpy(dtype="float64")
        st = s["local_status"].astype(str).to_numpy()
        is_loc, is_unk, is_non = st == LOCAL, st == UNKNOWN, st == NON_LOCAL
        pr = lookup(pri, s["supplier_class"], s["sic_section"].astype("string"), "local")
        share_c = pr["central"].to_numpy(dtype="float64").copy()
        prior_row = pr["prior_row"].to_numpy()
        surveyed = np.zeros(len(s), dtype=bool)
        if self.survey_shares is not None and len(self.survey_shares):
            sv = self.survey_shares.drop_duplicates("supplier_key", keep="last")
            m = (
                s["supplier_key"]
                .astype("string")
                .map(
                    pd.Series(
                        sv["respend_share"].to_numpy(dtype="float64"),
                        index=sv["supplier_key"].astype("string"),
                    )
                )
            )
            surveyed = m.notna().to_numpy()
            share_c = np.where(surveyed, m.fillna(0).to_numpy(dtype="float64"), share_c)
        staff = pri[(pri["recipient"] == "local") & (pri["supplier_class"] == "staff")]
        generic = (pri["recipient"] == "local") & (pri["supplier_class"] == "*")
        generic &= pri["sic_section"] == "*"
        staff_row = staff.iloc[0] if len(staff) else pri[generic].iloc[0]

        payroll = float(self.payroll_gbp)
        staff_r2 = payroll * float(self.staff_local_share)
        r1 = float(amt.sum()) + payroll
        located = float(amt[~is_unk].sum())
        local = float(amt[is_loc].sum())
        p = local / located if located > 0 else 0.0
        unk = float(amt[is_unk].sum())
        self.local_share_located_ = p
        self.unlocated_gbp_ = unk
        self.surveyed_gbp_ = float(amt[surveyed & is_loc].sum())

        def rounds(theta: float) -> tuple[float, float, float, float]:
            w = is_loc + theta * p * is_unk
            r2s = float((amt * w).sum())
            r3s = float((amt * w * share_c).sum())
            return r2s + staff_r2, r3s + staff_r2 * float(staff_row["central"]), r2s, r3s

        lo, hi = rounds(0.0), rounds(1.0)
        theta_shown = 0.0 if self.unlocated == "non_local" else 1.0
        shown = lo if theta_shown == 0.0 else hi
        self.shown_ = BAND_TEXT[self.unlocated]
        self.r1_ = r1
        self.r2_, self.r3_ = shown[0], shown[1]
        if r1 > 0:
            self.lm3_lower_ = (r1 + lo[0] + lo[1]) / r1
            self.lm3_upper_ = (r1 + hi[0] + hi[1]) / r1
        else:
            self.lm3_lower_ = self.lm3_upper_ = float("nan")
        self.lm3_ = self.lm3_lower_ if theta_shown == 0.0 else self.lm3_upper_
        self.retained_ = self.r2_ + self.r3_
        self.retained_lower_, self.retained_upper_ = lo[0] + lo[1], hi[0] + hi[1]
        self.staff_r2_ = staff_r2
        nl = lookup(
            pri, s["supplier_class"][is_non], s["sic_section"][is_non].astype("string"), "non_local"
        )
        self.r3_non_local_ = float((amt[is_non] * nl["central"].to_numpy(dtype="float64")).sum())

        self._monte_carlo(
            pri,
            amt,
            is_loc,
            is_unk,
            surveyed,
            share_c,
            prior_row,
            p,
            payroll,
            staff_r2,
            staff_row,
            theta_shown,
        )
        self.rounds_ = self._rounds_table(lo, hi, theta_shown, r1, unk, payroll)
        self.waterfall_ = self._waterfall(r1)
        self._breakdowns(s, amt, is_loc, is_unk, share_c, p, theta_shown, surveyed)
        self.n_suppliers_ = int(s["supplier_key"].nunique())
        self.how_calculated_ = self._how(pri, s, amt, surveyed, is_loc)
        return self

    # ------------------------------------------------------------------
    def _monte_carlo(
        self,
        pri,
        amt,
        is_loc,
        is_unk,
        surveyed,
        share_c,
        prior_row,
        p,
        payroll,
        staff_r2,
        staff_row,
        theta_shown,
    ) -> None:
        rng = np.random.default_rng(self.random_state)
        n = int(self.n_draws)
        groups, inv = np.unique(prior_row, return_inverse=True)
        free = ~surveyed
        a_loc = np.bincount(inv, weights=amt * (is_loc & free), minlength=len(groups))
        a_unk = np.bincount(inv, weights=amt * (is_unk & free), minlength=len(groups))
        s_loc = float((amt * share_c * (is_loc & surveyed)).sum())
        s_unk = float((amt * share_c * (is_unk & surveyed)).sum())
        loc = float(amt[is_loc].sum())
        unk = float(amt[is_unk].sum())
        g = pri.loc[groups]
        lo_, md_, hi_ = (g[c].to_numpy(dtype="float64") for c in ("low", "central", "high"))
        u = rng.random((n, len(groups)))
        shares = _tri_ppf(u, lo_, md_, hi_)
        theta = rng.random(n)
        su = rng.random(n)
        staff_s = _tri_ppf(su, *(np.float64(staff_row[c]) for c in ("low", "central", "high")))
        r1 = float(amt.sum()) + payroll

        def run(sh: np.ndarray, th: np.ndarray, ss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            r2 = loc + th * p * unk + staff_r2
            r3 = sh @ a_loc + th * p * (sh @ a_unk) + s_loc + th * p * s_unk + staff_r2 * ss
            ret = r2 + r3
            return (r1 + ret) / r1 if r1 > 0 else np.full_like(ret, np.nan), ret

        lm3, ret = run(shares, theta, staff_s)
        self.draws_ = pd.DataFrame({"theta": theta, "lm3": lm3, "retained": ret})
        q = np.percentile(lm3, [10, 50, 90]) if r1 > 0 else [np.nan] * 3
        qr = np.percentile(ret, [10, 50, 90])
        self.lm3_p10_, self.lm3_p50_, self.lm3_p90_ = (float(x) for x in q)
        self.retained_p10_, self.retained_p50_, self.retained_p90_ = (float(x) for x in qr)
        fixed = np.full(n, theta_shown)
        lm3_pri, _ = run(shares, fixed, staff_s)
        central = np.broadcast_to(md_, shares.shape)
        lm3_band, _ = run(central, theta, np.full(n, float(staff_row["central"])))

        def width(x: np.ndarray) -> float:
            return float(np.subtract(*np.percentile(x, [90, 10]))) if r1 > 0 else float("nan")

        self.band_drivers_ = {
            "priors_only_p10_p90_width": width(lm3_pri),
            "unlocated_band_only_p10_p90_width": width(lm3_band),
            "both_p10_p90_width": width(lm3),
            "unlocated_share_of_r1": unk / r1 if r1 > 0 else float("nan"),
            "main_driver": (
                "unlocated spend (where it is)"
                if width(lm3_band) > width(lm3_pri)
                else "re-spend priors (how much local suppliers re-spend)"
            ),
        }

    def _rounds_table(self, lo, hi, theta_shown, r1, unk, payroll) -> pd.DataFrame:
        shown = lo if theta_shown == 0 else hi
        rows = [
            ("R1", "spend traced (round 1)", r1, r1, r1, r1 - payroll, payroll),
            (
                "R2",
                "received by local suppliers and staff (round 2)",
                lo[0],
                hi[0],
                shown[0],
                shown[2],
                self.staff_r2_,
            ),
            (
                "R3",
                "re-spent locally by them (round 3)",
                lo[1],
                hi[1],
                shown[1],
                shown[3],
                shown[1] - shown[3],
            ),
        ]
        df = pd.DataFrame(
            rows,
            columns=[
                "round",
                "label",
                "gbp_lower",
                "gbp_upper",
                "gbp_shown",
                "gbp_suppliers",
                "gbp_staff",
            ],
        )
        df["share_of_r1_shown"] = df["gbp_shown"] / r1 if r1 > 0 else np.nan
        df.attrs["unlocated_gbp"] = unk
        return df

    def _waterfall(self, r1: float) -> pd.DataFrame:
        """Steps for a waterfall: R1, minus what leaves in round 1, R2, plus R3, LM3 total."""
        return pd.DataFrame(
            {
                "step": [
                    "R1 spend traced",
                    "leaves the area in round 1",
                    "R2 received locally",
                    "R3 re-spent locally",
                    "R1 + R2 + R3",
                ],
                "gbp": [r1, -(r1 - self.r2_), self.r2_, self.r3_, r1 + self.r2_ + self.r3_],
                "kind": ["total", "decrease", "total", "increase", "total"],
            }
        )

    def _breakdowns(self, s, amt, is_loc, is_unk, share_c, p, theta_shown, surveyed) -> None:
        d = pd.DataFrame(
            {
                "directorate": s["directorate"].astype("string").fillna("(not given)").to_numpy(),
                "supplier_class": s["supplier_class"].astype("string").to_numpy(),
                "supplier_key": s["supplier_key"].astype("string").to_numpy(),
                "r1": amt,
                "r2_lower": amt * is_loc,
                "r2_upper": amt * (is_loc + p * is_unk),
                "unlocated": amt * is_unk,
            }
        )
        d["r3_lower"] = d["r2_lower"] * share_c
        d["r3_upper"] = d["r2_upper"] * share_c

        def summarise(by: str) -> pd.DataFrame:
            g = d.groupby(by, observed=True, sort=False)[
                ["r1", "r2_lower", "r2_upper", "r3_lower", "r3_upper", "unlocated"]
            ].sum()
            for b in ("lower", "upper"):
                g[f"lm3_{b}"] = (g["r1"] + g[f"r2_{b}"] + g[f"r3_{b}"]) / g["r1"].where(g["r1"] > 0)
                g[f"retained_{b}"] = g[f"r2_{b}"] + g[f"r3_{b}"]
            return g.sort_values("r1", ascending=False).reset_index()

        self.by_directorate_ = summarise("directorate")
        self.by_class_ = summarise("supplier_class")
        w = pd.DataFrame(
            {
                "ward_code": s["ward_code"].astype("string").to_numpy(),
                "ward_name": s["ward_name"].astype("string").to_numpy(),
                "imd_decile": pd.to_numeric(s["imd_decile"], errors="coerce").to_numpy(),
                "supplier_key": s["supplier_key"].astype("string").to_numpy(),
                "r2": amt,
                "r3": amt * share_c,
            }
        )[is_loc]
        w["ward_code"] = w["ward_code"].fillna("(no ward)")
        bw = w.groupby("ward_code", sort=False).agg(
            ward_name=("ward_name", "first"),
            r2=("r2", "sum"),
            r3=("r3", "sum"),
            suppliers=("supplier_key", "nunique"),
            imd_decile=("imd_decile", "median"),
        )
        self.by_ward_ = bw.sort_values("r2", ascending=False).reset_index()
        sup = d.assign(share=share_c, surveyed=surveyed, status=s["local_status"].to_numpy())
        self.by_supplier_ = (
            sup.groupby("supplier_key", sort=False)
            .agg(
                r1=("r1", "sum"),
                r2_lower=("r2_lower", "sum"),
                r3_lower=("r3_lower", "sum"),
                local_status=("status", "first"),
                supplier_class=("supplier_class", "first"),
                respend_share=("share", "first"),
                surveyed=("surveyed", "first"),
            )
            .sort_values("r1", ascending=False)
            .reset_index()
        )

    def _how(self, pri, s, amt, surveyed, is_loc) -> str:
        pub = pri["published"].to_numpy()
        n_j = int((~pub).sum())
        local_total = float(amt[is_loc].sum())
        sv = self.surveyed_gbp_ / local_total if local_total > 0 else 0.0
        lines = [
            f"LM3 = (R1 + R2 + R3) / R1 (nef, The Money Trail 2002). R1 = £{self.r1_:,.0f} of "
            "positive payments"
            + (" excluding public bodies" if self.exclude_public_bodies else " (all suppliers)")
            + (f", plus payroll £{self.payroll_gbp:,.0f}" if self.payroll_gbp else "")
            + ".",
            "R2 = spend with suppliers located in the local area"
            + (
                f" plus payroll × {self.staff_local_share:.0%} of staff living locally"
                if self.payroll_gbp
                else ""
            )
            + f": £{self.r2_:,.0f}.",
            f"R3 = each local recipient's R2 × its local re-spend share: £{self.r3_:,.0f}. "
            f"Shares come from the supplier survey for {sv:.0%} of local spend and from priors "
            f"by supplier class and SIC section for the rest ({n_j} of {len(pri)} prior rows are "
            "judgements, not published figures; the generic 76% local re-spend is nef's "
            "Northumberland 2005 figure).",
            f"Unlocated spend £{self.unlocated_gbp_:,.0f} ({self.unlocated_gbp_ / self.r1_:.0%} of "
            f"R1) is not assumed non-local: LM3 is {self.lm3_lower_:.2f} if it is all non-local "
            f"and {self.lm3_upper_:.2f} if it is local in the same proportion as located spend "
            f"({self.local_share_located_:.0%}). Shown: {self.shown_}."
            if self.r1_ > 0
            else "",
            f"P10/P50/P90 = {self.lm3_p10_:.2f}/{self.lm3_p50_:.2f}/{self.lm3_p90_:.2f} from "
            f"{self.n_draws} Monte Carlo draws (seed {self.random_state}): each prior triangular "
            "(low, central, high), the unlocated band uniform between the two assumptions. "
            f"The band is driven mainly by {self.band_drivers_['main_driver']}.",
            "£ retained locally = R2 + R3. Caveats: a supplier's place is its registered or "
            "register postcode, not necessarily where the work is done; priors are not a "
            "substitute for a round-3 survey; non-local suppliers' local re-spend "
            f"(£{self.r3_non_local_:,.0f} at nef's 36%) is not counted in LM3.",
        ]
        return "\n".join(x for x in lines if x)

    def summary(self) -> dict[str, Any]:
        """Headline figures as plain JSON-ready values."""
        keys = (
            "r1_",
            "r2_",
            "r3_",
            "lm3_",
            "lm3_lower_",
            "lm3_upper_",
            "lm3_p10_",
            "lm3_p50_",
            "lm3_p90_",
            "retained_",
            "retained_lower_",
            "retained_upper_",
            "retained_p10_",
            "retained_p50_",
            "retained_p90_",
            "unlocated_gbp_",
            "local_share_located_",
            "r3_non_local_",
            "staff_r2_",
            "surveyed_gbp_",
            "n_suppliers_",
        )
        out: dict[str, Any] = {k.rstrip("_"): _num(getattr(self, k)) for k in keys}
        out["shown"] = self.shown_
        out["band_drivers"] = {k: _num(v) for k, v in self.band_drivers_.items()}
        return out


def _num(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else round(float(v), 6)
    if isinstance(v, np.integer):
        return int(v)
    return v


# --- one entry point for the app and CLI ------------------------------------------------


@dataclass
class ModelSettings:
    """Everything the user chooses; plain values so the app can keep it in session state."""

    lad_codes: tuple[str, ...] = ()  # empty: the council's own districts
    radius_km: float | None = None
    centre: tuple[float, float] | None = None
    exclude_public_bodies: bool = True
    payroll_gbp: float = 0.0
    staff_local_share: float = 0.0
    unlocated: str = "non_local"
    n_draws: int = 1000
    random_state: int = 20050307
    priors_path: str | None = None  # a saved priors table (defaults when None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ModelResult:
    """A fitted model with its inputs: what the app's re-spend and scenario pages show.

    Attributes
    ----------
    model : the fitted :class:`LM3Model` (``lm3_``, ``rounds_``, ``waterfall_``, ``by_*_``).
    inputs : the :class:`SpendInputs` (spend table, suppliers with ``local_status``).
    settings : the settings used.
    how_calculated : plain-English method, inputs and caveats.
    """

    model: LM3Model
    inputs: SpendInputs
    settings: ModelSettings
    priors: pd.DataFrame
    survey_notes: list[str] = field(default_factory=list)

    @property
    def how_calculated(self) -> str:
        area = self.inputs.area.describe()
        return f"Local means {area}.\n" + self.model.how_calculated_

    def summary(self) -> dict[str, Any]:
        return {
            "local_area": self.inputs.area.describe(),
            **self.model.summary(),
            "accounting": self.inputs.accounting,
            "settings": {k: v for k, v in self.settings.to_dict().items()},
            "how_calculated": self.how_calculated,
        }


def area_from_settings(settings: ModelSettings, council_lads: Sequence[str]) -> LocalArea:
    """The local area: explicit districts, a radius, else the council's own districts."""
    if settings.radius_km is not None:
        if settings.centre is None:
            raise ValueError("a radius needs a centre (lat, long)")
        return LocalArea.radius(settings.radius_km, settings.centre)
    codes = tuple(settings.lad_codes) or tuple(council_lads)
    if not codes:
        raise ValueError(
            "no local area: the council's district was not found; give district code(s)"
        )
    return LocalArea.districts(codes)


def _as_frames(inputs: Any) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    if isinstance(inputs, (str, os.PathLike)):
        d = Path(inputs)
        for f in ("transactions.parquet", "suppliers.parquet"):
            if not (d / f).is_file():
                raise FileNotFoundError(f"{d / f} not found: run ingest and locate first")
        return (
            pd.read_parquet(d / "transactions.parquet"),
            pd.read_parquet(d / "suppliers.parquet"),
            [],
        )
    if isinstance(inputs, tuple):
        return inputs[0], inputs[1], list(inputs[2]) if len(inputs) > 2 else []
    return inputs.transactions, inputs.suppliers, list(getattr(inputs, "council_lads", []))


def run_model(
    inputs: Any,
    settings: ModelSettings | None = None,
    *,
    priors: pd.DataFrame | None = None,
    survey_shares: pd.DataFrame | None = None,
) -> ModelResult:
    """Fit LM3 for a Workspace (``.transactions``, ``.suppliers``, ``.council_lads``), an
    ingested+located folder, or a ``(transactions, suppliers[, council_lads])`` tuple."""
    from impact.analysis.priors import load_priors

    settings = settings or ModelSettings()
    tx, sup, lads = _as_frames(inputs)
    area = area_from_settings(settings, lads)
    prepared = prepare_spend(tx, sup, area, settings.exclude_public_bodies)
    pri = priors if priors is not None else load_priors(settings.priors_path)
    model = fit_settings(prepared.spend, settings, pri, survey_shares)
    return ModelResult(model=model, inputs=prepared, settings=settings, priors=pri)


def fit_settings(
    spend: pd.DataFrame,
    settings: ModelSettings,
    priors: pd.DataFrame | None,
    survey_shares: pd.DataFrame | None = None,
) -> LM3Model:
    """An :class:`LM3Model` built from ``settings`` and fitted on ``spend``."""
    return LM3Model(
        priors=priors,
        survey_shares=survey_shares,
        exclude_public_bodies=settings.exclude_public_bodies,
        payroll_gbp=settings.payroll_gbp,
        staff_local_share=settings.staff_local_share,
        unlocated=settings.unlocated,
        n_draws=settings.n_draws,
        random_state=settings.random_state,
    ).fit(spend)


def to_json(result: ModelResult) -> str:
    return json.dumps(result.summary(), indent=2, default=str)


# --- command line -------------------------------------------------------------------------


def add_lm3_arguments(p: Any) -> None:
    """The ``impact lm3`` arguments (the lead wires this into :mod:`impact.cli`)."""
    p.add_argument("dir", help="folder with transactions.parquet and suppliers.parquet")
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--local",
        nargs="+",
        metavar="LAD_CODE",
        help="district code(s) that count as local (default: the council's own)",
    )
    g.add_argument("--radius-km", type=float, metavar="KM", help="local = within KM of --centre")
    p.add_argument(
        "--centre",
        metavar="LAT,LONG",
        help="centre for --radius-km (default: a point inside the council)",
    )
    p.add_argument(
        "--include-public-bodies",
        action="store_true",
        help="keep payments to public bodies in R1 (default: excluded)",
    )
    p.add_argument("--survey", metavar="FILE", help="supplier survey CSV (impact.survey)")
    p.add_argument("--priors", metavar="FILE", help="edited priors CSV (impact.priors)")
    p.add_argument("--payroll", type=float, default=0.0, metavar="GBP", help="council pay bill")
    p.add_argument(
        "--staff-local-share",
        type=float,
        default=0.0,
        metavar="X",
        help="share (0–1) of the pay bill paid to staff living locally",
    )
    p.add_argument(
        "--upper",
        action="store_true",
        help="headline shows the upper bound (unlocated local pro rata)",
    )
    p.add_argument("--draws", type=int, default=1000, metavar="N", help="Monte Carlo draws")
    p.add_argument("--seed", type=int, default=20050307)
    p.add_argument(
        "--reference",
        metavar="DIR",
        help="reference folder (finds the council's district, IMD deciles, ONS multipliers)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _council_lads(tx: pd.DataFrame, reference: Any) -> list[str]:
    council = tx["council"].dropna().astype(str).mode() if "council" in tx else pd.Series([])
    if reference is None or council.empty:
        return []
    return councils.council_lads(reference, str(council.iloc[0]))


def lm3_command(args: Any) -> int:
    """``impact lm3 DIR ...``: fit the model, print the headline (or JSON); 0 ok, 2 bad input."""
    import sys

    from impact.places.reference import ReferenceError, resolve_reference

    try:
        d = Path(args.dir)
        tx, sup, _ = _as_frames(d)
        ref = None
        with contextlib.suppress(ReferenceError):
            ref = resolve_reference(args.reference)
        lads = list(args.local or []) or _council_lads(tx, ref)
        centre = None
        if args.radius_km is not None:
            if args.centre:
                lat, _, lon = args.centre.partition(",")
                centre = (float(lat), float(lon))
            else:
                from impact.places.localarea import lad_centre

                bpath = ref.find("lad_boundaries") if ref else None
                if not lads or bpath is None:
                    raise ValueError("--radius-km needs --centre LAT,LONG (council not found)")
                centre = lad_centre(lads, str(bpath))
        if ref is not None and "imd_decile" not in sup and ref.find("imd2025_lsoa21"):
            from impact.places.deprivation import load_imd2025

            imd = load_imd2025(ref.require("imd2025_lsoa21"))[["lsoa21_code", "imd_decile"]]
            sup = sup.merge(
                imd.astype({"lsoa21_code": "string"}).drop_duplicates("lsoa21_code"),
                on="lsoa21_code",
                how="left",
            )
        settings = ModelSettings(
            lad_codes=tuple(args.local or ()),
            radius_km=args.radius_km,
            centre=centre,
            exclude_public_bodies=not args.include_public_bodies,
            payroll_gbp=args.payroll,
            staff_local_share=args.staff_local_share,
            unlocated="proportional" if args.upper else "non_local",
            n_draws=args.draws,
            random_state=args.seed,
            priors_path=args.priors,
        )
        survey_shares, notes = None, []
        if args.survey:
            from impact.analysis.survey import parse_survey

            sv = parse_survey(args.survey, sup)
            survey_shares, notes = sv.shares, sv.notes
            notes.append(f"survey: {len(sv.shares)} rows used, {len(sv.rejected)} rejected")
            notes += [f"  row {r.row}: {r.reason}" for r in sv.rejected.head(20).itertuples()]
        res = run_model((tx, sup, lads), settings, survey_shares=survey_shares)
        res.survey_notes = notes
        io = None
        if ref is not None and ref.find("io_multipliers") and "sic" in sup:
            from impact.analysis.io_crosscheck import crosscheck, load_type1

            io = crosscheck(sup, load_type1(ref.require("io_multipliers")))
    except (ValueError, OSError, KeyError) as exc:
        print(f"impact lm3: {exc}", file=sys.stderr)
        return 2
    m = res.model
    if args.json:
        out = res.summary()
        out["survey_notes"] = notes
        if io is not None:
            out["io_crosscheck"] = {
                "type1_output_multiplier": _num(io.multiplier),
                "regionalised": io.regionalised,
                "spend_covered_gbp": round(io.spend_covered_gbp, 2),
                "how_calculated": io.how_calculated,
            }
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(f"local area: {res.inputs.area.describe()}")
    print(f"R1 £{m.r1_:,.0f}  R2 £{m.r2_:,.0f}  R3 £{m.r3_:,.0f}  ({m.shown_})")
    print(
        f"LM3 {m.lm3_:.3f}  [lower {m.lm3_lower_:.3f}, upper {m.lm3_upper_:.3f}]  "
        f"P10/P50/P90 {m.lm3_p10_:.3f}/{m.lm3_p50_:.3f}/{m.lm3_p90_:.3f}"
    )
    print(
        f"£ retained locally (R2+R3) P10/P50/P90 £{m.retained_p10_:,.0f}/"
        f"£{m.retained_p50_:,.0f}/£{m.retained_p90_:,.0f}"
    )
    bd = m.band_drivers_
    print(
        f"band driven by: {bd['main_driver']} (P10–P90 width: priors only "
        f"{bd['priors_only_p10_p90_width']:.3f}, unlocated only "
        f"{bd['unlocated_band_only_p10_p90_width']:.3f})"
    )
    if io is not None and io.spend_covered_gbp == 0:
        print("ONS Type I cross-check: no supplier has a SIC code, so none is shown")
    elif io is not None:
        print(
            f"ONS Type I output multiplier (national, "
            f"{'regionalised' if io.regionalised else 'un-regionalised'}): "
            f"{io.multiplier:.3f} on £{io.spend_covered_gbp:,.0f} with SIC codes"
        )
    for n in notes:
        print(n)
    print(res.how_calculated)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry (``python -m impact.multiplier DIR ...``) until the CLI wires it."""
    import argparse

    p = argparse.ArgumentParser(prog="impact lm3", description="nef LM3 re-spend model")
    add_lm3_arguments(p)
    return lm3_command(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
