"""One council's dataset, ready to explore: spend → suppliers → places → wards.

:meth:`Workspace.load` runs :func:`impact.ingest.ingest`, :func:`impact.locate.locate`
and joins every transaction to its supplier's place (LSOA, ward, district, region and the
IoD 2025 decile of the supplier's LSOA).  It also prepares the council's own wards with
their IoD aggregates and display geometry.

Why a separate object: the app caches one per dataset, keyed on plain values
(:func:`source_key`: paths, sizes and modification times), so a changed spend file or a
newly resolved supplier gives a new key and never a stale figure.  Ingest and locate
outputs are also kept on disk under ``data/councils/`` (``IMPACT_WORKSPACE_DIR``), so a
restarted app does not re-read every spend file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from impact.ingest.schema import supplier_keys
from impact.ingest.tables import SUPPORTED_SUFFIXES
from impact.places.reference import (
    Reference,
    ReferenceError,
    demo_dir,
    project_root,
    resolve_reference,
)

log = logging.getLogger(__name__)

#: Bumped whenever the cached ingest/locate outputs change meaning.
CACHE_VERSION = "1"
WORKSPACE_ENV_VAR = "IMPACT_WORKSPACE_DIR"
#: Where the demo's council register is read from and resolutions are written to; tests
#: point it at a temporary copy so the committed demo files are never modified.
DEMO_REGISTER_ENV_VAR = "IMPACT_DEMO_REGISTER"

Progress = Callable[[str, float], None]
#: ``impact.demo.COUNCIL``, repeated so loading the demo does not import the generator
#: (and scikit-learn, ~3 s); a test checks they agree.
DEMO_COUNCIL = "Demo Borough Council (synthetic)"

#: Supplier columns joined onto every transaction.
SUPPLIER_JOIN_COLUMNS = (
    "supplier_key",
    "supplier_class",
    "public_body_type",
    "is_located",
    "postcode",
    "lat",
    "long",
    "lsoa21_code",
    "ward_code",
    "ward_name",
    "lad_code",
    "lad_name",
    "region_code",
    "region_name",
    "sme",
    "vcse",
    "resolution_method",
    "geocode_status",
)
#: Where a supplier sits relative to the council (``location_band`` column).
BANDS = ("council", "region", "elsewhere", "not located")

_REGISTER_NAME = re.compile(r"(?i)(register|suppliers?[-_ ]?list|vendor)")
_COUNCIL_WORDS = re.compile(
    r"(?i)\b(council|borough|city|metropolitan|district|county|royal|of|the|and|mbc|bc|cc|dc)\b"
)


class WorkspaceError(ValueError):
    """A dataset that cannot be loaded; the message is one line for the user."""


@dataclass(frozen=True)
class Source:
    """Where one council's data comes from (plain values, so it can key a cache)."""

    kind: str  # "demo", "folder" (spend files) or "ingested" (a folder with transactions.parquet)
    path: str
    council: str
    register: str | None = None
    reference: str | None = None
    mapping_file: str | None = None
    lad_codes: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # explicit spend files (default: every spend file under path)

    @property
    def is_demo(self) -> bool:
        return self.kind == "demo"


def demo_source() -> Source:
    """The committed synthetic demo borough (register overridable by ``IMPACT_DEMO_REGISTER``)."""
    d = demo_dir()
    copy = demo_register_copy()
    register = os.environ.get(DEMO_REGISTER_ENV_VAR) or str(
        copy if copy.is_file() else d / "supplier_register.csv"
    )
    return Source(
        kind="demo",
        path=str(d / "spend"),
        council=DEMO_COUNCIL,
        register=register,
        reference=str(d / "reference"),
    )


