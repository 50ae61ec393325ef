"""Scheme 2: antifungal stewardship (Menu of Opportunities, chapter 2).

The Menu's aims: appropriate use of antifungals (its KPI: defined daily doses, DDDs), oral rather than intravenous
use where clinically appropriate (oral to intravenous ratios) and generic products wherever appropriate; 'savings
will be calculated based on the spend on antifungals', and the cost is a specialist pharmacist for one programmed
activity (PA, 4 hours) a week at larger providers. The Menu publishes no national figure.

How the saving is calculated here, per provider and only where it is worse than the benchmark (never netted off):
1. use: DDDs per 1,000 occupied bed days above the benchmark (a percentile of England's providers) are DDDs
   avoided, valued at the provider's own cost per DDD;
2. route: of the DDDs left, intravenous DDDs of the drugs that come both ways move to oral until the oral share
   reaches its target, each valued at the national difference between that drug's intravenous and oral cost per DDD;
3. product: of the DDDs left, branded DDDs of drug-routes with a generic move to generic until the generic share
   reaches its target, valued at the national difference between branded and generic cost per DDD;
less the pharmacist's time at providers with a saving and at least the 'larger provider' bed days; a provider
whose saving would not pay for the pharmacist counts as nothing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..results import (
    CASH_RELEASING,
    KPI,
    NHSE_SPECIALISED,
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
from .base import area_rows, in_period, provider_table, rate_measure, safe_share, scenario_frame
from .contract import Tables

TABLES = ("antifungal_issues", "bed_days")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "antifungal_issues": ("provider_code", "month", "drug", "route", "product_type", "ddd", "cost_gbp"),
    "bed_days": ("provider_code", "month", "occupied_bed_days"),
}
ASSUMPTIONS = {
    "benchmark_percentile": "share",
    "oral_share_target": "share",
    "generic_share_target": "share",
    "pharmacist_cost_per_hour": "gbp_per_hour",
    "pharmacist_hours_per_week": "hours_per_week",
    "larger_provider_bed_days": "bed_days_per_year",
}
PER = 1000.0  # DDDs per 1,000 occupied bed days
WEEKS_PER_YEAR = 52


# --- the arithmetic, one piece at a time ---------------------------------------------------------------------------
def ddd_rate(ddd: float, bed_days: float) -> float:
    """DDDs per 1,000 occupied bed days."""
    return ddd / bed_days * PER


def benchmark_rate(rates: pd.Series, percentile: float) -> float:
    """The benchmark: this percentile of providers' rates (0.5 is the median provider)."""
    return float(np.quantile(rates.to_numpy(dtype=float), percentile))


def excess_ddd(ddd: float, bed_days: float, benchmark: float) -> float:
    """DDDs above what the provider would use at the benchmark rate; nothing if it is at or below it."""
    return max(0.0, ddd - benchmark * bed_days / PER)


def share_shortfall(part: float, whole: float, target: float) -> float:
    """Units to move so that part / whole reaches the target; nothing if it already does."""
    return max(0.0, target * whole - part) if whole > 0 else 0.0


def pharmacist_cost(cost_per_hour: float, hours_per_week: float) -> float:
    """A year of specialist pharmacist time: 1 PA (4 hours) a week is 4 x 52 = 208 hours."""
    return cost_per_hour * hours_per_week * WEEKS_PER_YEAR


def net_saving(gross: float, cost: float) -> float:
    """The saving less the pharmacist; a provider where the pharmacist costs more than it saves counts as nothing."""
    return max(0.0, gross - cost)


# --- tables ----------------------------------------------------------------------------------------------------------
def national_prices(issues: pd.DataFrame) -> pd.DataFrame:
    """Cost per DDD by drug, route and product type across England: the prices switches are valued at."""
    g = issues.groupby(["drug", "route", "product_type"], observed=True)[["cost_gbp", "ddd"]].sum()
    return (g["cost_gbp"] / g["ddd"]).unstack("product_type")


def dual_route_drugs(issues: pd.DataFrame) -> list[str]:
    """Drugs issued both orally and intravenously in the data."""
    routes = issues.groupby("drug", observed=True)["route"].nunique()
    return sorted(routes[routes == 2].index)


