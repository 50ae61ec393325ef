"""The outpatients table's schema refuses typical bad rows with a message naming the column (or the columns a row
rule compares), the rule and the row. Each bad table is one edit of a small valid table written as CSV."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

TABLE = "outpatients"
ROW3 = "row 3 (line 4)"


def valid() -> pd.DataFrame:
    """A new knee osteoarthritis patient and their follow-up, and a new cardiac device patient."""
    p = load_geography().get("SW").providers[0]
    return pd.DataFrame({
        "attendance_id": ["OP1", "OP2", "OP3"],
        "provider_code": [p, p, p],
        "patient_id": ["OK1", "OK1", "OC1"],
        "attendance_date": ["2016-05-03", "2016-07-12", "2016-05-04"],
        "treatment_function": ["110", "110", "320"],
        "pathway": ["knee_oa", "knee_oa", "cardiac_device"],
        "first_attendance": ["1", "0", "1"],
    })


def test_the_valid_table_loads_typed(tmp_path):
    df = load_csv(tmp_path, TABLE, valid())
    assert df["first_attendance"].tolist() == [1, 0, 1]
    assert df["treatment_function"].tolist() == ["110", "110", "320"]  # codes stay text


BAD = [
    pytest.param(edited(valid(), (2, "pathway", "back_pain")),
                 ["column 'pathway'", "isin(['hip_oa', 'knee_oa', 'cardiac_device'])", f"{ROW3}: 'back_pain'"],
                 id="unknown-pathway"),
    pytest.param(edited(valid(), (2, "treatment_function", "110")),
                 ["rule treatment_function matches pathway", f"{ROW3}: treatment_function='110', "
                  "pathway='cardiac_device'"], id="cardiac-device-in-orthopaedics"),
    pytest.param(edited(valid(), (2, "treatment_function", "999")),
                 ["column 'treatment_function'", "isin(['110', '320'])", f"{ROW3}: '999'"], id="unknown-specialty"),
    pytest.param(edited(valid(), (2, "first_attendance", "yes")),
                 ["column 'first_attendance'", "could not be read as 'int64'", f"{ROW3}: 'yes'"], id="flag-as-text"),
    pytest.param(edited(valid(), (2, "first_attendance", "2")),
                 ["column 'first_attendance'", "isin([0, 1])", f"{ROW3}: 2"], id="flag-not-0-or-1"),
    pytest.param(edited(valid(), (2, "attendance_date", "04/05/2016")),
                 ["column 'attendance_date'", "could not be read as a date", f"{ROW3}: '04/05/2016'"],
                 id="day-first-date"),
    pytest.param(edited(valid(), (2, "attendance_id", "OP1")),
                 ["column 'attendance_id'", "field_uniqueness", f"{ROW3}: 'OP1'"], id="duplicate-attendance"),
    pytest.param(edited(valid(), (2, "patient_id", "")),
                 ["column 'patient_id'", "not_nullable (a value is required)", f"{ROW3}: (empty)"],
                 id="no-patient"),
]


@pytest.mark.parametrize("df, words", BAD)
def test_bad_rows_are_refused_naming_column_rule_and_row(tmp_path, df, words):
    refusal(tmp_path, TABLE, df, words)
