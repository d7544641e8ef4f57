"""Every page's first and warm visit, and the server's CPU per new session, beside a bare
Streamlit app measured the same way in the same run.

Run: ``python -m bench --only pages``.  Prints only (no asserts: timings are not tests).

* **First visit of each page** — a fresh server; one browser session opens the first page
  (Overview) and waits until it is idle, then goes to every other page through the sidebar
  (client-side navigation, the same Streamlit session, as a person clicks): seconds from the
  click until the script has run, finished and nothing is drawn as a skeleton.  This is
  where a page's heavy per-dataset results (the re-spend model, the clusters, the ward
  layers and labels) are first needed.  Target 1.5 s.
* **Warm visit** — a new session on the same server does the same round again: what every
  later visitor waits.  Target 0.5 s.
* **Server CPU per new session** — after the warm round, sessions opening the first page are
  started one after the other; the server process's CPU (user + system, its threads and
  children, read with psutil) over them, divided by their number.  Process CPU, not wall
  time, so the browser sharing the same cores does not blur it.  Target 0.3 s.  The bench's
  browser blocks the internet with a request route, which turns its HTTP cache off: each
  session downloads Streamlit's JavaScript again (145 files, 5.5 MB on the Overview), as a
  first-time visitor does.  So the same sessions are also timed in a browser context with
  its cache on (no route; a request off this machine fails at DNS), as a returning
  visitor's browser keeps the bundles: the server's own work per session.

The peer is ``bench/streamlit_peer.py`` (eleven empty pages with a title): the same clicks
on it give Streamlit's own floor for a page change and for a session on this machine.  The
same rows are taken on a real council (Trafford, 210,068 rows, the largest in the shared
data) when it is present, its ingest/locate/prepare disk cache built first in a separate
process, as ``impact locate`` would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.browser import (  # noqa: E402
    APP,
    CHROMIUM,
    NAV_LINK,
    SKELETON,
    hermetic_env,
    launch_chromium,
    nav_links,
    new_context,
    streamlit_process,
    wait_idle,
)
from bench.common import Row, shared_data  # noqa: E402

FIRST_TARGET = 1.5  # s, a page's first visit after the first page
WARM_TARGET = 0.5  # s, a page's visit once the server has seen it
CPU_TARGET = 0.3  # s of server CPU per new session (demo)
SESSIONS = 5  # new sessions timed for the CPU per session
#: Wait between visits (as ``bench_browser`` does): a click while the last page is still
#: settling was sometimes taken as no change of page at all, and never ran.
SETTLE_MS = 1000
REAL_COUNCIL = ("trafford", "Trafford")

#: Records (page time, ms) each end of a script run.  Read from the mutation records' old
#: values: a run on a bare page is over before an observer callback could see "running".
_RUNS = """
window.__runs = [];
new MutationObserver((records) => {
  for (const r of records)
    if (r.oldValue === 'running') window.__runs.push(performance.now());
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
"""


@dataclass
class Visits:
    """What one server gave: the first page's load, each page's first and warm visit (s),
    the server CPU each visit cost (a first visit's includes the results being prepared
    in the background meanwhile), and the server CPU per new session."""

    first_page: float
    first: dict[str, float]
    warm: dict[str, float]
    first_cpu: dict[str, float]
    warm_cpu: dict[str, float]
    cpu_per_session: float
    cpu_per_session_cached: float


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the process ``pid`` and its children so far."""
    import psutil

    proc = psutil.Process(pid)
    total = 0.0
    for p in (proc, *proc.children(recursive=True)):
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def _open_first(page, base: str) -> float:
    """Seconds from navigation start until the first page is idle (a new session)."""
    page.goto(base + "/")
    wait_idle(page, timeout_ms=600_000, settle=False)
    page.wait_for_timeout(300)  # a rerun requested right after the first run
    wait_idle(page, timeout_ms=600_000, settle=False)
    return page.evaluate("performance.now()") / 1000


def _until_idle(page, t0: float, title: str) -> float:
    """Seconds from page time ``t0`` until a script run has ended after it (or, for a run
    too quick to show "running" at all, the page's title is no longer ``title``), the app
    is idle and nothing is still drawn as a skeleton."""
    done = page.wait_for_function(
        f"""([old]) => {{
            const h1 = document.querySelector('h1');
            const moved = window.__runs.some(t => t >= {t0})
                || (h1 !== null && h1.innerText !== old);
            return moved && document.querySelector('{APP}[data-test-script-state="notRunning"]')
                && !document.querySelector('{SKELETON}') ? performance.now() : false;
        }}""", arg=[title], timeout=600_000, polling="raf")
    return (done.json_value() - t0) / 1000


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] if values else float("nan")


def _round(page, base: str, pid: int) -> tuple[float, dict[str, float], dict[str, float]]:
    """One session: the first page, then every other page by its sidebar link; (first
    page s, {page: s}, {page: server CPU s})."""
    first_page = _open_first(page, base)
    times, cpu = {}, {}
    for label, href in nav_links(page)[1:]:
        link = page.locator(f'{NAV_LINK}[href="{href}"]')
        before = server_cpu(pid)
        title = page.locator("h1").first.inner_text()
        t0 = page.evaluate("performance.now()")
        link.first.click()
        times[label] = _until_idle(page, t0, title)
        cpu[label] = server_cpu(pid) - before
        page.wait_for_timeout(SETTLE_MS)
    return first_page, times, cpu


def visits(browser, env: dict[str, str], script: str = "app.py", name: str = "app"
           ) -> Visits:
    """Both rounds and the CPU per new session on one fresh server running ``script``."""
    with streamlit_process(env=env, log_name=f"bench-pages-{name}.log", script=script
                           ) as (base, proc):
        context, page, _ = new_context(browser)
        try:
            page.add_init_script(_RUNS)
            first_page, first, first_cpu = _round(page, base, proc.pid)
            _, warm, warm_cpu = _round(page, base, proc.pid)
            per_session = _cpu_per_session(page, base, proc.pid)
        finally:
            context.close()
        cached = browser.new_context(viewport={"width": 1280, "height": 720})
        try:
            page = cached.new_page()
            _open_first(page, base)  # the bundles into this context's cache
            per_session_cached = _cpu_per_session(page, base, proc.pid)
        finally:
            cached.close()
    return Visits(first_page, first, warm, first_cpu, warm_cpu, per_session,
                  per_session_cached)


def _cpu_per_session(page, base: str, pid: int) -> float:
    """Server CPU seconds per new session over :data:`SESSIONS` first-page openings."""
    before = server_cpu(pid)
    for _ in range(SESSIONS):
        _open_first(page, base)
    return (server_cpu(pid) - before) / SESSIONS


def rows_for(label: str, got: Visits, peer: Visits, cpu_target: float | None) -> list[Row]:
    """The rows of one council: the first page, each page first and warm, CPU/session."""
    peer_first = _median(list(peer.first.values()))
    peer_warm = _median(list(peer.warm.values()))
    out = [Row(f"pages: {label}: first page (Overview), fresh server", got.first_page, "s",
               peer=peer.first_page, peer_name="bare Streamlit")]
    for page, s in got.first.items():
        out.append(Row(f"pages: {label}: {page}, first visit", s, "s", target=FIRST_TARGET,
                       peer=peer_first, peer_name="bare Streamlit page change",
                       note=f"server CPU {got.first_cpu.get(page, float('nan')):.2f} s"))
    for page, s in got.warm.items():
        out.append(Row(f"pages: {label}: {page}, warm visit", s, "s", target=WARM_TARGET,
                       peer=peer_warm, peer_name="bare Streamlit page change",
                       note=f"server CPU {got.warm_cpu.get(page, float('nan')):.2f} s"))
    out.append(Row(f"pages: {label}: server CPU per new session (process CPU, "
                   f"{SESSIONS} sessions)", got.cpu_per_session, "s", target=cpu_target,
                   peer=peer.cpu_per_session, peer_name="bare Streamlit"))
    out.append(Row(f"pages: {label}: server CPU per new session, browser cache on (process "
                   f"CPU, {SESSIONS} sessions)", got.cpu_per_session_cached, "s",
                   target=cpu_target, peer=peer.cpu_per_session_cached,
                   peer_name="bare Streamlit"))
    return out


def build_disk_cache(env: dict[str, str]) -> float:
    """Seconds to ingest, locate and prepare the council in a fresh process, as ``impact
    locate`` does before the app opens it (the app then reads the disk cache)."""
    code = ("import os; from impact import reports; "
            "from impact.workspace import Workspace, folder_source; "
            "ws = Workspace.load(folder_source(os.environ['IMPACT_SOURCE_DIR'], "
            "council=os.environ['IMPACT_COUNCIL'])); "
            "getattr(reports, 'prepare_results', lambda ws: None)(ws)")
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
                   check=True)
    return time.monotonic() - t0


