"""One chart style for the book: NHS colours, readable, colour-blind safe.

Meaning is never carried by colour alone: every special-cause type and every highlighted group also has
its own marker shape (or hatch), and every chart has a legend. Charts return a `matplotlib.figure.Figure`
built without pyplot, so nothing stays open globally and the notebook shows exactly what it returns.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from . import fmt

if TYPE_CHECKING:
    from ..stats.funnel import FunnelResult
    from ..stats.spc import SPCResult

NHS_BLUE = "#005EB8"
DARK_BLUE = "#003087"
GREY = "#768692"
LIGHT_GREY = "#E8EDEE"
ORANGE = "#ED8B00"
PURPLE = "#330072"
WARM_YELLOW = "#FFB81C"
AQUA_GREEN = "#00A499"

# Special-cause point types: (colour, marker, legend label). Common cause is the grey line's own circles.
SPC_POINTS = {
    "improvement": (NHS_BLUE, "D", "Special cause: improvement"),
    "concern": (ORANGE, "s", "Special cause: concern"),
    "neither": (PURPLE, "P", "Special cause: neither"),
}
# Lines drawn over an SPC chart (e.g. a segmented regression's fit and its counterfactual): colour and line style,
# in the order given; the styles differ so that colour is not the only cue.
SPC_LINES = ((AQUA_GREEN, "-"), (PURPLE, (0, (6, 2))), (WARM_YELLOW, "-."))

# The book shows a chart at its natural size (900 px), where its smallest text, 8 pt at 100 dpi, is 11 px: never
# shrunk to a narrower column, it takes the free width beside the text or scrolls sideways (book/_static/iv-tables.js).
SMALLEST_TEXT_PT = 8  # labels of outliers and markers; every other text is larger

STYLE = {
    "figure.figsize": (9.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titlelocation": "left",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": GREY,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,  # grid lines behind bars and points
    "grid.color": LIGHT_GREY,
    "axes.prop_cycle": cycler(color=[NHS_BLUE, ORANGE, PURPLE, AQUA_GREEN, DARK_BLUE, WARM_YELLOW, GREY]),
    "svg.hashsalt": "ivanalysis",  # stable SVG ids, so rebuilt pages do not differ
    "svg.fonttype": "none",  # text stays text in SVG: smaller, searchable
}

_styled = False


def apply_style(force: bool = False) -> None:
    """Set the book's rcParams, once per session (later calls keep any tweaks a notebook made).

    """
    global _styled
    if _styled and not force:
        return
    mpl.rcParams.update(STYLE)
    _styled = True


# --- number formats ---------------------------------------------------------------------------------------------
def format_value(v: float, value_format: str = "number") -> str:
    """Format a number for an axis or label: "number" (1,234), "percent" (0.25 -> 25%) or "gbp" (£1.5m)."""
    return fmt.axis(v, value_format)


def value_formatter(value_format: str = "number") -> FuncFormatter:
    """A matplotlib tick formatter using `format_value`."""
    format_value(0.0, value_format)  # fail early on a bad format name
    return FuncFormatter(lambda v, _pos: format_value(v, value_format))


def _new_axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> tuple[Figure, Axes]:
    """A fresh Figure outside pyplot (nothing kept open globally), or the figure of the given axes."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _legend_below(ax: Axes, ncols: int = 3) -> None:
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=min(ncols, max(len(handles), 1)))