def folder_source(
    path: str | os.PathLike[str],
    council: str | None = None,
    register: str | os.PathLike[str] | None = None,
    reference: str | os.PathLike[str] | None = None,
    mapping_file: str | os.PathLike[str] | None = None,
    lad_codes: Iterable[str] = (),
    files: Iterable[str | os.PathLike[str]] = (),
) -> Source:
    """A folder of spend files (plus an optional register CSV inside it) or ingested outputs.

    A CSV whose name says *register* / *suppliers list* / *vendor* is taken as the council's
    supplier register rather than a spend file.  The council name defaults to the folder name.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise WorkspaceError(f"folder {p} does not exist")
    if p.is_file():
        files = [p, *files]
        p = p.parent
    kind = "ingested" if (p / "transactions.parquet").is_file() else "folder"
    if register is None and kind == "folder":
        regs = sorted(f for f in p.glob("*.csv") if _REGISTER_NAME.search(f.stem))
        register = regs[0] if regs else None
    name = council or _council_from_folder(p)
    return Source(
        kind=kind,
        path=str(p),
        council=name,
        register=str(register) if register else None,
        reference=str(reference) if reference else None,
        mapping_file=str(mapping_file) if mapping_file else None,
        lad_codes=tuple(lad_codes),
        files=tuple(str(f) for f in files),
    )


def _council_from_folder(p: Path) -> str:
    q = p / "quality.json"
    if q.is_file():
        try:
            return str(json.loads(q.read_text(encoding="utf-8"))["council"])
        except (ValueError, KeyError):
            pass
    return p.name.replace("_", " ").replace("-", " ").title()


def spend_files(source: Source) -> list[Path]:
    """The spend files of a source (registers and hidden files excluded), sorted."""
    if source.files:
        return [Path(f) for f in source.files]
    root = Path(source.path)
    reg = Path(source.register).resolve() if source.register else None
    return sorted(
        f
        for f in root.rglob("*")
        if f.is_file()
        and f.suffix.lower() in SUPPORTED_SUFFIXES
        and not f.name.startswith(".")
        and f.resolve() != reg
        and not _REGISTER_NAME.search(f.stem)
    )


def _stat(paths: Iterable[Path | str | None]) -> list[str]:
    out = []
    for p in paths:
        if p is None:
            out.append("-")
            continue
        p = Path(p)
        if p.is_file():
            st = p.stat()
            out.append(f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}")
        else:
            out.append(f"{p}:missing")
    return out


def source_key(source: Source) -> str:
    """A short hash of everything the figures depend on (files, sizes, mtimes, settings).

    The app passes it to its caches: a resolved supplier (register rewritten) or a new spend
    file changes the key, so cached figures are recomputed.
    """
    parts = [CACHE_VERSION, repr(source)]
    if source.kind == "ingested":
        parts += _stat([Path(source.path) / "transactions.parquet"])
    else:
        parts += _stat(spend_files(source))
    parts += _stat([source.mapping_file, source.register])
    try:
        ref = _reference(source)
        parts += _stat(ref.find_all("supplier_registers"))
        parts.append(str(ref.root.resolve()))
    except ReferenceError:
        parts.append("no-reference")
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def _ingest_key(source: Source) -> str:
    parts = [
        CACHE_VERSION,
        source.council,
        *_stat(spend_files(source)),
        *_stat([source.mapping_file]),
    ]
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def workspace_dir() -> Path:
    """Where ingest/locate outputs are cached (``IMPACT_WORKSPACE_DIR``, else data/councils)."""
    env = os.environ.get(WORKSPACE_ENV_VAR)
    return Path(env) if env else project_root() / "data" / "councils"


def _reference(source: Source) -> Reference:
    return resolve_reference(source.reference)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "council"


def norm_council_name(name: str) -> str:
    """Council or district name without the words that differ between the two."""
    text = _COUNCIL_WORDS.sub(" ", str(name).replace("&", " and "))
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def find_council_lads(council: str, lookup: pd.DataFrame) -> list[str]:
    """LAD codes whose name matches the council's name ("Hyndburn Borough Council" →
    Hyndburn); exact normalised match first, then containment.  [] when none matches."""
    lads = lookup[["lad_code", "lad_name"]].dropna().drop_duplicates("lad_code")
    key = norm_council_name(council)
    if not key:
        return []
    names = lads["lad_name"].map(norm_council_name)
    hit = lads.loc[names == key, "lad_code"]
    if hit.empty:
        hit = lads.loc[names.map(lambda n: bool(n) and (n in key or key in n)), "lad_code"]
    return sorted(hit.astype(str).unique())


@dataclass
class Workspace:
    """One council's transactions joined to places, its suppliers, coverage and wards.

    Attributes
    ----------
    transactions : canonical transactions plus the supplier columns
        (:data:`SUPPLIER_JOIN_COLUMNS`), ``imd_decile`` (IoD 2025 decile of the supplier's
        LSOA, 1 = most deprived 10 %) and ``location_band`` (:data:`BANDS`).
    suppliers : one row per supplier from :func:`impact.locate.locate`, with ``imd_decile``.
    coverage : the locate coverage dictionary (shares of spend located, by method ...).
    quality : the ingest quality report (rows in/used/rejected, gaps, redactions ...).
    wards : the council's wards (WGS84 display geometry) with IoD 2025 aggregates and
        ``imd2019_score`` where IoD 2019 is available.
    council_lads, region_codes, region_lads : the council's district code(s), its region(s)
        and every district in those regions.
    warnings : one-line notes on what could not be done (no ward boundaries ...).
    """

    source: Source
    key: str
    transactions: pd.DataFrame
    suppliers: pd.DataFrame
    coverage: dict
    quality: dict
    rejected: pd.DataFrame
    wards: gpd.GeoDataFrame
    council_lads: list[str]
    council_lad_names: list[str]
    region_codes: list[str]
    region_lads: list[str]
    layouts: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outdir: Path | None = None

    @property
    def is_demo(self) -> bool:
        return self.source.is_demo

    @property
    def label(self) -> str:
        return self.source.council + (" — synthetic demo" if self.is_demo else "")

    @classmethod
    def load(
        cls,
        source: Source | str | os.PathLike[str],
        progress: Progress | None = None,
        *,
        use_cache: bool = True,
    ) -> Workspace:
        """Ingest, locate and join one council's data (``"demo"``, a folder or a Source)."""
        if not isinstance(source, Source):
            source = demo_source() if str(source) == "demo" else folder_source(source)
        try:
            reference = _reference(source)
        except ReferenceError as exc:
            raise WorkspaceError(str(exc)) from None
        key = source_key(source)
        tx, rejected, quality, layouts, outdir = _ingested(source, progress, use_cache)
        if tx.empty:
            failed = "; ".join(
                f"{Path(f['path']).name}: {f['error']}" for f in quality.get("files_failed", [])[:3]
            )
            raise WorkspaceError("no usable spend rows" + (f" ({failed})" if failed else ""))
        suppliers, coverage, located_key = _located(
            source, outdir, reference, progress, use_cache
        )
        if progress:
            progress("joining places and deprivation", 0.92)
        prep = _prepared(source, reference, suppliers, located_key, use_cache)
        suppliers, wards = prep.suppliers, prep.wards
        lads, lad_names = prep.meta["lads"], prep.meta["lad_names"]
        regions, region_lads = prep.meta["regions"], prep.meta["region_lads"]
        warnings, notes = list(prep.meta["warnings"]), list(prep.meta["notes"])
        tx = join_suppliers(tx, suppliers, lads, regions)
        if progress:
            progress("ready", 1.0)
        return cls(
            source=source,
            key=key,
            transactions=tx,
            suppliers=suppliers,
            coverage=coverage,
            quality=quality,
            rejected=rejected,
            wards=wards,
            council_lads=lads,
            council_lad_names=lad_names,
            region_codes=regions,
            region_lads=region_lads,
            layouts=layouts,
            warnings=warnings,
            notes=notes,
            outdir=outdir,
        )


