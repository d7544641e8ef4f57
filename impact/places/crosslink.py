"""Cross-council payee linkage: one supplier under its many spellings, on DuckDB or Spark.

"ACME BUILDING LTD" at one council is "Acme Building Limited" at another and "ACME BUILDNG"
at a third.  National questions (how much do councils pay one firm? how concentrated is a
market?) need one id for all three.  This links the distinct normalised payee names of many
councils with Splink (dedupe across all of them at once) and gives every council × payee
name a cross-council ``supplier_id``, a match probability and the method that set it.

The model is :mod:`impact.places.linkage`'s, not a copy: the same derived name columns
(``_prepare``), comparison levels (:func:`impact.places.linkage.name_levels`, written in
each engine's SQL), blocking-rule variants under a pair budget, and its documented fixed
m and u.  The model is built once on DuckDB and its m and u given to whichever engine
scores the pairs, so DuckDB (one machine) and Spark (a cluster, or local[2] in tests) score
every pair with one model.  They can still differ in the last
decimal of a score computed another way, which is why agreement is measured, not assumed
(:func:`pair_agreement`); Jaro(-Winkler), the one function whose implementations differ,
is DuckDB's on both (:func:`register_similarity`).

Names join one supplier by the register linkage's rule, not a probability: the names' own
evidence (the match weight without the prior, which falls as the run holds more names) at
least :data:`impact.places.linkage.PLACE_BITS`, clear of any other candidate by
:data:`impact.places.linkage.AMBIGUITY_BITS` unless that candidate is itself linked to the
same name (:func:`kept_links`).  So whether two names are one supplier does not depend on
how many names are in the run.  Every such link is a candidate (``method == "splink"``),
shown with its evidence and probability; an identical normalised name at several councils
is ``"exact name"``.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from impact.places.linkage import (
    AMBIGUITY_BITS,
    BLOCKING_RULES,
    PLACE_BITS,
    _comparisons,
    _group_members,
    _parameter_records,
    _prepare,
    _set_fixed,
    _splink_quiet,
    add_token_weights,
    apply_parameters,
    prior_bits,
    register_similarity,
    stands_clear,
)

ENGINES = ("duckdb", "spark")
#: Candidate pairs allowed; blocking rules are tightened or skipped to stay under it.
MAX_PAIRS = 2e7
OUTPUT_COLUMNS = ("council", "payee_name", "name_norm", "supplier_id", "match_probability",
                  "evidence_bits", "method", "names_in_cluster", "councils_in_cluster",
                  "company_number", "register_name")
_TABLE = "payee_names"


@dataclass
class CrossLink:
    """The result of :func:`link_payees`.

    ``links``: one row per council × payee name (:data:`OUTPUT_COLUMNS`); ``pairs``: the
    name pairs scored within :data:`AMBIGUITY_BITS` of the threshold (``key_l``,
    ``key_r``, ``match_probability``, ``match_weight``, ``evidence_bits``, ``clear`` and
    ``linked``: at the threshold and clear, what clusters are made of);
    ``pairs_compared``: distinct candidate pairs the blocking rules generate (the same on
    both engines); ``score_seconds``: scoring on the engine and clustering (what pairs/s
    is measured on); ``parameters``: m, u per level.
    """

    links: pd.DataFrame
    pairs: pd.DataFrame
    clusters: pd.DataFrame
    engine: str
    pairs_compared: int
    score_seconds: float
    rules: list[tuple[str, ...]] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def pairs_per_second(self) -> float:
        return self.pairs_compared / self.score_seconds if self.score_seconds > 0 else 0.0


def link_payees(payees: pd.DataFrame, engine: str = "duckdb", threshold: float = PLACE_BITS,
                max_pairs: float = MAX_PAIRS, register: pd.DataFrame | None = None
                ) -> CrossLink:
    """Link ``payees`` (``council``, ``payee_name``, ``name_norm``) across councils, and to
    ``register`` rows (``supplier_name``, ``supplier_name_norm``, ``company_number``: a
    company register read by :func:`impact.places.registers.read_register`) when given.
    ``threshold``: the names' evidence in bits at which two names may join (default the
    register linkage's :data:`impact.places.linkage.PLACE_BITS`).

    A cluster holding register names of two different companies gets no company number
    (it is not one company).  Raises ValueError for an unknown engine or missing columns.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    missing = {"council", "payee_name", "name_norm"} - set(payees.columns)
    if missing:
        raise ValueError(f"payees lack column(s) {sorted(missing)}")
    reg = _register_names(register)
    names = distinct_names(pd.concat([payees[["name_norm"]], reg[["name_norm"]]]))
    notes: list[str] = []
    con = duckdb.connect()
    try:
        n, _, _ = _prepare(con, names, _TABLE)
        add_token_weights(con, (_TABLE,))
        rules = _dedupe_rules(con, max_pairs, notes)
        compared = _distinct_pairs(con, rules)
        model = _fit(con, n, rules, notes)
        t0 = time.perf_counter()
        floor = threshold - AMBIGUITY_BITS + prior_bits(model.prior)
        scored = (_score_duckdb(model, floor) if engine == "duckdb" else
                  _score_spark(con, model, floor))
        pairs = kept_links(scored, model.prior, threshold,
                           names.set_index("key")["name_norm"])
        clusters = connected(names["key"], pairs[pairs["linked"]])
        seconds = time.perf_counter() - t0
    finally:
        con.close()
    links = _output(payees, names, clusters, pairs, reg)
    return CrossLink(links, pairs, clusters, engine, compared, seconds, rules,
                     model.parameters, notes)


