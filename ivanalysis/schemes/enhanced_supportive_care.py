"""Scheme 11: enhanced supportive care (Menu of Opportunities, chapter 11).

ESC brings supportive and palliative care to patients with cancer from the diagnosis of incurable disease. The Menu
measures it by unplanned (emergency) admissions of patients with incurable cancer, whose growth should be slower in
the disease (tumour) groups offered ESC than in those not offered it and than the growth in the population managed,
and by chemotherapy in the last 30 days of life. "How will the saving be calculated": slower growth in unplanned
admissions compared with non-ESC disease groups. Here:

- unplanned admissions are counted per patient-year of patients with incurable cancer under a provider's care
  (from their first admission in the data to death or the end of the data), by tumour group and by whether the
  provider offers the group ESC (from the ESC service return), and their growth is compared year on year;
- the before / after comparison at an ESC service's start is a segmented regression (interrupted time series) of
  its monthly unplanned admissions, with the trend before carried on as the counterfactual; the page shows it as a
  Making Data Count chart rebased at the start (limits before and after), with the admissions avoided over the
  months after the start and in the headline year, each with its 95% confidence interval;
- the saving a year is, at each provider, the unplanned admissions in the headline year in the tumour groups it
  does not yet offer ESC, times the share of a year's unplanned admissions ESC avoids, times the cost of an
  unplanned admission. Groups already offered ESC count as nothing (never netted off), so hubs add up to England.
  The share comes from the data, not from the Menu: the before / after comparison at England's largest ESC service
  that can be compared gives the admissions avoided in its first 12 months as a share of those the trend before
  predicted (moderate), with its 95% confidence interval (low and high). The Menu gives no admissions for its case
  study (the Christie's "over £1.4 million savings in unplanned admissions across 3 years"), so no share can be
  derived from it; the page says why the two figures differ. Three years of slower growth avoid 1 + 2 + 3 = 6
  times the first year's admissions (the gap widens each year): a three-year total, labelled so.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import sdc
from ..config import Assumption, SchemeParams
from ..data.schemas.esc_services import TUMOUR_GROUPS
from ..errors import DataError
from ..geography import Area, Geography
from ..results import (
    COST_AVOIDED,
    ICB_CCG,
    KPI,
    Chart,
    Measure,
    Opportunity,
    OpportunityComponent,
    Period,
    Quantity,
    Range,
    RunContext,
    SchemeResult,
    Table,
)
from ..stats.its import ITSResult, segmented_regression
from .base import area_rows, provider_table, rate_measure, safe_share, scenario_frame

TABLES = ("admissions", "esc_services")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "admissions": ("provider_code", "patient_id", "admission_date", "admission_method", "diagnosis", "procedure_group",
                   "incurable_cancer", "date_of_death", "length_of_stay"),
    "esc_services": ("provider_code", "patient_id", "tumour_group", "service_start_date", "offer_date", "ipos_first",
                     "ipos_review"),
}
ASSUMPTIONS = {"cost_per_admission": "gbp_per_admission"}  # the slowing is estimated (first_year_share)
STATUSES = ("ESC from before the year", "ESC started in the year", "No ESC")
THREE_YEAR_FACTOR = 1 + 2 + 3  # admissions avoided over three years of slower growth, in first-year units
LAST_DAYS = 30  # chemotherapy in the last 30 days of life
ITS_MIN_MONTHS = 6  # months before and after an ESC service's start for a before / after comparison
ITS_MIN_COUNT = sdc.SMALL_MAX + 1  # the chart shows every month's count: none may be a small one
FIRST_YEAR_MONTHS = 12  # ESC's effect a year: the admissions a service avoided in its first 12 months
MENU_CHRISTIE_GBP, MENU_CHRISTIE_YEARS = 1.4e6, 3  # Menu ch. 11: "over £1.4 million savings ... across 3 years"
SLOWING_LABEL = ("Share of a year's unplanned admissions avoided with ESC (before / after estimate; low and high: "
                 "its 95% confidence interval)")
PER = 100  # rates per 100 patient-years (about 160: readable to a decimal place)
RUN_IN_MONTHS = 12  # the first year of data finds the patients diagnosed before it; rates start after it
GROUP_OF_CODE = {code: group for group, codes in TUMOUR_GROUPS.items() for code in codes}
KEYS = ["provider_code", "tumour_group"]  # a list: pandas would take a tuple for one key
Lead = tuple[str, pd.Timestamp, tuple[str, ...], pd.Series]  # lead_service(): provider, start, groups, monthly


# --- small pieces of arithmetic ----------------------------------------------------------------------------------
def tumour_group(diagnosis: pd.Series) -> pd.Series:
    """The disease group of each 3-character ICD-10 code; any other cancer is 'other'."""
    return diagnosis.map(GROUP_OF_CODE).fillna("other")


def growth(now: float, before: float) -> float | None:
    """Relative change from `before` to `now` (0.05 is 5% growth); None without a figure before."""
    return float(now) / float(before) - 1 if before and not pd.isna(before) and not pd.isna(now) else None


def per_100(admissions: float, patient_years: float) -> float | None:
    """Admissions per 100 patient-years; None without patient-years."""
    return PER * float(admissions) / float(patient_years) if patient_years else None


def admissions_avoided(unplanned: float, slowing: float) -> float:
    """A year of growth slower by `slowing` (percentage points) avoids that share of the year's admissions."""
    return float(unplanned) * float(slowing)


def three_year_avoided(unplanned: float, slowing: float) -> float:
    """Three years of slower growth: the gap widens each year, 1 + 2 + 3 = 6 times the first year's."""
    return admissions_avoided(unplanned, slowing) * THREE_YEAR_FACTOR



def services(esc: pd.DataFrame) -> pd.DataFrame:
    """ESC services from the return: provider_code, tumour_group, start (the earliest start recorded)."""
    return (esc.groupby(["provider_code", "tumour_group"], observed=True)["service_start_date"].min()
            .rename("start").reset_index())


def esc_status(keys: pd.DataFrame, svc: pd.DataFrame, period: Period) -> pd.Series:
    """For rows with provider_code and tumour_group: ESC from before the year, started in the year, or none."""
    start = keys.merge(svc, on=["provider_code", "tumour_group"], how="left")["start"].to_numpy()
    status = np.select([start <= period.start.to_datetime64(), start <= period.end.to_datetime64()],
                       STATUSES[:2], STATUSES[2])
    return pd.Series(pd.Categorical(status, categories=STATUSES), index=keys.index)


