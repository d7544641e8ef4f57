"""The measures layer: each headline figure on a table whose answers are worked by hand,
the one gate and its one rounding rule, the period, and the sentences' arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.analysis import measures as ms
from impact.analysis import sentences
from impact.analysis.measures import CouncilArea, Coverage, Figure, Period
from tests._joined import joined


def _tx() -> pd.DataFrame:
    return joined()


def _national(t: pd.DataFrame) -> pd.DataFrame:
    """The table plus £200 to a national body (HMRC): known, placed nowhere."""
    row = t.iloc[[4]].copy()
    row[["supplier_key", "location_band", "amount", "is_located", "supplier_class"]] = [
        "s6", "national", 200.0, False, "public_body"]
    return pd.concat([t, row], ignore_index=True)


AREA = CouncilArea("Town Council", ("E1",), ("Town",), ("R",), ("North East",), 1000.0)


# ----------------------------------------------------------------- the gate, the rounding


@pytest.mark.parametrize(("coverage", "shown", "enough"), [
    (0.494, "49%", False), (0.495, "50%", True), (0.4999, "50%", True), (0.5, "50%", True),
    (0.0, "0%", False), (1.0, "100%", True)])
def test_the_gate_reads_the_share_as_shown(coverage: float, shown: str, enough: bool) -> None:
    # one rounding rule (half up) for what is shown and for the gate: a figure resting on
    # "50%" is never called too little, and "49%" never passes
    assert ms.pct(coverage) == shown
    assert ms.enough(coverage) is enough
    fig = Figure("x", "X", 0.3, coverage=Coverage(ms.PLACED, coverage * 100, 100.0),
                 lower=0.1, upper=0.9)
    assert fig.enough is enough
    assert fig.text == ("30%" if enough else ms.NOT_ENOUGH_DATA)
    assert fig.detail == ("range 10%–90%" if enough else "between 10% and 90%")


def test_half_up_and_pence_and_the_multiplier_agree() -> None:
    assert ms.pct(0.125) == "13%" and ms.pct(0.135) == "14%"  # never banker's rounding
    assert ms.pence(0.295) == "30p" and ms.multiplier(1.4549) == "1.45"
    assert ms.multiplier(1.455) == "1.46" and ms.pct(None) == "—"
    assert ms.money(-540) == "\u2212£540" and ms.money(2_500_000) == "£2.5m"


def test_a_missing_figure_says_why_not_a_number() -> None:
    f = ms.local_figure(_tx(), CouncilArea("Nowhere"))
    assert f.value is None and f.text == ms.NOT_AVAILABLE and "district" in f.missing
    assert f.detail == f.missing


# ------------------------------------------------------------------------ the figures


def test_total_is_net_with_its_period() -> None:
    t = _tx()
    f = ms.total_figure(t, Period.of(t))
    assert f.value == pytest.approx(480.0) and f.text == "£480"
    # April holds only a credit: under a fifth of the usual month's spend
    assert "Jan 2024 to Apr 2024 (4 months; Apr 2024 probably incomplete)" in f.how
    assert f.inputs["credits"] == -20.0


def test_local_share_with_coverage_range_and_its_definition() -> None:
    f = ms.local_figure(_tx(), AREA)
    # positive spend 500; placed 400; local 150
    assert f.value == pytest.approx(150 / 400)
    assert f.coverage.share == pytest.approx(400 / 500) and f.coverage.kind is ms.PLACED
    assert (f.lower, f.upper) == pytest.approx((150 / 500, 250 / 500))
    assert f.text == "38%" and f.range_text == "30%–50%"
    assert f.rests_on == ("Based on the 80% of spend whose supplier we could place or know "
                          "to be a national body")
    assert "Local means a supplier placed inside Town" in f.caveats[0]


def test_regional_outside_and_deprived() -> None:
    t = _tx()
    assert ms.regional_figure(t, AREA).value == pytest.approx(300 / 400)
    assert ms.outside_figure(t, AREA).value == pytest.approx(100 / 400)
    d = ms.deprived_figure(t)
    # deciles known for s1 (100), s2 (50), s3 (150) = 300; deciles 1–2: 250
    assert d.value == pytest.approx(250 / 300) and d.coverage.share == pytest.approx(300 / 500)
    assert d.coverage.kind is ms.NEIGHBOURHOOD and d.lower == pytest.approx(250 / 500)


def test_each_share_rests_on_its_own_kind_of_coverage() -> None:
    # the VCSE share rests on the spend whose supplier's *type* is known (400 of 500, s5
    # unknown), never on the placed share: the caption says what its percent is of
    t = _tx()
    v, s = ms.vcse_figure(t), ms.sme_figure(t)
    assert v.value == pytest.approx(50 / 400) and v.coverage.kind is ms.TYPE
    assert "type" in v.rests_on and "place" not in v.rests_on
    assert s.value == pytest.approx(200 / 250) and s.coverage.share == pytest.approx(250 / 500)
    assert "size" in s.rests_on


def test_no_sme_status_is_not_enough_data_with_what_would_fill_it() -> None:
    t = _tx().assign(sme=None)
    f = ms.sme_figure(t)
    assert f.text == ms.NOT_ENOUGH_DATA and f.coverage.share == 0.0
    assert "supplier register" in f.detail  # the hint, not a blank "—"


def test_national_spend_is_known_and_never_local() -> None:
    t = _national(_tx())
    f = ms.local_figure(t, AREA)
    # positive 700; placed 400; national 200 (known: 600); local 150; unplaced 100
    assert f.value == pytest.approx(150 / 600) and f.coverage.share == pytest.approx(600 / 700)
    assert (f.lower, f.upper) == pytest.approx((150 / 700, 250 / 700))
    r, o = ms.regional_figure(t, AREA), ms.outside_figure(t, AREA)
    assert r.value + o.value == pytest.approx(1.0)  # local + rest of region + outside
    d = ms.deprived_figure(t)
    assert (d.value, d.coverage.share) == pytest.approx((250 / 500, 500 / 700))
    assert ms.public_bodies_figure(t).value == 300.0  # s4 and the national body


def test_a_figure_resting_on_too_little_is_withheld_everywhere() -> None:
    t = _tx()
    t.loc[t["supplier_key"].isin(["s2", "s3", "s4"]), ["location_band", "is_located"]] = [
        "not located", False]
    m = ms.measure(t, AREA)
    assert m.placed.value == pytest.approx(100 / 500)
    assert m.local.shown is None and m.local.text == ms.NOT_ENOUGH_DATA
    assert m.local.detail == "between 20% and 100%"
    row = m.figures()
    assert row["local"].text == row["regional"].text == ms.NOT_ENOUGH_DATA


def test_concentration_and_per_resident() -> None:
    t = _tx()
    top, hhi = ms.concentration_figures(t, 2)
    # named £500: s3 150, s1 100, s4 100, s5 100, s2 50
    assert top.value == pytest.approx(250 / 500)
    assert hhi.value == pytest.approx(30**2 + 3 * 20**2 + 10**2)
    p = ms.per_resident_figure(t, Period.of(t), AREA)
    # three complete months (April is a credit alone): net £500 ÷ 3 × 12 ÷ 1,000 residents
    assert p.value == pytest.approx(500 / 3 * 12 / 1000) and "Apr 2024" in p.how


# ---------------------------------------------------------------------------- the period


def _months(spend: dict[str, float], outside: int = 0) -> pd.DataFrame:
    t = pd.DataFrame({"period": list(spend), "amount": list(spend.values())})
    t["dated_outside_file"] = [i < outside for i in range(len(t))]
    return t


def test_period_says_gaps_and_incomplete_months() -> None:
    p = Period.of(_months({"2024-04": 100, "2024-05": 110, "2024-06": 3, "2024-08": 90},
                          outside=1))
    assert p.missing == ("2024-07",) and p.thin == ("2024-06",) and p.outside_file == 1
    assert p.text == "Apr 2024 to Aug 2024 (4 of 5 months published; Jun 2024 probably " \
                     "incomplete)"
    assert p.complete_months == ("2024-04", "2024-05", "2024-08")
    assert Period.of(_months({"2024-04": 1, "2024-05": 100})).thin == ()  # too few to tell


def test_a_filter_never_calls_a_month_incomplete() -> None:
    # one department spends little in May: the council's May is complete
    whole = Period.of(_months({"2024-04": 100, "2024-05": 100, "2024-06": 100}))
    few = _months({"2024-04": 100, "2024-05": 1, "2024-06": 100})
    assert Period.of(few).thin == ("2024-05",) and whole.within(few).thin == ()


def test_a_quarter_is_judged_only_with_every_month_payments_and_coverage() -> None:
    t = pd.concat([_tx()] * 10, ignore_index=True).assign(period="2024-01")
    full = pd.concat([t.assign(period=m) for m in ("2024-01", "2024-02", "2024-03")])
    assert ms.judged(ms.measure(full, AREA), 3)
    assert not ms.judged(ms.measure(t, AREA), 3)  # one month of three
    assert not ms.judged(ms.measure(full.head(8), AREA), 3)  # a quarter of 8 payments


# ------------------------------------------------------------------------ the sentences


def test_pound_sentence_by_hand() -> None:
    m = ms.measure(_tx(), AREA)
    text = sentences.pound_sentence(m)
    # local 150/400 = 37.5 % → 38p; regional 75 % → 75 − 38 = 37p; further 100 − 75 = 25p
    assert text.startswith("Of every £1 Town Council paid to suppliers we could place or know "
                           "to be national bodies, 38p went to suppliers based in Town, 37p to "
                           "suppliers elsewhere in the North East and 25p further afield.")
    assert "We could place 80% of spend." in text


def test_known_sentence_adds_up_below_the_gate() -> None:
    # placed 43 %, local 13 % of all spend: 13p + 30p elsewhere = 43p traced; 57p unknown
    n = 100
    t = pd.DataFrame({"supplier_key": [f"s{i}" for i in range(n)], "amount": 1.0,
                      "period": "2024-01", "supplier_class": "company", "sme": None,
                      "vcse": None, "imd_decile": np.nan})
    t["location_band"] = ["council"] * 13 + ["elsewhere"] * 30 + ["not located"] * 57
    t["is_located"] = t["location_band"] != "not located"
    m = ms.measure(t, AREA)
    assert sentences.traced_pence(m) == (43, 13, 30)
    text = sentences.known_sentence(m)
    assert ("We can trace where 43p of every £1 went: 13p of it to suppliers based in Town and "
            "30p elsewhere. We do not yet know where the other 57p went, so between 13% and "
            "70% of all spend stayed local") in text
    assert sentences.pound_sentence(m) == text == sentences.local_sentence(m)
