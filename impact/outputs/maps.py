"""pydeck maps of one council: a ward choropleth, supplier points and the council outline.

Built here, not in the app, so they can be tested without a browser.  Choices that matter:

* only the council's wards are sent (hundreds of polygons, simplified to 5 decimals by
  :func:`impact.places.boundaries.display_geometry`): the deck is re-sent on every rerun;
* colour-blind-safe sequential palettes (viridis, cividis), darker = more spend / more
  deprived, with a :class:`Legend` returned beside the deck so the app can draw it and a
  table can show the same numbers;
* tooltips: the markup lives only in the template (:data:`TOOLTIP_HTML`), each value
  in its own field (``t_title``, ``t_1`` … ``t_4``).  Values are ``html.escape``-d here
  unless the renderer escapes interpolated values itself (Streamlit ≥ 1.67 does: a value
  escaped twice would show ``&amp;``), see :func:`tooltip_fields`;
* every pickable layer has an explicit ``id`` (``wards``, ``suppliers``) so a click can be
  read back from Streamlit's ``on_select`` event (:func:`selected_ward`);
* Carto's light basemap needs no token.
"""

from __future__ import annotations

import html
import json
import math
import weakref
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from impact.analysis import metrics
from impact.analysis.measures import NOT_ENOUGH_DATA, pct
from impact.core.cache import Memo

#: Sequential schemes from matplotlib's perceptually uniform, colour-blind-safe colormaps
#: (viridis family): light = less, dark = more.  ``tests/test_maps.py`` checks that adjacent
#: classes stay apart under simulated deuteranopia and protanopia (colorspacious).
SEQUENTIAL_CMAP = "viridis"
#: IoD deciles: decile 1 (most deprived) darkest.  Ten viridis steps, so deciles 1, 3, 4 and 5
#: are clearly distinct (cividis' middle deciles were near-identical slate).
DECILE_CMAP = "viridis"
#: Classes of real values on a map (Fisher–Jenks natural breaks, ArcGIS' default).
N_CLASSES = 5
NO_DATA = "#d9d9d9"
#: A ward with no placed spend, with enough coverage to say so: white, outlined.
NO_SPEND = "#ffffff"
#: A ward whose figure rests on too little placed spend: grey, hatched in every renderer.
NOT_ENOUGH = "#bdbdbd"
HATCH = "#6e6e6e"
NO_SPEND_LABEL = "no spend placed here"
OUTLINE = [20, 20, 20, 220]
SELECTED = [0, 0, 0, 255]
#: Neighbouring authorities (light grey) so the map reads without the basemap.
CONTEXT_FILL, CONTEXT_LINE, CONTEXT_TEXT = [236, 236, 236, 255], [170, 170, 170, 255], [
    110, 110, 110, 255]
LABEL_FONT = "'Source Sans Pro', 'Source Sans 3', 'Helvetica Neue', Arial, sans-serif"
SUPPLIER_COLOURS = {  # Okabe–Ito
    "council": "#D55E00",
    "region": "#0072B2",
    "elsewhere": "#999999",
}
#: Supplier points in screen pixels (area ∝ £), so they stay legible at every zoom.
POINT_PX = (3.0, 14.0)
WARD_LAYER, SUPPLIER_LAYER, OUTLINE_LAYER = "wards", "suppliers", "council-outline"
CONTEXT_LAYER, LABEL_LAYER, HATCH_LAYER = "neighbours", "ward-labels", "not-enough-data"
#: Said under every interactive map: true whether or not the street basemap loaded.
BASEMAP_NOTE = (
    "Street basemap © CARTO, © OpenStreetMap contributors. It needs internet access: where it "
    "cannot load (offline, or blocked by a council network) the wards, their names and the "
    "neighbouring councils (grey) still show."
)
#: Tooltip fields: a bold title and up to four lines.  Every record of every pickable layer
#: carries all of them (a missing field would show as a literal ``{t_3}``).
TOOLTIP_FIELDS = ("t_title", "t_1", "t_2", "t_3", "t_4")
#: The only markup in a tooltip; values are interpolated as text into it.
TOOLTIP_HTML = (
    "<b>{t_title}</b><div>{t_1}</div><div>{t_2}</div><div>{t_3}</div><div>{t_4}</div>"
)
TOOLTIP = {"html": TOOLTIP_HTML, "style": {"fontSize": "13px", "maxWidth": "300px"}}


@dataclass(frozen=True)
class MapMetric:
    """A ward measure the choropleth can show; ``placed``: it rests on placed spend (so a
    ward's status decides "no spend" or "not enough data" instead of £0)."""

    column: str
    label: str
    kind: str  # "money", "count", "decile", "score", "rank", "share"
    higher_is_darker: bool = True
    note: str = ""
    placed: bool = False