def patients(cancer: pd.DataFrame, data_end: pd.Timestamp) -> pd.DataFrame:
    """One row per patient: provider and tumour group of their first admission, first admission date, end of care
    (death, or the end of the data), date of death."""
    # integer codes and numpy sorting: sorting and grouping millions of text identifiers is slow
    codes, ids = pd.factorize(cancer["patient_id"])
    order = np.lexsort((cancer["admission_date"].to_numpy(), codes))
    first = order[np.r_[True, codes[order][1:] != codes[order][:-1]]]  # each patient's earliest admission
    out = pd.DataFrame({"patient_id": ids[codes[first]],
                        "provider_code": cancer["provider_code"].to_numpy()[first],
                        "tumour_group": cancer["tumour_group"].to_numpy()[first],
                        "first": cancer["admission_date"].to_numpy()[first]})
    death = pd.Series(cancer["date_of_death"].to_numpy()).groupby(codes).min()
    out["death"] = death.reindex(codes[first]).to_numpy()
    out["end"] = out["death"].fillna(data_end).clip(upper=data_end)
    return out


def patient_years(pts: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Patient-years under care per provider, tumour group and month: each patient from their first admission to
    the end of their care, counted day by day (a difference array over days, then summed by month)."""
    first_day, last_day = months[0], months[-1] + pd.offsets.MonthEnd(0)
    days = (last_day - first_day).days + 1
    prov = pd.Categorical(pts["provider_code"])
    grp = pd.Categorical(pts["tumour_group"])
    a = np.clip((pts["first"] - first_day).dt.days.to_numpy(), 0, days)
    b = np.clip((pts["end"] - first_day).dt.days.to_numpy() + 1, 0, days)  # exclusive
    grid = np.zeros((len(prov.categories), len(grp.categories), days + 1), dtype=np.int64)
    np.add.at(grid, (prov.codes, grp.codes, a), 1)
    np.add.at(grid, (prov.codes, grp.codes, b), -1)
    daily = np.cumsum(grid[:, :, :days], axis=2)
    month_starts = (months - first_day).days.to_numpy()
    monthly = np.add.reduceat(daily, month_starts, axis=2) / 365.25
    idx = pd.MultiIndex.from_product([prov.categories, grp.categories, months],
                                     names=["provider_code", "tumour_group", "month"])
    out = pd.Series(monthly.ravel(), index=idx, name="patient_years").reset_index()
    return out[out["patient_years"] > 0]


def chemo_at_end_of_life(cancer: pd.DataFrame, pts: pd.DataFrame) -> pd.DataFrame:
    """Patients who died: whether they had chemotherapy delivered in their last 30 days of life."""
    died = pts[pts["death"].notna()].set_index("patient_id")
    chemo = cancer[cancer["procedure_group"] == "chemotherapy"][["patient_id", "admission_date"]]
    chemo = chemo[chemo["patient_id"].isin(died.index)]
    gap = (died.loc[chemo["patient_id"], "death"].to_numpy() - chemo["admission_date"].to_numpy())
    recent = chemo.loc[(gap >= np.timedelta64(0, "D")) & (gap <= np.timedelta64(LAST_DAYS, "D")), "patient_id"]
    out = died.reset_index()
    out["chemo_last_30"] = out["patient_id"].isin(set(recent))
    return out


def lead_service(cells: pd.DataFrame, svc: pd.DataFrame, months: pd.DatetimeIndex,
                 providers: tuple[str, ...] | None) -> Lead | None:
    """The ESC service (provider, start, tumour groups that started then, monthly unplanned admissions in them) with
    most unplanned admissions that has `ITS_MIN_MONTHS` months before and after its start and at least
    `ITS_MIN_COUNT` admissions every month; None if no service qualifies. `providers` None: any in England.

    `cells` holds unplanned admissions by provider_code, tumour_group and month.
    """
    first = svc.groupby("provider_code")["start"].min()
    best = None
    for provider, start in first.items():
        if providers is not None and provider not in providers:
            continue
        if (months < start).sum() < ITS_MIN_MONTHS or (months >= start).sum() < ITS_MIN_MONTHS:
            continue
        groups = tuple(sorted(svc.loc[(svc["provider_code"] == provider) & (svc["start"] == start), "tumour_group"]))
        rows = cells[(cells["provider_code"] == provider) & cells["tumour_group"].isin(groups)]
        series = rows.groupby("month")["unplanned"].sum().reindex(months, fill_value=0)
        if series.min() < ITS_MIN_COUNT:
            continue
        if best is None or series.sum() > best[3].sum():
            best = (provider, pd.Timestamp(start), groups, series)
    return best


def suppress_small(df: pd.DataFrame, count: str, columns: list[str]) -> pd.DataFrame:
    """Below England: blank the figures in `columns` of rows whose `count` is small (sdc.small): they would give it
    away."""
    out = df.copy()
    small = sdc.small(out[count])
    for col in columns:
        out[col] = out[col].astype(object).where(~small, None)
    return out


def group_name(group: str) -> str:
    """A tumour group in words: 'upper_gi' -> 'upper GI', 'brain_cns' -> 'brain CNS' (acronyms keep their case)."""
    return " ".join(w.upper() if w in ("gi", "cns") else w for w in group.split("_"))


def groups_text(groups: Iterable[str], everything: str) -> str:
    """Tumour groups in words ('brain CNS, lung'), or `everything` when they are all of them."""
    groups = list(groups)
    if len(set(groups)) == len(TUMOUR_GROUPS):
        return everything
    return ", ".join(sorted(group_name(g) for g in groups))


# --- England's part: the same whatever the area --------------------------------------------------------------------
@dataclass(frozen=True)
class National:
    """The analysis of every provider in England, the same whatever the area (read-only: kept between areas)."""
    svc: pd.DataFrame  # services: ESC services from the return
    months: pd.DatetimeIndex  # every month of the admissions data
    pts: pd.DataFrame  # patients: one row per patient with incurable cancer
    unplanned: pd.DataFrame  # their unplanned (emergency) admissions
    cells: pd.DataFrame  # unplanned admissions and patient-years by provider, tumour group and month
    counted: pd.DataFrame  # cells after the run-in months
    eol: pd.DataFrame  # chemo_at_end_of_life of every patient who died
    lead: Lead | None  # lead_service in England


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    adm = tables["admissions"]
    cancer = adm[adm["incurable_cancer"] == 1].copy()
    if cancer.empty:
        raise DataError("no admissions of patients with incurable cancer (incurable_cancer = 1) in the admissions "
                        "table")
    cancer["tumour_group"] = tumour_group(cancer["diagnosis"])
    svc = services(tables["esc_services"])
    months = pd.date_range(cancer["admission_date"].min().to_period("M").to_timestamp(),
                           cancer["admission_date"].max().to_period("M").to_timestamp(), freq="MS")
    data_end = months[-1] + pd.offsets.MonthEnd(0)
    pts = patients(cancer, data_end)
    unplanned = cancer[cancer["admission_method"] == "emergency"]

    # provider x tumour group x month: unplanned admissions and patient-years under care
    py = patient_years(pts, months)
    counts = unplanned.groupby(["provider_code", "tumour_group", unplanned["admission_date"].dt.to_period("M")],
                               observed=True).size().rename("unplanned").reset_index()
    counts["month"] = counts["admission_date"].dt.to_timestamp()
    cells = py.merge(counts.drop(columns="admission_date"), on=["provider_code", "tumour_group", "month"],
                     how="outer").fillna({"patient_years": 0.0, "unplanned": 0})
    counted = cells[cells["month"] >= months[0] + pd.DateOffset(months=RUN_IN_MONTHS)]
    if counted.empty or period.start < counted["month"].min():
        raise DataError(f"{period.label} falls in the first {RUN_IN_MONTHS} months of the admissions data (from "
                        f"{months[0]:%B %Y}), which only serve to find the patients already under care: choose a "
                        "later year or an extract that starts earlier")
    return National(svc=svc, months=months, pts=pts, unplanned=unplanned, cells=cells, counted=counted,
                    eol=chemo_at_end_of_life(cancer, pts), lead=lead_service(cells, svc, months, None))


# --- the area's arithmetic ---------------------------------------------------------------------------------------
def by_group(cells: pd.DataFrame, period: Period, svc: pd.DataFrame, headline: Period) -> pd.DataFrame:
    """Unplanned admissions and patient-years by provider and tumour group in `period`, each group with its ESC
    status in the `headline` year (the year before is compared with the groups as they stand in the headline year)."""
    rows = cells[period.mask(cells["month"])]
    out = rows.groupby(KEYS, observed=True)[["unplanned", "patient_years"]].sum().reset_index()
    out["status"] = esc_status(out, svc, headline)
    return out


def status_totals(groups: pd.DataFrame) -> pd.DataFrame:
    """by_group() rows summed by ESC status, in the order of STATUSES."""
    return groups.groupby("status", observed=False)[["unplanned", "patient_years"]].sum().reindex(STATUSES)


def opportunity(at_risk: float, mean_stay: float, slowing: Range,
                cost: Assumption) -> tuple[Range, Range, Range, Range]:
    """From `at_risk`, the unplanned admissions a year in tumour groups without ESC, and `slowing`, the share of a
    year's admissions ESC avoids (slowing_range()): the admissions avoided a year, the bed days they take (at
    `mean_stay` days each), their cost a year and over three years of slower growth."""
    avoided = Range.of(lambda s: admissions_avoided(at_risk, slowing.get(s)))
    bed_days = Range.of(lambda s: avoided.get(s) * mean_stay)
    gbp = Range.of(lambda s: avoided.get(s) * cost.value(s))
    three_years = Range.of(lambda s: three_year_avoided(at_risk, slowing.get(s)) * cost.value(s))
    return avoided, bed_days, gbp, three_years


def growth_by_status(now: pd.DataFrame, then: pd.DataFrame) -> pd.DataFrame:
    """Per ESC status, then all together: unplanned admissions in both years, patient-years, admissions per 100
    patient-years and the growth of each. `now`, `then`: status_totals() of the two years. A status with nothing in
    either year has no row (e.g. no service started in the year), rather than a row of blanks."""
    rows = []
    for status, n, b in [*((s, now.loc[s], then.loc[s]) for s in STATUSES), ("All", now.sum(), then.sum())]:
        if not (n["patient_years"] or b["patient_years"] or n["unplanned"] or b["unplanned"]):
            continue
        rate_now, rate_then = per_100(n["unplanned"], n["patient_years"]), per_100(b["unplanned"], b["patient_years"])
        rows.append({
            "status": status, "unplanned_before": b["unplanned"], "unplanned_now": n["unplanned"],
            "unplanned_growth": growth(n["unplanned"], b["unplanned"]), "patient_years_now": n["patient_years"],
            "patient_years_growth": growth(n["patient_years"], b["patient_years"]),
            "rate_before": rate_then, "rate_now": rate_now,
            "rate_growth": growth(rate_now, rate_then) if rate_then else None,
        })
    return pd.DataFrame(rows)


def group_figures(year: pd.DataFrame, prior: pd.DataFrame) -> pd.DataFrame:
    """Per tumour group: patient-years, unplanned admissions and their rate in the headline year, the rate's growth
    on the year before, and the providers offering the group ESC. `year`, `prior`: by_group() of the two years."""
    now = year.groupby("tumour_group")[["unplanned", "patient_years"]].sum()
    then = prior.groupby("tumour_group")[["unplanned", "patient_years"]].sum().reindex(now.index)
    offering = year[year["status"] != STATUSES[2]].groupby("tumour_group")["provider_code"].nunique()
    return pd.DataFrame({
        "tumour_group": now.index.to_numpy(),
        "patient_years": now["patient_years"].to_numpy(),
        "unplanned": now["unplanned"].to_numpy(),
        "rate": (PER * now["unplanned"] / now["patient_years"]).to_numpy(),
        "rate_growth": [growth(n / p, u / q) if p and q else None for n, p, u, q in zip(
            now["unplanned"], now["patient_years"], then["unplanned"], then["patient_years"])],
        "providers_offering": offering.reindex(now.index, fill_value=0).astype(int).to_numpy(),
    })


def provider_figures(year: pd.DataFrame, slowing: float, cost: float) -> pd.DataFrame:
    """Per provider: unplanned admissions, their rate, the tumour groups offered ESC (none: missing), the unplanned
    admissions in groups without ESC and, at `slowing` and `cost`, the admissions avoided and the saving."""
    by_provider = year.groupby("provider_code")[["unplanned", "patient_years"]].sum()
    no_esc = year[year["status"] == STATUSES[2]]
    without = no_esc.groupby("provider_code")["unplanned"].sum().reindex(by_provider.index, fill_value=0)
    esc_groups = year[year["status"] != STATUSES[2]].groupby("provider_code")["tumour_group"].agg(
        lambda s: groups_text(s, "all"))
    return pd.DataFrame({
        "unplanned": by_provider["unplanned"],
        "rate": PER * by_provider["unplanned"] / by_provider["patient_years"].where(by_provider["patient_years"] > 0),
        "esc_groups": esc_groups.reindex(by_provider.index),
        "unplanned_without_esc": without,
        "avoided": without * slowing,
        "saving": without * slowing * cost,
    })


def deaths_in_year(eol: pd.DataFrame, svc: pd.DataFrame, area: Area, period: Period) -> pd.DataFrame:
    """The area's patients who died in the year (a patient's provider is that of their first admission), from
    chemo_at_end_of_life(), each with `with_esc`: whether their group had ESC at their provider a month before."""
    eol = eol if area.is_national else eol[eol["provider_code"].isin(area.providers)]
    eol = eol[period.mask(eol["death"])]
    start = eol[KEYS].merge(svc, on=KEYS, how="left")["start"].to_numpy()
    return eol.assign(with_esc=start <= (eol["death"] - pd.Timedelta(days=LAST_DAYS)).to_numpy())


def offered_shares(offered: set, pts: pd.DataFrame, svc: pd.DataFrame,
                   period: Period) -> tuple[float | None, float | None]:
    """Of the patients newly under care in the year, the share offered ESC (`offered`: patient ids): of them all,
    and of those whose group had an ESC service at their provider when they came under care."""
    new = pts[period.mask(pts["first"])]
    start = new[KEYS].merge(svc, on=KEYS, how="left")["start"].to_numpy()
    new_in_esc = new[start <= new["first"].to_numpy()]
    return (safe_share(new["patient_id"].isin(offered).sum(), len(new)),
            safe_share(new_in_esc["patient_id"].isin(offered).sum(), len(new_in_esc)))


def ipos_change(offers: pd.DataFrame) -> float | None:
    """Mean change in IPOS score from the first ESC assessment to the review, over the offers reviewed."""
    reviewed = offers[offers["ipos_review"].notna()]
    return float((reviewed["ipos_review"] - reviewed["ipos_first"]).mean()) if len(reviewed) else None


def leading_service(national: National, area: Area) -> tuple[Lead | None, str]:
    """The ESC service compared before and after its start, and where it was chosen from: the area's leading one,
    or England's when none of the area's qualifies."""
    if area.is_national:
        return national.lead, area.name
    lead = lead_service(national.cells, national.svc, national.months, area.providers)
    return (national.lead, "England") if lead is None else (lead, area.name)


def before_after(lead: Lead | None) -> ITSResult | None:
    """The segmented regression of the service's monthly unplanned admissions, with the change at its start."""
    if lead is None:
        return None
    _, started, _, series = lead
    return segmented_regression(series.to_numpy(), series.index, started)