def _ingested(
    source: Source, progress: Progress | None, use_cache: bool
) -> tuple[pd.DataFrame, pd.DataFrame, dict, list[dict], Path]:
    """Transactions, rejects, quality and layouts: from the folder, the disk cache or ingest."""
    from impact.ingest.columns import load_mapping
    from impact.ingest.transactions import ingest, write_outputs

    if source.kind == "ingested":
        d = Path(source.path)
        tx = pd.read_parquet(d / "transactions.parquet")
        rej = (
            pd.read_parquet(d / "rejected.parquet")
            if (d / "rejected.parquet").is_file()
            else pd.DataFrame(columns=["source_file", "source_row", "reason", "detail", "raw"])
        )
        q = (
            json.loads((d / "quality.json").read_text(encoding="utf-8"))
            if (d / "quality.json").is_file()
            else {"council": source.council}
        )
        layouts = (
            load_mapping(d / "mapping.yaml")["layouts"] if (d / "mapping.yaml").is_file() else []
        )
        return tx, rej, q, layouts, d
    files = spend_files(source)
    if not files:
        raise WorkspaceError(f"no spend files (CSV, XLSX, XLS, ODS) in {source.path}")
    outdir = workspace_dir() / f"{_slug(source.council)}-{_ingest_key(source)}"
    done = outdir / "quality.json"
    if not (use_cache and done.is_file() and (outdir / "transactions.parquet").is_file()):
        try:
            result = ingest(
                files,
                council=source.council,
                mapping_file=Path(source.mapping_file) if source.mapping_file else None,
                progress=(lambda m, f: progress(m, 0.6 * f)) if progress else None,
            )
        except (ValueError, OSError) as exc:
            raise WorkspaceError(f"could not read the spend files: {exc}") from None
        write_outputs(result, outdir)
    elif progress:
        progress("reading the spend files already ingested", 0.3)
    tx = pd.read_parquet(outdir / "transactions.parquet")
    rej = pd.read_parquet(outdir / "rejected.parquet")
    quality = json.loads(done.read_text(encoding="utf-8"))
    layouts = (
        load_mapping(outdir / "mapping.yaml")["layouts"]
        if (outdir / "mapping.yaml").is_file()
        else []
    )
    return tx, rej, quality, layouts, outdir


