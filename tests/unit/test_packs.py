"""The hub pack workbook, from handmade results.json and CSV tables: sheets, figures, formulas kept as text, bytes."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pandas as pd
import pytest

from ivanalysis.catalogue import BY_ID
from ivanalysis.geography import Area
from ivanalysis.pipeline import packs
from ivanalysis.pipeline.book import BookError, RunView
from ivanalysis.report.table_data import read_table, table_data, table_stem, write_table
from ivanalysis.results import (
    ComponentRecord,
    DataCoverage,
    KpiRecord,
    MeasureRecord,
    Provenance,
    QuantityRecord,
    RunParameters,
    RunResult,
    ScenarioValues,
    Table,
)
from ivanalysis.results.record import identity

pytestmark = pytest.mark.unit

HUB = Area(code="LON", name="London", level="hub", region="LDN", population=8_900_000,
           providers=("LON-P01", "LON-P02"), hubs=("LON",))


def _provenance(scheme: str, assumptions: dict | None) -> Provenance:
    parameters = RunParameters(scheme=scheme, geography="LON", scenario="moderate", period="2017/18",
                               data_dir="data/synthetic")
    return Provenance(package_version="0.1.0", git_commit="0" * 40, git_dirty=False,
                      inputs={} if assumptions is not None else None, parameters=parameters, assumptions=assumptions)


def results(scheme: str, low: float, moderate: float, high: float, kpi: dict) -> RunResult:
    return RunResult(
        **identity(BY_ID[scheme], HUB, "2017/18"), status="ok", error=None,
        scenario="moderate", headline=f"What {scheme} would save.",
        opportunity_gbp=ScenarioValues(low=low, moderate=moderate, high=high),
        opportunity_components=[ComponentRecord(
            label="The saving", kind="cash_releasing", payer="nhse_specialised", year="2017/18",
            gross=ScenarioValues(low=low, moderate=moderate, high=high),
            implementation_cost=ScenarioValues(low=0.0, moderate=0.0, high=0.0),
            net=ScenarioValues(low=low, moderate=moderate, high=high), in_totals=True, why_not_in_totals="")],
        opportunity_units=[QuantityRecord(label="Packs no longer wasted", unit="packs", low=10.0, moderate=20.0,
                                          high=30.0)],
        kpis=[KpiRecord(**kpi), KpiRecord(name="Patients", value=4210.0, target=None, unit="count",
                                          higher_is_better=None, met=None, note="")],
        measure=MeasureRecord(name="Share over a month", higher_is_better=False, target=None,
                              variation="improvement_low", assurance=None, providers=2,
                              providers_worse_998=["LON-P02"]),
        data=DataCoverage(synthetic=True, first_month="2015-04", last_month="2018-03"),
        provenance=_provenance(scheme, {"uptake_share": ScenarioValues(low=0.5, moderate=0.75, high=1.0)}),
    )


@pytest.fixture
def views(build_dir) -> list[RunView]:
    """Two analysed schemes and one failed run for London, with the tables their runs wrote."""
    oral = results("oral_chemo_wastage", 948_982.5, 1_423_473.75, 1_921_317.0,
                   {"name": "Supplies of more than a month", "value": 0.291, "target": 0.1, "unit": "share",
                    "higher_is_better": False, "met": False, "note": "=1+1"})
    itp = results("immunoglobulin_itp", 609_729.04, 1_059_856.15, 1_401_510.09,
                  {"name": "Spend on immunoglobulin", "value": 10_024_913.76, "target": None, "unit": "gbp",
                   "higher_is_better": False, "met": None, "note": ""})
    run = build_dir / "runs" / "oral_chemo_wastage" / "LON"
    run.mkdir(parents=True)
    # written as a run writes them (report/table_data.py), from the analysis's figures, disclosure-controlled
    providers = Table("Providers", pd.DataFrame({
        "Provider": ["LON-P03", "LON-P07"], "Dispensings": [2288, 3], "Over a month": [1210, 1],
        "Share": [1210 / 2288, 1 / 3], "Spend": [12_359_123.4, -1_234.0],
        "Note": ['=HYPERLINK("http://x","click")', "0123"], "Mean days": [27.66, None]}),
        counts=("Dispensings", "Over a month"), rates={"Share": ("Over a month", "Dispensings")}, money=("Spend",),
        numbers=("Mean days",), hidden=("Over a month",))
    years = Table("Years", pd.DataFrame({"Financial year": ["2016/17", "2017/18"], "Dispensings": [22_168, 22_842]}),
                  counts=("Dispensings",))
    for key, table in {"providers": providers, "years": years}.items():
        write_table(run, table_stem("oral_chemo_wastage", "LON", key),
                    table_data(table, controlled=True, synthetic=True))
    assert "'=HYPERLINK" in (run / "oral_chemo_wastage_LON_providers.csv").read_text(encoding="utf-8")
    (build_dir / "runs" / "immunoglobulin_itp" / "LON").mkdir(parents=True)
    info = {"finished_at": 1_795_639_978.5}
    return [RunView(BY_ID["immunoglobulin_itp"], HUB, itp, info, None),
            RunView(BY_ID["antifungal_stewardship"], HUB,
                    RunResult.failed(BY_ID["antifungal_stewardship"], HUB, None, "moderate", "no rows",
                                     _provenance("antifungal_stewardship", None)), None, None),
            RunView(BY_ID["oral_chemo_wastage"], HUB, oral, {"finished_at": 1_795_639_000.0}, None)]


def _load(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


def test_sheets_and_summary_figures_equal_results(views):
    wb = _load(packs.workbook(HUB, views, synthetic=True))
    assert wb.sheetnames == ["Summary", "01 Immunoglobulin for ITP", "09 Oral chemotherapy wastage"]
    ws = wb["Summary"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0].startswith("Hub pack: London")
    assert rows[1][0].startswith("SYNTHETIC DATA")
    header = rows.index(next(r for r in rows if r[0] == "No."))
    assert ws.freeze_panes == f"A{header + 2}" and ws.cell(header + 1, 1).font.b
    body = {r[0]: r for r in rows[header + 1:header + 4]}
    assert body[1][1:6] == [BY_ID["immunoglobulin_itp"].title, "2017/18", 609_729.04, 1_059_856.15, 1_401_510.09]
    assert body[9][3:10] == [948_982.5, 1_423_473.75, 1_921_317.0, "Supplies of more than a month", 0.291,
                             "share (%)", 0.1]
    assert body[9][10] == "improving (low)" and body[9][12] == "09 Oral chemotherapy wastage"
    assert body[2][11] == "run failed" and body[2][3] is None
    total = rows[header + 4]
    assert total[1] == "All analysed schemes, 2017/18 (2)"  # both on 2017/18: one total, of that year
    assert total[3:6] == pytest.approx([609_729.04 + 948_982.5, 1_059_856.15 + 1_423_473.75,
                                        1_401_510.09 + 1_921_317.0])
    money = ws.cell(header + 2, 5)
    assert money.number_format == '"£"#,##0' and ws.cell(header + 4, 8).number_format == "0.0%"
    assert any("overlap" in (r[0] or "") for r in rows[:header])
    assert not any("SYNTHETIC" in str(r[0]) for r in
                   _load(packs.workbook(HUB, views, synthetic=False))["Summary"].iter_rows(values_only=True))


def test_scheme_sheet_holds_kpis_assumptions_and_the_run_tables(views):
    ws = _load(packs.workbook(HUB, views, synthetic=True))["09 Oral chemotherapy wastage"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    first = [r[0] for r in rows]
    assert rows[0][0] == "9. Reducing wastage in oral chemotherapy: London, 2017/18"
    scenarios = rows[first.index("Scenario") + 1:first.index("Scenario") + 4]
    assert [r[:3] for r in scenarios] == [["low", 948_982.5, 10], ["moderate", 1_423_473.75, 20],
                                          ["high", 1_921_317.0, 30]]
    kpi = rows[first.index("Supplies of more than a month")]
    assert kpi[:7] == ["Supplies of more than a month", 0.291, "share (%)", 0.1, "no", "no", "=1+1"]
    assert rows[first.index("uptake_share")][:4] == ["uptake_share", 0.5, 0.75, 1]
    assert rows[first.index("Providers worse than the 99.8% limit")][1] == "LON-P02"
    # the run's tables, cell for cell: numbers as numbers, formatted as the page shows them; '*' where suppressed
    providers = first.index("Provider")
    assert ws.cell(providers + 1, 1).font.b
    assert rows[providers][:6] == ["Provider", "Dispensings (count)", "Share (%)", "Spend (GBP)", "Note", "Mean days"]
    assert rows[providers + 1][:6] == ["LON-P03", 2290, 0.529, 12_359_100, '=HYPERLINK("http://x","click")', 27.7]
    # 3 dispensings are suppressed, and the spend and mean beside them with them (they would give the count away)
    assert rows[providers + 2][:6] == ["LON-P07", "*", "*", "*", "0123", "*"]
    assert [ws.cell(providers + 2, c).number_format for c in (2, 3, 4, 6)] == ["#,##0", "0.0%", '"£"#,##0', "#,##0.0"]
    assert rows[first.index("Financial year") + 1][:2] == ["2016/17", 22_170]
    assert len(rows[providers]) == 6 or rows[providers][6] is None  # the flags are not shown: '*' says it
    assert ws.freeze_panes is not None and ws.column_dimensions["A"].width >= len("Providers compared")


def test_formula_text_from_data_stays_text(views):
    data = packs.workbook(HUB, views, synthetic=True)
    ws = _load(data)["09 Oral chemotherapy wastage"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    link = cells['=HYPERLINK("http://x","click")']  # the CSV's guarding apostrophe is gone, the text kept
    assert link.data_type == "s" and link.quotePrefix
    assert cells["=1+1"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in sheets  # no formula anywhere


def test_bytes_are_identical_and_dated_by_the_latest_run(views, monkeypatch):
    import datetime
    import time

    first = packs.workbook(HUB, views, synthetic=True)

    class Later(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime(2030, 1, 1, tzinfo=tz)

    # a later clock (openpyxl dates the file at saving, zipfile each member) changes nothing
    monkeypatch.setattr(datetime, "datetime", Later)
    monkeypatch.setattr(time, "time", lambda: 1_900_000_000.0)
    assert packs.workbook(HUB, views, synthetic=True) == first
    props = _load(first).properties
    assert props.created.isoformat() == props.modified.isoformat() == "2026-11-25T20:52:58"
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 25, 20, 52, 58)}


def test_sheet_names_fit_excel():
    names = [packs.sheet_name(s.number, s.short) for s in BY_ID.values()]
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert len(set(names)) == len(names)
    assert packs.sheet_name(5, "Myositis: IVIg to rituximab") == "05 Myositis IVIg to rituximab"
    assert packs.sheet_name(18, "Prostate radiotherapy fractionation") == "18 Prostate radiotherapy"


def test_table_cells_are_the_files_numbers_with_the_pages_formats(views, build_dir):
    """What the workbook writes for each cell of a run's table file: no text is parsed back into a number."""
    data = read_table(build_dir / "runs" / "oral_chemo_wastage" / "LON" / "oral_chemo_wastage_LON_providers.parquet")
    assert packs.table_cells(data) == [
        [("LON-P03", None), (2290, "#,##0"), (0.529, "0.0%"), (12_359_100, '"£"#,##0'),
         ('=HYPERLINK("http://x","click")', None), (27.7, "#,##0.0")],
        [("LON-P07", None), ("*", None), ("*", None), ("*", None), ("0123", None), ("*", None)]]


