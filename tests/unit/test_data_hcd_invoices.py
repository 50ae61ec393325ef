"""The high-cost drug invoices schema refuses typical bad rows with a message naming the column (or the columns a
table-wide rule compares) and the rule; the synthetic generator's table passes it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tables import edited, frame_refusal

from ivanalysis.data.io import validate_table
from ivanalysis.data.schemas import TABLES
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

PATH = Path("hcd_invoices.csv")
ROW2 = "row 2 (line 3)"


def valid() -> pd.DataFrame:
    """Three invoice lines as a CSV extract would give them (text cells)."""
    return pd.DataFrame({
        "invoice_id": ["HCD00000001", "HCD00000002", "HCD00000003"],
        "provider_code": ["LON-P01", "LON-P01", "NW-P02"],
        "patient_id": ["P000000001", "P000000001", "P000000002"],
        "invoice_period": ["2017-04-01", "2017-07-01", "2017-04-01"],
        "indication": ["Crohn's disease", "Crohn's disease", "HIV"],
        "drug": ["infliximab", "infliximab", "emtricitabine/tenofovir disoproxil"],
        "product": ["Remicade", "Inflectra", "Truvada"],
        "product_type": ["originator", "biosimilar", "branded"],
        "quantity": ["6", "6", "3"],
        "list_price": ["419.62", "377.66", "355.73"],
        "reference_price": ["360", "170", "206.32"],
        "cost": ["2160", "1020", "618.96"],
        "treatment_start": ["2014-02-01", "2014-02-01", "2017-05-20"],
    })


def test_a_valid_extract_passes_and_is_typed():
    out = validate_table(valid(), TABLES["hcd_invoices"], PATH, load_geography())
    assert str(out["invoice_period"].dtype) == "datetime64[ns]"
    assert out["cost"].dtype == "float64"


@pytest.mark.parametrize("df, words", [
    pytest.param(edited(valid(), (1, "product_type", "brand")),
                 ["column 'product_type'", "isin(['originator'", f"{ROW2}: 'brand'"], id="unknown-product-type"),
    pytest.param(edited(valid(), (1, "indication", "Measles")),
                 ["column 'indication'", "isin(['HIV'", f"{ROW2}: 'Measles'"], id="unknown-indication"),
    pytest.param(edited(valid(), (1, "drug", "Infliximab")),
                 ["column 'drug'", "a generic drug name in lower case", f"{ROW2}: 'Infliximab'"],
                 id="drug-not-generic-name"),
    pytest.param(edited(valid(), (1, "invoice_period", "2017-08-01")),
                 ["column 'invoice_period'", "the first day of a quarter", f"{ROW2}: 2017-08-01"],
                 id="period-not-a-quarter"),
    pytest.param(edited(valid(), (1, "invoice_period", "01/07/2017")),
                 ["column 'invoice_period'", "could not be read as a date"], id="period-day-first"),
    pytest.param(edited(valid(), (1, "quantity", "0")),
                 ["column 'quantity'", "more than 0 and at most 1000", f"{ROW2}: 0.0"], id="zero-quantity"),
    pytest.param(edited(valid(), (1, "cost", "-1020")),
                 ["column 'cost'", "in_range(0, 10000000)", f"{ROW2}: -1020.0"], id="negative-cost"),
    pytest.param(edited(valid(), (1, "reference_price", "400")),
                 ["rule reference_price <= list_price", "the agreed price cannot exceed the list price",
                  f"{ROW2}: list_price=377.66, reference_price=400.0"], id="agreed-price-above-list"),
    pytest.param(edited(valid(), (1, "cost", "5000")),
                 ["rule cost <= quantity x list_price", f"{ROW2}: quantity=6.0, list_price=377.66", "cost=5000.0"],
                 id="cost-above-list"),
    pytest.param(edited(valid(), (1, "treatment_start", "2017-10-02")),
                 ["rule treatment_start before the end of invoice_period", "invoice_period=2017-07-01",
                  "treatment_start=2017-10-02"], id="invoiced-before-starting"),
    pytest.param(edited(valid(), (1, "product", "Remicade"), (1, "product_type", "originator"),
                        (1, "invoice_period", "2017-04-01"), (1, "cost", "2160"), (1, "list_price", "419.62"),
                        (1, "reference_price", "360")),
                 ["rule one row per patient_id, drug, product and invoice_period", "2 row(s)",
                  "row 1 (line 2): patient_id='P000000001'", f"{ROW2}: patient_id='P000000001'"], id="duplicate-line"),
    pytest.param(edited(valid(), (1, "invoice_id", "HCD00000001")),
                 ["column 'invoice_id'", "field_uniqueness"], id="duplicate-id"),
    pytest.param(edited(valid(), (1, "provider_code", "ZZZ-P99")),
                 ["column 'provider_code'", "provider listed in params/geography.yaml"], id="unknown-provider"),
    # the table's date column is required; treatment_start only by the schemes that read it (test_optional_columns)
    pytest.param(valid().drop(columns="invoice_period"), ["column 'invoice_period' is missing"], id="missing-column"),
])
def test_bad_rows_are_refused_naming_column_and_rule(df, words):
    text = frame_refusal("hcd_invoices", df, words)
    assert "breaks 1 rule(s)" in text or "is missing" in text, text


def test_the_synthetic_table_passes_its_schema_with_every_product_type():
    from ivanalysis.data.synth import hcd_invoices, provider_sizes

    geo = load_geography()
    df = hcd_invoices.generate(geo, provider_sizes(geo, 2019), 2019, 0.01)
    out = validate_table(df, TABLES["hcd_invoices"], Path("hcd_invoices.parquet"), geo)
    assert set(out["product_type"]) == {"originator", "biosimilar", "generic", "branded"}
    assert out["invoice_id"].is_unique
    # quarterly lines, April 2015 to January 2018
    assert out["invoice_period"].min() == pd.Timestamp("2015-04-01")
    assert out["invoice_period"].max() == pd.Timestamp("2018-01-01")
