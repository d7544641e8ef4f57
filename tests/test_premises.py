"""Premises lists read by meaning, linked to suppliers, and "local" counted several ways.

Layouts nobody here has seen are built in the test (other column orders, "Occupier",
"Account Name", "Liable Party", the postcode inside the address, no coordinates); the real
Calderdale and Wakefield rates lists and Trafford's care homes and charities are read in
place (skipped locally when the shared data is absent).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.core.settings import DEMO_REGISTER, WORKSPACE_DIR, demo_dir
from impact.places.premises import (
    PremisesError,
    accounting,
    link,
    premises_from_cells,
    read_premises,
    read_store,
)
from impact.sources import premises_store
from impact.workspace import Workspace
from tests._shared import require


def _cells(rows: list[list[str]]) -> pd.DataFrame:
    """A grid of strings, as :mod:`impact.ingest.tables` gives one."""
    width = max(len(r) for r in rows)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows]).astype(str)


def _suppliers(names: list[str], **cols: list) -> pd.DataFrame:
    from impact.ingest.names import normalise_names

    df = pd.DataFrame({"supplier_key": [f"k{i}" for i in range(len(names))],
                       "supplier_name": names})
    df["supplier_name_norm"] = normalise_names(df["supplier_name"].astype("string"))
    df["company_number"] = pd.Series(cols.get("company_number", [None] * len(names)),
                                     dtype="string")
    df["charity_number"] = pd.Series(cols.get("charity_number", [None] * len(names)),
                                     dtype="string")
    df["is_redacted"] = False
    df["supplier_class"] = cols.get("supplier_class", ["company"] * len(names))
    return df


LAYOUTS = {
    "occupier first, postcode in the address": [
        ["Occupier", "Property Address", "RV", "Description"],
        ["Acme Builders Ltd", "1 High St, Anytown AB1 2CD", "12,000", "Workshop"],
        ["THE ACCOUNT HOLDER", "2 High St, Anytown AB1 2CE", "3000", "Shop"],
        ["", "3 High St, Anytown AB1 2CF", "2000", "Shop"],
    ],
    "account name last, a title above": [
        ["Business rates: occupied properties, April 2019"],
        [],
        ["Reference", "Full Address", "Post Code", "Rateable Value", "Account Name"],
        ["A1", "1 High St, Anytown", "ab12cd", "12000", "ACME BUILDERS LIMITED"],
        ["A2", "2 High St, Anytown", "AB1 2CE", "3000", "The Occupier"],
        ["A3", "3 High St, Anytown", "AB1 2CF", "2000", ""],
    ],
    "liable party, no coordinates": [
        ["Liable Party", "Premises Address", "Current Rateable Value", "Use Class"],
        ["Acme Builders", "Unit 1, Mill Lane, Anytown, AB1 2CD", "12000", "Workshop"],
        ["Mr J Smith", "2 Mill Lane, Anytown, AB1 2CE", "3000", "Shop"],
        ["", "3 Mill Lane, Anytown, AB1 2CF", "2000", "Shop"],
    ],
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_any_layout_links_the_organisation_and_never_a_placeholder(layout: str) -> None:
    pl = premises_from_cells(_cells(LAYOUTS[layout]), "rates.csv")
    assert pl.kind == "business rates"
    assert {"occupier", "rateable_value"} <= set(pl.columns_used)
    rows = pl.rows
    assert rows["postcode"].tolist() == ["AB1 2CD", "AB1 2CE", "AB1 2CF"]
    assert rows["rateable_value"].tolist() == [12000, 3000, 2000]
    assert rows["set_aside"].isna().tolist() == [True, False, False]
    # a supplier the placeholder or an individual would name is never linked
    sup = _suppliers(["Acme Builders Ltd", "The Account Holder", "Occupier", "J Smith"])
    links = link(rows, sup)
    assert links["supplier_key"].tolist() == ["k0"]
    assert links["method"].tolist() == ["name"]
    acc = accounting(rows, links, pd.Series(True, index=rows.index))[0]
    assert (acc.rows, acc.linked, acc.unlinked) == (3, 1, 0)
    assert sum(acc.set_aside.values()) == 2 and acc.adds_up


def test_numbers_link_before_names_and_a_chain_links_every_premises() -> None:
    cells = _cells([
        ["charity_name", "registered_charity_number", "company_no", "contact_postcode"],
        ["Helping Hands", "1234567", "", "AB1 2CD"],
        ["Quite Another Name", "", "01234567", "AB1 2CE"],
        ["BIGMART STORES LTD", "", "", "AB1 2CF"],
        ["Bigmart Stores Limited", "", "", "AB1 2CG"],
    ])
    pl = premises_from_cells(cells, "charities.csv")
    sup = _suppliers(["HELPING HANDS TRUST", "Some Company", "Bigmart Stores"],
                     company_number=[None, "01234567", None],
                     charity_number=["1234567", None, None])
    links = link(pl.rows, sup).sort_values("premises")
    assert links["supplier_key"].tolist() == ["k0", "k1", "k2", "k2"]
    assert links["method"].tolist() == ["charity_number", "company_number", "name", "name"]


def test_a_care_directory_with_only_the_home_name_names_the_organisation() -> None:
    cells = _cells([
        ["name", "type", "address", "postcode", "area_name"],
        *[[f"Rose House {i}", "Residential homes", f"{i} Rose St", "AB1 2CD", "Anytown"]
          for i in range(12)],
    ])
    pl = premises_from_cells(cells, "homes.csv")
    assert pl.columns_used["occupier"] == "name"
    assert pl.kind == "care location"


def test_a_spend_file_is_not_a_premises_list() -> None:
    with pytest.raises(PremisesError):
        premises_from_cells(_cells([["Date", "Amount", "Expense Type"],
                                    ["2021-04-01", "12.00", "Stationery"]]), "spend.csv")


# --------------------------------------------------------------------------- the demo


@pytest.fixture
def env(tmp_path: Path):
    """The demo with two thirds of its register dropped, so suppliers are unplaced."""
    reg = pd.read_csv(demo_dir() / "supplier_register.csv", dtype=str, keep_default_na=False)
    reg.iloc[::3].to_csv(tmp_path / "register.csv", index=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WORKSPACE_DIR, str(tmp_path / "cache"))
        mp.setenv(DEMO_REGISTER, str(tmp_path / "register.csv"))
        yield tmp_path


def _rates_list(ws: Workspace, path: Path) -> tuple[list[str], str]:
    """A rates list (an unseen layout) naming the two largest unplaced suppliers and the
    largest supplier placed outside the area, each at a postcode inside the council."""
    sup = ws.suppliers
    cls = sup["supplier_class"].astype("string")
    named = ~sup["is_redacted"].astype(bool) & cls.isin(["company", "vcse", "unknown"])
    unplaced = sup[named & ~sup["is_located"].astype(bool)].nlargest(2, "spend")
    outside = sup[named & sup["is_located"].astype(bool)
                  & ~sup["lad_code"].isin(ws.council_lads).fillna(False)].nlargest(1, "spend")
    inside = sup.loc[sup["lad_code"].isin(ws.council_lads).fillna(False), "postcode"].dropna()
    pc = str(inside.iloc[0])
    chosen = pd.concat([unplaced, outside])
    lines = ["Liable Party,RV,Premises Address"]
    lines += [f'"{n.upper()}",5000,"Unit {i}, Some Road, {pc}"'
              for i, n in enumerate(chosen["supplier_name"])]
    lines += ['"THE ACCOUNT HOLDER",100,"Nowhere"', f',200,"1 Road, {pc}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return chosen["supplier_key"].tolist(), pc


def test_premises_place_suppliers_and_count_as_branches(env: Path) -> None:
    ws = Workspace.load("demo")
    keys, _ = _rates_list(ws, env / "rates.csv")
    before = ws.measures(lm3=False)
    after_ws, _ = ws.add_premises([env / "rates.csv"])
    acc = after_ws.premises_accounting[0]
    assert acc["rows"] == 5 and acc["linked"] == 3 and acc["unlinked"] == 0
    assert sum(acc["set_aside"].values()) == 2
    after = after_ws.measures(lm3=False)
    assert after.placed.value > before.placed.value
    s = after_ws.suppliers.set_index("supplier_key")
    assert (s.loc[keys[:2], "place_basis"] == "premises").all()
    assert s.loc[keys[2], "place_basis"] != "premises"  # its own place stays its main one
    ways = {f.key: f for f in after.ways}
    moved = float(s.loc[keys[2], "spend"])  # positive payments, as the shares count
    branched, main = ways["local_branched"], ways["local"]
    # the supplier with premises in the area is local under "based or branched" only
    assert branched.inputs["spend_inside"] == pytest.approx(
        main.inputs["spend_inside"] + moved, rel=1e-6)
    assert (after_ws.places.groupby("supplier_key").size().loc[keys[2]]) == 2
    # kept for the council: a fresh load links them again
    assert len(read_store(premises_store(ws.source))) == 5
    again = Workspace.load("demo")
    assert again.measures(lm3=False).placed.value == pytest.approx(after.placed.value)


# ----------------------------------------------------------------------- real lists

REAL = {
    "business_rates_calderdale.csv": ("business rates", "Ratepayer", 9347),
    "business_rates_wakefield.csv": ("business rates", "Ratepayer", 11037),
    "care_homes_trafford.csv": ("care location", "provider", 56),
    "charities_operating_in_trafford.csv": ("charity's address", "charity_name", 736),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_premises_lists_read_by_meaning(name: str) -> None:
    path = require("premises", name)
    kind, occupier, rows = REAL[name]
    pl = read_premises(path)
    assert pl.kind == kind
    assert pl.columns_used["occupier"].strip() == occupier
    assert abs(len(pl.rows) - rows) <= 2  # a few rows with extra commas
    holders = pl.rows["occupier"].astype("string").str.upper().str.strip().eq(
        "THE ACCOUNT HOLDER").fillna(False)
    assert pl.rows.loc[holders, "set_aside"].notna().all()
    assert pl.rows["set_aside"].isna().mean() > 0.5 or kind == "business rates"


def test_the_command_line_adds_a_list_through_the_workspace(env: Path) -> None:
    from click.testing import CliRunner

    from impact.cli import cli, main

    ws = Workspace.load("demo")
    _rates_list(ws, env / "rates.csv")
    out = CliRunner().invoke(cli, ["premises", "add", str(env / "rates.csv"),
                                   "--workspace", "demo"])
    assert out.exit_code == 0, out.output
    assert "rates.csv (business rates): 5 rows = 3 linked" in out.output
    assert "2 set aside" in out.output and "Based or branched" in out.output
    places = pd.read_parquet(Path(ws.outdir) / "supplier_places.parquet")
    premises = places[~places["is_main"]]
    assert len(premises) == 3 and (premises["place_basis"] == "premises").all()
    # the two suppliers with no place before now have their premises as main place
    assert ((places["place_basis"] == "premises") & places["is_main"]).sum() == 2
    assert main(["premises", "add", str(env / "nothing.csv"), "--workspace", "demo"]) == 2
    rec = CliRunner().invoke(cli, ["reconcile", "demo"])
    assert rec.exit_code == 0 and "no published local-spend figure" in rec.output


def test_calderdale_with_its_rates_list(tmp_path: Path) -> None:
    """The real council: the share placed rises, suppliers with premises in the borough but a
    main place elsewhere count as based or branched, every row is accounted for, and the
    Wakefield list's "THE ACCOUNT HOLDER" rows link no one."""
    from impact.sources import folder_source

    spend = require("spend", "calderdale")
    rates = require("premises", "business_rates_calderdale.csv")
    wakefield = require("premises", "business_rates_wakefield.csv")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WORKSPACE_DIR, str(tmp_path / "ws"))
        ws = Workspace.load(folder_source(spend, council="Calderdale",
                                          reference=spend.parent.parent))
        before = ws.measures(lm3=False)
        after_ws, _ = ws.add_premises([rates, wakefield])
    after = after_ws.measures(lm3=False)
    assert after.placed.value >= before.placed.value + 0.05
    for acc in after_ws.premises_accounting:
        assert acc["rows"] == acc["linked"] + acc["unlinked"] + sum(acc["set_aside"].values())
    places = after_ws.places
    premises = places[~places["is_main"]]
    holders = read_premises(wakefield).rows["occupier"].astype("string").str.upper().eq(
        "THE ACCOUNT HOLDER").fillna(False)
    assert holders.sum() > 4000
    assert not premises["occupier"].astype("string").str.upper().eq("THE ACCOUNT HOLDER").any()
    s = after_ws.suppliers.set_index("supplier_key")
    inside = set(premises.loc[premises["lad_code"].eq("E08000033").fillna(False),
                              "supplier_key"])
    elsewhere = s.loc[sorted(inside)]
    elsewhere = elsewhere[elsewhere["is_located"].astype(bool)
                          & ~elsewhere["lad_code"].eq("E08000033").fillna(False)]
    assert len(elsewhere) >= 10
    ways = {f.key: f for f in after.ways}
    assert ways["local_branched"].inputs["spend_inside"] >= (
        ways["local"].inputs["spend_inside"] + float(elsewhere["spend"].sum()) - 1)