def _estimate(fit: ITSResult, c: np.ndarray) -> tuple[float, float, float]:
    """The combination c . b of the fit's coefficients (b0 level, b1 trend, b2 step, b3 change in trend) with its
    confidence interval, from the fit's covariance (Newey-West) and critical value."""
    est = float(c @ fit.coefficients)
    half = fit.critical * float(np.sqrt(max(c @ fit.cov @ c, 0.0)))
    return est, est - half, est + half


def avoided_since_start(fit: ITSResult) -> tuple[float, float, float]:
    """Admissions avoided over every month after the start (the trend before carried on, less the fit): estimate and
    95% confidence interval, positive when fewer than the trend predicted."""
    return -fit.difference, -fit.difference_ci[1], -fit.difference_ci[0]


def avoided_in(fit: ITSResult, period: Period) -> tuple[float, float, float, int] | None:
    """Admissions avoided in the months of `period` after the start: estimate, 95% confidence interval and the
    months counted; None when none of the period's months is after the start (and in the data)."""
    after = (fit.data["post"] == 1) & period.mask(fit.data["x"])
    k = np.flatnonzero(after.to_numpy()) - fit.points_before  # months since the start: 0 is the first
    if not len(k):
        return None
    est, lo, hi = _estimate(fit, np.array([0.0, 0.0, len(k), float(k.sum())]))  # sum of b2 + b3 k
    return -est, -hi, -lo, len(k)


