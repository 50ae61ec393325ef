"""A scheme run on an extract that does not cover its headline year, or England: refused with the table, the year and
the missing months named, or annualised when asked, with the warning on the page, in results.json and on the
console; an extract of one hub's providers run for England warns on the page. Through `ivanalysis run`, as an
analyst would."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from cli_run import invoke, says

from ivanalysis.data.benchmark import BENCHMARK
from ivanalysis.data.coverage import ANNUALISE
from ivanalysis.data.synth import generate
from ivanalysis.schemes.registry import analyse

pytestmark = pytest.mark.integration

SCHEME = "prostate_fractionation"  # one table (radiotherapy), headline year 2017/18


@pytest.fixture(scope="module")
def courses(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("radiotherapy")
    generate(folder, scale=0.05, fmt="csv", tables=["radiotherapy"])
    return pd.read_csv(folder / "radiotherapy.csv", dtype=str)


@pytest.fixture(autouse=True)
def _annualise_restored(monkeypatch):
    """`run --annualise-partial-years` sets the variable in this process, for its kernels: undone after each test."""
    monkeypatch.setenv(ANNUALISE, "")


def extract(tmp_path, courses: pd.DataFrame, keep) -> str:
    folder = tmp_path / "extract"
    folder.mkdir()
    month = courses["start_date"].str[:7]
    courses[keep(month, courses)].to_csv(folder / "radiotherapy.csv", index=False)
    return str(folder)


def results(build_dir, area: str = "ENG") -> dict:
    return json.loads((build_dir / "runs" / SCHEME / area / "results.json").read_text(encoding="utf-8"))


def page_text(build_dir, area: str = "ENG") -> str:
    return (build_dir / "runs" / SCHEME / area / f"{area}.ipynb").read_text(encoding="utf-8")


def test_three_months_of_data_are_refused(build_dir, tmp_path, courses):
    data = extract(tmp_path, courses, lambda month, _: month.between("2017-04", "2017-06"))
    result = invoke("run", SCHEME, "-g", "ENG", "--data-dir", data)
    assert result.exit_code == 1, result.output
    says(result, "Run failed:", "the headline year 2017/18 is not whole in the data",
         "table 'radiotherapy' covers 3 of the 12 months of 2017/18: it has no rows in July 2017 to March 2018",
         "--annualise-partial-years")


def test_october_to_december_missing_is_refused_then_annualised_when_asked(build_dir, tmp_path, courses):
    data = extract(tmp_path, courses, lambda month, _: ~month.between("2017-10", "2017-12"))
    refused = invoke("run", SCHEME, "-g", "ENG", "--data-dir", data)
    assert refused.exit_code == 1, refused.output
    says(refused, "table 'radiotherapy' covers 9 of the 12 months of 2017/18: it has no rows in October to "
                  "December 2017", "--period (2015/16, 2016/17)")

    result = invoke("run", SCHEME, "-g", "ENG", "--data-dir", data, "--annualise-partial-years")
    assert result.exit_code == 0, result.output
    says(result, "Warning: annualised from 9 months.", "no rows in October to December 2017", "x 12/9")
    record = results(build_dir)
    assert record["data"]["annualised_from_months"] == 9
    assert record["data"]["warnings"][0].startswith("**Warning: annualised from 9 months.**")
    nine_months = analyse(SCHEME, "ENG", data)  # the scheme's figures before scaling
    gross = nine_months.opportunity.components[0].gross.moderate  # capacity released: beside the headline
    assert gross > 0
    assert record["opportunity_components"][0]["gross"]["moderate"] == pytest.approx(gross * 12 / 9, abs=0.01)
    fractions = nine_months.quantities[0].values.moderate
    assert record["opportunity_units"][0]["moderate"] == pytest.approx(fractions * 12 / 9, abs=0.01)
    page = page_text(build_dir)
    assert "Warning: annualised from 9 months." in page  # at the top of the page
    assert "Annualised: scaled from the 9 months of 2017/18 in the data to a year" in page  # beside the figure


def test_one_hubs_providers_run_for_england_warn_on_the_page(build_dir, tmp_path, courses):
    data = extract(tmp_path, courses, lambda _, rows: rows["provider_code"].str.startswith("LON-"))
    providers = courses.loc[courses["provider_code"].str.startswith("LON-"), "provider_code"].nunique()
    result = invoke("run", SCHEME, "-g", "ENG", "--data-dir", data)
    assert result.exit_code == 0, result.output
    said = (f"Warning: part of England. The radiotherapy table holds rows of 2017/18 from {providers} of the 101 "
            "providers in params/geography.yaml, none in 9 of the 10 hubs")
    says(result, said, "they describe part of England, not England")
    assert any(w.startswith("**Warning: part of England.**") for w in results(build_dir)["data"]["warnings"])
    assert "describe part of England, not England" in page_text(build_dir)


def test_validate_says_the_year_is_not_whole(tmp_path, courses):
    data = extract(tmp_path, courses, lambda month, _: ~month.between("2017-10", "2017-12"))
    result = invoke("validate", "--data-dir", data)
    assert result.exit_code == 0, result.output  # valid row by row: what it covers is said, not refused
    says(result, "ok radiotherapy:", "covers: dates", "whole financial years: 2015/16, 2016/17",
         "2017/18 lacks October to December 2017")


def test_benchmark_data_make_england_whole_again(build_dir, tmp_path, courses, monkeypatch):
    """A hub's extract set in England's data gives the hub the figures it has on England's data itself."""
    monkeypatch.setenv(BENCHMARK, "")
    england = tmp_path / "england"
    england.mkdir()
    courses.to_csv(england / "radiotherapy.csv", index=False)
    whole = invoke("run", SCHEME, "-g", "LON", "--data-dir", str(england))
    assert whole.exit_code == 0, whole.output
    expected = results(build_dir, "LON")

    data = extract(tmp_path, courses, lambda _, rows: rows["provider_code"].str.startswith("LON-"))
    alone = invoke("run", SCHEME, "-g", "LON", "--data-dir", data)
    says(alone, "Warning: part of England.")

    result = invoke("run", SCHEME, "-g", "LON", "--data-dir", data, "--benchmark-data", str(england))
    assert result.exit_code == 0, result.output
    providers = courses.loc[courses["provider_code"].str.startswith("LON-"), "provider_code"].nunique()
    says(result, f"Benchmark data. England on this page is your extract's providers with every other provider's rows "
                 f"from the benchmark data in {england} (radiotherapy: {providers} providers from your extract, "
                 f"{courses['provider_code'].nunique() - providers} from the benchmark data)")
    assert "part of England" not in result.output
    record = results(build_dir, "LON")
    for part in ("opportunity_components", "opportunity_units", "kpis", "measure"):
        assert record[part] == expected[part], part
    assert "radiotherapy (benchmark)" in record["provenance"]["inputs"]
