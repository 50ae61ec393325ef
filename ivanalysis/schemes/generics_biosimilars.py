"""Scheme 6: prescribing generic and biosimilar products (Menu of Opportunities, chapter 6).

Where a molecule has a best-value version (a biosimilar of a biological medicine, or a generic), the 2017-19
Medicines Optimisation CQUIN asks providers to start 90% of new patients on it within a quarter of its being
available, and to move 80% of applicable existing patients to it within a year (except where the standard course
is under six months). The Menu calculates the saving from "monthly monitoring of drug expenditure and patient
numbers ... uptake against % switch target in the CQUIN and savings achieved".

Here, from the high-cost drug invoices (one row per patient, drug, product and quarter):
- HIV antiretrovirals are left out: chapter 3 switches them from its own basket, and counts that saving;
- a product is best value when it is a biosimilar or a generic; a molecule's best value is available from the
  first quarter a best-value product is invoiced anywhere in England;
- new patients started the molecule at least a quarter after that; existing patients started earlier and count
  from a year after it (molecules whose patients are treated for a median of two quarters or less, such as
  rituximab courses, have no existing-patient target);
- the saving is the volume still on the originator above what the targets allow: at each provider and molecule,
  for new and existing patients apart, the patient-quarters that would have to move to reach the target, times
  the units an originator patient-quarter uses, times the price gap per unit between the originator and the
  best-value product (England's prices paid in the year). Providers already at the target count as nothing;
- the saving is a year's: where a group of a molecule is within the targets for only some quarters of the year (the
  existing patients of a molecule whose best value came in the year before, such as imatinib's, count from its
  last quarter), its saving in those quarters is scaled to four quarters at the same rate (annualise).

national() does England's part (availability, classification, prices, every provider's saving), the same for every
area; analyse() the area's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..errors import DataError
from ..geography import Area, Geography
from ..results import (
    CASH_RELEASING,
    ICB_CCG,
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
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame
from .hcd import data_months

TABLES = ("hcd_invoices",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "hcd_invoices": ("provider_code", "patient_id", "invoice_period", "indication", "drug", "product_type",
                     "quantity", "cost", "treatment_start"),
}
ASSUMPTIONS = {"new_patient_target": "share", "existing_patient_target": "share"}
BEST_VALUE_TYPES = ("biosimilar", "generic")
NEW_PATIENT_GRACE = pd.DateOffset(months=3)  # CQUIN: new patients within one quarter of availability
EXISTING_PATIENT_HORIZON = pd.DateOffset(months=12)  # CQUIN: existing patients within one year
SHORT_COURSE_QUARTERS = 2  # a median course of 6 months or less: no existing-patient target (CQUIN exception)
GROUPS = ("new", "existing")
# antiretrovirals have their own scheme and basket of switches (chapter 3): counted there, not twice
OTHER_SCHEME_INDICATIONS = ("HIV",)
# Indications whose biologics ICBs (CCGs until 2022) commission for adults, under NICE technology appraisals: the
# saving on them is theirs. NHS England commissions the rest here: cancer drugs, juvenile idiopathic arthritis,
# vasculitis, uveitis.
ICB_INDICATIONS = ("Rheumatoid arthritis", "Psoriatic arthritis", "Ankylosing spondylitis", "Crohn's disease",
                   "Ulcerative colitis", "Hidradenitis suppurativa")


def best_value_available(inv: pd.DataFrame) -> pd.Series:
    """The first quarter a best-value product of each molecule is invoiced in England (molecules with none: left
    out). Only molecules that also have an originator or branded product are kept: there is nothing to switch
    from otherwise."""
    bv = inv["product_type"].isin(BEST_VALUE_TYPES)
    both = inv.groupby("drug")["product_type"].agg(lambda t: t.isin(BEST_VALUE_TYPES).any() and
                                                   (~t.isin(BEST_VALUE_TYPES)).any())
    first = inv[bv].groupby("drug")["invoice_period"].min()
    return first[first.index.isin(both[both].index)].sort_index()


def short_course_drugs(inv: pd.DataFrame) -> set[str]:
    """Molecules whose patients are invoiced for a median of SHORT_COURSE_QUARTERS quarters or fewer."""
    quarters = inv.groupby(["drug", "patient_id"]).size().groupby("drug").median()
    return set(quarters[quarters <= SHORT_COURSE_QUARTERS].index)


def classify(inv: pd.DataFrame, available: pd.Series, short_course: set[str]) -> pd.DataFrame:
    """The rows of molecules with a best-value product, with `best_value` and `group`: "new" (started at least a
    quarter after availability), "existing" (started before, in quarters from a year after it; not for short
    courses) or "" (not yet within the targets)."""
    out = inv[inv["drug"].isin(available.index)].copy()
    since = out["drug"].map(available)
    out["best_value"] = out["product_type"].isin(BEST_VALUE_TYPES)
    new = out["treatment_start"] >= since + NEW_PATIENT_GRACE
    existing = ~new & (out["invoice_period"] >= since + EXISTING_PATIENT_HORIZON) & ~out["drug"].isin(short_course)
    out["group"] = np.select([new, existing], GROUPS, "")
    return out


def unit_prices(rows: pd.DataFrame) -> pd.DataFrame:
    """Price paid per unit by molecule, for the originator (or brand) and for best-value products, and the gap."""
    g = rows.groupby(["drug", "best_value"])[["cost", "quantity"]].sum()
    price = (g["cost"] / g["quantity"]).unstack("best_value").reindex(columns=[False, True])
    out = pd.DataFrame({"originator": price[False], "best_value": price[True]})
    out["gap"] = (out["originator"] - out["best_value"]).clip(lower=0).fillna(0.0)
    return out


def quarters_within_targets(available: pd.Series, short_course: set[str], period: Period) -> pd.DataFrame:
    """By molecule (rows) and group (columns new, existing): how many of the period's quarters the group is within
    the CQUIN's targets, from classify()'s rules: new patients from a quarter after availability, existing ones
    from a year after it (never for short courses)."""
    quarters = pd.date_range(period.start, period.end, freq="QS-APR")
    out = pd.DataFrame({
        "new": [int((quarters >= since + NEW_PATIENT_GRACE).sum()) for since in available],
        "existing": [0 if drug in short_course else int((quarters >= since + EXISTING_PATIENT_HORIZON).sum())
                     for drug, since in available.items()],
    }, index=available.index)
    return out.rename_axis(index="drug", columns="group")


def annualise(savings: pd.DataFrame, quarters: pd.DataFrame, period_quarters: int = 4) -> pd.DataFrame:
    """provider_savings() scaled to a whole year: each (molecule, group)'s patient-quarters moved, units and saving
    times period_quarters / the quarters it is within the targets (quarters_within_targets). Patient-quarters and
    those on best value stay as counted."""
    within = quarters.stack().rename("quarters")
    key = pd.MultiIndex.from_arrays([savings.index.get_level_values("drug"), savings.index.get_level_values("group")])
    counted = within.reindex(key).to_numpy(dtype=float)
    factor = np.where(counted > 0, period_quarters / np.where(counted > 0, counted, 1.0), 1.0)
    out = savings.copy()
    for col in ("moved_rows", "units", "saving"):
        out[col] = out[col] * factor
    return out


def units_to_move(rows: int, on_best_value: int, target: float, units_per_originator_row: float) -> float:
    """Originator units that would move to the best-value product for `on_best_value / rows` to reach `target`."""
    return max(0.0, target * rows - on_best_value) * units_per_originator_row


def provider_savings(rows: pd.DataFrame, gap: pd.Series, targets: dict[str, float]) -> pd.DataFrame:
    """Per provider, molecule and group (new / existing): patient-quarters, on best value, units to move, saving.

    `rows` are the applicable rows (group new or existing); `gap` the price gap per unit by molecule.
    """
    rows = rows.assign(originator_units=np.where(rows["best_value"], 0.0, rows["quantity"]))
    g = rows.groupby(["provider_code", "drug", "group"], observed=True)
    out = pd.DataFrame({"rows": g.size(), "best_value": g["best_value"].sum().astype(int),
                        "originator_units": g["originator_units"].sum()})
    per_row = out["originator_units"] / (out["rows"] - out["best_value"]).replace(0, np.nan)
    target = out.index.get_level_values("group").map(targets).to_numpy(dtype=float)
    out["moved_rows"] = np.clip(target * out["rows"] - out["best_value"], 0, None)
    out["units"] = [units_to_move(r, b, t, u) for r, b, t, u in
                    zip(out["rows"], out["best_value"], target, per_row.fillna(0.0))]
    out["saving"] = out["units"] * out.index.get_level_values("drug").map(gap).to_numpy(dtype=float)
    return out


@dataclass(frozen=True)
class National:
    """England's part of the analysis, the same for every area (read-only: a warm kernel keeps it for every hub)."""

    available: pd.Series  # molecule -> the first quarter a best-value product was invoiced in England
    rows: pd.DataFrame  # invoices of those molecules, all months, classified (classify)
    year: pd.DataFrame  # those in the period
    existing: pd.DataFrame  # existing patients' rows, all months (the measure)
    prices: pd.DataFrame  # unit prices in the period (unit_prices)
    quarters: pd.DataFrame  # by molecule and group: the period's quarters within the targets (quarters_within_targets)
    savings: dict[str, pd.DataFrame]  # scenario -> every provider's provider_savings, annualised
    icb_share: pd.Series  # by provider, molecule and group: the share of originator units given for ICB_INDICATIONS
    months: tuple[pd.Timestamp, pd.Timestamp]  # data_months of the invoices used


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    a = params.assumptions
    inv = tables["hcd_invoices"]
    inv = inv[~inv["indication"].isin(OTHER_SCHEME_INDICATIONS)]
    available = best_value_available(inv)
    if available.empty:
        raise DataError("no molecule in hcd_invoices has both an originator (or branded) product and a biosimilar or "
                        "generic one: there is nothing to switch")
    short_course = short_course_drugs(inv)
    rows = classify(inv, available, short_course)
    year = in_period(rows, "invoice_period", period, "invoices for molecules with a best-value product")
    existing = rows[rows["group"] == "existing"]
    if existing.empty:
        raise DataError("no existing patients are invoiced a year after a best-value product became available")
    prices = unit_prices(year)
    applicable = year[year["group"] != ""]
    targets = {s: {"new": a["new_patient_target"].value(s), "existing": a["existing_patient_target"].value(s)}
               for s in SCENARIOS}
    quarters = quarters_within_targets(available, short_course, period)
    savings = {s: annualise(provider_savings(applicable, prices["gap"], targets[s]), quarters) for s in SCENARIOS}
    return National(available, rows, year, existing, prices, quarters, savings, icb_share(applicable),
                    data_months(inv))


