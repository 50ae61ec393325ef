"""Counting beyond chance: how much of a unit's gap to a benchmark the data support.

A provider's (or area's) observed rate is its true rate plus chance. Summing every unit's observed gap to a
benchmark counts chance as money: with no true differences at all, half the units sit above the mean by chance
alone, and a benchmark set among the better units is lower than the truth. Two ways to count only what the data
support are given here.

**Empirical-Bayes shrinkage** (the random-effects view behind funnel plots' over-dispersion, Spiegelhalter 2005).
True rates vary between units with a variance sigma2, estimated by the method of moments from how much more the
observed rates vary than chance allows (DerSimonian and Laird 1986, the estimator the funnel plot's tau2 uses).
Each unit's rate is pulled toward the centre by the share of its variance that chance explains:

    shrunk = centre + B (observed - centre),   B = sigma2 / (sigma2 + s2),

where s2 is the unit's sampling variance; B (the reliability) is near 1 for a large unit of a population whose
units truly differ, and 0 when the observed spread is no more than chance (sigma2 = 0: every unit shrinks to the
centre). For counts the conjugate forms are exact (Kleinman 1973; Clayton and Kaldor 1987; Marshall 1991):
- proportions, beta-binomial: prior Beta with the pooled mean p and variance sigma2, so a + b = M = p(1 - p) /
  sigma2 - 1; shrunk (x + a) / (n + M), B = n / (n + M);
- rates, gamma-Poisson: prior Gamma with the pooled rate r and variance sigma2, shape r^2 / sigma2 and rate
  beta = r / sigma2; shrunk (O + shape) / (E + beta), B = E / (E + beta).
A gap is then measured from the shrunk rates (the benchmark too, when it is a percentile of the units), and
`gap_beyond_chance` can ask for more certainty: it counts what is left of the gap once `z` posterior standard
deviations are taken off.

**Beyond the funnel limit**: count only the part of a unit's rate above the funnel's 95% or 99.8% limit
(`beyond_limit`), the strictest reading of a funnel plot.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from .funnel import FunnelResult


@dataclass(frozen=True, eq=False)
class Shrunk:
    """Shrunk rates: one row per unit in `data` (unit, numerator, denominator, rate, shrunk, weight, sd)."""

    data: pd.DataFrame  # weight: the reliability B (0 to 1); sd: the posterior standard deviation of the true rate
    centre: float  # what the units shrink toward: the pooled rate (per `per` for rates)
    sigma2: float  # the between-unit variance of true rates, on the natural scale (per unit of exposure for rates)
    method: str  # "beta-binomial" or "gamma-Poisson"
    per: float = 1.0

    def shrunk(self) -> pd.Series:
        return self.data.set_index("unit")["shrunk"]


def between_variance(estimate: np.ndarray | pd.Series, variance: np.ndarray | pd.Series, *,
                     evidence: float | None = None) -> float:
    """The variance of true values between units, by the method of moments (DerSimonian and Laird 1986).

    With weights w = 1 / variance around their weighted mean, Q = sum w (y - ybar)^2 and
    sigma2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w)): the spread beyond what the sampling variances
    explain. 0 for a single unit.
    evidence: if given (e.g. 0.05), sigma2 is 0 unless the units differ more than chance at that level: Cochran's Q
    above its chi-squared quantile with k - 1 degrees of freedom (the test of over-dispersion Spiegelhalter 2005
    describes). Without it, a spread that is chance alone still gives sigma2 > 0 about half the time.
    """
    y = np.asarray(estimate, dtype=float)
    v = np.asarray(variance, dtype=float)
    if y.shape != v.shape or y.ndim != 1:
        raise ValueError("estimate and variance must be one value per unit")
    if not (np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all()):
        raise ValueError("every unit needs a finite estimate and a sampling variance above 0")
    w = 1 / v
    spread = w.sum() - (w**2).sum() / w.sum()
    if len(y) < 2 or spread <= 0:
        return 0.0
    q = float((w * (y - (w * y).sum() / w.sum()) ** 2).sum())
    if evidence is not None:
        from scipy.stats import chi2

        if not 0 < evidence < 1:
            raise ValueError(f"evidence must be between 0 and 1, not {evidence!r}")
        if chi2.sf(q, len(y) - 1) >= evidence:
            return 0.0
    return max(0.0, (q - (len(y) - 1)) / spread)


def q_test(estimate: np.ndarray | pd.Series, covariance: np.ndarray) -> float:
    """The p-value of Cochran's Q = sum w (y - ybar)^2, w = 1 / the chance variances (the diagonal of `covariance`),
    when the units' chance errors are correlated (for example each area's difference from the average of peers it
    shares with other areas). Q is then a weighted sum of chi-squares, approximated by a scaled chi-squared with the
    same mean and variance (Satterthwaite 1946): with Omega = diag(w) - w w' / sum w and M = Omega x covariance,
    mean tr(M), variance 2 tr(M M). With independent errors (a diagonal covariance) it is the usual test of
    over-dispersion on k - 1 degrees of freedom."""
    from scipy.stats import chi2

    y = np.asarray(estimate, dtype=float)
    cov = np.asarray(covariance, dtype=float)
    if cov.shape != (len(y), len(y)):
        raise ValueError(f"covariance must be {len(y)} x {len(y)}, not {cov.shape}")
    w = 1 / np.diag(cov)
    omega = np.diag(w) - np.outer(w, w) / w.sum()
    m = omega @ cov
    mean, var = float(np.trace(m)), float(2 * np.trace(m @ m))
    if len(y) < 2 or mean <= 0:
        return 1.0
    return float(chi2.sf(float(y @ omega @ y) / (var / (2 * mean)), 2 * mean**2 / var))


def shrink(estimate: np.ndarray | pd.Series, variance: np.ndarray | pd.Series,
           centre: float | np.ndarray | pd.Series, sigma2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normal shrinkage toward `centre` (one value, or one per unit): the shrunk estimates, the reliabilities
    B = sigma2 / (sigma2 + variance) and the posterior standard deviations sqrt(B x variance)."""
    y = np.asarray(estimate, dtype=float)
    v = np.asarray(variance, dtype=float)
    c = np.asarray(centre, dtype=float)
    if sigma2 < 0:
        raise ValueError(f"sigma2 must be 0 or more, not {sigma2!r}")
    if (v < 0).any():
        raise ValueError("sampling variances must be 0 or more")
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(v > 0, sigma2 / (sigma2 + v), 1.0)  # a unit measured without error keeps its value
    return c + b * (y - c), b, np.sqrt(b * v)


