"""Scheme 9: reducing wastage in oral chemotherapy (Menu of Opportunities, chapter 9).

Oral chemotherapy is often dispensed for two or three months at a time; when a patient stops (the disease
progresses, the side effects are too much), what is left of the supply is wasted. In the Christie model a
prescription may cover three months, but the drug is dispensed a month at a time after a nurse or pharmacist phones
the patient, so a patient never holds more than a month's supply.

The saving follows the Menu's recipe, drug by drug at each provider: current expenditure is current volumes (packs)
times unit prices; the wastage that monthly instalments would avoid comes from SACT (each supply of more than a month
that the patient stopped part-way through: the supply left, less what would have been left of that month's
instalment); future volumes are current volumes less that wastage, for the share of supplies moved to instalments;
the saving is current less future expenditure at the same unit prices. Providers that already dispense monthly
save nothing, so nothing is netted off. Only high-cost drugs count (median cost per 28 days from a threshold).
Each extra instalment needs a telephone review by a nurse or pharmacist and a dispensing: their cost is the
scheme's implementation cost, netted off the saving.

national() does England's part (every oral supply's wastage, the high-cost drugs), the same for every area;
analyse() the area's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..errors import DataError
from ..geography import Area, Geography
from ..results import (
    CASH_RELEASING,
    KPI,
    NHSE_SPECIALISED,
    Chart,
    Opportunity,
    OpportunityComponent,
    Period,
    Quantity,
    Range,
    RunContext,
    SchemeResult,
    Table,
    financial_years,
)
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame

TABLES = ("sact",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "sact": ("provider_code", "patient_id", "administration_date", "route", "drug", "days_supplied",
             "packs_supplied", "drug_cost_gbp", "regimen_end_date"),
}
ASSUMPTIONS = {"uptake_share": "share", "high_cost_threshold": "gbp_per_month", "review_minutes": "minutes_per_review",
               "reviewer_cost_per_hour": "gbp_per_hour", "dispensing_cost": "gbp_per_dispensing"}
MONTH_DAYS = 31  # an instalment is a month's supply: as many whole packs as fit in 31 days (at least one)
VALUABLE_SUPPLY = 6_000.0  # the Menu: a supply 'the total value of which is often in excess of 6,000 pounds'
SUPPLY_BANDS = ("Up to a month", "Two months", "Three months or more")
GROSS, COST = "Gross saving (moderate)", "Reviews and dispensings (moderate)"
SAVINGS = (GROSS, COST, "Saving (moderate)")  # the last net of the reviews and dispensings
WHAT = "high-cost oral chemotherapy dispensings"
COLUMNS = ["provider_code", "patient_id", "drug", "administration_date", "days_supplied", "packs_supplied",
           "drug_cost_gbp", "regimen_end_date"]  # of an oral supply, all the analysis needs


def instalment_days(days_supplied: np.ndarray, packs_supplied: np.ndarray) -> np.ndarray:
    """A month's instalment in days: whole packs, as many as fit in 31 days, at least one."""
    pack_days = days_supplied / packs_supplied
    return pack_days * np.maximum(1, np.floor(MONTH_DAYS / pack_days))


def unused_days(days_supplied: np.ndarray, days_taken: np.ndarray) -> np.ndarray:
    """Days of the supply left when the patient stopped; `days_taken` is NaN while treatment goes on."""
    left = days_supplied - days_taken
    return np.where(np.isnan(days_taken), 0.0, np.clip(left, 0.0, days_supplied))


def instalments(days_supplied: np.ndarray, days_taken: np.ndarray, instalment: np.ndarray) -> tuple:
    """The same supply given as monthly instalments, each sent only while the patient is still on treatment.

    Returns (instalments dispensed, days left at home when the patient stopped). A patient who stops on day t
    has had ceil(t / instalment) instalments (at least one), so at most the rest of one instalment is left.
    """
    whole = np.ceil(days_supplied / instalment - 1e-9)
    stopped = ~np.isnan(days_taken) & (days_taken < days_supplied)
    taken = np.where(stopped, days_taken, 0.0)
    sent = np.where(stopped, np.maximum(1, np.ceil(taken / instalment - 1e-9)), whole)
    left = np.where(stopped, np.minimum(sent * instalment - taken, days_supplied - taken), 0.0)
    return sent, left


