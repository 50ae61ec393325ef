"""Hub packs in a built book (the session's small book): every hub's workbook and PDF, linked from its page."""
from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from ivanalysis.geography import load_geography
from ivanalysis.pipeline import packs
from ivanalysis.pipeline.browser import chromium_path
from ivanalysis.pipeline.scan import pdf_page_texts

pytestmark = pytest.mark.integration

SMALL_BOOK_GEOGRAPHIES = {"LON", "SW", "NEC"}  # the hubs tests/conftest.py's small book runs


def _ok_runs(build: Path, hub: str) -> list[dict]:
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((build / "runs").glob(f"*/{hub}/results.json"))]
    return sorted((r for r in runs if r["status"] == "ok"), key=lambda r: r["scheme_number"])


def _rank(r: dict) -> tuple:
    """A hub pack's order of its analysed runs: the largest moderate headline first, withheld ones ('*') after."""
    return (bool(r["withheld"]), 0 if r["withheld"] else -r["opportunity_gbp"]["moderate"])


def _linked(html: Path, hub: str, suffix: str) -> Path:
    """The file the hub pack page links to, resolved from the page as a browser would."""
    page = (html / "hubs" / f"{hub}.html").read_text(encoding="utf-8")
    hrefs = re.findall(rf'href="([^"]*/{hub}\.{suffix})"', page)
    assert hrefs, f"hubs/{hub}.html has no link to its .{suffix}"
    path = (html / "hubs" / hrefs[0]).resolve()
    assert path.is_file(), f"hubs/{hub}.html links to {hrefs[0]}, which is not in the book"
    return path


def test_every_hub_pack_links_its_workbook(small_book):
    from openpyxl import load_workbook

    html = small_book / "html"
    for hub in load_geography().hubs():
        wb = load_workbook(_linked(html, hub.code, "xlsx"))
        runs = _ok_runs(small_book, hub.code)
        assert wb.sheetnames == ["Summary", *(packs.sheet_name(r["scheme_number"], _short(r["scheme"]))
                                              for r in runs)], hub.code
        rows = [list(r) for r in wb["Summary"].iter_rows(values_only=True)]
        by_number = {r[0]: r for r in rows if isinstance(r[0], int)}
        assert len(by_number) == 20  # every implemented scheme: analysed, failed or not run
        # in rank order, as the hub pack page: the analysed ones by their moderate headline (withheld ones, '*', after
        # them), then the others
        ranked = sorted(runs, key=_rank)
        assert list(by_number)[:len(runs)] == [r["scheme_number"] for r in ranked]
        for r in runs:  # each figure is the run's own, unrounded
            assert by_number[r["scheme_number"]][3:6] == [r["opportunity_gbp"][s] for s in ("low", "moderate", "high")]
            assert by_number[r["scheme_number"]][10] == r["kpis"][0]["value"]
        # one total a financial year: each adds that year's headlines only, none withheld
        totals = [r for r in rows if str(r[1]).startswith("All analysed schemes")]
        for total in totals:
            assert total[4] == pytest.approx(sum(r["opportunity_gbp"]["moderate"] for r in runs
                                                 if r["period"] == total[2] and not r["withheld"]))
        assert {t[2] for t in totals} == {r["period"] for r in runs}
        if not runs:  # a hub the small book did not run
            assert {r[14] for r in by_number.values()} == {"not run"}


def _short(scheme_id: str) -> str:
    from ivanalysis.catalogue import BY_ID

    return BY_ID[scheme_id].short


@pytest.fixture(scope="module")
def chromium_or_skip():
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium not found, and CI must print the PDF hub packs: install Debian's 'chromium'")
        pytest.skip("Chromium not found (install Debian's 'chromium' or set IVANALYSIS_CHROMIUM): no PDF hub packs")


@pytest.fixture(scope="module")
def pdf_text(small_book, chromium_or_skip) -> dict[str, list[str]]:
    """Each hub's PDF in the small book: the text of each page, read once for the tests below, as the identifier
    scan reads it."""
    folder = small_book / "html" / packs.PACKS_DIR
    return {hub.code: pdf_page_texts(folder / f"{hub.code}.pdf") for hub in load_geography().hubs()}


