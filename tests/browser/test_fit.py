"""The book on a 1366-px laptop and a 390-px phone: tables that fit (or scroll, saying so, with their row labels and
key figure in view), charts whose text is readable as rendered, no code on reader pages, and a first phone screen
that is not mostly warnings. Screenshots of both widths are left for a person to look at.

Every page of the session's small book is measured (tests/conftest.py: every scheme for ENG, LON, SW and NEC).
"""
from __future__ import annotations

import json

import pytest

from ivanalysis.report import charts

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
MIN_TEXT_PX = 11
BANNER_SHARE = 0.25  # the synthetic-data banner and warning: at most a quarter of the first phone screen

# What each table shows of itself, measured in the page. A column is "cut" when its header starts or ends beyond
# what can be seen of the table without scrolling (its box's right edge, the window's, or a clipping ancestor's).
TABLES_JS = r"""
() => {
  const vw = document.documentElement.clientWidth;
  function visibleRight(el) {
    let right = vw;
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') right = Math.min(right, a.getBoundingClientRect().right);
    }
    return right;
  }
  function oneLine(cell) {  // the cell's text sits on one line
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    return tops.size <= 1;
  }
  const rows = t => t.tBodies.length ? t.tBodies[0].rows : [];
  return [...document.querySelectorAll('article.bd-article table')].filter(t => t.offsetParent && rows(t).length)
      .map(t => {
    const box = t.parentElement;
    const right = visibleRight(t);
    const heads = [...(t.tHead || t).rows[0].cells];
    const hint = box.previousElementSibling;
    const first = rows(t)[0].cells[0];
    const boxRect = box.getBoundingClientRect();
    const firstInView = () => { const r = first.getBoundingClientRect();
                                return r.left >= boxRect.left - 1 && r.right <= boxRect.right + 1; };
    const firstAtStart = firstInView();
    const scrolls = box.scrollWidth > box.clientWidth + 1
                    && ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
    box.scrollLeft = box.scrollWidth;  // pinned row labels stay in view
    const firstAtEnd = firstInView();
    box.scrollLeft = 0;
    return {
      caption: t.caption ? t.caption.textContent.trim().replace(/#$/, '').slice(0, 90) : '',
      wider: t.offsetWidth > box.clientWidth + 1,
      cut: heads.filter(h => h.getBoundingClientRect().right > right + 1).map(h => h.textContent.trim()),
      visible: heads.filter(h => h.getBoundingClientRect().right <= right + 1).map(h => h.textContent.trim()),
      scrolls,
      hint: !!(hint && hint.classList.contains('iv-scroll-hint') && hint.offsetHeight > 0
               && getComputedStyle(hint).visibility === 'visible'),
      region: box.getAttribute('role') === 'region' && box.tabIndex === 0 && !!box.getAttribute('aria-label'),
      firstAtStart, firstAtEnd,
      codesSplit: [...t.querySelectorAll('tbody th')]  // a code (LON-P03, A-WTV-03) on one line
                    .filter(c => /^\S{1,12}$/.test(c.textContent.trim()) && !oneLine(c)).map(c => c.textContent.trim()),
    };
  });
}
"""

CHARTS_JS = r"""
() => [...document.querySelectorAll('article.bd-article img')].filter(i => i.naturalWidth > 400).map(img => {
  const box = img.closest('.iv-box') || img.parentElement;
  const hint = box.previousElementSibling;
  return {alt: (img.alt || '').slice(0, 60), natural: img.naturalWidth, rendered: img.getBoundingClientRect().width,
          fits: img.getBoundingClientRect().right <= document.documentElement.clientWidth + 1
                && box.scrollWidth <= box.clientWidth + 1,
          scrolls: box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX === 'auto',
          hint: !!(hint && hint.classList.contains('iv-scroll-hint') && hint.offsetHeight > 0)};
})
"""


def reader_pages(small_book) -> list[str]:
    html = small_book / "html"
    return sorted(str(p.relative_to(html)) for p in html.rglob("*.html")
                  if "_static" not in p.parts and p.name not in ("genindex.html", "search.html"))


