"""The re-spend model: nef's Local Multiplier 3 (LM3) with honest bands.

LM3 = (R1 + R2 + R3) / R1 (nef, *The Money Trail*, 2002):

- **R1** — the spend traced: positive payments in the spend files (by default only
  *influenceable* spend: public bodies excluded), plus the council's payroll when given.
- **R2** — the part of R1 received locally: spend with suppliers located in the local area
  (:mod:`impact.places.localarea`) plus payroll × share of staff living locally.
- **R3** — what those round-2 recipients re-spend locally: Σ R2_i × re-spend share_i, the
  share from a supplier survey (:mod:`impact.analysis.survey`) where answered, else a prior by
  supplier class and SIC section (:mod:`impact.analysis.priors`).  Local staff re-spend their pay
  by the ``staff`` prior.  Non-local suppliers' local re-spend is *not* in R3 (nef counts
  round 3 only from round-2 recipients); it is reported separately (``r3_non_local_``).

Since R3 ≤ R2 ≤ R1, 1 ≤ LM3 ≤ 3.  **£ retained locally** is defined as R2 + R3 (the money
that reaches local hands in rounds 2 and 3), so LM3 = 1 + retained / R1.

Unplaced spend is never silently non-local.  As every point estimate of the explorer
(:mod:`impact.analysis.measures`), the headline assumes it is local in the same proportion
as placed spend; its **range** is the LM3 with every unplaced £ leaving the area and with
every unplaced £ staying.  The Monte Carlo draws each prior from a triangular(low, central,
high) — one draw per prior row and run, because a wrong judgement is wrong for every
supplier it covers — giving P10/P50/P90.  The **headline** (:class:`Headline`,
``headline_``) is the P50 with its own P10–P90 band; the two ends of the range are the P50s
of the *same* draws with the unplaced £ all leaving or all staying, so the headline always
lies between them.  The round-by-round figures (``lm3_``, ``r2_``, ``r3_``) use the central
priors, so they can be reproduced by hand; they are never the headline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from impact.analysis.priors import default_priors, matching_priors, validate_priors
from impact.ingest.schema import supplier_keys
from impact.places.localarea import LOCAL, NON_LOCAL, UNKNOWN, LocalArea, influenceable

#: Where the unplaced £ goes, for each column of the rounds: the share of it counted local.
LEAVES, LIKE_PLACED, STAYS = "leaves", "like placed", "stays"


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
    normalised name), as :func:`impact.places.locate.supplier_table` derives it.
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


@dataclass(frozen=True)
class Headline:
    """The figures to report: the Monte Carlo P50 of LM3 and £ retained, inside their own
    P10–P90 bands, with the range the unplaced £ allows and the share of R1 placed.

    Why not ``lm3_``: that is the round-by-round figure at the central priors, and the P50
    of the priors' draws differs from it when a prior is skewed.  A percentile lies inside
    the band of its own draws by construction, and the range's ends (``lm3_lower``,
    ``lm3_upper``: the P50 of the same draws with every unplaced £ leaving or staying) lie
    either side of it, since each draw's LM3 rises with the unplaced £ counted local.
    """

    lm3: float
    lm3_p10: float
    lm3_p90: float
    retained: float
    retained_p10: float
    retained_p90: float
    lm3_lower: float
    lm3_upper: float
    placed_share: float | None

    @classmethod
    def of(cls, model: LM3Model) -> Headline:
        r1 = model.r1_
        return cls(
            lm3=model.lm3_p50_, lm3_p10=model.lm3_p10_, lm3_p90=model.lm3_p90_,
            retained=model.retained_p50_, retained_p10=model.retained_p10_,
            retained_p90=model.retained_p90_, lm3_lower=model.lm3_lower_,
            lm3_upper=model.lm3_upper_,
            placed_share=1 - model.unlocated_gbp_ / r1 if r1 > 0 else None,
        )

    @property
    def lm3_text(self) -> str:
        """ "1.06 (P10–P90 1.04–1.09)"."""
        return f"{self.lm3:.2f} (P10–P90 {self.lm3_p10:.2f}–{self.lm3_p90:.2f})"


class LM3Model:
    """nef Local Multiplier 3 for one council's spend (see the module docstring).

    Parameters
    ----------
    priors : re-spend priors table (:func:`impact.analysis.priors.default_priors` when None).
    survey_shares : frame with ``supplier_key`` and ``respend_share`` (0–1) from
        :func:`impact.analysis.survey.parse_survey`; these replace the priors for those suppliers.
    exclude_public_bodies : leave payments to public bodies out of R1 (influenceable spend).
    payroll_gbp, staff_local_share : the council's pay bill and the share of it paid to
        staff living locally; both go into R1 and R2 as nef's LM3 counts local employees.
    n_draws, random_state : Monte Carlo draws and seed (numpy ``default_rng``).

    Attributes
    ----------
    r1_, r2_, r3_ : £ in each round, unplaced £ local like placed £, priors at central values.
    headline_ : the figures to report (:class:`Headline`: P50 inside its P10–P90 band).
    lm3_ : the round-by-round LM3 = (R1 + R2 + R3) / R1 at the central priors: the figure
        that reproduces by hand, not the headline.
    lm3_lower_, lm3_upper_ : the range: P50 with every unplaced £ leaving / staying.
    lm3_p10_, lm3_p50_, lm3_p90_ : Monte Carlo percentiles over the priors.
    retained_ : £ retained locally = R2 + R3 (round by round); ``retained_p10_`` … ``_p90_``
        and ``retained_lower_`` / ``retained_upper_`` as for LM3.
    rounds_ : R1/R2/R3 table (unplaced £ leaving, like placed, staying) for the waterfall.
    by_directorate_, by_class_, by_ward_, by_supplier_ : breakdowns (central priors).
    draws_ : one row per draw: ``lm3`` and ``retained``.
    band_drivers_ : P10–P90 width of LM3 from the priors, beside the unplaced range's width.
    r3_non_local_ : local re-spend by non-local suppliers (not in LM3; the "£0.36").
    local_share_located_ : local £ / located £ (the proportion the headline assumes).
    how_calculated_ : plain-English inputs, method and caveats.
    """

    def __init__(
        self,
        priors: pd.DataFrame | None = None,
        survey_shares: pd.DataFrame | None = None,
        exclude_public_bodies: bool = True,
        payroll_gbp: float = 0.0,
        staff_local_share: float = 0.0,
        n_draws: int = 1000,
        random_state: int = 20050307,
    ) -> None:
        self.priors = priors
        self.survey_shares = survey_shares
        self.exclude_public_bodies = exclude_public_bodies
        self.payroll_gbp = payroll_gbp
        self.staff_local_share = staff_local_share
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
                "n_draws",
                "random_state",
            )
        }

    # ------------------------------------------------------------------
    def fit(self, spend: pd.DataFrame) -> LM3Model:
        """Fit on a spend table (:func:`prepare_spend`); sets the trailing-underscore results.

        Steps: check the settings and the table → one array per column (re-spend shares
        from the priors, or the survey) → the central figures at both ends of the
        unlocated band → the Monte Carlo → tables for the charts → the method in words.
        """
        priors = validate_priors(self.priors) if self.priors is not None else default_priors()
        table = self._validate(spend)
        rows = spend_rows(table, priors, self.survey_shares)
        staff = Staff.from_payroll(self.payroll_gbp, self.staff_local_share, _staff_prior(priors))
        band = central_band(rows, staff)
        self._set_central(band, rows)
        self.r3_non_local_ = _non_local_respend(table, rows, priors)
        inputs = monte_carlo_inputs(rows, band, priors)
        draws = draw(inputs, self.n_draws, self.random_state)
        self._set_monte_carlo(monte_carlo(inputs, draws))
        self.headline_ = Headline.of(self)
        self.rounds_ = rounds_table(band)
        self.waterfall_ = waterfall_table(band.r1, self.r2_, self.r3_)
        self._set_breakdowns(table, rows, band.local_share_located)
        self.n_suppliers_ = int(table["supplier_key"].nunique())
        self.how_calculated_ = self._how(priors, band)
        return self

    def _validate(self, spend: pd.DataFrame) -> pd.DataFrame:
        """Fail early, in one line, on a table or a setting the model cannot use; return
        the rows the model counts."""
        need = ("supplier_key", "amount", "local_status", "supplier_class")
        missing = [c for c in need if c not in spend]
        if missing:
            raise ValueError(f"spend table lacks column(s) {', '.join(missing)}")
        if not (self.payroll_gbp >= 0 and 0 <= self.staff_local_share <= 1):
            raise ValueError("payroll must be ≥ 0 and staff local share within 0–1")
        if int(self.n_draws) < 1:
            raise ValueError("n_draws must be at least 1")
        return _counted_spend(spend, self.exclude_public_bodies)

    def _set_central(self, band: Band, rows: SpendRows) -> None:
        """The round-by-round figures (priors at central values, unplaced like placed)."""
        self.local_share_located_ = band.local_share_located
        self.unlocated_gbp_ = band.unlocated_gbp
        self.surveyed_gbp_ = float(rows.amount[rows.surveyed & rows.is_local].sum())
        self.r1_ = band.r1
        self.r2_, self.r3_ = band.central.r2, band.central.r3
        self.lm3_ = band.lm3(band.central)
        self.retained_ = self.r2_ + self.r3_
        self.staff_r2_ = band.staff.r2_gbp

    def _set_monte_carlo(self, result: MonteCarloResult) -> None:
        """The figures to report: P10/P50/P90, the unplaced range and what drives them."""
        self.draws_ = result.draws
        self.lm3_p10_, self.lm3_p50_, self.lm3_p90_ = result.lm3_percentiles
        self.retained_p10_, self.retained_p50_, self.retained_p90_ = result.retained_percentiles
        self.lm3_lower_, self.lm3_upper_ = result.lm3_range
        self.retained_lower_, self.retained_upper_ = result.retained_range
        self.band_drivers_ = result.band_drivers

    def _set_breakdowns(self, table: pd.DataFrame, rows: SpendRows, local_share: float) -> None:
        """Where the money goes: by directorate, supplier class, ward and supplier."""
        lines = _breakdown_lines(table, rows, local_share)
        self.by_directorate_ = _summarise_lines(lines, "directorate")
        self.by_class_ = _summarise_lines(lines, "supplier_class")
        self.by_ward_ = _by_ward(table, rows)
        self.by_supplier_ = _by_supplier(lines, table, rows)

    def _how(self, priors: pd.DataFrame, band: Band) -> str:
        """The method in plain English with this fit's figures, so every number can be
        traced: what R1, R2 and R3 are, then the band around them and the caveats."""
        lines = [*self._how_rounds(priors, band), *self._how_band()]
        return "\n".join(x for x in lines if x)

    def _how_rounds(self, priors: pd.DataFrame, band: Band) -> list[str]:
        """What was counted in R1, R2 and R3, and where the re-spend shares came from."""
        n_judged = int((~priors["published"].to_numpy()).sum())
        surveyed = self.surveyed_gbp_ / band.local_gbp if band.local_gbp > 0 else 0.0
        return [
            f"LM3 = (R1 + R2 + R3) / R1 (NEF, The Money Trail 2002). R1 = £{self.r1_:,.0f} of "
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
            f"Shares come from the supplier survey for {surveyed:.0%} of local spend and from "
            f"priors by supplier class and SIC section for the rest ({n_judged} of {len(priors)} "
            "prior rows are judgements, not published figures; the generic 76% local re-spend "
            "is NEF's Northumberland 2005 figure).",
        ]

    def _how_band(self) -> list[str]:
        """How sure the figure is: the unplaced range, the Monte Carlo and the caveats."""
        return [
            f"Unplaced spend £{self.unlocated_gbp_:,.0f} ({self.unlocated_gbp_ / self.r1_:.0%} of "
            f"R1) is counted local in the same proportion as placed spend "
            f"({self.local_share_located_:.0%}), as every figure of the explorer assumes; the "
            f"range is LM3 {self.lm3_lower_:.2f} if every unplaced £ leaves the area and "
            f"{self.lm3_upper_:.2f} if every unplaced £ stays."
            if self.r1_ > 0
            else "",
            f"P10/P50/P90 = {self.lm3_p10_:.2f}/{self.lm3_p50_:.2f}/{self.lm3_p90_:.2f} from "
            f"{self.n_draws} Monte Carlo draws (seed {self.random_state}): each prior triangular "
            "(low, central, high); the range's ends are the P50 of the same draws. What would "
            f"narrow the figure most: {self.band_drivers_['main_driver']}.",
            "£ retained locally = R2 + R3. Caveats: a supplier's place is its registered or "
            "register postcode, not necessarily where the work is done; priors are not a "
            "substitute for a round-3 survey; non-local suppliers' local re-spend "
            f"(£{self.r3_non_local_:,.0f} at NEF's 36%) is not counted in LM3.",
        ]

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
        out["band_drivers"] = {k: _num(v) for k, v in self.band_drivers_.items()}
        return out


# --- the model's steps ------------------------------------------------------------------


def _counted_spend(spend: pd.DataFrame, exclude_public_bodies: bool) -> pd.DataFrame:
    """The spend rows R1 counts, with every column the later steps read.

    Why here: amounts that cannot be read count as £0 rather than failing the fit, public
    bodies are left out when asked (the council cannot choose them), and a ``local_status``
    the model does not know is an error, not silently non-local.
    """
    counted = spend.copy()
    amount = pd.to_numeric(counted["amount"], errors="coerce")
    counted["amount"] = amount.fillna(0.0).clip(lower=0.0)
    if "influenceable" not in counted:
        counted["influenceable"] = True
    if exclude_public_bodies:
        counted = counted[
            counted["influenceable"].fillna(True).astype(bool)
            & (counted["supplier_class"].astype("string") != "public_body").fillna(True)
        ]
    bad = ~counted["local_status"].isin([LOCAL, NON_LOCAL, UNKNOWN])
    if bad.any():
        raise ValueError(
            "local_status must be local/non_local/unknown, not "
            f"{counted['local_status'][bad].iloc[0]!r}"
        )
    for c in ("sic_section", "directorate", "ward_code", "ward_name", "imd_decile"):
        if c not in counted:
            counted[c] = pd.NA
    return counted


@dataclass(frozen=True)
class SpendRows:
    """The counted spend as arrays, one element per row: what the arithmetic reads.

    ``respend_share`` is each row's central local re-spend share (the survey answer where
    there is one, else the prior); ``prior_row`` is the priors-table row it came from, so
    the Monte Carlo can draw one value per prior row.
    """

    amount: np.ndarray
    is_local: np.ndarray
    is_unlocated: np.ndarray
    is_non_local: np.ndarray
    respend_share: np.ndarray
    prior_row: np.ndarray
    surveyed: np.ndarray


def spend_rows(
    spend: pd.DataFrame, priors: pd.DataFrame, survey_shares: pd.DataFrame | None
) -> SpendRows:
    """Arrays of :class:`SpendRows` from :func:`_counted_spend`'s table.

    Why: the central figures, the Monte Carlo and the breakdowns all weigh the same £ by
    the same shares; reading the frame once keeps them in step and fast.
    """
    status = spend["local_status"].astype(str).to_numpy()
    sections = spend["sic_section"].astype("string")
    prior = matching_priors(priors, spend["supplier_class"], sections, "local")
    prior_share = prior["central"].to_numpy(dtype="float64").copy()
    surveyed, respend_share = _survey_answers(spend, prior_share, survey_shares)
    return SpendRows(
        amount=spend["amount"].to_numpy(dtype="float64"),
        is_local=status == LOCAL,
        is_unlocated=status == UNKNOWN,
        is_non_local=status == NON_LOCAL,
        respend_share=respend_share,
        prior_row=prior["prior_row"].to_numpy(),
        surveyed=surveyed,
    )


def _survey_answers(
    spend: pd.DataFrame, prior_share: np.ndarray, survey_shares: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """Which rows a supplier answered the survey for, and the shares with answers in place.

    Why: nef measures round 3 by asking suppliers; an answer replaces the prior (and is
    not drawn in the Monte Carlo).  A supplier answering twice keeps its last answer.
    """
    surveyed = np.zeros(len(spend), dtype=bool)
    if survey_shares is None or not len(survey_shares):
        return surveyed, prior_share
    answers = survey_shares.drop_duplicates("supplier_key", keep="last")
    by_key = pd.Series(
        answers["respend_share"].to_numpy(dtype="float64"),
        index=answers["supplier_key"].astype("string"),
    )
    answer = spend["supplier_key"].astype("string").map(by_key)
    surveyed = answer.notna().to_numpy()
    return surveyed, np.where(surveyed, answer.fillna(0).to_numpy(dtype="float64"), prior_share)


def _staff_prior(priors: pd.DataFrame) -> pd.Series:
    """The prior row for local staff's re-spend: the ``staff`` row, else the generic local
    row (a priors table edited without a staff row still fits)."""
    local = priors["recipient"] == "local"
    staff = priors[local & (priors["supplier_class"] == "staff")]
    generic = local & (priors["supplier_class"] == "*") & (priors["sic_section"] == "*")
    return staff.iloc[0] if len(staff) else priors[generic].iloc[0]


@dataclass(frozen=True)
class Staff:
    """The council's own pay, which nef's LM3 counts like spend with a supplier.

    ``payroll_gbp`` is in R1, ``r2_gbp`` (the part paid to staff living locally) in R2,
    and they re-spend it locally by ``prior`` (low, central, high) in R3.
    """

    payroll_gbp: float
    r2_gbp: float
    prior: pd.Series

    @classmethod
    def from_payroll(cls, payroll_gbp: float, local_share: float, prior: pd.Series) -> Staff:
        """From the settings: the pay bill and the share of it paid to staff living locally."""
        payroll = float(payroll_gbp)
        return cls(payroll, payroll * float(local_share), prior)


@dataclass(frozen=True)
class Rounds:
    """R2 and R3 (£, staff included) at one point of the unlocated band, with the
    suppliers' part of each (the rest is staff)."""

    r2: float
    r3: float
    r2_suppliers: float
    r3_suppliers: float

    @property
    def retained(self) -> float:
        """£ retained locally: R2 + R3."""
        return self.r2 + self.r3


