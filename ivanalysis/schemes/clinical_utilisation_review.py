"""Scheme 14: clinical utilisation review, CUR (Menu of Opportunities, chapter 14).

CUR software assesses every patient every day against evidence-based criteria for admission (day 1) or continued
stay. The Menu's aims: fewer patient-days not meeting the criteria, a fall in the top 5 reasons for delay
(internal and external), and the required 25% reduction in stays of more than 3 weeks (21 days); its case study,
South Tees, cut its non-qualified patient levels by 35% in 12 months. The saving is "calculated from trust / CUR
data"; the cost is the CUR software (licences, installation, training and programme management support).

The saving here: the benchmark is England's share of patient-days not meeting the criteria, reduced as South Tees
reduced its own. At each provider above the benchmark, the patient-days not meeting the criteria beyond the
benchmark are bed days released, valued at the cost of a bed day, less the provider's yearly cost of running CUR;
a provider counts only where the bed days released are worth more than that cost, and providers at or below the
benchmark count nothing (never netted off). Stays over 21 days are measured against the 25% reduction target but
not added to the saving, since their delayed days are already among the days not meeting the criteria.

national() does England's part (every review flagged met or not, those in the period, England's share not met),
the same for every area; analyse() the area's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import sdc
from ..config import SCENARIOS, SchemeParams
from ..data.schemas.utilisation_reviews import EXTERNAL_REASONS, INTERNAL_REASONS, REASONS, SETTING_REASONS
from ..geography import Geography
from ..report import fmt
from ..results import (
    CAPACITY_RELEASED,
    KPI,
    PROVIDER,
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
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame
from .contract import Tables

TABLES = ("utilisation_reviews",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "utilisation_reviews": ("provider_code", "spell_id", "review_date", "day_of_stay", "meets_criteria", "reason",
                            "spell_los_days"),
}
ASSUMPTIONS = {"not_met_reduction": "share", "bed_day_value": "gbp_per_day",
               "cur_cost_per_provider": "gbp_per_provider_year", "long_stay_reduction": "share"}
LONG_STAY_DAYS = 21  # "stays longer than 3 weeks"
TOP = 5  # the Menu's "top 5 reasons for delay"
REASON_LABELS = {
    "lower_level_of_care": "Could be cared for elsewhere",
    "awaiting_diagnostics": "Awaiting diagnostics", "awaiting_specialist_opinion": "Awaiting specialist opinion",
    "awaiting_therapy_assessment": "Awaiting therapy assessment", "awaiting_senior_review": "Awaiting senior review",
    "awaiting_medication": "Awaiting medicines to take home",
    "awaiting_community_care": "Awaiting discharge to community care", "awaiting_care_package": "Awaiting care package",
    "awaiting_care_home": "Awaiting care home place", "awaiting_transport": "Awaiting transport",
    "patient_family_choice": "Patient or family choice",
}
STAY_BANDS = ((7, "1 to 7 days"), (14, "8 to 14 days"), (21, "15 to 21 days"), (365, "More than 21 days"))


def reason_type(reason: str) -> str:
    """Where the delay lies: within the hospital (internal), outside it (external), or the wrong setting."""
    if reason in INTERNAL_REASONS:
        return "internal"
    if reason in EXTERNAL_REASONS:
        return "external"
    if reason in SETTING_REASONS:
        return "setting"
    raise ValueError(f"unknown CUR reason {reason!r}")


def benchmark_share(england_share: float, reduction: float) -> float:
    """England's share of patient-days not meeting the criteria, reduced as South Tees reduced its own."""
    return england_share * (1.0 - reduction)


def bed_days_released(not_met_days: float, days_reviewed: float, benchmark: float) -> float:
    """Patient-days not meeting the criteria above the benchmark share of the days reviewed (none below it)."""
    return max(0.0, not_met_days - benchmark * days_reviewed)


