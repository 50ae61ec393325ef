"""An analyst's way in: `ivanalysis template` (an empty CSV per table and a README of its columns) and
`--columns mapping.yaml` (the extract's own column names mapped onto ours), with clear refusals."""
from __future__ import annotations

import csv

import pandas as pd
import pytest

from ivanalysis.data.dictionary import columns
from ivanalysis.data.io import load_table, validate_table
from ivanalysis.data.mapping import COLUMNS, apply_mapping, check_mapping_file, column_mapping
from ivanalysis.data.schemas import TABLES
from ivanalysis.data.template import README, write_templates
from ivanalysis.errors import ConfigError, DataError
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

RT = TABLES["radiotherapy"]
GEO = load_geography()
PROVIDER = next(iter(GEO.provider_hub))


def course(**changes) -> dict:
    row = {"course_id": "RT1", "provider_code": PROVIDER, "patient_id": "P1", "start_date": "2017-05-02",
           "diagnosis": "C61", "intent": "radical", "modality": "external_beam", "dose_gy": "60", "fractions": "20"}
    return row | changes


# --- template ----------------------------------------------------------------------------------------------------
def test_a_template_is_the_header_row_in_the_schemas_order(tmp_path):
    written = write_templates(tmp_path, ["radiotherapy"])
    assert [p.name for p in written] == ["radiotherapy.csv", README]
    text = (tmp_path / "radiotherapy.csv").read_text(encoding="utf-8")
    assert text == "course_id,provider_code,patient_id,start_date,diagnosis,intent,modality,dose_gy,fractions\n"


