"""The specialised spend by area table: spells of specialised care by the patient's commissioning area of residence."""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column

# The top specialised spend programmes of care this table covers, as code: label
PROGRAMMES = {
    "cancer": "Specialised cancer",
    "cardiac": "Specialised cardiac services",
    "neurosciences": "Neurosciences",
    "renal": "Renal services",
    "adult_critical_care": "Adult critical care",
    "neonatal_critical_care": "Neonatal critical care",
    "mental_health": "Specialised mental health",
    "blood_disorders": "Specialised blood disorders",
}

SPEC = TableSpec(
    name="area_spend",
    title="Specialised spend by area of residence",
    like="specialised commissioning activity and spend by CCG of residence (SUS-based, as the RightCare and Where "
         "to Look packs use)",
    description="One row per spell of specialised care (an admission, a course of treatment, or a year of "
                "renal replacement therapy) in one of the top specialised spend programmes of care, with the "
                "patient's commissioning area of residence and what the spell cost the commissioner.",
    key="spell_id",
    date_column="start_date",
    source="SUS admitted care, outpatient, critical care and drug activity flagged as specialised by NHS England's "
           "identification rules (the Prescribed Specialised Services tool) and costed, by CCG of residence: the data "
           "of RightCare's Where to Look packs.",
    access="Yes: SUS with the specialised flags is in NHS England's National Commissioning Data Repository (NCDR).",
    identifiers=("spell_id",),
    provider_column=None,
    area_column="area_code",
    schema=pa.DataFrameSchema(
        {
            "spell_id": code_column("Identifier of the spell", unique=True),
            "area_code": code_column("Commissioning area of the patient's residence; must be an area of "
                                     "params/geography.yaml"),
            "programme": pa.Column(TEXT, pa.Check.isin(list(PROGRAMMES)), coerce=True,
                                   description="Programme of care: " + ", ".join(PROGRAMMES)),
            "start_date": date_column("Date the spell (admission or course) started"),
            "cost_gbp": pa.Column(float, pa.Check.in_range(0, 5_000_000, include_min=False,
                                                           error="more than 0 and at most 5,000,000"), coerce=True,
                                  description="Cost of the spell to the commissioner, pounds (> 0)"),
        },
        strict=False,
        name="area_spend",
    ),
)
