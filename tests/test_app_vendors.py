"""The Data page's vendor master section, through AppTest: a vendor master kept for the
council (as the page's form keeps one) is shown with its rows and the suppliers it placed."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from impact.core.settings import COUNCIL, SOURCE_DIR, WORKSPACE_DIR, demo_dir, project_root

APP = str(project_root() / "app.py")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("vendors_app")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WORKSPACE_DIR, str(root / "ws"))
        mp.setenv(SOURCE_DIR, str(demo_dir() / "spend"))
        mp.setenv(COUNCIL, "Demo Borough")
        yield _add_a_vendor_master(root)


def _add_a_vendor_master(root: Path) -> dict:
    """A SAP-style vendor master of the three largest suppliers (numbers zero-padded), one
    row with a remittance address only and one with no postcode."""
    from impact.sources import start_source
    from impact.workspace import Workspace

    ws = Workspace.load(start_source())
    top = ws.suppliers[ws.suppliers["supplier_id"].notna()].nlargest(3, "spend")
    pc = str(ws.suppliers["postcode"].dropna().iloc[0])
    lines = ["Vendor,Name 1,Street,Postal Code,Remittance Address,Remittance Postcode"]
    lines += [f'00{r.supplier_id},"{r.supplier_name}",1 Any Street,{pc},,'
              for r in top.itertuples()]
    lines += ['V9,"Far Away Ltd",,,PO Box 1 London,EC1A 1BB', 'V10,"Lost Ltd",2 Road,,,']
    (root / "vendors.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, masters = ws.add_vendors([root / "vendors.csv"])
    return masters[0].accounting()


def test_the_data_page_shows_the_vendor_master(env) -> None:
    assert env["rows"] == 5 and env["used"] == 4
    assert env["address_basis"] == {"trading": 3, "remittance": 1}
    at = AppTest.from_file(APP, default_timeout=240).run()
    at.switch_page("views/data_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Vendor master" in [h.value for h in at.subheader]
    kept = next(d.value for d in at.dataframe if "Vendor master" in d.value.columns)
    row = kept.iloc[0]
    assert row["Vendor master"] == "vendors.csv" and row["Rows kept"] == 4
    assert row["At the trading address"] == 3 and row["At the remittance address"] == 1
    captions = " ".join(c.value for c in at.caption)
    assert "Suppliers placed by the council's own records: 3 on their supplier number" in captions
