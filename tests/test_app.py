"""The Streamlit app through AppTest: every page renders, filters change figures, the resolve
queue writes the (temporary) register.  AppTest cannot click a map: selection is tested in
test_maps.py (``selected_ward``) and clicks in the browser tests."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from impact.core.settings import DEMO_REGISTER, WORKSPACE_DIR, demo_dir, project_root
from impact.ingest.names import normalise_names
from impact.outputs.exports import download_bytes
from impact.places import worklist
from impact.places.resolutions import read_audit
from impact.sources import demo_source, folder_source, resolutions_register
from impact.workspace import Workspace
from tests._shared import missing

APP = str(project_root() / "app.py")
PAGES = ["views/overview_page.py", "views/spend_map_page.py", "views/departments_page.py",
         "views/suppliers_page.py", "views/data_page.py"]
TIMEOUT = 120


def _register_without_some_suppliers(target: Path, n: int = 8) -> list[str]:
    """Copy the demo register minus ``n`` suppliers no reference register knows by name or
    company number; their names.  (A probabilistic name link may still place a few.)"""
    reg = pd.read_csv(demo_dir() / "supplier_register.csv", dtype=str, keep_default_na=False)
    ref = pd.read_csv(demo_dir() / "reference" / "suppliers" / "demo_companies_register.csv",
                      dtype=str, keep_default_na=False)
    known = set(normalise_names(ref["supplier_name"].astype("string")))
    reg_norm = normalise_names(reg["supplier_name"].astype("string"))
    free = reg[~reg_norm.isin(known).to_numpy()
               & ~reg["company_number"].isin(set(ref["company_number"]) - {""}).to_numpy()]
    assert len(free), "the demo register has no supplier only it can place"
    drop = free.iloc[::max(len(free) // n, 1)].head(n)
    reg[~reg["supplier_id"].isin(drop["supplier_id"])].to_csv(target, index=False)
    return drop["supplier_name"].tolist()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("app")
    reg = root / "supplier_register.csv"
    dropped = _register_without_some_suppliers(reg)
    old = {k: os.environ.get(k) for k in (WORKSPACE_DIR, DEMO_REGISTER)}
    os.environ[WORKSPACE_DIR] = str(root / "cache")
    os.environ[DEMO_REGISTER] = str(reg)
    yield {"register": reg, "dropped": dropped}
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_every_page_renders_on_the_demo(env) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _ok(at)
    assert at.title[0].value == "Overview"
    assert any("Synthetic demo" in w.value for w in at.warning)
    assert at.get("image"), "overview map missing"
    titles, explained = {}, {}
    for page in PAGES:
        at.switch_page(page).run()
        _ok(at)
        titles[page] = at.title[0].value
        explained[page] = "How this was calculated" in [e.label for e in at.expander]
    assert titles == {PAGES[0]: "Overview", PAGES[1]: "Spend map",
                      PAGES[2]: "Departments and time", PAGES[3]: "Suppliers",
                      PAGES[4]: "Data"}
    assert explained == dict.fromkeys(PAGES, True), "a page without its explanation"


def test_filters_change_the_figures_and_the_url(env) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    total, local = _metric(at, "Total spend"), _metric(at, "Local share")
    at.toggle(key="w_infl").set_value(True).run()
    _ok(at)
    assert _metric(at, "Total spend") != total
    assert at.query_params.get("influenceable") in ("1", ["1"])
    depts = at.multiselect(key="w_dept").options
    at.multiselect(key="w_dept").set_value([depts[0]]).run()
    _ok(at)
    assert _metric(at, "Local share") != local
    assert "dept" in at.query_params


def test_map_page_switches_metric_and_shows_a_ward_panel(env) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(PAGES[1]).run()
    sb = at.selectbox(key="map_metric")
    assert any("most deprived LSOA decile" in o for o in sb.options)  # labels shown
    sb.set_value("worst_decile").run()
    _ok(at)
    at.selectbox(key="map_ward").set_value("E05990001").run()
    _ok(at)
    panel = " ".join(h.proto.body for h in at.get("html"))
    assert "Spend received" in panel and "Most deprived LSOA decile" in panel


def _period(at: AppTest) -> tuple:
    return next(s.value for s in at.select_slider if s.key.startswith("w_period"))


def test_map_widgets_leave_the_period_filter_alone(env) -> None:
    """Regression: the Months filter collapsed to one month after using the map's widgets."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    slider = next(s for s in at.select_slider if s.key.startswith("w_period"))
    months = list(slider.options)
    slider.set_value((months[1], months[-2])).run()
    _ok(at)
    chosen = (months[1], months[-2])
    assert _period(at) == chosen and at.query_params.get("from") in (months[1], [months[1]])
    at.switch_page(PAGES[1]).run()
    for step in (lambda: at.toggle(key="map_points").set_value(False),
                 lambda: at.toggle(key="map_points").set_value(True),
                 lambda: at.toggle(key="map_pick_points").set_value(True),
                 lambda: at.selectbox(key="map_metric").set_value("worst_decile"),
                 lambda: at.selectbox(key="map_ward").set_value("E05990001")):
        step().run()
        _ok(at)
        assert _period(at) == chosen
        f = at.session_state["filters"]
        assert (f.period_from, f.period_to) == chosen


