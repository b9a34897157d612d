"""Shared test fixtures: where the real exports are, and a live app server for browser tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if Path(p).exists()), None)


def app_pages() -> list[str]:
    """The pages: the files app.py lists in its navigation (``overview.py``...), as bench's page figures take them.

    Whatever else pages/ holds is a module the pages import (pages/state.py, the helpers in pages/_shared/).
    """
    return sorted(re.findall(r'st\.Page\("pages/(\w+\.py)"', (ROOT / "app.py").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a skip saying why when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the public test exports are not at {SHARED_DATA}")
    return SHARED_DATA


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(*options: str, log_name: str = "server.log") -> tuple[str, subprocess.Popen[bytes]]:
    """A real Streamlit server for app.py on a free loopback port (``options``: more ``--server.*`` flags);
    returns its base URL once its health check answers, and the process (the caller terminates it)."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *options]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / log_name, "w") as log:  # the server keeps its own copy of the handle
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return base, proc
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"the app server exited early; see {ARTIFACTS / log_name}")
            time.sleep(0.2)
    proc.kill()
    pytest.fail("the app server did not answer its health check within 60 s")


@pytest.fixture(scope="session")
def app_server():
    """A real Streamlit server on a free loopback port; yields its base URL and stops it after."""
    base, proc = start_app()
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by playwright; skips with the reason outside CI when it is missing."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make test` installs it with apt-get")
        pytest.skip("chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture()
def page(browser, app_server):
    """A fresh browser context on the app's start page; every request not to the server is aborted."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.route(lambda url: not url.startswith(app_server), lambda route: route.abort())
    pg.goto(app_server)
    pg.get_by_text("Upload exports").first.wait_for(timeout=30_000)
    yield pg
    context.close()


@pytest.fixture
def downloads(monkeypatch) -> dict[str, object]:
    """What each download button would serve, by file name: its bytes, or the callable that writes them on click
    (AppTest has no runtime to register a deferred download with, so the callable is caught as it is passed)."""
    from streamlit.elements.widgets import button as _button

    seen: dict[str, object] = {}
    original = _button.marshall_file

    def keep(coordinates, data, proto, mimetype, file_name=None, **kwargs):
        seen[file_name] = data
        return original(coordinates, data, proto, mimetype, file_name, **kwargs)

    monkeypatch.setattr(_button, "marshall_file", keep)
    return seen


def open_app(browser, base: str):
    """A new browser context on the app at ``base`` (every request elsewhere aborted), once the Data page's
    uploader shows; returns (context, page)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.route(lambda url: not url.startswith(base), lambda route: route.abort())
    page.goto(base)
    page.get_by_text("Upload exports").first.wait_for(timeout=30_000)
    return context, page
