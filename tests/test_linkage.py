"""Splink supplier-name linkage: tiny in-code fixtures plus one check on real names."""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest

from impact.places.linkage import (
    OUTPUT_COLUMNS,
    LinkDiagnostics,
    link_names,
    link_names_with_diagnostics,
    place_links,
)
from tests._shared import missing, shared_data_dir

try:  # the shared normaliser; a plain fallback keeps these tests independent of it
    from impact.ingest.names import normalise_names
except ImportError:  # pragma: no cover
    def normalise_names(names: pd.Series) -> pd.Series:
        out = names.str.upper().str.replace("&", " AND ", regex=False)
        out = out.str.replace(r"[^\w\s]", " ", regex=True)
        out = out.str.replace(r"\b(LTD|LIMITED|PLC|LLP)\b", " ", regex=True)
        return out.str.replace(r"\s+", " ", regex=True).str.strip()


def _frame(names: list[str], prefix: str) -> pd.DataFrame:
    return pd.DataFrame({"key": [f"{prefix}{i}" for i in range(len(names))], "name_norm": names})


LEFT = _frame(["ACME BUILDING SERVICES", "ZEBRA PLUMBING", "NORTH WEST ELECTRICAL",
               "PENNINE CARE HOMES"], "L")
RIGHT = _frame(["ACME BUILDING SERVICE", "QUANTUM LOGISTICS", "NORTH WEST ELECTRICALS",
                "NORTH WEST ELECTRICAL SERVICES", "HOMES PENNINE CARE", "ORCHARD DENTAL"], "R")


def _by_left(links: pd.DataFrame) -> dict[str, pd.Series]:
    return {row.left_key: row for row in links.itertuples(index=False)}


def test_obvious_variant_links_and_unrelated_does_not() -> None:
    links = _by_left(link_names(LEFT, RIGHT))
    assert links["L0"].right_key == "R0"  # ACME BUILDING SERVICES ~ ...SERVICE
    assert links["L0"].match_probability >= 0.9
    assert links["L3"].right_key == "R4"  # same words, other order
    assert "L1" not in links  # ZEBRA PLUMBING has no counterpart


def test_output_schema_and_markers() -> None:
    links = link_names(LEFT, RIGHT)
    assert list(links.columns) == OUTPUT_COLUMNS
    assert (links["method"] == "splink").all() and links["fuzzy"].all()
    assert links["match_probability"].is_monotonic_decreasing
    assert links["left_key"].is_unique


def test_ambiguity_surfaces_runner_up() -> None:
    links = _by_left(link_names(LEFT, RIGHT))
    nw = links["L2"]
    assert nw.right_key in {"R2", "R3"}
    assert nw.runner_up_probability > 0.5  # the other NORTH WEST ELECTRICAL* row
    assert pd.isna(links["L0"].runner_up_probability)  # nothing else near ACME


def test_unrelated_names_do_not_link() -> None:
    left = _frame(["BRIGHT SPARK ELECTRICS", "MOORLAND FARM SUPPLIES"], "L")
    right = _frame(["BRIGHTON TAXIS", "MOORSIDE DENTAL PRACTICE", "OAKWOOD JOINERY"], "R")
    assert link_names(left, right, threshold=0.5).empty


@pytest.mark.parametrize("side", ["left", "right"])
def test_empty_input_returns_empty_frame_with_columns(side: str) -> None:
    empty = _frame([], "E")
    left, right = (empty, RIGHT) if side == "left" else (LEFT, empty)
    links, diag = link_names_with_diagnostics(left, right)
    assert links.empty and list(links.columns) == OUTPUT_COLUMNS
    assert isinstance(diag, LinkDiagnostics) and diag.notes


def test_blank_names_are_counted_not_linked() -> None:
    left = pd.concat([LEFT, _frame(["", None], "B")], ignore_index=True)
    links, diag = link_names_with_diagnostics(left, RIGHT)
    assert diag.n_left == 6 and diag.n_left_blank_name == 2
    assert not links["left_key"].str.startswith("B").any()


def test_deterministic() -> None:
    a = link_names(LEFT, RIGHT, threshold=0.1)
    b = link_names(LEFT, RIGHT, threshold=0.1)
    pd.testing.assert_frame_equal(a, b)


def test_diagnostics_show_weights_rules_and_fallback() -> None:
    _, diag = link_names_with_diagnostics(LEFT, RIGHT)
    params = diag.parameters_frame()
    assert {"m_probability", "u_probability", "match_weight"} <= set(params.columns)
    assert len(params) >= 5 and params["match_weight"].iloc[0] > 0
    assert params["match_weight"].iloc[-1] < 0  # "all other" counts against a match
    assert diag.u_source == "fixed" and diag.m_source == "fixed"  # tiny input
    assert any("too small" in n for n in diag.notes)
    assert diag.blocking_rules and diag.pairs_compared > 0
    assert any(r["rule"].startswith("postcode") for r in diag.skipped_rules)


