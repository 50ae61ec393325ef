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

pytestmark = pytest.mark.integration

SMALL_BOOK_GEOGRAPHIES = {"LON", "SW", "NEC"}  # the hubs tests/conftest.py's small book runs


def _ok_runs(build: Path, hub: str) -> list[dict]:
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((build / "runs").glob(f"*/{hub}/results.json"))]
    return sorted((r for r in runs if r["status"] == "ok"), key=lambda r: r["scheme_number"])


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
        for r in runs:  # each figure is the run's own, unrounded
            assert by_number[r["scheme_number"]][3:6] == [r["opportunity_gbp"][s] for s in ("low", "moderate", "high")]
            assert by_number[r["scheme_number"]][7] == r["kpis"][0]["value"]
        total = next(r for r in rows if str(r[1]).startswith("All analysed schemes"))
        assert total[4] == pytest.approx(sum(r["opportunity_gbp"]["moderate"] for r in runs))
        if not runs:  # a hub the small book did not run
            assert {r[11] for r in by_number.values()} == {"not run"}


def _short(scheme_id: str) -> str:
    from ivanalysis.catalogue import BY_ID

    return BY_ID[scheme_id].short


@pytest.fixture(scope="module")
def chromium_or_skip():
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium not found, and CI must print the PDF hub packs: install Debian's 'chromium'")
        pytest.skip("Chromium not found (install Debian's 'chromium' or set IVANALYSIS_CHROMIUM): no PDF hub packs")


def test_every_hub_pack_links_its_pdf(small_book, chromium_or_skip, artifacts_dir):
    import pypdfium2 as pdfium

    html = small_book / "html"
    for hub in load_geography().hubs():
        pdf = _linked(html, hub.code, "pdf")
        runs = sorted(_ok_runs(small_book, hub.code), key=lambda r: -r["opportunity_gbp"]["moderate"])
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
        text = unicodedata.normalize("NFKC", " ".join(" ".join(p.extract_text().split()) for p in reader.pages))
        assert f"Hub pack: {hub.name}" in text and "Synthetic data" in text
        for r in runs:
            assert f"{r['title']}: {hub.name}" in text, (hub.code, r["title"])  # each run page's title
        assert "Search" not in text[:2000] and "Skip to main content" not in text  # no navigation printed
        doc = pdfium.PdfDocument(str(pdf))
        # the pack's first page, and the first page of its first scheme
        firsts = [0] + ([reader.get_destination_page_number(pages[1])] if runs else [])
        for i in firsts:
            image = doc[i].render(scale=1.5).to_pil()
            gray = image.convert("L")
            inked = sum(gray.histogram()[:200]) / (gray.width * gray.height)  # share of darker pixels
            assert inked > 0.01, f"{hub.code} page {i + 1} is blank"
            image.save(artifacts_dir / f"pack-{hub.code}-page{i + 1}.png")
        doc.close()


def test_only_changed_hubs_are_printed_again(small_book, chromium_or_skip, tmp_path, monkeypatch):
    html = tmp_path / "html"
    shutil.copytree(small_book / "html", html)  # the next build starts from a copy of the published book
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(small_book))  # read only: its runs say what each pack holds
    said: list[str] = []
    packs.publish_pdfs(html, said.append)
    assert said == [f"PDF hub packs unchanged ({len(load_geography().hubs())})"]
    before = {p.name: p.read_bytes() for p in (html / packs.PACKS_DIR).glob("*.pdf")}

    def change(page: Path) -> None:
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("</article>", "<p>changed</p></article>"), "utf-8")

    change(html / "runs" / "oral_chemo_wastage" / "LON.html")
    packs.publish_pdfs(html, said.append)
    pages = 1 + len(_ok_runs(small_book, "LON"))
    assert said[-1].startswith(f"PDF hub packs: 1 of 10 made ({pages} pages of the book)")
    after = {p.name: p.read_bytes() for p in (html / packs.PACKS_DIR).glob("*.pdf")}
    assert [n for n in after if after[n] != before[n]] == ["LON.pdf"]
    assert "changed" in " ".join(p.extract_text() for p in PdfReader(html / packs.PACKS_DIR / "LON.pdf").pages)
    # outside the article (navigation, scripts) nothing is printed, so nothing is printed again
    page = html / "hubs" / "LON.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>changed</p></body>"), "utf-8")
    packs.publish_pdfs(html, said.append)
    assert said[-1] == f"PDF hub packs unchanged ({len(load_geography().hubs())})"

