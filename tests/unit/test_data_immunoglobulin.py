"""The immunoglobulin table identifies patients by any pseudonymised id; NHS numbers are checked only when the analyst
says the patient column holds them (--nhs-numbers immunoglobulin, or $IVANALYSIS_NHS_NUMBERS)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivanalysis.cli import app
from ivanalysis.data.io import load_table
from ivanalysis.data.schemas import NHS_NUMBERS, TABLES, nhs_number_tables
from ivanalysis.data.synth import generate
from ivanalysis.errors import ConfigError, DataError
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

IG = "immunoglobulin"
# the check digit of 999999999 is 9 (weights 10..2 give 486; 11 - 486 % 11 = 9): 9999999999 is valid, ...0 is not
BAD_CHECK_DIGIT = "9999999990"


@pytest.fixture(autouse=True)
def no_nhs_numbers_said(monkeypatch):
    """Each test starts with no table said to hold NHS numbers, and leaves the environment as it found it (the
    command line sets the variable in this process)."""
    monkeypatch.delenv(NHS_NUMBERS, raising=False)


@pytest.fixture(scope="module")
def episodes(tmp_path_factory) -> pd.DataFrame:
    """A valid synthetic immunoglobulin table (1% of national volumes), every cell as CSV text."""
    folder = tmp_path_factory.mktemp("ig")
    generate(folder, scale=0.01, fmt="csv", tables=[IG])
    return pd.read_csv(folder / f"{IG}.csv", dtype=str, keep_default_na=False)


def write(df: pd.DataFrame, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    df.to_csv(folder / f"{IG}.csv", index=False)
    return folder


def with_patients(df: pd.DataFrame, ids: dict[int, str]) -> pd.DataFrame:
    df = df.copy()
    for row, value in ids.items():
        df.loc[row, "patient_id"] = value
    return df


def test_the_patient_column_is_patient_id_and_no_column_is_called_nhs_number():
    spec = TABLES[IG]
    assert "patient_id" in spec.schema.columns and "nhs_number" not in spec.schema.columns
    assert spec.patient_column == "patient_id"
    assert {"episode_id", "patient_id"} <= set(spec.identifiers)


def test_a_pseudonymised_patient_id_passes(episodes, tmp_path):
    # what a data controller would hand out: an opaque pseudonym, and a number that is not a valid NHS number
    df = with_patients(episodes, {0: "PSEUDO-7f3a9c", 1: "a1b2c3d4e5", 2: BAD_CHECK_DIGIT})
    ig = load_table(write(df, tmp_path), IG, load_geography())
    assert ig["patient_id"].iloc[:3].tolist() == ["PSEUDO-7f3a9c", "a1b2c3d4e5", BAD_CHECK_DIGIT]


def test_a_patient_id_still_follows_the_identifier_rule(episodes, tmp_path):
    df = with_patients(episodes, {2: "999 999 9999"})  # spaces: not an identifier (nor an NHS number as text)
    with pytest.raises(DataError) as info:
        load_table(write(df, tmp_path), IG)
    assert "column 'patient_id', rule str_matches" in str(info.value)
    assert "row 3 (line 4): '999 999 9999'" in str(info.value)


def test_said_to_hold_nhs_numbers_a_bad_check_digit_is_refused_naming_the_column(episodes, tmp_path, monkeypatch):
    monkeypatch.setenv(NHS_NUMBERS, IG)
    df = with_patients(episodes, {2: BAD_CHECK_DIGIT, 4: "PSEUDO-1"})
    path = write(df, tmp_path) / f"{IG}.csv"
    with pytest.raises(DataError) as info:
        load_table(tmp_path, IG, load_geography())
    message = str(info.value)
    assert str(path) in message and "breaks 1 rule(s)" in message
    assert "column 'patient_id', rule an NHS number" in message
    assert "modulus 11 check digit" in message and "--nhs-numbers" in message
    assert f"2 row(s), e.g. row 3 (line 4): '{BAD_CHECK_DIGIT}'; row 5 (line 6): 'PSEUDO-1'" in message


def test_said_to_hold_nhs_numbers_the_synthetic_table_passes(episodes, tmp_path, monkeypatch):
    # the synthetic patients are NHS numbers from the never-issued 999 test range, each with a valid check digit
    monkeypatch.setenv(NHS_NUMBERS, IG)
    ig = load_table(write(episodes, tmp_path), IG, load_geography())
    assert ig["patient_id"].str.fullmatch(r"999\d{7}").all()


def test_a_table_checked_without_the_switch_is_checked_again_with_it(episodes, tmp_path, monkeypatch):
    # the validated table is kept (on disk and in memory): what passed the looser rules must not pass the stricter
    folder = write(with_patients(episodes, {2: BAD_CHECK_DIGIT}), tmp_path)
    geo = load_geography()
    assert len(load_table(folder, IG, geo)) == len(episodes)
    monkeypatch.setenv(NHS_NUMBERS, IG)
    with pytest.raises(DataError, match="rule an NHS number"):
        load_table(folder, IG, geo)
    with pytest.raises(DataError, match="rule an NHS number"):
        load_table(folder, IG, geo, columns=["provider_code", "dose_g"])  # whatever the columns asked for
    monkeypatch.delenv(NHS_NUMBERS)
    assert len(load_table(folder, IG, geo)) == len(episodes)


def test_the_switch_names_tables_with_a_patient_column(monkeypatch):
    monkeypatch.setenv(NHS_NUMBERS, " immunoglobulin, blueteq ,")
    assert nhs_number_tables() == {"immunoglobulin", "blueteq"}
    monkeypatch.setenv(NHS_NUMBERS, "immunoglobulin,bed_days,immunoglobin")
    with pytest.raises(ConfigError) as info:
        nhs_number_tables()
    assert "'bed_days', 'immunoglobin'" in str(info.value)
    assert "the tables with one are admissions" in str(info.value) and "immunoglobulin" in str(info.value)


def test_only_the_tables_named_are_checked(monkeypatch):
    monkeypatch.setenv(NHS_NUMBERS, IG)
    admissions = TABLES["admissions"]
    assert admissions.rules(nhs_numbers="admissions" in nhs_number_tables()) is admissions.schema
    checks = [c.name for c in TABLES[IG].rules(nhs_numbers=True).columns["patient_id"].checks]
    assert checks == ["str_matches", "nhs_number"]
    assert [c.name for c in TABLES[IG].schema.columns["patient_id"].checks] == ["str_matches"]  # unchanged


def test_validate_with_nhs_numbers_on_the_command_line(episodes, tmp_path, monkeypatch):
    # the command sets $IVANALYSIS_NHS_NUMBERS for the processes it starts: put it back after the test
    monkeypatch.setenv(NHS_NUMBERS, "")
    folder = write(with_patients(episodes, {2: BAD_CHECK_DIGIT}), tmp_path)
    plain = CliRunner().invoke(app, ["validate", "--data-dir", str(folder)])
    assert plain.exit_code == 0 and f"ok      {IG}:" in plain.output
    said = CliRunner().invoke(app, ["validate", "--data-dir", str(folder), "--nhs-numbers", IG])
    assert said.exit_code == 1, said.output
    assert "NHS numbers checked in: immunoglobulin" in said.output
    assert f"invalid {IG}:" in said.output and "column 'patient_id', rule an NHS number" in said.output
    wrong = CliRunner().invoke(app, ["validate", "--data-dir", str(folder), "--nhs-numbers", "bed_days"])
    assert wrong.exit_code == 2 and "not a table with a patient column" in wrong.output
    assert "Traceback" not in said.output + wrong.output


def test_the_run_cache_key_changes_with_the_switch_only_for_schemes_reading_the_table(tmp_path, monkeypatch):
    from ivanalysis.pipeline.plan import RunSpec, cache_key
    from ivanalysis.schemes import registry

    data = tmp_path / "data"
    generate(data, scale=0.005, tables=[IG, "critical_care"])

    def key(scheme: str) -> str:
        info = registry.get(scheme)
        return cache_key(RunSpec(scheme, "ENG", "moderate", str(data), None, str(registry.notebook_path(info))))

    before = {s: key(s) for s in ("immunoglobulin_itp", "critical_care_delayed_discharge")}
    monkeypatch.setenv(NHS_NUMBERS, IG)
    assert key("immunoglobulin_itp") != before["immunoglobulin_itp"]
    assert key("critical_care_delayed_discharge") == before["critical_care_delayed_discharge"]
