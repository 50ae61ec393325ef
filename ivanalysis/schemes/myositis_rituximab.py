"""Scheme 5: switching maintenance immunoglobulin to rituximab for inflammatory myositis (Menu, chapter 5).

NHS England's policy 16036/P (July 2016) puts rituximab ahead of intravenous immunoglobulin (IVIg) for adults with
resistant dermatomyositis or polymyositis. The Menu's worked figures: an 80 kg patient on 2 g/kg every 4 weeks
(13 courses a year) at 680 pounds per 20 g costs about 70,720 pounds a year; 2 courses of biosimilar rituximab
cost about 3,780 pounds a year; the saving is about 66,940 pounds per patient switched, and day-case attendances
fall from 26 a year to 4.

How the saving is calculated here, from National-Immunoglobulin-Database-like episodes of the headline year (the
latest complete financial year in the data):
- each patient is counted once, wherever treated: their courses and grams that year are summed over providers, and
  they belong to the provider of their last course in the year (the one treating them now, which would switch
  them);
- the switchable patients are those on maintenance IVIg (MaintenanceRule, from the scheme's parameters): on IVIg
  for some months by the end of the year (past induction), regular courses in the year, and one near its end (still
  on IVIg, not stopped or already switched);
- each switchable patient's IVIg cost is their own grams that year at the price per gram; a patient switched saves
  that cost less the yearly cost of rituximab (never less than nothing). The saving is this, summed over a
  provider's switchable patients, times the share of them switched (the uptake scenario). Every patient belongs to
  one provider, so hubs add up to England.
The Menu checks the switch against 2016/17: the page gives the patients on maintenance IVIg then beside today's, and
the rituximab vials invoiced for myositis (high-cost drug invoices, DrPLCM-like) in the year against 2016/17.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SCENARIOS, Assumption
from ..geography import Area, Geography
from ..results import (
    CASH_RELEASING,
    KPI,
    NHSE_SPECIALISED,
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
from .base import area_rows, in_period, provider_table, rate_measure, safe_share, scenario_frame

TABLES = ("immunoglobulin", "hcd_invoices")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "immunoglobulin": ("provider_code", "patient_id", "treatment_date", "indication", "weight_kg", "dose_g"),
    "hcd_invoices": ("provider_code", "invoice_period", "indication", "drug", "quantity"),
}
ASSUMPTIONS = {
    "maintenance_min_months": "months",
    "maintenance_min_courses": "count",
    "maintenance_still_on_days": "days",
    "uptake_share": "share",
    "price_per_gram": "gbp_per_gram",
    "rituximab_cost_per_year": "gbp_per_patient_year",
    "ivig_days_per_course": "days_per_course",
    "rituximab_days_per_year": "days_per_patient_year",
}
INDICATION = "Myositis"
RITUXIMAB, RITUXIMAB_INDICATION = "rituximab", "Inflammatory myositis"  # as the invoices name them
BASELINE = "2016/17"  # the Menu: rituximab volumes 'against baseline from 2016/17'
MENU_WEIGHT_KG = 80.0  # the Menu's worked example patient
UPTAKE_STEPS = (0.25, 0.50, 0.75, 1.00)  # the uptake table: a quarter of switchable patients to all of them


@dataclass(frozen=True)
class MaintenanceRule:
    """Who is on maintenance IVIg, so switchable, in a year (the scheme's parameters, moderate values)."""

    min_months: float  # on IVIg this long by the end of the year: first course at least this many months before it
    min_courses: int  # courses in the year, wherever given
    still_on_days: int  # a course in the year's last this many days

    @classmethod
    def from_assumptions(cls, a: Mapping[str, Assumption]) -> MaintenanceRule:
        return cls(a["maintenance_min_months"].moderate, int(a["maintenance_min_courses"].moderate),
                   int(a["maintenance_still_on_days"].moderate))

    @property
    def text(self) -> str:
        return (f"on IVIg for {self.min_months:g} months or more by the end of the year (their first course in the "
                f"data at least that long before it), {self.min_courses} or more courses in the year wherever given, "
                f"and one in its last {self.still_on_days} days")


def caveats(rule: MaintenanceRule) -> list[str]:
    return [
        f"Switchable means on maintenance IVIg: {rule.text}. Induction courses, patients who stopped or switched "
        "during the year, and patients given IVIg less often are not switchable; a patient who started late in the "
        "year is counted for the courses given, so the saving is a floor. The thresholds are this book's (see the "
        "assumptions).",
        "Each patient is counted once: their courses in the year are summed over every provider that gave them, and "
        "they belong to the provider of their last course in the year, the one treating them now.",
        "Time on IVIg counts from the first course in the data: a patient on IVIg before the data start is counted "
        "from then, which makes no difference once the data are longer than the months required.",
        "The immunoglobulin database does not say who has had rituximab before; the uptake share stands for the "
        "switchable patients who are suitable, agree and stay off IVIg.",
        "The price per gram and the rituximab cost are the Menu's; contract prices differ by product and provider.",
        f"Rituximab volumes are the vials on high-cost drug invoices whose indication is {RITUXIMAB_INDICATION}; "
        "where a provider's invoices do not record the indication, its rituximab for myositis cannot be told from "
        "that for lymphoma, vasculitis or arthritis, and the count is a floor.",
        "The policy covers adults with dermatomyositis or polymyositis; children's courses in the data are "
        "included and should be checked locally.",
    ]


# --- the Menu's arithmetic -----------------------------------------------------------------------------------------
def ivig_cost_per_year(weight_kg: float, g_per_kg: float, courses: float, price_per_gram: float) -> float:
    """Yearly IVIg cost: weight x dose per kg x courses a year x price per gram."""
    return weight_kg * g_per_kg * courses * price_per_gram


def saving_per_patient(ivig_cost: float | np.ndarray, rituximab_cost: float) -> float | np.ndarray:
    """IVIg cost no longer incurred less the rituximab given instead; never below nothing."""
    return np.maximum(0.0, np.asarray(ivig_cost, dtype=float) - rituximab_cost)


def attendances_released(courses: float | np.ndarray, days_per_course: float, rituximab_days: float) -> float:
    """Day-case days no longer needed: IVIg courses x days each, less rituximab's days a year; never negative."""
    return float(np.maximum(0.0, np.asarray(courses, dtype=float) * days_per_course - rituximab_days).sum())


# --- the cohort ---------------------------------------------------------------------------------------------------
def myositis_courses(ig: pd.DataFrame) -> pd.DataFrame:
    """Myositis IVIg episodes, each with the patient's recorded weight (their median, as weight is not always
    recorded at every episode) and its dose in g/kg."""
    myo = ig[ig["indication"] == INDICATION].copy()
    weight = myo.groupby("patient_id")["weight_kg"].median()
    myo["patient_weight_kg"] = myo["patient_id"].map(weight)
    myo["g_per_kg"] = myo["dose_g"] / myo["patient_weight_kg"]
    return myo


def patients_in_year(courses: pd.DataFrame, period: Period, rule: MaintenanceRule) -> pd.DataFrame:
    """One row per patient treated in the period, wherever treated: the provider they belong to (that of their last
    course in the period; on a tie of dates, the provider code last in order), how many providers treated them,
    courses and grams in the period, weight, first course in all of `courses`, whether on maintenance (`rule`).

    `courses` are myositis_courses() of every year and provider (England's): time on IVIg needs the years before.
    """
    first = courses.groupby("patient_id", observed=True)["treatment_date"].min()
    year = courses[period.mask(courses["treatment_date"])].sort_values(["treatment_date", "provider_code"])
    g = year.groupby("patient_id", observed=True)
    out = pd.DataFrame({"provider_code": g["provider_code"].last(), "providers": g["provider_code"].nunique(),
                        "courses": g.size(), "grams": g["dose_g"].sum(), "weight_kg": g["patient_weight_kg"].first(),
                        "first": first, "last": g["treatment_date"].max()}).dropna(subset=["courses"])
    out["courses"] = out["courses"].astype(int)
    settled = out["first"] <= period.end - pd.DateOffset(months=int(rule.min_months))
    still_on = out["last"] > period.end - pd.Timedelta(days=rule.still_on_days)
    out["maintenance"] = settled & (out["courses"] >= rule.min_courses) & still_on
    return out.rename_axis("patient_id").reset_index()


def on_treatment_months(courses: pd.DataFrame) -> pd.DataFrame:
    """Provider-months: IVIg courses given, and patients on IVIg (their first to last month of treatment).

    A patient counts in every month from their first course to their last, so a month between 4-weekly courses
    is still a month on treatment: courses / patient-months x 12 is courses per patient-year.
    """
    month = courses["treatment_date"].dt.to_period("M")
    span = courses.assign(month=month).groupby(["provider_code", "patient_id"], observed=True)["month"].agg(
        ["min", "max"])
    n_months = np.array([(b - a).n + 1 for a, b in zip(span["min"], span["max"])])
    spans = pd.DataFrame({
        "provider_code": np.repeat(span.index.get_level_values(0).to_numpy(), n_months),
        "month": np.concatenate([pd.period_range(a, b, freq="M").to_numpy() for a, b in zip(span["min"], span["max"])]),
    })
    exposure = spans.groupby(["provider_code", "month"], observed=True).size().rename("patients_on_ivig")
    given = courses.assign(month=month).groupby(["provider_code", "month"], observed=True).size().rename("courses")
    out = pd.concat([given, exposure], axis=1).fillna(0.0).sort_index().reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out


def provider_savings(patients: pd.DataFrame, uptake: float, price_per_gram: float, rituximab_cost: float,
                     days_per_course: float, rituximab_days: float) -> pd.DataFrame:
    """Per provider: switchable patients, the patients switched at `uptake`, grams, attendances and pounds saved.

    `patients` is patients_in_year() (one row a patient, at the provider they belong to); only those on maintenance
    are switchable.
    """
    m = patients[patients["maintenance"]].copy()
    m["cost"] = m["grams"] * price_per_gram
    m["saving"] = saving_per_patient(m["cost"], rituximab_cost)
    m["days"] = np.maximum(0.0, m["courses"] * days_per_course - rituximab_days)
    g = m.groupby("provider_code", observed=True)
    out = pd.DataFrame({"switchable": g.size(), "ivig_cost": g["cost"].sum()})
    out["switched"] = uptake * out["switchable"]
    out["grams_avoided"] = uptake * g["grams"].sum()
    out["attendances_released"] = uptake * g["days"].sum()
    out["saving"] = uptake * g["saving"].sum()
    return out.reindex(patients["provider_code"].unique(), fill_value=0.0).sort_index()


def scenario_savings(patients: pd.DataFrame, assumptions: Mapping[str, Assumption], scenario: str,
                     uptake: float | None = None) -> pd.DataFrame:
    """provider_savings() at the scenario's prices and uptake (or at `uptake`, for the uptake table)."""
    a = assumptions
    return provider_savings(patients, a["uptake_share"].value(scenario) if uptake is None else uptake,
                            a["price_per_gram"].value(scenario), a["rituximab_cost_per_year"].value(scenario),
                            a["ivig_days_per_course"].value(scenario), a["rituximab_days_per_year"].value(scenario))




def courses_per_patient_year(months: pd.DataFrame) -> float | None:
    """IVIg courses per patient-year on treatment, from on_treatment_months() rows."""
    return safe_share(months["courses"].sum() * 12, months["patients_on_ivig"].sum())


# one name for each output, in the quantities, the scenario table and the uptake table
SWITCHED, IG_NOT_USED, DAYS_RELEASED, SAVING = ("Patients switched from IVIg to rituximab",
                                                "Immunoglobulin no longer used", "Day-case days released", "Saving")


def uptake_steps(patients: pd.DataFrame, assumptions: Mapping[str, Assumption]) -> pd.DataFrame:
    """Patients switched, immunoglobulin no longer used (kg), day-case days released and the saving at each of
    UPTAKE_STEPS, at the moderate prices."""
    rows = []
    for u in UPTAKE_STEPS:
        t = scenario_savings(patients, assumptions, "moderate", u)
        rows.append({"Uptake": f"{u:.0%} of switchable patients", SWITCHED: t["switched"].sum(),
                     f"{IG_NOT_USED} (kg)": t["grams_avoided"].sum() / 1000,
                     DAYS_RELEASED: t["attendances_released"].sum(), SAVING: t["saving"].sum()})
    return pd.DataFrame(rows)


# --- the page's figures and tables ---------------------------------------------------------------------------------
MAINTENANCE_KPI = "Myositis patients on maintenance IVIg (switchable)"
BASELINE_KPI = f"Myositis patients on maintenance IVIg in {BASELINE}, the Menu's baseline"
AGAINST_BASELINE_KPI = f"Myositis patients on maintenance IVIg against {BASELINE}"


def kpis(local: pd.DataFrame, patients: pd.DataFrame, baseline: pd.DataFrame | None, months: pd.DataFrame,
         price: float, rule: MaintenanceRule) -> list[KPI]:
    """`local`: the myositis courses the area's providers gave in the year; `patients`: patients_in_year() of the
    area's patients (those who belong to its providers); `baseline`: the same for BASELINE (None when the data do
    not cover it); `months`: the area's on_treatment_months() in the year."""
    maintenance = patients[patients["maintenance"]]
    n_maint = len(maintenance)
    n_base = None if baseline is None else int(baseline["maintenance"].sum())
    per_year = courses_per_patient_year(months)
    g_per_kg = float(local["g_per_kg"].mean())
    return [
        KPI(MAINTENANCE_KPI, float(n_maint), "count", note=f"switchable: {rule.text}"),
        KPI(BASELINE_KPI, None if n_base is None else float(n_base), "count",
            note="the same rule, applied to that year"),
        KPI(AGAINST_BASELINE_KPI, None if n_base is None else safe_share(n_maint, n_base), "ratio", None, False,
            note=f"Menu: fewer patients on maintenance IVIg than in {BASELINE} (below 1: fewer)"),
        KPI("Myositis patients given IVIg", float(len(patients)), "count",
            note="each patient once, at the provider of their last course in the year"),
        KPI("IVIg courses for myositis", float(len(local)), "count", None, False,
            "Menu KPI: number of IVIg infusions for myositis"),
        KPI("IVIg courses per patient-year on treatment", per_year, "courses_per_patient_year", None, False,
            "Menu: 4-weekly, 13 courses a year (26 day-case days)"),
        KPI("Mean dose per course", g_per_kg, "g_per_kg", note="Menu: 2 g/kg"),
        KPI("Immunoglobulin used for myositis", float(local["dose_g"].sum()), "grams"),
        KPI("Spend on IVIg for myositis", float(local["dose_g"].sum()) * price, "gbp",
            note="at the moderate price per gram"),
        KPI(f"Yearly IVIg cost of an {MENU_WEIGHT_KG:g} kg patient at this dose and frequency",
            None if per_year is None else ivig_cost_per_year(MENU_WEIGHT_KG, g_per_kg, per_year, price), "gbp",
            note="Menu: £70,720 (2 g/kg, 13 courses, £680 per 20 g)"),
        KPI("Mean yearly IVIg cost per switchable patient",
            safe_share(maintenance["grams"].sum() * price, n_maint), "gbp", note="against £3,780 for rituximab"),
    ]


RITUXIMAB_KPI = "Rituximab vials invoiced for myositis"
RITUXIMAB_BASELINE_KPI = f"Rituximab vials invoiced for myositis in {BASELINE}, the Menu's baseline"
RITUXIMAB_AGAINST_KPI = f"Rituximab vials invoiced for myositis against {BASELINE}"


def rituximab_kpis(vials: float, baseline: float | None) -> list[KPI]:
    """The Menu's check of the switch: rituximab bought for myositis in the year against 2016/17 (`baseline`: None
    when the invoices do not cover that year)."""
    return [
        KPI(RITUXIMAB_KPI, vials, "count", note=f"500 mg vials on invoices whose indication is {RITUXIMAB_INDICATION}"),
        KPI(RITUXIMAB_BASELINE_KPI, baseline, "count", note="the same invoices, that year"),
        KPI(RITUXIMAB_AGAINST_KPI, None if baseline is None else safe_share(vials, baseline), "ratio", None, True,
            f"Menu KPI: volumes of rituximab purchased against the {BASELINE} baseline (above 1: more)"),
    ]


def providers_table(savings: pd.DataFrame, patients: pd.DataFrame, local: pd.DataFrame, months: pd.DataFrame,
                    price: float, area: Area, period: Period, measure: Measure, geography: Geography) -> Table:
    """`savings`: provider_savings() at the moderate scenario; `patients`: the area's patients_in_year(); `local`:
    the courses the area's providers gave in the year."""
    prov = savings.loc[lambda d: d.index.isin(area.providers)]
    given = local.groupby("provider_code", observed=True)["dose_g"].agg(["size", "sum"])
    pm = months.groupby("provider_code", observed=True)[["courses", "patients_on_ivig"]].sum()
    frame = provider_table(pd.DataFrame({
        "Patients given IVIg": patients.groupby("provider_code", observed=True).size(),
        "Switchable": prov["switchable"],
        "IVIg courses given": given["size"],
        "Courses per patient-year": pm["courses"] * 12 / pm["patients_on_ivig"],
        "IVIg spend": given["sum"] * price,
        "Saving (moderate)": prov["saving"],
    }).fillna({"Patients given IVIg": 0, "Switchable": 0, "Saving (moderate)": 0.0}), measure, geography)
    return Table(f"Providers of {area.name}: myositis patients on IVIg, {period.label}. Each patient is counted once, "
                 "at the provider of their last course in the year; courses and spend are those each provider gave.",
                 frame, counts=("Patients given IVIg", "Switchable", "IVIg courses given"),
                 money=("IVIg spend", "Saving (moderate)"), numbers=("Courses per patient-year",),
                 opportunity=("Saving (moderate)",))


def uptake_table(patients: pd.DataFrame, assumptions: Mapping[str, Assumption], area: Area, period: Period) -> Table:
    return Table(f"{area.name}: saving by uptake of rituximab among switchable patients, {period.label} "
                 "(moderate prices)", uptake_steps(patients, assumptions), counts=(SWITCHED,),
                 money=(SAVING,), numbers=(f"{IG_NOT_USED} (kg)", DAYS_RELEASED),
                 opportunity=(SWITCHED, SAVING, f"{IG_NOT_USED} (kg)", DAYS_RELEASED), rows_are_the_area=True)


def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Maintenance immunoglobulin replaced by rituximab", CASH_RELEASING, NHSE_SPECIALISED, gbp, period.label,
        note="NHS England commissions immunoglobulin and, under policy 16036/P, rituximab for myositis: the saving is "
             "the immunoglobulin no longer bought less the rituximab bought instead. The day-case attendances "
             "released are capacity, shown in days, not valued.")])


