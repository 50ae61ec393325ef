"""Scheme 18: radiotherapy prostate fractionation (Menu of Opportunities, chapter 18).

Following CHHiP, localised prostate cancer treated with radical external beam radiotherapy should receive 60 Gy
in 20 fractions rather than 74 Gy in 37; the policy's reporting benchmark is 70% of these patients. The saving is
the fractions no longer delivered (treatment slots released) where a provider is below the benchmark: the courses
it would move to 60 Gy/20#, times the fractions each of its other courses uses beyond 20, valued at the price of
a fraction. Nationally: 13,000 patients x 70% x (37 - 20) = 154,700 fractions if all were on 74 Gy/37#.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import SCENARIOS
from ..errors import DataError
from ..geography import Area, Geography
from ..results import (
    CAPACITY_RELEASED,
    KPI,
    PROVIDER,
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

TABLES = ("radiotherapy",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "radiotherapy": ("provider_code", "start_date", "diagnosis", "intent", "modality", "dose_gy", "fractions"),
}
ASSUMPTIONS = {"benchmark_share": "share", "price_per_fraction": "gbp_per_fraction", "fractions_per_linac_day": "count"}
HYPO_DOSE_GY, HYPO_FRACTIONS = 60.0, 20
CAVEATS = [
    "Not every patient is suitable for 60 Gy in 20 fractions; the 70% benchmark is the policy's estimate of "
    "those who are, and local case mix may differ.",
    "The value of a fraction is a tariff price: the gain is mostly capacity, which shortens waits for other "
    "patients rather than cutting cost.",
    "Only radical external beam courses for prostate cancer (ICD-10 C61) count; brachytherapy, adjuvant and "
    "palliative courses are excluded.",
]


# --- the arithmetic ------------------------------------------------------------------------------------------------
def radical_prostate(rt: pd.DataFrame) -> pd.DataFrame:
    """The cohort of the policy: prostate cancer (ICD-10 C61), radical intent, external beam."""
    c61 = rt["diagnosis"].str.replace(".", "", regex=False).str.startswith("C61")
    return rt[c61 & (rt["intent"] == "radical") & (rt["modality"] == "external_beam")]


def is_hypofractionated(dose_gy: pd.Series, fractions: pd.Series) -> pd.Series:
    return np.isclose(dose_gy, HYPO_DOSE_GY) & (fractions == HYPO_FRACTIONS)


def prostate_courses(rt: pd.DataFrame) -> pd.DataFrame:
    """The policy's cohort, each course with `hypo`: whether it is on 60 Gy/20#."""
    cohort = radical_prostate(rt).copy()
    if cohort.empty and not rt.empty:  # say which part of the definition no row meets
        c61 = rt["diagnosis"].str.replace(".", "", regex=False).str.startswith("C61")
        raise DataError(
            f"no radical prostate courses at all: none of the {len(rt):,} rows of the radiotherapy table is a course "
            f"for prostate cancer (diagnosis C61: {int(c61.sum()):,} rows) with intent 'radical' "
            f"({int((rt['intent'] == 'radical').sum()):,} rows) and modality 'external_beam' "
            f"({int((rt['modality'] == 'external_beam').sum()):,} rows) together")
    cohort["hypo"] = is_hypofractionated(cohort["dose_gy"], cohort["fractions"])
    return cohort


def fractions_released(courses: float, share_now: float, benchmark: float, fractions_now: float) -> float:
    """Fractions no longer delivered if the share on 60 Gy/20# rose to `benchmark` (nothing if already there).

    `fractions_now` is the mean number of fractions of the courses not yet on 60 Gy/20#.
    """
    moved = max(0.0, benchmark - share_now) * courses
    return moved * max(0.0, fractions_now - HYPO_FRACTIONS)


def provider_release(cohort: pd.DataFrame, benchmark: float) -> pd.DataFrame:
    g = cohort.groupby("provider_code", observed=True)
    out = pd.DataFrame({"courses": g.size(), "hypo": g["hypo"].sum().astype(int)})
    other = cohort[~cohort["hypo"]].groupby("provider_code", observed=True)["fractions"].mean()
    out["fractions_other"] = other.reindex(out.index).fillna(HYPO_FRACTIONS)
    out["released"] = [fractions_released(r.courses, r.hypo / r.courses, benchmark, r.fractions_other)
                       for r in out.itertuples()]
    return out


def opportunity(release: dict[str, pd.DataFrame], price_per_fraction: Range,
                fractions_per_linac_day: Range) -> tuple[Range, Range, Range]:
    """Fractions released, the linac days they fill and their value, under each scenario (`release`:
    provider_release() of the area's centres at each scenario's benchmark)."""
    fractions = Range.summed(release, "released")
    linac_days = Range.of(lambda s: fractions.get(s) / fractions_per_linac_day.get(s))
    gbp = Range.of(lambda s: fractions.get(s) * price_per_fraction.get(s))
    return fractions, linac_days, gbp


