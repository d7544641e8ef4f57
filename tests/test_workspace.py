"""Workspace: the demo borough end to end, cache keys, and registers never written in place."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from impact.core.settings import DEMO_REGISTER, WORKSPACE_DIR, demo_dir
from impact.ingest.schema import supplier_keys
from impact.places.councils import find_council_lads
from impact.places.registers import save_resolution
from impact.sources import (
    current_mapping,
    demo_source,
    folder_source,
    resolutions_register,
    source_key,
)
from impact.workspace import Workspace


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ws")
    reg = root / "register.csv"
    shutil.copy(demo_dir() / "supplier_register.csv", reg)
    old = {k: os.environ.get(k) for k in (WORKSPACE_DIR, DEMO_REGISTER)}
    os.environ[WORKSPACE_DIR] = str(root / "cache")
    os.environ[DEMO_REGISTER] = str(reg)
    yield root
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def demo(env: Path) -> Workspace:
    return Workspace.load("demo")


def test_demo_loads_and_accounts_for_every_row(demo: Workspace) -> None:
    tx = demo.transactions
    assert demo.is_demo and "synthetic" in demo.label
    assert len(tx) == demo.quality["rows_used"]
    assert tx["supplier_key"].isin(demo.suppliers["supplier_key"]).all()
    assert set(tx["location_band"].unique()) <= {"council", "region", "elsewhere", "not located"}
    assert demo.council_lads == ["E09999999"]
    assert demo.region_codes == ["E12999999"]
    assert len(demo.region_lads) == 4


def test_demo_local_share_matches_the_answer_key(demo: Workspace) -> None:
    # data/demo/README.md: borough 42.2 % of spend value (of all spend, so the lower bound).
    f = demo.measures(lm3=False).local
    assert f.lower == pytest.approx(0.422, abs=0.01)
    assert f.coverage.share > 0.95


def test_demo_wards_have_deprivation(demo: Workspace) -> None:
    w = demo.wards
    assert len(w) == 20 and w.crs.to_epsg() == 4326
    assert w["imd_score"].notna().all() and w["population"].gt(0).all()
    assert "imd2019_rank" in w


def test_supplier_keys_match_locate() -> None:
    tx = pd.DataFrame({"council": ["C", "C"], "supplier_id": ["7", None],
                       "supplier_name_norm": ["A", "B"]})
    assert supplier_keys(tx).tolist() == ["C|id:7", "C|name:B"]


def test_source_key_changes_with_the_register(env: Path) -> None:
    src = demo_source()
    k1 = source_key(src)
    reg = Path(src.register)
    reg.write_text(reg.read_text(encoding="utf-8") + "999,New Co,ZZ1 0AB,,,\n",
                   encoding="utf-8")
    assert source_key(src) != k1


def test_resolutions_go_under_the_workspace_never_into_a_source_register(env: Path) -> None:
    """The council's register lives in the workspace folder, for every source of the council;
    saving there changes the source key, and the committed demo register is never written."""
    committed = demo_dir() / "supplier_register.csv"
    before = committed.read_bytes()
    src = demo_source()
    target = resolutions_register(src)
    assert target.parent == env / "cache" and target.name.endswith("supplier_register.csv")
    assert resolutions_register(folder_source(demo_dir() / "spend", council=src.council)) == target
    k1 = source_key(src)
    save_resolution(target, "New Co", postcode="ZZ1 0AB")
    assert source_key(src) != k1
    assert committed.read_bytes() == before
    target.unlink()


def test_find_council_lads() -> None:
    lk = pd.DataFrame({"lad_code": ["E1", "E2", "E3"],
                       "lad_name": ["Hyndburn", "Demo Borough (synthetic)",
                                    "Blackburn with Darwen"]})
    assert find_council_lads("Hyndburn Borough Council", lk) == ["E1"]
    assert find_council_lads("Demo Borough Council (synthetic)", lk) == ["E2"]
    assert find_council_lads("Blackburn with Darwen Borough Council", lk) == ["E3"]
    assert find_council_lads("Nowhere", lk) == []


def test_folder_source_errors_and_register_detection(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        folder_source(tmp_path / "missing")
    (tmp_path / "spend-2024-04.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / "supplier_register.csv").write_text("a,b\n", encoding="utf-8")
    src = folder_source(tmp_path, council="X")
    assert src.kind == "folder" and src.register.endswith("supplier_register.csv")


def test_current_mapping_takes_the_commonest_header() -> None:
    q = {"files": [{"column_mapping": {"amount": "Net"}}, {"column_mapping": {"amount": "Net"}},
                   {"column_mapping": {"amount": "Value"}}]}
    assert current_mapping(q) == {"amount": "Net"}


def test_prepared_places_are_cached_on_disk_and_equal_a_fresh_build(
    env: Path, demo: Workspace
) -> None:
    """Wards/IoD preparation is read back from GeoParquet on the next load (20 s → <1 s on
    a real council), and gives the same wards, suppliers and districts as building anew."""
    prepared = list((env / "cache" / "prepared").glob("*/wards.parquet"))
    assert len(prepared) == 1, prepared
    again = Workspace.load("demo")
    fresh = Workspace.load("demo", use_cache=False)
    for ws in (again, fresh):
        assert ws.council_lads == demo.council_lads and ws.region_codes == demo.region_codes
        assert ws.wards.crs == demo.wards.crs
        pd.testing.assert_frame_equal(
            pd.DataFrame(ws.wards.drop(columns="geometry")),
            pd.DataFrame(demo.wards.drop(columns="geometry")), check_dtype=False)
        assert ws.wards.geometry.geom_equals_exact(demo.wards.geometry, 1e-9).all()
        assert ws.suppliers["imd_decile"].equals(demo.suppliers["imd_decile"])
    # A damaged cache file is rebuilt, not fatal.
    prepared[0].write_bytes(b"not parquet")
    assert len(Workspace.load("demo").wards) == len(demo.wards)


def test_bands_national_and_areas() -> None:
    """A national body is its own band; a body placed at an area is local only when the
    whole area lies in the council, else regional when the area shares its region."""
    from impact.workspace import join_suppliers

    sup = pd.DataFrame({
        "supplier_key": ["k1", "k2", "k3", "k4", "k5"],
        "supplier_class": ["public_body"] * 5,
        "is_located": [False, True, True, True, False],
        "place_basis": ["national", "public_body", "public_body", "registered_office", None],
        "area_lad_codes": [None, "E1", "E1;E2", None, None],
        "lad_code": [None, "E1", None, "E9", None],
        "region_code": [None, "R", "R", "R", None],
    })
    tx = pd.DataFrame({"council": "c", "supplier_id": ["k1", "k2", "k3", "k4", "k5"],
                       "supplier_name_norm": list("abcde"), "amount": 1.0})  # five payees
    sup["supplier_key"] = supplier_keys(tx).to_numpy()
    joined = join_suppliers(tx, sup, ["E1"], ["R"])
    assert joined["location_band"].tolist() == [
        "national", "council", "region", "region", "not located"]


def test_impact_locate_prepares_the_apps_first_load(env: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``impact ingest`` and ``impact locate`` on a folder, the app's first load reads
    what locate found and prepared: it neither places the suppliers nor builds the wards."""
    from click.testing import CliRunner

    import impact.workspace as workspace_module
    from impact.cli import cli

    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path / "cache"))
    out = tmp_path / "anytown"
    runner = CliRunner()
    ran = runner.invoke(cli, ["ingest", str(demo_dir() / "spend"), "--council",
                              "Demo Borough Council (synthetic)", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    ran = runner.invoke(cli, ["locate", str(out)])
    assert ran.exit_code == 0, ran.output
    assert list((tmp_path / "cache" / "prepared").glob("*/wards.parquet"))

    def refuse(*args, **kwargs):
        raise AssertionError("the app placed the suppliers again")

    monkeypatch.setattr(workspace_module, "locate", refuse)
    monkeypatch.setattr(workspace_module, "supplier_deprivation", refuse)
    ws = Workspace.load(folder_source(out))
    assert len(ws.transactions) and len(ws.wards)

    # Placements made by other code are not read back: after an upgrade that changes how
    # suppliers are placed, the app places them again rather than show the old places.
    from impact.core import cache
    from impact.places import locate as locate_module
    from impact.places.councils import supplier_deprivation

    calls: list[int] = []

    def counted(*args, **kwargs):
        calls.append(1)
        return locate_module.locate(*args, **kwargs)

    monkeypatch.setattr(workspace_module, "locate", counted)
    monkeypatch.setattr(workspace_module, "supplier_deprivation", supplier_deprivation)
    monkeypatch.setitem(cache._CODE, "/".join(workspace_module.PLACEMENT_CODE), "other-code")
    Workspace.load(folder_source(out))
    assert calls == [1]


def test_impact_locate_applies_the_places_officers_saved(env: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A supplier an officer placed in the app is placed the same way by ``impact locate``
    (its suppliers.parquet and coverage), so the command line and the app agree."""
    from click.testing import CliRunner

    from impact.cli import cli

    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path / "cache"))
    out = tmp_path / "anytown"
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(demo_dir() / "spend"), "--council",
                               "Demo Borough Council (synthetic)", "--out",
                               str(out)]).exit_code == 0
    assert runner.invoke(cli, ["locate", str(out)]).exit_code == 0
    before = pd.read_parquet(out / "suppliers.parquet")
    located = Workspace.load(folder_source(out)).coverage  # as the app counts them
    unplaced = before[before["lat"].isna() & before["postcode"].isna()
                      & ~before["is_redacted"].astype(bool)]
    name = str(unplaced.sort_values("amount", ascending=False)["supplier_name"].iloc[0])
    postcode = str(before.loc[before["lsoa21_code"].notna(), "postcode"].iloc[0])
    save_resolution(resolutions_register(folder_source(out)), name, postcode=postcode)

    ran = runner.invoke(cli, ["locate", str(out)])
    assert ran.exit_code == 0, ran.output
    assert "placed as officers placed them in the app" in ran.output
    after = pd.read_parquet(out / "suppliers.parquet")
    row = after[after["supplier_name"] == name].iloc[0]
    assert row["resolution_method"] == "manual" and pd.notna(row["lsoa21_code"])
    share = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    # one more at least: a name saved once places every supplier row of that name
    assert share["suppliers_located"] > located["suppliers_located"]
    assert share["share_of_spend_located"] > located["share_of_spend_located"]
    app = Workspace.load(folder_source(out))  # the app agrees
    assert app.coverage["suppliers_located"] == share["suppliers_located"]
