"""Making Data Count XmR ("plot the dots") charts.

Follows NHS England's Making Data Count method as implemented by the NHS-R package NHSRplotthedots
(mean of all points, limits at mean +/- 2.66 x mean moving range, moving-range screening, and the four
special-cause rules). Where the two differ, the comment at the rule says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

LIMIT_FACTOR = 2.66  # 3 / d2, with d2 = 1.128 for moving ranges of two points
SCREEN_FACTOR = 3.267  # D4 for n = 2: moving ranges at or above 3.267 x the mean are unusual
RUN_LENGTH = 7  # points in a trend or a shift
MIN_POINTS = 12  # below this the limits are "trial" limits (NHSRplotthedots warns under 12)

DIRECTIONS = ("increase", "decrease", "neutral")
RULES = ("outside_limits", "trend", "two_in_three", "shift")  # in order of precedence


def _plain(v: float) -> str:
    """Default number format for summaries: 4 significant figures, thousands separated."""
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


@dataclass(frozen=True, eq=False)
class SPCResult:
    """An XmR chart: one row per point in `data`, plus the limits and the two MDC icons."""

    data: pd.DataFrame
    mean: float
    amr: float
    lpl: float
    upl: float
    trial_limits: bool
    improvement_direction: str
    target: float | None
    variation: str
    assurance: str | None

    def summary(self, fmt: Callable[[float], str] = _plain) -> str:
        """A plain-English sentence (or two) on the variation and, with a target, the assurance."""
        last = self.data.iloc[-1]
        if last["point_type"] == "common_cause":
            text = (
                f"Common cause variation: the latest value ({fmt(last['y'])}) is within the process limits "
                f"({fmt(self.lpl)} to {fmt(self.upl)}) around a mean of {fmt(self.mean)}."
            )
        else:
            kind = {"improvement": "improvement", "concern": "concern",
                    "neither": "neither improvement nor concern"}[last["point_type"]]
            text = f"Special cause variation: {kind} ({self._reason(fmt)})."
        if self.trial_limits:
            text += f" The limits are provisional (trial limits from only {len(self.data)} points)."
        if self.assurance is not None:
            t = fmt(self.target)
            if self.lpl > self.target:
                where = f"the lower process limit, {fmt(self.lpl)}, is above it"
            elif self.upl < self.target:
                where = f"the upper process limit, {fmt(self.upl)}, is below it"
            else:
                where = "it lies within the process limits"
            text += {
                "consistent_pass": f" The target of {t} is consistently met ({where}).",
                "consistent_fail": f" The target of {t} is consistently missed ({where}).",
                "hit_or_miss": f" The target of {t} is not consistently met (hit or miss: {where}).",
            }[self.assurance]
        return text

    def _reason(self, fmt: Callable[[float], str]) -> str:
        """Why the last point is special cause, in words."""
        y = self.data["y"].to_numpy()
        last = self.data.iloc[-1]
        high = self.variation.endswith("_high")
        rule = last["rule"]
        if rule == "outside_limits":
            side, limit = ("above the upper", self.upl) if high else ("below the lower", self.lpl)
            return f"the latest value, {fmt(last['y'])}, is {side} process limit of {fmt(limit)}"
        if rule == "trend":
            steps = np.sign(np.diff(y))
            k = 1 + _trailing_run(steps)
            return f"the last {k} points form a {'rising' if high else 'falling'} trend"
        if rule == "two_in_three":
            return (f"two of the last three points are close to or beyond the {'upper' if high else 'lower'} "
                    "process limit")
        k = _trailing_run(np.sign(y - self.mean))
        return f"the last {k} points are {'above' if high else 'below'} the mean of {fmt(self.mean)}"


def xmr(
    values: Sequence[float],
    x: Sequence[Any] | None = None,
    *,
    improvement_direction: str = "increase",
    target: float | None = None,
    screen_outliers: bool = True,
) -> SPCResult:
    """Build a Making Data Count XmR chart for a series in time order (e.g. monthly values).

    `x` labels the points (e.g. month Timestamps); by default 0..n-1. `improvement_direction` is
    "increase", "decrease" or "neutral". With `screen_outliers` (the NHSRplotthedots default), unusually
    large moving ranges are left out of the mean moving range so one jump does not widen the limits.
    """
    if improvement_direction not in DIRECTIONS:
        raise ValueError(f"improvement_direction must be one of {DIRECTIONS}, not {improvement_direction!r}")
    y = pd.Series(values).astype("float64").to_numpy()
    labels = list(range(len(y))) if x is None else list(x)
    if len(labels) != len(y):
        raise ValueError(f"x has {len(labels)} labels but there are {len(y)} values")
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        i = bad[0]
        raise ValueError(f"value at position {i} (x={labels[i]!r}) is missing or not finite; "
                         "an XmR chart needs a complete series")
    if len(y) < 2:
        raise ValueError(f"an XmR chart needs at least 2 values, got {len(y)}")

    mean = float(y.mean())
    mr = np.abs(np.diff(y))
    amr = float(mr.mean())
    if screen_outliers and amr > 0:
        # NHSRplotthedots keeps moving ranges strictly below 3.267 x amr (so one exactly at it is dropped too)
        amr = float(mr[mr < SCREEN_FACTOR * amr].mean())
    lpl, upl = mean - LIMIT_FACTOR * amr, mean + LIMIT_FACTOR * amr
    lower_tt, upper_tt = mean - 2 / 3 * LIMIT_FACTOR * amr, mean + 2 / 3 * LIMIT_FACTOR * amr

    side = np.sign(y - mean)  # +1 above the mean, -1 below, 0 exactly on it
    flags = {  # per rule: +1 / -1 = flagged, in the high / low direction; 0 = not flagged
        "outside_limits": np.where(y > upl, 1, np.where(y < lpl, -1, 0)),
        "trend": _trend(y),
        "two_in_three": _two_in_three(y, side, lower_tt, upper_tt),
        "shift": _shift(side),
    }
    rule: list[str | None] = [None] * len(y)
    direction = np.zeros(len(y), dtype=int)
    for name in reversed(RULES):  # later writes win, so the first rule in RULES takes precedence
        hit = flags[name] != 0
        direction[hit] = flags[name][hit]
        for i in np.flatnonzero(hit):
            rule[i] = name

    sign = {"increase": 1, "decrease": -1, "neutral": 0}[improvement_direction]
    point_type = [
        "common_cause" if r is None else "neither" if sign == 0 else "improvement" if d * sign > 0 else "concern"
        for r, d in zip(rule, direction)
    ]
    variation = point_type[-1]
    if variation != "common_cause":
        variation += "_high" if direction[-1] > 0 else "_low"

    data = pd.DataFrame({
        "x": labels,
        "y": y,
        "mean": mean,
        "mr": np.concatenate([[np.nan], mr]),
        "lpl": lpl,
        "upl": upl,
        "lower_two_thirds": lower_tt,
        "upper_two_thirds": upper_tt,
        "special_cause": [r is not None for r in rule],
        "rule": pd.Series(rule, dtype="object"),
        "point_type": point_type,
    })
    return SPCResult(
        data=data, mean=mean, amr=amr, lpl=lpl, upl=upl, trial_limits=len(y) < MIN_POINTS,
        improvement_direction=improvement_direction, target=target, variation=variation,
        assurance=_assurance(lpl, upl, target, improvement_direction),
    )


def _runs(a: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """(start, stop, value) of each maximal run of equal values in `a`."""
    start = 0
    for i in range(1, len(a) + 1):
        if i == len(a) or a[i] != a[start]:
            yield start, i, int(a[start])
            start = i


def _trailing_run(a: np.ndarray) -> int:
    """Length of the run of equal values at the end of `a`."""
    return next(stop - start for start, stop, _ in reversed(list(_runs(a))))


def _trend(y: np.ndarray) -> np.ndarray:
    """+1/-1 for points in a run of 7+ each strictly higher/lower than the one before (6+ steps).

    An equal value breaks the run, as in NHSRplotthedots. A point shared by a rising and a falling trend
    (a peak or trough) takes the direction of the later trend, as NHSRplotthedots does ("use right side").
    """
    out = np.zeros(len(y), dtype=int)
    steps = np.sign(np.diff(y)).astype(int)  # step i joins point i to point i + 1
    for start, stop, v in _runs(steps):
        if v != 0 and stop - start >= RUN_LENGTH - 1:
            out[start:stop + 1] = v
    return out


def _two_in_three(y: np.ndarray, side: np.ndarray, lower_tt: float, upper_tt: float) -> np.ndarray:
    """+1/-1 for points beyond a two-thirds line in a window of 3 with at least 2 such points.

    As in NHSRplotthedots and the MDC Excel tool, all three points of the window must be on the same
    side of the mean (NHSRplotthedots issue #143), and only the points beyond the line are flagged.
    Difference: points beyond the process limits count towards the two, as in the MDC tools since their
    2023 change (NHSRplotthedots issue #194); NHSRplotthedots counts only points between the
    two-thirds line and the limit.
    """
    out = np.zeros(len(y), dtype=int)
    beyond = np.where(y > upper_tt, 1, np.where(y < lower_tt, -1, 0))
    for i in range(len(y) - 2):
        s = side[i]
        window = slice(i, i + 3)
        if s != 0 and np.all(side[window] == s) and np.sum(beyond[window] == s) >= 2:
            out[window] = np.where(beyond[window] == s, s, out[window])
    return out


def _shift(side: np.ndarray) -> np.ndarray:
    """+1/-1 for points in a run of 7+ on the same side of the mean; a point on the mean breaks the run."""
    out = np.zeros(len(side), dtype=int)
    for start, stop, v in _runs(side.astype(int)):
        if v != 0 and stop - start >= RUN_LENGTH:
            out[start:stop] = v
    return out


def _assurance(lpl: float, upl: float, target: float | None, direction: str) -> str | None:
    """MDC assurance icon: is the target outside the process limits, and on which side?"""
    if target is None or direction == "neutral":
        return None
    above, below = lpl > target, upl < target  # the whole process is above / below the target
    if direction == "decrease":
        above, below = below, above
    return "consistent_pass" if above else "consistent_fail" if below else "hit_or_miss"