METRICS: dict[str, MapMetric] = {
    "spend": MapMetric("spend", "£ received by suppliers based in the ward", "money",
                       placed=True),
    "spend_per_resident": MapMetric("spend_per_resident", "£ received per resident", "money",
                                    placed=True),
    "local_suppliers": MapMetric("local_suppliers", "Suppliers based in the ward", "count",
                                 placed=True),
    "worst_decile": MapMetric(
        "worst_decile",
        "IoD 2025: most deprived LSOA decile in the ward",
        "decile",
        note="Decile 1 = among the 10% most deprived neighbourhoods in England.",
    ),
    "share_pop_decile1_2": MapMetric(
        "share_pop_decile1_2", "IoD 2025: residents in the most deprived 20% of LSOAs", "share"
    ),
    "imd_score": MapMetric(
        "imd_score",
        "IoD 2025: IMD score (population-weighted)",
        "score",
        note="Higher score = more deprived.",
    ),
    **{
        f"{d}_score": MapMetric(
            f"{d}_score",
            f"IoD 2025: {d.capitalize()} domain score",
            "score",
            note="Higher score = more deprived.",
        )
        for d in ("income", "employment", "education", "health", "crime", "housing", "environment")
    },
    "imd2019_rank": MapMetric(
        "imd2019_rank",
        "IoD 2019: IMD rank (population-weighted mean)",
        "rank",
        higher_is_darker=False,
        note="Rank 1 = most deprived. Bridged from LSOA 2011; not comparable with 2025 ranks.",
    ),
}


@dataclass
class Legend:
    """What the colours mean: ``items`` are ``(hex colour, label)``, real classes light to
    dark then the special classes; labels in ``hatched`` are drawn hatched."""

    title: str
    items: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    hatched: tuple[str, ...] = ()


def palette(n: int, cmap: str = SEQUENTIAL_CMAP, span: tuple[float, float] = (0.98, 0.08)
            ) -> list[str]:
    """``n`` colours of a matplotlib colormap from ``span[0]`` to ``span[1]``: light to dark
    (viridis' yellow end first).  By default the darkest 8 % is left out so outlines and
    labels stay visible on every class."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cm = colormaps[cmap]
    if n <= 1:
        return [to_hex(cm(0.55))]
    return [to_hex(cm(x)) for x in np.linspace(span[0], span[1], n)]


#: Decile 1 (most deprived, darkest) … decile 10 (lightest): viridis 0–0.92, whose adjacent
#: steps stay ≥ 6.6 ΔE (CAM02-UCS) apart under simulated deuteranopia and protanopia.
DECILE_COLOURS = tuple(palette(10, DECILE_CMAP, (0.92, 0.0))[::-1])


def available_metrics(wards: pd.DataFrame) -> dict[str, MapMetric]:
    """The metrics whose column exists and has at least one value in ``wards``."""
    return {
        k: m
        for k, m in METRICS.items()
        if m.column in wards.columns
        and pd.to_numeric(wards[m.column], errors="coerce").notna().any()
    }


def _hex_rgb(h: str, alpha: int = 225) -> list[int]:
    h = h.lstrip("#")
    return [int(h[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def format_value(v: object, kind: str) -> str:
    """A value as a tooltip or table shows it (−£540, not £-540)."""
    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return "no data"
    x = float(v)
    if kind == "money":
        sign = "−" if x < 0 else ""
        return f"{sign}£{abs(x):,.0f}" if abs(x) < 1e6 else f"{sign}£{abs(x) / 1e6:,.2f}m"
    if kind in ("count", "decile", "rank"):
        return f"{x:,.0f}"
    if kind == "share":
        return f"{100 * x:.0f}%"
    return f"{x:,.2f}"


def short_value(x: float, kind: str) -> str:
    """A class break as a legend prints it: £240k, £1.2m, 35%, 12.5."""
    if kind == "money":
        a = abs(x)
        sign = "−" if x < 0 else ""
        if a >= 1e6:
            return f"{sign}£{a / 1e6:,.{1 if a < 1e7 else 0}f}m"
        if a >= 1e4:
            return f"{sign}£{a / 1e3:,.0f}k"
        return f"{sign}£{a:,.{2 if 0 < a < 10 else 0}f}"
    if kind == "share":
        return f"{100 * x:.0f}%"
    if kind in ("count", "rank", "decile"):
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def _nice(x: float) -> float:
    """``x`` rounded up to two significant figures (a legend reads 240k, not 241,278)."""
    if x == 0 or not np.isfinite(x):
        return x
    step = 10 ** (math.floor(math.log10(abs(x))) - 1)
    return math.ceil(x / step) * step


def class_breaks(values: np.ndarray, k: int = N_CLASSES) -> np.ndarray:
    """Upper bounds of up to ``k`` classes of ``values`` (Fisher–Jenks natural breaks),
    rounded to two significant figures; the last is the maximum."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    uniq = np.unique(v)
    if len(uniq) <= k:
        return uniq
    bins = natural_breaks(np.sort(v), k)
    nice = [_nice(b) for b in bins[:-1]] + [float(v.max())]
    return np.unique(np.minimum(nice, v.max()))


def natural_breaks(x: np.ndarray, k: int) -> np.ndarray:
    """Fisher–Jenks natural breaks of the sorted ``x``: the upper bound of each of ``k``
    classes, chosen so the squared deviations within classes are least (Fisher 1958, by
    dynamic programming; ties go to the class that starts earliest, as mapclassify's).

    Why here and not mapclassify: importing it (scipy.stats, scikit-learn) cost a page's
    first visit seconds, for a few dozen wards' breaks.
    """
    n = len(x)
    s1, s2 = np.concatenate(([0.0], np.cumsum(x))), np.concatenate(([0.0], np.cumsum(x * x)))
    start = np.ones((n + 1, k + 1), dtype=int)  # first value (1-based) of the last class
    cost = np.full((n + 1, k + 1), np.inf)
    cost[0, 0] = 0.0
    for last in range(1, n + 1):
        first = np.arange(1, last + 1)  # the last class is x[first-1 .. last-1]
        w = last - first + 1
        ssd = (s2[last] - s2[first - 1]) - (s1[last] - s1[first - 1]) ** 2 / w
        for j in range(1, k + 1):
            total = cost[first - 1, j - 1] + ssd
            best = int(np.argmin(total))  # ties: the earliest start
            cost[last, j], start[last, j] = total[best], first[best]
    bounds, end = [], n
    for j in range(k, 0, -1):
        bounds.append(float(x[end - 1]))
        end = int(start[end, j]) - 1
    return np.array(bounds[::-1])


