"""Boundary loading: the national LSOA 2021 boundaries (35,672 areas) from the cache in
≤ 1.5 s (about 0.3 s measured on 2 cores), and the first load, which builds the cache.

Reads the real reference data (``../shared/data`` or ``IMPACT_SHARED_DATA``) and uses the
cache folder in force (``IMPACT_CACHE_DIR``, else ``data/boundaries/``), so the first row
is a cache build only when that cache is cold.  Prints only; that the cached load gives
the same areas is tested in ``tests/test_boundaries.py``.
"""

from __future__ import annotations

from bench.common import Row, print_table, shared_data, timed

TARGET_S = 1.5


def run() -> list[Row]:
    from impact.places.boundaries import load_boundaries
    from impact.places.reference import Reference

    data = shared_data()
    path = None if data is None else Reference(data).find("lsoa21_boundaries")
    if path is None:
        print("shared LSOA 2021 boundaries not found: benchmark skipped")
        return []
    t_first, _ = timed(lambda: load_boundaries(path))
    t_cached, lsoas = timed(lambda: load_boundaries(path))
    return [
        Row("LSOA 2021 boundaries: first load", t_first, "s", note="builds the cache if cold"),
        Row(f"LSOA 2021 boundaries ({len(lsoas):,}): cached load", t_cached, "s", target=TARGET_S),
    ]


if __name__ == "__main__":
    print_table(run())