def run_pages(small_book) -> list[str]:
    return [p for p in reader_pages(small_book) if p.startswith("runs/")]


@pytest.fixture(scope="module")
def laptop(browser):
    context = browser.new_context(**LAPTOP)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def load(page, url: str):
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    # iv-tables.js has put every table and chart in its box (and measured them)
    page.wait_for_function("() => !document.querySelector('article table:not(.iv-box > table), "
                           "article div.cell_output > img:not(.iv-box > img)')")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page


CODE_JS = "() => document.querySelectorAll('article .cell_input, article details.above-input').length"
WIDTH_JS = "() => document.documentElement.scrollWidth"


def survey(page, book_url, small_book, artifacts_dir, name: str) -> dict:
    """Every reader page loaded once at this size: its tables, charts, code cells and own width."""
    found = {}
    for rel in reader_pages(small_book):
        load(page, book_url + rel)
        found[rel] = {"tables": page.evaluate(TABLES_JS), "charts": page.evaluate(CHARTS_JS),
                      "code": page.evaluate(CODE_JS), "width": page.evaluate(WIDTH_JS)}
    (artifacts_dir / f"fit-{name}.json").write_text(json.dumps(found, indent=1, ensure_ascii=False), encoding="utf-8")
    return found


@pytest.fixture(scope="module")
def at_1366(laptop, book_url, small_book, artifacts_dir) -> dict:
    return survey(laptop, book_url, small_book, artifacts_dir, "1366")


@pytest.fixture(scope="module")
def at_390(phone, book_url, small_book, artifacts_dir) -> dict:
    return survey(phone, book_url, small_book, artifacts_dir, "390")


def tables_of(found: dict) -> list[tuple[str, dict]]:
    return [(rel, t) for rel, p in found.items() for t in p["tables"]]


def test_no_table_is_cut_at_1366_px(at_1366):
    tables = tables_of(at_1366)
    assert len(tables) > 100
    cut = [(rel, t["caption"], t["cut"]) for rel, t in tables if t["cut"] or t["wider"]]
    assert not cut, f"{len(cut)} of {len(tables)} tables cut at 1366 px: {cut[:10]}"
    split = [(rel, t["codesSplit"]) for rel, t in tables if t["codesSplit"]]
    assert not split, split  # a provider code (LON-P03) is never broken over two lines


def test_landing_matrix_fits_at_1366_px_with_every_cell_filled(laptop, book_url):
    """The small book leaves most matrix cells "not run"; the full book has money in all twelve columns."""
    load(laptop, book_url + "index.html")
    laptop.evaluate("""() => { document.querySelectorAll('table.iv-matrix tbody td').forEach(td =>
        td.innerHTML = '<p><a href="#">£898.7m</a></p>'); window.dispatchEvent(new Event('resize')); }""")
    laptop.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    matrix = next(t for t in laptop.evaluate(TABLES_JS) if "opportunity a year" in t["caption"].lower())
    assert not matrix["cut"] and not matrix["wider"] and matrix["visible"][-2:] == ["KSS", "WTV"], matrix


def test_at_390_px_a_wide_table_scrolls_with_a_hint_and_keeps_its_labels_in_view(at_390):
    tables = tables_of(at_390)
    wide = [(rel, t) for rel, t in tables if t["wider"] or t["cut"]]
    assert len(wide) > 20  # a phone does need the scrolling: the test would prove nothing otherwise
    bad = [(rel, t["caption"]) for rel, t in wide if not (t["scrolls"] and t["hint"] and t["region"])]
    assert not bad, f"{len(bad)} of {len(wide)} wide tables at 390 px cut without a scroll box and its hint: {bad[:10]}"
    lost = [(rel, t["caption"]) for rel, t in tables if not (t["firstAtStart"] and t["firstAtEnd"])]
    assert not lost, f"row labels out of view: {lost[:10]}"
    split = [(rel, t["codesSplit"]) for rel, t in tables if t["codesSplit"]]
    assert not split, split
    # the figure that matters is in view without scrolling: a KPI's value, a hub's moderate opportunity, England's
    key = {"Key performance indicators": "Value", "Opportunity a year by scenario": "Moderate",
           "Moderate-scenario opportunity a year": "ENG"}
    checked = 0
    for rel, t in tables:
        for caption, column in key.items():
            if t["caption"].startswith(caption):
                checked += 1
                assert column in t["visible"], (rel, t["caption"], t["visible"])
    assert checked > 10
    # and nothing makes the page itself wider than the phone (a long word in a title did)
    assert not [rel for rel, p in at_390.items() if p["width"] > PHONE["viewport"]["width"]]


