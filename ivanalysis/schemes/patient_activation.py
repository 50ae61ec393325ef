"""Scheme 16: patient activation for long-term conditions (Menu of Opportunities, chapter 16).

The Patient Activation Measure (PAM) places a patient at one of four levels of knowledge, skill and confidence to
manage their own condition. Less activated patients have more unplanned care; tailored interventions (health
coaching, self-management education, peer support) raise activation. The Menu's saving is 'through reduction in
acute unplanned admissions and A&E attendances', calculated from HES, net of the costs it lists: PAM licences and
commissioning the interventions (and team building, not counted here).

The saving here, for a financial year, takes each patient's first assessment in the year:
1. England's unplanned admissions and A&E attendances per patient a year at each level, valued at a price per
   admission and per attendance, give the yearly value of moving a patient up one level (1 to 2, 2 to 3, 3 to 4).
2. The benchmark is the level mix of England's better providers: at each level boundary, the share of patients at
   or below it at the benchmark percentile of providers (0.75: the best quarter).
3. At each provider, the fewest one-level moves that bring its mix to the benchmark: across each boundary, the
   patients at or below it in excess of the benchmark share. Nothing where a provider is already better.
4. The moves need tailored interventions for the moves divided by the share of patients an intervention moves up a
   level; their cost is spread over the years the gain lasts, and every patient the provider assesses needs a PAM
   licence. The saving is the value of the moves less these costs, counted only where it is positive.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import sdc
from ..config import SCENARIOS, SchemeParams
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
)
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame
from .contract import Tables

TABLES = ("patient_activation",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "patient_activation": ("assessment_id", "provider_code", "patient_id", "assessment_date", "pam_level",
                           "tailored_intervention", "follow_up_days", "unplanned_admissions", "ae_attendances"),
}
ASSUMPTIONS = {"benchmark_percentile": "share", "success_share": "share", "gain_years": "years",
               "intervention_cost": "gbp_per_patient", "licence_cost": "gbp_per_patient",
               "admission_cost": "gbp_per_admission", "ae_cost": "gbp_per_attendance"}
LEVELS = (1, 2, 3, 4)
LEVEL_NAMES = {1: "Level 1: disengaged", 2: "Level 2: becoming aware", 3: "Level 3: taking action",
               4: "Level 4: maintaining"}
MIN_PATIENTS = 20  # providers assessing fewer patients in the year do not set the benchmark (too noisy)


def first_in_year(assessments: pd.DataFrame) -> pd.DataFrame:
    """Each patient's first assessment in each financial year: one follow-up year per patient, none overlapping."""
    fy = assessments["assessment_date"].dt.to_period("Q-MAR").dt.qyear
    ordered = assessments.assign(_fy=fy).sort_values(["assessment_date", "assessment_id"], kind="stable")
    return ordered.drop_duplicates(["patient_id", "_fy"]).drop(columns="_fy").sort_index()


def rates_by_level(df: pd.DataFrame) -> pd.DataFrame:
    """Per level: patients, patient-years of follow-up, admissions and A&E attendances, and each per patient a year."""
    g = df.groupby("pam_level")
    out = pd.DataFrame({"patients": g.size(), "years": g["follow_up_days"].sum() / 365.0,
                        "admissions": g["unplanned_admissions"].sum(), "ae": g["ae_attendances"].sum()})
    out = out.reindex(LEVELS, fill_value=0)
    out["admission_rate"] = out["admissions"] / out["years"].where(out["years"] > 0)
    out["ae_rate"] = out["ae"] / out["years"].where(out["years"] > 0)
    return out


def step_values(rates: pd.DataFrame, admission_cost: float, ae_cost: float) -> np.ndarray:
    """Yearly value of moving one patient up from level 1, 2 and 3: the fall in the cost of their unplanned care.

    Never negative: where a higher level happens to show more use, the move is valued at nothing.
    """
    cost = (rates["admission_rate"] * admission_cost + rates["ae_rate"] * ae_cost).reindex(LEVELS).to_numpy()
    return np.nan_to_num(np.clip(cost[:-1] - cost[1:], 0.0, None))


