"""What a reader can follow: the landing heatmap (England beside the hubs per 100,000 people, text at full size,
drawn again only when what it shows changes, and the table below it linking each figure), a hub's name indexed on
its pack so that the book's search finds the pack first, and a run page's words linked to the glossary where the
page first writes them."""
from __future__ import annotations

import io
import posixpath
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ivanalysis.catalogue import BY_ID
from ivanalysis.geography import load_geography
from ivanalysis.page import glossary
from ivanalysis.paths import BOOK_SRC_DIR
from ivanalysis.pipeline import book
from ivanalysis.pipeline.runs_view import RunView
from ivanalysis.report.charts import SMALLEST_TEXT_PT
from ivanalysis.results import (
    ComponentRecord,
    DataCoverage,
    KpiRecord,
    MeasureRecord,
    Provenance,
    RunParameters,
    RunResult,
    ScenarioValues,
)
from ivanalysis.results.record import identity
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

GEO = load_geography()
NONE = ScenarioValues(low=0, moderate=0, high=0)
LINK = '<a href="../../guide/glossary.html#{}">{}</a>'


def _view(scheme: str, code: str, moderate: float, year: str = "2017/18", in_totals: bool = True) -> RunView:
    """An analysed run whose one component is `moderate` a year (cash to specialised commissioning when
    `in_totals`, else capacity released beside the headline)."""
    area = GEO.get(code)
    money = ScenarioValues(low=moderate / 2, moderate=moderate, high=moderate * 2)
    component = ComponentRecord(label="Saving", kind="cash_releasing" if in_totals else "capacity_released",
                                payer="nhse_specialised", year=year, gross=money, implementation_cost=NONE, net=money,
                                in_totals=in_totals, why_not_in_totals="" if in_totals else "capacity, not cash")
    result = RunResult(
        **identity(BY_ID[scheme], area, year), status="ok", error=None, scenario="moderate", headline="A saving.",
        opportunity_gbp=money if in_totals else NONE, opportunity_components=[component], opportunity_units=[],
        kpis=[KpiRecord(name="Share", value=0.5, unit="share")],
        measure=MeasureRecord(name="Share", higher_is_better=False, target=None, variation="common_cause",
                              assurance=None, providers=1, providers_worse_998=[]),
        data=DataCoverage(synthetic=True, first_month="2015-04", last_month="2018-03"),
        provenance=Provenance(package_version="0.1.0", git_commit="0" * 40, git_dirty=False, inputs={},
                              parameters=RunParameters(scheme=scheme, geography=code, scenario="moderate",
                                                       period=year, data_dir="data/synthetic"),
                              assumptions={}))
    return RunView(BY_ID[scheme], area, result, None, None)


def _per_100k(code: str, moderate: float) -> float:
    return moderate / GEO.get(code).population * 1e5


@pytest.fixture
def views() -> list[RunView]:
    """England and London for scheme 1, London alone for scheme 9 (of 2018/19), England's scheme 18 all capacity;
    every other scheme and geography not run (the first four are the analysed ones)."""
    ran = [_view("immunoglobulin_itp", "ENG", 5_000_000), _view("immunoglobulin_itp", "LON", 1_000_000),
           _view("oral_chemo_wastage", "LON", 300_000, year="2018/19"),
           _view("prostate_fractionation", "ENG", 700_000, in_totals=False)]
    done = {(v.scheme.id, v.area.code) for v in ran}
    return ran + [RunView(s, a, None, None, None) for s in registry.implemented() for a in GEO.run_geographies()
                  if (s.id, a.code) not in done]


