"""The officer's placed suppliers: checked, saved with an audit trail, applied on every start,
and a save giving exactly the figures a full reload gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from impact.core.settings import DEMO_REGISTER, WORKSPACE_DIR, demo_dir
from impact.ingest.names import normalise_names
from impact.outputs.exports import to_csv_bytes
from impact.places import worklist
from impact.places.linkage import PLACE_BITS
from impact.places.reference import Reference
from impact.places.registers import RegisterRow, read_register
from impact.places.resolutions import Author, audit_path, check_rows, read_audit
from impact.sources import demo_source, folder_source, resolutions_register, save_uploads
from impact.workspace import Workspace

ME = Author("Test Officer", "typed in the app")
IN_BOROUGH = "ZZ1 0AB"  # a demo postcode in the borough (data/demo/reference)


def _thin_register(target: Path) -> None:
    """The demo register with two thirds of its rows dropped, so there is work to do."""
    reg = pd.read_csv(demo_dir() / "supplier_register.csv", dtype=str, keep_default_na=False)
    reg.iloc[::3].to_csv(target, index=False)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("resolutions")
    _thin_register(root / "register.csv")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WORKSPACE_DIR, str(root / "ws"))
        mp.setenv(DEMO_REGISTER, str(root / "register.csv"))
        yield root


@pytest.fixture
def clean(env: Path) -> Path:
    """No resolutions yet (the ingest/locate caches stay, so loads are quick)."""
    register = resolutions_register(demo_source())
    register.unlink(missing_ok=True)
    audit_path(register).unlink(missing_ok=True)
    return register


def _unplaced(ws: Workspace, with_id: bool | None = None) -> pd.DataFrame:
    todo = ws.suppliers[worklist.placeable(ws.suppliers).to_numpy()]
    if with_id is not None:
        todo = todo[todo["supplier_id"].notna() == with_id]
    return todo.sort_values("spend", ascending=False)


def _row(sup: pd.Series, **place: str) -> RegisterRow:
    sid = None if pd.isna(sup["supplier_id"]) else str(sup["supplier_id"])
    return RegisterRow(str(sup["supplier_name"]), sid, **place)


# ------------------------------------------------------------------------- validation


@pytest.fixture
def tiny_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Reference:
    """The demo reference with a postcode table that knows terminations, Scotland and NI."""
    monkeypatch.setenv("IMPACT_CACHE_DIR", str(tmp_path / "cache"))
    root = shutil.copytree(demo_dir() / "reference", tmp_path / "reference")
    pcs = pd.read_csv(root / "geography" / "postcodes_demo.csv", dtype=str)
    pcs["doterm"] = ""
    pcs.loc[pcs["postcode"] == "ZZ1 0BR", "doterm"] = "202001"
    extra = pd.DataFrame({"postcode": ["EH1 1YZ", "BT1 1AA"], "lat": ["55.95", "54.60"],
                          "long": ["-3.19", "-5.93"], "doterm": ["", ""]})
    pd.concat([pcs, extra]).to_csv(root / "geography" / "postcodes_demo.csv", index=False)
    return Reference(root)


def test_postcodes_must_be_in_the_directory_and_numbers_well_formed(tiny_reference) -> None:
    rows = [
        RegisterRow("A Ltd", postcode="M99 9ZZ"),  # well formed, in no directory
        RegisterRow("B Ltd", postcode="nonsense"),
        RegisterRow("C Ltd", company_number="123456789"),
        RegisterRow("D Ltd"),
        RegisterRow("", postcode=IN_BOROUGH),
        RegisterRow("E Ltd", postcode=" zz10ab "),
        RegisterRow("F Ltd", company_number="sc1234"),
    ]
    got = check_rows(rows, tiny_reference)
    assert sorted(got.refused) == [0, 1, 2, 3, 4]
    assert "M99 9ZZ" in got.refused[0] and "not in the postcode directory" in got.refused[0]
    assert got.refused[1] == "'nonsense' is not a UK postcode"
    assert "not a Companies House number" in got.refused[2]
    assert got.refused[3] == "a postcode or a Companies House number is needed"
    assert got.refused[4] == "a supplier name or id is needed"
    assert got.accepted[5].row.postcode == IN_BOROUGH and not got.accepted[5].flags
    assert "Demo Borough" in got.accepted[5].place
    assert got.accepted[6].row.company_number == "SC001234"
    assert "stays unplaced" in got.accepted[6].flags[0]  # no register knows the company


def test_terminated_and_non_english_postcodes_are_placed_and_flagged(tiny_reference) -> None:
    rows = [RegisterRow("T Ltd", postcode="ZZ1 0BR"), RegisterRow("S Ltd", postcode="EH1 1YZ"),
            RegisterRow("N Ltd", postcode="BT1 1AA")]
    got = check_rows(rows, tiny_reference)
    assert not got.refused
    assert got.accepted[0].flags == ("terminated postcode: placed at its last location",)
    assert "Scotland" in got.accepted[1].flags[0] and "outside England" in got.accepted[1].flags[0]
    assert "Northern Ireland" in got.accepted[2].flags[0]


def test_a_refused_save_writes_nothing(clean: Path) -> None:
    ws = Workspace.load("demo")
    sup = _unplaced(ws).iloc[0]
    done = ws.resolve([_row(sup, postcode="M99 9ZZ")], ME)
    assert done.workspace is ws and list(done.checks.refused) == [0]
    assert not clean.exists() and not audit_path(clean).exists()
    # A row that names no supplier of these payments is refused too.
    done = ws.resolve([RegisterRow("Nobody Of This Name Ltd", postcode=IN_BOROUGH)], ME)
    assert "no supplier in these payments" in done.checks.refused[0]
    assert not clean.exists()


# ------------------------------------------------------------------------- applying


def _same(a: Workspace, b: Workspace, check_dtype: bool = True) -> None:
    pd.testing.assert_frame_equal(a.suppliers, b.suppliers, check_dtype=check_dtype)
    cols = sorted(a.transactions.columns)
    pd.testing.assert_frame_equal(a.transactions[cols], b.transactions[cols],
                                  check_dtype=check_dtype)
    drop = ("fuzzy", "registers", "council_register")
    assert {k: v for k, v in a.coverage.items() if k not in drop} == {
        k: v for k, v in b.coverage.items() if k not in drop}
    fa, fb = a.measures(lm3=False).figures(), b.measures(lm3=False).figures()
    assert {k: (f.value, f.coverage, f.lower, f.upper) for k, f in fa.items()} == {
        k: (f.value, f.coverage, f.lower, f.upper) for k, f in fb.items()}


def test_a_save_gives_the_figures_of_a_full_reload(clean: Path) -> None:
    ws = Workspace.load("demo")
    with_id = _unplaced(ws, with_id=True)
    assert len(with_id) >= 3
    by_name = with_id.iloc[2]  # given by its name alone, as a register without IDs would
    first = ws.resolve([_row(with_id.iloc[0], postcode=IN_BOROUGH),
                        RegisterRow(str(by_name["supplier_name"]), None, postcode="ZZ7 9WE"),
                        _row(with_id.iloc[1], company_number="ZZ694302")], ME)
    assert len(first.checks.accepted) == 3, first.checks.refused
    # A second save changes one of them again (the register row is updated, not added).
    second = first.workspace.resolve([_row(with_id.iloc[0], postcode="ZZ8 6NP")], ME)
    after = second.workspace
    assert after.key != ws.key
    assert after.coverage["share_of_spend_located"] > ws.coverage["share_of_spend_located"]
    placed = after.suppliers.set_index("supplier_key")
    assert placed.loc[with_id.iloc[0]["supplier_key"], "postcode"] == "ZZ8 6NP"
    assert placed.loc[with_id.iloc[1]["supplier_key"], "postcode"] == "ZZ7 9WE"  # its office
    assert set(placed.loc[[s["supplier_key"] for s in (with_id.iloc[0], by_name)],
                          "resolution_method"]) == {"manual"}
    assert len(read_register(clean).frame) == 3
    _same(after, Workspace.load("demo"))  # the disk caches and the register, as on a restart
    _same(after, Workspace.load("demo", use_cache=False), check_dtype=False)  # from scratch


def test_two_sessions_saving_in_turn_lose_nothing(clean: Path) -> None:
    """Session B's workspace was loaded before session A saved: B's save must not patch
    over A's row (it loads anew from the caches instead)."""
    a, b = Workspace.load("demo"), Workspace.load("demo")
    todo = _unplaced(a, with_id=True)
    a.resolve([_row(todo.iloc[0], postcode=IN_BOROUGH)], ME)
    after_b = b.resolve([_row(todo.iloc[1], postcode="ZZ7 9WE")], ME).workspace
    placed = after_b.suppliers.set_index("supplier_key").loc[todo["supplier_key"].head(2)]
    assert placed["postcode"].tolist() == [IN_BOROUGH, "ZZ7 9WE"]
    _same(after_b, Workspace.load("demo"))


