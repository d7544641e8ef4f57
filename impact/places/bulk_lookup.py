"""Suppliers matched against the official bulk registers that :mod:`.bulk` builds.

Each register (Companies House, the Charity Commission register, GIAS schools) is tried on
the suppliers nothing more trusted placed, most certain key first:

1. **number** — a Companies House company number (method ``company_number``) or a charity
   number (``charity_number``) the council's file gives;
2. **exact normalised name** (``reference_name``) — current names before previous ones.  A
   name several rows share at different postcodes places only when one row stands out (a
   live one where the others are closed; for schools, one in the paying council's own
   districts); otherwise it is left unplaced and counted as ambiguous;
3. **Splink** (:mod:`.linkage`, ``fuzzy``) on what is still unplaced, against the rows that
   share the supplier name's first word (tightened to its first two words when that is
   more than :data:`MAX_CANDIDATES` rows): bounded blocking, so a 5M-row register costs one
   filtered scan, not a cross join; at most :data:`MAX_FUZZY_NAMES` suppliers per run, the
   largest spend first.  :func:`impact.places.linkage.place_links` decides: a link with
   the evidence the labelled spellings showed right 98 times in 100, clear of the next
   company, places (marked fuzzy, with its probability); the best of the others is the
   officer's suggestion.

Only the rows asked for are read: the tables are sorted by name, so a Parquet filter reads
a few row groups.  A supplier placed from a register carries its ``place_basis``
(``registered_office`` for companies and charities, ``school_site`` for schools) and the
register's status (``register_status``: "Active", "Dissolved", "Removed", "Closed" …), which
the charter scorecard reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from impact.core.values import clean_charity_numbers
from impact.places.bulk import CHARITIES, COMPANIES_HOUSE, LAYOUTS, SCHOOLS, Layout
from impact.places.reference import Reference

log = logging.getLogger(__name__)

#: Register columns read for a match.
LOOKUP_COLUMNS = ("id", "name", "name_norm", "name_kind", "postcode", "status", "sic_codes",
                  "company_number", "lad_code", "closed")
#: Candidate rows passed to Splink at most (per register and run).
MAX_CANDIDATES = 400_000
#: Unplaced suppliers linked by Splink at most per run, the largest spend first: Splink's
#: cost grows with the names, the officer's interest with the pounds.
MAX_FUZZY_NAMES = 2_000
#: Supplier columns this module writes (``register_status`` is its own).
WRITTEN = ("postcode", "matched_name", "resolution_method", "resolution_source",
           "resolution_probability", "place_basis", "sic", "company_number", "vcse",
           "register_status", "suggested_name", "suggested_postcode", "suggested_probability",
           "suggested_evidence_bits")


@dataclass(frozen=True)
class BulkTable:
    """One built register table in the reference folder."""

    layout: Layout
    path: Path

    @property
    def source(self) -> str:
        """How ``resolution_source`` names it: the register and its snapshot date."""
        snapshot = self.path.stem.removeprefix(f"{self.layout.file_stem}_")
        return f"{self.layout.title} ({snapshot})"


@dataclass(frozen=True)
class BulkSettings:
    """What a run of the bulk steps needs besides the suppliers."""

    payer_lads: frozenset[str] = frozenset()  # the paying council's districts (schools)


@dataclass
class BulkSummary:
    """What the bulk registers did, for coverage.json."""

    tables: list[str] = field(default_factory=list)
    placed: dict[str, int] = field(default_factory=dict)  # "<register>: <method>" → suppliers
    ambiguous_names: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, table: BulkTable, method: str, n: int) -> None:
        if n:
            key = f"{table.layout.title}: {method}"
            self.placed[key] = self.placed.get(key, 0) + int(n)


def bulk_tables(reference: Reference | None) -> list[BulkTable]:
    """The registers built into ``reference`` (newest snapshot of each), in trust order."""
    if reference is None:
        return []
    found = ((layout, reference.find(layout.role)) for layout in LAYOUTS.values())
    return [BulkTable(layout, path) for layout, path in found if path is not None]


def read_rows(table: BulkTable, column: str, keys: pd.Series | np.ndarray) -> pd.DataFrame:
    """The register rows whose ``column`` is one of ``keys`` (text columns as ``string``):
    DuckDB scans the key column and reads the others only where it holds a key."""
    import duckdb

    wanted = pd.Series(keys, dtype="string").dropna().unique()
    if not len(wanted):
        return pd.DataFrame({c: pd.Series(dtype="string") for c in LOOKUP_COLUMNS})
    con = duckdb.connect()
    try:
        con.register("wanted", pa.table({"k": pa.array(list(wanted), pa.string())}))
        rows = con.sql(
            f"SELECT {', '.join(LOOKUP_COLUMNS)} FROM read_parquet('{_sql_path(table)}') "
            f"WHERE {column} IN (SELECT k FROM wanted)").to_arrow_table().to_pandas()
    finally:
        con.close()
    for c in LOOKUP_COLUMNS:
        if c != "closed":
            rows[c] = rows[c].astype("string")
    return rows


def _sql_path(table: BulkTable) -> str:
    return str(table.path).replace("'", "''")


# --- The exact steps ---------------------------------------------------------------------------


def match_exactly(sup: pd.DataFrame, todo: np.ndarray, named: np.ndarray,
                  tables: list[BulkTable], settings: BulkSettings) -> BulkSummary:
    """Place ``todo`` suppliers by number, then by exact name, register by register."""
    summary = BulkSummary(tables=[t.source for t in tables])
    todo = todo.copy()
    for table in tables:
        found = _by_number(sup, todo, table)
        if found is not None:
            method = "company_number" if table.layout is COMPANIES_HOUSE else "charity_number"
            _write(sup, found, table, method)
            todo[sup.index.get_indexer(found.index)] = False
            summary.add(table, "number", len(found))
    for table in tables:
        names = sup.loc[todo & named, "supplier_name_norm"]
        rows = read_rows(table, "name_norm", names)
        chosen, ambiguous = _one_per_name(rows, table.layout, settings.payer_lads)
        summary.ambiguous_names += ambiguous
        hit = names[names.isin(chosen.index)]
        found = chosen.loc[hit.to_numpy()].set_axis(hit.index)
        _write(sup, found, table, "reference_name")
        todo[sup.index.get_indexer(found.index)] = False
        summary.add(table, "name", len(found))
    return summary


def _by_number(sup: pd.DataFrame, todo: np.ndarray, table: BulkTable) -> pd.DataFrame | None:
    """Register rows of the ``todo`` suppliers' numbers (company or charity), by supplier."""
    if table.layout is COMPANIES_HOUSE:
        numbers = sup.loc[todo, "company_number"].astype("string")
    elif table.layout is CHARITIES and "charity_number" in sup:
        numbers = clean_charity_numbers(sup.loc[todo, "charity_number"])
    else:
        return None
    numbers = numbers.dropna()
    rows = read_rows(table, "id", numbers)
    rows = rows[(rows["name_kind"] == "current") & rows["postcode"].notna()]
    rows = rows.drop_duplicates("id").set_index("id")
    hit = numbers[numbers.isin(rows.index)]
    return rows.loc[hit.to_numpy()].set_axis(hit.index)


