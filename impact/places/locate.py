"""Suppliers to places, with honest coverage.

Reads ``DIR/transactions.parquet`` (canonical schema, :mod:`impact.ingest.schema`), builds one
row per supplier and finds each a place, in this order (first hit wins):

1. the council's own registers (``--register``): exact ``supplier_id``
   (``register_id``), then the charity number the spend files give (``register_charity``),
   then exact normalised name (``register_name``); a charity the reference or bulk
   registers then find exactly (their charity number) is placed at the council's own
   record of that number when it has one (``register_charity``, after those steps);
2. the public-sector gazetteer (:mod:`impact.places.gazetteer`, ``gazetteer``): other
   councils, combined authorities, police, fire, NHS trusts and commissioners, government
   departments and agencies, pension funds — placed at their area or site, or marked
   **national**; a name that fits several bodies and was decided by proximity to the paying
   council is ``proximity``;
3. the reference registers (role ``supplier_registers``): exact Companies House number
   (``company_number``), then exact normalised name (``reference_name``).  When the
   folder holds the stacked ``*combined*`` table only that one is read, so the same
   rows are not loaded twice; then the official bulk registers ``impact fetch`` builds
   (Companies House, charities, schools: :mod:`impact.places.bulk_lookup`) by company or
   charity number (``charity_number``) and exact name, placing at the registered office
   or school site;
4. probabilistic name links from :mod:`impact.places.linkage` when it is importable
   (``fuzzy``, with ``resolution_probability``): candidates, never counted as exact;
   against the registers first, then the bulk registers (bounded blocking);
5. the paying council's own parish and town councils and schools that nothing above
   placed (``proximity``: an assumption, marked as one);
6. a place named inside the payee name ("… (Anytown) Ltd", "Solutions for Anytown":
   ``name_hint``, low confidence).

Every placed supplier carries its ``place_basis`` (:data:`PLACE_BASES`): what its place
stands for.  Postcodes are placed by :func:`impact.places.geocode.geocode_postcodes`; a public
body's area places it at district level (``area_lad_codes``).  A supplier counts as
*located* when it has coordinates or an area; a **national** body is neither located nor
unplaced.  Coverage is by value: positive spend (ingest has already set duplicates aside);
public-body and redacted spend are shown separately because they are rarely influenceable
and can never be placed respectively.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from impact.core.values import (
    apply_distinct,
    clean_charity_numbers,
    clean_company_numbers,
    parse_yes_no,
)
from impact.ingest.names import REDACTED, normalise_names
from impact.ingest.payees import bare_ids, one_id_per_payee
from impact.ingest.schema import key_of, supplier_key, supplier_keys  # noqa: F401 (re-exported)
from impact.places import bulk_lookup
from impact.places.classify import BY_NAME_SHAPE, Identifiers, classify_suppliers
from impact.places.gazetteer import (
    BODY_CLASSES,
    Gazetteer,
    Geography,
    Payer,
    assumed_local,
    name_hints,
)
from impact.places.geocode import geocode_postcodes
from impact.places.public_bodies import load_gazetteer
from impact.places.public_bodies import reference_files as gazetteer_files
from impact.places.reference import Reference
from impact.places.registers import Register, read_register

log = logging.getLogger(__name__)


METHODS = (
    "manual",
    "register_id",
    "register_charity",
    "register_name",
    "gazetteer",
    "company_number",
    "charity_number",
    "reference_name",
    "fuzzy",
    "proximity",
    "name_hint",
    "premises",
    "none",
)
#: What a placed supplier's place stands for (``place_basis``), in words.
PLACE_BASES: dict[str, str] = {
    "council_register": "council's own records",
    "shared_register": "another body's register",
    "registered_office": "registered office",
    "public_body": "public body's area or site",
    "school_site": "school site",
    "national": "national body",
    "name_hint": "place in the payee name (weak)",
    "manual": "placed by an officer",
    "premises": "premises (rates, care, charity)",
}
GEO_COLUMNS = (
    "lat",
    "long",
    "lsoa21_code",
    "ward_code",
    "ward_name",
    "lad_code",
    "lad_name",
    "region_code",
    "region_name",
)
#: Supplier columns joined onto every transaction (the place and what kind of supplier).
SUPPLIER_JOIN_COLUMNS = (
    "supplier_key",
    "supplier_class",
    "public_body_type",
    "is_located",
    "postcode",
    *GEO_COLUMNS,
    "sme",
    "vcse",
    "resolution_method",
    "place_basis",
    "area_lad_codes",
    "geocode_status",
)
UNRESOLVED_TOP = 300
#: Transaction text columns a supplier row is built from.
_SUPPLIER_TEXT = (
    "council",
    "supplier_id",
    "supplier_name",
    "supplier_name_norm",
    "company_number",
    "charity_number",
)
#: The transaction columns :func:`supplier_table` reads (the rest are not loaded).
_TX_COLUMNS = (*_SUPPLIER_TEXT, "is_redacted", "is_card", "amount", "date")

Progress = Callable[[str, float], None]


@dataclass
class LocateResult:
    """Suppliers with places, and coverage.

    Attributes
    ----------
    suppliers : one row per supplier (council + supplier_id, else normalised name):
        name variants, spend, resolution method/source, postcode, geography, class.
    coverage : shares and counts; see :func:`coverage`.
    registers : summaries of every register read (rows, rejected, conflicts).
    """

    suppliers: pd.DataFrame
    coverage: dict
    registers: list[dict] = field(default_factory=list)


def supplier_table(tx: pd.DataFrame) -> pd.DataFrame:
    """One row per supplier from canonical transactions.

    Text cleaning runs on distinct values and grouping on integer codes, so 1M rows with
    20k suppliers cost what 20k cost plus a few vectorised passes.
    """
    rows = _supplier_fields(tx)
    ids = one_id_per_payee(rows["council"], rows["supplier_id"], rows["supplier_name_norm"])
    rows["supplier_id"], rows["id_merge"] = ids["supplier_id"], ids["id_merge"]
    key = key_of(rows["council"], rows["supplier_id"], rows["supplier_name_norm"])
    codes, keys = pd.factorize(key, sort=False)
    out = _per_supplier_totals(rows, codes)
    out = _with_name_variants(out, rows, codes, len(keys))
    out.index = pd.Index(np.asarray(keys, dtype=object), name="supplier_key")
    out = out.reset_index()
    for c in ("supplier_name", "name_variants", "supplier_name_norm"):
        out[c] = out[c].astype("string")
    return out


def _supplier_fields(tx: pd.DataFrame) -> pd.DataFrame:
    """Per transaction: the supplier's text fields stripped (blank → NA) and the measures
    totalled per supplier (``_red``, ``_amt``, ``_pos``, ``_n``, ``_date``).

    The normalised name is computed here only when ingest did not store one.
    """
    if "supplier_name_norm" not in tx or tx["supplier_name_norm"].isna().all():
        norm_src = normalise_names(tx["supplier_name"])
    else:
        norm_src = tx["supplier_name_norm"]
    t = pd.DataFrame(index=tx.index)
    for c in _SUPPLIER_TEXT:
        src = norm_src if c == "supplier_name_norm" else tx.get(c)
        t[c] = (
            pd.Series(pd.NA, index=tx.index, dtype="string")
            if src is None
            else apply_distinct(src, lambda u: u.astype("string").str.strip().replace("", pd.NA))
        )
    t["company_number"] = clean_company_numbers(t["company_number"])  # ingest too
    red = tx["is_redacted"].fillna(False).astype(bool) if "is_redacted" in tx else False
    t["_red"] = red | (t["supplier_name_norm"] == REDACTED).fillna(False)
    t["_card"] = tx["is_card"].fillna(False).astype(bool) if "is_card" in tx else False
    amt = pd.to_numeric(tx["amount"], errors="coerce").fillna(0.0)
    t["_amt"] = amt
    t["_pos"] = amt.clip(lower=0)
    t["_n"] = 1
    t["_date"] = pd.to_datetime(tx["date"], errors="coerce") if "date" in tx else pd.NaT
    return t


def _per_supplier_totals(rows: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Identifiers (first seen), counts, £ (all and positive only), dates, redaction."""
    return rows.groupby(codes, sort=False).agg(
        council=("council", "first"),
        supplier_id=("supplier_id", "first"),
        id_merge=("id_merge", "first"),
        company_number=("company_number", "first"),
        charity_number=("charity_number", "first"),
        n_transactions=("_n", "sum"),
        amount=("_amt", "sum"),
        spend=("_pos", "sum"),
        first_date=("_date", "min"),
        last_date=("_date", "max"),
        is_redacted=("_red", "all"),
        card_only=("_card", "all"),
    )