def supplies(sact: pd.DataFrame) -> pd.DataFrame:
    """Oral dispensings with, for each, what was left at home and what monthly instalments would have left."""
    oral = sact.loc[sact["route"] == "oral", COLUMNS].copy()
    days = oral["days_supplied"].to_numpy(dtype=float)
    packs = oral["packs_supplied"].to_numpy(dtype=float)
    taken = (oral["regimen_end_date"] - oral["administration_date"]).dt.days.to_numpy(dtype=float)
    month = instalment_days(days, packs)
    sent, left_instalments = instalments(days, taken, month)
    oral["cost_per_day"] = oral["drug_cost_gbp"].to_numpy() / days
    oral["multi_month"] = days > month + 1e-9
    oral["months"] = pd.Categorical.from_codes(np.clip(np.ceil(days / month - 1e-9), 1, 3).astype(int) - 1,
                                               SUPPLY_BANDS)
    oral["unused_days"] = unused_days(days, taken)
    oral["wastage"] = oral["unused_days"] * oral["cost_per_day"]
    oral["days_taken"] = days - oral["unused_days"]
    # what instalments change, for supplies of more than a month only (a month's supply is already one)
    avoided_days = np.where(oral["multi_month"], oral["unused_days"] - left_instalments, 0.0)
    oral["avoided_packs"] = avoided_days * packs / days
    oral["extra_instalments"] = np.where(oral["multi_month"], sent - 1, 0.0)
    return oral


def high_cost_drugs(oral: pd.DataFrame, threshold: float) -> list[str]:
    """Drugs whose median cost per 28 days of supply reaches `threshold` (GBP)."""
    per_28 = (oral["cost_per_day"] * 28).groupby(oral["drug"], observed=True).median()
    return sorted(per_28.index[per_28 >= threshold])


def christie_recipe(volume, spend, avoided_packs):
    """The Menu's recipe: current expenditure = volume x unit price; future volume = volume - packs no longer
    wasted; future expenditure = future volume x unit price. Returns (future volume, future expenditure, saving);
    works on numbers or on arrays (one element per drug)."""
    volume, spend = np.asarray(volume, dtype=float), np.asarray(spend, dtype=float)
    price = np.divide(spend, volume, out=np.zeros_like(spend), where=volume > 0)
    future_volume = volume - np.asarray(avoided_packs, dtype=float)
    future_spend = future_volume * price
    return future_volume, future_spend, spend - future_spend


def instalment_cost(review_minutes: float, cost_per_hour: float, dispensing_cost: float) -> float:
    """The cost of one extra instalment: a telephone review (minutes of a nurse's or pharmacist's time at
    `cost_per_hour`) and a dispensing."""
    return review_minutes / 60 * cost_per_hour + dispensing_cost


def provider_savings(oral: pd.DataFrame, uptake: float, cost_each: float) -> pd.DataFrame:
    """Per provider: the recipe applied drug by drug (unit prices differ by drug), then added up; `cost` is that of
    the extra instalments at `cost_each` (instalment_cost), `net` the saving less it."""
    g = oral.groupby(["provider_code", "drug"], observed=True)
    by_drug = pd.DataFrame({"volume": g["packs_supplied"].sum().astype(float), "spend": g["drug_cost_gbp"].sum(),
                            "avoided": g["avoided_packs"].sum() * uptake,
                            "extra_instalments": g["extra_instalments"].sum() * uptake})
    by_drug["future_volume"], by_drug["future_spend"], by_drug["saving"] = christie_recipe(
        by_drug["volume"], by_drug["spend"], by_drug["avoided"])
    out = by_drug.groupby(level="provider_code", observed=True).sum()
    out["cost"] = out["extra_instalments"] * cost_each
    out["net"] = out["saving"] - out["cost"]
    return out


def _summary(frame: pd.DataFrame, by, label: str) -> pd.DataFrame:
    g = frame.groupby(by, observed=True)
    out = pd.DataFrame({"Dispensings": g.size(), "More than a month": g["multi_month"].sum(),
                        "Spend": g["drug_cost_gbp"].sum(), "Wastage": g["wastage"].sum()})
    out["Share more than a month"] = out["More than a month"] / out["Dispensings"]
    return out.rename_axis(label).reset_index()