def icb_share(rows: pd.DataFrame) -> pd.Series:
    """By provider, molecule and group: the share of the originator units given for ICB_INDICATIONS (a saving there,
    which moves those units, falls to ICBs in that share)."""
    originator = rows[~rows["best_value"]]
    keys = ["provider_code", "drug", "group"]
    units = originator.groupby(keys, observed=True)["quantity"].sum()
    icb = originator[originator["indication"].isin(ICB_INDICATIONS)].groupby(keys, observed=True)["quantity"].sum()
    return (icb.reindex(units.index).fillna(0.0) / units).rename("icb_share")


# --- the area's part (arithmetic only) --------------------------------------------------------------------------------
def area_savings(savings: dict[str, pd.DataFrame], providers: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The provider_savings rows of the area's providers, in each scenario."""
    return {s: df[df.index.get_level_values("provider_code").isin(providers)] for s, df in savings.items()}


def new_patient_uptake(rows: pd.DataFrame, period: Period) -> pd.Series:
    """By new patient and molecule started in the period: did they start on the best-value product (in the
    quarter they started)?"""
    starters = rows[(rows["group"] == "new") & period.mask(rows["treatment_start"])
                    & (rows["invoice_period"] == rows["treatment_start"].dt.to_period("Q").dt.start_time)]
    return starters.groupby(["patient_id", "drug"])["best_value"].any()


def existing_patient_uptake(rows: pd.DataFrame) -> pd.Series:
    """By existing patient and molecule in the last quarter of `rows`: were they on the best-value product?"""
    last_q = rows[(rows["group"] == "existing") & (rows["invoice_period"] == rows["invoice_period"].max())]
    return last_q.groupby(["patient_id", "drug"])["best_value"].any()


def provider_groups(savings: pd.DataFrame) -> pd.DataFrame:
    """By provider: patient-quarters and those on best value, for each group (columns (rows|best_value, group))."""
    out = savings.groupby(["provider_code", "group"])[["rows", "best_value"]].sum()
    return out.unstack("group").reindex(columns=pd.MultiIndex.from_product([["rows", "best_value"], GROUPS]),
                                        fill_value=0).fillna(0)


# --- the page: KPIs, tables, chart ------------------------------------------------------------------------------------
def _kpis(local: pd.DataFrame, period: Period, a: dict) -> list[KPI]:
    # in patients: new patients who started on best value; existing patients on it in the year's last quarter
    started_bv, last_bv = new_patient_uptake(local, period), existing_patient_uptake(local)
    originator_spend = float(local.loc[~local["best_value"], "cost"].sum())
    return [
        KPI("New patients started on the best-value product", safe_share(started_bv.sum(), len(started_bv)), "share",
            a["new_patient_target"].moderate, True, "CQUIN: 90% of new patients within a quarter of availability"),
        KPI("Existing patients on the best-value product in the last quarter of the year",
            safe_share(last_bv.sum(), len(last_bv)), "share", a["existing_patient_target"].moderate, True,
            "CQUIN: 80% of applicable existing patients within a year"),
        KPI("Patients treated with these molecules", float(local["patient_id"].nunique()), "count"),
        KPI("Spend on these molecules", float(local["cost"].sum()), "gbp"),
        KPI("Spend per patient treated with these molecules",
            safe_share(local["cost"].sum(), local["patient_id"].nunique()), "gbp",
            note="Menu KPI: average patient cost; the year's spend over the patients treated in it"),
        KPI("Spend still on originator or branded products", originator_spend, "gbp", None, False),
    ]


MOVED = "Patient-quarters moved from the originator to the best-value product"
QUARTERS_COUNTED = "Quarters within the targets (new / existing)"
PROVIDER_COUNTS = ("Patients", "New patient-quarters", "New on best value", "Existing patient-quarters",
                   "Existing on best value")


def _provider_columns(local: pd.DataFrame, savings: pd.DataFrame) -> pd.DataFrame:
    groups = provider_groups(savings)
    prov = pd.DataFrame({
        "Patients": local.groupby("provider_code")["patient_id"].nunique(),
        "New patient-quarters": groups[("rows", "new")], "New on best value": groups[("best_value", "new")],
        "Existing patient-quarters": groups[("rows", "existing")],
        "Existing on best value": groups[("best_value", "existing")],
    }).fillna(0)
    prov["Share of new on best value"] = prov["New on best value"] / prov["New patient-quarters"].replace(0, np.nan)
    prov["Share of existing on best value"] = (prov["Existing on best value"]
                                               / prov["Existing patient-quarters"].replace(0, np.nan))
    prov["Saving (moderate)"] = savings.groupby("provider_code")["saving"].sum().reindex(prov.index).fillna(0.0)
    prov[list(PROVIDER_COUNTS)] = prov[list(PROVIDER_COUNTS)].astype(int)
    return prov


def _provider_table(prov: pd.DataFrame, area: Area, period: Period) -> Table:
    return Table(f"Providers of {area.name}: patient-quarters on the best-value product, {period.label}, and the "
                 "saving in a year (annualised where a group is within the targets for part of the year)", prov,
                 counts=PROVIDER_COUNTS,
                 rates={"Share of new on best value": ("New on best value", "New patient-quarters"),
                        "Share of existing on best value": ("Existing on best value", "Existing patient-quarters")},
                 money=("Saving (moderate)",), opportunity=("Saving (moderate)",))


CAVEATS = [
    "A molecule's best-value product counts as available from the first quarter it is invoiced anywhere "
    "in England; the CQUIN counts from the date of national guidance, which may be a little earlier.",
    "Prices are England's average prices paid in the year; a provider's own tender prices may differ, "
    "and the gap narrows as originator prices fall to compete.",
    "Invoices are quarterly, so a patient who switched product within a quarter shows both products in "
    "that quarter; a new patient is one who started the molecule at least a quarter after availability.",
    "HIV antiretrovirals are left out: their generic switches are the saving of scheme 3 (cost-effective "
    "antiretroviral prescribing).",
    "Some patients should not switch (for example, a clinical reason or a recent change of treatment): the "
    "targets leave room for them, and 'existing' excludes molecules given in courses of six months or less.",
    "The saving is a year's. Where a molecule's new or existing patients are within the CQUIN's targets for only "
    "some quarters of the year (existing patients count from a year after the best value is available: imatinib's, "
    "generic from January 2017, from January 2018 only), the saving in those quarters is scaled to four quarters at "
    "the same rate; the molecules table gives the quarters counted. Patient-quarters and uptake shares are as "
    "counted, not scaled.",
]


def opportunity_by_kind(savings: dict[str, pd.DataFrame], share: pd.Series, period: Period) -> Opportunity:
    """The saving split by who pays for the drug: each provider's saving on a molecule, in the share of its
    originator units given for ICB_INDICATIONS, is ICBs'; the rest NHS England's."""
    icb = Range.of(lambda s: (savings[s]["saving"] * share.reindex(savings[s].index).fillna(0.0)).sum())
    why = "The same molecule bought at the best-value price is spend that falls for whoever pays the invoice. "
    return Opportunity([
        OpportunityComponent(
            "Best-value generics and biosimilars: indications NHS England commissions", CASH_RELEASING,
            NHSE_SPECIALISED, Range.summed(savings, "saving") - icb, period.label,
            note=why + "NHS England commissions these drugs for cancer (imatinib, rituximab for lymphoma and "
                       "leukaemia), juvenile idiopathic arthritis, vasculitis, inflammatory myositis and uveitis."),
        OpportunityComponent(
            "Best-value generics and biosimilars: indications ICBs commission", CASH_RELEASING, ICB_CCG, icb,
            period.label,
            note=why + "Adult biologics for rheumatoid, psoriatic and axial arthritis, inflammatory bowel disease and "
                       "hidradenitis suppurativa are commissioned by ICBs (CCGs until 2022) under NICE technology "
                       "appraisals; each provider's saving on a molecule is split by the share of its originator "
                       "units given for these indications."),
    ])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext, national: National) -> SchemeResult:
    area, period, a = run.area, run.period, run.params.assumptions
    local = area_rows(national.year, area, "invoices for molecules with a best-value product")
    measure = proportion_measure(
        national.existing, flag="best_value", date="invoice_period", area=area, period=period,
        name="Existing patients on best value", higher_is_better=True,
        target=a["existing_patient_target"].moderate,
        denominator_label="existing patients' patient-quarters (a year after availability)")
    savings = area_savings(national.savings, area.providers)
    gbp = Range.summed(savings, "saving")
    moved = Range.summed(savings, "moved_rows")
    prov = provider_table(_provider_columns(local, savings["moderate"]), measure, run.geography)
    outputs = [(MOVED, "count", moved), ("Saving", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=_kpis(local, period, a),
        opportunity=opportunity_by_kind(savings, national.icb_share, period),
        quantities=[Quantity(MOVED, "patient-quarters", moved)],
        measure=measure,
        tables={"providers": _provider_table(prov, area, period),
                "molecules": _molecule_table(local, national.available, national.quarters, savings["moderate"],
                                             national.prices, area, period)},
        scenario_table=scenario_frame(run.params, outputs),
        caveats=list(CAVEATS),
        data_months=national.months,
        area_providers=area.providers,
        charts={"uptake": _uptake_chart(area_rows(national.rows, area, "invoices"), national.available, area,
                                        period)},
    )


def _molecule_table(local: pd.DataFrame, available: pd.Series, quarters: pd.DataFrame, savings: pd.DataFrame,
                    prices: pd.DataFrame, area: Area, period: Period) -> Table:
    drugs = sorted(local["drug"].unique())
    g = local.groupby("drug")
    groups = local[local["group"] != ""].groupby(["drug", "group"])["best_value"].agg(["size", "sum"])
    groups = groups.unstack("group").reindex(index=drugs, columns=pd.MultiIndex.from_product([["size", "sum"], GROUPS]))
    groups = groups.fillna(0).astype(int)
    frame = pd.DataFrame({
        "Best value from": available.reindex(drugs).dt.strftime("%b %Y"),
        "Patients": g["patient_id"].nunique(),
        "new": groups[("size", "new")], "new_bv": groups[("sum", "new")],
        "existing": groups[("size", "existing")], "existing_bv": groups[("sum", "existing")],
        "Spend": g["cost"].sum(),
        "Spend on originator": local[~local["best_value"]].groupby("drug")["cost"].sum().reindex(drugs).fillna(0.0),
        "Price gap per unit (£)": prices["gap"].reindex(drugs),
        QUARTERS_COUNTED: [f"{quarters.loc[d, 'new']} / {quarters.loc[d, 'existing']}" for d in drugs],
        "Saving (moderate)": savings.groupby("drug")["saving"].sum().reindex(drugs).fillna(0.0),
    }, index=drugs)
    frame["New patients on best value"] = frame["new_bv"] / frame["new"].replace(0, np.nan)
    frame["Existing patients on best value"] = frame["existing_bv"] / frame["existing"].replace(0, np.nan)
    frame = frame.reset_index(names="Molecule")[[
        "Molecule", "Best value from", "Patients", "New patients on best value", "Existing patients on best value",
        "Spend", "Spend on originator", "Price gap per unit (£)", QUARTERS_COUNTED, "Saving (moderate)", "new",
        "new_bv", "existing",
        "existing_bv"]]
    return Table(f"{area.name}: molecules with a best-value product, {period.label}. Shares are of patient-quarters "
                 "within the CQUIN targets (n/a: no existing-patient target for courses of six months or less); the "
                 "price gap is per unit (vial, syringe or pack). The saving is a year's: a group within the targets "
                 "for fewer than four quarters of the year is scaled to four at the same rate.",
                 frame, counts=("Patients", "new", "new_bv", "existing", "existing_bv"),
                 rates={"New patients on best value": ("new_bv", "new"),
                        "Existing patients on best value": ("existing_bv", "existing")},
                 money=("Spend", "Spend on originator", "Saving (moderate)"), numbers=("Price gap per unit (£)",),
                 opportunity=("Saving (moderate)",),
                 hidden=("new", "new_bv", "existing", "existing_bv"),
                 rows_are_the_area=True)


def _uptake_chart(rows: pd.DataFrame, available: pd.Series, area: Area, period: Period) -> Chart:
    share = rows.groupby(["invoice_period", "drug"])["best_value"].mean().rename("Share").reset_index()
    last = share[share["invoice_period"] == share["invoice_period"].max()].set_index("drug")["Share"]
    laggard = last.idxmin()
    return Chart(
        kind="line", frame=share.rename(columns={"invoice_period": "Quarter", "drug": "Molecule"}), x="Quarter",
        y="Share", series="Molecule", value_format="percent", value_label="Share of patient-quarters on best value",
        title=f"Best-value product uptake by molecule, {area.name}, by quarter",
        finding=f"In the last quarter of the data, uptake of the best-value product ranged from "
                f"{last.min():.0%} ({laggard}) to {last.max():.0%} ({last.idxmax()}) of patient-quarters.",
        markers={d: drug for drug, d in available.items() if d > rows["invoice_period"].min()},
    )
