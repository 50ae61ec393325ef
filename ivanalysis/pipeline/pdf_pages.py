"""A hub's PDF put together from the sheets Chromium printed, kept part by part, so a build prints only the parts of
a pack that changed.

A pack is made of parts: its cover, then each page of the book it holds, each from a new sheet. A part is named by
the digest of what it prints from (packs.print_pdfs). Chromium prints the parts of a hub that the store does not
have, in one document; the store keeps that print as it came and, for each part, its sheets in it. The PDF is the
parts' sheets in order, from whichever print holds them; what depends on the whole is written afterwards
(make_pdf): links between parts, 'page N of M' in each footer, the contents' page numbers, the bookmarks.

Links between parts are printed as addresses under PLACE, not as internal links: Chromium drops a link to a place
that is not in the document it prints, and a part is printed without the parts it links to when only it changed.
finish_links makes them internal links once the parts are together. Every place such a link points at has a
destination in its own part (packs gives it a link of its own there: Chromium writes a destination only for a
place an internal link points at).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BookError

PRINTED_FROM = "/IVPrintedFrom"  # in a PDF's document information: the digest of what it was made from
CONTENTS_TARGET = re.compile(r"/iv-p\d+")  # a line of the contents links to the top of one of the pack's pages
SITE = "https://book.invalid/"  # a link to the rest of the book, as printed: the PDF points it at the book's address
PLACE = "https://place.invalid/"  # a link to a place in another part of the pack, as printed: PLACE + its id
_PART_TOP = re.compile(r"iv-p\d+")  # the id of a part's top (packs.anchor), which begins the id of each place in it

# 'built <day> · page N of M', written at the right of each sheet's footer (Chromium's footer, on the left, says what
# the pack is and its data period; it cannot know a sheet's number in a PDF put together from several prints)
FOOTER_POINTS = 7.0  # the footer's size, as packs' footer template sets it
FOOTER_RGB = "0.259 0.333 0.388"  # #425563, the footer's colour
FOOTER_RIGHT_MM = 12.0  # the footer's margin (the sheet's left and right margins)
FOOTER_BASELINE_PT = 16.17  # the baseline of the text of Chromium's footer (A4, a 16 mm bottom margin), measured
_FONT = "/IVFooterFont"


# A heading as the PDF's bookmarks need it: its text, and the named destination (anchor()) of the place it is at
Heading = tuple[str, str]


def anchor(index: int, fragment: str = "") -> str:
    """The id, in the printed document, of the pack's page `index` (its top), or of an element of it: each page's ids
    are its own (every run page has a #caveats)."""
    return f"iv-p{index}-{fragment}" if fragment else f"iv-p{index}"


class PrintStore:
    """The prints kept for one hub, in `folder`: each as Chromium printed it (<sha>.pdf), and index.json, which says
    for each part (by its digest) the print and the sheets that hold it: [file, first sheet, sheet after its last].
    Without a folder, only this build's prints, in memory; with `earlier` False, the folder's prints are not used
    (and replaced). A print or index that cannot be read is as if absent: those parts are printed again."""

    def __init__(self, folder: Path | None, *, earlier: bool = True) -> None:
        self.folder = folder
        self.prints: dict[str, bytes] = {}  # printed by this build, by file name
        self.index: dict[str, tuple[str, int, int]] = {}
        if folder is not None and earlier:
            try:
                index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
                self.index = {digest: (str(f), int(a), int(b)) for digest, (f, a, b) in index.items()
                              if (folder / str(f)).is_file()}
            except (OSError, ValueError, TypeError):
                self.index = {}

    def has(self, digest: str) -> bool:
        return digest in self.index

    def add(self, pdf: bytes, sheets: dict[str, tuple[int, int]]) -> None:
        """Keep a print, and where each part it holds is in it (part digest -> first sheet, sheet after its last)."""
        name = hashlib.sha256(pdf).hexdigest()[:24] + ".pdf"
        self.prints[name] = pdf
        for digest, (first, stop) in sheets.items():
            self.index[digest] = (name, first, stop)

    def source(self, digest: str) -> tuple[str, int, int]:
        return self.index[digest]

    def read(self, name: str) -> bytes:
        return self.prints[name] if name in self.prints else (self.folder / name).read_bytes()

    def keep_only(self, digests: list[str]) -> None:
        """Keep the prints that hold these parts, and nothing else; written to the folder (the new prints first, then
        the index, then the prints no part needs any more are deleted, so an interrupted build leaves a store whose
        index names only prints it has)."""
        self.index = {d: self.index[d] for d in digests}
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        used = {name for name, _, _ in self.index.values()}
        for name in used & set(self.prints):
            _write(self.folder / name, self.prints[name])
        _write(self.folder / "index.json", json.dumps(self.index, indent=1, sort_keys=True).encode())
        for old in self.folder.iterdir():
            if old.name != "index.json" and old.name not in used:
                old.unlink()


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def read_print(pdf: bytes):
    """A print, read once for sheets_of_parts and shrunk_parts (a PdfReader)."""
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf))


