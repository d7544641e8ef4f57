"""A file handed to the wrong door: a vendor master given to `impact premises add` (or the
Data page's premises upload) and a premises list given to `impact vendors add` are refused
with the right door named, by the column roles each reader finds, and nothing is kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from impact.places.filekinds import is_vendor_master, premises_kind_of
from impact.places.premises import first_grid
from impact.sources import WorkspaceError, premises_store, vendor_store
from impact.workspace import Workspace
from tests import test_premises
from tests._shared import require
from tests.test_vendors import CHARITY_LAYOUTS, LAYOUTS

env = test_premises.env

#: Premises lists in layouts built here: rates, care homes, a charity extract.
PREMISES = {
    "rates": "Occupier,Property Address,Postcode,Rateable Value,Description\n"
             "Acme Builders Ltd,1 High St Anytown,AB1 2CD,12000,Workshop\n",
    "care": "Location Name,Provider,Address,Post Code,Latitude,Longitude\n"
            "Oak House,Oak Care Ltd,1 Oak Rd,AB1 2CD,53.45,-2.31\n",
    "charities": "Registered Charity Number,Charity Name,Contact Address,Contact Postcode\n"
                 "1100001,Hope House Trust,1 Park Rd,AB1 2CD\n",
}
#: Vendor masters in layouts built here (the finance systems' exports), one with only a
#: remittance address beside the supplier number.
VENDORS = {**{k: v[0] for k, v in LAYOUTS.items()}, **CHARITY_LAYOUTS,
           "remittance": "Supplier Number,Supplier Name,Remittance Address,Remittance Postcode\n"
                         "100,Acme Widgets Ltd,PO Box 1 Leeds,LS1 4AB\n"}


def _grid(tmp_path: Path, name: str, text: str) -> pd.DataFrame:
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return first_grid(path, ValueError)


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_a_vendor_master_is_known_by_its_columns(name: str, tmp_path: Path) -> None:
    cells = _grid(tmp_path, name, VENDORS[name])
    assert is_vendor_master(cells) and premises_kind_of(cells) is None


@pytest.mark.parametrize("name", sorted(PREMISES))
def test_a_premises_list_is_known_by_its_columns(name: str, tmp_path: Path) -> None:
    cells = _grid(tmp_path, name, PREMISES[name])
    assert not is_vendor_master(cells) and premises_kind_of(cells)


def test_the_shared_lists_are_what_they_are() -> None:
    folder = require("premises")
    for path in sorted(folder.glob("*.csv")):
        cells = first_grid(path, ValueError)
        assert premises_kind_of(cells) and not is_vendor_master(cells), path.name
    salford = first_grid(require("suppliers", "salford_contracts_register_2022.csv"),
                         ValueError)
    assert premises_kind_of(salford) is None  # read as the vendor master it is


def test_each_door_names_the_other_and_keeps_nothing(env: Path, capsys) -> None:
    from impact.cli import main

    ws = Workspace.load("demo")
    (env / "vendors.csv").write_text(VENDORS["oracle"], encoding="utf-8")
    (env / "rates.csv").write_text(PREMISES["rates"], encoding="utf-8")
    with pytest.raises(WorkspaceError, match=r"looks like a vendor master.*impact vendors add"):
        ws.add_premises([env / "vendors.csv"])  # what the Data page's upload calls
    with pytest.raises(WorkspaceError, match=r"looks like a premises list.*impact premises"):
        ws.add_vendors([env / "rates.csv"])
    assert main(["premises", "add", str(env / "vendors.csv"), "--workspace", "demo"]) == 2
    assert "use `impact vendors add`" in capsys.readouterr().err
    assert main(["vendors", "add", str(env / "rates.csv"), "--workspace", "demo"]) == 2
    assert "use `impact premises add`" in capsys.readouterr().err
    assert not premises_store(ws.source).exists() and not vendor_store(ws.source).exists()
    # each at its own door is taken
    after, lists = ws.add_premises([env / "rates.csv"])
    assert lists[0].kind == "business rates" and premises_store(ws.source).exists()
    after.add_vendors([env / "vendors.csv"])
    assert vendor_store(ws.source).exists()
