"""Whether an extract covers what a run reports: every month of the headline financial year, and all of England.

An extract can be valid row by row and still give a plausible wrong answer: three months of data read as "£28,100 a
year", a year without October to December saves a quarter less, and a table holding one hub's providers makes an
"England" benchmark of that hub. Before a page analyses a data folder, each table its scheme reads is measured here,
in the headline year, against the year itself and params/geography.yaml:

- the months that hold rows (for a quarterly table, the quarters). A year that is not whole is refused, naming the
  table, the year and the missing months, unless the analyst asks for annualised figures (--annualise-partial-years):
  the saving and its quantities are then scaled from the months present to a year, and the page says so;
- the providers (the commissioning areas, for an area-coded table) that hold rows, by hub: a hub with none means
  England's figures and the England benchmark come from part of England, which the page says;
- providers with no rows in months where their volume in the rest of the year makes none implausible (a submission
  missing, not a quiet month): the page names them. A gap at the start of a provider's year is not one: a service
  that opened in the year looks the same, and is common.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..geography import Area, Geography
from ..results import Opportunity, Period, Range, SchemeResult
from .benchmark import benchmark_dir, is_benchmark, unit_column
from .schemas import TABLES, TableSpec

# Set by --annualise-partial-years of `ivanalysis run` and `build`, and so seen by their workers and kernels
ANNUALISE = "IVANALYSIS_ANNUALISE_PARTIAL_YEARS"
# A provider's empty months are said to be missing data when chance alone would name any provider of the table so
# less often than this (see _gaps): about 3 empty months among 100 steady rows a month of a hundred providers
GAP_CHANCE = 1e-3
MONTHS_A_YEAR = 12
MAX_LISTED = 5  # providers named in a warning; the rest are counted


def annualise_partial_years() -> bool:
    """Whether the analyst asked for annualised figures when the headline year is not whole ($IVANALYSIS_...)."""
    return os.environ.get(ANNUALISE, "").strip().lower() in ("1", "true", "yes")


def year_months(period: Period) -> pd.PeriodIndex:
    """The twelve months of a financial year, April to March."""
    return pd.period_range(period.start, period.end, freq="M")


def month_span(months: Iterable[pd.Period]) -> str:
    """Months in words, runs joined: 'October to December 2017', 'April 2017 and July 2017 to March 2018'."""
    months = sorted(set(months))
    runs: list[list[pd.Period]] = []
    for m in months:
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    said = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            said.append(first.strftime("%B %Y"))
        elif first.year == last.year:
            said.append(f"{first.strftime('%B')} to {last.strftime('%B %Y')}")
        else:
            said.append(f"{first.strftime('%B %Y')} to {last.strftime('%B %Y')}")
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]


@dataclass(frozen=True)
class ProviderGap:
    """A provider's run of empty months, after its first month with rows, that its other months make implausible."""

    code: str
    months: tuple[pd.Period, ...]
    rows: int  # its rows in the rest of the year


@dataclass(frozen=True)
class TableCoverage:
    """What one table holds of the headline year (measure() makes it)."""

    table: str
    year: str  # the headline financial year, e.g. 2017/18
    cadence: str  # month | quarter
    months: tuple[pd.Period, ...]  # the year's months with rows (a quarterly table: every month of a quarter with rows)
    first: pd.Timestamp | None  # the table's first and last dates, any year
    last: pd.Timestamp | None
    whole_years: tuple[str, ...]  # the financial years the table covers whole
    unit: str  # what `present` counts: providers, or commissioning areas
    present: int  # those with rows in the year
    listed: int  # those params/geography.yaml lists
    hubs: int  # hubs in params/geography.yaml
    hubs_without: tuple[str, ...]  # the names of the hubs none of whose providers (areas) has rows in the year
    gaps: tuple[ProviderGap, ...] = ()

    @property
    def missing(self) -> tuple[pd.Period, ...]:
        held = set(self.months)
        return tuple(m for m in year_months(Period.financial_year(self.year)) if m not in held)

    @property
    def whole(self) -> bool:
        return not self.missing

    def shortfall(self) -> str:
        """What the table lacks of the year, in words."""
        n = len(self.months)
        if n == 0:
            held = (f"its dates run from {self.first:%-d %B %Y} to {self.last:%-d %B %Y}" if self.first is not None
                    else "it has no dates")
            return f"table '{self.table}' has no rows in {self.year} ({held})"
        held = f"{n // 3} of the 4 quarters" if self.cadence == "quarter" else f"{n} of the 12 months"
        return f"table '{self.table}' covers {held} of {self.year}: it has no rows in {month_span(self.missing)}"


def _hub_name(geography: Geography, hub: str) -> str:
    return geography.get(hub).name


