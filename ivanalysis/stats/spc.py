"""Making Data Count XmR ("plot the dots") charts.

Follows NHS England's Making Data Count method as implemented by the NHS-R package NHSRplotthedots
(mean of all points, limits at mean +/- 2.66 x mean moving range, moving-range screening, and the four
special-cause rules), with its options: rebasing (limits recalculated in groups from given dates), a fixed
baseline (limits from the first N points) and skipped missing points. Where the two differ, the comment at the
rule says so; book/methods.md lists every difference.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

LIMIT_FACTOR = 2.66  # 3 / d2, with d2 = 1.128 for moving ranges of two points
SCREEN_FACTOR = 3.267  # D4 for n = 2: moving ranges at or above 3.267 x the mean are unusual
RUN_LENGTH = 7  # points in a trend or a shift
# Below this the limits are "trial" limits. NHSRplotthedots' documentation and warning say "n < 12"; its code
# warns under 13 (option ptd_spc.warning_threshold, default 13). We keep 12, as the package documents.
MIN_POINTS = 12

DIRECTIONS = ("increase", "decrease", "neutral")
RULES = ("outside_limits", "trend", "two_in_three", "shift")  # in order of precedence


def _plain(v: float) -> str:
    """Default number format for summaries: 4 significant figures, thousands separated."""
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def _when(label: Any) -> str:
    """A point's label in words: a month for a date, the label itself otherwise."""
    if isinstance(label, (datetime, np.datetime64)):
        return f"{pd.Timestamp(label):%B %Y}"
    return str(label)


@dataclass(frozen=True)
class SPCGroup:
    """One stretch of an XmR chart with its own mean and limits (the whole series unless the chart is rebased)."""

    start: Any  # label of the group's first point
    end: Any  # label of its last point
    points: int  # points with a value
    baseline_points: int  # points the mean and limits come from: all of them, or the first fix_after_n_points
    mean: float
    amr: float
    lpl: float
    upl: float
    trial_limits: bool
    variation: str  # icon of the group's latest point
    assurance: str | None  # judged on the latest group only (None for earlier groups), as NHSRplotthedots does


