"""The antifungal issues table, like hospital pharmacy issues data (Define, or a trust's stock-control system).

One row per provider, month, drug, route and product type: what the pharmacy issued to wards and clinics, as
defined daily doses (DDDs), dose units and cost. Returns are netted off before a row is written, so every row has
a positive quantity.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .base import DATE_IN_RANGE, ISO_DATETIME, TEXT, TableSpec, code_column, positive_up_to, provider_column
from .bed_days import FIRST_OF_MONTH

# the systemic antifungals issued in English hospitals, and the routes each comes in
ROUTES_OF = {
    "fluconazole": ("oral", "intravenous"),
    "itraconazole": ("oral",),
    "voriconazole": ("oral", "intravenous"),
    "posaconazole": ("oral", "intravenous"),
    "isavuconazole": ("oral", "intravenous"),
    "caspofungin": ("intravenous",),
    "micafungin": ("intravenous",),
    "anidulafungin": ("intravenous",),
    "liposomal amphotericin b": ("intravenous",),
}
DRUGS = tuple(ROUTES_OF)
ROUTES = ("oral", "intravenous")
PRODUCT_TYPES = ("generic", "branded")
KEY = ["provider_code", "month", "drug", "route", "product_type"]


def _route_exists(df: pd.DataFrame) -> pd.Series:
    return pd.Series([r in ROUTES_OF.get(d, ROUTES) for d, r in zip(df["drug"], df["route"])], index=df.index)


def _one_row_per_key(df: pd.DataFrame) -> pd.Series:
    return ~df.duplicated(KEY, keep=False)


SPEC = TableSpec(
    name="antifungal_issues",
    title="Antifungal issues",
    like="Hospital pharmacy issues data (Define, pharmacy stock control)",
    description="One row per provider, month, antifungal drug, route (oral or intravenous) and product type "
                "(generic or branded): defined daily doses (DDDs) issued, dose units issued and their cost.",
    key="line_id",
    date_column="month",
    source="Hospital pharmacy issues recorded by Rx-Info's Define, and from them the Secondary Care Medicines Data "
           "(SCMD) that the NHS Business Services Authority publishes (quantity by trust, month and medicine, from "
           "2019).",
    access="Partly: SCMD is open data but priced at an indicative cost, and defined daily doses must be derived from "
           "the quantity and the WHO DDD; the price paid is in the trust's pharmacy system or Define, which the "
           "commissioner's pharmacy team may hold a licence for.",
    identifiers=(),  # an issues line is a provider's stock movement, no person's record
    schema=pa.DataFrameSchema(
        {
            "line_id": code_column("Identifier of the issues line", unique=True),
            "provider_code": provider_column(),
            "month": pa.Column(ISO_DATETIME, [DATE_IN_RANGE, FIRST_OF_MONTH], coerce=True,
                               description="First day of the month of the issues"),
            "drug": pa.Column(TEXT, pa.Check.isin(list(DRUGS)), coerce=True,
                              description="Generic name of the antifungal: " + ", ".join(DRUGS)),
            "route": pa.Column(TEXT, pa.Check.isin(list(ROUTES)), coerce=True,
                               description="Route of administration: oral or intravenous"),
            "product_type": pa.Column(TEXT, pa.Check.isin(list(PRODUCT_TYPES)), coerce=True,
                                      description="generic (a generic product) or branded (the originator brand, "
                                                  "or a drug with no generic yet)"),
            "ddd": pa.Column(float, positive_up_to(100_000), coerce=True,
                             description="Defined daily doses issued (> 0): milligrams issued / the WHO DDD of the "
                                         "drug and route"),
            "quantity": pa.Column(float, positive_up_to(999_999), coerce=True,
                                  description="Dose units issued (> 0): tablets, capsules, vials or infusion bags"),
            "cost_gbp": pa.Column(float, positive_up_to(999_999), coerce=True,
                                  description="Cost of the issues at the price paid, GBP excluding VAT (> 0)"),
        },
        checks=[
            pa.Check(_route_exists, name="route available for the drug",
                     error="itraconazole is oral only; caspofungin, micafungin, anidulafungin and liposomal "
                           "amphotericin b are intravenous only"),
            pa.Check(_one_row_per_key, name="one row per provider_code, month, drug, route and product_type",
                     error="the same issues appear on more than one row"),
        ],
        strict=False,
        name="antifungal_issues",
    ),
)
