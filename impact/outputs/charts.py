"""Static charts and maps for the PDFs (matplotlib, PNG bytes): the board pack's three
summary charts (local share by quarter against a target, where the money goes by area, the
LM3 band) and ward maps with names on them.

Maps use :func:`impact.outputs.maps.classify`, the app's own classes and legend (natural
breaks in viridis; "no spend placed here" and hatched "not enough data" apart from values),
so paper and screen never disagree and no class reads "£0 – £0".  Colours are colour-blind
safe (viridis, Okabe–Ito) and every colour is named in words beside it.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from impact.analysis import trends
from impact.analysis.measures import NOT_ENOUGH_DATA, Figure, money, pct
from impact.outputs import maps

#: Where the money goes, by band (:data:`impact.workspace.BANDS`): Okabe–Ito colours, the
#: council's own orange as on the Spend map's supplier points.
BAND_STYLE = {
    "council": ("#D55E00", "In the council's area"),
    "region": ("#0072B2", "Elsewhere in the region"),
    "elsewhere": ("#56B4E9", "Outside the region"),
    "national": ("#CC79A7", "National bodies"),
    "not located": ("#d9d9d9", "Not placed (could be anywhere)"),
}
INK, MUTED = "#1f1f1f", "#555555"
#: More areas than this and only the highlighted ones are named (labels would overlap).
MAX_LABELS = 60
#: Each of page 1's three charts, in inches.
SUMMARY_SIZE = (2.45, 2.0)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 7,
                         "axes.edgecolor": "#999999", "axes.titleweight": "bold",
                         "axes.titlesize": 8, "axes.titlelocation": "left"})
    return plt


def _png(fig, tight: bool = False) -> bytes:
    """PNG bytes; summary charts keep their exact size (three side by side must match)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200, bbox_inches="tight" if tight else None)
    _plt().close(fig)
    return buf.getvalue()


