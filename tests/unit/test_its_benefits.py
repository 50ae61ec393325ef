"""Benefits realisation: a change date in a scheme's params rebases the trend there, and the page estimates the shift
by an interrupted time series, each fitted on the months between neighbouring changes. Figures checked by hand."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ivanalysis.config import ChangeDate, SchemeParams
from ivanalysis.geography import load_geography
from ivanalysis.schemes.base import Period, proportion_measure, trend_rebase
from ivanalysis.stats.its import at_rebases, fittable_starts, segmented_regression
from ivanalysis.stats.spc import xmr

pytestmark = pytest.mark.unit

MONTHS = pd.date_range("2016-04-01", periods=12, freq="MS")
CHANGE = ChangeDate(date=dt.date(2016, 10, 1), label="Policy starts", source="a source of ten characters or more")
# a share that alternates 20%, 30% for six months, then 60%, 70% from October 2016: a step at the change date
SHARES = [0.2, 0.3] * 3 + [0.6, 0.7] * 3


def records(shares: list[float], providers: tuple[str, ...], per_month: int = 10) -> pd.DataFrame:
    """`per_month` records a month, spread over `providers`, with the month's share flagged."""
    rows = []
    for month, share in zip(MONTHS, shares):
        flagged = round(share * per_month)
        for i in range(per_month):
            rows.append({"provider_code": providers[i % len(providers)], "when": month, "flag": i < flagged})
    return pd.DataFrame(rows)


def measure(changes: tuple[ChangeDate, ...]):
    geo = load_geography()
    hub = geo.get("LON")
    return proportion_measure(records(SHARES, hub.providers[:2]), flag="flag", date="when", area=hub,
                              period=Period.financial_year("2016/17"), name="Share flagged", higher_is_better=True,
                              target=None, denominator_label="records", changes=changes)


def test_a_change_date_rebases_the_trend_into_two_groups_with_their_own_limits():
    trend = measure((CHANGE,)).trend
    before, after = trend.groups
    assert (before.start, after.start) == (MONTHS[0], MONTHS[6])
    # by hand: each group's moving ranges are all 0.1, so amr = 0.1 and the limits are the mean +/- 0.266
    assert (before.mean, before.amr) == pytest.approx((0.25, 0.1))
    assert (before.lpl, before.upl) == pytest.approx((0.25 - 0.266, 0.25 + 0.266))
    assert (after.mean, after.amr) == pytest.approx((0.65, 0.1))
    assert (after.lpl, after.upl) == pytest.approx((0.384, 0.916))
    # without the change the 0.4 jump (a moving range of 0.3 < 3.267 x amr) widens one set of limits over both
    plain = measure(()).trend
    assert len(plain.groups) == 1 and plain.mean == pytest.approx(0.45)


def test_the_shift_at_the_change_is_estimated_by_segmented_regression_with_its_interval():
    (fit,) = at_rebases(measure((CHANGE,)).trend, hac=False)
    # by hand: the model has a level and a slope on each side, so it is two separate straight lines. Before:
    # t = 0..5, y = 0.2, 0.3, ...: slope = sum(dt dy) / sum(dt^2) = 0.15 / 17.5 = 3/350; after, the same pattern.
    b1 = 3 / 350
    assert fit.baseline_slope == pytest.approx(b1)
    assert fit.slope_change == pytest.approx(0.0, abs=1e-12)
    # the step: the line after at t = 6 (0.65 - 2.5 b1) less the line before carried on to t = 6 (0.25 + 3.5 b1)
    step = 0.4 - 6 * b1
    assert fit.level_change == pytest.approx(step)  # 0.3486
    # its standard error: residual variance s^2 = RSS / (12 - 4), RSS = 2 x (0.015 - b1 x 0.15) from each side;
    # var(step) = s^2 x [(1/6 + 2.5^2 / 17.5) + (1/6 + 3.5^2 / 17.5)]
    s2 = 2 * (0.015 - b1 * 0.15) / 8
    se = np.sqrt(s2 * ((1 / 6 + 2.5**2 / 17.5) + (1 / 6 + 3.5**2 / 17.5)))
    half = stats.t.ppf(0.975, 8) * se  # 2.306 x 0.0690 = 0.1592
    assert fit.level_ci == pytest.approx((step - half, step + half))
    assert fit.level_ci == pytest.approx((0.18935, 0.50779), abs=1e-5)
    # with autocorrelation-robust (Newey-West) errors, the default, the same estimate as statsmodels gives directly
    (hac,) = at_rebases(measure((CHANGE,)).trend)
    direct = segmented_regression(SHARES, MONTHS, MONTHS[6])
    assert hac.level_change == pytest.approx(step)
    assert hac.level_ci == pytest.approx(direct.level_ci)
    assert hac.covariance == "HAC (Newey-West, 2 lags)"


def test_each_change_is_fitted_on_the_months_between_its_neighbours():
    # three steps of 10 at months 6 and 12, alternating +/-1 noise: each fit sees only the two groups beside it
    y = np.repeat([10.0, 20.0, 30.0], 6) + np.tile([-1.0, 1.0], 9)
    x = pd.date_range("2015-04-01", periods=18, freq="MS")
    trend = xmr(y, x, rebase=[x[6], x[12]])
    first, second = at_rebases(trend, hac=False)
    assert (first.data["x"].iloc[0], first.data["x"].iloc[-1]) == (x[0], x[11])
    assert (second.data["x"].iloc[0], second.data["x"].iloc[-1]) == (x[6], x[17])
    # each side's slope is 2 x 3/35 (the +/-1 pattern); the step 10 less 6 of those slopes
    assert second.baseline_slope == pytest.approx(6 / 35)
    assert second.level_change == pytest.approx(10 - 36 / 35)


