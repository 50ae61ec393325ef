"""The spinal_surgery table's schema refuses typical bad rows with a message naming the column (or rows) and rule."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.synth import generate

pytestmark = pytest.mark.unit

TABLE = "spinal_surgery"


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> pd.DataFrame:
    """A valid table as the text of its CSV file: one operated pathway, one not listed, one still waiting."""
    out = tmp_path_factory.mktemp("spinal") / "data"
    generate(out, scale=0.01, fmt="csv", tables=[TABLE])
    df = pd.read_csv(out / f"{TABLE}.csv", dtype=str, keep_default_na=False)
    operated = df[df["surgery_date"] != ""].iloc[0]
    other = df[(df["outcome"] != "") & (df["outcome"] != "listed_for_surgery")].iloc[0]
    waiting = df[df["first_attendance_date"] == ""].iloc[0]
    return pd.DataFrame([operated, other, waiting]).reset_index(drop=True)


def test_the_sample_rows_are_valid(valid, tmp_path):
    df = load_csv(tmp_path, TABLE, valid)
    assert len(df) == 3
    assert df["surgery_date"].notna().tolist() == [True, False, False]
    assert pd.isna(df.loc[2, "outcome"]) and pd.isna(df.loc[2, "procedure_group"])


# (row, column, text) edits of the valid rows; row 0 is operated, row 1 not listed, row 2 not yet seen
ROW1, ROW2 = "row 1 (line 2)", "row 2 (line 3)"
BAD = [
    pytest.param([(0, "first_attendance_date", "2000-01-03")],
                 ["rule first_attendance_date >= referral_date (first_attendance_date cannot come before "
                  "referral_date)", ROW1], id="seen-before-referral"),
    pytest.param([(0, "surgery_date", "2000-01-03")],
                 ["rule surgery_date >= decision_date", ROW1], id="operated-before-decision"),
    pytest.param([(1, "surgery_date", "2018-03-01"), (1, "procedure_group", "lumbar_fusion")],
                 ["rule surgery_date only if outcome is listed_for_surgery (only patients listed for surgery are "
                  "operated on)", ROW2], id="operated-without-listing"),
    pytest.param([(0, "procedure_group", "")],
                 ["rule surgery_date and procedure_group both recorded or both empty", ROW1],
                 id="operation-without-procedure"),
    pytest.param([(1, "outcome", "")],
                 ["rule decision_date and outcome both recorded or both empty", ROW2], id="decision-without-outcome"),
    pytest.param([(2, "decision_date", "2018-03-01"), (2, "outcome", "discharged")],
                 ["rule decision_date needs first_attendance_date (a decision is made at or after the first "
                  "attendance)", "row 3 (line 4)"], id="decision-before-being-seen"),
    pytest.param([(1, "outcome", "surgery")],
                 ["column 'outcome'", "isin(['listed_for_surgery'", f"{ROW2}: 'surgery'"], id="unknown-outcome"),
    pytest.param([(0, "procedure_group", "hip_replacement")],
                 ["column 'procedure_group'", "isin(", f"{ROW1}: 'hip_replacement'"], id="unknown-procedure"),
    pytest.param([(0, "age_at_referral", "16")],
                 ["column 'age_at_referral'", "in_range(18, 110)", f"{ROW1}: 16"], id="child"),
    pytest.param([(1, "referral_id", "SP-DUP"), (2, "referral_id", "SP-DUP")],
                 ["column 'referral_id'", "field_uniqueness", "2 row(s)"], id="duplicate-referral"),
    pytest.param([(0, "provider_code", "ZZZ-P99")],
                 ["column 'provider_code'", "provider listed in params/geography.yaml", f"{ROW1}: 'ZZZ-P99'"],
                 id="unknown-provider"),
    pytest.param([(0, "surgery_date", "15/09/2017")],
                 ["column 'surgery_date'", "could not be read as a date", f"{ROW1}: '15/09/2017'"],
                 id="day-first-date"),
    pytest.param([(0, "referral_date", "")],
                 ["column 'referral_date'", "not_nullable", f"{ROW1}: (empty)"], id="no-referral-date"),
]


@pytest.mark.parametrize("edits, words", BAD)
def test_a_bad_row_is_named_with_its_rule(valid, tmp_path, edits, words):
    message = refusal(tmp_path, TABLE, edited(valid, *edits), words)
    assert "breaks 1 rule(s)" in message, message  # one broken rule, no knock-on failures
