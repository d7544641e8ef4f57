"""The council's own vendor master: any finance system's supplier export read by meaning,
joined on the spend files' supplier number (leading zeros ignored) then the name, and
placed at the council's own record of the supplier's address, before registered offices."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.places.vendors import VendorError, read_store, read_vendor_master
from impact.sources import source_key, vendor_store
from impact.workspace import Workspace
from tests import test_premises
from tests._shared import require

#: The demo with two thirds of its register dropped (unplaced suppliers, registered offices).
env = test_premises.env


def _write(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


LAYOUTS = {
    "oracle": (
        "VENDOR_NUMBER,VENDOR_NAME,ADDRESS_LINE1,ADDRESS_LINE2,ADDRESS_LINE3,CITY,POSTAL_CODE,"
        "VAT_REGISTRATION_NUM\n"
        "000123,Acme Widgets Ltd,Unit 4,Mill Lane,,Leeds,LS1 4AB,GB123456789\n"
        "000456,Bright Care Homes Limited,12 High Street,,,Halifax,hx11aa,\n"
        "000789,No Postcode Ltd,Somewhere,,,Nowhere,,\n",
        {"supplier_id": "VENDOR_NUMBER", "name": "VENDOR_NAME", "postcode": "POSTAL_CODE"},
    ),
    "sap": (
        "Vendor,Name 1,Street,Postal Code,City,Country\n"
        "100045,Calder Plumbing Ltd,1 Wharf St,HX1 5BB,Halifax,GB\n"
        "100046,Wakefield Print Co,2 Westgate,WF1 1AA,Wakefield,GB\n"
        "100047,Wakefield Print Co,2 Westgate,WF1 1AA,Wakefield,GB\n",
        {"supplier_id": "Vendor", "name": "Name 1", "postcode": "Postal Code"},
    ),
    "agresso": (
        "Supplier ID,Supplier Name,Address,Post Code,Company Reg No,SME\n"
        "A0012,Dales Transport Ltd,\"3 Mill Rd, Skipton\",BD23 1AA,01234567,Yes\n"
        "A0013,Hope Trust,\"4 Park Lane, Leeds\",LS2 9ZZ,,No\n",
        {"supplier_id": "Supplier ID", "name": "Supplier Name", "postcode": "Post Code",
         "company_number": "Company Reg No", "sme": "SME"},
    ),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_finance_system_layouts_are_read_by_meaning(layout: str, tmp_path: Path) -> None:
    text, expected = LAYOUTS[layout]
    vm = read_vendor_master(_write(tmp_path / f"{layout}.csv", text))
    for role, header in expected.items():
        assert vm.columns_used[role] == header
    acc = vm.accounting()
    assert acc["rows"] == acc["used"] + sum(acc["set_aside"].values())
    assert set(vm.used["address_basis"]) == {"trading"}
    assert vm.used["postcode"].notna().all()


def test_oracle_address_lines_are_joined_and_rows_accounted(tmp_path: Path) -> None:
    vm = read_vendor_master(_write(tmp_path / "o.csv", LAYOUTS["oracle"][0]))
    assert vm.columns_used["address"] == "ADDRESS_LINE1 + ADDRESS_LINE2 + ADDRESS_LINE3 + CITY"
    used = vm.used.set_index("supplier_id")
    assert used.loc["000123", "address"] == "Unit 4, Mill Lane, Leeds"
    assert used.loc["000456", "postcode"] == "HX1 1AA"
    assert vm.accounting()["set_aside"] == {"no postcode (trading or remittance)": 1}


def test_sap_vendor_of_codes_is_the_number_and_repeats_are_set_aside(tmp_path: Path) -> None:
    vm = read_vendor_master(_write(tmp_path / "s.csv", LAYOUTS["sap"][0]))
    assert list(vm.used["supplier_id"]) == ["100045", "100046", "100047"]  # IDs differ
    agresso = read_vendor_master(_write(tmp_path / "a.csv", LAYOUTS["agresso"][0]))
    assert list(agresso.used["sme"]) == ["Y", "N"]
    assert list(agresso.used["company_number"].fillna("")) == ["01234567", ""]


def test_a_remittance_address_is_used_only_when_there_is_no_other(tmp_path: Path) -> None:
    both = _write(tmp_path / "both.csv", """
