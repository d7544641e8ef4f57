"""Time the app as a person meets it, in headless Debian Chromium: first paint and map redraw.

Run: ``.venv/bin/python bench/bench_browser.py``.  Prints only (no asserts).

* Overview first paint — navigation start → first metric value in the DOM, measured inside the
  page (``performance.now()`` from a MutationObserver), on a freshly started server (cold:
  empty ingest cache, empty browser cache) and again in new sessions reusing the browser
  cache (warm, median of 3).
* Filter redraw — change a sidebar filter on the map page, then time until the app is idle
  again and until the deck.gl canvas shows different pixels (polled by screenshot, so that
  figure is a few tens of ms pessimistic).
* The same on a real council (Hyndburn) when the shared public data is present: loaded
  through the Data page's folder form (the app has no setting to open on a folder), then the
  Overview reached by a sidebar click (same session) is timed; skipped with a reason otherwise.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import (  # noqa: E402
    APP,
    CHROMIUM,
    DECK,
    METRIC_VALUE,
    NAV_LINK,
    SCREENSHOTS,
    SKELETON,
    deck_canvas,
    hermetic_env,
    new_context,
    streamlit_server,
    wait_idle,
    wait_map_drawn,
)

#: Records (in page time, ms since navigation start) when the first metric value appears and
#: every change of Streamlit's script state.
_OBSERVER = f"""
window.__bench = {{metric: null, states: []}};
new MutationObserver(() => {{
  const b = window.__bench;
  if (b.metric === null && document.querySelector('{METRIC_VALUE}')) b.metric = performance.now();
  const app = document.querySelector('{APP}');
  const s = app && app.getAttribute('data-test-script-state');
  if (s && (b.states.length === 0 || b.states[b.states.length - 1][0] !== s))
    b.states.push([s, performance.now()]);
}}).observe(document, {{subtree: true, childList: true, attributes: true}});
"""

TARGETS = {"demo": (2.0, 0.5), "real": (4.0, 0.5)}  # first paint s, filter redraw s


def first_paint(browser, url: str, repeat: int = 1) -> list[float]:
    """Seconds from navigation start to the first metric value in the DOM, per visit.

    The first visit has an empty browser cache; later visits reuse it (a returning user),
    each in a new Streamlit session.
    """
    context, page, _ = new_context(browser)
    out = []
    try:
        page.add_init_script(_OBSERVER)
        for _ in range(repeat):
            page.goto(url)
            page.wait_for_function("window.__bench && window.__bench.metric !== null",
                                   timeout=120_000)
            out.append(page.evaluate("window.__bench.metric") / 1000)
        return out
    finally:
        context.close()


def _nav(page, label: str) -> bool:
    """Client-side navigation through the sidebar (keeps the Streamlit session)."""
    link = page.locator(NAV_LINK).filter(has_text=label)
    if not link.count():
        return False
    link.first.click()
    return True


def _time_until_idle(page, t0: float, extra: str = "true", timeout_ms: int = 300_000) -> float:
    """Seconds from page time ``t0`` until the script has run and finished, nothing is still
    drawn as a skeleton, and ``extra`` (a JS expression) holds."""
    done = page.wait_for_function(
        f"""() => {{
            const b = window.__bench;
            const ran = b.states.some(([s, t]) => s === 'running' && t >= {t0});
            const idle = b.states.length && b.states.at(-1)[0] === 'notRunning';
            return ran && idle && !document.querySelector('{SKELETON}') && ({extra})
                ? performance.now() : false;
        }}""", timeout=timeout_ms, polling="raf")
    return (done.json_value() - t0) / 1000


def _sidebar_change(page) -> tuple[str, Callable[[], None]] | None:
    """(what, action) changing one sidebar filter; None when the sidebar has none.

    A toggle is preferred (no debounce, as instant as a user's click); else the upper handle
    of the first slider is moved one step left (the months range).
    """
    side = page.locator('[data-testid="stSidebar"]')
    switch = side.get_by_role("switch")
    if switch.count():
        return "toggle", lambda: switch.first.click(force=True)
    slider = side.locator('[data-testid="stSlider"] [role="slider"]')
    if slider.count():
        def nudge() -> None:
            slider.last.focus()
            page.keyboard.press("ArrowLeft")
        return "slider", nudge
    return None


def filter_redraw(page) -> tuple[float | None, float | None, str]:
    """(s to app idle, s to changed canvas, note) after one sidebar filter change on the map.

    Expects ``page`` to be in a loaded session; goes to the map through the sidebar.
    """
    if not _nav(page, "map"):
        return None, None, "no map page in the navigation"
    page.wait_for_timeout(300)
    wait_idle(page)
    if not page.locator(DECK).count():
        return None, None, "map page shows no deck.gl map"
    before, _, _ = wait_map_drawn(page)
    change = _sidebar_change(page)
    if change is None:
        return None, None, "no sidebar filter found"
    what, act = change
    t0 = page.evaluate("performance.now()")
    act()
    idle = _time_until_idle(page, t0, timeout_ms=60_000)
    canvas = deck_canvas(page)
    changed = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if canvas.count() and canvas.screenshot(animations="disabled") != before:
            changed = page.evaluate("performance.now()")
            break
        page.wait_for_timeout(20)
    note = what if changed else f"{what}; canvas unchanged within 10 s"
    return idle, (changed - t0) / 1000 if changed else None, note


def nav_paint(page, label: str = "Overview") -> float | None:
    """Seconds from clicking a sidebar link until that page is idle with a metric shown."""
    page.evaluate("window.__bench.states = []")
    t0 = page.evaluate("performance.now()")
    if not _nav(page, label):
        return None
    return _time_until_idle(page, t0, f"document.querySelector('{METRIC_VALUE}')", 60_000)


def load_real_council(page, folder: Path, council: str) -> float:
    """Load a council through the Data page's folder form; seconds until the load finished."""
    _nav(page, "Data")
    page.wait_for_timeout(300)
    wait_idle(page)
    page.get_by_text("A folder on this computer").click()
    page.wait_for_timeout(300)
    wait_idle(page)
    page.get_by_label("Folder of spend files").fill(str(folder))
    page.get_by_label("Council name").first.fill(council)
    t0 = page.evaluate("performance.now()")
    page.get_by_role("button", name="Load this folder").click()
    return _time_until_idle(page, t0, timeout_ms=600_000)


def run(label: str, env: dict[str, str], browser, real: tuple[Path, str] | None = None,
        ) -> list[tuple[str, float | None, float]]:
    rows: list[tuple[str, float | None, float]] = []
    paint_target, redraw_target = TARGETS["real" if real else "demo"]
    with streamlit_server(env=env, log_name=f"bench-{label}.log") as base:
        if real is None:
            cold, *warm_runs = first_paint(browser, base + "/", repeat=4)
            warm: float | None = sorted(warm_runs)[len(warm_runs) // 2]
            rows.append((f"{label}: Overview first paint, cold server", cold, paint_target))
            rows.append((f"{label}: Overview first paint, warm (median of 3)", warm,
                         paint_target))
        context, page, _ = new_context(browser)
        try:
            page.add_init_script(_OBSERVER)
            page.goto(base + "/")
            wait_idle(page)
            if real is not None:
                loaded = load_real_council(page, *real)
                rows.append((f"{label}: load {real[1]} on the Data page (ingest + locate)",
                             loaded, float("nan")))
                cold = nav_paint(page)
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SCREENSHOTS / f"bench-{label.lower()}-overview.png")
                _nav(page, "Data")
                wait_idle(page)
                warm = nav_paint(page)
                rows.append((f"{label}: Overview paint after load (sidebar click)", cold,
                             paint_target))
                rows.append((f"{label}: Overview paint, warm (sidebar click)", warm,
                             paint_target))
            idle, drawn, note = filter_redraw(page)
            page.screenshot(path=SCREENSHOTS / f"bench-{label.lower()}-map.png")
        finally:
            context.close()
    rows.append((f"{label}: filter change ({note.split(';')[0]}) → app idle", idle,
                 redraw_target))
    rows.append((f"{label}: filter change → map redrawn{'' if drawn else ' (' + note + ')'}",
                 drawn, redraw_target))
    return rows


REAL_COUNCIL = ("hyndburn", "Hyndburn")


def real_council() -> tuple[Path, str, dict[str, str]] | None:
    """(spend folder, council name, env) of a real council, or None (printed) when absent.

    The app has no setting to open on a folder, so the bench loads it through the Data
    page's folder form, as a user would, with the shared data as the reference folder.
    """
    from impact.reference import shared_data_dir

    data = shared_data_dir()
    folder = data / "spend" / REAL_COUNCIL[0]
    if not folder.is_dir():
        print(f"real council: skipped, no spend folder at {folder}")
        return None
    return folder, REAL_COUNCIL[1], {"IMPACT_REFERENCE_DIR": str(data)}


def main() -> None:
    if not CHROMIUM.exists():
        print(f"skipped: {CHROMIUM} is absent (install Debian's chromium)")
        return
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import launch_chromium

    rows: list[tuple[str, float | None, float]] = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = launch_chromium(p)
        try:
            rows += run("demo", hermetic_env(Path(tmp)), browser)
            real = real_council()
            if real:
                folder, council, env = real
                (Path(tmp) / "real").mkdir(exist_ok=True)
                env = {**hermetic_env(Path(tmp) / "real"), **env}
                rows += run(council, env, browser, real=(folder, council))
        finally:
            browser.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'measured':>9}  {'target':>7}  {'ratio':>6}")
    for name, measured, target in rows:
        m = f"{measured:8.2f}s" if measured is not None else "      n/a"
        has_target = target == target  # NaN: no target
        ratio = f"{measured / target:6.2f}" if measured is not None and has_target else "     -"
        t = f"{target:6.1f}s" if has_target else "      -"
        print(f"{name:<{width}}  {m:>9}  {t}  {ratio}")
    print(f"(2 cores; Chromium {CHROMIUM}, SwiftShader WebGL; pid {os.getpid()})")


if __name__ == "__main__":
    main()