# --- charts -----------------------------------------------------------------------------------------------------
def spc_chart(result: SPCResult, *, title: str, y_label: str, value_format: str = "number",
              ax: Axes | None = None, lines: Mapping[str, pd.Series] | None = None,
              markers: Mapping | None = None) -> Figure:
    """Making Data Count XmR chart: the series, mean, process limits, target and special-cause points.

    A rebased chart (`result.groups` of more than one, e.g. before and after a service started) draws each group's
    mean and limits over its own points only, with a dotted vertical line where they were recalculated, labelled
    from `markers` ({x: label}) or "Limits recalculated". `lines` ({label: values indexed by x}) are further lines
    drawn over the chart, e.g. a segmented regression's fit. Without them a chart is drawn as it always was.
    """
    apply_style()
    fmt = value_formatter(value_format)
    fig, ax = _new_axes(ax)
    d = result.data
    x = d["x"]

    ax.plot(x, d["y"], color=GREY, lw=1.5, marker="o", ms=4, label="Common cause", zorder=2)
    if len(result.groups) > 1:
        _spc_group_limits(ax, result, value_format, markers or {})
    else:
        ax.plot(x, d["mean"], color=DARK_BLUE, lw=1.5, label=f"Mean ({format_value(result.mean, value_format)})")
        limits_label = "Process limits (trial)" if result.trial_limits else "Process limits"
        ax.plot(x, d["upl"], color=GREY, lw=1.2, ls="--", label=limits_label)
        ax.plot(x, d["lpl"], color=GREY, lw=1.2, ls="--")
        _vertical_markers(ax, markers or {})
    for (label, values), (colour, style) in zip((lines or {}).items(), SPC_LINES):
        ax.plot(values.index, values.to_numpy(dtype=float), color=colour, lw=1.5, ls=style, label=label, zorder=2.5)
    if result.target is not None:
        ax.axhline(result.target, color=AQUA_GREEN, lw=1.5, ls="-.",
                   label=f"Target ({format_value(result.target, value_format)})")
    for point_type, (colour, marker, label) in SPC_POINTS.items():
        rows = d[d["point_type"] == point_type]
        if len(rows):
            ax.scatter(rows["x"], rows["y"], color=colour, marker=marker, s=45, zorder=3, label=label)

    if pd.api.types.is_datetime64_any_dtype(x):
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(fmt)
    ax.set_ylabel(y_label)
    ax.set_title(f"{title} (trial limits: fewer than 12 points)" if result.trial_limits else title)
    _legend_below(ax)
    return fig


def _spc_group_limits(ax: Axes, result: SPCResult, value_format: str, markers: Mapping) -> None:
    """Each group's mean and limits over its own points; a labelled dotted line at each recalculation."""
    d = result.data
    means = " then ".join(format_value(g.mean, value_format) for g in result.groups)
    trial = any(g.trial_limits for g in result.groups)
    for i in range(len(result.groups)):
        rows = d[d["group"] == i]
        first = i == 0
        ax.plot(rows["x"], rows["mean"], color=DARK_BLUE, lw=1.5, label=f"Mean ({means})" if first else None)
        ax.plot(rows["x"], rows["upl"], color=GREY, lw=1.2, ls="--",
                label=("Process limits (trial)" if trial else "Process limits") if first else None)
        ax.plot(rows["x"], rows["lpl"], color=GREY, lw=1.2, ls="--")
    dates = pd.api.types.is_datetime64_any_dtype(d["x"])
    key = pd.Timestamp if dates else (lambda v: v)
    labels = {key(k): v for k, v in markers.items()}
    starts = [key(g.start) for g in result.groups[1:]]
    _vertical_markers(ax, {s: labels.get(s, "Limits recalculated") for s in starts}, ls=":")
    _vertical_markers(ax, {k: v for k, v in labels.items() if k not in starts})


def _vertical_markers(ax: Axes, markers: Mapping, ls: str = "--") -> None:
    """A vertical line at each x of `markers` ({x: label}), its label at the top."""
    for when, label in markers.items():
        at = pd.Timestamp(when) if isinstance(when, str) else when
        ax.axvline(at, color=GREY, ls=ls, lw=1.2)
        ax.annotate(str(label), (at, 1), xycoords=("data", "axes fraction"), xytext=(4, -12),
                    textcoords="offset points", fontsize=SMALLEST_TEXT_PT, color=DARK_BLUE)