def level_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Patients at each level (columns 1-4), by provider."""
    counts = df.groupby(["provider_code", "pam_level"]).size().unstack("pam_level")
    return counts.reindex(columns=list(LEVELS)).fillna(0).astype(int).rename_axis(columns=None)


def benchmark_cumulative(counts: pd.DataFrame, percentile: float) -> np.ndarray:
    """The benchmark's share of patients at or below levels 1, 2 and 3: at each boundary, the share of the provider
    at `percentile` of providers, best first (0.75: better than three quarters of providers). Lower is better."""
    big = counts[counts.sum(axis=1) >= MIN_PATIENTS]
    if big.empty:
        big = counts
    cumulative = big.cumsum(axis=1).div(big.sum(axis=1), axis=0)[list(LEVELS[:-1])]
    return np.quantile(cumulative.to_numpy(), 1.0 - percentile, axis=0)


def one_level_moves(counts: np.ndarray, benchmark: np.ndarray) -> np.ndarray:
    """Moves up across the boundaries 1|2, 2|3 and 3|4 that bring a provider's level mix to the benchmark.

    `counts` are patients at levels 1-4; across boundary L, the patients at or below L beyond the benchmark share.
    Each is possible: the patients at a level (with those moved into it) always cover those moved out of it.
    """
    n = counts.sum()
    return np.clip(np.cumsum(counts)[:-1] - benchmark * n, 0.0, None)


def net_saving(moves: np.ndarray, steps: np.ndarray, patients: float, *, success: float, gain_years: float,
               intervention_cost: float, licence_cost: float) -> dict[str, float]:
    """A provider's yearly gross saving, costs and net saving (nothing where there is no move, or no net gain)."""
    gross = float(moves @ steps)
    offered = float(moves.sum()) / success if success > 0 else 0.0
    costs = offered * intervention_cost / gain_years + patients * licence_cost if moves.sum() > 0 else 0.0
    return {"moves": float(moves.sum()), "offered": offered, "gross": gross, "costs": costs,
            "net": max(0.0, gross - costs)}


def provider_savings(counts: pd.DataFrame, steps: np.ndarray, benchmark: np.ndarray, *, success: float,
                     gain_years: float, intervention_cost: float, licence_cost: float) -> pd.DataFrame:
    rows = {}
    for provider, c in counts.iterrows():
        moves = one_level_moves(c.to_numpy(dtype=float), benchmark)
        rows[provider] = net_saving(moves, steps, float(c.sum()), success=success, gain_years=gain_years,
                                    intervention_cost=intervention_cost, licence_cost=licence_cost)
    return pd.DataFrame.from_dict(rows, orient="index")


# --- the analysis: the arithmetic ----------------------------------------------------------------------------------
def first_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """first_in_year(), each flagged `activated` at level 3 or 4 (the measure's flag)."""
    out = first_in_year(assessments)
    out["activated"] = out["pam_level"] >= 3
    return out


def benchmarks(counts: pd.DataFrame, params: SchemeParams) -> dict[str, np.ndarray]:
    """benchmark_cumulative() of England's providers (`counts` is level_counts()) under each scenario."""
    return {s: benchmark_cumulative(counts, params.assumptions["benchmark_percentile"].value(s)) for s in SCENARIOS}


def scenario_savings(counts: pd.DataFrame, rates: pd.DataFrame, bench: dict[str, np.ndarray],
                     params: SchemeParams) -> dict[str, pd.DataFrame]:
    """provider_savings() of the area's providers (`counts`) under each scenario, each move valued at England's
    unplanned care by level (`rates` is rates_by_level())."""
    a = params.assumptions
    out = {}
    for s in SCENARIOS:
        steps = step_values(rates, a["admission_cost"].value(s), a["ae_cost"].value(s))
        out[s] = provider_savings(
            counts, steps, bench[s], success=a["success_share"].value(s), gain_years=a["gain_years"].value(s),
            intervention_cost=a["intervention_cost"].value(s), licence_cost=a["licence_cost"].value(s))
    return out


def small_levels(levels: pd.DataFrame) -> np.ndarray:
    """Levels (rates_by_level()) with a small count of patients, admissions or A&E attendances: a rate built on one
    would give the count away."""
    return levels[["patients", "admissions", "ae"]].apply(sdc.small).any(axis=1).to_numpy()


# --- the analysis: what the page shows -----------------------------------------------------------------------------
CAVEATS = [
    "Less activated patients use more unplanned care partly because they are sicker: the difference "
    "between levels overstates what raising activation alone would avoid.",
    "The value of a move uses England's use of unplanned care at each level, so that a small provider's "
    "chance variation does not drive its saving.",
    "Each patient's first assessment in the year counts, with their unplanned care in the following 12 "
    "months; assessments late in 2017/18 have less than a year of follow-up in these data.",
    "Team-building and staff training costs, which the Menu also lists, are one-off and not counted.",
    "Licences are counted for every patient a provider assesses, where it has an opportunity; a national "
    "licence may already cover them.",
]