def first_year_share(fit: ITSResult) -> tuple[float, float, float, int]:
    """The share of the unplanned admissions the trend before predicted that the service avoided in its first
    `FIRST_YEAR_MONTHS` months (all its months after the start if fewer): estimate, 95% confidence interval and the
    months counted.

    Over months k = 0 .. m - 1 after the start (t0 months before it) the fit less the trend carried on sums to
    E = m b2 + b3 (0 + 1 + ... + m - 1), and the trend carried on to C = m b0 + b1 (m t0 + 0 + 1 + ... + m - 1);
    the share is -E / C. Its interval is the delta method's: the gradient of E / C in b is (e - (E / C) c) / C, with
    e and c the weights of E and C, and its variance the gradient's quadratic form in the coefficients' covariance.
    """
    m, t0 = min(FIRST_YEAR_MONTHS, fit.points_after), fit.points_before
    steps = m * (m - 1) / 2
    e, c = np.array([0.0, 0.0, m, steps]), np.array([m, m * t0 + steps, 0.0, 0.0])
    big_e, big_c = float(e @ fit.coefficients), float(c @ fit.coefficients)
    ratio = big_e / big_c
    gradient = (e - ratio * c) / big_c
    half = fit.critical * float(np.sqrt(max(gradient @ fit.cov @ gradient, 0.0)))
    return -ratio, -ratio - half, -ratio + half, m


