"""XmR chart: limits, the four special-cause rules, icons and summary, each checked against hand sums."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ivanalysis.stats.spc import xmr

pytestmark = pytest.mark.unit

# 12 points, sum 144 -> mean 12.
# Moving ranges 3,4,2,2,1,3,3,1,1,0,2: sum 22 over 11 -> amr 2 (none >= 3.267 x 2 = 6.53, so none screened).
# Limits 12 +/- 2.66 x 2 = 6.68 and 17.32; two-thirds lines 12 +/- 3.5467 = 8.4533 and 15.5467.
# No point beyond a two-thirds line (max 15, min 9); longest run one side of the mean is 4 (9,10,11,11);
# steps -,+,-,+,+,-,-,+,+,0,+ have no 6 in a row: all common cause.
STABLE = [13, 10, 14, 12, 14, 15, 12, 9, 10, 11, 11, 13]

# Shift: 8,12,8,12,8 then 11,12,11,12,11,12,11 (7 points). Sum 24 + 60 + 44 = 128 -> mean 10.6667.
# MRs 4,4,4,4,3,1,1,1,1,1,1 = 25 -> amr 2.2727; limits 10.6667 +/- 6.0455 = 4.621 / 16.712;
# two-thirds 6.636 / 14.697, so the 8s and 12s are inside both. Last 7 points above the mean.
SHIFT = [8, 12, 8, 12, 8, 11, 12, 11, 12, 11, 12, 11]


def rules(result):
    return list(result.data["rule"])


def test_limits_worked_by_hand():
    r = xmr(STABLE)
    assert r.mean == pytest.approx(12.0)
    assert r.amr == pytest.approx(2.0)
    assert r.lpl == pytest.approx(6.68)
    assert r.upl == pytest.approx(17.32)
    assert r.data["lower_two_thirds"].iloc[0] == pytest.approx(12 - 2 / 3 * 5.32)  # 8.4533
    assert r.data["upper_two_thirds"].iloc[0] == pytest.approx(12 + 2 / 3 * 5.32)  # 15.5467
    assert math.isnan(r.data["mr"].iloc[0]) and r.data["mr"].iloc[1] == 3  # |10 - 13|
    assert not r.data["special_cause"].any()
    assert r.trial_limits is False
    assert r.variation == "common_cause"


def test_x_labels_are_kept():
    months = pd.date_range("2024-04-01", periods=12, freq="MS")
    r = xmr(STABLE, months)
    assert r.data["x"].iloc[0] == pd.Timestamp("2024-04-01")
    assert list(r.data.columns) == ["x", "y", "mean", "mr", "lpl", "upl", "lower_two_thirds",
                                    "upper_two_thirds", "special_cause", "rule", "point_type", "group", "baseline"]
    assert set(r.data["group"]) == {0} and r.data["baseline"].all()
    assert len(r.groups) == 1 and r.missing == ()


def test_trial_limits_under_12_points():
    assert xmr(STABLE[:11]).trial_limits is True
    assert xmr(STABLE).trial_limits is False


def test_screening_removes_a_huge_moving_range():
    # 10,11 x5 then 10, 40: six 10s + five 11s + 40 = 155 -> mean 12.9167.
    # MRs: ten 1s and |40 - 10| = 30 -> raw amr 40/11 = 3.636; 30 >= 3.267 x 3.636 = 11.88 so it is dropped
    # -> amr 10/10 = 1.
    y = [10, 11] * 5 + [10, 40]
    screened = xmr(y)
    assert screened.mean == pytest.approx(155 / 12)
    assert screened.amr == pytest.approx(1.0)
    assert screened.upl == pytest.approx(155 / 12 + 2.66)  # 15.5767: the 40 is far outside
    assert screened.data["rule"].iloc[-1] == "outside_limits"
    assert xmr(y, screen_outliers=False).amr == pytest.approx(40 / 11)


def test_outside_limits_takes_precedence_over_shift():
    # Five 10s, six 12s, then 20: sum 50 + 72 + 20 = 142 -> mean 11.8333.
    # MRs 0,0,0,0,2,0,0,0,0,0,8: raw amr 10/11 = 0.909; 8 >= 2.97 screened out -> amr 2/10 = 0.2.
    # Limits 11.8333 +/- 0.532 = 11.3013 / 12.3653: the 10s are below, the 20 above, the 12s inside.
    # The last 7 points (six 12s and the 20) are above the mean: a shift, but the 20 is outside limits first.
    r = xmr([10] * 5 + [12] * 6 + [20])
    assert r.amr == pytest.approx(0.2)
    assert rules(r) == ["outside_limits"] * 5 + ["shift"] * 6 + ["outside_limits"]
    assert list(r.data["point_type"]) == ["concern"] * 5 + ["improvement"] * 7


def test_trend_of_seven_is_flagged():
    # Points 3-9 are 10,11,...,16: six rises in a row. Sum 171 -> mean 14.25.
    # MRs 10,10,10,1,1,1,1,1,1,6,10 = 52 -> amr 4.727 (none >= 15.4); limits 1.68 / 26.82;
    # two-thirds 5.87 / 22.63, so nothing is near a limit. Longest run one side of the mean: 5 (10..14 below).
    r = xmr([20, 10, 20, 10, 11, 12, 13, 14, 15, 16, 10, 20])
    assert rules(r) == [None] * 3 + ["trend"] * 7 + [None] * 2
    # A rising trend is improvement when increase is better, even for the points below the mean
    assert set(r.data["point_type"].iloc[3:10]) == {"improvement"}


def test_six_point_trend_is_not_flagged():
    # 10..15 is only 6 points (5 rises). Sum 165 -> mean 13.75; MRs sum 60 -> amr 5.45; nothing near limits.
    r = xmr([20, 10, 20, 10, 11, 12, 13, 14, 15, 10, 20, 10])
    assert rules(r) == [None] * 12


def test_equal_value_breaks_a_trend():
    # 10,11,12,12,13,14,15: the repeated 12 splits it into rises of 2 and 3. Mean 167/12 = 13.92.
    r = xmr([20, 10, 20, 10, 11, 12, 12, 13, 14, 15, 10, 20])
    assert rules(r) == [None] * 12


def test_falling_trend_with_decrease_is_improvement():
    # 30 minus the rising-trend series: points 3-9 fall 20,19,...,14.
    r = xmr([10, 20, 10, 20, 19, 18, 17, 16, 15, 14, 20, 10], improvement_direction="decrease")
    assert rules(r)[3:10] == ["trend"] * 7
    assert set(r.data["point_type"].iloc[3:10]) == {"improvement"}


def test_two_in_three_is_flagged():
    # Sum 12x5 + 14x5 + 17x2 = 164 -> mean 13.6667. MRs 0,2,0,2,0,2,0,2,5,3,3 = 19 -> amr 1.7273.
    # Upper two-thirds line 13.6667 + 1.7733 x 1.7273 = 16.7297; upper limit 13.6667 + 4.5945 = 18.2612.
    # Last window 17,14,17: all above the mean, two beyond the line -> flag the two 17s, not the 14.
    r = xmr([12, 12, 14, 14, 12, 12, 14, 14, 12, 17, 14, 17])
    assert r.data["upper_two_thirds"].iloc[0] == pytest.approx(164 / 12 + 2 / 3 * 2.66 * 19 / 11)
    assert rules(r) == [None] * 9 + ["two_in_three", None, "two_in_three"]
    assert r.variation == "improvement_high"


def test_one_in_three_is_not_flagged():
    # Last window 17,14,15: mean 162/12 = 13.5, amr 17/11 = 1.5455, upper line 13.5 + 2.7406 = 16.2406.
    # Only the 17 is beyond it (and inside the limit 17.611).
    r = xmr([12, 12, 14, 14, 12, 12, 14, 14, 12, 17, 14, 15])
    assert rules(r) == [None] * 12


def test_two_in_three_needs_all_three_on_one_side_of_the_mean():
    # 18,13,18: mean 165/12 = 13.75, amr 24/11 = 2.1818, upper line 17.619, limit 19.554.
    # Both 18s are beyond the line, but the 13 between them is below the mean (MDC / NHSRplotthedots rule).
    r = xmr([12, 12, 14, 14, 12, 12, 14, 14, 12, 18, 13, 18])
    assert rules(r) == [None] * 12


def test_two_in_three_counts_a_point_beyond_the_limit():
    # MDC's 2023 rule (NHSRplotthedots counts only points between the line and the limit).
    # Sum 13+15+14+13+15+12+13+15+12+22+20+16 = 180 -> mean 15.
    # MRs 2,1,1,2,3,1,2,3,10,2,4 = 31 -> raw amr 2.818; 10 >= 3.267 x 2.818 = 9.21 is screened
    # -> amr 21/10 = 2.1. Limits 15 +/- 5.586 = 9.414 / 20.586; two-thirds lines 15 +/- 3.724 = 11.276 / 18.724.
    # Window 22,20,16: all above the mean, 22 (outside the limit) and 20 beyond the line -> 20 flagged.
    # Earlier points: the 15s sit exactly on the mean, so no run of 7 below; nothing beyond 11.276.
    r = xmr([13, 15, 14, 13, 15, 12, 13, 15, 12, 22, 20, 16])
    assert r.amr == pytest.approx(2.1)
    assert r.upl == pytest.approx(20.586)
    assert rules(r) == [None] * 9 + ["outside_limits", "two_in_three", None]


def test_shift_of_seven_is_flagged():
    r = xmr(SHIFT)
    assert rules(r) == [None] * 5 + ["shift"] * 7
    assert r.variation == "improvement_high"


def test_six_point_shift_is_not_flagged():
    # 8,12,8,12,8,8 then six points above: sum 125 -> mean 10.4167; two-thirds 6.386 / 14.447.
    r = xmr([8, 12, 8, 12, 8, 8, 12, 11, 12, 11, 12, 11])
    assert rules(r) == [None] * 12


def test_point_on_the_mean_breaks_a_shift():
    # Sum 5+12+5+12+8+11+12+11+10+11+12+11 = 120 -> mean exactly 10, so the 10 is on the mean and splits
    # the 7 points 11,12,11,10,11,12,11 into runs of 3. MRs sum 34 -> amr 3.09; lower line 4.52 < 5.
    r = xmr([5, 12, 5, 12, 8, 11, 12, 11, 10, 11, 12, 11])
    assert r.mean == 10.0
    assert rules(r) == [None] * 12


def test_variation_icons_follow_direction():
    assert xmr(SHIFT, improvement_direction="decrease").variation == "concern_high"
    assert xmr(SHIFT, improvement_direction="neutral").variation == "neither_high"
    assert set(xmr(SHIFT, improvement_direction="neutral").data["point_type"].iloc[5:]) == {"neither"}
    # Mirror image (negated): the last 7 are below the mean, which is improvement when lower is better
    assert xmr([-v for v in SHIFT], improvement_direction="decrease").variation == "improvement_low"
    assert xmr([-v for v in SHIFT]).variation == "concern_low"


@pytest.mark.parametrize(
    ("direction", "target", "expected"),
    [
        # STABLE has lpl 6.68 and upl 17.32
        ("increase", 5, "consistent_pass"),  # even the lower limit is above the target
        ("increase", 20, "consistent_fail"),  # even the upper limit is below the target
        ("increase", 10, "hit_or_miss"),
        ("decrease", 20, "consistent_pass"),
        ("decrease", 5, "consistent_fail"),
        ("decrease", 17, "hit_or_miss"),
        ("neutral", 10, None),
        ("increase", None, None),
    ],
)
def test_assurance(direction, target, expected):
    assert xmr(STABLE, improvement_direction=direction, target=target).assurance == expected


def test_summary_sentence():
    # SHIFT: mean 128/12 = 10.67, limits 4.62 / 16.71; a target of 15 lies between them
    text = xmr(SHIFT, target=15).summary(lambda v: f"{v:.1f}")
    # the latest points show a shift: the limits describe the process before it, and the sentence says so (the issue:
    # pages said "consistently missed" beside a latest value above the upper limit)
    assert text == ("Special cause variation: improvement (the last 7 points are above the mean of 10.7). "
                    "Judged by these limits, the target of 15.0 is not consistently met (hit or miss: it lies within "
                    "the process limits); but the latest value shows special cause variation, so the process has "
                    "changed and the limits describe the months before the change. The target is judged on the "
                    "current process only once the limits are recalculated from the change (a change date in the "
                    "scheme's parameters).")
    common = xmr(STABLE, target=5).summary()
    assert common.startswith("Common cause variation: the latest value (13) is within the process limits "
                             "(6.68 to 17.32) around a mean of 12.")
    assert common.endswith("The target of 5 is consistently met (the lower process limit, 6.68, is above it).")
    assert "trial limits from only 11 points" in xmr(STABLE[:11]).summary()


def test_input_errors():
    with pytest.raises(ValueError, match="position 2"):
        xmr([1.0, 2.0, float("nan"), 4.0])
    with pytest.raises(ValueError, match="at least 2"):
        xmr([1.0])
    with pytest.raises(ValueError, match="improvement_direction"):
        xmr(STABLE, improvement_direction="up")
    with pytest.raises(ValueError, match="labels"):
        xmr(STABLE, x=range(3))


def test_constant_series_has_limits_equal_to_the_mean():
    # Deliberate difference: every moving range is 0, so amr = 0 and the limits sit on the mean (5).
    # NHSRplotthedots screens every range out (0 < 3.267 x 0 is false) and so has no limits (NaN).
    r = xmr([5.0] * 12)
    assert (r.amr, r.lpl, r.upl) == (0.0, 5.0, 5.0)
    assert r.variation == "common_cause" and not r.data["special_cause"].any()


# --- rebasing ----------------------------------------------------------------------------------------------------
MONTHS24 = pd.date_range("2024-04-01", periods=24, freq="MS")
STEPPED = STABLE + [v + 10 for v in STABLE]  # the same 12 points, then 10 higher from April 2025


def test_rebase_gives_each_group_its_own_mean_limits_and_rules():
    # Group 1 is STABLE: mean 12, amr 2, limits 6.68 / 17.32. Group 2 is STABLE + 10: sum 264 -> mean 22, the
    # same moving ranges -> amr 2, limits 16.68 / 27.32. Within each group nothing is special (see STABLE).
    r = xmr(STEPPED, MONTHS24, rebase=[pd.Timestamp("2025-04-01")], target=15)
    first, second = r.groups
    assert (first.start, first.end, first.points) == (MONTHS24[0], MONTHS24[11], 12)
    assert (first.mean, first.amr, first.lpl, first.upl) == pytest.approx((12, 2, 6.68, 17.32))
    assert (second.mean, second.lpl, second.upl) == pytest.approx((22, 16.68, 27.32))
    assert (r.mean, r.lpl, r.upl) == pytest.approx((22, 16.68, 27.32))  # the scalars are the latest group's
    assert list(r.data["group"]) == [0] * 12 + [1] * 12
    assert r.data["mean"].tolist() == pytest.approx([12] * 12 + [22] * 12)
    assert math.isnan(r.data["mr"].iloc[12])  # no moving range across a rebase (|23 - 13| would be 10)
    assert not r.data["special_cause"].any()
    # the assurance is judged on the latest group only: its lower limit 16.68 is above the target of 15
    assert (first.assurance, second.assurance, r.assurance) == (None, "consistent_pass", "consistent_pass")
    assert r.summary() == (
        "Common cause variation: the latest value (23) is within the process limits (16.68 to 27.32) around a mean "
        "of 22. The limits were recalculated from April 2025; before then the mean was 12 (process limits 6.68 to "
        "17.32). The target of 15 is consistently met (the lower process limit, 16.68, is above it).")
    # Without the rebase one mean of 17 splits the series: the first 12 below it, the last 12 above it
    assert xmr(STEPPED, MONTHS24).data["special_cause"].all()


def test_rebase_date_between_points_starts_at_the_next_point_and_no_run_crosses_it():
    # Rebase on 15 March 2025: the group starts with the first point on or after it (April 2025).
    r = xmr(STEPPED, MONTHS24, rebase=["2025-03-15"])
    assert list(r.data["group"]) == [0] * 12 + [1] * 12
    # Runs stop at a rebase. Over all 16 points the mean is 174 / 16 = 10.875 and the last 11 points (11s and 12s)
    # are above it: a shift. Rebased at point 8, group 1 (mean 82 / 8 = 10.25) ends with only 3 points above its
    # mean, and group 2 (mean 11.5, amr 1) alternates around its own: nothing is special.
    y = [8, 12, 8, 12, 8, 11, 12, 11] + [12, 11, 12, 11, 12, 11, 12, 11]
    assert list(xmr(y).data["rule"]) == [None] * 5 + ["shift"] * 11
    split = xmr(y, rebase=[8])
    assert [g.mean for g in split.groups] == pytest.approx([10.25, 11.5])
    assert not split.data["special_cause"].any()


@pytest.mark.parametrize(("rebase", "message"), [
    ([pd.Timestamp("2024-04-01")], "not after the first point"),
    ([pd.Timestamp("2026-04-01")], "on or before the last"),
    ([pd.Timestamp("2026-03-01")], "the group from March 2026 has 1 value"),
])
def test_rebase_errors(rebase, message):
    with pytest.raises(ValueError, match=message):
        xmr(STEPPED, MONTHS24, rebase=rebase)


# --- fixed baseline ----------------------------------------------------------------------------------------------
def test_fixed_baseline_extends_the_first_n_points_limits():
    # Limits from STABLE's 12 points (mean 12, limits 6.68 / 17.32), extended over 7 more points all above 12:
    # with the last point of STABLE (13) that is a shift of 8 above the fixed mean.
    later = [14, 13, 15, 14, 13, 14, 15]
    r = xmr(STABLE + later, fix_after_n_points=12)
    assert (r.mean, r.lpl, r.upl) == pytest.approx((12, 6.68, 17.32))
    assert r.data["mean"].tolist() == pytest.approx([12] * 19)
    assert list(r.data["baseline"]) == [True] * 12 + [False] * 7
    assert list(r.data["rule"]) == [None] * 11 + ["shift"] * 8
    assert r.trial_limits is False
    assert r.summary().endswith("The limits are fixed from the first 12 points (0 to 11) and extended over the rest.")
    # Recalculated over all 19 points the mean is (144 + 98) / 19 = 12.74 and the later points move it
    assert xmr(STABLE + later).mean == pytest.approx(242 / 19)


def test_fixed_baseline_with_too_few_points_is_a_trial():
    r = xmr(STABLE[:9], fix_after_n_points=12)
    assert r.trial_limits is True and "trial limits from only 9 points" in r.summary()
    with pytest.raises(ValueError, match="fix_after_n_points"):
        xmr(STABLE, fix_after_n_points=1)


# --- missing points ----------------------------------------------------------------------------------------------
def test_a_missing_point_is_skipped_but_kept_as_a_gap():
    # STABLE without its 6th value (15): 11 values summing to 129 -> mean 11.7273. Moving ranges join the points
    # either side of the gap: 3,4,2,2,|12 - 14| = 2,3,1,1,0,2 = 20 over 10 -> amr 2; limits 11.7273 -/+ 5.32.
    y = np.array(STABLE, dtype=float)
    y[5] = np.nan
    r = xmr(y, allow_missing=True)
    assert r.mean == pytest.approx(129 / 11)
    assert r.amr == pytest.approx(2.0)
    assert (r.lpl, r.upl) == pytest.approx((129 / 11 - 5.32, 129 / 11 + 5.32))
    row = r.data.iloc[5]
    assert math.isnan(row["y"]) and row["point_type"] == "missing" and not row["special_cause"]
    assert r.data["mr"].iloc[6] == 2  # |12 - 14| across the gap
    assert r.missing == (5,)
    assert r.trial_limits is True  # 11 values
    assert r.summary().endswith("1 point has no value (5): left out of the mean, the limits and the rules, and "
                                "shown as a gap.")


def test_an_absent_month_becomes_a_gap_with_freq():
    months = pd.date_range("2024-04-01", periods=12, freq="MS").delete(5)  # no September 2024
    values = [v for i, v in enumerate(STABLE) if i != 5]
    r = xmr(values, months, freq="MS")
    assert len(r.data) == 12 and r.missing == (pd.Timestamp("2024-09-01"),)
    assert r.mean == pytest.approx(129 / 11)
    assert "1 point has no value (September 2024)" in r.summary()
    with pytest.raises(ValueError, match="not on the 'MS' calendar"):
        xmr([1.0, 2.0, 3.0], pd.to_datetime(["2024-04-01", "2024-05-15", "2024-06-01"]), freq="MS")
