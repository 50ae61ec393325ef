"""The admissions table's schema refuses typical bad rows with a message naming the column (or the columns a row
rule compares), the rule and the row. Each bad table is one edit of a small valid table written as CSV."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

TABLE = "admissions"
ROW3 = "row 3 (line 4)"


def valid() -> pd.DataFrame:
    """Four valid spells, every cell as text: an emergency admission and a chemotherapy day case of a patient with
    incurable lung cancer who died, a knee replacement and a pacemaker day case."""
    p1, p2 = load_geography().get("LON").providers[:2]
    return pd.DataFrame({
        "spell_id": ["S1", "S2", "S3", "S4"],
        "provider_code": [p1, p1, p2, p2],
        "patient_id": ["PC1", "PC1", "PK1", "PD1"],
        "admission_date": ["2016-05-01", "2016-06-10", "2016-07-01", "2016-08-01"],
        "discharge_date": ["2016-05-08", "2016-06-10", "2016-07-04", "2016-08-01"],
        "admission_method": ["emergency", "day_case", "elective", "day_case"],
        "diagnosis": ["C34", "C34", "M17", "I44"],
        "procedure_group": ["", "chemotherapy", "knee_replacement", "cardiac_device"],
        "incurable_cancer": ["1", "1", "0", "0"],
        "date_of_death": ["2016-07-01", "2016-07-01", "", ""],
        "length_of_stay": ["7", "0", "3", "0"],
    })


def test_the_valid_table_loads_typed(tmp_path):
    df = load_csv(tmp_path, TABLE, valid())
    assert str(df["admission_date"].dtype) == "datetime64[ns]"
    assert df["incurable_cancer"].tolist() == [1, 1, 0, 0]
    assert pd.isna(df.loc[2, "date_of_death"]) and pd.isna(df.loc[0, "procedure_group"])


BAD = [
    pytest.param(edited(valid(), (2, "admission_method", "urgent")),
                 ["column 'admission_method'", "isin(['elective', 'emergency', 'day_case'])", f"{ROW3}: 'urgent'"],
                 id="unknown-method"),
    pytest.param(edited(valid(), (2, "diagnosis", "M1")),
                 ["column 'diagnosis'", "a 3-character ICD-10 code", f"{ROW3}: 'M1'"], id="short-diagnosis"),
    pytest.param(edited(valid(), (2, "procedure_group", "knee")),
                 ["column 'procedure_group'", "isin(['hip_replacement'", f"{ROW3}: 'knee'"], id="unknown-procedure"),
    pytest.param(edited(valid(), (2, "incurable_cancer", "2")),
                 ["column 'incurable_cancer'", "isin([0, 1])", f"{ROW3}: 2"], id="flag-not-0-or-1"),
    pytest.param(edited(valid(), (2, "incurable_cancer", "yes")),
                 ["column 'incurable_cancer'", "could not be read as 'int64'", f"{ROW3}: 'yes'"], id="flag-as-text"),
    pytest.param(edited(valid(), (2, "discharge_date", "2017-08-10"), (2, "length_of_stay", "405")),
                 ["column 'length_of_stay'", "in_range(0, 365)", f"{ROW3}: 405"], id="stay-over-a-year"),
    pytest.param(edited(valid(), (2, "length_of_stay", "2")),
                 ["rule length_of_stay = discharge_date - admission_date", f"{ROW3}: ",
                  "discharge_date=2016-07-04 00:00:00", "length_of_stay=2"], id="stay-does-not-match-dates"),
    pytest.param(edited(valid(), (2, "discharge_date", "2016-06-28"), (2, "length_of_stay", "-3")),
                 ["column 'length_of_stay'", "in_range(0, 365)", f"{ROW3}: -3"], id="discharged-before-admitted"),
    pytest.param(edited(valid(), (3, "discharge_date", "2016-08-02"), (3, "length_of_stay", "1")),
                 ["rule admission_method day_case has length_of_stay 0", "row 4 (line 5): ", "length_of_stay=1"],
                 id="day-case-overnight"),
    pytest.param(edited(valid(), (0, "date_of_death", "2016-05-05"), (1, "date_of_death", "2016-05-05")),
                 ["rule date_of_death >= discharge_date (no spell can end after the patient died)", "2 row(s)",
                  "row 1 (line 2): ", "date_of_death=2016-05-05 00:00:00"], id="spell-after-death"),
    pytest.param(edited(valid(), (2, "incurable_cancer", "1")),
                 ["rule incurable_cancer or procedure_group chemotherapy needs a cancer diagnosis", f"{ROW3}: ",
                  "diagnosis='M17'"], id="incurable-without-cancer"),
    pytest.param(edited(valid(), (2, "procedure_group", "chemotherapy")),
                 ["rule incurable_cancer or procedure_group chemotherapy needs a cancer diagnosis", f"{ROW3}: ",
                  "procedure_group='chemotherapy'"], id="chemotherapy-without-cancer"),
    pytest.param(edited(valid(), (2, "spell_id", "S1")),
                 ["column 'spell_id'", "field_uniqueness", "row 1 (line 2): 'S1'", f"{ROW3}: 'S1'"],
                 id="duplicate-spell"),
    pytest.param(edited(valid(), (2, "admission_date", "2099-07-01"), (2, "discharge_date", "2099-07-04")),
                 ["column 'admission_date'", "dates must lie between 2000-01-01 and today", f"{ROW3}: 2099-07-01"],
                 id="future-admission"),
    pytest.param(edited(valid(), (2, "provider_code", "ZZZ-P99")),
                 ["column 'provider_code'", "provider listed in params/geography.yaml", f"{ROW3}: 'ZZZ-P99'"],
                 id="unknown-provider"),
]


@pytest.mark.parametrize("df, words", BAD)
def test_bad_rows_are_refused_naming_column_rule_and_row(tmp_path, df, words):
    refusal(tmp_path, TABLE, df, words)
