"""Where a council's own files live: one slug rule and one folder layout for all of them.

Everything the project writes for a council (ingest and locate results, register edits,
column mappings, uploads, charter attributes, priors, scenarios, consultation records)
sits under the workspace folder (:attr:`impact.core.settings.Settings.workspace_dir`),
named ``<council slug>-<what>``, so one council's files sort together and two councils
never share one.
"""

from __future__ import annotations

import re
from pathlib import Path

from impact.core.settings import settings

SLUG_LENGTH = 40


def slug(text: str) -> str:
    """A council (or any) name as a file-name-safe slug: "St. Helens MBC" → "st-helens-mbc"."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:SLUG_LENGTH] or "council"


def workspace_dir() -> Path:
    """The folder holding every council's own files (``IMPACT_WORKSPACE_DIR``)."""
    return settings().workspace_dir


def council_file(council: str, what: str) -> Path:
    """``<workspace>/<slug>-<what>``: a council's one file (or folder) of a kind."""
    return workspace_dir() / f"{slug(council)}-{what}"


def council_folder(kind: str, council: str, key: str) -> Path:
    """``<workspace>/<kind>/<slug>-<key>``: one of many keyed outputs of a kind (caches)."""
    return workspace_dir() / kind / f"{slug(council)}-{key}" if key else (
        workspace_dir() / kind / slug(council)
    )
