"""Scheme 17: improving the spinal surgery pathway (Menu of Opportunities, chapter 17).

The lower back and radicular pain pathway sends every patient to triage-and-treat practitioners, who treat them or
refer on; only they refer to secondary care, so spinal surgeons see the patients likely to benefit from surgery.
The Menu measures it by faster outpatient and inpatient treatment and by a higher conversion rate from outpatient
assessment to surgery, at the 35 spinal centres, through about 15 regional spinal networks.

How the saving is calculated (the Menu's savings calculator): about £1 per head of the population served (a
catchment of 500,000 people saves £0.5 m a year; about £50 m nationally), net of the pathway's yearly cost of
£176,425.58, read here as the cost of one of the 15 networks (the Menu does not say for what population the cost is
given: `cost_reading`). A geography's cost is its population share of the networks, so hubs add up to England.
The calculator is a population formula: no activity data enter it, and the Menu gives no per-provider benchmark for
it, so its saving stands apart from every total. This page adds what the
data show: activity, waits and conversion at each centre, and the surgical first attendances a centre would not
need if its conversion rate rose to a benchmark (counted only where it is below it), in attendances, not pounds,
as they are part of how the £1 per head is saved.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SCENARIOS
from ..errors import DataError
from ..geography import Area, Geography
from ..report import fmt
from ..results import (
    CASH_RELEASING,
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
    financial_years,
)
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame

TABLES = ("spinal_surgery",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "spinal_surgery": ("provider_code", "referral_date", "first_attendance_date", "decision_date", "outcome",
                       "surgery_date"),
}
ASSUMPTIONS = {"saving_per_head": "gbp_per_head", "networks_england": "count", "cost_per_network": "gbp_per_network",
               "benchmark_centile": "share", "cost_per_operation": "gbp_per_operation"}
LISTED = "listed_for_surgery"
RTT_WEEKS = 18


# --- the Menu's savings calculator ------------------------------------------------------------------------------------
def gross_saving(population: float, saving_per_head: float) -> float:
    """The calculator's saving before costs: population x pounds per head (500,000 x £1 = £500,000)."""
    return population * saving_per_head


def network_cost(population: float, england_population: float, networks: float, cost_per_network: float) -> float:
    """The pathway's yearly cost for a population: its share of England's networks, each at `cost_per_network`."""
    if england_population <= 0:
        raise DataError("England's population must be above 0 to share out the networks' cost")
    return networks * cost_per_network * population / england_population


def net_saving(population: float, england_population: float, saving_per_head: float, networks: float,
               cost_per_network: float) -> float:
    return (gross_saving(population, saving_per_head)
            - network_cost(population, england_population, networks, cost_per_network))


# --- conversion and waits ---------------------------------------------------------------------------------------------
STEPS = ("referral_date", "first_attendance_date", "decision_date", "surgery_date")


def extract_start(rows: pd.DataFrame) -> pd.Timestamp:
    """The first month the extract covers in full.

    An RTT extract holds every pathway with a step in its period, so a pathway that ended before the period is
    missing and months before it are incomplete. The pathway whose last step came first ends in the first month.
    """
    return rows[list(STEPS)].max(axis=1).min().to_period("M").to_timestamp()