@dataclass(frozen=True, eq=False)
class SPCResult:
    """An XmR chart: one row per point in `data`, plus the limits and the two MDC icons.

    With rebasing the limits differ between groups: the scalar fields (mean, amr, limits, trial_limits,
    variation, assurance) are those of the latest group, and `groups` holds every group. A point without a value
    keeps its row in `data` (y NaN, point_type "missing") so a chart can leave a gap; `missing` lists their labels.
    """

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
    groups: tuple[SPCGroup, ...] = ()
    missing: tuple[Any, ...] = ()
    fix_after_n_points: int | None = None

    def summary(self, fmt: Callable[[float], str] = _plain) -> str:
        """A plain-English sentence (or two) on the variation and, with a target, the assurance."""
        last = self._latest().iloc[-1]
        if last["point_type"] == "common_cause":
            text = (
                f"Common cause variation: the latest value ({fmt(last['y'])}) is within the process limits "
                f"({fmt(self.lpl)} to {fmt(self.upl)}) around a mean of {fmt(self.mean)}."
            )
        else:
            kind = {"improvement": "improvement", "concern": "concern",
                    "neither": "neither improvement nor concern"}[last["point_type"]]
            text = f"Special cause variation: {kind} ({self._reason(fmt)})."
        group = self.groups[-1] if self.groups else None
        if self.trial_limits:
            n = group.baseline_points if group else len(self.data)
            text += f" The limits are provisional (trial limits from only {n} points)."
        elif group and self.fix_after_n_points and group.points > group.baseline_points:
            base = self._latest()
            base = base[base["baseline"]]
            text += (f" The limits are fixed from the first {group.baseline_points} points "
                     f"({_when(base['x'].iloc[0])} to {_when(base['x'].iloc[-1])}) and extended over the rest.")
        if len(self.groups) > 1:
            before = self.groups[-2]
            text += (f" The limits were recalculated from {_when(group.start)}; before then the mean was "
                     f"{fmt(before.mean)} (process limits {fmt(before.lpl)} to {fmt(before.upl)}).")
        if self.missing:
            shown = ", ".join(_when(m) for m in self.missing[:3])
            more = f" and {len(self.missing) - 3} more" if len(self.missing) > 3 else ""
            has = "has" if len(self.missing) == 1 else "have"
            text += (f" {len(self.missing)} point{'s' if len(self.missing) > 1 else ''} {has} no value "
                     f"({shown}{more}): "
                     "left out of the mean, the limits and the rules, and shown as a gap.")
        if self.assurance is not None:
            t = fmt(self.target)
            if self.lpl > self.target:
                where = f"the lower process limit, {fmt(self.lpl)}, is above it"
            elif self.upl < self.target:
                where = f"the upper process limit, {fmt(self.upl)}, is below it"
            else:
                where = "it lies within the process limits"
            said = {
                "consistent_pass": f"the target of {t} is consistently met ({where})",
                "consistent_fail": f"the target of {t} is consistently missed ({where})",
                "hit_or_miss": f"the target of {t} is not consistently met (hit or miss: {where})",
            }[self.assurance]
            if last["point_type"] == "common_cause":
                text += f" {said[0].upper()}{said[1:]}."
            else:  # the limits describe the process before the change the latest points show: say so, never more
                text += (f" Judged by these limits, {said}; but the latest value shows special cause variation, so "
                         "the process has changed and the limits describe the months before the change. The target "
                         "is judged on the current process only once the limits are recalculated from the change (a "
                         "change date in the scheme's parameters).")
        return text

    def _latest(self) -> pd.DataFrame:
        """The latest group's points that have a value."""
        d = self.data
        if "group" in d:
            d = d[d["group"] == d["group"].iloc[-1]]
        return d[d["y"].notna()]

    def _reason(self, fmt: Callable[[float], str]) -> str:
        """Why the last point is special cause, in words."""
        d = self._latest()
        y = d["y"].to_numpy()
        last = d.iloc[-1]
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
    rebase: Sequence[Any] | None = None,
    fix_after_n_points: int | None = None,
    allow_missing: bool = False,
    freq: str | None = None,
) -> SPCResult:
    """Build a Making Data Count XmR chart for a series in time order (e.g. monthly values).

    `x` labels the points (e.g. month Timestamps); by default 0..n-1. `improvement_direction` is
    "increase", "decrease" or "neutral". With `screen_outliers` (the NHSRplotthedots default), unusually
    large moving ranges are left out of the mean moving range so one jump does not widen the limits.

    Options (NHSRplotthedots' `rebase` and `fix_after_n_points`; off by default):
    rebase: labels (e.g. dates) from which the limits are recalculated: each starts a group at the first point
        on or after it, and each group gets its own mean, limits, rules and icons (no run crosses a rebase). The
        scalar fields and the assurance are the latest group's.
    fix_after_n_points: the mean and limits of each group come from its first N points with a value and are
        extended over the rest (a fixed baseline).
    allow_missing: a missing or non-finite value is skipped, as NHSRplotthedots skips an absent row: the moving
        range joins the points either side and runs carry on across the gap, but the point keeps its row (y NaN,
        point_type "missing") so a chart shows the gap, and the summary says so. Without it a gap is refused.
    freq: a pandas frequency (e.g. "MS") for date labels: periods absent from `x` are added as missing points
        (implies allow_missing), so a month with no data shows as a gap rather than silently closing up.
    """
    if improvement_direction not in DIRECTIONS:
        raise ValueError(f"improvement_direction must be one of {DIRECTIONS}, not {improvement_direction!r}")
    if fix_after_n_points is not None and (int(fix_after_n_points) != fix_after_n_points or fix_after_n_points < 2):
        raise ValueError(f"fix_after_n_points must be a whole number of at least 2, not {fix_after_n_points!r}")
    y, labels = _series(values, x, allow_missing=allow_missing or freq is not None, freq=freq)
    group = _groups(labels, y, rebase)
    latest = int(group.max())
    charts = [
        _group_chart(np.flatnonzero(group == g), y, labels, improvement_direction, screen_outliers,
                     fix_after_n_points, target if g == latest else None)
        for g in range(latest + 1)
    ]
    last = charts[-1].summary
    return SPCResult(
        data=_frame(labels, y, group, charts), mean=last.mean, amr=last.amr, lpl=last.lpl, upl=last.upl,
        trial_limits=last.trial_limits, improvement_direction=improvement_direction, target=target,
        variation=last.variation, assurance=last.assurance, groups=tuple(c.summary for c in charts),
        missing=tuple(labels[i] for i in np.flatnonzero(np.isnan(y))),
        fix_after_n_points=None if fix_after_n_points is None else int(fix_after_n_points),
    )