Supplier No,Supplier Name,Address,Remittance Address,Remit To Postcode
7,Local Joinery,"3 Bank Street, Halifax HX1 2CC","PO Box 9, London",EC1A 1BB
8,Big National Plc,,"PO Box 10, London",EC2A 2BB
9,,,,
""")
    vm = read_vendor_master(both)
    assert vm.columns_used["remit_postcode"] == "Remit To Postcode"
    rows = vm.rows.set_index("supplier_id")
    assert rows.loc["7", "postcode"] == "HX1 2CC"  # found inside the trading address
    assert rows.loc["7", "address_basis"] == "trading"
    assert rows.loc["8", "postcode"] == "EC2A 2BB"
    assert rows.loc["8", "address_basis"] == "remittance"
    assert "remittance address" in rows.loc["8", "note"]
    assert vm.accounting()["address_basis"] == {"trading": 1, "remittance": 1}
    only = read_vendor_master(_write(tmp_path / "remit.csv", """
Creditor No,Creditor Name,Remittance Address,Remittance Postcode
0042,Big National Plc,PO Box 1 London,EC1A 1BB
"""))
    assert list(only.used["address_basis"]) == ["remittance"]


def test_a_spend_file_is_not_a_vendor_master(tmp_path: Path) -> None:
    spend = _write(tmp_path / "spend.csv", """
Date,Supplier Name,Amount,Description
2021-04-01,Acme Ltd,12.00,Stationery
""")
    with pytest.raises(VendorError):
        read_vendor_master(spend)


def test_salfords_contracts_register_is_read_by_meaning() -> None:
    vm = read_vendor_master(require("suppliers", "salford_contracts_register_2022.csv"))
    assert vm.columns_used["name"] == "Supplier Company Name"
    assert vm.columns_used["postcode"] == "Supplier Postcode"
    assert vm.columns_used["sme"] == "SME Supplier?"
    assert vm.columns_used["company_number"] == "Company Number"
    assert "supplier_id" not in vm.columns_used  # "Contract Reference" is no supplier number
    acc = vm.accounting()
    assert acc["rows"] == 360 and acc["rows"] == acc["used"] + sum(acc["set_aside"].values())
    assert acc["used"] == 257  # 270 distinct suppliers, some with no UK postcode
    assert acc["set_aside"]["same supplier as an earlier row (the first is used)"] == 82
    assert acc["set_aside"]["postcode not recognised"] == 21  # "Various", an Eircode
    assert vm.used["sme"].isin(["Y", "N"]).mean() > 0.9


# --------------------------------------------------------------------------- the demo


def _vendor_master(ws: Workspace, path: Path) -> dict[str, str]:
    """An Oracle-style vendor master placing, inside the council: the largest unplaced
    supplier by its number written with leading zeros, another by name (its number
    unknown to the spend files), and the largest one placed at a registered office."""
    sup = ws.suppliers
    named = ~sup["is_redacted"].astype(bool) & sup["supplier_id"].notna()
    unplaced = sup[named & ~sup["is_located"].astype(bool)].nlargest(2, "spend")
    office = sup[named & sup["place_basis"].eq("registered_office").fillna(False)].nlargest(
        1, "spend")
    inside = sup.loc[sup["lad_code"].isin(ws.council_lads).fillna(False), "postcode"]
    pc = str(inside.dropna().iloc[0])
    a, b, c = unplaced.iloc[0], unplaced.iloc[1], office.iloc[0]
    lines = ["VENDOR_NUMBER,VENDOR_NAME,ADDRESS_LINE1,CITY,POSTAL_CODE",
             f'0000{a.supplier_id},"{a.supplier_name}",1 Depot Road,Town,{pc}',
             f'ZZ999,"{str(b.supplier_name).upper()}",2 Depot Road,Town,{pc}',
             f'{c.supplier_id},"{c.supplier_name}",3 Depot Road,Town,{pc}',
             'ZZ998,"Nobody Ltd",4 Road,Town,']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"by_id": a.supplier_key, "by_name": b.supplier_key, "office": c.supplier_key}


def test_the_vendor_master_places_suppliers_as_the_councils_own_record(env: Path) -> None:
    ws = Workspace.load("demo")
    keys = _vendor_master(ws, env / "vendors.csv")
    key_before, placed_before = source_key(ws.source), ws.measures(lm3=False).placed.value
    after, masters = ws.add_vendors([env / "vendors.csv"])
    assert masters[0].accounting()["used"] == 3
    s = after.suppliers.set_index("supplier_key")
    assert s.loc[keys["by_id"], "resolution_method"] == "register_id"
    assert s.loc[keys["by_name"], "resolution_method"] == "register_name"
    assert s.loc[keys["office"], "resolution_method"] == "register_id"
    assert (s.loc[list(keys.values()), "place_basis"] == "council_register").all()
    assert s.loc[list(keys.values()), "lad_code"].isin(ws.council_lads).all()
    assert after.measures(lm3=False).placed.value > placed_before
    assert source_key(ws.source) != key_before  # the caches see the change
    assert len(read_store(vendor_store(ws.source))) == 3
    again = Workspace.load("demo").suppliers.set_index("supplier_key")
    assert again.loc[keys["by_id"], "place_basis"] == "council_register"


def test_the_command_line_adds_a_vendor_master(env: Path) -> None:
    from click.testing import CliRunner

    from impact.cli import cli, main

    ws = Workspace.load("demo")
    _vendor_master(ws, env / "vendors.csv")
    out = CliRunner().invoke(cli, ["vendors", "add", str(env / "vendors.csv"),
                                   "--workspace", "demo"])
    assert out.exit_code == 0, out.output
    assert "vendors.csv: 4 rows = 3 used (3 at the trading address) + 1 set aside" \
        in out.output
    assert "2 suppliers on their number, 0 on their charity number, 1 on their name" \
        in out.output
    spend = env / "spend.csv"
    spend.write_text("Date,Supplier Name,Amount\n2021-04-01,Acme Ltd,12.00\n", encoding="utf-8")
    assert main(["vendors", "add", str(spend), "--workspace", "demo"]) == 2


def test_impact_locate_places_by_the_vendor_master(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``impact locate`` on an ingested folder places by the vendor master added for its
    council, as the app does: the same supplier, the same basis, the same coverage."""
    import json

    from click.testing import CliRunner

    from impact.cli import cli
    from impact.core.settings import WORKSPACE_DIR, demo_dir
    from impact.sources import folder_source

    monkeypatch.setenv(WORKSPACE_DIR, str(tmp_path / "cache"))
    out, runner = tmp_path / "anytown", CliRunner()
    assert runner.invoke(cli, ["ingest", str(demo_dir() / "spend"), "--council",
                               "Demo Borough Council (synthetic)", "--out",
                               str(out)]).exit_code == 0
    assert runner.invoke(cli, ["locate", str(out)]).exit_code == 0
    before = pd.read_parquet(out / "suppliers.parquet")
    office = before[before["place_basis"].eq("registered_office").fillna(False)
                    & before["supplier_id"].notna()].nlargest(1, "amount").iloc[0]
    inside = before.loc[before["lsoa21_code"].notna(), "postcode"].iloc[0]
    (tmp_path / "v.csv").write_text(
        "Supplier No,Supplier Name,Address,Post Code\n"
        f'000{office.supplier_id},"{office.supplier_name}","1 Depot Rd",{inside}\n',
        encoding="utf-8")
    added = runner.invoke(cli, ["vendors", "add", str(tmp_path / "v.csv"), "--workspace",
                                str(out)])
    assert added.exit_code == 0, added.output
    ran = runner.invoke(cli, ["locate", str(out)])
    assert ran.exit_code == 0, ran.output
    assert "placing by the council's vendor master" in ran.output
    after = pd.read_parquet(out / "suppliers.parquet").set_index("supplier_key")
    row = after.loc[office.supplier_key]
    assert row["resolution_method"] == "register_id"
    assert row["place_basis"] == "council_register" and row["postcode"] == inside
    share = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    app = Workspace.load(folder_source(out))
    assert app.suppliers.set_index("supplier_key").loc[
        office.supplier_key, "place_basis"] == "council_register"
    assert app.coverage["suppliers_located"] == share["suppliers_located"]