def _with_name_variants(
    out: pd.DataFrame, rows: pd.DataFrame, codes: np.ndarray, n_keys: int
) -> pd.DataFrame:
    """The supplier's most used published and normalised names, and every spelling seen
    (councils print one supplier several ways; the analyst sees them all)."""
    names = _ranked_values(codes, rows["supplier_name"], n_keys)
    out["supplier_name"] = names["top"]
    out["name_variants"] = names["joined"]
    out["supplier_name_norm"] = _ranked_values(codes, rows["supplier_name_norm"], n_keys)["top"]
    out["n_name_variants"] = names["n"].fillna(0).astype(int)
    return out


def _ranked_values(codes: np.ndarray, values: pd.Series, n_keys: int) -> pd.DataFrame:
    """Per key code: most frequent value (ties: first seen), the first 20 values by frequency
    joined with " | ", and how many distinct values; NA values are ignored."""
    vcodes, vuniq = pd.factorize(values, use_na_sentinel=True)
    ok = vcodes >= 0
    pair = codes[ok].astype(np.int64) * max(len(vuniq), 1) + vcodes[ok]
    pcodes, puniq = pd.factorize(pair, sort=False)  # pairs in order of first appearance
    k = np.bincount(pcodes, minlength=len(puniq))
    key = puniq // max(len(vuniq), 1)
    val = puniq % max(len(vuniq), 1)
    order = np.lexsort((-k, key))  # by key, then most frequent first; stable for ties
    key, val = key[order], val[order]
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    rank = np.arange(len(key)) - np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
    text = pa.array(pd.Series(vuniq, dtype="string").to_numpy(dtype=object)[val], pa.string())
    top20 = rank < 20
    grouped = (
        pa.table({"key": key[top20], "value": pc.filter(text, pa.array(top20))})
        .group_by("key", use_threads=False)
        .aggregate([("value", "list")])
    )
    joined = pd.Series(
        pc.binary_join(grouped.column("value_list"), " | ").to_pylist(),
        index=grouped.column("key").to_numpy(),
        dtype="string",
    )
    out = pd.DataFrame(index=pd.RangeIndex(n_keys))
    out["top"] = pd.Series(
        pd.array(text.filter(pa.array(first)), dtype="string"), index=key[first]
    ).reindex(out.index)
    out["joined"] = joined.reindex(out.index)
    n_values = np.bincount(key, minlength=n_keys)[:n_keys]
    out["n"] = pd.Series(n_values).where(n_values > 0)
    return out