def provider_mix(issues: pd.DataFrame, prices: pd.DataFrame, dual: list[str]) -> pd.DataFrame:
    """Per provider, one period: DDDs and spend; oral and intravenous DDDs of the drugs given both ways and what
    moving one intravenous DDD to oral saves (its own mix of drugs, at national prices); generic and branded DDDs of
    drug-routes with a generic and what moving one branded DDD to generic saves. `prices` is national_prices()."""
    df = issues.assign(pair=list(zip(issues["drug"], issues["route"])))
    ddd = lambda mask: df[mask].groupby("provider_code", observed=True)["ddd"].sum()  # noqa: E731
    iv_saves = (prices["all"].xs("intravenous", level="route") - prices["all"].xs("oral", level="route")).clip(lower=0)
    has_generic = prices["generic"].dropna().index  # drug-routes with a generic issued somewhere in England
    generic_saves = (prices["branded"] - prices["generic"]).reindex(has_generic).fillna(0.0).clip(lower=0)
    gen_able = df["pair"].isin(set(has_generic))
    iv_dual = df["drug"].isin(dual) & (df["route"] == "intravenous")
    branded = gen_able & (df["product_type"] == "branded")
    df["iv_value"] = np.where(iv_dual, df["ddd"] * df["drug"].map(iv_saves).fillna(0.0), 0.0)
    df["generic_value"] = np.where(branded, df["ddd"] * df["pair"].map(generic_saves).fillna(0.0), 0.0)
    g = df.groupby("provider_code", observed=True)
    out = pd.DataFrame({"ddd": g["ddd"].sum(), "spend": g["cost_gbp"].sum()})
    out["oral"] = ddd(df["drug"].isin(dual) & (df["route"] == "oral"))
    out["iv"] = ddd(iv_dual)
    out["generic"] = ddd(gen_able & (df["product_type"] == "generic"))
    out["branded"] = ddd(branded)
    out = out.fillna(0.0)
    out["iv_to_oral_value"] = (g["iv_value"].sum() / out["iv"]).where(out["iv"] > 0, 0.0)
    out["generic_value"] = (g["generic_value"].sum() / out["branded"]).where(out["branded"] > 0, 0.0)
    return out


def provider_opportunity(mix: pd.DataFrame, bed_days: pd.Series, benchmark: float, oral_target: float,
                         generic_target: float) -> pd.DataFrame:
    """The three parts of each provider's gross saving, and the DDDs behind them (`mix` is provider_mix()).

    Use falls to the benchmark first; the route and product switches apply to the DDDs left.
    """
    out = mix.copy()
    out["bed_days"] = bed_days.reindex(out.index).fillna(0.0)
    out["ddd_avoided"] = [excess_ddd(d, b, benchmark) if b > 0 else 0.0 for d, b in zip(out["ddd"], out["bed_days"])]
    keep = 1 - out["ddd_avoided"] / out["ddd"]
    out["use"] = out["ddd_avoided"] * out["spend"] / out["ddd"]
    out["to_oral"] = [share_shortfall(o, o + i, oral_target) for o, i in zip(out["oral"], out["iv"])] * keep
    out["route"] = out["to_oral"] * out["iv_to_oral_value"]
    out["generic_able"] = out["generic"] + out["branded"]
    out["to_generic"] = [share_shortfall(g, a, generic_target) for g, a in zip(out["generic"], out["generic_able"])]
    out["to_generic"] *= keep
    out["product"] = out["to_generic"] * out["generic_value"]
    out["gross"] = out[["use", "route", "product"]].sum(axis=1)
    return out


def with_pharmacist(opp: pd.DataFrame, cost: float, larger_bed_days: float) -> pd.DataFrame:
    """Add a year's pharmacist cost (larger providers with a saving) and the net saving; `opp` covers a year."""
    out = opp.copy()
    larger = out["bed_days"] >= larger_bed_days
    out["pharmacist"] = np.where(larger & (out["gross"] > 0), cost, 0.0)
    out["net"] = [net_saving(g, c) for g, c in zip(out["gross"], out["pharmacist"])]
    out.loc[out["net"] == 0, "pharmacist"] = 0.0  # not implemented there, so no pharmacist either
    return out


def provider_months(issues: pd.DataFrame, beds: pd.DataFrame) -> pd.DataFrame:
    """DDDs and occupied bed days per provider and month (the rate measure's rows)."""
    ddd = issues.groupby(["provider_code", "month"], observed=True)["ddd"].sum()
    obd = beds.set_index(["provider_code", "month"])["occupied_bed_days"]
    return pd.concat([ddd, obd], axis=1).fillna(0.0).reset_index()


