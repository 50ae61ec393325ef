"""The PAM assessments table's schema refuses typical bad rows with a message naming the column (or the columns a
row rule compares), the rule and the row. Rows are counted from 1 under the header: the third is 'row 3 (line 4)'."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tables import edited, frame_refusal

from ivanalysis.data.io import validate_table
from ivanalysis.data.schemas import TABLES
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.data.synth.patient_activation import generate
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

TABLE = "patient_activation"
SPEC = TABLES[TABLE]
PATH = Path(f"{TABLE}.csv")
ROW3 = "row 3 (line 4)"


@pytest.fixture(scope="module")
def valid() -> pd.DataFrame:
    """The first 20 rows of a small generated table, every cell as the text of a CSV file."""
    geo = load_geography()
    df = generate(geo, provider_sizes(geo, 2019), 2019, 0.01).head(20).reset_index(drop=True)
    df["assessment_date"] = df["assessment_date"].dt.strftime("%Y-%m-%d")
    return df.astype(str)


def test_the_generated_table_is_valid(valid):
    typed = validate_table(valid, SPEC, PATH, load_geography())
    assert len(typed) == 20
    assert typed["pam_level"].dtype == "int64"
    assert typed["pam_score"].dtype == "float64"


# (column, bad value in row 3, words the message must contain); one broken cell gives exactly one rule
BAD = [
    pytest.param("pam_score", "101", ["column 'pam_score'", "in_range(0, 100)", f"{ROW3}: 101.0"], id="score-over-100"),
    pytest.param("pam_score", "high", ["column 'pam_score'", "could not be read as 'float64'", f"{ROW3}: 'high'"],
                 id="score-not-a-number"),
    pytest.param("pam_level", "5", ["column 'pam_level'", "in_range(1, 4)", f"{ROW3}: 5"], id="level-5"),
    pytest.param("service", "dermatology", ["column 'service'", "isin(['renal', 'hiv', 'cystic_fibrosis', 'other'])",
                                            f"{ROW3}: 'dermatology'"], id="unknown-service"),
    pytest.param("tailored_intervention", "yes", ["column 'tailored_intervention'", "isin(['Y', 'N'])",
                                                  f"{ROW3}: 'yes'"], id="flag-not-y-or-n"),
    pytest.param("follow_up_days", "400", ["column 'follow_up_days'", "in_range(0, 365)", f"{ROW3}: 400"],
                 id="follow-up-beyond-a-year"),
    pytest.param("unplanned_admissions", "-1", ["column 'unplanned_admissions'", "in_range(0, 100)", f"{ROW3}: -1"],
                 id="negative-admissions"),
    pytest.param("ae_attendances", "2.5", ["column 'ae_attendances'", "could not be read as 'int64'", f"{ROW3}: '2.5'"],
                 id="fractional-attendances"),
    pytest.param("assessment_date", "2099-06-01", ["column 'assessment_date'",
                                                   "dates must lie between 2000-01-01 and today"], id="future-date"),
    pytest.param("assessment_date", "01/06/2016", ["column 'assessment_date'", "could not be read as a date"],
                 id="day-first-date"),
]


@pytest.mark.parametrize("column, value, words", BAD)
def test_a_bad_cell_names_column_rule_and_row(valid, column, value, words):
    message = frame_refusal(TABLE, edited(valid, (2, column, value)), words)
    assert "breaks 1 rule(s)" in message, message


def test_a_level_that_is_not_the_band_of_its_score_is_refused(valid):
    message = frame_refusal(TABLE, edited(valid, (2, "pam_score", "50.0"), (2, "pam_level", "4")))  # 50.0 is level 2
    assert "rows, rule pam_level matches pam_score (the level must be the published band of the score)" in message
    assert f"{ROW3}: pam_score=50.0, pam_level=4" in message


def test_a_duplicate_assessment_is_refused(valid):
    message = frame_refusal(TABLE, edited(valid, (2, "assessment_id", valid.loc[0, "assessment_id"])))
    assert "column 'assessment_id'" in message and "field_uniqueness" in message and "2 row(s)" in message


def test_an_unknown_provider_is_refused(valid):
    message = frame_refusal(TABLE, edited(valid, (2, "provider_code", "ZZZ-P99")))
    assert "column 'provider_code'" in message and f"{ROW3}: 'ZZZ-P99'" in message