def provider_release(reviews: pd.DataFrame, benchmark: float, bed_day_value: float, cur_cost: float) -> pd.DataFrame:
    """Per provider: days reviewed and not met, bed days released above the benchmark, their value, the cost of
    CUR and the net saving; a provider counts only where the value is more than the cost."""
    g = reviews.groupby("provider_code", observed=True)
    out = pd.DataFrame({"reviewed": g.size(), "not_met": g["not_met"].sum().astype(int)})
    released = np.array([bed_days_released(r.not_met, r.reviewed, benchmark) for r in out.itertuples()])
    gross = released * bed_day_value
    counted = gross > cur_cost
    out["released"] = np.where(counted, released, 0.0)
    out["value"] = np.where(counted, gross, 0.0)
    out["cost"] = np.where(counted, cur_cost, 0.0)
    out["saving"] = out["value"] - out["cost"]
    return out


def first_year_fall(reviews: pd.DataFrame) -> float | None:
    """How far the share of patient-days not met fell over providers' first year of CUR: the share in the first 3
    months of each provider's reviews against months 13 to 15, pooled over the providers with 15 months of data
    (the Menu's South Tees measure). None when no provider has 15 months."""
    month = reviews["review_date"].dt.to_period("M")
    since = month.astype("int64") - month.groupby(reviews["provider_code"]).transform("min").astype("int64")
    span = since.groupby(reviews["provider_code"]).transform("max")
    early = reviews[(since < 3) & (span >= 14)]
    late = reviews[(since >= 12) & (since < 15)]
    if early.empty or late.empty or not early["not_met"].any():
        return None
    return 1.0 - late["not_met"].mean() / early["not_met"].mean()


def first_reviews(reviews: pd.DataFrame) -> pd.DataFrame:
    """One row per spell: its first review (the spell's start, as far as CUR saw it)."""
    return reviews.sort_values(["review_date", "day_of_stay"], kind="stable").drop_duplicates("spell_id")


def long_stays(spells: pd.DataFrame) -> tuple[int, float]:
    """Spells of more than 21 days, and their bed days beyond day 21."""
    long = spells["spell_los_days"] > LONG_STAY_DAYS
    return int(long.sum()), float((spells.loc[long, "spell_los_days"] - LONG_STAY_DAYS).sum())


def stay_band(los: pd.Series) -> pd.Series:
    labels = [label for _, label in STAY_BANDS]
    band = pd.cut(los, bins=[0, *[upper for upper, _ in STAY_BANDS]], labels=labels)
    return band.astype(pd.CategoricalDtype(labels))


