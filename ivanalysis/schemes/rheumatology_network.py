"""Scheme 19: a coordinated network for specialised rheumatology (Menu of Opportunities, chapter 19).

Lupus (SLE) and systemic vasculitis are rare multisystem diseases that need coordinated multidisciplinary care. The
Menu expects a coordinated network (specialised centres as hubs, sharing care with spokes under agreed protocols
and referral thresholds) to cut by 15-20% the number of these patients who progress to end-stage renal replacement
therapy (RRT): each case avoided saves £30,000 a year, and an estimated minimum of 12 cases avoided is £360,000.
The saving is to be calculated from registry data on at least 90% of patients on high-cost drugs.

The saving here: at each provider, its patients with renal involvement who are at risk of progression and cared
for outside a coordinated network, times England's yearly rate of progression to RRT among such patients (the
progressions expected there), times the reduction, times the yearly cost of a case. Nationally the expected
progressions are exactly those observed (80 in 2017/18, whose 15% is the Menu's 12 cases); using England's rate at
each provider keeps a hub's figure from hanging on a handful of chance cases, and from revealing them. Patients
already cared for within a network (at its hub or a spoke) have its benefit already and count for nothing, so a
provider whose patients are all in a network saves nothing; no better provider is netted off. The saving is net of
the network's cost, the clinician time the Menu names without a figure ('each unit will identify a single clinician
responsible for leading the network strategy'): a lead's hours a year at a consultant's hourly cost (assumptions of
this book, no published source), charged to each provider in proportion to its patients still outside a network.
Registry completeness (high-cost drug starts submitted to the registry, against 90%) is the measure compared across
providers and followed month by month. Few patients start RRT in a year, so the chart of progression by network
status pools England's three financial years ending with the headline year.
"""
from __future__ import annotations

import pandas as pd