def reference_files(reference: Reference) -> list[Path]:
    """Every reference file :func:`locate` reads (their fingerprints key its cache)."""
    bulk = [t.path for t in bulk_lookup.bulk_tables(reference)]
    return [*reference.find_all("supplier_registers"), *gazetteer_files(reference), *bulk]


def reference_register_paths(reference: Reference) -> list[Path]:
    """The reference registers read (the stacked ``*combined*`` table alone when present)."""
    paths = reference.find_all("supplier_registers")
    combined = [p for p in paths if "combined" in p.name.lower()]
    return combined or paths


def _load(
    paths: list[Path], progress: Progress | None, start: float, span: float
) -> tuple[pd.DataFrame, list[Register]]:
    regs: list[Register] = []
    for i, p in enumerate(paths):
        if progress:
            progress(f"reading register {p.name}", start + span * i / max(len(paths), 1))
        regs.append(read_register(p))
    frames = []
    for r in regs:
        f = r.frame.copy()
        f["resolution_source"] = str(r.path.name if r.path else "")
        frames.append(f)
    if not frames:
        return pd.DataFrame(), regs
    return pd.concat(frames, ignore_index=True), regs


@dataclass(frozen=True)
class _Registers:
    """Every register of one run, stacked per kind: the council's own, then the reference."""

    council_rows: pd.DataFrame
    reference_rows: pd.DataFrame
    council: list[Register]
    reference: list[Register]

    @classmethod
    def read(
        cls, council: list[Path], reference: Reference | None, progress: Progress | None
    ) -> _Registers:
        council_rows, council_regs = _load([Path(p) for p in council], progress, 0.15, 0.15)
        ref_paths = reference_register_paths(reference) if reference else []
        reference_rows, reference_regs = _load(ref_paths, progress, 0.3, 0.2)
        return cls(council_rows, reference_rows, council_regs, reference_regs)

    def rows(self, from_council: bool) -> pd.DataFrame:
        return self.council_rows if from_council else self.reference_rows

    def summaries(self) -> list[dict]:
        """What was read from each register, for coverage.json."""
        out = [{**r.summary(), "kind": "council"} for r in self.council]
        return out + [{**r.summary(), "kind": "reference"} for r in self.reference]


@dataclass(frozen=True)
class _ExactKey:
    """One exact join of suppliers to registers: the column both share, and its method."""

    column: str
    method: str  # the resolution_method it gives
    from_council: bool  # the council's own registers, else the reference ones
    named_only: bool  # only suppliers with a usable (unredacted) name


#: Exact joins, most trusted first (see the module docstring): the first hit wins.  The
#: gazetteer's turn (its own matcher, not a column join) comes between the council's
#: registers and the reference ones.
GAZETTEER_KEY = _ExactKey("supplier_name_norm", "gazetteer", from_council=False, named_only=True)
EXACT_KEYS = (
    _ExactKey("supplier_id", "register_id", from_council=True, named_only=False),
    _ExactKey("charity_number", "register_charity", from_council=True, named_only=False),
    _ExactKey("supplier_name_norm", "register_name", from_council=True, named_only=True),
    GAZETTEER_KEY,
    _ExactKey("company_number", "company_number", from_council=False, named_only=False),
    _ExactKey("supplier_name_norm", "reference_name", from_council=False, named_only=True),
)
#: A reference register's rows stand for registered offices unless their ``source`` says
#: the register is some body's supplier or contracts register (trading addresses, but not
#: this council's: a shared table) or a public body list: (pattern, basis), first that
#: fits.  Only the council's own register gives ``council_register``; its rows typed in
#: the app are ``manual``.
REFERENCE_BASIS: tuple[tuple[str, str], ...] = (
    (r"(?i)contract|council|supplier.?register|vendor", "shared_register"),
    (r"(?i)(?:^|[^a-z])(?:nhs|ods)(?:[^a-z]|$)", "public_body"),
)


def _basis_of(sources: pd.Series, from_council: np.ndarray | bool) -> np.ndarray:
    """The place basis of register rows, from where the rows came (see :data:`PLACE_BASES`)."""
    src = sources.astype("string").fillna("")
    basis = np.full(len(src), "registered_office", dtype=object)
    for pattern, value in reversed(REFERENCE_BASIS):
        basis[src.str.contains(pattern, regex=True).to_numpy(bool)] = value
    council = np.broadcast_to(np.asarray(from_council, dtype=bool), basis.shape)
    manual = src.str.strip().str.lower().eq("manual").to_numpy(bool)
    return np.where(council, np.where(manual, "manual", "council_register"), basis)


