"""Time the app as a person meets it, in headless Debian Chromium: first paint and map redraw.

Run: ``.venv/bin/python bench/bench_browser.py``.  Prints only (no asserts).

* Cold start — on a freshly started server, navigation start → the frame (the page title and
  the navigation, with a progress message) and → the figures (first metric value): the frame
  must not wait for the data.  Target 1 s; its peer is ``bench/streamlit_peer.py``, a bare
  Streamlit app drawing only such a frame, timed the same way in the same run (Streamlit's
  own floor on this machine: its JavaScript must load and its websocket connect first).
* Overview first paint — navigation start → first metric value in the DOM, measured inside the
  page (``performance.now()`` from a MutationObserver), on a freshly started server (cold:
  empty ingest cache, empty browser cache) and again in new sessions reusing the browser
  cache (warm, median of 3).
* Filter redraw — change a sidebar filter on the map page, then time until the app is idle
  again and until the deck.gl canvas shows different pixels (polled by screenshot, so that
  figure is a few tens of ms pessimistic).
* The same on a real council (Hyndburn) when the shared public data is present: the app
  opens on it (``IMPACT_SOURCE_DIR`` / ``IMPACT_COUNCIL``).  Its ingest/locate/prepare disk
  cache is built first in a separate process (timed: what a council's first ever load
  costs), then a fresh server is started and first paint is timed as for the demo.
  Skipped with a reason when the shared data is absent.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.browser import (  # noqa: E402
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
window.__bench = {{metric: null, frame: null, states: []}};
new MutationObserver(() => {{
  const b = window.__bench;
  if (b.frame === null && document.querySelector('h1') && document.querySelector('{NAV_LINK}'))
    b.frame = performance.now();
  if (b.metric === null && document.querySelector('{METRIC_VALUE}')) b.metric = performance.now();
  const app = document.querySelector('{APP}');
  const s = app && app.getAttribute('data-test-script-state');
  if (s && (b.states.length === 0 || b.states[b.states.length - 1][0] !== s))
    b.states.push([s, performance.now()]);
}}).observe(document, {{subtree: true, childList: true, attributes: true}});
"""

TARGETS = {"demo": (2.0, 0.5), "real": (4.0, 0.5)}  # first paint s, filter redraw s
FRAME_TARGET = 1.0  # s from navigation start to the frame (title, navigation, progress)


def first_paint(browser, url: str, repeat: int = 1) -> list[float]:
    """Seconds from navigation start to the first metric value in the DOM, per visit.

    The first visit has an empty browser cache; later visits reuse it (a returning user),
    each in a new Streamlit session.
    """
    return [figures for _, figures in frame_and_figures(browser, url, repeat)]


def frame_and_figures(browser, url: str, repeat: int = 1) -> list[tuple[float, float]]:
    """(s to the frame, s to the first metric value) from navigation start, per visit."""
    out = []
    for b in _visits(browser, url, repeat, "metric", settle_ms=1000):
        frame = b["frame"] if b["frame"] is not None else b["metric"]
        out.append((frame / 1000, b["metric"] / 1000))
    return out


def frames(browser, url: str, repeat: int = 1) -> list[float]:
    """Seconds from navigation start to the frame (a title and the navigation), per visit;
    for the peer, which has no figures.  Every visit (the app's too) waits 1 s before the
    next, so a new visit never races the last one's drawing."""
    return [b["frame"] / 1000 for b in _visits(browser, url, repeat, "frame", settle_ms=1000)]


def _visits(browser, url: str, repeat: int, until: str, settle_ms: int = 0) -> list[dict]:
    """``window.__bench`` after each of ``repeat`` visits (one browser cache, a new session
    each), once its ``until`` time is recorded; ``settle_ms`` more before the next."""
    context, page, _ = new_context(browser)
    out = []
    try:
        page.add_init_script(_OBSERVER)
        for _ in range(repeat):
            page.goto(url)
            page.wait_for_function(f"window.__bench && window.__bench.{until} !== null",
                                   timeout=120_000)
            out.append(page.evaluate("window.__bench"))
            page.wait_for_timeout(settle_ms)
        return out
    finally:
        context.close()


def peer_frames(browser, env: dict[str, str]) -> tuple[float, float]:
    """(cold, warm median of 3) seconds to the bare Streamlit app's frame, fresh server."""
    with streamlit_server(env=env, log_name="bench-peer.log",
                          script="bench/streamlit_peer.py") as base:
        cold, *warm = frames(browser, base + "/", repeat=4)
    return cold, _median(warm)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


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


#: (metric, seconds or None, target or NaN, peer seconds or None)
BenchRow = tuple[str, float | None, float, float | None]


