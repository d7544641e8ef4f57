"""Where the real public data is, and what a test does when it is not there.

Locally a missing ``../shared/data`` skips the tests that read it, with the reason.  In CI
(``CI=true``) the real-data tests must run, so a missing folder fails them instead: a
green run then proves what the README claims about real councils.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from impact.core.settings import shared_data_dir


def in_ci() -> bool:
    """True when running under CI (``CI`` set to a true value)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(reason: str) -> None:
    """Skip (locally) or fail (in CI) a test whose real data is absent."""
    if in_ci():
        pytest.fail(f"{reason}: the real-data tests must run in CI", pytrace=False)
    pytest.skip(reason)


def require(*parts: str) -> Path:
    """``shared_data_dir() / parts``; skipped locally, failed in CI when absent."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        missing(f"real public data not found at {path} (set IMPACT_SHARED_DATA)")
    return path
