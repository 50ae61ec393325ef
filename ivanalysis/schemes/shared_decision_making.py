"""Scheme 12: shared decision making (Menu of Opportunities, chapter 12).

When clinicians and patients decide together, with all the options discussed, patients need fewer clinic
appointments and fewer choose high-cost treatments that would not serve them best. The Menu names the pathways:
osteoarthritis of the hip and knee (joint replacement) and cardiac devices. "How will the saving be calculated":
provider activity data, and the ratio of new to follow-up appointments. Its cost: "training for clinical teams in
effective SDM". Here:

- fewer follow-ups: on each pathway, each provider's follow-ups per new attendance is shrunk toward England's
  (empirical Bayes, `stats.shrinkage`, all the way unless providers differ beyond chance: Cochran's Q at EVIDENCE;
  chance measured by providers' change from the year before, `chance_dispersion`); the follow-ups above what the
  benchmark ratio (a percentile of England's providers' shrunk ratios, pathway by pathway) would give, valued at the
  price of a follow-up attendance, counted only where a provider is above it (never netted off);
- slower growth in demand: England's hip and knee replacements for osteoarthritis (ICD-10 M16, M17) and cardiac
  device implants in the headline year above the year before's grown by demographic growth alone, netted at England
  level (a provider's own growth in one year is mostly chance), a share of which shared decision making avoids,
  valued at the price of the procedure. It is shared among providers by their procedures in the year before, so
  that each carries England's growth above demography on its own activity;
- less the training of each clinical team (trauma and orthopaedics, cardiac devices) at each provider with new
  attendances on the pathway, netted against the fewer follow-ups of that team's pathway.

Each part is split by payer (ICBs for hip, knee and pacemaker activity; NHS England for ICDs and CRT), so the headline
is the net cash-releasing saving to specialised commissioning; hubs add up to England.

national() does England's part (the period's attendances, benchmarks, monthly counts for the funnel, the procedures),
the same for every area; analyse() the area's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import sdc
from ..config import SCENARIOS, SchemeParams
from ..errors import DataError
from ..geography import Geography
from ..report import fmt
from ..results import (
    CASH_RELEASING,
    COST_AVOIDED,
    ICB_CCG,
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
from ..stats.shrinkage import between_variance, shrink
from .base import area_rows, in_period, provider_table, rate_measure, scenario_frame
from .contract import Tables

TABLES = ("outpatients", "admissions")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "outpatients": ("provider_code", "attendance_date", "pathway", "first_attendance"),
    "admissions": ("provider_code", "admission_date", "diagnosis", "procedure_group"),
}
ASSUMPTIONS = {"benchmark_percentile": "share", "price_follow_up": "gbp_per_attendance",
               "demographic_growth": "share", "growth_avoided": "share",
               "price_joint_replacement": "gbp_per_procedure", "price_cardiac_device": "gbp_per_procedure",
               "training_hours": "hours_per_clinician", "clinicians_per_team": "clinicians_per_team",
               "clinician_cost_per_hour": "gbp_per_hour"}
PER = 100  # follow-ups per 100 new attendances (about 140: readable to a decimal place)
MIN_NEW = 20  # providers with fewer new attendances on a pathway do not set its benchmark
EVIDENCE = 0.05  # providers' follow-up ratios count as different only if they differ beyond chance at this level
Z95 = 1.96  # a 95% chance margin
# the clinical team of each pathway: one team in trauma and orthopaedics for both joints, one for cardiac devices
TEAMS = {"hip_oa": "orthopaedics", "knee_oa": "orthopaedics", "cardiac_device": "cardiac_device"}
PATHWAY_NAMES = {"hip_oa": "Hip osteoarthritis", "knee_oa": "Knee osteoarthritis", "cardiac_device": "Cardiac devices"}
# procedure group: (diagnoses it counts for, or None for any; its name; the price assumption)
PROCEDURES = {
    "hip_replacement": (("M16",), "Hip replacements for osteoarthritis", "price_joint_replacement"),
    "knee_replacement": (("M17",), "Knee replacements for osteoarthritis", "price_joint_replacement"),
    "cardiac_device": (None, "Cardiac device implants", "price_cardiac_device"),
}


# --- small pieces of arithmetic ----------------------------------------------------------------------------------
def per_100(follow_ups: float, new: float) -> float | None:
    """Follow-up attendances per 100 new attendances; None without new attendances."""
    return PER * float(follow_ups) / float(new) if new else None


def benchmark_ratio(ratios: pd.Series, percentile: float) -> float:
    """The follow-up ratio at `percentile` (0.25: a quarter of providers do better) of the providers' ratios."""
    if ratios.empty:
        raise DataError("no provider has enough new attendances to set a benchmark follow-up ratio")
    return float(np.percentile(ratios.to_numpy(dtype=float), 100 * percentile))


def excess_follow_ups(new: float, follow_ups: float, benchmark: float) -> float:
    """Follow-ups above the benchmark ratio (follow-ups per new attendance); nothing if at or below it."""
    return max(0.0, float(follow_ups) - benchmark * float(new))


