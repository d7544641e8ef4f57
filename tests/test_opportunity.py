"""Left-behind rule and opportunity score: hand-computed values on a tiny table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from impact.analysis.opportunity import LeftBehindRule, OpportunityWeights, opportunity, target


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["A", "B", "C", "D"],
            "population": [1000.0, 1000.0, 2000.0, 1000.0],
            "imd_rank": [3375.5, 16877.5, 30379.5, 1.0],  # need 0.9, 0.5, 0.1, ~1.0
            "spend": [0.0, 100.0, 300.0, 600.0],
            "spend_per_resident": [0.0, 0.1, 0.15, 0.6],
            "share_pop_decile1_2": [1.0, 0.6, 0.0, 0.4],
            "suppliers_company": [2, 0, 5, 1],
            "suppliers_vcse": [1, 0, 0, 0],
            "suppliers_other": [0, 0, 0, 0],
        }
    )


def test_rule_flags_deprived_areas_with_low_reach_and_describes_itself():
    rule = LeftBehindRule()
    flags = rule.apply(_table())
    # reach cut = 1/3 quantile of [0, 0.1, 0.15, 0.6] = 0.1: A and B are low; C, D are not
    # deprived enough (0 % and 40 % of residents in deciles 1-2)
    assert flags.tolist() == [True, True, False, False]
    strict = LeftBehindRule(reach_quantile=0.25)  # cut 0.075: only A
    assert strict.apply(_table()).tolist() == [True, False, False, False]
    loose = LeftBehindRule(min_share=0.4, reach_quantile=1.0)
    assert loose.apply(_table()).tolist() == [True, True, False, True]
    text = rule.describe()
    assert "at least 50%" in text and "deciles 1–2" in text and "lowest third" in text
    with pytest.raises(ValueError):
        LeftBehindRule(max_decile=0)


def test_opportunity_parts_are_hand_computable():
    # A-B-C-D in a line
    chain = sparse.diags([1.0, 1.0], [-1, 1], shape=(4, 4), dtype=float).tocsr()
    out = opportunity(_table(), chain, OpportunityWeights(need=1, gap=1, capacity=0))
    assert np.allclose(out["need"], [0.9, 0.5, 0.1, 1 - 1 / 33755])
    weight = np.array([900, 500, 200, 1000 - 1000 / 33755])
    fair = weight / weight.sum()
    actual = np.array([0, 100, 300, 600]) / 1000
    assert np.allclose(out["gap"], np.clip(1 - actual / fair, 0, 1))
    assert out.loc[0, "gap"] == 1.0 and out.loc[2, "gap"] == 0.0
    assert np.allclose(out["score"], 50 * out["need"] + 50 * out["gap"])
    assert out["suppliers_near"].tolist() == [3, 8, 6, 6]  # own + touching areas
    assert out.loc[out["rank"] == 1, "code"].item() == "A"
    assert out.loc[0, "reason"].startswith("Score 95: no placed local spend reaches it")
    assert "most deprived 10 %" in out.loc[0, "reason"]


def test_target_lists_the_best_areas_for_scenarios():
    out = opportunity(_table(), sparse.csr_matrix((4, 4)))
    t = target(out, "ward", top=2)
    assert t.unit == "ward" and len(t.codes) == 2 and t.codes[0] == "A"


def test_weights_must_be_sensible():
    with pytest.raises(ValueError):
        OpportunityWeights(0, 0, 0).normalised()
    assert OpportunityWeights(2, 1, 1).normalised() == (0.5, 0.25, 0.25)
