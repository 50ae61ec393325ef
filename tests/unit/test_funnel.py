"""Funnel plot for proportions: limits, pooled target, phi / tau2, flags and input checks by hand."""
from __future__ import annotations

import math

import pytest

from ivanalysis.stats.funnel import (
    Z95,
    Z998,
    exact_poisson_limits,
    proportion_funnel,
    rate_funnel,
    ratio_of_counts_funnel,
    standardised_ratio_funnel,
)

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
FIVE = {"units": ["A", "B", "C", "D", "E"], "numerator": [1, 8, 27, 16, 50], "denominator": [4, 16, 36, 64, 100]}
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


# --- when to widen for overdispersion ----------------------------------------------------------------------------
def test_widen_when_phi_is_between_k_minus_1_over_k_and_1():
    # Five units of n = 100 against a fixed 0.3, no Winsorising: s = 1/20, z = 20 (asin sqrt p - asin sqrt 0.3):
    # 21/100: 20 (0.4760338 - 0.5796397) = -2.0721185; 27/100: 20 (0.5464006 - 0.5796397) = -0.6647835; 30s: 0.
    # phi = (4.2936750 + 0.4419372) / 5 = 0.9471224: above (k - 1) / k = 0.8 but not above 1.
    # w = 4n = 400 each: spread = 2000 - 800000 / 2000 = 1600; tau2 = (5 x 0.9471224 - 4) / 1600 = 0.00045976.
    kw = {"units": list("abcde"), "numerator": [30, 21, 27, 30, 30], "denominator": [100] * 5, "target": 0.3,
          "winsorise": None}
    ours = proportion_funnel(**kw, widen_when="tau2_positive")  # widen whenever tau2 > 0
    assert ours.phi == pytest.approx(0.9471224, abs=1e-7)
    assert ours.tau2 == pytest.approx(0.00045976, abs=1e-8)
    assert (ours.method, ours.overdispersed) == ("additive", True)
    funnelplotr = proportion_funnel(**kw)  # the default, as FunnelPlotR 0.6.0: only when phi > 1
    assert (funnelplotr.method, funnelplotr.overdispersed) == ("none", False)
    assert funnelplotr.tau2 == ours.tau2  # the estimate is the same; only the decision differs
    assert funnelplotr.summary().endswith("no overdispersion adjustment is needed (phi = 0.95).")
    # with phi > 1 both rules widen (the FIVE units have phi 13.2)
    assert proportion_funnel(**FIVE, target=0.25, widen_when="phi_above_1").method == "additive"
    with pytest.raises(ValueError, match="widen_when"):
        proportion_funnel(**kw, widen_when="always")


# --- exact Poisson limits ----------------------------------------------------------------------------------------
def test_exact_poisson_limits_match_funnelplotr_published_expectations():
    # FunnelPlotR's tests/testthat/test-poisson_limits.R: calculate_limits at expected 15, 20, 30, target 1
    lo95, hi95 = exact_poisson_limits([15, 20, 30], Z95)
    lo998, hi998 = exact_poisson_limits([15, 20, 30], Z998)
    assert list(lo95.round(7)) == [0.5596924, 0.6108260, 0.6746958]
    assert list(hi95.round(6)) == [1.649348, 1.544419, 1.427562]
    assert list(lo998.round(7)) == [0.3862650, 0.4479107, 0.5289724]
    assert list(hi998.round(6)) == [2.082907, 1.902094, 1.702771]


