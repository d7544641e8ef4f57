"""Probabilistic supplier-name linkage with Splink on its embedded DuckDB backend.

Spend files name suppliers inconsistently and carry no addresses, so unresolved
supplier names are linked to a register (Companies House, the shared reference
registers) by a Fellegi–Sunter model in Splink.  Splink is used rather than a
hand-rolled fuzzy matcher because its model is explicit (m/u probabilities per
comparison level, a prior, match weights that can be shown to the analyst) and the
same settings run unchanged on Spark when a national register outgrows one machine.

Exact keys (supplier id, company number, exact normalised name, postcode) are the
caller's job and come first; this module is only for what is left.  Every link it
returns is a **candidate**: ``method == "splink"`` and ``fuzzy`` is always ``True``,
so the app shows it with its probability, weight and runner-up, and never trusts it
silently.  ``threshold`` defaults high (0.9) for that reason.

Model, in brief (see :class:`LinkDiagnostics` for what a run reports):

* derived columns are computed in DuckDB SQL (vectorised, no Python row loops):
  ``name_tokens_sorted`` (distinct tokens, sorted: a token-set view of the name),
  first/last token, 4-character prefix, sorted-token prefixes and the postcode
  outward code;
* blocking rules bound the pairs: first token; 4-char prefix + last token;
  sorted-token prefix; postcode outward code + initial (only when both sides carry
  postcodes).  Pair counts are computed exactly (group-by join) before predicting and
  a rule is tightened, or skipped and reported, when it would exceed ``max_pairs``;
* comparisons: one ``name_norm`` comparison whose ordered levels mix string
  measures (exact, Levenshtein ≤ 1, Jaro–Winkler ≥ 0.95 / 0.90, Jaro ≥ 0.80) and
  word-set measures on ``name_tokens_sorted`` (same words, word Jaccard ≥ 0.6, all words
  of one in the other).  One comparison, not two, because string and word measures
  are strongly correlated and Fellegi–Sunter would add their weights twice.  When both
  sides carry postcodes, a second comparison on outward code / area;
* the prior ``probability_two_random_records_match`` is ``expected_match_rate /
  len(right)``: each left name has at most one true register entry;
* u is estimated by seeded random sampling (corrected for the true matches random
  pairs contain, floored at the sampling resolution, Bayes factors kept monotone down
  the levels).  m is a documented fixed vector unless postcodes make EM identifiable,
  then EM blocked on the first name token.  Tiny inputs use fixed m and u; the
  diagnostics say which was used and why.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

_log = logging.getLogger(__name__)

OUTPUT_COLUMNS: list[str] = [
    "left_key",
    "right_key",
    "match_probability",
    "match_weight",
    "method",
    "fuzzy",
    "name_left",
    "name_right",
    "runner_up_probability",
]

#: Seed for Splink's u-estimation sampling, so two runs give identical results.
U_SEED = 42
#: Below these sizes random-sampling u estimates are noise (and include true matches).
MIN_RECORDS_FOR_U = 200
MIN_CARTESIAN_FOR_U = 100_000
#: EM needs enough blocked pairs, spread over the levels, to be identifiable.
MIN_PAIRS_FOR_EM = 2_000
#: Candidate pairs below this probability are not kept when looking for runner-ups.
RUNNER_UP_FLOOR = 0.01
#: Blocked pairs scored at once on DuckDB: 2×10⁷ is about 2 GB of scored pairs here.
PREDICT_CHUNK_PAIRS = 2e7

# Parameters per non-null level in level order (see :func:`name_levels`).
# m (the share of true matches at each level) is measured on labelled true pairs: the
# tuning half of North West Open Data's payee → company matches (four Greater Manchester
# councils, 2019; :mod:`impact.places.linkage_eval`), each pair at its best level, counts
# + 0.5 (so a level never seen keeps a small m), rounded.  ``tests/test_linkage_eval.py``
# measures them again and fails if they drift.  The last level ("else") holds true pairs
# a name cannot tell (a care home paid under its operator's company).  u (the share of
# random non-matching pairs) is estimated by seeded random sampling when the input is big
# enough; these fixed u values (tiny inputs, and cross-council linkage, whose random pairs
# would hold its own spelling variants) are rounded from sampling 10⁷ pairs of that
# evaluation's payee names × its register (13.8k names).
FIXED_M: dict[str, list[float]] = {
    "name_norm": [0.9274, 0.0055, 0.0014, 0.002, 0.0032, 0.0009,
                  0.0037, 0.0135, 0.0009, 0.0032, 0.0383],
    "postcode_outward": [0.60, 0.15, 0.25],
}
FIXED_U: dict[str, list[float]] = {
    "name_norm": [2e-5, 1.2e-7, 1.5e-7, 7e-7, 1.1e-6, 3e-7, 1.3e-6, 9e-6, 6e-7, 5.7e-5,
                  0.99991],
    "postcode_outward": [4e-4, 1e-2, 0.99],
}
#: A model link places a supplier when the names' evidence (Bayes factor, in bits; the
#: prior left out because it moves with the register's size) reaches this; below it, links
#: are the officer's ranked suggestions.  Chosen on the tuning half of the labelled pairs
#: (:func:`impact.places.linkage_eval.choose_threshold`): the least evidence at which the
#: spelling variants' placements there are right at least 98 times in 100.  The tests
#: choose it again and fail if it moved.
PLACE_BITS = 11.4
#: Candidates this improbable are no suggestion (below it: names that share no evidence).
SUGGESTION_FLOOR = 1e-5
#: A best link places only when its match weight is this many bits (a factor of 4) above
#: the best candidate of any other entity: a close runner-up makes it a suggestion.
AMBIGUITY_BITS = 2.0
#: Pair budget per left name at national size: against the 5 × 10⁶-row synthetic register
#: (10⁴ payees, bench_national_linkage) the rules chosen within 300 pairs a payee kept 97.3 %
#: of the true pairs, loose blocking 98.5 % with 24 times the pairs; within 100, 94.6 %.
PAIRS_PER_NAME = 300
#: Random pairs sampled for u (resolution about 1 / this) ...
U_MAX_PAIRS = 2e6
#: ... or this many per register row when more: a level no sampled pair reaches gets u =
#: 1 / pairs sampled, so the evidence of the near-exact levels is m × pairs sampled.  With
#: 2 × 10⁶ pairs that is ~11.5 bits for a one-letter typo, on the edge of
#: :data:`PLACE_BITS`, and against a 5 × 10⁶-row register sampling noise in the lower
#: levels pushed it under (nothing placed beyond the exact names; bench_national_linkage).
#: More pairs estimate the levels they reach better; a level none reaches keeps the floor
#: 1 / :data:`U_MAX_PAIRS` (:func:`_tidy_u`), the scale :data:`PLACE_BITS` was chosen on.
U_PAIRS_PER_ROW = 2.0

_LEFT = "names_left"
_RIGHT = "names_right"


@dataclass(frozen=True)
class BlockingRuleSpec:
    """An equality blocking rule over derived key columns, with tighter fall-backs."""

    name: str
    variants: tuple[tuple[str, ...], ...]
    needs_postcode: bool = False


BLOCKING_RULES: tuple[BlockingRuleSpec, ...] = (
    BlockingRuleSpec(
        "first_token",
        (("name_first_token",), ("name_first_token", "name_second_initial")),
    ),
    BlockingRuleSpec(
        "prefix4_last_token",
        (("name_prefix4", "name_last_token"), ("name_prefix4", "name_last_token", "name_len_band")),
    ),
    BlockingRuleSpec(
        "sorted_token_prefix",
        # A typo in the first word leaves the first letter and a later word that sorts first
        # ("CARE", "BUILDING") intact; against a national register the prefix alone is
        # shared by 10⁵ names, so the tighter variants keep the initial too.
        (("name_sorted_prefix6",), ("name_sorted_prefix6", "name_initial"),
         ("name_sorted_prefix10", "name_initial")),
    ),
    BlockingRuleSpec(
        "letters_prefix",  # "A C VENTILATION" / "AC VENTILATION": the letters without spaces
        (("name_compact_prefix6",), ("name_compact_prefix10",)),
    ),
    BlockingRuleSpec(
        "rarest_word",  # the word that says most about a name ("KIDZRUS", "CROWNFAST")
        (("name_rare_token",), ("name_rare_token", "name_initial")),
    ),
    BlockingRuleSpec(
        "postcode_outward_initial",
        (("postcode_outward", "name_initial"), ("postcode_outward", "name_prefix4")),
        needs_postcode=True,
    ),
)


@dataclass
class LinkDiagnostics:
    """What a linkage run did, for the app to show next to the links.

    Attributes
    ----------
    splink_version : Splink version used.
    threshold : match-probability threshold applied to best links.
    n_left, n_right : input rows.
    n_left_blank_name, n_right_blank_name : rows with no usable name (never linked).
    n_linked : left rows with a best link at or above ``threshold``.
    n_ambiguous : of those, links whose runner-up is within 0.1 of the best.
    blocking_rules : rules used, as SQL-ish text, with their exact pre-dedupe pair count.
    skipped_rules : rules dropped, with the reason (budget, no postcodes).
    pairs_compared : distinct pairs Splink scored.
    max_pairs : pair budget.
    prior : ``probability_two_random_records_match``.
    u_source, m_source : ``"random_sampling"``/``"em"`` or ``"fixed"``; why, in ``notes``.
    parameters : one record per comparison level: comparison, level label, m, u,
        Bayes factor and match weight (log2 BF) — the match-weight chart data.
    run_seconds : wall time of the whole call.
    stage_seconds : wall time of each stage (preparing, weights, blocking, fitting,
        counting, scoring, best links), also logged as it ends, so a national run that
        takes an hour says where it is.
    notes : human-readable remarks (fall-backs taken, warnings).
    """

    splink_version: str = ""
    threshold: float = 0.9
    n_left: int = 0
    n_right: int = 0
    n_left_blank_name: int = 0
    n_right_blank_name: int = 0
    n_linked: int = 0
    n_ambiguous: int = 0
    blocking_rules: list[dict[str, Any]] = field(default_factory=list)
    skipped_rules: list[dict[str, Any]] = field(default_factory=list)
    pairs_compared: int = 0
    max_pairs: float = 5e6
    prior: float = float("nan")
    u_source: str = "fixed"
    m_source: str = "fixed"
    parameters: list[dict[str, Any]] = field(default_factory=list)
    run_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage into :attr:`stage_seconds` and log it when it ends."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds[name] = time.perf_counter() - t0
            _log.info("linkage %s: %.1f s (%s × %s names)", name, self.stage_seconds[name],
                      f"{self.n_left:,}", f"{self.n_right:,}")

    def parameters_frame(self) -> pd.DataFrame:
        """The m/u/weight table as a DataFrame (empty with columns when not run)."""
        cols = [
            "comparison",
            "level",
            "m_probability",
            "u_probability",
            "bayes_factor",
            "match_weight",
        ]
        return pd.DataFrame(self.parameters, columns=cols)


def link_names(
    left: pd.DataFrame,
    right: pd.DataFrame,
    threshold: float = 0.9,
    max_pairs: float = 5e6,
    *,
    expected_match_rate: float = 0.5,
) -> pd.DataFrame:
    """Best register link per left name at or above ``threshold`` (candidates, never trusted).

    See :func:`link_names_with_diagnostics` for arguments; this drops the diagnostics.
    """
    links, _ = link_names_with_diagnostics(
        left,
        right,
        threshold=threshold,
        max_pairs=max_pairs,
        expected_match_rate=expected_match_rate,
    )
    return links


def link_names_with_diagnostics(
    left: pd.DataFrame,
    right: pd.DataFrame,
    threshold: float = 0.9,
    max_pairs: float = 5e6,
    *,
    expected_match_rate: float = 0.5,
) -> tuple[pd.DataFrame, LinkDiagnostics]:
    """Link ``left`` names to ``right`` register rows with Splink; return links and diagnostics.

    Parameters
    ----------
    left : unresolved suppliers: ``key`` (unique), ``name_norm`` (normalised upper-case
        name, legal form stripped), optional ``postcode``, ``company_number`` (unused
        here: exact keys are matched upstream).
    right : register rows, same columns.
    threshold : minimum match probability of a returned best link.
    max_pairs : budget of candidate pairs; blocking rules are tightened or skipped to
        stay under it (reported in the diagnostics).
    expected_match_rate : share of left names assumed present in ``right``; sets the
        prior ``expected_match_rate / len(right)``.

    Returns
    -------
    links : one row per left key with a best link ≥ ``threshold``, columns
        :data:`OUTPUT_COLUMNS`, sorted by ``match_probability`` descending.
        ``runner_up_probability`` is the second-best candidate's probability (any
        other register row, NaN if none scored ≥ 0.01): a high value means ambiguity.
    diagnostics : :class:`LinkDiagnostics`.
    """
    links, diag = _run(left, right, threshold, max_pairs, expected_match_rate, top_k=1)
    links = links.drop(columns="rank")
    diag.n_ambiguous = int(
        (links["match_probability"] - links["runner_up_probability"] < 0.1).sum()
    )
    return links, diag


def rank_candidates(
    left: pd.DataFrame,
    right: pd.DataFrame,
    k: int = 3,
    threshold: float = RUNNER_UP_FLOOR,
    max_pairs: float = 5e6,
    *,
    expected_match_rate: float = 0.5,
    fixed_m: bool = False,
    engine: str = "duckdb",
) -> tuple[pd.DataFrame, LinkDiagnostics]:
    """The ``k`` best register candidates of each left name whose best is at or above
    ``threshold``: the officer's ranked suggestions (column ``rank``, 1 = best; the other
    columns as :func:`link_names_with_diagnostics`).  ``fixed_m``: the calibrated model
    as it stands — the measured m (:data:`FIXED_M`) and the evaluation's u
    (:data:`FIXED_U`), neither sampled nor fitted — so the evidence stays on the scale
    :data:`PLACE_BITS` was chosen on whatever the inputs.  ``engine`` ``"spark"`` scores
    the blocked pairs on Spark (:func:`impact.core.spark.spark_session`) with the model
    fitted on DuckDB: the same levels, m and u, so the same links."""
    if k < 1:
        raise ValueError(f"k must be at least 1; got {k!r}")
    return _run(left, right, threshold, max_pairs, expected_match_rate, top_k=k,
                fixed_m=fixed_m, engine=engine)


def place_links(
    left: pd.DataFrame,
    right: pd.DataFrame,
    k: int = 3,
    threshold: float = PLACE_BITS,
    *,
    expected_match_rate: float = 0.5,
    fixed_m: bool = False,
    max_pairs: float = 5e6,
    engine: str = "duckdb",
) -> tuple[pd.DataFrame, LinkDiagnostics]:
    """Ranked suggestions for each left name, and which of them place the supplier.

    ``left``: ``key``, ``name_norm`` and optionally ``name_alt`` (another reading of the
    same payee that may place it: "X" of "X T/A Y" when X has no legal form) and
    ``name_hint`` (a reading whose links are suggestions only: "Y" of "X LTD T/A Y", the
    registered company being X); the best reading's link counts.  ``right``: ``key``,
    ``name_norm`` and optionally ``entity`` (e.g. the company number: several rows of one
    entity are one candidate, so a company's current and previous names never make each
    other ambiguous).  With ``postcode`` on both sides the postcode comparison joins the
    names' (:func:`_comparisons`): the same district is evidence, a blank is none.

    Returns one row per left key × candidate entity, best first, at most ``k``:
    ``left_key``, ``right_key``, ``rank``, ``match_probability``, ``match_weight``,
    ``evidence_bits`` (the names' own evidence: the match weight without the prior, which
    moves with the register's size), ``clear`` (the best stands :data:`AMBIGUITY_BITS`
    clear of the next entity) and ``placed`` (rank 1, clear, evidence ≥ ``threshold``
    bits, a placing reading).  The ambiguity rule: a best link whose runner-up is close is
    a suggestion, never a place.
    """
    lf = _readings(left)
    pc = ["postcode"] if "postcode" in left and "postcode" in right else []
    if pc:  # each reading at its row's postcode: agreement is evidence (_comparisons)
        lf["postcode"] = lf["orig"].map(left.set_index(left["key"].astype(str))["postcode"])
    rf = right[["key", "name_norm", *pc]]
    ranked, diag = rank_candidates(lf[["key", "name_norm", *pc]], rf, k=3 * k,
                                   threshold=SUGGESTION_FLOOR, max_pairs=max_pairs,
                                   expected_match_rate=expected_match_rate, fixed_m=fixed_m,
                                   engine=engine)
    reading = lf.set_index("key").reindex(ranked["left_key"])
    ranked["left_key"] = reading["orig"].to_numpy()
    ranked["may_place"] = reading["may_place"].to_numpy()
    entity = (right.set_index(right["key"].astype(str))["entity"].astype("string")
              if "entity" in right else pd.Series(dtype="string"))
    ent = pd.Series(entity.reindex(ranked["right_key"]).to_numpy(), index=ranked.index,
                    dtype="string")
    ranked["entity"] = ent.fillna("row:" + ranked["right_key"].astype(str))
    ranked = ranked.sort_values(["left_key", "match_weight", "right_key"],
                                ascending=[True, False, True], kind="stable")
    ranked = ranked.drop_duplicates(["left_key", "entity"])
    ranked["rank"] = ranked.groupby("left_key").cumcount() + 1
    nxt = ranked.groupby("left_key")["match_weight"].shift(-1)
    ranked["clear"] = stands_clear(ranked["match_weight"], nxt)
    ranked["evidence_bits"] = ranked["match_weight"] - prior_bits(diag.prior)
    ranked["may_place"] &= ~_group_members(ranked["name_left"], ranked["name_right"])
    ranked["placed"] = ((ranked["rank"] == 1) & ranked["clear"] & ranked["may_place"]
                        & (ranked["evidence_bits"] >= threshold))
    cols = ["left_key", "right_key", "rank", "match_probability", "match_weight",
            "evidence_bits", "clear", "may_place", "placed"]
    return ranked.loc[ranked["rank"] <= k, cols].reset_index(drop=True), diag


def prior_bits(prior: float) -> float:
    """The prior's part of a Splink match weight, in bits (log2 of the prior odds).

    A match weight is this plus the names' evidence; the prior moves with the size of the
    table linked (1 / register size, 1 / distinct names), so placing rules read the
    evidence (``match_weight - prior_bits(prior)``), which does not.
    """
    return math.log2(prior / (1 - prior)) if 0 < prior < 1 else 0.0


def stands_clear(weight: pd.Series, runner_up: pd.Series) -> pd.Series:
    """The ambiguity rule: True where a link's match weight is at least
    :data:`AMBIGUITY_BITS` above its runner-up's (NaN: no runner-up, clear).  A link with a
    close runner-up is a suggestion, never a place."""
    return (weight - runner_up).fillna(math.inf) >= AMBIGUITY_BITS


def _group_members(left: pd.Series, right: pd.Series) -> pd.Series:
    """True where one name holds every word of the other and the words only one holds
    include one of :data:`GROUP_WORDS` ("X" and "X HOLDINGS", "X MANAGEMENT SERVICES"): the
    pairs of :func:`name_levels`' group level, read the same way.  A holding company and its
    trading subsidiary are never one by name alone, whatever weight the sampled u gives
    their level in a run (on the evaluation's fixed model the level's placements were
    right 2 times in 4: not a level that places)."""
    group_words = frozenset(GROUP_WORDS.split("|"))

    def members(a: object, b: object) -> bool:
        ta, tb = set(str(a).split()), set(str(b).split())
        return (ta <= tb or tb <= ta) and bool((ta ^ tb) & group_words)

    return pd.Series([members(a, b) for a, b in zip(left, right, strict=True)],
                     index=left.index, dtype=bool)


def _readings(left: pd.DataFrame) -> pd.DataFrame:
    """Each left name once per reading (``name_norm``, ``name_alt``, ``name_hint``), keyed
    apart, with the original key in ``orig`` and whether its links may place."""
    key = left["key"].astype(str)
    frames = []
    for col, suffix, may_place in (("name_norm", "", True), ("name_alt", "\x1falt", True),
                                   ("name_hint", "\x1fhint", False)):
        if col not in left:
            continue
        f = pd.DataFrame({"key": key + suffix, "name_norm": left[col], "orig": key,
                          "may_place": may_place})
        if col != "name_norm":
            f = f[(f["name_norm"] != left["name_norm"]).fillna(True).to_numpy()]
        frames.append(f)
    return pd.concat(frames, ignore_index=True).dropna(subset=["name_norm"])


def _run(left: pd.DataFrame, right: pd.DataFrame, threshold: float, max_pairs: float,
         expected_match_rate: float, top_k: int, fixed_m: bool = False,
         engine: str = "duckdb"
         ) -> tuple[pd.DataFrame, LinkDiagnostics]:
    """One checked, timed Splink run on its own DuckDB connection."""
    import splink

    t0 = time.perf_counter()
    _check_arguments(left, right, threshold, max_pairs, expected_match_rate)
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"engine must be duckdb or spark; got {engine!r}")
    diag = LinkDiagnostics(
        splink_version=splink.__version__,
        threshold=threshold,
        n_left=len(left),
        n_right=len(right),
        max_pairs=max_pairs,
    )
    con = duckdb.connect()
    try:
        links = _link(con, left, right, expected_match_rate, diag, top_k, fixed_m, engine)
    finally:
        con.close()
    diag.n_linked = int(links["left_key"].nunique())
    diag.run_seconds = time.perf_counter() - t0
    return links, diag


def _check_arguments(
    left: pd.DataFrame,
    right: pd.DataFrame,
    threshold: float,
    max_pairs: float,
    expected_match_rate: float,
) -> None:
    """Refuse bad input before anything is built, with a message naming the argument."""
    _validate(left, "left")
    _validate(right, "right")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1]; got {threshold!r}")
    if not 0 < expected_match_rate <= 1:
        raise ValueError(f"expected_match_rate must be in (0, 1]; got {expected_match_rate!r}")
    if not max_pairs >= 1:
        raise ValueError(f"max_pairs must be at least 1; got {max_pairs!r}")


@dataclass(frozen=True)
class _Plan:
    """What one Splink run links, decided before the model is built."""

    rules: list[tuple[str, ...]]  # blocking keys, one tuple per rule
    use_postcode: bool  # both sides carry postcodes: compare them too
    n_left: int  # named rows on each side
    n_right: int
    expected_match_rate: float
    threshold: float
    top_k: int = 1  # candidates kept per left name (best first)
    fixed_m: bool = False  # the calibrated model: fixed m and u, no sampling or EM
    engine: str = "duckdb"  # where the blocked pairs are scored (the model is fitted on DuckDB)


def _link(
    con: duckdb.DuckDBPyConnection,
    left: pd.DataFrame,
    right: pd.DataFrame,
    expected_match_rate: float,
    diag: LinkDiagnostics,
    top_k: int = 1,
    fixed_m: bool = False,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """Prepare both sides, choose blocking rules within the pair budget, then run Splink;
    no links (and a note saying why) when one side has no names or no rule fits."""
    with diag.stage("preparing names"):
        n_l, diag.n_left_blank_name, pc_l = _prepare(con, left, _LEFT)
        n_r, diag.n_right_blank_name, pc_r = _prepare(con, right, _RIGHT)
    if diag.n_left_blank_name or diag.n_right_blank_name:
        diag.notes.append(
            f"{diag.n_left_blank_name} left / {diag.n_right_blank_name} right rows have "
            "no usable name and were not linked"
        )
    if n_l == 0 or n_r == 0:
        diag.notes.append("nothing to link: no named rows on one side")
        return _empty_links()
    with diag.stage("word weights"):
        add_token_weights(con, (_LEFT, _RIGHT))
    use_postcode = pc_l > 0 and pc_r > 0
    with diag.stage("choosing blocking rules"):
        rules = _choose_blocking_rules(con, use_postcode, diag.max_pairs, diag)
    if not rules:
        diag.notes.append("no blocking rule fits the pair budget; nothing compared")
        return _empty_links()
    plan = _Plan(rules, use_postcode, n_l, n_r, expected_match_rate, diag.threshold, top_k,
                 fixed_m, engine)
    return _run_splink(con, plan, diag)


# --------------------------------------------------------------------------- input


def _validate(df: pd.DataFrame, side: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{side} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in ("key", "name_norm") if c not in df.columns]
    if missing:
        raise ValueError(f"{side} is missing required column(s) {missing}")
    keys = df["key"]
    if keys.isna().any():
        raise ValueError(f"{side} has {int(keys.isna().sum())} row(s) with a missing key")
    dup = keys.astype(str).duplicated()
    if dup.any():
        raise ValueError(
            f"{side} keys must be unique; {int(dup.sum())} duplicate(s), e.g. "
            f"{keys[dup].astype(str).iloc[0]!r}"
        )


def _prepare(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, table: str) -> tuple[int, int, int]:
    """Create ``table`` with Splink's id plus derived name/postcode columns, in SQL.

    Returns (named rows, blank-name rows, rows with a valid postcode outward code).
    """
    src = pd.DataFrame(
        {
            "key": df["key"].astype(str).to_numpy(),
            "name_norm": df["name_norm"].astype("string").to_numpy(),
            "postcode": (
                df["postcode"].astype("string").to_numpy()
                if "postcode" in df.columns
                else pd.array([pd.NA] * len(df), dtype="string")
            ),
        }
    )
    con.register("_src", src)
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH b AS (
            SELECT key AS unique_id,
                   NULLIF(TRIM(REGEXP_REPLACE(UPPER(name_norm), '\\s+', ' ', 'g')), '')
                       AS name_norm,
                   NULLIF(REGEXP_EXTRACT(UPPER(REPLACE(postcode, ' ', '')),
                          '^([A-Z]{{1,2}}[0-9][A-Z0-9]?)[0-9][A-Z]{{2}}$', 1), '')
                       AS postcode_outward
            FROM _src
        ), t AS (
            SELECT *, STRING_SPLIT(name_norm, ' ') AS toks,
                   LIST_SORT(LIST_DISTINCT(STRING_SPLIT(name_norm, ' '))) AS name_tokens
            FROM b WHERE name_norm IS NOT NULL
        ), s AS (
            SELECT *, ARRAY_TO_STRING(name_tokens, ' ') AS name_tokens_sorted,
                   LEN(name_tokens) AS name_n_tokens
            FROM t
        )
        SELECT unique_id, name_norm, name_tokens_sorted, name_tokens, name_n_tokens,
               REPLACE(name_norm, ' ', '') AS name_compact, postcode_outward,
               REGEXP_EXTRACT(postcode_outward, '^[A-Z]{{1,2}}') AS postcode_area,
               toks[1] AS name_first_token,
               LEFT(NULLIF(toks[2], ''), 1) AS name_second_initial,
               toks[-1] AS name_last_token,
               LEFT(name_norm, 4) AS name_prefix4,
               LEFT(name_norm, 1) AS name_initial,
               LEAST(LENGTH(name_norm) // 8, 5) AS name_len_band,
               LEFT(name_tokens_sorted, 6) AS name_sorted_prefix6,
               LEFT(name_tokens_sorted, 10) AS name_sorted_prefix10,
               LEFT(REPLACE(name_norm, ' ', ''), 6) AS name_compact_prefix6,
               LEFT(REPLACE(name_norm, ' ', ''), 10) AS name_compact_prefix10
        FROM s
        ORDER BY unique_id
    """)
    con.unregister("_src")
    named, with_pc = con.execute(
        f"SELECT COUNT(*), COUNT(postcode_outward) FROM {table}"
    ).fetchall()[0]
    return int(named), len(df) - int(named), int(with_pc)


