"""The built book in a real browser (Debian's Chromium through Playwright): navigation, search, links, console
errors, WCAG 2.2 AA by axe-core, and screenshots for a person to look at.

Every test reads the session's small book (ENG, LON, SW, NEC; tests/conftest.py) over loopback HTTP.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import urldefrag

import pytest

from ivanalysis.geography import load_geography
from ivanalysis.schemes import registry

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HUB = "LON"
# the pages the issue names: landing, one scheme (a run page and its chapter), one hub pack, methods, dictionary
PAGES = ["index.html", "runs/oral_chemo_wastage/LON.html", "schemes/oral_chemo_wastage.html", "hubs/LON.html",
         "guide/methods.html", "reference/data_dictionary.html"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"serious", "critical"}


def scheme(number: int):
    return next(s for s in registry.implemented() if s.number == number)


def open_page(page, url: str):
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"
    return page


def heading(page) -> str:
    return page.locator("article h1").first.inner_text().replace("#", "").strip()


def test_landing_matrix_has_a_row_per_scheme_and_a_column_per_geography(page, book_url):
    open_page(page, book_url + "index.html")
    table = page.locator("article table", has=page.locator("caption", has_text="opportunity"))
    assert table.count() == 1
    codes = [a.code for a in load_geography().run_geographies()]
    assert [t.strip() for t in table.locator("thead th").all_inner_texts()] == ["Scheme", *codes]
    rows = table.locator("tbody tr")
    # each row names its scheme and the financial year of its figures
    expected = [f"{s.number}. {s.short} ({registry.params(s.id).period})" for s in registry.implemented()]
    assert [t.strip() for t in rows.locator("th").all_inner_texts()] == expected
    for i in range(rows.count()):
        cells = [t.strip() for t in rows.nth(i).locator("td").all_inner_texts()]
        assert len(cells) == len(codes)
        # the small book ran ENG, LON, SW and NEC only: their cells hold money, "—" (no cash-releasing saving to
        # specialised commissioning), "*" (withheld, a hub's only) or "failed"; the others "not run"
        for code, text in zip(codes, cells):
            if code in ("ENG", "LON", "SW", "NEC"):
                assert re.fullmatch(r"-?£[\d,.]+[mk]?|—|failed" + ("" if code == "ENG" else r"|\*"), text), \
                    (expected[i], code, text)
            else:
                assert text == "not run", (expected[i], code, text)


def test_matrix_cell_opens_the_scheme_page_for_that_hub(page, book_url):
    open_page(page, book_url + "index.html")
    table = page.locator("article table", has=page.locator("caption", has_text="opportunity"))
    column = [t.strip() for t in table.locator("thead th").all_inner_texts()].index(HUB)
    s9 = scheme(9)
    row = table.locator("tbody tr", has=page.locator("th", has_text=re.compile(r"^\s*9\. ")))
    row.locator("td").nth(column - 1).locator("a").click()
    page.wait_for_url(f"**/runs/{s9.id}/{HUB}.html")
    title = heading(page)
    assert s9.title in title and load_geography().get(HUB).name in title, title


def test_hub_pack_links_open_each_scheme_for_that_hub(page, book_url, small_book):
    hub = load_geography().get(HUB)
    ok = {json.loads(p.read_text())["scheme"] for p in (small_book / "runs").glob(f"*/{HUB}/run.json")
          if json.loads(p.read_text())["status"] == "ok"}
    open_page(page, book_url + f"hubs/{HUB}.html")
    ranking = page.locator("article table", has=page.locator("caption", has_text="Opportunity a year"))
    links = ranking.locator("a[href*=\"runs/\"]")  # the ranking table's schemes, not the caption's own anchor
    texts = [t.strip() for t in links.all_inner_texts()]
    # one link per scheme that ran for the hub
    assert len(texts) == len(ok) > 0 and {scheme(int(t.split(".")[0])).id for t in texts} == ok, texts
    for i, text in enumerate(texts):
        info = scheme(int(text.split(".")[0]))
        open_page(page, book_url + f"hubs/{HUB}.html")
        links.nth(i).click()
        page.wait_for_url(f"**/runs/{info.id}/{HUB}.html")
        title = heading(page)
        assert info.title in title and hub.name in title, (text, title)


def test_search_finds_a_scheme_by_name(page, book_url):
    open_page(page, book_url + "search.html?q=dose+banding")
    results = page.locator("#search-results li a")
    results.first.wait_for(timeout=15_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any("schemes/chemo_dose_banding.html" in h for h in hrefs), hrefs


def test_search_for_a_hub_name_finds_its_pack_first(page, book_url):
    # every South West run page has the name in its title too, and many of their titles sort before "Hub pack"
    open_page(page, book_url + "search.html?q=South+West")
    page.locator(".search-summary", has_text="found").wait_for(timeout=15_000)  # every result is listed
    results = page.locator("#search-results li > a")
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert sum(h.startswith("runs/") and "/SW.html" in h for h in hrefs) > 1, hrefs  # the run pages were found too
    assert hrefs[0] == "hubs/SW.html", hrefs[:5]
    assert [h.split("#")[0] for h in hrefs].count("hubs/SW.html") == 1, hrefs  # listed once


def test_every_figure_of_the_landing_table_links_its_page_as_the_heatmap_says(page, book_url):
    open_page(page, book_url + "index.html")
    alt = page.locator("img[src$='matrix.png']").get_attribute("alt")
    assert "Each figure in the table below links to its page." in alt, alt
    table = page.locator("article table", has=page.locator("caption", has_text="opportunity"))
    codes = [t.strip() for t in table.locator("thead th").all_inner_texts()][1:]
    rows = table.locator("tbody tr")
    linked = 0
    for i in range(rows.count()):
        number = int(rows.nth(i).locator("th").inner_text().split(".")[0])
        for code, cell in zip(codes, rows.nth(i).locator("td").all()):
            if cell.inner_text().strip() in ("failed", "not run"):
                continue
            assert cell.locator("a").get_attribute("href") == f"runs/{scheme(number).id}/{code}.html", (number, code)
            linked += 1
    assert linked > 40  # every scheme for ENG, LON, SW and NEC, but for a few that failed


def test_a_run_page_links_the_glossary_where_it_first_uses_a_term(page, book_url):
    open_page(page, book_url + "runs/immunoglobulin_itp/ENG.html")
    links = page.locator("article a[href*='glossary.html#term-']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    terms = [h.split("#")[1] for h in hrefs]
    assert {"term-Headline", "term-Cash-releasing", "term-Funnel-plot", "term-Process-limits"} <= set(terms), terms
    assert len(terms) == len(set(terms)), terms  # each once
    open_page(page, book_url + "guide/glossary.html")
    missing = [t for t in terms if not page.evaluate("id => !!document.getElementById(id)", t)]
    assert not missing, missing


@pytest.mark.parametrize("rel", ["index.html", "schemes/oral_chemo_wastage.html", "hubs/LON.html",
                                 "guide/methods.html", "reference/data_dictionary.html"])
def test_every_internal_link_resolves(page, book_url, rel):
    open_page(page, book_url + rel)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    targets = {urldefrag(h).url for h in hrefs if h.startswith(book_url)}
    assert len(targets) > 20  # the navigation alone links every chapter
    broken = {t: r.status for t in sorted(targets) if (r := page.request.get(t)).status != 200}
    assert not broken, broken
    # links to a place on this page land on an element with that id
    own = page.url.split("#")[0]
    fragments = {urldefrag(h).fragment for h in hrefs if urldefrag(h).url == own and urldefrag(h).fragment}
    missing = [f for f in fragments if not page.evaluate("id => !!document.getElementById(id)", f)]
    assert not missing, missing


@pytest.mark.parametrize("rel", PAGES)
def test_no_console_or_page_errors(page, book_url, rel):
    open_page(page, book_url + rel)
    page.wait_for_load_state("networkidle")
    assert not page.problems, page.problems


def test_axe_finds_no_serious_or_critical_violations(page, book_url, axe_source, artifacts_dir):
    report = {}
    for rel in PAGES:
        open_page(page, book_url + rel)
        page.wait_for_load_state("networkidle")  # the theme's scripts have run (they add and mend controls)
        page.add_script_tag(content=axe_source)
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        report[rel] = {
            "counts": dict(Counter(v["impact"] for v in result["violations"] for _ in v["nodes"])),
            "violations": [{"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"]),
                            "first": v["nodes"][0]["html"][:300]} for v in result["violations"]],
            "passes": len(result["passes"]),
        }
    (artifacts_dir / "axe.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    lines = ["| Page | Critical | Serious | Moderate | Minor | Rules passed |", "|---|---|---|---|---|---|"]
    for rel, r in report.items():
        c = r["counts"]
        lines.append(f"| {rel} | " + " | ".join(str(c.get(i, 0)) for i in ("critical", "serious", "moderate", "minor"))
                     + f" | {r['passes']} |")
    (artifacts_dir / "axe.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\naxe-core, WCAG 2.2 AA (violating nodes by impact):\n" + "\n".join(lines))
    blocking = {rel: [v for v in r["violations"] if v["impact"] in BLOCKING] for rel, r in report.items()}
    assert not any(blocking.values()), {rel: v for rel, v in blocking.items() if v}
    assert all(r["passes"] > 10 for r in report.values())  # axe did run its rules on every page


@pytest.mark.parametrize("rel,name", [("index.html", "landing"), ("runs/oral_chemo_wastage/LON.html", "scheme-LON"),
                                      ("hubs/LON.html", "hub-LON")])
def test_screenshots(page, book_url, artifacts_dir, rel, name):
    open_page(page, book_url + rel)
    page.wait_for_load_state("networkidle")
    path = artifacts_dir / f"book-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    from PIL import Image

    with Image.open(path) as img:
        # a full page: as wide as the window, longer than one screen (each of these pages scrolls)
        assert img.width == 1280 and img.height > 900, img.size