def test_without_chromium_the_build_says_so_and_publishes_no_pdf(views, tmp_path, monkeypatch):
    from ivanalysis.pipeline import book, browser

    monkeypatch.setattr(browser, "chromium_path", lambda: None)
    html = tmp_path / "html"
    (html / packs.PACKS_DIR).mkdir(parents=True)
    (html / packs.PACKS_DIR / "LON.pdf").write_bytes(b"%PDF- of an older book")
    said: list[str] = []
    packs.publish_pdfs(html, said.append)
    assert len(said) == 1 and said[0].startswith("PDF hub packs not produced: Chromium not found")
    assert not (html / packs.PACKS_DIR).exists()
    page = book.hub_pack(HUB, views, True, pdf=False)
    assert "PDF not produced by this build: Chromium not found" in page and ".pdf" not in page
    assert "{download}`Excel workbook <../downloads/packs/LON.xlsx>`" in page
    assert '<a href="../downloads/packs/LON.pdf">' in book.hub_pack(HUB, views, True, pdf=True)


def _pack(*pages: str, title: str = "Hub pack: A & B") -> packs.PdfPack:
    return packs.PdfPack(title=title, book="The book", sections=tuple(
        packs.PdfSection(page, f"{i}. Page {i}", "2017/18" if i else "") for i, page in enumerate(pages)),
        months="April 2015 to March 2018", years="2017/18", synthetic=True)