def excess_procedures(now: float, before: float, demographic_growth: float) -> float:
    """Procedures above last year's grown by demographic growth alone; nothing without a year before (a new
    service is not growth in demand) or where growth was no faster."""
    if not before:
        return 0.0
    return max(0.0, float(now) - float(before) * (1 + demographic_growth))


def excess_growth_rate(now: float, before: float, demographic_growth: float) -> float:
    """England's procedures above demographic growth per procedure the year before: what each provider's procedures
    of the year before are taken to carry (so providers' shares add up to England's excess)."""
    return excess_procedures(now, before, demographic_growth) / float(before) if before else 0.0


def growth(now: float, before: float) -> float | None:
    return float(now) / float(before) - 1 if before else None


def growth_margin(now: float, before: float) -> float | None:
    """The 95% chance margin of growth now / before - 1 from two Poisson counts (delta method: the ratio's
    standard error is now / before x sqrt(1 / now + 1 / before)); None without both counts."""
    if not now or not before:
        return None
    return Z95 * float(now) / float(before) * float(np.sqrt(1 / float(now) + 1 / float(before)))


def training_cost(teams: float, clinicians_per_team: float, hours: float, cost_per_hour: float) -> float:
    """The training of `teams` clinical teams: clinicians x hours each x the cost of an hour of their time."""
    return float(teams) * clinicians_per_team * hours * cost_per_hour



def procedures(adm: pd.DataFrame) -> pd.DataFrame:
    """Spells of the named high-cost pathways: joint replacements for osteoarthritis and cardiac device implants."""
    keep = pd.Series(False, index=adm.index)
    for group, (diagnoses, _, _) in PROCEDURES.items():
        rows = adm["procedure_group"] == group
        keep |= rows & (adm["diagnosis"].isin(diagnoses) if diagnoses else rows)
    return adm[keep]


def ratio_counts(op: pd.DataFrame) -> pd.DataFrame:
    """Per pathway and provider with a new attendance in `op` (one period): new attendances and follow-ups."""
    by = op.groupby(["pathway", "provider_code"], observed=True)["first_attendance"].agg(["sum", "size"])
    by = by.rename(columns={"sum": "new"}).assign(follow_ups=lambda d: d["size"] - d["new"]).drop(columns="size")
    return by[by["new"] > 0]


def chance_dispersion(now: pd.DataFrame, before: pd.DataFrame) -> float:
    """How many times Poisson chance a provider's follow-ups per new attendance varies, measured by its change from
    the year before (ratio_counts of one pathway in each year, indexed by provider).

    Follow-ups in a year are not those of the year's new patients alone (some were first seen the year before), and
    patients differ in the follow-ups they need, so a ratio varies more than Poisson's ratio / new. A provider's lasting
    difference from others cancels out of its change from one year to the next, which is chance (twice over) and
    true change: over the providers with at least MIN_NEW new attendances in both years, the median of
    z^2 = ((R - R0) - (r - r0))^2 / (r / N + r0 / N0) over the median of chi-squared on 1 degree of freedom (0.455);
    the median, so that providers whose ratio truly changed (adopting shared decision making) weigh little. At least
    1; 1 (Poisson) without a year before.
    """
    from scipy.stats import chi2

    both = now.join(before, rsuffix="_0", how="inner")
    both = both[(both["new"] >= MIN_NEW) & (both["new_0"] >= MIN_NEW)]
    if len(both) < 2 or not both["follow_ups"].sum() or not both["follow_ups_0"].sum():
        return 1.0
    r, r0 = both["follow_ups"].sum() / both["new"].sum(), both["follow_ups_0"].sum() / both["new_0"].sum()
    change = both["follow_ups"] / both["new"] - both["follow_ups_0"] / both["new_0"] - (r - r0)
    z2 = change**2 / (r / both["new"] + r0 / both["new_0"])
    return max(1.0, float(z2.median() / chi2.ppf(0.5, 1)))