def trend_png(trend: pd.DataFrame, target: trends.Target, status: str) -> bytes:
    """Local share by quarter: the range (shaded) with the point where coverage allows,
    the target (dashed) and the latest quarter's RAG status in words and colour."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=SUMMARY_SIZE, layout="constrained")
    x = np.arange(len(trend))
    lo = trend["local_share_lower"].astype(float).to_numpy() * 100
    up = trend["local_share_upper"].astype(float).to_numpy() * 100
    pt = trend["local_share"].astype(float).to_numpy() * 100
    ax.fill_between(x, lo, up, color="#0072B2", alpha=0.18, lw=0, label="range")
    ax.plot(x, pt, color="#0072B2", marker="o", ms=3, lw=1.4, label="local share")
    if target.share is not None:
        ax.axhline(100 * target.share, color=INK, ls="--", lw=0.9)
        ax.annotate(f"target {pct(target.share)}", (x[-1] if len(x) else 0,
                    100 * target.share), textcoords="offset points", xytext=(0, 3),
                    ha="right", fontsize=6, color=INK)
    ticks = _quarter_ticks(list(trend["period"]))
    ax.set_xticks([x[i] for i in ticks], [_short_quarter(trend["period"].iloc[i], len(ticks),
                                                         len(x)) for i in ticks], fontsize=6)
    ax.set_ylim(0, max(100.0, float(np.nanmax(up)) if len(up) else 100.0))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}%")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Local share by quarter")
    ax.text(0.0, -0.22, f"Latest: {status.upper()}", transform=ax.transAxes, fontsize=7,
            fontweight="bold", color="white", va="top",
            bbox={"boxstyle": "round,pad=0.25", "fc": trends.RAG_COLOURS[status], "ec": "none"})
    return _png(fig)


#: At most this many quarter labels fit under a summary chart without overlapping.
_MAX_TICKS = 8


def _quarter_ticks(periods: list[str]) -> list[int]:
    """Which quarters get a label: all of them when they fit, else each year's first
    quarter (every second or third year when even those crowd), so labels never overlap."""
    if len(periods) <= _MAX_TICKS:
        return list(range(len(periods)))
    firsts = [i for i, p in enumerate(periods) if str(p).endswith("Q1")] or [0]
    step = -(-len(firsts) // _MAX_TICKS)
    return firsts[::step]


def _short_quarter(period: str, shown: int, total: int) -> str:
    """ "24 Q2" when every quarter is labelled; the year alone when only years are."""
    text = str(period)
    return text.replace("20", "", 1) if shown == total else text.split()[0]


def band_spend(tx: pd.DataFrame) -> pd.DataFrame:
    """Positive spend by where the supplier is (band, label, colour, £, share of spend)."""
    pos = pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0).clip(lower=0.0)
    band = tx["location_band"].astype("string").fillna("not located")
    by = pos.groupby(band.to_numpy()).sum()
    total = float(pos.sum())
    rows = [{"band": b, "label": lab, "colour": c, "spend": float(by.get(b, 0.0)),
             "share": float(by.get(b, 0.0)) / total if total > 0 else np.nan}
            for b, (c, lab) in BAND_STYLE.items()]
    out = pd.DataFrame(rows)
    keep = out["spend"].gt(0) | out["band"].isin(["council", "not located"])
    return out[keep].reset_index(drop=True)


def areas_png(bands: pd.DataFrame, council: str) -> bytes:
    """Where the money goes: a bar per band, the unplaced part hatched grey."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=SUMMARY_SIZE, layout="constrained")
    labels = [council if b == "council" else lab
              for b, lab in zip(bands["band"], bands["label"], strict=True)]
    y = np.arange(len(bands))[::-1]
    share = bands["share"].fillna(0).to_numpy() * 100
    bars = ax.barh(y, share, color=bands["colour"], edgecolor="#777777", lw=0.4)
    for bar, b in zip(bars, bands["band"], strict=True):
        if b == "not located":
            bar.set_hatch("////")
    for yi, s, v in zip(y, share, bands["spend"], strict=True):
        ax.text(s + 1.5, yi, f"{pct(s / 100)} · {money(v)}", va="center", fontsize=6)
    ax.set_yticks(y, [_wrap(t, 18) for t in labels], fontsize=6.5)
    ax.set_xlim(0, 135)
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    ax.set_title("Where the money goes (share of £)")
    return _png(fig)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def lm3_png(lm3: Figure | None) -> bytes:
    """The local multiplier: P10–P90 (dark), the range the unplaced £ allows (light) and the
    P50 marked — or, below the gate, the range alone with "not enough data"."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=SUMMARY_SIZE, layout="constrained")
    ax.set_title("Local multiplier (LM3)")
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    if lm3 is None or lm3.value is None:
        ax.text(0.5, 0.5, "LM3 not computed\n(see the appendix)", ha="center", va="center",
                transform=ax.transAxes, color=MUTED)
        ax.set_xticks([])
        return _png(fig)
    lo, up = float(lm3.lower), float(lm3.upper)
    ax.barh(0, up - lo, left=lo, height=0.5, color="#bfd6ea", label="if unplaced £ leaves … stays")
    if lm3.shown is not None:
        p10, p90 = lm3.band
        ax.barh(0, p90 - p10, left=p10, height=0.5, color="#0072B2", label="P10–P90")
        ax.plot([lm3.shown] * 2, [-0.38, 0.38], color=INK, lw=2)
        ax.annotate(f"£1 → £{lm3.text}", (lm3.shown, 0.38), textcoords="offset points",
                    xytext=(0, 3), ha="center", fontsize=8, fontweight="bold")
    else:
        ax.annotate(NOT_ENOUGH_DATA, ((lo + up) / 2, 0.38), textcoords="offset points",
                    xytext=(0, 3), ha="center", fontsize=8, fontweight="bold")
    ax.set_xlim(1.0, max(up, 2.0) + 0.1)
    ax.set_ylim(-1.3, 1.1)
    ax.legend(loc="lower center", ncol=2, fontsize=6, frameon=False)
    ax.set_xlabel("£ generated locally per £1 spent", fontsize=6)
    return _png(fig)


def _legend_handles(lg: maps.Legend, extra: list | None = None) -> list:
    from matplotlib.patches import Patch

    return [Patch(facecolor=c, edgecolor="#777777", label=label,
                  hatch="////" if label in lg.hatched else None) for c, label in lg.items
            ] + (extra or [])


def _label_areas(ax, areas, highlight: pd.Series | None) -> None:
    """Area names at a point inside each area (only highlighted ones when crowded)."""
    import matplotlib.patheffects as pe
    import shapely

    show = areas
    if len(areas) > MAX_LABELS:
        if highlight is None:
            return
        show = areas[highlight.fillna(False).astype(bool).to_numpy()]
    pts = shapely.point_on_surface(show.geometry.to_numpy())
    halo = [pe.withStroke(linewidth=1.6, foreground="white")]
    for name, p in zip(show["name"], pts, strict=True):
        if isinstance(name, str) and not p.is_empty:
            ax.text(p.x, p.y, name, fontsize=4.3, ha="center", va="center", color=INK,
                    path_effects=halo)


def map_png(wards, metric: maps.MapMetric, title: str, outline: str | None = None,
            outline_label: str = "left behind") -> bytes:
    """A ward map as PNG: the app's classes and legend, hatched "not enough data", names
    on the wards, and (``outline``, a boolean column) highlighted wards in orange."""
    plt = _plt()
    from matplotlib.patches import Patch

    tall = is_tall(wards)
    fig, ax = (plt.subplots(figsize=(3.8, 6.6), layout="constrained") if tall
               else plt.subplots(figsize=(7.0, 4.6)))
    values = wards[metric.column] if metric.column in wards else pd.Series(np.nan,
                                                                          index=wards.index)
    colours, lg = maps.classify(values, metric, wards.get("status"))
    wards.plot(ax=ax, color=colours, edgecolor="white", linewidth=0.4)
    thin = np.array([c == maps.NOT_ENOUGH for c in colours])
    if thin.any():
        wards[thin].plot(ax=ax, facecolor="none", edgecolor=maps.HATCH, hatch="////", lw=0)
    extra, lit = [], None
    if outline and outline in wards:
        lit = wards[outline].astype("boolean")
        hi = wards[lit.fillna(False).to_numpy(bool)]
        if len(hi):
            hi.boundary.plot(ax=ax, color=maps.SUPPLIER_COLOURS["council"], linewidth=1.8)
            extra.append(Patch(facecolor="none", edgecolor=maps.SUPPLIER_COLOURS["council"],
                               linewidth=1.8, label=outline_label))
    _label_areas(ax, wards, lit)
    ax.set_axis_off()
    ax.set_aspect(1 / np.cos(np.radians(float(np.mean(wards.total_bounds[[1, 3]])))))
    ax.set_title(_wrap(title, 40) if tall else title, fontsize=9)
    where = ({"loc": "upper center", "bbox_to_anchor": (0.5, 0.0), "ncol": 2} if tall else
             {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0)})
    ax.legend(handles=_legend_handles(lg, extra), title=_wrap(lg.title, 40), fontsize=6.5,
              title_fontsize=7, frameon=False, **where)
    return _png(fig, tight=not tall)  # tall maps side by side: the same size each


def is_tall(areas) -> bool:
    """Taller than wide on the map (Manchester): maps go side by side, legends below."""
    x0, y0, x1, y1 = (float(v) for v in areas.total_bounds)
    return (y1 - y0) > (x1 - x0) * np.cos(np.radians((y0 + y1) / 2))
