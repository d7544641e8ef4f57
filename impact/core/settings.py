"""Every environment setting the project reads, in one place.

Settings are read when asked for (:func:`settings`), not at import, so a deployment, a
test's ``monkeypatch.setenv`` or a subprocess's ``env=`` takes effect without a restart.
Nothing else in :mod:`impact` or the app reads ``os.environ``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: Environment variable names, one per setting (the README documents them).
WORKSPACE_DIR = "IMPACT_WORKSPACE_DIR"
CACHE_DIR = "IMPACT_CACHE_DIR"
REFERENCE_DIR = "IMPACT_REFERENCE_DIR"
DEMO_REGISTER = "IMPACT_DEMO_REGISTER"
SOURCE_DIR = "IMPACT_SOURCE_DIR"
COUNCIL = "IMPACT_COUNCIL"
LAD_CODES = "IMPACT_LAD_CODES"
STORE_DIR = "IMPACT_STORE_DIR"
SPARK_MASTER = "IMPACT_SPARK_MASTER"
PROCUREMENT_THRESHOLDS = "IMPACT_PROCUREMENT_THRESHOLDS"
#: The real public data the tests and benchmarks read (never the app): default
#: ``../shared/data`` beside the project.
SHARED_DATA = "IMPACT_SHARED_DATA"
#: The council's quotation and tender thresholds (£) when none are set: common defaults.
DEFAULT_PROCUREMENT_THRESHOLDS = (5000.0, 25000.0, 100000.0)
#: Set by ``spark-submit`` for the Python it starts (read, never set, by this project).
SPARK_SUBMIT_GATEWAY = "PYSPARK_GATEWAY_PORT"
#: Upload limits (numbers; see :mod:`impact.ingest.limits`).
LIMITS = ("IMPACT_MAX_FILE_MB", "IMPACT_MAX_ROWS", "IMPACT_MAX_COLUMNS", "IMPACT_MAX_CELL_KB",
          "IMPACT_MAX_UNZIPPED_MB", "IMPACT_MAX_ZIP_RATIO")


@functools.cache
def project_root() -> Path:
    """The project checkout (the folder holding ``impact/``); resolved once per process
    (every ``settings()`` call asks, a dozen times a page run)."""
    return Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """The real public data folder the tests and benchmarks read: ``IMPACT_SHARED_DATA`` or
    ``../shared/data`` beside the project (one rule for both, so they read the same files)."""
    env = os.environ.get(SHARED_DATA)
    return Path(env) if env else project_root().parent / "shared" / "data"


def demo_dir() -> Path:
    """The committed synthetic demo borough."""
    return project_root() / "data" / "demo"


@dataclass(frozen=True)
class Settings:
    """What the environment says, with the defaults applied.

    Attributes
    ----------
    workspace_dir : where ingest/locate results, register edits, priors, scenarios and
        consultation records are kept (default ``data/councils/``, git-ignored).
    cache_dir : caches derived from reference data (default ``data/boundaries/``).
    reference_dir : the reference data folder, or None for the demo borough's own.
    demo_register : a register file to use for the demo instead of the committed one.
    source_dir, council, lad_codes : the council the app opens on (None: the demo).
    store_dir : the multi-council store Compare reads and ``impact compare`` fills
        (default ``<workspace>/store``).
    spark_master : where Spark runs: a master URL (default ``local[2]``); under
        ``spark-submit`` its ``--master`` wins.
    spark_submitted : this process was started by ``spark-submit``.
    limits : raw ``IMPACT_MAX_*`` values that are set (parsed by the upload limits).
    procurement_thresholds : the council's quotation and tender thresholds in £, which the
        split-purchase check tests (``IMPACT_PROCUREMENT_THRESHOLDS="5000,25000,100000"``).
    """

    workspace_dir: Path
    cache_dir: Path
    reference_dir: Path | None = None
    demo_register: Path | None = None
    source_dir: Path | None = None
    council: str | None = None
    lad_codes: tuple[str, ...] = ()
    store_dir: Path | None = None
    spark_master: str | None = None
    spark_submitted: bool = False
    limits: Mapping[str, str] = field(default_factory=dict)
    procurement_thresholds: tuple[float, ...] = DEFAULT_PROCUREMENT_THRESHOLDS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Settings from an environment mapping (blank values count as unset)."""

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def path(name: str) -> Path | None:
            value = get(name)
            return Path(value).expanduser() if value else None

        root = project_root()
        workspace = path(WORKSPACE_DIR) or root / "data" / "councils"
        lads = tuple(c.strip() for c in (get(LAD_CODES) or "").split(",") if c.strip())
        return cls(
            workspace_dir=workspace,
            cache_dir=path(CACHE_DIR) or root / "data" / "boundaries",
            reference_dir=path(REFERENCE_DIR),
            demo_register=path(DEMO_REGISTER),
            source_dir=path(SOURCE_DIR),
            council=get(COUNCIL),
            lad_codes=lads,
            store_dir=path(STORE_DIR) or workspace / "store",
            spark_master=get(SPARK_MASTER),
            spark_submitted=get(SPARK_SUBMIT_GATEWAY) is not None,
            limits={name: value for name in LIMITS if (value := get(name)) is not None},
            procurement_thresholds=parse_pounds(get(PROCUREMENT_THRESHOLDS))
            or DEFAULT_PROCUREMENT_THRESHOLDS,
        )


def parse_pounds(text: str | None) -> tuple[float, ...]:
    """"5000,25000,100000" (commas or semicolons; "£" allowed) → the amounts in £, sorted;
    () when none read."""
    values = []
    for item in (text or "").replace(";", ",").split(","):
        try:
            values.append(float(item.replace("£", "").strip()))
        except ValueError:
            continue
    return tuple(sorted(v for v in values if v > 0))


def settings() -> Settings:
    """The settings now in force (read from the process environment on each call)."""
    return Settings.from_env(os.environ)
