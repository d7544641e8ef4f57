"""One way to get a Spark session: local mode by default, a cluster by configuration.

National aggregates and cross-council linkage run on Spark when one machine is not enough.
Where Spark runs is a setting (``IMPACT_SPARK_MASTER``, default ``local[2]``); under
``spark-submit`` the session takes the master and resources spark-submit was given, so the
same command runs on a laptop, in CI and on a cluster.  pyspark is imported only here and
only when a session is asked for.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from impact.core.settings import settings

#: Local default: two cores, like the machine the benchmarks describe.
LOCAL_MASTER = "local[2]"
#: Shuffle partitions in local mode (Spark's default 200 is for clusters: locally it
#: means 200 tiny tasks per join).
LOCAL_SHUFFLE_PARTITIONS = 8
LOCAL_DRIVER_MEMORY = "4g"


def spark_session(app: str = "impact-explorer") -> Any:
    """The active Spark session, or a new one configured from the settings.

    Partition columns are read as text (``council_id``, ``year``), Splink's similarity
    functions jar is on the class path when Splink is installed, and a checkpoint folder
    is set (``spark.checkpoint.dir`` when given, else the cache folder's), so the same
    session serves the aggregates and the linkage.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    s = settings()
    builder = (SparkSession.builder.appName(app)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    jar = _splink_jar()
    if jar:
        builder = builder.config("spark.jars", jar)
    if not s.spark_submitted:
        master = s.spark_master or LOCAL_MASTER
        builder = builder.master(master)
        if master.startswith("local"):
            builder = (builder.config("spark.sql.shuffle.partitions", LOCAL_SHUFFLE_PARTITIONS)
                       .config("spark.driver.memory", LOCAL_DRIVER_MEMORY))
    with quiet():
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    if not s.spark_submitted and (s.spark_master or LOCAL_MASTER).startswith("local"):
        # Python UDFs run in this interpreter, with this project's packages (pyspark takes
        # the worker's Python from PYSPARK_PYTHON only, else whatever python3 is on PATH).
        session.sparkContext.pythonExec = sys.executable
    if session.sparkContext.getCheckpointDir() is None:  # where Splink writes its steps
        folder = s.cache_dir / "spark-checkpoints"
        folder.mkdir(parents=True, exist_ok=True)
        session.sparkContext.setCheckpointDir(str(folder))
    return session


@contextmanager
def quiet() -> Iterator[None]:
    """Silence pyspark's warnings about pandas 3 (it converts our frames correctly; the
    tests compare every value with DuckDB's)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
        warnings.filterwarnings("ignore", "The copy keyword is deprecated")
        yield


def to_pandas(frame: Any) -> Any:
    """A Spark DataFrame collected to the driver as pandas (Arrow), quietly."""
    with quiet():
        return frame.toPandas()


def _splink_jar() -> str | None:
    """Splink's Scala similarity functions (jaro_winkler ...) for this Spark version."""
    try:
        from splink.backends.spark import similarity_jar_location
    except ImportError:
        return None
    return similarity_jar_location()
