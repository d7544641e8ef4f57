"""Each payment check alone, on rows built here: what it must find, and the look-alikes it
must not flag (the same file published twice, a credit and re-payment, instalments, two
suppliers with one name, lines of one payment, standard rates, weekly invoices …)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.analysis.checks import (
    FINDING_COLUMNS,
    CheckContext,
    Dissolved,
    Duplicates,
    Splits,
    company_statuses,
    prepare,
)
from impact.analysis.findings import default_rules, run_checks
from impact.analysis.patterns import Concentration, Digits, RoundSums, YearEnd
from impact.core.settings import PROCUREMENT_THRESHOLDS
from impact.ingest.schema import conform, supplier_keys
from impact.places.reference import Reference


def rows(*specs: dict, council: str = "Testshire Council") -> pd.DataFrame:
    """Canonical transactions from dicts (date as text, file and row numbered for each);
    supplier columns a workspace joins (``supplier_class``) are kept."""
    out = []
    for i, s in enumerate(specs):
        r = {"council": council, "source_file": "spend-2024-05.csv", "source_row": i + 2,
             "supplier_name": "Acme Widgets Ltd", "directorate": "Place",
             "expense_type": "Repairs", **s}
        r["date"] = pd.Timestamp(r["date"])
        r.setdefault("period", r["date"].strftime("%Y-%m"))
        r.setdefault("supplier_name_norm", str(r["supplier_name"]).upper().replace(" LTD", ""))
        r.setdefault("is_redacted", False)
        r.setdefault("is_card", False)
        r.setdefault("is_summary", False)
        r["is_credit"] = r["amount"] < 0
        out.append(r)
    given = pd.DataFrame(out)
    canonical = conform(given)
    return canonical.join(given[[c for c in given if c not in canonical]])


def find(rule, tx: pd.DataFrame, statuses: pd.DataFrame | None = None):
    return rule.find(prepare(tx), CheckContext(statuses))


# ----------------------------------------------------------------------------- duplicates


def test_a_payment_made_twice_is_found_with_its_rows_and_what_it_rests_on() -> None:
    tx = rows({"date": "2024-05-03", "amount": 4072.51},
              {"date": "2024-05-20", "amount": 990.00},
              {"date": "2024-05-07", "amount": 4072.51, "source_file": "spend-2024-06.csv"})
    res = find(Duplicates(), tx)
    assert len(res.findings) == 1
    f = res.findings.iloc[0]
    assert list(res.findings.columns) == list(FINDING_COLUMNS)
    assert f["confidence"] == "medium" and f["amount"] == pytest.approx(4072.51)
    assert sorted(f["rows"]) == [0, 2]
    assert "spend-2024-05.csv row 2" in f["row_refs"] and "spend-2024-06.csv row 4" in f["row_refs"]
    assert "no credit of this amount" in f["evidence"] and "2 files" in f["evidence"]
    assert f["supplier"] == "Acme Widgets Ltd" and f["period"] == "3–7 May 2024"


def test_the_same_reference_paid_on_two_dates_is_high_confidence() -> None:
    tx = rows({"date": "2024-05-03", "amount": 812.40, "transaction_id": "INV-77"},
              {"date": "2024-07-30", "amount": 812.40, "transaction_id": "INV-77"})
    f = find(Duplicates(), tx).findings
    assert len(f) == 1 and f["confidence"].iloc[0] == "high"
    assert "the same reference (INV-77)" in f["evidence"].iloc[0]


def test_the_same_file_published_twice_is_not_a_duplicate() -> None:
    one = [{"date": "2024-05-03", "amount": 4072.51, "transaction_id": "T1"},
           {"date": "2024-05-09", "amount": 1250.00, "transaction_id": "T2"}]
    again = [{**r, "source_file": "spend-may-2024-copy.csv"} for r in one]
    res = find(Duplicates(), rows(*one, *again))
    assert res.findings.empty
    assert res.stats["removed_by_filter"]["published_twice"] == 2


def test_a_credit_and_a_re_payment_are_not_a_duplicate() -> None:
    tx = rows({"date": "2024-05-03", "amount": 2310.77},
              {"date": "2024-05-06", "amount": -2310.77},
              {"date": "2024-05-09", "amount": 2310.77})
    res = find(Duplicates(), tx)
    assert res.findings.empty and res.stats["removed_by_filter"]["reversed"] == 1


def test_instalments_of_a_schedule_are_not_duplicates_but_an_extra_one_is() -> None:
    weekly = [{"date": d, "amount": 750.25} for d in
              pd.date_range("2024-04-01", periods=10, freq="7D").strftime("%Y-%m-%d")]
    res = find(Duplicates(), rows(*weekly))
    assert res.findings.empty and res.stats["removed_by_filter"]["schedule"] == 9
    extra = find(Duplicates(), rows(*weekly, {"date": "2024-04-17", "amount": 750.25}))
    assert len(extra.findings) == 1, "a payment between two instalments is off the schedule"
    stated = rows({"date": "2024-05-01", "amount": 1200.50, "description": "Instalment 3 of 12"},
                  {"date": "2024-05-08", "amount": 1200.50, "description": "Instalment 4 of 12"})
    res = find(Duplicates(), stated)
    assert res.findings.empty and res.stats["removed_by_filter"]["instalments"] == 1
    monthly = [{"date": f"2024-{m:02d}-01", "amount": 1999.99} for m in range(1, 13)]
    assert find(Duplicates(), rows(*monthly)).findings.empty
    for said in ("Alarm installation", "Invoice 19/07/23"):  # not instalments: paid twice
        twice = rows(*[{"date": d, "amount": 1200.50, "description": said}
                       for d in ("2024-05-01", "2024-05-08")])
        assert len(find(Duplicates(), twice).findings) == 1, said


def test_two_suppliers_with_one_name_are_not_a_duplicate() -> None:
    by_vendor = rows({"date": "2024-05-03", "amount": 640.12, "supplier_id": "V100"},
                     {"date": "2024-05-03", "amount": 640.12, "supplier_id": "V200"})
    res = find(Duplicates(), by_vendor)
    assert res.findings.empty and res.stats["removed_by_filter"]["two_payees"] == 1
    by_company = rows({"date": "2024-05-03", "amount": 640.12, "company_number": "01234567"},
                      {"date": "2024-05-04", "amount": 640.12, "company_number": "07654321"})
    assert find(Duplicates(), by_company).findings.empty
    withheld = rows(*[{"date": "2024-05-03", "amount": 640.12, "supplier_name": "REDACTED",
                       "is_redacted": True}] * 2)
    assert find(Duplicates(), withheld).findings.empty


def test_lines_of_one_payment_a_batch_and_standard_rates_are_not_duplicates() -> None:
    lines = rows(*[{"date": "2024-05-03", "amount": 300.00, "transaction_id": "P-9"}] * 2)
    res = find(Duplicates(), lines)
    assert res.findings.empty and res.stats["removed_by_filter"]["one_payment"] == 1
    batch = rows(*[{"date": "2024-05-03", "amount": 642.18}] * 4)
    assert find(Duplicates(), batch).findings.empty
    care = [{"date": d, "amount": 642.18 + 10 * (i % 3)} for i, d in enumerate(
        pd.date_range("2024-04-05", periods=30, freq="4D").strftime("%Y-%m-%d"))]
    res = find(Duplicates(), rows(*care))
    assert res.findings.empty, "a supplier paid a few standard rates over and over"


def test_bills_the_descriptions_tell_apart_are_not_duplicates() -> None:
    tx = rows({"date": "2024-05-03", "amount": 1372.80, "description": "Temp staff w/c 4.11.24"},
              {"date": "2024-05-10", "amount": 1372.80, "description": "Temp staff w/c 11.11.24"})
    assert find(Duplicates(), tx).findings.empty


# ----------------------------------------------------------------------------- splits


def test_a_purchase_split_under_a_threshold_is_found() -> None:
    tx = rows({"date": "2024-05-01", "amount": 4800.00}, {"date": "2024-05-03", "amount": 4900.00},
              {"date": "2024-05-08", "amount": 4700.00}, {"date": "2024-09-01", "amount": 120.00})
    res = find(Splits(thresholds=(5000.0,)), tx)
    assert len(res.findings) == 1
    f = res.findings.iloc[0]
    assert f["confidence"] == "high" and f["amount"] == pytest.approx(14400.0)
    assert sorted(f["rows"]) == [0, 1, 2] and "£5,000 threshold" in f["what"]
    assert "less than once in 1,000 times" in f["confidence_rule"]
    same = find(Splits(thresholds=(5000.0,)), rows(*[{"date": "2024-05-01", "amount": 4500.0}] * 2))
    assert same.findings.empty and same.stats["by_threshold"]["5,000"]["same_amount"] == 1


def test_a_supplier_often_paid_just_under_the_threshold_is_not_a_split() -> None:
    usual = [{"date": d, "amount": 4300.0 + 10 * (i % 50)} for i, d in enumerate(
        pd.date_range("2023-04-01", periods=60, freq="6D").strftime("%Y-%m-%d"))]
    res = find(Splits(thresholds=(5000.0,)), rows(*usual))
    assert res.findings.empty


def test_split_look_alikes_are_not_flagged() -> None:
    limits = Splits(thresholds=(5000.0,))
    one_invoice = rows(*[{"date": "2024-05-01", "amount": 4600.0, "transaction_id": "INV-1",
                          "description": "Boiler"}] * 3)
    assert find(limits, one_invoice).findings.empty, "an invoice over the threshold, in lines"
    weekly = [{"date": d, "amount": 4100.0 + (i % 4) * 150} for i, d in enumerate(
        pd.date_range("2024-04-01", periods=52, freq="7D").strftime("%Y-%m-%d"))]
    res = find(limits, rows(*weekly))
    assert res.findings.empty and res.stats["by_threshold"]["5,000"]["usual_rhythm"] > 0
    public = rows(*[{"date": "2024-05-01", "amount": 4800.0, "supplier_class": "public_body"}] * 2)
    assert find(limits, public).findings.empty
    grants = rows(*[{"date": "2024-05-01", "amount": 4800.0, "expense_type": "Grants"}] * 2)
    assert find(limits, grants).findings.empty
    care = rows({"date": "2024-05-01", "amount": 4393.2, "expense_type": "Homecare fill-in"},
                {"date": "2024-05-01", "amount": 4612.86, "expense_type": "Homecare fill-in"},
                {"date": "2024-05-02", "amount": 4421.76, "expense_type": "Homecare fill-in"})
    assert find(limits, care).findings.empty, "care for three people, not one order in three"
    assert len(find(limits, care.assign(expense_type="Lift repairs")).findings) == 1
    apart = rows({"date": "2024-05-01", "amount": 4800.0, "description": "Roof repairs"},
                 {"date": "2024-05-02", "amount": 4700.0, "description": "Printing"})
    assert find(limits, apart).findings.empty
    over = rows({"date": "2024-05-01", "amount": 5200.0}, {"date": "2024-05-02", "amount": 5100.0})
    assert find(limits, over).findings.empty, "each over the threshold: nothing was avoided"


def _council(n: int = 60) -> list[dict]:
    """Other suppliers' payments over a year, skewed as spend is (median £1,500): a
    council's background, so its share of payments just under a threshold is realistic."""
    rng = np.random.default_rng(7)
    amounts = np.clip(rng.lognormal(np.log(1500), 1.0, n), 500, 4999)
    return [{"date": str(pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d))),
             "amount": round(float(a), 2), "supplier_name": f"Other Supplier {i % 15} Ltd"}
            for i, (d, a) in enumerate(zip(rng.integers(0, 365, n), amounts, strict=True))]