def shrunk_ratios(now: pd.DataFrame, before: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Per pathway and provider (ratio_counts of every provider in England in the period, `now`, and the year before):
    new attendances, follow-ups, and the follow-ups per new attendance shrunk toward the pathway's pooled ratio r
    ("shrunk"): each provider's chance variance phi x r / new (phi: chance_dispersion), the variance of true ratios
    between providers by the method of moments, 0 unless they differ beyond chance at EVIDENCE (every provider then at
    r), and each provider pulled toward r by its reliability (stats.shrinkage). Also each pathway's phi."""
    shrunk, phi = [], {}
    for pathway, g in now.groupby(level="pathway", observed=True):
        old = before[before.index.get_level_values("pathway") == pathway].droplevel("pathway")
        phi[pathway] = chance_dispersion(g.droplevel("pathway"), old)
        r = g["follow_ups"].sum() / g["new"].sum()
        y = (g["follow_ups"] / g["new"]).to_numpy(dtype=float)
        if r > 0:
            v = phi[pathway] * r / g["new"].to_numpy(dtype=float)
            y = shrink(y, v, r, between_variance(y, v, evidence=EVIDENCE))[0]
        shrunk.append(pd.Series(y, index=g.index))
    return now.assign(shrunk=pd.concat(shrunk) if shrunk else pd.Series(dtype=float)), pd.Series(phi, dtype=float)


def follow_up_benchmarks(ratios: pd.DataFrame, percentile: float) -> pd.Series:
    """Per pathway: the benchmark follow-ups per new attendance, a percentile of the shrunk ratios of England's
    providers with at least MIN_NEW new attendances (`ratios` is shrunk_ratios())."""
    big = ratios[ratios["new"] >= MIN_NEW]["shrunk"]
    return pd.Series({p: benchmark_ratio(r.droplevel(0), percentile) for p, r in big.groupby(level=0)})


# --- England's part ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class National:
    """England's part of the analysis, the same for every area (read-only: a warm kernel keeps it for every hub)."""

    year: pd.DataFrame  # outpatient attendances in the period
    months: pd.DataFrame  # by provider and month (column "month"): follow-ups and new attendances, for the measure
    ratios: pd.DataFrame  # shrunk_ratios of every provider in England in the period
    dispersion: pd.Series  # each pathway's chance_dispersion
    bench: dict[str, pd.Series]  # scenario -> follow_up_benchmarks
    proc: pd.DataFrame  # spells of the named procedures, all months (procedures)
    england_groups: pd.DataFrame  # England's procedures by group: "before" and "now" (england_procedures)
    excess_rate: dict[str, pd.Series]  # scenario -> England's excess_growth_rate by procedure group
    has_prior: bool  # whether the data hold the year before the period
    data_months: tuple[pd.Timestamp, pd.Timestamp]


def national(tables: Tables, params: SchemeParams, period: Period, geography: Geography) -> National:
    a = params.assumptions
    op = tables["outpatients"]
    year = in_period(op, "attendance_date", period, "outpatient attendances")
    before = ratio_counts(op[period.previous.mask(op["attendance_date"])])
    ratios, dispersion = shrunk_ratios(ratio_counts(year), before)
    bench = {s: follow_up_benchmarks(ratios, a["benchmark_percentile"].value(s)) for s in SCENARIOS}
    # the measure needs only each provider's monthly counts: summed once here, not from every attendance for each area
    months = op.assign(follow_up=1 - op["first_attendance"],
                       month=op["attendance_date"].dt.to_period("M").dt.start_time).groupby(
        ["provider_code", "month"])[["follow_up", "first_attendance"]].sum().reset_index()
    proc = procedures(tables["admissions"])
    has_prior = bool(period.previous.mask(proc["admission_date"]).any())
    groups = england_procedures(proc, period)
    excess_rate = {s: pd.Series({g: excess_growth_rate(r["now"], r["before"], a["demographic_growth"].value(s))
                                 for g, r in groups.iterrows()}) for s in SCENARIOS}
    return National(year, months, ratios, dispersion, bench, proc, groups, excess_rate, has_prior,
                    (op["attendance_date"].min(), op["attendance_date"].max()))


def england_procedures(proc: pd.DataFrame, period: Period) -> pd.DataFrame:
    """England's procedures of each group of PROCEDURES, in its order: in the year before the period ("before") and
    in the period ("now")."""
    count = lambda p: proc[p.mask(proc["admission_date"])].groupby("procedure_group", observed=True).size()  # noqa: E731
    return pd.DataFrame({"before": count(period.previous), "now": count(period)}).reindex(list(PROCEDURES)).fillna(0)


# --- the area's part: the arithmetic -------------------------------------------------------------------------------
def follow_up_cells(local: pd.DataFrame, bench: dict[str, pd.Series], shrunk: pd.Series) -> pd.DataFrame:
    """Per provider and pathway: new attendances, follow-ups, the shrunk follow-ups per new attendance, and the
    follow-ups above the benchmark ratio that are beyond chance under each scenario (columns excess_<scenario>):
    new x (shrunk ratio - benchmark), nothing at or below it or without a ratio. `bench` is National.bench, `shrunk`
    National.ratios["shrunk"] (indexed by pathway and provider)."""
    cells = local.groupby(["provider_code", "pathway"], observed=True)["first_attendance"].agg(["sum", "size"])
    cells = cells.rename(columns={"sum": "new"}).assign(follow_ups=lambda d: d["size"] - d["new"]).drop(columns="size")
    cells["shrunk"] = [shrunk.get((p, c), np.nan) for c, p in cells.index]
    for s in SCENARIOS:
        b = cells.index.get_level_values("pathway").map(bench[s])
        cells[f"excess_{s}"] = [0.0 if np.isnan(r) else excess_follow_ups(n, r * n, x)
                                for n, r, x in zip(cells["new"], cells["shrunk"], b)]
    return cells


def team_cells(cells: pd.DataFrame, params: SchemeParams) -> pd.DataFrame:
    """Per provider and clinical team (TEAMS: one team for hip and knee, one for cardiac devices) with new attendances
    on the team's pathways: the cost of training it under each scenario (columns cost_<scenario>)."""
    a = params.assumptions
    active = cells[cells["new"] > 0]
    teams = pd.MultiIndex.from_tuples(sorted({(c, TEAMS[p]) for c, p in active.index}),
                                      names=["provider_code", "team"])
    out = pd.DataFrame(index=teams)
    for s in SCENARIOS:
        out[f"cost_{s}"] = training_cost(1, a["clinicians_per_team"].value(s), a["training_hours"].value(s),
                                         a["clinician_cost_per_hour"].value(s))
    return out


def procedure_cells(proc_local: pd.DataFrame, period: Period, params: SchemeParams,
                    excess_rate: dict[str, pd.Series]) -> pd.DataFrame:
    """Per provider and procedure group: procedures in the period ("now") and the year before ("before"), and under
    each scenario its share of England's procedures above demographic growth (excess_: its procedures of the year
    before x England's excess_growth_rate, `excess_rate` being National.excess_rate), the share of them avoided
    (avoided_) and their price (gbp_)."""
    a = params.assumptions
    count = lambda p, name: proc_local[p.mask(proc_local["admission_date"])].groupby(  # noqa: E731
        ["provider_code", "procedure_group"], observed=True).size().rename(name)
    pc = pd.concat([count(period, "now"), count(period.previous, "before")], axis=1).fillna(0)
    groups = pc.index.get_level_values("procedure_group")
    price = groups.map(lambda g: PROCEDURES[g][2])
    for s in SCENARIOS:
        pc[f"excess_{s}"] = pc["before"].to_numpy() * groups.map(excess_rate[s]).to_numpy(dtype=float)
        pc[f"avoided_{s}"] = pc[f"excess_{s}"] * a["growth_avoided"].value(s)
        pc[f"gbp_{s}"] = pc[f"avoided_{s}"] * [a[p].value(s) for p in price]
    return pc


def by_procedure(pc: pd.DataFrame) -> pd.DataFrame:
    """procedure_cells() summed by procedure group, every group of PROCEDURES in its order."""
    columns = ["before", "now", "excess_moderate", "avoided_moderate", "gbp_moderate"]
    return pc.groupby(level="procedure_group")[columns].sum().reindex(list(PROCEDURES)).fillna(0)


def by_provider(cells: pd.DataFrame, pc: pd.DataFrame, teams: pd.DataFrame, price_follow_up: float) -> pd.DataFrame:
    """Per provider (moderate scenario): follow_up_cells(), procedure_cells() and team_cells() summed, the shrunk
    follow-ups, and the saving of both parts net of training (all payers, cash-releasing and cost avoided)."""
    out = cells.assign(expected=cells["shrunk"] * cells["new"]).groupby("provider_code")[
        ["new", "follow_ups", "expected", "excess_moderate"]].sum(min_count=1)
    procs = pc.groupby(level="provider_code")[["now", "avoided_moderate", "gbp_moderate"]].sum()
    training = teams.groupby(level="provider_code")["cost_moderate"].sum().rename("training")
    out = out.join(procs, how="outer").join(training, how="outer")
    out = out.fillna({c: 0 for c in out.columns if c != "expected"})
    out["saving"] = out["excess_moderate"] * price_follow_up + out["gbp_moderate"] - out["training"]
    return out


def weighted_target(cells: pd.DataFrame, bench: pd.Series) -> float | None:
    """Follow-ups per 100 new attendances with each pathway at its benchmark ratio, weighted by new attendances."""
    new_by_path = cells.groupby("pathway")["new"].sum()
    if not new_by_path.sum():
        return None
    return PER * float((new_by_path * new_by_path.index.map(bench)).sum() / new_by_path.sum())


def quarterly_demand(proc_local: pd.DataFrame, first_day: pd.Timestamp, controlled: bool) -> pd.DataFrame:
    """Procedures a quarter by group, from the quarter of `first_day` (the first in England's data); below England
    (`controlled`) a quarter of few procedures is left out, as the chart shows counts."""
    quarter = proc_local["admission_date"].dt.to_period("Q-MAR").dt.start_time
    demand = proc_local.groupby([quarter.rename("quarter"), "procedure_group"], observed=True).size().rename(
        "procedures").reset_index()
    demand = demand[demand["quarter"] >= first_day.to_period("Q-MAR").start_time]
    if controlled:
        demand = demand[~sdc.small(demand["procedures"])]
    demand["Procedure"] = demand["procedure_group"].map(lambda g: PROCEDURES[g][1])
    return demand


@dataclass(frozen=True)
class Savings:
    """The area's savings under each scenario: fewer follow-ups and slower growth in procedures (all payers), and
    the training of its clinical teams."""

    follow_ups: Range  # follow-ups above the benchmark, beyond chance
    follow_ups_gbp: Range
    procedures: Range  # the area's share of England's procedures above demographic growth
    avoided: Range  # procedures avoided
    procedures_gbp: Range
    teams: int  # clinical teams trained
    training: Range
    net: Range  # follow-ups and procedures less training

    @classmethod
    def of(cls, cells: pd.DataFrame, pc: pd.DataFrame, teams: pd.DataFrame, params: SchemeParams) -> Savings:
        total = lambda frame, prefix: Range.of(lambda s: frame[f"{prefix}_{s}"].sum())  # noqa: E731
        fu = total(cells, "excess")
        fu_gbp = Range.of(lambda s: fu.get(s) * params.assumptions["price_follow_up"].value(s))
        proc_gbp, training = total(pc, "gbp"), total(teams, "cost")
        return cls(fu, fu_gbp, total(pc, "excess"), total(pc, "avoided"), proc_gbp, len(teams), training,
                   Range.of(lambda s: fu_gbp.get(s) + proc_gbp.get(s) - training.get(s)))


# --- the area's part: what the page shows --------------------------------------------------------------------------
CAVEATS = [
    "The benchmark follow-up ratio is set pathway by pathway across England's providers with at least "
    f"{MIN_NEW} new attendances; the funnel plot pools the pathways, so a provider with more cardiac device "
    "patients (who need device checks) sits higher on it.",
    "Follow-ups above the benchmark count only beyond chance: each provider's follow-ups per new attendance is "
    "shrunk toward England's by how reliable it is (empirical Bayes), and all the way where providers differ no more "
    "than chance allows (methods page, 'Counting beyond chance').",
    "Growth in demand is netted at England level: England's procedures above last year's grown by demography, shared "
    "among providers by their procedures last year (each carries England's excess growth on its own activity). A "
    "provider's or an area's own growth in one year is mostly chance; it is shown, not counted.",
    "Growth above demographic growth may have other causes (waiting-list initiatives, new services, a change in "
    "coding); shared decision making avoids only a share of it, as the scenarios say.",
    "The training of clinical teams (the Menu's cost) is counted in full in the year, once for each provider's "
    "trauma and orthopaedic team and its cardiac device team; the team's size and the cost of their time are "
    "assumptions of this book (no published figure), the length of training is the published length of an SDM "
    "e-learning course and, in the low scenario, a skills workshop as well.",
    "Back pain, which the Menu also names, is covered by the spinal surgery pathway (scheme 17).",
]


def chance_caveat(dispersion: pd.Series) -> str:
    """How large chance was taken to be in follow-ups per new attendance (National.dispersion)."""
    parts = "; ".join(f"{PATHWAY_NAMES.get(p, p).lower()} {v:.1f} times" for p, v in dispersion.items())
    return ("A provider's follow-ups per new attendance vary by chance more than a Poisson count would (a year's "
            "follow-ups include those of patients first seen the year before, and patients need different numbers): "
            "chance is measured by how much providers' ratios change from the year before, "
            f"{parts} Poisson's variance (1 where the data hold no year before). Providers whose ratio truly "
            "changed make this larger, so the gap counted errs on the low side.")


def growth_caveat(groups: pd.DataFrame, period: Period, params: SchemeParams) -> str:
    """England's growth in each procedure group with its 95% chance margin, against the demographic growth allowed
    (moderate). `groups` is National.england_groups."""
    allowed = params.assumptions["demographic_growth"].moderate
    parts = []
    for g, r in groups.iterrows():
        grown, margin = growth(r["now"], r["before"]), growth_margin(r["now"], r["before"])
        if grown is None or margin is None:
            continue
        parts.append(f"{PROCEDURES[g][1].lower()} {_pct(grown)} (95% chance margin ±{margin * 100:.1f} points)")
    if not parts:
        return f"The data hold no year before {period.label}: no growth in demand is counted."
    return (f"England's growth from {period.previous.label} to {period.label}: {'; '.join(parts)}; the moderate "
            f"scenario allows {fmt.pct(allowed)} a year for demography. Where growth less its margin is below the "
            "allowance, the excess counted may be chance.")


def _pct(v: float | None) -> str | None:
    """Growth as signed text, '+3.1%' (a Table's rates are shares of counts; growth is not)."""
    return None if v is None else f"{'+' if v > 0 else ''}{fmt.pct(v)}"


def headline_kpis(cells: pd.DataFrame, groups: pd.DataFrame, target: float | None, period: Period) -> list[KPI]:
    """`groups` is by_procedure(); `target` weighted_target()."""
    before = period.previous
    n_new, n_fu = float(cells["new"].sum()), float(cells["follow_ups"].sum())
    growth_note = lambda i: f"{period.label} on {before.label}" + (  # noqa: E731
        "; Menu: reduction in growth of demand for high cost services" if i == 0 else "")
    return [
        KPI("Follow-up attendances per 100 new attendances", per_100(n_fu, n_new), "follow_ups_per_100_new",
            target, False, "target: each pathway at the benchmark ratio (moderate), weighted by new attendances"),
        KPI("New attendances", n_new, "count", note="hip and knee osteoarthritis, cardiac devices"),
        KPI("Follow-up attendances", n_fu, "count"),
        *(KPI(f"Growth in {PROCEDURES[g][1].lower()}", growth(groups.loc[g, "now"], groups.loc[g, "before"]),
              "share", None, False, growth_note(i)) for i, g in enumerate(PROCEDURES)),
        KPI("Procedures: joint replacements for osteoarthritis and cardiac devices", float(groups["now"].sum()),
            "count"),
    ]


def providers_table(prov: pd.DataFrame, measure: Measure, run: RunContext) -> Table:
    """`prov` is by_provider(); below England a ratio on a small count is left out, as it would give the count
    away."""
    period = run.period.label
    frame = pd.DataFrame({
        "New attendances": prov["new"], "Follow-up attendances": prov["follow_ups"],
        "Follow-ups per 100 new": [per_100(f, n) for f, n in zip(prov["follow_ups"], prov["new"])],
        "Follow-ups per 100 new, beyond chance": [None if pd.isna(e) else per_100(e, n)
                                                  for e, n in zip(prov["expected"], prov["new"])],
        "Follow-ups above the benchmark (moderate)": prov["excess_moderate"],
        f"Procedures {period}": prov["now"],
        "Procedures avoided (moderate)": prov["avoided_moderate"],
        "Training (moderate)": prov["training"],
        "Saving (moderate)": prov["saving"],
    })
    if not run.area.is_national:
        small = sdc.small(frame["New attendances"]) | sdc.small(frame["Follow-up attendances"])
        for ratio in ("Follow-ups per 100 new", "Follow-ups per 100 new, beyond chance"):
            frame[ratio] = frame[ratio].astype(object).where(~small, None)
    return Table(f"Providers of {run.area.name}: outpatient follow-ups and high-cost procedures, {period} (saving: "
                 "all payers, fewer follow-ups and procedures avoided, net of training)",
                 provider_table(frame, measure, run.geography),
                 counts=("New attendances", "Follow-up attendances", f"Procedures {period}"),
                 money=("Training (moderate)", "Saving (moderate)"),
                 numbers=("Follow-ups per 100 new", "Follow-ups per 100 new, beyond chance",
                          "Follow-ups above the benchmark (moderate)", "Procedures avoided (moderate)"),
                 opportunity=("Training (moderate)", "Saving (moderate)", "Follow-ups above the benchmark (moderate)",
                              "Procedures avoided (moderate)"))


def pathways_table(cells: pd.DataFrame, bench: pd.Series, price_follow_up: float, run: RunContext) -> Table:
    """The area's attendances by pathway against the moderate benchmark `bench`."""
    path = cells.groupby("pathway")[["new", "follow_ups", "excess_moderate"]].sum()
    frame = pd.DataFrame({
        "Pathway": [PATHWAY_NAMES.get(p, p) for p in path.index],
        "New attendances": path["new"].to_numpy(), "Follow-up attendances": path["follow_ups"].to_numpy(),
        "Follow-ups per 100 new": [per_100(f, n) for f, n in zip(path["follow_ups"], path["new"])],
        "Benchmark per 100 new (moderate)": [PER * bench.get(p, np.nan) for p in path.index],
        "Follow-ups above the benchmark (moderate)": path["excess_moderate"].to_numpy(),
        "Saving (moderate)": path["excess_moderate"].to_numpy() * price_follow_up,
    })
    return Table(f"{run.area.name}: outpatient attendances by pathway, {run.period.label} (follow-ups above the "
                 "benchmark counted beyond chance; saving before training, all payers)", frame,
                 counts=("New attendances", "Follow-up attendances"), money=("Saving (moderate)",),
                 numbers=("Follow-ups per 100 new", "Benchmark per 100 new (moderate)",
                          "Follow-ups above the benchmark (moderate)"),
                 opportunity=("Saving (moderate)", "Follow-ups above the benchmark (moderate)"), rows_are_the_area=True)


def procedures_table(groups: pd.DataFrame, run: RunContext) -> Table:
    """`groups` is by_procedure()."""
    period, before = run.period.label, run.period.previous.label
    frame = pd.DataFrame({
        "Procedure": [PROCEDURES[g][1] for g in groups.index],
        f"Procedures {before}": groups["before"].to_numpy(), f"Procedures {period}": groups["now"].to_numpy(),
        "Growth": [_pct(growth(n, b)) for n, b in zip(groups["now"], groups["before"])],
        "Share of England's growth above demography (moderate)": groups["excess_moderate"].to_numpy(),
        "Avoided (moderate)": groups["avoided_moderate"].to_numpy(),
        "Cost avoided (moderate)": groups["gbp_moderate"].to_numpy(),
    })
    return Table(f"{run.area.name}: joint replacements for osteoarthritis and cardiac device implants, "
                 f"{before} and {period} (growth above demography netted at England level and shared by "
                 f"{before}'s procedures; the area's own growth is shown, not counted)", frame,
                 counts=(f"Procedures {before}", f"Procedures {period}"), money=("Cost avoided (moderate)",),
                 numbers=("Share of England's growth above demography (moderate)", "Avoided (moderate)"),
                 opportunity=("Share of England's growth above demography (moderate)", "Avoided (moderate)",
                              "Cost avoided (moderate)"),
                 rows_are_the_area=True)


def demand_chart(demand: pd.DataFrame, groups: pd.DataFrame, has_prior: bool, run: RunContext) -> Chart:
    """`demand` is quarterly_demand(), `groups` by_procedure()."""
    period, before = run.period.label, run.period.previous.label
    trend_words = ", ".join(f"{PROCEDURES[g][1].lower()} {_pct(growth(n, b)) or 'n/a'}"
                            for g, n, b in zip(groups.index, groups["now"], groups["before"]))
    return Chart(
        kind="line", frame=demand, x="quarter", y="procedures", series="Procedure",
        title=f"Joint replacements for osteoarthritis and cardiac device implants, {run.area.name}, by quarter",
        value_label="Procedures a quarter",
        finding=f"Growth from {before} to {period}: {trend_words}." if has_prior else
        f"The data hold no year before {period} to measure growth against.")


def scenario_outputs(savings: Savings, headline: Range) -> list[tuple[str, str, Range]]:
    """`headline`: the net cash-releasing saving to specialised commissioning (Opportunity.headline)."""
    return [("Follow-ups above the benchmark, beyond chance", "count", savings.follow_ups),
            ("Procedures above demographic growth (England's excess, this area's share)", "count",
             savings.procedures),
            ("Procedures avoided", "count", savings.avoided),
            ("Saving from fewer follow-ups (all payers)", "gbp", savings.follow_ups_gbp),
            ("Cost avoided by slower growth in procedures (all payers)", "gbp", savings.procedures_gbp),
            (f"Training of clinical teams ({savings.teams} teams)", "gbp", savings.training),
            ("Net, all payers (cash-releasing and cost avoided)", "gbp", savings.net),
            ("Net cash-releasing saving to specialised commissioning (headline)", "gbp", headline)]


# Who pays. Hip and knee osteoarthritis (trauma and orthopaedics) and pacemakers for slow rhythms are commissioned by
# ICBs (CCGs until 2022); ICDs and cardiac resynchronisation therapy (CRT) by NHS England's specialised commissioning.
# An implant's primary diagnosis tells them apart: cardiac arrest, ventricular tachycardia and heart failure lead to an
# ICD or CRT; conduction disease and other arrhythmias (sick sinus) to a pacemaker. Outpatient data hold no diagnosis,
# so a provider's device follow-ups are split by its own implants' mix (England's where it implants none).
ICD_CRT_DIAGNOSES = ("I46", "I47", "I50")
DEVICE_SPLIT_NOTE = ("ICDs and CRT are commissioned by NHS England, pacemakers for slow rhythms by ICBs (CCGs until "
                     "2022): each provider's device activity is split by the share of its implants in the year whose "
                     "primary diagnosis (I46, I47, I50: cardiac arrest, ventricular tachycardia, heart failure) leads "
                     "to an ICD or CRT (three-character codes leave ventricular fibrillation, I49.0, with the "
                     "pacemakers).")
GROWTH_NOTE = ("Slower growth in demand, the Menu's 'reduction in growth of demand for high cost services': spend does "
               "not fall from today's, it grows less. England's growth above demography is netted at England level "
               "and shared among providers by their procedures the year before. The training it also needs is netted "
               "once, against the fewer follow-ups.")
TRAINING_NOTE = ("Net of training the clinical teams (the Menu's cost, 'training for clinical teams in effective "
                 "SDM'): each provider's team with new attendances on the pathway, clinicians x hours x the cost of "
                 "an hour, counted in full in the year.")


def icd_crt_share(proc: pd.DataFrame, period: Period) -> tuple[pd.Series, float]:
    """Of the cardiac device implants in the period, each provider's share that are ICDs or CRT (by primary
    diagnosis), and England's. `proc` is procedures(), every provider's."""
    devices = proc[(proc["procedure_group"] == "cardiac_device") & period.mask(proc["admission_date"])]
    icd = devices["diagnosis"].isin(ICD_CRT_DIAGNOSES)
    return icd.groupby(devices["provider_code"], observed=True).mean(), float(icd.mean()) if len(icd) else 0.0


def device_split(values: pd.Series, group: str, share: pd.Series, england: float) -> tuple[float, float, float]:
    """`values` indexed by (provider_code, `group` level): the total outside the cardiac device group, and the device
    group's pacemaker and ICD-and-CRT parts, each provider's split by its `share` (England's where it has none)."""
    device = (values.index.get_level_values(group) == "cardiac_device")
    providers = pd.Series(values.index.get_level_values("provider_code")[device])
    icd = float((values[device].to_numpy() * providers.map(share).fillna(england).to_numpy()).sum())
    return float(values[~device].sum()), float(values[device].sum()) - icd, icd


def opportunity_by_kind(cells: pd.DataFrame, pc: pd.DataFrame, teams: pd.DataFrame, share: pd.Series,
                        england: float, params: SchemeParams, period: Period) -> Opportunity:
    """Fewer follow-ups (cash-releasing) and slower growth in procedures (cost avoided), each split by payer, and the
    training of the teams (team_cells) netted against the fewer follow-ups of their pathways, the device teams' split
    by payer as their activity is: the components' net adds up to Savings.net."""
    price = params.assumptions["price_follow_up"]
    fu = {s: device_split(cells[f"excess_{s}"], "pathway", share, england) for s in SCENARIOS}
    proc = {s: device_split(pc[f"gbp_{s}"], "procedure_group", share, england) for s in SCENARIOS}
    cost = {s: device_split(teams[f"cost_{s}"], "team", share, england) for s in SCENARIOS}

    def part(by: dict[str, tuple[float, float, float]], i: int, priced: bool = False) -> Range:
        return Range.of(lambda s: by[s][i] * (price.value(s) if priced else 1.0))

    return Opportunity([
        OpportunityComponent(
            "Fewer follow-ups: hip and knee osteoarthritis", CASH_RELEASING, ICB_CCG, part(fu, 0, priced=True),
            period.label, implementation_cost=part(cost, 0),
            note="Trauma and orthopaedic outpatients are commissioned by ICBs (CCGs until 2022), paid by the "
                 "attendance. " + TRAINING_NOTE),
        OpportunityComponent(
            "Fewer follow-ups: pacemakers", CASH_RELEASING, ICB_CCG, part(fu, 1, priced=True), period.label,
            implementation_cost=part(cost, 1), note=DEVICE_SPLIT_NOTE + " " + TRAINING_NOTE),
        OpportunityComponent(
            "Fewer follow-ups: ICDs and CRT", CASH_RELEASING, NHSE_SPECIALISED, part(fu, 2, priced=True),
            period.label, implementation_cost=part(cost, 2), note=DEVICE_SPLIT_NOTE + " " + TRAINING_NOTE),
        OpportunityComponent(
            "Slower growth: hip and knee replacements", COST_AVOIDED, ICB_CCG, part(proc, 0), period.label,
            note=GROWTH_NOTE + " Elective hip and knee replacements are commissioned by ICBs (CCGs until 2022)."),
        OpportunityComponent(
            "Slower growth: pacemaker implants", COST_AVOIDED, ICB_CCG, part(proc, 1), period.label,
            note=GROWTH_NOTE + " " + DEVICE_SPLIT_NOTE),
        OpportunityComponent(
            "Slower growth: ICD and CRT implants", COST_AVOIDED, NHSE_SPECIALISED, part(proc, 2), period.label,
            note=GROWTH_NOTE + " " + DEVICE_SPLIT_NOTE),
    ])


# --- the area's part -----------------------------------------------------------------------------------------------
def analyse(tables: Tables, run: RunContext, national: National) -> SchemeResult:
    area, period, params = run.area, run.period, run.params
    price_follow_up = params.assumptions["price_follow_up"].moderate
    local = area_rows(national.year, area, "outpatient attendances")
    measure = rate_measure(
        national.months, events="follow_up", exposure="first_attendance", date="month", area=area, period=period,
        name="Follow-up attendances per 100 new attendances", higher_is_better=False, target=None,
        denominator_label="new attendances", value_label="Follow-ups per 100 new attendances", per=PER)
    cells = follow_up_cells(local, national.bench, national.ratios["shrunk"])
    teams = team_cells(cells, params)
    proc_local = area_rows(national.proc, area, "joint replacements or cardiac device implants")
    pc = procedure_cells(proc_local, period, params, national.excess_rate)
    savings = Savings.of(cells, pc, teams, params)
    groups = by_procedure(pc)
    demand = quarterly_demand(proc_local, national.proc["admission_date"].min(), not area.is_national)
    caveats = [*CAVEATS, chance_caveat(national.dispersion), growth_caveat(national.england_groups, period, params)]
    if not national.has_prior:
        caveats.insert(0, f"The data hold no year before {period.label}: the saving counts fewer follow-ups only.")
    opportunity = opportunity_by_kind(cells, pc, teams, *icd_crt_share(national.proc, period), params, period)
    return SchemeResult(
        context=run, kpis=headline_kpis(cells, groups, weighted_target(cells, national.bench["moderate"]), period),
        opportunity=opportunity,
        quantities=[Quantity("Follow-up attendances avoided", "attendances", savings.follow_ups),
                    Quantity("Joint replacements and cardiac device implants avoided", "procedures", savings.avoided)],
        measure=measure,
        tables={
            "providers": providers_table(by_provider(cells, pc, teams, price_follow_up), measure, run),
            "pathways": pathways_table(cells, national.bench["moderate"], price_follow_up, run),
            "procedures": procedures_table(groups, run),
        },
        scenario_table=scenario_frame(params, scenario_outputs(savings, opportunity.headline)),
        caveats=caveats,
        data_months=national.data_months,
        area_providers=area.providers,
        charts={"demand": demand_chart(demand, groups, national.has_prior, run)},
    )
