"""The high-cost drug invoices table, like the Drugs Patient Level Contract Monitoring data set (DrPLCM).

One row per patient, drug, product and quarter: what a provider invoiced the commissioner for a high-cost drug
that is paid outside tariff (pass-through). Real DrPLCM lines are monthly; this table is quarterly (see
`ivanalysis.data.synth.hcd_invoices`), and a monthly extract can be summed to quarters before it is loaded.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .base import (
    DATE_IN_RANGE,
    ISO_DATETIME,
    TEXT,
    TableSpec,
    code_column,
    date_column,
    one_row_per,
    positive_up_to,
    provider_column,
    str_matches,
)

PRODUCT_TYPES = ("originator", "biosimilar", "generic", "branded")
INDICATIONS = (
    "HIV", "Relapsing-remitting multiple sclerosis", "Primary biliary cholangitis",
    "Rheumatoid arthritis", "Psoriatic arthritis", "Ankylosing spondylitis", "Juvenile idiopathic arthritis",
    "Crohn's disease", "Ulcerative colitis", "Hidradenitis suppurativa", "Uveitis",
    "Non-Hodgkin lymphoma", "Chronic lymphocytic leukaemia", "ANCA-associated vasculitis",
    "Chronic myeloid leukaemia", "Gastrointestinal stromal tumour", "Breast cancer", "Gastric cancer",
    "Inflammatory myositis",
)
DRUG_NAME = str_matches(r"^[a-z][a-z0-9 /-]{1,79}$",
                        "str_matches: a generic drug name in lower case, e.g. infliximab or "
                        "emtricitabine/tenofovir disoproxil")
PRODUCT_NAME = str_matches(r"^[A-Za-z0-9][A-Za-z0-9 ()/.-]{0,59}$",
                           "str_matches: a product name of up to 60 letters, digits, spaces, brackets, / . or -")


def _quarter_start(dates: pd.Series) -> pd.Series:
    return (dates.dt.day == 1) & dates.dt.month.isin([1, 4, 7, 10]) & (dates.dt.normalize() == dates)


def _quarter_number(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 4 + (dates.dt.month - 1) // 3


def _started_by_quarter_end(df: pd.DataFrame) -> pd.Series:
    return _quarter_number(df["treatment_start"]) <= _quarter_number(df["invoice_period"])


def _cost_within_list_price(df: pd.DataFrame) -> pd.Series:
    # a line may be paid below the agreed price (discounts, credits) but never above the list price
    return df["cost"] <= df["quantity"] * df["list_price"] * 1.0001 + 0.01


SPEC = TableSpec(
    name="hcd_invoices",
    title="High-cost drug invoices",
    like="Drugs Patient Level Contract Monitoring data set (DrPLCM)",
    description="One row per patient, drug, product and quarter invoiced for a high-cost drug paid outside "
                "tariff: the product given (originator, biosimilar, generic or branded), the quantity, the price "
                "paid, the list and agreed prices, and when the patient started the drug (so that new and "
                "existing patients can be told apart). Covers HIV antiretrovirals, biologics and other molecules "
                "with biosimilar or generic versions, obeticholic acid and multiple sclerosis therapies.",
    key="invoice_id",
    date_column="invoice_period",
    cadence="quarter",
    source="Drugs Patient Level Contract Monitoring data set (DrPLCM): the patient-level backing data providers send "
           "commissioners each month for high-cost drugs paid outside tariff. List prices are the dm+d's; agreed "
           "prices are the national contract, framework or patient access scheme (PAS) prices.",
    access="Yes for the invoices, which hub analysts receive for their providers and find in NHS England's National "
           "Commissioning Data Repository (NCDR); the agreed prices are confidential and come from NHS England's "
           "commercial medicines teams.",
    identifiers=("invoice_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "invoice_id": code_column("Identifier of the invoice line", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier (the same in the Blueteq table)"),
            "invoice_period": pa.Column(
                ISO_DATETIME, [DATE_IN_RANGE, pa.Check(_quarter_start, name="first_day_of_a_quarter",
                                                       error="the first day of a quarter: 1 January, April, "
                                                             "July or October")],
                coerce=True, description="First day of the quarter the line covers (1 January, April, July or "
                                         "October)"),
            "indication": pa.Column(TEXT, pa.Check.isin(list(INDICATIONS)), coerce=True,
                                    description="Indication the drug was given for: " + ", ".join(INDICATIONS)),
            "drug": pa.Column(TEXT, DRUG_NAME, coerce=True,
                              description="Generic name of the drug (the molecule, or molecules of a "
                                          "fixed-dose combination joined by /), whichever product was given"),
            "product": pa.Column(TEXT, PRODUCT_NAME, coerce=True,
                                 description="Brand or product name (e.g. Remicade, Inflectra, Imatinib generic)"),
            "product_type": pa.Column(TEXT, pa.Check.isin(list(PRODUCT_TYPES)), coerce=True,
                                      description="originator (first brand of a biological medicine), biosimilar, "
                                                  "generic, or branded (a brand with no biosimilar or generic "
                                                  "version, or a small-molecule brand)"),
            "quantity": pa.Column(float, positive_up_to(1000), coerce=True,
                                  description="Units supplied in the quarter (> 0): packs, vials or syringes, as "
                                              "priced"),
            "list_price": pa.Column(float, positive_up_to(100_000), coerce=True,
                                    description="List price of one unit (GBP, BNF), before any discount"),
            "reference_price": pa.Column(float, positive_up_to(100_000), coerce=True,
                                         description="Agreed price of one unit (GBP): the national contract, "
                                                     "framework or patient access scheme (PAS) price"),
            "cost": pa.Column(float, pa.Check.in_range(0, 10_000_000), coerce=True,
                              description="Price paid for the line (GBP, excluding VAT, 0 or more)"),
            "treatment_start": date_column("Date the patient started this drug (any product of it); "
                                           "before the data period for existing patients"),
        },
        checks=[
            pa.Check(lambda df: df["reference_price"] <= df["list_price"], name="reference_price <= list_price",
                     error="the agreed price cannot exceed the list price"),
            pa.Check(_cost_within_list_price, name="cost <= quantity x list_price",
                     error="a line cannot cost more than its quantity at the list price"),
            pa.Check(_started_by_quarter_end, name="treatment_start before the end of invoice_period",
                     error="a patient cannot be invoiced for a quarter before starting the drug"),
            one_row_per(["patient_id", "drug", "product", "invoice_period"],
                        name="one row per patient_id, drug, product and invoice_period",
                        error="a patient's quarter of a product is invoiced once"),
        ],
        strict=False,
        name="hcd_invoices",
    ),
)
