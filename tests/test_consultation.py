"""The consultation story: the Overview's local share and the Re-spend page's multiplier in
pence that add up as printed, and plain words below the gate."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.analysis.measures import (
    ROUND_ONE,
    CouncilArea,
    Coverage,
    Figure,
    Measures,
    measure,
    with_lm3,
)
from impact.outputs import consultation as cons

AREA = CouncilArea("Anytown Council", ("E1",), ("Anytown",))


def _measures(placed: int, local: int, lm3: float | None = None) -> Measures:
    """100 payments of £1: ``local`` in the area, ``placed`` placed in all; an LM3 figure
    whose round 2 is the local share (the same area, no pay bill) when ``lm3`` is given."""
    t = pd.DataFrame({"supplier_key": [f"s{i}" for i in range(100)], "amount": 1.0,
                      "period": "2024-01", "supplier_class": "company"})
    t["location_band"] = (["council"] * local + ["elsewhere"] * (placed - local)
                          + ["not located"] * (100 - placed))
    t["is_located"] = t["location_band"] != "not located"
    m = measure(t, AREA)
    if lm3 is None:
        return m
    r2 = 100 * local / placed  # unplaced £ local like placed £
    fig = Figure("lm3", "Local multiplier (LM3)", lm3, "multiplier",
                 inputs={"r1": 100.0, "r2": r2, "r3": 100 * (lm3 - 1) - r2},
                 coverage=Coverage(ROUND_ONE, placed, 100.0), lower=1.2, upper=1.9,
                 band=(lm3 - 0.05, lm3 + 0.05))
    return with_lm3(m, fig)


def test_story_with_enough_traced_adds_up_to_the_multiplier():
    # local share 40/80 = 50p; LM3 1.62 → 62p beyond the £1 = 50p stays + 12p re-spent
    s = cons.pound_story(_measures(80, 40, 1.62))
    assert s.enough and (s.traced_p, s.local_p, s.respent_p) == (80, 50, 12)
    assert s.steps == (("100p", "spent by the council"), ("50p", "stays here"),
                       ("12p", "re-spent here"))
    assert 100 + s.local_p + s.respent_p == 162 and "about £1.62" in s.sentence
    assert "about 50p goes to businesses" in s.sentence and "50p to suppliers" in s.sentence
    assert "For the other 20p we have not yet found where the supplier is" in s.coverage_words
    flow = cons.flow_table(s)
    assert flow.groupby("step", sort=False)["pence"].sum().tolist() == [100, 50]


def test_the_story_shows_the_overviews_local_share():
    m = _measures(80, 40, 1.62)
    assert f"{cons.pound_story(m).local_p}%" == m.local.text == "50%"


def test_a_multiplier_of_another_area_is_not_split_into_pence():
    m = _measures(80, 40, 1.62)
    other = with_lm3(m, Figure("lm3", "LM3", 1.62, "multiplier",
                               inputs={"r1": 100.0, "r2": 30.0, "r3": 32.0},
                               coverage=m.lm3.coverage, band=(1.5, 1.7)))
    s = cons.pound_story(other)
    assert s.respent_p is None and len(s.steps) == 2 and "worth" not in s.sentence


def test_story_below_the_gate_says_what_is_known():
    # Manchester-like: 27p traced, 2p of it local; never "2p of every £1 stays local".
    s = cons.pound_story(_measures(27, 2, 1.1))
    assert not s.enough
    assert "We can trace where 27p of every £1" in s.sentence
    assert "Of those 27p, 2p went to businesses" in s.sentence
    assert "cannot yet say how much of each £1 stays here" in s.sentence
    assert s.steps[1] == ("27p", "we can trace") and s.steps[2] == ("2p", "of it traced to here")
    flow = cons.flow_table(s)
    assert flow["pence"].sum() == 100
    assert flow.set_index("part").loc["not yet known", "pence"] == 73


@pytest.mark.parametrize(("placed", "enough"), [(49, False), (50, True)])
def test_the_gate_is_every_pages(placed, enough):
    assert cons.pound_story(_measures(placed, 10)).enough is enough


def test_story_names_the_pound_when_public_bodies_are_left_out():
    s = cons.pound_story(_measures(55, 20), public_bodies_share=0.41)
    assert s.public_bodies_p == 41
    assert s.sentence.startswith("Of every £1 the council spends with businesses and charities")
    assert "other public bodies (41p of every £1 the council spends) are left out" in \
        s.coverage_words
    plain = cons.pound_story(_measures(55, 20))
    assert plain.public_bodies_p is None and "public bodies" not in plain.coverage_words
    assert "spends with suppliers" in plain.sentence


def test_no_story_without_the_councils_area():
    t = _measures(80, 40)
    assert cons.pound_story(measure(pd.DataFrame(
        {"amount": [1.0], "period": ["2024-01"], "supplier_class": ["company"],
         "location_band": ["council"], "is_located": [True], "supplier_key": ["a"]}),
        CouncilArea("Nowhere"))) is None and t.local.shown is not None
