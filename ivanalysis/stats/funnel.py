"""Funnel plots for proportions and rates (Spiegelhalter 2005), as the NHS-R package FunnelPlotR draws them.

Proportions are compared on the arcsine square-root scale, where a unit's standard error depends only on
its denominator: y = asin(sqrt(p)), s = 1 / (2 sqrt(n)). Over-dispersion (more spread between units than
chance allows) is estimated from Winsorised z-scores and, by default, handled as FunnelPlotR does: an
additive random-effects term tau-squared (DerSimonian-Laird) added to every unit's variance.

Rates (events per unit of exposure, e.g. defined daily doses per 1,000 occupied bed days) are compared as
FunnelPlotR compares standardised ratios: observed / expected on the square-root scale, y = sqrt(O / E),
s = 1 / (2 sqrt(E)), where E is the unit's exposure times the overall rate; limits are drawn back as rates.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

Z95 = 1.959964  # two-sided 95%: NormalDist().inv_cdf(0.975), as FunnelPlotR
Z998 = 3.090232  # two-sided 99.8%: NormalDist().inv_cdf(0.999)
METHODS = ("auto", "additive", "multiplicative", "none")
FLAGS = ("high_998", "high_95", "within", "low_95", "low_998")


def _percent(v: float) -> str:
    return f"{v:.1%}"


@dataclass(frozen=True, eq=False)
class FunnelResult:
    """A funnel plot: one row per unit in `data`, the target and the over-dispersion adjustment."""

    data: pd.DataFrame
    target: float
    phi: float  # dispersion ratio from the Winsorised z-scores (about 1 when only chance is at work)
    tau2: float  # DerSimonian-Laird between-unit variance on the arcsine scale (0 when phi is small)
    method: str  # the adjustment actually applied: "none", "additive" or "multiplicative"
    overdispersed: bool  # k x phi > k - 1, i.e. tau2 > 0 (FunnelPlotR's rule)
    kind: str = "proportion"  # "proportion" (numerator / denominator) or "rate" (events per `per` of exposure)
    per: float = 1.0  # rates only: the rate is events / exposure x per (e.g. 1,000 bed days)

    def limits(self, n: float | np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper limits (as proportions, or rates) at denominator(s) `n` for a normal quantile `z`."""
        n = np.asarray(n, dtype=float)
        if self.kind == "rate":
            return _rate_limits(n, self.target / self.per, z, self.method, self.phi, self.tau2, self.per)
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
        return f"Against an overall rate of {fmt(self.target)}, {counts}; {adjust}."


def proportion_funnel(
    units: Sequence[str],
    numerator: Sequence[float],
    denominator: Sequence[float],
    *,
    target: float | None = None,
    overdispersion: str = "auto",
    winsorise: float | None = 0.10,
) -> FunnelResult:
    """Funnel plot of proportions numerator / denominator per unit (e.g. provider).

    target: the centre line; by default the pooled proportion sum(numerator) / sum(denominator).
    overdispersion: "auto" (FunnelPlotR's default: additive random effects whenever tau2 > 0, i.e.
        k x phi > k - 1; FunnelPlotR applies no chi-squared test of phi), "additive", "multiplicative"
        (limits scaled by sqrt(phi), only when phi > 1 so limits never narrow) or "none".
    winsorise: z-scores are pulled in to this lower / upper percentile before estimating phi, so a few
        extreme units do not dominate it (FunnelPlotR's trim_by, 10% each end). 0 or None: no Winsorising.
    """
    if overdispersion not in METHODS:
        raise ValueError(f"overdispersion must be one of {METHODS}, not {overdispersion!r}")
    if winsorise is not None and not 0 <= winsorise < 0.5:
        raise ValueError(f"winsorise must be in [0, 0.5), not {winsorise!r}")
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

    phi, tau2, method, overdispersed = _dispersion(z, s, overdispersion, winsorise)
    lcl95, ucl95 = _limits(den, p0, Z95, method, phi, tau2)
    lcl998, ucl998 = _limits(den, p0, Z998, method, phi, tau2)
    data = _frame(units, num, den, rate, z, lcl95, ucl95, lcl998, ucl998)
    return FunnelResult(data=data, target=p0, phi=phi, tau2=tau2, method=method, overdispersed=overdispersed)


def rate_funnel(
    units: Sequence[str],
    events: Sequence[float],
    exposure: Sequence[float],
    *,
    per: float = 1.0,
    target: float | None = None,
    overdispersion: str = "auto",
    winsorise: float | None = 0.10,
) -> FunnelResult:
    """Funnel plot of rates events / exposure x `per` per unit (e.g. admissions per 1,000 births).

    target: the centre line as a rate per `per`; by default the pooled rate. The other options are those of
    proportion_funnel. Events may be fractional (e.g. defined daily doses): the Poisson approximation then
    treats them as counts, which is how such rates are usually charted.
    """
    if overdispersion not in METHODS:
        raise ValueError(f"overdispersion must be one of {METHODS}, not {overdispersion!r}")
    if winsorise is not None and not 0 <= winsorise < 0.5:
        raise ValueError(f"winsorise must be in [0, 0.5), not {winsorise!r}")
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
    phi, tau2, method, overdispersed = _dispersion(z, s, overdispersion, winsorise)
    rate = num / den * per
    lcl95, ucl95 = _rate_limits(den, theta, Z95, method, phi, tau2, per)
    lcl998, ucl998 = _rate_limits(den, theta, Z998, method, phi, tau2, per)
    return FunnelResult(data=_frame(units, num, den, rate, z, lcl95, ucl95, lcl998, ucl998), target=theta * per,
                        phi=phi, tau2=tau2, method=method, overdispersed=overdispersed, kind="rate", per=float(per))


def _dispersion(z: np.ndarray, s: np.ndarray, overdispersion: str, winsorise: float | None
                ) -> tuple[float, float, str, bool]:
    """phi from Winsorised z-scores, DerSimonian-Laird tau2, and the adjustment to apply (FunnelPlotR's rules)."""
    zw = z
    if winsorise:
        lo, hi = np.quantile(z, [winsorise, 1 - winsorise])  # linear interpolation, R's default (type 7)
        zw = np.clip(z, lo, hi)
    k = len(z)
    phi = float(np.mean(zw**2))
    w = 1 / s**2
    spread = w.sum() - (w**2).sum() / w.sum()  # 0 when k = 1: no between-unit variance to estimate
    tau2 = float(max(0.0, (k * phi - (k - 1)) / spread)) if spread > 0 else 0.0
    if overdispersion in ("auto", "additive"):
        method = "additive" if tau2 > 0 else "none"
    elif overdispersion == "multiplicative":
        method = "multiplicative" if phi > 1 else "none"
    else:
        method = "none"
    return phi, tau2, method, bool(tau2 > 0)


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


def _rate_limits(n: np.ndarray, theta: float, z: float, method: str, phi: float, tau2: float, per: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Limits on the square-root ratio scale, drawn back as rates per `per`; the lower limit stops at 0."""
    se = _se(1 / (2 * np.sqrt(theta * n)), method, phi, tau2)
    lower = np.clip(1 - z * se, 0, None) ** 2
    upper = (1 + z * se) ** 2
    return lower * theta * per, upper * theta * per


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
