"""Charts and tables for the Compare page: ranked dot plots with ranges and coverage, trends.

Colours are Okabe–Ito (safe for the common colour-vision deficiencies) and every group also
has its own marker shape, so nothing is told by colour alone.  Withheld figures are drawn as
their range only, labelled "not enough data" — never as a dot.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from impact.analysis.compare import MEASURE_BY_KEY, Measure
from impact.analysis.measures import MIN_COVERAGE, NOT_ENOUGH_DATA, money, pct

THIS, NEIGHBOUR, CHOSEN = "This council", "Statistical neighbour", "Chosen for comparison"
GROUPS = (THIS, NEIGHBOUR, CHOSEN)
COLOURS = ("#D55E00", "#0072B2", "#009E73")  # Okabe–Ito vermillion, blue, bluish green
SHAPES = ("diamond", "circle", "square")
#: Coverage wording per measure kind (what the coverage is a share of).
COVERAGE_WORDS = {"months_covered": "months published", "lm3_coverage": "placed",
                  "concentration_coverage": "named"}


def scale(m: Measure) -> tuple[float, str, str]:
    """(divide values by, axis title suffix, Vega format) for a measure's unit."""
    if m.unit == "share":
        return 1.0, "", ".0%"
    if m.key == "total_spend":
        return 1e6, " (£ million)", ",.1f"
    if m.unit == "gbp":
        return 1.0, " (£)", ",.0f"
    return 1.0, "", ".2f" if m.unit == "multiplier" else ",.0f"


def value_text(value: float, m: Measure) -> str:
    """A value as people read it, or "not enough data"."""
    if value is None or not np.isfinite(value):
        return NOT_ENOUGH_DATA
    if m.unit == "share":
        return pct(value, 1)
    if m.unit == "gbp":
        return money(value)
    return f"{value:,.2f}" if m.unit == "multiplier" else f"{value:,.0f}"


def coverage_text(coverage: float, m: Measure) -> str:
    if m.coverage is None or coverage is None or not np.isfinite(coverage):
        return ""
    return f"{pct(coverage)} {COVERAGE_WORDS.get(m.coverage, 'placed')}"


def dot_frame(ranked: pd.DataFrame, key: str, groups: dict[str, str]) -> pd.DataFrame:
    """The rows of one dot plot: label (with coverage), scaled value and range, group."""
    m = MEASURE_BY_KEY[key]
    div, _, _ = scale(m)
    cover = [coverage_text(c, m) for c in ranked["coverage"]]
    d = ranked.assign(
        label=[f"{c} · {p}" + (f" ({v})" if v else "") for c, p, v in
               zip(ranked["council"], ranked["period"], cover, strict=True)],
        group=ranked["council_id"].map(groups).fillna(CHOSEN),
        shown=ranked["value"] / div, lower=ranked["lower"] / div, upper=ranked["upper"] / div,
        text=[value_text(v, m) for v in ranked["value"]], cover=cover,
    )
    mid = (d["lower"] + d["upper"]) / 2
    d["ranged"] = mid.notna()
    d["note_x"] = mid.where(d["ranged"], axis_start(m))
    d["note"] = np.where(d["enough"], "", NOT_ENOUGH_DATA)
    return d


def axis_start(m: Measure) -> float:
    """Where a measure's axis starts: 0, or 1 for LM3 (it cannot be below 1)."""
    return 1.0 if m.unit == "multiplier" else 0.0


def x_scale(d: pd.DataFrame, m: Measure) -> alt.Scale:
    """Shares on 0–100 % (every chart alike); LM3 from 1 (its floor) to at least 1.5."""
    if m.unit == "share":
        return alt.Scale(domain=[0.0, 1.0])
    if m.unit != "multiplier":
        return alt.Scale(zero=True)
    top = pd.concat([d["shown"], d["upper"]]).max()
    return alt.Scale(domain=[1.0, max(1.5, float(top) if pd.notna(top) else 1.5)])


def _colour() -> alt.Color:
    return alt.Color("group:N", title=None, scale=alt.Scale(domain=list(GROUPS),
                     range=list(COLOURS)),
                     legend=alt.Legend(orient="top", direction="horizontal"))