def test_resolutions_apply_however_the_council_is_opened(clean: Path) -> None:
    """Demo, a folder of spend files, an ingested folder and an upload of the same council
    all read the council's register under the workspace folder."""
    ws = Workspace.load("demo")
    council, ref = ws.source.council, demo_dir() / "reference"
    month = demo_dir() / "spend" / "demo-spend-2024-04.csv"
    uploaded = folder_source(save_uploads([(month.name, month.read_bytes())], council),
                             council=council, reference=ref)
    in_april = _unplaced(Workspace.load(uploaded), with_id=True)["supplier_key"]
    sup = _unplaced(ws, with_id=True).set_index("supplier_key").loc[in_april.iloc[0]]
    ws.resolve([RegisterRow(str(sup["supplier_name"]), str(sup["supplier_id"]),
                            postcode=IN_BOROUGH)], ME)
    sources = {
        "demo": demo_source(),
        "folder": folder_source(demo_dir() / "spend", council=council, reference=ref),
        "ingested": folder_source(ws.outdir, reference=ref),
        "upload": uploaded,
    }
    for how, source in sources.items():
        loaded = Workspace.load(source).suppliers.set_index("supplier_key")
        got = loaded.loc[sup.name, ["postcode", "resolution_method"]].tolist()
        assert got == [IN_BOROUGH, "manual"], how