def _located(
    source: Source, outdir: Path, reference: Reference, progress: Progress | None, use_cache: bool
) -> tuple[pd.DataFrame, dict, str]:
    from impact.places.locate import locate

    k = hashlib.sha1(
        "|".join(
            [
                CACHE_VERSION,
                *_stat([outdir / "transactions.parquet", source.register]),
                *_stat(reference.find_all("supplier_registers")),
                str(reference.root.resolve()),
            ]
        ).encode("utf-8")
    ).hexdigest()[:12]
    cache = workspace_dir() / "locate" / f"{_slug(source.council)}-{k}"
    sp, cp = cache / "suppliers.parquet", cache / "coverage.json"
    if use_cache and sp.is_file() and cp.is_file():
        return pd.read_parquet(sp), json.loads(cp.read_text(encoding="utf-8")), k
    registers = (
        [Path(source.register)] if source.register and Path(source.register).is_file() else []
    )
    try:
        res = locate(
            outdir,
            registers,
            reference,
            progress=(lambda m, f: progress(m, 0.6 + 0.3 * f)) if progress else None,
        )
    except (ValueError, OSError, ReferenceError) as exc:
        raise WorkspaceError(f"could not place the suppliers: {exc}") from None
    cache.mkdir(parents=True, exist_ok=True)
    res.suppliers.to_parquet(sp, index=False)
    cp.write_text(json.dumps(res.coverage, default=str), encoding="utf-8")
    return res.suppliers, json.loads(cp.read_text(encoding="utf-8")), k


#: Reference files the prepared places depend on (their sizes and mtimes key the cache).
PREPARED_ROLES = (
    "imd2025_lsoa21",
    "lookup_lsoa21_ward_lad",
    "lookup_lad_region",
    "population_lsoa21",
    "ward_boundaries",
    "imd2019_lsoa11_file1",
    "imd2019_lsoa11_file2",
    "lookup_lsoa11_lsoa21",
)


