"""Heavy results kept on disk: computed once per dataset and settings, read by every
session and process after, never served once the data, a setting or the code changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from impact import reports
from impact.analysis import model_inputs
from impact.analysis.filters import Filters
from impact.core import cache
from impact.core.settings import DEMO_REGISTER, WORKSPACE_DIR, demo_dir, project_root
from impact.places.registers import save_resolution
from impact.sources import demo_source, resolutions_register
from impact.workspace import _DISTRICTS, _MODELS, _NEIGHBOURS, Workspace


class Boom(AssertionError):
    """Raised by a computation that must not run (the result is to be read)."""


def _boom() -> None:
    raise Boom("computed again instead of read from disk")


# ------------------------------------------------------------------ the store itself


def test_a_result_is_computed_once_and_read_by_a_new_store(tmp_path: Path) -> None:
    """A second store (as in another process) reads the file instead of computing."""
    first = cache.DiskStore("thing")
    value = first.once(tmp_path, ("dataset-a", "k=3"), lambda: {"table": np.arange(5)})
    assert first.computed == 1 and len(list(tmp_path.glob("thing-*.pkl"))) == 1
    second = cache.DiskStore("thing")
    again = second.once(tmp_path, ("dataset-a", "k=3"), _boom)
    assert second.read == 1 and second.computed == 0
    assert np.array_equal(again["table"], value["table"])


def test_other_settings_another_dataset_or_other_code_are_a_miss(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = cache.DiskStore("thing")
    store.once(tmp_path, ("dataset-a", "k=3"), lambda: 1)
    assert store.once(tmp_path, ("dataset-a", "k=4"), lambda: 2) == 2
    assert store.once(tmp_path, ("dataset-b", "k=3"), lambda: 3) == 3
    monkeypatch.setitem(cache._CODE, "impact", "other-code")
    assert store.once(tmp_path, ("dataset-a", "k=3"), lambda: 4) == 4
    monkeypatch.setattr(cache, "RESULTS_VERSION", "next")
    assert store.once(tmp_path, ("dataset-a", "k=3"), lambda: 5) == 5
    assert store.computed == 5 and store.read == 0


def test_code_version_follows_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    """The code part of the key is a hash of the project's source, computed once."""
    monkeypatch.delitem(cache._CODE, "impact", raising=False)
    v = cache.code_version()
    assert len(v) == 16 and cache.code_version() == v


def test_a_damaged_file_is_computed_again_and_writes_are_whole(tmp_path: Path) -> None:
    store = cache.DiskStore("thing")
    path = store.path(tmp_path, ("d",))
    store.once(tmp_path, ("d",), lambda: "fine")
    path.write_bytes(b"not a pickle")
    assert store.once(tmp_path, ("d",), lambda: "again") == "again"
    assert cache.DiskStore("thing").once(tmp_path, ("d",), _boom) == "again"
    assert not [p for p in tmp_path.iterdir() if not p.name.endswith(".pkl")]  # no temp left


def test_an_unwritable_folder_costs_a_recomputation_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = cache.DiskStore("thing")
    assert store.once(blocker / "sub", ("d",), lambda: 7) == 7  # folder cannot be made


def test_the_oldest_files_are_pruned(tmp_path: Path) -> None:
    store = cache.DiskStore("thing", max_files=3)
    for i in range(6):
        store.once(tmp_path, (f"filters-{i}",), lambda i=i: i)
        os.utime(store.path(tmp_path, (f"filters-{i}",)), ns=(i * 10**9, i * 10**9))
    kept = sorted(tmp_path.glob("thing-*.pkl"))
    assert len(kept) <= 3
    assert store.path(tmp_path, ("filters-5",)) in kept


# ------------------------------------------------------------------ on the demo borough


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace folder of its own and a copy of the demo's register."""
    reg = tmp_path / "register.csv"
    shutil.copy(demo_dir() / "supplier_register.csv", reg)
    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path / "workspace"))
    monkeypatch.setenv(DEMO_REGISTER, str(reg))
    cache.clear_all()
    yield tmp_path
    cache.clear_all()


