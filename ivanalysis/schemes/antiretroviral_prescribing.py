"""Scheme 3: cost-effective antiretroviral treatment (ART) prescribing (Menu of Opportunities, chapter 3).

Clinicians, pharmacists and patient groups agreed a "basket" of switches from branded antiretrovirals to
regimens built on generic products. The Menu estimates savings of 22 m pounds in 2017/18 and a further 13.7 m
by the end of 2018/19, together 8.3% of the spend on antiretrovirals, and calculates them from "quarterly
monitoring of drug expenditure and patient numbers ... generic drugs uptake against % switch targets and savings
achieved".

Here, from the high-cost drug invoices (one row per patient, drug, product and quarter), each HIV patient's
quarter is on a **branded** basket regimen (it includes a branded drug of the basket), a **generic** one (it
includes a generic drug of the basket and no branded one), or neither. Then:
- the switch share is the share of basket patient-quarters on a generic regimen, against the switch target;
- the saving already made: for each patient seen on a branded basket regimen and later on a generic one, their
  own average cost a quarter before less after, for each of their generic quarters in the year;
- the saving still to make (the headline): at each provider below the target, the patient-quarters that would
  have to switch to reach it, times the saving a quarter of its patients still on branded regimens, each branded
  drug valued at England's cost a quarter of it less that of its best-value alternative. Providers already at
  the target count as nothing (never netted off).
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
)
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame
from .hcd import data_months

TABLES = ("hcd_invoices",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "hcd_invoices": ("provider_code", "patient_id", "invoice_period", "indication", "drug", "product_type", "cost"),
}
ASSUMPTIONS = {"switch_target": "share"}
INDICATION = "HIV"
BRANDED_TYPES = ("branded", "originator")
# The basket of switches: a branded drug -> the drugs of its best-value regimen, each as a generic where one
# exists (efavirenz/emtricitabine/tenofovir disoproxil, Atripla, is split into its generic parts; Triumeq into
# dolutegravir and generic abacavir/lamivudine)
BASKET = {
    "efavirenz/emtricitabine/tenofovir disoproxil": ("efavirenz", "emtricitabine/tenofovir disoproxil"),
    "emtricitabine/tenofovir disoproxil": ("emtricitabine/tenofovir disoproxil",),
    "abacavir/lamivudine": ("abacavir/lamivudine",),
    "dolutegravir/abacavir/lamivudine": ("dolutegravir", "abacavir/lamivudine"),
}
GENERIC_DRUGS = ("efavirenz", "emtricitabine/tenofovir disoproxil", "abacavir/lamivudine")
STATES = ("branded", "generic")


def cost_per_quarter(rows: pd.DataFrame) -> pd.Series:
    """England's mean cost of a patient-quarter of each drug, by generic (True) or not (False)."""
    return rows.groupby(["drug", rows["product_type"] == "generic"])["cost"].mean()


def switch_values(costs: pd.Series) -> pd.Series:
    """Saving a quarter from switching each basket drug: its branded cost less its alternative's (generic parts
    where a generic is invoiced, otherwise the branded drug, e.g. dolutegravir)."""
    def cost(drug: str, generic: bool) -> float:
        if (drug, generic) in costs.index:
            return float(costs[(drug, generic)])
        if (drug, not generic) in costs.index:
            return float(costs[(drug, not generic)])
        raise DataError(f"no invoice for {drug}, which the basket of antiretroviral switches needs")
    return pd.Series({d: cost(d, False) - sum(cost(a, True) for a in alts) for d, alts in BASKET.items()
                      if (d, False) in costs.index}, dtype=float)


