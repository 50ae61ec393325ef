"""A build that heals, and says what went wrong in plain words: a failed run of any message never stops the book;
a results.json changed after its run is refused and run again; a damaged table in the build's cache is rebuilt; the
status page shows the latest state; each unclear message of the issue made clear. The killed build and the kernel
that never starts are in tests/integration/test_build_heals_e2e.py."""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivanalysis.catalogue import BY_ID
from ivanalysis.errors import ConfigError, DataError
from ivanalysis.geography import load_geography
from ivanalysis.pipeline import execute
from ivanalysis.pipeline.runs_view import RunView, collect, one_line
from ivanalysis.results import ResultsFileError, RunParameters, RunResult, read_results, write_results
from ivanalysis.results.record import ResultsChangedError

pytestmark = pytest.mark.unit

GEO = load_geography()
PROSTATE = BY_ID["prostate_fractionation"]
ITP = BY_ID["immunoglobulin_itp"]
MANY_LINES = ("DataError: data/x/radiotherapy.csv: table 'radiotherapy' breaks 2 rule(s) of its schema:\n"
              "  - column 'dose_gy', rule more than 0 | at most 200: 1 row(s), e.g. row 4: -5.0\n"
              "  - column `fractions`, rule {in_range}(1, 60): *1* row(s), e.g. row 8: -1\n\n"
              ":::\n| not | a | row |\n")


def failed(area_code: str, error: str = MANY_LINES) -> RunResult:
    from ivanalysis.page.record import provenance

    parameters = RunParameters(scheme=PROSTATE.id, geography=area_code, scenario="moderate", period=None,
                               data_dir="data/x")
    return RunResult.failed(PROSTATE, GEO.get(area_code), None, "moderate", error, provenance(parameters))


def ok() -> RunResult:
    """A good record of immunoglobulin_itp for LON, of whatever layout the model has now (the record's own unit
    tests make it)."""
    from test_results_record import ok_result

    return ok_result()


# --- a failed run, whatever its message, never stops the book ----------------------------------------------------
def _table_rows(page: str) -> list[list[str]]:
    """The rows of the status page's runs table as the book's Markdown parser reads them (MyST is markdown-it)."""
    from markdown_it import MarkdownIt

    block = page.split(":::{table} Every run", 1)[1].split("\n", 1)[1].split("\n:::", 1)[0]
    tokens = MarkdownIt("commonmark").enable("table").parse(block)
    assert sum(t.type == "table_open" for t in tokens) == 1, "the table directive needs exactly one table"
    rows, row = [], None
    for t in tokens:
        if t.type == "tr_open":
            row = []
        elif t.type == "inline" and row is not None:
            row.append(t.content)
        elif t.type == "tr_close":
            rows.append(row)
            row = None
    return rows


def test_a_failed_run_with_a_message_of_many_lines_is_one_row_of_the_status_table(build_dir, tmp_path):
    from ivanalysis.pipeline.book import status_page

    views = [RunView(PROSTATE, GEO.get("ENG"), failed("ENG"), {"duration_s": 1.0, "finished_at": 1.0}, None),
             RunView(ITP, GEO.get("LON"), ok(), {"duration_s": 2.0, "finished_at": 2.0},
                     {"error": MANY_LINES + "\r\nand a Windows line end"}),
             RunView(PROSTATE, GEO.get("SW"), None, None, None)]
    rows = _table_rows(status_page(views, tmp_path))
    assert len(rows) == 1 + 3 and all(len(r) == 5 for r in rows), rows  # the header and one row a run
    eng, lon, sw = rows[1:]
    assert eng[2] == "failed" and "breaks 2 rule(s) of its schema: - column 'dose_gy'" in eng[4].replace("\\", "")
    assert lon[2] == "failed (last good output shown)" and "and a Windows line end" in lon[4]
    assert sw[2] == "not run"


def test_one_line_joins_the_lines_and_cuts_long_messages():
    assert one_line("a\n  b\r\n\nc ") == "a b c"
    assert one_line(None) == ""
    cut = one_line("x" * 500)
    assert len(cut) == 300 and cut.endswith("…")


