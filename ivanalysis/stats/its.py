"""Interrupted time series: segmented regression of a before / after comparison at the date a change started.

The model (Wagner et al. 2002, "Segmented regression analysis of interrupted time series studies in medication
use research") for equally spaced points t = 0, 1, ... with the change from point t0:

    y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t + e_t,   post_t = 1 from t0 on

b1 is the trend before, b2 the step (level change) when the change starts and b3 the change in slope. The
counterfactual is the trend before, carried on (b0 + b1 t); the difference the change made over the points after
it is the sum of fitted minus counterfactual, b2 + b3 (t - t0), over those points. Monthly health data are
autocorrelated, so standard errors are Newey-West (HAC) by default; statsmodels fits the model.

For benefits realisation the result also gives a confidence interval on that difference (a linear combination
of b2 and b3, so its variance is c' V c with the same covariance V as the coefficients), the slope after the start
(b1 + b3), the effect at any point after the start (b2 + b3 k), and the lag-1 autocorrelation of the residuals
(how much the HAC correction matters).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .spc import SPCResult

MIN_SIDE = 3  # points needed before and after the change for a level and a slope on each side


@dataclass(frozen=True, eq=False)
class ITSResult:
    """A fitted segmented regression: one row per point in `data` (x, y, t, post, fitted, counterfactual)."""

    data: pd.DataFrame
    start: pd.Timestamp
    baseline_level: float  # b0: the fitted value at the first point
    baseline_slope: float  # b1: change per point before the start
    baseline_ci: tuple[float, float]
    baseline_p: float
    level_change: float  # b2: the step at the start
    level_ci: tuple[float, float]
    level_p: float
    slope_change: float  # b3: change in slope per point after the start
    slope_ci: tuple[float, float]
    slope_p: float
    covariance: str  # "HAC (Newey-West, k lags)" or "OLS"
    coefficients: np.ndarray  # b0..b3
    cov: np.ndarray  # their 4 x 4 covariance (HAC or OLS), for intervals on combinations of them
    critical: float  # the quantile the intervals use (normal for HAC unless use_t; t with n - 4 df for OLS)
    alpha: float  # 1 - the intervals' coverage
    lag1_autocorrelation: float  # of the residuals: near 0, HAC and OLS agree; far from 0, trust only HAC

    def _interval(self, c: np.ndarray) -> tuple[float, float, float]:
        """Estimate and confidence interval of the combination c . b."""
        est = float(c @ self.coefficients)
        half = self.critical * math.sqrt(max(float(c @ self.cov @ c), 0.0))
        return est, est - half, est + half

    def effect_at(self, k: int) -> tuple[float, float, float]:
        """Fitted minus counterfactual at the k-th point after the start (0: the first), with its interval."""
        if not 0 <= k < self.points_after:
            raise ValueError(f"k must be from 0 to {self.points_after - 1}, not {k}")
        return self._interval(np.array([0.0, 0.0, 1.0, float(k)]))

    @property
    def difference_ci(self) -> tuple[float, float]:
        """Confidence interval of `difference`: m b2 + b3 (0 + 1 + ... + m - 1) over the m points after."""
        m = self.points_after
        _, lo, hi = self._interval(np.array([0.0, 0.0, float(m), m * (m - 1) / 2]))
        return lo, hi

    @property
    def slope_after(self) -> float:
        """Change per point after the start (b1 + b3)."""
        return self.baseline_slope + self.slope_change

    @property
    def slope_after_ci(self) -> tuple[float, float]:
        _, lo, hi = self._interval(np.array([0.0, 1.0, 0.0, 1.0]))
        return lo, hi

    @property
    def difference(self) -> float:
        """Sum over the points after the start of fitted minus counterfactual (negative: fewer than expected)."""
        after = self.data[self.data["post"] == 1]
        return float((after["fitted"] - after["counterfactual"]).sum())

    @property
    def points_before(self) -> int:
        return int((self.data["post"] == 0).sum())

    @property
    def points_after(self) -> int:
        return int((self.data["post"] == 1).sum())

    def summary(self, fmt: Callable[[float], str] = lambda v: f"{v:,.1f}", per: str = "month",
                difference_interval: bool = False, total: bool = True) -> str:
        """A sentence on the step and the change in slope, each with its confidence interval.

        difference_interval: add the interval of the total difference after the start (the benefit realised).
        total: say the total difference after the start (False for a share or a rate, whose sum means nothing).
        """
        def signed(v: float) -> str:
            return ("+" if v > 0 else "-" if v < 0 else "") + fmt(abs(v))

        def ci(lo: float, hi: float) -> str:
            return f"{1 - self.alpha:.0%} CI {signed(lo)} to {signed(hi)}"

        def p(v: float) -> str:
            return "p < 0.001" if v < 0.001 else f"p = {v:.3f}"

        return (f"Before {self.start:%B %Y} the series changed by {signed(self.baseline_slope)} a {per}. When the "
                f"change started it stepped by {signed(self.level_change)} ({ci(*self.level_ci)}, "
                f"{p(self.level_p)}), and its slope changed by {signed(self.slope_change)} a {per} "
                f"({ci(*self.slope_ci)}, {p(self.slope_p)})."
                + (f" Over the {self.points_after} {per}s after the start, the fitted values total "
                   f"{signed(self.difference)}" + (f" ({ci(*self.difference_ci)})" if difference_interval else "")
                   + " against the trend before carried on." if total else ""))


def fittable_starts(x: Sequence, starts: Sequence, min_side: int = MIN_SIDE) -> list[pd.Timestamp]:
    """The dates of `starts` a series at `x` can be split at, in order: each kept date leaves at least `min_side`
    points since the previous kept date (or the first point) and from it to the end, so every stretch has enough
    points for a segmented regression on either side. The others (outside the series, or too close to its ends or
    to another date) are left out."""
    x = pd.DatetimeIndex(pd.to_datetime(list(x)))
    kept: list[pd.Timestamp] = []
    for start in sorted({pd.Timestamp(s) for s in starts}):
        since = x >= kept[-1] if kept else np.ones(len(x), dtype=bool)
        if int((since & (x < start)).sum()) >= min_side and int((x >= start).sum()) >= min_side:
            kept.append(start)
    return kept


def at_rebases(trend: SPCResult, **options) -> tuple[ITSResult, ...]:
    """A segmented regression at each rebase of a rebased XmR chart (limits recalculated from a change date).

    Each is fitted on the two groups either side of its rebase only, from the previous rebase (or the first point)
    to the next (or the last): a trend before that crossed an earlier change would carry that change on as if it
    were a trend. The chart's labels must be dates; a point without a value (a gap on the chart) is left out of the
    fit but keeps its place in time. `options` go to segmented_regression (hac, lags, alpha, use_t).
    """
    d = trend.data
    fits = []
    for g in range(1, len(trend.groups)):
        two = d[d["group"].isin((g - 1, g))]
        fits.append(segmented_regression(two["y"].to_numpy(dtype=float), two["x"], trend.groups[g].start,
                                          allow_missing=True, **options))
    return tuple(fits)


def newey_west_lags(n: int) -> int:
    """The usual automatic choice of lags: floor(4 (n / 100)^(2/9))."""
    return math.floor(4 * (n / 100) ** (2 / 9))


def segmented_regression(y: Sequence[float], x: Sequence, start, *, hac: bool = True, lags: int | None = None,
                         alpha: float = 0.05, use_t: bool = False, allow_missing: bool = False) -> ITSResult:
    """Fit the segmented regression to `y` at equally spaced points `x` (e.g. months), with the change from `start`.

    The points from the first x >= start on are "after". hac=False gives plain OLS standard errors (and t-based
    intervals). With HAC the intervals are normal-based, as statsmodels gives them; use_t=True makes them t-based
    with n - 4 degrees of freedom, wider and safer for the short series (24 to 36 months) usual here.
    allow_missing: a missing value (NaN) is left out of the fit but keeps its place in time (t), as a month with no
    data keeps its place on an XmR chart; the Newey-West lags then treat the points either side of it as
    neighbours. Without it a missing value is refused.
    """
    import statsmodels.api as sm

    y = np.asarray(y, dtype=float)
    x = pd.DatetimeIndex(pd.to_datetime(list(x)))
    if len(y) != len(x):
        raise ValueError(f"y and x differ in length: {len(y)} and {len(x)}")
    seen = np.isfinite(y)
    if not seen.all() and not allow_missing:
        raise ValueError("y must be finite numbers (no missing values, or allow_missing=True to leave them out)")
    if not x.is_monotonic_increasing:
        raise ValueError("x must be in increasing order")
    start = pd.Timestamp(start)
    post = (x >= start).astype(int)
    before, after = int((seen & (post == 0)).sum()), int((seen & (post == 1)).sum())  # points with a value
    if before < MIN_SIDE or after < MIN_SIDE:
        raise ValueError(f"a segmented regression needs at least {MIN_SIDE} points before and after the start "
                         f"({start:%Y-%m-%d}); there are {before} before and {after} after")
    t = np.arange(len(y), dtype=float)
    t0 = float((post == 0).sum())  # the start's place in time
    design = np.column_stack([np.ones_like(t), t, post, (t - t0) * post])
    model = sm.OLS(y[seen], design[seen])
    if hac:
        k = newey_west_lags(int(seen.sum())) if lags is None else int(lags)
        fit = model.fit(cov_type="HAC", cov_kwds={"maxlags": k}, use_t=use_t)
        covariance = f"HAC (Newey-West, {k} lags)"
    else:
        fit = model.fit()
        covariance = "OLS"
    b = fit.params
    ci = fit.conf_int(alpha)
    data = pd.DataFrame({"x": x, "y": y, "t": t, "post": post, "fitted": design @ b,
                         "counterfactual": b[0] + b[1] * t})
    return ITSResult(data=data, start=start, baseline_level=float(b[0]), baseline_slope=float(b[1]),
                     baseline_ci=(float(ci[1][0]), float(ci[1][1])), baseline_p=float(fit.pvalues[1]),
                     level_change=float(b[2]), level_ci=(float(ci[2][0]), float(ci[2][1])),
                     level_p=float(fit.pvalues[2]), slope_change=float(b[3]),
                     slope_ci=(float(ci[3][0]), float(ci[3][1])), slope_p=float(fit.pvalues[3]),
                     covariance=covariance, coefficients=np.asarray(b, dtype=float),
                     cov=np.asarray(fit.cov_params(), dtype=float), critical=_critical(fit, alpha), alpha=alpha,
                     lag1_autocorrelation=_lag1(np.asarray(fit.resid, dtype=float), y[seen]))


def _critical(fit, alpha: float) -> float:
    """The quantile statsmodels used for the coefficients' intervals (t with the residual df, or normal)."""
    from scipy import stats

    return float(stats.t.ppf(1 - alpha / 2, fit.df_resid) if fit.use_t else stats.norm.ppf(1 - alpha / 2))


def _lag1(r: np.ndarray, y: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals: sum r_t r_(t-1) / sum r_t^2 (0 when the fit is exact to rounding)."""
    ss = float(r @ r)
    return float(r[1:] @ r[:-1]) / ss if ss > 1e-20 * float(y @ y) else 0.0