def test_a_filled_template_validates(tmp_path):
    write_templates(tmp_path, ["radiotherapy"])
    with (tmp_path / "radiotherapy.csv").open("a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=list(RT.schema.columns), lineterminator="\n").writerow(course())
    df = load_table(tmp_path, "radiotherapy", GEO)
    assert len(df) == 1 and df["fractions"].iloc[0] == 20


def test_every_table_by_default_and_the_readme_says_each_column(tmp_path):
    written = write_templates(tmp_path)
    assert len(written) == len(TABLES) + 1
    readme = (tmp_path / README).read_text(encoding="utf-8")
    for spec in TABLES.values():
        assert f"## `{spec.name}.csv`: {spec.title}" in readme
        for column in spec.schema.columns:
            assert f"| `{column}`" in readme
    assert "| `intent` | text | yes | one of radical, adjuvant, palliative |" in readme
    assert "`invoice_period` places a row in its quarter" in readme  # hcd_invoices is quarterly


def test_the_readme_and_the_data_dictionary_say_a_column_alike(tmp_path):
    from ivanalysis.pipeline.book import data_dictionary

    write_templates(tmp_path, ["radiotherapy"])
    row = ("| `start_date` | date (YYYY-MM-DD, optionally hh:mm:ss) | yes | dates must lie between 2000-01-01 and "
           "today |")
    assert row in data_dictionary() and row in (tmp_path / README).read_text(encoding="utf-8")
    assert [c["name"] for c in columns(RT)] == list(RT.schema.columns)


def test_a_template_never_overwrites_a_file_without_force(tmp_path):
    (tmp_path / "radiotherapy.csv").write_text("my extract\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"radiotherapy.csv.*already exist.*--force"):
        write_templates(tmp_path, ["radiotherapy"])
    assert (tmp_path / "radiotherapy.csv").read_text(encoding="utf-8") == "my extract\n"
    assert not (tmp_path / README).exists()  # nothing written when anything is refused
    write_templates(tmp_path, ["radiotherapy"], force=True)
    assert (tmp_path / "radiotherapy.csv").read_text(encoding="utf-8").startswith("course_id,")


def test_an_unknown_table_is_refused_naming_the_tables(tmp_path):
    with pytest.raises(ConfigError, match=r"no table 'radiotherapy_courses': the tables are admissions, "):
        write_templates(tmp_path, ["radiotherapy_courses"])


# --- column mapping ----------------------------------------------------------------------------------------------
def mapping(tmp_path, text: str, monkeypatch) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(COLUMNS, str(path))


MAP = "radiotherapy:\n  ORG_CODE: provider_code\n  TREATMENT_START: start_date\n"


def test_an_extracts_names_are_mapped_onto_ours(tmp_path, monkeypatch):
    mapping(tmp_path, MAP, monkeypatch)
    assert column_mapping("radiotherapy") == {"ORG_CODE": "provider_code", "TREATMENT_START": "start_date"}
    assert column_mapping("sact") == {}
    data = tmp_path / "data"
    data.mkdir()
    row = course()
    row["ORG_CODE"], row["TREATMENT_START"] = row.pop("provider_code"), row.pop("start_date")
    pd.DataFrame([row]).to_csv(data / "radiotherapy.csv", index=False)
    df = load_table(data, "radiotherapy", GEO)
    assert df["provider_code"].iloc[0] == PROVIDER
    assert df["start_date"].iloc[0] == pd.Timestamp("2017-05-02")


def test_without_a_mapping_names_are_as_they_are(monkeypatch):
    monkeypatch.delenv(COLUMNS, raising=False)
    df = pd.DataFrame([course()])
    assert apply_mapping(df, RT, "radiotherapy.csv") is df


def test_a_mapped_column_missing_from_the_file_is_refused_naming_both(tmp_path, monkeypatch):
    mapping(tmp_path, MAP, monkeypatch)
    df = pd.DataFrame([course()]).rename(columns={"provider_code": "ORG_CODE"})
    with pytest.raises(DataError, match=r"maps 'TREATMENT_START' of table 'radiotherapy', but the file has no such "
                                        r"column \(columns found: course_id, ORG_CODE, "):
        apply_mapping(df, RT, "radiotherapy.csv")


def test_a_mapping_onto_a_column_the_file_also_has_is_refused(tmp_path, monkeypatch):
    mapping(tmp_path, "radiotherapy:\n  ORG_CODE: provider_code\n", monkeypatch)
    df = pd.DataFrame([course() | {"ORG_CODE": "X"}])
    with pytest.raises(DataError, match=r"maps a column to 'provider_code', but the file already has a column of "
                                        "that name"):
        apply_mapping(df, RT, "radiotherapy.csv")


@pytest.mark.parametrize(("text", "words"), [
    ("radiotherapy:\n  ORG_CODE: provider\n", "'ORG_CODE' is mapped to 'provider', which is not a column of "
                                              "radiotherapy: its columns are course_id, provider_code"),
    ("radio:\n  ORG_CODE: provider_code\n", "no table 'radio': the tables are"),
    ("radiotherapy:\n  A: provider_code\n  B: provider_code\n", "both 'A' and 'B' are mapped to 'provider_code'"),
    ("radiotherapy: provider_code\n", "give its columns as 'extract name: our name' lines"),
    ("- radiotherapy\n", "must map table names to their columns"),
    ("radiotherapy: {ORG: [provider_code]}\n", "must map a column name to a column name"),
    ("radiotherapy:\n  ORG: provider_code\n bad", "cannot be read as YAML"),
])
def test_a_wrong_mapping_is_refused_before_anything_runs(tmp_path, text, words):
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        check_mapping_file(path)
    assert words in str(e.value)
    assert str(path) in str(e.value)


def test_a_missing_mapping_file_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="does not exist"):
        check_mapping_file(tmp_path / "nope.yaml")
    monkeypatch.setenv(COLUMNS, str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        column_mapping("radiotherapy")


def test_a_missing_column_says_that_a_mapping_can_name_it():
    df = pd.DataFrame([course()]).drop(columns=["start_date"])
    with pytest.raises(DataError, match=r"(?s)column 'start_date' is missing.*map its names to ours with --columns"):
        validate_table(df, RT, "radiotherapy.csv", GEO)
