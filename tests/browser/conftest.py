"""A live fairshare server on 127.0.0.1 and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webapp_helpers import SeededApp, seeded_app

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SeededApp]]:
    """(base URL, seeded app) of a uvicorn server running in a thread."""
    import uvicorn

    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: run scripts/setup.d/chromium.sh (make test does)")
    app = seeded_app(tmp_path_factory.mktemp("browser"), families=24)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app.client.app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(live: tuple[str, SeededApp]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live: tuple[str, SeededApp]) -> Iterator[Any]:
    """A fresh page (its own cookies) that records CSP violations and page errors."""
    context = browser.new_context(base_url=live[0], locale="en-CA",
                                  viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.problems = []
    p.on("console", lambda m: p.problems.append(m.text)
         if m.type == "error" and "Content Security Policy" in m.text else None)
    p.on("pageerror", lambda e: p.problems.append(str(e)))
    yield p
    context.close()