def _class_labels(lo: float, bins: np.ndarray, kind: str) -> list[str]:
    """"£240k – £410k" per class; a one-value class is just its value."""
    labels, prev = [], lo
    for b in bins:
        a, z = short_value(prev, kind), short_value(b, kind)
        labels.append(a if a == z else f"{a} – {z}")
        prev = b
    return labels


def _decile_classes(x: pd.Series, legend: Legend) -> list[str]:
    colours = [NO_DATA] * len(x)
    for i, v in enumerate(x):
        if np.isfinite(v) and 1 <= v <= 10:
            colours[i] = DECILE_COLOURS[int(v) - 1]
    legend.items = [(DECILE_COLOURS[d - 1], f"decile {d}" + (" (most deprived)" if d == 1
                                                               else ""))
                    for d in range(1, 11) if (x == d).any()]
    return colours


def _value_classes(x: pd.Series, real: np.ndarray, metric: MapMetric, legend: Legend
                   ) -> list[str]:
    """Colours of the ``real`` values in natural-break classes; the legend's items."""
    colours = [NO_DATA] * len(x)
    ok = x[real]
    if ok.empty:
        return colours
    bins = class_breaks(ok.to_numpy(), N_CLASSES)
    pal = palette(len(bins))
    if not metric.higher_is_darker:
        pal = pal[::-1]
    idx = np.clip(np.searchsorted(bins, x.to_numpy(), side="left"), 0, len(bins) - 1)
    for i in np.flatnonzero(real):
        colours[i] = pal[idx[i]]
    legend.items = list(zip(pal, _class_labels(float(ok.min()), bins, metric.kind),
                            strict=True))
    return colours


def classify(values: pd.Series, metric: MapMetric, status: pd.Series | None = None
             ) -> tuple[list[str], Legend]:
    """A colour per value and the legend that names every class.

    Deciles are categories; other values fall in natural-break classes.  For a ``placed``
    metric, wards without placed spend are never a £0 class: ``status`` (from
    :func:`impact.analysis.metrics.spend_by_ward`) makes them "no spend placed here" or
    "not enough data" (hatched), each its own legend entry; a value with no status that is
    0 counts as no spend.  Missing values are "no data".
    """
    x = pd.to_numeric(values, errors="coerce").astype(float).reset_index(drop=True)
    legend = Legend(title=metric.label, note=metric.note)
    if metric.kind == "decile":
        colours = _decile_classes(x, legend)
    else:
        st = (pd.Series(status, dtype="string").reset_index(drop=True)
              if status is not None and metric.placed else pd.Series(pd.NA, index=x.index,
                                                                     dtype="string"))
        thin = st.eq(NOT_ENOUGH_DATA).fillna(False).to_numpy(bool)
        none = ~thin & (st.eq(metrics.WARD_NONE).fillna(False).to_numpy(bool)
                        | (metric.placed & (x == 0)).to_numpy(bool))
        real = np.isfinite(x.to_numpy()) & ~thin & ~none
        colours = _value_classes(x, real, metric, legend)
        for mask, colour, label in ((none, NO_SPEND, NO_SPEND_LABEL),
                                    (thin, NOT_ENOUGH, NOT_ENOUGH_DATA)):
            for i in np.flatnonzero(mask):
                colours[i] = colour
            if mask.any():
                legend.items.append((colour, label))
        if thin.any():
            legend.hatched = (NOT_ENOUGH_DATA,)
        x = x.where(~(thin | none), 0.0)  # their own classes, not "no data"
    if x.isna().any():
        legend.items.append((NO_DATA, "no data"))
    return colours, legend


def _rings(geom: shapely.Geometry) -> list[list[list[list[float]]]]:
    """Each polygon part as ``[outer ring, *holes]`` of ``[lon, lat]`` lists."""
    out = []
    for part in shapely.get_parts(geom):
        if shapely.get_type_id(part) != 3 or part.is_empty:
            continue
        rings = [np.round(np.asarray(part.exterior.coords)[:, :2], 5).tolist()]
        rings += [np.round(np.asarray(r.coords)[:, :2], 5).tolist() for r in part.interiors]
        out.append(rings)
    return out


def _merc_y(lat: float) -> float:
    """Web-Mercator y of a latitude, in world units (0–1 for the whole world)."""
    phi = math.radians(float(np.clip(lat, -85.0, 85.0)))
    return math.log(math.tan(math.pi / 4 + phi / 2)) / (2 * math.pi)