def test_pair_budget_tightens_or_skips_rules() -> None:
    _, diag = link_names_with_diagnostics(LEFT, RIGHT, max_pairs=1)
    assert diag.pairs_compared <= 1
    assert diag.skipped_rules


def test_postcode_comparison_used_when_both_sides_have_postcodes() -> None:
    left = LEFT.assign(postcode=["BB5 1AA", None, "M1 1AA", "bb11 2xx"])
    right = RIGHT.assign(postcode=["BB5 2ZZ", None, "M1 1AB", "M2 3CD", "BB11 2XX", None])
    links, diag = link_names_with_diagnostics(left, right)
    assert "postcode_outward" in set(diag.parameters_frame()["comparison"])
    assert _by_left(links)["L0"].right_key == "R0"


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unique"):
        link_names(_frame(["A", "B"], "X").assign(key="same"), RIGHT)
    with pytest.raises(ValueError, match="name_norm"):
        link_names(pd.DataFrame({"key": ["a"]}), RIGHT)


# Hand-labelled by eye: (spend name, register name) -> same organisation?
HAND_LABELLED: dict[tuple[str, str], bool] = {
    ("BLACKBURN WITH DARWEN COUNCIL", "BLACKBURN WITH DARWEN BOROUGH COUNCIL"): True,
    ("CONSULTANTS AND SPEC SURVEYORS", "CONSULTANTS AND SPECIALIST SURVEYORS"): True,
    ("RAPID RECRUITMENT", "RAPID RECRUIT"): True,
    ("SCOTTISH POWER", "SCOTTISH OPERA"): False,
    ("HAIR AND BEAUTY STUDIO", "CAPITAL HAIR AND BEAUTY"): False,
    ("WADE GROUP", "WEC GROUP"): False,
    ("THYSSENKRUPP ENCASA", "THYSSENKRUPP MATERIALS"): False,
    ("GREATER MANCHESTER PENSION FUND", "GREATER MANCHESTER BUSES SOUTH"): False,
    ("SIGMA CARE", "SAGE CARE"): False,
    ("ZEND CONSTRUCTION", "ESH CONSTRUCTION"): False,
}


@pytest.mark.shared
def test_real_spend_names_against_combined_register() -> None:
    data = shared_data_dir()
    if not (data / "suppliers").is_dir():
        missing("shared public data folder (../shared/data) is not available")
    spend = pd.read_csv(
        data / "spend/hyndburn/hyndburn_1603177375wpdm_July-2020.csv", encoding="cp1252"
    )
    name_col = next(c for c in spend.columns if c.strip().startswith("Name"))
    names = normalise_names(spend[name_col]).dropna().drop_duplicates()
    names = names[names != "REDACTED"].sort_values().head(300)
    left = _frame(list(names), "L")
    reg = pd.read_csv(data / "suppliers/supplier_locations_combined_geocoded.csv", dtype=str)
    right = pd.DataFrame({"key": reg.index.astype(str),
                          "name_norm": normalise_names(reg["supplier_name"]).to_numpy()})

    t0 = time.perf_counter()
    links, diag = place_links(left, right, k=3)
    print(f"linked {len(left)} names x {len(right)} register rows in "
          f"{time.perf_counter() - t0:.1f}s; {diag.pairs_compared} pairs; notes: {diag.notes}")

    assert diag.u_source == "random_sampling"
    links["name_left"] = left.set_index("key")["name_norm"].reindex(links["left_key"]).to_numpy()
    links["name_right"] = right.set_index("key")["name_norm"].reindex(links["right_key"]).to_numpy()
    seen = [(HAND_LABELLED[(a, b)], rank, placed) for a, b, rank, placed in zip(
        links["name_left"], links["name_right"], links["rank"], links["placed"], strict=True)
        if (a, b) in HAND_LABELLED]
    print(seen)
    assert len(seen) >= 3, "too few hand-labelled pairs among the suggestions"
    # The right register names are among the first three suggestions, mostly the first
    # ("RAPID RECRUIT", 13 characters, is too short to read as a cut name); a wrong one is
    # never a place.
    right_ranks = [rank for ok, rank, _ in seen if ok]
    assert right_ranks and max(right_ranks) <= 3
    assert sum(r == 1 for r in right_ranks) / len(right_ranks) >= 0.5
    assert not any(placed for ok, _, placed in seen if not ok)