def test_changes_too_close_to_the_ends_or_to_each_other_are_left_out():
    x = pd.date_range("2016-04-01", periods=12, freq="MS")
    assert fittable_starts(x, ["2016-07-01"]) == [pd.Timestamp("2016-07-01")]  # 3 months before, 9 after
    assert fittable_starts(x, ["2016-06-01"]) == []  # 2 before
    assert fittable_starts(x, ["2017-02-01"]) == []  # 2 after
    assert fittable_starts(x, ["2015-01-01", "2019-01-01"]) == []  # outside the series
    # October then November: November would leave October's group one month
    assert fittable_starts(x, ["2016-11-01", "2016-10-01"]) == [pd.Timestamp("2016-10-01")]
    assert trend_rebase(x, (CHANGE,)) == [pd.Timestamp("2016-10-01")]


def test_params_hold_change_dates_in_order_each_with_a_source():
    base = {"scheme": "x", "period": "2016/17", "headline": "a headline of some length", "assumptions": {}}
    later = {"date": "2017-04-01", "label": "Later", "source": "a source of ten characters or more"}
    p = SchemeParams.model_validate({**base, "changes": [CHANGE.model_dump(), later]})
    assert [c.date for c in p.changes] == [dt.date(2016, 10, 1), dt.date(2017, 4, 1)]
    assert SchemeParams.model_validate(base).changes == ()
    with pytest.raises(ValueError, match="in order"):
        SchemeParams.model_validate({**base, "changes": [later, CHANGE.model_dump()]})
    with pytest.raises(ValueError, match="source"):
        SchemeParams.model_validate({**base, "changes": [{"date": "2017-04-01", "label": "Later"}]})


def test_the_page_reports_each_change_with_its_interval_and_names_one_it_cannot_estimate():
    from ivanalysis.page.scheme_page import _changes_md

    late = ChangeDate(date=dt.date(2017, 2, 1), label="Too late", source="a source of ten characters or more")
    text = _changes_md(measure((CHANGE, late)).trend, (CHANGE, late), "percent")
    # the step of 0.3486 reads in percentage points, with the Newey-West interval
    (hac,) = at_rebases(measure((CHANGE,)).trend)
    lo, hi = (f"{v * 100:+.1f}" for v in hac.level_ci)
    assert "**Policy starts** (1 October 2016; segmented regression on 6 months from April 2016 and 6 to " \
           "March 2017, HAC (Newey-West, 2 lags) standard errors; in percentage points)" in text
    assert f"stepped by +34.9 (95% CI {lo} to {hi}, p " in text
    assert "**Too late** (1 February 2017): not estimated here" in text
    assert "Over the" not in text  # no total of shares


def test_a_month_without_rows_is_a_gap_on_the_trend_and_left_out_of_the_fit():
    from ivanalysis.schemes.base import trend_calendar

    geo = load_geography()
    hub = geo.get("LON")
    df = records(SHARES, hub.providers[:2])
    df = df[df["when"] != MONTHS[2]]  # June 2016: no rows at all
    m = proportion_measure(df, flag="flag", date="when", area=hub, period=Period.financial_year("2016/17"),
                           name="Share flagged", higher_is_better=True, target=None, denominator_label="records",
                           changes=(CHANGE,))
    trend = m.trend
    assert trend.data["x"].tolist() == list(MONTHS)  # June keeps its place, as a gap
    assert np.isnan(trend.data["y"].iloc[2]) and trend.missing == (MONTHS[2],)
    assert "1 point has no value (June 2016)" in trend.summary()
    # the group before has 5 values: 0.2, 0.3, (gap), 0.3, 0.2, 0.3: mean 0.26, moving ranges 0.1, 0, 0.1, 0.1
    assert (trend.groups[0].points, trend.groups[0].mean) == (5, pytest.approx(0.26))
    assert trend.groups[0].amr == pytest.approx(0.075)
    # the fit leaves June out but keeps every month's place in time: the same as fitting the 11 months at t
    (fit,) = at_rebases(trend, hac=False)
    t = np.delete(np.arange(12.0), 2)
    y = np.delete(np.array(SHARES), 2)
    design = np.column_stack([np.ones(11), t, t >= 6, (t - 6) * (t >= 6)])
    b = np.linalg.lstsq(design, y, rcond=None)[0]
    assert [fit.baseline_level, fit.baseline_slope, fit.level_change, fit.slope_change] == pytest.approx(b)
    assert (fit.points_before, fit.points_after) == (6, 6)  # months, June among them
    # the calendar of a trend is its points' common step: monthly with a month missing, or quarterly
    assert trend_calendar(MONTHS.delete(2)) == "1MS"
    assert trend_calendar(pd.date_range("2015-04-01", periods=8, freq="3MS")) == "3MS"
    assert trend_calendar(MONTHS[:1]) is None