def distinct_names(payees: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct normalised name (blank names left out), keyed in name order."""
    norm = payees["name_norm"].astype("string").str.strip()
    names = sorted(norm[norm.notna() & (norm != "")].unique())
    return pd.DataFrame({"key": [f"N{i:08d}" for i in range(len(names))],
                         "name_norm": pd.array(names, dtype="string")})


# ------------------------------------------------------------------------------ blocking


def _dedupe_pairs(con: duckdb.DuckDBPyConnection, keys: tuple[str, ...]) -> int:
    """Pairs within the one table that agree on every key (each pair once)."""
    k = ", ".join(keys)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in keys)
    sql = (f"SELECT COALESCE(SUM(n * (n - 1) // 2), 0) FROM (SELECT {k}, COUNT(*)::HUGEINT n "
           f"FROM {_TABLE} WHERE {not_null} GROUP BY ALL)")
    return int(con.execute(sql).fetchall()[0][0])


def _dedupe_rules(con: duckdb.DuckDBPyConnection, max_pairs: float, notes: list[str]
                  ) -> list[tuple[str, ...]]:
    """Per linkage rule (postcode rules aside: payee names carry none), the loosest variant
    whose pairs fit the budget left; rules that fit no variant are skipped with a note."""
    chosen, budget = [], float(max_pairs)
    for spec in BLOCKING_RULES:
        if spec.needs_postcode:
            continue
        for keys in spec.variants:
            n = _dedupe_pairs(con, keys)
            if n <= budget:
                chosen.append(keys)
                budget -= n
                break
        else:
            notes.append(f"blocking rule {spec.name} skipped: over the pair budget")
    return chosen


def _distinct_pairs(con: duckdb.DuckDBPyConnection, rules: list[tuple[str, ...]]) -> int:
    """Distinct candidate pairs all rules generate together (what the engine scores)."""
    if not rules:
        return 0
    parts = [f"SELECT l.unique_id AS a, r.unique_id AS b FROM {_TABLE} l JOIN {_TABLE} r ON "
             + " AND ".join(f"l.{c} = r.{c}" for c in keys) + " AND l.unique_id < r.unique_id"
             for keys in rules]
    return int(con.execute(f"SELECT COUNT(*) FROM ({' UNION '.join(parts)})").fetchall()[0][0])


# --------------------------------------------------------------------------------- model


@dataclass
class _Model:
    """The model as fitted on DuckDB: settings' parts and the m/u every engine uses."""

    linker: Any
    rules: list[tuple[str, ...]]
    prior: float
    parameters: list[dict[str, Any]]


def _settings(dialect: str, rules: list[tuple[str, ...]], prior: float) -> Any:
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="unique_id",
        comparisons=_comparisons(False, dialect),
        blocking_rules_to_generate_predictions=[block_on(*keys) for keys in rules],
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False, retain_matching_columns=False)


def _fit(con: duckdb.DuckDBPyConnection, n: int, rules: list[tuple[str, ...]],
         notes: list[str]) -> _Model:
    """The model with linkage's documented fixed m and u (:data:`impact.places.linkage.
    FIXED_M`, ``FIXED_U``: u sampled from 10⁶ real spend-name × register pairs).

    u is not re-estimated here: among the distinct names of a few councils random pairs
    cover nearly every pair, true spelling variants included, so sampled u would absorb the
    very matches it should tell apart.  The prior: each name has about one other spelling.
    """
    from splink import DuckDBAPI, Linker

    prior = min(1.0 / max(n - 1, 1), 0.5)
    sdf = DuckDBAPI(connection=con).register(_TABLE, table_name="splink_in_names")
    with _splink_quiet():
        linker = Linker(sdf, _settings("duckdb", rules, prior), log_level=None)
        _set_fixed(linker, "m")
        _set_fixed(linker, "u")
    notes.append(f"{n:,} distinct names; prior {prior:.3g}; fixed m and u (linkage's)")
    return _Model(linker, rules, prior, _parameter_records(linker))


