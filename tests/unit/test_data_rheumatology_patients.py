"""The rheumatology registry's schema refuses typical bad rows with a message naming the column (or the columns a
row rule compares), the rule and the row. Rows are counted from 1 under the header: the third is 'row 3 (line 4)'."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tables import edited, frame_refusal

from ivanalysis.data.io import validate_table
from ivanalysis.data.schemas import TABLES
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.data.synth.rheumatology_patients import generate
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

TABLE = "rheumatology_patients"
SPEC = TABLES[TABLE]
PATH = Path(f"{TABLE}.csv")
ROW3 = "row 3 (line 4)"


@pytest.fixture(scope="module")
def valid() -> pd.DataFrame:
    geo = load_geography()
    df = generate(geo, provider_sizes(geo, 2019), 2019, 0.01)
    return df.astype(object).where(df.notna(), None).head(20).reset_index(drop=True)


def test_the_generated_table_is_valid(valid):
    typed = validate_table(valid, SPEC, PATH, load_geography())
    assert len(typed) == 20
    assert str(typed["rrt_date"].dtype) == "datetime64[ns]"


def renal_without_rrt(df: pd.DataFrame) -> int:
    return int(df.index[(df["renal_involvement"] == "Y") & df["rrt_date"].isna()][0])


def without_drug(df: pd.DataFrame) -> int:
    return int(df.index[df["high_cost_drug"] == "none"][0])


# (edit of a valid table, words the message must contain)
BAD = [
    pytest.param(lambda df: df.assign(condition=df["condition"].where(df.index != 2, "RA")),
                 ["column 'condition'", "isin(['SLE', 'vasculitis'])", f"{ROW3}: 'RA'"], id="unknown-condition"),
    pytest.param(lambda df: df.assign(network_status=df["network_status"].where(df.index != 2, "regional")),
                 ["column 'network_status'", "isin(['hub', 'spoke', 'outside'])", f"{ROW3}: 'regional'"],
                 id="unknown-network-status"),
    pytest.param(lambda df: df.assign(renal_involvement=df["renal_involvement"].where(df.index != 2, "True")),
                 ["column 'renal_involvement'", "isin(['Y', 'N'])", f"{ROW3}: 'True'"], id="flag-not-y-or-n"),
    pytest.param(lambda df: df.assign(diagnosis_date=df["diagnosis_date"].where(df.index != 2, "2099-01-01")),
                 ["column 'diagnosis_date'", "dates must lie between 2000-01-01 and today"], id="future-diagnosis"),
    pytest.param(lambda df: df.assign(patient_id=df["patient_id"].where(df.index != 2, df.loc[0, "patient_id"])),
                 ["column 'patient_id'", "field_uniqueness", "2 row(s)"], id="duplicate-patient"),
    pytest.param(lambda df: df.assign(high_cost_drug=df["high_cost_drug"].where(df.index != 2, "infliximab")),
                 ["column 'high_cost_drug'", "isin(['none', 'rituximab'", f"{ROW3}: 'infliximab'"],
                 id="unknown-drug"),
]


@pytest.mark.parametrize("edit, words", BAD)
def test_a_bad_cell_names_column_rule_and_row(valid, edit, words):
    message = frame_refusal(TABLE, edit(valid.copy()), words)
    assert "breaks 1 rule(s)" in message, message


def test_rrt_before_diagnosis_is_refused(valid):
    i = renal_without_rrt(valid)
    message = frame_refusal(TABLE, edited(valid, (i, "diagnosis_date", "2012-05-01"), (i, "rrt_date", "2011-05-01")))
    assert "rows, rule rrt_date >= diagnosis_date (renal replacement therapy cannot start before diagnosis)" in message
    assert f"row {i + 1} (line {i + 2}): diagnosis_date=2012-05-01 00:00:00, rrt_date=2011-05-01 00:00:00" in message


def test_rrt_without_renal_involvement_is_refused(valid):
    i = int(valid.index[valid["renal_involvement"] == "N"][0])
    message = frame_refusal(TABLE, edited(valid, (i, "rrt_date", "2017-05-01")))
    assert "rule rrt_date only with renal_involvement Y (a patient on renal replacement therapy has renal " \
           "involvement)" in message
    assert f"row {i + 1} (line {i + 2}): renal_involvement='N', rrt_date=2017-05-01 00:00:00" in message


def test_a_drug_needs_its_start_date_and_none_has_none(valid):
    i = without_drug(valid)
    message = frame_refusal(TABLE, edited(valid, (i, "high_cost_drug", "rituximab")))  # a drug without a start date
    assert "rule hcd_start_date given exactly when high_cost_drug is not none" in message
    assert f"row {i + 1} (line {i + 2}): high_cost_drug='rituximab'" in message
    message = frame_refusal(TABLE, edited(valid, (i, "hcd_start_date", "2017-05-01")))  # a start date without a drug
    assert "rule hcd_start_date given exactly when high_cost_drug is not none" in message


def test_a_registry_entry_needs_a_drug(valid):
    i = without_drug(valid)
    message = frame_refusal(TABLE, edited(valid, (i, "hcd_registered", "Y")))
    assert "rule hcd_registered Y only with a high_cost_drug (only a high-cost drug course can be in the registry)" \
           in message
    assert f"row {i + 1} (line {i + 2}): high_cost_drug='none', hcd_registered='Y'" in message


def test_a_drug_started_before_diagnosis_is_refused(valid):
    i = int(valid.index[valid["high_cost_drug"] != "none"][0])
    df = edited(valid, (i, "diagnosis_date", "2016-05-01"), (i, "hcd_start_date", "2016-01-01"),
                (i, "rrt_date", None))  # rrt_date emptied so that only the drug's rule is broken
    assert "rule hcd_start_date >= diagnosis_date (a drug for the disease cannot start before its diagnosis)" \
           in frame_refusal(TABLE, df)