def sheets_of_parts(reader, parts: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Where each part is in a print (`reader`: read_print) of `parts` ((its digest, the id of its top), in the order
    printed): the first from the first sheet, each other from the sheet its top is on, to the next one's. Raises
    BookError when a part's top has no destination, or a part has no sheet of its own."""
    places = reader.named_destinations
    starts = []
    for i, (_, top) in enumerate(parts):
        if i == 0:
            starts.append(0)
        elif "/" + top in places:
            starts.append(reader.get_destination_page_number(places["/" + top]))
        else:
            raise BookError(f"the printed pack has no destination for the top of its part {top}")
    ends = [*starts[1:], len(reader.pages)]
    if any(end <= start for start, end in zip(starts, ends)):
        raise BookError(f"a part of the printed pack has no sheet of its own (parts start at sheets {starts})")
    return {digest: (start, end) for (digest, _), start, end in zip(parts, starts, ends)}


_MATRIX = re.compile(rb"(-?[\d.]+) 0 0 (-?[\d.]+) -?[\d.]+ -?[\d.]+ cm")


def sheet_scale(page) -> float | None:
    """The scale a sheet was printed at, PDF points to a CSS pixel: Chromium's content begins with the matrices of
    the sheet (0.24, its device units) and of the layout (points per pixel, times any shrinking to fit); None when
    the sheet does not begin so."""
    contents = page.get("/Contents")
    if contents is None:
        return None
    contents = contents.get_object()
    first = contents[0].get_object() if isinstance(contents, list) else contents
    found = _MATRIX.findall(first.get_data()[:600])
    if len(found) < 2:
        return None
    return abs(float(found[0][0]) * float(found[1][0]))


def shrunk_parts(reader, sheets: dict[str, tuple[int, int]], scale: float) -> list[str]:
    """The parts (of `sheets`: digest -> its sheets in the print, `reader`: read_print) with a sheet not printed at
    `scale` points to a CSS pixel: Chromium shrank the document to fit something wider than the sheet."""
    return [digest for digest, (first, stop) in sheets.items()
            if any(abs((sheet_scale(reader.pages[i]) or 0) - scale) > 1e-3 for i in range(first, stop))]


def assemble(store: PrintStore, digests: list[str]):
    """A PdfWriter holding each part's sheets, in order, with their internal links and destinations."""
    from pypdf import PdfReader, PdfWriter

    runs: list[list] = []  # [print, first, stop]: parts that follow one another in one print, appended at once
    for digest in digests:
        name, first, stop = store.source(digest)
        if runs and runs[-1][0] == name and runs[-1][2] == first:
            runs[-1][2] = stop
        else:
            runs.append([name, first, stop])
    writer, readers = PdfWriter(), {}
    for name, first, stop in runs:
        if name not in readers:
            readers[name] = PdfReader(io.BytesIO(store.read(name)))
        writer.append(readers[name], pages=(first, stop), import_outline=False)
    return writer


def destinations(writer) -> dict[str, int]:
    """Each named destination of the PDF ('/iv-p3') and the index of the sheet it is on."""
    sheet = {page.indirect_reference.idnum: i for i, page in enumerate(writer.pages)}
    found = {}
    for name, dest in writer.named_destinations.items():
        page = dest.get("/Page")
        idnum = getattr(page, "idnum", None) or getattr(getattr(page, "indirect_reference", None), "idnum", None)
        if idnum in sheet:
            found[str(name)] = sheet[idnum]
    return found


def finish_links(writer, targets: dict[str, int], site: str, code: str) -> None:
    """Links between parts (under PLACE) made internal links to their places (a place its page does not have: that
    page's top); links to the rest of the book (under SITE) pointed at `site`."""
    from pypdf.generic import NameObject, TextStringObject

    for page in writer.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            action = annot.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if uri.startswith(PLACE):
                place = uri[len(PLACE):]
                top = _PART_TOP.match(place)
                name = place if "/" + place in targets else top.group(0) if top else ""
                if "/" + name not in targets:
                    raise BookError(f"the {code} hub pack's PDF links to {place}, which none of its pages holds")
                del annot[NameObject("/A")]
                annot[NameObject("/Dest")] = NameObject("/" + name)
            elif uri.startswith(SITE):
                action.get_object()[NameObject("/URI")] = TextStringObject(site + uri[len(SITE):])


def _width(text: str, points: float) -> float:
    """The width of `text` in Helvetica at `points` (Adobe's metrics, as pypdf has them)."""
    from pypdf._codecs.core_font_metrics import CORE_FONT_METRICS  # Helvetica's widths; pypdf is pinned

    widths = CORE_FONT_METRICS["Helvetica"].character_widths
    return sum(widths.get(c, widths["default"]) for c in text) * points / 1000


def _escape(text: str) -> str:
    """A PDF string of `text` in WinAnsiEncoding, what a standard font reads (the footer's words are ASCII, and ·)."""
    out = []
    for b in text.encode("cp1252"):
        if b in b"()\\":
            out.append("\\" + chr(b))
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return "(" + "".join(out) + ")"


def _helvetica():
    """The standard Helvetica in WinAnsiEncoding (nothing embedded), for what is written onto the printed sheets."""
    from pypdf.generic import DictionaryObject, NameObject

    return DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})