def _assign(sup: pd.DataFrame, todo: np.ndarray, reg: pd.DataFrame, key: _ExactKey) -> None:
    """Resolve ``todo`` suppliers whose ``key.column`` equals a register row's (first wins)."""
    if reg.empty or key.column not in reg:
        return
    keys = sup[key.column]
    r = reg[reg[key.column].notna() & reg["postcode"].notna()]
    if key.column == "supplier_id":  # "00123" in the vendor master is 123 in the spend files
        keys = bare_ids(keys)
        r = r.assign(supplier_id=bare_ids(r["supplier_id"]))
    elif key.column == "charity_number":  # "0512345" and "512345" are one charity
        keys = clean_charity_numbers(keys)
        r = r.assign(charity_number=clean_charity_numbers(r["charity_number"]))
    r = r.drop_duplicates(key.column, keep="first")
    r = r.set_index(r[key.column].rename("_key"))
    hit = todo & keys.isin(r.index).to_numpy()
    if not hit.any():
        return
    k = keys[hit]
    for c in ("postcode", "sme", "vcse", "sic", "resolution_source"):
        sup.loc[hit, c] = r.loc[k, c].to_numpy()
    sup.loc[hit, "place_basis"] = _basis_of(r.loc[k, "source"], key.from_council)
    sup.loc[hit, "matched_name"] = r.loc[k, "supplier_name"].to_numpy()
    for c in ("company_number", "charity_number"):
        if c in r and c in sup:
            sup.loc[hit, c] = sup.loc[hit, c].fillna(
                pd.Series(r.loc[k, c].to_numpy(), index=sup.index[hit], dtype="string"))
    sup.loc[hit, "resolution_method"] = key.method
    sup.loc[hit, "resolution_probability"] = 1.0


def locate(
    dir: Path,
    registers: list[Path],
    reference: Reference | None = None,
    reference_registers: bool = True,
    progress: Progress | None = None,
    *,
    fuzzy: bool = True,
    geocoder: Callable[[pd.Series, Reference | None], pd.DataFrame] = geocode_postcodes,
) -> LocateResult:
    """Resolve and place every supplier in ``dir/transactions.parquet`` (see module doc).

    ``fuzzy=False`` skips the probabilistic step; ``geocoder`` replaces
    :func:`impact.places.geocode.geocode_postcodes` (same interface), e.g. in tests.
    """
    sup = _read_suppliers(Path(dir), progress)
    n = len(sup)
    sup = _classified(sup, progress)
    regs = _Registers.read(registers, reference if reference_registers else None, progress)
    named = nameable(sup)
    public = _PublicBodies.read(sup, named, reference, progress)
    _match_exactly(sup, named, regs, public, progress)
    bulk = _BulkStep.start(sup, named, reference if reference_registers else None, public.payer)
    fuzzy_note = "fuzzy linking switched off"
    if fuzzy:
        all_rows = pd.concat(
            [regs.council_rows.assign(_council=True), regs.reference_rows.assign(_council=False)],
            ignore_index=True,
        )
        fuzzy_note = _fuzzy(sup, named, all_rows, progress)
        bulk.link(sup, named, progress)
    _charities_on_council_record(sup, regs)
    public.place_assumed_local(sup, named)
    public.place_by_name_hint(sup, named)
    _class_from_registers(sup, public.gazetteer.charity_companies)
    _report(progress, "geocoding postcodes", 0.8)
    sup = _placed(sup, geocoder(sup["postcode"], reference), public.gazetteer)
    cov = coverage(sup)
    cov["fuzzy"] = fuzzy_note
    cov["registers"] = regs.summaries()
    cov["bulk_registers"] = bulk.coverage()
    _report(progress, "done", 1.0)
    assert len(sup) == n
    return LocateResult(suppliers=sup, coverage=cov, registers=cov["registers"])


#: Methods that placed a supplier from the council's own registers.
COUNCIL_METHODS = ("manual", "register_id", "register_charity", "register_name")


def _charities_on_council_record(sup: pd.DataFrame, regs: _Registers) -> None:
    """Charities placed elsewhere (a registered office) whose charity number — from the
    spend files or an exact register hit, never a probable link — is in the council's own
    register: the council's record of where the charity works wins, as its vendor number
    would have."""
    if "charity_number" not in sup or "charity_number" not in regs.council_rows:
        return
    method = sup["resolution_method"].astype("string")
    todo = (~method.isin(COUNCIL_METHODS)).fillna(True) & sup["charity_number"].notna()
    _assign(sup, todo.to_numpy(bool), regs.council_rows, EXACT_KEYS[1])


def _report(progress: Progress | None, what: str, share: float) -> None:
    if progress:
        progress(what, share)


def _read_suppliers(dir: Path, progress: Progress | None) -> pd.DataFrame:
    """One row per supplier, with blank resolution columns for the steps to fill; only the
    transaction columns a supplier needs are read."""
    tx_path = dir / "transactions.parquet"
    if not tx_path.is_file():
        raise FileNotFoundError(f"{tx_path} not found: run ingest first")
    _report(progress, "reading transactions", 0.0)
    present = set(pq.read_schema(tx_path).names)
    tx = pd.read_parquet(tx_path, columns=[c for c in _TX_COLUMNS if c in present])
    sup = supplier_table(tx)
    del tx
    for c in (
        "postcode",
        "sme",
        "vcse",
        "sic",
        "resolution_source",
        "matched_name",
        "suggested_name",
        "suggested_postcode",
        "place_basis",
        "area_lad_codes",
        "register_status",
    ):
        sup[c] = pd.Series(pd.NA, index=sup.index, dtype="string")
    sup["resolution_method"] = pd.Series("none", index=sup.index, dtype="string")
    sup["resolution_probability"] = np.nan
    sup["suggested_probability"] = np.nan
    sup["suggested_evidence_bits"] = np.nan
    sup["company_number"] = sup["company_number"].astype("string")
    return sup