def test_print_document_joins_the_articles_and_keeps_every_link_working(tmp_path):
    """What Chromium prints for a hub: a cover with the contents, then each page's article from a new sheet; what
    loads (stylesheets of the first page, images) from absolute addresses, as the pages sit in different folders; a
    link to a page the pack holds (or a place in it) internal, each page's ids its own; a link to the rest of the book
    under packs.SITE (the PDF points it at the published book), never at the folder it was printed from."""
    head = ('<head><link href="../_static/styles/theme.css?digest=1" rel="stylesheet" />'
            '<script src="x.js"></script></head>')
    (tmp_path / "hubs").mkdir()
    (tmp_path / "runs" / "s").mkdir(parents=True)
    (tmp_path / "hubs" / "LON.html").write_text(
        f'<html>{head}<body><nav><a href="../index.html">Home</a></nav><article class="bd-article"><section id="hub">'
        '<h1>Hub pack: A &amp; B<a class="headerlink" href="#hub">#</a></h1><a href="../runs/s/LON.html">s</a>'
        '<a href="../runs/s/LON.html#caveats">its caveats</a><a href="../runs/t/SW.html#x">another hub</a>'
        '<a href="../downloads/packs/LON.xlsx">workbook</a><a href="https://www.england.nhs.uk/a?b=1&amp;c">NHS</a>'
        '</section></article></body></html>', "utf-8")
    (tmp_path / "runs" / "s" / "LON.html").write_text(
        '<html><body><article class="bd-article"><h1>Scheme: A &amp; B</h1><img src="../../_images/c.png" alt="c">'
        '<section id="caveats"><h2>Caveats<a class="headerlink" href="#caveats">#</a></h2></section>'
        '<a href="../../hubs/LON.html">the hub</a><img src="data:image/png;base64,AAAA" alt="d"></article></body>'
        '</html>', "utf-8")
    doc, headings = packs.print_document(tmp_path, _pack("hubs/LON.html", "runs/s/LON.html"), "7 December 2026",
                                         "../../")
    root = tmp_path.resolve().as_uri()
    assert headings == [("Hub pack: A & B", []), ("Scheme: A & B", ["Caveats"])]
    assert "<title>Hub pack: A &amp; B</title>" in doc
    assert f'href="{root}/_static/styles/theme.css?digest=1"' in doc and "x.js" not in doc
    assert f'src="{root}/_images/c.png"' in doc and 'src="data:image/png;base64,AAAA"' in doc
    # internal: each page's top and ids are its own (both pages could have a #caveats)
    assert '<article class="bd-article iv-pack-section" id="iv-p0">' in doc and 'id="iv-p1-caveats"' in doc
    assert 'href="#iv-p1">s</a>' in doc and 'href="#iv-p1-caveats">its caveats' in doc
    assert 'href="#iv-p0">the hub' in doc and 'id="iv-p0-hub"' in doc and 'href="#iv-p0-hub"' in doc
    # the rest of the book, and the web
    assert f'href="{packs.SITE}runs/t/SW.html#x"' in doc and f'href="{packs.SITE}downloads/packs/LON.xlsx"' in doc
    assert 'href="https://www.england.nhs.uk/a?b=1&amp;c"' in doc
    assert "file:" not in doc.replace(f'="{root}/_static/', "").replace(f'="{root}/_images/', "")
    assert "Home" not in doc  # only the articles: no navigation
    assert doc.count('<article class="bd-article iv-pack-section"') == 2
    # the cover: the data period, the day, the contents (packs.py writes each line's page number)
    cover = doc.split('<article', 1)[0]
    assert "April 2015 to March 2018; headline figures for 2017/18" in cover and "7 December 2026" in cover
    assert '<a href="#iv-p0"><span class="iv-contents-name">0. Page 0</span>' in cover
    assert '<a href="#iv-p1"><span class="iv-contents-name">1. Page 1</span><span class="iv-contents-year">2017/18' \
        in cover and "Synthetic data." in cover
    assert "are relative to this PDF: they open when it is read from the book's folder" in cover
    published = packs.print_document(tmp_path, _pack("hubs/LON.html"), "", "https://example.nhs.uk/iv/")[0]
    assert "open the published book, https://example.nhs.uk/iv/." in published


