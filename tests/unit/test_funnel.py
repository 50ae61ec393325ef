"""Funnel plot for proportions: limits, pooled target, phi / tau2, flags and input checks by hand."""
from __future__ import annotations

import math

import pytest

from ivanalysis.stats.funnel import proportion_funnel, rate_funnel

pytestmark = pytest.mark.unit

# Five units against a target of 0.25, chosen so every angle is a multiple of pi/12:
# asin(sqrt(.25)) = pi/6, asin(sqrt(.5)) = pi/4, asin(sqrt(.75)) = pi/3; n = 4, 16, 36, 64, 100 so
# s = 1/(2 sqrt n) = 1/4, 1/8, 1/12, 1/16, 1/20 and z = (y - pi/6) x 2 sqrt(n):
#   A 1/4    p .25  z = 0
#   B 8/16   p .5   z = (pi/12) x 8  = 2pi/3
#   C 27/36  p .75  z = (pi/6) x 12  = 2pi
#   D 16/64  p .25  z = 0
#   E 50/100 p .5   z = (pi/12) x 20 = 5pi/3
# Sorted z: 0, 0, 2pi/3, 5pi/3, 2pi. Winsorising at 10% / 90% with linear interpolation (R's default):
#   10th percentile at position 4 x 0.1 = 0.4, between 0 and 0 -> 0
#   90th percentile at position 4 x 0.9 = 3.6 -> 5pi/3 + 0.6 x (2pi - 5pi/3) = 28pi/15, so C's 2pi -> 28pi/15
# phi = (1/5) x [(2pi/3)^2 + (28pi/15)^2 + (5pi/3)^2] = (pi^2/5) x (100 + 784 + 625)/225 = pi^2 x 1509/1125
#     = 9.8696 x 1.34133 = 13.2384
# w = 1/s^2 = 4n = 16, 64, 144, 256, 400: sum 880; sum w^2 = 256 + 4096 + 20736 + 65536 + 160000 = 250624
# tau2 = (5 phi - 4) / (880 - 250624/880) = (66.1921 - 4) / (880 - 284.8) = 62.1921 / 595.2 = 0.104489
FIVE = dict(units=["A", "B", "C", "D", "E"], numerator=[1, 8, 27, 16, 50], denominator=[4, 16, 36, 64, 100])
PHI = math.pi**2 * 1509 / 1125
TAU2 = (5 * PHI - 4) / 595.2


def test_limits_for_one_n_at_a_known_target():
    # p0 = 0.3, n = 100: y0 = asin(sqrt(0.3)) = 0.579640, s = 1/20 = 0.05
    # 95%:   0.579640 -/+ 1.959964 x 0.05 = 0.481641 / 0.677638 -> sin^2 = 0.214586 / 0.393072
    # 99.8%: 0.579640 -/+ 3.090232 x 0.05 = 0.425128 / 0.734152 -> sin^2 = 0.170105 / 0.448843
    r = proportion_funnel(["X"], [30], [100], target=0.3, overdispersion="none")
    row = r.data.iloc[0]
    assert row["lcl95"] == pytest.approx(0.214586, abs=1e-6)
    assert row["ucl95"] == pytest.approx(0.393072, abs=1e-6)
    assert row["lcl998"] == pytest.approx(0.170105, abs=1e-6)
    assert row["ucl998"] == pytest.approx(0.448843, abs=1e-6)
    curve = r.limits_curve(n_min=100, n_max=100, points=1)
    assert curve["ucl95"].iloc[0] == pytest.approx(0.393072, abs=1e-6)


def test_pooled_target():
    # (10 + 20 + 30) / (100 + 100 + 200) = 60 / 400 = 0.15, not the mean of the rates (0.1667)
    r = proportion_funnel(["a", "b", "c"], [10, 20, 30], [100, 100, 200])
    assert r.target == pytest.approx(0.15)


def test_phi_and_tau2_worked_by_hand():
    r = proportion_funnel(**FIVE, target=0.25)
    assert r.data["z"].tolist() == pytest.approx([0, 2 * math.pi / 3, 2 * math.pi, 0, 5 * math.pi / 3])
    assert r.phi == pytest.approx(13.2384, abs=1e-4)
    assert r.phi == pytest.approx(PHI)
    assert r.tau2 == pytest.approx(0.104489, abs=1e-6)
    assert r.tau2 == pytest.approx(TAU2)
    assert r.overdispersed is True
    assert r.method == "additive"  # "auto" follows FunnelPlotR: additive whenever tau2 > 0


def test_additive_limits_and_clipping():
    # E (n = 100): se = sqrt(1/400 + 0.104489) = sqrt(0.106989) = 0.327091
    # 95%: pi/6 -/+ 1.959964 x 0.327091 = 0.523599 -/+ 0.641090 = -0.117491 / 1.164689
    # The lower angle is below 0, so the limit is clipped to 0% rather than folding back to sin^2(-0.117) = 1.4%
    # Upper: sin(1.164689)^2 = 0.843946
    row = proportion_funnel(**FIVE, target=0.25).data.iloc[4]
    assert row["lcl95"] == 0.0
    assert row["ucl95"] == pytest.approx(0.843946, abs=1e-6)


def test_multiplicative_limits():
    # E (n = 100): se = 0.05 x sqrt(13.2384) = 0.05 x 3.638465 = 0.181923
    # 95%: 0.523599 -/+ 1.959964 x 0.181923 = 0.523599 -/+ 0.356563 = 0.167036 / 0.880162
    #   -> sin^2 = 0.027642 / 0.594197
    r = proportion_funnel(**FIVE, target=0.25, overdispersion="multiplicative")
    assert r.method == "multiplicative"
    assert r.data["lcl95"].iloc[4] == pytest.approx(0.027642, abs=1e-6)
    assert r.data["ucl95"].iloc[4] == pytest.approx(0.594197, abs=1e-6)


