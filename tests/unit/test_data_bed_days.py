"""The occupied bed days schema refuses typical bad rows with a message naming the column and the rule."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.synth import bed_days
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit
NAME = "bed_days"
ROW3 = "row 3 (line 4)"


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    geo = load_geography()
    return bed_days.generate(geo, provider_sizes(geo, 2019), 2019, 1.0)


@pytest.fixture(scope="module")
def valid(generated) -> pd.DataFrame:
    return generated.head(10).astype(str)


def test_valid_rows_load_typed(valid, tmp_path):
    df = load_csv(tmp_path, NAME, valid)
    assert len(df) == 10
    assert df["occupied_bed_days"].dtype == "int64"
    assert str(df["month"].dtype) == "datetime64[ns]"


def test_generated_volumes_are_kh03_like(generated):
    # every provider has all 36 months; England occupies about 91,000 general and acute beds a day (KH03)
    assert generated.groupby("provider_code").size().eq(36).all()
    year = generated[(generated["month"] >= "2016-04-01") & (generated["month"] < "2017-04-01")]
    assert year["occupied_bed_days"].sum() / 365 == pytest.approx(91_000, rel=0.03)
    assert (generated["occupied_bed_days"] <= generated["available_bed_days"]).all()


def test_haematology_and_transplant_wards_are_at_20_centres(generated):
    # at least one centre per hub, on 3% to 6% of its occupied bed days; other providers have none
    share = generated.groupby("provider_code")[["haematology_transplant_bed_days", "occupied_bed_days"]].sum()
    share = share["haematology_transplant_bed_days"] / share["occupied_bed_days"]
    centres = share[share > 0]
    assert len(centres) == 20 and centres.between(0.028, 0.062).all()
    hubs = {load_geography().hub_of(p) for p in centres.index}
    assert len(hubs) == 10


@pytest.mark.parametrize("edits, words", [
    pytest.param([(2, "occupied_bed_days", "-3")], ["column 'occupied_bed_days'", "in_range(0, 5000000)",
                                                    f"{ROW3}: -3"], id="negative-bed-days"),
    pytest.param([(2, "occupied_bed_days", "1234.5")], ["column 'occupied_bed_days'",
                                                        "could not be read as 'int64'"], id="fraction-of-a-bed-day"),
    pytest.param([(2, "available_bed_days", "0")], ["column 'available_bed_days'", "in_range(1, 5000000)"],
                 id="no-beds-available"),
    pytest.param([(2, "month", "2016-05-31")], ["column 'month'", "the first day of a month", f"{ROW3}: 2016-05-31"],
                 id="month-end-date"),
    pytest.param([(2, "provider_code", "NOPE-1")], ["column 'provider_code'", "provider listed in params/geography"],
                 id="unknown-provider"),
    pytest.param([(0, "return_id", "KH-DUP"), (2, "return_id", "KH-DUP")],
                 ["column 'return_id'", "field_uniqueness", "2 row(s)"], id="duplicate-return-id"),
    pytest.param([(2, "occupied_bed_days", "999999")],
                 ["rule occupied_bed_days <= available_bed_days", "more beds cannot be occupied than are available",
                  "occupied_bed_days=999999"], id="more-occupied-than-available"),
    pytest.param([(2, "haematology_transplant_bed_days", "999999")],
                 ["rule haematology_transplant_bed_days <= occupied_bed_days",
                  "a ward's occupied bed days are part of the provider's"], id="more-on-the-units-than-occupied"),
    pytest.param([(2, "provider_code", "EM-P02"), (2, "month", "2015-04-01")],
                 ["rule one row per provider_code and month", "a provider's month appears more than once"],
                 id="provider-month-twice"),
])
def test_a_bad_row_is_named(valid, tmp_path, edits, words):
    message = refusal(tmp_path, NAME, edited(valid, *edits), words)
    assert "breaks 1 rule(s)" in message, message