def _split_rows(tx: pd.DataFrame, res) -> list[list[float]]:
    return [sorted(tx["amount"].iloc[r].tolist()) for r in res.findings["rows"]]


def test_a_purchase_split_in_two_is_found() -> None:
    """Two payments just under £5,000 to one supplier for one department in a week: the
    commonest split, found at high confidence (it was never found before: the rule tested
    every window of every supplier at once, so two parts could not be significant)."""
    two = [{"date": "2024-06-03", "amount": 4650.0}, {"date": "2024-06-09", "amount": 4820.0}]
    tx = rows(*_council(), *two)
    res = find(Splits(thresholds=(5000.0,)), tx)
    assert _split_rows(tx, res) == [[4650.0, 4820.0]]
    assert res.findings["confidence"].tolist() == ["high"]
    fitted = rows(*_council(), *[{**t, "description": "Alarm installation"} for t in two])
    res = find(Splits(thresholds=(5000.0,)), fitted)
    assert len(res.findings) == 1, "an installation is a purchase, not an instalment"
    assert res.stats["lines_removed"]["instalments"] == 0


def test_split_look_alikes_in_two_parts_are_not_flagged() -> None:
    limits = Splits(thresholds=(5000.0,))
    a, b = {"date": "2024-06-03", "amount": 4650.0}, {"date": "2024-06-09", "amount": 4820.0}
    apart = rows(*_council(), a, {**b, "date": "2024-06-30"})
    assert find(limits, apart).findings.empty, "four weeks apart: not one purchase"
    depts = rows(*_council(), a, {**b, "directorate": "Adults"})
    assert find(limits, depts).findings.empty, "two departments, two budget holders"
    stated = rows(*_council(), {**a, "description": "Monthly instalment"},
                  {**b, "description": "Monthly instalment"})
    res = find(limits, stated)
    assert res.findings.empty and res.stats["lines_removed"]["instalments"] == 2
    corrected = rows(*_council(), a, {**a, "date": "2024-06-05", "amount": -4650.0},
                     {**b, "amount": 4700.0})
    res = find(limits, corrected)
    assert res.findings.empty, "an invoice credited and issued again, corrected"
    assert res.stats["lines_removed"]["reversed"] == 1