def add_token_weights(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
    """Give each prepared table ``name_token_w`` (one weight per word of ``name_tokens``, in
    its order), ``name_w_total`` and ``name_rare_token`` (its rarest word, for blocking).

    A word's weight is ln(1 + N / n), N the distinct names of all ``tables`` and n those
    holding the word, so common words ("CARE", "SERVICES", "HOMES") count little and rare
    ones much.  Computed in SQL, once."""
    union = " UNION ALL ".join(f"SELECT name_norm, name_tokens FROM {t}" for t in tables)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _token_df AS
        SELECT t, COUNT(*) AS n FROM (
            SELECT DISTINCT name_norm, UNNEST(name_tokens) AS t FROM ({union})) GROUP BY t
    """)
    n_names = con.execute(f"SELECT COUNT(DISTINCT name_norm) FROM ({union})").fetchall()[0][0]
    for t in tables:
        con.execute(f"""
            CREATE OR REPLACE TABLE {t} AS
            WITH u AS (
                SELECT unique_id, UNNEST(name_tokens) AS t,
                       GENERATE_SUBSCRIPTS(name_tokens, 1) AS pos
                FROM {t}
            ), w AS (
                SELECT u.unique_id,
                       LIST(LN(1 + {max(int(n_names), 1)} / d.n) ORDER BY u.pos) AS name_token_w,
                       ARG_MIN(u.t, (d.n, u.t)) AS name_rare_token
                FROM u JOIN _token_df d USING (t) GROUP BY u.unique_id
            )
            SELECT x.*, w.name_token_w, LIST_SUM(w.name_token_w) AS name_w_total,
                   w.name_rare_token
            FROM {t} x JOIN w USING (unique_id)
            ORDER BY unique_id
        """)


def pair_levels(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """The name level (index into :func:`name_levels`; its length = none matched) of each
    given pair (``left_key``, ``right_key``): how m is measured on labelled true pairs.
    Word weights are those of ``left`` and ``right`` together, as in a run."""
    con = duckdb.connect()
    try:
        _prepare(con, left, _LEFT)
        _prepare(con, right, _RIGHT)
        add_token_weights(con, (_LEFT, _RIGHT))
        cols = [c for c, in con.execute(f"SELECT column_name FROM (DESCRIBE {_LEFT})").fetchall()]
        levels = name_levels("duckdb")
        case = " ".join(f"WHEN {sql} THEN {i}" for i, (_, sql) in enumerate(levels))
        con.register("_pairs", pairs[["left_key", "right_key"]].astype(str))
        out = con.execute(f"""
            SELECT p.left_key, p.right_key, CASE {case} ELSE {len(levels)} END AS level
            FROM _pairs p
            JOIN (SELECT {", ".join(f"{c} AS {c}_l" for c in cols)} FROM {_LEFT}) a
              ON p.left_key = a.unique_id_l
            JOIN (SELECT {", ".join(f"{c} AS {c}_r" for c in cols)} FROM {_RIGHT}) b
              ON p.right_key = b.unique_id_r
        """).df()
    finally:
        con.close()
    keyed = pairs.merge(out, on=["left_key", "right_key"], how="left")
    return keyed["level"].astype("Int64")


def _empty_links() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "left_key": pd.Series(dtype="string"),
            "right_key": pd.Series(dtype="string"),
            "match_probability": pd.Series(dtype="float64"),
            "match_weight": pd.Series(dtype="float64"),
            "method": pd.Series(dtype="string"),
            "fuzzy": pd.Series(dtype="bool"),
            "name_left": pd.Series(dtype="string"),
            "name_right": pd.Series(dtype="string"),
            "runner_up_probability": pd.Series(dtype="float64"),
            "rank": pd.Series(dtype="int64"),
        }
    )


# ------------------------------------------------------------------------ blocking


def _count_pairs(con: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> int:
    """Exact number of left×right pairs an equality rule on ``keys`` generates."""
    k = ", ".join(keys)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in keys)
    on = " AND ".join(f"a.{c} = b.{c}" for c in keys)
    sql = f"""
        SELECT COALESCE(SUM(a.n * b.n), 0) FROM
          (SELECT {k}, COUNT(*)::HUGEINT n FROM {_LEFT} WHERE {not_null} GROUP BY ALL) a
          JOIN
          (SELECT {k}, COUNT(*)::HUGEINT n FROM {_RIGHT} WHERE {not_null} GROUP BY ALL) b
          ON {on}
    """
    return int(con.execute(sql).fetchall()[0][0])


def _choose_blocking_rules(
    con: duckdb.DuckDBPyConnection,
    use_postcode: bool,
    max_pairs: float,
    diag: LinkDiagnostics,
) -> list[tuple[str, ...]]:
    """Pick, per rule, the loosest variant that fits the remaining pair budget."""
    chosen: list[tuple[str, ...]] = []
    budget = float(max_pairs)
    for spec in BLOCKING_RULES:
        if spec.needs_postcode and not use_postcode:
            diag.skipped_rules.append({"rule": spec.name, "reason": "postcodes not on both sides"})
            continue
        counts = []
        for keys in spec.variants:
            n = _count_pairs(con, keys)
            counts.append(n)
            if n <= budget:
                chosen.append(keys)
                budget -= n
                diag.blocking_rules.append(
                    {
                        "rule": spec.name,
                        "sql": " AND ".join(f"l.{c} = r.{c}" for c in keys),
                        "pairs_before_dedupe": n,
                    }
                )
                break
        else:
            diag.skipped_rules.append(
                {
                    "rule": spec.name,
                    "reason": f"over pair budget (variants would add {counts}; "
                    f"{budget:,.0f} left of {max_pairs:,.0f})",
                }
            )
    return chosen


def blocking_report(left: pd.DataFrame, right: pd.DataFrame, pairs: pd.DataFrame,
                    budgets: Sequence[float]) -> dict[str, dict[str, Any]]:
    """What a pair budget costs in recall, without scoring a pair: for the rules
    :func:`_choose_blocking_rules` chooses within each of ``budgets`` (keyed ``"1e+07"``
    …) and for every rule at its loosest variant (``"loose"``), the rules, the distinct
    pairs they generate and the share of the true ``pairs`` (``left_key``, ``right_key``)
    among them.  A true pair the rules miss can never be linked, so this share bounds the
    linkage's recall; it is counted on the true pairs only (a join of them with both
    tables), and both tables are prepared once for all budgets."""
    con = duckdb.connect()
    try:
        _prepare(con, left, _LEFT)
        _prepare(con, right, _RIGHT)
        add_token_weights(con, (_LEFT, _RIGHT))
        use_pc = all(con.execute(f"SELECT COUNT(postcode_outward) FROM {t}").fetchall()[0][0]
                     for t in (_LEFT, _RIGHT))
        con.register("_truth", pairs[["left_key", "right_key"]].astype(str))
        choices: dict[str, tuple[list[tuple[str, ...]], LinkDiagnostics]] = {}
        for budget in budgets:
            diag = LinkDiagnostics(max_pairs=budget)
            choices[f"{budget:g}"] = (_choose_blocking_rules(con, use_pc, budget, diag), diag)
        choices["loose"] = ([spec.variants[0] for spec in BLOCKING_RULES
                             if use_pc or not spec.needs_postcode], LinkDiagnostics())
        return {label: _rules_recall(con, rules, diag) for label, (rules, diag) in
                choices.items()}
    finally:
        con.close()


def _rules_recall(con: duckdb.DuckDBPyConnection, rules: list[tuple[str, ...]],
                  diag: LinkDiagnostics) -> dict[str, Any]:
    """The rules' distinct pairs and the share of the registered true pairs they keep."""
    hit = " OR ".join(" AND ".join(f"COALESCE(l.{c} = r.{c}, FALSE)" for c in keys)
                      for keys in rules) or "FALSE"
    found, total = con.execute(f"""
        SELECT COUNT(*) FILTER (WHERE {hit}), COUNT(*) FROM _truth t
        JOIN {_LEFT} l ON l.unique_id = t.left_key
        JOIN {_RIGHT} r ON r.unique_id = t.right_key""").fetchall()[0]
    return {"rules": [" AND ".join(k) for k in rules],
            "rule_pairs": [r["pairs_before_dedupe"] for r in diag.blocking_rules],
            "skipped": [r["rule"] for r in diag.skipped_rules],
            "pairs": _distinct_blocked_pairs(con, rules), "true_pairs": int(total),
            "recall": found / total if total else float("nan")}