# --- results.json carries the hash of its content -----------------------------------------------------------------
def test_a_results_file_changed_after_its_run_is_refused_naming_it(tmp_path):
    path = tmp_path / "results.json"
    write_results(path, ok())
    assert read_results(path) == ok()  # the hash is checked and not kept: the record is what the run made
    data = json.loads(path.read_text(encoding="utf-8"))
    assert re.fullmatch(r"[0-9a-f]{64}", data["content_sha256"])
    # the same content written another way (indentation, order of keys) is the same record
    path.write_text(json.dumps(dict(reversed(list(data.items())))), encoding="utf-8")
    assert read_results(path) == ok()

    edited = json.loads(json.dumps(data))
    edited["opportunity_units"][0]["moderate"] = 99_999.0  # a hand edit: still a valid record
    path.write_text(json.dumps(edited, indent=2), encoding="utf-8")
    with pytest.raises(ResultsChangedError, match="does not match the content hash") as info:
        read_results(path)
    assert str(path) in str(info.value) and "Run the scheme for this geography again" in str(info.value)

    del edited["content_sha256"]
    path.write_text(json.dumps(edited), encoding="utf-8")
    with pytest.raises(ResultsChangedError, match="has no content hash"):
        read_results(path)


def _good_run(build_dir: Path, key: str = "K"):
    """immunoglobulin_itp for LON, published with cache key `key`."""
    from ivanalysis.pipeline.plan import RunSpec
    from ivanalysis.schemes import registry

    spec = RunSpec(ITP.id, "LON", "moderate", str(build_dir), "2016/17", str(registry.notebook_path(ITP)))
    write_results(spec.run_dir / "results.json", ok())
    execute.write_json(spec.run_dir / "run.json", {"scheme": ITP.id, "geography": "LON", "status": "ok", "key": key,
                                                   "duration_s": 1.0, "finished_at": 1.0, "error": None})
    return spec


def test_a_hand_edited_results_file_is_run_again_and_never_published(build_dir):
    spec = _good_run(build_dir)
    assert execute.is_cached(spec, "K")
    path = spec.run_dir / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["kpis"][0]["value"] = 0.9  # still a valid record, so only its hash tells
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert not execute.is_cached(spec, "K")  # the build runs it again, which restores what the run computes
    with pytest.raises(ResultsFileError, match=re.escape(str(path))):  # and the book never shows the edited one
        collect(GEO)


# --- the status page shows the latest state -----------------------------------------------------------------------
def test_a_cached_success_after_a_failure_clears_the_failure_from_the_status_page(build_dir, tmp_path, monkeypatch):
    from ivanalysis.pipeline.book import status_page

    spec = _good_run(build_dir)
    # a later run failed (an input changed) beside the last good output; the input then went back
    (spec.run_dir / "failed").mkdir()
    (spec.run_dir / "failed" / "run.log").write_text("FAILED\n")
    execute.write_json(spec.run_dir / execute.FAILURE, {"status": "failed", "error": "DataError: bad input"})
    monkeypatch.setattr(execute, "cache_key", lambda spec, hasher=None: "K")  # the inputs of the good output
    outcomes = execute.execute_all([spec], execute.InlineExecutor)
    assert [o.status for o in outcomes] == ["cached"]
    assert not (spec.run_dir / execute.FAILURE).exists() and not (spec.run_dir / "failed").exists()
    rows = _table_rows(status_page(collect(GEO), tmp_path))
    [lon] = [r for r in rows if r[0].replace("\\", "") == "1. immunoglobulin_itp" and r[1] == "LON"]
    assert lon[2] == "ok" and lon[4] == ""


# --- a damaged table in the build's cache is rebuilt ---------------------------------------------------------------
@pytest.fixture(scope="module")
def radiotherapy(tmp_path_factory) -> Path:
    from ivanalysis.data.synth import generate

    folder = tmp_path_factory.mktemp("rt")
    generate(folder, scale=0.01, tables=["radiotherapy"])
    return folder