def test_a_line_published_twice_is_counted_once_in_a_split() -> None:
    a = {"date": "2024-06-03", "amount": 4650.0}
    tx = rows(*_council(), a, {**a, "source_file": "spend-2024-06-republished.csv"},
              {"date": "2024-06-06", "amount": 4450.0})
    res = find(Splits(thresholds=(5000.0,)), tx)
    assert _split_rows(tx, res) == [[4450.0, 4650.0]]
    assert res.findings["amount"].tolist() == [pytest.approx(9100.0)]
    assert res.stats["lines_removed"]["published_twice"] == 1


def test_thresholds_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROCUREMENT_THRESHOLDS, "£2000, 10000")
    split = next(r for r in default_rules() if r.key == "split")
    assert split.thresholds == (2000.0, 10000.0)
    monkeypatch.setenv(PROCUREMENT_THRESHOLDS, "not a number")
    assert next(r for r in default_rules() if r.key == "split").thresholds == (
        5000.0, 25000.0, 100000.0)


# ----------------------------------------------------------------------------- dissolved


def _statuses(tx: pd.DataFrame, **cols) -> pd.DataFrame:
    return pd.DataFrame({"supplier_key": supplier_keys(tx).iloc[:1].to_numpy(),
                         "source": "Companies House (2025-01)", **cols})