def test_exact_poisson_limits_are_the_poisson_tails_at_e_5():
    # At E = 5 the 95% limits L, U are where a Poisson count of mean 5L reaches 5 or more with probability 0.025,
    # and one of mean 5U stays at 5 or fewer with probability 0.025 (chi2(0.025; 10) / 10, chi2(0.975; 12) / 10).
    from scipy.stats import poisson

    (lo,), (hi,) = (a.reshape(1) for a in exact_poisson_limits(5.0, Z95))
    assert poisson.sf(4, 5 * lo) == pytest.approx(0.025, abs=1e-8)
    assert poisson.cdf(5, 5 * hi) == pytest.approx(0.025, abs=1e-8)
    assert (lo, hi) == pytest.approx((0.3246973, 2.3336664), abs=1e-7)
    # O = 0..10 against E = 5 (target rate 1, exposure 5 each): ratios 0, 0.2, ..., 2.0. Only 0 (below the 99.8%
    # limit 0.1478744) and 0.2 (below 0.3246973) are flagged; 2.0 is inside the upper limit 2.3336664.
    f = rate_funnel([f"O{o}" for o in range(11)], list(range(11)), [5] * 11, target=1, exact_poisson=True,
                    overdispersion="none")
    assert f.data["lcl998"].iloc[0] == pytest.approx(0.1478744, abs=1e-7)
    assert list(f.data["flag"]) == ["low_998", "low_95"] + ["within"] * 9
    # the default square-root limits at E = 5: 1.959964 / (2 sqrt 5) = 0.438262, (1 - 0.438262)^2 = 0.315550, so
    # 0.2 is low_95 there too, but their upper limit (1 + 0.438262)^2 = 2.068595 is narrower than the exact 2.3336664
    default = rate_funnel(["x"], [5], [5], target=1, overdispersion="none")
    assert (default.data["lcl95"].iloc[0], default.data["ucl95"].iloc[0]) == pytest.approx((0.315550, 2.068595),
                                                                                          abs=1e-6)


def test_exact_poisson_only_when_the_limits_are_not_widened():
    f = rate_funnel(["a", "b", "c"], [10, 40, 100], [50, 50, 50], exact_poisson=True)
    assert f.method == "additive"
    lo, hi = f.limits(50, Z95)
    # widened: (1 -/+ z sqrt(1 / (4E) + tau2))^2 x rate, E = 50 x 1 = 50 (pooled rate 150 / 150 = 1)
    se = math.sqrt(1 / 200 + f.tau2)
    assert (float(lo), float(hi)) == pytest.approx(((1 - Z95 * se) ** 2, (1 + Z95 * se) ** 2))


# --- SHMI standardised ratios ------------------------------------------------------------------------------------
SHMI_O = [70, 80, 90, 95, 100, 101, 105, 110, 120, 150]


def test_shmi_truncation_phi_and_limits_by_hand():
    # Ten units, E = 100 each: z = sqrt(100) ln(O / 100) = -3.566749, -2.231436, -1.053605, -0.512933, 0, 0.099503,
    # 0.487902, 0.953102, 1.823216, 4.054651. Bands floor(rank x 10 / 11): rank 1 -> 0 and rank 10 -> 9 are left
    # out (O = 70 and 150); ranks 2..9 -> bands 1..8 stay.
    # phi = (4.979307 + 1.110084 + 0.263100 + 0 + 0.009901 + 0.238048 + 0.908403 + 3.324117) / 8 = 10.832960 / 8
    #     = 1.354120 (from the 8 units kept, n = 8)
    # w = E = 100 for the 8 kept: spread = 800 - 80000 / 800 = 700; tau2 = (8 x 1.354120 - 7) / 700 = 0.0054757
    # Limits at E = 100: exp(-/+ z sqrt(1/100 + 0.0054757)) = exp(-/+ z x 0.124401):
    #   95% 0.783627 / 1.276117; 99.8% 0.680840 / 1.468775
    r = standardised_ratio_funnel([f"u{o}" for o in SHMI_O], SHMI_O, [100] * 10)
    assert list(r.data["in_phi"]) == [False] + [True] * 8 + [False]
    assert r.phi_units == 8
    assert r.phi == pytest.approx(1.354120, abs=1e-6)
    assert r.tau2 == pytest.approx(0.0054757, abs=1e-7)
    assert r.method == "additive" and r.target == 1.0
    row = r.data.iloc[0]
    assert (row["lcl95"], row["ucl95"]) == pytest.approx((0.783627, 1.276117), abs=1e-6)
    assert (row["lcl998"], row["ucl998"]) == pytest.approx((0.680840, 1.468775), abs=1e-6)
    # 0.70 is below 0.7836 but above 0.6808; 1.50 is above 1.4688
    assert list(r.data["flag"]) == ["low_95"] + ["within"] * 8 + ["high_998"]
    assert r.summary(lambda v: f"{v:.2f}").startswith("Against an expected ratio of 1 (observed equal to expected)")


