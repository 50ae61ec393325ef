"""Scheme 8: dose standardisation in chemotherapy (Menu of Opportunities, chapter 8).

Dose banding rounds an intravenous dose calculated for the patient to the nearest standard dose of the national
dose banding tables; a standard product is that dose bought ready-made. The Menu's aim is 90% of SACT intravenous
administrations dose-banded through standard products, and its saving is 'reduction in avoidable waste' plus
'reduction in tendering costs' for the drug.

At each provider below the target, the administrations that would move (target x administrations - those already
dose-banded with a standard product) save
  - avoidable waste: for each drug, what the provider's other doses waste beyond what a standard product of that
    drug wastes in England (vial residue, doses made and never given), averaged over the provider's other doses;
  - purchase: an assumed share of the drug cost of each dose moved.
Providers at or above the target count as nothing (never netted off). Only the drugs of the banded list count
(params/schemes/chemo_dose_banding.yaml, `banded_drugs`, with its source); intravenous administrations of any other
drug are left out, and the page counts them and names their drugs, so that none vanishes unseen.

national() does England's part (the cohort, every provider's saving, the avoidable waste), the same for every area;
analyse() the area's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import sdc
from ..config import SCENARIOS, SchemeParams
from ..errors import DataError
from ..geography import Area, Geography
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
    financial_years,
)
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame
from .contract import Tables

TABLES = ("sact",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "sact": ("provider_code", "administration_date", "route", "tumour_group", "drug", "prescribed_dose_mg",
             "administered_dose_mg", "dose_banded", "standard_product", "waste_mg", "drug_cost_gbp"),
}
ASSUMPTIONS = {"target_share": "share", "purchase_saving_share": "share"}
BANDED_LIST = "banded_drugs"  # the list of params/schemes/chemo_dose_banding.yaml naming the drugs that count
BAND_TOLERANCE = 0.05  # the tables keep a banded dose within about 5% of the calculated dose
WHAT = "intravenous administrations of dose-banding drugs"
COLUMNS = ["provider_code", "administration_date", "tumour_group", "drug", "prescribed_dose_mg",
           "administered_dose_mg", "dose_banded", "standard_product", "waste_mg", "drug_cost_gbp"]


def banding_cohort(sact: pd.DataFrame, drugs: tuple[str, ...]) -> pd.DataFrame:
    """Intravenous administrations of the banded `drugs`, with the figures the scheme uses."""
    iv = sact.loc[(sact["route"] == "intravenous") & sact["drug"].isin(drugs), COLUMNS].copy()
    iv["banded"] = (iv["dose_banded"] == "Y").to_numpy()
    iv["standard"] = (iv["banded"] & (iv["standard_product"] == "Y")).to_numpy()
    iv["waste_gbp"] = waste_cost(iv["drug_cost_gbp"], iv["administered_dose_mg"], iv["waste_mg"])
    iv["within_band"] = within_tolerance(iv["administered_dose_mg"], iv["prescribed_dose_mg"])
    return iv


def outside_list(sact: pd.DataFrame, drugs: tuple[str, ...]) -> pd.DataFrame:
    """Intravenous administrations of drugs not in the banded `drugs`: left out of the analysis, and counted."""
    iv = sact.loc[(sact["route"] == "intravenous") & ~sact["drug"].isin(drugs),
                  ["provider_code", "administration_date", "drug"]]
    return iv.assign(drug=iv["drug"].astype(str))


def waste_cost(cost: pd.Series, administered_mg: pd.Series, waste_mg: pd.Series) -> pd.Series:
    """The part of the drug cost that was wasted: the cost covers the dose given and the drug wasted."""
    used = administered_mg + waste_mg
    return cost * np.where(used > 0, waste_mg / used, 0.0)


def within_tolerance(administered_mg: pd.Series, prescribed_mg: pd.Series, tolerance: float = BAND_TOLERANCE):
    """Doses given within `tolerance` of the calculated dose (a small allowance for rounding to 0.01 mg)."""
    return ((administered_mg - prescribed_mg).abs() <= tolerance * prescribed_mg + 0.01).to_numpy()


def avoidable_waste(cohort: pd.DataFrame) -> pd.DataFrame:
    """Per provider and drug: doses not yet dose-banded with a standard product, and the waste (GBP) each could
    avoid, that is the provider's mean waste of such doses beyond England's mean for a standard product of the drug
    (nothing where the drug has no standard product in England to compare with)."""
    benchmark = cohort[cohort["standard"]].groupby("drug", observed=True)["waste_gbp"].mean()
    other = cohort[~cohort["standard"]]
    g = other.groupby(["provider_code", "drug"], observed=True)
    out = pd.DataFrame({"doses": g.size(), "mean_waste": g["waste_gbp"].mean()})
    bench = benchmark.reindex(out.index.get_level_values("drug")).to_numpy()
    out["avoidable_each"] = np.where(np.isnan(bench), 0.0, np.clip(out["mean_waste"] - bench, 0.0, None))
    out["avoidable"] = out["doses"] * out["avoidable_each"]
    return out


def doses_to_move(n: float, standard: float, target: float) -> float:
    """Administrations to move to dose-banded standard products to reach `target` (none if already there)."""
    return max(0.0, target * n - standard)


def provider_base(cohort: pd.DataFrame) -> pd.DataFrame:
    """Per provider: administrations, those dose-banded with a standard product, the others, the mean drug cost of
    the others (excluding waste) and their avoidable waste (GBP)."""
    g = cohort.groupby("provider_code", observed=True)
    out = pd.DataFrame({"n": g.size(), "standard": g["standard"].sum().astype(int)})
    out["other"] = out["n"] - out["standard"]
    other = cohort[~cohort["standard"]]
    net_cost = (other["drug_cost_gbp"] - other["waste_gbp"]).groupby(other["provider_code"], observed=True).mean()
    out["mean_other_cost"] = net_cost.reindex(out.index).fillna(0.0)
    pool = avoidable_waste(cohort)["avoidable"].groupby(level="provider_code", observed=True).sum()
    out["avoidable_pool"] = pool.reindex(out.index).fillna(0.0)
    return out


def provider_savings(base: pd.DataFrame, target: float, purchase_share: float) -> pd.DataFrame:
    """Adds to `provider_base` the administrations to move and the saving, waste and purchase.

    The doses moved are taken to be typical of the provider's other doses: they save their share of its avoidable
    waste, and `purchase_share` of their drug cost (excluding the waste).
    """
    out = base.copy()
    out["to_move"] = [doses_to_move(n, s, target) for n, s in zip(out["n"], out["standard"])]
    moved_share = np.where(out["other"] > 0, out["to_move"] / out["other"].clip(lower=1), 0.0)
    out["waste_saving"] = out["avoidable_pool"] * moved_share
    out["purchase_saving"] = out["to_move"] * out["mean_other_cost"] * purchase_share
    out["saving"] = out["waste_saving"] + out["purchase_saving"]
    return out




def _shares(frame: pd.DataFrame, by: str | pd.Series, label: str) -> pd.DataFrame:
    g = frame.groupby(by, observed=True)
    out = pd.DataFrame({"Administrations": g.size(), "Dose-banded, standard product": g["standard"].sum(),
                        "Drug cost": g["drug_cost_gbp"].sum(), "Drug waste": g["waste_gbp"].sum()})
    out["Share dose-banded, standard product"] = out["Dose-banded, standard product"] / out["Administrations"]
    return out.rename_axis(label).reset_index()


# --- England's part ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class National:
    """England's part of the analysis, the same for every area (read-only: a warm kernel keeps it for every hub)."""

    cohort: pd.DataFrame  # banding_cohort, all months
    year: pd.DataFrame  # its administrations in the period
    outside: pd.DataFrame  # outside_list in the period: intravenous administrations of drugs not on the list
    savings: dict[str, pd.DataFrame]  # scenario -> every provider's provider_savings
    pools: pd.DataFrame  # avoidable_waste by provider and drug in the period
    data_months: tuple[pd.Timestamp, pd.Timestamp]


