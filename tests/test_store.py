"""The multi-council store: councils partitioned by council and year, added without touching
each other, skipped when unchanged, queried with DuckDB; and the authority table that gives
each council its type, region, districts and residents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.analysis.compare import for_csv
from impact.analysis.measures import NOT_ENOUGH_DATA
from impact.core import cache
from impact.core.paths import slug
from impact.core.settings import demo_dir
from impact.ingest.schema import supplier_keys
from impact.outputs import labels
from impact.places.authorities import (
    CouncilProfile,
    authority_lads,
    council_profile,
    load_authorities,
)
from impact.places.councils import supplier_deprivation
from impact.places.reference import Reference
from impact.store import (
    PAYMENT_COLUMNS,
    STORE_VERSION,
    CouncilEntry,
    Store,
    StoreError,
    compare_councils,
    conform_payments,
)
from impact.synthetic.factories import make_transactions
from impact.workspace import join_suppliers

#: mySociety's layout, for the demo's synthetic districts and a synthetic county.
AUTHORITIES_CSV = """\
local-authority-code,official-name,nice-name,gss-code,end-date,nation,region,\
local-authority-type,local-authority-type-name,county-la,alt-names,current-authority,pop-2020
DEM,Demo Borough Council (synthetic),Demo Borough (synthetic),E09999999,,England,Demo Region,\
LBO,London borough,,"Demo Borough,demo borough council",True,150000
DCC,Demoshire County Council (synthetic),Demoshire (synthetic),E10999999,,England,\
Demo Region,CTY,County,,Demoshire,True,90000
ASH,Ashvale District Council (synthetic),Ashvale (synthetic),E07999991,,England,Demo Region,\
NMD,Non-metropolitan district,DCC,Ashvale,True,30000
HAR,Harrowmoor District Council (synthetic),Harrowmoor (synthetic),E07999992,,England,\
Demo Region,NMD,Non-metropolitan district,DCC,Harrowmoor,True,60000
OLD,Old Council,Old,E07000001,2009-03-31,England,Demo Region,NMD,Non-metropolitan district,,\
Old,False,1
"""


@pytest.fixture()
def reference(tmp_path: Path) -> Reference:
    """The demo's reference folder plus a synthetic authority table."""
    root = tmp_path / "reference"
    shutil.copytree(demo_dir() / "reference", root)
    (root / "organisations").mkdir()
    (root / "organisations" / "synthetic_local_authorities.csv").write_text(
        AUTHORITIES_CSV, encoding="utf-8")
    return Reference(root)


def council_folder(root: Path, council: str, n: int = 40, seed: int = 1) -> Path:
    """An ingested and located folder: ``n`` payments to three suppliers, one placed in the
    demo borough (E09999999) and one in Ashvale."""
    folder = root / council.replace(" ", "_")
    folder.mkdir(parents=True)
    (folder / "quality.json").write_text(json.dumps({"council": council}), encoding="utf-8")
    tx = make_transactions(n, np.random.default_rng(seed), council=council,
                           start="2023-11-01", days=200)
    tx["supplier_name_norm"] = tx["supplier_name"].str.upper()
    tx.to_parquet(folder / "transactions.parquet", index=False)
    keys = supplier_keys(tx).drop_duplicates().sort_values().tolist()
    sup = pd.DataFrame({
        "supplier_key": keys, "supplier_class": ["company", "company", "vcse"][: len(keys)],
        "is_located": [True, True, False][: len(keys)],
        "lad_code": ["E09999999", "E07999991", None][: len(keys)],
        "lsoa21_code": ["E01990001", None, None][: len(keys)],
        "ward_code": ["E05990004", None, None][: len(keys)],
        "region_code": ["E12999999", "E12999999", None][: len(keys)],
    })
    sup.to_parquet(folder / "suppliers.parquet", index=False)
    return folder