def test_rows_added_by_hand_place_like_a_council_register(clean: Path) -> None:
    """A row typed into the register in a spreadsheet (no source) places its supplier as the
    council's register does; only rows the app wrote count as placed by an officer."""
    ws = Workspace.load("demo")
    sup = _unplaced(ws, with_id=True).iloc[0]
    clean.parent.mkdir(parents=True, exist_ok=True)
    clean.write_text(f"supplier_id,supplier_name,postcode\n{sup['supplier_id']},"
                     f"{sup['supplier_name']},{IN_BOROUGH}\n", encoding="utf-8")
    got = Workspace.load("demo").suppliers.set_index("supplier_key").loc[sup["supplier_key"]]
    assert (got["postcode"], got["resolution_method"]) == (IN_BOROUGH, "register_id")


def test_the_audit_trail_says_who_when_how_and_what_it_replaced(clean: Path) -> None:
    ws = Workspace.load("demo")
    sup = _unplaced(ws, with_id=True).iloc[0]
    ws = ws.resolve([_row(sup, postcode=IN_BOROUGH, note="from the invoice")], ME).workspace
    ws.resolve([_row(sup, postcode="ZZ8 6NP")], Author("Another Officer", "imported from x.csv"))
    trail = read_audit(clean)
    assert trail["who"].tolist() == ["Another Officer", "Test Officer"]  # newest first
    assert trail["how"].tolist() == ["imported from x.csv", "typed in the app"]
    assert trail["postcode"].tolist() == ["ZZ8 6NP", IN_BOROUGH]
    assert trail["previous_postcode"].tolist() == [IN_BOROUGH, ""]
    assert trail["previously_placed_by"].tolist() == ["manual", "none"]
    assert trail["note"].iloc[1] == "from the invoice"
    assert pd.to_datetime(trail["when"]).notna().all()


# ------------------------------------------------------------------------- bulk