def _one_per_name(rows: pd.DataFrame, layout: Layout,
                  payer_lads: frozenset[str]) -> tuple[pd.DataFrame, int]:
    """One row per normalised name (index), and how many names were ambiguous.

    The best rows of a name are its current (not previous) names, live (not closed)
    organisations, and for schools those in the paying council's districts; a name whose
    best rows still sit at different postcodes is ambiguous and places nothing.
    """
    rows = rows[rows["postcode"].notna()]
    if rows.empty:
        return rows.set_index("name_norm"), 0
    rank = (rows["name_kind"] != "current").astype(int) * 4 + rows["closed"].notna() * 2
    if layout is SCHOOLS and payer_lads:
        rank += ~rows["lad_code"].isin(list(payer_lads)).fillna(False)
    rows = rows.assign(_rank=rank.to_numpy())
    rows = rows[rows["_rank"] == rows.groupby("name_norm")["_rank"].transform("min")]
    places = rows.groupby("name_norm")["postcode"].transform("nunique")
    ambiguous = int(rows.loc[places > 1, "name_norm"].nunique())
    rows = rows[places == 1].drop_duplicates("name_norm").set_index("name_norm")
    return rows.drop(columns="_rank"), ambiguous


def _write(sup: pd.DataFrame, found: pd.DataFrame, table: BulkTable, method: str,
           probability: np.ndarray | float = 1.0) -> None:
    """Place the suppliers ``found`` is indexed by at its rows' registered places."""
    if found.empty:
        return
    idx = found.index
    sup.loc[idx, "postcode"] = found["postcode"].to_numpy()
    sup.loc[idx, "matched_name"] = found["name"].to_numpy()
    sup.loc[idx, "resolution_method"] = method
    sup.loc[idx, "resolution_source"] = table.source
    sup.loc[idx, "resolution_probability"] = probability
    sup.loc[idx, "place_basis"] = table.layout.basis
    sup.loc[idx, "register_status"] = found["status"].to_numpy()
    sup.loc[idx, "sic"] = sup.loc[idx, "sic"].fillna(
        pd.Series(found["sic_codes"].to_numpy(), index=idx, dtype="string"))
    sup.loc[idx, "company_number"] = sup.loc[idx, "company_number"].fillna(
        pd.Series(found["company_number"].to_numpy(), index=idx, dtype="string"))
    if table.layout is CHARITIES:
        _as_charities(sup, idx)
        if method != "fuzzy" and "id" in found and "charity_number" in sup:
            # an exact hit's charity number, so the council's own record of the charity
            # (its vendor master) can be joined on it (impact.places.locate)
            sup.loc[idx, "charity_number"] = sup.loc[idx, "charity_number"].fillna(
                pd.Series(found["id"].to_numpy(), index=idx, dtype="string"))


