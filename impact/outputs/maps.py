"""pydeck maps of one council: a ward choropleth, supplier points and the council outline.

Built here, not in the app, so they can be tested without a browser.  Choices that matter:

* only the council's wards are sent (hundreds of polygons, simplified to 5 decimals by
  :func:`impact.boundaries.display_geometry`): the deck is re-sent on every rerun;
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
import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

# Sequential palettes, light → dark (matplotlib's viridis / cividis sampled at 7 and 10).
VIRIDIS_7 = ("#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154")
CIVIDIS_10 = (
    "#00224e",
    "#123570",
    "#3b496c",
    "#575d6d",
    "#707173",
    "#8a8779",
    "#a69d75",
    "#c4b56c",
    "#e4cf5b",
    "#fee838",
)  # decile 1 (dark) … decile 10 (light)
NO_DATA = "#d9d9d9"
OUTLINE = [20, 20, 20, 220]
SUPPLIER_COLOURS = {  # Okabe–Ito
    "council": "#D55E00",
    "region": "#0072B2",
    "elsewhere": "#999999",
}
WARD_LAYER, SUPPLIER_LAYER, OUTLINE_LAYER = "wards", "suppliers", "council-outline"
#: Tooltip fields: a bold title and up to four lines.  Every record of every pickable layer
#: carries all of them (a missing field would show as a literal ``{t_3}``).
TOOLTIP_FIELDS = ("t_title", "t_1", "t_2", "t_3", "t_4")
#: The only markup in a tooltip; values are interpolated as text into it.
TOOLTIP_HTML = (
    "<b>{t_title}</b><div>{t_1}</div><div>{t_2}</div><div>{t_3}</div><div>{t_4}</div>"
)
TOOLTIP = {"html": TOOLTIP_HTML, "style": {"fontSize": "12px", "maxWidth": "260px"}}


@dataclass(frozen=True)
class MapMetric:
    """A ward measure the choropleth can show."""

    column: str
    label: str
    kind: str  # "money", "count", "decile", "score", "rank", "share"
    higher_is_darker: bool = True
    note: str = ""


METRICS: dict[str, MapMetric] = {
    "spend": MapMetric("spend", "£ received by suppliers based in the ward", "money"),
    "spend_per_resident": MapMetric("spend_per_resident", "£ received per resident", "money"),
    "local_suppliers": MapMetric("local_suppliers", "Suppliers based in the ward", "count"),
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
    """What the colours mean: ``items`` are ``(hex colour, label)`` from light to dark."""

    title: str
    items: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""


def available_metrics(wards: pd.DataFrame) -> dict[str, MapMetric]:
    """The metrics whose column exists and has at least one value in ``wards``."""
    return {
        k: m
        for k, m in METRICS.items()
        if m.column in wards.columns
        and pd.to_numeric(wards[m.column], errors="coerce").notna().any()
    }


def _hex_rgb(h: str, alpha: int = 190) -> list[int]:
    h = h.lstrip("#")
    return [int(h[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


def format_value(v: object, kind: str) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return "no data"
    x = float(v)
    if kind == "money":
        return f"£{x:,.0f}" if abs(x) < 1e6 else f"£{x / 1e6:,.2f}m"
    if kind in ("count", "decile"):
        return f"{x:,.0f}"
    if kind == "rank":
        return f"{x:,.0f}"
    if kind == "share":
        return f"{100 * x:.0f}%"
    return f"{x:,.2f}"


def classify(values: pd.Series, metric: MapMetric) -> tuple[list[str], Legend]:
    """A colour per value and the legend: deciles as categories, others in quantile classes."""
    x = pd.to_numeric(values, errors="coerce").astype(float)
    colours = [NO_DATA] * len(x)
    legend = Legend(title=metric.label, note=metric.note)
    if metric.kind == "decile":
        for i, v in enumerate(x):
            if np.isfinite(v) and 1 <= v <= 10:
                colours[i] = CIVIDIS_10[int(v) - 1]
        legend.items = [(CIVIDIS_10[d - 1], f"decile {d}") for d in range(1, 11) if (x == d).any()]
        if x.isna().any():
            legend.items.append((NO_DATA, "no data"))
        return colours, legend
    ok = x[np.isfinite(x)]
    if ok.empty:
        legend.items = [(NO_DATA, "no data")]
        return colours, legend
    edges = np.unique(np.quantile(ok, np.linspace(0, 1, len(VIRIDIS_7) + 1)))
    if len(edges) < 2:
        edges = np.array([ok.min(), ok.max() + 1e-9])
    n = len(edges) - 1
    pal = [VIRIDIS_7[round(i * (len(VIRIDIS_7) - 1) / max(n - 1, 1))] for i in range(n)]
    if not metric.higher_is_darker:
        pal = pal[::-1]
    idx = np.clip(np.searchsorted(edges, x.to_numpy(), side="right") - 1, 0, n - 1)
    for i, v in enumerate(x):
        if np.isfinite(v):
            colours[i] = pal[idx[i]]
    legend.items = [
        (
            pal[i],
            f"{format_value(edges[i], metric.kind)} – {format_value(edges[i + 1], metric.kind)}",
        )
        for i in range(n)
    ]
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
    padding: float = 0.06,
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


def ward_records(
    wards: gpd.GeoDataFrame,
    figures: pd.DataFrame | None,
    metric: MapMetric,
    *,
    escape: bool = True,
) -> tuple[list[dict], Legend]:
    """One record per polygon part: ``code``, ``polygon``, ``fill`` and the tooltip fields."""
    w = wards.copy()
    if figures is not None and len(figures):
        extra = [c for c in figures.columns if c not in w.columns or c == "code"]
        w = w.merge(figures[extra], on="code", how="left")
    values = w[metric.column] if metric.column in w else pd.Series(np.nan, index=w.index)
    colours, legend = classify(values, metric)
    recs = []
    for i, row in enumerate(w.itertuples(index=False)):
        d = row._asdict()
        lines = [f"{metric.label}: {format_value(values.iloc[i], metric.kind)}"]
        for col, lab, kind in (
            ("spend", "£ received", "money"),
            ("local_suppliers", "suppliers based here", "count"),
            ("worst_decile", "most deprived LSOA decile", "decile"),
        ):
            if col in d and col != metric.column:
                lines.append(f"{lab}: {format_value(d[col], kind)}")
        tip = tooltip_fields(d.get("name") or d["code"], lines, escape=escape)
        for rings in _rings(d["geometry"]):
            recs.append(
                {
                    "code": str(d["code"]),
                    "polygon": rings,
                    "fill": _hex_rgb(colours[i]),
                    **tip,
                }
            )
    return recs, legend


def supplier_records(
    suppliers: pd.DataFrame, max_points: int = 3000, *, escape: bool = True
) -> list[dict]:
    """Placed suppliers as points sized by spend (area ∝ £), with the tooltip fields.

    Small and semi-transparent so the wards stay readable underneath; ``key`` is the
    supplier key so a click can be read back (:func:`selected_supplier`).
    """
    s = suppliers.dropna(subset=["lat", "long"])
    s = s[pd.to_numeric(s["spend"], errors="coerce") > 0]
    s = s.sort_values("spend", ascending=False).head(max_points)
    if s.empty:
        return []
    top = float(s["spend"].max())
    radius = 15 + 260 * np.sqrt(s["spend"].to_numpy(float) / top)
    recs = []
    for r, row in zip(radius, s.itertuples(index=False), strict=True):
        band = str(getattr(row, "where", "elsewhere"))
        colour = SUPPLIER_COLOURS.get(band, SUPPLIER_COLOURS["elsewhere"])
        place = getattr(row, "ward", None)
        place = place if isinstance(place, str) and place else getattr(row, "district", None)
        place = place if isinstance(place, str) else ""
        postcode = getattr(row, "postcode", None)
        postcode = postcode if isinstance(postcode, str) else ""
        recs.append(
            {
                "key": str(getattr(row, "supplier_key", "") or ""),
                "position": [round(float(row.long), 5), round(float(row.lat), 5)],
                "radius": round(float(r), 1),
                "fill": _hex_rgb(colour, 150),
                **tooltip_fields(
                    row.supplier,
                    [f"paid £{float(row.spend):,.0f}", f"{place} {postcode}".strip()],
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
) -> tuple[pdk.Deck, Legend]:
    """The explorer's map: ward choropleth of ``metric``, supplier points, council outline.

    ``figures`` adds per-ward columns (e.g. :func:`impact.metrics.spend_by_ward`) to
    ``wards``; ``suppliers`` is a :func:`impact.metrics.supplier_summary` table with
    ``lat``/``long`` (or None for no points).  Points are drawn over the wards but are not
    pickable unless ``pick_suppliers`` (else a click near the town centre, where suppliers
    cluster, would land on a point instead of the ward).  ``escape``: see
    :func:`tooltip_fields`.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown map metric {metric!r}; choose one of {', '.join(METRICS)}")
    m = METRICS[metric]
    recs, legend = ward_records(wards, figures, m, escape=escape)
    layers = [
        pdk.Layer(
            "PolygonLayer",
            data=recs,
            id=WARD_LAYER,
            get_polygon="polygon",
            get_fill_color="fill",
            get_line_color=[255, 255, 255, 200],
            line_width_min_pixels=1,
            stroked=True,
            filled=True,
            pickable=True,
            auto_highlight=True,
        )
    ]
    layers.append(
        pdk.Layer(
            "PathLayer",
            data=outline_paths(wards),
            id=OUTLINE_LAYER,
            get_path="path",
            get_color=OUTLINE,
            width_min_pixels=2,
            pickable=False,
        )
    )
    if suppliers is not None:
        pts = supplier_records(suppliers, escape=escape)
        if pts:
            layers.append(
                pdk.Layer(
                    "ScatterplotLayer",
                    data=pts,
                    id=SUPPLIER_LAYER,
                    get_position="position",
                    get_radius="radius",
                    get_fill_color="fill",
                    radius_min_pixels=1.5,
                    radius_max_pixels=12,
                    stroked=True,
                    get_line_color=[255, 255, 255, 160],
                    line_width_min_pixels=0.5,
                    pickable=pick_suppliers,
                    auto_highlight=pick_suppliers,
                )
            )
    deck = pdk.Deck(
        layers=layers,
        initial_view_state=view or view_for(wards, height_px=height),
        map_provider="carto",
        map_style=pdk.map_styles.LIGHT,
        tooltip=TOOLTIP,
        height=height,
    )
    return deck, legend