# ------------------------------------------------------------------------- model


#: The functions the name levels are written with, per Splink backend: DuckDB's built-ins,
#: or Spark's built-ins plus ``rf_jaro_winkler`` / ``rf_jaro``, the same Jaro(-Winkler) as
#: DuckDB's (rapidfuzz, equal to 1e-16) registered by the Spark caller
#: (:func:`register_similarity`).  Splink's Scala ``jaro_winkler``
#: differs from DuckDB's in the third decimal and moves pairs across the 0.9 boundaries.
#: ``shared`` is the summed weight (:func:`add_token_weights`) of the words both names
#: hold; ``extra_l`` / ``extra_r`` the words only one holds, as text.  The levels themselves
#: (:func:`name_levels`) are one text for both.
SQL_FUNCTIONS: dict[str, dict[str, str]] = {
    "duckdb": {
        "jw": "jaro_winkler_similarity",
        "inter": "len(list_intersect(name_tokens_l, name_tokens_r))",
        # (the weights named outside the lambda too, where Splink looks for the columns
        # a level reads)
        "shared": "CASE WHEN name_token_w_l IS NULL THEN 0.0 ELSE coalesce(list_sum("
                  "list_transform(name_tokens_l, lambda x, i: CASE WHEN list_contains("
                  "name_tokens_r, x) THEN name_token_w_l[i] ELSE 0.0 END)), 0.0) END",
        "extra_l": "array_to_string(list_filter(name_tokens_l, lambda x: "
                   "NOT list_contains(name_tokens_r, x)), ' ')",
        "extra_r": "array_to_string(list_filter(name_tokens_r, lambda x: "
                   "NOT list_contains(name_tokens_l, x)), ' ')",
        "rx": "regexp_matches({text}, {pattern})",
    },
    "spark": {
        "jw": "rf_jaro_winkler",
        "inter": "size(array_intersect(name_tokens_l, name_tokens_r))",
        "shared": "CASE WHEN name_token_w_l IS NULL THEN 0D ELSE aggregate(transform("
                  "name_tokens_l, (x, i) -> IF(array_contains(name_tokens_r, x), "
                  "name_token_w_l[i], 0D)), 0D, (a, y) -> a + y) END",
        "extra_l": "array_join(array_except(name_tokens_l, name_tokens_r), ' ')",
        "extra_r": "array_join(array_except(name_tokens_r, name_tokens_l), ' ')",
        "rx": "({text} RLIKE {pattern})",
    },
}
#: A name this long that begins another was cut short by a finance system's field (20–35
#: characters in the files seen), not a different, shorter name.
CUT_SHORT_CHARS = 15
#: … a shorter name that ends on a whole word of the longer is cut short only from this
#: length; below it, "MERIDIAN FACILITIES" is not "MERIDIAN FACILITIES HOLDINGS".
CUT_LONG_CHARS = 25
#: Words that name another member of a company group: "X HOLDINGS" owns "X", "X GROUP"
#: is not "X TRADING" — a pair differing only by these is never one company by name alone.
GROUP_WORDS = ("HOLDINGS|HOLDING|GROUP|TRADING|PROPERTIES|PROPERTY|INVESTMENTS|ESTATES|"
               "DEVELOPMENTS|DEVELOPMENT|VENTURES|INTERNATIONAL|NOMINEES|MANAGEMENT")
