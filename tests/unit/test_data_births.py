"""The births schema refuses typical bad rows with a message naming the column and the rule."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.synth import births
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit
NAME = "births"
ROW3 = "row 3 (line 4)"


@pytest.fixture(scope="module")
def valid() -> pd.DataFrame:
    geo = load_geography()
    return births.generate(geo, provider_sizes(geo, 2019), 2019, 0.0002).head(10).astype(str)


def test_valid_rows_load_typed(valid, tmp_path):
    df = load_csv(tmp_path, NAME, valid)
    assert len(df) == 10
    assert df["gestation_weeks"].between(22, 44).all()
    assert str(df["birth_date"].dtype) == "datetime64[ns]"


def test_every_provider_with_births_is_a_maternity_provider():
    geo = load_geography()
    sizes = provider_sizes(geo, 2019)
    df = births.generate(geo, sizes, 2019, 0.01)
    units = births.maternity_providers(geo, sizes)
    assert set(df["provider_code"]) <= set(units.index)
    assert len(units) == len(sizes) - len(geo.hubs())  # the smallest provider of each hub has no maternity service
    assert df["gestation_weeks"].lt(37).mean() == pytest.approx(births.PRETERM_SHARE, abs=0.01)


@pytest.mark.parametrize("edits, words", [
    pytest.param([(2, "gestation_weeks", "50")], ["column 'gestation_weeks'", "in_range(22, 44)", f"{ROW3}: 50"],
                 id="gestation-too-long"),
    pytest.param([(2, "gestation_weeks", "")], ["column 'gestation_weeks'", f"{ROW3}: (empty)"], id="gestation-empty"),
    pytest.param([(2, "birth_date", "03/05/2017")], ["column 'birth_date'", "could not be read as a date",
                                                     f"{ROW3}: '03/05/2017'"], id="day-first-date"),
    pytest.param([(2, "birth_date", "1999-12-31")], ["column 'birth_date'", "between 2000-01-01 and today"],
                 id="date-before-2000"),
    pytest.param([(0, "birth_id", "B-DUP"), (2, "birth_id", "B-DUP")],
                 ["column 'birth_id'", "field_uniqueness", "2 row(s)"], id="duplicate-birth"),
    pytest.param([(2, "provider_code", "NOPE-1")], ["column 'provider_code'", "provider listed in params/geography"],
                 id="unknown-provider"),
])
def test_bad_rows_are_refused_naming_column_and_rule(valid, tmp_path, edits, words):
    message = refusal(tmp_path, NAME, edited(valid, *edits), words)
    assert "breaks 1 rule(s)" in message, message