def _score_duckdb(model: _Model, floor: float) -> pd.DataFrame:
    with _splink_quiet():
        return _predict(model.linker, floor)


def _score_spark(con: duckdb.DuckDBPyConnection, model: _Model, floor: float) -> pd.DataFrame:
    """The prepared names as a Spark table, scored with the fitted model."""
    from splink import Linker, SparkAPI

    from impact.core.spark import quiet, spark_session

    spark = spark_session()
    with quiet():
        register_similarity(spark)
        frame = spark.createDataFrame(con.sql(f"SELECT * FROM {_TABLE}").to_arrow_table())
    api = SparkAPI(spark_session=spark)
    with _splink_quiet(), quiet():
        # Spark keeps temporary views for the session's life: one name per run.
        linker = Linker(api.register(frame, table_name=f"splink_in_{uuid.uuid4().hex[:10]}"),
                        _settings("spark", model.rules, model.prior), log_level=None)
        apply_parameters(linker, model.parameters)
        return _predict(linker, floor)


def _predict(linker: Any, floor: float) -> pd.DataFrame:
    """Pairs whose match weight is above ``floor`` (``key_l`` < ``key_r``)."""
    pred = linker.inference.predict(threshold_match_weight=floor, warning_mode="never")
    pairs = pred.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability",
                                        "match_weight"]]
    pairs.columns = ["key_l", "key_r", "match_probability", "match_weight"]
    pairs = pairs.astype({"key_l": str, "key_r": str})
    swap = pairs["key_l"] > pairs["key_r"]
    pairs.loc[swap, ["key_l", "key_r"]] = pairs.loc[swap, ["key_r", "key_l"]].to_numpy()
    return pairs.sort_values(["key_l", "key_r"]).reset_index(drop=True)


def kept_links(pairs: pd.DataFrame, prior: float, threshold: float = PLACE_BITS,
               names: pd.Series | None = None) -> pd.DataFrame:
    """``pairs`` (``key_l``, ``key_r``, ``match_weight``, …) with ``evidence_bits``,
    ``clear`` and ``linked``: the register linkage's rule read for a dedupe.

    A pair links when its evidence reaches ``threshold`` bits and it stands clear
    (:func:`impact.places.linkage.stands_clear`) of every other candidate of either name —
    except candidates that are themselves at the threshold with the other name: a third
    spelling of the same supplier is no rival.  "SMITH BUILDERS" with "SMITH BUILDER" and
    "SMITHS BUILDERS" close behind, those two not one by their own evidence, links to
    neither: a suggestion, never a supplier.  With ``names`` (key → normalised name), two
    names that differ by group words only ("X" and "X HOLDINGS") never link, as in
    :func:`impact.places.linkage.place_links`.
    """
    p = pairs.assign(evidence_bits=pairs["match_weight"] - prior_bits(prior)).reset_index(
        drop=True)
    strong = p["evidence_bits"] >= threshold
    if names is not None and len(p):
        strong &= ~_group_members(p["key_l"].map(names), p["key_r"].map(names))
    both = pd.concat([p.assign(x=p["key_l"], y=p["key_r"]),
                      p.assign(x=p["key_r"], y=p["key_l"])])[["x", "y", "match_weight"]]
    both["pair"] = np.tile(np.arange(len(p)), 2)
    rivals = both[np.tile(strong.to_numpy(), 2)].merge(both, on="x", suffixes=("", "_c"))
    rivals = rivals[(rivals["y_c"] != rivals["y"])
                    & ~stands_clear(rivals["match_weight"], rivals["match_weight_c"])]
    one = set(zip(p.loc[strong, "key_l"], p.loc[strong, "key_r"], strict=True))
    lo, hi = np.minimum(rivals["y"], rivals["y_c"]), np.maximum(rivals["y"], rivals["y_c"])
    same = [(a, b) in one for a, b in zip(lo, hi, strict=True)]
    close = set(rivals.loc[~np.asarray(same, dtype=bool), "pair"])
    clear = ~p.index.isin(list(close))
    return p.assign(clear=clear, linked=strong.to_numpy() & clear)


