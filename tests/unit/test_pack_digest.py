"""What decides whether a hub's PDF is printed again (packs.pack_digest): what prints, not where the book sits nor
the query Sphinx puts on a stylesheet's address in an incremental build (which alone printed every hub again)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivanalysis.pipeline import packs

pytestmark = pytest.mark.unit

PACK = packs.PdfPack(title="Hub pack: London", book="The book", sections=(
    packs.PdfSection("hubs/LON.html", "Hub pack: London", ""), packs.PdfSection("runs/s/LON.html", "1. S", "2017/18")),
    months="April 2015 to March 2018", years="2017/18", synthetic=True)


def _book(root: Path, query: str = "") -> Path:
    (root / "hubs").mkdir(parents=True)
    (root / "runs" / "s").mkdir(parents=True)
    (root / "_static").mkdir()
    (root / "_images").mkdir()
    (root / "_static" / "theme.css").write_text("body { color: black }")
    (root / "_static" / "iv-print.css").write_text("@page { size: A4 }")
    (root / "_images" / "chart.png").write_bytes(b"a chart")
    (root / "hubs" / "LON.html").write_text(
        f'<html><head><link href="../_static/theme.css{query}" rel="stylesheet" /></head><body>'
        '<article class="bd-article"><h1>Hub pack: London</h1><a href="../runs/s/LON.html">s</a></article>'
        '</body></html>', "utf-8")
    (root / "runs" / "s" / "LON.html").write_text(
        '<html><body><article class="bd-article"><h1>S: London</h1><img src="../../_images/chart.png" alt="c">'
        '</article></body></html>', "utf-8")
    return root


def _digest(root: Path) -> str:
    return packs.pack_digest(root, packs.print_document(root, PACK, "", "../../")[0], root / "_static" / "iv-print.css")


def test_the_same_pages_in_another_folder_give_the_same_digest(tmp_path):
    a = _book(tmp_path / "a")
    b = Path(shutil.copytree(a, tmp_path / "b"))
    assert _digest(a) == _digest(b)


def test_a_query_on_a_stylesheets_address_changes_nothing(tmp_path):
    assert _digest(_book(tmp_path / "a")) == _digest(_book(tmp_path / "b", "?v=8cd3d715"))


@pytest.mark.parametrize("changed", ["_static/theme.css", "_images/chart.png", "_static/iv-print.css"])
def test_a_changed_stylesheet_or_image_prints_again(tmp_path, changed):
    root = _book(tmp_path / "a")
    before = _digest(root)
    (root / changed).write_bytes((root / changed).read_bytes() + b" ")
    assert _digest(root) != before


def test_a_changed_article_prints_again(tmp_path):
    root = _book(tmp_path / "a")
    before = _digest(root)
    page = root / "runs" / "s" / "LON.html"
    page.write_text(page.read_text().replace("</article>", "<p>changed</p></article>"), "utf-8")
    assert _digest(root) != before