def regimen_mix(courses: pd.DataFrame) -> pd.DataFrame:
    """Courses by regimen ('60 Gy in 20 fractions'), most used first, with each one's share of `Total`."""
    regimen = courses["dose_gy"].map(lambda d: f"{d:g} Gy") + " in " + courses["fractions"].astype(str) + " fractions"
    mix = regimen.value_counts().rename_axis("Regimen").reset_index(name="Courses")
    mix["Share"] = mix["Courses"] / len(courses)
    mix["Total"] = len(courses)
    return mix


# --- the page's figures and tables ---------------------------------------------------------------------------------
def kpis(local: pd.DataFrame, benchmark: float) -> list[KPI]:
    n = len(local)
    return [
        KPI("Radical prostate courses at 60 Gy in 20 fractions", safe_share(local["hypo"].sum(), n), "share",
            benchmark, True, "policy reporting benchmark: 70%"),
        KPI("Radical prostate external beam courses", float(n), "count", note="Menu: about 13,000 a year in England"),
        KPI("Mean fractions per course", float(local["fractions"].mean()), "fractions", None, False),
        KPI("Fractions delivered", float(local["fractions"].sum()), "fractions"),
    ]


def providers_table(release: pd.DataFrame, price: float, area: Area, period: Period, measure: Measure,
                    geography: Geography) -> Table:
    """`release`: provider_release() at the moderate benchmark."""
    prov = release.rename(columns={
        "courses": "Courses", "hypo": "At 60 Gy/20#", "fractions_other": "Mean fractions, other courses",
        "released": "Fractions released (moderate)"})
    prov["Share at 60 Gy/20#"] = prov["At 60 Gy/20#"] / prov["Courses"]
    prov["Saving (moderate)"] = prov["Fractions released (moderate)"] * price
    return Table(f"Radiotherapy centres of {area.name}: radical prostate courses, {period.label}",
                 provider_table(prov, measure, geography), counts=("Courses", "At 60 Gy/20#"),
                 rates={"Share at 60 Gy/20#": ("At 60 Gy/20#", "Courses")}, money=("Saving (moderate)",),
                 numbers=("Mean fractions, other courses", "Fractions released (moderate)"),
                 opportunity=("Saving (moderate)", "Fractions released (moderate)"))


def regimens_table(local: pd.DataFrame, area: Area, period: Period) -> Table:
    return Table(f"{area.name}: radical prostate external beam courses by regimen, {period.label}",
                 regimen_mix(local), hidden=("Total",), counts=("Courses", "Total"),
                 rates={"Share": ("Courses", "Total")}, rows_are_the_area=True)


def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Radiotherapy fractions released by 60 Gy in 20 fractions", CAPACITY_RELEASED, PROVIDER, gbp, period.label,
        note="The Menu: the policy 'will release capacity for the provider to treat other patients' and the saving "
             "is 'calculated from the number of freed up slots'. The slots are the provider's linac time, valued "
             "at the price of a fraction; the commissioner's spend falls only if the slots are not used for other "
             "patients, which the Menu expects they are.")])


# --- the analysis --------------------------------------------------------------------------------------------------
def analyse(tables: dict[str, pd.DataFrame], run: RunContext) -> SchemeResult:
    area, params, period = run.area, run.params, run.period
    a = params.assumptions
    cohort = prostate_courses(tables["radiotherapy"])
    benchmark = a["benchmark_share"].moderate
    measure = proportion_measure(
        cohort, flag="hypo", date="start_date", area=area, period=period,
        name="Share of radical prostate courses at 60 Gy in 20 fractions", higher_is_better=True, target=benchmark,
        denominator_label="radical prostate external beam courses")
    local = area_rows(in_period(cohort, "start_date", period, "radical prostate courses"), area,
                      "radical prostate courses")

    release = {s: provider_release(local, a["benchmark_share"].value(s)) for s in SCENARIOS}
    fractions, linac_days, gbp = opportunity(release, Range.of(a["price_per_fraction"].value),
                                             Range.of(a["fractions_per_linac_day"].value))

    outputs = [("Fractions released", "count", fractions), ("Linac days released", "days", linac_days),
               ("Value of the capacity released", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=kpis(local, benchmark), opportunity=opportunity_by_kind(gbp, period),
        quantities=[Quantity("Fractions (treatment slots) released", "fractions", fractions),
                    Quantity("Linac days released", "linac days", linac_days)],
        measure=measure,
        tables={
            "providers": providers_table(release["moderate"], a["price_per_fraction"].moderate, area, period,
                                         measure, run.geography),
            "regimens": regimens_table(local, area, period),
        },
        scenario_table=scenario_frame(params, outputs),
        caveats=list(CAVEATS),
        data_months=(cohort["start_date"].min(), cohort["start_date"].max()),
        area_providers=area.providers,
    )
