"""The Blueteq schema refuses typical bad rows with a message naming the column and the rule; the synthetic forms
pass it and link to the invoices by patient_id and drug, with some invoiced patients left without a form."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tables import edited, frame_refusal

from ivanalysis.data.io import validate_table
from ivanalysis.data.schemas import TABLES
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

ROW2 = "row 2 (line 3)"


def valid() -> pd.DataFrame:
    return pd.DataFrame({
        "form_id": ["BQ00000001", "BQ00000002", "BQ00000003"],
        "provider_code": ["LON-P01", "LON-P01", "NW-P02"],
        "patient_id": ["P000000001", "P000000001", "P000000002"],
        "drug": ["dimethyl fumarate", "dimethyl fumarate", "obeticholic acid"],
        "indication": ["Relapsing-remitting multiple sclerosis", "Relapsing-remitting multiple sclerosis",
                       "Primary biliary cholangitis"],
        "form_type": ["initiation", "continuation", "initiation"],
        "approval_date": ["2016-05-02", "2017-04-28", "2017-06-30"],
        "criteria_met": ["Y", "Y", "Y"],
        "mdt_approved": ["Y", "Y", "N"],
    })


@pytest.mark.parametrize("df, words", [
    pytest.param(edited(valid(), (1, "criteria_met", "yes")),
                 ["column 'criteria_met'", "Y or N", f"{ROW2}: 'yes'"], id="criteria-yes"),
    pytest.param(edited(valid(), (1, "mdt_approved", None)),
                 ["column 'mdt_approved'", "not_nullable"], id="mdt-empty"),
    pytest.param(edited(valid(), (1, "form_type", "renewal")),
                 ["column 'form_type'", "isin(['initiation', 'continuation'])", f"{ROW2}: 'renewal'"],
                 id="unknown-form-type"),
    pytest.param(edited(valid(), (1, "approval_date", "2099-01-01")),
                 ["column 'approval_date'", "between 2000-01-01 and today"], id="future-approval"),
    pytest.param(edited(valid(), (1, "drug", "Tecfidera")),
                 ["column 'drug'", "a generic drug name in lower case"], id="brand-as-drug"),
    pytest.param(edited(valid(), (1, "indication", "MS")),
                 ["column 'indication'", "isin(['HIV'"], id="unknown-indication"),
    pytest.param(edited(valid(), (1, "approval_date", "2016-05-02")),
                 ["rule one form per patient_id, drug and approval_date", "2 row(s)",
                  f"{ROW2}: patient_id='P000000001', drug='dimethyl fumarate'"], id="two-forms-a-day"),
    pytest.param(edited(valid(), (1, "form_id", "BQ00000001")),
                 ["column 'form_id'", "field_uniqueness"], id="duplicate-id"),
    pytest.param(edited(valid(), (1, "provider_code", "ZZZ-P99")),
                 ["column 'provider_code'", "provider listed in params/geography.yaml"], id="unknown-provider"),
])
def test_bad_rows_are_refused_naming_column_and_rule(df, words):
    text = frame_refusal("blueteq", df, words)
    assert "breaks 1 rule(s)" in text, text


def test_synthetic_forms_link_to_invoices_and_some_patients_lack_one():
    from ivanalysis.data.synth import blueteq, hcd_invoices, provider_sizes

    geo = load_geography()
    sizes = provider_sizes(geo, 2019)
    forms = validate_table(blueteq.generate(geo, sizes, 2019, 0.02), TABLES["blueteq"], Path("blueteq.parquet"), geo)
    invoices = hcd_invoices.generate(geo, sizes, 2019, 0.02)
    invoiced = set(zip(invoices["patient_id"], invoices["drug"]))
    approved = set(zip(forms["patient_id"], forms["drug"]))
    assert approved <= invoiced  # every form is for a patient and drug that is invoiced
    needing = {(p, d) for p, d in invoiced if d in set(forms["drug"])}
    assert 0 < len(needing - approved) < 0.2 * len(needing)  # some, not most, never have a form
    assert set(forms["criteria_met"]) == {"Y", "N"} and set(forms["mdt_approved"]) == {"Y", "N"}
