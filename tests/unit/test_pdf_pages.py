"""A hub's PDF put together from parts printed at different times (pipeline/pdf_pages.py), on PDFs made by hand: where
each part's sheets are, the prints kept between builds, links between parts, and the footer's page numbers."""
from __future__ import annotations

import io
import json

import pytest
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.generic import ContentStream, NameObject

from ivanalysis.pipeline import pdf_pages
from ivanalysis.pipeline.runs_view import BookError

pytestmark = pytest.mark.unit

A4 = (594.96, 841.92)
read = pdf_pages.read_print


def _print(sheets: int, places: dict[str, int], links: dict[int, list[str]] | None = None,
           layout: float = 2.65625) -> bytes:
    """A print as Chromium makes it: `sheets` sheets laid out at `layout` (times Chromium's 0.24: points to a CSS
    pixel), a named destination for each place (name -> sheet), and on a sheet links to addresses."""
    writer = PdfWriter()
    for _ in range(sheets):
        page = PageObject.create_blank_page(width=A4[0], height=A4[1])
        stream = ContentStream(None, None)
        stream.set_data(f"q 0.24 0 0 -0.24 0 841.92 cm q {layout} 0 0 {layout} 0 0 cm Q Q\n".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        writer.add_page(page)
    for name, sheet in places.items():
        writer.add_named_destination("/" + name, sheet)  # as pypdf reads the names Chromium writes: "/iv-p1"
    for sheet, urls in (links or {}).items():
        for i, url in enumerate(urls):
            writer.add_annotation(sheet, Link(rect=(50, 700 - 20 * i, 200, 715 - 20 * i), url=url))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_each_part_is_the_sheets_from_its_top_to_the_next_ones():
    pdf = _print(5, {"iv-p1": 2, "iv-p2": 4, "iv-p1-caveats": 3})
    parts = [("cover", "iv-cover"), ("one", "iv-p1"), ("two", "iv-p2")]  # the first part's top is not looked up
    assert pdf_pages.sheets_of_parts(read(pdf), parts) == {"cover": (0, 2), "one": (2, 4), "two": (4, 5)}
    # printed alone, a part starts on the first sheet
    assert pdf_pages.sheets_of_parts(read(_print(2, {"iv-p2": 0})), [("two", "iv-p2")]) == {"two": (0, 2)}
    with pytest.raises(BookError, match="no destination for the top of its part iv-p3"):
        pdf_pages.sheets_of_parts(read(pdf), [*parts, ("three", "iv-p3")])
    with pytest.raises(BookError, match="no sheet of its own"):
        pdf_pages.sheets_of_parts(read(_print(3, {"iv-p1": 2, "iv-p2": 2})), parts)


def test_a_sheet_says_the_scale_it_was_printed_at_and_a_shrunk_part_is_found():
    reader = PdfReader(io.BytesIO(_print(1, {})))
    assert pdf_pages.sheet_scale(reader.pages[0]) == pytest.approx(0.24 * 2.65625)  # 0.75 points a pixel x 0.85
    pdf = _print(3, {"iv-p1": 1}, layout=2.65625)
    assert pdf_pages.shrunk_parts(read(pdf), {"a": (0, 1), "b": (1, 3)}, 0.75 * 0.85) == []
    shrunk = read(_print(2, {}, layout=2.5))
    assert pdf_pages.shrunk_parts(shrunk, {"a": (0, 1), "b": (1, 2)}, 0.75 * 0.85) == ["a", "b"]


def test_the_store_keeps_the_prints_that_hold_the_parts_and_nothing_else(tmp_path):
    folder = tmp_path / "LON"
    store = pdf_pages.PrintStore(folder)
    first, second = _print(3, {}), _print(2, {"iv-p9": 1})
    store.add(first, {"a": (0, 1), "b": (1, 3)})
    store.keep_only(["a", "b"])
    again = pdf_pages.PrintStore(folder)  # the next build
    assert again.has("a") and again.has("b") and not again.has("c")
    again.add(second, {"b": (0, 2)})  # b printed again
    assert again.source("b")[1:] == (0, 2) and again.read(again.source("b")[0]) == second
    again.keep_only(["a", "b"])
    kept = sorted(p.name for p in folder.glob("*.pdf"))
    assert len(kept) == 2 and json.loads((folder / "index.json").read_text())["a"][1:] == [0, 1]
    again.keep_only(["b"])  # a no longer in the pack: its print goes
    assert [p.read_bytes() for p in folder.glob("*.pdf")] == [second]
    assert not list(folder.glob(".*"))  # nothing half-written left behind
    # without the earlier prints (a forced build), and with an index or a print that cannot be read: printed again
    assert not pdf_pages.PrintStore(folder, earlier=False).has("b")
    (folder / "index.json").write_text("{not json")
    assert not pdf_pages.PrintStore(folder).has("b")
    (folder / "index.json").write_text(json.dumps({"b": ["gone.pdf", 0, 2]}))
    assert not pdf_pages.PrintStore(folder).has("b")


def test_parts_from_two_prints_make_one_pdf_whose_links_between_parts_are_internal():
    store = pdf_pages.PrintStore(None)
    old = _print(4, {"iv-p1": 1, "iv-p1-caveats": 2, "iv-p2": 3},
                 {0: [pdf_pages.PLACE + "iv-p1", pdf_pages.PLACE + "iv-p2-gone"],
                  3: [pdf_pages.SITE + "downloads/packs/LON.xlsx", "https://www.england.nhs.uk/"]})
    store.add(old, {"cover": (0, 1), "one": (1, 3), "two": (3, 4)})
    new = _print(3, {"iv-p1": 0, "iv-p1-caveats": 2}, {1: [pdf_pages.PLACE + "iv-p2"]})
    store.add(new, {"one": (0, 3)})  # the page changed: three sheets now
    writer = pdf_pages.assemble(store, ["cover", "one", "two"])
    assert len(writer.pages) == 5
    targets = pdf_pages.destinations(writer)
    assert targets == {"/iv-p1": 1, "/iv-p1-caveats": 3, "/iv-p2": 4}  # the new print's, where they now are
    pdf_pages.finish_links(writer, targets, "https://example.nhs.uk/iv/", "LON")
    links = [(i, str(a.get_object().get("/Dest") or a.get_object()["/A"]["/URI"]))
             for i, page in enumerate(writer.pages) for a in page.get("/Annots") or []]
    # to a place a page does not have: its top (as a browser opens a page at a missing #place)
    assert links == [(0, "/iv-p1"), (0, "/iv-p2"), (2, "/iv-p2"),
                     (4, "https://example.nhs.uk/iv/downloads/packs/LON.xlsx"), (4, "https://www.england.nhs.uk/")]
    store.add(_print(1, {"iv-p2": 0}, {0: [pdf_pages.PLACE + "iv-p7-x"]}), {"two": (0, 1)})  # to a page not held
    bad = pdf_pages.assemble(store, ["cover", "one", "two"])
    with pytest.raises(BookError, match="links to iv-p7-x, which none of its pages holds"):
        pdf_pages.finish_links(bad, pdf_pages.destinations(bad), "../../", "LON")


def test_each_sheet_says_the_day_and_its_number_at_the_right_of_its_footer():
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_print(3, {}))))
    pdf_pages.number_sheets(writer, "8 December 2026")
    buf = io.BytesIO()
    writer.write(buf)
    reader = PdfReader(buf)
    for i, page in enumerate(reader.pages):
        runs = []
        page.extract_text(visitor_text=lambda text, cm, tm, font, size, runs=runs: runs.append((text, tm[4], tm[5]))
                          if text.strip() else None)
        text = f"built 8 December 2026 · page {i + 1} of 3"
        assert [t for t, _, _ in runs] == [text]
        _, x, y = runs[0]
        # at the footer's right margin (12 mm), on Chromium's footer baseline; Helvetica's widths: 'b' 556, ' ' 278...
        assert x + pdf_pages._width(text, pdf_pages.FOOTER_POINTS) == pytest.approx(A4[0] - 12 * 72 / 25.4, abs=0.01)
        assert y == pytest.approx(pdf_pages.FOOTER_BASELINE_PT)
        # the page's own content is left as it was, between q and Q
        streams = [c.get_object().get_data() for c in page["/Contents"]]
        assert len(streams) == 3 and streams[0] == b"q\n" and streams[1].startswith(b"q 0.24 0 0 -0.24")
        assert streams[2].startswith(b"Q q ")
    assert pdf_pages._width("0", 10) == pytest.approx(5.56) and pdf_pages._escape("a (b) · c\\") == \
        "(a \\(b\\) \\267 c\\\\)"