def test_a_link_out_of_the_book_is_refused(tmp_path):
    (tmp_path / "a.html").write_text('<article class="bd-article"><h1>A</h1><a href="../../etc/x.html">x</a>'
                                     "</article>", "utf-8")
    with pytest.raises(BookError, match=r"cannot print a\.html: it links to \.\./\.\./etc/x\.html, outside the book"):
        packs.print_document(tmp_path, _pack("a.html"), "", "../../")


def test_a_page_without_its_title_or_article_is_refused(tmp_path):
    (tmp_path / "a.html").write_text('<article class="bd-article"><p>no title</p></article>', "utf-8")
    with pytest.raises(BookError, match=r"a\.html: expected one <h1>"):
        packs.print_document(tmp_path, _pack("a.html"), "", "../../")
    (tmp_path / "b.html").write_text("<p>no article</p>", "utf-8")
    with pytest.raises(BookError, match=r"b\.html: expected one <article"):
        packs.print_document(tmp_path, _pack("b.html"), "", "../../")


def test_the_pdf_says_its_data_period_and_orders_its_pages_as_the_pack(views):
    pack = packs.pdf_pack(HUB, views, "The book", synthetic=True)
    # oral chemotherapy (moderate £1.42m) before immunoglobulin (£1.06m); the failed run has no page
    assert [(s.page, s.title, s.year) for s in pack.sections] == [
        ("hubs/LON.html", "Hub pack: London", ""),
        ("runs/oral_chemo_wastage/LON.html", "9. Reducing wastage in oral chemotherapy", "2017/18"),
        ("runs/immunoglobulin_itp/LON.html", "1. Immunoglobulin dose regimen for immune thrombocytopenic purpura "
                                             "(ITP)", "2017/18")]
    assert (pack.months, pack.years, pack.title) == ("April 2015 to March 2018", "2017/18", "Hub pack: London")
    empty = packs.pdf_pack(Area(code="SW", name="South West", level="hub", region="SW", population=1, providers=(),
                                hubs=("SW",)), views, "The book", synthetic=True)
    assert [s.page for s in empty.sections] == ["hubs/SW.html"] and (empty.months, empty.years) == ("", "")
    assert packs.month_text("2018-03") == "March 2018" and packs.date_text(date(2026, 1, 7)) == "7 January 2026"
    assert packs._listed(["2015/16", "2016/17", "2017/18"]) == "2015/16, 2016/17 and 2017/18"


def test_links_to_the_rest_of_the_book_go_to_its_address_or_are_relative_to_the_pdf():
    assert packs.site_root({"html": {"baseurl": "https://example.nhs.uk/iv"}}) == "https://example.nhs.uk/iv/"
    assert packs.site_root({"html": {"baseurl": ""}}) == packs.site_root({}) == "../../"  # from downloads/packs/
    with pytest.raises(BookError, match="html.baseurl must be the published book's http"):
        packs.site_root({"html": {"baseurl": "/iv/"}})