def test_best_links_ties_sides_runner_up_and_threshold() -> None:
    """The best-link step alone: highest weight per left name (ties: lowest register key),
    the runner-up's probability, either side order, nothing under the threshold."""
    import duckdb

    from impact.places.linkage import _LEFT, _RIGHT, _best_links

    pairs = pd.DataFrame(
        [  # source_dataset_l, unique_id_l, unique_id_r, name_l, name_r, probability, weight
            (_LEFT, "L1", "R2", "ACME", "ACME CO", 0.97, 5.0),
            (_LEFT, "L1", "R1", "ACME", "ACME", 0.97, 5.0),
            (_LEFT, "L1", "R3", "ACME", "ACNE", 0.40, -1.0),
            (_RIGHT, "R9", "L2", "BETA", "BETA LTD", 0.99, 9.0),  # Splink put the sides swapped
            (_LEFT, "L3", "R4", "GAMMA", "GAMMON", 0.50, 0.0),
        ],
        columns=["source_dataset_l", "unique_id_l", "unique_id_r", "name_norm_l",
                 "name_norm_r", "match_probability", "match_weight"],
    )
    con = duckdb.connect()
    try:
        con.register("pairs", pairs)
        links = _best_links(con, "pairs", 0.9)
    finally:
        con.close()
    assert links["left_key"].tolist() == ["L2", "L1"]  # most probable first; L3 under 0.9
    assert links["right_key"].tolist() == ["R9", "R1"]
    assert links["name_left"].tolist() == ["BETA LTD", "ACME"]
    assert links["runner_up_probability"].iloc[1] == 0.97
    assert pd.isna(links["runner_up_probability"].iloc[0])


def test_place_links_places_a_cut_name_but_never_a_group_member() -> None:
    """A name cut short by a finance system places; "X" against "X HOLDINGS" (a holding
    company and its subsidiary) and a name with a close runner-up are suggestions only."""
    left = _frame(["ARCO PROFESSIONAL SAFETY SERV", "KESTREL VALE", "ORBIT ELECTRICAL"], "L")
    right = _frame(["ARCO PROFESSIONAL SAFETY SERVICES", "KESTREL VALE HOLDINGS",
                    "ORBIT ELECTRICAL NORTH", "ORBIT ELECTRICAL SOUTH", "QUANTUM"], "R")
    links, _ = place_links(left, right, k=3)
    best = links[links["rank"] == 1].set_index("left_key")
    assert best.loc["L0", "right_key"] == "R0" and best.loc["L0", "placed"]
    assert best.loc["L1", "right_key"] == "R1" and not best.loc["L1", "placed"]
    assert not best.loc["L2", "clear"] and not best.loc["L2", "placed"]
    assert set(links.loc[links["left_key"] == "L2", "right_key"]) == {"R2", "R3"}


#: Pairs told apart by a word of place, and near-exact pairs that are not.
TOLD_APART = [("NORTH EAST LINCOLNSHIRE COUNCIL", "NORTH LINCOLNSHIRE COUNCIL"),
              ("ACORN TRAINING NORTH WEST", "ACORN TRAINING"),
              ("PREMIER FIRE PROTECTION NORTHERN", "PREMIER FIRE PROTECTION SOUTHERN"),
              ("ORBIT ELECTRICAL NORTH WEST", "ORBIT ELECTRICAL SOUTH WEST"),
              ("CYGNET LEARNING DISABILITIES MIDLANDS", "CYGNET LEARNING DISABILITIES")]
NOT_APART = [("WEST YORKSHIRE COMBINE", "WEST YORKSHIRE COMBINED AUTHORITY"),
             ("ORBIT ELECTRICAL NORTH", "ORBIT ELECTRICL NORTH"),
             ("NORTHWEST AMBULANCE", "NORTH WEST AMBULANCE")]


