"""Funnel plots for proportions, rates and ratios (Spiegelhalter 2005), as the NHS-R package FunnelPlotR draws them.

Proportions are compared on the arcsine square-root scale, where a unit's standard error depends only on
its denominator: y = asin(sqrt(p)), s = 1 / (2 sqrt(n)). Over-dispersion (more spread between units than
chance allows) is estimated from Winsorised z-scores and handled as FunnelPlotR does: an additive
random-effects term tau-squared (DerSimonian-Laird) added to every unit's variance. When to widen is an option
(`widen_when`): by default only when phi > 1, as FunnelPlotR 0.6.0 ("phi_above_1"); or whenever tau-squared > 0,
i.e. phi > (k - 1) / k ("tau2_positive").

Rates (events per unit of exposure, e.g. defined daily doses per 1,000 occupied bed days) are compared as
FunnelPlotR's "CQC" method compares standardised ratios: observed / expected on the square-root scale,
y = sqrt(O / E), s = 1 / (2 sqrt(E)), where E is the unit's exposure times the overall rate; limits are drawn
back as rates: (1 -/+ z s)^2 by default, or FunnelPlotR's exact Poisson (chi-squared) limits with `exact_poisson`.

Standardised ratios (observed / expected from a risk model) by the SHMI method (standardised_ratio_funnel):
y = log(O / E), s = 1 / sqrt(E); the top and bottom 10% of z-scores by rank are left out (not Winsorised) when
estimating phi; expected counts are rounded to 2 decimals first; unadjusted limits are exact Poisson.
Ratios of two counts (ratio_of_counts_funnel): y = log((O + 0.5) / (D + 0.5)) around log(sum O / sum D).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959964  # two-sided 95%: NormalDist().inv_cdf(0.975), as FunnelPlotR
Z998 = 3.090232  # two-sided 99.8%: NormalDist().inv_cdf(0.999)
METHODS = ("auto", "additive", "multiplicative", "none")
FLAGS = ("high_998", "high_95", "within", "low_95", "low_998")
# When the limits are widened for overdispersion: whenever the DerSimonian-Laird tau2 is above 0 (k phi > k - 1),
# or, as FunnelPlotR 0.6.0 does, only when phi > 1 (so a phi just under 1 leaves the limits alone).
WIDEN_RULES = ("tau2_positive", "phi_above_1")
WIDEN_WHEN = "phi_above_1"  # the default of every funnel here, as FunnelPlotR 0.6.0
KINDS = ("proportion", "rate", "standardised_ratio", "ratio_of_counts")


def _percent(v: float) -> str:
    return f"{v:.1%}"


@dataclass(frozen=True, eq=False)
class FunnelResult:
    """A funnel plot: one row per unit in `data`, the target and the over-dispersion adjustment."""

    data: pd.DataFrame
    target: float
    phi: float  # dispersion ratio from the Winsorised (or, for SHMI, truncated) z-scores (about 1 by chance alone)
    tau2: float  # DerSimonian-Laird between-unit variance on the transformed scale (0 when phi is small)
    method: str  # the adjustment actually applied: "none", "additive" or "multiplicative"
    overdispersed: bool  # the widening rule holds: tau2 > 0 (k x phi > k - 1), or phi > 1 with "phi_above_1"
    kind: str = "proportion"  # one of KINDS
    per: float = 1.0  # rates only: the rate is events / exposure x per (e.g. 1,000 bed days)
    exact_poisson: bool = False  # rates and standardised ratios: unadjusted limits exact Poisson (chi-squared)
    widen_when: str = WIDEN_WHEN
    phi_units: int = 0  # units phi was estimated from (SHMI leaves out the truncated ones; else all)

    def limits(self, n: float | np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper limits (as proportions, rates or ratios) at denominator(s) `n` for a normal quantile `z`.

        The denominator is the x axis: cases for a proportion, exposure for a rate, expected count for a
        standardised ratio, the denominator count for a ratio of counts.
        """
        n = np.asarray(n, dtype=float)
        if self.kind == "rate":
            return _rate_limits(n, self.target / self.per, z, self.method, self.phi, self.tau2, self.per,
                                self.exact_poisson)
        if self.kind == "standardised_ratio":
            return _log_ratio_limits(n, z, self.method, self.phi, self.tau2, self.exact_poisson)
        if self.kind == "ratio_of_counts":
            return _ratio_of_counts_limits(n, self.target, z, self.method, self.phi, self.tau2)
        return _limits(n, self.target, z, self.method, self.phi, self.tau2)

    def limits_curve(self, n_min: float | None = None, n_max: float | None = None,
                     points: int = 200) -> pd.DataFrame:
        """Limits at `points` denominators from n_min to n_max (default: the range in the data), for drawing.

        The denominators are spaced geometrically, since the funnel changes fastest at small n.
        """
        den = self.data["denominator"]
        n_min = float(den.min() if n_min is None else n_min)
        n_max = float(den.max() if n_max is None else n_max)
        if not 0 < n_min <= n_max:
            raise ValueError(f"need 0 < n_min <= n_max, got n_min={n_min}, n_max={n_max}")
        n = np.geomspace(n_min, n_max, points)
        lcl95, ucl95 = self.limits(n, Z95)
        lcl998, ucl998 = self.limits(n, Z998)
        return pd.DataFrame({"denominator": n, "lcl95": lcl95, "ucl95": ucl95,
                             "lcl998": lcl998, "ucl998": ucl998})

    def outliers(self, level: str = "998", direction: str | None = None) -> pd.DataFrame:
        """Rows beyond the 99.8% ("998") or 95% ("95") limits; `direction` "high", "low" or None for both.

        At level "95" this includes the units beyond 99.8% too.
        """
        if level not in ("998", "95"):
            raise ValueError(f"level must be '998' or '95', not {level!r}")
        if direction not in (None, "high", "low"):
            raise ValueError(f"direction must be 'high', 'low' or None, not {direction!r}")
        flags = {f"{d}_998" for d in ("high", "low")}
        if level == "95":
            flags |= {f"{d}_95" for d in ("high", "low")}
        if direction is not None:
            flags = {f for f in flags if f.startswith(direction)}
        return self.data[self.data["flag"].isin(flags)]

    def summary(self, fmt: Callable[[float], str] = _percent, higher_is_better: bool = True,
                unit_name: str = "providers", max_names: int = 8) -> str:
        """One sentence on the units beyond the 99.8% limits and the over-dispersion adjustment."""
        k = len(self.data)
        high = list(self.outliers("998", "high")["unit"])
        low = list(self.outliers("998", "low")["unit"])
        good, bad = ("better", "worse") if higher_is_better else ("worse", "better")
        if high or low:
            verb = "lies" if len(high) == 1 else "lie"
            counts = f"{len(high)} of {k} {unit_name} {verb} above the 99.8% limit"
            if high:
                counts += f" ({good} than expected: {_names(high, max_names)})"
            counts += f" and {len(low)} below it"
            if low:
                counts += f" ({bad} than expected: {_names(low, max_names)})"
        else:
            counts = f"none of the {k} {unit_name} lies outside the 99.8% limits"
        if self.method == "additive":
            adjust = f"the limits are widened for overdispersion (tau-squared = {self.tau2:.2g})"
        elif self.method == "multiplicative":
            adjust = f"the limits are widened for overdispersion (phi = {self.phi:.2f})"
        elif self.overdispersed:
            adjust = f"the limits are not adjusted although there is overdispersion (phi = {self.phi:.2f})"
        else:
            adjust = f"no overdispersion adjustment is needed (phi = {self.phi:.2f})"
        centre = ("an expected ratio of 1 (observed equal to expected)" if self.kind == "standardised_ratio"
                  else f"an overall rate of {fmt(self.target)}")
        return f"Against {centre}, {counts}; {adjust}."


