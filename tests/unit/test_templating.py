"""The generated pages' templates: each renders from what its page function gives it, a value a template uses and was
not given is an error, and text from data or parameters holding markup is shown as text."""
from __future__ import annotations

import dataclasses

import jinja2
import pytest
from test_packs import HUB, results

from ivanalysis.catalogue import BY_ID
from ivanalysis.geography import load_geography
from ivanalysis.pipeline import book, packs
from ivanalysis.pipeline.runs_view import RunView
from ivanalysis.pipeline.templating import environment, render, template_names
from ivanalysis.report.fmt import md_escape
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

MARKUP = "<b>bold</b> [a link](http://example.com) *stars* `code` {role}`x` | pipe"


@pytest.fixture
def views() -> list[RunView]:
    """Every implemented scheme for every run geography: one analysed for London, one failed there, one whose last
    run failed after a good one; the rest not run."""
    geo = load_geography()
    views = [RunView(info, area, None, None, None) for info in registry.implemented() for area in geo.run_geographies()]
    analysed = results("immunoglobulin_itp", 609_729.04, 1_059_856.15, 1_401_510.09,
                       {"name": "Episodes at 1 g/kg or less", "value": 0.495, "target": 0.8, "unit": "share",
                        "higher_is_better": True, "met": False, "note": ""})
    failed = results("spinal_pathway", 1.0, 2.0, 3.0, {"name": "Operations", "value": 1885.0, "target": None,
                                                        "unit": "count", "higher_is_better": None, "met": None,
                                                        "note": ""}).model_copy(update={"status": "failed",
                                                                                        "error": MARKUP})
    for i, v in enumerate(views):
        if v.area.code == "LON" and v.scheme.id == "immunoglobulin_itp":
            views[i] = RunView(v.scheme, v.area, analysed, {"finished_at": 1_795_639_978.5, "duration_s": 4.8}, None)
        elif v.area.code == "LON" and v.scheme.id == "spinal_pathway":
            views[i] = RunView(v.scheme, v.area, failed, {"finished_at": 1_795_639_000.0, "duration_s": 3.1}, None)
        elif v.area.code == "LON" and v.scheme.id == "where_to_look":
            views[i] = RunView(v.scheme, v.area, analysed, None, {"error": MARKUP})
    return views


def _pack_document(tmp_path, title: str) -> str:
    (tmp_path / "LON.html").write_text('<link href="a.css" rel="stylesheet" /><article class="bd-article">'
                                       "<h1>Hub pack: London</h1><p>text</p></article>", encoding="utf-8")
    return packs.print_document(tmp_path, _pack(title), "7 December 2026", "../../")[0]


def _pack(title: str) -> packs.PdfPack:
    return packs.PdfPack(title=title, book="The book", sections=(packs.PdfSection("LON.html", title, ""),),
                         months="April 2015 to March 2018", years="2017/18", synthetic=False)


def test_every_template_renders_from_its_page_and_refuses_a_missing_value(views, build_dir, tmp_path):
    geo = load_geography()
    pages = {
        "landing.md.j2": lambda: book.landing(views, geo, True, "The matrix"),
        "scheme_page.md.j2": lambda: book.scheme_page(BY_ID["immunoglobulin_itp"], views, True),
        "hub_pack.md.j2": lambda: book.hub_pack(HUB, views, False, pdf=False),
        "data_dictionary.md.j2": book.data_dictionary,
        "results_schema.md.j2": lambda: book.results_schema()[0],
        "status_page.md.j2": lambda: book.status_page(views, tmp_path),
        "pack_document.html.j2": lambda: _pack_document(tmp_path, "Hub pack: London"),
        "pack_footer.html.j2": lambda: render("pack_footer.html.j2", pack=_pack("Hub pack: London")),
    }
    assert sorted(template_names()) == sorted(pages)  # a new template gets a line here
    for name, page in pages.items():
        text = page()
        assert text.strip() and "{{" not in text and "{%" not in text, name
        with pytest.raises(jinja2.UndefinedError):
            render(name)  # StrictUndefined: a value not given is an error, never an empty cell
    assert environment().undefined is jinja2.StrictUndefined


def test_the_pages_say_what_they_were_given(views, build_dir, tmp_path):
    hub = book.hub_pack(HUB, views, True)
    assert "| 1 | [1. Immunoglobulin for ITP](../runs/immunoglobulin_itp/LON.ipynb) | £0.6m | £1.1m | £1.4m | " \
           "2017/18 | Episodes at 1 g/kg or less: 49.5% (target 80.0%) | ![](../images/mdc/improvement_low.svg) " \
           "improving (low) |" in hub
    assert "'(high)' or '(low)' say whether" in hub  # the trend words are explained where they appear
    assert ("**Net cash-releasing saving to NHS England specialised commissioning, 2017/18: £2.1m a year (moderate)**;"
            " £1.2m low, £2.8m high (2 schemes of 2017/18).") in hub
    assert "17. Improving the spinal surgery pathway (run failed)" in hub
    assert hub.startswith("# Hub pack: London\n\n:::{warning}\n**Synthetic data.**")
    assert not book.hub_pack(HUB, views, False).count(":::{warning}")
    status = book.status_page(views, tmp_path)
    assert "| 1. immunoglobulin_itp | LON | ok | 4.8 |  |" in status
    assert f"{len(views)} runs, 2 with a failure." in status


def test_a_value_holding_markup_is_shown_as_text(views, build_dir, tmp_path):
    area = dataclasses.replace(HUB, name=MARKUP)
    escaped = md_escape(MARKUP)
    assert escaped != MARKUP and "<b>" not in escaped
    hub = book.hub_pack(area, [dataclasses.replace(v, area=area) for v in views if v.area.code == "LON"], True)
    assert f"# Hub pack: {escaped}\n" in hub and MARKUP not in hub
    landing = book.landing(views, load_geography(), False, MARKUP)
    assert f"![{escaped}](images/matrix.png)" in landing and MARKUP not in landing
    status = book.status_page(views, tmp_path)  # a failed run's error, and a kept failure's
    assert status.count(f"| {escaped} |") == 2 and MARKUP not in status
    document = _pack_document(tmp_path, MARKUP)  # HTML templates are autoescaped
    assert "<title>&lt;b&gt;bold&lt;/b&gt; [a link]" in document and "<b>bold</b>" not in document
    footer = render("pack_footer.html.j2", pack=_pack(MARKUP))
    assert "max-width:calc(100% - 24mm - 65mm);\">&lt;b&gt;bold&lt;/b&gt;" in footer and "<b>" not in footer
