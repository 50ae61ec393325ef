"""The hub pack workbook, from handmade results.json and CSV tables: sheets, figures, formulas kept as text, bytes."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pandas as pd
import pytest

from ivanalysis.catalogue import BY_ID
from ivanalysis.geography import Area
from ivanalysis.pipeline import packs, pdf_pages
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


def results(scheme: str, low: float, moderate: float, high: float, kpi: dict, cost: float = 0.0) -> RunResult:
    """A run's results whose headline is one component, `cost` a scenario less than its saving: for a scheme the
    workbook scales (packs.SCALINGS), the component and assumption it names."""
    scaling = packs.SCALINGS.get(scheme, packs.Scaling("uptake_share", "The saving", ""))
    gross = ScenarioValues(low=low + cost, moderate=moderate + cost, high=high + cost)
    return RunResult(
        **identity(BY_ID[scheme], HUB, "2017/18"), status="ok", error=None,
        scenario="moderate", headline=f"What {scheme} would save.",
        opportunity_gbp=ScenarioValues(low=low, moderate=moderate, high=high),
        opportunity_components=[ComponentRecord(
            label=scaling.component, kind="cash_releasing", payer="nhse_specialised", year="2017/18", gross=gross,
            implementation_cost=ScenarioValues(low=cost, moderate=cost, high=cost),
            net=ScenarioValues(low=low, moderate=moderate, high=high), in_totals=True, why_not_in_totals="")],
        opportunity_units=[QuantityRecord(label="Packs no longer wasted", unit="packs", low=10.0, moderate=20.0,
                                          high=30.0)],
        kpis=[KpiRecord(**kpi), KpiRecord(name="Patients", value=4210.0, target=None, unit="count",
                                          higher_is_better=None, met=None, note="")],
        measure=MeasureRecord(name="Share over a month", higher_is_better=False, target=None,
                              variation="improvement_low", assurance=None, providers=2,
                              providers_worse_998=["LON-P02"]),
        data=DataCoverage(synthetic=True, first_month="2015-04", last_month="2018-03"),
        provenance=_provenance(scheme, {scaling.assumption: ScenarioValues(low=0.5, moderate=0.75, high=1.0)}),
    )


def _with(r: RunResult, assumptions: dict[str, tuple[float, float, float]]) -> RunResult:
    """`r` with these assumptions by scenario, and a component beside its headline (capacity, not in the totals)."""
    beside = ComponentRecord(label="Bed days released", kind="capacity_released", payer="provider", year="2017/18",
                             gross=ScenarioValues(low=1.0, moderate=2.0, high=3.0),
                             implementation_cost=ScenarioValues(low=0.0, moderate=0.0, high=0.0),
                             net=ScenarioValues(low=1.0, moderate=2.0, high=3.0), in_totals=False,
                             why_not_in_totals="capacity")
    values = {k: ScenarioValues(**dict(zip(("low", "moderate", "high"), v))) for k, v in assumptions.items()}
    return r.model_copy(update={"opportunity_components": [*r.opportunity_components, beside],
                                "provenance": r.provenance.model_copy(update={"assumptions": values})})


OC_COMPONENT = packs.SCALINGS["oral_chemo_wastage"].component
ITP_COMPONENT = packs.SCALINGS["immunoglobulin_itp"].component


@pytest.fixture
def views(build_dir) -> list[RunView]:
    """Two analysed schemes and one failed run for London, with the tables their runs wrote."""
    oral = results("oral_chemo_wastage", 948_982.5, 1_423_473.75, 1_921_317.0,
                   {"name": "Supplies of more than a month", "value": 0.291, "target": 0.1, "unit": "share",
                    "higher_is_better": False, "met": False, "note": "=1+1"}, cost=19_035.0)
    oral = _with(oral, {"uptake_share": (0.5, 0.75, 1.0), "not_in_params": (1.5, 2.0, 2.5)})
    itp = results("immunoglobulin_itp", 609_729.04, 1_059_856.15, 1_401_510.09,
                  {"name": "Spend on immunoglobulin", "value": 10_024_913.76, "target": None, "unit": "gbp",
                   "higher_is_better": False, "met": None, "note": ""})
    itp = _with(itp, {"price_per_gram": (34, 34, 34), "not_in_params": (1.5, 2.0, 2.5)})
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
    assert rows[header] == packs.SUMMARY_HEADER
    assert ws.freeze_panes == f"A{header + 2}" and ws.cell(header + 1, 1).font.b
    # in rank order, as the hub pack page: oral chemotherapy (£1.42m moderate), immunoglobulin (£1.06m), then the
    # failed run
    assert [r[0] for r in rows[header + 1:header + 4]] == [9, 1, 2]
    body = {r[0]: r for r in rows[header + 1:header + 4]}
    assert body[1][1:6] == [BY_ID["immunoglobulin_itp"].title, "2017/18", 609_729.04, 1_059_856.15, 1_401_510.09]
    assert body[9][3:6] == [948_982.5, 1_423_473.75, 1_921_317.0]
    assert body[9][9:13] == ["Supplies of more than a month", 0.291, "share (%)", 0.1]
    assert body[9][13] == "improving (low)" and body[9][15] == "09 Oral chemotherapy wastage"
    # the reader's figures: the cells of the scheme's calculator
    figure = _calculator(wb["09 Oral chemotherapy wastage"])["Your figure (£)"]
    assert body[9][6:9] == [f"='09 Oral chemotherapy wastage'!${c}${figure}" for c in "BCD"]
    assert body[2][14] == "run failed" and body[2][3] is None and body[2][6] is None
    total = rows[header + 4]
    assert total[1] == "All analysed schemes, 2017/18 (2)"  # both on 2017/18: one total, of that year
    assert total[3:6] == pytest.approx([609_729.04 + 948_982.5, 1_059_856.15 + 1_423_473.75,
                                        1_401_510.09 + 1_921_317.0])
    first, last = header + 2, header + 4  # the schemes' lines, as the sheet numbers its rows
    assert total[6:9] == [f'=SUMIF($C${first}:$C${last},"2017/18",{c}${first}:{c}${last})' for c in "GHI"]
    money = ws.cell(header + 2, 5)
    assert money.number_format == '"£"#,##0' and ws.cell(header + 2, 8).number_format == '"£"#,##0'
    assert ws.cell(header + 2, 11).number_format == "0.0%"
    assert any("overlap" in (r[0] or "") for r in rows[:header])
    assert not any("SYNTHETIC" in str(r[0]) for r in
                   _load(packs.workbook(HUB, views, synthetic=False))["Summary"].iter_rows(values_only=True))


def test_summary_links_to_each_scheme_sheet_and_back(views):
    wb = _load(packs.workbook(HUB, views, synthetic=True))
    ws = wb["Summary"]
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    assert links == {"Reducing wastage in oral chemotherapy": "'09 Oral chemotherapy wastage'!A1",
                     "09 Oral chemotherapy wastage": "'09 Oral chemotherapy wastage'!A1",
                     BY_ID["immunoglobulin_itp"].title: "'01 Immunoglobulin for ITP'!A1",
                     "01 Immunoglobulin for ITP": "'01 Immunoglobulin for ITP'!A1"}
    assert all(not c.hyperlink.target for row in ws.iter_rows() for c in row if c.hyperlink)  # inside the file
    back = wb["01 Immunoglobulin for ITP"]["A5"]
    assert back.value == "Back to the Summary" and back.hyperlink.location == "'Summary'!A1"
    assert back.font.u == "single"


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
    # assumptions by their label, with unit, key and source from params/schemes/<id>.yaml; one the parameters file
    # no longer has, by its key
    uptake = rows[first.index("Assumption") + 1]
    label = "Share of supplies of more than a month moved to monthly instalments"
    assert uptake[:6] == [label, 0.5, 0.75, 1, "share (%)", "uptake_share"]
    assert uptake[6].startswith("Assumption of this book. The Menu of Opportunities ch. 9")
    assert ws.cell(first.index("Assumption") + 2, 2).number_format == "0%"
    assert ws.cell(first.index("Assumption") + 2, 7).alignment.wrap_text
    assert rows[first.index("not_in_params")][5:7] == ["not_in_params", "not in the scheme's parameters file now"]
    assert "uptake_share" not in first  # never a raw key in place of a label
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


def _calculator(ws) -> dict[str, int]:
    """The row of each line of a sheet's calculator, by its label (1-based, as formulas name rows)."""
    rows = [r[0] for r in ws.iter_rows(values_only=True)]
    start = rows.index("Try your own figures")
    end = rows.index("Your figure (£)", start)
    return {label: i + 1 for i, label in enumerate(rows[start:end + 1], start) if label}


