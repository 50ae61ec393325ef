"""The SACT schema refuses typical bad rows with a message naming the column and the rule; the generator's shape."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.synth import sact
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit
NAME = "sact"
ROW3 = "row 3 (line 4)"
IV, ORAL = 2, 7  # rows 0-5 are intravenous, rows 6-9 oral (row 7 has a stop date)


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    geo = load_geography()
    return sact.generate(geo, provider_sizes(geo, 2019), 2019, 0.005)


@pytest.fixture(scope="module")
def valid(generated) -> pd.DataFrame:
    """Ten valid rows as the text of a CSV file: six intravenous, then four oral (the second with a stop date)."""
    iv = generated[generated["route"] == "intravenous"].head(6)
    oral = generated[generated["route"] == "oral"]
    oral = pd.concat([oral[oral["regimen_end_date"].isna()].head(1), oral[oral["regimen_end_date"].notna()].head(1),
                      oral[oral["regimen_end_date"].isna()].iloc[1:3]])
    rows = pd.concat([iv, oral], ignore_index=True).astype(object)
    return rows.where(rows.notna(), "").astype(str)


def test_valid_rows_load_typed(valid, tmp_path):
    df = load_csv(tmp_path, NAME, valid)
    assert len(df) == 10
    assert df["route"].tolist() == ["intravenous"] * 6 + ["oral"] * 4
    assert str(df["administration_date"].dtype) == "datetime64[ns]"
    assert str(df["days_supplied"].dtype) == "Int64"
    assert df["drug"].dtype == "category"
    assert df["days_supplied"].iloc[:6].isna().all() and df["waste_mg"].iloc[6:].isna().all()


@pytest.mark.parametrize("edits, words", [
    pytest.param([(IV, "route", "subcutaneous")], ["column 'route'", "isin(['intravenous', 'oral'])",
                                                   f"{ROW3}: 'subcutaneous'"], id="unknown-route"),
    pytest.param([(IV, "dose_banded", "Yes")], ["column 'dose_banded'", "isin(['Y', 'N'])", f"{ROW3}: 'Yes'"],
                 id="dose-banded-not-y-or-n"),
    pytest.param([(IV, "prescribed_dose_mg", "0")], ["column 'prescribed_dose_mg'", "more than 0 and at most 50000",
                                                     f"{ROW3}: 0.0"], id="zero-dose"),
    pytest.param([(IV, "waste_mg", "-1")], ["column 'waste_mg'", "in_range(0, 50000)", f"{ROW3}: -1.0"],
                 id="negative-waste"),
    pytest.param([(IV, "drug_cost_gbp", "-5")], ["column 'drug_cost_gbp'", "in_range(0, 1000000)", f"{ROW3}: -5.0"],
                 id="negative-cost"),
    pytest.param([(IV, "drug", "Oxaliplatin")], ["column 'drug'", "generic drug name in lower case",
                                                 f"{ROW3}: 'Oxaliplatin'"], id="drug-not-lower-case"),
    pytest.param([(IV, "tumour_group", "Bones")], ["column 'tumour_group'", "isin(['Breast'", f"{ROW3}: 'Bones'"],
                 id="unknown-tumour-group"),
    pytest.param([(ORAL, "days_supplied", "0")], ["column 'days_supplied'", "in_range(1, 366)",
                                                  "row 8 (line 9): 0"], id="zero-days-supplied"),
    pytest.param([(ORAL, "packs_supplied", "1.5")], ["column 'packs_supplied'", "could not be read as 'Int64'",
                                                     "row 8 (line 9): '1.5'"], id="half-a-pack"),
    pytest.param([(ORAL, "administration_date", "05/06/2016")], ["column 'administration_date'",
                  "could not be read as a date", "row 8 (line 9): '05/06/2016'"], id="day-first-date"),
    pytest.param([(0, "administration_id", "SA-DUP"), (IV, "administration_id", "SA-DUP")],
                 ["column 'administration_id'", "field_uniqueness", "2 row(s)"], id="duplicate-administration"),
    pytest.param([(IV, "provider_code", "NOPE-1")], ["column 'provider_code'", "provider listed in params/geography",
                                                     f"{ROW3}: 'NOPE-1'"], id="unknown-provider"),
    pytest.param([(IV, "waste_mg", "")], ["rows, rule route fields: intravenous rows need administered_dose_mg",
                                          "1 row(s)", f"{ROW3}: route='intravenous'"], id="intravenous-without-waste"),
    pytest.param([(ORAL, "days_supplied", "")], ["rows, rule route fields", "oral rows need days_supplied",
                                                 "row 8 (line 9): route='oral'"], id="oral-without-days"),
    pytest.param([(IV, "dose_banded", "N"), (IV, "standard_product", "Y")],
                 ["rows, rule standard_product Y only if dose_banded Y (a standard product is a dose-banded product)",
                  f"{ROW3}: dose_banded='N', standard_product='Y'"], id="standard-product-not-banded"),
    pytest.param([(ORAL, "regimen_end_date", "2015-01-01")],
                 ["rows, rule regimen_end_date >= administration_date (nothing is dispensed after the regimen stopped)",
                  "regimen_end_date=2015-01-01"], id="stopped-before-dispensing"),
])
def test_a_bad_row_is_named(valid, tmp_path, edits, words):
    message = refusal(tmp_path, NAME, edited(valid, *edits), words)
    assert "breaks 1 rule(s)" in message, message


def test_volumes_and_shape_at_national_scale_are_proportional(generated):
    # scale 0.005 of about 1 million rows a year over three years: about 15,000 rows, roughly 73% intravenous
    assert 12_000 < len(generated) < 18_000
    assert generated["route"].eq("intravenous").mean() == pytest.approx(0.73, abs=0.04)
    assert generated["administration_id"].is_unique
    iv = generated[generated["route"] == "intravenous"]
    # a standard product is always a dose-banded product; weight- and fixed-dosed drugs are never banded
    assert not ((iv["standard_product"] == "Y") & (iv["dose_banded"] == "N")).any()
    assert (iv.loc[iv["drug"].isin(["rituximab", "trastuzumab", "pembrolizumab"]), "dose_banded"] == "N").all()
    oral = generated[generated["route"] == "oral"]
    assert (oral["days_supplied"] == oral["packs_supplied"] * (oral["days_supplied"] // oral["packs_supplied"])).all()
    assert (oral["regimen_end_date"].dropna() >= oral.loc[oral["regimen_end_date"].notna(),
                                                          "administration_date"]).all()


def test_generation_is_reproducible():
    geo = load_geography()
    sizes = provider_sizes(geo, 7)
    pd.testing.assert_frame_equal(sact.generate(geo, sizes, 7, 0.002), sact.generate(geo, sizes, 7, 0.002))