def number_sheets(writer, built: str) -> None:
    """Write 'built <day> · page N of M' at the right of each sheet's footer, on the baseline of Chromium's footer
    text, in the footer's size and colour."""
    from pypdf.generic import DictionaryObject, NameObject

    font = writer._add_object(_helvetica())
    total = len(writer.pages)
    for i, page in enumerate(writer.pages):
        text = f"built {built} · page {i + 1} of {total}"
        right = float(page.mediabox.right) - FOOTER_RIGHT_MM * 72 / 25.4
        x = right - _width(text, FOOTER_POINTS)
        resources = page.get("/Resources")
        if resources is None:
            resources = DictionaryObject()
            page[NameObject("/Resources")] = resources
        resources = resources.get_object()
        fonts = resources.get("/Font")
        if fonts is None:
            fonts = DictionaryObject()
            resources[NameObject("/Font")] = fonts
        fonts.get_object()[NameObject(_FONT)] = font
        # q/Q around the page's own content, so nothing it leaves set (a transformation, a colour) moves or tints ours
        _around(writer, page, b"q\n", f"Q q {FOOTER_RGB} rg BT {_FONT} {FOOTER_POINTS:g} Tf {x:.2f} "
                f"{FOOTER_BASELINE_PT:.2f} Td {_escape(text)} Tj ET Q\n".encode("latin-1"))


def _around(writer, page, before: bytes, after: bytes) -> None:
    """The page's content streams, with one before them and one after."""
    from pypdf.generic import ArrayObject, ContentStream, NameObject

    contents = page.get("/Contents")
    existing = contents.get_object() if contents is not None else ArrayObject()
    streams = list(existing) if isinstance(existing, ArrayObject) else [contents]
    added = []
    for data in (before, after):
        stream = ContentStream(None, None)
        stream.set_data(data)
        added.append(writer._add_object(stream))
    page[NameObject("/Contents")] = ArrayObject([added[0], *streams, added[1]])


@dataclass(frozen=True)
class Finishing:
    """What makes a hub's PDF from its parts (make_pdf): the prints that hold them (`store`), the parts' digests in
    order, the contents' and bookmarks' titles, each page's headings with their places, the pack's title, the hub's
    code (for errors), where links to the rest of the book go, the day, and the digest of what the PDF is made from
    (PRINTED_FROM)."""

    store: PrintStore
    parts: tuple[str, ...]
    titles: tuple[str, ...]
    headings: tuple[tuple[Heading, list[Heading]], ...]
    title: str
    code: str
    site: str
    built: str
    digest: str