def _damage_the_middle(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    at = len(raw) // 3  # inside a data page: without the checksums this read silently as other numbers
    raw[at:at + 8] = bytes(range(8))
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage", [_damage_the_middle, lambda p: p.write_bytes(p.read_bytes()[:-200]),
                                    lambda p: p.write_bytes(b"")], ids=["changed-bytes", "cut-short", "empty"])
def test_a_damaged_table_in_the_cache_is_found_and_rebuilt(radiotherapy, build_dir, monkeypatch, damage):
    from ivanalysis import memo
    from ivanalysis.data.io import ensure_validated, load_table

    monkeypatch.setattr(memo, "_current", memo.RunCache())  # nothing kept in memory: every load reads the cache
    monkeypatch.delenv("IVANALYSIS_TABLE_CACHE", raising=False)  # this build's own cache, damaged below
    first = load_table(radiotherapy, "radiotherapy", GEO)
    [cached] = (build_dir / "cache" / "tables").glob("radiotherapy-*.parquet")
    damage(cached)
    pd.testing.assert_frame_equal(load_table(radiotherapy, "radiotherapy", GEO), first)
    assert cached.exists()  # rebuilt in its place
    damage(cached)
    ensure_validated(radiotherapy, "radiotherapy", GEO)  # a build's first step finds it too
    pd.testing.assert_frame_equal(load_table(radiotherapy, "radiotherapy", GEO, columns=["dose_gy"]),
                                  first[["dose_gy"]])


def test_validate_reads_through_a_damaged_cache(radiotherapy, build_dir, monkeypatch):
    from ivanalysis import memo
    from ivanalysis.cli import app

    monkeypatch.setattr(memo, "_current", memo.RunCache())  # as the command runs: nothing kept in memory
    monkeypatch.delenv("IVANALYSIS_TABLE_CACHE", raising=False)  # this build's own cache, damaged below

    assert CliRunner().invoke(app, ["validate", "--data-dir", str(radiotherapy)]).exit_code == 0
    [cached] = (build_dir / "cache" / "tables").glob("radiotherapy-*.parquet")
    rows = len(pd.read_parquet(cached))
    cached.write_bytes(cached.read_bytes()[:-200])  # cut short
    result = CliRunner().invoke(app, ["validate", "--data-dir", str(radiotherapy)])
    assert result.exit_code == 0 and result.exception is None, result.output
    assert re.search(rf"ok +radiotherapy: radiotherapy\.parquet, {rows:,} rows", result.output), result.output


