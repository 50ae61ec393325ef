"""Data minimisation: an extract holds its table's required columns (key, date, provider or area) and only the other
columns its schemes read. A column none of them reads may be left out (an identifier above all); a scheme that reads
one the extract lacks fails naming the scheme, the table and the column; `validate` checks the columns present."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ivanalysis import memo
from ivanalysis.data import io
from ivanalysis.data.schemas import TABLES
from ivanalysis.data.synth import generate
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

GEO = load_geography()
PROVIDER = next(iter(GEO.provider_hub))
IG = TABLES["immunoglobulin"]


def episode(**changes) -> dict:
    row = {"episode_id": "E1", "provider_code": PROVIDER, "patient_id": "P1", "treatment_date": "2017-05-02",
           "indication": "ITP", "weight_kg": "70", "dose_g": "70"}
    return row | changes


def episodes(*rows: dict, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame(list(rows)).drop(columns=list(drop))


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty validated-table cache on disk and none in memory."""
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path / "_build"))
    monkeypatch.delenv("IVANALYSIS_TABLE_CACHE", raising=False)  # the test run's shared cache (tests/conftest.py)
    monkeypatch.setattr(memo, "_current", memo.RunCache())
    return tmp_path / "_build"


# --- what a table requires -----------------------------------------------------------------------------------------
def test_a_tables_required_columns_are_its_key_date_and_provider_or_area():
    assert IG.required == ("episode_id", "treatment_date", "provider_code")
    assert TABLES["area_spend"].required == ("spell_id", "start_date", "area_code")
    assert TABLES["rheumatology_patients"].required[0] == "patient_id"  # its key: one row per patient


def test_a_table_without_an_identifier_column_validates():
    typed = io.validate_table(episodes(episode(), episode(episode_id="E2", patient_id="P2"), drop=("patient_id",)),
                              IG, Path("immunoglobulin.csv"), GEO)
    assert "patient_id" not in typed.columns
    assert typed["dose_g"].dtype == float  # the columns present are typed and checked as ever


def test_the_columns_present_are_still_checked():
    with pytest.raises(DataError, match=r"column 'dose_g', rule more than 0"):
        io.validate_table(episodes(episode(dose_g="-1"), drop=("patient_id",)), IG, Path("ig.csv"), GEO)


@pytest.mark.parametrize("column", ["episode_id", "treatment_date", "provider_code"])
def test_a_required_column_is_still_required(column):
    with pytest.raises(DataError, match=rf"column '{column}' is missing .*every extract of the table needs it"):
        io.validate_table(episodes(episode(), drop=(column,)), IG, Path("ig.csv"), GEO)


def test_a_rule_across_columns_is_left_out_only_when_it_reads_a_column_the_table_lacks():
    blueteq = TABLES["blueteq"]
    whole = blueteq.rules()
    assert whole is blueteq.schema
    without = blueteq.rules(present=[c for c in blueteq.schema.columns if c != "patient_id"])
    assert "patient_id" not in without.columns
    assert [c.name for c in whole.checks] == ["one form per patient_id, drug and approval_date"]
    assert without.checks == []  # one form per patient and drug cannot be checked without the patient
    hcd = TABLES["hcd_invoices"]
    kept = [c.name for c in hcd.rules(present=[c for c in hcd.schema.columns if c != "patient_id"]).checks]
    assert kept == ["reference_price <= list_price", "cost <= quantity x list_price",
                    "treatment_start before the end of invoice_period"]


@pytest.mark.parametrize("table", list(TABLES))
def test_every_rule_across_columns_is_kept_when_all_columns_are_there(table):
    spec = TABLES[table]
    assert spec.rules(present=list(spec.schema.columns)).checks == spec.schema.checks
    for check in spec.schema.checks:  # and each reads a column whose absence leaves it out
        assert any(check not in spec.rules(present=[c for c in spec.schema.columns if c != gone]).checks
                   for gone in spec.schema.columns), check.name


