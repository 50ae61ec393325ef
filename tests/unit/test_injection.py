"""No injection: a place name holding HTML, script or Markdown shows as its characters on every page; nothing from
the data or the parameters is ever interpreted."""
from __future__ import annotations

import dataclasses

import pytest

from ivanalysis.report import fmt

pytestmark = pytest.mark.unit

NASTY = '<script>alert("x")</script> [click](http://evil.example) **loud** {glue}`x`'


def test_md_escape_makes_every_special_character_inert():
    out = fmt.md_escape(NASTY)
    assert "<script>" not in out and "&lt;script&gt;" in out
    for ch in "[]*`{}":
        assert ch not in out.replace("\\" + ch, "")  # every one is escaped (parentheses need not be: no link forms)


def test_escaped_text_renders_as_its_characters():
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(fmt.md_escape(NASTY))
    assert "<a " not in rendered and "<script" not in rendered and "<strong>" not in rendered
    assert "[click](http://evil.example)" in rendered  # the characters, as written


def test_the_print_header_title_is_escaped():
    from ivanalysis.report import sphinx_html

    context = {"pagetitle": 'Hub <img src=x onerror="alert(1)">'}
    sphinx_html._escape_title(None, "index", "page.html", context, None)
    assert context["pagetitle"] == "Hub &lt;img src=x onerror=&quot;alert(1)&quot;&gt;"


def test_a_page_shows_a_nasty_area_name_escaped(monkeypatch):
    from ivanalysis.page import scheme_page as page_mod
    from ivanalysis.results import Period, Range

    shown = []
    monkeypatch.setattr(page_mod, "display", lambda obj: shown.append(obj))

    class Result:  # the little of a SchemeResult that the header and summary read
        area = dataclasses.replace(__import__("ivanalysis.geography", fromlist=["x"]).load_geography().get("LON"),
                                   name=NASTY)
        period = Period.financial_year("2016/17")
        data_months = (period.start, period.end)
        opportunity_gbp = Range(1.0, 2.0, 3.0)
        quantities = []
        kpis = []
        caveats = [f"A caveat about {NASTY}."]

    p = page_mod.SchemePage(Result(), "moderate", None, None, {}, {})
    p.header()
    p.caveats()
    text = "".join(getattr(o, "data", "") for o in shown)
    assert NASTY not in text and "<script>" not in text
    assert fmt.md_escape(NASTY) in text


def test_the_run_title_escapes_the_area_name(tmp_path, monkeypatch):
    import nbformat

    from ivanalysis.geography import load_geography
    from ivanalysis.pipeline import execute
    from ivanalysis.pipeline.plan import RunSpec

    geo = load_geography()
    nasty = dataclasses.replace(geo.get("LON"), name=NASTY)
    monkeypatch.setattr(geo, "get", lambda code: nasty)
    monkeypatch.setattr("ivanalysis.geography.load_geography", lambda: geo)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\ntext")])
    path = tmp_path / "LON.ipynb"
    nbformat.write(nb, path)
    execute._finish_notebook(path, RunSpec("prostate_fractionation", "LON", "moderate", str(tmp_path), None, "x"))
    title = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
    assert "<script>" not in title and fmt.md_escape(NASTY) in title