def reason_table(local: pd.DataFrame) -> pd.DataFrame:
    """Patient-days not meeting the criteria by reason, most common first, the top 5 marked."""
    days = local.loc[local["not_met"], "reason"].value_counts().reindex(list(REASONS), fill_value=0)
    out = pd.DataFrame({"Reason": [REASON_LABELS[r] for r in days.index],
                        "Where the delay lies": [reason_type(r) for r in days.index],
                        "Days not met": days.to_numpy()})
    out = out.sort_values(["Days not met", "Reason"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out["Total"] = int(days.sum())
    out["Share of days not met"] = out["Days not met"] / out["Total"] if out["Total"].iloc[0] else np.nan
    out["Top 5"] = ["yes" if i < TOP and d > 0 else "" for i, d in enumerate(out["Days not met"])]
    return out


def stay_table(spells: pd.DataFrame, local: pd.DataFrame) -> pd.DataFrame:
    """By the spell's length of stay: the spells starting in the period (`spells`), and the patient-days reviewed in
    the period (`local`) with the share of them not meeting the criteria."""
    spell_band = stay_band(spells["spell_los_days"])
    row_band = stay_band(local["spell_los_days"])
    out = pd.DataFrame({"Spells": spell_band.value_counts(sort=False),
                        "Days reviewed": row_band.value_counts(sort=False),
                        "Days not met": local["not_met"].groupby(row_band, observed=False).sum()})
    out = out.rename_axis("Length of stay").reset_index()
    out["All spells"] = len(spells)
    out["Share of spells"] = out["Spells"] / out["All spells"]
    out["Share of days not met"] = out["Days not met"] / out["Days reviewed"].where(out["Days reviewed"] > 0)
    return out


@dataclass(frozen=True)
class National:
    """England's part of the analysis, the same for every area (read-only: a warm kernel keeps it for every hub)."""

    reviews: pd.DataFrame  # every patient-day reviewed, all months, with not_met
    year: pd.DataFrame  # those in the period
    england_share: float  # England's share of patient-days not meeting the criteria in the period
    data_months: tuple[pd.Timestamp, pd.Timestamp]


def national(tables: Tables, params: SchemeParams, period: Period, geography: Geography) -> National:
    reviews = tables["utilisation_reviews"].assign(not_met=lambda d: d["meets_criteria"] == "no")
    year = in_period(reviews, "review_date", period, "patient-days reviewed")
    return National(reviews, year, float(year["not_met"].mean()),
                    (reviews["review_date"].min(), reviews["review_date"].max()))


# --- the area's part: the arithmetic -------------------------------------------------------------------------------
def period_days(period: Period) -> int:
    return (period.end - period.start).days + 1


def external_share(reviews: pd.DataFrame) -> float | None:
    """Of the patient-days not meeting the criteria, the share waiting on care outside the hospital."""
    not_met = reviews[reviews["not_met"]]
    return safe_share(not_met["reason"].isin(EXTERNAL_REASONS).sum(), len(not_met))


def long_stays_by_provider(spells: pd.DataFrame) -> pd.Series:
    """Spells of more than 21 days, by provider."""
    return spells.loc[spells["spell_los_days"] > LONG_STAY_DAYS].groupby("provider_code").size()


@dataclass(frozen=True)
class Release:
    """The bed days released and what they are worth, under each scenario (sums of provider_release())."""

    bed_days: Range
    value: Range
    cost: Range
    saving: Range
    beds: Range  # the bed days spread over the year's days

    @classmethod
    def of(cls, by_scenario: dict[str, pd.DataFrame], period: Period) -> Release:
        bed_days = Range.summed(by_scenario, "released")
        return cls(bed_days, Range.summed(by_scenario, "value"), Range.summed(by_scenario, "cost"),
                   Range.summed(by_scenario, "saving"),
                   Range.of(lambda s: bed_days.get(s) / period_days(period)))


# --- the area's part: what the page shows --------------------------------------------------------------------------
CAVEATS = [
    "Only providers that run CUR appear: the benchmark and the saving cover the beds CUR reviews, not the "
    "whole hospital.",
    "Released bed days are capacity: cash is saved only where beds or staffed wards close; otherwise the "
    "gain is shorter waits and fewer cancelled admissions.",
    "Stays over 21 days are measured against the 25% reduction target but not added to the saving: their "
    "delayed days are already among the patient-days not meeting the criteria.",
    "Many delays lie outside the hospital (community care, care packages, care homes): releasing those bed "
    "days needs the whole health and care system, as the Menu says.",
    "The yearly cost of CUR (licences, training, programme management) is an assumption: the Menu names "
    "these costs but gives no figure; replace it with the local contract.",
]


def headline_kpis(local: pd.DataFrame, area_reviews: pd.DataFrame, spells: pd.DataFrame,
                  benchmark: float) -> list[KPI]:
    """`local`: the area's patient-days in the period; `area_reviews`: all its months; `spells`: those starting in
    the period; `benchmark`: the moderate benchmark share."""
    n = len(local)
    admission = local[local["day_of_stay"] == 1]
    continued = local[local["day_of_stay"] > 1]
    n_long, long_days = long_stays(spells)
    return [
        KPI("Patient-days not meeting the criteria", safe_share(local["not_met"].sum(), n), "share", benchmark,
            False, "benchmark: England's share less 35% (South Tees' fall in 12 months)"),
        KPI("Fall in the share not met over providers' first year of CUR",
            first_year_fall(area_reviews), "share", None, True,
            "Menu: South Tees improved by 35% in 12 months; all years, first 3 months against months 13 to 15"),
        KPI("Admission reviews not meeting the criteria", safe_share(admission["not_met"].sum(), len(admission)),
            "share", None, False, "patients who might not have needed admission"),
        KPI("Continued-stay reviews not meeting the criteria", safe_share(continued["not_met"].sum(), len(continued)),
            "share", None, False, "the Menu's not-met / non-qualified rate for continued stay"),
        KPI("Days not met for a reason outside the hospital", external_share(local), "share", None, False,
            "external: community care, care packages, care homes, transport, patient or family choice"),
        KPI("Spells of more than 21 days", float(n_long), "count", note="Menu: a 25% reduction is required"),
        KPI("Spells of more than 21 days, share of spells", safe_share(n_long, len(spells)), "share", None, False),
        KPI("Bed days beyond day 21 of long stays", long_days, "days"),
        KPI("Patient-days reviewed", float(n), "count"),
    ]


def providers_table(moderate: pd.DataFrame, spells: pd.DataFrame, measure: Measure, run: RunContext) -> Table:
    """`moderate`: provider_release() under the moderate scenario."""
    frame = provider_table(pd.DataFrame({
        "Patient-days reviewed": moderate["reviewed"], "Not met": moderate["not_met"],
        "Share not met": moderate["not_met"] / moderate["reviewed"],
        "Spells over 21 days": long_stays_by_provider(spells).reindex(moderate.index, fill_value=0),
        "Bed days released (moderate)": moderate["released"], "CUR cost (moderate)": moderate["cost"],
        "Saving (moderate)": moderate["saving"]}), measure, run.geography)
    return Table(f"Providers of {run.area.name} using CUR: patient-days reviewed and not meeting the "
                 f"criteria, {run.period.label}", frame,
                 counts=("Patient-days reviewed", "Not met", "Spells over 21 days"),
                 rates={"Share not met": ("Not met", "Patient-days reviewed")},
                 money=("CUR cost (moderate)", "Saving (moderate)"),
                 numbers=("Bed days released (moderate)",),
                 opportunity=("CUR cost (moderate)", "Saving (moderate)", "Bed days released (moderate)"))


def reasons_chart(reasons: pd.DataFrame, local: pd.DataFrame, run: RunContext) -> Chart:
    """The reasons for delay (reason_table()), the top 5 highlighted; below England a reason of few days is left
    out, as its share would give the count away."""
    area, period = run.area, run.period
    days = reasons["Days not met"]
    shown = reasons[(days > 0) & ~(sdc.small(days) & (not area.is_national))]
    top = reasons.head(TOP)
    top_share = safe_share(top["Days not met"].sum(), reasons["Total"].iloc[0])
    return Chart(
        "bar", shown[["Reason", "Share of days not met"]], x="Reason", y="Share of days not met",
        title=f"Reasons for delay, {area.name}, {period.label}",
        value_label="Share of patient-days not meeting the criteria", value_format="percent",
        highlight=tuple(top.loc[top["Days not met"] > 0, "Reason"]),
        finding=(f"In {area.name} the top 5 reasons (highlighted) account for {fmt.pct(top_share)} of the "
                 f"patient-days not meeting the criteria; the commonest is '{top['Reason'].iloc[0].lower()}' "
                 f"({fmt.pct(top['Share of days not met'].iloc[0])}). "
                 f"{fmt.pct(external_share(local))} of them wait on care outside the hospital."
                 if local["not_met"].any() else f"No patient-day reviewed in {area.name} failed the criteria."))


def reasons_table(reasons: pd.DataFrame, run: RunContext) -> Table:
    return Table(f"{run.area.name}: patient-days not meeting the criteria by reason, {run.period.label}",
                 reasons, hidden=("Total",), counts=("Days not met", "Total"),
                 rates={"Share of days not met": ("Days not met", "Total")}, rows_are_the_area=True)


def stays_table(stays: pd.DataFrame, run: RunContext) -> Table:
    """`stays` is stay_table()."""
    return Table(f"{run.area.name}: spells starting in {run.period.label}, and patient-days reviewed in it, by the "
                 "spell's length of stay", stays,
                 hidden=("All spells",), counts=("Spells", "Days reviewed", "Days not met", "All spells"),
                 rates={"Share of spells": ("Spells", "All spells"),
                        "Share of days not met": ("Days not met", "Days reviewed")},
                 rows_are_the_area=True)


def opportunity_by_kind(release: Release, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Bed days of patients not meeting the CUR criteria", CAPACITY_RELEASED, PROVIDER, release.value,
        period.label, implementation_cost=release.cost,
        note="The bed days are the provider's, valued at the cost of a bed day: they become cash only where beds or "
             "staffed wards close; otherwise the gain is shorter waits and fewer cancelled admissions. The provider "
             "buys and runs CUR (the Menu: software, training, programme management), netted here, as the Menu "
             "asks for a return on that investment.")])


