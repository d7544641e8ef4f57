"""Charter scorecard: robust attribute reading, matching, unknown ≠ no, roll-ups, flags."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.analysis import charter as ch
from impact.ingest.schema import supplier_keys


def _tx_sup():
    sup = pd.DataFrame({
        "supplier_key": ["k1", "k2", "k3", "k4"],
        "supplier_id": ["100", "200", None, "400"],
        "company_number": ["01234567", None, None, "07654321"],
        "supplier_name": ["Alpha Builders Ltd", "Beta Care", "Gamma Cafe", "Delta Council"],
        "supplier_class": ["company", "company", "company", "public_body"],
    })
    tx = pd.DataFrame({
        "supplier_key": ["k1", "k1", "k2", "k3", "k4"],
        "amount": [600.0, 400.0, 500.0, 100.0, 9999.0],
        "directorate": ["Place", "People", "People", "Place", "Place"],
        "supplier_class": ["company", "company", "company", "company", "public_body"],
    })
    return tx, sup


CSV = (
    "Supplier ID,Company No,Supplier Name,Real Living Wage,Modern slavery statement,"
    "Carbon reduction plan,Net zero year,Days to pay,Apprentices,Training plan,"
    "Local hiring,Excluded\n"
    "100,,,Y,maybe,Yes,2040,45,2,,60%,N\n"       # by id; 'maybe' is an issue
    ",,BETA CARE LIMITED,N,,No,,20,0,N,,\n"        # by normalised name
    ",,,Y,,,,,,,,\n"                               # no identifier: rejected
    "100,,,N,,,,,,,,\n"                            # duplicate of line 2: rejected
    ",99999999,Nobody Ltd,Y,,,,,,,,\n"             # matches nothing
)


def test_read_match_and_unknown_is_not_no() -> None:
    tx, sup = _tx_sup()
    attrs = ch.read_attributes(CSV.encode("utf-8"))
    assert attrs.rows_in == 5
    assert attrs.rejected["row"].tolist() == [4]
    assert set(attrs.issues["field"]) == {"modern_slavery_statement"}
    res = ch.scorecard(tx, sup, attrs)
    s = res.scores.set_index("supplier_key")
    assert "k4" not in s.index  # public body not scored
    assert s.loc["k1", "matched_by"] == "supplier id"
    assert s.loc["k2", "matched_by"] == "name"
    assert s.loc["k1", "good_jobs"] == ch.YES and s.loc["k2", "good_jobs"] == ch.NO
    assert s.loc["k3", "good_jobs"] == ch.UNKNOWN  # no row: unknown, never no
    assert s.loc["k1", "transparency"] == ch.UNKNOWN  # unreadable cell → unknown
    assert s.loc["k1", "good_business"] == ch.NO and s.loc["k2", "good_business"] == ch.YES
    assert s.loc["k1", "local_impact"] == ch.YES  # 60 % local hiring
    assert s.loc["k2", "training"] == ch.NO and s.loc["k1", "training"] == ch.YES
    assert "45 days" in s.loc["k1", "good_business_evidence"]
    # every input row accounted for: matched + unmatched + rejected
    cov = res.coverage
    assert cov["attribute_rows_matched"] + cov["attribute_rows_unmatched"] + len(
        res.rejected) == attrs.rows_in
    assert sorted(res.rejected["row"]) == [4, 5]
    assert "not scored" in " ".join(res.notes)


def test_rollup_shares_and_flags_are_explained() -> None:
    tx, sup = _tx_sup()
    res = ch.scorecard(tx, sup, ch.read_attributes(CSV.encode("utf-8")))
    r = res.rollup.set_index("point").loc["good_jobs"]
    assert r["share_yes"] == pytest.approx(1000 / 1600)
    assert r["share_no"] == pytest.approx(500 / 1600)
    assert r["share_unknown"] == pytest.approx(100 / 1600)
    assert "62 %" in r["sentence"] and "6 % unknown" in r["sentence"]
    d = res.by_department.query("point == 'good_jobs' and department == 'Place'").iloc[0]
    assert d["share_yes"] == pytest.approx(600 / 700)
    f = res.flags.set_index("flag")
    assert "slow payer" in f.index
    assert "45 days" in f.loc["slow payer", "explanation"]
    assert (res.flags["explanation"].str.len() > 40).all()


def test_companies_house_closed_company_flagged() -> None:
    tx, sup = _tx_sup()
    chs = pd.DataFrame({"supplier_key": ["k2"], "ch_status": ["dissolved"],
                        "ch_sic_codes": [None], "ch_date_of_cessation": ["2023-01-01"]})
    res = ch.scorecard(tx, sup, None, chs)
    s = res.scores.set_index("supplier_key")
    assert s.loc["k2", "standards"] == ch.NO and s.loc["k1", "standards"] == ch.UNKNOWN
    assert "closed company still paid" in res.flags["flag"].tolist()


def test_bad_attributes_file_is_one_line_error() -> None:
    with pytest.raises(ch.AttributesError, match="no supplier_id"):
        ch.read_attributes(b"colour,size\nred,2\n")


def test_demo_attributes_deterministic_and_labelled() -> None:
    _, sup = _tx_sup()
    sup = pd.concat([sup] * 1, ignore_index=True).assign(spend=[1.0, 2.0, 3.0, 4.0])
    a, b = ch.demo_attributes(sup, seed=3), ch.demo_attributes(sup, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == list(ch.TEMPLATE_COLUMNS)
    assert a["source"].str.contains("SYNTHETIC").all()
    assert "Delta Council" not in a["supplier_name"].tolist()  # public body skipped


def test_attributes_read_through_the_one_decoder() -> None:
    import gzip

    text = "Supplier Name,Real Living Wage\nCafé Ltd,Y\n"
    for data in (text.encode("utf-16"), text.encode("cp1252"), text.encode("utf-8-sig"),
                 gzip.compress(text.encode("utf-8"))):
        attrs = ch.read_attributes(data)
        assert attrs.table["supplier_name"].tolist() == ["Café Ltd"]
        assert attrs.table["real_living_wage"].tolist() == [True]


@pytest.mark.parametrize(("data", "message"), [
    (b"\x00\x01\x02\x03" * 100, "cannot decode the attributes file upload"),
    (b"", "cannot read the attributes file upload: "),
    (b'supplier_id,excluded\n"100,N\n', "cannot read the attributes file upload: "),
])
def test_unreadable_attributes_are_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(ch.AttributesError, match=message) as err:
        ch.read_attributes(data)
    assert "\n" not in str(err.value)


def test_missing_attributes_file_names_it(tmp_path) -> None:
    with pytest.raises(ch.AttributesError, match=r"cannot read the attributes file .*missing"):
        ch.read_attributes(tmp_path / "missing.csv")


def _evidence(**columns) -> pd.DataFrame:
    """One supplier per row with every attribute column unknown unless given."""
    n = len(next(iter(columns.values())))
    blank = {c: pd.array([pd.NA] * n, dtype="boolean") for c in ch._FLAGS}
    blank |= {c: [float("nan")] * n for c in ch._NUMBERS}
    blank |= {"exclusion_reason": [pd.NA] * n, "ch_status": [pd.NA] * n}
    cols = {k: (pd.array(v, dtype="boolean") if k in ch._FLAGS else v)
            for k, v in columns.items()}
    return pd.DataFrame(blank | cols)


def test_local_impact_is_yes_on_either_test_and_no_only_on_evidence() -> None:
    s = _evidence(social_value_committed=[1000, 1000, float("nan"), float("nan")],
                  social_value_delivered=[900, 100, float("nan"), float("nan")],
                  local_hiring_share=[float("nan"), 0.2, 0.6, float("nan")])
    status, evidence = ch._points(s)["local_impact"]
    assert status.tolist() == [ch.YES, ch.NO, ch.YES, ch.UNKNOWN]
    assert evidence[1] == "delivered £100 of £1,000 social value committed; 20 % of staff " \
                          "live locally"


def test_standards_no_for_closed_companies_yes_only_when_checked() -> None:
    s = _evidence(excluded=[False, pd.NA, True, pd.NA],
                  ch_status=["active", "dissolved", pd.NA, "active"])
    status, evidence = ch._points(s)["standards"]
    assert status.tolist() == [ch.YES, ch.NO, ch.NO, ch.UNKNOWN]
    assert evidence[1].endswith("Companies House: dissolved")
    assert evidence[2] == "excluded/debarred: reason not given"


def test_payment_check_findings_bear_on_transparency_and_high_standards() -> None:
    """A finding an officer confirmed makes "high standards of practice" no; one still to
    review is said in the evidence of both points, not scored."""
    from impact.analysis.findings import by_supplier, run_checks
    from impact.analysis.verdicts import CONFIRMED, Verdict, current
    from tests.test_checks import rows

    tx = rows({"date": "2024-05-03", "amount": 812.40, "transaction_id": "INV-7"},
              {"date": "2024-07-30", "amount": 812.40, "transaction_id": "INV-7"},
              {"date": "2024-05-03", "amount": 4072.51, "supplier_name": "Beta Ltd"},
              {"date": "2024-05-07", "amount": 4072.51, "supplier_name": "Beta Ltd"})
    tx["supplier_key"] = supplier_keys(tx)
    tx["supplier_class"] = "company"
    found = run_checks(tx).findings
    acme = found[found["supplier"] == "Acme Widgets Ltd"].iloc[0]
    history = pd.DataFrame([{**Verdict(acme["finding_id"], CONFIRMED, "A. Officer").__dict__,
                             "when": "2025-01-01T10:00:00", "who": "A. Officer"}])
    assert len(current(history)) == 1
    per_supplier = by_supplier(found, tx, history)
    sup = tx.drop_duplicates("supplier_key")[["supplier_key", "supplier_name"]]
    card = ch.scorecard(tx, sup, checks=per_supplier).scores.set_index("supplier")
    assert card.loc["Acme Widgets Ltd", "standards"] == ch.NO
    assert "payment checks: possible duplicate payment: 0 to review, 1 confirmed" in card.loc[
        "Acme Widgets Ltd", "standards_evidence"]
    assert card.loc["Beta Ltd", "standards"] == ch.UNKNOWN
    assert "1 to review" in card.loc["Beta Ltd", "transparency_evidence"]
    plain = ch.scorecard(tx, sup).scores.set_index("supplier")
    assert "payment checks" not in plain.loc["Beta Ltd", "standards_evidence"]
