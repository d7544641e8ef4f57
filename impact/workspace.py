"""One council's dataset, ready to explore: the front the app and the command line use.

:meth:`Workspace.load` reads a :class:`impact.sources.Source` in three cached steps —
ingest (files → transactions), locate (suppliers → places) and prepare (the council's
districts, region and wards with deprivation) — then joins every transaction to its
supplier's place.  Each step's output is kept on disk under the workspace folder, keyed
on its inputs' fingerprints (:mod:`impact.core.cache`), so a restarted app does not re-read
every spend file, and a changed input never shows a stale figure.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from impact.analysis import model_inputs
from impact.analysis.filters import Filters, apply
from impact.analysis.io_crosscheck import IOCrossCheck, for_model, load_type1
from impact.analysis.measures import CouncilArea, Measures, Period, measure, with_lm3
from impact.analysis.multiplier import ModelResult
from impact.analysis.reconcile import Reconciliation, published_for, reconcile
from impact.core import cache
from impact.core.atomic import locked
from impact.core.paths import council_folder
from impact.ingest.columns import load_mapping
from impact.ingest.schema import supplier_keys
from impact.ingest.transactions import REJECTED_COLUMNS, ingest, write_outputs
from impact.places.boundaries import areas_for_lads, display_geometry
from impact.places.councils import (
    CouncilGeography,
    council_centre,
    council_geography,
    district_names,
    supplier_deprivation,
)
from impact.places.filekinds import read_premises_list, read_vendor_list
from impact.places.localarea import area_within
from impact.places.locate import SUPPLIER_JOIN_COLUMNS, coverage, locate
from impact.places.locate import reference_files as locate_reference_files
from impact.places.premises import (
    Applied,
    PremisesError,
    PremisesList,
    add_to_store,
    apply_premises,
    read_store,
    supplier_places,
)
from impact.places.reference import ROLES, Reference, ReferenceError
from impact.places.registers import RegisterRow
from impact.places.resolutions import (
    APPLIED_COLUMNS,
    ApplyContext,
    Author,
    CheckResult,
    apply_register,
    check_rows,
    imd_deciles,
    matched,
    register_frame,
    save_checked,
    set_aside_unchanged,
)
from impact.places.vendors import VendorError, VendorMaster, store_summary
from impact.places.vendors import add_to_store as add_vendor_rows
from impact.sources import (
    Source,
    WorkspaceError,
    council_registers,
    demo_source,
    folder_source,
    ingest_folder,
    premises_store,
    resolutions_register,
    source_key,
    spend_files,
    vendor_store,
)

if TYPE_CHECKING:
    from impact.analysis.changes import Changes
    from impact.analysis.findings import CheckRun

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
#: Figures per dataset key and filters (a dataset key changes with any input, so a hit is
#: never stale); cleared with :func:`impact.core.cache.clear_all`.
_MEMO: cache.Memo = cache.Memo("workspace figures", max_entries=64)
#: The re-spend model per dataset, filters and the council's saved choices: its Monte
#: Carlo is the heaviest figure, so it is fitted once and read by every process after.
_MODELS: cache.DiskStore = cache.DiskStore("model")
#: The districts drawn around a council's maps (read from national boundaries).
_NEIGHBOURS: cache.DiskStore = cache.DiskStore("neighbours", max_files=4)
#: The ONS Type I cross-check beside the model, per filters and saved choices.
_CROSSCHECKS: cache.DiskStore = cache.DiskStore("crosscheck", max_files=16)
#: The payment checks over all the council's payments, per thresholds.
_CHECKS: cache.DiskStore = cache.DiskStore("checks", max_files=8)
#: Every district's name (LAD code → name), read from the national LSOA lookup (0.2 s).
_DISTRICTS: cache.DiskStore = cache.DiskStore("districts", max_files=4)

#: Where a supplier sits relative to the council (``location_band`` column).  "national":
#: a national body (HMRC, a government department), known and no place's local spend.
BANDS = ("council", "region", "elsewhere", "national", "not located")

#: Reference files the prepared places depend on (their fingerprints key the cache).
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
class Workspace:
    """One council's transactions joined to places, its suppliers, coverage and wards.

    Attributes
    ----------
    transactions : canonical transactions plus the supplier columns
        (:data:`impact.places.locate.SUPPLIER_JOIN_COLUMNS`), ``imd_decile`` (IoD 2025
        decile of the supplier's LSOA, 1 = most deprived 10 %) and ``location_band``
        (:data:`BANDS`).
    suppliers : one row per supplier from :func:`impact.places.locate.locate`, with
        ``imd_decile``, and the council's own register (:func:`impact.sources.
        resolutions_register`: the suppliers officers placed) applied over it.
    coverage : the locate coverage dictionary (shares of spend located, by method ...),
        counted after the council's register was applied.
    quality : the ingest quality report (rows in/used/rejected, gaps, redactions ...).
    wards : the council's wards (WGS84 display geometry) with IoD 2025 aggregates and
        IoD 2019 ranks where available.
    council_lads, region_codes, region_lads : the council's district code(s), its region(s)
        and every district in those regions.
    warnings : one-line notes on what could not be done (no ward boundaries ...).
    located : the suppliers as located, before the council's register was applied (what
        :meth:`resolve` re-applies it to).
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
    located: pd.DataFrame | None = field(default=None, repr=False)
    council_name: str = ""
    region_names: list[str] = field(default_factory=list)
    #: how a sentence names the body: "the council", "the authority", "the combined
    #: authority" (:func:`impact.places.councils.body_noun`)
    body_noun: str = "the council"
    #: A key over every reference file this council was read with: with :attr:`key` (the
    #: spend files, the registers, the officers' places) it names the dataset whose heavy
    #: results are kept on disk (:meth:`stored`).
    reference_key: str = ""
    #: each premises place linked to a supplier (:func:`impact.places.premises.
    #: premises_places`) and each premises list's accounting (rows in = linked + unlinked
    #: + set aside)
    premises_places: pd.DataFrame | None = field(default=None, repr=False)
    premises_accounting: list[dict] = field(default_factory=list)

    @property
    def is_demo(self) -> bool:
        return self.source.is_demo

    @property
    def label(self) -> str:
        """The council as people read it: its official name from the local-authority
        register when it has one; the demo always says it is synthetic, once."""
        says_so = "synthetic" in self.name.lower()
        return self.name + (" — synthetic demo" if self.is_demo and not says_so else "")

    @property
    def name(self) -> str:
        """The council's official name, else the name it was opened under."""
        return self.council_name or self.source.council

    @classmethod
    def load(
        cls,
        source: Source | str | os.PathLike[str],
        progress: Progress | None = None,
        *,
        use_cache: bool = True,
    ) -> Workspace:
        """Ingest, locate and join one council's data (``"demo"``, a folder or a Source)."""
        source = _as_source(source)
        reference = _reference(source)
        ingested = _ingested(source, progress, use_cache)
        suppliers, coverage, located_key = _located(
            source, ingested.outdir, reference, progress, use_cache
        )
        _report(progress, "joining places and deprivation", 0.92)
        located, geo = _prepared(source, reference, suppliers, located_key, use_cache)
        officers = officer_places(source, located, reference)
        premises = premises_applied(source, officers.suppliers, reference, geo.lads)
        suppliers, key = premises.suppliers, officers.key
        tx = join_suppliers(ingested.transactions, suppliers, geo.lads, geo.regions)
        _report(progress, "ready", 1.0)
        return cls(
            source=source,
            key=key,
            transactions=tx,
            suppliers=suppliers,
            coverage={**coverage, **officers.coverage, **_premises_coverage(premises)},
            quality=ingested.quality,
            rejected=ingested.rejected,
            wards=geo.wards,
            council_lads=geo.lads,
            council_lad_names=geo.lad_names,
            region_codes=geo.regions,
            region_lads=geo.region_lads,
            layouts=ingested.layouts,
            warnings=list(geo.warnings),
            notes=list(geo.notes),
            outdir=ingested.outdir,
            located=located,
            council_name=geo.name,
            region_names=list(geo.region_names),
            body_noun=geo.noun,
            reference_key=reference_key(reference),
            premises_places=premises.places,
            premises_accounting=[a.as_dict() for a in premises.accounting],
        )

    # -- the figures: every surface reads them here, computed once per filters --

    @property
    def area(self) -> CouncilArea:
        """What "local" and "regional" mean for this council, and its residents."""
        pop = float(self.wards["population"].sum()) if "population" in self.wards else 0.0
        wider = self.wider_area()
        return CouncilArea(self.name, tuple(self.council_lads), tuple(self.council_lad_names),
                           tuple(self.region_codes), tuple(self.region_names),
                           pop if pop > 0 else None, self.body_noun,
                           wider[0] if wider else "", tuple(wider[1]) if wider else ())

    def wider_area(self) -> tuple[str, list[str]] | None:
        """The combined authority or county the council's districts belong to (its name
        and districts), None when none is known."""
        def read() -> tuple[str, list[str]] | None:
            from impact.places.authorities import load_authorities, wider_area

            ref = self.reference()
            return wider_area(load_authorities(ref), self.council_lads) if ref else None

        return _MEMO.once(("wider", self.source.reference, tuple(self.council_lads)), read)

    @property
    def places(self) -> pd.DataFrame:
        """The supplier × place table: each supplier's main place and its premises, with
        basis and source (:func:`impact.places.premises.supplier_places`)."""
        premises = self.premises_places if self.premises_places is not None else pd.DataFrame()
        return _MEMO.once(("places", self.key, id(self.suppliers)),
                          lambda: supplier_places(self.suppliers, premises))

    def add_premises(self, paths: list[Path]) -> tuple[Workspace, list[PremisesList]]:
        """Read premises lists (any layout), keep them for this council and return the
        workspace with them linked (the caches make the reload cheap), and the lists read.

        Raises :class:`impact.sources.WorkspaceError` with a one-line reason when a file is
        not a premises list; nothing is kept then."""
        try:
            lists = [read_premises_list(Path(p)) for p in paths]
        except PremisesError as exc:
            raise WorkspaceError(str(exc)) from None
        add_to_store(premises_store(self.source), lists)
        return Workspace.load(self.source), lists

    def vendor_masters(self) -> list[dict]:
        """The council's vendor masters as kept, and the suppliers they placed
        (:func:`impact.places.vendors.store_summary`)."""
        return store_summary(vendor_store(self.source), self.suppliers)

    def add_vendors(self, paths: list[Path]) -> tuple[Workspace, list[VendorMaster]]:
        """Read vendor masters (any finance system's layout), keep them as the council's
        own records and return the workspace with its suppliers placed anew by them, and
        the masters read.  Raises :class:`impact.sources.WorkspaceError` with a one-line
        reason when a file is not a vendor master; nothing is kept then."""
        try:
            masters = [read_vendor_list(Path(p)) for p in paths]
        except VendorError as exc:
            raise WorkspaceError(str(exc)) from None
        add_vendor_rows(vendor_store(self.source), masters)
        return Workspace.load(self.source), masters

    @property
    def publication(self) -> Period:
        """The months the council's files cover (all payments, before any filter)."""
        return _MEMO.once(("period", self.key), lambda: Period.of(self.transactions))

    def centre(self) -> tuple[float, float] | None:
        """A point inside the council, for a radius around it."""
        return _MEMO.once(("centre", self.key), lambda: council_centre(self.wards))

    # -- heavy results: computed once per dataset and settings, kept on disk --

    @property
    def results_folder(self) -> Path:
        """Where this council's heavy results are kept: beside its ingested, located and
        prepared caches under the workspace folder, shared by every session and process."""
        return council_folder("results", self.source.council, "")

    def stored(self, store: cache.DiskStore, parts: tuple, compute: Callable[[], object]):
        """A heavy result of this dataset and ``parts`` (every setting it depends on): from
        memory, else from disk (:class:`impact.core.cache.DiskStore`), else computed once
        and kept for every other session and process."""
        full = (self.key, self.reference_key, *parts)
        return _MEMO.once((store.name, *full),
                          lambda: store.once(self.results_folder, full, compute))

    def model(self, filters: Filters | None = None) -> ModelResult | None:
        """The re-spend model on the filtered payments with the council's saved choices,
        priors and survey (:mod:`impact.analysis.model_inputs`); None without a local area
        or spend to trace."""
        f = filters or Filters()
        parts = (f, model_inputs.fingerprint(self.source.council))
        return self.stored(_MODELS, parts, lambda: self._fit_model(f))

    def neighbours(self) -> gpd.GeoDataFrame | None:
        """The districts around the council (display geometry), drawn grey on its maps
        (:func:`impact.places.councils.neighbouring_districts`); None without reference data."""
        def read() -> gpd.GeoDataFrame | None:
            from impact.places.councils import neighbouring_districts

            ref = self.reference()
            return (neighbouring_districts(ref, list(self.council_lads), self.wards)
                    if ref is not None else None)

        return self.stored(_NEIGHBOURS, (tuple(self.council_lads),), read)

    def _fit_model(self, f: Filters) -> ModelResult | None:
        return model_inputs.fit(apply(self.transactions, f), self.suppliers,
                                self.council_lads, self.source.council, self.centre(),
                                self.district_names())

    def crosscheck(self, filters: Filters | None = None) -> IOCrossCheck | None:
        """The ONS Type I cross-check beside the re-spend model (None without the
        multipliers table, a model or any supplier's SIC code)."""
        f = filters or Filters()
        path, res = self.reference_file("io_multipliers"), self.model(f)
        if path is None or res is None or "sic" not in self.suppliers or not (
                self.suppliers["sic"].notna().any()):
            return None
        parts = (f, model_inputs.fingerprint(self.source.council))
        return self.stored(_CROSSCHECKS, parts, lambda: for_model(
            res.model.by_supplier_, self.suppliers, load_type1(path)))

    def measures(self, filters: Filters | None = None, *, lm3: bool = True) -> Measures:
        """Every headline figure of the filtered payments (:mod:`impact.analysis.measures`),
        with the local multiplier unless ``lm3`` is False."""
        f = filters or Filters()
        base = _MEMO.once(("measures", self.key, f), lambda: measure(
            apply(self.transactions, f), self.area, publication=self.publication,
            filters=f.describe(), places=self.places))
        if not lm3:
            return base
        return with_lm3(base, model_inputs.lm3_of(self.model(f)))

    def reconciliations(self, filters: Filters | None = None) -> list[Reconciliation]:
        """Each published local-spend figure of this council beside ours under the same
        definition, with what the gap rests on (:mod:`impact.analysis.reconcile`)."""
        path = self.reference_file("lm3_published")
        if path is None or not self.council_lads:
            return []
        from impact.ingest.tables import read_csv

        table = _MEMO.once(("published", str(path)), lambda: read_csv(path, dtype=str))
        table = table.assign(value=pd.to_numeric(table["value"], errors="coerce"))
        found = published_for(table.dropna(subset=["value"]),
                              (self.name, self.source.council, *self.council_lad_names))
        m = self.measures(filters, lm3=False)
        return [r for p in found if (r := reconcile(m, p, tuple(found))) is not None]

    # -- the officer's own knowledge: placed suppliers, saved and applied at once --

    def resolve(self, rows: list[RegisterRow], author: Author) -> Resolved:
        """Check ``rows``, save the accepted ones (the council's register and its audit
        trail) and return the workspace with them applied.

        Only the suppliers the rows name are re-placed and only their transactions patched
        (:meth:`reapplied`), so the figures equal a fresh :meth:`load` (a test) at the cost
        of a few postcodes, not a new run of locate over the whole council.
        """
        checks = check_rows(rows, self.reference(), self.located)
        register = resolutions_register(self.source)
        set_aside_unchanged(checks, register)
        if not checks.accepted:
            return Resolved(self, checks)
        with locked(register):
            # Someone else saved (or a file changed) since this workspace was built: the
            # patch would miss their rows, so load anew (from the caches) after saving.
            stale = source_key(self.source) != self.key
            save_checked(register, checks, author, before=self.suppliers)
            key = source_key(self.source)
        if stale:
            return Resolved(Workspace.load(self.source), checks)
        return Resolved(self.reapplied(checks.accepted_frame(), key, checks.answers), checks)

    def reapplied(
        self, rows: pd.DataFrame, key: str, known: pd.DataFrame | None = None
    ) -> Workspace:
        """This workspace, now named ``key``, with the council's register applied anew to
        the suppliers that ``rows`` (:func:`impact.places.resolutions.rows_frame`) name:
        their places, their transactions and coverage.  ``known``: geocoder answers at hand."""
        register = resolutions_register(self.source)
        base = self.located if self.located is not None else self.suppliers
        touched = base.loc[matched(base, rows).notna().to_numpy()]
        ctx = ApplyContext(self.reference(), register.name, known=known)
        fresh, _ = apply_register(touched, register_frame(register), ctx)
        suppliers = self.suppliers.copy(deep=False)
        at = suppliers.index.get_indexer(fresh.index)
        for c in APPLIED_COLUMNS:
            if c in fresh:
                suppliers[c] = _patched(suppliers[c], at, fresh[c])
        tx = patch_transactions(self.transactions, fresh, self.council_lads, self.region_codes)
        return replace(
            self,
            key=key,
            transactions=tx,
            suppliers=suppliers,
            coverage={**self.coverage, **_coverage(suppliers, register)},
        )

    # -- reference data, for views and outputs (no view reads the reference folder) --

    def reference(self) -> Reference | None:
        """The reference folder this council was read with (None when it has gone)."""
        try:
            return self.source.reference_folder()
        except ReferenceError:
            return None

    def reference_file(self, role: str) -> Path | None:
        """One reference file by role (see :data:`impact.places.reference.ROLES`)."""
        ref = self.reference()
        return ref.find(role) if ref is not None else None

    def district_names(self) -> dict[str, str]:
        """Every district the reference lookup knows: LAD code → name.  Kept on disk beside
        the other results: reading the national lookup cost the Re-spend page's first visit
        0.2 s in every new process."""
        def read() -> dict[str, str]:
            ref = self.reference()
            return district_names(ref) if ref is not None else {}

        return self.stored(_DISTRICTS, (), read)

    def area_geometry(self, unit: str) -> gpd.GeoDataFrame:
        """Display geometry (code, name, geometry) of the council's wards or LSOAs."""
        columns = ["code", "name", "geometry"]
        if unit == "ward":
            return self.wards[columns]
        ref = self.reference()
        if ref is None or not self.council_lads:
            return self.wards.iloc[0:0][columns]
        areas, _ = areas_for_lads(ref, self.council_lads, unit)
        return display_geometry(areas)[columns]

    # -- probity: the payment checks and what changed between two periods --

    def payment_checks(self, thresholds: tuple[float, ...] | None = None) -> CheckRun:
        """Every payment check over this council's payments, with the Companies House
        statuses its registers give (:func:`impact.analysis.findings.run_checks`)."""
        from impact.analysis.checks import company_statuses
        from impact.analysis.findings import default_rules, run_checks

        def run() -> CheckRun:
            statuses = company_statuses(self.reference(), self.suppliers)
            return run_checks(self.transactions, statuses, default_rules(thresholds))

        return self.stored(_CHECKS, (thresholds,), run)

    def supplier_findings(self) -> pd.DataFrame:
        """The findings that bear on each supplier, with the officers' verdicts
        (:func:`impact.analysis.findings.by_supplier`): what the charter reads."""
        from impact.analysis.findings import by_supplier
        from impact.analysis.verdicts import read_history

        return by_supplier(self.payment_checks().findings, self.transactions,
                           read_history(self.source.council))

    def changes(self, period_from: str, period_to: str) -> Changes:
        """Why spend moved between two periods (:func:`impact.analysis.changes.what_changed`)."""
        from impact.analysis.changes import what_changed

        return what_changed(self.transactions, period_from, period_to,
                            files=self.quality.get("files", []),
                            council_lads=self.council_lads,
                            council_names=self.council_lad_names)


@dataclass(frozen=True)
class Resolved:
    """What :meth:`Workspace.resolve` did: the workspace after it, and each row's outcome
    (accepted with where it places the supplier, or refused with a reason)."""

    workspace: Workspace
    checks: CheckResult


@dataclass(frozen=True)
class OfficerPlaces:
    """Suppliers with officers' saved places applied: their coverage as now placed, the
    source key naming the rows applied, and how many suppliers those rows matched."""

    suppliers: pd.DataFrame
    coverage: dict
    key: str
    applied: int


def officer_places(source: Source, suppliers: pd.DataFrame, reference: Reference
                   ) -> OfficerPlaces:
    """``suppliers`` with the places officers saved for this council applied over them
    (:func:`impact.sources.resolutions_register`): the app and ``impact locate`` apply them
    the same way."""
    register = resolutions_register(source)
    with locked(register):  # the rows applied and the key naming them must agree
        rows, key = register_frame(register), source_key(source)
    placed, hit = apply_register(suppliers, rows, ApplyContext(reference, register.name))
    return OfficerPlaces(placed, _coverage(placed, register), key, int(hit.sum()))


def premises_applied(source: Source, suppliers: pd.DataFrame, reference: Reference,
                     council_lads: list[str]) -> Applied:
    """``suppliers`` with the council's premises lists linked
    (:func:`impact.sources.premises_store`): the app and every command link them the same
    way, after the officers' places (an officer's place is never replaced)."""
    rows = read_store(premises_store(source))
    if rows.empty:
        return Applied(suppliers, pd.DataFrame(), [])
    return apply_premises(suppliers, rows, reference, council_lads, imd_deciles(reference))


def _premises_coverage(applied: Applied) -> dict:
    """Coverage as now placed when premises placed anyone, and each list's accounting."""
    if not applied.accounting:
        return {}
    out = coverage(applied.suppliers) if applied.placed_suppliers else {}
    return {**out, "premises": [a.as_dict() for a in applied.accounting],
            "premises_placed_suppliers": applied.placed_suppliers}


def _coverage(suppliers: pd.DataFrame, register: Path) -> dict:
    """Coverage of the suppliers as now placed, and which council register was applied."""
    out = coverage(suppliers)
    out["council_register"] = {"path": str(register), "exists": register.is_file()}
    return out


def reference_key(reference: Reference) -> str:
    """A key over every file of every reference role (names, sizes, times): a changed IoD
    table, boundary or register names a new dataset, so no stored result outlives it."""
    files = [p for role in sorted(ROLES) for p in reference.find_all(role)]
    return cache.key(str(reference.root.resolve()), *cache.fingerprint(files))


def _patched(column: pd.Series, positions: np.ndarray, values: pd.Series) -> pd.Series:
    """A copy of ``column`` with ``values`` written at ``positions`` (dtype kept)."""
    out = column.copy()
    out.iloc[positions] = values.astype(column.dtype).to_numpy()
    return out


def _as_source(source: Source | str | os.PathLike[str]) -> Source:
    if isinstance(source, Source):
        return source
    return demo_source() if str(source) == "demo" else folder_source(source)


def _reference(source: Source) -> Reference:
    try:
        return source.reference_folder()
    except ReferenceError as exc:
        raise WorkspaceError(str(exc)) from None


def _report(progress: Progress | None, message: str, fraction: float) -> None:
    if progress:
        progress(message, fraction)


def _scaled(progress: Progress | None, start: float, width: float) -> Progress | None:
    """A progress callback for one step that fills ``width`` of the bar from ``start``."""
    if progress is None:
        return None
    return lambda message, fraction: progress(message, start + width * fraction)


@dataclass
class _Ingested:
    transactions: pd.DataFrame
    rejected: pd.DataFrame
    quality: dict
    layouts: list[dict]
    outdir: Path


def _ingested(source: Source, progress: Progress | None, use_cache: bool) -> _Ingested:
    """Transactions, rejects, quality and layouts: from the folder, the disk cache or ingest."""
    outdir = ingest_folder(source)
    if source.kind != "ingested":
        _ingest_if_needed(source, outdir, progress, use_cache)
    result = _read_ingested(outdir, source.council)
    if result.transactions.empty:
        failed = "; ".join(
            f"{Path(f['path']).name}: {f['error']}"
            for f in result.quality.get("files_failed", [])[:3]
        )
        raise WorkspaceError("no usable spend rows" + (f" ({failed})" if failed else ""))
    return result


def _ingest_if_needed(
    source: Source, outdir: Path, progress: Progress | None, use_cache: bool
) -> None:
    files = spend_files(source)
    if not files:
        raise WorkspaceError(f"no spend files (CSV, XLSX, XLS, ODS) in {source.path}")
    done = (outdir / "quality.json").is_file() and (outdir / "transactions.parquet").is_file()
    if use_cache and done:
        _report(progress, "reading the spend files already ingested", 0.3)
        return
    try:
        result = ingest(
            files,
            council=source.council,
            mapping_file=Path(source.mapping_file) if source.mapping_file else None,
            progress=_scaled(progress, 0.0, 0.6),
        )
    except (ValueError, OSError) as exc:
        raise WorkspaceError(f"could not read the spend files: {exc}") from None
    write_outputs(result, outdir)


def _read_ingested(folder: Path, council: str) -> _Ingested:
    """What ``impact ingest`` wrote in ``folder`` (missing side files read as empty)."""
    tx = pd.read_parquet(folder / "transactions.parquet")
    if "dated_outside_file" not in tx:  # ingested before the reporting-month rule
        tx["dated_outside_file"] = pd.array([False] * len(tx), dtype="boolean")
    rejected_path = folder / "rejected.parquet"
    rejected = (
        pd.read_parquet(rejected_path)
        if rejected_path.is_file()
        else pd.DataFrame(columns=list(REJECTED_COLUMNS))
    )
    quality_path = folder / "quality.json"
    quality = (
        json.loads(quality_path.read_text(encoding="utf-8"))
        if quality_path.is_file()
        else {"council": council}
    )
    mapping = folder / "mapping.yaml"
    layouts = load_mapping(mapping)["layouts"] if mapping.is_file() else []
    return _Ingested(tx, rejected, quality, layouts, folder)


def _located(
    source: Source, outdir: Path, reference: Reference, progress: Progress | None, use_cache: bool
) -> tuple[pd.DataFrame, dict, str]:
    """Suppliers with places and coverage, from the disk cache or :func:`locate`."""
    folder, k = _locate_cache(source, outdir, reference)
    sp, cp = folder / "suppliers.parquet", folder / "coverage.json"
    if use_cache and sp.is_file() and cp.is_file():
        return pd.read_parquet(sp), json.loads(cp.read_text(encoding="utf-8")), k
    registers = council_registers(source)
    try:
        res = locate(outdir, registers, reference, progress=_scaled(progress, 0.6, 0.3))
    except (ValueError, OSError, ReferenceError) as exc:
        raise WorkspaceError(f"could not place the suppliers: {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    res.suppliers.to_parquet(sp, index=False)
    cp.write_text(json.dumps(res.coverage, default=str), encoding="utf-8")
    return res.suppliers, json.loads(cp.read_text(encoding="utf-8")), k


#: The code a placement depends on: reading, supplier keys and names (ingest), placing
#: (places) and the layer below them (core).  A placement made by other code is placed again.
PLACEMENT_CODE = ("core", "ingest", "places")


def _locate_cache(source: Source, outdir: Path, reference: Reference) -> tuple[Path, str]:
    """The workspace folder of a source's located suppliers, and its key (the ingested
    transactions, the register and the reference files it was placed with, and the code
    that placed them: suppliers keyed or placed another way would not match today's)."""
    k = cache.key(
        cache.code_version(*PLACEMENT_CODE),
        *cache.fingerprint([outdir / "transactions.parquet", source.register,
                            vendor_store(source)]),
        *cache.fingerprint(locate_reference_files(reference)),
        str(reference.root.resolve()),
        length=12,
    )
    return council_folder("locate", source.council, k), k


def prepare(source: Source, suppliers: pd.DataFrame, coverage: dict) -> None:
    """Keep what ``impact locate`` found where the app looks first, and prepare the
    council's geography (IoD deciles, wards) then, not on the app's first load.

    Why: a real council's cold start otherwise placed every supplier again (~10 s) and read
    the national IoD tables and boundaries (~13 s) while the first visitor waited.
    ``source`` is the ingested folder as the app opens it.
    """
    reference = _reference(source)
    folder, k = _locate_cache(source, Path(source.path), reference)
    folder.mkdir(parents=True, exist_ok=True)
    suppliers.to_parquet(folder / "suppliers.parquet", index=False)
    (folder / "coverage.json").write_text(json.dumps(coverage, default=str), encoding="utf-8")
    _prepared(source, reference, suppliers, k, use_cache=True)


def _prepared(
    source: Source,
    reference: Reference,
    suppliers: pd.DataFrame,
    located_key: str,
    use_cache: bool,
) -> tuple[pd.DataFrame, CouncilGeography]:
    """Suppliers with their IoD decile, and the council's geography (districts, wards).

    Reading the national IoD tables and boundaries takes ~20 s for a real council, so the
    result is kept on disk (``prepared/`` under the workspace folder: wards as GeoParquet,
    WGS84), keyed on the located suppliers and the reference files' fingerprints.
    """
    parts = [located_key, source.council, *source.lad_codes, str(reference.root.resolve())]
    for role in PREPARED_ROLES:
        parts += cache.fingerprint(reference.find_all(role))
    folder = council_folder("prepared", source.council, cache.key(*parts, length=12))
    if use_cache:
        hit = _read_prepared(folder)
        if hit is not None:
            return hit
    warnings: list[str] = []
    imd = supplier_deprivation(reference, warnings)
    suppliers = (
        # the key in the suppliers' own dtype: a merge of "str" on "string" gives object,
        # and the frame read back from the cache would then differ from this one
        suppliers.merge(imd.astype({"lsoa21_code": suppliers["lsoa21_code"].dtype}),
                        on="lsoa21_code", how="left")
        if imd is not None
        else suppliers.assign(imd_decile=pd.NA)
    )
    geo = council_geography(reference, source.council, source.lad_codes)
    geo.warnings[:0] = warnings
    _write_prepared(folder, suppliers, geo)
    return suppliers, geo


def _read_prepared(folder: Path) -> tuple[pd.DataFrame, CouncilGeography] | None:
    sp, wp, mp = folder / "suppliers.parquet", folder / "wards.parquet", folder / "meta.json"
    if not (sp.is_file() and wp.is_file() and mp.is_file()):
        return None
    try:
        meta = json.loads(mp.read_text(encoding="utf-8"))
        return pd.read_parquet(sp), CouncilGeography(wards=gpd.read_parquet(wp), **meta)
    except (OSError, ValueError, TypeError) as exc:  # a damaged cache is rebuilt, never fatal
        log.warning("prepared cache %s unreadable (%s): rebuilding", folder, exc)
        return None


def _write_prepared(folder: Path, suppliers: pd.DataFrame, geo: CouncilGeography) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        suppliers.to_parquet(folder / "suppliers.parquet", index=False)
        geo.wards.to_parquet(folder / "wards.parquet", index=False)
        (folder / "meta.json").write_text(json.dumps(geo.meta()), encoding="utf-8")
    except (OSError, ValueError) as exc:  # a read-only disk: slower next time, still correct
        log.warning("could not cache prepared places in %s: %s", folder, exc)


def join_suppliers(
    tx: pd.DataFrame, suppliers: pd.DataFrame, council_lads: list[str], region_codes: list[str]
) -> pd.DataFrame:
    """Transactions with their supplier's class and place, and a ``location_band``."""
    t = tx.copy()
    t["supplier_key"] = supplier_keys(t)
    return _with_places(t, suppliers, council_lads, region_codes)


def _with_places(
    t: pd.DataFrame, suppliers: pd.DataFrame, council_lads: list[str], region_codes: list[str]
) -> pd.DataFrame:
    """``t`` (with ``supplier_key``) joined to its suppliers' columns, with the band."""
    cols = [c for c in (*SUPPLIER_JOIN_COLUMNS, "imd_decile") if c in suppliers.columns]
    s = suppliers[cols].drop_duplicates("supplier_key")
    t = t.merge(s, on="supplier_key", how="left", validate="many_to_one")
    t["is_located"] = t["is_located"].fillna(False).astype(bool)
    national = _column(t, "place_basis").eq("national").fillna(False).to_numpy(bool)
    band = np.select(
        [
            national,
            ~t["is_located"],
            t["lad_code"].isin(council_lads).to_numpy() | area_within(t, council_lads),
            t["region_code"].isin(region_codes).to_numpy(),
        ],
        ["national", "not located", "council", "region"],
        default="elsewhere",
    )
    t["location_band"] = pd.Categorical(band, categories=list(BANDS))
    t["supplier_class"] = t["supplier_class"].astype("string").fillna("unknown")
    return t


def patch_transactions(
    tx: pd.DataFrame, suppliers: pd.DataFrame, council_lads: list[str], region_codes: list[str]
) -> pd.DataFrame:
    """``tx`` (already joined) with the place of the few ``suppliers`` given written anew
    into their rows: what :func:`join_suppliers` would give, without re-joining every row.

    The result is a new frame; columns that do not change are shared with ``tx``, so other
    sessions still reading ``tx`` are unaffected.
    """
    rows = np.flatnonzero(tx["supplier_key"].isin(suppliers["supplier_key"]).to_numpy())
    out = tx.copy(deep=False)
    if not len(rows):
        return out
    joined = {*SUPPLIER_JOIN_COLUMNS, "imd_decile", "location_band"} - {"supplier_key"}
    keys = tx[["supplier_key"]].iloc[rows]  # the join needs the key alone
    fresh = _with_places(keys, suppliers, council_lads, region_codes)
    for c in tx.columns:
        # Rewriting a column costs its full length: only those whose values move are.
        if c in joined and not _same_values(tx[c].iloc[rows], fresh[c]):
            out[c] = _patched(tx[c], rows, fresh[c])
    return out


def _same_values(old: pd.Series, new: pd.Series) -> bool:
    """Whether two equally long columns hold the same values (NA equal to NA)."""
    old, new = old.reset_index(drop=True), new.reset_index(drop=True)
    if old.dtype != new.dtype:
        old, new = old.astype(object), new.astype(old.dtype).astype(object)
    return old.equals(new)


def _column(t: pd.DataFrame, name: str) -> pd.Series:
    """A supplier column, all NA when a cached supplier table predates it."""
    if name in t:
        return t[name].astype("string")
    return pd.Series(pd.NA, index=t.index, dtype="string")
