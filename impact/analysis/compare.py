"""How councils compare: one row of measures per council and period, each with its coverage.

The measures are the Overview's figures (:mod:`impact.analysis.metrics`) and the re-spend
model's LM3 (:mod:`impact.analysis.multiplier`), computed the same way for every council and
period so they can be ranked side by side.  Two rules keep a comparison honest:

* every share carries its **coverage** (the share of £ it could use) and, where it depends
  on where suppliers are, its **range** (lower bound: every unplaced £ elsewhere; upper: every
  unplaced £ inside);
* a figure whose coverage is below :data:`MIN_COVERAGE` is **withheld** (NaN here, "not
  enough data" in the CSV and on screen): a council is never ranked on a number that is
  mostly assumption.  The range of a withheld share is kept — it is arithmetic, not a guess.

Periods are financial years (April–March, "2021/22"), calendar quarters ("2021 Q3") or the
whole span ("all").  Statistical neighbours are councils of the same type in the same region
with the nearest IMD 2025 average score (:func:`statistical_neighbours`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.analysis import metrics
from impact.analysis.multiplier import ModelSettings, run_model

#: Below this coverage a share (or LM3) is "not enough data" (:data:`metrics.MIN_COVERAGE`,
#: the one threshold): ranking councils on a figure that is mostly assumption would rank
#: their data gaps, not their spending.
MIN_COVERAGE = metrics.MIN_COVERAGE
#: £ per resident needs (nearly) every month of the period published: a year with half its
#: months would look like a council that spends half as much.  One month in ten may be
#: missing (a file not yet published) — the months are shown beside the figure.
MIN_MONTHS_COVERED = 0.9
#: What the CSV and the app show instead of a withheld number.
NOT_ENOUGH_DATA = metrics.NOT_ENOUGH_DATA
#: How many statistical neighbours a council is shown against.
NEIGHBOURS = 5
FREQUENCIES = ("year", "quarter", "all")
#: Bumped when a measure changes meaning, so tables kept on disk are recomputed.
TABLE_VERSION = "1"
#: Monte Carlo draws of LM3 per council and period (the band is stable to ±0.005 at 500).
LM3_DRAWS = 500


@dataclass(frozen=True)
class Measure:
    """One compared measure: its column, plain-English label, unit and coverage column.

    ``bounds``: the measure has ``<key>_lower``/``<key>_upper`` columns (a range).
    ``higher``: what a higher value means, for the chart's caption.
    """

    key: str
    label: str
    unit: str  # "share", "gbp", "index" or "multiplier"
    coverage: str | None
    bounds: bool = False
    higher: str = ""


MEASURES: tuple[Measure, ...] = (
    Measure("total_spend", "Total spend (net)", "gbp", "months_covered"),
    Measure("placed_share", "Spend whose supplier we could place", "share", None,
            higher="more of the spend can be analysed"),
    Measure("local_share", "Local share (suppliers in the council's area)", "share",
            "local_share_coverage", True, "more spend stays in the area"),
    Measure("regional_share", "Regional share (council's area included)", "share",
            "regional_share_coverage", True, "more spend stays in the region"),
    Measure("national_share", "Share outside the region", "share",
            "national_share_coverage", True, "more spend leaves the region"),
    Measure("deprived_share", "Share to suppliers in the most deprived 20% of areas", "share",
            "deprived_share_coverage", True, "more spend reaches deprived areas"),
    Measure("sme_share", "SME share (where known)", "share", "sme_share_coverage",
            higher="more spend with small and medium firms"),
    Measure("vcse_share", "Voluntary and community sector share (where known)", "share",
            "vcse_share_coverage", higher="more spend with charities and social enterprises"),
    Measure("top10_share", "Top 10 suppliers' share", "share", "concentration_coverage",
            higher="spend is more concentrated"),
    Measure("hhi", "Concentration index (HHI, 0–10,000)", "index", "concentration_coverage",
            higher="spend is more concentrated"),
    Measure("lm3_p50", "Local Multiplier 3 (middle estimate)", "multiplier", "lm3_coverage",
            higher="more of each £ re-circulates locally"),
    Measure("spend_per_resident", "Spend per resident", "gbp", "months_covered"),
)
MEASURE_BY_KEY = {m.key: m for m in MEASURES}


@dataclass(frozen=True)
class CouncilInfo:
    """What the measures need to know about a council besides its payments."""

    council_id: str
    council: str
    lads: tuple[str, ...] = ()
    region_codes: tuple[str, ...] = ()
    population: float | None = None
    gss_code: str | None = None
    type_name: str | None = None
    region: str | None = None


# ------------------------------------------------------------------------------ periods


def period_labels(period: pd.Series, freq: str) -> pd.Series:
    """Each payment's period label: "2021/22" (financial year), "2021 Q3" or "all".

    ``period`` is the canonical "YYYY-MM"; payments without one are labelled "undated"
    (in "all" they belong to the whole span like every other payment).
    """
    if freq not in FREQUENCIES:
        raise ValueError(f"freq must be one of {FREQUENCIES}, not {freq!r}")
    month = pd.to_datetime(period.astype("string").str.slice(0, 7), format="%Y-%m",
                           errors="coerce")
    if freq == "all":
        return pd.Series("all", index=period.index, dtype="string")
    if freq == "year":
        start = month.dt.year - (month.dt.month < 4)
        label = start.astype("Int64").astype("string") + "/" + (
            (start + 1) % 100).astype("Int64").astype("string").str.zfill(2)
    else:
        label = month.dt.year.astype("Int64").astype("string") + " Q" + (
            month.dt.quarter.astype("Int64").astype("string"))
    return label.fillna("undated").astype("string")


def period_span(label: str, months: pd.Series) -> tuple[str | None, str | None, int | None]:
    """First and last month ("YYYY-MM") of a period and how many months it has.

    ``months`` are the months with payments (used for "all", whose span is the data's).
    """
    if label == "undated":
        return None, None, None
    if label == "all":
        known = pd.PeriodIndex(sorted(m for m in months.dropna().unique()), freq="M")
        if len(known) == 0:
            return None, None, None
        return str(known.min()), str(known.max()), (known.max() - known.min()).n + 1
    if "/" in label:
        start = pd.Period(f"{label[:4]}-04", "M")
        return str(start), str(start + 11), 12
    year, q = label.split(" Q")
    start = pd.Period(f"{year}-{3 * int(q) - 2:02d}", "M")
    return str(start), str(start + 2), 3


# ----------------------------------------------------------------------------- measures


def _gate(value: float | None, coverage: float | None) -> float:
    """``value`` when its coverage reaches :data:`MIN_COVERAGE`, else NaN (withheld)."""
    if value is None or coverage is None or not np.isfinite(coverage):
        return np.nan
    return float(value) if coverage >= MIN_COVERAGE else np.nan


def _share_columns(fig: metrics.Figure, bounds: bool = True) -> dict[str, float]:
    """A share's point (gated on coverage), coverage and (optionally) range, as
    ``<figure key>_share`` columns."""
    key = f"{fig.key}_share"
    out = {key: _gate(fig.value, fig.coverage),
           f"{key}_coverage": np.nan if fig.coverage is None else fig.coverage}
    if bounds:
        out[f"{key}_lower"] = np.nan if fig.lower is None else fig.lower
        out[f"{key}_upper"] = np.nan if fig.upper is None else fig.upper
    return out


def _place_measures(tx: pd.DataFrame, info: CouncilInfo) -> dict[str, float]:
    """Placed, local, regional, national and deprived shares with coverage and range."""
    lads, regions = list(info.lads), list(info.region_codes)
    local = metrics.local_share(tx, lads)
    out = {"placed_share": np.nan if local.coverage is None else local.coverage}
    for fig in (local, metrics.regional_share(tx, regions),
                metrics.national_share(tx, regions), metrics.deprived_share(tx)):
        out.update(_share_columns(fig))
    for fig in (metrics.sme_share(tx), metrics.vcse_share(tx)):
        out.update(_share_columns(fig, bounds=False))
    top, hhi = metrics.concentration(tx)
    out["top10_share"] = _gate(top.value, top.coverage)
    out["hhi"] = _gate(hhi.value, hhi.coverage)
    out["concentration_coverage"] = np.nan if top.coverage is None else top.coverage
    return out


def lm3_measures(tx: pd.DataFrame, info: CouncilInfo, draws: int = LM3_DRAWS
                 ) -> dict[str, float]:
    """LM3 P10/P50/P90 (withheld below :data:`MIN_COVERAGE`) and its coverage: the share
    of the traced spend (R1: positive payments, public bodies excluded) that was placed."""
    none = {"lm3_p50": np.nan, "lm3_p10": np.nan, "lm3_p90": np.nan, "lm3_coverage": np.nan}
    if not info.lads or tx.empty:
        return none
    suppliers = tx.drop_duplicates("supplier_key")
    try:
        model = run_model((tx, suppliers, list(info.lads)),
                          ModelSettings(n_draws=draws)).model
    except (ValueError, KeyError):  # nothing to trace (no positive, influenceable spend)
        return none
    if not model.r1_ > 0:
        return none
    cov = 1.0 - float(model.unlocated_gbp_) / float(model.r1_)
    return {"lm3_p50": _gate(model.lm3_p50_, cov), "lm3_p10": _gate(model.lm3_p10_, cov),
            "lm3_p90": _gate(model.lm3_p90_, cov), "lm3_coverage": cov}


def measure_row(tx: pd.DataFrame, info: CouncilInfo, months_in_period: int | None,
                lm3_draws: int = LM3_DRAWS) -> dict[str, float]:
    """Every measure of one council over one period's payments ``tx``."""
    months = tx["period"].astype("string").str.slice(0, 7)
    with_payments = int(months[months.str.fullmatch(r"\d{4}-\d{2}").fillna(False)].nunique())
    covered = (with_payments / months_in_period) if months_in_period else np.nan
    total = metrics.total_spend(tx).value if len(tx) else None
    out: dict[str, float] = {
        "payments": len(tx), "months_with_payments": with_payments,
        "months_in_period": months_in_period or np.nan, "months_covered": covered,
        "total_spend": np.nan if total is None else total,
    }
    per_head = total / info.population if total is not None and info.population else None
    enough_months = np.isfinite(covered) and covered >= MIN_MONTHS_COVERED
    out["spend_per_resident"] = per_head if per_head is not None and enough_months else np.nan
    out["population"] = info.population or np.nan
    if len(tx):
        out.update(_place_measures(tx, info))
        out.update(lm3_measures(tx, info, lm3_draws) if lm3_draws else {})
    return out


# -------------------------------------------------------------------------------- table


def council_rows(payments: pd.DataFrame, info: CouncilInfo, freq: str = "year",
                 lm3_draws: int = LM3_DRAWS) -> list[dict[str, object]]:
    """One council's rows, one per period with payments (one "no payments" row if none)."""
    head = {"council": info.council, "council_id": info.council_id,
            "council_code": info.gss_code, "council_type": info.type_name,
            "region": info.region}
    if payments.empty:
        return [{**head, "period": "no payments", "period_start": None, "period_end": None,
                 **measure_row(payments, info, None, 0)}]
    labels = period_labels(payments["period"], freq)
    months = payments["period"].astype("string").str.slice(0, 7)
    rows = []
    for label, tx in payments.groupby(labels, sort=True):
        start, end, n = period_span(str(label), months)
        rows.append({**head, "period": str(label), "period_start": start, "period_end": end,
                     **measure_row(tx, info, n, lm3_draws)})
    return rows


def compare_table(payments: pd.DataFrame, councils: list[CouncilInfo], freq: str = "year",
                  lm3_draws: int = LM3_DRAWS) -> pd.DataFrame:
    """One row per council and period with every measure (NaN = not enough data).

    ``payments`` are stored payments (:data:`impact.store.PAYMENT_COLUMNS`) with a
    ``council_id`` column; ``councils`` says which to compare, in order.
    """
    rows: list[dict[str, object]] = []
    by_id = dict(tuple(payments.groupby("council_id", sort=False))) if len(payments) else {}
    for info in councils:
        tx = by_id.get(info.council_id, payments.iloc[0:0])
        rows += council_rows(tx.reset_index(drop=True), info, freq, lm3_draws)
    return pd.DataFrame(rows, columns=table_columns())


def table_columns() -> list[str]:
    """The columns of :func:`compare_table`, in CSV order."""
    cols = ["council", "council_id", "council_code", "council_type", "region", "period",
            "period_start", "period_end", "payments", "months_with_payments",
            "months_in_period", "months_covered", "total_spend", "placed_share"]
    for key in ("local_share", "regional_share", "national_share", "deprived_share"):
        cols += [key, f"{key}_lower", f"{key}_upper", f"{key}_coverage"]
    cols += ["sme_share", "sme_share_coverage", "vcse_share", "vcse_share_coverage",
             "top10_share", "hhi", "concentration_coverage",
             "lm3_p50", "lm3_p10", "lm3_p90", "lm3_coverage", "spend_per_resident",
             "population"]
    return cols


def for_csv(table: pd.DataFrame) -> pd.DataFrame:
    """The table with "not enough data" in every withheld (or unknowable) measure cell.

    Counts, coverage and range columns stay numbers (a coverage of 0 is a fact); measure
    cells that are NaN become :data:`NOT_ENOUGH_DATA`.
    """
    out = table.copy()
    for col in out.select_dtypes("number").columns:  # pennies, 0.01 % points, 0.0001 LM3
        out[col] = out[col].round(2 if col in ("total_spend", "spend_per_resident") else 4)
    withheld = [m.key for m in MEASURES] + ["lm3_p10", "lm3_p90"]
    for col in withheld:
        values = out[col].astype(object)
        out[col] = values.where(pd.notna(out[col]), NOT_ENOUGH_DATA)
    return out


#: Plain-English headers of the non-measure columns (the CSV keeps the short names).
COLUMN_LABELS = {
    "council": "Council", "council_type": "Type of council", "region": "Region",
    "period": "Period", "period_start": "First month", "period_end": "Last month",
    "payments": "Payments", "months_with_payments": "Months with payments",
    "months_in_period": "Months in the period", "months_covered": "Share of months published",
    "population": "Residents (Census 2021)", "lm3_p10": "LM3 low estimate (P10)",
    "lm3_p90": "LM3 high estimate (P90)", "lm3_coverage": "LM3 coverage (spend placed)",
    "concentration_coverage": "Concentration coverage (named suppliers)",
}
_SUFFIXES = (("_lower", "lowest possible"), ("_upper", "highest possible"),
             ("_coverage", "coverage"))


def column_label(col: str) -> str:
    """A column's header for people: the measure's label, with "coverage" or the bound."""
    if col in COLUMN_LABELS:
        return COLUMN_LABELS[col]
    if col in MEASURE_BY_KEY:
        return MEASURE_BY_KEY[col].label
    for suffix, words in _SUFFIXES:
        base = col.removesuffix(suffix)
        if base != col and base in MEASURE_BY_KEY:
            return f"{MEASURE_BY_KEY[base].label}: {words}"
    return col.replace("_", " ").capitalize()


def _cell_text(col: str) -> Callable[[float], str]:
    """How one numeric column reads on screen: %, £, an index or an LM3."""
    if col in ("total_spend", "spend_per_resident"):
        return metrics.money
    if col.startswith("lm3_") and not col.endswith("_coverage"):
        return lambda v: f"{v:.3f}"
    if "share" in col or col.endswith("coverage") or col == "months_covered":
        return lambda v: metrics.pct(v, 1)
    return lambda v: f"{v:,.0f}"


def screen_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as people read it: plain headers, no codes, values as text (12.3 %, £1.2m),
    "not enough data" where a figure is withheld."""
    out = table.drop(columns=["council_id", "council_code"]).copy()
    withheld = {m.key for m in MEASURES} | {"lm3_p10", "lm3_p90"}
    for col in out.select_dtypes("number").columns:
        text = _cell_text(col)
        blank = NOT_ENOUGH_DATA if col in withheld else ""
        out[col] = [text(v) if pd.notna(v) else blank for v in out[col]]
    return out.rename(columns=column_label)


# --------------------------------------------------------------------- ranks, neighbours


def ranked(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """One measure across rows of ``table``, highest first, withheld rows last.

    Columns: ``council``, ``period``, ``value``, ``lower``, ``upper``, ``coverage`` and
    ``enough`` (False where the value is withheld).
    """
    m = MEASURE_BY_KEY[key]
    out = pd.DataFrame({
        "council": table["council"], "council_id": table["council_id"],
        "period": table["period"], "value": pd.to_numeric(table[key], errors="coerce"),
        "lower": table[f"{key}_lower"] if m.bounds else np.nan,
        "upper": table[f"{key}_upper"] if m.bounds else np.nan,
        "coverage": table[m.coverage] if m.coverage else np.nan,
    })
    out["enough"] = out["value"].notna()
    out = out.sort_values(["enough", "value", "council"], ascending=[False, False, True],
                          kind="stable")
    return out.reset_index(drop=True)


def latest_periods(table: pd.DataFrame) -> pd.DataFrame:
    """Each council's latest complete period (months published ≥ :data:`MIN_MONTHS_COVERED`),
    else its latest dated one, else its "no payments" or undated row — so councils
    publishing different years can still be set side by side, each on its best year."""
    complete = pd.to_numeric(table["months_covered"], errors="coerce") >= MIN_MONTHS_COVERED
    order = table.assign(_dated=table["period_start"].notna(), _complete=complete).sort_values(
        ["council_id", "_complete", "_dated", "period_start"], na_position="first")
    latest = order.groupby("council_id", sort=False).tail(1)
    return latest.drop(columns=["_dated", "_complete"]).sort_values("council").reset_index(
        drop=True)


def statistical_neighbours(authorities: pd.DataFrame, gss_code: str | None,
                           k: int = NEIGHBOURS) -> pd.DataFrame:
    """The ``k`` councils of the same type and region with the nearest IMD average score.

    ``authorities`` has ``gss_code``, ``name``, ``type``, ``region`` and ``imd_score``
    (:func:`impact.places.authorities.load_authorities`), and ``peer_type`` where a body is
    compared with another kind (the Greater London Authority with combined authorities).
    Ties go by name.  Empty when the council or its score is unknown; fewer than ``k`` when
    its region has fewer of its type; a body with none of its kind in its region (a combined
    authority, the GLA) is compared with its kind across England.  Adds ``distance``
    (absolute difference in IMD average score).
    """
    me = authorities[authorities["gss_code"] == gss_code]
    if me.empty or pd.isna(me["imd_score"].iloc[0]):
        return authorities.iloc[0:0].assign(distance=pd.Series(dtype="float64"))
    row = me.iloc[0]
    kind = authorities["peer_type"] if "peer_type" in authorities else authorities["type"]
    pool = authorities[(kind == kind[me.index[0]])
                       & (authorities["gss_code"] != gss_code)
                       & authorities["imd_score"].notna()]
    if (pool["region"] == row["region"]).any():
        pool = pool[pool["region"] == row["region"]]
    pool = pool.assign(distance=(pool["imd_score"].astype(float) - float(row["imd_score"])).abs())
    return pool.sort_values(["distance", "name"], kind="stable").head(k).reset_index(drop=True)
