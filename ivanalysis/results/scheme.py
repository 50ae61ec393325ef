"""The types a scheme's analysis returns: figures as data, formatted only at the edges (pages, packs).

Below the schemes, the report and the page in the layers (see pyproject's import contract): everything above reads
these types, nothing here imports upward.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

import pandas as pd

from ..catalogue import SchemeInfo
from ..config import SCENARIOS, SchemeParams
from ..errors import ConfigError
from ..geography import Area, Geography
from ..sdc import ControlledFrame, control_frame

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
    def financial_year(cls, label: str) -> Period:
        m = re.fullmatch(r"(\d{4})/(\d{2})", label or "")
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise ConfigError(f"period {label!r} must be a financial year written like 2016/17")
        y = int(m.group(1))
        return cls(label, pd.Timestamp(y, 4, 1), pd.Timestamp(y + 1, 3, 31))

    @classmethod
    def starting(cls, year: int) -> Period:
        """The financial year that starts in April of `year`."""
        return cls.financial_year(label_of_year(year))

    @property
    def previous(self) -> Period:
        return Period.starting(self.start.year - 1)

    @classmethod
    def covering(cls, dates: pd.Series) -> list[Period]:
        """Every financial year from the first date's to the last date's."""
        first, last = _start_year(dates.min()), _start_year(dates.max())
        return [cls.starting(y) for y in range(first, last + 1)]

    def mask(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.start) & (dates < self.end + pd.Timedelta(days=1))


def label_of_year(year: int) -> str:
    """2016 -> '2016/17', the financial year that starts in April 2016."""
    return f"{year}/{(year + 1) % 100:02d}"


def _start_year(date: pd.Timestamp) -> int:
    return date.year if date.month >= 4 else date.year - 1


def financial_years(dates: pd.Series) -> pd.Series:
    """The financial year of each date, written like 2016/17 (April to March); a missing date stays missing.
    Worked out once per year, not per row."""
    start = dates.dt.year - (dates.dt.month < 4).astype(float)
    return start.map({y: label_of_year(int(y)) for y in start.dropna().unique()})


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
    def of(cls, fn: Callable[[str], float]) -> Range:
        return cls(*(float(fn(s)) for s in SCENARIOS))

    @classmethod
    def summed(cls, by_scenario: Mapping[str, pd.DataFrame], column: str) -> Range:
        """The total of `column` in each scenario's frame."""
        return cls.of(lambda s: by_scenario[s][column].sum())

    @classmethod
    def zero(cls) -> Range:
        return cls(0.0, 0.0, 0.0)

    @classmethod
    def total(cls, ranges: Iterable[Range]) -> Range:
        """The sum of figures scenario by scenario (zero for none)."""
        ranges = list(ranges)
        return cls.of(lambda s: sum(r.get(s) for r in ranges))

    def __add__(self, other: Range) -> Range:
        return Range.of(lambda s: self.get(s) + other.get(s))

    def __sub__(self, other: Range) -> Range:
        return Range.of(lambda s: self.get(s) - other.get(s))


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
    """A table for the page, declared by what each column holds, so that disclosure control is applied once, the same
    way, on every edge (page, CSV, Parquet, workbook).

    Rows below England (providers, areas, hubs) are disclosure-controlled on every page, England's included: a
    provider's count is sub-national wherever it is shown. `rows_are_the_area=True` declares a table whose every row
    describes the run's whole area (the area by year, by reason, by quarter): it is exact on England's page and
    controlled below it.
    `counts` are controlled (sdc.control_frame); `rates` name their numerator and denominator so that a rate built on
    a small count is suppressed too; in a row where a count or rate is suppressed, `money` and `numbers` are
    suppressed with it (they would give the count away), except the columns named in `independent` (a price, a
    population, a benchmark: figures that say nothing of the row's count).
    `opportunity` names the columns that share the run's opportunity between the rows (each provider's saving, its
    modelled quantity): where the run's opportunity is withheld (sdc.withholding), their sum would give it back, so
    they are withheld in every row (`withheld`, set by the page).
    """

    caption: str
    frame: pd.DataFrame
    counts: tuple[str, ...] = ()
    rates: dict[str, tuple[str, str]] = field(default_factory=dict)
    money: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # non-count figures shown to one decimal place
    hidden: tuple[str, ...] = ()  # kept for computing (e.g. a rate's denominator) but not shown
    rows_are_the_area: bool = False
    independent: tuple[str, ...] = ()
    opportunity: tuple[str, ...] = ()
    withheld: bool = False

    def __post_init__(self):
        # a count or rate declared under a wrong name would be published as plain text, uncontrolled
        declared = (*self.counts, *self.rates, *(c for pair in self.rates.values() for c in pair), *self.opportunity)
        missing = sorted({c for c in declared if c not in self.frame.columns})
        if missing:
            raise ValueError(f"table {self.caption!r}: no column(s) {', '.join(missing)} in its frame")

    def kinds(self) -> dict[str, str]:
        """Each shown column, in order, and what it holds: 'count', 'rate', 'money', 'number' or 'text'."""
        def kind(col: str) -> str:
            return ("count" if col in self.counts else "rate" if col in self.rates else "money" if col in self.money
                    else "number" if col in self.numbers else "text")

        return {col: kind(col) for col in self.frame.columns if col not in self.hidden}

    def controlled(self, below_england: bool) -> bool:
        """Is this table disclosure-controlled on a page of an area below England (`below_england`) or England's?"""
        return below_england or not self.rows_are_the_area

    def followers(self) -> tuple[str, ...]:
        """The money and figures suppressed beside a suppressed count in their row (secondary suppression)."""
        return tuple(c for c in (*self.money, *self.numbers) if c not in self.independent)

    def control(self, below_england: bool) -> ControlledFrame:
        """The whole frame (hidden columns too) after disclosure control: numbers, suppressed cells null, and the
        mask of suppressed cells. `below_england`: the page is an area's below England (see `controlled`)."""
        return control_frame(self.frame, counts=self.counts, rates=self.rates, follow=self.followers(),
                             withhold=self.opportunity if self.withheld else (),
                             controlled=self.controlled(below_england))


