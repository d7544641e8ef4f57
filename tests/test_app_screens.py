"""Pages through AppTest as people read them: words not codes, the Overview's basis split and
target, the Re-spend headline inside its band, one influenceable switch."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from impact.analysis import trends
from impact.synthetic import COUNCIL as DEMO_COUNCIL
from tests._screen import headers, identifiers

# The demo's AppTest set-up (the app file, its time limit, a workspace folder of its own).
from tests.test_app_boardpack import APP, TIMEOUT, env  # noqa: F401


@pytest.mark.usefixtures("env")
@pytest.mark.usefixtures("env")
def test_overview_in_words_with_basis_split_and_target() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader][:2] == ["Quarter by quarter, against the target",
                                                  "What the local share rests on"]
    assert headers(at) and not identifiers(at), identifiers(at)
    cells = [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    assert "council's own records" in cells
    md = " ".join(m.value for m in at.markdown)
    assert "no target is set" in md and "GREEN" not in md  # no stand-in target, ever
    try:
        at.number_input(key="local_target").set_value(95.0).run()
        assert "RED against the 95% target" in " ".join(m.value for m in at.markdown)
        again = AppTest.from_file(APP, default_timeout=TIMEOUT).run()  # kept for the council
        assert "RED against the 95% target" in " ".join(m.value for m in again.markdown)
    finally:  # the demo's workspace is shared with the other page tests
        trends.save_target(DEMO_COUNCIL, None)


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
    lm3 = float(next(m.value for m in at.metric if m.label == "Local multiplier (LM3)"))
    band = next(m.value for m in at.metric if m.label == "Likely range (P10–P90)")
    lo, hi = (float(x) for x in re.findall(r"\d+\.\d+", band))
    assert lo <= lm3 <= hi
    off = next(c.value for c in at.caption if "Influenceable spend only" in c.value)
    at.toggle(key="w_infl").set_value(True).run()
    on = next(c.value for c in at.caption if "Influenceable spend only" in c.value)
    assert "**off**" in off and "**on**" in on