def regimen_quarters(hiv: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """One row per provider, patient and quarter: the cost, the basket state (branded, generic or ""), the saving
    a quarter if a branded regimen were switched (`values` by basket drug) and its branded basket drug."""
    branded = hiv["drug"].isin(list(BASKET)) & hiv["product_type"].isin(BRANDED_TYPES)
    generic = hiv["drug"].isin(GENERIC_DRUGS) & (hiv["product_type"] == "generic")
    rows = hiv.assign(branded=branded, generic=generic,
                      value=np.where(branded, hiv["drug"].map(values).fillna(0.0), 0.0),
                      from_drug=hiv["drug"].where(branded))
    pq = rows.groupby(["provider_code", "patient_id", "invoice_period"], observed=True).agg(
        cost=("cost", "sum"), branded=("branded", "any"), generic=("generic", "any"), value=("value", "sum"),
        from_drug=("from_drug", "first"))
    pq["state"] = np.select([pq["branded"], pq["generic"]], STATES, "")
    pq["on_generic"] = pq["state"] == "generic"
    return pq.drop(columns=["branded", "generic"]).reset_index()


def switches(pq: pd.DataFrame) -> pd.DataFrame:
    """Patients seen on a branded basket regimen and later on a generic one: their mean cost a quarter before and
    after, and the saving a quarter (before less after)."""
    basket = pq[pq["state"] != ""]
    first_branded = basket[basket["state"] == "branded"].groupby("patient_id")["invoice_period"].min()
    after = basket[basket["on_generic"]].join(first_branded.rename("first_branded"), on="patient_id", how="inner")
    after = after[after["invoice_period"] > after["first_branded"]]
    before = basket[(basket["state"] == "branded") & basket["patient_id"].isin(after["patient_id"])]
    out = pd.DataFrame({"before": before.groupby("patient_id")["cost"].mean(),
                        "after": after.groupby("patient_id")["cost"].mean()}).dropna()
    out["saving"] = out["before"] - out["after"]
    out["switched_from"] = after.groupby("patient_id")["invoice_period"].min().reindex(out.index)
    return out


def saving_made(pq_period: pd.DataFrame, switched: pd.DataFrame) -> pd.Series:
    """By provider: each switched patient's saving a quarter, for each of their generic quarters in the period."""
    after = pq_period[pq_period["on_generic"] & pq_period["patient_id"].isin(switched.index)]
    after = after[after["invoice_period"] >= after["patient_id"].map(switched["switched_from"])]
    return (after["patient_id"].map(switched["saving"])).groupby(after["provider_code"]).sum()


def quarters_to_switch(eligible: float, on_generic: float, target: float) -> float:
    """Basket patient-quarters that would have to move to a generic regimen for the share to reach `target`."""
    return max(0.0, target * eligible - on_generic)


def provider_opportunity(pq_period: pd.DataFrame, target: float) -> pd.DataFrame:
    """Per provider: basket patient-quarters, on generic, quarters to switch, the value of a switched quarter (the
    mean over its branded ones) and the saving."""
    basket = pq_period[pq_period["state"] != ""]
    g = basket.groupby("provider_code")
    out = pd.DataFrame({"eligible": g.size(), "on_generic": g["on_generic"].sum().astype(int)})
    value = basket[~basket["on_generic"]].groupby("provider_code")["value"].mean()
    out["value"] = value.reindex(out.index).fillna(0.0)
    out["to_switch"] = [quarters_to_switch(e, o, target) for e, o in zip(out["eligible"], out["on_generic"])]
    out["saving"] = out["to_switch"] * out["value"]
    return out


def hub_shares(basket: pd.DataFrame, geography: Geography) -> pd.Series:
    """Share of basket patient-quarters on a generic regimen in each hub (by name) and England, highest first."""
    hub = basket["provider_code"].map(geography.hub_of)
    names = {h.code: h.name for h in geography.hubs()}
    share = basket.groupby(hub)["on_generic"].mean().rename(index=names)
    share["England"] = basket["on_generic"].mean()
    return share.sort_values(ascending=False)


@dataclass(frozen=True)
class National:
    """The analysis of every provider in England, the same whatever the area (read-only: kept between areas)."""
    costs: pd.Series  # England's cost a patient-quarter of each drug, by generic or not
    values: pd.Series  # saving a quarter from switching each branded basket drug
    basket: pd.DataFrame  # patient-quarters on a basket regimen, every quarter (for the measure)
    year: pd.DataFrame  # patient-quarters in the year
    switched: pd.DataFrame  # switched patients (switches)
    made_by_provider: pd.Series  # saving made by switches in the year, by provider
    by_scenario: dict[str, pd.DataFrame]  # provider_opportunity in each scenario
    hub_share: pd.Series  # share of basket patient-quarters on a generic regimen by hub and England, in the year
    months: tuple[pd.Timestamp, pd.Timestamp]  # the first and last month the invoices cover (data_months)


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    target = params.assumptions["switch_target"]
    inv = tables["hcd_invoices"]
    hiv = inv[inv["indication"] == INDICATION]
    if hiv.empty:
        raise DataError(f"no antiretroviral invoices (indication {INDICATION!r}) in hcd_invoices")
    costs = cost_per_quarter(in_period(hiv, "invoice_period", period, "antiretroviral invoices"))
    values = switch_values(costs)
    pq = regimen_quarters(hiv, values)
    year = pq[period.mask(pq["invoice_period"])]
    switched = switches(pq[pq["invoice_period"] <= period.end])
    return National(
        costs=costs, values=values, basket=pq[pq["state"] != ""], year=year, switched=switched,
        made_by_provider=saving_made(year, switched),
        by_scenario={s: provider_opportunity(year, target.value(s)) for s in SCENARIOS},
        hub_share=hub_shares(year[year["state"] != ""], geography), months=data_months(inv))


# --- the area's part (arithmetic only) --------------------------------------------------------------------------------
def patients_switched_in(switched: pd.DataFrame, local: pd.DataFrame) -> pd.DataFrame:
    """The switched patients (switches) on a generic regimen in the area's patient-quarters `local`."""
    return switched[switched.index.isin(local.loc[local["on_generic"], "patient_id"])]


def switched_by_provider(local: pd.DataFrame, switched_here: pd.DataFrame) -> pd.Series:
    """Patients switched, by the provider that invoiced them in the area (a patient may count at two providers)."""
    return local[local["patient_id"].isin(switched_here.index)].groupby("provider_code")["patient_id"].nunique()


# --- the page: KPIs, tables, chart ------------------------------------------------------------------------------------
def _kpis(local: pd.DataFrame, switched_here: pd.DataFrame, made: float, to_make: float, target: float) -> list[KPI]:
    basket = local[local["state"] != ""]
    spend = float(local["cost"].sum())
    return [
        KPI("Basket patient-quarters on a generic regimen", safe_share(basket["on_generic"].sum(), len(basket)),
            "share", target, True, "against the switch target (moderate scenario)"),
        KPI("People on antiretroviral treatment", float(local["patient_id"].nunique()), "count",
            note="PHE: about 90,000 people accessing HIV care in England in 2017"),
        KPI("Spend on antiretrovirals", spend, "gbp", note="Menu: the savings are 8.3% of it, about 430 m pounds"),
        KPI("Spend per person on antiretroviral treatment", safe_share(spend, local["patient_id"].nunique()), "gbp",
            note="Menu KPI: average patient cost; the year's spend over the people treated in it"),
        KPI("Patients switched to a generic regimen", float(len(switched_here)), "count"),
        KPI("Saving a year per switched patient", 4 * float(switched_here["saving"].mean())
            if len(switched_here) else None, "gbp"),
        KPI("Saving made by switches in the year", made, "gbp", note="Menu: 22 m pounds in 2017/18"),
        KPI("Saving made and still to make, as a share of spend", safe_share(made + to_make, spend), "share",
            note="Menu: 8.3% (22 m + 13.7 m pounds); moderate scenario"),
    ]


def _provider_columns(local: pd.DataFrame, opp: pd.DataFrame, switched: pd.Series, made: pd.Series) -> pd.DataFrame:
    """`opp`: the area's provider_opportunity (moderate); `switched`, `made`: patients switched, saving made."""
    people = local.groupby("provider_code")["patient_id"].nunique()
    prov = pd.DataFrame({
        "People on ART": people,
        "Basket patient-quarters": opp["eligible"].reindex(people.index).fillna(0).astype(int),
        "On generic": opp["on_generic"].reindex(people.index).fillna(0).astype(int),
        "Patients switched": switched.reindex(people.index).fillna(0).astype(int),
        "Saving made": made.reindex(people.index).fillna(0.0),
        "Saving (moderate)": opp["saving"].reindex(people.index).fillna(0.0),
    })
    prov.insert(3, "Share on generic", prov["On generic"] / prov["Basket patient-quarters"].replace(0, np.nan))
    return prov


def _provider_table(prov: pd.DataFrame, area: Area, period: Period) -> Table:
    return Table(f"HIV services of {area.name}: basket regimens, switches and savings, {period.label}", prov,
                 counts=("People on ART", "Basket patient-quarters", "On generic", "Patients switched"),
                 rates={"Share on generic": ("On generic", "Basket patient-quarters")},
                 money=("Saving made", "Saving (moderate)"), opportunity=("Saving (moderate)",))


CAVEATS = [
    "The basket here is four switches: Atripla to generic efavirenz and generic emtricitabine/tenofovir "
    "disoproxil, Truvada and Kivexa to their generics, and Triumeq to dolutegravir with generic "
    "abacavir/lamivudine. A regimen counts as generic when it includes a generic basket drug and no branded "
    "one; regimens outside the basket are not counted.",
    "Not every patient can switch (resistance, side effects, pill burden or choice): the switch target "
    "leaves room for them, and each switch is a decision between clinician and patient.",
    "The saving made counts patients seen on a branded basket regimen and later on a generic one, at their "
    "own change in cost a quarter; patients who started on a generic regimen avoided cost but are not "
    "counted as switches.",
    "The saving still to make is a year at the headline year's volumes and prices paid; the Menu's 13.7 m "
    "pounds is the further saving expected by the end of 2018/19.",
]


def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Antiretrovirals: branded regimens switched to generic-based ones", CASH_RELEASING, NHSE_SPECIALISED, gbp,
        period.label,
        note="NHS England commissions HIV treatment and pays the antiretroviral invoices: a cheaper regimen is spend "
             "that falls.")])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext, national: National) -> SchemeResult:
    area, period = run.area, run.period
    target = run.params.assumptions["switch_target"]
    # every invoice of the year has its patient-quarter here: an area without any has none
    local = area_rows(national.year, area, "antiretroviral invoices")
    measure = proportion_measure(
        national.basket, flag="on_generic", date="invoice_period", area=area, period=period,
        name="Basket regimens on generics", higher_is_better=True, target=target.moderate,
        denominator_label="patient-quarters on a basket regimen")
    opp = {s: df[df.index.isin(area.providers)] for s, df in national.by_scenario.items()}
    gbp = Range.summed(opp, "saving")
    patient_years = Range.of(lambda s: opp[s]["to_switch"].sum() / 4)
    made = float(national.made_by_provider.reindex(list(area.providers)).sum())
    switched_here = patients_switched_in(national.switched, local)
    prov = provider_table(_provider_columns(local, opp["moderate"], switched_by_provider(local, switched_here),
                                            national.made_by_provider), measure, run.geography)
    outputs = [("Saving made by switches in the year", "gbp", Range(made, made, made)),
               ("Patient-years switched to reach the target", "count", patient_years), ("Saving", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=_kpis(local, switched_here, made, gbp.moderate, target.moderate),
        opportunity=opportunity_by_kind(gbp, period),
        quantities=[Quantity("Patients still to switch to a generic regimen", "patient-years", patient_years)],
        measure=measure,
        tables={"providers": _provider_table(prov, area, period),
                "basket": _basket_table(local[local["state"] != ""], national.values, national.costs, area, period)},
        scenario_table=scenario_frame(run.params, outputs),
        caveats=list(CAVEATS),
        data_months=national.months,
        area_providers=area.providers,
        charts={"hubs": _hub_chart(national.hub_share, area, run.geography, period)},
    )


def _basket_table(basket: pd.DataFrame, values: pd.Series, costs: pd.Series, area: Area, period: Period) -> Table:
    still = basket[basket["state"] == "branded"]["from_drug"].value_counts()
    frame = pd.DataFrame({
        "Branded drug": list(BASKET),
        "Best-value regimen": [" + ".join(f"{a} (generic)" if a in GENERIC_DRUGS else a for a in alts)
                               for alts in BASKET.values()],
        "Cost a patient-year, branded": [4 * float(costs.get((d, False), np.nan)) for d in BASKET],
        "Saving a patient-year if switched": [4 * float(values.get(d, np.nan)) for d in BASKET],
        "Patient-quarters still branded": [int(still.get(d, 0)) for d in BASKET],
    })
    return Table(f"{area.name}: the basket of switches, {period.label} (costs at England's prices paid in the year)",
                 frame, counts=("Patient-quarters still branded",),
                 money=("Cost a patient-year, branded", "Saving a patient-year if switched"), rows_are_the_area=True)


def _hub_chart(share: pd.Series, area: Area, geography: Geography, period: Period) -> Chart:
    frame = share.rename_axis("Area").reset_index(name="Share")
    names = {h.code: h.name for h in geography.hubs()}
    chosen = tuple(names[h] for h in area.hubs) if not area.is_national else ("England",)
    best, worst = share.drop("England").idxmax(), share.drop("England").idxmin()
    return Chart(kind="bar", frame=frame, x="Area", y="Share", value_format="percent",
                 value_label="Share of basket patient-quarters on a generic regimen",
                 title=f"Basket regimens on generics by hub, {period.label}", highlight=chosen,
                 finding=f"In {period.label}, {share[best]:.0%} of basket patient-quarters in {best} were on a generic "
                         f"regimen and {share[worst]:.0%} in {worst}, against {share['England']:.0%} in England.")
