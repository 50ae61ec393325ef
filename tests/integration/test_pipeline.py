"""The pipeline's promises: cache hits, failure isolation, the last good output kept, a small book built."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from ivanalysis.errors import ConfigError
from ivanalysis.pipeline.build import build_all
from ivanalysis.pipeline.execute import InlineExecutor, execute_all
from ivanalysis.pipeline.plan import check_notebook_parameters, plan
from ivanalysis.results import read_results

pytestmark = pytest.mark.integration


@pytest.fixture
def data_copy(tiny_data, tmp_path) -> Path:
    """A private copy of the tiny data set that a test may break."""
    return Path(shutil.copytree(tiny_data, tmp_path / "data"))


def test_run_writes_the_results_contract_then_hits_the_cache(build_dir, tiny_data):
    specs = plan(["prostate_fractionation"], ["LON"], data_dir=tiny_data)
    first = execute_all(specs, InlineExecutor)
    assert [o.status for o in first] == ["ok"], first[0].error
    run = build_dir / "runs" / "prostate_fractionation" / "LON"
    results = json.loads((run / "results.json").read_text())
    for key in ("scheme", "geography", "period", "status", "opportunity_gbp", "kpis", "provenance"):
        assert key in results
    assert results["status"] == "ok" and results["geography"] == "LON" and results["period"] == "2017/18"
    assert set(results["opportunity_gbp"]) == {"low", "moderate", "high"}
    assert {"name", "value", "target", "unit"} <= set(results["kpis"][0])
    assert results["provenance"]["inputs"]["radiotherapy"]["sha256"]
    nb = nbformat.read(run / "LON.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("# Radiotherapy prostate fractionation: London")

    second = execute_all(specs, InlineExecutor)
    assert [o.status for o in second] == ["cached"]
    forced = execute_all(specs, InlineExecutor, force=True)
    assert [o.status for o in forced] == ["ok"]


def test_a_bad_input_fails_its_runs_only_and_keeps_the_last_good_output(build_dir, data_copy):
    specs = plan(["immunoglobulin_itp", "prostate_fractionation"], ["ENG"], data_dir=data_copy)
    assert all(o.status == "ok" for o in execute_all(specs, InlineExecutor))
    good = (build_dir / "runs" / "immunoglobulin_itp" / "ENG" / "results.json").read_text()

    # break the immunoglobulin table: a negative dose
    import pandas as pd
    path = data_copy / "immunoglobulin.parquet"
    df = pd.read_parquet(path)
    df.loc[5, "dose_g"] = -10.0
    df.to_parquet(path, index=False)

    outcomes = {o.spec.scheme: o for o in execute_all(specs, InlineExecutor)}
    assert outcomes["prostate_fractionation"].status == "cached"  # it does not read that table
    failed = outcomes["immunoglobulin_itp"]
    assert failed.status == "failed"
    assert "immunoglobulin.parquet" in failed.error and "dose_g" in failed.error and "row 6" in failed.error
    run = build_dir / "runs" / "immunoglobulin_itp" / "ENG"
    assert (run / "results.json").read_text() == good  # the last good output is intact
    failure = json.loads((run / "last_failure.json").read_text())
    assert "dose_g" in failure["error"]
    assert (run / "failed" / "run.log").exists()


def test_a_run_that_never_succeeded_says_failed_in_results_json(build_dir, tmp_path):
    empty = tmp_path / "nodata"
    empty.mkdir()
    specs = plan(["prostate_fractionation"], ["ENG"], data_dir=empty)
    [outcome] = execute_all(specs, InlineExecutor)
    assert outcome.status == "failed" and "radiotherapy" in outcome.error
    results = read_results(build_dir / "runs" / "prostate_fractionation" / "ENG" / "results.json")
    assert results.status == "failed" and "radiotherapy" in results.error
    assert results.opportunity_gbp is None and results.kpis is None  # no figures, not zeros


def test_bad_parameters_are_refused_before_anything_runs(tiny_data, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="unknown scheme"):
        plan(["no_such_scheme"], ["ENG"], data_dir=tiny_data)
    with pytest.raises(ConfigError, match="unknown geography 'ATLANTIS'"):
        plan(["prostate_fractionation"], ["ATLANTIS"], data_dir=tiny_data)
    with pytest.raises(ConfigError, match="unknown scenario"):
        plan(["prostate_fractionation"], ["ENG"], data_dir=tiny_data, scenario="extreme")
    from ivanalysis.schemes import registry

    # a catalogued scheme without its module, notebook or assumptions (all 20 exist now: pretend one does not)
    monkeypatch.setattr(registry, "is_implemented", lambda info: info.id != "where_to_look")
    with pytest.raises(ConfigError, match="not implemented"):
        plan(["where_to_look"], ["ENG"], data_dir=tiny_data)


def test_a_notebook_with_an_unknown_parameter_is_refused(tmp_path):
    from ivanalysis.paths import NOTEBOOKS_DIR

    nb = nbformat.read(NOTEBOOKS_DIR / "18_prostate_fractionation.ipynb", as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source += "\nhub_name = None"
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ConfigError, match="unexpected \\['hub_name'\\]"):
        check_notebook_parameters(path)


def test_small_book_builds_with_its_pages(build_dir, tiny_data):
    from rich.console import Console

    console = Console(record=True, width=200)
    ok = build_all(["prostate_fractionation"], ["ENG", "LON"], jobs=2, data_dir=tiny_data, console=console)
    assert ok, console.export_text()
    html = build_dir / "html"
    for page in ("index", "schemes/prostate_fractionation", "runs/prostate_fractionation/ENG",
                 "runs/prostate_fractionation/LON", "hubs/LON", "hubs/NW", "status", "reference/data_dictionary",
                 "reference/results_schema", "guide/methods"):
        assert (html / f"{page}.html").exists(), page
    landing = (html / "index.html").read_text()
    assert "Synthetic data" in landing and "runs/prostate_fractionation/LON.html" in landing
    page = (html / "runs" / "prostate_fractionation" / "LON.html").read_text()
    assert "Radiotherapy prostate fractionation: London" in page

    console = Console(record=True, width=200)
    assert build_all(["prostate_fractionation"], ["ENG", "LON"], jobs=2, data_dir=tiny_data, console=console)
    text = console.export_text()
    assert "0 executed, 2 cached" in text and "book unchanged" in text