def drug_name(drug: pd.Series) -> pd.Series:
    """Drug names as a reader expects them: 'Liposomal amphotericin B'."""
    return drug.str.capitalize().str.replace(r" b$", " B", regex=True)


def drug_table(issues: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """DDDs, spend and cost per DDD by drug, and its oral and generic shares where it has those forms at all."""
    g = issues.groupby("drug", observed=True)
    out = pd.DataFrame({"DDDs": g["ddd"].sum(), "Spend": g["cost_gbp"].sum()})
    out["Cost per DDD (£)"] = out["Spend"] / out["DDDs"]
    for column, mask, forms in (("Oral", issues["route"] == "oral", prices["all"].xs("oral", level="route")),
                                ("Generic", issues["product_type"] == "generic", prices["generic"].dropna())):
        part = issues[mask].groupby("drug", observed=True)["ddd"].sum().reindex(out.index).fillna(0.0)
        exists = out.index.isin(forms.index.get_level_values(0))
        out[f"{column} DDDs"] = part
        out[f"{column} share"] = (part / out["DDDs"]).where(exists)  # n/a: no oral form or no generic
    out = out.sort_values("Spend", ascending=False).reset_index(names="Drug")
    out["Drug"] = drug_name(out["Drug"])
    return out


# --- the analysis: the arithmetic ----------------------------------------------------------------------------------
def switch_prices(issues: pd.DataFrame) -> pd.DataFrame:
    """national_prices(), with "all": the cost per DDD of each drug and route whatever the product (what a move from
    intravenous to oral is valued at)."""
    prices = national_prices(issues)
    g = issues.groupby(["drug", "route"], observed=True)[["cost_gbp", "ddd"]].sum()
    prices["all"] = g["cost_gbp"] / g["ddd"]
    return prices


def year_bed_days(beds: pd.DataFrame, period: Period) -> pd.Series:
    """Occupied bed days of each provider in the period."""
    return in_period(beds, "month", period, "occupied bed days").groupby("provider_code")["occupied_bed_days"].sum()


def provider_rates(issues: pd.DataFrame, bed_days: pd.Series) -> pd.Series:
    """DDDs per 1,000 occupied bed days of each provider with bed days (the providers the benchmark is taken from);
    a provider with bed days and no issues is at 0."""
    with_beds = bed_days[bed_days > 0]
    return issues.groupby("provider_code")["ddd"].sum().reindex(with_beds.index).fillna(0) / with_beds * PER


def scenario_opportunity(mix: pd.DataFrame, bed_days: pd.Series, rates: pd.Series, params: SchemeParams,
                         scenario: str) -> pd.DataFrame:
    """Each provider's saving under one scenario: provider_opportunity() with_pharmacist()."""
    a = params.assumptions
    value = lambda name: a[name].value(scenario)  # noqa: E731
    opp = provider_opportunity(mix, bed_days, benchmark_rate(rates, value("benchmark_percentile")),
                               value("oral_share_target"), value("generic_share_target"))
    cost = pharmacist_cost(value("pharmacist_cost_per_hour"), value("pharmacist_hours_per_week"))
    return with_pharmacist(opp, cost, value("larger_provider_bed_days"))




# --- the analysis: what the page shows -----------------------------------------------------------------------------
PARTS = (("Less use (DDDs above the benchmark)", "use"), ("Intravenous to oral", "route"),
         ("Branded to generic", "product"))
CAVEATS = [
    "DDDs per 1,000 occupied bed days do not allow for case mix: providers with haematology, oncology and "
    "transplant units use more antifungals for good reason, so their excess over the benchmark is a prompt "
    "for review rather than a saving in hand.",
    "Switches are valued at England's average cost per DDD of each drug, route and product; local contract "
    "prices differ. A DDD moved from intravenous to oral may also move to a generic, so the two switches "
    "overlap a little.",
    "Issues are what the pharmacy supplied to wards, not doses given to patients: stock held on wards and "
    "waste are included.",
]


def headline_kpis(local: pd.DataFrame, mix: pd.DataFrame, moderate: pd.DataFrame, bed_days: float,
                  benchmark: float, params: SchemeParams) -> list[KPI]:
    """`moderate`: every provider's saving under the moderate scenario; `benchmark`: its rate."""
    a = params.assumptions
    ddd, spend = local["ddd"].sum(), local["cost_gbp"].sum()
    oral_target = a["oral_share_target"].moderate
    return [
        KPI("Spend on antifungals", float(spend), "gbp", note="Menu: overall expenditure of antifungals"),
        KPI("DDDs per 1,000 occupied bed days", float(ddd_rate(ddd, bed_days)) if bed_days else None,
            "ddd_per_1000_bed_days", benchmark, False,
            "target: the benchmark, the moderate percentile of England's providers"),
        KPI("Oral to intravenous ratio (drugs given both ways)", safe_share(mix["oral"].sum(), mix["iv"].sum()),
            "ratio", oral_target / (1 - oral_target), True, "Menu KPI; target: the moderate oral share as a ratio"),
        KPI("Generic share of DDDs where a generic exists",
            safe_share(moderate["generic"].sum(), moderate["generic_able"].sum()), "share",
            a["generic_share_target"].moderate, True, "Menu: optimise use of generic products"),
        KPI("Defined daily doses issued", float(ddd), "ddd"),
        KPI("Cost per DDD", safe_share(spend, ddd), "gbp_per_ddd"),
        KPI("Occupied bed days", bed_days, "days"),
        KPI("Providers needing pharmacist time (moderate)", float((moderate["pharmacist"] > 0).sum()), "providers",
            note="Menu: a specialist pharmacist for 1 PA a week at larger providers"),
    ]


def providers_table(moderate: pd.DataFrame, measure: Measure, run: RunContext) -> Table:
    prov = moderate.assign(rate=moderate["ddd"] / moderate["bed_days"] * PER)
    both_ways = prov["oral"] + prov["iv"]
    frame = provider_table(pd.DataFrame({
        "Occupied bed days": prov["bed_days"], "DDDs": prov["ddd"], "DDDs per 1,000 bed days": prov["rate"],
        "Oral DDDs": prov["oral"], "DDDs of drugs given both ways": both_ways,
        "Oral share": prov["oral"] / both_ways.where(both_ways > 0),
        "Generic DDDs": prov["generic"], "DDDs with a generic": prov["generic_able"],
        "Generic share": prov["generic"] / prov["generic_able"].where(prov["generic_able"] > 0),
        "Spend": prov["spend"], "Gross saving": prov["gross"], "Pharmacist": prov["pharmacist"],
        "Saving (moderate)": prov["net"],
    }), measure, run.geography)
    return Table(f"Providers of {run.area.name}: antifungal use, route, products and saving, {run.period.label}",
                 frame, counts=("Occupied bed days", "DDDs"),
                 rates={"Oral share": ("Oral DDDs", "DDDs of drugs given both ways"),
                        "Generic share": ("Generic DDDs", "DDDs with a generic")},
                 money=("Spend", "Gross saving", "Pharmacist", "Saving (moderate)"),
                 numbers=("DDDs per 1,000 bed days",),
                 hidden=("Oral DDDs", "DDDs of drugs given both ways", "Generic DDDs", "DDDs with a generic"))


def drugs_table(drugs: pd.DataFrame, run: RunContext) -> Table:
    """`drugs` is drug_table()."""
    return Table(f"{run.area.name}: antifungal issues by drug, {run.period.label}", drugs, counts=("DDDs",),
                 rates={"Oral share": ("Oral DDDs", "DDDs"), "Generic share": ("Generic DDDs", "DDDs")},
                 money=("Spend",), numbers=("Cost per DDD (£)",), hidden=("Oral DDDs", "Generic DDDs"))


def parts_table(moderate: pd.DataFrame, run: RunContext) -> Table:
    by_part = pd.DataFrame({"Part": [p for p, _ in PARTS], "Saving": [moderate[c].sum() for _, c in PARTS]})
    return Table(f"{run.area.name}: where the gross saving comes from (moderate), {run.period.label}", by_part,
                 money=("Saving",))


def spend_chart(drugs: pd.DataFrame, run: RunContext) -> Chart:
    """`drugs` is drug_table(), costliest first."""
    area, period = run.area.name, run.period.label
    return Chart("bar", drugs[["Drug", "Spend"]], x="Drug", y="Spend",
                 title=f"Antifungal spend by drug, {area}, {period}", value_label="Spend (GBP)", value_format="gbp",
                 finding=f"{drugs['Drug'].iloc[0]} is the largest antifungal spend in {area} in {period}; the "
                         f"{min(3, len(drugs))} costliest drugs make up "
                         f"{drugs['Spend'].head(3).sum() / drugs['Spend'].sum():.0%} of it.")


def scenario_outputs(by_scenario: dict[str, pd.DataFrame]) -> list[tuple[str, str, Range]]:
    outputs = [("DDDs avoided", "ddd", Range.summed(by_scenario, "ddd_avoided")),
               ("DDDs moved from intravenous to oral", "ddd", Range.summed(by_scenario, "to_oral")),
               ("DDDs moved from branded to generic", "ddd", Range.summed(by_scenario, "to_generic"))]
    outputs += [(f"Saving from {label[0].lower()}{label[1:]}", "gbp", Range.summed(by_scenario, column))
                for label, column in PARTS]
    return outputs + [("Specialist pharmacist time", "gbp", Range.summed(by_scenario, "pharmacist")),
                      ("Net saving", "gbp", Range.summed(by_scenario, "net"))]


def opportunity_by_kind(by_scenario: dict[str, pd.DataFrame], period: Period) -> Opportunity:
    """One component, net of the pharmacist; its gross is that of the providers counted (where the saving pays for the
    pharmacist), so that net is gross less the pharmacist's cost."""
    return Opportunity([OpportunityComponent(
        "Antifungal spend: less use, intravenous to oral, branded to generic", CASH_RELEASING, NHSE_SPECIALISED,
        Range.of(lambda s: (by_scenario[s]["net"] + by_scenario[s]["pharmacist"]).sum()), period.label,
        implementation_cost=Range.summed(by_scenario, "pharmacist"),
        note="The Menu's aim is value from NHS England's spend on antifungal medicines: DDDs not issued and cheaper "
             "routes and products are spend that falls. The cost is a specialist pharmacist for 1 PA a week at "
             "larger providers, as the Menu says; providers whose saving would not pay for it count for nothing.")])


# --- the analysis ----------------------------------------------------------------------------------------------------
def analyse(tables: Tables, run: RunContext) -> SchemeResult:
    area, period, params = run.area, run.period, run.params
    issues, beds = tables["antifungal_issues"], tables["bed_days"]
    england = in_period(issues, "month", period, "antifungal issues")
    local = area_rows(england, area, "antifungal issues")
    bed_days = year_bed_days(beds, period)
    measure = rate_measure(provider_months(issues, beds), events="ddd", exposure="occupied_bed_days", date="month",
                           area=area, period=period, per=PER, name="Antifungal DDDs per 1,000 occupied bed days",
                           higher_is_better=False, target=None, denominator_label="occupied bed days",
                           value_label="DDDs per 1,000 bed days")

    prices = switch_prices(england)
    rates = provider_rates(england, bed_days)
    mix = provider_mix(local, prices, dual_route_drugs(england))
    by_scenario = {s: scenario_opportunity(mix, bed_days, rates, params, s) for s in SCENARIOS}
    moderate = by_scenario["moderate"]
    benchmark = benchmark_rate(rates, params.assumptions["benchmark_percentile"].moderate)
    area_bed_days = float(bed_days.reindex(local["provider_code"].unique()).sum())
    drugs = drug_table(local, prices)
    return SchemeResult(
        context=run, kpis=headline_kpis(local, mix, moderate, area_bed_days, benchmark, params),
        opportunity=opportunity_by_kind(by_scenario, period),
        quantities=[Quantity("Defined daily doses avoided", "DDDs", Range.summed(by_scenario, "ddd_avoided")),
                    Quantity("DDDs moved from intravenous to oral", "DDDs", Range.summed(by_scenario, "to_oral")),
                    Quantity("DDDs moved from branded to generic", "DDDs", Range.summed(by_scenario, "to_generic"))],
        measure=measure,
        tables={"providers": providers_table(moderate, measure, run), "drugs": drugs_table(drugs, run),
                "parts": parts_table(moderate, run)},
        charts={"spend_by_drug": spend_chart(drugs, run)},
        scenario_table=scenario_frame(params, scenario_outputs(by_scenario)),
        caveats=list(CAVEATS),
        data_months=(issues["month"].min(), issues["month"].max()),
        area_providers=area.providers,
    )