def national(tables: Tables, params: SchemeParams, period: Period, geography: Geography) -> National:
    a, drugs = params.assumptions, params.named_list(BANDED_LIST)
    cohort = banding_cohort(tables["sact"], drugs)
    outside = outside_list(tables["sact"], drugs)
    if cohort.empty:
        held = sorted(outside["drug"].unique())
        raise DataError(f"the SACT table holds no intravenous administrations of the drugs of the banded list "
                        f"(params/schemes/chemo_dose_banding.yaml, {BANDED_LIST}: {', '.join(drugs)}); its "
                        f"intravenous drugs are {', '.join(held) or 'none'}")
    year = in_period(cohort, "administration_date", period, WHAT)  # first: a clear error if there is none
    # providers are judged against England's standard products, so the savings are computed nationally
    base = provider_base(year)
    savings = {s: provider_savings(base, a["target_share"].value(s), a["purchase_saving_share"].value(s))
               for s in SCENARIOS}
    return National(cohort, year, outside[period.mask(outside["administration_date"])], savings,
                    avoidable_waste(year), (cohort["administration_date"].min(), cohort["administration_date"].max()))


# --- the area's part: the arithmetic -------------------------------------------------------------------------------
def of_providers(frame: pd.DataFrame, providers: tuple[str, ...]) -> pd.DataFrame:
    """The rows of a frame indexed by provider code (first level) that belong to `providers`."""
    return frame[frame.index.get_level_values("provider_code").isin(providers)]


