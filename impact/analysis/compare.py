"""How councils compare: one row of measures per council and period, each with its coverage.

Each row is the :class:`impact.analysis.measures.Measures` of one council's period — the
figures every page shows, read, never recomputed — so a council can be ranked against
others on the numbers its own Overview states.  Two rules keep a comparison honest:

* every share carries its **coverage** (the share of £ it could use) and, where it depends
  on where suppliers are, its **range** (lower bound: every unplaced £ elsewhere; upper: every
  unplaced £ inside);
* a figure below the one gate (:data:`impact.analysis.measures.MIN_COVERAGE`) is
  **withheld** (NaN here, "not
  enough data" in the CSV and on screen): a council is never ranked on a number that is
  mostly assumption.  The range of a withheld share is kept — it is arithmetic, not a guess.

Periods are financial years (April–March, "2021/22"), calendar quarters ("2021 Q3") or the
whole span ("all").  Statistical neighbours are councils of the same type in the same region
with the nearest IMD 2025 average score (:func:`statistical_neighbours`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from impact.analysis import measures as ms
from impact.analysis.measures import NOT_ENOUGH_DATA, CouncilArea, Figure

#: How many statistical neighbours a council is shown against.
NEIGHBOURS = 5
FREQUENCIES = ("year", "quarter", "all")
#: Bumped when a measure changes meaning, so tables kept on disk are recomputed.
TABLE_VERSION = "3"
#: The local multiplier of one period's payments (None when it cannot be fitted).
Lm3For = Callable[[pd.DataFrame], Figure | None]


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
    Measure("placed_share", "Spend placed", "share", None,
            higher="more of the spend can be analysed"),
    Measure("local_share", "Local share", "share", "local_share_coverage", True,
            "more spend stays in the area"),
    Measure("branched_share", "Local: based or branched (CLES)", "share",
            "branched_share_coverage", True,
            "more spend with suppliers based or with premises in the area"),
    Measure("office_share", "Local: registered office", "share", "office_share_coverage",
            True, "more spend with suppliers registered in the area"),
    Measure("wider_share", "Based or branched in the combined authority or county", "share",
            "wider_share_coverage", True, "more spend stays in the wider area"),
    Measure("top300_share", "Top 300 suppliers: based or branched (CLES)", "share",
            "top300_share_coverage", True, "more of the top suppliers' spend stays local"),
    Measure("regional_share", "Regional share (the area included)", "share",
            "regional_share_coverage", True, "more spend stays in the region"),
    Measure("national_share", "Outside the region", "share",
            "national_share_coverage", True, "more spend leaves the region"),
    Measure("deprived_share", "To suppliers in the most deprived 20% of areas", "share",
            "deprived_share_coverage", True, "more spend reaches deprived areas"),
    Measure("sme_share", "SME share", "share", "sme_share_coverage",
            higher="more spend with small and medium firms"),
    Measure("vcse_share", "VCSE share", "share", "vcse_share_coverage",
            higher="more spend with charities and social enterprises"),
    Measure("top10_share", "Top 10 suppliers' share", "share", "concentration_coverage",
            higher="spend is more concentrated"),
    Measure("hhi", "Concentration index (HHI, 0–10,000)", "index", "concentration_coverage",
            higher="spend is more concentrated"),
    Measure("lm3_p50", "Local multiplier (LM3)", "multiplier", "lm3_coverage", True,
            higher="more of each £ re-circulates locally"),
    Measure("spend_per_resident", "Spend per resident a year", "gbp", "months_covered"),
)
MEASURE_BY_KEY = {m.key: m for m in MEASURES}
#: Table column → the way of counting local it shows (:attr:`impact.analysis.measures.
#: Measures.ways`).
WAY_OF = {"branched_share": "local_branched", "office_share": "local_office",
          "wider_share": "local_wider", "top300_share": "local_top300"}
#: Table column → the measures figure it shows (:meth:`impact.analysis.measures.Measures.
#: figures`): the one source of every number in the table.
FIGURE_OF = {"local_share": "local", "regional_share": "regional", "national_share": "outside",
             "deprived_share": "deprived", "sme_share": "sme", "vcse_share": "vcse",
             "top10_share": "top10", "hhi": "hhi", "lm3_p50": "lm3",
             "spend_per_resident": "per_resident"}


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
    lad_names: tuple[str, ...] = field(default=())
    region_names: tuple[str, ...] = field(default=())
    wider_name: str = ""
    wider_lads: tuple[str, ...] = field(default=())

    @property
    def area(self) -> CouncilArea:
        return CouncilArea(self.council, tuple(self.lads), tuple(self.lad_names),
                           tuple(self.region_codes), tuple(self.region_names),
                           self.population, wider_name=self.wider_name,
                           wider_lads=tuple(self.wider_lads))


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


def _nan(x: float | None) -> float:
    return np.nan if x is None else float(x)


def _figure_columns(key: str, fig: Figure | None, bounds: bool) -> dict[str, float]:
    """A figure's columns: its value as shown (NaN when withheld), coverage and range."""
    cover = MEASURE_BY_KEY[key].coverage if key in MEASURE_BY_KEY else None
    out = {key: np.nan if fig is None else _nan(fig.shown)}
    if cover and cover.endswith("_coverage") and cover != "concentration_coverage":
        out[cover] = np.nan if fig is None or fig.coverage is None else _nan(
            fig.coverage.share)
    if bounds:
        out[f"{key}_lower"] = np.nan if fig is None else _nan(fig.lower)
        out[f"{key}_upper"] = np.nan if fig is None else _nan(fig.upper)
    return out


