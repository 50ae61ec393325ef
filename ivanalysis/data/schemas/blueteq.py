"""The Blueteq prior-approval table: one row per approval form for a high-cost drug.

Blueteq is the web-based system through which providers ask NHS England to fund a high-cost drug for a named
patient: the form records that the commissioning criteria are met (and, where the policy asks for it, that a
multidisciplinary team approved the treatment). Forms link to the invoices by patient_id and drug.
"""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, one_row_per, provider_column
from .hcd_invoices import DRUG_NAME, INDICATIONS

FORM_TYPES = ("initiation", "continuation")
YES_NO = pa.Check.isin(["Y", "N"], error="isin: Y or N")

SPEC = TableSpec(
    name="blueteq",
    title="Blueteq prior-approval forms",
    like="Blueteq high-cost drugs prior approval system",
    description="One row per approval form: the patient, drug and indication, whether it starts treatment or "
                "continues it at the annual review, the approval date, whether the commissioning criteria were "
                "met and whether a multidisciplinary team (MDT) approval was recorded. Links to the high-cost "
                "drug invoices by patient_id and drug.",
    key="form_id",
    date_column="approval_date",
    source="Blueteq, the prior approval system NHS England's specialised commissioning uses for high-cost drugs.",
    access="Yes: hub commissioners and pharmacists see their providers' forms and reports in Blueteq; linking forms "
           "to invoices needs the same patient identifier in both.",
    identifiers=("form_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "form_id": code_column("Identifier of the Blueteq form", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier (the same in the invoices table)"),
            "drug": pa.Column(TEXT, DRUG_NAME, coerce=True,
                              description="Generic name of the drug approved, as in the invoices table"),
            "indication": pa.Column(TEXT, pa.Check.isin(list(INDICATIONS)), coerce=True,
                                    description="Indication the drug is approved for (the invoices' list)"),
            "form_type": pa.Column(TEXT, pa.Check.isin(list(FORM_TYPES)), coerce=True,
                                   description="initiation (before the first dose) or continuation (annual review)"),
            "approval_date": date_column("Date the form was approved"),
            "criteria_met": pa.Column(TEXT, YES_NO, coerce=True,
                                      description="Y if the form records that the policy's criteria are met, else N"),
            "mdt_approved": pa.Column(TEXT, YES_NO, coerce=True,
                                      description="Y if approval by an appropriately constituted MDT is recorded, "
                                                  "else N"),
        },
        checks=[one_row_per(["patient_id", "drug", "approval_date"],
                            name="one form per patient_id, drug and approval_date",
                            error="a patient's drug is approved once a day")],
        strict=False,
        name="blueteq",
    ),
)
