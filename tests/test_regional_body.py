"""A regional body end to end with the shared reference tables (issue 24): the Greater
London Authority's files (made in :mod:`tests._regional`) ingested and located, compared,
and named as what it is — not a district council.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.analysis.compare import for_csv, statistical_neighbours
from impact.ingest.transactions import ingest, write_outputs
from impact.places.authorities import council_profile, load_authorities
from impact.places.councils import body_noun, council_lads
from impact.places.locate import locate, write_locate_outputs
from impact.places.reference import Reference, resolve_reference
from impact.sources import folder_source
from impact.store import Store, add_workspace, compare_councils
from impact.workspace import Workspace
from tests._regional import COUNCIL, write_regional_body
from tests._shared import require, shared_data_dir

pytestmark = pytest.mark.shared

SOUTHWARK = "E09000028"


@pytest.fixture(scope="module")
def reference() -> Reference:
    require("organisations")
    return resolve_reference(shared_data_dir())


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> Path:
    root = tmp_path_factory.mktemp("gla")
    spend = write_regional_body(root / "spend")
    out = root / "ingested"
    write_outputs(ingest([spend], council=COUNCIL), out)
    write_locate_outputs(out, locate(out, [], reference, fuzzy=False))
    return out


def test_the_codes_department_column_fills_the_department(located: Path) -> None:
    tx = pd.read_parquet(located / "transactions.parquet")
    assert tx["directorate"].notna().all()
    assert set(tx["directorate"]) == {"Housing and Land", "Good Growth", "Resources",
                                      "Communities and Skills"}


def test_public_bodies_are_placed_and_one_payee_is_one_supplier(located: Path) -> None:
    sup = pd.read_parquet(located / "suppliers.parquet").set_index("supplier_name")
    southwark = sup.loc["L B SOUTHWARK"]
    assert (southwark["supplier_class"], southwark["public_body_type"]) == ("public_body",
                                                                            "council")
    assert southwark["area_lad_codes"] == SOUTHWARK
    for name in ("LB HOUNSLOW", "LB NEWHAM", "LB CAMDEN", "MOPAC", "TfL",
                 "London Fire Commissioner", "RB KINGSTON"):
        assert bool(sup.loc[name, "is_located"]), name
    assert sup.loc["HM Revenue & Customs", "place_basis"] == "national"
    people = sup[sup["supplier_class"] == "individual_redacted"].index
    assert set(people) == {"J SMITH", "REDACTED - PERSONAL DATA"}  # the only people
    peabody = sup.loc[["PEABODY TRUST"]]
    assert len(peabody) == 1 and "same name" in peabody["id_merge"].iloc[0]
    mace = sup.loc[["MACE LIMITED"]]
    assert len(mace) == 1 and "leading zeros" in mace["id_merge"].iloc[0]


def test_its_type_region_local_area_and_neighbours_come_from_the_tables(
    reference: Reference,
) -> None:
    profile = council_profile(reference, COUNCIL)
    assert (profile.gss_code, profile.type, profile.region) == ("E61000001", "SRA", "London")
    assert profile.type_name == "Strategic Regional Authority" and not profile.warnings
    assert len(profile.lads) == 33 and SOUTHWARK in profile.lads  # "local" is London
    assert council_lads(reference, COUNCIL) == profile.lads
    near = statistical_neighbours(load_authorities(reference), profile.gss_code)
    assert len(near) == 5 and set(near["type"]) == {"COMB"}  # combined authorities
    assert body_noun(reference, COUNCIL) == "the authority"
    assert body_noun(reference, "West Yorkshire Combined Authority") == "the combined authority"
    assert body_noun(reference, "Leeds City Council") == "the council"


def test_police_and_fire_bodies_are_profiled_from_their_area(reference: Reference) -> None:
    police = council_profile(reference, "Thames Valley Police")
    assert police.type == "police" and police.region == "South East"
    assert "E06000038" in police.lads and not police.warnings  # Reading is in its area
    assert body_noun(reference, "Thames Valley Police") == "the force"
    fire = council_profile(reference, "London Fire Commissioner")
    assert fire.type == "fire" and fire.region == "London" and len(fire.lads) == 33


def test_the_compare_csv_carries_its_code_type_and_region(
    located: Path, reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPACT_WORKSPACE_DIR", str(tmp_path / "councils"))
    store = Store(tmp_path / "store")
    source = folder_source(located, council=COUNCIL, reference=str(reference.root))
    add_workspace(store, Workspace.load(source))  # as the app's button and impact compare
    table = for_csv(compare_councils(store, freq="all"))
    row = table.iloc[0]
    assert (row["council_code"], row["council_type"], row["region"]) == (
        "E61000001", "Strategic Regional Authority", "London")
    assert 0.5 < float(row["placed_share"]) <= 1.0  # the housing association is unplaced
