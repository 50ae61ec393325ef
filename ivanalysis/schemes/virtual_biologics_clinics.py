"""Scheme 4: virtual biologics clinics (Menu of Opportunities, chapter 4).

A virtual biologics clinic (VBC) is a small multidisciplinary team (consultant, nurse, pharmacist) that reviews
every patient put forward for a biologic, or for a switch or a stop, against the best-practice pathway. The Menu
expects fewer patients started inappropriately, more existing patients stopping where the evidence supports it,
shorter waits from the decision to the first dose, and a lower cost of biologic prescribing; 'savings will be
calculated through analysing NHS trust drug prescribing data - spend on specific biologic drug', and it names no
extra cost ('there were no additional costs associated with this scheme'), so none is netted.

How the saving is calculated here, per provider and only where it is worse than the benchmark (never netted off):
the benchmarks are what virtual clinics achieve across England in the year (their share of new patients started,
their share of existing patients' reviews ending in a stop). At a provider starting a larger share, the starts
above the benchmark are avoided; at a provider stopping a smaller share, the stops below it are added; each times
the share of the gap a clinic is assumed to close, times the months of treatment each avoids, times the provider's
own cost per patient-month of the drugs concerned less a month of the conventional treatment (DMARDs) the patient
has instead: a patient not started, or stopped, is still treated. The months of a start avoided are the prescribing
spend's, not a full course's: within the months assumed, those that starts in the log stayed on their drug (first
dose to stop, over the starts followed that long; `months_on_drug`).

Counting beyond chance: a provider's share, and the clinics' own, are partly chance. A benchmark counts only where the
clinics' share differs from the consultants' beyond chance (a two-proportion test at 5%); otherwise it is England's
share. The gap is taken from each provider's share shrunk (empirical Bayes, stats.shrinkage) toward what its mix of
clinic and consultant decisions would give at England's shares: all the way unless providers differ beyond chance.
"""
from __future__ import annotations

import math
from statistics import NormalDist

