"""Counting beyond chance: between-unit variance, beta-binomial and gamma-Poisson shrinkage, shrinkage on a funnel's
scale, the gap the data support and the excess over a funnel limit, each worked by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ivanalysis.stats.funnel import Z95, Z998, proportion_funnel, rate_funnel
from ivanalysis.stats.shrinkage import (
    beta_binomial,
    between_variance,
    beyond_limit,
    funnel_shrinkage,
    gamma_poisson,
    gap_beyond_chance,
    q_test,
    shrink,
)

pytestmark = pytest.mark.unit


def test_between_variance_by_hand():
    # y = 1, 3 with variances 0.2 each: w = 5, 5; weighted mean 2; Q = 5 x 1 + 5 x 1 = 10;
    # sum w - sum w^2 / sum w = 10 - 50 / 10 = 5; sigma2 = (10 - 1) / 5 = 1.8
    assert between_variance([1.0, 3.0], [0.2, 0.2]) == pytest.approx(1.8)
    # no more spread than chance: Q = 5 x 0.01 x 2 = 0.1 < k - 1 = 1, so 0
    assert between_variance([1.9, 2.1], [0.2, 0.2]) == 0.0
    assert between_variance([5.0], [1.0]) == 0.0  # one unit: nothing to compare
    with pytest.raises(ValueError, match="variance above 0"):
        between_variance([1.0, 2.0], [0.0, 1.0])


def test_between_variance_only_with_evidence_when_asked():
    # y = 1.5, 2.5, variances 0.2: Q = 5 x 0.25 x 2 = 2.5 on 1 degree of freedom, p = P(chi2_1 > 2.5) = 0.114:
    # (2.5 - 1) / 5 = 0.3 without a test, 0 when evidence at 5% is asked for; y = 1, 3: Q = 10, p = 0.0016: 1.8
    assert between_variance([1.5, 2.5], [0.2, 0.2]) == pytest.approx(0.3)
    assert between_variance([1.5, 2.5], [0.2, 0.2], evidence=0.05) == 0.0
    assert between_variance([1.5, 2.5], [0.2, 0.2], evidence=0.2) == pytest.approx(0.3)
    assert between_variance([1.0, 3.0], [0.2, 0.2], evidence=0.05) == pytest.approx(1.8)


def test_q_test_with_independent_and_with_correlated_errors():
    from scipy.stats import chi2

    # independent: y = 1, 3, variances 0.2: Q = 10 on 1 degree of freedom, p = 0.001565
    assert q_test([1.0, 3.0], np.diag([0.2, 0.2])) == pytest.approx(chi2.sf(10, 1))
    assert q_test([1.0, 3.0], np.diag([0.2, 0.2])) == pytest.approx(0.001565, abs=1e-6)
    # correlated: variances 1, covariance 0.5. Q = (1 - 2)^2 + (3 - 2)^2 = 2, but y1 - y2 has variance 2 (1 - 0.5) = 1,
    # so Q / (1 - 0.5) = 4 is chi-squared on 1 degree of freedom: p = P(chi2_1 > 4) = 0.0455 (0.157 if taken as
    # independent). Omega x covariance = 0.25 [[1, -1], [-1, 1]]: mean 0.5, variance 2 x 0.25 = 0.5, scale 0.5, df 1
    assert q_test([1.0, 3.0], np.array([[1.0, 0.5], [0.5, 1.0]])) == pytest.approx(chi2.sf(4, 1))
    assert q_test([1.0, 3.0], np.array([[1.0, 0.5], [0.5, 1.0]])) == pytest.approx(0.0455, abs=1e-4)


def test_normal_shrinkage_by_hand():
    # sigma2 4; variances 4 and 1: B = 4 / 8 = 0.5 and 4 / 5 = 0.8; toward 12: 12 + 0.5 (10 - 12) = 11,
    # 12 + 0.8 (20 - 12) = 18.4; posterior sd sqrt(0.5 x 4) = sqrt 2 and sqrt(0.8 x 1)
    shrunk, b, sd = shrink([10.0, 20.0], [4.0, 1.0], 12.0, 4.0)
    assert shrunk == pytest.approx([11.0, 18.4])
    assert b == pytest.approx([0.5, 0.8])
    assert sd == pytest.approx([math.sqrt(2), math.sqrt(0.8)])
    # a centre per unit, and sigma2 = 0: every unit at its own centre
    shrunk, b, sd = shrink([10.0, 20.0], [4.0, 1.0], [9.0, 21.0], 0.0)
    assert shrunk == pytest.approx([9.0, 21.0]) and b == pytest.approx([0, 0]) and sd == pytest.approx([0, 0])


def test_beta_binomial_by_hand():
    # A 7/20, B 13/20: pooled p = 0.5, sampling variances 0.25 / 20 = 1/80 (w = 80 each); Q = 80 x 0.15^2 x 2 = 3.6;
    # 160 - 12800 / 160 = 80; sigma2 = (3.6 - 1) / 80 = 0.0325; M = 0.25 / 0.0325 - 1 = 87/13;
    # A: (7 + 0.5 x 87/13) / (20 + 87/13) = 134.5 / 347 = 0.387608; B: 212.5 / 347 = 0.612392;
    # reliability 20 / (20 + 87/13) = 260/347 = 0.749280; posterior sd sqrt(p (1 - p) / (n + M + 1))
    s = beta_binomial(["A", "B"], [7, 13], [20, 20])
    assert s.method == "beta-binomial" and s.centre == 0.5 and s.sigma2 == pytest.approx(0.0325)
    assert s.shrunk().to_dict() == pytest.approx({"A": 134.5 / 347, "B": 212.5 / 347})
    assert s.data["weight"].tolist() == pytest.approx([260 / 347] * 2)
    post = 134.5 / 347
    assert s.data["sd"].iloc[0] == pytest.approx(math.sqrt(post * (1 - post) / (20 + 87 / 13 + 1)))
    # shrinkage is the reliability's share of the gap: 0.5 + 0.749280 x (0.35 - 0.5) = 0.387608
    assert 0.5 + 260 / 347 * (0.35 - 0.5) == pytest.approx(post)


def test_beta_binomial_with_no_real_difference_shrinks_every_unit_to_the_pool():
    # A 9/20, B 11/20: Q = 80 x 0.05^2 x 2 = 0.4 < 1, so sigma2 = 0 and both shrink to 0.5 with weight 0
    s = beta_binomial(["A", "B"], [9, 11], [20, 20])
    assert s.sigma2 == 0 and s.shrunk().tolist() == [0.5, 0.5] and s.data["weight"].tolist() == [0, 0]
    assert beta_binomial(["A", "B"], [0, 0], [5, 9]).shrunk().tolist() == [0, 0]  # all at 0%: nothing varies
    with pytest.raises(ValueError, match="unit 'B': numerator 6 is larger"):
        beta_binomial(["A", "B"], [1, 6], [5, 5])


def test_gamma_poisson_by_hand():
    # A 10 events in 10 of exposure, B 30 in 10: pooled r = 2, sampling variances r / E = 0.2 (w = 5);
    # Q = 5 x 1 + 5 x 1 = 10; sigma2 = (10 - 1) / 5 = 1.8; shape 4 / 1.8 = 20/9, rate 2 / 1.8 = 10/9;
    # A: (10 + 20/9) / (10 + 10/9) = 110/100 = 1.1; B: 290/100 = 2.9; reliability 10 / (100/9) = 0.9;
    # sd A = sqrt(110/9) / (100/9) = 0.314643. Per 1,000: 1,100 and 2,900.
    s = gamma_poisson(["A", "B"], [10, 30], [10, 10], per=1000)
    assert s.method == "gamma-Poisson" and s.centre == 2000 and s.sigma2 == pytest.approx(1.8)
    assert s.shrunk().to_dict() == pytest.approx({"A": 1100.0, "B": 2900.0})
    assert s.data["rate"].tolist() == [1000.0, 3000.0]
    assert s.data["weight"].tolist() == pytest.approx([0.9, 0.9])
    assert s.data["sd"].iloc[0] == pytest.approx(1000 * math.sqrt(110 / 9) / (100 / 9))
    # no more spread than Poisson: 19 and 21 in 10 each, Q = 5 x 0.01 x 2 < 1: both at the pooled 2
    assert gamma_poisson(["A", "B"], [19, 21], [10, 10]).shrunk().tolist() == [2.0, 2.0]
    # 16 and 24 in 10 each: Q = 5 x 0.16 x 2 = 1.6 on 1 degree of freedom (p = 0.21): sigma2 = (1.6 - 1) / 5 = 0.12
    # without a test, so partly shrunk; with evidence at 5% asked for, all the way to the pooled 2
    assert gamma_poisson(["A", "B"], [16, 24], [10, 10]).sigma2 == pytest.approx(0.12)
    assert gamma_poisson(["A", "B"], [16, 24], [10, 10], evidence=0.05).shrunk().tolist() == [2.0, 2.0]
    # 7/20 and 13/20 (test_beta_binomial_by_hand): Q = 3.6 on 1 degree of freedom, p = 0.058: not evidence at 5%,
    # evidence at 10%
    assert beta_binomial(["A", "B"], [7, 13], [20, 20], evidence=0.05).shrunk().tolist() == [0.5, 0.5]
    assert beta_binomial(["A", "B"], [7, 13], [20, 20], evidence=0.10).sigma2 == pytest.approx(0.0325)


def test_funnel_shrinkage_uses_the_funnels_tau2_on_its_scale():
    # test_funnel's five units against 0.25: tau2 = 0.104489 on the arcsine scale. B (8/16): y = pi/4, target pi/6,
    # s^2 = 1/64, reliability 0.104489 / (0.104489 + 0.015625) = 0.869915, shrunk angle
    # pi/6 + 0.869915 x pi/12 = 0.751342, proportion sin^2 = 0.465970
    f = proportion_funnel(["A", "B", "C", "D", "E"], [1, 8, 27, 16, 50], [4, 16, 36, 64, 100], target=0.25)
    s = funnel_shrinkage(f)
    b = s.data.set_index("unit").loc["B"]
    assert f.tau2 == pytest.approx(0.104489, abs=1e-6)
    assert b["weight"] == pytest.approx(0.869915, abs=1e-6)
    assert b["shrunk"] == pytest.approx(math.sin(math.pi / 6 + 0.869915 * math.pi / 12) ** 2, abs=1e-6)
    assert b["shrunk"] == pytest.approx(0.465970, abs=1e-6)
    assert s.data.set_index("unit").loc["A", "shrunk"] == pytest.approx(0.25)  # on the target: stays there


def test_funnel_shrinkage_of_rates_and_with_no_overdispersion():
    # 4 units at exactly the pooled rate but one: no spread beyond Poisson, tau2 = 0, everyone at the target
    f = rate_funnel(["A", "B", "C", "D"], [100, 101, 99, 100], [1000, 1000, 1000, 1000], per=1000)
    assert f.tau2 == 0
    assert funnel_shrinkage(f).shrunk().tolist() == pytest.approx([100.0] * 4)
    # a widely spread set: pooled 600 events in 4,000 (0.15 a unit), so C's expected count is 150; on the square-root
    # scale y = sqrt(300 / 150), s^2 = 1 / (4 x 150), B = tau2 / (tau2 + s^2), drawn back as (1 + B (y - 1))^2 x 150
    f = rate_funnel(["A", "B", "C", "D"], [50, 100, 300, 150], [1000, 1000, 1000, 1000], per=1000)
    s = funnel_shrinkage(f).data.set_index("unit")
    expected = 0.15 * 1000  # pooled: 600 events in 4,000
    y = math.sqrt(300 / expected)
    b = f.tau2 / (f.tau2 + 1 / (4 * expected))
    assert s.loc["C", "weight"] == pytest.approx(b)
    assert s.loc["C", "shrunk"] == pytest.approx((1 + b * (y - 1)) ** 2 * 150)
    assert 150 < s.loc["C", "shrunk"] < 300


def test_gap_beyond_chance():
    # shrunk 0.3, 0.2, 0.1 against 0.2: gaps 0.1, 0, 0 (no netting off); at 97.5%: 0.1 - 1.959964 x 0.05 = 0.002002
    sd = [0.05, 0.05, 0.05]
    assert gap_beyond_chance([0.3, 0.2, 0.1], 0.2, sd) == pytest.approx([0.1, 0, 0])
    assert gap_beyond_chance([0.3, 0.2, 0.1], 0.2, sd, confidence=0.975) == pytest.approx([0.1 - Z95 * 0.05, 0, 0])
    assert gap_beyond_chance([0.3, 0.2, 0.1], 0.2, sd, higher_is_worse=False) == pytest.approx([0, 0, 0.1])
    with pytest.raises(ValueError, match="confidence"):
        gap_beyond_chance([0.3], 0.2, confidence=1.0)


def test_beyond_limit_by_hand():
    # target 0.25, n = 100, no adjustment: upper 99.8% limit sin^2(pi/6 + 3.090232 / 20) = sin^2(0.678110) = 0.393534;
    # 50/100 is 0.106466 above it: 10.65 cases beyond the limit; 25/100 is within (0)
    f = proportion_funnel(["A", "B"], [25, 50], [100, 100], target=0.25, overdispersion="none")
    out = beyond_limit(f, "998").set_index("unit")
    assert out.loc["B", "limit"] == pytest.approx(math.sin(math.pi / 6 + Z998 / 20) ** 2)
    assert out.loc["B", "limit"] == pytest.approx(0.393534, abs=1e-6)
    assert out.loc["B", "excess"] == pytest.approx(10.6466, abs=1e-4)
    assert out.loc["A", "excess"] == 0
    # at 95% the limit is sin^2(pi/6 + 1.959964 / 20) = 0.339113: 16.09 cases
    assert beyond_limit(f, "95").set_index("unit").loc["B", "excess"] == pytest.approx(16.0887, abs=1e-4)
    # low: the shortfall below the lower limit, none here
    assert beyond_limit(f, "998", "low")["excess"].tolist() == [0, 0]


def test_beyond_limit_of_a_rate_counts_events():
    # 2 units of 1,000 exposure at 100 and 200 events: the excess rate per 1,000 times exposure / 1,000 = events
    f = rate_funnel(["A", "B"], [100, 200], [1000, 1000], per=1000, overdispersion="none")
    out = beyond_limit(f, "95").set_index("unit")
    limit = (1 + Z95 / (2 * math.sqrt(150))) ** 2 * 150  # pooled 0.15 a unit of exposure, E = 150
    assert out.loc["B", "limit"] == pytest.approx(limit)
    assert out.loc["B", "excess"] == pytest.approx(200 - limit)
    assert np.isclose(out.loc["A", "excess"], 0)