def beta_binomial(units, numerator, denominator, *, evidence: float | None = None) -> Shrunk:
    """Proportions numerator / denominator shrunk toward the pooled proportion (beta-binomial, method of moments).

    The sampling variance of unit i is p(1 - p) / n_i at the pooled p (so a unit at 0% or 100% has one too);
    sigma2 = between_variance (with `evidence`, 0 unless the units differ beyond chance at that level); the prior is
    Beta(p M, (1 - p) M) with M = p(1 - p) / sigma2 - 1.
    """
    units, x, n = _counts(units, numerator, denominator, proportion=True)
    p = float(x.sum() / n.sum())
    rate = x / n
    if p in (0.0, 1.0):  # every unit at 0% (or 100%): nothing varies
        return _result(units, x, n, rate, np.full_like(rate, p), np.zeros_like(rate), np.zeros_like(rate), p, 0.0,
                       "beta-binomial")
    sigma2 = between_variance(rate, p * (1 - p) / n, evidence=evidence)
    if sigma2 >= p * (1 - p):  # more spread than any beta prior allows: the data speak for themselves
        return _result(units, x, n, rate, rate, np.ones_like(rate), np.sqrt(rate * (1 - rate) / n), p, sigma2,
                       "beta-binomial")
    if sigma2 == 0:
        return _result(units, x, n, rate, np.full_like(rate, p), np.zeros_like(rate), np.zeros_like(rate), p, 0.0,
                       "beta-binomial")
    m = p * (1 - p) / sigma2 - 1
    post = (x + p * m) / (n + m)
    sd = np.sqrt(post * (1 - post) / (n + m + 1))
    return _result(units, x, n, rate, post, n / (n + m), sd, p, sigma2, "beta-binomial")


def gamma_poisson(units, events, exposure, *, per: float = 1.0, evidence: float | None = None) -> Shrunk:
    """Rates events / exposure (x `per`) shrunk toward the pooled rate (gamma-Poisson, method of moments).

    The sampling variance of unit i's rate per unit of exposure is r / E_i at the pooled r; sigma2 =
    between_variance (with `evidence`, 0 unless the units differ beyond chance at that level); the prior is
    Gamma(shape r^2 / sigma2, rate r / sigma2). Rates and sd are given per `per`.
    """
    if not per > 0:
        raise ValueError(f"per must be above 0, not {per!r}")
    units, o, e = _counts(units, events, exposure, proportion=False)
    r = float(o.sum() / e.sum())
    rate = o / e
    if r == 0:
        zero = np.zeros_like(rate)
        return _result(units, o, e, rate * per, zero, zero, zero, 0.0, 0.0, "gamma-Poisson", per)
    sigma2 = between_variance(rate, r / e, evidence=evidence)
    if sigma2 == 0:
        zero = np.zeros_like(rate)
        return _result(units, o, e, rate * per, np.full_like(rate, r * per), zero, zero, r * per, 0.0,
                       "gamma-Poisson", per)
    shape, beta = r**2 / sigma2, r / sigma2
    post = (o + shape) / (e + beta)
    sd = np.sqrt(o + shape) / (e + beta)
    return _result(units, o, e, rate * per, post * per, e / (e + beta), sd * per, r * per, sigma2,
                   "gamma-Poisson", per)