def test_the_calculator_computes_the_book_figure_from_its_parts_and_scales_the_named_one(views):
    """Oral chemotherapy: net = saving less cost; the book's figure, their sum; the reader's figure, the book's with
    the component in proportion to the uptake (packs.SCALINGS) at the reader's uptake, times their share achieved.
    The values are what LibreOffice gives (tests/integration/test_workbook_calculator.py)."""
    ws = _load(packs.workbook(HUB, views, synthetic=True))["09 Oral chemotherapy wastage"]
    at = _calculator(ws)
    saving, cost = at[f"{OC_COMPONENT}: saving (£)"], at[f"{OC_COMPONENT}: cost of making it (£)"]
    net, book = at[f"{OC_COMPONENT}: net (£)"], at["The book's figure (£)"]
    label = "Share of supplies of more than a month moved to monthly instalments"
    theirs, mine = at[packs.BOOK_VALUE], at[packs.YOUR_VALUE]
    assert theirs == at[f"{label}:"] + 1 and mine == theirs + 1  # under the assumption's label
    share, figure = at["Your share of the opportunity achieved"], at["Your figure (£)"]
    assert [ws.cell(saving, c).value for c in (2, 3, 4)] == [968_017.5, 1_442_508.75, 1_940_352]
    assert [ws.cell(cost, c).value for c in (2, 3, 4)] == [19_035, 19_035, 19_035]
    assert ws.cell(net, 3).value == f"=C{saving}-C{cost}" and ws.cell(book, 3).value == f"=C{net}"
    assert [ws.cell(theirs, c).value for c in (2, 3, 4)] == [0.5, 0.75, 1]
    assert [ws.cell(mine, c).value for c in (2, 3, 4)] == [0.5, 0.75, 1]
    assert ws.cell(share, 2).value == 1 and ws.cell(share, 2).number_format == "0%"
    assert ws.cell(figure, 3).value == (f"=$B${share}*(C{book}-C{net}+IF(C{theirs}=0,C{net},"
                                        f"C{net}*C{mine}/C{theirs}))")
    # what a reader may change, and only that, is yellow
    yellow = {(c.row, c.column) for row in ws.iter_rows() for c in row
              if c.fill.fgColor.rgb.endswith(packs.INPUT_FILL)}
    assert yellow == {(mine, 2), (mine, 3), (mine, 4), (share, 2)}
    assert ws.cell(figure, 3).font.b and ws.cell(figure, 3).number_format == '"£"#,##0'