def view_for(
    gdf: gpd.GeoDataFrame | None,
    width_px: int = 600,
    height_px: int = 450,
    padding: float = 0.03,
) -> pdk.ViewState:
    """A view that fits ``gdf``'s bounds into a ``width_px`` × ``height_px`` map.

    The zoom is the largest at which both spans fit (deck.gl: the world is 512·2^zoom
    pixels wide in Web Mercator), less ``padding`` on each side; England when empty.
    """
    if gdf is None or len(gdf) == 0:
        return pdk.ViewState(latitude=52.8, longitude=-1.6, zoom=5.2)
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    dx = max((x1 - x0) / 360.0, 1e-6)
    dy = max(abs(_merc_y(y1) - _merc_y(y0)), 1e-6)
    usable = 1.0 - 2 * padding
    zoom = math.log2(min(width_px * usable / (512 * dx), height_px * usable / (512 * dy)))
    centre_y = (_merc_y(y0) + _merc_y(y1)) / 2
    lat = math.degrees(2 * math.atan(math.exp(centre_y * 2 * math.pi)) - math.pi / 2)
    return pdk.ViewState(
        latitude=round(lat, 5),
        longitude=round((x0 + x1) / 2, 5),
        zoom=round(float(np.clip(zoom, 3, 16)), 2),
    )


def tooltip_fields(title: object, lines: list[str], *, escape: bool = True) -> dict[str, str]:
    """The :data:`TOOLTIP_FIELDS` of one record: ``title`` and up to four ``lines``.

    ``escape`` html-escapes every value (text from files included); pass False only when
    the renderer escapes interpolated values itself, as Streamlit ≥ 1.67 does for
    ``tooltip["html"]`` (PR streamlit#15820), else names with ``&`` would show ``&amp;``.
    """
    values = [str(title), *[str(v) for v in lines[: len(TOOLTIP_FIELDS) - 1]]]
    values += [""] * (len(TOOLTIP_FIELDS) - len(values))
    if escape:
        values = [html.escape(v) for v in values]
    return dict(zip(TOOLTIP_FIELDS, values, strict=True))


@dataclass(frozen=True)
class MapFrame:
    """What every map of the council draws around its areas, and how big it is.

    ``neighbours``: the districts around it (:func:`impact.places.councils.
    neighbouring_districts`), grey, so the map reads without the street basemap;
    ``labels``: area names on the map, ``label_px`` high (larger for a projector);
    ``selected``: an area code outlined in black; ``width``/``height``: the map's size in
    pixels, to fit the view to the council.
    """

    neighbours: gpd.GeoDataFrame | None = None
    labels: bool = True
    label_px: int = 13
    selected: str | None = None
    width: int = 900
    height: int = 560
    view: pdk.ViewState | None = None


