"""Issue 13's targets on the twelve shared councils: at least 95 % of public-body spend
placed or national, and at most 10 % of spend in the "unknown" class.

Ingest and locate of twelve councils take minutes, so each council's outputs are kept
under the system temporary folder, keyed on its spend files, the reference files and the
code that reads them: a second run re-reads them, a change to any of them re-runs.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

import impact.ingest
import impact.places
from impact.core import cache
from impact.places.locate import locate, reference_files, write_locate_outputs
from impact.places.reference import Reference, resolve_reference
from tests._shared import require, shared_data_dir

pytestmark = pytest.mark.shared

#: Shared spend folder → the council's name as a user would give it.
COUNCILS = {
    "bradford": "City of Bradford Metropolitan District Council",
    "calderdale": "Calderdale Metropolitan Borough Council",
    "devon": "Devon County Council",
    "gateshead": "Gateshead Council",
    "hyndburn": "Hyndburn Borough Council",
    "leeds": "Leeds City Council",
    "manchester": "Manchester City Council",
    "newcastle": "Newcastle upon Tyne City Council",
    "oxford": "Oxford City Council",
    "trafford": "Trafford Council",
    "wakefield": "Wakefield Metropolitan District Council",
    "warwickshire": "Warwickshire County Council",
}
CACHE = Path(tempfile.gettempdir()) / "impact-shared-councils"


def _code(package: object) -> list[Path]:
    return sorted(Path(package.__file__).parent.glob("*.py"))


@pytest.fixture(scope="module")
def reference() -> Reference:
    require("organisations")
    return resolve_reference(shared_data_dir())


def _ingested(folder: str) -> Path:
    """The council's ingest outputs, from the cache or a fresh ingest."""
    from impact.ingest.transactions import ingest, write_outputs

    spend = sorted(p for p in require("spend", folder).rglob("*") if p.is_file())
    key = cache.key(folder, *cache.fingerprint([*spend, *_code(impact.ingest)]))
    out = CACHE / folder / f"ingest-{key}"
    if not (out / "quality.json").is_file():
        write_outputs(ingest([str(p) for p in spend], council=COUNCILS[folder]), out)
    return out


def _located(folder: str, reference: Reference) -> dict:
    """The council's coverage.json, from the cache or a fresh locate."""
    ingested = _ingested(folder)
    quality = json.loads((ingested / "quality.json").read_text(encoding="utf-8"))
    if not quality.get("rows_used"):
        pytest.skip(f"{folder}: ingest cannot read these files yet ({quality['files_failed']})")
    inputs = [ingested / "transactions.parquet", *reference_files(reference),
              *_code(impact.places)]
    out = CACHE / folder / f"locate-{cache.key(*cache.fingerprint(inputs))}"
    if not (out / "coverage.json").is_file():
        write_locate_outputs(out, locate(ingested, [], reference))
    return json.loads((out / "coverage.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("folder", sorted(COUNCILS))
def test_public_bodies_placed_or_national_and_few_unknowns(
    folder: str, reference: Reference
) -> None:
    cov = _located(folder, reference)
    public = cov["public_body_spend"]
    assert public["share_placed_or_national"] >= 0.95, (folder, cov["unresolved_top"][:10])
    unknown = cov["spend_by_class"].get("unknown", 0.0) / cov["total_spend"]
    assert unknown <= 0.10, folder
    # every basis is a share of all spend; with national spend they never exceed the whole
    placed = sum(v or 0.0 for v in cov["located_by_basis"].values())
    assert placed == pytest.approx(cov["share_of_spend_located"], abs=1e-5)
    assert placed + cov["share_of_spend_national"] <= 1.0 + 1e-9
