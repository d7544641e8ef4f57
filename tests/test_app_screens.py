"""Pages through AppTest as people read them: words not codes, the Overview's basis split and
target, the Re-spend headline inside its band, one influenceable switch."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests._screen import headers, identifiers

# The demo's AppTest set-up (the app file, its time limit, a workspace folder of its own).
from tests.test_app_boardpack import APP, TIMEOUT, env  # noqa: F401


@pytest.mark.usefixtures("env")
def test_overview_in_words_with_basis_split_and_target() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader][:2] == ["Quarter by quarter, against the target",
                                                  "What the local share rests on"]
    assert headers(at) and not identifiers(at), identifiers(at)
    cells = [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    assert "council register (a trading address)" in cells
    md = " ".join(m.value for m in at.markdown)
    assert re.search(r"(on target|within the range|below target|not enough data)", md)
    at.number_input(key="local_target").set_value(95.0).run()
    assert at.query_params.get("target") in ("95", ["95"])
    assert "below target" in " ".join(m.value for m in at.markdown)


#: Pages this test reads for internal identifiers (Spend map and Left behind have their own).
PAGES = ["views/overview_page.py", "views/departments_page.py", "views/suppliers_page.py",
         "views/data_page.py", "views/lm3_page.py", "views/scenarios_page.py",
         "views/consultation_page.py", "views/compare_page.py"]


@pytest.mark.usefixtures("env")
def test_pages_show_no_internal_identifiers() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    problems = {}
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        problems[page] = identifiers(at)
        labels = [b.proto.label for b in at.get("download_button")]
        assert len(labels) == len(set(labels)), (page, labels)
    assert problems == {page: [] for page in PAGES}, problems


@pytest.mark.usefixtures("env")
def test_respend_headline_is_p50_inside_band_and_uses_the_sidebar_switch() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/lm3_page.py").run()
    assert not at.exception
    assert not [t for t in at.toggle if t.key != "w_infl"], "a second influenceable switch"
    lm3 = float(next(m.value for m in at.metric if m.label == "LM3 (P50)"))
    band = next(c.value for c in at.caption if c.value.startswith("Likely range (P10–P90)"))
    lo, hi = (float(x) for x in re.findall(r"\d+\.\d+", band))
    assert lo <= lm3 <= hi
    off = next(c.value for c in at.caption if "Influenceable spend only" in c.value)
    at.toggle(key="w_infl").set_value(True).run()
    on = next(c.value for c in at.caption if "Influenceable spend only" in c.value)
    assert "**off**" in off and "**on**" in on
