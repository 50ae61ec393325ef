"""The disclosure scan reads a run's table files (CSV and Parquet) as a reader would: every count is 0, a multiple of 5
or empty, and empty wherever it is flagged as suppressed. Planted leaks are found; a controlled table passes."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.pipeline.scan import disclosure_findings, identifier_findings, table_counts
from ivanalysis.report.table_data import table_data, table_stem, write_table
from ivanalysis.results import Table

pytestmark = pytest.mark.unit


def _table(rows_are_the_area: bool = False, names=("P1", "P2", "P3")) -> Table:
    """Three rows with hand-checked counts; `rows_are_the_area`: declared as the run's area (so exact on England's
    page), here the way a table 'written without control' is made."""
    return Table("Providers", pd.DataFrame({"Provider": list(names), "Patients": [12, 3, 0],
                                            "Treated": [9, 1, 0], "Share": [0.75, 1 / 3, float("nan")]}),
                 counts=("Patients", "Treated"), rates={"Share": ("Treated", "Patients")},
                 rows_are_the_area=rows_are_the_area)


def test_a_controlled_table_passes_and_every_count_is_read(tmp_path):
    run = tmp_path / "_build" / "runs" / "s" / "LON"
    run.mkdir(parents=True)
    write_table(run, table_stem("s", "LON", "providers"), table_data(_table(), controlled=True, synthetic=True))
    for suffix in (".csv", ".parquet"):
        counts = table_counts(run / f"s_LON_providers{suffix}")
        assert counts == [("Patients (count)", "10", False), ("Patients (count)", "", True),
                          ("Patients (count)", "0", False), ("Treated (count)", "10", False),
                          ("Treated (count)", "", True), ("Treated (count)", "0", False)], suffix
    assert disclosure_findings(tmp_path / "_build") == []


def test_planted_leaks_in_table_files_are_found(tmp_path):
    build = tmp_path / "_build"
    run, england = build / "runs" / "s" / "LON", build / "runs" / "s" / "ENG"
    run.mkdir(parents=True), england.mkdir(parents=True)
    # England's own rows are not controlled (rows that are not providers or areas of the geography)...
    write_table(england, "s_ENG_years", table_data(_table(True), controlled=False, synthetic=True))
    # ... but a table shown exactly on England's page whose rows are providers is a finding, once per file
    write_table(england, "s_ENG_providers", table_data(_table(True, ("LON-P01", "LON-P02", "NW-P01")),
                                                       controlled=False, synthetic=True))
    # a hub's table written without control, and a CSV whose flagged cell still shows its count
    write_table(run, "s_LON_providers", table_data(_table(True), controlled=False, synthetic=True))
    (run / "s_LON_years.csv").write_text('"# a note"\nYear,Patients (count),Patients (count) suppressed\n'
                                         "2017/18,4,True\n2018/19,12,False\n2019/20,,True\n", encoding="utf-8")
    problems = sorted(str(f) for f in disclosure_findings(build))
    assert problems == [
        "runs/s/ENG/s_ENG_providers.csv: exact counts for 'LON-P01', a row below England",
        "runs/s/ENG/s_ENG_providers.parquet: exact counts for 'LON-P01', a row below England",
        "runs/s/LON/s_LON_providers.csv: count in 'Patients (count)' shows '12'",
        "runs/s/LON/s_LON_providers.csv: count in 'Patients (count)' shows '3'",
        "runs/s/LON/s_LON_providers.csv: count in 'Treated (count)' shows '1'",
        "runs/s/LON/s_LON_providers.csv: count in 'Treated (count)' shows '9'",
        "runs/s/LON/s_LON_providers.parquet: count in 'Patients (count)' shows '12'",
        "runs/s/LON/s_LON_providers.parquet: count in 'Patients (count)' shows '3'",
        "runs/s/LON/s_LON_providers.parquet: count in 'Treated (count)' shows '1'",
        "runs/s/LON/s_LON_providers.parquet: count in 'Treated (count)' shows '9'",
        "runs/s/LON/s_LON_years.csv: count in 'Patients (count)' shows '12'",
        "runs/s/LON/s_LON_years.csv: suppressed count in 'Patients (count)' shows '4'"]


def test_an_unreadable_table_file_is_a_finding_and_parquet_text_is_scanned_for_identifiers(tmp_path):
    build = tmp_path / "_build"
    run = build / "runs" / "s" / "LON"
    run.mkdir(parents=True)
    (run / "s_LON_broken.parquet").write_bytes(b"not parquet")
    assert [f.problem.startswith("cannot be checked") for f in disclosure_findings(build)] == [True]
    (run / "s_LON_broken.parquet").unlink()
    frame = _table().frame.assign(Provider=["P1", "9434765919", "P3"])
    write_table(run, "s_LON_providers", table_data(Table("T", frame), controlled=True, synthetic=True))
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"patient_id": ["9434765919"], "x": [1]}).to_csv(data / "immunoglobulin.csv", index=False)
    found = sorted(f.artefact for f in identifier_findings(build, data))
    assert found == ["runs/s/LON/s_LON_providers.csv", "runs/s/LON/s_LON_providers.parquet"]


def test_money_left_beside_a_suppressed_count_and_exact_provider_rows_on_a_page_are_found(tmp_path):
    """The scan's recoverability checks: a pound figure shown in the row of a suppressed count (its flag says it
    follows the count, yet it shows), and a page table that claims to be exact ('data-sdc="exact"') with a row
    naming a provider of the geography."""
    build = tmp_path / "_build"
    run = build / "runs" / "s" / "LON"
    run.mkdir(parents=True)
    table = Table("Providers", pd.DataFrame({"Provider": ["P1", "P2"], "Patients": [12, 3], "Spend": [900.0, 300.0]}),
                  counts=("Patients",), money=("Spend",))
    data = table_data(table, controlled=True, synthetic=True)
    leaked = data.frame.assign(**{"Spend (GBP)": [900, 300]})  # the flag says suppressed, the cell still shows
    write_table(run, "s_LON_providers", type(data)(data.caption, leaked, data.kinds, True, True))
    page = build / "html" / "runs" / "s" / "ENG.html"
    page.parent.mkdir(parents=True)
    page.write_text('<table class="iv-table" data-sdc="exact"><tbody><tr><th scope="row">LON-P01</th>'
                    '<td class="num count">3</td></tr></tbody></table>'
                    '<table class="iv-table" data-sdc="exact"><tbody><tr><th scope="row">2017/18</th>'
                    '<td class="num count">3</td></tr></tbody></table>')
    problems = sorted(str(f) for f in disclosure_findings(build))
    assert problems == [
        "html/runs/s/ENG.html: a table shown exactly has a row for 'LON-P01', below England",
        "runs/s/LON/s_LON_providers.csv: 'Spend (GBP)' shows 300 beside a suppressed count",
        "runs/s/LON/s_LON_providers.parquet: 'Spend (GBP)' shows 300 beside a suppressed count"]


def _runs(build, statuses: dict[str, str]) -> None:
    """results.json files of one scheme: area code -> '' (shown), 'small' or 'complement' (withheld)."""
    import json

    for code, withheld in statuses.items():
        run = build / "runs" / "myositis_rituximab" / code
        run.mkdir(parents=True)
        (run / "results.json").write_text(json.dumps({"status": "ok", "withheld": withheld}), encoding="utf-8")


def test_a_hub_withheld_alone_or_inside_a_shown_region_is_found(tmp_path):
    from ivanalysis.geography import load_geography
    from ivanalysis.pipeline.scan import complement_findings

    geo = load_geography()
    hubs = [h.code for h in geo.hubs()]
    _runs(tmp_path / "alone", {"ENG": "", **{h: "" for h in hubs}, "NEC": "small"})
    (finding,) = complement_findings(tmp_path / "alone", geo)
    assert finding.artefact == "runs/myositis_rituximab/NEC/results.json" and "England's less the other hubs'" in \
        finding.problem
    # withheld with a complement, and NEC's region (North East and Yorkshire) withheld with it: nothing to find
    _runs(tmp_path / "paired", {"ENG": "", **{h: "" for h in hubs}, "NEC": "small", "EM": "complement",
                                "R-NEY": "complement"})
    assert complement_findings(tmp_path / "paired", geo) == []
    _runs(tmp_path / "region", {"NEC": "small", "EM": "complement", "R-NEY": ""})
    (finding,) = complement_findings(tmp_path / "region", geo)
    assert finding.artefact == "runs/myositis_rituximab/R-NEY/results.json" and "NEC" in finding.problem


def test_pounds_beside_a_suppressed_people_quantity_are_found_and_a_withheld_run_passes(tmp_path):
    """A hub's results.json with 'Packs no longer wasted' shown '*' and its pounds shown: the pounds over England's
    pounds per pack give the count back. Withheld ('*' pounds too), it passes; a non-people unit (beds) does not
    count."""
    from test_packs import _withheld, results

    from ivanalysis.pipeline.scan import _results_findings
    from ivanalysis.results import write_results

    kpi = {"name": "Share", "value": 0.5, "target": None, "unit": "share", "higher_is_better": None, "met": None,
           "note": ""}
    shown = results("oral_chemo_wastage", 1_000.0, 2_000.0, 3_000.0, kpi)
    star = {"low": "*", "moderate": "*", "high": "*"}
    leaky = shown.model_copy(update={"opportunity_units": [q.model_copy(update=star)
                                                           for q in shown.opportunity_units]})
    beds = shown.model_copy(update={"opportunity_units": [q.model_copy(update={**star, "unit": "beds"})
                                                          for q in shown.opportunity_units]})
    found = {}
    for name, r in {"leaky": leaky, "withheld": _withheld(shown), "beds": beds}.items():
        write_results(tmp_path / f"{name}.json", r)
        found[name] = [f.problem for f in _results_findings(name, tmp_path / f"{name}.json")]
    assert found == {"leaky": ["the pounds are shown beside the suppressed modelled 'Packs no longer wasted'"],
                     "withheld": [], "beds": []}


def _pdf_saying(text: str, path) -> None:
    """A one-page PDF whose only text is `text`, in Helvetica (a font every PDF reader has)."""
    from pypdf import PageObject, PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    page = PageObject.create_blank_page(width=595, height=842)
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({
        NameObject("/F1"): DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica")})})})
    stream = ContentStream(None, None)
    stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    page.replace_contents(stream)
    writer = PdfWriter()
    writer.add_page(page)
    writer.write(path)


def test_an_identifier_in_a_published_pdf_is_found(tmp_path):
    packs = tmp_path / "_build" / "html" / "downloads" / "packs"
    packs.mkdir(parents=True)
    _pdf_saying("Patient 9434765919 seen", packs / "LON.pdf")
    _pdf_saying("Nothing to see", packs / "SW.pdf")
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"patient_id": ["9434765919"], "x": [1]}).to_csv(data / "immunoglobulin.csv", index=False)
    found = identifier_findings(tmp_path / "_build", data)
    assert [f.artefact for f in found] == ["html/downloads/packs/LON.pdf"] and "9434765919" in found[0].problem