def drug_avoidable_waste(pools: pd.DataFrame) -> pd.Series:
    """avoidable_waste() summed by drug."""
    return pools["avoidable"].groupby(level="drug", observed=True).sum()


# --- the area's part: what the page shows --------------------------------------------------------------------------
SHARE = {"Share dose-banded, standard product": ("Dose-banded, standard product", "Administrations")}
MONEY = ("Drug cost", "Drug waste")
CAVEATS = [
    "Avoidable waste is measured against England's standard products of the same drug; the doses moved are "
    "assumed to be typical of each provider's doses not yet dose-banded with standard products.",
    "The purchase saving is an assumed share of the drug cost; tendered prices for standard products differ "
    "by region and product.",
    "SACT does not itself record waste: a real analysis needs the national waste measurement toolkit's data "
    "alongside SACT and the medicines data (MDS).",
]
OUTSIDE_KPI = "Intravenous administrations of drugs outside the banded list"


def outside_drugs(outside: pd.DataFrame) -> list[str]:
    """The drugs of outside_list() rows, in alphabetical order."""
    return sorted(outside["drug"].unique())


def outside_kpi(outside: pd.DataFrame) -> KPI:
    """`outside`: the area's outside_list() rows in the period."""
    drugs = outside_drugs(outside)
    return KPI(OUTSIDE_KPI, float(len(outside)), "count",
               note=(f"left out of every figure; drugs: {', '.join(drugs)}" if drugs else "none left out")
               + f" (list: params/schemes/chemo_dose_banding.yaml, {BANDED_LIST})")


def outside_caveat(outside: pd.DataFrame, area: Area, period: Period) -> list[str]:
    """A caveat when the area's intravenous administrations include drugs outside the banded list (none otherwise);
    below England the count is disclosure-controlled, as the KPI is."""
    if outside.empty:
        return []
    n = controlled = len(outside)
    if not area.is_national:
        controlled = sdc.control_count(n)
    shown = sdc.SUPPRESSED_WORDS if controlled == sdc.SUPPRESSED else f"{controlled:,}"
    return [f"In {period.label}, {shown} intravenous administrations in {area.name} are of drugs outside the banded "
            f"list ({', '.join(outside_drugs(outside))}) and are left out of every figure on this page. The list "
            f"(params/schemes/chemo_dose_banding.yaml, {BANDED_LIST}) has not been checked against a published "
            "version of NHS England's dose-banding tables: add any of these drugs that the tables band."]