def test_the_template_comes_back_with_every_row_accounted_for(clean: Path) -> None:
    ws = Workspace.load("demo")
    target = worklist.coverage_target(ws.suppliers, 0.999)
    tpl = worklist.template(ws.suppliers, target)
    assert tpl["Spend (£)"].is_monotonic_decreasing and len(tpl) >= 6
    assert (tpl["Needed for the target"] == "Yes").sum() == len(target.keys)
    filled = tpl.head(6).copy()
    filled["Postcode"] = [IN_BOROUGH, "M99 9ZZ", "", "ZZ7 9WE", IN_BOROUGH, ""]
    filled["Company number"] = ["", "", "", "", "", "not-a-number"]
    filled.loc[4, ["Supplier name", "Supplier ID"]] = filled.loc[0, ["Supplier name",
                                                                      "Supplier ID"]].values
    data = to_csv_bytes(filled)  # what the download gives (formula-safe), filled in
    read = worklist.read_template(data, "vendor-master.csv")
    done = ws.resolve(read.rows, Author("Finance", "imported from vendor-master.csv"))
    report = worklist.import_report(read, done.checks)
    assert report.rows_in == 6 and report.balanced
    assert report.applied["line"].tolist() == [2, 5]
    assert report.blank == 1  # line 4: left blank, counted apart from the rejections
    reasons = dict(zip(report.rejected["line"], report.rejected["reason"], strict=True))
    assert sorted(reasons) == [3, 6, 7]
    assert "not in the postcode directory" in reasons[3]
    assert reasons[6].startswith("duplicate: line 2")
    assert "not a Companies House number" in reasons[7]
    assert report.sentence() == "6 rows in = 2 applied + 1 left blank + 3 rejected"
    assert len(read_register(clean).frame) == 2
    # The same file again changes nothing: no row applied, no audit line added.
    audited = len(read_audit(clean))
    again = done.workspace.resolve(read.rows, Author("Finance", "imported again"))
    report = worklist.import_report(read, again.checks)
    assert report.balanced and report.applied.empty and len(report.unchanged) == 2
    assert report.sentence() == (
        "6 rows in = 0 applied + 2 unchanged (the register has them already) + 1 left blank"
        " + 3 rejected")
    assert len(read_audit(clean)) == audited and len(read_register(clean).frame) == 2


def test_the_template_lists_only_suppliers_an_officer_can_place() -> None:
    """A national body (HMRC) has no local postcode and a redacted payee no name: neither
    is in the template, whatever its £."""
    sup = pd.DataFrame({
        "supplier_key": list("abcd"), "supplier_id": ["1", "2", "3", "4"],
        "supplier_name": ["HM Revenue & Customs", "Redacted", "Acme Ltd", "Placed Ltd"],
        "spend": [900.0, 800.0, 100.0, 50.0],
        "is_located": [False, False, False, True],
        "is_redacted": [False, True, False, False],
        "supplier_class": ["public_body", "individual_redacted", "company", "company"],
        "place_basis": ["national", None, None, "council_register"],
        "suggested_name": None, "suggested_postcode": None, "suggested_probability": None,
    })
    tpl = worklist.template(sup)
    assert tpl["Supplier name"].tolist() == ["Acme Ltd"] and tpl["Rank"].tolist() == [1]


def test_a_suggestion_shows_its_evidence_in_words_not_a_probability() -> None:
    """The template says how strong each suggestion's evidence is, in words from the names'
    evidence in bits (the register's size left out): strong from the placing threshold,
    fair from FAIR_BITS, weak below, nothing where there is no suggestion."""
    bits = [PLACE_BITS + 0.5, PLACE_BITS, worklist.FAIR_BITS, worklist.FAIR_BITS - 0.1, 4.0,
            None]
    sup = pd.DataFrame({
        "supplier_key": list("abcdef"), "supplier_id": list("123456"),
        "supplier_name": list("ABCDEF"), "spend": [60.0, 50.0, 40.0, 30.0, 20.0, 10.0],
        "is_located": False, "is_redacted": False, "supplier_class": "company",
        "suggested_name": ["X"] * 5 + [None], "suggested_postcode": [IN_BOROUGH] * 5 + [None],
        "suggested_probability": [0.2, 0.1, 0.02, 0.01, 0.001, None],
        "suggested_evidence_bits": bits,
    })
    tpl = worklist.template(sup)
    strong = "strong evidence, but another name fits as well"
    assert tpl["Evidence for the match"].tolist() == [
        strong, strong, "fair evidence", "weak evidence", "weak evidence", ""]
    assert not any("probab" in c.lower() or "_" in c for c in tpl.columns)
    for words in worklist.EVIDENCE_WORDS:
        assert f'"{words}"' in worklist.EVIDENCE_HOW
    # Suppliers placed before the evidence was kept: no words, rather than wrong ones.
    old = worklist.template(sup.drop(columns="suggested_evidence_bits"))
    assert set(old["Evidence for the match"]) == {""}


