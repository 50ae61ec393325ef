"""The antifungal issues schema refuses typical bad rows with a message naming the column and the rule."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.synth import antifungal_issues, bed_days
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit
NAME = "antifungal_issues"
ROW3 = "row 3 (line 4)"


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    geo = load_geography()
    return antifungal_issues.generate(geo, provider_sizes(geo, 2019), 2019, 0.05)


@pytest.fixture(scope="module")
def valid(generated) -> pd.DataFrame:
    # ten rows with both routes and both product types among them
    return generated.head(10).astype(str).reset_index(drop=True)


def test_valid_rows_load_typed(valid, tmp_path):
    df = load_csv(tmp_path, NAME, valid)
    assert len(df) == 10
    assert str(df["month"].dtype) == "datetime64[ns]"
    assert (df["ddd"] >= 0).all() and df["cost_gbp"].dtype == "float64"


def test_generated_issues_keep_to_each_drugs_routes(generated):
    pairs = set(zip(generated["drug"], generated["route"]))
    assert ("itraconazole", "intravenous") not in pairs and ("caspofungin", "oral") not in pairs
    assert {"generic", "branded"} == set(generated["product_type"])
    assert not generated.duplicated(["provider_code", "month", "specialty", "drug", "route", "product_type"]).any()


def test_generated_issues_go_to_haematology_and_transplant_wards_only_where_there_are_some(generated):
    geo = load_geography()
    beds = bed_days.generate(geo, provider_sizes(geo, 2019), 2019, 0.05)
    units = set(beds.loc[beds["haematology_transplant_bed_days"] > 0, "provider_code"])
    issued = set(generated.loc[generated["specialty"] == "haematology_transplant", "provider_code"])
    assert issued == units and len(units) == 20
    # a product stocked but not issued in a month has a row of 0 (no floor of one unit lifting small providers)
    assert (generated["ddd"] == 0).any() and (generated["ddd"] >= 0).all()
    assert ((generated["ddd"] == 0) == (generated["cost_gbp"] == 0)).all()


def test_haematology_and_transplant_wards_use_many_times_as_much_per_bed_day():
    geo = load_geography()
    sizes = provider_sizes(geo, 2019)
    issues, beds = antifungal_issues.generate(geo, sizes, 2019, 1.0), bed_days.generate(geo, sizes, 2019, 1.0)
    units = beds["haematology_transplant_bed_days"].sum()
    per_bed_day = issues.groupby("specialty")["ddd"].sum() / pd.Series(
        {"haematology_transplant": units, "other": beds["occupied_bed_days"].sum() - units})
    # HAEM_TRANSPLANT_LIFT = 12, and more: the costly drugs' tilt toward the units adds their DDDs (each drug's
    # national share is kept by taking them from other wards)
    assert 12 < per_bed_day["haematology_transplant"] / per_bed_day["other"] < 20


@pytest.mark.parametrize("edits, words", [
    pytest.param([(2, "month", "2017-04-15")], ["column 'month'", "the first day of a month", f"{ROW3}: 2017-04-15"],
                 id="month-not-first-day"),
    pytest.param([(2, "month", "04/2017")], ["column 'month'", "could not be read as a date"], id="month-unreadable"),
    pytest.param([(2, "drug", "amoxicillin")], ["column 'drug'", "isin(['fluconazole'", f"{ROW3}: 'amoxicillin'"],
                 id="not-an-antifungal"),
    pytest.param([(2, "route", "topical")], ["column 'route'", "isin(['oral', 'intravenous'])", f"{ROW3}: 'topical'"],
                 id="unknown-route"),
    pytest.param([(2, "product_type", "biosimilar")], ["column 'product_type'", "isin(['generic', 'branded'])"],
                 id="unknown-product-type"),
    pytest.param([(2, "ddd", "-2")], ["column 'ddd'", "0 or more (net of returns) and at most 100000",
                                      f"{ROW3}: -2.0"], id="negative-ddd"),
    pytest.param([(2, "ddd", "many")], ["column 'ddd'", "could not be read as 'float64'", f"{ROW3}: 'many'"],
                 id="text-in-ddd"),
    pytest.param([(2, "cost_gbp", "-12.5")], ["column 'cost_gbp'", "0 or more", f"{ROW3}: -12.5"],
                 id="negative-cost"),
    pytest.param([(2, "specialty", "maternity")], ["column 'specialty'", "isin(['haematology_transplant', 'other'])",
                                                   f"{ROW3}: 'maternity'"], id="unknown-specialty"),
    pytest.param([(2, "quantity", "")], ["column 'quantity'", "not_nullable", f"{ROW3}: (empty)"], id="empty-quantity"),
    pytest.param([(2, "provider_code", "NOPE-1")], ["column 'provider_code'", "provider listed in params/geography"],
                 id="unknown-provider"),
    pytest.param([(0, "line_id", "AF-DUP"), (2, "line_id", "AF-DUP")],
                 ["column 'line_id'", "field_uniqueness", "2 row(s)"], id="duplicate-line-id"),
    pytest.param([(2, "drug", "caspofungin"), (2, "route", "oral")],
                 ["rule route available for the drug", "caspofungin, micafungin", "drug='caspofungin', route='oral'"],
                 id="oral-caspofungin"),
])
def test_a_bad_row_is_named(valid, tmp_path, edits, words):
    message = refusal(tmp_path, NAME, edited(valid, *edits), words)
    assert "breaks 1 rule(s)" in message, message


def test_the_same_issues_twice_break_the_one_row_rule(valid, tmp_path):
    twice = pd.concat([valid, valid.iloc[[2]]], ignore_index=True)
    twice.loc[10, "line_id"] = "AF-COPY"
    message = refusal(tmp_path, NAME, twice)
    assert "one row per provider_code, month, specialty, drug, route and product_type" in message
    assert "the same issues appear on more than one row" in message
    assert "2 row(s)" in message
