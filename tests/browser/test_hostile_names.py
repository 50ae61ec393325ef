"""Hostile text in the files an analyst is invited to replace runs nowhere and renders as the characters it is.

A small book (one scheme, England and London, from the tiny data) is built from a copy of the project whose
params/geography.yaml gives England, London's hub, its region and a London provider names holding script, an image
with an onerror handler, a MyST role and a template expression, and whose scheme parameters hold the same in the
headline. Each page that shows them is opened in Chromium: no script ran (no marker set, no dialog), no markup was
made from them, and the text is shown as written.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from ivanalysis.paths import ROOT
from ivanalysis.pipeline.browser import chromium, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCHEME = "prostate_fractionation"
# each payload sets window.__pwned if it ever runs, or makes an element with id "pwn" if it is read as markup
PAYLOADS = {
    "england": 'England <script>window.__pwned="england"</script>',
    "hub": 'London <img src=x id=pwn onerror="window.__pwned=\'hub\'"> {{ 7*7 }}',
    "region": "London region {raw}`html`<b id=pwn>region</b>`",
    "provider": "<svg onload=\"window.__pwned='provider'\" id=pwn></svg> Trust",
    "headline": ('<script>window.__pwned="headline"</script> ```{raw} html\n<b id=pwn>x</b>\n``` '
                 "[link](javascript:window.__pwned='link') {{ 7*7 }}"),
}


@pytest.fixture(scope="module")
def hostile_book(tmp_path_factory, tiny_data) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    for name in ("ivanalysis", "notebooks", "book", "requirements.lock", "pyproject.toml"):
        (root / name).symlink_to(ROOT / name)
    (root / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    params = root / "params"
    shutil.copytree(ROOT / "params", params)  # every parameter file, then the hostile ones written over
    geo = yaml.safe_load((ROOT / "params" / "geography.yaml").read_text())
    geo["england"]["name"] = PAYLOADS["england"]
    hub = next(h for h in geo["hubs"] if h["code"] == "LON")
    hub["name"] = PAYLOADS["hub"]
    next(r for r in geo["regions"] if r["code"] == hub["region"])["name"] = PAYLOADS["region"]
    next(p for p in geo["providers"] if p["hub"] == "LON")["name"] = PAYLOADS["provider"]
    (params / "geography.yaml").write_text(yaml.safe_dump(geo, sort_keys=False))
    scheme = yaml.safe_load((params / "schemes" / f"{SCHEME}.yaml").read_text())
    scheme["headline"] = PAYLOADS["headline"]
    (params / "schemes" / f"{SCHEME}.yaml").write_text(yaml.safe_dump(scheme, sort_keys=False))
    build = root / "_build"
    env = {**os.environ, "IVANALYSIS_ROOT": str(root), "IVANALYSIS_BUILD_DIR": str(build)}
    proc = subprocess.run([sys.executable, "-m", "ivanalysis.cli", "build", "--schemes", SCHEME, "--geographies",
                           "ENG", "--geographies", "LON", "--data-dir", str(tiny_data), "--jobs", "1"],
                          env=env, capture_output=True, text=True, cwd=root, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return build / "html"


@pytest.fixture(scope="module")
def served(hostile_book):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(hostile_book))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("rel", ["index.html", f"runs/{SCHEME}/LON.html", f"runs/{SCHEME}/ENG.html",
                                 f"schemes/{SCHEME}.html", "hubs/LON.html", "search.html?q=London"])
def test_hostile_names_run_nowhere_and_read_as_written(served, hostile_book, rel):
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium not found (CI is set: the browser tests must run)", pytrace=False)
        pytest.skip("Chromium not found: install Debian's 'chromium' package (`make chromium`)")
    dialogs: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        response = page.goto(served + rel, wait_until="load")
        assert response is not None and response.status == 200
        page.wait_for_timeout(300)  # an onerror or onload handler would have run by now
        pwned = page.evaluate("window.__pwned")
        made = page.evaluate("document.querySelectorAll('#pwn, img[src=x], svg[onload]').length")
        text = page.inner_text("body")
        for link in page.query_selector_all("a[href^='javascript:']"):
            pytest.fail(f"{rel}: a javascript: link was made: {link.get_attribute('href')}")
        page.close()
    assert pwned is None and not dialogs, f"{rel}: injected script ran ({pwned}, {dialogs})"
    assert made == 0, f"{rel}: {made} element(s) made from injected markup"
    if "LON" in rel:  # London's pages show its name as written, template braces and all
        assert "<img src=x" in text and "{{ 7*7 }}" in text, f"{rel}: the hub's name is not shown as written"
    if rel.endswith("ENG.html"):
        assert "England <script>" in text, f"{rel}: England's name is not shown as written"