def test_every_hub_pack_links_its_pdf(small_book, pdf_text, artifacts_dir):
    import pypdfium2 as pdfium

    html = small_book / "html"
    for hub in load_geography().hubs():
        pdf = _linked(html, hub.code, "pdf")
        runs = sorted(_ok_runs(small_book, hub.code), key=_rank)
        assert len(runs) >= 17 if hub.code in SMALL_BOOK_GEOGRAPHIES else not runs
        reader = PdfReader(pdf)
        assert len(reader.pages) > len(runs), hub.code  # the pack page, then at least a page for each scheme
        # a bookmark for each page printed, in the pack's order (ranked by the moderate opportunity), its sections
        # under it
        pages = [o for o in reader.outline if not isinstance(o, list)]
        assert [o.title for o in pages] == [f"Hub pack: {hub.name}"] + \
            [f"{r['scheme_number']}. {r['title']}" for r in runs]
        if runs:
            sections = reader.outline[reader.outline.index(pages[1]) + 1]
            assert {"Summary", "Caveats", "Provenance"} <= {o.title for o in sections}
        # NFKC: the PDF's fonts set "fl" and "fi" as ligatures
        assert len(pdf_text[hub.code]) == len(reader.pages)  # the PDF the page links to is the one read
        text = unicodedata.normalize("NFKC", " ".join(" ".join(t.split()) for t in pdf_text[hub.code]))
        assert f"Hub pack: {hub.name}" in text and "Synthetic data" in text
        for r in runs:
            assert f"{r['title']}: {hub.name}" in text, (hub.code, r["title"])  # each run page's title
        assert "Search" not in text[:2000] and "Skip to main content" not in text  # no navigation printed
        doc = pdfium.PdfDocument(str(pdf))
        # the cover, the hub pack page, and the first page of its first scheme
        firsts = [0, 1] + ([reader.get_destination_page_number(pages[1])] if runs else [])
        for i in firsts:
            image = doc[i].render(scale=1.5).to_pil()
            gray = image.convert("L")
            inked = sum(gray.histogram()[:200]) / (gray.width * gray.height)  # share of darker pixels
            assert inked > 0.01, f"{hub.code} page {i + 1} is blank"
            image.save(artifacts_dir / f"pack-{hub.code}-page{i + 1}.png")
        doc.close()


def _link_targets(reader: PdfReader) -> list[tuple[int, str, str]]:
    """Every link annotation of the PDF as (page index, kind, target): ("internal", destination name) or ("uri",
    address). A link of any other kind (a launch, a remote PDF) fails here."""
    links = []
    for i, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot["/A"].get_object() if "/A" in annot else None
            if "/Dest" in annot:
                links.append((i, "internal", str(annot["/Dest"])))
            elif action is not None and action.get("/S") == "/URI":
                links.append((i, "uri", str(action["/URI"])))
            else:
                pytest.fail(f"page {i + 1}: a link that is neither internal nor an address: {dict(annot)}")
    return links