# --- the area's part -----------------------------------------------------------------------------------------------
def analyse(tables: Tables, run: RunContext, national: National) -> SchemeResult:
    area, period, params = run.area, run.period, run.params
    a = params.assumptions
    local = area_rows(national.year, area, "patient-days reviewed")
    area_reviews = area_rows(national.reviews, area, "patient-days reviewed")  # all months
    benchmark = Range.of(lambda s: benchmark_share(national.england_share, a["not_met_reduction"].value(s)))
    measure = proportion_measure(
        national.reviews, flag="not_met", date="review_date", area=area, period=period,
        name="Share of patient-days not meeting CUR criteria",
        higher_is_better=False, target=benchmark.moderate, denominator_label="patient-days reviewed")
    by_scenario = {s: provider_release(local, benchmark.get(s), a["bed_day_value"].value(s),
                                       a["cur_cost_per_provider"].value(s)) for s in SCENARIOS}
    release = Release.of(by_scenario, period)
    spells = in_period(first_reviews(area_reviews), "review_date", period, "spells starting")
    n_long, long_days = long_stays(spells)
    to_prevent = Range.of(lambda s: a["long_stay_reduction"].value(s) * n_long)
    days_beyond = Range.of(lambda s: a["long_stay_reduction"].value(s) * long_days)
    reasons = reason_table(local)
    outputs = [("Benchmark share of patient-days not meeting the criteria", "share", benchmark),
               ("Bed days released", "days", release.bed_days),
               ("Value of the bed days released", "gbp", release.value),
               ("Cost of CUR at the providers counted", "gbp", release.cost),
               ("Value net of the cost of CUR", "gbp", release.saving),
               ("Stays of more than 21 days to prevent", "count", to_prevent)]
    return SchemeResult(
        context=run, kpis=headline_kpis(local, area_reviews, spells, benchmark.moderate),
        opportunity=opportunity_by_kind(release, period),
        quantities=[Quantity("Bed days released", "bed days", release.bed_days),
                    Quantity("Beds released (bed days over the year)", "beds", release.beds),
                    Quantity("Stays of more than 21 days to prevent (25% target)", "spells", to_prevent),
                    Quantity("Bed days beyond day 21 released by that", "bed days", days_beyond)],
        measure=measure,
        tables={"providers": providers_table(by_scenario["moderate"], spells, measure, run),
                "reasons": reasons_table(reasons, run), "stays": stays_table(stay_table(spells, local), run)},
        charts={"reasons": reasons_chart(reasons, local, run)},
        scenario_table=scenario_frame(params, outputs),
        caveats=list(CAVEATS),
        data_months=national.data_months,
        area_providers=area.providers,
    )