def weeks_between(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.days / 7.0


def benchmark_conversion(rates: pd.Series, centile: float) -> float:
    """The conversion rate at a centile of the centres' rates (each centre counts once, whatever its size)."""
    if rates.empty:
        raise DataError("no spinal centre made a surgical decision in the period: no benchmark conversion rate")
    return float(np.quantile(rates.to_numpy(dtype=float), centile))


def redirected_attendances(decisions: float, listed: float, benchmark: float) -> float:
    """First attendances not needed if conversion rose to `benchmark` with the same operations listed.

    At the benchmark, `listed` patients take listed / benchmark assessments; the rest of today's `decisions` would
    be treated by the triage practitioners. Nothing where the centre already converts at the benchmark or more.
    """
    if benchmark <= 0:
        return 0.0
    return max(0.0, decisions - listed / benchmark)


def centre_activity(rows: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Per centre, each step of the pathway counted in the period if it happened then (one row per referral)."""
    def in_year(date: str) -> pd.Series:
        return period.mask(rows[date])

    def count(mask: pd.Series) -> pd.Series:
        return rows[mask].groupby("provider_code", observed=True).size()

    def median_weeks(start: str, end: str) -> pd.Series:
        done = rows[in_year(end)]
        return weeks_between(done[start], done[end]).groupby(done["provider_code"], observed=True).median()

    within_18 = weeks_between(rows["referral_date"], rows["surgery_date"]) <= RTT_WEEKS
    out = pd.DataFrame({
        "referrals": count(in_year("referral_date")),
        "first_attendances": count(in_year("first_attendance_date")),
        "decisions": count(in_year("decision_date")),
        "listed": count(in_year("decision_date") & (rows["outcome"] == LISTED)),
        "operations": count(in_year("surgery_date")),
        "operations_18w": count(in_year("surgery_date") & within_18),
        "weeks_to_first": median_weeks("referral_date", "first_attendance_date"),
        "weeks_to_surgery": median_weeks("decision_date", "surgery_date"),
    })
    counts = ["referrals", "first_attendances", "decisions", "listed", "operations", "operations_18w"]
    out[counts] = out[counts].fillna(0).astype(int)
    out["conversion"] = out["listed"] / out["decisions"].where(out["decisions"] > 0)
    return out


def catchment_share(activity: pd.DataFrame, geography: Geography) -> pd.Series:
    """Each centre's share of its hub's referrals: the part of the hub's population it is taken to serve."""
    hub = activity.index.map(geography.hub_of)
    return activity["referrals"] / activity["referrals"].groupby(hub).transform("sum")


def _yearly(rows: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Each step by the financial year it happened in, for the years the extract covers in full."""
    first_full = Period.starting(start.year if start.month <= 4 else start.year + 1)

    def fy(dates: pd.Series) -> pd.Series:
        return financial_years(dates.where(dates >= first_full.start))

    listed = rows["outcome"] == LISTED
    out = pd.DataFrame({
        "Referrals": rows.groupby(fy(rows["referral_date"])).size(),
        "First attendances": rows.groupby(fy(rows["first_attendance_date"])).size(),
        "Decisions": rows.groupby(fy(rows["decision_date"])).size(),
        "Listed for surgery": rows[listed].groupby(fy(rows.loc[listed, "decision_date"])).size(),
        "Operations": rows.groupby(fy(rows["surgery_date"])).size(),
        "Median weeks to first attendance": weeks_between(rows["referral_date"], rows["first_attendance_date"])
        .groupby(fy(rows["first_attendance_date"])).median(),
        "Median weeks, decision to operation": weeks_between(rows["decision_date"], rows["surgery_date"])
        .groupby(fy(rows["surgery_date"])).median(),
    }).fillna({"Listed for surgery": 0, "Operations": 0})
    out["Conversion"] = out["Listed for surgery"] / out["Decisions"]
    return out.rename_axis("Financial year").reset_index()


def _monthly_waits(rows: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    def median_by_month(begin: str, end: str) -> pd.Series:
        done = rows[rows[end] >= start]
        return weeks_between(done[begin], done[end]).groupby(done[end].dt.to_period("M")).median()

    first = median_by_month("referral_date", "first_attendance_date")
    surgery = median_by_month("decision_date", "surgery_date")
    frames = [pd.DataFrame({"month": s.index.to_timestamp(), "weeks": s.to_numpy(), "wait": label})
              for s, label in ((first, "Referral to first attendance"), (surgery, "Decision to operation"))]
    return pd.concat(frames, ignore_index=True)


# --- the area's opportunity (arithmetic only) -------------------------------------------------------------------------
@dataclass(frozen=True)
class Calculator:
    """The Menu's savings calculator for a population, in each scenario."""

    gross: Range  # pounds per head x population
    cost: Range  # the population's share of the networks' yearly cost
    net: Range  # gross less cost: the headline
    networks: Range  # the population's share of England's networks


def savings_calculator(population: float, england_population: float, a: dict) -> Calculator:
    networks = Range.of(lambda s: a["networks_england"].value(s) * population / england_population)
    gross = Range.of(lambda s: gross_saving(population, a["saving_per_head"].value(s)))
    cost = Range.of(lambda s: network_cost(population, england_population, a["networks_england"].value(s),
                                           a["cost_per_network"].value(s)))
    return Calculator(gross, cost, Range.of(lambda s: gross.get(s) - cost.get(s)), networks)


def redirected_at_centres(local: pd.DataFrame, benchmark: float) -> pd.Series:
    """Each centre's first attendances redirected at a benchmark conversion rate (centre_activity rows)."""
    return local.apply(lambda r: redirected_attendances(r["decisions"], r["listed"], benchmark), axis=1)


def centre_savings(activity: pd.DataFrame, centres: pd.Index, geography: Geography, a: dict) -> pd.Series:
    """The moderate net saving of each centre's hub, shared among the hub's centres by their referrals, so that
    the centres of a hub add up to its headline. `activity`: centre_activity of every centre in England."""
    england = geography.england.population
    share = catchment_share(activity, geography).reindex(centres)
    hub_net = centres.map(lambda p: net_saving(geography.get(geography.hub_of(p)).population, england,
                                               a["saving_per_head"].moderate, a["networks_england"].moderate,
                                               a["cost_per_network"].moderate))
    return share * np.asarray(hub_net, dtype=float)


# --- the page: KPIs, tables, chart ------------------------------------------------------------------------------------
def _conversion_measure(rows: pd.DataFrame, start: pd.Timestamp, area: Area, period: Period,
                        target: float) -> Measure:
    decisions = rows[rows["decision_date"] >= start].assign(listed=lambda d: d["outcome"] == LISTED)
    return proportion_measure(
        decisions, flag="listed", date="decision_date", area=area, period=period,
        name="Conversion from surgical outpatient assessment to surgery", higher_is_better=True,
        target=target, denominator_label="surgical assessments (decisions)")


def _kpis(local: pd.DataFrame, local_rows: pd.DataFrame, benchmark: float, a: dict, area: Area,
          period: Period) -> list[KPI]:
    ops = int(local["operations"].sum())
    return [
        KPI("Elective spinal operations", float(ops), "count", note="Menu: about 10,000 adults a year in England"),
        KPI("Referrals to spinal surgical clinics", float(local["referrals"].sum()), "count",
            note="Menu: demand is growing faster than average"),
        KPI("Conversion from outpatient assessment to surgery", safe_share(local["listed"].sum(),
                                                                           local["decisions"].sum()),
            "share", benchmark, True,
            f"Menu KPI: higher conversion; benchmark: centile {a['benchmark_centile'].moderate:.0%} of centres"),
        KPI("Median weeks from referral to first attendance", _median_weeks(
            local_rows, "referral_date", "first_attendance_date", period), "weeks", None, False,
            "Menu KPI: shorter outpatient waits"),
        KPI("Median weeks from decision to operation", _median_weeks(
            local_rows, "decision_date", "surgery_date", period), "weeks", None, False,
            "Menu KPI: shorter inpatient waits"),
        KPI("Operations within 18 weeks of referral", safe_share(local["operations_18w"].sum(), ops), "share", None,
            True, "NHS Constitution: treatment within 18 weeks of referral"),
        KPI("Spend on elective spinal surgery", ops * a["cost_per_operation"].moderate, "gbp",
            note="at the moderate cost per operation; Menu: about £200m a year in England"),
        KPI("Population served", float(area.population), "count", note="params/geography.yaml"),
    ]


def _provider_columns(local: pd.DataFrame, redirected: pd.Series, saving: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "Referrals": local["referrals"], "First attendances": local["first_attendances"],
        "Decisions": local["decisions"], "Listed for surgery": local["listed"], "Conversion": local["conversion"],
        "Operations": local["operations"], "Operations within 18 weeks": local["operations_18w"],
        "Share within 18 weeks": local["operations_18w"] / local["operations"].where(local["operations"] > 0),
        "Median weeks to first attendance": local["weeks_to_first"],
        "Median weeks, decision to operation": local["weeks_to_surgery"],
        "Attendances redirected (moderate)": redirected,
        "Saving (moderate)": saving,
    })


def _tables(prov: pd.DataFrame, years: pd.DataFrame, area: Area, period: Period) -> dict[str, Table]:
    return {
        "providers": Table(
            f"Spinal centres of {area.name}: activity, conversion and waits, {period.label} (saving: the "
            "centre's share, by referrals, of the population formula, not measured in activity)", prov,
            counts=("Referrals", "First attendances", "Decisions", "Listed for surgery", "Operations",
                    "Operations within 18 weeks", "Attendances redirected (moderate)"),
            rates={"Conversion": ("Listed for surgery", "Decisions"),
                   "Share within 18 weeks": ("Operations within 18 weeks", "Operations")},
            money=("Saving (moderate)",),
            numbers=("Median weeks to first attendance", "Median weeks, decision to operation"),
            opportunity=("Attendances redirected (moderate)", "Saving (moderate)"),
            hidden=("First attendances", "Decisions", "Operations within 18 weeks")),
        "years": Table(
            f"{area.name}: spinal pathway activity and waits by financial year (each step in the year it "
            "happened)", years,
            counts=("Referrals", "First attendances", "Decisions", "Listed for surgery", "Operations"),
            rates={"Conversion": ("Listed for surgery", "Decisions")},
            numbers=("Median weeks to first attendance", "Median weeks, decision to operation"),
            rows_are_the_area=True),
    }


def _waits_chart(local_rows: pd.DataFrame, start: pd.Timestamp, area: Area) -> Chart:
    waits = _monthly_waits(local_rows, start)
    return Chart("line", waits, x="month", y="weeks", series="wait",
                 title=f"Median waits at the spinal centres of {area.name}, by month", value_label="Weeks",
                 finding=_waits_finding(waits, area))


COST_PER = 500_000  # the Menu's notional catchment, the other reading of its pathway cost
CAVEATS = [
    "The saving is a population formula, the Menu's savings calculator (pounds per head of population): no activity "
    "data enter it, and it is not a measured change. It rests on the Middlesbrough pathway's evaluation, most of it "
    "falls to CCG commissioners, and it stands apart from the hub's total.",
    "A centre's share of the saving is its share of its hub's referrals, a proxy for the population it "
    "serves; patients' areas of residence are not in the data.",
    "The networks' cost is shared by population; each real network's cost falls where it is set up.",
    "First attendances redirected are an indication of where the pathway's saving comes from; they are "
    "part of the £1 per head, not added to it.",
    "Waits are those of the patients seen or operated on in the month or year: they do not include the "
    "patients still waiting, whose waits may be longer.",
]
OPPORTUNITY_NOTE = ("Opportunity follows the Menu's savings calculator, a population formula with no activity data: a "
                    "saving per head of population, less the yearly cost of the networks that serve it. It stands "
                    "apart from the hub's total.")


def cost_reading(population: float, england_population: float, a: dict) -> str:
    """What the Menu says of the pathway's cost, how this page reads it, and the other reading's cost for `population`
    (moderate): the Menu gives '£176,425.58' without saying whether it is per network or per catchment."""
    cost = a["cost_per_network"].moderate
    as_networks = network_cost(population, england_population, a["networks_england"].moderate, cost)
    per_catchment = cost * population / COST_PER
    return (f"The Menu says only that 'the estimated Yearly Cost of Pathway - (Includes non-recurring costs) is "
            f"£{cost:,.2f}': it does not say whether that is per network or per catchment. Its worked saving is for 'a "
            f"notional catchment of 500,000 people', and it plans about {a['networks_england'].moderate:.0f} regional "
            f"networks. This page reads the cost as one network's, so this population's share is "
            f"{fmt.gbp(as_networks)} a year; read as the cost per 500,000 people it would be "
            f"{fmt.gbp(per_catchment)}, and the net saving {fmt.gbp(per_catchment - as_networks)} lower.")


def opportunity_by_kind(calc: Calculator, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Lower back and radicular pain pathway (population formula, no activity data)", CASH_RELEASING, ICB_CCG,
        calc.gross, period.label, implementation_cost=calc.cost,
        note="A population formula, the Menu's savings calculator (about 1 pound a head): no activity data enter it, "
             "and it is not a gap measured in the data. The Menu: 'the majority of this will fall to CCG "
             "commissioners' (less unnecessary activity: imaging, injections, outpatient referrals); it gives no "
             "split, so the whole is counted to ICBs (CCGs until 2022). The pathway's yearly cost is netted as one "
             "network's cost for each of the 15 networks, shared by population (the Menu does not say for what "
             "population its cost is given: see the caveats).",
        outside_totals="a population formula, not a gap measured in activity data")])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext) -> SchemeResult:
    area, period, geography, a = run.area, run.period, run.geography, run.params.assumptions
    rows = tables["spinal_surgery"]
    start = extract_start(rows)
    in_period(rows, "decision_date", period, "surgical decisions")  # refuses a period the data do not cover
    activity = centre_activity(rows, period)  # every centre in England: the benchmark is theirs
    benchmark = Range.of(lambda s: benchmark_conversion(activity["conversion"].dropna(),
                                                        a["benchmark_centile"].value(s)))
    local_rows = area_rows(rows, area, "spinal referrals")
    local = activity[activity.index.isin(area.providers)]
    if local["decisions"].sum() == 0:
        raise DataError(f"no surgical decisions at the spinal centres of {area.name} ({area.code}) in {period.label}")
    measure = _conversion_measure(rows, start, area, period, benchmark.moderate)
    redirected = {s: redirected_at_centres(local, benchmark.get(s)) for s in SCENARIOS}
    attendances = Range.of(lambda s: redirected[s].sum())
    calc = savings_calculator(area.population, geography.england.population, a)
    prov = provider_table(_provider_columns(local, redirected["moderate"],
                                            centre_savings(activity, local.index, geography, a)), measure, geography)
    outputs = [("Gross saving (calculator)", "gbp", calc.gross), ("Pathway cost (networks' share)", "gbp", calc.cost),
               ("Net saving", "gbp", calc.net), ("Spinal networks (population share)", "count", calc.networks),
               ("Benchmark conversion rate", "share", benchmark),
               ("Surgical first attendances redirected", "count", attendances)]
    return SchemeResult(
        context=run, kpis=_kpis(local, local_rows, benchmark.moderate, a, area, period),
        opportunity=opportunity_by_kind(calc, period),
        quantities=[Quantity("Surgical first attendances redirected to triage-and-treat", "attendances",
                             attendances),
                    Quantity("Spinal networks (population share of about 15)", "networks", calc.networks)],
        measure=measure,
        tables=_tables(prov, _yearly(local_rows, start), area, period),
        charts={"waits": _waits_chart(local_rows, start, area)},
        scenario_table=scenario_frame(run.params, outputs),
        caveats=[*CAVEATS, cost_reading(area.population, geography.england.population, a)],
        data_months=(start, rows[list(STEPS)].max().max().to_period("M").to_timestamp()),
        area_providers=area.providers,
        opportunity_note=OPPORTUNITY_NOTE,
    )


def _median_weeks(rows: pd.DataFrame, start: str, end: str, period: Period) -> float | None:
    done = rows[period.mask(rows[end])]
    return None if done.empty else float(weeks_between(done[start], done[end]).median())


def _waits_finding(waits: pd.DataFrame, area: Area) -> str:
    parts = []
    for label, g in waits.groupby("wait", sort=False):
        g = g.dropna().sort_values("month")
        first, last = g.head(12)["weeks"].median(), g.tail(12)["weeks"].median()
        parts.append(f"{label.lower()}: {first:.1f} weeks in the first 12 months, {last:.1f} in the last 12")
    return f"Median waits at the spinal centres of {area.name}, " + "; ".join(parts) + "."