def headline_kpis(local: pd.DataFrame, target: float) -> list[KPI]:
    """`local`: the area's administrations in the period (banding_cohort())."""
    n = len(local)
    standard, banded = int(local["standard"].sum()), int(local["banded"].sum())
    spend, waste = float(local["drug_cost_gbp"].sum()), float(local["waste_gbp"].sum())
    return [
        KPI("Intravenous administrations dose-banded with standard products", safe_share(standard, n), "share",
            target, True, "Menu: 90% of SACT intravenous administrations"),
        KPI("Administrations dose-banded with standard products", float(standard), "count",
            note="Menu KPI: doses given as dose-banded drugs or standard products"),
        KPI("Intravenous administrations dose-banded (any product)", safe_share(banded, n), "share", None, True),
        KPI("Dose-banded administrations given as standard products", safe_share(standard, banded), "share",
            None, True),
        KPI("Dose-banded doses within 5% of the calculated dose", safe_share(local.loc[local["banded"],
            "within_band"].sum(), banded), "share", None, True, "patient safety: bands keep within about 5%"),
        KPI("Intravenous chemotherapy drug wasted", waste, "gbp", None, False,
            "Menu KPI: amount of intravenous chemotherapy drug wasted"),
        KPI("Drug waste as a share of drug cost", safe_share(waste, spend), "share", None, False),
        KPI("Spend on drugs of the banded list", spend, "gbp"),
        KPI("Intravenous administrations of drugs of the banded list", float(n), "count"),
    ]


def providers_table(prov: pd.DataFrame, local: pd.DataFrame, measure: Measure, run: RunContext) -> Table:
    """`prov`: the area's providers' provider_savings() (moderate); `local`: their administrations."""
    waste_by = local.groupby("provider_code", observed=True)["waste_gbp"].sum()
    frame = provider_table(pd.DataFrame({
        "Administrations": prov["n"], "Dose-banded, standard product": prov["standard"],
        "Share dose-banded, standard product": prov["standard"] / prov["n"],
        "Drug waste": waste_by.reindex(prov.index).fillna(0.0),
        "Administrations to move (moderate)": prov["to_move"],
        "Saving (moderate)": prov["saving"],
    }), measure, run.geography)
    return Table(f"Providers of {run.area.name}: intravenous administrations of dose-banding drugs, "
                 f"{run.period.label}", frame,
                 counts=("Administrations", "Dose-banded, standard product", "Administrations to move (moderate)"),
                 rates=SHARE, money=("Drug waste", "Saving (moderate)"),
                 opportunity=("Administrations to move (moderate)", "Saving (moderate)"))