def _classified(sup: pd.DataFrame, progress: Progress | None) -> pd.DataFrame:
    """What kind of organisation each supplier is (coverage reports public bodies apart)."""
    _report(progress, "classifying suppliers", 0.1)
    ids = Identifiers(
        company_number=sup["company_number"],
        charity_number=sup["charity_number"],
        supplier_id=sup["supplier_id"],
        card_only=sup["card_only"],
        spend=sup["spend"],
    )
    cls = classify_suppliers(sup["supplier_name_norm"], sup["supplier_name"], ids=ids)
    return sup.join(cls)


def nameable(sup: pd.DataFrame) -> np.ndarray:
    """Suppliers whose name may be matched: named and not redacted."""
    named = sup["supplier_name_norm"].notna() & (sup["supplier_name_norm"] != REDACTED)
    return (named & ~sup["is_redacted"]).to_numpy()


def _match_exactly(
    sup: pd.DataFrame,
    named: np.ndarray,
    regs: _Registers,
    public: _PublicBodies,
    progress: Progress | None,
) -> None:
    """Each exact key in turn (:data:`EXACT_KEYS`) on the suppliers still unresolved."""
    _report(progress, "matching suppliers to registers", 0.5)
    for key in EXACT_KEYS:
        todo = (sup["resolution_method"] == "none").to_numpy()
        todo = todo & named if key.named_only else todo
        if key is GAZETTEER_KEY:
            public.place(sup, todo)
        else:
            _assign(sup, todo, regs.rows(key.from_council), key)


@dataclass
class _BulkStep:
    """The official bulk registers' turn (:mod:`impact.places.bulk_lookup`): numbers and
    exact names after the other exact keys, Splink links after the other fuzzy links."""

    tables: list[bulk_lookup.BulkTable]
    settings: bulk_lookup.BulkSettings
    summary: bulk_lookup.BulkSummary

    @classmethod
    def start(cls, sup: pd.DataFrame, named: np.ndarray, reference: Reference | None,
              payer: Payer) -> _BulkStep:
        """Match the unplaced suppliers exactly against every bulk register present."""
        tables = bulk_lookup.bulk_tables(reference)
        settings = bulk_lookup.BulkSettings(frozenset(payer.lads))
        if not tables:
            return cls(tables, settings, bulk_lookup.BulkSummary())
        todo = (sup["resolution_method"] == "none").to_numpy()
        return cls(tables, settings, bulk_lookup.match_exactly(sup, todo, named, tables,
                                                               settings))

    def link(self, sup: pd.DataFrame, named: np.ndarray, progress: Progress | None) -> None:
        """Splink links for what is still unplaced."""
        todo = (sup["resolution_method"] == "none").to_numpy() & named
        if self.tables and todo.any():
            _report(progress, "fuzzy links to the bulk registers", 0.7)
            bulk_lookup.link_fuzzy(sup, todo, self.tables, self.settings, self.summary)

    def coverage(self) -> dict:
        s = self.summary
        return {"tables": s.tables, "placed": s.placed, "ambiguous_names": s.ambiguous_names,
                "notes": s.notes}