def folder_fingerprint(folder: Path, reference: Reference, council: str,
                       lad_codes: tuple[str, ...]) -> str:
    """What a council's stored rows depend on: its ingest and locate outputs, the reference
    folder, the name and district codes, and :data:`STORE_VERSION`."""
    files = [folder / "transactions.parquet", folder / "suppliers.parquet",
             reference.find("local_authorities"), reference.find("imd2025_lsoa21")]
    return cache.key(STORE_VERSION, *cache.fingerprint(files), str(reference.root.resolve()),
                     council, *lad_codes)


def add_folder(store: Store, folder: str | Path, reference: Reference, *,
               council: str | None = None, lad_codes: tuple[str, ...] = ()
               ) -> tuple[CouncilEntry, bool]:
    """Add an ingested and located council folder, the way the store's tests build one
    (the product adds a council through :func:`impact.store.add_workspace`, the front door);
    ``(entry, True)`` when (re)written,
    ``(entry, False)`` when the store already held these exact inputs.

    Raises :class:`StoreError` when the folder lacks ``transactions.parquet`` or
    ``suppliers.parquet``.  A council with no payments is kept, with no rows, so Compare
    says "not enough data" for it rather than leaving it out.
    """
    folder = Path(folder)
    for name in ("transactions.parquet", "suppliers.parquet"):
        if not (folder / name).is_file():
            raise StoreError(f"{folder}: no {name} (run 'impact ingest' and 'impact locate')")
    name = council or _council_name(folder)
    council_id = slug(name)
    fp = folder_fingerprint(folder, reference, name, lad_codes)
    held = store.entry(council_id)
    if held is not None and held.fingerprint == fp:
        return held, False
    tx = pd.read_parquet(folder / "transactions.parquet")
    suppliers = pd.read_parquet(folder / "suppliers.parquet")
    profile = council_profile(reference, name, lad_codes)
    rows = placed_payments(tx, suppliers, reference, profile)
    entry = CouncilEntry(council_id=council_id, council=name, profile=profile, rows=len(rows),
                         years=[], located_share=_located_share(folder), fingerprint=fp,
                         source=str(folder.resolve()), warnings=list(profile.warnings))
    return store.put(entry, rows), True


def placed_payments(tx: pd.DataFrame, suppliers: pd.DataFrame, reference: Reference,
                    profile: CouncilProfile) -> pd.DataFrame:
    """Transactions joined to their supplier's place, IoD decile and location band."""
    warnings: list[str] = []
    imd = supplier_deprivation(reference, warnings)
    if imd is not None and "imd_decile" not in suppliers:
        suppliers = suppliers.merge(imd.drop_duplicates("lsoa21_code"), on="lsoa21_code",
                                    how="left")
    profile.warnings += warnings
    if tx.empty:
        return conform_payments(tx)
    return conform_payments(join_suppliers(tx, suppliers, profile.lads, profile.region_codes))


def _council_name(folder: Path) -> str:
    quality = folder / "quality.json"
    if quality.is_file():
        name = json.loads(quality.read_text(encoding="utf-8")).get("council")
        if name:
            return str(name)
    return folder.name.replace("_", " ").replace("-", " ").title()


def _located_share(folder: Path) -> float | None:
    path = folder / "coverage.json"
    if not path.is_file():
        return None
    value = json.loads(path.read_text(encoding="utf-8")).get("share_of_spend_located")
    return None if value is None else float(value)


def files_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*.parquet")}


def test_authorities_give_type_region_districts_and_a_county_score(reference) -> None:
    table = load_authorities(reference)
    assert set(table["gss_code"]) == {"E09999999", "E10999999", "E07999991", "E07999992"}
    assert authority_lads("E10999999", table) == ["E07999991", "E07999992"]
    assert authority_lads("E07999991", table) == ["E07999991"]
    score = table.set_index("gss_code")["imd_score"]
    # the county: its districts' scores (demo summary: 5.862, 6.335) weighted 30k : 60k
    assert score["E10999999"] == pytest.approx((5.862 * 30 + 6.335 * 60) / 90, abs=1e-3)


