"""The systemic anti-cancer therapy table, like the Systemic Anti-Cancer Therapy data set (SACT).

One row per drug given: an intravenous administration, or an oral dispensing. Intravenous rows carry how the dose
was prepared (dose-banded, standard product) and the drug wasted in preparing it; oral rows carry the supply (days,
packs) and the date the patient stopped the regimen, so that what was left at home can be worked out.

Text columns that repeat (provider, patient, drug, regimen ...) are read as pandas categories: the table has
millions of rows, and categories keep it small in memory and quick to check.
"""
from __future__ import annotations

import pandera.pandas as pa

from ...config import CODE_PATTERN
from .base import DATE_IN_RANGE, ID_PATTERN, ID_RULE, ISO_DATETIME, TableSpec, code_column, date_column

ROUTES = ["intravenous", "oral"]
TUMOUR_GROUPS = ["Breast", "Lung", "Colorectal", "Upper GI", "Urology", "Gynaecology", "Haematology",
                 "Head and neck", "CNS", "Skin", "Sarcoma", "Other"]
YES_NO = ["Y", "N"]
DRUG_RULE = pa.Check.str_matches(
    r"^[a-z][a-z0-9 /-]{1,59}$",
    error="str_matches: a generic drug name in lower case (letters, digits, space, / or -)")
REGIMEN_RULE = pa.Check.str_matches(
    r"^[A-Za-z0-9][A-Za-z0-9 +/().-]{0,59}$",
    error="str_matches: a regimen name of up to 60 letters, digits, spaces or + / ( ) . -")


def category(checks, description: str, *, nullable: bool = False) -> pa.Column:
    return pa.Column("category", checks, nullable=nullable, coerce=True, description=description)


# the rule's name lists the columns it reads, so that a failing row is shown with them
ROUTE_FIELDS = ("route fields: intravenous rows need administered_dose_mg, waste_mg, dose_banded and "
                "standard_product; oral rows need days_supplied and packs_supplied")


def _iv_fields_complete(df):
    """Intravenous rows need how the dose was prepared; oral rows need the supply. An extract of one route may leave
    out the other's columns (they are optional, TableSpec.required): a row of the other route then lacks them."""
    iv = df["route"] == "intravenous"
    iv_ok = df.reindex(columns=["administered_dose_mg", "waste_mg", "dose_banded", "standard_product"]
                       ).notna().all(axis=1)
    oral_ok = df.reindex(columns=["days_supplied", "packs_supplied"]).notna().all(axis=1)
    return (iv & iv_ok) | (~iv & oral_ok)


SPEC = TableSpec(
    name="sact",
    title="Systemic anti-cancer therapy administrations and dispensings",
    like="Systemic Anti-Cancer Therapy data set (SACT)",
    description="One row per drug given: an intravenous administration (with how the dose was prepared and the "
                "drug wasted in preparing it) or an oral dispensing (with the supply and, once known, the date the "
                "patient stopped the regimen).",
    key="administration_id",
    date_column="administration_date",
    source="Systemic Anti-Cancer Therapy data set (SACT), National Disease Registration Service (formerly Public "
           "Health England): patients, regimens, drugs, doses and dates. No national source exists for the "
           "dose-banding, standard-product and waste columns, or for an oral supply's days and packs: these are in "
           "each provider's aseptic unit and pharmacy dispensing systems.",
    access="Partly: SACT reports reach NHS staff through the registry's portal (CancerStats) and patient-level "
           "extracts need an application; the dose-banding, waste and supply columns only from the providers.",
    identifiers=("administration_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "administration_id": code_column("Identifier of the administration (intravenous) or dispensing (oral)",
                                             unique=True),
            "provider_code": category(pa.Check.str_matches(CODE_PATTERN, error=ID_RULE),
                                      "Provider (trust) code; must be a provider of params/geography.yaml"),
            "patient_id": category(pa.Check.str_matches(ID_PATTERN, error=ID_RULE), "Pseudonymised patient identifier"),
            "administration_date": date_column("Date the drug was administered (intravenous) or dispensed (oral)"),
            "route": category(pa.Check.isin(ROUTES), "intravenous or oral"),
            "tumour_group": category(pa.Check.isin(TUMOUR_GROUPS), "Tumour group of the regimen"),
            "regimen": category(REGIMEN_RULE, "Regimen name, e.g. FOLFOX or Abiraterone"),
            "drug": category(DRUG_RULE, "Generic name of the drug, lower case, e.g. oxaliplatin"),
            "prescribed_dose_mg": pa.Column(float, pa.Check.in_range(0, 50_000, include_min=False,
                                                                     error="more than 0 and at most 50000"),
                                            coerce=True, description="Dose prescribed, mg (intravenous: for this "
                                            "administration, calculated for the patient; oral: each day)"),
            "administered_dose_mg": pa.Column(float, pa.Check.in_range(0, 50_000, include_min=False,
                                                                       error="more than 0 and at most 50000"),
                                              nullable=True, coerce=True,
                                              description="Intravenous: dose given, mg (the banded dose when "
                                              "dose-banded); empty for oral"),
            "dose_banded": category(pa.Check.isin(YES_NO), "Intravenous: Y if the dose was rounded to a band of the "
                                    "national dose banding tables, else N; empty for oral", nullable=True),
            "standard_product": category(pa.Check.isin(YES_NO), "Intravenous: Y if the dose was a standard product "
                                         "(an off-the-shelf dose-banded presentation), else N; empty for oral",
                                         nullable=True),
            "waste_mg": pa.Column(float, pa.Check.in_range(0, 50_000), nullable=True, coerce=True,
                                  description="Intravenous: drug wasted in preparing this dose, mg (vial residue "
                                  "discarded, doses made and not given); empty for oral"),
            "days_supplied": pa.Column("Int64", pa.Check.in_range(1, 366), nullable=True, coerce=True,
                                       description="Oral: days of treatment the supply covers (1 to 366); empty "
                                       "for intravenous"),
            "packs_supplied": pa.Column("Int64", pa.Check.in_range(1, 100), nullable=True, coerce=True,
                                        description="Oral: packs dispensed (1 to 100); empty for intravenous"),
            "drug_cost_gbp": pa.Column(float, pa.Check.in_range(0, 1_000_000), coerce=True,
                                       description="Cost of the drug, GBP (intravenous: including the drug wasted; "
                                       "oral: the supply)"),
            "regimen_end_date": pa.Column(ISO_DATETIME, DATE_IN_RANGE, nullable=True, coerce=True,
                                          description="Oral: date the patient stopped the regimen; empty while "
                                          "treatment goes on (and for intravenous)"),
        },
        checks=[
            pa.Check(_iv_fields_complete, name=ROUTE_FIELDS, error=ROUTE_FIELDS),
            pa.Check(lambda df: (df["standard_product"] != "Y") | (df["dose_banded"] == "Y"),
                     name="standard_product Y only if dose_banded Y",
                     error="a standard product is a dose-banded product"),
            pa.Check(lambda df: df["regimen_end_date"].isna() | (df["regimen_end_date"] >= df["administration_date"]),
                     name="regimen_end_date >= administration_date",
                     error="nothing is dispensed after the regimen stopped"),
        ],
        strict=False,
        name="sact",
    ),
)