@dataclass
class _PublicBodies:
    """The gazetteer's answers for one council's suppliers, and the steps that use them."""

    gazetteer: Gazetteer
    payer: Payer
    hits: pd.DataFrame  # gazetteer match columns, one row per supplier (NA where unnamed)

    @classmethod
    def read(
        cls, sup: pd.DataFrame, named: np.ndarray, reference: Reference | None,
        progress: Progress | None,
    ) -> _PublicBodies:
        """Match every named supplier against the gazetteer and class the bodies found."""
        _report(progress, "recognising public bodies", 0.4)
        gaz = load_gazetteer(reference)
        councils = sup["council"].dropna()
        payer = gaz.payer(str(councils.mode().iloc[0])) if len(councils) else Payer()
        hits = gaz.match(sup.loc[named, "supplier_name_norm"], sup.loc[named, "supplier_name"],
                         payer).reindex(sup.index)
        hits["gz_proximity"] = hits["gz_proximity"].fillna(False).astype(bool)
        _class_public_bodies(sup, hits)
        _national_by_class_words(sup, hits)
        return cls(gaz, payer, hits)

    def place(self, sup: pd.DataFrame, todo: np.ndarray) -> None:
        """Place ``todo`` suppliers the gazetteer knows: area, site or national; give an
        academy trust or housing association found by name its company number."""
        h = self.hits
        hit = todo & h["gz_place"].notna().to_numpy()
        sel = sup.index[hit]
        sup.loc[sel, "resolution_method"] = np.where(h.loc[sel, "gz_proximity"], "proximity",
                                                     "gazetteer")
        sup.loc[sel, "resolution_probability"] = np.where(h.loc[sel, "gz_proximity"], np.nan, 1.0)
        sup.loc[sel, "resolution_source"] = h.loc[sel, "gz_source"]
        sup.loc[sel, "matched_name"] = h.loc[sel, "gz_name"]
        place = h.loc[sel, "gz_place"]
        sup.loc[sel, "place_basis"] = np.where(place == "national", "national", "public_body")
        sup.loc[sel, "area_lad_codes"] = h.loc[sel, "gz_lads"].where(place == "area")
        sup.loc[sel, "postcode"] = h.loc[sel, "gz_postcode"].where(place == "site")
        numbered = todo & h["gz_company_number"].notna().to_numpy() & sup["company_number"].isna()
        sup.loc[numbered, "company_number"] = h.loc[numbered, "gz_company_number"]

    def place_assumed_local(self, sup: pd.DataFrame, named: np.ndarray) -> None:
        """The paying council's own parish and town councils and schools that nothing else
        placed: in its own area, marked as the assumption it is."""
        if not self.payer.lads:
            return
        todo = (sup["resolution_method"] == "none").to_numpy() & named
        public = (sup["supplier_class"] == "public_body").fillna(False).to_numpy(bool)
        hit = todo & public & assumed_local(sup["supplier_name_norm"],
                                            sup["public_body_type"]).to_numpy(bool)
        sup.loc[hit, "resolution_method"] = "proximity"
        sup.loc[hit, "resolution_source"] = (
            "assumed in the paying council's own area (its parish councils and schools)"
        )
        sup.loc[hit, "place_basis"] = "public_body"
        sup.loc[hit, "area_lad_codes"] = ";".join(sorted(self.payer.lads))

    def place_by_name_hint(self, sup: pd.DataFrame, named: np.ndarray) -> None:
        """What is still unplaced, at the place its name names (low confidence)."""
        todo = (sup["resolution_method"] == "none").to_numpy() & named
        todo &= ~(sup["supplier_class"] == "individual_redacted").fillna(False).to_numpy(bool)
        if not todo.any():
            return
        hints = name_hints(self.gazetteer, sup.loc[todo, "supplier_name_norm"],
                           sup.loc[todo, "supplier_name"])
        sel = hints.index[hints["hint_lads"].notna()]
        sup.loc[sel, "resolution_method"] = "name_hint"
        sup.loc[sel, "resolution_source"] = "a place named in the payee name"
        sup.loc[sel, "matched_name"] = hints.loc[sel, "hint_area"]
        sup.loc[sel, "place_basis"] = "name_hint"
        sup.loc[sel, "area_lad_codes"] = hints.loc[sel, "hint_lads"]


#: Gazetteer classes that are no public body: registered housing providers are
#: not-for-profit societies and companies (VCSE), whatever registers list them.
NOT_PUBLIC = {"housing_association": "vcse"}


def _class_public_bodies(sup: pd.DataFrame, hits: pd.DataFrame) -> None:
    """Every supplier the gazetteer recognises is a public body of its class (a housing
    provider a VCSE), and says which (or which several it could be)."""
    person = sup["supplier_class"].eq("individual_redacted") & ~sup["class_reason"].isin(
        BY_NAME_SHAPE)  # a redaction word or a service paying people, not a name's shape
    known = hits["gz_class"].notna() & ~person
    found = known & hits["gz_name"].notna()
    sup.loc[found, "class_reason"] = (
        hits.loc[found, "gz_class"].map(BODY_CLASSES) + ": " + hits.loc[found, "gz_name"]
    )
    several = known & hits["gz_candidates"].notna()
    sup.loc[several, "class_reason"] = (
        "one of: " + hits.loc[several, "gz_candidates"]
        + " (the paying council's area did not decide)"
    )
    by_words = known & ~found & ~several
    sup.loc[by_words, "class_reason"] = (
        hits.loc[by_words, "gz_class"].map(BODY_CLASSES) + " by its name's class words"
    )
    other = hits["gz_class"].map(NOT_PUBLIC)
    sup.loc[known, "supplier_class"] = other[known].fillna("public_body")
    sup.loc[known, "public_body_type"] = hits.loc[known, "gz_class"].where(other[known].isna())


def _national_by_class_words(sup: pd.DataFrame, hits: pd.DataFrame) -> None:
    """A government body the name rules found (HMRC, DVLA, a county court) and the
    gazetteer did not is national too: its class words name a national department."""
    words = (sup["public_body_type"] == "government").fillna(False) & hits["gz_place"].isna()
    hits.loc[words, "gz_place"] = "national"
    hits.loc[words, "gz_source"] = "a government body by its name's words"
    hits.loc[words, "gz_name"] = sup.loc[words, "supplier_name"]


def _class_from_registers(sup: pd.DataFrame, charity_companies: frozenset[str]) -> None:
    """Suppliers the name rules left unknown, classed by what a register said of them: a
    company number (a charity's, when the charity tables list it), VCSE or SIC flags."""
    unknown = (sup["supplier_class"] == "unknown").fillna(False)
    sic = sup["sic"].astype("string").fillna("")
    public = unknown & sic.str.contains(r"(?:^|[;,\s])1(?:$|[;,\s])", regex=True).fillna(False)
    sup.loc[public, ["supplier_class", "public_body_type"]] = ["public_body", "other_public"]
    sup.loc[public, "class_reason"] = "a register's SIC pseudo-code 1 (public sector employer)"
    number = sup["company_number"].astype("string")
    vcse = unknown & ~public & (
        number.isin(charity_companies) | parse_yes_no(sup["vcse"]).fillna(False)
    )
    sup.loc[vcse, "supplier_class"] = "vcse"
    sup.loc[vcse, "class_reason"] = "a register lists it as a charity or VCSE"
    company = unknown & ~public & ~vcse & (number.notna() | (sic != ""))
    sup.loc[company, "supplier_class"] = "company"
    sup.loc[company, "class_reason"] = "a register gives it a company number or SIC code"