# --- the steps of a chart: the series, its groups, each group's limits, rules and icons, the table of points --------
def _series(values: Sequence[float], x: Sequence[Any] | None, *, allow_missing: bool, freq: str | None
            ) -> tuple[np.ndarray, list]:
    """The values as floats (NaN where missing) and their labels; a gap refused unless `allow_missing`."""
    y = np.array(pd.Series(values).astype("float64"), dtype=float)  # a writable copy
    labels = list(range(len(y))) if x is None else list(x)
    if len(labels) != len(y):
        raise ValueError(f"x has {len(labels)} labels but there are {len(y)} values")
    if freq is not None:
        y, labels = _fill_periods(y, labels, freq)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size and not allow_missing:
        i = bad[0]
        raise ValueError(f"value at position {i} (x={labels[i]!r}) is missing or not finite; "
                         "an XmR chart needs a complete series (or allow_missing=True to skip it)")
    y[bad] = np.nan
    if np.isfinite(y).sum() < 2:
        raise ValueError(f"an XmR chart needs at least 2 values, got {int(np.isfinite(y).sum())}")
    return y, labels


@dataclass(frozen=True)
class _Limits:
    """A group's centre line, process limits and two-thirds lines, from the mean and mean moving range."""

    mean: float
    amr: float

    @property
    def lpl(self) -> float:
        return self.mean - LIMIT_FACTOR * self.amr

    @property
    def upl(self) -> float:
        return self.mean + LIMIT_FACTOR * self.amr

    @property
    def lower_two_thirds(self) -> float:
        return self.mean - 2 / 3 * LIMIT_FACTOR * self.amr

    @property
    def upper_two_thirds(self) -> float:
        return self.mean + 2 / 3 * LIMIT_FACTOR * self.amr


@dataclass(frozen=True, eq=False)
class _GroupChart:
    """One group's points (positions in the series) with their rules and icons, and its SPCGroup summary."""

    members: np.ndarray  # every point of the group
    have: np.ndarray  # those with a value
    base: np.ndarray  # those the limits come from
    limits: _Limits
    rule: list[str | None]  # per point with a value
    point_type: list[str]  # per point with a value
    summary: SPCGroup


def _group_chart(members: np.ndarray, y: np.ndarray, labels: list, improvement_direction: str,
                 screen_outliers: bool, fix_after_n_points: int | None, target: float | None) -> _GroupChart:
    """One group's limits, rules and icons; `target` only for the latest group (whose assurance is judged)."""
    have = members[np.isfinite(y[members])]
    base = have if fix_after_n_points is None else have[:int(fix_after_n_points)]
    limits = _Limits(*_centre(y[base], screen_outliers))
    rule, direction = _rules(y[have], limits.mean, limits.lpl, limits.upl, limits.lower_two_thirds,
                             limits.upper_two_thirds)
    types = _point_types(rule, direction, improvement_direction)
    summary = SPCGroup(
        start=labels[members[0]], end=labels[members[-1]], points=len(have), baseline_points=len(base),
        mean=limits.mean, amr=limits.amr, lpl=limits.lpl, upl=limits.upl, trial_limits=len(base) < MIN_POINTS,
        variation=_variation(types[-1], direction[-1]),
        assurance=_assurance(limits.lpl, limits.upl, target, improvement_direction),
    )
    return _GroupChart(members, have, base, limits, rule, types, summary)


def _point_types(rule: list[str | None], direction: np.ndarray, improvement_direction: str) -> list[str]:
    """Each point's kind: common cause, or special cause that is an improvement, a concern or neither."""
    sign = {"increase": 1, "decrease": -1, "neutral": 0}[improvement_direction]
    return ["common_cause" if r is None else "neither" if sign == 0 else "improvement" if d * sign > 0 else "concern"
            for r, d in zip(rule, direction)]


def _variation(point_type: str, direction: int) -> str:
    """The MDC variation icon of a point: its kind, and for special cause the side it is on (_high or _low)."""
    return point_type if point_type == "common_cause" else point_type + ("_high" if direction > 0 else "_low")


