"""Supplier survey: the template, nef's combination, and a reason for every rejected row."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.analysis.survey import TEMPLATE_COLUMNS, parse_survey, survey_template

SUPPLIERS = pd.DataFrame(
    {
        "supplier_key": ["C|id:1", "C|id:2", "C|name:ACME BUILDERS"],
        "supplier_id": ["1", "2", pd.NA],
        "supplier_name": ["Bolt Care Ltd", "Nut Ltd", "Acme Builders Ltd"],
        "supplier_name_norm": ["BOLT CARE", "NUT", "ACME BUILDERS"],
        "spend": [10.0, 30.0, 20.0],
    }
)


def test_template_header():
    assert tuple(survey_template().columns) == TEMPLATE_COLUMNS
    t = survey_template(SUPPLIERS)
    assert list(t["supplier_key"]) == ["C|id:2", "C|name:ACME BUILDERS", "C|id:1"]


def test_combination_and_rejects():
    csv = (
        b"supplier_key,supplier_id,supplier_name,wage_share_pct,local_staff_pct,"
        b"local_purchase_pct,purchase_share_pct\n"
        b"C|id:1,,,60,80,50,30\n"  # 0.6*0.8 + 0.3*0.5 = 0.63
        b",2,,40%,50%,25%,\n"  # purchase = 60 %: 0.4*0.5 + 0.6*0.25 = 0.35
        b",,Acme Builders Limited,50,100,0,50\n"  # by name: 0.5
        b",99,,10,10,10,\n"  # unknown supplier
        b"C|id:1,,,0.6,0.8,0.5,\n"  # fractions
        b",,Nut Ltd,70,10,10,40\n"  # 70 + 40 > 100
        b",,Bolt Care,abc,10,10,\n"  # non-numeric
        b",,Bolt Care,10,120,10,\n"  # out of range
    )
    r = parse_survey(csv, SUPPLIERS)
    assert r.rows_in == 8 and len(r.shares) + len(r.rejected) == 8
    got = r.shares.set_index("supplier_key")["respend_share"]
    assert got["C|id:1"] == pytest.approx(0.63)
    assert got["C|id:2"] == pytest.approx(0.35)
    assert got["C|name:ACME BUILDERS"] == pytest.approx(0.5)
    reasons = dict(zip(r.rejected["row"], r.rejected["reason"], strict=True))
    assert "not found" in reasons[5] and "fractions" in reasons[6]
    assert "exceed 100%" in reasons[7] and "non-numeric" in reasons[8]
    assert "0–100" in reasons[9]
    assert any("upper bound" in n for n in r.notes)


def test_duplicate_keeps_last_and_bad_header():
    df = pd.DataFrame(
        {
            "supplier_id": ["1", "1"],
            "wage_share_pct": ["10", "20"],
            "local_staff_pct": ["100", "100"],
            "local_purchase_pct": ["0", "0"],
        }
    )
    r = parse_survey(df, SUPPLIERS)
    assert r.shares["respend_share"].tolist() == [pytest.approx(0.2)]
    assert "superseded" in r.rejected["reason"].iloc[0]
    with pytest.raises(ValueError, match="local_staff_pct"):
        parse_survey(df.drop(columns="local_staff_pct"), SUPPLIERS)


def test_survey_read_through_the_one_decoder():
    text = (
        "supplier_name,wage_share_pct,local_staff_pct,local_purchase_pct\nBolt Care Ltd,50,100,0\n"
    )
    sup = SUPPLIERS.assign(supplier_name_norm=["BOLT CARE", "NUT", "ACME BUILDERS"])
    for data in (text.encode("utf-16"), text.encode("cp1252"), text.encode("utf-8-sig")):
        r = parse_survey(data, sup)
        assert r.shares["supplier_key"].tolist() == ["C|id:1"], data[:4]
    with pytest.raises(ValueError, match="could not read the survey CSV"):
        parse_survey(b"\x00\x01\x02\x03" * 100, SUPPLIERS)


def test_each_row_rejected_once_for_its_most_basic_fault():
    df = pd.DataFrame(
        {
            "supplier_id": ["99", "1", "1", "2"],
            "wage_share_pct": ["500", "", "500", "0.5"],
            "local_staff_pct": ["10", "10", "10", "0.5"],
            "local_purchase_pct": ["10", "10", "10", "200"],
        }
    )
    reasons = parse_survey(df, SUPPLIERS).rejected["reason"].tolist()
    assert "not found" in reasons[0]  # before its out-of-range answer
    assert "non-numeric" in reasons[1] and "0–100" in reasons[2]
    assert "0–100" in reasons[3]  # out of range before "looks like fractions"


def test_the_template_in_words_reads_back_as_the_column_names_do():
    """The page's download heads the survey in words; a filled-in copy reads back as one
    headed with the column names (both forms accepted, BOM and all)."""
    from impact.outputs.exports import download_bytes

    words = download_bytes(survey_template(SUPPLIERS), "CSV")
    head = words.decode("utf-8-sig").splitlines()[0]
    assert "_" not in head and "Wages as % of turnover" in head, head
    names = survey_template(SUPPLIERS).to_csv(index=False).encode()
    got = []
    for data in (words, names):
        lines = data.decode("utf-8-sig").splitlines()
        lines[1] = lines[1].split(",")[0] + ",,,60,80,50,30"  # C|id:2, by its key
        got.append(parse_survey("\n".join(lines).encode("utf-8-sig"), SUPPLIERS))
    for r in got:
        assert len(r.shares) == 1 and r.shares["respend_share"].iloc[0] == pytest.approx(0.63)
        assert r.shares["supplier_key"].iloc[0] == "C|id:2"
    assert got[0].rows_in == got[1].rows_in == 3