def test_run_pages_show_no_code(at_1366, laptop, book_url, small_book):
    pages = run_pages(small_book)
    assert len(pages) > 40
    shown = {rel: at_1366[rel]["code"] for rel in pages if at_1366[rel]["code"]}
    assert not shown, shown
    # the executed notebook stays downloadable, code and all
    load(laptop, book_url + pages[0])
    assert laptop.locator("text=Show code cell source").count() == 0
    link = laptop.locator("article a[href$='.ipynb']").first
    notebook = laptop.request.get(link.evaluate("a => a.href")).json()
    assert sum(c["cell_type"] == "code" and "".join(c["source"]).strip() != "" for c in notebook["cells"]) > 5


@pytest.mark.parametrize("size", ["at_1366", "at_390"])
def test_chart_text_is_at_least_11_px_as_rendered(request, size):
    found = request.getfixturevalue(size)
    smallest_px = charts.SMALLEST_TEXT_PT * charts.STYLE["savefig.dpi"] / 72  # at the chart's natural size
    seen = [(rel, c) for rel, p in found.items() for c in p["charts"]]
    assert len(seen) > 40 and any(rel == "index.html" for rel, _ in seen)  # run pages' charts, the heatmap
    for rel, chart in seen:
        rendered_px = smallest_px * chart["rendered"] / chart["natural"]
        assert rendered_px >= MIN_TEXT_PX, (size, rel, chart)
        assert chart["fits"] or (chart["scrolls"] and chart["hint"]), (size, rel, chart)


@pytest.mark.parametrize("rel", ["index.html", "hubs/LON.html", "runs/oral_chemo_wastage/LON.html"])
def test_banner_and_warning_take_at_most_a_quarter_of_the_first_phone_screen(phone, book_url, rel):
    load(phone, book_url + rel)
    heights = phone.evaluate("""() => {
        const banner = document.querySelector('.bd-header-announcement');
        const warning = [...document.querySelectorAll('article .admonition.warning, article blockquote')]
          .find(e => e.textContent.includes('Synthetic data'));
        return {banner: banner ? banner.getBoundingClientRect().height : 0,
                warning: warning ? warning.getBoundingClientRect().height : 0,
                page: document.documentElement.scrollWidth};
    }""")
    assert heights["banner"] > 0 and heights["warning"] > 0, heights  # the small book is synthetic: both show
    share = (heights["banner"] + heights["warning"]) / PHONE["viewport"]["height"]
    assert share <= BANNER_SHARE, (rel, heights, f"{share:.0%}")
    assert heights["page"] <= PHONE["viewport"]["width"], (rel, heights)  # nothing widens the page itself


@pytest.mark.parametrize("rel,name", [("index.html", "landing"), ("hubs/LON.html", "hub-LON"),
                                      ("runs/where_to_look/LON.html", "run-where_to_look-LON")])
def test_screenshots_at_1366_and_390(laptop, phone, book_url, artifacts_dir, rel, name):
    from PIL import Image

    for page, width in ((laptop, 1366), (phone, 390)):
        load(page, book_url + rel)
        path = artifacts_dir / f"fit-{name}-{width}.png"
        page.screenshot(path=str(path))
        # and the first table that scrolls (at 390) or was widened (at 1366), in view
        target = page.locator("article .iv-scroll, article .iv-wide").first
        if target.count():
            target.scroll_into_view_if_needed()
            page.evaluate("() => window.scrollBy(0, -80)")
            page.wait_for_timeout(600)  # the Contents list folds away (the theme's 0.4 s transition)
            page.screenshot(path=str(artifacts_dir / f"fit-{name}-{width}-table.png"))
        with Image.open(path) as img:
            assert img.width == width, img.size