def slowing_range(fit: ITSResult | None) -> Range:
    """The share of a year's unplanned admissions ESC avoids, by scenario: first_year_share() (moderate) and its 95%
    confidence interval (low, high), each kept between 0 and 1 (a service that added admissions counts no saving);
    nothing without a service to compare."""
    if fit is None:
        return Range.zero()
    share, lo, hi, _ = first_year_share(fit)
    return Range(*(min(max(v, 0.0), 1.0) for v in (lo, share, hi)))


# --- the page's figures and tables -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BeforeAfter:
    """The before / after comparison at one ESC service, as the page reports it (compare())."""

    provider: str
    start: pd.Timestamp
    groups: tuple[str, ...]  # the tumour groups that started ESC then
    where: str  # the area it was chosen from: the run's own, or England when none of the area's qualifies
    series: pd.Series  # its monthly unplanned admissions in those groups
    fit: ITSResult
    since_start: tuple[float, float, float]  # avoided_since_start()
    in_year: tuple[float, float, float, int] | None  # avoided_in() the headline year


def compare(lead: Lead | None, where: str, period: Period) -> BeforeAfter | None:
    fit = before_after(lead)
    if fit is None:
        return None
    provider, start, groups, series = lead
    return BeforeAfter(provider, start, groups, where, series, fit, avoided_since_start(fit), avoided_in(fit, period))


def kpis(now: pd.DataFrame, then: pd.DataFrame, rate_growth: pd.Series, deaths: pd.DataFrame,
         offered: tuple[float | None, float | None], ipos: float | None, stays: pd.Series,
         ba: BeforeAfter | None, cost: float, period: Period, before: Period) -> list[KPI]:
    """`now`, `then`: status_totals() of the two years; `rate_growth`: growth_by_status()'s by status; `stays`: the
    lengths of stay of the year's unplanned admissions; `ba`: the before / after comparison at the leading ESC
    service."""
    from ..report import fmt

    total_now = now.sum()
    in_year = ba.in_year if ba else None
    if ba is None:
        where = "no ESC service can be compared before and after its start"
    elif in_year is None:
        where = f"{ba.provider} ({ba.where}) started ESC in {ba.start:%B %Y}: no month of {period.label} after it"
    else:
        where = (f"{ba.provider} ({ba.where}), the {in_year[3]} months of {period.label} after its start in "
                 f"{ba.start:%B %Y}")
    return [
        KPI("Unplanned admissions per 100 patient-years, patients with incurable cancer",
            per_100(total_now["unplanned"], total_now["patient_years"]), "admissions_per_100_patient_years",
            None, False, "patients under care from their first admission to death"),
        KPI("Growth in unplanned admissions per patient-year, groups offered ESC", _value(rate_growth.get(STATUSES[0])),
            "share", None, False,
            f"{period.label} on {before.label}; Menu: slower growth than in groups not offered ESC"),
        KPI("Growth in unplanned admissions per patient-year, groups not offered ESC",
            _value(rate_growth.get(STATUSES[2])), "share", None, False, f"{period.label} on {before.label}"),
        KPI("Growth in patient-years of patients with incurable cancer under care",
            growth(total_now["patient_years"], then.sum()["patient_years"]), "share", None, None,
            "the population managed"),
        KPI("Patients who died having chemotherapy in their last 30 days",
            safe_share(deaths["chemo_last_30"].sum(), len(deaths)), "share", None, False,
            "Menu: ESC helps optimise the timing of the final chemotherapy"),
        KPI("Patients newly under care offered ESC", offered[0], "share", 1.0, True,
            "Menu: all patients with incurable cancer offered ESC"),
        KPI("Patients newly under care offered ESC, in groups with an ESC service", offered[1], "share", 1.0, True),
        KPI("Mean change in IPOS score at ESC review", ipos, "points", None, False,
            "Integrated Palliative care Outcome Scale, 0 to 68, lower is better"),
        KPI("Unplanned admissions, patients with incurable cancer", float(total_now["unplanned"]), "count"),
        KPI("Bed days in these unplanned admissions", float(stays.sum()), "days"),
        KPI("Unplanned admissions avoided at the leading ESC service in the year",
            in_year[0] if in_year else None, "admissions", None, True,
            where + (f"; 95% CI {in_year[1]:,.0f} to {in_year[2]:,.0f} (before / after comparison)" if in_year
                     else "")),
        KPI("Saving at the leading ESC service in the year", in_year[0] * cost if in_year else None, "gbp", None,
            True, (f"{period.label}, at the moderate cost of an admission: 95% CI {fmt.gbp(in_year[1] * cost)} to "
                   f"{fmt.gbp(in_year[2] * cost)}; not comparable with the Menu's Christie figure (see the "
                   "caveats)") if in_year else where),
    ]


