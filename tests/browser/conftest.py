"""Browser-test fixtures: one Streamlit server and one headless Debian Chromium per session.

Why this shape: starting Streamlit and Chromium costs seconds, so both are session-scoped;
each test gets a fresh browser context (own cookies, own Streamlit session).  The machine has
no internet, so every request that is not to the local server is aborted at once (Carto basemap
tiles, fonts, telemetry) instead of hanging until a timeout.  Helpers that the benchmark shares
(``streamlit_server``, ``new_context``, ``wait_idle``, ``deck_canvas_image``…) are plain
functions here so ``bench/bench_browser.py`` can import them.
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

import pytest

ROOT = Path(__file__).resolve().parents[2]
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
    """Run ``streamlit run app.py`` (or ``script``, relative to the project) in its own
    process group; yield its base URL.

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
            yield base
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


# ---------------------------------------------------------------- pytest fixtures


def render_pdf_page(pdf: Path, index: int, png: Path, scale: float = 80 / 72) -> Path:
    """One page of a PDF as a PNG, drawn by PDFium (a pip wheel, so CI needs no poppler)."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        doc[index].render(scale=scale).to_pil().save(png)
    finally:
        doc.close()
    return png


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (`make chromium`)")
    return CHROMIUM


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


FIRST_DEEP_LINK = "/map"


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


@pytest.fixture(scope="session")
def app_server(chromium_path: Path, browser, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[str, dict]]:
    """(base URL, first visit) of a Streamlit server running app.py on the demo borough.

    The server's very first request is the deep link :data:`FIRST_DEEP_LINK` (Streamlit's
    legacy pages mode showed "Page not found" only then); ``first visit`` records what it
    showed (url, problems, title, JS errors).
    """
    with streamlit_server(env=hermetic_env(tmp_path_factory.mktemp("app"))) as base:
        context, page, log = new_context(browser)
        try:
            page.goto(base + FIRST_DEEP_LINK)
            wait_idle(page)
            first = {"url": page.url, "problems": page_problems(page),
                     "title": page.locator("h1").first.inner_text(),
                     "js_errors": list(log.page_errors)}
        finally:
            context.close()
        yield base, first


@pytest.fixture(scope="session")
def app_url(app_server: tuple[str, dict]) -> str:
    """Base URL of the session's Streamlit server (see ``app_server``)."""
    return app_server[0]


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page_and_log(browser):
    """A 1280×720 page, and the log of what the browser complained about.

    Shared by a module's tests so the app's JS stays in the HTTP cache; every ``goto`` still
    opens a new Streamlit session (fresh session state).
    """
    context, page, log = new_context(browser)
    try:
        yield page, log
    finally:
        context.close()


def scroll_to_top(page) -> None:
    """Undo the scrolling done by element screenshots before a whole-page screenshot."""
    page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) "
                  "e.scrollTop = 0; })")
    page.mouse.move(1, 1)  # no hover tooltip in the screenshot