def test_payments_after_a_company_closed_are_found_and_before_are_not() -> None:
    tx = rows({"date": "2024-03-01", "amount": 900.0}, {"date": "2024-06-01", "amount": 1100.0},
              {"date": "2024-07-01", "amount": 1300.0})
    st = _statuses(tx, status="Dissolved", status_date=[pd.Timestamp("2024-05-15")],
                   matched_by="company number")
    res = find(Dissolved(), tx, st)
    f = res.findings.iloc[0]
    assert len(res.findings) == 1 and f["confidence"] == "high"
    assert sorted(f["rows"]) == [1, 2] and f["amount"] == pytest.approx(2400.0)
    assert res.stats["payments_before_closing"] == 1
    by_name = find(Dissolved(), tx, st.assign(matched_by="exact name")).findings
    assert by_name["confidence"].tolist() == ["medium"]
    no_date = find(Dissolved(), tx, st.assign(status_date=pd.NaT)).findings
    assert no_date["confidence"].tolist() == ["low"] and no_date["n_rows"].tolist() == [3]
    active = find(Dissolved(), tx, st.assign(status="Active")).findings
    assert active.empty


def test_no_status_known_means_nothing_is_shown_and_it_says_so() -> None:
    res = find(Dissolved(), rows({"date": "2024-03-01", "amount": 900.0}), None)
    assert res.findings.empty and "could not be made" in res.notes[0]