def test_a_county_council_covers_its_districts_not_a_namesake(reference) -> None:
    p = council_profile(reference, "Demoshire County Council (synthetic)")
    assert p.gss_code == "E10999999" and p.type == "CTY"
    assert p.lads == ["E07999991", "E07999992"]
    assert p.population and p.population > 0
    unknown = council_profile(reference, "Nowhere Council")
    assert unknown.gss_code is None and unknown.lads == [] and unknown.warnings


def test_councils_are_stored_by_council_and_year(tmp_path: Path, reference) -> None:
    store = Store(tmp_path / "store")
    entry, written = add_folder(store, council_folder(tmp_path, "Demo Borough Council"),
                                reference)
    assert written and entry.rows == 40 and entry.years == ["2023", "2024"]
    assert entry.profile.lads == ["E09999999"] and entry.profile.region_codes == ["E12999999"]
    parts = sorted(p.relative_to(store.payments_dir).parent.as_posix()
                   for p in store.payments_dir.rglob("*.parquet"))
    assert parts == ["council_id=demo-borough-council/year=2023",
                     "council_id=demo-borough-council/year=2024"]
    got = store.payments()
    assert list(got.columns) == [*PAYMENT_COLUMNS, "council_id"]
    assert set(got["location_band"]) <= {"council", "region", "not located"}
    by_year = store.sql("SELECT year, COUNT(*) AS n FROM payments GROUP BY year ORDER BY year")
    assert by_year["n"].sum() == 40 and by_year["year"].tolist() == ["2023", "2024"]


def test_adding_a_council_leaves_the_others_untouched(tmp_path: Path, reference) -> None:
    store = Store(tmp_path / "store")
    first = council_folder(tmp_path, "Demo Borough Council")
    add_folder(store, first, reference)
    before = files_state(store.payments_dir / "council_id=demo-borough-council")
    add_folder(store, council_folder(tmp_path, "Ashvale District Council (synthetic)",
                                     seed=2), reference)
    assert files_state(store.payments_dir / "council_id=demo-borough-council") == before
    _, written = add_folder(store, first, reference)  # unchanged: not re-read
    assert not written
    assert files_state(store.payments_dir / "council_id=demo-borough-council") == before
    assert [e.council for e in store.entries()] == ["Ashvale District Council (synthetic)",
                                                    "Demo Borough Council"]


def test_a_changed_council_is_replaced_whole(tmp_path: Path, reference) -> None:
    store = Store(tmp_path / "store")
    folder = council_folder(tmp_path, "Demo Borough Council")
    add_folder(store, folder, reference)
    tx = pd.read_parquet(folder / "transactions.parquet").head(5)
    tx.to_parquet(folder / "transactions.parquet", index=False)
    entry, written = add_folder(store, folder, reference)
    assert written and entry.rows == 5 and len(store.payments()) == 5
    assert not list(store.payments_dir.glob(".*"))  # no temporary or old folders left


def test_a_council_with_no_payments_is_kept_and_compares_as_not_enough_data(
        tmp_path: Path, reference) -> None:
    store = Store(tmp_path / "store")
    folder = council_folder(tmp_path, "Demo Borough Council")
    pd.read_parquet(folder / "transactions.parquet").head(0).to_parquet(
        folder / "transactions.parquet", index=False)
    entry, _ = add_folder(store, folder, reference)
    assert entry.rows == 0 and entry.years == []
    row = for_csv(compare_councils(store)).iloc[0]
    assert row["period"] == "no payments" and row["local_share"] == NOT_ENOUGH_DATA


def test_an_empty_store_answers_with_no_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "nothing")
    assert store.entries() == [] and store.payments().empty
    assert store.sql("SELECT COUNT(*) AS n FROM payments")["n"].iloc[0] == 0
    assert compare_councils(store).empty


def test_a_folder_without_located_suppliers_is_refused(tmp_path: Path, reference) -> None:
    folder = council_folder(tmp_path, "Demo Borough Council")
    (folder / "suppliers.parquet").unlink()
    with pytest.raises(StoreError, match="impact locate"):
        add_folder(Store(tmp_path / "store"), folder, reference)