@dataclass(frozen=True)
class Chart:
    """A further chart for the page, described as data (schemes stay free of plotting).

    kind "bar": one horizontal bar per row of `frame`, `x` the category column and `y` the value column,
        in the order given; `highlight` names categories drawn apart (e.g. the area among its peers).
    kind "line": `y` against dates in column `x`, one line per value of `series` (if given); `markers` are
        vertical lines at {date: label} (e.g. when a service started).
    kind "spc": the Making Data Count chart of `spc` (rebased: limits per group, `markers` naming the changes),
        with `frame`'s lines (`y` against `x`, one per value of `series`) drawn over it; `frame` may be empty.
    `finding` is the sentence the chart shows (it becomes the chart's alternative text and its caption).
    Counts in a chart below England must already be disclosure-safe (rates, or aggregates of many).
    `opportunity`: the chart shows the run's opportunity (split by provider, say): withheld where the opportunity is.
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
    spc: SPCResult | None = None  # kind "spc" only
    opportunity: bool = False

    def __post_init__(self):
        if self.kind not in ("bar", "line", "spc"):
            raise ValueError(f"chart kind must be 'bar', 'line' or 'spc', not {self.kind!r}")
        if (self.kind == "spc") != (self.spc is not None):
            raise ValueError(f"chart {self.title!r}: an SPC result goes with kind 'spc', and only with it")
        missing = [c for c in (self.x, self.y, self.series) if c and c not in self.frame.columns]
        if missing:
            raise ValueError(f"chart {self.title!r}: no column(s) {', '.join(missing)} in its frame")


@dataclass(frozen=True)
class Measure:
    """The proportion or rate the scheme is about, for the funnel plot and the SPC chart."""

    name: str  # e.g. "share of ITP episodes at 1 g/kg or less"
    higher_is_better: bool
    target: float | None
    funnel: FunnelResult  # every provider in England, for the period
    trend: SPCResult  # the area, month by month, all months available
    denominator_label: str  # e.g. "ITP episodes with weight recorded"
    value_format: str = "percent"  # how values print on charts: "percent", "number" or "gbp"
    value_label: str = "Share"  # the charts' value axis, e.g. "DDDs per 1,000 bed days"
    unit_name: str = "providers"  # what the funnel's points are: "providers", "areas", "centres" ...


# --- the opportunity: one accounting standard for every scheme ------------------------------------------------------
# What kind of saving a component is. Cash-releasing: a payer's spend falls below today's. Capacity released, valued:
# beds, slots or staff time freed and valued at their cost, cash only if the capacity is taken out. Cost avoided: spend
# that would have grown does not (slower growth in demand, a progression prevented), so today's spend does not fall.
Kind = Literal["cash_releasing", "capacity_released", "cost_avoided"]
CASH_RELEASING, CAPACITY_RELEASED, COST_AVOIDED = get_args(Kind)
KIND_LABELS: dict[str, str] = {CASH_RELEASING: "cash-releasing", CAPACITY_RELEASED: "capacity released, valued",
                               COST_AVOIDED: "cost avoided"}
# Whose budget the saving (and its implementation cost) falls to.
Payer = Literal["nhse_specialised", "icb_ccg", "provider"]
NHSE_SPECIALISED, ICB_CCG, PROVIDER = get_args(Payer)
PAYER_LABELS: dict[str, str] = {NHSE_SPECIALISED: "NHS England specialised commissioning", ICB_CCG: "ICB/CCG",
                                PROVIDER: "provider"}
_NOT_CASH = {CAPACITY_RELEASED: "capacity, not cash", COST_AVOIDED: "cost avoided, not cash"}
_OTHER_PAYER = {ICB_CCG: "falls to ICBs/CCGs", PROVIDER: "falls to the provider"}


@dataclass(frozen=True)
class OpportunityComponent:
    """One part of a scheme's saving, in pounds a year under each scenario, for one financial year.

    `net` is `gross` less `implementation_cost`. A component is in totals (a hub's total, the scheme's headline) only
    when it is cash-releasing to NHS England specialised commissioning and nothing else keeps it out: `outside_totals`
    says why a saving that is both still stays out (it overlaps other schemes; it is a population formula, not a
    measured gap). `note` says why the kind and payer are what they are where the Menu or the data leave it open.
    """

    label: str
    kind: Kind
    payer: Payer
    gross: Range
    year: str  # the financial year of the activity and prices, e.g. 2017/18
    implementation_cost: Range = Range(0.0, 0.0, 0.0)
    note: str = ""
    outside_totals: str = ""

    def __post_init__(self):
        if not self.label:
            raise ValueError("an opportunity component needs a label")
        if self.kind not in KIND_LABELS:
            raise ValueError(f"component {self.label!r}: kind must be one of {', '.join(KIND_LABELS)}, not "
                             f"{self.kind!r}")
        if self.payer not in PAYER_LABELS:
            raise ValueError(f"component {self.label!r}: payer must be one of {', '.join(PAYER_LABELS)}, not "
                             f"{self.payer!r}")
        Period.financial_year(self.year)  # refuses anything but a financial year such as 2017/18

    @property
    def net(self) -> Range:
        return self.gross - self.implementation_cost

    @property
    def in_totals(self) -> bool:
        return self.kind == CASH_RELEASING and self.payer == NHSE_SPECIALISED and not self.outside_totals

    @property
    def why_not_in_totals(self) -> str:
        """Why the component stays out of totals; empty when it is in them."""
        reasons = [_NOT_CASH.get(self.kind, ""), _OTHER_PAYER.get(self.payer, ""), self.outside_totals]
        return "; ".join(r for r in reasons if r)


@dataclass(frozen=True)
class Opportunity:
    """A scheme's saving as components. The headline is the net cash-releasing saving to NHS England specialised
    commissioning (the components in totals; zero when there are none); the other components stand beside it."""

    components: tuple[OpportunityComponent, ...]

    def __post_init__(self):
        object.__setattr__(self, "components", tuple(self.components))
        if not self.components:
            raise ValueError("an opportunity needs at least one component")
        labels = [c.label for c in self.components]
        if len(set(labels)) != len(labels):
            raise ValueError(f"opportunity components need distinct labels, not {labels}")
        if len({c.year for c in self.in_totals}) > 1:
            raise ValueError("the components in totals must all be for one financial year, not "
                             f"{sorted({c.year for c in self.in_totals})}")

    @property
    def in_totals(self) -> tuple[OpportunityComponent, ...]:
        return tuple(c for c in self.components if c.in_totals)

    @property
    def beside(self) -> tuple[OpportunityComponent, ...]:
        """The components that stand beside the headline, not in it."""
        return tuple(c for c in self.components if not c.in_totals)

    @property
    def headline(self) -> Range:
        return Range.total(c.net for c in self.in_totals)

    @property
    def year(self) -> str | None:
        """The headline's financial year: that of the components in totals, or of every component when none is in
        totals and they share one; None otherwise."""
        years = {c.year for c in (self.in_totals or self.components)}
        return years.pop() if len(years) == 1 else None


@dataclass(frozen=True)
class RunContext:
    """What one analysis is for: the scheme, the area, its assumptions, the financial year and the geography file.

    The registry makes it and hands it to the scheme's analyse(); the result carries it back to the page."""

    scheme: SchemeInfo
    area: Area
    params: SchemeParams
    period: Period
    geography: Geography


@dataclass
class SchemeResult:
    context: RunContext
    kpis: list[KPI]
    opportunity: Opportunity
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

    @property
    def opportunity_gbp(self) -> Range:
        """The headline: the net cash-releasing saving to NHS England specialised commissioning, by scenario."""
        return self.opportunity.headline

    @property
    def scheme(self) -> SchemeInfo:
        return self.context.scheme

    @property
    def area(self) -> Area:
        return self.context.area

    @property
    def period(self) -> Period:
        return self.context.period

    @property
    def params(self) -> SchemeParams:
        return self.context.params

    def kpi(self, name: str) -> KPI:
        return next(k for k in self.kpis if k.name == name)