@dataclass(frozen=True)
class Band:
    """The round-by-round figures (priors at central values) with the unplaced £ leaving
    (``lower``), local like placed £ (``central``: the proportion ``local_share_located``)
    and staying (``upper``)."""

    r1: float
    local_gbp: float
    unlocated_gbp: float
    local_share_located: float
    staff: Staff
    lower: Rounds
    central: Rounds
    upper: Rounds

    def fraction(self, where: str) -> float:
        """The share of the unplaced £ counted local when it ``where`` (:data:`LEAVES` …)."""
        return {LEAVES: 0.0, LIKE_PLACED: self.local_share_located, STAYS: 1.0}[where]

    def lm3(self, rounds: Rounds) -> float:
        """(R1 + R2 + R3) / R1; NaN when nothing was spent."""
        return (self.r1 + rounds.r2 + rounds.r3) / self.r1 if self.r1 > 0 else float("nan")


def central_band(rows: SpendRows, staff: Staff) -> Band:
    """R1, and R2/R3 with the unplaced £ leaving, local like placed £, and staying.

    Why all three: unplaced spend is never silently non-local; the middle is what every
    point estimate assumes, the ends the range, each reproducible by hand.
    """
    r1 = float(rows.amount.sum()) + staff.payroll_gbp
    located = float(rows.amount[~rows.is_unlocated].sum())
    local = float(rows.amount[rows.is_local].sum())
    share = local / located if located > 0 else 0.0
    unlocated = float(rows.amount[rows.is_unlocated].sum())
    return Band(r1, local, unlocated, share, staff, _rounds_at(rows, 0.0, staff),
                _rounds_at(rows, share, staff), _rounds_at(rows, 1.0, staff))


