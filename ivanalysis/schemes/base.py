"""What every scheme returns (SchemeResult), the low / moderate / high scenario model, and the shared helpers.

A scheme module is pure: tables in, SchemeResult out. It declares
  TABLES       the input tables it reads (names in ivanalysis.data.schemas.TABLES),
  INPUT_COLUMNS  optional {table: columns it uses}: only those are read (memory); a table not named is read whole,
  ASSUMPTIONS  {assumption name: unit} it needs from params/schemes/<id>.yaml,
  analyse(tables, area, params, period, geography) -> SchemeResult.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..errors import ConfigError, DataError
from ..geography import Area, Geography
from .catalogue import SchemeInfo

if TYPE_CHECKING:
    from ..stats.funnel import FunnelResult
    from ..stats.spc import SPCResult


@dataclass(frozen=True)
class Period:
    """A financial year, April to March."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp  # last day, inclusive

    @classmethod
    def financial_year(cls, label: str) -> "Period":
        m = re.fullmatch(r"(\d{4})/(\d{2})", label or "")
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise ConfigError(f"period {label!r} must be a financial year written like 2016/17")
        y = int(m.group(1))
        return cls(label, pd.Timestamp(y, 4, 1), pd.Timestamp(y + 1, 3, 31))

    def mask(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.start) & (dates < self.end + pd.Timedelta(days=1))


@dataclass(frozen=True)
class Range:
    """A figure under the three scenarios."""

    low: float
    moderate: float
    high: float

    def get(self, scenario: str) -> float:
        return getattr(self, scenario)

    def as_dict(self) -> dict[str, float]:
        return {s: float(self.get(s)) for s in SCENARIOS}

    @classmethod
    def of(cls, fn: Callable[[str], float]) -> "Range":
        return cls(*(float(fn(s)) for s in SCENARIOS))


@dataclass(frozen=True)
class KPI:
    name: str
    value: float | None
    unit: str  # share | count | gbp | days | grams | fractions | ratio
    target: float | None = None
    higher_is_better: bool | None = None
    note: str = ""

    def __post_init__(self):  # plain floats: numpy scalars would not survive results.json
        if self.value is not None:
            object.__setattr__(self, "value", float(self.value))
        if self.target is not None:
            object.__setattr__(self, "target", float(self.target))

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None or self.higher_is_better is None:
            return None
        return bool(self.value >= self.target if self.higher_is_better else self.value <= self.target)


@dataclass(frozen=True)
class Quantity:
    """An opportunity in the scheme's natural unit (grams, bed days, fractions ...)."""

    label: str
    unit: str
    values: Range


@dataclass(frozen=True)
class Table:
    """A table for the page. `counts` are disclosure-controlled below England; `rates` name their numerator and
    denominator so that a rate built on a small count is suppressed too."""

    caption: str
    frame: pd.DataFrame
    counts: tuple[str, ...] = ()
    rates: dict[str, tuple[str, str]] = field(default_factory=dict)
    money: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # non-count figures shown to one decimal place
    hidden: tuple[str, ...] = ()  # kept for computing (e.g. a rate's denominator) but not shown


@dataclass(frozen=True)
class Chart:
    """A further chart for the page, described as data (schemes stay free of plotting).

    kind "bar": one horizontal bar per row of `frame`, `x` the category column and `y` the value column,
        in the order given; `highlight` names categories drawn apart (e.g. the area among its peers).
    kind "line": `y` against dates in column `x`, one line per value of `series` (if given); `markers` are
        vertical lines at {date: label} (e.g. when a service started).
    `finding` is the sentence the chart shows (it becomes the chart's alternative text and its caption).
    Counts in a chart below England must already be disclosure-safe (rates, or aggregates of many).
    """

    kind: str
    frame: pd.DataFrame
    x: str
    y: str
    title: str
    value_label: str
    finding: str
    value_format: str = "number"
    series: str | None = None
    highlight: tuple[str, ...] = ()
    markers: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in ("bar", "line"):
            raise ValueError(f"chart kind must be 'bar' or 'line', not {self.kind!r}")
        missing = [c for c in (self.x, self.y, self.series) if c and c not in self.frame.columns]
        if missing:
            raise ValueError(f"chart {self.title!r}: no column(s) {', '.join(missing)} in its frame")


@dataclass(frozen=True)
class Measure:
    """The proportion or rate the scheme is about, for the funnel plot and the SPC chart."""

    name: str  # e.g. "share of ITP episodes at 1 g/kg or less"
    higher_is_better: bool
    target: float | None
    funnel: "FunnelResult"  # every provider in England, for the period
    trend: "SPCResult"  # the area, month by month, all months available
    denominator_label: str  # e.g. "ITP episodes with weight recorded"
    value_format: str = "percent"  # how values print on charts: "percent", "number" or "gbp"
    value_label: str = "Share"  # the charts' value axis, e.g. "DDDs per 1,000 bed days"
    unit_name: str = "providers"  # what the funnel's points are: "providers", "areas", "centres" ...


@dataclass
class SchemeResult:
    scheme: SchemeInfo
    area: Area
    period: Period
    params: SchemeParams
    kpis: list[KPI]
    opportunity_gbp: Range
    quantities: list[Quantity]
    measure: Measure
    tables: dict[str, Table]
    scenario_table: pd.DataFrame  # assumptions then outputs (rows) by scenario (columns), with their units
    caveats: list[str]
    data_months: tuple[pd.Timestamp, pd.Timestamp]  # first and last month in the data
    area_providers: tuple[str, ...]
    charts: dict[str, Chart] = field(default_factory=dict)  # further charts, shown by page.chart(key)
    # how the opportunity is counted, said under the scenario table
    opportunity_note: str = ("Opportunity is counted only where a provider is worse than the benchmark; better "
                             "providers are never netted off.")

    def kpi(self, name: str) -> KPI:
        return next(k for k in self.kpis if k.name == name)