def headline_kpis(local: pd.DataFrame, levels: pd.DataFrame, target: float) -> list[KPI]:
    """`local`: the area's first assessments in the period; `levels`: rates_by_level() of them."""
    n = len(local)
    low_activation = local["pam_level"] <= 2
    intervened = local["tailored_intervention"] == "Y"
    years = levels["years"].sum()
    return [
        KPI("Patients assessed with the PAM", float(n), "count", note="first assessment of each patient in the year"),
        KPI("Patients at activation level 3 or 4", safe_share(local["activated"].sum(), n), "share", target, True,
            "target: the benchmark (moderate scenario) of England's better providers"),
        KPI("Patients at activation level 1", safe_share((local["pam_level"] == 1).sum(), n), "share", None, False),
        KPI("Patients who received a tailored intervention", float(intervened.sum()), "count", None, True,
            "Menu: number of patients who receive tailored intervention"),
        KPI("Patients at level 1 or 2 who received a tailored intervention",
            safe_share((intervened & low_activation).sum(), low_activation.sum()), "share", None, True),
        KPI("Unplanned admissions per 100 patients a year", safe_share(100 * levels["admissions"].sum(), years),
            "rate", None, False, "in the 12 months after assessment (HES)"),
        KPI("A&E attendances per 100 patients a year", safe_share(100 * levels["ae"].sum(), years),
            "rate", None, False, "in the 12 months after assessment (HES)"),
    ]


def providers_table(counts: pd.DataFrame, moderate: pd.DataFrame, measure: Measure, run: RunContext) -> Table:
    """`counts`: level_counts() of the area's providers; `moderate`: their provider_savings() (moderate)."""
    prov = counts.rename(columns={v: f"Level {v}" for v in LEVELS})
    prov.insert(0, "Patients assessed", counts.sum(axis=1))
    prov["Share at level 3 or 4"] = (counts[3] + counts[4]) / prov["Patients assessed"]
    prov["Level 3 or 4"] = counts[3] + counts[4]
    prov["One-level moves (moderate)"] = moderate["moves"]
    prov["Gross saving (moderate)"] = moderate["gross"]
    prov["Costs (moderate)"] = moderate["costs"]
    prov["Saving (moderate)"] = moderate["net"]
    return Table(f"Providers of {run.area.name}: patients assessed by activation level, {run.period.label}",
                 provider_table(prov, measure, run.geography), hidden=("Level 3 or 4",),
                 counts=("Patients assessed", "Level 1", "Level 2", "Level 3", "Level 4", "Level 3 or 4"),
                 rates={"Share at level 3 or 4": ("Level 3 or 4", "Patients assessed")},
                 money=("Gross saving (moderate)", "Costs (moderate)", "Saving (moderate)"),
                 numbers=("One-level moves (moderate)",))


def levels_table(levels: pd.DataFrame, n: int, england: pd.DataFrame, run: RunContext) -> Table:
    """The area's `n` patients and their unplanned care by level (`levels`) beside England's rates (`england`);
    below England a level's rates are left out where they rest on a small count."""
    frame = pd.DataFrame({
        "Activation level": [LEVEL_NAMES[v] for v in LEVELS], "Patients": levels["patients"].to_numpy(),
        "Share": levels["patients"].to_numpy() / n, "Total": n, "Patient-years followed": levels["years"].to_numpy(),
        "Unplanned admissions": levels["admissions"].to_numpy(), "A&E attendances": levels["ae"].to_numpy(),
        "Admissions per 100 patients a year": 100 * levels["admission_rate"].to_numpy(),
        "A&E attendances per 100 patients a year": 100 * levels["ae_rate"].to_numpy(),
        "England: admissions per 100 a year": 100 * england["admission_rate"].to_numpy(),
        "England: A&E per 100 a year": 100 * england["ae_rate"].to_numpy()})
    if run.area.is_national:  # England's own rates are the area's: no need to show them twice
        frame = frame.drop(columns=["England: admissions per 100 a year", "England: A&E per 100 a year"])
    else:
        small = small_levels(levels)
        for column in ("Admissions per 100 patients a year", "A&E attendances per 100 patients a year"):
            frame.loc[small, column] = np.nan
    return Table(f"{run.area.name}: patients assessed and their unplanned care in the following 12 months, by "
                 f"activation level, {run.period.label}", frame,
                 hidden=("Total", "Patient-years followed"),  # it would give the patients' exact count
                 counts=("Patients", "Total", "Unplanned admissions", "A&E attendances"),
                 rates={"Share": ("Patients", "Total")},
                 numbers=("Admissions per 100 patients a year", "A&E attendances per 100 patients a year",
                          "England: admissions per 100 a year", "England: A&E per 100 a year"),
                 rows_are_the_area=True)