def _rounds_at(rows: SpendRows, local_fraction: float, staff: Staff) -> Rounds:
    """R2 and R3 when ``local_fraction`` of the unplaced £ is counted local."""
    weight = rows.is_local + local_fraction * rows.is_unlocated
    r2 = float((rows.amount * weight).sum())
    r3 = float((rows.amount * weight * rows.respend_share).sum())
    staff_r3 = staff.r2_gbp * float(staff.prior["central"])
    return Rounds(r2 + staff.r2_gbp, r3 + staff_r3, r2, r3)


def _non_local_respend(spend: pd.DataFrame, rows: SpendRows, priors: pd.DataFrame) -> float:
    """Local re-spend by non-local suppliers at the non-local priors.

    Why apart: nef counts round 3 only from round-2 recipients, so this is reported beside
    LM3 (the "£0.36" of nef's Northumberland study), never in it.
    """
    non_local = rows.is_non_local
    sections = spend["sic_section"][non_local].astype("string")
    prior = matching_priors(priors, spend["supplier_class"][non_local], sections, "non_local")
    return float((rows.amount[non_local] * prior["central"].to_numpy(dtype="float64")).sum())


@dataclass(frozen=True)
class MonteCarloInputs:
    """What the Monte Carlo varies, with spend collapsed to one £ total per prior row.

    Why: every supplier under one prior row gets the same draw (a wrong judgement is wrong
    for all it covers), so R3 for a draw is a matrix product over a few prior rows rather
    than a sum over every supplier.  Surveyed rows are measured, so they are not drawn.
    """

    band: Band
    prior_low: np.ndarray
    prior_central: np.ndarray
    prior_high: np.ndarray
    local_by_prior: np.ndarray
    unlocated_by_prior: np.ndarray
    surveyed_r3_local: float
    surveyed_r3_unlocated: float