def test_statuses_come_from_a_reference_register_with_the_closing_date(tmp_path: Path) -> None:
    (tmp_path / "suppliers").mkdir()
    pd.DataFrame({"supplier_canonical": ["Acme Widgets Ltd"], "aliases": ["ACME WIDGETS"],
                  "ch_company_number": ["01234567"], "ch_status": ["dissolved"],
                  "ch_date_of_cessation": ["2024-05-15"]}).to_csv(
        tmp_path / "suppliers" / "taxonomy.csv", index=False)
    tx = rows({"date": "2024-06-01", "amount": 1100.0})
    sup = pd.DataFrame({"supplier_key": supplier_keys(tx), "supplier_name": tx["supplier_name"],
                        "company_number": ["01234567"], "resolution_method": ["none"],
                        "resolution_source": [pd.NA], "register_status": [pd.NA],
                        "sic": [pd.NA]})
    st = company_statuses(Reference(tmp_path), sup)
    assert st["status"].tolist() == ["dissolved"]
    assert st["status_date"].iloc[0] == pd.Timestamp("2024-05-15")
    assert st["matched_by"].iloc[0] == "company number"


# ----------------------------------------------------------------------------- patterns


def _months(dept: str, amounts: dict[int, float], year: int = 2024) -> list[dict]:
    out = []
    for m, amount in amounts.items():
        y = year if m >= 4 else year + 1
        out.append({"date": f"{y}-{m:02d}-10", "amount": amount, "directorate": dept,
                    "supplier_name": f"Supplier {m}"})
    return out


def test_a_year_end_spike_is_found_with_its_test_and_few_months_are_not_tested() -> None:
    rng = np.random.default_rng(1)
    usual = {m: 10000 + rng.normal(0, 800) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2)}
    tx = rows(*_months("Place", {**usual, 3: 60000.0}),
              *_months("People", {**usual, 3: 10500.0}),
              *_months("Tiny", {4: 100.0, 5: 200.0, 3: 5000.0}))
    res = find(YearEnd(), tx)
    f = res.findings
    assert f["department"].tolist() == ["Place"] and f["confidence"].tolist() == ["high"]
    assert "prediction test p = " in f["evidence"].iloc[0]
    assert f["amount"].iloc[0] == pytest.approx(60000 - np.mean(list(usual.values())))
    tiny = res.table[res.table["department"] == "Tiny"].iloc[0]
    assert tiny["note"] == "not enough months"


def test_digit_test_needs_enough_payments_and_flags_a_spike() -> None:
    rng = np.random.default_rng(7)
    benford = 10 ** rng.uniform(3, 6, 3000)
    spiked = np.r_[10 ** rng.uniform(3, 6, 2000), rng.uniform(4900, 4999, 600)]
    tx = rows(*[{"date": "2024-05-01", "amount": round(float(a), 2), "directorate": "Benford",
                 "supplier_name": f"S{i % 50}"} for i, a in enumerate(benford)],
              *[{"date": "2024-05-01", "amount": round(float(a), 2), "directorate": "Spiked",
                 "supplier_name": f"S{i % 50}"} for i, a in enumerate(spiked)],
              *[{"date": "2024-05-01", "amount": 2500.0, "directorate": "Small"}] * 50)
    res = find(Digits(), tx)
    table = res.table.set_index("department")
    assert table.loc["Benford", "conformity"] in ("close", "acceptable")
    assert table.loc["Small", "conformity"] == "not enough payments"
    assert table.loc["Spiked", "conformity"] == "nonconformity"
    f = res.findings
    assert f["department"].tolist() == ["Spiked"] and f["confidence"].tolist() == ["medium"]
    assert "49" in f["what"].iloc[0]


