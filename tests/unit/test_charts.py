"""Charts build on small results, carry the right series and labels, and leave nothing open in pyplot."""
from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ivanalysis.report import charts  # noqa: E402
from ivanalysis.stats.funnel import proportion_funnel  # noqa: E402
from ivanalysis.stats.spc import xmr  # noqa: E402

pytestmark = pytest.mark.unit

# Last 7 points above the mean 10.67 (a shift: special cause improvement); limits 4.62 / 16.71.
SHIFT = [8, 12, 8, 12, 8, 11, 12, 11, 12, 11, 12, 11]


def legend_labels(fig):
    labels = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    return labels + [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def test_value_formats():
    assert charts.value_formatter("percent")(0.25, 0) == "25%"
    assert charts.format_value(0.725, "percent") == "72.5%"
    assert charts.format_value(1234.4, "gbp") == "£1,234"
    assert charts.format_value(2_500_000, "gbp") == "£2.5m"
    assert charts.format_value(1234567, "number") == "1,234,567"
    with pytest.raises(ValueError):
        charts.value_formatter("euro")


def test_apply_style_sets_reproducible_svg():
    charts.apply_style(force=True)
    assert matplotlib.rcParams["svg.hashsalt"] == "ivanalysis"
    assert matplotlib.rcParams["svg.fonttype"] == "none"
    assert list(matplotlib.rcParams["figure.figsize"]) == [9.0, 4.5]
    assert matplotlib.rcParams["axes.spines.top"] is False


def test_spc_chart():
    months = pd.date_range("2024-04-01", periods=12, freq="MS")
    fig = charts.spc_chart(xmr(SHIFT, months, target=15), title="Waits", y_label="Patients")
    ax = fig.axes[0]
    # Lines: data, mean, upper limit, lower limit, target = 5; special-cause points: 1 scatter (improvement)
    assert len(ax.lines) == 5
    assert len(ax.collections) == 1
    assert legend_labels(fig) == ["Common cause", "Mean (10.7)", "Process limits", "Target (15)",
                                  "Special cause: improvement"]
    # The 7 improvement points are drawn as diamonds, not only in blue
    assert len(ax.collections[0].get_offsets()) == 7
    assert plt.get_fignums() == []  # built outside pyplot: nothing left open


def test_spc_chart_trial_limits_are_noted():
    fig = charts.spc_chart(xmr(SHIFT[:8]), title="Waits", y_label="Patients", value_format="percent")
    ax = fig.axes[0]
    assert "trial limits" in ax.get_title(loc="left")
    assert "Process limits (trial)" in legend_labels(fig)
    assert ax.yaxis.get_major_formatter()(0.25, 0) == "25%"


def test_spc_chart_rebased_draws_each_groups_limits_over_its_own_points():
    # 12 months alternating 10, 12 (mean 11, mean moving range 2: limits 11 -/+ 2.66 x 2 = 5.68 / 16.32), then from
    # April 2025 12 months alternating 20, 22 (mean 21, limits 15.68 / 26.32)
    months = pd.date_range("2024-04-01", periods=24, freq="MS")
    result = xmr([10, 12] * 6 + [20, 22] * 6, months, rebase=[pd.Timestamp("2025-04-01")])
    fig = charts.spc_chart(result, title="Admissions", y_label="Admissions", markers={"2025-04-01": "ESC started"})
    ax = fig.axes[0]
    # Lines: data; mean, upper and lower limit for each of the 2 groups; the dotted line at the recalculation
    assert len(ax.lines) == 8
    means = [line for line in ax.lines if line.get_color() == charts.DARK_BLUE]
    assert [len(line.get_xdata()) for line in means] == [12, 12]  # never one line across the change
    assert [set(line.get_ydata()) for line in means] == [{11.0}, {21.0}]
    upper = [line for line in ax.lines if line.get_linestyle() == "--"][::2]
    assert [float(line.get_ydata()[0]) for line in upper] == pytest.approx([16.32, 26.32])
    assert legend_labels(fig) == ["Common cause", "Mean (11 then 21)", "Process limits"]
    assert [t.get_text() for t in ax.texts] == ["ESC started"]
    assert plt.get_fignums() == []


def test_spc_chart_names_an_unlabelled_recalculation_and_draws_further_lines():
    months = pd.date_range("2024-04-01", periods=24, freq="MS")
    result = xmr([10, 12] * 6 + [20, 22] * 6, months, rebase=[pd.Timestamp("2025-04-01")])
    fitted = pd.Series([11.0] * 12 + [21.0] * 12, index=months)
    fig = charts.spc_chart(result, title="t", y_label="y", lines={"Fitted": fitted})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["Limits recalculated"]
    assert legend_labels(fig)[-1] == "Fitted"
    assert len(ax.lines) == 9  # the 8 of a rebased chart and the fitted line


def test_spc_chart_without_a_change_date_is_drawn_as_before():
    # no rebase: one mean and one pair of limits across every point, no vertical line, no text
    months = pd.date_range("2024-04-01", periods=12, freq="MS")
    ax = charts.spc_chart(xmr(SHIFT, months), title="Waits", y_label="Patients").axes[0]
    assert len(ax.lines) == 4 and len(ax.texts) == 0
    assert len(ax.lines[1].get_xdata()) == 12


def test_funnel_chart_labels_outliers_and_highlights():
    # Target 0.3, n = 100: 99.8% limits 0.1701 / 0.4488, so hi (0.50) and lo (0.15) are outliers
    result = proportion_funnel(["in1", "in2", "hi", "lo"], [30, 31, 50, 15], [100] * 4,
                               target=0.3, overdispersion="none")
    fig = charts.funnel_chart(result, title="Funnel", x_label="Patients", y_label="Rate")
    ax = fig.axes[0]
    assert len(ax.lines) == 5  # upper and lower 95% and 99.8% curves, target
    assert legend_labels(fig) == ["95% limits", "99.8% limits", "Overall (30%)", "Providers"]
    assert sorted(t.get_text() for t in ax.texts) == ["hi", "lo"]

    fig = charts.funnel_chart(result, title="Funnel", x_label="Patients", y_label="Rate", highlight={"in1"},
                              label_outliers=False)
    ax = fig.axes[0]
    assert legend_labels(fig)[-2:] == ["Other providers", "Highlighted providers"]
    assert [len(c.get_offsets()) for c in ax.collections] == [3, 1]
    assert len(ax.texts) == 0
    assert plt.get_fignums() == []


def test_bar_chart():
    fig = charts.bar_chart(["North", "South", "East"], [1200, 800, 450], title="Spend", x_label="£",
                           value_format="gbp", highlight={"South"})
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 3
    assert [b.get_hatch() for b in bars] == [None, "//", None]  # colour is never the only cue
    assert [t.get_text() for t in ax.get_yticklabels()] == ["North", "South", "East"]
    assert ax.yaxis_inverted()  # first category at the top, order as given
    assert legend_labels(fig) == ["Highlighted", "Others"]
    assert [t.get_text() for t in ax.texts] == ["£1,200", "£800", "£450"]
    assert plt.get_fignums() == []


def test_line_chart_one_line_per_series_with_markers():
    from ivanalysis.report.charts import line_chart

    frame = pd.DataFrame({"month": pd.date_range("2016-04-01", periods=6, freq="MS").tolist() * 2,
                          "rate": [1, 2, 3, 4, 5, 6, 2, 2, 2, 2, 2, 2], "group": ["ESC"] * 6 + ["Not ESC"] * 6})
    fig = line_chart(frame, x="month", y="rate", series="group", title="t", y_label="Admissions",
                     markers={"2016-07-01": "ESC starts"})
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # two series and the marker line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ESC", "Not ESC"]
    assert any(t.get_text() == "ESC starts" for t in ax.texts)


def test_chart_spec_names_missing_columns():
    from ivanalysis.results import Chart

    with pytest.raises(ValueError, match="no column"):
        Chart("bar", pd.DataFrame({"a": [1]}), x="a", y="b", title="t", value_label="v", finding="f")
    with pytest.raises(ValueError, match="kind"):
        Chart("pie", pd.DataFrame({"a": [1]}), x="a", y="a", title="t", value_label="v", finding="f")


def test_an_spc_chart_spec_carries_its_spc_result_and_only_it_does():
    from ivanalysis.results import Chart

    lines = pd.DataFrame({"x": [], "value": [], "series": []})
    with pytest.raises(ValueError, match="SPC result"):
        Chart("spc", lines, x="x", y="value", series="series", title="t", value_label="v", finding="f")
    with pytest.raises(ValueError, match="SPC result"):
        Chart("line", lines, x="x", y="value", title="t", value_label="v", finding="f", spc=xmr(SHIFT))
    chart = Chart("spc", lines, x="x", y="value", series="series", title="t", value_label="v", finding="f",
                  spc=xmr(SHIFT))
    assert chart.spc.mean == pytest.approx(10.67, abs=0.01)
