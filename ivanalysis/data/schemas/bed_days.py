"""The occupied bed days table, like the KH03 bed availability and occupancy return.

One row per provider and month: the general and acute beds available and occupied, as bed days. It is the
denominator of rates such as defined daily doses (DDDs) of a medicine per 1,000 occupied bed days, and any scheme
may read it. KH03 is published quarterly as average daily beds; a monthly extract in bed days (average beds x days
in the month) is what this table holds. Of the occupied bed days, those on haematology and transplant wards are the
case mix of antifungal use (scheme 2): KH03 does not hold them, a provider's bed management system or HES (episodes
under the clinical haematology and transplantation treatment functions) does.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .base import DATE_IN_RANGE, ISO_DATETIME, TableSpec, code_column, one_row_per, provider_column

MAX_BED_DAYS = 5_000_000  # a provider-month: far above the largest trust (about 3,000 beds x 31 days)


def first_of_month(dates: pd.Series) -> pd.Series:
    return (dates.dt.day == 1) & (dates.dt.normalize() == dates)


FIRST_OF_MONTH = pa.Check(first_of_month, name="first_day_of_a_month",
                          error="the first day of a month, e.g. 2016-04-01")


SPEC = TableSpec(
    name="bed_days",
    title="Occupied bed days",
    like="KH03 bed availability and occupancy (general and acute)",
    description="One row per provider and month: general and acute bed days available and occupied, and of those "
                "occupied the bed days on haematology and transplant wards. The denominator of rates per 1,000 "
                "occupied bed days.",
    key="return_id",
    date_column="month",
    source="KH03, NHS England's quarterly return of bed availability and occupancy (general and acute beds); the "
           "haematology and transplant bed days from HES admitted patient care (bed days of episodes under the "
           "clinical haematology and transplantation treatment functions) or the provider's bed management system.",
    access="Yes: KH03 is published as open data by trust and quarter (this table is monthly: spread each quarter over "
           "its months); bed days by treatment function come from HES in NHS England's National Commissioning Data "
           "Repository (NCDR).",
    identifiers=(),  # a monthly return is a provider's, no person's record
    schema=pa.DataFrameSchema(
        {
            "return_id": code_column("Identifier of the provider's return for the month", unique=True),
            "provider_code": provider_column(),
            "month": pa.Column(ISO_DATETIME, [DATE_IN_RANGE, FIRST_OF_MONTH], coerce=True,
                               description="First day of the month the row covers"),
            "available_bed_days": pa.Column(int, pa.Check.in_range(1, MAX_BED_DAYS), coerce=True,
                                            description="General and acute bed days available in the month "
                                                        f"(1 to {MAX_BED_DAYS:,})"),
            "occupied_bed_days": pa.Column(int, pa.Check.in_range(0, MAX_BED_DAYS), coerce=True,
                                           description="General and acute bed days occupied in the month "
                                                       "(0 or more, at most the bed days available)"),
            "haematology_transplant_bed_days": pa.Column(
                int, pa.Check.in_range(0, MAX_BED_DAYS), coerce=True,
                description="Of the occupied bed days, those on haematology and transplant wards (haemato-oncology, "
                            "stem cell and solid organ transplant units); 0 at a provider without such a unit"),
        },
        checks=[
            pa.Check(lambda df: df["occupied_bed_days"] <= df["available_bed_days"],
                     name="occupied_bed_days <= available_bed_days",
                     error="more beds cannot be occupied than are available"),
            pa.Check(lambda df: df["haematology_transplant_bed_days"] <= df["occupied_bed_days"],
                     name="haematology_transplant_bed_days <= occupied_bed_days",
                     error="a ward's occupied bed days are part of the provider's"),
            one_row_per(["provider_code", "month"], name="one row per provider_code and month",
                        error="a provider's month appears more than once"),
        ],
        strict=False,
        name="bed_days",
    ),
)
