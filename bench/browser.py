"""A Streamlit server and a headless Debian Chromium, for the browser tests and the benchmarks.

Why here: ``tests/browser`` and ``bench/`` both drive the app in a browser; the helpers live
in ``bench`` (plain functions, no pytest) so a benchmark never imports the tests, and the
tests' fixtures (``tests/browser/conftest.py``) are built on them.  The machine has no
internet, so every request that is not to the local server is aborted at once (Carto basemap
tiles, fonts, telemetry) instead of hanging until a timeout.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"

#: Headless flags: SwiftShader gives WebGL (deck.gl) without a GPU; the rest stop Chromium
#: from phoning home, which would only fail slowly here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

# Streamlit's own test ids (stable across 1.4x–1.6x releases).
APP = '[data-testid="stApp"]'
NAV_LINK = '[data-testid="stSidebarNavLink"]'
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
DECK = '[data-testid="stDeckGlJsonChart"]'
SKELETON = '[data-testid="stSkeleton"]'
DIALOG = '[role="dialog"]'  # Streamlit's modals: page not found, compile errors
METRIC_VALUE = '[data-testid="stMetricValue"]'

SERVER_START_TIMEOUT_S = 90.0
PAGE_TIMEOUT_MS = 45_000


def free_port() -> int:
    """A TCP port that was free a moment ago (the server binds it straight after)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    env: dict[str, str] | None = None, log_name: str = "streamlit.log", script: str = "app.py"
) -> Iterator[str]:
    """Run ``streamlit run app.py`` (or ``script``) and yield its base URL
    (:func:`streamlit_process`)."""
    with streamlit_process(env, log_name, script) as (base, _):
        yield base