def test_compare_rows_are_kept_and_not_recomputed(tmp_path: Path, reference, monkeypatch
                                                  ) -> None:
    store = Store(tmp_path / "store")
    add_folder(store, council_folder(tmp_path, "Demo Borough Council"), reference)
    first = compare_councils(store, freq="quarter")
    import impact.store as module

    monkeypatch.setattr(module, "compare_table", lambda *a, **k: pytest.fail("recomputed"))
    again = compare_councils(store, freq="quarter")
    pd.testing.assert_frame_equal(first, again)
    assert first["period"].tolist() == ["2023 Q4", "2024 Q1", "2024 Q2"]


def test_impact_compare_writes_one_row_per_council_and_period(tmp_path: Path, reference,
                                                             capsys) -> None:
    from impact.cli import main

    dirs = [str(council_folder(tmp_path, "Demo Borough Council")),
            str(council_folder(tmp_path, "Ashvale District Council (synthetic)", seed=2))]
    out, store = tmp_path / "compare.csv", tmp_path / "store"
    args = ["compare", *dirs, "--out", str(out), "--store", str(store), "--reference",
            str(reference.root), "--period", "quarter"]
    assert main(args) == 0
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig")  # in words, for a person
    periods = {"Ashvale District Council (synthetic)": ["2023 Q4", "2024 Q1", "2024 Q2"],
               "Demo Borough Council": ["2023 Q4", "2024 Q1", "2024 Q2"]}
    assert table.groupby("Council")["Period"].apply(list).to_dict() == periods
    # no register says who is an SME
    assert set(table[labels.column("sme_share")]) == {NOT_ENOUGH_DATA}
    assert "added: Demo Borough Council" in capsys.readouterr().err
    parquet = tmp_path / "compare.parquet"  # for programs: the column names
    assert main([*args[:3], "--out", str(parquet), *args[5:]]) == 0
    assert "unchanged: Demo Borough Council" in capsys.readouterr().err
    names = pd.read_parquet(parquet)
    assert names.groupby("council")["period"].apply(list).to_dict() == periods
    assert set(names["sme_share"]) == {NOT_ENOUGH_DATA}
    assert main(["compare", str(tmp_path / "nowhere"), "--out", str(out), "--store",
                 str(store), "--reference", str(reference.root)]) == 1


def test_the_national_demo_is_deterministic_and_labelled(tmp_path: Path, capsys) -> None:
    from impact.cli import main

    for name in ("a", "b"):
        assert main(["demo", "--national", "--councils", "2", "--rows", "300", "--store",
                     str(tmp_path / name)]) == 0
    a, b = Store(tmp_path / "a").payments(), Store(tmp_path / "b").payments()
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 600 and a["council"].str.endswith("(synthetic)").all()
    assert (a["source_file"] == "synthetic national dataset").all()
    assert all(e.synthetic for e in Store(tmp_path / "a").entries())


def test_the_national_demo_never_joins_real_councils(tmp_path: Path, reference, capsys
                                                     ) -> None:
    from impact.cli import main

    store = Store(tmp_path / "store")
    add_folder(store, council_folder(tmp_path, "Demo Borough Council"), reference)
    assert main(["demo", "--national", "--councils", "1", "--rows", "10", "--store",
                 str(store.root)]) == 2
    assert "holds real councils" in capsys.readouterr().err


def test_locate_on_a_folder_without_payments_says_so(tmp_path: Path, reference, capsys
                                                     ) -> None:
    from impact.cli import main

    folder = council_folder(tmp_path, "Demo Borough Council")
    pd.read_parquet(folder / "transactions.parquet").head(0).to_parquet(
        folder / "transactions.parquet", index=False)
    assert main(["locate", str(folder), "--reference", str(reference.root)]) == 0
    assert "no spend to place" in capsys.readouterr().out
