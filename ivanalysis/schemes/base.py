"""Helpers the scheme modules share: periods, area rows, the funnel-and-trend measures, the scenario table.

The scheme contract itself (what a module declares, how it is called) is in ivanalysis.schemes.contract; the types a
scheme returns are in ivanalysis.results.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..config import SCENARIOS, ChangeDate, SchemeParams
from ..errors import DataError
from ..geography import Area, Geography
from ..results import Measure, Period, Range


# --- shared helpers --------------------------------------------------------------------------------------------------
def in_period(df: pd.DataFrame, column: str, period: Period, what: str) -> pd.DataFrame:
    if df.empty:
        raise DataError(f"no {what} at all, in any year")
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
                       higher_is_better: bool, target: float | None, denominator_label: str,
                       changes: Sequence[ChangeDate] = ()) -> Measure:
    """Funnel of every provider in the period (England is the benchmark) and the area's monthly SPC chart, its limits
    recalculated at each of the params' `changes` the area's months allow (see trend_rebase). A month without rows
    is a gap on the chart, named in its summary, not a month the line silently closes over."""
    from ..stats.funnel import proportion_funnel
    from ..stats.spc import xmr

    current, local = _measure_rows(df, date, area, period, denominator_label)
    by_provider = current.groupby("provider_code", observed=True)[flag].agg(["sum", "size"])
    # the funnel centres on England's own rate: outliers are judged against peers, not against the target
    funnel = proportion_funnel(by_provider.index.tolist(), by_provider["sum"].astype(int).tolist(),
                               by_provider["size"].astype(int).tolist())
    monthly = local.groupby(local[date].dt.to_period("M"), observed=True)[flag].mean()
    trend = xmr(monthly.to_numpy(dtype=float), x=monthly.index.to_timestamp(),
                improvement_direction="increase" if higher_is_better else "decrease", target=target,
                rebase=trend_rebase(monthly.index.to_timestamp(), changes),
                freq=trend_calendar(monthly.index.to_timestamp()))
    return Measure(name, higher_is_better, target, funnel, trend, denominator_label)


def rate_measure(df: pd.DataFrame, *, events: str, exposure: str, date: str, area: Area, period: Period,
                 name: str, higher_is_better: bool, target: float | None, denominator_label: str,
                 value_label: str, per: float = 1.0, value_format: str = "number",
                 changes: Sequence[ChangeDate] = ()) -> Measure:
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
                improvement_direction="increase" if higher_is_better else "decrease", target=target,
                rebase=trend_rebase(values.index.to_timestamp(), changes),
                freq=trend_calendar(values.index.to_timestamp()))
    return Measure(name, higher_is_better, target, funnel, trend, denominator_label, value_format, value_label)


def trend_calendar(months: pd.DatetimeIndex) -> str | None:
    """The calendar of a trend's points (month starts): every k months, k the greatest common step between them (1
    for a monthly series even with months missing, 3 for a quarterly one), so a period without data is a gap."""
    steps = np.diff(np.asarray(months.year * 12 + months.month, dtype=int))
    return f"{int(np.gcd.reduce(steps))}MS" if len(steps) and steps.min() > 0 else None


def trend_rebase(months: pd.DatetimeIndex, changes: Sequence[ChangeDate]) -> list[pd.Timestamp]:
    """The change dates a monthly trend is rebased at: those with enough months on each side for the page's
    interrupted time series (ivanalysis.stats.its.fittable_starts); the page names any left out."""
    from ..stats.its import fittable_starts

    return fittable_starts(months, [c.date for c in changes])


def scenario_frame(params: SchemeParams, outputs: list[tuple[str, str, Range]]) -> pd.DataFrame:
    """Rows: each assumption, then each output (label, unit, values); columns: unit, low, moderate, high."""
    rows = [{"item": a.label, "unit": a.unit, **{s: a.value(s) for s in SCENARIOS}}
            for a in params.assumptions.values()]
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