def dot_plot(d: pd.DataFrame, key: str) -> alt.LayerChart:
    """Councils ranked on one measure: range bar, dot (unless withheld), coverage in the
    label, "not enough data" over the range of a withheld figure."""
    m = MEASURE_BY_KEY[key]
    _, unit, fmt = scale(m)
    y = alt.Y("label:N", sort=list(d["label"]), title=None, axis=alt.Axis(labelLimit=420))
    x = alt.X("shown:Q", title=m.label + unit, axis=alt.Axis(format=fmt), scale=x_scale(d, m))
    base = alt.Chart(d).encode(y=y)
    tip = [alt.Tooltip("label:N", title="Council"), alt.Tooltip("text:N", title=m.label),
           alt.Tooltip("cover:N", title="Coverage")]
    layers = [base.mark_point(filled=True, size=130, opacity=1).encode(
        x=x, color=_colour(), shape=alt.Shape("group:N", legend=None, scale=alt.Scale(
            domain=list(GROUPS), range=list(SHAPES))), tooltip=tip)]
    if m.bounds:
        layers.insert(0, base.mark_rule(strokeWidth=5, opacity=0.4).encode(
            x=alt.X("lower:Q", title=m.label + unit), x2="upper:Q", color=_colour(),
            tooltip=tip))
    # Over its range bar when there is one, else from the start of the axis.
    over = base.transform_filter("datum.ranged").mark_text(fontSize=11, color="#333", dy=-9)
    after = base.transform_filter("!datum.ranged").mark_text(fontSize=11, color="#333",
                                                             align="left", dx=4)
    notes = [n.encode(x="note_x:Q", text="note:N") for n in (over, after)]
    return alt.layer(*layers, *notes).properties(height=alt.Step(30)).configure_view(
        stroke=None)


def trend_frame(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """One council's periods for one measure, with gap-broken line segments."""
    m = MEASURE_BY_KEY[key]
    div, _, _ = scale(m)
    d = rows[rows["period_start"].notna()].sort_values("period_start")
    out = pd.DataFrame({
        "period": d["period"], "start": pd.to_datetime(d["period_start"]),
        "shown": pd.to_numeric(d[key], errors="coerce") / div,
        "lower": (d[f"{key}_lower"] / div) if m.bounds else np.nan,
        "upper": (d[f"{key}_upper"] / div) if m.bounds else np.nan,
        "coverage": d[m.coverage] if m.coverage else np.nan,
    })
    out["segment"] = out["shown"].isna().cumsum()  # a withheld period breaks the line
    out["text"] = [value_text(v * div, m) for v in out["shown"]]
    out["cover"] = [coverage_text(c, m) for c in out["coverage"]]
    return out.reset_index(drop=True)


SERIES = ("Central estimate", "Range (lowest to highest possible)", "Coverage",
          f"Coverage needed ({MIN_COVERAGE:.0%})")


SERIES_COLOURS = dict(zip(SERIES, (COLOURS[0], "#56B4E9", "#999999", COLOURS[0]), strict=True))


def _series(*names: str) -> alt.Color:
    """Colour by series, the legend listing ``names`` (the series of one chart)."""
    return alt.Color("what:N", title=None, legend=alt.Legend(orient="top", labelLimit=320),
                     scale=alt.Scale(domain=list(names),
                                     range=[SERIES_COLOURS[n] for n in names]))


def trend_charts(d: pd.DataFrame, key: str) -> list[alt.LayerChart]:
    """The measure by period (range band, line, dots), and its coverage per period below."""
    m = MEASURE_BY_KEY[key]
    _, unit, fmt = scale(m)
    x = alt.X("period:O", sort=list(d["period"]), title=None,
              axis=alt.Axis(labelAngle=-40 if len(d) > 12 else 0))
    tip = [alt.Tooltip("period:N", title="Period"), alt.Tooltip("text:N", title=m.label),
           alt.Tooltip("cover:N", title="Coverage")]
    base = alt.Chart(d).encode(x=x)
    y = alt.Y("shown:Q", title=m.label + unit, axis=alt.Axis(format=fmt))
    top = SERIES[:2] if m.bounds else SERIES[:1]
    line = base.transform_calculate(what=f"'{SERIES[0]}'")
    layers = [line.mark_line().encode(y=y, detail="segment:N", color=_series(*top)),
              line.mark_point(filled=True, size=70).encode(y=y, color=_series(*top),
                                                           tooltip=tip)]
    if m.bounds:
        layers.insert(0, base.transform_calculate(what=f"'{SERIES[1]}'").mark_area(
            opacity=0.35).encode(y=alt.Y("lower:Q", title=m.label + unit), y2="upper:Q",
                                 color=_series(*top), tooltip=tip))
    # Streamlit fits the whole chart (legend and labels included) into the height.
    charts = [alt.layer(*layers).properties(height=380)]
    if m.coverage:
        bars = base.transform_calculate(what=f"'{SERIES[2]}'").mark_bar().encode(
            y=alt.Y("coverage:Q", title="Coverage", axis=alt.Axis(format=".0%"),
                    scale=alt.Scale(domain=[0, 1])), color=_series(*SERIES[2:]), tooltip=tip)
        rule = alt.Chart(pd.DataFrame({"y": [MIN_COVERAGE], "what": [SERIES[3]]})).mark_rule(
            strokeDash=[4, 3]).encode(y="y:Q", color=_series(*SERIES[2:]))
        charts.append(alt.layer(bars, rule).properties(height=230))
    return charts