def test_a_word_of_place_keeps_two_names_out_of_the_levels_that_place() -> None:
    """Names that differ by a compass or region word (NORTH, EAST, … MIDLANDS) fall to
    "All words of one in the other" or lower, whatever else they share; a word of place
    both names hold, or spaced otherwise, changes nothing."""
    from impact.places.linkage import FIXED_M, FIXED_U, PLACE_BITS, name_levels, pair_levels

    labels = [label for label, _ in name_levels()]
    subset = labels.index("All words of one in the other")
    pairs = TOLD_APART + NOT_APART
    left, right = _frame([a for a, _ in pairs], "L"), _frame([b for _, b in pairs], "R")
    level = pair_levels(left, right, pd.DataFrame({"left_key": left["key"],
                                                   "right_key": right["key"]})).tolist()
    apart, near = level[:len(TOLD_APART)], level[len(TOLD_APART):]
    assert min(apart) >= subset, list(zip(TOLD_APART, apart, strict=True))
    assert near == [labels.index(lbl) for lbl in (
        "Cut short: one name (15+ chars) begins the other, mid-word or long",
        "One edit (Levenshtein <= 1, 6+ chars, same first letter)",
        "Same words, or the same letters spaced otherwise")]
    bits = [math.log2(m / u) for m, u in zip(FIXED_M["name_norm"], FIXED_U["name_norm"],
                                              strict=True)]
    assert max(bits[subset:]) < PLACE_BITS  # so the calibrated model never places them
    links, _ = place_links(left.iloc[:len(TOLD_APART)], right, k=1, fixed_m=True)
    assert not links["placed"].any()


def test_a_pair_the_group_level_takes_never_places() -> None:
    """"GLEEDS MANAGEMENT SERVICES" is not "GLEEDS" (LLP): one name holding every word of the
    other plus a group word (MANAGEMENT, GROUP, HOLDINGS …) is another company of a group,
    a suggestion only, even when other words come with the group word."""
    from impact.places.linkage import _group_members

    a = pd.Series(["GLEEDS MANAGEMENT SERVICES", "KESTREL VALE", "ACME BUILDING", "HSS GROUP"])
    b = pd.Series(["GLEEDS", "KESTREL VALE HOLDINGS", "ACME BUILDING SERVICES", "HSS HIRE"])
    assert _group_members(a, b).tolist() == [True, True, False, False]
    links, _ = place_links(_frame(["GLEEDS MANAGEMENT SERVICES"], "L"),
                           _frame(["GLEEDS", "QUANTUM LOGISTICS"], "R"), k=1, fixed_m=True)
    assert links["right_key"].tolist() == ["R0"] and not links["placed"].any()


def test_scoring_in_chunks_gives_the_same_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """At national size the pairs are scored in chunks (memory stays bounded); the links,
    their ranks and weights are those of scoring every pair at once."""
    import impact.places.linkage as linkage

    whole, _ = place_links(LEFT, RIGHT, k=3, fixed_m=True)
    monkeypatch.setattr(linkage, "PREDICT_CHUNK_PAIRS", 2)
    chunked, diag = place_links(LEFT, RIGHT, k=3, fixed_m=True)
    assert any("chunks" in n for n in diag.notes)
    key = ["left_key", "right_key"]
    pd.testing.assert_frame_equal(whole.sort_values(key).reset_index(drop=True),
                                  chunked.sort_values(key).reset_index(drop=True))


def test_evidence_keeps_its_scale_when_u_is_sampled_from_more_pairs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A level no sampled pair reaches keeps u = 1 / U_MAX_PAIRS when a large register has
    u sampled from more pairs (four times here), so the near-exact levels' weights stay on
    the scale the placing threshold was chosen on (before: 2 bits higher), and a typo's
    evidence with them."""
    import numpy as np

    import impact.places.linkage as linkage

    rng = np.random.default_rng(5)
    letters = np.array(list("ABCDEFGHIKLMNOPRSTUVWY"))
    words = ["".join(rng.choice(letters, 7)) for _ in range(2_000)]
    register = [f"{words[2 * i]} {words[2 * i + 1]} SERVICES" for i in range(1_000)]
    typos = [n[:13] + "Z" + n[14:] for n in register[:100]]  # the second word's last letter
    others = ["".join(rng.choice(letters, 9)) + " TRADING" for _ in range(200)]
    left, right = _frame(typos + others, "L"), _frame(register, "R")
    monkeypatch.setattr(linkage, "U_MAX_PAIRS", 2e4)
    runs = {}
    for per_row in (2.0, 80.0):  # 2×10⁴ pairs sampled, then 8×10⁴
        monkeypatch.setattr(linkage, "U_PAIRS_PER_ROW", per_row)
        links, diag = place_links(left, right, k=1)
        best = links.set_index("left_key").loc[[f"L{i}" for i in range(100)]]
        assert (best["right_key"] == [f"R{i}" for i in range(100)]).all()
        weights = diag.parameters_frame().set_index("level")["match_weight"]
        runs[per_row] = best, weights
    (small, w_small), (big, w_big) = runs[2.0], runs[80.0]
    assert w_big["Exact name"] == pytest.approx(w_small["Exact name"], abs=1e-9)
    assert (big["evidence_bits"] - small["evidence_bits"]).abs().max() < 0.3