def test_an_occupier_trading_as_links_by_its_trading_name() -> None:
    cells = _cells([["Ratepayer", "Postcode"],
                    ["B AND M RETAIL LTD T/A GLYNWEBB", "AB1 2CD"],
                    ["JOHN SMITH T/A SMITH PLUMBING", "AB1 2CE"]])
    pl = premises_from_cells(cells, "rates.csv")
    sup = _suppliers(["Glynwebb", "John Smith"])
    links = link(pl.rows, sup)
    assert links["supplier_key"].tolist() == ["k0"]  # never the person before T/A
    assert links["method"].tolist() == ["trading_name"]


def test_probable_links_place_by_the_calibrated_model_never_a_placeholder() -> None:
    """Rows no number or exact name linked go to the name model (evidence ≥ PLACE_BITS,
    the ambiguity rule) and link only when the supplier's own trading postcode is the
    premises': "K M R SKIP HIRE LTD" is the unplaced supplier "KMR Skip Hire";
    "HOPE HOUSE" fits two suppliers equally and links neither; placeholders, individuals
    and a supplier already placed in the area are never candidates; every row is still
    accounted for."""
    from impact.places.premises import probable_links

    cells = _cells([["Ratepayer", "Postcode", "Rateable Value"],
                    ["K M R SKIP HIRE LTD", "AB1 2CD", "5000"],
                    ["CLAIRES ACCESSORIES UK LTD", "AB1 2CE", "9000"],
                    ["THE ACCOUNT HOLDER", "AB1 2CF", "100"],
                    ["MR J SMITH", "AB1 2CG", "100"],
                    ["HOPE HOUSE", "AB1 2CJ", "100"],
                    ["ALLSAFETY", "AB1 2CK", "100"]])
    rows = premises_from_cells(cells, "rates.csv").rows
    sup = _suppliers(["KMR Skip Hire", "Claire's Accessories", "The Account Holder",
                      "J Smith", "Hope House Trust", "Hope House Care", "All Safety"])
    sup["is_located"] = [False, True, False, False, False, False, True]
    sup["lad_code"] = [None, "E09000001", None, None, None, None, "E08000001"]
    sup["place_basis"] = [None, "registered_office", None, None, None, None,
                          "registered_office"]
    sup["postcode"] = [None, "SW1A 1AA", None, None, None, None, "AB1 2CK"]
    exact = link(rows, sup)
    assert exact["premises"].tolist() == [1]  # Claire's: the same name once normalised
    todo = np.ones(len(rows), bool)
    todo[exact["premises"].to_numpy()] = False
    # names alone never place (60–87 % right on real rates lists) ...
    assert probable_links(rows, sup, todo, ["E08000001"]).empty
    # ... the council's own record of the supplier at the premises' postcode does
    sup.loc[0, ["place_basis", "postcode"]] = ["council_register", "AB1 2CD"]
    probable = probable_links(rows, sup, todo, ["E08000001"])
    assert probable["premises"].tolist() == [0] and probable["supplier_key"].tolist() == ["k0"]
    assert (probable["method"] == "probable").all()
    links = pd.concat([exact, probable], ignore_index=True)
    acc = accounting(rows, links, pd.Series(True, index=rows.index))[0]
    assert (acc.rows, acc.linked, acc.probable) == (6, 2, 1) and acc.adds_up
    assert sum(acc.set_aside.values()) == 2  # the placeholder and the person
