"""Shared fixtures: where the real public data is, and skipping cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from impact.places.reference import shared_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data folder (../shared/data or IMPACT_SHARED_DATA); skip when absent."""
    path = shared_data_dir()
    if not (path / "spend").is_dir():
        pytest.skip(f"real public data not found at {path} (set IMPACT_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def spend_dir(shared_data: Path) -> Path:
    return shared_data / "spend"