# --- the landing heatmap ---------------------------------------------------------------------------------------------
def test_the_heatmap_shows_england_beside_the_hubs_per_100000_people_and_sends_readers_to_the_table(views):
    png, alt = book.matrix_image(views, GEO)
    london = _per_100k("LON", 1_000_000)
    assert london > _per_100k("ENG", 5_000_000) and london > _per_100k("LON", 300_000)  # London's ITP is the largest
    assert alt == ("Heatmap of the moderate headline saving a year per 100,000 people, in 2017/18 (another year is "
                   "beside its scheme's name), for England and each hub. The largest is 1. Immunoglobulin for ITP in "
                   f"London (£{london:,.0f} per 100,000 people). Each figure in the table below links to its page.")
    with Image.open(io.BytesIO(png)) as image:
        # what the book shows beside its navigation at 1366 px, a scroll bar too, without scrolling (never shrunk)
        assert image.width <= 1000
    landing = book.landing(views, GEO, True, alt)
    assert "each figure in the table below links to its page" in landing
    for v in views[:4]:  # every analysed cell of the table links to its run's page
        money = "—" if v.scheme.id == "prostate_fractionation" else book._short_gbp(v.moderate())
        assert f"[{money}]({v.doc}.ipynb)" in landing


def test_the_heatmap_has_a_column_for_england_first_and_no_text_below_the_smallest_size(views):
    rows = ["1. Immunoglobulin for ITP", "9. Oral chemotherapy wastage (2018/19)"]
    codes = [a.code for a in GEO.run_geographies()]
    per_head = pd.DataFrame(np.nan, index=rows, columns=codes)
    per_head.loc[rows[0], ["ENG", "LON"]] = [_per_100k("ENG", 5e6), _per_100k("LON", 1e6)]
    per_head.loc[rows[1], "LON"] = 123_456.0  # the widest figure a cell holds to the pound
    fig = book.matrix_figure(per_head, pd.DataFrame(False, index=rows, columns=codes), "2017/18")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["ENG", "LON"]
    texts = [t for t in fig.findobj(lambda o: hasattr(o, "get_fontsize") and hasattr(o, "get_text"))
             if t.get_text().strip() and t.get_visible()]
    cells = {t.get_text() for t in ax.texts}
    # per 100,000 people: England £5m / 560.1 (56,010,000 people), London £1m / 89.1 (8,910,000)
    assert {"£8,927", "£11,223", "£123,456", "no result"} <= cells
    assert min(t.get_fontsize() for t in texts) >= SMALLEST_TEXT_PT  # 11 px at the chart's natural size


def test_the_heatmap_is_drawn_again_only_when_what_it_shows_changes(views, monkeypatch):
    png, alt = book.matrix_image(views, GEO)
    monkeypatch.setattr(book, "matrix_figure", lambda *args: pytest.fail("drawn again"))
    again, same_alt = book.matrix_image(views, GEO, reuse=png)
    assert again is png and same_alt == alt
    monkeypatch.undo()
    views[1] = _view("immunoglobulin_itp", "LON", 2_000_000)  # London's figure changes
    changed, _ = book.matrix_image(views, GEO, reuse=png)
    assert changed != png
    assert book._png_key(b"not a png") is None  # a file that is not a staged heatmap is never reused
    assert book.matrix_image([RunView(BY_ID["immunoglobulin_itp"], GEO.england, None, None, None)], GEO) is None


# --- search: a hub's name finds its pack -----------------------------------------------------------------------------
def test_a_hub_pack_is_indexed_under_the_hub_name_whole(views):
    kss = GEO.get("KSS")
    assert kss.name == "Kent, Surrey and Sussex"  # a comma would split a shorthand index entry in two
    pack = book.hub_pack(kss, views, True, pdf=False)
    assert "\n:::{index} ! single: Kent, Surrey and Sussex\n:::\n" in pack  # "!": the main entry, searched first
    assert pack.index(":::{index}") < pack.index("## Summary")  # the search result opens the pack at its summary


# --- the glossary, linked from run pages -----------------------------------------------------------------------------
def test_each_linked_term_is_in_the_glossary_under_the_anchor_sphinx_gives_it():
    from sphinx.util.nodes import _make_id  # what the glossary directive names each term's id with

    text = (BOOK_SRC_DIR / "glossary.md").read_text(encoding="utf-8")
    terms = {line.strip() for line in text[text.index(":::{glossary}"):].splitlines()[1:]
             if line and not line.startswith((" ", ":"))}
    for term in glossary.TERMS:
        assert term in terms, term
        assert glossary.anchor(term) == _make_id(f"term-{term}"), term
    assert glossary.anchor("Funnel plot") == "term-Funnel-plot"
    # the link's path, from where the book puts a run page to where it puts the glossary
    doc = _view("immunoglobulin_itp", "LON", 1.0).doc
    assert posixpath.normpath(posixpath.join(posixpath.dirname(doc), glossary.GLOSSARY_URL)) == "guide/glossary.html"