def _frame(labels: list, y: np.ndarray, group: np.ndarray, charts: list[_GroupChart]) -> pd.DataFrame:
    """One row per point: its value, its group's limits, its moving range, rule and kind."""
    n = len(y)
    cols = {k: np.full(n, np.nan) for k in ("mean", "mr", "lpl", "upl", "lower_two_thirds", "upper_two_thirds")}
    rule: list[str | None] = [None] * n
    point_type = ["missing"] * n
    baseline = np.zeros(n, dtype=bool)
    for c in charts:
        baseline[c.base] = True
        for k in ("mean", "lpl", "upl", "lower_two_thirds", "upper_two_thirds"):
            cols[k][c.members] = getattr(c.limits, k)
        cols["mr"][c.have[1:]] = np.abs(np.diff(y[c.have]))
        for i, r, t in zip(c.have, c.rule, c.point_type):
            rule[i], point_type[i] = r, t
    return pd.DataFrame({
        "x": labels,
        "y": y,
        **cols,
        "special_cause": [r is not None for r in rule],
        "rule": pd.Series(rule, dtype="object"),
        "point_type": point_type,
        "group": group,
        "baseline": baseline,
    })


def _fill_periods(y: np.ndarray, labels: list, freq: str) -> tuple[np.ndarray, list]:
    """Add the periods of `freq` absent from the date labels as missing values (NaN)."""
    x = pd.DatetimeIndex(pd.to_datetime(labels))
    if len(x) == 0:
        return y, labels
    if not x.is_monotonic_increasing or x.has_duplicates:
        raise ValueError("with freq, x must be dates in increasing order without repeats")
    full = pd.date_range(x[0], x[-1], freq=freq)
    off = x.difference(full)
    if len(off):
        raise ValueError(f"x={off[0]!r} is not on the {freq!r} calendar that starts at {x[0]!r}")
    return pd.Series(y, index=x).reindex(full).to_numpy(), list(full)


def _groups(labels: list, y: np.ndarray, rebase: Sequence[Any] | None) -> np.ndarray:
    """Group number of each point: 0 before the first rebase, 1 from it, and so on."""
    if rebase is None or len(rebase) == 0:
        return np.zeros(len(labels), dtype=int)
    x = pd.Index(labels)
    if not x.is_monotonic_increasing:
        raise ValueError("to rebase, x must be in increasing order")
    dates = isinstance(x, pd.DatetimeIndex)
    cuts = pd.Index(sorted({pd.Timestamp(r) if dates else r for r in rebase}))
    for c in cuts:
        if not x[0] < c <= x[-1]:
            raise ValueError(f"rebase at {_when(c)} is not after the first point ({_when(x[0])}) and on or before "
                             f"the last ({_when(x[-1])})")
    group = np.asarray(cuts.searchsorted(x, side="right"), dtype=int)  # rebases on or before each point
    for g in range(len(cuts) + 1):
        have = int(np.isfinite(y[group == g]).sum())
        if have < 2:
            start = _when(x[0] if g == 0 else cuts[g - 1])
            raise ValueError(f"the group from {start} has {have} value{'s' if have != 1 else ''}; each group of "
                             "a rebased chart needs at least 2")
    return group


def _centre(y: np.ndarray, screen_outliers: bool) -> tuple[float, float]:
    """Mean and mean moving range of the baseline points (the moving ranges screened as NHSRplotthedots does)."""
    mean = float(y.mean())
    mr = np.abs(np.diff(y))
    amr = float(mr.mean())
    if screen_outliers and amr > 0:
        # NHSRplotthedots keeps moving ranges strictly below 3.267 x amr (so one exactly at it is dropped too)
        amr = float(mr[mr < SCREEN_FACTOR * amr].mean())
    # A constant baseline has amr 0, so its limits equal the mean (NHSRplotthedots gives no limits: NaN)
    return mean, amr


def _rules(y: np.ndarray, mean: float, lpl: float, upl: float, lower_tt: float, upper_tt: float
           ) -> tuple[list[str | None], np.ndarray]:
    """The rule that flags each point (None: common cause) and its direction (+1 high, -1 low, 0 none)."""
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
    return rule, direction


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