def funnel_shrinkage(funnel: FunnelResult) -> Shrunk:
    """Each unit of a proportion or rate funnel shrunk toward the funnel's target with the funnel's own tau2.

    On the funnel's scale (arcsine square root for proportions, square root of observed / expected for rates), the
    unit's y is shrunk toward the target's with B = tau2 / (tau2 + s^2), then drawn back. tau2 is the funnel's
    DerSimonian-Laird estimate from Winsorised z-scores, so a few extreme units do not make every unit look real.
    `sigma2` of the result is tau2, on the funnel's scale.
    """
    d = funnel.data
    n = d["denominator"].to_numpy(dtype=float)
    if funnel.kind == "proportion":
        y, y0 = np.arcsin(np.sqrt(d["rate"].to_numpy(dtype=float))), np.arcsin(np.sqrt(funnel.target))
        s2 = 1 / (4 * n)
        shrunk, b, sd = shrink(y, s2, y0, funnel.tau2)
        back = np.sin(np.clip(shrunk, 0, np.pi / 2)) ** 2
        # sd on the natural scale by the delta method: dp/dy = sin(2y)
        sd = sd * np.abs(np.sin(2 * shrunk))
        method = "funnel tau2, arcsine scale"
    elif funnel.kind == "rate":
        theta = funnel.target / funnel.per
        expected = theta * n
        y = np.sqrt(d["numerator"].to_numpy(dtype=float) / expected)
        shrunk, b, sd = shrink(y, 1 / (4 * expected), 1.0, funnel.tau2)
        back = shrunk**2 * funnel.target
        sd = sd * 2 * shrunk * funnel.target
        method = "funnel tau2, square-root scale"
    else:
        raise ValueError(f"funnel_shrinkage takes proportion and rate funnels, not {funnel.kind!r}")
    return _result(d["unit"].tolist(), d["numerator"].to_numpy(dtype=float), n, d["rate"].to_numpy(dtype=float),
                   back, b, sd, funnel.target, funnel.tau2, method, funnel.per)


def gap_beyond_chance(shrunk: np.ndarray | pd.Series | float, benchmark: np.ndarray | pd.Series | float,
                      sd: np.ndarray | pd.Series | float = 0.0, *, confidence: float = 0.5,
                      higher_is_worse: bool = True) -> np.ndarray:
    """The part of each unit's gap to the benchmark that the data support, 0 where the unit is no worse.

    With confidence 0.5 it is the shrunk rate's gap (the expected true gap); with a higher confidence, the gap less
    z posterior standard deviations, z the normal quantile of `confidence` (0.975: z = 1.96), i.e. a gap at least
    this large is that likely.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    z = NormalDist().inv_cdf(confidence)
    gap = np.asarray(shrunk, dtype=float) - np.asarray(benchmark, dtype=float)
    if not higher_is_worse:
        gap = -gap
    return np.clip(gap - z * np.asarray(sd, dtype=float), 0, None)


def beyond_limit(funnel: FunnelResult, level: str = "998", direction: str = "high") -> pd.DataFrame:
    """Each unit's excess over the funnel's limit: columns unit, limit, excess_rate (0 within the limits) and excess,
    the excess in the numerator's units (cases for a proportion, events for a rate).

    level "95" or "998"; direction "high" (above the upper limit) or "low" (below the lower limit: the shortfall).
    """
    if level not in ("95", "998"):
        raise ValueError(f"level must be '95' or '998', not {level!r}")
    if direction not in ("high", "low"):
        raise ValueError(f"direction must be 'high' or 'low', not {direction!r}")
    if funnel.kind not in ("proportion", "rate"):
        raise ValueError(f"beyond_limit takes proportion and rate funnels, not {funnel.kind!r}")
    d = funnel.data
    limit = d[f"ucl{level}" if direction == "high" else f"lcl{level}"].to_numpy(dtype=float)
    rate = d["rate"].to_numpy(dtype=float)
    excess_rate = np.clip(rate - limit if direction == "high" else limit - rate, 0, None)
    excess = excess_rate * d["denominator"].to_numpy(dtype=float) / funnel.per
    return pd.DataFrame({"unit": d["unit"].to_numpy(), "limit": limit, "excess_rate": excess_rate, "excess": excess})


def _counts(units, numerator, denominator, proportion: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
    units = [str(u) for u in units]
    x = pd.Series(numerator).astype("float64").to_numpy()
    n = pd.Series(denominator).astype("float64").to_numpy()
    if not len(units) == len(x) == len(n) or not units:
        raise ValueError(f"units, numerators and denominators must be as many and not none: "
                         f"{len(units)}, {len(x)}, {len(n)}")
    for u, a, b in zip(units, x, n):
        if not (np.isfinite(a) and np.isfinite(b) and b > 0 and a >= 0):
            raise ValueError(f"unit {u!r}: need a count of 0 or more over a denominator above 0, got {a} / {b}")
        if proportion and a > b:
            raise ValueError(f"unit {u!r}: numerator {a:g} is larger than denominator {b:g}")
    return units, x, n


def _result(units, x, n, rate, shrunk, weight, sd, centre, sigma2, method, per=1.0) -> Shrunk:
    data = pd.DataFrame({"unit": units, "numerator": x, "denominator": n, "rate": rate, "shrunk": shrunk,
                         "weight": weight, "sd": sd})
    return Shrunk(data=data, centre=float(centre), sigma2=float(sigma2), method=method, per=float(per))