def proportion_funnel(
    units: Sequence[str],
    numerator: Sequence[float],
    denominator: Sequence[float],
    *,
    target: float | None = None,
    overdispersion: str = "auto",
    winsorise: float | None = 0.10,
    widen_when: str = WIDEN_WHEN,
) -> FunnelResult:
    """Funnel plot of proportions numerator / denominator per unit (e.g. provider).

    target: the centre line; by default the pooled proportion sum(numerator) / sum(denominator).
    overdispersion: "auto" (FunnelPlotR's default: additive random effects when the widening rule holds;
        FunnelPlotR applies no chi-squared test of phi), "additive" (the same), "multiplicative" (limits scaled by
        sqrt(phi), only when phi > 1 so limits never narrow) or "none".
    winsorise: z-scores are pulled in to this lower / upper percentile before estimating phi, so a few
        extreme units do not dominate it (FunnelPlotR's trim_by, 10% each end). 0 or None: no Winsorising.
    widen_when: "phi_above_1" (default, FunnelPlotR 0.6.0: widen only when phi > 1) or "tau2_positive" (widen
        whenever tau2 > 0, i.e. k x phi > k - 1).
    """
    _options(overdispersion, winsorise, widen_when)
    units = [str(u) for u in units]
    num = pd.Series(numerator).astype("float64").to_numpy()
    den = pd.Series(denominator).astype("float64").to_numpy()
    _check(units, num, den)

    p0 = float(num.sum() / den.sum()) if target is None else float(target)
    if not 0 <= p0 <= 1:
        raise ValueError(f"target must be a proportion between 0 and 1, not {target!r}")

    rate = num / den
    y, y0, s = np.arcsin(np.sqrt(rate)), np.arcsin(np.sqrt(p0)), 1 / (2 * np.sqrt(den))
    z = (y - y0) / s

    phi, tau2, method, overdispersed = _dispersion(z, s, overdispersion, _winsorised(z, winsorise), widen_when)
    lcl95, ucl95 = _limits(den, p0, Z95, method, phi, tau2)
    lcl998, ucl998 = _limits(den, p0, Z998, method, phi, tau2)
    data = _frame(units, num, den, rate, z, lcl95, ucl95, lcl998, ucl998)
    return FunnelResult(data=data, target=p0, phi=phi, tau2=tau2, method=method, overdispersed=overdispersed,
                        widen_when=widen_when, phi_units=len(units))


