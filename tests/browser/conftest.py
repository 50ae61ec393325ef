"""Browser fixtures: the small book served over loopback HTTP, Debian's Chromium (via Playwright) and axe-core.

HTTP rather than file://, because the book's search page fetches searchindex.js. Without Chromium or axe-core
the browser tests skip with the reason, except under CI (env CI set), where they fail: CI must not pass
without them.
"""
from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from ivanalysis.pipeline.browser import chromium, chromium_path

AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def book_url(small_book) -> str:
    """The small book's HTML, served read-only on 127.0.0.1 (a free port) for the session."""
    handler = functools.partial(_QuietHandler, directory=str(small_book / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(book_url):
    """A headless Debian Chromium (a Playwright Browser), for one test module only.

    Playwright's sync API runs an event loop in this thread while the browser is open, and no other sync
    Playwright can start meanwhile: the book (whose build prints the PDF hub packs with Playwright) is built
    first, and the browser is closed before other modules' tests print PDFs."""
    if chromium_path() is None:
        _missing("Chromium not found: install Debian's 'chromium' package (`make chromium`) or set "
                 "IVANALYSIS_CHROMIUM")
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    """A fresh page whose console errors and uncaught page errors are collected in `page.problems`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    problems: list[str] = []
    p.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    p.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    p.problems = problems
    yield p
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.is_file():
        _missing(f"axe-core is missing ({AXE_JS}): run `npm ci --prefix tests/browser`")
    return AXE_JS.read_text(encoding="utf-8")
