"""Debian's Chromium, driven by Playwright: it prints the PDF hub packs, and the browser tests use it.

Playwright is only the driver here: the browser is the system's (never one a test tool downloads), found at
$IVANALYSIS_CHROMIUM, /usr/bin/chromium or on the PATH.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

# Headless and quiet: without the background-networking flags Chromium keeps calling Google's hosts, which a
# closed network refuses; --no-sandbox because builds and CI often run as root.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> Path | None:
    """The Chromium to use, or None when there is none."""
    for candidate in (os.environ.get("IVANALYSIS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def _required_path() -> Path:
    path = chromium_path()
    if path is None:
        raise FileNotFoundError("Chromium not found: install Debian's 'chromium' package (`make chromium`) or set "
                                "IVANALYSIS_CHROMIUM to its path")
    return path


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A launched headless Chromium (a Playwright Browser), closed on exit. Raises FileNotFoundError when none."""
    path = _required_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.asynccontextmanager
async def chromium_async() -> AsyncIterator[object]:
    """The same with Playwright's async API (several pages at once in one process)."""
    path = _required_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