def monte_carlo_inputs(rows: SpendRows, band: Band, priors: pd.DataFrame) -> MonteCarloInputs:
    """:class:`MonteCarloInputs` for ``rows``: £ not surveyed per prior row and status, the
    surveyed R3, and the (low, central, high) of each prior row used."""
    groups, group_of_row = np.unique(rows.prior_row, return_inverse=True)
    drawn = ~rows.surveyed

    def per_prior(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group_of_row, weights=rows.amount * mask, minlength=len(groups))

    def surveyed_r3(mask: np.ndarray) -> float:
        return float((rows.amount * rows.respend_share * (mask & rows.surveyed)).sum())

    used = priors.loc[groups]
    return MonteCarloInputs(
        band=band,
        prior_low=used["low"].to_numpy(dtype="float64"),
        prior_central=used["central"].to_numpy(dtype="float64"),
        prior_high=used["high"].to_numpy(dtype="float64"),
        local_by_prior=per_prior(rows.is_local & drawn),
        unlocated_by_prior=per_prior(rows.is_unlocated & drawn),
        surveyed_r3_local=surveyed_r3(rows.is_local),
        surveyed_r3_unlocated=surveyed_r3(rows.is_unlocated),
    )


@dataclass(frozen=True)
class Draws:
    """One Monte Carlo sample: per draw, a re-spend share for each prior row (``shares``,
    draws × prior rows) and the staff share."""

    shares: np.ndarray
    staff_share: np.ndarray