def test_a_scheme_with_nothing_in_proportion_offers_the_share_achieved_only(views):
    for v in views:
        if v.scheme.id == "immunoglobulin_itp":
            v.results.provenance.assumptions.pop("price_per_gram")
    with pytest.raises(BookError, match=r"packs.SCALINGS: immunoglobulin_itp's run has no assumption"):
        packs.workbook(HUB, views, synthetic=True)
    del packs.SCALINGS["immunoglobulin_itp"]  # restored by the fixture below
    ws = _load(packs.workbook(HUB, views, synthetic=True))["01 Immunoglobulin for ITP"]
    at = _calculator(ws)
    net, book = at[f"{ITP_COMPONENT}: net (£)"], at["The book's figure (£)"]
    share = at["Your share of the opportunity achieved"]
    assert ws.cell(at["Your figure (£)"], 2).value == f"=$B${share}*(B{book})" and ws.cell(book, 2).value == f"=B{net}"
    notes = [r[0] for r in ws.iter_rows(min_row=at["Your figure (£)"] + 1, max_row=at["Your figure (£)"] + 2,
                                        values_only=True)]
    assert notes[0].startswith("None of this scheme's assumptions moves its figure in proportion")


@pytest.fixture(autouse=True)
def _scalings_kept():
    kept = dict(packs.SCALINGS)
    yield
    packs.SCALINGS.clear()
    packs.SCALINGS.update(kept)


def test_workbooks_made_in_forked_processes_are_the_ones_made_here(views, monkeypatch):
    """A build makes the hubs' workbooks `jobs` at a time in forked processes (only when the process has no other
    thread: a fork copies the forking thread alone): the same bytes as made one after another."""
    import threading

    here = packs.workbook(HUB, views, synthetic=True)
    other = Area(code="SW", name="South West", level="hub", region="SW", population=5_000_000, providers=(),
                 hubs=("SW",))
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # the test runner's own threads never take a lock here
    assert packs._made_apart([HUB, other, HUB], views, True, jobs=2) == [
        here, packs.workbook(other, views, synthetic=True), here]
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # another thread: made here, never forked

    def refused(*args, **kwargs):
        raise AssertionError("forked while another thread runs")

    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", refused)
    assert packs._made_apart([HUB, HUB], views, True, jobs=2) == [here, here]