def measure_row(m: ms.Measures, months_in_period: int | None) -> dict[str, object]:
    """Every column of one council's period from its :class:`~impact.analysis.measures.
    Measures` (nothing recomputed: the table says what every page says)."""
    p = m.period
    published = len(p.months)
    out: dict[str, object] = {
        "payments": m.payments, "months_with_payments": published,
        "months_in_period": months_in_period or np.nan,
        "months_covered": published / months_in_period if months_in_period else np.nan,
        "months_complete": len(p.complete_months),
        "total_spend": _nan(m.total.value) if m.payments else np.nan,
        "placed_share": _nan(m.placed.value), "population": m.area.population or np.nan,
        "judged": ms.judged(m, months_in_period),
    }
    figs = m.figures()
    for col, key in FIGURE_OF.items():
        out.update(_figure_columns(col, figs.get(key), MEASURE_BY_KEY[col].bounds))
    ways = {f.key: f for f in m.ways}
    for col, key in WAY_OF.items():
        out.update(_figure_columns(col, ways.get(key), True))
    out["concentration_coverage"] = _nan(m.top10.coverage.share) if m.top10.coverage else np.nan
    lm3 = m.lm3
    band = lm3.band if lm3 is not None and lm3.shown is not None and lm3.band else None
    out["lm3_p10"], out["lm3_p90"] = band if band else (np.nan, np.nan)
    return out


# -------------------------------------------------------------------------------- table


def council_rows(payments: pd.DataFrame, info: CouncilInfo, freq: str = "year",
                 lm3: Lm3For | None = None, places: pd.DataFrame | None = None
                 ) -> list[dict[str, object]]:
    """One council's rows, one per period with payments (one "no payments" row if none).

    Each period's figures are :func:`impact.analysis.measures.measure` of its payments,
    with thin months judged on all the council's payments; ``lm3`` fits the local
    multiplier of a period's payments (no LM3 columns without it); ``places`` is the
    council's supplier × place table (the ways of counting local need its premises).
    """
    head = {"council": info.council, "council_id": info.council_id,
            "council_code": info.gss_code, "council_type": info.type_name,
            "region": info.region}
    area = info.area
    if payments.empty:
        m = ms.measure(payments, area)
        return [{**head, "period": "no payments", "period_start": None, "period_end": None,
                 **measure_row(m, None)}]
    publication = ms.Period.of(payments)
    labels = period_labels(payments["period"], freq)
    months = payments["period"].astype("string").str.slice(0, 7)
    rows = []
    for label, tx in payments.groupby(labels, sort=True):
        start, end, n = period_span(str(label), months)
        m = ms.measure(tx, area, publication=publication, places=places)
        if lm3 is not None:
            m = ms.with_lm3(m, lm3(tx))
        rows.append({**head, "period": str(label), "period_start": start, "period_end": end,
                     **measure_row(m, n)})
    return rows


