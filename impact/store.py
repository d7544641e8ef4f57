"""The canonical multi-council store: every council's placed payments in one Parquet dataset.

Comparing councils, following trends and national aggregates all need many councils at once,
so the payments of each council (transactions joined to their supplier's place, IoD decile
and location band — the same join as :meth:`impact.workspace.Workspace.load`) are kept in one
dataset partitioned by council and year::

    <store>/payments/council_id=<slug>/year=<yyyy or undated>/part-0.parquet
    <store>/councils/<slug>.json          the council's profile, coverage and fingerprint

DuckDB queries the whole dataset in place (:meth:`Store.sql`); Spark reads the same files
(:func:`run_sql`).  A council is written into a new folder and swapped in
with one rename, so adding or refreshing one council never reads or rewrites another, and a
reader never sees half a council.  A council whose inputs have not changed (same
fingerprint) is not re-read at all.

The store sits at the front, beside :mod:`impact.workspace`: it is what several councils'
workspaces have in common, and it uses the workspace's join so a figure in Compare is the
figure the council's own pages show.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from impact.analysis import model_inputs
from impact.analysis.compare import TABLE_VERSION, CouncilInfo, Lm3For, compare_table
from impact.analysis.national import AGGREGATE_COLUMNS, spend_by_ward_sql
from impact.core import cache
from impact.core.atomic import atomic_write_text
from impact.core.paths import slug, workspace_dir
from impact.core.settings import settings
from impact.ingest.schema import TRANSACTION_COLUMNS
from impact.places.authorities import CouncilProfile, council_profile, load_authorities
from impact.places.geocode import OUTPUT_COLUMNS as PLACE_COLUMNS
from impact.places.reference import Reference
from impact.workspace import Workspace

#: Bumped when the stored columns change meaning: every council is then re-read once.
STORE_VERSION = "2"
#: The canonical transaction columns kept (:data:`impact.ingest.schema.TRANSACTION_COLUMNS`).
_KEPT = ("council", "source_file", "source_row", "date", "period", "amount", "supplier_name",
         "supplier_name_norm", "supplier_id", "company_number", "directorate", "service_area",
         "expense_type", "is_card", "is_redacted", "is_summary")
#: The supplier's place (:data:`impact.places.geocode.OUTPUT_COLUMNS`).
_PLACE = ("postcode", "lsoa21_code", "ward_code", "ward_name", "lad_code", "lad_name",
          "region_code")
#: Columns of every stored payment, with their pandas dtypes (one schema for all councils,
#: so DuckDB and Spark read the dataset without reconciling types).  Dates in milliseconds
#: and a nullable row number, which Spark reads as DuckDB does.
PAYMENT_COLUMNS: dict[str, str] = {
    **{c: TRANSACTION_COLUMNS[c] for c in _KEPT},
    "date": "datetime64[ms]",
    "source_row": "Int64",
    "supplier_key": "string",
    "supplier_class": "string",
    "public_body_type": "string",
    "is_located": "boolean",
    "location_band": "string",
    "place_basis": "string",
    "area_lad_codes": "string",
    **{c: PLACE_COLUMNS[c] for c in _PLACE},
    "imd_decile": "Int64",
    "sme": "string",
    "vcse": "string",
    "sic": "string",
    "resolution_method": "string",
}
#: Partition value of payments without a month (per-supplier summary files, unread dates).
UNDATED = "undated"


class StoreError(ValueError):
    """A council that cannot be added to the store; the message is one line for the user."""


@dataclass
class CouncilEntry:
    """One council in the store: its profile from the reference data and what was stored.

    ``located_share`` is the share of positive spend whose supplier was placed (the locate
    coverage); ``fingerprint`` keys the inputs, so an unchanged council is not re-read.
    """

    council_id: str
    council: str
    profile: CouncilProfile
    rows: int
    years: list[str]
    located_share: float | None
    fingerprint: str
    synthetic: bool = False
    source: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)

    @classmethod
    def from_json(cls, text: str) -> CouncilEntry:
        data = json.loads(text)
        data["profile"] = CouncilProfile(**data["profile"])
        return cls(**data)


@dataclass(frozen=True)
class Store:
    """A folder holding the partitioned payments of many councils (see the module doc)."""

    root: Path

    @classmethod
    def default(cls) -> Store:
        """The store in the settings (``IMPACT_STORE_DIR``, else the workspace's store/)."""
        return cls(settings().store_dir or workspace_dir() / "store")

    @property
    def payments_dir(self) -> Path:
        return self.root / "payments"

    @property
    def councils_dir(self) -> Path:
        return self.root / "councils"

    def entries(self) -> list[CouncilEntry]:
        """Every council in the store, by name."""
        if not self.councils_dir.is_dir():
            return []
        found = [CouncilEntry.from_json(p.read_text(encoding="utf-8"))
                 for p in sorted(self.councils_dir.glob("*.json"))]
        return sorted(found, key=lambda e: e.council)

    def entry(self, council_id: str) -> CouncilEntry | None:
        path = self.councils_dir / f"{council_id}.json"
        return CouncilEntry.from_json(path.read_text(encoding="utf-8")) if path.is_file() else None

    def put(self, entry: CouncilEntry, payments: pd.DataFrame) -> CouncilEntry:
        """Write one council's payments (replacing its old ones) and its entry."""
        rows = conform_payments(payments)
        years = year_partition(rows["period"])
        tmp = self.payments_dir / f".tmp-{entry.council_id}-{uuid.uuid4().hex[:8]}"
        for year, part in rows.groupby(years, sort=True):
            folder = tmp / f"year={year}"
            folder.mkdir(parents=True, exist_ok=True)
            part.to_parquet(folder / "part-0.parquet", index=False)
        entry.rows, entry.years = len(rows), sorted(years.unique().tolist())
        self._swap(entry.council_id, tmp)
        self.councils_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.councils_dir / f"{entry.council_id}.json", entry.to_json())
        return entry

    def _swap(self, council_id: str, new: Path) -> None:
        """Replace ``council_id=<id>`` by ``new`` with renames (readers never see a half)."""
        final = self.payments_dir / f"council_id={council_id}"
        old = self.payments_dir / f".old-{council_id}-{uuid.uuid4().hex[:8]}"
        if final.exists():
            final.rename(old)
        if new.exists():
            new.rename(final)
        shutil.rmtree(old, ignore_errors=True)

    def remove(self, council_id: str) -> None:
        """Take one council out of the store."""
        self._swap(council_id, self.payments_dir / ".none")
        (self.councils_dir / f"{council_id}.json").unlink(missing_ok=True)

    def parquet_glob(self) -> str:
        """The files of the dataset, as a glob DuckDB and Spark both read."""
        return str(self.payments_dir / "council_id=*" / "year=*" / "*.parquet")

    def has_payments(self) -> bool:
        return any(self.payments_dir.glob("council_id=*/year=*/*.parquet"))

    def sql(self, query: str) -> pd.DataFrame:
        """Run ``query`` in DuckDB with the dataset as the view ``payments``.

        ``council_id`` and ``year`` are partition columns (text); an empty store gives an
        empty ``payments`` view with the stored columns.
        """
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")  # a library prints nothing
            if self.has_payments():
                con.execute(f"CREATE VIEW payments AS {self.read_sql()}")
            else:
                empty = conform_payments(pd.DataFrame())
                con.register("payments", empty.assign(council_id=pd.Series(dtype="string"),
                                                       year=pd.Series(dtype="string")))
            return con.execute(query).df()
        finally:
            con.close()

    def read_sql(self) -> str:
        """DuckDB's ``SELECT`` over the dataset, partition columns typed as text."""
        glob = self.parquet_glob().replace("'", "''")
        return (f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
                "hive_types = {'council_id': VARCHAR, 'year': VARCHAR})")

    def payments(self, council_ids: list[str] | None = None) -> pd.DataFrame:
        """The stored payments of ``council_ids`` (all when None) as one frame."""
        if not self.has_payments():
            return conform_payments(pd.DataFrame()).assign(council_id=pd.Series(dtype="string"))
        where = ""
        if council_ids is not None:
            ids = ", ".join("'" + c.replace("'", "''") + "'" for c in council_ids) or "NULL"
            where = f" WHERE council_id IN ({ids})"
        out = self.sql(f"SELECT * EXCLUDE (year) FROM payments{where}")
        return conform_payments(out).assign(council_id=out["council_id"].astype("string"))


