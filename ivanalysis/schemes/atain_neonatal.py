"""Scheme 13: avoiding term admissions into neonatal units, ATAIN (Menu of Opportunities, chapter 13).

In 2013 England had 80,251 admissions to neonatal units, almost 60% (48,000) of babies born at term (37 weeks or
more), of which NHS Improvement judges 30% avoidable; four clinical areas drive them: hypoglycaemia, jaundice,
respiratory conditions and asphyxia (hypoxic-ischaemic encephalopathy). The Menu's saving: 30% of term
hypoglycaemia admissions are avoidable, about 3 m pounds a year for hypoglycaemia alone. Its benchmark measure is
term admissions as a share of all live births: 4.9% in the South region (Q3 2017/18), 4.1% in South East Coast.

The saving here, at each provider whose term admissions per live birth are above the benchmark: the term
admissions for the four key reasons that are avoidable (each reason's avoidable share of them), but never so many
that the provider would fall below the benchmark; the avoided admissions release the cot days of the provider's own
avoidable key-reason admissions, valued at the cost of a cot day at each level of care. Providers at or below the
benchmark count nothing (never netted off).

Each reason has its own avoidable share: the share of England's reviewed term admissions for that reason that the
ATAIN reviews judged avoidable in the year (asphyxia, whose admissions include babies cooled for hypoxic-ischaemic
encephalopathy, is judged avoidable far less often than jaundice), or NHS Improvement's 30% where fewer than
MIN_REVIEWS were reviewed.

Counting beyond chance: a provider's rate in one year is its true rate plus chance. The rate compared with the
benchmark is the provider's shrunk toward England's (beta-binomial empirical Bayes, stats.shrinkage), all the way
unless providers differ beyond chance (Cochran's Q at EVIDENCE), so that a provider pushed above the benchmark by
chance alone counts nothing. The benchmark itself is published, not set from the data: where England as a whole is
above it, that gap is real and counts even on data with no true differences between providers.

national() does England's part (the period's admissions and births, the funnel's rows, the hubs' rates), the same
for every area; analyse() the area's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import sdc
from ..config import SCENARIOS, SchemeParams
from ..geography import Area, Geography
from ..report import fmt
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
from ..stats.shrinkage import beta_binomial
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame

TABLES = ("neonatal_admissions", "births")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "neonatal_admissions": ("provider_code", "admission_date", "gestation_weeks", "primary_reason",
                            "cot_days_intensive", "cot_days_high_dependency", "cot_days_special_care", "avoidable"),
    "births": ("provider_code", "birth_date"),
}
ASSUMPTIONS = {"benchmark_rate": "admissions_per_1000_births", "avoidable_share": "share",
               "intensive_cot_day": "gbp_per_day", "high_dependency_cot_day": "gbp_per_day",
               "special_care_cot_day": "gbp_per_day"}
TERM_WEEKS = 37
PER_BIRTHS = 1000  # the benchmark is set per 1,000 live births
KEY_REASONS = ("hypoglycaemia", "jaundice", "respiratory", "asphyxia")  # the Menu's four clinical areas
REASON_LABELS = {"hypoglycaemia": "Hypoglycaemia", "jaundice": "Jaundice", "respiratory": "Respiratory",
                 "asphyxia": "Asphyxia (HIE)", "infection": "Infection", "prematurity": "Prematurity",
                 "congenital": "Congenital anomaly", "other": "Other"}
COT_DAYS = ("cot_days_intensive", "cot_days_high_dependency", "cot_days_special_care")
PRICES = ("intensive_cot_day", "high_dependency_cot_day", "special_care_cot_day")  # in the order of COT_DAYS
# England's reviews of a key reason set its avoidable share when at least this many were reviewed in the year (the
# share's 95% interval is then at most about 10 points either side); fewer, and NHS Improvement's 30% stands
MIN_REVIEWS = 100
EVIDENCE = 0.05  # providers' rates count as different only if they differ beyond chance at this level


def is_term(gestation_weeks: pd.Series) -> pd.Series:
    return gestation_weeks >= TERM_WEEKS


def cot_days(adm: pd.DataFrame) -> pd.Series:
    return adm[list(COT_DAYS)].sum(axis=1)


def cot_day_cost(adm: pd.DataFrame, prices: tuple[float, float, float]) -> pd.Series:
    """Cot days at each level of care (intensive, high dependency, special care) times the price of each."""
    return pd.Series(adm[list(COT_DAYS)].to_numpy(dtype=float) @ np.asarray(prices, dtype=float), index=adm.index)


def admissions_to_avoid(rate: float, live_births: float, benchmark_rate: float, avoidable: float) -> float:
    """Term admissions a provider could avoid: its `avoidable` key-reason term admissions (each reason's avoidable
    share of them, summed), but no more than its term admissions above the benchmark at its `rate` per live birth
    (none when the rate is at or below the benchmark)."""
    above = max(0.0, (rate - benchmark_rate) * live_births)
    return min(above, avoidable)


def avoidable_shares(term: pd.DataFrame, published: float) -> pd.DataFrame:
    """Per key reason (rows in KEY_REASONS order): the term admissions reviewed and those judged avoidable, and the
    avoidable share used in the moderate scenario: the reviews' share where at least MIN_REVIEWS were reviewed
    (from_reviews), otherwise `published` (NHS Improvement's national estimate)."""
    key = term[term["primary_reason"].isin(KEY_REASONS) & (term["avoidable"] != "not_reviewed")]
    reviewed = key.groupby("primary_reason").size().reindex(KEY_REASONS, fill_value=0)
    judged = (key["avoidable"] == "yes").groupby(key["primary_reason"]).sum().reindex(KEY_REASONS, fill_value=0)
    enough = reviewed >= MIN_REVIEWS
    share = (judged / reviewed.where(enough)).fillna(published)
    return pd.DataFrame({"reviewed": reviewed, "judged_avoidable": judged, "share": share, "from_reviews": enough})


def scenario_shares(shares: pd.DataFrame, a: dict) -> dict[str, dict[str, float]]:
    """Each scenario's avoidable share of each key reason: the moderate one (`avoidable_shares`) scaled as the
    published share's scenarios are (20%, 30%, 40%: two thirds, once and four thirds), never above 1."""
    published = a["avoidable_share"]
    return {s: (shares["share"] * (published.value(s) / published.moderate if published.moderate else 0.0))
            .clip(upper=1.0).to_dict() for s in SCENARIOS}


def shrunk_rates(term: pd.DataFrame, births: pd.Series) -> pd.Series:
    """Each provider's term admissions per live birth shrunk toward England's (beta-binomial, stats.shrinkage): by
    its reliability, and all the way when providers differ no more than chance at EVIDENCE.

    `term`: England's term admissions in the period; `births`: live births by provider in the period (England's).
    Admissions above a provider's births (possible only in tiny extracts) are capped at the births."""
    n = births[births > 0].astype(float)
    if n.empty:
        return pd.Series(dtype=float)
    x = term.groupby("provider_code").size().reindex(n.index, fill_value=0).astype(float).clip(upper=n)
    return beta_binomial(n.index, x, n, evidence=EVIDENCE).shrunk()


def per_birth_frame(term_adm: pd.DataFrame, births: pd.DataFrame) -> pd.DataFrame:
    """One row per live birth (provider, month) flagged True for as many births as there were term admissions,
    so that proportion_measure can chart term admissions as a share of live births. Admissions above a month's
    births (possible only in tiny extracts) are capped at the births."""
    month = lambda d: d.dt.to_period("M").dt.to_timestamp()  # noqa: E731
    b = births.groupby(["provider_code", month(births["birth_date"])]).size()
    a = term_adm.groupby(["provider_code", month(term_adm["admission_date"])]).size()
    a = a.reindex(b.index, fill_value=0).clip(upper=b)
    rows = np.repeat(np.arange(len(b)), b.to_numpy())
    rank = np.arange(len(rows)) - np.repeat(np.cumsum(b.to_numpy()) - b.to_numpy(), b.to_numpy())
    return pd.DataFrame({"provider_code": b.index.get_level_values(0)[rows],
                         "month": b.index.get_level_values(1)[rows],
                         "term_admission": rank < a.to_numpy()[rows]})


def provider_opportunity(term: pd.DataFrame, births: pd.Series, benchmark_rate: float, shares: dict[str, float],
                         prices: tuple[float, float, float], rates: pd.Series | None = None) -> pd.DataFrame:
    """Per provider with live births: the term admissions to avoid, the cot days they release and their cost.

    `term`: the period's term admissions (provider_code, primary_reason, cot days); `births`: live births by
    provider in the period; `shares`: the avoidable share of each key reason; `rates`: each provider's term
    admissions per live birth to compare with the benchmark (`shrunk_rates`; the observed rate where not given).
    The avoidable admissions of each reason bring their own cot days; when the benchmark caps the admissions avoided,
    each reason's are scaled down alike.
    """
    key = term[term["primary_reason"].isin(KEY_REASONS)]
    share = key["primary_reason"].map(shares).astype(float)
    by = key["provider_code"]
    out = pd.DataFrame({"births": births.astype(float)})
    out["term"] = term.groupby("provider_code").size().reindex(out.index, fill_value=0)
    out["key"] = key.groupby("provider_code").size().reindex(out.index, fill_value=0)
    observed = out["term"] / out["births"]
    out["rate"] = observed if rates is None else rates.reindex(out.index).fillna(observed)
    out["avoidable"] = share.groupby(by).sum().reindex(out.index, fill_value=0.0)
    out["avoidable_days"] = (share * cot_days(key)).groupby(by).sum().reindex(out.index, fill_value=0.0)
    out["avoidable_cost"] = (share * cot_day_cost(key, prices)).groupby(by).sum().reindex(out.index, fill_value=0.0)
    out["avoided"] = [admissions_to_avoid(r.rate, r.births, benchmark_rate, r.avoidable) for r in out.itertuples()]
    scale = out["avoided"] / out["avoidable"].replace(0, np.nan)  # the share of the avoidable admissions avoided
    out["days_released"] = (scale * out["avoidable_days"]).fillna(0.0)
    out["saving"] = (scale * out["avoidable_cost"]).fillna(0.0)
    return out


def reason_table(term: pd.DataFrame, prices: tuple[float, float, float], shares: dict[str, float]) -> pd.DataFrame:
    """Term admissions by primary reason: count, review results, cot days and the cost of the avoidable share (at
    `shares`, the avoidable share of each key reason; none for the other reasons, which the saving leaves out)."""
    reasons = [r for r in REASON_LABELS if r != "prematurity"]
    g = term.groupby("primary_reason")
    reviewed = term[term["avoidable"] != "not_reviewed"]
    out = pd.DataFrame({
        "Reason": [REASON_LABELS[r] for r in reasons],
        "ATAIN key area": ["yes" if r in KEY_REASONS else "no" for r in reasons],
        "Term admissions": g.size().reindex(reasons, fill_value=0).to_numpy(),
        "Reviewed": reviewed.groupby("primary_reason").size().reindex(reasons, fill_value=0).to_numpy(),
        "Judged avoidable": (reviewed["avoidable"] == "yes").groupby(reviewed["primary_reason"]).sum()
        .reindex(reasons, fill_value=0).to_numpy(),
        "Cot days": cot_days(term).groupby(term["primary_reason"]).sum().reindex(reasons, fill_value=0).to_numpy(),
        "Cot-day cost": cot_day_cost(term, prices).groupby(term["primary_reason"]).sum()
        .reindex(reasons, fill_value=0).to_numpy(),
    })
    out["Total"] = len(term)
    out["Share of term admissions"] = out["Term admissions"] / out["Total"]
    out["Share judged avoidable"] = out["Judged avoidable"] / out["Reviewed"].where(out["Reviewed"] > 0)
    out["Cot days per admission"] = out["Cot days"] / out["Term admissions"].where(out["Term admissions"] > 0)
    out["Cost of the avoidable share"] = pd.Series(reasons).map(shares).to_numpy(dtype=float) * out["Cot-day cost"]
    return out.sort_values("Term admissions", ascending=False, kind="stable").reset_index(drop=True)


def _hub_rates(term: pd.DataFrame, births: pd.DataFrame, geography: Geography) -> pd.DataFrame:
    hub_births = births["provider_code"].map(geography.hub_of).value_counts()
    hub_term = term["provider_code"].map(geography.hub_of).value_counts()
    names = {h.code: h.name for h in geography.hubs()}
    out = pd.DataFrame({"Hub": [names[h] for h in hub_births.index],
                        "Rate": (hub_term.reindex(hub_births.index, fill_value=0) / hub_births).to_numpy()})
    return out.sort_values("Rate", ascending=False, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class National:
    """England's part of the analysis, the same for every area (read-only: a warm kernel keeps it for every hub)."""

    adm: pd.DataFrame  # admissions to neonatal units in the period
    births: pd.DataFrame  # live births in the period
    per_birth: pd.DataFrame  # per_birth_frame of every month, for the measure
    hubs: pd.DataFrame  # each hub's term admissions per live birth in the period
    data_months: tuple[pd.Timestamp, pd.Timestamp]
    shares: pd.DataFrame  # avoidable_shares of England's term admissions in the period
    rates: pd.Series  # shrunk_rates: each provider's term admissions per live birth, beyond chance


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    adm, births = tables["neonatal_admissions"], tables["births"]
    year_adm = in_period(adm, "admission_date", period, "admissions to neonatal units")
    year_births = in_period(births, "birth_date", period, "live births")
    year_term = year_adm[is_term(year_adm["gestation_weeks"])]
    return National(year_adm, year_births, per_birth_frame(adm[is_term(adm["gestation_weeks"])], births),
                    _hub_rates(year_term, year_births, geography),
                    (adm["admission_date"].min(), adm["admission_date"].max()),
                    avoidable_shares(year_term, params.assumptions["avoidable_share"].moderate),
                    shrunk_rates(year_term, year_births.groupby("provider_code").size()))


def scenario_prices(a: dict) -> dict[str, tuple[float, float, float]]:
    """The price of a cot day at each level of care (in the order of COT_DAYS), in each scenario."""
    return {s: tuple(a[p].value(s) for p in PRICES) for s in SCENARIOS}


def opportunity(term: pd.DataFrame, births: pd.Series, a: dict, shares: pd.DataFrame,
                rates: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """provider_opportunity in each scenario, at that scenario's benchmark, avoidable shares (`scenario_shares` of
    `shares`) and prices; `rates` as provider_opportunity takes them."""
    prices, by_reason = scenario_prices(a), scenario_shares(shares, a)
    return {s: provider_opportunity(term, births, a["benchmark_rate"].value(s) / PER_BIRTHS, by_reason[s],
                                    prices[s], rates) for s in SCENARIOS}


# --- the page: KPIs, tables, charts -----------------------------------------------------------------------------------
# beside every figure of term admissions per live birth: the data hold no place of birth, so transfers cannot be moved
TRANSFERS_NOTE = ("counted at the unit that admits the baby, against that unit's live births: a baby born elsewhere "
                  "and transferred in counts there, as the data do not say where a baby was born")


def _kpis(adm: pd.DataFrame, term: pd.DataFrame, n_births: int, key_share: float | None, hypo_cost: float,
          hypo_share: float, benchmark: float) -> list[KPI]:
    n_term, n_adm = len(term), len(adm)
    reviewed = term[term["avoidable"] != "not_reviewed"]
    return [
        KPI("Term admissions as a share of live births", safe_share(n_term, n_births), "share", benchmark, False,
            f"Menu: South region 4.9% in Q3 2017/18, South East Coast 4.1%; {TRANSFERS_NOTE}"),
        KPI("Admissions to neonatal units", float(n_adm), "count", note="Menu: 80,251 in England in 2013"),
        KPI("Admissions of babies born at term", safe_share(n_term, n_adm), "share", None, False,
            "Menu: almost 60% (48,000) in England"),
        KPI("Term admissions", float(n_term), "count"),
        KPI("Term admissions for hypoglycaemia, jaundice, respiratory or asphyxia", key_share, "share", None, False,
            "the four clinical areas of ATAIN"),
        KPI("Term admissions reviewed", safe_share(len(reviewed), n_term), "share", 1.0, True,
            "ATAIN asks units to review every term admission"),
        KPI("Reviewed term admissions judged avoidable", safe_share((reviewed["avoidable"] == "yes").sum(),
                                                                    len(reviewed)), "share", None, False,
            "NHS Improvement: 30% of term admissions are avoidable"),
        KPI("Cot days of term admissions", float(cot_days(term).sum()), "days"),
        KPI("Cost of the avoidable share of term hypoglycaemia admissions", hypo_cost, "gbp",
            note=f"Menu: about £3m a year in England (30% avoidable); here {fmt.pct(hypo_share)} avoidable, "
                 "moderate prices, before the benchmark"),
        KPI("Live births", float(n_births), "count"),
    ]


def _provider_columns(m: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Live births": m["births"].astype(int), "Term admissions": m["term"].astype(int),
        "Term admissions per live birth": m["term"] / m["births"],
        "Term admissions per live birth beyond chance": m["rate"],
        "Key-reason term admissions": m["key"].astype(int),
        "Admissions avoided (moderate)": m["avoided"], "Cot days released (moderate)": m["days_released"],
        "Saving (moderate)": m["saving"]})


def _reason_chart(shown: pd.DataFrame, key_share: float | None, area: Area, period: Period) -> Chart:
    """`shown`: the reasons that may be charted (reason_table's rows, highest first)."""
    top = shown.iloc[0] if len(shown) else None
    return Chart(
        "bar", shown[["Reason", "Share of term admissions"]], x="Reason", y="Share of term admissions",
        title=f"Term admissions by primary reason, {area.name}, {period.label}",
        value_label="Share of term admissions", value_format="percent",
        highlight=tuple(REASON_LABELS[r] for r in KEY_REASONS),
        finding=(f"In {area.name}, {top['Reason'].lower()} is the commonest primary reason for a term admission "
                 f"({fmt.pct(top['Share of term admissions'])}); the four ATAIN areas (highlighted) account for "
                 f"{fmt.pct(key_share)} of term admissions." if top is not None else
                 f"{area.name} has too few term admissions to chart by reason."))


def _hub_chart(hub_rates: pd.DataFrame, area: Area, geography: Geography, period: Period) -> Chart:
    hubs = hub_rates.copy()  # the chart's own frame: the national one is shared by every area
    area_hubs = tuple(geography.areas[h].name for h in area.hubs) if not area.is_national else ()
    best, worst = hubs.iloc[-1], hubs.iloc[0]
    return Chart(
        "bar", hubs, x="Hub", y="Rate", value_format="percent", highlight=area_hubs,
        title=f"Term admissions as a share of live births, by hub, {period.label}",
        value_label="Term admissions per live birth",
        finding=(f"Term admissions per live birth range from {fmt.pct(best['Rate'])} in {best['Hub']} to "
                 f"{fmt.pct(worst['Rate'])} in {worst['Hub']}; the Menu's benchmarks are 4.9% (South region) "
                 "and 4.1% (South East Coast)."))


def _tables(prov: pd.DataFrame, reasons: pd.DataFrame, area: Area, period: Period) -> dict[str, Table]:
    return {
        "providers": Table(f"Providers of {area.name}: live births and term admissions to neonatal units, "
                           f"{period.label} (term admissions {TRANSFERS_NOTE}; the rate beyond chance is the one "
                           "compared with the benchmark)", prov,
                           counts=("Live births", "Term admissions", "Key-reason term admissions"),
                           rates={"Term admissions per live birth": ("Term admissions", "Live births"),
                                  "Term admissions per live birth beyond chance": ("Term admissions", "Live births")},
                           money=("Saving (moderate)",),
                           numbers=("Admissions avoided (moderate)", "Cot days released (moderate)"),
                           opportunity=("Saving (moderate)", "Admissions avoided (moderate)",
                                        "Cot days released (moderate)")),
        "reasons": Table(f"{area.name}: term admissions to neonatal units by primary reason, {period.label} "
                         "(costs at moderate prices)",
                         reasons[["Reason", "ATAIN key area", "Term admissions", "Share of term admissions",
                                  "Reviewed", "Judged avoidable", "Share judged avoidable", "Cot days",
                                  "Cot days per admission", "Cot-day cost", "Cost of the avoidable share",
                                  "Total"]],
                         hidden=("Total",), counts=("Term admissions", "Reviewed", "Judged avoidable", "Cot days",
                                                    "Total"),
                         rates={"Share of term admissions": ("Term admissions", "Total"),
                                "Share judged avoidable": ("Judged avoidable", "Reviewed")},
                         money=("Cot-day cost", "Cost of the avoidable share"),
                         numbers=("Cot days per admission",), rows_are_the_area=True),
    }


CAVEATS = [
    "Term admissions are counted against all live births of the provider, as the Menu's benchmark is, and at the "
    "unit that admits the baby: the data do not say where a baby was born, so a baby born elsewhere and transferred "
    "in (often for intensive care, such as cooling for hypoxic-ischaemic encephalopathy) counts against the "
    "admitting unit's births. Units that take transfers look worse than their own maternity care is; their "
    "referring units look better.",
    "Each key reason's avoidable share is what England's ATAIN reviews judged avoidable for that reason in the year "
    "(where at least 100 were reviewed; NHS Improvement's national 30% otherwise): a review's judgement is local and "
    "may not be consistent between units. No published source gives the share by reason, except the Menu's 30% for "
    "hypoglycaemia.",
    "An avoided admission is taken to use the cot days of the provider's own admissions for that reason; avoidable "
    "admissions are often shorter, so the saving may be an upper figure.",
    "The saving is gross: babies kept with their mothers still need care on the postnatal or transitional care "
    "ward, which the Menu counts as no additional cost. Cot-day prices are reference costs, not local prices.",
]


def _caveats(no_births: list[str]) -> list[str]:
    if not no_births:
        return list(CAVEATS)
    return [*CAVEATS, f"{len(no_births)} provider(s) with term admissions but no live births recorded in the "
                      f"period are left out of the opportunity: {', '.join(no_births)}."]


def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Neonatal cot days of avoidable term admissions", CASH_RELEASING, NHSE_SPECIALISED, gbp, period.label,
        note="NHS England commissions neonatal critical care and pays it by the cot day at each level of care, so a "
             "cot day not used is one not paid for (the Menu: a cost saving of about 3 m pounds a year for "
             "hypoglycaemia alone). Where a unit runs full its cots fill with other babies, and the gain is capacity "
             "(fewer transfers out) rather than cash. Not netted: the transitional care on the postnatal ward that "
             "replaces some admissions, a maternity cost for which no sourced figure is held. Term admissions are "
             f"{TRANSFERS_NOTE}.")])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext, national: National) -> SchemeResult:
    area, period, a = run.area, run.period, run.params.assumptions
    local_adm = area_rows(national.adm, area, "admissions to neonatal units")
    births = area_rows(national.births, area, "live births")
    benchmark = a["benchmark_rate"].moderate / PER_BIRTHS
    measure = proportion_measure(
        national.per_birth, flag="term_admission", date="month", area=area, period=period,
        name="Term admissions to neonatal units per live birth", higher_is_better=False,
        target=benchmark, denominator_label="live births")
    term = local_adm[is_term(local_adm["gestation_weeks"])]
    births_by_provider = births.groupby("provider_code").size()
    no_births = sorted(set(term["provider_code"]) - set(births_by_provider.index))
    opp = opportunity(term, births_by_provider, a, national.shares, national.rates)
    avoided = Range.summed(opp, "avoided")
    days = Range.summed(opp, "days_released")
    gbp = Range.summed(opp, "saving")

    shares = scenario_shares(national.shares, a)
    reasons = reason_table(term, scenario_prices(a)["moderate"], shares["moderate"])
    hypo_cost = float(reasons.set_index("Reason").loc[REASON_LABELS["hypoglycaemia"], "Cost of the avoidable share"])
    key_share = safe_share(term["primary_reason"].isin(KEY_REASONS).sum(), len(term))
    shown = reasons
    if not area.is_national:  # figures per admission, or a bar, would give away a count the rule suppresses
        small = sdc.small(reasons["Term admissions"])
        reasons.loc[small, ["Cot days per admission", "Cot-day cost", "Cost of the avoidable share"]] = np.nan
        shown = reasons[~small]
    prov = provider_table(_provider_columns(opp["moderate"]), measure, run.geography)
    outputs = [*[(f"{REASON_LABELS[r]}: avoidable share used "
                  f"({'ATAIN reviews' if national.shares.loc[r, 'from_reviews'] else 'NHS Improvement'})", "share",
                  Range.of(lambda s, r=r: shares[s][r])) for r in KEY_REASONS],
               ("Term admissions avoided", "count", avoided), ("Cot days released", "days", days),
               ("Saving", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=_kpis(local_adm, term, len(births), key_share, hypo_cost,
                                shares["moderate"]["hypoglycaemia"], benchmark),
        opportunity=opportunity_by_kind(gbp, period),
        quantities=[Quantity("Term admissions avoided", "admissions", avoided),
                    Quantity("Neonatal cot days released", "cot days", days)],
        measure=measure,
        tables=_tables(prov, reasons, area, period),
        charts={"reasons": _reason_chart(shown, key_share, area, period),
                "hubs": _hub_chart(national.hubs, area, run.geography, period)},
        scenario_table=scenario_frame(run.params, outputs),
        caveats=_caveats(no_births),
        data_months=national.data_months,
        area_providers=area.providers,
        opportunity_note=("Opportunity is counted only where a provider's term admissions per live birth, beyond "
                          "chance, are above the benchmark; providers below it are never netted off."),
    )
