"""Premises speed: adding a 20k-row business-rates list beside ``impact locate``, same run.

Target (issue "Local the way the field counts it"): adding a 20k-row rates list, and
re-placing a 1M-row council with it, each ≤ 2× ``locate`` on the same council.

* **Calderdale** (real): its twelve spend files ingested, placed by ``locate`` (warm
  caches: a first run is not counted), then the real Calderdale and Wakefield rates lists
  stacked (20,384 rows, two layouts) read by meaning and linked, placed and applied to its
  suppliers (:func:`impact.places.premises.read_premises` + ``apply_premises``).
* **1M rows** (synthetic, :func:`bench.bench_locate.build_folder`, ~20k suppliers): the same
  20k-row list, with a quarter of its ratepayers renamed after the council's suppliers so
  links are made, applied after ``locate``.  Skipped with ``--quick``.

Prints figures; never asserts.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.common import Row, print_table, shared_data, timed

LISTS = ("business_rates_calderdale.csv", "business_rates_wakefield.csv")


def _stacked_list(data: Path, out: Path, names: list[str] | None = None) -> int:
    """The two real rates lists in one file (each in its own layout, so stacked as text
    by the shared columns), optionally with some ratepayers renamed; its rows."""
    import numpy as np
    import pandas as pd

    frames = []
    for name in LISTS:
        df = pd.read_csv(data / "premises" / name, dtype=str, keep_default_na=False,
                         on_bad_lines="skip")
        df.columns = [c.strip() for c in df.columns]
        frames.append(df[["Ratepayer", "Address", "Postcode", "Rateable value",
                          "VOA description"]])
    stacked = pd.concat(frames, ignore_index=True)
    if names:
        rng = np.random.default_rng(3)
        pick = rng.random(len(stacked)) < 0.25
        stacked.loc[pick, "Ratepayer"] = rng.choice(names, int(pick.sum()))
    stacked.to_csv(out, index=False)
    return len(stacked)


def _premises_seconds(path: Path, suppliers, reference, lads: list[str]) -> tuple[float, dict]:
    """Read, link, place and apply a premises list to located suppliers: seconds, counts."""
    from impact.places.premises import apply_premises, read_premises
    from impact.places.resolutions import imd_deciles

    def work():
        pl = read_premises(path)
        return apply_premises(suppliers, pl.rows, reference, lads, imd_deciles(reference))

    seconds, applied = timed(work)
    acc = applied.accounting[0]
    return seconds, {"rows": acc.rows, "linked": acc.linked, "suppliers": acc.suppliers,
                     "placed": applied.placed_suppliers}


def _calderdale(data: Path, tmp: Path) -> list[Row]:
    from impact.ingest.transactions import ingest, write_outputs
    from impact.places.locate import locate
    from impact.places.reference import Reference

    ref = Reference(data)
    folder = tmp / "calderdale"
    files = sorted((data / "spend" / "calderdale").glob("*.csv"))
    write_outputs(ingest(files, council="Calderdale"), folder)
    locate(folder, [], ref)  # warm the caches
    loc_s, res = timed(lambda: locate(folder, [], ref))
    rows = _stacked_list(data, tmp / "rates.csv")
    add_s, n = _premises_seconds(tmp / "rates.csv", res.suppliers, ref, ["E08000033"])
    return [
        Row("Calderdale: locate (warm caches)", loc_s, "s", note=f"{len(res.suppliers):,} "
            "suppliers"),
        Row(f"Calderdale: add a {rows:,}-row rates list", add_s, "s", target=2 * loc_s,
            peer=loc_s, peer_name="locate", note=f"{n['linked']:,} rows linked to "
            f"{n['suppliers']:,} suppliers, {n['placed']:,} placed at premises"),
    ]


def _million(data: Path, tmp: Path) -> list[Row]:
    from bench.bench_locate import build_folder
    from impact.places.locate import locate
    from impact.places.reference import Reference

    ref = Reference(data)
    folder = tmp / "million"
    build_folder(folder, data)
    locate(folder, [], ref, fuzzy=False)
    loc_s, res = timed(lambda: locate(folder, [], ref, fuzzy=False))
    names = res.suppliers["supplier_name"].dropna().astype(str).tolist()
    rows = _stacked_list(data, tmp / "rates_1m.csv", names)
    add_s, n = _premises_seconds(tmp / "rates_1m.csv", res.suppliers, ref, [])
    return [
        Row("1M rows: locate (warm caches, fuzzy off)", loc_s, "s",
            note=f"{len(res.suppliers):,} suppliers"),
        Row(f"1M rows: re-place with a {rows:,}-row rates list", add_s, "s",
            target=2 * loc_s, peer=loc_s, peer_name="locate",
            note=f"{n['linked']:,} rows linked to {n['suppliers']:,} suppliers, "
            f"{n['placed']:,} placed at premises"),
    ]


def run(quick: bool = False) -> list[Row]:
    data = shared_data()
    if data is None or not (data / "premises").is_dir():
        print("bench_premises: ../shared/data/premises not found; skipped", file=sys.stderr)
        return []
    with tempfile.TemporaryDirectory() as tmp:
        rows = _calderdale(data, Path(tmp))
        if not quick:
            rows += _million(data, Path(tmp))
    return rows


if __name__ == "__main__":
    print_table(run(quick="--quick" in sys.argv))