@dataclass(frozen=True)
class National:
    """England's part of the analysis, the same for every area (read-only: a warm kernel keeps it for every hub)."""

    in_year: pd.DataFrame  # oral dispensings (supplies) in the period
    drugs_of: dict[str, list[str]]  # scenario -> its high-cost drugs
    cohort: pd.DataFrame  # dispensings of the high-cost drugs (moderate), all months
    year: pd.DataFrame  # those in the period


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    a = params.assumptions
    oral = supplies(tables["sact"])
    if oral.empty:
        raise DataError("the SACT table holds no oral dispensings (route 'oral')")
    in_year = in_period(oral, "administration_date", period, "oral chemotherapy dispensings")
    drugs_of = {s: high_cost_drugs(in_year, a["high_cost_threshold"].value(s)) for s in SCENARIOS}
    cohort = oral[oral["drug"].isin(drugs_of["moderate"])]
    if cohort.empty:
        raise DataError(f"no oral drug in the SACT table costs {a['high_cost_threshold'].moderate:,.0f} pounds or "
                        "more per 28 days (the moderate high_cost_threshold)")
    return National(in_year, drugs_of, cohort, in_period(cohort, "administration_date", period, WHAT))


# --- the area's part (arithmetic only) --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipe:
    """The Menu's recipe for an area in each scenario (that scenario's high-cost drugs and uptake of instalments)."""

    by_provider: dict[str, pd.DataFrame]  # scenario -> provider_savings
    spend: Range  # current expenditure
    volume: Range  # current volume (packs)
    wastage: Range  # the supply left unused now
    avoided: Range  # packs no longer wasted
    future_volume: Range
    future_spend: Range
    extra_instalments: Range
    saving: Range  # gross: current less future expenditure
    reduction: Range  # the saving as a share of the wastage now
    cost: Range  # the extra instalments' telephone reviews and dispensings
    net: Range  # saving less cost


def area_opportunity(supplied: pd.DataFrame, drugs_of: dict[str, list[str]], uptake: dict[str, float],
                     cost_each: dict[str, float]) -> Recipe:
    """`supplied`: the area's oral dispensings (supplies) in the period, every drug; `cost_each`: the cost of an
    extra instalment in each scenario (instalment_cost)."""
    scoped = {s: supplied[supplied["drug"].isin(drugs_of[s])] for s in SCENARIOS}
    by_provider = {s: provider_savings(scoped[s], uptake[s], cost_each[s]) for s in SCENARIOS}
    total = {s: df.sum() for s, df in by_provider.items()}
    saving = Range.of(lambda s: total[s]["saving"])
    wastage = Range.summed(scoped, "wastage")
    return Recipe(
        by_provider, spend=Range.summed(scoped, "drug_cost_gbp"),
        volume=Range.summed(scoped, "packs_supplied"), wastage=wastage,
        avoided=Range.of(lambda s: total[s]["avoided"]), future_volume=Range.of(lambda s: total[s]["future_volume"]),
        future_spend=Range.of(lambda s: total[s]["future_spend"]),
        extra_instalments=Range.of(lambda s: total[s]["extra_instalments"]), saving=saving,
        reduction=Range.of(lambda s: safe_share(saving.get(s), wastage.get(s)) or 0.0),
        cost=Range.of(lambda s: total[s]["cost"]), net=Range.of(lambda s: total[s]["net"]))


def drug_savings(rows: pd.DataFrame, uptake: float) -> pd.Series:
    """By drug: the packs no longer wasted (at `uptake`) at the drug's unit price in `rows`."""
    g = rows.groupby("drug", observed=True)
    return g["avoided_packs"].sum() * uptake * (g["drug_cost_gbp"].sum() / g["packs_supplied"].sum())


def drug_costs(rows: pd.DataFrame, uptake: float, cost_each: float) -> pd.Series:
    """By drug: the extra instalments (at `uptake`) at `cost_each` (instalment_cost)."""
    return rows.groupby("drug", observed=True)["extra_instalments"].sum() * uptake * cost_each