CHARITY_LAYOUTS = {
    "unit4": ("Supplier No,Supplier Name,Address Line 1,Post Code,Registered Charity Number\n"
              "S1,Hope House Trust,1 Park Rd,HX1 1AA,0512345\n"
              "S2,Calder Valley Carers,2 Mill St,HX1 2BB,1100001\n"
              "S3,Acme Widgets Ltd,3 Wharf St,HX1 3CC,\n"),
    "civica": ("Creditor Ref,Creditor Name,Postcode,Charity Number,Company Number\n"
               "S1,HOPE HOUSE TRUST,HX1 1AA,512345,\n"
               "S2,CALDER VALLEY CARERS,HX1 2BB,1100001,\n"
               "S3,ACME WIDGETS LIMITED,HX1 3CC,,01234567\n"),
}


def _located(keys: list[str], **cols: list) -> pd.DataFrame:
    """Suppliers as locate holds them before the exact joins, ``cols`` over the defaults."""
    from impact.ingest.names import normalise_names

    n = len(keys)
    sup = pd.DataFrame({c: pd.Series([None] * n, dtype="string") for c in (
        "supplier_id", "supplier_name", "company_number", "charity_number", "postcode", "sme",
        "vcse", "sic", "resolution_source", "place_basis", "matched_name")}, index=keys)
    sup["resolution_method"] = "none"
    sup["resolution_probability"] = 0.0
    for c, v in cols.items():
        sup[c] = pd.Series(v, index=keys, dtype=sup[c].dtype if c in sup else None)
    sup["supplier_name_norm"] = normalise_names(sup["supplier_name"])
    return sup


