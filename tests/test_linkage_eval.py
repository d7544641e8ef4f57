"""The linkage evaluation: its scoring on a hand-built case, its fixed halves, and (on the
real labelled spellings) today's targets on the held-back half."""

from __future__ import annotations

import math

import pandas as pd

from impact.places import linkage_eval as le


def _left() -> pd.DataFrame:
    return pd.DataFrame({
        "key": ["L1", "L2", "L3", "L4", "L5"],
        "name": ["ACME", "BETA", "GAMMA", "DELTA", "LOOK"],
        "truth": ["1", "2", "3", pd.NA, pd.NA],
        "weight": [10.0, 5.0, 5.0, 1.0, 1.0],
        "kind": ["labelled", "labelled", "labelled", "withheld", "lookalike"],
    })


RIGHT = pd.DataFrame({"key": ["R1", "R2", "R3", "R9"], "name": ["A", "B", "C", "X"],
                      "company_number": ["1", "2", "3", pd.NA]})


def test_score_counts_placed_right_wrong_and_suggestions() -> None:
    cands = pd.DataFrame([
        ("L1", "R1", 1, True),    # right
        ("L2", "R3", 1, True),    # wrong: placed elsewhere
        ("L2", "R2", 2, False),   # … but the right one is the second suggestion
        ("L3", "R9", 1, False),   # not placed; right one not suggested
        ("L4", "R1", 1, True),    # withheld company placed: wrong
        ("L5", "R9", 1, True),    # look-alike placed: wrong
    ], columns=["left_key", "right_key", "rank", "placed"])
    s = le.score(_left(), RIGHT, cands)
    assert (s.names, s.in_register, s.placed, s.placed_right) == (5, 3, 4, 1)
    assert math.isclose(s.precision, 1 / 4) and math.isclose(s.recall, 1 / 3)
    assert math.isclose(s.top3_recall, 2 / 3)
    assert math.isclose(s.payments_placed_right, 10 / 20)
    assert (s.lookalikes_placed, s.withheld_placed) == (1, 1)


def test_nothing_placed_has_no_precision() -> None:
    empty = pd.DataFrame(columns=["left_key", "right_key", "rank", "placed"])
    s = le.score(_left(), RIGHT, empty)
    assert math.isnan(s.precision) and s.recall == 0 and s.placed == 0


def test_halves_and_withheld_are_fixed_hashes() -> None:
    numbers = pd.Series([f"{i:08d}" for i in range(2000)])
    h = le.halves(numbers)
    assert h.tolist() == le.halves(numbers).tolist()
    assert 0.45 < (h == "report").mean() < 0.55
    assert 0.15 < le.withheld(numbers).mean() < 0.25
    assert le.halves(pd.Series(["01471913"])).iloc[0] == le.halves(pd.Series(["01471913"])).iloc[0]


def test_plain_key_marks_only_spelling_variants() -> None:
    a = pd.Series(["Smith's Hire Ltd", "ACME & SONS LIMITED", "THE GOOD FOOD CHAIN LTD", "JENNOR"])
    b = pd.Series(["SMITHS HIRE LIMITED", "Acme and Sons", "GOOD FOOD CHAIN", "JENNOR U.K."])
    assert (le.plain_key(a) == le.plain_key(b)).tolist() == [True, True, True, False]


def test_evaluation_set_keeps_withheld_companies_out_of_the_register() -> None:
    numbers = [f"{i:08d}" for i in range(40)]
    labelled = pd.DataFrame({"name": [f"FIRM {i} LTD" for i in range(40)],
                             "register_name": [f"FIRM {i} LIMITED" for i in range(40)],
                             "company_number": numbers, "weight": 1.0})
    distractors = pd.DataFrame({"name": ["FIRM 1 GROUP", "OTHER"],
                                "company_number": [numbers[1], "99999999"]})
    es = le.evaluation_set(labelled, distractors)
    gone = set(es.left.loc[es.left["kind"] == "withheld", "name"].str.extract(r"(\d+)")[0])
    assert gone and es.left.loc[es.left["kind"] == "withheld", "truth"].isna().all()
    in_register = set(es.right["company_number"].dropna())
    assert not {f"{int(g):08d}" for g in gone} & in_register
    assert len(es.left[es.left["kind"] == "lookalike"]) == len(le.LOOKALIKES)
    assert set(es.half("tune")["half"]) <= {"tune", "both"}