def test_formula_guarded_names_are_read_back_as_published() -> None:
    tpl = pd.DataFrame({"Supplier name": ["=HYPERLINK(1)", "Plain Ltd"], "Supplier ID": ["", ""],
                        "Postcode": [IN_BOROUGH, IN_BOROUGH]})
    read = worklist.read_template(to_csv_bytes(tpl), "t.csv")
    assert to_csv_bytes(tpl).decode("utf-8-sig").splitlines()[1].startswith("'=HYPERLINK")
    assert [r.supplier_name for r in read.rows] == ["=HYPERLINK(1)", "Plain Ltd"]
    with pytest.raises(ValueError, match="no postcode column"):
        worklist.read_template(b"name,where\nA,B\n", "t.csv")


def test_coverage_target_by_hand() -> None:
    """Influenceable £100 (the £50 public body left out): £40 placed; £30, £15, £10 and a
    redacted £5 unplaced.  80 % needs £80: £30 then £15 reach £85, so two suppliers."""
    sup = pd.DataFrame({
        "supplier_key": list("abcdefg"),
        "supplier_name": ["A", "B", "C", "D", "Redacted", "Council", "E"],
        "spend": [40.0, 30.0, 15.0, 10.0, 5.0, 50.0, 0.0],
        "is_located": [True, False, False, False, False, False, False],
        "is_redacted": [False, False, False, False, True, False, False],
        "supplier_class": ["company"] * 4 + ["individual_redacted", "public_body", "company"],
    })
    t = worklist.coverage_target(sup)
    assert t.share_now == pytest.approx(0.40) and t.keys == ("b", "c") and t.reachable
    assert t.share_if_all == pytest.approx(0.95)
    t = worklist.coverage_target(sup, 0.99)
    assert not t.reachable and t.keys == ("b", "c", "d", "g")
    assert worklist.coverage_target(sup, 0.3).met


def test_suggestions_are_accepted_in_bulk(clean: Path) -> None:
    ws = Workspace.load("demo")
    todo = _unplaced(ws).head(2).copy()
    todo["suggested_name"] = ["Near Name Ltd", "Other Name Ltd"]
    todo["suggested_postcode"] = [IN_BOROUGH, "ZZ7 9WE"]
    todo["suggested_probability"] = [0.71, 0.55]
    todo["suggested_evidence_bits"] = [10.5, 5.0]
    rows = worklist.accepted_suggestions(todo)
    assert [r.source for r in rows] == ["suggestion", "suggestion"]
    assert rows[0].note == "suggested match Near Name Ltd (fair evidence)"
    assert rows[1].note == "suggested match Other Name Ltd (weak evidence)"
    after = ws.resolve(rows, ME).workspace.suppliers.set_index("supplier_key")
    assert after.loc[todo["supplier_key"], "postcode"].tolist() == [IN_BOROUGH, "ZZ7 9WE"]
    assert set(after.loc[todo["supplier_key"], "resolution_method"]) == {"manual"}
    norm = normalise_names(pd.Series(todo["supplier_name"].tolist(), dtype="string"))
    assert set(read_register(clean).frame["supplier_name_norm"]) == set(norm)


@pytest.mark.shared
def test_the_national_postcode_directory_decides(shared_data: Path) -> None:
    """With the real reference data: a made-up postcode is refused; Scottish, Northern Irish
    and Welsh ones are placed and flagged as outside England; an English one is not."""
    rows = [RegisterRow(n, postcode=p) for n, p in (
        ("A", "M99 9ZZ"), ("B", "EH1 1YZ"), ("C", "BT1 1AA"), ("D", "CF10 1EP"),
        ("E", "HX1 1UJ"))]
    got = check_rows(rows, Reference(shared_data))
    assert list(got.refused) == [0] and "not in the postcode directory" in got.refused[0]
    assert "Scotland" in got.accepted[1].flags[0]
    assert "Northern Ireland" in got.accepted[2].flags[0]
    assert "outside England" in got.accepted[3].flags[0] and "Cardiff" in got.accepted[3].place
    assert got.accepted[4].flags == () and "Calderdale" in got.accepted[4].place


def test_what_the_template_sets_apart_is_counted() -> None:
    sup = pd.DataFrame({
        "supplier_name": ["HMRC", "Redacted", "Acme Ltd"], "spend": [900.0, 800.0, 100.0],
        "is_located": [False, False, False], "is_redacted": [False, True, False],
        "supplier_class": ["public_body", "individual_redacted", "company"],
        "place_basis": ["national", None, None],
    })
    assert worklist.set_apart(sup) == {"national": (1, 900.0), "redacted": (1, 800.0)}