def rate_funnel(
    units: Sequence[str],
    events: Sequence[float],
    exposure: Sequence[float],
    *,
    per: float = 1.0,
    target: float | None = None,
    overdispersion: str = "auto",
    winsorise: float | None = 0.10,
    widen_when: str = WIDEN_WHEN,
    exact_poisson: bool = False,
) -> FunnelResult:
    """Funnel plot of rates events / exposure x `per` per unit (e.g. admissions per 1,000 births).

    target: the centre line as a rate per `per`; by default the pooled rate. The other options are those of
    proportion_funnel. Events may be fractional (e.g. defined daily doses): the Poisson approximation then
    treats them as counts, which is how such rates are usually charted.
    exact_poisson: when the limits are not widened, draw FunnelPlotR's exact Poisson limits for a standardised
        ratio (chi-squared quantiles at 2E and 2(E + 1) degrees of freedom) instead of (1 -/+ z / (2 sqrt E))^2.
    """
    _options(overdispersion, winsorise, widen_when)
    if not per > 0:
        raise ValueError(f"per must be above 0, not {per!r}")
    units = [str(u) for u in units]
    num = pd.Series(events).astype("float64").to_numpy()
    den = pd.Series(exposure).astype("float64").to_numpy()
    _check(units, num, den, proportion=False)
    theta = float(num.sum() / den.sum()) if target is None else float(target) / per  # per unit of exposure
    if not theta > 0:
        raise ValueError(f"the overall rate must be above 0 (target {target!r}, events {num.sum():g})")

    expected = theta * den
    ratio = num / expected
    s = 1 / (2 * np.sqrt(expected))
    z = (np.sqrt(ratio) - 1) / s
    phi, tau2, method, overdispersed = _dispersion(z, s, overdispersion, _winsorised(z, winsorise), widen_when)
    rate = num / den * per
    lcl95, ucl95 = _rate_limits(den, theta, Z95, method, phi, tau2, per, exact_poisson)
    lcl998, ucl998 = _rate_limits(den, theta, Z998, method, phi, tau2, per, exact_poisson)
    return FunnelResult(data=_frame(units, num, den, rate, z, lcl95, ucl95, lcl998, ucl998), target=theta * per,
                        phi=phi, tau2=tau2, method=method, overdispersed=overdispersed, kind="rate", per=float(per),
                        exact_poisson=exact_poisson, widen_when=widen_when, phi_units=len(units))