def test_the_model_areas_and_neighbours_are_read_back_not_recomputed(
        env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.load("demo")
    model, areas, near = ws.model(), reports.areas(ws, Filters()), ws.neighbours()
    kept = sorted(p.name.split("-")[0] for p in ws.results_folder.glob("*.pkl"))
    assert kept == ["areas", "districts", "model", "neighbours"]  # the model read the names
    cache.clear_all()  # a new process: nothing in memory
    monkeypatch.setattr(Workspace, "_fit_model", lambda self, f: _boom())
    monkeypatch.setattr(reports, "_areas", lambda *a: _boom())
    ws = Workspace.load("demo")
    assert ws.model().model.headline_ == model.model.headline_
    again = reports.areas(ws, Filters())
    assert again.table.equals(areas.table) and again.ranking.equals(areas.ranking)
    assert ws.neighbours().equals(near)


def test_filters_and_the_councils_model_choices_change_the_key(env: Path) -> None:
    ws = Workspace.load("demo")
    first = ws.model()
    before = _MODELS.computed
    ws.model(Filters(influenceable_only=True))
    assert _MODELS.computed == before + 1
    model_inputs.save_choices(ws.source.council, model_inputs.Choices(payroll_gbp=5e6,
                                                                      staff_local_pct=60))
    cache.clear_all()  # as a new process would: only the disk is left
    changed = ws.model()
    assert _MODELS.computed == before + 2  # the saved choices are part of the key
    assert changed.model.headline_ != first.model.headline_


def test_the_officers_places_change_the_dataset_and_so_the_key(env: Path) -> None:
    ws = Workspace.load("demo")
    reports.areas(ws, Filters())
    ws.neighbours()
    folder = ws.results_folder
    names = {p.name for p in folder.glob("*.pkl")}
    save_resolution(resolutions_register(demo_source()), "Zed New Supplier Ltd",
                    postcode="ZZ1 0AB")
    placed = Workspace.load("demo")
    assert placed.key != ws.key
    computed = _NEIGHBOURS.computed
    placed.neighbours()
    reports.areas(placed, Filters())
    assert _NEIGHBOURS.computed == computed + 1
    assert len({p.name for p in folder.glob("*.pkl")} - names) == 2


def test_a_second_process_reads_instead_of_recomputing(env: Path) -> None:
    """What every later session and server gets: the first process's results, read."""
    ws = Workspace.load("demo")
    ws.model()
    reports.areas(ws, Filters())
    code = (
        "import json; from impact import reports; from impact.analysis.filters import "
        "Filters; from impact.workspace import _MODELS, Workspace; "
        "ws = Workspace.load('demo'); ws.model(); reports.areas(ws, Filters()); "
        "print(json.dumps({'model': [_MODELS.computed, _MODELS.read], "
        "'areas': [reports._AREAS.computed, reports._AREAS.read]}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=project_root(), check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(project_root())})
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"model": [0, 1], "areas": [0, 1]}


def test_prepare_results_keeps_what_the_heavier_pages_read(env: Path) -> None:
    """What ``impact locate`` and the app's background thread prepare: every heavy result
    a page's first visit reads, on disk, so a new process computes none of them."""
    reports.prepare_results(Workspace.load("demo"))
    folder = Workspace.load("demo").results_folder
    kinds = sorted({p.name.split("-")[0] for p in folder.glob("*.pkl")})
    assert kinds == ["areas", "charter", "checks", "departments", "districts", "model",
                     "neighbours"]
    cache.clear_all()
    ws = Workspace.load("demo")
    stores = (_MODELS, _NEIGHBOURS, _DISTRICTS, reports._AREAS, reports._CHARTERS,
              reports._DEPARTMENTS)
    computed = {s.name: s.computed for s in stores}
    ws.model()
    ws.neighbours()
    assert ws.district_names(), "every district's name, read back"
    reports.areas(ws, Filters())
    reports.charter(ws, Filters())
    # the Departments page's first view: its first grouping, the last three months
    by = next(iter(reports.department_groups(ws.transactions)))
    tables = reports.department_tables(ws, Filters(), by, reports.payment_months(ws)[-3:])
    assert {s.name: s.computed for s in stores} == computed
    assert len(tables) == 4 and not tables[0].empty
