"""Scheme 12: shared decision making (Menu of Opportunities, chapter 12).

When clinicians and patients decide together, with all the options discussed, patients need fewer clinic
appointments and fewer choose high-cost treatments that would not serve them best. The Menu names the pathways:
osteoarthritis of the hip and knee (joint replacement) and cardiac devices. "How will the saving be calculated":
provider activity data, and the ratio of new to follow-up appointments. Here, for each provider:

- fewer follow-ups: on each pathway, the follow-up attendances above what the benchmark ratio of follow-ups to new
  attendances would give (the ratio at a percentile of England's providers, pathway by pathway), valued at the
  price of a follow-up attendance;
- slower growth in demand: hip and knee replacements for osteoarthritis (ICD-10 M16, M17) and cardiac device
  implants in the headline year above the year before's grown by demographic growth alone, a share of which shared
  decision making avoids, valued at the price of the procedure.

Both are counted only where a provider is above the benchmark (never netted off), so hubs add up to England.

national() does England's part (the period's attendances, benchmarks, monthly counts for the funnel, the procedures),
the same for every area; analyse() the area's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..errors import DataError
from ..geography import Area, Geography
from .base import (KPI, Chart, Period, Quantity, Range, SchemeResult, Table, area_rows, in_period, provider_table,
                   rate_measure, scenario_frame)
from ..catalogue import BY_ID

TABLES = ("outpatients", "admissions")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "outpatients": ("provider_code", "attendance_date", "pathway", "first_attendance"),
    "admissions": ("provider_code", "admission_date", "diagnosis", "procedure_group"),
}
ASSUMPTIONS = {"benchmark_percentile": "share", "price_follow_up": "gbp_per_attendance",
               "demographic_growth": "share", "growth_avoided": "share",
               "price_joint_replacement": "gbp_per_procedure", "price_cardiac_device": "gbp_per_procedure"}
PER = 100  # follow-ups per 100 new attendances (about 140: readable to a decimal place)
MIN_NEW = 20  # providers with fewer new attendances on a pathway do not set its benchmark
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


def growth(now: float, before: float) -> float | None:
    return float(now) / float(before) - 1 if before else None


def previous_year(period: Period) -> Period:
    y = period.start.year - 1
    return Period.financial_year(f"{y}/{(y + 1) % 100:02d}")


def procedures(adm: pd.DataFrame) -> pd.DataFrame:
    """Spells of the named high-cost pathways: joint replacements for osteoarthritis and cardiac device implants."""
    keep = pd.Series(False, index=adm.index)
    for group, (diagnoses, _, _) in PROCEDURES.items():
        rows = adm["procedure_group"] == group
        keep |= rows & (adm["diagnosis"].isin(diagnoses) if diagnoses else rows)
    return adm[keep]


def follow_up_benchmarks(op: pd.DataFrame, percentile: float) -> pd.Series:
    """Per pathway: the benchmark follow-ups per new attendance across England's providers (`op` is one period)."""
    by = op.groupby(["pathway", "provider_code"], observed=True)["first_attendance"].agg(["sum", "size"])
    by = by[by["sum"] >= MIN_NEW]
    ratios = (by["size"] - by["sum"]) / by["sum"]
    return pd.Series({p: benchmark_ratio(r.droplevel(0), percentile) for p, r in ratios.groupby(level=0)})


# --- the analysis ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class National:
    """England's part of the analysis, the same for every area (read-only: a warm kernel keeps it for every hub)."""

    year: pd.DataFrame  # outpatient attendances in the period
    months: pd.DataFrame  # by provider and month (column "month"): follow-ups and new attendances, for the measure
    bench: dict[str, pd.Series]  # scenario -> follow_up_benchmarks
    proc: pd.DataFrame  # spells of the named procedures, all months (procedures)
    has_prior: bool  # whether the data hold the year before the period
    data_months: tuple[pd.Timestamp, pd.Timestamp]


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    a = params.assumptions
    op = tables["outpatients"]
    year = in_period(op, "attendance_date", period, "outpatient attendances")
    bench = {s: follow_up_benchmarks(year, a["benchmark_percentile"].value(s)) for s in SCENARIOS}
    # the measure needs only each provider's monthly counts: summed once here, not from every attendance for each area
    months = op.assign(follow_up=1 - op["first_attendance"],
                       month=op["attendance_date"].dt.to_period("M").dt.start_time).groupby(
        ["provider_code", "month"])[["follow_up", "first_attendance"]].sum().reset_index()
    proc = procedures(tables["admissions"])
    has_prior = bool(previous_year(period).mask(proc["admission_date"]).any())
    return National(year, months, bench, proc, has_prior, (op["attendance_date"].min(), op["attendance_date"].max()))


