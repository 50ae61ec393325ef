"""Segmented regression (interrupted time series) against series whose step and slope change are known by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ivanalysis.stats.its import newey_west_lags, segmented_regression

pytestmark = pytest.mark.unit

MONTHS = pd.date_range("2015-04-01", periods=24, freq="MS")
START = pd.Timestamp("2016-04-01")  # the 13th month: 12 points before, 12 after


def known_series() -> np.ndarray:
    # before: 100 + 2t; from t = 12: a step of -10 and the slope falls by 3 (from +2 to -1 a month)
    t = np.arange(24)
    post = t >= 12
    return 100 + 2 * t + np.where(post, -10 - 3 * (t - 12), 0)


def test_an_exact_series_gives_back_its_step_and_slope_change():
    r = segmented_regression(known_series(), MONTHS, START, hac=False)
    assert r.baseline_level == pytest.approx(100)
    assert r.baseline_slope == pytest.approx(2)
    assert r.level_change == pytest.approx(-10)
    assert r.slope_change == pytest.approx(-3)
    assert (r.points_before, r.points_after) == (12, 12)
    # the counterfactual carries the trend before on: at t = 23 it is 100 + 2 x 23 = 146, the fit 146 - 10 - 33 = 103
    last = r.data.iloc[-1]
    assert last["counterfactual"] == pytest.approx(146)
    assert last["fitted"] == pytest.approx(103)
    assert r.data["fitted"].to_numpy() == pytest.approx(known_series())
    # over the 12 months after: sum of (-10 - 3k) for k = 0..11 = -120 - 3 x 66 = -318
    assert r.difference == pytest.approx(-318)


def test_noise_leaves_the_truth_inside_the_confidence_intervals():
    # +/-1 alternating noise: the estimates move a little, the 95% intervals still hold the true values
    y = known_series() + np.where(np.arange(24) % 2 == 0, 1.0, -1.0)
    r = segmented_regression(y, MONTHS, START)
    assert r.level_ci[0] < -10 < r.level_ci[1]
    assert r.slope_ci[0] < -3 < r.slope_ci[1]
    assert r.level_change == pytest.approx(-10, abs=1.5)
    assert r.slope_change == pytest.approx(-3, abs=0.2)
    assert r.slope_p < 0.001  # a fall of 3 a month against noise of 1 is clear
    assert r.covariance == "HAC (Newey-West, 2 lags)"


def test_no_change_gives_no_step_and_no_slope_change():
    y = 50 + 0.5 * np.arange(24) + np.where(np.arange(24) % 2 == 0, 0.3, -0.3)
    r = segmented_regression(y, MONTHS, START)
    assert r.level_ci[0] < 0 < r.level_ci[1]
    assert r.slope_ci[0] < 0 < r.slope_ci[1]


def test_summary_says_step_and_slope_with_intervals():
    text = segmented_regression(known_series() + np.where(np.arange(24) % 2 == 0, 1.0, -1.0), MONTHS, START).summary()
    assert text.startswith("Before April 2016 the series changed by +2.0 a month.")
    assert "stepped by -" in text and "95% CI" in text and "slope changed by -3.0 a month" in text
    assert "Over the 12 months after the start" in text


def test_newey_west_lags_rule():
    # floor(4 x (24 / 100)^(2/9)) = floor(2.91) = 2; floor(4 x (100 / 100)^(2/9)) = 4
    assert newey_west_lags(24) == 2
    assert newey_west_lags(100) == 4


@pytest.mark.parametrize("start, words", [
    (pd.Timestamp("2015-06-01"), "2 before and 22 after"),
    (pd.Timestamp("2017-02-01"), "22 before and 2 after"),
    (pd.Timestamp("2019-01-01"), "24 before and 0 after"),
])
def test_too_few_points_on_one_side_is_refused(start, words):
    with pytest.raises(ValueError, match=words):
        segmented_regression(known_series(), MONTHS, start)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        segmented_regression([1.0, 2.0], MONTHS, START)
    with pytest.raises(ValueError, match="finite"):
        segmented_regression(np.r_[known_series()[:-1], np.nan], MONTHS, START)
    with pytest.raises(ValueError, match="increasing"):
        segmented_regression(known_series(), MONTHS[::-1], START)


# --- benefits realisation: intervals on combinations of the coefficients -----------------------------------------
NOISY = known_series() + np.where(np.arange(24) % 2 == 0, 1.0, -1.0)


def test_exact_series_slope_after_effect_and_difference():
    r = segmented_regression(known_series(), MONTHS, START, hac=False)
    assert r.slope_after == pytest.approx(-1)  # +2 before, -3 change
    assert r.effect_at(0)[0] == pytest.approx(-10)
    assert r.effect_at(11)[0] == pytest.approx(-43)  # -10 - 3 x 11
    lo, hi = r.difference_ci
    assert lo == pytest.approx(-318) and hi == pytest.approx(-318)  # no residual, no width
    assert r.lag1_autocorrelation == 0.0
    with pytest.raises(ValueError, match="k must be from 0 to 11"):
        r.effect_at(12)


def test_difference_interval_by_plain_least_squares():
    # OLS by hand: b = (X'X)^-1 X'y, s^2 = RSS / (24 - 4), V = s^2 (X'X)^-1. The difference over the 12 months
    # after is c . b with c = (0, 0, 12, 0 + 1 + ... + 11 = 66); its interval c . b -/+ t(0.975; 20) sqrt(c' V c).
    from scipy.stats import t as student

    t = np.arange(24.0)
    post = (t >= 12).astype(float)
    X = np.column_stack([np.ones(24), t, post, (t - 12) * post])
    b = np.linalg.solve(X.T @ X, X.T @ NOISY)
    resid = NOISY - X @ b
    V = resid @ resid / 20 * np.linalg.inv(X.T @ X)
    c = np.array([0, 0, 12, 66.0])
    half = student.ppf(0.975, 20) * np.sqrt(c @ V @ c)
    r = segmented_regression(NOISY, MONTHS, START, hac=False)
    assert r.difference == pytest.approx(c @ b)
    assert r.difference_ci == pytest.approx((c @ b - half, c @ b + half))
    # the slope after is b1 + b3: variance V11 + V33 + 2 V13
    half_slope = student.ppf(0.975, 20) * np.sqrt(V[1, 1] + V[3, 3] + 2 * V[1, 3])
    assert r.slope_after_ci == pytest.approx((b[1] + b[3] - half_slope, b[1] + b[3] + half_slope))
    # lag-1 autocorrelation of those residuals: alternating noise -> strongly negative
    assert r.lag1_autocorrelation == pytest.approx(resid[1:] @ resid[:-1] / (resid @ resid))
    assert r.lag1_autocorrelation < -0.9


def test_hac_intervals_are_coherent_and_use_t_widens_them():
    r = segmented_regression(NOISY, MONTHS, START)
    # the combination (0, 0, 1, 0) is the step: the same interval as statsmodels' own for b2
    assert r.effect_at(0)[1:] == pytest.approx(r.level_ci)
    assert r.critical == pytest.approx(1.959964, abs=1e-6)  # HAC intervals are normal-based by default
    t_based = segmented_regression(NOISY, MONTHS, START, use_t=True)
    assert t_based.critical == pytest.approx(2.085963, abs=1e-6)  # t with 20 df
    assert t_based.difference == pytest.approx(r.difference)
    assert t_based.difference_ci[0] < r.difference_ci[0] < r.difference < r.difference_ci[1] < t_based.difference_ci[1]


def test_summary_can_carry_the_difference_interval():
    r = segmented_regression(NOISY, MONTHS, START, hac=False)
    lo, hi = r.difference_ci
    text = r.summary(difference_interval=True)
    assert text.endswith(f"the fitted values total -{abs(r.difference):,.1f} (95% CI -{abs(lo):,.1f} to "
                         f"-{abs(hi):,.1f}) against the trend before carried on.")
    assert "(95% CI" not in r.summary().split("total")[1]  # off by default