def its_chart(ba: BeforeAfter | None, local: pd.DataFrame, area: Area, period: Period, cost: float) -> Chart:
    """The leading service's monthly unplanned admissions as a Making Data Count chart rebased at its start (limits
    before and after), with the segmented regression's fit and the trend before carried on; without a service to
    compare, the area's monthly total (`local`: its cells)."""
    from ..report import fmt
    from ..stats.spc import xmr

    if ba is None:
        monthly = local.groupby("month")[["unplanned"]].sum().reset_index()
        return Chart(
            kind="line", frame=monthly, x="month", y="unplanned", value_label="Unplanned admissions a month",
            title=f"Unplanned admissions of patients with incurable cancer, {area.name}, by month",
            finding=f"No ESC service in England has {ITS_MIN_MONTHS} months before and after its start with enough "
                    "admissions each month for a before / after comparison; the chart shows the monthly total.")
    fit = ba.fit
    spc = xmr(ba.series.to_numpy(dtype=float), x=ba.series.index, improvement_direction="decrease",
              rebase=[ba.start])
    lines = fit.data.melt(id_vars="x", value_vars=["fitted", "counterfactual"], var_name="series")
    # the trend carried on is drawn from the last month before the start (before it, it is the fitted line)
    last_before = fit.data.loc[fit.data["post"] == 0, "x"].max()
    lines = lines[(lines["series"] != "counterfactual") | (lines["x"] >= last_before)]
    lines["series"] = lines["series"].map({"fitted": "Fitted (segmented regression)",
                                           "counterfactual": "Trend before ESC carried on"})
    groups = groups_text(ba.groups, "all tumour groups")
    in_year = ""
    if ba.in_year:
        n, lo, hi, months = ba.in_year
        in_year = (f" In {period.label} alone" + ("" if months == 12 else f" ({months} months after the start)")
                   + f" the service avoided about {n:,.0f} admissions (95% CI {lo:,.0f} to {hi:,.0f}): at the "
                   f"moderate cost of an unplanned admission, {_money(n * cost)} in {period.label} (95% CI "
                   f"{fmt.gbp(lo * cost)} to {fmt.gbp(hi * cost)}).")
    return Chart(
        kind="spc", frame=lines.reset_index(drop=True), x="x", y="value", series="series", spc=spc,
        value_label="Unplanned admissions a month",
        title=f"Unplanned admissions, {ba.provider} ESC service ({groups}), by month",
        finding=(f"The largest ESC service in {ba.where} that can be compared before and after its start is at "
                 f"{ba.provider} ({groups}, from {ba.start:%B %Y}). " + spc.summary(lambda v: f"{v:,.0f}")
                 + " " + fit.summary(lambda v: f"{v:,.1f}", difference_interval=True) + in_year
                 + f" The trend before is fitted on {fit.points_before} months and carried on for "
                 f"{fit.points_after}: the intervals allow for uncertainty in that trend, not for a change in it."
                 + ("" if min(fit.level_p, fit.slope_p) < 0.05 else
                    " Neither the step nor the change in trend is distinguishable from chance (p of 0.05 or "
                    "more): read this service's figure as uncertain.")),
        markers={ba.start: "ESC started"})


def its_table(ba: BeforeAfter | None, area: Area, period: Period) -> Table:
    if ba is None:
        frame = pd.DataFrame({"Term": ["No ESC service can be compared before and after its start"],
                              "Estimate": [np.nan], "95% CI from": [np.nan], "95% CI to": [np.nan],
                              "p-value": [""]})
        where = area.name
    else:
        fit, where = ba.fit, ba.where
        share, share_lo, share_hi, m = first_year_share(fit)
        rows = [("Trend before ESC (a month)", fit.baseline_slope, *fit.baseline_ci, _p(fit.baseline_p)),
                ("Step when ESC started", fit.level_change, *fit.level_ci, _p(fit.level_p)),
                ("Change in trend (a month)", fit.slope_change, *fit.slope_ci, _p(fit.slope_p)),
                (f"Admissions avoided, the {fit.points_after} months from {ba.start:%B %Y}", *ba.since_start, ""),
                (f"Admissions avoided in the first {m} months, per 100 the trend before predicted",
                 PER * share, PER * share_lo, PER * share_hi, "")]
        if ba.in_year:
            n, lo, hi, months = ba.in_year
            rows.append((f"Admissions avoided in {period.label}" + ("" if months == 12 else f" ({months} months)"),
                         n, lo, hi, ""))
        frame = pd.DataFrame(rows, columns=["Term", "Estimate", "95% CI from", "95% CI to", "p-value"])
    return Table(f"Before and after: segmented regression of monthly unplanned admissions at the ESC service "
                 f"charted above ({where})", frame, numbers=("Estimate", "95% CI from", "95% CI to"),
                 rows_are_the_area=True)


def providers_table(figures: pd.DataFrame, area: Area, period: Period, measure: Measure,
                    geography: Geography) -> Table:
    """`figures`: provider_figures() at the moderate scenario."""
    prov = figures.rename(columns={
        "unplanned": "Unplanned admissions", "rate": "Admissions per 100 patient-years",
        "esc_groups": "Tumour groups offered ESC", "unplanned_without_esc": "Unplanned admissions, groups without ESC",
        "avoided": "Admissions avoided (moderate)", "saving": "Saving (moderate)"})
    prov["Tumour groups offered ESC"] = prov["Tumour groups offered ESC"].fillna("none")
    if not area.is_national:  # a rate on a small count would give the count away
        prov = suppress_small(prov, "Unplanned admissions", ["Admissions per 100 patient-years"])
    return Table(f"Providers of {area.name}: unplanned admissions of patients with incurable cancer, {period.label}",
                 provider_table(prov, measure, geography),
                 counts=("Unplanned admissions", "Unplanned admissions, groups without ESC"),
                 money=("Saving (moderate)",),
                 numbers=("Admissions per 100 patient-years", "Admissions avoided (moderate)"),
                 opportunity=("Saving (moderate)", "Admissions avoided (moderate)"))


def growth_table(by_status: pd.DataFrame, area: Area, period: Period, before: Period) -> Table:
    """`by_status`: growth_by_status()."""
    then_count, now_count = f"Unplanned admissions {before.label}", f"Unplanned admissions {period.label}"
    frame = by_status.rename(columns={
        "status": "ESC for the tumour group", "unplanned_before": then_count, "unplanned_now": now_count,
        "unplanned_growth": "Growth in admissions", "patient_years_now": f"Patient-years {period.label}",
        "patient_years_growth": "Growth in patient-years",
        "rate_before": f"Admissions per 100 patient-years {before.label}",
        "rate_now": f"Admissions per 100 patient-years {period.label}",
        "rate_growth": "Growth in admissions per patient-year"})
    if not area.is_national:
        derived = [c for c in frame.columns if c.startswith(("Growth", "Admissions per"))]
        for col in (then_count, now_count):
            frame = suppress_small(frame, col, derived)
    return Table(f"{area.name}: growth in unplanned admissions of patients with incurable cancer, "
                 f"{before.label} to {period.label}, by whether the tumour group is offered ESC "
                 f"(as in {period.label})", _as_percent(frame), counts=(then_count, now_count),
                 numbers=(f"Patient-years {period.label}", f"Admissions per 100 patient-years {before.label}",
                          f"Admissions per 100 patient-years {period.label}"), rows_are_the_area=True)