@dataclass
class _Prepared:
    suppliers: pd.DataFrame
    wards: gpd.GeoDataFrame
    meta: dict


def _prepared(
    source: Source,
    reference: Reference,
    suppliers: pd.DataFrame,
    located_key: str,
    use_cache: bool,
) -> _Prepared:
    """Suppliers with their IoD decile, the council's districts, regions and wards.

    Reading the national IoD tables and boundaries takes ~20 s for a real council, so the
    result is kept on disk (``prepared/`` under :func:`workspace_dir`: wards as GeoParquet,
    WGS84), keyed on the located suppliers and the reference files' sizes and mtimes.
    """
    parts = [CACHE_VERSION, located_key, source.council, *source.lad_codes]
    parts += [str(reference.root.resolve())]
    for role in PREPARED_ROLES:
        parts += _stat(reference.find_all(role))
    k = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:12]
    cache = workspace_dir() / "prepared" / f"{_slug(source.council)}-{k}"
    sp, wp, mp = cache / "suppliers.parquet", cache / "wards.parquet", cache / "meta.json"
    if use_cache and sp.is_file() and wp.is_file() and mp.is_file():
        try:
            return _Prepared(
                pd.read_parquet(sp),
                gpd.read_parquet(wp),
                json.loads(mp.read_text(encoding="utf-8")),
            )
        except (OSError, ValueError) as exc:  # a damaged cache is rebuilt, never fatal
            log.warning("prepared cache %s unreadable (%s): rebuilding", cache, exc)
    warnings: list[str] = []
    notes: list[str] = []
    imd = _imd_deciles(reference, warnings)
    suppliers = (
        suppliers.merge(imd, on="lsoa21_code", how="left")
        if imd is not None
        else suppliers.assign(imd_decile=pd.NA)
    )
    lookup = _lookup(reference, warnings)
    lads = list(source.lad_codes) or (
        find_council_lads(source.council, lookup) if lookup is not None else []
    )
    if not lads:
        warnings.append(
            f"no district in the reference lookup matches {source.council!r}; "
            "local shares cannot be computed (give the LAD code)"
        )
    lad_names = (
        sorted(lookup.loc[lookup["lad_code"].isin(lads), "lad_name"].dropna().astype(str).unique())
        if lookup is not None
        else []
    )
    regions, region_lads = _regions(reference, lads, suppliers, warnings)
    wards = council_wards(reference, lads, warnings, notes) if lads else _empty_wards()
    meta = {
        "lads": lads,
        "lad_names": lad_names,
        "regions": regions,
        "region_lads": region_lads,
        "warnings": warnings,
        "notes": notes,
    }
    try:
        cache.mkdir(parents=True, exist_ok=True)
        suppliers.to_parquet(sp, index=False)
        wards.to_parquet(wp, index=False)
        mp.write_text(json.dumps(meta), encoding="utf-8")
    except (OSError, ValueError) as exc:  # a read-only disk: slower next time, still correct
        log.warning("could not cache prepared places in %s: %s", cache, exc)
    return _Prepared(suppliers, wards, meta)


def _imd_deciles(reference: Reference, warnings: list[str]) -> pd.DataFrame | None:
    from impact.places.deprivation import load_imd2025

    path = reference.find("imd2025_lsoa21")
    if path is None:
        warnings.append("no IoD 2025 table in the reference folder: deprivation figures omitted")
        return None
    imd = load_imd2025(path)
    return imd[["lsoa21_code", "imd_decile"]].astype({"lsoa21_code": "string"})


def _lookup(reference: Reference, warnings: list[str]) -> pd.DataFrame | None:
    from impact.places.boundaries import read_lsoa_lookup

    path = reference.find("lookup_lsoa21_ward_lad")
    if path is None:
        warnings.append("no LSOA → ward → district lookup in the reference folder")
        return None
    return read_lsoa_lookup(path)


