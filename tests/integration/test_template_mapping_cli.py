"""`ivanalysis template`, `--columns` and `--providers` as an analyst uses them: templates written (never over an
extract), an extract with its own column names validated and run through a mapping, a wrong mapping a usage error
(exit 2), an extract's own providers listed in a CSV instead of the geography's YAML."""
from __future__ import annotations

import pandas as pd
import pytest
from cli_run import invoke, says

from ivanalysis.data.mapping import COLUMNS
from ivanalysis.data.synth import generate
from ivanalysis.geography import PROVIDERS, load_geography

pytestmark = pytest.mark.integration

MAP = "radiotherapy:\n  ORG_CODE: provider_code\n  TREATMENT_START: start_date\n"


@pytest.fixture(autouse=True)
def _mapping_restored(monkeypatch):
    """`--columns` sets the variable in this process, for its kernels: undone after each test."""
    monkeypatch.setenv(COLUMNS, "")
    monkeypatch.setenv(PROVIDERS, "")


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """A radiotherapy extract whose provider and date columns have the names of the analyst's own system."""
    source = tmp_path_factory.mktemp("source")
    generate(source, scale=0.02, fmt="csv", tables=["radiotherapy"])
    folder = tmp_path_factory.mktemp("renamed")
    pd.read_csv(source / "radiotherapy.csv", dtype=str).rename(
        columns={"provider_code": "ORG_CODE", "start_date": "TREATMENT_START"}).to_csv(
        folder / "radiotherapy.csv", index=False)
    mapping = folder.parent / "mapping.yaml"
    mapping.write_text(MAP, encoding="utf-8")
    return folder, mapping


def test_template_writes_the_header_rows_and_never_overwrites(tmp_path):
    out = tmp_path / "extract"
    result = invoke("template", "radiotherapy", "sact", "--out", str(out))
    assert result.exit_code == 0, result.output
    says(result, f"Wrote 2 table(s) and README.md to {out}")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "radiotherapy.csv", "sact.csv"]
    assert (out / "radiotherapy.csv").read_text(encoding="utf-8").startswith("course_id,provider_code,")
    again = invoke("template", "radiotherapy", "--out", str(out))
    assert again.exit_code == 2
    says(again, "already exist(s): an extract being filled is never overwritten")


def test_an_extract_with_its_own_names_validates_and_runs_through_a_mapping(build_dir, renamed):
    folder, mapping = renamed
    plain = invoke("validate", "--data-dir", str(folder))
    assert plain.exit_code == 1
    says(plain, "column 'provider_code' is missing", "map its names to ours with --columns mapping.yaml")

    result = invoke("validate", "--data-dir", str(folder), "--columns", str(mapping))
    assert result.exit_code == 0, result.output
    says(result, f"Columns mapped by {mapping}", "ok radiotherapy: radiotherapy.csv")

    run = invoke("run", "prostate_fractionation", "-g", "LON", "--data-dir", str(folder), "--columns", str(mapping))
    assert run.exit_code == 0, run.output
    says(run, "Radiotherapy prostate fractionation - London, 2017/18", "Fractions (treatment slots) released")


@pytest.mark.parametrize(("text", "words"), [
    ("radiotherapy:\n  ORG_CODE: provider\n", "'ORG_CODE' is mapped to 'provider', which is not a column of "
                                              "radiotherapy"),
    ("radiotherapy_courses:\n  ORG_CODE: provider_code\n", "no table 'radiotherapy_courses'"),
])
def test_a_wrong_mapping_is_a_usage_error(tmp_path, renamed, text, words):
    folder, _ = renamed
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text, encoding="utf-8")
    result = invoke("validate", "--data-dir", str(folder), "--columns", str(mapping))
    assert result.exit_code == 2
    says(result, "Error:", words)


def test_a_mapping_naming_a_column_the_file_lacks_is_said_for_that_table(tmp_path, renamed):
    folder, _ = renamed
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("radiotherapy:\n  ORG: provider_code\n", encoding="utf-8")
    result = invoke("validate", "--data-dir", str(folder), "--columns", str(mapping))
    assert result.exit_code == 1
    says(result, "invalid radiotherapy:", f"the column mapping {mapping} maps 'ORG' of table 'radiotherapy', but "
                 "the file has no such column (columns found: course_id, ORG_CODE,")


def test_an_extracts_own_providers_come_from_a_csv(tmp_path, renamed):
    folder, mapping = renamed
    own = tmp_path / "own"
    own.mkdir()
    rows = pd.read_csv(folder / "radiotherapy.csv", dtype=str)
    rows.loc[rows.index[:5], "ORG_CODE"] = "RNEW1"  # a trust params/geography.yaml does not list
    rows.to_csv(own / "radiotherapy.csv", index=False)
    plain = invoke("validate", "--data-dir", str(own), "--columns", str(mapping))
    assert plain.exit_code == 1
    says(plain, "provider listed in params/geography.yaml (or in --providers providers.csv)", "'RNEW1'")

    providers = tmp_path / "providers.csv"
    providers.write_text(f"code,name,hub\nRNEW1,New trust,{load_geography().hubs()[0].code}\n", encoding="utf-8")
    result = invoke("validate", "--data-dir", str(own), "--columns", str(mapping), "--providers", str(providers))
    assert result.exit_code == 0, result.output
    says(result, f"with {providers} (102 providers in all)", "ok radiotherapy:")

    providers.write_text("code,name,hub\nRNEW1,New trust,NOWHERE\n", encoding="utf-8")
    wrong = invoke("validate", "--data-dir", str(own), "--providers", str(providers))
    assert wrong.exit_code == 2
    says(wrong, "line 2: hub 'NOWHERE' of provider RNEW1 is not a hub of the geography")