from ..config import SCENARIOS
from ..results import (
    COST_AVOIDED,
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
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame

TABLES = ("rheumatology_patients",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "rheumatology_patients": ("provider_code", "diagnosis_date", "network_status", "renal_involvement", "rrt_date",
                              "hcd_start_date", "hcd_registered"),
}
ASSUMPTIONS = {"reduction_share": "share", "cost_per_case": "gbp_per_case", "registry_target": "share",
               "lead_hours_per_year": "hours", "clinician_cost_per_hour": "gbp_per_hour"}
NETWORK = {"hub": "Hub (specialised centre)", "spoke": "Spoke (shared care)", "outside": "Outside a network"}
POOLED_YEARS = 3  # the progression chart pools this many financial years, ending with the headline year


def in_network(status: pd.Series) -> pd.Series:
    """Cared for within a coordinated network: at its hub or at a spoke sharing care with it."""
    return status.isin(["hub", "spoke"])


def known_by(patients: pd.DataFrame, period: Period) -> pd.Series:
    """Diagnosed by the end of the year."""
    return patients["diagnosis_date"] < period.end + pd.Timedelta(days=1)


def at_risk(patients: pd.DataFrame, period: Period) -> pd.Series:
    """Renal involvement, diagnosed by the end of the year, and not on RRT before it began."""
    not_yet = patients["rrt_date"].isna() | (patients["rrt_date"] >= period.start)
    return known_by(patients, period) & (patients["renal_involvement"] == "Y") & not_yet


def started_rrt(patients: pd.DataFrame, period: Period) -> pd.Series:
    return period.mask(patients["rrt_date"])


def expected_progressions(at_risk_outside: float, england_rate: float) -> float:
    """Progressions to RRT expected among patients at risk outside a network, at England's yearly rate."""
    return at_risk_outside * england_rate


def avoided_cases(progressions: float, reduction: float) -> float:
    """Progressions to RRT a network would avoid: the Menu's 15-20% of those now cared for outside one."""
    return progressions * reduction


def saving(cases: float, cost_per_case: float) -> float:
    """A year's cost of RRT for each case avoided (the Menu: £30,000 a case a year)."""
    return cases * cost_per_case


def network_cost(outside: float, patients: float, hours: float, cost_per_hour: float) -> float:
    """A provider's yearly cost of bringing its patients into a network: its lead clinician's hours at the hourly
    cost, in proportion to the share of its patients still outside one (nothing where none is)."""
    return hours * cost_per_hour * outside / patients if patients else 0.0


def pooled_years(period: Period, dates: pd.Series) -> list[Period]:
    """The POOLED_YEARS financial years ending with `period`, those of them the `dates` cover (first to last)."""
    covered = {p.label for p in Period.covering(dates)}
    wanted = [Period.starting(period.start.year - k) for k in reversed(range(POOLED_YEARS))]
    return [p for p in wanted if p.label in covered]


def span_label(years: list[Period]) -> str:
    """'2015/16 to 2017/18', or the one year's label."""
    return years[0].label if len(years) == 1 else f"{years[0].label} to {years[-1].label}"


def provider_counts(patients: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Per provider: patients known by the year's end, those outside a network, renal patients at risk (all and
    outside a network) and RRT starts (all and outside a network)."""
    df = patients[known_by(patients, period)]
    outside = ~in_network(df["network_status"])
    risk, rrt = at_risk(df, period), started_rrt(df, period)
    by = df["provider_code"]
    return pd.DataFrame({
        "patients": by.value_counts(), "outside": outside.groupby(by).sum(),
        "at_risk": risk.groupby(by).sum(), "at_risk_outside": (risk & outside).groupby(by).sum(),
        "rrt": rrt.groupby(by).sum(), "rrt_outside": (rrt & outside).groupby(by).sum(),
    }).astype(int).sort_index()


def network_table(patients: pd.DataFrame, hcd: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Patients, renal progression and registry completeness by network status, with a total row."""
    df = patients[known_by(patients, period)]
    rows = []
    for label, keep, keep_hcd in [*((NETWORK[s], df["network_status"] == s, hcd["network_status"] == s)
                                    for s in NETWORK),
                                  ("All patients", df["network_status"].notna(), hcd["network_status"].notna())]:
        part, drugs = df[keep], hcd[keep_hcd]
        rows.append({"Network status": label, "Patients": len(part), "At risk": int(at_risk(part, period).sum()),
                     "Started RRT": int(started_rrt(part, period).sum()), "High-cost drug starts": len(drugs),
                     "In the registry": int(drugs["registered"].sum())})
    out = pd.DataFrame(rows)
    out["Share of those at risk starting RRT"] = out["Started RRT"] / out["At risk"].where(out["At risk"] > 0)
    out["Registry completeness"] = out["In the registry"] / out["High-cost drug starts"].where(
        out["High-cost drug starts"] > 0)
    return out


def progression_by_status(patients: pd.DataFrame, years: list[Period]) -> pd.DataFrame:
    """Yearly RRT starts per patient at risk, by network status, pooled over `years` (England: enough cases)."""
    rows = []
    for status, label in NETWORK.items():
        part = patients[patients["network_status"] == status]
        starts = sum(int(started_rrt(part, y).sum()) for y in years)
        risk = sum(int(at_risk(part, y).sum()) for y in years)
        rows.append({"Network status": label, "Started RRT": starts, "Patient-years at risk": risk,
                     "Share a year": starts / risk if risk else 0.0})
    return pd.DataFrame(rows)




def drug_starts(patients: pd.DataFrame) -> pd.DataFrame:
    """Patients who started a high-cost drug, each flagged whether the start is recorded in the registry."""
    hcd = patients[patients["hcd_start_date"].notna()].copy()
    hcd["registered"] = hcd["hcd_registered"] == "Y"
    return hcd


def england_rate(patients: pd.DataFrame, period: Period) -> float:
    """England's yearly rate of progression to RRT among patients at risk outside a network (0 if none at risk)."""
    england = provider_counts(patients, period)
    return safe_share(england["rrt_outside"].sum(), england["at_risk_outside"].sum()) or 0.0


def provider_opportunity(counts: pd.DataFrame, rate: float, reduction: float, cost_per_case: float,
                         hours: float = 0.0, cost_per_hour: float = 0.0) -> pd.DataFrame:
    """Per provider (provider_counts' index): progressions to RRT expected outside a network at England's `rate`,
    the cases a network would avoid, their saving (gross), the network's cost there (`network_cost`) and the net."""
    out = pd.DataFrame({"expected": [expected_progressions(k, rate) for k in counts["at_risk_outside"]]},
                       index=counts.index)
    out["cases"] = [avoided_cases(k, reduction) for k in out["expected"]]
    out["saving"] = [saving(c, cost_per_case) for c in out["cases"]]
    out["cost"] = [network_cost(o, n, hours, cost_per_hour) for o, n in zip(counts["outside"], counts["patients"])]
    out["net"] = out["saving"] - out["cost"]
    return out


def provider_registry(starts: pd.DataFrame, providers: pd.Index) -> pd.DataFrame:
    """High-cost drug starts and those in the registry at each of `providers` (0 where none)."""
    g = starts.groupby("provider_code")
    return pd.DataFrame({"starts": g.size().reindex(providers, fill_value=0),
                         "registered": g["registered"].sum().reindex(providers, fill_value=0).astype(int)})


def within_network_rate(by_status: pd.DataFrame) -> float:
    """The yearly rate of progression to RRT at hubs and spokes together (progression_by_status pooled)."""
    within = by_status[by_status["Network status"] != NETWORK["outside"]]
    return safe_share(within["Started RRT"].sum(), within["Patient-years at risk"].sum()) or 0.0


# --- the page ------------------------------------------------------------------------------------------------------
def _kpis(local: pd.DataFrame, counts: pd.DataFrame, local_hcd: pd.DataFrame, rate: float,
          target: float) -> list[KPI]:
    n = len(local)
    return [
        KPI("Patients with lupus or vasculitis", float(n), "count", note="diagnosed by the end of the year"),
        KPI("Patients cared for within a coordinated network", safe_share(n - counts["outside"].sum(), n), "share",
            None, True, "at a hub or a spoke of the network"),
        KPI("Patients with renal involvement at risk of progression", float(int(counts["at_risk"].sum())), "count",
            note="not on renal replacement therapy when the year began"),
        KPI("Patients starting renal replacement therapy", float(counts["rrt"].sum()), "count", None, False,
            "Menu: each case avoided saves £30,000 a year"),
        KPI("Patients starting renal replacement therapy outside a network", float(counts["rrt_outside"].sum()),
            "count", None, False, "the patients the Menu's 15-20% reduction applies to"),
        KPI("England: patients at risk outside a network starting renal replacement therapy", rate,
            "share", None, False, "the yearly rate that gives each provider's expected progressions"),
        KPI("High-cost drug starts recorded in the registry", safe_share(local_hcd["registered"].sum(),
                                                                         len(local_hcd)), "share", target, True,
            "Menu: savings are calculated from registry data on 90% of patients on high-cost drugs"),
        KPI("Patients starting a high-cost drug", float(len(local_hcd)), "count"),
    ]


def _provider_table(counts: pd.DataFrame, opportunity: pd.DataFrame, registry: pd.DataFrame, measure: Measure,
                    run: RunContext) -> Table:
    prov = pd.DataFrame({
        "Patients": counts["patients"], "Outside a network": counts["outside"],
        "Share outside a network": counts["outside"] / counts["patients"],
        "Renal, at risk, outside a network": counts["at_risk_outside"],
        "Started RRT outside a network": counts["rrt_outside"],
        "Expected RRT starts outside a network": opportunity["expected"],
        "High-cost drug starts": registry["starts"], "In the registry": registry["registered"],
    })
    prov["Registry completeness"] = prov["In the registry"] / prov["High-cost drug starts"].where(
        prov["High-cost drug starts"] > 0)
    prov["Cases avoided (moderate)"] = opportunity["cases"]
    prov["RRT avoided (moderate)"] = opportunity["saving"]
    prov["Network cost (moderate)"] = opportunity["cost"]
    prov["Saving (moderate)"] = opportunity["net"]
    return Table(f"Providers of {run.area.name}: patients with lupus or vasculitis, progression to renal replacement "
                 f"therapy and registry completeness, {run.period.label}", provider_table(prov, measure, run.geography),
                 counts=("Patients", "Outside a network", "Renal, at risk, outside a network",
                         "Started RRT outside a network", "High-cost drug starts", "In the registry"),
                 rates={"Share outside a network": ("Outside a network", "Patients"),
                        "Registry completeness": ("In the registry", "High-cost drug starts")},
                 money=("RRT avoided (moderate)", "Network cost (moderate)", "Saving (moderate)"),
                 numbers=("Expected RRT starts outside a network", "Cases avoided (moderate)"),
                 opportunity=("RRT avoided (moderate)", "Network cost (moderate)", "Saving (moderate)",
                              "Cases avoided (moderate)"),
                 # 13 columns at most, so that the table fits a laptop's page: the share, the expected starts and
                 # the cases avoided follow from the columns shown and the area's tables
                 hidden=("Share outside a network", "Expected RRT starts outside a network",
                         "Cases avoided (moderate)"))


def _network_table(local: pd.DataFrame, local_hcd: pd.DataFrame, run: RunContext) -> Table:
    return Table(f"{run.area.name}: patients with lupus or vasculitis by network status, {run.period.label}",
                 network_table(local, local_hcd, run.period),
                 counts=("Patients", "At risk", "Started RRT", "High-cost drug starts", "In the registry"),
                 rates={"Share of those at risk starting RRT": ("Started RRT", "At risk"),
                        "Registry completeness": ("In the registry", "High-cost drug starts")}, rows_are_the_area=True)


def _progression_chart(by_status: pd.DataFrame, years: list[Period]) -> Chart:
    span = span_label(years)
    pooled = f"{span} pooled" if len(years) > 1 else span
    outside = by_status.loc[by_status["Network status"] == NETWORK["outside"], "Share a year"].iloc[0]
    return Chart(
        "bar", by_status, x="Network status", y="Share a year",
        title=f"Patients at risk starting RRT each year, England, {pooled}",
        value_label="Share of patients at risk starting RRT in a year", value_format="percent",
        finding=f"Across England ({pooled}), {outside:.1%} of patients with renal involvement cared for outside a "
                f"coordinated network started renal replacement therapy each year, against "
                f"{within_network_rate(by_status):.1%} of those within one.")


CAVEATS = (
    "Each case avoided saves the cost of renal replacement therapy every year it stays avoided; the figure is one "
    "year's cost, so the value of the network grows over the years.",
    "Only the Menu's renal saving is counted. Its 15-20% reductions in high-cost drug costs and in other long-term "
    "care (lung, vision) are not, so the figure is a floor.",
    "Patients at a hub or a spoke are taken to have the network's benefit already; the reduction applies only to "
    "those outside a network, as the registry records them.",
    "Few patients start renal replacement therapy in a year, so each provider's expected progressions use England's "
    "rate for patients outside a network rather than its own handful of cases; the chart pools England's three "
    "financial years ending with the headline year for the same reason.",
    "Where fewer than 90% of high-cost drug starts are in the registry, the Menu's condition for calculating the "
    "saving is not met and the registry may miss patients.",
    "The network's cost is clinician time, which the Menu names without a figure; no published source gives it, so "
    "the hours a provider's lead gives the network and the cost of an hour are this book's assumptions (see the "
    "assumptions): replace them with the local job plan and cost. The network's own running costs (coordination, "
    "audit) are not named by the Menu and are not counted. The renal saving alone may not cover the clinician time: "
    "the Menu's case also rests on the high-cost drug savings not counted here.",
)


def opportunity_by_kind(gbp: Range, cost: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Renal replacement therapy avoided by slower progression", COST_AVOIDED, NHSE_SPECIALISED, gbp, period.label,
        implementation_cost=cost,
        note="NHS England commissions renal dialysis, so the cost would have fallen to it; but a progression "
             "prevented is a future cost that never arises (the Menu: 'reduced long term care costs'), not spend "
             "that falls from today's. Netted: the clinician time each provider with patients outside a network "
             "gives it, which the Menu names without a figure (hours and hourly cost are this book's assumptions, "
             "unsourced); providers pay it, so the saving and its cost fall to different budgets.")])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext) -> SchemeResult:
    area, period, a = run.area, run.period, run.params.assumptions
    target = a["registry_target"].moderate
    patients = tables["rheumatology_patients"]
    hcd = drug_starts(patients)
    hcd_year = in_period(hcd, "hcd_start_date", period, "high-cost drug starts")
    local = area_rows(patients[known_by(patients, period)], area, "patients with lupus or vasculitis")
    measure = proportion_measure(
        hcd, flag="registered", date="hcd_start_date", area=area, period=period,
        name="Share of high-cost drug starts recorded in the registry", higher_is_better=True, target=target,
        denominator_label="patients starting a high-cost drug")
    local_hcd = hcd_year[hcd_year["provider_code"].isin(local["provider_code"].unique())]

    rate = england_rate(patients, period)
    counts = provider_counts(local, period)
    by_scenario = {s: provider_opportunity(counts, rate, a["reduction_share"].value(s), a["cost_per_case"].value(s),
                                           a["lead_hours_per_year"].value(s), a["clinician_cost_per_hour"].value(s))
                   for s in SCENARIOS}
    progressions = float(by_scenario["moderate"]["expected"].sum())
    cases, gbp = Range.summed(by_scenario, "cases"), Range.summed(by_scenario, "saving")
    cost, net = Range.summed(by_scenario, "cost"), Range.summed(by_scenario, "net")
    years = pooled_years(period, hcd["hcd_start_date"])

    # unit "cases" (not "count") so that a hub's fraction of a case prints with its decimals
    outputs = [("Expected RRT starts outside a network", "cases", Range(progressions, progressions, progressions)),
               ("Progressions to RRT avoided", "cases", cases), ("RRT avoided", "gbp", gbp),
               ("Clinician time for the network", "gbp", cost), ("Saving net of the network's cost", "gbp", net)]
    return SchemeResult(
        context=run, kpis=_kpis(local, counts, local_hcd, rate, target),
        opportunity=opportunity_by_kind(gbp, cost, period),
        quantities=[Quantity("Progressions to renal replacement therapy avoided", "cases", cases)], measure=measure,
        tables={"providers": _provider_table(counts, by_scenario["moderate"],
                                             provider_registry(local_hcd, counts.index), measure, run),
                "network": _network_table(local, local_hcd, run)},
        charts={"progression": _progression_chart(progression_by_status(patients, years), years)},
        scenario_table=scenario_frame(run.params, outputs), caveats=list(CAVEATS),
        data_months=(hcd["hcd_start_date"].min(), hcd["hcd_start_date"].max()), area_providers=area.providers,
        opportunity_note=("Opportunity is counted only for patients cared for outside a coordinated network; patients "
                          "in a network already have its benefit. It is net of the clinician time each provider "
                          "gives the network, in proportion to its patients still outside one."),
    )
