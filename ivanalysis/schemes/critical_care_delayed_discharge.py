"""Scheme 15: adult critical care delayed discharges (Menu of Opportunities, chapter 15).

The standard is discharge to a ward within 4 hours of the decision to discharge. The saving is the price
difference between paying for delayed time at the critical care (ICC) bed-day rate and at an excess bed-day
rate: first for delays of more than 24 hours, then, as the Menu's next step, for delays of more than 4 hours.
Delayed time is counted from the end of the 4-hour standard. At each provider the saving is that provider's own
delayed bed days, so it is counted only where delays happen.
"""
from __future__ import annotations

import pandas as pd

from ..config import SchemeParams
from ..geography import Area, Geography
from .base import (KPI, Period, Quantity, Range, SchemeResult, Table, area_rows, in_period, labels,
                   proportion_measure, provider_table, safe_share, scenario_frame)
from ..catalogue import BY_ID

TABLES = ("critical_care",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "critical_care": ("provider_code", "ready_at", "discharged_at", "destination"),
}
ASSUMPTIONS = {"scope_hours": "hours", "icc_bed_day": "gbp_per_day", "excess_bed_day": "gbp_per_day"}
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


def saving(bed_days: float, icc_bed_day: float, excess_bed_day: float) -> float:
    """Paying delayed days at the excess bed rate instead of the ICC bed rate."""
    return bed_days * max(0.0, icc_bed_day - excess_bed_day)


def out_of_hours(discharged_at: pd.Series) -> pd.Series:
    """Discharged between 22:00 and 06:59, outside the daylight hours the standard asks for."""
    hour = discharged_at.dt.hour
    return (hour >= 22) | (hour < 7)


def analyse(tables: dict[str, pd.DataFrame], area: Area, params: SchemeParams, period: Period,
            geography: Geography) -> SchemeResult:
    a = params.assumptions
    cc = tables["critical_care"]
    ward = cc[cc["destination"] == "ward"].copy()
    ward["hours"] = delay_hours(ward["ready_at"], ward["discharged_at"])
    ward["delayed"] = ward["hours"] > STANDARD_HOURS
    ward["band"] = delay_band(ward["hours"])

    measure = proportion_measure(
        ward, flag="delayed", date="discharged_at", area=area, period=period,
        name="Share of discharges to a ward delayed more than 4 hours", higher_is_better=False, target=None,
        denominator_label="discharges to a ward")
    local = area_rows(in_period(ward, "discharged_at", period, "discharges to a ward"), area, "discharges to a ward")
    n = len(local)
    bands = local["band"].value_counts().reindex(DELAY_BANDS, fill_value=0)

    bed_days = Range.of(lambda s: chargeable_bed_days(local["hours"], a["scope_hours"].value(s)))
    gbp = Range.of(lambda s: saving(bed_days.get(s), a["icc_bed_day"].value(s), a["excess_bed_day"].value(s)))
    all_delay_days = chargeable_bed_days(local["hours"], STANDARD_HOURS)
    kpis = [
        KPI("Discharges delayed more than 4 hours", safe_share(bands[DELAY_BANDS[1]] + bands[DELAY_BANDS[2]], n),
            "share", None, False, "Menu: an estimated 50% of discharges to a ward"),
        KPI("Delayed discharges delayed more than 24 hours",
            safe_share(bands[DELAY_BANDS[2]], bands[DELAY_BANDS[1]] + bands[DELAY_BANDS[2]]), "share", None, False,
            "Menu: about 10% of delayed discharges"),
        KPI("Discharges out of hours (22:00 to 07:00)", float(out_of_hours(local["discharged_at"]).mean()), "share",
            None, False, "standard: discharge in daylight hours"),
        KPI("Critical care bed days lost to delays", all_delay_days, "days", note="time after the 4-hour standard"),
        KPI("Discharges to a ward", float(n), "count"),
    ]

    scope_mod = a["scope_hours"].moderate
    g = local.groupby("provider_code", observed=True)
    prov = pd.DataFrame({
        "Discharges to a ward": g.size(),
        "Delayed 4 to 24 hours": g["band"].apply(lambda b: int((b == DELAY_BANDS[1]).sum())),
        "Delayed more than 24 hours": g["band"].apply(lambda b: int((b == DELAY_BANDS[2]).sum())),
        "Bed days lost": g["hours"].apply(lambda h: chargeable_bed_days(h, STANDARD_HOURS)),
    })
    prov["Delayed"] = prov["Delayed 4 to 24 hours"] + prov["Delayed more than 24 hours"]
    prov["Share delayed"] = prov["Delayed"] / prov["Discharges to a ward"]
    prov["Saving (moderate)"] = g["hours"].apply(lambda h: saving(chargeable_bed_days(h, scope_mod),
                                                                   a["icc_bed_day"].moderate, a["excess_bed_day"].moderate))
    prov = provider_table(prov, measure, geography)
    band_table = pd.DataFrame({"Delay": list(DELAY_BANDS), "Discharges": bands.to_numpy(),
                               "Share": bands.to_numpy() / n,
                               "Median delay (hours)": [local.loc[local["band"] == b, "hours"].median() for b in DELAY_BANDS]})
    band_table["Total"] = n

    outputs = [("Delayed bed days paid at the excess bed rate", "days", bed_days), ("Saving", "gbp", gbp)]
    return SchemeResult(
        scheme=BY_ID["critical_care_delayed_discharge"], area=area, period=period, params=params, kpis=kpis,
        opportunity_gbp=gbp, quantities=[Quantity("Delayed bed days paid at the excess bed rate", "bed days", bed_days)],
        measure=measure,
        tables={
            "providers": Table(f"Providers of {area.name}: discharges to a ward and their delays, {period.label}",
                               prov, hidden=("Delayed",),
                               counts=("Discharges to a ward", "Delayed 4 to 24 hours", "Delayed more than 24 hours",
                                       "Delayed"),
                               rates={"Share delayed": ("Delayed", "Discharges to a ward")},
                               money=("Saving (moderate)",), numbers=("Bed days lost",)),
            "delays": Table(f"{area.name}: discharges to a ward by delay after the decision to discharge, {period.label}",
                            band_table, hidden=("Total",), counts=("Discharges", "Total"),
                            rates={"Share": ("Discharges", "Total")}, numbers=("Median delay (hours)",)),
        },
        scenario_table=scenario_frame(params, outputs),
        caveats=[
            "Delayed time is counted from the end of the 4-hour standard; a contract may count it differently.",
            "The saving is a change in price, not in cost: the patient still occupies the bed until a ward bed is "
            "free. The lasting gain is the capacity released when delays fall.",
            "ICC and excess bed-day rates vary by contract and by the number of organs supported; replace the "
            "assumed rates with the local ones.",
            "Only discharges to a ward count: deaths and transfers home or to another hospital are excluded.",
        ],
        data_months=(ward["discharged_at"].min(), ward["discharged_at"].max()),
        area_providers=area.providers,
    )
