"""The consultation story: big numbers per step, and plain words below the threshold."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from impact.outputs import consultation as cons


def _result(r1: float, r2: float, r3: float, placed: float) -> SimpleNamespace:
    head = SimpleNamespace(lm3=(r1 + r2 + r3) / r1 + 0.02, lm3_p10=1.4, lm3_p90=1.7,
                           placed_share=placed)
    return SimpleNamespace(model=SimpleNamespace(r1_=r1, r2_=r2, r3_=r3, headline_=head))


def test_story_with_enough_traced():
    s = cons.pound_story(_result(100, 41, 12, 0.8))
    assert s.enough and (s.local_p, s.respent_p, s.traced_p) == (41, 12, 80)
    assert s.steps == (("100p", "spent by the council"), ("41p", "stays here"),
                       ("12p", "re-spent here"))
    assert "at least 41p" in s.sentence and "£1.55" in s.sentence
    assert "20p went to suppliers we have not yet placed" in s.coverage_words
    assert "39p goes to suppliers elsewhere" in s.sentence
    assert "we do not yet know where the other 20p went" in s.sentence
    flow = cons.flow_table(s)
    assert flow.groupby("step", sort=False)["pence"].sum().tolist() == [100, 41]
    # the untraced 20p is shown as not known, never as leaving
    assert flow.set_index("part").loc["not yet known", "pence"] == 20


def test_story_below_the_threshold_says_what_is_known():
    # Manchester-like: 27p traced, 2p of it local; never "2p of every £1 stays local".
    s = cons.pound_story(_result(100, 2, 1, 0.27))
    assert not s.enough
    assert "stays local" not in s.sentence.replace("how much of each £1 stays local", "")
    assert "We can trace where 27p of every £1" in s.sentence
    assert "cannot yet say how much of each £1 stays local" in s.sentence
    assert s.steps[1] == ("27p", "we can trace")
    flow = cons.flow_table(s)
    assert flow["pence"].sum() == 100
    assert flow.set_index("part").loc["not yet known", "pence"] == 73


@pytest.mark.parametrize("placed, enough", [(0.49, False), (0.5, True)])
def test_threshold_is_the_compare_pages(placed, enough):
    assert cons.pound_story(_result(100, 30, 10, placed)).enough is enough


def test_story_names_the_pound_when_public_bodies_are_left_out():
    # Hyndburn-like: the model leaves out payments to other public bodies (41% of all
    # spend), so "we know where 55p went" is of the rest, and the story says so.
    res = _result(100, 1, 1, 0.55)
    res.inputs = SimpleNamespace(accounting={
        "positive_spend_gbp": 200.0, "public_body_spend_gbp": 82.0,
        "public_bodies_excluded": True})
    s = cons.pound_story(res)
    assert s.public_bodies_p == 41
    assert s.sentence.startswith("Of every £1 the council spends with businesses and charities")
    assert "other public bodies (41p of every £1 the council spends) are left out" in \
        s.coverage_words
    res.inputs.accounting["public_bodies_excluded"] = False
    plain = cons.pound_story(res)
    assert plain.public_bodies_p is None and "public bodies" not in plain.coverage_words
    assert "spends with suppliers" in plain.sentence
