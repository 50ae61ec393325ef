"""The ESC service return's schema refuses typical bad rows with a message naming the column (or the columns a row
rule compares), the rule and the row. Each bad table is one edit of a small valid table written as CSV."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit

TABLE = "esc_services"
ROW3 = "row 3 (line 4)"


def valid() -> pd.DataFrame:
    """Three offers of ESC at one provider (lung from May 2016, breast from January 2017); one not yet reviewed."""
    p = load_geography().get("NW").providers[0]
    return pd.DataFrame({
        "referral_id": ["ESC1", "ESC2", "ESC3"],
        "provider_code": [p, p, p],
        "patient_id": ["PC1", "PC2", "PC3"],
        "tumour_group": ["lung", "lung", "breast"],
        "service_start_date": ["2016-05-01", "2016-05-01", "2017-01-01"],
        "offer_date": ["2016-05-20", "2016-09-02", "2017-01-15"],
        "ipos_first": ["24", "31", "18"],
        "ipos_review": ["20", "", "11"],
    })


def test_the_valid_table_loads_typed(tmp_path):
    df = load_csv(tmp_path, TABLE, valid())
    assert str(df["service_start_date"].dtype) == "datetime64[ns]"
    assert df["ipos_first"].tolist() == [24, 31, 18]
    assert pd.isna(df.loc[1, "ipos_review"])  # not reviewed (yet): allowed


BAD = [
    pytest.param(edited(valid(), (2, "tumour_group", "liver")),
                 ["column 'tumour_group'", "isin(['lung', 'breast'", f"{ROW3}: 'liver'"], id="unknown-tumour-group"),
    pytest.param(edited(valid(), (2, "offer_date", "2016-12-01")),
                 ["rule offer_date >= service_start_date (ESC cannot be offered before the service started)",
                  f"{ROW3}: service_start_date=2017-01-01 00:00:00, offer_date=2016-12-01 00:00:00"],
                 id="offer-before-service"),
    pytest.param(edited(valid(), (2, "ipos_first", "70")),
                 ["column 'ipos_first'", "in_range(0, 68)", f"{ROW3}: 70"], id="ipos-above-68"),
    pytest.param(edited(valid(), (2, "ipos_review", "-1")),
                 ["column 'ipos_review'", "in_range(0, 68)", f"{ROW3}: -1.0"], id="negative-ipos"),
    pytest.param(edited(valid(), (2, "ipos_first", "")),
                 ["column 'ipos_first'", "could not be read as 'int64'", f"{ROW3}: (empty)"], id="no-first-ipos"),
    pytest.param(edited(valid(), (2, "service_start_date", "2016-13-01")),
                 ["column 'service_start_date'", "could not be read as a date", f"{ROW3}: '2016-13-01'"],
                 id="bad-start-date"),
    pytest.param(edited(valid(), (2, "referral_id", "ESC1")),
                 ["column 'referral_id'", "field_uniqueness", f"{ROW3}: 'ESC1'"], id="duplicate-referral"),
    pytest.param(edited(valid(), (2, "provider_code", "ZZZ-P99")),
                 ["column 'provider_code'", "provider listed in params/geography.yaml", f"{ROW3}: 'ZZZ-P99'"],
                 id="unknown-provider"),
]


@pytest.mark.parametrize("df, words", BAD)
def test_bad_rows_are_refused_naming_column_rule_and_row(tmp_path, df, words):
    refusal(tmp_path, TABLE, df, words)