def test_round_sums_and_concentration_are_judged_against_base_rates() -> None:
    rng = np.random.default_rng(3)
    ordinary = [{"date": "2024-05-01", "amount": round(float(a), 2), "service_area": f"Svc {i % 5}",
                 "supplier_name": f"S{i % 40}"} for i, a in enumerate(rng.uniform(1000, 9000, 800))]
    grants = [{"date": "2024-05-01", "amount": 5000.0, "service_area": "Grants team",
               "supplier_name": f"G{i}"} for i in range(30)]
    one = [{"date": "2024-05-01", "amount": 30000.37, "service_area": "Leisure",
            "supplier_name": "Leisure Trust"}] * 19 + [
        {"date": "2024-05-01", "amount": 1500.11, "service_area": "Leisure",
         "supplier_name": "Other Ltd"}]
    tx = rows(*ordinary, *grants, *one)
    rounds = find(RoundSums(), tx)
    assert rounds.findings["supplier"].iloc[0] == "30 suppliers"
    assert rounds.findings["what"].iloc[0].startswith("30 of 30 payments")
    assert "Base rate across the council" in rounds.findings["evidence"].iloc[0]
    conc = find(Concentration(), tx).findings
    assert conc["supplier"].tolist() == ["Leisure Trust"] and conc["confidence"].tolist() == [
        "medium"]


# ----------------------------------------------------------------------------- together


def test_finding_ids_are_stable_and_the_run_ranks_by_confidence_then_pounds() -> None:
    tx = rows({"date": "2024-05-03", "amount": 4072.51},
              {"date": "2024-05-07", "amount": 4072.51},
              {"date": "2024-05-03", "amount": 812.40, "transaction_id": "INV-77"},
              {"date": "2024-07-30", "amount": 812.40, "transaction_id": "INV-77"})
    run = run_checks(tx)
    again = run_checks(tx.sample(frac=1.0, random_state=4))
    f = run.findings
    level = f["confidence"].map({"high": 0, "medium": 1, "low": 2})
    assert level.is_monotonic_increasing
    for _, same in f.groupby(level):
        assert same["amount"].is_monotonic_decreasing
    assert set(f["finding_id"]) == set(again.findings["finding_id"])
    summary = run.summary().set_index("check")
    assert summary.loc["duplicate", "findings"] == 2
    assert summary.loc["split", "findings"] == 1, "£4,072.51 twice and £812.40 in 4 days"
    assert summary.loc["dissolved", "findings"] == 0


def test_no_payments_or_undated_ones_give_no_findings_and_no_error() -> None:
    empty = rows({"date": "2024-05-03", "amount": 10.0}).iloc[0:0]
    assert run_checks(empty).findings.empty
    undated = rows(*[{"date": "2024-05-03", "amount": 4072.51}] * 2).assign(date=pd.NaT)
    assert run_checks(undated).findings.empty


def test_statuses_come_from_the_companies_house_table_with_its_dissolution_date(
        tmp_path: Path) -> None:
    """A supplier ``locate`` matched in the national register by its company number carries
    the register's status; the closing date is read from the table (``DissolutionDate``)."""
    from impact.places import bulk
    from impact.synthetic import registers as synth
    from tests.test_bulk import _placed

    companies = pd.DataFrame({
        "CompanyName": ["PENNINE ROOFING LIMITED", "ORCHARD CARE LTD"],
        "CompanyNumber": ["01234567", "07654321"],
        "RegAddress.PostCode": ["HX1 1AA", "LS1 1AA"],
        "CompanyStatus": ["Dissolved", "Active"],
        "DissolutionDate": ["15/05/2024", ""]})
    ref = tmp_path / "ref"
    bulk.build_table("companies_house", [synth.write_companies_house(
        companies, tmp_path / "BasicCompanyDataAsOneFile-2026-11-01.zip")], ref)
    sup, _ = _placed(tmp_path, Reference(ref), [
        {"supplier_name": "Pennine Roofing Ltd", "company_number": "01234567", "amount": 900.0},
        {"supplier_name": "Orchard Care Ltd", "company_number": "07654321", "amount": 400.0}])
    st = company_statuses(Reference(ref), sup.reset_index()).set_index("supplier_key")
    key = sup.loc["Pennine Roofing Ltd", "supplier_key"]
    assert st.loc[key, "status"] == "Dissolved"
    assert st.loc[key, "status_date"] == pd.Timestamp("2024-05-15")
    assert st.loc[key, "matched_by"] == "company number"
    other = sup.loc["Orchard Care Ltd", "supplier_key"]
    assert st.loc[other, "status"] == "Active" and pd.isna(st.loc[other, "status_date"])