def test_no_overdispersion_when_every_rate_is_on_target():
    # Every rate is 0.2 = the pooled target: all z = 0, phi = 0, k phi = 0 < k - 1 = 2 -> tau2 = 0
    r = proportion_funnel(["a", "b", "c"], [20, 40, 100], [100, 200, 500])
    assert (r.phi, r.tau2, r.method, r.overdispersed) == (0.0, 0.0, "none", False)
    assert set(r.data["flag"]) == {"within"}


def test_flags():
    # Target 0.3, n = 100, no adjustment: 95% limits 0.2146 / 0.3931, 99.8% limits 0.1701 / 0.4488 (see above)
    r = proportion_funnel(["in", "hi95", "hi998", "lo95", "lo998"], [30, 40, 50, 20, 15], [100] * 5,
                          target=0.3, overdispersion="none")
    # 0.30 inside; 0.40 > 0.3931; 0.50 > 0.4488; 0.20 < 0.2146; 0.15 < 0.1701
    assert r.data["flag"].tolist() == ["within", "high_95", "high_998", "low_95", "low_998"]
    assert r.outliers("998")["unit"].tolist() == ["hi998", "lo998"]
    assert r.outliers("95")["unit"].tolist() == ["hi95", "hi998", "lo95", "lo998"]
    assert r.outliers("95", direction="low")["unit"].tolist() == ["lo95", "lo998"]
    assert r.summary(lambda v: f"{v:.0%}") == (
        "Against an overall rate of 30%, 1 of 5 providers lies above the 99.8% limit (better than expected: "
        "hi998) and 1 below it (worse than expected: lo998); the limits are not adjusted although there is "
        f"overdispersion (phi = {r.phi:.2f})."
    )


def test_summary_names_widening():
    text = proportion_funnel(**FIVE, target=0.25).summary(higher_is_better=False)
    assert "the limits are widened for overdispersion (tau-squared = 0.1)" in text  # 0.104489 to 2 s.f.


@pytest.mark.parametrize(
    ("num", "den", "message"),
    [
        ([5, 11], [10, 10], "unit 'b': numerator 11 is larger than denominator 10"),
        ([5, 0], [10, 0], "unit 'b': denominator must be above 0"),
        ([-1, 5], [10, 10], "unit 'a': numerator must be 0 or more"),
        ([5, float("nan")], [10, 10], "unit 'b': numerator and denominator must be present"),
        ([5], [10, 10], "differ in length"),
    ],
)
def test_input_errors(num, den, message):
    with pytest.raises(ValueError, match=message):
        proportion_funnel(["a", "b"], num, den)


def test_option_errors():
    with pytest.raises(ValueError, match="appears more than once"):
        proportion_funnel(["a", "a"], [1, 2], [10, 10])
    with pytest.raises(ValueError, match="overdispersion"):
        proportion_funnel(["a"], [1], [10], overdispersion="random")
    with pytest.raises(ValueError, match="target"):
        proportion_funnel(["a"], [1], [10], target=1.5)


# --- rates ------------------------------------------------------------------------------------------------------
def test_rate_funnel_hand_checked():
    # 10 and 30 events per 1,000 exposure: overall 20 per 1,000, so each unit expects E = 20.
    # Unit A: O/E = 0.5, s = 1 / (2 sqrt 20) = 0.11180, z = (sqrt 0.5 - 1) / s = -2.6197.
    # 95% limits at 1,000: 20 x (1 -/+ 1.959964 x 0.11180)^2 = 12.195 and 29.726; 99.8%: 8.567 and 36.207.
    f = rate_funnel(["A", "B"], [10, 30], [1000, 1000], per=1000, overdispersion="none")
    d = f.data.set_index("unit")
    assert f.kind == "rate" and f.target == pytest.approx(20.0)
    assert d.loc["A", "z"] == pytest.approx(-2.6197, abs=1e-4)
    assert d.loc["A", "rate"] == pytest.approx(10.0)
    assert (d.loc["A", "lcl95"], d.loc["A", "ucl95"]) == pytest.approx((12.195, 29.726), abs=1e-3)
    assert (d.loc["A", "lcl998"], d.loc["A", "ucl998"]) == pytest.approx((8.567, 36.207), abs=1e-3)
    assert list(d["flag"]) == ["low_95", "high_95"]
    lo, hi = f.limits(1000, 1.959964)
    assert (float(lo), float(hi)) == pytest.approx((12.195, 29.726), abs=1e-3)


def test_rate_funnel_allows_events_above_exposure_and_target():
    f = rate_funnel(["A", "B", "C"], [150, 90, 120], [100, 100, 100], target=1.0, overdispersion="none")
    assert f.target == pytest.approx(1.0)
    assert f.data["rate"].tolist() == pytest.approx([1.5, 0.9, 1.2])
    assert f.data.set_index("unit").loc["A", "flag"] == "high_998"


def test_rate_funnel_lower_limit_stops_at_zero():
    f = rate_funnel(["A", "B"], [0, 2], [1, 1000], per=1, overdispersion="none")
    assert (f.data["lcl998"] >= 0).all()
    curve = f.limits_curve()
    assert (curve["lcl998"] >= 0).all() and (curve["ucl998"] > curve["ucl95"]).all()


def test_rate_funnel_rejects_bad_input():
    with pytest.raises(ValueError, match="unit 'B': denominator must be above 0"):
        rate_funnel(["A", "B"], [1, 1], [10, 0])
    with pytest.raises(ValueError, match="per must be above 0"):
        rate_funnel(["A"], [1], [10], per=0)
