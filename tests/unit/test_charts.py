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