def analyse(tables: dict[str, pd.DataFrame], area: Area, params: SchemeParams, period: Period,
            geography: Geography, kept: National | None = None) -> SchemeResult:
    nat = kept if kept is not None else national(tables, params, period, geography)  # kept by a warm kernel
    a = params.assumptions
    local = area_rows(nat.year, area, "outpatient attendances")
    measure = rate_measure(
        nat.months, events="follow_up", exposure="first_attendance", date="month", area=area, period=period,
        name="Follow-up attendances per 100 new attendances", higher_is_better=False, target=None,
        denominator_label="new attendances", value_label="Follow-ups per 100 new attendances", per=PER)

    # fewer follow-ups: pathway by pathway, above the benchmark ratio
    bench = nat.bench
    cells = local.groupby(["provider_code", "pathway"], observed=True)["first_attendance"].agg(["sum", "size"])
    cells = cells.rename(columns={"sum": "new"}).assign(follow_ups=lambda d: d["size"] - d["new"]).drop(columns="size")
    for s in SCENARIOS:
        b = cells.index.get_level_values("pathway").map(bench[s])
        cells[f"excess_{s}"] = [excess_follow_ups(n, f, r) for n, f, r in zip(cells["new"], cells["follow_ups"], b)]
    fu_excess = Range.of(lambda s: cells[f"excess_{s}"].sum())
    fu_gbp = Range.of(lambda s: fu_excess.get(s) * a["price_follow_up"].value(s))

    # slower growth in demand: procedures above demographic growth, a share of which shared decision making avoids
    before = previous_year(period)
    proc_local = area_rows(nat.proc, area, "joint replacements or cardiac device implants")
    now_counts = proc_local[period.mask(proc_local["admission_date"])].groupby(
        ["provider_code", "procedure_group"], observed=True).size().rename("now")
    prior_counts = proc_local[before.mask(proc_local["admission_date"])].groupby(
        ["provider_code", "procedure_group"], observed=True).size().rename("before")
    has_prior = nat.has_prior
    pc = pd.concat([now_counts, prior_counts], axis=1).fillna(0)
    price = pc.index.get_level_values("procedure_group").map(lambda g: PROCEDURES[g][2])
    for s in SCENARIOS:
        pc[f"excess_{s}"] = [excess_procedures(n, b, a["demographic_growth"].value(s))
                             for n, b in zip(pc["now"], pc["before"])]
        pc[f"avoided_{s}"] = pc[f"excess_{s}"] * a["growth_avoided"].value(s)
        pc[f"gbp_{s}"] = pc[f"avoided_{s}"] * [a[p].value(s) for p in price]
    proc_excess = Range.of(lambda s: pc[f"excess_{s}"].sum())
    proc_avoided = Range.of(lambda s: pc[f"avoided_{s}"].sum())
    proc_gbp = Range.of(lambda s: pc[f"gbp_{s}"].sum())
    gbp = Range.of(lambda s: fu_gbp.get(s) + proc_gbp.get(s))

    # tables: pathways and procedures of the area
    path = cells.groupby("pathway")[["new", "follow_ups", "excess_moderate"]].sum()
    pathways = pd.DataFrame({
        "Pathway": [PATHWAY_NAMES.get(p, p) for p in path.index],
        "New attendances": path["new"].to_numpy(), "Follow-up attendances": path["follow_ups"].to_numpy(),
        "Follow-ups per 100 new": [per_100(f, n) for f, n in zip(path["follow_ups"], path["new"])],
        "Benchmark per 100 new (moderate)": [PER * bench["moderate"].get(p, np.nan) for p in path.index],
        "Follow-ups above the benchmark (moderate)": path["excess_moderate"].to_numpy(),
        "Saving (moderate)": path["excess_moderate"].to_numpy() * a["price_follow_up"].moderate,
    })
    grp = pc.groupby(level="procedure_group")[["before", "now", "excess_moderate", "avoided_moderate",
                                                 "gbp_moderate"]].sum().reindex(list(PROCEDURES)).fillna(0)
    proc_table = pd.DataFrame({
        "Procedure": [PROCEDURES[g][1] for g in grp.index],
        f"Procedures {before.label}": grp["before"].to_numpy(), f"Procedures {period.label}": grp["now"].to_numpy(),
        "Growth": [_pct(growth(n, b)) for n, b in zip(grp["now"], grp["before"])],
        "Above demographic growth (moderate)": grp["excess_moderate"].to_numpy(),
        "Avoided (moderate)": grp["avoided_moderate"].to_numpy(),
        "Saving (moderate)": grp["gbp_moderate"].to_numpy(),
    })

    # providers
    by_prov = cells.groupby("provider_code")[["new", "follow_ups", "excess_moderate"]].sum()
    prov_proc = pc.groupby(level="provider_code")[["now", "avoided_moderate", "gbp_moderate"]].sum()
    by_prov = by_prov.join(prov_proc, how="outer").fillna(0)
    prov = pd.DataFrame({
        "New attendances": by_prov["new"], "Follow-up attendances": by_prov["follow_ups"],
        "Follow-ups per 100 new": [per_100(f, n) for f, n in zip(by_prov["follow_ups"], by_prov["new"])],
        "Follow-ups above the benchmark (moderate)": by_prov["excess_moderate"],
        f"Procedures {period.label}": by_prov["now"],
        "Procedures avoided (moderate)": by_prov["avoided_moderate"],
        "Saving (moderate)": by_prov["excess_moderate"] * a["price_follow_up"].moderate + by_prov["gbp_moderate"],
    })
    if not area.is_national:  # a ratio on a small count would give the count away
        small = prov["New attendances"].between(1, 7) | prov["Follow-up attendances"].between(1, 7)
        prov["Follow-ups per 100 new"] = prov["Follow-ups per 100 new"].astype(object).where(~small, None)
    prov = provider_table(prov, measure, geography)

    # demand by quarter: the chart of growth (aggregates of many procedures; small quarters left out below England)
    quarter = proc_local["admission_date"].dt.to_period("Q-MAR").dt.start_time
    demand = proc_local.groupby([quarter.rename("quarter"), "procedure_group"], observed=True).size().rename(
        "procedures").reset_index()
    demand = demand[demand["quarter"] >= nat.proc["admission_date"].min().to_period("Q-MAR").start_time]
    if not area.is_national:
        demand = demand[~demand["procedures"].between(1, 7)]
    demand["Procedure"] = demand["procedure_group"].map(lambda g: PROCEDURES[g][1])
    trend_words = ", ".join(f"{PROCEDURES[g][1].lower()} {_pct(growth(n, b)) or 'n/a'}"
                            for g, n, b in zip(grp.index, grp["now"], grp["before"]))
    charts = {"demand": Chart(
        kind="line", frame=demand, x="quarter", y="procedures", series="Procedure",
        title=f"Joint replacements for osteoarthritis and cardiac device implants, {area.name}, by quarter",
        value_label="Procedures a quarter",
        finding=f"Growth from {before.label} to {period.label}: {trend_words}." if has_prior else
        f"The data hold no year before {period.label} to measure growth against.")}

    n_new, n_fu = float(cells["new"].sum()), float(cells["follow_ups"].sum())
    new_by_path = cells.groupby("pathway")["new"].sum()
    target = PER * float((new_by_path * new_by_path.index.map(bench["moderate"])).sum() / new_by_path.sum()) \
        if new_by_path.sum() else None
    kpis = [
        KPI("Follow-up attendances per 100 new attendances", per_100(n_fu, n_new), "follow_ups_per_100_new",
            target, False, "target: each pathway at the benchmark ratio (moderate), weighted by new attendances"),
        KPI("New attendances", n_new, "count", note="hip and knee osteoarthritis, cardiac devices"),
        KPI("Follow-up attendances", n_fu, "count"),
        *(KPI(f"Growth in {PROCEDURES[g][1].lower()}", growth(grp.loc[g, "now"], grp.loc[g, "before"]), "share", None,
              False, f"{period.label} on {before.label}" + ("; Menu: reduction in growth of demand for high cost "
                                                             "services" if i == 0 else ""))
          for i, g in enumerate(PROCEDURES)),
        KPI("Procedures: joint replacements for osteoarthritis and cardiac devices", float(grp["now"].sum()), "count"),
    ]

    caveats = [
        "The benchmark follow-up ratio is set pathway by pathway across England's providers with at least "
        f"{MIN_NEW} new attendances; the funnel plot pools the pathways, so a provider with more cardiac device "
        "patients (who need device checks) sits higher on it.",
        "Growth above demographic growth may have other causes (waiting-list initiatives, new services, patients "
        "moving between providers); shared decision making avoids only a share of it, as the scenarios say, and a "
        "provider whose activity fell is not counted as a gain.",
        "A single year's growth at one provider is noisy; look at the quarterly chart and the growth over several "
        "years before acting on one provider's figure.",
        "Back pain, which the Menu also names, is covered by the spinal surgery pathway (scheme 17).",
    ]
    if not has_prior:
        caveats.insert(0, f"The data hold no year before {period.label}: the saving counts fewer follow-ups only.")
    outputs = [("Follow-ups above the benchmark", "count", fu_excess),
               ("Procedures above demographic growth", "count", proc_excess),
               ("Procedures avoided", "count", proc_avoided),
               ("Saving from fewer follow-ups", "gbp", fu_gbp),
               ("Saving from slower growth in procedures", "gbp", proc_gbp),
               ("Saving", "gbp", gbp)]
    return SchemeResult(
        scheme=BY_ID["shared_decision_making"], area=area, period=period, params=params, kpis=kpis,
        opportunity_gbp=gbp,
        quantities=[Quantity("Follow-up attendances avoided", "attendances", fu_excess),
                    Quantity("Joint replacements and cardiac device implants avoided", "procedures", proc_avoided)],
        measure=measure,
        tables={
            "providers": Table(f"Providers of {area.name}: outpatient follow-ups and high-cost procedures, "
                               f"{period.label}", prov,
                               counts=("New attendances", "Follow-up attendances", f"Procedures {period.label}"),
                               money=("Saving (moderate)",),
                               numbers=("Follow-ups per 100 new", "Follow-ups above the benchmark (moderate)",
                                        "Procedures avoided (moderate)")),
            "pathways": Table(f"{area.name}: outpatient attendances by pathway, {period.label}", pathways,
                              counts=("New attendances", "Follow-up attendances"), money=("Saving (moderate)",),
                              numbers=("Follow-ups per 100 new", "Benchmark per 100 new (moderate)",
                                       "Follow-ups above the benchmark (moderate)")),
            "procedures": Table(f"{area.name}: joint replacements for osteoarthritis and cardiac device implants, "
                                f"{before.label} and {period.label}", proc_table,
                                counts=(f"Procedures {before.label}", f"Procedures {period.label}"),
                                money=("Saving (moderate)",),
                                numbers=("Above demographic growth (moderate)", "Avoided (moderate)")),
        },
        scenario_table=scenario_frame(params, outputs),
        caveats=caveats,
        data_months=nat.data_months,
        area_providers=area.providers,
        charts=charts,
    )


def _pct(v: float | None) -> str | None:
    """Growth as signed text, '+3.1%' (a Table's rates are shares of counts; growth is not)."""
    from ..report import fmt

    return None if v is None else f"{'+' if v > 0 else ''}{fmt.pct(v)}"