def conform_payments(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with exactly :data:`PAYMENT_COLUMNS`, in order and type (missing → NA)."""
    out = {}
    for col, dtype in PAYMENT_COLUMNS.items():
        if col not in df:
            empty = {"datetime64[ms]": pd.NaT, "float64": np.nan}.get(dtype, pd.NA)
            out[col] = pd.Series(empty, index=df.index, dtype=dtype)
        elif dtype.startswith("datetime"):
            out[col] = pd.to_datetime(df[col], errors="coerce").astype(dtype)
        elif dtype == "Int64":
            out[col] = pd.to_numeric(df[col], errors="coerce").round().astype(dtype)
        else:
            out[col] = df[col].astype(dtype)
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def year_partition(period: pd.Series) -> pd.Series:
    """The partition year of each payment: the year of its ``period``, else ``undated``."""
    year = period.astype("string").str.slice(0, 4)
    return year.where(year.str.fullmatch(r"\d{4}").fillna(False), UNDATED).astype(str)


# --------------------------------------------------------------------- adding councils


def add_workspace(store: Store, ws: Workspace) -> tuple[CouncilEntry, bool]:
    """Add the council a :class:`~impact.workspace.Workspace` has loaded (the app's button).

    Its payments are already joined to places; the profile comes from the reference data
    (a county's districts, not a namesake's), falling back to the workspace's districts.
    """
    name = ws.source.council
    fp = cache.key(STORE_VERSION, "workspace", ws.key)
    held = store.entry(slug(name))
    if held is not None and held.fingerprint == fp:
        return held, False
    ref = ws.reference()
    profile = (council_profile(ref, name, ws.source.lad_codes) if ref is not None else None)
    if profile is not None and profile.lads and ws.area.population:
        profile.population = ws.area.population  # the residents every page divides by
    if profile is None or not profile.lads:
        profile = CouncilProfile(
            council=name, gss_code=None, type=None, type_name=None, region=None,
            lads=list(ws.council_lads), lad_names=list(ws.council_lad_names),
            region_codes=list(ws.region_codes), population=_ward_residents(ws))
    entry = CouncilEntry(council_id=slug(name), council=name, profile=profile,
                         rows=len(ws.transactions), years=[], fingerprint=fp,
                         located_share=ws.coverage.get("share_of_spend_located"),
                         synthetic=ws.is_demo, source=ws.source.path,
                         warnings=list(profile.warnings))
    return store.put(entry, ws.transactions), True


def _ward_residents(ws: Workspace) -> float | None:
    pop = ws.wards["population"].sum() if "population" in ws.wards else 0
    return float(pop) if pop > 0 else None


# ------------------------------------------------------------------------------ compare


def council_info(entry: CouncilEntry) -> CouncilInfo:
    """What :mod:`impact.analysis.compare` needs to know about a stored council."""
    p = entry.profile
    return CouncilInfo(council_id=entry.council_id, council=entry.council,
                       lads=tuple(p.lads), region_codes=tuple(p.region_codes),
                       population=p.population, gss_code=p.gss_code, type_name=p.type_name,
                       region=p.region, lad_names=tuple(p.lad_names),
                       region_names=(p.region,) if p.region else ())


def lm3_fit(entry: CouncilEntry) -> Lm3For:
    """The local multiplier of a stored council's payments, with the choices, priors and
    survey its officers saved (the same fit as its own pages)."""
    lads = list(entry.profile.lads)

    def fit(tx: pd.DataFrame) -> model_inputs.Figure | None:
        suppliers = tx.drop_duplicates("supplier_key")
        return model_inputs.lm3_of(model_inputs.fit(tx, suppliers, lads, entry.council))

    return fit


def council_measures(store: Store, entry: CouncilEntry, freq: str = "year") -> pd.DataFrame:
    """One council's compare rows, kept on disk beside its payments.

    Keyed on the council's fingerprint, its saved model choices, the period kind and the
    table's version, so adding another council never recomputes this one's.
    """
    k = cache.key(entry.fingerprint, entry.rows, freq, TABLE_VERSION,
                  model_inputs.fingerprint(entry.council), length=12)
    path = store.root / "measures" / f"{entry.council_id}-{freq}-{k}.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    table = compare_table(store.payments([entry.council_id]), [council_info(entry)], freq,
                          {entry.council_id: lm3_fit(entry)})
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"{entry.council_id}-{freq}-*.parquet"):
        old.unlink(missing_ok=True)
    table.to_parquet(path, index=False)
    return table


def compare_councils(store: Store, council_ids: list[str] | None = None, freq: str = "year"
                     ) -> pd.DataFrame:
    """The compare table (:func:`impact.analysis.compare.compare_table`) of stored councils
    (all when None), in the order given."""
    entries = {e.council_id: e for e in store.entries()}
    ids = list(entries) if council_ids is None else council_ids
    missing = [c for c in ids if c not in entries]
    if missing:
        raise StoreError(f"not in the store: {', '.join(missing)}")
    parts = [council_measures(store, entries[c], freq) for c in ids]
    return pd.concat(parts, ignore_index=True) if parts else compare_table(
        pd.DataFrame(), [], freq)


def authority_table(store: Store, reference: Reference | None) -> pd.DataFrame:
    """Every council neighbours can be chosen from, with ``council_id`` where it is stored.

    The reference data's authority table (all English councils) when there is one, else
    the stored councils' own profiles (a synthetic store has no reference table).
    """
    entries = store.entries()
    stored = {e.profile.gss_code: e.council_id for e in entries if e.profile.gss_code}
    table = load_authorities(reference) if reference is not None else pd.DataFrame()
    if table.empty:
        table = pd.DataFrame([{
            "gss_code": e.profile.gss_code, "name": e.council, "type": e.profile.type,
            "type_name": e.profile.type_name, "region": e.profile.region,
            "imd_score": e.profile.imd_score} for e in entries if e.profile.gss_code],
            columns=["gss_code", "name", "type", "type_name", "region", "imd_score"])
    return table.assign(council_id=table["gss_code"].map(stored))


# -------------------------------------------------------------------- national, engines

#: Engines that run the store's SQL: the same query text on either.
ENGINES = ("duckdb", "spark")


def run_sql(store: Store, query: str, engine: str = "duckdb") -> pd.DataFrame:
    """``query`` over the store's ``payments`` view, on DuckDB or Spark SQL.

    Spark reads the same partitioned Parquet (partition columns as text, like DuckDB) in the
    session :func:`impact.core.spark.spark_session` configures: local[2] here, a cluster
    under ``spark-submit``.  The result is collected to the driver as one frame.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "duckdb":
        return store.sql(query)
    if not store.has_payments():
        raise StoreError(f"{store.root} holds no payments")
    return spark_sql(str(store.payments_dir), query)


def spark_sql(payments: str, query: str) -> pd.DataFrame:
    """``query`` on Spark over the payments dataset at ``payments`` — a local folder or a
    URI every node reads (``hdfs://…/store/payments``, ``s3a://…``): on a cluster the store
    need not be on this machine."""
    from impact.core.spark import spark_session, to_pandas

    spark = spark_session()
    spark.read.parquet(payments).createOrReplaceTempView("payments")
    return to_pandas(spark.sql(query))


def national_aggregate_at(uri: str, category: str = "supplier_class") -> pd.DataFrame:
    """:func:`national_aggregate` on Spark for a store at a URI (``hdfs://…/store``)."""
    return _aggregate_types(spark_sql(uri.rstrip("/") + "/payments", spend_by_ward_sql(category)))


def national_aggregate(store: Store, engine: str = "duckdb",
                       category: str = "supplier_class") -> pd.DataFrame:
    """Spend by council × supplier's ward × category (:func:`impact.analysis.national.
    spend_by_ward_sql`) on either engine, in one column order and type."""
    return _aggregate_types(run_sql(store, spend_by_ward_sql(category), engine))


def _aggregate_types(out: pd.DataFrame) -> pd.DataFrame:
    out = out[list(AGGREGATE_COLUMNS)]
    return out.astype({"payments": "int64", "suppliers": "int64", "in_council_area": "bool",
                       "spend": "float64", "net": "float64"}).reset_index(drop=True)


# ------------------------------------------------------------------- synthetic national


def write_national_demo(store: Store, councils: int = 300, rows: int = 100_000,
                        seed: int = 2024, progress: Callable[[str, float], None] | None = None
                        ) -> list[CouncilEntry]:
    """Fill ``store`` with the synthetic national dataset (:mod:`impact.synthetic.national`):
    ``councils`` councils of ``rows`` payments each, every one marked synthetic."""
    from impact.synthetic.national import company_names, council_payments, national_councils

    table = national_councils(councils, seed)
    names = company_names(50_000, seed)
    done = []
    for i, c in enumerate(table.itertuples(index=False)):
        row = pd.Series(c._asdict())
        profile = CouncilProfile(
            council=c.council, gss_code=c.gss_code, type=c.type, type_name=c.type_name,
            region=c.region, lads=[c.gss_code], lad_names=[c.council],
            region_codes=[c.region_code], population=float(c.population),
            imd_score=float(c.imd_score))
        entry = CouncilEntry(council_id=c.council_id, council=c.council, profile=profile,
                             rows=0, years=[], located_share=None, synthetic=True,
                             fingerprint=cache.key("synthetic national", seed, rows, i),
                             source="synthetic national dataset (impact demo --national)")
        done.append(store.put(entry, council_payments(row, rows, names, seed)))
        if progress:
            progress(f"{c.council}: {rows:,} payments", (i + 1) / len(table))
    return done


def folder_payees(folders: list[str | Path]) -> pd.DataFrame:
    """Distinct ``council``, ``payee_name``, ``name_norm`` of ingested council folders (what
    cross-council linkage reads).  Raises :class:`StoreError` for a folder not ingested."""
    frames = []
    for folder in map(Path, folders):
        path = folder / "transactions.parquet"
        if not path.is_file():
            raise StoreError(f"{folder}: no transactions.parquet (run 'impact ingest')")
        tx = pd.read_parquet(path, columns=["council", "supplier_name", "supplier_name_norm"])
        frames.append(tx.drop_duplicates())
    out = pd.concat(frames, ignore_index=True).rename(
        columns={"supplier_name": "payee_name", "supplier_name_norm": "name_norm"})
    return out.astype("string").drop_duplicates().reset_index(drop=True)
