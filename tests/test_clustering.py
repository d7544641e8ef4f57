"""Clustering: planted groups are recovered, results repeat, islands and sizes are handled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.metrics import adjusted_rand_score

from impact.analysis import clustering as cl
from impact.core.settings import demo_dir
from impact.places.reference import Reference
from impact.synthetic.factories import make_grid_areas, make_planted_clusters, rook_adjacency


def _graph(areas) -> sparse.csr_matrix:
    return rook_adjacency(areas.geometry.to_numpy())


def test_kmeans_recovers_planted_clusters_and_chooses_k_by_silhouette():
    _areas, truth, x = make_planted_clusters(np.random.default_rng(1))
    fit = cl.kmeans_clusters(x, range(2, 7), random_state=0)
    assert fit.k == 3
    assert adjusted_rand_score(truth, fit.labels) > 0.95
    assert set(fit.silhouettes) == {2, 3, 4, 5, 6}
    assert fit.silhouettes[3] == max(fit.silhouettes.values())


def test_kmeans_is_deterministic_and_k_can_be_fixed():
    _, _, x = make_planted_clusters(np.random.default_rng(2), noise=1.5)
    a = cl.kmeans_clusters(x, range(2, 6), random_state=0)
    b = cl.kmeans_clusters(x, range(2, 6), random_state=0)
    assert np.array_equal(a.labels, b.labels) and a.silhouettes == b.silhouettes
    fixed = cl.kmeans_clusters(x, range(2, 6), k=5, random_state=0)
    assert fixed.k == 5 and len(np.unique(fixed.labels)) == 5


def test_spatial_clusters_are_contiguous_and_recover_bands():
    areas, truth, x = make_planted_clusters(np.random.default_rng(3), noise=0.8)
    adj = _graph(areas)
    labels = cl.spatial_clusters(x, adj, 3)
    assert adjusted_rand_score(truth, labels) > 0.9
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        assert connected_components(adj[idx][:, idx], directed=False)[0] == 1


def test_islands_are_joined_to_their_nearest_area():
    areas = make_grid_areas(4, 4)
    island = shapely.box(10, 10, 11, 11)  # far to the north-east of the 4x4 grid
    geoms = np.append(areas.geometry.to_numpy(), island)
    adj = rook_adjacency(geoms)
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    joined, added, parts = cl.connect_components(adj, xy)
    assert parts == 2 and len(added) == 1
    assert added[0][0] == 16 and added[0][1] == 15  # the grid's north-east corner square
    assert connected_components(joined, directed=False)[0] == 1
    x = np.random.default_rng(0).normal(size=(17, 2))
    assert len(np.unique(cl.spatial_clusters(x, joined, 3))) == 3


def test_ward_adjacency_from_lsoa_adjacency_and_centroids():
    areas = make_grid_areas(4, 2)  # 8 squares, wards = 2x2 blocks: W1 | W2
    cont = cl.Contiguity(
        areas["code"].to_numpy(), _graph(areas), areas["col"].to_numpy() + 0.5,
        areas["row"].to_numpy() + 0.5, np.ones(8),
    )
    member = pd.DataFrame(
        {"lsoa21_code": areas["code"], "code": np.where(areas["col"] < 2, "W1", "W2")}
    )
    g = cl.area_graph(cont, ["W1", "W2"], member)
    assert g.adjacency.toarray().tolist() == [[0, 1], [1, 0]]
    assert np.allclose(g.x, [1.0, 3.0]) and np.allclose(g.y, [1.0, 1.0])
    with pytest.raises(ValueError, match="no LSOA boundary"):
        cl.area_graph(cont, ["W1", "W3"], member)


def test_a_large_council_recovers_its_planted_clusters():
    areas, truth, x = make_planted_clusters(np.random.default_rng(4), nx=30, ny=20)
    assert len(areas) == 600
    fit = cl.kmeans_clusters(x, range(2, 9))
    labels = cl.spatial_clusters(x, _graph(areas), fit.k)
    assert fit.k == 3 and adjusted_rand_score(truth, labels) > 0.9


def test_profile_text_names_strongest_features():
    specs = list(cl.feature_catalogue().values())
    text = cl.describe_centre(
        {"income": 1.4, "employment": 1.1, "health": 0.2, "spend_per_resident": -0.9,
         "suppliers_per_1000": -0.6}, specs,
    )
    assert text == (
        "High income and employment deprivation · low spend reach · few local suppliers"
    )
    assert cl.describe_centre({"income": 0.1}, specs).startswith("Close to the average")


def test_standardise_weights_and_missing_values():
    specs = [cl.feature_catalogue()["income"], cl.feature_catalogue()["spend_per_resident"]]
    table = pd.DataFrame({"income_score": [0.1, 0.2, None, 0.4], "spend_per_resident": 0.0})
    std = cl.standardise(table, specs, {"income": 2.0})
    assert std.z["income"].iloc[2] == 0.0
    assert np.allclose(std.x[:, 0], 2 * std.z["income"])
    assert any("without a value" in n for n in std.notes)
    assert any("the same in every area" in n for n in std.notes)
    with pytest.raises(ValueError, match="not chosen"):
        cl.standardise(table, specs, {"crime": 1.0})


def test_order_clusters_numbers_most_deprived_first():
    assert cl.order_clusters(np.array([0, 0, 1, 2]), np.array([1.0, 1.0, 9.0, 5.0])).tolist() == [
        3, 3, 1, 2,
    ]


def test_contiguity_is_cached_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(tmp_path))
    ref = Reference(demo_dir() / "reference")
    first = cl.lsoa_contiguity(ref)
    assert list(tmp_path.glob("contiguity-*.npz"))
    assert (first.adjacency != first.adjacency.T).nnz == 0 and first.adjacency.diagonal().sum() == 0

    def boom(*_a, **_k):
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(cl, "_compute_contiguity", boom)
    second = cl.lsoa_contiguity(ref)
    assert list(second.codes) == list(first.codes)
    assert (second.adjacency != first.adjacency).nnz == 0