#: Words that tell places apart: compass points and the parts of a region or town they
#: name.  Two names that differ by one ("… (NORTH WEST) LTD" / "… (NORTH EAST) LTD",
#: "NORTH EAST LINCOLNSHIRE COUNCIL" / "NORTH LINCOLNSHIRE COUNCIL") are two bodies however
#: alike the rest, so such a pair never reaches a level that places (:func:`name_levels`).
PLACE_WORDS = ("NORTH|SOUTH|EAST|WEST|NORTHERN|SOUTHERN|EASTERN|WESTERN|NORTHEAST|NORTHWEST|"
               "SOUTHEAST|SOUTHWEST|MID|MIDLAND|MIDLANDS|CENTRAL|UPPER|LOWER|GREATER|INNER|"
               "OUTER")


def name_levels(dialect: str = "duckdb") -> tuple[tuple[str, str], ...]:
    """Name comparison levels, most to least similar: (label, SQL) in ``dialect``.

    A pair falls in the first level it satisfies, so each pair draws on one level only (no
    double counting of correlated string and word measures).  Words are weighed by how rare
    they are (:func:`add_token_weights`: the term-frequency adjustment), so sharing "CARE"
    and "SERVICES" is weak evidence and sharing "KIDZRUS" strong; a word on each side that
    is only a misspelling of the other ("SERVS" / "SERVICES") is told from two different
    words ("NORTH WEST" / "NORTH EAST"), which no level rewards as a near-exact name.
    Names told apart by a word of place (:data:`PLACE_WORDS` among the words only one of
    them holds) are kept out of the one-edit, cut-short, spelling and subset levels: they
    fall to "All words of one in the other" or lower, below what places.
    Nested CASEs guard the costly Levenshtein (DuckDB does not short-circuit AND there),
    and keep the word-of-place test to the few pairs a near-exact level would take.
    """
    f = SQL_FUNCTIONS[dialect]
    jw, inter = f"{f['jw']}(name_norm_l, name_norm_r)", f["inter"]
    # Word weights are summed only for pairs that share a word (most pairs share none).
    shared = f"(CASE WHEN {inter} = 0 THEN 0.0 ELSE {f['shared']} END)"
    wmax = "greatest(name_w_total_l, name_w_total_r)"
    short = "least(length(name_norm_l), length(name_norm_r))"
    differ = f"concat(' ', {f['extra_l']}, ' ', {f['extra_r']}, ' ')"
    place_apart = f["rx"].format(text=differ, pattern=f"' ({PLACE_WORDS}) '")

    def unless_apart(level: str) -> str:
        return f"CASE WHEN {level} THEN NOT {place_apart} ELSE FALSE END"

    return (
        ("Exact name", "name_norm_l = name_norm_r"),
        ("Same words, or the same letters spaced otherwise",
         "name_tokens_sorted_l = name_tokens_sorted_r OR name_compact_l = name_compact_r"),
        (
            "One edit (Levenshtein <= 1, 6+ chars, same first letter)",
            unless_apart(f"CASE WHEN {jw} >= 0.9 AND {short} >= 6 AND left(name_norm_l, 1) = "
                         "left(name_norm_r, 1) THEN levenshtein(name_norm_l, name_norm_r) <= 1 "
                         "ELSE FALSE END"),
        ),
        ("The extra words name another company of a group (HOLDINGS, GROUP …)",
         f"{inter} = least(name_n_tokens_l, name_n_tokens_r) AND " + f["rx"].format(
             text=differ, pattern=f"' ({GROUP_WORDS}) '")),
        (f"Cut short: one name ({CUT_SHORT_CHARS}+ chars) begins the other, mid-word or long",
         unless_apart(
             f"{short} >= {CUT_SHORT_CHARS} AND ("
             f"(substr(name_norm_r, 1, length(name_norm_l)) = name_norm_l AND ({short} >= "
             f"{CUT_LONG_CHARS} OR substr(name_norm_r, length(name_norm_l) + 1, 1) <> ' ')) OR "
             f"(substr(name_norm_l, 1, length(name_norm_r)) = name_norm_r AND ({short} >= "
             f"{CUT_LONG_CHARS} OR substr(name_norm_l, length(name_norm_r) + 1, 1) <> ' ')))")),
        ("Words differ only by spelling, most weight shared",
         unless_apart(f"CASE WHEN {shared} >= 0.5 * {wmax} THEN "
                      f"{f['jw']}({f['extra_l']}, {f['extra_r']}) >= 0.9 ELSE FALSE END")),
        ("All words of one in the other, the extra words common",
         unless_apart(f"{inter} = least(name_n_tokens_l, name_n_tokens_r) AND "
                      f"{shared} >= 0.6 * {wmax}")),
        ("All words of one in the other",
         f"{inter} = least(name_n_tokens_l, name_n_tokens_r)"),
        ("Weighted word overlap >= 0.6",
         f"{shared} >= 0.6 * (name_w_total_l + name_w_total_r - {shared})"),
        ("Weighted word overlap >= 0.35, or Jaro-Winkler >= 0.9",
         f"{shared} >= 0.35 * (name_w_total_l + name_w_total_r - {shared}) OR {jw} >= 0.9"),
    )