def test_nhs_numbers_are_checked_only_when_the_patient_column_is_there():
    present = [c for c in IG.schema.columns if c != "patient_id"]
    assert IG.rules(nhs_numbers=True, present=present).columns.keys() == IG.rules(present=present).columns.keys()
    nhs = IG.rules(nhs_numbers=True)
    assert any(c.name == "nhs_number" for c in nhs.columns["patient_id"].checks)


def test_an_intravenous_only_sact_extract_needs_no_oral_columns():
    sact = TABLES["sact"]
    iv = {"administration_id": "A1", "provider_code": PROVIDER, "patient_id": "P1", "tumour_group": "Breast",
          "regimen": "AC", "drug": "doxorubicin", "route": "intravenous", "administration_date": "2017-05-02",
          "prescribed_dose_mg": "100", "administered_dose_mg": "100", "dose_banded": "Y", "standard_product": "Y",
          "waste_mg": "0", "drug_cost_gbp": "50"}
    assert not set(iv) >= {"days_supplied", "packs_supplied", "regimen_end_date"}
    typed = io.validate_table(pd.DataFrame([iv]), sact, Path("sact.csv"), GEO)
    assert len(typed) == 1
    with pytest.raises(DataError, match="oral rows need days_supplied and packs_supplied"):  # a row of the other route
        io.validate_table(pd.DataFrame([iv, iv | {"administration_id": "A2", "route": "oral"}]), sact,
                          Path("sact.csv"), GEO)


# --- a scheme that reads a column the extract lacks --------------------------------------------------------------
def test_a_scheme_that_needs_the_column_fails_naming_scheme_table_and_column(tmp_path):
    episodes(episode(), drop=("patient_id",)).to_csv(tmp_path / "immunoglobulin.csv", index=False)
    pd.DataFrame(columns=list(TABLES["hcd_invoices"].schema.columns)).to_csv(tmp_path / "hcd_invoices.csv",
                                                                            index=False)
    with pytest.raises(DataError) as info:
        registry.require_columns(registry.scheme("myositis_rituximab"), tmp_path)
    message = str(info.value)
    assert message.startswith("immunoglobulin has no column patient_id, which myositis_rituximab needs to tell one "
                              "patient from another (any pseudonymised identifier will do)")
    assert f"{tmp_path / 'immunoglobulin.csv'} has columns episode_id, provider_code, treatment_date" in message
    assert "--columns mapping.yaml" in message
    registry.require_columns(registry.scheme("immunoglobulin_itp"), tmp_path)  # ITP reads no patient_id


def test_why_a_scheme_needs_a_column_is_said_by_its_kind():
    assert registry.lacks("clinical_utilisation_review", "utilisation_reviews", "spell_id").startswith(
        "utilisation_reviews has no column spell_id, which clinical_utilisation_review needs to tell one record "
        "from another (")
    assert registry.lacks("immunoglobulin_itp", "immunoglobulin", "dose_g") == (
        "immunoglobulin has no column dose_g, which immunoglobulin_itp reads (Total immunoglobulin given in the "
        "episode, grams (> 0))")


def test_the_schemes_that_need_a_column():
    assert registry.schemes_needing("immunoglobulin", ["patient_id"]) == {"myositis_rituximab": ["patient_id"]}
    assert registry.schemes_needing("immunoglobulin", ["episode_id"]) == {}
    assert set(registry.schemes_needing("sact", ["days_supplied", "packs_supplied"])) == {"oral_chemo_wastage"}


def test_loading_a_column_the_file_lacks_is_refused_naming_it(tmp_path, fresh):
    episodes(episode(), drop=("patient_id",)).to_csv(tmp_path / "immunoglobulin.csv", index=False)
    assert "patient_id" not in io.load_table(tmp_path, "immunoglobulin", GEO).columns
    with pytest.raises(io.MissingColumns) as info:
        io.load_table(tmp_path, "immunoglobulin", GEO, ["provider_code", "patient_id"])
    assert (info.value.table, info.value.missing) == ("immunoglobulin", ["patient_id"])
    assert "table 'immunoglobulin' has no column 'patient_id' (columns found: episode_id, provider_code" in str(
        info.value)
    assert list(io.load_table(tmp_path, "immunoglobulin", GEO, ["dose_g", "provider_code"]).columns) == [
        "provider_code", "dose_g"]