def measure(label: str, env: dict[str, str], browser, real: bool = False,
            peer: tuple[float, float] | None = None) -> list[BenchRow]:
    rows: list[BenchRow] = []
    paint_target, redraw_target = TARGETS["real" if real else "demo"]
    cold_what = "fresh server, disk cache built" if real else "cold server"
    peer_cold, peer_warm = peer or (None, None)
    with streamlit_server(env=env, log_name=f"bench-{label}.log") as base:
        (frame, cold), *warm_visits = frame_and_figures(browser, base + "/", repeat=4)
        rows.append((f"{label}: cold start, first frame (title, navigation, progress)",
                     frame, FRAME_TARGET, peer_cold))
        rows.append((f"{label}: first frame, warm (median of 3)",
                     _median([f for f, _ in warm_visits]), FRAME_TARGET, peer_warm))
        rows.append((f"{label}: Overview first paint, {cold_what}", cold, paint_target, None))
        rows.append((f"{label}: Overview first paint, warm (median of 3)",
                     _median([figures for _, figures in warm_visits]), paint_target, None))
        context, page, _ = new_context(browser)
        try:
            page.add_init_script(_OBSERVER)
            page.goto(base + "/")
            wait_idle(page)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"bench-{label.lower()}-overview.png")
            idle, drawn, note = filter_redraw(page)
            page.screenshot(path=SCREENSHOTS / f"bench-{label.lower()}-map.png")
        finally:
            context.close()
    rows.append((f"{label}: filter change ({note.split(';')[0]}) → app idle", idle,
                 redraw_target, None))
    rows.append((f"{label}: filter change → map redrawn{'' if drawn else ' (' + note + ')'}",
                 drawn, redraw_target, None))
    return rows


REAL_COUNCIL = ("hyndburn", "Hyndburn")


def real_council(tmp: Path) -> dict[str, str] | None:
    """Environment that opens the app on a real council, or None (printed) when absent."""
    from bench.common import shared_data_dir

    data = shared_data_dir()
    folder = data / "spend" / REAL_COUNCIL[0]
    if not folder.is_dir():
        print(f"real council: skipped, no spend folder at {folder}")
        return None
    return {**hermetic_env(tmp), "IMPACT_REFERENCE_DIR": str(data),
            "IMPACT_SOURCE_DIR": str(folder), "IMPACT_COUNCIL": REAL_COUNCIL[1]}


def build_disk_cache(env: dict[str, str]) -> float:
    """Seconds to ingest, locate and prepare the council in a fresh process: what its first
    ever load costs (the app then reads the disk cache)."""
    code = ("import os; from impact.workspace import Workspace, folder_source; "
            "Workspace.load(folder_source(os.environ['IMPACT_SOURCE_DIR'], "
            "council=os.environ['IMPACT_COUNCIL']))")
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
                   check=True)
    return time.monotonic() - t0


def measure_all(quick: bool = False) -> list[BenchRow]:
    """Every figure as :data:`BenchRow`; ``quick``: demo only."""
    from playwright.sync_api import sync_playwright

    from bench.browser import launch_chromium

    rows: list[BenchRow] = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = launch_chromium(p)
        try:
            peer = peer_frames(browser, hermetic_env(Path(tmp)))
            rows += measure("demo", hermetic_env(Path(tmp)), browser, peer=peer)
            (Path(tmp) / "real").mkdir(exist_ok=True)
            env = None if quick else real_council(Path(tmp) / "real")
            if env:
                council = env["IMPACT_COUNCIL"]
                rows.append((f"{council}: first ever load (ingest + locate + prepare)",
                             build_disk_cache(env), float("nan"), None))
                rows += measure(council, env, browser, real=True, peer=peer)
        finally:
            browser.close()
    return rows


def run(quick: bool = False) -> list:
    """The figures as :class:`bench.common.Row` s for ``python -m bench``."""
    from bench.common import Row

    if not CHROMIUM.exists():
        print(f"bench_browser: skipped, {CHROMIUM} is absent (install Debian's chromium)")
        return []
    return [
        Row(f"browser: {name}", float("nan") if value is None else value, "s",
            target=None if target != target else target, peer=peer,
            peer_name="bare Streamlit frame" if peer else "",
            note="not measured" if value is None else "")
        for name, value, target, peer in measure_all(quick)
    ]


def main() -> None:
    if not CHROMIUM.exists():
        print(f"skipped: {CHROMIUM} is absent (install Debian's chromium)")
        return
    rows = measure_all()
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'measured':>9}  {'target':>7}  {'ratio':>6}  peer")
    for name, measured, target, peer in rows:
        m = f"{measured:8.2f}s" if measured is not None else "      n/a"
        has_target = target == target  # NaN: no target
        ratio = f"{measured / target:6.2f}" if measured is not None and has_target else "     -"
        t = f"{target:6.1f}s" if has_target else "      -"
        vs_peer = f"{measured / peer:.2f}× bare Streamlit" if measured and peer else ""
        print(f"{name:<{width}}  {m:>9}  {t}  {ratio}  {vs_peer}")
    print(f"(2 cores; Chromium {CHROMIUM}, SwiftShader WebGL; pid {os.getpid()})")


if __name__ == "__main__":
    main()