NAME_LEVELS = name_levels("duckdb")


def _comparisons(use_postcode: bool, dialect: str = "duckdb") -> list[Any]:
    """The model's comparisons, their SQL in ``dialect`` (see :data:`SQL_FUNCTIONS`)."""
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    name = CustomComparison(
        output_column_name="name_norm",
        comparison_description="Normalised name: string (Levenshtein, Jaro(-Winkler)) "
        "and word-set (name_tokens_sorted) similarity",
        comparison_levels=[
            cll.CustomLevel("name_norm_l IS NULL OR name_norm_r IS NULL").configure(
                is_null_level=True
            ),
            *(cll.CustomLevel(sql, label_for_charts=label)
              for label, sql in name_levels(dialect)),
            cll.ElseLevel(),
        ],
    )
    comps = [name]
    if use_postcode:
        comps.append(
            CustomComparison(
                output_column_name="postcode_outward",
                comparison_description="Postcode outward code (district), then area",
                comparison_levels=[
                    cll.NullLevel("postcode_outward"),
                    cll.ExactMatchLevel("postcode_outward").configure(
                        label_for_charts="Same postcode district"
                    ),
                    cll.ExactMatchLevel("postcode_area").configure(
                        label_for_charts="Same postcode area"
                    ),
                    cll.ElseLevel(),
                ],
            )
        )
    return comps