def test_a_term_is_linked_once_where_the_page_first_writes_it():
    linked: set[str] = set()
    first = glossary.link_terms("London (hub) · headline year **2017/18** · the headline again", linked)
    assert first == f"London (hub) · {LINK.format('term-Headline', 'headline')} year **2017/18** · the headline again"
    later = glossary.link_terms("Common cause variation: within the process limits; `headline`; special causes.",
                                linked)
    assert later == (f"{LINK.format('term-Common-cause', 'Common cause')} variation: within the "
                     f"{LINK.format('term-Process-limits', 'process limits')}; `headline`; "
                     f"{LINK.format('term-Special-cause', 'special causes')}.")
    assert linked == {"Headline", "Common cause", "Process limits", "Special cause"}


def test_no_link_goes_inside_markup_code_or_another_link():
    html = ('<svg aria-label="common cause"><title>Common cause</title></svg> <code>shrinkage</code> '
            '<a href="x">cost avoided</a> [tau-squared](y) <td>capacity released, valued</td> overdispersion')
    linked: set[str] = set()
    out = glossary.link_terms(html, linked)
    assert linked == {"Capacity released", "Overdispersion"}
    assert out == ('<svg aria-label="common cause"><title>Common cause</title></svg> <code>shrinkage</code> '
                   '<a href="x">cost avoided</a> [tau-squared](y) '
                   f"<td>{LINK.format('term-Capacity-released', 'capacity released')}, valued</td> "
                   f"{LINK.format('term-Overdispersion', 'overdispersion')}")
    # a word that only contains a term, or a term inside an id, is not linked
    assert glossary.link_terms("headlines-only term-Headline assurances", set()) == \
        f"headlines-only term-Headline {LINK.format('term-Assurance', 'assurances')}"


def test_a_run_page_links_each_term_once_across_its_sections(monkeypatch):
    from ivanalysis.page import scheme_page

    shown = []
    monkeypatch.setattr(scheme_page, "display", lambda obj: shown.append(getattr(obj, "data", "")))
    result = SimpleNamespace(area=GEO.england, caveats=["The headline is cash-releasing.", "So is this headline."])
    page = scheme_page.SchemePage(result, "moderate", None, None, {}, {})
    page.caveats()
    page.caveats()  # a second section with the same words links none of them again
    first, second = shown
    assert first.count("<a href=") == 2 and "term-Headline" in first and "term-Cash-releasing" in first
    assert "<a " not in second
    assert re.sub(r"</?a\b[^>]*>", "", first) == second  # the words are as they were


def test_the_search_is_given_every_page_s_index_entries_at_every_build():
    """Sphinx 7.4 would keep only the entries of the pages written in this build; an index directive's entry names
    its whole page (else the pack is listed twice), a glossary term keeps its anchor."""
    from ivanalysis.report import sphinx_html

    indexer = SimpleNamespace(_index_entries={"gone": [("old", "", "main")]},
                              _titles={"hubs/SW": "Hub pack: South West", "guide/glossary": "Glossary"})
    entries = {"hubs/SW": [("single", "South West", "index-0", "main", None)],
               "guide/glossary": [("single", "Funnel plot", "term-Funnel-plot", "main", None)],
               "status": []}
    app = SimpleNamespace(builder=SimpleNamespace(indexer=indexer),
                          env=SimpleNamespace(domaindata={"index": {"entries": entries}}))
    assert sphinx_html._search_index_entries(app) == []  # no extra page
    assert indexer._index_entries == {"hubs/SW": [("South West", "", "main")],
                                      "guide/glossary": [("Funnel plot", "term-Funnel-plot", "main")]}