def make_pdf(job: Finishing) -> bytes:
    """The PDF as it is kept, from its parts' sheets: its links between parts internal, its links to the rest of the
    book pointed at the site, 'built <day> · page N of M' in each footer, the contents' page numbers written in, the
    pack's bookmarks (_bookmarks), its title, and the digest of what it was made from (PRINTED_FROM)."""
    writer = assemble(job.store, list(job.parts))
    targets = destinations(writer)
    finish_links(writer, targets, job.site, job.code)
    _number_contents(writer, targets, job.code, len(job.titles))
    number_sheets(writer, job.built)
    for bookmark, page, sections in _bookmarks(targets, list(job.titles), list(job.headings), job.code):
        parent = writer.add_outline_item(title=bookmark, page_number=page)
        for heading, section_page in sections:
            writer.add_outline_item(title=heading, page_number=section_page, parent=parent)
    writer.page_mode = "/UseOutlines"  # a viewer opens the PDF with its bookmarks shown
    writer.add_metadata({"/Title": job.title, "/Creator": "ivanalysis", PRINTED_FROM: job.digest})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _number_contents(writer, targets: dict[str, int], code: str, lines_expected: int) -> None:
    """Write on each line of the contents the page it links to, at the line's right end, on the baseline of its text
    and at its size. Chromium cannot print a page's number before it has laid the pages out, and printing the
    document a second time would double the time the PDFs take: the numbers are written onto the printed cover."""
    from pypdf import PageObject
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    first = targets.get("/" + anchor(0))
    if first is None:
        raise BookError(f"the {code} hub pack's PDF has no destination for its first page")
    numbered = 0
    for page in writer.pages[:first]:  # the cover: before the hub pack page
        lines = {}  # a line's target -> its box and its page number
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = str(annot.get("/Dest", ""))
            if CONTENTS_TARGET.fullmatch(dest) and dest in targets and dest not in lines:
                lines[dest] = ([float(x) for x in annot["/Rect"]], targets[dest] + 1)
        if not lines:
            continue
        runs = []  # (x, y of the baseline, size) of each piece of text on the page

        def visit(text, cm, tm, font, size, runs=runs) -> None:
            if text.strip():  # where the text starts and its size on the page: its matrix (tm) times the page's (cm)
                runs.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5],
                             size * abs(tm[2] * cm[1] + tm[3] * cm[3])))

        page.extract_text(visitor_text=visit)
        ops = []
        for (x0, y0, x1, y1), number in lines.values():
            inside = [r for r in runs if x0 - 1 <= r[0] <= x1 and y0 - 1 <= r[1] <= y1 + 1]
            if not inside:
                raise BookError(f"the {code} hub pack's contents: no text on the line for page {number}")
            _, baseline, size = max(inside, key=lambda r: r[1])  # a title on two lines: on its first, by its year
            width = len(str(number)) * 0.556 * size  # Helvetica's digits are all 556/1000 of an em wide
            ops.append(f"BT /IVContentsFont {size:.2f} Tf {x1 - width:.2f} {baseline:.2f} Td ({number}) Tj ET")
        overlay = PageObject.create_blank_page(width=page.mediabox.width, height=page.mediabox.height)
        overlay[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({
            NameObject("/IVContentsFont"): _helvetica()})})
        stream = ContentStream(None, None)
        stream.set_data(("0 g\n" + "\n".join(ops) + "\n").encode())
        overlay.replace_contents(stream)
        page.merge_page(overlay)
        numbered += len(lines)
    if numbered != lines_expected:
        raise BookError(f"the {code} hub pack's contents: {numbered} of its {lines_expected} lines link to a page")


def _bookmarks(targets: dict[str, int], bookmarks: list[str], headings: list[tuple[Heading, list[Heading]]],
               code: str) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """The pack's bookmarks: for each page (its title, the `bookmarks` entry: scheme number and title), the PDF page
    its title is on, and its other headings with theirs. Each heading's place is a named destination (`targets`:
    name -> page index), which Chromium writes for every place an internal link points at (print_document gives
    each heading an id and a link to it): no tagged PDF is printed for Chromium's outline (a third more time in
    Chromium, and a PDF twice the size to read back), and no heading is matched by its text."""
    def page(heading: Heading) -> int:
        text, name = heading
        if "/" + name not in targets:
            raise BookError(f"the {code} hub pack's PDF has no destination for the heading {text!r} ({name})")
        return targets["/" + name]

    return [(bookmark, page(title), [(h[0], page(h)) for h in sections])
            for bookmark, (title, sections) in zip(bookmarks, headings, strict=True)]