# --- the page: KPIs, tables, chart ------------------------------------------------------------------------------------
def _kpis(local: pd.DataFrame) -> list[KPI]:
    n = len(local)
    multi = local[local["multi_month"]]
    stops = local[local["regimen_end_date"].notna() & (local["days_taken"] < local["days_supplied"])]
    spend, waste = float(local["drug_cost_gbp"].sum()), float(local["wastage"].sum())
    return [
        KPI("High-cost oral supplies of more than a month", safe_share(len(multi), n), "share", None, False,
            "Christie model: a month at a time"),
        KPI("High-cost oral dispensings", float(n), "count"),
        KPI("Patients on high-cost oral chemotherapy", float(local["patient_id"].nunique()), "count"),
        KPI("Spend on high-cost oral chemotherapy", spend, "gbp"),
        KPI("Supply left unused when patients stopped (wastage)", waste, "gbp", None, False,
            "Menu KPI: reduce wastage of oral chemotherapy"),
        KPI("Wastage as a share of spend", safe_share(waste, spend), "share", None, False),
        KPI("Spend per 28 days of treatment taken", safe_share(spend * 28, local["days_taken"].sum()), "gbp", None,
            False, "Menu KPI: reduced cost per cycle of chemotherapy"),
        KPI("Patients stopping with supply left at home", float(stops["patient_id"].nunique()), "count", None,
            False),
        KPI(f"Supplies of more than a month worth more than £{VALUABLE_SUPPLY:,.0f}",
            safe_share((multi["drug_cost_gbp"] > VALUABLE_SUPPLY).sum(), len(multi)), "share",
            note="Menu: such a supply is 'often in excess of £6000'"),
    ]


def _provider_columns(local: pd.DataFrame, savings: pd.DataFrame) -> pd.DataFrame:
    summary = _summary(local, "provider_code", "Provider").set_index("Provider")
    return pd.DataFrame({
        "Dispensings": summary["Dispensings"], "More than a month": summary["More than a month"],
        "Share more than a month": summary["Share more than a month"], "Spend": summary["Spend"],
        "Wastage": summary["Wastage"], **_net_columns(savings["saving"], savings["cost"], summary.index),
    })


def _net_columns(gross: pd.Series, cost: pd.Series, index: pd.Index) -> dict[str, pd.Series]:
    """The gross saving, the reviews and dispensings, and the net saving (moderate) of each row of `index`."""
    gross, cost = gross.reindex(index).fillna(0.0).astype(float), cost.reindex(index).fillna(0.0).astype(float)
    return {GROSS: gross, COST: cost, "Saving (moderate)": gross - cost}


def _drug_frame(local: pd.DataFrame, uptake: float, cost_each: float) -> pd.DataFrame:
    drugs = _summary(local, "drug", "Drug").set_index("Drug")
    drugs = drugs.assign(**_net_columns(drug_savings(local, uptake), drug_costs(local, uptake, cost_each),
                                        drugs.index)).reset_index()
    return drugs.sort_values(["Saving (moderate)", "Drug"], ascending=[False, True])


def _supply_frame(local: pd.DataFrame) -> pd.DataFrame:
    lengths = _summary(local, "months", "Supply")
    lengths["Wastage per £1,000 spent"] = lengths["Wastage"] / lengths["Spend"] * 1_000
    return lengths


def _years_frame(rows: pd.DataFrame) -> pd.DataFrame:
    years = _summary(rows, financial_years(rows["administration_date"]), "Financial year")
    years["Wastage share of spend"] = years["Wastage"] / years["Spend"]
    return years


def _tables(providers: pd.DataFrame, drugs: pd.DataFrame, lengths: pd.DataFrame, years: pd.DataFrame, area: Area,
            period: Period) -> dict[str, Table]:
    counts = ("Dispensings", "More than a month")
    share = {"Share more than a month": ("More than a month", "Dispensings")}
    return {
        "providers": Table(f"Providers of {area.name}: high-cost oral chemotherapy dispensings, {period.label}",
                           providers, counts=counts, rates=share, money=("Spend", "Wastage", *SAVINGS),
                           opportunity=SAVINGS),
        "drugs": Table(f"{area.name}: high-cost oral chemotherapy by drug, {period.label}", drugs, counts=counts,
                       rates=share, money=("Spend", "Wastage", *SAVINGS), opportunity=SAVINGS,
                       rows_are_the_area=True),
        "supply": Table(f"{area.name}: high-cost oral chemotherapy by length of supply, {period.label}", lengths,
                        counts=counts, rates=share, money=("Spend", "Wastage"), numbers=("Wastage per £1,000 spent",),
                        hidden=("More than a month", "Share more than a month"), rows_are_the_area=True),
        "years": Table(f"{area.name}: high-cost oral chemotherapy dispensings by financial year", years,
                       counts=counts, rates={**share, "Wastage share of spend": ("Wastage", "Spend")},
                       money=("Spend", "Wastage"), rows_are_the_area=True),
    }