def with_figures(wards: gpd.GeoDataFrame, figures: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """``wards`` with the per-ward columns of ``figures`` (e.g. :func:`impact.analysis.
    metrics.spend_by_ward`) joined on ``code``."""
    w = wards.copy()
    if figures is not None and len(figures):
        extra = [c for c in figures.columns if c not in w.columns or c == "code"]
        w = w.merge(figures[extra], on="code", how="left")
    return w


def _status(w: pd.DataFrame) -> pd.Series | None:
    return w.get("status")


def ward_lines(d: dict, metric: MapMetric, value: object) -> list[str]:
    """A ward's tooltip (and panel) lines: the value or why there is none, what it rests on
    (the placed share), the range unplaced spend allows, and context."""
    status = d.get("status")
    cov = d.get("coverage")
    cov_text = (f"rests on the {pct(cov)} of spend placed at ward level"
                if isinstance(cov, float) and np.isfinite(cov) else "")
    if metric.placed and status == NOT_ENOUGH_DATA:
        lines = [f"{metric.label}: not enough data",
                 f"No supplier placed here, and only {pct(cov)} of spend is placed "
                 "at ward level"]
    elif metric.placed and status == metrics.WARD_NONE:
        lines = [f"{metric.label}: none placed here", cov_text.capitalize()]
    else:
        lines = [f"{metric.label}: {format_value(value, metric.kind)}"]
        if metric.placed and cov_text:
            lines.append(cov_text.capitalize())
        up = d.get("spend_upper")
        if metric.placed and isinstance(up, float) and up > float(d.get("spend") or 0) + 0.5:
            lines.append(f"£ received: {format_value(d.get('spend'), 'money')} to "
                         f"{format_value(up, 'money')} if unplaced spend is here")
    if "worst_decile" in d and metric.column != "worst_decile":
        lines.append(f"Most deprived LSOA decile: {format_value(d['worst_decile'], 'decile')}")
    return [ln for ln in lines if ln]


def ward_records(
    wards: gpd.GeoDataFrame,
    figures: pd.DataFrame | None,
    metric: MapMetric,
    *,
    escape: bool = True,
) -> tuple[list[dict], Legend]:
    """One record per polygon part: ``code``, ``polygon``, ``fill`` and the tooltip fields."""
    w = with_figures(wards, figures)
    values = w[metric.column] if metric.column in w else pd.Series(np.nan, index=w.index)
    colours, legend = classify(values, metric, _status(w))
    recs = []
    for i, row in enumerate(w.itertuples(index=False)):
        d = row._asdict()
        tip = tooltip_fields(d.get("name") or d["code"], ward_lines(d, metric, values.iloc[i]),
                             escape=escape)
        recs += [{"code": str(d["code"]), "polygon": rings, "fill": _hex_rgb(colours[i]),
                  **tip} for rings in _rings(d["geometry"])]
    return recs, legend


def _point_px(spend: np.ndarray) -> np.ndarray:
    """Point radius in pixels: area ∝ £, between :data:`POINT_PX`."""
    lo, hi = POINT_PX
    top = float(spend.max()) if len(spend) else 1.0
    return lo + (hi - lo) * np.sqrt(spend / top) if top > 0 else np.full(len(spend), lo)


def _text(v: object) -> str:
    return v if isinstance(v, str) else ""


def supplier_records(
    suppliers: pd.DataFrame, max_points: int = 3000, *, escape: bool = True
) -> list[dict]:
    """Placed suppliers as points sized by spend (area ∝ £, in pixels), with tooltips.

    Semi-transparent so the wards stay readable underneath; ``key`` is the supplier key so
    a click can be read back (:func:`selected_supplier`).
    """
    s = suppliers.dropna(subset=["lat", "long"])
    s = s[pd.to_numeric(s["spend"], errors="coerce") > 0]
    s = s.sort_values("spend", ascending=False).head(max_points)
    if s.empty:
        return []
    radius = _point_px(s["spend"].to_numpy(float))
    recs = []
    for r, row in zip(radius, s.itertuples(index=False), strict=True):
        band = str(getattr(row, "where", "elsewhere"))
        colour = SUPPLIER_COLOURS.get(band, SUPPLIER_COLOURS["elsewhere"])
        place = _text(getattr(row, "ward", None)) or _text(getattr(row, "district", None))
        postcode = _text(getattr(row, "postcode", None))
        recs.append(
            {
                "key": str(getattr(row, "supplier_key", "") or ""),
                "position": [round(float(row.long), 5), round(float(row.lat), 5)],
                "radius": round(float(r), 1),
                "fill": _hex_rgb(colour, 150),
                **tooltip_fields(
                    row.supplier,
                    [f"paid {format_value(float(row.spend), 'money')}",
                     f"{place} {postcode}".strip()],
                    escape=escape,
                ),
            }
        )
    return recs


def outline_paths(wards: gpd.GeoDataFrame) -> list[dict]:
    """The council boundary (union of its wards) as paths."""
    if len(wards) == 0:
        return []
    union = shapely.union_all(wards.geometry.to_numpy())
    paths = []
    for part in shapely.get_parts(union):
        if shapely.get_type_id(part) == 3:
            paths.append({"path": np.round(np.asarray(part.exterior.coords)[:, :2], 5).tolist()})
    return paths


def hatch_lines(geoms: list, spacing: float) -> list[np.ndarray]:
    """Diagonal hatching of each polygon: 45° lines ``spacing`` apart clipped to it, as
    ``(n, 2)`` coordinate arrays (deck.gl paths, SVG polylines)."""
    out: list[np.ndarray] = []
    for g in geoms:
        if g is None or g.is_empty or spacing <= 0:
            continue
        x0, y0, x1, y1 = g.bounds
        c = np.arange(y0 - x1, y1 - x0 + spacing, spacing)
        lines = shapely.linestrings(np.stack([np.stack([np.full_like(c, x0), x0 + c], 1),
                                              np.stack([np.full_like(c, x1), x1 + c], 1)], 1))
        for part in shapely.get_parts(shapely.intersection(lines, g)):
            if shapely.get_type_id(part) == 1 and not part.is_empty:
                out.append(np.round(np.asarray(part.coords)[:, :2], 5))
    return out


def hatch_spacing(areas: gpd.GeoDataFrame, per_extent: float = 70.0) -> float:
    """Hatch spacing in degrees: the council's larger extent over ``per_extent``."""
    x0, y0, x1, y1 = (float(v) for v in areas.total_bounds)
    return max(x1 - x0, y1 - y0) / per_extent


def label_records(areas: gpd.GeoDataFrame) -> list[dict]:
    """One label per area at a point inside it (its representative point), every area."""
    return _label_candidates(areas)[0]


#: The Web-Mercator sphere's radius (EPSG:3857), metres.
_MERCATOR_R = 6_378_137.0


def _to_mercator(lonlat: np.ndarray) -> np.ndarray:
    """EPSG:3857 metres of ``(n, 2)`` lon/lat degrees (the spherical formulas pyproj uses)."""
    lat = np.radians(np.clip(lonlat[:, 1], -85.06, 85.06))
    return np.column_stack((np.radians(lonlat[:, 0]) * _MERCATOR_R,
                            _MERCATOR_R * np.log(np.tan(np.pi / 4 + lat / 2))))


def mercator_areas(areas: gpd.GeoDataFrame) -> np.ndarray:
    """Each area's size in Web-Mercator m² (the labels' priority); the geometry's own units
    when it has no CRS.  Lon/lat is projected with numpy: ``to_crs(3857)`` gave the same
    sizes (to 1e-12) but cost ~0.1–0.2 s of pyproj set-up on every map drawn."""
    crs = areas.crs
    if crs is None:
        return areas.geometry.area.to_numpy()
    if _GEOGRAPHIC.once(crs.srs, lambda: crs.is_geographic):
        return shapely.area(shapely.transform(areas.geometry.to_numpy(), _to_mercator))
    return areas.to_crs(3857).geometry.area.to_numpy()


#: Whether a CRS (by its definition) is lon/lat.  Asked once per process: each of
#: Streamlit's script threads otherwise sets up its own PROJ context for it (≈ 30 ms).
_GEOGRAPHIC: Memo[str, bool] = Memo("geographic CRS")


def _label_candidates(areas: gpd.GeoDataFrame) -> tuple[list[dict], np.ndarray]:
    """Label records and each one's area (Web-Mercator m², the thinning's priority)."""
    if len(areas) == 0:
        return [], np.zeros(0)
    geoms = areas.geometry.to_numpy()
    pts = shapely.point_on_surface(geoms)
    names = (areas["name"] if "name" in areas else areas["code"]).to_numpy()
    sizes = mercator_areas(areas)
    ok = [isinstance(n, str) and bool(n) and not p.is_empty for n, p in zip(names, pts,
                                                                             strict=True)]
    # Glyphs drawn in WebGL, never HTML; a leading "@@" would be read by deck.gl's JSON
    # converter as an expression, so it is broken with a zero-width space.
    recs = [{"text": str(n).replace("@@", "@\u200b@"), "position": [round(p.x, 5), round(p.y, 5)]}
            for n, p, k in zip(names, pts, ok, strict=True) if k]
    return recs, sizes[np.asarray(ok, dtype=bool)]


#: A label's box in pixels: each character this share of the text height wide, with the
#: white outline and a little air around it.
_CHAR_WIDTH, _LINE_HEIGHT, _LABEL_AIR = 0.56, 1.25, 3.0
#: Labels are sized in metres at the map's first zoom, so zooming in spreads them apart
#: faster than they grow (up to this many times their size) and none come to overlap;
#: zooming out they shrink to this share of it before they stop.
_LABEL_GROW, _LABEL_SHRINK = 1.5, 0.7


def _world_px(lon: np.ndarray, lat: np.ndarray, zoom: float) -> np.ndarray:
    """Web-Mercator pixel coordinates at ``zoom`` (deck.gl: the world is 512·2^zoom px)."""
    scale = 512 * 2.0 ** zoom
    phi = np.radians(np.clip(lat, -85.0, 85.0))
    y = np.log(np.tan(np.pi / 4 + phi / 2)) / (2 * np.pi)
    return np.column_stack(((lon + 180.0) / 360.0 * scale, (0.5 - y) * scale))


def label_boxes(records: list[dict], size: int, zoom: float) -> np.ndarray:
    """Each label's box (x0, y0, x1, y1) in pixels at ``zoom``, ``size`` px high."""
    if not records:
        return np.zeros((0, 4))
    pos = np.array([r["position"] for r in records], dtype=float)
    xy = _world_px(pos[:, 0], pos[:, 1], zoom)
    half_w = np.array([len(r["text"]) for r in records]) * size * _CHAR_WIDTH / 2 + _LABEL_AIR
    half_h = size * _LINE_HEIGHT / 2 + _LABEL_AIR / 2
    return np.column_stack((xy[:, 0] - half_w, xy[:, 1] - half_h,
                            xy[:, 0] + half_w, xy[:, 1] + half_h))


def thin_labels(records: list[dict], weights: np.ndarray, size: int, zoom: float,
                taken: np.ndarray | None = None) -> tuple[list[dict], np.ndarray]:
    """The labels that fit at ``zoom`` without overlapping one another (or ``taken``
    boxes), the largest area first (``weights``): a city of 680 wards shows the names it
    has room for, not a smear.  Returns the kept records and every kept box so far.

    Why here and not in the browser: deck.gl's collision filter did not thin them.
    """
    boxes = label_boxes(records, size, zoom)
    kept_boxes = [taken] if taken is not None and len(taken) else []
    held = np.concatenate(kept_boxes) if kept_boxes else np.zeros((0, 4))
    keep: list[int] = []
    for i in np.argsort(-np.asarray(weights, dtype=float), kind="stable"):
        b = boxes[i]
        clash = ((held[:, 0] < b[2]) & (held[:, 2] > b[0]) & (held[:, 1] < b[3])
                 & (held[:, 3] > b[1]))
        if not clash.any():
            keep.append(int(i))
            held = np.vstack((held, b))
    return [records[i] for i in sorted(keep)], held


def _labels(areas: gpd.GeoDataFrame, size: int, zoom: float | None,
            taken: np.ndarray | None = None) -> tuple[list[dict], np.ndarray]:
    """:func:`label_records` thinned for ``zoom`` by area size (all of them when no zoom)."""
    recs, weights = _label_candidates(areas)
    if zoom is None or not recs:
        return recs, taken if taken is not None else np.zeros((0, 4))
    return thin_labels(recs, weights, size, zoom, taken)


def _label_layer(records: list[dict], layer_id: str, size: int, colour: list[int],
                 view: pdk.ViewState | None = None) -> pdk.Layer:
    """Area names as WebGL text; with ``view``, sized in metres so they keep apart when
    the map is zoomed (:data:`_LABEL_GROW`, :data:`_LABEL_SHRINK`)."""
    sizing: dict = {"get_size": size, "size_units": "'pixels'"}
    if view is not None:
        metres_per_px = (40_075_016.686 * math.cos(math.radians(float(view.latitude)))
                         / (512 * 2.0 ** float(view.zoom)))
        sizing = {"get_size": round(size * metres_per_px, 2), "size_units": "'meters'",
                  "size_min_pixels": round(size * _LABEL_SHRINK, 1),
                  "size_max_pixels": round(size * _LABEL_GROW, 1)}
    return pdk.Layer(
        "TextLayer", data=records, id=layer_id, get_position="position",
        get_text="text", get_color=colour, **sizing,
        font_family=f'"{LABEL_FONT}"', font_weight=600, character_set="'auto'",
        font_settings={"sdf": True}, outline_width=3, outline_color=[255, 255, 255, 235],
        get_text_anchor="'middle'", get_alignment_baseline="'center'", pickable=False)


def _context_layers(frame: MapFrame, taken: np.ndarray | None = None) -> list[pdk.Layer]:
    """Neighbouring districts in light grey, with the names that fit beside ``taken``."""
    n = frame.neighbours
    if n is None or len(n) == 0:
        return []
    recs = [{"polygon": rings} for g in n.geometry for rings in _rings(g)]
    view = frame.view
    names, _ = _labels(n, 12, view.zoom if view is not None else None, taken)
    return [
        pdk.Layer("PolygonLayer", data=recs, id=CONTEXT_LAYER, get_polygon="polygon",
                  get_fill_color=CONTEXT_FILL, get_line_color=CONTEXT_LINE,
                  line_width_min_pixels=1, stroked=True, filled=True, pickable=False),
        _label_layer(names, f"{CONTEXT_LAYER}-labels", 12, CONTEXT_TEXT, view),
    ]


def area_layers(areas: gpd.GeoDataFrame, recs: list[dict], frame: MapFrame,
                hatched: list[str] = ()) -> list[pdk.Layer]:
    """The layers every area map shares, bottom to top: neighbours, the areas (``recs``,
    pickable), hatching over ``hatched`` codes, the council outline, the selected area and
    the area names: those that fit at the frame's view (:func:`thin_labels`), the
    neighbours' where the areas' leave room."""
    view = frame.view
    names, taken = _labels(areas, frame.label_px, view.zoom if view is not None else None)
    layers = [*_context_layers(frame, taken), pdk.Layer(
        "PolygonLayer", data=recs, id=WARD_LAYER, get_polygon="polygon",
        get_fill_color="fill", get_line_color=[120, 120, 120, 200], line_width_min_pixels=1,
        stroked=True, filled=True, pickable=True, auto_highlight=True)]
    if len(hatched):
        geoms = areas.loc[areas["code"].astype(str).isin(hatched)].geometry.tolist()
        paths = [{"path": p.tolist()} for p in hatch_lines(geoms, hatch_spacing(areas))]
        layers.append(pdk.Layer("PathLayer", data=paths, id=HATCH_LAYER, get_path="path",
                                get_color=_hex_rgb(HATCH, 200), width_min_pixels=1,
                                pickable=False))
    layers.append(pdk.Layer("PathLayer", data=outline_paths(areas), id=OUTLINE_LAYER,
                            get_path="path", get_color=OUTLINE, width_min_pixels=2.5,
                            pickable=False))
    sel = areas[areas["code"].astype(str) == str(frame.selected)] if frame.selected else None
    if sel is not None and len(sel):
        layers.append(pdk.Layer("PathLayer", data=outline_paths(sel), id="selected",
                                get_path="path", get_color=SELECTED, width_min_pixels=4,
                                pickable=False))
    if frame.labels:
        layers.append(_label_layer(names, LABEL_LAYER, frame.label_px, [25, 25, 25, 255],
                                   view))
    return layers


class Deck(pdk.Deck):
    """A pydeck deck whose JSON is written once, without indentation.

    ``st.pydeck_chart`` calls :meth:`to_json` on every script run; pydeck writes it with
    ``indent=2`` (a ward map's polygons: most of a page's CPU and bytes).  A deck built once
    per dataset and view (``st.cache_resource`` in the views) is therefore serialised once,
    and the browser gets the same spec, smaller.  Never changed after it is drawn.
    """

    def to_json(self) -> str:
        spec = _SPECS.get(self)
        if spec is None:
            spec = _SPECS[self] = json.dumps(self, sort_keys=True, default=default_serialize,
                                             separators=(",", ":"))
        return spec


#: Each :class:`Deck`'s JSON, held beside it (not in it: pydeck writes every attribute).
_SPECS: weakref.WeakKeyDictionary[Deck, str] = weakref.WeakKeyDictionary()


def area_deck(areas: gpd.GeoDataFrame, recs: list[dict], frame: MapFrame,
              extra: list[pdk.Layer] = (), hatched: list[str] = ()) -> pdk.Deck:
    """A deck of ``areas`` (records from :func:`ward_records` or a category map) fitted to
    the council, with ``extra`` layers (supplier points) over the areas, under the labels."""
    if frame.view is None:
        frame = replace(frame, view=view_for(areas, frame.width, frame.height))
    layers = area_layers(areas, recs, frame, hatched)
    top = [la for la in layers if la.id == LABEL_LAYER]
    layers = [la for la in layers if la.id != LABEL_LAYER] + list(extra) + top
    return Deck(
        layers=layers,
        initial_view_state=frame.view,
        map_provider="carto",
        map_style=pdk.map_styles.LIGHT,
        tooltip=TOOLTIP,
        height=frame.height,
    )


def _supplier_layer(points: list[dict], pickable: bool) -> pdk.Layer:
    return pdk.Layer(
        "ScatterplotLayer", data=points, id=SUPPLIER_LAYER, get_position="position",
        get_radius="radius", radius_units="'pixels'", get_fill_color="fill",
        radius_min_pixels=POINT_PX[0], radius_max_pixels=POINT_PX[1] + 2, stroked=True,
        get_line_color=[255, 255, 255, 200], line_width_min_pixels=0.75, pickable=pickable,
        auto_highlight=pickable)


def ward_deck(
    wards: gpd.GeoDataFrame,
    metric: str = "spend",
    figures: pd.DataFrame | None = None,
    suppliers: pd.DataFrame | None = None,
    view: pdk.ViewState | None = None,
    height: int = 560,
    *,
    pick_suppliers: bool = False,
    escape: bool = True,
    frame: MapFrame | None = None,
) -> tuple[pdk.Deck, Legend]:
    """The explorer's map: ward choropleth of ``metric``, supplier points, council outline,
    ward names and (``frame.neighbours``) the districts around it.

    ``figures`` adds per-ward columns (e.g. :func:`impact.analysis.metrics.spend_by_ward`, whose
    ``status`` keeps "not enough data" apart from £0) to ``wards``; ``suppliers`` is a
    :func:`impact.analysis.metrics.supplier_summary` table with ``lat``/``long`` (or None).  Points
    are not pickable unless ``pick_suppliers`` (else a click near the town centre would land
    on a point instead of the ward).  ``escape``: see :func:`tooltip_fields`.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown map metric {metric!r}; choose one of {', '.join(METRICS)}")
    if frame is None:
        frame = MapFrame(height=height, view=view)
    elif view is not None:
        frame = replace(frame, view=view)
    m = METRICS[metric]
    recs, legend = ward_records(wards, figures, m, escape=escape)
    w = with_figures(wards, figures)
    hatched = (w.loc[w["status"].eq(NOT_ENOUGH_DATA).fillna(False), "code"].astype(str)
               .tolist() if m.placed and "status" in w else [])
    extra = []
    if suppliers is not None:
        pts = supplier_records(suppliers, escape=escape)
        if pts:
            extra.append(_supplier_layer(pts, pick_suppliers))
    return area_deck(wards, recs, frame, extra, hatched), legend


def _svg_projector(w: gpd.GeoDataFrame, width: int, height: int, pad: float = 6.0):
    """A function mapping ``(n, 2)`` lon/lat arrays to SVG pixel arrays (Web Mercator)."""
    x0, y0, x1, y1 = (float(v) for v in w.total_bounds)
    x0, x1 = x0 / 360.0, x1 / 360.0  # Web Mercator world units, like y
    my0, my1 = _merc_y(y0), _merc_y(y1)
    scale = min((width - 2 * pad) / max(x1 - x0, 1e-12), (height - 2 * pad) / max(my1 - my0, 1e-12))
    ox = (width - (x1 - x0) * scale) / 2
    oy = (height - (my1 - my0) * scale) / 2

    def project(coords: np.ndarray) -> np.ndarray:
        lat = np.clip(coords[:, 1], -85.0, 85.0)
        my = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
        return np.stack([np.round(ox + (coords[:, 0] / 360.0 - x0) * scale, 1),
                         np.round(height - oy - (my - my0) * scale, 1)], 1)

    return project


def _svg_points(xy: np.ndarray) -> str:
    return " ".join(f"{a:g},{b:g}" for a, b in xy)


def ward_svg(
    wards: gpd.GeoDataFrame,
    metric: str = "spend",
    figures: pd.DataFrame | None = None,
    width: int = 440,
    height: int = 330,
) -> tuple[str, Legend]:
    """A static SVG choropleth of the wards (Web Mercator), with a ``<title>`` tooltip each;
    wards with "not enough data" are hatched.

    For overview pages: no WebGL and no 3 MB deck.gl bundle to load before the page's first
    paint.  Every text from a file is ``html.escape``-d; the SVG has no scripts or links.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown map metric {metric!r}; choose one of {', '.join(METRICS)}")
    m = METRICS[metric]
    w = with_figures(wards, figures)
    values = w[m.column] if m.column in w else pd.Series(np.nan, index=w.index)
    colours, legend = classify(values, m, _status(w))
    if len(w) == 0:
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"/>', legend
    project = _svg_projector(w, width, height)
    paths, hatched = [], []
    for i, row in enumerate(w.itertuples(index=False)):
        d = "".join(
            f"M{_svg_points(project(np.asarray(r.coords)[:, :2]))}Z"
            for part in shapely.get_parts(row.geometry)
            if shapely.get_type_id(part) == 3 and not part.is_empty
            for r in (part.exterior, *part.interiors)
        )
        name = getattr(row, "name", None) or row.code
        lines = ward_lines(row._asdict(), m, values.iloc[i])
        title = html.escape(f"{name}: " + "; ".join(lines))
        paths.append(f'<path d="{d}" fill="{colours[i]}" fill-rule="evenodd" stroke="#fff" '
                     f'stroke-width="0.8"><title>{title}</title></path>')
        if colours[i] == NOT_ENOUGH:
            hatched.append(row.geometry)
    spacing = hatch_spacing(w, 45.0)
    lines = "".join(f'<polyline points="{_svg_points(project(xy))}"/>'
                    for xy in hatch_lines(hatched, spacing))
    hatch = (f'<g stroke="{HATCH}" stroke-width="0.7" fill="none" pointer-events="none">'
             f"{lines}</g>" if lines else "")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{html.escape(m.label)}">{"".join(paths)}{hatch}'
        "</svg>"
    )
    return svg, legend


def _picked(event: object, layer: str, field_name: str) -> str | None:
    try:
        sel = event["selection"] if isinstance(event, dict) else event.selection  # type: ignore[union-attr]
        objects = sel["objects"] if isinstance(sel, dict) else sel.objects
        picked = objects.get(layer) or []
    except (KeyError, AttributeError, TypeError):
        return None
    if not picked:
        return None
    value = picked[0].get(field_name) if isinstance(picked[0], dict) else None
    return str(value) if value else None


def selected_ward(event: object) -> str | None:
    """The ward code picked in a Streamlit ``on_select`` event, or None."""
    return _picked(event, WARD_LAYER, "code")


def selected_supplier(event: object) -> str | None:
    """The supplier key of a point picked in an ``on_select`` event, or None."""
    return _picked(event, SUPPLIER_LAYER, "key")
