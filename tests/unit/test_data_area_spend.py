"""The area_spend table's schema refuses typical bad rows with a message naming the column and rule; its area codes
are checked against the commissioning areas of params/geography.yaml (it has no provider column)."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.schemas import TABLES
from ivanalysis.data.synth import generate
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

TABLE = "area_spend"


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> pd.DataFrame:
    """The first rows of a valid table, as the text of its CSV file."""
    out = tmp_path_factory.mktemp("area_spend") / "data"
    generate(out, scale=0.005, fmt="csv", tables=[TABLE])
    return pd.read_csv(out / f"{TABLE}.csv", dtype=str, keep_default_na=False).head(5)


def test_the_table_is_coded_by_area_not_provider(valid, tmp_path):
    spec = TABLES[TABLE]
    assert spec.provider_column is None and spec.area_column == "area_code"
    df = load_csv(tmp_path, TABLE, valid)
    assert len(df) == 5
    assert df["area_code"].isin(load_geography().commissioning_areas).all()
    assert df["cost_gbp"].dtype == "float64"


ROW = "row 3 (line 4)"
BAD = [
    pytest.param((2, "area_code", "A-ZZZ-99"),
                 ["column 'area_code'", "commissioning area listed in params/geography.yaml", f"{ROW}: 'A-ZZZ-99'"],
                 id="unknown-area"),
    pytest.param((2, "area_code", "LON"),  # a hub is not an area
                 ["column 'area_code'", "commissioning area listed in params/geography.yaml", f"{ROW}: 'LON'"],
                 id="hub-for-area"),
    pytest.param((2, "programme", "dentistry"),
                 ["column 'programme'", "isin(['cancer'", f"{ROW}: 'dentistry'"], id="unknown-programme"),
    pytest.param((2, "cost_gbp", "0"),
                 ["column 'cost_gbp'", "more than 0 and at most 5,000,000", f"{ROW}: 0.0"], id="zero-cost"),
    pytest.param((2, "cost_gbp", "-120.5"),
                 ["column 'cost_gbp'", "more than 0 and at most 5,000,000", f"{ROW}: -120.5"], id="negative-cost"),
    pytest.param((2, "cost_gbp", "£1,200"),
                 ["column 'cost_gbp'", "could not be read as 'float64'", f"{ROW}: '£1,200'"], id="cost-as-text"),
    pytest.param((2, "start_date", "2099-04-01"),
                 ["column 'start_date'", "dates must lie between 2000-01-01 and today", f"{ROW}: 2099-04-01"],
                 id="future-date"),
    pytest.param((2, "area_code", ""),
                 ["column 'area_code'", "not_nullable (a value is required)", f"{ROW}: (empty)"], id="no-area"),
    pytest.param((2, "spell_id", "=1+1"),
                 ["column 'spell_id'", "str_matches", f"{ROW}: '=1+1'"], id="formula-in-id"),
]


@pytest.mark.parametrize("edit, words", BAD)
def test_a_bad_row_is_named_with_its_rule(valid, tmp_path, edit, words):
    message = refusal(tmp_path, TABLE, edited(valid, edit), words)
    assert "breaks 1 rule(s)" in message, message


def test_a_duplicate_spell_is_refused(valid, tmp_path):
    message = refusal(tmp_path, TABLE, edited(valid, (3, "spell_id", valid.loc[1, "spell_id"])))
    assert re.search(r"column 'spell_id', rule field_uniqueness .*2 row\(s\)", message), message
