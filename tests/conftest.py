"""Shared fixtures: where the real public data is; absent data skips locally, fails in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._shared import in_ci, require


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data folder (../shared/data or IMPACT_SHARED_DATA)."""
    require("spend")
    return require()


@pytest.fixture(scope="session")
def spend_dir(shared_data: Path) -> Path:
    return shared_data / "spend"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In CI a skipped real-data or browser test is a failure, whatever skipped it."""
    report = yield
    must_run = item.get_closest_marker("shared") or item.get_closest_marker("browser")
    if in_ci() and report.skipped and must_run and call.when in {"setup", "call"}:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where it must run: {report.longrepr}"
    return report


@pytest.fixture(scope="module")
def demo_and_root(tmp_path_factory: pytest.TempPathFactory):
    """The demo loaded as the app loads it, with its workspace (verdicts, saved choices,
    caches) in a fresh folder, and a folder for the files a test writes."""
    from impact.core.settings import WORKSPACE_DIR
    from impact.workspace import Workspace

    root = tmp_path_factory.mktemp("demo")
    mp = pytest.MonkeyPatch()
    mp.setenv(WORKSPACE_DIR, str(root / "ws"))
    yield Workspace.load("demo"), root
    mp.undo()
