"""Scheme 20, Where to Look: counting beyond chance (each area's spend per head and its peers' shrunk toward the
peers' average before the gap), on hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.schemes import where_to_look as wtl

pytestmark = pytest.mark.unit

# The four areas of test_scheme_where_to_look: nearest two peers W -> X, Y; X -> W, Y; Y -> Z, X; Z -> Y, X.
VARIABLES = pd.DataFrame({"v1": [0.0, 1.0, 2.0, 5.0], "v2": [10.0, 10.0, 14.0, 14.0]}, index=["W", "X", "Y", "Z"])
PEERS = wtl.similar_peers(VARIABLES, n=2)


def rates(spend, variance) -> pd.DataFrame:
    return pd.DataFrame({"spend": spend, "variance": variance}, index=["W", "X", "Y", "Z"])


def test_sampling_variance_is_compound_poisson_at_englands_rate():
    # A: 2 spells of £1,000 (sum of squares 2 x 10^6), B: 1 of £2,000 (4 x 10^6): £4,000 over 400 people = £10 a head;
    # k = 6 x 10^6 / 4,000 = £1,500; A (100 people): 10 x 1,500 / 100 = 150; B (300 people): 50
    v = wtl.sampling_variance(pd.Series([2_000.0, 2_000.0], index=["A", "B"]),
                              pd.Series([2e6, 4e6], index=["A", "B"]), pd.Series([100.0, 300.0], index=["A", "B"]))
    assert v.to_dict() == pytest.approx({"A": 150.0, "B": 50.0})
    none = wtl.sampling_variance(pd.Series([0.0, 0.0]), pd.Series([0.0, 0.0]), pd.Series([1.0, 2.0]))
    assert none.tolist() == [0.0, 0.0]  # no spend at all: nothing to vary


def test_differences_far_beyond_chance_are_counted_almost_whole():
    # spend 20, 10, 20, 10 a head, chance variance 0.225 each. Differences from the peers' averages 5, -10, 10, -5
    # (chance variance 1.5 x 0.225); tau2 = (250/3 - 1.5 x 0.225) / 1.5 = 55.3306; B = tau2 / (tau2 + 0.225) = 0.995950
    tau2 = (250 / 3 - 1.5 * 0.225) / 1.5
    b = tau2 / (tau2 + 0.225)
    out = wtl.beyond_chance(rates([20.0, 10.0, 20.0, 10.0], [0.225] * 4), PEERS, best=1, confidence=0.5)
    w = out.loc["W"]
    # W: centre (10 + 20) / 2 = 15, shrunk 15 + 5 B; its best peer X shrunk toward W's centre: 15 - 5 B; gap 10 B
    assert (w["centre"], w["reliability"]) == pytest.approx((15.0, b))
    assert (w["shrunk"], w["benchmark"], w["counted"]) == pytest.approx((15 + 5 * b, 15 - 5 * b, 10 * b))
    assert out["counted"].to_dict() == pytest.approx({"W": 10 * b, "X": 0.0, "Y": 10 * b, "Z": 0.0})
    # 97.5% likely: less 1.959964 standard deviations of the gap, sqrt(B v + B v / 1^2) = sqrt(2 x 0.995950 x 0.225)
    strict = wtl.beyond_chance(rates([20.0, 10.0, 20.0, 10.0], [0.225] * 4), PEERS, best=1, confidence=0.975)
    assert strict.loc["W", "counted"] == pytest.approx(10 * b - 1.959964 * (2 * b * 0.225) ** 0.5, abs=1e-5)


def test_differences_that_chance_explains_count_nothing():
    # the same spend with 100 times the chance variance: Q = 250 / (1.5 x 22.5) = 7.41 on 3 degrees of freedom,
    # p = 0.06, not evidence at 5% that areas differ beyond chance: every area shrinks to its peers' level
    out = wtl.beyond_chance(rates([20.0, 10.0, 20.0, 10.0], [22.5] * 4), PEERS, best=1, confidence=0.5)
    assert out["reliability"].tolist() == [0.0] * 4 and out["counted"].tolist() == [0.0] * 4
    # every area at the same level: nothing at all
    same = wtl.beyond_chance(rates([15.0] * 4, [0.225] * 4), PEERS, best=1, confidence=0.5)
    assert same["counted"].tolist() == [0.0] * 4


def test_gap_confidence_is_checked():
    from ivanalysis.config import SchemeParams
    from ivanalysis.errors import ConfigError

    source = "Test assumptions, by hand"
    p = SchemeParams.model_validate({
        "scheme": "where_to_look", "period": "2016/17", "headline": "A test of the confidence check",
        "assumptions": {"gap_confidence": {"label": "c", "unit": "share", "low": 0.4, "moderate": 0.5, "high": 0.5,
                                           "source": source}}})
    with pytest.raises(ConfigError, match=r"gap_confidence \(low\) is 0.4"):
        wtl._confidence(p)