# --- the validated cache -------------------------------------------------------------------------------------------
def test_the_validated_cache_is_keyed_by_the_columns_present(tmp_path, fresh):
    path = tmp_path / "immunoglobulin.csv"
    episodes(episode()).to_csv(path, index=False)
    whole = io._validated_file(path, "immunoglobulin", GEO, {}, list(IG.schema.columns))
    part = io._validated_file(path, "immunoglobulin", GEO, {}, [c for c in IG.schema.columns if c != "patient_id"])
    assert whole != part
    io.ensure_validated(tmp_path, "immunoglobulin", GEO)
    assert whole.exists()
    episodes(episode(), drop=("patient_id",)).to_csv(path, index=False)  # the file changes: another entry
    io.ensure_validated(tmp_path, "immunoglobulin", GEO)
    kept = sorted(p.name for p in (fresh / "cache" / "tables").glob("immunoglobulin-*.parquet"))
    assert len(kept) == 2
    memo.install(memo.RunCache())
    assert "patient_id" not in io.load_table(tmp_path, "immunoglobulin", GEO).columns


def test_a_cache_entry_without_a_column_the_file_holds_is_rebuilt(tmp_path, fresh, monkeypatch):
    path = tmp_path / "immunoglobulin.csv"
    episodes(episode()).to_csv(path, index=False)
    io.ensure_validated(tmp_path, "immunoglobulin", GEO)
    entry = io._validated_file(path, "immunoglobulin", GEO, {}, list(IG.schema.columns))
    pd.read_parquet(entry).drop(columns="patient_id").to_parquet(entry)  # damaged: a column gone
    assert list(io.load_table(tmp_path, "immunoglobulin", GEO, ["patient_id"])["patient_id"]) == ["P1"]


# --- a scheme that does not need the column runs -------------------------------------------------------------------
@pytest.fixture(scope="module")
def radiotherapy(tmp_path_factory) -> tuple[Path, Path]:
    """A small radiotherapy extract, and the same without its patient_id (prostate fractionation never reads it)."""
    root = tmp_path_factory.mktemp("optional")
    generate(root / "whole", scale=0.01, fmt="csv", tables=["radiotherapy"])
    (root / "no_patient").mkdir()
    pd.read_csv(root / "whole" / "radiotherapy.csv", dtype=str).drop(columns="patient_id").to_csv(
        root / "no_patient" / "radiotherapy.csv", index=False)
    return root / "whole", root / "no_patient"


def test_a_scheme_that_does_not_need_the_column_runs_and_finds_the_same(radiotherapy, fresh):
    whole, no_patient = radiotherapy
    assert "patient_id" not in registry.input_columns("prostate_fractionation", "radiotherapy")
    a = registry.analyse("prostate_fractionation", "ENG", whole, geography=GEO)
    b = registry.analyse("prostate_fractionation", "ENG", no_patient, geography=GEO)
    assert b.opportunity_gbp == a.opportunity_gbp
    assert b.kpis == a.kpis


# --- said to the analyst -------------------------------------------------------------------------------------------
def test_the_data_dictionary_and_the_template_say_who_needs_each_column(tmp_path):
    from ivanalysis.data.template import README, write_templates
    from ivanalysis.pipeline.book import data_dictionary

    page = data_dictionary()
    myositis = registry.get("myositis_rituximab").number
    assert f"| Pseudonymised patient identifier, or the NHS number (the same patient across episodes) | {myositis} |" \
        in page
    assert "| Identifier of the treatment episode | every extract |" in page
    write_templates(tmp_path, ["immunoglobulin"])
    assert ("Every extract of it needs `episode_id`, `treatment_date`, `provider_code`; any other column is needed "
            "only by the schemes that read it") in (tmp_path / README).read_text(encoding="utf-8")