def _as_charities(sup: pd.DataFrame, idx: pd.Index) -> None:
    """Suppliers found in the charity register are VCSE (a charitable company too); a
    public body the name rules recognised stays one."""
    sup.loc[idx, "vcse"] = "yes"
    if "supplier_class" not in sup:
        return
    cls = sup.loc[idx, "supplier_class"]
    turn = idx[cls.isin(["company", "unknown"]).fillna(True).to_numpy(bool)]
    sup.loc[turn, "supplier_class"] = "vcse"
    if "class_reason" in sup:
        sup.loc[turn, "class_reason"] = "in the Charity Commission register"


# --- The fuzzy step ----------------------------------------------------------------------------


def link_fuzzy(sup: pd.DataFrame, todo: np.ndarray, tables: list[BulkTable],
               settings: BulkSettings, summary: BulkSummary) -> None:
    """Splink links for the ``todo`` suppliers, register by register (see module doc)."""
    from impact.places.linkage import place_links

    todo = _largest(sup, todo, summary)
    for table in tables:
        names = sup.loc[todo, "supplier_name_norm"].dropna()
        if names.empty:
            return
        right, note = fuzzy_candidates(table, names)
        if note:
            summary.notes.append(f"{table.layout.title}: {note}")
        if right.empty:
            continue
        left = pd.DataFrame({"key": names.index.astype(str), "name_norm": names.to_numpy()})
        rdf = pd.DataFrame({"key": right.index.astype(str),
                            "name_norm": right["name_norm"].to_numpy(),
                            "postcode": right["postcode"].to_numpy(),
                            "entity": right["id"].to_numpy()})
        try:
            links, _ = place_links(left, rdf, k=1)
        except Exception as exc:  # an optional step must not lose the exact results
            log.warning("fuzzy linkage against %s failed: %s", table.source, exc)
            summary.notes.append(f"{table.layout.title}: fuzzy linkage failed ({exc})")
            continue
        placed = _apply_links(sup, links, right, table)
        todo[sup.index.get_indexer(placed)] = False
        summary.add(table, "fuzzy", len(placed))