def real_env(tmp: Path) -> dict[str, str] | None:
    """Environment opening the app on the real council, or None when absent.

    ``IMPACT_BENCH_WORKSPACE`` keeps its workspace (the ingested files) between runs."""
    data = shared_data()
    folder = data / "spend" / REAL_COUNCIL[0] if data else None
    if folder is None or not folder.is_dir():
        print(f"bench_pages: real council skipped, no spend folder for {REAL_COUNCIL[0]}")
        return None
    env = hermetic_env(tmp)
    keep = os.environ.get("IMPACT_BENCH_WORKSPACE")
    if keep:
        env["IMPACT_WORKSPACE_DIR"] = keep
    return {**env, "IMPACT_REFERENCE_DIR": str(data), "IMPACT_SOURCE_DIR": str(folder),
            "IMPACT_COUNCIL": REAL_COUNCIL[1]}


def run(quick: bool = False) -> list[Row]:
    """The rows for ``python -m bench``; ``quick``: the demo only.  ``IMPACT_BENCH_COUNCILS``
    (``demo``, ``real`` or both, comma-separated) narrows a run to one of them."""
    if not CHROMIUM.exists():
        print(f"bench_pages: skipped, {CHROMIUM} is absent (install Debian's chromium)")
        return []
    from playwright.sync_api import sync_playwright

    wanted = os.environ.get("IMPACT_BENCH_COUNCILS", "demo,real").split(",")
    rows: list[Row] = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = launch_chromium(p)
        try:
            peer = visits(browser, hermetic_env(Path(tmp)), "bench/streamlit_peer.py", "peer")
            if "demo" in wanted:
                rows += rows_for("demo", visits(browser, hermetic_env(Path(tmp)), name="demo"),
                                 peer, CPU_TARGET)
            (Path(tmp) / "real").mkdir()
            env = real_env(Path(tmp) / "real") if "real" in wanted and not quick else None
            if env:
                rows += _real(browser, env, peer)
        finally:
            browser.close()
    return rows


def _real(browser, env: dict[str, str], peer: Visits) -> list[Row]:
    """The real council's rows: its disk cache built as ``impact locate`` would, then the
    same visits on a fresh server."""
    built = build_disk_cache(env)
    return [Row(f"pages: {REAL_COUNCIL[1]}: disk cache built (as impact locate)", built, "s"),
            *rows_for(REAL_COUNCIL[1], visits(browser, env, name="real"), peer, None)]


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run(quick="--quick" in sys.argv))
