"""Scheme 2: antifungal stewardship (Menu of Opportunities, chapter 2).

The Menu's aims: appropriate use of antifungals (its KPI: defined daily doses, DDDs), oral rather than intravenous
use where clinically appropriate (oral to intravenous ratios) and generic products wherever appropriate; 'savings
will be calculated based on the spend on antifungals', and the cost is a specialist pharmacist for one programmed
activity (PA, 4 hours) a week at larger providers. The Menu publishes no national figure.

Like for like: haematology and transplant wards use antifungals at many times the rate of other wards, and only some
providers have them. The issues record the specialty of the ward each went to and the bed days those of the
haematology and transplant wards, so use and route are benchmarked within each kind of ward, per 1,000 of its own
occupied bed days: other wards against every provider's other wards, haematology and transplant wards against the
providers that have them. Products are bought for the whole provider and are benchmarked across providers.

Beyond chance: each provider's rate or share is shrunk toward England's for the kind of ward (empirical Bayes,
stats.shrinkage) by the share of its variance that chance explains. Chance is judged from the providers' own months:
how far their monthly counts stray from their year's rate, once England's month-to-month pattern is allowed for
(quasi-Poisson dispersion), since DDDs come in courses and vary more than a Poisson count. Unless the providers
differ beyond chance (Cochran's Q at EVIDENCE) every one is at England's figure and nothing counts. The benchmarks
are percentiles of the shrunk figures.

How the saving is calculated, per provider and only where it is worse than the benchmark (never netted off):
1. use: DDDs per 1,000 occupied bed days above the benchmark (a percentile of providers' shrunk rates for the kind of
   ward) are DDDs avoided, valued at the provider's own cost per DDD on those wards;
2. route: of the DDDs left, intravenous DDDs of the drugs that come both ways move to oral until the shrunk oral
   share reaches the benchmark share (a percentile of providers, never above the ceiling), each valued at the
   national difference between that drug's intravenous and oral cost per DDD;
3. product: of the DDDs left, branded DDDs of drug-routes with a generic move to generic until the shrunk generic
   share reaches the benchmark share, valued at the national difference between branded and generic cost per DDD.
The saving (the headline) is parts 1 and 2 on other wards and part 3, less the pharmacist's time at providers with
a saving and at least the 'larger provider' bed days; a provider whose saving would not pay for the pharmacist counts
as nothing. Parts 1 and 2 on haematology and transplant wards stand beside it, a prompt for review rather than a
saving: bed days there do not measure the patients' risk (allogeneic stem cell transplants, induction for acute
leukaemia) that decides antifungal prophylaxis and treatment.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..data.schemas.antifungal_issues import HAEM_TRANSPLANT, OTHER_WARDS
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
from ..stats.shrinkage import between_variance, shrink
from .base import area_rows, in_period, provider_table, rate_measure, safe_share, scenario_frame
from .contract import Tables

TABLES = ("antifungal_issues", "bed_days")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "antifungal_issues": ("provider_code", "month", "specialty", "drug", "route", "product_type", "ddd",
                          "cost_gbp"),
    "bed_days": ("provider_code", "month", "occupied_bed_days", "haematology_transplant_bed_days"),
}
ASSUMPTIONS = {
    "benchmark_percentile": "share",
    "oral_share_ceiling": "share",
    "generic_share_ceiling": "share",
    "pharmacist_cost_per_hour": "gbp_per_hour",
    "pharmacist_hours_per_week": "hours_per_week",
    "larger_provider_bed_days": "bed_days_per_year",
}
PER = 1000.0  # DDDs per 1,000 occupied bed days
WEEKS_PER_YEAR = 52
WARDS = (OTHER_WARDS, HAEM_TRANSPLANT)
WARD_NAMES = {OTHER_WARDS: "other wards", HAEM_TRANSPLANT: "haematology and transplant wards"}
EVIDENCE = 0.05  # providers differ only if they do beyond chance at this level (Cochran's Q)


# --- the arithmetic, one piece at a time ---------------------------------------------------------------------------
def ddd_rate(ddd: float, bed_days: float) -> float:
    """DDDs per 1,000 occupied bed days."""
    return ddd / bed_days * PER


def benchmark_rate(rates: pd.Series, percentile: float) -> float:
    """The benchmark use: the rate that the best `percentile` of providers (lowest first) are at or below (0.5: the
    median provider; 0.25: the best quarter)."""
    return float(np.quantile(rates.to_numpy(dtype=float), percentile))


def benchmark_share(shares: pd.Series, percentile: float, ceiling: float) -> float:
    """The benchmark share where higher is better: the share that the best `percentile` of providers (highest first)
    reach, as benchmark_rate() mirrored, and never above `ceiling`."""
    return min(ceiling, float(np.quantile(shares.to_numpy(dtype=float), 1.0 - percentile)))


def excess_ddd(rate: float, bed_days: float, benchmark: float) -> float:
    """DDDs above what the provider would use at the benchmark rate (`rate` and `benchmark` per 1,000 bed days);
    nothing if it is at or below it."""
    return max(0.0, rate - benchmark) * bed_days / PER


def share_shortfall(share: float, whole: float, benchmark: float) -> float:
    """Units to move so that a share of `whole` reaches the benchmark share; nothing if it already does."""
    return max(0.0, benchmark - share) * whole if whole > 0 else 0.0


def pharmacist_cost(cost_per_hour: float, hours_per_week: float) -> float:
    """A year of specialist pharmacist time: 1 PA (4 hours) a week is 4 x 52 = 208 hours."""
    return cost_per_hour * hours_per_week * WEEKS_PER_YEAR


def net_saving(gross: float, cost: float) -> float:
    """The saving less the pharmacist; a provider where the pharmacist costs more than it saves counts as nothing."""
    return max(0.0, gross - cost)


# --- beyond chance -------------------------------------------------------------------------------------------------
def dispersion(monthly: pd.DataFrame) -> float:
    """How much more the units' monthly counts vary than Poisson counts would (quasi-Poisson phi; 1: as much).

    `monthly`: one row per unit and month, columns unit, month, numerator, denominator (rows with a denominator of 0
    are left out). A unit's expected count in a month is its denominator x England's rate that month x the unit's own
    level over the year (so that its expected counts add up to its year's), and phi = sum (O - E)^2 / E over the
    degrees of freedom, rows - units - (months - 1): Pearson's statistic, the usual estimate of a quasi-Poisson
    dispersion (McCullagh and Nelder 1989, 'Generalized linear models', 2nd ed.). 1 (Poisson) when there are too few
    months to tell.
    """
    m = monthly[monthly["denominator"] > 0]
    by_month = m.groupby("month")[["numerator", "denominator"]].sum()
    dof = len(m) - m["unit"].nunique() - (len(by_month) - 1)
    if dof <= 0 or by_month["numerator"].sum() == 0:
        return 1.0
    total = by_month["numerator"].sum() / by_month["denominator"].sum()
    exposure = m["denominator"] * m["month"].map(by_month["numerator"] / by_month["denominator"] / total)
    level = m.groupby("unit")["numerator"].transform("sum") / exposure.groupby(m["unit"]).transform("sum")
    expected = exposure * level
    seen = expected > 0
    return float(((m["numerator"] - expected)[seen] ** 2 / expected[seen]).sum() / dof)


def beyond_chance(monthly: pd.DataFrame) -> pd.DataFrame:
    """Each unit's year (`monthly` as dispersion()'s): numerator, denominator, rate and `shrunk`, the rate shrunk
    toward the pooled rate r by B = sigma2 / (sigma2 + phi r / denominator): phi r / denominator is the rate's
    variance by chance (quasi-Poisson: dispersion()), sigma2 the providers' variance beyond it (stats.shrinkage), 0
    unless they differ beyond chance at EVIDENCE. A share (oral DDDs of all DDDs, say) is a rate of its whole."""
    m = monthly[monthly["denominator"] > 0]
    out = m.groupby("unit")[["numerator", "denominator"]].sum()
    out["rate"] = out["numerator"] / out["denominator"]
    pooled = out["numerator"].sum() / out["denominator"].sum() if len(out) else 0.0
    phi = dispersion(m)
    if pooled == 0 or phi == 0 or len(out) < 2:  # nothing issued, months that do not vary, or one unit
        out["shrunk"] = out["rate"] if phi == 0 else pooled
        return out
    variance = phi * pooled / out["denominator"]
    sigma2 = between_variance(out["rate"], variance, evidence=EVIDENCE)
    out["shrunk"], _, _ = shrink(out["rate"], variance, pooled, sigma2)
    return out


# --- tables ----------------------------------------------------------------------------------------------------------
def national_prices(issues: pd.DataFrame) -> pd.DataFrame:
    """Cost per DDD by drug, route and product type across England: the prices switches are valued at."""
    g = issues.groupby(["drug", "route", "product_type"], observed=True)[["cost_gbp", "ddd"]].sum()
    return (g["cost_gbp"] / g["ddd"]).unstack("product_type")


def switch_prices(issues: pd.DataFrame) -> pd.DataFrame:
    """national_prices(), with "all": the cost per DDD of each drug and route whatever the product (what a move from
    intravenous to oral is valued at)."""
    prices = national_prices(issues)
    g = issues.groupby(["drug", "route"], observed=True)[["cost_gbp", "ddd"]].sum()
    prices["all"] = g["cost_gbp"] / g["ddd"]
    return prices


def dual_route_drugs(issues: pd.DataFrame) -> list[str]:
    """Drugs issued both orally and intravenously in the data."""
    routes = issues.groupby("drug", observed=True)["route"].nunique()
    return sorted(routes[routes == 2].index)


def ward_months(issues: pd.DataFrame, beds: pd.DataFrame, prices: pd.DataFrame, dual: list[str]) -> pd.DataFrame:
    """Per provider, month and kind of ward (`specialty`): occupied bed days, DDDs and spend; oral and intravenous
    DDDs of the drugs given both ways and what moving them to oral would save (`iv_value`, at national prices);
    generic and branded DDDs of drug-routes with a generic and what moving the branded ones would save
    (`generic_value`). `prices` is switch_prices(); `beds` the bed days of the same months. Every provider-month
    with bed days on a kind of ward has a row, issues or none."""
    df = issues.assign(pair=list(zip(issues["drug"], issues["route"])))
    iv_saves = (prices["all"].xs("intravenous", level="route") - prices["all"].xs("oral", level="route")).clip(lower=0)
    has_generic = prices["generic"].dropna().index  # drug-routes with a generic issued somewhere in England
    generic_saves = (prices["branded"] - prices["generic"]).reindex(has_generic).fillna(0.0).clip(lower=0)
    generic_able = df["pair"].isin(set(has_generic))
    dual_route = df["drug"].isin(dual)
    iv = dual_route & (df["route"] == "intravenous")
    branded = generic_able & (df["product_type"] == "branded")
    df = df.assign(
        spend=df["cost_gbp"], oral=np.where(dual_route & (df["route"] == "oral"), df["ddd"], 0.0),
        iv=np.where(iv, df["ddd"], 0.0), iv_value=np.where(iv, df["ddd"] * df["drug"].map(iv_saves).fillna(0.0), 0.0),
        generic=np.where(generic_able & (df["product_type"] == "generic"), df["ddd"], 0.0),
        branded=np.where(branded, df["ddd"], 0.0),
        generic_value=np.where(branded, df["ddd"] * df["pair"].map(generic_saves).fillna(0.0), 0.0))
    key = ["provider_code", "month", "specialty"]
    columns = ["ddd", "spend", "oral", "iv", "iv_value", "generic", "branded", "generic_value"]
    used = df.groupby(key, observed=True)[columns].sum()
    haem = beds["haematology_transplant_bed_days"]
    bed_days = pd.concat([
        beds.assign(specialty=OTHER_WARDS, bed_days=beds["occupied_bed_days"] - haem),
        beds.assign(specialty=HAEM_TRANSPLANT, bed_days=haem)]).groupby(key)["bed_days"].sum()
    out = pd.concat([bed_days[bed_days > 0], used], axis=1).fillna(0.0)
    return out.rename_axis(key)


def of_ward(frame: pd.DataFrame, ward: str) -> pd.DataFrame:
    """The rows of one kind of ward of a frame indexed by specialty among other levels, without that level (empty,
    not an error, when there are none)."""
    return frame[frame.index.get_level_values("specialty") == ward].droplevel("specialty")


def shrunk_figures(months: pd.DataFrame) -> dict[str, pd.Series]:
    """England's providers' figures beyond chance (`months` is ward_months() of England's year), each a Series by
    provider: `rate <ward>` DDDs per 1,000 bed days and `oral <ward>` the oral share of drugs given both ways, for
    each kind of ward; `generic` the generic share of DDDs with a generic, for the whole provider."""
    def shrunk(frame: pd.DataFrame, numerator: str, denominator: str) -> pd.Series:
        m = frame.reset_index()
        return beyond_chance(pd.DataFrame({"unit": m["provider_code"], "month": m["month"],
                                           "numerator": m[numerator], "denominator": m[denominator]}))["shrunk"]
    out = {}
    for ward in WARDS:
        m = of_ward(months, ward)
        out[f"rate {ward}"] = shrunk(m, "ddd", "bed_days") * PER
        out[f"oral {ward}"] = shrunk(m.assign(both=m["oral"] + m["iv"]), "oral", "both")
    whole = months.groupby(["provider_code", "month"]).sum()
    out["generic"] = shrunk(whole.assign(able=whole["generic"] + whole["branded"]), "generic", "able")
    return out


def benchmarks(shrunk: dict[str, pd.Series], params: SchemeParams, scenario: str) -> dict[str, float]:
    """The benchmark of each figure of shrunk_figures() under one scenario (NaN where no provider has one)."""
    a = params.assumptions
    percentile = a["benchmark_percentile"].value(scenario)
    ceiling = {"oral": a["oral_share_ceiling"].value(scenario), "generic": a["generic_share_ceiling"].value(scenario)}
    out = {}
    for name, values in shrunk.items():
        if values.empty:
            out[name] = float("nan")
        elif name.startswith("rate"):
            out[name] = benchmark_rate(values, percentile)
        else:
            out[name] = benchmark_share(values, percentile, ceiling[name.split()[0]])
    return out


def provider_figures(months: pd.DataFrame, shrunk: dict[str, pd.Series]) -> pd.DataFrame:
    """One row per provider and kind of ward of ward_months() (the year's sums), with the shrunk figures that apply
    to it: `rate` (per 1,000 bed days), `oral_share` (of its ward) and `generic_share` (of its provider)."""
    out = months.groupby(["provider_code", "specialty"]).sum()
    wards = out.index.get_level_values("specialty")
    providers = out.index.get_level_values("provider_code")
    for column, kind in (("rate", "rate"), ("oral_share", "oral")):
        out[column] = np.nan
        for ward in WARDS:
            here = wards == ward
            out.loc[here, column] = shrunk[f"{kind} {ward}"].reindex(providers[here]).to_numpy()
    out["generic_share"] = shrunk["generic"].reindex(providers).to_numpy()
    return out


def provider_opportunity(figures: pd.DataFrame, bench: dict[str, float]) -> pd.DataFrame:
    """Each provider's gross saving (the headline's parts: use, route and product) and the prompt for review (use
    and route on haematology and transplant wards), with the DDDs behind them. `figures` is provider_figures(),
    `bench` benchmarks(). Use falls to the benchmark first; the route switch applies to the ward's DDDs left and the
    product switch to the provider's DDDs left once other wards' use has fallen."""
    f = figures.copy()
    wards = f.index.get_level_values("specialty")
    rate_bench = np.array([bench[f"rate {w}"] for w in wards])
    oral_bench = np.array([bench[f"oral {w}"] for w in wards])
    with_beds = f["bed_days"] > 0
    f["ddd_avoided"] = [excess_ddd(r, b, x) if ok else 0.0
                        for r, b, x, ok in zip(f["rate"], f["bed_days"], rate_bench, with_beds)]
    f["use"] = f["ddd_avoided"] * (f["spend"] / f["ddd"]).where(f["ddd"] > 0, 0.0)
    keep = (1 - f["ddd_avoided"] / f["ddd"]).where(f["ddd"] > 0, 1.0)
    both = f["oral"] + f["iv"]
    f["to_oral"] = [share_shortfall(s, w, x) if w > 0 else 0.0
                    for s, w, x in zip(f["oral_share"].fillna(1.0), both, oral_bench)] * keep
    f["route"] = f["to_oral"] * (f["iv_value"] / f["iv"]).where(f["iv"] > 0, 0.0)

    other, unit = of_ward(f, OTHER_WARDS), of_ward(f, HAEM_TRANSPLANT)
    whole = f[["bed_days", "ddd", "spend", "oral", "iv", "generic", "branded", "generic_value"]].groupby(
        "provider_code").sum()
    out = pd.DataFrame(index=whole.index)
    for column in ("bed_days", "ddd", "spend", "oral", "iv", "generic", "branded"):
        out[column] = whole[column]
    out["haem_bed_days"] = unit["bed_days"].reindex(out.index).fillna(0.0)
    out["haem_ddd"] = unit["ddd"].reindex(out.index).fillna(0.0)
    for column in ("ddd_avoided", "use", "to_oral", "route"):
        out[column] = other[column].reindex(out.index).fillna(0.0)
        out[f"review_{column}"] = unit[column].reindex(out.index).fillna(0.0)
    out["generic_able"] = out["generic"] + out["branded"]
    share = figures["generic_share"].groupby("provider_code").first().reindex(out.index)
    left = (1 - out["ddd_avoided"] / out["ddd"]).where(out["ddd"] > 0, 1.0)
    out["to_generic"] = [share_shortfall(s, a, bench["generic"]) if a > 0 else 0.0
                         for s, a in zip(share.fillna(1.0), out["generic_able"])] * left
    out["product"] = out["to_generic"] * (whole["generic_value"] / out["branded"]).where(out["branded"] > 0, 0.0)
    out["gross"] = out[["use", "route", "product"]].sum(axis=1)
    out["review"] = out["review_use"] + out["review_route"]
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
def scenario_opportunity(figures: pd.DataFrame, shrunk: dict[str, pd.Series], params: SchemeParams,
                         scenario: str) -> pd.DataFrame:
    """Each provider's saving under one scenario: provider_opportunity() against that scenario's benchmarks,
    with_pharmacist()."""
    a = params.assumptions
    value = lambda name: a[name].value(scenario)  # noqa: E731
    opp = provider_opportunity(figures, benchmarks(shrunk, params, scenario))
    cost = pharmacist_cost(value("pharmacist_cost_per_hour"), value("pharmacist_hours_per_week"))
    return with_pharmacist(opp, cost, value("larger_provider_bed_days"))


# --- the analysis: what the page shows -----------------------------------------------------------------------------
PARTS = (("Less use on other wards (DDDs above the benchmark)", "use", True),
         ("Intravenous to oral on other wards", "route", True),
         ("Branded to generic", "product", True),
         ("Less use on haematology and transplant wards", "review_use", False),
         ("Intravenous to oral on haematology and transplant wards", "review_route", False))
REVIEW_WHY = ("a prompt for review, not a saving in hand: bed days do not measure the risk of haematology and "
              "transplant patients (allogeneic stem cell transplants, induction for acute leukaemia) that decides "
              "antifungal prophylaxis and treatment")
CAVEATS = [
    "Use and route are benchmarked within each kind of ward, per 1,000 of its own occupied bed days: haematology and "
    "transplant wards against the providers that have them, other wards against every provider's other wards. "
    "Bed days do not measure the risk of haematology and transplant patients, so what those wards use above their "
    "benchmark is shown beside the saving as a prompt for review, not in it. The other wards' case mix (critical "
    "care, oncology, hepatology, neonates) is not in the data either: a teaching hospital's other wards may use more "
    "for good reason.",
    "Only differences beyond chance count: each provider's rate and shares are shrunk toward England's by how much "
    "of their spread between providers chance explains, chance judged from each provider's month-to-month variation; "
    "where providers differ no more than chance allows, nothing counts.",
    "Switches are valued at England's average cost per DDD of each drug, route and product; local contract "
    "prices differ. A DDD moved from intravenous to oral may also move to a generic, so the two switches "
    "overlap a little.",
    "Issues are what the pharmacy supplied to wards, not doses given to patients: stock held on wards and "
    "waste are included.",
]


def headline_kpis(local: pd.DataFrame, area_figures: pd.DataFrame, moderate: pd.DataFrame,
                  bench: dict[str, float]) -> list[KPI]:
    """`local`: the area's issues in the year; `area_figures`: provider_figures() of its providers; `moderate`: their
    saving (moderate); `bench`: the moderate benchmarks."""
    ddd, spend = local["ddd"].sum(), local["cost_gbp"].sum()
    ward = area_figures.groupby("specialty")[["ddd", "bed_days", "oral", "iv"]].sum().reindex(list(WARDS)).fillna(0)
    bed_days = float(ward["bed_days"].sum())
    rate = lambda w: ddd_rate(ward.loc[w, "ddd"], ward.loc[w, "bed_days"]) if ward.loc[w, "bed_days"] else None  # noqa: E731
    other_both = ward.loc[OTHER_WARDS, "oral"] + ward.loc[OTHER_WARDS, "iv"]
    return [
        KPI("Spend on antifungals", float(spend), "gbp", note="Menu: overall expenditure of antifungals"),
        KPI("DDDs per 1,000 occupied bed days", float(ddd_rate(ddd, bed_days)) if bed_days else None,
            "ddd_per_1000_bed_days", None, False,
            "Menu KPI, every ward: not like for like, since only some providers have haematology and transplant "
            "wards (their benchmarks are below)"),
        KPI("DDDs per 1,000 occupied bed days, other wards", rate(OTHER_WARDS), "ddd_per_1000_bed_days",
            bench[f"rate {OTHER_WARDS}"], False,
            "wards other than haematology and transplant; target: the benchmark (moderate) of England's providers' "
            "other wards, beyond chance"),
        KPI("DDDs per 1,000 occupied bed days, haematology and transplant wards", rate(HAEM_TRANSPLANT),
            "ddd_per_1000_bed_days", bench[f"rate {HAEM_TRANSPLANT}"], False,
            "target: the benchmark (moderate) of the providers with such wards, beyond chance; above it is a "
            "prompt for review"),
        KPI("Oral to intravenous ratio (drugs given both ways)", safe_share(ward["oral"].sum(), ward["iv"].sum()),
            "ratio", None, True, "Menu KPI, every ward; the benchmarks are by kind of ward (next)"),
        KPI("Oral share of drugs given both ways, other wards", safe_share(ward.loc[OTHER_WARDS, "oral"], other_both),
            "share", bench[f"oral {OTHER_WARDS}"], True,
            "target: the benchmark (moderate) of England's providers' other wards, beyond chance"),
        KPI("Generic share of DDDs where a generic exists",
            safe_share(moderate["generic"].sum(), moderate["generic_able"].sum()), "share", bench["generic"], True,
            "Menu: optimise use of generic products; target: the benchmark (moderate) of England's providers"),
        KPI("Defined daily doses issued", float(ddd), "ddd"),
        KPI("Cost per DDD", safe_share(spend, ddd), "gbp_per_ddd"),
        KPI("Occupied bed days", bed_days, "days"),
        KPI("Occupied bed days on haematology and transplant wards", float(ward.loc[HAEM_TRANSPLANT, "bed_days"]),
            "days"),
        KPI("Providers needing pharmacist time (moderate)", float((moderate["pharmacist"] > 0).sum()), "providers",
            note="Menu: a specialist pharmacist for 1 PA a week at larger providers"),
    ]


def providers_table(moderate: pd.DataFrame, measure: Measure, run: RunContext) -> Table:
    prov = moderate
    other_bed_days, other_ddd = prov["bed_days"] - prov["haem_bed_days"], prov["ddd"] - prov["haem_ddd"]
    frame = provider_table(pd.DataFrame({
        "Occupied bed days": prov["bed_days"], "Haematology and transplant bed days": prov["haem_bed_days"],
        "DDDs": prov["ddd"], "DDDs per 1,000 bed days": prov["ddd"] / prov["bed_days"] * PER,
        "Other wards: DDDs per 1,000 bed days": other_ddd / other_bed_days.where(other_bed_days > 0) * PER,
        "Haematology and transplant: DDDs per 1,000 bed days":
            prov["haem_ddd"] / prov["haem_bed_days"].where(prov["haem_bed_days"] > 0) * PER,
        "Oral DDDs": prov["oral"], "DDDs of drugs given both ways": prov["oral"] + prov["iv"],
        "Oral share": prov["oral"] / (prov["oral"] + prov["iv"]).where(prov["oral"] + prov["iv"] > 0),
        "Generic DDDs": prov["generic"], "DDDs with a generic": prov["generic_able"],
        "Generic share": prov["generic"] / prov["generic_able"].where(prov["generic_able"] > 0),
        "Spend": prov["spend"], "Gross saving": prov["gross"], "Pharmacist": prov["pharmacist"],
        "Saving (moderate)": prov["net"], "Prompt for review (moderate)": prov["review"],
    }), measure, run.geography)
    # 13 columns at most, so that the table fits a laptop's page: the all-ward rate, the gross saving and the
    # pharmacist's cost stay in the area's scenario table and KPIs (kept here for the arithmetic, not shown)
    return Table(f"Providers of {run.area.name}: antifungal use by kind of ward, route, products, saving (net of the "
                 f"pharmacist's time) and prompt for review, {run.period.label}",
                 frame, counts=("Occupied bed days", "Haematology and transplant bed days", "DDDs"),
                 rates={"Oral share": ("Oral DDDs", "DDDs of drugs given both ways"),
                        "Generic share": ("Generic DDDs", "DDDs with a generic")},
                 money=("Spend", "Gross saving", "Pharmacist", "Saving (moderate)", "Prompt for review (moderate)"),
                 opportunity=("Gross saving", "Pharmacist", "Saving (moderate)", "Prompt for review (moderate)"),
                 numbers=("DDDs per 1,000 bed days", "Other wards: DDDs per 1,000 bed days",
                          "Haematology and transplant: DDDs per 1,000 bed days"),
                 hidden=("Oral DDDs", "DDDs of drugs given both ways", "Generic DDDs", "DDDs with a generic",
                         "DDDs per 1,000 bed days", "Gross saving", "Pharmacist"))


def drugs_table(drugs: pd.DataFrame, run: RunContext) -> Table:
    """`drugs` is drug_table()."""
    return Table(f"{run.area.name}: antifungal issues by drug, {run.period.label}", drugs, counts=("DDDs",),
                 rates={"Oral share": ("Oral DDDs", "DDDs"), "Generic share": ("Generic DDDs", "DDDs")},
                 money=("Spend",), numbers=("Cost per DDD (£)",), hidden=("Oral DDDs", "Generic DDDs"),
                 rows_are_the_area=True)


def parts_table(moderate: pd.DataFrame, run: RunContext) -> Table:
    by_part = pd.DataFrame({"Part": [p for p, _, _ in PARTS], "Saving": [moderate[c].sum() for _, c, _ in PARTS],
                            "Counted": ["in the saving" if counted else "beside it: a prompt for review"
                                        for _, _, counted in PARTS]})
    return Table(f"{run.area.name}: where the gross saving and the prompt for review come from (moderate), "
                 f"{run.period.label}", by_part, money=("Saving",), opportunity=("Saving",),
                 rows_are_the_area=True)


def spend_chart(drugs: pd.DataFrame, run: RunContext) -> Chart:
    """`drugs` is drug_table(), costliest first."""
    area, period = run.area.name, run.period.label
    return Chart("bar", drugs[["Drug", "Spend"]], x="Drug", y="Spend",
                 title=f"Antifungal spend by drug, {area}, {period}", value_label="Spend (GBP)", value_format="gbp",
                 finding=f"{drugs['Drug'].iloc[0]} is the largest antifungal spend in {area} in {period}; the "
                         f"{min(3, len(drugs))} costliest drugs make up "
                         f"{drugs['Spend'].head(3).sum() / drugs['Spend'].sum():.0%} of it.")


def scenario_outputs(by_scenario: dict[str, pd.DataFrame]) -> list[tuple[str, str, Range]]:
    outputs = [("DDDs avoided on other wards", "ddd", Range.summed(by_scenario, "ddd_avoided")),
               ("DDDs moved from intravenous to oral on other wards", "ddd", Range.summed(by_scenario, "to_oral")),
               ("DDDs moved from branded to generic", "ddd", Range.summed(by_scenario, "to_generic"))]
    outputs += [(f"Saving from {label[0].lower()}{label[1:]}", "gbp", Range.summed(by_scenario, column))
                for label, column, counted in PARTS if counted]
    outputs += [("Specialist pharmacist time", "gbp", Range.summed(by_scenario, "pharmacist")),
                ("Net saving", "gbp", Range.summed(by_scenario, "net")),
                ("Prompt for review: DDDs above the benchmark on haematology and transplant wards", "ddd",
                 Range.summed(by_scenario, "review_ddd_avoided")),
                ("Prompt for review: their cost, and intravenous to oral there", "gbp",
                 Range.summed(by_scenario, "review"))]
    return outputs


def opportunity_by_kind(by_scenario: dict[str, pd.DataFrame], period: Period) -> Opportunity:
    """The saving, net of the pharmacist: its gross is that of the providers counted (where the saving pays for the
    pharmacist), so that net is gross less the pharmacist's cost. Beside it, the prompt for review."""
    return Opportunity([
        OpportunityComponent(
            "Antifungal spend: less use and intravenous to oral on other wards, branded to generic", CASH_RELEASING,
            NHSE_SPECIALISED, Range.of(lambda s: (by_scenario[s]["net"] + by_scenario[s]["pharmacist"]).sum()),
            period.label, implementation_cost=Range.summed(by_scenario, "pharmacist"),
            note="The Menu's aim is value from NHS England's spend on antifungal medicines: DDDs not issued and "
                 "cheaper routes and products are spend that falls. The cost is a specialist pharmacist for 1 PA a "
                 "week at larger providers, as the Menu says; providers whose saving would not pay for it count for "
                 "nothing."),
        OpportunityComponent(
            "Haematology and transplant wards: use above their benchmark, and intravenous to oral (a prompt for "
            "review)", CASH_RELEASING, NHSE_SPECIALISED, Range.summed(by_scenario, "review"), period.label,
            note="Spend on NHS England's antifungals, were these wards to use and switch as their benchmark does; "
                 "their case mix is not in the data, so it is a question for the haematology and transplant teams, "
                 "not a saving. The pharmacist who would ask it is costed in the saving.",
            outside_totals=REVIEW_WHY),
    ])


# --- the analysis ----------------------------------------------------------------------------------------------------
def analyse(tables: Tables, run: RunContext) -> SchemeResult:
    area, period, params = run.area, run.period, run.params
    issues, beds = tables["antifungal_issues"], tables["bed_days"]
    england = in_period(issues, "month", period, "antifungal issues")
    local = area_rows(england, area, "antifungal issues")
    year_beds = in_period(beds, "month", period, "occupied bed days")
    measure = rate_measure(provider_months(issues, beds), events="ddd", exposure="occupied_bed_days", date="month",
                           area=area, period=period, per=PER, name="Antifungal DDDs per 1,000 occupied bed days",
                           higher_is_better=False, target=None, denominator_label="occupied bed days",
                           value_label="DDDs per 1,000 bed days")

    prices = switch_prices(england)
    months = ward_months(england, year_beds, prices, dual_route_drugs(england))
    shrunk = shrunk_figures(months)
    figures = provider_figures(months, shrunk)
    figures = figures[figures.index.get_level_values("provider_code").isin(local["provider_code"].unique())]
    by_scenario = {s: scenario_opportunity(figures, shrunk, params, s) for s in SCENARIOS}
    moderate = by_scenario["moderate"]
    drugs = drug_table(local, prices)
    return SchemeResult(
        context=run, kpis=headline_kpis(local, figures, moderate, benchmarks(shrunk, params, "moderate")),
        opportunity=opportunity_by_kind(by_scenario, period),
        quantities=[Quantity("Defined daily doses avoided on other wards", "DDDs",
                             Range.summed(by_scenario, "ddd_avoided")),
                    Quantity("DDDs moved from intravenous to oral on other wards", "DDDs",
                             Range.summed(by_scenario, "to_oral")),
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