def draw(inputs: MonteCarloInputs, n_draws: int, random_state: int) -> Draws:
    """Priors triangular(low, central, high).

    Drawn in this order (prior shares, staff) from one ``default_rng(random_state)``, so a
    seed gives the same figures in every version and paired scenario fits compare like
    with like.
    """
    rng = np.random.default_rng(random_state)
    n = int(n_draws)
    uniform = rng.random((n, len(inputs.prior_central)))
    shares = _tri_ppf(uniform, inputs.prior_low, inputs.prior_central, inputs.prior_high)
    staff_uniform = rng.random(n)
    staff_range = (np.float64(inputs.band.staff.prior[c]) for c in ("low", "central", "high"))
    return Draws(shares, _tri_ppf(staff_uniform, *staff_range))


def simulate(inputs: MonteCarloInputs, draws: Draws,
             local_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """LM3 and £ retained (R2 + R3) for each draw, ``local_fraction`` of the unplaced £
    counted local."""
    band = inputs.band
    placed = local_fraction
    r2 = band.local_gbp + placed * band.unlocated_gbp + band.staff.r2_gbp
    r3 = (
        draws.shares @ inputs.local_by_prior
        + placed * (draws.shares @ inputs.unlocated_by_prior)
        + inputs.surveyed_r3_local
        + placed * inputs.surveyed_r3_unlocated
        + band.staff.r2_gbp * draws.staff_share
    )
    retained = r2 + r3
    lm3 = (band.r1 + retained) / band.r1 if band.r1 > 0 else np.full_like(retained, np.nan)
    return lm3, retained


@dataclass(frozen=True)
class MonteCarloResult:
    """The draws (``lm3``, ``retained``, unplaced £ like placed), their P10/P50/P90, the
    range (P50 with the unplaced £ leaving, staying) and what drives them."""

    draws: pd.DataFrame
    lm3_percentiles: tuple[float, float, float]
    retained_percentiles: tuple[float, float, float]
    lm3_range: tuple[float, float]
    retained_range: tuple[float, float]
    band_drivers: dict[str, Any]


def monte_carlo(inputs: MonteCarloInputs, draws: Draws) -> MonteCarloResult:
    """P10/P50/P90 of LM3 and £ retained over ``draws`` (unplaced £ like placed), and the
    P50 of the same draws with the unplaced £ leaving and staying."""
    band = inputs.band
    lm3, retained = simulate(inputs, draws, band.local_share_located)
    ends = [simulate(inputs, draws, band.fraction(w)) for w in (LEAVES, STAYS)]
    has_r1 = band.r1 > 0

    def q(x: np.ndarray, at: list[int]) -> tuple[float, ...]:
        return tuple(float(v) for v in np.percentile(x, at)) if has_r1 else (np.nan,) * len(at)

    lm3_range = tuple(q(e[0], [50])[0] for e in ends)
    return MonteCarloResult(
        draws=pd.DataFrame({"lm3": lm3, "retained": retained}),
        lm3_percentiles=q(lm3, [10, 50, 90]),
        retained_percentiles=q(retained, [10, 50, 90]),
        lm3_range=lm3_range,
        retained_range=tuple(q(e[1], [50])[0] for e in ends),
        band_drivers=_band_drivers(band, lm3, lm3_range),
    )


def _band_drivers(band: Band, lm3: np.ndarray, lm3_range: tuple[float, float]
                  ) -> dict[str, Any]:
    """The P10–P90 width of LM3 from the priors, beside the width of the unplaced range.

    Why: it tells the council what would narrow the figure most — a supplier survey (the
    priors) or placing more suppliers (the unplaced £).
    """
    has_r1 = band.r1 > 0
    priors = float(np.subtract(*np.percentile(lm3, [90, 10]))) if has_r1 else float("nan")
    unplaced = float(lm3_range[1] - lm3_range[0]) if has_r1 else float("nan")
    return {
        "priors_p10_p90_width": priors,
        "unplaced_range_width": unplaced,
        "unlocated_share_of_r1": band.unlocated_gbp / band.r1 if has_r1 else float("nan"),
        "main_driver": (
            "placing more suppliers (where the unplaced spend is)"
            if unplaced > priors
            else "a supplier survey (how much local suppliers re-spend locally)"
        ),
    }


def rounds_table(band: Band) -> pd.DataFrame:
    """R1/R2/R3 with the unplaced £ leaving, like placed £ (the central column, split into
    suppliers and staff) and staying."""
    mid, staff = band.central, band.staff
    table = pd.DataFrame(
        {
            "round": ["R1", "R2", "R3"],
            "label": [
                "spend traced (round 1)",
                "received by local suppliers and staff (round 2)",
                "re-spent locally by them (round 3)",
            ],
            "gbp_lower": [band.r1, band.lower.r2, band.lower.r3],
            "gbp_central": [band.r1, mid.r2, mid.r3],
            "gbp_upper": [band.r1, band.upper.r2, band.upper.r3],
            "gbp_suppliers": [band.r1 - staff.payroll_gbp, mid.r2_suppliers, mid.r3_suppliers],
            "gbp_staff": [staff.payroll_gbp, staff.r2_gbp, mid.r3 - mid.r3_suppliers],
        }
    )
    table["share_of_r1"] = table["gbp_central"] / band.r1 if band.r1 > 0 else np.nan
    table.attrs["unlocated_gbp"] = band.unlocated_gbp
    return table


def waterfall_table(r1: float, r2: float, r3: float) -> pd.DataFrame:
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
            "gbp": [r1, -(r1 - r2), r2, r3, r1 + r2 + r3],
            "kind": ["total", "decrease", "total", "increase", "total"],
        }
    )