def _regions(
    reference: Reference, lads: list[str], suppliers: pd.DataFrame, warnings: list[str]
) -> tuple[list[str], list[str]]:
    from impact.places.geocode import read_region_lookup

    path = reference.find("lookup_lad_region")
    if path is None or not lads:
        if lads:
            warnings.append("no district → region lookup: regional share omitted")
        return [], []
    reg = read_region_lookup(path).reset_index()
    lad_col = "lad_code"
    regions = sorted(reg.loc[reg[lad_col].isin(lads), "region_code"].dropna().astype(str).unique())
    region_lads = sorted(reg.loc[reg["region_code"].isin(regions), lad_col].astype(str).unique())
    return regions, region_lads


def join_suppliers(
    tx: pd.DataFrame, suppliers: pd.DataFrame, council_lads: list[str], region_codes: list[str]
) -> pd.DataFrame:
    """Transactions with their supplier's class and place, and a ``location_band``."""
    t = tx.copy()
    t["supplier_key"] = supplier_keys(t)
    cols = [c for c in (*SUPPLIER_JOIN_COLUMNS, "imd_decile") if c in suppliers.columns]
    s = suppliers[cols].drop_duplicates("supplier_key")
    t = t.merge(s, on="supplier_key", how="left", validate="many_to_one")
    t["is_located"] = t["is_located"].fillna(False).astype(bool)
    band = np.select(
        [
            ~t["is_located"],
            t["lad_code"].isin(council_lads).to_numpy(),
            t["region_code"].isin(region_codes).to_numpy(),
        ],
        ["not located", "council", "region"],
        default="elsewhere",
    )
    t["location_band"] = pd.Categorical(band, categories=list(BANDS))
    t["supplier_class"] = t["supplier_class"].astype("string").fillna("unknown")
    return t


def _empty_wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": pd.Series(dtype="string"), "name": pd.Series(dtype="string")},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        crs="EPSG:4326",
    )


def council_wards(
    reference: Reference, lads: list[str], warnings: list[str], notes: list[str] | None = None
) -> gpd.GeoDataFrame:
    """The council's wards for maps: display geometry, IoD 2025 (and 2019) aggregates."""
    from impact.places.boundaries import areas_for_lads, display_geometry
    from impact.places.deprivation import aggregate, load_imd2025

    try:
        areas, warn = areas_for_lads(reference, lads, "ward")
    except (ReferenceError, ValueError, FileNotFoundError) as exc:
        warnings.append(f"no ward map: {exc}")
        return _empty_wards()
    warnings.extend(warn)
    wards = display_geometry(areas)
    lookup_path = reference.find("lookup_lsoa21_ward_lad")
    imd_path = reference.find("imd2025_lsoa21")
    pop_path = reference.find("population_lsoa21")
    if lookup_path is not None and imd_path is not None:
        lookup = pd.read_csv(lookup_path, dtype="string")
        pop = pd.read_csv(pop_path, dtype="string") if pop_path is not None else None
        imd = load_imd2025(imd_path)
        agg = aggregate(imd, lookup, pop, "ward").drop(
            columns=["name", "lad_code", "lad_name"], errors="ignore"
        )
        wards = wards.merge(agg, on="code", how="left")
        old = _imd2019_wards(
            reference, lookup, pop, warnings, notes if notes is not None else warnings
        )
        wards = wards.merge(old, on="code", how="left")
    return wards.reset_index(drop=True)


