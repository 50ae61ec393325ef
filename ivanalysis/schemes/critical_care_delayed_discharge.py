"""Scheme 15: adult critical care delayed discharges (Menu of Opportunities, chapter 15).

The standard is discharge to a ward within 4 hours of the decision to discharge. The Menu's lever is the price:
pay delayed time at an excess bed-day rate instead of the critical care bed-day rate, first for delays of more than
24 hours, then, as its next step, for delays of more than 4 hours. A patient ready to leave has no organ supported,
so a delayed day is a critical care day with no organ support (HRG XC07Z), and its value here is the excess of that
day's reference cost over a ward's excess bed day. Delayed time is counted from the end of the 4-hour standard, in
both steps. What it values is critical care capacity released, not cash: the provider still staffs the bed.

There is no benchmark: at each provider the figure is that provider's own delayed bed days, so it is counted only
where delays happen, and a provider with fewer delays simply counts fewer days.
"""
from __future__ import annotations

import pandas as pd

from ..results import (
    CAPACITY_RELEASED,
    KPI,
    PROVIDER,
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
from .base import area_rows, in_period, labels, proportion_measure, provider_table, safe_share, scenario_frame

TABLES = ("critical_care",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "critical_care": ("provider_code", "ready_at", "discharged_at", "destination"),
}
ASSUMPTIONS = {"scope_hours": "hours", "xc07z_bed_day": "gbp_per_day", "excess_bed_day": "gbp_per_day"}
STANDARD_HOURS = 4.0  # the national standard: discharge within 4 hours of the decision
DELAY_BANDS = ("Within 4 hours", "4 to 24 hours", "More than 24 hours")


def delay_hours(ready_at: pd.Series, discharged_at: pd.Series) -> pd.Series:
    return (discharged_at - ready_at).dt.total_seconds() / 3600.0


def delay_band(hours: pd.Series) -> pd.Series:
    return labels([hours <= STANDARD_HOURS, hours <= 24.0], DELAY_BANDS[:2], DELAY_BANDS[2], DELAY_BANDS,
                  hours.index)


def chargeable_bed_days(hours: pd.Series, scope_hours: float) -> float:
    """Bed days after the 4-hour standard, for discharges delayed by more than `scope_hours` (24, then 4)."""
    in_scope = hours > scope_hours
    return float((hours[in_scope] - STANDARD_HOURS).sum() / 24.0)


def saving(bed_days: float, critical_care_day: float, excess_bed_day: float) -> float:
    """Delayed days valued at the excess of a critical care day with no organ support (XC07Z) over a ward's excess
    bed day (never below 0)."""
    return bed_days * max(0.0, critical_care_day - excess_bed_day)


def out_of_hours(discharged_at: pd.Series) -> pd.Series:
    """Discharged between 22:00 and 06:59, outside the daylight hours the standard asks for."""
    hour = discharged_at.dt.hour
    return (hour >= 22) | (hour < 7)



def ward_discharges(critical_care: pd.DataFrame) -> pd.DataFrame:
    """Discharges to a ward, each with its delay after the decision (hours), whether it broke the standard, and its
    delay band."""
    ward = critical_care[critical_care["destination"] == "ward"].copy()
    ward["hours"] = delay_hours(ward["ready_at"], ward["discharged_at"])
    ward["delayed"] = ward["hours"] > STANDARD_HOURS
    ward["band"] = delay_band(ward["hours"])
    return ward


def band_counts(discharges: pd.DataFrame) -> pd.Series:
    """Discharges in each delay band, in the order of DELAY_BANDS (0 for a band with none)."""
    return discharges["band"].value_counts().reindex(DELAY_BANDS, fill_value=0)


def provider_delays(discharges: pd.DataFrame, scope_hours: float, critical_care_day: float,
                    excess_bed_day: float) -> pd.DataFrame:
    """Per provider: discharges to a ward, those delayed 4 to 24 hours and more than 24 hours, the bed days lost
    after the standard, and the saving on discharges delayed more than `scope_hours`."""
    g = discharges.groupby("provider_code", observed=True)
    return pd.DataFrame({
        "discharges": g.size(),
        "delayed_4_to_24": g["band"].apply(lambda b: int((b == DELAY_BANDS[1]).sum())),
        "delayed_over_24": g["band"].apply(lambda b: int((b == DELAY_BANDS[2]).sum())),
        "bed_days_lost": g["hours"].apply(lambda h: chargeable_bed_days(h, STANDARD_HOURS)),
        "saving": g["hours"].apply(lambda h: saving(chargeable_bed_days(h, scope_hours), critical_care_day,
                                                    excess_bed_day)),
    })


# --- the page ------------------------------------------------------------------------------------------------------
def _kpis(local: pd.DataFrame) -> list[KPI]:
    n, bands = len(local), band_counts(local)
    delayed = bands[DELAY_BANDS[1]] + bands[DELAY_BANDS[2]]
    return [
        KPI("Discharges delayed more than 4 hours", safe_share(delayed, n), "share", None, False,
            "Menu: an estimated 50% of discharges to a ward"),
        KPI("Delayed discharges delayed more than 24 hours", safe_share(bands[DELAY_BANDS[2]], delayed), "share", None,
            False, "Menu: about 10% of delayed discharges"),
        KPI("Discharges out of hours (22:00 to 07:00)", float(out_of_hours(local["discharged_at"]).mean()), "share",
            None, False, "standard: discharge in daylight hours"),
        KPI("Critical care bed days lost to delays", chargeable_bed_days(local["hours"], STANDARD_HOURS), "days",
            note="time after the 4-hour standard"),
        KPI("Discharges to a ward", float(n), "count"),
    ]


def _provider_table(by_provider: pd.DataFrame, measure: Measure, run: RunContext) -> Table:
    prov = by_provider.rename(columns={
        "discharges": "Discharges to a ward", "delayed_4_to_24": "Delayed 4 to 24 hours",
        "delayed_over_24": "Delayed more than 24 hours", "bed_days_lost": "Bed days lost"}).drop(columns="saving")
    prov["Delayed"] = prov["Delayed 4 to 24 hours"] + prov["Delayed more than 24 hours"]
    prov["Share delayed"] = prov["Delayed"] / prov["Discharges to a ward"]
    prov["Saving (moderate)"] = by_provider["saving"]
    return Table(f"Providers of {run.area.name}: discharges to a ward and their delays, {run.period.label}",
                 provider_table(prov, measure, run.geography), hidden=("Delayed",),
                 counts=("Discharges to a ward", "Delayed 4 to 24 hours", "Delayed more than 24 hours", "Delayed"),
                 rates={"Share delayed": ("Delayed", "Discharges to a ward")},
                 money=("Saving (moderate)",), numbers=("Bed days lost",),
                 opportunity=("Saving (moderate)", "Bed days lost"))


def _delay_table(local: pd.DataFrame, run: RunContext) -> Table:
    n, bands = len(local), band_counts(local)
    frame = pd.DataFrame({"Delay": list(DELAY_BANDS), "Discharges": bands.to_numpy(), "Share": bands.to_numpy() / n,
                          "Median delay (hours)": [local.loc[local["band"] == b, "hours"].median()
                                                   for b in DELAY_BANDS]})
    frame["Total"] = n
    return Table(f"{run.area.name}: discharges to a ward by delay after the decision to discharge, {run.period.label}",
                 frame, hidden=("Total",), counts=("Discharges", "Total"), rates={"Share": ("Discharges", "Total")},
                 numbers=("Median delay (hours)",), rows_are_the_area=True)


CAVEATS = (
    "Delayed time is counted from the end of the 4-hour standard; a contract may count it differently.",
    "The saving is a change in price, not in cost: the patient still occupies the bed until a ward bed is free. The "
    "lasting gain is the capacity released when delays fall.",
    "A delayed day is priced as a critical care day with no organ supported (XC07Z), as a patient ready for the ward "
    "is; a contract may pay a flat critical care rate instead. The reference costs used are to be checked against "
    "the published schedule; replace them with the local contract rates.",
    "The low scenario counts only delays of more than 24 hours, but each from the 4-hour point, as the rest; a "
    "contract that pays the excess rate from the 24th hour would count less.",
    "Only discharges to a ward count: deaths and transfers home or to another hospital are excluded.",
)


# said under the scenario table: this scheme has no benchmark to be worse than
OPPORTUNITY_NOTE = ("There is no benchmark: each provider counts its own delayed bed days after the 4-hour standard, "
                    "so a provider with fewer delays counts fewer days, and none is netted off against another.")


def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Critical care bed days lost to delayed discharges", CAPACITY_RELEASED, PROVIDER, gbp, period.label,
        note="Capacity released, not cash: no budget falls by this figure. Each delayed bed day is valued at the "
             "excess of a critical care day with no organ support (XC07Z reference cost) over a ward's excess bed "
             "day, the price difference the Menu's lever moves. Paying delayed days at the excess rate moves that "
             "difference from the commissioner to the provider, which still staffs the bed: a price change, not a "
             "saving to the NHS. The lasting gain is the critical care capacity released when delays fall: fewer "
             "cancelled operations and timely admissions.")])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext) -> SchemeResult:
    area, period, a = run.area, run.period, run.params.assumptions
    ward = ward_discharges(tables["critical_care"])
    measure = proportion_measure(
        ward, flag="delayed", date="discharged_at", area=area, period=period,
        name="Share of discharges to a ward delayed more than 4 hours", higher_is_better=False, target=None,
        denominator_label="discharges to a ward")
    local = area_rows(in_period(ward, "discharged_at", period, "discharges to a ward"), area, "discharges to a ward")

    bed_days = Range.of(lambda s: chargeable_bed_days(local["hours"], a["scope_hours"].value(s)))
    gbp = Range.of(lambda s: saving(bed_days.get(s), a["xc07z_bed_day"].value(s), a["excess_bed_day"].value(s)))
    by_provider = provider_delays(local, a["scope_hours"].moderate, a["xc07z_bed_day"].moderate,
                                  a["excess_bed_day"].moderate)
    outputs = [("Delayed bed days paid at the excess bed rate", "days", bed_days),
               ("Value of the capacity released (price difference)", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=_kpis(local), opportunity=opportunity_by_kind(gbp, period),
        quantities=[Quantity("Delayed bed days paid at the excess bed rate", "bed days", bed_days)], measure=measure,
        tables={"providers": _provider_table(by_provider, measure, run), "delays": _delay_table(local, run)},
        scenario_table=scenario_frame(run.params, outputs), caveats=list(CAVEATS),
        data_months=(ward["discharged_at"].min(), ward["discharged_at"].max()), area_providers=area.providers,
        opportunity_note=OPPORTUNITY_NOTE,
    )
