"""The biologics referrals schema refuses typical bad rows with a message naming the column and the rule."""
from __future__ import annotations

import pandas as pd
import pytest
from tables import edited, load_csv, refusal

from ivanalysis.data.synth import biologics_referrals
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit
NAME = "biologics_referrals"


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    geo = load_geography()
    return biologics_referrals.generate(geo, provider_sizes(geo, 2019), 2019, 0.05)


@pytest.fixture(scope="module")
def valid(generated) -> pd.DataFrame:
    """One row of each outcome (rows 0-3: start, do not start, switch, stop), as the text of a CSV file."""
    picks = [generated[generated["outcome"] == o].index[0] for o in ("start", "do not start", "switch", "stop")]
    out = generated.loc[picks].reset_index(drop=True)
    for column in ("referral_date", "decision_date", "first_dose_date", "stop_date"):
        out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), "")


def test_valid_rows_load_typed(valid, tmp_path):
    df = load_csv(tmp_path, NAME, valid)
    assert df["outcome"].tolist() == ["start", "do not start", "switch", "stop"]
    assert pd.isna(df.loc[1, "drug"]) and pd.isna(df.loc[1, "monthly_cost"])
    assert str(df["first_dose_date"].dtype) == "datetime64[ns]"


def test_clinics_start_and_hubs_differ():
    geo = load_geography()
    starts = biologics_referrals.vbc_starts(geo, provider_sizes(geo, 2019), 2019).dropna()
    assert 15 <= len(starts) <= 35  # about a quarter of 101 providers
    assert starts.between(biologics_referrals.VBC_FROM, biologics_referrals.VBC_TO).all()
    per_hub = starts.groupby(lambda p: geo.hub_of(p)).size().reindex([h.code for h in geo.hubs()], fill_value=0)
    assert per_hub.min() == 0 and per_hub.max() >= 3


@pytest.mark.parametrize("edits, words", [
    pytest.param([(0, "specialty", "cardiology")], ["column 'specialty'", "isin(['rheumatology'", "'cardiology'"],
                 id="unknown-specialty"),
    pytest.param([(0, "outcome", "continue")],
                 ["column 'outcome'", "isin(['start', 'do not start', 'switch', 'stop'])"],
                 id="unknown-outcome"),
    pytest.param([(0, "drug", "aspirin")], ["column 'drug'", "isin(['adalimumab'", "'aspirin'"], id="not-a-biologic"),
    pytest.param([(0, "decided_by", "nurse")], ["column 'decided_by'", "isin(['virtual clinic', 'consultant'])"],
                 id="unknown-decider"),
    pytest.param([(0, "monthly_cost", "-700")], ["column 'monthly_cost'", "more than 0 and at most 20000"],
                 id="negative-cost"),
    pytest.param([(0, "referral_date", "2017-13-01")], ["column 'referral_date'", "could not be read as a date"],
                 id="unreadable-date"),
    pytest.param([(0, "decision_date", "2014-01-01")], ["rule decision_date >= referral_date",
                                                        "a decision cannot come before the referral"],
                 id="decision-before-referral"),
    pytest.param([(0, "first_dose_date", "2001-01-01")], ["rule first_dose_date >= decision_date",
                                                          "a first dose cannot come before the decision"],
                 id="dose-before-decision"),
    pytest.param([(2, "outcome", "start")], ["rule outcome fits referral_type",
                                             "new referrals end in start or do not start"],
                 id="existing-patient-started"),
    pytest.param([(1, "first_dose_date", "2017-01-01")], ["rule first_dose_date only after outcome start or switch",
                                                          "a first dose follows a start or a switch only"],
                 id="dose-without-start"),
    pytest.param([(2, "drug", ""), (2, "monthly_cost", "")], ["rule drug given unless outcome is do not start",
                                                              "every outcome but do not start names its drug"],
                 id="switch-without-drug"),
    pytest.param([(2, "monthly_cost", "")], ["rule monthly_cost given with the drug",
                                             "a drug has a monthly cost"], id="drug-without-cost"),
    pytest.param([(3, "stop_date", "")], ["rule stop_date given when outcome is stop",
                                          "a stop has the date the biologic stopped"], id="stop-without-date"),
    pytest.param([(0, "provider_code", "NOPE-1")], ["column 'provider_code'", "provider listed in params/geography"],
                 id="unknown-provider"),
    pytest.param([(0, "referral_id", "VB-DUP"), (2, "referral_id", "VB-DUP")],
                 ["column 'referral_id'", "field_uniqueness", "2 row(s)"], id="duplicate-referral"),
])
def test_a_bad_row_is_named(valid, tmp_path, edits, words):
    message = refusal(tmp_path, NAME, edited(valid, *edits), words)
    assert "breaks 1 rule(s)" in message, message