def _chart(levels: pd.DataFrame, column: str, what: str, title: str) -> Chart:
    frame = pd.DataFrame({"Level": [LEVEL_NAMES[v] for v in LEVELS], "Rate": levels[column].to_numpy()})
    first, last = frame["Rate"].iloc[0], frame["Rate"].iloc[-1]
    finding = (f"Patients at level 1 had {first:.0f} {what} per 100 patients a year, against {last:.0f} at level 4"
               + (f": {1 - last / first:.0%} fewer at the most activated level." if first > last else "."))
    return Chart("bar", frame, x="Level", y="Rate", title=title,
                 value_label=f"{what[0].upper()}{what[1:]} per 100 patients a year", finding=finding)


def level_charts(levels: pd.DataFrame, england: pd.DataFrame, run: RunContext) -> dict[str, Chart]:
    """Unplanned care by level: the area's, or England's where a level of the area rests on a small count."""
    area, period = run.area, run.period.label
    use_area = area.is_national or not small_levels(levels).any()
    shown, where = (levels, area.name) if use_area else (england, f"England (too few patients in {area.name})")
    shown = shown.assign(admissions_100=100 * shown["admission_rate"], ae_100=100 * shown["ae_rate"])
    return {
        "admissions": _chart(shown, "admissions_100", "unplanned admissions",
                             f"Unplanned admissions by activation level, {where}, {period}"),
        "ae": _chart(shown, "ae_100", "A&E attendances", f"A&E attendances by activation level, {where}, {period}"),
    }


def counted(by_scenario: dict[str, pd.DataFrame], column: str) -> Range:
    """`column` summed over the providers counted: those with a net gain (elsewhere nothing would be done)."""
    return Range.of(lambda s: by_scenario[s].loc[by_scenario[s]["net"] > 0, column].sum())


def opportunity_by_kind(by_scenario: dict[str, pd.DataFrame], period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Unplanned admissions and A&E attendances avoided", CASH_RELEASING, ICB_CCG, counted(by_scenario, "gross"),
        period.label, implementation_cost=counted(by_scenario, "costs"),
        note="The Menu's saving is 'through reduction in acute unplanned admissions and A&E attendances': A&E and "
             "emergency admissions are commissioned by ICBs (CCGs until 2022), except a specialised service's own "
             "admissions (to a renal unit, say), which the data do not tell apart. The interventions and PAM licences "
             "the Menu lists are netted as it asks, though the provider (or NHS England's specialised CQUIN) pays "
             "them: the saving and its cost fall to different budgets.")])


# --- the analysis --------------------------------------------------------------------------------------------------
def analyse(tables: Tables, run: RunContext) -> SchemeResult:
    area, period, params = run.area, run.period, run.params
    all_first = first_assessments(tables["patient_activation"])
    year = in_period(all_first, "assessment_date", period, "PAM assessments")
    local = area_rows(year, area, "PAM assessments")
    england_counts, england_rates = level_counts(year), rates_by_level(year)
    bench = benchmarks(england_counts, params)
    target = float(1.0 - bench["moderate"][1])  # the benchmark's share at levels 3 and 4
    measure = proportion_measure(
        all_first, flag="activated", date="assessment_date", area=area, period=period,
        name="Share of patients assessed at activation level 3 or 4", higher_is_better=True, target=target,
        denominator_label="patients assessed")
    counts = england_counts[england_counts.index.isin(area.providers)]
    by_scenario = scenario_savings(counts, england_rates, bench, params)
    levels = rates_by_level(local)
    outputs = [("One-level moves up", "moves", Range.summed(by_scenario, "moves")),
               ("Patients offered a tailored intervention", "patients", Range.summed(by_scenario, "offered")),
               ("Unplanned care avoided at the providers counted (gross)", "gbp", counted(by_scenario, "gross")),
               ("Intervention and licence costs at the providers counted", "gbp", counted(by_scenario, "costs")),
               ("Saving", "gbp", Range.summed(by_scenario, "net"))]
    return SchemeResult(
        context=run, kpis=headline_kpis(local, levels, target),
        opportunity=opportunity_by_kind(by_scenario, period),
        quantities=[Quantity("Moves up one activation level", "moves", Range.summed(by_scenario, "moves")),
                    Quantity("Patients offered a tailored intervention", "patients",
                             Range.summed(by_scenario, "offered"))],
        measure=measure,
        tables={"providers": providers_table(counts, by_scenario["moderate"], measure, run),
                "levels": levels_table(levels, len(local), england_rates, run)},
        charts=level_charts(levels, england_rates, run),
        scenario_table=scenario_frame(params, outputs),
        caveats=list(CAVEATS),
        data_months=(all_first["assessment_date"].min(), all_first["assessment_date"].max()),
        area_providers=area.providers,
    )