import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..errors import DataError
from ..results import (
    CASH_RELEASING,
    COST_AVOIDED,
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

TABLES = ("biologics_referrals",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "biologics_referrals": ("provider_code", "referral_type", "decided_by", "referral_date", "decision_date",
                            "outcome", "first_dose_date", "stop_date", "monthly_cost"),
}
ASSUMPTIONS = {"gap_closed": "share", "months_per_start_avoided": "months", "months_per_stop_added": "months",
               "alternative_cost_per_year": "gbp_per_year"}
VBC = "virtual clinic"
MIN_PER_POINT = 20  # a quarter's share on the chart needs at least this many referrals behind it
# a difference (clinics against consultants, or between providers) counts only if beyond chance at this level
EVIDENCE = 0.05
DAYS_PER_MONTH = 365.25 / 12


def starts_avoided(new: float, started: float, benchmark: float, gap_closed: float) -> float:
    """New patients not started if the start rate fell towards the benchmark; nothing if already at or below it."""
    return gap_closed * max(0.0, started - benchmark * new)


def stops_added(existing: float, stopped: float, benchmark: float, gap_closed: float) -> float:
    """Existing patients stopped if the stop share rose towards the benchmark; nothing if already at or above it."""
    return gap_closed * max(0.0, benchmark * existing - stopped)


def saving(patients: float, cost_per_month: float, months: float) -> float:
    """Patients x the cost of a month of their biologic (net of what they have instead) x the months avoided."""
    return patients * cost_per_month * months


def net_monthly_cost(biologic_per_month: float, alternative_per_year: float) -> float:
    """A month of the biologic less a month of the conventional treatment given instead (never below nothing)."""
    return max(0.0, biologic_per_month - alternative_per_year / 12)


def log_end(referrals: pd.DataFrame) -> pd.Timestamp:
    """The last date the log knows of: its latest decision, first dose or stop."""
    return max(referrals[c].max() for c in ("decision_date", "first_dose_date", "stop_date"))


def months_on_drug(referrals: pd.DataFrame, horizon: float) -> float | None:
    """Mean months on the drug within `horizon` months of the first dose, over the starts of `referrals` followed for
    all of them (first dose at least `horizon` months before the log's end): from the first dose to the stop, or to
    the horizon for those still on it. None where no start has been followed that long."""
    span = pd.Timedelta(days=horizon * DAYS_PER_MONTH)
    starts = referrals[(referrals["outcome"] == "start") & referrals["first_dose_date"].notna()]
    followed = starts[starts["first_dose_date"] + span <= log_end(referrals)]
    if followed.empty:
        return None
    end = followed["stop_date"].where(followed["stop_date"] < followed["first_dose_date"] + span,
                                      followed["first_dose_date"] + span)
    return float(((end - followed["first_dose_date"]) / pd.Timedelta(days=DAYS_PER_MONTH)).mean())


def benchmarks(referrals: pd.DataFrame) -> tuple[float, float]:
    """England's virtual clinics in the year: the share of new patients started and of reviews ending in a stop."""
    vbc = referrals[referrals["decided_by"] == VBC]
    new, old = vbc[vbc["referral_type"] == "new"], vbc[vbc["referral_type"] == "existing"]
    if new.empty or old.empty:
        raise DataError("no new and existing referrals decided by a virtual clinic in the year: the benchmark "
                        "(what virtual clinics achieve) cannot be set")
    return float((new["outcome"] == "start").mean()), float((old["outcome"] == "stop").mean())


def provider_counts(referrals: pd.DataFrame) -> pd.DataFrame:
    """Per provider: new referrals and starts, existing reviews and stops, and the cost per patient-month of the
    drugs started and of the existing patients' drugs."""
    r = referrals.assign(new=referrals["referral_type"] == "new", started=referrals["outcome"] == "start",
                         stopped=referrals["outcome"] == "stop")
    g = r.groupby("provider_code", observed=True)
    out = pd.DataFrame({"new": g["new"].sum(), "started": g["started"].sum(), "stopped": g["stopped"].sum()})
    out["existing"] = g.size() - out["new"]
    out["start_cost"] = r[r["started"]].groupby("provider_code", observed=True)["monthly_cost"].mean()
    out["existing_cost"] = r[~r["new"]].groupby("provider_code", observed=True)["monthly_cost"].mean()
    # a provider with no start (or no review) in the year: England's cost per patient-month stands in
    out["start_cost"] = out["start_cost"].fillna(r.loc[r["started"], "monthly_cost"].mean())
    out["existing_cost"] = out["existing_cost"].fillna(r.loc[~r["new"], "monthly_cost"].mean())
    return out.astype(float)


def clinic_effect_shown(clinic: int, clinic_n: int, others: int, others_n: int) -> bool:
    """Whether the clinics' share (clinic of clinic_n) differs from the consultants' (others of others_n) beyond
    chance: a two-sided two-proportion z-test, pooled variance, at EVIDENCE."""
    if clinic_n == 0 or others_n == 0:
        return False
    pooled = (clinic + others) / (clinic_n + others_n)
    if pooled in (0.0, 1.0):
        return False
    z = (clinic / clinic_n - others / others_n) / math.sqrt(pooled * (1 - pooled) * (1 / clinic_n + 1 / others_n))
    return 2 * NormalDist().cdf(-abs(z)) < EVIDENCE


def _expected(referrals: pd.DataFrame, kind: str, outcome: str) -> tuple[pd.DataFrame, bool]:
    """The `kind` referrals ("new" or "existing"), each with hit (its outcome is `outcome`) and expected: the share
    of its decider's group in England if clinics differ from consultants beyond chance, else England's share."""
    r = referrals[referrals["referral_type"] == kind]
    r = r.assign(hit=r["outcome"] == outcome, clinic=r["decided_by"] == VBC)
    shown = clinic_effect_shown(int((r["hit"] & r["clinic"]).sum()), int(r["clinic"].sum()),
                                int((r["hit"] & ~r["clinic"]).sum()), int((~r["clinic"]).sum()))
    expected = r.groupby("clinic")["hit"].transform("mean") if shown else pd.Series(r["hit"].mean(), index=r.index)
    return r.assign(expected=expected), shown


def counted_benchmarks(referrals: pd.DataFrame) -> tuple[float, float]:
    """The benchmarks the saving counts against: the clinics' own shares (`benchmarks`) where they differ from the
    consultants' beyond chance, otherwise England's share of all referrals (no clinic effect shown: nothing counts)."""
    start_bench, stop_bench = benchmarks(referrals)
    out = []
    for kind, outcome, bench in (("new", "start", start_bench), ("existing", "stop", stop_bench)):
        r, shown = _expected(referrals, kind, outcome)
        out.append(bench if shown else float(r["hit"].mean()))
    return out[0], out[1]


def beyond_chance(referrals: pd.DataFrame) -> pd.DataFrame:
    """Per provider of `referrals` (England's year): the starts and the stops that count, starts_counted and
    stops_counted. Each provider's share is shrunk toward what its mix of deciders would give at England's shares
    (`_expected`) by its reliability B = tau2 / (tau2 + c (1 - c) / n), c that expected share, tau2 the providers'
    variance beyond chance about it (stats.shrinkage; 0 unless they differ beyond chance at EVIDENCE); times n."""
    cols = {}
    for kind, outcome, col in (("new", "start", "starts_counted"), ("existing", "stop", "stops_counted")):
        r, _ = _expected(referrals, kind, outcome)
        g = r.groupby("provider_code", observed=True)
        n, share, centre = g.size().astype(float), g["hit"].mean(), g["expected"].mean()
        variance = centre * (1 - centre) / n
        varies = variance > 0
        tau2 = between_variance(share[varies] - centre[varies], variance[varies], evidence=EVIDENCE) \
            if varies.sum() > 1 else 0.0
        shrunk, _, _ = shrink(share, variance, centre, tau2)
        cols[col] = pd.Series(shrunk, index=share.index) * n
    return pd.DataFrame(cols).fillna(0.0)


def provider_savings(counts: pd.DataFrame, start_bench: float, stop_bench: float, gap_closed: float,
                     months_start: float, months_stop: float, alternative_per_year: float) -> pd.DataFrame:
    """Each provider's starts avoided, stops added and their saving: `counts` (provider_counts) with the starts and
    stops that count (`beyond_chance`: starts_counted, stops_counted), against the benchmarks (`counted_benchmarks`);
    each month avoided is the provider's cost per patient-month less a month of `alternative_per_year`."""
    out = counts.copy()
    out["starts_avoided"] = [starts_avoided(n, s, start_bench, gap_closed)
                             for n, s in zip(out["new"], out["starts_counted"])]
    out["stops_added"] = [stops_added(e, s, stop_bench, gap_closed)
                          for e, s in zip(out["existing"], out["stops_counted"])]
    start_net = out["start_cost"].map(lambda c: net_monthly_cost(c, alternative_per_year))
    stop_net = out["existing_cost"].map(lambda c: net_monthly_cost(c, alternative_per_year))
    out["from_starts"] = saving(out["starts_avoided"], start_net, months_start)
    out["from_stops"] = saving(out["stops_added"], stop_net, months_stop)
    out["saving"] = out["from_starts"] + out["from_stops"]
    return out


def days_between(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.days


def by_decider(referrals: pd.DataFrame) -> pd.DataFrame:
    """Virtual clinic against consultant: referrals, outcomes, waits and cost per patient-month."""
    rows = []
    for who in (VBC, "consultant"):
        r = referrals[referrals["decided_by"] == who]
        new, old = r[r["referral_type"] == "new"], r[r["referral_type"] == "existing"]
        dosed = r[r["first_dose_date"].notna()]
        given = r[r["outcome"].isin(["start", "switch"])]
        rows.append({
            "Decided by": who.capitalize(), "New referrals": len(new),
            "Started": int((new["outcome"] == "start").sum()),
            "Existing reviewed": len(old), "Stopped": int((old["outcome"] == "stop").sum()),
            "Median days, referral to decision": days_between(r["referral_date"], r["decision_date"]).median(),
            "Median days, decision to first dose": days_between(dosed["decision_date"],
                                                                dosed["first_dose_date"]).median(),
            "Cost per patient-month (£)": given["monthly_cost"].mean(),
        })
    out = pd.DataFrame(rows)
    out["Start rate"] = out["Started"] / out["New referrals"].where(out["New referrals"] > 0)
    out["Stop share"] = out["Stopped"] / out["Existing reviewed"].where(out["Existing reviewed"] > 0)
    return out[["Decided by", "New referrals", "Started", "Start rate", "Existing reviewed", "Stopped", "Stop share",
                "Median days, referral to decision", "Median days, decision to first dose",
                "Cost per patient-month (£)"]]


def quarterly_start_rate(new: pd.DataFrame) -> pd.DataFrame:
    """Share of new patients started per quarter and decider; quarters with few referrals are left blank."""
    q = new.assign(quarter=new["decision_date"].dt.to_period("Q").dt.start_time, started=new["outcome"] == "start")
    out = q.groupby(["decided_by", "quarter"], observed=True)["started"].agg(["mean", "size"]).reset_index()
    out["Share started"] = out["mean"].where(out["size"] >= MIN_PER_POINT)
    out["Decided by"] = out["decided_by"].str.capitalize()
    return out[["Decided by", "quarter", "Share started"]]


def new_referrals(referrals: pd.DataFrame) -> pd.DataFrame:
    """New patients referred, each flagged whether they started a biologic."""
    return referrals[referrals["referral_type"] == "new"].assign(started=lambda d: d["outcome"] == "start")


def first_dose_waits(referrals: pd.DataFrame) -> pd.DataFrame:
    """Each referral that led to a first dose: its provider, who decided, and the days from decision to first dose."""
    dosed = referrals[referrals["first_dose_date"].notna()]
    return pd.DataFrame({"provider_code": dosed["provider_code"], "decided_by": dosed["decided_by"],
                         "days": days_between(dosed["decision_date"], dosed["first_dose_date"])})


def clinic_start_dates(referrals: pd.DataFrame) -> pd.Series:
    """Each provider that ran a virtual clinic: the date of the clinic's first decision in the data."""
    return referrals[referrals["decided_by"] == VBC].groupby("provider_code")["decision_date"].min()



def start_months(referrals: pd.DataFrame, params: SchemeParams) -> Range:
    """Per scenario, the months a start avoided saves: those on the drug within the scenario's months
    (`months_on_drug`), or all of them where no start in the log has been followed that long."""
    def months(s: str) -> float:
        horizon = params.assumptions["months_per_start_avoided"].value(s)
        on_drug = months_on_drug(referrals, horizon)
        return horizon if on_drug is None else on_drug
    return Range.of(months)


def first_year_months(referrals: pd.DataFrame) -> float:
    """The months of its first year a start stays on its drug (`months_on_drug` over 12), or 12 where unknown."""
    on_drug = months_on_drug(referrals, 12)
    return 12.0 if on_drug is None else on_drug


def unfollowed_caveats(referrals: pd.DataFrame, run: RunContext) -> list[str]:
    """What the page says where no start in the log has been followed for the months a scenario assumes."""
    horizons = sorted({run.params.assumptions["months_per_start_avoided"].value(s) for s in SCENARIOS})
    return [f"No start in the log has been followed for {h:g} months, so a start avoided is taken to save all "
            f"{h:g} of them: the saving is then a full course, not the prescribing spend."
            for h in horizons if months_on_drug(referrals, h) is None]


# --- the page ------------------------------------------------------------------------------------------------------
def _kpis(local: pd.DataFrame, waits: pd.DataFrame, start_bench: float, stop_bench: float,
          first_year_months: float) -> list[KPI]:
    new, old = local[local["referral_type"] == "new"], local[local["referral_type"] == "existing"]
    started = new[new["outcome"] == "start"]
    wait, vbc_wait = waits["days"], waits.loc[waits["decided_by"] == VBC, "days"]
    return [
        KPI("New patients referred", float(len(new)), "count"),
        KPI("New patients referred who started a biologic", safe_share(len(started), len(new)), "share", start_bench,
            False, "Menu KPI; target: the share England's virtual clinics start"),
        KPI("Existing patients reviewed", float(len(old)), "count"),
        KPI("Existing patients ceasing biologic", float((old["outcome"] == "stop").sum()), "count", None, True,
            "Menu KPI"),
        KPI("Reviews of existing patients ending in a stop", safe_share((old["outcome"] == "stop").sum(), len(old)),
            "share", stop_bench, True, "target: the share at England's virtual clinics"),
        KPI("Referrals decided by a virtual clinic", safe_share((local["decided_by"] == VBC).sum(), len(local)),
            "share", None, True),
        KPI("Median days from decision to first dose", float(wait.median()) if len(wait) else None, "days", None,
            False, "Menu KPI: waiting time will reduce"),
        KPI("Median days from decision to first dose, virtual clinics", float(vbc_wait.median()) if len(vbc_wait)
            else None, "days", None, False, "n/a where no provider runs a virtual clinic"),
        KPI("Yearly cost of biologic per patient started", float(started["monthly_cost"].mean() * 12)
            if len(started) else None, "gbp", None, False, "Menu KPI: cost of prescribing biologic per year"),
        KPI("Cost of the first year of biologics started or switched in the year",
            float(local.loc[local["outcome"].isin(["start", "switch"]), "monthly_cost"].sum() * first_year_months),
            "gbp", note=f"prescribing spend: each at its cost per month for the {first_year_months:.1f} months of its "
                        "first year that starts in the log stayed on their drug"),
    ]


def _provider_table(savings: pd.DataFrame, since: pd.Series, waits: pd.DataFrame, measure: Measure,
                    run: RunContext) -> Table:
    wait_by = waits["days"].groupby(waits["provider_code"]).median()
    frame = provider_table(pd.DataFrame({
        "New referrals": savings["new"], "Started": savings["started"],
        "Start rate": savings["started"] / savings["new"],
        "Existing reviewed": savings["existing"], "Stopped": savings["stopped"],
        "Stop share": savings["stopped"] / savings["existing"].where(savings["existing"] > 0),
        "Virtual clinic since": since.reindex(savings.index).dt.strftime("%b %Y").fillna("none"),
        "Median days to first dose": wait_by.reindex(savings.index),
        "Saving (moderate)": savings["saving"],
    }), measure, run.geography)
    return Table(f"Providers of {run.area.name}: biologics referrals decided, {run.period.label}", frame,
                 counts=("New referrals", "Started", "Existing reviewed", "Stopped"),
                 rates={"Start rate": ("Started", "New referrals"), "Stop share": ("Stopped", "Existing reviewed")},
                 money=("Saving (moderate)",), numbers=("Median days to first dose",),
                 opportunity=("Saving (moderate)",))


def _decider_table(deciders: pd.DataFrame, run: RunContext) -> Table:
    return Table(f"{run.area.name}: biologics referrals by who decided, {run.period.label}", deciders,
                 counts=("New referrals", "Started", "Existing reviewed", "Stopped"),
                 rates={"Start rate": ("Started", "New referrals"), "Stop share": ("Stopped", "Existing reviewed")},
                 numbers=("Median days, referral to decision", "Median days, decision to first dose",
                          "Cost per patient-month (£)"), rows_are_the_area=True)


def _start_rate_chart(deciders: pd.DataFrame, quarters: pd.DataFrame, since: pd.Series, run: RunContext) -> Chart:
    area, period = run.area, run.period
    clinic, consultant = deciders.iloc[0], deciders.iloc[1]  # by_decider's rows: virtual clinic, then consultant
    if clinic["New referrals"]:
        finding = (f"In {period.label}, virtual clinics in {area.name} started {clinic['Start rate']:.0%} of the new "
                   f"patients referred, against {consultant['Start rate']:.0%} where a consultant decided alone.")
    else:
        finding = (f"No provider in {area.name} ran a virtual biologics clinic in {period.label}; consultants "
                   f"started {consultant['Start rate']:.0%} of new patients referred.")
    clinic_starts = since[since.index.isin(area.providers)]
    # a marker for each clinic's start while they are few enough to read
    markers = {d: f"{p} clinic" for p, d in clinic_starts.items()} if 0 < len(clinic_starts) <= 3 else {}
    return Chart("line", quarters, x="quarter", y="Share started", series="Decided by",
                 title=f"Share of new patients started on a biologic, by who decided, {area.name}",
                 value_label="Share started", value_format="percent", finding=finding, markers=markers)


CAVEATS = (
    "The effect of the clinics is only as good as the referral log it is measured from: no national log of biologics "
    "referrals exists, and no national source records a decision not to start (see the data sources), so a "
    "provider's own log, kept the same way with and without a clinic, is needed before its figure can be trusted.",
    "The benchmarks are what virtual clinics achieve across England; some of the difference from other providers may "
    "be case mix (referral thresholds, disease severity) rather than appropriateness.",
    "A start avoided saves only the months that starts in the log stayed on their drug within the months assumed "
    "(inappropriate starts may stop sooner than most, which would make it fewer); some patients will start later, "
    "which the low scenario allows for. A stop saves the months assumed.",
    "A patient not started, or stopped, is still treated: each month saved is net of a month of conventional DMARDs "
    "(at 2012 BNF prices; see the assumptions).",
    "Costs per patient-month are the prices in the log; biosimilar prices have fallen since, so the saving per "
    "patient may be smaller at today's prices.",
    f"Quarters with fewer than {MIN_PER_POINT} new referrals are left out of the chart.",
)


BIOLOGICS_PAYER = ("Adult biologics for rheumatology, gastroenterology and dermatology (NICE technology appraisals for "
                   "rheumatoid arthritis, inflammatory bowel disease, psoriasis) are commissioned by ICBs (CCGs until "
                   "2022), not by specialised commissioning; the Menu's case study follows a CCG prescribing pathway "
                   "(Greater Manchester). Net of the conventional treatment given instead. No implementation cost is "
                   "netted: the Menu says 'there were no additional costs associated with this scheme' (the "
                   "Manchester clinic began without extra administrative funding). ")


def opportunity_by_kind(by_scenario: dict[str, pd.DataFrame], period: Period) -> Opportunity:
    """Fewer starts avoid future spend (the Menu: 'avoidance of future costs ... helping to contain cost growth');
    timely stops cut today's."""
    return Opportunity([
        OpportunityComponent(
            "Biologics not started for new patients", COST_AVOIDED, ICB_CCG,
            Range.summed(by_scenario, "from_starts"), period.label,
            note=BIOLOGICS_PAYER + "A start avoided is treatment never begun: spend that would have grown, not "
                                   "spend that falls."),
        OpportunityComponent(
            "Biologics stopped for existing patients", CASH_RELEASING, ICB_CCG,
            Range.summed(by_scenario, "from_stops"), period.label,
            note=BIOLOGICS_PAYER + "A stop ends treatment being paid for today."),
    ])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext) -> SchemeResult:
    area, period, a = run.area, run.period, run.params.assumptions
    referrals = tables["biologics_referrals"]
    year = in_period(referrals, "decision_date", period, "biologics referrals decided")
    local = area_rows(year, area, "biologics referrals decided")
    start_bench, stop_bench = benchmarks(year)
    new_all = new_referrals(referrals)
    measure = proportion_measure(
        new_all, flag="started", date="decision_date", area=area, period=period,
        name="Share of new patients referred who start a biologic", higher_is_better=False, target=start_bench,
        denominator_label="new patients referred for a biologic")

    counts = provider_counts(local).join(beyond_chance(year))
    counted_start, counted_stop = counted_benchmarks(year)
    months = start_months(referrals, run.params)
    by_scenario = {s: provider_savings(counts, counted_start, counted_stop, a["gap_closed"].value(s),
                                       months.get(s), a["months_per_stop_added"].value(s),
                                       a["alternative_cost_per_year"].value(s))
                   for s in SCENARIOS}
    gbp = Range.summed(by_scenario, "saving")
    starts, stops = Range.summed(by_scenario, "starts_avoided"), Range.summed(by_scenario, "stops_added")
    waits, since = first_dose_waits(local), clinic_start_dates(referrals)
    deciders = by_decider(local)
    quarters = quarterly_start_rate(area_rows(new_all, area, "new referrals"))

    outputs = [("Months on the biologic per start avoided (from the log)", "months", months),
               ("New patients not started", "count", starts), ("Existing patients stopped", "count", stops),
               ("Saving from fewer starts", "gbp", Range.summed(by_scenario, "from_starts")),
               ("Saving from timely stops", "gbp", Range.summed(by_scenario, "from_stops")), ("Saving", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=_kpis(local, waits, start_bench, stop_bench, first_year_months(referrals)),
        opportunity=opportunity_by_kind(by_scenario, period),
        quantities=[Quantity("New patients not started on a biologic", "patients", starts),
                    Quantity("Existing patients stopping a biologic", "patients", stops)],
        measure=measure,
        tables={"providers": _provider_table(by_scenario["moderate"], since, waits, measure, run),
                "deciders": _decider_table(deciders, run)},
        charts={"start_rate": _start_rate_chart(deciders, quarters, since, run)},
        scenario_table=scenario_frame(run.params, outputs), caveats=[*CAVEATS, *unfollowed_caveats(referrals, run)],
        data_months=(referrals["decision_date"].min(), referrals["decision_date"].max()),
        area_providers=area.providers,
    )
