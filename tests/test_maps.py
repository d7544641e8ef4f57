"""Maps: escaped tooltips, layer ids, legends, payload and click handling."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import pytest
from shapely.geometry import Polygon, box

from impact.outputs import maps

EVIL = "<img src=x onerror=alert(1)>"


def _wards() -> gpd.GeoDataFrame:
    holed = Polygon(box(1, 0, 2, 1).exterior.coords, [box(1.4, 0.4, 1.6, 0.6).exterior.coords])
    return gpd.GeoDataFrame(
        {"code": ["W1", "W2", "W3"], "name": [EVIL, "Bee & Co", "C"],
         "population": [100.0, 200.0, 300.0], "worst_decile": [1, 4, None],
         "imd_score": [40.0, 20.0, 10.0]},
        geometry=[box(0, 0, 1, 1), holed, box(2, 0, 3, 1)], crs="EPSG:4326")


def _figures() -> pd.DataFrame:
    return pd.DataFrame({"code": ["W1", "W2", "W3"], "spend": [100.0, 0.0, 5000.0],
                         "spend_per_resident": [1.0, 0.0, 16.7],
                         "local_suppliers": [1, 0, 3]})


def _suppliers() -> pd.DataFrame:
    return pd.DataFrame({"supplier": [EVIL, "Fine Ltd"], "where": ["council", "elsewhere"],
                         "ward": ["W1", None], "district": ["D", "X"], "postcode": ["ZZ1 1AA", ""],
                         "spend": [1000.0, 10.0], "lat": [0.5, 0.2], "long": [0.5, 2.5]})


def test_tooltips_escape_file_text() -> None:
    deck, _ = maps.ward_deck(_wards(), "spend", _figures(), _suppliers())
    doc = json.loads(deck.to_json())
    # Ward names on the map are WebGL glyphs (never HTML), so they keep their text.
    labels = next(la for la in doc["layers"] if la["id"] == maps.LABEL_LAYER)
    assert labels["@@type"] == "TextLayer" and EVIL in [r["text"] for r in labels["data"]]
    doc["layers"] = [la for la in doc["layers"] if la["id"] != maps.LABEL_LAYER]
    text = json.dumps(doc, ensure_ascii=False)
    assert EVIL not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "Bee &amp; Co" in text
    doc = json.loads(text)
    assert doc["mapProvider"] == "carto"
    ids = {layer["id"] for layer in doc["layers"]}
    assert {maps.WARD_LAYER, maps.SUPPLIER_LAYER, maps.OUTLINE_LAYER} <= ids
    for layer in doc["layers"]:
        if layer.get("pickable"):
            assert layer["id"] in (maps.WARD_LAYER, maps.SUPPLIER_LAYER)


def test_tooltip_markup_is_in_the_template_and_values_in_fields() -> None:
    """Markup only in the template (so it renders); values escaped unless the renderer does."""
    deck, _ = maps.ward_deck(_wards(), "spend", _figures(), _suppliers(), pick_suppliers=True)
    doc = json.loads(deck.to_json())
    template = deck._tooltip["html"] if hasattr(deck, "_tooltip") else doc["tooltip"]["html"]
    assert "<b>{t_title}</b>" in template and "{tip}" not in template
    for layer in doc["layers"]:
        if layer.get("pickable"):
            for rec in layer["data"]:
                assert set(maps.TOOLTIP_FIELDS) <= set(rec), rec.keys()
                assert not any("<b>" in rec[f] or "<br" in rec[f] for f in maps.TOOLTIP_FIELDS)
    ward = next(r for r in doc["layers"][0]["data"] if r["code"] == "W1")
    assert ward["t_title"] == "&lt;img src=x onerror=alert(1)&gt;"
    # Streamlit >= 1.67 escapes interpolated values itself: then they go in raw (escaping
    # twice would show "&amp;"), and still never into the template.
    raw, _ = maps.ward_deck(_wards(), "spend", _figures(), _suppliers(), escape=False)
    rdoc = json.loads(raw.to_json())
    assert any(r["t_title"] == "Bee & Co" for r in rdoc["layers"][0]["data"])
    assert EVIL not in json.dumps(rdoc.get("tooltip", raw._tooltip if hasattr(raw, "_tooltip")
                                           else ""))


def test_supplier_points_do_not_block_ward_clicks_unless_asked() -> None:
    def pickable(deck) -> dict[str, bool]:
        return {la["id"]: bool(la.get("pickable")) for la in json.loads(deck.to_json())["layers"]}

    deck, _ = maps.ward_deck(_wards(), "spend", _figures(), _suppliers())
    assert pickable(deck)[maps.WARD_LAYER] and not pickable(deck)[maps.SUPPLIER_LAYER]
    deck, _ = maps.ward_deck(_wards(), "spend", _figures(), _suppliers(), pick_suppliers=True)
    assert pickable(deck)[maps.SUPPLIER_LAYER]
    pts = maps.supplier_records(_suppliers().assign(supplier_key=["k1", "k2"]))
    assert pts[0]["key"] == "k1" and pts[0]["fill"][3] < 200  # semi-transparent
    event = {"selection": {"objects": {maps.SUPPLIER_LAYER: [pts[0]]}}}
    assert maps.selected_supplier(event) == "k1" and maps.selected_ward(event) is None


@pytest.mark.parametrize(("w", "h"), [(600, 450), (450, 600)])
def test_view_fits_the_bounds_in_the_map(w: int, h: int) -> None:
    import math

    wards = gpd.GeoDataFrame(geometry=[box(-2.45, 53.70, -2.30, 53.80)], crs="EPSG:4326")
    v = maps.view_for(wards, w, h)
    scale = 512 * 2 ** v.zoom
    px_w = 0.15 / 360 * scale
    px_h = abs(maps._merc_y(53.80) - maps._merc_y(53.70)) * scale
    assert px_w <= w and px_h <= h  # fits
    assert max(px_w / w, px_h / h) > 0.8  # and fills most of the map
    assert math.isclose(v.longitude, -2.375, abs_tol=1e-4)


def test_holes_become_rings_and_coordinates_are_rounded() -> None:
    recs, _ = maps.ward_records(_wards(), _figures(), maps.METRICS["spend"])
    w2 = next(r for r in recs if r["code"] == "W2")
    assert len(w2["polygon"]) == 2  # outer ring + hole
    for ring in w2["polygon"]:
        for x, y in ring:
            assert round(x, 5) == x and round(y, 5) == y


@pytest.mark.parametrize("metric", ["spend", "spend_per_resident", "local_suppliers",
                                    "worst_decile", "imd_score"])
def test_every_metric_has_a_legend(metric: str) -> None:
    deck, legend = maps.ward_deck(_wards(), metric, _figures())
    assert legend.items and legend.title == maps.METRICS[metric].label
    recs = json.loads(deck.to_json())["layers"][0]["data"]
    assert len(recs) == 3


def test_decile_legend_is_categorical_with_no_data() -> None:
    colours, legend = maps.classify(pd.Series([1, 4, None]), maps.METRICS["worst_decile"])
    assert colours[0] == maps.DECILE_COLOURS[0] and colours[2] == maps.NO_DATA
    assert [lab for _, lab in legend.items] == ["decile 1 (most deprived)", "decile 4",
                                                "no data"]


def test_darker_means_more() -> None:
    colours, _ = maps.classify(pd.Series([1.0, 2.0, 3.0, 100.0]), maps.METRICS["spend"])
    assert _lightness(colours[-1]) < _lightness(colours[0])
    ranks, _ = maps.classify(pd.Series([1.0, 2.0, 3.0, 100.0]), maps.METRICS["imd2019_rank"])
    assert _lightness(ranks[0]) < _lightness(ranks[-1])  # rank 1 = most deprived = darkest


def _lightness(hex_colour: str) -> float:
    from colorspacious import cspace_convert
    from matplotlib.colors import to_rgb

    return float(cspace_convert(to_rgb(hex_colour), "sRGB1", "CAM02-UCS")[0])


def test_no_spend_and_not_enough_data_are_classes_of_their_own() -> None:
    """Never a "£0 – £63,862" class: £0 is "no spend placed here" when coverage allows it,
    "not enough data" (hatched) when it does not; every class is named in the legend."""
    spend = pd.Series([0.0, 0.0, 63_862.0, 120_000.0, 410_000.0, 2_600_000.0, None])
    status = pd.Series(["none placed", "not enough data", "placed", "placed", "placed",
                        "placed", "placed"])
    colours, legend = maps.classify(spend, maps.METRICS["spend"], status)
    labels = [lab for _, lab in legend.items]
    assert colours[0] == maps.NO_SPEND and colours[1] == maps.NOT_ENOUGH
    assert colours[6] == maps.NO_DATA
    assert labels[-3:] == ["no spend placed here", "not enough data", "no data"]
    assert legend.hatched == ("not enough data",)
    value_labels = labels[:-3]
    assert all("£0" not in lab for lab in value_labels), value_labels
    assert value_labels[0].startswith("£64k") and value_labels[-1].endswith("£2.6m")
    assert len(set(colours[2:6])) == 4  # four values, four classes, all distinct
    assert {c for c, _ in legend.items} >= set(colours)  # every colour on the map is named


def test_zero_without_status_is_no_spend_not_a_value_class() -> None:
    colours, legend = maps.classify(pd.Series([0.0, 5.0, 9.0]), maps.METRICS["local_suppliers"])
    assert colours[0] == maps.NO_SPEND and ("#ffffff", "no spend placed here") in legend.items
    # an IoD score of 0 is a value, not "no spend"
    scores, _ = maps.classify(pd.Series([0.0, 5.0, 9.0]), maps.METRICS["imd_score"])
    assert maps.NO_SPEND not in scores


def _within_classes(x: np.ndarray, bounds: np.ndarray) -> float:
    """Squared deviations of ``x`` around its class means, classes ending at ``bounds``."""
    total, lo = 0.0, -np.inf
    for b in bounds:
        c = x[(x > lo) & (x <= b)]
        total += float(((c - c.mean()) ** 2).sum()) if len(c) else 0.0
        lo = b
    return total


def test_natural_breaks_are_as_good_as_mapclassifys() -> None:
    """Our Fisher–Jenks gives mapclassify's breaks (or, at an exact tie, breaks as good):
    on lognormal £, small integer counts with ties, and normal scores."""
    mapclassify = pytest.importorskip("mapclassify")
    rng = np.random.default_rng(7)
    for t in range(120):
        n, k = int(rng.integers(6, 60)), int(rng.integers(2, 7))
        x = np.sort([rng.lognormal(10, 1.5, n), rng.integers(0, 30, n).astype(float),
                     rng.normal(0, 1, n)][t % 3])
        if len(np.unique(x)) <= k:
            continue
        ours = maps.natural_breaks(x, k)
        theirs = mapclassify.FisherJenks(x, k=k).bins
        assert len(ours) == k and ours[-1] == x.max()
        if not np.allclose(ours, theirs):
            assert _within_classes(x, ours) <= _within_classes(x, theirs) * (1 + 1e-9)


def test_class_breaks_are_natural_and_rounded() -> None:
    x = np.array([1_200, 1_300, 1_350, 40_000, 41_234, 43_000, 250_000, 251_278, 1.9e6, 2.61e6])
    bins = maps.class_breaks(x, 5)
    assert len(bins) == 5 and bins[-1] == x.max()
    assert all(float(f"{b:.2g}") == b for b in bins[:-1])  # two significant figures
    assert maps.class_breaks(np.array([3.0, 3.0, 7.0]), 5).tolist() == [3.0, 7.0]
    assert maps.short_value(241_278, "money") == "£241k"
    assert maps.short_value(1_690_000, "money") == "£1.7m"
    assert maps.format_value(-540, "money") == "−£540"


CVD = [{"name": "sRGB1+CVD", "cvd_type": kind, "severity": 100}
       for kind in ("deuteranomaly", "protanomaly")]


def _delta_e(a: str, b: str, space: dict | str = "sRGB1") -> float:
    from colorspacious import cspace_convert, deltaE
    from matplotlib.colors import to_rgb

    def seen(h: str) -> np.ndarray:
        rgb = np.clip(cspace_convert(to_rgb(h), space, "sRGB1"), 0, 1) if space != "sRGB1" \
            else np.array(to_rgb(h))
        return rgb

    return float(deltaE(seen(a), seen(b), input_space="sRGB1"))


@pytest.mark.parametrize("space", ["sRGB1", *CVD], ids=["normal", "deuteranopia", "protanopia"])
def test_palettes_stay_distinct_for_colour_blind_readers(space) -> None:
    """Adjacent classes (and the IoD deciles 1, 3, 4, 5 that cividis merged) stay apart in
    CAM02-UCS under simulated full deuteranopia and protanopia (Machado et al. 2009)."""
    deciles = maps.DECILE_COLOURS
    for a, b in itertools.pairwise(deciles):
        assert _delta_e(a, b, space) >= 5.0, (a, b)
    for a, b in ((0, 2), (2, 3), (3, 4), (0, 4)):
        assert _delta_e(deciles[a], deciles[b], space) >= 5.0
    pal = maps.palette(maps.N_CLASSES)
    for a, b in itertools.pairwise(pal):
        assert _delta_e(a, b, space) >= 10.0, (a, b)
    for special in (maps.NO_SPEND, maps.NOT_ENOUGH):
        assert min(_delta_e(special, c, space) for c in pal) >= 10.0


def test_not_enough_data_wards_are_hatched_and_labelled() -> None:
    figs = _figures().assign(status=["placed", "not enough data", "placed"], coverage=0.3,
                             spend_upper=[9e4, 8.99e4, 9.5e4])
    deck, _legend = maps.ward_deck(_wards(), "spend", figs)
    doc = json.loads(deck.to_json())
    ids = [la["id"] for la in doc["layers"]]
    assert maps.HATCH_LAYER in ids and ids[-1] == maps.LABEL_LAYER  # names on top
    hatch = next(la for la in doc["layers"] if la["id"] == maps.HATCH_LAYER)
    xs = [x for p in hatch["data"] for x, _ in p["path"]]
    assert hatch["data"] and min(xs) >= 1 and max(xs) <= 2  # only over W2
    w2 = next(r for r in doc["layers"][0]["data"] if r["code"] == "W2")
    assert "not enough data" in w2["t_1"] and "30%" in w2["t_2"]
    w1 = next(r for r in doc["layers"][0]["data"] if r["code"] == "W1")
    assert "30%" in w1["t_2"] and "if unplaced spend is here" in w1["t_3"]
    svg, _ = maps.ward_svg(_wards(), "spend", figs)
    assert "<polyline" in svg and "not enough data" in svg


def test_neighbours_labels_and_pixel_points() -> None:
    near = gpd.GeoDataFrame({"code": ["N1"], "name": ["Next Door"]},
                            geometry=[box(3, 0, 4, 1)], crs="EPSG:4326")
    frame = maps.MapFrame(neighbours=near, selected="W3", width=800, height=500)
    deck, _ = maps.ward_deck(_wards(), "spend", _figures(), _suppliers(), frame=frame)
    doc = json.loads(deck.to_json())
    by_id = {la["id"]: la for la in doc["layers"]}
    assert next(iter(by_id)) == maps.CONTEXT_LAYER  # under everything
    assert [r["text"] for r in by_id[f"{maps.CONTEXT_LAYER}-labels"]["data"]] == ["Next Door"]
    assert "selected" in by_id
    pts = by_id[maps.SUPPLIER_LAYER]
    assert pts["radiusUnits"] == "pixels"
    radii = [r["radius"] for r in pts["data"]]
    assert maps.POINT_PX[0] <= min(radii) and max(radii) <= maps.POINT_PX[1]
    assert doc["initialViewState"]["zoom"] > 7  # fitted to 3 degrees in 800 px


def test_available_metrics_skips_missing_columns() -> None:
    avail = maps.available_metrics(_wards())
    assert "imd_score" in avail and "spend" not in avail and "income_score" not in avail


def test_unknown_metric() -> None:
    with pytest.raises(ValueError, match="unknown map metric"):
        maps.ward_deck(_wards(), "nope")


def test_selected_ward_from_event() -> None:
    event = {"selection": {"indices": {"wards": [0]},
                           "objects": {"wards": [{"code": "W2", "name": "x"}]}}}
    assert maps.selected_ward(event) == "W2"
    assert maps.selected_ward({"selection": {"indices": {}, "objects": {}}}) is None
    assert maps.selected_ward(None) is None


def test_ward_svg_is_static_escaped_and_coloured() -> None:
    svg, legend = maps.ward_svg(_wards(), "spend", _figures())
    assert svg.startswith("<svg") and svg.count("<path") == 3
    assert EVIL not in svg and "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert "Bee &amp; Co" in svg and "<script" not in svg and "href" not in svg
    assert maps.palette(2)[-1] in svg  # the ward with most spend is darkest
    assert legend.items and legend.title == maps.METRICS["spend"].label
    assert 'fill-rule="evenodd"' in svg and svg.count("M") >= 4  # W2's hole is a ring
    # The three unit squares side by side fill the width and keep their shape (about 3:1).
    import re

    ds = " ".join(re.findall(r' d="([^"]+)"', svg)).replace("M", " ").replace("Z", " ")
    xy = [tuple(map(float, p.split(","))) for p in ds.split()]
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    assert max(xs) - min(xs) > 400 and 2.8 < (max(xs) - min(xs)) / (max(ys) - min(ys)) < 3.2


def _dense_city(n_side: int = 26) -> gpd.GeoDataFrame:
    """A London-like dense map: ~680 small wards on a grid (a few big ones on the edge),
    names as long as real ones."""
    cells, names = [], []
    size = 0.01  # degrees: about 700 m x 1.1 km at 51.5° N, a London ward
    for i in range(n_side):
        for j in range(n_side):
            # the first column is suburban: three times wider than the rest
            x0 = -0.4 if i == 0 else -0.4 + (i + 2) * size
            x1 = x0 + size * (3 if i == 0 else 1)
            cells.append(box(x0, 51.4 + j * size, x1, 51.4 + (j + 1) * size))
            names.append(f"St Mary's and Long Ward Name {i}-{j}")
    return gpd.GeoDataFrame({"code": [f"W{k}" for k in range(len(cells))], "name": names},
                            geometry=cells, crs="EPSG:4326")


def test_a_dense_city_shows_only_the_names_that_fit_largest_wards_first() -> None:
    """Issue 24: about 680 ward labels printed on top of each other across a large city.
    Server-side, at the map's zoom, names are kept largest ward first and never overlap;
    sized in metres, so zooming in only spreads them (they grow at most 1.5 times)."""
    wards = _dense_city()
    frame = maps.MapFrame(width=1100, height=620)
    deck, _ = maps.ward_deck(wards, "spend", frame=frame)
    doc = json.loads(deck.to_json())
    layer = next(la for la in doc["layers"] if la["id"] == maps.LABEL_LAYER)
    shown = layer["data"]
    assert 0 < len(shown) < len(wards) // 3
    boxes = maps.label_boxes(shown, frame.label_px, deck.initial_view_state.zoom)
    for i in range(len(boxes)):
        a, rest = boxes[i], boxes[i + 1:]
        clash = ((rest[:, 0] < a[2]) & (rest[:, 2] > a[0]) & (rest[:, 1] < a[3])
                 & (rest[:, 3] > a[1]))
        assert not clash.any(), shown[i]["text"]
    big = {f"St Mary's and Long Ward Name 0-{j}" for j in range(26)}
    texts = [r["text"] for r in shown]
    assert sum(t in big for t in texts) >= len(texts) / 4  # the wide wards get names first
    assert layer["sizeUnits"] == "meters" and layer["sizeMaxPixels"] <= 1.5 * frame.label_px


def test_a_small_council_keeps_every_name_that_fits() -> None:
    deck, _ = maps.ward_deck(_wards(), "spend", frame=maps.MapFrame(width=900, height=560))
    layer = next(la for la in json.loads(deck.to_json())["layers"]
                 if la["id"] == maps.LABEL_LAYER)
    assert len(layer["data"]) == len(_wards())


def test_label_priority_sizes_match_pyproj_web_mercator() -> None:
    """The labels' priority (area in EPSG:3857 m²) computed with numpy is pyproj's, for
    lon/lat, for a projected CRS and without one."""
    w = _dense_city(6)
    assert np.allclose(maps.mercator_areas(w), w.to_crs(3857).geometry.area, rtol=1e-9)
    bng = w.to_crs(27700)
    assert np.allclose(maps.mercator_areas(bng), w.to_crs(3857).geometry.area, rtol=1e-6)
    bare = w.set_crs(None, allow_override=True)
    assert np.allclose(maps.mercator_areas(bare), bare.geometry.area)


def test_a_deck_is_serialised_once_as_pydeck_would_without_indentation() -> None:
    """The app draws a kept deck on every run: its JSON is pydeck's (same object once
    parsed), without indentation, and written only the first time."""
    deck, _ = maps.ward_deck(_wards(), "imd_score", _figures(), _suppliers())
    spec = deck.to_json()
    assert json.loads(spec) == json.loads(pdk.Deck.to_json(deck))
    assert "\n" not in spec and len(spec) < len(pdk.Deck.to_json(deck))
    assert deck.to_json() is spec