# --- clear messages -------------------------------------------------------------------------------------------------
def test_a_csv_separated_by_semicolons_is_named_as_such(tmp_path):
    from ivanalysis.data.io import read_file

    path = tmp_path / "radiotherapy.csv"
    path.write_text("course_id;provider_code;dose_gy\nRT1;LON-P01;60,0\nRT2;LON-P02;57,5\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_file(path)
    message = str(info.value)
    assert "split by semicolons" in message and "decimal points (2.5, not 2,5)" in message, message
    path.write_text("course_id,provider_code,dose_gy\nRT1,LON-P01,60.0,7\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_file(path)
    assert "semicolons" not in str(info.value)  # a comma-separated file with a stray field is not said to be one


def test_an_extract_without_prostate_rows_says_so_with_its_row_count():
    from ivanalysis.schemes.prostate_fractionation import prostate_courses

    rt = pd.DataFrame({"diagnosis": ["C50", "C61"] * 7050, "intent": ["radical", "palliative"] * 7050,
                       "modality": "external_beam", "dose_gy": 60.0, "fractions": 20})
    with pytest.raises(DataError) as info:
        prostate_courses(rt)
    message = str(info.value)
    assert "none of the 14,100 rows of the radiotherapy table" in message and "has no rows" not in message
    assert "diagnosis C61: 7,050 rows" in message and "intent 'radical' (7,050 rows)" in message


def test_in_period_never_says_a_filtered_table_has_no_rows():
    from ivanalysis.results import Period
    from ivanalysis.schemes.base import in_period

    with pytest.raises(DataError, match="no radical prostate courses at all, in any year"):
        in_period(pd.DataFrame({"start_date": pd.to_datetime([])}), "start_date", Period.financial_year("2017/18"),
                  "radical prostate courses")


def test_a_period_not_written_as_a_financial_year_is_a_usage_error(tmp_path):
    from ivanalysis.cli import app
    from ivanalysis.pipeline.plan import plan

    with pytest.raises(ConfigError, match=re.escape("did you mean 2017/18?")):
        plan(["prostate_fractionation"], ["LON"], period="2017-18", data_dir=tmp_path)
    result = CliRunner().invoke(app, ["run", "prostate_fractionation", "-g", "LON", "--period", "2017-18",
                                      "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "is not a financial year" in result.output, result.output


def test_validate_pointed_at_a_file_says_to_give_its_folder(radiotherapy):
    from ivanalysis.cli import app

    file = radiotherapy / "radiotherapy.parquet"
    result = CliRunner().invoke(app, ["validate", "--data-dir", str(file)])
    assert result.exit_code == 2
    assert "is a file, not a folder" in result.output and str(radiotherapy) in result.output
    assert "does not exist" not in result.output


def test_validate_names_the_file_it_read_whatever_the_case_of_its_name(radiotherapy, tmp_path, build_dir):
    from ivanalysis.cli import app

    csv = pd.read_parquet(radiotherapy / "radiotherapy.parquet")
    csv.to_csv(tmp_path / "Radiotherapy.CSV", index=False, date_format="%Y-%m-%d")
    result = CliRunner().invoke(app, ["validate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert re.search(rf"ok +radiotherapy: Radiotherapy\.CSV, {len(csv):,} rows", result.output), result.output


def test_output_that_is_not_a_terminal_is_plain_text(monkeypatch):
    from ivanalysis.cli import _console

    monkeypatch.setenv("FORCE_COLOR", "1")  # a CI setting: still plain in a log
    console = _console()
    console.file = io.StringIO()
    console.print("[bold red]FAILED[/] x")
    assert console.file.getvalue() == "FAILED x\n"
    assert execute.plain("\x1b[0;31mValueError\x1b[0m: bad \x1b[1;32mvalue\x1b[0m") == "ValueError: bad value"


def test_a_failed_book_build_is_said_without_raw_markup(monkeypatch, tmp_path):
    from rich.console import Console

    from ivanalysis.pipeline import book, build, plan

    monkeypatch.setattr(plan, "plan", lambda *a, **k: [])
    monkeypatch.setattr(execute, "execute_all", lambda *a, **k: [])
    monkeypatch.setattr(build, "build_lock", contextlib.nullcontext)

    def fails(*args, **kwargs):
        raise book.BookError("the Jupyter Book build failed:\n  \x1b[31mstatus.md:10: ERROR: [table]\x1b[0m")

    monkeypatch.setattr(book, "build", fails)
    console = Console(file=io.StringIO(), width=200)
    assert not build.build_all(None, None, jobs=1, data_dir=tmp_path, console=console)
    said = console.file.getvalue()
    assert "Book build failed: the Jupyter Book build failed:\n  status.md:10: ERROR: [table]" in said, said
    assert "[bold red]" not in said and "\x1b" not in said


def test_a_quantity_below_ten_keeps_its_decimal():
    from ivanalysis.report import fmt

    assert (fmt.quantity(0.7), fmt.quantity(0.04), fmt.quantity(3.0), fmt.quantity(12.6), fmt.quantity(None)) == \
        ("0.7", "0.0", "3", "13", "n/a")


def test_an_error_in_a_cell_is_said_without_the_cell_number():
    from papermill.exceptions import PapermillExecutionError

    exc = PapermillExecutionError(3, 3, "page.analyse()", "DataError", "\x1b[0;31mno rows\x1b[0m", ["tb"])
    assert execute._error_text(exc) == "DataError: no rows"


def test_a_url_whose_store_is_not_installed_is_a_clear_usage_error():
    import importlib.util

    from ivanalysis.data.io import location

    if importlib.util.find_spec("s3fs") is not None:
        pytest.skip("s3fs is installed here")
    with pytest.raises(ConfigError, match=r"s3://bucket/extract: .*pip install s3fs"):
        location("s3://bucket/extract")
    with pytest.raises(ConfigError, match="foo://"):
        location("foo://bucket/extract")