def funnel_chart(result: FunnelResult, *, title: str, x_label: str, y_label: str,
                 highlight: Collection[str] | None = None, label_outliers: bool = True,
                 value_format: str = "percent", unit_name: str = "providers",
                 centre_label: str = "Overall") -> Figure:
    """Funnel plot: smooth 95% and 99.8% limits, the target, one point per unit.

    `highlight` (unit labels, e.g. one hub's providers) draws those units in NHS blue diamonds and the
    rest as grey circles. Units beyond the 99.8% limits are labelled with their code. `centre_label` names the
    centre line (the pooled rate, e.g. "England").
    """
    apply_style()
    fig, ax = _new_axes(None)
    d = result.data
    curve = result.limits_curve(n_min=0.9 * d["denominator"].min(), n_max=1.05 * d["denominator"].max())
    adjusted = " (adjusted for overdispersion)" if result.method != "none" else ""

    for level, ls in (("95", "--"), ("998", "-")):
        label = f"{'99.8' if level == '998' else '95'}% limits{adjusted}"
        ax.plot(curve["denominator"], curve[f"ucl{level}"], color=GREY, lw=1.2, ls=ls, label=label)
        ax.plot(curve["denominator"], curve[f"lcl{level}"], color=GREY, lw=1.2, ls=ls)
    ax.axhline(result.target, color=DARK_BLUE, lw=1.5,
               label=f"{centre_label} ({format_value(result.target, value_format)})")

    if highlight is None:
        ax.scatter(d["denominator"], d["rate"], color=NHS_BLUE, marker="o", s=30, zorder=3,
                   label=unit_name.capitalize())
    else:
        chosen = d["unit"].isin({str(u) for u in highlight})
        ax.scatter(d.loc[~chosen, "denominator"], d.loc[~chosen, "rate"], color=LIGHT_GREY, edgecolor=GREY,
                   marker="o", s=30, zorder=3, label=f"Other {unit_name}")
        ax.scatter(d.loc[chosen, "denominator"], d.loc[chosen, "rate"], color=NHS_BLUE, marker="D", s=40,
                   zorder=4, label=f"Highlighted {unit_name}")

    if label_outliers:
        for row in result.outliers("998").itertuples():
            dy = 4 if row.flag.startswith("high") else -11  # above high outliers, below low ones
            ax.annotate(row.unit, (row.denominator, row.rate), xytext=(4, dy), textcoords="offset points",
                        fontsize=SMALLEST_TEXT_PT, color=DARK_BLUE)

    ax.xaxis.set_major_formatter(value_formatter("number"))
    ax.yaxis.set_major_formatter(value_formatter(value_format))
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title)
    _legend_below(ax)
    return fig


def bar_chart(categories: Sequence[str], values: Sequence[float], *, title: str, x_label: str,
              value_format: str = "number", highlight: Collection[str] | None = None) -> Figure:
    """Horizontal bars in the order given (first at the top); `highlight` bars are orange and hatched."""
    apply_style()
    categories = [str(c) for c in categories]
    values = np.asarray(values, dtype=float)
    if len(categories) != len(values):
        raise ValueError(f"{len(categories)} categories but {len(values)} values")
    chosen = {str(h) for h in highlight} if highlight else set()

    fig, ax = _new_axes(None, figsize=(9.0, max(2.5, 0.35 * len(categories) + 1.5)))
    bars = ax.barh(range(len(categories)), values, color=NHS_BLUE)
    for bar, c in zip(bars, categories):
        if c in chosen:
            bar.set_facecolor(ORANGE)
            bar.set_hatch("//")
            bar.set_edgecolor("white")
    ax.bar_label(bars, labels=[format_value(v, value_format) for v in values], padding=3, fontsize=9)
    ax.set_yticks(range(len(categories)), labels=categories)
    ax.invert_yaxis()
    ax.grid(False)
    ax.xaxis.grid(True)
    ax.xaxis.set_major_formatter(value_formatter(value_format))
    ax.set_xlabel(x_label)
    ax.set_title(title)
    if chosen:
        fig.legend(handles=[Patch(facecolor=ORANGE, hatch="//", edgecolor="white", label="Highlighted"),
                            Patch(facecolor=NHS_BLUE, label="Others")],
                   loc="outside lower center", ncols=2)
    return fig


def line_chart(frame: pd.DataFrame, *, x: str, y: str, series: str | None = None, title: str, y_label: str,
               value_format: str = "number", markers: dict | None = None) -> Figure:
    """Lines of `y` against the dates in `x`, one per value of `series`; dashed vertical `markers` {date: label}.

    Each line also has its own marker shape, so colour is never the only way to tell them apart.
    """
    apply_style()
    fig, ax = _new_axes(None)
    groups = [(None, frame)] if series is None else list(frame.groupby(series, sort=False))
    shapes = "osD^v<>ph"
    for i, (name, g) in enumerate(groups):
        g = g.sort_values(x)
        ax.plot(pd.to_datetime(g[x]), g[y], marker=shapes[i % len(shapes)], markersize=4, lw=1.5,
                label=None if name is None else str(name))
    _vertical_markers(ax, {pd.Timestamp(when): label for when, label in (markers or {}).items()})
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.yaxis.set_major_formatter(value_formatter(value_format))
    ax.set_ylabel(y_label)
    ax.set_title(title)
    if series is not None:
        _legend_below(ax, ncols=min(3, len(groups)))
    return fig
