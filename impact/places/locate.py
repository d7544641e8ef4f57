"""Suppliers to places, with honest coverage.

Reads ``DIR/transactions.parquet`` (canonical schema, :mod:`impact.schema`), builds one
row per supplier and finds each a postcode, in this order (first hit wins):

1. the council's own registers (``--register``): exact ``supplier_id``
   (``register_id``), then exact normalised name (``register_name``);
2. the reference registers (role ``supplier_registers``): exact Companies House number
   (``company_number``), then exact normalised name (``reference_name``).  When the
   folder holds the stacked ``*combined*`` table only that one is read, so the same
   rows are not loaded twice;
3. probabilistic name links from :mod:`impact.linkage` when it is importable
   (``fuzzy``, with ``resolution_probability``): candidates, never counted as exact.

Postcodes are placed by :func:`impact.geocode.geocode_postcodes`.  A supplier counts as
*located* when it has coordinates.  Coverage is by value: positive spend (ingest has already
set duplicates aside); public-body and redacted spend are shown separately because
they are rarely influenceable and can never be placed respectively.
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

from impact.core.values import apply_distinct, clean_company_numbers
from impact.ingest.names import REDACTED, normalise_names
from impact.ingest.schema import supplier_key, supplier_keys  # noqa: F401 (re-exported)
from impact.places.classify import classify_suppliers
from impact.places.geocode import geocode_postcodes
from impact.places.reference import Reference
from impact.places.registers import Register, read_register

log = logging.getLogger(__name__)

#: Probabilistic links at or above this place a supplier (marked ``fuzzy``); links between
#: SUGGEST_THRESHOLD and this are only suggestions shown in the resolve queue.
ACCEPT_THRESHOLD = 0.9
SUGGEST_THRESHOLD = 0.5

METHODS = ("register_id", "register_name", "company_number", "reference_name", "fuzzy", "none")
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
_TX_COLUMNS = (*_SUPPLIER_TEXT, "is_redacted", "amount", "date")

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
    key = supplier_key(rows["council"], rows["supplier_id"], rows["supplier_name_norm"])
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
        company_number=("company_number", "first"),
        charity_number=("charity_number", "first"),
        n_transactions=("_n", "sum"),
        amount=("_amt", "sum"),
        spend=("_pos", "sum"),
        first_date=("_date", "min"),
        last_date=("_date", "max"),
        is_redacted=("_red", "all"),
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


def _reference_register_paths(reference: Reference) -> list[Path]:
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
        ref_paths = _reference_register_paths(reference) if reference else []
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


#: Exact joins, most trusted first (see the module docstring): the first hit wins.
EXACT_KEYS = (
    _ExactKey("supplier_id", "register_id", from_council=True, named_only=False),
    _ExactKey("supplier_name_norm", "register_name", from_council=True, named_only=True),
    _ExactKey("company_number", "company_number", from_council=False, named_only=False),
    _ExactKey("supplier_name_norm", "reference_name", from_council=False, named_only=True),
)


def _assign(sup: pd.DataFrame, todo: np.ndarray, reg: pd.DataFrame, key: _ExactKey) -> None:
    """Resolve ``todo`` suppliers whose ``key.column`` equals a register row's (first wins)."""
    if reg.empty or key.column not in reg:
        return
    keys = sup[key.column]
    r = reg[reg[key.column].notna() & reg["postcode"].notna()]
    r = r.drop_duplicates(key.column, keep="first")
    r = r.set_index(r[key.column].rename("_key"))
    hit = todo & keys.isin(r.index).to_numpy()
    if not hit.any():
        return
    k = keys[hit]
    for c in ("postcode", "sme", "vcse", "sic", "resolution_source"):
        sup.loc[hit, c] = r.loc[k, c].to_numpy()
    sup.loc[hit, "matched_name"] = r.loc[k, "supplier_name"].to_numpy()
    sup.loc[hit, "company_number"] = sup.loc[hit, "company_number"].fillna(
        pd.Series(r.loc[k, "company_number"].to_numpy(), index=sup.index[hit])
    )
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
    :func:`impact.geocode.geocode_postcodes` (same interface), e.g. in tests.
    """
    sup = _read_suppliers(Path(dir), progress)
    n = len(sup)
    sup = _classified(sup, progress)
    regs = _Registers.read(registers, reference if reference_registers else None, progress)
    named = _nameable(sup)
    _match_exactly(sup, named, regs, progress)
    fuzzy_note = "fuzzy linking switched off"
    if fuzzy:
        all_rows = pd.concat([regs.council_rows, regs.reference_rows], ignore_index=True)
        fuzzy_note = _fuzzy(sup, named, all_rows, progress)
    _report(progress, "geocoding postcodes", 0.8)
    sup = _placed(sup, geocoder(sup["postcode"], reference))
    cov = coverage(sup)
    cov["fuzzy"] = fuzzy_note
    cov["registers"] = regs.summaries()
    _report(progress, "done", 1.0)
    assert len(sup) == n
    return LocateResult(suppliers=sup, coverage=cov, registers=cov["registers"])


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
    ):
        sup[c] = pd.Series(pd.NA, index=sup.index, dtype="string")
    sup["resolution_method"] = pd.Series("none", index=sup.index, dtype="string")
    sup["resolution_probability"] = np.nan
    sup["suggested_probability"] = np.nan
    sup["company_number"] = sup["company_number"].astype("string")
    return sup


def _classified(sup: pd.DataFrame, progress: Progress | None) -> pd.DataFrame:
    """What kind of organisation each supplier is (coverage reports public bodies apart)."""
    _report(progress, "classifying suppliers", 0.1)
    cls = classify_suppliers(
        sup["supplier_name_norm"],
        sup["supplier_name"],
        sup["company_number"],
        sup["charity_number"],
    )
    return sup.join(cls)


def _nameable(sup: pd.DataFrame) -> np.ndarray:
    """Suppliers whose name may be matched: named and not redacted."""
    named = sup["supplier_name_norm"].notna() & (sup["supplier_name_norm"] != REDACTED)
    return (named & ~sup["is_redacted"]).to_numpy()


def _match_exactly(
    sup: pd.DataFrame, named: np.ndarray, regs: _Registers, progress: Progress | None
) -> None:
    """Each exact key in turn (:data:`EXACT_KEYS`) on the suppliers still unresolved."""
    _report(progress, "matching suppliers to registers", 0.5)
    for key in EXACT_KEYS:
        todo = (sup["resolution_method"] == "none").to_numpy()
        _assign(sup, todo & named if key.named_only else todo, regs.rows(key.from_council), key)


def _placed(sup: pd.DataFrame, geo: pd.DataFrame) -> pd.DataFrame:
    """The geocoder's answers on each supplier, why the unresolved have none, and the
    biggest suppliers first."""
    for c in GEO_COLUMNS:
        sup[c] = geo[c].to_numpy()
    sup["postcode"] = geo["postcode"].astype("string").to_numpy()
    sup["geocode_status"] = geo["status"].astype("string").to_numpy()
    sup["geocode_reason"] = geo["reason"].astype("string").to_numpy()
    none = sup["resolution_method"] == "none"
    sup.loc[none, "geocode_status"] = "unresolved"
    sup.loc[none, "geocode_reason"] = np.where(
        sup.loc[none, "is_redacted"],
        "supplier name redacted: cannot be placed",
        "no register gave this supplier a postcode",
    )
    sup["is_located"] = sup["lat"].notna() & sup["long"].notna()
    return sup.sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)


def _fuzzy(
    sup: pd.DataFrame, named: np.ndarray, reg: pd.DataFrame, progress: Progress | None
) -> str:
    """Fuzzy links for what is still unresolved, when :mod:`impact.linkage` is present."""
    try:
        from impact.places.linkage import link_names_with_diagnostics
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
            "company_number": right["company_number"].to_numpy(),
        }
    )
    try:
        links, diag = link_names_with_diagnostics(left, rdf, threshold=SUGGEST_THRESHOLD)
    except Exception as exc:  # a failed optional step must not lose the exact results
        log.warning("fuzzy linkage failed: %s", exc)
        return f"fuzzy linkage failed: {exc}"
    if links.empty:
        return _fuzzy_summary(diag, 0, 0)
    links = links.drop_duplicates("left_key")
    pos = pd.Series(np.arange(len(sup)), index=sup["supplier_key"])
    rows = pos[links["left_key"].astype(str)].to_numpy()
    r = right.loc[links["right_key"].astype(int).to_numpy()]
    idx = sup.index[rows]
    prob = links["match_probability"].to_numpy()
    # Every candidate is kept as a suggestion for the analyst's resolve queue ...
    sup.loc[idx, "suggested_name"] = r["supplier_name"].to_numpy()
    sup.loc[idx, "suggested_postcode"] = r["postcode"].to_numpy()
    sup.loc[idx, "suggested_probability"] = prob
    # ... and only links at or above the acceptance threshold place the supplier (as fuzzy).
    accept = prob >= ACCEPT_THRESHOLD
    idx_a, r_a = idx[accept], r[accept]
    for c in ("postcode", "sme", "vcse", "sic", "resolution_source"):
        sup.loc[idx_a, c] = r_a[c].to_numpy()
    sup.loc[idx_a, "matched_name"] = r_a["supplier_name"].to_numpy()
    sup.loc[idx_a, "resolution_method"] = "fuzzy"
    sup.loc[idx_a, "resolution_probability"] = prob[accept]
    return _fuzzy_summary(diag, int(accept.sum()), int((~accept).sum()))


def _fuzzy_summary(diag, accepted: int, suggested: int) -> dict:
    """What the linkage did, with its thresholds and match weights, for coverage.json."""
    return {
        "engine": f"splink {diag.splink_version} (duckdb)",
        "accept_threshold": ACCEPT_THRESHOLD,
        "suggest_threshold": SUGGEST_THRESHOLD,
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
    public = (sup["supplier_class"] == "public_body").fillna(False).astype(bool)
    red = sup["is_redacted"].astype(bool) | (sup["supplier_class"] == "individual_redacted").fillna(
        False
    ).astype(bool)
    fuzzy = sup["resolution_method"] == "fuzzy"
    by_method = {}
    for m in METHODS:
        sel = sup["resolution_method"] == m
        by_method[m] = {
            "suppliers": int(sel.sum()),
            "amount": round(float(spend[sel].sum()), 2),
            "located_amount": round(float(spend[sel & loc].sum()), 2),
        }
    unresolved = sup[~loc].sort_values("spend", ascending=False).head(UNRESOLVED_TOP)
    top = [
        {
            "supplier_name": _s(r.supplier_name),
            "supplier_name_norm": _s(r.supplier_name_norm),
            "supplier_class": _s(r.supplier_class),
            "amount": round(float(r.spend), 2),
            "n_transactions": int(r.n_transactions),
        }
        for r in unresolved.itertuples()
    ]
    not_pub = ~public
    infl = ~public & ~red
    return {
        "spend_basis": "positive amounts (duplicates set aside at ingest)",
        "total_spend": round(total, 2),
        "located_spend": round(float(spend[loc].sum()), 2),
        "share_of_spend_located": _share(float(spend[loc].sum()), total),
        "share_of_spend_located_exact": _share(float(spend[loc & ~fuzzy].sum()), total),
        "share_of_spend_located_excl_public": _share(
            float(spend[loc & not_pub].sum()), float(spend[not_pub].sum())
        ),
        "share_of_spend_located_excl_public_and_redacted": _share(
            float(spend[loc & infl].sum()), float(spend[infl].sum())
        ),
        "suppliers_total": len(sup),
        "suppliers_located": int(loc.sum()),
        "located_by_method": by_method,
        "public_body_spend": {
            "amount": round(float(spend[public].sum()), 2),
            "share": _share(float(spend[public].sum()), total),
        },
        "redacted_spend": {
            "amount": round(float(spend[red].sum()), 2),
            "share": _share(float(spend[red].sum()), total),
        },
        "spend_by_class": {
            str(k): round(float(v), 2)
            for k, v in spend.groupby(sup["supplier_class"]).sum().items()
        },
        "unresolved_top": top,
    }


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