def _check_links(pdf: Path, html: Path, hub: str, runs: list[dict], site: str) -> dict[str, int]:
    """Every link of a hub's PDF works: an internal one has its destination in the document; an address is
    https/mailto (the web), or under `site` (the book: relative to the PDF's folder, or the base URL) and names a
    file of the built book; none is file://, and none leaves the PDF for a page the PDF holds. Returns the count by
    kind."""
    reader = PdfReader(pdf)
    destinations = set(reader.named_destinations)
    held = {f"hubs/{hub}.html"} | {f"runs/{r['scheme']}/{hub}.html" for r in runs}
    kinds: dict[str, int] = {}
    for page, kind, target in _link_targets(reader):
        assert not target.startswith("file:"), (hub, page + 1, target)
        assert ".invalid/" not in target, (hub, page + 1, target)  # as printed (packs.SITE, pdf_pages.PLACE): made good
        if kind == "internal":
            assert target in destinations, (hub, page + 1, target)
        elif target.startswith(("https://", "mailto:")) and not target.startswith(site):
            kind = "web"
        else:
            assert target.startswith(site), (hub, page + 1, target)
            rel = target.split("#")[0]
            resolved = (html / rel[len(site):] if site.startswith("http") else html / packs.PACKS_DIR / rel).resolve()
            assert resolved.is_file() and resolved.is_relative_to(html.resolve()), (hub, page + 1, target)
            assert str(resolved.relative_to(html.resolve())) not in held, (hub, page + 1, target)  # internal instead
            kind = "book"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def test_every_link_of_a_hub_pdf_works_and_its_cover_and_footer_say_what_it_holds(small_book, pdf_text):
    """A hub's PDF, read as a commissioner would: its links work away from the machine that printed it (internal
    links to the pages it holds; links to the rest of the book relative to the PDF, or under html.baseurl when
    _config.yml sets one); its first page is a cover with the data period, the day it was built, and the contents
    with each page's number; every page's footer says the same, and 'page N of M'."""
    import yaml

    from ivanalysis.paths import ROOT

    html = small_book / "html"
    site = packs.site_root(yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")))
    for hub in load_geography().hubs():
        pdf = html / packs.PACKS_DIR / f"{hub.code}.pdf"
        runs = _ok_runs(small_book, hub.code)
        kinds = _check_links(pdf, html, hub.code, runs, site)
        # the contents (a line for each page of the book printed) and the hub's table link to the pages in the PDF
        assert kinds["internal"] >= 1 + 2 * len(runs), (hub.code, kinds)
        assert kinds.get("book", 0) >= 1, (hub.code, kinds)  # its workbook, at least
        reader = PdfReader(pdf)
        texts = [unicodedata.normalize("NFKC", t) for t in pdf_text[hub.code]]
        n = len(reader.pages)
        months = (f"{packs.month_text(min(r['data']['first_month'] for r in runs))} to "
                  f"{packs.month_text(max(r['data']['last_month'] for r in runs))}") if runs else ""
        built = re.search(r"Built (\d{1,2} [A-Z][a-z]+ 20\d\d)", texts[0])
        assert built, (hub.code, texts[0][:300])
        for i, text in enumerate(texts):  # the footer: what and when at its left, the day and the page at its right
            assert f"Hub pack: {hub.name} · data {months or 'none analysed'}" in text, (hub.code, i + 1)
            assert f"built {built.group(1)} · page {i + 1} of {n}" in text, (hub.code, i + 1)
        cover = texts[0]
        assert "Contents" in cover and f"Hub pack: {hub.name}" in cover
        assert (f"Data {months}; headline figures for " if runs else "Data no scheme was analysed for this hub") \
            in cover
        # each line of the contents: its title (and year), a link to the page's first page, that page's number
        pages = [o for o in reader.outline if not isinstance(o, list)]
        starts = [reader.get_destination_page_number(o) for o in pages]
        assert starts[0] == 1  # the hub pack page, after the cover
        words, lines = " ".join(cover.split()), cover.splitlines()
        ranked = sorted(runs, key=_rank)
        assert len(starts) == 1 + len(ranked)
        links = _link_targets(reader)
        for j, start in enumerate(starts):
            if j:
                r = ranked[j - 1]
                assert f"{r['scheme_number']}. {r['title']}" in words and r["period"] in words, (hub.code, r["title"])
            assert str(start + 1) in lines, (hub.code, j, start + 1)  # its number, written in at the line's end
            target = f"/iv-p{j}"  # the line links to the page's top
            assert (0, "internal", target) in links, (hub.code, j)
            assert reader.get_destination_page_number(reader.named_destinations[target]) == start


def test_a_base_url_in_config_makes_the_pdf_link_to_the_published_book(small_book, chromium_or_skip, tmp_path,
                                                                       monkeypatch):
    """With html.baseurl set in _config.yml, the PDF's links to the rest of the book are addresses under it."""
    html = tmp_path / "html"
    shutil.copytree(small_book / "html", html)
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(small_book))  # read only: its runs say what each pack holds
    site = packs.site_root({"html": {"baseurl": "https://example.nhs.uk/improving-value"}})
    from ivanalysis.pipeline.runs_view import collect

    geo = load_geography()
    lon = next(a for a in geo.hubs() if a.code == "LON")
    packs.print_pdfs(html, {"LON": packs.pdf_pack(lon, collect(geo), "The book", True)}, site=site)
    pdf = html / packs.PACKS_DIR / "LON.pdf"
    kinds = _check_links(pdf, html, "LON", _ok_runs(small_book, "LON"), site)
    assert kinds["book"] >= 1 + len(_ok_runs(small_book, "LON")), kinds  # the workbook, each run's notebook
    cover = "".join(PdfReader(pdf).pages[0].extract_text().split())  # the address may be cut across two lines
    assert "openthepublishedbook,https://example.nhs.uk/improving-value/." in cover