def standardised_ratio_funnel(
    units: Sequence[str],
    observed: Sequence[float],
    expected: Sequence[float],
    *,
    overdispersion: str = "auto",
    truncate: float = 0.10,
    round_expected: bool = True,
    exact_poisson: bool = True,
    widen_when: str = WIDEN_WHEN,
) -> FunnelResult:
    """Funnel plot of standardised ratios observed / expected (e.g. a mortality ratio) by the SHMI method.

    As FunnelPlotR's data_type "SR", sr_method "SHMI" (NHS Digital's SHMI methodology):
    - expected counts are rounded to 2 decimals first (round_expected; FunnelPlotR's SHMI_rounding);
    - z = sqrt(E) log(O / E) on the log scale, s = 1 / sqrt(E), target 1;
    - phi is the mean squared z of the units left after truncation: units are ranked by z (ties averaged) and put
      in 1 / truncate bands, band floor(rank x bands / (k + 1)); the lowest and highest bands are left out
      (not Winsorised); tau2 is DerSimonian-Laird over the units kept;
    - widened limits exp(-/+ z sqrt(1 / E + tau2)); unadjusted limits exact Poisson (exact_poisson) or
      exp(-/+ z / sqrt(E)).
    A unit with no events has z = -infinity; it is refused unless truncation leaves it out of phi.
    """
    _options(overdispersion, None, widen_when)
    if not 0 < truncate < 0.5:
        raise ValueError(f"truncate must be in (0, 0.5), not {truncate!r}")
    units = [str(u) for u in units]
    num = pd.Series(observed).astype("float64").to_numpy()
    den = pd.Series(expected).astype("float64").to_numpy()
    _check(units, num, den, proportion=False)
    if round_expected:
        # Python's round is correctly rounded, as R's round() is since R 4.0.0 (numpy's is not always)
        den = np.array([round(float(e), 2) for e in den])
        if (den <= 0).any():
            u = units[int(np.flatnonzero(den <= 0)[0])]
            raise ValueError(f"unit {u!r}: expected count rounds to 0 at 2 decimals")

    ratio = num / den
    s = 1 / np.sqrt(den)
    with np.errstate(divide="ignore"):
        z = np.sqrt(den) * np.log(ratio)
    kept = _truncated(z, truncate)
    if not np.isfinite(z[kept]).all():
        u = units[int(np.flatnonzero(kept & ~np.isfinite(z))[0])]
        raise ValueError(f"unit {u!r} has no events, so no log ratio, and truncation does not leave it out; "
                         "too few units for the SHMI method")
    phi, tau2, method, overdispersed = _dispersion(z[kept], s[kept], overdispersion, z[kept], widen_when)
    lcl95, ucl95 = _log_ratio_limits(den, Z95, method, phi, tau2, exact_poisson)
    lcl998, ucl998 = _log_ratio_limits(den, Z998, method, phi, tau2, exact_poisson)
    data = _frame(units, num, den, ratio, z, lcl95, ucl95, lcl998, ucl998)
    data.insert(5, "in_phi", kept)  # whether the unit counted towards phi (False: truncated)
    return FunnelResult(data=data, target=1.0, phi=phi, tau2=tau2, method=method, overdispersed=overdispersed,
                        kind="standardised_ratio", exact_poisson=exact_poisson, widen_when=widen_when,
                        phi_units=int(kept.sum()))


def ratio_of_counts_funnel(
    units: Sequence[str],
    numerator: Sequence[float],
    denominator: Sequence[float],
    *,
    overdispersion: str = "auto",
    winsorise: float | None = 0.10,
    widen_when: str = WIDEN_WHEN,
) -> FunnelResult:
    """Funnel plot of the ratio of two counts per unit (e.g. this year's admissions over last year's).

    As FunnelPlotR's data_type "RC" (the CQC's method): y = log((O + 0.5) / (D + 0.5)), its standard error
    s = sqrt(O / (O + 0.5)^2 + D / (D + 0.5)^2) (about sqrt(1 / O + 1 / D); the halves keep a zero count finite),
    around the pooled ratio theta = sum(O) / sum(D); phi from Winsorised z-scores, tau2 DerSimonian-Laird.
    The limits at a denominator D are theta x exp(-/+ z sqrt(s(D)^2 + tau2)), with s(D) that same standard error
    at the expected numerator theta x D. (FunnelPlotR draws them with 1 / (2 sqrt(D)), the square-root scale's
    standard error, which is not the one its z-scores use and gives much narrower limits.)
    """
    _options(overdispersion, winsorise, widen_when)
    units = [str(u) for u in units]
    num = pd.Series(numerator).astype("float64").to_numpy()
    den = pd.Series(denominator).astype("float64").to_numpy()
    _check(units, num, den, proportion=False)
    theta = float(num.sum() / den.sum())
    if not theta > 0:
        raise ValueError(f"the pooled ratio must be above 0 (numerators sum to {num.sum():g})")

    y = np.log((num + 0.5) / (den + 0.5))
    s = _log_counts_se(num, den)
    z = (y - math.log(theta)) / s
    phi, tau2, method, overdispersed = _dispersion(z, s, overdispersion, _winsorised(z, winsorise), widen_when)
    lcl95, ucl95 = _ratio_of_counts_limits(den, theta, Z95, method, phi, tau2)
    lcl998, ucl998 = _ratio_of_counts_limits(den, theta, Z998, method, phi, tau2)
    data = _frame(units, num, den, num / den, z, lcl95, ucl95, lcl998, ucl998)
    return FunnelResult(data=data, target=theta, phi=phi, tau2=tau2, method=method, overdispersed=overdispersed,
                        kind="ratio_of_counts", widen_when=widen_when, phi_units=len(units))