def ward_svg(
    wards: gpd.GeoDataFrame,
    metric: str = "spend",
    figures: pd.DataFrame | None = None,
    width: int = 440,
    height: int = 330,
) -> tuple[str, Legend]:
    """A static SVG choropleth of the wards (Web Mercator), with a ``<title>`` tooltip each.

    For overview pages: no WebGL and no 3 MB deck.gl bundle to load before the page's first
    paint.  Every text from a file is ``html.escape``-d; the SVG has no scripts or links.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown map metric {metric!r}; choose one of {', '.join(METRICS)}")
    m = METRICS[metric]
    w = wards.copy()
    if figures is not None and len(figures):
        extra = [c for c in figures.columns if c not in w.columns or c == "code"]
        w = w.merge(figures[extra], on="code", how="left")
    values = w[m.column] if m.column in w else pd.Series(np.nan, index=w.index)
    colours, legend = classify(values, m)
    if len(w) == 0:
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"/>', legend
    x0, y0, x1, y1 = (float(v) for v in w.total_bounds)
    x0, x1 = x0 / 360.0, x1 / 360.0  # Web Mercator world units, like y
    my0, my1 = _merc_y(y0), _merc_y(y1)
    pad = 6.0
    scale = min((width - 2 * pad) / max(x1 - x0, 1e-12), (height - 2 * pad) / max(my1 - my0, 1e-12))
    ox = (width - (x1 - x0) * scale) / 2
    oy = (height - (my1 - my0) * scale) / 2

    def ring_d(coords: np.ndarray) -> str:
        lat = np.clip(coords[:, 1], -85.0, 85.0)
        my = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
        px = np.round(ox + (coords[:, 0] / 360.0 - x0) * scale, 1)
        py = np.round(height - oy - (my - my0) * scale, 1)
        pts = " ".join(f"{a:g},{b:g}" for a, b in zip(px, py, strict=True))
        return f"M{pts}Z"

    paths = []
    for i, (name, code, geom) in enumerate(zip(w.get("name", w["code"]), w["code"], w.geometry,
                                               strict=True)):
        d = "".join(
            ring_d(np.asarray(r.coords)[:, :2])
            for part in shapely.get_parts(geom)
            if shapely.get_type_id(part) == 3 and not part.is_empty
            for r in (part.exterior, *part.interiors)
        )
        title = html.escape(f"{name or code}: {format_value(values.iloc[i], m.kind)}")
        paths.append(
            f'<path d="{d}" fill="{colours[i]}" fill-rule="evenodd" stroke="#fff" '
            f'stroke-width="0.8"><title>{title}</title></path>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{html.escape(m.label)}">{"".join(paths)}</svg>'
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
