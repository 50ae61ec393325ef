"""The neonatal_admissions schema refuses typical bad rows with a message naming the column and the rule."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.synth import neonatal_admissions
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit
NAME = "neonatal_admissions"
ROW3 = "row 3 (line 4)"


@pytest.fixture(scope="module")
def valid() -> pd.DataFrame:
    """Ten valid rows, every cell as the text of a CSV file."""
    geo = load_geography()
    df = neonatal_admissions.generate(geo, provider_sizes(geo, 2019), 2019, 0.002).head(10)
    return df.astype(str)


def test_valid_rows_load_typed(valid, tmp_path):
    df = load_csv(tmp_path, NAME, valid)
    assert len(df) == 10
    assert df["gestation_weeks"].dtype == "int64"
    assert str(df["admission_date"].dtype) == "datetime64[ns]"
    assert set(df["avoidable"]) <= {"yes", "no", "not_reviewed"}


@pytest.mark.parametrize("edits, words", [
    pytest.param([(2, "primary_reason", "colic")], ["column 'primary_reason'", "isin(", f"{ROW3}: 'colic'"],
                 id="unknown-reason"),
    pytest.param([(2, "gestation_weeks", "19")], ["column 'gestation_weeks'", "in_range(22, 44)", f"{ROW3}: 19"],
                 id="gestation-too-short"),
    pytest.param([(2, "gestation_weeks", "39.5")], ["column 'gestation_weeks'", "could not be read as 'int64'"],
                 id="gestation-not-whole-weeks"),
    pytest.param([(2, "cot_days_special_care", "-1")], ["column 'cot_days_special_care'", "in_range(0, 365)",
                                                        f"{ROW3}: -1"], id="negative-cot-days"),
    pytest.param([(2, "cot_days_intensive", "0"), (2, "cot_days_high_dependency", "0"),
                  (2, "cot_days_special_care", "0")],
                 ["rule cot_days_intensive + cot_days_high_dependency + cot_days_special_care >= 1",
                  "an admission lasts at least one cot day", ROW3], id="no-cot-days"),
    pytest.param([(2, "gestation_weeks", "39"), (2, "primary_reason", "prematurity")],
                 ["primary_reason prematurity needs gestation_weeks below 37",
                  "a baby born at term cannot be admitted for prematurity", f"{ROW3}: "], id="term-prematurity"),
    pytest.param([(2, "avoidable", "maybe")], ["column 'avoidable'", "isin(['yes', 'no', 'not_reviewed'])",
                                                 f"{ROW3}: 'maybe'"],
                 id="avoidable-not-yes-or-no"),
    pytest.param([(2, "admission_date", "2099-01-01")], ["column 'admission_date'", "between 2000-01-01 and today"],
                 id="future-date"),
    pytest.param([(0, "admission_id", "NA-DUP"), (2, "admission_id", "NA-DUP")],
                 ["column 'admission_id'", "field_uniqueness", "2 row(s)"], id="duplicate-admission"),
    pytest.param([(2, "provider_code", "ZZZ-P99")], ["column 'provider_code'", "provider listed in params/geography",
                                                     f"{ROW3}: 'ZZZ-P99'"], id="unknown-provider"),
])
def test_bad_rows_are_refused_naming_column_and_rule(valid, tmp_path, edits, words):
    message = refusal(tmp_path, NAME, edited(valid, *edits), words)
    assert "breaks 1 rule(s)" in message, message  # one broken rule, no knock-on failures