def _placed(sup: pd.DataFrame, geo: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """The geocoder's answers on each supplier, areas on those placed at one, why the
    unresolved have none, and the biggest suppliers first."""
    for c in GEO_COLUMNS:
        sup[c] = geo[c].to_numpy()
    sup["postcode"] = geo["postcode"].astype("string").to_numpy()
    sup["geocode_status"] = geo["status"].astype("string").to_numpy()
    sup["geocode_reason"] = geo["reason"].astype("string").to_numpy()
    _at_areas(sup, gazetteer.geography)
    national = (sup["place_basis"] == "national").fillna(False)
    sup.loc[national, "geocode_status"] = "national"
    sup.loc[national, "geocode_reason"] = "a national body: its spend is no place's local spend"
    none = sup["resolution_method"] == "none"
    sup.loc[none, "geocode_status"] = "unresolved"
    sup.loc[none, "geocode_reason"] = np.where(
        sup.loc[none, "is_redacted"],
        "supplier name redacted: cannot be placed",
        "no register gave this supplier a postcode",
    )
    area = sup["area_lad_codes"].notna()
    sup["is_located"] = (sup["lat"].notna() & sup["long"].notna()) | area
    sup["place_basis"] = sup["place_basis"].where(sup["is_located"] | national)
    return sup.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)


def _at_areas(sup: pd.DataFrame, geography: Geography) -> None:
    """District and region of suppliers placed at an area: the district when it is one, the
    region when all its districts share one; no point, LSOA or ward (an area is not a
    neighbourhood)."""
    area = sup["area_lad_codes"].notna()
    if not area.any():
        return
    lads = sup.loc[area, "area_lad_codes"].str.split(";")
    one = lads.str.len() == 1
    regions = lads.map(lambda xs: {geography.lad_regions.get(x) for x in xs})
    region = regions.map(lambda rs: next(iter(rs)) if len(rs) == 1 else None)
    for c in GEO_COLUMNS:
        sup.loc[area, c] = pd.NA
    sup.loc[area, "lad_code"] = lads.str[0].where(one)
    sup.loc[area, "lad_name"] = np.where(
        one, lads.str[0].map(geography.lad_names), sup.loc[area, "matched_name"]
    )
    sup.loc[area, "region_code"] = region
    sup.loc[area, "region_name"] = region.map(geography.region_names)
    sup.loc[area, "geocode_status"] = "area"
    sup.loc[area, "geocode_reason"] = "placed at an area: " + lads.str.len().astype(str) + (
        " district(s)"
    )


def _fuzzy(
    sup: pd.DataFrame, named: np.ndarray, reg: pd.DataFrame, progress: Progress | None
) -> str:
    """Fuzzy links for what is still unresolved, when :mod:`impact.places.linkage` is present."""
    try:
        from impact.places.linkage import place_links
    except ImportError:
        return "impact.places.linkage not available: no fuzzy links"
    todo = (sup["resolution_method"] == "none").to_numpy() & named
    if not todo.any() or reg.empty:
        return "nothing to link"
    if progress:
        progress("fuzzy name links", 0.6)
    right = reg[reg["supplier_name_norm"].notna() & reg["postcode"].notna()]
    right = right.drop_duplicates("supplier_name_norm").reset_index(drop=True)
    left = pd.DataFrame(
        {
            "key": sup.loc[todo, "supplier_key"].to_numpy(),
            "name_norm": sup.loc[todo, "supplier_name_norm"].to_numpy(),
            "company_number": sup.loc[todo, "company_number"].to_numpy(),
        }
    )
    rdf = pd.DataFrame(
        {
            "key": right.index.astype(str),
            "name_norm": right["supplier_name_norm"].to_numpy(),
            "postcode": right["postcode"].to_numpy(),
            "entity": right["company_number"].to_numpy(),
        }
    )
    try:
        links, diag = place_links(left, rdf, k=1)
    except Exception as exc:  # a failed optional step must not lose the exact results
        log.warning("fuzzy linkage failed: %s", exc)
        return f"fuzzy linkage failed: {exc}"
    links = links[links["rank"] == 1].drop_duplicates("left_key")
    if links.empty:
        return _fuzzy_summary(diag, 0, 0)
    pos = pd.Series(np.arange(len(sup)), index=sup["supplier_key"])
    rows = pos[links["left_key"].astype(str)].to_numpy()
    r = right.loc[links["right_key"].astype(int).to_numpy()]
    idx = sup.index[rows]
    prob = links["match_probability"].to_numpy()
    # Every candidate is kept as a suggestion for the analyst's resolve queue ...
    sup.loc[idx, "suggested_name"] = r["supplier_name"].to_numpy()
    sup.loc[idx, "suggested_postcode"] = r["postcode"].to_numpy()
    sup.loc[idx, "suggested_probability"] = prob
    sup.loc[idx, "suggested_evidence_bits"] = links["evidence_bits"].to_numpy()
    # ... and only links with enough evidence, clear of the next company, place it (fuzzy).
    accept = links["placed"].astype(bool).to_numpy()
    idx_a, r_a = idx[accept], r[accept]
    for c in ("postcode", "sme", "vcse", "sic", "resolution_source"):
        sup.loc[idx_a, c] = r_a[c].to_numpy()
    sup.loc[idx_a, "place_basis"] = _basis_of(r_a["source"], r_a["_council"].to_numpy(bool))
    sup.loc[idx_a, "matched_name"] = r_a["supplier_name"].to_numpy()
    sup.loc[idx_a, "resolution_method"] = "fuzzy"
    sup.loc[idx_a, "resolution_probability"] = prob[accept]
    return _fuzzy_summary(diag, int(accept.sum()), int((~accept).sum()))