def _set_fixed(linker: Any, which: str) -> None:
    """Overwrite m or u on every non-null level with the documented fixed values."""
    table = FIXED_M if which == "m" else FIXED_U
    for comp in linker._settings_obj.comparisons:
        values = table[comp.output_column_name]
        levels = [cl for cl in comp.comparison_levels if not cl.is_null_level]
        for cl, v in zip(levels, values, strict=True):
            if which == "m":
                cl.m_probability = v
            else:
                cl.u_probability = v


def _tidy_u(linker: Any, sampled_pairs: float, prior: float) -> list[str]:
    """Make sampled u usable: remove true matches, floor, keep Bayes factors monotone.

    Random left×right pairs are not all non-matches: true matches occur at the prior
    rate λ, which for a register of 10⁴–10⁶ names exceeds u of the top levels, so the
    raw share P of a level is corrected to u = (P − λ·m) / (1 − λ).  A level left below
    the floor, 1 / pairs sampled but never below 1 / :data:`U_MAX_PAIRS`, gets the floor
    (an upper bound: its weight is understated, not invented).  The floor stays put when a
    large register has u sampled from more pairs: the near-exact levels' evidence then
    keeps the scale :data:`PLACE_BITS` was chosen on (against 5 × 10⁶ companies, u from
    10⁷ pairs, a floor of 1/10⁷ lifted them 2.3 bits, and sole traders such as "J JACKSON
    ROOFING" were placed on "J JACKSON & SONS ROOFING LTD": 4,063 in 50,000 unregistered
    payees; bench_national_linkage).  Levels are ordered most to least similar, so a
    level's Bayes factor is capped at the one above it (sparse levels otherwise out-weigh
    stricter ones by sampling noise).
    """
    notes = []
    resolution = min(sampled_pairs, U_MAX_PAIRS)
    floor = min(1.0 / resolution, 1.0)
    for comp in linker._settings_obj.comparisons:
        levels = [cl for cl in comp.comparison_levels if not cl.is_null_level]
        prev_bf = math.inf
        for cl in levels:
            raw = cl.u_probability if cl._has_estimated_u_values else 0.0
            u = (raw - prior * cl.m_probability) / (1 - prior)
            if u < floor:
                notes.append(
                    f"u of '{cl.label_for_charts}' at the sampling floor "
                    f"1/{resolution:,.0f} (raw share {raw:.2g})"
                )
                u = floor
            bf = cl.m_probability / u
            if bf > prev_bf:
                u, bf = min(cl.m_probability / prev_bf, 1.0), prev_bf
            cl.u_probability = u
            prev_bf = bf
    return notes