def _options(overdispersion: str, winsorise: float | None, widen_when: str) -> None:
    if overdispersion not in METHODS:
        raise ValueError(f"overdispersion must be one of {METHODS}, not {overdispersion!r}")
    if winsorise is not None and not 0 <= winsorise < 0.5:
        raise ValueError(f"winsorise must be in [0, 0.5), not {winsorise!r}")
    if widen_when not in WIDEN_RULES:
        raise ValueError(f"widen_when must be one of {WIDEN_RULES}, not {widen_when!r}")


def _winsorised(z: np.ndarray, winsorise: float | None) -> np.ndarray:
    """z pulled in to its `winsorise` and 1 - `winsorise` quantiles (linear interpolation, R's default type 7)."""
    if not winsorise:
        return z
    lo, hi = np.quantile(z, [winsorise, 1 - winsorise])
    return np.clip(z, lo, hi)


def _truncated(z: np.ndarray, truncate: float) -> np.ndarray:
    """True for the units SHMI keeps when estimating phi: not in the lowest or highest rank band.

    FunnelPlotR's truncation(): bands = 1 / truncate; rank with ties averaged; band = floor(rank x bands / (k + 1));
    kept when 0 < band < bands - 1 (with 10%, the bands 1 to 8 of 0 to 9).
    """
    bands = 1 / truncate
    rank = pd.Series(z).rank(method="average").to_numpy()
    band = np.floor(rank * bands / (len(z) + 1))
    return (band > 0) & (band < bands - 1)


def _dispersion(z: np.ndarray, s: np.ndarray, overdispersion: str, zw: np.ndarray, widen_when: str
                ) -> tuple[float, float, str, bool]:
    """phi from the Winsorised (or truncated) z-scores zw, DerSimonian-Laird tau2, and the adjustment to apply."""
    k = len(z)
    phi = float(np.mean(zw**2))
    w = 1 / s**2
    spread = w.sum() - (w**2).sum() / w.sum()  # 0 when k = 1: no between-unit variance to estimate
    tau2 = float(max(0.0, (k * phi - (k - 1)) / spread)) if spread > 0 else 0.0
    overdispersed = bool(phi > 1) if widen_when == "phi_above_1" else bool(tau2 > 0)
    if overdispersion in ("auto", "additive"):
        method = "additive" if overdispersed else "none"
    elif overdispersion == "multiplicative":
        method = "multiplicative" if phi > 1 else "none"
    else:
        method = "none"
    return phi, tau2, method, overdispersed


def _frame(units, num, den, rate, z, lcl95, ucl95, lcl998, ucl998) -> pd.DataFrame:
    # Strictly beyond a limit is an outlier; exactly on it is within (as FunnelPlotR)
    flag = np.select(
        [rate > ucl998, rate > ucl95, rate < lcl998, rate < lcl95],
        ["high_998", "high_95", "low_998", "low_95"],
        default="within",
    )
    return pd.DataFrame({
        "unit": units, "numerator": _whole(num), "denominator": _whole(den), "rate": rate, "z": z,
        "lcl95": lcl95, "ucl95": ucl95, "lcl998": lcl998, "ucl998": ucl998, "flag": flag,
    })


def _se(s: np.ndarray, method: str, phi: float, tau2: float) -> np.ndarray:
    if method == "additive":
        return np.sqrt(s**2 + tau2)
    if method == "multiplicative":
        return s * np.sqrt(phi)
    return s