def compare_table(payments: pd.DataFrame, councils: list[CouncilInfo], freq: str = "year",
                  lm3: dict[str, Lm3For] | None = None,
                  places: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per council and period with every measure (NaN = not enough data).

    ``payments`` are stored payments (:data:`impact.store.PAYMENT_COLUMNS`) with a
    ``council_id`` column; ``councils`` says which to compare, in order; ``lm3`` fits each
    council's local multiplier (by council id) with that council's own saved choices.
    """
    rows: list[dict[str, object]] = []
    by_id = dict(tuple(payments.groupby("council_id", sort=False))) if len(payments) else {}
    for info in councils:
        tx = by_id.get(info.council_id, payments.iloc[0:0])
        fit = (lm3 or {}).get(info.council_id)
        rows += council_rows(tx.reset_index(drop=True), info, freq, fit,
                             (places or {}).get(info.council_id))
    return pd.DataFrame(rows, columns=table_columns())


#: Compare-table column → way of counting local, in :attr:`Measures.ways` order.
WAY_COLUMNS = {"branched_share": "local_branched", "local_share": ms.HEADLINE_WAY,
               "office_share": "local_office", "wider_share": "local_wider",
               "regional_share": "local_region", "top300_share": "local_top300"}
#: Columns of :func:`ways_table`.
WAYS_TABLE_COLUMNS = ["council", "council_id", "period", "way", "definition", "value",
                      "coverage", "lower_bound", "upper_bound", "not_enough_data", "headline"]


def ways_table(table: pd.DataFrame, councils: list[CouncilInfo]) -> pd.DataFrame:
    """The compare table's ways of counting local, one row per council, period and way:
    the table's own numbers (nothing recomputed) with each way's words for that council
    (:func:`impact.analysis.measures.way_labels`, as its Overview names them), rounded as
    :func:`for_csv` rounds the table beside it. A way with a
    coverage but no value is "not enough data"; one with neither (no wider area) is not
    available and not flagged."""
    labels = {c.council_id: ms.way_labels(c.area) for c in councils}
    rows = []
    for r in table[table["payments"].fillna(0).gt(0)].to_dict("records"):
        words = labels.get(r["council_id"]) or ms.way_labels(ms.CouncilArea(r["council"]))
        for col, way in WAY_COLUMNS.items():
            cov = MEASURE_BY_KEY[col].coverage
            rows.append({
                "council": r["council"], "council_id": r["council_id"],
                "period": r["period"], "way": way, "definition": words[way],
                "value": r[col], "coverage": r[cov], "lower_bound": r[f"{col}_lower"],
                "upper_bound": r[f"{col}_upper"],
                "not_enough_data": bool(pd.isna(r[col]) and pd.notna(r[cov])),
                "headline": way == ms.HEADLINE_WAY})
    out = pd.DataFrame(rows, columns=WAYS_TABLE_COLUMNS)
    shares = ["value", "coverage", "lower_bound", "upper_bound"]
    out[shares] = out[shares].astype(float).round(4)  # as :func:`for_csv` rounds the table
    return out


def table_columns() -> list[str]:
    """The columns of :func:`compare_table`, in CSV order."""
    cols = ["council", "council_id", "council_code", "council_type", "region", "period",
            "period_start", "period_end", "judged", "payments", "months_with_payments",
            "months_in_period", "months_covered", "months_complete", "total_spend",
            "placed_share"]
    for key in ("local_share", *WAY_OF, "regional_share", "national_share",
                "deprived_share"):
        cols += [key, f"{key}_lower", f"{key}_upper", f"{key}_coverage"]
    cols += ["sme_share", "sme_share_coverage", "vcse_share", "vcse_share_coverage",
             "top10_share", "hhi", "concentration_coverage",
             "lm3_p50", "lm3_p50_lower", "lm3_p50_upper", "lm3_p10", "lm3_p90",
             "lm3_coverage", "spend_per_resident", "population"]
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
    out["judged"] = out["judged"].astype("boolean")  # Yes/No in words, a flag for programs
    for col in withheld:
        values = out[col].astype(object)
        out[col] = values.where(pd.notna(out[col]), NOT_ENOUGH_DATA)
    return out


def workbook(table: pd.DataFrame, councils: list[CouncilInfo]) -> dict[str, pd.DataFrame]:
    """Compare's workbook (``impact compare --xlsx`` and the Compare page's Excel download):
    the table as the CSV has it, and its ways of counting local, each way's value named as
    the local share it is (the workbook writer words the headers)."""
    ways = ways_table(table, councils).rename(columns={"value": "local_share"})
    return {"Compare": for_csv(table), "Ways of counting local": ways}


#: Plain-English headers of the non-measure columns (the CSV keeps the short names).
COLUMN_LABELS = {
    "council": "Council", "council_type": "Type of council", "region": "Region",
    "period": "Period", "period_start": "First month", "period_end": "Last month",
    "payments": "Payments", "months_with_payments": "Months with payments",
    "months_in_period": "Months in the period", "months_covered": "Share of months published",
    "population": "Residents (Census 2021)", "lm3_p10": "LM3 low estimate (P10)",
    "lm3_p90": "LM3 high estimate (P90)", "lm3_coverage": "LM3: coverage",
    "lm3_p50_lower": "LM3 if every unplaced £ leaves", "lm3_p50_upper":
    "LM3 if every unplaced £ stays", "judged": "Enough data to judge the period",
    "months_complete": "Complete months",
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
        return ms.money
    if col.startswith("lm3_") and not col.endswith("_coverage"):
        return ms.multiplier
    if "share" in col or col.endswith("coverage") or col == "months_covered":
        return ms.pct
    return lambda v: f"{v:,.0f}"


def screen_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as people read it: plain headers, no codes, values as text (12.3 %, £1.2m),
    "not enough data" where a figure is withheld."""
    out = table.drop(columns=["council_id", "council_code"]).copy()
    withheld = {m.key for m in MEASURES} | {"lm3_p10", "lm3_p90"}
    out["judged"] = out["judged"].astype("boolean")  # Yes/No in words, a flag for programs
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
    """Each council's latest complete period (every month published and complete),
    else its latest dated one, else its "no payments" or undated row — so councils
    publishing different years can still be set side by side, each on its best year."""
    complete = (pd.to_numeric(table["months_complete"], errors="coerce")
                >= pd.to_numeric(table["months_in_period"], errors="coerce"))
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