def _wastage_chart(lengths: pd.DataFrame, area: Area, period: Period) -> Chart:
    longest = lengths.sort_values("Wastage per £1,000 spent", ascending=False).iloc[0]
    return Chart(
        kind="bar", frame=lengths, x="Supply", y="Wastage per £1,000 spent", value_format="gbp",
        value_label="Wastage per £1,000 spent", title=f"Wastage by length of supply, {area.name}, {period.label}",
        finding=(f"In {area.name} in {period.label}, supplies of '{str(longest['Supply']).lower()}' waste the most "
                 "for every £1,000 spent: the longer the supply, the more is left at home when a patient stops."))


def _outputs(o: Recipe) -> list[tuple[str, str, Range]]:
    return [("Current expenditure on high-cost oral chemotherapy", "gbp", o.spend),
            ("Current volume (packs)", "count", o.volume),
            ("Wastage now", "gbp", o.wastage),
            ("Reduction in wastage", "share", o.reduction),
            ("Future volume (packs)", "count", o.future_volume),
            ("Future expenditure", "gbp", o.future_spend),
            ("Extra instalments (telephone reviews)", "count", o.extra_instalments),
            ("Gross saving", "gbp", o.saving),
            ("Cost of the telephone reviews and dispensings", "gbp", o.cost),
            ("Net saving", "gbp", o.net)]


CAVEATS = [
    "Wastage counts the supply left when the regimen stopped; tablets left after a dose change or a break "
    "in treatment are not in SACT and are missed, so the wastage is a floor.",
    "Instalments are assumed to be sent only while the patient is still on treatment (the telephone review "
    "catches every stop); a stop between reviews still wastes the rest of that month's instalment.",
    "Each extra instalment needs a telephone review and a dispensing; their cost, from this book's assumptions "
    "(time per review, staff cost per hour, cost per dispensing: see the assumptions), is netted off the saving.",
    "Courses still going on at the end of the data have no stop date yet, so their wastage is not yet known.",
]


def opportunity_by_kind(o: Recipe, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "High-cost oral chemotherapy no longer wasted", CASH_RELEASING, NHSE_SPECIALISED, o.saving, period.label,
        implementation_cost=o.cost,
        note="NHS England commissions chemotherapy and pays for the drug dispensed: packs not wasted are packs not "
             "bought. Net of the implementation cost: each extra monthly instalment needs a telephone review by a "
             "nurse or pharmacist and a dispensing. That work falls on the provider, so the net is what is left to "
             "fund it from the drug saving.")])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext, national: National) -> SchemeResult:
    area, period, a = run.area, run.period, run.params.assumptions
    uptake = a["uptake_share"]
    cost_each = {s: instalment_cost(a["review_minutes"].value(s), a["reviewer_cost_per_hour"].value(s),
                                    a["dispensing_cost"].value(s)) for s in SCENARIOS}
    local = area_rows(national.year, area, WHAT)
    measure = proportion_measure(
        national.cohort, flag="multi_month", date="administration_date", area=area, period=period,
        name="Share of high-cost oral chemotherapy supplies of more than a month", higher_is_better=False,
        target=None, denominator_label=WHAT)
    o = area_opportunity(area_rows(national.in_year, area, "oral chemotherapy dispensings"), national.drugs_of,
                         {s: uptake.value(s) for s in SCENARIOS}, cost_each)
    lengths = _supply_frame(local)
    providers = provider_table(_provider_columns(local, o.by_provider["moderate"]), measure, run.geography)
    return SchemeResult(
        context=run, kpis=_kpis(local), opportunity=opportunity_by_kind(o, period),
        quantities=[Quantity("Packs of high-cost oral chemotherapy no longer wasted", "packs", o.avoided),
                    Quantity("Extra monthly instalments, each after a telephone review", "instalments",
                             o.extra_instalments)],
        measure=measure,
        tables=_tables(providers, _drug_frame(local, uptake.moderate, cost_each["moderate"]), lengths,
                       _years_frame(area_rows(national.cohort, area, WHAT)), area, period),
        charts={"wastage_by_supply": _wastage_chart(lengths, area, period)},
        scenario_table=scenario_frame(run.params, _outputs(o)),
        caveats=list(CAVEATS),
        data_months=(national.cohort["administration_date"].min(), national.cohort["administration_date"].max()),
        area_providers=area.providers,
    )