def test_shmi_truncation_bands_with_twenty_units_and_ties():
    # 20 units: band floor(rank x 10 / 21) is 0 for ranks 1, 2 and 9 for ranks 19, 20: two left out at each end.
    # Ties take the average rank: three units tied at the top have ranks 18, 19, 20 -> 19 each -> band 9, so all
    # three are left out (and the unit ranked 17 stays: band floor(170 / 21) = 8).
    o = list(range(81, 98)) + [130, 130, 130]  # 17 distinct, then 3 tied
    r = standardised_ratio_funnel([f"u{i}" for i in range(20)], o, [100] * 20, overdispersion="none")
    assert list(r.data["in_phi"]) == [False, False] + [True] * 15 + [False] * 3


def test_shmi_rounds_expected_to_two_decimals_as_funnelplotr():
    # 2.675 is stored as 2.67499999...: correctly rounded it is 2.67 (as R >= 4.0.0); 4.999 -> 5
    r = standardised_ratio_funnel(["a", "b", "c"], [3, 5, 4], [2.675, 4.999, 4.0], overdispersion="none")
    assert list(r.data["denominator"]) == [2.67, 5.0, 4.0]
    assert r.data["rate"].iloc[0] == pytest.approx(3 / 2.67)
    unrounded = standardised_ratio_funnel(["a", "b", "c"], [3, 5, 4], [2.675, 4.999, 4.0], round_expected=False,
                                          overdispersion="none")
    assert unrounded.data["denominator"].iloc[1] == 4.999
    # unadjusted SHMI limits are exact Poisson at the (rounded) expected count
    lo, hi = exact_poisson_limits(5.0, Z95)
    assert (r.data["lcl95"].iloc[1], r.data["ucl95"].iloc[1]) == pytest.approx((float(lo), float(hi)))


def test_shmi_refuses_a_zero_count_it_cannot_truncate():
    with pytest.raises(ValueError, match="unit 'a' has no events"):
        standardised_ratio_funnel(["a", "b", "c"], [0, 5, 4], [3, 5, 4])


# --- ratio of counts ---------------------------------------------------------------------------------------------
def test_ratio_of_counts_hand_checked():
    # A 8 / 20, B 32 / 20: pooled ratio theta = 40 / 40 = 1.
    # A: y = ln(8.5 / 20.5) = -0.880359, s = sqrt(8 / 8.5^2 + 20 / 20.5^2) = 0.397891, z = -2.212553
    # B: y = ln(32.5 / 20.5) = 0.460815, s = sqrt(32 / 32.5^2 + 20 / 20.5^2) = 0.279082, z = 1.651184
    # Limits at D = 20: expected numerator 20, se = sqrt(2 x 20 / 20.5^2) = 0.308515;
    #   95% exp(-/+ 1.959964 x 0.308515) = 0.546250 / 1.830663; 99.8% exp(-/+ 3.090232 x 0.308515) = 0.385435 / 2.594471
    r = ratio_of_counts_funnel(["A", "B"], [8, 32], [20, 20], overdispersion="none")
    d = r.data.set_index("unit")
    assert r.kind == "ratio_of_counts" and r.target == pytest.approx(1.0)
    assert list(d["z"]) == pytest.approx([-0.880359 / 0.397891, 0.460815 / 0.279082], abs=1e-5)
    assert (d.loc["A", "lcl95"], d.loc["A", "ucl95"]) == pytest.approx((0.546250, 1.830663), abs=1e-6)
    assert (d.loc["A", "lcl998"], d.loc["A", "ucl998"]) == pytest.approx((0.385435, 2.594471), abs=1e-6)
    assert list(d["rate"]) == [0.4, 1.6]
    assert list(d["flag"]) == ["low_95", "within"]
    lo, hi = r.limits(20, Z95)
    assert (float(lo), float(hi)) == pytest.approx((0.546250, 1.830663), abs=1e-6)