def connected(keys: pd.Series, links: pd.DataFrame) -> pd.DataFrame:
    """Every key with its cluster (``key``, ``cluster_id``: the cluster's least key): the
    connected components of ``links`` (``key_l``, ``key_r``), one engine-free step so
    DuckDB and Spark cluster the same links the same way."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    k = pd.Index(keys.astype(str).unique())
    a, b = k.get_indexer(links["key_l"]), k.get_indexer(links["key_r"])
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(k), len(k)))
    _, label = connected_components(graph, directed=False)
    first = pd.Series(k, dtype=str).groupby(label).transform("min")
    return pd.DataFrame({"key": k.astype(str), "cluster_id": first.to_numpy()})


# -------------------------------------------------------------------------------- output


def _register_names(register: pd.DataFrame | None) -> pd.DataFrame:
    """One row per normalised register name: ``name_norm``, ``company_number``,
    ``register_name`` (empty without a register)."""
    cols = ["name_norm", "company_number", "register_name"]
    if register is None or register.empty:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in cols})
    r = pd.DataFrame({"name_norm": register["supplier_name_norm"].astype("string").str.strip(),
                      "company_number": register["company_number"].astype("string"),
                      "register_name": register["supplier_name"].astype("string")})
    r = r[r["name_norm"].notna() & (r["name_norm"] != "")]
    return r.sort_values(["name_norm", "company_number"]).drop_duplicates("name_norm")


def _cluster_companies(per_name: pd.DataFrame, reg: pd.DataFrame) -> pd.DataFrame:
    """Per supplier id: the company number and name of its register entry (none when the
    cluster holds two companies' names)."""
    r = per_name.merge(reg, on="name_norm")
    r = r[r["company_number"].notna() & (r["company_number"] != "")]
    firms = r.sort_values("name_norm").groupby("supplier_id").agg(
        company_number=("company_number", "first"), register_name=("register_name", "first"),
        companies=("company_number", "nunique"))
    one = firms["companies"] == 1
    return firms.loc[one, ["company_number", "register_name"]].reset_index()


def _output(payees: pd.DataFrame, names: pd.DataFrame, clusters: pd.DataFrame,
            pairs: pd.DataFrame, reg: pd.DataFrame) -> pd.DataFrame:
    """Per council × payee name: cross-council id, its best link's probability and evidence,
    method, cluster size, and the company register entry the cluster holds."""
    per_name = _name_clusters(names, clusters, pairs[pairs["linked"]])
    rows = payees[["council", "payee_name", "name_norm"]].astype("string").drop_duplicates()
    rows = rows.assign(name_norm=rows["name_norm"].str.strip())
    out = rows.merge(per_name, on="name_norm", how="left").merge(
        _cluster_companies(per_name, reg), on="supplier_id", how="left")
    councils = out.groupby("supplier_id")["council"].nunique()
    out["councils_in_cluster"] = out["supplier_id"].map(councils).astype("Int64")
    shared = (out.groupby("name_norm")["council"].transform("nunique") > 1) | out[
        "name_norm"].isin(set(reg["name_norm"]))
    out["method"] = "single"
    out.loc[shared.to_numpy(), "method"] = "exact name"
    out.loc[(out["names_in_cluster"] > 1).fillna(False).to_numpy(), "method"] = "splink"
    out.loc[out["supplier_id"].isna().to_numpy(), "method"] = "no name"
    out.loc[out["method"].eq("exact name").to_numpy(), "match_probability"] = 1.0
    out = out.sort_values(["supplier_id", "council", "payee_name"], na_position="last")
    return out[list(OUTPUT_COLUMNS)].reset_index(drop=True)


def _name_clusters(names: pd.DataFrame, clusters: pd.DataFrame, pairs: pd.DataFrame
                   ) -> pd.DataFrame:
    """Per distinct name: a stable supplier id (from the cluster's first name), the size of
    its cluster and its best link's probability and evidence in bits (NaN for a name on
    its own)."""
    d = names.merge(clusters, on="key", how="left")
    d["cluster_id"] = d["cluster_id"].fillna(d["key"])
    first = d.groupby("cluster_id")["name_norm"].transform("min")
    d["supplier_id"] = first.map(lambda n: "S" + hashlib.sha1(str(n).encode()).hexdigest()[:12])
    d["names_in_cluster"] = d.groupby("cluster_id")["key"].transform("size").astype("Int64")
    both = pd.concat([pairs.rename(columns={"key_l": "key"}),
                      pairs.rename(columns={"key_r": "key", "key_l": "key_r"})])
    best = both.groupby("key")[["match_probability", "evidence_bits"]].max()
    for col in ("match_probability", "evidence_bits"):
        d[col] = d["key"].map(best[col]).astype("float64")
    return d[["name_norm", "supplier_id", "match_probability", "evidence_bits",
              "names_in_cluster"]]


def pair_agreement(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Share of co-clustered name pairs two clusterings agree on: |both| / |either|.

    ``a`` and ``b`` are ``(key, cluster_id)`` frames (:attr:`CrossLink.clusters`).  1.0
    when neither links anything.
    """
    def linked(c: pd.DataFrame) -> set[tuple[str, str]]:
        m = c.merge(c, on="cluster_id")
        m = m[m["key_x"] < m["key_y"]]
        return set(zip(m["key_x"], m["key_y"], strict=True))

    pa, pb = linked(a), linked(b)
    union = pa | pb
    return len(pa & pb) / len(union) if union else 1.0
