"""The antifungal issues table, like hospital pharmacy issues data (Define, or a trust's stock-control system).

One row per provider, month, ward specialty, drug, route and product type: what the pharmacy issued to wards and
clinics, as defined daily doses (DDDs), dose units and cost, net of returns: a product the ward stocks but that was
not issued in the month (or all of it returned) has a row of 0, never a negative one. The specialty of the ward
issued to (haematology and transplant units, or any other ward) is the case mix a benchmark of use needs: pharmacy
systems record the ward of every issue.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .base import DATE_IN_RANGE, ISO_DATETIME, TEXT, TableSpec, code_column, one_row_per, provider_column
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
HAEM_TRANSPLANT, OTHER_WARDS = "haematology_transplant", "other"
SPECIALTIES = (HAEM_TRANSPLANT, OTHER_WARDS)
KEY = ["provider_code", "month", "specialty", "drug", "route", "product_type"]


def zero_up_to(high: float) -> pa.Check:
    return pa.Check.in_range(0, high, error=f"0 or more (net of returns) and at most {high:g}")


def _route_exists(df: pd.DataFrame) -> pd.Series:
    return pd.Series([r in ROUTES_OF.get(d, ROUTES) for d, r in zip(df["drug"], df["route"])], index=df.index)


SPEC = TableSpec(
    name="antifungal_issues",
    title="Antifungal issues",
    like="Hospital pharmacy issues data (Define, pharmacy stock control)",
    description="One row per provider, month, ward specialty (haematology and transplant units, or other wards), "
                "antifungal drug, route (oral or intravenous) and product type (generic or branded): defined daily "
                "doses (DDDs) issued, dose units issued and their cost.",
    key="line_id",
    date_column="month",
    source="Hospital pharmacy issues recorded by Rx-Info's Define, and from them the Secondary Care Medicines Data "
           "(SCMD) that the NHS Business Services Authority publishes (quantity by trust, month and medicine, from "
           "2019).",
    access="Partly: SCMD is open data but priced at an indicative cost, has no ward, and defined daily doses must be "
           "derived from the quantity and the WHO DDD; the price paid and the ward issued to are in the trust's "
           "pharmacy system or Define, which the commissioner's pharmacy team may hold a licence for.",
    identifiers=(),  # an issues line is a provider's stock movement, no person's record
    schema=pa.DataFrameSchema(
        {
            "line_id": code_column("Identifier of the issues line", unique=True),
            "provider_code": provider_column(),
            "month": pa.Column(ISO_DATETIME, [DATE_IN_RANGE, FIRST_OF_MONTH], coerce=True,
                               description="First day of the month of the issues"),
            "specialty": pa.Column(TEXT, pa.Check.isin(list(SPECIALTIES)), coerce=True,
                                   description="Specialty of the ward or clinic issued to: haematology_transplant "
                                               "(haemato-oncology, stem cell and solid organ transplant units) or "
                                               "other (every other ward and clinic)"),
            "drug": pa.Column(TEXT, pa.Check.isin(list(DRUGS)), coerce=True,
                              description="Generic name of the antifungal: " + ", ".join(DRUGS)),
            "route": pa.Column(TEXT, pa.Check.isin(list(ROUTES)), coerce=True,
                               description="Route of administration: oral or intravenous"),
            "product_type": pa.Column(TEXT, pa.Check.isin(list(PRODUCT_TYPES)), coerce=True,
                                      description="generic (a generic product) or branded (the originator brand, "
                                                  "or a drug with no generic yet)"),
            "ddd": pa.Column(float, zero_up_to(100_000), coerce=True,
                             description="Defined daily doses issued, net of returns (0 or more): milligrams issued / "
                                         "the WHO DDD of the drug and route"),
            "quantity": pa.Column(float, zero_up_to(999_999), coerce=True,
                                  description="Dose units issued, net of returns (0 or more): tablets, capsules, vials "
                                              "or infusion bags"),
            "cost_gbp": pa.Column(float, zero_up_to(999_999), coerce=True,
                                  description="Cost of the issues at the price paid, net of returns, GBP excluding VAT "
                                              "(0 or more)"),
        },
        checks=[
            pa.Check(_route_exists, name="route available for the drug",
                     error="itraconazole is oral only; caspofungin, micafungin, anidulafungin and liposomal "
                           "amphotericin b are intravenous only"),
            one_row_per(KEY, name="one row per provider_code, month, specialty, drug, route and product_type",
                        error="the same issues appear on more than one row"),
        ],
        strict=False,
        name="antifungal_issues",
    ),
)