def _m_is_degenerate(linker: Any) -> str | None:
    """Reason EM's m values are unusable (top level not match-like), or None."""
    for comp in linker._settings_obj.comparisons:
        levels = [cl for cl in comp.comparison_levels if not cl.is_null_level]
        top, last = levels[0], levels[-1]
        bf_top = top.m_probability / top.u_probability
        bf_else = last.m_probability / last.u_probability
        if bf_top <= 1 or bf_else >= 1:
            return f"{comp.output_column_name}: top level BF {bf_top:.3g}, else BF {bf_else:.3g}"
    return None


def _run_splink(con: duckdb.DuckDBPyConnection, plan: _Plan, diag: LinkDiagnostics) -> pd.DataFrame:
    """Fit the model, score the blocked pairs (on DuckDB, or on Spark with the same model),
    keep each left name's best link."""
    from splink import Linker

    datasets, settings = _splink_inputs(con, plan, diag)
    floor = min(RUNNER_UP_FLOOR, plan.threshold, SUGGESTION_FLOOR if plan.top_k > 1 else 1.0)
    with _splink_quiet():
        linker = Linker(datasets, settings, log_level=None)
        with diag.stage("fitting the model"):
            _estimate(linker, con, plan, diag)
        diag.parameters = _parameter_records(linker)
        with diag.stage("counting pairs"):
            diag.pairs_compared = _distinct_blocked_pairs(con, plan.rules)
        with diag.stage(f"scoring pairs ({plan.engine})"):
            if plan.engine == "spark":
                predictions = _predict_spark(con, plan, diag, floor)
            else:
                predictions = _predict_duckdb(linker, floor, diag)
        with diag.stage("best links"):
            links = _best_links(con, predictions, plan.threshold, plan.top_k)
    return _as_output_links(links)


def _predict_duckdb(linker: Any, floor: float, diag: LinkDiagnostics) -> str:
    """Score the blocked pairs on DuckDB in chunks of about :data:`PREDICT_CHUNK_PAIRS`
    (Splink's own chunking, by left name): memory stays bounded at national size, where
    2×10⁸ pairs scored at once held over 20 GB; the predictions table's name is returned."""
    chunks = max(1, math.ceil(diag.pairs_compared / PREDICT_CHUNK_PAIRS))
    if chunks > 1:
        diag.notes.append(f"{diag.pairs_compared:,} pairs scored in {chunks} chunks")
    return linker.inference.predict(threshold_match_probability=floor, warning_mode="never",
                                    num_chunks_left=chunks, num_chunks_right=1).physical_name


def _distinct_blocked_pairs(con: duckdb.DuckDBPyConnection, rules: list[tuple[str, ...]]
                            ) -> int:
    """Distinct left × right pairs the rules generate together (what the engine scores),
    counted as Splink dedupes them: each rule's pairs that no earlier rule generated — a
    count, never a table of the pairs (10⁸ of them at national size)."""
    def agree(keys: tuple[str, ...]) -> str:
        return " AND ".join(f"l.{c} = r.{c}" for c in keys)

    total = 0
    for i, keys in enumerate(rules):
        earlier = " OR ".join(f"COALESCE(({agree(k)}), FALSE)" for k in rules[:i]) or "FALSE"
        total += int(con.execute(f"SELECT COUNT(*) FROM {_LEFT} l JOIN {_RIGHT} r "
                                 f"ON {agree(keys)} WHERE NOT ({earlier})").fetchall()[0][0])
    return total


def _predict_spark(con: duckdb.DuckDBPyConnection, plan: _Plan, diag: LinkDiagnostics,
                   floor: float) -> str:
    """Score the blocked pairs on Spark with the model fitted on DuckDB (its levels in
    Spark SQL, its m and u level by level); the pairs at or above ``floor`` come back as a
    DuckDB table, whose name is returned.  The prepared tables travel as Arrow from the
    driver (no shared folder needed, so the same code runs under spark-submit)."""
    import uuid

    from splink import Linker, SettingsCreator, SparkAPI, block_on

    from impact.core.spark import quiet, spark_session

    spark = spark_session()
    run = uuid.uuid4().hex[:10]
    with quiet():
        register_similarity(spark)
        api = SparkAPI(spark_session=spark)
        frames = [api.register(spark.createDataFrame(con.sql(f"SELECT * FROM {t}")
                                                     .to_arrow_table()),
                               dataset_display_name=t, table_name=f"splink_in_{t}_{run}")
                  for t in (_LEFT, _RIGHT)]
        settings = SettingsCreator(
            link_type="link_only", unique_id_column_name="unique_id",
            comparisons=_comparisons(plan.use_postcode, "spark"),
            blocking_rules_to_generate_predictions=[block_on(*k) for k in plan.rules],
            probability_two_random_records_match=diag.prior,
            retain_intermediate_calculation_columns=False, retain_matching_columns=True)
        linker = Linker(frames, settings, log_level=None)
        apply_parameters(linker, diag.parameters)
        pred = linker.inference.predict(threshold_match_probability=floor,
                                        warning_mode="never").as_spark_dataframe()
        arrow = pred.select("source_dataset_l", "unique_id_l", "unique_id_r", "name_norm_l",
                            "name_norm_r", "match_probability", "match_weight").toArrow()
    name = f"_spark_predictions_{run}"
    con.register("_arrow_predictions", arrow)
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM _arrow_predictions")
    con.unregister("_arrow_predictions")
    return name


