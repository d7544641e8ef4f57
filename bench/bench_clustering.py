"""England-wide clustering: wards (~6,900) within 5 s, LSOAs 2021 (33,755) within 30 s.

Measures, on the real reference data, the cached contiguity load, the area graph, k-means
with k chosen by silhouette (k = 2…8) and the spatially constrained Ward clustering; the
per-area table (reading national IoD files) is reported separately.  Prints only.
"""

from __future__ import annotations

from bench.common import Row, print_table, shared_data, timed


def run(quick: bool = False) -> list[Row]:
    from impact.analysis.clustering import (
        area_graph,
        feature_catalogue,
        kmeans_clusters,
        lsoa_contiguity,
        spatial_clusters,
        standardise,
    )
    from impact.analysis.leftbehind import AreaInputs, build_area_table
    from impact.places.reference import Reference

    data = shared_data()
    if data is None:
        print("shared data not found: benchmark skipped")
        return []
    ref = Reference(data)
    rows: list[Row] = []
    t, _ = timed(lambda: lsoa_contiguity(ref))
    rows.append(Row("contiguity: first build or cache read", t, "s", note="cached .npz after"))
    units = (("ward", 5.0),) if quick else (("ward", 5.0), ("lsoa", 30.0))  # quick: no LSOAs
    for unit, target in units:
        t_tab, (table, member, _) = timed(
            lambda u=unit: build_area_table(AreaInputs(ref, (), scope=("england",), unit=u))
        )
        specs = [feature_catalogue()[k] for k in
                 ("income", "employment", "education", "health", "crime", "housing",
                  "environment")]

        def cluster(table=table, member=member, unit=unit, specs=specs):
            cont = lsoa_contiguity(ref)
            g = area_graph(cont, table["code"].tolist(), member if unit == "ward" else None)
            x = standardise(table, specs).x
            km = kmeans_clusters(x, range(2, 9), random_state=0)
            labels = spatial_clusters(x, g.adjacency, km.k)
            return km.k, labels, g

        t_cl, (k, _labels, g) = timed(cluster)
        rows.append(Row(f"{unit}: area table ({len(table):,} areas)", t_tab, "s"))
        rows.append(
            Row(f"{unit}: graph + k-means k=2..8 + contiguous Ward", t_cl, "s", target=target,
                note=f"k={k}, {g.components} parts joined, {len(g.added)} links added")
        )
    return rows


if __name__ == "__main__":
    print_table(run())