def exact_poisson_limits(expected: float | np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits for observed / expected at expected count(s) E, for the two-sided normal quantile z.

    With a = P(Z > z) in each tail: lower chi2(a; 2E) / 2E, upper chi2(1 - a; 2(E + 1)) / 2E, the chi-squared
    form of the Poisson interval with E in place of the count (FunnelPlotR's unadjusted limits for a ratio).
    """
    from scipy.stats import chi2, norm

    e = np.asarray(expected, dtype=float)
    # the tail of each funnel level exactly, as FunnelPlotR (Z95 and Z998 are quantiles rounded to 6 decimals)
    a = {Z95: 0.025, Z998: 0.001}.get(z) or float(norm.sf(z))
    return chi2.ppf(a, 2 * e) / (2 * e), chi2.ppf(1 - a, 2 * (e + 1)) / (2 * e)


def _rate_limits(n: np.ndarray, theta: float, z: float, method: str, phi: float, tau2: float, per: float,
                 exact_poisson: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Limits on the square-root ratio scale, drawn back as rates per `per`; the lower limit stops at 0."""
    if exact_poisson and method == "none":
        lower, upper = exact_poisson_limits(theta * n, z)
        return lower * theta * per, upper * theta * per
    se = _se(1 / (2 * np.sqrt(theta * n)), method, phi, tau2)
    lower = np.clip(1 - z * se, 0, None) ** 2
    upper = (1 + z * se) ** 2
    return lower * theta * per, upper * theta * per


def _log_ratio_limits(e: np.ndarray, z: float, method: str, phi: float, tau2: float, exact_poisson: bool
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Standardised-ratio limits on the log scale (SHMI): exp(-/+ z sqrt(1 / E + tau2)), or exact Poisson."""
    if method == "none" and exact_poisson:
        return exact_poisson_limits(e, z)
    se = _se(1 / np.sqrt(e), method, phi, tau2)  # multiplicative (not SHMI's) scales 1 / sqrt(E) by sqrt(phi)
    return np.exp(-z * se), np.exp(z * se)


def _log_counts_se(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.sqrt(num / (num + 0.5) ** 2 + den / (den + 0.5) ** 2)


def _ratio_of_counts_limits(n: np.ndarray, theta: float, z: float, method: str, phi: float, tau2: float
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Ratio-of-counts limits: theta x exp(-/+ z se), se at the expected numerator theta x n."""
    se = _se(_log_counts_se(theta * n, n), method, phi, tau2)
    return theta * np.exp(-z * se), theta * np.exp(z * se)


def _limits(n: np.ndarray, p0: float, z: float, method: str, phi: float, tau2: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Limits on the arcsine scale, back-transformed to proportions."""
    se = _se(1 / (2 * np.sqrt(n)), method, phi, tau2)
    y0 = np.arcsin(np.sqrt(p0))
    # Clip the angle to [0, pi/2] before sin^2 so a limit cannot fold back past 0% or 100%.
    # FunnelPlotR does not clip, so at very small n its lower limit bounces back up from 0.
    lower = np.sin(np.clip(y0 - z * se, 0, np.pi / 2)) ** 2
    upper = np.sin(np.clip(y0 + z * se, 0, np.pi / 2)) ** 2
    return lower, upper


def _check(units: list[str], num: np.ndarray, den: np.ndarray, proportion: bool = True) -> None:
    """ValueError naming the first unit that breaks a rule."""
    if not len(units) == len(num) == len(den):
        raise ValueError(f"units, numerator and denominator differ in length: {len(units)}, {len(num)}, {len(den)}")
    if not units:
        raise ValueError("a funnel plot needs at least one unit")
    dupes = pd.Index(units)[pd.Index(units).duplicated()]
    if len(dupes):
        raise ValueError(f"unit {dupes[0]!r} appears more than once; aggregate to one row per unit first")
    for u, a, b in zip(units, num, den):
        if not (np.isfinite(a) and np.isfinite(b)):
            raise ValueError(f"unit {u!r}: numerator and denominator must be present, got {a} / {b}")
        if b <= 0:
            raise ValueError(f"unit {u!r}: denominator must be above 0, got {b:g}")
        if a < 0:
            raise ValueError(f"unit {u!r}: numerator must be 0 or more, got {a:g}")
        if proportion and a > b:
            raise ValueError(f"unit {u!r}: numerator {a:g} is larger than denominator {b:g}")


def _whole(a: np.ndarray) -> np.ndarray:
    """Counts back to integers when they are whole numbers, so tables show 12 not 12.0."""
    return a.astype("int64") if np.all(a == np.round(a)) else a


def _names(units: list[str], max_names: int) -> str:
    shown = ", ".join(units[:max_names])
    return shown if len(units) <= max_names else f"{shown} and {len(units) - max_names} more"