def _imd2019_wards(
    reference: Reference,
    lookup: pd.DataFrame,
    pop: pd.DataFrame | None,
    warnings: list[str],
    notes: list[str],
) -> pd.DataFrame:
    """IoD 2019 rank per ward (bridged from LSOA 2011), or an empty frame."""
    from impact.places.deprivation import aggregate, bridge_lsoa11_to_lsoa21, load_imd2019

    f2 = reference.find("imd2019_lsoa11_file2")
    bridge = reference.find("lookup_lsoa11_lsoa21")
    empty = pd.DataFrame({"code": pd.Series(dtype="string")})
    if f2 is None or bridge is None:
        return empty
    try:
        imd19 = load_imd2019(f2, reference.find("imd2019_lsoa11_file1"))
        bridged, note = bridge_lsoa11_to_lsoa21(imd19, pd.read_csv(bridge, dtype="string"))
        agg = aggregate(bridged, lookup, pop, "ward")
    except (ValueError, KeyError) as exc:
        warnings.append(f"IoD 2019 not shown: {exc}")
        return empty
    notes.append(note)
    keep = {
        "imd_rank": "imd2019_rank",
        "share_lsoa_decile1_2": "imd2019_share_lsoa_decile1_2",
        "worst_decile": "imd2019_worst_decile",
    }
    out = agg[["code", *[c for c in keep if c in agg]]].rename(columns=keep)
    return out


def _committed_demo_register() -> Path:
    return demo_dir() / "supplier_register.csv"


def writable_register(source: Source) -> tuple[Source, Path]:
    """Where resolutions for ``source`` are saved, and the source that reads them.

    The committed demo register and registers in read-only folders (the shared public data)
    are never written: a copy under :func:`workspace_dir` is made on first use and the
    returned source points at it.
    """
    current = Path(source.register) if source.register else None
    committed = current is not None and current.resolve() == _committed_demo_register().resolve()
    if (
        current is not None
        and not committed
        and (
            (current.exists() and os.access(current, os.W_OK))
            or (not current.exists() and os.access(current.parent, os.W_OK))
        )
    ):
        return source, current
    target = workspace_dir() / f"{_slug(source.council)}-supplier_register.csv"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if current is not None and current.is_file():
            target.write_bytes(current.read_bytes())
    return replace(source, register=str(target)), target


def demo_register_copy() -> Path:
    """The demo's writable register copy (used instead of the committed one once it exists)."""
    return workspace_dir() / f"{_slug(DEMO_COUNCIL)}-supplier_register.csv"


def write_mapping(source: Source, columns: dict[str, str]) -> Source:
    """Save ``columns`` (canonical field → source header) as a mapping YAML for ``source``
    and return the source that re-ingests with it (a new cache key, so a fresh ingest)."""
    import yaml

    from impact.ingest.schema import MAPPABLE_FIELDS

    unknown = sorted(set(columns) - set(MAPPABLE_FIELDS))
    if unknown:
        raise WorkspaceError(f"not mappable field(s): {', '.join(unknown)}")
    clean = {k: str(v).strip() for k, v in columns.items() if v and str(v).strip()}
    path = workspace_dir() / f"{_slug(source.council)}-mapping.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(
            {"council": source.council, "layouts": [], "columns": clean},
            sort_keys=False,
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return replace(source, mapping_file=str(path))


def current_mapping(quality: dict) -> dict[str, str]:
    """The header most files mapped to each canonical field (for an editable table)."""
    counts: dict[str, dict[str, int]] = {}
    for f in quality.get("files", []):
        for fld, header in (f.get("column_mapping") or {}).items():
            counts.setdefault(fld, {}).setdefault(header, 0)
            counts[fld][header] += 1
    return {fld: max(h.items(), key=lambda kv: kv[1])[0] for fld, h in counts.items()}


def save_uploads(
    files: Iterable[tuple[str, bytes]], council: str, register: tuple[str, bytes] | None = None
) -> Path:
    """Write uploaded spend files (and a register) to a folder keyed by their content."""
    files = list(files)
    digest = hashlib.sha1()
    for name, data in files:
        digest.update(name.encode("utf-8") + hashlib.sha1(data).digest())
    folder = workspace_dir() / "uploads" / f"{_slug(council)}-{digest.hexdigest()[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (folder / Path(name).name).write_bytes(data)
    if register is not None:
        (folder / "supplier_register.csv").write_bytes(register[1])
    return folder