def _breakdown_lines(spend: pd.DataFrame, rows: SpendRows, local_share: float) -> pd.DataFrame:
    """Each spend row's R1, R2 and R3 (central priors) with the unplaced £ leaving
    (``lower``), local like placed £ (``central``, the headline's assumption) and staying
    (``upper``), with what it is grouped by."""
    lines = pd.DataFrame(
        {
            "directorate": spend["directorate"].astype("string").fillna("(not given)").to_numpy(),
            "supplier_class": spend["supplier_class"].astype("string").to_numpy(),
            "supplier_key": spend["supplier_key"].astype("string").to_numpy(),
            "r1": rows.amount,
            "unlocated": rows.amount * rows.is_unlocated,
        }
    )
    for end, fraction in (("lower", 0.0), ("central", local_share), ("upper", 1.0)):
        lines[f"r2_{end}"] = rows.amount * (rows.is_local + fraction * rows.is_unlocated)
        lines[f"r3_{end}"] = lines[f"r2_{end}"] * rows.respend_share
    return lines


_ENDS = ("lower", "central", "upper")


def _summarise_lines(lines: pd.DataFrame, by: str) -> pd.DataFrame:
    """Rounds, LM3 and £ retained per value of ``by`` (unplaced £ leaving, like placed,
    staying), largest R1 first."""
    sums = ["r1", "unlocated", *[f"r{k}_{e}" for e in _ENDS for k in (2, 3)]]
    table = lines.groupby(by, observed=True, sort=False)[sums].sum()
    for end in _ENDS:
        r2, r3 = table[f"r2_{end}"], table[f"r3_{end}"]
        table[f"lm3_{end}"] = (table["r1"] + r2 + r3) / table["r1"].where(table["r1"] > 0)
        table[f"retained_{end}"] = r2 + r3
    return table.sort_values("r1", ascending=False).reset_index()