def drugs_frame(local: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
    """_shares() by drug with each drug's avoidable waste (`pools`: the area's avoidable_waste()), most first."""
    drugs = _shares(local, "drug", "Drug")
    drugs["Avoidable waste"] = drugs["Drug"].map(drug_avoidable_waste(pools)).fillna(0.0)
    return drugs.sort_values(["Avoidable waste", "Drug"], ascending=[False, True])


def drugs_table(drugs: pd.DataFrame, run: RunContext) -> Table:
    return Table(f"{run.area.name}: intravenous administrations by drug, {run.period.label}", drugs,
                 counts=("Administrations", "Dose-banded, standard product"), rates=SHARE,
                 money=(*MONEY, "Avoidable waste"), opportunity=("Avoidable waste",), rows_are_the_area=True)


def tumour_groups_table(local: pd.DataFrame, run: RunContext) -> Table:
    groups = _shares(local, "tumour_group", "Tumour group").sort_values("Administrations", ascending=False)
    return Table(f"{run.area.name}: intravenous administrations of dose-banding drugs by tumour group, "
                 f"{run.period.label}", groups,
                 counts=("Administrations", "Dose-banded, standard product"), rates=SHARE, money=MONEY,
                 rows_are_the_area=True)


def years_table(all_years: pd.DataFrame, run: RunContext) -> Table:
    """`all_years`: the area's administrations in every month of the data."""
    years = _shares(all_years, financial_years(all_years["administration_date"]), "Financial year")
    years["Waste share of drug cost"] = years["Drug waste"] / years["Drug cost"]
    return Table(f"{run.area.name}: intravenous administrations of dose-banding drugs by financial year",
                 years, counts=("Administrations", "Dose-banded, standard product"),
                 rates={**SHARE, "Waste share of drug cost": ("Drug waste", "Drug cost")}, money=MONEY,
                 rows_are_the_area=True)


def avoidable_waste_chart(drugs: pd.DataFrame, run: RunContext) -> Chart:
    """The 10 drugs with the most avoidable waste (`drugs` is drugs_frame())."""
    area, period = run.area.name, run.period.label
    top = drugs.head(10)
    return Chart(
        kind="bar", frame=top, x="Drug", y="Avoidable waste", value_format="gbp", value_label="Avoidable waste (GBP)",
        opportunity=True, title=f"Avoidable drug waste by drug, {area}, {period}",
        finding=(f"In {period}, {top['Drug'].iloc[0]} accounts for the most avoidable waste in {area}: "
                 "waste beyond what a standard product of the drug wastes, on doses not yet dose-banded with "
                 "standard products." if len(top) and top["Avoidable waste"].iloc[0] > 0 else
                 f"In {period}, no avoidable waste is left in {area}."))


def opportunity_by_kind(in_area: dict[str, pd.DataFrame], period: Period) -> Opportunity:
    """Two components, the Menu's two parts: avoidable waste and the purchase saving."""
    why = "NHS England commissions chemotherapy and pays for its drugs: "
    return Opportunity([
        OpportunityComponent(
            "Chemotherapy drug wasted that standard products avoid", CASH_RELEASING, NHSE_SPECIALISED,
            Range.summed(in_area, "waste_saving"), period.label,
            note=why + "drug no longer wasted is drug no longer bought."),
        OpportunityComponent(
            "Purchase saving on doses moved to standard products", CASH_RELEASING, NHSE_SPECIALISED,
            Range.summed(in_area, "purchase_saving"), period.label,
            note=why + "the Menu's reduction in tendering costs, an assumed share of the drug cost of each dose "
                       "moved, is spend that falls."),
    ])


# --- the area's part -----------------------------------------------------------------------------------------------
def analyse(tables: Tables, run: RunContext, national: National) -> SchemeResult:
    area, period, params = run.area, run.period, run.params
    target = params.assumptions["target_share"].moderate
    local = area_rows(national.year, area, WHAT)
    outside = national.outside if area.is_national else national.outside[
        national.outside["provider_code"].isin(area.providers)]
    measure = proportion_measure(
        national.cohort, flag="standard", date="administration_date", area=area, period=period,
        name="Share of intravenous administrations dose-banded with standard products", higher_is_better=True,
        target=target, denominator_label=WHAT)
    in_area = {s: of_providers(df, area.providers) for s, df in national.savings.items()}
    moved, gbp = Range.summed(in_area, "to_move"), Range.summed(in_area, "saving")
    drugs = drugs_frame(local, of_providers(national.pools, area.providers))
    outputs = [("Administrations moved to standard products", "count", moved),
               ("Avoidable waste saved", "gbp", Range.summed(in_area, "waste_saving")),
               ("Purchase saving", "gbp", Range.summed(in_area, "purchase_saving")), ("Saving", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=[*headline_kpis(local, target), outside_kpi(outside)],
        opportunity=opportunity_by_kind(in_area, period),
        quantities=[Quantity("Administrations moved to dose-banded standard products", "administrations", moved)],
        measure=measure,
        tables={"providers": providers_table(in_area["moderate"], local, measure, run),
                "drugs": drugs_table(drugs, run), "tumour_groups": tumour_groups_table(local, run),
                "years": years_table(area_rows(national.cohort, area, WHAT), run)},
        charts={"avoidable_by_drug": avoidable_waste_chart(drugs, run)},
        scenario_table=scenario_frame(params, outputs),
        caveats=[*CAVEATS, *outside_caveat(outside, area, period)],
        data_months=national.data_months,
        area_providers=area.providers,
    )
