"""LM3 model: nef's worked figures, properties, the demo borough and Manchester."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.analysis.multiplier import (
    Draws,
    LM3Model,
    ModelSettings,
    Staff,
    central_band,
    draw,
    lm3_from_rounds,
    monte_carlo,
    monte_carlo_inputs,
    nef_northumberland_comparison,
    rounds_table,
    run_model,
    simulate,
    spend_rows,
    value_per_pound,
)
from impact.analysis.priors import default_priors, load_priors, save_priors
from impact.places.localarea import LocalArea, haversine_km

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "impact.cli"]  # this checkout's command line


# --- nef's published arithmetic ------------------------------------------------------


def test_money_trail_three_rounds():
    # nef, The Money Trail (2002): R1 £100 spent; £50 of it received by local suppliers and
    # staff (R2); they re-spend £25 locally (R3).  LM3 = (100 + 50 + 25) / 100 = 1.75.
    assert lm3_from_rounds(100, 50, 25) == 1.75


def test_northumberland_local_vs_non_local():
    # nef for Northumberland County Council, 2005: local suppliers re-spent 76 % locally,
    # non-local 36 %: £1 with a local supplier is worth £1.76, with a non-local one £0.36.
    assert nef_northumberland_comparison() == {"local": 1.76, "non_local": 0.36}
    assert value_per_pound(True, 0.76) == 1.76
    assert value_per_pound(False, 0.36) == 0.36


def test_published_figures_match_priors(shared_data):
    pub = pd.read_csv(shared_data / "lm3" / "lm3_and_local_spend_published_figures.csv")
    nef = pub[pub["study"] == "nef LM3 Northumberland"].set_index("metric")["value"]
    gen = default_priors().query("supplier_class == '*' and sic_section == '*'")
    gen = gen.set_index("recipient")["central"]
    assert gen["local"] == nef["share of contract income re-spent locally by local suppliers"]
    assert (
        gen["non_local"] == nef["share of contract income re-spent locally by non-local suppliers"]
    )
    assert (
        nef_northumberland_comparison()["local"]
        == nef["value to local economy of GBP1 spent with a local supplier"]
    )


@pytest.mark.parametrize("r", [(0, 0, 0), (100, 120, 0), (100, 50, 60), (100, -1, 0)])
def test_lm3_from_rounds_rejects_impossible(r):
    with pytest.raises(ValueError):
        lm3_from_rounds(*r)


# --- a hand-built spend table --------------------------------------------------------


def _spend(amounts, statuses, classes=None, sections=None) -> pd.DataFrame:
    n = len(amounts)
    return pd.DataFrame(
        {
            "supplier_key": [f"k{i}" for i in range(n)],
            "directorate": ["A" if i % 2 else "B" for i in range(n)],
            "amount": np.asarray(amounts, dtype=float),
            "local_status": statuses,
            "supplier_class": classes or ["company"] * n,
            "sic_section": sections or [pd.NA] * n,
            "ward_code": [f"W{i % 3}" for i in range(n)],
            "ward_name": [f"Ward {i % 3}" for i in range(n)],
        }
    )


def _flat_priors(share: float) -> pd.DataFrame:
    p = default_priors()
    p = p[(p["supplier_class"] == "*") & (p["sic_section"] == "*")].copy()
    p.loc[p["recipient"] == "local", ["low", "central", "high"]] = share
    return p


def test_hand_worked_model_with_band():
    # £60 local, £20 non-local, £20 unplaced; flat re-spend 50 %.  Placed local share
    # p = 60/80 = 0.75, so like placed £: R2 = 60 + 15 = 75, R3 = 37.5 → LM3 = 2.125.
    # Range: every unplaced £ leaves: R2 = 60, R3 = 30 → 1.9; stays: R2 = 80, R3 = 40 → 2.2.
    s = _spend([60, 20, 20], ["local", "non_local", "unknown"])
    m = LM3Model(priors=_flat_priors(0.5), n_draws=200).fit(s)
    assert m.r1_ == 100 and m.r2_ == 75 and m.r3_ == 37.5
    assert m.lm3_ == pytest.approx(2.125) and m.retained_ == pytest.approx(112.5)
    # flat priors: every draw is the central figure
    assert m.lm3_p10_ == m.lm3_p50_ == m.lm3_p90_ == pytest.approx(2.125)
    assert m.lm3_lower_ == pytest.approx(1.9) and m.lm3_upper_ == pytest.approx(2.2)
    assert m.retained_lower_ == pytest.approx(90) and m.retained_upper_ == pytest.approx(120)
    assert m.band_drivers_["main_driver"].startswith("placing more suppliers")
    assert "Unplaced spend £20" in m.how_calculated_
    # non-local re-spend at nef's 36 % is reported beside LM3, not in it
    assert m.r3_non_local_ == pytest.approx(20 * 0.36)


def test_payroll_counts_in_r1_and_r2():
    s = _spend([100], ["non_local"])
    m = LM3Model(payroll_gbp=100, staff_local_share=0.5).fit(s)
    staff = default_priors().query("supplier_class == 'staff'")["central"].iloc[0]
    assert m.r1_ == 200 and m.r2_ == 50
    assert m.r3_ == pytest.approx(50 * staff)


def test_public_bodies_excluded_by_default():
    s = _spend([50, 50], ["local", "local"], ["company", "public_body"])
    assert LM3Model(n_draws=5).fit(s).r1_ == 50
    assert LM3Model(n_draws=5, exclude_public_bodies=False).fit(s).r1_ == 100


def test_survey_share_replaces_prior():
    s = _spend([100], ["local"])
    sv = pd.DataFrame({"supplier_key": ["k0"], "respend_share": [0.2]})
    m = LM3Model(survey_shares=sv, n_draws=50).fit(s)
    assert m.r3_ == pytest.approx(20) and m.lm3_p10_ == pytest.approx(m.lm3_p90_)


def test_breakdowns_add_up():
    s = _spend([10, 20, 30, 40, 50], ["local", "non_local", "local", "unknown", "local"])
    m = LM3Model(priors=_flat_priors(0.5), n_draws=10).fit(s)
    assert m.by_directorate_["r1"].sum() == pytest.approx(m.r1_)
    assert m.by_class_["r2_central"].sum() == pytest.approx(m.r2_)
    # wards hold placed local suppliers only: the R2 with every unplaced £ leaving
    assert m.by_ward_["r2"].sum() == pytest.approx(m.rounds_["gbp_lower"].iloc[1])
    assert list(m.rounds_["round"]) == ["R1", "R2", "R3"]
    assert m.waterfall_["gbp"].iloc[-1] == pytest.approx(m.r1_ * m.lm3_)


def test_bad_settings_are_one_line_errors():
    s = _spend([10], ["local"])
    with pytest.raises(ValueError, match="local_status"):
        LM3Model().fit(s.assign(local_status="here"))
    with pytest.raises(ValueError, match="lacks"):
        LM3Model().fit(s.drop(columns="amount"))


# --- properties ------------------------------------------------------------------------

amounts = st.lists(st.floats(0, 1e6), min_size=1, max_size=12)


@settings(max_examples=30, deadline=None)
@given(amounts, st.data())
def test_lm3_between_one_and_three(a, data):
    statuses = data.draw(
        st.lists(
            st.sampled_from(["local", "non_local", "unknown"]), min_size=len(a), max_size=len(a)
        )
    )
    share = data.draw(st.floats(0, 1))
    if sum(a) <= 0:
        return
    m = LM3Model(priors=_flat_priors(share), n_draws=20).fit(_spend(a, statuses))
    for v in (m.lm3_, m.lm3_upper_, m.lm3_p10_, m.lm3_p90_):
        assert 1 - 1e-12 <= v <= 3 + 1e-12


@settings(max_examples=20, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_lm3_monotone_in_local_share_and_respend(l1, l2, s1, s2):
    (l1, l2), (s1, s2) = sorted((l1, l2)), sorted((s1, s2))

    def lm3(local: float, share: float) -> float:
        s = _spend([100 * local, 100 * (1 - local)], ["local", "non_local"])
        return LM3Model(priors=_flat_priors(share), n_draws=5).fit(s).lm3_

    assert lm3(l1, s1) <= lm3(l2, s1) + 1e-12
    assert lm3(l1, s1) <= lm3(l1, s2) + 1e-12


# --- local area, priors file -------------------------------------------------------------


def test_haversine_and_radius():
    # London (51.5074, -0.1278) to Manchester (53.4808, -2.2426): about 262 km
    assert haversine_km(51.5074, -0.1278, 53.4808, -2.2426) == pytest.approx(262, abs=2)
    sup = pd.DataFrame(
        {
            "lat": [53.48, 51.5, np.nan],
            "long": [-2.24, -0.12, np.nan],
            "is_located": [True, True, False],
        }
    )
    st_ = LocalArea.radius(20, (53.4808, -2.2426)).status(sup)
    assert list(st_) == ["local", "non_local", "unknown"]
    with pytest.raises(ValueError):
        LocalArea.radius(-1, (53, -2))


def test_a_national_body_is_known_non_local_not_unplaced():
    # HMRC has no place (not located) but is known: no place's local spend, so it must not
    # sit in the unplaced band that the upper bound counts as possibly local.
    sup = pd.DataFrame({"lad_code": ["E1", "E2", None, None],
                        "is_located": [True, True, False, False],
                        "place_basis": ["council_register", "registered_office", "national",
                                        None]})
    status = LocalArea.districts(["E1"]).status(sup)
    assert list(status) == ["local", "non_local", "non_local", "unknown"]


def test_priors_round_trip(tmp_path):
    p = default_priors()
    p.loc[0, "central"] = 0.7
    path = save_priors(tmp_path / "council" / "priors.csv", p)
    back = load_priors(path)
    assert back.loc[0, "central"] == 0.7 and len(back) == len(p)
    assert load_priors(tmp_path / "missing.csv").equals(default_priors())
    bad = p.copy()
    bad.loc[1, "low"] = 0.9
    with pytest.raises(ValueError, match="row 2"):
        save_priors(tmp_path / "bad.csv", bad)
    assert not (tmp_path / "bad.csv").exists()
    with pytest.raises(ValueError, match="fallback"):
        save_priors(tmp_path / "bad.csv", p[p["supplier_class"] != "*"])


# --- the demo borough -----------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lm3demo")
    demo = ROOT / "data" / "demo"
    for cmd in (
        ["ingest", str(demo / "spend"), "--council", "Demo", "--out", str(out)],
        [
            "locate",
            str(out),
            "--register",
            str(demo / "supplier_register.csv"),
            "--reference",
            str(demo / "reference"),
        ],
    ):
        subprocess.run(CLI + cmd, check=True, capture_output=True, cwd=ROOT)
    return out


def _folder(out: Path):
    return (pd.read_parquet(out / "transactions.parquet"),
            pd.read_parquet(out / "suppliers.parquet"))


def test_demo_model(demo_ws):
    tx, sup = _folder(demo_ws)
    res = run_model((tx, sup), ModelSettings(lad_codes=("E09999999",), n_draws=500))
    m = res.model
    pub = sup.loc[sup["supplier_class"] == "public_body", "supplier_key"]
    # R1 recomputed independently: positive payments to non-public-body suppliers
    from impact.ingest.schema import supplier_keys

    keys = supplier_keys(tx)
    pos = tx["amount"] > 0
    assert m.r1_ == pytest.approx(tx.loc[pos & ~keys.isin(pub), "amount"].sum())
    loc = sup.loc[(sup["lad_code"] == "E09999999") & sup["is_located"], "supplier_key"]
    r2_placed = m.rounds_.set_index("round").loc["R2", "gbp_lower"]  # unplaced £ leaving
    assert r2_placed == pytest.approx(tx.loc[pos & keys.isin(loc) & ~keys.isin(pub),
                                             "amount"].sum())
    assert 1 < m.lm3_p10_ <= m.lm3_p50_ <= m.lm3_p90_ < 3
    assert m.lm3_lower_ <= m.lm3_upper_
    acc = res.inputs.accounting
    assert (
        acc["rows_used_positive"]
        + acc["rows_left_out_credit_or_zero"]
        + acc["rows_left_out_amount_missing"]
        == acc["transaction_rows"]
    )
    # wider area (council + neighbours) can only raise LM3
    wide = run_model(
        (tx, sup),
        ModelSettings(lad_codes=("E09999999", "E07999991", "E07999992", "E07999993"), n_draws=50),
    )
    assert wide.model.lm3_ >= m.lm3_
    assert "E09999999" not in res.how_calculated  # codes never reach people


def test_demo_cli_json(demo_ws):
    import json

    r = subprocess.run(
        [
            *CLI,
            "lm3",
            str(demo_ws),
            "--json",
            "--reference",
            str(ROOT / "data" / "demo" / "reference"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["local_area"] == "suppliers placed in Demo Borough (synthetic)"
    assert 1 <= out["lm3"] <= 3 and out["lower"] <= out["lm3"] <= out["upper"]
    assert out["text"] == f"{out['lm3']:.2f}" and out["rests_on"].startswith("Based on")
    bad = subprocess.run(
        [*CLI, "lm3", "/nonexistent"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 2 and "does not exist" in bad.stderr


@pytest.mark.shared
def test_manchester(shared_data, tmp_path_factory):
    # The time this takes (≤ 120 s) is measured by `python -m bench --only lm3`.
    out = tmp_path_factory.mktemp("lm3man")
    subprocess.run(
        [
            *CLI,
            "ingest",
            str(shared_data / "spend" / "manchester"),
            "--council",
            "Manchester",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    subprocess.run(
        [*CLI, "locate", str(out), "--reference", str(shared_data)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    res = run_model(_folder(out), ModelSettings(lad_codes=("E08000003",), n_draws=300))
    m = res.model
    assert m.r1_ > 1e8 and 1 < m.lm3_lower_ < m.lm3_upper_ < 3
    assert m.lm3_p10_ <= m.lm3_p50_ <= m.lm3_p90_


# --- the model's steps -----------------------------------------------------------------


def _rows(amounts, statuses, share=0.5, survey=None):
    return spend_rows(_spend(amounts, statuses), _flat_priors(share), survey)


def _staff(payroll=0.0, local_share=0.0, central=0.5):
    prior = pd.Series({"low": central, "central": central, "high": central})
    return Staff.from_payroll(payroll, local_share, prior)


def test_central_band_by_hand():
    # £60 local, £20 non-local, £20 unlocated at 50 %; payroll £100, half paid locally,
    # staff re-spend 40 %: R1 = 200; lower R2 = 60 + 50, R3 = 30 + 20; located local
    # share 60/80 = 0.75, so the upper end places £15 more locally.
    band = central_band(
        _rows([60, 20, 20], ["local", "non_local", "unknown"]), _staff(100, 0.5, 0.4)
    )
    assert band.r1 == 200 and band.local_share_located == 0.75 and band.unlocated_gbp == 20
    assert (band.lower.r2, band.lower.r3) == (110, 50)
    assert (band.central.r2_suppliers, band.central.r3_suppliers) == (75, 37.5)
    assert (band.upper.r2_suppliers, band.upper.r3_suppliers) == (80, 40)
    assert band.lm3(band.lower) == pytest.approx(360 / 200)
    assert [band.fraction(w) for w in ("leaves", "like placed", "stays")] == [0, 0.75, 1]


def test_monte_carlo_inputs_keep_every_pound():
    survey = pd.DataFrame({"supplier_key": ["k0", "k3"], "respend_share": [0.2, 0.9]})
    statuses = ["local", "local", "non_local", "unknown", "unknown"]
    rows = _rows([10, 20, 30, 40, 50], statuses, survey=survey)
    band = central_band(rows, _staff())
    mc = monte_carlo_inputs(rows, band, _flat_priors(0.5))
    assert mc.local_by_prior.sum() == 20 and mc.unlocated_by_prior.sum() == 50  # not surveyed
    assert mc.surveyed_r3_local == pytest.approx(10 * 0.2)
    assert mc.surveyed_r3_unlocated == pytest.approx(40 * 0.9)


def test_draws_reproducible_and_within_the_prior_ranges():
    p = default_priors()
    s = _spend(
        [10, 20, 30],
        ["local", "unknown", "local"],
        ["company", "vcse", "company"],
        ["F", pd.NA, "Q"],
    )
    rows = spend_rows(s, p, None)
    mc = monte_carlo_inputs(rows, central_band(rows, _staff()), p)
    a, b = draw(mc, 400, 7), draw(mc, 400, 7)
    np.testing.assert_array_equal(a.shares, b.shares)
    assert a.shares.shape == (400, len(mc.prior_central))
    assert ((a.shares >= mc.prior_low) & (a.shares <= mc.prior_high)).all()
    assert not np.array_equal(draw(mc, 400, 8).shares, a.shares)


def test_simulate_at_central_priors_gives_the_round_by_round_figures():
    rows = _rows([60, 20, 20], ["local", "non_local", "unknown"])
    band = central_band(rows, _staff(100, 0.5, 0.4))
    mc = monte_carlo_inputs(rows, band, _flat_priors(0.5))
    central = Draws(np.tile(mc.prior_central, (1, 1)), np.full(1, 0.4))
    for rounds, where in ((band.lower, "leaves"), (band.central, "like placed"),
                          (band.upper, "stays")):
        lm3, retained = simulate(mc, central, band.fraction(where))
        assert lm3 == pytest.approx([band.lm3(rounds)])
        assert retained == pytest.approx([rounds.retained])


def test_monte_carlo_names_the_driver_of_the_band():
    # fixed priors: only where unplaced spend is can move LM3
    rows = _rows([60, 20, 20], ["local", "non_local", "unknown"])
    mc = monte_carlo_inputs(rows, central_band(rows, _staff()), _flat_priors(0.5))
    res = monte_carlo(mc, draw(mc, 200, 1))
    assert res.band_drivers["priors_p10_p90_width"] == 0
    assert res.band_drivers["unplaced_range_width"] == pytest.approx(2.2 - 1.9)
    assert res.band_drivers["main_driver"].startswith("placing more suppliers")
    assert list(res.draws.columns) == ["lm3", "retained"] and len(res.draws) == 200
    assert res.lm3_percentiles[0] <= res.lm3_percentiles[1] <= res.lm3_percentiles[2]


def test_rounds_table_splits_suppliers_and_staff():
    band = central_band(
        _rows([60, 20, 20], ["local", "non_local", "unknown"]), _staff(100, 0.5, 0.4)
    )
    t = rounds_table(band).set_index("round")
    assert t.loc["R1", "gbp_suppliers"] + t.loc["R1", "gbp_staff"] == 200
    assert t.loc["R2", "gbp_central"] == band.central.r2
    assert t.loc["R2", "gbp_upper"] == band.upper.r2
    assert t.loc["R3", "gbp_staff"] == pytest.approx(50 * 0.4)
    assert t.attrs["unlocated_gbp"] == 20


def test_headline_is_p50_inside_its_band_and_its_range():
    # Skewed priors (central at the top of low–high): the P50 of the draws falls below the
    # central-prior figure, which is why a central-prior "lower bound" once sat above the
    # headline ("LM3 1.72 … lower bound 1.74").  The range's ends are P50s of the same
    # draws, so the headline always lies between them.
    s = _spend([70, 29, 1], ["local", "non_local", "unknown"])
    skew = _flat_priors(0.5)
    skew.loc[skew["recipient"] == "local", ["low", "central", "high"]] = [0.1, 0.8, 0.8]
    m = LM3Model(priors=skew, n_draws=400).fit(s)
    h = m.headline_
    assert h.lm3 == m.lm3_p50_ and h.retained == m.retained_p50_
    assert h.lm3_p10 <= h.lm3 <= h.lm3_p90
    assert h.retained_p10 <= h.retained <= h.retained_p90
    assert h.lm3_lower <= h.lm3 <= h.lm3_upper
    assert h.lm3 < m.lm3_  # the skew: P50 below the central-prior figure
    lower_at_central = 1 + (70 + 70 * 0.8) / 100  # every unplaced £ leaves, central prior
    assert h.lm3 < lower_at_central  # what used to be called the lower bound
    assert h.placed_share == pytest.approx(0.99)
    assert h.lm3_text == f"{h.lm3:.2f} (P10–P90 {h.lm3_p10:.2f}–{h.lm3_p90:.2f})"
