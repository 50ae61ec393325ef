"""Scheme 16: patient activation for long-term conditions (Menu of Opportunities, chapter 16).

The Patient Activation Measure (PAM) places a patient at one of four levels of knowledge, skill and confidence to
manage their own condition. Less activated patients have more unplanned care; tailored interventions (health
coaching, self-management education, peer support) raise activation. The Menu's saving is 'through reduction in
acute unplanned admissions and A&E attendances', calculated from HES, net of the costs it lists: PAM licences and
commissioning the interventions (and team building, not counted here).

The saving here, for a financial year, takes each patient's first assessment in the year:
1. The value of moving a patient up one level (1 to 2, 2 to 3, 3 to 4) is the fall in their unplanned admissions and
   A&E attendances a year, priced, within the patient's service: services differ both in how activated their
   patients are and in how much unplanned care they need, so a gradient pooled across services would credit
   activation with the difference between services. England's rates per patient-year of follow-up come from a
   Poisson model with a factor for the service and one for the level (level_model), one gradient within every
   service; a provider's move across a boundary is valued at its own mix of services among the patients below it.
2. Like for like: a provider's share of patients at or below each level is set against what its own mix of services
   would give at England's shares within each service (indirect standardisation). Beyond chance: that gap is shrunk
   toward 0 by the share of its variance that chance explains (stats.shrinkage; nothing counts unless providers
   differ beyond chance, Cochran's Q at EVIDENCE). The benchmark is the gap of England's better providers (the
   benchmark percentile, best first).
3. At each provider, the fewest one-level moves that bring its shrunk gap to the benchmark's at every boundary.
   Nothing where a provider is already better.
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
from ..stats.shrinkage import between_variance, shrink
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame
from .contract import Tables

TABLES = ("patient_activation",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "patient_activation": ("assessment_id", "provider_code", "patient_id", "assessment_date", "service",
                           "pam_level", "tailored_intervention", "follow_up_days", "unplanned_admissions",
                           "ae_attendances"),
}
ASSUMPTIONS = {"benchmark_percentile": "share", "success_share": "share", "gain_years": "years",
               "intervention_cost": "gbp_per_patient", "licence_cost": "gbp_per_patient",
               "admission_cost": "gbp_per_admission", "ae_cost": "gbp_per_attendance"}
LEVELS = (1, 2, 3, 4)
LEVEL_NAMES = {1: "Level 1: disengaged", 2: "Level 2: becoming aware", 3: "Level 3: taking action",
               4: "Level 4: maintaining"}
MIN_PATIENTS = 20  # providers assessing fewer patients in the year do not set the benchmark (too noisy)
EVIDENCE = 0.05  # providers differ only if they do beyond chance at this level (Cochran's Q)


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


def level_model(df: pd.DataFrame, outcome: str, *, tolerance: float = 1e-10) -> pd.DataFrame:
    """England's rate of `outcome` per patient-year of follow-up by service (rows) and level (columns): a Poisson
    model with a factor for the service and one for the level, rate = a(service) x b(level), fitted by iterative
    proportional fitting, which solves the model's maximum-likelihood equations (Bishop, Fienberg and Holland 1975,
    'Discrete multivariate analysis', ch. 3): fitted and observed counts agree in every service and every level.
    The level factors are one gradient, the same within every service, so the difference between services (in their
    patients' activation and in their use of care) does not enter it. A level with no follow-up anywhere is NaN."""
    years = df.groupby(["service", "pam_level"])["follow_up_days"].sum().unstack("pam_level") / 365.0
    counts = df.groupby(["service", "pam_level"])[outcome].sum().unstack("pam_level")
    years = years.reindex(columns=list(LEVELS)).fillna(0.0)
    counts = counts.reindex(columns=list(LEVELS)).fillna(0.0)
    if counts.to_numpy().sum() == 0:  # none at all: every rate followed is 0
        return (years * 0.0).where(years > 0).rename_axis(columns=None)
    a = pd.Series(1.0, index=years.index)
    b = pd.Series(1.0, index=years.columns)
    for _ in range(1000):
        a = counts.sum(axis=1) / years.mul(b, axis=1).sum(axis=1)
        b_new = counts.sum(axis=0) / years.mul(a, axis=0).sum(axis=0)
        done = np.allclose(b_new.fillna(0), b.fillna(0), rtol=tolerance, atol=0)
        b = b_new
        if done:
            break
    a = counts.sum(axis=1) / years.mul(b, axis=1).sum(axis=1)
    return pd.DataFrame(np.outer(a, b), index=years.index, columns=years.columns).rename_axis(columns=None)


def step_values(admissions: pd.DataFrame, ae: pd.DataFrame, admission_cost: float, ae_cost: float) -> pd.DataFrame:
    """Yearly value of moving one patient of each service (rows) up from level 1, 2 and 3 (columns 1-3): the fall in
    the cost of their unplanned care, from level_model() rates. Never negative: where a higher level happens to show
    more use, the move is valued at nothing."""
    cost = (admissions * admission_cost + ae * ae_cost).reindex(columns=list(LEVELS))
    steps = cost[list(LEVELS[:-1])].to_numpy() - cost[list(LEVELS[1:])].to_numpy()
    return pd.DataFrame(np.nan_to_num(np.clip(steps, 0.0, None)), index=cost.index, columns=list(LEVELS[:-1]))


def level_counts(df: pd.DataFrame, by: tuple[str, ...] = ("provider_code",)) -> pd.DataFrame:
    """Patients at each level (columns 1-4), by provider (or by provider and service)."""
    counts = df.groupby([*by, "pam_level"]).size().unstack("pam_level")
    return counts.reindex(columns=list(LEVELS)).fillna(0).astype(int).rename_axis(columns=None)


def england_cumulative(counts: pd.DataFrame) -> pd.DataFrame:
    """England's share of each service's patients at or below levels 1, 2 and 3 (`counts`: level_counts() by
    provider and service)."""
    by_service = counts.groupby(level="service").sum()
    return by_service.cumsum(axis=1).div(by_service.sum(axis=1), axis=0)[list(LEVELS[:-1])]


def standardised_gaps(counts: pd.DataFrame, england: pd.DataFrame) -> pd.DataFrame:
    """Per provider and boundary (1, 2, 3): `observed` patients at or below the level, `expected` at England's share
    of each of its services (england_cumulative()), `variance` of the observed count by chance (binomial within each
    service) and `gap` = (observed - expected) / patients; with `patients`. `counts`: level_counts() by provider and
    service. Lower is better."""
    cumulative = counts.cumsum(axis=1)[list(LEVELS[:-1])]
    share = england.reindex(counts.index.get_level_values("service")).to_numpy()
    n = counts.sum(axis=1).to_numpy()[:, None]
    parts = {"observed": cumulative.to_numpy(), "expected": n * share, "variance": n * share * (1 - share)}
    frames = {k: pd.DataFrame(v, index=counts.index, columns=list(LEVELS[:-1])).groupby(level="provider_code").sum()
              for k, v in parts.items()}
    patients = counts.sum(axis=1).groupby(level="provider_code").sum()
    out = pd.concat(frames, axis=1)
    for boundary in LEVELS[:-1]:
        out[("gap", boundary)] = (out[("observed", boundary)] - out[("expected", boundary)]) / patients
    out[("patients", 0)] = patients
    return out


def shrunk_gaps(gaps: pd.DataFrame) -> pd.DataFrame:
    """Each provider's gap at each boundary (standardised_gaps()) shrunk toward 0, England's mix-for-mix level, by
    B = sigma2 / (sigma2 + variance / patients^2); sigma2 is the providers' variance beyond chance (0 unless they
    differ beyond chance at EVIDENCE)."""
    out = pd.DataFrame(index=gaps.index, columns=list(LEVELS[:-1]), dtype=float)
    n = gaps[("patients", 0)]
    for boundary in LEVELS[:-1]:
        gap, variance = gaps[("gap", boundary)], gaps[("variance", boundary)] / n**2
        varies = variance > 0
        sigma2 = between_variance(gap[varies], variance[varies], evidence=EVIDENCE) if varies.sum() > 1 else 0.0
        out[boundary], _, _ = shrink(gap, variance, 0.0, sigma2)
    return out


def benchmark_gaps(shrunk: pd.DataFrame, patients: pd.Series, percentile: float) -> np.ndarray:
    """The benchmark's gap at boundaries 1, 2 and 3: at each, the shrunk gap of the provider at `percentile` of
    providers, best first (0.75: better than three quarters of providers). Providers of fewer than MIN_PATIENTS do
    not set it."""
    big = shrunk[patients.reindex(shrunk.index) >= MIN_PATIENTS]
    if big.empty:
        big = shrunk
    return np.quantile(big.to_numpy(dtype=float), 1.0 - percentile, axis=0)


def one_level_moves(counts: np.ndarray, excess: np.ndarray) -> np.ndarray:
    """Moves up across the boundaries 1|2, 2|3 and 3|4: `excess` patients at or below each level beyond the
    benchmark, each possible: across a boundary, no more than the patients at the level above it, with those moved
    into it from below. `counts` are patients at levels 1-4."""
    moves = np.clip(np.asarray(excess, dtype=float), 0.0, None)
    moves[0] = min(moves[0], counts[0])
    for boundary in (1, 2):
        moves[boundary] = min(moves[boundary], counts[boundary] + moves[boundary - 1])
    return moves


def net_saving(moves: np.ndarray, steps: np.ndarray, patients: float, *, success: float, gain_years: float,
               intervention_cost: float, licence_cost: float) -> dict[str, float]:
    """A provider's yearly gross saving, costs and net saving (nothing where there is no move, or no net gain)."""
    gross = float(moves @ steps)
    offered = float(moves.sum()) / success if success > 0 else 0.0
    costs = offered * intervention_cost / gain_years + patients * licence_cost if moves.sum() > 0 else 0.0
    return {"moves": float(moves.sum()), "offered": offered, "gross": gross, "costs": costs,
            "net": max(0.0, gross - costs)}


def provider_steps(by_service: pd.DataFrame, steps: pd.DataFrame) -> np.ndarray:
    """A provider's value of a move across boundaries 1, 2 and 3 (step_values() rows by service), at its own mix of
    services among the patients at or below each level (`by_service`: its level_counts() by service)."""
    below = by_service.cumsum(axis=1)[list(LEVELS[:-1])]
    values = steps.reindex(below.index).fillna(0.0)
    weight = below.sum(axis=0)
    return ((below * values).sum(axis=0) / weight.where(weight > 0)).fillna(0.0).to_numpy()


def provider_savings(counts: pd.DataFrame, excess: pd.DataFrame, steps: pd.DataFrame, *, success: float,
                     gain_years: float, intervention_cost: float, licence_cost: float) -> pd.DataFrame:
    """Each provider's moves, gross saving, costs and net saving. `counts`: level_counts() by provider and service;
    `excess`: patients to move at each boundary by provider; `steps`: step_values()."""
    rows = {}
    for provider, by_service in counts.groupby(level="provider_code"):
        by_service = by_service.droplevel("provider_code")
        moves = one_level_moves(by_service.sum(axis=0).to_numpy(dtype=float), excess.loc[provider].to_numpy())
        rows[provider] = net_saving(moves, provider_steps(by_service, steps), float(by_service.to_numpy().sum()),
                                    success=success, gain_years=gain_years, intervention_cost=intervention_cost,
                                    licence_cost=licence_cost)
    return pd.DataFrame.from_dict(rows, orient="index")


# --- the analysis: the arithmetic ----------------------------------------------------------------------------------
def first_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """first_in_year(), each flagged `activated` at level 3 or 4 (the measure's flag)."""
    out = first_in_year(assessments)
    out["activated"] = out["pam_level"] >= 3
    return out


def comparison(year: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """England's providers' like-for-like comparison in the year's first assessments: level_counts() by provider and
    service, and each provider's gaps (standardised_gaps()) with the shrunk gaps under ("shrunk", boundary)."""
    counts = level_counts(year, ("provider_code", "service"))
    gaps = standardised_gaps(counts, england_cumulative(counts))
    shrunk = shrunk_gaps(gaps)
    for boundary in LEVELS[:-1]:
        gaps[("shrunk", boundary)] = shrunk[boundary]
    return counts, gaps


def benchmarks(gaps: pd.DataFrame, params: SchemeParams) -> dict[str, np.ndarray]:
    """benchmark_gaps() of England's providers (`gaps` from comparison()) under each scenario."""
    percentile = params.assumptions["benchmark_percentile"]
    return {s: benchmark_gaps(gaps["shrunk"], gaps[("patients", 0)], percentile.value(s)) for s in SCENARIOS}


def excess_patients(gaps: pd.DataFrame, benchmark: np.ndarray) -> pd.DataFrame:
    """Patients at or below each level beyond the benchmark, by provider and boundary: (shrunk gap - the benchmark's
    gap) x patients, nothing where the provider is better."""
    return (gaps["shrunk"] - benchmark).clip(lower=0.0).mul(gaps[("patients", 0)], axis=0)


def scenario_savings(counts: pd.DataFrame, gaps: pd.DataFrame, models: dict[str, pd.DataFrame],
                     bench: dict[str, np.ndarray], params: SchemeParams) -> dict[str, pd.DataFrame]:
    """provider_savings() of the providers of `counts` (level_counts() by provider and service) under each scenario,
    their gaps (comparison()) against the benchmark, each move valued at England's unplanned care by level within
    service (`models`: level_model() of admissions and A&E attendances)."""
    a = params.assumptions
    out = {}
    for s in SCENARIOS:
        steps = step_values(models["admissions"], models["ae"], a["admission_cost"].value(s), a["ae_cost"].value(s))
        out[s] = provider_savings(
            counts, excess_patients(gaps, bench[s]), steps, success=a["success_share"].value(s),
            gain_years=a["gain_years"].value(s), intervention_cost=a["intervention_cost"].value(s),
            licence_cost=a["licence_cost"].value(s))
    return out


def area_target(gaps: pd.DataFrame, benchmark: np.ndarray) -> float:
    """The share at level 3 or 4 the area's providers would have at the benchmark, for their mix of services: 1 less
    the share at or below level 2 that England's shares within each service give them, less the benchmark's gap."""
    patients = gaps[("patients", 0)].sum()
    return float(1.0 - gaps[("expected", 2)].sum() / patients - benchmark[1])


def small_levels(levels: pd.DataFrame) -> np.ndarray:
    """Levels (rates_by_level()) with a small count of patients, admissions or A&E attendances: a rate built on one
    would give the count away."""
    return levels[["patients", "admissions", "ae"]].apply(sdc.small).any(axis=1).to_numpy()


# --- the analysis: what the page shows -----------------------------------------------------------------------------
CAVEATS = [
    "Providers are compared like for like: each one's share of patients at each level against what its own mix of "
    "services would give at England's shares within each service (the funnel plot shows crude shares). Only "
    "differences beyond chance count: each provider's gap is shrunk toward England's by how much of the spread "
    "between providers chance explains.",
    "A move up a level is valued at England's fall in unplanned care within the patient's service (a Poisson model "
    "with a factor for the service and one for the level), at the provider's own mix of services: pooled across "
    "services the fall looks steeper, since the services whose patients are least activated also need the most "
    "unplanned care.",
    "Less activated patients use more unplanned care partly because they are sicker: the difference "
    "between levels, even within a service, overstates what raising activation alone would avoid.",
    "Each patient's first assessment in the year counts, with their unplanned care in the follow-up the data hold "
    "(up to 12 months): assessments late in the year are followed until the data end, and rates are per "
    "patient-year followed, which takes the rate to be steady over the year after assessment.",
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
            "target: the benchmark (moderate scenario) of England's better providers, for the area's mix of "
            "services"),
        KPI("Patients at activation level 1", safe_share((local["pam_level"] == 1).sum(), n), "share", None, False),
        KPI("Patients who received a tailored intervention", float(intervened.sum()), "count", None, True,
            "Menu: number of patients who receive tailored intervention"),
        KPI("Patients at level 1 or 2 who received a tailored intervention",
            safe_share((intervened & low_activation).sum(), low_activation.sum()), "share", None, True),
        KPI("Unplanned admissions per 100 patients a year", safe_share(100 * levels["admissions"].sum(), years),
            "rate", None, False, "per patient-year followed, up to 12 months after assessment (HES)"),
        KPI("A&E attendances per 100 patients a year", safe_share(100 * levels["ae"].sum(), years),
            "rate", None, False, "per patient-year followed, up to 12 months after assessment (HES)"),
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
                 numbers=("One-level moves (moderate)",),
                 opportunity=("Gross saving (moderate)", "Costs (moderate)", "Saving (moderate)",
                              "One-level moves (moderate)"))


def relative_to_level_1(model: pd.DataFrame) -> np.ndarray:
    """A level_model()'s gradient: each level's rate as a percentage of level 1's, the same in every service."""
    total = model.sum(axis=0)
    return (100 * total / total[LEVELS[0]]).reindex(list(LEVELS)).to_numpy()


def levels_table(levels: pd.DataFrame, n: int, england: pd.DataFrame, models: dict[str, pd.DataFrame],
                 run: RunContext) -> Table:
    """The area's `n` patients and their unplanned care by level (`levels`) beside England's crude rates (`england`)
    and England's gradient within service (`models`: level_model() of admissions and A&E); below England a level's
    rates are left out where they rest on a small count."""
    frame = pd.DataFrame({
        "Activation level": [LEVEL_NAMES[v] for v in LEVELS], "Patients": levels["patients"].to_numpy(),
        "Share": levels["patients"].to_numpy() / n, "Total": n, "Patient-years followed": levels["years"].to_numpy(),
        "Unplanned admissions": levels["admissions"].to_numpy(), "A&E attendances": levels["ae"].to_numpy(),
        "Admissions per 100 patients a year": 100 * levels["admission_rate"].to_numpy(),
        "A&E attendances per 100 patients a year": 100 * levels["ae_rate"].to_numpy(),
        "England: admissions per 100 a year": 100 * england["admission_rate"].to_numpy(),
        "England: A&E per 100 a year": 100 * england["ae_rate"].to_numpy(),
        "England within service: admissions, % of level 1": relative_to_level_1(models["admissions"]),
        "England within service: A&E, % of level 1": relative_to_level_1(models["ae"])})
    if run.area.is_national:  # England's own rates are the area's: no need to show them twice
        frame = frame.drop(columns=["England: admissions per 100 a year", "England: A&E per 100 a year"])
    else:
        small = small_levels(levels)
        for column in ("Admissions per 100 patients a year", "A&E attendances per 100 patients a year"):
            frame.loc[small, column] = np.nan
    return Table(f"{run.area.name}: patients assessed and their unplanned care in up to 12 months of follow-up, by "
                 f"activation level, {run.period.label}", frame,
                 hidden=("Total", "Patient-years followed"),  # it would give the patients' exact count
                 counts=("Patients", "Total", "Unplanned admissions", "A&E attendances"),
                 rates={"Share": ("Patients", "Total")},
                 numbers=("Admissions per 100 patients a year", "A&E attendances per 100 patients a year",
                          "England: admissions per 100 a year", "England: A&E per 100 a year",
                          "England within service: admissions, % of level 1",
                          "England within service: A&E, % of level 1"),
                 independent=("England: admissions per 100 a year", "England: A&E per 100 a year",
                              "England within service: admissions, % of level 1",
                              "England within service: A&E, % of level 1"),
                 rows_are_the_area=True)


def _chart(frame: pd.DataFrame, what: str, title: str) -> Chart:
    first, last = frame["Rate"].iloc[0], frame["Rate"].iloc[-1]
    finding = (f"For the same mix of services, patients at level 1 had {first:.0f} {what} per 100 patients a year, "
               f"against {last:.0f} at level 4"
               + (f": {1 - last / first:.0%} fewer at the most activated level." if first > last else "."))
    return Chart("bar", frame, x="Level", y="Rate", title=title,
                 value_label=f"{what[0].upper()}{what[1:]} per 100 patients a year", finding=finding)


def level_charts(local: pd.DataFrame, models: dict[str, pd.DataFrame], run: RunContext) -> dict[str, Chart]:
    """Unplanned care by level within service: England's rates by service and level (`models`: level_model()) at the
    area's mix of services (`local`: its first assessments), so that the bars differ only by level."""
    mix = local["service"].value_counts(normalize=True)
    where, period = run.area.name, run.period.label
    charts = {}
    for key, what, title in (("admissions", "unplanned admissions", "Unplanned admissions"),
                             ("ae", "A&E attendances", "A&E attendances")):
        rates = models[key].reindex(mix.index).mul(mix, axis=0).sum(axis=0)
        frame = pd.DataFrame({"Level": [LEVEL_NAMES[v] for v in LEVELS],
                              "Rate": 100 * rates.reindex(list(LEVELS)).to_numpy()})
        charts[key] = _chart(frame, what, f"{title} by activation level within service: England's rates at "
                                          f"{where}'s mix of services, {period}")
    return charts


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
    england_rates = rates_by_level(year)
    models = {"admissions": level_model(year, "unplanned_admissions"), "ae": level_model(year, "ae_attendances")}
    counts, gaps = comparison(year)
    bench = benchmarks(gaps, params)
    mine = gaps.index.isin(local["provider_code"].unique())
    target = area_target(gaps[mine], bench["moderate"])
    measure = proportion_measure(
        all_first, flag="activated", date="assessment_date", area=area, period=period,
        name="Share of patients assessed at activation level 3 or 4", higher_is_better=True, target=target,
        denominator_label="patients assessed")
    by_scenario = scenario_savings(counts[counts.index.get_level_values("provider_code").isin(gaps.index[mine])],
                                   gaps[mine], models, bench, params)
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
        tables={"providers": providers_table(level_counts(local), by_scenario["moderate"], measure, run),
                "levels": levels_table(levels, len(local), england_rates, models, run)},
        charts=level_charts(local, models, run),
        scenario_table=scenario_frame(params, outputs),
        caveats=list(CAVEATS),
        data_months=(all_first["assessment_date"].min(), all_first["assessment_date"].max()),
        area_providers=area.providers,
    )