@contextlib.contextmanager
def streamlit_process(
    env: dict[str, str] | None = None, log_name: str = "streamlit.log", script: str = "app.py"
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``streamlit run app.py`` (or ``script``, relative to the project) in its own
    process group; yield its base URL and the process (whose CPU a benchmark reads).

    The whole group is killed on exit (also when the caller fails), so no server outlives
    the tests.  The server log goes to ``test-artifacts/<log_name>`` for post-mortems.
    """
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / log_name
    cmd = [
        str(ROOT / ".venv" / "bin" / "streamlit"), "run", script,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--client.toolbarMode", "minimal",  # no "Deploy" button in screenshots
    ]
    if not Path(cmd[0]).exists():  # e.g. a CI venv elsewhere: use this interpreter's streamlit
        import sys
        cmd[:1] = [sys.executable, "-m", "streamlit"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ, **(env or {})},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(proc, base, log_path)
            yield base, proc
        finally:
            _kill_group(proc)


def _wait_healthy(proc: subprocess.Popen, base: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"streamlit exited with {proc.returncode} before serving:\n{tail}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy at {base} after {SERVER_START_TIMEOUT_S:.0f} s")


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def launch_chromium(playwright):
    """Debian's Chromium, headless, WebGL through SwiftShader."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS


@dataclass
class PageLog:
    """What the browser complained about while a test ran (JS errors, blocked requests)."""

    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def new_context(browser, width: int = 1280, height: int = 720):
    """A fresh context whose non-local requests fail fast; returns (context, page, log)."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=1)
    log = PageLog()

    def block(route) -> None:
        log.blocked.append(route.request.url)
        route.abort("internetdisconnected")

    context.route(lambda url: not _is_local(url), block)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    return context, page, log


def wait_idle(page, timeout_ms: int = PAGE_TIMEOUT_MS, settle: bool = True) -> None:
    """Wait until the Streamlit script has finished running and the app is connected.

    ``settle`` also waits for the network to go quiet: some elements (the deck.gl chart)
    are lazy-loaded JS chunks that attach to the DOM only after the script has finished.
    """
    idle = f'{APP}[data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
    page.wait_for_selector(idle, state="attached", timeout=timeout_ms)
    if not settle:
        return
    # A rerun can be requested right after the first run (e.g. a callback): settle once more.
    page.wait_for_load_state("networkidle", timeout=timeout_ms)
    page.wait_for_selector(idle, state="attached", timeout=timeout_ms)
    # Elements still being drawn after the run show as skeletons (grey boxes) for a moment.
    page.wait_for_function(f"!document.querySelector('{SKELETON}')", timeout=timeout_ms)


def nav_links(page) -> list[tuple[str, str]]:
    """(label, absolute URL) of every page in the sidebar navigation, in order.

    An app without ``st.navigation`` (a single script) has no links: it is one page, "/".
    """
    links = page.locator(NAV_LINK)
    out = []
    for i in range(links.count()):
        link = links.nth(i)
        label = link.inner_text().strip().splitlines()[-1].strip()
        href = link.get_attribute("href") or ""
        out.append((label, href))
    return out


def slug(label: str) -> str:
    """File-name slug of a page label: "Departments and time" → "departments-and-time"."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "page"


def deck_canvas(page, index: int = 0):
    """The deck.gl canvas of the index-th map (the last, i.e. topmost, canvas of the chart)."""
    return page.locator(DECK).nth(index).locator("canvas").last


def image_spread(png: bytes) -> tuple[float, int]:
    """(share of pixels that differ from the most common colour, number of distinct colours).

    A blank WebGL canvas (or a basemap that never loaded with nothing drawn on it) is one
    colour: share 0.0.
    """
    from PIL import Image

    img = Image.open(BytesIO(png)).convert("RGB")
    colours = img.getcolors(maxcolors=img.width * img.height) or []
    if not colours:
        return 0.0, 0
    top = max(colours)[0]
    total = img.width * img.height
    return 1 - top / total, len(colours)


def wait_map_drawn(page, index: int = 0, min_share: float = 0.02,
                   timeout_s: float = 20.0) -> tuple[bytes, float, int]:
    """Poll the deck canvas until at least ``min_share`` of it is drawn; return the last shot.

    deck.gl draws asynchronously after Streamlit is idle, so a single screenshot can be blank
    for a few hundred ms even when the map works.
    """
    canvas = deck_canvas(page, index)
    canvas.wait_for(state="visible")
    deadline = time.monotonic() + timeout_s
    while True:
        png = canvas.screenshot(animations="disabled")
        share, n = image_spread(png)
        if share >= min_share or time.monotonic() > deadline:
            return png, share, n
        page.wait_for_timeout(200)


def save_png(png: bytes, path: Path, optimise: bool = False) -> Path:
    """Write a screenshot; ``optimise`` makes a small palette PNG for the docs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not optimise:
        path.write_bytes(png)
        return path
    from PIL import Image

    img = Image.open(BytesIO(png)).convert("RGB")
    img = img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    img.save(path, optimize=True)
    return path


def hermetic_env(tmp: Path) -> dict[str, str]:
    """Environment that keeps the app from writing into the checkout.

    The demo's supplier register is copied (the app may record resolutions in it) and the
    ingest/locate cache goes to ``tmp`` instead of ``data/councils``.
    """
    import shutil

    register = ROOT / "data" / "demo" / "supplier_register.csv"
    env = {"IMPACT_WORKSPACE_DIR": str(tmp / "councils")}
    if register.is_file():
        env["IMPACT_DEMO_REGISTER"] = str(shutil.copy(register, tmp / register.name))
    return env


def page_problems(page) -> list[str]:
    """Exception boxes, error alerts and modal dialogs (page not found…), one line each."""
    out = []
    for sel, kind in ((EXCEPTION, "exception"), (ERROR_ALERT, "error alert"),
                      (DIALOG, "dialog")):
        boxes = page.locator(sel)
        for i in range(boxes.count()):
            if not boxes.nth(i).is_visible():
                continue
            text = " ".join(boxes.nth(i).inner_text().split())[:300]
            out.append(f"{kind}: {text}")
    return out


def scroll_to_top(page) -> None:
    """Undo the scrolling done by element screenshots before a whole-page screenshot."""
    page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) "
                  "e.scrollTop = 0; })")
    page.mouse.move(1, 1)  # no hover tooltip in the screenshot