def _by_ward(spend: pd.DataFrame, rows: SpendRows) -> pd.DataFrame:
    """Round-2 and round-3 £ by the ward of the local supplier receiving it (for the map)."""
    local = pd.DataFrame(
        {
            "ward_code": spend["ward_code"].astype("string").to_numpy(),
            "ward_name": spend["ward_name"].astype("string").to_numpy(),
            "imd_decile": pd.to_numeric(spend["imd_decile"], errors="coerce").to_numpy(),
            "supplier_key": spend["supplier_key"].astype("string").to_numpy(),
            "r2": rows.amount,
            "r3": rows.amount * rows.respend_share,
        }
    )[rows.is_local]
    local["ward_code"] = local["ward_code"].fillna("(no ward)")
    local["ward_name"] = local["ward_name"].mask(local["ward_code"].eq("(no ward)"),
                                                 "placed at a district, not a ward")
    wards = local.groupby("ward_code", sort=False).agg(
        ward_name=("ward_name", "first"),
        r2=("r2", "sum"),
        r3=("r3", "sum"),
        suppliers=("supplier_key", "nunique"),
        imd_decile=("imd_decile", "median"),
    )
    return wards.sort_values("r2", ascending=False).reset_index()


def _by_supplier(lines: pd.DataFrame, spend: pd.DataFrame, rows: SpendRows) -> pd.DataFrame:
    """One row per supplier: R1, R2/R3 (central), status, class and the share used."""
    suppliers = lines.assign(
        share=rows.respend_share, surveyed=rows.surveyed, status=spend["local_status"].to_numpy()
    )
    return (
        suppliers.groupby("supplier_key", sort=False)
        .agg(
            r1=("r1", "sum"),
            r2=("r2_central", "sum"),
            r3=("r3_central", "sum"),
            local_status=("status", "first"),
            supplier_class=("supplier_class", "first"),
            respend_share=("share", "first"),
            surveyed=("surveyed", "first"),
        )
        .sort_values("r1", ascending=False)
        .reset_index()
    )


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
    n_draws: int = 1000
    random_state: int = 20050307
    priors_path: str | None = None  # a saved priors table (defaults when None)
    area_label: str = ""  # the local area in words ("Gateshead"), never its codes

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
        return LocalArea.radius(settings.radius_km, settings.centre, settings.area_label)
    codes = tuple(settings.lad_codes) or tuple(council_lads)
    if not codes:
        raise ValueError(
            "no local area: the council's district was not found; give district code(s)"
        )
    return LocalArea.districts(codes, settings.area_label)


def _as_frames(inputs: Any) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
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
    """Fit LM3 for a Workspace (``.transactions``, ``.suppliers``, ``.council_lads``) or a
    ``(transactions, suppliers[, council_lads])`` tuple (a folder is read through the
    workspace: :meth:`impact.workspace.Workspace.model`)."""
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
        n_draws=settings.n_draws,
        random_state=settings.random_state,
    ).fit(spend)


def to_json(result: ModelResult) -> str:
    return json.dumps(result.summary(), indent=2, default=str)