def _fuzzy_summary(diag, accepted: int, suggested: int) -> dict:
    """What the linkage did, with its thresholds and match weights, for coverage.json."""
    from impact.places.linkage import AMBIGUITY_BITS, PLACE_BITS

    return {
        "engine": f"splink {diag.splink_version} (duckdb)",
        "accept_evidence_bits": PLACE_BITS,
        "ambiguity_bits": AMBIGUITY_BITS,
        "accepted_links": accepted,
        "suggestions_only": suggested,
        "pairs_compared": int(diag.pairs_compared),
        "blocking_rules": [str(b) for b in diag.blocking_rules],
        "match_weights": diag.parameters_frame().to_dict(orient="records")
        if hasattr(diag, "parameters_frame")
        else [],
        "notes": list(diag.notes),
    }


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole > 0 else None


def coverage(sup: pd.DataFrame) -> dict:
    """Coverage by value (positive, non-duplicate spend) and by supplier count."""
    spend = sup["spend"].astype(float)
    total = float(spend.sum())
    loc = sup["is_located"].astype(bool)
    basis = sup["place_basis"] if "place_basis" in sup else pd.Series(pd.NA, index=sup.index)
    national = (basis == "national").fillna(False).astype(bool)
    public = (sup["supplier_class"] == "public_body").fillna(False).astype(bool)
    red = sup["is_redacted"].astype(bool) | (sup["supplier_class"] == "individual_redacted").fillna(
        False
    ).astype(bool)
    fuzzy = sup["resolution_method"] == "fuzzy"
    not_pub = ~public
    infl = ~public & ~red
    return {
        "spend_basis": "positive amounts (duplicates set aside at ingest)",
        "total_spend": round(total, 2),
        "located_spend": round(float(spend[loc].sum()), 2),
        "share_of_spend_located": _share(float(spend[loc].sum()), total),
        "share_of_spend_national": _share(float(spend[national].sum()), total),
        "located_by_basis": {
            b: _share(float(spend[loc & (basis == b).fillna(False)].sum()), total)
            for b in PLACE_BASES
            if b != "national"
        },
        "share_of_spend_located_exact": _share(float(spend[loc & ~fuzzy].sum()), total),
        "share_of_spend_located_excl_public": _share(
            float(spend[loc & not_pub].sum()), float(spend[not_pub].sum())
        ),
        "share_of_spend_located_excl_public_and_redacted": _share(
            float(spend[loc & infl].sum()), float(spend[infl].sum())
        ),
        "suppliers_total": len(sup),
        "suppliers_located": int(loc.sum()),
        "suppliers_national": int(national.sum()),
        "located_by_method": _by_method(sup, spend, loc),
        "public_body_spend": {
            "amount": round(float(spend[public].sum()), 2),
            "share": _share(float(spend[public].sum()), total),
            "share_placed_or_national": _share(
                float(spend[public & (loc | national)].sum()), float(spend[public].sum())
            ),
        },
        "redacted_spend": {
            "amount": round(float(spend[red].sum()), 2),
            "share": _share(float(spend[red].sum()), total),
        },
        "spend_by_class": {
            str(k): round(float(v), 2)
            for k, v in spend.groupby(sup["supplier_class"]).sum().items()
        },
        "unresolved_top": _unresolved_top(sup[~loc & ~national]),
    }


def _by_method(sup: pd.DataFrame, spend: pd.Series, loc: pd.Series) -> dict:
    """Suppliers, £ and £ placed per resolution method."""
    out = {}
    for m in METHODS:
        sel = sup["resolution_method"] == m
        out[m] = {
            "suppliers": int(sel.sum()),
            "amount": round(float(spend[sel].sum()), 2),
            "located_amount": round(float(spend[sel & loc].sum()), 2),
        }
    return out


def _unresolved_top(unplaced: pd.DataFrame) -> list[dict]:
    """The analyst's work queue: the unplaced suppliers, largest £ first."""
    top = unplaced.sort_values("spend", ascending=False).head(UNRESOLVED_TOP)
    return [
        {
            "supplier_name": _s(r.supplier_name),
            "supplier_name_norm": _s(r.supplier_name_norm),
            "supplier_class": _s(r.supplier_class),
            "amount": round(float(r.spend), 2),
            "n_transactions": int(r.n_transactions),
        }
        for r in top.itertuples()
    ]


def _s(v: object) -> str | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)


def write_locate_outputs(dir: Path, result: LocateResult) -> dict[str, Path]:
    """Write ``DIR/suppliers.parquet`` and ``DIR/coverage.json``; return their paths."""
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    paths = {"suppliers": dir / "suppliers.parquet", "coverage": dir / "coverage.json"}
    result.suppliers.to_parquet(paths["suppliers"], index=False)
    paths["coverage"].write_text(
        json.dumps(result.coverage, indent=2, default=str), encoding="utf-8"
    )
    return paths