def groups_table(figures: pd.DataFrame, area: Area, period: Period) -> Table:
    """`figures`: group_figures()."""
    groups = figures.rename(columns={
        "tumour_group": "Tumour group", "patient_years": "Patient-years under care",
        "unplanned": "Unplanned admissions", "rate": "Admissions per 100 patient-years",
        "rate_growth": "Growth in admissions per patient-year", "providers_offering": "Providers offering ESC"})
    groups["Tumour group"] = [n[:1].upper() + n[1:] for n in map(group_name, groups["Tumour group"])]
    groups = groups.sort_values("Unplanned admissions", ascending=False)
    if not area.is_national:
        groups = suppress_small(groups, "Unplanned admissions",
                                ["Admissions per 100 patient-years", "Growth in admissions per patient-year"])
    return Table(f"{area.name}: unplanned admissions of patients with incurable cancer by tumour group, "
                 f"{period.label}", _as_percent(groups), counts=("Unplanned admissions",),
                 numbers=("Patient-years under care", "Admissions per 100 patient-years"), rows_are_the_area=True)


def end_of_life_table(deaths: pd.DataFrame, area: Area, period: Period) -> Table:
    """Chemotherapy in the last 30 days of life, by whether the patient's group was offered ESC a month before death
    (`deaths`: deaths_in_year())."""
    rows = [{"Tumour group at death": label, "Deaths": len(part),
             "Chemotherapy in the last 30 days": int(part["chemo_last_30"].sum()),
             "Share": safe_share(part["chemo_last_30"].sum(), len(part))}
            for label, part in (("Offered ESC", deaths[deaths["with_esc"]]),
                                ("Not offered ESC", deaths[~deaths["with_esc"]]), ("All", deaths))]
    return Table(f"{area.name}: patients with incurable cancer who died in {period.label}, and chemotherapy in "
                 "their last 30 days of life", pd.DataFrame(rows),
                 counts=("Deaths", "Chemotherapy in the last 30 days"),
                 rates={"Share": ("Chemotherapy in the last 30 days", "Deaths")}, rows_are_the_area=True)


def services_table(svc: pd.DataFrame, offers: pd.DataFrame, area: Area, period: Period,
                   geography: Geography) -> Table:
    """The area's ESC services, each with the patients offered ESC in the year (`offers`: the area's offers)."""
    area_svc = svc[svc["provider_code"].isin(area.providers)] if not area.is_national else svc
    offered = offers.groupby("provider_code").size()
    first = area_svc.groupby("provider_code").agg(
        start=("start", "min"), groups=("tumour_group", lambda s: groups_text(s, "all"))).reset_index()
    frame = pd.DataFrame({
        "Provider": first["provider_code"], "Hub": first["provider_code"].map(geography.hub_of),
        "ESC from": first["start"].dt.strftime("%B %Y"), "Tumour groups offered ESC": first["groups"],
        f"Patients offered ESC in {period.label}": offered.reindex(first["provider_code"], fill_value=0).to_numpy(),
    })
    return Table(f"ESC services of {area.name} (from the ESC service return)", frame,
                 counts=(f"Patients offered ESC in {period.label}",))


def slowing_caveat(england: BeforeAfter | None) -> str:
    """Where the scenarios' share of admissions avoided comes from (`england`: England's leading service)."""
    from ..report import fmt

    if england is None:
        return ("No ESC service in the data can be compared before and after its start, so the share of a year's "
                "unplanned admissions that ESC avoids cannot be estimated and no saving is counted (the Menu gives "
                "no figure to take instead).")
    share, lo, hi, m = first_year_share(england.fit)
    return ("The share of a year's unplanned admissions that ESC avoids (the scenarios' slowing) is estimated from "
            "the data, not taken from the Menu: at England's largest ESC service that can be compared before and "
            f"after its start ({england.provider}, {groups_text(england.groups, 'all tumour groups')}, from "
            f"{england.start:%B %Y}), the admissions avoided in its first {m} months were {fmt.pct(share)} of those "
            f"the trend before predicted (moderate; 95% confidence interval {fmt.pct(lo)} to {fmt.pct(hi)}: the low "
            "and high scenarios, each kept between 0% and 100%). One service stands for every provider, whose "
            "services, tumour groups and years may differ; every area takes England's estimate, so that the hubs "
            "add up to England.")


def menu_caveat(ba: BeforeAfter | None, period: Period, cost: float) -> str:
    """Why the before / after figure differs from the Menu's Christie figure (`ba`: the area's leading service)."""
    from ..report import fmt

    text = (f"The Menu's case study, the Christie's \"over £{MENU_CHRISTIE_GBP / 1e6:.1f} million savings in "
            f"unplanned admissions across {MENU_CHRISTIE_YEARS} years\" (a {MENU_CHRISTIE_YEARS}-year total, about "
            f"{fmt.gbp(MENU_CHRISTIE_GBP / MENU_CHRISTIE_YEARS)} a year on average), is neither the source of the "
            "figures here nor a check on them: the Menu gives neither the Christie's unplanned admissions nor the "
            "years or the method of its saving, so it cannot be turned into a share of admissions or one financial "
            "year's saving.")
    if ba is None or ba.in_year is None:
        return text
    n, lo, hi, months = ba.in_year
    total, total_lo, total_hi = ba.since_start
    observed = ba.series[period.mask(ba.series.index.to_series())].sum()
    end = ba.fit.data["x"].iloc[-1]
    return text + (
        f" The before / after estimate at {ba.provider} is {fmt.gbp(n * cost)} in {period.label}"
        + ("" if months == 12 else f" ({months} months)")
        + f" (95% CI {fmt.gbp(lo * cost)} to {fmt.gbp(hi * cost)}) and {fmt.gbp(total * cost)} over the "
        f"{ba.fit.points_after} months from {ba.start:%B %Y} to {end:%B %Y} (95% CI {fmt.gbp(total_lo * cost)} to "
        f"{fmt.gbp(total_hi * cost)}), both at the moderate cost of an admission. It differs from the Christie's "
        f"yearly average because the services differ in size ({ba.provider} had about "
        f"{sdc.control_count(observed):,} unplanned admissions of patients with incurable cancer in its ESC tumour "
        f"groups in {period.label}), in years and in method, and because it rests on the trend of the "
        f"{ba.fit.points_before} months before the start carrying on.")


