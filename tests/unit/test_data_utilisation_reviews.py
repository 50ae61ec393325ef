"""The utilisation_reviews schema refuses typical bad rows with a message naming the column and the rule."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.synth import utilisation_reviews
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit
NAME = "utilisation_reviews"
ROW3 = "row 3 (line 4)"


@pytest.fixture(scope="module")
def valid() -> pd.DataFrame:
    """Ten valid rows as CSV text; row 2 meets the criteria and row 4 does not."""
    geo = load_geography()
    df = utilisation_reviews.generate(geo, provider_sizes(geo, 2019), 2019, 0.005)
    met, not_met = df[df["meets_criteria"] == "yes"], df[df["meets_criteria"] == "no"]
    rows = pd.concat([met.iloc[:3], not_met.iloc[:1], met.iloc[3:9]], ignore_index=True)
    return rows.astype(str)


def test_valid_rows_load_typed(valid, tmp_path):
    df = load_csv(tmp_path, NAME, valid)
    assert len(df) == 10
    assert df["day_of_stay"].dtype == "int64"
    assert (df["day_of_stay"] <= df["spell_los_days"]).all()
    assert df.loc[3, "meets_criteria"] == "no" and df.loc[3, "reason"] != "none"


def test_the_generator_reviews_every_day_of_each_spell_once():
    geo = load_geography()
    df = utilisation_reviews.generate(geo, provider_sizes(geo, 2019), 2019, 0.01)
    assert not df.duplicated(["spell_id", "day_of_stay"]).any()
    whole = df.groupby("spell_id").agg(days=("day_of_stay", "size"), los=("spell_los_days", "first"),
                                       last=("review_date", "max"))
    # every day is reviewed, except the days of spells still open on 31 March 2018
    complete = whole["last"] < pd.Timestamp("2018-03-31")
    assert (whole.loc[complete, "days"] == whole.loc[complete, "los"]).all()


@pytest.mark.parametrize("edits, words", [
    pytest.param([(2, "meets_criteria", "Y")], ["column 'meets_criteria'", "isin(['yes', 'no'])", f"{ROW3}: 'Y'"],
                 id="meets-criteria-not-yes-or-no"),
    pytest.param([(3, "reason", "awaiting_godot")], ["column 'reason'", "isin(", "row 4 (line 5): 'awaiting_godot'"],
                 id="unknown-reason"),
    pytest.param([(3, "reason", "none")],
                 ["rule reason none exactly when meets_criteria is yes", "needs its reason", "row 4 (line 5)"],
                 id="not-met-without-a-reason"),
    pytest.param([(2, "reason", "awaiting_transport")],
                 ["rule reason none exactly when meets_criteria is yes", f"{ROW3}: meets_criteria='yes', "
                  "reason='awaiting_transport'"], id="met-with-a-reason"),
    pytest.param([(2, "day_of_stay", "400"), (2, "spell_los_days", "400")],
                 ["breaks 2 rule(s)", "column 'day_of_stay', rule in_range(1, 365)",
                  "column 'spell_los_days', rule in_range(1, 365)"], id="stay-over-a-year"),
    pytest.param([(2, "day_of_stay", "0")], ["column 'day_of_stay'", "in_range(1, 365)", f"{ROW3}: 0"],
                 id="day-0"),
    pytest.param([(2, "review_date", "2017-13-01")], ["column 'review_date'", "could not be read as a date"],
                 id="bad-date"),
    pytest.param([(0, "review_id", "CUR-DUP"), (2, "review_id", "CUR-DUP")],
                 ["column 'review_id'", "field_uniqueness", "2 row(s)"], id="duplicate-review"),
])
def test_bad_rows_are_refused_naming_column_and_rule(valid, tmp_path, edits, words):
    message = refusal(tmp_path, NAME, edited(valid, *edits), words)
    if "breaks 2 rule(s)" not in words:
        assert "breaks 1 rule(s)" in message, message


def test_a_day_beyond_the_end_of_its_spell_is_refused(valid, tmp_path):
    day = int(valid.loc[2, "spell_los_days"]) + 1
    message = refusal(tmp_path, NAME, edited(valid, (2, "day_of_stay", str(day))))
    assert "rule day_of_stay <= spell_los_days (a day reviewed lies within the spell)" in message
    assert f"{ROW3}: day_of_stay={day}" in message


def test_a_spell_day_reviewed_twice_is_refused(valid, tmp_path):
    twice = edited(valid, (0, "spell_id", "SP-TWICE"), (0, "day_of_stay", "1"), (0, "spell_los_days", "3"),
                   (1, "spell_id", "SP-TWICE"), (1, "day_of_stay", "1"), (1, "spell_los_days", "3"))
    message = refusal(tmp_path, NAME, twice)
    assert "multiple_fields_uniqueness" in message and "'SP-TWICE'" in message
