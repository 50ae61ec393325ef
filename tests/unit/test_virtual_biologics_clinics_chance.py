"""Scheme 4, virtual biologics clinics: counting beyond chance (the clinic effect tested, each provider's share shrunk
toward what its deciders would give at England's shares), on hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.schemes import virtual_biologics_clinics as vbc

pytestmark = pytest.mark.unit


def referrals(provider: str, decided_by: str, started: int, not_started: int, stopped: int = 0,
              switched: int = 0) -> pd.DataFrame:
    outcomes = ["start"] * started + ["do not start"] * not_started + ["stop"] * stopped + ["switch"] * switched
    kind = ["new"] * (started + not_started) + ["existing"] * (stopped + switched)
    return pd.DataFrame({"provider_code": provider, "decided_by": decided_by, "referral_type": kind,
                         "outcome": outcomes})


def test_clinic_effect_shown_by_hand():
    # 28 of 40 against 36 of 40: pooled 0.8, se sqrt(0.16 x (1/40 + 1/40)) = 0.089443, z = -0.2 / 0.089443 = -2.236,
    # p = 0.025: shown. 6 of 20 against 2 of 20: pooled 0.2, se sqrt(0.16 x 0.1) = 0.126491, z = 1.581, p = 0.114: not
    assert vbc.clinic_effect_shown(28, 40, 36, 40)
    assert not vbc.clinic_effect_shown(6, 20, 2, 20)
    assert not vbc.clinic_effect_shown(0, 0, 2, 20)  # no clinic: nothing to show


def test_counted_benchmarks_are_the_clinics_only_beyond_chance():
    # starts: the clinic's 28 of 40 against 36 of 40, shown: 0.70. Stops: 6 of 20 against 2 of 20, not shown:
    # England's 8 of 40 = 0.20
    df = pd.concat([referrals("P", "consultant", 36, 4, 2, 18), referrals("Q", vbc.VBC, 28, 12, 6, 14)])
    assert vbc.benchmarks(df) == pytest.approx((0.70, 0.30))
    assert vbc.counted_benchmarks(df) == pytest.approx((0.70, 0.20))


def test_providers_within_chance_of_each_other_count_at_englands_share():
    # consultants only, 17, 18 and 19 of 20 started: England 0.9, chance variance 0.09 / 20 = 0.0045 each;
    # Q = (0.05^2 + 0 + 0.05^2) / 0.0045 = 1.11 on 2 degrees of freedom (p = 0.57): every provider at 0.9 x 20 = 18
    df = pd.concat([referrals("A", "consultant", 17, 3, 1, 1), referrals("B", "consultant", 18, 2, 1, 1),
                    referrals("C", "consultant", 19, 1, 1, 1)])
    out = vbc.beyond_chance(df)
    assert out["starts_counted"].to_dict() == pytest.approx({"A": 18.0, "B": 18.0, "C": 18.0})
    assert out["stops_counted"].to_dict() == pytest.approx({"A": 1.0, "B": 1.0, "C": 1.0})


def test_providers_that_truly_differ_keep_most_of_their_difference():
    # 10, 50 and 90 of 100 started: England 0.5, chance variance 0.25 / 100 = 0.0025 (weight 400) each; Q = 400 x
    # (0.16 + 0 + 0.16) = 128; 1,200 - 3 x 400^2 / 1,200 = 800; tau2 = (128 - 2) / 800 = 0.1575; reliability
    # 0.1575 / (0.1575 + 0.0025) = 0.984375; A: 0.5 - 0.984375 x 0.4 = 0.10625, x 100 = 10.625 starts
    df = pd.concat([referrals("A", "consultant", 10, 90), referrals("B", "consultant", 50, 50),
                    referrals("C", "consultant", 90, 10)])
    out = vbc.beyond_chance(df)
    assert out["starts_counted"].to_dict() == pytest.approx({"A": 10.625, "B": 50.0, "C": 89.375})
    assert out["stops_counted"].tolist() == [0.0, 0.0, 0.0]  # no existing patients reviewed


def test_a_clinic_is_measured_against_clinics_and_consultants_against_consultants():
    # the clinic effect is shown (28 of 40 against 36 of 40), so each provider's expected share is its own deciders':
    # P (consultants) 0.9, Q (clinic) 0.7; both sit exactly there, so nothing is shrunk and the clinic provider
    # counts nothing against the clinics' benchmark
    df = pd.concat([referrals("P", "consultant", 36, 4), referrals("Q", vbc.VBC, 28, 12)])
    out = vbc.beyond_chance(df)
    assert out["starts_counted"].to_dict() == pytest.approx({"P": 36.0, "Q": 28.0})