def caveats(months: pd.DatetimeIndex, england: BeforeAfter | None, ba: BeforeAfter | None, period: Period,
            cost: float) -> list[str]:
    return [
        "Patients count from their first admission in the data: take an extract that starts a year before the "
        "headline year so that patients diagnosed earlier are found (here the data start in "
        f"{months[0]:%B %Y}).",
        "Case mix differs between tumour groups (lung and upper GI cancers bring more admissions than breast or "
        "prostate), so compare providers and groups with that in mind; the funnel plot does not adjust for it.",
        "Growth in groups offered ESC against groups not offered it is an observational comparison: groups were "
        "not chosen at random, and other changes may have happened at the same time.",
        "The saving assumes that ESC in the groups not yet offered it slows growth in their unplanned admissions "
        "as the scenarios say; the before / after comparison shows what one service achieved, not a promise.",
        slowing_caveat(england),
        menu_caveat(ba, period, cost),
        "Chemotherapy in the last 30 days of life comes from chemotherapy delivery day cases in the admissions "
        "data; cycles given as outpatients elsewhere would be missed.",
    ]


def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Unplanned admissions avoided by slower growth", COST_AVOIDED, ICB_CCG, gbp, period.label,
        note="The Menu calculates the saving as 'slower increase in growth of unplanned admissions': admissions "
             "that would have been added, not a fall from today's. Unplanned admissions to acute care are "
             "commissioned by ICBs (CCGs until 2022), not by specialised commissioning.")])


# --- the analysis --------------------------------------------------------------------------------------------------
def analyse(tables: dict[str, pd.DataFrame], run: RunContext, national: National) -> SchemeResult:
    area, params, period, geography = run.area, run.params, run.period, run.geography
    a = params.assumptions
    svc, cost = national.svc, a["cost_per_admission"].moderate
    local = area_rows(national.counted, area, "patients with incurable cancer")
    measure = rate_measure(
        national.counted, events="unplanned", exposure="patient_years", date="month", area=area, period=period,
        name="Unplanned admissions per 100 patient-years, patients with incurable cancer", higher_is_better=False,
        target=None, denominator_label="patient-years under care", value_label="Admissions per 100 patient-years",
        per=PER)
    year = by_group(local, period, svc, period)
    if year["unplanned"].sum() == 0 and year["patient_years"].sum() == 0:
        raise DataError(f"no admissions of patients with incurable cancer for {area.name} in {period.label}")
    before = period.previous
    prior = by_group(local, before, svc, period)

    # the saving: unplanned admissions in groups not yet offered ESC, times the slower growth, times the cost; the
    # bed days are those of the admissions at risk (the ones avoided), so that the hubs' add up to England's
    at_risk_groups = year.loc[year["status"] == STATUSES[2], KEYS]
    local_unplanned = area_rows(national.unplanned, area, "unplanned admissions")
    this_year = local_unplanned[period.mask(local_unplanned["admission_date"])]
    stays = this_year.merge(at_risk_groups, on=KEYS)["length_of_stay"]
    at_risk = float(year.loc[year["status"] == STATUSES[2], "unplanned"].sum())
    england = compare(national.lead, "England", period)
    slowing = slowing_range(england.fit if england else None)
    avoided, bed_days, gbp, three_years = opportunity(at_risk, float(stays.mean()) if len(stays) else 0.0,
                                                      slowing, a["cost_per_admission"])
    now, then = status_totals(year), status_totals(prior)
    by_status = growth_by_status(now, then)

    local_pts = area_rows(national.pts, area, "patients with incurable cancer")
    deaths = deaths_in_year(national.eol, svc, area, period)
    esc = tables["esc_services"]
    esc = esc if area.is_national else esc[esc["provider_code"].isin(area.providers)]  # an area may have no ESC
    offers = esc[period.mask(esc["offer_date"])]
    ba = compare(*leading_service(national, area), period)

    outputs = [(SLOWING_LABEL, "share", slowing),
               ("Unplanned admissions avoided a year", "count", avoided),
               ("Bed days released a year", "days", bed_days),
               ("Saving a year", "gbp", gbp),
               ("Saving over three years of slower growth (a three-year total)", "gbp", three_years)]
    return SchemeResult(
        context=run,
        kpis=kpis(now, then, by_status.set_index("status")["rate_growth"], deaths,
                  offered_shares(set(esc["patient_id"]), local_pts, svc, period), ipos_change(offers), stays,
                  ba, cost, period, before),
        opportunity=opportunity_by_kind(gbp, period),
        quantities=[Quantity("Unplanned admissions avoided a year", "admissions", avoided),
                    Quantity("Bed days released a year", "bed days", bed_days)],
        measure=measure,
        tables={
            "providers": providers_table(provider_figures(year, slowing.moderate, cost), area, period, measure,
                                         geography),
            "growth": growth_table(by_status, area, period, before),
            "groups": groups_table(group_figures(year, prior), area, period),
            "end_of_life": end_of_life_table(deaths, area, period),
            "its": its_table(ba, area, period),
            "services": services_table(svc, offers, area, period, geography),
        },
        scenario_table=scenario_frame(params, outputs),
        charts={"its": its_chart(ba, local, area, period, cost)},
        caveats=caveats(national.months, england, ba, period, cost),
        data_months=(national.months[0], national.months[-1]),
        area_providers=area.providers,
        opportunity_note=(
            "Opportunity is counted only for tumour groups a provider does not yet offer enhanced supportive "
            "care; groups already offered count as nothing."),
    )


def _money(v: float) -> str:
    from ..report import fmt

    return ("a saving of about " + fmt.gbp(v)) if v >= 0 else ("a cost of about " + fmt.gbp(-v))


def _p(v: float) -> str:
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def _as_percent(df: pd.DataFrame) -> pd.DataFrame:
    """Growth columns as text percentages (a Table's rates are shares of counts; growth is not)."""
    from ..report import fmt

    out = df.copy()
    for col in [c for c in out.columns if c.startswith("Growth")]:
        out[col] = [("" if v is None or pd.isna(v) else f"{'+' if v > 0 else ''}{fmt.pct(v)}") for v in out[col]]
    return out


def _value(v) -> float | None:
    """A figure for a KPI: None when missing (never NaN, which results.json cannot hold)."""
    return None if v is None or pd.isna(v) else float(v)