@pytest.mark.parametrize("layout", sorted(CHARITY_LAYOUTS))
def test_charities_join_the_vendor_master_on_their_number(layout: str, tmp_path: Path) -> None:
    """After the supplier number and before the name: a charity number the spend files
    give joins at once; one an exact register hit gives re-places the charity from its
    registered office to the council's record; a probable link never does."""
    from types import SimpleNamespace

    from impact.places import bulk_lookup, locate
    from impact.places.bulk import CHARITIES
    from impact.places.registers import read_register
    from impact.places.vendors import add_to_store

    vm = read_vendor_master(_write(tmp_path / f"{layout}.csv", CHARITY_LAYOUTS[layout]))
    assert "charity_number" in vm.columns_used
    store = tmp_path / "vendors-kept.csv"
    add_to_store(store, [vm])
    reg = read_register(store)
    assert reg.frame["charity_number"].dropna().tolist() == ["512345", "1100001"]
    regs = locate._Registers(reg.frame.assign(resolution_source=store.name),
                             pd.DataFrame(), [reg], [])
    sup = _located(["a", "b", "c", "d"],
                   supplier_id=["X1", "X2", "S3", "X4"],
                   supplier_name=["Hope House", "C V Carers", "Acme", "Calder Vale"],
                   charity_number=["0512345", None, None, None])
    named = locate.nameable(sup.assign(is_redacted=False))
    for key in locate.EXACT_KEYS[:3]:  # supplier number, charity number, name
        todo = (sup["resolution_method"] == "none").to_numpy() & (
            named if key.named_only else True)
        locate._assign(sup, todo, regs.rows(True), key)
    assert sup["resolution_method"].tolist() == ["register_charity", "none", "register_id",
                                                 "none"]
    # the charity register finds b exactly by name (registered office in London) and d by
    # a probable link: only the exact hit carries its number to the council's record
    table = SimpleNamespace(source="charities.parquet", layout=CHARITIES)
    for key, method, prob in (("b", "reference_name", 1.0), ("d", "fuzzy", 0.9)):
        found = pd.DataFrame({"id": ["1100001"], "name": ["CALDER VALLEY CARERS"],
                              "postcode": ["SW1A 1AA"], "status": ["registered"],
                              "sic_codes": [None], "company_number": [None]}, index=[key])
        bulk_lookup._write(sup, found, table, method, prob)
    assert sup.loc["b", "charity_number"] == "1100001" and pd.isna(sup.loc["d",
                                                                            "charity_number"])
    locate._charities_on_council_record(sup, regs)
    assert sup.loc["b", "resolution_method"] == "register_charity"
    assert sup.loc["b", "postcode"] == "HX1 2BB"
    assert sup.loc["d", "resolution_method"] == "fuzzy" and sup.loc["d", "postcode"] == "SW1A 1AA"
    basis = locate._basis_of(pd.Series([store.name]), True)[0]
    assert basis == "council_register"


def test_a_charity_found_by_the_registers_links_its_premises_by_number() -> None:
    """The Charity Commission extract's numbers link a charity whose number only the
    registers gave (the council's spend files name it differently)."""
    from types import SimpleNamespace

    from impact.places import bulk_lookup
    from impact.places.bulk import CHARITIES
    from impact.places.premises import link, premises_from_cells

    sup = _located(["k0", "k1"], supplier_name=["Calder Valley Carers Ltd", "Other Ltd"])
    found = pd.DataFrame({"id": ["1100001"], "name": ["CALDER VALLEY CARERS"],
                          "postcode": ["SW1A 1AA"], "status": ["registered"],
                          "sic_codes": [None], "company_number": [None]}, index=["k0"])
    bulk_lookup._write(sup, found, SimpleNamespace(source="c", layout=CHARITIES),
                       "reference_name")
    cells = pd.DataFrame([["registered_charity_number", "charity_name",
                           "charity_contact_postcode"],
                          ["1100001", "CVC (Halifax office)", "HX1 2BB"],
                          ["999", "Someone Else", "HX1 3CC"]]).astype(str)
    pl = premises_from_cells(cells, "charities.csv")
    links = link(pl.rows, sup.reset_index(names="supplier_key").assign(is_redacted=False,
                                                                      supplier_class="vcse"))
    assert links["supplier_key"].tolist() == ["k0"]
    assert links["method"].tolist() == ["charity_number"]