def test_only_changed_hubs_are_printed_again(small_book, chromium_or_skip, tmp_path, monkeypatch):
    html = tmp_path / "html"
    shutil.copytree(small_book / "html", html)  # the next build starts from a copy of the published book
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(small_book))  # read only: its runs say what each pack holds
    folder = html / packs.PACKS_DIR
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # nothing hidden is published
    assert all(packs.printed_from(p) for p in folder.glob("*.pdf"))  # each PDF says what it was printed from
    (folder / ".LON.pdf.inputs").write_text("what an older build kept beside the PDFs\n")
    store = tmp_path / "prints"  # the prints the book's build kept (a copy: the shared build is read only)
    shutil.copytree(small_book / "cache" / "pdf-prints", store)
    said: list[str] = []
    packs.publish_pdfs(html, said.append, store=store)
    assert said == [f"PDF hub packs unchanged ({len(load_geography().hubs())})"]
    assert not (folder / ".LON.pdf.inputs").exists()
    before = {p.name: p.read_bytes() for p in (html / packs.PACKS_DIR).glob("*.pdf")}

    def change(page: Path) -> None:
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("</article>", "<p>changed</p></article>"), "utf-8")

    # a page changed: its hub's PDF is made again, and of it only that page is printed
    change(html / "runs" / "oral_chemo_wastage" / "LON.html")
    packs.publish_pdfs(html, said.append, store=store)
    pages = 1 + len(_ok_runs(small_book, "LON"))
    assert said[-1].startswith(f"PDF hub packs: 1 of 10 made ({pages} pages of the book; 1 of their {pages + 1} "
                               "parts printed, the others kept from earlier prints)"), said[-1]
    after = {p.name: p.read_bytes() for p in (html / packs.PACKS_DIR).glob("*.pdf")}
    assert [n for n in after if after[n] != before[n]] == ["LON.pdf"]
    assert "changed" in " ".join(pdf_page_texts(html / packs.PACKS_DIR / "LON.pdf"))
    # ... and reads as the PDF printed whole: the same text on each sheet (footers, contents' numbers included), the
    # same bookmarks and links
    whole = tmp_path / "whole"
    shutil.copytree(html, whole)
    geo = load_geography()
    lon = next(a for a in geo.hubs() if a.code == "LON")
    from ivanalysis.pipeline.runs_view import collect

    config = _config()
    packs.print_pdfs(whole, {"LON": packs.pdf_pack(lon, collect(geo), str(config.get("title", "")), True)},
                     site=packs.site_root(config), force=True)
    parts, printed = (PdfReader(d / packs.PACKS_DIR / "LON.pdf") for d in (html, whole))
    assert pdf_page_texts(html / packs.PACKS_DIR / "LON.pdf") == pdf_page_texts(whole / packs.PACKS_DIR / "LON.pdf")
    assert _outline(parts) == _outline(printed) and _link_targets(parts) == _link_targets(printed)
    # outside the article (navigation, scripts) nothing is printed, so nothing is printed again
    page = html / "hubs" / "LON.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>changed</p></body>"), "utf-8")
    packs.publish_pdfs(html, said.append, store=store)
    assert said[-1] == f"PDF hub packs unchanged ({len(load_geography().hubs())})"
    # the store keeps only the prints that hold the parts of the PDFs published: LON's whole print and its new page
    assert sorted(p.name for p in (store / "LON").iterdir() if p.suffix == ".pdf") == sorted(
        {name for name, _, _ in json.loads((store / "LON" / "index.json").read_text()).values()})
    assert len(list((store / "LON").glob("*.pdf"))) == 2


def _config() -> dict:
    import yaml

    from ivanalysis.paths import ROOT

    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")) or {}


def _outline(reader: PdfReader) -> list:
    return [[(item.title, reader.get_destination_page_number(item)) for item in entry] if isinstance(entry, list)
            else (entry.title, reader.get_destination_page_number(entry)) for entry in reader.outline]