def test_no_pages_folder_beside_the_app() -> None:
    """A ``pages/`` folder beside app.py switches Streamlit to legacy auto-pages mode, and a
    deep link on a fresh server then shows "Page not found".  Page scripts go in views/."""
    assert not (project_root() / "pages").exists(), (
        "move the page scripts from pages/ to views/ and list them in app.py's PAGES")


def test_magic_is_off_and_no_page_relied_on_it() -> None:
    """``.streamlit/config.toml`` turns Streamlit's "magic" off (its AST rewrite cost a new
    session 0.1 s): safe only while no script shows a bare expression.  Streamlit's own
    rewrite of every script run as a page must find nothing to write."""
    import ast
    import tomllib

    from streamlit.runtime.scriptrunner import magic

    config = tomllib.loads((project_root() / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["magicEnabled"] is False
    assert config["runner"]["postScriptGC"] is False
    scripts = [project_root() / "app.py", *sorted((project_root() / "views").glob("*_page.py"))]
    assert len(scripts) > 10
    for path in scripts:
        tree = magic.add_magic(path.read_text(), str(path))
        shown = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                 and n.attr == "transparent_write" and hasattr(n, "lineno")]
        assert not shown, f"{path.name} lines {shown} rely on magic: call st.write instead"


def test_resolve_queue_writes_the_register(env) -> None:
    """A typed postcode is checked (one not in the postcode directory is refused and nothing
    is written), saved to the council's register under the workspace folder with an audit
    line, and the supplier leaves the queue at once."""
    register = resolutions_register(demo_source())
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(PAGES[3]).run()
    _ok(at)
    sel = at.selectbox(key="resolve_supplier")
    names = [sel.format_func(o) for o in sel.options]
    queued = [n for n in env["dropped"] if n in names]
    assert queued, (env["dropped"], names[:5])
    name = queued[0]
    # The officer's name is asked for, never taken from the machine's account.
    assert at.text_input(key="officer_name").value == ""
    sel.set_value(sel.options[names.index(name)])
    at.text_input(key="resolve_postcode").input("ZZ1 0AB")
    next(b for b in at.button if b.label.startswith("Save")).click().run()
    assert any("Type your name" in e.value for e in at.error) and not register.exists()
    at.text_input(key="officer_name").input("Ada Officer").run()
    sel = at.selectbox(key="resolve_supplier")
    sel.set_value(sel.options[[sel.format_func(o) for o in sel.options].index(name)])
    at.text_input(key="resolve_postcode").input("M99 9ZZ")
    next(b for b in at.button if b.label.startswith("Save")).click().run()
    assert not at.exception
    assert any("M99 9ZZ" in e.value and "not in the postcode directory" in e.value
               for e in at.error), [e.value for e in at.error]
    assert not register.exists()
    sel = at.selectbox(key="resolve_supplier")
    sel.set_value(sel.options[[sel.format_func(o) for o in sel.options].index(name)])
    at.text_input(key="resolve_postcode").input("ZZ1 0AB")
    next(b for b in at.button if b.label.startswith("Save")).click().run()
    _ok(at)
    reg = pd.read_csv(register, dtype=str, keep_default_na=False)
    row = reg[reg["supplier_name"] == name]
    assert len(row) == 1 and row["postcode"].iloc[0] == "ZZ1 0AB"
    assert row["source"].iloc[0] == "manual"
    assert any("Saved" in s.value and "Figures updated" in s.value for s in at.success)
    # The supplier has left the queue: the figures were updated without a reload.
    sel = at.selectbox(key="resolve_supplier")
    assert name not in [sel.format_func(o) for o in sel.options]
    assert read_audit(register)[["supplier_name", "who"]].values.tolist() == [
        [name, "Ada Officer"]]
    # Neither the committed demo register nor the one the demo was opened with is written.
    assert name in (demo_dir() / "supplier_register.csv").read_text(encoding="utf-8")
    assert name not in env["register"].read_text(encoding="utf-8")


def test_the_finance_template_goes_out_and_comes_back_accounted_for(env) -> None:
    """The template (unplaced suppliers by £) filled in and imported on the page: every row
    is applied or rejected with its reason, and the typed name is in the audit trail."""
    register = resolutions_register(demo_source())
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page(PAGES[3]).run()
    _ok(at)
    assert any("influenceable spend is placed" in str(p.proto) for p in at.get("progress"))
    at.text_input(key="officer_name").input("Ada Officer").run()
    tpl = worklist.template(Workspace.load(demo_source()).suppliers)
    assert len(tpl) >= 2
    tpl["Postcode"] = ["ZZ7 9WE", "M99 9ZZ"] + [""] * (len(tpl) - 2)
    tpl = pd.concat([tpl, pd.DataFrame([[""] * len(tpl.columns)] * 2, columns=tpl.columns)],
                    ignore_index=True)  # the spreadsheet's empty lines at the end
    at.file_uploader(key="import_file").set_value(
        ("vendor master.csv", download_bytes(tpl, "CSV"), "text/csv")).run()  # as downloaded
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    _ok(at)
    summary = next(m.value for m in at.markdown if "rows in" in m.value)
    assert f"{len(tpl)} rows in = 1 applied + {len(tpl) - 2} left blank + 1 rejected" in summary
    trail = read_audit(register)
    assert trail["supplier_name"].iloc[0] == tpl["Supplier name"].iloc[0]
    assert (trail["who"].iloc[0], trail["how"].iloc[0]) == (
        "Ada Officer", "imported from vendor master.csv")


@pytest.mark.shared
def test_a_real_council_renders_every_page(env, shared_data: Path) -> None:
    folder = shared_data / "spend" / "hyndburn"
    files = sorted(folder.glob("hyndburn_19*.csv"))[:4]
    if not files:
        missing(f"no Hyndburn 2019 files in {folder}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["source"] = folder_source(folder, council="Hyndburn",
                                               reference=shared_data, files=files)
    at.run()
    _ok(at)
    assert not any("Synthetic demo" in w.value for w in at.warning)
    for page in PAGES:
        at.switch_page(page).run()
        _ok(at)
    assert at.title[0].value == "Data"




def test_the_app_opens_on_impact_source_dir(env, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    """IMPACT_SOURCE_DIR (+ IMPACT_COUNCIL) opens the app on a folder of spend files; a
    folder that does not exist gives one warning and the demo; a folder without spend
    files gives its load error once (not in the sidebar and the page)."""
    monkeypatch.setenv("IMPACT_SOURCE_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [e.value for e in at.error if "no spend files" in e.value] == [
        e.value for e in at.error] and len(at.error) == 1, [e.value for e in at.error]
    assert not at.sidebar.error
    monkeypatch.setenv("IMPACT_SOURCE_DIR", str(project_root() / "no-such-folder"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _ok(at)
    assert any("IMPACT_SOURCE_DIR" in w.value and "does not exist" in w.value
               for w in at.warning)
    assert any("Synthetic demo" in w.value for w in at.warning)

    spend = demo_dir() / "spend" / "demo-spend-2024-04.csv"  # one file: a quick ingest
    monkeypatch.setenv("IMPACT_SOURCE_DIR", str(spend))
    monkeypatch.setenv("IMPACT_COUNCIL", "Demo Borough Council")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _ok(at)
    src = at.session_state["source"]
    assert src.kind == "folder" and src.council == "Demo Borough Council"
    assert src.files == (str(spend),)
    assert not any("Synthetic demo" in w.value for w in at.warning)
    assert _metric(at, "Total spend")