def test_formula_text_from_data_stays_text(views):
    """Text from a run's tables or results is never a formula: the only formulas are the calculators' and the
    Summary's 'your' columns."""
    data = packs.workbook(HUB, views, synthetic=True)
    wb = _load(data)
    ws = wb["09 Oral chemotherapy wastage"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    link = cells['=HYPERLINK("http://x","click")']  # the CSV's guarding apostrophe is gone, the text kept
    assert link.data_type == "s" and link.quotePrefix
    assert cells["=1+1"].data_type == "s"
    for sheet in wb:
        formulas = {(c.row, c.column) for row in sheet.iter_rows() for c in row if c.data_type == "f"}
        if sheet.title == "Summary":
            assert {col for _, col in formulas} == {7, 8, 9}
        else:
            at = _calculator(sheet)
            assert {row for row, _ in formulas} <= set(range(at["Try your own figures"], at["Your figure (£)"] + 1))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b"fullCalcOnLoad=\"1\"" in z.read("xl/workbook.xml")  # a spreadsheet computes them on opening


def test_units_and_assumption_formats():
    assert packs._unit_text("gbp_per_gram") == "£ per gram" and packs._unit_text("share") == "share (%)"
    assert packs._unit_text("bed_days_per_year") == "bed days per year" and packs._unit_text("gbp") == "£"
    assert packs.assumption_format("share", [0.5, 0.75, 1.0]) == "0%"
    assert packs.assumption_format("share", [0.975, 0.5, 0.5]) == "0.0%"
    assert packs.assumption_format("gbp_per_gram", [34.0, 34.0, 34.0]) == '"£"#,##0'
    assert packs.assumption_format("gbp_per_network", [176_425.58] * 3) == '"£"#,##0.00'
    assert packs.assumption_format("count", [10.0, 5.0, 3.0]) == "#,##0"
    assert packs.assumption_format("patients_per_100000", [1.5, 2.25, 3.0]) == "#,##0.0##"


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
    # a name too long keeps its whole words that fit and says it is shortened; never a dangling joining word
    assert packs.sheet_name(18, "Prostate radiotherapy fractionation") == "18 Prostate radiotherapy…"
    assert packs.sheet_name(13, "Term admissions to neonatal units") == "13 Term admissions to neonatal…"
    assert packs.sheet_name(13, "Term admissions for the neonatal units") == "13 Term admissions…"
    assert packs.sheet_name(7, "A" * 40) == "07 " + "A" * 27 + "…"


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
    # each heading and the place its bookmark opens: the heading itself, which its permalink (or, without one, an
    # empty link) points at, so the PDF has a destination for it
    assert headings == [(("Hub pack: A & B", "iv-p0-hub--heading"), []),
                        (("Scheme: A & B", "iv-p1-heading--0"), [("Caveats", "iv-p1-caveats--heading")])]
    assert '<h1 id="iv-p1-heading--0">Scheme: A &amp; B<a class="iv-place" href="#iv-p1-heading--0"></a></h1>' in doc
    assert '<h2 id="iv-p1-caveats--heading">Caveats<a class="headerlink" href="#iv-p1-caveats--heading">' in doc
    assert "<title>Hub pack: A &amp; B</title>" in doc
    assert f'href="{root}/_static/styles/theme.css?digest=1"' in doc and "x.js" not in doc
    assert f'src="{root}/_images/c.png"' in doc and 'src="data:image/png;base64,AAAA"' in doc
    # each page's top and ids are its own (both pages could have a #caveats); a link within a page is internal, to
    # another page of the pack an address under PLACE (a page may be printed without the page it links to), and each
    # place those point at has an empty link of its own in its page, so the PDF has a destination for it
    assert '<article class="bd-article iv-pack-section" id="iv-p0">' in doc and 'id="iv-p1-caveats"' in doc
    place = packs.PLACE
    assert f'href="{place}iv-p1">s</a>' in doc and f'href="{place}iv-p1-caveats">its caveats' in doc
    assert f'href="{place}iv-p0">the hub' in doc and 'id="iv-p0-hub"' in doc and 'href="#iv-p0-hub--heading"' in doc
    assert '<article class="bd-article iv-pack-section" id="iv-p1"><a class="iv-place" href="#iv-p1"></a>' \
        '<a class="iv-place" href="#iv-p1-caveats"></a><h1' in doc
    # the rest of the book, and the web
    assert f'href="{packs.SITE}runs/t/SW.html#x"' in doc and f'href="{packs.SITE}downloads/packs/LON.xlsx"' in doc
    assert 'href="https://www.england.nhs.uk/a?b=1&amp;c"' in doc
    assert "file:" not in doc.replace(f'="{root}/_static/', "").replace(f'="{root}/_images/', "")
    assert "Home" not in doc  # only the articles: no navigation
    assert doc.count('<article class="bd-article iv-pack-section"') == 2
    # the cover: the data period, the day, the contents (packs.py writes each line's page number)
    cover = doc.split('<article', 1)[0]
    assert "April 2015 to March 2018; headline figures for 2017/18" in cover and "7 December 2026" in cover
    assert f'<a href="{place}iv-p0"><span class="iv-contents-name">0. Page 0</span>' in cover
    assert f'<a href="{place}iv-p1"><span class="iv-contents-name">1. Page 1</span><span class="iv-contents-year">' \
        '2017/18' in cover and "Synthetic data." in cover
    assert "are relative to this PDF: they open when it is read from the book's folder" in cover
    published = packs.print_document(tmp_path, _pack("hubs/LON.html"), "", "https://example.nhs.uk/iv/")[0]
    assert "open the published book, https://example.nhs.uk/iv/." in published
    # a part of the pack alone, as a build prints only the parts that changed: the same article, without the cover
    document = packs.pack_document(tmp_path, _pack("hubs/LON.html", "runs/s/LON.html"), "../../")
    assert document.parts() == [packs.COVER, "iv-p0", "iv-p1"]
    alone = document.render("7 December 2026", {"iv-p1"})
    assert "Contents" not in alone and '<article class="bd-article iv-pack-section" id="iv-p0">' not in alone
    assert doc.split('id="iv-p1">', 1)[1] == alone.split('id="iv-p1">', 1)[1]


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


def test_a_pdf_says_what_it_was_printed_from(tmp_path):
    """The digest that decides whether a hub's PDF is printed again is kept in the PDF, not in a file beside it."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({packs.PRINTED_FROM: "abc123"})
    writer.write(tmp_path / "LON.pdf")
    assert packs.printed_from(tmp_path / "LON.pdf") == "abc123"
    assert packs.printed_from(tmp_path / "SW.pdf") is None  # no PDF
    (tmp_path / "NEC.pdf").write_bytes(b"not a PDF")
    assert packs.printed_from(tmp_path / "NEC.pdf") is None
    PdfWriter().write(tmp_path / "blank.pdf")
    assert packs.printed_from(tmp_path / "blank.pdf") is None  # a PDF that does not say


def test_input_cells_refuse_what_is_not_a_value(views):
    """A share achieved, or a share assumption, from 0% to 100%; another assumption (a price), 0 or more."""
    wb = _load(packs.workbook(HUB, views, synthetic=True))
    checks = {}
    for title in ("09 Oral chemotherapy wastage", "01 Immunoglobulin for ITP"):
        for dv in wb[title].data_validations.dataValidation:
            checks[(title, str(dv.sqref))] = (dv.operator, dv.formula1, dv.formula2)
    at = _calculator(wb["01 Immunoglobulin for ITP"])
    assert "Price of immunoglobulin per gram (GBP):" in at
    price = at[packs.YOUR_VALUE]
    assert checks[("01 Immunoglobulin for ITP", f"B{price} C{price} D{price}")] == ("greaterThanOrEqual", "0", None)
    share = at["Your share of the opportunity achieved"]
    assert checks[("01 Immunoglobulin for ITP", f"B{share}")] == ("between", "0", "1")
    uptake = _calculator(wb["09 Oral chemotherapy wastage"])[packs.YOUR_VALUE]
    assert checks[("09 Oral chemotherapy wastage", f"B{uptake} C{uptake} D{uptake}")] == ("between", "0", "1")


def test_a_scheme_whose_savings_all_stand_beside_its_headline_says_so(views):
    """£0 in the totals because its savings are capacity, cost avoided or another payer's, not because it found
    nothing: the Summary's status and the sheet say so, and nothing is offered to scale."""
    i, itp = next((i, v) for i, v in enumerate(views) if v.scheme.id == "immunoglobulin_itp")
    zero = ScenarioValues(low=0.0, moderate=0.0, high=0.0)
    beside = [c.model_copy(update={"in_totals": False, "why_not_in_totals": "another payer's"})
              for c in itp.results.opportunity_components]
    views[i] = RunView(itp.scheme, itp.area, itp.results.model_copy(update={
        "opportunity_gbp": zero, "opportunity_components": beside}), itp.info, None)
    wb = _load(packs.workbook(HUB, views, synthetic=True))
    line = next(r for r in wb["Summary"].iter_rows(values_only=True) if r[0] == 1)
    assert line[3:6] == (0, 0, 0) and line[14] == packs.BESIDE_STATUS
    ws = wb["01 Immunoglobulin for ITP"]
    at = _calculator(ws)
    assert ws.cell(at["The book's figure (£)"], 2).value == 0 and packs.YOUR_VALUE not in at
    notes = [r[0] for r in ws.iter_rows(min_row=at["Your figure (£)"] + 1, max_row=at["Your figure (£)"] + 1,
                                        values_only=True)]
    assert notes[0].startswith("None of this scheme's savings is in its headline here")


def _withheld(r: RunResult) -> RunResult:
    """`r` as a hub run whose opportunity is withheld: '*' for every pound and modelled quantity."""
    star = {"low": "*", "moderate": "*", "high": "*"}
    return RunResult.model_validate({**r.model_dump(), "withheld": "small", "opportunity_gbp": star,
                                     "opportunity_components": [
                                         {**c.model_dump(), "gross": star, "implementation_cost": star, "net": star}
                                         for c in r.opportunity_components],
                                     "opportunity_units": [{**q.model_dump(), **star} for q in r.opportunity_units]})


def test_a_withheld_scheme_shows_no_pound_ranks_last_and_stays_out_of_the_totals(views):
    i, itp = next((i, v) for i, v in enumerate(views) if v.scheme.id == "immunoglobulin_itp")
    views[i] = RunView(itp.scheme, itp.area, _withheld(itp.results), itp.info, None)
    assert views[i].withheld and views[i].moderate() is None
    assert [v.scheme.id for v in packs.ranked(views)] == ["oral_chemo_wastage", "immunoglobulin_itp",
                                                           "antifungal_stewardship"]
    wb = _load(packs.workbook(HUB, views, synthetic=True))
    rows = [list(r) for r in wb["Summary"].iter_rows(values_only=True)]
    line = next(r for r in rows if r[0] == 1)
    assert line[3:9] == ["*", "*", "*", None, None, None] and line[14] == packs.WITHHELD_STATUS
    total = next(r for r in rows if str(r[1]).startswith("All analysed schemes"))
    # oral chemotherapy alone: £948,982.50 / £1,423,473.75 / £1,921,317 (the withheld line adds nothing)
    assert total[1] == "All analysed schemes, 2017/18 (1; 1 withheld, not in it)"
    assert total[3:6] == [948_982.5, 1_423_473.75, 1_921_317.0]
    sheet = [r[0] for r in wb["01 Immunoglobulin for ITP"].iter_rows(values_only=True)]
    assert any(str(c).startswith(packs.WITHHELD_STATUS) for c in sheet)
    assert not any(isinstance(c, (int, float)) and c > 1_000 for row in
                   wb["01 Immunoglobulin for ITP"].iter_rows(values_only=True) for c in row
                   if row[0] and "figure" in str(row[0]))


def test_bookmarks_open_the_sheet_each_heading_is_on():
    """The pack's bookmarks from the PDF's named destinations (name -> sheet, from 0): each page's bookmark at its
    title's sheet, its sections under it at theirs; a heading without a destination is an error naming it."""
    targets = {"/iv-p0-hub--heading": 1, "/iv-p1-heading--0": 3, "/iv-p1-caveats--heading": 5}
    headings = [(("Hub pack: London", "iv-p0-hub--heading"), []),
                (("Scheme: London", "iv-p1-heading--0"), [("Caveats", "iv-p1-caveats--heading")])]
    assert pdf_pages._bookmarks(targets, ["Hub pack: London", "1. Scheme"], headings, "LON") == [
        ("Hub pack: London", 1, []), ("1. Scheme", 3, [("Caveats", 5)])]
    del targets["/iv-p1-caveats--heading"]
    with pytest.raises(BookError, match=r"LON hub pack's PDF has no destination for the heading 'Caveats'"):
        pdf_pages._bookmarks(targets, ["Hub pack: London", "1. Scheme"], headings, "LON")