def _largest(sup: pd.DataFrame, todo: np.ndarray, summary: BulkSummary) -> np.ndarray:
    """``todo`` cut to the :data:`MAX_FUZZY_NAMES` suppliers with most spend (noted)."""
    if todo.sum() <= MAX_FUZZY_NAMES:
        return todo.copy()
    spend = sup["spend"] if "spend" in sup else pd.Series(0.0, index=sup.index)
    keep = spend[todo].sort_values(ascending=False, kind="stable").index[:MAX_FUZZY_NAMES]
    summary.notes.append(f"Splink linked the {MAX_FUZZY_NAMES:,} largest of {todo.sum():,} "
                         "unplaced suppliers")
    return sup.index.isin(keep)


def _apply_links(sup: pd.DataFrame, links: pd.DataFrame, right: pd.DataFrame,
                 table: BulkTable) -> pd.Index:
    """Suggest each supplier's best link; place (as fuzzy) those :func:`impact.places.
    linkage.place_links` placed (enough evidence, clear of the next company), and return
    the suppliers placed.  A supplier with a suggestion already keeps the better: more
    evidence in bits (registers of other sizes give the same evidence other probabilities)."""
    links = links[links["rank"] == 1].drop_duplicates("left_key")
    if links.empty:
        return pd.Index([])
    idx = pd.Index(links["left_key"].astype(sup.index.dtype).to_numpy())
    rows = right.loc[links["right_key"].astype(int).to_numpy()].set_axis(idx)
    prob = pd.Series(links["match_probability"].to_numpy(), index=idx)
    bits = pd.Series(links["evidence_bits"].to_numpy(), index=idx)
    had = sup.get("suggested_evidence_bits", pd.Series(np.nan, index=sup.index))
    better = bits > had.reindex(idx).fillna(-np.inf)
    b = idx[better.to_numpy()]
    sup.loc[b, "suggested_name"] = rows.loc[b, "name"].to_numpy()
    sup.loc[b, "suggested_postcode"] = rows.loc[b, "postcode"].to_numpy()
    sup.loc[b, "suggested_probability"] = prob[b].to_numpy()
    sup.loc[b, "suggested_evidence_bits"] = bits[b].to_numpy()
    accept = idx[links["placed"].astype(bool).to_numpy()]
    _write(sup, rows.loc[accept], table, "fuzzy", prob[accept].to_numpy())
    return accept


def fuzzy_candidates(table: BulkTable, names: pd.Series,
                     limit: int = MAX_CANDIDATES) -> tuple[pd.DataFrame, str]:
    """Register rows (with a postcode) sharing a name's first word, or its first two words
    when the first gives more than ``limit`` rows; at most ``limit`` rows either way, and a
    note when blocking was tightened or cut.  One scan of the table (a hash semi-join on
    the sorted ``block`` column), then the tighter rule on what it found."""
    import duckdb

    words = names.astype("string").str.split(" ", n=2, expand=True).reindex(columns=[0, 1])
    keys = pa.table({"w1": pa.array(words[0].fillna("").tolist(), pa.string()),
                     "w2": pa.array(words[1].fillna("").tolist(), pa.string())})
    con = duckdb.connect()
    try:
        con.register("keys", keys)
        con.execute(
            f"CREATE TEMP TABLE c AS SELECT {', '.join(LOOKUP_COLUMNS)}, block, "
            f"coalesce(split_part(name_norm, ' ', 2), '') AS w2 "
            f"FROM read_parquet('{_sql_path(table)}') "
            f"WHERE postcode IS NOT NULL AND block IN (SELECT w1 FROM keys)")
        n = con.execute("SELECT count(*) FROM c").fetchall()[0][0]
        rule, query = "first word", "SELECT * FROM c"
        if n > limit:
            rule = "first two words"
            query = "SELECT c.* FROM c SEMI JOIN keys k ON c.block = k.w1 AND c.w2 = k.w2"
            n = con.execute(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
        rows = con.sql(f"{query} LIMIT {limit}").to_arrow_table().to_pandas()
    finally:
        con.close()
    note = "" if rule == "first word" else f"blocking tightened to the {rule} ({n:,} rows)"
    if n > limit:
        note += f"; only the first {limit:,} candidate rows compared"
    return rows[list(LOOKUP_COLUMNS)].reset_index(drop=True), note.lstrip("; ")