# --- shared helpers --------------------------------------------------------------------------------------------------
def in_period(df: pd.DataFrame, column: str, period: Period, what: str) -> pd.DataFrame:
    if df.empty:
        raise DataError(f"no {what} at all: the table has no rows")
    out = df[period.mask(df[column])]
    if out.empty:
        raise DataError(f"no {what} in {period.label} ({period.start.date()} to {period.end.date()}); "
                        f"the data run from {df[column].min():%Y-%m-%d} to {df[column].max():%Y-%m-%d}")
    return out


def labels(conditions: list, choices: tuple[str, ...], default: str, categories: tuple[str, ...],
           index: pd.Index) -> pd.Series:
    """np.select(conditions, choices, default) as a categorical of `categories`, built from integer codes: an array
    of one string a row would cost tens of bytes a row, then a Python string each, on millions of rows."""
    codes = np.select(conditions, [categories.index(c) for c in choices], categories.index(default))
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index)


def area_rows(df: pd.DataFrame, area: Area, what: str) -> pd.DataFrame:
    out = df[df["provider_code"].isin(area.providers)] if not area.is_national else df
    if out.empty:
        raise DataError(f"no {what} for {area.name} ({area.code}): none of its {len(area.providers)} providers "
                        "appears in the data")
    return out


def _measure_rows(df: pd.DataFrame, date: str, area: Area, period: Period, what: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """England's rows in the period (for the funnel) and all the area's rows (for the trend), or a DataError."""
    current = in_period(df, date, period, what)
    local = area_rows(df, area, what)
    return current, local


def proportion_measure(df: pd.DataFrame, *, flag: str, date: str, area: Area, period: Period, name: str,
                       higher_is_better: bool, target: float | None, denominator_label: str) -> Measure:
    """Funnel of every provider in the period (England is the benchmark) and the area's monthly SPC chart."""
    from ..stats.funnel import proportion_funnel
    from ..stats.spc import xmr

    current, local = _measure_rows(df, date, area, period, denominator_label)
    by_provider = current.groupby("provider_code", observed=True)[flag].agg(["sum", "size"])
    # the funnel centres on England's own rate: outliers are judged against peers, not against the target
    funnel = proportion_funnel(by_provider.index.tolist(), by_provider["sum"].astype(int).tolist(),
                               by_provider["size"].astype(int).tolist())
    monthly = local.groupby(local[date].dt.to_period("M"), observed=True)[flag].mean()
    trend = xmr(monthly.to_numpy(dtype=float), x=monthly.index.to_timestamp(),
                improvement_direction="increase" if higher_is_better else "decrease", target=target)
    return Measure(name, higher_is_better, target, funnel, trend, denominator_label)


def rate_measure(df: pd.DataFrame, *, events: str, exposure: str, date: str, area: Area, period: Period,
                 name: str, higher_is_better: bool, target: float | None, denominator_label: str,
                 value_label: str, per: float = 1.0, value_format: str = "number") -> Measure:
    """As proportion_measure, for a rate: sum(events) / sum(exposure) x `per` (e.g. DDDs per 1,000 bed days).

    `df` has one row per record or per provider-month; `events` and `exposure` are its columns (a column of ones
    for records). The funnel covers every provider in England in the period; the trend is the area's monthly rate.
    """
    from ..stats.funnel import rate_funnel
    from ..stats.spc import xmr

    current, local = _measure_rows(df, date, area, period, denominator_label)
    by_provider = current.groupby("provider_code", observed=True)[[events, exposure]].sum()
    by_provider = by_provider[by_provider[exposure] > 0]
    funnel = rate_funnel(by_provider.index.tolist(), by_provider[events].tolist(), by_provider[exposure].tolist(),
                         per=per)
    monthly = local.groupby(local[date].dt.to_period("M"), observed=True)[[events, exposure]].sum()
    monthly = monthly[monthly[exposure] > 0]
    values = monthly[events] / monthly[exposure] * per
    trend = xmr(values.to_numpy(dtype=float), x=values.index.to_timestamp(),
                improvement_direction="increase" if higher_is_better else "decrease", target=target)
    return Measure(name, higher_is_better, target, funnel, trend, denominator_label, value_format, value_label)


def scenario_frame(params: SchemeParams, outputs: list[tuple[str, str, Range]]) -> pd.DataFrame:
    """Rows: each assumption, then each output (label, unit, values); columns: unit, low, moderate, high."""
    rows = [{"item": a.label, "unit": a.unit, **{s: a.value(s) for s in SCENARIOS}} for a in params.assumptions.values()]
    rows += [{"item": label, "unit": unit, **r.as_dict()} for label, unit, r in outputs]
    return pd.DataFrame(rows).set_index("item")


def safe_share(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def provider_table(columns: pd.DataFrame, measure: Measure, geography: Geography) -> pd.DataFrame:
    """A scheme's provider table: `columns` is indexed by provider code and holds 'Saving (moderate)'.

    Adds the provider's code and hub first and its funnel position before the saving, and ranks by the saving.
    """
    out = columns.copy()
    out.insert(out.columns.get_loc("Saving (moderate)"), "Funnel position",
               measure.funnel.data.set_index("unit")["flag"].reindex(out.index))
    out = out.reset_index(names="Provider")
    out.insert(1, "Hub", out["Provider"].map(geography.hub_of))
    return out.sort_values(["Saving (moderate)", "Provider"], ascending=[False, True])