# --- the analysis --------------------------------------------------------------------------------------------------
def area_patients(myo: pd.DataFrame, period: Period, rule: MaintenanceRule, area: Area) -> pd.DataFrame:
    """patients_in_year() of England's courses (a patient treated in two areas belongs to one), then those who belong
    to the area's providers (a DataError when the area has none)."""
    return area_rows(patients_in_year(myo, period, rule), area, f"myositis patients in {period.label}")


def covers(dates: pd.Series, period: Period, last_days: int = 30) -> bool:
    """Do the dates span the whole period: from its first day, and into its last `last_days` (a month for daily
    dates; 90 for quarterly ones, dated by the quarter's first day)?"""
    return bool(dates.min() <= period.start and dates.max() >= period.end - pd.Timedelta(days=last_days))


def rituximab_vials(invoices: pd.DataFrame, period: Period, providers: tuple[str, ...]) -> float:
    """Rituximab units (500 mg vials) invoiced for myositis by `providers` in the period."""
    rows = invoices[(invoices["drug"] == RITUXIMAB) & (invoices["indication"] == RITUXIMAB_INDICATION)
                    & invoices["provider_code"].isin(providers) & period.mask(invoices["invoice_period"])]
    return float(rows["quantity"].sum())


def analyse(tables: dict[str, pd.DataFrame], run: RunContext) -> SchemeResult:
    area, params, period = run.area, run.params, run.period
    a = params.assumptions
    rule = MaintenanceRule.from_assumptions(a)
    myo = myositis_courses(tables["immunoglobulin"])
    local = area_rows(in_period(myo, "treatment_date", period, "myositis immunoglobulin episodes"), area,
                      "myositis immunoglobulin episodes")
    all_months = on_treatment_months(myo)
    measure = rate_measure(
        all_months, events="courses", exposure="patients_on_ivig", date="month", area=area,
        period=period, per=12, name="IVIg courses per myositis patient-year on treatment", higher_is_better=False,
        target=None, denominator_label="patient-months on IVIg", value_label="Courses per patient-year")
    patients = area_patients(myo, period, rule, area)
    base = Period.financial_year(BASELINE)
    baseline = patients_in_year(myo, base, rule).loc[lambda d: d["provider_code"].isin(area.providers)] \
        if covers(myo["treatment_date"], base) else None
    invoices = tables["hcd_invoices"]
    vials = (rituximab_vials(invoices, period, area.providers),
             rituximab_vials(invoices, base, area.providers) if covers(invoices["invoice_period"], base, 90) else None)
    months = area_rows(all_months[period.mask(all_months["month"])], area, "months on IVIg")

    by_scenario = {s: scenario_savings(patients, a, s) for s in SCENARIOS}
    gbp, switched = Range.summed(by_scenario, "saving"), Range.summed(by_scenario, "switched")
    grams, days = Range.summed(by_scenario, "grams_avoided"), Range.summed(by_scenario, "attendances_released")
    price = a["price_per_gram"].moderate

    outputs = [(SWITCHED, "count", switched), (IG_NOT_USED, "grams", grams), (DAYS_RELEASED, "days", days),
               (SAVING, "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=kpis(local, patients, baseline, months, price, rule) + rituximab_kpis(*vials),
        opportunity=opportunity_by_kind(gbp, period),
        quantities=[Quantity(SWITCHED, "patients", switched), Quantity(IG_NOT_USED, "grams", grams),
                    Quantity(DAYS_RELEASED, "days", days)],
        measure=measure,
        tables={
            "providers": providers_table(by_scenario["moderate"], patients, local, months, price, area, period,
                                         measure, run.geography),
            "uptake": uptake_table(patients, a, area, period),
        },
        scenario_table=scenario_frame(params, outputs),
        caveats=caveats(rule),
        data_months=(myo["treatment_date"].min(), myo["treatment_date"].max()),
        area_providers=area.providers,
        opportunity_note=(
            "Opportunity is counted for the patients on maintenance immunoglobulin who could switch, each patient "
            "once at the provider they belong to; nothing is netted off."),
    )