def measure(df: pd.DataFrame, spec: TableSpec, period: Period, geography: Geography) -> TableCoverage:
    """Measure a validated table (at least its date column and its provider or area column) against the headline
    year `period` and the geography."""
    dates = df[spec.date_column]
    dated = dates.notna().to_numpy()
    step = 3 if spec.cadence == "quarter" else 1  # months a slot spans; a quarter's first is Jan, Apr, Jul or Oct
    # months counted from year 0, as integers: Period objects for millions of rows would take seconds
    number = dates[dated].dt.year.to_numpy(np.int64) * 12 + dates[dated].dt.month.to_numpy(np.int64) - 1
    slot = number // step
    all_months = {_month(s * step + i) for s in np.unique(slot) for i in range(step)}
    months = tuple(m for m in year_months(period) if m in all_months)
    first, last = (dates.min(), dates.max()) if dated.any() else (None, None)
    whole_years = ()
    if first is not None:
        whole_years = tuple(p.label for p in Period.covering(dates[dated]) if set(year_months(p)) <= all_months)

    column = spec.provider_column or spec.area_column
    present = listed = 0
    hubs_without: tuple[str, ...] = ()
    gaps: tuple[ProviderGap, ...] = ()
    if column is not None:
        hub_of = (geography.provider_hub if spec.provider_column else
                  {code: a.hub for code, a in geography.commissioning_areas.items()})
        april = period.start.year * 12 + 3
        in_year = (number >= april) & (number < april + 12)
        index, codes = pd.factorize(df[column][dated][in_year], use_na_sentinel=True)
        held = {str(c) for c in codes}
        present, listed = len(held & set(hub_of)), len(hub_of)
        hubs_held = {hub_of[c] for c in held if c in hub_of}
        hubs_without = tuple(_hub_name(geography, h.code) for h in geography.spec.hubs if h.code not in hubs_held)
        if spec.provider_column:
            year_slots = sorted({(april + i) // step for i in range(12) if _month(april + i) in all_months})
            gaps = _gaps(index, codes, slot[in_year], year_slots, step)
    return TableCoverage(spec.name, period.label, spec.cadence, months, first, last, whole_years,
                         "providers" if spec.provider_column else "commissioning areas", present, listed,
                         len(geography.spec.hubs), hubs_without, gaps)


def _month(number: int) -> pd.Period:
    """The month `number` months after January of year 0."""
    return pd.Period(year=int(number) // 12, month=int(number) % 12 + 1, freq="M")


def _gaps(index: np.ndarray, codes, slot: np.ndarray, year_slots: list[int], step: int) -> tuple[ProviderGap, ...]:
    """Each provider's one run of empty months (quarters) of the year, among those where the table has rows, when
    the provider has rows in every other month from its first and such a run is implausible by chance alone.

    With N rows spread at random over K months, a given run of k months is empty with chance (1 - k/K)^N, and some
    run of k anywhere with at most K - k + 1 times that. Rows come in clusters (a spell's review days, a patient's
    doses), which makes empty months likelier: N is divided by the provider's overdispersion (the variance of its
    monthly rows over their mean, at least 1). Over P providers the chance of naming any by chance alone stays below
    GAP_CHANCE (P times each one's). A provider with several empty runs is sparse, not missing a submission.

    `index`: each row's provider as a position in `codes` (-1: none); `slot`: each row's month (quarter) number."""
    k_all = len(year_slots)
    if k_all < 2:
        return ()
    position = np.searchsorted(year_slots, slot)
    ok = (index >= 0) & (position < k_all)
    ok[ok] &= np.asarray(year_slots)[position[ok]] == slot[ok]  # a month the table lacks counts in no column
    counts = np.bincount(index[ok] * k_all + position[ok], minlength=len(codes) * k_all).reshape(len(codes), k_all)
    providers = int((counts.sum(axis=1) > 0).sum())
    found = []
    for code, rows in zip(codes, counts):
        held = np.flatnonzero(rows)
        if len(held) < 2:
            continue
        empty = np.flatnonzero(rows[held[0]:] == 0) + held[0]  # after its first month with rows
        if len(empty) == 0 or empty[-1] - empty[0] + 1 != len(empty):  # none, or more than one run
            continue
        present = rows[held]
        dispersion = max(1.0, float(present.var(ddof=1) / present.mean()))
        k = len(empty)
        chance = (k_all - k + 1) * (1 - k / k_all) ** (present.sum() / dispersion)
        if providers * chance < GAP_CHANCE:
            months = tuple(_month(year_slots[s] * step + m) for s in empty for m in range(step))
            found.append(ProviderGap(str(code), months, int(present.sum())))
    return tuple(found)


@dataclass(frozen=True)
class Coverage:
    """A run's tables as measured, once check() has accepted them: what the page must say, and the factor that
    scales the saving to a year when the year is not whole and the analyst asked for annualised figures."""

    year: str
    tables: tuple[TableCoverage, ...]
    national: bool  # the run is for England
    annualised_from: int | None = None  # the months the figures are scaled from; None: the year is whole
    benchmark: str | None = None  # the benchmark data combined with the extract (--benchmark-data), if any
    # with benchmark data: (table, its providers or areas from the extract, those from the benchmark data, unit)
    sources: tuple[tuple[str, int, int, str], ...] = ()

    @property
    def factor(self) -> float:
        return MONTHS_A_YEAR / self.annualised_from if self.annualised_from else 1.0

    def warnings(self, result: SchemeResult | None = None) -> list[str]:
        """What the page says beside the figures, in plain sentences (Markdown emphasis only)."""
        said = []
        if self.benchmark:
            counts = "; ".join(f"{table}: {own} {unit} from your extract, {theirs} from the benchmark data"
                               for table, own, theirs, unit in self.sources)
            said.append(f"**Benchmark data.** England on this page is your extract's providers with every other "
                        f"provider's rows from the benchmark data in {self.benchmark} ({counts}). The benchmark's "
                        "rows of your providers are replaced by yours. Patients are linked between the two only "
                        "where both use the same identifiers.")
        if self.annualised_from:
            n = self.annualised_from
            missing = f" (no rows in {month_span(self.tables[0].missing)})" if self.tables else ""
            text = (f"**Warning: annualised from {n} months.** The data of {self.year} cover {n} of its 12 "
                    f"months{missing}. The saving and the quantities in the summary are the {n} months' figures "
                    f"x 12/{n}, as if the missing months were like the others (no seasonal pattern); every other "
                    "figure on this page (indicators, tables, charts, the scenario table) is for the "
                    f"{n} months present.")
            if result is not None and any(c.implementation_cost != Range.zero()
                                          for c in result.opportunity.components):
                text += (" The yearly costs netted off the saving are scaled too, so the annualised saving may be "
                         "understated, never overstated.")
            said.append(text)
        for t in self.tables:
            if t.hubs_without:
                whose = ("England's figures on this page, and the England benchmark every provider is compared with, "
                         "come from these alone: they describe part of England, not England"
                         if self.national else
                         "The England benchmark on this page (the funnel's centre, the rates every provider is "
                         "compared with) comes from these alone, not from all of England")
                names = ", ".join(t.hubs_without)
                said.append(f"**Warning: part of England.** The {t.table} table holds rows of {t.year} from "
                            f"{t.present} of the {t.listed} {t.unit} in params/geography.yaml, none in "
                            f"{len(t.hubs_without)} of the {t.hubs} hubs ({names}). {whose}.")
            if t.gaps:
                listed = "; ".join(f"{g.code} ({month_span(g.months)}; {g.rows:,} rows in its other months)"
                                   for g in t.gaps[:MAX_LISTED])
                more = f"; and {len(t.gaps) - MAX_LISTED} more" if len(t.gaps) > MAX_LISTED else ""
                said.append(f"**Warning: months missing at some providers.** In the {t.table} table, {len(t.gaps)} "
                            f"provider(s) have no rows in months of {t.year} where their rows in its other months "
                            f"make none very unlikely (below 1 in {round(1 / GAP_CHANCE):,} for the table, by "
                            f"chance), as if a submission were missing: {listed}{more}. Their figures, and "
                            "England's, are understated by what those months held.")
        return said


def check(tables: Iterable[TableCoverage], area: Area, annualise: bool = False) -> Coverage:
    """Accept the run's tables, or raise a DataError naming each table whose headline year is not whole, the year and
    the months it lacks. With `annualise`, a year that is not whole is accepted when every table covers the same
    months (a rate between tables covering different months would be wrong, whatever the scaling)."""
    tables = tuple(tables)
    year = tables[0].year
    partial = [t for t in tables if not t.whole]
    if not partial:
        return Coverage(year, tables, area.is_national)
    said = "; ".join(t.shortfall() for t in partial)
    empty = [t for t in partial if not t.months]
    if empty or not annualise:
        whole = set.intersection(*(set(t.whole_years) for t in tables))
        choose = (f"choose a year every table covers whole with --period ({', '.join(sorted(whole))})" if whole
                  else "no financial year is whole in every table, so --period cannot help")
        scale = ("" if empty else ", or run with --annualise-partial-years to scale the saving from the months "
                                  "present to a year, with a warning on the page")
        raise DataError(f"the headline year {year} is not whole in the data: {said}. A figure counted over part of "
                        f"a year would read as a year's. Give an extract that covers all of {year}, {choose}{scale}.")
    if len({t.months for t in tables}) > 1:
        held = "; ".join(f"{t.table}: {len(t.months)} months" for t in tables)
        raise DataError(f"the headline year {year} is not whole in the data and its tables cover different months "
                        f"({held}): {said}. Figures that set one table against another would be wrong however they "
                        "were scaled, so they are not annualised. Give tables covering the same months.")
    return Coverage(year, tables, area.is_national, annualised_from=len(tables[0].months))


def annualised(result: SchemeResult, coverage: Coverage) -> SchemeResult:
    """The result with its saving (every component's gross and implementation cost) and its quantities scaled from
    the months present to a year; everything else as it is. Unchanged when the year is whole."""
    f = coverage.factor
    if f == 1.0:
        return result

    def scaled(r: Range) -> Range:
        return Range.of(lambda s: r.get(s) * f)

    components = [dataclasses.replace(c, gross=scaled(c.gross), implementation_cost=scaled(c.implementation_cost))
                  for c in result.opportunity.components]
    return dataclasses.replace(result, opportunity=Opportunity(tuple(components)),
                               quantities=[dataclasses.replace(q, values=scaled(q.values)) for q in result.quantities])


# A run measures each table once per process (a warm kernel runs a scheme for England and every hub in turn)
_MEASURED: dict[tuple, TableCoverage] = {}


def run_coverage(data_dir: Path, names: Iterable[str], period: Period, area: Area, geography: Geography,
                 annualise: bool | None = None) -> Coverage:
    """Measure and check the tables `names` of a data folder for a run of `area` in `period` (`annualise`: None
    reads $IVANALYSIS_ANNUALISE_PARTIAL_YEARS)."""
    from .io import file_identity, find_table, load_extract, load_table
    from .mapping import column_mapping

    names = list(names)
    bench = None if is_benchmark(data_dir) else benchmark_dir()
    measured = []
    for name in names:
        spec = TABLES[name]
        columns = [c for c in (spec.date_column, spec.provider_column, spec.area_column) if c]
        key = (*file_identity(find_table(data_dir, name)), name, period.label, _geography_key(geography),
               tuple(sorted(column_mapping(name).items())),  # the mapping says which column is the date
               bench and file_identity(find_table(bench, name)))
        if key not in _MEASURED:
            _MEASURED[key] = measure(load_table(data_dir, name, geography, columns), spec, period, geography)
        measured.append(_MEASURED[key])
    coverage = check(measured, area, annualise_partial_years() if annualise is None else annualise)
    if bench is None:
        return coverage
    sources = []
    for name in names:
        unit = unit_column(TABLES[name])
        own = set(load_extract(data_dir, name, geography, [unit])[unit].astype(str).unique())
        theirs = set(load_table(bench, name, geography, [unit])[unit].astype(str).unique()) - own
        sources.append((name, len(own), len(theirs), "areas" if unit == TABLES[name].area_column else "providers"))
    return dataclasses.replace(coverage, benchmark=bench, sources=tuple(sources))


def _geography_key(geography: Geography) -> tuple:
    """What a table's coverage depends on in the geography: each provider's and area's hub, and the hubs' names."""
    return (tuple(sorted(geography.provider_hub.items())),
            tuple(sorted((code, a.hub) for code, a in geography.commissioning_areas.items())),
            tuple((h.code, h.name) for h in geography.spec.hubs))


def describe(df: pd.DataFrame, spec: TableSpec, geography: Geography) -> str:
    """What a valid table covers, in one line for `validate`: its dates, the financial years it covers whole and,
    in its latest year, the providers (areas) and hubs it holds: a table can be valid row by row and cover too
    little for the year or the England a run reports."""
    dates = df[spec.date_column].dropna()
    if dates.empty:
        return "no dates"
    latest = Period.covering(dates)[-1]
    t = measure(df, spec, latest, geography)
    said = [f"dates {t.first:%-d %B %Y} to {t.last:%-d %B %Y}",
            "whole financial years: " + (", ".join(t.whole_years) or "none")]
    if not t.whole:
        said.append(f"{latest.label} lacks {month_span(t.missing)}")
    if spec.provider_column or spec.area_column:
        hubs = (f"none in {len(t.hubs_without)} of the {t.hubs} hubs ({', '.join(t.hubs_without)})"
                if t.hubs_without else f"all {t.hubs} hubs")
        said.append(f"{latest.label}: {t.present} of the {t.listed} {t.unit}, {hubs}")
    if t.gaps:
        said.append(f"{len(t.gaps)} provider run(s) of missing months in {latest.label} "
                    f"({', '.join(g.code for g in t.gaps[:MAX_LISTED])}{', ...' if len(t.gaps) > MAX_LISTED else ''})")
    return "; ".join(said)