def apply_parameters(linker: Any, parameters: list[dict[str, Any]]) -> None:
    """Give ``linker`` the fitted m and u (:func:`_parameter_records`), level by level: the
    same levels in another dialect, so both engines score a pair alike."""
    levels = [cl for comp in linker._settings_obj.comparisons
              for cl in comp.comparison_levels if not cl.is_null_level]
    for cl, p in zip(levels, parameters, strict=True):
        cl.m_probability, cl.u_probability = p["m_probability"], p["u_probability"]


def register_similarity(spark: Any) -> None:
    """``rf_jaro_winkler`` and ``rf_jaro`` on ``spark``: DuckDB's Jaro(-Winkler) (rapidfuzz)
    as vectorised pandas UDFs, so both engines put every pair in the same level.  On a
    cluster the workers need rapidfuzz (a dependency of this project)."""
    from pyspark.sql.functions import pandas_udf
    from rapidfuzz.distance import Jaro, JaroWinkler

    def scorer(metric: Any) -> Any:
        @pandas_udf("double")
        def similarity(a: pd.Series, b: pd.Series) -> pd.Series:
            from rapidfuzz import process

            return pd.Series(process.cpdist(a.fillna("").tolist(), b.fillna("").tolist(),
                                            scorer=metric.normalized_similarity))
        return similarity

    spark.udf.register("rf_jaro_winkler", scorer(JaroWinkler))
    spark.udf.register("rf_jaro", scorer(Jaro))


def _splink_inputs(
    con: duckdb.DuckDBPyConnection, plan: _Plan, diag: LinkDiagnostics
) -> tuple[list[Any], Any]:
    """Both prepared tables registered with Splink, and the model's settings; the prior
    assumes each left name has at most one true register entry."""
    from splink import DuckDBAPI, SettingsCreator, block_on

    db_api = DuckDBAPI(connection=con)
    sdf_l = db_api.register(_LEFT, dataset_display_name=_LEFT, table_name="splink_in_left")
    sdf_r = db_api.register(_RIGHT, dataset_display_name=_RIGHT, table_name="splink_in_right")
    prior = min(plan.expected_match_rate / plan.n_right, 0.5)
    diag.prior = prior
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=_comparisons(plan.use_postcode),
        blocking_rules_to_generate_predictions=[block_on(*keys) for keys in plan.rules],
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,
    )
    return [sdf_l, sdf_r], settings


@contextlib.contextmanager
def _splink_quiet() -> Iterator[None]:
    """Splink logs at INFO by default and warns about defaults it expects users to change."""
    splink_logger = logging.getLogger("splink")
    old_level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        splink_logger.setLevel(old_level)


def _best_links(con: duckdb.DuckDBPyConnection, predictions: str, threshold: float,
                top_k: int = 1) -> pd.DataFrame:
    """Each left name's best-weighted pair at or above ``threshold``, with the runner-up's
    probability (ties: lowest register key), whichever side Splink put each name on; with
    ``top_k`` > 1 its next candidates too (any probability Splink kept), ranked in ``rank``."""
    return con.execute(f"""
        WITH p AS (
            SELECT CASE WHEN source_dataset_l = '{_LEFT}' THEN unique_id_l
                        ELSE unique_id_r END AS left_key,
                   CASE WHEN source_dataset_l = '{_LEFT}' THEN unique_id_r
                        ELSE unique_id_l END AS right_key,
                   CASE WHEN source_dataset_l = '{_LEFT}' THEN name_norm_l
                        ELSE name_norm_r END AS name_left,
                   CASE WHEN source_dataset_l = '{_LEFT}' THEN name_norm_r
                        ELSE name_norm_l END AS name_right,
                   match_probability, match_weight
            FROM {predictions}
        ), r AS (
            SELECT *, ROW_NUMBER() OVER (PARTITION BY left_key
                      ORDER BY match_weight DESC, right_key) AS rn
            FROM p
        )
        SELECT a.left_key, a.right_key, a.match_probability, a.match_weight,
               a.name_left, a.name_right, b.match_probability AS runner_up_probability,
               a.rn AS rank
        FROM r a LEFT JOIN r b ON a.left_key = b.left_key AND b.rn = 2
        JOIN r best ON best.left_key = a.left_key AND best.rn = 1
        WHERE a.rn <= {int(top_k)} AND best.match_probability >= {threshold!r}
        ORDER BY best.match_probability DESC, a.left_key, a.rn
    """).df()


def _as_output_links(links: pd.DataFrame) -> pd.DataFrame:
    """:data:`OUTPUT_COLUMNS` and ``rank`` in order and type; every link marked a Splink
    candidate."""
    links["method"] = "splink"
    links["fuzzy"] = True
    out = links[[*OUTPUT_COLUMNS, "rank"]].astype(
        {
            "rank": "int64",
            "left_key": "string",
            "right_key": "string",
            "method": "string",
            "name_left": "string",
            "name_right": "string",
            "fuzzy": "bool",
            "match_probability": "float64",
            "match_weight": "float64",
            "runner_up_probability": "float64",
        }
    )
    return out.reset_index(drop=True)


def _estimate(
    linker: Any,
    con: duckdb.DuckDBPyConnection,
    plan: _Plan,
    diag: LinkDiagnostics,
) -> None:
    """u by seeded random sampling, m by EM when identifiable; else fixed values."""
    n_l, n_r = plan.n_left, plan.n_right
    _set_fixed(linker, "m")
    _set_fixed(linker, "u")
    if plan.fixed_m:
        diag.notes.append("the calibrated model asked for: fixed m and u (no sampling, no EM)")
        return
    if min(n_l, n_r) < MIN_RECORDS_FOR_U or n_l * n_r < MIN_CARTESIAN_FOR_U:
        diag.notes.append(
            f"input too small to estimate u ({n_l} x {n_r} names): fixed m and u used"
        )
        return
    sampled = min(max(U_MAX_PAIRS, U_PAIRS_PER_ROW * n_r), n_l * n_r)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=sampled,
        seed=U_SEED,
        min_count_per_level=None,
        num_chunks=1,
    )
    diag.u_source = "random_sampling"
    diag.notes.extend(_tidy_u(linker, sampled, diag.prior))
    if not plan.use_postcode:
        diag.notes.append("names only: EM not identifiable with one comparison; fixed m used")
        return

    em_pairs = _count_pairs(con, ("name_first_token",))
    if em_pairs < MIN_PAIRS_FOR_EM:
        diag.notes.append(f"only {em_pairs} pairs share a first token: fixed m used (no EM)")
        return
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            "l.name_first_token = r.name_first_token",
            max_pairs=min(diag.max_pairs, 2e6),
            record_sample_proportion=1.0,
        )
    except Exception as exc:  # Splink raises several types; any failure -> fixed m
        _set_fixed(linker, "m")
        diag.notes.append(f"EM failed ({type(exc).__name__}: {exc}); fixed m used")
        return
    reason = _m_is_degenerate(linker)
    if reason:
        _set_fixed(linker, "m")
        diag.notes.append(f"EM result degenerate ({reason}); fixed m used")
        return
    diag.notes.extend(_tidy_u(linker, sampled, diag.prior))
    diag.m_source = "em"


def _parameter_records(linker: Any) -> list[dict[str, Any]]:
    """m, u, Bayes factor and match weight per comparison level (the weights chart)."""
    rows = []
    for comp in linker._settings_obj.comparisons:
        for cl in comp.comparison_levels:
            if cl.is_null_level:
                continue
            m, u = cl.m_probability, cl.u_probability
            bf = m / u if m and u else float("nan")
            rows.append(
                {
                    "comparison": comp.output_column_name,
                    "level": cl.label_for_charts,
                    "m_probability": m,
                    "u_probability": u,
                    "bayes_factor": bf,
                    "match_weight": math.log2(bf) if bf and bf == bf and bf > 0 else float("nan"),
                }
            )
    return rows
